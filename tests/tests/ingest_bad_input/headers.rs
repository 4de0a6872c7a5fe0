//! Headers: other names and Swedish labels of contract columns, a line break in a header
//! cell, a title above the header, and a first line of data not echoed as a header.

use crate::support::*;

/// An alias beside its own column (`Pnr` and `personal_number`) is told naming both header
/// cells (it said "personal_number appears twice" of a header that holds the word once).
#[test]
fn an_alias_beside_its_column_is_named_as_written() {
    let mut h = header();
    h.push("Pnr".into());
    let mut row = row_with(&[]);
    row.push(String::new());
    let (report, _o, _d) = one_file("a.csv", csv_text(&h, &[row], b','));
    let e = file_error(&report, "a.csv");
    assert!(
        e.contains("column personal_number appears twice in the header, as personal_number and as Pnr"),
        "{e}"
    );
    // One name twice (family_name's header copied from given_name's): both places, and what to do.
    let h: Vec<String> = header()
        .into_iter()
        .map(|c| {
            if c == "family_name" {
                "given_name".into()
            } else {
                c
            }
        })
        .collect();
    let (given, family) = (
        header()
            .iter()
            .position(|c| c == "given_name")
            .expect("given_name"),
        header()
            .iter()
            .position(|c| c == "family_name")
            .expect("family_name"),
    );
    let (report, _o, _d) = one_file("b.csv", csv_text(&h, &[row_with(&[])], b','));
    let e = file_error(&report, "b.csv");
    let places = format!("as its {}th and its {}th header cell", given + 1, family + 1);
    assert!(
        e.contains("column given_name appears twice") && e.contains(&places) && e.contains("rename it"),
        "{e}"
    );
}

/// A header cell with a line break typed in it (`Födelse-` over `datum`) is shown on one line,
/// its break written `\n`, in the one-line error that refuses the file: printed raw, the break
/// split the error in two (an outside review).
#[test]
fn a_line_break_in_a_header_cell_is_shown_escaped_in_one_line() {
    let with_break = |broken: &str, name: &str| -> Vec<String> {
        header()
            .into_iter()
            .map(|c| if c == name { broken.to_string() } else { c })
            .collect()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let h = with_break("Födelse-\ndatum", "birth_date");
    write(dir.path(), "a.csv", csv_text(&h, &[row_with(&[])], b','));
    let (report, _o) = ingest(dir.path(), &IngestOptions::default());
    let e = file_error(&report, "a.csv");
    assert!(
        e.contains("Födelse-<line break>datum (is birth_date meant?)") && !e.contains('\n'),
        "{e}"
    );
    // A required column missing: the header as found is listed on one line too.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = with_break("Födelse-\ndatum", "birth_date");
    h[1] = "case".into();
    write(dir.path(), "a.csv", csv_text(&h, &[row_with(&[])], b','));
    let (report, _o) = ingest(dir.path(), &IngestOptions::default());
    let e = file_error(&report, "a.csv");
    assert!(
        e.contains("missing from the header: record_id")
            && e.contains("Födelse-<line break>datum")
            && !e.contains('\n'),
        "{e}"
    );
}

#[test]
fn a_first_line_of_data_is_not_echoed_as_a_header() {
    let data = csv_text(&row_with(&[]), &[row_with(&[("record_id", "R2")])], b',');
    let (report, _o, _d) = one_file("a.csv", data);
    let e = file_error(&report, "a.csv");
    assert!(
        e.contains("does not look like a header") && e.contains("must be the first line"),
        "{e}"
    );
    for private in ["811218-9876", "Anna", "Svensson", "1981-12-18"] {
        assert!(!e.contains(private), "{private} shown: {e}");
    }
    assert!(!e.contains("is a note"), "a line of data is no note: {e}");
    // A note left among the submissions is told to move out.
    let (report, _o, _d) = one_file(
        "läs mig.txt",
        "Filer mottagna 2025-01-20.\nSAMPLE03 skickade två.\n",
    );
    let e = file_error(&report, "läs mig.txt");
    assert!(
        e.contains("if the file is a note, not a table of records, move it out"),
        "{e}"
    );

    // A header with a column misspelt is still shown, so the misspelling can be found.
    let mut h = header();
    h[3] = "contact_type".into();
    let (report, _o, _d) = one_file("a.csv", csv_text(&h, &[row_with(&[])], b','));
    let e = file_error(&report, "a.csv");
    assert!(
        e.contains("the header has: org_id, record_id, report_year, contact_type"),
        "{e}"
    );
}

#[test]
fn swedish_column_labels_in_the_header_are_read_and_reported() {
    let s = schema();
    let h: Vec<String> = header()
        .iter()
        .map(|c| s.column(c).expect("column").sv.clone())
        .collect();
    let (report, out, _d) = one_file("a.csv", csv_text(&h, &[row_with(&[])], b';'));
    assert_eq!(report.totals.accepted, 1, "{}", report.to_text());
    assert!(
        report.files[0]
            .notes
            .iter()
            .any(|n| n.contains("\"Kön\" read as gender")),
        "{:?}",
        report.files[0].notes
    );
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "gender"), vec![Some("woman".into())]);
}

