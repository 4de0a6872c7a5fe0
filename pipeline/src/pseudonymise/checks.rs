//! What pseudonymise checks of a validated file before it encodes a row: what ingest
//! guarantees, for a file edited by hand or made by another program. Its answers leave the
//! organisation as they are, so one that is not a code (a name typed into `gender`) must stop
//! here, not at the platform; values are never shown, as they may be personal.

use std::path::Path;

use polars::prelude::{IdxSize, StringChunked};

use crate::FastMap;
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

/// Every answer is a code of its column's list, and every organisation one of the register.
pub(super) fn answers_are_codes(
    schema: &Schema,
    path: &Path,
    (names, attrs): (&[&str], &[Coded]),
    org: &Coded,
    order: &[IdxSize],
) -> Result<(), StageError> {
    let first_row = |c: &Coded, value: usize| {
        let i = c
            .codes
            .iter()
            .position(|&code| code as usize == value)
            .unwrap_or(0);
        file_row(order, i)
    };
    for (name, answers) in names.iter().zip(attrs) {
        let Some(column) = schema.column(name) else {
            continue;
        };
        let foreign = answers
            .values
            .iter()
            .enumerate()
            .find(|(_, v)| v.as_deref().is_some_and(|v| !schema.is_stored_answer(column, v)));
        // A value no row uses (a dictionary can hold one) says nothing about the rows.
        if let Some((v, _)) = foreign.filter(|(v, _)| answers.codes.contains(&(*v as u32))) {
            return Err(refused(
                path,
                format!(
                    "row {}, column {name}: not a code of the column's code list (the value is not shown: it may be personal), and answers leave the organisation as they are",
                    first_row(answers, v)
                ),
            ));
        }
    }
    let foreign = org.values.iter().enumerate().find(|(v, o)| {
        org.codes.contains(&(*v as u32)) && o.as_deref().is_none_or(|o| schema.member(o).is_none())
    });
    if let Some((v, _)) = foreign {
        return Err(refused(
            path,
            format!(
                "row {}, column org_id: blank or not an organisation of the member register (schemas/members.csv)",
                first_row(org, v)
            ),
        ));
    }
    Ok(())
}

/// Every row has a record id, and no (report year, record id) repeats: the record key is a
/// keyed hash of both (and the organisation), and a repeated one would be one record counted
/// twice at the platform. Hashed and sorted first, so a file without repeats costs a sort.
pub(super) fn record_ids_unique(
    path: &Path,
    (years, ids): (&polars::prelude::Int64Chunked, &StringChunked),
    order: &[IdxSize],
) -> Result<(), StageError> {
    use std::hash::BuildHasher;
    if let Some(i) = ids.iter().position(|id| id.is_none_or(|id| id.trim().is_empty())) {
        return Err(refused(
            path,
            format!("row {}, column record_id: blank", file_row(order, i)),
        ));
    }
    let state = foldhash::fast::FixedState::with_seed(0x5afe_01d5);
    let rows = || years.iter().zip(ids.iter());
    let mut hashes: Vec<u64> = rows().map(|row| state.hash_one(row)).collect();
    hashes.sort_unstable();
    if hashes.windows(2).all(|w| w[0] != w[1]) {
        return Ok(());
    }
    let mut first: FastMap<(Option<i64>, Option<&str>), usize> = FastMap::default();
    for (i, row) in rows().enumerate() {
        if let Some(&j) = first.get(&row) {
            let (a, b) = (file_row(order, j), file_row(order, i));
            return Err(refused(
                path,
                format!(
                    "rows {} and {}, column record_id: the same record id in one report year (a record repeated, which ingest quarantines)",
                    a.min(b),
                    a.max(b)
                ),
            ));
        }
        first.insert(row, i);
    }
    Ok(())
}
