//! The second pass: every row of a table validated and written to its organisation's files,
//! and the notes the file's report gives on what the rows show of how it was made.

use std::collections::BTreeMap;

use super::first_pass::Indexed;
use super::notes::{header_notes, lost_letter, named_other};
use super::open::reopen;
use super::sinks::{Sinks, Target, accepted, rejected};
use super::template::{TemplateColumns, template_row};
use super::validate::{Outcome, Validator};
use super::{FileOutcome, IngestOptions, OrgCounts, UNATTRIBUTED};
use crate::error::{FileError, StageError};
use crate::schema::Schema;

/// Lines of id-only rows between records a file's report keeps.
const ID_ONLY_LINES: usize = 100;

/// The second pass over one table: every row validated and written.
pub(super) fn validate_file(
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
    outcome.asked_found = map.asked_found.clone();
    outcome.notes.extend(table.notes.iter().cloned());
    outcome.org_id = f.org.clone();
    // No row names a member: the file's name is the only sign of whose it is, so its rows'
    // problems go to that member's problems workbook, not to one nobody is sent.
    let named = f
        .org
        .is_none()
        .then(|| super::notes::name_member(schema, &f.path))
        .flatten();
    if let Some(m) = &named {
        outcome.notes.push(format!(
            "no row names a member in org_id; the file's name names {m}, so its rows' problems are listed under {m}: fill in org_id ({m}) on every row and send the file again"
        ));
    }
    let target = Target {
        schema,
        map: &map,
        label: &f.label,
        fallback: f
            .org
            .clone()
            .or_else(|| named.clone())
            .unwrap_or_else(|| UNATTRIBUTED.to_string()),
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
    // Template rows since the last record (id-only ones, and those of org, year and kind
    // alone), and those a later record showed to be between records: trailing ones are a
    // template numbered or filled down ahead of use, while one between records may be a
    // person whose answers were never typed in.
    let mut pending: [Vec<u64>; 2] = Default::default();
    let mut between: [Vec<u64>; 2] = Default::default();
    let mut between_rows = [0u64; 2];
    let template = TemplateColumns::of(schema, &map);
    let done = table.for_each_row(|row| {
        if let Some(with_id) = template_row(&template, &row, map.width) {
            let n = if with_id { &mut numbered } else { &mut prefilled };
            n.0 += 1;
            if n.1 == 0 {
                n.1 = row.line;
            }
            pending[usize::from(with_id)].push(row.line);
            return Ok(());
        }
        // The report keeps the first lines, the warning says how many.
        for ((pending, between), rows) in pending.iter_mut().zip(&mut between).zip(&mut between_rows) {
            *rows += pending.len() as u64;
            pending.truncate(ID_ONLY_LINES.saturating_sub(between.len()));
            between.append(pending);
        }
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
    let [prefilled_between, id_only_between] = between;
    outcome.id_only_between = id_only_between;
    outcome.id_only_between_rows = between_rows[1];
    outcome.prefilled_between = prefilled_between;
    outcome.prefilled_between_rows = between_rows[0];
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
pub(super) struct Links {
    /// The file being validated (its place in the report's files).
    pub(super) file: usize,
    accepted: Vec<(usize, u64, [u8; 16])>,
    quarantined: std::collections::HashSet<[u8; 16]>,
}

impl Links {
    pub(super) fn note_dangling(&self, files: &mut [FileOutcome]) {
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
