//! Synthetic microdata from noisy marginals, in the manner of MST (McKenna, Miklau and
//! Sheldon 2021): every one- and two-way marginal is measured with noise elsewhere; here, as
//! post-processing only, a maximum spanning tree over the pairs' estimated mutual information
//! is chosen, a tree-shaped model is fitted from the noisy marginals, and records are sampled.

use rand::Rng;

/// Noisy marginals of `sizes.len()` categorical attributes: `one[a]` has `sizes[a]` cells,
/// `two[(a, b)]` (a < b) has `sizes[a] * sizes[b]` cells, row-major in a.
pub struct NoisyMarginals {
    pub sizes: Vec<usize>,
    pub one: Vec<Vec<f64>>,
    pub two: std::collections::BTreeMap<(usize, usize), Vec<f64>>,
}

/// A tree-shaped model: a root distribution and, for every other attribute, its distribution
/// given its parent.
#[derive(Debug, Clone)]
pub struct TreeModel {
    pub sizes: Vec<usize>,
    pub root: usize,
    /// (child, parent) in sampling order.
    pub edges: Vec<(usize, usize)>,
    pub root_p: Vec<f64>,
    /// For each attribute (unused for the root): P(child = j | parent = i) at [i][j].
    pub conditional: Vec<Vec<Vec<f64>>>,
}

fn normalise(v: &[f64]) -> Vec<f64> {
    let c: Vec<f64> = v.iter().map(|x| x.max(0.0)).collect();
    let s: f64 = c.iter().sum();
    if s <= 0.0 {
        vec![1.0 / v.len() as f64; v.len()]
    } else {
        c.into_iter().map(|x| x / s).collect()
    }
}

/// A pair's joint distribution from its noisy marginal, oriented as [a][b].
fn joint(m: &NoisyMarginals, a: usize, b: usize) -> Vec<Vec<f64>> {
    let (lo, hi) = (a.min(b), a.max(b));
    let flat = normalise(&m.two[&(lo, hi)]);
    let (na, nb) = (m.sizes[a], m.sizes[b]);
    (0..na)
        .map(|i| {
            (0..nb)
                .map(|j| if a < b { flat[i * nb + j] } else { flat[j * na + i] })
                .collect()
        })
        .collect()
}

fn mutual_information(p: &[Vec<f64>]) -> f64 {
    let pa: Vec<f64> = p.iter().map(|r| r.iter().sum()).collect();
    let nb = p.first().map_or(0, Vec::len);
    let pb: Vec<f64> = (0..nb).map(|j| p.iter().map(|r| r[j]).sum()).collect();
    let mut mi = 0.0;
    for (i, r) in p.iter().enumerate() {
        for (j, &x) in r.iter().enumerate() {
            if x > 0.0 && pa[i] > 0.0 && pb[j] > 0.0 {
                mi += x * (x / (pa[i] * pb[j])).ln();
            }
        }
    }
    mi
}

/// The maximum spanning tree over estimated mutual information (Kruskal), rooted at 0.
pub fn fit_tree(m: &NoisyMarginals) -> TreeModel {
    let n = m.sizes.len();
    let mut pairs: Vec<(f64, usize, usize)> = m
        .two
        .keys()
        .map(|&(a, b)| (mutual_information(&joint(m, a, b)), a, b))
        .collect();
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
    let mut comp: Vec<usize> = (0..n).collect();
    let find = |comp: &mut Vec<usize>, mut x: usize| {
        while comp[x] != x {
            comp[x] = comp[comp[x]];
            x = comp[x];
        }
        x
    };
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (_, a, b) in pairs {
        let (ra, rb) = (find(&mut comp, a), find(&mut comp, b));
        if ra != rb {
            comp[ra] = rb;
            adj[a].push(b);
            adj[b].push(a);
        }
    }
    let mut edges = Vec::new();
    let mut seen = vec![false; n];
    let mut stack = vec![0];
    seen[0] = true;
    while let Some(p) = stack.pop() {
        for &c in &adj[p] {
            if !seen[c] {
                seen[c] = true;
                edges.push((c, p));
                stack.push(c);
            }
        }
    }
    // Attributes no pair reached (a single attribute) hang off the root independently.
    let mut conditional = vec![Vec::new(); n];
    for &(c, p) in &edges {
        let pj = joint(m, p, c);
        let marginal = normalise(&m.one[c]);
        conditional[c] = pj
            .iter()
            .map(|row| {
                let s: f64 = row.iter().sum();
                if s > 1e-12 {
                    row.iter().map(|x| x / s).collect()
                } else {
                    marginal.clone()
                }
            })
            .collect();
    }
    TreeModel {
        sizes: m.sizes.clone(),
        root: 0,
        edges,
        root_p: normalise(&m.one[0]),
        conditional,
    }
}

