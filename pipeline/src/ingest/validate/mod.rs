//! Validates one row against every rule of the contract, single-cell and cross-column, and
//! returns either the clean record or every problem found (so one pass shows them all).
//! The first pass's index of record ids is in `index`; a row's checks in `row` and `cross`.

use super::fields::{Broken, Today, broken, excel_text};
use super::header::HeaderMap;
use super::read::Row;
use crate::schema::{Column, ColumnType, Schema};
use index::IdIndex;

mod columns;
mod cross;
mod index;
mod row;

pub(in crate::ingest) use row::summary_word;

pub(super) use columns::{excel_letters, unnamed_column};

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
        ColumnType::Country if to == schema.unknown_country.code => {
            from == schema.unknown_country.sv || from == schema.unknown_country.en
        }
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

/// A value's form without its digits ("19781201" is "########"), for the report to count a
/// change to a birth date without showing the date.
fn digits_hidden(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// Positions of the columns the cross-column rules need.
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
}

/// Excel drops the leading zeros of a number typed into a cell not formatted as text, so a
/// personal number of someone born in 2000-2009 (0005171236) loses digits; the message says
/// so, as the person sees ten digits in Excel.
fn number_hint(mut b: Broken, (row, raw): (&Row, &str), map: &HeaderMap, col: usize) -> Broken {
    if b.rule != "pnr_format" {
        return b;
    }
    if map.source[col].is_some_and(|p| row.is_number(p)) {
        b.message.push_str("; the cell is stored as a number in Excel, so leading zeros were lost; format the column as text (the template does) and type it again");
    } else if zero_decimals(raw) {
        // Read without its decimals only where every filled cell of the column has them
        // (`decimals`); beside whole numbers it is refused, and its message said only that
        // the digits were too many (an outside review).
        b.message.push_str("; the number ends in a decimal part of zeros (.0), as a program writes a number stored as a decimal: write the personal number as text, without the decimals");
    }
    b
}

/// Digits, then a decimal point or comma and zeros only (`199003051233.0`).
fn zero_decimals(raw: &str) -> bool {
    raw.trim().split_once(['.', ',']).is_some_and(|(whole, zeros)| {
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && !zeros.is_empty()
            && zeros.bytes().all(|b| b == b'0')
    })
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
