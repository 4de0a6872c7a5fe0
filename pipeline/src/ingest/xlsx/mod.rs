//! Reads workbook sheets as tables of text cells, as a person sees them in Excel: dates as
//! dates (in either of Excel's date systems), whole numbers without ".0", error values as Excel
//! shows them, a merged cell's value in every row it spans, and a formula whose result the file
//! does not hold refused rather than read as blank. Cells are streamed, so a stray value typed
//! far below or to the right of the table costs one cell, not the rectangle up to it.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use calamine::{DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx, open_workbook};

mod dates;
mod formats;
mod hidden;
mod merges;
mod numbers;

use dates::{cut_to_partial, partial_dates};
use merges::fill_merged;

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
    if let Some(want) = &sheet.name
        && !sheets.iter().any(|s| &s.name == want)
    {
        return Err(FileError::NoSuchSheet {
            path: path.to_path_buf(),
            sheet: want.clone(),
            available: sheets
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut tables: Vec<(HeaderKind, Table)> = Vec::new();
    let mut passed = Passed::default();
    let mut hidden = Vec::new();
    for meta in &sheets {
        let name = &meta.name;
        if sheet.name.as_ref().is_some_and(|w| w != name) || meta.typ != SheetType::WorkSheet {
            continue;
        }
        if sheet.name.is_none() && meta.visible != SheetVisible::Visible {
            passed.hidden.push(format!("{name:?}"));
            hidden.push(name.clone());
            continue;
        }
        let SheetCells {
            mut grid,
            mut notes,
            unsaved,
            merged,
        } = sheet_grid(&mut wb, name).map_err(|m| xerr(&m))?;
        // Titles first, so that the merges are read against the header's own line.
        skip_title_rows(&mut grid, &mut notes, classify);
        notes.extend(fill_merged(&mut grid, &merged, name));
        let header_merges = merges::across_header(&grid, &merged);
        if !header_merges.is_empty() {
            notes.push(format!(
                "sheet {name:?}: header cell(s) {} merged across columns: every column of a merge but its first has no header of its own, and a row with a value in one is quarantined",
                header_merges.join(", ")
            ));
        }
        let kind = match (&sheet.name, grid.first()) {
            (Some(_), _) => HeaderKind::Records,
            (None, Some(first)) => classify(&first.cells),
            (None, None) => HeaderKind::Other,
        };
        // Formulas without saved results matter on a sheet of records only: an instructions
        // sheet with one is passed over like any other.
        if kind != HeaderKind::Other {
            notes.extend(hidden_note(path, name, &grid));
            let mut table = table_from_grid(path, name, grid, notes)?;
            table.refused = unsaved;
            table.merged_header = header_merges;
            tables.push((kind, table));
        } else if !grid.is_empty() {
            passed.other.push(format!("{name:?}"));
            passed.first.get_or_insert((name.clone(), grid, notes));
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

/// Sheets of records that are read but repeat most of another's rows cell for cell: a backup
/// copy edited since it was made ("Kopia av 2024" with one answer changed on "2024"). Each
/// record on both is quarantined as sent twice, in both; the note says why, where the
/// quarantine alone showed only a column of duplicates.
fn near_copies(tables: &[(HeaderKind, Table)], copied: &[(usize, usize)]) -> Vec<String> {
    let rows: Vec<Option<HashSet<&[String]>>> = tables
        .iter()
        .enumerate()
        .map(|(i, (kind, t))| {
            let read =
                *kind == HeaderKind::Records && t.refused.is_none() && !copied.iter().any(|c| c.0 == i);
            read.then(|| t.grid_rows().iter().map(|r| trimmed(&r.cells)).collect())
        })
        .collect();
    let name = |i: usize| tables[i].1.sheet.clone().unwrap_or_default();
    let mut out = Vec::new();
    for (i, small) in rows.iter().enumerate() {
        let Some(small) = small.as_ref().filter(|s| s.len() >= 2) else {
            continue;
        };
        // The larger sheet, or the first of two of one size, is the one copied.
        let of = rows.iter().enumerate().find(|(j, big)| {
            big.as_ref().is_some_and(|big| {
                *j != i
                    && (big.len() > small.len() || big.len() == small.len() && *j < i)
                    && shared_most(small, big)
            })
        });
        if let Some((j, Some(big))) = of {
            out.push(format!(
                "{:?} ({} of its {} rows are on sheet {:?} too)",
                name(i),
                small.intersection(big).count(),
                small.len(),
                name(j)
            ));
        }
    }
    out
}

/// Whether most of `small`'s rows, two at least, are rows of `big`: one row in common is a
/// record sent twice, not a copy.
fn shared_most(small: &HashSet<&[String]>, big: &HashSet<&[String]>) -> bool {
    let shared = small.intersection(big).count();
    shared >= 2 && 2 * shared > small.len()
}

/// Sheets of records that are copies: (the copy, the sheet it copies), in sheet order. A
/// backup made with Excel's "Move or Copy" ("Kopia av 2024") is visible and has the header of
/// records; read as well, every record on it would be quarantined as sent twice, in both
/// sheets. A sheet is a copy when every one of its rows is identical, cell for cell, to a row
/// of one other sheet of records, and that sheet has more rows or, holding the same rows, comes
/// first. Rows must all be on one sheet: quarter sheets beside a whole-year sheet that holds
/// them all are copies of the year's sheet, and the year's sheet is not a copy of them.
/// A sheet with only some such rows is read, and its repeated records are quarantined.
fn copies(tables: &[(HeaderKind, Table)]) -> Vec<(usize, usize)> {
    let rows: Vec<Option<HashSet<&[String]>>> = tables
        .iter()
        .map(|(kind, t)| {
            let grid = t.grid_rows();
            (*kind == HeaderKind::Records && t.refused.is_none() && !grid.is_empty())
                .then(|| grid.iter().map(|r| trimmed(&r.cells)).collect())
        })
        .collect();
    let contains = |j: usize, i: usize| match (&rows[j], &rows[i]) {
        (Some(big), Some(small)) => small.is_subset(big),
        _ => false,
    };
    // `j` holds all of `i` and is not itself the copy of the two.
    let copied_by = |i: usize, j: usize| i != j && contains(j, i) && (!contains(i, j) || j < i);
    let copy: Vec<bool> = (0..tables.len())
        .map(|i| (0..tables.len()).any(|j| copied_by(i, j)))
        .collect();
    (0..tables.len())
        .filter(|&i| copy[i])
        .filter_map(|i| {
            // The sheet named is one that is read: holding is transitive, so one of the sheets
            // that hold this one is not itself a copy.
            let of = (0..tables.len()).find(|&j| copied_by(i, j) && !copy[j])?;
            Some((i, of))
        })
        .collect()
}

/// A row's cells up to its last value, so that a sheet one empty column wider holds the same
/// rows.
fn trimmed(cells: &[String]) -> &[String] {
    let end = cells.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
    &cells[..end]
}

/// The hidden sheets whose header (below any title) is one of records, read as tables. A
/// hidden sheet that cannot be read is left alone, as hidden sheets are.
fn hidden_record_sheets(
    wb: &mut Book,
    path: &Path,
    hidden: &[String],
    classify: &dyn Fn(&[String]) -> HeaderKind,
) -> Vec<(String, Table)> {
    let mut out = Vec::new();
    for name in hidden {
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
            && let Ok(table) = table_from_grid(path, name, grid, notes)
        {
            out.push((name.clone(), table));
        }
    }
    out
}

/// With no visible sheet of records, a hidden one that holds them is what the sender meant:
/// failing on the visible sheet's header instead would send them looking in the wrong place.
fn refuse_hidden_records(
    wb: &mut Book,
    path: &Path,
    hidden: &[String],
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
fn refuse_hidden_new_records(
    wb: &mut Book,
    path: &Path,
    hidden: &[String],
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

fn read_cells(wb: &mut Book, sheet: &str) -> Result<SheetCells, String> {
    let mut reader = wb.worksheet_cells_reader(sheet).map_err(|e| e.to_string())?;
    let mut rows: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    let mut unsaved: Vec<(u32, u32)> = Vec::new();
    let mut years: Vec<((u32, u32), String)> = Vec::new();
    let mut dates: Vec<(u32, u32)> = Vec::new();
    let mut number_cells: Vec<(u32, u32)> = Vec::new();
    let mut whole: Vec<((u32, u32), i64)> = Vec::new();
    while let Some(c) = reader
        .next_cell_with_formula()
        .map_err(|e| unknown_error_value(sheet, &e.to_string()))?
    {
        let text = match typed_year(&c.value) {
            Some(year) => {
                years.push((c.pos, cell_text(&c.value)));
                year
            }
            None => cell_text(&c.value),
        };
        match c.value {
            DataRef::DateTime(dt) if !dt.is_duration() && !text.is_empty() => dates.push(c.pos),
            DataRef::Int(_) | DataRef::Float(_) => {
                number_cells.push(c.pos);
                whole.extend(whole_number(&c.value).map(|v| (c.pos, v)));
            }
            _ => {}
        }
        let has_formula = c.formula.as_deref().is_some_and(|f| !f.trim().is_empty());
        // A formula whose saved result is the empty text (`=IF(A2="";"";...)`, saved by Excel
        // as an empty `<v>`) is a blank answer; only one without any saved result is unread.
        if has_formula && matches!(c.value, DataRef::Empty) {
            unsaved.push(c.pos);
        }
        if !text.is_empty() {
            rows.entry(c.pos.0).or_default().push((c.pos.1, text));
        }
    }
    drop(reader);
    let unsaved = unsaved.first().map(|&first| {
        format!(
            "sheet {sheet:?}, cell {}{} holds a formula whose result is not saved in the file (a program that does not calculate wrote it), so its answer would read as blank; open the file in Excel or LibreOffice and save it again, or paste the values in place of the formulas",
            cell_name(first),
            and_more(unsaved.len())
        )
    });
    let mut notes: Vec<String> = years
        .first()
        .map(|(pos, shown)| {
            format!(
                "sheet {sheet:?}, cell {}{}: a year typed into a cell formatted as a date, which Excel shows as {shown}; read as the year typed",
                cell_name(*pos),
                and_more(years.len())
            )
        })
        .into_iter()
        .collect();
    let mut number_cells: std::collections::HashSet<(u32, u32)> = number_cells.into_iter().collect();
    if !dates.is_empty() || !whole.is_empty() {
        let wanted = dates
            .iter()
            .copied()
            .chain(whole.iter().map(|(pos, _)| *pos))
            .collect();
        let matters = |code: &str| dates::hidden_day(code).is_some() || numbers::changes_numbers(code);
        let formats = formats::cell_formats(wb, sheet, &wanted, matters)?;
        notes.extend(cut_to_partial(&mut rows, &partial_dates(&dates, &formats), sheet));
        let (shown, note) = numbers::show_as_formatted(&mut rows, &whole, &formats, sheet);
        notes.extend(note);
        // Shown as typed, zeros and all: nothing was lost.
        number_cells.retain(|pos| !shown.contains(pos));
    }
    let grid = rows
        .into_iter()
        .map(|(row, cells)| {
            let width = cells.iter().map(|(c, _)| *c as usize + 1).max().unwrap_or(0);
            let mut line = vec![String::new(); width];
            let mut in_numbers = Vec::new();
            for (c, text) in cells {
                if number_cells.contains(&(row, c)) {
                    in_numbers.push(c);
                }
                line[c as usize] = text;
            }
            RawRow {
                line: u64::from(row) + 1,
                cells: line,
                numbers: in_numbers,
            }
        })
        .filter(|r| !r.cells.iter().all(|c| c.trim().is_empty()))
        .collect();
    Ok(SheetCells {
        grid,
        notes,
        unsaved,
        merged: Vec::new(),
    })
}

/// The reader knows the error values of older Excel (#N/A, #REF! and the like, which are
/// quarantined as answers) but not newer ones (#CALC!, #SPILL!) and stops at the first; it
/// does not say where, so the message says how to find it.
fn unknown_error_value(sheet: &str, message: &str) -> String {
    match message.split_once("Unsupported cell error value") {
        Some((_, value)) => format!(
            "sheet {sheet:?} has a cell showing the Excel error {} (a formula that failed), which ingest cannot read; find it (Find, look in values, for #) and replace the formula by its answer or clear the cell, then save the workbook again",
            value.trim().trim_matches(|c: char| c == '\'' || c == '"')
        ),
        None => message.to_string(),
    }
}

fn and_more(n: usize) -> String {
    match n {
        0 | 1 => String::new(),
        n => format!(" and {} more", n - 1),
    }
}

fn cell_text(d: &DataRef) -> String {
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => date_text(dt),
        // A time of day is kept, so that a date with one is refused as a date, as in CSV.
        DataRef::DateTimeIso(s) => match s.split_once('T') {
            Some((date, time)) if time.trim_start_matches(['0', ':', '.']).is_empty() => date.to_string(),
            Some((date, time)) => format!("{date} {time}"),
            None => s.clone(),
        },
        DataRef::DurationIso(s) => s.clone(),
        // As Excel shows it (#REF!, #N/A): validation refuses these in every column.
        DataRef::Error(e) => e.to_string(),
    }
}

/// A year (1900 to 2100) typed into a cell formatted as a date is stored as that many days
/// after 1900: Excel shows 1990 as 1905-06-12. No one in these records was born in 1905, so
/// the number typed is what was meant.
fn typed_year(d: &DataRef) -> Option<String> {
    let DataRef::DateTime(dt) = d else { return None };
    let v = dt.as_f64();
    (!dt.is_duration() && v.fract() == 0.0 && (1900.0..=2100.0).contains(&v)).then(|| number_text(v))
}

/// A cell's whole number, when it holds one (up to 15 digits, what Excel keeps exactly).
fn whole_number(d: &DataRef) -> Option<i64> {
    match *d {
        DataRef::Int(i) => Some(i),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(f as i64),
        _ => None,
    }
}

/// Whole numbers typed into Excel (years, personal numbers) come back as floats.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// A date cell as the person sees it: calamine knows the workbook's date system (1900 or
/// Mac Excel's 1904) and Excel's phantom 29 February 1900. A time of day is kept.
fn date_text(dt: &ExcelDateTime) -> String {
    let v = dt.as_f64();
    if dt.is_duration() || !(0.0..2_958_466.0).contains(&v) {
        return number_text(v);
    }
    let (y, m, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let date = format!("{y:04}-{m:02}-{d:02}");
    if (h, mi, s, ms) == (0, 0, 0, 0) {
        date
    } else {
        format!("{date} {h:02}:{mi:02}:{s:02}")
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
