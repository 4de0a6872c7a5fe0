//! `safetally link`: join all organisations' pseudonymised records into persons.

use super::skipped_note;
use std::path::PathBuf;

use anyhow::Context;
use safetally::link::LinkParams;
use safetally::progress::Progress;
use safetally::run::{LINK_REPORT_TXT, link_stage};
use safetally::schema::LinkageSpec;
use safetally::stage::Workdir;

use super::{WorkArgs, load_schema};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub work: WorkArgs,
    /// Folder of pseudonymised files from the organisations (default: WORK/02-pseudonymise).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Exact match keys only, without the error-tolerant step.
    #[arg(long)]
    pub exact_only: bool,
}

pub fn run(a: Args, progress: Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let spec = LinkageSpec::load(&schema)?;
    let work = Workdir::new(&a.work.work)?;
    let input = a
        .input
        .unwrap_or_else(|| work.stage_dir(safetally::pseudonymise::STAGE));
    let mut params = LinkParams::from_spec(&spec);
    params.fuzzy = !a.exact_only;
    let run =
        link_stage(&schema, &work, &input, &params, &progress, a.work.force).context("linkage failed")?;
    print_outcome(&run);
    Ok(0)
}

pub fn print_outcome(run: &safetally::run::StageRun<safetally::link::LinkReport>) {
    skipped_note("Link", run.skipped, &run.dir, run.gone.as_deref());
    say!("{}", run.result.summary());
    say!(
        "Persons and the record map are in {0}; the duplicate cross-check (T21, internal, exact counts) in {0}/T21_*.csv; the report is {0}/{LINK_REPORT_TXT}.",
        run.dir.display()
    );
}
