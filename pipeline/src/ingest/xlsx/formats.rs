//! The number formats of chosen cells of a sheet: what Excel shows of a date or a number
//! depends on them, and a workbook stores the value, not what is shown.

use std::collections::{BTreeMap, HashSet};

use super::Book;

/// Number format codes by cell (row, column), for the cells asked about that have one.
pub(super) type CellFormats = BTreeMap<(u32, u32), String>;

/// A second pass over the sheet reads the styles of the `wanted` cells only (the styles of
/// every cell would cost memory per cell of a large sheet).
pub(super) fn cell_formats(
    wb: &mut Book,
    sheet: &str,
    wanted: &HashSet<(u32, u32)>,
) -> Result<CellFormats, String> {
    let mut reader = wb.worksheet_cells_reader(sheet).map_err(|e| e.to_string())?;
    let mut found = BTreeMap::new();
    while let Some((row, col, id)) = reader.next_style_id().map_err(|e| e.to_string())? {
        if !wanted.contains(&(row, col)) {
            continue;
        }
        let code = reader
            .styles()
            .get(id)
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone());
        if let Some(code) = code {
            found.insert((row, col), code);
        }
    }
    Ok(found)
}
