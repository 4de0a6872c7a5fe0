//! All tables as one linear system for protection: every cell (inner cells and totals) and the
//! relations a reader knows hold between them, within a table, across declared links, and
//! between the totals of tables over the same population.

use safetally_dp::suppress::{Cell, Constraint, System};

use super::aggregate::link_parts;
use super::cells::TableCells;
use super::derive::Deriver;
use super::{Derive, Table, Tables, pair_code};
use crate::schema::Schema;

/// Where a system cell comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellRef {
    pub table: usize,
    pub cell: usize,
}

/// The system and, for each of its cells, the table cell it is.
pub fn build_system(schema: &Schema, tables: &Tables, cells: &[TableCells]) -> (System, Vec<CellRef>) {
    let mut offset = Vec::with_capacity(tables.tables.len());
    let mut sys = System::default();
    let mut refs = Vec::new();
    for (ti, (t, c)) in tables.tables.iter().zip(cells).enumerate() {
        offset.push(sys.cells.len());
        for (i, &v) in c.values.iter().enumerate() {
            sys.cells.push(Cell {
                value: v,
                margin: t.is_margin(i),
            });
            refs.push(CellRef { table: ti, cell: i });
        }
    }
    for (ti, t) in tables.tables.iter().enumerate() {
        let at = |i: usize| offset[ti] + i;
        if t.multi {
            multi_relations(t, &at, &mut sys.constraints);
        } else {
            margin_relations(t, &at, &mut sys.constraints);
        }
    }
    let deriver = Deriver::new(schema);
    for (ti, t) in tables.tables.iter().enumerate() {
        for l in &t.links {
            for (target, parts) in link_parts(tables, ti, l, &deriver) {
                let parts: Vec<usize> = parts.iter().map(|&p| offset[ti] + p).collect();
                sys.constraints
                    .push(Constraint::sum(offset[l.to] + target, &parts));
            }
        }
    }
    // Tables over the same population share their grand total.
    for (a, ta) in tables.tables.iter().enumerate() {
        if let Some((b, tb)) = tables.tables[..a]
            .iter()
            .enumerate()
            .find(|(_, tb)| tb.spec.population == ta.spec.population)
        {
            let ga = offset[a] + grand_total(ta);
            let gb = offset[b] + grand_total(tb);
            sys.constraints.push(Constraint::sum(ga, &[gb]));
        }
    }
    (sys, refs)
}

fn grand_total(t: &Table) -> usize {
    t.cell_index(&Default::default())
        .expect("every table has a grand total")
}

/// Every total equals the sum of the cells it totals, along each dimension.
fn margin_relations(t: &Table, at: &impl Fn(usize) -> usize, out: &mut Vec<Constraint>) {
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
fn multi_relations(t: &Table, at: &impl Fn(usize) -> usize, out: &mut Vec<Constraint>) {
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
