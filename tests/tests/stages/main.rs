//! Stages on disk: a rerun with unchanged inputs is skipped, a changed input reruns, and an
//! interrupted run never leaves a stage that a later stage would read.
//! One test binary; its tests are in modules by concept, sharing the helpers below.

use safetally::ingest::IngestOptions;
use safetally::progress::Progress;
use safetally::run::ingest_stage;
use safetally::stage::Workdir;
use safetally_tests::*;

mod folders;
mod reruns;
mod run_stops;
mod unverified;

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
