//! Files other organisations send, as an outside review made them: a stray cell at the end of
//! a sheet, Mac Excel's 1904 dates, hidden sheets, Excel error values, old Mac line endings,
//! columns without a header, personal numbers whose date is implausible, birth dates after
//! today, a year typed into a date cell, a visible backup copy of a sheet of records, and a work
//! folder kept inside the folder of submissions. Each is read as the person who made it sees it, or its
//! rows are quarantined saying why; nothing is dropped.

use std::path::{Path, PathBuf};

use safetally::ingest::IngestOptions;
use safetally_tests::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/xlsx")
        .join(name)
}

fn only(name: &str) -> tempfile::TempDir {
    folder_with(&fixture(name), "TALITA.xlsx")
}

/// A sheet whose last cell is XFD1048576: read as that one cell, which once cost the rectangle
/// up to it (a 549 GB allocation that killed the run for every organisation).
#[test]
fn a_stray_cell_at_the_end_of_a_sheet_is_one_quarantined_row_not_the_whole_sheet() {
    let dir = only("far-cell.xlsx");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 3, 1);
    let q = quarantine(out.path(), "TALITA");
    // Named by the sheet's column, where staff look for it, not by its place among the
    // columns read (the empty ones between are not read).
    assert!(
        q.iter().any(|(line, column, rule, value)| *line == 1_048_576
            && column == "XFD of the sheet (no header)"
            && rule == "value_without_header"
            && value == "x"),
        "{q:?}"
    );
}

/// Excel 365's newer error values (#CALC!, #SPILL!) stop the workbook's reader: the file
/// fails alone, with the sheet, the value and what to do.
#[test]
fn a_newer_excel_error_value_fails_its_workbook_saying_which_and_what_to_do() {
    let dir = folder_with(&fixture("calc-error.xlsx"), "TALITA.xlsx");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    let e = file_error(&report, "TALITA.xlsx");
    assert!(
        e.contains("sheet \"Sheet1\"") && e.contains("#CALC!") && e.contains("replace the formula"),
        "{e}"
    );
}

#[test]
fn dates_of_a_workbook_in_the_1904_date_system_are_read_as_excel_shows_them() {
    let dir = only("date1904.xlsx");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 3, 0);
    let df = read_parquet(&out.path().join("validated/TALITA.parquet"));
    assert_eq!(
        strings(&df, "birth_date"),
        ["1990-01-05", "2006-12-30", "2008-03-01"].map(|d| Some(d.to_string()))
    );
}

#[test]
fn excel_error_values_are_quarantined_in_workbooks_and_in_csv() {
    let dir = only("error-cells.xlsx");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    let q = quarantine(out.path(), "TALITA");
    let errors: Vec<(&str, &str)> = q
        .iter()
        .filter(|(_, _, rule, _)| rule == "excel_error")
        .map(|(_, col, _, v)| (col.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            ("record_id", "#REF!"),
            ("gender", "#N/A"),
            ("family_name", "#DIV/0!")
        ],
        "{}",
        report.to_text()
    );
    // Saved as CSV by Swedish Excel, the error is text in Swedish.
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = [
        row_with(&[("given_name", "#SAKNAS!")]),
        row_with(&[("record_id", "R2")]),
    ];
    write(dir.path(), "a.csv", csv_text(&header(), &rows, b';'));
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 1);
    assert_eq!(quarantine(out.path(), "SAMPLE01")[0].2, "excel_error");
}

#[test]
fn hidden_sheets_are_passed_over_and_named_unless_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, hidden) in [("Kontakter", false), ("Kopia", true)] {
        let ws = wb.add_worksheet();
        ws.set_name(name).expect("name");
        write_sheet(ws, &[header(), row_with(&[])]);
        ws.set_hidden(hidden);
    }
    wb.save(dir.path().join("org.xlsx")).expect("save");
    // Read both, the copy would make every record a duplicate.
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 0);
    let notes = &report.files[0].notes;
    assert!(
        notes.iter().any(|n| n.contains("hidden") && n.contains("Kopia")),
        "{notes:?}"
    );
    let opts = IngestOptions {
        sheet: safetally::ingest::SheetChoice {
            name: Some("Kopia".into()),
        },
        ..Default::default()
    };
    let (report, _out) = ingest(dir.path(), &opts);
    assert_counts(&report, 1, 0);
}

