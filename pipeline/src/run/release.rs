//! The publish stage: the release folder from the protected tables, with the hashes of what
//! it was made from, and an exact release registered for its year.

use std::path::Path;

use super::{Done, StageRun, StageSpec, hash_inputs, read_json, run_stage};
use crate::error::{ReleaseError, StageError};
use crate::protect::{self, ProtectReport, read_protected};
use crate::publish::{self, PublishInput, ReleaseManifest};
use crate::schema::Schema;
use crate::stage::{FileHash, Manifest, Workdir};
use crate::tables::{self, AggregateReport};

/// The aggregate report, the table specs it was made with, and every table as a protect
/// stage (exact or DP) left it in `protected_dir`.
pub(super) fn read_release_tables(
    schema: &Schema,
    aggregate_dir: &Path,
    protected_dir: &Path,
) -> Result<(AggregateReport, tables::Tables, Vec<protect::ProtectedTable>), StageError> {
    let agg: AggregateReport = read_json(&aggregate_dir.join(tables::aggregate::REPORT_JSON))?;
    let tables = tables::load_tables(schema, &protect::member_kind(&agg))?;
    let protected = tables
        .tables
        .iter()
        .map(|t| read_protected(t, protected_dir))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((agg, tables, protected))
}

/// The aggregate folder the protected tables were made from: the one protect read, as its
/// manifest says (`protect --input DIR` reads another work folder's), else the aggregate
/// beside them.
fn aggregate_read_by(work: &Workdir, protect_dir: &Path) -> std::path::PathBuf {
    let beside = protect_dir
        .parent()
        .map_or_else(|| work.stage_dir(tables::STAGE), |p| p.join(tables::STAGE));
    let manifest: Option<crate::stage::Manifest> = read_json(&crate::stage::manifest_path(protect_dir)).ok();
    manifest
        .and_then(|m| m.input_dir)
        .map(|d| {
            let d = std::path::PathBuf::from(d);
            match protect_dir.parent() {
                Some(root) if d.is_relative() => root.join(d),
                _ => d,
            }
        })
        .filter(|d| d.join(tables::aggregate::REPORT_JSON).is_file())
        .unwrap_or(beside)
}

