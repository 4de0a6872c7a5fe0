//! Lines beyond a table's own totals: cells whose zeros, published beside a hidden small
//! count, would tell what its few persons answered or are not. Protection hides every cell of
//! a small count's line, zeros included (`safetally_dp::suppress::primary`), and its audit
//! reads them as possibly zero.

use safetally_dp::suppress::{Line, System};

use super::system::{Persons, count_groups, counted_persons, counts_and_pairs};
use super::{Derive, Table, Tables};

/// Every kind of line this module knows, added to the system's.
pub(super) fn add(tables: &Tables, offset: &[usize], sys: &mut System) {
    across_tables(tables, offset, sys);
    for (ti, t) in tables.tables.iter().enumerate() {
        if t.multi && t.dims.len() == 1 {
            any_answer(t, offset[ti], sys);
            if t.dims[0].derive == Derive::Pairs {
                own_organisation(t, offset[ti], sys);
            }
        }
    }
    several_organisations(tables, offset, sys);
}

/// A cell heads a line of the zero cells of other tables whose persons are among its own.
/// When the cell is a small count, those zeros would tell what its few persons are not (a
/// release of one person hid T01's total but showed T05's children and T17-T20 as zeros: the
/// person is an adult, without a police report). Nonzero cells need no line: being at most
/// the small count, they are hidden already.
fn across_tables(tables: &Tables, offset: &[usize], sys: &mut System) {
    let mut wide: Vec<(usize, Persons)> = Vec::new();
    let mut zeros: Vec<(usize, Persons)> = Vec::new();
    for (ti, t) in tables.tables.iter().enumerate() {
        for i in 0..t.n_cells() {
            let cell = offset[ti] + i;
            if sys.cells[cell].value > 0 {
                wide.extend(counted_persons(t, i).map(|p| (cell, p)));
            } else if let Some(p) = described_around(t, i) {
                zeros.push((cell, p));
            }
        }
    }
    for (total, persons) in &wide {
        let cells: Vec<usize> = zeros
            .iter()
            .filter(|(_, narrow)| narrow.within(persons))
            .map(|(cell, _)| *cell)
            .collect();
        if !cells.is_empty() {
            sys.lines.push(Line { total: *total, cells });
        }
    }
}

/// The persons of a cell, or of the narrowest cell of its table around it that can be said
/// plainly: a derived dimension (T09's origin group, T11's "exploited in Sweden") taken at its
/// total. Any cell that holds those persons holds the cell's (T04's one person in forced
/// criminality holds T09's criminality from the EU, a zero that would say where that person
/// was not born).
fn described_around(t: &Table, i: usize) -> Option<Persons> {
    let pos = t.positions(i);
    let k = pos.len();
    // Masks of dimensions taken at their total, fewest first.
    let mut masks: Vec<u32> = (0..1u32 << k).collect();
    masks.sort_by_key(|m| m.count_ones());
    masks.into_iter().find_map(|mask| {
        let at: Vec<usize> = (0..k)
            .map(|d| {
                if mask & (1 << d) != 0 {
                    t.dims[d].domain.len()
                } else {
                    pos[d]
                }
            })
            .collect();
        counted_persons(t, t.index(&at))
    })
}

/// A table of several answers per person: its persons with any answer head a line of its
/// answers and its "two or more". When few have any (one of eleven persons with a police
/// report named an offence), zeros for every other answer would say which that was.
fn any_answer(t: &Table, at: usize, sys: &mut System) {
    let d = t.dims[0].domain.len();
    let mut cells: Vec<usize> = (0..d).map(|c| at + c).collect();
    cells.push(at + d + 3);
    sys.lines.push(Line {
        total: at + d + 1,
        cells,
    });
}

/// Persons by pair of organisations (T21b): an organisation's own persons head a line of its
/// pairs with the others. When it reported few, zeros would say which others did not.
fn own_organisation(t: &Table, at: usize, sys: &mut System) {
    let domain = &t.dims[0].domain;
    for (i, c) in domain.iter().enumerate() {
        let Some((a, b)) = c.code.split_once('|') else {
            continue;
        };
        if a != b {
            continue;
        }
        let cells: Vec<usize> = domain
            .iter()
            .enumerate()
            .filter(|(j, other)| *j != i && other.code.split_once('|').is_some_and(|(x, y)| x == a || y == a))
            .map(|(j, _)| at + j)
            .collect();
        sys.lines.push(Line { total: at + i, cells });
    }
}

/// Persons reported by several organisations (T21b's `_several`) head a line of the pairs of
/// two organisations and of T21a's groups of two and more: with two such persons, zeros
/// everywhere but one pair, and for "3+", said which two organisations reported both.
fn several_organisations(tables: &Tables, offset: &[usize], sys: &mut System) {
    for (ta, tb) in counts_and_pairs(tables) {
        let (a, b) = (&tables.tables[ta], &tables.tables[tb]);
        if !b.multi {
            continue;
        }
        let d = b.dims[0].domain.len();
        let mut cells: Vec<usize> = b.dims[0]
            .domain
            .iter()
            .enumerate()
            .filter(|(_, c)| c.code.split_once('|').is_some_and(|(x, y)| x != y))
            .map(|(j, _)| offset[tb] + j)
            .collect();
        cells.extend(
            count_groups(a, offset[ta])
                .into_iter()
                .filter(|&(_, low)| low >= 2)
                .map(|(cell, _)| cell),
        );
        sys.lines.push(Line {
            total: offset[tb] + d + 3,
            cells,
        });
    }
}
