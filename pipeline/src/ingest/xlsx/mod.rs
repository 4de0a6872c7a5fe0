//! Reads workbook sheets as tables of text cells, as a person sees them in Excel: dates as
//! dates (in either of Excel's date systems), whole numbers without ".0", error values as Excel
//! shows them, a merged cell's value in every row it spans, and a formula whose result the file
//! does not hold refused rather than read as blank. Cells are streamed, so a stray value typed
//! far below or to the right of the table costs one cell, not the rectangle up to it.

use std::collections::HashSet;
use std::path::Path;

use calamine::{Reader, SheetType, SheetVisible, Xlsx, open_workbook};

mod cells;
mod copies;
mod dates;
mod formats;
mod hidden;
mod hidden_sheets;
mod merges;
mod numbers;

use cells::read_cells;
use copies::{copies, near_copies};
use hidden_sheets::{refuse_hidden_new_records, refuse_hidden_records};
use merges::fill_merged;
pub(super) use merges::header_note;

use super::header::HeaderKind;
use super::read::{RawRow, SheetChoice, Table, table_from_grid};
use crate::error::FileError;

type Book = Xlsx<std::io::BufReader<std::fs::File>>;

/// Every visible sheet whose first row is a header of records (or the one asked for), so that
/// records kept on several sheets (a sheet per quarter) are all read. A sheet whose header
/// nearly is one is read too, so that it fails by name instead of its rows being passed over;
/// other sheets (instructions, code lists) are not tables of records. Hidden sheets (an old
/// copy, a lookup list) are not read unless asked for by name, and neither is a visible copy of
/// a sheet of records (see `copies`). The report names every sheet passed over.
pub(super) fn open_xlsx(
    path: &Path,
    sheet: &SheetChoice,
    classify: &dyn Fn(&[String]) -> HeaderKind,
) -> Result<Vec<Table>, FileError> {
    let xerr = |e: &dyn std::fmt::Display| FileError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    // A file of 0 bytes (a save or a copy that never wrote) was told it is no workbook or is
    // damaged, with the Zip layer's words; it is empty, as an empty CSV or Parquet file is told.
    if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
        return Err(FileError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut wb: Book =
        open_workbook(path).map_err(|e: calamine::XlsxError| xerr(&not_a_workbook(path, &e.to_string())))?;
    let sheets = wb.sheets_metadata().to_vec();
    // Excel keeps sheet names unique without regard to case, and finds them so: `q1` is Q1.
    let chosen: Option<String> = match &sheet.name {
        None => None,
        Some(want) => Some(
            sheets
                .iter()
                .find(|s| &s.name == want)
                .or_else(|| {
                    sheets
                        .iter()
                        .find(|s| s.name.to_lowercase() == want.trim().to_lowercase())
                })
                .map(|s| s.name.clone())
                .ok_or_else(|| FileError::NoSuchSheet {
                    path: path.to_path_buf(),
                    sheet: want.clone(),
                    available: sheets
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?,
        ),
    };
    let mut tables: Vec<(HeaderKind, Table)> = Vec::new();
    let mut passed = Passed::default();
    let mut hidden = Vec::new();
    for (position, meta) in sheets.iter().enumerate() {
        let name = &meta.name;
        if meta.typ != SheetType::WorkSheet {
            continue;
        }
        // What the report calls the sheet; the name itself reads it.
        let shown = &shown_name(name, position, chosen.is_some());
        if chosen.as_ref().is_some_and(|w| w != name) {
            passed.not_asked.push(format!("{shown:?}"));
            continue;
        }
        if sheet.name.is_none() && meta.visible != SheetVisible::Visible {
            passed.hidden.push(format!("{shown:?}"));
            hidden.push((name.clone(), shown.clone()));
            continue;
        }
        let SheetCells {
            mut grid,
            mut notes,
            mut unsaved,
            merged,
        } = sheet_grid(&mut wb, name).map_err(|m| xerr(&renamed(&m, name, shown)))?;
        for n in notes.iter_mut().chain(unsaved.iter_mut()) {
            *n = renamed(n, name, shown);
        }
        // Titles first, so that the merges are read against the header's own line.
        skip_title_rows(&mut grid, &mut notes, classify);
        notes.extend(fill_merged(&mut grid, &merged, shown));
        let header_merges = merges::across_header(&grid, &merged);
        notes.extend(merges::header_note(
            shown,
            &header_merges.iter().collect::<Vec<_>>(),
        ));
        let kind = match (&sheet.name, grid.first()) {
            (Some(_), _) => HeaderKind::Records,
            (None, Some(first)) => classify(&first.cells),
            (None, None) => HeaderKind::Other,
        };
        // Formulas without saved results matter on a sheet of records only: an instructions
        // sheet with one is passed over like any other.
        if kind != HeaderKind::Other {
            notes.extend(hidden_note(path, name, &grid).map(|n| renamed(&n, name, shown)));
            let mut table = table_from_grid(path, shown, grid, notes)?;
            table.refused = unsaved;
            table.merged_header = header_merges;
            tables.push((kind, table));
        } else if !grid.is_empty() {
            passed.other.push(format!("{shown:?}"));
            passed.first.get_or_insert((shown.clone(), grid, notes));
        }
    }
    if tables.is_empty() {
        refuse_hidden_records(&mut wb, path, &hidden, classify)?;
    } else {
        refuse_hidden_new_records(&mut wb, path, &hidden, &tables, classify)?;
    }
    let copied = copies(&tables);
    let name = |i: usize| tables[i].1.sheet.clone().unwrap_or_default();
    passed.copies = copied
        .iter()
        .map(|&(copy, of)| format!("{:?} (every row of it is on sheet {:?})", name(copy), name(of)))
        .collect();
    passed.near_copies = near_copies(&tables, &copied);
    for &(copy, _) in copied.iter().rev() {
        tables.remove(copy);
    }
    passed.finish(path, tables)
}

/// A sheet's name as the report shows it: as it is, unless it holds a personal number or a
/// date (one tab per client, named after her), which the report must not repeat; such a
/// sheet is called by its place among the workbook's sheets. A name asked for with --sheet
/// is the user's own, and shown.
fn shown_name(name: &str, position: usize, asked: bool) -> String {
    if !asked && crate::ingest::header::holds_a_long_number(name) {
        format!(
            "sheet {} (its name not shown: it holds a number or date)",
            position + 1
        )
    } else {
        name.to_string()
    }
}

/// A message about a sheet with the sheet's name as the report shows it.
fn renamed(message: &str, name: &str, shown: &str) -> String {
    if name == shown {
        return message.to_string();
    }
    message
        .replace(&format!("{name:?}"), &format!("{shown:?}"))
        .replace(name, shown)
}

/// The note naming the rows of records (below the header, not blank) that Excel hides.
fn hidden_note(path: &Path, sheet: &str, grid: &[RawRow]) -> Option<String> {
    let hidden: HashSet<u64> = hidden::hidden_lines(path, sheet)?.into_iter().collect();
    let lines: Vec<u64> = grid
        .iter()
        .skip(1)
        .map(|r| r.line)
        .filter(|l| hidden.contains(l))
        .collect();
    let shown: Vec<String> = lines.iter().take(5).map(u64::to_string).collect();
    let more = match lines.len() {
        n if n > 5 => format!(" and {} more", n - 5),
        _ => String::new(),
    };
    (!lines.is_empty()).then(|| {
        format!(
            "sheet {sheet:?}: {} row(s) are hidden in Excel, by hand or by a filter (line {}{more}); they were read as records like the others: a row hidden to leave a case out must be deleted instead (show every row: select all, right-click a row number, Unhide; or clear the filter)",
            lines.len(),
            shown.join(", ")
        )
    })
}

/// Rows of a title above the header (the sheet's heading, a merged "Obligatoriskt" over some
/// columns): up to three rows of at most two different values each, then a row naming every
/// required column. They are skipped with a note (an outside review's title row failed the
/// whole file); any other first row is the header, as before.
fn skip_title_rows(
    grid: &mut Vec<RawRow>,
    notes: &mut Vec<String>,
    classify: &dyn Fn(&[String]) -> HeaderKind,
) {
    let title = |r: &RawRow| super::header::title_like(r.cells.iter().map(String::as_str));
    if grid
        .first()
        .is_none_or(|r| classify(&r.cells) != HeaderKind::Other)
    {
        return;
    }
    let Some(k) = (1..grid.len().min(super::header::TITLE_ROWS + 1))
        .find(|&k| classify(&grid[k].cells) == HeaderKind::Records)
    else {
        return;
    };
    if !grid[..k].iter().all(title) {
        return;
    }
    let rows = if k == 1 {
        format!("row {}", grid[0].line)
    } else {
        format!("rows {}-{}", grid[0].line, grid[k - 1].line)
    };
    notes.push(format!(
        "{rows} above the header (row {}) skipped: a title, not column names",
        grid[k].line
    ));
    grid.drain(..k);
}

/// A sheet's rows and merged cells (not yet filled in), and what reading it noted.
fn sheet_grid(wb: &mut Book, name: &str) -> Result<SheetCells, String> {
    let mut cells = read_cells(wb, name)?;
    // A sheet whose merged cells cannot be listed is read as it is.
    cells.merged = wb.merge_cells_by_sheet_name(name).unwrap_or_default();
    Ok(cells)
}

/// The sheets of a workbook that were not read as tables.
#[derive(Default)]
struct Passed {
    hidden: Vec<String>,
    /// Sheets left unread because --sheet asked for another: the flag applies to every
    /// workbook of the folder, so another organisation's sheets of records could go unseen.
    not_asked: Vec<String>,
    /// Visible sheets of records that copy another sheet of records (see `copies`).
    copies: Vec<String>,
    /// Sheets read that repeat most of another's rows (see `near_copies`).
    near_copies: Vec<String>,
    /// Visible sheets with something on them whose first row is not a header of records.
    other: Vec<String>,
    /// The first of those, read when no sheet holds records, so the error names what is missing.
    first: Option<(String, Vec<RawRow>, Vec<String>)>,
}

impl Passed {
    fn finish(self, path: &Path, mut tables: Vec<(HeaderKind, Table)>) -> Result<Vec<Table>, FileError> {
        let hidden = (!self.hidden.is_empty()).then(|| {
            format!(
                "hidden sheet(s) {} not read (pass --sheet NAME to read one)",
                self.hidden.join(", ")
            )
        });
        // The notes go where the report shows them: a table that is read, not one that fails.
        let at = tables
            .iter()
            .position(|(k, _)| *k == HeaderKind::Records)
            .or((!tables.is_empty()).then_some(0));
        if let Some(i) = at {
            let notes = &mut tables[i].1.notes;
            if !self.other.is_empty() {
                notes.push(format!(
                    "sheet(s) {} not read: their first row is not a header of records",
                    self.other.join(", ")
                ));
            }
            if !self.copies.is_empty() {
                notes.push(format!(
                    "sheet(s) {} not read: a copy of another sheet of records (read as well, each of its records would be quarantined as sent twice); delete the copy, or hide it, if this is wrong",
                    self.copies.join(", ")
                ));
            }
            if !self.near_copies.is_empty() {
                notes.push(format!(
                    "sheet(s) {} read, though most of their rows are on another sheet as well (an older copy, edited since?): a record on both counts once where it is the same cell for cell, and is quarantined on both where its answers differ; delete the older sheet, or pass --sheet NAME to read one sheet only",
                    self.near_copies.join(", ")
                ));
            }
            notes.extend(hidden);
            if !self.not_asked.is_empty() {
                notes.push(format!(
                    "sheet(s) {} not read: --sheet asked for this sheet only; if they hold records too, run ingest without --sheet",
                    self.not_asked.join(", ")
                ));
            }
            return Ok(tables.into_iter().map(|(_, t)| t).collect());
        }
        match self.first {
            Some((name, grid, mut notes)) => {
                notes.extend(hidden);
                Ok(vec![table_from_grid(path, &name, grid, notes)?])
            }
            None => Err(FileError::Empty {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// What the Zip layer says about a file that is not a workbook, in words a person can act on:
/// an Excel 97-2003 workbook renamed (its first bytes say so), a zip of something else, or
/// a file that is no zip at all.
fn not_a_workbook(path: &Path, message: &str) -> String {
    let mut head = [0u8; 8];
    let read = std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut head));
    if read.is_ok_and(|n| n == 8) && head == [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] {
        if encrypted(path) {
            return "the workbook is protected with a password (encrypted), so it cannot be read; open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, clear the password and press OK), save it and send it again".into();
        }
        return "it is an Excel 97-2003 workbook (.xls, or a Word or other Office file) named .xlsx; open it in Excel and save it as Excel Workbook (.xlsx)".into();
    }
    if message.contains("_rels/.rels") || message.contains("[Content_Types].xml") {
        return "it is a zip archive but not an Excel workbook (it lacks the parts every .xlsx holds); unpack it, or save the sheet from Excel as Excel Workbook (.xlsx)".into();
    }
    if message.contains("Zip") || message.contains("zip") {
        format!(
            "it is not an XLSX workbook, or the file is damaged ({message}); a CSV file renamed to .xlsx should be named .csv, and a damaged workbook saved again from Excel"
        )
    } else {
        message.to_string()
    }
}

/// Whether an Office file in the old compound format (OLE/CFB) holds an `EncryptedPackage`
/// stream: Excel saves a workbook protected with a password so, an encrypted .xlsx inside the
/// old container, which was told to be an .xls renamed (an outside review). The stream's name
/// is found as its directory entry writes it, in UTF-16LE.
fn encrypted(path: &Path) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::read(path).is_ok_and(|bytes| bytes.windows(name.len()).any(|w| w == name.as_slice()))
}

/// One sheet's non-empty rows, each with its cells at their columns, and what reading them
/// noted.
struct SheetCells {
    grid: Vec<RawRow>,
    notes: Vec<String>,
    /// Formulas whose results are not saved: why the sheet cannot be read as records.
    unsaved: Option<String>,
    merged: Vec<calamine::Dimensions>,
}

fn and_more(n: usize) -> String {
    match n {
        0 | 1 => String::new(),
        n => format!(" and {} more", n - 1),
    }
}

/// A cell's name as Excel shows it (row and column from 0): (4, 2) is C5.
fn cell_name((row, col): (u32, u32)) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let d = (c - 1) % 26;
        letters.push(char::from(b'A' + d as u8));
        c = (c - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(row + 1).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_are_named_as_excel_names_them() {
        for (at, name) in [
            ((0, 0), "A1"),
            ((4, 2), "C5"),
            ((9, 25), "Z10"),
            ((0, 26), "AA1"),
            ((0, 701), "ZZ1"),
            ((0, 702), "AAA1"),
        ] {
            assert_eq!(super::cell_name(at), name);
        }
    }
}
