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
use crate::parquet_io::{Coded, Kind, Out, ParquetSink, code_text, read_coded, read_columns};
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

/// The validated columns pseudonymise reads besides the answers.
const IDENTIFIER_COLUMNS: [&str; 8] = [
    "org_id",
    "report_year",
    "record_id",
    "related_record_id",
    "personal_number",
    "given_name",
    "family_name",
    "birth_date",
];

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
/// Files go one after another; within a file, rows are split between the cores.
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
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Each core keeps its own encoder, and so its own caches, for the whole run.
    let mut encoders: Vec<Encoder> = (0..threads).map(|_| Encoder::new(key)).collect();
    let mut report = PseudoReport {
        key_fingerprint: key.fingerprint(),
        orgs: BTreeMap::new(),
    };
    for path in &files {
        let (org, stats) = pseudonymise_file(schema, key, &mut encoders, path, out)?;
        report.orgs.insert(org, stats);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(report)
}

/// Rows encoded per batch (and written per row group): bounds memory on large files.
const BATCH: usize = 1 << 18;

/// The input columns a file's rows are encoded from.
struct Inputs<'a> {
    org: &'a StringChunked,
    year: &'a Int64Chunked,
    rid: &'a StringChunked,
    rel: &'a StringChunked,
    pnr: &'a StringChunked,
    given: &'a StringChunked,
    family: &'a StringChunked,
    birth: &'a StringChunked,
}

