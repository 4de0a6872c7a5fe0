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
    if dir.exists() || start_new {
        return Ok(());
    }
    let full = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    Err(StageError::Input(format!(
        "no privacy ledger at {}: the ledger records what every release of these data spent and each year's one exact release, and a new one would forget them, so a second release could undo the protection of the first. Pass the platform's ledger with --ledger PATH, or add --new-ledger to start one there for the platform's first release",
        full.display()
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
    }
}
