//! Whether a ledger folder may be used. The ledger is what makes a second release of the same
//! data safe (the year's budget, its one exact release), so a folder that does not exist is
//! started only when asked: the default `safetally-ledger` is relative, and running from
//! another folder used to start a fresh ledger silently, which an outside review used to
//! publish a second exact release and to draw the same DP release three times.

use crate::protect::dp::Recorded;
use std::path::Path;

use crate::error::{LedgerUseError, StageError};

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

#[derive(serde::Serialize, serde::Deserialize)]
struct Binding {
    ledger_id: String,
    /// Where the ledger was when last used, for the message.
    ledger: std::path::PathBuf,
    /// Every entry this work folder's DP releases and extracts drew, by year: a ledger that
    /// lost one (an older copy restored, a line cut) is refused before it is spent from again.
    #[serde(default)]
    entries: Vec<(i64, String)>,
    /// Each of those entries' seal as drawn (`Ledger::seal_of`), by entry id: a line edited since
    /// is refused. Folders of safetally 0.21 and before kept ids only.
    #[serde(default)]
    seals: std::collections::BTreeMap<String, String>,
}

/// Binds a work folder to one ledger: the first release of the folder records the ledger's
/// id, and a later one under another ledger is refused. A ledger path mistyped with
/// `--new-ledger` kept in a script started a fresh ledger, which let an outside review publish
/// a second exact release of a year (one late record, found by comparing the two) and spend
/// 1.4 of a yearly cap of 1.0 from one work folder. The id lives in the ledger folder, so a
/// ledger moved as a whole stays the same ledger; a copy of it (a backup) while the ledger is
/// still where it was is refused, as each copy would spend the year's budget again.
pub fn bind_ledger(work: &Path, ledger: &Path) -> Result<(), StageError> {
    inside_a_stage(work, ledger)?;
    let id = ledger_id(ledger)?;
    let here = std::path::absolute(ledger).unwrap_or_else(|_| ledger.to_path_buf());
    keep_home(&here, &id, true)?;
    match binding_for(work, &here, Some(&id))? {
        Some(binding) => write_binding(work, &binding),
        None => Ok(()),
    }
}

/// What `bind_ledger` would refuse, without making or writing anything: commands check it
/// first and bind only once they are about to record a release. A run that stopped at ingest
/// had bound its work folder to the ledger it named (made for it, empty), and the next run,
/// with the platform's ledger, was told this folder's releases were recorded in the empty one
/// (an outside review).
pub fn check_ledger(work: &Path, ledger: &Path) -> Result<(), StageError> {
    inside_a_stage(work, ledger)?;
    let id = std::fs::read_to_string(ledger.join(LEDGER_ID))
        .ok()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty());
    let here = std::path::absolute(ledger).unwrap_or_else(|_| ledger.to_path_buf());
    if let Some(id) = &id {
        keep_home(&here, id, false)?;
    }
    binding_for(work, &here, id.as_deref()).map(|_| ())
}

/// The binding to write for a work folder using the ledger at `here` whose id is `id` (None:
/// a ledger not started yet), None when it is bound so already, or why it may not be used.
fn binding_for(work: &Path, here: &Path, id: Option<&str>) -> Result<Option<Binding>, StageError> {
    Ok(match read_binding(work)? {
        Some(bound) if Some(bound.ledger_id.as_str()) != id && bound.ledger == here => {
            return Err(LedgerUseError::StartedAgain {
                work: work.to_path_buf(),
                ledger: here.to_path_buf(),
            }
            .into());
        }
        Some(bound) if Some(bound.ledger_id.as_str()) != id => {
            return Err(LedgerUseError::BoundElsewhere {
                work: work.to_path_buf(),
                bound: bound.ledger,
                given: here.to_path_buf(),
            }
            .into());
        }
        Some(bound) if bound.ledger == here => None,
        Some(bound) => {
            a_copy(&bound.ledger, here, &bound.ledger_id)?;
            Some(Binding {
                ledger: here.to_path_buf(),
                ..bound
            })
        }
        None => id.map(|id| Binding {
            ledger_id: id.to_string(),
            ledger: here.to_path_buf(),
            entries: Vec::new(),
            seals: Default::default(),
        }),
    })
}

