//! Writing a stage: its folder is made under a temporary name, its files' modes are set, and it
//! is swapped into place with its manifest beside it; leftovers of killed runs are removed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::hash::hash_tree;
use super::{FileHash, HANDED_ON, MANIFEST, Manifest, SOFTWARE_VERSION, Workdir, manifest_path, where_read};
use crate::error::StageError;

/// A stage being written: its files go to `path()` and become visible only at `commit`.
pub struct Staging {
    tmp: PathBuf,
    target: PathBuf,
    stage: String,
    input_dir: Option<String>,
}

impl Workdir {
    pub fn begin(&self, stage: &str) -> Result<Staging, StageError> {
        self.lock()?;
        self.remove_leftovers(Some(stage))?;
        let tmp = self.root.join(format!(".{stage}.tmp-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(|e| StageError::io(&tmp, e))?;
        }
        fs::create_dir_all(&tmp).map_err(|source| {
            if source.kind() == std::io::ErrorKind::PermissionDenied {
                crate::error::WorkFolderError::NotWritable {
                    root: self.root.clone(),
                    source,
                }
                .into()
            } else {
                StageError::io(&tmp, source)
            }
        })?;
        if !HANDED_ON.contains(&stage) {
            // Owner only, whatever the umask: ingest's folder holds names and personal numbers,
            // the later internal ones exact counts of few persons. Releases are handed on.
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o700))
                .map_err(|e| StageError::io(&tmp, e))?;
        }
        Ok(Staging {
            tmp,
            target: self.stage_dir(stage),
            stage: stage.to_string(),
            input_dir: None,
        })
    }

    /// Makes the manifests beside the stage folders their owner's only: versions before 0.11
    /// left them readable, and a stage not run again would keep them so (best effort).
    pub fn tighten_manifests(&self) {
        use std::os::unix::fs::PermissionsExt;
        let Ok(listing) = fs::read_dir(&self.root) else {
            return;
        };
        for entry in listing.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let loose = entry
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o077 != 0);
            if name.starts_with('.') && name.ends_with(MANIFEST) && loose {
                let _ = fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o600));
            }
        }
    }

    /// Removes what earlier runs of any stage left when they were killed: staging folders
    /// (after ingest, one holds names and personal numbers) and replaced folders not yet
    /// deleted. Every stage does it, run or skipped, so that a stage that is not run again
    /// does not keep its leftover. A folder of a process still running is left alone.
    /// Only hidden names of the pipeline's own making are matched (`.NN-name.tmp-PID`,
    /// `.NN-name.old-PID`), so that a user's `06-release.old-2023` is never taken for one;
    /// the visible `NN-name.old-PID` of versions before 0.11 only for the stage being begun.
    pub fn remove_leftovers(&self, stage: Option<&str>) -> Result<(), StageError> {
        let Ok(listing) = fs::read_dir(&self.root) else {
            return Ok(());
        };
        // `.NN-name.tmp-PID`, `.NN-name.old-PID`, and the visible `NN-name.old-PID` of the
        // stage being begun.
        let leftover = |name: &str| -> Option<String> {
            let visible = || {
                name.rsplit_once(".old-")
                    .filter(|(of, _)| stage.is_some_and(|s| s == *of))
                    .filter(|&(of, pid)| stage_like(of) && is_pid(pid))
                    .map(|(_, pid)| pid)
            };
            staging_pid(name).or_else(visible).map(str::to_string)
        };
        for entry in listing.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = leftover(&name) else {
                continue;
            };
            let pid = pid.as_str();
            let ours = pid == std::process::id().to_string();
            let running = Path::new("/proc").join(pid).exists();
            if !ours && !running {
                let p = entry.path();
                let removed = if p.is_dir() {
                    fs::remove_dir_all(&p)
                } else {
                    fs::remove_file(&p)
                };
                removed.map_err(|source| crate::error::WorkFolderError::Leftover { path: p, source })?;
            }
        }
        Ok(())
    }
}

