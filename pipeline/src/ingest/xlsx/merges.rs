//! Merged cells: a merge's value counts for every row it spans, in its first column only.

use calamine::Dimensions;

use super::cell_name;
use crate::ingest::read::{HeaderMerge, RawRow};

/// A merge's value counts for every row it spans below the header, in its first column: that
/// is what the person who merged the rows sees. A merge across columns is not spread into the
/// other columns (a name merged over given_name and family_name is not both), which are left
/// empty. The report names both kinds.
pub(super) fn fill_merged(grid: &mut [RawRow], merged: &[Dimensions], sheet: &str) -> Vec<String> {
    let Some(header_line) = grid.first().map(|r| r.line) else {
        return Vec::new();
    };
    let (mut down, mut across) = (Vec::new(), Vec::new());
    for m in merged {
        let value = grid
            .binary_search_by_key(&(u64::from(m.start.0) + 1), |r| r.line)
            .ok()
            .and_then(|i| grid[i].cells.get(m.start.1 as usize))
            .cloned()
            .unwrap_or_default();
        // Lines count from 1, rows from 0: a merge ending on or above the header is left alone.
        if value.trim().is_empty() || u64::from(m.end.0) < header_line {
            continue;
        }
        let name = format!("{}:{}", cell_name(m.start), cell_name(m.end));
        if m.end.1 > m.start.1 {
            across.push(name.clone());
        }
        if fill_down(grid, m, header_line, &value) {
            down.push(name);
        }
    }
    let mut notes = Vec::new();
    if !down.is_empty() {
        notes.push(format!(
            "sheet {sheet:?}: merged cells {} read with the merge's value in every row it spans",
            down.join(", ")
        ));
    }
    if !across.is_empty() {
        notes.push(format!(
            "sheet {sheet:?}: merged cells {} span several columns; the value is read in the first column only, and the other columns are left empty",
            across.join(", ")
        ));
    }
    notes
}

/// The header's cells merged across columns (`G1:H1`): the columns after a merge's first
/// have no header of their own, which a failure on the merge's name alone does not say.
pub(super) fn across_header(grid: &[RawRow], merged: &[Dimensions]) -> Vec<HeaderMerge> {
    let Some(header_line) = grid.first().map(|r| r.line) else {
        return Vec::new();
    };
    merged
        .iter()
        .filter(|m| u64::from(m.start.0) < header_line && u64::from(m.end.0) + 1 >= header_line)
        .filter(|m| m.end.1 > m.start.1)
        .map(|m| HeaderMerge {
            name: format!("{}:{}", cell_name(m.start), cell_name(m.end)),
            first: m.start.1 as usize,
            last: m.end.1 as usize,
        })
        .collect()
}

/// The note on header cells merged across columns, for those of `merges` still read as
/// they are (a merge named to leave out has all its columns left out).
pub fn header_note(sheet: &str, merges: &[&HeaderMerge]) -> Option<String> {
    let names: Vec<&str> = merges.iter().map(|m| m.name.as_str()).collect();
    (!names.is_empty()).then(|| {
        format!(
            "sheet {sheet:?}: header cell(s) {} merged across columns: every column of a merge but its first has no header of its own, and a row with a value in one is quarantined",
            names.join(", ")
        )
    })
}

/// Fills the merge's first column in the rows below its first cell; whether any was filled.
fn fill_down(grid: &mut [RawRow], m: &Dimensions, header_line: u64, value: &str) -> bool {
    let col = m.start.1 as usize;
    let lines = u64::from(m.start.0) + 2..=u64::from(m.end.0) + 1;
    let mut any = false;
    for row in grid
        .iter_mut()
        .filter(|r| r.line > header_line && lines.contains(&r.line))
    {
        if row.cells.len() <= col {
            row.cells.resize(col + 1, String::new());
        }
        if let Some(cell) = row.cells.get_mut(col)
            && cell.is_empty()
        {
            value.clone_into(cell);
            any = true;
        }
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, cells: &[&str]) -> RawRow {
        RawRow {
            line,
            cells: cells.iter().map(|c| c.to_string()).collect(),
            numbers: Vec::new(),
        }
    }

    #[test]
    fn a_merge_spreads_down_its_rows_but_not_across_its_columns() {
        let mut grid = vec![
            row(1, &["given_name", "family_name", "gender"]),
            row(2, &["Anna Svensson", "", "woman"]),
            row(3, &["Bo", "Berg", ""]),
        ];
        let merged = [Dimensions::new((1, 0), (1, 1)), Dimensions::new((1, 2), (2, 2))];
        let notes = fill_merged(&mut grid, &merged, "S");
        assert_eq!(grid[1].cells, ["Anna Svensson", "", "woman"]);
        assert_eq!(grid[2].cells, ["Bo", "Berg", "woman"]);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("A2:B2") && n.contains("first column only")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("C2:C3") && n.contains("every row")),
            "{notes:?}"
        );
    }
}
