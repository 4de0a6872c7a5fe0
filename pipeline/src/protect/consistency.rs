//! Post-processing of a DP release (free under DP): least squares so that linked tables and
//! tables over the same population agree, each population's total estimated without bias
//! (but where a relation between tables binds it at the truth), non-negative values,
//! integers that keep one total per population, totals derived from rounded cells, every
//! relation between cells the exact audit knows, and small noisy cells hidden.

use safetally_dp::postprocess::{least_squares_with_multipliers, nonnegative_least_squares, round_to_total};
use safetally_dp::repair::nearest_satisfying;

use super::measure::measured_cells;
use crate::tables::aggregate::link_parts;
use crate::tables::derive::Deriver;
use crate::tables::{CellRef, Derive, Table, TableCells, Tables, build_system_for_dp, person_relations};
use safetally_dp::suppress::Relation;

/// A linear form over the measured variables, as (variable, coefficient) terms: a relation
/// `sum = 0` or an inequality `sum <= 0`.
type Linear = Vec<(usize, f64)>;

/// Per table: the full layout's values and each cell's noise scale.
pub struct Consistent {
    pub values: Vec<Vec<u64>>,
    pub scales: Vec<Vec<f64>>,
    /// Why the relations between tables could not all be met, when they could not.
    pub unmet: Option<String>,
}

/// Inner cells a cell covers (itself when inner).
fn cover(t: &Table, cell: usize) -> Vec<usize> {
    let pos = t.positions(cell);
    (0..t.n_cells())
        .filter(|&j| !t.is_margin(j))
        .filter(|&j| {
            t.positions(j)
                .iter()
                .zip(&pos)
                .enumerate()
                .all(|(d, (a, b))| *b == t.dims[d].domain.len() || a == b)
        })
        .collect()
}

/// Each cell's estimate from the noisy measurements alone, before any fitting, with its
/// standard deviation: a measured cell as drawn, a margin as the sum of the measured cells it
/// covers (a multi-valued table's total: persons with any code and with none). Unbiased, as
/// the noise is; the fit is not where a relation between tables is active at the truth (T17's
/// police reports below T18's), so the published intervals take both (`protect::dp`).
pub fn raw_estimates(tables: &Tables, noisy: &[Vec<i64>], scales: &[f64]) -> Vec<Vec<Option<(f64, f64)>>> {
    tables
        .tables
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            let mut raw: Vec<Option<f64>> = vec![None; t.n_cells()];
            for (k, c) in measured_cells(t).into_iter().enumerate() {
                raw[c] = noisy[ti].get(k).map(|&v| v as f64);
            }
            let parts = |i: usize| -> Vec<usize> {
                if t.multi {
                    let d = t.dims[0].domain.len();
                    if i == t.grand_total() {
                        vec![d + 1, d + 2]
                    } else {
                        Vec::new()
                    }
                } else {
                    cover(t, i)
                }
            };
            (0..t.n_cells())
                .map(|i| match raw[i] {
                    Some(v) => Some((v, scales[ti])),
                    None => {
                        let parts = parts(i);
                        let sum: Option<f64> = parts.iter().map(|&c| raw[c]).sum();
                        sum.filter(|_| !parts.is_empty())
                            .map(|v| (v, scales[ti] * (parts.len() as f64).sqrt()))
                    }
                })
                .collect()
        })
        .collect()
}

/// The variables of one table's total: inner cells, or persons with any code + with none.
fn total_terms(t: &Table, at: &[Option<usize>]) -> Vec<usize> {
    if t.multi {
        let d = t.dims[0].domain.len();
        vec![d + 1, d + 2].into_iter().filter_map(|c| at[c]).collect()
    } else {
        (0..t.n_cells())
            .filter(|&c| !t.is_margin(c))
            .filter_map(|c| at[c])
            .collect()
    }
}

