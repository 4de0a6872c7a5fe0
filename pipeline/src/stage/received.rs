//! What became of the folder a stage read when that was not its upstream stage's own folder
//! (`link --input received`): its manifest lists the files by name and size, so files
//! withdrawn, added or replaced since are seen without hashing them again.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Manifest, Workdir, list_entries, relative, where_read};

/// The folder a stage read, as it is now.
pub enum FolderRead {
    /// Its upstream stage's folder in this work folder (or a manifest from before folders were
    /// recorded).
    Upstream,
    /// Another folder, holding the files the stage read, by name and size.
    Same,
    /// Another folder whose files changed since: what changed, in words.
    Changed { folder: PathBuf, changes: String },
    /// The folder is gone.
    Gone { folder: PathBuf },
}

impl Workdir {
    /// What became of the folder the stage of `manifest` read, when it is not `upstream`'s
    /// folder `sub` (`""`: all of it).
    pub fn folder_read(&self, manifest: &Manifest, (upstream, sub): (&str, &str)) -> FolderRead {
        let Some(dir) = &manifest.input_dir else {
            return FolderRead::Upstream;
        };
        let upstream_dir = self.stage_dir(upstream).join(sub);
        if where_read(&self.root, &upstream_dir).as_ref() == Some(dir) {
            return FolderRead::Upstream;
        }
        // An absolute path stays itself when joined.
        let folder = self.root.join(dir);
        let Ok(entries) = list_entries(&folder) else {
            return FolderRead::Gone { folder };
        };
        // Files that could not be read then or now (another user's, a broken link) say
        // nothing of what the stage read: compared, they would refuse every later stage for
        // good, as linking again records them unreadable again.
        let now: BTreeMap<String, u64> = entries
            .iter()
            .filter(|e| e.problem.is_none())
            .filter_map(|e| Some((relative(&folder, &e.path), std::fs::metadata(&e.path).ok()?.len())))
            .collect();
        let then: BTreeMap<&str, u64> = manifest
            .inputs
            .iter()
            .filter(|f| !f.blake3.starts_with(super::UNREADABLE))
            .map(|f| (f.path.as_str(), f.bytes))
            .collect();
        let gone: Vec<&str> = then.keys().copied().filter(|p| !now.contains_key(*p)).collect();
        // Only an added Parquet file can change what a stage counts (the stages read Parquet);
        // a note or a checksum file put beside them does not.
        let added: Vec<&str> = now
            .keys()
            .map(String::as_str)
            .filter(|p| !then.contains_key(p) && p.to_ascii_lowercase().ends_with(".parquet"))
            .collect();
        let other: Vec<&str> = then
            .iter()
            .filter(|(p, b)| now.get(**p).is_some_and(|n| n != *b))
            .map(|(p, _)| *p)
            .collect();
        let said: Vec<String> = [(gone, "gone"), (added, "added"), (other, "of another size")]
            .into_iter()
            .filter(|(files, _)| !files.is_empty())
            .map(|(files, what)| {
                let more = files.len().saturating_sub(5);
                let shown = files.iter().take(5).copied().collect::<Vec<_>>().join(", ");
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!("{shown}{more} {what}")
            })
            .collect();
        if said.is_empty() {
            FolderRead::Same
        } else {
            FolderRead::Changed {
                folder,
                changes: said.join("; "),
            }
        }
    }
}
