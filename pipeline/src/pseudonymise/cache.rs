//! The encoder's memory of what it has seen: name parts as written, with everything a record
//! needs from them, and keyed values by their inputs. Lookups in tables this large miss the
//! CPU's caches; taken one record at a time each miss waits for the last (they were two thirds
//! of the time spent finding name parts), so the tables can be touched for a whole batch first
//! and their misses overlap.

use super::bloom::{BloomEncoder, STORED_WORDS};
use super::normalise::{fold_variants, part_tokens, skeleton_of_folded};
use crate::key::Keyed;

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
        // bits would depend only on the key's low bits, the year of a token-year key).
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

/// The hash of a name part as written.
pub fn text_key(s: &str) -> u64 {
    use std::hash::BuildHasher;
    nonzero(foldhash::fast::FixedState::with_seed(0x5afe_7a11).hash_one(s))
}

/// Tokens a part holds in place (most have one or two); more go to the heap.
const PART_TOKENS: usize = 4;

/// One token of a name part: where its text and skeleton are in the part's text, its
/// keyed blocking key and its id among the encoder's tokens (for the token-year cache).
#[derive(Clone, Copy, Default)]
pub struct PartToken {
    pub id: u32,
    pub block: i64,
    text: (usize, usize),
    skeleton: (usize, usize),
}

/// A name part as written, normalised, with what it does to the Bloom filter.
pub struct PartInfo {
    /// The part as written, then each token's text and skeleton.
    text: Box<str>,
    raw_len: usize,
    tokens: smallvec::SmallVec<[PartToken; PART_TOKENS]>,
    /// The stored bits the part's tokens set and clear together (the order of tokens does
    /// not matter to the filter, see `BloomEncoder::base`).
    pub set: [u64; STORED_WORDS],
    pub clear: [u64; STORED_WORDS],
}

impl PartInfo {
    pub fn raw(&self) -> &str {
        &self.text[..self.raw_len]
    }

    pub fn tokens(&self) -> &[PartToken] {
        &self.tokens
    }

    pub fn text(&self, t: &PartToken) -> &str {
        &self.text[t.text.0..t.text.1]
    }

    pub fn skeleton(&self, t: &PartToken) -> &str {
        &self.text[t.skeleton.0..t.skeleton.1]
    }

    /// Reads the lines a record will use (see the module's comment).
    pub fn touch(&self) -> u64 {
        self.text.as_bytes().first().map_or(0, |&b| u64::from(b)) ^ self.set[0] ^ self.set[STORED_WORDS - 1]
    }
}

/// What a token contributes to every part it is in.
#[derive(Clone)]
struct TokenInfo {
    skeleton: String,
    set: [u64; STORED_WORDS],
    clear: [u64; STORED_WORDS],
    block: i64,
}

/// Distinct tokens kept (about 300 bytes each); rarer ones are recomputed.
pub const TOKEN_CACHE: usize = 1 << 18;

/// Normalises name parts, remembering tokens so that a new part made of known tokens costs
/// no keyed hash and no Bloom positions.
pub struct PartMaker {
    ids: crate::FastMap<Box<str>, u32>,
    infos: Vec<TokenInfo>,
    blk: Keyed,
    /// Tokens kept at most (at most `TOKEN_CACHE`).
    cap: usize,
}

impl PartMaker {
    pub fn new(blk: Keyed, cap: usize) -> Self {
        PartMaker {
            ids: crate::FastMap::default(),
            infos: Vec::new(),
            blk,
            cap: cap.min(TOKEN_CACHE),
        }
    }

    /// The part `raw` normalised.
    pub fn make(&mut self, raw: &str, bloom: &mut BloomEncoder) -> PartInfo {
        let mut info = PartInfo {
            text: Box::from(""),
            raw_len: raw.len(),
            tokens: smallvec::SmallVec::new(),
            set: [0; STORED_WORDS],
            clear: [0; STORED_WORDS],
        };
        let mut text = String::from(raw);
        for t in part_tokens(raw) {
            let id = self.token(&t, bloom);
            let tok = self.at(id, &t, bloom);
            let start = text.len();
            text.push_str(&t);
            let mid = text.len();
            text.push_str(&tok.skeleton);
            info.tokens.push(PartToken {
                id: if id < TOKEN_CACHE { id as u32 } else { u32::MAX },
                block: tok.block,
                text: (start, mid),
                skeleton: (mid, text.len()),
            });
            for (o, s) in info.set.iter_mut().zip(&tok.set) {
                *o |= s;
            }
            for (o, c) in info.clear.iter_mut().zip(&tok.clear) {
                *o |= c;
            }
        }
        info.text = text.into_boxed_str();
        info
    }

    /// A token's index among the cached ones, or past them (`TOKEN_CACHE`) when the cache is
    /// full and the token new.
    fn token(&mut self, t: &str, bloom: &mut BloomEncoder) -> usize {
        if let Some(&id) = self.ids.get(t) {
            return id as usize;
        }
        if self.infos.len() >= self.cap {
            return TOKEN_CACHE;
        }
        let info = self.compute(t, bloom);
        self.infos.push(info);
        let id = self.infos.len() - 1;
        self.ids.insert(t.into(), id as u32);
        id
    }

    fn at(&mut self, id: usize, t: &str, bloom: &mut BloomEncoder) -> std::borrow::Cow<'_, TokenInfo> {
        match self.infos.get(id) {
            Some(info) => std::borrow::Cow::Borrowed(info),
            None => std::borrow::Cow::Owned(self.compute(t, bloom)),
        }
    }

    /// A token's skeleton, Bloom bits and blocking key.
    fn compute(&self, t: &str, bloom: &mut BloomEncoder) -> TokenInfo {
        let folded = fold_variants(t);
        let skeleton = skeleton_of_folded(&folded);
        // Spellings and skeletons: transliteration variants share most skeleton bigrams.
        let masks = bloom.token_masks(&[(b'_', folded.as_str()), (b'#', skeleton.as_str())]);
        let block = self.blk.hash64(&[b"token", skeleton.as_bytes()]);
        TokenInfo {
            skeleton,
            set: masks.set,
            clear: masks.clear,
            block,
        }
    }
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
        // Keys that differ in their high bits only, like (token, year) keys, all stay findable
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
    }
}
