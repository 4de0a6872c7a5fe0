//! Damaged text: unclosed quotes and control or invisible characters, named where they are.

use super::*;

#[test]
fn rows_swallowed_by_an_unclosed_quote_are_never_accepted() {
    let n = 12;
    for column in ["family_name", "legal_rights"] {
        let rows: Vec<Vec<String>> = (1..=n)
            .map(|i| {
                let id = format!("R{i}");
                let mut r = row_with(&[("record_id", &id)]);
                if i == 3 {
                    let at = header().iter().position(|h| h == column).expect("column");
                    r[at] = format!("\"{}", r[at]);
                }
                r
            })
            .collect();
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "a.csv", raw_csv(&rows));
        let (report, out) = ingest(dir.path(), &IngestOptions::default());
        assert_eq!(
            (report.totals.accepted, report.totals.quarantined),
            (2, n - 2),
            "{column}: rows 1 and 2 only; the row holding the rest, and each line it took, are quarantined: {}",
            report.to_text()
        );
        let found = problems(out.path());
        assert!(
            found.iter().any(|p| p.1 == 4
                && p.2 == "unclosed_quote"
                && p.3
                    .contains(&format!("on line 4 is never closed, so lines 5–{}", n + 1))),
            "{column}: the message points at the quote: {found:?}"
        );
        let taken: Vec<i64> = found
            .iter()
            .filter(|p| p.2 == "unclosed_quote" && p.3.contains("read into column"))
            .map(|p| p.1)
            .collect();
        assert_eq!(taken, (5..=n as i64 + 1).collect::<Vec<_>>(), "{column}");
        let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
        for name in header() {
            assert!(
                strings(&df, &name).iter().flatten().all(|v| !v.contains('\n')),
                "{column}: no accepted cell holds other rows"
            );
        }
    }
}

/// A quote left open in the last column takes the rows after it into that cell, where they
/// once vanished from every count: each line it took is a quarantined row of its own.
#[test]
fn an_unclosed_quote_in_the_last_column_is_named_and_every_line_it_took_counted() {
    let text = "org_id,record_id,report_year,contact_kind,given_name\n\
                TALITA,R1,2024,direct,Anna\n\
                TALITA,R2,2024,direct,\"Lisa\n\
                TALITA,R3,2024,direct,Bo\n\
                TALITA,R4,2024,direct,Eva\n";
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", text);
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 3);
    assert!(
        report
            .summary()
            .contains("4 rows in = 1 accepted + 3 quarantined"),
        "{}",
        report.summary()
    );
    let q = quarantine(out.path(), "TALITA");
    let opened = q.iter().find(|p| p.0 == 3).expect("line 3 is quarantined");
    assert_eq!(
        (opened.1.as_str(), opened.2.as_str()),
        ("given_name", "unclosed_quote")
    );
    let message = &report.orgs["TALITA"].examples[0];
    assert!(
        message.contains("a.csv, line 3, column given_name: a quote (\") opened in this cell on line 3 is never closed, so lines 4–5 (2 rows of the file) were read into this cell"),
        "{message}"
    );
    assert!(!message.contains("Lisa"), "{message}");
    let taken: Vec<(i64, &str, &str)> = q
        .iter()
        .filter(|p| p.0 != 3)
        .map(|p| (p.0, p.1.as_str(), p.2.as_str()))
        .collect();
    assert_eq!(
        taken,
        [(4, "(row)", "unclosed_quote"), (5, "(row)", "unclosed_quote")]
    );
    let records: Vec<String> = quarantine_records(out.path());
    assert_eq!(records, ["R2", "R3", "R4"], "each line keeps its record_id");
}

#[test]
fn control_and_invisible_characters_are_quarantined_where_they_are() {
    let names = [
        ("R2", "Anna\u{0}"),
        ("R3", "\u{200b}"),
        ("R4", "Ann\u{202e}a"),
        ("R5", "Ann\u{1b}[31ma"),
    ];
    let mut rows = vec![row_with(&[("given_name", "Mohammad\u{200c}Reza")])];
    rows.extend(
        names
            .iter()
            .map(|(id, g)| row_with(&[("record_id", id), ("given_name", g)])),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &rows, b','));
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_eq!(
        (report.totals.accepted, report.totals.quarantined),
        (1, 4),
        "the Persian name with its zero-width non-joiner is kept: {}",
        report.to_text()
    );
    let found = problems(out.path());
    for line in 3..=6 {
        assert!(
            found
                .iter()
                .any(|p| p.1 == line && p.2 == "control_character" && p.3.contains("U+")),
            "line {line}: {found:?}"
        );
    }
}
