//! Dictionary pages written by hand for text held as codes. polars' writer would walk each code
//! through a chain of iterators four times (maximum, validity filter, run detection, packing);
//! at 10 million persons that was the largest single cost of the link stage's writing. Here a
//! chunk is one dictionary page and data pages of bit-packed codes, made in one pass each.

use polars_parquet::parquet::CowBuffer;
use polars_parquet::parquet::error::ParquetError;
use polars_parquet::parquet::metadata::Descriptor;
use polars_parquet::parquet::page::{DataPage, DataPageHeader, DataPageHeaderV1, DictPage};
use polars_parquet::parquet::schema::Repetition;
use polars_parquet::parquet::schema::types::PhysicalType;
use polars_parquet::write::{CompressedPage, CompressionOptions, Compressor, Encoding, Page, ParquetType};

use crate::open_table::Table;

mod packing;
#[cfg(test)]
mod tests;

use packing::{data_page, levels};

/// Rows per data page: a page is read whole, so this bounds a reader's buffer.
const PAGE_ROWS: usize = 1 << 18;
/// Bytes of values per page of fixed-width values at most: a larger buffer is its own mapping
/// of fresh memory, every page of it faulted in again for every page written (a third of
/// pseudonymise's page faults came from 34 MB pages of filters).
const PAGE_BYTES: usize = 1 << 22;
/// Values per bit-packed run; a multiple of 8, as every run but the last must be.
const RUN: usize = 1 << 16;

/// One column chunk of dictionary codes (`dict[c]`, `None` entries being nulls) as compressed
/// pages: the dictionary of the non-null values, then the codes.
pub(super) fn coded_pages(
    dict: &[Option<String>],
    codes: &[u32],
    type_: &ParquetType,
    compression: CompressionOptions,
) -> Result<Vec<CompressedPage>, String> {
    if !matches!(type_, ParquetType::PrimitiveType(p) if p.physical_type == PhysicalType::ByteArray) {
        return Err("codes can only be written to a column of text".into());
    }
    // Nulls are marked on the rows; the dictionary page holds only real values, renumbered.
    let mut values = Vec::new();
    let mut n_values = 0usize;
    let remap: Vec<Option<u32>> = dict
        .iter()
        .map(|v| {
            v.as_deref().map(|v| {
                values.extend_from_slice(&(v.len() as u32).to_le_bytes());
                values.extend_from_slice(v.as_bytes());
                n_values += 1;
                (n_values - 1) as u32
            })
        })
        .collect();
    if n_values == 0 {
        // A column of nulls only: the dictionary still needs an entry.
        values.extend_from_slice(&0u32.to_le_bytes());
        n_values = 1;
    }
    dictionary_pages(values, n_values, &remap, codes, type_, compression)
}

/// One column chunk of 64-bit integers that repeat (blocking keys, date parts; `len` rows) as a
/// dictionary page and codes; `None` when more than half of them are distinct, where a
/// dictionary does not pay and the caller writes them plain.
pub(super) fn int_dictionary_pages(
    column: impl Iterator<Item = Option<i64>>,
    len: usize,
    type_: &ParquetType,
    compression: CompressionOptions,
) -> Option<Result<Vec<CompressedPage>, String>> {
    if let ParquetType::PrimitiveType(p) = type_
        && p.physical_type != PhysicalType::Int64
    {
        return Some(Err(
            "64-bit integers can only be written to a column of them".into()
        ));
    }
    let limit = len / 2 + 1;
    let mut index = IntCodes::new();
    let mut values = Vec::new();
    let mut codes = Vec::with_capacity(len);
    for v in column {
        // Code 0 is the null; values are numbered from 1 in the order they come.
        let code = v.map_or(0, |v| {
            index.code(v, || {
                values.extend_from_slice(&v.to_le_bytes());
            })
        });
        codes.push(code);
        if index.len as usize > limit {
            return None;
        }
    }
    let mut n_values = index.len as usize;
    let mut remap: Vec<Option<u32>> = vec![None];
    remap.extend((0..n_values as u32).map(Some));
    if n_values == 0 {
        values.extend_from_slice(&0i64.to_le_bytes());
        n_values = 1;
    }
    Some(dictionary_pages(
        values,
        n_values,
        &remap,
        &codes,
        type_,
        compression,
    ))
}

/// Codes of distinct 64-bit values, numbered from 1 as they come (a general hash map, hashing
/// each value in full, was most of the cost of coding the key columns of pseudonymise's output).
struct IntCodes {
    /// Codes by value; 0 is no key there, so the value 0 has its own place.
    table: Table<u32>,
    zero: u32,
    len: u32,
}

impl IntCodes {
    fn new() -> Self {
        IntCodes {
            table: Table::new(usize::MAX),
            zero: 0,
            len: 0,
        }
    }

    /// The value's code; a new value gets the next one and `new` is called.
    fn code(&mut self, v: i64, new: impl FnOnce()) -> u32 {
        let next = self.len + 1;
        let code = if v == 0 {
            if self.zero == 0 {
                self.zero = next;
            }
            self.zero
        } else {
            self.table.get_or_insert(v as u64, || next)
        };
        if code == next {
            self.len = next;
            new();
        }
        code
    }
}