/// The ledger folder remembers where it was last used: found elsewhere while that folder still
/// holds its id, it is a copy (a backup) and is refused, whatever work folder uses it. The work
/// folder's binding caught a copy only from a work folder that had used the original; an
/// outside review released a year's data again from a new work folder through a copy taken
/// before the last release, and spent 1.5 of a yearly cap of 1.0. Found elsewhere with its old
/// place gone, it was moved, and remembers its new place.
fn keep_home(here: &Path, id: &str, write: bool) -> Result<(), StageError> {
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
fn a_copy(bound: &Path, here: &Path, id: &str) -> Result<(), StageError> {
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
fn inside_a_stage(work: &Path, ledger: &Path) -> Result<(), StageError> {
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

fn read_binding(work: &Path) -> Result<Option<Binding>, StageError> {
    let file = work.join(WORK_LEDGER);
    match std::fs::read_to_string(&file) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StageError::Manifest {
                path: file.clone(),
                message: format!(
                    "not the record of this work folder's ledger ({e}). It names the privacy ledger the folder's releases are recorded in: restore it from a backup; or, if you know which ledger that is, delete the file and pass that ledger with --ledger (the next release records it again)"
                ),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StageError::io(&file, e)),
    }
}

fn write_binding(work: &Path, binding: &Binding) -> Result<(), StageError> {
    let file = work.join(WORK_LEDGER);
    let text = serde_json::to_string_pretty(binding)
        .map_err(|e| StageError::serialise(file.display().to_string(), e))?;
    crate::stage::make_private_folder(work)?;
    crate::stage::write_private(&file, text.as_bytes())
}

/// The entries of `year` this work folder drew (none when it is bound to no ledger yet).
pub fn recorded_entries(work: &Path, year: i64) -> Result<Vec<Recorded>, StageError> {
    Ok(read_binding(work)?
        .map(|b| {
            b.entries
                .into_iter()
                .filter(|(y, _)| *y == year)
                .map(|(_, id)| Recorded {
                    seal: b.seals.get(&id).cloned(),
                    id,
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Remembers an entry this work folder drew from its bound ledger, with its seal as drawn. A
/// seal already kept is never replaced: the entry was checked against it before reuse.
pub fn remember_entry(work: &Path, year: i64, entry_id: &str, seal: &str) -> Result<(), StageError> {
    let Some(mut binding) = read_binding(work)? else {
        return Ok(());
    };
    let known = binding.entries.iter().any(|(y, id)| *y == year && id == entry_id);
    let sealed = seal.is_empty() || binding.seals.contains_key(entry_id);
    if entry_id.is_empty() || (known && sealed) {
        return Ok(());
    }
    if !known {
        binding.entries.push((year, entry_id.to_string()));
    }
    if !sealed {
        binding.seals.insert(entry_id.to_string(), seal.to_string());
    }
    write_binding(work, &binding)
}

/// The ledger folder's id, made (and the folder) on its first use.
fn ledger_id(ledger: &Path) -> Result<String, StageError> {
    let file = ledger.join(LEDGER_ID);
    match std::fs::read_to_string(&file) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_string()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(StageError::io(&file, e)),
        _ => {}
    }
    crate::stage::make_private_folder(ledger)?;
    use rand::TryRngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut b)
        .map_err(|source| LedgerUseError::NoRandomness {
            file: file.clone(),
            source,
        })?;
    let id = hex::encode(b);
    std::fs::write(&file, &id).map_err(|e| StageError::io(&file, e))?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_work_folder_keeps_to_the_ledger_of_its_first_release() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (work, ledger, typo) = (
            tmp.path().join("w"),
            tmp.path().join("L"),
            tmp.path().join("Ltypo"),
        );
        bind_ledger(&work, &ledger).expect("first use binds");
        // `run` binds before any stage makes the work folder: both folders it makes, and the
        // binding, are their owner's only (an outside review found them 0755 and 0644).
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!((mode(&work), mode(&ledger)), (0o700, 0o700));
        assert_eq!(mode(&work.join(WORK_LEDGER)), 0o600);
        bind_ledger(&work, &ledger).expect("the same ledger again");
        let e = bind_ledger(&work, &typo).expect_err("another ledger").to_string();
        assert!(
            e.contains(&format!("recorded in the privacy ledger at {}", ledger.display())),
            "{e}"
        );
        // Moved as a whole, it is the same ledger; the binding follows it.
        let moved = tmp.path().join("moved");
        std::fs::rename(&ledger, &moved).expect("move");
        bind_ledger(&work, &moved).expect("the moved ledger");
        let e = bind_ledger(&work, &typo).expect_err("still another").to_string();
        assert!(e.contains(&format!("at {}", moved.display())), "{e}");
        // Another work folder may use the other ledger.
        bind_ledger(&tmp.path().join("w2"), &typo).expect("another work folder");
        // Deleted and started again where it was: told so, not as "at X, not in X".
        std::fs::remove_dir_all(&moved).expect("delete");
        let e = bind_ledger(&work, &moved).expect_err("a new ledger").to_string();
        assert!(e.contains("was deleted or replaced and started again"), "{e}");
    }

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

    /// Entries are remembered once each, by year, with the seal they were drawn with (never
    /// replaced), and survive the ledger's move.
    #[test]
    fn the_entries_a_work_folder_drew_are_remembered() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (work, ledger) = (tmp.path().join("w"), tmp.path().join("L"));
        remember_entry(&work, 2024, "a", "sa").expect("unbound: nothing to remember");
        assert!(recorded_entries(&work, 2024).expect("read").is_empty());
        bind_ledger(&work, &ledger).expect("bind");
        for (year, id, seal) in [
            (2024, "a", "sa"),
            (2024, "b", ""),
            (2024, "a", "other"),
            (2023, "c", "sc"),
            (2024, "b", "sb"),
        ] {
            remember_entry(&work, year, id, seal).expect("remember");
        }
        let rec = |id: &str, seal: &str| Recorded {
            id: id.into(),
            seal: Some(seal.into()),
        };
        assert_eq!(
            recorded_entries(&work, 2024).expect("read"),
            [rec("a", "sa"), rec("b", "sb")]
        );
        let moved = tmp.path().join("moved");
        std::fs::rename(&ledger, &moved).expect("move");
        bind_ledger(&work, &moved).expect("moved");
        assert_eq!(recorded_entries(&work, 2023).expect("read"), [rec("c", "sc")]);
    }

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
