//! Ingest: reads every submission in a folder, validates each row against the contract and
//! writes, per organisation, the accepted rows and a quarantine of the rejected ones with file,
//! line, column, rule and value. Rows in = accepted + quarantined, always.

mod decimals;
mod decode;
mod fields;
mod first_pass;
mod header;
mod ignored;
mod notes;
mod numbering;
mod open;
mod parquet_pages;
mod read;
mod read_parquet;
mod reordered;
mod report;
mod second_pass;
mod shown;
mod sinks;
mod template;
mod validate;
mod xlsx;

pub use notes::mixed_kinds;
pub use read::SheetChoice;
pub use report::{FileOutcome, IngestReport, OrgCounts};
pub use validate::truncate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{FileError, StageError, WorkFolderError};
use crate::parquet_io::Kind;
use crate::progress::Progress;
use crate::schema::Schema;
use first_pass::{Indexed, index_file, recheck_table};
use notes::{run_warnings, same_content};
use second_pass::{Links, validate_file};
use sinks::Sinks;
use validate::Validator;

pub const STAGE: &str = "01-ingest";
pub const VALIDATED_DIR: &str = "validated";
pub const QUARANTINE_DIR: &str = "quarantine";
const UNATTRIBUTED: &str = "UNATTRIBUTED";

#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    pub ignore_extra_columns: bool,
    /// Columns of the organisation's own to leave out by their header, without the checks of
    /// their cells that --ignore-extra-columns makes (`--ignore-column`).
    pub ignore_columns: Vec<String>,
    pub sheet: SheetChoice,
    /// The key file `run` was given (--key), so that the file is named as that key when it
    /// was left among the submissions. Not a reading option: the stage's inputs ignore it.
    pub linkage_key: Option<PathBuf>,
}

/// Refuses `--ignore-column` naming a contract column (by its name or one of its headers), or
/// naming nothing (a blank name).
pub fn refuse_asked_contract_columns(schema: &Schema, opts: &IngestOptions) -> Result<(), StageError> {
    if let Some(blank) = opts
        .ignore_columns
        .iter()
        .find(|a| header::asked_key(a).is_empty())
    {
        return Err(StageError::LeaveOutBlank { given: blank.clone() });
    }
    match header::asked_contract_column(schema, &opts.ignore_columns) {
        Some((given, column)) => Err(StageError::LeaveOutContractColumn {
            given: given.to_string(),
            column: column.to_string(),
        }),
        None => Ok(()),
    }
}

/// Extensions ingest reads; every other visible file is reported as skipped, never ignored.
pub fn is_submission(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(
        ext.as_deref(),
        Some("csv" | "txt" | "tsv" | "xlsx" | "xlsm" | "parquet")
    )
}

/// The columns of a validated file: the contract's, then where each row came from.
pub fn validated_columns(schema: &Schema) -> Vec<(&str, Kind)> {
    let mut cols: Vec<(&str, Kind)> = schema
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                if c.name == "report_year" {
                    Kind::Int
                } else {
                    Kind::Str
                },
            )
        })
        .collect();
    cols.push(("source_file", Kind::Str));
    cols.push(("source_line", Kind::Int));
    cols
}

/// Ingests every submission in `input` into `out` (a staging folder) and reports. Two passes:
/// the first reads every file for its record ids (so that a record sent in two files, or an
/// indirect row pointing into another file, is seen), the second validates and writes.
pub fn ingest_folder(
    schema: &Schema,
    input: &Path,
    out: &Path,
    opts: &IngestOptions,
    progress: &Progress,
) -> Result<IngestReport, StageError> {
    ingest_passes(schema, input, out, opts, &progress.bar(0, "ingest"))
}

