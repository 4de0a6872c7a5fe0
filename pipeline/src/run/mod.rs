//! Runs stages inside a work directory: skips a stage whose inputs and parameters are
//! unchanged, otherwise writes it afresh and swaps it in whole.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{InternalError, StageError, WorkFolderError};
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::key::LinkageKey;
use crate::link::{self, LinkParams, LinkReport};
use crate::progress::Progress;
use crate::pseudonymise::{self, PseudoReport};
use crate::schema::{LinkageSpec, Schema};
use crate::stage::{FileHash, Workdir};

mod ledger;
mod stop;
mod tables;
pub use ledger::{bind_ledger, check_ledger, ledger_ready, not_a_file};
pub use stop::stop_after_ingest;
pub use tables::{
    DpRun, PROTECT_REPORT_TXT, aggregate_stage, journalist_stage, protect_stage, protect_stage_dp,
    publish_stage,
};

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
    upstream_current(work, spec.input)?;
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
                gone,
            });
        }
        staging = work.begin(spec.name)?;
        staging.reads(spec.input);
        let done = stale_output_noting(work, spec.name, work_fn(staging.path()), gone.as_deref())?;
        (inputs, done, gone)
    } else {
        // The stage runs whatever the hashes say: hash the inputs (gigabytes at ten million
        // records) while it works.
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
        gone,
    })
}

