//! The guards and the errors: files under other keys, years or encodings, copies, missing or
//! loose keys, each refused naming the files; the duplicate cross-check adds up.

use super::*;

/// Records without a name or personal number can never be linked: the link report says how
/// many, and what that does to the counts (an outside review blanked every identifier and got
/// no word of it).
#[test]
fn records_without_identifiers_are_counted_and_warned_of() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("in");
    two_orgs(
        &input,
        &[
            ("SAMPLE01", "a1", "Anna", "Svensson", "1981-12-18", ""),
            ("SAMPLE01", "a2", "", "", "1990-01-02", ""),
            ("SAMPLE02", "b1", "", "", "1990-01-02", ""),
            ("SAMPLE02", "b2", "", "", "", ""),
        ],
    );
    let (key, _) = test_key(tmp.path(), "noid");
    let report = run_to_link(&input, &tmp.path().join("w"), &key);
    assert_eq!(report.records_without_identifiers, Some(3));
    let summary = report.summary();
    assert!(
        summary.contains("3 record(s) (75%) carry no identifier to link by"),
        "{summary}"
    );
    // With every record named, no warning.
    let named = tmp.path().join("named");
    two_orgs(
        &named,
        &[
            ("SAMPLE01", "a1", "Anna", "Svensson", "1981-12-18", ""),
            ("SAMPLE02", "b1", "Bo", "Ek", "", ""),
        ],
    );
    let report = run_to_link(&named, &tmp.path().join("w2"), &key);
    assert_eq!(report.records_without_identifiers, Some(0));
    assert!(!report.summary().contains("Warning"), "{}", report.summary());
}

/// Persons are counted one report year at a time: files of two years are refused naming
/// each year's files (an outside review linked 2023's and 2024's files into one set of
/// persons, which only aggregate then refused).
#[test]
fn files_of_two_report_years_are_refused_with_their_names() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("pseudo");
    let (key, _) = test_key(tmp.path(), "one");
    for (org, year) in [("SAMPLE01", "2024"), ("SAMPLE02", "2023"), ("SAMPLE03", "2024")] {
        let row = row_with(&[("org_id", org), ("report_year", year)]);
        pseudonymise_row(tmp.path(), &out, row, &key);
    }
    let e = load(&schema(), &out)
        .err()
        .expect("two years refused")
        .to_string();
    assert!(
        e.contains("year 2023: SAMPLE02.parquet; year 2024: SAMPLE01.parquet, SAMPLE03.parquet")
            && e.contains("one report year at a time"),
        "{e}"
    );
    std::fs::remove_file(out.join("SAMPLE02.parquet")).expect("remove");
    assert!(load(&schema(), &out).is_ok(), "one year links");
}

#[test]
fn files_under_different_keys_are_refused_with_their_names() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let out = pseudonymised_orgs(tmp.path(), &[("SAMPLE01", "one"), ("SAMPLE02", "two")]);
    let e = load(&s, &out)
        .err()
        .expect("mixed keys must be refused")
        .to_string();
    assert!(
        e.contains("SAMPLE01.parquet") && e.contains("SAMPLE02.parquet") && e.contains("different keys"),
        "{e}"
    );
}

/// Files of safetally 0.7 (encoding 1, no `encoding` column) normalised Thai and Arabic-script
/// names otherwise: the same person has other keys there. Mixed with today's files they are
/// refused, naming both; on their own they still link.
#[test]
fn files_of_two_name_encodings_are_refused_with_their_names() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let out = pseudonymised_orgs(tmp.path(), &[("SAMPLE01", "one"), ("SAMPLE02", "one")]);
    assert!(load(&s, &out).is_ok(), "one encoding links");
    let as_version_one = |org: &str| {
        let path = out.join(format!("{org}.parquet"));
        let file = std::fs::File::open(&path).expect("open");
        let mut df = ParquetReader::new(file).finish().expect("read");
        assert!(
            df.column(safetally::pseudonymise::ENCODING).is_ok(),
            "written by pseudonymise"
        );
        df = df.drop(safetally::pseudonymise::ENCODING).expect("drop");
        ParquetWriter::new(std::fs::File::create(&path).expect("create"))
            .finish(&mut df)
            .expect("write");
    };
    as_version_one("SAMPLE01");
    let e = load(&s, &out)
        .err()
        .expect("mixed encodings must be refused")
        .to_string();
    assert!(
        e.contains("encoding 1 (no encoding column: safetally 0.7 or earlier): SAMPLE01.parquet")
            && e.contains(&format!(
                "encoding {}: SAMPLE02.parquet",
                safetally::pseudonymise::ENCODING_VERSION
            ))
            && e.contains("the organisations of SAMPLE01.parquet must pseudonymise again"),
        "{e}"
    );
    as_version_one("SAMPLE02");
    assert!(load(&s, &out).is_ok(), "files of encoding 1 alone still link");
}