/// A hidden sheet of other records beside a visible one (the second half-year, hidden to tidy
/// the workbook) refuses the file naming it: read without it, the records were lost with only
/// a note in the report file (an outside review). An older copy, mostly the visible rows with
/// one edited, is still passed over.
#[test]
fn a_hidden_sheet_of_other_records_refuses_the_file_and_a_hidden_copy_does_not() {
    let rows = |ids: std::ops::Range<u32>| -> Vec<Vec<String>> {
        std::iter::once(header())
            .chain(ids.map(|i| row_with(&[("record_id", &format!("R{i}"))])))
            .collect()
    };
    for (hidden_rows, refused) in [(rows(6..9), true), (rows(1..5), false)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let shown = wb.add_worksheet();
        shown.set_name("Ärenden H1").expect("name");
        let mut visible = rows(1..6);
        // The copy's R1 was edited since: a copy, not other records.
        if !refused {
            visible[1] = row_with(&[("record_id", "R1"), ("gender", "man")]);
        }
        write_sheet(shown, &visible);
        let other = wb.add_worksheet();
        other.set_name("Ärenden H2").expect("name");
        write_sheet(other, &hidden_rows);
        other.set_hidden(true);
        wb.save(dir.path().join("org.xlsx")).expect("save");
        let (report, _out) = ingest(dir.path(), &IngestOptions::default());
        let e = file_error(&report, "org.xlsx");
        if refused {
            assert!(
                e.contains("hidden sheet(s) \"Ärenden H2\" (3 of its 3 rows on no visible sheet)")
                    && e.contains("Unhide"),
                "{}",
                report.to_text()
            );
        } else {
            assert_eq!(e, "", "{}", report.to_text());
            assert_counts(&report, 5, 0);
        }
    }
}

/// A hidden sheet of other records named with a client's personal number is refused calling
/// it by its place, not its name (as the visible sheets are since 0.32).
#[test]
fn a_hidden_sheet_named_with_a_personal_number_is_refused_by_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let shown = wb.add_worksheet();
    shown.set_name("Ärenden").expect("name");
    write_sheet(shown, &[header(), row_with(&[("record_id", "R1")])]);
    let other = wb.add_worksheet();
    other.set_name("Olga 19880101").expect("name");
    write_sheet(other, &[header(), row_with(&[("record_id", "R2")])]);
    other.set_hidden(true);
    wb.save(dir.path().join("org.xlsx")).expect("save");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    let e = file_error(&report, "org.xlsx");
    assert!(
        e.contains("hidden sheet(s) \"sheet 2 (its name not shown") && !e.contains("19880101"),
        "{e}"
    );
}

/// The records on a hidden sheet and a visible sheet of notes: the error points at the hidden
/// sheet, not at the notes' first row as a header missing its columns.
#[test]
fn records_only_on_a_hidden_sheet_are_named_with_how_to_read_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let info = wb.add_worksheet();
    info.set_name("Info").expect("name");
    write_sheet(
        info,
        &[
            vec!["Ärenden 2024".to_string()],
            vec!["Se fliken Data".to_string()],
        ],
    );
    let data = wb.add_worksheet();
    data.set_name("Data").expect("name");
    write_sheet(data, &[header(), row_with(&[])]);
    data.set_hidden(true);
    wb.save(dir.path().join("org.xlsx")).expect("save");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    let e = file_error(&report, "org.xlsx");
    assert!(
        e.contains("hidden") && e.contains("\"Data\"") && e.contains("--sheet"),
        "{}",
        report.to_text()
    );
}

