//! Restartable stages: unchanged inputs skip, a change, damage or interruption redoes, and
//! outputs changed by hand or made from older records are refused.

use super::*;

#[test]
fn rerun_with_unchanged_inputs_is_skipped_and_a_change_reruns() {
    let input = submissions();
    let work_dir = tempfile::tempdir().expect("tempdir");
    let work = Workdir::new(work_dir.path()).expect("workdir");
    let s = schema();
    let opts = IngestOptions::default();
    let first = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("first");
    assert!(!first.skipped);
    assert!(safetally::stage::manifest_path(&first.dir).is_file());
    let second = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("second");
    assert!(second.skipped);
    assert_eq!(second.result.totals.accepted, 1);

    write(
        input.path(),
        "b.csv",
        csv_text(&header(), &[row_with(&[("org_id", "SAMPLE02")])], b','),
    );
    let third = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("third");
    assert!(!third.skipped);
    assert_eq!(third.result.totals.accepted, 2);

    // Other parameters are other work.
    let opts2 = IngestOptions {
        ignore_extra_columns: true,
        ..Default::default()
    };
    assert!(
        !ingest_stage(&s, &work, input.path(), &opts2, &Progress::hidden(), false)
            .expect("fourth")
            .skipped
    );
}

#[test]
fn manifest_records_inputs_hashes_and_versions() {
    let input = submissions();
    let work_dir = tempfile::tempdir().expect("tempdir");
    let work = Workdir::new(work_dir.path()).expect("workdir");
    let run = ingest_stage(
        &schema(),
        &work,
        input.path(),
        &IngestOptions::default(),
        &Progress::hidden(),
        false,
    )
    .expect("run");
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(safetally::stage::manifest_path(&run.dir)).expect("read"),
    )
    .expect("json");
    assert_eq!(m["inputs"][0]["path"], "a.csv");
    assert_eq!(m["inputs"][0]["blake3"].as_str().map(str::len), Some(64));
    assert_eq!(m["schema_version"], schema().version.as_str());
    assert!(
        m["outputs"]
            .as_array()
            .is_some_and(|o| o.iter().any(|f| f["path"] == "validated/SAMPLE01.parquet"))
    );
    assert_eq!(m["summary"]["rows_in"], 1);
}

#[test]
fn damaged_or_interrupted_stage_is_redone() {
    let input = submissions();
    let work_dir = tempfile::tempdir().expect("tempdir");
    let work = Workdir::new(work_dir.path()).expect("workdir");
    let s = schema();
    let opts = IngestOptions::default();
    let run = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("run");
    // An output altered after the fact no longer matches the manifest.
    std::fs::write(run.dir.join("validated/SAMPLE01.parquet"), b"truncated").expect("damage");
    let again = ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("again");
    assert!(!again.skipped);
    assert_eq!(
        read_parquet(&again.dir.join("validated/SAMPLE01.parquet")).height(),
        1
    );
    // A crash leaves only a hidden temporary folder, which the next run replaces.
    std::fs::create_dir_all(work_dir.path().join(".01-ingest.tmp-1")).expect("tmp");
    std::fs::remove_file(safetally::stage::manifest_path(&again.dir)).expect("no manifest = incomplete");
    let after_crash =
        ingest_stage(&s, &work, input.path(), &opts, &Progress::hidden(), false).expect("after crash");
    assert!(!after_crash.skipped);
}

#[test]
fn a_stage_that_fails_on_changed_inputs_leaves_no_stale_output_for_the_next() {
    use safetally::run::link_stage;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "stale");
    let input = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    let work = tmp.path().join("work");
    run_to_link(&input, &work, &key);
    let w = Workdir::new(&work).expect("workdir");
    let linked = w.stage_dir(safetally::link::STAGE);
    assert!(linked.join("persons.parquet").exists());
    // One organisation's file is replaced by one under another key: link now fails.
    let pseudo = w.stage_dir(safetally::pseudonymise::STAGE);
    let other = tmp.path().join("other");
    let (key2, _) = test_key(tmp.path(), "another");
    let s = schema();
    safetally::pseudonymise::pseudonymise_dir(
        &s,
        &key2,
        &w.stage_dir(safetally::ingest::STAGE)
            .join(safetally::ingest::VALIDATED_DIR),
        &{
            std::fs::create_dir_all(&other).expect("mkdir");
            other.clone()
        },
        &Progress::hidden(),
    )
    .expect("pseudonymise under another key");
    std::fs::copy(other.join("SAMPLE04.parquet"), pseudo.join("SAMPLE04.parquet")).expect("copy");
    let spec = safetally::schema::LinkageSpec::load(&s).expect("spec");
    let params = safetally::link::LinkParams::from_spec(&spec);
    let e = link_stage(&s, &w, &pseudo, &params, &Progress::hidden(), false)
        .err()
        .expect("a file put in place of pseudonymise's own is refused");
    assert!(
        e.to_string()
            .contains("SAMPLE04.parquet changed since the 02-pseudonymise stage wrote it"),
        "{e}"
    );
    assert!(
        !linked.exists(),
        "the earlier persons no longer match the pseudonymised files and must not be counted"
    );
}

