//! Stages on disk: a rerun with unchanged inputs is skipped, a changed input reruns, and an
//! interrupted run never leaves a stage that a later stage would read.

use safetally::ingest::IngestOptions;
use safetally::progress::Progress;
use safetally::run::ingest_stage;
use safetally::stage::Workdir;
use safetally_tests::*;

/// `input` ingested once with the default options into a fresh work folder (kept alive by
/// the returned directory).
fn ingest_once(
    input: &std::path::Path,
) -> (
    tempfile::TempDir,
    safetally::run::StageRun<safetally::ingest::IngestReport>,
) {
    let work_dir = tempfile::tempdir().expect("tempdir");
    let work = Workdir::new(work_dir.path()).expect("workdir");
    let run = ingest_stage(
        &schema(),
        &work,
        input,
        &IngestOptions::default(),
        &Progress::hidden(),
        false,
    )
    .expect("ingest");
    (work_dir, run)
}

fn submissions() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &[row_with(&[])], b','));
    dir
}

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
fn a_file_given_where_a_folder_is_read_is_refused_saying_which_folder_to_pass() {
    let input = submissions();
    let work_dir = tempfile::tempdir().expect("tempdir");
    let work = Workdir::new(work_dir.path()).expect("workdir");
    let file = input.path().join("a.csv");
    let e = ingest_stage(
        &schema(),
        &work,
        &file,
        &IngestOptions::default(),
        &Progress::hidden(),
        false,
    )
    .err()
    .expect("a file is not a folder of submissions");
    let msg = e.to_string();
    assert!(msg.contains("a.csv") && msg.contains("pass the folder"), "{msg}");
    assert!(
        !work.stage_dir(safetally::ingest::STAGE).exists(),
        "nothing is written for a refused input"
    );
}

/// With `--work` the folder of submissions itself, the next ingest read the stages' own files
/// as submissions (an outside review: four files "could not be read", and `run` stopped).
#[test]
fn the_folder_of_submissions_is_refused_as_the_work_folder() {
    let input = submissions();
    let ingest_into = |work: &std::path::Path| {
        ingest_stage(
            &schema(),
            &Workdir::new(work).expect("workdir"),
            input.path(),
            &IngestOptions::default(),
            &Progress::hidden(),
            false,
        )
    };
    // Named other ways too (`--work sub/.`, `--work sub/new/..` before `new` exists).
    for work in [
        input.path().to_path_buf(),
        input.path().join("."),
        input.path().join("new/.."),
    ] {
        let msg = ingest_into(&work).err().expect("refused").to_string();
        assert!(
            msg.contains("the work folder is the folder of submissions") && msg.contains("pass --work"),
            "{msg}"
        );
    }
    // A bind mount of the submissions folder is the same folder under a path that links do
    // not lead to; tried where this user may mount (root in the CI's container).
    if let Some(mount) = BindMount::new(input.path()) {
        let msg = ingest_into(&mount.at).err().expect("refused").to_string();
        assert!(
            msg.contains("the work folder is the folder of submissions"),
            "{msg}"
        );
    } else {
        eprintln!("bind mount not allowed here: that case not checked");
    }
    assert!(
        !input.path().join(safetally::ingest::STAGE).exists(),
        "nothing written"
    );
    // A work folder inside the submissions is still taken, and passed over when read again.
    let inner = input.path().join("work");
    for _ in 0..2 {
        let run = ingest_into(&inner).expect("ingest");
        assert_counts(&run.result, 1, 0);
    }
}

/// `--ignore-column` naming a contract column is refused before the stage starts: refused
/// inside it, the earlier ingest's output was removed as if it no longer matched its inputs.
#[test]
fn a_contract_column_named_to_leave_out_leaves_the_earlier_ingest_in_place() {
    let input = submissions();
    let work_dir = tempfile::tempdir().expect("tempdir");
    let work = Workdir::new(work_dir.path()).expect("workdir");
    let ingest_with =
        |opts: &IngestOptions| ingest_stage(&schema(), &work, input.path(), opts, &Progress::hidden(), false);
    ingest_with(&IngestOptions::default()).expect("ingest");
    let asked = IngestOptions {
        ignore_columns: vec!["Polisanmälan".into()],
        ..IngestOptions::default()
    };
    let msg = ingest_with(&asked).err().expect("refused").to_string();
    assert!(msg.contains("that is the contract column police_report"), "{msg}");
    assert!(!msg.contains("removed"), "{msg}");
    let validated = work.stage_dir(safetally::ingest::STAGE).join("validated");
    assert!(
        std::fs::read_dir(&validated).expect("still there").count() > 0,
        "the earlier output is kept"
    );
}

/// A folder bind-mounted elsewhere for the length of a test, unmounted when dropped.
struct BindMount {
    at: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl BindMount {
    fn new(folder: &std::path::Path) -> Option<Self> {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = dir.path().join("mounted");
        std::fs::create_dir(&at).expect("mount point");
        let status = std::process::Command::new("mount")
            .arg("--bind")
            .arg(folder)
            .arg(&at)
            .stderr(std::process::Stdio::null())
            .status();
        status.ok()?.success().then_some(BindMount { at, _dir: dir })
    }
}

impl Drop for BindMount {
    fn drop(&mut self) {
        // Lazily if it is busy (a failed assertion leaves the stage's files open there).
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.at)
            .status();
    }
}

