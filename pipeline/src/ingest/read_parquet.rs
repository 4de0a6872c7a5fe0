//! Reads a Parquet submission as text cells: the columns polars reads, dates and small
//! integers decoded from their pages (`parquet_pages`), and any other stored type named in
//! words so that the report can say which column to store as text.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::read::{RawRow, Table};
use crate::error::FileError;

/// Arrow types polars reads into text here (polars is built without its date, decimal,
/// nested and small-integer types, which would stop the run; dates and small integers are
/// decoded by `parquet_pages`).
fn readable(dt: &polars_arrow::datatypes::ArrowDataType) -> bool {
    use polars_arrow::datatypes::ArrowDataType as A;
    match dt {
        A::Null
        | A::Boolean
        | A::Int32
        | A::Int64
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View
        | A::Binary
        | A::LargeBinary
        | A::BinaryView
        | A::FixedSizeBinary(_) => true,
        A::Dictionary(_, values, _) => readable(values),
        _ => false,
    }
}

/// A stored type as a person would recognise it.
fn type_name(dt: &polars_arrow::datatypes::ArrowDataType) -> String {
    use polars_arrow::datatypes::ArrowDataType as A;
    match dt {
        A::Date32 | A::Date64 => "a date".into(),
        // Timestamps without a zone are read; a zoned one is refused for its zone alone.
        A::Timestamp(_, Some(tz)) => format!(
            "a timestamp with time zone {tz} (stored as UTC, where a date at local midnight falls on the day before, so its date is not guessed at; store it without a time zone)"
        ),
        A::Timestamp(..) => "a timestamp".into(),
        A::Time32(_) | A::Time64(_) => "a time of day".into(),
        A::Duration(_) | A::Interval(_) => "a duration".into(),
        A::Decimal(p, s) | A::Decimal32(p, s) | A::Decimal64(p, s) | A::Decimal256(p, s) => {
            format!("a decimal({p}, {s})")
        }
        A::List(_) | A::LargeList(_) | A::FixedSizeList(..) => "a list (several values in one cell)".into(),
        A::Struct(_) => "a struct (several named values in one cell)".into(),
        A::Map(..) => "a map (pairs of keys and values in one cell)".into(),
        A::Int128 | A::UInt128 => "a 128-bit integer".into(),
        A::Float16 => "a 16-bit float".into(),
        _ => "a type ingest has no reader for".into(),
    }
}

/// What to do about a Parquet file the reader refuses. A column name held twice (pandas and
/// pyarrow write it when told to) is the maker's mistake, not damage: "cut short in a copy"
/// sent an outside review to copy a file that was whole.
fn damaged_or_malformed(e: &str) -> String {
    if e.contains("more than one occurrence") {
        return format!(
            "{e}: two columns of the file have one name; give each its own (the contract's names) and write the file again"
        );
    }
    format!(
        "{e}; the file is damaged or incomplete (cut short in a copy or an upload?): export it again from the program that made it"
    )
}

