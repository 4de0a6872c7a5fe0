//! Cells as Excel stores them: typed dates and numbers, dates shown without a day, ids Excel
//! turned into dates or numbers, and leading zeros shown or lost.

use crate::support::*;

#[test]
fn xlsx_with_typed_cells_dates_and_numbers() {
    // Excel users type years and personal numbers as numbers and birth dates as date cells.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in header().iter().enumerate() {
        ws.write_string(0, c as u16, h).expect("header");
    }
    for (c, (name, v)) in valid_row().into_iter().enumerate() {
        let c = c as u16;
        match name {
            "report_year" => ws.write_number(1, c, 2024.0).map(|_| ()),
            "personal_number" => ws.write_number(1, c, 198112189876.0).map(|_| ()),
            "birth_date" => {
                let d = rust_xlsxwriter::ExcelDateTime::from_ymd(1981, 12, 18).expect("date");
                ws.write_datetime_with_format(1, c, &d, &date_format).map(|_| ())
            }
            _ => ws.write_string(1, c, &v).map(|_| ()),
        }
        .expect("cell");
    }
    wb.save(dir.path().join("typed.xlsx")).expect("save");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "birth_date"), vec![Some("1981-12-18".into())]);
    assert_eq!(strings(&df, "personal_number"), vec![Some("198112189876".into())]);
    assert_eq!(strings(&df, "report_year"), vec![Some("2024".into())]);
}

#[test]
fn excel_dates_formatted_without_a_day_are_read_as_the_partial_dates_shown() {
    // Excel stores "1981" or "dec 1981" typed into a date cell as the 1st of the month.
    let dir = tempfile::tempdir().expect("tempdir");
    let rows: Vec<Vec<String>> = (1..=4)
        .map(|i| row_with(&[("record_id", &format!("R{i}"))]))
        .collect();
    let formats = ["yyyy", "mmm-yy", "[$-41D]mmmm yyyy;@", "yyyy-mm-dd"];
    typed_workbook(&dir.path().join("dates.xlsx"), &rows, |ws, r, c, name| {
        if name != "birth_date" {
            return None;
        }
        let (m, d) = if r == 1 {
            (1, 1)
        } else {
            (12, if r == 4 { 18 } else { 1 })
        };
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(1981, m, d).ok()?;
        let format = rust_xlsxwriter::Format::new().set_num_format(formats[r as usize - 1]);
        ws.write_datetime_with_format(r, c, &date, &format)
            .ok()
            .map(|_| ())
    });
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 4, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(
        strings(&df, "birth_date"),
        ["1981", "1981-12", "1981-12", "1981-12-18"].map(|d| Some(d.to_string()))
    );
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("cell I2 and 2 more") && n.contains("shows no day")),
        "{notes:?}"
    );
}

/// An id Excel turned into a date (1-3 typed into a cell not formatted as text becomes
/// 1 March) is read as the date Excel holds, and the file's report says so; an id that is
/// text is not named.
#[test]
fn record_ids_that_excel_turned_into_dates_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows: Vec<Vec<String>> = (1..=3)
        .map(|i| row_with(&[("record_id", &format!("R{i}"))]))
        .collect();
    typed_workbook(&dir.path().join("ids.xlsx"), &rows, |ws, r, c, name| {
        if name != "record_id" || r == 3 {
            return None;
        }
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 3, r as u8).ok()?;
        let format = rust_xlsxwriter::Format::new().set_num_format("d-mmm");
        ws.write_datetime_with_format(r, c, &date, &format)
            .ok()
            .map(|_| ())
    });
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 3, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    let mut ids = strings(&df, "record_id");
    ids.sort();
    assert_eq!(
        ids,
        ["2024-03-01", "2024-03-02", "R3"].map(|d| Some(d.to_string()))
    );
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("record_id is a date on 2 row(s) (the first on line 2)")),
        "{notes:?}"
    );
}

