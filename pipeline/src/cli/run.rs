//! `safetally run`: every stage from a folder of submissions to a release.

use std::path::{Path, PathBuf};

use anyhow::Context;
use safetally::ingest::IngestOptions;
use safetally::key::LinkageKey;
use safetally::link::LinkParams;
use safetally::progress::Progress;
use safetally::run::{aggregate_stage, ingest_stage, link_stage, pseudonymise_stage, publish_stage};
use safetally::schema::{LinkageSpec, Schema};
use safetally::stage::Workdir;

use super::protect::ProtectArgs;
use super::{WorkArgs, load_schema};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Folder of the organisations' submissions (CSV, XLSX, Parquet).
    pub input: PathBuf,
    /// The linkage key file (made by `safetally keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// The platform replaced its key on purpose: link the work folder's submissions again
    /// under this key (without it, a key other than the one its records were pseudonymised
    /// under is refused).
    #[arg(long)]
    pub new_key: bool,
    #[command(flatten)]
    pub work: WorkArgs,
    #[command(flatten)]
    pub protect: ProtectArgs,
    #[command(flatten)]
    pub read: super::ingest::ReadArgs,
    /// Go on when many rows were quarantined (more than a fifth of a file's, or a tenth of
    /// all): the release then counts only the accepted rows. Without it, `run` stops after
    /// ingest, since so many are most likely one problem to fix in the file.
    #[arg(long)]
    pub accept_quarantine: bool,
}

pub fn run(a: Args, progress: Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let key = LinkageKey::load(&a.key)?;
    // Before any stage: the run ends by spending from the ledger or registering in it.
    if let Some(note) = safetally::run::ledger_ready(&a.protect.ledger, a.protect.new_ledger)? {
        eprintln!("note: {note}");
    }
    let work = Workdir::new(&a.work.work)?;
    // Refused now if the ledger may not be used, but bound only once protection starts.
    safetally::run::check_ledger(work.root(), &a.protect.ledger)?;
    safetally::run::same_key_as_before(&work, &key, a.new_key)?;
    work.lock()?;
    let code = stages(
        &schema,
        &work,
        (
            &a.input,
            &IngestOptions {
                linkage_key: Some(a.key.clone()),
                ..a.read.options()
            },
        ),
        &key,
        &a.protect,
        &progress,
        (a.work.force, a.accept_quarantine, false),
    )?;
    Ok(code)
}

/// Ingest to release, printing each stage's summary; returns the exit code. For the demo
/// (`synthetic_only`) real members' records are refused after ingest: the demo derives its key
/// from the files and spends from a ledger of its own, so real records run through it would be
/// published under neither the platform's key nor its budget (an outside review ran two
/// members' files through to releases so).
pub fn stages(
    schema: &Schema,
    work: &Workdir,
    (input, read): (&Path, &IngestOptions),
    key: &LinkageKey,
    protect: &ProtectArgs,
    progress: &Progress,
    (force, accept_quarantine, synthetic_only): (bool, bool, bool),
) -> anyhow::Result<u8> {
    say!("1. Ingest: validate every organisation's file.");
    let ingest = ingest_stage(schema, work, input, read, progress, force)
        .with_context(|| format!("ingest of {} failed", input.display()))?;
    super::ingest::print_outcome(&ingest.result, ingest.skipped, &ingest.dir);
    if synthetic_only {
        let real: Vec<&str> = ingest
            .result
            .orgs
            .keys()
            .filter(|o| {
                schema
                    .member(o)
                    .is_some_and(|m| m.kind == safetally::schema::MemberKind::Member)
            })
            .map(String::as_str)
            .collect();
        if !real.is_empty() {
            anyhow::bail!(
                "{} holds records of real member organisations ({}): the demo runs on synthetic sample files only (its key is made from the files and its budget is its own); for real records make a key once with `safetally keygen` and use `safetally run --key FILE --ledger FOLDER`",
                input.display(),
                real.join(", ")
            );
        }
    }
    if let Some(why) =
        safetally::run::stop_after_ingest(schema, &ingest.result, (&ingest.dir, input), accept_quarantine)
    {
        anyhow::bail!(why);
    }
    say!("\n2. Pseudonymise (key fingerprint {}).", key.fingerprint());
    let validated = ingest.dir.join(safetally::ingest::VALIDATED_DIR);
    let pseudo = pseudonymise_stage(schema, work, &validated, key, progress, force)
        .context("pseudonymisation failed")?;
    super::pseudonymise::print_outcome(&pseudo);
    say!("\n3. Link, at the platform: count each person once.");
    let params = LinkParams::from_spec(&LinkageSpec::load(schema)?);
    let link = link_stage(schema, work, &pseudo.dir, &params, progress, force).context("linkage failed")?;
    super::link::print_outcome(&link);
    say!("\n4. Aggregate the report tables (per person).");
    let agg = progress
        .while_running("aggregate", || aggregate_stage(schema, work, &link.dir, force))
        .context("aggregation failed")?;
    super::aggregate::print_outcome(&agg);
    say!(
        "\n5. Protect ({}).",
        match protect.mode {
            super::protect::Mode::Exact => "exact mode: hide small counts, then audit",
            super::protect::Mode::Dp => "differential privacy: noise under the year's budget",
        }
    );
    work.lock()?;
    safetally::run::bind_ledger(work.root(), &protect.ledger)?;
    let prot = progress.while_running("protect", || {
        super::protect::protect_with(schema, work, &agg.dir, protect, force)
    })?;
    super::protect::print_outcome(&prot);
    say!("\n6. Publish the release.");
    let rel = progress
        .while_running("publish", || {
            publish_stage(schema, work, &prot.dir, Some(&protect.ledger), force)
        })
        .context("publication failed")?;
    super::publish::print_outcome(&rel);
    Ok(super::ingest::exit_code(&ingest.result))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    /// The header's failure tells to pass --ignore-extra-columns; `run` did not take it (an
    /// outside review could only go on stage by stage).
    #[test]
    fn run_takes_the_reading_options_of_ingest() {
        let cli = super::super::Cli::try_parse_from([
            "safetally",
            "run",
            "in",
            "--key",
            "K",
            "--work",
            "W",
            "--ignore-extra-columns",
            "--sheet",
            "2024",
        ])
        .expect("parses");
        let super::super::Command::Run(a) = cli.command else {
            panic!("not run");
        };
        let opts = a.read.options();
        assert!(opts.ignore_extra_columns);
        assert_eq!(opts.sheet.name.as_deref(), Some("2024"));
    }
}
