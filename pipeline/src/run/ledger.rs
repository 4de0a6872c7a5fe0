//! Whether a ledger folder may be used. The ledger is what makes a second release of the same
//! data safe (the year's budget, its one exact release), so a folder that does not exist is
//! started only when asked: the default `safetally-ledger` is relative, and running from
//! another folder used to start a fresh ledger silently, which an outside review used to
//! publish a second exact release and to draw the same DP release three times.

use std::path::Path;

use crate::error::StageError;

/// An existing ledger folder, or a new one when `start_new` says so; otherwise an error that
/// says where the ledger was looked for and what to pass.
pub fn ledger_ready(dir: &Path, start_new: bool) -> Result<(), StageError> {
    not_a_file(dir)?;
    if dir.exists() || start_new {
        return Ok(());
    }
    let full = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    Err(StageError::Input(format!(
        "no privacy ledger at {}: the ledger records what every release of these data spent and each year's one exact release, and a new one would forget them, so a second release could undo the protection of the first. Pass the platform's ledger with --ledger PATH, or add --new-ledger to start one there for the platform's first release",
        full.display()
    )))
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
    Err(StageError::Input(format!(
        "--ledger {}: a file, and --ledger takes the ledger's folder (the one holding ledger-YEAR.jsonl and the register of exact releases); pass --ledger {}",
        dir.display(),
        parent.display()
    )))
}

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
}
