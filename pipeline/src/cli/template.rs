//! `safetally template`: the XLSX the platform hands to its member organisations.

use std::path::PathBuf;

use anyhow::{Context, bail};

use super::load_schema;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the workbook.
    #[arg(long, default_value = "safetally-mall.xlsx")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    if a.out.exists() && !a.overwrite {
        bail!("{} exists; pass --overwrite to replace it", a.out.display());
    }
    safetally::template::write_template(&schema, &a.out)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    say!(
        "Wrote {}: sheet {} with one column per contract column and drop-down lists (Swedish labels), sheet {} explaining every column, sheet {} with the code lists. A file filled in from it can be sent as it is.",
        a.out.display(),
        safetally::template::DATA_SHEET,
        safetally::template::HELP_SHEET,
        safetally::template::CODES_SHEET
    );
    Ok(0)
}
