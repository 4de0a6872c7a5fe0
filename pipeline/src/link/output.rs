//! Writes the link stage's outputs: persons (with their answers resolved), the
//! record-to-person map, the duplicate cross-check (`overlap`) and the report (`report`).

use std::path::Path;

use rand::TryRngCore;

use super::load::Records;
use super::overlap::Overlap;
use super::report::LinkReport;
use super::resolve::{ResolveStats, Resolver};
use super::{LinkParams, Linkage};
use crate::FastMap;
use crate::error::{InternalError, LinkageError, StageError};
use crate::parquet_io::{Coded, Interner, Kind, Out, ParquetSink};

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

/// Persons as compact index arrays: the person of each record, and each person's records
/// (in input order) as slices of one flat list.
pub struct Persons {
    /// Each person's first record.
    first: Vec<u32>,
    /// The persons of more than one record, in order.
    several: Vec<u32>,
    pub of_record: Vec<u32>,
    start: Vec<usize>,
    records: Vec<u32>,
}

impl Persons {
    /// Persons in order of their first record, so outputs follow the inputs' order.
    fn new(roots: &[u32]) -> Self {
        let mut person_of_root = vec![u32::MAX; roots.len()];
        let mut of_record = Vec::with_capacity(roots.len());
        let mut n = 0u32;
        for &root in roots {
            let p = &mut person_of_root[root as usize];
            if *p == u32::MAX {
                *p = n;
                n += 1;
            }
            of_record.push(*p);
        }
        let mut start = vec![0usize; n as usize + 1];
        for &p in &of_record {
            start[p as usize + 1] += 1;
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut fill = start.clone();
        let mut records = vec![0u32; roots.len()];
        for (i, &p) in of_record.iter().enumerate() {
            records[fill[p as usize]] = i as u32;
            fill[p as usize] += 1;
        }
        let first: Vec<u32> = start[..start.len() - 1].iter().map(|&s| records[s]).collect();
        let several: Vec<u32> = (0..n)
            .filter(|&p| start[p as usize + 1] - start[p as usize] > 1)
            .collect();
        Persons {
            first,
            several,
            of_record,
            start,
            records,
        }
    }

    pub fn len(&self) -> usize {
        self.start.len() - 1
    }

    pub fn records(&self, p: usize) -> &[u32] {
        &self.records[self.start[p]..self.start[p + 1]]
    }
}

/// The persons of several records in one batch of persons, and where their records' answers go,
/// so that an answer column is read in record order (a stream through memory) rather than
/// person by person (a cache miss for nearly every record, since a person's records come from
/// different files).
struct Several {
    /// Each such person (its place in the batch) and where its answers start in the gathered list.
    persons: Vec<(usize, usize)>,
    /// (record, place in the gathered list), sorted by record.
    by_record: Vec<(u32, u32)>,
}

impl Several {
    fn new(persons: &Persons, range: std::ops::Range<usize>) -> Self {
        let (lo, hi) = (
            persons.several.partition_point(|&p| (p as usize) < range.start),
            persons.several.partition_point(|&p| (p as usize) < range.end),
        );
        let mut list = Vec::with_capacity(hi - lo);
        let mut by_record = Vec::new();
        for &p in &persons.several[lo..hi] {
            list.push((p as usize - range.start, by_record.len()));
            for &rec in persons.records(p as usize) {
                let place = by_record.len() as u32;
                by_record.push((rec, place));
            }
        }
        by_record.sort_unstable();
        Several {
            persons: list,
            by_record,
        }
    }

    /// One column's answer codes of every listed record, person after person.
    fn codes(&self, col: &Coded) -> Vec<u32> {
        let mut out = vec![0u32; self.by_record.len()];
        for &(rec, place) in &self.by_record {
            out[place as usize] = col.codes[rec as usize];
        }
        out
    }

