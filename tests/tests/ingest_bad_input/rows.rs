//! Rows of the wrong shape or that are no record: too many or too few fields, cells slid right,
//! line breaks inside cells, summary, example and template rows.

use crate::support::*;

/// A row split by a bare carriage return inside a cell is quarantined for its shape, and no
/// cell of it is listed as its record id: its cells are out of place, and an outside review
/// found a family name listed so in the problems workbook.
#[test]
fn a_misshapen_rows_cells_are_not_listed_as_its_record_id() {
    let rows = vec![row_with(&[("record_id", "R1"), ("given_name", "Chinyere")])];
    let text = csv_text(&header(), &rows, b',').replace("Chinyere", "Chin\ryere");
    let (report, out, _d) = one_file("a.csv", text);
    assert_eq!(report.totals.accepted, 0, "{}", report.to_text());
    assert!(report.totals.quarantined >= 2, "{}", report.to_text());
    let df = read_parquet(&out.path().join("quarantine").join("SAMPLE01.parquet"));
    let (rules, ids) = (strings(&df, "rule"), strings(&df, "record_id"));
    assert!(
        rules.iter().all(|r| r.as_deref() == Some("bad_row_shape")),
        "{rules:?}"
    );
    assert!(ids.iter().all(Option::is_none), "{ids:?}");
}