#[test]
fn a_stage_built_on_an_upstream_made_from_older_records_is_refused_naming_what_to_run() {
    use safetally::run::{aggregate_stage, ingest_stage};
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "chain");
    let input = bundled_copy(&tmp.path().join("submissions"), 0);
    let first_place = tmp.path().join("work");
    run_to_link(&input, &first_place, &key);
    aggregate_stage(
        &schema(),
        &Workdir::new(&first_place).expect("workdir"),
        &first_place.join(safetally::link::STAGE),
        false,
    )
    .expect("aggregate");
    // The work folder moved whole (renamed, or copied elsewhere): its stages still know they
    // read each other.
    let work = tmp.path().join("moved-work");
    std::fs::rename(&first_place, &work).expect("move the work folder");
    let (s, w) = (schema(), Workdir::new(&work).expect("workdir"));
    let linked = w.stage_dir(safetally::link::STAGE);
    assert!(aggregate_stage(&s, &w, &linked, false).expect("again").skipped);

    // Corrected submissions are ingested again, and aggregate is run straight after: its own
    // input (the persons) is unchanged, but they were linked from the older records.
    let first = std::fs::read_dir(&input)
        .expect("read")
        .flatten()
        .map(|e| e.path())
        .min()
        .expect("a file");
    std::fs::remove_file(&first).expect("remove");
    ingest_stage(
        &s,
        &w,
        &input,
        &IngestOptions::default(),
        &Progress::hidden(),
        false,
    )
    .expect("ingest again");
    let e = aggregate_stage(&s, &w, &linked, false)
        .err()
        .expect("counting persons linked from the older records is refused");
    let msg = e.to_string();
    assert!(
        msg.contains("02-pseudonymise was made from an earlier 01-ingest"),
        "{msg}"
    );
    assert!(msg.contains("safetally pseudonymise --key FILE --work"), "{msg}");
    // Link is refused the same way, before it reads the older pseudonymised files.
    let spec = safetally::schema::LinkageSpec::load(&s).expect("spec");
    let params = safetally::link::LinkParams::from_spec(&spec);
    let pseudo = w.stage_dir(safetally::pseudonymise::STAGE);
    let e = safetally::run::link_stage(&s, &w, &pseudo, &params, &Progress::hidden(), false)
        .err()
        .expect("link on older pseudonymised files");
    assert!(e.to_string().contains("earlier 01-ingest"), "{e}");
}

/// The check of upstream stages applies only to what a stage read from its own work folder:
/// a link of organisations' files from elsewhere (`--input`), or of files copied by hand into
/// the pseudonymise folder, as a platform does, then aggregated, is not refused.
#[test]
fn stages_made_from_files_brought_in_by_hand_are_not_refused_as_stale() {
    use safetally::run::{aggregate_stage, link_stage};
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "brought-in");
    let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    let s = schema();
    let spec = safetally::schema::LinkageSpec::load(&s).expect("spec");
    let params = safetally::link::LinkParams::from_spec(&spec);
    let p = Progress::hidden();
    // Another platform's pseudonymised files, made from fewer organisations.
    let fewer = bundled_copy(&tmp.path().join("fewer"), 2);
    let other = tmp.path().join("other");
    run_to_link(&fewer, &other, &key);
    let theirs = Workdir::new(&other)
        .expect("workdir")
        .stage_dir(safetally::pseudonymise::STAGE);

    let work = tmp.path().join("work");
    run_to_link(&bundled, &work, &key);
    let w = Workdir::new(&work).expect("workdir");
    let linked = w.stage_dir(safetally::link::STAGE);
    // Linked from another folder, then aggregated.
    link_stage(&s, &w, &theirs, &params, &p, false).expect("link --input elsewhere");
    aggregate_stage(&s, &w, &linked, false).expect("aggregate after a link of files from elsewhere");
    // The organisations' files copied over the work folder's own pseudonymised files.
    let own = w.stage_dir(safetally::pseudonymise::STAGE);
    std::fs::remove_dir_all(&own).expect("clear");
    std::fs::create_dir_all(&own).expect("mkdir");
    for e in std::fs::read_dir(&theirs).expect("read").flatten() {
        std::fs::copy(e.path(), own.join(e.file_name())).expect("copy");
    }
    link_stage(&s, &w, &own, &params, &p, false).expect("link of files copied in");
    aggregate_stage(&s, &w, &linked, false).expect("aggregate after a link of files copied in");
}

