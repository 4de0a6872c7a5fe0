//! How the quarantine names a file's columns: by the contract's name, or, for a column
//! without a header, by its place and the letter Excel shows above it.

use super::HeaderMap;
use crate::schema::Schema;

/// A column without a header, by its place and by the letter Excel shows above it (the
/// 8th column is H), since that is where staff look for it: in a workbook, the letter of the
/// sheet column it was read from (empty columns between are not read, so its place in the
/// table would mislead).
pub(in crate::ingest) fn unnamed_column(map: &HeaderMap, pos: usize) -> String {
    match map.sheet_columns.as_ref().and_then(|c| c.get(pos)) {
        Some(&sheet) => format!("{} of the sheet (no header)", excel_letters(sheet)),
        None => format!("#{} (column {} in Excel, no header)", pos + 1, excel_letters(pos)),
    }
}

/// The letters Excel shows above column `col` (0 is A).
pub(in crate::ingest) fn excel_letters(col: usize) -> String {
    let mut letters = String::new();
    let mut n = col + 1;
    while n > 0 {
        let r = (n - 1) % 26;
        letters.insert(0, char::from(b'A' + r as u8));
        n = (n - 1) / 26;
    }
    letters
}

/// The name of the file's column at position `pos`, as the quarantine names columns.
pub(super) fn column_name(schema: &Schema, map: &HeaderMap, pos: usize) -> String {
    map.source
        .iter()
        .position(|p| *p == Some(pos))
        .map_or_else(|| unnamed_column(map, pos), |i| schema.columns[i].name.clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_column_without_a_header_is_named_by_its_excel_letter() {
        let mut map = super::HeaderMap {
            source: Vec::new(),
            width: 800,
            renamed: Vec::new(),
            absent: Vec::new(),
            ignored: Vec::new(),
            asked: Vec::new(),
            asked_found: Vec::new(),
            pandas_index: Vec::new(),
            numbering: Vec::new(),
            numbering_named: Vec::new(),
            blank: Vec::new(),
            sheet_columns: None,
            decimal_ids: Vec::new(),
            warnings: Vec::new(),
        };
        assert_eq!(
            super::unnamed_column(&map, 7),
            "#8 (column H in Excel, no header)"
        );
        assert_eq!(
            super::unnamed_column(&map, 26),
            "#27 (column AA in Excel, no header)"
        );
        assert_eq!(
            super::unnamed_column(&map, 701),
            "#702 (column ZZ in Excel, no header)"
        );
        // A workbook's table in columns C to Y and a value in AB: the table's 24th column.
        map.sheet_columns = Some((2..=24).chain([27]).collect());
        assert_eq!(super::unnamed_column(&map, 23), "AB of the sheet (no header)");
    }
}
