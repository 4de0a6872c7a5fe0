//! Single header cells: how one is matched to a contract column (by name, label, alias or an
//! organisation's own header, past a form's hints), and what else it may be (a running
//! number, pandas' index, a value, a misspelling).

use std::borrow::Cow;

use crate::schema::Schema;

/// A column that numbers the rows, as staff add one in Excel (`Nr`, `#`, `Löpnummer`): no
/// contract column is named so, and an outside review's file failed whole for it as an
/// unknown column, with advice to pass --ignore-extra-columns, which staff cannot.
pub(super) fn row_number(cell: &str) -> bool {
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
pub(super) fn pandas_index(cell: &str) -> bool {
    cell.strip_prefix("__index_level_")
        .and_then(|rest| rest.strip_suffix("__"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A header cell as a one-line message shows it: a line break typed in the cell (Alt+Enter,
/// `Födelse-` over `datum`) and every other character nobody sees named in words, as the break
/// itself split the message's line in two and a zero-width space left "rename Gender" unexplained
/// (outside reviews).
pub(super) fn one_line(cell: &str) -> String {
    crate::ingest::shown::visible(cell)
}

/// A header cell as it is matched: without spaces and BOM, and composed (NFC), as a Mac
/// writes "Kön" with its ö decomposed.
pub(in crate::ingest) fn header_cell(raw: &str) -> Cow<'_, str> {
    crate::ingest::fields::composed(raw.trim().trim_start_matches('\u{feff}'))
}

/// A header cell that reads as a record's value rather than a column's name: a date or a
/// number (a birth date, a personal number, a year), a member's code, or a code of one of the
/// contract's lists, or a cell holding a date or personal number among words (`Obs: Fatima
/// Okafor 900305-1233 flyttad`). Such cells are never printed: on a header line they are most
/// likely the first record, run onto it when a line break was lost, with a person's details.
pub(in crate::ingest) fn looks_like_an_answer(schema: &Schema, cell: &str) -> bool {
    let digits = cell.chars().filter(char::is_ascii_digit).count();
    (digits >= 2 && 2 * digits >= cell.chars().count())
        || holds_a_long_number(cell)
        || crate::dates::PartialDate::parse(cell).is_ok()
        || crate::ingest::fields::member_code(schema, cell).is_some()
        || schema
            .code_lists
            .values()
            .any(|l| l.get(cell).is_some() || l.get(&cell.to_lowercase()).is_some())
}

/// Whether a cell holds six or more digits in one run, single separators (`-`, `+`, `/`,
/// `.`, a space) allowed between them: a birth date or a personal number, which no column's
/// name holds (a year has four digits).
pub(in crate::ingest) fn holds_a_long_number(cell: &str) -> bool {
    let chars: Vec<char> = cell.chars().collect();
    let mut run = 0;
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            run += 1;
            if run >= 6 {
                return true;
            }
        } else {
            let joins = matches!(c, '-' | '+' | '/' | '.' | ' ')
                && run > 0
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if !joins {
                run = 0;
            }
        }
    }
    false
}

/// The contract column a header cell names: by name, label or alias, else by an
/// organisation's own header (`Column::other_headers`).
pub(in crate::ingest) fn resolve_column(schema: &Schema, cell: &str) -> Option<usize> {
    strong_column(schema, cell).or_else(|| other_header(schema, cell))
}

/// The column a header cell names by name, label or alias, with or without a form's hints.
pub(super) fn strong_column(schema: &Schema, cell: &str) -> Option<usize> {
    resolve_exactly(schema, cell).or_else(|| {
        let bare = without_hints(cell);
        (bare != cell && !bare.is_empty())
            .then(|| resolve_exactly(schema, &bare))
            .flatten()
    })
}

/// The column whose `other_headers` holds the cell (folded, with or without hints).
pub(super) fn other_header(schema: &Schema, cell: &str) -> Option<usize> {
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
pub(super) fn without_hints(cell: &str) -> String {
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
    let out = crate::ingest::fields::collapse_spaces(&out);
    let out = out
        .trim_end_matches(['*', ':', '.', ' '])
        .trim_start_matches(['*', ' ']);
    // A name in quotes (`"Förnamn"`, typed so or left by an export that quoted twice) is the
    // name: taken for a column of the organisation's own, `--ignore-extra-columns` left out
    // every given name of an outside review's file.
    match unquoted(out) {
        Some(inner) if inner != out => without_hints(inner),
        _ => out.to_string(),
    }
}

/// The text inside one pair of quotes around the whole cell, if it has them.
pub(super) fn unquoted(cell: &str) -> Option<&str> {
    const PAIRS: [(char, char); 7] = [
        ('"', '"'),
        ('\'', '\''),
        ('“', '”'),
        ('”', '”'),
        ('„', '“'),
        ('«', '»'),
        ('‘', '’'),
    ];
    PAIRS.iter().find_map(|&(open, close)| {
        let inner = cell.strip_prefix(open)?.strip_suffix(close)?;
        (!inner.trim().is_empty()).then_some(inner.trim())
    })
}

/// The name Excel gives a column of a table (Insert > Table) that had no header: `Kolumn1`,
/// `Column2`. Read as a column without a header, so that a value in it is reported and an
/// empty one costs nothing.
pub(super) fn excel_table_name(cell: &str) -> bool {
    ["Kolumn", "Column"].iter().any(|p| {
        cell.strip_prefix(p)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    })
}

/// The contract column an unknown header cell is probably a misspelling of (a typo of a
/// column's name or label, as a refused answer's typo is told, see `shown::near_answer`), for
/// the message.
pub(super) fn near_column<'s>(schema: &'s Schema, cell: &str) -> Option<&'s str> {
    let labels = |c: &'s crate::schema::Column| [c.name.as_str(), c.sv.as_str(), c.en.as_str()];
    let near_one = |part: &str| {
        let near = crate::ingest::shown::near_answer(part, schema.columns.iter().flat_map(labels))?;
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
