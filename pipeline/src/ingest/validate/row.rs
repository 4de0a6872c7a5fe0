//! The second pass's check of one row: its shape, every cell against its column's rule,
//! then the cross-column rules (`cross`), giving the clean record or every problem at once.

use super::columns::{column_name, unnamed_column};
use super::index::blank_past_header;
use super::{
    CleanRecord, HeaderMap, Normalisation, Outcome, Problem, Row, Validator, cell, is_label, problem,
    truncate,
};
use crate::ingest::fields::{Broken, broken, check_cell, control_character, excel_error, excel_text};
use crate::ingest::read::Unclosed;
use crate::schema::{Column, ColumnKind, ColumnType};

/// The first word of a sheet's summary row (`Totalt`, `Summa:`), in lower case: no
/// organisation or record id starts with one.
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

/// The cell's first word when it is a summary's (`Totalt`, `Summa:`), as written.
pub(in crate::ingest) fn summary_word(cell: &str) -> Option<&str> {
    let first = cell
        .split(|c: char| c.is_whitespace() || c == ':')
        .next()
        .unwrap_or_default();
    SUMMARY_WORDS
        .contains(&first.to_lowercase().as_str())
        .then_some(first)
}

/// Lines `first` to `last` as a message says them.
fn lines(first: u64, last: u64) -> String {
    if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}–{last}")
    }
}

impl Validator<'_> {
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
                !c.is_empty() && crate::ingest::header::resolve_column(self.schema, c) == Some(i)
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
    /// says so, not a missing record id and a refused answer per column. The word is looked
    /// for where a record has its organisation or its id, or first in a row with no id and no
    /// contact kind that is one (a person has one; a totals row a sum or nothing there):
    /// taken from the row's first cell, it made people named Sum or Antal (a surname, a given
    /// name) in a file whose names come first into summaries to delete, and printed their names.
    fn summary_row(&self, row: &Row, map: &HeaderMap) -> Option<Problem> {
        let (org, id) = (
            cell(row, map, self.cols.org).trim(),
            cell(row, map, self.cols.record).trim(),
        );
        // Only for a row whose first cell is a summary's word: every row comes here.
        let no_kind = || {
            let kind = cell(row, map, self.cols.kind);
            kind.is_empty() || check_cell(self.schema, &self.schema.columns[self.cols.kind], kind).is_err()
        };
        let first = || row.cells.iter().map(|c| c.trim()).find(|c| !c.is_empty());
        let (at, word) = [org, id]
            .into_iter()
            .find_map(|c| Some((c, summary_word(c)?)))
            .or_else(|| {
                let c = first().filter(|_| id.is_empty())?;
                let word = summary_word(c)?;
                no_kind().then_some((c, word))
            })?;
        Some(Problem {
            column: "(row)".into(),
            rule: "summary_row",
            value: truncate(at, 200),
            message: format!(
                "the row is a summary ({word}) under the records, not a person; delete it (keep sums on a sheet of their own)"
            ),
        })
    }

    /// Second pass: the row's every problem, or its clean values. `file` is the number
    /// `add_file` gave the row's file in the first pass.
    pub fn validate(&self, row: &Row, map: &HeaderMap, file: u32) -> Outcome {
        if let Some(u) = row.unclosed {
            return Outcome::Rejected(vec![self.unclosed(row, map, u)]);
        }
        if let Some(p) = self
            .repeated_header(row, map)
            .or_else(|| self.summary_row(row, map))
        {
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
                    } else if col.ty == ColumnType::PartialDate
                        && !self.schema.empty_markers.contains(&raw.trim().to_lowercase())
                    {
                        "(empty: a word or mark put where the birth date is not known, read as not known)"
                            .into()
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
    // Every other cell is read once trimmed: the trimming is counted, as outside reviews
    // found ' T-002 ' made 'T-002' and 'SAMPLE01 ' or ' woman  ' read without a word (the
    // contract reports every near miss made right, whitespace among them).
    let trimmed = !(name || pnr);
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
