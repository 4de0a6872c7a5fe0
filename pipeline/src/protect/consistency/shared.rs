//! Numbers a DP release shows in more than one table: a population's total in every table over
//! it, a table's cell that is another's single cell (T07's sexual exploitation over all
//! genders is T04's), cells that count the same persons (T05's children, T11's directly
//! affected children). The fit holds each such number to one value; here it also gets one raw
//! estimate and one scale, so that it carries one interval wherever it is shown.

use std::collections::BTreeMap;

use super::nested_totals;
use crate::tables::aggregate::link_parts;
use crate::tables::derive::Deriver;
use crate::tables::{CellRef, Tables, counted_persons};

/// The sets of cells, two or more, that are one number.
pub fn same_numbers(tables: &Tables, deriver: &Deriver) -> Vec<Vec<CellRef>> {
    let mut offset = Vec::with_capacity(tables.tables.len());
    let mut n = 0;
    for t in &tables.tables {
        offset.push(n);
        n += t.n_cells();
    }
    let total = |ti: usize| offset[ti] + tables.tables[ti].grand_total();
    let mut sets = Sets::new(n);
    let groups = tables.population_groups();
    for g in &groups {
        for w in g.windows(2) {
            sets.join(total(w[0]), total(w[1]));
        }
    }
    for nested in nested_totals(tables, &groups) {
        if let [cell] = nested.cells[..] {
            sets.join(offset[nested.table] + cell, total(groups[nested.group][0]));
        }
    }
    for (ti, t) in tables.tables.iter().enumerate() {
        for l in &t.links {
            for (b, parts) in link_parts(tables, ti, l, deriver) {
                if let [p] = parts[..] {
                    sets.join(offset[ti] + p, offset[l.to] + b);
                }
            }
        }
    }
    // A multi-valued table of persons with an answer has nobody without one: its persons with
    // any code are its total (T21b's `_any` showed 1504 at scale 19.2 beside its total's 1504
    // at 4.0, an outside review of 0.31).
    for (ti, t) in tables.tables.iter().enumerate() {
        if t.empty_none().is_some() {
            sets.join(offset[ti] + t.index(&[t.dims[0].domain.len() + 1]), total(ti));
        }
    }
    let mut by_persons = BTreeMap::new();
    for (ti, t) in tables.tables.iter().enumerate() {
        for i in 0..t.n_cells() {
            if let Some(persons) = counted_persons(t, i) {
                let first = *by_persons.entry(persons).or_insert(offset[ti] + i);
                sets.join(first, offset[ti] + i);
            }
        }
    }
    let mut found: BTreeMap<usize, Vec<CellRef>> = BTreeMap::new();
    for (ti, t) in tables.tables.iter().enumerate() {
        for cell in 0..t.n_cells() {
            let root = sets.root(offset[ti] + cell);
            found.entry(root).or_default().push(CellRef { table: ti, cell });
        }
    }
    found.into_values().filter(|cells| cells.len() > 1).collect()
}

/// Each number's raw estimates combined by their precisions (the inverse-variance mean:
/// unbiased, its variance one over the sum of theirs), one estimate per table, its most
/// precise: tables are noised apart, while two cells of one table that are one number share
/// their noise (a multi-valued table's total and its persons with any code). Each
/// table's own sum alone gave T02's total, summed from some 200 countries' noise, an interval
/// of 0-220 beside T03's 46-132 for the same 103 persons, and T07's margins intervals up to
/// five times T04's for the same figure (outside reviews of 0.29 and 0.31).
/// A multi-valued table's code cells are left out of the mean (their values still take it):
/// DP measures each person's first `max_codes` codes, so theirs estimate fewer persons than
/// the others'.
pub(super) fn combine(tables: &Tables, same: &[Vec<CellRef>], raw: &mut [Vec<Option<(f64, f64)>>]) {
    let truncated = |r: &CellRef| {
        let t = &tables.tables[r.table];
        t.multi && r.cell < t.dims[0].domain.len()
    };
    for cells in same {
        let mut best: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
        for r in cells.iter().filter(|r| !truncated(r)) {
            if let Some((v, s)) = raw[r.table][r.cell].filter(|&(_, s)| s > 0.0) {
                let b = best.entry(r.table).or_insert((v, s));
                if s < b.1 {
                    *b = (v, s);
                }
            }
        }
        if best.is_empty() {
            continue;
        }
        let precision: f64 = best.values().map(|&(_, s)| 1.0 / (s * s)).sum();
        let mean = best.values().map(|&(v, s)| v / (s * s)).sum::<f64>() / precision;
        for r in cells {
            raw[r.table][r.cell] = Some((mean, precision.sqrt().recip()));
        }
    }
}

/// Each number's scale: the least its cells were given, and no more than its combined raw
/// estimate's. The published value is fitted to every measurement of it, so it is known at
/// least as well as that estimate; the least single table's scale overstated the total of all
/// persons's noise by 1.4 times (an outside review of 0.31: errors of 0.6 of the stated scale).
pub fn one_scale_per_number(same: &[Vec<CellRef>], raw: &[Vec<Option<(f64, f64)>>], scales: &mut [Vec<f64>]) {
    for cells in same {
        let least = cells
            .iter()
            .map(|r| scales[r.table][r.cell])
            .chain(cells.iter().filter_map(|r| raw[r.table][r.cell].map(|(_, s)| s)))
            .filter(|&s| s > 0.0)
            .fold(f64::INFINITY, f64::min);
        if least.is_finite() {
            for r in cells {
                scales[r.table][r.cell] = least;
            }
        }
    }
}

/// Disjoint sets of cells (union-find).
struct Sets {
    parent: Vec<usize>,
}

impl Sets {
    fn new(n: usize) -> Self {
        Sets {
            parent: (0..n).collect(),
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra] = rb;
        }
    }
}
