//! The exact step: records that share a match-key value are one person. A value shared by more
//! records than is plausible (a default or placeholder) is ignored and reported.

use std::collections::BTreeMap;

use super::gate::{Gate, Joined};
use super::load::Records;
use super::unionfind::Clusters;
use crate::pseudonymise::MATCH_KEYS;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExactStats {
    /// Merges each key made (joins of two clusters that were apart).
    pub merges: BTreeMap<String, u64>,
    /// Key values ignored because too many records shared them: (groups, records).
    pub ignored_values: BTreeMap<String, (u64, u64)>,
    /// Personal numbers ignored because one organisation gave each to records of different
    /// names or birth dates (a number used as a placeholder): (numbers, records).
    #[serde(default)]
    pub ignored_pnr_placeholders: (u64, u64),
    /// Records whose name and birth date are a placeholder (a name key shared by too many
    /// records): the fuzzy step leaves them alone too. Empty when there are none.
    #[serde(skip)]
    pub placeholders: Vec<bool>,
    /// Pairs sharing a key that likens names (`GATED_KEYS`) not joined because their records
    /// disagree on gender.
    #[serde(default)]
    pub refused_by_answers: u64,
    /// Month-and-day values common enough to be placeholders (`link::common`), and the
    /// records with a full birth date on them.
    #[serde(default)]
    pub common_dates: (u64, u64),
}

/// Keys whose equal values mean alike names, not the same ones: the phonetic code writes every
/// vowel alike, so twins Maria and Mario born the same day share the phonetic key; what their
/// records know of gender must then agree. Alike names on a common birth day (`link::common`)
/// are too little to join on at all: the fuzzy step scores those pairs instead.
const GATED_KEYS: [&str; 1] = ["mk_phonetic_dob"];

/// Sorted (value, record) pairs of one key column (0 = no key); runs of equal values are groups.
pub fn groups(values: &[i64]) -> Vec<(i64, u32)> {
    // Key values are keyed hashes, spread evenly: the pairs are scattered by their top 8 bits (in
    // signed order), each of those buckets again by the next 11 bits, and only then are the
    // small buckets sorted. Each scatter writes to few enough places to stay in the cache, where
    // one scatter into 65 536 places missed it on nearly every write (0.45 s against 0.75 s for
    // 8M keys); the order is that of one full sort.
    let digit =
        |k: i64, shift: u32, bits: u32| ((((k as u64) ^ (1 << 63)) >> shift) & ((1 << bits) - 1)) as usize;
    let present = values.iter().filter(|k| **k != 0).count();
    let mut out = vec![(0i64, 0u32); present];
    let starts = scatter(
        values
            .iter()
            .enumerate()
            .filter(|(_, k)| **k != 0)
            .map(|(i, &k)| (k, i as u32)),
        &mut out,
        (|k| digit(k, 56, 8), 8),
    );
    // The second scatter goes from a copy of each first-level bucket (small enough for the
    // cache) back into its place, so only one big buffer is touched per key.
    let mut scratch = Vec::new();
    for w in starts.windows(2) {
        scratch.clear();
        scratch.extend_from_slice(&out[w[0]..w[1]]);
        let to = &mut out[w[0]..w[1]];
        let inner = scatter(scratch.iter().copied(), to, (|k| digit(k, 45, 11), 11));
        for v in inner.windows(2) {
            to[v[0]..v[1]].sort_unstable();
        }
    }
    out
}

/// Places `pairs` into `into` by bucket (stable within a bucket; `bucket` gives one of 2^bits)
/// and returns where each bucket starts, with the end last.
fn scatter<I>(pairs: I, into: &mut [(i64, u32)], (bucket, bits): (impl Fn(i64) -> usize, u32)) -> Vec<usize>
where
    I: Iterator<Item = (i64, u32)> + Clone,
{
    let mut start = vec![0usize; (1 << bits) + 1];
    for (k, _) in pairs.clone() {
        start[bucket(k) + 1] += 1;
    }
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    let mut fill = start.clone();
    for (k, i) in pairs {
        let b = bucket(k);
        into[fill[b]] = (k, i);
        fill[b] += 1;
    }
    start
}

pub fn for_each_run(sorted: &[(i64, u32)], mut f: impl FnMut(&[(i64, u32)])) {
    let mut start = 0;
    for i in 1..=sorted.len() {
        if i == sorted.len() || sorted[i].0 != sorted[start].0 {
            f(&sorted[start..i]);
            start = i;
        }
    }
}

/// Whether two records are alike enough for the fuzzy step to join them (`fuzzy::alike`).
pub type Alike<'a> = &'a dyn Fn(usize, usize) -> bool;

