//! Black-box privacy check: many releases of one table from two neighbouring datasets (one
//! person and all their answers removed), an empirical lower bound on epsilon from the output
//! frequencies (Wilson bounds, Bonferroni over events), compared with the claimed epsilon.
//! Each negative control (no noise, half the noise, no truncation, suppression decided on
//! true counts) must be flagged; the real mechanism must not be.

use safetally::protect::{measured_cells, release_tables, sensitivity};
use safetally::tables::derive::{Deriver, Persons};
use safetally::tables::{self, Table, Tables};
use safetally_dp::Gaussian;
use safetally_dp::budget::epsilon_for;
use safetally_tests::{one_table, persons, schema};

/// Releases per dataset: enough for the negative controls to show with the margins printed
/// in the test output. OpenDP's exact sampler takes about 20 microseconds per cell, and the
/// multi-valued table draws 17 cells per release, so it gets fewer.
const RELEASES: usize = 100_000;
const RELEASES_MULTI: usize = 50_000;
const DELTA: f64 = 0.01;
/// Normal quantile for 99.98% one-sided: covers about 100 events at 95% jointly.
const Z: f64 = 3.5;
const SUPPRESS_BELOW: u64 = 5;

/// What the attacker reads from one release: a number, or None when the cell is hidden.
type Statistic = dyn Fn(&Table, &[Option<u64>]) -> Option<i64>;
/// An output event whose probability under the two datasets is compared.
type Event = Box<dyn Fn(&Option<i64>) -> bool>;

#[derive(Clone, Copy)]
struct Mechanism {
    /// Noise actually added (None: none at all).
    scale: Option<f64>,
    truncate: bool,
    suppress_on_true_counts: bool,
}

/// Many releases of the table from `p`; each reduced by `stat` to one number (or None when
/// the cell the statistic reads is hidden).
fn releases(
    n: usize,
    t: &Tables,
    p: &Persons,
    m: Mechanism,
    claimed_scale: f64,
    stat: &Statistic,
) -> Vec<Option<i64>> {
    releases_read(n, t, p, m, claimed_scale, (stat, true))
}

/// `releases`, the statistic read from the published tables (`published`) or from the noisy
/// measurement itself (clamped at zero), before post-processing: post-processing cannot add
/// to what a release tells, so a mechanism within its claim there is within it published
/// too, and a measurement that breaks it is found there even where the fit happens to hide
/// the break (a multi-valued table's codes fitted to their persons took most of an
/// untruncated person's codes out of the published sum).
fn releases_read(
    n: usize,
    t: &Tables,
    p: &Persons,
    m: Mechanism,
    claimed_scale: f64,
    (stat, published): (&Statistic, bool),
) -> Vec<Option<i64>> {
    let s = schema();
    let deriver = Deriver::new(&s);
    let table = &t.tables[0];
    let counts = tables::aggregate::count_table(&deriver, table, p, m.truncate).expect("counts");
    let vector: Vec<i64> = measured_cells(table)
        .iter()
        .map(|&i| counts.values[i] as i64)
        .collect();
    let g = m.scale.map(|sc| Gaussian::new(sc).expect("gaussian"));
    (0..n)
        .map(|_| {
            let noisy = match &g {
                Some(g) => g.draw(&vector).expect("draw"),
                None => vector.clone(),
            };
            if !published {
                let mut values = vec![None; table.n_cells()];
                for (&i, &v) in measured_cells(table).iter().zip(&noisy) {
                    values[i] = Some(v.max(0) as u64);
                }
                return stat(table, &values);
            }
            let mut out = release_tables(t, &deriver, &[noisy], &[claimed_scale], SUPPRESS_BELOW).remove(0);
            if m.suppress_on_true_counts {
                for (i, v) in counts.values.iter().enumerate() {
                    let small = *v > 0 && *v < SUPPRESS_BELOW && !table.is_margin(i);
                    out.values[i] = if small { None } else { out.values[i].or(Some(0)) };
                }
            }
            stat(table, &out.values)
        })
        .collect()
}

fn wilson(k: usize, n: usize) -> (f64, f64) {
    // Wilson score interval at Z.
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let d = 1.0 + Z * Z / n;
    let c = (p + Z * Z / (2.0 * n)) / d;
    let h = Z * ((p * (1.0 - p) / n) + Z * Z / (4.0 * n * n)).sqrt() / d;
    ((c - h).max(0.0), (c + h).min(1.0))
}

/// The largest epsilon the outputs prove with confidence: over events "statistic >= t",
/// "statistic <= t" and "hidden", both directions, ln((P_lo(E|A) - delta) / P_hi(E|B)).
fn empirical_epsilon(a: &[Option<i64>], b: &[Option<i64>]) -> f64 {
    let values: Vec<i64> = a.iter().chain(b).flatten().copied().collect();
    let (lo, hi) = (
        values.iter().copied().min().unwrap_or(0),
        values.iter().copied().max().unwrap_or(0),
    );
    let mut events: Vec<Event> = vec![Box::new(|x: &Option<i64>| x.is_none())];
    for t in lo..=hi {
        events.push(Box::new(move |x: &Option<i64>| x.is_some_and(|v| v >= t)));
        events.push(Box::new(move |x: &Option<i64>| x.is_some_and(|v| v <= t)));
    }
    let mut best = 0.0f64;
    for e in &events {
        let ka = a.iter().filter(|x| e(x)).count();
        let kb = b.iter().filter(|x| e(x)).count();
        for (k1, k2) in [(ka, kb), (kb, ka)] {
            let (p1, _) = wilson(k1, a.len());
            let (_, p2) = wilson(k2, b.len());
            if p1 - DELTA > 0.0 {
                best = best.max(((p1 - DELTA) / p2.max(1e-300)).ln());
            }
        }
    }
    best
}