/// The release folder from the protected tables.
///
/// `register`: the ledger's folder, where an exact release is registered for its year (see
/// `safetally_dp::register`); a second exact release of the year with other figures is refused.
/// None only where no release leaves the machine (tests of other things).
pub fn publish_stage(
    schema: &Schema,
    work: &Workdir,
    protect_dir: &Path,
    register: Option<&Path>,
    force: bool,
) -> Result<StageRun<ReleaseManifest>, StageError> {
    let mode: Option<ProtectReport> = read_json(&protect_dir.join(protect::REPORT_JSON)).ok();
    let dp = mode.is_some_and(|r| r.dp.is_some());
    let missing = missing_protected(protect_dir);
    let spec = StageSpec {
        name: if dp { publish::STAGE_DP } else { publish::STAGE },
        input: protect_dir,
        missing: &missing,
        params: serde_json::json!({}),
        report_json: publish::MANIFEST,
    };
    let aggregate_dir = aggregate_read_by(work, protect_dir);
    let run = run_stage(schema, work, spec, force, |out| {
        let report: ProtectReport = read_json(&protect_dir.join(protect::REPORT_JSON))?;
        let (_, tables, protected) = read_release_tables(schema, &aggregate_dir, protect_dir)?;
        // What the release was made from, as hashes nobody can recompute from a guess of the
        // data. A DP release lists its protected tables (they hold noisy values drawn at
        // random) and no upstream file: even the persons file's size follows the exact number
        // of persons more closely than the noise does. An exact release lists the link
        // stage's files (their person ids are random) but not its protected tables: those are
        // a function of the true counts, hidden ones and why they were hidden included, so
        // their hash would confirm a guess of a hidden cell.
        let inputs: Vec<FileHash> = if report.dp.is_some() {
            let stage = protect_dir.file_name().map_or_else(
                || protect::STAGE.to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            hash_inputs(protect_dir)?
                .into_iter()
                .filter(|f| f.path.ends_with(".parquet"))
                .map(|mut f| {
                    f.path = format!("{stage}/{}", f.path);
                    f
                })
                .collect()
        } else {
            upstream_inputs(&aggregate_dir)
        };
        let manifest = publish::publish(
            &PublishInput {
                schema,
                tables: &tables,
                protected: &protected,
                report: &report,
                inputs,
                coverage: publish::coverage::read(
                    &work.stage_dir(crate::ingest::STAGE).join(super::REPORT_JSON),
                    &work.stage_dir(crate::link::STAGE).join(super::LINK_REPORT_JSON),
                ),
            },
            out,
        )?;
        if report.dp.is_none()
            && let Some(dir) = register
        {
            register_exact(dir, &manifest, out)?;
        }
        Ok(Done {
            summary: serde_json::json!({ "release_id": manifest.release_id }),
            report: manifest,
        })
    })?;
    // Skipped, it was registered when it was made, but perhaps in another ledger folder: the
    // register named now must know it too (the same tables record nothing new).
    if run.skipped
        && !dp
        && let Some(dir) = register
    {
        register_exact(dir, &run.result, &run.dir)?;
    }
    Ok(run)
}

/// Registers an exact release by a hash of its published tables (CSV), before it is swapped
/// into place: the release id also hashes the persons file, whose random ids change with every
/// link, and the same figures must be the same release.
fn register_exact(dir: &Path, manifest: &ReleaseManifest, out: &Path) -> Result<(), StageError> {
    use sha2::{Digest, Sha256};
    let year = manifest.report_year.ok_or(ReleaseError::NoReportYear)?;
    let mut h = Sha256::new();
    for f in crate::stage::list_files(&out.join(publish::TABLES_DIR))? {
        if f.extension().is_some_and(|e| e == "csv") {
            h.update(crate::stage::relative(out, &f).as_bytes());
            h.update(std::fs::read(&f).map_err(|e| StageError::io(&f, e))?);
        }
    }
    let entry = safetally_dp::register::Registered {
        year,
        release_id: manifest.release_id.clone(),
        content: hex::encode(h.finalize()),
        created_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    safetally_dp::register::register(dir, entry).map_err(StageError::from)
}

/// What to say when `protect_dir` holds no protected tables. A DP protect writes its own
/// folder beside the exact one, so after a DP-only protect the default folder is missing while
/// the tables are there: the user needs the flag that reaches them, not to rerun protect.
fn missing_protected(protect_dir: &Path) -> String {
    let dp_dir = protect_dir.parent().map(|p| p.join(protect::STAGE_DP));
    match dp_dir {
        Some(d) if d.is_dir() && d != protect_dir => format!(
            "no protected tables here, but the DP protect stage's tables are in {0}: pass `--input {0}`",
            d.display()
        ),
        _ if protect_dir.file_name().is_some_and(|n| n == protect::STAGE_DP) => {
            "no DP release here; run `safetally protect --mode dp` first".to_string()
        }
        _ => "no protected tables here; run `safetally protect` first (or `safetally protect --mode dp` for the DP release)".to_string(),
    }
}

/// What the aggregate stage was made from, from its manifest: the persons file only. Its random
/// person ids make its hash unguessable; a small file of counts (T21's CSV) would not be, and
/// its hash would let anyone confirm a guess of exact counts.
fn upstream_inputs(aggregate_dir: &Path) -> Vec<FileHash> {
    let m: Option<Manifest> = read_json(&crate::stage::manifest_path(aggregate_dir)).ok();
    m.map(|m| {
        m.inputs
            .into_iter()
            .filter(|f| f.path == crate::link::PERSONS)
            .map(|mut f| {
                f.path = format!("03-link/{}", f.path);
                f
            })
            .collect()
    })
    .unwrap_or_default()
}
