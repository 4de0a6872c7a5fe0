//! Columns left out on request (`--ignore-extra-columns`) whose cells are a contract column's
//! answers, where the file lacks that column: the column under a name of the organisation's
//! own (`Ursprungsland` of countries, `Stöd` of support codes, `Personnummer/LMA` of personal
//! numbers, `Ålder` of ages where the child-or-adult column is missing, `Anmält` of yes and no
//! where a yes-or-no column is missing). Left out, its answers were
//! published as not answered, with exit 0 (an outside review's T02 and T14 totals were 0).

use super::header::{HeaderMap, header_cell};
use super::read::Table;
use super::shown::quoted;
use crate::error::FileError;
use crate::schema::{Column, ColumnType, Resolved, Schema, codes_fold};

/// Answers a column needs before it is taken for a contract column: a few, and most of its
/// filled cells (a notes column that names a country now and then is not one).
const AT_LEAST: usize = 3;
/// Filled cells looked at per column: enough to tell, and a long file costs no more.
const LOOKED_AT: usize = 500;

/// Warnings, in `map`, for its ignored columns that look like a contract column it lacks.
pub(super) fn answers_in_ignored(schema: &Schema, t: &Table, map: &mut HeaderMap) {
    let meant: Vec<&Column> = schema
        .columns
        .iter()
        .zip(&map.source)
        .filter(|(c, src)| src.is_none() && distinctive(schema, c))
        .map(|(c, _)| c)
        .collect();
    let ignored: Vec<(usize, &str)> = t
        .header
        .iter()
        .enumerate()
        .filter_map(|(pos, raw)| {
            let cell = header_cell(raw);
            map.ignored
                .iter()
                .find(|n| **n == *cell)
                .map(|n| (pos, n.as_str()))
        })
        .collect();
    // Yes-or-no columns the file lacks: a column of Ja and Nej may answer any question, so it
    // is only warned of, naming them all.
    let yes_no: Vec<&Column> = schema
        .columns
        .iter()
        .zip(&map.source)
        .filter(|(c, src)| src.is_none() && answers_yes_or_no(schema, c))
        .map(|(c, _)| c)
        .collect();
    if (meant.is_empty() && yes_no.is_empty()) || ignored.is_empty() {
        return;
    }
    // Per ignored column: filled cells seen, and answers of each absent column among them.
    let mut filled = vec![0usize; ignored.len()];
    let mut answers = vec![vec![0usize; meant.len()]; ignored.len()];
    let mut yes_or_no = vec![0usize; ignored.len()];
    let ages: Vec<bool> = ignored.iter().map(|(_, name)| names_an_age(name)).collect();
    let _ = t.for_each_row(|row| -> Result<(), FileError> {
        if row.unclosed.is_some() || row.cells.len() != map.width {
            return Ok(());
        }
        for (k, (pos, _)) in ignored.iter().enumerate() {
            let cell = row.cells.get(*pos).map_or("", |c| c.trim());
            if cell.is_empty() || filled[k] >= LOOKED_AT {
                continue;
            }
            filled[k] += 1;
            yes_or_no[k] += usize::from(yes_no.first().is_some_and(|c| is_yes_or_no(schema, c, cell)));
            for (m, col) in meant.iter().enumerate() {
                let age = ages[k] && col.name == AGE_GROUP && is_age(cell);
                answers[k][m] += usize::from(age || is_answer(schema, col, cell));
            }
        }
        Ok(())
    });
    let found: Vec<String> = ignored
        .iter()
        .zip(filled.iter().zip(&answers))
        .zip(&ages)
        .filter_map(|(((_, name), (&n, per)), &age)| {
            let best = per.iter().copied().max().unwrap_or(0);
            // Most of its filled cells: at least 60%.
            if best < AT_LEAST || best * 10 < n * 6 {
                return None;
            }
            let columns: Vec<&str> = meant
                .iter()
                .zip(per)
                .filter(|(_, a)| **a == best)
                .map(|(c, _)| c.name.as_str())
                .collect();
            if age && columns == [AGE_GROUP] {
                return Some(format!(
                    "column {} was left out (--ignore-extra-columns), though {best} of its {n} filled cells looked at are ages in years and the file lacks {AGE_GROUP}: add that column (Barn for a person under 18 at the first contact, else Vuxen) and ingest again, as without it every person's age group is published as not answered",
                    quoted(name)
                ));
            }
            Some(format!(
                "column {} was left out (--ignore-extra-columns), though {best} of its {n} filled cells looked at are answers of {}, which the file lacks: if it is that column, name it so and ingest again, as its answers are not in the tables",
                quoted(name),
                columns.join(" or ")
            ))
        })
        .collect();
    let names: Vec<&str> = yes_no.iter().map(|c| c.name.as_str()).collect();
    let yes_no_found = ignored
        .iter()
        .zip(filled.iter().zip(&yes_or_no))
        .filter(|(_, (n, y))| **y >= AT_LEAST && **y * 10 >= **n * 6)
        .map(|((_, name), (n, y))| {
            let which = if names.len() == 1 { "that column" } else { "one of them" };
            format!(
                "column {} was left out (--ignore-extra-columns), though {y} of its {n} filled cells looked at are yes or no and the file lacks {}: if it is {which}, name it so and ingest again, as without it every person's answer there is published as not answered",
                quoted(name),
                names.join(" and ")
            )
        });
    let found: Vec<String> = found.into_iter().chain(yes_no_found).collect();
    map.warnings.extend(found);
}

