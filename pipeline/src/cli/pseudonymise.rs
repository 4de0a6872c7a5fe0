//! `safetally pseudonymise`: the step each organisation runs on its own machine.

use super::skipped_note;
use std::path::PathBuf;

use anyhow::Context;
use safetally::key::LinkageKey;
use safetally::progress::Progress;
use safetally::run::pseudonymise_stage;
use safetally::stage::Workdir;

use super::{WorkArgs, load_schema};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The linkage key file (from `safetally keygen`, shared by all organisations).
    #[arg(long)]
    pub key: PathBuf,
    #[command(flatten)]
    pub work: WorkArgs,
    /// Folder of validated files (default: WORK/01-ingest/validated).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The key was replaced on purpose: pseudonymise again under this key (without it, a key
    /// other than the one the work folder's records were pseudonymised under is refused).
    #[arg(long)]
    pub new_key: bool,
}

pub fn run(a: Args, progress: Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let key = LinkageKey::load(&a.key)?;
    let work = Workdir::new(&a.work.work)?;
    safetally::run::same_key_as_before(&work, &key, a.new_key)?;
    let input = a.input.unwrap_or_else(|| {
        work.stage_dir(safetally::ingest::STAGE)
            .join(safetally::ingest::VALIDATED_DIR)
    });
    let run = pseudonymise_stage(&schema, &work, &input, &key, &progress, a.work.force)
        .context("pseudonymisation failed")?;
    print_outcome(&run);
    Ok(0)
}

pub fn print_outcome(run: &safetally::run::StageRun<safetally::pseudonymise::PseudoReport>) {
    skipped_note("Pseudonymise", run.skipped, &run.dir, run.gone.as_deref());
    say!("{}", run.result.summary());
    say!(
        "These files are what the organisation sends to the platform: {}",
        run.dir.display()
    );
}