#[test]
fn old_mac_line_endings_give_each_row_its_own_line() {
    let rows = [
        row_with(&[]),
        row_with(&[("record_id", "R2"), ("gender", "bogus")]),
    ];
    let text = csv_text(&header(), &rows, b',').replace('\n', "\r");
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "mac.csv", text);
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 1);
    assert_eq!(
        quarantine(out.path(), "SAMPLE01")[0].0,
        3,
        "the bad row is line 3"
    );
}

#[test]
fn columns_without_a_header_are_passed_over_when_empty_and_their_values_quarantined() {
    let mut h = header();
    h.extend([String::new(), String::new()]);
    let pad = |mut r: Vec<String>, a: &str| {
        r.extend([a.to_string(), String::new()]);
        r
    };
    let rows = [
        pad(row_with(&[]), ""),
        pad(row_with(&[("record_id", "R2")]), "a note"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&h, &rows, b','));
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 1);
    let q = quarantine(out.path(), "SAMPLE01");
    assert_eq!(
        (q[0].2.as_str(), q[0].3.as_str()),
        ("value_without_header", "a note")
    );
}

#[test]
fn a_personal_numbers_date_is_checked_as_a_birth_date_is() {
    let no_birth = |rid: &str, pnr: &str, age: &str| {
        row_with(&[
            ("record_id", rid),
            ("personal_number", pnr),
            ("birth_date", ""),
            ("age_group", age),
        ])
    };
    let rows = [
        no_birth("F1", "20300105-1238", "adult"),
        no_birth("F2", "18500105-1233", ""),
        no_birth("F3", "20100105-1232", "adult"),
        no_birth("F4", "19900105-1235", "adult"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &rows, b','));
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 3);
    let rules: Vec<(i64, String)> = quarantine(out.path(), "SAMPLE01")
        .into_iter()
        .map(|(line, _, rule, _)| (line, rule))
        .collect();
    for expected in [
        (2, "pnr_date_range"),
        (3, "pnr_date_range"),
        (4, "age_group_birth_date"),
    ] {
        assert!(rules.contains(&(expected.0, expected.1.to_string())), "{rules:?}");
    }
}

#[test]
fn an_indirect_row_pointing_at_a_quarantined_row_counts_and_is_named() {
    let rows = [
        row_with(&[("record_id", "D1"), ("birth_date", "1990-02-30")]),
        row_with(&[
            ("record_id", "I1"),
            ("contact_kind", "indirect"),
            ("related_record_id", "D1"),
            ("exploitation_forms", ""),
        ]),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &rows, b','));
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 1);
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("line(s) 3") && n.contains("quarantined")),
        "{notes:?}"
    );
}

#[test]
fn a_work_folder_inside_the_folder_of_submissions_is_not_read_as_submissions() {
    use safetally::progress::Progress;
    use safetally::run::ingest_stage;
    use safetally::stage::Workdir;
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &[row_with(&[])], b','));
    let work = Workdir::new(dir.path().join("work")).expect("workdir");
    let s = schema();
    let opts = IngestOptions {
        ignore_extra_columns: true,
        ..Default::default()
    };
    for force in [false, true] {
        let run = ingest_stage(&s, &work, dir.path(), &opts, &Progress::hidden(), force).expect("ingest");
        assert_eq!(
            (run.result.totals.accepted, run.result.totals.quarantined),
            (1, 0),
            "{}",
            run.result.to_text()
        );
        assert_eq!(run.result.files.len(), 1, "{}", run.result.to_text());
    }
}

#[test]
fn the_same_file_sent_under_two_names_is_named_in_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = csv_text(&header(), &[row_with(&[])], b',');
    write(dir.path(), "org.csv", &text);
    write(dir.path(), "org (1).csv", &text);
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    // The record counts once; the copy's row is listed as a repeat.
    assert_counts(&report, 1, 1);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("org (1).csv and org.csv")
                && w.contains("same content")
                && w.contains("count once, from org (1).csv")
                && !w.contains("Every record")),
        "{:?}",
        report.warnings
    );
}

