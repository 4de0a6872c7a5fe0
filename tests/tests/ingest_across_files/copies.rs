//! Records sent twice, within or across files, in other writing, or under the organisation's
//! name or code: counted once or quarantined naming the other copy.

use super::*;

#[test]
fn a_record_sent_in_two_files_is_quarantined_in_both_naming_the_other() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = [row_with(&[]), row_with(&[("record_id", "R2")])];
    write(dir.path(), "a.csv", csv_text(&header(), &rows, b','));
    std::fs::create_dir(dir.path().join("old")).expect("mkdir");
    // An older version of the record: other answers, so no one can tell which is right.
    let older = [row_with(&[("gender", "man")])];
    write(dir.path(), "old/a-v1.csv", csv_text(&header(), &older, b','));
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 2);
    let found = problems(out.path());
    let dup: Vec<_> = found.iter().filter(|p| p.2 == "duplicate_record_id").collect();
    assert_eq!(dup.len(), 2, "{found:?}");
    assert!(
        dup.iter()
            .any(|p| p.0 == "old/a-v1.csv" && p.3.contains("first at a.csv, line 2")),
        "the copy names where the first one is: {dup:?}"
    );
    assert!(
        dup.iter()
            .any(|p| p.0 == "a.csv" && p.1 == 2 && p.3.contains("this row is the first")),
        "the first one says so: {dup:?}"
    );
}

/// The same row in two files (a case in two quarters' files) counts once, where it is first.
#[test]
fn a_row_sent_in_two_files_cell_for_cell_counts_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = [row_with(&[]), row_with(&[("record_id", "R2")])];
    write(dir.path(), "a.csv", csv_text(&header(), &rows, b','));
    write(dir.path(), "b.csv", csv_text(&header(), &rows[..1], b','));
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 1);
    let found = problems(out.path());
    assert_eq!(found.len(), 1, "{found:?}");
    let (file, line, rule, message) = &found[0];
    assert_eq!(
        (file.as_str(), *line, rule.as_str()),
        ("b.csv", 2, "repeated_row")
    );
    assert!(
        message.contains("repeats a.csv, line 2 cell for cell"),
        "{message}"
    );
}

/// A record sent twice whose copies write one answer in two ways (a label for the code, a
/// date or a personal number in another form, a name composed or not, a country's name for
/// its code) holds the same answers: it counts once, as a copy cell for cell does. An outside
/// review saw both such copies quarantined as other answers, and the person missing from the
/// release. Answers that really differ still quarantine every copy.
#[test]
fn copies_of_a_record_whose_answers_differ_only_in_writing_count_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nfc = "\u{c5}sa"; // Åsa, one letter Å
    let nfd = "A\u{30a}sa"; // Åsa, A and a combining ring
    let variants: [(&str, &str); 6] = [
        ("gender", "Kvinna"),
        ("personal_number", "19811218-9876"),
        ("birth_date", "19811218"),
        ("given_name", nfd),
        ("country_of_birth", "Sverige"),
        ("exploitation_forms", "Sexuell exploatering"),
    ];
    let ids: Vec<String> = (1..=variants.len()).map(|i| format!("R{i}")).collect();
    let mut first: Vec<Vec<String>> = ids
        .iter()
        .map(|id| row_with(&[("record_id", id), ("given_name", nfc)]))
        .collect();
    let mut later: Vec<Vec<String>> = ids
        .iter()
        .zip(variants)
        .map(|(id, (col, v))| {
            let name = if col == "given_name" { v } else { nfc };
            row_with(&[("record_id", id), ("given_name", name), (col, v)])
        })
        .collect();
    // A record whose copies really differ (a woman and a man): no one can tell which is right.
    first.push(row_with(&[("record_id", "R9")]));
    later.push(row_with(&[("record_id", "R9"), ("gender", "man")]));
    // Within one file too: R10 twice in a.csv, once with its gender's English label.
    first.push(row_with(&[("record_id", "R10")]));
    first.push(row_with(&[("record_id", "R10"), ("gender", "Woman")]));
    write(dir.path(), "a.csv", csv_text(&header(), &first, b','));
    write(dir.path(), "b.csv", csv_text(&header(), &later, b','));
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    // a.csv's R1-R6 and R10 accepted; b.csv's R1-R6 and a.csv's second R10 repeats; R9 in both.
    assert_counts(&report, 7, 9);
    let found = problems(out.path());
    let rule_of = |file: &str, line: i64| -> Vec<&str> {
        found
            .iter()
            .filter(|p| p.0 == file && p.1 == line)
            .map(|p| p.2.as_str())
            .collect()
    };
    for (i, (col, _)) in variants.iter().enumerate() {
        let line = i as i64 + 2;
        assert_eq!(rule_of("b.csv", line), ["repeated_row"], "{col}: {found:?}");
        assert!(rule_of("a.csv", line).is_empty(), "{col}: {found:?}");
    }
    assert_eq!(rule_of("a.csv", 8), ["duplicate_record_id"], "{found:?}");
    assert_eq!(rule_of("b.csv", 8), ["duplicate_record_id"], "{found:?}");
    assert!(rule_of("a.csv", 9).is_empty(), "{found:?}");
    assert_eq!(rule_of("a.csv", 10), ["repeated_row"], "{found:?}");
}

