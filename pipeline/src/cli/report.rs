//! `safetally report RELEASE`: the release as one self-contained bilingual HTML page.

use std::path::PathBuf;

use anyhow::Context;

use super::load_schema;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A release folder (made by `safetally publish`).
    pub release: PathBuf,
    /// Where the page goes (default: beside the release, RELEASE-report.html).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let out = a
        .out
        .unwrap_or_else(|| safetally::report::default_path(&a.release));
    write(&schema, &a.release, &out)?;
    Ok(0)
}

pub fn write(
    schema: &safetally::schema::Schema,
    release: &std::path::Path,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    safetally::report::write_report(schema, release, out)
        .with_context(|| format!("cannot make the report of {}", release.display()))?;
    say!(
        "Report: {} (one self-contained page, Swedish and English; open it in a browser). For a PNG: chromium --headless --no-sandbox --screenshot=report.png --window-size=1200,4000 {}",
        out.display(),
        out.display()
    );
    Ok(())
}
