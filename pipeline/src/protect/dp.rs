//! `safetally protect --mode dp`: discrete Gaussian noise from OpenDP on every table's
//! measured cells, spent against the year's budget in the ledger (written and synced before
//! anything else), then post-processing. The same release made again reuses its stored draw.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use safetally_dp::budget::{Z95, epsilon_for, group_rho};
use safetally_dp::ledger::{Entry, Ledger};
use safetally_dp::suppress::Status;
use sha2::{Digest, Sha256};

use super::ProtectedTable;
use super::config::DpConfig;
use super::consistency::make_consistent;
use super::measure::{measured_cells, plan_tables};
use crate::error::{LedgerUseError, ReleaseError, StageError};
use crate::schema::Schema;
use crate::tables::derive::Deriver;
use crate::tables::{TableCells, Tables};

/// What a DP release spends and promises; also how far it is from the exact counts (internal).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct DpSummary {
    pub rho: f64,
    pub delta: f64,
    pub epsilon: f64,
    pub group_size: u32,
    pub group_rho: f64,
    pub group_epsilon: f64,
    pub year_rho_cap: f64,
    pub spent_before: f64,
    pub spent_after: f64,
    /// True when the release was made before and its stored draw was reused (nothing spent).
    pub reused: bool,
    pub release_key: String,
    /// A hash of the measured counts alone (the release key also covers the plan): the same
    /// data under another ledger is refused whatever rho is asked for. Internal, like the key.
    #[serde(default)]
    pub data_key: String,
    /// The ledger entry's random id: what the release cites (the key is a hash of true counts).
    pub ledger_entry: String,
    /// The entry's seal as drawn (`Ledger::seal_of`), which the work folder keeps (not written).
    #[serde(skip)]
    pub ledger_seal: String,
    pub ledger: PathBuf,
    pub plan: Vec<safetally_dp::budget::TablePlan>,
    /// Persons whose multi-valued codes were cut to the table's max_codes, per table.
    pub truncated_persons: BTreeMap<String, u64>,
    /// Mean absolute error of published inner cells against the exact counts. Internal:
    /// it is computed from the true counts and is not part of the release.
    pub mean_abs_error: BTreeMap<String, f64>,
    pub suppress_below: u64,
    /// Why the relations between tables could not all be met in this release (the solver
    /// failed, or no integers near the estimates fit them with every total held), if so.
    #[serde(default)]
    pub relations_unmet: Option<String>,
    /// Said when the noisy count of all persons is below every table's 95% half-width: each
    /// figure is then mostly noise (an outside review's release of one person showed 25
    /// organisation pairs of 7 persons each without a word). Decided on noisy values only.
    #[serde(default)]
    pub noise_dominates: Option<String>,
}

pub struct DpInput<'a> {
    pub schema: &'a Schema,
    pub tables: &'a Tables,
    /// The counts DP measures: multi-valued tables truncated to max_codes.
    pub measured: &'a [TableCells],
    /// The exact counts, for the internal error figures only.
    pub exact: &'a [TableCells],
    pub year: i64,
    pub config: &'a DpConfig,
    pub rho: f64,
    pub group_size: u32,
    pub ledger_dir: PathBuf,
    pub truncated_persons: BTreeMap<String, u64>,
    /// The release this work directory drew before (its release key, data key and ledger),
    /// if any: the same data is never drawn again under another ledger.
    pub previous: Option<Drawn>,
    /// Every entry of the year this work folder drew from its ledger (its releases and
    /// extracts): the ledger must still hold them all.
    pub recorded: Vec<Recorded>,
}

/// The measured counts' hash and the year, without the plan.
fn data_key(inp: &DpInput) -> String {
    let mut h = Sha256::new();
    for c in inp.measured {
        h.update(c.id.as_bytes());
        for v in &c.values {
            h.update(v.to_le_bytes());
        }
    }
    h.update(inp.year.to_le_bytes());
    hex::encode(h.finalize())
}

/// The release key: the measured counts' hash (so the same data is the same release) and
/// every parameter that shapes the draw.
fn release_key(inp: &DpInput, plan: &[safetally_dp::budget::TablePlan]) -> String {
    let mut h = Sha256::new();
    for c in inp.measured {
        h.update(c.id.as_bytes());
        for v in &c.values {
            h.update(v.to_le_bytes());
        }
    }
    h.update(serde_json::to_string(plan).unwrap_or_default().as_bytes());
    h.update(inp.year.to_le_bytes());
    hex::encode(h.finalize())
}

