//! Entries that are not files, Parquet columns of other types, years and organisations that
//! do not fit the file, and hidden files.

use super::*;

#[test]
fn entries_that_are_not_files_fail_alone_and_the_stage_still_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "good.csv",
        csv_text(&header(), &[row_with(&[])], b','),
    );
    std::os::unix::fs::symlink(dir.path().join("gone.csv"), dir.path().join("broken.csv")).expect("link");
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).expect("link");
    let fifo = std::process::Command::new("mkfifo")
        .arg(dir.path().join("pipe.csv"))
        .status()
        .is_ok_and(|s| s.success());
    let work = tempfile::tempdir().expect("work");
    let w = safetally::stage::Workdir::new(work.path()).expect("workdir");
    let run = safetally::run::ingest_stage(
        &schema(),
        &w,
        dir.path(),
        &IngestOptions::default(),
        &safetally::progress::Progress::hidden(),
        true,
    )
    .expect("the stage runs (hashing its inputs neither fails nor waits on a pipe)");
    let report = run.result;
    assert_eq!(report.totals.accepted, 1, "{}", report.to_text());
    let err = |f: &str| file_error(&report, f);
    assert!(err("broken.csv").contains("broken link"), "{}", report.to_text());
    assert!(err("loop").contains("not followed"), "{}", report.to_text());
    if fifo {
        assert!(err("pipe.csv").contains("pipe"), "{}", report.to_text());
    }
}

#[test]
fn parquet_columns_of_types_ingest_cannot_read_are_named_or_left_out() {
    let dir = folder_with(&fixture("decimal-personal-number.parquet"), "SAMPLE01.parquet");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    let e = report.files[0].error.clone().unwrap_or_default();
    assert!(
        e.contains("\"personal_number\"") && e.contains("decimal") && e.contains("text"),
        "a contract column of a type ingest cannot read is named, with the fix: {e}"
    );

    // pandas' float year reads as a year; a decimal column the contract does not have is
    // left out when extra columns are ignored.
    let dir = folder_with(&fixture("float-year-decimal-extra.parquet"), "SAMPLE01.parquet");
    let opts = IngestOptions {
        ignore_extra_columns: true,
        ..Default::default()
    };
    let (report, out) = ingest(dir.path(), &opts);
    assert_counts(&report, 2, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "report_year"), vec![Some("2024".to_string()); 2]);
}

#[test]
fn parquet_dates_and_timestamps_read_as_dates_and_a_time_of_day_is_shown_not_cut_off() {
    // Made with pyarrow: birth_date as date32 (1990-05-04 and a null), and as timestamp[ns]
    // (1985-02-03 at midnight, and at 13:45).
    let dir = folder_with(&fixture("date32-birth-date.parquet"), "SAMPLE01.parquet");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(
        strings(&df, "birth_date"),
        vec![Some("1990-05-04".to_string()), None]
    );

    let dir = folder_with(&fixture("timestamp-birth-date.parquet"), "SAMPLE01.parquet");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 1);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "birth_date"), vec![Some("1985-02-03".to_string())]);
    let q = quarantine(out.path(), "SAMPLE01");
    assert!(
        q.iter().any(|(line, col, rule, value)| *line == 2
            && col == "birth_date"
            && rule == "bad_date"
            && value == "1985-02-03 13:45:00"),
        "{q:?}"
    );
}

#[test]
fn parquet_small_integer_years_are_read_as_their_digits() {
    // Made with pyarrow: report_year as int16 (2024, -2024), and as uint8 (24 and a null), as
    // pandas writes a year after `downcast`.
    let dir = folder_with(&fixture("int16-year.parquet"), "SAMPLE01.parquet");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 1);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "report_year"), vec![Some("2024".to_string())]);
    let q = quarantine(out.path(), "SAMPLE01");
    assert!(
        q.iter()
            .any(|(line, col, _, v)| *line == 2 && col == "report_year" && v == "-2024"),
        "{q:?}"
    );

    let dir = folder_with(&fixture("uint8-year.parquet"), "SAMPLE01.parquet");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 0, 2);
    let q = quarantine(out.path(), "SAMPLE01");
    let years: Vec<(i64, &str, &str)> = q
        .iter()
        .filter(|p| p.1 == "report_year")
        .map(|p| (p.0, p.2.as_str(), p.3.as_str()))
        .collect();
    assert!(
        years.iter().any(|y| y.0 == 1 && y.2 == "24"),
        "the value as stored: {years:?}"
    );
    assert!(
        years.iter().any(|y| y.0 == 2 && y.1 == "required_value"),
        "a null is empty: {years:?}"
    );
}

