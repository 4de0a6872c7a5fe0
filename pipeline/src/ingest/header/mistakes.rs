//! The mistakes a header is recognised as, so that its refusal says what to fix: columns
//! missing, a line of data or another separator taken for the header, answers or whole names
//! laid out as columns.

use std::borrow::Cow;

use super::cells::{header_cell, looks_like_an_answer, one_line, resolve_column, without_hints};
use crate::error::{FileError, Place};
use crate::schema::Schema;

/// Unknown columns that name answers or names of a column the file lacks, and what to do.
pub(super) struct AsColumns {
    pub(super) columns: String,
    pub(super) column: String,
    pub(super) advice: String,
}

/// Unknown columns headed by two or more answers of one code column the file lacks
/// (`Sexuell exploatering`, `Tiggeri`, each marked with an X): a sheet laid out one column per
/// answer. Left out on request, every row's answers were lost (an outside review's T04 was
/// all not answered). Judged by the headers alone, so it may be wrong (`Socialtjänst` may
/// name a municipality): the advice says "if".
pub(super) fn one_column_per_answer(
    schema: &Schema,
    unknown: &[String],
    source: &[Option<usize>],
) -> Option<AsColumns> {
    use crate::schema::{ColumnType, Resolved};
    schema.columns.iter().zip(source).find_map(|(col, src)| {
        if src.is_some() || col.ty != ColumnType::Code {
            return None;
        }
        let list = schema.list_for(col)?;
        let answers: Vec<(String, String)> = unknown
            .iter()
            .filter_map(|c| match list.resolve(&without_hints(c)) {
                Resolved::Exact(code) | Resolved::Normalised(code) if code != "unknown" => {
                    Some((one_line(c), code))
                }
                _ => None,
            })
            .collect();
        if answers.len() < 2 {
            return None;
        }
        let advice = if col.multi {
            format!(
                "if each marks an answer (one column per answer, an X where it applies), put a row's answers in one column {}, several joined by ';' (for example {:?})",
                col.name,
                format!("{};{}", answers[0].1, answers[1].1)
            )
        } else {
            format!(
                "if each marks an answer (one column per answer, an X where it applies), put a row's answer in one column {}, which takes one answer a row (for example {:?})",
                col.name, answers[0].1
            )
        };
        Some(AsColumns {
            columns: answers.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", "),
            column: col.name.clone(),
            advice,
        })
    })
}

/// A column headed as names (`Namn`, `Name`, `Fullständigt namn`) where the file lacks a name
/// column: left out on request, those names were lost and the records linked by less.
pub(super) fn whole_names(
    schema: &Schema,
    unknown: &[String],
    source: &[Option<usize>],
) -> Option<AsColumns> {
    const WHOLE: [&str; 8] = [
        "namn",
        "name",
        "fullständigt namn",
        "full name",
        "för- och efternamn",
        "för och efternamn",
        "personens namn",
        "klientens namn",
    ];
    let absent = |c: &str| schema.column_index(c).is_some_and(|i| source[i].is_none());
    let missing = match (absent("given_name"), absent("family_name")) {
        (true, true) => "given_name or family_name",
        (true, false) => "given_name",
        (false, true) => "family_name",
        (false, false) => return None,
    };
    let cell = unknown
        .iter()
        .find(|c| WHOLE.contains(&without_hints(c).to_lowercase().as_str()))?;
    Some(AsColumns {
        columns: one_line(cell),
        column: missing.to_string(),
        advice: "if it holds given names (or family names) only, name it given_name (Förnamn) or family_name (Efternamn); if whole names, split it into the two (in Excel, Data > Text to Columns), since linkage compares given and family names".into(),
    })
}

/// A header whose cells are mostly not column names is a first line of data: its cells are
/// a person's details, so they are counted, not shown.
pub(super) fn missing_columns(schema: &Schema, header: &[String], at: &Place, missing: &[&str]) -> FileError {
    let (named, cells) = named_cells(schema, header);
    if let Some(sep) = other_separator(schema, header) {
        return FileError::WrongSeparator {
            at: at.clone(),
            separator: sep,
        };
    }
    if 2 * named >= cells {
        // The header as found, but a cell that reads as a value (a date, a personal number)
        // is a person's detail on the header's line, and is not printed.
        let found: Vec<String> = header
            .iter()
            .map(|h| {
                if looks_like_an_answer(schema, h.trim()) && resolve_column(schema, &header_cell(h)).is_none()
                {
                    "(a value, not shown)".to_string()
                } else {
                    one_line(h)
                }
            })
            .collect();
        return FileError::MissingColumns {
            at: at.clone(),
            missing: missing.join(", "),
            found: found.join(", "),
        };
    }
    FileError::NotAHeader {
        at: at.clone(),
        missing: missing.join(", "),
        named,
        cells,
    }
}

/// The character that separates the header's column names when it is not the separator the
/// file was read with (a `|`-separated file, or a `sep=;` line above a comma-separated one):
/// split at it, most cells name contract columns.
fn other_separator(schema: &Schema, header: &[String]) -> Option<char> {
    let (named_as_read, _) = named_cells(schema, header);
    ['|', ',', ';', '\t'].into_iter().find(|&sep| {
        let split: Vec<String> = header
            .iter()
            .flat_map(|h| h.split(sep).map(str::to_string))
            .collect();
        let (named, cells) = named_cells(schema, &split);
        named > named_as_read + 1 && 2 * named >= cells
    })
}

/// Of the header's non-empty cells: how many name a contract column, and how many there are.
fn named_cells(schema: &Schema, header: &[String]) -> (usize, usize) {
    let cells: Vec<Cow<'_, str>> = header
        .iter()
        .map(|h| header_cell(h))
        .filter(|c| !c.is_empty())
        .collect();
    let named = cells
        .iter()
        .filter(|c| resolve_column(schema, c).is_some())
        .count();
    (named, cells.len())
}
