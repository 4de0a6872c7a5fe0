//! `safetally aggregate`: count every report table over the linked persons.

use super::skipped_note;
use std::path::PathBuf;

use anyhow::Context;
use safetally::run::{StageRun, aggregate_stage};
use safetally::stage::Workdir;
use safetally::tables::AggregateReport;

use super::{WorkArgs, load_schema};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub work: WorkArgs,
    /// The link stage's folder (default: WORK/03-link).
    #[arg(long)]
    pub input: Option<PathBuf>,
}

pub fn run(a: Args, progress: safetally::progress::Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let work = Workdir::new(&a.work.work)?;
    let input = a.input.unwrap_or_else(|| work.stage_dir(safetally::link::STAGE));
    let run = progress
        .while_running("aggregate", || {
            aggregate_stage(&schema, &work, &input, a.work.force)
        })
        .context("aggregation failed")?;
    print_outcome(&run);
    Ok(0)
}

pub fn print_outcome(run: &StageRun<AggregateReport>) {
    skipped_note("Aggregate", run.skipped, &run.dir, run.gone.as_deref());
    say!("{}", run.result.summary());
    say!(
        "The tables (internal, exact counts, not for publication) are in {}.",
        run.dir.display()
    );
}
