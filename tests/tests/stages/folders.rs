//! Folders given to the stages: wrong kinds refused saying what to pass, releases and stage
//! folders of other work folders handled as what they are.

use super::*;

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
