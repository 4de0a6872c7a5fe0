//! The error-tolerant step, on pseudonymised data only: candidate pairs from keyed blocking
//! keys, scored by the Dice similarity of the hardened name Bloom filters, gated by keyed date
//! parts, gender and personal numbers, with a one-to-one constraint between two organisations.

use std::collections::HashSet;

use super::exact::{for_each_run, groups};
use super::load::Records;
use super::unionfind::Clusters;
use crate::pseudonymise::bloom::dice;
use crate::schema::Thresholds;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FuzzyStats {
    pub candidate_pairs: u64,
    pub above_threshold: u64,
    pub accepted: u64,
    pub merges: u64,
    pub skipped_blocks: u64,
    pub skipped_block_records: u64,
}

/// How two records' birth dates relate, from their keyed parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateEvidence {
    Full,
    Swapped,
    Partial,
    Missing,
    Conflict,
}

fn date_evidence(r: &Records, i: usize, j: usize) -> DateEvidence {
    let p = |k: usize, x: usize| Some(r.date_parts[k][x]).filter(|v| *v != 0);
    let (yi, mi, di) = (p(0, i), p(1, i), p(2, i));
    let (yj, mj, dj) = (p(0, j), p(1, j), p(2, j));
    let (Some(yi), Some(yj)) = (yi, yj) else {
        return DateEvidence::Missing;
    };
    if yi != yj {
        return DateEvidence::Conflict;
    }
    let agree = |a: Option<i64>, b: Option<i64>| a.is_none() || b.is_none() || a == b;
    if let (Some(mi), Some(di), Some(mj), Some(dj)) = (mi, di, mj, dj) {
        if mi == mj && di == dj {
            return DateEvidence::Full;
        }
        if mi == dj && di == mj {
            return DateEvidence::Swapped;
        }
        return DateEvidence::Conflict;
    }
    if agree(mi, mj) && agree(di, dj) {
        DateEvidence::Partial
    } else {
        DateEvidence::Conflict
    }
}

/// The score of a pair, or None when evidence forbids the match or it is below its threshold.
fn score(r: &Records, gate: &Gate, pnr: &[i64], t: &Thresholds, i: usize, j: usize) -> Option<f64> {
    if pnr[i] != 0 && pnr[j] != 0 && pnr[i] != pnr[j] {
        return None;
    }
    if !gate.compatible(i, j) {
        return None;
    }
    let threshold = match date_evidence(r, i, j) {
        DateEvidence::Conflict => return None,
        DateEvidence::Full => t.full_date,
        DateEvidence::Swapped => t.swapped_date,
        DateEvidence::Partial => t.partial_date,
        DateEvidence::Missing => t.no_date,
    };
    let (a, b) = (&r.bloom[i], &r.bloom[j]);
    if a.iter().all(|w| *w == 0) || b.iter().all(|w| *w == 0) {
        return None;
    }
    let s = dice(a, b);
    (s >= threshold).then_some(s)
}

/// Answers that two records of one person cannot disagree on: gender, country of birth and
/// age group, where both records know them. Dictionary codes, 0 = not known.
struct Gate {
    codes: Vec<[u32; 3]>,
}

impl Gate {
    fn new(r: &Records) -> Self {
        let mut codes = vec![[0u32; 3]; r.len()];
        for (k, name) in ["gender", "country_of_birth", "age_group"].iter().enumerate() {
            let Some(col) = r.attr(name) else { continue };
            let known: Vec<bool> = col
                .values
                .iter()
                .map(|v| v.as_deref().is_some_and(|v| v != "unknown"))
                .collect();
            for (slot, &c) in codes.iter_mut().zip(&col.codes) {
                if known[c as usize] {
                    slot[k] = c;
                }
            }
        }
        Gate { codes }
    }

    fn compatible(&self, i: usize, j: usize) -> bool {
        self.codes[i]
            .iter()
            .zip(&self.codes[j])
            .all(|(a, b)| *a == 0 || *b == 0 || a == b)
    }
}

/// Locality-sensitive blocking keys from the Bloom filters themselves: each band samples fixed
/// bit positions, so filters that agree on most bits share a band key with good probability.
/// Computed at the platform from what it already holds; nothing new is revealed.
fn lsh_keys(r: &Records) -> Vec<Vec<i64>> {
    use rand::{Rng, SeedableRng};
    const BANDS: usize = 8;
    const BITS: usize = 14;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5afe_7a11);
    let bits = crate::pseudonymise::bloom::STORED_WORDS * 64;
    (0..BANDS)
        .map(|band| {
            let pos: Vec<usize> = (0..BITS).map(|_| rng.random_range(0..bits)).collect();
            r.bloom
                .iter()
                .map(|b| {
                    if b.iter().all(|w| *w == 0) {
                        return 0;
                    }
                    let v = pos
                        .iter()
                        .fold(0i64, |acc, &p| (acc << 1) | ((b[p / 64] >> (p % 64)) & 1) as i64);
                    // Never 0, which means "no key".
                    v | ((band as i64 + 1) << 32)
                })
                .collect()
        })
        .collect()
}

pub fn link_fuzzy(r: &Records, clusters: &mut Clusters, t: &Thresholds, max_block: usize) -> FuzzyStats {
    let mut stats = FuzzyStats::default();
    let gate = Gate::new(r);
    let pnr = &r.match_keys[0];
    let mut seen: HashSet<(u32, u32)> = HashSet::new();
    let mut scored: Vec<(f64, u32, u32)> = Vec::new();
    let lsh = lsh_keys(r);
    for key in r.block_keys.iter().chain(&lsh) {
        let sorted = groups(key);
        for_each_run(&sorted, |run| {
            if run.len() > max_block {
                stats.skipped_blocks += 1;
                stats.skipped_block_records += run.len() as u64;
                return;
            }
            for (a, &(_, i)) in run.iter().enumerate() {
                for &(_, j) in &run[a + 1..] {
                    let (i, j) = (i.min(j), i.max(j));
                    if r.org[i as usize] == r.org[j as usize] || !seen.insert((i, j)) {
                        continue;
                    }
                    stats.candidate_pairs += 1;
                    if let Some(s) = score(r, &gate, pnr, t, i as usize, j as usize) {
                        scored.push((s, i, j));
                    }
                }
            }
        });
    }
    stats.above_threshold = scored.len() as u64;
    // Best pairs first; each record matches at most one record of any other organisation.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let mut used: HashSet<(u32, u16)> = HashSet::new();
    for (_, i, j) in scored {
        let (oi, oj) = (r.org[i as usize], r.org[j as usize]);
        if used.contains(&(i, oj)) || used.contains(&(j, oi)) {
            continue;
        }
        used.insert((i, oj));
        used.insert((j, oi));
        stats.accepted += 1;
        stats.merges += u64::from(clusters.union(i, j));
    }
    stats
}
