//! Workbook sheets: a named sheet, every sheet of records read and one with a bad header failing
//! alone, hidden rows, and merged cells in the header and across columns.

use crate::support::*;

#[test]
fn xlsx_with_data_on_a_named_sheet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut data = vec![header()];
    data.push(row_with(&[]));
    data.push(row_with(&[("record_id", "R2"), ("gender", "kvinnna")]));
    let intro = vec![
        vec!["Instruktioner".to_string()],
        vec!["Fyll i fliken Kontakter".to_string()],
    ];
    workbook(
        &dir.path().join("org.xlsx"),
        &[("Instruktioner", intro), ("Kontakter", data)],
    );
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 1);
    assert!(
        report.files[0]
            .format
            .as_deref()
            .unwrap_or("")
            .contains("Kontakter")
    );
    assert_eq!(
        rules_of(out.path())[0],
        (3, "gender".into(), "unknown_code".into())
    );

    let (report, _o) = ingest(
        dir.path(),
        &IngestOptions {
            sheet: SheetChoice {
                name: Some("Saknas".into()),
            },
            ..Default::default()
        },
    );
    let e = report.files[0].error.clone().unwrap_or_default();
    assert!(e.contains("Saknas") && e.contains("Kontakter"), "{e}");
    // Named as Excel finds a sheet, without regard to case.
    let (report, _o) = ingest(
        dir.path(),
        &IngestOptions {
            sheet: SheetChoice {
                name: Some("kontakter".into()),
            },
            ..Default::default()
        },
    );
    assert_eq!(report.files[0].error, None);
    assert_counts(&report, 1, 1);
    // The sheets --sheet left unread are named: the flag applies to every workbook of the
    // folder, and another's sheets of records went unseen (an outside review).
    assert!(
        report.files[0]
            .notes
            .iter()
            .any(|n| n.contains("\"Instruktioner\" not read: --sheet asked for this sheet only")),
        "{:?}",
        report.files[0].notes
    );
}

#[test]
fn every_sheet_of_records_is_read_and_one_with_a_bad_header_fails_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let misspelt: Vec<String> = header()
        .into_iter()
        .map(|h| {
            if h == "contact_kind" {
                "contact_type".into()
            } else {
                h
            }
        })
        .collect();
    let text = |rows: &[&[&str]]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    workbook(
        &dir.path().join("org.xlsx"),
        &[
            (
                "Instruktioner",
                text(&[&["Fyll i en rad per person"], &["Koder: se fliken Koder"]]),
            ),
            ("Q1", vec![header(), row_with(&[])]),
            ("Q2", vec![misspelt, row_with(&[("record_id", "R2")])]),
            ("Q3", vec![swedish_header(), row_with(&[("record_id", "R3")])]),
            (
                "Koder",
                text(&[&["org_id", "contact_kind"], &["SAMPLE01", "direct"]]),
            ),
        ],
    );
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 0);
    assert_eq!(report.totals.failed_files, 1, "{}", report.to_text());
    let e = file_error(&report, "org.xlsx [Q2]");
    assert!(
        e.contains("org.xlsx, sheet \"Q2\"") && e.contains("missing") && e.contains("contact_kind"),
        "{e}"
    );
    let notes = &report
        .files
        .iter()
        .find(|f| f.file == "org.xlsx [Q1]")
        .expect("Q1")
        .notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("sheet(s) \"Instruktioner\", \"Koder\" not read")),
        "{notes:?}"
    );
    // The console names the sheets read, so that one read by mistake is seen there.
    let summary = report.summary();
    assert!(
        summary.contains("(2 tables: workbook sheets read one by one, org.xlsx: Q1, Q3)"),
        "{summary}"
    );
}

#[test]
fn a_header_error_on_one_sheet_fails_that_sheet_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut twice = header();
    twice.push("gender".into());
    let mut row = row_with(&[("record_id", "R2")]);
    row.push("woman".into());
    workbook(
        &dir.path().join("org.xlsx"),
        &[("Q1", vec![header(), row_with(&[])]), ("Q2", vec![twice, row])],
    );
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 0);
    let e = file_error(&report, "org.xlsx [Q2]");
    assert!(
        e.contains("org.xlsx, sheet \"Q2\": column gender appears twice"),
        "{e}"
    );
}

