//! The binding of a work folder to one ledger (`.ledger.json`): the ledger's id, where it was
//! last used, and every entry the folder drew, with its seal, so that another ledger, or one
//! that lost an entry, is refused.

use std::path::Path;

use super::place::{a_copy, inside_a_stage, keep_home};
use super::{LEDGER_ID, WORK_LEDGER};
use crate::error::{LedgerUseError, StageError};
use crate::protect::dp::Recorded;

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
    // Refused before anything is made: a refused `--new-ledger` had made the ledger's folder
    // and id all the same, and the next command, without the flag, spent from that fresh
    // ledger the data the deleted one had recorded (an outside review drew rho 1.5 of 1.0).
    check_ledger(work, ledger)?;
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
/// Binds the work folder to the ledger once the stage's input is there to protect; without it
/// the stage fails on its own, and a work folder bound to a ledger nothing was recorded in
/// would refuse the platform's own ledger later. Only checks the binding otherwise.
pub fn bind_ledger_if_made(
    work: &crate::stage::Workdir,
    input: &Path,
    ledger: &Path,
) -> Result<(), StageError> {
    if input.is_dir() {
        // The binding is the work folder's: written by the process that holds it.
        work.lock()?;
        bind_ledger(work.root(), ledger)
    } else {
        check_ledger(work.root(), ledger)
    }
}

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
        // Refused, it made nothing: no fresh ledger is left for the next command to spend from.
        assert!(!moved.exists(), "a refused ledger was made");
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
}
