//! Small-count suppression for exact-mode tables: primary suppression of small cells,
//! secondary suppression so they cannot be recovered from what is published, and an audit
//! that computes, by integer programming, the interval an attacker can still derive.
//!
//! The tables are given as one linear system: cells (inner cells and totals alike) and the
//! relations the public knows hold between them (a total is the sum of its cells; in a
//! multi-valued table a code's count is at most the persons with any code, and so on).

mod audit;
mod secondary;

pub use audit::{Audit, Audited, Interval, audit, audit_again, still_narrow};
pub use secondary::protect;

/// One published number: its true value, and whether it is a total (costlier to hide).
#[derive(Debug, Clone)]
pub struct Cell {
    pub value: u64,
    pub margin: bool,
    /// A count no table publishes but a reader can work out from two that are published (the
    /// persons of a wider population outside a narrower one): always hidden, and protected
    /// like a published small count when it is one.
    pub unpublished: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The weighted sum is zero.
    Eq,
    /// The weighted sum is at most zero.
    Le,
}

/// `sum(coef * cell) (= or <=) 0`, known to hold for the true values.
#[derive(Debug, Clone)]
pub struct Constraint {
    pub terms: Vec<(usize, f64)>,
    pub relation: Relation,
}

impl Constraint {
    /// `total = sum(parts)`.
    pub fn sum(total: usize, parts: &[usize]) -> Self {
        let mut terms = vec![(total, 1.0)];
        terms.extend(parts.iter().map(|&p| (p, -1.0)));
        Constraint {
            terms,
            relation: Relation::Eq,
        }
    }

    /// The cells of the relation that `status` hides.
    pub fn hidden_cells(&self, status: &[Status]) -> Vec<usize> {
        self.terms
            .iter()
            .map(|t| t.0)
            .filter(|&i| status[i].hidden())
            .collect()
    }

