//! The stages after linkage that count and protect: aggregate the report tables, then
//! protect them in exact mode or with differential privacy (publish and the journalists'
//! extract are in `release` and `extract`).

use std::path::Path;

use safetally_dp::suppress::Params;

use super::{Done, StageRun, StageSpec, read_json, run_stage, to_value, write_text};
use crate::error::{ReleaseError, StageError, TableError};
use crate::protect::{self, ProtectReport, load_aggregated, write_protected};
use crate::schema::Schema;
use crate::stage::Workdir;
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
            one_answer_lines: Vec::new(),
            dp: Some(dp),
        };
        write_text(&out.join(PROTECT_REPORT_TXT), &report.to_text())?;
        Ok(Done {
            summary: serde_json::json!({ "mode": "dp", "rho": run.rho }),
            report,
        })
    })
}