/// What a work folder drew before: the keys that tell whether data are the same, the ledger
/// file the draw was recorded in and its entry there (empty when not known: older folders).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Drawn {
    pub release_key: String,
    pub data_key: String,
    pub ledger: PathBuf,
    #[serde(default)]
    pub entry_id: String,
}

/// Refuses to draw when the ledger file the work folder's earlier draw was recorded in is this
/// one but no longer holds that entry (the file deleted, replaced by an older copy, or cut):
/// drawing again would publish a second noisy view of the same persons while the ledger shows
/// only one, or none, and averaging the two undoes the noise.
pub(crate) fn entry_lost(
    what: &str,
    previous: Option<&Drawn>,
    here: &Path,
    ledger: &Ledger,
) -> Result<(), StageError> {
    let Some(prev) = previous else {
        return Ok(());
    };
    if prev.entry_id.is_empty()
        || prev.ledger != here
        || ledger.entries.iter().any(|e| e.entry_id == prev.entry_id)
    {
        return Ok(());
    }
    Err(LedgerUseError::EntryGone {
        what: what.to_string(),
        ledger: here.to_path_buf(),
        entry: prev.entry_id.clone(),
        file_exists: here.exists(),
    }
    .into())
}

/// An entry a work folder drew from its ledger, with its seal as drawn (None: remembered by
/// safetally 0.21 or before, which kept the id only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: String,
    pub seal: Option<String>,
}

/// Refuses to draw when the ledger lacks an entry this work folder drew from it (`recorded`):
/// an older copy restored, or lines cut. `entry_lost` sees only the last draw of one kind; an
/// outside review restored the ledger of before an extract and drew a release again, spending
/// 1.5 of a cap of 1.0 while the ledger showed 1.0. An entry held but changed since it was
/// drawn (its rho lowered, or its noise replaced, both found by an outside review) is refused too.
pub(crate) fn entries_lost(recorded: &[Recorded], here: &Path, ledger: &Ledger) -> Result<(), StageError> {
    // The ledger's seal of each entry: None where it no longer holds the entry.
    let changed = |r: &&Recorded| {
        let now = ledger.seal_of(&r.id);
        r.seal
            .as_deref()
            .is_some_and(|kept| now.is_some_and(|now| now != kept))
    };
    if let Some(r) = recorded.iter().find(changed) {
        return Err(LedgerUseError::EntryChanged {
            ledger: here.to_path_buf(),
            entry: r.id.clone(),
        }
        .into());
    }
    let lost: Vec<String> = recorded
        .iter()
        .filter(|r| ledger.seal_of(&r.id).is_none())
        .map(|r| r.id.clone())
        .collect();
    if lost.is_empty() {
        return Ok(());
    }
    Err(LedgerUseError::EntriesLost {
        ledger: here.to_path_buf(),
        entries: lost,
    }
    .into())
}

/// The refusal of a second draw of the same data under another ledger than its first
/// (`what`: what was drawn before; both ledgers are files).
pub(crate) fn drawn_under_another_ledger(what: &str, first: &Path, here: &Path) -> StageError {
    LedgerUseError::DrawnUnderAnother {
        what: what.to_string(),
        first: first.to_path_buf(),
        here: here.to_path_buf(),
        first_exists: first.exists(),
    }
    .into()
}