/// A year typed into a cell formatted as a date: Excel stores 1990 as day 1990 and shows
/// 1905-06-12. It is read as the year that was typed, and the report says where.
#[test]
fn a_year_typed_into_a_date_cell_is_read_as_that_year_and_noted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let row = |id| row_with(&[("record_id", id), ("birth_date", ""), ("personal_number", "")]);
    let rows = [header(), row("R1"), row("R2")];
    write_sheet(ws, &rows);
    let col = header()
        .iter()
        .position(|h| h == "birth_date")
        .expect("birth_date") as u16;
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    ws.write_number_with_format(1, col, 1990.0, &date).expect("year");
    // A real date beside it is read as the date it is.
    let real = rust_xlsxwriter::ExcelDateTime::from_ymd(1990, 4, 5).expect("date");
    ws.write_datetime_with_format(2, col, &real, &date).expect("date");
    wb.save(dir.path().join("org.xlsx")).expect("save");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 0);
    let validated = std::fs::read_dir(out.path().join("validated"))
        .expect("validated")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "parquet"))
        .expect("one validated file");
    assert_eq!(
        strings(&read_parquet(&validated), "birth_date"),
        [Some("1990".to_string()), Some("1990-04-05".to_string())]
    );
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("1905-06-12") && n.contains("year typed")),
        "{notes:?}"
    );
}

/// Today by the system clock, as ingest reads it: (year, month, day) of `days` from today.
fn day_from_today(days: i64) -> (i32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    safetally::dates::civil_from_days((secs / 86_400) as i64 + days)
}

/// In the current report year the year alone cannot tell a birth date in the future: the
/// date is checked against today, a personal number's as well.
#[test]
fn a_birth_date_or_personal_number_after_today_is_refused_in_this_report_year() {
    let (year, _, _) = day_from_today(0);
    let (y, m, d) = day_from_today(1);
    let tomorrow = format!("{y:04}-{m:02}-{d:02}");
    let nine = format!("{:02}{m:02}{d:02}123", y % 100);
    let check = safetally::pnr::luhn_digit(&nine).expect("nine digits");
    let pnr = format!("{}{nine}{check}", y / 100);
    let year = year.to_string();
    let text = format!(
        "org_id,record_id,report_year,contact_kind,birth_date,personal_number,age_group\n\
         TALITA,F1,{year},direct,{tomorrow},,child\n\
         TALITA,F2,{year},direct,,{pnr},child\n\
         TALITA,F3,{year},direct,{year},,child\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", text);
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 2);
    let q: Vec<(i64, String, String)> = quarantine(out.path(), "TALITA")
        .into_iter()
        .map(|(line, column, rule, _)| (line, column, rule))
        .collect();
    assert_eq!(
        q,
        [
            (2, "birth_date".to_string(), "bad_date".to_string()),
            (3, "personal_number".to_string(), "pnr_date_range".to_string()),
        ]
    );
    // On 31 December tomorrow is next year, which the report year's rule refuses first.
    if y.to_string() == year {
        let examples = report.orgs["TALITA"].examples.join("\n");
        assert!(examples.contains("after today"), "{examples}");
        assert!(
            !examples.contains(&tomorrow),
            "the birth date is not shown: {examples}"
        );
    }
}

