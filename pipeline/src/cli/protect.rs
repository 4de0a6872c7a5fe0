//! `safetally protect`: hide small counts and whatever would reveal them, then audit.

use super::skipped_note;
use std::path::PathBuf;

use anyhow::Context;
use safetally::protect::DpConfig;
use safetally::protect::ProtectReport;
use safetally::run::{DpRun, PROTECT_REPORT_TXT, StageRun, protect_stage, protect_stage_dp};
use safetally::stage::Workdir;
use safetally_dp::suppress::Params;

use super::{WorkArgs, load_schema};

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
pub enum Mode {
    /// Small-count suppression with secondary suppression and an audit; no noise.
    #[default]
    Exact,
    /// Differential privacy: OpenDP noise under the year's budget, recorded in the ledger.
    Dp,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ProtectArgs {
    /// How the tables are protected.
    #[arg(long, value_enum, default_value_t = Mode::Exact)]
    pub mode: Mode,
    /// Counts from 1 to THRESHOLD-1 persons are hidden (exact mode; in DP mode, noisy counts
    /// below it). Default: 5, or suppress_below in schemas/privacy.json in DP mode.
    #[arg(long, value_parser = at_least(2, "counts from 1 to THRESHOLD-1 are hidden, so a threshold below 2 hides nothing"))]
    pub threshold: Option<u64>,
    /// Exact mode: how many of the values 1 to THRESHOLD-1 a hidden small count must keep open
    /// for a reader who knows the rule and everything published (default 3; at most
    /// THRESHOLD-1, all of them).
    #[arg(long, value_parser = at_least(1, "a hidden small count keeps at least its own value open"))]
    pub protection: Option<u64>,
    /// Exact mode: hide zeros too.
    #[arg(long)]
    pub suppress_zeros: bool,
    /// Exact mode: protect the difference of two nested populations' published cells (T01's
    /// indirect persons minus T11's indirect children) as a small count too, hiding one of
    /// the two where it is one; may hide a headline total.
    #[arg(long)]
    pub protect_differences: bool,
    /// DP mode: the rho this release spends (default: release_rho in schemas/privacy.json).
    #[arg(long, allow_negative_numbers = true, value_parser = super::positive_rho)]
    pub rho: Option<f64>,
    /// The privacy ledger's folder (DP releases spend from it; `run` registers its exact
    /// release there). Keep it: it is the record of every release of the year.
    #[arg(long, default_value = "safetally-ledger")]
    pub ledger: PathBuf,
    /// Start a new ledger where --ledger says, for the platform's first release. Without it,
    /// a ledger folder that does not exist is refused: a new ledger forgets earlier releases.
    #[arg(long)]
    pub new_ledger: bool,
    /// DP mode: state the guarantee for a person split into this many clusters by linkage
    /// (default: group_size in schemas/privacy.json, from the measured miss rate; 1 to 1000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub group_size: Option<u32>,
}

impl ProtectArgs {
    pub fn dp_run(&self) -> anyhow::Result<DpRun> {
        let mut config = DpConfig::load_embedded()?;
        if self.protection.is_some() || self.suppress_zeros || self.protect_differences {
            anyhow::bail!(
                "--protection, --suppress-zeros and --protect-differences apply to exact mode; DP mode hides noisy counts below --threshold"
            );
        }
        if let Some(t) = self.threshold {
            config.suppress_below = t;
        }
        let rho = self.rho.unwrap_or(config.release_rho);
        if let Some(why) = safetally::protect::unusable_rho(rho) {
            anyhow::bail!(why);
        }
        Ok(DpRun {
            rho,
            group_size: self.group_size.unwrap_or(config.group_size).max(1),
            ledger: self.ledger.clone(),
            config,
        })
    }

    pub fn params(&self) -> anyhow::Result<Params> {
        let threshold = self.threshold.unwrap_or(Params::default().threshold);
        let (protection, warning) = Params::protection_for(threshold, self.protection)?;
        if let Some(w) = warning {
            eprintln!("warning: {w}");
        }
        Ok(Params {
            threshold,
            suppress_zeros: self.suppress_zeros,
            protection,
            secondary: true,
            differences: self.protect_differences,
        })
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub work: WorkArgs,
    #[command(flatten)]
    pub protect: ProtectArgs,
    /// The aggregate stage's folder (default: WORK/04-aggregate).
    #[arg(long)]
    pub input: Option<PathBuf>,
}

pub fn run(a: Args, progress: safetally::progress::Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let work = Workdir::new(&a.work.work)?;
    let input = a
        .input
        .unwrap_or_else(|| work.stage_dir(safetally::tables::STAGE));
    let run = progress.while_running("protect", || {
        protect_with(&schema, &work, &input, &a.protect, a.work.force)
    })?;
    print_outcome(&run);
    Ok(0)
}

/// Exact or DP protection of the aggregate stage's tables, as the arguments say.
pub fn protect_with(
    schema: &safetally::schema::Schema,
    work: &Workdir,
    input: &std::path::Path,
    a: &ProtectArgs,
    force: bool,
) -> anyhow::Result<StageRun<ProtectReport>> {
    Ok(match a.mode {
        Mode::Exact => {
            protect_stage(schema, work, input, &a.params()?, force).context("protection failed")?
        }
        Mode::Dp => {
            if let Some(note) = safetally::run::ledger_ready(&a.ledger, a.new_ledger)? {
                eprintln!("note: {note}");
            }
            safetally::run::bind_ledger_if_made(work, input, &a.ledger)?;
            protect_stage_dp(schema, work, input, &a.dp_run()?, force).context("DP protection failed")?
        }
    })
}

pub fn print_outcome(run: &StageRun<ProtectReport>) {
    skipped_note("Protect", run.skipped, &run.dir, run.gone.as_deref());
    if run.skipped {
        say!("{}", run.result.summary_of_earlier_run());
    } else {
        say!("{}", run.result.summary());
    }
    say!(
        "Per-table figures: {}/{PROTECT_REPORT_TXT} and protect-report.json.",
        run.dir.display()
    );
    if let Some(note) = run.result.dp.as_ref().and_then(|d| d.noise_dominates.as_ref()) {
        eprintln!("warning: {note}");
    }
}

/// A whole number of at least `least`, or an error that says why: clap's own said "1 is not in
/// 2..18446744073709551615".
fn at_least(least: u64, why: &'static str) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |s: &str| match s.trim().parse::<u64>() {
        Ok(v) if v >= least => Ok(v),
        Ok(_) => Err(format!("{why}: give {least} or more")),
        Err(_) => Err(format!("not a whole number: give {least} or more")),
    }
}
