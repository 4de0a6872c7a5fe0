//! A sheet's cells as text, as Excel shows them: dates as dates, whole numbers without ".0",
//! error values as Excel writes them; and the formulas whose results the file does not hold.

use std::collections::BTreeMap;

use calamine::{DataRef, ExcelDateTime};

use super::dates::{cut_to_partial, partial_dates};
use super::{Book, SheetCells, and_more, cell_name, dates, formats, numbers};
use crate::ingest::read::RawRow;

pub(super) fn read_cells(wb: &mut Book, sheet: &str) -> Result<SheetCells, String> {
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
