//! Unused template rows (filled down, or numbered ahead of use) told from records, so that
//! neither pass takes them for a person.

use super::{header, read};
use crate::schema::Schema;

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
pub(super) struct TemplateColumns {
    record: Option<usize>,
    kind: Option<usize>,
    answers: Vec<usize>,
}

impl TemplateColumns {
    pub(super) fn of(schema: &Schema, map: &header::HeaderMap) -> Self {
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
