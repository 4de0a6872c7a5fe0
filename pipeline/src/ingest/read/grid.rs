//! A workbook sheet's rows as a table: the first row is the header, rows are padded to one
//! width, and columns with nothing in them are dropped.

use std::path::Path;

use super::{Body, RawRow, Table};
use crate::error::FileError;

/// A workbook sheet's rows as a table: the first row is the header.
pub(in crate::ingest) fn table_from_grid(
    path: &Path,
    sheet: &str,
    mut grid: Vec<RawRow>,
    notes: Vec<String>,
) -> Result<Table, FileError> {
    if grid.is_empty() {
        return Err(FileError::Empty {
            path: path.to_path_buf(),
        });
    }
    let sheet_columns = drop_empty_columns(&mut grid);
    // A sheet's rows end at their last value: the cells after it are empty, not missing.
    let width = grid.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    for r in &mut grid {
        r.cells.resize(width, String::new());
    }
    let header_line = grid[0].line;
    let header = grid
        .remove(0)
        .cells
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    Ok(Table {
        path: path.to_path_buf(),
        format: format!("XLSX (sheet {sheet:?})"),
        sheet: Some(sheet.to_string()),
        unreadable: Vec::new(),
        notes,
        refused: None,
        sheet_columns: Some(sheet_columns),
        merged_header: Vec::new(),
        header_line,
        header,
        body: Body::Grid(grid),
    })
}

/// Columns with no header and nothing in any row (a table that starts in column B, a stray
/// space far to the right) are not columns of the table. Returns the grid column each kept
/// column was.
fn drop_empty_columns(grid: &mut [RawRow]) -> Vec<usize> {
    // One pass over the cells, not columns times rows: a stray cell far to the right makes
    // the table thousands of columns wide.
    let width = grid.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let mut keep = vec![false; width];
    for r in grid.iter() {
        for (k, v) in keep.iter_mut().zip(&r.cells) {
            *k = *k || !v.trim().is_empty();
        }
    }
    let kept: Vec<usize> = (0..width).filter(|&c| keep[c]).collect();
    if kept.len() == width {
        return kept;
    }
    // Where each kept column ends up, for the columns stored as numbers.
    let mut to = vec![None; width];
    let mut next = 0u32;
    for (t, k) in to.iter_mut().zip(&keep) {
        if *k {
            *t = Some(next);
            next += 1;
        }
    }
    for r in grid.iter_mut() {
        let mut c = 0;
        r.cells.retain(|_| {
            let k = keep.get(c).copied().unwrap_or(false);
            c += 1;
            k
        });
        r.numbers = r
            .numbers
            .iter()
            .filter_map(|&n| to.get(n as usize).copied().flatten())
            .collect();
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_stored_as_numbers_follow_their_cells_when_empty_columns_go() {
        let mut grid = vec![
            RawRow {
                line: 1,
                cells: vec!["".into(), "record_id".into(), "".into(), "year".into()],
                numbers: Vec::new(),
            },
            RawRow {
                line: 2,
                cells: vec!["".into(), "42".into(), "".into(), "2024".into()],
                numbers: vec![1, 3],
            },
        ];
        assert_eq!(drop_empty_columns(&mut grid), [1, 3]);
        assert_eq!(grid[1].cells, ["42", "2024"]);
        assert_eq!(grid[1].numbers, [0, 1]);
    }
}
