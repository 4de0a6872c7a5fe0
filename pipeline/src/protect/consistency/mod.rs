//! Post-processing of a DP release (free under DP): least squares so that linked tables and
//! tables over the same population agree, each population's total estimated without bias
//! (but where a relation between tables binds it at the truth), non-negative values,
//! integers that keep one total per population, totals derived from rounded cells, every
//! relation between cells the exact audit knows, and small noisy cells hidden.

use safetally_dp::postprocess::nonnegative_least_squares;
use safetally_dp::repair::nearest_satisfying;

use super::measure::measured_cells;
use crate::tables::aggregate::link_parts;
use crate::tables::derive::Deriver;
use crate::tables::{CellRef, Table, TableCells, Tables, build_system_for_dp, person_relations};
use safetally_dp::suppress::Relation;

mod rounding;
mod shared;
mod totals;

use rounding::round_and_fill;
pub use shared::{one_scale_per_number, same_numbers};
use totals::{hold_totals, nested_totals};

/// A linear form over the measured variables, as (variable, coefficient) terms: a relation
/// `sum = 0` or an inequality `sum <= 0`.
pub(super) type Linear = Vec<(usize, f64)>;

/// Per table: the full layout's values and each cell's noise scale.
pub struct Consistent {
    pub values: Vec<Vec<u64>>,
    pub scales: Vec<Vec<f64>>,
    /// Why the relations between tables could not all be met, when they could not.
    pub unmet: Option<String>,
}

/// Inner cells a cell covers (itself when inner).
pub(super) fn cover(t: &Table, cell: usize) -> Vec<usize> {
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
/// covers (a multi-valued table's total: persons with any code and with none), a number shown
/// in several tables as all their estimates combined (`shared::combine`). Unbiased, as
/// the noise is; the fit is not where a relation between tables is active at the truth (T17's
/// police reports below T18's), so the published intervals take both (`protect::dp`).
pub fn raw_estimates(
    tables: &Tables,
    noisy: &[Vec<i64>],
    scales: &[f64],
    same: &[Vec<CellRef>],
) -> Vec<Vec<Option<(f64, f64)>>> {
    let mut raw = own_raw_estimates(tables, noisy, scales);
    shared::combine(tables, same, &mut raw);
    raw
}

/// `raw_estimates` from each table's own measurements alone.
fn own_raw_estimates(tables: &Tables, noisy: &[Vec<i64>], scales: &[f64]) -> Vec<Vec<Option<(f64, f64)>>> {
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
pub(super) fn total_terms(t: &Table, at: &[Option<usize>]) -> Vec<usize> {
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
    let mut inequalities = between_tables(tables, &var_of, &mut constraints);
    codes_within_their_persons(tables, &var_of, &mut constraints, &mut inequalities);
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

/// A multi-valued table's codes, each person's first `max_codes` (m), sum to at least the
/// persons with any code plus those with several, and at most those plus m - 1 per person with
/// several (exactly that where m is 2); persons with several are at most those with any. Left
/// to the integer step alone, which only lowers the cells it must, the codes of a table of many
/// empty ones (T08's 250 countries) summed to the noise of all of them: an outside review saw 91
/// countries with persons where 9 had any, Pitcairn third, and the codes 1 360 beside 343
/// persons of at most 3 codes each. Fitted, the sum takes its share of the disagreement, so
/// the codes near zero fall to zero and the large ones move by little.
fn codes_within_their_persons(
    tables: &Tables,
    var_of: &[Vec<Option<usize>>],
    constraints: &mut Vec<Linear>,
    inequalities: &mut Vec<Linear>,
) {
    for (t, at) in tables.tables.iter().zip(var_of) {
        // Nobody without an answer among persons with one (an outside review saw T13's 9).
        if let Some(none) = t.empty_none().and_then(|c| at[c]) {
            constraints.push(vec![(none, 1.0)]);
        }
        let Some(bound) = crate::tables::truncated_code_sum(t) else {
            continue;
        };
        let measured =
            |terms: &Linear| -> Option<Linear> { terms.iter().map(|&(c, a)| Some((at[c]?, a))).collect() };
        let (Some(high), Some(low), Some(any), Some(several)) = (
            measured(&bound.at_most),
            measured(&bound.at_least),
            at[bound.any],
            at[bound.several],
        ) else {
            continue;
        };
        if bound.per_several <= 1.0 {
            constraints.push(high);
        } else {
            inequalities.push(low);
            inequalities.push(high);
        }
        inequalities.push(vec![(several, 1.0), (any, -1.0)]);
    }
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