/// The contacts table: 40 direct, 5 indirect; the neighbour lacks one indirect person.
fn contacts_case(m: Mechanism) -> (f64, f64) {
    let t = one_table("T01", None);
    let mut rows: Vec<(&str, &str)> = vec![("direct", "direct"); 40];
    rows.extend(vec![("indirect", "indirect"); 5]);
    let d = persons(&rows, "contact_kind");
    rows.pop();
    let d2 = persons(&rows, "contact_kind");
    let claimed_scale = 1.0;
    let rho = sensitivity(&t.tables[0]).powi(2) / (2.0 * claimed_scale * claimed_scale);
    let cell = |t: &Table, v: &[Option<u64>]| {
        let i = t
            .cell_index(&[("contact_kind".to_string(), "indirect".to_string())].into())
            .expect("cell");
        v[i].map(|x| x as i64)
    };
    let a = releases(RELEASES, &t, &d, m, claimed_scale, &cell);
    let b = releases(RELEASES, &t, &d2, m, claimed_scale, &cell);
    (empirical_epsilon(&a, &b), epsilon_for(rho, DELTA))
}

/// Civil-society support with max_codes 2; the neighbour lacks a person with all 14 codes.
/// The statistic: the sum of the cells that person adds to, read from the noisy measurement
/// (see `releases_read`).
fn support_case(m: Mechanism, n: usize) -> (f64, f64) {
    let t = one_table("T14", Some(2));
    let all: Vec<String> = t.tables[0].dims[0]
        .domain
        .iter()
        .map(|c| c.code.clone())
        .collect();
    let everything = all.join(";");
    let mut rows: Vec<(&str, &str)> = Vec::new();
    for (i, c) in all.iter().enumerate() {
        for _ in 0..(3 + i % 4) {
            rows.push(("direct", c.as_str()));
        }
    }
    rows.push(("direct", everything.as_str()));
    let d = persons(&rows, "civil_society_support");
    rows.pop();
    let d2 = persons(&rows, "civil_society_support");
    let claimed_scale = 2.0;
    let rho = sensitivity(&t.tables[0]).powi(2) / (2.0 * claimed_scale * claimed_scale);
    let sum = |t: &Table, v: &[Option<u64>]| {
        let d = t.dims[0].domain.len();
        let cells = (0..d).chain([d + 1, d + 3]);
        Some(cells.map(|i| v[i].unwrap_or(0) as i64).sum())
    };
    let a = releases_read(n, &t, &d, m, claimed_scale, (&sum, false));
    let b = releases_read(n, &t, &d2, m, claimed_scale, (&sum, false));
    (empirical_epsilon(&a, &b), epsilon_for(rho, DELTA))
}

const REAL: Mechanism = Mechanism {
    scale: Some(1.0),
    truncate: true,
    suppress_on_true_counts: false,
};

#[test]
fn the_real_mechanism_stays_within_its_claimed_epsilon() {
    let (found, claimed) = contacts_case(REAL);
    eprintln!("single-valued: empirical epsilon >= {found:.2}, claimed {claimed:.2} at delta {DELTA}");
    assert!(
        found <= claimed,
        "empirical {found} exceeds the claimed {claimed}"
    );
    // Far below its claim even with few releases: fewer keep the test short. With half the
    // releases the bound found is about ln 2 lower, so this half flags only a grossly wrong
    // multi-valued mechanism; codes left untruncated, found about 4.1 against 3.5 with all
    // the releases, are `no_truncation_of_multi_valued_codes_is_flagged`'s to catch.
    let (found, claimed) = support_case(
        Mechanism {
            scale: Some(2.0),
            ..REAL
        },
        RELEASES_MULTI / 2,
    );
    eprintln!("multi-valued: empirical epsilon >= {found:.2}, claimed {claimed:.2} at delta {DELTA}");
    assert!(
        found <= claimed,
        "empirical {found} exceeds the claimed {claimed}"
    );
}

#[test]
fn no_noise_is_flagged() {
    let (found, claimed) = contacts_case(Mechanism { scale: None, ..REAL });
    assert!(found > claimed, "no noise: empirical {found}, claimed {claimed}");
}

#[test]
fn half_the_noise_is_flagged() {
    let (found, claimed) = contacts_case(Mechanism {
        scale: Some(0.5),
        ..REAL
    });
    eprintln!("half the noise: empirical epsilon >= {found:.2}, claimed {claimed:.2}");
    assert!(
        found > claimed,
        "half noise: empirical {found}, claimed {claimed}"
    );
}

#[test]
fn suppression_decided_on_true_counts_is_flagged() {
    let (found, claimed) = contacts_case(Mechanism {
        suppress_on_true_counts: true,
        ..REAL
    });
    assert!(
        found > claimed,
        "suppression on true counts: empirical {found}, claimed {claimed}"
    );
}

#[test]
fn no_truncation_of_multi_valued_codes_is_flagged() {
    let (found, claimed) = support_case(
        Mechanism {
            scale: Some(2.0),
            truncate: false,
            suppress_on_true_counts: false,
        },
        RELEASES_MULTI,
    );
    eprintln!("no truncation: empirical epsilon >= {found:.2}, claimed {claimed:.2}");
    assert!(
        found > claimed,
        "no truncation: empirical {found}, claimed {claimed}"
    );
}
