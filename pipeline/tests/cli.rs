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
    assert!(
        out2.contains("Journalist extract made by an earlier run (nothing spent now)")
            && !out2.contains("Journalist extract spent"),
        "{out2}"
    );

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

    // The demo's advice to measure with one's own key works as printed (it lacked
    // --new-key, and the work folder's records were pseudonymised under the demo's key).
    let hint = out
        .lines()
        .find(|l| l.starts_with("To measure with your own key"))
        .expect("the hint");
    let commands = hint.split_once(": ").expect("commands after the colon").1;
    for command in commands.split("; ") {
        let words: Vec<&str> = command.split_whitespace().skip(1).collect();
        let o = safetally(&words, dir.path());
        let (o_out, o_err) = text(&o);
        assert!(o.status.success(), "{command}: {o_out}\n{o_err}");
    }
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
    // A value no command can take is a wrong command line too.
    for bad in [
        &["protect", "--mode", "dp", "--rho", "-1", "--work", "w"][..],
        &["journalist-extract", "--rho", "0", "--work", "w"],
        &["sample", "--persons", "0", "--out", "s"],
        &["sample", "--orgs", "0", "--out", "s"],
        &["sample", "--orgs", "31", "--out", "s"],
        &[
            "run", "in", "--key", "k", "--work", "w", "--mode", "dp", "--rho", "1e-12",
        ],
    ] {
        let o = safetally(bad, dir.path());
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {err}");
        assert!(err.contains("invalid value"), "{bad:?}: {err}");
    }
    assert!(!dir.path().join("w").exists() && !dir.path().join("s").exists());
    // A threshold that hides nothing says why, not "1 is not in 2..18446744073709551615".
    let o = safetally(&["protect", "--threshold", "1", "--work", "w"], dir.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("a threshold below 2 hides nothing: give 2 or more"),
        "{err}"
    );
    // Publishing from a work folder that is not there names the missing tables, not a ledger.
    let o = safetally(&["publish", "--work", "absent"], dir.path());
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no protected tables here") && !err.contains("ledger"),
        "{err}"
    );
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

/// `safetally demo | head -1`: the reader leaves after the first line. The work goes on to the
/// end and its exit code is the work's; a print to the closed pipe used to end the program
/// after its first stage with exit 0 (an outside review saw `run` publish nothing so).
#[test]
fn a_closed_stdout_loses_the_text_not_the_work() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = submissions();
    let mut child = Command::new(env!("CARGO_BIN_EXE_safetally"))
        .args(["--quiet", "demo", "--input"])
        .arg(&input)
        .args(["--work", "w"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the demo");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .expect("a first line");
    // The reader is gone: every later print meets a closed pipe.
    let out = child.wait_with_output().expect("the demo ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{first}\n{err}");
    for stage in ["03-link", "06-release", "06-release-dp", "07-journalist"] {
        assert!(
            dir.path().join("w").join(stage).is_dir(),
            "{stage} not made\n{err}"
        );
    }
}

/// A run that stops before protection records nothing, so it neither makes the ledger it names
/// nor ties the work folder to it: the next run, with the platform's ledger, goes on (it was
/// told this folder's releases were recorded in the empty ledger the failed run had made).
#[test]
fn a_run_that_stops_at_ingest_binds_no_ledger() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keygen = safetally(&["keygen", "--out", "k.key"], dir.path());
    assert!(keygen.status.success(), "{}", text(&keygen).1);
    std::fs::create_dir(dir.path().join("empty")).expect("mkdir");
    let run = |input: &str, ledger: &str| {
        safetally(
            &[
                "--quiet",
                "run",
                input,
                "--key",
                "k.key",
                "--work",
                "w",
                "--ledger",
                ledger,
                "--new-ledger",
            ],
            dir.path(),
        )
    };
    let failed = run("empty", "ledger-typo");
    assert!(!failed.status.success(), "{}", text(&failed).0);
    assert!(
        !dir.path().join("ledger-typo").exists(),
        "a ledger made for nothing"
    );
    let input = submissions();
    let good = run(input.to_str().expect("a UTF-8 path"), "ledger");
    let (out, err) = text(&good);
    assert!(good.status.success(), "{out}\n{err}");
    assert!(dir.path().join("ledger").is_dir(), "{out}");
}

/// Another key for a work folder whose records were pseudonymised under one: refused, naming
/// both fingerprints, unless `--new-key` says the platform replaced its key (an outside review
/// re-linked the same submissions with a test key and spent a second DP release, exit 0).
#[test]
fn another_key_for_the_same_work_folder_is_refused_unless_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    for k in ["k1.key", "k2.key"] {
        let o = safetally(&["keygen", "--out", k], dir.path());
        assert!(o.status.success(), "{}", text(&o).1);
    }
    let input = submissions();
    let ingest = safetally(
        &["-q", "ingest", input.to_str().expect("UTF-8"), "--work", "w"],
        dir.path(),
    );
    assert!(ingest.status.success(), "{}", text(&ingest).1);
    let pseudo = |key: &str, more: &[&str]| {
        let mut args = vec!["-q", "pseudonymise", "--key", key, "--work", "w"];
        args.extend(more);
        safetally(&args, dir.path())
    };
    assert!(pseudo("k1.key", &[]).status.success());
    let (help, _) = text(&safetally(&["pseudonymise", "--help"], dir.path()));
    assert!(help.contains("--new-key"), "{help}");
    assert!(pseudo("k1.key", &[]).status.success(), "the same key again");
    let other = pseudo("k2.key", &[]);
    let (_, err) = text(&other);
    assert_eq!(other.status.code(), Some(1), "{err}");
    assert!(
        err.contains("were pseudonymised under key") && err.contains("add --new-key"),
        "{err}"
    );
    assert!(pseudo("k2.key", &["--new-key"]).status.success());
    assert!(
        pseudo("k2.key", &[]).status.success(),
        "now the work folder's key"
    );
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
