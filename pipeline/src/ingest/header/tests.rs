//! Tests of `map_header`: what it reads, what it refuses and what a refusal shows.
//! The helpers are shared with `first_row`'s tests.

use super::*;

pub(super) fn schema() -> Schema {
    crate::schema::load_embedded().expect("embedded schema")
}

pub(super) fn cells(c: &[&str]) -> Vec<String> {
    c.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_index_column_pandas_writes_is_passed_over_and_no_other_unknown_column() {
    let s = schema();
    let at = Place {
        path: "a.parquet".into(),
        sheet: None,
        header_line: 1,
    };
    let head = |extra: &str| cells(&["org_id", "record_id", "report_year", "contact_kind", extra]);
    let map = map_header(&s, &head("__index_level_0__"), &at, false).expect("read");
    assert_eq!(map.pandas_index, ["__index_level_0__"]);
    assert!(map.ignored.is_empty());
    for other in [
        "__index_level__",
        "__index_level_x__",
        "index_level_0",
        "Unnamed: 0",
    ] {
        let e = map_header(&s, &head(other), &at, false).expect_err(other);
        assert!(matches!(e, FileError::ExtraColumns { .. }), "{other}: {e}");
    }
}

#[test]
fn a_header_is_echoed_only_when_at_least_half_of_it_names_columns() {
    let s = schema();
    let at = Place {
        path: "a.csv".into(),
        sheet: None,
        header_line: 1,
    };
    let err = |c: &[&str]| map_header(&s, &cells(c), &at, false).expect_err("refused");
    let half = err(&["org_id", "record_id", "x", "19811218-9876"]);
    assert!(matches!(half, FileError::MissingColumns { .. }), "{half}");
    let text = half.to_string();
    assert!(
        text.contains("x, (a value, not shown)") && !text.contains("9876"),
        "{text}"
    );
    let data = err(&["SAMPLE01", "R1", "", "19811218-9876", "Anna", "record_id"]);
    match &data {
        FileError::NotAHeader { named, cells, .. } => assert_eq!((*named, *cells), (1, 5)),
        other => panic!("not NotAHeader: {other}"),
    }
    let text = data.to_string();
    assert!(!text.contains("9876") && !text.contains("Anna"), "{text}");
    assert!(text.contains("1 of 5 cells are column names"), "{text}");
}

/// The first record run onto the header's line (a line break lost): refused without its
/// cells, also when extra columns are ignored (the record would be dropped unseen); an
/// extra column of the file's own is named, a date among them is not.
#[test]
fn a_record_on_the_headers_line_is_refused_and_never_printed() {
    let s = schema();
    let at = Place {
        path: "a.csv".into(),
        sheet: None,
        header_line: 1,
    };
    let mut line: Vec<String> = s.columns.iter().map(|c| c.name.clone()).collect();
    line.extend(cells(&[
        "SAMPLE01",
        "R1",
        "2024",
        "direct",
        "19811218-9876",
        "Anna",
        "Svensson",
        "1981-12-18",
    ]));
    for ignore in [false, true] {
        let e = map_header(&s, &line, &at, ignore).expect_err("refused");
        assert!(matches!(e, FileError::RecordOnHeaderLine { cells: 8, .. }), "{e}");
        let text = e.to_string();
        assert!(
            !text.contains("9876") && !text.contains("Anna") && !text.contains("1981"),
            "{text}"
        );
    }
    let mut extra: Vec<String> = s.columns.iter().map(|c| c.name.clone()).collect();
    extra.extend(cells(&["Kommentar", "1981-12-18"]));
    let text = map_header(&s, &extra, &at, false).expect_err("extra").to_string();
    assert!(
        text.contains("Kommentar, and 1 more whose header looks like an answer (not shown)")
            && !text.contains("1981"),
        "{text}"
    );
    assert!(
        map_header(&s, &extra, &at, true).is_ok(),
        "two extra cells are ignored on request"
    );
}

/// A `|`-separated file, and a `sep=;` line above a comma-separated one, read as one
/// column: the message names the separator, not the header's place.
#[test]
fn a_header_in_another_separator_is_told_as_such() {
    let s = schema();
    let at = Place {
        path: "a.csv".into(),
        sheet: None,
        header_line: 1,
    };
    for (line, sep) in [
        ("org_id|record_id|report_year|contact_kind", '|'),
        ("org_id,record_id,report_year", ','),
    ] {
        match map_header(&s, &cells(&[line]), &at, false).expect_err("refused") {
            FileError::WrongSeparator { separator, .. } => assert_eq!(separator, sep),
            other => panic!("not WrongSeparator: {other}"),
        }
    }
    // A header with a comma in one name is not taken for one.
    let one = map_header(&s, &cells(&["org_id", "record_id", "x,y"]), &at, false).expect_err("refused");
    assert!(matches!(one, FileError::MissingColumns { .. }), "{one}");
}

/// What forms add to a column's name is passed over (an outside review's file lost three
/// columns to `--ignore-extra-columns`); Excel's names for a table's unnamed columns read
/// as columns without a header; a misspelt column is refused with the column it is near.
#[test]
fn hints_in_column_names_are_passed_over_and_misspellings_named() {
    let s = schema();
    let at = Place {
        path: "a.csv".into(),
        sheet: None,
        header_line: 1,
    };
    let head = |extra: &[&str]| {
        let mut h = cells(&["org_id", "record_id", "report_year", "contact_kind"]);
        h.extend(cells(extra));
        h
    };
    let map = map_header(
        &s,
        &head(&[
            "Födelsedatum (ÅÅÅÅ-MM-DD)",
            "personal_number\n(ÅÅÅÅMMDD-XXXX)",
            "Kön*",
            "Kolumn1",
            "Column12",
        ]),
        &at,
        false,
    )
    .expect("read");
    let at_col = |name: &str| s.column_index(name).and_then(|i| map.source[i]);
    assert_eq!(
        (at_col("birth_date"), at_col("personal_number"), at_col("gender")),
        (Some(4), Some(5), Some(6))
    );
    assert_eq!(map.blank, [7, 8]);
    assert!(map.ignored.is_empty());
    // A hint alone, or a bracket around everything, names no column.
    for other in ["(ÅÅÅÅ-MM-DD)", "Kolumn", "Kolumn1a", "Anteckning (fritext)"] {
        let e = map_header(&s, &head(&[other]), &at, false).expect_err(other);
        assert!(matches!(e, FileError::ExtraColumns { .. }), "{other}: {e}");
    }
    let e = map_header(&s, &head(&["gendr", "Anteckning"]), &at, false)
        .expect_err("misspelt")
        .to_string();
    assert!(
        e.contains("gendr (is gender meant?) seem to be contract columns")
            && e.contains("the other unknown column(s) Anteckning are no contract column's"),
        "{e}"
    );
}
