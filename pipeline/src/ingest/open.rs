//! Opens a file's tables and maps each header to the contract, with the checks that refuse a
//! table (a garbled encoding, a header repeated in another order, personal numbers under
//! `Nr`) before any of its rows is read as a record.

use std::path::Path;

use super::first_pass::Indexed;
use super::numbering::{named_running_numbers, running_numbers_without_header};
use super::read::Table;
use super::{IngestOptions, decimals, decode, header, ignored, read, reordered};
use crate::error::FileError;
use crate::schema::Schema;

/// The table the first pass indexed, opened again with its header mapped (a file changed since
/// has fewer tables).
pub(super) fn reopen(
    schema: &Schema,
    f: &Indexed,
    opts: &IngestOptions,
) -> Result<(Table, header::HeaderMap), FileError> {
    let mut tables = open_mapped(schema, &f.path, opts)?;
    if f.table >= tables.len() {
        return Err(FileError::Changed { path: f.path.clone() });
    }
    let (table, map) = tables.swap_remove(f.table);
    Ok((table, map?))
}

/// The first cell of a workbook sheet's or Parquet file's table, header included, whose text
/// was garbled by a wrong encoding (`decode::mojibake_at`; `decode` finds it in a CSV file), as
/// the error that refuses the table. Refused, not quarantined, like the other wrong encodings:
/// the whole file was saved so, the rows whose names merely pass the rules would be accepted
/// with wrong letters and never link, and the cure is one export of the whole file again.
/// Checked before any row is indexed, so that a refused table leaves no record id behind.
fn garbled(t: &Table) -> Option<FileError> {
    let at = |location: String| FileError::Mojibake {
        at: t.place(),
        location,
    };
    if let Some(pos) = t.header.iter().position(|h| decode::mojibake_at(h).is_some()) {
        return Some(at(format!("the header, column {}", pos + 1)));
    }
    t.grid_rows().iter().find_map(|r| {
        let pos = r.cells.iter().position(|c| decode::mojibake_at(c).is_some())?;
        let column = t
            .header
            .get(pos)
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
            .map_or_else(|| format!("#{}", pos + 1), str::to_string);
        Some(at(format!("line {}, column {column}", r.line)))
    })
}

/// A table with its header mapped to the contract, or the reason it cannot be.
type Mapped = (Table, Result<header::HeaderMap, FileError>);

/// A file's tables, each mapped on its own: one sheet of a workbook with a bad header fails
/// alone.
pub(super) fn open_mapped(
    schema: &Schema,
    path: &Path,
    opts: &IngestOptions,
) -> Result<Vec<Mapped>, FileError> {
    let classify = |h: &[String]| header::classify(schema, h);
    let tables = read::open(path, &opts.sheet, &classify)?;
    Ok(tables
        .into_iter()
        .map(|mut t| {
            let map = map_table(schema, &mut t, opts);
            (t, map)
        })
        .collect())
}

fn map_table(schema: &Schema, t: &mut Table, opts: &IngestOptions) -> Result<header::HeaderMap, FileError> {
    if let Some(why) = &t.refused {
        return Err(FileError::Xlsx {
            path: t.path.clone(),
            message: why.clone(),
        });
    }
    if let Some(e) = garbled(t) {
        return Err(e);
    }
    let mut map = header::map_header_leaving(
        schema,
        &t.header,
        &t.place(),
        opts.ignore_extra_columns,
        &opts.ignore_columns,
    )
    .map_err(|e| {
        // A merge named to leave out is not to be unmerged: its columns go with its name.
        let merges: Vec<&str> = t
            .merged_header
            .iter()
            .filter(|m| !merge_named(t, m, &opts.ignore_columns))
            .map(|m| m.name.as_str())
            .collect();
        if merges.is_empty() {
            e
        } else {
            FileError::MergedHeader {
                inner: Box::new(e),
                merges: merges.join(", "),
            }
        }
    })?;
    map.sheet_columns = t.sheet_columns.clone();
    leave_out_merged(t, &mut map);
    let t: &Table = t;
    running_numbers_without_header(t, &mut map);
    let pnr_column = schema
        .column_index("personal_number")
        .is_some_and(|i| map.source[i].is_some());
    // Like a near miss of a contract column, it is not left out on request while the file
    // has no personal_number column: it may be that column.
    named_running_numbers(t, &mut map, (opts.ignore_extra_columns, pnr_column))?;
    ignored::answers_in_ignored(schema, t, &mut map);
    row_checks(schema, t, &mut map)?;
    match t.unreadable_in(&map) {
        Some((col, ty)) => Err(FileError::Parquet {
            path: t.path.clone(),
            message: format!(
                "column {} is stored as {ty}, which ingest does not read; store it as text (dates as YYYY-MM-DD, numbers as their digits, several codes joined by ';')",
                super::shown::quoted(&col)
            ),
        }),
        None => Ok(map),
    }
}

