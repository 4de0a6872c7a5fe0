//! Pseudonymisation, run by each organisation on its own machine: validated records in,
//! records out that carry keyed match keys, blocking keys, keyed date parts, a hardened Bloom
//! filter, a keyed record key and the attributes, and no identifier at all.

pub mod bloom;
mod encode;
pub mod normalise;

pub use encode::{BLOCK_KEYS, DATE_PARTS, Encoded, Encoder, Identifiers, MATCH_KEYS};

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use crate::dates::PartialDate;
use crate::error::StageError;
use crate::key::LinkageKey;
use crate::parquet_io::{Kind, ParquetSink, Value, read};
use crate::progress::Progress;
use crate::schema::Schema;

pub const STAGE: &str = "02-pseudonymise";
pub const FINGERPRINT: &str = "key_fingerprint";
pub const RECORD_KEY: &str = "record_key";
pub const RELATED_KEY: &str = "related_record_key";
pub const BLOOM: &str = "name_bloom";

/// The attribute columns carried through (contact kind and every non-identifier answer).
pub fn attribute_columns(schema: &Schema) -> Vec<&str> {
    schema.attribute_columns()
}

/// The columns of a pseudonymised file, in order.
pub fn output_columns(schema: &Schema) -> Vec<(&str, Kind)> {
    let mut cols: Vec<(&str, Kind)> = vec![
        (FINGERPRINT, Kind::Str),
        ("org_id", Kind::Str),
        ("report_year", Kind::Int),
        (RECORD_KEY, Kind::Str),
        (RELATED_KEY, Kind::Str),
    ];
    cols.extend(attribute_columns(schema).into_iter().map(|c| (c, Kind::Str)));
    cols.extend(
        MATCH_KEYS
            .iter()
            .chain(BLOCK_KEYS.iter())
            .chain(DATE_PARTS.iter())
            .map(|c| (*c, Kind::Int)),
    );
    cols.push((BLOOM, Kind::Bin));
    cols
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OrgPseudo {
    pub records: u64,
    /// How many records got each match key (a key needs complete inputs).
    pub keys_made: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PseudoReport {
    pub key_fingerprint: String,
    pub orgs: BTreeMap<String, OrgPseudo>,
}

impl PseudoReport {
    pub fn summary(&self) -> String {
        let records: u64 = self.orgs.values().map(|o| o.records).sum();
        let mut keys: BTreeMap<&str, u64> = BTreeMap::new();
        for o in self.orgs.values() {
            for (k, n) in &o.keys_made {
                *keys.entry(k.as_str()).or_default() += n;
            }
        }
        let per_key: Vec<String> = MATCH_KEYS
            .iter()
            .map(|k| format!("{k} {}", keys.get(k).copied().unwrap_or(0)))
            .collect();
        format!(
            "Pseudonymise wrote {records} records of {} organisation(s) under key {}; no name, birth date, personal number or record id is in the output. Records with each match key: {}.",
            self.orgs.len(),
            self.key_fingerprint,
            per_key.join(", ")
        )
    }
}

fn str_col<'a>(df: &'a DataFrame, name: &str, path: &Path) -> Result<&'a StringChunked, StageError> {
    df.column(name)
        .and_then(|c| c.str())
        .map_err(|e| StageError::ParquetRead {
            path: path.to_path_buf(),
            message: format!("column {name}: {e}"),
        })
}

/// Pseudonymises every validated file in `input` into `out`, one file per organisation.
pub fn pseudonymise_dir(
    schema: &Schema,
    key: &LinkageKey,
    input: &Path,
    out: &Path,
    progress: &Progress,
) -> Result<PseudoReport, StageError> {
    let files = crate::stage::list_parquet(input)?;
    if files.is_empty() {
        return Err(StageError::Input(format!(
            "{}: no validated files to pseudonymise; run ingest first",
            input.display()
        )));
    }
    let bar = progress.bar(files.len() as u64, "pseudonymise");
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<Vec<(String, OrgPseudo)>, StageError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut enc = Encoder::new(key);
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        done.push(pseudonymise_file(schema, key, &mut enc, path, out)?);
                        bar.inc(1);
                    }
                    Ok(done)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(StageError::Input("a worker thread panicked".into())))
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut report = PseudoReport {
        key_fingerprint: key.fingerprint(),
        orgs: BTreeMap::new(),
    };
    for r in results {
        report.orgs.extend(r?);
    }
    Ok(report)
}

fn pseudonymise_file(
    schema: &Schema,
    key: &LinkageKey,
    enc: &mut Encoder,
    path: &Path,
    out: &Path,
) -> Result<(String, OrgPseudo), StageError> {
    let df = read(path)?;
    let org_name = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let col = |n: &str| str_col(&df, n, path);
    let (org, rid, rel, pnr, given, family, birth) = (
        col("org_id")?,
        col("record_id")?,
        col("related_record_id")?,
        col("personal_number")?,
        col("given_name")?,
        col("family_name")?,
        col("birth_date")?,
    );
    let year = df
        .column("report_year")
        .and_then(|c| c.i64())
        .map_err(|e| StageError::ParquetRead {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let attr_names = attribute_columns(schema);
    let attrs: Vec<&StringChunked> = attr_names.iter().map(|n| col(n)).collect::<Result<_, _>>()?;
    let out_path = out.join(format!("{org_name}.parquet"));
    let mut sink = ParquetSink::create(&out_path, &output_columns(schema))?;
    let fingerprint = key.fingerprint();
    let mut stats = OrgPseudo::default();
    for i in 0..df.height() {
        let (o, y) = (org.get(i).unwrap_or(""), year.get(i).unwrap_or(0));
        let ys = y.to_string();
        let record_key = |id: &str| enc.record.hex128(&[o.as_bytes(), ys.as_bytes(), id.as_bytes()]);
        let rk = record_key(rid.get(i).unwrap_or(""));
        let relk = rel.get(i).map(record_key);
        let ids = Identifiers {
            personal_number: pnr.get(i),
            given: given.get(i).unwrap_or(""),
            family: family.get(i).unwrap_or(""),
            birth: birth.get(i).and_then(|b| PartialDate::parse(b).ok()),
        };
        let e = enc.encode(&ids, rk.as_bytes());
        for (k, v) in MATCH_KEYS.iter().zip(&e.match_keys) {
            if v.is_some() {
                *stats.keys_made.entry((*k).to_string()).or_default() += 1;
            }
        }
        let mut row = vec![
            Value::Str(Some(fingerprint.clone())),
            Value::Str(Some(o.to_string())),
            Value::Int(Some(y)),
            Value::Str(Some(rk)),
            Value::Str(relk),
        ];
        row.extend(attrs.iter().map(|a| Value::Str(a.get(i).map(str::to_string))));
        row.extend(
            e.match_keys
                .iter()
                .chain(&e.block_keys)
                .chain(&e.date_parts)
                .map(|v| Value::Int(*v)),
        );
        row.push(Value::Bin(e.bloom));
        sink.push(row)?;
        stats.records += 1;
    }
    sink.finish()?;
    Ok((org_name, stats))
}