pub fn make_consistent(tables: &Tables, deriver: &Deriver, noisy: &[Vec<i64>], scales: &[f64]) -> Consistent {
    // Global variable index of each measured cell.
    let mut var_of: Vec<Vec<Option<usize>>> = Vec::new();
    let (mut y, mut var) = (Vec::new(), Vec::new());
    for (ti, t) in tables.tables.iter().enumerate() {
        let mut at = vec![None; t.n_cells()];
        for (k, c) in measured_cells(t).into_iter().enumerate() {
            at[c] = Some(y.len());
            y.push(noisy[ti][k] as f64);
            var.push(scales[ti] * scales[ti]);
        }
        var_of.push(at);
    }
    for (t, at) in tables.tables.iter().zip(&var_of) {
        pairs_within_their_totals(t, at, &mut y);
    }
    let mut constraints: Vec<Vec<(usize, f64)>> = Vec::new();
    for (ti, t) in tables.tables.iter().enumerate() {
        for l in &t.links {
            let target = &tables.tables[l.to];
            for (b, parts) in link_parts(tables, ti, l, deriver) {
                if target.is_margin(b) {
                    continue;
                }
                let mut c: Vec<(usize, f64)> = parts
                    .iter()
                    .flat_map(|&p| cover(t, p))
                    .filter_map(|i| var_of[ti][i])
                    .map(|v| (v, 1.0))
                    .collect();
                c.extend(var_of[l.to][b].map(|v| (v, -1.0)));
                constraints.push(c);
            }
        }
    }
    // A measured grand total is the sum of its table's cells.
    for (t, at) in tables.tables.iter().zip(&var_of) {
        let measured_total = at[t.grand_total()];
        if let Some(total) = measured_total.filter(|_| !t.multi) {
            let mut c: Vec<(usize, f64)> = total_terms(t, at).into_iter().map(|v| (v, 1.0)).collect();
            c.push((total, -1.0));
            constraints.push(c);
        }
    }
    let groups = tables.population_groups();
    for g in &groups {
        for &other in &g[1..] {
            let mut c: Vec<(usize, f64)> = total_terms(&tables.tables[g[0]], &var_of[g[0]])
                .into_iter()
                .map(|v| (v, 1.0))
                .collect();
            c.extend(
                total_terms(&tables.tables[other], &var_of[other])
                    .into_iter()
                    .map(|v| (v, -1.0)),
            );
            constraints.push(c);
        }
    }
    let nested = nested_totals(tables, &groups);
    for n in &nested {
        let mut c: Vec<(usize, f64)> = n
            .cells
            .iter()
            .filter_map(|&i| var_of[n.table][i])
            .map(|v| (v, 1.0))
            .collect();
        let g = groups[n.group][0];
        c.extend(
            total_terms(&tables.tables[g], &var_of[g])
                .into_iter()
                .map(|v| (v, -1.0)),
        );
        constraints.push(c);
    }
    let inequalities = between_tables(tables, &var_of, &mut constraints);
    hold_totals(
        tables,
        (&groups, &var_of),
        (&mut y, &mut var),
        (&mut constraints, &inequalities),
    );
    let x = fit_within(&y, &var, &constraints, &inequalities);
    let mut c = round_and_fill(tables, deriver, (&groups, &nested), &var_of, &x, scales);
    satisfy_relations(tables, deriver, &mut c);
    c
}

/// A cell as the measured variables it sums: itself, its inner cells (a single-valued
/// table's totals), or persons with any code and with none (a multi-valued table's total).
fn terms_of(tables: &Tables, var_of: &[Vec<Option<usize>>], r: CellRef) -> Option<Vec<usize>> {
    if let Some(v) = var_of[r.table][r.cell] {
        return Some(vec![v]);
    }
    let t = &tables.tables[r.table];
    if t.multi {
        let terms = total_terms(t, &var_of[r.table]);
        return (r.cell == t.grand_total() && !terms.is_empty()).then_some(terms);
    }
    cover(t, r.cell).into_iter().map(|c| var_of[r.table][c]).collect()
}

