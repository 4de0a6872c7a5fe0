//! The journalists' extract stage: fitted to a DP release, spending from that release's own
//! ledger (never a fresh one), and remembering its draw so a rerun elsewhere is refused.

use std::path::Path;

use super::release::read_release_tables;
use super::{Done, StageRun, StageSpec, read_json, run_stage, to_value};
use crate::error::{LedgerUseError, ReleaseError, StageError, TableError};
use crate::protect::{self, ProtectReport};
use crate::schema::Schema;
use crate::stage::Workdir;
use crate::tables;

/// The ledger folder the extract spends from: one whose file of the year holds the DP
/// release's entry (`entry`), where the release recorded its noise (`release`, the file) unless
/// `given` names another holding it (the folder moved, or named through `..` or a link). Any
/// other is refused, and a missing ledger is never made afresh: the extract and the release
/// spend one year's budget, and a second ledger would let them overspend it unseen.
fn release_ledger(
    given: Option<&Path>,
    (release, entry): (&Path, &str),
    dp_dir: &Path,
) -> Result<std::path::PathBuf, StageError> {
    let recorded = release.parent().unwrap_or(release).to_path_buf();
    let folder = given.map_or_else(|| recorded.clone(), Path::to_path_buf);
    let year = safetally_dp::ledger::Ledger::year_of(release);
    // While the recorded ledger is there, only it will do (a backup copy holds the entry too,
    // and what the extract spent there the ledger would never see); once it is gone, a
    // folder holding the entry is where it moved.
    let same_file = |a: &Path, b: &Path| {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    };
    let holds_entry = year.is_some_and(|y| {
        let file = safetally_dp::ledger::Ledger::path_for(&folder, y);
        file.is_file()
            && (!release.exists() || same_file(&file, release))
            && safetally_dp::ledger::Ledger::open(&folder, y)
                .is_ok_and(|l| l.entries.iter().any(|e| e.entry_id == entry))
    });
    if holds_entry {
        return Ok(folder);
    }
    Err(LedgerUseError::NotTheReleaseLedger {
        release: dp_dir.to_path_buf(),
        given_exists: folder.exists(),
        given: folder,
        entry: entry.to_string(),
        recorded,
        recorded_exists: release.exists(),
    }
    .into())
}

/// What to tell when the work folder's journalists' extract was fitted to another DP release
/// than the one its protect folder holds now (a later `run --mode dp` made a new one): its
/// cross-tabulation's sums no longer equal the published tables, while its codebook says they
/// do, and nothing in its folder would show it (an outside review handed on such a pair).
pub fn stale_extract(work_root: &Path) -> Option<String> {
    let work = Workdir::new(work_root).ok()?;
    let folder = work.stage_dir(crate::journalist::STAGE);
    let manifest = work.manifest(crate::journalist::STAGE)?;
    let made_from = manifest.params.get("dp_release")?.as_str()?.to_string();
    // The release beside the linked persons the extract read: another folder's when it was
    // made with --input, which this folder's newer release does not make stale.
    let dp_dir = manifest
        .input_dir
        .as_deref()
        .map(|d| work_root.join(d))
        .and_then(|link| link.parent().map(|root| root.join(protect::STAGE_DP)))
        .unwrap_or_else(|| work.stage_dir(protect::STAGE_DP));
    let report: ProtectReport = read_json(&dp_dir.join(protect::REPORT_JSON)).ok()?;
    let now = report.dp?.ledger_entry;
    let input = if dp_dir == work.stage_dir(protect::STAGE_DP) {
        String::new()
    } else {
        format!(" --input {}", dp_dir.display())
    };
    (made_from != now && folder.is_dir()).then(|| {
        format!(
            "{} was fitted to an earlier DP release (ledger entry {made_from}), not to the one in {} now (entry {now}): its sums no longer equal the published tables. Make it again with `safetally journalist-extract --work {}{input}` (it spends rho from the year's budget), or delete the folder, before handing it on",
            folder.display(),
            dp_dir.display(),
            work_root.display()
        )
    })
}

/// When the DP release in `dp_dir` is not the one published beside it (a new draw made by
/// `protect --mode dp` and not yet published): the extract is fitted to the tables of
/// `dp_dir`, which no reader has then.
pub fn unpublished_release(dp_dir: &Path, fitted_to: &str) -> Option<String> {
    let root = dp_dir.parent()?;
    let published = root.join(crate::publish::STAGE_DP);
    let Ok(manifest) =
        read_json::<crate::publish::ReleaseManifest>(&published.join(crate::publish::MANIFEST))
    else {
        return Some(format!(
            "the extract is fitted to the DP release in {} (ledger entry {fitted_to}), which is not published yet ({} holds no release): publish it (`safetally publish --work {} --input {}`) before handing the extract on",
            dp_dir.display(),
            published.display(),
            root.display(),
            dp_dir.display()
        ));
    };
    let entry = manifest.dp?.ledger_entry;
    (entry != fitted_to).then(|| {
        format!(
            "the extract is fitted to the DP release in {} (ledger entry {fitted_to}), but {} publishes another (entry {entry}): the extract's sums equal tables no reader has. Publish the new release too (`safetally publish --work {} --input {}`) before handing the extract on",
            dp_dir.display(),
            published.display(),
            root.display(),
            dp_dir.display()
        )
    })
}

