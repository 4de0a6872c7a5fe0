//! The protect stage's report: what was hidden and why, or the DP budget spent and the noise
//! drawn, as JSON for the manifest and as text for the operator.

use std::collections::BTreeMap;

use safetally_dp::suppress::Params;

use super::{DpSummary, TableProtection, readable};

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
    /// Cells that hold every person of their line (table and codes, never the count): the
    /// table tells that answer of everyone it counts (`one_answer_lines`).
    #[serde(default)]
    pub one_answer_lines: Vec<String>,
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
        let one_answer = match self.one_answer_lines.len() {
            0 => String::new(),
            n => format!(
                " In {n} cell(s) every person of the line's total has that one answer ({}): such a table tells that answer of everyone it counts, whatever is hidden; exact releases are for vetted readers, the DP release is for the public.",
                self.one_answer_lines.join(", ")
            ),
        };
        let (zeros, lowest) = if self.params.suppress_zeros {
            (" (zeros too, as asked)", 0)
        } else {
            ("", 1)
        };
        format!(
            "Protect (exact mode, threshold {}) checked {cells} cells: {} hidden because fewer than {} persons{zeros}, {} more hidden so that those cannot be worked out from totals ({} by row and column sums, {} after the audit).{small_lines}{differences}{fixed}{one_answer} Audit: {}.",
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
