//! The organisations' template: a file filled in from it, with values picked from its own
//! drop-down lists, ingests cleanly.

use calamine::{Reader, Xlsx, open_workbook};
use safetally::ingest::IngestOptions;
use safetally::template::{CODES_SHEET, DATA_SHEET, HELP_SHEET, write_template};
use safetally_tests::*;

#[test]
fn a_file_filled_in_from_the_template_ingests_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let template = dir.path().join("mall.xlsx");
    write_template(&s, &template).expect("template");
    let mut wb: Xlsx<_> = open_workbook(&template).expect("open");
    assert_eq!(
        wb.sheet_names(),
        vec![DATA_SHEET, HELP_SHEET, CODES_SHEET],
        "the data sheet comes first"
    );
    let header: Vec<String> = wb
        .worksheet_range(DATA_SHEET)
        .expect("data")
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let contract: Vec<String> = s.columns.iter().map(|c| c.name.clone()).collect();
    assert_eq!(header, contract);
    let help = wb.worksheet_range(HELP_SHEET).expect("help");
    assert_eq!(help.height(), s.columns.len() + 1, "one explanation per column");
    // The drop-down lists: column name, then the offered values.
    let codes = wb.worksheet_range(CODES_SHEET).expect("codes");
    let rows: Vec<Vec<String>> = codes
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let pick = |column: &str, label: &str| -> String {
        let k = rows[0]
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("no list for {column}"));
        let offered: Vec<&String> = rows[1..]
            .iter()
            .map(|r| &r[k])
            .filter(|v| !v.is_empty())
            .collect();
        assert!(offered.iter().any(|v| *v == label), "{column} offers {label}");
        label.to_string()
    };
    let row1: Vec<(&str, String)> = vec![
        ("org_id", pick("org_id", "TALITA")),
        ("record_id", "A-17".into()),
        ("report_year", "2024".into()),
        ("contact_kind", pick("contact_kind", "Potentiellt direkt utsatt")),
        ("given_name", "Maria".into()),
        ("family_name", "Ionescu".into()),
        ("birth_date", "1994-05-02".into()),
        ("gender", pick("gender", "Kvinna")),
        ("age_group", pick("age_group", "Vuxen")),
        ("country_of_birth", pick("country_of_birth", "Rumänien")),
        (
            "exploitation_forms",
            pick("exploitation_forms", "Sexuell exploatering"),
        ),
        (
            "exploitation_countries",
            pick("exploitation_countries", "Sverige"),
        ),
        ("identified_by", pick("identified_by", "Polis")),
        (
            "national_support_programme",
            pick("national_support_programme", "Ja"),
        ),
        ("police_report", pick("police_report", "Ja")),
        (
            "reported_offences",
            pick("reported_offences", "Människohandel (BrB 4:1a)"),
        ),
        ("legal_status", pick("legal_status", "Förundersökning pågår")),
    ];
    // Filled in as a member would: the template's sheet and header, values from its lists.
    let filled = dir.path().join("in");
    std::fs::create_dir(&filled).expect("dir");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet().set_name(DATA_SHEET).expect("sheet");
    for (i, h) in header.iter().enumerate() {
        ws.write_string(0, i as u16, h).expect("header");
    }
    for (k, v) in &row1 {
        let col = header.iter().position(|h| h == k).expect("column");
        ws.write_string(1, col as u16, v).expect("cell");
    }
    book.save(filled.join("talita.xlsx")).expect("save");
    let (report, _out) = ingest(&filled, &IngestOptions::default());
    assert_eq!(report.totals.rows_in, 1);
    assert_eq!(report.totals.quarantined, 0, "{}", report.to_text());
    assert_eq!(report.totals.accepted, 1);
    // Every value taken from the lists is a label read as its code: the summary says so,
    // rather than leaving a member to wonder what was wrong with a file filled in right.
    assert!(report.totals.normalised_values >= 10);
    assert_eq!(
        report.totals.labels_read,
        report.totals.normalised_values,
        "{}",
        report.to_text()
    );
    assert!(
        report
            .summary()
            .contains("all of them codes' labels as the template's lists write them")
    );
}

#[test]
fn the_templates_instructions_and_code_lists_are_not_read_as_records() {
    // Koder's first row names org_id and contact_kind, as the titles of their lists: it must
    // not be taken for a sheet of records with a bad header.
    let dir = tempfile::tempdir().expect("tempdir");
    write_template(&schema(), &dir.path().join("mall.xlsx")).expect("template");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_eq!(report.files.len(), 1, "{}", report.to_text());
    let e = file_error(&report, "mall.xlsx");
    assert!(
        e.contains(&format!("mall.xlsx, sheet \"{DATA_SHEET}\"")) && e.contains("no data rows"),
        "the empty data sheet fails by name, alone: {e}"
    );
}

/// The country columns' lists warn instead of stopping: their help says an ISO code (SE) is
/// as good as the country's name, which a list that stops other entries would refuse. The
/// other single-valued lists still stop.
#[test]
fn country_lists_accept_an_iso_code_and_other_lists_stop_other_entries() {
    use std::io::Read;
    let dir = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let template = dir.path().join("mall.xlsx");
    write_template(&s, &template).expect("template");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&template).expect("open")).expect("zip");
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .expect("data sheet")
        .read_to_string(&mut xml)
        .expect("xml");
    let letter = |name: &str| {
        let i = s.column_index(name).expect("column");
        char::from(b'A' + i as u8).to_string()
    };
    let rule = |name: &str| -> String {
        let at = format!("sqref=\"{}2:", letter(name));
        let end = xml.find(&at).expect("a validation on the column");
        let start = xml[..end].rfind("<dataValidation ").expect("its start");
        xml[start..end].to_string()
    };
    assert!(
        rule("country_of_birth").contains("errorStyle=\"information\""),
        "{}",
        rule("country_of_birth")
    );
    assert!(!rule("gender").contains("errorStyle"), "{}", rule("gender"));
}
