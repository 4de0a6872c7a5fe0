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

/// Definition levels of an optional column's page of `rows` rows: their length, then one run
/// of ones when every row is present, else the validity bits (`valid`, least significant bit
/// first, as arrow holds them) as bit-packed runs of width 1.
fn levels(out: &mut Vec<u8>, valid: &[u8], rows: usize, all: bool) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    if all {
        uleb128(out, (rows as u64) << 1);
        out.push(1);
    } else {
        for run in valid.chunks(RUN / 8) {
            uleb128(out, ((run.len() as u64) << 1) | 1);
            out.extend_from_slice(run);
        }
    }
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// A V1 data page body: definition levels (when the column is optional), then the bit width
/// and the non-null rows' codes, bit-packed.
fn data_page(codes: &[u32], remap: &[Option<u32>], bits: u32, optional: bool) -> Result<Vec<u8>, String> {
    if let Some(&c) = codes.iter().max().filter(|&&c| c as usize >= remap.len()) {
        return Err(format!(
            "code {c} is past the end of a dictionary of {}",
            remap.len()
        ));
    }
    // Without branches: nulls fall at random among the rows, and a branch on each would be
    // mispredicted every other time.
    let key: Vec<u32> = remap.iter().map(|k| k.unwrap_or(0)).collect();
    let present: Vec<u8> = remap.iter().map(|k| u8::from(k.is_some())).collect();
    let mut valid = vec![0u8; codes.len().div_ceil(8)];
    let mut keys = vec![0u32; codes.len()];
    let mut n = 0usize;
    for (byte, eight) in valid.iter_mut().zip(codes.chunks(8)) {
        let mut bits = 0u8;
        for (bit, &c) in eight.iter().enumerate() {
            let p = present[c as usize];
            keys[n] = key[c as usize];
            n += usize::from(p);
            bits |= p << bit;
        }
        *byte = bits;
    }
    keys.truncate(n);
    let mut out = Vec::with_capacity(16 + valid.len() + keys.len() * bits as usize / 8);
    if optional {
        levels(&mut out, &valid, codes.len(), keys.len() == codes.len());
    } else if keys.len() < codes.len() {
        return Err("a null in a column that may not hold nulls".into());
    }
    out.push(bits as u8);
    for run in keys.chunks(RUN) {
        uleb128(&mut out, ((run.len().div_ceil(8) as u64) << 1) | 1);
        pack(&mut out, run, bits);
    }
    Ok(out)
}

/// Appends `values` bit-packed at `bits` bits each, least significant bit first, padded to
/// whole groups of eight values as a bit-packed run must be.
fn pack(out: &mut Vec<u8>, values: &[u32], bits: u32) {
    let start = out.len();
    out.resize(start + values.len().div_ceil(8) * bits as usize, 0);
    let dst = &mut out[start..];
    let (mut acc, mut filled, mut at) = (0u64, 0u32, 0usize);
    for &v in values {
        acc |= u64::from(v) << filled;
        filled += bits;
        if filled >= 32 {
            dst[at..at + 4].copy_from_slice(&(acc as u32).to_le_bytes());
            at += 4;
            acc >>= 32;
            filled -= 32;
        }
    }
    let rest = filled.div_ceil(8) as usize;
    dst[at..at + rest].copy_from_slice(&acc.to_le_bytes()[..rest]);
}