impl TreeModel {
    /// The model's probability of one combination of codes (a cell of the cross-tabulation):
    /// the root's share times each attribute's share given its parent.
    pub fn probability(&self, rec: &[usize]) -> f64 {
        self.edges
            .iter()
            .fold(self.root_p[rec[self.root]], |p, &(c, parent)| {
                p * self.conditional[c][rec[parent]][rec[c]]
            })
    }
}

fn draw<R: Rng>(rng: &mut R, p: &[f64]) -> usize {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (i, x) in p.iter().enumerate() {
        acc += x;
        if u < acc {
            return i;
        }
    }
    p.len() - 1
}

impl TreeModel {
    /// `n` records, each a code index per attribute.
    pub fn sample<R: Rng>(&self, rng: &mut R, n: usize) -> Vec<Vec<usize>> {
        (0..n)
            .map(|_| {
                let mut rec = vec![0; self.sizes.len()];
                rec[self.root] = draw(rng, &self.root_p);
                for &(c, p) in &self.edges {
                    rec[c] = draw(rng, &self.conditional[c][rec[p]]);
                }
                rec
            })
            .collect()
    }
}

/// Average total variation distance between two record sets' marginals over every subset of
/// `k` attributes.
pub fn mean_tvd(a: &[Vec<usize>], b: &[Vec<usize>], sizes: &[usize], k: usize) -> f64 {
    let n = sizes.len();
    let subsets = subsets(n, k);
    if subsets.is_empty() || a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let mut total = 0.0;
    for s in &subsets {
        let ma = marginal(a, sizes, s);
        let mb = marginal(b, sizes, s);
        total += ma.iter().zip(&mb).map(|(x, y)| (x - y).abs()).sum::<f64>() / 2.0;
    }
    total / subsets.len() as f64
}

/// Normalised marginal of records over the attributes in `s`.
pub fn marginal(recs: &[Vec<usize>], sizes: &[usize], s: &[usize]) -> Vec<f64> {
    let len: usize = s.iter().map(|&a| sizes[a]).product();
    let mut m = vec![0.0; len];
    for r in recs {
        let idx = s.iter().fold(0, |acc, &a| acc * sizes[a] + r[a]);
        m[idx] += 1.0;
    }
    let t = recs.len() as f64;
    m.iter_mut().for_each(|x| *x /= t);
    m
}

pub fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    fn rec(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            rec(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    rec(0, n, k, &mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn exact_marginals_of_a_tree_shaped_truth_are_reproduced() {
        // a -> b strongly associated, c independent.
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let truth: Vec<Vec<usize>> = (0..20_000)
            .map(|i| {
                let a = i % 2;
                let b = if rng.random::<f64>() < 0.9 { a } else { 1 - a };
                vec![a, b, rng.random_range(0..3)]
            })
            .collect();
        let sizes = vec![2, 2, 3];
        let count = |s: &[usize]| {
            marginal(&truth, &sizes, s)
                .iter()
                .map(|x| x * truth.len() as f64)
                .collect()
        };
        let m = NoisyMarginals {
            sizes: sizes.clone(),
            one: (0..3).map(|a| count(&[a])).collect(),
            two: subsets(3, 2)
                .into_iter()
                .map(|s| ((s[0], s[1]), count(&s)))
                .collect(),
        };
        let model = fit_tree(&m);
        assert!(
            model.edges.contains(&(1, 0)),
            "a and b are joined: {:?}",
            model.edges
        );
        let synth = model.sample(&mut rng, 20_000);
        assert!(mean_tvd(&truth, &synth, &sizes, 2) < 0.03);
        assert!(mean_tvd(&truth, &synth, &sizes, 1) < 0.02);
    }
}
