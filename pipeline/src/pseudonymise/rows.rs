//! Encodes runs of a validated file's rows on one core: the identifiers are read from the
//! file's columns, encoded in groups whose keyed hashes share SIMD lanes, and kept as plain
//! values until the writer turns a row group's worth into columns.

use std::ops::Range;
use std::path::Path;

use polars::prelude::*;

use super::births::Birth;
use super::bloom::STORED_BYTES;
use super::encode::{BLOCK_KEYS, DATE_PARTS, MATCH_KEYS, Record, RecordEncoder};
use super::parts::{Part, PartStore};
use super::{BLOOM, RECORD_KEY, RELATED_KEY};
use crate::dates::PartialDate;
use crate::error::StageError;
use crate::parquet_io::{Coded, FixedRun, Out};

pub(super) fn str_col<'a>(
    df: &'a DataFrame,
    name: &str,
    path: &Path,
) -> Result<&'a StringChunked, StageError> {
    df.column(name)
        .and_then(|c| c.str())
        .map_err(|e| StageError::ParquetRead {
            path: path.to_path_buf(),
            message: format!("column {name}: {e}"),
        })
}

/// The input columns a file's rows are encoded from.
pub(super) struct Inputs<'a> {
    pub org: &'a StringChunked,
    pub year: &'a Int64Chunked,
    pub rid: &'a StringChunked,
    rel: &'a StringChunked,
    pnr: &'a StringChunked,
}

impl<'a> Inputs<'a> {
    pub fn new(df: &'a DataFrame, path: &Path) -> Result<Self, StageError> {
        let col = |n: &str| str_col(df, n, path);
        Ok(Inputs {
            org: col("org_id")?,
            year: df
                .column("report_year")
                .and_then(|c| c.i64())
                .map_err(|e| StageError::ParquetRead {
                    path: path.to_path_buf(),
                    message: format!("column report_year: {e}"),
                })?,
            rid: col("record_id")?,
            rel: col("related_record_id")?,
            pnr: col("personal_number")?,
        })
    }
}

/// A file's names and birth dates, as codes into its dictionaries of distinct values.
pub(super) struct NameCodes {
    pub given: Coded,
    pub family: Coded,
    pub birth: Coded,
}

/// The names and birth dates of a segment of a file's rows, each distinct value resolved once:
/// names to parts in the run's store, dates parsed and keyed. A segment, not the whole file,
/// so that the parts a full store cannot keep are held for a bounded number of rows.
pub(super) struct Names<'c> {
    given: Resolved<'c, Part>,
    family: Resolved<'c, Part>,
    birth: Resolved<'c, Option<Birth>>,
}

struct Resolved<'c, T> {
    codes: &'c [u32],
    /// Each code's place in `values`, for the codes the segment uses; none when the segment is
    /// the whole file and every value is resolved in the dictionary's order.
    local: Option<Vec<u32>>,
    values: Vec<T>,
}

impl<'c, T> Resolved<'c, T> {
    fn new(c: &'c Coded, rows: &Range<usize>, f: impl FnOnce(&[&str]) -> Vec<T>) -> Self {
        if rows.len() == c.codes.len() {
            let texts: Vec<&str> = c.values.iter().map(|v| v.as_deref().unwrap_or("")).collect();
            return Resolved {
                values: f(&texts),
                codes: &c.codes,
                local: None,
            };
        }
        let mut local = vec![u32::MAX; c.values.len()];
        let mut texts: Vec<&str> = Vec::new();
        for &code in &c.codes[rows.clone()] {
            let at = &mut local[code as usize];
            if *at == u32::MAX {
                *at = texts.len() as u32;
                texts.push(c.values[code as usize].as_deref().unwrap_or(""));
            }
        }
        Resolved {
            values: f(&texts),
            codes: &c.codes,
            local: Some(local),
        }
    }

