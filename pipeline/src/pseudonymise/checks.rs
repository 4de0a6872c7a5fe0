//! What pseudonymise checks of a validated file before it encodes a row: what ingest
//! guarantees, for a file edited by hand or made by another program. Its answers leave the
//! organisation as they are, so one that is not a code (a name typed into `gender`) must stop
//! here, not at the platform; values are never shown, as they may be personal.

use std::path::Path;

use polars::prelude::{IdxSize, StringChunked};

use crate::error::StageError;
use crate::parquet_io::Coded;
use crate::schema::Schema;

fn refused(path: &Path, message: String) -> StageError {
    StageError::ParquetRead {
        path: path.to_path_buf(),
        message,
    }
}

/// The file's row (from 1) of row `i` in the keyed order.
fn file_row(order: &[IdxSize], i: usize) -> usize {
    order.get(i).map_or(i, |&r| r as usize) + 1
}

/// The first row (from 0) whose answer in `column` is not a code of its list, if any. Values
/// of the dictionary that no row uses are not judged (they say nothing about the rows).
pub(crate) fn first_foreign_answer(schema: &Schema, column: &str, answers: &Coded) -> Option<usize> {
    let col = schema.column(column)?;
    let foreign: Vec<bool> = answers
        .values
        .iter()
        .map(|v| v.as_deref().is_some_and(|v| !schema.is_stored_answer(col, v)))
        .collect();
    answers
        .codes
        .iter()
        .position(|&c| foreign.get(c as usize).copied().unwrap_or(false))
}

/// Every answer is a code of its column's list, and every organisation one of the register.
pub(super) fn answers_are_codes(
    schema: &Schema,
    path: &Path,
    (names, attrs): (&[&str], &[Coded]),
    org: &Coded,
    order: &[IdxSize],
) -> Result<(), StageError> {
    for (name, answers) in names.iter().zip(attrs) {
        if let Some(i) = first_foreign_answer(schema, name, answers) {
            return Err(refused(
                path,
                format!(
                    "row {}, column {name}: not a code of the column's code list (the value is not shown: it may be personal), and answers leave the organisation as they are",
                    file_row(order, i)
                ),
            ));
        }
    }
    let foreign: Vec<bool> = org
        .values
        .iter()
        .map(|o| o.as_deref().is_none_or(|o| schema.member(o).is_none()))
        .collect();
    if let Some(i) = org
        .codes
        .iter()
        .position(|&c| foreign.get(c as usize).copied().unwrap_or(true))
    {
        return Err(refused(
            path,
            format!(
                "row {}, column org_id: blank or not an organisation of the member register (schemas/members.csv)",
                file_row(order, i)
            ),
        ));
    }
    Ok(())
}

/// Every row has a record id, and no (report year, record id) repeats: the record key is a
/// keyed hash of both (and the organisation), and a repeated one would be one record counted
/// twice at the platform.
pub(super) fn record_ids_unique(
    path: &Path,
    (years, ids): (&polars::prelude::Int64Chunked, &StringChunked),
    order: &[IdxSize],
) -> Result<(), StageError> {
    if let Some(i) = ids.iter().position(|id| id.is_none_or(|id| id.trim().is_empty())) {
        return Err(refused(
            path,
            format!("row {}, column record_id: blank", file_row(order, i)),
        ));
    }
    match crate::repeats::first_repeat(|| years.iter().zip(ids.iter())) {
        None => Ok(()),
        Some(r) => {
            let (a, b) = (file_row(order, r.first), file_row(order, r.again));
            Err(refused(
                path,
                format!(
                    "rows {} and {}, column record_id: the same record id in one report year (a record repeated, which ingest quarantines)",
                    a.min(b),
                    a.max(b)
                ),
            ))
        }
    }
}
