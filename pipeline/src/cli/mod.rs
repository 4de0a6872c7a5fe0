//! Command-line parsing and the error edge: library errors become a message with its cause
//! chain and an exit code; nothing here does pipeline work itself.

/// Prints a line to stdout, as `println!` does, but a stdout that cannot be written (a pipe
/// whose reader is gone: `safetally run ... | head -1`, a log pipe that died) loses the text,
/// not the work: `println!` panicked there, and the run stopped after its first stage with
/// exit 0 and nothing on stderr (an outside review).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod aggregate;
mod budget;
mod demo;
mod evaluate;
mod ingest;
mod journalist;
mod keygen;
mod link;
mod plan;
mod protect;
mod pseudonymise;
mod publish;
mod report;
mod run;
mod sample;
mod template;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code when a stage finished but some input files could not be read (2 is clap's, for
/// a wrong command line).
pub const EXIT_PARTIAL: u8 = 3;

#[derive(Parser)]
#[command(
    name = "safetally",
    version,
    about = "Turns many organisations' case records into statistics that are safe to publish.",
    long_about = "safetally validates each organisation's contact records, pseudonymises them, links \
persons across organisations, aggregates the report tables and protects them before publication.\n\n\
Stages write to a work directory, one folder each; a stage whose inputs did not change is skipped.",
    after_help = "Examples:\n  safetally demo\n  safetally sample --out my-sample --persons 5000\n  safetally ingest my-sample/submissions --work work\n  safetally keygen --out linkage.key\n  safetally pseudonymise --key linkage.key --work work\n  safetally link --work work\n  safetally aggregate --work work\n  safetally protect --mode exact --work work\n  safetally publish --work work --ledger platform-ledger --new-ledger\n  safetally run submissions/ --key linkage.key --work work --ledger platform-ledger"
)]
pub struct Cli {
    /// No progress bars (they are also hidden when output is not a terminal).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the pipeline on the bundled synthetic sample (data-samples/) and print what it found.
    #[command(after_help = "Example:\n  safetally demo\n  safetally demo --work /tmp/demo-work")]
    Demo(demo::Args),
    /// Generate a synthetic multi-organisation sample with its ground truth.
    #[command(
        after_help = "Examples:\n  safetally sample --out my-sample\n  safetally sample --out big --persons 1000000 --formats csv,parquet --seed 7"
    )]
    Sample(sample::Args),
    /// Validate a folder of submissions against the contract; write accepted rows, a quarantine and a report.
    #[command(
        after_help = "Example:\n  safetally ingest data-samples/submissions --work work\n\n\
Exit status: 0 when every file was read, 3 when some file could not be read (the others are ingested), 1 on error, 2 for a wrong command line."
    )]
    Ingest(ingest::Args),
    /// Make the linkage secret (once, by the key custodian); prints its fingerprint, never the key.
    #[command(after_help = "Example:\n  safetally keygen --out linkage.key")]
    Keygen(keygen::Args),
    /// At each organisation: replace identifiers by keyed match keys and encodings.
    #[command(after_help = "Example:\n  safetally pseudonymise --key linkage.key --work work")]
    Pseudonymise(pseudonymise::Args),
    /// At the platform: link all organisations' pseudonymised records into persons.
    #[command(
        after_help = "Example:\n  safetally link --work work\n  safetally link --work work --input received-files/"
    )]
    Link(link::Args),
    /// Measure linkage quality against a synthetic sample's ground truth.
    #[command(
        name = "evaluate-linkage",
        after_help = "Example:\n  safetally evaluate-linkage --key my.key --work work \\\n      --truth data-samples/truth/records.parquet --sweep"
    )]
    EvaluateLinkage(evaluate::Args),
    /// Count every report table over the linked persons (internal, exact counts).
    #[command(after_help = "Example:\n  safetally aggregate --work work")]
    Aggregate(aggregate::Args),
    /// Protect the tables: hide small counts and what would reveal them, then audit.
    #[command(
        after_help = "Examples:\n  safetally protect --mode exact --work work\n  safetally protect --mode exact --threshold 10 --work work\n  safetally protect --mode dp --work work --ledger platform-ledger"
    )]
    Protect(protect::Args),
    /// Write the release folder (CSV, Parquet, XLSX, methods note, manifest).
    #[command(
        after_help = "Example:\n  safetally publish --work work --ledger platform-ledger\n  safetally publish --work work --ledger platform-ledger --new-ledger   # the platform's first release"
    )]
    Publish(publish::Args),
    /// Every stage, from a folder of submissions to a release.
    #[command(
        after_help = "Example:\n  safetally keygen --out linkage.key\n  safetally run submissions/ --key linkage.key --work work --ledger platform-ledger --new-ledger\n  safetally run submissions/ --key linkage.key --work work --mode dp --ledger platform-ledger"
    )]
    Run(run::Args),
    /// Privacy budget: what the ledger says each report year spent and has left.
    #[command(
        after_help = "Example:\n  safetally budget --ledger safetally-ledger\n  safetally budget --ledger demo-work/ledger --year 2024"
    )]
    Budget(budget::Args),
    /// For journalists: a noised cross-tabulation and synthetic persons, with codebook and accuracy.
    #[command(
        name = "journalist-extract",
        after_help = "Example:\n  safetally journalist-extract --work work\n  safetally journalist-extract --work work --rho 0.2"
    )]
    JournalistExtract(journalist::Args),
    /// The XLSX template for member organisations: drop-down lists of the codes, a sheet per explanation.
    #[command(after_help = "Example:\n  safetally template --out mall-2025.xlsx")]
    Template(template::Args),
    /// A release as one self-contained bilingual HTML page with charts.
    #[command(
        after_help = "Example:\n  safetally report demo-work/06-release-dp\n  safetally report work/06-release --out rapport.html"
    )]
    Report(report::Args),
    /// Before spending: each table's share of rho, noise scale and 95% interval half-width.
    #[command(after_help = "Example:\n  safetally plan\n  safetally plan --rho 1.0")]
    Plan(plan::Args),
}