    fn get(&self, row: usize) -> &T {
        let code = self.codes[row] as usize;
        &self.values[self.local.as_ref().map_or(code, |l| l[code] as usize)]
    }
}

impl<'c> Names<'c> {
    /// Resolves the distinct names (a blank is the empty name) and dates of `rows`.
    pub fn for_rows(store: &mut PartStore, codes: &'c NameCodes, rows: &Range<usize>) -> Self {
        store.begin_rows();
        Names {
            given: Resolved::new(&codes.given, rows, |v| store.resolve_all(v)),
            family: Resolved::new(&codes.family, rows, |v| store.resolve_all(v)),
            birth: Resolved::new(&codes.birth, rows, |v| {
                v.iter()
                    .map(|b| PartialDate::parse(b).ok().map(|d| store.birth(d)))
                    .collect()
            }),
        }
    }
}

/// What a run of rows encodes to, in row order.
pub(super) struct EncodedRows {
    /// Record keys and related record keys in hex, and filters, as the writer writes them.
    record_keys: FixedRun,
    related_keys: FixedRun,
    /// Match keys, blocking keys and date parts, a run per output column.
    ints: Vec<FixedRun>,
    blooms: FixedRun,
    /// How many rows got each match key.
    pub made: [u64; MATCH_KEYS.len()],
}

impl EncodedRows {
    pub fn len(&self) -> usize {
        self.record_keys.present.len()
    }
}

const INT_COLUMNS: usize = MATCH_KEYS.len() + BLOCK_KEYS.len() + DATE_PARTS.len();

/// Encodes the rows in `range`.
pub(super) fn encode_rows(
    enc: &mut RecordEncoder,
    store: &PartStore,
    (x, names): (&Inputs, &Names),
    range: Range<usize>,
) -> EncodedRows {
    /// Records whose keyed hashes are computed together.
    const GROUP: usize = 64;
    let n = range.len();
    let fixed = |width: usize| FixedRun {
        bytes: Vec::with_capacity(n * width),
        present: Vec::with_capacity(n),
    };
    let mut out = EncodedRows {
        record_keys: fixed(HEX),
        related_keys: FixedRun::default(),
        // Not `vec![fixed(8); ..]`: its clones would start empty and grow.
        ints: (0..INT_COLUMNS).map(|_| fixed(8)).collect(),
        blooms: fixed(STORED_BYTES),
        made: [0; MATCH_KEYS.len()],
    };
    let slice = |c: &StringChunked| c.slice(range.start as i64, n);
    let (org, rid, rel, pnr) = (slice(x.org), slice(x.rid), slice(x.rel), slice(x.pnr));
    let year = x.year.slice(range.start as i64, n);
    // A file holds a year or two: each year's text is made once, not once per row.
    let mut year_text: Vec<(Option<i64>, String)> = Vec::new();
    let mut years: Vec<usize> = Vec::with_capacity(n);
    for y in year.iter() {
        let at = year_text.iter().position(|(v, _)| *v == y).unwrap_or_else(|| {
            year_text.push((y, y.unwrap_or(0).to_string()));
            year_text.len() - 1
        });
        years.push(at);
    }
    let mut columns = (org.iter(), rid.iter(), rel.iter(), pnr.iter());
    fn next<'s>(i: &mut impl Iterator<Item = Option<&'s str>>) -> Option<&'s str> {
        i.next().flatten()
    }
    let mut row = range.start;
    for group in years.chunks(GROUP) {
        let ids: Vec<Record> = group
            .iter()
            .map(|&y| {
                let (org, rid, rel, pnr) = &mut columns;
                row += 1;
                Record {
                    org: next(org).unwrap_or(""),
                    year: year_text[y].1.as_str(),
                    record_id: next(rid).unwrap_or(""),
                    related_id: next(rel),
                    personal_number: next(pnr),
                    given: *names.given.get(row - 1),
                    family: *names.family.get(row - 1),
                    birth: names.birth.get(row - 1).as_ref(),
                }
            })
            .collect();
        for e in &enc.encode_many(store, &ids) {
            push_hex(&mut out.record_keys, Some(&e.record_key));
            push_hex(&mut out.related_keys, e.related_key.as_ref());
            for (m, v) in out.made.iter_mut().zip(&e.match_keys) {
                *m += u64::from(v.is_some());
            }
            for (dst, v) in out
                .ints
                .iter_mut()
                .zip(e.match_keys.iter().chain(&e.block_keys).chain(&e.date_parts))
            {
                dst.push(v.map(i64::to_le_bytes).as_ref().map(|b| &b[..]));
            }
            out.blooms.push(e.bloom.as_ref().map(|b| &b[..]));
        }
    }
    out
}

