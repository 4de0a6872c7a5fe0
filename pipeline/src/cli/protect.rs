//! `safetally protect`: hide small counts and whatever would reveal them, then audit.

use std::path::PathBuf;

use anyhow::Context;
use safetally::protect::ProtectReport;
use safetally::run::{PROTECT_REPORT_TXT, StageRun, protect_stage};
use safetally::stage::Workdir;
use safetally_dp::suppress::Params;

use super::{WorkArgs, load_schema};

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default)]
pub enum Mode {
    /// Small-count suppression with secondary suppression and an audit; no noise.
    #[default]
    Exact,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ProtectArgs {
    /// How the tables are protected.
    #[arg(long, value_enum, default_value_t = Mode::Exact)]
    pub mode: Mode,
    /// Counts from 1 to THRESHOLD-1 persons are hidden.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(2..))]
    pub threshold: u64,
    /// The narrowest range a reader may be able to narrow a hidden small count to (default: the threshold).
    #[arg(long)]
    pub protection: Option<u64>,
    /// Hide zeros too.
    #[arg(long)]
    pub suppress_zeros: bool,
}

impl ProtectArgs {
    pub fn params(&self) -> Params {
        Params {
            threshold: self.threshold,
            suppress_zeros: self.suppress_zeros,
            protection: self.protection.unwrap_or(self.threshold),
            secondary: true,
        }
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

pub fn run(a: Args) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let work = Workdir::new(&a.work.work)?;
    let input = a
        .input
        .unwrap_or_else(|| work.stage_dir(safetally::tables::STAGE));
    let run = protect_stage(&schema, &work, &input, &a.protect.params(), a.work.force)
        .context("protection failed")?;
    print_outcome(&run);
    Ok(0)
}

pub fn print_outcome(run: &StageRun<ProtectReport>) {
    if run.skipped {
        println!(
            "Protect: inputs unchanged since the last run; using {}",
            run.dir.display()
        );
    }
    println!("{}", run.result.summary());
    println!(
        "Per-table figures: {}/{PROTECT_REPORT_TXT} and protect-report.json.",
        run.dir.display()
    );
}
