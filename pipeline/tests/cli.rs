//! The `safetally` binary as users run it: the demo's printed summary, a rerun that spends
//! nothing, `budget` on the demo's ledger, errors that exit non-zero with their cause, and
//! every command's help with an example. The library's stages are tested in `tests/`; these
//! check what only the binary does (argument parsing, printing, exit codes).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn safetally(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safetally"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the safetally binary")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn submissions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions")
}

/// The figure after `word` on the line that starts with `line`.
fn figure(out: &str, line: &str, word: &str) -> f64 {
    let l = out
        .lines()
        .find(|l| l.starts_with(line))
        .unwrap_or_else(|| panic!("no line {line:?} in:\n{out}"));
    let rest = &l[l.find(word).unwrap_or_else(|| panic!("no {word:?} in {l}")) + word.len()..];
    rest.split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number after {word:?} in {l}"))
}

#[test]
fn demo_prints_each_stage_and_linkage_quality_and_a_rerun_spends_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = submissions();
    let args = [
        "--quiet",
        "demo",
        "--input",
        input.to_str().expect("a UTF-8 path"),
        "--work",
        "w",
    ];
    let first = safetally(&args, dir.path());
    let (out, err) = text(&first);
    assert!(first.status.success(), "{out}\n{err}");
    for step in 1..=8 {
        assert!(
            out.contains(&format!("\n{step}. ")),
            "step {step} missing:\n{out}"
        );
    }
    assert!(
        out.contains("Link joined 476 records from 25 organisation(s)"),
        "{out}"
    );
    // The bundled sample's targets, read from what the demo prints.
    assert!(figure(&out, "with the fuzzy step", "precision") >= 0.99, "{out}");
    assert!(figure(&out, "with the fuzzy step", "recall") >= 0.95, "{out}");
    assert!(figure(&out, "exact keys only", "recall") < 0.95, "{out}");
    assert!(!out.contains("Nothing spent now"), "{out}");

    let again = safetally(&args, dir.path());
    let (out2, err2) = text(&again);
    assert!(again.status.success(), "{out2}\n{err2}");
    assert!(out2.contains("Nothing spent now"), "{out2}");
    assert!(
        out2.contains("was spent after that run (`safetally budget` tells what is spent now)"),
        "{out2}"
    );
    assert!(out2.contains("Journalist extract: inputs unchanged"), "{out2}");

    // Two runs, one release and one extract in the ledger: the rerun spent nothing.
    let budget = safetally(&["budget", "--ledger", "w/ledger"], dir.path());
    let (b, berr) = text(&budget);
    assert!(budget.status.success(), "{b}\n{berr}");
    assert!(b.contains("2 ledger entr(ies)"), "{b}");
    assert!(b.contains("spent rho 1.0000 of 1.0000"), "{b}");
    assert!(
        b.contains("release of 22 tables") && b.contains("journalists' extract"),
        "{b}"
    );
    assert!(b.contains("exact release 2024-exact-"), "{b}");
}

#[test]
fn mistakes_exit_non_zero_with_the_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let no_ledger = safetally(&["budget", "--ledger", "nope"], dir.path());
    let (_, err) = text(&no_ledger);
    assert_eq!(no_ledger.status.code(), Some(1), "{err}");
    assert!(
        err.contains("No ledger at nope: nothing was ever recorded there"),
        "{err}"
    );

    let no_key = safetally(
        &["pseudonymise", "--key", "missing.key", "--work", "w"],
        dir.path(),
    );
    let (_, err) = text(&no_key);
    assert!(!no_key.status.success(), "{err}");
    assert!(err.contains("missing.key: no key file here"), "{err}");
    assert!(err.contains("safetally keygen --out FILE"), "{err}");

    let unknown = safetally(&["link", "--no-such-flag"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn every_command_has_help_with_an_example() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (top, _) = text(&safetally(&["--help"], dir.path()));
    let commands: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 15, "{commands:?}\n{top}");
    for c in &commands {
        let help = safetally(&[c, "--help"], dir.path());
        let (out, err) = text(&help);
        assert!(help.status.success(), "{c}: {err}");
        assert!(
            out.contains("Example") && out.contains(&format!("safetally {c}")),
            "{c} --help has no example:\n{out}"
        );
    }
}

/// The key file `run` is given, left in the folder of submissions, is named as that key and
/// to be moved out (it was refused as an unsupported file type, which said nothing of it).
#[test]
fn run_names_its_key_file_left_among_the_submissions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::create_dir(&input).expect("mkdir");
    std::fs::copy(submissions().join("SAMPLE01.csv"), input.join("SAMPLE01.csv")).expect("copy");
    let keygen = safetally(&["keygen", "--out", "in/linkage.key"], dir.path());
    assert!(keygen.status.success(), "{:?}", text(&keygen));
    let run = safetally(
        &[
            "--quiet",
            "run",
            "in",
            "--key",
            "in/linkage.key",
            "--work",
            "w",
            "--ledger",
            "l",
            "--new-ledger",
        ],
        dir.path(),
    );
    let (out, err) = text(&run);
    assert!(!run.status.success(), "{out}\n{err}");
    assert!(
        out.contains("in/linkage.key: this is the linkage key this run was given (--key), not a submission"),
        "{out}\n{err}"
    );
    // Why the run stops: the key, not an organisation's records missing.
    assert!(
        err.contains("stopped after ingest: linkage.key in in: the linkage key")
            && !err.contains("records would be missing"),
        "{err}"
    );
}