/// Where the stages write; shared by the commands that run stages.
#[derive(clap::Args, Debug, Clone)]
pub struct WorkArgs {
    /// Work directory: one folder per stage.
    #[arg(long, default_value = "work")]
    pub work: PathBuf,
    /// Redo every stage even when its inputs are unchanged.
    #[arg(long)]
    pub force: bool,
}

/// A closed pipe met by a print outside `say!` (none is left in the commands) ends the program
/// quietly instead of with a panic trace.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

pub fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    let progress = safetally::progress::Progress::new(cli.quiet);
    let result = match cli.command {
        Command::Demo(a) => demo::run(a, progress),
        Command::Sample(a) => sample::run(a, progress),
        Command::Ingest(a) => ingest::run(a, progress),
        Command::Keygen(a) => keygen::run(a),
        Command::Pseudonymise(a) => pseudonymise::run(a, progress),
        Command::Link(a) => link::run(a, progress),
        Command::EvaluateLinkage(a) => evaluate::run(a, progress),
        Command::Aggregate(a) => aggregate::run(a, progress),
        Command::Protect(a) => protect::run(a, progress),
        Command::Publish(a) => publish::run(a, progress),
        Command::Run(a) => run::run(a, progress),
        Command::Budget(a) => budget::run(a),
        Command::JournalistExtract(a) => journalist::run(a, progress),
        Command::Template(a) => template::run(a),
        Command::Report(a) => report::run(a),
        Command::Plan(a) => plan::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            let mut said = e.to_string();
            for cause in e.chain().skip(1) {
                // Errors that name their cause in their own message need not print it twice.
                let text = cause.to_string();
                if !said.contains(&text) {
                    eprintln!("  caused by: {text}");
                }
                said = text;
            }
            ExitCode::from(1)
        }
    }
}

/// A `--rho` on the command line: a positive number, or the command line is wrong (exit 2,
/// with the usage), as for any other bad option.
fn positive_rho(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        // Below the least usable rho it is as wrong a value as a negative one (exit 2, as an
        // outside review expected from the README), with the same advice the stages give.
        Ok(rho) if rho.is_finite() && rho > 0.0 => match safetally::protect::unusable_rho(rho) {
            Some(why) => Err(why),
            None => Ok(rho),
        },
        Ok(_) => {
            Err("rho must be a positive number (schemas/privacy.json's release_rho is the usual one)".into())
        }
        Err(e) => Err(format!("not a number ({e})")),
    }
}

/// A number of fictional organisations `sample` can write: two or more (or nobody is
/// reported twice), and no more than the member register's fictional ones.
fn sample_orgs(text: &str) -> Result<usize, String> {
    let n: usize = text.trim().parse().map_err(|e| format!("not a number ({e})"))?;
    let available = safetally::schema::load_embedded()
        .map(|s| {
            s.members
                .iter()
                .filter(|m| m.kind == safetally::schema::MemberKind::Sample)
                .count()
        })
        .map_err(|e| e.to_string())?;
    if n < 2 {
        return Err("at least 2, or nobody can be reported twice".into());
    }
    if n > available {
        return Err(format!(
            "at most {available}, the fictional sample organisations of the member register"
        ));
    }
    Ok(n)
}

/// A report year as ingest accepts one (1990 to this year): a year outside it has no records
/// and no ledger entry, so naming it is a mistake, not a question with the answer "unspent".
fn report_year(text: &str) -> Result<i32, String> {
    let this_year = safetally::dates::current_year();
    match text.trim().parse::<i32>() {
        Ok(y) if (1990..=this_year).contains(&y) => Ok(y),
        Ok(_) => Err(format!(
            "a report year from 1990 to this year ({this_year}): ingest quarantines the records of any other"
        )),
        Err(e) => Err(format!("not a year ({e})")),
    }
}

/// What every command prints when its stage was skipped because nothing changed, and when
/// files of the folder it read are gone since the stage before wrote them.
pub fn skipped_note(stage: &str, skipped: bool, dir: &std::path::Path, gone: Option<&str>) {
    if let Some(gone) = gone {
        eprintln!("warning: {gone}");
    }
    if skipped {
        say!(
            "{stage}: inputs unchanged since the last run; using {}",
            dir.display()
        );
    }
}

pub fn load_schema() -> anyhow::Result<safetally::schema::Schema> {
    Ok(safetally::schema::load_embedded()?)
}
