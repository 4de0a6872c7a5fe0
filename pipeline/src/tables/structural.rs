//! Cells the contract makes zero: persons who hold a code of a column answered only after
//! another column's answer (an exploitation form needs a direct contact, an offence a police
//! report) without that answer, and persons without an answer in a table of persons with one.
//! Every reader of the contract knows them, so hiding one protects nothing; an outside review
//! found T11's indirect children by form hidden as complements the audit counted on.

use safetally_dp::suppress::Constraint;

use super::Tables;
use super::compile::NOT_ANSWERED;
use super::derive::Deriver;
use super::system::{Persons, counted_persons};

/// Pins every such cell to zero (a relation of one cell: a constant, which protection never
/// hides as a zero nor counts on as a partner), and every cell of fewer persons: a cell
/// whose persons cannot be said plainly (T11's exploited in Sweden) is zero when the cell
/// with some of its dimensions at their totals is.
pub(super) fn add(deriver: &Deriver, tables: &Tables, offset: &[usize], out: &mut Vec<Constraint>) {
    for (ti, t) in tables.tables.iter().enumerate() {
        let dims = t.dims.len();
        for i in 0..t.n_cells() {
            let pos = t.positions(i);
            let zero = (0..1usize << dims).any(|totals| {
                let mut wider = pos.clone();
                for (k, p) in wider.iter_mut().enumerate() {
                    if totals >> k & 1 == 1 {
                        // A multi-valued table's any / none / several cells are no totals.
                        if *p > t.dims[k].domain.len() {
                            return false;
                        }
                        *p = t.dims[k].domain.len();
                    }
                }
                counted_persons(t, t.index(&wider)).is_some_and(|p| impossible(deriver, &p))
            });
            if zero {
                out.push(Constraint::sum(offset[ti] + i, &[]));
            }
        }
        if let Some(none) = t.empty_none() {
            out.push(Constraint::sum(offset[ti] + none, &[]));
        }
    }
}

/// Whether the persons hold an answer of a funnel's column while its condition column holds
/// only codes outside the funnel's (or no answer).
pub(super) fn impossible(deriver: &Deriver, p: &Persons) -> bool {
    deriver.only_when.iter().any(|o| {
        let answered = p.holds_code(&o.column);
        let outside = p
            .codes_in(&o.when)
            .is_some_and(|codes| codes.iter().all(|c| c == NOT_ANSWERED || !o.codes.contains(c)));
        answered && outside
    })
}
