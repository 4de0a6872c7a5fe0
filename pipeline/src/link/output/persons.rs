//! Persons as compact index arrays (each record's person, each person's records), and the
//! persons of several records in a batch gathered in record order for resolving answers.

use crate::parquet_io::Coded;

/// Persons as compact index arrays: the person of each record, and each person's records
/// (in input order) as slices of one flat list.
pub struct Persons {
    /// Each person's first record.
    pub(super) first: Vec<u32>,
    /// The persons of more than one record, in order.
    several: Vec<u32>,
    pub of_record: Vec<u32>,
    start: Vec<usize>,
    records: Vec<u32>,
}

impl Persons {
    /// Persons in order of their first record, so outputs follow the inputs' order.
    pub(super) fn new(roots: &[u32]) -> Self {
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
pub(super) struct Several {
    /// Each such person (its place in the batch) and where its answers start in the gathered list.
    pub(super) persons: Vec<(usize, usize)>,
    /// (record, place in the gathered list), sorted by record.
    by_record: Vec<(u32, u32)>,
}

impl Several {
    pub(super) fn new(persons: &Persons, range: std::ops::Range<usize>) -> Self {
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
    pub(super) fn codes(&self, col: &Coded) -> Vec<u32> {
        let mut out = vec![0u32; self.by_record.len()];
        for &(rec, place) in &self.by_record {
            out[place as usize] = col.codes[rec as usize];
        }
        out
    }

    /// Where the k-th person's answers are in `codes`.
    pub(super) fn records(&self, k: usize) -> std::ops::Range<usize> {
        let end = self
            .persons
            .get(k + 1)
            .map_or(self.by_record.len(), |&(_, at)| at);
        self.persons[k].1..end
    }
}
