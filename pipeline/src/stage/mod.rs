//! The work directory: one folder per stage, written under a temporary name and renamed when
//! complete, with a manifest (inputs' BLAKE3, parameters, versions, outputs). A rerun with
//! unchanged inputs skips the work; a crash never leaves a half-written stage behind.

mod hash;
mod received;
mod staging;
mod walk;

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{StageError, WorkFolderError};

pub use hash::{HashingFile, UNREADABLE, changed_files, hash_file, hash_inputs, hash_tree};
pub use received::FolderRead;
pub use staging::{Staging, make_private_folder, write_private};
pub use walk::{Entry, hidden_submissions, list_entries, list_files, list_parquet, relative};

pub const SOFTWARE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Suffix of a stage's manifest, kept beside its folder (`.NAME.manifest.json`), never inside:
/// a release folder handed on must not carry hashes of internal files (a hash of a small file
/// of counts lets anyone confirm a guess of them), and a later stage hashes only data files.
pub const MANIFEST: &str = ".manifest.json";

/// Where the manifest of the stage in `stage_dir` is kept.
pub fn manifest_path(stage_dir: &Path) -> PathBuf {
    let name = stage_dir
        .file_name()
        .map_or_else(|| "stage".into(), |n| n.to_string_lossy().into_owned());
    stage_dir.with_file_name(format!(".{name}{MANIFEST}"))
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileHash {
    pub path: String,
    /// BLAKE3 of the file's bytes, in hex.
    pub blake3: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub stage: String,
    pub software_version: String,
    pub schema_version: String,
    pub params: serde_json::Value,
    pub inputs: Vec<FileHash>,
    pub outputs: Vec<FileHash>,
    pub summary: serde_json::Value,
    pub completed_unix: u64,
    /// The folder the stage read (relative to the work folder when inside it), when it read
    /// one: a later stage's check that this stage was made from its upstream as it is now
    /// applies only when it read that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_dir: Option<String>,
}

/// Stages whose folders are made to be handed on (the releases and the journalists' extract);
/// every other stage's folder is readable by its owner only.
const HANDED_ON: [&str; 3] = [
    crate::publish::STAGE,
    crate::publish::STAGE_DP,
    crate::journalist::STAGE,
];

pub struct Workdir {
    root: PathBuf,
}

impl Workdir {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, StageError> {
        let root = root.into();
        if root.exists() && !root.is_dir() {
            return Err(WorkFolderError::IsAFile { path: root }.into());
        }
        // Made by the first stage that writes (`begin`), so a command that fails before
        // writing leaves no empty folder behind.
        Ok(Workdir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the folder (made if missing) for this process until it ends: see `worklock`.
    /// Every stage takes it before it writes; `run` before its first stage reads.
    pub fn lock(&self) -> Result<(), StageError> {
        crate::worklock::lock_work(&self.root)
    }

    pub fn stage_dir(&self, stage: &str) -> PathBuf {
        self.root.join(stage)
    }

    /// The stage's manifest, if it has a readable one.
    pub(crate) fn manifest(&self, stage: &str) -> Option<Manifest> {
        let text = fs::read_to_string(manifest_path(&self.stage_dir(stage))).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The files the stage wrote in its folder `sub` (`""`: all), by their path there, with
    /// their hashes, as its manifest recorded them.
    pub fn recorded_outputs(&self, stage: &str, sub: &str) -> Option<Vec<(String, String)>> {
        let m = self.manifest(stage)?;
        Some(
            under(&m.outputs, sub)
                .map(|(p, h)| (p.to_string(), h.to_string()))
                .collect(),
        )
    }

    /// Whether the stage has a manifest made with these parameters and versions: only then
    /// can it be up to date, and only then is it worth hashing the inputs before running it.
    pub fn has_manifest_for(&self, stage: &str, params: &serde_json::Value, schema_version: &str) -> bool {
        self.manifest(stage).is_some_and(|m| {
            m.software_version == SOFTWARE_VERSION
                && m.schema_version == schema_version
                && &m.params == params
        })
    }

    /// The stage's manifest if the stage is complete and was made from exactly these inputs,
    /// parameters and versions, with its outputs untouched since.
    pub fn up_to_date(
        &self,
        stage: &str,
        inputs: &[FileHash],
        params: &serde_json::Value,
        schema_version: &str,
    ) -> Option<Manifest> {
        let dir = self.stage_dir(stage);
        let m = self.manifest(stage)?;
        let same = m.software_version == SOFTWARE_VERSION
            && m.schema_version == schema_version
            && &m.params == params
            && m.inputs == inputs;
        (same && changed_files(&dir, &m.outputs).is_empty()).then_some(m)
    }

    /// A release folder is handed on whole: files in it that its stage did not write (notes,
    /// a table of another release copied in) would go with it under the release's name, so
    /// they are refused, named, before the stage is taken as up to date (an outside review
    /// saw such files kept and "Hand on the whole folder" printed).
    pub fn no_foreign_files(&self, stage: &str) -> Result<(), StageError> {
        if !HANDED_ON.contains(&stage) {
            return Ok(());
        }
        self.refuse_foreign_files(stage, |dir, stage, files| WorkFolderError::ForeignFiles {
            dir,
            stage,
            files,
        })
    }

    /// Any other stage's folder is replaced whole when the stage writes it: files put in it
    /// would be deleted without a word (an outside review lost a late organisation's file so),
    /// so they are refused, named, when the stage is about to write. A folder without its
    /// manifest is not judged: a run stopped between swapping the folder in and writing its
    /// manifest leaves one, which is made again.
    pub fn nothing_to_lose(&self, stage: &str) -> Result<(), StageError> {
        if HANDED_ON.contains(&stage) {
            return Ok(());
        }
        self.refuse_foreign_files(stage, |dir, stage, files| WorkFolderError::ForeignFilesInStage {
            dir,
            stage,
            files,
        })
    }

    /// `error` naming the files in `stage`'s folder that its manifest does not list, if any.
    fn refuse_foreign_files(
        &self,
        stage: &str,
        error: impl FnOnce(PathBuf, String, Vec<String>) -> WorkFolderError,
    ) -> Result<(), StageError> {
        match self.foreign_files(stage) {
            Some(files) if !files.is_empty() => {
                Err(error(self.stage_dir(stage), stage.to_string(), files).into())
            }
            _ => Ok(()),
        }
    }

    /// The files in a stage's folder that its manifest does not list; None without a manifest.
    fn foreign_files(&self, stage: &str) -> Option<Vec<String>> {
        let m = self.manifest(stage)?;
        let dir = self.stage_dir(stage);
        let listed: std::collections::BTreeSet<&str> = m.outputs.iter().map(|o| o.path.as_str()).collect();
        Some(
            list_files(&dir)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| p.strip_prefix(&dir).ok())
                .map(|p| p.to_string_lossy().into_owned())
                .filter(|p| !listed.contains(p.as_str()))
                .collect(),
        )
    }

    /// Whether `stage` was made from what the folder `sub` of stage `upstream` holds now (`""`:
    /// the whole stage), by their manifests: None when either has none (a platform's work
    /// folder has no ingest), else whether the stage read exactly those files, unchanged.
    ///
    /// Also None when the stage read another folder (`--input`), or when the upstream folder's
    /// files are no longer the ones its manifest lists (by name and size: files copied in by
    /// hand, as a platform does with organisations' pseudonymised files), since its manifest
    /// then says nothing about them.
    pub fn made_from_current(&self, stage: &str, (upstream, sub): (&str, &str)) -> Option<bool> {
        let (down, up) = (self.manifest(stage)?, self.manifest(upstream)?);
        let read = self.stage_dir(upstream).join(sub);
        if let Some(dir) = &down.input_dir
            && where_read(&self.root, &read).as_ref() != Some(dir)
        {
            return None;
        }
        let listed: std::collections::BTreeSet<(String, u64)> = up
            .outputs
            .iter()
            .filter(|f| sub.is_empty() || f.path.starts_with(&format!("{sub}/")))
            .map(|f| (f.path.clone(), f.bytes))
            .collect();
        let there: std::collections::BTreeSet<(String, u64)> = list_files(&read)
            .ok()?
            .iter()
            .map(|p| {
                let path = relative(&self.stage_dir(upstream), p);
                (path, fs::metadata(p).map_or(u64::MAX, |m| m.len()))
            })
            .collect();
        if listed != there {
            return None;
        }
        let read_then: std::collections::BTreeSet<(&str, &str)> = down
            .inputs
            .iter()
            .map(|f| (f.path.as_str(), f.blake3.as_str()))
            .collect();
        let there_now: std::collections::BTreeSet<(&str, &str)> = under(&up.outputs, sub).collect();
        Some(read_then == there_now)
    }
}

/// The files of `outputs` in the folder `sub` (`""`: all), by their path there, with their
/// hashes.
fn under<'a>(outputs: &'a [FileHash], sub: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
    outputs.iter().filter_map(move |f| {
        let path = if sub.is_empty() {
            f.path.as_str()
        } else {
            f.path.strip_prefix(sub)?.strip_prefix('/')?
        };
        Some((path, f.blake3.as_str()))
    })
}

/// The folder a stage reads, as its manifest records it: relative to the work folder when it
/// is inside (so that a work folder moved or copied whole still knows its stages read each
/// other), else its absolute path.
fn where_read(root: &Path, dir: &Path) -> Option<String> {
    let dir = fs::canonicalize(dir).ok()?;
    Some(match fs::canonicalize(root) {
        Ok(root) if dir.starts_with(&root) => relative(&root, &dir),
        _ => dir.to_string_lossy().into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ingest, then a stage made from its validated folder; ingest again with other records:
    /// the stage no longer matches, and matches again once remade.
    #[test]
    fn a_stage_knows_whether_it_was_made_from_its_upstream_as_it_is_now() {
        let dir = tempfile::tempdir().expect("tempdir");
        let w = Workdir::new(dir.path()).expect("workdir");
        let commit = |stage: &str, file: &str, body: &[u8], inputs: Vec<FileHash>| {
            let st = w.begin(stage).expect("begin");
            let path = st.path().join(file);
            fs::create_dir_all(path.parent().expect("in a folder")).expect("mkdir");
            fs::write(&path, body).expect("write");
            st.commit(serde_json::Value::Null, inputs, "1", serde_json::Value::Null)
                .expect("commit");
        };
        let ingest = |body: &[u8]| commit("01-ingest", "validated/A.parquet", body, vec![]);
        let pseudonymise = || {
            let inputs = hash_inputs(&dir.path().join("01-ingest/validated")).expect("hash");
            commit("02-pseudonymise", "A.parquet", b"p", inputs);
        };
        let current = || w.made_from_current("02-pseudonymise", ("01-ingest", "validated"));
        assert_eq!(current(), None, "nothing made yet");
        ingest(b"first");
        pseudonymise();
        assert_eq!(current(), Some(true));
        ingest(b"second");
        assert_eq!(current(), Some(false));
        pseudonymise();
        assert_eq!(current(), Some(true));
    }
}
