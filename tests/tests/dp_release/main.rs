//! DP releases on the bundled sample: the noise has the stated scale (and a 30% error in the
//! scale would be caught), the ledger refuses over-budget releases, a rerun spends nothing and
//! returns the stored values, a crash before publication loses nothing, and the error per
//! table stays within what the stated scale implies.
//! One test binary; its tests are in modules by concept, sharing the helpers below.

use std::path::{Path, PathBuf};

use safetally::protect::{
    DpConfig, ProtectReport, load_aggregated, measured_cells, plan_tables, read_protected,
};
use safetally::run::{DpRun, aggregate_stage, protect_stage_dp, publish_stage};
use safetally::stage::Workdir;
use safetally_dp::ledger::Ledger;
use safetally_tests::*;

mod ledger;
mod noise;
mod relations;

/// The bundled sample linked and aggregated in a fresh work directory.
fn aggregated(work: &Path) -> PathBuf {
    let (key, _) = test_key(work, "dp");
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    run_to_link(&input, work, &key);
    let w = Workdir::new(work).expect("workdir");
    aggregate_stage(&schema(), &w, &w.stage_dir(safetally::link::STAGE), false)
        .expect("aggregate")
        .dir
}

fn dp_run(ledger: &Path, rho: f64) -> DpRun {
    DpRun {
        config: DpConfig::load_embedded().expect("config"),
        rho,
        group_size: 2,
        ledger: ledger.to_path_buf(),
    }
}

fn values(dir: &Path, agg: &Path) -> Vec<Vec<Option<u64>>> {
    let (tables, _, _) = load_aggregated(&schema(), agg).expect("aggregated");
    tables
        .tables
        .iter()
        .map(|t| read_protected(t, dir).expect("protected").values)
        .collect()
}

/// Each table's measured cells with Gaussian noise (the exact counts, not truncated).
fn noised(
    tables: &safetally::tables::Tables,
    exact: &[safetally::tables::TableCells],
    noise: &safetally_dp::Gaussian,
) -> Vec<Vec<i64>> {
    tables
        .tables
        .iter()
        .zip(exact)
        .map(|(t, c)| {
            let truth: Vec<i64> = measured_cells(t).iter().map(|&i| c.values[i] as i64).collect();
            noise.draw(&truth).expect("draw")
        })
        .collect()
}

/// Fresh DP releases of the aggregated tables in `agg` at rho 0.5, each under a ledger of its
/// own, with their internal summaries, and the exact counts.
fn fresh_releases(
    agg: &Path,
    ledgers: &Path,
    draws: usize,
) -> (
    Vec<(
        Vec<safetally::protect::ProtectedTable>,
        safetally::protect::DpSummary,
    )>,
    Vec<safetally::tables::TableCells>,
) {
    let s = schema();
    let (tables, agg_report, exact) = load_aggregated(&s, agg).expect("aggregated");
    // What DP measures: multi-valued tables with each person's codes truncated.
    let measured: Vec<_> = tables
        .tables
        .iter()
        .zip(&exact)
        .map(|(t, c)| {
            if t.multi {
                safetally::tables::read_cells_from(t, &agg.join(safetally::tables::truncated_name(t.id())))
                    .expect("truncated")
            } else {
                c.clone()
            }
        })
        .collect();
    let cfg = DpConfig::load_embedded().expect("config");
    let releases = (0..draws)
        .map(|k| {
            safetally::protect::protect_dp(&safetally::protect::DpInput {
                schema: &s,
                tables: &tables,
                measured: &measured,
                exact: &exact,
                year: agg_report.report_year.expect("year"),
                config: &cfg,
                rho: 0.5,
                group_size: 2,
                ledger_dir: ledgers.join(format!("ledger-draw-{k}")),
                truncated_persons: Default::default(),
                previous: None,
                recorded: Vec::new(),
            })
            .expect("draw")
        })
        .collect();
    (releases, exact)
}