/// A code column that answers yes or no (and unknown): `police_report`,
/// `national_support_programme`.
fn answers_yes_or_no(schema: &Schema, col: &Column) -> bool {
    col.ty == ColumnType::Code
        && schema.list_for(col).is_some_and(|l| {
            l.codes
                .iter()
                .all(|c| matches!(c.code.as_str(), "yes" | "no" | "unknown"))
        })
}

/// Whether a filled cell is yes or no in `col`'s list (`Ja`, `Nej`, `yes`, as ingest reads them).
fn is_yes_or_no(schema: &Schema, col: &Column, cell: &str) -> bool {
    schema.list_for(col).is_some_and(|l| {
        matches!(l.resolve(cell), Resolved::Exact(c) | Resolved::Normalised(c) if c == "yes" || c == "no")
    })
}

/// The contract's child-or-adult column, which case systems often keep as an age in years.
pub(super) const AGE_GROUP: &str = "age_group";

/// A header that names an age (`Ålder`, `Ålder vid kontakt`, `Age`): only then is a column
/// of small whole numbers taken for ages, as counts and numbers of children are too.
pub(super) fn names_an_age(header: &str) -> bool {
    codes_fold(header)
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| matches!(w, "ålder" | "alder" | "age"))
}

/// A whole number of years a living person can be (`34`, `34 år`).
fn is_age(cell: &str) -> bool {
    let number = cell.strip_suffix("år").unwrap_or(cell).trim_end();
    number.parse::<u8>().is_ok_and(|a| a <= 120)
}

/// Columns whose answers other text is unlikely to be: countries, personal numbers (a date and
/// a check digit), and code lists of more than yes, no and unknown (a column of Ja and Nej may
/// answer any question).
fn distinctive(schema: &Schema, col: &Column) -> bool {
    match col.ty {
        ColumnType::Country | ColumnType::PersonalNumber => true,
        ColumnType::Code => schema.list_for(col).is_some_and(|l| {
            l.codes
                .iter()
                .any(|c| !matches!(c.code.as_str(), "yes" | "no" | "unknown"))
        }),
        _ => false,
    }
}

/// Whether a filled cell is an answer of `col` other than unknown (every part, where the
/// column takes several).
fn is_answer(schema: &Schema, col: &Column, cell: &str) -> bool {
    // The year only decides the century of a 10-digit number, not whether it is one.
    if col.ty == ColumnType::PersonalNumber {
        return crate::pnr::parse(cell, 2100).is_ok();
    }
    let one = |part: &str| {
        let r = match col.ty {
            ColumnType::Country => schema.lookup_country(part),
            _ => match schema.list_for(col) {
                Some(l) => l.resolve(part),
                None => Resolved::Unknown,
            },
        };
        // No, Yes and Ja answer any question; as countries they are Norway and others.
        let yes_no = matches!(
            codes_fold(part).as_str(),
            "no" | "yes" | "ja" | "nej" | "j" | "n" | "y"
        );
        !yes_no && matches!(r, Resolved::Exact(c) | Resolved::Normalised(c) if c != "unknown")
    };
    let mut parts = cell
        .split(schema.multi_separator)
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .peekable();
    parts.peek().is_some() && parts.all(one)
}
