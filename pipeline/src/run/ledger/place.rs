//! Where a ledger folder may be: not a copy of one still in its place (a backup would spend
//! the year's budget again), and not inside a stage folder that a rerun replaces whole.

use std::path::Path;

use super::{LEDGER_HOME, LEDGER_ID};
use crate::error::{LedgerUseError, StageError};

/// The ledger folder remembers where it was last used: found elsewhere while that folder still
/// holds its id, it is a copy (a backup) and is refused, whatever work folder uses it. The work
/// folder's binding caught a copy only from a work folder that had used the original; an
/// outside review released a year's data again from a new work folder through a copy taken
/// before the last release, and spent 1.5 of a yearly cap of 1.0. Found elsewhere with its old
/// place gone, it was moved, and remembers its new place.
pub(super) fn keep_home(here: &Path, id: &str, write: bool) -> Result<(), StageError> {
    let file = here.join(LEDGER_HOME);
    // An empty file (a write cut short) names no place.
    let home = std::fs::read_to_string(&file)
        .ok()
        .map(|h| h.trim_end_matches('\n').to_string())
        .filter(|h| !h.is_empty())
        .map(std::path::PathBuf::from);
    if let Some(home) = &home
        && home != here
    {
        a_copy(home, here, id)?;
    }
    if !write || home.as_deref() == Some(here) {
        return Ok(());
    }
    crate::stage::write_private(&file, here.as_os_str().as_encoded_bytes())
}

/// `here` holds the id of the ledger this work folder is bound to at `bound`: a move, unless
/// that folder is still there with the same id (and is not `here` by another path).
pub(super) fn a_copy(bound: &Path, here: &Path, id: &str) -> Result<(), StageError> {
    let still_there = std::fs::read_to_string(bound.join(LEDGER_ID)).is_ok_and(|b| b.trim() == id);
    // One folder by two paths (a link, `..`, a bind mount or a share mounted twice).
    let identity = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
    };
    let same_folder = matches!((identity(bound), identity(here)), (Some(a), Some(b)) if a == b);
    if !still_there || same_folder {
        return Ok(());
    }
    Err(LedgerUseError::ACopy {
        copy: here.to_path_buf(),
        original: bound.to_path_buf(),
    }
    .into())
}

/// A ledger inside one of the work folder's stage folders would be deleted with it when the
/// stage runs again (a stage replaces its whole folder), or handed on with a release.
pub(super) fn inside_a_stage(work: &Path, ledger: &Path) -> Result<(), StageError> {
    // `..` resolved by the names (`absolute` keeps it: `../w/05-protect-dp/L` passed).
    let abs = |p: &Path| {
        let mut out = std::path::PathBuf::new();
        for c in std::path::absolute(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .components()
        {
            match c {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                c => out.push(c),
            }
        }
        out
    };
    let (work, ledger) = (abs(work), abs(ledger));
    let Ok(inner) = ledger.strip_prefix(&work) else {
        return Ok(());
    };
    let stage = inner
        .components()
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .filter(|c| {
            let b = c.as_bytes();
            b.len() > 3 && b[..2].iter().all(u8::is_ascii_digit) && b[2] == b'-'
        });
    match stage {
        None => Ok(()),
        Some(stage) => Err(LedgerUseError::InsideStage {
            ledger: ledger.to_path_buf(),
            stage: stage.to_string(),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::bind_ledger;
    use super::*;

    /// A backup copy of the ledger (same id) while the ledger is still where it was: each copy
    /// would spend the year's budget again (an outside review drew 1.5 of a cap of 1.0 so).
    /// The same folder by another path is the same ledger; once the original is gone, the
    /// copy is where it moved.
    #[test]
    fn a_copy_of_the_ledger_is_refused_while_the_ledger_is_there() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (work, ledger, backup) = (
            tmp.path().join("w"),
            tmp.path().join("L"),
            tmp.path().join("L-backup"),
        );
        bind_ledger(&work, &ledger).expect("first use binds");
        std::fs::create_dir(&backup).expect("backup");
        std::fs::copy(ledger.join(LEDGER_ID), backup.join(LEDGER_ID)).expect("copy the id");
        let e = bind_ledger(&work, &backup).expect_err("a copy").to_string();
        assert!(
            e.contains("is a copy of the privacy ledger")
                && e.contains(&format!("Pass --ledger {}", ledger.display())),
            "{e}"
        );
        bind_ledger(&work, &tmp.path().join("L").join("..").join("L"))
            .expect("the same folder by another path");
        std::fs::remove_dir_all(&ledger).expect("the original gone");
        bind_ledger(&work, &backup).expect("now where it is");
    }

    /// A copy of the whole ledger folder used from a work folder that never used the ledger:
    /// the folder itself knows where the ledger is (an outside review released the same year
    /// again from a new work folder through a backup, spending 1.5 of a cap of 1.0).
    #[test]
    fn a_copy_of_the_ledger_is_refused_from_a_new_work_folder_too() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (ledger, backup) = (tmp.path().join("L"), tmp.path().join("L-backup"));
        bind_ledger(&tmp.path().join("w1"), &ledger).expect("first use");
        std::fs::create_dir(&backup).expect("backup");
        for f in std::fs::read_dir(&ledger).expect("ledger") {
            let f = f.expect("entry").path();
            std::fs::copy(&f, backup.join(f.file_name().expect("name"))).expect("copy");
        }
        let e = bind_ledger(&tmp.path().join("w2"), &backup)
            .expect_err("a copy from a new work folder")
            .to_string();
        assert!(
            e.contains("is a copy of the privacy ledger")
                && e.contains(&format!("Pass --ledger {}", ledger.display())),
            "{e}"
        );
        assert!(
            !tmp.path().join("w2").exists(),
            "no work folder bound to the copy"
        );
        bind_ledger(&tmp.path().join("w2"), &ledger).expect("the ledger itself");
        // Moved away whole (the old place gone), it is used where it now is, from any folder.
        let moved = tmp.path().join("moved");
        std::fs::rename(&ledger, &moved).expect("move");
        bind_ledger(&tmp.path().join("w3"), &moved).expect("moved");
        assert_eq!(
            std::fs::read_to_string(moved.join(LEDGER_HOME)).expect("home"),
            moved.display().to_string()
        );
    }

    #[test]
    fn a_ledger_inside_a_stage_folder_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let work = tmp.path().join("w");
        for inside in ["06-release-dp", "05-protect-dp/ledger", "x/../05-protect-dp/L"] {
            let e = bind_ledger(&work, &work.join(inside))
                .expect_err(inside)
                .to_string();
            assert!(e.contains("stage folder") && e.contains("replaces whole"), "{e}");
            assert!(!work.join(inside).exists(), "nothing made");
        }
        bind_ledger(&work, &work.join("ledger")).expect("beside the stages");
    }
}
