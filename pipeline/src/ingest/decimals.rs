//! Ids and personal numbers written as decimals (`12.0`, `199003051233.0`): pandas writes an
//! integer column that has an empty cell as floats, so a CSV of its `related_record_id` says
//! `12.0` beside a `record_id` of `12`. Read as written, every related record was missing and
//! every personal number malformed (an outside review lost 19 of 60 rows so). A column is read
//! without the `.0` only when every filled cell has it, so an id that is text keeps its form.

use super::header::HeaderMap;
use super::read::Table;
use crate::schema::Schema;

/// The columns whose `.0` is dropped, by contract column index.
const COLUMNS: [&str; 3] = ["record_id", "related_record_id", "personal_number"];

/// Marks in `map` the columns of `COLUMNS` whose every filled cell is digits and `.0`.
pub(super) fn decimal_ids(schema: &Schema, t: &Table, map: &mut HeaderMap) {
    let cols: Vec<(usize, usize)> = COLUMNS
        .iter()
        .filter_map(|name| {
            let i = schema.column_index(name)?;
            Some((i, map.source[i]?))
        })
        .collect();
    if cols.is_empty() {
        return;
    }
    // Per column: filled cells seen, and whether every one was a decimal whole number.
    let mut state: Vec<(usize, bool)> = vec![(0, true); cols.len()];
    let _ = t.for_each_row(|row| -> Result<(), crate::error::FileError> {
        if row.unclosed.is_some() || row.cells.len() != map.width {
            return Ok(());
        }
        for ((_, pos), (filled, all)) in cols.iter().zip(state.iter_mut()) {
            let cell = row.cells[*pos].trim();
            if !cell.is_empty() && *all {
                *filled += 1;
                *all = decimal_whole(cell);
            }
        }
        Ok(())
    });
    for ((i, _), (filled, all)) in cols.iter().zip(state) {
        if filled > 0 && all {
            map.decimal_ids.push(*i);
        }
    }
}

fn decimal_whole(cell: &str) -> bool {
    cell.strip_suffix(".0")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The cell as read: without its `.0` where the column was marked.
pub(super) fn read<'r>(map: &HeaderMap, col: usize, cell: &'r str) -> &'r str {
    if map.decimal_ids.contains(&col) {
        cell.strip_suffix(".0").unwrap_or(cell)
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::decimal_whole;

    #[test]
    fn only_digits_and_a_zero_decimal_are_decimal_whole_numbers() {
        for yes in ["12.0", "199003051233.0", "0.0"] {
            assert!(decimal_whole(yes), "{yes}");
        }
        for no in ["12", "12.5", "A-12.0", ".0", "12.00", "1e3.0", "12,0"] {
            assert!(!decimal_whole(no), "{no}");
        }
    }
}
