//! Maps a file's header to the contract's columns. Case, spacing and the Swedish or English
//! column label are accepted (and reported); unknown columns are an error unless ignored;
//! a column without a header is read so that a value in it is reported, not lost.

mod cells;
mod first_row;
mod mistakes;
#[cfg(test)]
mod tests;

use super::validate::excel_letters;
use crate::error::{FileError, Place};
use crate::schema::Schema;

use cells::{excel_table_name, near_column, one_line, other_header, pandas_index, row_number, strong_column};
use mistakes::{missing_columns, one_column_per_answer, whole_names};

pub(super) use cells::{header_cell, holds_a_long_number, looks_like_an_answer, resolve_column};
pub use first_row::{HeaderKind, TITLE_ROWS, classify, title_like};

#[derive(Debug, Clone)]
pub struct HeaderMap {
    /// For each contract column, its position in the file (None: absent, read as empty).
    pub source: Vec<Option<usize>>,
    pub width: usize,
    /// Header cells that were renamed to a contract column: (as written, column).
    pub renamed: Vec<(String, String)>,
    /// Contract columns the file does not have (treated as not answered).
    pub absent: Vec<String>,
    /// Unknown columns that were ignored on request.
    pub ignored: Vec<String>,
    /// Columns the user named to leave out (`--ignore-column`): passed over by their header,
    /// before any check of what their cells hold, so that no warning about them repeats.
    pub asked: Vec<String>,
    /// The names given to leave out (as given) that name a header cell of this table, left
    /// out or not: a name no table's header has is told of once the run is read.
    pub asked_found: Vec<String>,
    /// The row index pandas writes as a column (`__index_level_0__`), passed over (`pandas_index`).
    pub pandas_index: Vec<String>,
    /// A running number of the rows (`Nr`, `#`, `Löpnummer`), passed over (`row_number`).
    pub numbering: Vec<String>,
    /// Columns headed like a running number, by position and name: passed over only once
    /// their cells are found to be one (`ingest::numbering::named_running_numbers`).
    pub numbering_named: Vec<(usize, String)>,
    /// Positions of columns without a header (Excel's trailing empty columns, a stray cell
    /// far to the right): read, and a row with a value in one is quarantined, not dropped.
    pub blank: Vec<usize>,
    /// The sheet column (0 is A) of each of the table's columns, where empty columns of a
    /// workbook sheet were dropped; otherwise a column's place is its column.
    pub sheet_columns: Option<Vec<usize>>,
    /// Contract columns (ids, personal numbers) read without the `.0` every filled cell has
    /// (`ingest::decimals`).
    pub decimal_ids: Vec<usize>,
    /// What the run warns of on the console: columns left out on request that may have held
    /// a contract column's answers.
    pub warnings: Vec<String>,
}

#[cfg(test)]
pub fn map_header(
    schema: &Schema,
    header: &[String],
    at: &Place,
    ignore_extra: bool,
) -> Result<HeaderMap, FileError> {
    map_header_leaving(schema, header, at, ignore_extra, &[])
}