#[test]
fn a_future_report_year_is_refused_and_mixed_years_are_warned_about() {
    let next = (safetally::dates::current_year() + 1).to_string();
    let rows = [
        row_with(&[]),
        row_with(&[
            ("record_id", "R2"),
            ("report_year", "2023"),
            ("birth_date", ""),
            ("personal_number", ""),
        ]),
        row_with(&[("record_id", "R3"), ("report_year", &next)]),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &rows, b','));
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 1);
    assert!(
        problems(out.path())
            .iter()
            .any(|p| p.1 == 4 && p.2 == "bad_year" && p.3.contains("future")),
        "{:?}",
        problems(out.path())
    );
    let summary = report.summary();
    assert!(
        summary.contains("several report years")
            && summary.contains("2023 (1 row(s): ")
            && summary.contains(": 1 in a.csv, line 3), 2024 (1 row(s))"),
        "{summary}"
    );
}

#[test]
fn rows_naming_another_organisation_than_the_files_are_pointed_out() {
    let rows = [
        row_with(&[]),
        row_with(&[("record_id", "R2")]),
        row_with(&[("record_id", "R3"), ("org_id", "SAMPLE02")]),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &rows, b','));
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_eq!(report.orgs["SAMPLE02"].accepted, 1);
    let notes = report.files[0].notes.join("\n");
    assert!(
        notes.contains("1 accepted row(s) name organisation SAMPLE02"),
        "{notes}"
    );
    // On the terminal too, not only in the report: one slip in the drop-down adds a person to
    // another organisation's figures.
    let summary = report.summary();
    assert!(
        summary
            .contains("Warning: a.csv: 1 accepted row(s) name organisation SAMPLE02 in org_id, not SAMPLE01"),
        "{summary}"
    );
}

#[test]
fn hidden_files_that_look_like_submissions_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = csv_text(&header(), &[row_with(&[])], b',');
    let big = csv_text(&header(), &vec![row_with(&[]); 10], b',');
    assert!(big.len() > 1024);
    std::fs::create_dir(dir.path().join(".sync")).expect("mkdir");
    for (name, text) in [
        ("a.csv", good.as_str()),
        (".SAMPLE02.csv", good.as_str()),
        ("~$lock.xlsx", "owner"),
        ("~$big.csv", big.as_str()),
        ("._a.csv", "shadow"),
        (".DS_Store", "x"),
        (".sync/SAMPLE03.csv", good.as_str()),
    ] {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 0);
    let warning = report
        .warnings
        .iter()
        .find(|w| w.contains("hidden file(s) not read"))
        .unwrap_or_else(|| panic!("{:?}", report.warnings));
    assert!(
        warning.starts_with("3 hidden file(s) not read: .SAMPLE02.csv, .sync/SAMPLE03.csv, ~$big.csv ("),
        "{warning}"
    );
    // A work folder being made inside the folder (its stage still in its staging folder)
    // holds this tool's own files: not named (an outside review saw them in the warning).
    let staging = dir.path().join("work/.01-ingest.tmp-4242/validated");
    std::fs::create_dir_all(&staging).expect("mkdir");
    std::fs::write(staging.join("SAMPLE01.parquet"), "x").expect("write");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert!(
        report.warnings.iter().any(|w| w.starts_with("3 hidden file(s)")),
        "{:?}",
        report.warnings
    );
}