#[test]
fn rows_hidden_in_excel_are_read_and_named() {
    // Staff hide a row to leave a case out; it is still a record. It is read, and the file's
    // report names it (it was read without a word).
    let dir = tempfile::tempdir().expect("tempdir");
    let rows: Vec<Vec<String>> = (1..=4)
        .map(|i| row_with(&[("record_id", &format!("R{i}"))]))
        .collect();
    typed_workbook(&dir.path().join("hidden.xlsx"), &rows, |ws, r, c, _| {
        if c == 0 && (r == 2 || r == 4) {
            ws.set_row_hidden(r).expect("hide");
        }
        None
    });
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 4, 0);
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("2 row(s) are hidden in Excel") && n.contains("(line 3, 5)")),
        "{notes:?}"
    );
}

#[test]
fn a_header_cell_merged_over_two_columns_is_named_as_a_merge() {
    // "namn" merged over the given and family name's header cells: the file fails on the
    // unknown name, and the message says the second column lost its header to the merge (it
    // named only "namn").
    let dir = tempfile::tempdir().expect("tempdir");
    let head = header();
    let given = head.iter().position(|h| h == "given_name").expect("given_name") as u16;
    assert_eq!(head[given as usize + 1], "family_name");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in head.iter().enumerate() {
        let c = c as u16;
        if c != given && c != given + 1 {
            ws.write_string(0, c, h).expect("header");
        }
    }
    ws.merge_range(0, given, 0, given + 1, "namn", &rust_xlsxwriter::Format::new())
        .expect("merge");
    for (c, v) in row_with(&[]).iter().enumerate() {
        ws.write_string(1, c as u16, v).expect("cell");
    }
    wb.save(dir.path().join("merged.xlsx")).expect("save");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    let e = report.files[0].error.clone().unwrap_or_default();
    assert!(e.contains("namn"), "{e}");
    let letter = |c: u16| char::from(b'A' + c as u8);
    let merge = format!(
        "header cell(s) {}1:{}1 are merged",
        letter(given),
        letter(given + 1)
    );
    assert!(e.contains(&merge), "{e}");
}

#[test]
fn a_merge_across_columns_is_not_copied_into_the_next_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    write_sheet(
        ws,
        &[header(), row_with(&[("given_name", ""), ("family_name", "")])],
    );
    let s = schema();
    let given = s.column_index("given_name").expect("given_name") as u16;
    ws.merge_range(
        1,
        given,
        1,
        given + 1,
        "Anna Svensson",
        &rust_xlsxwriter::Format::new(),
    )
    .expect("merge");
    wb.save(dir.path().join("merged.xlsx")).expect("save");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "given_name"), vec![Some("Anna Svensson".into())]);
    assert_eq!(strings(&df, "family_name"), vec![None]);
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("G2:H2") && n.contains("first column only")),
        "{notes:?}"
    );
}