/// Joins the records of each run of equal values of one key, except runs too long to be one
/// person and, for personal numbers, runs that are not one person's (`one_persons_number`).
fn join_runs(
    (name, gate): (&str, Option<&Gate>),
    (pairs, r, alike): (&[(i64, u32)], &Records, Option<Alike>),
    clusters: &mut Clusters,
    max_group: usize,
    stats: &mut ExactStats,
) {
    let mut merges = 0u64;
    let mut ignored = (0u64, 0u64);
    let records = clusters.len();
    let mut answers = gate.map(|g| g.by_cluster(clusters));
    for_each_run(pairs, |run| {
        if run.len() > max_group {
            ignored.0 += 1;
            ignored.1 += run.len() as u64;
            // A shared personal number says nothing about the names beside it.
            if name != "mk_pnr" {
                let p = &mut stats.placeholders;
                p.resize(records, false);
                for &(_, i) in run {
                    p[i as usize] = true;
                }
            }
            return;
        }
        if name == "mk_pnr" && !one_persons_number(r, run, alike) {
            stats.ignored_pnr_placeholders.0 += 1;
            stats.ignored_pnr_placeholders.1 += run.len() as u64;
            return;
        }
        match answers.as_mut() {
            None => {
                for w in run.windows(2) {
                    merges += u64::from(clusters.union(w[0].1, w[1].1));
                }
            }
            // Runs are short (at most `max_group`), so every pair is tried.
            Some(answers) => {
                for (a, &(_, i)) in run.iter().enumerate() {
                    for &(_, j) in &run[a + 1..] {
                        match answers.join(clusters, i, j) {
                            Joined::Yes => merges += 1,
                            Joined::Refused => stats.refused_by_answers += 1,
                            Joined::Already => {}
                        }
                    }
                }
            }
        }
    });
    stats.merges.insert(name.to_string(), merges);
    if ignored.0 > 0 {
        stats.ignored_values.insert(name.to_string(), ignored);
    }
}

/// Whether the records sharing one personal number can be one person's. A person is rarely
/// entered twice by one organisation, and then under one name and birth date; an
/// organisation that gives one number to records of different names or dates uses it as a
/// placeholder (the Tax Agency's example 19121212-1212, a number typed for everyone without
/// one), and across organisations it would join different people whatever the limit on group
/// size: an outside review joined seven women of four organisations on it. So two records of
/// one organisation in the run must share a key of name and birth date (the same sorted name
/// tokens, or the same phonetic codes, on one date), or be `alike` as the fuzzy step judges
/// a pair (a typo) where the filters were read; across organisations names may differ (a
/// married name, another spelling), as the number is what joins them.
fn one_persons_number(r: &Records, run: &[(i64, u32)], alike: Option<Alike>) -> bool {
    if run.len() < 2 {
        return true;
    }
    let name_keys: Vec<&Vec<i64>> = MATCH_KEYS
        .iter()
        .zip(&r.match_keys)
        .filter(|(name, _)| **name != "mk_pnr")
        .map(|(_, k)| k)
        .collect();
    let same_name = |i: usize, j: usize| name_keys.iter().any(|k| k[i] != 0 && k[i] == k[j]);
    run.iter().enumerate().all(|(a, &(_, i))| {
        run[a + 1..].iter().all(|&(_, j)| {
            let (i, j) = (i as usize, j as usize);
            r.org[i] != r.org[j] || same_name(i, j) || alike.is_some_and(|a| a(i, j))
        })
    })
}

pub fn link_exact(
    r: &Records,
    clusters: &mut Clusters,
    (use_keys, common_dates): (&[String], &[bool]),
    (max_group, gate, alike): (usize, &Gate, Option<Alike>),
) -> ExactStats {
    let mut stats = ExactStats::default();
    // Sorting is the costly part: the cores sort the keys, and each key's joins run as soon as
    // its sort and those before it are done, while the later keys are still sorting.
    let used: Vec<(&str, &Vec<i64>)> = MATCH_KEYS
        .iter()
        .zip(&r.match_keys)
        .filter(|(name, _)| use_keys.iter().any(|u| u == *name))
        .map(|(name, k)| (*name, k))
        .collect();
    // A valid personal number (its check digit was checked) stays one person's in far more
    // records than a name and date would: one person met by every organisation, even twice.
    let pnr_group = max_group.max(2 * r.orgs.len());
    let any_common = common_dates.iter().any(|c| *c);
    let done: Result<(), std::convert::Infallible> = crate::parallel::stream_ordered(
        &used,
        |(name, k)| {
            if any_common && GATED_KEYS.contains(name) {
                let kept: Vec<i64> = k
                    .iter()
                    .zip(common_dates)
                    .map(|(&v, &common)| if common { 0 } else { v })
                    .collect();
                groups(&kept)
            } else {
                groups(k)
            }
        },
        |i, pairs| {
            let limit = if used[i].0 == "mk_pnr" {
                pnr_group
            } else {
                max_group
            };
            let gated = GATED_KEYS.contains(&used[i].0).then_some(gate);
            join_runs(
                (used[i].0, gated),
                (&pairs, r, alike),
                clusters,
                limit,
                &mut stats,
            );
            Ok(())
        },
    );
    let Ok(()) = done;
    stats
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_are_the_pairs_in_full_sorted_order() {
        // Values across the whole signed range, repeats, and the 0 that means no key.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut values: Vec<i64> = (0..50_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as i64
            })
            .collect();
        values.extend([0, i64::MIN, i64::MAX, -1, 1, 0, 1, -1]);
        values.extend_from_slice(&values.clone()[..1000]);
        let mut expected: Vec<(i64, u32)> = values
            .iter()
            .enumerate()
            .filter(|(_, k)| **k != 0)
            .map(|(i, k)| (*k, i as u32))
            .collect();
        expected.sort_unstable();
        assert_eq!(super::groups(&values), expected);
    }
}
