//! Files an outside review of version 0.10 made: each read as meant, or refused saying why.

use crate::support::*;

fn text_of(report: &safetally::ingest::IngestReport) -> String {
    report.to_text()
}

/// Two files pasted one under the other: the second header is one quarantined row with
/// one reason, not twenty "unknown code" problems.
#[test]
fn a_repeated_header_row_is_one_problem() {
    let rows = vec![row_with(&[]), header(), row_with(&[("record_id", "R2")])];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b';'));
    assert_counts(&report, 2, 1);
    assert_eq!(
        rules_of(out.path()),
        [(3, "(row)".to_string(), "repeated_header".to_string())]
    );
}

/// A `|`-separated file, and a `sep=;` line above a comma-separated one: the message names
/// the separator the header uses.
#[test]
fn a_header_in_another_separator_names_it() {
    let piped = csv_text(&header(), &[row_with(&[])], b'|');
    let (report, _out, _d) = one_file("a.csv", &piped);
    assert!(
        file_error(&report, "a.csv").contains("separated by '|'"),
        "{}",
        text_of(&report)
    );
    let hinted = format!("sep=;\n{}", csv_text(&header(), &[row_with(&[])], b','));
    let (report, _out, _d) = one_file("a.csv", &hinted);
    assert!(
        file_error(&report, "a.csv").contains("separated by ','"),
        "{}",
        text_of(&report)
    );
}

/// Excel's "CSV (semikolonavgränsad)" writes '?' for letters it cannot store: the rows
/// are counted, and the file's report says the names are lost.
#[test]
fn names_with_question_marks_are_counted_and_reported() {
    let rows = vec![
        row_with(&[("given_name", "Micha?"), ("family_name", "?ukaszewicz")]),
        row_with(&[("record_id", "R2"), ("given_name", "Anna")]),
        // A lone '?' typed for a name not known is not a lost letter.
        row_with(&[("record_id", "R3"), ("given_name", "?")]),
    ];
    let (report, _out, _d) = one_file("a.csv", csv_text(&header(), &rows, b';'));
    assert_counts(&report, 3, 0);
    let text = text_of(&report);
    assert!(
        text.contains("1 row(s) have a '?' in a name (the first on line 2, column given_name)"),
        "{text}"
    );
    // The summary on the console (ingest's, run's) warns too: the note alone was in the
    // report file, and run published without a word.
    assert!(
        report
            .summary()
            .contains("Warning: a.csv: 1 row(s) have a '?' for a letter"),
        "{}",
        report.summary()
    );
    let (clean, _out, _d) = one_file("a.csv", csv_text(&header(), &rows[1..], b';'));
    assert!(!text_of(&clean).contains("'?'"));
    assert!(!clean.summary().contains("'?'"));
}

/// Several files with such names are one warning naming each with its rows: the advice once,
/// not a screenful of it.
#[test]
fn names_with_question_marks_in_several_files_are_one_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, ids) in [("a.csv", ["R1", "R2"]), ("b.csv", ["R3", "R4"])] {
        let rows: Vec<Vec<String>> = ids
            .iter()
            .map(|id| row_with(&[("record_id", id), ("family_name", "?ukaszewicz")]))
            .collect();
        let rows = if file == "a.csv" { rows } else { rows[..1].to_vec() };
        std::fs::write(dir.path().join(file), csv_text(&header(), &rows, b';')).expect("write");
    }
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 3, 0);
    let told: Vec<&String> = report.warnings.iter().filter(|w| w.contains("'?'")).collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].starts_with(
            "2 files have rows with a '?' for a letter in a name (3 rows: a.csv (2), b.csv (1))"
        ),
        "{}",
        told[0]
    );
}

/// "Å-1" typed on a Mac (decomposed) and on Windows (composed) is one record id: with the
/// same answers the second is a repeat of the first, with other answers both are
/// duplicates.
#[test]
fn a_record_id_in_two_unicode_forms_is_one_id() {
    let rows = vec![
        row_with(&[("record_id", "\u{c5}-1")]),
        row_with(&[("record_id", "A\u{30a}-1")]),
        row_with(&[("record_id", "\u{c5}-2")]),
        row_with(&[("record_id", "A\u{30a}-2"), ("gender", "man")]),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b';'));
    assert_counts(&report, 1, 3);
    let rules: Vec<String> = rules_of(out.path()).into_iter().map(|(_, _, r)| r).collect();
    assert_eq!(
        rules,
        ["repeated_row", "duplicate_record_id", "duplicate_record_id"]
    );
}

/// The organisation's name instead of its code, Kosovo and other country names.
#[test]
fn member_names_and_country_names_read_as_their_codes() {
    let rows = vec![
        row_with(&[("org_id", "Frälsningsarmén"), ("country_of_birth", "Kosovo")]),
        row_with(&[
            ("org_id", "FA"),
            ("record_id", "R2"),
            ("country_of_birth", "Vitryssland"),
        ]),
        row_with(&[("org_id", "FA"), ("record_id", "R3"), ("country_of_birth", "XK")]),
    ];
    let (report, out, _d) = one_file("FA.csv", csv_text(&header(), &rows, b';'));
    assert_counts(&report, 3, 0);
    let df = read_parquet(&out.path().join("validated/FA.parquet"));
    assert_eq!(strings(&df, "org_id"), vec![Some("FA".to_string()); 3]);
    assert_eq!(
        strings(&df, "country_of_birth"),
        ["XK", "BY", "XK"].map(|c| Some(c.to_string()))
    );
    let (report, out, _d) = one_file(
        "FA.csv",
        csv_text(
            &header(),
            &[row_with(&[("org_id", "FA"), ("country_of_birth", "Jugoslavien")])],
            b';',
        ),
    );
    assert_counts(&report, 0, 1);
    let q = quarantine(out.path(), "FA");
    assert!(
        q.iter()
            .any(|(_, c, r, _)| c == "country_of_birth" && r == "unknown_country"),
        "{q:?}"
    );
    assert!(
        text_of(&report).contains("no longer exists"),
        "{}",
        text_of(&report)
    );
}

/// The synthetic sample's organisations beside a real member: a warning at ingest naming
/// both (the run stops there; aggregate refuses such persons).
#[test]
fn sample_and_real_members_together_are_warned_of() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "SAMPLE01.csv",
        csv_text(&header(), &[row_with(&[])], b';'),
    );
    write(
        dir.path(),
        "FA.csv",
        csv_text(&header(), &[row_with(&[("org_id", "FA")])], b';'),
    );
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 0);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("SAMPLE01 (SAMPLE01.csv)") && w.contains("FA (FA.csv)")),
        "{:?}",
        report.warnings
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "FA.csv",
        csv_text(&header(), &[row_with(&[("org_id", "FA")])], b';'),
    );
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}
