//! The bounds a reader knows between persons by number of organisations (T21a) and persons by
//! pair of organisations (T21b): kept apart because exact protection holds them all, DP
//! post-processing only the margins (see `build_system_for_dp`).

use safetally_dp::suppress::Constraint;

use crate::tables::{Derive, Table, Tables, parse_group};

/// Persons by number of organisations (T21a) and persons by pair of organisations (T21b)
/// over the same persons are bound, and a reader knows it: a person reported by k
/// organisations counts in k diagonal cells (one per organisation) and k(k-1)/2 pairs. So
/// the diagonal sums to between sum(low_g x n_g) and sum(high_g x n_g) over the groups g,
/// the pairs likewise with k(k-1)/2; an open group ("3+") reaches up to every organisation.
/// (An outside review read T21a's hidden "2" and "3+" exactly from T21b's diagonal.)
pub(super) fn org_count_relations(tables: &Tables, offset: &[usize], out: &mut Vec<Constraint>) {
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
                let (n, open) = parse_group(&c.code)?;
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
pub(crate) fn counts_and_pairs(tables: &Tables) -> Vec<(usize, usize)> {
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
pub(super) fn org_count_margins(tables: &Tables, offset: &[usize], out: &mut Vec<Constraint>) {
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
pub(crate) fn count_groups(t: &Table, at: usize) -> Vec<(usize, u64)> {
    t.dims[0]
        .domain
        .iter()
        .enumerate()
        .filter_map(|(v, c)| Some((at + t.index(&[v]), parse_group(&c.code)?.0)))
        .collect()
}