    /// `sum(terms) <= 0`.
    pub fn at_most_zero(terms: Vec<(usize, f64)>) -> Self {
        Constraint {
            terms,
            relation: Relation::Le,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct System {
    pub cells: Vec<Cell>,
    pub constraints: Vec<Constraint>,
    /// Each total with the cells of its line (what it totals, its sub-totals included).
    pub lines: Vec<Line>,
}

/// A total and the cells it totals (or, across tables, cells of persons among its own). When
/// the total is a small count, zeros published in its line would tell that its few persons are
/// all in the line's hidden cells (in a population of one, that person's answers), so the
/// whole line is hidden.
#[derive(Debug, Clone)]
pub struct Line {
    pub total: usize,
    pub cells: Vec<usize>,
}

impl System {
    /// Whether the true values satisfy every constraint (a broken system would make the audit
    /// meaningless, so protection refuses it).
    pub fn first_violation(&self) -> Option<usize> {
        self.constraints.iter().position(|c| {
            let s: f64 = c.terms.iter().map(|&(i, k)| k * self.cells[i].value as f64).sum();
            match c.relation {
                Relation::Eq => s.abs() > 1e-9,
                Relation::Le => s > 1e-9,
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Published,
    /// Hidden because the count is small.
    Primary,
    /// Hidden so that a small count cannot be worked out from the others.
    Secondary,
}

impl Status {
    pub fn hidden(self) -> bool {
        self != Status::Published
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Params {
    /// Cells with a count from 1 to `threshold - 1` are hidden.
    pub threshold: u64,
    /// Hide zeros too (off by default: a zero is not a person).
    pub suppress_zeros: bool,
    /// How many of the values 1 to `threshold - 1` a hidden small count must keep open for a
    /// reader who knows the rule (at most `threshold - 1`: all of them). The default, 3 of
    /// 1 to 4, lets a reader rule out one end (a total of two hidden persons is not 1) but
    /// never narrow a count to two values or one; all 4 cannot always be kept (two nonzero
    /// cells hidden with their hidden total make that total at least 2).
    pub protection: u64,
    /// Off only to show what primary suppression alone leaks.
    pub secondary: bool,
    /// Protect the differences of nested populations' published cells as small counts too
    /// (see `Cell::unpublished`); the caller adds those cells to the system.
    #[serde(default)]
    pub differences: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            threshold: 5,
            suppress_zeros: false,
            protection: 3,
            secondary: true,
            differences: false,
        }
    }
}

impl Params {
    /// The protection to audit against under `threshold`, with a warning when the default had
    /// to be lowered. An asked-for protection the threshold cannot give is refused, not
    /// quietly lowered: the release would promise less than was asked. The default is lowered
    /// for a small threshold, since a hidden count of 1 to 1 cannot keep 3 values open, but
    /// never silently: at threshold 2 it protects nothing (a hidden small count can only be 1).
    pub fn protection_for(
        threshold: u64,
        asked: Option<u64>,
    ) -> Result<(u64, Option<String>), SuppressError> {
        let most = threshold.saturating_sub(1).max(1);
        match asked {
            Some(p) if p > most => Err(SuppressError::ProtectionTooHigh {
                asked: p,
                threshold,
                most,
            }),
            Some(p) => Ok((p, None)),
            None => {
                let default = Params::default().protection;
                let warning = (default > most).then(|| {
                    format!(
                        "with --threshold {threshold} a hidden small count is one of 1 to {most}, so protection is lowered from {default} to {most} value(s){}; --threshold {} or more keeps the default",
                        if most == 1 {
                            ": a reader who knows the rule can tell a hidden small count is 1"
                        } else {
                            ""
                        },
                        default + 1
                    )
                });
                Ok((default.min(most), warning))
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SuppressError {
    #[error(
        "--protection {asked} cannot be kept with --threshold {threshold}: a hidden small count is one of 1 to {most}, so at most {most} values can stay open; pass --protection {most} or less, or a higher --threshold (at least {})",
        .asked + 1
    )]
    ProtectionTooHigh { asked: u64, threshold: u64, most: u64 },
    #[error("the tables are inconsistent: relation {0} does not hold for the true counts")]
    Inconsistent(usize),
    #[error("the integer program for cell {cell} failed: {source}")]
    Solver { cell: usize, source: microlp::Error },
    #[error("the integer program for cell {cell} failed: negative optimum {value}")]
    NegativeOptimum { cell: usize, value: f64 },
    #[error("the integer program for cell {cell} failed: interrupted")]
    Interrupted { cell: usize },
    #[error("no cell left to hide that would protect cell {0}")]
    Stuck(usize),
}

/// Primary suppression: small counts (and zeros when asked); then every cell in the line of a
/// small total (returned: how many of those).
pub fn primary(sys: &System, p: &Params) -> (Vec<Status>, usize) {
    // A cell alone in an equality is a constant every reader knows (T21b's persons reported
    // by no organisation): hiding it protects nothing, and no partner could protect it.
    let mut constant = vec![false; sys.cells.len()];
    for c in sys
        .constraints
        .iter()
        .filter(|c| c.relation == Relation::Eq && c.terms.len() == 1)
    {
        constant[c.terms[0].0] = true;
    }
    let mut status: Vec<Status> = sys
        .cells
        .iter()
        .zip(&constant)
        .map(|(c, &constant)| {
            let small = c.value > 0 && c.value < p.threshold;
            if small || (p.suppress_zeros && c.value == 0 && !c.unpublished && !constant) {
                Status::Primary
            } else if c.unpublished {
                Status::Secondary
            } else {
                Status::Published
            }
        })
        .collect();
    let mut lines = 0;
    let small: Vec<&Line> = sys
        .lines
        .iter()
        .filter(|l| status[l.total] == Status::Primary)
        .collect();
    for l in small {
        for &c in &l.cells {
            if status[c] == Status::Published {
                status[c] = Status::Secondary;
                lines += 1;
            }
        }
    }
    (status, lines)
}

/// What protection did, for the report.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Vec<Status>,
    pub audit: Audit,
    /// Cells hidden by the rule "no relation with exactly one hidden cell".
    pub secondary_by_relations: usize,
    /// Cells hidden because the audit found an interval too narrow.
    pub secondary_by_audit: usize,
    /// Cells hidden because they are in the line of a small total.
    pub secondary_by_lines: usize,
}

#[cfg(test)]
mod tests {
    use super::Params;

    #[test]
    fn a_protection_the_threshold_cannot_give_is_refused_and_a_lowered_default_is_told() {
        let e = Params::protection_for(5, Some(5)).expect_err("5 values of 1 to 4");
        assert!(e.to_string().contains("--protection 4 or less"), "{e}");
        assert!(e.to_string().contains("(at least 6)"), "{e}");
        assert_eq!(Params::protection_for(5, Some(4)).expect("all four").0, 4);
        assert_eq!(Params::protection_for(5, None).expect("default"), (3, None));
        let (p, warning) = Params::protection_for(2, None).expect("lowered");
        assert_eq!(p, 1);
        let warning = warning.expect("said");
        assert!(
            warning.contains("lowered from 3 to 1") && warning.contains("is 1"),
            "{warning}"
        );
    }
}
