//! The error-tolerant step, on pseudonymised data only: candidate pairs from keyed blocking
//! keys, scored by the Dice similarity of the hardened name Bloom filters, gated by keyed date
//! parts, gender and personal numbers, with a one-to-one constraint between two organisations
//! that also holds for the persons it builds: none gets a second record of one organisation.

use std::collections::HashSet;

use super::exact::{for_each_run, groups};
use super::gate::{Gate, Joined};
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
    /// Pairs above their threshold not joined because the two persons they would join hold
    /// birth dates that cannot be one person's (a record with the year only matching two
    /// namesakes born on different days).
    #[serde(default)]
    pub refused_date_conflicts: u64,
    /// Pairs above their threshold not joined because the two persons they would join
    /// disagree on gender (known to one of their records each).
    #[serde(default)]
    pub refused_answer_conflicts: u64,
    /// Pairs above their threshold not joined because the two persons they would join each
    /// hold a record of one organisation: chains of one-to-one matches would otherwise make
    /// one person of many namesakes.
    #[serde(default)]
    pub refused_same_organisation: u64,
    /// Records on weak date evidence (a year, or no date) not joined because their name
    /// matched records of two persons whose birth dates cannot be one person's about equally
    /// well: either join would be a guess.
    #[serde(default)]
    pub ambiguous_records: u64,
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

/// From the keyed year, the keyed full date (the first blocking key), the keyed unordered
/// month and day of a full date, and the keyed year and month of a date without its day
/// (pseudonymise's `date_parts` says why there are no separate month and day). A full date
/// on a placeholder month and day (`common`: 1 January and the like) tells only its year, so
/// against another full date of that year it is partial evidence, not a conflict.
fn date_evidence(r: &Records, common: &[bool], i: usize, j: usize) -> DateEvidence {
    let nonzero = |v: i64| Some(v).filter(|v| *v != 0);
    let p = |k: usize, x: usize| nonzero(r.date_parts[k][x]);
    let (Some(yi), Some(yj)) = (p(0, i), p(0, j)) else {
        return DateEvidence::Missing;
    };
    if yi != yj {
        return DateEvidence::Conflict;
    }
    let full = |x: usize| nonzero(r.block_keys[crate::pseudonymise::FULL_DATE_BLOCK][x]);
    match (full(i), full(j)) {
        (Some(a), Some(b)) if a == b => DateEvidence::Full,
        // Same year and the same unordered month and day, another date: day and month swapped.
        (Some(_), Some(_)) if p(1, i).is_some() && p(1, i) == p(1, j) => DateEvidence::Swapped,
        (Some(_), Some(_)) if placeholder_day(common, i) || placeholder_day(common, j) => {
            DateEvidence::Partial
        }
        (Some(_), Some(_)) => DateEvidence::Conflict,
        // A full date and a year (and month) only: the year agrees; two years and months
        // must agree on the month.
        _ => match (p(2, i), p(2, j)) {
            (Some(a), Some(b)) if a != b => DateEvidence::Conflict,
            _ => DateEvidence::Partial,
        },
    }
}

fn placeholder_day(common: &[bool], i: usize) -> bool {
    common.get(i).copied().unwrap_or(false)
}

/// Whether two records are alike enough for the fuzzy step to join them (names, dates and
/// gender, as it scores a pair): the exact step asks it of one organisation's two records of
/// one personal number (`exact::one_persons_number`).
pub(super) fn alike(
    r: &Records,
    (gate, common): (&Gate, &[bool]),
    t: &Thresholds,
    i: usize,
    j: usize,
) -> bool {
    score(r, (gate, common), &r.match_keys[0], t, i, j).is_some()
}

/// The score of a pair, or None when evidence forbids the match or it is below its threshold.
fn score(
    r: &Records,
    (gate, common): (&Gate, &[bool]),
    pnr: &[i64],
    t: &Thresholds,
    i: usize,
    j: usize,
) -> Option<f64> {
    if pnr[i] != 0 && pnr[j] != 0 && pnr[i] != pnr[j] {
        return None;
    }
    if !gate.compatible(i, j) {
        return None;
    }
    let threshold = match date_evidence(r, common, i, j) {
        DateEvidence::Conflict => return None,
        // A placeholder's month and day tell only the year (swapped, one record may hold it).
        DateEvidence::Full | DateEvidence::Swapped
            if placeholder_day(common, i) || placeholder_day(common, j) =>
        {
            t.partial_date
        }
        DateEvidence::Full => t.full_date,
        DateEvidence::Swapped => t.swapped_date,
        DateEvidence::Partial => t.partial_date,
        DateEvidence::Missing => t.no_date,
    };
    let (a, b) = (&r.bloom[i], &r.bloom[j]);
    if a.iter().all(|w| *w == 0) || b.iter().all(|w| *w == 0) {
        return None;
    }
    let threshold = if shares_a_part(r, i, j) {
        threshold
    } else {
        threshold + t.no_common_part
    };
    let s = dice(a, b);
    (s >= threshold).then_some(s)
}

