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