/// `ingest_folder` under a progress bar that counts each pass on its own: the files read in the
/// first, the tables checked in the second (a workbook's sheets are tables; a file that could
/// not be read has none). One bar of twice the files stood at 0/50 for 25 files, and at the
/// end short of its length by every file that could not be read.
fn ingest_passes(
    schema: &Schema,
    input: &Path,
    out: &Path,
    opts: &IngestOptions,
    bar: &indicatif::ProgressBar,
) -> Result<IngestReport, StageError> {
    refuse_asked_contract_columns(schema, opts)?;
    let entries = crate::stage::list_entries(input)?;
    if entries.is_empty() {
        return Err(WorkFolderError::NothingToRead {
            path: input.to_path_buf(),
            problem: "no files to ingest",
        }
        .into());
    }
    let mut report = IngestReport::new(&schema.version);
    let mut sinks = Sinks {
        out: out.to_path_buf(),
        validated: HashMap::new(),
        quarantine: HashMap::new(),
        problems: HashMap::new(),
    };
    let mut v = Validator::new(schema).map_err(StageError::from)?;
    bar.set_length(entries.len() as u64);
    let mut opened = Vec::new();
    for entry in &entries {
        bar.set_message(format!("reading {}", file_label(input, &entry.path)));
        match entry.problem {
            Some(what) => {
                let e = FileError::NotAFile {
                    path: entry.path.clone(),
                    what,
                };
                report.files.push(failed(input, &entry.path, e.to_string()));
            }
            None => opened.extend(index_file(
                schema,
                input,
                &entry.path,
                opts,
                &mut v,
                &mut report.files,
            )),
        }
        bar.inc(1);
    }
    let again = v.files_to_recheck();
    for f in opened.iter().filter(|f| again.contains(&f.number)) {
        bar.set_message(format!("reading {} again (ids written two ways)", f.label));
        recheck_table(schema, f, opts, &mut v);
    }
    v.settle_rechecks();
    bar.reset();
    bar.set_length(opened.len() as u64);
    let mut links = Links::default();
    for f in &opened {
        bar.set_message(format!("checking {}", f.label));
        links.file = report.files.len();
        let outcome = validate_file(schema, f, opts, &v, (&mut sinks, &mut links), &mut report.orgs)?;
        report.files.push(outcome);
        bar.inc(1);
    }
    links.note_dangling(&mut report.files);
    bar.finish_and_clear();
    report.files.sort_by(|a, b| a.file.cmp(&b.file));
    sinks.finish(schema)?;
    report.close();
    report.rules = report
        .orgs
        .values()
        .flat_map(|c| c.by_rule.keys())
        .filter_map(|id| {
            schema
                .rule(id)
                .map(|r| (id.clone(), (r.sv.clone(), r.en.clone())))
        })
        .collect();
    report.warnings = run_warnings(&report);
    report.warnings.extend(mixed_kinds(schema, &report));
    let (same, identical) = same_content(input, &entries, &report.files);
    report.warnings.extend(same);
    report.hidden_files = crate::stage::hidden_submissions(input)
        .iter()
        .map(|p| p.strip_prefix(input).unwrap_or(p).display().to_string())
        .collect();
    if !report.hidden_files.is_empty() {
        report.warnings.push(format!(
            "{} hidden file(s) not read: {} (a name starting with '.' or '~$', or a hidden folder, is hidden by file managers, and such files are passed over as lock files and system files are). If one holds an organisation's records, rename it without the '.' or '~$' (or move it out of the hidden folder) and run again; otherwise move it out of the folder of submissions",
            report.hidden_files.len(),
            report.hidden_named()
        ));
    }
    report.warnings.extend(v.copies(&identical));
    report
        .warnings
        .extend(asked_not_found(&opts.ignore_columns, &report.files));
    Ok(report)
}

