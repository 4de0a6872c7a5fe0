//! What a stage that failed leaves behind: its earlier output removed (it no longer matches
//! its inputs), and a hint naming the command that writes again a file that stopped it.

use crate::error::StageError;
use crate::stage::Workdir;

use super::upstream::{UPSTREAM, command_of};

/// A stage that ran and failed removes its earlier output: that output no longer matches
/// the stage's inputs, and a later stage would count from it without a word. Noisy releases
/// stay: they were drawn and recorded against the budget, and the DP stage reads its earlier
/// report to refuse a second draw of the same data under another ledger.
pub(super) fn no_stale_output<T>(
    work: &Workdir,
    stage: &str,
    r: Result<T, StageError>,
) -> Result<T, StageError> {
    stale_output_noting(work, stage, r, None)
}

/// `no_stale_output`, telling also of files gone from the folder the stage read (see
/// `StageRun::gone`), which may be why it failed: the warning would otherwise be lost with it.
pub(super) fn stale_output_noting<T>(
    work: &Workdir,
    stage: &str,
    r: Result<T, StageError>,
    gone: Option<&str>,
) -> Result<T, StageError> {
    let Err(e) = r else {
        return r;
    };
    // Releases stay too: a release handed on is what the year's register holds (a refused
    // second exact release must not take the first one with it), and nothing counts from it.
    let kept = [
        crate::protect::STAGE_DP,
        crate::publish::STAGE,
        crate::publish::STAGE_DP,
        crate::journalist::STAGE,
    ];
    let dir = work.stage_dir(stage);
    // Nor on a file that could not be read or written (a full disk, a failing one, a
    // permission): the earlier output may well match its inputs, and were it made from older
    // ones, its manifest tells every later stage so (`upstream_current`).
    let io = matches!(e, StageError::Io { .. });
    let removed = if dir.is_dir() && !kept.contains(&stage) && !io {
        // Failing to remove it changes nothing about the error being reported.
        let _ = std::fs::remove_dir_all(&dir);
        format!(
            "; its earlier output {} was removed, as it no longer matched its inputs",
            dir.display()
        )
    } else {
        String::new()
    };
    let mut hint = rerun_hint(work, stage, &e);
    if let Some(gone) = gone {
        hint.push_str(&format!(". Also: {gone}"));
    }
    if removed.is_empty() && hint.is_empty() {
        return Err(e);
    }
    Err(StageError::Stopped {
        stage: stage.to_string(),
        removed,
        hint,
        cause: Box::new(e),
    })
}

/// When the file that stopped a stage belongs to an earlier stage of the work folder (missing,
/// truncated, edited by hand): which command writes it again.
fn rerun_hint(work: &Workdir, stage: &str, e: &StageError) -> String {
    let path = match e {
        StageError::Io { path, .. }
        | StageError::ParquetRead { path, .. }
        | StageError::Refused { path, .. }
        | StageError::Manifest { path, .. } => path,
        _ => return String::new(),
    };
    let command = command_of;
    let owner = UPSTREAM
        .iter()
        .flat_map(|u| [u.0, u.1])
        .find(|s| *s != stage && path.starts_with(work.stage_dir(s)));
    // A file its stage never writes (`publish --input WORK/04-aggregate` looks for protect's
    // report there): running that stage again would not make it.
    let never_written = |s: &str| {
        work.recorded_outputs(s, "").is_some_and(|written| {
            let rel = crate::stage::relative(&work.stage_dir(s), path);
            !written.iter().any(|(p, _)| *p == rel)
        })
    };
    match owner.and_then(|s| Some((s, command(s)?))) {
        Some((s, _)) if never_written(s) => format!(
            ". {} is not a file the {s} stage writes: is the folder given (--input) the one this stage reads?",
            path.display()
        ),
        Some((s, c)) => format!(
            ". {} is written by the {s} stage: run `safetally {} --work {}` again, then the stages after it",
            path.display(),
            c.replace("WORK", &work.root().display().to_string()),
            work.root().display()
        ),
        None => String::new(),
    }
}
