//! Maps a file's header to the contract's columns. Case, spacing and the Swedish or English
//! column label are accepted (and reported); unknown columns are an error unless ignored;
//! a column without a header is read so that a value in it is reported, not lost.

use std::borrow::Cow;

use super::validate::excel_letters;
use crate::error::{FileError, Place};
use crate::schema::Schema;

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

pub fn map_header(
    schema: &Schema,
    header: &[String],
    at: &Place,
    ignore_extra: bool,
) -> Result<HeaderMap, FileError> {
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
        pandas_index: pandas,
        numbering: Vec::new(),
        numbering_named: numbering,
        blank,
        sheet_columns: None,
        decimal_ids: Vec::new(),
        warnings,
    })
}

/// Unknown columns that name answers or names of a column the file lacks, and what to do.
struct AsColumns {
    columns: String,
    column: String,
    advice: String,
}

/// Unknown columns headed by two or more answers of one code column the file lacks
/// (`Sexuell exploatering`, `Tiggeri`, each marked with an X): a sheet laid out one column per
/// answer. Left out on request, every row's answers were lost (an outside review's T04 was
/// all not answered). Judged by the headers alone, so it may be wrong (`Socialtjänst` may
/// name a municipality): the advice says "if".
fn one_column_per_answer(schema: &Schema, unknown: &[String], source: &[Option<usize>]) -> Option<AsColumns> {
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
fn whole_names(schema: &Schema, unknown: &[String], source: &[Option<usize>]) -> Option<AsColumns> {
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

/// A column that numbers the rows, as staff add one in Excel (`Nr`, `#`, `Löpnummer`): no
/// contract column is named so, and an outside review's file failed whole for it as an
/// unknown column, with advice to pass --ignore-extra-columns, which staff cannot.
fn row_number(cell: &str) -> bool {
    let c = cell.to_lowercase();
    let c = c.trim_end_matches('.');
    [
        "nr",
        "#",
        "no",
        "nummer",
        "löpnummer",
        "löpnr",
        "lnr",
        "radnummer",
        "radnr",
        "rad",
        "row",
        "row number",
    ]
    .contains(&c)
}

/// The name pandas gives the row index it writes into a file as a column (`to_parquet`
/// without `index=False`, after rows were filtered): `__index_level_0__`, one per level. It
/// holds row labels, never answers, and no contract column is misspelt so: passed over with a
/// note rather than failing the file as an unknown column would (which guards against a
/// misspelt column being lost).
fn pandas_index(cell: &str) -> bool {
    cell.strip_prefix("__index_level_")
        .and_then(|rest| rest.strip_suffix("__"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A header whose cells are mostly not column names is a first line of data: its cells are
/// a person's details, so they are counted, not shown.
fn missing_columns(schema: &Schema, header: &[String], at: &Place, missing: &[&str]) -> FileError {
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

/// A header cell as a one-line message shows it: a line break typed in the cell (Alt+Enter,
/// `Födelse-` over `datum`) written `\n`, as the break itself split the message's line in two
/// (an outside review).
fn one_line(cell: &str) -> String {
    cell.replace("\r\n", "\\n").replace(['\n', '\r'], "\\n")
}

/// A header cell as it is matched: without spaces and BOM, and composed (NFC), as a Mac
/// writes "Kön" with its ö decomposed.
pub(super) fn header_cell(raw: &str) -> Cow<'_, str> {
    super::fields::composed(raw.trim().trim_start_matches('\u{feff}'))
}

/// A header cell that reads as a record's value rather than a column's name: a date or a
/// number (a birth date, a personal number, a year), a member's code, or a code of one of the
/// contract's lists. Such cells are never printed: on a header line they are most likely the
/// first record, run onto it when a line break was lost, with a person's details.
fn looks_like_an_answer(schema: &Schema, cell: &str) -> bool {
    let digits = cell.chars().filter(char::is_ascii_digit).count();
    (digits >= 2 && 2 * digits >= cell.chars().count())
        || crate::dates::PartialDate::parse(cell).is_ok()
        || super::fields::member_code(schema, cell).is_some()
        || schema
            .code_lists
            .values()
            .any(|l| l.get(cell).is_some() || l.get(&cell.to_lowercase()).is_some())
}

/// The contract column a header cell names: by name, label or alias, else by an
/// organisation's own header (`Column::other_headers`).
pub(super) fn resolve_column(schema: &Schema, cell: &str) -> Option<usize> {
    strong_column(schema, cell).or_else(|| other_header(schema, cell))
}

/// The column a header cell names by name, label or alias, with or without a form's hints.
fn strong_column(schema: &Schema, cell: &str) -> Option<usize> {
    resolve_exactly(schema, cell).or_else(|| {
        let bare = without_hints(cell);
        (bare != cell && !bare.is_empty())
            .then(|| resolve_exactly(schema, &bare))
            .flatten()
    })
}

/// The column whose `other_headers` holds the cell (folded, with or without hints).
fn other_header(schema: &Schema, cell: &str) -> Option<usize> {
    schema.column_by_other_header(cell).or_else(|| {
        let bare = without_hints(cell);
        (bare != cell && !bare.is_empty())
            .then(|| schema.column_by_other_header(&bare))
            .flatten()
    })
}

/// A header cell without what a form adds to a column's name: a hint in brackets
/// (`Födelsedatum (ÅÅÅÅ-MM-DD)`, `personal_number` and `(ÅÅÅÅMMDD-XXXX)` on a second line), the
/// star of a required column (`Kön*`), a colon or a full stop (`Personnr.`, an abbreviation's).
/// An outside review's file lost three columns to `--ignore-extra-columns` this way.
fn without_hints(cell: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in cell.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = super::fields::collapse_spaces(&out);
    out.trim_end_matches(['*', ':', '.', ' '])
        .trim_start_matches(['*', ' '])
        .to_string()
}

/// The name Excel gives a column of a table (Insert > Table) that had no header: `Kolumn1`,
/// `Column2`. Read as a column without a header, so that a value in it is reported and an
/// empty one costs nothing.
fn excel_table_name(cell: &str) -> bool {
    ["Kolumn", "Column"].iter().any(|p| {
        cell.strip_prefix(p)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    })
}

/// The contract column an unknown header cell is probably a misspelling of (a typo of a
/// column's name or label, as a refused answer's typo is told, see `shown::near_answer`), for
/// the message.
fn near_column<'s>(schema: &'s Schema, cell: &str) -> Option<&'s str> {
    let labels = |c: &'s crate::schema::Column| [c.name.as_str(), c.sv.as_str(), c.en.as_str()];
    let near_one = |part: &str| {
        let near = super::shown::near_answer(part, schema.columns.iter().flat_map(labels))?;
        schema.columns.iter().find(|c| labels(c).contains(&near))
    };
    if let Some(c) = near_one(cell) {
        return Some(c.name.as_str());
    }
    // Two names for one column (`family name/surname`): each part names the same column.
    let mut meant = cell.split('/').map(str::trim).filter(|p| !p.is_empty()).map(|p| {
        resolve_column(schema, p)
            .map(|i| &schema.columns[i])
            .or_else(|| near_one(p))
    });
    let first = meant.next()??;
    let all_one = cell.contains('/') && meant.all(|c| c.is_some_and(|c| c.name == first.name));
    all_one.then_some(first.name.as_str())
}

fn resolve_exactly(schema: &Schema, cell: &str) -> Option<usize> {
    schema.column_by_header(cell)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        crate::schema::load_embedded().expect("embedded schema")
    }

    fn cells(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

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

    #[test]
    fn the_index_column_pandas_writes_is_passed_over_and_no_other_unknown_column() {
        let s = schema();
        let at = Place {
            path: "a.parquet".into(),
            sheet: None,
            header_line: 1,
        };
        let head = |extra: &str| cells(&["org_id", "record_id", "report_year", "contact_kind", extra]);
        let map = map_header(&s, &head("__index_level_0__"), &at, false).expect("read");
        assert_eq!(map.pandas_index, ["__index_level_0__"]);
        assert!(map.ignored.is_empty());
        for other in [
            "__index_level__",
            "__index_level_x__",
            "index_level_0",
            "Unnamed: 0",
        ] {
            let e = map_header(&s, &head(other), &at, false).expect_err(other);
            assert!(matches!(e, FileError::ExtraColumns { .. }), "{other}: {e}");
        }
    }

    #[test]
    fn a_header_is_echoed_only_when_at_least_half_of_it_names_columns() {
        let s = schema();
        let at = Place {
            path: "a.csv".into(),
            sheet: None,
            header_line: 1,
        };
        let err = |c: &[&str]| map_header(&s, &cells(c), &at, false).expect_err("refused");
        let half = err(&["org_id", "record_id", "x", "19811218-9876"]);
        assert!(matches!(half, FileError::MissingColumns { .. }), "{half}");
        let text = half.to_string();
        assert!(
            text.contains("x, (a value, not shown)") && !text.contains("9876"),
            "{text}"
        );
        let data = err(&["SAMPLE01", "R1", "", "19811218-9876", "Anna", "record_id"]);
        match &data {
            FileError::NotAHeader { named, cells, .. } => assert_eq!((*named, *cells), (1, 5)),
            other => panic!("not NotAHeader: {other}"),
        }
        let text = data.to_string();
        assert!(!text.contains("9876") && !text.contains("Anna"), "{text}");
        assert!(text.contains("1 of 5 cells are column names"), "{text}");
    }

    /// The first record run onto the header's line (a line break lost): refused without its
    /// cells, also when extra columns are ignored (the record would be dropped unseen); an
    /// extra column of the file's own is named, a date among them is not.
    #[test]
    fn a_record_on_the_headers_line_is_refused_and_never_printed() {
        let s = schema();
        let at = Place {
            path: "a.csv".into(),
            sheet: None,
            header_line: 1,
        };
        let mut line: Vec<String> = s.columns.iter().map(|c| c.name.clone()).collect();
        line.extend(cells(&[
            "SAMPLE01",
            "R1",
            "2024",
            "direct",
            "19811218-9876",
            "Anna",
            "Svensson",
            "1981-12-18",
        ]));
        for ignore in [false, true] {
            let e = map_header(&s, &line, &at, ignore).expect_err("refused");
            assert!(matches!(e, FileError::RecordOnHeaderLine { cells: 8, .. }), "{e}");
            let text = e.to_string();
            assert!(
                !text.contains("9876") && !text.contains("Anna") && !text.contains("1981"),
                "{text}"
            );
        }
        let mut extra: Vec<String> = s.columns.iter().map(|c| c.name.clone()).collect();
        extra.extend(cells(&["Kommentar", "1981-12-18"]));
        let text = map_header(&s, &extra, &at, false).expect_err("extra").to_string();
        assert!(
            text.contains("Kommentar, and 1 more whose header looks like an answer (not shown)")
                && !text.contains("1981"),
            "{text}"
        );
        assert!(
            map_header(&s, &extra, &at, true).is_ok(),
            "two extra cells are ignored on request"
        );
    }

    /// A `|`-separated file, and a `sep=;` line above a comma-separated one, read as one
    /// column: the message names the separator, not the header's place.
    #[test]
    fn a_header_in_another_separator_is_told_as_such() {
        let s = schema();
        let at = Place {
            path: "a.csv".into(),
            sheet: None,
            header_line: 1,
        };
        for (line, sep) in [
            ("org_id|record_id|report_year|contact_kind", '|'),
            ("org_id,record_id,report_year", ','),
        ] {
            match map_header(&s, &cells(&[line]), &at, false).expect_err("refused") {
                FileError::WrongSeparator { separator, .. } => assert_eq!(separator, sep),
                other => panic!("not WrongSeparator: {other}"),
            }
        }
        // A header with a comma in one name is not taken for one.
        let one = map_header(&s, &cells(&["org_id", "record_id", "x,y"]), &at, false).expect_err("refused");
        assert!(matches!(one, FileError::MissingColumns { .. }), "{one}");
    }

    /// What forms add to a column's name is passed over (an outside review's file lost three
    /// columns to `--ignore-extra-columns`); Excel's names for a table's unnamed columns read
    /// as columns without a header; a misspelt column is refused with the column it is near.
    #[test]
    fn hints_in_column_names_are_passed_over_and_misspellings_named() {
        let s = schema();
        let at = Place {
            path: "a.csv".into(),
            sheet: None,
            header_line: 1,
        };
        let head = |extra: &[&str]| {
            let mut h = cells(&["org_id", "record_id", "report_year", "contact_kind"]);
            h.extend(cells(extra));
            h
        };
        let map = map_header(
            &s,
            &head(&[
                "Födelsedatum (ÅÅÅÅ-MM-DD)",
                "personal_number\n(ÅÅÅÅMMDD-XXXX)",
                "Kön*",
                "Kolumn1",
                "Column12",
            ]),
            &at,
            false,
        )
        .expect("read");
        let at_col = |name: &str| s.column_index(name).and_then(|i| map.source[i]);
        assert_eq!(
            (at_col("birth_date"), at_col("personal_number"), at_col("gender")),
            (Some(4), Some(5), Some(6))
        );
        assert_eq!(map.blank, [7, 8]);
        assert!(map.ignored.is_empty());
        // A hint alone, or a bracket around everything, names no column.
        for other in ["(ÅÅÅÅ-MM-DD)", "Kolumn", "Kolumn1a", "Anteckning (fritext)"] {
            let e = map_header(&s, &head(&[other]), &at, false).expect_err(other);
            assert!(matches!(e, FileError::ExtraColumns { .. }), "{other}: {e}");
        }
        let e = map_header(&s, &head(&["gendr", "Anteckning"]), &at, false)
            .expect_err("misspelt")
            .to_string();
        assert!(
            e.contains("gendr (is gender meant?) seem to be contract columns")
                && e.contains("the other unknown column(s) Anteckning are no contract column's"),
            "{e}"
        );
    }
}