#[test]
fn a_pseudonymised_file_sent_twice_is_refused_naming_both_copies() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    let rows = [
        row_with(&[]),
        row_with(&[("record_id", "R2"), ("personal_number", "")]),
    ];
    write(&input, "a.csv", csv_text(&header(), &rows, b','));
    let (_, ingested) = ingest(&input, &Default::default());
    let (key, _) = test_key(tmp.path(), "twice");
    let out = tmp.path().join("pseudo");
    std::fs::create_dir_all(&out).expect("mkdir");
    let p = safetally::progress::Progress::hidden();
    safetally::pseudonymise::pseudonymise_dir(&s, &key, &ingested.path().join("validated"), &out, &p)
        .expect("pseudonymise");
    assert_eq!(load(&s, &out).expect("one copy links").len(), 2);
    std::fs::copy(out.join("SAMPLE01.parquet"), out.join("SAMPLE01-again.parquet")).expect("copy");
    let e = load(&s, &out)
        .err()
        .expect("a second copy must be refused")
        .to_string();
    assert!(
        e.contains("SAMPLE01.parquet")
            && e.contains("SAMPLE01-again.parquet")
            && e.contains("2 of the same records"),
        "{e}"
    );
    // A copy of the same name in a subfolder is named by its place, not twice by one name.
    std::fs::remove_file(out.join("SAMPLE01-again.parquet")).expect("remove");
    std::fs::create_dir_all(out.join("old")).expect("mkdir");
    std::fs::copy(out.join("SAMPLE01.parquet"), out.join("old/SAMPLE01.parquet")).expect("copy");
    let e = load(&s, &out).err().expect("refused").to_string();
    assert!(
        e.contains("old/SAMPLE01.parquet and SAMPLE01.parquet")
            || e.contains("SAMPLE01.parquet and old/SAMPLE01.parquet"),
        "{e}"
    );
}

#[test]
fn missing_loose_and_short_keys_and_empty_inputs_are_clear_errors() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = safetally::key::LinkageKey::load(&tmp.path().join("nope.key"))
        .expect_err("missing")
        .to_string();
    assert!(
        missing.contains("nope.key") && missing.contains("safetally keygen"),
        "{missing}"
    );
    let (_, path) = test_key(tmp.path(), "loose");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let loose = safetally::key::LinkageKey::load(&path)
        .expect_err("loose")
        .to_string();
    assert!(loose.contains("chmod 600"), "{loose}");
    let short = tmp.path().join("short.key");
    std::fs::write(&short, "00112233\n").expect("write");
    std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let e = safetally::key::LinkageKey::load(&short)
        .expect_err("short")
        .to_string();
    assert!(e.contains("32 bits") && e.contains("256"), "{e}");
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let e = load(&schema(), &empty).err().expect("empty input").to_string();
    assert!(e.contains("no pseudonymised files"), "{e}");
}

#[test]
fn wrong_key_finds_no_truth() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "right");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let r = load(&schema(), &tmp.path().join("work/02-pseudonymise")).expect("load");
    let (wrong, _) = test_key(tmp.path(), "wrong");
    // Record keys made under another key match nothing, and figures over no record would
    // read as perfect linkage: refused, saying why.
    let e = truth_for_records(&wrong, &bundled().join("truth/records.parquet"), &r)
        .expect_err("no record found is an error")
        .to_string();
    assert!(e.contains("none of the 476") && e.contains("key"), "{e}");
    // A larger sample numbers its records as this one does, so its truth names every record
    // here, with other persons: refused too.
    let cfg = safetally::sample::SampleConfig {
        persons: 3000,
        seed: 5,
        ..Default::default()
    };
    let larger = tmp.path().join("larger");
    safetally::sample::generate(&schema(), &cfg, &larger, &safetally::progress::Progress::hidden())
        .expect("generate");
    let e = truth_for_records(&key, &larger.join("truth/records.parquet"), &r)
        .expect_err("another, larger sample's truth is an error")
        .to_string();
    assert!(e.contains("larger sample"), "{e}");
    // A truth that names only some of the records (its first 200 rows) is refused as well.
    let mut part = read_parquet(&bundled().join("truth/records.parquet")).head(Some(200));
    let partial = tmp.path().join("partial.parquet");
    polars::prelude::ParquetWriter::new(std::fs::File::create(&partial).expect("create"))
        .finish(&mut part)
        .expect("write");
    let e = truth_for_records(&key, &partial, &r)
        .expect_err("a truth naming part of the records is an error")
        .to_string();
    assert!(e.contains("are not in"), "{e}");
    assert!(truth_for_records(&key, &bundled().join("truth/records.parquet"), &r).is_ok());
}

#[test]
fn duplicate_cross_check_adds_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "t21");
    let report = run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let link = tmp.path().join("work/03-link");
    let mut rdr = csv::Reader::from_path(link.join("T21_persons_by_organisations.csv")).expect("csv");
    let total: u64 = rdr
        .records()
        .map(|r| r.expect("row")[1].parse::<u64>().expect("count"))
        .sum();
    assert_eq!(total, report.persons);
    let mut m = csv::Reader::from_path(link.join("T21_organisation_overlap.csv")).expect("csv");
    let rows: Vec<csv::StringRecord> = m.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 25);
    let persons = read_parquet(&link.join("persons.parquet"));
    for (i, row) in rows.iter().enumerate() {
        let diag: u64 = row[i + 1].parse().expect("n");
        let org = &row[0];
        let orgs = strings(&persons, "orgs");
        let expected = orgs
            .iter()
            .flatten()
            .filter(|o| o.split(';').any(|x| x == org))
            .count() as u64;
        assert_eq!(diag, expected, "{org}");
        for (j, cell) in row.iter().skip(1).enumerate() {
            assert_eq!(cell, &rows[j][i + 1], "the matrix is symmetric");
        }
    }
}
