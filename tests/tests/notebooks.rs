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
    let work = tempfile::tempdir().expect("tempdir");
    full_pipeline(work.path());
    run_notebooks(work.path());

    // A DP release handed on alone (no exact release beside it), with a journalists' extract
    // made from members' data, whose accuracy against the input is not shipped.
    let alone = tempfile::tempdir().expect("tempdir");
    for stage in ["06-release-dp", "07-journalist"] {
        copy_dir(&work.path().join(stage), &alone.path().join(stage));
    }
    let report = alone.path().join("07-journalist/extract-report.json");
    let mut r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json");
    r["synthetic_vs_input"] = serde_json::Value::Null;
    r["crosstab_vs_input"] = serde_json::Value::Null;
    std::fs::write(&report, r.to_string()).expect("write");
    // (The notebook indexed the missing accuracy and failed here before.)
    run_notebooks(&alone.path().join("06-release-dp"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for e in std::fs::read_dir(from).expect("read").flatten() {
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

/// Runs every notebook against a work directory or a release folder; returns their output.
fn run_notebooks(target: &Path) -> String {
    let python = venv();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../notebooks/run_all.py");
    let started = std::time::Instant::now();
    let out = Command::new(python)
        .arg(script)
        .arg(target)
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
    log
}
