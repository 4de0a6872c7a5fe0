//! The work directory: one folder per stage, written under a temporary name and renamed when
//! complete, with a manifest (inputs' BLAKE3, parameters, versions, outputs). A rerun with
//! unchanged inputs skips the work; a crash never leaves a half-written stage behind.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::StageError;

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

/// A stage being written: its files go to `path()` and become visible only at `commit`.
pub struct Staging {
    tmp: PathBuf,
    target: PathBuf,
    stage: String,
    input_dir: Option<String>,
}

impl Workdir {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, StageError> {
        let root = root.into();
        if root.exists() && !root.is_dir() {
            return Err(StageError::Input(format!(
                "{}: the work directory must be a folder, and this is a file; pass --work with a folder (it is made if missing)",
                root.display()
            )));
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
    fn manifest(&self, stage: &str) -> Option<Manifest> {
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
    /// saw such files kept and "Hand on the whole folder" printed). Other stages' folders are
    /// internal and rewritten whole when they run.
    pub fn no_foreign_files(&self, stage: &str) -> Result<(), StageError> {
        if !HANDED_ON.contains(&stage) {
            return Ok(());
        }
        let Some(m) = self.manifest(stage) else {
            return Ok(());
        };
        let dir = self.stage_dir(stage);
        let listed: std::collections::BTreeSet<&str> = m.outputs.iter().map(|o| o.path.as_str()).collect();
        let foreign: Vec<String> = list_files(&dir)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.strip_prefix(&dir).ok())
            .map(|p| p.to_string_lossy().into_owned())
            .filter(|p| !listed.contains(p.as_str()))
            .collect();
        if foreign.is_empty() {
            return Ok(());
        }
        Err(StageError::Input(format!(
            "{} holds {} file(s) the {stage} stage did not write ({}): the folder is handed on whole, so it must hold the release alone. Move them out of it and run again (or pass --force to write the release again without them)",
            dir.display(),
            foreign.len(),
            foreign.join(", ")
        )))
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

    pub fn begin(&self, stage: &str) -> Result<Staging, StageError> {
        self.lock()?;
        self.remove_leftovers(Some(stage))?;
        let tmp = self.root.join(format!(".{stage}.tmp-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(|e| StageError::io(&tmp, e))?;
        }
        fs::create_dir_all(&tmp).map_err(|e| StageError::io(&tmp, e))?;
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
}

impl Workdir {
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
                fs::remove_dir_all(&p).map_err(|e| StageError::io(&p, e))?;
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
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| StageError::Input(format!("cannot serialise the manifest: {e}")))?;
        let old = self
            .target
            .with_file_name(format!(".{}.old-{}", self.stage, std::process::id()));
        if self.target.exists() {
            fs::rename(&self.target, &old).map_err(|e| StageError::io(&self.target, e))?;
        }
        fs::rename(&self.tmp, &self.target).map_err(|e| StageError::io(&self.target, e))?;
        if old.exists() {
            fs::remove_dir_all(&old).map_err(|e| StageError::io(&old, e))?;
        }
        write_private(&mpath, text.as_bytes())?;
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

/// Writes and syncs a file only its owner can read, whatever the umask: manifests hold hashes
/// of exact counts, and a hash of a small table lets anyone who reads it confirm a guess of
/// its hidden cells by making the table again.
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

pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StageError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| StageError::io(path, e))?;
    // A file made by an earlier version keeps its mode when opened: set it.
    f.set_permissions(fs::Permissions::from_mode(0o600))
        .and_then(|_| f.write_all(bytes))
        .and_then(|_| f.sync_all())
        .map_err(|e| StageError::io(path, e))
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

/// A file being written whose BLAKE3 is taken as the bytes go out: a stage's big outputs are
/// then not read back to be hashed at commit (at 10 million records, a gigabyte per stage).
pub struct HashingFile {
    path: PathBuf,
    file: fs::File,
    hasher: blake3::Hasher,
}

impl HashingFile {
    pub fn create(path: &Path) -> Result<Self, StageError> {
        Ok(HashingFile {
            path: path.to_path_buf(),
            file: fs::File::create(path).map_err(|e| StageError::io(path, e))?,
            hasher: blake3::Hasher::new(),
        })
    }

    /// Closes the file and remembers its hash for `hash_file`, with its size and modification
    /// time: a file changed since (by anything) no longer matches and is read again.
    pub fn finish(self) -> Result<(), StageError> {
        let meta = self.file.metadata().map_err(|e| StageError::io(&self.path, e))?;
        let modified = meta.modified().map_err(|e| StageError::io(&self.path, e))?;
        drop(self.file);
        let hash = self.hasher.finalize().to_hex().to_string();
        written()
            .lock()
            .map_err(|_| StageError::Input("the record of written files is poisoned".into()))?
            .insert(key_path(&self.path), (meta.len(), modified, hash));
        Ok(())
    }
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

type Written = std::sync::Mutex<std::collections::HashMap<PathBuf, (u64, std::time::SystemTime, String)>>;

/// Hashes of the files this process wrote through `HashingFile`, by path.
fn written() -> &'static Written {
    static WRITTEN: std::sync::OnceLock<Written> = std::sync::OnceLock::new();
    WRITTEN.get_or_init(Default::default)
}

fn key_path(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The hash `HashingFile` took of this file, if the file is still as it was written. It is
/// used once (at the stage's commit), so no later file at the same path can be taken for it.
fn remembered(path: &Path) -> Option<(u64, String)> {
    let meta = fs::metadata(path).ok()?;
    let (len, modified, hash) = written().lock().ok()?.remove(&key_path(path))?;
    (meta.len() == len && meta.modified().ok()? == modified).then_some((len, hash))
}

/// The files of `listed` under `dir` that are missing or no longer hash as listed.
pub fn changed_files<'a>(dir: &Path, listed: &'a [FileHash]) -> Vec<&'a str> {
    listed
        .iter()
        .filter(|f| !hash_file(&dir.join(&f.path), &f.path).is_ok_and(|h| h.blake3 == f.blake3))
        .map(|f| f.path.as_str())
        .collect()
}

/// BLAKE3 of one file, streamed, unless this process wrote it through `HashingFile` and it is
/// unchanged since. Stages hash gigabytes at 10 million records; BLAKE3's SIMD code does that
/// about ten times faster than SHA-256 on CPUs without SHA extensions.
pub fn hash_file(path: &Path, label: &str) -> Result<FileHash, StageError> {
    if let Some((bytes, blake3)) = remembered(path) {
        return Ok(FileHash {
            path: label.to_string(),
            blake3,
            bytes,
        });
    }
    let mut f = fs::File::open(path).map_err(|e| StageError::io(path, e))?;
    let mut h = blake3::Hasher::new();
    // Reads of a megabyte copied at a quarter of the speed of reads of 64 KB on the machine
    // the benchmarks run on (a VM: `dd bs=1M` against `bs=64k` of a cached file).
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| StageError::io(path, e))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        h.update(&buf[..n]);
    }
    Ok(FileHash {
        path: label.to_string(),
        blake3: h.finalize().to_hex().to_string(),
        bytes,
    })
}

/// Hashes of every file below `dir`, by path relative to it, sorted; files are hashed on
/// every core.
pub fn hash_tree(dir: &Path) -> Result<Vec<FileHash>, StageError> {
    let files = list_files(dir)?;
    crate::parallel::map_ordered(&files, |path| hash_file(path, &relative(dir, path)))
        .into_iter()
        .collect()
}

/// A file's path below `dir`, with forward slashes, as manifests record it.
pub fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Inputs of a stage, hashed: like `hash_tree`, but a file that cannot be read (its
/// permissions, a broken link) is recorded as unreadable instead of failing the stage, which
/// reports it itself; once readable, its hash differs and the stage runs again.
pub fn hash_inputs(dir: &Path) -> Result<Vec<FileHash>, StageError> {
    let entries = list_entries(dir)?;
    Ok(crate::parallel::map_ordered(&entries, |e| {
        let rel = relative(dir, &e.path);
        let unreadable = |why: String| FileHash {
            path: rel.clone(),
            blake3: format!("unreadable: {why}"),
            bytes: 0,
        };
        match e.problem {
            Some(what) => unreadable(what.to_string()),
            None => hash_file(&e.path, &rel).unwrap_or_else(|err| unreadable(err.to_string())),
        }
    }))
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

/// Every visible entry below `dir`, sorted: regular files (also through links), and anything
/// else (pipes, devices, broken links, links to folders, which are not followed so that a link
/// loop cannot trap the walk) with what it is.
/// A folder `safetally` made as a work folder: its first stage is there with a manifest.
fn is_work_folder(p: &Path) -> bool {
    manifest_path(&p.join(crate::ingest::STAGE)).is_file()
}

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
fn staging_pid(name: &str) -> Option<&str> {
    let rest = name.strip_prefix('.')?;
    let (of, pid) = rest.rsplit_once(".tmp-").or_else(|| rest.rsplit_once(".old-"))?;
    (stage_like(of) && is_pid(pid)).then_some(pid)
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

    #[test]
    fn a_hash_taken_while_writing_equals_the_files_hash_and_a_changed_file_is_read_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.parquet");
        let content: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut f = std::io::BufWriter::new(HashingFile::create(&path).expect("create"));
        for part in content.chunks(100_003) {
            f.write_all(part).expect("write");
        }
        f.into_inner()
            .map_err(|e| e.into_error())
            .expect("flush")
            .finish()
            .expect("finish");
        let expected = blake3::hash(&content).to_hex().to_string();
        let taken = hash_file(&path, "out.parquet").expect("hash");
        assert_eq!(
            (taken.blake3.as_str(), taken.bytes),
            (expected.as_str(), 3_000_000)
        );
        // The remembered hash is used once; a changed file is read whatever happened before.
        fs::write(&path, b"changed").expect("change");
        let again = hash_file(&path, "out.parquet").expect("hash");
        assert_eq!(again.blake3, blake3::hash(b"changed").to_hex().to_string());
        let mut f = HashingFile::create(&path).expect("create");
        f.write_all(b"first").expect("write");
        f.finish().expect("finish");
        fs::write(&path, b"second, longer").expect("change");
        assert_eq!(
            hash_file(&path, "x").expect("hash").blake3,
            blake3::hash(b"second, longer").to_hex().to_string(),
            "a file changed after it was written is hashed from its bytes"
        );
    }
}
