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
        let hidden = c.hidden_cells(status);
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

/// One relation on a group's indices: (index, coefficient) terms, how they compare, and the
/// right-hand side.
type Row = (Vec<(usize, f64)>, ComparisonOp, f64);

/// The relations of one group of hidden cells, on the group's own indices: each constraint
/// that holds a hidden cell of the group, its published cells moved to the right-hand side.
/// Built once per group, not once per program (scanning every relation of the system for each
/// of thousands of programs was a third of the audit's time).
fn rows(sys: &System, group: &[usize], constraints: &[usize]) -> Vec<Row> {
    let local: std::collections::HashMap<usize, usize> =
        group.iter().enumerate().map(|(k, &g)| (g, k)).collect();
    constraints
        .iter()
        .map(|&ci| {
            let c = &sys.constraints[ci];
            let mut rhs = 0.0;
            let mut expr = Vec::new();
            for &(i, k) in &c.terms {
                match local.get(&i) {
                    Some(&v) => expr.push((v, k)),
                    None => rhs -= k * sys.cells[i].value as f64,
                }
            }
            let op = match c.relation {
                Relation::Eq => ComparisonOp::Eq,
                Relation::Le => ComparisonOp::Le,
            };
            (expr, op, rhs)
        })
        .collect()
}

/// What every program of one audit shares: the groups of hidden cells, each with the
/// constraints holding its cells (every hidden cell of a constraint is in one group, as groups
/// are joined by constraints), the cells' common bound, and the cells whose zeros are hidden.
struct Setting {
    groups: Vec<(Vec<usize>, Vec<usize>)>,
    bound: u64,
    blurred: Vec<bool>,
}

impl Setting {
    fn new(sys: &System, status: &[Status]) -> Self {
        let groups = components(sys, status);
        let mut group_of = vec![usize::MAX; sys.cells.len()];
        for (gi, g) in groups.iter().enumerate() {
            for &c in g {
                group_of[c] = gi;
            }
        }
        let mut constraints = vec![Vec::new(); groups.len()];
        for (ci, c) in sys.constraints.iter().enumerate() {
            if let Some(gi) = c.terms.iter().map(|t| group_of[t.0]).find(|&g| g != usize::MAX) {
                constraints[gi].push(ci);
            }
        }
        Setting {
            groups: groups.into_iter().zip(constraints).collect(),
            bound: sys.cells.iter().map(|c| c.value).max().unwrap_or(0).max(1),
            blurred: blurred(sys, status),
        }
    }

    /// The reader who knows the rule, under `p`.
    fn knows(&self, p: &Params) -> Reader<'_> {
        Reader::KnowsRule {
            small: p.threshold.saturating_sub(1),
            zeros: p.suppress_zeros,
            blurred: &self.blurred,
        }
    }
}

/// Values each cell of a group was seen to take in solutions found so far, per reader: a
/// solution of any program is a feasible assignment of every cell, so a cell seen at its
/// bound needs no program of its own for that bound.
struct Seen {
    plain: Vec<(u64, u64)>,
    knows: Vec<(u64, u64)>,
}

impl Seen {
    fn new(n: usize) -> Self {
        Seen {
            plain: vec![(u64::MAX, 0); n],
            knows: vec![(u64::MAX, 0); n],
        }
    }

    fn note(range: &mut (u64, u64), v: u64) {
        range.0 = range.0.min(v);
        range.1 = range.1.max(v);
    }
}

/// Intervals of every hidden cell; failures are small counts a reader who knows the rule
/// can narrow to fewer than `p.protection` values.
pub fn audit(sys: &System, status: &[Status], p: &Params) -> Result<Audit, SuppressError> {
    audit_again(sys, status, p, &mut Audited::default())
}

/// The intervals of groups of hidden cells audited before, by the group's cells. A group's
/// programs depend only on which cells it holds (a hidden cell stays hidden and keeps its
/// kind, and the lines of small totals do not change between rounds of protection), so a
/// group met again needs no program solved: secondary suppression audits after each round of
/// partners, and most groups are untouched by a round.
#[derive(Default)]
pub struct Audited(std::collections::HashMap<Vec<usize>, Vec<Interval>>);