fn pseudonymise_file(
    schema: &Schema,
    key: &LinkageKey,
    encoders: &mut [Encoder],
    path: &Path,
    out: &Path,
) -> Result<(String, OrgPseudo), StageError> {
    // Answers are carried as dictionary codes, read straight from the validated file's
    // dictionary pages where it has them; the identifiers and any other answer are read as text.
    let attr_names = attribute_columns(schema);
    let owned: Vec<String> = attr_names.iter().map(|n| n.to_string()).collect();
    let mut coded = read_coded(path, &owned).map_err(|e| StageError::ParquetRead {
        path: path.to_path_buf(),
        message: e,
    })?;
    let mut wanted: Vec<&str> = IDENTIFIER_COLUMNS.to_vec();
    wanted.extend(
        attr_names
            .iter()
            .zip(&coded)
            .filter(|(_, c)| c.is_none())
            .map(|(n, _)| *n),
    );
    let df = read_columns(path, &wanted)?;
    let org_name = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let col = |n: &str| str_col(&df, n, path);
    let inputs = Inputs {
        org: col("org_id")?,
        year: df
            .column("report_year")
            .and_then(|c| c.i64())
            .map_err(|e| StageError::ParquetRead {
                path: path.to_path_buf(),
                message: format!("column report_year: {e}"),
            })?,
        rid: col("record_id")?,
        rel: col("related_record_id")?,
        pnr: col("personal_number")?,
        given: col("given_name")?,
        family: col("family_name")?,
        birth: col("birth_date")?,
    };
    let attrs: Vec<Coded> = attr_names
        .iter()
        .zip(&mut coded)
        .map(|(n, c)| c.take().map_or_else(|| col(n).map(code_text), Ok))
        .collect::<Result<_, _>>()?;
    // The fingerprint is one value and the organisation a few: both are written as codes.
    let org = code_text(inputs.org);
    let out_path = out.join(format!("{org_name}.parquet"));
    let mut sink = ParquetSink::create(&out_path, &output_columns(schema))?;
    let fingerprint = key.fingerprint();
    let mut stats = OrgPseudo::default();
    for start in (0..df.height()).step_by(BATCH) {
        let len = BATCH.min(df.height() - start);
        let per = len.div_ceil(encoders.len()).max(1);
        let parts: Vec<(Vec<Column>, [u64; 5])> = std::thread::scope(|s| {
            let handles: Vec<_> = encoders
                .iter_mut()
                .enumerate()
                .map(|(t, enc)| {
                    let range = (start + t * per).min(start + len)..(start + (t + 1) * per).min(start + len);
                    let inputs = &inputs;
                    s.spawn(move || encode_rows(enc, inputs, range))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("encoding a row does not panic"))
                .collect()
        });
        let mut offset = start;
        for (encoded, made) in parts {
            let n = encoded.first().map_or(0, Column::len);
            if n == 0 {
                continue;
            }
            let mut columns = vec![
                Out::Coded {
                    name: FINGERPRINT.into(),
                    dict: vec![Some(fingerprint.clone())],
                    codes: vec![0; n],
                },
                Out::Coded {
                    name: "org_id".into(),
                    dict: org.values.clone(),
                    codes: org.codes[offset..offset + n].to_vec(),
                },
                Out::Col(inputs.year.slice(offset as i64, n).into_column()),
            ];
            let mut encoded = encoded.into_iter();
            // Record keys, match keys and filters are keyed hashes: nothing repeats to code or compress.
            columns.extend(encoded.by_ref().take(2).map(Out::Unique));
            columns.extend(attrs.iter().zip(&attr_names).map(|(a, name)| Out::Coded {
                name: (*name).into(),
                dict: a.values.clone(),
                codes: a.codes[offset..offset + n].to_vec(),
            }));
            columns.extend(encoded.by_ref().take(MATCH_KEYS.len()).map(Out::Unique));
            columns.extend(
                encoded
                    .by_ref()
                    .take(BLOCK_KEYS.len() + DATE_PARTS.len())
                    .map(Out::Col),
            );
            columns.extend(encoded.map(Out::Unique));
            sink.push_batch(columns)?;
            for (k, m) in MATCH_KEYS.iter().zip(made) {
                *stats.keys_made.entry((*k).to_string()).or_default() += m;
            }
            stats.records += n as u64;
            offset += n;
        }
    }
    sink.finish()?;
    Ok((org_name, stats))
}

/// Encodes a range of rows: record keys, match keys, blocking keys, date parts and filters, as
/// columns in output order, and how many rows got each match key.
fn encode_rows(enc: &mut Encoder, x: &Inputs, range: std::ops::Range<usize>) -> (Vec<Column>, [u64; 5]) {
    /// Records whose keyed hashes are computed together.
    const GROUP: usize = 1024;
    let n = range.len();
    let mut rk = StringChunkedBuilder::new(RECORD_KEY.into(), n);
    let mut relk = StringChunkedBuilder::new(RELATED_KEY.into(), n);
    let mut ints: Vec<Vec<Option<i64>>> =
        vec![Vec::with_capacity(n); MATCH_KEYS.len() + BLOCK_KEYS.len() + DATE_PARTS.len()];
    let mut blooms = Vec::with_capacity(n);
    let mut made = [0u64; 5];
    let rows: Vec<usize> = range.collect();
    // A file holds a year or two: each year's text is made once, not once per row.
    let year_text: BTreeMap<i64, String> = rows
        .iter()
        .map(|&i| x.year.get(i).unwrap_or(0))
        .collect::<std::collections::BTreeSet<i64>>()
        .into_iter()
        .map(|y| (y, y.to_string()))
        .collect();
    let years: Vec<&str> = rows
        .iter()
        .map(|&i| year_text[&x.year.get(i).unwrap_or(0)].as_str())
        .collect();
    let mut hex = [0u8; 32];
    for (group, years) in rows.chunks(GROUP).zip(years.chunks(GROUP)) {
        let ids: Vec<Identifiers> = group
            .iter()
            .zip(years)
            .map(|(&i, year)| Identifiers {
                org: x.org.get(i).unwrap_or(""),
                year,
                record_id: x.rid.get(i).unwrap_or(""),
                related_id: x.rel.get(i),
                personal_number: x.pnr.get(i),
                given: x.given.get(i).unwrap_or(""),
                family: x.family.get(i).unwrap_or(""),
                birth: x.birth.get(i).and_then(|b| PartialDate::parse(b).ok()),
            })
            .collect();
        for e in enc.encode_many(&ids) {
            hex::encode_to_slice(e.record_key, &mut hex).expect("16 bytes make 32 hex digits");
            rk.append_value(std::str::from_utf8(&hex).expect("hex digits are ASCII"));
            relk.append_option(e.related_key.map(hex::encode));
            for (m, v) in made.iter_mut().zip(&e.match_keys) {
                *m += u64::from(v.is_some());
            }
            for (dst, v) in ints
                .iter_mut()
                .zip(e.match_keys.iter().chain(&e.block_keys).chain(&e.date_parts))
            {
                dst.push(*v);
            }
            blooms.push(e.bloom);
        }
    }
    let mut columns = vec![rk.finish().into_column(), relk.finish().into_column()];
    columns.extend(
        MATCH_KEYS
            .iter()
            .chain(&BLOCK_KEYS)
            .chain(&DATE_PARTS)
            .zip(ints)
            .map(|(name, v)| Int64Chunked::from_slice_options((*name).into(), &v).into_column()),
    );
    columns.push(
        BinaryChunked::from_iter(blooms)
            .with_name(BLOOM.into())
            .into_column(),
    );
    (columns, made)
}
