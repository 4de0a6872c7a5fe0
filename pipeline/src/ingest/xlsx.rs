//! Reads workbook sheets as tables of text cells, as a person sees them in Excel: dates as
//! dates, whole numbers without ".0", a merged cell's value in every row it spans, and a
//! formula whose result the file does not hold refused rather than read as blank.

use std::path::Path;

use calamine::{Data, Dimensions, Range, Reader, Xlsx, open_workbook};

use super::read::{RawRow, SheetChoice, Table, table_from_grid};
use crate::dates::from_excel_serial;
use crate::error::FileError;

/// Every sheet whose header has the required columns (or the one asked for), so that records
/// kept on several sheets (a sheet per quarter) are all read; other sheets (instructions, code
/// lists) are not tables of records.
pub(super) fn open_xlsx(
    path: &Path,
    sheet: &SheetChoice,
    required: &[String],
) -> Result<Vec<Table>, FileError> {
    let xerr = |e: &dyn std::fmt::Display| FileError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut wb: Xlsx<_> = open_workbook(path).map_err(|e| xerr(&e))?;
    let names = wb.sheet_names();
    if let Some(want) = &sheet.name
        && !names.contains(want)
    {
        return Err(FileError::NoSuchSheet {
            path: path.to_path_buf(),
            sheet: want.clone(),
            available: names.join(", "),
        });
    }
    let mut tables = Vec::new();
    let mut first = None;
    for name in &names {
        if sheet.name.as_ref().is_some_and(|w| w != name) {
            continue;
        }
        let range = wb.worksheet_range(name).map_err(|e| xerr(&e))?;
        unsaved_formulas(&mut wb, name, &range).map_err(|m| xerr(&m))?;
        let mut grid = grid_from_range(&range);
        // A sheet whose merged cells cannot be listed is read as it is.
        let merged = wb.merge_cells_by_sheet_name(name).unwrap_or_default();
        let notes = fill_merged(&mut grid, &range, &merged, name);
        let has_required = grid.first().is_some_and(|h| {
            let h: Vec<String> = h.cells.iter().map(|c| c.trim().to_lowercase()).collect();
            required.iter().all(|r| h.contains(r))
        });
        if has_required || sheet.name.is_some() {
            tables.push(table_from_grid(path, name, grid, notes)?);
        } else if first.is_none() {
            first = Some((name.clone(), grid, notes));
        }
    }
    if !tables.is_empty() {
        return Ok(tables);
    }
    // No sheet has the required header: read the first so the error names what is missing.
    match first {
        Some((name, grid, notes)) => Ok(vec![table_from_grid(path, &name, grid, notes)?]),
        None => Err(FileError::Empty {
            path: path.to_path_buf(),
        }),
    }
}

fn grid_from_range(range: &calamine::Range<Data>) -> Vec<RawRow> {
    let first_row = range.start().map_or(0, |(r, _)| r as u64);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            let mut cells = vec![String::new(); first_col];
            cells.extend(row.iter().map(cell_text));
            RawRow {
                line: first_row + i as u64 + 1,
                cells,
            }
        })
        .filter(|r| !r.cells.iter().all(|c| c.trim().is_empty()))
        .collect()
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Whole numbers typed into Excel (years, personal numbers) come back as floats.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => from_excel_serial(dt.as_f64())
            .map(|d| d.to_string())
            .unwrap_or_else(|| dt.as_f64().to_string()),
        Data::DateTimeIso(s) => s.split('T').next().unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A formula cell whose result was never saved (files written by scripts that do not
/// calculate) reads as empty: an answer would be lost without a word, so the file is refused.
fn unsaved_formulas(
    wb: &mut Xlsx<std::io::BufReader<std::fs::File>>,
    sheet: &str,
    values: &Range<Data>,
) -> Result<(), String> {
    let Ok(formulas) = wb.worksheet_formula(sheet) else {
        return Ok(());
    };
    let (r0, c0) = formulas.start().unwrap_or((0, 0));
    let unsaved: Vec<String> = formulas
        .used_cells()
        .filter(|(_, _, f)| !f.trim().is_empty())
        .map(|(r, c, _)| (r0 + r as u32, c0 + c as u32))
        .filter(|&at| {
            values
                .get_value(at)
                .is_none_or(|v| cell_text(v).trim().is_empty())
        })
        .map(cell_name)
        .collect();
    match unsaved.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "sheet {sheet:?}, cell {first}{} holds a formula whose result is not saved in the file (a program that does not calculate wrote it), so its answer would read as blank; open the file in Excel or LibreOffice and save it again, or paste the values in place of the formulas",
            match unsaved.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            }
        )),
    }
}

/// Every cell a merge spans (below the header row) takes the value of the merge's first
/// cell, which is what the person who merged them sees; each merge filled is noted.
fn fill_merged(grid: &mut [RawRow], values: &Range<Data>, merged: &[Dimensions], sheet: &str) -> Vec<String> {
    let Some(header_line) = grid.first().map(|r| r.line) else {
        return Vec::new();
    };
    let mut filled = Vec::new();
    for m in merged {
        let value = values.get_value(m.start).map(cell_text).unwrap_or_default();
        // Lines count from 1, rows from 0: a merge ending on or above the header is left alone.
        if value.trim().is_empty() || u64::from(m.end.0) < header_line {
            continue;
        }
        let mut any = false;
        for row in grid.iter_mut().filter(|r| {
            r.line > header_line && (u64::from(m.start.0) + 1..=u64::from(m.end.0) + 1).contains(&r.line)
        }) {
            for c in m.start.1..=m.end.1 {
                if let Some(cell) = row.cells.get_mut(c as usize)
                    && cell.is_empty()
                    && (u64::from(m.start.0) + 1, m.start.1) != (row.line, c)
                {
                    cell.clone_from(&value);
                    any = true;
                }
            }
        }
        if any {
            filled.push(format!("{}:{}", cell_name(m.start), cell_name(m.end)));
        }
    }
    if filled.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "sheet {sheet:?}: merged cells {} read with the merge's value in every cell it spans",
        filled.join(", ")
    )]
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
