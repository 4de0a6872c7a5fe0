//! Linkage, at the platform: every organisation's pseudonymised records in; out, a person
//! table (fresh random ids, resolved answers, number of organisations), a record-to-person map,
//! the duplicate cross-check (T21, internal, exact counts) and a linkage report.

mod common;
mod evaluate;
mod exact;
mod fuzzy;
mod gate;
mod load;
mod output;
mod overlap;
mod report;
mod resolve;
mod unionfind;

pub use evaluate::{
    Quality, evaluate_stage, evaluate_stage_with, evaluation_runs, quality, quality_of_record_map,
    truth_for_records,
};
pub use exact::ExactStats;
pub use fuzzy::FuzzyStats;
pub use load::{Records, load, load_for};
pub use output::{PERSONS, RECORD_MAP, write_outputs};
pub use report::LinkReport;
pub use resolve::ResolveStats;

use crate::schema::{CommonDate, LinkageSpec, ThresholdScale, Thresholds};
use unionfind::Clusters;

pub const STAGE: &str = "03-link";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LinkParams {
    pub fuzzy: bool,
    /// The match keys the exact step uses (a subset of `MATCH_KEYS`).
    pub match_keys: Vec<String>,
    /// Thresholds at the reference size; see `ThresholdScale`.
    pub thresholds: Thresholds,
    pub threshold_scale: ThresholdScale,
    pub max_key_group: usize,
    pub max_block: usize,
    /// Settings of older manifests lack it: then no date is common.
    #[serde(default)]
    pub common_date: CommonDate,
    /// Answers no likeness of names joins records across (`gate`); settings of 0.22 and
    /// before gated gender.
    #[serde(default = "crate::schema::gated_answers")]
    pub gated: Vec<String>,
}

impl LinkParams {
    pub fn from_spec(spec: &LinkageSpec) -> Self {
        LinkParams {
            fuzzy: true,
            match_keys: spec.match_keys.clone(),
            thresholds: spec.thresholds,
            threshold_scale: spec.threshold_scale,
            max_key_group: spec.max_key_group,
            max_block: spec.max_block,
            common_date: spec.common_date,
            gated: spec.gated_answers.clone(),
        }
    }
}

/// The clustering of records: the root of each record after the exact step and at the end.
pub struct Linkage {
    pub exact_roots: Vec<u32>,
    pub roots: Vec<u32>,
    pub exact: ExactStats,
    pub fuzzy: Option<FuzzyStats>,
    pub refused_pnr_merges: u64,
    pub exact_seconds: f64,
    pub fuzzy_seconds: f64,
    /// The thresholds used, after scaling to the number of records.
    pub thresholds: Thresholds,
}

pub fn link_records(r: &Records, p: &LinkParams) -> Linkage {
    let t = std::time::Instant::now();
    let mut clusters = Clusters::new(&r.match_keys[0]);
    let (common, common_values) = common::common_dates(r, &p.common_date);
    let gate = gate::Gate::new(r, &p.gated);
    let thresholds = p.thresholds.for_size(&p.threshold_scale, r.len());
    // Where the filters were read, one organisation's two records of one personal number may
    // be one person entered twice with a typo: the fuzzy step's evidence says so.
    let alike = |i: usize, j: usize| fuzzy::alike(r, (&gate, &common), &thresholds, i, j);
    let alike: Option<&dyn Fn(usize, usize) -> bool> = r.has_fuzzy_columns().then_some(&alike);
    let mut exact = exact::link_exact(
        r,
        &mut clusters,
        (&p.match_keys, &common),
        (p.max_key_group, &gate, alike),
    );
    exact.common_dates = (common_values, common.iter().filter(|c| **c).count() as u64);
    let exact_roots = clusters.roots();
    let exact_seconds = t.elapsed().as_secs_f64();
    // Records loaded for exact keys only (`load_for`) cannot take the fuzzy step.
    let fuzzy = (p.fuzzy && r.has_fuzzy_columns()).then(|| {
        fuzzy::link_fuzzy(
            r,
            &mut clusters,
            &thresholds,
            (p.max_block, &gate),
            (&exact.placeholders, &common),
        )
    });
    // Without the fuzzy step nothing changed since the exact roots were taken.
    let roots = if fuzzy.is_some() {
        clusters.roots()
    } else {
        exact_roots.clone()
    };
    let fuzzy_seconds = t.elapsed().as_secs_f64() - exact_seconds;
    Linkage {
        exact_roots,
        roots,
        exact,
        fuzzy,
        refused_pnr_merges: clusters.refused,
        exact_seconds,
        fuzzy_seconds,
        thresholds,
    }
}