/// The journalists' extract from the linked persons, fitted to the DP release in `dp_dir`.
pub fn journalist_stage(
    schema: &Schema,
    work: &Workdir,
    dp_dir: &Path,
    params: &crate::journalist::ExtractParams,
    force: bool,
) -> Result<StageRun<crate::journalist::ExtractReport>, StageError> {
    // Before anything is recorded in the ledger (each part draws its own noise, from half of
    // the --rho typed, which the message names).
    let typed = params.rho_crosstab + params.rho_synthetic;
    for rho in [params.rho_crosstab, params.rho_synthetic] {
        if protect::unusable_rho(rho).is_some() {
            let why = protect::unusable_rho(typed).unwrap_or_else(|| {
                format!(
                    "--rho {}: each of its two parts (cross-tabulation, synthetic persons) must be at least {:e}, so the extract needs a rho of at least {:e}",
                    protect::readable(typed, 4),
                    protect::MIN_RHO,
                    typed * protect::MIN_RHO / rho
                )
            });
            return Err(ReleaseError::UnusableExtractRho { rho: typed, why }.into());
        }
    }
    let report: ProtectReport =
        read_json(&dp_dir.join(protect::REPORT_JSON)).map_err(|_| ReleaseError::NoDpRelease {
            dir: dp_dir.to_path_buf(),
        })?;
    let dp = report.dp.ok_or_else(|| ReleaseError::NotDpRelease {
        dir: dp_dir.to_path_buf(),
    })?;
    // The release must be of the persons as they are now, as `publish` checks, and must be
    // the files protect wrote, before the extract spends anything: fitted to a release of
    // earlier records, it would hand journalists sums that meet no table of the current ones.
    let root = dp_dir.parent().unwrap_or(work.root());
    let release_folder = Workdir::new(root)?;
    let unverified = super::upstream::upstream_current(&release_folder, dp_dir)?;
    super::upstream::upstream_intact(work, dp_dir, &super::hash_inputs(dp_dir)?)?;
    let params = &crate::journalist::ExtractParams {
        ledger: Some(release_ledger(
            params.ledger.as_deref(),
            (&dp.ledger, &dp.ledger_entry),
            dp_dir,
        )?),
        ..params.clone()
    };
    // The release named by --input may be another work folder's: its ledger must be the one
    // this work folder is bound to, or the extract of these persons would spend from another
    // folder's budget (an outside review's did, with this folder's own budget spent).
    if let Some(ledger) = &params.ledger {
        super::ledger::bind_ledger(work.root(), ledger)?;
    }
    let link_dir = root.join(crate::link::STAGE);
    let aggregate_dir = root.join(tables::STAGE);
    let spec = StageSpec {
        name: crate::journalist::STAGE,
        input: &link_dir,
        missing: "no linked persons here; run `safetally link` first",
        params: serde_json::json!({ "extract": to_value(params)?, "dp_release": dp.ledger_entry }),
        report_json: "extract-report.json",
    };
    // Where this work folder remembers its last extract's data and ledger (internal: the
    // data key hashes true counts), so that a rerun under another ledger is refused.
    let remembered = work.root().join(".journalist-draw.json");
    // (Older folders kept the data key and ledger as a pair.)
    let previous: Option<protect::dp::Drawn> = std::fs::read_to_string(&remembered).ok().and_then(|t| {
        serde_json::from_str(&t).ok().or_else(|| {
            serde_json::from_str::<(String, std::path::PathBuf)>(&t)
                .ok()
                .map(|(data_key, ledger)| protect::dp::Drawn {
                    data_key,
                    ledger,
                    ..Default::default()
                })
        })
    });
    let mut run = run_stage(schema, work, spec, force, |out| {
        let (agg, tables, published) = read_release_tables(schema, &aggregate_dir, dp_dir)?;
        let (persons, _) = tables::read_persons(schema, &link_dir.join(crate::link::PERSONS))?;
        let mut config = protect::DpConfig::load_embedded()?;
        // The release's own bar (`protect --threshold` may have changed it): what its hidden
        // cells are known to be below.
        config.suppress_below = dp.suppress_below;
        let year = agg.report_year.ok_or(TableError::NoReportYear)?;
        let report = crate::journalist::extract(
            &crate::journalist::ExtractInput {
                schema,
                tables: &tables,
                persons: &persons,
                year,
                published: &published,
                release_entry: &dp.ledger_entry,
                config: &config,
                params,
                ship_accuracy: agg.member_kind == "sample",
                previous: previous.clone(),
                recorded: super::ledger::recorded_entries(work.root(), year)?,
                drawn: &|id, seal| super::ledger::remember_entry(work.root(), year, id, seal),
            },
            out,
        )?;
        // A reused draw (an older folder's, drawn before entries were remembered) too.
        super::ledger::remember_entry(work.root(), year, &report.ledger_entry, &report.ledger_seal)?;
        let ledger =
            safetally_dp::ledger::Ledger::path_for(params.ledger.as_deref().unwrap_or(Path::new("")), year);
        let ledger = std::path::absolute(&ledger).unwrap_or(ledger);
        let drawn = protect::dp::Drawn {
            release_key: String::new(),
            data_key: report.data_key.clone(),
            ledger,
            entry_id: report.ledger_entry.clone(),
        };
        crate::stage::write_private(&remembered, super::to_json(&drawn)?.as_bytes())?;
        Ok(Done {
            summary: serde_json::json!({ "rho": report.rho, "synthetic_rows": report.synthetic_rows }),
            report,
        })
    })?;
    // What could not be checked of the release's own earlier stages (those of the persons
    // read were told by `run_stage`).
    if let Some(u) = unverified
        && !run.gone.as_deref().is_some_and(|g| g.contains(&u))
    {
        run.gone = super::warnings(Some(u), run.gone.take());
    }
    Ok(run)
}
