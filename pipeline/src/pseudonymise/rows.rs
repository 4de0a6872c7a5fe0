//! Encodes runs of a validated file's rows on one core: the identifiers are read from the
//! file's columns, encoded in groups whose keyed hashes share SIMD lanes, and kept as plain
//! values until the writer turns a row group's worth into columns.

use std::ops::Range;
use std::path::Path;

use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::bitmap::MutableBitmap;

use super::bloom::STORED_BYTES;
use super::encode::{BLOCK_KEYS, DATE_PARTS, Encoder, Identifiers, MATCH_KEYS};
use super::{BLOOM, RECORD_KEY, RELATED_KEY};
use crate::dates::PartialDate;
use crate::error::StageError;

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
    rid: &'a StringChunked,
    rel: &'a StringChunked,
    pnr: &'a StringChunked,
    given: &'a StringChunked,
    family: &'a StringChunked,
    birth: &'a StringChunked,
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
            given: col("given_name")?,
            family: col("family_name")?,
            birth: col("birth_date")?,
        })
    }
}

/// What a run of rows encodes to, in row order.
pub(super) struct EncodedRows {
    record_keys: Vec<[u8; 16]>,
    related_keys: Vec<Option<[u8; 16]>>,
    /// Match keys, blocking keys and date parts, a vector per output column.
    ints: Vec<Vec<Option<i64>>>,
    blooms: Vec<Option<[u8; STORED_BYTES]>>,
    /// How many rows got each match key.
    pub made: [u64; MATCH_KEYS.len()],
}

impl EncodedRows {
    pub fn len(&self) -> usize {
        self.record_keys.len()
    }
}

const INT_COLUMNS: usize = MATCH_KEYS.len() + BLOCK_KEYS.len() + DATE_PARTS.len();

/// Encodes the rows in `range`.
pub(super) fn encode_rows(enc: &mut Encoder, x: &Inputs, range: Range<usize>) -> EncodedRows {
    /// Records whose keyed hashes are computed together.
    const GROUP: usize = 64;
    let n = range.len();
    let mut out = EncodedRows {
        record_keys: Vec::with_capacity(n),
        related_keys: Vec::with_capacity(n),
        // Not `vec![Vec::with_capacity(n); ..]`: its clones would start empty and grow.
        ints: (0..INT_COLUMNS).map(|_| Vec::with_capacity(n)).collect(),
        blooms: Vec::with_capacity(n),
        made: [0; MATCH_KEYS.len()],
    };
    let slice = |c: &StringChunked| c.slice(range.start as i64, n);
    let (org, rid, rel, pnr) = (slice(x.org), slice(x.rid), slice(x.rel), slice(x.pnr));
    let (given, family, birth) = (slice(x.given), slice(x.family), slice(x.birth));
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
    let mut columns = (
        org.iter(),
        rid.iter(),
        rel.iter(),
        pnr.iter(),
        given.iter(),
        family.iter(),
        birth.iter(),
    );
    fn next<'s>(i: &mut impl Iterator<Item = Option<&'s str>>) -> Option<&'s str> {
        i.next().flatten()
    }
    for group in years.chunks(GROUP) {
        let ids: Vec<Identifiers> = group
            .iter()
            .map(|&y| {
                let (org, rid, rel, pnr, given, family, birth) = &mut columns;
                Identifiers {
                    org: next(org).unwrap_or(""),
                    year: year_text[y].1.as_str(),
                    record_id: next(rid).unwrap_or(""),
                    related_id: next(rel),
                    personal_number: next(pnr),
                    given: next(given).unwrap_or(""),
                    family: next(family).unwrap_or(""),
                    birth: next(birth).and_then(|b| PartialDate::parse(b).ok()),
                }
            })
            .collect();
        for e in enc.encode_many(&ids) {
            out.record_keys.push(e.record_key);
            out.related_keys.push(e.related_key);
            for (m, v) in out.made.iter_mut().zip(&e.match_keys) {
                *m += u64::from(v.is_some());
            }
            for (dst, v) in out
                .ints
                .iter_mut()
                .zip(e.match_keys.iter().chain(&e.block_keys).chain(&e.date_parts))
            {
                dst.push(*v);
            }
            out.blooms.push(e.bloom);
        }
    }
    out
}

/// A key in hex, written into `buf` (no allocation per row).
fn as_hex<'b>(k: &[u8; 16], buf: &'b mut [u8; 32]) -> &'b str {
    hex::encode_to_slice(k, buf).expect("16 bytes make 32 hex digits");
    std::str::from_utf8(buf).expect("hex digits are ASCII")
}

/// The columns of consecutive runs of rows, in output order: record key, related record key,
/// match keys, blocking keys, date parts and the filter.
pub(super) fn columns(parts: &[EncodedRows]) -> Vec<Column> {
    let n: usize = parts.iter().map(EncodedRows::len).sum();
    let mut rk = StringChunkedBuilder::new(RECORD_KEY.into(), n);
    let mut relk = StringChunkedBuilder::new(RELATED_KEY.into(), n);
    let mut hex = [0u8; 32];
    for p in parts {
        for k in &p.record_keys {
            rk.append_value(as_hex(k, &mut hex));
        }
        for k in &p.related_keys {
            match k {
                Some(k) => relk.append_value(as_hex(k, &mut hex)),
                None => relk.append_null(),
            }
        }
    }
    let mut out = vec![rk.finish().into_column(), relk.finish().into_column()];
    out.extend(
        MATCH_KEYS
            .iter()
            .chain(&BLOCK_KEYS)
            .chain(&DATE_PARTS)
            .enumerate()
            .map(|(c, name)| {
                let mut values = Vec::with_capacity(n);
                let mut valid = MutableBitmap::with_capacity(n);
                for v in parts.iter().flat_map(|p| &p.ints[c]) {
                    values.push(v.unwrap_or(0));
                    valid.push(v.is_some());
                }
                let array = PrimitiveArray::new(ArrowDataType::Int64, values.into(), Some(valid.into()));
                Int64Chunked::with_chunk((*name).into(), array).into_column()
            }),
    );
    let blooms = parts
        .iter()
        .flat_map(|p| p.blooms.iter().map(|b| b.as_ref().map(|b| &b[..])));
    out.push(
        BinaryChunked::from_iter(blooms)
            .with_name(BLOOM.into())
            .into_column(),
    );
    out
}
