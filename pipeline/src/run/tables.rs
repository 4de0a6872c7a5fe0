//! The stages after linkage: aggregate the report tables, protect them, publish the release,
//! and the journalists' extract from a DP release.

use std::path::Path;

use safetally_dp::suppress::Params;

use super::{Done, StageRun, StageSpec, hash_inputs, read_json, run_stage, to_value, write_text};
use crate::error::{LedgerUseError, ReleaseError, StageError, TableError};
use crate::protect::{self, ProtectReport, load_aggregated, read_protected, write_protected};
use crate::publish::{self, PublishInput, ReleaseManifest};
use crate::schema::Schema;
use crate::stage::{FileHash, Manifest, Workdir};
use crate::tables::{self, AggregateReport};

pub const PROTECT_REPORT_TXT: &str = "protect-report.txt";

/// Counts every report table over the link stage's persons.
pub fn aggregate_stage(
    schema: &Schema,
    work: &Workdir,
    link_dir: &Path,
    force: bool,
) -> Result<StageRun<AggregateReport>, StageError> {
    let spec = StageSpec {
        name: tables::STAGE,
        input: link_dir,
        missing: "no linked persons here; run `safetally link` first",
        params: serde_json::json!({}),
        report_json: tables::aggregate::REPORT_JSON,
    };
    run_stage(schema, work, spec, force, |out| {
        let (_, report) = tables::aggregate_stage_dir(schema, link_dir, out)?;
        Ok(Done {
            summary: serde_json::json!({ "persons": report.persons, "tables": report.tables.len() }),
            report,
        })
    })
}

/// Exact-mode protection of the aggregated tables; refuses to finish if the audit fails.
pub fn protect_stage(
    schema: &Schema,
    work: &Workdir,
    aggregate_dir: &Path,
    params: &Params,
    force: bool,
) -> Result<StageRun<ProtectReport>, StageError> {
    let spec = StageSpec {
        name: protect::STAGE,
        input: aggregate_dir,
        missing: "no aggregated tables here; run `safetally aggregate` first",
        params: serde_json::json!({ "mode": "exact", "suppression": to_value(params)? }),
        report_json: protect::REPORT_JSON,
    };
    run_stage(schema, work, spec, force, |out| {
        let (tables, agg, cells) = load_aggregated(schema, aggregate_dir)?;
        let (protected, report) = protect::protect_tables(schema, &tables, &cells, &agg, params)?;
        if !report.audit_passed {
            return Err(ReleaseError::AuditFailed {
                protection: params.protection,
                failures: report.audit_failures.clone(),
            }
            .into());
        }
        for (t, p) in tables.tables.iter().zip(&protected) {
            write_protected(t, p, out)?;
        }
        write_text(&out.join(PROTECT_REPORT_TXT), &report.to_text())?;
        Ok(Done {
            summary: serde_json::json!({ "audit_passed": report.audit_passed, "primary": report.primary }),
            report,
        })
    })
}

/// The aggregate report, the table specs it was made with, and every table as a protect
/// stage (exact or DP) left it in `protected_dir`.
fn read_release_tables(
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

/// DP parameters of a release beyond the configuration file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DpRun {
    pub config: crate::protect::DpConfig,
    pub rho: f64,
    pub group_size: u32,
    pub ledger: std::path::PathBuf,
}

