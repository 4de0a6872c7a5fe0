//! The audit: for every hidden cell, the smallest and largest value consistent with every
//! published number and relation, by integer programming over the hidden cells; that range is
//! published. A small count is judged against a stronger reader, who also knows the rule
//! (a small count is 1 to threshold - 1), supposes the cell is one, and knows which hidden
//! cells are zeros (the release shows zeros outside the lines of small totals). The values
//! 1 to threshold - 1 that such a reader cannot rule out must be at least `protection`.

use microlp::{ComparisonOp, OptimizationDirection, Problem, SolveOutcome};

use super::{Params, Relation, Status, SuppressError, System};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    pub cell: usize,
    pub value: u64,
    pub status: Status,
    pub lower: u64,
    /// `None` when nothing published bounds the cell from above.
    pub upper: Option<u64>,
    /// For a small count: how many of the values 1 to threshold - 1 the stronger reader
    /// cannot rule out.
    #[serde(default)]
    pub small_values: Option<u64>,
}

impl Interval {
    pub fn width(&self) -> Option<u64> {
        self.upper.map(|u| u - self.lower)
    }

    /// Whether a reader who knows the rule can narrow a small count to fewer than
    /// `protection` of the values 1 to threshold - 1.
    pub fn too_narrow(&self, protection: u64) -> bool {
        self.status == Status::Primary && self.small_values.is_some_and(|n| n < protection)
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Audit {
    pub intervals: Vec<Interval>,
    /// Small counts whose interval is too narrow; the release must not go out with any.
    pub failures: Vec<usize>,
}

impl Audit {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Hidden cells grouped by the relations that join them: each group is one small program.
fn components(sys: &System, status: &[Status]) -> Vec<Vec<usize>> {
    let n = sys.cells.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for c in &sys.constraints {
        let hidden: Vec<usize> = c
            .terms
            .iter()
            .map(|t| t.0)
            .filter(|&i| status[i].hidden())
            .collect();
        for w in hidden.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            parent[a] = b;
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in (0..n).filter(|&i| status[i].hidden()) {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

/// Intervals of every hidden cell; failures are small counts a reader who knows the rule
/// can narrow to fewer than `p.protection` values.
pub fn audit(sys: &System, status: &[Status], p: &Params) -> Result<Audit, SuppressError> {
    let bound = sys.cells.iter().map(|c| c.value).max().unwrap_or(0).max(1);
    // Cells in the line of a hidden small total: their zeros are hidden too, so a reader
    // cannot tell which of them are zeros.
    let mut blurred = vec![false; sys.cells.len()];
    for l in sys.lines.iter().filter(|l| status[l.total] == Status::Primary) {
        for &c in &l.cells {
            blurred[c] = true;
        }
    }
    let mut out = Audit::default();
    for group in components(sys, status) {
        for &cell in &group {
            let plain = Reader::Plain;
            let lower = solve(sys, &group, cell, OptimizationDirection::Minimize, bound, plain)?;
            let upper = solve(sys, &group, cell, OptimizationDirection::Maximize, bound, plain)?;
            let small_values = if status[cell] == Status::Primary {
                let small = p.threshold.saturating_sub(1);
                let knows = Reader::KnowsRule {
                    small,
                    zeros: p.suppress_zeros,
                    blurred: &blurred,
                };
                let lo = solve(sys, &group, cell, OptimizationDirection::Minimize, bound, knows)?;
                // "Unbounded" here means the maximum reached the solver's cap, which a
                // threshold far above every count (1611 on 400 persons) lies beyond: nothing
                // published bounds the cell, so the reader is left with the rule's own top.
                let hi =
                    solve(sys, &group, cell, OptimizationDirection::Maximize, bound, knows)?.or(Some(small));
                Some(match (lo, hi) {
                    (Some(lo), Some(hi)) if hi >= lo => hi - lo + 1,
                    _ => 0,
                })
            } else {
                None
            };
            let iv = Interval {
                cell,
                value: sys.cells[cell].value,
                status: status[cell],
                lower: lower.unwrap_or(0),
                upper,
                small_values,
            };
            if iv.too_narrow(p.protection) {
                out.failures.push(cell);
            }
            out.intervals.push(iv);
        }
    }
    out.intervals.sort_by_key(|i| i.cell);
    out.failures.sort_unstable();
    Ok(out)
}

/// The extreme value of `cell` over integer assignments of the hidden cells in `group`.
/// `None` when the direction is unbounded. The cells' common upper bound is the largest
/// published-or-not count; an attacker does not know it exactly, so a maximum that reaches
/// it is reported as unbounded.
/// What the reader of a program knows besides the published numbers and relations.
#[derive(Clone, Copy)]
enum Reader<'a> {
    /// Nothing more: every hidden cell is some count from 0 up (the published range).
    Plain,
    /// The rule: the cell solved for is a small count (1 to `small`, from 0 when zeros are
    /// hidden too), and which hidden cells are zeros, since zeros are shown, except in the
    /// line of a hidden small total (`blurred`), where they are hidden with the rest, and
    /// everywhere when zeros are hidden too.
    KnowsRule {
        small: u64,
        zeros: bool,
        blurred: &'a [bool],
    },
}

fn solve(
    sys: &System,
    group: &[usize],
    cell: usize,
    dir: OptimizationDirection,
    bound: u64,
    reader: Reader<'_>,
) -> Result<Option<u64>, SuppressError> {
    let cap = 4 * bound + 10;
    let top = i32::try_from(cap).unwrap_or(i32::MAX);
    let mut prob = Problem::new(dir);
    let mut var = std::collections::HashMap::new();
    for &g in group {
        let obj = if g == cell { 1.0 } else { 0.0 };
        let value = sys.cells[g].value;
        let range = match reader {
            Reader::Plain => (0, top),
            Reader::KnowsRule { small, zeros, .. } if g == cell => {
                (i32::from(!zeros), i32::try_from(small).unwrap_or(i32::MAX))
            }
            // With zeros hidden too (`zeros`), a hidden cell may be a zero or not: the reader
            // cannot tell which.
            Reader::KnowsRule { blurred, zeros, .. } if blurred[g] || zeros => (0, top),
            Reader::KnowsRule { .. } if value == 0 => (0, 0),
            Reader::KnowsRule { .. } => (1, top),
        };
        var.insert(g, prob.add_integer_var(obj, range));
    }
    for c in &sys.constraints {
        if !c.terms.iter().any(|t| var.contains_key(&t.0)) {
            continue;
        }
        let mut rhs = 0.0;
        let mut expr = Vec::new();
        for &(i, k) in &c.terms {
            match var.get(&i) {
                Some(&v) => expr.push((v, k)),
                None => rhs -= k * sys.cells[i].value as f64,
            }
        }
        let op = match c.relation {
            Relation::Eq => ComparisonOp::Eq,
            Relation::Le => ComparisonOp::Le,
        };
        prob.add_constraint(expr.into_iter().collect::<microlp::LinearExpr>(), op, rhs);
    }
    let err = |m: String| SuppressError::Solver { cell, message: m };
    match prob.solve() {
        Ok(SolveOutcome::Solution(s)) => {
            let v = s.objective().round();
            if v < 0.0 {
                return Err(err(format!("negative optimum {v}")));
            }
            let v = v as u64;
            Ok((v < cap).then_some(v))
        }
        Ok(SolveOutcome::Interrupted(_)) => Err(err("interrupted".into())),
        Err(microlp::Error::Unbounded) => Ok(None),
        Err(e) => Err(err(e.to_string())),
    }
}
