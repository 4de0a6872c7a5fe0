//! Ingest: reads every submission in a folder, validates each row against the contract and
//! writes, per organisation, the accepted rows and a quarantine of the rejected ones with file,
//! line, column, rule and value. Rows in = accepted + quarantined, always.

mod decimals;
mod decode;
mod fields;
mod header;
mod ignored;
mod notes;
mod parquet_pages;
mod read;
mod read_parquet;
mod reordered;
mod report;
mod shown;
mod sinks;
mod validate;
mod xlsx;

pub use notes::mixed_kinds;
pub use read::SheetChoice;
pub use report::{FileOutcome, IngestReport, OrgCounts};
pub use validate::truncate;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{FileError, StageError};
use crate::parquet_io::Kind;
use crate::progress::Progress;
use crate::schema::Schema;
use notes::{header_notes, lost_letter, name_member, named_other, run_warnings, same_content};
use read::Table;
use sinks::{Sinks, Target, accepted, rejected};
use validate::{Outcome, Validator};

pub const STAGE: &str = "01-ingest";
pub const VALIDATED_DIR: &str = "validated";
pub const QUARANTINE_DIR: &str = "quarantine";
const UNATTRIBUTED: &str = "UNATTRIBUTED";

#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    pub ignore_extra_columns: bool,
    pub sheet: SheetChoice,
    /// The key file `run` was given (--key), so that the file is named as that key when it
    /// was left among the submissions. Not a reading option: the stage's inputs ignore it.
    pub linkage_key: Option<PathBuf>,
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
    let entries = crate::stage::list_entries(input)?;
    if entries.is_empty() {
        return Err(StageError::Input(format!(
            "{}: no files to ingest",
            input.display()
        )));
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
    Ok(report)
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

/// A table that passed the first pass: where it is and what the first pass learnt of it.
struct Indexed {
    path: PathBuf,
    /// Which of the file's tables (workbook sheets) it is.
    table: usize,
    label: String,
    /// The sheet's name, when the file has several tables.
    sheet: Option<String>,
    number: u32,
    /// The organisation most of its rows name.
    org: Option<String>,
}

/// Opens one file, maps each of its tables' headers and indexes their rows. A file or a table
/// that cannot be read is a failed outcome (pushed to `outcomes`), not an error of the run.
fn index_file(
    schema: &Schema,
    input: &Path,
    path: &Path,
    opts: &IngestOptions,
    v: &mut Validator,
    outcomes: &mut Vec<FileOutcome>,
) -> Vec<Indexed> {
    let label = file_label(input, path);
    if let Some(e) = linkage_key(path, opts) {
        let mut outcome = failed(input, path, e.to_string());
        outcome.linkage_key = true;
        outcomes.push(outcome);
        return Vec::new();
    }
    if !is_submission(path) {
        let e = FileError::UnsupportedType {
            path: path.to_path_buf(),
        };
        outcomes.push(failed(input, path, e.to_string()));
        return Vec::new();
    }
    let tables = match open_mapped(schema, path, opts) {
        Ok(t) => t,
        Err(e) => {
            outcomes.push(failed(input, path, e.to_string()));
            return Vec::new();
        }
    };
    let several = tables.len() > 1;
    let named = name_member(schema, path);
    let mut out = Vec::new();
    for (i, (table, map)) in tables.iter().enumerate() {
        let sheet = table.sheet.clone().filter(|_| several);
        let label = match &sheet {
            Some(sheet) => format!("{label} [{sheet}]"),
            None => label.clone(),
        };
        let indexed = map
            .as_ref()
            .map_err(ToString::to_string)
            .and_then(|map| index_table(schema, (table, map), (&label, named.as_deref()), v));
        match indexed {
            Ok((number, org)) => out.push(Indexed {
                path: path.to_path_buf(),
                table: i,
                label,
                sheet,
                number,
                org,
            }),
            Err(e) => {
                let mut o = FileOutcome::new(&label);
                o.sheet = sheet;
                o.error = Some(e);
                outcomes.push(o);
            }
        }
    }
    out
}

/// The refusal of a linkage key left among the submissions: the file `run` was given as --key
/// (the same file, by device and inode, under any name or link), or one that looks like a key.
/// It had been refused as an unsupported file type, which did not say what to do with it.
fn linkage_key(path: &Path, opts: &IngestOptions) -> Option<FileError> {
    use std::os::unix::fs::MetadataExt;
    let id = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    let passed = opts
        .linkage_key
        .as_deref()
        .and_then(id)
        .is_some_and(|key| id(path) == Some(key));
    let what = match passed {
        true => "this is the linkage key this run was given (--key), not a submission".to_string(),
        false => format!(
            "this is not a submission but, it seems, a linkage key ({})",
            crate::key::looks_like_key(path)?
        ),
    };
    Some(FileError::LinkageKey {
        path: path.to_path_buf(),
        what,
        passed,
    })
}

/// Indexes one table's rows: its number among the validator's files and the organisation
/// most of its rows name (rows whose own org_id is unusable are counted under it). At a tie,
/// the member the file's name names wins: a TALITA.csv half of whose rows name ECPAT is more
/// likely TALITA's.
fn index_table(
    schema: &Schema,
    (table, map): (&Table, &header::HeaderMap),
    (label, named): (&str, Option<&str>),
    v: &mut Validator,
) -> Result<(u32, Option<String>), String> {
    let number = v.add_file(label);
    let org_col = schema.column_index("org_id").unwrap_or(0);
    let mut votes: HashMap<String, u64> = HashMap::new();
    let mut rows = 0u64;
    let template = TemplateColumns::of(schema, map);
    table
        .for_each_row(|row| {
            // Unused template rows are no records: their numbers are no ids of anyone.
            if template_row(&template, &row, map.width).is_none() {
                v.index_row(&row, map, number);
            }
            let org = map.source[org_col]
                .and_then(|p| row.cells.get(p))
                .and_then(|s| fields::member_code(schema, s.trim()));
            if let Some(org) = org {
                *votes.entry(org).or_default() += 1;
            }
            rows += 1;
            Ok::<(), FileError>(())
        })
        .map_err(|e| e.to_string())?;
    if rows == 0 {
        return Err(FileError::HeaderOnly { at: table.place() }.to_string());
    }
    let org = votes
        .into_iter()
        .max_by_key(|(o, n)| (*n, Some(o.as_str()) == named, std::cmp::Reverse(o.clone())))
        .map(|(o, _)| o);
    Ok((number, org))
}

/// Reads a table again to compare the rows of ids written in two ways in the contract's form
/// (`Validator::recheck_row`). A table that cannot be read again is left for the second pass
/// to report; its rows then stay apart from their copies.
fn recheck_table(schema: &Schema, f: &Indexed, opts: &IngestOptions, v: &mut Validator) {
    let Ok((table, map)) = reopen(schema, f, opts) else {
        return;
    };
    let template = TemplateColumns::of(schema, &map);
    // An error part way through leaves the rest unread, as the first pass did.
    let _ = table.for_each_row(|row| {
        if template_row(&template, &row, map.width).is_none() {
            v.recheck_row(&row, &map, f.number);
        }
        Ok::<(), FileError>(())
    });
}

/// The table the first pass indexed, opened again with its header mapped (a file changed since
/// has fewer tables).
fn reopen(
    schema: &Schema,
    f: &Indexed,
    opts: &IngestOptions,
) -> Result<(Table, header::HeaderMap), FileError> {
    let mut tables = open_mapped(schema, &f.path, opts)?;
    if f.table >= tables.len() {
        return Err(FileError::Changed { path: f.path.clone() });
    }
    let (table, map) = tables.swap_remove(f.table);
    Ok((table, map?))
}

/// Whether a row is an unused template row rather than a record: nothing in it but what a
/// template fills in ahead of the records (the organisation, the year, the commonest contact
/// kind, filled down), or a record id numbered ahead of use without a contact kind
/// (`Some(true)`; an outside review's workbook had 192 such rows below 8 records, each
/// quarantined as a record without a contact kind, which stopped `run`). A running number in a column outside the contract (`Nr`)
/// or without a header is no answer either. A row with any answer is a record (`None`).
fn template_row(cols: &TemplateColumns, row: &read::Row, width: usize) -> Option<bool> {
    if row.unclosed.is_some() {
        return None;
    }
    let blank = |p: &usize| row.cells.get(*p).is_none_or(|c| c.trim().is_empty());
    if !cols.answers.iter().all(blank) {
        return None;
    }
    // An id with a contact kind is a record the contract accepts as it is (a person met,
    // nothing else known): only an id without one is a number written ahead of use.
    match cols.record.filter(|p| !blank(p)) {
        None => Some(false),
        // A CSV row shorter than the header lost fields (its answers may have slid into the
        // id's place): that is the row's shape problem, told as such, not a template row.
        Some(_) => (row.cells.len() >= width && cols.kind.is_none_or(|p| blank(&p))).then_some(true),
    }
}

/// Where a table's columns are for `template_row`, found once per table: the record id, the
/// contact kind, and every column that holds an answer (all but the filled-down ones and the id,
/// with the columns without a header).
struct TemplateColumns {
    record: Option<usize>,
    kind: Option<usize>,
    answers: Vec<usize>,
}

impl TemplateColumns {
    fn of(schema: &Schema, map: &header::HeaderMap) -> Self {
        let col = |name: &str| schema.column_index(name).and_then(|i| map.source[i]);
        let prefilled: Vec<usize> = ["org_id", "report_year", "contact_kind"]
            .into_iter()
            .filter_map(col)
            .collect();
        let record = col("record_id");
        let answers = map
            .source
            .iter()
            .flatten()
            .copied()
            .filter(|p| !prefilled.contains(p) && Some(*p) != record)
            .chain(map.blank.iter().copied())
            .collect();
        TemplateColumns {
            record,
            kind: col("contact_kind"),
            answers,
        }
    }
}

/// The first cell of a workbook sheet's or Parquet file's table, header included, whose text
/// was garbled by a wrong encoding (`decode::mojibake_at`; `decode` finds it in a CSV file), as
/// the error that refuses the table. Refused, not quarantined, like the other wrong encodings:
/// the whole file was saved so, the rows whose names merely pass the rules would be accepted
/// with wrong letters and never link, and the cure is one export of the whole file again.
/// Checked before any row is indexed, so that a refused table leaves no record id behind.
fn garbled(t: &Table) -> Option<FileError> {
    let at = |location: String| FileError::Mojibake {
        at: t.place(),
        location,
    };
    if let Some(pos) = t.header.iter().position(|h| decode::mojibake_at(h).is_some()) {
        return Some(at(format!("the header, column {}", pos + 1)));
    }
    t.grid_rows().iter().find_map(|r| {
        let pos = r.cells.iter().position(|c| decode::mojibake_at(c).is_some())?;
        let column = t
            .header
            .get(pos)
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
            .map_or_else(|| format!("#{}", pos + 1), str::to_string);
        Some(at(format!("line {}, column {column}", r.line)))
    })
}

/// A table with its header mapped to the contract, or the reason it cannot be.
type Mapped = (Table, Result<header::HeaderMap, FileError>);

/// A file's tables, each mapped on its own: one sheet of a workbook with a bad header fails
/// alone.
fn open_mapped(schema: &Schema, path: &Path, opts: &IngestOptions) -> Result<Vec<Mapped>, FileError> {
    let classify = |h: &[String]| header::classify(schema, h);
    let tables = read::open(path, &opts.sheet, &classify)?;
    Ok(tables
        .into_iter()
        .map(|t| {
            let map = map_table(schema, &t, opts);
            (t, map)
        })
        .collect())
}

fn map_table(schema: &Schema, t: &Table, opts: &IngestOptions) -> Result<header::HeaderMap, FileError> {
    if let Some(why) = &t.refused {
        return Err(FileError::Xlsx {
            path: t.path.clone(),
            message: why.clone(),
        });
    }
    if let Some(e) = garbled(t) {
        return Err(e);
    }
    let mut map =
        header::map_header(schema, &t.header, &t.place(), opts.ignore_extra_columns).map_err(|e| {
            if t.merged_header.is_empty() {
                e
            } else {
                FileError::MergedHeader {
                    inner: Box::new(e),
                    merges: t.merged_header.join(", "),
                }
            }
        })?;
    map.sheet_columns = t.sheet_columns.clone();
    running_numbers_without_header(t, &mut map);
    let pnr_column = schema
        .column_index("personal_number")
        .is_some_and(|i| map.source[i].is_some());
    // Like a near miss of a contract column, it is not left out on request while the file
    // has no personal_number column: it may be that column.
    named_running_numbers(t, &mut map, (opts.ignore_extra_columns, pnr_column))?;
    ignored::answers_in_ignored(schema, t, &mut map);
    row_checks(schema, t, &mut map)?;
    match t.unreadable_in(&map) {
        Some((col, ty)) => Err(FileError::Parquet {
            path: t.path.clone(),
            message: format!(
                "column {col:?} is stored as {ty}, which ingest does not read; store it as text (dates as YYYY-MM-DD, numbers as their digits, several codes joined by ';')"
            ),
        }),
        None => Ok(map),
    }
}

/// Lines of id-only rows between records a file's report keeps.
const ID_ONLY_LINES: usize = 100;

/// The checks that read a table's rows before validation, in one pass: a header repeated
/// in another order (refused), and ids written as decimals (`ingest::decimals`). Rows of the
/// wrong shape are quarantined for it and not looked at.
fn row_checks(schema: &Schema, t: &Table, map: &mut header::HeaderMap) -> Result<(), FileError> {
    let reordered = reordered::Reordered::new(schema, map);
    let mut decimals = decimals::Decimals::new(schema, map);
    let at = t.place();
    t.for_each_row(|row| -> Result<(), FileError> {
        if row.unclosed.is_some() || row.cells.len() != map.width {
            return Ok(());
        }
        reordered.row(&row, map, &at)?;
        decimals.row(schema, &row);
        Ok(())
    })?;
    decimals.finish(map);
    Ok(())
}

/// Whether each column of `cols` holds a running number of the rows: at least two rows,
/// every one a whole number of at most 9 digits, no two the same (a row that cannot be read:
/// not). One pass for all of them: a pass per column made a header of 20 000 empty columns
/// take 11 s (an outside review).
fn running_numbers(t: &Table, cols: &[usize]) -> Vec<bool> {
    /// Every column decided: the pass ends (or a row that cannot be read).
    struct Done;
    impl From<FileError> for Done {
        fn from(_: FileError) -> Self {
            Done
        }
    }
    let mut seen: Vec<std::collections::HashSet<String>> = vec![Default::default(); cols.len()];
    let mut open: Vec<usize> = (0..cols.len()).collect();
    let mut rows = 0usize;
    let read = t.for_each_row(|row| {
        rows += 1;
        open.retain(|&k| {
            let cell = row.cells.get(cols[k]).map_or("", |c| c.trim());
            let number = !cell.is_empty() && cell.len() <= 9 && cell.bytes().all(|b| b.is_ascii_digit());
            number && seen[k].insert(cell.to_string())
        });
        if open.is_empty() { Err(Done) } else { Ok(()) }
    });
    let mut running = vec![false; cols.len()];
    if read.is_ok() && rows >= 2 {
        for k in open {
            running[k] = true;
        }
    }
    running
}

/// Digits a cell must hold to be taken for a personal number (10 or 12 with the century).
const PNR_DIGITS: usize = 10;

/// A column headed like a running number (`Nr`, `Nummer`, `#`) is passed over, unless one of
/// its cells holds as many digits as a personal number: an outside review headed the personal
/// numbers `Nummer`, and they were lost with only a note. Then the file is refused, naming the
/// column and the line, never the value (or the column ignored, on request, where the file has
/// a personal_number column of its own). Rows of the wrong shape (a stray line break, a line an
/// unclosed quote took) are quarantined for it and are not looked at; a repeated number, a
/// totals line or a blank is no one's identifier and loses nothing.
fn named_running_numbers(
    t: &Table,
    map: &mut header::HeaderMap,
    (ignore_extra, pnr_column): (bool, bool),
) -> Result<(), FileError> {
    let named = std::mem::take(&mut map.numbering_named);
    let mut found: Vec<Option<u64>> = vec![None; named.len()];
    let _ = t.for_each_row(|row| -> Result<(), FileError> {
        if row.unclosed.is_some() || row.cells.len() != map.width {
            return Ok(());
        }
        for (k, (pos, _)) in named.iter().enumerate() {
            let digits = row
                .cells
                .get(*pos)
                .map_or(0, |c| c.bytes().filter(u8::is_ascii_digit).count());
            if found[k].is_none() && digits >= PNR_DIGITS {
                found[k] = Some(row.line);
            }
        }
        Ok(())
    });
    for ((_, name), line) in named.into_iter().zip(found) {
        match line {
            None => map.numbering.push(name),
            Some(_) if ignore_extra && pnr_column => map.ignored.push(name),
            Some(line) => {
                return Err(FileError::NotRunningNumbers {
                    at: t.place(),
                    column: name,
                    line,
                    pnr_column,
                });
            }
        }
    }
    Ok(())
}

/// A column without a header whose every row holds a whole number, no two the same (staff
/// number the rows in the first column and leave its header blank): a running number, passed
/// over with a note like a `Nr` column. Any other value in a column without a header is still
/// quarantined in its row, as it may be an answer put in the wrong place.
fn running_numbers_without_header(t: &Table, map: &mut header::HeaderMap) {
    let numbering: Vec<usize> = map
        .blank
        .iter()
        .zip(running_numbers(t, &map.blank))
        .filter(|(_, running)| *running)
        .map(|(pos, _)| *pos)
        .collect();
    for pos in numbering {
        map.blank.retain(|&p| p != pos);
        map.numbering.push(validate::unnamed_column(map, pos));
    }
}

/// The second pass over one table: every row validated and written.
fn validate_file(
    schema: &Schema,
    f: &Indexed,
    opts: &IngestOptions,
    v: &Validator,
    (sinks, links): (&mut Sinks, &mut Links),
    orgs: &mut BTreeMap<String, OrgCounts>,
) -> Result<FileOutcome, StageError> {
    let mut outcome = FileOutcome::new(&f.label);
    outcome.sheet = f.sheet.clone();
    let (table, map) = match reopen(schema, f, opts) {
        Ok(x) => x,
        Err(e) => {
            outcome.error = Some(e.to_string());
            return Ok(outcome);
        }
    };
    outcome.format = Some(table.format.clone());
    outcome.notes = header_notes(schema, &map);
    outcome.warnings = map.warnings.clone();
    outcome.notes.extend(table.notes.iter().cloned());
    outcome.org_id = f.org.clone();
    let target = Target {
        schema,
        map: &map,
        label: &f.label,
        fallback: f.org.clone().unwrap_or_else(|| UNATTRIBUTED.to_string()),
    };
    let mut other_orgs: BTreeMap<String, u64> = BTreeMap::new();
    let record_col = schema.column_index("record_id").and_then(|i| map.source[i]);
    let mut record_numbers = (0u64, 0u64);
    // Ids of 16 digits or more stored as numbers: Excel kept only 15 of their digits.
    let mut long_numbers = (0u64, 0u64);
    let mut record_dates = (0u64, 0u64);
    let name_cols: Vec<(usize, &str)> = ["given_name", "family_name"]
        .into_iter()
        .filter_map(|c| Some((schema.column_index(c).and_then(|i| map.source[i])?, c)))
        .collect();
    let mut lost_letters = (0u64, 0u64, "");
    // Only a CSV file was saved by a program that writes '?' for what it cannot store.
    let csv = table.format.starts_with("CSV");
    let (mut prefilled, mut numbered) = ((0u64, 0u64), (0u64, 0u64));
    // Id-only rows since the last record, and those a later record showed to be between
    // records (trailing ones are a template numbered ahead of use).
    let (mut pending, mut between): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
    let mut between_rows = 0u64;
    let template = TemplateColumns::of(schema, &map);
    let done = table.for_each_row(|row| {
        if let Some(with_id) = template_row(&template, &row, map.width) {
            let n = if with_id { &mut numbered } else { &mut prefilled };
            n.0 += 1;
            if n.1 == 0 {
                n.1 = row.line;
            }
            if with_id {
                pending.push(row.line);
            }
            return Ok(());
        }
        // The report keeps the first lines, the warning says how many.
        between_rows += pending.len() as u64;
        pending.truncate(ID_ONLY_LINES.saturating_sub(between.len()));
        between.append(&mut pending);
        pending.clear();
        if let Some(p) = record_col.filter(|&p| row.is_number(p)) {
            record_numbers.0 += 1;
            if record_numbers.1 == 0 {
                record_numbers.1 = row.line;
            }
            if row.cells.get(p).is_some_and(|c| c.trim().len() >= 16) {
                long_numbers.0 += 1;
                if long_numbers.1 == 0 {
                    long_numbers.1 = row.line;
                }
            }
        }
        if record_col.is_some_and(|p| row.cells.get(p).is_some_and(|c| looks_like_a_date(c))) {
            record_dates.0 += 1;
            if record_dates.1 == 0 {
                record_dates.1 = row.line;
            }
        }
        if let Some(&(_, col)) = name_cols
            .iter()
            .find(|(p, _)| csv && row.cells.get(*p).is_some_and(|c| lost_letter(c)))
        {
            lost_letters.0 += 1;
            if lost_letters.1 == 0 {
                (lost_letters.1, lost_letters.2) = (row.line, col);
            }
        }
        let (id, related) = v.ids(&row, &map);
        match v.validate(&row, &map, f.number) {
            Outcome::Accepted(rec, norms) => {
                if let Some(related) = related {
                    links.accepted.push((links.file, row.line, related));
                }
                if f.org.as_deref().is_some_and(|o| o != rec.org_id) {
                    *other_orgs.entry(rec.org_id.clone()).or_default() += 1;
                }
                accepted(&target, row.line, rec, &norms, sinks, orgs)?;
                outcome.accepted += 1;
            }
            Outcome::Rejected(problems) => {
                // A row that repeats an earlier one cell for cell is that row's record (counted
                // from there, or quarantined there for the same problems): rows naming it are
                // not left dangling by it, and its file has lost nothing of its own.
                if problems.iter().any(|p| p.rule == "repeated_row") {
                    outcome.repeated_rows += 1;
                } else {
                    links.quarantined.insert(id);
                }
                rejected(&target, &row, problems, sinks, orgs)?;
                outcome.quarantined += 1;
            }
        }
        outcome.rows_in += 1;
        Ok::<(), Failure>(())
    });
    match done {
        Ok(()) => {}
        Err(Failure::File(e)) => outcome.error = Some(e.to_string()),
        Err(Failure::Stage(e)) => return Err(e),
    }
    outcome.id_only_between = between;
    outcome.id_only_between_rows = between_rows;
    outcome.other_orgs = other_orgs.clone();
    for (org, n) in other_orgs {
        outcome.notes.push(format!(
            "{n} accepted row(s) name organisation {org}, not {}, which this file counts for (most of its rows name it, or its name does at a tie); they count for {org}",
            f.org.as_deref().unwrap_or("?")
        ));
    }
    outcome.notes.extend(named_other(schema, f));
    if prefilled.0 > 0 {
        outcome.notes.push(format!(
            "{} row(s) hold nothing but org_id, report_year or contact_kind (the first on line {}), as a template's rows filled down below the records do: not records, so passed over",
            prefilled.0, prefilled.1
        ));
    }
    if numbered.0 > 0 {
        outcome.notes.push(format!(
            "{} row(s) hold nothing but a record_id (and org_id or report_year; no contact_kind; the first on line {}), as a template numbered ahead of use does: not records, so passed over. If one is a person met, fill in the row's answers and send the file again",
            numbered.0, numbered.1
        ));
    }
    outcome.lost_letters = lost_letters.0;
    if lost_letters.0 > 0 {
        outcome.notes.push(format!(
            "{} row(s) have a '?' in a name (the first on line {}, column {}): a program that cannot store a letter writes '?' instead (Excel's \"CSV (semikolonavgränsad)\" does so with ł, ș, Cyrillic or Arabic letters), and such a name cannot be linked with the same person's records elsewhere; save the file as \"CSV UTF-8\" from the original and send it again",
            lost_letters.0, lost_letters.1, lost_letters.2
        ));
    }
    if record_dates.0 > 0 {
        outcome.notes.push(format!(
            "record_id is a date on {} row(s) (the first on line {}): Excel turns ids such as 1-3 or 3/1 into dates (1 March) when the column is not formatted as text, and two ids can become one date; if your ids are not dates, format the column as text, type them again and send the file again",
            record_dates.0, record_dates.1
        ));
    }
    if record_numbers.0 > 0 {
        outcome.notes.push(format!(
            "record_id is stored as a number in Excel on {} row(s) (the first on line {}): read as its value, e.g. 42, not as a number format may show it, e.g. 00042; format the column as text if the ids have leading zeros",
            record_numbers.0, record_numbers.1
        ));
    }
    if long_numbers.0 > 0 {
        outcome.notes.push(format!(
            "record_id is a number of 16 digits or more on {} row(s) (the first on line {}): Excel keeps only the first 15 digits of a number, so the rest were lost and read as zeros, and ids that differed only there are one id (quarantined as duplicates); format the column as text and paste the ids again from the case system",
            long_numbers.0, long_numbers.1
        ));
    }
    Ok(outcome)
}

/// A full date as a workbook's date cell reads (`YYYY-MM-DD`) or a spreadsheet saves one
/// (`2024/03/01`); not a run of digits, which a case number may well be.
fn looks_like_a_date(cell: &str) -> bool {
    !cell.trim().bytes().all(|b| b.is_ascii_digit())
        && crate::dates::PartialDate::parse(cell).is_ok_and(|d| d.day.is_some())
}

/// Accepted rows whose related_record_id names a row that was quarantined: the row still
/// counts (its person was met), but the file's report says that the row it points at is not
/// among the accepted ones until it is fixed and sent again.
#[derive(Default)]
struct Links {
    /// The file being validated (its place in the report's files).
    file: usize,
    accepted: Vec<(usize, u64, [u8; 16])>,
    quarantined: std::collections::HashSet<[u8; 16]>,
}

impl Links {
    fn note_dangling(&self, files: &mut [FileOutcome]) {
        let mut lines: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
        for (file, line, related) in &self.accepted {
            if self.quarantined.contains(related) {
                lines.entry(*file).or_default().push(*line);
            }
        }
        for (file, lines) in lines {
            if let Some(f) = files.get_mut(file) {
                let shown: Vec<String> = lines.iter().take(20).map(u64::to_string).collect();
                f.notes.push(format!(
                    "{} accepted row(s) (line(s) {}{}) name in related_record_id a row that was quarantined; they count, and the link to the direct row holds once that row is fixed and sent again",
                    lines.len(),
                    shown.join(", "),
                    if lines.len() > 20 { ", ..." } else { "" }
                ));
            }
        }
    }
}

enum Failure {
    File(FileError),
    Stage(StageError),
}

impl From<FileError> for Failure {
    fn from(e: FileError) -> Self {
        Failure::File(e)
    }
}

impl From<StageError> for Failure {
    fn from(e: StageError) -> Self {
        Failure::Stage(e)
    }
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
            include_str!("validate.rs"),
            include_str!("fields.rs"),
            include_str!("read.rs"),
            include_str!("decode.rs"),
            include_str!("header.rs"),
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