pub(super) fn open_parquet(path: &Path) -> Result<Table, FileError> {
    // Errors here come from the file's bytes (a checksum, a compressed page, a footer): the
    // file is damaged or cut short, and only its maker can write it again.
    let perr = |e: &dyn std::fmt::Display| FileError::Parquet {
        path: path.to_path_buf(),
        message: damaged_or_malformed(&e.to_string()),
    };
    let mut file = File::open(path).map_err(|source| FileError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(FileError::Empty {
            path: path.to_path_buf(),
        });
    }
    // A workbook renamed .parquet was told it is damaged, and to be exported again, when a
    // new name is all it needs (as a workbook named .csv is told).
    let mut head = [0u8; 4];
    if std::io::Read::read_exact(&mut file, &mut head).is_ok() && head == *b"PK\x03\x04" {
        return Err(FileError::Misnamed {
            path: path.to_path_buf(),
            what: "an Excel workbook (or another zip archive)",
            named: "a Parquet file's",
            ext: "xlsx",
        });
    }
    std::io::Seek::rewind(&mut file).map_err(|source| FileError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    // The schema first: a column of a type polars cannot hold is left out of the read (it
    // would stop the whole run) and named if the contract needs it.
    let meta = polars_parquet::read::read_metadata(&mut file).map_err(|e| perr(&e))?;
    let schema = polars_parquet::read::infer_schema(&meta).map_err(|e| perr(&e))?;
    let header: Vec<String> = schema.iter_values().map(|f| f.name.to_string()).collect();
    let mut unreadable = Vec::new();
    let mut wanted = Vec::new();
    let mut cols: Vec<Option<StringChunked>> = vec![None; header.len()];
    for (i, f) in schema.iter_values().enumerate() {
        if readable(f.dtype()) {
            wanted.push(f.name.to_string());
        } else if let Some(texts) = super::parquet_pages::is_read_here(f.dtype())
            .then(|| super::parquet_pages::page_texts(&mut file, &meta, f))
            .flatten()
        {
            cols[i] = Some(texts.into_iter().collect());
        } else {
            unreadable.push((i, type_name(f.dtype())));
        }
    }
    let file = File::open(path).map_err(|source| FileError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let df = ParquetReader::new(file)
        .with_columns(Some(wanted))
        .finish()
        .map_err(|e| perr(&e))?;
    let mut notes = Vec::new();
    for c in df.columns() {
        if c.dtype().is_primitive_numeric() {
            notes.extend(lost_zeros_note(c));
        }
        let text = match c.dtype() {
            DataType::Float32 | DataType::Float64 => whole_floats(c).map_err(|e| perr(&e))?,
            DataType::Binary | DataType::BinaryOffset => binary_text(path, c)?,
            _ => c
                .cast(&DataType::String)
                .map_err(|e| perr(&e))?
                .str()
                .map_err(|e| perr(&e))?
                .clone(),
        };
        if let Some(at) = header.iter().position(|h| h == c.name().as_str()) {
            cols[at] = Some(text);
        }
    }
    let mut grid = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let cells = cols
            .iter()
            .map(|c| c.as_ref().and_then(|s| s.get(i)).unwrap_or("").to_string())
            .collect();
        grid.push(RawRow {
            line: i as u64 + 1,
            cells,
            numbers: Vec::new(),
        });
    }
    let mut table = Table::of_grid(path, "Parquet", header, grid);
    table.unreadable = unreadable;
    table.notes = notes;
    Ok(table)
}

/// A column of numbers holding values of seven to nine digits: personal numbers of ten digits
/// lose their leading zeros so (0101021238, born in 2001, is 101021238; 0001011212, born in
/// January 2000, is 1011212, which an outside review found without the note), and each such row
/// is refused as a number of the wrong length, which the row's message cannot explain, as a
/// column of numbers shows none. Named without its values.
fn lost_zeros_note(c: &Column) -> Option<String> {
    let digits = c.cast(&DataType::Float64).ok()?;
    let n = digits
        .f64()
        .ok()?
        .iter()
        .flatten()
        .filter(|v| (1e6..1e9).contains(&v.abs()) && v.fract() == 0.0)
        .count();
    (n > 0).then(|| {
        format!(
            "column {} is stored as numbers, not text, and {n} value(s) have 7 to 9 digits: if it holds personal numbers, those of persons born 2000-2009 have lost their leading zeros; store the column as text (a string column) and write the file again",
            c.name()
        )
    })
}

/// A column stored as bytes (binary) rather than text, as its text. Its bytes are a program's
/// own choice of encoding, not damage: bytes that are not UTF-8 were most likely written from
/// Windows-1252 text (pandas writes bytes objects as binary), so the column is named, with the
/// first row, and the file refused to be written again; its values are names, never shown.
fn binary_text(path: &Path, c: &Column) -> Result<StringChunked, FileError> {
    let refuse = |message: String| FileError::Parquet {
        path: path.to_path_buf(),
        message,
    };
    let bytes = c
        .as_materialized_series()
        .binary()
        .map_err(|e| refuse(e.to_string()))?;
    let mut text = Vec::with_capacity(bytes.len());
    for (row, v) in bytes.iter().enumerate() {
        match v.map(std::str::from_utf8).transpose() {
            Ok(t) => text.push(t),
            Err(_) => {
                return Err(refuse(format!(
                    "column {:?} is stored as binary (bytes), and its text is not UTF-8 (the first such value is on row {}): it was probably written from Windows-1252 text; write the column again as UTF-8 strings (in pandas, decode the bytes first, e.g. .str.decode(\"cp1252\"))",
                    c.name().as_str(),
                    row + 1
                )));
            }
        }
    }
    Ok(text.into_iter().collect())
}

/// Floats as text, whole ones without a decimal point: a year or personal number in a column
/// that pandas made float (it does so for any integer column with a missing value).
fn whole_floats(c: &Column) -> PolarsResult<StringChunked> {
    let f = c.cast(&DataType::Float64)?;
    let f = f.f64()?;
    Ok(f.iter()
        .map(|v| {
            v.map(|x| {
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    format!("{}", x as i64)
                } else {
                    x.to_string()
                }
            })
        })
        .collect::<StringChunked>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_arrow::datatypes::{ArrowDataType as A, Field, TimeUnit};

    #[test]
    fn stored_types_are_named_in_words() {
        let zoned = type_name(&A::Timestamp(TimeUnit::Microsecond, Some("UTC".into())));
        assert!(zoned.contains("time zone UTC"), "{zoned}");
        let field = Field::new("a".into(), A::Utf8View, true);
        let nested = type_name(&A::Struct(vec![field.clone()]));
        assert!(
            nested.starts_with("a struct") && !nested.contains("Field"),
            "{nested}"
        );
        assert!(type_name(&A::List(Box::new(field))).starts_with("a list"));
    }
}
