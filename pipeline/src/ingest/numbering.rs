//! Columns that number the rows (`Nr`, or no header) rather than answer a question: passed
//! over with a note, unless their cells are personal numbers, which must not be lost.

use super::read::Table;
use super::{header, validate};
use crate::error::FileError;

/// Whether each column of `cols` holds a running number of the rows: at least two rows,
/// every one a whole number of at most 9 digits, no two the same (a row that cannot be read:
/// not). One pass for all of them: a pass per column made a header of 20 000 empty columns
/// take 11 s (an outside review).
fn running_numbers(t: &Table, cols: &[usize]) -> Vec<bool> {
    /// Every column decided: the pass ends (or a row that cannot be read).
    struct Done;
    impl From<FileError> for Done {
        fn from(_: FileError) -> Self {
            Done
        }
    }
    let mut seen: Vec<std::collections::HashSet<String>> = vec![Default::default(); cols.len()];
    let mut open: Vec<usize> = (0..cols.len()).collect();
    let mut rows = 0usize;
    let read = t.for_each_row(|row| {
        rows += 1;
        open.retain(|&k| {
            let cell = row.cells.get(cols[k]).map_or("", |c| c.trim());
            let number = !cell.is_empty() && cell.len() <= 9 && cell.bytes().all(|b| b.is_ascii_digit());
            number && seen[k].insert(cell.to_string())
        });
        if open.is_empty() { Err(Done) } else { Ok(()) }
    });
    let mut running = vec![false; cols.len()];
    if read.is_ok() && rows >= 2 {
        for k in open {
            running[k] = true;
        }
    }
    running
}

/// Digits a cell must hold to be taken for a personal number (10 or 12 with the century).
const PNR_DIGITS: usize = 10;

/// A column headed like a running number (`Nr`, `Nummer`, `#`) is passed over, unless one of
/// its cells holds as many digits as a personal number: an outside review headed the personal
/// numbers `Nummer`, and they were lost with only a note. Then the file is refused, naming the
/// column and the line, never the value (or the column ignored, on request, where the file has
/// a personal_number column of its own). Rows of the wrong shape (a stray line break, a line an
/// unclosed quote took) are quarantined for it and are not looked at; a repeated number, a
/// totals line or a blank is no one's identifier and loses nothing.
pub(super) fn named_running_numbers(
    t: &Table,
    map: &mut header::HeaderMap,
    (ignore_extra, pnr_column): (bool, bool),
) -> Result<(), FileError> {
    let named = std::mem::take(&mut map.numbering_named);
    let mut found: Vec<Option<u64>> = vec![None; named.len()];
    let _ = t.for_each_row(|row| -> Result<(), FileError> {
        if row.unclosed.is_some() || row.cells.len() != map.width {
            return Ok(());
        }
        for (k, (pos, _)) in named.iter().enumerate() {
            let digits = row
                .cells
                .get(*pos)
                .map_or(0, |c| c.bytes().filter(u8::is_ascii_digit).count());
            if found[k].is_none() && digits >= PNR_DIGITS {
                found[k] = Some(row.line);
            }
        }
        Ok(())
    });
    for ((_, name), line) in named.into_iter().zip(found) {
        match line {
            None => map.numbering.push(name),
            Some(_) if ignore_extra && pnr_column => map.ignored.push(name),
            Some(line) => {
                return Err(FileError::NotRunningNumbers {
                    at: t.place(),
                    column: name,
                    line,
                    pnr_column,
                });
            }
        }
    }
    Ok(())
}

/// A column without a header whose every row holds a whole number, no two the same (staff
/// number the rows in the first column and leave its header blank): a running number, passed
/// over with a note like a `Nr` column. Any other value in a column without a header is still
/// quarantined in its row, as it may be an answer put in the wrong place.
pub(super) fn running_numbers_without_header(t: &Table, map: &mut header::HeaderMap) {
    let numbering: Vec<usize> = map
        .blank
        .iter()
        .zip(running_numbers(t, &map.blank))
        .filter(|(_, running)| *running)
        .map(|(pos, _)| *pos)
        .collect();
    for pos in numbering {
        map.blank.retain(|&p| p != pos);
        map.numbering.push(validate::unnamed_column(map, pos));
    }
}
