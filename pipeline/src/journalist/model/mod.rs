//! The journalists' extract as pure functions: persons to coded records, the cross-tabulation
//! and marginals DP measures, and the post-processing of what was measured (threshold, fit to
//! published margins, integers; a tree model and its samples). Nothing here draws noise.

use std::collections::BTreeMap;

use safetally_dp::synth::{NoisyMarginals, fit_tree, subsets};

use crate::error::StageError;
use crate::protect::measured_cells;
use crate::tables::Table;
use crate::tables::derive::{Deriver, Persons, in_population, outside_domain, positions};

mod fitting;
#[cfg(test)]
mod tests;

pub use fitting::{Target, fill_hidden_targets, noisy_one_way_targets, postprocess_crosstab};

/// Each counted person as one domain position per dimension.
pub fn records(t: &Table, deriver: &Deriver, p: &Persons) -> Result<Vec<Vec<usize>>, StageError> {
    let pos = positions(t);
    (0..p.n)
        .filter(|&i| in_population(&t.spec.population.conditions, p, i))
        .map(|i| {
            t.dims
                .iter()
                .enumerate()
                .map(|(k, dim)| {
                    let code = deriver.codes(dim, p, i).remove(0);
                    pos[k]
                        .get(&code)
                        .copied()
                        .ok_or_else(|| outside_domain(t, dim, i))
                })
                .collect()
        })
        .collect()
}

pub fn sizes(t: &Table) -> Vec<usize> {
    t.dims.iter().map(|d| d.domain.len()).collect()
}

/// The inner cells of the cross-tabulation, in `measured_cells` order.
pub fn crosstab(t: &Table, recs: &[Vec<usize>]) -> Vec<i64> {
    let mut full = vec![0i64; t.n_cells()];
    for r in recs {
        full[t.index(r)] += 1;
    }
    measured_cells(t).iter().map(|&i| full[i]).collect()
}

/// Every one-way then every two-way marginal, concatenated: a person adds 1 to each of the
/// n + n(n-1)/2 marginals, so the vector's L2 sensitivity is the square root of that number.
pub fn marginals(sizes: &[usize], recs: &[Vec<usize>]) -> Vec<i64> {
    let mut out = Vec::new();
    for a in 0..sizes.len() {
        let mut m = vec![0i64; sizes[a]];
        for r in recs {
            m[r[a]] += 1;
        }
        out.extend(m);
    }
    for s in subsets(sizes.len(), 2) {
        let (a, b) = (s[0], s[1]);
        let mut m = vec![0i64; sizes[a] * sizes[b]];
        for r in recs {
            m[r[a] * sizes[b] + r[b]] += 1;
        }
        out.extend(m);
    }
    out
}

pub fn marginals_sensitivity(sizes: &[usize]) -> f64 {
    let n = sizes.len();
    ((n + n * (n - 1) / 2) as f64).sqrt()
}

/// Splits a noisy marginal vector back into its one- and two-way parts.
pub fn split_marginals(sizes: &[usize], v: &[i64]) -> NoisyMarginals {
    let mut at = 0;
    let mut take = |len: usize| {
        let s: Vec<f64> = v[at..at + len].iter().map(|&x| x as f64).collect();
        at += len;
        s
    };
    let one = sizes.iter().map(|&s| take(s)).collect();
    let two: BTreeMap<(usize, usize), Vec<f64>> = subsets(sizes.len(), 2)
        .into_iter()
        .map(|s| ((s[0], s[1]), take(sizes[s[0]] * sizes[s[1]])))
        .collect();
    NoisyMarginals {
        sizes: sizes.to_vec(),
        one,
        two,
    }
}

/// Records from a cross-tabulation's cell counts (for its accuracy figures).
pub fn crosstab_records(t: &Table, counts: &[u64]) -> Vec<Vec<usize>> {
    measured_cells(t)
        .iter()
        .zip(counts)
        .flat_map(|(&c, &n)| std::iter::repeat_n(t.positions(c), n as usize))
        .collect()
}

/// Synthetic persons from the noisy marginals: a tree model fitted to them, sampled `n` times.
pub fn synthesise(
    sizes: &[usize],
    noisy_marginals: &[i64],
    n: usize,
    seed: u64,
) -> (Vec<Vec<usize>>, Vec<(usize, usize)>) {
    use rand::SeedableRng;
    let model = fit_tree(&split_marginals(sizes, noisy_marginals));
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    (model.sample(&mut rng, n), model.edges)
}