/// A dictionary page of `n_values` plain-encoded values, then data pages of the codes
/// (`remap[c]`: code c's place in the dictionary, `None` for a null).
fn dictionary_pages(
    values: Vec<u8>,
    n_values: usize,
    remap: &[Option<u32>],
    codes: &[u32],
    type_: &ParquetType,
    compression: CompressionOptions,
) -> Result<Vec<CompressedPage>, String> {
    let ParquetType::PrimitiveType(primitive) = type_ else {
        return Err("codes can only be written to a column of values".into());
    };
    let optional = primitive.field_info.repetition != Repetition::Required;
    let bits = (u32::BITS - (n_values as u32 - 1).leading_zeros()).max(1);
    let descriptor = Descriptor {
        primitive_type: primitive.clone(),
        max_def_level: i16::from(optional),
        max_rep_level: 0,
    };
    let mut pages = vec![Ok(Page::Dict(DictPage::new(
        CowBuffer::Owned(values),
        n_values,
        false,
    )))];
    for part in codes.chunks(PAGE_ROWS) {
        let buffer = data_page(part, remap, bits, optional)?;
        let header = DataPageHeader::V1(DataPageHeaderV1 {
            num_values: part.len() as i32,
            encoding: Encoding::RleDictionary.into(),
            definition_level_encoding: Encoding::Rle.into(),
            repetition_level_encoding: Encoding::Rle.into(),
            statistics: None,
        });
        let page = DataPage::new(header, CowBuffer::Owned(buffer), descriptor.clone(), part.len());
        pages.push(Ok(Page::Data(page)));
    }
    Compressor::new_from_vec(pages.into_iter(), compression, vec![])
        .map(|p| p.map_err(|e: ParquetError| e.to_string()))
        .collect()
}

/// One column chunk of values of `width` bytes each as plain, uncompressed data pages, the
/// absent rows marked in the definition levels: byte strings (each value its length and its
/// bytes) or 64-bit integers (the value alone).
pub(super) fn fixed_pages(
    width: usize,
    runs: &[super::encode::FixedRun],
    type_: &ParquetType,
) -> Result<Vec<CompressedPage>, String> {
    let (primitive, prefixed) = match type_ {
        ParquetType::PrimitiveType(p) if p.physical_type == PhysicalType::ByteArray => (p, true),
        ParquetType::PrimitiveType(p) if p.physical_type == PhysicalType::Int64 && width == 8 => (p, false),
        _ => {
            return Err(format!(
                "values of {width} bytes cannot be written to this column"
            ));
        }
    };
    for r in runs {
        let present = r.present.iter().filter(|&&p| p).count();
        if r.bytes.len() != present * width {
            return Err(format!(
                "{} bytes for {present} values of {width} bytes",
                r.bytes.len()
            ));
        }
    }
    let optional = primitive.field_info.repetition != Repetition::Required;
    let descriptor = Descriptor {
        primitive_type: primitive.clone(),
        max_def_level: i16::from(optional),
        max_rep_level: 0,
    };
    // Rows (whether present) and values in order, across the runs, a page at a time.
    let mut rows = runs.iter().flat_map(|r| r.present.iter().copied());
    let mut values = runs.iter().flat_map(|r| r.bytes.chunks_exact(width.max(1)));
    let total: usize = runs.iter().map(|r| r.present.len()).sum();
    let mut pages = Vec::new();
    let mut left = total;
    let prefix = (width as u32).to_le_bytes();
    while left > 0 {
        let n = left.min(PAGE_ROWS).min((PAGE_BYTES / (width + 4)).max(1));
        left -= n;
        let present: Vec<bool> = rows.by_ref().take(n).collect();
        let count = present.iter().filter(|&&p| p).count();
        let mut out = Vec::with_capacity(16 + n / 8 + count * (4 + width));
        let prefix: &[u8] = if prefixed { &prefix } else { &[] };
        if optional {
            let valid: Vec<u8> = present
                .chunks(8)
                .map(|eight| {
                    eight
                        .iter()
                        .enumerate()
                        .fold(0u8, |b, (i, &p)| b | u8::from(p) << i)
                })
                .collect();
            levels(&mut out, &valid, n, count == n);
        } else if count < n {
            return Err("a null in a column that may not hold nulls".into());
        }
        for v in values.by_ref().take(count) {
            out.extend_from_slice(prefix);
            out.extend_from_slice(v);
        }
        let header = DataPageHeader::V1(DataPageHeaderV1 {
            num_values: n as i32,
            encoding: Encoding::Plain.into(),
            definition_level_encoding: Encoding::Rle.into(),
            repetition_level_encoding: Encoding::Rle.into(),
            statistics: None,
        });
        let page = DataPage::new(header, CowBuffer::Owned(out), descriptor.clone(), n);
        pages.push(Ok(Page::Data(page)));
    }
    Compressor::new_from_vec(pages.into_iter(), CompressionOptions::Uncompressed, vec![])
        .map(|p| p.map_err(|e: ParquetError| e.to_string()))
        .collect()
}