/// A stage that fails (an error, a panic) leaves no staging folder behind.
impl Drop for Staging {
    fn drop(&mut self) {
        if self.tmp.exists() {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

impl Staging {
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Records the folder the stage reads, for its manifest (see `Manifest::input_dir`).
    pub fn reads(&mut self, dir: &Path) {
        let root = self.target.parent().unwrap_or(Path::new("."));
        self.input_dir = where_read(root, dir);
    }

    /// Hashes every output, swaps the folder into place, then writes and syncs the manifest
    /// beside it. A crash in between leaves a folder without a manifest, which is redone.
    pub fn commit(
        self,
        params: serde_json::Value,
        inputs: Vec<FileHash>,
        schema_version: &str,
        summary: serde_json::Value,
    ) -> Result<Manifest, StageError> {
        let private = !HANDED_ON.contains(&self.stage.as_str());
        set_modes(&self.tmp, private)?;
        if !private {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&self.tmp, fs::Permissions::from_mode(0o755))
                .map_err(|e| StageError::io(&self.tmp, e))?;
        }
        let outputs = hash_tree(&self.tmp)?;
        let manifest = Manifest {
            stage: self.stage.clone(),
            software_version: SOFTWARE_VERSION.to_string(),
            schema_version: schema_version.to_string(),
            params,
            inputs,
            outputs,
            summary,
            completed_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            input_dir: self.input_dir.clone(),
        };
        let mpath = manifest_path(&self.target);
        if mpath.exists() {
            fs::remove_file(&mpath).map_err(|e| StageError::io(&mpath, e))?;
        }
        let text =
            serde_json::to_string_pretty(&manifest).map_err(|e| StageError::serialise("the manifest", e))?;
        let old = self
            .target
            .with_file_name(format!(".{}.old-{}", self.stage, std::process::id()));
        if self.target.exists() {
            fs::rename(&self.target, &old).map_err(|e| StageError::io(&self.target, e))?;
        }
        fs::rename(&self.tmp, &self.target).map_err(|e| StageError::io(&self.target, e))?;
        write_private(&mpath, text.as_bytes())?;
        // The replaced folder goes last: one that cannot be removed (made read-only by hand)
        // must not keep the new folder from its manifest. The next run says what to do with it.
        if old.exists() {
            let _ = fs::remove_dir_all(&old);
        }
        Ok(manifest)
    }
}

/// Sets the modes of a stage's files whatever the umask: an internal stage's files are their
/// owner's only (names in ingest's, exact counts of few persons later), so a copy or an archive
/// of the folder keeps them so; a release's are writable by their owner only. Under umask 000
/// an outside review found validated files with names 0666, kept only by the folder's 0700.
fn set_modes(dir: &Path, private: bool) -> Result<(), StageError> {
    use std::os::unix::fs::PermissionsExt;
    for entry in fs::read_dir(dir).map_err(|e| StageError::io(dir, e))? {
        let path = entry.map_err(|e| StageError::io(dir, e))?.path();
        let meta = fs::symlink_metadata(&path).map_err(|e| StageError::io(&path, e))?;
        let mode = match (meta.is_dir(), private) {
            (true, true) => 0o700,
            (true, false) => 0o755,
            (false, true) => 0o600,
            (false, false) => 0o644,
        };
        if meta.is_dir() {
            set_modes(&path, private)?;
        }
        if meta.is_dir() || meta.is_file() {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))
                .map_err(|e| StageError::io(&path, e))?;
        }
    }
    Ok(())
}

/// Makes a work folder that does not exist yet, its owner's only: beside the stage folders it
/// keeps their manifests, the ledger binding and what the journalists' extract remembers. Every
/// first writer into a work folder calls it (`run` binds the ledger before any stage begins).
pub fn make_private_folder(root: &Path) -> Result<(), StageError> {
    if root.exists() {
        return Ok(());
    }
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(root)
        .map_err(|e| StageError::io(root, e))
}

/// Writes and syncs a file only its owner can read, whatever the umask: manifests hold hashes
/// of exact counts, and a hash of a small table lets anyone who reads it confirm a guess of
/// its hidden cells by making the table again.
///
/// The bytes go to a hidden file beside it, renamed over it once synced: written in place, a
/// full disk left the work folder's ledger binding empty, and every later command refused the
/// folder (an outside review).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StageError> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}{WRITING}{}", std::process::id()));
    let written = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            // A file left by a killed run keeps its mode when opened: set it.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(0o600))?;
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|_| fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        StageError::io(path, e)
    })
}

/// What marks a file being written by `write_private` (`.NAME.writing-PID`).
const WRITING: &str = ".writing-";

/// `NN-name`, a stage's folder name.
fn stage_like(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 3 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b'-'
}

