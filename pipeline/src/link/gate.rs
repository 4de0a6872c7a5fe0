//! Answers that two records of one person cannot disagree on, where both records know
//! them: a guard for the steps whose evidence is a likeness of names, not an identity.

use super::load::Records;
use super::unionfind::Clusters;

/// The answers the guard compares.
/// Gender only: it is what tells twins apart (Maria and Mario, one family name, one birth
/// date), while twins share a country of birth. Country was guarded too and dropped by
/// measurement: on generated samples it kept apart under 0.1 point of precision's worth of
/// namesakes, and cost 0.6 to 2.6 points of recall where 2.5% of later copies had a
/// mis-entered country (a citizenship for a birth country, as entry errs).
const GATED: [&str; 1] = ["gender"];

/// Each record's gated answers as dictionary codes, 0 = not known. Not the age group: it is
/// the age at first contact, so a girl met at 17 by one organisation and at 18 by another is
/// a child in one record and an adult in the other, both rightly (the birth dates' own guard
/// keeps apart what dates can tell apart).
pub struct Gate {
    codes: Vec<[u32; GATED.len()]>,
}

impl Gate {
    pub fn new(r: &Records) -> Self {
        let mut codes = vec![[0u32; GATED.len()]; r.len()];
        for (k, name) in GATED.iter().enumerate() {
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
        let mut codes = vec![[0u32; GATED.len()]; self.codes.len()];
        for (i, c) in self.codes.iter().enumerate() {
            let root = clusters.find(i as u32) as usize;
            codes[root] = known_of(&codes[root], c);
        }
        ClusterAnswers { codes }
    }
}

/// What the clusters' records know, kept at each cluster's root as clusters join.
pub struct ClusterAnswers {
    codes: Vec<[u32; GATED.len()]>,
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

fn agree(a: &[u32; GATED.len()], b: &[u32; GATED.len()]) -> bool {
    a.iter().zip(b).all(|(a, b)| *a == 0 || *b == 0 || a == b)
}

/// Each answer one of them knows (the first where both do: they agree when it matters).
fn known_of(a: &[u32; GATED.len()], b: &[u32; GATED.len()]) -> [u32; GATED.len()] {
    std::array::from_fn(|k| if a[k] != 0 { a[k] } else { b[k] })
}
