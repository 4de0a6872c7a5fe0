//! `safetally protect`: in exact mode, small-count suppression with secondary suppression
//! over all tables as one system, then the audit (a release whose audit fails is refused,
//! naming the cell; hidden counts are never written, only the range a reader could derive).
//! In DP mode (`dp`), noise from OpenDP under a ledgered budget, then post-processing.

mod config;
mod consistency;
pub(crate) mod dp;
mod files;
mod measure;
mod report;

pub use config::DpConfig;
pub use consistency::{Consistent, make_consistent};
pub use dp::{DpInput, DpSummary, protect_dp, release_tables, release_tables_noted};
pub use files::{public_status, read_protected, status_code, write_protected};
pub use measure::{MIN_RHO, measured_cells, over_cap_note, plan_tables, readable, sensitivity, unusable_rho};
pub use report::ProtectReport;

use std::collections::BTreeMap;
use std::path::Path;

use safetally_dp::suppress::{self, Params, Status};

use crate::error::{ReleaseError, StageError};
use crate::schema::{MemberKind, Schema};
use crate::tables::{self, AggregateReport, Tables, build_system, read_cells};

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
    let one_answer = one_answer_lines(&sys, params, |k| {
        let r = refs.get(k)?;
        let t = &tables.tables[r.table];
        Some((t.id().to_string(), t.codes(r.cell)))
    });
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
        one_answer_lines: one_answer,
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

/// Cells that hold every person of their line's total (of `threshold` persons or more, as
/// smaller totals hide their whole line): the table tells that answer of everyone it counts,
/// whatever is hidden, since the line's other cells are zeros or follow from published ones (an
/// outside review's 36 persons were all convicted of rape, published as 36 of 36). Small-count
/// suppression does not protect against this; the report and the methods note say where it
/// happens. An answer of unknown or not answered tells nothing of anyone, and is not listed.
fn one_answer_lines(
    sys: &suppress::System,
    params: &Params,
    cell: impl Fn(usize) -> Option<(String, Vec<String>)>,
) -> Vec<String> {
    let mut found = std::collections::BTreeSet::new();
    for l in &sys.lines {
        let total = sys.cells[l.total].value;
        if total < params.threshold {
            continue;
        }
        // A sub-total equal to its total is a count of the same persons, not an answer.
        let whole = l
            .cells
            .iter()
            .filter(|&&c| sys.cells[c].value == total && !sys.cells[c].margin);
        for &c in whole {
            if let Some((table, codes)) = cell(c)
                && !codes
                    .iter()
                    .any(|code| matches!(code.as_str(), "unknown" | "not_answered"))
            {
                found.insert(format!("{table} {}", codes.join(" / ")));
            }
        }
    }
    found.into_iter().collect()
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