fn is_pid(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The process id in a stage's staging or replaced folder's name (`.01-ingest.tmp-4242`,
/// `.03-link.old-4242`).
pub(super) fn staging_pid(name: &str) -> Option<&str> {
    let rest = name.strip_prefix('.')?;
    // A file `write_private` was writing when its process was killed.
    if let Some((_, pid)) = rest.rsplit_once(WRITING) {
        return is_pid(pid).then_some(pid);
    }
    let (of, pid) = rest.rsplit_once(".tmp-").or_else(|| rest.rsplit_once(".old-"))?;
    (stage_like(of) && is_pid(pid)).then_some(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_runs_staging_folder_is_removed_and_a_failed_stage_leaves_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = Workdir::new(dir.path()).expect("workdir");
        // A process id no process has (above Linux's limit of 2^22).
        // Another stage's too: a killed ingest's folder goes even when ingest is not run again.
        let dead = [
            ".01-ingest.old-9999999",
            ".01-ingest.tmp-9999999",
            ".03-link.tmp-9999999",
        ];
        // Not a stage's, or a visible copy of another stage's: left alone.
        let others = [
            ".notes.tmp-9999999",
            "old.old-9999999",
            ".01-ingest.tmp-x",
            "06-release.old-2023",
        ];
        for d in dead.iter().chain(&others) {
            fs::create_dir_all(dir.path().join(d).join("validated")).expect("mkdir");
        }
        let staging = w.begin("04-aggregate").expect("begin");
        drop(staging);
        for d in dead {
            assert!(!dir.path().join(d).exists(), "{d} is left over");
        }
        for d in others {
            assert!(dir.path().join(d).exists(), "{d} is not a stage's and stays");
        }
        // A visible replaced folder of a version before 0.11 goes when its own stage begins.
        fs::create_dir_all(dir.path().join("01-ingest.old-9999999")).expect("mkdir");
        let staging = w.begin("01-ingest").expect("begin");
        assert!(!dir.path().join("01-ingest.old-9999999").exists());
        assert!(dir.path().join("06-release.old-2023").exists());
        let tmp = staging.path().to_path_buf();
        assert!(tmp.exists());
        // Ingest's folder (names, personal numbers) is its owner's only, whatever the umask;
        // a release's is not.
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&tmp), 0o700);
        let release = w.begin(crate::publish::STAGE).expect("begin");
        assert_ne!(mode(release.path()), 0o700);
        drop(release);
        drop(staging);
        assert!(!tmp.exists(), "a stage that does not commit leaves no folder");
    }

    /// Manifests hold hashes of exact counts, which let anyone who reads them confirm a guess
    /// of hidden cells: owner only, whatever the umask, and so is a work folder a run makes.
    #[test]
    fn manifests_and_a_new_work_folder_are_their_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("work");
        let w = Workdir::new(&root).expect("workdir");
        for (stage, file, folder) in [
            ("04-aggregate", 0o600, 0o700),
            (crate::publish::STAGE, 0o644, 0o755),
        ] {
            let st = w.begin(stage).expect("begin");
            // As a process under umask 000 makes them.
            fs::create_dir(st.path().join("tables")).expect("mkdir");
            for f in ["T01.csv", "tables/T02.csv"] {
                fs::write(st.path().join(f), b"1").expect("write");
                fs::set_permissions(st.path().join(f), fs::Permissions::from_mode(0o666)).expect("chmod");
            }
            fs::set_permissions(st.path().join("tables"), fs::Permissions::from_mode(0o777)).expect("chmod");
            st.commit(serde_json::Value::Null, Vec::new(), "1", serde_json::Value::Null)
                .expect("commit");
            assert_eq!(mode(&manifest_path(&w.stage_dir(stage))), 0o600, "{stage}");
            let made = w.stage_dir(stage);
            for f in ["T01.csv", "tables/T02.csv"] {
                assert_eq!(mode(&made.join(f)), file, "{stage}/{f}");
            }
            assert_eq!(mode(&made.join("tables")), folder, "{stage}/tables");
        }
        assert_eq!(mode(&root), 0o700);
        // A manifest an earlier version left readable is made private when written again.
        let m = manifest_path(&w.stage_dir("04-aggregate"));
        fs::set_permissions(&m, fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&m, b"{}").expect("write");
        assert_eq!(mode(&m), 0o600);
        // A folder that exists keeps its mode: it is the user's.
        let shared = tempfile::tempdir().expect("tempdir");
        fs::set_permissions(shared.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let st = Workdir::new(shared.path())
            .expect("workdir")
            .begin("04-aggregate")
            .expect("begin");
        drop(st);
        assert_eq!(mode(shared.path()), 0o755);
    }

    #[test]
    fn a_work_directory_is_made_by_the_first_stage_that_writes_not_before() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("new").join("work");
        let w = Workdir::new(&root).expect("workdir");
        assert!(
            !root.exists(),
            "a command failing before any stage writes leaves no folder"
        );
        let staging = w.begin("01-ingest").expect("begin");
        assert!(root.is_dir() && staging.path().starts_with(&root));
    }
}
