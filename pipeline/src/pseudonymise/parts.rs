//! The run's one store of name parts and birth dates, shared by every core. A file's distinct
//! names and dates are resolved here once, before its rows are encoded: each core then takes
//! a row's parts and date by its codes in the file's dictionaries. Kept per core, every part
//! used to be normalised once on each core, and every row paid a hash of its names and a
//! lookup in a table too large for the CPU's caches.

use super::births::{Birth, Dates};
use super::bloom::BloomEncoder;
use super::cache::{PartInfo, PartMaker, Table, text_key};
use crate::dates::PartialDate;
use crate::key::LinkageKey;

/// Distinct name parts kept, as written, with everything a record needs from them (360
/// bytes each, 488 before one Bloom mask replaced two, so at most about 380 MB); rarer ones
/// are made again for each segment of a file's rows.
pub const PART_CACHE: usize = 1 << 20;

/// A name part: in the store, or made for the current rows only (the store was full).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Cached(u32),
    Scratch(u32),
}

pub struct PartStore {
    maker: PartMaker,
    /// The Bloom positions of tokens (the same under one key in every `BloomEncoder`).
    bloom: BloomEncoder,
    /// Name parts as written (by a hash of the text) to their place in `infos`.
    index: Table<u32>,
    infos: Chunked<PartInfo>,
    /// Parts of the current rows that did not fit.
    scratch: Vec<PartInfo>,
    dates: Dates,
}

impl PartStore {
    pub fn new(key: &LinkageKey) -> Self {
        Self::with_caches(key, PART_CACHE, super::cache::TOKEN_CACHE)
    }

    /// A store that keeps at most `parts` name parts and `tokens` tokens (the tests make
    /// every path the caches can take give the same output).
    pub fn with_caches(key: &LinkageKey, parts: usize, tokens: usize) -> Self {
        PartStore {
            maker: PartMaker::new(key.purpose("block"), tokens),
            bloom: BloomEncoder::for_key(key),
            index: Table::new(parts),
            infos: Chunked::default(),
            scratch: Vec::new(),
            dates: Dates::new(key),
        }
    }

    /// Starts a new set of rows: the last set's parts that did not fit are dropped.
    pub fn begin_rows(&mut self) {
        self.scratch.clear();
    }

    /// Everything the encoder takes from a birth date.
    pub fn birth(&mut self, date: PartialDate) -> Birth {
        self.dates.birth(date)
    }

    /// The part of each of `raws`, found or made. The table is read for all of them before
    /// any is looked up, so that its cache misses overlap instead of waiting one after another.
    pub fn resolve_all(&mut self, raws: &[&str]) -> Vec<Part> {
        let keys: Vec<u64> = raws.iter().map(|r| text_key(r)).collect();
        let touched = keys.iter().fold(0, |t, &k| t ^ self.index.touch(k));
        std::hint::black_box(touched);
        raws.iter()
            .zip(keys)
            .map(|(raw, key)| self.resolve_keyed(raw, key))
            .collect()
    }

    /// The part `raw`, found or made.
    pub fn resolve(&mut self, raw: &str) -> Part {
        self.resolve_keyed(raw, text_key(raw))
    }

    fn resolve_keyed(&mut self, raw: &str, key: u64) -> Part {
        let infos = &self.infos;
        if let Some(at) = self
            .index
            .find(key, |at| infos.get(at).raw_bytes() == raw.as_bytes())
        {
            return Part::Cached(at);
        }
        let info = self.maker.make(raw, &mut self.bloom);
        if self.index.is_full() {
            self.scratch.push(info);
            Part::Scratch(self.scratch.len() as u32 - 1)
        } else {
            let at = self.infos.push(info);
            self.index.insert(key, at);
            Part::Cached(at)
        }
    }

    pub fn info(&self, p: Part) -> &PartInfo {
        match p {
            Part::Cached(at) => self.infos.get(at),
            Part::Scratch(at) => &self.scratch[at as usize],
        }
    }
}

/// A list that grows by chunks: growing never copies what it holds (copying half a million
/// cached parts of 500 bytes each, doubling by doubling, was 5% of pseudonymise's time).
struct Chunked<T> {
    chunks: Vec<Vec<T>>,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked { chunks: Vec::new() }
    }
}

impl<T> Chunked<T> {
    const CHUNK: usize = 1 << 12;

    fn get(&self, at: u32) -> &T {
        let at = at as usize;
        &self.chunks[at / Self::CHUNK][at % Self::CHUNK]
    }

    /// Appends `value` and returns its place.
    fn push(&mut self, value: T) -> u32 {
        if self.chunks.last().is_none_or(|c| c.len() == Self::CHUNK) {
            self.chunks.push(Vec::with_capacity(Self::CHUNK));
        }
        let full = (self.chunks.len() - 1) * Self::CHUNK;
        let last = self
            .chunks
            .last_mut()
            .expect("a chunk was pushed above when none had room");
        last.push(value);
        (full + last.len() - 1) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store's memory is sized by this (see `PART_CACHE`); each record reads two parts,
    /// so their cache lines are the encoder's wait.
    #[test]
    fn a_cached_part_stays_within_360_bytes() {
        assert!(
            std::mem::size_of::<PartInfo>() <= 360,
            "{}",
            std::mem::size_of::<PartInfo>()
        );
    }

    #[test]
    fn a_part_is_made_once_and_one_past_the_cap_lives_for_its_rows_only() {
        let key = LinkageKey::for_synthetic_demo(b"test");
        let mut store = PartStore::with_caches(&key, 2, super::super::cache::TOKEN_CACHE);
        let a = store.resolve("Anna Maria");
        assert_eq!(store.resolve("Anna Maria"), a, "found, not made again");
        let b = store.resolve("Svensson");
        assert!(matches!((a, b), (Part::Cached(_), Part::Cached(_))) && a != b);
        // The store is full: a third part is made for these rows alone.
        let c = store.resolve("Öberg");
        assert!(matches!(c, Part::Scratch(_)));
        assert_eq!(store.info(c).raw(), "Öberg");
        assert_eq!(store.info(a).raw(), "Anna Maria");
        assert_eq!(store.info(a).tokens().len(), 2);
        store.begin_rows();
        let resolved = store.resolve_all(&["Anna Maria", "Öberg", "Svensson"]);
        assert_eq!(resolved, [a, Part::Scratch(0), b]);
        assert_eq!(store.resolve("Svensson"), b, "stored parts outlive the rows");
    }
}
