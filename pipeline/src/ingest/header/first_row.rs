//! What a sheet's first rows are: title rows above a header, and a header of records, nearly
//! one, or something else (instructions, code lists), judged by the columns it names.

use super::cells::{header_cell, resolve_column};
use crate::schema::Schema;

/// Rows of a title that may stand above the header, in a sheet or a CSV file.
pub const TITLE_ROWS: usize = 3;

/// Whether a row above the header reads as a title (a heading, a merged group label): at most
/// two different values. Workbooks and CSV files pass over such rows by this one rule.
pub fn title_like<'c>(cells: impl IntoIterator<Item = &'c str>) -> bool {
    let values: std::collections::BTreeSet<&str> = cells
        .into_iter()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    values.len() <= 2
}

/// What a first row is, judged by the columns it names as `map_header` resolves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    /// Every required column: a table of records.
    Records,
    /// `record_id`, or all required columns but one: meant as records, but not readable as
    /// they are, so its failure must be told rather than the sheet passed over.
    NearRecords,
    /// Anything else: instructions, a code list (the template's `Koder` names org_id and
    /// contact_kind as the titles of its lists).
    Other,
}

pub fn classify(schema: &Schema, header: &[String]) -> HeaderKind {
    let found: Vec<usize> = header
        .iter()
        .filter_map(|h| resolve_column(schema, &header_cell(h)))
        .collect();
    let has = |name: &str| schema.column_index(name).is_some_and(|i| found.contains(&i));
    let required: Vec<&str> = schema.required_columns().map(|c| c.name.as_str()).collect();
    let lacking = required.iter().filter(|r| !has(r)).count();
    match lacking {
        0 => HeaderKind::Records,
        1 if required.len() > 1 => HeaderKind::NearRecords,
        _ if has("record_id") => HeaderKind::NearRecords,
        _ => HeaderKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{cells, schema};
    use super::{HeaderKind, classify};

    #[test]
    fn first_rows_are_told_apart_by_the_columns_they_name() {
        let s = schema();
        let kind = |c: &[&str]| classify(&s, &cells(c));
        // Swedish labels and other case resolve as map_header resolves them.
        assert_eq!(
            kind(&["Organisation", "Ärende-id", "Rapportår", "Typ av kontakt"]),
            HeaderKind::Records
        );
        assert_eq!(
            kind(&["ORG_ID", " record_id ", "report_year", "Contact_Kind"]),
            HeaderKind::Records
        );
        assert_eq!(
            kind(&["org_id", "record_id", "kommentar"]),
            HeaderKind::NearRecords
        );
        assert_eq!(
            kind(&["org_id", "report_year", "contact_type", "Typ av kontakt"]),
            HeaderKind::NearRecords
        );
        // The template's code lists and instructions.
        assert_eq!(
            kind(&["org_id", "contact_kind", "gender", "age_group"]),
            HeaderKind::Other
        );
        assert_eq!(
            kind(&["kolumn / column", "svenska", "English"]),
            HeaderKind::Other
        );
        assert_eq!(kind(&[]), HeaderKind::Other);
    }
}