/// `audit`, reusing the intervals of groups `done` holds and adding the new ones to it. Only
/// for one system and parameters throughout.
pub fn audit_again(
    sys: &System,
    status: &[Status],
    p: &Params,
    done: &mut Audited,
) -> Result<Audit, SuppressError> {
    let setting = Setting::new(sys, status);
    let knows = setting.knows(p);
    let mut out = Audit::default();
    for (group, constraints) in &setting.groups {
        if let Some(intervals) = done.0.get(group) {
            out.intervals.extend(intervals.iter().cloned());
            continue;
        }
        let first = out.intervals.len();
        let rows = rows(sys, group, constraints);
        let mut seen = Seen::new(group.len());
        let program = Program {
            sys,
            group,
            rows: &rows,
            bound: setting.bound,
        };
        for (k, &cell) in group.iter().enumerate() {
            use OptimizationDirection::{Maximize, Minimize};
            // A count is never below 0: a solution where the cell is 0 is its minimum.
            let lower = if seen.plain[k].0 == 0 {
                Some(0)
            } else {
                program.solve(k, Minimize, Reader::Plain, &mut seen)?
            };
            let upper = program.solve(k, Maximize, Reader::Plain, &mut seen)?;
            let small_values = if status[cell] == Status::Primary {
                Some(program.small_values(k, knows, &mut seen)?)
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
            out.intervals.push(iv);
        }
        done.0.insert(group.clone(), out.intervals[first..].to_vec());
    }
    out.failures = out
        .intervals
        .iter()
        .filter(|iv| iv.too_narrow(p.protection))
        .map(|iv| iv.cell)
        .collect();
    out.intervals.sort_by_key(|i| i.cell);
    out.failures.sort_unstable();
    Ok(out)
}

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

/// Which of `cells` (small counts found too narrow before) a reader who knows the rule can
/// still narrow to fewer than `p.protection` values. Hiding a cell only frees a value the
/// programs held fixed, so no range narrows as cells are hidden: only cells that failed can
/// fail again, and secondary suppression checks just those between its rounds.
pub fn still_narrow(
    sys: &System,
    status: &[Status],
    p: &Params,
    cells: &[usize],
) -> Result<Vec<usize>, SuppressError> {
    let setting = Setting::new(sys, status);
    let knows = setting.knows(p);
    let mut narrow = Vec::new();
    for (group, constraints) in &setting.groups {
        let mut built = None;
        for (k, &cell) in group.iter().enumerate().filter(|(_, c)| cells.contains(c)) {
            let rows = built.get_or_insert_with(|| rows(sys, group, constraints));
            let program = Program {
                sys,
                group,
                rows,
                bound: setting.bound,
            };
            let n = program.small_values(k, knows, &mut Seen::new(group.len()))?;
            if n < p.protection {
                narrow.push(cell);
            }
        }
    }
    narrow.sort_unstable();
    Ok(narrow)
}

/// Cells in the line of a hidden small total: their zeros are hidden too, so a reader cannot
/// tell which of them are zeros.
fn blurred(sys: &System, status: &[Status]) -> Vec<bool> {
    let mut blurred = vec![false; sys.cells.len()];
    for l in sys.lines.iter().filter(|l| status[l.total] == Status::Primary) {
        for &c in &l.cells {
            blurred[c] = true;
        }
    }
    blurred
}

/// The programs of one group of hidden cells.
struct Program<'a> {
    sys: &'a System,
    group: &'a [usize],
    rows: &'a [Row],
    bound: u64,
}