/// `map_header`, leaving out the columns named in `asked` (`--ignore-column`) whatever they
/// hold: the user has looked at them and says they are the organisation's own.
pub fn map_header_leaving(
    schema: &Schema,
    header: &[String],
    at: &Place,
    ignore_extra: bool,
    asked: &[String],
) -> Result<HeaderMap, FileError> {
    let mut named = Vec::new();
    let mut source: Vec<Option<usize>> = vec![None; schema.columns.len()];
    let mut renamed = Vec::new();
    let mut unknown = Vec::new();
    let mut blank = Vec::new();
    let mut pandas = Vec::new();
    let mut numbering = Vec::new();
    let mut weak: Vec<(usize, String, usize)> = Vec::new();
    for (pos, raw) in header.iter().enumerate() {
        let cell = header_cell(raw);
        if cell.is_empty() || excel_table_name(&cell) {
            blank.push(pos);
            continue;
        }
        if pandas_index(&cell) {
            pandas.push(cell.to_string());
            continue;
        }
        if asked.iter().any(|a| same_header(a, &cell)) {
            named.push((pos, cell.to_string()));
            continue;
        }
        if strong_column(schema, &cell).is_none()
            && let Some(idx) = other_header(schema, &cell)
        {
            weak.push((pos, cell.to_string(), idx));
            continue;
        }
        let Some(idx) = resolve_column(schema, &cell) else {
            if row_number(&cell) {
                numbering.push((pos, cell.to_string()));
            } else {
                unknown.push(cell.to_string());
            }
            continue;
        };
        if let Some(first) = source[idx] {
            let before = header_cell(header[first].as_str());
            let places = format!(
                "its {} and its {} header cell (columns {} and {} where the table starts in column A)",
                ordinal(first + 1),
                ordinal(pos + 1),
                excel_letters(first),
                excel_letters(pos)
            );
            return Err(FileError::DuplicateColumn {
                at: at.clone(),
                column: schema.columns[idx].name.clone(),
                cells: if before == cell {
                    format!(
                        ", as {places}: if one holds another column's answers (a header copied by mistake), rename it to that column; if both hold the same, delete one"
                    )
                } else {
                    format!(
                        ", as {} and as {} (both name it): {places}; keep one of them",
                        one_line(&before),
                        one_line(&cell)
                    )
                },
            });
        }
        if *cell != schema.columns[idx].name {
            renamed.push((cell.to_string(), schema.columns[idx].name.clone()));
        }
        source[idx] = Some(pos);
    }
    // An organisation's own header names the column only where the file has none of its own.
    for (pos, cell, idx) in weak {
        if source[idx].is_none() {
            renamed.push((cell, schema.columns[idx].name.clone()));
            source[idx] = Some(pos);
        } else {
            unknown.push(cell);
        }
    }
    let left_out = leave_out_named(schema, named, &source, &mut unknown, &mut numbering);
    let missing: Vec<&str> = schema
        .required_columns()
        .filter(|c| schema.column_index(&c.name).and_then(|i| source[i]).is_none())
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(missing_columns(schema, header, at, &missing));
    }
    let answers = unknown.iter().filter(|c| looks_like_an_answer(schema, c)).count();
    // Checked before --ignore-extra-columns, which would drop that record unseen. Three, so
    // that two extra columns of the organisation's own ("2023", "2024") are only not shown;
    // more than a record has cells are columns of the file's own (`c1`..`c3000`), not a record.
    if answers >= 3 && answers <= schema.columns.len() {
        return Err(FileError::RecordOnHeaderLine {
            at: at.clone(),
            cells: unknown.len(),
        });
    }
    // A near miss of a contract column the file does not have (`birthdate`, `family
    // name/surname`) is that column under another name, not an extra column: left out by
    // --ignore-extra-columns, its answers were lost unseen (an outside review's file lost every
    // identifier so, and linkage every match key). Refused with or without the flag, naming
    // the column meant, and the flag is not offered for it.
    let near: Vec<(&String, &str)> = unknown
        .iter()
        .filter(|c| !looks_like_an_answer(schema, c))
        .filter_map(|c| {
            let meant = near_column(schema, c)?;
            let absent = schema.column_index(meant).is_some_and(|i| source[i].is_none());
            absent.then_some((c, meant))
        })
        .collect();
    if !near.is_empty() {
        let others: Vec<String> = unknown
            .iter()
            .filter(|c| !looks_like_an_answer(schema, c) && !near.iter().any(|(n, _)| n == c))
            .map(|c| one_line(c))
            .collect();
        return Err(FileError::NearColumns {
            at: at.clone(),
            near: near
                .iter()
                .map(|(c, meant)| format!("{} (is {meant} meant?)", one_line(c)))
                .collect::<Vec<_>>()
                .join(", "),
            others: if others.is_empty() {
                String::new()
            } else {
                format!(
                    "; the other unknown column(s) {} are no contract column's: rename them to contract columns or pass --ignore-extra-columns",
                    others.join(", ")
                )
            },
        });
    }
    let as_columns =
        one_column_per_answer(schema, &unknown, &source).or_else(|| whole_names(schema, &unknown, &source));
    let mut warnings = Vec::new();
    if let Some(a) = as_columns {
        if !ignore_extra {
            return Err(FileError::AnswersAsColumns {
                at: at.clone(),
                columns: a.columns,
                column: a.column,
                advice: a.advice.into(),
            });
        }
        warnings.push(format!(
            "unknown column(s) {} were left out (--ignore-extra-columns), and the file has no column {}: {}; if so, those answers are not in the tables",
            a.columns, a.column, a.advice
        ));
    }
    if !unknown.is_empty() && !ignore_extra {
        use super::ignored::{AGE_GROUP, names_an_age};
        // Ages in years where the child-or-adult column is missing: left out on request, the
        // age group is published as not answered, so the way to make it is said here.
        let no_age_group = schema
            .column_index(AGE_GROUP)
            .is_some_and(|i| source[i].is_none());
        let mut shown: Vec<String> = unknown
            .iter()
            .filter(|c| !looks_like_an_answer(schema, c))
            .map(|c| match near_column(schema, c) {
                Some(near) => format!("{} (is {near} meant?)", one_line(c)),
                None if no_age_group && names_an_age(c) => format!(
                    "{} (ages? the contract takes {AGE_GROUP}: add it, Barn for a person under 18 at the first contact, else Vuxen)",
                    one_line(c)
                ),
                None => one_line(c),
            })
            .collect();
        // Headers that look like answers (a date, a name) are not repeated in a message that
        // may be shared: counted apart, so the count does not read as a column's name.
        if answers > 0 {
            let (more, look) = match (shown.is_empty(), answers) {
                (true, 1) => ("", "whose header looks"),
                (true, _) => ("", "whose headers look"),
                (false, 1) => ("and ", "more whose header looks"),
                (false, _) => ("and ", "more whose headers look"),
            };
            shown.push(format!("{more}{answers} {look} like an answer (not shown)"));
        }
        return Err(FileError::ExtraColumns {
            at: at.clone(),
            columns: shown.join(", "),
        });
    }
    let absent = schema
        .columns
        .iter()
        .zip(&source)
        .filter(|(_, s)| s.is_none())
        .map(|(c, _)| c.name.clone())
        .collect();
    Ok(HeaderMap {
        source,
        width: header.len(),
        renamed,
        absent,
        ignored: unknown,
        asked: left_out,
        asked_found: asked
            .iter()
            .filter(|a| header.iter().any(|raw| same_header(a, &header_cell(raw))))
            .cloned()
            .collect(),
        pandas_index: pandas,
        numbering: Vec::new(),
        numbering_named: numbering,
        blank,
        sheet_columns: None,
        decimal_ids: Vec::new(),
        warnings,
    })
}

