//! Validates one row against every rule of the contract, single-cell and cross-column, and
//! returns either the clean record or every problem found (so one pass shows them all).

use std::collections::HashMap;

use super::fields::{
    Broken, Today, broken, check_cell, control_character, date, excel_error, excel_text, personal_number,
};
use super::header::HeaderMap;
use super::read::{Row, Unclosed};
use crate::schema::{Column, ColumnKind, ColumnType, Schema};

mod cross;

/// One broken rule on one row, with everything a person needs to find and fix it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub column: String,
    pub rule: &'static str,
    pub value: String,
    pub message: String,
}

/// A near miss that was made right: counted and reported, never silent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Normalisation {
    pub column: String,
    pub from: String,
    pub to: String,
    /// The code's Swedish or English label as the code list writes it, as the template's
    /// drop-down lists give them: counted apart in the summary, since a file filled in from
    /// the template has nothing to correct.
    pub label: bool,
}

/// Whether `from` is the Swedish or English label of the code `to` in `col`'s list (for a
/// country, its Swedish or English name), exactly as written there.
fn is_label(schema: &Schema, col: &Column, from: &str, to: &str) -> bool {
    match col.ty {
        ColumnType::Country if to == "unknown" => from == crate::schema::UNKNOWN_COUNTRY_LABEL,
        ColumnType::Country => schema
            .country(to)
            .is_some_and(|c| c.name_sv == from || c.name_en == from),
        _ => schema
            .list_for(col)
            .and_then(|l| l.get(to))
            .is_some_and(|c| c.sv == from || c.en == from),
    }
}

/// A row's cleaned values (one per contract column) and the normalisations made so far.
type CleanValues<'v> = (&'v mut [Option<String>], &'v mut Vec<Normalisation>);

/// A row that passed: one cleaned value per contract column (None = not answered).
#[derive(Debug, Clone)]
pub struct CleanRecord {
    pub values: Vec<Option<String>>,
    pub org_id: String,
}

pub enum Outcome {
    Accepted(CleanRecord, Vec<Normalisation>),
    Rejected(Vec<Problem>),
}

/// Each (org, year, record_id) of the whole run (every file, so that a record sent twice in two
/// files is caught): how often it occurs, whether it is direct, and where it first occurs.
/// Keys are 128-bit hashes of the values as they are stored, so ten million records take
/// hundreds of megabytes, not gigabytes, and two ids that differ only in spacing are one.
#[derive(Debug, Default)]
pub struct IdIndex {
    map: HashMap<[u8; 16], Seen>,
    /// File labels, by the number a `Seen` names them by.
    pub files: Vec<String>,
    /// Rows indexed per file, and per (earlier file, later file) the later file's rows whose
    /// record was first seen in the earlier one: a file that repeats another's records is a copy.
    rows: Vec<u64>,
    repeats: std::collections::BTreeMap<(u32, u32), Repeats>,
    /// Rows per file with more fields than the header and only blanks past it (see
    /// `Validator::validate`).
    long: Vec<u64>,
    /// Ids whose rows are not all written alike (see `Validator::content_hash`): whether they
    /// are one record in two spellings is settled by `recheck_row`, and the files that hold them.
    recheck: HashMap<[u8; 16], Recheck>,
    recheck_files: std::collections::BTreeSet<u32>,
}

/// An id's rows compared again in the contract's form: the first row's hash, and whether every
/// later row has met it so far.
#[derive(Debug, Default, Clone, Copy)]
struct Recheck {
    first: Option<u64>,
    same: bool,
}

/// Whether a row has more fields than the header, all blank past the header's last column.
fn blank_past_header(row: &Row, map: &HeaderMap) -> bool {
    row.cells.len() > map.width && row.cells[map.width..].iter().all(|c| c.trim().is_empty())
}

impl IdIndex {
    /// Whether (nearly) every row of `file` ends in separators past the header's last column,
    /// as an export leaves them: then they are dropped, not taken for slid cells.
    fn trails(&self, file: u32) -> bool {
        let at = |v: &Vec<u64>| v.get(file as usize).copied().unwrap_or(0);
        let (long, rows) = (at(&self.long), at(&self.rows));
        long > 0 && long * 10 >= rows * 9
    }
}

