//! All tables as one linear system for protection: every cell (inner cells and totals) and the
//! relations a reader knows hold between them, within a table, across declared links, and
//! between the totals of tables over the same population.

use std::collections::{BTreeMap, BTreeSet};

use safetally_dp::suppress::{Cell, Constraint, Line, System};

use super::aggregate::link_parts;
use super::cells::TableCells;
use super::compile::NOT_ANSWERED;
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
    build_system_with(&Deriver::new(schema), tables, cells)
}

/// `build_system` with the schema's deriver at hand.
pub fn build_system_with(deriver: &Deriver, tables: &Tables, cells: &[TableCells]) -> (System, Vec<CellRef>) {
    let (mut sys, refs, offset) = build_without_org_counts(deriver, tables, cells);
    org_count_relations(tables, &offset, &mut sys.constraints);
    super::regroupings::add(deriver, tables, &offset, &mut sys.constraints);
    super::structural::add(deriver, tables, &offset, &mut sys.constraints);
    (sys, refs)
}

/// The system without the bounds between persons by number of organisations (T21a) and the
/// organisation pairs (T21b): what DP post-processing enforces. Those bounds tie T21a's few
/// precise cells to the sums of hundreds of T21b's noisy ones (a "3+" person allows up to 435
/// pairs), so enforcing them moved T21a by T21b's noise: its mean error on the bundled sample
/// rose from about 3 to 7.
pub fn build_system_for_dp(
    deriver: &Deriver,
    tables: &Tables,
    cells: &[TableCells],
) -> (System, Vec<CellRef>) {
    let (mut sys, refs, offset) = build_without_org_counts(deriver, tables, cells);
    // The contract's zeros hold in the published integers too: noise would print persons the
    // contract rules out (T11's indirect children by exploitation form).
    super::structural::add(deriver, tables, &offset, &mut sys.constraints);
    (sys, refs)
}