/// The columns named to leave out (`--ignore-column`) that are left out. A column no refusal
/// or check would stop is; one that may hold a contract column's answers goes on as if it
/// were not named, so that those refusals hold: a near miss of a contract column the file
/// lacks (`Personnumer`), a header that is an answer or a name (one column per answer), and
/// a running number's header (`Nr`: its cells are checked for personal numbers).
fn leave_out_named(
    schema: &Schema,
    named: Vec<(usize, String)>,
    source: &[Option<usize>],
    unknown: &mut Vec<String>,
    numbering: &mut Vec<(usize, String)>,
) -> Vec<String> {
    let mut left_out = Vec::new();
    // Two or more answers of one code column the file lacks (`Kvinna`, `Man`) are a sheet laid
    // out one column per answer: named together, none is left out.
    let cells: Vec<String> = named.iter().map(|(_, c)| c.clone()).collect();
    let per_answer = one_column_per_answer(schema, &cells, source).is_some();
    for (pos, cell) in named {
        let near_absent = near_column(schema, &cell)
            .and_then(|meant| schema.column_index(meant))
            .is_some_and(|i| source[i].is_none());
        let an_answer = per_answer
            || looks_like_an_answer(schema, &cell)
            || whole_names(schema, std::slice::from_ref(&cell), source).is_some();
        if near_absent || an_answer {
            unknown.push(cell);
        } else if row_number(&cell) {
            numbering.push((pos, cell));
        } else {
            left_out.push(cell);
        }
    }
    left_out
}

/// Whether a header cell is the column a user named: case and runs of spaces aside, as a
/// name typed on the command line differs from the cell.
pub(in crate::ingest) fn same_header(asked: &str, cell: &str) -> bool {
    asked_key(asked) == fold_header(cell)
}

/// A name given to leave out as header cells are compared with it (`same_header`).
pub(in crate::ingest) fn asked_key(asked: &str) -> String {
    fold_header(&header_cell(asked))
}

/// Case, runs of spaces and quotes around the whole cell aside (a header typed `"Tolk"` is
/// read as Tolk, and `--ignore-column Tolk` names it).
fn fold_header(cell: &str) -> String {
    let cell = cells::unquoted(cell.trim()).unwrap_or(cell);
    crate::ingest::fields::collapse_spaces(cell).to_lowercase()
}

/// The first of `asked` (`--ignore-column`) that names a contract column, by its name or one
/// of its headers, with that column: such a column cannot be left out, since its answers
/// are the tables'.
pub fn asked_contract_column<'a>(schema: &'a Schema, asked: &'a [String]) -> Option<(&'a str, &'a str)> {
    asked.iter().find_map(|a| {
        let cell = header_cell(a);
        let idx = resolve_column(schema, &cell)?;
        Some((a.as_str(), schema.columns[idx].name.as_str()))
    })
}

/// 1st, 2nd, 3rd, 4th, 11th, 21st: a header cell's place as a message says it.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
