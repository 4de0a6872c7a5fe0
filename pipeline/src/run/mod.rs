//! Runs stages inside a work directory: skips a stage whose inputs and parameters are
//! unchanged, otherwise writes it afresh and swaps it in whole.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{InternalError, StageError, WorkFolderError};
use crate::schema::Schema;
use crate::stage::{FileHash, Workdir};

mod extract;
mod failed;
mod input;
mod json;
mod ledger;
mod release;
mod stages;
mod stop;
mod tables;
mod upstream;
pub use extract::{journalist_stage, stale_extract, unpublished_release};
use failed::{no_stale_output, stale_output_noting};
pub use json::write_text;
pub(crate) use json::{read_json, to_json, to_value};
pub use ledger::{bind_ledger, bind_ledger_if_made, check_ledger, ledger_ready, not_a_file};
pub use release::publish_stage;
pub use stages::{ingest_stage, link_stage, pseudonymise_stage, same_key_as_before};
pub use stop::stop_after_ingest;
pub use tables::{DpRun, PROTECT_REPORT_TXT, aggregate_stage, protect_stage, protect_stage_dp};
use upstream::{upstream_current, upstream_intact};

pub const REPORT_TXT: &str = "validation-report.txt";
pub const REPORT_JSON: &str = "validation-report.json";
pub const PSEUDO_REPORT: &str = "pseudonymise-report.json";
pub const LINK_REPORT_TXT: &str = "linkage-report.txt";
pub const LINK_REPORT_JSON: &str = "linkage-report.json";

/// What a stage run did.
pub struct StageRun<T> {
    pub result: T,
    pub skipped: bool,
    pub dir: PathBuf,
    /// Files the stage before wrote in the folder read and that are gone from it since, told
    /// as a warning: a file deleted by mistake would otherwise leave an organisation out of
    /// every later table without a word (files brought in by hand, fewer, are not refused).
    pub gone: Option<String>,
}

/// What every stage declares: its folder, where its inputs are, what to say when they are
/// missing, its parameters, and the JSON report a skipped rerun reads back.
pub(crate) struct StageSpec<'a> {
    name: &'a str,
    input: &'a Path,
    missing: &'a str,
    params: serde_json::Value,
    report_json: &'a str,
}

/// What a stage's work returns: its report and the short summary kept in the manifest.
pub(crate) struct Done<R> {
    report: R,
    summary: serde_json::Value,
}

/// Skips the stage if its manifest says nothing changed; otherwise runs `work_fn` in a
/// staging folder, writes the JSON report there and commits the folder with its manifest.
pub(crate) fn run_stage<R: Serialize + DeserializeOwned>(
    schema: &Schema,
    work: &Workdir,
    spec: StageSpec,
    force: bool,
    work_fn: impl FnOnce(&Path) -> Result<Done<R>, StageError>,
) -> Result<StageRun<R>, StageError> {
    // Before the stage reads what another process might be replacing (a folder that does not
    // exist yet is taken by `begin`, which makes it).
    if work.root().is_dir() {
        work.lock()?;
    }
    if spec.input.is_file() {
        return Err(WorkFolderError::InputIsAFile {
            path: spec.input.to_path_buf(),
        }
        .into());
    }
    if !spec.input.is_dir() {
        return Err(WorkFolderError::NoInput {
            path: spec.input.to_path_buf(),
            exists: spec.input.exists(),
            advice: spec.missing.to_string(),
        }
        .into());
    }
    let unverified = upstream_current(work, spec.input)?;
    // Also when the stage is skipped: a killed run's staging folder may hold names.
    work.remove_leftovers(None)?;
    work.tighten_manifests();
    let dir = work.stage_dir(spec.name);
    if !force {
        work.no_foreign_files(spec.name)?;
    }
    let may_skip = !force && work.has_manifest_for(spec.name, &spec.params, &schema.version);
    // Stages that record something lasting while they work (a DP draw in the ledger, an exact
    // release in the register) must see changed inputs before they start, not after: their
    // inputs are small tables, so they are hashed first.
    let records = [
        crate::protect::STAGE_DP,
        crate::publish::STAGE,
        crate::publish::STAGE_DP,
        crate::journalist::STAGE,
    ]
    .contains(&spec.name);
    let mut staging;
    let (inputs, done, gone) = if may_skip || records {
        // Only the input hashes can tell whether the stage is up to date: hash first.
        let inputs = hash_inputs(spec.input)?;
        let gone = no_stale_output(work, spec.name, upstream_intact(work, spec.input, &inputs))?;
        if may_skip
            && work
                .up_to_date(spec.name, &inputs, &spec.params, &schema.version)
                .is_some()
        {
            let result = read_json(&dir.join(spec.report_json))?;
            return Ok(StageRun {
                result,
                skipped: true,
                dir,
                gone: warnings(unverified, gone),
            });
        }
        if !force {
            work.nothing_to_lose(spec.name)?;
        }
        staging = work.begin(spec.name)?;
        staging.reads(spec.input);
        let done = stale_output_noting(work, spec.name, work_fn(staging.path()), gone.as_deref())?;
        (inputs, done, gone)
    } else {
        // The stage runs whatever the hashes say: hash the inputs (gigabytes at ten million
        // records) while it works.
        if !force {
            work.nothing_to_lose(spec.name)?;
        }
        staging = work.begin(spec.name)?;
        staging.reads(spec.input);
        let (inputs, done, gone) = no_stale_output(
            work,
            spec.name,
            std::thread::scope(|s| {
                let hashing = s.spawn(|| hash_inputs(spec.input));
                let done = work_fn(staging.path());
                let inputs = hashing.join().unwrap_or_else(|_| {
                    Err(InternalError::Panicked {
                        what: "hashing the inputs",
                    }
                    .into())
                });
                let inputs = inputs?;
                // Before the output is committed: made from changed files, it must not stand.
                let gone = upstream_intact(work, spec.input, &inputs)?;
                Ok::<_, StageError>((inputs, done, gone))
            }),
        )?;
        let done = stale_output_noting(work, spec.name, done, gone.as_deref())?;
        (inputs, done, gone)
    };
    write_text(&staging.path().join(spec.report_json), &to_json(&done.report)?)?;
    staging.commit(spec.params, inputs, &schema.version, done.summary)?;
    Ok(StageRun {
        result: done.report,
        skipped: false,
        dir,
        gone: warnings(unverified, gone),
    })
}

/// Warnings of an earlier stage that could not be checked and of files gone, as one text.
pub(super) fn warnings(unverified: Option<String>, gone: Option<String>) -> Option<String> {
    match (unverified, gone) {
        (Some(a), Some(b)) => Some(format!("{a}. Also: {b}")),
        (a, b) => a.or(b),
    }
}

fn hash_inputs(dir: &Path) -> Result<Vec<FileHash>, StageError> {
    crate::stage::hash_inputs(dir)
}
