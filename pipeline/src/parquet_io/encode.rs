//! Column encoding for the Parquet writer. Each column of a row group is encoded and compressed
//! on its own core, and the caller may say how: text already held as dictionary codes is written
//! as a dictionary page and bit-packed codes (`pages`), without being hashed again, and random
//! keys are written plain and uncompressed, where polars' writer would first estimate their
//! cardinality, then try a dictionary and LZ4, all on one thread. At 10 million records that
//! was most of the link stage's writing time.

use polars::prelude::*;
use polars_arrow::array::ArrayRef;
use polars_parquet::parquet::error::ParquetError;
use polars_parquet::write::{
    CompressedPage, CompressionOptions, Compressor, Encoding, ParquetType, WriteOptions, array_to_columns,
    get_dtype_encoding,
};

/// One column of a batch handed to the writer.
pub enum Out {
    /// A polars column; text is dictionary-coded when its values repeat enough (polars' test).
    Col(Column),
    /// Values that do not repeat (random keys and ids): written plain and uncompressed, with no
    /// attempt at a dictionary or compression that could only fail.
    Unique(Column),
    /// 64-bit integers that repeat within a row group (blocking keys, date parts): coded into a
    /// dictionary by hand, or written plain when most are distinct.
    Repeating(Column),
    /// Byte strings of one width (hex keys, filters) held back to back in runs, each with
    /// whether its rows are present: written plain and uncompressed straight from the bytes,
    /// with no array built for them first.
    Fixed {
        name: PlSmallStr,
        width: usize,
        runs: Vec<FixedRun>,
    },
    /// 64-bit integers held in runs (each run's present values back to back, little-endian),
    /// as the cores hand them over, with no array built for them. `repeating` ones (blocking
    /// keys, date parts) are coded into a dictionary when that pays; the others (match keys),
    /// and repeating ones that do not repeat enough, are written plain and uncompressed.
    Ints {
        name: PlSmallStr,
        runs: Vec<FixedRun>,
        repeating: bool,
    },
    /// Text as codes into a dictionary of distinct values, `None` entries being nulls: written
    /// as one dictionary page and the codes.
    Coded {
        name: PlSmallStr,
        dict: Vec<Option<String>>,
        codes: Vec<u32>,
    },
}

impl Out {
    pub fn name(&self) -> &str {
        match self {
            Out::Col(c) | Out::Unique(c) | Out::Repeating(c) => c.name().as_str(),
            Out::Coded { name, .. } | Out::Fixed { name, .. } | Out::Ints { name, .. } => name.as_str(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Out::Col(c) | Out::Unique(c) | Out::Repeating(c) => c.len(),
            Out::Coded { codes, .. } => codes.len(),
            Out::Fixed { runs, .. } | Out::Ints { runs, .. } => runs.iter().map(|r| r.present.len()).sum(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Encodes and compresses the column as one column chunk, so the file writer only copies
    /// bytes.
    pub(super) fn pages(
        &self,
        type_: &ParquetType,
        default: CompressionOptions,
        options: WriteOptions,
    ) -> Result<Vec<CompressedPage>, String> {
        match self {
            Out::Col(c) => {
                let a = to_arrow(c);
                let enc = get_dtype_encoding(a.dtype())
                    .first()
                    .copied()
                    .unwrap_or(Encoding::Plain);
                encode(&a, type_, enc, default, options)
            }
            Out::Unique(c) => encode(
                &to_arrow(c),
                type_,
                Encoding::Plain,
                CompressionOptions::Uncompressed,
                options,
            ),
            Out::Repeating(c) => {
                let ints = c.i64().map_err(|e| e.to_string())?;
                super::pages::int_dictionary_pages(ints.iter(), ints.len(), type_, default)
                    .unwrap_or_else(|| encode(&to_arrow(c), type_, Encoding::Plain, default, options))
            }
            Out::Ints { runs, repeating, .. } => {
                let coded = repeating
                    .then(|| {
                        let len = self.len();
                        super::pages::int_dictionary_pages(
                            runs.iter().flat_map(FixedRun::ints),
                            len,
                            type_,
                            default,
                        )
                    })
                    .flatten();
                coded.unwrap_or_else(|| super::pages::fixed_pages(8, runs, type_))
            }
            Out::Coded { dict, codes, .. } => super::pages::coded_pages(dict, codes, type_, default),
            Out::Fixed { width, runs, .. } => super::pages::fixed_pages(*width, runs, type_),
        }
    }
}

/// Rows of byte strings of one width: `bytes` holds the present rows' values back to back.
#[derive(Default)]
pub struct FixedRun {
    pub bytes: Vec<u8>,
    pub present: Vec<bool>,
}

impl FixedRun {
    /// Appends a row: its value (of the run's width), or an absent row.
    pub fn push(&mut self, value: Option<&[u8]>) {
        self.present.push(value.is_some());
        if let Some(v) = value {
            self.bytes.extend_from_slice(v);
        }
    }

    /// The rows of a run of 64-bit integers, absent ones as `None`.
    pub fn ints(&self) -> impl Iterator<Item = Option<i64>> + '_ {
        let mut values = self
            .bytes
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("chunks of 8 bytes")));
        self.present
            .iter()
            .map(move |&p| if p { values.next() } else { None })
    }
}

fn to_arrow(c: &Column) -> ArrayRef {
    // One chunk per column and row group: a column chunk may hold only one dictionary page.
    c.as_materialized_series()
        .rechunk()
        .to_arrow(0, CompatLevel::newest())
}

/// Encodes and compresses one column chunk completely, so the file writer only copies bytes.
fn encode(
    array: &ArrayRef,
    type_: &ParquetType,
    encoding: Encoding,
    compression: CompressionOptions,
    options: WriteOptions,
) -> Result<Vec<CompressedPage>, String> {
    let options = WriteOptions {
        compression,
        ..options
    };
    let mut pages = Vec::new();
    for column in array_to_columns(array, type_.clone(), options, &[encoding]).map_err(|e| e.to_string())? {
        let column = column.map(|p| p.map_err(|e| ParquetError::FeatureNotSupported(e.to_string())));
        for page in Compressor::new_from_vec(column, compression, vec![]) {
            pages.push(page.map_err(|e| e.to_string())?);
        }
    }
    Ok(pages)
}