/// The relations between tables the exact audit knows (cells of the same persons are equal,
/// a narrower population's cell is at most the wider one's), over the measured variables:
/// equalities join `constraints`, the inequalities are returned. Fitted here, a disagreement
/// is shared by both sides as their variances say; left to the integer step alone, it moved
/// whole units onto the cheaper side (T05's children to T11's, T17's police reports to T18's).
fn between_tables(
    tables: &Tables,
    var_of: &[Vec<Option<usize>>],
    constraints: &mut Vec<Vec<(usize, f64)>>,
) -> Vec<Vec<(usize, f64)>> {
    let (refs, relations) = person_relations(tables);
    let mut inequalities = Vec::new();
    for rel in relations {
        let mut sum: std::collections::BTreeMap<usize, f64> = std::collections::BTreeMap::new();
        let mut known = true;
        for &(i, a) in &rel.terms {
            match terms_of(tables, var_of, refs[i]) {
                Some(vs) => vs.into_iter().for_each(|v| *sum.entry(v).or_default() += a),
                None => known = false,
            }
        }
        let terms: Vec<(usize, f64)> = sum.into_iter().filter(|(_, a)| a.abs() > 1e-12).collect();
        if !known || terms.is_empty() {
            continue;
        }
        match rel.relation {
            Relation::Eq => constraints.push(terms),
            Relation::Le => inequalities.push(terms),
        }
    }
    inequalities
}

/// Non-negative least squares with every inequality (`sum <= 0`) held: those the fit breaks
/// are tied (made equalities) and the fit redone until none is broken. Each round ties at
/// least one more, so it ends.
fn fit_within(
    y: &[f64],
    var: &[f64],
    constraints: &[Vec<(usize, f64)>],
    inequalities: &[Vec<(usize, f64)>],
) -> Vec<f64> {
    let mut active = constraints.to_vec();
    let mut tied = vec![false; inequalities.len()];
    loop {
        let x = nonnegative_least_squares(y, var, &active);
        let broken: Vec<usize> = (0..inequalities.len())
            .filter(|&k| !tied[k] && inequalities[k].iter().map(|&(v, a)| a * x[v]).sum::<f64>() > 1e-6)
            .collect();
        if broken.is_empty() {
            return x;
        }
        for k in broken {
            tied[k] = true;
            active.push(inequalities[k].clone());
        }
    }
}

/// A pair of organisations' persons (T21b's `a|b`) are persons of each: a noisy pair above
/// either organisation's own noisy total (its diagonal cell, clamped at 0) is lowered to it
/// before the fit. Left to the fit and the integer step, an organisation that reported nobody
/// had its total raised to its largest noisy pair instead, the cheaper move with dozens of
/// pairs of pure noise beside it: about 31 persons in every release (an outside review, 200
/// releases). Post-processing of noisy values only.
fn pairs_within_their_totals(t: &crate::tables::Table, at: &[Option<usize>], y: &mut [f64]) {
    if t.dims.len() != 1 || t.dims[0].derive != crate::tables::Derive::Pairs {
        return;
    }
    let domain = &t.dims[0].domain;
    let var = |code: &str| domain.iter().position(|c| c.code == code).and_then(|c| at[c]);
    let own: std::collections::HashMap<&str, f64> = domain
        .iter()
        .filter_map(|c| {
            let (a, b) = c.code.split_once('|')?;
            let v = var(&c.code).filter(|_| a == b)?;
            Some((a, y[v].max(0.0)))
        })
        .collect();
    for c in domain {
        let Some((a, b)) = c.code.split_once('|').filter(|(a, b)| a != b) else {
            continue;
        };
        if let (Some(v), Some(&ta), Some(&tb)) = (var(&c.code), own.get(a), own.get(b)) {
            y[v] = y[v].min(ta).min(tb);
        }
    }
}

/// Rounding per table, and relations the fit does not hold (a narrower population's cell at
/// most the wider one's, cells of different tables that count the same persons), can leave a
/// cell above the one that contains it: T09's 17 begging against T04's 10 in an outside
/// review. The integers nearest to the rounded ones, each move weighted by the cell's noise
/// scale, that satisfy every relation the exact mode's audit knows are published instead,
/// with every table's grand total held where the fit put it: free, the cheapest mend often
/// moved a total (T09's fell by 15 persons on average, outside its interval in 33 of 60
/// releases, an outside review of the first version). Where no such integers exist, or the
/// solver fails, the values stay as they were and `unmet` says why.
fn satisfy_relations(tables: &Tables, deriver: &Deriver, c: &mut Consistent) {
    let cells: Vec<TableCells> = tables
        .tables
        .iter()
        .zip(&c.values)
        .map(|(t, v)| TableCells {
            id: t.id().to_string(),
            values: v.clone(),
        })
        .collect();
    let (system, refs) = build_system_for_dp(deriver, tables, &cells);
    let values: Vec<u64> = system.cells.iter().map(|c| c.value).collect();
    // A scale of zero (a count nothing measured) is a value no move should touch lightly.
    let weights: Vec<f64> = refs
        .iter()
        .map(|r| 1.0 / c.scales[r.table][r.cell].max(1e-3))
        .collect();
    let held: Vec<usize> = refs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.cell == tables.tables[r.table].grand_total())
        .map(|(k, _)| k)
        .collect();
    match nearest_satisfying(&values, &weights, &held, &system.constraints) {
        Ok(fixed) => {
            for (r, v) in refs.iter().zip(fixed) {
                c.values[r.table][r.cell] = v;
            }
        }
        Err(e) => c.unmet = Some(e.to_string()),
    }
}