/// DP protection of the aggregated tables: ledger first, then noise, then post-processing.
pub fn protect_stage_dp(
    schema: &Schema,
    work: &Workdir,
    aggregate_dir: &Path,
    run: &DpRun,
    force: bool,
) -> Result<StageRun<ProtectReport>, StageError> {
    // Before anything is recorded in the ledger.
    if let Some(why) = protect::unusable_rho(run.rho) {
        return Err(ReleaseError::UnusableRho { rho: run.rho, why }.into());
    }
    let spec = StageSpec {
        name: protect::STAGE_DP,
        input: aggregate_dir,
        missing: "no aggregated tables here; run `safetally aggregate` first",
        params: serde_json::json!({ "mode": "dp", "dp": to_value(run)? }),
        report_json: protect::REPORT_JSON,
    };
    // What this work directory drew before, whatever ledger it was recorded in.
    let previous = read_json::<ProtectReport>(&work.stage_dir(protect::STAGE_DP).join(protect::REPORT_JSON))
        .ok()
        .and_then(|r| r.dp)
        .map(|d| protect::dp::Drawn {
            release_key: d.release_key,
            data_key: d.data_key,
            ledger: d.ledger,
            entry_id: d.ledger_entry,
        });
    run_stage(schema, work, spec, force, |out| {
        let (tables, agg, exact) = load_aggregated(schema, aggregate_dir)?;
        let year = agg.report_year.ok_or(TableError::NoReportYear)?;
        let measured = tables
            .tables
            .iter()
            .zip(&exact)
            .map(|(t, c)| {
                if t.multi {
                    tables::read_cells_from(t, &aggregate_dir.join(tables::truncated_name(t.id())))
                } else {
                    Ok(c.clone())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let truncated_persons = agg
            .tables
            .iter()
            .filter_map(|(id, s)| s.persons_over_max_codes.map(|n| (id.clone(), n)))
            .collect();
        let (protected, dp) = protect::protect_dp(&protect::DpInput {
            schema,
            tables: &tables,
            measured: &measured,
            exact: &exact,
            year,
            config: &run.config,
            rho: run.rho,
            group_size: run.group_size,
            ledger_dir: run.ledger.clone(),
            truncated_persons,
            previous,
            recorded: super::ledger::recorded_entries(work.root(), year)?,
        })?;
        // Before anything else can fail: the entry is in the ledger now.
        super::ledger::remember_entry(work.root(), year, &dp.ledger_entry, &dp.ledger_seal)?;
        for (t, p) in tables.tables.iter().zip(&protected) {
            write_protected(t, p, out)?;
        }
        let per_table = tables
            .tables
            .iter()
            .zip(&protected)
            .map(|(t, p)| {
                let hidden = p.status.iter().filter(|s| s.hidden()).count();
                (
                    t.id().to_string(),
                    protect::TableProtection {
                        cells: p.values.len(),
                        primary: hidden,
                        secondary: 0,
                        fewest_small_values: None,
                    },
                )
            })
            .collect();
        let report = ProtectReport {
            mode: "dp".into(),
            params: Params {
                threshold: run.config.suppress_below,
                suppress_zeros: false,
                protection: 0,
                secondary: false,
                differences: false,
            },
            report_year: agg.report_year,
            member_kind: agg.member_kind.clone(),
            tables: per_table,
            primary: protected
                .iter()
                .flat_map(|p| &p.status)
                .filter(|s| s.hidden())
                .count(),
            small_differences: 0,
            secondary_by_relations: 0,
            secondary_by_audit: 0,
            secondary_small_totals: 0,
            shown_fixed: 0,
            audit_passed: true,
            audit_failures: Vec::new(),
            dp: Some(dp),
        };
        write_text(&out.join(PROTECT_REPORT_TXT), &report.to_text())?;
        Ok(Done {
            summary: serde_json::json!({ "mode": "dp", "rho": run.rho }),
            report,
        })
    })
}

/// The ledger folder the extract spends from: one whose file of the year holds the DP
/// release's entry (`entry`), where the release recorded its noise (`release`, the file) unless
/// `given` names another holding it (the folder moved, or named through `..` or a link). Any
/// other is refused, and a missing ledger is never made afresh: the extract and the release
/// spend one year's budget, and a second ledger would let them overspend it unseen.
fn release_ledger(
    given: Option<&Path>,
    (release, entry): (&Path, &str),
    dp_dir: &Path,
) -> Result<std::path::PathBuf, StageError> {
    let recorded = release.parent().unwrap_or(release).to_path_buf();
    let folder = given.map_or_else(|| recorded.clone(), Path::to_path_buf);
    let year = safetally_dp::ledger::Ledger::year_of(release);
    // While the recorded ledger is there, only it will do (a backup copy holds the entry too,
    // and what the extract spent there the ledger would never see); once it is gone, a
    // folder holding the entry is where it moved.
    let same_file = |a: &Path, b: &Path| {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    };
    let holds_entry = year.is_some_and(|y| {
        let file = safetally_dp::ledger::Ledger::path_for(&folder, y);
        file.is_file()
            && (!release.exists() || same_file(&file, release))
            && safetally_dp::ledger::Ledger::open(&folder, y)
                .is_ok_and(|l| l.entries.iter().any(|e| e.entry_id == entry))
    });
    if holds_entry {
        return Ok(folder);
    }
    Err(LedgerUseError::NotTheReleaseLedger {
        release: dp_dir.to_path_buf(),
        given_exists: folder.exists(),
        given: folder,
        entry: entry.to_string(),
        recorded,
        recorded_exists: release.exists(),
    }
    .into())
}

/// The journalists' extract from the linked persons, fitted to the DP release in `dp_dir`.
pub fn journalist_stage(
    schema: &Schema,
    work: &Workdir,
    dp_dir: &Path,
    params: &crate::journalist::ExtractParams,
    force: bool,
) -> Result<StageRun<crate::journalist::ExtractReport>, StageError> {
    // Before anything is recorded in the ledger (each part draws its own noise, from half of
    // the --rho typed, which the message names).
    let typed = params.rho_crosstab + params.rho_synthetic;
    for rho in [params.rho_crosstab, params.rho_synthetic] {
        if protect::unusable_rho(rho).is_some() {
            let why = protect::unusable_rho(typed).unwrap_or_else(|| {
                format!(
                    "--rho {}: each of its two parts (cross-tabulation, synthetic persons) must be at least {:e}, so the extract needs a rho of at least {:e}",
                    protect::readable(typed, 4),
                    protect::MIN_RHO,
                    typed * protect::MIN_RHO / rho
                )
            });
            return Err(ReleaseError::UnusableExtractRho { rho: typed, why }.into());
        }
    }
    let report: ProtectReport =
        read_json(&dp_dir.join(protect::REPORT_JSON)).map_err(|_| ReleaseError::NoDpRelease {
            dir: dp_dir.to_path_buf(),
        })?;
    let dp = report.dp.ok_or_else(|| ReleaseError::NotDpRelease {
        dir: dp_dir.to_path_buf(),
    })?;
    let params = &crate::journalist::ExtractParams {
        ledger: Some(release_ledger(
            params.ledger.as_deref(),
            (&dp.ledger, &dp.ledger_entry),
            dp_dir,
        )?),
        ..params.clone()
    };
    // The release named by --input may be another work folder's: its ledger must be the one
    // this work folder is bound to, or the extract of these persons would spend from another
    // folder's budget (an outside review's did, with this folder's own budget spent).
    if let Some(ledger) = &params.ledger {
        super::ledger::bind_ledger(work.root(), ledger)?;
    }
    let root = dp_dir.parent().unwrap_or(work.root()).to_path_buf();
    let link_dir = root.join(crate::link::STAGE);
    let aggregate_dir = root.join(tables::STAGE);
    let spec = StageSpec {
        name: crate::journalist::STAGE,
        input: &link_dir,
        missing: "no linked persons here; run `safetally link` first",
        params: serde_json::json!({ "extract": to_value(params)?, "dp_release": dp.ledger_entry }),
        report_json: "extract-report.json",
    };
    // Where this work folder remembers its last extract's data and ledger (internal: the
    // data key hashes true counts), so that a rerun under another ledger is refused.
    let remembered = work.root().join(".journalist-draw.json");
    // (Older folders kept the data key and ledger as a pair.)
    let previous: Option<protect::dp::Drawn> = std::fs::read_to_string(&remembered).ok().and_then(|t| {
        serde_json::from_str(&t).ok().or_else(|| {
            serde_json::from_str::<(String, std::path::PathBuf)>(&t)
                .ok()
                .map(|(data_key, ledger)| protect::dp::Drawn {
                    data_key,
                    ledger,
                    ..Default::default()
                })
        })
    });
    let run = run_stage(schema, work, spec, force, |out| {
        let (agg, tables, published) = read_release_tables(schema, &aggregate_dir, dp_dir)?;
        let (persons, _) = tables::read_persons(schema, &link_dir.join(crate::link::PERSONS))?;
        let mut config = protect::DpConfig::load_embedded()?;
        // The release's own bar (`protect --threshold` may have changed it): what its hidden
        // cells are known to be below.
        config.suppress_below = dp.suppress_below;
        let year = agg.report_year.ok_or(TableError::NoReportYear)?;
        let report = crate::journalist::extract(
            &crate::journalist::ExtractInput {
                schema,
                tables: &tables,
                persons: &persons,
                year,
                published: &published,
                config: &config,
                params,
                ship_accuracy: agg.member_kind == "sample",
                previous: previous.clone(),
                recorded: super::ledger::recorded_entries(work.root(), year)?,
                drawn: &|id, seal| super::ledger::remember_entry(work.root(), year, id, seal),
            },
            out,
        )?;
        // A reused draw (an older folder's, drawn before entries were remembered) too.
        super::ledger::remember_entry(work.root(), year, &report.ledger_entry, &report.ledger_seal)?;
        let ledger =
            safetally_dp::ledger::Ledger::path_for(params.ledger.as_deref().unwrap_or(Path::new("")), year);
        let ledger = std::path::absolute(&ledger).unwrap_or(ledger);
        let drawn = protect::dp::Drawn {
            release_key: String::new(),
            data_key: report.data_key.clone(),
            ledger,
            entry_id: report.ledger_entry.clone(),
        };
        crate::stage::write_private(&remembered, super::to_json(&drawn)?.as_bytes())?;
        Ok(Done {
            summary: serde_json::json!({ "rho": report.rho, "synthetic_rows": report.synthetic_rows }),
            report,
        })
    })?;
    Ok(run)
}
