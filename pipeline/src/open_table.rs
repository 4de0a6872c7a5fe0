//! Open addressing on 64-bit keys with linear probing, for the large lookups of pseudonymise
//! (name parts, keyed values) and of the writer (dictionary codes of key columns). A general
//! hash map hashes each key in full and allocates its memory zeroed; these keys are hashes or
//! small numbers already, and the table's memory is written when allocated (see
//! `written_empty`).

/// Open addressing on 64-bit keys (never 0) with linear probing. For name parts the key is
/// a hash of the text and the caller checks the text itself, so that two parts whose hashes
/// collide are told apart; for keyed values the key is the exact input.
pub struct Table<V> {
    entries: Vec<(u64, V)>,
    len: usize,
    /// Entries held at most; past it, `insert` does nothing.
    cap: usize,
}

impl<V: Copy + Default> Table<V> {
    pub fn new(cap: usize) -> Self {
        Table {
            entries: written_empty(1024),
            len: 0,
            cap,
        }
    }

    fn slot(&self, key: u64) -> usize {
        // Fibonacci hashing: the product's top bits depend on every bit of the key (its low
        // bits would depend only on the key's low bits, and keys that differ in their high
        // bits only would all share a slot).
        let bits = self.entries.len().trailing_zeros();
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    /// Reads the key's first slot, so that a lookup soon after finds it in the cache.
    pub fn touch(&self, key: u64) -> u64 {
        self.entries[self.slot(key)].0
    }

    /// The value under `key` for which `is` holds.
    pub fn find(&self, key: u64, mut is: impl FnMut(V) -> bool) -> Option<V> {
        let mask = self.entries.len() - 1;
        let mut at = self.slot(key);
        loop {
            let (k, v) = self.entries[at];
            if k == 0 {
                return None;
            }
            if k == key && is(v) {
                return Some(v);
            }
            at = (at + 1) & mask;
        }
    }

    /// The first value under `key`, unchecked: where a lookup will most likely end.
    pub fn first(&self, key: u64) -> Option<V> {
        self.find(key, |_| true)
    }

    pub fn is_full(&self) -> bool {
        self.len >= self.cap
    }

    pub fn insert(&mut self, key: u64, value: V) {
        if self.is_full() {
            return;
        }
        if (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mask = self.entries.len() - 1;
        let mut at = self.slot(key);
        while self.entries[at].0 != 0 {
            at = (at + 1) & mask;
        }
        self.entries[at] = (key, value);
        self.len += 1;
    }

    /// The value under `key` (an exact key: the first found is the one), or `make`'s, kept
    /// unless the table is at its cap; one probe either way.
    pub fn get_or_insert(&mut self, key: u64, make: impl FnOnce() -> V) -> V {
        if !self.is_full() && (self.len + 1) * 2 > self.entries.len() {
            self.grow();
        }
        let mask = self.entries.len() - 1;
        let mut at = self.slot(key);
        loop {
            let (k, v) = self.entries[at];
            if k == key {
                return v;
            }
            if k == 0 {
                let v = make();
                if !self.is_full() {
                    self.entries[at] = (key, v);
                    self.len += 1;
                }
                return v;
            }
            at = (at + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = self.entries.len() * 2;
        let old = std::mem::replace(&mut self.entries, written_empty(size));
        self.len = 0;
        for (k, v) in old.into_iter().filter(|(k, _)| *k != 0) {
            self.insert(k, v);
        }
    }
}

/// `size` empty slots, written rather than allocated zeroed. Zeroed memory comes fresh from
/// the system, and the table reads a slot before writing it: each page was then first mapped
/// to the shared zero page and copied at its first write, and that copy interrupts the other
/// core to flush its address translations (7% of pseudonymise's time went there). Written
/// now, each page is taken once, by this core alone.
fn written_empty<V: Copy + Default>(size: usize) -> Vec<(u64, V)> {
    let mut entries = Vec::with_capacity(size);
    // Opaque to the compiler, so that it cannot turn the writes back into a zeroed allocation.
    entries.resize(size, std::hint::black_box((0, V::default())));
    entries
}

/// A table key from a hash: 0 marks an empty slot.
pub fn nonzero(h: u64) -> u64 {
    h.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_under_one_key_are_told_apart_and_the_table_grows_and_stops_at_its_cap() {
        let mut t: Table<u32> = Table::new(3000);
        // Two parts whose hashes collide: the caller's check picks the right one.
        t.insert(42, 1);
        t.insert(42, 2);
        assert_eq!(t.find(42, |v| v == 2), Some(2));
        assert_eq!(t.find(42, |v| v == 3), None);
        assert_eq!(t.first(42), Some(1));
        // Keys that differ in their high bits only all stay findable
        // through the table's growth.
        for id in 0..2000u64 {
            t.insert((id + 1) << 32 | 1990, id as u32);
        }
        for id in 0..2000u64 {
            assert_eq!(t.first((id + 1) << 32 | 1990), Some(id as u32));
        }
        assert!(!t.is_full());
        for k in 0..2000u64 {
            t.insert(nonzero(k * 7919), 0);
        }
        assert!(t.is_full());
        t.insert(5, 9);
        assert_eq!(t.first(5), None, "nothing is kept past the cap");
        assert_eq!(t.get_or_insert(5, || 7), 7, "made, not kept");
        assert_eq!(t.first(5), None);
        let mut u: Table<u32> = Table::new(usize::MAX);
        for k in 1..5000u64 {
            assert_eq!(u.get_or_insert(k * 31, || k as u32), k as u32);
        }
        for k in 1..5000u64 {
            assert_eq!(u.get_or_insert(k * 31, || 0), k as u32, "found, not made again");
        }
    }
}
