//! Dates: impossible, partial and time-stamped dates, birth dates in other forms, a date in
//! report_year, and the age group a birth date settles or contradicts.

use crate::support::*;

#[test]
fn impossible_and_malformed_dates() {
    expect_rule(
        &[("birth_date", "2024-02-30"), ("personal_number", "")],
        "birth_date",
        "bad_date",
    );
    expect_rule(
        &[("birth_date", "18/12/1981"), ("personal_number", "")],
        "birth_date",
        "bad_date",
    );
    expect_rule(
        &[("birth_date", "2031-01-01"), ("personal_number", "")],
        "birth_date",
        "bad_date",
    );
}

/// A date cell holding a time of day shows only the date in Excel when formatted as one: the
/// message says what Excel hides (an outside review's rows were refused as "not written
/// YYYY-MM-DD" while the cells showed exactly that). The date itself is not repeated.
#[test]
fn a_birth_date_with_a_time_of_day_is_refused_saying_so() {
    let rows = vec![
        row_with(&[]),
        row_with(&[
            ("record_id", "R2"),
            ("birth_date", "1981-12-18 14:30:00"),
            ("personal_number", ""),
        ]),
        row_with(&[
            ("record_id", "R3"),
            ("birth_date", "1981-12-18 00:00"),
            ("personal_number", ""),
        ]),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!(
        (report.totals.accepted, report.totals.quarantined),
        (2, 1),
        "midnight is the date"
    );
    assert_eq!(
        rules_of(out.path()),
        vec![(3, "birth_date".to_string(), "bad_date".to_string())]
    );
    let text = report.to_text();
    assert!(
        text.contains("the cell holds a time of day besides the date"),
        "{text}"
    );
    assert!(!text.contains("1981-12-18"), "the date is not shown: {text}");
}

#[test]
fn partial_dates_are_accepted() {
    let rows = vec![
        row_with(&[("birth_date", "1981"), ("personal_number", "")]),
        row_with(&[
            ("record_id", "R2"),
            ("birth_date", "1981-12"),
            ("personal_number", ""),
        ]),
        row_with(&[("record_id", "R3"), ("birth_date", ""), ("personal_number", "")]),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!(report.totals.accepted, 3);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(
        strings(&df, "birth_date"),
        vec![Some("1981".into()), Some("1981-12".into()), None]
    );
}

/// A blank age group is filled in where the birth date settles it, and counted: `child` under
/// 18 all of the report year, `adult` 18 or over all of it (the only answers the check of age
/// against birth date accepts; 0.31 filled in children only, and a file without the column
/// published no adults), and not where the person turns 18 in the year, or may have as far
/// as a year of birth tells.
#[test]
fn a_blank_age_group_is_filled_in_when_the_birth_date_settles_it() {
    let rows: Vec<Vec<String>> = [
        ("R1", "2010-05-05"),
        ("R2", "1990"),
        ("R3", "2006-06-01"),
        ("R4", "2007"),
        ("R5", "1980-01-01"),
        ("R6", "2006"),
    ]
    .iter()
    .map(|(id, birth)| {
        row_with(&[
            ("record_id", id),
            ("birth_date", birth),
            ("age_group", ""),
            ("personal_number", ""),
        ])
    })
    .collect();
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_counts(&report, 6, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    let ages: std::collections::BTreeMap<_, _> = strings(&df, "record_id")
        .into_iter()
        .zip(strings(&df, "age_group"))
        .map(|(id, age)| (id.expect("id"), age))
        .collect();
    let (child, adult) = (Some("child".to_string()), Some("adult".to_string()));
    assert_eq!(
        ages.into_iter().collect::<Vec<_>>(),
        [
            ("R1".into(), child.clone()),
            ("R2".into(), adult.clone()),
            ("R3".into(), None),
            ("R4".into(), child),
            ("R5".into(), adult),
            ("R6".into(), None)
        ]
    );
    let normalised = &report.orgs["SAMPLE01"].normalised;
    for (age, n) in [("child (under 18", 2), ("adult (18 or over", 2)] {
        assert!(
            normalised
                .iter()
                .any(|(k, m)| k.contains("(blank)") && k.contains(age) && *m == n),
            "{normalised:?}"
        );
    }
}

/// A whole date in report_year (the year's last day) is named as a date, not hidden as a
/// value that may be a name.
#[test]
fn a_date_in_report_year_is_named_as_a_date() {
    let rows = vec![
        row_with(&[]),
        row_with(&[("record_id", "R2"), ("report_year", "2024-12-31")]),
    ];
    let (report, _out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    let text = report.to_text();
    assert!(
        text.contains("report_year holds a whole date (not shown), not a year"),
        "{text}"
    );
    assert!(!text.contains("2024-12-31"), "{text}");
}

#[test]
fn age_group_must_agree_with_birth_date() {
    expect_rule(&[("age_group", "child")], "age_group", "age_group_birth_date");
    expect_rule(
        &[
            ("age_group", "adult"),
            ("birth_date", "2015-03-01"),
            ("personal_number", ""),
        ],
        "age_group",
        "age_group_birth_date",
    );
}

/// A birth date in another form (8 digits, a midnight time after it) is read and counted by
/// its form: the report holds no birth date.
#[test]
fn a_birth_date_in_another_form_is_read_and_counted_without_showing_it() {
    let rows = [
        row_with(&[("birth_date", "19811218")]),
        row_with(&[("record_id", "R2"), ("birth_date", "1981-12-18 00:00:00")]),
    ];
    let (report, _out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!(
        (report.totals.accepted, report.totals.quarantined),
        (2, 0),
        "{}",
        report.to_text()
    );
    let text = report.to_text();
    assert!(
        text.contains("normalised birth_date: \"########\" -> \"####-##-##\": 1"),
        "{text}"
    );
    assert!(
        text.contains("\"####-##-## ##:##:##\" -> \"####-##-##\": 1"),
        "{text}"
    );
    assert!(!text.contains("1981"), "{text}");
}

/// From an outside review: 1 January 1900 or 1901, which case systems write where the birth
/// date is not known, was kept as a birth date (and matched as one). It is read as not known
/// and counted, and the date next to it (1900-01-02) is kept.
#[test]
fn a_placeholder_birth_date_is_read_as_not_known_and_counted() {
    let rows = vec![
        row_with(&[("birth_date", "1900-01-01"), ("personal_number", "")]),
        row_with(&[
            ("record_id", "R2"),
            ("birth_date", "1901.01.01"),
            ("personal_number", ""),
        ]),
        row_with(&[
            ("record_id", "R3"),
            ("birth_date", "1900-01-02"),
            ("personal_number", ""),
        ]),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!(report.totals.accepted, 3, "{}", report.to_text());
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(
        strings(&df, "birth_date"),
        vec![None, None, Some("1900-01-02".to_string())]
    );
    let counted: u64 = report.orgs["SAMPLE01"]
        .normalised
        .iter()
        .filter(|(k, _)| k.contains("where the birth date is not known"))
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(counted, 2, "{:?}", report.orgs["SAMPLE01"].normalised);
}
