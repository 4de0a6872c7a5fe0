//! Each population's total, estimated before the cells are fitted under it: the populations
//! nested in others (a narrower total is a sum of a wider table's cells), and the between-table
//! inequalities a precise narrow side shares with a noisier total (an active set).

use safetally_dp::postprocess::least_squares_with_multipliers;

use super::{Linear, cover, total_terms};
use crate::tables::{Derive, Tables};

/// A population that is another's with one more condition on a plain column (T04's
/// "potentially directly affected persons" are T01's persons with contact kind `direct`): its
/// total is the sum of `cells` (inner cells) of `table`, a table of the wider population.
pub(super) struct Nested {
    pub(super) group: usize,
    pub(super) table: usize,
    pub(super) cells: Vec<usize>,
}

/// The relations whose cells table `ti` rounds to a narrower total, as (cells, group): each
/// cell in one at most (two populations with the same conditions, or overlapping codes, would
/// otherwise pin a cell twice).
pub(super) fn pins(nested: &[Nested], ti: usize) -> Vec<(Vec<usize>, usize)> {
    let mut taken: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for n in nested.iter().filter(|n| n.table == ti) {
        if n.cells.iter().any(|c| taken.contains(c)) {
            continue;
        }
        taken.extend(&n.cells);
        out.push((n.cells.clone(), n.group));
    }
    out
}

/// Every such relation between the populations of `groups`: without it, the same number
/// (T01's direct persons and T04's total) is estimated twice and published twice, differently.
pub(super) fn nested_totals(tables: &Tables, groups: &[Vec<usize>]) -> Vec<Nested> {
    let conditions = |g: &Vec<usize>| &tables.tables[g[0]].spec.population.conditions;
    let mut out = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        let inner = conditions(g);
        for h in groups {
            let outer = conditions(h);
            if inner.len() != outer.len() + 1 || !outer.iter().all(|c| inner.contains(c)) {
                continue;
            }
            let Some(extra) = inner.iter().find(|c| !outer.contains(c)) else {
                continue;
            };
            let Some(codes) = extra
                .in_codes
                .as_ref()
                .filter(|_| !extra.answered && !extra.known && extra.contains.is_none())
            else {
                continue;
            };
            for &ti in h {
                let t = &tables.tables[ti];
                let Some(dim) = t
                    .dims
                    .iter()
                    .find(|d| d.column == extra.column && d.derive == Derive::Code && !d.multi)
                else {
                    continue;
                };
                let cells: Option<Vec<usize>> = codes
                    .iter()
                    .map(|code| t.cell_index(&[(dim.name.clone(), code.clone())].into()))
                    .collect();
                if let Some(cells) = cells.filter(|_| !t.multi) {
                    out.push(Nested {
                        group: gi,
                        table: ti,
                        cells: cells.into_iter().flat_map(|c| cover(t, c)).collect(),
                    });
                }
            }
        }
    }
    out
}

/// Each population's total is estimated first, by plain least squares, and held there (at
/// zero when the estimate is below) while the cells are made non-negative. Cells clamped at
/// zero are biased upwards, and a total summed from them is biased by the sum: 0.4 of a
/// cell's scale for every empty cell under it, so that a release of 300 persons showed 147
/// children for 28. Least squares without the clamp is unbiased; holding the total moves the
/// clamp's surplus onto the other cells instead. Each total becomes one more measurement,
/// with a variance too small to move it, tied to the table's total terms. A relation between
/// tables' cells whose narrower side is the more precise is held in that first fit too: a
/// total held first and a cell bound by it fitted after put the whole disagreement on the
/// cell, so T17's police reports, measured with a tenth of the variance of T18's total, were
/// clipped by that noisier total (4.2 to 6.6 persons too low on average over 60-100
/// releases, against -0.9 to +0.1 for the raw measurement; 0 to 1.1 now, and T18's total
/// leans up instead, by its larger share).
pub(super) fn hold_totals(
    tables: &Tables,
    (groups, var_of): (&[Vec<usize>], &[Vec<Option<usize>>]),
    (y, var): (&mut Vec<f64>, &mut Vec<f64>),
    (constraints, inequalities): (&mut Vec<Linear>, &[Linear]),
) {
    // Only where the narrower side is measured more precisely: where it is the noisier (a
    // sum of many cells under T01's persons) or as noisy (a form of T04 under T01's direct
    // persons), holding the wider total first is what keeps that total unbiased, and letting
    // every relation share pulled T01 up by about a person.
    let side = |q: &[(usize, f64)], narrow: bool| -> f64 {
        q.iter()
            .filter(|(_, a)| (*a > 0.0) == narrow)
            .map(|&(v, _)| var[v])
            .sum()
    };
    let sharing: Vec<Linear> = inequalities
        .iter()
        .filter(|q| side(q, true) < side(q, false))
        .cloned()
        .collect();
    let plain = within_wider_populations(
        tables,
        (groups, var_of),
        (y.as_slice(), var.as_slice()),
        (constraints.as_slice(), &sharing),
    );
    let tiny = var.iter().copied().fold(f64::INFINITY, f64::min) * 1e-9;
    for g in groups {
        let terms = total_terms(&tables.tables[g[0]], &var_of[g[0]]);
        if terms.is_empty() {
            continue;
        }
        let total: f64 = terms.iter().map(|&v| plain[v]).sum();
        let held = y.len();
        y.push(total.max(0.0));
        var.push(tiny);
        let mut c: Vec<(usize, f64)> = terms.into_iter().map(|v| (v, 1.0)).collect();
        c.push((held, -1.0));
        constraints.push(c);
    }
}

