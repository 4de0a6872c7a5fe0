//! Small helpers for weighted draws; weights are relative and need not sum to one.

use rand::Rng;

pub fn weighted<'a, T: ?Sized, R: Rng>(rng: &mut R, items: &'a [(&'a T, f64)]) -> &'a T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    items
        .last()
        .map(|(i, _)| *i)
        .expect("weighted draw from an empty list")
}

/// Independent Bernoulli draws per code; at least one code when `at_least_one`.
pub fn bernoulli_set<R: Rng>(rng: &mut R, items: &[(&str, f64)], at_least_one: bool) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .filter(|(_, p)| rng.random::<f64>() < *p)
        .map(|(c, _)| c.to_string())
        .collect();
    if out.is_empty() && at_least_one {
        out.push(weighted(rng, items).to_string());
    }
    out
}

pub fn chance<R: Rng>(rng: &mut R, p: f64) -> bool {
    rng.random::<f64>() < p
}
