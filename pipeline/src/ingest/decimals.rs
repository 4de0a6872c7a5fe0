//! Ids and personal numbers written as decimals (`12.0`, `199003051233.0`): pandas writes an
//! integer column that has an empty cell as floats, so a CSV of its `related_record_id` says
//! `12.0` beside a `record_id` of `12`. Read as written, every related record was missing and
//! every personal number malformed (an outside review lost 19 of 60 rows so). A column is read
//! without the `.0` only when every filled cell has it, so an id that is text keeps its form.
//! Swedish Excel writes the same with a decimal comma (`12,0` in a semicolon-separated file),
//! and a number format with two decimals `12,00`: read alike, or a record sent as `1` in one
//! quarter's file and `1,0` in the next would be two records.

use super::header::HeaderMap;
use super::read::Row;
use crate::schema::Schema;

/// The columns whose `.0` may be dropped.
const COLUMNS: [&str; 3] = ["record_id", "related_record_id", "personal_number"];

/// What a column's filled cells were: every one a decimal whole number (`12.0`), and every
/// one a whole number written either way (`12` or `12.0`).
#[derive(Clone, Copy)]
struct Seen {
    filled: usize,
    all_decimal: bool,
    all_whole: bool,
}

/// Finds, row by row (`ingest::open::row_checks` shares one pass), the columns of `COLUMNS` whose
/// every filled cell is digits and `.0`, a placeholder (`nan`, `-`, read as empty) aside.
/// Related ids only where the record ids are whole numbers too: versioned ids (`1.0`, `1.1`)
/// keep their form in both columns.
pub(super) struct Decimals {
    cols: Vec<Option<(usize, usize)>>,
    seen: [Seen; COLUMNS.len()],
}

impl Decimals {
    pub fn new(schema: &Schema, map: &HeaderMap) -> Self {
        let cols = COLUMNS
            .iter()
            .map(|name| {
                let i = schema.column_index(name)?;
                Some((i, map.source[i]?))
            })
            .collect();
        let seen = [Seen {
            filled: 0,
            all_decimal: true,
            all_whole: true,
        }; COLUMNS.len()];
        Decimals { cols, seen }
    }

    pub fn row(&mut self, schema: &Schema, row: &Row) {
        for (col, s) in self.cols.iter().zip(self.seen.iter_mut()) {
            let Some((_, pos)) = col else { continue };
            let cell = row.cells[*pos].trim();
            if cell.is_empty() || !(s.all_decimal || s.all_whole) || placeholder(schema, cell) {
                continue;
            }
            s.filled += 1;
            let decimal = decimal_whole(cell);
            s.all_decimal &= decimal;
            s.all_whole &= decimal || cell.bytes().all(|b| b.is_ascii_digit());
        }
    }

    /// Marks the columns read without their `.0` in `map`.
    pub fn finish(self, map: &mut HeaderMap) {
        let [record, related, pnr] = self.seen;
        let marked = [
            record.all_decimal,
            related.all_decimal && (record.filled == 0 || record.all_whole),
            pnr.all_decimal,
        ];
        for ((col, s), mark) in self.cols.iter().zip(self.seen).zip(marked) {
            if let Some((i, _)) = col
                && s.filled > 0
                && mark
            {
                map.decimal_ids.push(*i);
            }
        }
    }
}

/// A cell validation reads as empty in one of these columns.
fn placeholder(schema: &Schema, cell: &str) -> bool {
    schema.is_id_placeholder(cell)
        || schema.is_pnr_placeholder(cell)
        || schema.empty_markers.contains(&cell.to_lowercase())
}

fn decimal_whole(cell: &str) -> bool {
    whole_part(cell).is_some()
}

/// The digits before a decimal point or comma followed by zeros only (`12` of `12.0`, `12,00`).
fn whole_part(cell: &str) -> Option<&str> {
    let (whole, zeros) = cell.split_once(['.', ','])?;
    let digits = |s: &str, b: fn(u8) -> bool| !s.is_empty() && s.bytes().all(b);
    (digits(whole, |b| b.is_ascii_digit()) && digits(zeros, |b| b == b'0')).then_some(whole)
}

/// The cell as read: without its zero decimals where the column was marked.
pub(super) fn read<'r>(map: &HeaderMap, col: usize, cell: &'r str) -> &'r str {
    if map.decimal_ids.contains(&col) {
        whole_part(cell).unwrap_or(cell)
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::decimal_whole;

    #[test]
    fn only_digits_and_a_zero_decimal_are_decimal_whole_numbers() {
        for yes in ["12.0", "199003051233.0", "0.0", "12,0", "12.00", "12,00"] {
            assert!(decimal_whole(yes), "{yes}");
        }
        for no in [
            "12", "12.5", "12,05", "A-12.0", ".0", ",0", "12.", "1e3.0", "1.0.0", "1,0,0",
        ] {
            assert!(!decimal_whole(no), "{no}");
        }
    }
}