/// Hex digits of a 16-byte key.
const HEX: usize = 32;

/// The two lowercase hex digits of every byte: a key is written sixteen lookups at a time
/// (digit by digit, the `hex` crate's way, took 4% of pseudonymise's time).
const HEX_PAIRS: [[u8; 2]; 256] = {
    let digits = b"0123456789abcdef";
    let mut pairs = [[0u8; 2]; 256];
    let mut b = 0;
    while b < 256 {
        pairs[b] = [digits[b >> 4], digits[b & 15]];
        b += 1;
    }
    pairs
};

/// Appends a key in hex, or an absent row.
fn push_hex(run: &mut FixedRun, key: Option<&[u8; 16]>) {
    let text = key.map(|k| {
        let mut text = [0u8; HEX];
        for (pair, &b) in text.chunks_exact_mut(2).zip(k) {
            pair.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
        }
        text
    });
    run.push(text.as_ref().map(|t| &t[..]));
}

/// The columns of consecutive runs of rows, in output order: record key and related record
/// key; match keys, blocking keys and date parts; the filter.
pub(super) fn columns(parts: Vec<EncodedRows>) -> (Vec<Out>, Vec<Out>, Out) {
    let mut ints: Vec<Vec<FixedRun>> = (0..INT_COLUMNS)
        .map(|_| Vec::with_capacity(parts.len()))
        .collect();
    let (mut rk, mut relk, mut blooms) = (Vec::new(), Vec::new(), Vec::new());
    for p in parts {
        for (col, run) in ints.iter_mut().zip(p.ints) {
            col.push(run);
        }
        rk.push(p.record_keys);
        relk.push(p.related_keys);
        blooms.push(p.blooms);
    }
    let fixed = |name: &str, width: usize, runs: Vec<FixedRun>| Out::Fixed {
        name: name.into(),
        width,
        runs,
    };
    // Match keys are keyed hashes of whole identities: they hardly repeat within a file.
    let ints = MATCH_KEYS
        .iter()
        .chain(&BLOCK_KEYS)
        .chain(&DATE_PARTS)
        .zip(ints)
        .enumerate()
        .map(|(c, (name, runs))| Out::Ints {
            name: (*name).into(),
            runs,
            repeating: c >= MATCH_KEYS.len(),
        })
        .collect();
    (
        vec![fixed(RECORD_KEY, HEX, rk), fixed(RELATED_KEY, HEX, relk)],
        ints,
        fixed(BLOOM, STORED_BYTES, blooms),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_written_in_the_hex_everyone_else_writes() {
        let mut run = FixedRun::default();
        let keys: Vec<[u8; 16]> = (0u8..=255)
            .step_by(16)
            .map(|b| std::array::from_fn(|i| b.wrapping_add(i as u8)))
            .collect();
        for k in &keys {
            push_hex(&mut run, Some(k));
            push_hex(&mut run, None);
        }
        let want: String = keys.iter().map(hex::encode).collect();
        assert_eq!(String::from_utf8(run.bytes).expect("ascii"), want);
        assert_eq!(run.present.iter().filter(|&&p| p).count(), keys.len());
        assert_eq!(run.present.len(), 2 * keys.len());
    }
}
