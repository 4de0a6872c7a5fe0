//! The typed errors say what the strings they replaced said: a message built from fields
//! (counts, plurals, optional parts) against the text as it was written before.

use std::path::{Path, PathBuf};

use super::*;

fn serde_error() -> serde_json::Error {
    serde_json::from_str::<u8>("x").expect_err("not JSON")
}

#[test]
fn a_changed_input_names_the_others_and_the_command_as_before() {
    let (input, root) = (Path::new("w/03-link"), Path::new("w"));
    let old = |n: usize, command: &str| {
        format!(
            "{} changed since the 03-link stage wrote it{} (edited by hand, damaged, or another file put in its place), so what is counted from it would go unchecked.{command} Files received from elsewhere (organisations' pseudonymised files) go in a folder of their own, passed with --input",
            input.join("persons.parquet").display(),
            match n {
                1 => String::new(),
                n => format!(", and so did {} other file(s) there", n - 1),
            },
        )
    };
    for (n, command) in [(1, None), (3, Some("link --work w"))] {
        let e = WorkFolderError::InputChanged {
            file: input.join("persons.parquet"),
            stage: "03-link".into(),
            others: n - 1,
            command: command.map(String::from),
            root: root.to_path_buf(),
        };
        let sentence = command.map_or_else(String::new, |c| {
            format!(" Run `safetally {c} --work w` again to write it anew, then the stages after it.")
        });
        assert_eq!(e.to_string(), old(n, &sentence));
    }
}

#[test]
fn lost_entries_are_told_in_the_singular_and_the_plural_as_before() {
    let here = PathBuf::from("L/ledger-2024.jsonl");
    for lost in [vec!["e1"], vec!["e1", "e2"]] {
        let old = format!(
            "this work folder drew {} from the ledger {} (entr{} {}), and the ledger no longer holds {}: it was replaced by an older copy, cut or deleted. Restore the ledger from its latest backup; a new draw now would spend budget on the same persons that the ledger cannot count",
            if lost.len() == 1 {
                "a release or extract"
            } else {
                "releases or extracts"
            },
            here.display(),
            if lost.len() == 1 { "y" } else { "ies" },
            lost.join(", "),
            if lost.len() == 1 { "it" } else { "them" }
        );
        let e = LedgerUseError::EntriesLost {
            ledger: here.clone(),
            entries: lost.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(e.to_string(), old);
    }
}

#[test]
fn a_second_ledger_names_the_folders_of_both_files() {
    let e = LedgerUseError::DrawnUnderAnother {
        what: "these tables were drawn".into(),
        first: "A/ledger-2024.jsonl".into(),
        here: "B/ledger-2024.jsonl".into(),
        first_exists: false,
    };
    assert_eq!(
        e.to_string(),
        "these tables were drawn with noise recorded in the ledger A; drawing them again under B would publish a second noisy view of the same persons and spend budget the first ledger does not know of. Pass --ledger with the first ledger's folder (it is missing: restore it from its backup)"
    );
}

#[test]
fn serialising_names_what_when_it_is_known() {
    let source = serde_error().to_string();
    assert_eq!(
        StageError::serialise("", serde_error()).to_string(),
        format!("cannot serialise: {source}")
    );
    assert_eq!(
        StageError::serialise("the manifest", serde_error()).to_string(),
        format!("cannot serialise the manifest: {source}")
    );
}

#[test]
fn optional_parts_are_told_only_when_there() {
    let locked = |pid: Option<&str>| {
        WorkFolderError::Locked {
            root: "w".into(),
            pid: pid.map(String::from),
        }
        .to_string()
    };
    assert!(locked(None).starts_with("w: another safetally process is working"));
    assert!(locked(Some("42")).starts_with("w: another safetally process (process id 42) is working"));
    let contradiction = |more| {
        ReleaseError::Contradiction {
            cells: vec!["T1 [\"a\"]".into(), "T2 [\"b\"]".into()],
            more,
        }
        .to_string()
    };
    assert!(contradiction(0).contains(": T1 [\"a\"], T2 [\"b\"] do not agree"));
    assert!(contradiction(3).contains(": T1 [\"a\"], T2 [\"b\"] and 3 more cell(s) do not agree"));
    let truth = |keys: Option<(String, String)>| {
        LinkageError::TruthOfNone {
            truth: "t.parquet".into(),
            records: 5,
            keys,
        }
        .to_string()
    };
    assert!(truth(None).contains("pseudonymised with, or the truth"));
    assert!(
        truth(Some(("a".into(), "b".into())))
            .contains("pseudonymised with (they were pseudonymised under key a, and --key is key b), or")
    );
}

#[test]
fn the_work_folder_given_as_submissions_suggests_a_folder_inside_them() {
    let e = StageError::from(WorkFolderError::WorkIsInput { input: "sub".into() });
    assert!(
        e.to_string()
            .starts_with("sub: the work folder is the folder of submissions")
    );
    assert!(
        e.to_string()
            .ends_with("pass --work with another folder, such as sub/work")
    );
    assert!(matches!(
        e,
        StageError::WorkFolder(WorkFolderError::WorkIsInput { .. })
    ));
}