/// Whether records `i` and `j` share a name part by its keyed consonant skeleton (the
/// blocking keys). Raising the threshold also when they share some part but not all (Jenny and
/// Moa Lindström) was measured too: over 52 generated samples of 403 persons it removed 6 of 15
/// false pairs and lost 42 true ones, so it is not done.
fn shares_a_part(r: &Records, i: usize, j: usize) -> bool {
    let skeletons = &r.block_keys[SKELETONS];
    let parts = |x: usize| skeletons.iter().map(move |k| k[x]).filter(|v| *v != 0);
    parts(i).any(|a| parts(j).any(|b| b == a))
}

/// Where the skeletons alone are among the blocking keys in memory (`load::BLOCKS`).
const SKELETONS: std::ops::Range<usize> =
    1 + crate::pseudonymise::BLOCK_TOKENS..1 + 2 * crate::pseudonymise::BLOCK_TOKENS;

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

pub fn link_fuzzy(
    r: &Records,
    clusters: &mut Clusters,
    t: &Thresholds,
    (max_block, gate): (usize, &Gate),
    (placeholders, common): (&[bool], &[bool]),
) -> FuzzyStats {
    let placeholder = |i: u32| placeholders.get(i as usize).copied().unwrap_or(false);
    let mut stats = FuzzyStats::default();
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
                    if r.org[i as usize] == r.org[j as usize]
                        || placeholder(i)
                        || placeholder(j)
                        || !seen.insert((i, j))
                    {
                        continue;
                    }
                    stats.candidate_pairs += 1;
                    if let Some(s) = score(r, (gate, common), pnr, t, i as usize, j as usize) {
                        scored.push((s, i, j));
                    }
                }
            }
        });
    }
    stats.above_threshold = scored.len() as u64;
    let mut members = Members::new(clusters);
    let ambiguous = ambiguous_records(r, common, (&scored, t.ambiguity_margin), clusters, &members);
    stats.ambiguous_records = ambiguous.len() as u64;
    scored.retain(|&(_, i, j)| {
        let weak = |x: u32| ambiguous.contains(&x) && weak_evidence(r, common, i, j);
        !weak(i) && !weak(j)
    });
    // Best pairs first; each record matches at most one record of any other organisation.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let mut used: HashSet<(u32, u16)> = HashSet::new();
    // Records are gated pair by pair above; clusters must agree too, or a record that knows
    // no gender would join twins kept apart by the exact step.
    let mut answers = gate.by_cluster(clusters);
    for (_, i, j) in scored {
        let (oi, oj) = (r.org[i as usize], r.org[j as usize]);
        if used.contains(&(i, oj)) || used.contains(&(j, oi)) {
            continue;
        }
        let (ri, rj) = (clusters.find(i), clusters.find(j));
        if ri != rj && members.dates_conflict(r, common, ri, rj) {
            stats.refused_date_conflicts += 1;
            continue;
        }
        if ri != rj && members.share_an_organisation(r, ri, rj) {
            stats.refused_same_organisation += 1;
            continue;
        }
        match answers.join(clusters, i, j) {
            Joined::Refused => {
                stats.refused_answer_conflicts += 1;
                continue;
            }
            Joined::Yes => {
                stats.merges += 1;
                members.join(ri, rj, clusters.find(i));
            }
            Joined::Already => {}
        }
        used.insert((i, oj));
        used.insert((j, oi));
        stats.accepted += 1;
    }
    stats
}

/// Whether a pair's dates only fail to disagree (a year, or no date, on one side) rather than
/// agree.
fn weak_evidence(r: &Records, common: &[bool], i: u32, j: u32) -> bool {
    matches!(
        date_evidence(r, common, i as usize, j as usize),
        DateEvidence::Partial | DateEvidence::Missing
    )
}

