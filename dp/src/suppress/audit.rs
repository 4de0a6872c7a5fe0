//! The audit: for every hidden cell, the smallest and largest value consistent with every
//! published number and relation, by integer programming over the hidden cells. A small
//! count whose interval is narrower than the required protection fails the release.

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
}

impl Interval {
    pub fn width(&self) -> Option<u64> {
        self.upper.map(|u| u - self.lower)
    }

    /// Whether an attacker can narrow a small count to fewer than `protection` values.
    pub fn too_narrow(&self, protection: u64) -> bool {
        self.status == Status::Primary && self.width().is_some_and(|w| w < protection)
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

/// Intervals of every hidden cell; failures are small counts narrower than `p.protection`.
pub fn audit(sys: &System, status: &[Status], p: &Params) -> Result<Audit, SuppressError> {
    let bound = sys.cells.iter().map(|c| c.value).max().unwrap_or(0).max(1);
    let mut out = Audit::default();
    for group in components(sys, status) {
        for &cell in &group {
            let lower = solve(sys, &group, cell, OptimizationDirection::Minimize, bound)?;
            let upper = solve(sys, &group, cell, OptimizationDirection::Maximize, bound)?;
            let iv = Interval {
                cell,
                value: sys.cells[cell].value,
                status: status[cell],
                lower: lower.unwrap_or(0),
                upper,
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
fn solve(
    sys: &System,
    group: &[usize],
    cell: usize,
    dir: OptimizationDirection,
    bound: u64,
) -> Result<Option<u64>, SuppressError> {
    let cap = 4 * bound + 10;
    let mut prob = Problem::new(dir);
    let mut var = std::collections::HashMap::new();
    for &g in group {
        let obj = if g == cell { 1.0 } else { 0.0 };
        var.insert(
            g,
            prob.add_integer_var(obj, (0, i32::try_from(cap).unwrap_or(i32::MAX))),
        );
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
