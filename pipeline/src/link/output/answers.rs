//! One batch of the person table: its counting columns, and each answer column resolved from
//! the person's records by the declared rule, on every core.

use super::gather;
use super::persons::{Persons, Several};
use crate::FastMap;
use crate::error::StageError;
use crate::link::load::Records;
use crate::link::overlap::Overlap;
use crate::link::report::LinkReport;
use crate::link::resolve::{ResolveStats, Resolver};
use crate::parquet_io::{Coded, Interner, Out};
use polars::prelude::*;

/// One batch of the person table, column by column; answer columns are resolved on every core.
pub(super) fn person_batch(
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
