//! Hidden sheets that hold records: with no visible sheet of records, or holding records no
//! visible sheet has, the workbook is refused naming them rather than read without them.

use std::collections::HashSet;
use std::path::Path;

use super::copies::trimmed;
use super::{Book, SheetCells, sheet_grid, skip_title_rows};
use crate::error::FileError;
use crate::ingest::header::HeaderKind;
use crate::ingest::read::{Table, table_from_grid};

/// The hidden sheets (by name, and as the report shows the name: `xlsx::shown_name`) whose
/// header (below any title) is one of records, read as tables under the shown name. A hidden
/// sheet that cannot be read is left alone, as hidden sheets are.
fn hidden_record_sheets(
    wb: &mut Book,
    path: &Path,
    hidden: &[(String, String)],
    classify: &dyn Fn(&[String]) -> HeaderKind,
) -> Vec<(String, Table)> {
    let mut out = Vec::new();
    for (name, shown) in hidden {
        let Ok(SheetCells {
            mut grid, mut notes, ..
        }) = sheet_grid(wb, name)
        else {
            continue;
        };
        skip_title_rows(&mut grid, &mut notes, classify);
        if grid
            .first()
            .is_some_and(|h| classify(&h.cells) == HeaderKind::Records)
            && let Ok(table) = table_from_grid(path, shown, grid, notes)
        {
            out.push((shown.clone(), table));
        }
    }
    out
}

/// With no visible sheet of records, a hidden one that holds them is what the sender meant:
/// failing on the visible sheet's header instead would send them looking in the wrong place.
pub(super) fn refuse_hidden_records(
    wb: &mut Book,
    path: &Path,
    hidden: &[(String, String)],
    classify: &dyn Fn(&[String]) -> HeaderKind,
) -> Result<(), FileError> {
    let holding: Vec<String> = hidden_record_sheets(wb, path, hidden, classify)
        .iter()
        .map(|(name, _)| format!("{name:?}"))
        .collect();
    if holding.is_empty() {
        return Ok(());
    }
    Err(FileError::Xlsx {
        path: path.to_path_buf(),
        message: format!(
            "no visible sheet holds records, but the hidden sheet(s) {} do: unhide them in Excel (right-click a sheet tab, Unhide) and save, or pass --sheet NAME",
            holding.join(", ")
        ),
    })
}

/// A hidden sheet of records beside visible ones is passed over as a backup copy, but one whose
/// rows are mostly on no visible sheet holds other records (the second half-year, hidden to
/// tidy the workbook): read as it is, the file would lose them without a word on the console,
/// as an outside review found, so it is refused naming the sheet and what to do. A hidden sheet
/// most of whose rows are on a visible one is an older copy and stays passed over.
pub(super) fn refuse_hidden_new_records(
    wb: &mut Book,
    path: &Path,
    hidden: &[(String, String)],
    tables: &[(HeaderKind, Table)],
    classify: &dyn Fn(&[String]) -> HeaderKind,
) -> Result<(), FileError> {
    let visible: HashSet<&[String]> = tables
        .iter()
        .filter(|(kind, _)| *kind == HeaderKind::Records)
        .flat_map(|(_, t)| t.grid_rows().iter().map(|r| trimmed(&r.cells)))
        .collect();
    let mut holding = Vec::new();
    for (name, table) in hidden_record_sheets(wb, path, hidden, classify) {
        let rows: Vec<&[String]> = table
            .grid_rows()
            .iter()
            .map(|r| trimmed(&r.cells))
            .filter(|r| !r.is_empty())
            .collect();
        let new = rows.iter().filter(|r| !visible.contains(*r)).count();
        if new > 0 && 2 * new > rows.len() {
            holding.push(format!(
                "{name:?} ({new} of its {} rows on no visible sheet)",
                rows.len()
            ));
        }
    }
    if holding.is_empty() {
        return Ok(());
    }
    Err(FileError::Xlsx {
        path: path.to_path_buf(),
        message: format!(
            "the hidden sheet(s) {} hold records that no visible sheet has; hidden sheets are not read (they are usually backup copies), so the file is refused rather than read without them: unhide the sheet in Excel (right-click a sheet tab, Unhide) and save to send its records, delete it if they are not to be sent, or pass --sheet NAME to read one sheet only",
            holding.join(", ")
        ),
    })
}
