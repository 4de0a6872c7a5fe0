//! `safetally journalist-extract`: datasets journalists can slice themselves, derived only from
//! DP measurements: a noised cross-tabulation fitted to the published DP tables, synthetic
//! persons sampled from a model of noisy marginals, a codebook and an accuracy report. The
//! extract's rho is spent from the same yearly cap, through the same ledger.

mod model;
mod write;
mod xlsx;

pub use write::tvd_cells;

pub use model::{
    Target, crosstab, crosstab_records, marginals, marginals_sensitivity, postprocess_crosstab, records,
    sizes, synthesise,
};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use safetally_dp::budget::{Z95, epsilon_for, group_rho};
use safetally_dp::ledger::{Entry, Ledger};
use safetally_dp::synth::mean_tvd;
use sha2::{Digest, Sha256};

use crate::error::{InternalError, LedgerUseError, ReleaseError, StageError};
use crate::protect::{DpConfig, ProtectedTable};
use crate::schema::Schema;
use crate::tables::derive::{Deriver, Persons};
use crate::tables::{TOTAL, Tables};

pub const STAGE: &str = "07-journalist";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExtractParams {
    pub rho_crosstab: f64,
    pub rho_synthetic: f64,
    pub seed: u64,
    /// The privacy ledger's folder; None: the one the DP release recorded its noise in (the
    /// extract spends from the same year's budget, so any other is refused).
    pub ledger: Option<PathBuf>,
}

/// Mean total variation distance of 1-, 2- and 3-way marginals against a reference.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Tvd {
    pub one_way: f64,
    pub two_way: f64,
    pub three_way: f64,
}

impl Tvd {
    pub fn between(a: &[Vec<usize>], b: &[Vec<usize>], sizes: &[usize]) -> Self {
        Tvd {
            one_way: mean_tvd(a, b, sizes, 1),
            two_way: mean_tvd(a, b, sizes, 2),
            three_way: mean_tvd(a, b, sizes, 3),
        }
    }