/// Pairs (narrower, wider) of population groups: every condition of the wider is one of the
/// narrower's, so the narrower's persons are among the wider's (T19's persons with a legal
/// status are among T18's persons with a police report).
pub(super) fn subsets(tables: &Tables, groups: &[Vec<usize>]) -> Vec<(usize, usize)> {
    let conditions = |g: &Vec<usize>| &tables.tables[g[0]].spec.population.conditions;
    let mut out = Vec::new();
    for (a, narrow) in groups.iter().enumerate() {
        for (b, wide) in groups.iter().enumerate() {
            if a != b && conditions(wide).iter().all(|c| conditions(narrow).contains(c)) {
                out.push((a, b));
            }
        }
    }
    out
}

/// Plain least squares with every narrower population's total at most its wider one's, and
/// the given inequalities between tables' cells (`sum <= 0`) held. Noised apart, they could
/// read "80 of 79 persons". An active set: the broken ones are tied equal and the fit redone
/// (the optimum under an inequality it breaks lies on it), and a tie whose multiplier says
/// the fit would rather leave it slack is let go again (T19's persons with a legal status,
/// tied to T18's, would otherwise follow T18's total wherever T17's relation moved it). Ties
/// are let go in the first `RELEASE_ROUNDS` rounds only, so that the fit ends.
fn within_wider_populations(
    tables: &Tables,
    (groups, var_of): (&[Vec<usize>], &[Vec<Option<usize>>]),
    (y, var): (&[f64], &[f64]),
    (constraints, inequalities): (&[Linear], &[Linear]),
) -> Vec<f64> {
    let terms: Vec<Vec<usize>> = groups
        .iter()
        .map(|g| total_terms(&tables.tables[g[0]], &var_of[g[0]]))
        .collect();
    let mut all: Vec<Linear> = subsets(tables, groups)
        .into_iter()
        .filter(|&(a, b)| !terms[a].is_empty() && !terms[b].is_empty())
        .map(|(a, b)| {
            let mut c: Linear = terms[a].iter().map(|&v| (v, 1.0)).collect();
            c.extend(terms[b].iter().map(|&v| (v, -1.0)));
            c
        })
        .collect();
    all.extend(inequalities.iter().cloned());
    let mut tied: Vec<usize> = Vec::new();
    let mut round = 0;
    loop {
        round += 1;
        let mut active = constraints.to_vec();
        active.extend(tied.iter().map(|&k| all[k].clone()));
        let (x, lambda) = least_squares_with_multipliers(y, var, &active);
        if round <= RELEASE_ROUNDS {
            let slack: Vec<usize> = tied
                .iter()
                .zip(&lambda[constraints.len()..])
                .filter(|(_, l)| **l < -1e-9)
                .map(|(&k, _)| k)
                .collect();
            if !slack.is_empty() {
                tied.retain(|k| !slack.contains(k));
                continue;
            }
        }
        let broken: Vec<usize> = (0..all.len())
            .filter(|&k| !tied.contains(&k) && all[k].iter().map(|&(v, a)| a * x[v]).sum::<f64>() > 1e-6)
            .collect();
        if broken.is_empty() {
            return x;
        }
        tied.extend(broken);
    }
}

/// Rounds in which `within_wider_populations` may let ties go; after them it only ties, so
/// it ends within as many more rounds as there are relations.
const RELEASE_ROUNDS: usize = 20;