#[test]
fn numbers_whose_format_shows_leading_zeros_are_read_as_excel_shows_them() {
    // A personal number typed as a number into a cell formatted 000000-0000 shows as
    // 000517-1236 (born 17 May 2000); a record id formatted 00000 shows as 00042. A number
    // format with decimals is still read as the number.
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = vec![
        row_with(&[("birth_date", "")]),
        row_with(&[("birth_date", ""), ("personal_number", "")]),
    ];
    typed_workbook(&dir.path().join("numbers.xlsx"), &rows, |ws, r, c, name| {
        let (value, code) = match (name, r) {
            ("personal_number", 1) => (5_171_236.0, "000000-0000"),
            ("record_id", 1) => (42.0, "00000"),
            ("record_id", 2) => (43.0, "0.00"),
            _ => return None,
        };
        let format = rust_xlsxwriter::Format::new().set_num_format(code);
        ws.write_number_with_format(r, c, value, &format).ok().map(|_| ())
    });
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(
        strings(&df, "record_id"),
        [Some("00042".to_string()), Some("43".to_string())]
    );
    assert_eq!(
        strings(&df, "personal_number")[0].as_deref(),
        Some("200005171236")
    );
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("cell B2 and 1 more") && n.contains("read as Excel shows it")),
        "{notes:?}"
    );
    // The id shown with its zeros lost none; the one with decimals is named.
    assert!(
        notes
            .iter()
            .any(|n| n.contains("record_id is stored as a number")
                && n.contains("1 row(s) (the first on line 3)")),
        "{notes:?}"
    );
}

#[test]
fn numbers_that_lost_their_leading_zeros_in_excel_are_named_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = vec![row_with(&[("personal_number", ""), ("birth_date", "")])];
    typed_workbook(&dir.path().join("numbers.xlsx"), &rows, |ws, r, c, name| {
        let value = match name {
            // 000517-1236 typed into a cell not formatted as text.
            "personal_number" => 5_171_236.0,
            "record_id" => 42.0,
            _ => return None,
        };
        ws.write_number(r, c, value).ok().map(|_| ())
    });
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 0, 1);
    assert_eq!(
        rules_of(out.path()),
        vec![(2, "personal_number".into(), "pnr_format".into())]
    );
    let examples = &report.orgs["SAMPLE01"].examples;
    assert!(
        examples
            .iter()
            .any(|e| e.contains("stored as a number in Excel, so leading zeros were lost")),
        "{examples:?}"
    );
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("record_id is stored as a number") && n.contains("00042")),
        "{notes:?}"
    );
}

#[test]
fn ids_of_sixteen_digits_or_more_typed_as_numbers_are_named_as_what_excel_cut() {
    // Excel keeps 15 significant digits: two case numbers that differ in the 19th digit are
    // one number in the workbook. Each copy is quarantined, and the message says why (it said
    // only "occurs 2 times"); the file's note counts every long number id, the unique one too.
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = vec![
        row_with(&[("given_name", "Anna")]),
        row_with(&[("given_name", "Berit")]),
        row_with(&[("given_name", "Cecilia")]),
    ];
    typed_workbook(&dir.path().join("numbers.xlsx"), &rows, |ws, r, c, name| {
        let value = match (name, r) {
            ("record_id", 1) => 1_234_567_890_123_456_789.0,
            ("record_id", 2) => 1_234_567_890_123_456_788.0,
            ("record_id", 3) => 9_876_543_210_987_654.0,
            _ => return None,
        };
        ws.write_number(r, c, value).ok().map(|_| ())
    });
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 2);
    assert_eq!(
        rules_of(out.path()),
        vec![
            (2, "record_id".into(), "duplicate_record_id".into()),
            (3, "record_id".into(), "duplicate_record_id".into())
        ]
    );
    let examples = &report.orgs["SAMPLE01"].examples;
    assert!(
        examples
            .iter()
            .any(|e| e.contains("occurs 2 times") && e.contains("keeps only the first 15")),
        "{examples:?}"
    );
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("16 digits or more on 3 row(s) (the first on line 2)")),
        "{notes:?}"
    );
}

#[test]
fn a_personal_number_typed_as_text_gets_no_excel_number_hint() {
    let (report, _out, _d) = one_file(
        "a.csv",
        csv_text(&header(), &[row_with(&[("personal_number", "5171236")])], b','),
    );
    assert_counts(&report, 0, 1);
    let examples = &report.orgs["SAMPLE01"].examples;
    assert!(
        examples.iter().all(|e| !e.contains("stored as a number")),
        "{examples:?}"
    );
}
