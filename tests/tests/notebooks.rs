//! Every research notebook runs top to bottom against a fresh demo release. The pinned Python
//! packages (notebooks/requirements.txt) go into a virtualenv under ~/.cache/safetally-venv,
//! made once and remade when the requirements change.

use std::path::{Path, PathBuf};
use std::process::Command;

use safetally_tests::*;

fn venv() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    let dir = home.join(".cache/safetally-venv");
    let req = Path::new(env!("CARGO_MANIFEST_DIR")).join("../notebooks/requirements.txt");
    let wanted = std::fs::read_to_string(&req).expect("requirements");
    let stamp = dir.join("safetally-requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(dir.join("bin/pip"))
                .args(["install", "-q", "-r"])
                .arg(&req)
                .status()
                .is_ok_and(|s| s.success());
        assert!(
            ok,
            "could not install the notebooks' packages into {}",
            dir.display()
        );
        std::fs::write(&stamp, wanted).expect("stamp");
    }
    dir.join("bin/python")
}

#[test]
fn every_notebook_runs_against_the_demo_release() {
    let python = venv();
    let work = tempfile::tempdir().expect("tempdir");
    full_pipeline(work.path());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../notebooks/run_all.py");
    let started = std::time::Instant::now();
    let out = Command::new(python)
        .arg(script)
        .arg(work.path())
        .output()
        .expect("python runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "a notebook failed:\n{log}");
    let notebooks = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../notebooks"))
        .expect("notebooks")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "ipynb"))
        .count();
    assert_eq!(log.matches(": ok in").count(), notebooks, "{log}");
    eprintln!(
        "notebooks ran in {:.1} s:\n{log}",
        started.elapsed().as_secs_f64()
    );
}