/// Tables whose grand total is in an inequality between tables that holds with equality in
/// the exact counts, with the most the fit's sharing of their disagreement leans it on
/// average: 0.4 s_t^2 / sqrt(s_t^2 + s_o^2) for the total's scale s_t and the other side's s_o
/// (the mean positive part of a normal difference is 0.4 of its standard deviation, and the
/// total takes its variance's share of it).
fn totals_bound_at_the_truth(
    tables: &safetally::tables::Tables,
    exact: &[safetally::tables::TableCells],
    release: &[safetally::protect::ProtectedTable],
) -> std::collections::BTreeMap<String, f64> {
    let (refs, relations) = safetally::tables::person_relations(tables);
    let scale = |i: usize| release[refs[i].table].scale[refs[i].cell].expect("scale");
    let mut out = std::collections::BTreeMap::<String, f64>::new();
    for r in relations
        .iter()
        .filter(|r| r.relation == safetally_dp::suppress::Relation::Le)
    {
        let at_truth: f64 = r
            .terms
            .iter()
            .map(|&(i, a)| a * exact[refs[i].table].values[refs[i].cell] as f64)
            .sum();
        if at_truth.abs() > 0.5 {
            continue;
        }
        for &(i, a) in &r.terms {
            let t = &tables.tables[refs[i].table];
            if refs[i].cell != t.grand_total() {
                continue;
            }
            let other: f64 = r
                .terms
                .iter()
                .filter(|&&(_, b)| (b > 0.0) != (a > 0.0))
                .map(|&(j, _)| scale(j).powi(2))
                .sum();
            let st = scale(i);
            let lean = 0.4 * st * st / (st * st + other).sqrt();
            let e = out.entry(t.id().to_string()).or_default();
            *e = e.max(lean);
        }
    }
    out
}

/// The probability that an interval holding the truth 95 times in 100 misses it `misses` or
/// more times in `n` releases (the binomial tail).
/// The z a standard normal exceeds with probability `tail`, by bisection on its tail
/// (`erfc` after Numerical Recipes' `erfcc`, to 1.2e-7 of the value).
fn z_of_tail(tail: f64) -> f64 {
    let upper = |z: f64| {
        let x = z / std::f64::consts::SQRT_2;
        let t = 1.0 / (1.0 + 0.5 * x.abs());
        let poly = -x * x - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
        0.5 * t * poly.exp()
    };
    let (mut lo, mut hi) = (0.0, 10.0);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if upper(mid) > tail { lo = mid } else { hi = mid }
    }
    lo
}

#[test]
fn the_normal_quantiles_are_the_known_ones() {
    for (tail, z) in [(0.025, 1.959_964), (0.001, 3.090_232), (4.5e-5, 3.916_1)] {
        assert!((z_of_tail(tail) - z).abs() < 2e-3, "{tail}: {}", z_of_tail(tail));
    }
}

fn misses_as_likely(misses: u32, n: u32) -> f64 {
    let (p, n) = (0.05f64, f64::from(n));
    let mut term = (1.0 - p).powf(n); // P(X = 0)
    let mut below = 0.0;
    for k in 0..misses {
        below += term;
        let k = f64::from(k);
        term *= (n - k) / (k + 1.0) * p / (1.0 - p);
    }
    (1.0 - below).max(0.0)
}

/// A work folder with aggregated tables, bound to a fresh ledger: (folder, aggregated, ledger).
fn bound_folder() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let w = Workdir::new(work.path()).expect("workdir");
    let ledger = work.path().join("ledger");
    safetally::run::bind_ledger(w.root(), &ledger).expect("bind");
    (work, agg, ledger)
}

/// Rewrites each line of the year's ledger with `edit` (lines are JSON objects).
fn edit_ledger(file: &Path, edit: impl Fn(usize, &mut serde_json::Map<String, serde_json::Value>)) {
    let text = std::fs::read_to_string(file).expect("ledger");
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let before: serde_json::Value = serde_json::from_str(l).expect("a ledger line");
            let mut v = before.clone();
            edit(i, v.as_object_mut().expect("an object"));
            // Lines left alone keep their text (written again, their keys would be reordered).
            if v == before { l.to_string() } else { v.to_string() }
        })
        .collect();
    std::fs::write(file, lines.join("\n") + "\n").expect("write");
}