#[test]
fn a_header_cell_merged_over_columns_and_named_to_leave_out_leaves_out_all_its_columns() {
    // `Tolk` merged over the two columns after the contract's, with a value in each: the
    // second column has no header of its own, and a value there quarantines its row unless
    // the merge named to leave out takes it along.
    let dir = tempfile::tempdir().expect("tempdir");
    let head = header();
    let at = head.len() as u16;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let rows = [row_with(&[]), row_with(&[("record_id", "R2")])];
    write_sheet(ws, &[head.clone(), rows[0].clone(), rows[1].clone()]);
    ws.merge_range(0, at, 0, at + 1, "Tolk", &rust_xlsxwriter::Format::new())
        .expect("merge");
    for r in 1..=2u32 {
        ws.write_string(r, at, "ja").expect("cell");
        ws.write_string(r, at + 1, "arabiska").expect("cell");
    }
    wb.save(dir.path().join("merged.xlsx")).expect("save");
    let asked = IngestOptions {
        ignore_columns: vec!["tolk".into()],
        ..IngestOptions::default()
    };
    let (report, _out) = ingest(dir.path(), &asked);
    assert_counts(&report, 2, 0);
    let notes = &report.files[0].notes;
    let merge = format!("{}1:{}1", excel_column(at), excel_column(at + 1));
    assert!(
        notes.iter().any(|n| n.contains("left out as asked")
            && n.contains(&format!("Tolk (merged over {merge}: all its columns)"))),
        "{notes:?}"
    );
    assert!(
        !notes.iter().any(|n| n.contains("merged across columns")),
        "the merge left out is not said to quarantine rows: {notes:?}"
    );
    // Not named, the second column's values quarantine their rows, as the note says.
    let all = IngestOptions {
        ignore_extra_columns: true,
        ..IngestOptions::default()
    };
    let (report, _out) = ingest(dir.path(), &all);
    assert_counts(&report, 0, 2);
    assert!(
        report.files[0]
            .notes
            .iter()
            .any(|n| n.contains(&merge) && n.contains("merged across columns")),
        "{:?}",
        report.files[0].notes
    );
    // With another unknown column the file is refused for that one, and the merge named to
    // leave out is not one to unmerge.
    ws_with_unknown(dir.path(), at);
    let (report, _out) = ingest(dir.path(), &asked);
    let e = report.files[0].error.clone().unwrap_or_default();
    assert!(e.contains("Anmält") && !e.contains("unmerge"), "{e}");
}

/// Excel's name of a column (0 is A, 26 is AA).
fn excel_column(c: u16) -> String {
    let mut n = u32::from(c) + 1;
    let mut s = String::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.insert(0, char::from(b'A' + r as u8));
        n = (n - 1) / 26;
    }
    s
}

/// merged.xlsx again, with `Tolk` merged over columns `at` and `at + 1` and an unknown
/// `Anmält` column after it.
fn ws_with_unknown(dir: &std::path::Path, at: u16) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    write_sheet(ws, &[header(), row_with(&[])]);
    ws.merge_range(0, at, 0, at + 1, "Tolk", &rust_xlsxwriter::Format::new())
        .expect("merge");
    ws.write_string(0, at + 2, "Anmält").expect("header");
    for c in at..at + 3 {
        ws.write_string(1, c, "ja").expect("cell");
    }
    wb.save(dir.join("merged.xlsx")).expect("save");
}

/// A workbook with a tab per client, named with her personal number or birth date: the report
/// calls such a sheet by its place, never by its name (0.31 printed it in every message of the
/// sheet; an outside review).
#[test]
fn a_sheet_named_with_a_personal_number_or_date_is_not_named_in_the_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = |id: &str| {
        vec![
            header(),
            row_with(&[("record_id", id)]),
            row_with(&[("record_id", &format!("{id}b")), ("gender", "kvinnna")]),
        ]
    };
    workbook(
        &dir.path().join("org.xlsx"),
        &[
            ("Fatima Okafor 900305-1233", rows("R1")),
            ("Olga 19880101", rows("R2")),
            ("Q3", rows("R3")),
        ],
    );
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 3, 3);
    let text = report.to_text();
    let json = serde_json::to_string(&report).expect("json");
    let quarantine: Vec<Vec<u8>> = std::fs::read_dir(out.path().join("quarantine"))
        .expect("a quarantine")
        .map(|e| std::fs::read(e.expect("entry").path()).expect("read"))
        .collect();
    assert!(!quarantine.is_empty());
    for private in ["900305", "Okafor", "19880101"] {
        assert!(
            !text.contains(private) && !json.contains(private),
            "{private}: {text}"
        );
        for q in &quarantine {
            assert!(
                !q.windows(private.len()).any(|w| w == private.as_bytes()),
                "{private} in the quarantine"
            );
        }
    }
    assert!(
        text.contains("sheet 1 (its name not shown") && text.contains("Q3"),
        "{text}"
    );
}
