//! Walking a folder for a stage's inputs: visible files in order, what is not a readable file
//! named, and this tool's own work and staging folders passed over.

use std::fs;
use std::path::{Path, PathBuf};

use super::manifest_path;
use super::staging::staging_pid;
use crate::error::StageError;

/// A file's path below `dir`, with forward slashes, as manifests record it.
pub fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// One entry of a folder walk: a file to read, or something in the folder that is not one.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: PathBuf,
    /// What it is when it is not a readable file or folder (a pipe, a broken link).
    pub problem: Option<&'static str>,
}

/// Names that are never submissions and that file managers hide: Office's lock files of open
/// workbooks (`~$name.xlsx`) and Windows' thumbnail and folder settings.
fn hidden(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with("~$")
        || name.eq_ignore_ascii_case("Thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
}

/// A folder `safetally` made as a work folder: its first stage is there with a manifest.
fn is_work_folder(p: &Path) -> bool {
    manifest_path(&p.join(crate::ingest::STAGE)).is_file()
}

/// Every visible entry below `dir`, sorted: regular files (also through links), and anything
/// else (pipes, devices, broken links, links to folders, which are not followed so that a link
/// loop cannot trap the walk) with what it is.
pub fn list_entries(dir: &Path) -> Result<Vec<Entry>, StageError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let listing = match fs::read_dir(&d) {
            Ok(l) => l,
            Err(e) if d.as_path() == dir => return Err(StageError::io(&d, e)),
            Err(_) => {
                out.push(Entry {
                    path: d,
                    problem: Some("a folder that cannot be read"),
                });
                continue;
            }
        };
        for entry in listing {
            let entry = entry.map_err(|e| StageError::io(&d, e))?;
            if hidden(&entry.file_name().to_string_lossy()) {
                continue;
            }
            let p = entry.path();
            let ty = entry.file_type().map_err(|e| StageError::io(&p, e))?;
            let problem = if ty.is_dir() {
                // A work folder kept inside the folder of submissions (`ingest . --work work`)
                // holds this tool's own outputs, not submissions: reading them would count
                // every record again.
                if !is_work_folder(&p) {
                    stack.push(p);
                }
                continue;
            } else if ty.is_file() {
                None
            } else if ty.is_symlink() {
                match fs::metadata(&p) {
                    Ok(m) if m.is_file() => None,
                    Ok(m) if m.is_dir() => Some("a link to a folder (links to folders are not followed)"),
                    Ok(_) => Some("a link to something that is not a file"),
                    Err(_) => Some("a broken link"),
                }
            } else {
                Some("a pipe, socket or device")
            };
            out.push(Entry { path: p, problem });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Files below `dir` that `list_entries` passes over as hidden but whose names end as
/// submissions do (`.SAMPLE01.csv`, `~$SAMPLE05.csv` larger than Office's lock file, anything
/// in a hidden folder such as `.sync/`): a submission renamed so by a sync tool or a slip
/// would otherwise be left out without a word. Office's lock files (under 1 KB), macOS's
/// `._` shadow files and work folders are not named.
pub fn hidden_submissions(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), false)];
    while let Some((d, in_hidden)) = stack.pop() {
        let Ok(listing) = fs::read_dir(&d) else { continue };
        for entry in listing.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let p = entry.path();
            let hidden_here = in_hidden || hidden(&name);
            let Ok(ty) = entry.file_type() else { continue };
            if ty.is_dir() {
                // A stage's staging folder, and so a work folder being made for the first time
                // inside the folder of submissions, holds this tool's own files.
                if !is_work_folder(&p) && !staging(&name) && !holds_staging(&p) {
                    stack.push((p, hidden_here));
                }
                continue;
            }
            let lock = name.starts_with("~$") && entry.metadata().is_ok_and(|m| m.len() < 1024);
            if hidden_here
                && ty.is_file()
                && crate::ingest::is_submission(&p)
                && !lock
                && !name.starts_with("._")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn staging(name: &str) -> bool {
    staging_pid(name).is_some()
}

fn holds_staging(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|l| l.flatten().any(|e| staging(&e.file_name().to_string_lossy())))
}

/// Every regular file below `dir` (also through links), sorted, skipping hidden names.
pub fn list_files(dir: &Path) -> Result<Vec<PathBuf>, StageError> {
    Ok(list_entries(dir)?
        .into_iter()
        .filter(|e| e.problem.is_none())
        .map(|e| e.path)
        .collect())
}

/// The Parquet files directly or deeper below `dir`, sorted.
pub fn list_parquet(dir: &Path) -> Result<Vec<PathBuf>, StageError> {
    Ok(list_files(dir)?
        .into_iter()
        // `.PARQUET` from Windows tools is Parquet too; skipping it would drop an organisation.
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parquet_files_are_listed_whatever_the_case_of_their_extension() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["a.parquet", "B.PARQUET", "c.Parquet", "notes.txt"] {
            fs::write(dir.path().join(name), b"x").expect("write");
        }
        let names: Vec<String> = list_parquet(dir.path())
            .expect("list")
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        assert_eq!(names, ["B.PARQUET", "a.parquet", "c.Parquet"]);
    }
}
