//! The number formats of chosen cells of a sheet: what Excel shows of a date or a number
//! depends on them, and a workbook stores the value, not what is shown.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::Book;

/// Number format codes of the cells asked about whose format matters, each code kept once
/// (a sheet of a hundred thousand rows has that many number cells, and a handful of styles).
#[derive(Default)]
pub(super) struct CellFormats {
    cells: BTreeMap<(u32, u32), u32>,
    codes: Vec<String>,
}

impl CellFormats {
    pub fn get(&self, pos: &(u32, u32)) -> Option<&str> {
        self.cells.get(pos).map(|&c| self.codes[c as usize].as_str())
    }
}

/// A second pass over the sheet reads the styles of the `wanted` cells only, keeping those
/// whose format code `matters` (asked once per style).
pub(super) fn cell_formats(
    wb: &mut Book,
    sheet: &str,
    wanted: &HashSet<(u32, u32)>,
    matters: impl Fn(&str) -> bool,
) -> Result<CellFormats, String> {
    let mut reader = wb.worksheet_cells_reader(sheet).map_err(|e| e.to_string())?;
    let mut found = CellFormats::default();
    let mut by_style: HashMap<usize, Option<u32>> = HashMap::new();
    while let Some((row, col, id)) = reader.next_style_id().map_err(|e| e.to_string())? {
        if !wanted.contains(&(row, col)) {
            continue;
        }
        let code = *by_style.entry(id).or_insert_with(|| {
            let code = reader
                .styles()
                .get(id)
                .and_then(|s| s.number_format.as_ref())
                .map(|f| f.format_code.clone())
                .filter(|c| matters(c))?;
            found.codes.push(code);
            Some(found.codes.len() as u32 - 1)
        });
        if let Some(code) = code {
            found.cells.insert((row, col), code);
        }
    }
    Ok(found)
}
