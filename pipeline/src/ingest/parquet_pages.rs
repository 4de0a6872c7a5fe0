//! Columns of a submitted Parquet file whose types polars is built here without, decoded from
//! their pages as the contract's text: dates and timestamps (`YYYY-MM-DD`), which pandas and R
//! write for a birth date, and 8- and 16-bit integers, which pandas writes for a year after
//! `downcast` or `astype("int16")`.

use std::io::Cursor;

use polars_arrow::array::{Array, PrimitiveArray};
use polars_arrow::datatypes::{ArrowDataType, Field, TimeUnit};
use polars_parquet::read::{BasicDecompressor, FileMetadata, PageReader, column_iter_to_arrays};

use crate::dates::civil_from_days;
use crate::parquet_io::direct::chunk;

/// Whether `dt` is read here: a small integer, a date or a timestamp without a time zone (a
/// zoned timestamp of a date typed in local time can fall on the day before in UTC, so it is
/// not guessed at).
pub fn is_read_here(dt: &ArrowDataType) -> bool {
    matches!(
        dt,
        ArrowDataType::Int8
            | ArrowDataType::Int16
            | ArrowDataType::UInt8
            | ArrowDataType::UInt16
            | ArrowDataType::Date32
            | ArrowDataType::Date64
            | ArrowDataType::Timestamp(_, None)
    )
}

/// The column's values as text, row group after row group; None when it cannot be decoded.
/// A timestamp at midnight is its date; any other keeps its time (`YYYY-MM-DD HH:MM:SS`), so
/// validation refuses that row with its value shown, rather than a time being cut off unseen.
pub fn page_texts(
    file: &mut std::fs::File,
    meta: &FileMetadata,
    field: &Field,
) -> Option<Vec<Option<String>>> {
    let mut out = Vec::with_capacity(meta.num_rows);
    for rg in &meta.row_groups {
        let col = rg.columns_under_root_iter(&field.name)?.next()?;
        let pages = PageReader::new(
            Cursor::new(chunk(file, col.byte_range())?),
            col,
            vec![],
            usize::MAX,
        );
        let types = vec![&col.descriptor().descriptor.primitive_type];
        let (arrays, _) = column_iter_to_arrays(
            vec![BasicDecompressor::new(pages, vec![])],
            types,
            field.clone(),
            None,
        )
        .ok()?;
        for a in arrays {
            texts(a.as_ref(), field.dtype(), &mut out)?;
        }
    }
    Some(out)
}

fn texts(a: &dyn Array, dt: &ArrowDataType, out: &mut Vec<Option<String>>) -> Option<()> {
    let any = a.as_any();
    match dt {
        ArrowDataType::Int8 => integers::<i8>(any, out)?,
        ArrowDataType::Int16 => integers::<i16>(any, out)?,
        ArrowDataType::UInt8 => integers::<u8>(any, out)?,
        ArrowDataType::UInt16 => integers::<u16>(any, out)?,
        ArrowDataType::Date32 => {
            let a = any.downcast_ref::<PrimitiveArray<i32>>()?;
            out.extend(a.iter().map(|v| v.map(|d| day_text(i64::from(*d)))));
        }
        ArrowDataType::Date64 => {
            let a = any.downcast_ref::<PrimitiveArray<i64>>()?;
            out.extend(a.iter().map(|v| v.map(|ms| moment_text(*ms, 1_000))));
        }
        ArrowDataType::Timestamp(unit, None) => {
            let per_second = match unit {
                TimeUnit::Second => 1,
                TimeUnit::Millisecond => 1_000,
                TimeUnit::Microsecond => 1_000_000,
                TimeUnit::Nanosecond => 1_000_000_000,
            };
            let a = any.downcast_ref::<PrimitiveArray<i64>>()?;
            out.extend(a.iter().map(|v| v.map(|t| moment_text(*t, per_second))));
        }
        _ => return None,
    }
    Some(())
}

fn integers<T: polars_arrow::types::NativeType + ToString>(
    any: &dyn std::any::Any,
    out: &mut Vec<Option<String>>,
) -> Option<()> {
    let a = any.downcast_ref::<PrimitiveArray<T>>()?;
    out.extend(a.iter().map(|v| v.map(ToString::to_string)));
    Some(())
}

fn day_text(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A moment `t` (in units of 1/`per_second` s since 1970) as its date, with the time of day
/// when it is not midnight.
fn moment_text(t: i64, per_second: i64) -> String {
    let unit_per_day = 86_400 * per_second;
    let (days, rest) = (t.div_euclid(unit_per_day), t.rem_euclid(unit_per_day));
    let date = day_text(days);
    if rest == 0 {
        return date;
    }
    let s = rest / per_second;
    format!("{date} {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_and_moments_are_written_as_dates() {
        assert_eq!(super::day_text(0), "1970-01-01");
        assert_eq!(super::day_text(-1), "1969-12-31");
        assert_eq!(super::moment_text(7_305 * 86_400_000, 1_000), "1990-01-01");
        assert_eq!(super::moment_text(-86_400 + 3_600, 1), "1969-12-31 01:00:00");
    }
}
