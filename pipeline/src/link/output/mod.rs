//! Writes the link stage's outputs: persons (with their answers resolved), the
//! record-to-person map, the duplicate cross-check (`overlap`) and the report (`report`).

use std::path::Path;

use rand::TryRngCore;

mod answers;
mod persons;

use super::load::Records;
use super::overlap::Overlap;
use super::report::LinkReport;
use super::resolve::Resolver;
use super::{LinkParams, Linkage};
use crate::error::{InternalError, LinkageError, StageError};
use crate::parquet_io::{Kind, Out, ParquetSink};
use answers::person_batch;
use persons::Persons;

use crate::schema::{LinkageSpec, Schema};
use polars::prelude::*;

pub const PERSONS: &str = "persons.parquet";
pub const RECORD_MAP: &str = "record_map.parquet";

/// Fresh random person ids: a ChaCha20 generator seeded once from the operating system, so
/// ids reveal nothing about records and millions of them cost no million system calls.
fn random_ids(n: usize) -> Result<Vec<u64>, StageError> {
    use rand::{Rng, SeedableRng};
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .map_err(LinkageError::NoRandomness)?;
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
    let mut out: Vec<u64> = (0..n).map(|_| rng.random()).collect();
    // Ids must be unique; a repeat (chance about n^2 / 2^65) is drawn again.
    loop {
        let mut sorted = out.clone();
        sorted.sort_unstable();
        let repeated: std::collections::HashSet<u64> =
            sorted.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
        if repeated.is_empty() {
            return Ok(out);
        }
        let mut first = std::collections::HashSet::new();
        for v in out.iter_mut() {
            if repeated.contains(v) && !first.insert(*v) {
                *v = rng.random();
            }
        }
    }
}

/// Rows written per Parquet batch: bounds the memory of the output columns.
const BATCH: usize = 1 << 20;

/// Writes persons, the record map, T21 and the report into `out`.
pub fn write_outputs(
    schema: &Schema,
    spec: &LinkageSpec,
    r: &Records,
    link: &Linkage,
    params: &LinkParams,
    out: &Path,
) -> Result<LinkReport, StageError> {
    // Person ids are drawn while the records are grouped into persons: a person is a root.
    let (persons, ids) = std::thread::scope(|s| {
        let ids = s.spawn(|| {
            let n = link
                .roots
                .iter()
                .enumerate()
                .filter(|&(i, &r)| r as usize == i)
                .count();
            random_ids(n).map(|ids| id_column(&ids))
        });
        let persons = Persons::new(&link.roots);
        let ids = ids.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (persons, ids)
    });
    let ids = ids?;
    if ids.len() != persons.len() {
        return Err(InternalError::NotAForest {
            ids: ids.len(),
            persons: persons.len(),
        }
        .into());
    }
    let mut report = LinkReport {
        key_fingerprint: r.fingerprint.clone(),
        params: Some(params.clone()),
        effective_thresholds: link.fuzzy.as_ref().map(|_| link.thresholds),
        records: r.len() as u64,
        persons: persons.len() as u64,
        organisations: r.orgs.len() as u64,
        exact: link.exact.clone(),
        fuzzy: link.fuzzy.clone(),
        refused_pnr_merges: link.refused_pnr_merges,
        records_without_identifiers: without_identifiers(r),
        ..Default::default()
    };
    let resolvers = resolvers(schema, spec, r)?;
    // The record map is written while the person table is: neither alone keeps both cores
    // busy. T21 is counted from the organisation lists the person table makes anyway.
    std::thread::scope(|s| {
        let others = s.spawn(|| write_record_map(r, link, &persons, &ids, out));
        let path = out.join(PERSONS);
        let mut sink = ParquetSink::create(&path, &person_columns(r))?;
        let mut overlap = Overlap::new(r.orgs.len());
        for a in (0..persons.len()).step_by(BATCH) {
            let range = a..(a + BATCH).min(persons.len());
            let columns = person_batch(r, &persons, &ids, range, &resolvers, (&mut report, &mut overlap))?;
            sink.push_batch(columns)?;
        }
        sink.finish()?;
        report.persons_by_organisations = overlap.by_one_two_more();
        overlap.write(r, out)?;
        others.join().unwrap_or_else(|_| {
            Err(InternalError::Panicked {
                what: "writing the record map",
            }
            .into())
        })
    })?;
    Ok(report)
}

