//! The persons a cell counts, said plainly as conditions, and the relations that follow
//! between cells of different tables counting the same or nested persons: a reader subtracts
//! published counts across tables, so protection must know these.

use std::collections::{BTreeMap, BTreeSet};

use safetally_dp::suppress::Constraint;

use crate::tables::{Derive, NOT_ANSWERED, Table, Tables};

/// A cell that counts some of the persons another table's cell counts is at most that cell,
/// and a reader knows it: T17's directly affected persons with a police report are among
/// T18's persons with one, T10's directly affected persons with a known country of birth among
/// T02's persons with one. Without these relations a hidden count could be narrowed by a
/// published count of a narrower population while the audit said it could not. Only cells
/// whose persons `counted_persons` can say plainly are bound (not T10's origin groups, which
/// are derived). Each cell is bound by the narrowest cells around it only; wider ones follow
/// through those (within a table, through its margins).
pub(super) fn nested_persons_relations(nesting: &Nesting, out: &mut Vec<Constraint>) {
    for (narrow, wide) in nesting.cell_pairs() {
        out.push(Constraint::at_most_zero(vec![(narrow, 1.0), (wide, -1.0)]));
    }
}

/// The cells of every table grouped by the persons they count, and which of those groups lie
/// nearest inside which: made once per system, as the bounds between nested cells, the bounds
/// between them and the differences protection adds all read it.
pub(super) struct Nesting {
    /// One cell per distinct set of persons (cells that count the same persons are equal, see
    /// `same_persons_relations`): its persons, its table and its system cell.
    pub classes: Vec<(Persons, usize, usize)>,
    /// Pairs (narrow, wide) of `classes` of different tables where the narrow class's persons
    /// are among the wide one's, the nearest wider class only.
    pub pairs: Vec<(usize, usize)>,
}

impl Nesting {
    pub fn new(tables: &Tables, offset: &[usize]) -> Self {
        let classes = person_classes(tables, offset);
        let pairs = nested_pairs_of(&classes);
        Nesting { classes, pairs }
    }

    /// `pairs` as (narrow, wide) system cells.
    pub fn cell_pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.pairs
            .iter()
            .map(|&(a, b)| (self.classes[a].2, self.classes[b].2))
    }
}

fn person_classes(tables: &Tables, offset: &[usize]) -> Vec<(Persons, usize, usize)> {
    let mut seen: BTreeSet<Persons> = BTreeSet::new();
    let mut classes: Vec<(Persons, usize, usize)> = Vec::new();
    for (ti, t) in tables.tables.iter().enumerate() {
        for i in 0..t.n_cells() {
            if let Some(persons) = counted_persons(t, i)
                && seen.insert(persons.clone())
            {
                classes.push((persons, ti, offset[ti] + i));
            }
        }
    }
    classes
}