impl Program<'_> {
    /// How many of the values a small count can take (`least..=small`) the reader who knows
    /// the rule cannot rule out for the group's `k`-th cell.
    fn small_values(&self, k: usize, knows: Reader<'_>, seen: &mut Seen) -> Result<u64, SuppressError> {
        use OptimizationDirection::{Maximize, Minimize};
        let Reader::KnowsRule { small, zeros, .. } = knows else {
            return Ok(0);
        };
        let least = u64::from(!zeros);
        // The reader's program bounds the cell to `least..=small`: a solution seen at either
        // end is that end's optimum.
        let lo = if seen.knows[k].0 == least {
            Some(least)
        } else {
            self.solve(k, Minimize, knows, seen)?
        };
        // "Unbounded" here means the maximum reached the solver's cap, which a threshold far
        // above every count (1611 on 400 persons) lies beyond: nothing published bounds the
        // cell, so the reader is left with the rule's own top.
        let hi = if seen.knows[k].1 == small {
            Some(small)
        } else {
            self.solve(k, Maximize, knows, seen)?.or(Some(small))
        };
        Ok(match (lo, hi) {
            (Some(lo), Some(hi)) if hi >= lo => hi - lo + 1,
            _ => 0,
        })
    }

    /// The extreme value of the group's `k`-th cell for `reader` over integer assignments of
    /// the group's cells, noting the solution's values of every cell in `seen`. `None` when
    /// the direction is unbounded: the cells' common upper bound is the largest count,
    /// published or not, which an attacker does not know, so a maximum that reaches the
    /// solver's cap above it is reported as unbounded.
    fn solve(
        &self,
        k: usize,
        dir: OptimizationDirection,
        reader: Reader<'_>,
        seen: &mut Seen,
    ) -> Result<Option<u64>, SuppressError> {
        let (sys, group, cell) = (self.sys, self.group, self.group[k]);
        let cap = 4 * self.bound + 10;
        let top = i32::try_from(cap).unwrap_or(i32::MAX);
        let mut prob = Problem::new(dir);
        let range_of = |g: usize, solved: bool| {
            let value = sys.cells[g].value;
            match reader {
                Reader::Plain => (0, top),
                Reader::KnowsRule { small, zeros, .. } if solved => {
                    (i32::from(!zeros), i32::try_from(small).unwrap_or(i32::MAX))
                }
                // With zeros hidden too (`zeros`), a hidden cell may be a zero or not: the
                // reader cannot tell which.
                Reader::KnowsRule { blurred, zeros, .. } if blurred[g] || zeros => (0, top),
                Reader::KnowsRule { .. } if value == 0 => (0, 0),
                Reader::KnowsRule { .. } => (1, top),
            }
        };
        let vars: Vec<microlp::Variable> = group
            .iter()
            .enumerate()
            .map(|(j, &g)| prob.add_integer_var(if j == k { 1.0 } else { 0.0 }, range_of(g, j == k)))
            .collect();
        for (expr, op, rhs) in self.rows {
            let e: microlp::LinearExpr = expr.iter().map(|&(v, c)| (vars[v], c)).collect();
            prob.add_constraint(e, *op, *rhs);
        }
        match prob.solve() {
            Ok(SolveOutcome::Solution(s)) => {
                let v = s.objective().round();
                if v < 0.0 {
                    return Err(SuppressError::NegativeOptimum { cell, value: v });
                }
                // The solution is an assignment the reader cannot rule out: for the reader
                // who knows the rule, only for the cells it leaves within their own program's
                // range (a small count seen at 0 where zeros are shown is no such value). The
                // cell solved for must also lie within the range other programs give it (a
                // threshold above the solver's cap lets it go higher here).
                let value_of = |var| s.var_value(var).round().max(0.0) as u64;
                let (lo_k, hi_k) = range_of(cell, false);
                if !(lo_k as u64..=hi_k as u64).contains(&value_of(vars[k])) {
                    let v = v as u64;
                    return Ok((v < cap).then_some(v));
                }
                for (j, &var) in vars.iter().enumerate() {
                    let x = value_of(var);
                    match reader {
                        Reader::Plain => Seen::note(&mut seen.plain[j], x),
                        Reader::KnowsRule { .. } => {
                            // The reader's program only narrows the plain one.
                            Seen::note(&mut seen.plain[j], x);
                            let (lo, hi) = range_of(group[j], true);
                            if (lo as u64..=hi as u64).contains(&x) {
                                Seen::note(&mut seen.knows[j], x);
                            }
                        }
                    }
                }
                let v = v as u64;
                Ok((v < cap).then_some(v))
            }
            Ok(SolveOutcome::Interrupted(_)) => Err(SuppressError::Interrupted { cell }),
            Err(microlp::Error::Unbounded) => Ok(None),
            Err(source) => Err(SuppressError::Solver { cell, source }),
        }
    }
}
