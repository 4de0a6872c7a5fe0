//! `run` stops after ingest when the submissions need the user first, saying why.

use super::*;

/// `run` publishes nothing while a file could not be read: the release would miss that
/// organisation's records and spend the year's budget or its one exact release on them (an
/// outside review published a year this way, then could not publish the mended file).
#[test]
fn run_stops_after_ingest_when_a_file_could_not_be_read() {
    let input = submissions();
    let work_dir = tempfile::tempdir().expect("tempdir");
    let work = Workdir::new(work_dir.path()).expect("workdir");
    let s = schema();
    let opts = IngestOptions::default();
    let good = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("good");
    assert_eq!(
        safetally::run::stop_after_ingest(&s, &good.result, (&good.dir, input.path()), false),
        None,
        "every file read: the run goes on"
    );
    let mut extra = header();
    extra.push("Kommentar".to_string());
    let mut row = row_with(&[("org_id", "SAMPLE02")]);
    row.push("x".to_string());
    write(input.path(), "b.csv", csv_text(&extra, &[row], b','));
    let bad = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("bad");
    assert_eq!(
        (bad.result.totals.failed_files, bad.result.totals.accepted),
        (1, 1)
    );
    let why = safetally::run::stop_after_ingest(&s, &bad.result, (&bad.dir, input.path()), false)
        .expect("a file not read stops the run");
    assert!(why.contains("could not be read (b.csv)"), "{why}");
}

/// A file read whose every row was quarantined stops the run like a file not read, naming it
/// and its organisation: an outside review published a year without its largest member, whose
/// rows all clashed with a copy left beside the file (exit status 0, a warning mid-output).
#[test]
fn run_stops_after_ingest_when_every_row_of_a_file_was_quarantined() {
    let input = submissions();
    let work_dir = tempfile::tempdir().expect("tempdir");
    let work = Workdir::new(work_dir.path()).expect("workdir");
    let s = schema();
    let opts = IngestOptions::default();
    let rows: Vec<Vec<String>> = ["1", "2"]
        .iter()
        .map(|id| row_with(&[("org_id", "SAMPLE02"), ("record_id", id), ("gender", "zebra")]))
        .collect();
    write(input.path(), "b.csv", csv_text(&header(), &rows, b','));
    let bad = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("bad");
    assert_eq!(
        (bad.result.totals.accepted, bad.result.totals.quarantined),
        (1, 2)
    );
    let why = safetally::run::stop_after_ingest(&s, &bad.result, (&bad.dir, input.path()), false)
        .expect("a file with no row accepted stops the run");
    assert!(
        why.contains("every row of 1 file(s) was quarantined: b.csv (SAMPLE02, 2 row(s))"),
        "{why}"
    );
    // One row of the file accepted: the run goes on (partly quarantined files are the norm).
    let mut rows = rows;
    rows.push(row_with(&[("org_id", "SAMPLE02"), ("record_id", "3")]));
    write(input.path(), "b.csv", csv_text(&header(), &rows, b','));
    let part = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("part");
    assert_eq!(part.result.totals.accepted, 2);
    assert_eq!(
        safetally::run::stop_after_ingest(&s, &part.result, (&part.dir, input.path()), false),
        None
    );
}

/// A file sent twice: every row of the copy repeats the original cell for cell. The run stops
/// saying so and that nothing is missing (it said the copy's records "would be missing", and
/// rows related to them were noted as pointing at quarantined rows, an outside probe); with
/// --accept-quarantine it goes on, each record counted once.
#[test]
fn run_stops_on_a_file_sent_twice_saying_nothing_is_missing() {
    // The bundled SAMPLE01.csv: related rows, and two rows quarantined for their own problems.
    let input = tempfile::tempdir().expect("tempdir");
    let original =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions/SAMPLE01.csv");
    for name in ["SAMPLE01.csv", "SAMPLE01-again.csv"] {
        std::fs::copy(&original, input.path().join(name)).expect("copy");
    }
    let s = schema();
    let (_work_dir, run) = ingest_once(input.path());
    let copy = run
        .result
        .files
        .iter()
        .find(|f| f.accepted == 0)
        .expect("one of the two is the copy");
    assert_eq!((copy.repeated_rows, copy.lost_rows()), (copy.rows_in, 0));
    let others: Vec<&String> = run
        .result
        .files
        .iter()
        .flat_map(|f| &f.notes)
        .filter(|n| n.contains("name in related_record_id a row that was quarantined"))
        .collect();
    assert!(others.is_empty(), "{others:?}");
    let why = safetally::run::stop_after_ingest(&s, &run.result, (&run.dir, input.path()), false)
        .expect("a copy stops the run");
    assert!(
        why.contains(&format!(
            "every row of {} repeats a row of another file",
            copy.file
        )) && why.contains("nothing is missing")
            && !why.contains("would be missing"),
        "{why}"
    );
    assert_eq!(
        safetally::run::stop_after_ingest(&s, &run.result, (&run.dir, input.path()), true),
        None
    );
}

