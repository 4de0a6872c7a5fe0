//! Checks of single cells against the contract: codes, countries, years, dates, personal
//! numbers. Each returns the normalised value with the corrections made, or the broken rule.
//! `check_cell` picks the check by the column's type; `text`, `codes` and `dates` hold them.

mod codes;
mod dates;
mod text;

use crate::schema::{Column, ColumnType, Schema};

use codes::{code, country, member, multi, one_answer_only};
use dates::year;

pub use codes::member_code;
pub(super) use dates::year_digits;
pub use dates::{Today, date, personal_number};
pub use text::{collapse_spaces, composed, control_character, excel_error, excel_text, unseen};

/// A value that passed, and each rewrite made to it (a near miss made right): (from, to).
#[derive(Debug)]
pub struct Cleaned {
    pub value: String,
    pub changes: Vec<(String, String)>,
}

impl Cleaned {
    fn same(value: impl Into<String>) -> Self {
        Cleaned {
            value: value.into(),
            changes: Vec::new(),
        }
    }

    fn changed(from: &str, to: impl Into<String>) -> Self {
        let to = to.into();
        Cleaned {
            changes: vec![(from.to_string(), to.clone())],
            value: to,
        }
    }
}

pub struct Broken {
    pub rule: &'static str,
    pub message: String,
}

pub fn broken(rule: &'static str, message: impl Into<String>) -> Broken {
    Broken {
        rule,
        message: message.into(),
    }
}

/// Checks one non-empty cell of a column that needs no other column.
pub fn check_cell(schema: &Schema, col: &Column, raw: &str) -> Result<Cleaned, Broken> {
    match col.ty {
        ColumnType::Member => member(schema, raw),
        // Composed (NFC): "Å-1" typed on a Mac and on Windows is one record id.
        ColumnType::Name if schema.is_name_placeholder(raw) => Ok(Cleaned {
            value: String::new(),
            changes: vec![(
                raw.to_string(),
                "(empty: a word put where a name is not known)".into(),
            )],
        }),
        // A database export's NULL where no record is related means none.
        ColumnType::Text if col.name == "related_record_id" && schema.is_id_placeholder(raw) => Ok(Cleaned {
            value: String::new(),
            changes: vec![(
                raw.to_string(),
                "(empty: a word put where no record is related)".into(),
            )],
        }),
        ColumnType::Text if col.name == "record_id" && schema.is_id_placeholder(raw) => Err(broken(
            "placeholder_record_id",
            format!(
                "record_id is {raw:?}, a word put where the id is not known, not an id: every record holding it would be one record, the first kept and the rest refused as repeats. Give the row its case file's id"
            ),
        )),
        ColumnType::Text if col.name == "record_id" && schema.is_example_id(raw) => Err(broken(
            "example_row",
            format!(
                "record_id is {raw:?}, which marks an example or test row, not a person met: delete the row (an example left in the template would count as a person)"
            ),
        )),
        ColumnType::Text
            if matches!(col.name.as_str(), "record_id" | "related_record_id") && scientific(raw) =>
        {
            Err(broken(
                "record_id_notation",
                "the id is a number in scientific notation, as Excel shows a long number in a cell not formatted as text (for example 2,02401E+11), and its last digits are lost, so two records could become one: format the column as text and type the ids again",
            ))
        }
        // Four digits or more: a birth date or a personal number, not a name. Accepted, it
        // would be matched as a name, and it means the columns moved (a block pasted one over).
        ColumnType::Name if raw.bytes().filter(u8::is_ascii_digit).count() >= 4 => Err(broken(
            "name_with_digits",
            format!(
                "{} holds digits, as a birth date or a personal number does (the value is not shown): were the columns shifted when the rows were pasted? Put each value in its own column",
                col.name
            ),
        )),
        ColumnType::Text | ColumnType::Name => Ok(Cleaned::same(collapse_spaces(&composed(raw)))),
        ColumnType::Year => year(raw),
        ColumnType::Code => {
            let list = schema
                .list_for(col)
                .ok_or_else(|| broken("unknown_code", format!("no code list for {}", col.name)))?;
            let one = |p: &str| code(list, p).map_err(|b| no_unknown_here(schema, list, &col.name, p, b));
            if col.multi {
                let order = |c: &str| list.position(c).unwrap_or(usize::MAX);
                multi(raw, schema.multi_separator, one, order)
            } else {
                one(raw).map_err(|b| one_answer_only(b, raw, &col.name, |p| code(list, p)))
            }
        }
        ColumnType::Country if col.multi => {
            let order = |c: &str| {
                schema
                    .countries
                    .iter()
                    .position(|k| k.alpha2 == c)
                    .unwrap_or(usize::MAX)
            };
            multi(raw, schema.multi_separator, |p| country(schema, p), order)
        }
        ColumnType::Country => {
            country(schema, raw).map_err(|b| one_answer_only(b, raw, &col.name, |p| country(schema, p)))
        }
        // Dates and personal numbers need the report year; see `date` and `personal_number`.
        ColumnType::PartialDate | ColumnType::PersonalNumber => Ok(Cleaned::same(raw)),
    }
}

/// "Vet ej" or "unknown" in a column whose list has no such answer (who had legal advice is
/// asked of what was given): said so, with what to write instead, rather than that the value
/// is near no answer (the word is the contract's own, so it is shown).
fn no_unknown_here(
    schema: &Schema,
    list: &crate::schema::CodeList,
    column: &str,
    raw: &str,
    b: Broken,
) -> Broken {
    let unknown_word = schema.code_lists.values().any(|l| {
        matches!(l.resolve(raw), crate::schema::Resolved::Exact(c) | crate::schema::Resolved::Normalised(c) if c == "unknown")
    });
    if !unknown_word || list.get("unknown").is_some() {
        return b;
    }
    broken(
        b.rule,
        format!(
            "{:?} says the answer is not known, and {column} has no answer for that: write only the answers that are known, or leave the cell empty (read as not answered)",
            raw.trim()
        ),
    )
}

/// A number as Excel shows one too long for its cell: a digit, decimals after a comma or a
/// point, and a power of ten (`2,02401E+11`).
fn scientific(raw: &str) -> bool {
    let t = raw.trim();
    let Some((mantissa, power)) = t.split_once(['E', 'e']) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (whole, decimals) = mantissa.split_once([',', '.']).unwrap_or((mantissa, "0"));
    whole.len() == 1 && digits(whole) && digits(decimals) && power.strip_prefix('+').is_some_and(digits)
}

#[cfg(test)]
mod tests {
    use super::scientific;

    #[test]
    fn record_ids_in_scientific_notation_are_refused_and_others_are_not() {
        for raw in ["2,02401E+11", "2.02401e+11", " 1E+12 "] {
            assert!(scientific(raw), "{raw}");
        }
        for raw in ["R-1E+2", "12E+3", "2,0E", "E+11", "2024-001", "1e-5", "Ebba"] {
            assert!(!scientific(raw), "{raw}");
        }
    }
}
