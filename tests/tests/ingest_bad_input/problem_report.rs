//! What the report and the problems workbook show: row, column and rule, never a refused
//! value that may identify a person.

use crate::support::*;

/// A block pasted one column over puts names, birth dates and personal numbers where answers
/// belong: the validation report (which may be forwarded) names row and column but never
/// repeats such a value, nor one near an answer (first names are near countries): a typo is
/// named by the answer it is near (outside reviews found `"Anna Svensson"`, `"19900305-1233"`,
/// then `"Nina" (is "Kina" meant?)` in the report).
#[test]
fn identifiers_in_answer_columns_are_not_repeated_but_typos_get_the_answer_they_are_near() {
    let rows = vec![
        row_with(&[("gender", "Anna Svensson")]),
        row_with(&[("record_id", "R2"), ("country_of_birth", "19900305-1233")]),
        row_with(&[("record_id", "R3"), ("report_year", "1990-03-05")]),
        row_with(&[("record_id", "R4"), ("org_id", "Lindqvist")]),
        row_with(&[
            ("record_id", "R5"),
            ("birth_date", "Lindqvist"),
            ("personal_number", ""),
        ]),
        row_with(&[("record_id", "R6"), ("identified_by", "Inna Gusev (tolk: Olga)")]),
        row_with(&[("record_id", "R7"), ("gender", "kvinnna")]),
        // First names near an answer (an outside review's finds).
        row_with(&[("record_id", "R8"), ("country_of_birth", "Nina")]),
        row_with(&[("record_id", "R9"), ("country_of_birth", "Malin")]),
    ];
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!(report.totals.quarantined, 9);
    let text = report.to_text();
    let json = std::fs::read_to_string(out.path().join("validation-report.json")).unwrap_or_default();
    for personal in [
        "Anna Svensson",
        "Svensson",
        "19900305",
        "1233",
        "1990-03-05",
        "Lindqvist",
        "Gusev",
        "Olga",
        "kvinnna",
        "Nina",
        "Malin",
    ] {
        assert!(!text.contains(personal), "{personal} in the report: {text}");
        assert!(!json.contains(personal), "{personal} in the JSON report");
    }
    for column in [
        "gender",
        "country_of_birth",
        "report_year",
        "org_id",
        "birth_date",
        "identified_by",
    ] {
        assert!(text.contains(&format!("column {column}:")), "{column}: {text}");
    }
    assert!(
        text.to_lowercase()
            .contains("a value close to \"kvinna\" (is that meant?)"),
        "{text}"
    );
}

/// Every problem is in a workbook staff can open in Excel, by file, line, record id, column
/// and rule with its Swedish and English text: the text report spells out the first 20, and
/// the full list was Parquet only (an outside review). The refused value is not in it.
#[test]
fn every_problem_is_listed_in_a_workbook_for_excel_without_its_value() {
    use calamine::{Reader, open_workbook_auto};
    let mut rows = vec![row_with(&[])];
    for i in 2..=26 {
        rows.push(row_with(&[
            ("record_id", &format!("R{i}")),
            ("gender", "Lindqvist"),
        ]));
    }
    let (report, out, _d) = one_file("a.csv", csv_text(&header(), &rows, b','));
    assert_eq!(report.totals.quarantined, 25);
    let text = report.to_text();
    assert!(
        text.contains("quarantine/SAMPLE01-problems.xlsx lists every row")
            && text.contains("lines 3-27 (25 rows), column gender"),
        "{text}"
    );
    let path = out
        .path()
        .join(safetally::ingest::QUARANTINE_DIR)
        .join("SAMPLE01-problems.xlsx");
    let mut book = open_workbook_auto(&path).expect("workbook");
    let sheet = book.worksheet_range("Problem").expect("sheet");
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(cells.len(), 26, "a header and every problem");
    assert_eq!(cells[0][1], "Rad / Line");
    assert_eq!(cells[25][1], "27", "the file's line of the last row");
    assert_eq!(cells[25][2], "R26");
    // The column by its contract name and Swedish label, and by the letter Excel shows above it
    // (staff see "Kön" in column J, not "gender"; an outside review).
    let gender = header().iter().position(|h| h == "gender").expect("gender");
    assert_eq!(cells[25][3], "gender (Kön)");
    assert_eq!(cells[25][4], char::from(b'A' + gender as u8).to_string());
    assert!(
        !cells[25][6].is_empty() && !cells[25][7].is_empty(),
        "{:?}",
        cells[25]
    );
    assert!(
        cells.iter().flatten().all(|c| !c.contains("Lindqvist")),
        "the refused value is not repeated"
    );
}

/// A file named after a member whose rows all lack org_id: its rows' problems go to that
/// member's workbook with a note saying so (an outside review found them filed under
/// UNATTRIBUTED, a workbook nobody is sent); a file whose name names no member keeps that.
#[test]
fn a_file_named_after_a_member_without_org_ids_has_its_problems_listed_for_that_member() {
    let rows: Vec<Vec<String>> = (1..=3)
        .map(|i| row_with(&[("record_id", &format!("R{i}")), ("org_id", "")]))
        .collect();
    let text = csv_text(&header(), &rows, b',');
    let (report, out, _d) = one_file("SAMPLE02.csv", text.clone());
    assert_eq!(report.totals.quarantined, 3);
    let quarantine = out.path().join(safetally::ingest::QUARANTINE_DIR);
    assert!(quarantine.join("SAMPLE02-problems.xlsx").exists());
    assert!(!quarantine.join("UNATTRIBUTED-problems.xlsx").exists());
    let notes = report.files[0].notes.join("\n");
    assert!(
        notes.contains("the file's name names SAMPLE02, so its rows' problems are listed under SAMPLE02"),
        "{notes}"
    );
    let (report, out, _d) = one_file("export.csv", text);
    assert_eq!(report.totals.quarantined, 3);
    let quarantine = out.path().join(safetally::ingest::QUARANTINE_DIR);
    assert!(quarantine.join("UNATTRIBUTED-problems.xlsx").exists());
}
