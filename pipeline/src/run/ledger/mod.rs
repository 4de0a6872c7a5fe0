//! Whether a ledger folder may be used. The ledger is what makes a second release of the same
//! data safe (the year's budget, its one exact release), so a folder that does not exist is
//! started only when asked: the default `safetally-ledger` is relative, and running from
//! another folder used to start a fresh ledger silently, which an outside review used to
//! publish a second exact release and to draw the same DP release three times.

use std::path::Path;

use crate::error::{LedgerUseError, StageError};

mod binding;
mod place;
pub use binding::{bind_ledger, bind_ledger_if_made, check_ledger, recorded_entries, remember_entry};

/// An existing ledger folder, or a new one when `start_new` says so; otherwise an error that
/// says where the ledger was looked for and what to pass. A note comes back when `start_new`
/// meets a ledger that holds records already: it is kept, not started again (forgetting its
/// releases would undo their protection), and the user who asked for a new one is told.
pub fn ledger_ready(dir: &Path, start_new: bool) -> Result<Option<String>, StageError> {
    not_a_file(dir)?;
    if start_new {
        return Ok(kept_records(dir).map(|files| {
            format!(
                "--new-ledger: {} already holds a ledger ({}); it is kept and this release is recorded in it with what it spent before. A ledger is never started again over its records; for a separate ledger, name a folder that does not exist.",
                dir.display(),
                files.join(", ")
            )
        }));
    }
    if dir.exists() {
        return Ok(None);
    }
    let full = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    Err(LedgerUseError::NoLedger { path: full }.into())
}

/// The ledger files of a folder, if any (its id, the year's spending, the register of exact
/// releases).
fn kept_records(dir: &Path) -> Option<Vec<String>> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        // Its id alone records nothing: `run` binds the work folder (and so makes the id)
        // before its protect stage asks again, which said a new folder "already holds a ledger".
        .filter(|n| n.ends_with(".jsonl"))
        .collect();
    files.sort();
    (!files.is_empty()).then_some(files)
}

/// `--ledger` names the ledger's folder; a file in it (`ledger-2024.jsonl`, the register)
/// is refused with the folder to pass instead (an outside review was told to pass a folder
/// that did not exist, and saw "File exists").
pub fn not_a_file(dir: &Path) -> Result<(), StageError> {
    if !dir.is_file() {
        return Ok(());
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Err(LedgerUseError::FileNotFolder {
        file: dir.to_path_buf(),
        folder: parent.to_path_buf(),
    }
    .into())
}

/// The file in a ledger folder holding its random id, which travels with the folder.
const LEDGER_ID: &str = ".ledger-id";
/// The file in a ledger folder naming where it was last used, to tell a copy from a move
/// whatever work folder uses it.
const LEDGER_HOME: &str = ".ledger-home";
/// The file in a work folder naming the ledger its releases are recorded in.
const WORK_LEDGER: &str = ".ledger.json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_ledger_is_started_only_when_asked() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let missing = tmp.path().join("safetally-ledger");
        let e = ledger_ready(&missing, false)
            .expect_err("not started silently")
            .to_string();
        assert!(
            e.contains("--new-ledger") && e.contains("safetally-ledger"),
            "{e}"
        );
        assert!(!missing.exists(), "nothing made while refusing");
        ledger_ready(&missing, true).expect("asked for");
        std::fs::create_dir(&missing).expect("made");
        ledger_ready(&missing, false).expect("an existing ledger");
        let file = missing.join("ledger-2024.jsonl");
        std::fs::write(&file, "").expect("write");
        for start_new in [false, true] {
            let e = ledger_ready(&file, start_new).expect_err("a file").to_string();
            assert!(e.contains(&format!("pass --ledger {}", missing.display())), "{e}");
        }
    }

    #[test]
    fn asking_for_a_new_ledger_where_one_is_kept_says_so() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("L");
        assert_eq!(ledger_ready(&dir, true).expect("missing"), None);
        std::fs::create_dir(&dir).expect("made");
        assert_eq!(ledger_ready(&dir, true).expect("empty"), None, "nothing to keep");
        std::fs::write(dir.join("ledger-2024.jsonl"), "{}\n").expect("write");
        std::fs::write(dir.join(LEDGER_ID), "id").expect("write");
        let note = ledger_ready(&dir, true).expect("kept").expect("a note");
        assert!(
            note.contains("it is kept") && note.contains("(ledger-2024.jsonl)"),
            "{note}"
        );
        // A folder holding only its id (made by binding a work folder) holds no records.
        let fresh = tmp.path().join("fresh");
        std::fs::create_dir(&fresh).expect("made");
        std::fs::write(fresh.join(LEDGER_ID), "id").expect("write");
        assert_eq!(ledger_ready(&fresh, true).expect("fresh"), None);
        assert_eq!(
            ledger_ready(&dir, false).expect("used"),
            None,
            "no note when not asked"
        );
    }
}
