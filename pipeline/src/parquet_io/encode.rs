//! Column encoding for the Parquet writer. Each column of a row group is encoded and compressed
//! on its own core, and the caller may say how: text already held as dictionary codes is written
//! as a dictionary page without being hashed again, and random keys are written plain and
//! uncompressed, where polars' writer would first estimate their cardinality, then try a
//! dictionary and LZ4, all on one thread. At 10 million records that was most of the link
//! stage's writing time.

use polars::prelude::*;
use polars_arrow::array::{ArrayRef, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
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
            Out::Col(c) | Out::Unique(c) => c.name().as_str(),
            Out::Coded { name, .. } => name.as_str(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Out::Col(c) | Out::Unique(c) => c.len(),
            Out::Coded { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The arrow array, how it is encoded and how its pages are compressed.
    pub(super) fn into_array(
        self,
        default: CompressionOptions,
    ) -> Result<(ArrayRef, Encoding, CompressionOptions), String> {
        Ok(match self {
            Out::Col(c) => {
                let a = to_arrow(c);
                let enc = get_dtype_encoding(a.dtype())
                    .first()
                    .copied()
                    .unwrap_or(Encoding::Plain);
                (a, enc, default)
            }
            Out::Unique(c) => (to_arrow(c), Encoding::Plain, CompressionOptions::Uncompressed),
            Out::Coded { dict, codes, .. } => (coded(&dict, codes)?, Encoding::RleDictionary, default),
        })
    }
}

fn to_arrow(c: Column) -> ArrayRef {
    // One chunk per column and row group: a column chunk may hold only one dictionary page.
    c.as_materialized_series()
        .rechunk()
        .to_arrow(0, CompatLevel::newest())
}

fn coded(dict: &[Option<String>], mut codes: Vec<u32>) -> Result<ArrayRef, String> {
    if let Some(bad) = codes.iter().find(|&&c| c as usize >= dict.len()) {
        return Err(format!(
            "code {bad} is past the end of a dictionary of {}",
            dict.len()
        ));
    }
    // Nulls are marked on the rows; the dictionary page holds only real values.
    let mut values: Vec<&str> = Vec::with_capacity(dict.len());
    let remap: Vec<Option<u32>> = dict
        .iter()
        .map(|v| {
            v.as_deref().map(|v| {
                values.push(v);
                (values.len() - 1) as u32
            })
        })
        .collect();
    let validity = (values.len() < dict.len())
        .then(|| Bitmap::from_iter(codes.iter().map(|&c| remap[c as usize].is_some())));
    for c in &mut codes {
        *c = remap[*c as usize].unwrap_or(0);
    }
    if values.is_empty() {
        // A column of nulls only: the null rows' indices still need an entry to point at.
        values.push("");
    }
    let keys = PrimitiveArray::<u32>::new(ArrowDataType::UInt32, codes.into(), validity);
    let values = Utf8ViewArray::from_slice_values(&values);
    let dtype = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(ArrowDataType::Utf8View), false);
    DictionaryArray::try_new(dtype, keys, values.boxed())
        .map(|a| a.boxed())
        .map_err(|e| e.to_string())
}

/// Encodes and compresses one column chunk completely, so the file writer only copies bytes.
pub(super) fn encode(
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
