//! The relations within one table: its lines (each total with the cells it totals), the sums
//! along each dimension, and the bounds a multi-valued table's any/none/several cells obey.

use safetally_dp::suppress::{Constraint, Line};

use crate::tables::{Derive, Table, pair_code};

/// Every total of a table with the cells of its line: those that agree with it on each
/// dimension it does not total. (The any / none / several cells of a multi-valued table are
/// counts of their own, not totals of a line.)
pub(super) fn lines(t: &Table, at: &impl Fn(usize) -> usize, out: &mut Vec<Line>) {
    let domain: Vec<usize> = t.dims.iter().map(|d| d.domain.len()).collect();
    let positions: Vec<Vec<usize>> = (0..t.n_cells()).map(|i| t.positions(i)).collect();
    for (i, total) in positions.iter().enumerate() {
        let totals_something = total.iter().zip(&domain).any(|(&a, &n)| a == n);
        if !totals_something || total.iter().zip(&domain).any(|(&a, &n)| a > n) {
            continue;
        }
        let cells = positions
            .iter()
            .enumerate()
            .filter(|&(j, pos)| {
                j != i
                    && total
                        .iter()
                        .zip(pos)
                        .zip(&domain)
                        .all(|((&a, &b), &n)| a == n || a == b)
            })
            .map(|(j, _)| at(j))
            .collect();
        out.push(Line { total: at(i), cells });
    }
}

/// Every total equals the sum of the cells it totals, along each dimension.
pub(super) fn margin_relations(t: &Table, at: &impl Fn(usize) -> usize, out: &mut Vec<Constraint>) {
    for k in 0..t.dims.len() {
        let total_pos = t.dims[k].domain.len();
        for i in 0..t.n_cells() {
            let pos = t.positions(i);
            if pos[k] != total_pos {
                continue;
            }
            let parts: Vec<usize> = (0..total_pos)
                .map(|v| {
                    let mut q = pos.clone();
                    q[k] = v;
                    at(t.index(&q))
                })
                .collect();
            out.push(Constraint::sum(at(i), &parts));
        }
    }
}

/// A multi-valued table: persons = with any code + with none; each code and "several" are at
/// most "any"; the codes sum to at least any + several and at most any + (codes - 1) x several.
pub(super) fn multi_relations(t: &Table, at: &impl Fn(usize) -> usize, out: &mut Vec<Constraint>) {
    let d = t.dims[0].domain.len();
    let (total, any, none, several) = (at(d), at(d + 1), at(d + 2), at(d + 3));
    out.push(Constraint::sum(total, &[any, none]));
    for c in 0..d {
        out.push(Constraint::at_most_zero(vec![(at(c), 1.0), (any, -1.0)]));
    }
    out.push(Constraint::at_most_zero(vec![(several, 1.0), (any, -1.0)]));
    let mut low: Vec<(usize, f64)> = (0..d).map(|c| (at(c), -1.0)).collect();
    low.extend([(any, 1.0), (several, 1.0)]);
    out.push(Constraint::at_most_zero(low));
    let mut high: Vec<(usize, f64)> = (0..d).map(|c| (at(c), 1.0)).collect();
    high.extend([(any, -1.0), (several, -(d as f64 - 1.0))]);
    out.push(Constraint::at_most_zero(high));
    if t.dims[0].derive == Derive::Pairs {
        pair_relations(t, at, out);
    }
}

/// Under DP, a multi-valued table's codes are each person's first `max_codes` (m): they sum
/// to at most the persons with any code plus m - 1 per person with several. None for a
/// single-valued table, or where m allows every code anyway.
pub fn truncated_codes(t: &Table, at: &impl Fn(usize) -> usize) -> Option<Constraint> {
    let bound = truncated_code_sum(t).filter(|b| b.per_several < t.dims[0].domain.len() as f64 - 1.0)?;
    Some(Constraint::at_most_zero(
        bound.at_most.into_iter().map(|(c, a)| (at(c), a)).collect(),
    ))
}

/// The sum of a multi-valued table's codes as DP measures them, over the table's own cells:
/// `at_most` is `codes - any - per_several x several` (at most 0), `at_least` is
/// `any + several - codes` (at most 0). The two are one equality where `per_several` is 1.
/// Written once for the integers the repair keeps (`truncated_codes`) and for the fit
/// (`protect::consistency`).
pub struct CodeSum {
    pub at_most: Vec<(usize, f64)>,
    pub at_least: Vec<(usize, f64)>,
    pub per_several: f64,
    /// The cells of persons with any code and with several.
    pub any: usize,
    pub several: usize,
}

/// `CodeSum` of a multi-valued table with `max_codes` of 2 or more (m, capped at its codes):
/// each person with any code holds 1 to m of them. Not T21b's pairs, whose sums of hundreds
/// of noisy pairs would move T21a's few precise cells (see `org_counts`).
pub fn truncated_code_sum(t: &Table) -> Option<CodeSum> {
    let dim = t.dims.first()?;
    let d = dim.domain.len();
    let m = t
        .spec
        .max_codes
        .filter(|&m| t.multi && m >= 2 && dim.derive != Derive::Pairs)?;
    let (any, several) = (d + 1, d + 3);
    let per_several = (m.min(d) as f64 - 1.0).max(1.0);
    let mut at_most: Vec<(usize, f64)> = (0..d).map(|c| (c, 1.0)).collect();
    at_most.extend([(any, -1.0), (several, -per_several)]);
    let mut at_least: Vec<(usize, f64)> = (0..d).map(|c| (c, -1.0)).collect();
    at_least.extend([(any, 1.0), (several, 1.0)]);
    Some(CodeSum {
        at_most,
        at_least,
        per_several,
        any,
        several,
    })
}

/// Persons shared by two organisations are at most the persons each of them reported.
fn pair_relations(t: &Table, at: &impl Fn(usize) -> usize, out: &mut Vec<Constraint>) {
    let domain = &t.dims[0].domain;
    let index = |code: &str| domain.iter().position(|c| c.code == code);
    for (i, c) in domain.iter().enumerate() {
        let Some((a, b)) = c.code.split_once('|') else {
            continue;
        };
        if a == b {
            continue;
        }
        for own in [a, b] {
            if let Some(j) = index(&pair_code(own, own)) {
                out.push(Constraint::at_most_zero(vec![(at(i), 1.0), (at(j), -1.0)]));
            }
        }
    }
}