/// A hidden file that looks like a submission (`.SAMPLE02.csv`, renamed so by a sync tool) is
/// not read; `run` stops as for a file it could not read, since the organisation's records
/// would be missing (an outside review's code review: it only warned, and `run` published).
#[test]
fn run_stops_after_ingest_when_a_hidden_file_looks_like_a_submission() {
    let input = submissions();
    let s = schema();
    let rows = vec![row_with(&[("org_id", "SAMPLE02"), ("record_id", "1")])];
    write(input.path(), ".SAMPLE02.csv", csv_text(&header(), &rows, b','));
    let (_work_dir, run) = ingest_once(input.path());
    let why = safetally::run::stop_after_ingest(&s, &run.result, (&run.dir, input.path()), true)
        .expect("a hidden submission stops the run, --accept-quarantine or not");
    assert!(
        why.contains("1 hidden file(s) that look like submissions were not read (.SAMPLE02.csv)"),
        "{why}"
    );
}

/// Many rows of a file quarantined stop the run, naming the file and the rules, unless the
/// user accepts the loss: an outside review's birth dates held a time of day, 33 of 36 rows
/// went, and `run` published the year's exact release of 33 persons instead of 60, exit 0.
#[test]
fn run_stops_after_ingest_when_many_rows_of_a_file_were_quarantined() {
    let input = submissions();
    let work_dir = tempfile::tempdir().expect("tempdir");
    let work = Workdir::new(work_dir.path()).expect("workdir");
    let s = schema();
    let opts = IngestOptions::default();
    let rows: Vec<Vec<String>> = (1..=10)
        .map(|i| {
            let id = i.to_string();
            let gender = if i <= 3 { "zebra" } else { "woman" };
            row_with(&[("org_id", "SAMPLE02"), ("record_id", &id), ("gender", gender)])
        })
        .collect();
    write(input.path(), "b.csv", csv_text(&header(), &rows, b','));
    let bad = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("bad");
    assert_eq!(bad.result.totals.quarantined, 3);
    let why = safetally::run::stop_after_ingest(&s, &bad.result, (&bad.dir, input.path()), false)
        .expect("a third of a file quarantined stops the run");
    assert!(
        why.contains(
            "3 of 11 rows were quarantined (b.csv, SAMPLE02: 3 of 10 rows), most for unknown_code (3)"
        ) && why.contains("--accept-quarantine"),
        "{why}"
    );
    assert_eq!(
        safetally::run::stop_after_ingest(&s, &bad.result, (&bad.dir, input.path()), true),
        None,
        "accepted: the run goes on"
    );
    // Two of ten are typos, not one problem: the run goes on.
    let mut rows = rows;
    rows[0] = row_with(&[("org_id", "SAMPLE02"), ("record_id", "1")]);
    write(input.path(), "b.csv", csv_text(&header(), &rows, b','));
    let few = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("few");
    assert_eq!(few.result.totals.quarantined, 2);
    assert_eq!(
        safetally::run::stop_after_ingest(&s, &few.result, (&few.dir, input.path()), false),
        None
    );
}

/// Rows of two report years stop the run, naming the years, not every other warning.
#[test]
fn run_stops_after_ingest_on_rows_of_several_years_naming_them() {
    let input = submissions();
    write(
        input.path(),
        "b.csv",
        csv_text(
            &header(),
            &[row_with(&[
                ("record_id", "R7"),
                ("report_year", "2023"),
                ("org_id", "SAMPLE02"),
            ])],
            b',',
        ),
    );
    let s = schema();
    let (_work_dir, run) = ingest_once(input.path());
    let why =
        safetally::run::stop_after_ingest(&s, &run.result, (&run.dir, input.path()), false).expect("stops");
    assert!(why.contains("several report years (2023, 2024)"), "{why}");
}
