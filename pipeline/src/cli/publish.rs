//! `safetally publish`: the release folder from the protected tables.

use super::skipped_note;
use std::path::PathBuf;

use safetally::publish::ReleaseManifest;
use safetally::run::{StageRun, publish_stage};
use safetally::stage::Workdir;

use super::{WorkArgs, load_schema};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub work: WorkArgs,
    /// The protect stage's folder (default: every one the work folder has, WORK/05-protect
    /// and WORK/05-protect-dp, each into its own release folder).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The privacy ledger's folder, where every exact release is registered by year (a second
    /// exact release of a year with other figures is refused: the two could be subtracted).
    #[arg(long, default_value = "safetally-ledger")]
    pub ledger: PathBuf,
    /// Start a new ledger where --ledger says, for the platform's first release. Without it,
    /// a ledger folder that does not exist is refused: a new one forgets earlier releases.
    #[arg(long)]
    pub new_ledger: bool,
}

pub fn run(a: Args, progress: safetally::progress::Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let work = Workdir::new(&a.work.work)?;
    let inputs = match a.input {
        Some(i) => vec![i],
        None => {
            let both = [safetally::protect::STAGE, safetally::protect::STAGE_DP].map(|s| work.stage_dir(s));
            let found: Vec<PathBuf> = both.iter().filter(|d| d.is_dir()).cloned().collect();
            // Neither: the exact folder, whose absence publish_stage explains.
            if found.is_empty() {
                vec![both[0].clone()]
            } else {
                found
            }
        }
    };
    // Without anything to publish, that is the error to give: a missing work folder was
    // reported as a missing ledger.
    if inputs.iter().any(|i| i.is_dir()) {
        if let Some(note) = safetally::run::ledger_ready(&a.ledger, a.new_ledger)? {
            eprintln!("note: {note}");
        }
        safetally::run::check_ledger(work.root(), &a.ledger)?;
    }
    // Each protect folder on its own: a refused exact release (the year has another) must
    // not keep the DP release, whose budget is spent, from being written.
    let mut failed = Vec::new();
    for input in inputs {
        // A folder that is not there is publish_stage's to explain, not the ledger's.
        if input.is_dir() {
            safetally::run::bind_ledger_if_made(&work, &input, &a.ledger)?;
        }
        match progress.while_running("publish", || {
            publish_stage(&schema, &work, &input, Some(&a.ledger), a.work.force)
        }) {
            Ok(run) => print_outcome(&run),
            Err(e) => failed
                .push(anyhow::Error::new(e).context(format!("publication of {} failed", input.display()))),
        }
    }
    match failed.len() {
        0 => Ok(0),
        1 => Err(failed.remove(0)),
        n => {
            for e in &failed[1..] {
                eprintln!("error: {e:#}");
            }
            Err(failed.remove(0).context(format!("{n} publications failed")))
        }
    }
}

pub fn print_outcome(run: &StageRun<ReleaseManifest>) {
    skipped_note("Publish", run.skipped, &run.dir, run.gone.as_deref());
    say!(
        "Release {} is in {}: every table as CSV and Parquet (tables/), one workbook ({}), the comparison with official figures (tables/{}.csv), the methods note ({}) and manifest.json. Hand on the whole folder.",
        run.result.release_id,
        run.dir.display(),
        safetally::publish::WORKBOOK,
        safetally::publish::COMPARISON,
        safetally::publish::METHODS
    );
    if run.result.dp.is_some()
        && let Some(stale) = run.dir.parent().and_then(safetally::run::stale_extract)
    {
        eprintln!("warning: {stale}");
    }
}
