//! The first value of a column that repeats an earlier one, for columns of millions of rows:
//! hashes are sorted first, so a column without repeats (the usual case) costs one sort, and
//! only a column with two equal hashes is looked at value by value. Link checks record keys
//! so, pseudonymise record ids.

use std::hash::{BuildHasher, Hash};

/// Rows (from 0) of a value's first occurrence and of its first repeat, and how many rows in
/// all repeat an earlier one.
pub struct Repeat {
    pub first: usize,
    pub again: usize,
    pub rows: u64,
}

/// The first repeat among the values `values()` yields (called twice at most).
pub fn first_repeat<K: Hash + Eq, I: Iterator<Item = K>>(values: impl Fn() -> I) -> Option<Repeat> {
    let state = foldhash::fast::FixedState::with_seed(0x5afe_01d5);
    let mut hashes: Vec<u64> = values().map(|v| state.hash_one(&v)).collect();
    hashes.sort_unstable();
    if hashes.windows(2).all(|w| w[0] != w[1]) {
        return None;
    }
    let mut seen: crate::FastMap<K, usize> = crate::FastMap::default();
    let mut found: Option<Repeat> = None;
    for (row, v) in values().enumerate() {
        match seen.get(&v) {
            Some(&first) => {
                let r = found.get_or_insert(Repeat {
                    first,
                    again: row,
                    rows: 0,
                });
                r.rows += 1;
            }
            None => {
                seen.insert(v, row);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_repeat_and_how_many_rows_repeat() {
        assert!(first_repeat(|| ["a", "b", "c"].into_iter()).is_none());
        let r = first_repeat(|| ["a", "b", "a", "c", "b", "a"].into_iter()).expect("repeats");
        assert_eq!((r.first, r.again, r.rows), (0, 2, 3));
    }
}
