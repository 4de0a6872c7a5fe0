//! Unused template rows (filled down, or numbered ahead of use) told from records, so that
//! neither pass takes them for a person.

use super::fields::{check_cell, excel_text};
use super::validate::summary_word;
use super::{header, read};
use crate::schema::{Column, Schema};

/// Whether a row is an unused template row rather than a record: nothing in it but what a
/// template fills in ahead of the records (the organisation, the year, the commonest contact
/// kind, filled down), or a record id numbered ahead of use without a contact kind
/// (`Some(true)`; an outside review's workbook had 192 such rows below 8 records, each
/// quarantined as a record without a contact kind, which stopped `run`). A running number in a column outside the contract (`Nr`)
/// or without a header is no answer either. A row with any answer is a record (`None`).
pub(super) fn template_row(cols: &TemplateColumns, row: &read::Row, width: usize) -> Option<bool> {
    if row.unclosed.is_some() {
        return None;
    }
    let blank = |p: &usize| row.cells.get(*p).is_none_or(|c| c.trim().is_empty());
    if !cols.answers.iter().all(blank) {
        return None;
    }
    // Only what a template fills in: a whole record pasted into one cell, a note, or a personal
    // number in the org_id column is no template's, and was passed over without a word (an
    // outside review lost a person so, with `run` publishing without them).
    // A mark that is no valid answer passes beside a record id only if it does not read as a
    // person's name: `Anna Svensson` in org_id is a record written into the wrong columns (an
    // outside review's row was passed over so), while a dropdown's `Välj…` numbered ahead is a
    // template's. A summary's word (`Totalt`, `Summa:`) is told as a summary.
    let id = cols
        .record
        .and_then(|p| row.cells.get(p))
        .map_or("", |c| c.trim());
    let with_id = !id.is_empty();
    if summary_word(id).is_some() {
        return None;
    }
    let filled_in = |(p, col): &(usize, &Column)| {
        row.cells.get(*p).map(|c| c.trim()).is_none_or(|c| {
            let c = excel_text(c).map_or(c, str::trim);
            c.is_empty()
                || check_cell(cols.schema, col, c).is_ok()
                || (a_short_mark(c) && summary_word(c).is_none() && !(with_id && a_name(c)))
        })
    };
    if !cols.prefilled.iter().all(filled_in) {
        return None;
    }
    // An id with a contact kind is a record the contract accepts as it is (a person met,
    // nothing else known): only an id without one is a number written ahead of use.
    if !with_id {
        return Some(false);
    }
    // A CSV row shorter than the header lost fields (its answers may have slid into the id's
    // place): that is the row's shape problem, told as such, not a template row.
    (row.cells.len() >= width && cols.kind.is_none_or(|p| blank(&p))).then_some(true)
}

/// Where a table's columns are for `template_row`, found once per table: the record id, the
/// contact kind, and every column that holds an answer (all but the filled-down ones and the id,
/// with the columns without a header).
pub(super) struct TemplateColumns<'s> {
    schema: &'s Schema,
    record: Option<usize>,
    kind: Option<usize>,
    /// The filled-down columns, each with its contract column, to check what they hold.
    prefilled: Vec<(usize, &'s Column)>,
    answers: Vec<usize>,
}

impl<'s> TemplateColumns<'s> {
    pub(super) fn of(schema: &'s Schema, map: &header::HeaderMap) -> Self {
        let col = |name: &str| schema.column_index(name).and_then(|i| map.source[i]);
        let prefilled: Vec<(usize, &Column)> = ["org_id", "report_year", "contact_kind"]
            .into_iter()
            .filter_map(|name| Some((col(name)?, schema.column(name)?)))
            .collect();
        let record = col("record_id");
        let answers = map
            .source
            .iter()
            .flatten()
            .copied()
            .filter(|p| !prefilled.iter().any(|(q, _)| q == p) && Some(*p) != record)
            .chain(map.blank.iter().copied())
            .collect();
        TemplateColumns {
            schema,
            record,
            kind: col("contact_kind"),
            prefilled,
            answers,
        }
    }
}

/// A filled-down value that is no valid answer but no record either: a member code not in the
/// register, a dropdown's `Välj…`, a year to come. Such rows are still a template's (their
/// value is told wrong on the records that share it); a personal number, a note or a record
/// written into one cell is longer, or holds digits of a date or separators.
fn a_short_mark(cell: &str) -> bool {
    cell.chars().count() <= 20
        && cell.chars().filter(char::is_ascii_digit).count() < 6
        && cell.split_whitespace().count() <= 2
        && !cell.contains([',', ';', '\t', '|'])
}

/// Two words or more, each a capital and small letters (`Anna Svensson`, `Li Na-Ying`): a
/// person's name, not a dropdown's `Välj…` or `Välj organisation`, nor a member's code.
fn a_name(cell: &str) -> bool {
    let words: Vec<&str> = cell.split_whitespace().collect();
    words.len() >= 2
        && words.iter().all(|w| {
            let mut chars = w.chars();
            chars.next().is_some_and(char::is_uppercase)
                && chars.clone().any(char::is_lowercase)
                && chars.all(|c| c.is_alphabetic() || c == '-' || c == '\'')
        })
}