/// The table's position of a sheet column (0 is A), where empty columns were dropped.
fn position_of(t: &Table, col: usize) -> Option<usize> {
    match &t.sheet_columns {
        Some(cols) => cols.iter().position(|&c| c == col),
        None => Some(col),
    }
}

/// Whether a header merge's cell is one of the names given to leave out.
fn merge_named(t: &Table, m: &read::HeaderMerge, asked: &[String]) -> bool {
    position_of(t, m.first)
        .and_then(|p| t.header.get(p))
        .is_some_and(|h| {
            asked
                .iter()
                .any(|a| header::same_header(a, &header::header_cell(h)))
        })
}

/// Header cells merged across columns whose name was given to leave out (`--ignore-column`):
/// the merge's first column is left out by its header, and the others, which have no header
/// of their own, with it; otherwise a value in one of them quarantined its row. The sheet's
/// note on merged header cells then names only the merges still read as they are.
fn leave_out_merged(t: &mut Table, map: &mut header::HeaderMap) {
    let pos_of = |col: usize| position_of(t, col);
    let mut kept = Vec::new();
    let mut left = false;
    for m in &t.merged_header {
        let asked = pos_of(m.first)
            .and_then(|p| t.header.get(p))
            .map(|h| header::header_cell(h))
            .and_then(|cell| map.asked.iter().position(|a| *a == cell));
        let Some(i) = asked else {
            kept.push(m);
            continue;
        };
        let others: Vec<usize> = (m.first + 1..=m.last).filter_map(pos_of).collect();
        map.blank.retain(|p| !others.contains(p));
        map.asked[i] = format!("{} (merged over {}: all its columns)", map.asked[i], m.name);
        left = true;
    }
    if left && let Some(sheet) = &t.sheet {
        let all: Vec<&read::HeaderMerge> = t.merged_header.iter().collect();
        let before = crate::ingest::xlsx::header_note(sheet, &all);
        let after = crate::ingest::xlsx::header_note(sheet, &kept);
        let notes = std::mem::take(&mut t.notes);
        t.notes = notes
            .into_iter()
            .filter_map(|n| {
                if Some(&n) == before.as_ref() {
                    after.clone()
                } else {
                    Some(n)
                }
            })
            .collect();
    }
}

/// The checks that read a table's rows before validation, in one pass: a header repeated
/// in another order (refused), and ids written as decimals (`ingest::decimals`). Rows of the
/// wrong shape are quarantined for it and not looked at.
fn row_checks(schema: &Schema, t: &Table, map: &mut header::HeaderMap) -> Result<(), FileError> {
    let reordered = reordered::Reordered::new(schema, map);
    let mut decimals = decimals::Decimals::new(schema, map);
    let at = t.place();
    t.for_each_row(|row| -> Result<(), FileError> {
        if row.unclosed.is_some() || row.cells.len() != map.width {
            return Ok(());
        }
        reordered.row(&row, map, &at)?;
        decimals.row(schema, &row);
        Ok(())
    })?;
    decimals.finish(map);
    Ok(())
}
