//! From the fitted values to the published integers: each population's cells rounded to its
//! total, the margins derived from the rounded cells, narrower totals kept at most the wider.

use safetally_dp::postprocess::round_to_total;

use super::totals::{Nested, pins, subsets};
use super::{Consistent, cover, total_terms};
use crate::tables::aggregate::link_parts;
use crate::tables::derive::Deriver;
use crate::tables::{Table, Tables};

pub(super) fn round_and_fill(
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
