//! `safetally demo`: the whole pipeline, as far as it exists, on the bundled sample.

use std::path::PathBuf;

use anyhow::{Context, bail};
use safetally::ingest::IngestOptions;
use safetally::progress::Progress;
use safetally::run::ingest_stage;
use safetally::stage::Workdir;

use super::load_schema;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The bundled sample's submissions (found next to the sources when run from elsewhere).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Work directory for the demo's stages.
    #[arg(long, default_value = "demo-work")]
    pub work: PathBuf,
    /// Redo every stage even when its inputs are unchanged.
    #[arg(long)]
    pub force: bool,
}

fn bundled() -> Option<PathBuf> {
    let here = PathBuf::from("data-samples/submissions");
    let beside_sources = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    [here, beside_sources].into_iter().find(|p| p.is_dir())
}

pub fn run(a: Args, progress: Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let Some(input) = a.input.or_else(bundled) else {
        bail!(
            "cannot find the bundled sample (data-samples/submissions); run from the repository root or pass --input"
        );
    };
    let work = Workdir::new(&a.work)?;
    println!(
        "safetally demo: the bundled synthetic sample in {} (fictional organisations, no real person).\n",
        input.display()
    );
    println!("Stage 1 of the pipeline: ingest and validate every organisation's file.");
    let run = ingest_stage(
        &schema,
        &work,
        &input,
        &IngestOptions::default(),
        &progress,
        a.force,
    )
    .with_context(|| format!("ingest of {} failed", input.display()))?;
    super::ingest::print_outcome(&run.result, run.skipped, &run.dir);
    Ok(super::ingest::exit_code(&run.result))
}