pub fn protect_dp(inp: &DpInput) -> Result<(Vec<ProtectedTable>, DpSummary), StageError> {
    let plan = plan_tables(inp.tables, inp.config, inp.rho)?;
    let key = release_key(inp, &plan);
    let mut ledger = Ledger::open(&inp.ledger_dir, inp.year).map_err(StageError::from)?;
    let spent_before = ledger.spent();
    let here = std::path::absolute(ledger.path()).unwrap_or_else(|_| ledger.path().to_path_buf());
    let data = data_key(inp);
    if ledger.find(&key).is_none()
        && let Some(prev) = &inp.previous
        && (prev.release_key == key || prev.data_key == data)
        && prev.ledger != here
    {
        return Err(drawn_under_another_ledger(
            "these tables were already released",
            &prev.ledger,
            &here,
        ));
    }
    entry_lost(
        "this work folder's last DP release",
        inp.previous.as_ref(),
        &here,
        &ledger,
    )?;
    entries_lost(&inp.recorded, &here, &ledger)?;
    let (measurements, reused, (entry_id, seal)) = match ledger.drawn(&key) {
        Some((m, id, seal)) => (m, true, (id, seal)),
        None => {
            ledger
                .check(inp.rho, inp.config.year_rho_cap)
                .map_err(StageError::from)?;
            let m = draw(inp, &plan)?;
            let entry = Entry {
                tables: plan.clone(),
                measurements: m.clone(),
                ..Entry::now(
                    key.clone(),
                    inp.year,
                    inp.config.year_rho_cap,
                    plan.iter().map(|p| p.rho).sum(),
                    inp.group_size,
                )
            };
            let id = entry.entry_id.clone();
            let seal = ledger.append(entry).map_err(StageError::from)?;
            (m, false, (id, seal))
        }
    };
    let noisy: Vec<Vec<i64>> = inp
        .tables
        .tables
        .iter()
        .map(|t| {
            measurements.get(t.id()).cloned().ok_or_else(|| {
                StageError::from(LedgerUseError::NoMeasurement {
                    entry: key.to_string(),
                    measurement: t.id().to_string(),
                })
            })
        })
        .collect::<Result<_, _>>()?;
    let scales: Vec<f64> = plan.iter().map(|p| p.scale).collect();
    let deriver = Deriver::new(inp.schema);
    let (protected, relations_unmet) =
        release_tables_noted(inp.tables, &deriver, &noisy, &scales, inp.config.suppress_below);
    let rho: f64 = plan.iter().map(|p| p.rho).sum();
    let noise_dominates = noise_dominates(inp.tables, &protected, &plan);
    let summary = DpSummary {
        rho,
        delta: inp.config.delta,
        epsilon: epsilon_for(rho, inp.config.delta),
        group_size: inp.group_size,
        group_rho: group_rho(rho, inp.group_size),
        group_epsilon: epsilon_for(group_rho(rho, inp.group_size), inp.config.delta),
        year_rho_cap: inp.config.year_rho_cap,
        spent_before,
        spent_after: ledger.spent(),
        reused,
        release_key: key,
        data_key: data,
        ledger_entry: entry_id,
        ledger_seal: seal,
        ledger: here,
        plan,
        truncated_persons: inp.truncated_persons.clone(),
        mean_abs_error: mean_abs_error(inp, &protected),
        suppress_below: inp.config.suppress_below,
        relations_unmet,
        noise_dominates,
    };
    Ok((protected, summary))
}

/// The warning of `DpSummary::noise_dominates`, from the published (noisy) total of the
/// table of all persons.
fn noise_dominates(
    tables: &Tables,
    protected: &[ProtectedTable],
    plan: &[safetally_dp::budget::TablePlan],
) -> Option<String> {
    let all = tables
        .tables
        .iter()
        .position(|t| t.spec.population.conditions.is_empty())?;
    let total = protected.get(all)?.values[tables.tables[all].grand_total()]?;
    let least = plan.iter().map(|p| p.half_width_95).fold(f64::INFINITY, f64::min);
    (least.is_finite() && (total as f64) < least).then(|| {
        format!(
            "the release counts about {total} persons, fewer than the 95% interval of any table's cells is wide on either side (±{least:.0} at the least): every figure is mostly noise and says little about so few persons. An exact-mode release (small counts hidden) or a larger rho may serve better"
        )
    })
}

/// One OpenDP draw per table, checked against the plan by OpenDP's own privacy map.
fn draw(
    inp: &DpInput,
    plan: &[safetally_dp::budget::TablePlan],
) -> Result<BTreeMap<String, Vec<i64>>, StageError> {
    let mut out = BTreeMap::new();
    for ((t, cells), p) in inp.tables.tables.iter().zip(inp.measured).zip(plan) {
        let vector: Vec<i64> = measured_cells(t)
            .iter()
            .map(|&i| cells.values[i] as i64)
            .collect();
        let (noisy, rho) =
            safetally_dp::noisy_counts(&vector, p.scale, p.sensitivity).map_err(|source| StageError::Dp {
                what: format!("table {}", t.id()),
                source,
            })?;
        if rho > p.rho * (1.0 + 1e-6) {
            return Err(ReleaseError::RhoOverPlan {
                table: t.id().to_string(),
                stated: rho,
                planned: p.rho,
            }
            .into());
        }
        out.insert(t.id().to_string(), noisy);
    }
    Ok(out)
}

/// Everything after the draw: consistency, integers, totals, intervals, and small noisy cells
/// hidden. A function of the noisy measurements only (post-processing).
pub fn release_tables(
    tables: &Tables,
    deriver: &Deriver,
    noisy: &[Vec<i64>],
    scales: &[f64],
    suppress_below: u64,
) -> Vec<ProtectedTable> {
    release_tables_noted(tables, deriver, noisy, scales, suppress_below).0
}

