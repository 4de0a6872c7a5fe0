//! Which stage reads which, and the checks on a stage's input folder: that it was made from
//! the current version of its own upstream, and that its files are still the ones written.

use std::path::Path;

use crate::error::{StageError, WorkFolderError};
use crate::stage::{FileHash, FolderRead, Workdir};
use crate::{ingest, link, pseudonymise};

/// Each stage, the stage whose folder it reads, the folder inside that it reads (`""`: all),
/// and the command that makes it.
pub(super) const UPSTREAM: [(&str, &str, &str, &str); 8] = [
    (
        pseudonymise::STAGE,
        ingest::STAGE,
        ingest::VALIDATED_DIR,
        "pseudonymise --key FILE",
    ),
    (link::STAGE, pseudonymise::STAGE, "", "link"),
    (crate::tables::STAGE, link::STAGE, "", "aggregate"),
    (
        crate::protect::STAGE,
        crate::tables::STAGE,
        "",
        "protect --mode exact",
    ),
    (
        crate::protect::STAGE_DP,
        crate::tables::STAGE,
        "",
        "protect --mode dp",
    ),
    (crate::publish::STAGE, crate::protect::STAGE, "", "publish"),
    (
        crate::publish::STAGE_DP,
        crate::protect::STAGE_DP,
        "",
        "publish --input WORK/05-protect-dp",
    ),
    (crate::journalist::STAGE, link::STAGE, "", "journalist-extract"),
];

/// The stage of this work folder whose folder (or the folder `sub` inside it) `input` is, if
/// it is one.
fn stage_read(work: &Workdir, input: &Path) -> Option<(&'static str, &'static str)> {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let input = canonical(input)?;
    UPSTREAM
        .iter()
        .flat_map(|(s, up, sub, _)| [(*s, ""), (*up, *sub)])
        .find(|(s, sub)| {
            let dir = work.stage_dir(s);
            canonical(&if sub.is_empty() { dir } else { dir.join(sub) }).as_ref() == Some(&input)
        })
}

/// Refuses to build on a stage of this work folder that was made from an earlier version of
/// its own upstream (records ingested again, then `aggregate` run without `pseudonymise` and
/// `link`): each stage would skip, its inputs unchanged, and publish the older persons; or on
/// a stage made from a folder of received files (`link --input`) whose files changed since.
/// What cannot be told (a stage folder without its manifest: a work folder copied without its
/// hidden files, a folder made by hand) is returned as a warning.
pub(super) fn upstream_current(work: &Workdir, input: &Path) -> Result<Option<String>, StageError> {
    let mut stage = stage_read(work, input).map(|(s, _)| s);
    let mut stale = None;
    let mut unverified: Vec<String> = Vec::new();
    while let Some((s, up, sub, command)) = stage.and_then(|s| UPSTREAM.iter().find(|u| u.0 == s)) {
        let Some(manifest) = work.manifest(s) else {
            unverified.push(no_manifest(work, s, command));
            break;
        };
        match work.folder_read(&manifest, (up, sub)) {
            FolderRead::Upstream => {}
            // Read from elsewhere: its own upstream in this folder is not what it counts.
            FolderRead::Same => break,
            FolderRead::Changed { folder, changes } => {
                let root = work.root().display().to_string();
                return Err(WorkFolderError::ReadFolderChanged {
                    stage_dir: work.stage_dir(s),
                    folder,
                    changes,
                    command: command
                        .split(" --input")
                        .next()
                        .unwrap_or(command)
                        .replace("WORK", &root),
                    root: work.root().to_path_buf(),
                }
                .into());
            }
            FolderRead::Gone { folder } => {
                unverified.push(format!(
                    "{} was made from {}, which is gone (or cannot be read), so whether it holds the current records cannot be told. If the folder was removed on purpose (01-ingest holds names: an organisation may delete it once its records are pseudonymised), nothing is wrong; otherwise run `safetally {} --work {}` again on the records as they are, then each stage after it",
                    work.stage_dir(s).display(),
                    folder.display(),
                    command_of(up).unwrap_or(command).replace("WORK", &work.root().display().to_string()),
                    work.root().display()
                ));
                break;
            }
        }
        if work.stage_dir(up).is_dir() && work.manifest(up).is_none() {
            unverified.push(no_manifest(work, up, command_of(up).unwrap_or("run")));
            break;
        }
        if work.made_from_current(s, (up, sub)) == Some(false) {
            stale = Some((*s, *up, *command));
        }
        stage = Some(*up);
    }
    let Some((s, up, command)) = stale else {
        return Ok((!unverified.is_empty()).then(|| unverified.join("; ")));
    };
    let root = work.root().display().to_string();
    Err(WorkFolderError::Stale {
        stage_dir: work.stage_dir(s),
        upstream: up.to_string(),
        command: command.replace("WORK", &root),
        root: work.root().to_path_buf(),
    }
    .into())
}