/// A title above the header (the sheet's heading, a merged group label over some columns) is
/// skipped with a note; an outside review's title row failed the whole file.
#[test]
fn a_title_above_the_header_is_skipped_with_a_note() {
    let width = header().len();
    let line = |cells: &[(usize, &str)]| {
        let mut row = vec![String::new(); width];
        for (i, v) in cells {
            row[*i] = v.to_string();
        }
        row
    };
    for (titles, skipped) in [
        (
            vec![line(&[(0, "Kontakter 2024 - Föreningen Exempel")])],
            "row 1 above the header (row 2) skipped",
        ),
        (
            vec![
                line(&[(0, "Kontakter 2024"), (3, "intern")]),
                line(&[(0, "Obligatoriskt"), (1, "Obligatoriskt"), (2, "Obligatoriskt")]),
            ],
            "rows 1-2 above the header (row 3) skipped",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let mut rows = titles;
        rows.push(header());
        rows.push(row_with(&[]));
        rows.push(row_with(&[("record_id", "R2")]));
        write_sheet(ws, &rows);
        wb.save(dir.path().join("org.xlsx")).expect("save");
        let (report, _out) = ingest(dir.path(), &IngestOptions::default());
        assert_counts(&report, 2, 0);
        assert!(
            report.files[0].notes.iter().any(|n| n.contains(skipped)),
            "{:?}",
            report.files[0].notes
        );
    }
    // A first row of three different values is no title: the header must come first.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    write_sheet(
        ws,
        &[line(&[(0, "a"), (1, "b"), (2, "c")]), header(), row_with(&[])],
    );
    wb.save(dir.path().join("org.xlsx")).expect("save");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_eq!(report.totals.accepted, 0, "{}", report.to_text());
}

/// A visible backup copy of the sheet of records ("Kopia av 2024", made with Move or Copy)
/// would make every record on it a duplicate in both sheets: it is passed over and named.
/// A sheet with only some of another's rows is read as before.
#[test]
fn a_visible_copy_of_a_sheet_of_records_is_passed_over_and_named() {
    let rows = |ids: &[&str]| -> Vec<Vec<String>> {
        std::iter::once(header())
            .chain(ids.iter().map(|id| row_with(&[("record_id", id)])))
            .collect()
    };
    let book = |sheets: &[(&str, Vec<Vec<String>>)]| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut wb = rust_xlsxwriter::Workbook::new();
        for (name, rows) in sheets {
            let ws = wb.add_worksheet();
            ws.set_name(*name).expect("name");
            write_sheet(ws, rows);
        }
        wb.save(dir.path().join("org.xlsx")).expect("save");
        dir
    };
    let all = rows(&["R1", "R2", "R3", "R4", "R5"]);
    let backup = rows(&["R1", "R2", "R3"]);
    // Excel puts a copy before the sheet copied unless told otherwise: either order.
    for sheets in [
        [("2024", all.clone()), ("Kopia av 2024", backup.clone())],
        [("Kopia av 2024", backup.clone()), ("2024", all.clone())],
    ] {
        let dir = book(&sheets);
        let (report, _out) = ingest(dir.path(), &IngestOptions::default());
        assert_counts(&report, 5, 0);
        let notes = &report.files[0].notes;
        assert!(
            notes
                .iter()
                .any(|n| n.contains("\"Kopia av 2024\" (every row of it is on sheet \"2024\") not read")),
            "{notes:?}"
        );
    }
    // Two sheets of the same rows: the first is read.
    let dir = book(&[("2024", backup.clone()), ("2024 (2)", backup.clone())]);
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 3, 0);
    assert!(
        report.files[0]
            .notes
            .iter()
            .any(|n| n.contains("\"2024 (2)\" (every row")),
        "{}",
        report.to_text()
    );
    // One row of another sheet is not a copy: both sheets are read, R1 is sent twice, cell
    // for cell, and counts once.
    let dir = book(&[("Q1", rows(&["R1", "R2"])), ("Q2", rows(&["R1", "R3"]))]);
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 3, 1);
    assert_eq!(report.totals.tables, 2);
    assert!(!report.to_text().contains("older copy"), "{}", report.to_text());
    // A backup edited since it was copied (one answer changed on the year's sheet) is read,
    // and the note says why its records are quarantined on both sheets.
    let mut edited = all.clone();
    let gender = header().iter().position(|c| c == "gender").expect("gender");
    edited[2][gender] = "man".to_string();
    let dir = book(&[("2024", edited), ("Kopia av 2024", backup.clone())]);
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    // R2's answers differ (both copies quarantined); R1 and R3 count once.
    assert_counts(&report, 4, 4);
    assert!(
        report
            .to_text()
            .contains("\"Kopia av 2024\" (2 of its 3 rows are on sheet \"2024\" too) read"),
        "{}",
        report.to_text()
    );
}