/// Each stage, the stage whose folder it reads, the folder inside that it reads (`""`: all),
/// and the command that makes it.
const UPSTREAM: [(&str, &str, &str, &str); 8] = [
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
/// `link`): each stage would skip, its inputs unchanged, and publish the older persons.
fn upstream_current(work: &Workdir, input: &Path) -> Result<(), StageError> {
    let mut stage = stage_read(work, input).map(|(s, _)| s);
    let mut stale = None;
    while let Some((s, up, sub, command)) = stage.and_then(|s| UPSTREAM.iter().find(|u| u.0 == s)) {
        if work.made_from_current(s, (up, sub)) == Some(false) {
            stale = Some((*s, *up, *command));
        }
        stage = Some(*up);
    }
    let Some((s, up, command)) = stale else {
        return Ok(());
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

/// Refuses input files of a stage of this work folder that are no longer what that stage wrote
/// (its manifest has their hashes): a table edited by hand, a truncated file, another file
/// put in its place. Later stages would count from them unchecked: an exact release could
/// show a hidden cell, a DP release a count its noise was not drawn for. A folder whose files
/// are no longer the ones the stage wrote, by name (organisations' files copied in at the
/// platform, some added, some gone), is not judged, as in `Workdir::made_from_current`; the
/// files gone are returned, to be told (see `StageRun::gone`).
fn upstream_intact(work: &Workdir, input: &Path, inputs: &[FileHash]) -> Result<Option<String>, StageError> {
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
fn command_of(stage: &str) -> Option<&'static str> {
    if stage == ingest::STAGE {
        Some("ingest SUBMISSIONS")
    } else {
        UPSTREAM.iter().find(|u| u.0 == stage).map(|u| u.3)
    }
}

/// A stage that ran and failed removes its earlier output: that output no longer matches
/// the stage's inputs, and a later stage would count from it without a word. Noisy releases
/// stay: they were drawn and recorded against the budget, and the DP stage reads its earlier
/// report to refuse a second draw of the same data under another ledger.
fn no_stale_output<T>(work: &Workdir, stage: &str, r: Result<T, StageError>) -> Result<T, StageError> {
    stale_output_noting(work, stage, r, None)
}

/// `no_stale_output`, telling also of files gone from the folder the stage read (see
/// `StageRun::gone`), which may be why it failed: the warning would otherwise be lost with it.
fn stale_output_noting<T>(
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
    let removed = if dir.is_dir() && !kept.contains(&stage) {
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
        | StageError::Manifest { path, .. } => path,
        _ => return String::new(),
    };
    let command = command_of;
    let owner = UPSTREAM
        .iter()
        .flat_map(|u| [u.0, u.1])
        .find(|s| *s != stage && path.starts_with(work.stage_dir(s)));
    match owner.and_then(|s| Some((s, command(s)?))) {
        Some((s, c)) => format!(
            ". {} is written by the {s} stage: run `safetally {} --work {}` again, then the stages after it",
            path.display(),
            c.replace("WORK", &work.root().display().to_string()),
            work.root().display()
        ),
        None => String::new(),
    }
}

fn hash_inputs(dir: &Path) -> Result<Vec<FileHash>, StageError> {
    crate::stage::hash_inputs(dir)
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<String, StageError> {
    serde_json::to_string_pretty(v).map_err(|e| StageError::serialise("", e))
}

pub(crate) fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, StageError> {
    serde_json::to_value(v).map_err(|e| StageError::serialise("", e))
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, StageError> {
    let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| StageError::Manifest {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

pub fn write_text(path: &Path, text: &str) -> Result<(), StageError> {
    std::fs::write(path, text).map_err(|e| StageError::io(path, e))
}

/// The ingest stage over a folder of submissions.
pub fn ingest_stage(
    schema: &Schema,
    work: &Workdir,
    input: &Path,
    opts: &IngestOptions,
    progress: &Progress,
    force: bool,
) -> Result<StageRun<IngestReport>, StageError> {
    not_the_work_folder(work, input)?;
    // A wrong option is refused before the stage starts, which would remove its earlier output.
    ingest::refuse_asked_contract_columns(schema, opts)?;
    let spec = StageSpec {
        name: ingest::STAGE,
        input,
        missing: "pass the folder that holds the organisations' files (CSV, XLSX or Parquet)",
        params: ingest_params(opts),
        report_json: REPORT_JSON,
    };
    run_stage(schema, work, spec, force, |out| {
        let report = ingest::ingest_folder(schema, input, out, opts, progress)?;
        write_text(&out.join(REPORT_TXT), &report.to_text())?;
        Ok(Done {
            summary: to_value(&report.totals)?,
            report,
        })
    })
}

/// The options that change what ingest makes of the same files, for the stage's manifest.
/// `ignore_columns` is there only when given, so that work folders of earlier versions are
/// not read again for it.
fn ingest_params(opts: &IngestOptions) -> serde_json::Value {
    let mut params =
        serde_json::json!({ "ignore_extra_columns": opts.ignore_extra_columns, "sheet": opts.sheet.name });
    if !opts.ignore_columns.is_empty() {
        params["ignore_columns"] = serde_json::json!(opts.ignore_columns);
    }
    params
}

/// Refuses a folder of submissions that is the work folder itself: the next ingest would read
/// the stages' own files as submissions (a work folder inside the submissions is passed over,
/// but the folder read cannot pass over itself).
fn not_the_work_folder(work: &Workdir, input: &Path) -> Result<(), StageError> {
    let same = match (input.canonicalize(), resolved(work.root())) {
        (Ok(a), Some(b)) => a == b || same_folder(&a, &b),
        _ => false,
    };
    if same {
        return Err(WorkFolderError::WorkIsInput {
            input: input.to_path_buf(),
        }
        .into());
    }
    Ok(())
}

/// Whether two existing paths are one folder by device and inode: a bind mount of the
/// submissions folder elsewhere has another path with links resolved, but the same folder.
fn same_folder(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// A folder's path with links and `..` resolved, also when it does not exist yet (`sub/new/..`
/// is `sub`): its nearest existing ancestor resolved, and the rest added by name.
fn resolved(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(real) = at.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    std::path::Component::ParentDir => {
                        out.pop();
                    }
                    std::path::Component::Normal(name) => out.push(name),
                    _ => {}
                }
            }
            return Some(out);
        }
        rest.push(at.components().next_back()?);
        at = at.parent()?;
    }
}

/// Pseudonymises the validated files in `input` (by default the ingest stage's output).
pub fn pseudonymise_stage(
    schema: &Schema,
    work: &Workdir,
    input: &Path,
    key: &LinkageKey,
    progress: &Progress,
    force: bool,
) -> Result<StageRun<PseudoReport>, StageError> {
    let spec = StageSpec {
        name: pseudonymise::STAGE,
        input,
        missing: "no validated files here: `safetally ingest` has not run, or accepted no row (its validation-report.txt says why)",
        params: serde_json::json!({ "key_fingerprint": key.fingerprint() }),
        report_json: PSEUDO_REPORT,
    };
    run_stage(schema, work, spec, force, |out| {
        let report = pseudonymise::pseudonymise_dir(schema, key, input, out, progress)?;
        let records: u64 = report.orgs.values().map(|o| o.records).sum();
        Ok(Done {
            summary: serde_json::json!({ "records": records }),
            report,
        })
    })
}

/// Refuses a key other than the one the work folder's pseudonymised records were made under,
/// unless `new_key` says the platform replaced its key on purpose. Another key links the same
/// submissions afresh, quietly: an outside review's rerun with a test key re-linked them and
/// spent a second DP release of the year, with exit 0 and no word of the key.
pub fn same_key_as_before(work: &Workdir, key: &LinkageKey, new_key: bool) -> Result<(), StageError> {
    let report = work.stage_dir(pseudonymise::STAGE).join(PSEUDO_REPORT);
    if new_key || !report.is_file() {
        return Ok(());
    }
    let before: PseudoReport = read_json(&report)?;
    let now = key.fingerprint();
    if before.key_fingerprint.is_empty() || before.key_fingerprint == now {
        return Ok(());
    }
    Err(WorkFolderError::OtherKey {
        work: work.root().to_path_buf(),
        before: before.key_fingerprint,
        now,
    }
    .into())
}

/// Links the pseudonymised files in `input` (by default the pseudonymise stage's output).
pub fn link_stage(
    schema: &Schema,
    work: &Workdir,
    input: &Path,
    params: &LinkParams,
    progress: &Progress,
    force: bool,
) -> Result<StageRun<LinkReport>, StageError> {
    let linkage_spec = LinkageSpec::load(schema)?;
    let spec = StageSpec {
        name: link::STAGE,
        input,
        missing: "no pseudonymised files here; run `safetally pseudonymise` first",
        params: to_value(params)?,
        report_json: LINK_REPORT_JSON,
    };
    run_stage(schema, work, spec, force, |out| {
        let bar = progress.bar(3, "link");
        bar.set_message("reading");
        let t = std::time::Instant::now();
        let records = link::load_for(schema, input, params.fuzzy)?;
        let read_s = t.elapsed().as_secs_f64();
        bar.inc(1);
        bar.set_message("linking");
        let linkage = link::link_records(&records, params);
        bar.inc(1);
        bar.set_message("writing");
        let t = std::time::Instant::now();
        let mut report = link::write_outputs(schema, &linkage_spec, &records, &linkage, params, out)?;
        report.seconds = [
            ("1 read", read_s),
            ("2 exact step", linkage.exact_seconds),
            ("3 fuzzy step", linkage.fuzzy_seconds),
            ("4 write", t.elapsed().as_secs_f64()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        report.not_read = records.not_read.clone();
        report.empty_files = records.empty_files.clone();
        write_text(&out.join(LINK_REPORT_TXT), &report.to_text())?;
        bar.finish_and_clear();
        Ok(Done {
            summary: serde_json::json!({ "records": report.records, "persons": report.persons }),
            report,
        })
    })
}