/// The warning for a stage folder without its manifest.
fn no_manifest(work: &Workdir, stage: &str, command: &str) -> String {
    let root = work.root().display().to_string();
    format!(
        "{} has no manifest ({} is missing or unreadable), so whether it was made from the current records cannot be told, and what is made from it could count older ones. If the work folder was copied without its hidden files, copy it again with them (`cp -a`); otherwise run `safetally {} --work {root}` again, then each stage after it. Files received from elsewhere go in a folder of their own, passed with --input",
        work.stage_dir(stage).display(),
        crate::stage::manifest_path(&work.stage_dir(stage)).display(),
        command.replace("WORK", &root),
    )
}

/// Refuses input files of a stage of this work folder that are no longer what that stage wrote
/// (its manifest has their hashes): a table edited by hand, a truncated file, another file
/// put in its place. Later stages would count from them unchecked: an exact release could
/// show a hidden cell, a DP release a count its noise was not drawn for. A folder whose files
/// are no longer the ones the stage wrote, by name (organisations' files copied in at the
/// platform, some added, some gone), is not judged, as in `Workdir::made_from_current`; the
/// files gone are returned, to be told (see `StageRun::gone`).
pub(super) fn upstream_intact(
    work: &Workdir,
    input: &Path,
    inputs: &[FileHash],
) -> Result<Option<String>, StageError> {
    // A stage folder of another work folder (`publish --input OTHER/05-protect`) is checked
    // against its own manifest too: an outside review published an edited protect folder so,
    // with "audit_passed": true.
    let elsewhere;
    let (work, (stage, sub)) = match stage_read(work, input) {
        Some(found) => (work, found),
        None => {
            // The stage folder itself, or a folder inside it (`OTHER/01-ingest/validated`).
            let found = input
                .ancestors()
                .skip(1)
                .take(2)
                .filter(|p| !p.as_os_str().is_empty())
                .find_map(|root| {
                    let other = Workdir::new(root).ok()?;
                    let read = stage_read(&other, input)?;
                    Some((other, read))
                });
            let Some((other, read)) = found else {
                return Ok(None);
            };
            elsewhere = other;
            (&elsewhere, read)
        }
    };
    let Some(written) = work.recorded_outputs(stage, sub) else {
        return Ok(None);
    };
    // A file that could not be read is told as that, not as a file changed by hand (whose
    // remedy, writing it again, would not help a failing disk or a permission).
    if let Some((f, why)) = inputs
        .iter()
        .find_map(|f| Some((f, f.blake3.strip_prefix(crate::stage::UNREADABLE)?)))
    {
        return Err(StageError::Io {
            path: input.join(&f.path),
            source: std::io::Error::other(why.to_string()),
        });
    }
    let recorded: std::collections::HashMap<&str, &str> =
        written.iter().map(|(p, h)| (p.as_str(), h.as_str())).collect();
    let names: std::collections::BTreeSet<&str> = inputs.iter().map(|f| f.path.as_str()).collect();
    if names != recorded.keys().copied().collect() {
        return Ok(gone_from(work, input, stage, &recorded, &names));
    }
    let changed: Vec<&str> = inputs
        .iter()
        .filter(|f| recorded.get(f.path.as_str()).is_some_and(|h| *h != f.blake3))
        .map(|f| f.path.as_str())
        .collect();
    let Some(first) = changed.first() else {
        return Ok(None);
    };
    let root = work.root().display().to_string();
    Err(WorkFolderError::InputChanged {
        file: input.join(first),
        stage: stage.to_string(),
        others: changed.len() - 1,
        command: command_of(stage).map(|c| c.replace("WORK", &root)),
        root: work.root().to_path_buf(),
    }
    .into())
}

/// The warning for files that `stage` wrote in `input` and that are gone from it, if any.
fn gone_from(
    work: &Workdir,
    input: &Path,
    stage: &str,
    recorded: &std::collections::HashMap<&str, &str>,
    names: &std::collections::BTreeSet<&str>,
) -> Option<String> {
    let mut gone: Vec<&str> = recorded.keys().copied().filter(|p| !names.contains(p)).collect();
    if gone.is_empty() {
        return None;
    }
    gone.sort_unstable();
    let shown = gone.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    let more = gone.len().saturating_sub(5);
    let root = work.root().display().to_string();
    let again = command_of(stage).map_or_else(String::new, |c| {
        format!(
            " run `safetally {} --work {root}` again to write them anew, then the stages after it;",
            c.replace("WORK", &root)
        )
    });
    Some(format!(
        "{}: {} file(s) the {stage} stage wrote here are gone ({shown}{}), so what they held is in no table made from this folder. If that was not on purpose,{again} to leave some out on purpose, put the files to read in a folder of their own and pass it with --input",
        input.display(),
        gone.len(),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        },
    ))
}

/// The command that writes a stage's folder.
pub(super) fn command_of(stage: &str) -> Option<&'static str> {
    if stage == ingest::STAGE {
        Some("ingest SUBMISSIONS")
    } else {
        UPSTREAM.iter().find(|u| u.0 == stage).map(|u| u.3)
    }
}
