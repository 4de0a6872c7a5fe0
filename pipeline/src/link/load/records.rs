//! The records of all organisations as columns in memory, and how each file's part joins
//! them (its organisation and answer codes translated into the whole's).

use polars::prelude::*;

use super::BLOCKS;
use crate::parquet_io::Coded;
use crate::pseudonymise::bloom::STORED_WORDS;
use crate::pseudonymise::{DATE_PARTS, MATCH_KEYS};

/// A stored Bloom filter; all zeros means the record had no name (a real filter is balanced,
/// so it always has ones).
pub type Filter = [u64; STORED_WORDS];

/// All records of all organisations, column-wise; record i is index i everywhere.
#[derive(Default)]
pub struct Records {
    pub orgs: Vec<String>,
    pub org: Vec<u16>,
    pub report_year: Vec<i64>,
    /// Record keys as the files hold them (hex text), kept as read: no per-record copy.
    pub record_key: StringChunked,
    /// Keys as `key_values` makes them: 0 for none.
    pub match_keys: Vec<Vec<i64>>,
    /// The fuzzy step's blocking keys, `BLOCKS` columns (see `with_token_years`).
    pub block_keys: Vec<Vec<i64>>,
    pub date_parts: Vec<Vec<i64>>,
    pub bloom: Vec<Filter>,
    /// Answers per attribute column (same order as `attribute_columns`).
    pub attrs: Vec<Coded>,
    pub attr_names: Vec<String>,
    pub fingerprint: String,
    /// Files in the input folder that are not Parquet, so not read (besides pseudonymise's
    /// own report): a submission or a file saved under another name would be left out.
    pub not_read: Vec<String>,
    /// Pseudonymised files of no records: their organisation counts as having reported nobody.
    pub empty_files: Vec<String>,
}

impl Records {
    pub fn len(&self) -> usize {
        self.org.len()
    }

    pub fn is_empty(&self) -> bool {
        self.org.is_empty()
    }

    pub fn attr(&self, name: &str) -> Option<&Coded> {
        self.attr_names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.attrs[i])
    }

    /// Whether the fuzzy step's columns were loaded (see `load_for`).
    pub fn has_fuzzy_columns(&self) -> bool {
        self.bloom.len() == self.len()
    }

    /// The record key as the pseudonymised file wrote it.
    pub fn record_key_hex(&self, i: usize) -> String {
        self.record_key.get(i).unwrap_or_default().to_string()
    }

    pub(super) fn empty(attr_names: Vec<String>) -> Self {
        Records {
            match_keys: vec![Vec::new(); MATCH_KEYS.len()],
            block_keys: vec![Vec::new(); BLOCKS],
            date_parts: vec![Vec::new(); DATE_PARTS.len()],
            attrs: vec![Coded::new(); attr_names.len()],
            attr_names,
            ..Default::default()
        }
    }

    /// Room for `n` records in every column, so appending the parts copies each value once
    /// instead of regrowing gigabyte vectors.
    pub(super) fn reserve(&mut self, n: usize, fuzzy: bool) {
        self.org.reserve_exact(n);
        self.report_year.reserve_exact(n);
        for c in &mut self.match_keys {
            c.reserve_exact(n);
        }
        for c in &mut self.date_parts {
            c.reserve_exact(n);
        }
        if fuzzy {
            for c in &mut self.block_keys {
                c.reserve_exact(n);
            }
            self.bloom.reserve_exact(n);
        }
        for a in &mut self.attrs {
            a.codes.reserve_exact(n);
        }
    }

    /// Appends another part (one file), translating its organisations and answer codes.
    pub(super) fn append(&mut self, other: Records) -> Result<(), String> {
        let org_map = self.org_map(&other.orgs)?;
        self.org.extend(other.org.iter().map(|&o| org_map[o as usize]));
        self.report_year.extend(other.report_year);
        self.record_key
            .append_owned(other.record_key)
            .map_err(|e| e.to_string())?;
        for (a, b) in [
            (&mut self.match_keys, other.match_keys),
            (&mut self.block_keys, other.block_keys),
            (&mut self.date_parts, other.date_parts),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                x.extend(y);
            }
        }
        self.bloom.extend(other.bloom);
        for (x, y) in self.attrs.iter_mut().zip(other.attrs) {
            x.append(y);
        }
        Ok(())
    }

    /// This part's organisation codes in the whole: organisations new to it are added.
    fn org_map(&mut self, orgs: &[String]) -> Result<Vec<u16>, String> {
        let new = orgs.iter().filter(|o| !self.orgs.contains(o)).count();
        if self.orgs.len() + new > usize::from(u16::MAX) {
            return Err("more than 65 535 organisations in all".into());
        }
        Ok(orgs
            .iter()
            .map(|o| match self.orgs.iter().position(|x| x == o) {
                Some(i) => i as u16,
                None => {
                    self.orgs.push(o.clone());
                    (self.orgs.len() - 1) as u16
                }
            })
            .collect())
    }
}