fn uleb128(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_parquet::parquet::encoding::hybrid_rle::HybridRleDecoder;

    #[test]
    fn packed_codes_decode_to_the_same_values_at_every_width_and_length() {
        for bits in [1u32, 2, 3, 5, 8, 13, 31, 32] {
            for n in [0usize, 1, 7, 8, 9, 33, 100, RUN + 5] {
                let max = if bits == 32 { u32::MAX } else { (1 << bits) - 1 };
                let values: Vec<u32> = (0..n as u32)
                    .map(|i| i.wrapping_mul(2_654_435_761) & max)
                    .collect();
                let mut out = Vec::new();
                for run in values.chunks(RUN) {
                    uleb128(&mut out, ((run.len().div_ceil(8) as u64) << 1) | 1);
                    pack(&mut out, run, bits);
                }
                let decoded: Vec<u32> = HybridRleDecoder::new(&out, bits, n).collect().expect("decodes");
                assert_eq!(decoded, values, "{bits} bits, {n} values");
            }
        }
    }

    #[test]
    fn codes_with_scattered_nulls_over_several_pages_read_back_whole() {
        use crate::parquet_io::{Kind, Out, ParquetSink, read, read_coded};
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.parquet");
        let dict = vec![
            None,
            Some("a".to_string()),
            Some("bb".to_string()),
            None,
            Some("ccc".to_string()),
        ];
        let n = 2 * PAGE_ROWS + 12_345;
        let codes: Vec<u32> = (0..n as u64)
            .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61) as u32 % 5)
            .collect();
        let mut sink = ParquetSink::create(&path, &[("answer", Kind::Str)]).expect("create");
        for part in codes.chunks(PAGE_ROWS * 2 + 1) {
            let coded = Out::Coded {
                name: "answer".into(),
                dict: dict.clone(),
                codes: part.to_vec(),
            };
            sink.push_batch(vec![coded]).expect("push");
        }
        assert_eq!(sink.finish().expect("finish"), n as u64);
        let want: Vec<Option<&str>> = codes.iter().map(|&c| dict[c as usize].as_deref()).collect();
        let df = read(&path).expect("read");
        let got: Vec<Option<&str>> = df
            .column("answer")
            .expect("column")
            .str()
            .expect("text")
            .iter()
            .collect();
        assert_eq!(got, want, "polars reads back every row");
        let coded = read_coded(&path, &["answer".to_string()]).expect("read codes");
        let coded = coded[0].as_ref().expect("read from the dictionary pages");
        let got: Vec<Option<&str>> = coded
            .codes
            .iter()
            .map(|&c| coded.values[c as usize].as_deref())
            .collect();
        assert_eq!(got, want, "the dictionary reader reads back every row");
    }

    #[test]
    fn repeating_integers_are_written_as_a_dictionary_and_distinct_ones_plain_and_both_read_back() {
        use crate::parquet_io::{FixedRun, Kind, Out, ParquetSink, read};
        use polars::prelude::*;
        let dir = tempfile::tempdir().expect("tempdir");
        let n = PAGE_ROWS + 777;
        // A few values, nulls among them, zero and the extremes included; and values nearly all
        // distinct.
        let few: Vec<Option<i64>> = (0..n as i64)
            .map(|i| match i % 7 {
                0 => None,
                1 => Some(i64::MIN),
                2 => Some(i64::MAX),
                k => Some((k - 3) * 1_000_003),
            })
            .collect();
        let many: Vec<Option<i64>> = (0..n as i64)
            .map(|i| (i % 11 != 0).then(|| i.wrapping_mul(0x9E37_79B9)))
            .collect();
        let column = |v: &[Option<i64>]| Int64Chunked::from_slice_options("k".into(), v);
        let t = ParquetType::from_physical("k".into(), PhysicalType::Int64);
        let opts = CompressionOptions::Lz4Raw;
        let pages = |v: &[Option<i64>]| int_dictionary_pages(v.iter().copied(), v.len(), &t, opts);
        assert!(pages(&few).is_some());
        assert!(pages(&many).is_none(), "a dictionary would not pay");
        // Runs of unequal length, as the cores hand them over.
        let runs = |v: &[Option<i64>]| -> Vec<FixedRun> {
            v.chunks(PAGE_ROWS / 3 + 5)
                .map(|rows| FixedRun {
                    bytes: rows.iter().flatten().flat_map(|x| x.to_le_bytes()).collect(),
                    present: rows.iter().map(Option::is_some).collect(),
                })
                .collect()
        };
        for values in [&few, &many] {
            for way in ["column", "runs, repeating", "runs, plain"] {
                let path = dir.path().join("k.parquet");
                let mut sink = ParquetSink::create(&path, &[("k", Kind::Int)]).expect("create");
                for part in values.chunks(n / 2 + 1) {
                    let out = match way {
                        "column" => Out::Repeating(column(part).into_column()),
                        _ => Out::Ints {
                            name: "k".into(),
                            runs: runs(part),
                            repeating: way == "runs, repeating",
                        },
                    };
                    sink.push_batch(vec![out]).expect("push");
                }
                sink.finish().expect("finish");
                let df = read(&path).expect("read");
                let got: Vec<Option<i64>> = df.column("k").expect("k").i64().expect("int").iter().collect();
                assert!(&got == values, "every row reads back ({way})");
            }
        }
        let Some(Ok(pages)) = pages(&[None, None]) else {
            panic!("a column of nulls is a dictionary of one")
        };
        assert!(pages.len() >= 2);
    }

    #[test]
    fn fixed_width_values_with_absent_rows_over_several_pages_and_runs_read_back_whole() {
        use crate::parquet_io::{FixedRun, Kind, Out, ParquetSink, read};
        let dir = tempfile::tempdir().expect("tempdir");
        let n = 2 * PAGE_ROWS + 999;
        let value = |i: usize| -> Option<Vec<u8>> {
            (i % 13 != 5).then(|| (0..4).map(|k| (i.wrapping_mul(31) + k) as u8).collect())
        };
        let want: Vec<Option<Vec<u8>>> = (0..n).map(value).collect();
        // Runs of unequal length, as the cores hand them to the writer, one row group in all.
        let runs: Vec<FixedRun> = want
            .chunks(PAGE_ROWS / 3 + 7)
            .map(|rows| FixedRun {
                bytes: rows.iter().flatten().flatten().copied().collect(),
                present: rows.iter().map(Option::is_some).collect(),
            })
            .collect();
        for every in [false, true] {
            let path = dir.path().join("f.parquet");
            let runs: Vec<FixedRun> = if every {
                vec![FixedRun {
                    bytes: vec![7; 4 * 10],
                    present: vec![true; 10],
                }]
            } else {
                runs.iter()
                    .map(|r| FixedRun {
                        bytes: r.bytes.clone(),
                        present: r.present.clone(),
                    })
                    .collect()
            };
            let expected: Vec<Option<Vec<u8>>> = if every {
                vec![Some(vec![7; 4]); 10]
            } else {
                want.clone()
            };
            let mut sink = ParquetSink::create(&path, &[("f", Kind::Bin)]).expect("create");
            let out = Out::Fixed {
                name: "f".into(),
                width: 4,
                runs,
            };
            sink.push_batch(vec![out]).expect("push");
            sink.finish().expect("finish");
            let df = read(&path).expect("read");
            let got: Vec<Option<Vec<u8>>> = df
                .column("f")
                .expect("f")
                .binary()
                .expect("binary")
                .iter()
                .map(|v| v.map(<[u8]>::to_vec))
                .collect();
            assert!(got == expected, "every row reads back (all present: {every})");
        }
        // Bytes that do not make whole values of the width are refused, not written.
        let t = ParquetType::from_physical("f".into(), PhysicalType::ByteArray);
        let short = FixedRun {
            bytes: vec![1; 7],
            present: vec![true, true],
        };
        assert!(fixed_pages(4, &[short], &t).is_err());
    }
}