#[test]
fn publish_after_a_dp_only_protect_names_the_flag_that_reaches_its_tables() {
    let work_dir = tempfile::tempdir().expect("tempdir");
    let work = Workdir::new(work_dir.path()).expect("workdir");
    let dp_dir = work.stage_dir(safetally::protect::STAGE_DP);
    std::fs::create_dir_all(&dp_dir).expect("dp folder");
    let e = safetally::run::publish_stage(
        &schema(),
        &work,
        &work.stage_dir(safetally::protect::STAGE),
        None,
        false,
    )
    .err()
    .expect("no exact protect stage to publish");
    let msg = e.to_string();
    assert!(msg.contains(&format!("--input {}", dp_dir.display())), "{msg}");
    assert!(!msg.contains("run `safetally protect` first"), "{msg}");
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

/// Two exact releases of one year can be subtracted: a record added late shows that person's
/// answers in every table. The register in the ledger's folder lets the same tables be
/// published again and refuses other figures for the year, from this work folder or another.
#[test]
fn a_second_exact_release_of_a_year_with_other_figures_is_refused() {
    use safetally::run::{aggregate_stage, protect_stage, publish_stage};
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "register");
    let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    let register = tmp.path().join("ledger");
    let s = schema();
    let release = |input: &std::path::Path,
                   work: &std::path::Path,
                   params: &safetally_dp::suppress::Params| {
        run_to_link(input, work, &key);
        let w = Workdir::new(work).expect("workdir");
        let agg = aggregate_stage(&s, &w, &w.stage_dir(safetally::link::STAGE), false).expect("aggregate");
        let prot = protect_stage(&s, &w, &agg.dir, params, false).expect("protect");
        publish_stage(&s, &w, &prot.dir, Some(&register), true)
    };
    let defaults = safetally_dp::suppress::Params::default();
    let first = release(&bundled, &tmp.path().join("w1"), &defaults).expect("the year's first exact release");
    // The same tables again, from another work folder (new person ids): the same release.
    release(&bundled, &tmp.path().join("w2"), &defaults).expect("the same figures again");
    let file = safetally_dp::register::path_for(&register, 2024);
    assert_eq!(
        std::fs::read_to_string(&file).expect("register").lines().count(),
        1
    );

    // One organisation's late file left out (or added): other figures for the year.
    let fewer = bundled_copy(&tmp.path().join("fewer"), 1);
    let e = release(&fewer, &tmp.path().join("w3"), &defaults)
        .err()
        .expect("other figures for 2024 are refused");
    let msg = e.to_string();
    assert!(
        msg.contains("with other figures was published before") && msg.contains(&first.result.release_id),
        "{msg}"
    );
    assert!(
        !tmp.path().join("w3").join(safetally::publish::STAGE).exists(),
        "nothing published"
    );
    // The same data protected otherwise is other figures too.
    let zeros = safetally_dp::suppress::Params {
        suppress_zeros: true,
        ..defaults
    };
    assert!(release(&bundled, &tmp.path().join("w1"), &zeros).is_err());
    assert_eq!(
        std::fs::read_to_string(&file).expect("register").lines().count(),
        1
    );
    // The refusal keeps the year's registered release where it was.
    assert!(
        first.dir.join("manifest.json").exists(),
        "the published release stays"
    );
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

/// A copy of the bundled sample's submissions in `dir`, without the first `skip` files (sorted
/// by name): organisations' late or missing files.
fn bundled_copy(dir: &std::path::Path, skip: usize) -> std::path::PathBuf {
    let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    std::fs::create_dir_all(dir).expect("mkdir");
    let mut files: Vec<_> = std::fs::read_dir(&bundled)
        .expect("read")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in &files[skip..] {
        std::fs::copy(f, dir.join(f.file_name().expect("name"))).expect("copy");
    }
    dir.to_path_buf()
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

/// `protect --input OTHER/04-aggregate --work W` then `publish --work W`: the release is made
/// from the aggregate protect read, which the work folder does not hold (an outside review saw
/// publish ask for W/04-aggregate/aggregate-report.json).
#[test]
fn a_release_protected_from_another_folders_aggregate_is_published_from_that_aggregate() {
    use safetally::run::{aggregate_stage, protect_stage, publish_stage};
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "elsewhere");
    let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    let s = schema();
    let first = tmp.path().join("first");
    run_to_link(&bundled, &first, &key);
    let wf = Workdir::new(&first).expect("workdir");
    let agg = aggregate_stage(&s, &wf, &wf.stage_dir(safetally::link::STAGE), false).expect("aggregate");
    let other = Workdir::new(tmp.path().join("other")).expect("workdir");
    let params = safetally_dp::suppress::Params::default();
    let prot = protect_stage(&s, &other, &agg.dir, &params, false).expect("protect elsewhere");
    assert!(!tmp.path().join("other").join(safetally::tables::STAGE).exists());
    let rel =
        publish_stage(&s, &other, &prot.dir, None, false).expect("published from the aggregate protect read");
    // The same tables as a release made in the first folder.
    let here = protect_stage(&s, &wf, &agg.dir, &params, false).expect("protect");
    let same = publish_stage(&s, &wf, &here.dir, None, false).expect("publish");
    for t in ["T01.csv", "T21a.csv"] {
        assert_eq!(
            std::fs::read(rel.dir.join("tables").join(t)).expect("table"),
            std::fs::read(same.dir.join("tables").join(t)).expect("table"),
            "{t}"
        );
    }
}

/// A release folder holding files publish did not write (notes with a name, a table of another
/// release) is refused, naming them, rather than taken as up to date and "handed on whole" (an
/// outside review); moved out, the release is up to date again; `--force` writes it anew.
#[test]
fn files_added_to_a_release_folder_are_refused_not_handed_on() {
    use safetally::run::publish_stage;
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let work = tmp.path().join("w");
    let (_, prot) = exact_protected(&work, "foreign");
    let w = Workdir::new(&work).expect("workdir");
    let rel = publish_stage(&s, &w, &prot, None, false).expect("publish");
    let notes = rel.dir.join("notes.txt");
    std::fs::write(&notes, "Anna Svensson 19900305").expect("notes");
    std::fs::copy(rel.dir.join("tables/T01.csv"), rel.dir.join("tables/T99.csv")).expect("copy");
    let Err(e) = publish_stage(&s, &w, &prot, None, false) else {
        panic!("foreign files in the release folder were handed on");
    };
    let e = e.to_string();
    assert!(
        e.contains("2 file(s) the 06-release stage did not write (notes.txt, tables/T99.csv)"),
        "{e}"
    );
    assert!(notes.is_file(), "nothing of the user's removed when refusing");
    std::fs::remove_file(&notes).expect("moved out");
    std::fs::remove_file(rel.dir.join("tables/T99.csv")).expect("moved out");
    assert!(publish_stage(&s, &w, &prot, None, false).expect("again").skipped);
    std::fs::write(&notes, "x").expect("notes");
    let forced = publish_stage(&s, &w, &prot, None, true).expect("forced");
    assert!(!forced.skipped && !notes.exists());
}

/// `publish --input OTHER/05-protect` checks that folder against its own manifest, as it does
/// its own work folder's: an outside review published an edited protect folder with
/// "audit_passed": true and totals that did not add up.
#[test]
fn a_protect_folder_of_another_work_folder_edited_since_is_refused() {
    use safetally::run::publish_stage;
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let work = tmp.path().join("w");
    let (_, prot) = exact_protected(&work, "edited-protect");
    let other = Workdir::new(tmp.path().join("o")).expect("workdir");
    publish_stage(&s, &other, &prot, None, false).expect("as written");
    let t01 = prot.join("T01.parquet");
    let mut bytes = std::fs::read(&t01).expect("T01");
    bytes.push(0);
    std::fs::write(&t01, bytes).expect("edited");
    let again = Workdir::new(tmp.path().join("o2")).expect("workdir");
    let Err(e) = publish_stage(&s, &again, &prot, None, false) else {
        panic!("an edited protect folder was published");
    };
    let e = e.to_string();
    assert!(
        e.contains("T01.parquet changed since the 05-protect stage wrote it"),
        "{e}"
    );
}

/// A folder inside another work folder's stage (`pseudonymise --input OTHER/01-ingest/validated`)
/// is checked against that stage's manifest too: only the stage folder itself was.
#[test]
fn a_validated_folder_of_another_work_folder_edited_since_is_refused() {
    use safetally::run::pseudonymise_stage;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "edited-validated");
    let input = submissions();
    let work = Workdir::new(tmp.path().join("w")).expect("workdir");
    let p = Progress::hidden();
    let ingested = ingest_stage(
        &schema(),
        &work,
        input.path(),
        &IngestOptions::default(),
        &p,
        false,
    )
    .expect("ingest");
    let validated = ingested.dir.join(safetally::ingest::VALIDATED_DIR);
    let other = Workdir::new(tmp.path().join("o")).expect("workdir");
    pseudonymise_stage(&schema(), &other, &validated, &key, &p, false).expect("as written");
    let file = std::fs::read_dir(&validated)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .find(|f| f.extension().is_some_and(|e| e == "parquet"))
        .expect("a validated file");
    let mut bytes = std::fs::read(&file).expect("read");
    bytes.push(0);
    std::fs::write(&file, bytes).expect("edited");
    let again = Workdir::new(tmp.path().join("o2")).expect("workdir");
    let Err(e) = pseudonymise_stage(&schema(), &again, &validated, &key, &p, false) else {
        panic!("an edited validated file was pseudonymised");
    };
    let e = e.to_string();
    assert!(e.contains("changed since the 01-ingest stage wrote it"), "{e}");
}
