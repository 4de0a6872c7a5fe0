//! The post-processing of what was measured: the noisy cross-tabulation thresholded, fitted to
//! the published margins and rounded, whole persons moved until every published count is met,
//! and the margin targets that fitting aims at. Uses noisy values and published figures only.

use safetally_dp::postprocess::round_to_total;
use safetally_dp::synth::fit_tree;

use super::{sizes, split_marginals};
use crate::protect::measured_cells;
use crate::tables::Table;

/// Published margin targets: for a dimension, a count per code (None where not published).
#[derive(Clone)]
pub struct Target {
    pub dim: usize,
    pub counts: Vec<Option<f64>>,
}

/// The noisy cross-tabulation made usable. Almost all of its thousands of cells are empty, and
/// their noise alone would invent more persons than there are, so a cell keeps its noisy value
/// only when it passes the largest noise expected among that many cells (scale x sqrt(2 ln
/// cells)). The persons the other cells lost are shared among them by the tree model of the
/// extract's noisy marginals (`noisy_marginals`, the synthetic persons' model): without that,
/// fitting to the margins piled each small category onto the few cells of it left (an outside
/// review found every person of unknown age under police report "not answered", and the error
/// rising with rho). The whole is fitted to the published margins by iterative proportional
/// fitting (a published category left with no cell is first given some, see
/// `seed_empty_categories`), then rounded to integers that keep `total`. Uses noisy values
/// and published figures only.
///
/// Fitting and rounding leave the margins a few persons off the published tables; whole
/// persons are then moved so that every published count (`published`: the tables' own
/// cells, None where hidden) is met exactly (see `match_published_margins`).
pub fn postprocess_crosstab(
    t: &Table,
    (noisy, noisy_marginals): (&[i64], &[i64]),
    scale: f64,
    (targets, published, hidden_below): (&[Target], &[Target], f64),
    total: u64,
) -> Vec<u64> {
    let cells = measured_cells(t);
    let pos: Vec<Vec<usize>> = cells.iter().map(|&c| t.positions(c)).collect();
    let threshold = scale * (2.0 * (cells.len().max(2) as f64).ln()).sqrt();
    let mut x: Vec<f64> = noisy
        .iter()
        .map(|&v| if (v as f64) < threshold { 0.0 } else { v as f64 })
        .collect();
    let model = fit_tree(&split_marginals(&sizes(t), noisy_marginals));
    let prior: Vec<f64> = pos.iter().map(|p| model.probability(p)).collect();
    share_what_was_emptied(&mut x, &prior, total as f64);
    fit(&mut x, &pos, targets, total);
    let mut counts: Vec<u64> = round_to_total(&x, total as i64)
        .into_iter()
        .map(|v| v.max(0) as u64)
        .collect();
    match_published_margins(&pos, &mut counts, published, hidden_below);
    counts
}

/// Gives the cells emptied by the threshold the persons they lost (`total` less what the kept
/// cells hold), each its share of them by the model's probability.
fn share_what_was_emptied(x: &mut [f64], prior: &[f64], total: f64) {
    let rest = (total - x.iter().sum::<f64>()).max(0.0);
    let weight: f64 = x
        .iter()
        .zip(prior)
        .filter(|(v, _)| **v == 0.0)
        .map(|(_, p)| p)
        .sum();
    if weight <= 0.0 || rest <= 0.0 {
        return;
    }
    for (v, p) in x.iter_mut().zip(prior) {
        if *v == 0.0 {
            *v = rest * p / weight;
        }
    }
}

/// Moves whole persons between cells that differ in one dimension only, so that the margin
/// of each published category is the published count: a journalist who sums the extract by
/// gender must find the release's figures. A move in one dimension changes no other
/// dimension's margin, so each published table is met in turn without undoing the others;
/// categories the table hides (None) give and take what the published ones need, but never
/// beyond `hidden_below` - 1 (the table says they are below it). A person
/// leaves the fullest cell of a category with too many, for the cell of a category with
/// too few that agrees with it in every other dimension. Uses published figures and the
/// extract's own values only.
pub fn match_published_margins(
    pos: &[Vec<usize>],
    counts: &mut [u64],
    published: &[Target],
    hidden_below: f64,
) {
    let most_hidden = (hidden_below - 1.0).max(0.0) as i64;
    let at: std::collections::HashMap<&[usize], usize> =
        pos.iter().enumerate().map(|(i, p)| (p.as_slice(), i)).collect();
    for tg in published {
        let d = tg.dim;
        // Each move brings a published margin one closer, so there are at most the persons.
        let most = counts.iter().sum::<u64>() as usize + 1;
        for _ in 0..most {
            let mut m = vec![0i64; tg.counts.len()];
            for (c, p) in counts.iter().zip(pos) {
                m[p[d]] += *c as i64;
            }
            // A published category is off by its difference from the table; a hidden one
            // only by what it holds above its bound.
            let off =
                |c: usize| tg.counts[c].map_or((m[c] - most_hidden).max(0), |w| m[c] - w.round() as i64);
            let over = (0..m.len()).filter(|&c| off(c) > 0).max_by_key(|&c| off(c));
            let under = (0..m.len()).filter(|&c| off(c) < 0).min_by_key(|&c| off(c));
            let hidden = |c: &usize| tg.counts[*c].is_none();
            // A hidden category takes where it has most room below its bound, gives where it
            // holds most.
            let taker = (0..m.len())
                .filter(|c| hidden(c) && m[*c] < most_hidden)
                .min_by_key(|&c| m[c]);
            let giver = (0..m.len())
                .filter(|c| hidden(c) && m[*c] > 0)
                .max_by_key(|&c| m[c]);
            let (from, to) = match (over, under) {
                (Some(o), Some(u)) => (o, u),
                (Some(o), None) => match taker {
                    Some(f) => (o, f),
                    None => break,
                },
                (None, Some(u)) => match giver {
                    Some(f) => (f, u),
                    None => break,
                },
                (None, None) => break,
            };
            let source = (0..counts.len())
                .filter(|&i| pos[i][d] == from && counts[i] > 0)
                .max_by_key(|&i| (counts[i], std::cmp::Reverse(i)));
            let Some(a) = source else { break };
            let mut q = pos[a].clone();
            q[d] = to;
            let Some(&b) = at.get(q.as_slice()) else { break };
            counts[a] -= 1;
            counts[b] += 1;
        }
    }
}