/// A file deleted by mistake from a stage folder left an organisation out of every later
/// table without a word (an outside review: 50 of 58 records linked, exit 0, published). It is
/// not refused, as files brought in by hand may be fewer, but it is told, by name, with the
/// command that writes it again.
#[test]
fn a_file_gone_from_a_stage_folder_is_warned_of_by_name() {
    use safetally::run::{aggregate_stage, link_stage};
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "gone");
    let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    let work = tmp.path().join("work");
    run_to_link(&bundled, &work, &key);
    let s = schema();
    let w = Workdir::new(&work).expect("workdir");
    let params =
        safetally::link::LinkParams::from_spec(&safetally::schema::LinkageSpec::load(&s).expect("spec"));
    let pseudo = w.stage_dir(safetally::pseudonymise::STAGE);
    let linked = link_stage(&s, &w, &pseudo, &params, &Progress::hidden(), false).expect("link");
    assert!(linked.skipped && linked.gone.is_none(), "{:?}", linked.gone);
    let all = linked.result.records;
    let mut files: Vec<_> = std::fs::read_dir(&pseudo)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".parquet"))
        .collect();
    files.sort();
    std::fs::remove_file(pseudo.join(&files[1])).expect("delete");
    let linked = link_stage(&s, &w, &pseudo, &params, &Progress::hidden(), false).expect("link");
    let warning = linked.gone.expect("a warning");
    assert!(
        warning.contains(&format!(
            "1 file(s) the 02-pseudonymise stage wrote here are gone ({})",
            files[1]
        )) && warning.contains("safetally pseudonymise")
            && warning.contains("--input"),
        "{warning}"
    );
    assert!(linked.result.records < all, "linked without the file");
    // The link's own output is whole: the stage after it has nothing to say.
    let agg = aggregate_stage(&s, &w, &linked.dir, false).expect("aggregate");
    assert!(agg.gone.is_none(), "{:?}", agg.gone);
    // With every file gone the link fails, and its error still tells why.
    for f in &files {
        let _ = std::fs::remove_file(pseudo.join(f));
    }
    let e = link_stage(&s, &w, &pseudo, &params, &Progress::hidden(), false)
        .err()
        .expect("nothing to link")
        .to_string();
    assert!(
        e.contains(&format!(
            "{} file(s) the 02-pseudonymise stage wrote here are gone",
            files.len()
        )),
        "{e}"
    );
}

/// A stage's output edited by hand, truncated or replaced is refused by the stage that reads
/// it, naming the file and the command that writes it again: an exact release must not show a
/// hidden cell set by hand, and link must not count a cut file (an outside review did both).
#[test]
fn a_stage_output_changed_by_hand_is_refused_by_the_stage_that_reads_it() {
    use safetally::run::{link_stage, publish_stage};
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().to_path_buf();
    full_pipeline(&work);
    let s = schema();
    let w = Workdir::new(&work).expect("workdir");
    let p = Progress::hidden();
    // A protected table with one byte changed: publish, even forced, refuses it.
    let protected = w.stage_dir(safetally::protect::STAGE);
    // A hidden small count of T02 set to "published, 1", as an outside review did: a valid
    // table that only the manifest's hash tells from protect's.
    let table = protected.join("T02.parquet");
    let original = std::fs::read(&table).expect("read");
    {
        use polars::prelude::*;
        let mut df = read_parquet(&table);
        let hidden = strings(&df, "status")
            .iter()
            .position(|s| s.as_deref() == Some("suppressed_small"))
            .expect("T02 hides a small count");
        let status: Vec<String> = strings(&df, "status")
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                if i == hidden {
                    "published".into()
                } else {
                    s.unwrap_or_default()
                }
            })
            .collect();
        let persons: Vec<Option<i64>> = df
            .column("persons")
            .expect("persons")
            .i64()
            .expect("int")
            .iter()
            .enumerate()
            .map(|(i, v)| if i == hidden { Some(1) } else { v })
            .collect();
        df.with_column(Column::new("status".into(), status))
            .expect("status");
        df.with_column(Column::new("persons".into(), persons))
            .expect("persons");
        ParquetWriter::new(std::fs::File::create(&table).expect("create"))
            .finish(&mut df)
            .expect("write");
    }
    // The register of exact releases must not record a release that was refused: the table
    // as protect wrote it would then be refused as a second release of the year.
    let register = tmp.path().join("register");
    for force in [false, true] {
        let e = publish_stage(&s, &w, &protected, Some(&register), force)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            std::fs::read_dir(&register).map_or(true, |mut d| d.next().is_none()),
            "a refused release was registered"
        );
        assert!(
            e.contains(&table.display().to_string())
                && e.contains("changed since the 05-protect stage wrote it")
                && e.contains("safetally protect"),
            "{e}"
        );
    }
    std::fs::write(&table, &original).expect("restore");
    publish_stage(&s, &w, &protected, Some(&register), true).expect("the table as protect wrote it");
    // A pseudonymised file cut short: link refuses it.
    let pseudo = w.stage_dir(safetally::pseudonymise::STAGE);
    let file = pseudo.join("SAMPLE01.parquet");
    let bytes = std::fs::read(&file).expect("read");
    std::fs::write(&file, &bytes[..bytes.len() - 100]).expect("cut");
    let params =
        safetally::link::LinkParams::from_spec(&safetally::schema::LinkageSpec::load(&s).expect("spec"));
    let e = link_stage(&s, &w, &pseudo, &params, &p, true)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("SAMPLE01.parquet changed since the 02-pseudonymise stage wrote it"),
        "{e}"
    );
}
