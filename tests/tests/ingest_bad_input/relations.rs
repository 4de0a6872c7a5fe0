//! Rules across columns and rows: the funnel rules, related records, the police report, and
//! the member a file is named after against the members its rows name.

use crate::support::*;

/// The contract's funnel rules (`only_when`), which exact protection takes as zeros every
/// reader knows, are the rules validation enforces: a row answering the column while the
/// other column holds a code outside the rule's is quarantined for that column, and one
/// inside is accepted.
#[test]
fn the_funnel_rules_protection_relies_on_are_the_ones_validation_enforces() {
    let s = schema();
    assert_eq!(s.only_when.len(), 3, "{:?}", s.only_when);
    for o in &s.only_when {
        let list = s.list_for(s.column(&o.when).expect("column")).expect("codes");
        let outside = list
            .codes
            .iter()
            .find(|c| !o.codes.contains(&c.code))
            .expect("a code outside the rule");
        let answer = s
            .list_for(s.column(&o.column).expect("column"))
            .expect("codes")
            .codes[0]
            .code
            .clone();
        let mut bad = vec![("record_id", "R2"), (o.column.as_str(), answer.as_str())];
        bad.push((o.when.as_str(), outside.code.as_str()));
        if o.when == "contact_kind" {
            bad.push(("related_record_id", "R1"));
        }
        let good = [
            ("record_id", "R3"),
            (o.column.as_str(), answer.as_str()),
            (o.when.as_str(), o.codes[0].as_str()),
        ];
        let rows = vec![row_with(&[]), row_with(&bad), row_with(&good)];
        let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
        let q = rules_of(out.path());
        assert!(
            q.iter().any(|(line, col, _)| *line == 3 && col == &o.column),
            "{} with {} = {}: {q:?}",
            o.column,
            o.when,
            outside.code
        );
        assert!(
            !q.iter().any(|(line, _, _)| *line == 4),
            "{} inside the rule: {q:?}",
            o.column
        );
        assert_eq!(report.totals.accepted, 2, "{q:?}");
    }
}

#[test]
fn related_record_must_exist_and_be_direct() {
    let indirect = |id: &str, rel: &str| {
        row_with(&[
            ("record_id", id),
            ("contact_kind", "indirect"),
            ("related_record_id", rel),
            ("exploitation_forms", ""),
            ("police_report", ""),
            ("reported_offences", ""),
            ("legal_status", ""),
        ])
    };
    let rows = vec![
        row_with(&[]),
        indirect("C1", "R1"),
        indirect("C2", "NOPE"),
        indirect("C3", "C1"),
        indirect("C4", "r1"),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!((report.totals.accepted, report.totals.quarantined), (2, 3));
    let text = report.to_text();
    // Another id's capitals are told as such, only where a row has them.
    assert!(text.contains("but one has it in other capital letters"), "{text}");
    assert_eq!(
        text.matches("but one has it in other capital letters").count(),
        1,
        "{text}"
    );
    let found = rules_of(out.path());
    assert!(
        found.contains(&(6, "related_record_id".into(), "related_record_missing".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&(4, "related_record_id".into(), "related_record_missing".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&(5, "related_record_id".into(), "related_record_not_direct".into())),
        "{found:?}"
    );
}

/// A direct row whose contact kind is a typo (or blank) is quarantined for that; an indirect
/// row naming it counts, as one naming any quarantined row does, and is not refused as naming
/// a row that "is not direct" (an outside review was sent after the wrong row's wrong cell).
#[test]
fn an_indirect_row_naming_a_row_whose_kind_cannot_be_read_counts() {
    let rows = vec![
        row_with(&[("contact_kind", "dirct")]),
        row_with(&[
            ("record_id", "C1"),
            ("contact_kind", "indirect"),
            ("related_record_id", "R1"),
            ("exploitation_forms", ""),
            ("police_report", ""),
            ("reported_offences", ""),
            ("legal_status", ""),
        ]),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    let found = rules_of(out.path());
    assert_eq!(
        (report.totals.accepted, report.totals.quarantined),
        (1, 1),
        "{found:?}"
    );
    assert!(found.iter().all(|(line, ..)| *line == 2), "{found:?}");
    assert!(found.iter().any(|(_, col, _)| col == "contact_kind"), "{found:?}");
}

#[test]
fn funnel_and_direct_only_rules() {
    expect_rule(&[("police_report", "no")], "legal_status", "funnel_police_report");
    expect_rule(
        &[("police_report", ""), ("legal_status", "")],
        "reported_offences",
        "funnel_police_report",
    );
    expect_rule(
        &[("contact_kind", "indirect")],
        "exploitation_forms",
        "forms_for_indirect",
    );
}

/// A police_report of TRUE (a checkbox column, a boolean in Parquet) was answered, wrongly:
/// an outside review found its offences blamed as "given while police_report is not
/// answered". Only police_report is named; the offences are checked once it is corrected.
#[test]
fn an_invalid_police_report_is_named_alone_not_as_unanswered() {
    for value in ["TRUE", "false"] {
        let rows = vec![row_with(&[("police_report", value)])];
        let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
        assert_counts(&report, 0, 1);
        assert_eq!(
            rules_of(out.path()),
            vec![(2, "police_report".to_string(), "unknown_code".to_string())]
        );
        let text = report.to_text();
        assert!(!text.contains("not answered"), "{text}");
    }
}

#[test]
fn a_direct_row_with_a_related_record_is_quarantined() {
    expect_rule(
        &[("related_record_id", "R1")],
        "related_record_id",
        "related_record_for_direct",
    );
    assert!(schema().rule("related_record_for_direct").is_some());
}

#[test]
fn a_file_named_after_one_member_holding_anothers_rows_is_noted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let other = |id: &str| row_with(&[("org_id", "SAMPLE02"), ("record_id", id)]);
    write(
        dir.path(),
        "SAMPLE01.csv",
        csv_text(&header(), &[other("A1")], b','),
    );
    // Half and half: the file's name decides whose file it is.
    let half = vec![other("B1"), row_with(&[("record_id", "B2")])];
    write(dir.path(), "2024_SAMPLE03.csv", csv_text(&header(), &half, b','));
    write(
        dir.path(),
        "SAMPLE01b.csv",
        csv_text(&header(), &[other("C1")], b','),
    );
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    let file = |name: &str| report.files.iter().find(|f| f.file == name).expect("file");
    let named = |name: &str| {
        file(name)
            .notes
            .iter()
            .any(|n| n.contains("the file's name names member"))
    };
    assert!(named("SAMPLE01.csv"), "{:?}", file("SAMPLE01.csv").notes);
    assert!(
        named("2024_SAMPLE03.csv"),
        "{:?}",
        file("2024_SAMPLE03.csv").notes
    );
    assert!(
        !named("SAMPLE01b.csv"),
        "not a member's code: {:?}",
        file("SAMPLE01b.csv").notes
    );
    assert_eq!(file("SAMPLE01.csv").org_id.as_deref(), Some("SAMPLE02"));
}

#[test]
fn a_tie_of_organisations_goes_to_the_one_the_file_is_named_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = vec![
        row_with(&[("org_id", "SAMPLE01")]),
        row_with(&[("org_id", "SAMPLE02"), ("record_id", "R2")]),
    ];
    write(dir.path(), "SAMPLE02.csv", csv_text(&header(), &rows, b','));
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_eq!(report.files[0].org_id.as_deref(), Some("SAMPLE02"));
    assert!(
        !report.files[0]
            .notes
            .iter()
            .any(|n| n.contains("the file's name names member")),
        "{:?}",
        report.files[0].notes
    );
}