#[test]
fn record_ids_and_years_that_differ_only_in_writing_are_one_record() {
    let rows = [
        row_with(&[("record_id", "A 1")]),
        row_with(&[("record_id", "A  1")]),
        row_with(&[("record_id", "A\u{a0}1")]),
        row_with(&[("record_id", "B7")]),
        row_with(&[("record_id", "B7"), ("report_year", "02024")]),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &rows, b','));
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    // One record each, A 1 and B7: kept once, the other copies repeats (their answers are the
    // same once the id and year are read as stored), never two records accepted.
    assert_counts(&report, 2, 3);
    let rules: Vec<String> = problems(out.path()).into_iter().map(|p| p.2).collect();
    assert_eq!(rules, ["repeated_row"; 3], "{}", report.to_text());
}

#[test]
fn an_indirect_row_may_point_at_a_direct_row_in_the_organisations_other_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &[row_with(&[])], b','));
    let indirect = row_with(&[
        ("record_id", "C1"),
        ("contact_kind", "indirect"),
        ("related_record_id", "R1"),
        ("exploitation_forms", ""),
    ]);
    write(dir.path(), "b.csv", csv_text(&header(), &[indirect], b','));
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 0);
}

/// An organisation written by its code in one row and by its name in another is one
/// organisation: the same record id is one record (kept once, the copy a repeat, as its
/// answers are the same once the organisation is read as its code), and an indirect row finds its direct row
/// (an outside review had a record accepted twice, and a related row quarantined, when a
/// file used the member's name).
#[test]
fn an_organisation_by_its_name_or_its_code_is_one_organisation() {
    let name = "Föreningen Norrsken (fiktiv, syntetiska data)";
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &[row_with(&[])], b','));
    write(
        dir.path(),
        "b.csv",
        csv_text(&header(), &[row_with(&[("org_id", name)])], b','),
    );
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 1);
    let found = problems(out.path());
    assert_eq!(
        (found[0].0.as_str(), found[0].2.as_str()),
        ("b.csv", "repeated_row"),
        "{}",
        report.to_text()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let indirect = row_with(&[
        ("org_id", name),
        ("record_id", "C1"),
        ("contact_kind", "indirect"),
        ("related_record_id", "R1"),
        ("exploitation_forms", ""),
    ]);
    write(
        dir.path(),
        "a.csv",
        csv_text(&header(), &[row_with(&[]), indirect], b','),
    );
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 0);
}

