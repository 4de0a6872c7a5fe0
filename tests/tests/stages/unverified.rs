//! What a stage cannot check of the stages before it is told, what it can is refused: a stage
//! folder without its manifest, a folder read that is gone, a folder of received files changed
//! since it was linked, an input that cannot be read, and files put in a stage folder.

use super::*;
use safetally::run::{aggregate_stage, link_stage, protect_stage};

fn protect(
    w: &Workdir,
    agg: &std::path::Path,
) -> Result<safetally::run::StageRun<safetally::protect::ProtectReport>, safetally::error::StageError> {
    protect_stage(
        &schema(),
        w,
        agg,
        &safetally_dp::suppress::Params::default(),
        false,
    )
}

/// Copies `from` into `to` as `cp -r from/* to` does: without the hidden files, so without
/// the manifests (an outside review's copy of a work folder).
fn copy_visible(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("folder");
    for e in std::fs::read_dir(from).expect("read").flatten() {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if e.path().is_dir() {
            copy_visible(&e.path(), &to.join(&name));
        } else {
            std::fs::copy(e.path(), to.join(&name)).expect("copy");
        }
    }
}

/// A work folder copied without its manifests, or a stage folder deleted with its manifest:
/// whether the stages after were made from the current records cannot be told, and the
/// stages say so (an outside review published a release of old persons, exit 0, without a
/// word). A folder whose manifests are all there says nothing.
#[test]
fn a_stage_folder_without_its_manifest_or_gone_is_warned_of() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    let (agg_dir, _) = exact_protected(&work, "unverified");
    let w = Workdir::new(&work).expect("workdir");
    assert!(protect(&w, &agg_dir).expect("protect").gone.is_none());
    let copy = tmp.path().join("copy");
    copy_visible(&work, &copy);
    let c = Workdir::new(&copy).expect("copy");
    let run = aggregate_stage(&schema(), &c, &c.stage_dir(safetally::link::STAGE), false).expect("aggregate");
    let warning = run.gone.expect("a warning");
    assert!(
        warning.contains("03-link has no manifest")
            && warning.contains("cp -a")
            && warning.contains("safetally link"),
        "{warning}"
    );
    // The persons' folder deleted with its manifest, as one deletes a person-level file.
    let link = w.stage_dir(safetally::link::STAGE);
    std::fs::remove_dir_all(&link).expect("delete");
    std::fs::remove_file(safetally::stage::manifest_path(&link)).expect("delete manifest");
    let run = protect(&w, &agg_dir).expect("protect");
    let warning = run.gone.expect("a warning");
    assert!(
        warning.contains("04-aggregate was made from") && warning.contains("03-link, which is gone"),
        "{warning}"
    );
}

/// The platform links a folder of received files (`link --input`) and one is withdrawn: the
/// stages after refuse the persons linked from it ("inputs unchanged" before), naming the file
/// and the command with its --input; linked again, they go on.
#[test]
fn a_received_folder_changed_since_it_was_linked_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "received");
    let bundled = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    let org_work = tmp.path().join("orgs");
    run_to_link(&bundled, &org_work, &key);
    let received = tmp.path().join("received");
    copy_visible(&org_work.join(safetally::pseudonymise::STAGE), &received);
    let s = schema();
    let work = tmp.path().join("platform");
    let w = Workdir::new(&work).expect("workdir");
    let params =
        safetally::link::LinkParams::from_spec(&safetally::schema::LinkageSpec::load(&s).expect("spec"));
    let p = Progress::hidden();
    let linked = link_stage(&s, &w, &received, &params, &p, false).expect("link");
    let agg = aggregate_stage(&s, &w, &linked.dir, false).expect("aggregate");
    assert!(
        aggregate_stage(&s, &w, &linked.dir, false)
            .expect("again")
            .skipped
    );
    let mut files: Vec<_> = std::fs::read_dir(&received)
        .expect("received")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    // A note put beside the files, and a file no one can read (a broken link), change
    // nothing a stage counts: the stages after link go on.
    std::fs::write(received.join("notes.txt"), b"received 2025-01-10").expect("note");
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), received.join("old.pdf")).expect("link");
    assert!(
        aggregate_stage(&s, &w, &linked.dir, false)
            .expect("a note changes nothing")
            .skipped
    );
    std::fs::remove_file(received.join(&files[0])).expect("withdrawn");
    for e in [
        aggregate_stage(&s, &w, &linked.dir, false)
            .err()
            .map(|e| e.to_string()),
        protect(&w, &agg.dir).err().map(|e| e.to_string()),
    ] {
        let e = e.expect("refused");
        assert!(
            e.contains("03-link was made from")
                && e.contains(&format!("{} gone", files[0]))
                && e.contains(&format!(
                    "safetally link --work {} --input {}",
                    work.display(),
                    received.display()
                )),
            "{e}"
        );
    }
    let linked = link_stage(&s, &w, &received, &params, &p, false).expect("linked again");
    let agg = aggregate_stage(&s, &w, &linked.dir, false).expect("aggregate again");
    assert!(!agg.skipped && agg.gone.is_none());
}