/// An example row left in the template (`EXEMPEL-1`, "Anna Exempel") is no person met.
#[test]
fn an_example_or_test_row_is_refused() {
    for id in ["EXEMPEL-1", "Exempel 2", "test3", "TEST-4"] {
        expect_id_refused(id, "example_row");
    }
    // An id that merely holds the letters is an id.
    let rows = vec![
        row_with(&[("record_id", "Testa-7")]),
        row_with(&[("record_id", "DEMOS1")]),
    ];
    let (report, _out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!(report.totals.accepted, 2, "{}", report.to_text());
}

/// A sheet's summary row (`Totalt` and its sums) is one problem that says what it is, not a
/// record with a missing id and refused answers in every column.
#[test]
fn a_summary_row_is_named_as_one() {
    let width = header().len();
    let summary = |first: &str| {
        let mut row = vec![String::new(); width];
        row[0] = first.to_string();
        row[width - 1] = "12".to_string();
        row
    };
    let rows = vec![
        row_with(&[]),
        summary("Totalt"),
        summary("Summa: 2024"),
        summary("Antal"),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!((report.totals.accepted, report.totals.quarantined), (1, 3));
    assert_eq!(
        rules_of(out.path()),
        vec![
            (3, "(row)".to_string(), "summary_row".to_string()),
            (4, "(row)".to_string(), "summary_row".to_string()),
            (5, "(row)".to_string(), "summary_row".to_string()),
        ]
    );
    let text = report.to_text();
    assert!(
        text.contains("the row is a summary (Totalt) under the records"),
        "{text}"
    );
}

/// In a file whose names come first, people named Sum or Antal are people, not summaries;
/// a totals row is still one, by its organisation's or id's cell, or first in a row with
/// neither. A name beside a record id in org_id is no template's mark to pass over, and the
/// report names no cell but the summary's word.
#[test]
fn a_name_that_starts_like_a_summary_is_a_person() {
    let mut head = header();
    let family = head.iter().position(|h| h == "family_name").expect("family_name");
    let col = head.remove(family);
    head.insert(0, col);
    let row = |changes: &[(&str, &str)]| -> Vec<String> {
        let mut r = row_with(changes);
        let c = r.remove(family);
        r.insert(0, c);
        r
    };
    let blank = |at: &[(usize, &str)]| -> Vec<String> {
        let mut r = vec![String::new(); head.len()];
        for (i, v) in at {
            r[*i] = v.to_string();
        }
        r
    };
    let (org, id) = (1, 2);
    assert_eq!((head[org].as_str(), head[id].as_str()), ("org_id", "record_id"));
    let rows = vec![
        row(&[("record_id", "R1"), ("family_name", "Sum Wing")]),
        row(&[("record_id", "R2"), ("family_name", "Antal")]),
        blank(&[(0, "Totalt"), (head.len() - 1, "2")]),
        blank(&[(org, "Summa:"), (id, "3")]),
        blank(&[(org, "SAMPLE01"), (id, "Totalt")]),
        blank(&[(org, "Kajsa Sumsson"), (id, "R9")]),
        // The organisation filled down beside a totals row whose word comes first.
        blank(&[(0, "Totalt"), (org, "SAMPLE01"), (head.len() - 1, "2")]),
        // A person without ids, whose name comes first: quarantined, not told to be deleted.
        row(&[("record_id", ""), ("org_id", ""), ("family_name", "Antal")]),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&head, &rows, b','));
    let text = report.to_text();
    assert_eq!(
        (report.totals.accepted, report.totals.quarantined),
        (2, 6),
        "{text}"
    );
    let rules: Vec<(i64, String)> = rules_of(out.path()).into_iter().map(|(l, _, r)| (l, r)).collect();
    for line in [4, 5, 6, 8] {
        assert!(rules.contains(&(line, "summary_row".to_string())), "{rules:?}");
    }
    assert!(rules.contains(&(7, "unknown_member".to_string())), "{rules:?}");
    assert!(rules.iter().any(|(l, _)| *l == 9), "{rules:?}");
    assert!(!rules.contains(&(9, "summary_row".to_string())), "{rules:?}");
    for name in ["Sum Wing", "Antal", "Kajsa", "Sumsson"] {
        assert!(!text.contains(name), "{name} in {text}");
    }
}

#[test]
fn ten_megabyte_field_is_quarantined_not_fatal() {
    let huge = "x".repeat(10 * 1024 * 1024);
    let rows = vec![
        row_with(&[]),
        row_with(&[("record_id", "R2"), ("given_name", &huge)]),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!((report.totals.accepted, report.totals.quarantined), (1, 1));
    let q = quarantine(out.path(), "SAMPLE01");
    assert_eq!(
        (q[0].1.as_str(), q[0].2.as_str()),
        ("given_name", "field_too_long")
    );
    assert!(
        q[0].3.len() < 1000,
        "the quarantine keeps only the start of the value"
    );
}

#[test]
fn too_many_fields_are_quarantined_and_missing_last_fields_read_as_empty() {
    let too_many = row_with(&[("record_id", "R2")]).join(",") + ",x,y\n";
    let text = csv_text(&header(), &[row_with(&[])], b',') + &too_many + "SAMPLE01,R9,2024\n";
    let (report, out, _d) = one_file("a.csv", text);
    assert_eq!((report.totals.accepted, report.totals.quarantined), (1, 2));
    let rules = rules_of(out.path());
    assert_eq!(rules[0], (3, "(row)".into(), "bad_row_shape".into()));
    // Three fields whose answers do not fit read with the rest empty: refused for its shape.
    assert_eq!(rules[1], (4, "(row)".into(), "bad_row_shape".into()));
    // A field lost in the middle: the answers after it slide left. Ending empty, the row is not
    // one Excel shortened (it ends with its last answer); ending with an answer that then sits
    // one column early, its answers do not fit. Both refused for their shape (an outside
    // review's such rows were accepted with police_report read as national_support_programme).
    let h = header();
    let nsp = h
        .iter()
        .position(|c| c == "national_support_programme")
        .expect("column");
    let mut ends_empty = row_with(&[("record_id", "R5"), ("legal_rights", "")]);
    ends_empty.remove(nsp);
    let mut ends_with_answer = row_with(&[("record_id", "R6")]);
    ends_with_answer.remove(nsp);
    let text = csv_text(&h, &[row_with(&[])], b',')
        + &ends_empty.join(",")
        + "\n"
        + &ends_with_answer.join(",")
        + "\n";
    let (report, out, _d) = one_file("a.csv", text);
    assert_counts(&report, 1, 2);
    assert_eq!(
        rules_of(out.path()),
        vec![
            (3, "(row)".into(), "bad_row_shape".into()),
            (4, "(row)".into(), "bad_row_shape".into())
        ]
    );
    assert!(
        report.to_text().contains("missing in the middle"),
        "{}",
        report.to_text()
    );
    // Ending with an answer that fits the next column too (national_support_programme's "no"
    // beside police_report's yes/no): where the answers belong cannot be told, so refused.
    let mut ends_ambiguous = row_with(&[
        ("record_id", "R7"),
        ("police_report", ""),
        ("reported_offences", ""),
        ("legal_status", ""),
        ("legal_rights", ""),
    ]);
    ends_ambiguous.truncate(nsp + 1);
    let text = csv_text(&h, &[row_with(&[])], b',') + &ends_ambiguous.join(",") + "\n";
    let (report, out, _d) = one_file("a.csv", text);
    assert_counts(&report, 1, 1);
    assert_eq!(rules_of(out.path())[0].2, "bad_row_shape");
    assert!(
        report.to_text().contains("fits the next column too"),
        "{}",
        report.to_text()
    );
    // Empty last cells whose separators were not written (Excel leaves them out of some
    // rows): the row is read, and the change counted. An outside review lost 112 of 122 rows.
    let h = header();
    let mut row = row_with(&[("record_id", "R3"), ("legal_rights", "")]);
    assert_eq!(row.pop().as_deref(), Some(""), "legal_rights is the last column");
    let text = csv_text(&h, &[row_with(&[])], b',') + &row.join(",") + "\n";
    let (report, _out, _d) = one_file("a.csv", text);
    assert_counts(&report, 2, 0);
    assert!(
        report.to_text().contains("(the last 1 missing, read as empty)"),
        "{}",
        report.to_text()
    );
}

/// A row is a template's only when its filled-down cells hold what a template fills in: a
/// personal number typed in org_id, a note in contact_kind, a person written into the year's
/// cell, or a record written with commas in a file of semicolons (one cell) was passed over as
/// a template row without a word, and `run` published without the person (an outside review).
#[test]
fn a_row_holding_more_than_a_template_fills_in_is_quarantined_not_passed_over() {
    let h = header();
    let rows = vec![
        row_with(&[]),
        // A template's rows: still passed over, also with Excel's ="..." or a dropdown's
        // prompt filled down.
        only(&[
            ("org_id", "SAMPLE01"),
            ("report_year", "2024"),
            ("contact_kind", "direkt"),
        ]),
        only(&[
            ("org_id", "=\"SAMPLE01\""),
            ("report_year", "2024"),
            ("contact_kind", "Välj…"),
        ]),
        only(&[("org_id", "19800101-1231")]),
        only(&[("org_id", "SAMPLE01"), ("report_year", "Eva Ek 19800101-1231")]),
        only(&[
            ("org_id", "SAMPLE01"),
            ("report_year", "2024"),
            ("contact_kind", "Eva Ek, mamma till A2, ej registrerad"),
        ]),
    ];
    let (report, _out, _d) = one_file("a.csv", csv_text(&h, &rows, b','));
    assert_counts(&report, 1, 3);
    // A record written with commas in a file of semicolons is one cell in org_id.
    let mut text = csv_text(&h, &[row_with(&[])], b';');
    let with_commas = csv_text(&h, &[row_with(&[("record_id", "A3")])], b',');
    text.push_str(with_commas.lines().nth(1).expect("row"));
    text.push('\n');
    let (report, _out, _d) = one_file("b.csv", text);
    assert_counts(&report, 1, 1);
}

/// Template rows below the records with only the organisation and year filled down: 200 of
/// them made 400 "required" problems and stopped `run` for persons that do not exist. Rows
/// numbered ahead of use in `record_id` (an outside review's 192 below 8 records) are template
/// rows too, noted apart, and their numbers are no one's ids; a row with an answer is a row.
#[test]
fn template_rows_with_only_the_filled_down_columns_are_passed_over() {
    let h = header();
    let mut rows = vec![row_with(&[])];
    for _ in 0..5 {
        rows.push(only(&[("org_id", "SAMPLE01"), ("report_year", "2024")]));
    }
    rows.push(only(&[
        ("org_id", "SAMPLE01"),
        ("report_year", "2024"),
        ("contact_kind", "direct"),
    ]));
    rows.push(only(&[("org_id", "SAMPLE01"), ("record_id", "R7")]));
    // A dropdown's prompt numbered ahead is a template's too (0.27.0 quarantined it while
    // keeping a name beside an id from being passed over).
    rows.push(only(&[
        ("org_id", "Välj…"),
        ("record_id", "R9"),
        ("report_year", "2024"),
    ]));
    rows.push(only(&[
        ("org_id", "SAMPLE01"),
        ("record_id", "R8"),
        ("given_name", "Anna"),
    ]));
    // The template's R1 is numbered like the record of the first row: no duplicate of it.
    rows.push(only(&[
        ("org_id", "SAMPLE01"),
        ("report_year", "2024"),
        ("record_id", "R1"),
    ]));
    let (report, out, _d) = one_file("a.csv", csv_text(&h, &rows, b','));
    assert_counts(&report, 1, 1);
    assert_eq!(
        rules_of(out.path())[0].0,
        11,
        "only the row with a name is a record"
    );
    let notes = &report.files[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("6 row(s) hold nothing but org_id") && n.contains("line 3")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("3 row(s) hold nothing but a record_id") && n.contains("line 9")),
        "{notes:?}"
    );
    // Template rows numbered in an `Nr` column are template rows too.
    let mut numbered_header = vec!["Nr".to_string()];
    numbered_header.extend(h.iter().cloned());
    let numbered: Vec<Vec<String>> = rows[..6]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            r.insert(0, (i + 1).to_string());
            r
        })
        .collect();
    let (report, _out, _d) = one_file("a.csv", csv_text(&numbered_header, &numbered, b','));
    assert_counts(&report, 1, 0);
}