/// Headers as case systems and staff write them: `Pnr`, `Personnr`, `Födelsedag`, `Surname`
/// are read as their contract columns (an outside review's `Pnr` failed the file as an unknown
/// column, with no hint), and the report says which were renamed.
#[test]
fn common_other_names_of_identifier_columns_are_read_as_theirs() {
    let mut h = header();
    for (from, to) in [
        ("personal_number", "Samordningsnummer"),
        ("birth_date", "Födelsedag"),
        ("family_name", "Surname"),
        ("given_name", "First name"),
    ] {
        let at = h.iter().position(|c| c == from).expect("column");
        h[at] = to.into();
    }
    let (report, out, _d) = one_file("a.csv", csv_text(&h, &[row_with(&[])], b','));
    assert_counts(&report, 1, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "family_name")[0].as_deref(), Some("Svensson"));
    assert!(
        report.to_text().contains("Samordningsnummer"),
        "{}",
        report.to_text()
    );
}

/// A title line above a CSV header (`Rapport 2024,,,,`, as a sheet with a heading saves) is
/// passed over with a note and every row keeps its line number; it used to refuse the file as
/// "0 of 1 cells are column names".
#[test]
fn a_title_line_above_a_csv_header_is_passed_over_and_lines_keep_their_numbers() {
    let rows = vec![
        row_with(&[]),
        row_with(&[("record_id", "R2"), ("gender", "Lindqvist")]),
    ];
    let body = csv_text(&header(), &rows, b';');
    let title = format!("Rapport 2024{}\n", ";".repeat(header().len() - 1));
    let (report, out, _d) = one_file("a.csv", format!("{title}{body}"));
    assert_counts(&report, 1, 1);
    assert_eq!(rules_of(out.path())[0].0, 4, "the bad row is line 4 of the file");
    assert!(
        report.files[0]
            .notes
            .iter()
            .any(|n| n.contains("line 1 above the header (line 2) passed over")),
        "{:?}",
        report.files[0].notes
    );
}

/// A header with a record on its line, under a title: the message names the header's line,
/// not "the first line" (the title's).
#[test]
fn a_header_error_under_a_csv_title_names_the_header_line() {
    let rows = vec![row_with(&[])];
    let body = csv_text(&header(), &rows, b';');
    let (head, rest) = body.split_once('\n').expect("a header line");
    let title = format!("Rapport 2024{}\n", ";".repeat(header().len() - 1));
    // The record's line joined to the header's, as a lost line break leaves it.
    let (report, _out, _d) = one_file("a.csv", format!("{title}{head};{rest}"));
    let error = report.files[0].error.as_deref().unwrap_or_default();
    assert!(error.contains(": line 2 holds every column name"), "{error}");
}