/// A workbook and the CSV Excel saved from it, left in one folder: every record is in both,
/// so every row is quarantined as a duplicate. The report says once that one file is a copy
/// of the other, and what to do (an outside review saw 60 rows in, 0 accepted, and twenty
/// duplicate messages); a file sharing a record or two with another is not called a copy.
#[test]
fn a_file_that_repeats_another_files_records_is_named_a_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows: Vec<_> = (1..=6)
        .map(|i| row_with(&[("record_id", &format!("R{i}")), ("personal_number", "")]))
        .collect();
    write(dir.path(), "talita.csv", csv_text(&header(), &rows, b','));
    write(dir.path(), "talita-copy.csv", csv_text(&header(), &rows, b';'));
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 6, 6);
    let copies: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("is a copy"))
        .collect();
    assert_eq!(copies.len(), 1, "{:?}", report.warnings);
    assert!(
        copies[0].contains("talita.csv")
            && copies[0].contains("talita-copy.csv")
            && copies[0].contains("6 of its 6 record ids")
            && copies[0].contains("6 of them with the same answers")
            && copies[0].contains("remove the copy")
            && !copies[0].contains("differ"),
        "{}",
        copies[0]
    );
    // An old version with one answer changed since: that record is quarantined in both,
    // and the warning says so (it said all repeated "with the same answers").
    let dir = tempfile::tempdir().expect("tempdir");
    let mut old = rows.clone();
    let gender = header().iter().position(|h| h == "gender").expect("gender");
    old[0][gender] = "man".into();
    write(dir.path(), "talita.csv", csv_text(&header(), &rows, b','));
    write(dir.path(), "talita-old.csv", csv_text(&header(), &old, b','));
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 5, 7);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("5 of them with the same answers")
                && w.contains("the 1 whose answers differ are quarantined in both files")),
        "{:?}",
        report.warnings
    );
    assert!(
        report.to_text().contains("is a copy"),
        "the text report says it too"
    );

    // The same bytes twice: one warning says so, not a second one that it is a copy.
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "talita.csv", csv_text(&header(), &rows, b','));
    write(dir.path(), "talita-again.csv", csv_text(&header(), &rows, b','));
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    let about: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("talita.csv") && w.contains("talita-again.csv"))
        .collect();
    assert!(
        about.len() == 1 && about[0].contains("have the same content"),
        "{about:?}"
    );

    // One record sent twice is a duplicate, not a copy.
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &rows, b','));
    write(dir.path(), "b.csv", csv_text(&header(), &rows[..1], b';'));
    let more: Vec<_> = (7..=12)
        .map(|i| row_with(&[("record_id", &format!("R{i}")), ("personal_number", "")]))
        .collect();
    write(dir.path(), "c.csv", csv_text(&header(), &more, b','));
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert!(
        !report.warnings.iter().any(|w| w.contains("is a copy")),
        "{:?}",
        report.warnings
    );

    // Two half-years whose ids both run R1-R6, for other persons: not a copy (removing one
    // would lose real records) but ids to make unique.
    let dir = tempfile::tempdir().expect("tempdir");
    let others: Vec<_> = (1..=6)
        .map(|i| {
            row_with(&[
                ("record_id", &format!("R{i}")),
                ("personal_number", ""),
                ("given_name", &format!("Other{i}")),
            ])
        })
        .collect();
    write(dir.path(), "talita-jan-jun.csv", csv_text(&header(), &rows, b','));
    write(
        dir.path(),
        "talita-jul-dec.csv",
        csv_text(&header(), &others, b','),
    );
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 0, 12);
    assert!(
        !report.warnings.iter().any(|w| w.contains("is a copy")),
        "{:?}",
        report.warnings
    );
    let restart: Vec<&String> = report
        .warnings
        .iter()
        .filter(|w| w.contains("seem to start again"))
        .collect();
    assert_eq!(restart.len(), 1, "{:?}", report.warnings);
    assert!(
        restart[0].contains("talita-jul-dec.csv uses 6 of its 6 record ids again from talita-jan-jun.csv")
            && restart[0].contains("make the record ids unique")
            && restart[0].contains("do not delete either file"),
        "{}",
        restart[0]
    );
}

/// Files that file managers hide are passed over, but one whose name ends as a submission's is
/// named: an outside review's `.SAMPLE01.csv`, a large `~$SAMPLE05.csv` and `.sync/SAMPLE03.xlsx`
/// (real records) were skipped without a word and `run` would have published without them.
/// Office's small lock files and macOS's `._` shadow files are not named.
/// A workbook sent under a CSV and a Parquet name (an outside review's FA.csv and
/// UNIZON.parquet, the same bytes) is read under neither: no warning says its rows count once
/// from one of them, and the Parquet name is told to be renamed .xlsx, as the CSV name is, not
/// that the file is damaged.
#[test]
fn a_workbook_under_other_names_is_told_to_be_renamed_and_not_counted_as_a_copy() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let mut rows = vec![header()];
    rows.push(row_with(&[]));
    write_sheet(wb.add_worksheet(), &rows);
    let bytes = wb.save_to_buffer().expect("workbook");
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", &bytes);
    write(dir.path(), "b.parquet", &bytes);
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 0, 0);
    for file in ["a.csv", "b.parquet"] {
        let e = file_error(&report, file);
        assert!(
            e.contains("an Excel workbook") && e.contains("rename it to end in .xlsx"),
            "{file}: {e}"
        );
    }
    assert!(
        !file_error(&report, "b.parquet").contains("damaged"),
        "{report:?}"
    );
    assert!(
        report.warnings.iter().all(|w| !w.contains("same content")),
        "{:?}",
        report.warnings
    );
}