/// An input that cannot be read is told as that, and the stage's earlier output, which may
/// still match its inputs, is kept (it was removed as "changed by hand").
#[test]
fn an_unreadable_input_is_not_taken_for_a_changed_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    let (agg_dir, prot_dir) = exact_protected(&work, "unreadable");
    let w = Workdir::new(&work).expect("workdir");
    let table = agg_dir.join("T05.parquet");
    let kept = tmp.path().join("T05.parquet");
    std::fs::rename(&table, &kept).expect("move");
    // A link to nothing: listed, but not readable (as root, permissions would not do).
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), &table).expect("link");
    let e = protect(&w, &agg_dir).err().expect("refused").to_string();
    assert!(e.contains("T05.parquet") && !e.contains("changed since"), "{e}");
    assert!(prot_dir.is_dir(), "the earlier output is kept: {e}");
    std::fs::remove_file(&table).expect("unlink");
    std::fs::rename(&kept, &table).expect("back");
    assert!(protect(&w, &agg_dir).expect("protect").skipped);
}

/// A file put in a stage folder that is not handed on was deleted without a word when the
/// stage wrote its folder anew (an outside review lost a late organisation's file so): it is
/// refused, named, and kept; --force deletes it.
#[test]
fn a_file_put_in_a_stage_folder_is_refused_not_deleted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    let (agg_dir, prot_dir) = exact_protected(&work, "foreign");
    let w = Workdir::new(&work).expect("workdir");
    let late = prot_dir.join("late.parquet");
    std::fs::write(&late, b"PAR1").expect("write");
    // Up to date, the stage writes nothing, so nothing is lost and nothing refused.
    assert!(protect(&w, &agg_dir).expect("skipped").skipped);
    let other = safetally_dp::suppress::Params {
        threshold: 6,
        ..Default::default()
    };
    let e = protect_stage(&schema(), &w, &agg_dir, &other, false)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("late.parquet") && e.contains("--force") && e.contains("--input"),
        "{e}"
    );
    assert!(late.is_file());
    protect_stage(
        &schema(),
        &w,
        &agg_dir,
        &safetally_dp::suppress::Params::default(),
        true,
    )
    .expect("forced");
    assert!(!late.exists());
}

/// `publish --input WORK/04-aggregate`: the protect report it lacks is not aggregate's to
/// write, so the message asks about the folder given instead of sending the user to run
/// `aggregate` again (an outside review).
#[test]
fn a_wrong_input_folder_is_not_told_to_be_made_again() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    let (agg_dir, _) = exact_protected(&work, "wrong-folder");
    let w = Workdir::new(&work).expect("workdir");
    let e = safetally::run::publish_stage(&schema(), &w, &agg_dir, None, false)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("is not a file the 04-aggregate stage writes") && !e.contains("safetally aggregate"),
        "{e}"
    );
}