/// The rows of a later file whose record was first seen in an earlier one, and how many of
/// them hold the same answers there: a copy repeats both, ids that restart in each file or
/// sheet only the ids.
#[derive(Debug, Default, Clone, Copy)]
struct Repeats {
    rows: u64,
    same: u64,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    count: u32,
    /// The row's contact kind as read: `Some(true)` direct, `Some(false)` another code, `None`
    /// blank or not a code (the row is quarantined for it, and says so itself).
    direct: Option<bool>,
    file: u32,
    line: u64,
    /// A hash of the row's cells as written, column by column, to tell a copy from an id used
    /// twice.
    content: u64,
    /// Whether every row with the id repeats the first cell for cell: one record sent twice
    /// (a case in two quarters' sheets), counted once.
    same: bool,
}

/// The identity of a row as the validated file will store it: org as a member code (see
/// `fields::member_code`; an org_id not in the register as written, upper-cased), the year as
/// a number, the record id composed (NFC) with its spaces collapsed.
fn id_hash(org: &str, year: &str, record: &str) -> [u8; 16] {
    let year = super::fields::year_digits(year)
        .parse::<i64>()
        .map_or_else(|_| year.trim().to_string(), |y| y.to_string());
    let mut h = blake3::Hasher::new();
    for part in [
        org.trim().to_uppercase().as_str(),
        &year,
        &super::fields::collapse_spaces(&super::fields::composed(record)),
    ] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize().as_bytes()[..16]);
    out
}

/// A value's form without its digits ("19781201" is "########"), for the report to count a
/// change to a birth date without showing the date.
fn digits_hidden(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// Positions of the columns the cross-column rules need.
/// The first word of a sheet's summary row (`Totalt`, `Summa:`), in lower case: no record
/// starts with one, as its first cell is an organisation or a record id.
const SUMMARY_WORDS: [&str; 9] = [
    "totalt",
    "total",
    "totals",
    "summa",
    "sum",
    "summering",
    "totalsumma",
    "summary",
    "antal",
];

struct Cols {
    org: usize,
    record: usize,
    year: usize,
    kind: usize,
    related: usize,
    pnr: usize,
    birth: usize,
    age: usize,
    forms: usize,
    police: usize,
    offences: usize,
    status: usize,
}

pub struct Validator<'a> {
    schema: &'a Schema,
    cols: Cols,
    pub index: IdIndex,
    /// Today by the system clock: no one is born after it.
    today: Today,
}

/// A contract column's cell, trimmed, and read as its text when Excel's `="..."` keeps it
/// (see `excel_text`), so that `="0042"` and `0042` are one record id.
fn cell<'r>(row: &Row<'r>, map: &HeaderMap, col: usize) -> &'r str {
    let raw = map.source[col]
        .and_then(|p| row.cells.get(p))
        .map_or("", |s| s.trim());
    super::decimals::read(map, col, excel_text(raw).map_or(raw, str::trim))
}

/// A cell as validation reads it: an export's mark for an empty cell (`NULL`, `NA`, `NaN`)
/// in an answer, birth date or personal number column is empty (`Schema::is_empty_marker`).
fn answer<'r>(schema: &Schema, row: &Row<'r>, map: &HeaderMap, col: usize) -> &'r str {
    let raw = cell(row, map, col);
    if !raw.is_empty() && schema.is_empty_marker(&schema.columns[col], raw) {
        ""
    } else {
        raw
    }
}

/// The row's related_record_id, empty when it is a word for none (a database's NULL), as
/// validation reads it.
fn related<'r>(schema: &Schema, row: &Row<'r>, map: &HeaderMap, col: usize) -> &'r str {
    let raw = cell(row, map, col);
    if !raw.is_empty() && schema.is_id_placeholder(raw) {
        ""
    } else {
        raw
    }
}

/// A column without a header, by its place and by the letter Excel shows above it (the
/// 8th column is H), since that is where staff look for it: in a workbook, the letter of the
/// sheet column it was read from (empty columns between are not read, so its place in the
/// table would mislead).
pub(super) fn unnamed_column(map: &HeaderMap, pos: usize) -> String {
    match map.sheet_columns.as_ref().and_then(|c| c.get(pos)) {
        Some(&sheet) => format!("{} of the sheet (no header)", excel_letters(sheet)),
        None => format!("#{} (column {} in Excel, no header)", pos + 1, excel_letters(pos)),
    }
}

/// The letters Excel shows above column `col` (0 is A).
pub(super) fn excel_letters(col: usize) -> String {
    let mut letters = String::new();
    let mut n = col + 1;
    while n > 0 {
        let r = (n - 1) % 26;
        letters.insert(0, char::from(b'A' + r as u8));
        n = (n - 1) / 26;
    }
    letters
}