/// A population that is another's with one more condition on a plain column (T04's
/// "potentially directly affected persons" are T01's persons with contact kind `direct`): its
/// total is the sum of `cells` (inner cells) of `table`, a table of the wider population.
struct Nested {
    group: usize,
    table: usize,
    cells: Vec<usize>,
}

/// The relations whose cells table `ti` rounds to a narrower total, as (cells, group): each
/// cell in one at most (two populations with the same conditions, or overlapping codes, would
/// otherwise pin a cell twice).
fn pins(nested: &[Nested], ti: usize) -> Vec<(Vec<usize>, usize)> {
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
fn nested_totals(tables: &Tables, groups: &[Vec<usize>]) -> Vec<Nested> {
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
fn hold_totals(
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
fn subsets(tables: &Tables, groups: &[Vec<usize>]) -> Vec<(usize, usize)> {
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

fn round_and_fill(
    tables: &Tables,
    deriver: &Deriver,
    (groups, nested): (&[Vec<usize>], &[Nested]),
    var_of: &[Vec<Option<usize>>],
    x: &[f64],
    scales: &[f64],
) -> Consistent {
    let n = tables.tables.len();
    let mut values: Vec<Vec<u64>> = tables.tables.iter().map(|t| vec![0; t.n_cells()]).collect();
    let mut cell_scales: Vec<Vec<f64>> = tables.tables.iter().map(|t| vec![0.0; t.n_cells()]).collect();
    let targets: Vec<Option<(usize, usize)>> = (0..n)
        .map(|b| {
            tables
                .tables
                .iter()
                .enumerate()
                .find_map(|(a, t)| t.links.iter().position(|l| l.to == b).map(|li| (a, li)))
        })
        .collect();
    let totals: Vec<i64> = groups
        .iter()
        .map(|g| {
            let t: f64 = total_terms(&tables.tables[g[0]], &var_of[g[0]])
                .iter()
                .map(|&v| x[v])
                .sum();
            t.round() as i64
        })
        .collect();
    let totals = narrower_at_most_wider(totals, &subsets(tables, groups));
    for (g, &total) in groups.iter().zip(&totals) {
        for &ti in g.iter().filter(|&&ti| targets[ti].is_none()) {
            let t = &tables.tables[ti];
            let xs = |c: usize| var_of[ti][c].map_or(0.0, |v| x[v]);
            if t.multi {
                let d = t.dims[0].domain.len();
                let split = round_to_total(&[xs(d + 1), xs(d + 2)], total);
                let any = split[0].max(0) as u64;
                values[ti][d + 1] = any;
                values[ti][d + 2] = split[1].max(0) as u64;
                values[ti][d] = total.max(0) as u64;
                values[ti][d + 3] = (xs(d + 3).round().max(0.0) as u64).min(any);
                for c in 0..d {
                    values[ti][c] = (xs(c).round().max(0.0) as u64).min(any);
                    cell_scales[ti][c] = scales[ti];
                }
                for c in [d + 1, d + 2, d + 3] {
                    cell_scales[ti][c] = scales[ti];
                }
                cell_scales[ti][d] = scales[ti] * 2f64.sqrt();
            } else {
                // Cells that make a narrower population's total share that total as rounded,
                // so the two read the same; the other cells share what is left.
                let mut pinned: Vec<usize> = Vec::new();
                for (cells, of) in pins(nested, ti) {
                    let shared =
                        round_to_total(&cells.iter().map(|&c| xs(c)).collect::<Vec<_>>(), totals[of]);
                    for (&c, v) in cells.iter().zip(shared) {
                        values[ti][c] = v.max(0) as u64;
                    }
                    pinned.extend(cells);
                }
                let inner: Vec<usize> = (0..t.n_cells())
                    .filter(|&c| !t.is_margin(c) && !pinned.contains(&c))
                    .collect();
                let rest = total - pinned.iter().map(|&c| values[ti][c] as i64).sum::<i64>();
                let rounded = round_to_total(&inner.iter().map(|&c| xs(c)).collect::<Vec<_>>(), rest);
                for (&c, r) in inner.iter().zip(rounded) {
                    values[ti][c] = r.max(0) as u64;
                }
                fill_margins(t, &mut values[ti], &mut cell_scales[ti], scales[ti]);
                if t.spec.measure_total {
                    // The cells' sum and the measured total, combined: variance k s^2 and s^2
                    // for k cells make k/(k + 1) s^2.
                    let c = t.grand_total();
                    let k = cover(t, c).len() as f64;
                    cell_scales[ti][c] = scales[ti] * (k / (k + 1.0)).sqrt();
                }
            }
        }
    }
    // Linked tables are the margins of their source, so they agree exactly.
    for (b, src) in targets.iter().enumerate() {
        let Some((a, li)) = *src else { continue };
        let link = &tables.tables[a].links[li];
        for (cell, parts) in link_parts(tables, a, link, deriver) {
            values[b][cell] = parts.iter().map(|&p| values[a][p]).sum();
            // Least squares combined both tables' measurements, so the estimate is at least
            // as precise as either; the smaller of the two scales is a safe statement.
            let k = parts
                .iter()
                .map(|&p| cover(&tables.tables[a], p).len())
                .sum::<usize>()
                .max(1);
            let derived = scales[a] * (k as f64).sqrt();
            let own = scales[b] * (cover(&tables.tables[b], cell).len().max(1) as f64).sqrt();
            let s = derived.min(own);
            cell_scales[b][cell] = s;
            if let [p] = parts[..] {
                cell_scales[a][p] = cell_scales[a][p].min(s);
            }
        }
    }
    // Tables over one population share one total: its most precise statement holds for all.
    for g in groups {
        let total = |ti: usize| tables.tables[ti].grand_total();
        let best = g
            .iter()
            .map(|&ti| cell_scales[ti][total(ti)])
            .fold(f64::INFINITY, f64::min);
        for &ti in g {
            let c = total(ti);
            cell_scales[ti][c] = best;
        }
    }
    // A cell that is a narrower population's total is the same number: its more precise
    // statement holds for both.
    for n in nested.iter().filter(|n| n.cells.len() == 1) {
        let g = &groups[n.group];
        let total = |ti: usize| tables.tables[ti].grand_total();
        let best = cell_scales[n.table][n.cells[0]].min(cell_scales[g[0]][total(g[0])]);
        cell_scales[n.table][n.cells[0]] = best;
        for &ti in g {
            cell_scales[ti][total(ti)] = best;
        }
    }
    Consistent {
        values,
        scales: cell_scales,
        unmet: None,
    }
}

/// The fit holds each narrower total at most its wider one only up to its tolerance, and
/// rounding could still put a tie's two sides one apart: the rounded totals keep the order too.
fn narrower_at_most_wider(mut totals: Vec<i64>, pairs: &[(usize, usize)]) -> Vec<i64> {
    for _ in 0..totals.len() {
        let mut changed = false;
        for &(a, b) in pairs {
            if totals[a] > totals[b] {
                totals[a] = totals[b];
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    totals
}

/// Totals of a single-valued table from its rounded inner cells; a total's scale is that of
/// the sum of the cells it covers.
fn fill_margins(t: &Table, values: &mut [u64], scales: &mut [f64], scale: f64) {
    for c in 0..t.n_cells() {
        let cov = cover(t, c);
        if t.is_margin(c) {
            values[c] = cov.iter().map(|&i| values[i]).sum();
        }
        scales[c] = scale * (cov.len().max(1) as f64).sqrt();
    }
}
