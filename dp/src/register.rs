//! The register of exact-mode releases, kept in the ledger's folder beside the DP ledger: one
//! JSON line per exact release and report year. Two exact releases of one year can be
//! subtracted, and their differences count single persons (a record added late shows that
//! person's answers in every table; one hidden cell published in the other reveals its
//! neighbour), so a second exact release of a year with other figures is refused.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: not an entry of the register of exact releases: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "an exact release of {year} with other figures was published before (release {release_id}, registered in {path}). Two exact releases of one year can be subtracted, and their differences count single persons: a record added late shows that person's answers in every table, and a cell hidden in one and shown in the other can reveal its neighbours. Publish that release again (same tables), or publish the corrected figures under differential privacy (`protect --mode dp`, then `publish --input WORK/05-protect-dp`), whose ledger counts every view of the year. If that release was never handed on, remove its line from the register and run again"
    )]
    AnotherRelease {
        year: i64,
        release_id: String,
        path: PathBuf,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Registered {
    pub year: i64,
    pub release_id: String,
    /// SHA-256 of the published tables' bytes: the same tables are the same release. It is a
    /// hash of published figures only, so it tells nobody anything the release does not.
    pub content: String,
    pub created_unix: u64,
}

/// The register file of a year in the ledger's folder.
pub fn path_for(dir: &Path, year: i64) -> PathBuf {
    dir.join(format!("exact-releases-{year}.jsonl"))
}

/// Records an exact release of `entry.year` unless another with other tables was registered
/// before; the same tables again record nothing. The file is read and appended under its
/// exclusive lock, so that two runs cannot both be first.
pub fn register(dir: &Path, entry: Registered) -> Result<(), RegisterError> {
    let path = path_for(dir, entry.year);
    let io = |source| RegisterError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|source| RegisterError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        // Owner only: the file holds a hash of the true counts of each release.
        .mode(0o600)
        .open(&path)
        .map_err(io)?;
    // A file an earlier version made readable to others keeps its mode when opened (best
    // effort: a file of another owner is left as it is).
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
    }
    file.lock().map_err(io)?;
    let text = {
        use std::io::{Read, Seek};
        let mut t = String::new();
        file.seek(std::io::SeekFrom::Start(0))
            .and_then(|_| file.read_to_string(&mut t))
            .map_err(io)?;
        t
    };
    let entries = parse(&path, &text)?;
    if let Some(other) = entries.iter().find(|e| e.content != entry.content) {
        return Err(RegisterError::AnotherRelease {
            year: entry.year,
            release_id: other.release_id.clone(),
            path,
        });
    }
    if !entries.is_empty() {
        return Ok(());
    }
    let line = serde_json::to_string(&entry).map_err(|e| io(std::io::Error::other(e)))?;
    crate::ledger::append_synced(&mut file, &text, line, &path).map_err(io)
}

/// The report year of a register file, from its name (`path_for`'s); None for other files.
pub fn year_of(path: &Path) -> Option<i64> {
    path.file_name()?
        .to_str()?
        .strip_prefix("exact-releases-")?
        .strip_suffix(".jsonl")?
        .parse()
        .ok()
}

/// The exact releases registered for `year` (none when the register has no file for it).
pub fn registered(dir: &Path, year: i64) -> Result<Vec<Registered>, RegisterError> {
    let path = path_for(dir, year);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(RegisterError::Io { path, source }),
    }
}

fn parse(path: &Path, text: &str) -> Result<Vec<Registered>, RegisterError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| RegisterError::Corrupt {
                path: path.to_path_buf(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, content: &str) -> Registered {
        Registered {
            year: 2024,
            release_id: id.into(),
            content: content.into(),
            created_unix: 1_700_000_000,
        }
    }

    #[test]
    fn the_same_tables_register_once_and_other_tables_of_the_year_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        register(dir.path(), entry("a", "c1")).expect("first");
        register(dir.path(), entry("a2", "c1")).expect("the same tables again");
        let text = std::fs::read_to_string(path_for(dir.path(), 2024)).expect("file");
        assert_eq!(text.lines().count(), 1);
        let e = register(dir.path(), entry("b", "c2")).expect_err("other tables");
        assert!(e.to_string().contains("release a,"), "{e}");
        // Another year is another register.
        register(
            dir.path(),
            Registered {
                year: 2025,
                ..entry("c", "c2")
            },
        )
        .expect("next year");
    }
}
