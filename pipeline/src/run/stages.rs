//! The stages up to linkage: ingest the submissions, pseudonymise them (under the work
//! folder's one key), and link the records into persons.

use std::path::Path;

use super::input::not_the_work_folder;
use super::{
    Done, LINK_REPORT_JSON, LINK_REPORT_TXT, PSEUDO_REPORT, REPORT_JSON, REPORT_TXT, StageRun, StageSpec,
    read_json, run_stage, to_value, write_text,
};
use crate::error::{StageError, WorkFolderError};
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::key::LinkageKey;
use crate::link::{self, LinkParams, LinkReport};
use crate::progress::Progress;
use crate::pseudonymise::{self, PseudoReport};
use crate::schema::{LinkageSpec, Schema};
use crate::stage::Workdir;

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