fn person_columns(r: &Records) -> Vec<(&str, Kind)> {
    let mut cols: Vec<(&str, Kind)> = vec![
        ("person_id", Kind::Str),
        ("report_year", Kind::Int),
        ("n_records", Kind::Int),
        ("n_orgs", Kind::Int),
        ("orgs", Kind::Str),
    ];
    cols.extend(r.attr_names.iter().map(|n| (n.as_str(), Kind::Str)));
    cols
}

fn resolvers<'a>(
    schema: &'a Schema,
    spec: &'a LinkageSpec,
    r: &'a Records,
) -> Result<Vec<Resolver<'a>>, StageError> {
    r.attr_names
        .iter()
        .map(|n| {
            let rule = spec
                .resolution
                .get(n)
                .ok_or_else(|| LinkageError::NoRule { column: n.clone() })?;
            let list = schema.column(n).and_then(|c| schema.list_for(c));
            Ok(Resolver {
                column: n.as_str(),
                rule,
                list,
                separator: schema.multi_separator,
            })
        })
        .collect()
}

/// Every person's id as a text column, built once: the person table takes slices of it and
/// the record map gathers from it.
fn id_column(ids: &[u64]) -> StringChunked {
    let mut b = StringChunkedBuilder::new("person_id".into(), ids.len());
    let mut buf = [0u8; 16];
    for v in ids {
        hex::encode_to_slice(v.to_be_bytes(), &mut buf).expect("8 bytes make 16 hex digits");
        b.append_value(std::str::from_utf8(&buf).expect("hex digits are ASCII"));
    }
    b.finish()
}

/// A text column from dictionary codes: the writer stores the few distinct values once and
/// the codes as they are. Code 0 is null when `dict[0]` is None.
fn gather(name: &str, dict: &[Option<String>], codes: Vec<u32>) -> Out {
    Out::Coded {
        name: name.into(),
        dict: dict.to_vec(),
        codes,
    }
}

fn write_record_map(
    r: &Records,
    link: &Linkage,
    persons: &Persons,
    ids: &StringChunked,
    out: &Path,
) -> Result<(), StageError> {
    let cols = [
        ("org_id", Kind::Str),
        ("record_key", Kind::Str),
        ("person_id", Kind::Str),
        ("exact_cluster", Kind::Int),
    ];
    let path = out.join(RECORD_MAP);
    let mut sink = ParquetSink::create(&path, &cols)?;
    let org_dict: Vec<Option<String>> = r.orgs.iter().cloned().map(Some).collect();
    for a in (0..r.len()).step_by(BATCH) {
        let range = a..(a + BATCH).min(r.len());
        let n = range.len();
        let org: Vec<u32> = r.org[range.clone()].iter().map(|&o| u32::from(o)).collect();
        let person =
            ids.take(&persons.of_record[range.clone()])
                .map_err(|source| LinkageError::RecordMap {
                    path: path.clone(),
                    source,
                })?;
        let cluster: Vec<i64> = link.exact_roots[range].iter().map(|&c| i64::from(c)).collect();
        sink.push_batch(vec![
            gather("org_id", &org_dict, org),
            Out::Unique(
                r.record_key
                    .slice(a as i64, n)
                    .with_name("record_key".into())
                    .into_column(),
            ),
            Out::Unique(person.into_column()),
            Out::Col(Int64Chunked::from_vec("exact_cluster".into(), cluster).into_column()),
        ])?;
    }
    sink.finish()?;
    Ok(())
}

/// Records that carry no match key and no name filter: no name, no personal number, and no
/// full birth date with a name. Nothing can link them, so a person among them reported by
/// several organisations is counted once by each. Unknown when the filters were not read
/// (the exact step alone).
fn without_identifiers(r: &Records) -> Option<u64> {
    r.has_fuzzy_columns().then(|| {
        (0..r.len())
            .filter(|&i| r.match_keys.iter().all(|k| k[i] == 0) && r.bloom[i].iter().all(|w| *w == 0))
            .count() as u64
    })
}