/// A separator too many at the end of every line (an empty field past the header's last
/// column, as an export leaves it) loses nothing: the rows are accepted and the change
/// counted; a value there is quarantined.
#[test]
fn an_empty_field_past_the_last_column_is_dropped_and_a_value_there_is_not() {
    let line = |id: &str, extra: &str| row_with(&[("record_id", id)]).join(",") + "," + extra + "\n";
    let mut text = csv_text(&header(), &[], b',');
    for i in 1..=20 {
        text += &line(&format!("R{i}"), if i % 2 == 0 { "" } else { " " });
    }
    text += &line("R21", "x");
    let (report, out, _d) = one_file("a.csv", text);
    assert_eq!(
        (report.totals.accepted, report.totals.quarantined),
        (20, 1),
        "{}",
        report.to_text()
    );
    assert_eq!(
        rules_of(out.path())[0],
        (22, "(row)".into(), "bad_row_shape".into())
    );
    assert!(report.totals.normalised_values >= 20, "{}", report.to_text());
}

/// On some lines only, fields past the header's last column are as likely cells that slid
/// right: in a ';'-separated file an unquoted `sexual;labour` makes one more field, and with
/// the last columns blank the row read as exploitation countries `labour`... An outside review
/// saw such a row accepted with its answers moved one column; it is refused, saying why.
#[test]
fn a_row_whose_cells_slid_right_is_refused_even_if_it_ends_blank() {
    let h = header();
    let forms = h.iter().position(|c| c == "exploitation_forms").expect("column");
    let mut slid = row_with(&[("record_id", "R2")]);
    slid[forms] = "sexual;unknown".into();
    for c in slid.iter_mut().skip(forms + 1) {
        c.clear();
    }
    let text = csv_text(&h, &[row_with(&[])], b';') + &slid.join(";") + ";\n";
    let (report, out, _d) = one_file("a.csv", text);
    assert_eq!(
        (report.totals.accepted, report.totals.quarantined),
        (1, 1),
        "{}",
        report.to_text()
    );
    assert_eq!(
        rules_of(out.path())[0],
        (3, "(row)".into(), "bad_row_shape".into())
    );
    assert!(
        report.to_text().contains("must be in quotes"),
        "{}",
        report.to_text()
    );
}

