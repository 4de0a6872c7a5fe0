//! Sheets of records that repeat another's rows: a copy (every row of it on one other sheet)
//! is not read, and a sheet that repeats most of another's rows is read and named, so that its
//! records are not quarantined as sent twice without a word why.

use std::collections::HashSet;

use crate::ingest::header::HeaderKind;
use crate::ingest::read::Table;

/// Sheets of records that are read but repeat most of another's rows cell for cell: a backup
/// copy edited since it was made ("Kopia av 2024" with one answer changed on "2024"). Each
/// record on both is quarantined as sent twice, in both; the note says why, where the
/// quarantine alone showed only a column of duplicates.
pub(super) fn near_copies(tables: &[(HeaderKind, Table)], copied: &[(usize, usize)]) -> Vec<String> {
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
pub(super) fn copies(tables: &[(HeaderKind, Table)]) -> Vec<(usize, usize)> {
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
pub(super) fn trimmed(cells: &[String]) -> &[String] {
    let end = cells.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
    &cells[..end]
}
