//! The last post-processing step of a DP release: the integers nearest to the rounded
//! estimates that satisfy every relation a reader knows holds between the published cells
//! (the exact mode's audit system). Least squares makes tables agree where their relations
//! are equalities of measured cells; this also enforces the inequalities (a narrower
//! population's cell at most the wider one's) and the equalities rounding broke.

use std::time::Duration;

use microlp::{ComparisonOp, OptimizationDirection, Problem, SolveOutcome};

use crate::suppress::{Constraint, Relation};

/// Far beyond the 25-150 ms the report's tables take: a program this slow is a solver's
/// trouble, and the release goes out without the step rather than never.
const TIME_LIMIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error("no integer values near the estimates satisfy the tables' relations: {0}")]
    Solver(#[from] microlp::Error),
    #[error("no integer values near the estimates satisfy the tables' relations: out of time ({} s)", .limit.as_secs())]
    OutOfTime { limit: Duration },
    #[error(
        "no integer values near the estimates satisfy the tables' relations: the solution breaks a relation"
    )]
    BrokenRelation,
}

/// Minimises sum(weight_i |x_i - value_i|) over non-negative integers x subject to every
/// constraint, with the cells of `held` kept at their values. A cell's weight is the inverse
/// of its noise scale, so precise cells move least. Held cells can make the program
/// infeasible, which is an error like a solver's failure or its time running out.
pub fn nearest_satisfying(
    values: &[u64],
    weights: &[f64],
    held: &[usize],
    constraints: &[Constraint],
) -> Result<Vec<u64>, RepairError> {
    let broken = |x: &[u64]| constraints.iter().any(|c| !holds(c, x));
    if !broken(values) {
        return Ok(values.to_vec());
    }
    let cap = values
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .saturating_mul(2)
        .saturating_add(1000);
    let cap = i32::try_from(cap).unwrap_or(i32::MAX);
    let mut prob = Problem::new(OptimizationDirection::Minimize);
    prob.set_time_limit(TIME_LIMIT);
    // x_i = value_i + up_i - down_i; down_i <= value_i keeps x_i >= 0.
    let vars: Vec<(microlp::Variable, microlp::Variable)> = values
        .iter()
        .zip(weights)
        .enumerate()
        .map(|(i, (&v, &w))| {
            let (up, down) = if held.contains(&i) {
                (0, 0)
            } else {
                (cap, i32::try_from(v).unwrap_or(i32::MAX))
            };
            (
                prob.add_integer_var(w, (0, up)),
                prob.add_integer_var(w, (0, down)),
            )
        })
        .collect();
    for c in constraints {
        let mut e = microlp::LinearExpr::empty();
        for &(i, a) in &c.terms {
            e.add(vars[i].0, a);
            e.add(vars[i].1, -a);
        }
        let at: f64 = c.terms.iter().map(|&(i, a)| a * values[i] as f64).sum();
        let op = match c.relation {
            Relation::Eq => ComparisonOp::Eq,
            Relation::Le => ComparisonOp::Le,
        };
        prob.add_constraint(e, op, -at);
    }
    let solution = match prob.solve() {
        Ok(SolveOutcome::Solution(s)) => s,
        Ok(SolveOutcome::Interrupted(_)) => return Err(RepairError::OutOfTime { limit: TIME_LIMIT }),
        Err(e) => return Err(e.into()),
    };
    let out: Vec<u64> = values
        .iter()
        .zip(&vars)
        .map(|(&v, &(up, down))| {
            let x = v as f64 + solution.var_value(up) - solution.var_value(down);
            x.round().max(0.0) as u64
        })
        .collect();
    if broken(&out) {
        return Err(RepairError::BrokenRelation);
    }
    Ok(out)
}

fn holds(c: &Constraint, x: &[u64]) -> bool {
    let sum: f64 = c.terms.iter().map(|&(i, a)| a * x[i] as f64).sum();
    match c.relation {
        Relation::Eq => sum.abs() < 1e-6,
        Relation::Le => sum < 1e-6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A narrower cell (0) above the wider one (1): the cheaper of the two moves, by the least
    /// that mends it, and a total tied to the wider one (2) follows.
    #[test]
    fn the_cheapest_least_move_mends_a_broken_relation() {
        let c = vec![
            Constraint::at_most_zero(vec![(0, 1.0), (1, -1.0)]),
            Constraint::sum(2, &[1]),
        ];
        // Cell 0 is the noisier (weight 0.5 against 1 + 1 for cells 1 and 2 together).
        let x = nearest_satisfying(&[17, 10, 10], &[0.5, 1.0, 1.0], &[], &c).expect("solved");
        assert_eq!(x, vec![10, 10, 10]);
        // Made the cheaper, the wider cell and its total rise instead.
        let x = nearest_satisfying(&[17, 10, 10], &[5.0, 1.0, 1.0], &[], &c).expect("solved");
        assert_eq!(x, vec![17, 17, 17]);
    }

    /// A held total stays where it is: its parts move instead, or the program is infeasible.
    #[test]
    fn held_cells_do_not_move() {
        // Cell 2 is the total of cells 0 and 1; cell 0 at most cell 3.
        let c = vec![
            Constraint::sum(2, &[0, 1]),
            Constraint::at_most_zero(vec![(0, 1.0), (3, -1.0)]),
        ];
        // Cell 3 is dear. Free, the total is cheapest to lower with cell 0; held, cell 1 takes
        // what cell 0 gives up.
        let free = nearest_satisfying(&[8, 2, 10, 5], &[1.0, 1.0, 0.1, 5.0], &[], &c).expect("solved");
        assert_eq!(free[2], 7, "{free:?}");
        let held = nearest_satisfying(&[8, 2, 10, 5], &[1.0, 1.0, 0.1, 5.0], &[2], &c).expect("solved");
        assert_eq!(held[2], 10, "{held:?}");
        assert_eq!(held[0] + held[1], 10);
        assert!(held[0] <= held[3]);
        // Nothing fits a held total of 10 under parts capped at 3 each.
        let c2 = vec![
            Constraint::sum(2, &[0, 1]),
            Constraint::at_most_zero(vec![(0, 1.0), (3, -1.0)]),
            Constraint::at_most_zero(vec![(1, 1.0), (3, -1.0)]),
        ];
        assert!(nearest_satisfying(&[8, 2, 10, 3], &[1.0, 1.0, 1.0, 1.0], &[2, 3], &c2).is_err());
    }

    #[test]
    fn values_that_hold_every_relation_are_kept() {
        let c = vec![Constraint::at_most_zero(vec![(0, 1.0), (1, -1.0)])];
        assert_eq!(
            nearest_satisfying(&[3, 9], &[1.0, 1.0], &[], &c).expect("solved"),
            vec![3, 9]
        );
    }

    /// Equal cells rounded apart (the same persons in two tables) are made one, and no value
    /// goes below zero.
    #[test]
    fn equal_cells_are_made_equal_without_going_negative() {
        let c = vec![
            Constraint::sum(0, &[1]),
            Constraint::at_most_zero(vec![(2, 1.0), (0, -1.0)]),
        ];
        let v = [0, 1, 1];
        let x = nearest_satisfying(&v, &[1.0, 1.0, 1.0], &[], &c).expect("solved");
        assert_eq!(x[0], x[1]);
        assert!(x[2] <= x[0]);
        // One unit moved (cell 0 up to 1), not two (cells 1 and 2 down to 0).
        let moved: u64 = x.iter().zip(&v).map(|(a, b)| a.abs_diff(*b)).sum();
        assert_eq!(moved, 1, "{x:?}");
    }
}
