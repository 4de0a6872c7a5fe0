//! Workbooks: every sheet with the header read, merged cells and formulas as they were saved.

use super::*;

#[test]
fn every_sheet_with_the_contract_header_is_read_and_empty_columns_are_not_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let q1 = vec![header(), row_with(&[])];
    let q2 = vec![header(), row_with(&[("record_id", "R2")])];
    let intro = vec![vec!["Fyll i en flik per kvartal".to_string()]];
    // The tables start in column B, as a hand-made workbook often does.
    workbook(
        &dir.path().join("org.xlsx"),
        &[("Info", intro), ("Q1", q1), ("Q2", q2)],
        1,
    );
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 0);
    let files: Vec<&str> = report.files.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(files, ["org.xlsx [Q1]", "org.xlsx [Q2]"]);
    // One file, two tables: the summary counts files as the user sees them.
    assert_eq!((report.totals.files, report.totals.tables), (1, 2));
    assert!(
        report.summary().starts_with("Ingest read 1 file(s) (2 tables"),
        "{}",
        report.summary()
    );
    let sources: Vec<&str> = report.files.iter().map(|f| f.source()).collect();
    assert_eq!(sources, ["org.xlsx", "org.xlsx"]);
}

#[test]
fn merged_cells_fill_the_rows_they_span_and_unsaved_formulas_refuse_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = header()
        .iter()
        .position(|h| h == "gender")
        .expect("gender column") as u16;
    let rows: Vec<Vec<String>> = std::iter::once(header())
        .chain(["R1", "R2", "R3"].map(|id| row_with(&[("record_id", id), ("gender", "")])))
        .collect();
    // One "man" merged down the gender column of the three rows.
    workbook_with(&dir.path().join("merged.xlsx"), &rows, |ws| {
        ws.merge_range(1, g, 3, g, "man", &rust_xlsxwriter::Format::new())
            .expect("merge");
    });
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 3, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "gender"), vec![Some("man".to_string()); 3]);
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("merged cells") && n.contains("2:")),
        "{notes:?}"
    );

    // A formula written by a program that does not calculate: no result saved in the file.
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = [header(), row_with(&[("record_id", "R1"), ("gender", "")])];
    workbook_with(&dir.path().join("formula.xlsx"), &rows, |ws| {
        ws.set_formula_result_default("");
        ws.write_formula(1, g, rust_xlsxwriter::Formula::new("=\"man\""))
            .expect("formula");
    });
    without_formula_results(&dir.path().join("formula.xlsx"));
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 0, 0);
    let e = file_error(&report, "formula.xlsx");
    let cell = format!("{}2", char::from(b'A' + g as u8));
    assert!(
        e.contains(&format!("cell {cell}")) && e.contains("formula"),
        "{e}"
    );
}

/// A formula whose saved result is the empty text, as Excel saves `=IF(I2="";"";...)` for a
/// row without the value, is a blank answer: the workbook is read (it was refused whole).
#[test]
fn a_formula_whose_saved_result_is_empty_text_is_a_blank_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_formula_result_default("");
    let mut rows = vec![header()];
    rows.extend((1..=3).map(|i| row_with(&[("record_id", &format!("R{i}"))])));
    write_sheet(ws, &rows);
    // An optional answer filled by a formula whose result is "" (written as Excel does).
    let col = header().iter().position(|h| h == "gender").expect("column") as u16;
    for r in 1..=3 {
        ws.write_formula(r, col, rust_xlsxwriter::Formula::new("=IF(1=1,\"\",\"yes\")"))
            .expect("formula");
    }
    wb.save(dir.path().join("org.xlsx")).expect("save");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 3, 0);
    assert_eq!(report.totals.failed_files, 0);
    let gender = strings(
        &read_parquet(&out.path().join("validated/SAMPLE01.parquet")),
        "gender",
    );
    assert!(
        gender.iter().all(|p| p.as_deref().is_none_or(str::is_empty)),
        "{gender:?}"
    );
}

/// Formulas without saved results refuse the sheet of records they are on, not the workbook:
/// an instructions sheet with one is passed over, and the other sheets of records are read.
#[test]
fn an_unsaved_formula_fails_its_own_sheet_of_records_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheets = [
        (
            "Instruktioner",
            vec![vec!["Fyll i en flik per kvartal".to_string()]],
        ),
        ("Q1", vec![header(), row_with(&[("record_id", "R1")])]),
        ("Q2", vec![header(), row_with(&[("record_id", "R2")])]),
    ];
    for (name, rows) in &sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).expect("name");
        ws.set_formula_result_default("");
        write_sheet(ws, rows);
        if *name != "Q1" {
            ws.write_formula(3, 0, rust_xlsxwriter::Formula::new("=\"x\""))
                .expect("formula");
        }
    }
    wb.save(dir.path().join("org.xlsx")).expect("save");
    without_formula_results(&dir.path().join("org.xlsx"));
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 0);
    let ids = strings(
        &read_parquet(&out.path().join("validated/SAMPLE01.parquet")),
        "record_id",
    );
    assert_eq!(ids, [Some("R1".to_string())]);
    let failed: Vec<(&str, &str)> = report
        .files
        .iter()
        .filter_map(|f| Some((f.file.as_str(), f.error.as_deref()?)))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let t = &report.totals;
    assert_eq!((t.files, t.tables, t.failed_files, t.failed_tables), (1, 2, 1, 1));
    assert!(
        failed[0].0 == "org.xlsx [Q2]"
            && failed[0].1.contains("sheet \"Q2\", cell A4")
            && failed[0].1.contains("formula"),
        "{failed:?}"
    );
}
