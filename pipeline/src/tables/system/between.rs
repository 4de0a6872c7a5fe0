//! Upper bounds between nested populations: a wider cell is at most the narrower cell inside it
//! plus any published cell that holds every person between the two. T02's persons born in a
//! country are T10's directly affected persons born there plus indirectly affected ones, so at
//! most T10's count plus T01's indirectly affected; a reader who knows it may narrow a hidden
//! count of either table, so the audit must know it too.

use std::collections::{BTreeMap, BTreeSet};

use safetally_dp::suppress::Constraint;

use super::persons::{Nesting, Persons};
use crate::tables::{Derive, NOT_ANSWERED, Tables};

/// For each pair of nested cells (`persons::Nesting`) whose populations differ only in
/// the codes of one single-valued column, `wide - narrow - between <= 0` for the narrowest
/// published cells `between` that hold every person of `wide` outside `narrow`.
pub(super) fn between_relations(tables: &Tables, nesting: &Nesting, out: &mut Vec<Constraint>) {
    for (wide, narrow, between) in between_triples(tables, nesting) {
        out.push(Constraint::at_most_zero(vec![
            (wide, 1.0),
            (narrow, -1.0),
            (between, -1.0),
        ]));
    }
}

/// (wide, narrow, between) system cells of the relations above.
pub(super) fn between_triples(tables: &Tables, nesting: &Nesting) -> Vec<(usize, usize, usize)> {
    let classes = &nesting.classes;
    let domains = domains(tables);
    let mut out = Vec::new();
    for &(narrow, wide) in &nesting.pairs {
        let (pn, pw) = (&classes[narrow].0, &classes[wide].0);
        let Some(rest) = difference(pn, pw, &domains) else {
            continue;
        };
        let holding: Vec<usize> = (0..classes.len())
            .filter(|&q| q != wide && rest.within(&classes[q].0))
            .collect();
        // The narrowest only: a wider cell's bound follows from a narrower one's.
        for &q in &holding {
            let wider_than_another = holding.iter().any(|&r| {
                r != q && classes[r].0.within(&classes[q].0) && !classes[q].0.within(&classes[r].0)
            });
            if !wider_than_another {
                out.push((classes[wide].2, classes[narrow].2, classes[q].2));
            }
        }
    }
    out
}

/// The persons of `wide` outside `narrow`, when the two differ only in the codes they allow in
/// one column (the narrower allowing fewer): `wide`'s conditions with that column's codes
/// those `wide` allows and `narrow` does not.
fn difference(
    narrow: &Persons,
    wide: &Persons,
    domains: &BTreeMap<String, BTreeSet<String>>,
) -> Option<Persons> {
    let column = narrow.sole_code_difference(wide)?;
    // The wider cell's codes: its `in` list, or else every code the column can hold.
    let wide_codes = match wide.codes_in(&column) {
        Some(codes) => codes.clone(),
        None => domains.get(&column)?.clone(),
    };
    let allowed = counted(wide, &column, wide_codes);
    // No table has `in` and `known` on one column today; were `unknown` in such a narrower
    // cell's list, its persons with `unknown` would be in neither term without this.
    let narrow_codes = counted(narrow, &column, narrow.codes_in(&column)?.clone());
    let rest: BTreeSet<String> = allowed.difference(&narrow_codes).cloned().collect();
    if rest.is_empty() {
        return None;
    }
    Some(wide.with_codes(&column, rest))
}

/// The codes of `column` a cell really counts: `codes` less what a `known` or `answered`
/// condition on the column rules out.
fn counted(p: &Persons, column: &str, mut codes: BTreeSet<String>) -> BTreeSet<String> {
    if p.requires_known(column) {
        codes.remove("unknown");
    }
    if p.requires_known(column) || p.requires_answer(column) {
        codes.remove(NOT_ANSWERED);
    }
    codes
}

/// Every answer a person can hold in each single-valued coded column, blanks as `not_answered`
/// where the column may be blank: the domain of a dimension on the column in a table whose
/// population puts no condition on it (the full code list, see `compile`). Columns no such
/// table shows get no bound, as their blanks are not known.
fn domains(tables: &Tables) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for t in &tables.tables {
        for d in &t.dims {
            let free = !t.spec.population.conditions.iter().any(|c| c.column == d.column);
            if free && d.derive == Derive::Code && !d.multi {
                out.entry(d.column.clone())
                    .or_insert_with(|| d.domain.iter().map(|c| c.code.clone()).collect());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::system::ReportSystem;

    /// On the report's own tables: T02's persons with a known country of birth are at most
    /// T10's directly affected ones plus T01's indirectly affected, and T18's persons with a
    /// police report at most T17's directly affected ones with one plus the same; nothing is
    /// bound by a cell that does not hold the persons between (T11's indirect children hold
    /// only children), and every bound is in the system protection audits.
    #[test]
    fn a_wider_cell_is_bound_by_the_narrower_plus_the_persons_between() {
        let r = ReportSystem::new();
        let (tables, sys) = (&r.tables, &r.sys);
        let at = |id: &str, cell: &[(&str, &str)]| r.at(id, cell);
        let triples = between_triples(tables, &Nesting::new(tables, &r.offsets()));
        let indirect = at("T01", &[("contact_kind", "indirect")]);
        let expected = [
            (at("T02", &[]), at("T10", &[]), indirect),
            (at("T18", &[]), at("T17", &[("police_report", "yes")]), indirect),
        ];
        for t in expected {
            assert!(triples.contains(&t), "{t:?} among {triples:?}");
            let (wide, narrow, between) = t;
            assert!(
                sys.constraints
                    .iter()
                    .any(|c| c.relation == safetally_dp::suppress::Relation::Le
                        && c.terms == [(wide, 1.0), (narrow, -1.0), (between, -1.0)]),
                "{t:?} in the audited system"
            );
        }
        let t11_indirect = at("T11", &[("contact_kind", "indirect")]);
        assert!(
            !triples
                .iter()
                .any(|&(w, _, b)| b == t11_indirect && w == at("T02", &[])),
            "T11's indirect children do not hold all indirectly affected persons"
        );
    }
}