/// Records whose name clears the threshold, on weak date evidence, against records of two
/// persons (as the exact step left them, checked once before the one-to-one choice) whose
/// birth dates no one person has, while agreeing with each, both within `margin` of the
/// record's best score (the bit flips alone spread one identical name's scores about that
/// much): Gift Balogun without a date, beside a Gift Balogun born in 1980 and another born in
/// 1991. Best score first would pick one by the flips' noise; an
/// outside review found 35 of 81 such records joined to the wrong namesake. Left apart, the
/// person is counted twice at worst; joined wrongly, two persons' answers are mixed.
fn ambiguous_records(
    r: &Records,
    common: &[bool],
    (scored, margin): (&[(f64, u32, u32)], f64),
    clusters: &mut Clusters,
    members: &Members,
) -> HashSet<u32> {
    if margin < 0.0 {
        return HashSet::new();
    }
    let mut partners: std::collections::HashMap<u32, Vec<(f64, u32)>> = std::collections::HashMap::new();
    for &(s, i, j) in scored {
        if weak_evidence(r, common, i, j) {
            partners.entry(i).or_default().push((s, clusters.find(j)));
            partners.entry(j).or_default().push((s, clusters.find(i)));
        }
    }
    let mut ambiguous = HashSet::new();
    for (x, mut roots) in partners {
        let own = clusters.find(x);
        roots.retain(|&(_, y)| y != own && !members.dates_conflict(r, common, own, y));
        roots.sort_by(|a, b| b.0.total_cmp(&a.0));
        let Some(&(best, _)) = roots.first() else {
            continue;
        };
        // Any two persons among the close matches, not only the best against the others: a
        // dateless best match would otherwise join, then take one of two namesakes behind it.
        let near: Vec<u32> = roots
            .iter()
            .take_while(|(s, _)| *s >= best - margin)
            .map(|&(_, y)| y)
            .collect();
        let close = near.iter().enumerate().any(|(a, &y1)| {
            near[a + 1..]
                .iter()
                .any(|&y2| y2 != y1 && members.dates_conflict(r, common, y1, y2))
        });
        if close {
            ambiguous.insert(x);
        }
    }
    ambiguous
}

/// The records of each cluster that has more than one, kept up to date as the fuzzy step
/// joins clusters, so that a join can be checked against every record of both.
struct Members(std::collections::HashMap<u32, Vec<u32>>);

impl Members {
    fn new(clusters: &mut Clusters) -> Self {
        let roots = clusters.roots();
        let mut size = vec![0u32; roots.len()];
        for &root in &roots {
            size[root as usize] += 1;
        }
        let mut m: std::collections::HashMap<u32, Vec<u32>> = std::collections::HashMap::new();
        for (i, &root) in roots.iter().enumerate() {
            if size[root as usize] > 1 {
                m.entry(root).or_default().push(i as u32);
            }
        }
        Members(m)
    }

    fn of(&self, root: u32) -> Vec<u32> {
        self.0.get(&root).cloned().unwrap_or_else(|| vec![root])
    }

    /// Whether some record of one cluster and some of the other have dates no one person has.
    fn dates_conflict(&self, r: &Records, common: &[bool], a: u32, b: u32) -> bool {
        let (ma, mb) = (self.of(a), self.of(b));
        ma.iter().any(|&x| {
            mb.iter()
                .any(|&y| date_evidence(r, common, x as usize, y as usize) == DateEvidence::Conflict)
        })
    }

    /// Whether both clusters hold a record of one organisation. The one-to-one choice keeps
    /// each record to one match per other organisation, but matches chain: thirty records of
    /// "Mohammed Ali" without a birth date at three organisations became a person of 21
    /// records, 7 of them from one organisation (an outside review). A person the fuzzy step
    /// makes therefore holds at most the records of one organisation it already held (the
    /// exact keys may join one organisation's copies of a person; names alone do not). An
    /// organisation that entered one person twice with another spelling has that person
    /// counted twice, as before linkage; joined wrongly, two persons' answers would be mixed.
    fn share_an_organisation(&self, r: &Records, a: u32, b: u32) -> bool {
        let orgs = |root: u32| -> Vec<u16> {
            let mut o: Vec<u16> = self.of(root).iter().map(|&x| r.org[x as usize]).collect();
            o.sort_unstable();
            o.dedup();
            o
        };
        let (oa, ob) = (orgs(a), orgs(b));
        oa.iter().any(|o| ob.binary_search(o).is_ok())
    }

    fn join(&mut self, a: u32, b: u32, root: u32) {
        let mut all = self.of(a);
        all.extend(self.of(b));
        self.0.remove(&a);
        self.0.remove(&b);
        self.0.insert(root, all);
    }
}
