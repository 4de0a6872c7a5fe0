//! Helpers the bad-input tests share: one file ingested alone, the rules its rows were
//! quarantined for, rows and workbooks made from the contract's header.

pub use safetally::ingest::{IngestOptions, SheetChoice};
pub use safetally_tests::*;

pub fn one_file(
    name: &str,
    bytes: impl AsRef<[u8]>,
) -> (
    safetally::ingest::IngestReport,
    tempfile::TempDir,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), name, bytes);
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    (report, out, dir)
}

pub fn rules_of(out: &std::path::Path) -> Vec<(i64, String, String)> {
    quarantine(out, "SAMPLE01")
        .into_iter()
        .map(|(l, c, r, _)| (l, c, r))
        .collect()
}

/// Row 1 is valid; row 2 gets `changes`; the quarantine must name exactly `rule` on `column`, line 3.
pub fn expect_rule(changes: &[(&str, &str)], column: &str, rule: &str) {
    let rows = vec![
        row_with(&[]),
        row_with(&[&[("record_id", "R2")], changes].concat()),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!(
        (report.totals.accepted, report.totals.quarantined),
        (1, 1),
        "{changes:?}"
    );
    let found = rules_of(out.path());
    assert!(
        found.contains(&(3, column.to_string(), rule.to_string())),
        "expected {rule} on {column} at line 3, got {found:?}"
    );
    assert_eq!(report.orgs["SAMPLE01"].by_rule.get(rule), Some(&1));
    let text = report.to_text();
    assert!(
        text.contains(&format!("a.csv, line 3, column {column}:")) && text.contains(rule),
        "{text}"
    );
}

/// Row 1 is valid; row 2's record_id is `id`, which must be refused for `rule` alone.
pub fn expect_id_refused(id: &str, rule: &str) {
    let rows = vec![row_with(&[]), row_with(&[("record_id", id)])];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!(
        (report.totals.accepted, report.totals.quarantined),
        (1, 1),
        "{id}"
    );
    assert_eq!(
        rules_of(out.path()),
        vec![(3, "record_id".to_string(), rule.to_string())],
        "{id}"
    );
}

/// A row of the contract's header with only `cols` filled in.
pub fn only(cols: &[(&str, &str)]) -> Vec<String> {
    header()
        .iter()
        .map(|c| {
            cols.iter()
                .find(|(k, _)| k == c)
                .map_or(String::new(), |(_, v)| v.to_string())
        })
        .collect()
}

pub fn workbook(path: &std::path::Path, sheets: &[(&str, Vec<Vec<String>>)]) {
    workbook_at(path, sheets, 0);
}

/// The contract's header in its Swedish labels, as a member who renamed the columns writes it.
pub fn swedish_header() -> Vec<String> {
    let s = schema();
    header()
        .iter()
        .map(|h| s.columns[s.column_index(h).expect("column")].sv.clone())
        .collect()
}

/// A one-sheet workbook of the valid row's columns, with `typed` writing some cells itself.
pub fn typed_workbook(
    path: &std::path::Path,
    rows: &[Vec<String>],
    typed: impl Fn(&mut rust_xlsxwriter::Worksheet, u32, u16, &str) -> Option<()>,
) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in header().iter().enumerate() {
        ws.write_string(0, c as u16, h).expect("header");
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, (name, v)) in header().iter().zip(row).enumerate() {
            let c = c as u16;
            if typed(ws, r, c, name).is_none() {
                ws.write_string(r, c, v).expect("cell");
            }
        }
    }
    wb.save(path).expect("save");
}