/// The name of the file's column at position `pos`, as the quarantine names columns.
fn column_name(schema: &Schema, map: &HeaderMap, pos: usize) -> String {
    map.source
        .iter()
        .position(|p| *p == Some(pos))
        .map_or_else(|| unnamed_column(map, pos), |i| schema.columns[i].name.clone())
}

/// Lines `first` to `last` as a message says them.
fn lines(first: u64, last: u64) -> String {
    if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}–{last}")
    }
}

impl<'a> Validator<'a> {
    pub fn new(schema: &'a Schema) -> Result<Self, crate::error::SchemaError> {
        let at = |n: &str| {
            schema.column_index(n).ok_or(crate::error::SchemaError::Invalid {
                file: "contract.json",
                message: format!("the validator needs column {n}"),
            })
        };
        let cols = Cols {
            org: at("org_id")?,
            record: at("record_id")?,
            year: at("report_year")?,
            kind: at("contact_kind")?,
            related: at("related_record_id")?,
            pnr: at("personal_number")?,
            birth: at("birth_date")?,
            age: at("age_group")?,
            forms: at("exploitation_forms")?,
            police: at("police_report")?,
            offences: at("reported_offences")?,
            status: at("legal_status")?,
        };
        Ok(Validator {
            schema,
            cols,
            index: IdIndex::default(),
            today: Today::now(),
        })
    }

    /// The row's own record id, and the one its related_record_id names (if any), as the
    /// first pass keys them.
    pub fn ids(&self, row: &Row, map: &HeaderMap) -> ([u8; 16], Option<[u8; 16]>) {
        let related = !related(self.schema, row, map, self.cols.related).is_empty();
        (
            self.id_key(row, map, self.cols.record),
            related.then(|| self.id_key(row, map, self.cols.related)),
        )
    }

    fn id_key(&self, row: &Row, map: &HeaderMap, record: usize) -> [u8; 16] {
        let c = &self.cols;
        let org = cell(row, map, c.org);
        let code = super::fields::member_code(self.schema, org);
        id_hash(
            code.as_deref().unwrap_or(org),
            cell(row, map, c.year),
            cell(row, map, record),
        )
    }

    /// Starts the first pass over a file; returns its number for `index_row`.
    pub fn add_file(&mut self, label: &str) -> u32 {
        self.index.files.push(label.to_string());
        self.index.rows.push(0);
        self.index.long.push(0);
        (self.index.files.len() - 1) as u32
    }

    /// Files most of whose records another file holds too (the same organisation, year and
    /// record id): a copy left beside the original, as Excel's "Save As CSV" leaves one. Rows
    /// repeated cell for cell count once, from the first file, and the copy's rows are
    /// quarantined as repeats (so `run` stops on the copy); the report says so once.
    /// Files whose record ids mostly repeat another file's with other answers are told apart
    /// from copies: their ids restart in each file or sheet (an outside review's two half-year
    /// files, ids 1-10 each), and removing one "copy" would lose real records.
    /// Pairs of files in one of the `identical` groups (the same bytes, already warned of) are
    /// not told again.
    pub fn copies(&self, identical: &[Vec<String>]) -> Vec<String> {
        let name = |f: u32| self.index.files.get(f as usize).map_or("?", String::as_str);
        let told = |first: u32, later: u32| {
            identical
                .iter()
                .any(|g| g.iter().any(|n| n == name(first)) && g.iter().any(|n| n == name(later)))
        };
        self.index
            .repeats
            .iter()
            .filter(|&(&(first, later), _)| !told(first, later))
            .filter(|&(&(_, later), r)| {
                let rows = self.index.rows.get(later as usize).copied().unwrap_or(0);
                r.rows >= 2 && r.rows * 10 >= rows * 9
            })
            .map(|(&(first, later), r)| {
                let (n, rows) = (r.rows, self.index.rows.get(later as usize).copied().unwrap_or(0));
                if r.same * 2 >= r.rows {
                    let differ = match r.rows - r.same {
                        0 => String::new(),
                        k => format!(
                            "; the {k} whose answers differ are quarantined in both files (no one can tell which is right), so those records are missing until the copy is removed"
                        ),
                    };
                    format!(
                        "{} repeats {n} of its {rows} record ids from {} (the same organisation, year and record id), {} of them with the same answers: one is a copy of the other (a sheet copied, an old version kept, or Excel's \"Save As\" CSV leaving both files). Rows repeated cell for cell are counted once, from {}, the copies listed as repeated rows{differ}: remove the copy and run ingest again",
                        name(later),
                        name(first),
                        r.same,
                        name(first)
                    )
                } else {
                    format!(
                        "{} uses {n} of its {rows} record ids again from {}, for records with other answers ({} of them differ): the record ids seem to start again in each file or sheet. Every record with a repeated id is quarantined as a duplicate, so these records are not accepted: make the record ids unique within the organisation and year (for example by putting the file's or sheet's name before them) and run ingest again; do not delete either file",
                        name(later),
                        name(first),
                        r.rows - r.same
                    )
                }
            })
            .collect()
    }