fn nested_pairs_of(classes: &[(Persons, usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (a, (pa, ta, _)) in classes.iter().enumerate() {
        let wider: Vec<usize> = (0..classes.len())
            .filter(|&b| b != a && pa.within(&classes[b].0))
            .collect();
        for &b in &wider {
            let (pb, tb, _) = &classes[b];
            let between = wider
                .iter()
                .any(|&c| c != b && classes[c].0.within(pb) && !pb.within(&classes[c].0));
            // Within one table, the table's own relations already bound the cell.
            if !between && tb != ta {
                out.push((a, b));
            }
        }
    }
    out
}

/// The persons a cell counts, as conditions by kind (see `counted_persons`): cells with equal
/// conditions count the same persons.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Persons {
    /// Column -> the codes one of which it holds.
    ins: BTreeMap<String, BTreeSet<String>>,
    /// Columns with a known answer (not `unknown`), and columns with an answer, when no
    /// stronger condition on the column says so already.
    known: BTreeSet<String>,
    answered: BTreeSet<String>,
    /// (column, code) of multi-valued columns that hold the code.
    contains: BTreeSet<(String, String)>,
    /// (column, code) of multi-valued columns that hold that code and no other (a "two or
    /// more" dimension's single codes: T09's persons exploited in one form).
    only: BTreeSet<(String, String)>,
    /// Multi-valued columns that hold two codes or more (a "two or more" dimension's cell).
    several: BTreeSet<String>,
    /// Multi-valued columns that hold no code at all (a form row `not_answered`: T09's are
    /// among T04's, which an outside review used to narrow T09's hidden blank).
    blank: BTreeSet<String>,
}

impl Persons {
    /// Whether every person holds a code (not a blank) in `column`.
    pub(crate) fn holds_code(&self, column: &str) -> bool {
        let held = self
            .contains
            .iter()
            .chain(&self.only)
            .any(|(c, code)| c == column && code != NOT_ANSWERED);
        let coded = self
            .ins
            .get(column)
            .is_some_and(|codes| !codes.is_empty() && !codes.contains(NOT_ANSWERED));
        held || coded || self.several.contains(column)
    }

    /// The codes one of which every person holds in `column`, when the conditions say so.
    pub(crate) fn codes_in(&self, column: &str) -> Option<&BTreeSet<String>> {
        self.ins.get(column)
    }

    /// The one column these persons are narrower than `wide`'s in, when that is all that
    /// differs: these hold one of some codes there (`in`), `wide`'s hold one of more codes, or
    /// only a known answer or an answer, or nothing; every other condition is the same.
    pub(crate) fn sole_code_difference(&self, wide: &Persons) -> Option<String> {
        let mut columns = self.ins.keys().filter(|c| wide.ins.get(*c) != self.ins.get(*c));
        let column = columns.next()?.clone();
        if columns.next().is_some() {
            return None;
        }
        let without = |p: &Persons| {
            let mut p = p.clone();
            p.ins.remove(&column);
            p.known.remove(&column);
            p.answered.remove(&column);
            p
        };
        (without(self) == without(wide)).then_some(column)
    }

    /// Whether every person holds a known answer (not blank, not `unknown`) in `column` by
    /// the `known` condition.
    pub(crate) fn requires_known(&self, column: &str) -> bool {
        self.known.contains(column)
    }

    /// Whether every person holds an answer (not blank) in `column` by the `answered` one.
    pub(crate) fn requires_answer(&self, column: &str) -> bool {
        self.answered.contains(column)
    }

    /// These persons with `column` holding one of `codes` in place of its other conditions.
    pub(crate) fn with_codes(&self, column: &str, codes: BTreeSet<String>) -> Persons {
        let mut p = self.clone();
        p.known.remove(column);
        p.answered.remove(column);
        p.ins.insert(column.to_string(), codes);
        p
    }

    /// Whether every person these conditions hold for is one of `wider`'s: each of its
    /// conditions holds here too, as it is or implied (a code other than `unknown` is a known
    /// answer, a known answer an answer).
    pub(crate) fn within(&self, wider: &Persons) -> bool {
        // The codes a column surely holds one of here (`in`), or holds (`contains`, `only`).
        let held = |column: &str| -> Vec<&str> {
            self.contains
                .iter()
                .chain(&self.only)
                .filter(|(c, _)| c == column)
                .map(|(_, code)| code.as_str())
                .collect()
        };
        let coded = |column: &str, excluded: &[&str]| {
            self.ins
                .get(column)
                .is_some_and(|codes| !codes.iter().any(|c| excluded.contains(&c.as_str())))
                || held(column).iter().any(|c| !excluded.contains(c))
        };
        wider.ins.iter().all(|(column, codes)| {
            self.ins.get(column).is_some_and(|mine| mine.is_subset(codes))
                || held(column).iter().any(|c| codes.contains(*c))
        }) && wider.only.is_subset(&self.only)
            && wider.several.is_subset(&self.several)
            && wider.blank.is_subset(&self.blank)
            && wider
                .contains
                .iter()
                .all(|c| self.contains.contains(c) || self.only.contains(c))
            && wider
                .known
                .iter()
                .all(|c| self.known.contains(c) || coded(c, &["unknown", NOT_ANSWERED]))
            && wider.answered.iter().all(|c| {
                self.answered.contains(c)
                    || self.known.contains(c)
                    || self.several.contains(c)
                    || coded(c, &[NOT_ANSWERED])
            })
    }
}

/// Cells of different tables that count the same persons are equal, and a reader knows it:
/// T01's `direct` is the total of every table about directly affected persons, T05's `child`
/// is T11's `direct`. Without these relations a hidden small count could be worked out from
/// published totals (T01 indirect = T01 total - T04 total) while the audit said it could not.
pub(super) fn same_persons_relations(tables: &Tables, offset: &[usize], out: &mut Vec<Constraint>) {
    let mut groups: BTreeMap<Persons, Vec<(usize, usize)>> = BTreeMap::new();
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
pub(crate) fn counted_persons(t: &Table, i: usize) -> Option<Persons> {
    let mut ins: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut p = Persons::default();
    for c in &t.spec.population.conditions {
        let column = c.column.clone();
        match (&c.in_codes, &c.contains) {
            // Two `in` conditions on one column (both codes of a multi-valued one, or the
            // codes the two lists share) are not said plainly here.
            (Some(codes), _) => {
                if ins
                    .insert(c.column.as_str(), codes.iter().map(String::as_str).collect())
                    .is_some()
                {
                    return None;
                }
            }
            (None, Some(code)) => {
                p.contains.insert((column, code.clone()));
            }
            (None, None) if c.known => {
                p.known.insert(column);
            }
            (None, None) => {
                p.answered.insert(column);
            }
        }
    }
    // A known answer is an answer: one description for the same persons, or two would each
    // seem to lie between the other and every wider cell (see `nested_persons_relations`).
    p.answered.retain(|c| !p.known.contains(c));
    for (k, &pos) in t.positions(i).iter().enumerate() {
        let d = &t.dims[k];
        if pos == d.domain.len() {
            continue;
        }
        if pos > d.domain.len() {
            return None;
        }
        let code = d.domain[pos].code.as_str();
        // A multi-valued column's code counts the persons that hold it; a "two or more"
        // dimension's single code those that hold it alone, and its blank those that hold
        // none. Other derivations are not said plainly.
        let column = (d.column.clone(), code.to_string());
        let multi_valued = matches!(d.derive, Derive::SeveralAs(_)) || (d.derive == Derive::Code && d.multi);
        match &d.derive {
            _ if code == NOT_ANSWERED && multi_valued => {
                p.blank.insert(column.0);
                continue;
            }
            _ if code == NOT_ANSWERED && d.derive != Derive::Code => return None,
            Derive::Code if d.multi => {
                p.contains.insert(column);
                continue;
            }
            Derive::SeveralAs(several) if code != several => {
                p.only.insert(column);
                continue;
            }
            Derive::SeveralAs(_) => {
                p.several.insert(column.0);
                continue;
            }
            // "Exploited in Sweden: yes" counts those whose countries hold SE, as T08's SE
            // does (the other answers are not said plainly).
            Derive::Contains(held) if code == "yes" => {
                p.contains.insert((column.0, held.clone()));
                continue;
            }
            Derive::Code => {}
            _ => return None,
        }
        match ins.get_mut(d.column.as_str()) {
            // Within a population limited to some codes, a cell of one of them.
            Some(codes) if codes.contains(&code) => *codes = vec![code],
            Some(_) => return None,
            None => {
                ins.insert(d.column.as_str(), vec![code]);
            }
        }
    }
    for (column, codes) in ins {
        // One of some codes is answered, and known unless `unknown` is among them.
        p.answered.remove(column);
        if !codes.contains(&"unknown") {
            p.known.remove(column);
        }
        p.ins
            .insert(column.to_string(), codes.into_iter().map(String::from).collect());
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::super::ReportSystem;
    use safetally_dp::suppress::Relation;

    /// The bounds between nested populations, on the report's own tables: T17's directly
    /// affected persons with a police report are among T18's persons with one, and T19's
    /// persons with a report and a known legal stage too; nothing binds the other way, and a
    /// cell is bound by the narrowest cells around it only (T19 within T18, not T01 too).
    #[test]
    fn a_narrower_populations_cells_are_bound_by_the_wider_ones() {
        let r = ReportSystem::new();
        let sys = &r.sys;
        let at = |id: &str, cell: &[(&str, &str)]| r.at(id, cell);
        let bound = |narrow: usize, wide: usize| {
            sys.constraints
                .iter()
                .any(|c| c.relation == Relation::Le && c.terms == [(narrow, 1.0), (wide, -1.0)])
        };
        let (t17_yes, t18, t19, t01) = (
            at("T17", &[("police_report", "yes")]),
            at("T18", &[]),
            at("T19", &[]),
            at("T01", &[]),
        );
        assert!(bound(t17_yes, t18), "T17 yes within T18");
        assert!(bound(t19, t18), "T19 within T18");
        assert!(!bound(t18, t17_yes) && !bound(t18, t19), "not the other way");
        assert!(!bound(t19, t01), "T01 follows through T18");
        assert!(bound(t18, t01), "T18 within all persons");
        assert!(bound(at("T10", &[]), at("T02", &[])), "T10 within T02");
        // T09's persons exploited in one form only, in Sweden, are among T04's persons with
        // that form (an outside review read two of T04's hidden cells through T09's total).
        let t09 = at("T09", &[("form", "forced_marriage")]);
        let t04 = at("T04", &[("form", "forced_marriage")]);
        assert!(
            bound(t09, t04),
            "T09 forced marriage alone within T04 forced marriage"
        );
        assert!(!bound(t04, t09), "not the other way");
        assert!(
            !bound(at("T09", &[("form", "multiple")]), t04),
            "several forms are not one"
        );
        assert!(bound(
            at("T09", &[("form", "multiple")]),
            at("T04", &[("form", "multiple")])
        ));
        // Persons with no form and with only `unknown`, in Sweden, are among T04's (an
        // outside review of 0.29 narrowed T09's hidden blank, shown 0-12, to 0-6 by T04's 6).
        for code in ["not_answered", "unknown"] {
            let (t09, t04) = (at("T09", &[("form", code)]), at("T04", &[("form", code)]));
            assert!(bound(t09, t04), "T09 {code} within T04 {code}");
            assert!(!bound(t04, t09), "not the other way");
            assert!(
                !bound(t09, at("T04", &[("form", "forced_marriage")])),
                "no form is not a form"
            );
        }
    }
}
