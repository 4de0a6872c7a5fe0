//! `safetally ingest`: validate a folder of submissions.

use super::skipped_note;
use std::path::PathBuf;

use anyhow::Context;
use safetally::ingest::{IngestOptions, IngestReport, SheetChoice};
use safetally::progress::Progress;
use safetally::run::{REPORT_TXT, ingest_stage};
use safetally::stage::Workdir;

use super::{EXIT_PARTIAL, WorkArgs, load_schema};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder with the submissions (CSV, XLSX, Parquet), one or more files per organisation.
    pub input: PathBuf,
    #[command(flatten)]
    pub work: WorkArgs,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// How submissions are read; `ingest` and `run` take the same.
#[derive(clap::Args, Debug, Default)]
pub struct ReadArgs {
    /// Accept files with columns that are not in the contract (they are ignored and reported).
    #[arg(long)]
    pub ignore_extra_columns: bool,
    /// Leave out this column of the organisation's own, named by its header (repeat for
    /// several), without the checks of its cells that --ignore-extra-columns makes: for a
    /// column you know holds none of the contract's answers, such as a `Tolk behövs` of Ja and
    /// Nej, whose warning would otherwise repeat at every ingest. A contract column is refused.
    #[arg(long = "ignore-column", value_name = "HEADER")]
    pub ignore_columns: Vec<String>,
    /// Read only this sheet of every workbook, hidden or not (default: every visible sheet whose header has the required columns; hidden sheets are passed over and named in the report).
    #[arg(long)]
    pub sheet: Option<String>,
}

impl ReadArgs {
    pub fn options(&self) -> IngestOptions {
        IngestOptions {
            ignore_extra_columns: self.ignore_extra_columns,
            ignore_columns: self.ignore_columns.clone(),
            sheet: SheetChoice {
                name: self.sheet.clone(),
            },
            linkage_key: None,
        }
    }
}

pub fn run(a: Args, progress: Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let work = Workdir::new(&a.work.work)?;
    let opts = a.read.options();
    let run = ingest_stage(&schema, &work, &a.input, &opts, &progress, a.work.force)
        .with_context(|| format!("ingest of {} failed", a.input.display()))?;
    print_outcome(&run.result, run.skipped, &run.dir);
    Ok(exit_code(&run.result))
}

pub fn print_outcome(report: &IngestReport, skipped: bool, dir: &std::path::Path) {
    skipped_note("Ingest", skipped, dir, None);
    say!("{}", report.summary());
    say!(
        "Accepted rows are in {0}/validated, rejected rows with file, line, column and rule in {0}/quarantine \
         (ORG-problems.xlsx lists each organisation's problems for Excel); the full report is {0}/{REPORT_TXT}.",
        dir.display()
    );
    if let Some(notes) = report.files_with_notes() {
        say!("{notes}");
    }
}

pub fn exit_code(report: &IngestReport) -> u8 {
    if report.totals.failed_files > 0 {
        EXIT_PARTIAL
    } else {
        0
    }
}
