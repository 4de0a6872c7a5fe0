//! Relations between cells that group one column's codes in different ways (countries,
//! regions, origin groups): a reader who knows the code lists knows that T10's directly
//! affected persons born in Sweden are among T02's persons born in SE, and that T10's born in
//! Sweden or another EU country are together among T03's born in the EU region. An outside
//! review read hidden small counts of T09, T10 and T03 exactly through such relations while
//! the audit, which did not know them, passed the release.

use std::collections::BTreeSet;

use safetally_dp::suppress::Constraint;

use super::compile::NOT_ANSWERED;
use super::derive::Deriver;
use super::system::{Persons, counted_persons};
use super::{Derive, Table, Tables};

/// A line of a table along one dimension: its cells with the column codes each counts, and
/// the persons of the line (the dimension at its total).
struct Line {
    table: usize,
    column: String,
    derived: bool,
    persons: Persons,
    /// (system cell, the column's codes it counts).
    cells: Vec<(usize, BTreeSet<String>)>,
}

/// Adds, for every pair of lines over one column of which at least one groups its codes
/// (a region, an origin group) and whose persons nest, each narrow cell at most the wide
/// cells its codes fall in, and the narrow cells inside one wide cell together at most it.
/// Where one grouping refines the other (countries in regions, origin groups and regions)
/// these are every relation the two lines have.
pub(super) fn add(deriver: &Deriver, tables: &Tables, offset: &[usize], out: &mut Vec<Constraint>) {
    let columns: BTreeSet<&str> = tables
        .tables
        .iter()
        .flat_map(|t| &t.dims)
        .filter(|d| !d.multi && matches!(d.derive, Derive::Region | Derive::OriginGroup))
        .map(|d| d.column.as_str())
        .collect();
    let lines: Vec<Line> = tables
        .tables
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.multi)
        .flat_map(|(ti, t)| lines_of(deriver, t, ti, offset[ti], &columns))
        .collect();
    for narrow in &lines {
        for wide in &lines {
            let nests = narrow.table != wide.table
                && narrow.column == wide.column
                && (narrow.derived || wide.derived)
                && narrow.persons.within(&wide.persons)
                && !wide.persons.within(&narrow.persons);
            if nests {
                relate(narrow, wide, out);
            }
        }
    }
}

fn relate(narrow: &Line, wide: &Line, out: &mut Vec<Constraint>) {
    let covered: BTreeSet<&String> = wide.cells.iter().flat_map(|(_, s)| s).collect();
    for (n, codes) in &narrow.cells {
        // A cell with codes the wide line does not count holds persons outside it.
        if !codes.iter().all(|c| covered.contains(c)) {
            continue;
        }
        let cover: Vec<usize> = wide
            .cells
            .iter()
            .filter(|(_, s)| !s.is_disjoint(codes))
            .map(|(w, _)| *w)
            .collect();
        if cover.len() < wide.cells.len() {
            let mut terms = vec![(*n, 1.0)];
            terms.extend(cover.iter().map(|&w| (w, -1.0)));
            out.push(Constraint::at_most_zero(terms));
        }
    }
    for (w, codes) in &wide.cells {
        let inside: Vec<usize> = narrow
            .cells
            .iter()
            .filter(|(_, s)| !s.is_empty() && s.is_subset(codes))
            .map(|(n, _)| *n)
            .collect();
        if inside.len() >= 2 {
            let mut terms: Vec<(usize, f64)> = inside.iter().map(|&n| (n, 1.0)).collect();
            terms.push((*w, -1.0));
            out.push(Constraint::at_most_zero(terms));
        }
    }
}

/// Every line of table `t` along a single-valued dimension over one of `columns`, with the
/// other dimensions at their totals: a line of fewer persons (T09's persons of one form) is
/// bound through its table's margins by the total line, so its own relations add nothing.
fn lines_of(deriver: &Deriver, t: &Table, ti: usize, offset: usize, columns: &BTreeSet<&str>) -> Vec<Line> {
    let mut out = Vec::new();
    for (k, dim) in t.dims.iter().enumerate() {
        if dim.multi || !columns.contains(dim.column.as_str()) {
            continue;
        }
        let Some(sets) = code_sets(deriver, &dim.derive, dim.domain.iter().map(|c| c.code.as_str())) else {
            continue;
        };
        let totals: Vec<usize> = t.dims.iter().map(|d| d.domain.len()).collect();
        let Some(persons) = counted_persons(t, t.index(&totals)) else {
            continue;
        };
        let mut pos = totals;
        let cells = sets
            .iter()
            .enumerate()
            .map(|(p, s)| {
                pos[k] = p;
                (offset + t.index(&pos), s.clone())
            })
            .collect();
        out.push(Line {
            table: ti,
            column: dim.column.clone(),
            derived: dim.derive != Derive::Code,
            persons,
            cells,
        });
    }
    out
}

/// The column codes each code of a dimension counts: itself, or the countries of a region or
/// origin group. `unknown` and a blank count only themselves.
fn code_sets<'a>(
    deriver: &Deriver,
    derive: &Derive,
    domain: impl Iterator<Item = &'a str>,
) -> Option<Vec<BTreeSet<String>>> {
    let plain = |code: &str| BTreeSet::from([code.to_string()]);
    domain
        .map(|code| match derive {
            _ if code == NOT_ANSWERED || code == "unknown" => Some(plain(code)),
            Derive::Code => Some(plain(code)),
            Derive::Region | Derive::OriginGroup => Some(
                deriver
                    .countries()
                    .filter(|c| deriver.single(derive, c).as_deref() == Some(code))
                    .map(str::to_string)
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}
