//! The exact step: records that share a match-key value are one person. A value shared by more
//! records than is plausible (a default or placeholder) is ignored and reported.

use std::collections::BTreeMap;

use super::load::Records;
use super::unionfind::Clusters;
use crate::pseudonymise::MATCH_KEYS;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExactStats {
    /// Merges each key made (joins of two clusters that were apart).
    pub merges: BTreeMap<String, u64>,
    /// Key values ignored because too many records shared them: (groups, records).
    pub ignored_values: BTreeMap<String, (u64, u64)>,
}

/// Sorted (value, record) pairs of one key column (0 = no key); runs of equal values are groups.
pub fn groups(values: &[i64]) -> Vec<(i64, u32)> {
    let mut v: Vec<(i64, u32)> = values
        .iter()
        .enumerate()
        .filter(|(_, k)| **k != 0)
        .map(|(i, k)| (*k, i as u32))
        .collect();
    v.sort_unstable();
    v
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

pub fn link_exact(r: &Records, clusters: &mut Clusters, use_keys: &[String], max_group: usize) -> ExactStats {
    let mut stats = ExactStats::default();
    // Sorting is the costly part; both cores sort, the joins then run in key order.
    let sorted: Vec<Vec<(i64, u32)>> = std::thread::scope(|s| {
        let handles: Vec<_> = r
            .match_keys
            .iter()
            .zip(MATCH_KEYS)
            .map(|(k, name)| {
                let used = use_keys.iter().any(|u| u == name);
                s.spawn(move || if used { groups(k) } else { Vec::new() })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (name, pairs) in MATCH_KEYS
        .iter()
        .zip(&sorted)
        .filter(|(n, _)| use_keys.iter().any(|u| u == *n))
    {
        let mut merges = 0u64;
        let mut ignored = (0u64, 0u64);
        for_each_run(pairs, |run| {
            if run.len() > max_group {
                ignored.0 += 1;
                ignored.1 += run.len() as u64;
                return;
            }
            for w in run.windows(2) {
                merges += u64::from(clusters.union(w[0].1, w[1].1));
            }
        });
        stats.merges.insert((*name).to_string(), merges);
        if ignored.0 > 0 {
            stats.ignored_values.insert((*name).to_string(), ignored);
        }
    }
    stats
}