/// `release_tables`, with why the relations between tables could not all be met, if so.
pub fn release_tables_noted(
    tables: &Tables,
    deriver: &Deriver,
    noisy: &[Vec<i64>],
    scales: &[f64],
    suppress_below: u64,
) -> (Vec<ProtectedTable>, Option<String>) {
    let mut c = make_consistent(tables, deriver, noisy, scales);
    let same = super::consistency::same_numbers(tables, deriver);
    let raw = super::consistency::raw_estimates(tables, noisy, scales, &same);
    super::consistency::one_scale_per_number(&same, &raw, &mut c.scales);
    (
        publishable(tables, suppress_below, (&c.values, &c.scales), &raw),
        c.unmet,
    )
}

/// Published values with scale and 95% interval; small noisy inner cells hidden (decided on
/// the noisy value only). The interval spans the published value's and the raw estimate's
/// (`raw_estimates`): the raw one alone holds the true count 95 times in 100, which the
/// fitted one did not where the fit leans on a relation that holds with equality (T17's
/// `yes` in 82 of 100 releases, an outside review), and a span of both holds it at least as
/// often. Post-processing too: the raw estimates are noisy measurements.
fn publishable(
    tables: &Tables,
    suppress_below: u64,
    (values, scales): (&[Vec<u64>], &[Vec<f64>]),
    raw: &[Vec<Option<(f64, f64)>>],
) -> Vec<ProtectedTable> {
    tables
        .tables
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            let n = t.n_cells();
            let mut p = ProtectedTable::empty(t.id(), n);
            for i in 0..n {
                let v = values[ti][i];
                let s = scales[ti][i];
                p.scale[i] = Some(s);
                if v > 0 && v < suppress_below && !t.is_margin(i) {
                    p.status[i] = Status::Primary;
                    continue;
                }
                p.values[i] = Some(v);
                let (mut lo, mut hi) = (v as f64 - Z95 * s, v as f64 + Z95 * s);
                if let Some((r, sr)) = raw[ti][i] {
                    lo = lo.min(r - Z95 * sr);
                    hi = hi.max(r + Z95 * sr);
                }
                p.lower[i] = Some(lo.floor().max(0.0) as u64);
                p.upper[i] = Some(hi.ceil() as u64);
            }
            p
        })
        .collect()
}

fn mean_abs_error(inp: &DpInput, protected: &[ProtectedTable]) -> BTreeMap<String, f64> {
    inp.tables
        .tables
        .iter()
        .zip(protected)
        .zip(inp.exact)
        .map(|((t, p), e)| {
            let errs: Vec<f64> = (0..t.n_cells())
                .filter(|&i| !t.is_margin(i))
                .filter_map(|i| p.values[i].map(|v| (v as f64 - e.values[i] as f64).abs()))
                .collect();
            let mae = if errs.is_empty() {
                0.0
            } else {
                errs.iter().sum::<f64>() / errs.len() as f64
            };
            (t.id().to_string(), mae)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The warning is given where the noisy count of all persons is below every table's 95%
    /// half-width, and not where it is above; it never names a true count (it has none).
    #[test]
    fn a_release_of_fewer_persons_than_its_noise_says_so() {
        let schema = crate::schema::load_embedded().expect("schema");
        let tables = crate::tables::load_tables(&schema, &crate::schema::MemberKind::Sample).expect("tables");
        let config = DpConfig::load_embedded().expect("config");
        let plan = plan_tables(&tables, &config, config.release_rho).expect("plan");
        let least = plan.iter().map(|p| p.half_width_95).fold(f64::INFINITY, f64::min);
        let with_total = |n: u64| -> Vec<ProtectedTable> {
            tables
                .tables
                .iter()
                .map(|t| {
                    let mut p = ProtectedTable::empty(t.id(), t.n_cells());
                    p.values[t.grand_total()] = Some(n);
                    p
                })
                .collect()
        };
        let few = (least as u64).saturating_sub(1);
        let note = noise_dominates(&tables, &with_total(few), &plan).expect("few persons");
        assert!(
            note.contains(&format!("about {few} persons")) && note.contains("mostly noise"),
            "{note}"
        );
        assert_eq!(
            noise_dominates(&tables, &with_total(least as u64 + 1), &plan),
            None
        );
    }
}