    /// Where the k-th person's answers are in `codes`.
    fn records(&self, k: usize) -> std::ops::Range<usize> {
        let end = self
            .persons
            .get(k + 1)
            .map_or(self.by_record.len(), |&(_, at)| at);
        self.persons[k].1..end
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

/// One batch of the person table, column by column; answer columns are resolved on every core.
fn person_batch(
    r: &Records,
    persons: &Persons,
    ids: &StringChunked,
    range: std::ops::Range<usize>,
    resolvers: &[Resolver],
    (report, overlap): (&mut LinkReport, &mut Overlap),
) -> Result<Vec<Out>, StageError> {
    let n = range.len();
    // Organisation lists: one organisation's name is its own code (offset past the null).
    let mut orgs = Interner::new(
        std::iter::once(None)
            .chain(r.orgs.iter().cloned().map(Some))
            .collect(),
    );
    let mut org_codes = Vec::with_capacity(n);
    let (mut year, mut n_records, mut n_orgs) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut list: Vec<u16> = Vec::new();
    for p in range.clone() {
        let recs = persons.records(p);
        list.clear();
        list.extend(recs.iter().map(|&i| r.org[i as usize]));
        list.sort_unstable_by(|a, b| r.orgs[*a as usize].cmp(&r.orgs[*b as usize]));
        list.dedup();
        overlap.add(&list);
        report.persons_repeated_in_an_organisation += u64::from(recs.len() > list.len());
        year.push(r.report_year[recs[0] as usize]);
        n_records.push(recs.len() as i64);
        n_orgs.push(list.len() as i64);
        org_codes.push(match list.as_slice() {
            [one] => u32::from(*one) + 1,
            many => {
                let names: Vec<&str> = many.iter().map(|&o| r.orgs[o as usize].as_str()).collect();
                orgs.code(Some(&names.join(";")))
            }
        });
    }
    let mut columns = vec![
        Out::Unique(ids.slice(range.start as i64, n).into_column()),
        Out::Col(Int64Chunked::from_vec("report_year".into(), year).into_column()),
        Out::Col(Int64Chunked::from_vec("n_records".into(), n_records).into_column()),
        Out::Col(Int64Chunked::from_vec("n_orgs".into(), n_orgs).into_column()),
        gather("orgs", &orgs.dict, org_codes),
    ];
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let per = resolvers.len().div_ceil(threads).max(1);
    let several = &Several::new(persons, range.clone());
    let done: Vec<Result<(Vec<Out>, ResolveStats), StageError>> = std::thread::scope(|s| {
        let handles: Vec<_> = resolvers
            .chunks(per)
            .enumerate()
            .map(|(c, chunk)| {
                let range = range.clone();
                s.spawn(move || {
                    let mut stats = ResolveStats::default();
                    let cols = chunk
                        .iter()
                        .enumerate()
                        .map(|(k, res)| {
                            resolve_column(r, (persons, several), range.clone(), c * per + k, res, &mut stats)
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((cols, stats))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("resolving answers does not panic"))
            .collect()
    });
    for d in done {
        let (cols, stats) = d?;
        columns.extend(cols);
        report.resolution.add(stats);
    }
    Ok(columns)
}

/// One answer column of the person table: a person with one record keeps that record's code;
/// the answers of several records are resolved by the declared rule.
fn resolve_column(
    r: &Records,
    (persons, several): (&Persons, &Several),
    range: std::ops::Range<usize>,
    a: usize,
    res: &Resolver,
    stats: &mut ResolveStats,
) -> Result<Out, StageError> {
    let col = &r.attrs[a];
    let mut interner = Interner::new(col.values.clone());
    let mut stats_single = ResolveStats::default();
    // A person with one record gets that answer as the rule resolves it alone (a union drops
    // `unknown` beside known codes and orders them), worked out once per distinct answer.
    let single: Vec<u32> = col
        .values
        .iter()
        .map(|v| {
            interner.code(
                res.resolve(std::iter::once(v.as_deref()), &mut stats_single)
                    .as_deref(),
            )
        })
        .collect();
    // The rule is a function of the set of a person's answers (order does not matter), so for
    // the common small persons its result, and whether it was a conflict or settled by
    // precedence, is kept per sorted set of codes.
    let mut memo: FastMap<[u32; 4], (u32, bool, bool)> = FastMap::default();
    // Persons of two records, by far the most common of them, look up a table when the column
    // has few distinct answers.
    let n = col.values.len() as u32;
    let mut pairs: Option<Vec<Option<(u32, bool, bool)>>> = (n <= 256).then(|| vec![None; (n * n) as usize]);
    let (mut conflicts, mut by_precedence) = (0u64, 0u64);
    // Every person first as if alone (a tight gather), then the persons of several records.
    let mut codes: Vec<u32> = persons.first[range.clone()]
        .iter()
        .map(|&rec| single[col.codes[rec as usize] as usize])
        .collect();
    let flat = several.codes(col);
    for (k, &(p, _)) in several.persons.iter().enumerate() {
        let recs = &flat[several.records(k)];
        let mut resolve = || resolve_codes(col, res, &mut interner, recs);
        let (code, conflict, settled) = match (recs, pairs.as_mut()) {
            (&[a, b], Some(table)) => *table[(a.min(b) * n + a.max(b)) as usize].get_or_insert_with(resolve),
            _ if recs.len() <= 4 => {
                let mut key = [u32::MAX; 4];
                key[..recs.len()].copy_from_slice(recs);
                key.sort_unstable();
                *memo.entry(key).or_insert_with(resolve)
            }
            _ => resolve(),
        };
        codes[p] = code;
        conflicts += u64::from(conflict);
        by_precedence += u64::from(settled);
    }
    if conflicts > 0 {
        *stats.conflicts.entry(res.column.to_string()).or_default() += conflicts;
    }
    if by_precedence > 0 {
        *stats.by_precedence.entry(res.column.to_string()).or_default() += by_precedence;
    }
    Ok(gather(&r.attr_names[a], &interner.dict, codes))
}

/// One person's answer from its records' answer codes, and whether the records disagreed with
/// no precedence to settle it (a conflict) or were settled by precedence.
fn resolve_codes(col: &Coded, res: &Resolver, interner: &mut Interner, codes: &[u32]) -> (u32, bool, bool) {
    let mut seen = ResolveStats::default();
    let values = codes.iter().map(|&c| col.values[c as usize].as_deref());
    let code = interner.code(res.resolve(values, &mut seen).as_deref());
    (code, !seen.conflicts.is_empty(), !seen.by_precedence.is_empty())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parquet_io::Coded;
    use crate::schema::{Resolution, RuleKind};

    #[test]
    fn a_person_with_one_record_is_resolved_by_the_same_rule() {
        let r = Records {
            attr_names: vec!["forms".into()],
            attrs: vec![Coded {
                codes: vec![1, 2, 1],
                values: vec![None, Some("sexual;unknown".into()), Some("labour".into())],
            }],
            ..Default::default()
        };
        // Records 0 and 1 are one person; record 2 is another, alone.
        let persons = Persons::new(&[0, 0, 2]);
        let rule = Resolution {
            rule: RuleKind::Union,
            precedence: vec![],
        };
        let res = Resolver {
            column: "forms",
            rule: &rule,
            list: None,
            separator: ';',
        };
        let col = resolve_column(
            &r,
            (&persons, &Several::new(&persons, 0..2)),
            0..2,
            0,
            &res,
            &mut ResolveStats::default(),
        )
        .expect("column");
        let Out::Coded { dict, codes, .. } = col else {
            panic!("answers are written as dictionary codes")
        };
        let values: Vec<Option<&str>> = codes.iter().map(|&c| dict[c as usize].as_deref()).collect();
        assert_eq!(values, [Some("labour;sexual"), Some("sexual")]);
    }

    #[test]
    fn several_records_resolve_by_the_rule_whatever_their_order_and_each_conflict_counts() {
        let r = Records {
            attr_names: vec!["gender".into()],
            attrs: vec![Coded {
                codes: vec![1, 2, 2, 1, 3, 1, 1, 2, 2, 3, 0, 1, 3, 2],
                values: vec![
                    None,
                    Some("woman".into()),
                    Some("man".into()),
                    Some("unknown".into()),
                ],
            }],
            ..Default::default()
        };
        // Two persons with the same two answers in either order, one whose `unknown` gives way,
        // one of five records (resolved without the memo) and one of three.
        let persons = Persons::new(&[0, 0, 2, 2, 4, 4, 6, 6, 6, 6, 6, 11, 11, 11]);
        let rule = Resolution {
            rule: RuleKind::Single,
            precedence: vec![],
        };
        let res = Resolver {
            column: "gender",
            rule: &rule,
            list: None,
            separator: ';',
        };
        let mut stats = ResolveStats::default();
        let Out::Coded { dict, codes, .. } = resolve_column(
            &r,
            (&persons, &Several::new(&persons, 0..5)),
            0..5,
            0,
            &res,
            &mut stats,
        )
        .expect("column") else {
            panic!("answers are written as dictionary codes")
        };
        let values: Vec<Option<&str>> = codes.iter().map(|&c| dict[c as usize].as_deref()).collect();
        assert_eq!(
            values,
            [Some("man"), Some("man"), Some("woman"), Some("man"), Some("man")]
        );
        assert_eq!(
            stats.conflicts.get("gender"),
            Some(&4),
            "every conflicting person counts, memo or not"
        );
    }
}
