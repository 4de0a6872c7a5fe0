//! `safetally journalist-extract`: the noised cross-tabulation and synthetic persons for
//! journalists, with codebook and accuracy report, built on a DP release.

use super::skipped_note;
use std::path::PathBuf;

use anyhow::Context;
use safetally::journalist::{ExtractParams, ExtractReport};
use safetally::protect::DpConfig;
use safetally::run::{StageRun, journalist_stage};
use safetally::stage::Workdir;

use super::{WorkArgs, load_schema};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub work: WorkArgs,
    /// The DP release's protect folder (default: WORK/05-protect-dp).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The privacy ledger's folder (default: the one the DP release recorded its noise in; any
    /// other is refused, as both spend the year's budget).
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// Budget (rho) of the extract, split between the cross-tabulation and the synthetic
    /// persons as schemas/privacy.json does (default: that file's two shares).
    #[arg(long, allow_negative_numbers = true, value_parser = super::positive_rho)]
    pub rho: Option<f64>,
    /// Seed for sampling the synthetic persons (the noise never takes a seed).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn params(ledger: Option<PathBuf>, seed: u64, rho: Option<f64>) -> anyhow::Result<ExtractParams> {
    let cfg = DpConfig::load_embedded()?;
    let (c, s) = (cfg.journalist_rho_crosstab, cfg.journalist_rho_synthetic);
    let scale = match rho {
        None => 1.0,
        Some(r) if r.is_finite() && r > 0.0 => r / (c + s),
        Some(r) => anyhow::bail!(
            "--rho {r}: the extract's budget must be a number above 0 (its default is {})",
            c + s
        ),
    };
    Ok(ExtractParams {
        rho_crosstab: c * scale,
        rho_synthetic: s * scale,
        seed,
        ledger,
    })
}

pub fn run(a: Args, progress: safetally::progress::Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let work = Workdir::new(&a.work.work)?;
    let input = a
        .input
        .unwrap_or_else(|| work.stage_dir(safetally::protect::STAGE_DP));
    if let Some(ledger) = &a.ledger {
        safetally::run::bind_ledger_if_made(&work, &input, ledger)?;
    }
    let params = params(a.ledger, a.seed, a.rho)?;
    let run = progress
        .while_running("extract", || {
            journalist_stage(&schema, &work, &input, &params, a.work.force)
        })
        .context("the journalists' extract failed")?;
    print_outcome(&run);
    if let Some(unpublished) = safetally::run::unpublished_release(&input, &run.result.fitted_to) {
        eprintln!("warning: {unpublished}");
    }
    Ok(0)
}

pub fn print_outcome(run: &StageRun<ExtractReport>) {
    skipped_note("Journalist extract", run.skipped, &run.dir, run.gone.as_deref());
    let r = &run.result;
    // A skipped stage's report is the earlier run's: what it spent then, not now (an outside
    // review read "spent" after a rerun that spent nothing).
    let spent = format!("{:.3} of {:.3}", r.spent_after, r.year_rho_cap);
    let (what, budget) = if run.skipped {
        (
            "made by an earlier run (nothing spent now), which drew",
            format!(
                "the year's budget had {spent} spent after that run (`safetally budget` tells what is spent now)"
            ),
        )
    } else if r.reused {
        (
            "reused its stored draw (nothing spent):",
            format!("the year's budget has {spent} spent"),
        )
    } else {
        ("spent", format!("the year's budget has {spent} spent"))
    };
    say!(
        "Journalist extract {what} rho {:.3} (epsilon {:.2} at delta {:e}); {budget}. A noised cross-tabulation of {} cells ({} persons) and {} synthetic persons, with codebook.md and accuracy.md, are in {}.",
        r.rho,
        r.epsilon,
        r.delta,
        r.crosstab_cells,
        r.crosstab_total,
        r.synthetic_rows,
        run.dir.display()
    );
    if r.accuracy_shipped {
        let cells = |t| match t {
            Some(t) => safetally::journalist::tvd_cells(Some(t), "/"),
            None => "not applicable (no persons)".to_string(),
        };
        say!(
            "Accuracy against the sample (total variation distance, 1/2/3-way): synthetic {}, cross-tabulation {}.",
            cells(r.synthetic_vs_input.as_ref()),
            cells(r.crosstab_vs_input.as_ref())
        );
    }
}
