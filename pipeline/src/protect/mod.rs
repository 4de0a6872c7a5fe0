//! `safetally protect`: in exact mode, small-count suppression with secondary suppression
//! over all tables as one system, then the audit (a release whose audit fails is refused,
//! naming the cell; hidden counts are never written, only the range a reader could derive).
//! In DP mode (`dp`), noise from OpenDP under a ledgered budget, then post-processing.

mod config;
mod consistency;
pub(crate) mod dp;
mod measure;

pub use config::DpConfig;
pub use consistency::{Consistent, make_consistent};
pub use dp::{DpInput, DpSummary, protect_dp, release_tables, release_tables_noted};
pub use measure::{MIN_RHO, measured_cells, over_cap_note, plan_tables, readable, sensitivity, unusable_rho};

use std::collections::BTreeMap;
use std::path::Path;

use safetally_dp::suppress::{self, Params, Status};

use crate::error::{ReleaseError, StageError};
use crate::parquet_io::{Kind, ParquetSink, Value, read};
use crate::schema::{MemberKind, Schema};
use crate::tables::{self, AggregateReport, Table, Tables, build_system, read_cells};

pub const STAGE: &str = "05-protect";
pub const STAGE_DP: &str = "05-protect-dp";
pub const REPORT_JSON: &str = "protect-report.json";

/// One table after protection: published counts (`None` when hidden), why hidden, and the
/// interval a reader can derive for a hidden cell from everything published.
#[derive(Debug, Clone)]
pub struct ProtectedTable {
    pub id: String,
    pub values: Vec<Option<u64>>,
    pub status: Vec<Status>,
    pub lower: Vec<Option<u64>>,
    pub upper: Vec<Option<u64>>,
    /// DP mode: the noise scale (standard deviation) of each cell.
    pub scale: Vec<Option<f64>>,
}