    /// First pass, over every file: remember every record id, so duplicates and related ids
    /// can be checked across the organisation's files.
    pub fn index_row(&mut self, row: &Row, map: &HeaderMap, file: u32) {
        let key = self.id_key(row, map, self.cols.record);
        let kind = self
            .schema
            .code_list("contact_kind")
            .map(|l| l.resolve(cell(row, map, self.cols.kind)));
        let direct = match kind {
            Some(crate::schema::Resolved::Exact(k) | crate::schema::Resolved::Normalised(k)) => {
                Some(k == "direct")
            }
            _ => None,
        };
        let content = self.content_hash(row, map, false);
        let e = self.index.map.entry(key).or_insert(Seen {
            count: 0,
            direct,
            file,
            line: row.line,
            content,
            same: true,
        });
        e.count = e.count.saturating_add(1);
        e.same &= e.content == content;
        if e.content != content {
            self.index.recheck.entry(key).or_default();
            self.index.recheck_files.extend([e.file, file]);
        }
        // Rows without a record id repeat nothing (they are refused for the missing id).
        if e.file != file && !cell(row, map, self.cols.record).trim().is_empty() {
            let r = self.index.repeats.entry((e.file, file)).or_default();
            r.rows += 1;
            r.same += u64::from(e.content == content);
        }
        if let Some(n) = self.index.rows.get_mut(file as usize) {
            *n += 1;
        }
        if blank_past_header(row, map)
            && let Some(n) = self.index.long.get_mut(file as usize)
        {
            *n += 1;
        }
    }

    /// The files holding rows of one id written in two ways, to be read again for
    /// `recheck_row` (none when every repeated id's rows are written alike).
    pub fn files_to_recheck(&self) -> Vec<u32> {
        self.index.recheck_files.iter().copied().collect()
    }

    /// Between the passes, over the files of `files_to_recheck` in the order the first pass
    /// read them: the rows of an id written in two ways compared in the contract's form.
    pub fn recheck_row(&mut self, row: &Row, map: &HeaderMap, file: u32) {
        if self.index.recheck.is_empty() {
            return;
        }
        let key = self.id_key(row, map, self.cols.record);
        let (Some(seen), true) = (
            self.index.map.get(&key).copied(),
            self.index.recheck.contains_key(&key),
        ) else {
            return;
        };
        let clean = self.content_hash(row, map, true);
        let differs_as_written = self.content_hash(row, map, false) != seen.content;
        let Some(r) = self.index.recheck.get_mut(&key) else {
            return;
        };
        if seen.file == file && seen.line == row.line {
            *r = Recheck {
                first: Some(clean),
                same: true,
            };
            return;
        }
        // Without the first row (a file that could not be read again) the rows stay apart.
        let same = r.first == Some(clean);
        r.same &= same;
        // The first pass counted rows written alike; these are the others that agree.
        if same
            && differs_as_written
            && seen.file != file
            && !cell(row, map, self.cols.record).trim().is_empty()
            && let Some(rep) = self.index.repeats.get_mut(&(seen.file, file))
        {
            rep.same += 1;
        }
    }

    /// After `recheck_row`: ids whose rows agree in the contract's form are one record.
    pub fn settle_rechecks(&mut self) {
        for (key, r) in std::mem::take(&mut self.index.recheck) {
            if let Some(seen) = self.index.map.get_mut(&key) {
                seen.same = r.first.is_some() && r.same;
            }
        }
    }

