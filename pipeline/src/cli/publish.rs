//! `safetally publish`: the release folder from the protected tables.

use super::skipped_note;
use std::path::PathBuf;

use anyhow::Context;
use safetally::publish::ReleaseManifest;
use safetally::run::{StageRun, publish_stage};
use safetally::stage::Workdir;

use super::{WorkArgs, load_schema};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub work: WorkArgs,
    /// The protect stage's folder (default: WORK/05-protect).
    #[arg(long)]
    pub input: Option<PathBuf>,
}

pub fn run(a: Args, progress: safetally::progress::Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let work = Workdir::new(&a.work.work)?;
    let input = a
        .input
        .unwrap_or_else(|| work.stage_dir(safetally::protect::STAGE));
    let run = progress
        .while_running("publish", || publish_stage(&schema, &work, &input, a.work.force))
        .context("publication failed")?;
    print_outcome(&run);
    Ok(0)
}

pub fn print_outcome(run: &StageRun<ReleaseManifest>) {
    skipped_note("Publish", run.skipped, &run.dir);
    println!(
        "Release {} is in {}: every table as CSV and Parquet (tables/), one workbook ({}), the comparison with official figures (tables/{}.csv), the methods note ({}) and manifest.json. Hand on the whole folder.",
        run.result.release_id,
        run.dir.display(),
        safetally::publish::WORKBOOK,
        safetally::publish::COMPARISON,
        safetally::publish::METHODS
    );
}
