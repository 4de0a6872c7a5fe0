//! Answers that two records of one person cannot disagree on, where both records know
//! them: a guard for the steps whose evidence is a likeness of names, not an identity.

use super::load::Records;
use super::unionfind::Clusters;

/// The answers the guard compares, in place per record: `GATED_MAX` slots, the unused ones
/// 0 (not known, so always agreeing). Which answers is `gated_answers` in
/// `schemas/linkage.json`.
const GATED: usize = crate::schema::GATED_MAX;

/// Each record's gated answers as dictionary codes, 0 = not known.
pub struct Gate {
    codes: Vec<[u32; GATED]>,
}

impl Gate {
    /// The gate of the answers `names` (at most `GATED`, checked when the settings load; a
    /// column the records lack gates nothing).
    pub fn new(r: &Records, names: &[String]) -> Self {
        let mut codes = vec![[0u32; GATED]; r.len()];
        for (k, name) in names.iter().take(GATED).enumerate() {
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

    pub fn compatible(&self, i: usize, j: usize) -> bool {
        agree(&self.codes[i], &self.codes[j])
    }

    /// What each cluster's records know, at its root: a record that knows nothing must not
    /// bridge two clusters that disagree (twins, and a third record of one of them without
    /// a gender).
    pub fn by_cluster(&self, clusters: &mut Clusters) -> ClusterAnswers {
        let mut codes = vec![[0u32; GATED]; self.codes.len()];
        for (i, c) in self.codes.iter().enumerate() {
            let root = clusters.find(i as u32) as usize;
            codes[root] = known_of(&codes[root], c);
        }
        ClusterAnswers { codes }
    }
}

/// What the clusters' records know, kept at each cluster's root as clusters join.
pub struct ClusterAnswers {
    codes: Vec<[u32; GATED]>,
}

impl ClusterAnswers {
    /// Joins the clusters of records `i` and `j` when what they know agrees; whether it did.
    pub fn join(&mut self, clusters: &mut Clusters, i: u32, j: u32) -> Joined {
        let (ri, rj) = (clusters.find(i) as usize, clusters.find(j) as usize);
        if ri == rj {
            return Joined::Already;
        }
        if !agree(&self.codes[ri], &self.codes[rj]) {
            return Joined::Refused;
        }
        if !clusters.union(i, j) {
            return Joined::Already;
        }
        let root = clusters.find(i) as usize;
        self.codes[root] = known_of(&self.codes[ri], &self.codes[rj]);
        Joined::Yes
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    Yes,
    /// One cluster already, or kept apart by another guard (personal numbers).
    Already,
    Refused,
}

fn agree(a: &[u32; GATED], b: &[u32; GATED]) -> bool {
    a.iter().zip(b).all(|(a, b)| *a == 0 || *b == 0 || a == b)
}

/// Each answer one of them knows (the first where both do: they agree when it matters).
fn known_of(a: &[u32; GATED], b: &[u32; GATED]) -> [u32; GATED] {
    std::array::from_fn(|k| if a[k] != 0 { a[k] } else { b[k] })
}