/// A name to leave out (`--ignore-column`) that no table has among its headers: a slip of
/// spelling leaves the column it meant refused or warned of, and the user who named it should
/// hear why. A table refused may have had the name (an outside review's refused file had it,
/// and the run told the user to check a spelling that was right), so the warning then names
/// the files not read and says the name may be theirs, rather than waiting until they read.
fn asked_not_found(asked: &[String], files: &[FileOutcome]) -> Vec<String> {
    let refused: Vec<&str> = files
        .iter()
        .filter(|f| f.error.is_some())
        .map(|f| f.file.as_str())
        .collect();
    // A table lists every name given that matches one of its headers, as given.
    let found = |a: &String| files.iter().any(|f| f.asked_found.contains(a));
    // Names alike but for case and spaces are one name, told once.
    let mut seen = std::collections::BTreeSet::new();
    asked
        .iter()
        .filter(|a| seen.insert(header::asked_key(a)))
        .filter(|a| !found(a))
        .map(|a| {
            let head = format!(
                "--ignore-column {} names no column of any file read (headers are compared with case and runs of spaces aside), so nothing was left out for it",
                shown::quoted(a)
            );
            if refused.is_empty() {
                format!("{head}: check its spelling against the header of the file that has the column")
            } else {
                format!(
                    "{head}; {} file(s) could not be read ({}) and may have it: once they read, check its spelling if this warning stays",
                    refused.len(),
                    refused.join(", ")
                )
            }
        })
        .collect()
}

fn file_label(input: &Path, path: &Path) -> String {
    path.strip_prefix(input)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn failed(input: &Path, path: &Path, error: String) -> FileOutcome {
    let mut outcome = FileOutcome::new(&file_label(input, path));
    outcome.error = Some(error);
    outcome
}

#[cfg(test)]
mod progress_tests {
    /// The bar counts the files of the first pass and the tables of the second, each from 0
    /// and each with what it does: it stood at 0/6 for 3 files, and ended at 4/6 when two of
    /// them could not be read.
    #[test]
    fn the_progress_bar_counts_each_pass_on_its_own() {
        let schema = crate::schema::load_embedded().expect("embedded schema");
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
        write(
            "good.csv",
            "org_id,record_id,report_year,contact_kind\nSAMPLE01,R1,2024,direct\n",
        );
        write("empty.csv", "");
        write("notes.pdf", "not a table");
        let out = tempfile::tempdir().expect("tempdir");
        let bar = indicatif::ProgressBar::hidden();
        let report = super::ingest_passes(
            &schema,
            dir.path(),
            out.path(),
            &super::IngestOptions::default(),
            &bar,
        )
        .expect("ingest runs");
        assert_eq!(report.totals.accepted, 1, "{}", report.to_text());
        assert_eq!(bar.length(), Some(1), "one table checked in the second pass");
        assert_eq!(bar.message(), "checking good.csv");
    }
}

#[cfg(test)]
mod rule_tests {
    /// Every rule ingest quarantines rows for is described in the contract (schemas/contract.json),
    /// in Swedish and English: the report prints those texts beside the counts.
    #[test]
    fn every_rule_ingest_quarantines_for_is_described_in_the_contract() {
        let schema = crate::schema::load_embedded().expect("embedded schema");
        let sources = [
            include_str!("validate/mod.rs"),
            include_str!("validate/index.rs"),
            include_str!("validate/row.rs"),
            include_str!("validate/cross.rs"),
            include_str!("validate/columns.rs"),
            include_str!("fields/mod.rs"),
            include_str!("fields/text.rs"),
            include_str!("fields/codes.rs"),
            include_str!("fields/dates.rs"),
            include_str!("read.rs"),
            include_str!("decode.rs"),
            include_str!("header/mod.rs"),
            include_str!("header/cells.rs"),
            include_str!("header/mistakes.rs"),
            include_str!("header/first_row.rs"),
            include_str!("sinks.rs"),
            include_str!("read_parquet.rs"),
            include_str!("xlsx/mod.rs"),
        ];
        let mut found = 0;
        for src in sources {
            for marker in ["broken(", "rule:"] {
                for (at, _) in src.match_indices(marker) {
                    // The rule's id as a literal, on the same line or the next.
                    let Some(rest) = src[at + marker.len()..].trim_start().strip_prefix('"') else {
                        continue;
                    };
                    let id = &rest[..rest.find('"').expect("closing quote")];
                    assert!(schema.rule(id).is_some(), "rule {id} is not in contract.json");
                    found += 1;
                }
            }
        }
        assert!(found > 20, "the scan found only {found} rules");
    }
}