/// Iterative proportional fitting of cells `x` (at positions `pos`) to the targets' margins
/// and to `total`, after giving mass to categories the threshold emptied.
pub(super) fn fit(x: &mut [f64], pos: &[Vec<usize>], targets: &[Target], total: u64) {
    seed_empty_categories(x, pos, targets);
    for _ in 0..50 {
        for tg in targets {
            let mut m = vec![0.0; tg.counts.len()];
            for (xi, p) in x.iter().zip(pos) {
                m[p[tg.dim]] += xi;
            }
            for (xi, p) in x.iter_mut().zip(pos) {
                if let Some(want) = tg.counts[p[tg.dim]]
                    && m[p[tg.dim]] > 0.0
                {
                    *xi *= want / m[p[tg.dim]];
                }
            }
        }
        let s: f64 = x.iter().sum();
        if s > 0.0 {
            x.iter_mut().for_each(|v| *v *= total as f64 / s);
        }
    }
}

/// One-way margins of cells `x` at positions `pos`, for every dimension.
fn margins(x: &[f64], pos: &[Vec<usize>], sizes: &[usize]) -> Vec<Vec<f64>> {
    let mut m: Vec<Vec<f64>> = sizes.iter().map(|&n| vec![0.0; n]).collect();
    for (xi, p) in x.iter().zip(pos) {
        for (d, &at) in p.iter().enumerate() {
            m[d][at] += xi;
        }
    }
    m
}

/// Gives mass to each category that a target publishes persons in but whose cells the
/// threshold emptied (children, at a few dozen, fall below it in every one of their cells):
/// proportional fitting only scales, so an empty category would stay empty and the extract
/// would say "no children" beside a release that counts them. The category's persons go to
/// its likeliest cells, one cell per person at most, as if the other dimensions' current
/// margins held for it too (independence); spread over all its hundreds of cells, each
/// would hold a fraction that rounding to whole persons sets to 0. The fitting then adjusts
/// them. Uses fitted values and published figures only.
fn seed_empty_categories(x: &mut [f64], pos: &[Vec<usize>], targets: &[Target]) {
    let Some(first) = pos.first() else { return };
    let mut sizes = vec![0usize; first.len()];
    for p in pos {
        for (s, &at) in sizes.iter_mut().zip(p) {
            *s = (*s).max(at + 1);
        }
    }
    for tg in targets {
        let m = margins(x, pos, &sizes);
        let total: f64 = x.iter().sum();
        for (c, want) in tg.counts.iter().enumerate() {
            let Some(want) = want.filter(|&w| w > 0.0 && m[tg.dim][c] <= 0.0) else {
                continue;
            };
            let prior = |p: &[usize]| -> f64 {
                (0..sizes.len())
                    .filter(|&d| d != tg.dim)
                    .map(|d| if total > 0.0 { m[d][p[d]] / total } else { 1.0 })
                    .product()
            };
            let mut cells: Vec<(f64, usize)> = (0..pos.len())
                .filter(|&i| pos[i][tg.dim] == c)
                .map(|i| (prior(&pos[i]), i))
                .collect();
            cells.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            cells.truncate((want.round() as usize).max(1));
            let sum: f64 = cells.iter().map(|(w, _)| w).sum();
            for &(w, i) in &cells {
                x[i] = if sum > 0.0 {
                    want * w / sum
                } else {
                    want / cells.len() as f64
                };
            }
        }
    }
}
/// A published table's hidden cells (`..`, fewer noisy persons than the threshold) give the
/// fitting no target, so a category with only hidden counts would stay empty: "no children"
/// where the table says "a few". They take the extract's own noisy one-way count, measured for
/// the synthetic persons (post-processing, no new spending), kept between 0 and the count the
/// table says it is below (`hidden_below` - 1), so the two journalists' files do not contradict
/// the table.
pub fn fill_hidden_targets(
    targets: &mut [Target],
    sizes: &[usize],
    noisy_marginals: &[i64],
    hidden_below: f64,
) {
    let starts: Vec<usize> = sizes
        .iter()
        .scan(0, |at, &n| {
            let start = *at;
            *at += n;
            Some(start)
        })
        .collect();
    for tg in targets.iter_mut() {
        for (c, count) in tg.counts.iter_mut().enumerate() {
            if count.is_none()
                && let Some(&v) = noisy_marginals.get(starts[tg.dim] + c)
            {
                *count = Some((v as f64).clamp(0.0, (hidden_below - 1.0).max(0.0)));
            }
        }
    }
}

/// Margin targets from the noisy one-way marginals (clamped at zero), for dimensions that no
/// published table covers.
pub fn noisy_one_way_targets(sizes: &[usize], noisy_marginals: &[i64], covered: &[usize]) -> Vec<Target> {
    let mut at = 0;
    let mut out = Vec::new();
    for (d, &n) in sizes.iter().enumerate() {
        if !covered.contains(&d) {
            out.push(Target {
                dim: d,
                counts: noisy_marginals[at..at + n]
                    .iter()
                    .map(|&v| Some(v.max(0) as f64))
                    .collect(),
            });
        }
        at += n;
    }
    out
}
