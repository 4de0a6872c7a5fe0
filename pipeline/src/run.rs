//! Runs stages inside a work directory: skips a stage whose inputs and parameters are
//! unchanged, otherwise writes it afresh and swaps it in whole.

use std::path::Path;

use crate::error::StageError;
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::progress::Progress;
use crate::schema::Schema;
use crate::stage::{FileHash, Workdir, hash_file, list_files};

pub const REPORT_TXT: &str = "validation-report.txt";
pub const REPORT_JSON: &str = "validation-report.json";

/// What a stage run did.
pub struct StageRun<T> {
    pub result: T,
    pub skipped: bool,
    pub dir: std::path::PathBuf,
}

fn hash_inputs(dir: &Path) -> Result<Vec<FileHash>, StageError> {
    list_files(dir)?
        .iter()
        .map(|p| {
            let rel = p
                .strip_prefix(dir)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/");
            hash_file(p, &rel)
        })
        .collect()
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
    if !input.is_dir() {
        return Err(StageError::Input(format!(
            "{}: not a folder of submissions",
            input.display()
        )));
    }
    let inputs = hash_inputs(input)?;
    let params = serde_json::json!({
        "ignore_extra_columns": opts.ignore_extra_columns,
        "sheet": opts.sheet.name,
    });
    let dir = work.stage_dir(ingest::STAGE);
    if !force
        && work
            .up_to_date(ingest::STAGE, &inputs, &params, &schema.version)
            .is_some()
    {
        let path = dir.join(REPORT_JSON);
        let text = std::fs::read_to_string(&path).map_err(|e| StageError::io(&path, e))?;
        let report = serde_json::from_str(&text).map_err(|e| StageError::Manifest {
            path,
            message: e.to_string(),
        })?;
        return Ok(StageRun {
            result: report,
            skipped: true,
            dir,
        });
    }
    let staging = work.begin(ingest::STAGE)?;
    let report = ingest::ingest_folder(schema, input, staging.path(), opts, progress)?;
    write_text(&staging.path().join(REPORT_TXT), &report.to_text())?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| StageError::Input(e.to_string()))?;
    write_text(&staging.path().join(REPORT_JSON), &json)?;
    let summary = serde_json::to_value(&report.totals).map_err(|e| StageError::Input(e.to_string()))?;
    staging.commit(params, inputs, &schema.version, summary)?;
    Ok(StageRun {
        result: report,
        skipped: false,
        dir,
    })
}

pub fn write_text(path: &Path, text: &str) -> Result<(), StageError> {
    std::fs::write(path, text).map_err(|e| StageError::io(path, e))
}

pub const PSEUDO_REPORT: &str = "pseudonymise-report.json";
pub const LINK_REPORT_TXT: &str = "linkage-report.txt";
pub const LINK_REPORT_JSON: &str = "linkage-report.json";

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StageError> {
    serde_json::to_string_pretty(v).map_err(|e| StageError::Input(format!("cannot serialise: {e}")))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, StageError> {
    let text = std::fs::read_to_string(path).map_err(|e| StageError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| StageError::Manifest {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Pseudonymises the validated files in `input` (by default the ingest stage's output).
pub fn pseudonymise_stage(
    schema: &Schema,
    work: &Workdir,
    input: &Path,
    key: &crate::key::LinkageKey,
    progress: &Progress,
    force: bool,
) -> Result<StageRun<crate::pseudonymise::PseudoReport>, StageError> {
    use crate::pseudonymise as p;
    if !input.is_dir() {
        return Err(StageError::Input(format!(
            "{}: no validated files here; run `safetally ingest` first",
            input.display()
        )));
    }
    let inputs = hash_inputs(input)?;
    let params = serde_json::json!({ "key_fingerprint": key.fingerprint() });
    let dir = work.stage_dir(p::STAGE);
    if !force
        && work
            .up_to_date(p::STAGE, &inputs, &params, &schema.version)
            .is_some()
    {
        return Ok(StageRun {
            result: read_json(&dir.join(PSEUDO_REPORT))?,
            skipped: true,
            dir,
        });
    }
    let staging = work.begin(p::STAGE)?;
    let report = p::pseudonymise_dir(schema, key, input, staging.path(), progress)?;
    write_text(&staging.path().join(PSEUDO_REPORT), &to_json(&report)?)?;
    staging.commit(
        params,
        inputs,
        &schema.version,
        serde_json::json!({ "records": report.orgs.values().map(|o| o.records).sum::<u64>() }),
    )?;
    Ok(StageRun {
        result: report,
        skipped: false,
        dir,
    })
}

/// Links the pseudonymised files in `input` (by default the pseudonymise stage's output).
pub fn link_stage(
    schema: &Schema,
    work: &Workdir,
    input: &Path,
    params: &crate::link::LinkParams,
    progress: &Progress,
    force: bool,
) -> Result<StageRun<crate::link::LinkReport>, StageError> {
    use crate::link as l;
    if !input.is_dir() {
        return Err(StageError::Input(format!(
            "{}: no pseudonymised files here; run `safetally pseudonymise` first",
            input.display()
        )));
    }
    let spec = crate::schema::LinkageSpec::load(schema)?;
    let inputs = hash_inputs(input)?;
    let pjson = serde_json::to_value(params).map_err(|e| StageError::Input(e.to_string()))?;
    let dir = work.stage_dir(l::STAGE);
    if !force
        && work
            .up_to_date(l::STAGE, &inputs, &pjson, &schema.version)
            .is_some()
    {
        return Ok(StageRun {
            result: read_json(&dir.join(LINK_REPORT_JSON))?,
            skipped: true,
            dir,
        });
    }
    let bar = progress.bar(3, "link");
    bar.set_message("reading");
    let t = std::time::Instant::now();
    let records = l::load(schema, input)?;
    let read_s = t.elapsed().as_secs_f64();
    bar.inc(1);
    bar.set_message("linking");
    let linkage = l::link_records(&records, params);
    bar.inc(1);
    bar.set_message("writing");
    let staging = work.begin(l::STAGE)?;
    let t = std::time::Instant::now();
    let mut report = l::write_outputs(schema, &spec, &records, &linkage, params, staging.path())?;
    report.seconds = [
        ("1 read", read_s),
        ("2 exact step", linkage.exact_seconds),
        ("3 fuzzy step", linkage.fuzzy_seconds),
        ("4 write", t.elapsed().as_secs_f64()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    write_text(&staging.path().join(LINK_REPORT_TXT), &report.to_text())?;
    write_text(&staging.path().join(LINK_REPORT_JSON), &to_json(&report)?)?;
    bar.finish_and_clear();
    let summary = serde_json::json!({ "records": report.records, "persons": report.persons });
    staging.commit(pjson, inputs, &schema.version, summary)?;
    Ok(StageRun {
        result: report,
        skipped: false,
        dir,
    })
}
