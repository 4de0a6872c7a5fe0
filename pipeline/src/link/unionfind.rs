//! Union-find over records, with the guard that two different personal numbers never end up
//! in one person.

pub struct Clusters {
    parent: Vec<u32>,
    size: Vec<u32>,
    /// The personal-number key of each root's cluster (0 when no record has one).
    pnr: Vec<i64>,
    pub refused: u64,
}

impl Clusters {
    pub fn new(pnr: &[i64]) -> Self {
        Clusters {
            parent: (0..pnr.len() as u32).collect(),
            size: vec![1; pnr.len()],
            pnr: pnr.to_vec(),
            refused: 0,
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    /// Joins the clusters of a and b; false when they were one already or when their personal
    /// numbers differ (then the refusal is counted).
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (pa, pb) = (self.pnr[ra as usize], self.pnr[rb as usize]);
        if pa != 0 && pb != 0 && pa != pb {
            self.refused += 1;
            return false;
        }
        let (big, small) = if self.size[ra as usize] >= self.size[rb as usize] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
        self.pnr[big as usize] = if pa != 0 { pa } else { pb };
        true
    }

    pub(super) fn len(&self) -> usize {
        self.parent.len()
    }

    /// The root of every record.
    pub fn roots(&mut self) -> Vec<u32> {
        (0..self.parent.len() as u32).map(|i| self.find(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_personal_numbers_never_merge_even_through_a_third_record() {
        let mut c = Clusters::new(&[1, 0, 2]);
        assert!(c.union(0, 1));
        assert!(
            !c.union(1, 2),
            "record 1 now carries number 1, record 2 has number 2"
        );
        assert_eq!(c.refused, 1);
        assert_ne!(c.find(0), c.find(2));
        assert!(!c.union(0, 1), "already one");
    }
}