/// A header as messages show it: the file's own quotes told from the message's.
fn shown(typed: &str) -> String {
    if typed.contains('"') {
        format!("«{typed}»")
    } else {
        format!("\"{typed}\"")
    }
}

/// A header in quotes (`"Förnamn"`, `“Kön”`) is its column: it was taken for a column of the
/// organisation's own, and `--ignore-extra-columns` then left out every given name. A header
/// with a character nobody sees is named with that character in words, not a program's escape.
#[test]
fn a_quoted_header_is_its_column_and_unseen_characters_are_named_in_words() {
    let rename = |from: &str, to: &str| -> Vec<String> {
        swedish_header()
            .into_iter()
            .zip(header())
            .map(|(sv, en)| if en == from { to.to_string() } else { sv })
            .collect()
    };
    let row = row_with(&[("given_name", "Eva")]);
    for (col, typed) in [
        ("given_name", "\"Förnamn\""),
        ("gender", "“Kön”"),
        ("given_name", "'Förnamn'"),
    ] {
        let (report, out, _d) = one_file(
            "a.csv",
            csv_text(&rename(col, typed), std::slice::from_ref(&row), b','),
        );
        assert_counts(&report, 1, 0);
        let df = read_parquet(&out.path().join("validated").join("SAMPLE01.parquet"));
        assert!(strings(&df, col)[0].is_some(), "{typed}: {col} lost");
        let notes = report.files[0].notes.join("\n");
        assert!(
            notes.contains(&format!("column {} read as {col}", shown(typed))),
            "{notes}"
        );
    }
    // A refusal names it too: a zero-width space after Gender left "rename Gender to gender"
    // unexplained.
    let (report, _o, _d) = one_file(
        "a.csv",
        csv_text(
            &rename("gender", "Gender\u{200b}"),
            std::slice::from_ref(&row),
            b',',
        ),
    );
    let e = file_error(&report, "a.csv");
    assert!(e.contains("Gender<zero-width space> (is gender meant?)"), "{e}");
    let (report, _o, _d) = one_file(
        "a.csv",
        csv_text(&rename("birth_date", "birth\u{a0}date"), &[row], b','),
    );
    let notes = report.files[0].notes.join("\n");
    assert!(
        notes.contains("column \"birth<non-breaking space>date\" read as birth_date"),
        "{notes}"
    );
}

/// A file that writes a space after each separator before a quoted cell (`"a", "b"`, as some
/// exports do) is read, with a note: it was refused as having no header on its first line.
#[test]
fn spaces_before_quoted_cells_are_read_past() {
    let rows = vec![
        row_with(&[("record_id", "R1")]),
        row_with(&[("record_id", "R2"), ("given_name", "Ana, Maria")]),
    ];
    let quoted: Vec<String> = std::iter::once(header())
        .chain(rows)
        .map(|r| {
            r.iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let (report, out, _d) = one_file("a.csv", quoted.join("\n") + "\n");
    assert_counts(&report, 2, 0);
    let df = read_parquet(&out.path().join("validated").join("SAMPLE01.parquet"));
    assert!(
        strings(&df, "given_name").contains(&Some("Ana, Maria".to_string())),
        "a separator inside quotes stays in its cell"
    );
    let notes = report.files[0].notes.join("\n");
    assert!(
        notes.contains("spaces between a separator and a quoted cell dropped"),
        "{notes}"
    );
}

/// The contract's column names written in CamelCase (`OrgId`, `RecordId`), as programs
/// export them, are those columns: 0.31 told such a file its first line was no header (an
/// outside review).
#[test]
fn camel_case_column_names_are_read_as_the_columns() {
    let camel = |name: &str| -> String {
        name.split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect()
    };
    let h: Vec<String> = header().iter().map(|c| camel(c)).collect();
    assert_eq!(h[0], "OrgId");
    let (report, _o, _d) = one_file("a.csv", csv_text(&h, &[row_with(&[])], b','));
    assert_counts(&report, 1, 0);
}