impl ProtectedTable {
    /// Every cell published and empty, ready to be filled.
    pub fn empty(id: &str, n: usize) -> Self {
        ProtectedTable {
            id: id.to_string(),
            values: vec![None; n],
            status: vec![Status::Published; n],
            lower: vec![None; n],
            upper: vec![None; n],
            scale: vec![None; n],
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TableProtection {
    pub cells: usize,
    pub primary: usize,
    pub secondary: usize,
    /// The fewest of the values 1 to threshold - 1 a reader who knows the rule can still
    /// not rule out for a hidden small count (none hidden: no figure).
    pub fewest_small_values: Option<u64>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProtectReport {
    pub mode: String,
    pub params: Params,
    pub report_year: Option<i64>,
    pub member_kind: String,
    pub tables: BTreeMap<String, TableProtection>,
    pub primary: usize,
    /// With `--protect-differences`: differences of nested populations' cells that were small
    /// counts, each protected by hiding one of its two cells or more.
    #[serde(default)]
    pub small_differences: usize,
    pub secondary_by_relations: usize,
    pub secondary_by_audit: usize,
    /// Cells hidden (zeros among them) because they sit in the line of a hidden small total.
    #[serde(default)]
    pub secondary_small_totals: usize,
    /// Of the cells hidden to protect others, those whose value everything published fixes,
    /// shown after all (`show_fixed_cells`).
    #[serde(default)]
    pub shown_fixed: usize,
    pub audit_passed: bool,
    /// Small counts left too exposed: table and cell codes only, never the count.
    pub audit_failures: Vec<String>,
    /// DP mode: budget, guarantee, plan, errors.
    #[serde(default)]
    pub dp: Option<DpSummary>,
}

impl ProtectReport {
    /// The summary, then a line per table (internal: the DP lines hold errors against the
    /// true counts and how many persons had codes cut).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "Internal: not part of any release (the DP lines compare with the true counts).\n\n{}\n\nPer table:\n",
            self.summary()
        );
        match &self.dp {
            Some(d) => {
                for p in &d.plan {
                    let error = d.mean_abs_error.get(&p.id).copied().unwrap_or(0.0);
                    let cut = d.truncated_persons.get(&p.id).map_or(String::new(), |n| {
                        format!("; {n} person(s) with codes beyond the limit")
                    });
                    s.push_str(&format!(
                        "  {}: rho {}, noise scale {} persons, 95% half-width {}; mean absolute error of the published inner cells {error:.1}{cut}\n",
                        p.id,
                        readable(p.rho, 4),
                        readable(p.scale, 1),
                        readable(p.half_width_95, 1)
                    ));
                }
            }
            None => {
                for (id, t) in &self.tables {
                    s.push_str(&format!(
                        "  {id}: {} cells, {} hidden as small counts, {} hidden to protect them\n",
                        t.cells, t.primary, t.secondary
                    ));
                }
            }
        }
        s
    }

    /// What a run that reused this report (its inputs unchanged) did: nothing spent now.
    pub fn summary_of_earlier_run(&self) -> String {
        match &self.dp {
            Some(d) if !d.reused => format!(
                "Nothing spent now: the release below was made by an earlier run. {}",
                dp_summary_as(d, true)
            ),
            _ => self.summary(),
        }
    }

    pub fn summary(&self) -> String {
        if let Some(dp) = &self.dp {
            return dp_summary(dp);
        }
        let cells: usize = self.tables.values().map(|t| t.cells).sum();
        let small_lines = if self.secondary_small_totals > 0 {
            format!(
                " {} more (zeros among them) hidden because they are in the line of a total of fewer than {} persons: published, they would tell what those few persons answered.",
                self.secondary_small_totals, self.params.threshold
            )
        } else {
            String::new()
        };
        let fixed = if self.shown_fixed > 0 {
            format!(
                " Of the cells hidden to protect others, {} are shown after all: everything published fixes their value (most are zeros).",
                self.shown_fixed
            )
        } else {
            String::new()
        };
        let differences = if self.params.differences {
            format!(
                " {} difference(s) of a wider and a narrower population's cells were small counts, protected like the others.",
                self.small_differences
            )
        } else {
            String::new()
        };
        let (zeros, lowest) = if self.params.suppress_zeros {
            (" (zeros too, as asked)", 0)
        } else {
            ("", 1)
        };
        format!(
            "Protect (exact mode, threshold {}) checked {cells} cells: {} hidden because fewer than {} persons{zeros}, {} more hidden so that those cannot be worked out from totals ({} by row and column sums, {} after the audit).{small_lines}{differences}{fixed} Audit: {}.",
            self.params.threshold,
            self.primary,
            self.params.threshold,
            self.secondary_by_relations + self.secondary_by_audit,
            self.secondary_by_relations,
            self.secondary_by_audit,
            if self.audit_passed {
                format!(
                    "passed; a reader who knows the rule (a hidden small count is {lowest} to threshold - 1) and everything published cannot narrow any hidden small count to fewer than {} of those values",
                    self.params.protection
                )
            } else {
                format!("FAILED for {}", self.audit_failures.join(", "))
            }
        )
    }
}

/// Extreme figures in scientific notation: a tiny `--rho` (1e-12) printed as "rho 0.0000"
/// beside a noise scale of 13 million.
fn dp_summary(d: &DpSummary) -> String {
    dp_summary_as(d, false)
}

/// The DP summary; `earlier` when a rerun reused the stage, which spent nothing: it said
/// "Nothing spent now", then "spent rho 0.5", and gave the year's spending of that earlier run
/// as what "is now spent", though an extract may have spent more since.
fn dp_summary_as(d: &DpSummary, earlier: bool) -> String {
    let (spent, now) = if earlier {
        (
            "in that earlier run spent",
            "was spent after that run (`safetally budget` tells what is spent now)",
        )
    } else {
        ("spent", "is now spent")
    };
    let unmet = d.relations_unmet.as_ref().map_or(String::new(), |why| {
        format!(
            " Warning: the relations between tables could not all be met in this release ({why}); cells of nested tables may disagree by up to their noise, as the methods note says."
        )
    });
    let scales: Vec<f64> = d.plan.iter().map(|p| p.scale).collect();
    let lo = scales.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = scales.iter().copied().fold(0.0, f64::max);
    format!(
        "Protect (differential privacy) {} rho {} (epsilon {:.2} at delta {:e}) across {} tables; the year's budget is rho {:.4}, of which {:.4} {now}. Noise scale per measured cell from {} to {} persons; cells whose noisy value is below {} are hidden. A person split into {} clusters by linkage is protected at rho {:.4} (epsilon {:.2}). Ledger: {}.{unmet}",
        if d.reused {
            "reused the stored draw of this release (nothing spent):"
        } else {
            spent
        },
        readable(d.rho, 4),
        d.epsilon,
        d.delta,
        d.plan.len(),
        d.year_rho_cap,
        d.spent_after,
        readable(lo, 1),
        readable(hi, 1),
        d.suppress_below,
        d.group_size,
        d.group_rho,
        d.group_epsilon,
        d.ledger.display()
    )
}

pub fn member_kind(report: &AggregateReport) -> MemberKind {
    if report.member_kind == "sample" {
        MemberKind::Sample
    } else {
        MemberKind::Member
    }
}

/// Reads the aggregate stage's tables back, with the specs they were made under.
pub fn load_aggregated(
    schema: &Schema,
    dir: &Path,
) -> Result<(Tables, AggregateReport, Vec<tables::TableCells>), StageError> {
    let path = dir.join(tables::aggregate::REPORT_JSON);
    let text = std::fs::read_to_string(&path).map_err(|e| StageError::io(&path, e))?;
    let report: AggregateReport = serde_json::from_str(&text).map_err(|e| StageError::Manifest {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let tables = tables::load_tables(schema, &member_kind(&report))?;
    let cells = tables
        .tables
        .iter()
        .map(|t| read_cells(t, dir))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((tables, report, cells))
}

/// Protects every table; fails when the audit fails, naming the cells.
pub fn protect_tables(
    schema: &Schema,
    tables: &Tables,
    cells: &[tables::TableCells],
    agg: &AggregateReport,
    params: &Params,
) -> Result<(Vec<ProtectedTable>, ProtectReport), StageError> {
    let (sys, refs, pairs) = if params.differences {
        tables::build_system_with_differences(schema, tables, cells)
    } else {
        let (sys, refs) = build_system(schema, tables, cells);
        (sys, refs, Vec::new())
    };
    let cell_name = |r: &tables::CellRef| {
        let t = &tables.tables[r.table];
        format!("{} {:?}", t.id(), t.codes(r.cell))
    };
    let name = |k: usize| match refs.get(k) {
        Some(r) => cell_name(r),
        None => {
            let (narrow, wide) = pairs[k - refs.len()];
            format!(
                "the difference of {} and {}",
                cell_name(&refs[wide]),
                cell_name(&refs[narrow])
            )
        }
    };
    let outcome = suppress::protect(&sys, params).map_err(|e| match e {
        suppress::SuppressError::Inconsistent(r) => {
            // Named, not valued: the counts are exact and the message goes to logs.
            let cells: Vec<String> = sys
                .constraints
                .get(r)
                .map(|c| c.terms.iter().take(6).map(|&(k, _)| name(k)).collect())
                .unwrap_or_default();
            let more = sys
                .constraints
                .get(r)
                .map_or(0, |c| c.terms.len().saturating_sub(6));
            ReleaseError::Contradiction { cells, more }
        }
        suppress::SuppressError::Stuck(k) => ReleaseError::SuppressionStuck {
            cell: name(k),
            protection: params.protection,
            differences: params.differences,
        },
        other => ReleaseError::Suppression(other),
    })?;
    let mut out: Vec<ProtectedTable> = tables
        .tables
        .iter()
        .map(|t| ProtectedTable::empty(t.id(), t.n_cells()))
        .collect();
    for (k, r) in refs.iter().enumerate() {
        let p = &mut out[r.table];
        p.status[r.cell] = outcome.status[k];
        if !outcome.status[k].hidden() {
            p.values[r.cell] = Some(sys.cells[k].value);
        }
    }
    let mut fewest: BTreeMap<usize, u64> = BTreeMap::new();
    // Unpublished differences (after the tables' cells) have no place in a table.
    for iv in outcome.audit.intervals.iter().filter(|iv| iv.cell < refs.len()) {
        let r = refs[iv.cell];
        out[r.table].lower[r.cell] = Some(iv.lower);
        out[r.table].upper[r.cell] = iv.upper;
        if let Some(n) = iv.small_values {
            let f = fewest.entry(r.table).or_insert(n);
            *f = (*f).min(n);
        }
    }
    let shown_fixed = show_fixed_cells(&mut out, params.suppress_zeros);
    let mut report = ProtectReport {
        mode: "exact".into(),
        params: params.clone(),
        report_year: agg.report_year,
        member_kind: agg.member_kind.clone(),
        tables: BTreeMap::new(),
        primary: outcome.status[..refs.len()]
            .iter()
            .filter(|s| **s == Status::Primary)
            .count(),
        small_differences: outcome.status[refs.len()..]
            .iter()
            .filter(|s| **s == Status::Primary)
            .count(),
        secondary_by_relations: outcome.secondary_by_relations,
        secondary_by_audit: outcome.secondary_by_audit,
        secondary_small_totals: outcome.secondary_by_lines,
        shown_fixed,
        audit_passed: outcome.audit.passed(),
        audit_failures: outcome.audit.failures.iter().map(|&k| name(k)).collect(),
        dp: None,
    };
    for (ti, (t, p)) in tables.tables.iter().zip(&out).enumerate() {
        report.tables.insert(
            t.id().to_string(),
            TableProtection {
                cells: p.values.len(),
                primary: p.status.iter().filter(|s| **s == Status::Primary).count(),
                secondary: p.status.iter().filter(|s| **s == Status::Secondary).count(),
                fewest_small_values: fewest.get(&ti).copied(),
            },
        );
    }
    Ok((out, report))
}

/// Cells hidden to protect others whose value everything published fixes (the audit's range
/// is one value: zeros under a published zero total, or pinned by another table) are shown.
/// Hiding them protected nothing, as every reader can work them out, and `..` there made
/// readers ask; the reader's ranges for every other hidden cell are the same with them shown.
/// Zeros stay hidden when zeros are hidden as asked. Returns how many were shown.
fn show_fixed_cells(out: &mut [ProtectedTable], keep_zeros_hidden: bool) -> usize {
    let mut shown = 0;
    for p in out.iter_mut() {
        for i in 0..p.values.len() {
            let fixed = p.lower[i].filter(|&v| p.upper[i] == Some(v));
            if let Some(v) =
                fixed.filter(|&v| p.status[i] == Status::Secondary && !(keep_zeros_hidden && v == 0))
            {
                p.status[i] = Status::Published;
                p.values[i] = Some(v);
                shown += 1;
            }
        }
    }
    shown
}

/// The status a published file shows. Whether a hidden cell was small or hidden to protect
/// another is internal: published, it would tell a reader that one hidden cell is 1 to 4 and
/// another 0 or at least 5, narrowing both beyond what the audit checked.
pub fn public_status(s: Status) -> &'static str {
    if s.hidden() { "suppressed" } else { "published" }
}

pub fn status_code(s: Status) -> &'static str {
    match s {
        Status::Published => "published",
        Status::Primary => "suppressed_small",
        Status::Secondary => "suppressed_complementary",
    }
}

fn parse_status(s: &str) -> Option<Status> {
    [Status::Published, Status::Primary, Status::Secondary]
        .into_iter()
        .find(|x| status_code(*x) == s)
}

const COLUMNS: [(&str, Kind); 5] = [
    ("persons", Kind::Int),
    ("status", Kind::Str),
    ("interval_lower", Kind::Int),
    ("interval_upper", Kind::Int),
    ("noise_scale", Kind::Float),
];

pub fn write_protected(t: &Table, p: &ProtectedTable, dir: &Path) -> Result<(), StageError> {
    let mut cols: Vec<(&str, Kind)> = t.dims.iter().map(|d| (d.name.as_str(), Kind::Str)).collect();
    cols.extend(COLUMNS);
    let mut sink = ParquetSink::create(&dir.join(format!("{}.parquet", t.id())), &cols)?;
    let int = |v: Option<u64>| Value::Int(v.map(|x| x as i64));
    for i in 0..p.values.len() {
        let mut row: Vec<Value> = t.codes(i).into_iter().map(|c| Value::Str(Some(c))).collect();
        row.extend([
            int(p.values[i]),
            Value::Str(Some(status_code(p.status[i]).to_string())),
            int(p.lower[i]),
            int(p.upper[i]),
            Value::Float(p.scale[i]),
        ]);
        sink.push(row)?;
    }
    sink.finish()?;
    Ok(())
}

pub fn read_protected(t: &Table, dir: &Path) -> Result<ProtectedTable, StageError> {
    let path = dir.join(format!("{}.parquet", t.id()));
    let df = read(&path)?;
    let bad = |m: String| StageError::ParquetRead {
        path: path.clone(),
        message: m,
    };
    let strs = |n: &str| {
        df.column(n)
            .and_then(|c| c.str().cloned())
            .map_err(|e| bad(format!("column {n}: {e}")))
    };
    let ints = |n: &str| {
        df.column(n)
            .and_then(|c| c.i64().cloned())
            .map_err(|e| bad(format!("column {n}: {e}")))
    };
    let dims = t
        .dims
        .iter()
        .map(|d| strs(&d.name))
        .collect::<Result<Vec<_>, _>>()?;
    let (persons, status, lower, upper) = (
        ints("persons")?,
        strs("status")?,
        ints("interval_lower")?,
        ints("interval_upper")?,
    );
    let scale = df
        .column("noise_scale")
        .and_then(|c| c.f64().cloned())
        .map_err(|e| bad(format!("column noise_scale: {e}")))?;
    let n = t.n_cells();
    let mut p = ProtectedTable::empty(t.id(), n);
    if df.height() != n {
        return Err(bad(format!("{} rows where the table has {n} cells", df.height())));
    }
    let u = |v: Option<i64>| v.map(|x| x.max(0) as u64);
    for row in 0..n {
        let cell: BTreeMap<String, String> = t
            .dims
            .iter()
            .zip(&dims)
            .map(|(d, c)| (d.name.clone(), c.get(row).unwrap_or("").to_string()))
            .collect();
        let i = t
            .cell_index(&cell)
            .ok_or_else(|| bad(format!("row {}: unknown cell {cell:?}", row + 1)))?;
        p.values[i] = u(persons.get(row));
        p.status[i] = status
            .get(row)
            .and_then(parse_status)
            .ok_or_else(|| bad(format!("row {}: bad status", row + 1)))?;
        p.lower[i] = u(lower.get(row));
        p.upper[i] = u(upper.get(row));
        p.scale[i] = scale.get(row);
    }
    Ok(p)
}