#[test]
fn unicode_line_separators_are_quarantined_like_line_breaks() {
    expect_rule(&[("given_name", "A\u{2028}B")], "given_name", "control_character");
    expect_rule(
        &[("family_name", "A\u{2029}B")],
        "family_name",
        "control_character",
    );
}

#[test]
fn a_quoted_line_break_is_not_blamed_on_an_unclosed_quote() {
    let rows = vec![row_with(&[("family_name", "Svens\nson")])];
    let (report, _out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_counts(&report, 0, 1);
    let examples = &report.orgs["SAMPLE01"].examples;
    assert!(
        examples
            .iter()
            .any(|e| e.contains("line break inside a cell") && !e.contains("never closed")),
        "{examples:?}"
    );
}

/// A quote inside a quoted cell that is not doubled (`"An"na"`) is read by the CSV reader
/// without that quote and with the closing one: the report says where, without the cell, and
/// the row is still read (names are matched without quotes).
#[test]
fn a_quote_not_doubled_inside_a_quoted_cell_is_noted_with_its_line_and_column() {
    let rows = vec![
        row_with(&[("record_id", "R1"), ("given_name", "Chinyere")]),
        row_with(&[("record_id", "R2"), ("given_name", "Anna")]),
    ];
    let text = csv_text(&header(), &rows, b',').replace(",Anna,", ",\"An\"na\",");
    let (report, out, _d) = one_file("a.csv", text);
    assert_counts(&report, 2, 0);
    let full = report.to_text();
    assert!(
        full.contains("1 cell(s) in quotes hold a quote (\") that is not written twice (\"\"): line 3, column given_name."),
        "{full}"
    );
    let df = read_parquet(&out.path().join("validated").join("SAMPLE01.parquet"));
    let given = strings(&df, "given_name");
    assert_eq!(
        given[1].as_deref(),
        Some("Anna\""),
        "as the note says the reader reads it"
    );
}
