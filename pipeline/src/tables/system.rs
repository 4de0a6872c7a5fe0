//! All tables as one linear system for protection: every cell (inner cells and totals) and the
//! relations a reader knows hold between them, within a table, across declared links, and
//! between the totals of tables over the same population.

use std::collections::{BTreeMap, BTreeSet};

use safetally_dp::suppress::{Cell, Constraint, Line, System};

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
        lines(t, &at, &mut sys.lines);
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
                // A linked total is a line's total like any other: when it is a small count,
                // zeros published among its parts (the countries of a region of 4 persons)
                // would tell which few of them hold those persons, each at least one.
                sys.lines.push(Line {
                    total: offset[l.to] + target,
                    cells: parts,
                });
            }
        }
    }
    // Tables over the same persons share their grand total.
    for g in tables.population_groups() {
        let first = offset[g[0]] + tables.tables[g[0]].grand_total();
        for &b in &g[1..] {
            let total = offset[b] + tables.tables[b].grand_total();
            sys.constraints.push(Constraint::sum(total, &[first]));
        }
    }
    same_persons_relations(tables, &offset, &mut sys.constraints);
    (sys, refs)
}

/// Cells of different tables that count the same persons are equal, and a reader knows it:
/// T01's `direct` is the total of every table about directly affected persons, T05's `child`
/// is T11's `direct`. Without these relations a hidden small count could be worked out from
/// published totals (T01 indirect = T01 total - T04 total) while the audit said it could not.
fn same_persons_relations(tables: &Tables, offset: &[usize], out: &mut Vec<Constraint>) {
    let mut groups: BTreeMap<BTreeSet<String>, Vec<(usize, usize)>> = BTreeMap::new();
    for (ti, t) in tables.tables.iter().enumerate() {
        for i in 0..t.n_cells() {
            if let Some(persons) = counted_persons(t, i) {
                groups.entry(persons).or_default().push((ti, offset[ti] + i));
            }
        }
    }
    for cells in groups.values() {
        let Some(&(first_table, first)) = cells.first() else {
            continue;
        };
        for &(ti, cell) in &cells[1..] {
            if ti != first_table {
                out.push(Constraint::sum(first, &[cell]));
            }
        }
    }
}

/// The persons a cell counts, as its table's population conditions plus one `in` condition per
/// dimension fixed to a code, when that can be said plainly: None for derived groups (regions,
/// "several"), multi-valued codes and the any/none/several cells of multi-valued tables.
fn counted_persons(t: &Table, i: usize) -> Option<BTreeSet<String>> {
    let mut ins: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut other = BTreeSet::new();
    for c in &t.spec.population.conditions {
        match (&c.in_codes, &c.contains) {
            (Some(codes), _) => {
                ins.insert(c.column.as_str(), codes.iter().map(String::as_str).collect());
            }
            (None, Some(code)) => {
                other.insert(format!("{} contains {code}", c.column));
            }
            (None, None) if c.known => {
                other.insert(format!("{} known", c.column));
            }
            (None, None) => {
                other.insert(format!("{} answered", c.column));
            }
        }
    }
    for (k, &p) in t.positions(i).iter().enumerate() {
        let d = &t.dims[k];
        if p == d.domain.len() {
            continue;
        }
        if p > d.domain.len() || d.multi || d.derive != Derive::Code {
            return None;
        }
        let code = d.domain[p].code.as_str();
        match ins.get_mut(d.column.as_str()) {
            // Within a population limited to some codes, a cell of one of them.
            Some(codes) if codes.contains(&code) => *codes = vec![code],
            Some(_) => return None,
            None => {
                ins.insert(d.column.as_str(), vec![code]);
            }
        }
    }
    for (column, codes) in &ins {
        // One of some codes is answered, and known unless `unknown` is among them.
        other.remove(&format!("{column} answered"));
        if !codes.contains(&"unknown") {
            other.remove(&format!("{column} known"));
        }
        let mut codes = codes.clone();
        codes.sort_unstable();
        other.insert(format!("{column} in {}", codes.join("|")));
    }
    Some(other)
}

/// Every total of a table with the cells of its line: those that agree with it on each
/// dimension it does not total. (The any / none / several cells of a multi-valued table are
/// counts of their own, not totals of a line.)
fn lines(t: &Table, at: &impl Fn(usize) -> usize, out: &mut Vec<Line>) {
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