fn build_without_org_counts(
    deriver: &Deriver,
    tables: &Tables,
    cells: &[TableCells],
) -> (System, Vec<CellRef>, Vec<usize>) {
    let mut offset = Vec::with_capacity(tables.tables.len());
    let mut sys = System::default();
    let mut refs = Vec::new();
    for (ti, (t, c)) in tables.tables.iter().zip(cells).enumerate() {
        offset.push(sys.cells.len());
        for (i, &v) in c.values.iter().enumerate() {
            sys.cells.push(Cell {
                value: v,
                margin: t.is_margin(i),
                unpublished: false,
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
    for (ti, t) in tables.tables.iter().enumerate() {
        for l in &t.links {
            for (target, parts) in link_parts(tables, ti, l, deriver) {
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
    nested_persons_relations(tables, &offset, &mut sys.constraints);
    org_count_margins(tables, &offset, &mut sys.constraints);
    super::small_lines::add(tables, &offset, &mut sys);
    (sys, refs, offset)
}

/// The relations between cells of different tables that count nested or the same persons
/// (see `same_persons_relations`, `nested_persons_relations`), over every cell of every table
/// in order: what DP post-processing fits beside the tables' own sums.
pub fn person_relations(tables: &Tables) -> (Vec<CellRef>, Vec<Constraint>) {
    let mut offset = Vec::with_capacity(tables.tables.len());
    let mut refs = Vec::new();
    for (ti, t) in tables.tables.iter().enumerate() {
        offset.push(refs.len());
        refs.extend((0..t.n_cells()).map(|cell| CellRef { table: ti, cell }));
    }
    let mut out = Vec::new();
    same_persons_relations(tables, &offset, &mut out);
    nested_persons_relations(tables, &offset, &mut out);
    org_count_margins(tables, &offset, &mut out);
    (refs, out)
}

/// Persons by number of organisations (T21a) and persons by pair of organisations (T21b)
/// over the same persons are bound, and a reader knows it: a person reported by k
/// organisations counts in k diagonal cells (one per organisation) and k(k-1)/2 pairs. So
/// the diagonal sums to between sum(low_g x n_g) and sum(high_g x n_g) over the groups g,
/// the pairs likewise with k(k-1)/2; an open group ("3+") reaches up to every organisation.
/// (An outside review read T21a's hidden "2" and "3+" exactly from T21b's diagonal.)
fn org_count_relations(tables: &Tables, offset: &[usize], out: &mut Vec<Constraint>) {
    for (ta, tb) in counts_and_pairs(tables) {
        let (a, b) = (&tables.tables[ta], &tables.tables[tb]);
        let pairs = &b.dims[0].domain;
        let diagonal = |code: &str| code.split_once('|').is_some_and(|(x, y)| x == y);
        let orgs = pairs.iter().filter(|c| diagonal(&c.code)).count() as f64;
        let groups: Vec<(usize, f64, f64)> = a.dims[0]
            .domain
            .iter()
            .enumerate()
            .filter_map(|(v, c)| {
                let (n, open) = super::compile::parse_group(&c.code)?;
                let n = n as f64;
                Some((offset[ta] + a.index(&[v]), n, if open { orgs.max(n) } else { n }))
            })
            .collect();
        // (The multi-valued pairs table's inner cells come first, in domain order.)
        let cells = |diag: bool| -> Vec<usize> {
            (0..pairs.len())
                .filter(|&c| diagonal(&pairs[c].code) == diag)
                .map(|c| offset[tb] + c)
                .collect()
        };
        let pairs_of = |k: f64| k * (k - 1.0) / 2.0;
        for (sum, count) in [
            (cells(true), (|k: f64| k) as fn(f64) -> f64),
            (cells(false), pairs_of),
        ] {
            // count(low) x n <= sum, and sum <= count(high) x n, over the groups.
            let mut low: Vec<(usize, f64)> = groups.iter().map(|&(g, lo, _)| (g, count(lo))).collect();
            low.extend(sum.iter().map(|&c| (c, -1.0)));
            out.push(Constraint::at_most_zero(low));
            let mut high: Vec<(usize, f64)> = sum.iter().map(|&c| (c, 1.0)).collect();
            high.extend(groups.iter().map(|&(g, _, hi)| (g, -count(hi))));
            out.push(Constraint::at_most_zero(high));
        }
    }
}

/// Each table of persons by number of organisations (T21a) with each table of organisation
/// pairs (T21b) over the same persons.
pub(super) fn counts_and_pairs(tables: &Tables) -> Vec<(usize, usize)> {
    let one_dim = |d: Derive| -> Vec<usize> {
        (0..tables.tables.len())
            .filter(|&i| {
                let t = &tables.tables[i];
                t.dims.len() == 1 && t.dims[0].derive == d
            })
            .collect()
    };
    let mut out = Vec::new();
    for ta in one_dim(Derive::CountGroup) {
        for &tb in &one_dim(Derive::Pairs) {
            if tables.tables[ta]
                .spec
                .population
                .same_persons(&tables.tables[tb].spec.population)
            {
                out.push((ta, tb));
            }
        }
    }
    out
}

/// T21b's persons with any organisation, with several and with none are T21a's persons of
/// one or more, of two or more and of none (no such group: none), and a reader knows it: an
/// outside review read a hidden `_several` of 4 as T21a's published total minus its "1".
/// Equalities of a few cells each, so DP post-processing holds them too.
fn org_count_margins(tables: &Tables, offset: &[usize], out: &mut Vec<Constraint>) {
    for (ta, tb) in counts_and_pairs(tables) {
        let (a, b) = (&tables.tables[ta], &tables.tables[tb]);
        if !b.multi {
            continue;
        }
        let d = b.dims[0].domain.len();
        let (any, none, several) = (offset[tb] + d + 1, offset[tb] + d + 2, offset[tb] + d + 3);
        let groups = count_groups(a, offset[ta]);
        let of = |keep: &dyn Fn(u64) -> bool| -> Vec<usize> {
            groups.iter().filter(|(_, n)| keep(*n)).map(|(g, _)| *g).collect()
        };
        out.push(Constraint::sum(any, &of(&|n| n >= 1)));
        out.push(Constraint::sum(several, &of(&|n| n >= 2)));
        // With no group of none, persons with none are zero by construction: DP
        // post-processing holds them there (their noise would print persons no one reported),
        // and exact protection never hides them (`suppress::primary`: a constant).
        out.push(Constraint::sum(none, &of(&|n| n == 0)));
    }
}

/// The groups of persons by number of organisations (T21a's "1", "2", "3+"): each group's
/// system cell (the table's cells from `at`) and its least number.
pub(super) fn count_groups(t: &Table, at: usize) -> Vec<(usize, u64)> {
    t.dims[0]
        .domain
        .iter()
        .enumerate()
        .filter_map(|(v, c)| Some((at + t.index(&[v]), super::compile::parse_group(&c.code)?.0)))
        .collect()
}

/// A cell that counts some of the persons another table's cell counts is at most that cell,
/// and a reader knows it: T17's directly affected persons with a police report are among
/// T18's persons with one, T10's directly affected persons with a known country of birth among
/// T02's persons with one. Without these relations a hidden count could be narrowed by a
/// published count of a narrower population while the audit said it could not. Only cells
/// whose persons `counted_persons` can say plainly are bound (not T10's origin groups, which
/// are derived). Each cell is bound by the narrowest cells around it only; wider ones follow
/// through those (within a table, through its margins).
fn nested_persons_relations(tables: &Tables, offset: &[usize], out: &mut Vec<Constraint>) {
    for (narrow, wide) in nested_pairs(tables, offset) {
        out.push(Constraint::at_most_zero(vec![(narrow, 1.0), (wide, -1.0)]));
    }
}

/// The system with, for every pair of nested cells of different tables (see
/// `nested_persons_relations`), one unpublished cell more: the persons of the wider cell
/// outside the narrower one, which a reader gets by subtracting the two published cells (T01's
/// indirect persons minus T11's indirect children are the indirect adults). Protection then
/// hides one of the two where that difference is a small count.
/// Also returned: the (narrow, wide) cells of each added difference, in the order added
/// after the tables' cells.
pub fn build_system_with_differences(
    schema: &crate::schema::Schema,
    tables: &Tables,
    cells: &[TableCells],
) -> (System, Vec<CellRef>, Vec<(usize, usize)>) {
    let deriver = Deriver::new(schema);
    let (mut sys, refs, offset) = build_without_org_counts(&deriver, tables, cells);
    org_count_relations(tables, &offset, &mut sys.constraints);
    super::regroupings::add(&deriver, tables, &offset, &mut sys.constraints);
    super::structural::add(&deriver, tables, &offset, &mut sys.constraints);
    // Of tables over the same persons, a difference is a sum of the wider table's own cells
    // (T06's men minus T07's men in labour are T07's men in the other forms), which the
    // tables' relations already hold: only a narrower population's count is new.
    let table_of = |k: usize| refs[k].table;
    let pairs: Vec<(usize, usize)> = nested_pairs(tables, &offset)
        .into_iter()
        .filter(|&(narrow, wide)| {
            let (a, b) = (&tables.tables[table_of(narrow)], &tables.tables[table_of(wide)]);
            !a.spec.population.same_persons(&b.spec.population)
        })
        .collect();
    for &(narrow, wide) in &pairs {
        let value = sys.cells[wide].value.saturating_sub(sys.cells[narrow].value);
        let d = sys.cells.len();
        sys.cells.push(Cell {
            value,
            margin: false,
            unpublished: true,
        });
        sys.constraints.push(Constraint::sum(wide, &[narrow, d]));
    }
    (sys, refs, pairs)
}

/// Pairs (narrow, wide) of system cells of different tables where the narrow cell's persons
/// are among the wide cell's, the nearest wider cell only.
fn nested_pairs(tables: &Tables, offset: &[usize]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    // One cell per distinct set of persons (cells that count the same persons are equal, see
    // `same_persons_relations`), with its table.
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
    for (a, (pa, ta, cell)) in classes.iter().enumerate() {
        let wider: Vec<usize> = (0..classes.len())
            .filter(|&b| b != a && pa.within(&classes[b].0))
            .collect();
        for &b in &wider {
            let (pb, tb, cb) = &classes[b];
            let between = wider
                .iter()
                .any(|&c| c != b && classes[c].0.within(pb) && !pb.within(&classes[c].0));
            // Within one table, the table's own relations already bound the cell.
            if !between && tb != ta {
                out.push((*cell, *cb));
            }
        }
    }
    out
}

/// The persons a cell counts, as conditions by kind (see `counted_persons`): cells with equal
/// conditions count the same persons.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Persons {
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
}

impl Persons {
    /// Whether every person holds a code (not a blank) in `column`.
    pub(super) fn holds_code(&self, column: &str) -> bool {
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
    pub(super) fn codes_in(&self, column: &str) -> Option<&BTreeSet<String>> {
        self.ins.get(column)
    }

    /// Whether every person these conditions hold for is one of `wider`'s: each of its
    /// conditions holds here too, as it is or implied (a code other than `unknown` is a known
    /// answer, a known answer an answer).
    pub(super) fn within(&self, wider: &Persons) -> bool {
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
fn same_persons_relations(tables: &Tables, offset: &[usize], out: &mut Vec<Constraint>) {
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
pub(super) fn counted_persons(t: &Table, i: usize) -> Option<Persons> {
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
        // dimension's single code those that hold it alone. Blank and "two or more" cells,
        // and other derivations, are not said plainly.
        let column = (d.column.clone(), code.to_string());
        match &d.derive {
            _ if code == NOT_ANSWERED && d.derive != Derive::Code => return None,
            Derive::Code if d.multi => {
                if code == NOT_ANSWERED {
                    return None;
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use safetally_dp::suppress::Relation;

    /// The bounds between nested populations, on the report's own tables: T17's directly
    /// affected persons with a police report are among T18's persons with one, and T19's
    /// persons with a report and a known legal stage too; nothing binds the other way, and a
    /// cell is bound by the narrowest cells around it only (T19 within T18, not T01 too).
    #[test]
    fn a_narrower_populations_cells_are_bound_by_the_wider_ones() {
        let schema = crate::schema::load_embedded().expect("embedded schema");
        let tables = super::super::load_tables(&schema, &crate::schema::MemberKind::Sample).expect("tables");
        let cells: Vec<TableCells> = tables
            .tables
            .iter()
            .map(|t| TableCells {
                id: t.id().to_string(),
                values: vec![0; t.n_cells()],
            })
            .collect();
        let (sys, refs) = build_system(&schema, &tables, &cells);
        let at = |id: &str, cell: &[(&str, &str)]| -> usize {
            let table = tables.tables.iter().position(|t| t.id() == id).expect("table");
            let cell: BTreeMap<String, String> =
                cell.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let i = tables.tables[table].cell_index(&cell).expect("cell");
            refs.iter()
                .position(|r| *r == CellRef { table, cell: i })
                .expect("in the system")
        };
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
    }
}