    /// A hash of a row's answers in the contract's column order (so a copy with its columns
    /// in another order, or saved from XLSX as CSV, hashes the same), as written or (`clean`)
    /// each answer as the validated file stores it: a record sent twice whose copies write one
    /// answer in two ways (`Kvinna` and `woman`, `20011230` and `2001-12-30`, a 10- and a
    /// 12-digit personal number, `Åsa` composed and decomposed) is one record, counted once,
    /// and not two that contradict each other, which quarantined both and left the person out
    /// of the run (an outside review). A cell that does not pass is hashed as written, marked
    /// apart, so it never equals a cleaned answer by chance. Rows written alike clean alike, so
    /// the first pass hashes them as written and only an id whose rows differ so is cleaned
    /// (`recheck_row`): cleaning every cell twice made ingest 40% slower.
    fn content_hash(&self, row: &Row, map: &HeaderMap, clean_cells: bool) -> u64 {
        let c = &self.cols;
        let clean = |i: usize, raw: &str| -> Option<String> {
            check_cell(self.schema, &self.schema.columns[i], raw)
                .ok()
                .map(|v| v.value)
        };
        // The birth date and the personal number are cleaned against the report year, as
        // `cross_checks` cleans them.
        let year: Option<i32> = clean_cells
            .then(|| clean(c.year, cell(row, map, c.year)))
            .flatten()
            .and_then(|y| y.parse().ok());
        let mut h = blake3::Hasher::new();
        for i in 0..self.schema.columns.len() {
            let raw = if clean_cells {
                answer(self.schema, row, map, i)
            } else {
                cell(row, map, i)
            };
            let value = if !clean_cells {
                None
            } else if raw.is_empty() {
                Some(String::new())
            } else if i == c.birth {
                date(raw, year, self.today).ok().map(|(d, _)| d.to_string())
            } else if i == c.pnr {
                year.and_then(|y| personal_number(raw, y, self.today).ok())
                    .map(|p| p.normalised)
            } else {
                clean(i, raw)
            };
            let (tag, text) = match &value {
                Some(v) => (0u8, v.as_str()),
                None => (1u8, raw),
            };
            h.update(&[tag]);
            h.update(&(text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        let mut out = [0u8; 8];
        out.copy_from_slice(&h.finalize().as_bytes()[..8]);
        u64::from_le_bytes(out)
    }

    /// Where a row was first seen, as a person would look for it from `file`.
    fn place(&self, seen: &Seen, file: u32) -> String {
        if seen.file == file {
            format!("line {}", seen.line)
        } else {
            let label = self
                .index
                .files
                .get(seen.file as usize)
                .map_or("?", String::as_str);
            format!("{label}, line {}", seen.line)
        }
    }

    /// A row that is the header again (two files pasted one under the other): one problem
    /// that says so, not one per column for answers that are column names.
    fn repeated_header(&self, row: &Row, map: &HeaderMap) -> Option<Problem> {
        // A record's year is a number, a header's is a column name: most rows are told apart
        // here without folding every cell against every column's names (which made ingest ten
        // times slower in version 0.11.0).
        if cell(row, map, self.cols.year).trim().parse::<f64>().is_ok() {
            return None;
        }
        let present = map.source.iter().filter(|s| s.is_some()).count();
        let names = (0..self.schema.columns.len())
            .filter(|&i| {
                let c = cell(row, map, i);
                !c.is_empty() && super::header::resolve_column(self.schema, c) == Some(i)
            })
            .count();
        (names >= 3 && 2 * names >= present).then(|| Problem {
            column: "(row)".into(),
            rule: "repeated_header",
            value: format!("{names} column names"),
            message: "the row is the header again, not a record (two files pasted one under the other?); delete the row, and check that the rows below it are not already in the file".into(),
        })
    }

    /// A summary row under the records (a sheet's `Totalt` and its sums): one problem that
    /// says so, not a missing record id and a refused answer per column.
    fn summary_row(&self, row: &Row) -> Option<Problem> {
        let word = row.cells.iter().map(|c| c.trim()).find(|c| !c.is_empty())?;
        let first = word
            .split(|c: char| c.is_whitespace() || c == ':')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        SUMMARY_WORDS.contains(&first.as_str()).then(|| Problem {
            column: "(row)".into(),
            rule: "summary_row",
            value: truncate(word, 200),
            message: format!(
                "the row is a summary ({}) under the records, not a person; delete it (keep sums on a sheet of their own)",
                truncate(word, 40)
            ),
        })
    }

    /// Second pass: the row's every problem, or its clean values. `file` is the number
    /// `add_file` gave the row's file in the first pass.
    pub fn validate(&self, row: &Row, map: &HeaderMap, file: u32) -> Outcome {
        if let Some(u) = row.unclosed {
            return Outcome::Rejected(vec![self.unclosed(row, map, u)]);
        }
        if let Some(p) = self.repeated_header(row, map).or_else(|| self.summary_row(row)) {
            return Outcome::Rejected(vec![p]);
        }
        let mut problems = Vec::new();
        // Separators too many at the end of every line (an export's trailing empty column)
        // lose nothing. On some lines only, they are as likely cells that slid right, as a
        // ';'-separated file's unquoted "sexual;labour" makes them (an outside review's row was
        // accepted with its exploitation form read as the countries), so any other count of
        // fields is refused.
        let trailing_blank = blank_past_header(row, map) && self.index.trails(file);
        // Fields missing at the end are empty cells whose separators were not written: Excel
        // leaves them out of rows whose last cells are empty (after the 16th row, in some
        // versions), and such a row ends with its last answer, never with an empty field. Read
        // as empty and counted, when every answer then fits its column (below); a row that lost
        // a field in the middle slides its later answers left, and ends as it ended before,
        // often empty: refused for its shape (an outside review's such rows were accepted with
        // answers one column over).
        let short = row.cells.len() < map.width
            && row.unclosed.is_none()
            && row.cells.last().is_some_and(|c| !c.trim().is_empty());
        if row.cells.len() != map.width && !trailing_blank && !short {
            let breaks: usize = row.cells.iter().map(|c| c.matches('\n').count()).sum();
            let why = if row.cells.len() < map.width {
                "it ends with an empty field, so it is not a row Excel shortened (those end with their last answer): a field is probably missing in the middle (a separator deleted); check its cells against the header".to_string()
            } else if breaks > 0 {
                format!(
                    "a cell of this row runs over {breaks} more line(s), so a quote (\") that is never closed has probably taken the rows after it into this one"
                )
            } else {
                "check the separator and quotes (a cell holding the file's separator, as sexual;labour in a file separated by ';', must be in quotes)".to_string()
            };
            return Outcome::Rejected(vec![bad_shape(row, map, &why)]);
        }
        for &pos in &map.blank {
            if let Some(v) = row.cells.get(pos).filter(|v| !v.trim().is_empty()) {
                problems.push(Problem {
                    column: unnamed_column(map, pos),
                    rule: "value_without_header",
                    value: truncate(v, 200),
                    message: "a value in a column without a header is not an answer to any question; delete it, or move it to the column it belongs in".into(),
                });
            }
        }
        let mut values: Vec<Option<String>> = vec![None; self.schema.columns.len()];
        let mut norms = Vec::new();
        let reshaped = match (short, trailing_blank) {
            (true, _) => Some(format!(
                "the last {} missing, read as empty",
                map.width - row.cells.len()
            )),
            (_, true) => Some("empty fields past the header's last column dropped".to_string()),
            _ => None,
        };
        if let Some(how) = reshaped {
            norms.push(Normalisation {
                column: "(row)".into(),
                from: format!("{} fields", row.cells.len()),
                to: format!("{} fields ({how})", map.width),
                ..Default::default()
            });
        }
        for (i, col) in self.schema.columns.iter().enumerate() {
            let raw = cell(row, map, i);
            let mut fail = |b: Broken| problems.push(problem(&col.name, raw, b));
            // Excel's way of keeping a number's leading zeros in CSV: counted, not shown, as
            // the cells are often personal numbers.
            if map.source[i]
                .and_then(|p| row.cells.get(p))
                .is_some_and(|c| excel_text(c.trim()).is_some())
            {
                norms.push(Normalisation {
                    column: col.name.clone(),
                    from: "=\"...\"".into(),
                    to: "(Excel's text formula read as the text inside it)".into(),
                    ..Default::default()
                });
            }
            if let Some(b) = control_character(raw).or_else(|| excel_error(raw)) {
                fail(b);
                continue;
            }
            if raw.chars().count() > self.schema.max_field_chars {
                fail(broken(
                    "field_too_long",
                    format!(
                        "{} characters; at most {} are allowed",
                        raw.chars().count(),
                        self.schema.max_field_chars
                    ),
                ));
                continue;
            }
            if raw.is_empty() {
                if col.kind == ColumnKind::Required {
                    fail(broken("required_value", format!("{} is required", col.name)));
                }
                continue;
            }
            // A record id has a rule of its own for such words (placeholder_record_id).
            if col.kind == ColumnKind::Required
                && col.ty != ColumnType::Text
                && self.schema.empty_markers.contains(&raw.to_lowercase())
            {
                fail(broken(
                    "required_value",
                    format!(
                        "{} is required, and {raw:?} is an export's mark for an empty cell: give the answer",
                        col.name
                    ),
                ));
                continue;
            }
            if self.schema.is_empty_marker(col, raw) {
                // The mark itself is shown: it is no answer and no identifier.
                norms.push(Normalisation {
                    column: col.name.clone(),
                    from: raw.to_string(),
                    to: if col.ty == ColumnType::PersonalNumber {
                        "(empty: a word or mark put where there is no personal number, read as none)".into()
                    } else {
                        "(empty: an export's mark for an empty cell, read as not answered)".into()
                    },
                    ..Default::default()
                });
                continue;
            }
            match check_cell(self.schema, col, raw) {
                Ok(c) => {
                    if let Some(n) = spaces_cleaned(col, map.source[i].and_then(|p| row.cells.get(p))) {
                        norms.push(n);
                    }
                    if col.ty == ColumnType::Country
                        && self.schema.empty_markers.contains(&raw.to_lowercase())
                    {
                        // Namibia's code is R's mark for an empty cell: kept, and counted so
                        // that a file exported from R is seen.
                        norms.push(Normalisation {
                            column: col.name.clone(),
                            from: raw.to_string(),
                            to: format!("{} (Namibia's code, kept; if it is an export's mark for an empty cell, as R's write.csv writes NA, leave the cell empty: na = \"\")", c.value),
                            ..Default::default()
                        });
                    }
                    for (from, to) in c.changes {
                        norms.push(Normalisation {
                            label: is_label(self.schema, col, &from, &to),
                            column: col.name.clone(),
                            from,
                            to,
                        });
                    }
                    if !c.value.is_empty() {
                        values[i] = Some(c.value);
                    } else if col.kind == ColumnKind::Required {
                        fail(broken("required_value", format!("{} is required", col.name)));
                    }
                }
                Err(b) => fail(b),
            }
        }
        self.cross_checks((row, map, file), (&mut values, &mut norms), &mut problems);
        if short && (!problems.is_empty() || self.fits_one_further(row, map)) {
            // The answers do not fit their columns as read, or the last one would fit the next
            // column as well (two yes/no columns side by side): a field may be missing in the
            // middle, and the answers after it would be read one column early.
            let listed: Vec<String> = problems
                .iter()
                .map(|p| format!("{} {}", p.column, p.rule))
                .collect();
            let why = if listed.is_empty() {
                "ends with an answer that fits the next column too, so it cannot be told where its answers belong".to_string()
            } else {
                format!(
                    "read with its last {} empty has answers that do not fit ({})",
                    map.width - row.cells.len(),
                    listed.join(", ")
                )
            };
            return Outcome::Rejected(vec![bad_shape(
                row,
                map,
                &format!(
                    "a row whose last cells are empty may leave out their separators, but this one {why}: a field may be missing in the middle of the row, so check its cells against the header (or save the file again from Excel with every column)"
                ),
            )]);
        }
        if problems.is_empty() {
            let c = &self.cols;
            let org_id = values[c.org].clone().unwrap_or_default();
            Outcome::Accepted(CleanRecord { values, org_id }, norms)
        } else {
            Outcome::Rejected(problems)
        }
    }

    /// The one problem of a row that a quote left open has spoilt: the row that opens it,
    /// or a line it took in.
    fn unclosed(&self, row: &Row, map: &HeaderMap, u: Unclosed) -> Problem {
        match u {
            Unclosed::Opens {
                column,
                first,
                last,
                count,
            } => {
                let cell = row.cells.get(column).copied().unwrap_or("");
                Problem {
                    column: column_name(self.schema, map, column),
                    rule: "unclosed_quote",
                    value: truncate(cell.lines().next().unwrap_or(""), 200),
                    message: format!(
                        "a quote (\") opened in this cell on line {} is never closed, so {} ({count} {} read into this cell; {} quarantined too. Close the quote (or delete it) and send the file again",
                        row.line,
                        lines(first, last),
                        if count == 1 {
                            "row of the file) was"
                        } else {
                            "rows of the file) were"
                        },
                        if count == 1 { "it is" } else { "each of them is" }
                    ),
                }
            }
            Unclosed::Taken { opened, column } => Problem {
                column: "(row)".into(),
                rule: "unclosed_quote",
                value: String::new(),
                message: format!(
                    "this line was read into column {} of line {opened}, where a quote (\") is opened and never closed; close the quote on line {opened} (or delete it) and send the file again",
                    column_name(self.schema, map, column)
                ),
            },
        }
    }
}

impl Validator<'_> {
    /// Whether a short row's last answer would pass in the column after its own as well.
    fn fits_one_further(&self, row: &Row, map: &HeaderMap) -> bool {
        let column_at = |pos: usize| map.source.iter().position(|s| *s == Some(pos));
        let last = row.cells.len().saturating_sub(1);
        match (row.cells.get(last), column_at(last + 1)) {
            (Some(value), Some(next)) => check_cell(self.schema, &self.schema.columns[next], value.trim())
                .is_ok_and(|c| !c.value.is_empty()),
            _ => false,
        }
    }
}

/// A row of the wrong number of fields, and why it cannot be read.
fn bad_shape(row: &Row, map: &HeaderMap, why: &str) -> Problem {
    Problem {
        column: "(row)".into(),
        rule: "bad_row_shape",
        value: format!("{} fields", row.cells.len()),
        message: format!(
            "the row has {} fields but the header has {}; {why}",
            row.cells.len(),
            map.width
        ),
    }
}

/// Spaces cleaned from an identifier, counted without showing it (an outside review saw a
/// personal number `19770318 3041` and names with non-breaking or leading spaces cleaned while
/// the report said nothing was normalised): in a personal number any space, in a name spaces
/// at its ends, a non-breaking space or two spaces in a row.
fn spaces_cleaned(col: &Column, cell: Option<&&str>) -> Option<Normalisation> {
    let cell: &str = cell?;
    let (name, pnr) = (
        matches!(col.name.as_str(), "given_name" | "family_name"),
        col.name == "personal_number",
    );
    // Ids and birth dates are compared as written once trimmed: the trimming is counted, as
    // an outside review found ' T-002 ' made 'T-002' without a word.
    let trimmed = matches!(
        col.name.as_str(),
        "record_id" | "related_record_id" | "birth_date"
    );
    let untidy = (pnr && cell.trim().chars().any(char::is_whitespace))
        || ((name || pnr) && (cell.trim() != cell || cell.contains('\u{a0}') || cell.contains("  ")))
        || (trimmed && cell.trim() != cell);
    untidy.then(|| Normalisation {
        column: col.name.clone(),
        from: "(spaces)".into(),
        to: if pnr {
            "(spaces removed)".into()
        } else if trimmed {
            "(spaces at the ends removed)".into()
        } else {
            "(spaces at the ends, non-breaking or doubled, made single)".into()
        },
        ..Default::default()
    })
}

/// Excel drops the leading zeros of a number typed into a cell not formatted as text, so a
/// personal number of someone born in 2000-2009 (0005171236) loses digits; the message says
/// so, as the person sees ten digits in Excel.
fn number_hint(mut b: Broken, row: &Row, map: &HeaderMap, col: usize) -> Broken {
    if b.rule == "pnr_format" && map.source[col].is_some_and(|p| row.is_number(p)) {
        b.message.push_str("; the cell is stored as a number in Excel, so leading zeros were lost; format the column as text (the template does) and type it again");
    }
    b
}

fn problem(column: &str, raw: &str, b: Broken) -> Problem {
    Problem {
        column: column.to_string(),
        rule: b.rule,
        value: truncate(raw, 200),
        message: b.message,
    }
}

/// Quarantine keeps the start of a huge value, enough to find it, not megabytes of it.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let head: String = s.chars().take(max).collect();
        format!("{head}… ({} characters)", s.chars().count())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_column_without_a_header_is_named_by_its_excel_letter() {
        let mut map = super::HeaderMap {
            source: Vec::new(),
            width: 800,
            renamed: Vec::new(),
            absent: Vec::new(),
            ignored: Vec::new(),
            pandas_index: Vec::new(),
            numbering: Vec::new(),
            numbering_named: Vec::new(),
            blank: Vec::new(),
            sheet_columns: None,
            decimal_ids: Vec::new(),
            warnings: Vec::new(),
        };
        assert_eq!(
            super::unnamed_column(&map, 7),
            "#8 (column H in Excel, no header)"
        );
        assert_eq!(
            super::unnamed_column(&map, 26),
            "#27 (column AA in Excel, no header)"
        );
        assert_eq!(
            super::unnamed_column(&map, 701),
            "#702 (column ZZ in Excel, no header)"
        );
        // A workbook's table in columns C to Y and a value in AB: the table's 24th column.
        map.sheet_columns = Some((2..=24).chain([27]).collect());
        assert_eq!(super::unnamed_column(&map, 23), "AB of the sheet (no header)");
    }
}