    /// `None` when either side holds nobody: a distance between distributions needs persons
    /// on both, and the 0 the marginals give then read as a perfect match for an empty extract.
    pub fn of_extract(truth: &[Vec<usize>], extract: &[Vec<usize>], sizes: &[usize]) -> Option<Self> {
        (!truth.is_empty() && !extract.is_empty()).then(|| Tvd::between(truth, extract, sizes))
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExtractReport {
    /// Whether the stored draw was reused: kept out of the files (it would tell whether the
    /// data changed since an earlier extract).
    #[serde(skip)]
    pub reused: bool,
    /// A hash of the counts measured and the year, without the rho (internal, kept out of
    /// the files): the same data is never drawn again under another ledger.
    #[serde(skip)]
    pub data_key: String,
    /// The ledger entry's random id (the ledger's own key hashes true counts: never shipped).
    pub ledger_entry: String,
    /// The ledger entry of the DP release the extract was fitted to, which that release's
    /// manifest names: a reader can tell the extract of one release from another's.
    #[serde(default)]
    pub fitted_to: String,
    /// The entry's seal (`Ledger::seal_of`), which the work folder keeps (not written).
    #[serde(skip)]
    pub ledger_seal: String,
    pub year: i64,
    pub rho: f64,
    pub epsilon: f64,
    pub delta: f64,
    pub rho_crosstab: f64,
    pub rho_synthetic: f64,
    pub scale_crosstab: f64,
    pub scale_synthetic: f64,
    pub year_rho_cap: f64,
    /// The year's ledger after the extract: the DP release it was fitted to and any other
    /// release of the year included, what a reader of both is protected at.
    pub spent_after: f64,
    /// `spent_after` as epsilon at `delta` (the codebook gave the extract's own alone; a
    /// journalist who also reads the DP release is covered by the year's, an outside review
    /// found).
    #[serde(default)]
    pub spent_epsilon: f64,
    /// A person linkage split into this many clusters: the extract's and the year's epsilon
    /// for them (group privacy).
    #[serde(default)]
    pub group_size: u32,
    #[serde(default)]
    pub group_epsilon: f64,
    #[serde(default)]
    pub spent_group_epsilon: f64,
    pub seed: u64,
    pub crosstab_cells: usize,
    pub crosstab_total: u64,
    pub synthetic_rows: usize,
    /// The synthetic model's tree: (child, parent) dimension names.
    pub tree: Vec<(String, String)>,
    /// Against the data the extract was made from. Not differentially private: computed only
    /// for synthetic (sample) data, never for real members' data.
    pub synthetic_vs_input: Option<Tvd>,
    pub crosstab_vs_input: Option<Tvd>,
    pub accuracy_shipped: bool,
}

pub struct ExtractInput<'a> {
    pub schema: &'a Schema,
    pub tables: &'a Tables,
    pub persons: &'a Persons,
    pub year: i64,
    /// The published DP report tables, for the fit of the cross-tabulation's margins.
    pub published: &'a [ProtectedTable],
    /// The ledger entry of the DP release those tables are (`dp.ledger_entry` in its manifest).
    pub release_entry: &'a str,
    pub config: &'a DpConfig,
    pub params: &'a ExtractParams,
    pub ship_accuracy: bool,
    /// The extract this work folder drew before (its data key and ledger file), if any.
    pub previous: Option<crate::protect::dp::Drawn>,
    /// Every entry of the year this work folder drew from its ledger (see `protect::DpInput`).
    pub recorded: Vec<crate::protect::dp::Recorded>,
    /// Told the new entry's id and seal as soon as it is in the ledger, before anything is
    /// written that could fail: the work folder remembers them (`run::remember_entry`).
    pub drawn: &'a dyn Fn(&str, &str) -> Result<(), StageError>,
}

/// Measures (or reuses the ledgered measurement), post-processes and writes the extract.
pub fn extract(inp: &ExtractInput, out: &Path) -> Result<ExtractReport, StageError> {
    let t = &inp.tables.journalist;
    let deriver = Deriver::new(inp.schema);
    let recs = records(t, &deriver, inp.persons)?;
    let sz = sizes(t);
    let cross = crosstab(t, &recs);
    let margs = marginals(&sz, &recs);
    let p = inp.params;
    let scale_c = safetally_dp::scale_for_rho(1.0, p.rho_crosstab).map_err(dp_err)?;
    let scale_s = safetally_dp::scale_for_rho(marginals_sensitivity(&sz), p.rho_synthetic).map_err(dp_err)?;
    let key = release_key(&cross, &margs, p, inp.year);
    let dir = p.ledger.as_deref().ok_or(InternalError::LedgerNotResolved)?;
    let mut ledger = Ledger::open(dir, inp.year).map_err(StageError::from)?;
    let data = data_key(&cross, &margs, inp.year);
    let here = std::path::absolute(ledger.path()).unwrap_or_else(|_| ledger.path().to_path_buf());
    if ledger.find(&key).is_none()
        && let Some(prev) = &inp.previous
        && prev.data_key == data
        && prev.ledger != here
    {
        return Err(crate::protect::dp::drawn_under_another_ledger(
            "this extract was already drawn",
            &prev.ledger,
            &here,
        ));
    }
    crate::protect::dp::entry_lost(
        "this work folder's last journalists' extract",
        inp.previous.as_ref(),
        &here,
        &ledger,
    )?;
    crate::protect::dp::entries_lost(&inp.recorded, &here, &ledger)?;
    let (measured, reused, (entry_id, seal)) = match ledger.drawn(&key) {
        Some((m, id, seal)) => (m, true, (id, seal)),
        None => {
            let rho = p.rho_crosstab + p.rho_synthetic;
            ledger
                .check(rho, inp.config.year_rho_cap)
                .map_err(StageError::from)?;
            let (nc, _) = safetally_dp::noisy_counts(&cross, scale_c, 1.0).map_err(dp_err)?;
            let (nm, _) =
                safetally_dp::noisy_counts(&margs, scale_s, marginals_sensitivity(&sz)).map_err(dp_err)?;
            let m: BTreeMap<String, Vec<i64>> =
                [("J1".to_string(), nc), ("J1_marginals".to_string(), nm)].into();
            // The plan the ledger checks each line's rho against (an entry's rho that is not its
            // plan's is refused as edited): the cross-tabulation's share and the marginals'.
            let plan = safetally_dp::budget::plan(
                rho,
                &[
                    ("J1".to_string(), p.rho_crosstab, 1.0),
                    (
                        "J1_marginals".to_string(),
                        p.rho_synthetic,
                        marginals_sensitivity(&sz),
                    ),
                ],
            )
            .map_err(dp_err)?;
            let entry = Entry {
                measurements: m.clone(),
                tables: plan,
                ..Entry::now(
                    key.clone(),
                    inp.year,
                    inp.config.year_rho_cap,
                    rho,
                    inp.config.group_size,
                )
            };
            let id = entry.entry_id.clone();
            let seal = ledger.append(entry).map_err(StageError::from)?;
            (inp.drawn)(&id, &seal)?;
            (m, false, (id, seal))
        }
    };
    let get = |k: &str| {
        measured
            .get(k)
            .cloned()
            .ok_or_else(|| LedgerUseError::NoMeasurement {
                entry: key.to_string(),
                measurement: k.to_string(),
            })
    };
    let (noisy_c, noisy_m) = (get("J1")?, get("J1_marginals")?);
    let (mut targets, total) = targets(inp)?;
    let published = targets.clone();
    let hidden_below = inp.config.suppress_below as f64;
    model::fill_hidden_targets(&mut targets, &sz, &noisy_m, hidden_below);
    let covered: Vec<usize> = targets.iter().map(|t| t.dim).collect();
    targets.extend(model::noisy_one_way_targets(&sz, &noisy_m, &covered));
    let counts = postprocess_crosstab(
        t,
        (&noisy_c, &noisy_m),
        scale_c,
        (&targets, &published, hidden_below),
        total,
    );
    let (synth, edges) = synthesise(&sz, &noisy_m, total as usize, p.seed);
    let cross = write::crosstab(
        t,
        &counts,
        scale_c,
        &out.join("crosstab.csv"),
        &out.join("crosstab.parquet"),
    )?;
    let synthetic = write::synthetic(
        t,
        &synth,
        &out.join("synthetic.csv"),
        &out.join("synthetic.parquet"),
    )?;
    let rho = p.rho_crosstab + p.rho_synthetic;
    let report = ExtractReport {
        ledger_entry: entry_id,
        fitted_to: inp.release_entry.to_string(),
        ledger_seal: seal,
        reused,
        data_key: data,
        year: inp.year,
        rho,
        epsilon: epsilon_for(rho, inp.config.delta),
        delta: inp.config.delta,
        rho_crosstab: p.rho_crosstab,
        rho_synthetic: p.rho_synthetic,
        scale_crosstab: scale_c,
        scale_synthetic: scale_s,
        year_rho_cap: inp.config.year_rho_cap,
        spent_after: crate::publish::shown_rho(ledger.spent()),
        spent_epsilon: epsilon_for(ledger.spent(), inp.config.delta),
        group_size: inp.config.group_size,
        group_epsilon: epsilon_for(group_rho(rho, inp.config.group_size), inp.config.delta),
        spent_group_epsilon: epsilon_for(group_rho(ledger.spent(), inp.config.group_size), inp.config.delta),
        seed: p.seed,
        crosstab_cells: counts.len(),
        crosstab_total: total,
        synthetic_rows: synth.len(),
        tree: edges
            .iter()
            .map(|&(c, pa)| (t.dims[c].name.clone(), t.dims[pa].name.clone()))
            .collect(),
        synthetic_vs_input: inp
            .ship_accuracy
            .then(|| Tvd::of_extract(&recs, &synth, &sz))
            .flatten(),
        crosstab_vs_input: inp
            .ship_accuracy
            .then(|| Tvd::of_extract(&recs, &crosstab_records(t, &counts), &sz))
            .flatten(),
        accuracy_shipped: inp.ship_accuracy,
    };
    let codebook = write::codebook(inp.schema, inp.tables, &report, &out.join("codebook.md"))?;
    write::accuracy(&report, &out.join("accuracy.md"))?;
    xlsx::workbook(
        &out.join(xlsx::FILE),
        &codebook,
        &[
            xlsx::DataSheet {
                name: "Korstabell - Crosstab",
                file: "crosstab",
                header: &cross.header,
                rows: &cross.rows,
                numeric: &["persons"],
            },
            xlsx::DataSheet {
                name: "Syntetiska - Synthetic",
                file: "synthetic",
                header: &synthetic.header,
                rows: &synthetic.rows,
                numeric: &["synthetic_person"],
            },
        ],
    )?;
    Ok(report)
}

fn dp_err(e: safetally_dp::DpError) -> StageError {
    StageError::Dp {
        what: "journalists' extract".into(),
        source: e,
    }
}

/// The counts' hash and the year, without the rho: the same persons' extract, whatever is spent.
fn data_key(cross: &[i64], margs: &[i64], year: i64) -> String {
    let mut h = Sha256::new();
    h.update(b"journalist-extract-data");
    for v in cross.iter().chain(margs) {
        h.update(v.to_le_bytes());
    }
    h.update(year.to_le_bytes());
    hex::encode(h.finalize())
}

fn release_key(cross: &[i64], margs: &[i64], p: &ExtractParams, year: i64) -> String {
    let mut h = Sha256::new();
    h.update(b"journalist-extract");
    for v in cross.iter().chain(margs) {
        h.update(v.to_le_bytes());
    }
    h.update(p.rho_crosstab.to_le_bytes());
    h.update(p.rho_synthetic.to_le_bytes());
    h.update(year.to_le_bytes());
    hex::encode(h.finalize())
}

/// The published DP cells the cross-tabulation is fitted to, and its total (the published
/// population total of the first of them).
fn targets(inp: &ExtractInput) -> Result<(Vec<Target>, u64), StageError> {
    let t = &inp.tables.journalist;
    let mut out = Vec::new();
    let mut total = None;
    for &(ti, d) in &inp.tables.rake_to {
        let report = &inp.tables.tables[ti];
        let p = &inp.published[ti];
        let counts = t.dims[d]
            .domain
            .iter()
            .map(|c| {
                let cell = [(report.dims[0].name.clone(), c.code.clone())].into();
                report
                    .cell_index(&cell)
                    .and_then(|i| p.values[i])
                    .map(|v| v as f64)
            })
            .collect();
        out.push(Target { dim: d, counts });
        let grand = [(report.dims[0].name.clone(), TOTAL.to_string())].into();
        total = total.or_else(|| report.cell_index(&grand).and_then(|i| p.values[i]));
    }
    let total = total.ok_or(ReleaseError::NoPublishedTotal)?;
    Ok((out, total))
}

/// The 95% half-width of one noised cross-tabulation cell before post-processing.
pub fn half_width(scale: f64) -> f64 {
    Z95 * scale
}

/// Accuracy of the extract at a given budget on data with known truth (for the error-versus-
/// rho table): `reps` fresh draws, no ledger, the total taken from the noisy marginals.
/// Returns the mean TVD of the synthetic persons and of the cross-tabulation.
pub fn accuracy_at(
    schema: &Schema,
    tables: &Tables,
    persons: &Persons,
    rho: f64,
    reps: usize,
) -> Result<(Tvd, Tvd), StageError> {
    let t = &tables.journalist;
    let recs = records(t, &Deriver::new(schema), persons)?;
    let sz = sizes(t);
    let cross = crosstab(t, &recs);
    let margs = marginals(&sz, &recs);
    let (rc, rs) = (rho / 2.0, rho / 2.0);
    let scale_c = safetally_dp::scale_for_rho(1.0, rc).map_err(dp_err)?;
    let scale_s = safetally_dp::scale_for_rho(marginals_sensitivity(&sz), rs).map_err(dp_err)?;
    let (mut syn, mut crs) = (Tvd::default(), Tvd::default());
    for rep in 0..reps {
        let (nc, _) = safetally_dp::noisy_counts(&cross, scale_c, 1.0).map_err(dp_err)?;
        let (nm, _) =
            safetally_dp::noisy_counts(&margs, scale_s, marginals_sensitivity(&sz)).map_err(dp_err)?;
        let total = (0..sz[0]).map(|i| nm[i].max(0)).sum::<i64>().max(1) as u64;
        let targets = model::noisy_one_way_targets(&sz, &nm, &[]);
        let counts = postprocess_crosstab(t, (&nc, &nm), scale_c, (&targets, &[], 0.0), total);
        let (synth, _) = synthesise(&sz, &nm, total as usize, rep as u64 + 1);
        let s = Tvd::between(&recs, &synth, &sz);
        let c = Tvd::between(&recs, &crosstab_records(t, &counts), &sz);
        for (acc, x) in [(&mut syn, s), (&mut crs, c)] {
            acc.one_way += x.one_way / reps as f64;
            acc.two_way += x.two_way / reps as f64;
            acc.three_way += x.three_way / reps as f64;
        }
    }
    Ok((syn, crs))
}
