//! Checks of single cells against the contract: codes, countries, years, dates, personal
//! numbers. Each returns the normalised value with the corrections made, or the broken rule.

use std::borrow::Cow;
use std::fmt;

use unicode_normalization::UnicodeNormalization as _;

use crate::dates::{DateProblem, PartialDate};
use crate::pnr::{self, PnrProblem};
use crate::schema::{CodeList, Column, ColumnType, Resolved, Schema, name_placeholder_form};

/// Text in Unicode's composed form (NFC). macOS writes å as a + U+030A (NFD), which looks the
/// same but matches no code, label or column name, all of which are composed.
pub fn composed(raw: &str) -> Cow<'_, str> {
    // ASCII, as nearly every code is, is composed already.
    if raw.is_ascii() || unicode_normalization::is_nfc(raw) {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(raw.nfc().collect())
    }
}

/// The text inside Excel's `="..."`, the formula a CSV cell is written as to keep a number's
/// leading zeros (`="0042"`): Excel shows the text, so the text is what was meant. A cell
/// with a quote inside is left as it is: it is some other formula.
pub fn excel_text(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix("=\"")?.strip_suffix('"')?;
    (!inner.contains('"')).then_some(inner)
}

/// Today's date by the system clock (UTC): a birth date after it is impossible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Today(i32, u32, u32);

impl Today {
    pub fn now() -> Self {
        let (y, m, d) = crate::dates::today();
        Today(y, m, d)
    }

    /// True when every day the (partial) date allows is after today: a birth date of this
    /// year or month that may still be today or earlier passes.
    pub fn before(&self, date: &PartialDate) -> bool {
        date.earliest() > (self.0, self.1, self.2)
    }
}

impl fmt::Display for Today {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0, self.1, self.2)
    }
}

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
        ColumnType::Name if schema.name_placeholders.contains(&name_placeholder_form(raw)) => Ok(Cleaned {
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
            if col.multi {
                let order = |c: &str| list.position(c).unwrap_or(usize::MAX);
                multi(raw, schema.multi_separator, |p| code(list, p), order)
            } else {
                code(list, raw).map_err(|b| one_answer_only(b, raw, &col.name, |p| code(list, p)))
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

/// Two or more answers in a column that takes one ("Polis;Socialtjänst" in identified_by):
/// said so, instead of a message that the value is none of the answers.
fn one_answer_only(
    b: Broken,
    raw: &str,
    column: &str,
    one: impl Fn(&str) -> Result<Cleaned, Broken>,
) -> Broken {
    let parts: Vec<&str> = raw
        .split([';', ',', '/', '|', '+', '&'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut codes: Option<Vec<String>> = parts.iter().map(|p| one(p).ok().map(|c| c.value)).collect();
    if let Some(c) = codes.as_mut() {
        // `man/man` is one answer written twice.
        c.dedup();
    }
    match codes {
        Some(codes) if codes.len() >= 2 => broken(
            b.rule,
            format!(
                "{} answers ({}) in {column}, which takes one answer only: give the one that fits best (or unknown)",
                codes.len(),
                codes.join(", ")
            ),
        ),
        _ => b,
    }
}

/// A country written as a word several countries' names share ("Kongo", "Korea"): which
/// ones, for staff to pick (the names are the list's, nothing of the cell is shown).
fn ambiguous_country(schema: &Schema, text: &str) -> String {
    let word = collapse_spaces(text).to_lowercase();
    if word.chars().count() < 4 {
        return String::new();
    }
    let named: Vec<String> = schema
        .countries
        .iter()
        .filter(|c| {
            [&c.name_en, &c.name_sv]
                .into_iter()
                .chain(&c.other_names)
                .any(|n| n.to_lowercase().contains(&word))
        })
        .map(|c| format!("{} ({})", c.name_sv, c.alpha2))
        .collect();
    if named.len() < 2 {
        return String::new();
    }
    format!(
        "; several countries are named so ({}): give the one meant",
        named.join(", ")
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

pub fn collapse_spaces(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn member(schema: &Schema, raw: &str) -> Result<Cleaned, Broken> {
    match member_code(schema, raw) {
        Some(code) if code == raw => Ok(Cleaned::same(raw)),
        Some(code) => Ok(Cleaned::changed(raw, code)),
        None => Err(broken(
            "unknown_member",
            format!(
                "{} is not in the member register: org_id holds the member's code (FA for Frälsningsarmén), as in the template's list and schemas/members.csv",
                super::shown::refused(
                    raw,
                    schema
                        .members
                        .iter()
                        .flat_map(|m| [m.org_id.as_str(), m.name.as_str()])
                )
            ),
        )),
    }
}

/// The member code an org_id cell names: the code itself, in any case, or the member's name
/// ("Frälsningsarmén" for FA). Every check that keys rows by organisation keys them by this,
/// so that a record written once under the code and once under the name is one record.
pub fn member_code(schema: &Schema, raw: &str) -> Option<String> {
    if schema.member(raw).is_some() {
        return Some(raw.to_string());
    }
    if let Some(m) = schema.member(&raw.trim().to_uppercase()) {
        return Some(m.org_id.clone());
    }
    let name = collapse_spaces(&composed(raw)).to_lowercase();
    let named: Vec<_> = schema
        .members
        .iter()
        .filter(|m| collapse_spaces(&composed(&m.name)).to_lowercase() == name)
        .collect();
    match named.as_slice() {
        [m] => Some(m.org_id.clone()),
        _ => None,
    }
}

/// A year as Excel may have written it: digits grouped by a (non-breaking) space in Swedish
/// number format ("2 024"), or a number with zero decimals ("2024,0", "2024.0").
pub(super) fn year_digits(raw: &str) -> String {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    [",0", ".0", ",00", ".00"]
        .iter()
        .find_map(|z| digits.strip_suffix(z))
        .map_or(digits.clone(), str::to_string)
}

fn year(raw: &str) -> Result<Cleaned, Broken> {
    let last = crate::dates::current_year();
    match year_digits(raw).parse::<i32>() {
        Ok(y) if (1990..=last).contains(&y) && y.to_string() == raw => Ok(Cleaned::same(raw)),
        Ok(y) if (1990..=last).contains(&y) => Ok(Cleaned::changed(raw, y.to_string())),
        Ok(y) if y > last => Err(broken(
            "bad_year",
            format!(
                "{} is after this year ({last}); a report year cannot be in the future",
                super::shown::refused_year(raw)
            ),
        )),
        // A date of the year (its last day, a day of contact): the year alone is asked for.
        _ if PartialDate::parse(raw.trim()).is_ok_and(|d| d.month.is_some()) => Err(broken(
            "bad_year",
            "report_year holds a whole date (not shown), not a year: write the year alone, as YYYY",
        )),
        _ => Err(broken(
            "bad_year",
            format!(
                "{} is not a year between 1990 and {last}",
                super::shown::refused_year(raw)
            ),
        )),
    }
}

/// Excel's error values, as English and Swedish Excel show them (a CSV saved from Swedish
/// Excel holds the Swedish ones; a workbook always stores the English).
const EXCEL_ERRORS: [&str; 22] = [
    "#REF!",
    "#DIV/0!",
    "#N/A",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "#VALUE!",
    "#DATA!",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#REFERENS!",
    "#DIVISION/0!",
    "#SAKNAS!",
    "#NAMN?",
    "#OGILTIGT!",
    "#VÄRDEFEL!",
];

/// A cell holding an error value of Excel's (its formula is broken) holds no answer, whatever
/// its column: read as text it would become a record id or a name.
pub fn excel_error(raw: &str) -> Option<Broken> {
    let v = raw.trim();
    EXCEL_ERRORS.iter().any(|e| e.eq_ignore_ascii_case(v)).then(|| {
        broken(
            "excel_error",
            format!(
                "the cell holds Excel's error value {v}: the formula that fills it is broken; fix the formula or type the value"
            ),
        )
    })
}

/// Line breaks as Unicode has them: a cell's text would otherwise become a space unseen, as
/// spaces are collapsed (Word and PDFs paste U+2028 and U+2029).
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// A character no cell should hold: control characters and line breaks (a NUL, U+2028), and
/// invisible ones that make two equal-looking values differ or reorder what is shown
/// (zero-width spaces, soft hyphens, direction overrides). Tabs are spaces; the zero-width
/// joiners that Persian and Indic names need are kept.
pub fn control_character(raw: &str) -> Option<Broken> {
    let bad = |c: char| {
        (c.is_control() && c != '\t')
            || is_line_break(c)
            || matches!(
                c,
                '\u{00AD}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{FFFD}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            )
    };
    let (at, ch) = raw.chars().enumerate().find(|(_, c)| bad(*c))?;
    let message = match ch {
        // A correctly quoted CSV cell (or Alt+Enter in an Excel cell) holds it: not a quote
        // left open, which shows as a row of the wrong shape.
        c if is_line_break(c) => format!(
            "the cell holds {} line break(s), the first after character {at} ({}): a line break inside a cell (inside quotes in CSV, Alt+Enter in Excel) is not allowed by the contract; put the text on one line",
            raw.chars()
                .filter(|&c| c != '\r' && is_line_break(c))
                .count()
                .max(1),
            match c {
                '\u{2028}' => "U+2028 LINE SEPARATOR",
                '\u{2029}' => "U+2029 PARAGRAPH SEPARATOR",
                _ => "a new line",
            }
        ),
        '\u{FFFD}' => format!(
            "character {} is U+FFFD, a letter lost when the file was converted between encodings; retype the value",
            at + 1
        ),
        c => format!(
            "character {} is the invisible or control character U+{:04X}; retype the value",
            at + 1,
            c as u32
        ),
    };
    Some(broken("control_character", message))
}

fn resolved(raw: &str, r: Resolved) -> Option<Cleaned> {
    match r {
        Resolved::Exact(c) => Some(Cleaned::same(c)),
        Resolved::Normalised(c) => Some(Cleaned::changed(raw, c)),
        Resolved::Unknown => None,
    }
}

/// A resolved value of text that was not composed (NFC) is a near miss made right, counted.
fn resolved_composed(raw: &str, text: &str, r: Resolved) -> Option<Cleaned> {
    match r {
        Resolved::Exact(c) if text != raw => Some(Cleaned::changed(raw, c)),
        r => resolved(raw, r),
    }
}

fn code(list: &CodeList, raw: &str) -> Result<Cleaned, Broken> {
    let text = composed(raw);
    resolved_composed(raw, &text, list.resolve(&text)).ok_or_else(|| {
        // Codes and the Swedish labels of the template's drop-down: staff type either.
        let codes: Vec<String> = list
            .codes
            .iter()
            .map(|c| format!("{} ({})", c.code, c.sv))
            .collect();
        let answers = list
            .codes
            .iter()
            .flat_map(|c| [c.code.as_str(), c.sv.as_str(), c.en.as_str()]);
        broken(
            "unknown_code",
            format!(
                "{} is none of this column's answers: {} (the code, or its Swedish or English label as in the template)",
                super::shown::refused(raw, answers),
                codes.join(", ")
            ),
        )
    })
}

fn country(schema: &Schema, raw: &str) -> Result<Cleaned, Broken> {
    let text = composed(raw);
    resolved_composed(raw, &text, schema.lookup_country(&text)).ok_or_else(|| {
        // A 3-letter code (ISO alpha-3, as passports and case systems write it): the nearest
        // 2-letter code is another country (UKR is near UK, GBR near BR), so none is offered.
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_alphabetic()) {
            return broken(
                "unknown_country",
                "the value looks like a 3-letter country code (ISO alpha-3, as passports write them), which the contract does not read: write the country's 2-letter code (ISO 3166-1 alpha-2, UA for UKR, GB for GBR, NG for NGA) or its Swedish or English name",
            );
        }
        let hint = former_country(&text).map_or_else(
            || ambiguous_country(schema, &text),
            |now| format!("; it is a country that no longer exists: give the present-day country the place is in ({now}), or unknown"),
        );
        let names = schema.countries.iter().flat_map(|c| {
            [c.alpha2.as_str(), c.name_en.as_str(), c.name_sv.as_str()]
                .into_iter()
                .chain(c.other_names.iter().map(String::as_str))
        });
        broken(
            "unknown_country",
            format!(
                "{} is not a country of the template's list (its Swedish or English name, or its ISO 3166-1 alpha-2 code such as SE or NG) nor unknown{hint}",
                super::shown::refused(raw, names)
            ),
        )
    })
}

/// Countries that registers still name as places of birth but no longer exist, and the
/// present-day countries they were: which one a person was born in cannot be guessed.
fn former_country(raw: &str) -> Option<&'static str> {
    const FORMER: [(&[&str], &str); 4] = [
        (
            &[
                "yu",
                "jugoslavien",
                "yugoslavia",
                "serbien och montenegro",
                "serbia and montenegro",
            ],
            "RS, HR, BA, SI, ME, MK or XK",
        ),
        (
            &["su", "sovjetunionen", "soviet union", "ussr", "sssr"],
            "RU, UA, BY, MD, EE, LV, LT, GE, AM, AZ, KZ, UZ, TM, KG or TJ",
        ),
        (&["tjeckoslovakien", "czechoslovakia"], "CZ or SK"),
        (&["dd", "östtyskland", "ddr", "east germany"], "DE"),
    ];
    let folded = raw.trim().to_lowercase();
    FORMER
        .iter()
        .find(|(names, _)| names.contains(&folded.as_str()))
        .map(|(_, now)| *now)
}

/// Splits a multi-valued cell, resolves each part, drops repeats, and writes the codes in
/// list order. `unknown` next to a known code says nothing more, so it is dropped.
/// The codes of a cell's parts split at ',', '/', '+', '&', '|', "och", "and" or "samt", when there
/// are two or more and every one is an answer.
fn answers_with_another_separator(
    lower: &str,
    one: &impl Fn(&str) -> Result<Cleaned, Broken>,
) -> Option<Vec<String>> {
    let mut text = lower.to_string();
    for w in [" och ", " and ", " samt "] {
        text = text.replace(w, ",");
    }
    let parts: Vec<&str> = text
        .split([',', '/', '+', '&', '|'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return None;
    }
    parts.iter().map(|p| one(p).ok().map(|c| c.value)).collect()
}

fn multi(
    raw: &str,
    sep: char,
    one: impl Fn(&str) -> Result<Cleaned, Broken>,
    order: impl Fn(&str) -> usize,
) -> Result<Cleaned, Broken> {
    let mut changes = Vec::new();
    let mut codes: Vec<String> = Vec::new();
    for part in raw.split(sep).map(str::trim).filter(|p| !p.is_empty()) {
        let c = one(part).map_err(|mut b| {
            // "sexual, labour", "sexual/labour" or "sexuell och arbete": two codes with
            // another separator.
            let lower = format!(" {} ", part.to_lowercase());
            if let Some(codes) = answers_with_another_separator(&lower, &one) {
                // Every part an answer: say so first, not after a list of every answer.
                b.message = format!(
                    "{} of this column's answers ({}) written with another separator between them; several answers go in one cell separated by {sep:?}: {}",
                    codes.len(),
                    codes.join(", "),
                    codes.join(&sep.to_string())
                );
            } else if part.contains([',', '/', '+', '&', '|'])
                || [" och ", " and ", " samt "].iter().any(|w| lower.contains(w))
            {
                b.message
                    .push_str(&format!("; several answers go in one cell separated by {sep:?}"));
            }
            b
        })?;
        changes.extend(c.changes);
        if codes.contains(&c.value) {
            changes.push((part.to_string(), "(repeated code dropped)".to_string()));
        } else {
            codes.push(c.value);
        }
    }
    if codes.len() > 1 && codes.iter().any(|c| c == "unknown") {
        codes.retain(|c| c != "unknown");
        changes.push(("unknown".to_string(), "(dropped next to known codes)".to_string()));
    }
    if codes.is_empty() {
        // Separators and spaces only: nothing was answered (the caller stores no value).
        changes.push((
            raw.to_string(),
            "(no code between the separators: not answered)".to_string(),
        ));
    }
    // The order of codes is not a correction: every cell is stored in code-list order.
    codes.sort_by_key(|c| order(c));
    Ok(Cleaned {
        value: codes.join(&sep.to_string()),
        changes,
    })
}

/// A birth date written as a number of days (Excel shows a date cell formatted as General so)
/// gets a hint of what to do.
fn excel_number_hint(raw: &str) -> &'static str {
    let v = raw.trim();
    if v.len() == 5 && v.bytes().all(|b| b.is_ascii_digit()) && (v.starts_with("19") || v.starts_with("20")) {
        // 19900 is 1954 as a day number, and 1990 with a digit too many.
        "; it looks like a date stored as Excel's day number, or a year typed with a digit too many: for a day number, format the column as a date in Excel (Format Cells > Date) and save again; for a year, correct it"
    } else if v.len() == 5 && v.bytes().all(|b| b.is_ascii_digit()) {
        "; it looks like a date stored as Excel's day number: format the column as a date in Excel (Format Cells > Date) and save again"
    } else if with_time_of_day(v) {
        // A cell formatted as a date shows no time, so the message says what Excel hides.
        "; the cell holds a time of day besides the date (Excel shows only the date when the cell is formatted as one): type the date again, or keep only the date (=INT(cell) in a new column, pasted back as values); a time near midnight may mean an export moved the date a day by a time zone, so check the day"
    } else {
        ""
    }
}

/// A date written with its year last (`25/03/1990`, `5.3.1990`, `03/25/1990`) gets a hint of
/// which reading it allows; ingest never picks one itself, as a day and month of 12 or less
/// read the wrong way round give another person's birth date. The value is not repeated.
fn year_last_hint(raw: &str) -> &'static str {
    let parts: Vec<&str> = raw.trim().split(['/', '.', '-']).collect();
    let small = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let [a, b, y] = parts[..] else { return "" };
    if !(small(a) && small(b) && y.len() == 4 && y.bytes().all(|c| c.is_ascii_digit())) {
        return "";
    }
    let (a, b): (u32, u32) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
    match (a > 12, b > 12) {
        (true, false) => {
            "; it is written day first (DD/MM/YYYY, as 31/01/2001): write it year first (2001-01-31)"
        }
        (false, true) => {
            "; it is written month first (MM/DD/YYYY, as 01/31/2001): write it year first (2001-01-31)"
        }
        (false, false) => {
            "; it is written with the year last, and its day and month are both 12 or less, so they cannot be told apart: write it year first (YYYY-MM-DD) from the case file"
        }
        (true, true) => "",
    }
}

/// `YYYY-MM-DD hh:mm[:ss]` (or with `T`): a date with a time of day that is not midnight.
fn with_time_of_day(v: &str) -> bool {
    v.split_once([' ', 'T']).is_some_and(|(date, time)| {
        PartialDate::parse(date).is_ok_and(|d| d.day.is_some())
            && time.bytes().take(5).filter(u8::is_ascii_digit).count() == 4
            && time.as_bytes().get(2) == Some(&b':')
    })
}

/// A birth date in the contract's forms, not before 1900, not after the report year and not
/// after today (the report year may be this year).
pub fn date(raw: &str, report_year: Option<i32>, today: Today) -> Result<(PartialDate, bool), Broken> {
    // A value with digits may be the birth date itself: the messages, which the validation
    // report lists, do not repeat it (the quarantine keeps it for whoever mends the row).
    let d = PartialDate::parse(without_midnight(raw)).map_err(|p| match p {
        // "Vet ej", "unknown": a birth date not known is left empty.
        DateProblem::Format if !raw.bytes().any(|b| b.is_ascii_digit()) => broken(
            "bad_date",
            "not a date (the text is not shown: it may be a name typed into the wrong column): leave birth_date empty when it is not known (a year, or a year and month, alone are fine: YYYY, YYYY-MM)".to_string(),
        ),
        DateProblem::Format => broken(
            "bad_date",
            format!(
                "the birth date is not written YYYY-MM-DD, YYYY-MM or YYYY{}{}",
                excel_number_hint(raw),
                year_last_hint(raw)
            ),
        ),
        DateProblem::Impossible => broken(
            "bad_date",
            format!(
                "the birth date is not a date in the calendar{}",
                if raw.trim().ends_with("-00") || raw.contains("-00-") {
                    "; a date without its day is written YYYY-MM, without its month YYYY"
                } else {
                    ""
                }
            ),
        ),
    })?;
    let last = report_year.unwrap_or(2100);
    if d.year < 1900 || d.year > last {
        return Err(broken(
            "bad_date",
            format!("the birth date's year is outside 1900 to {last}"),
        ));
    }
    if today.before(&d) {
        // The value is a birth date: the message does not repeat it.
        return Err(broken(
            "bad_date",
            format!("the date lies after today ({today}); a birth date cannot be in the future: correct it"),
        ));
    }
    let normalised = d.to_string() != raw;
    Ok((d, normalised))
}

/// A full date followed by midnight ("1978-12-01 00:00:00", "1978-12-01T00:00"), as a
/// spreadsheet or a database exports a date cell as text: the date alone. Read from Parquet,
/// such timestamps were already taken as their date; any other time of day is not a birth
/// date's and stays refused.
fn without_midnight(raw: &str) -> &str {
    let t = raw.trim();
    let Some((date, time)) = t.split_once([' ', 'T']) else {
        return raw;
    };
    let time = time.trim().trim_end_matches('Z');
    let time = time.split_once('.').map_or(time, |(hms, frac)| {
        if frac.bytes().all(|b| b == b'0') {
            hms
        } else {
            time
        }
    });
    if date.len() == 10 && matches!(time, "00:00" | "00:00:00") {
        date
    } else {
        raw
    }
}

/// A personal number; its date is checked by the caller. A 10-digit number's century is the
/// latest that does not put the birth after the report year, and, as the tax agency reads it,
/// not after today either: 261224-xxxx seen in November 2026 is someone born in 1926 (a person
/// of 100 or more writes + instead of -).
pub fn personal_number(raw: &str, report_year: i32, today: Today) -> Result<pnr::PersonalNumber, Broken> {
    let ten_digits = raw.bytes().filter(u8::is_ascii_digit).count() == 10;
    pnr::parse(raw, report_year)
        .and_then(|p| match ten_digits && today.before(&p.birth) {
            // A year earlier as the latest year moves only the numbers of this year back.
            true => pnr::parse(raw, report_year - 1),
            false => Ok(p),
        })
        .map_err(|p| match p {
            PnrProblem::Format if raw.contains("E+") || raw.contains("e+") => broken(
                "pnr_format",
                "the number is in scientific notation, as Excel shows a long number in a cell not formatted as text (for example 1,99001E+11), and its last digits are lost: format the column as text and type the numbers again",
            ),
            PnrProblem::Format => broken(
                "pnr_format",
                "not 10 or 12 digits with an optional - or + before the last four, or an impossible date; leave the cell empty when the person has no Swedish personal or co-ordination number (an LMA, dossier or passport number does not go here)",
            ),
            PnrProblem::Checksum => broken("pnr_checksum", "the check digit (the last digit) is wrong"),
        })
}

#[cfg(test)]
mod tests {
    use super::{
        Today, composed, control_character, country, date, excel_text, personal_number, scientific, year,
    };

    #[test]
    fn kosovo_other_names_and_former_countries() {
        let schema = crate::schema::load_embedded().expect("schema");
        for (raw, code) in [
            ("XK", "XK"),
            ("Kosovo", "XK"),
            ("Vitryssland", "BY"),
            ("Türkiye", "TR"),
            ("Turkiet", "TR"),
            ("Burma", "MM"),
        ] {
            assert_eq!(
                country(&schema, raw).ok().map(|c| c.value).as_deref(),
                Some(code),
                "{raw}"
            );
        }
        // Every other name of the schema reads as its own country, never as another's.
        for c in &schema.countries {
            for n in &c.other_names {
                assert_eq!(
                    country(&schema, n).ok().map(|v| v.value),
                    Some(c.alpha2.clone()),
                    "{n}"
                );
            }
        }
        let refused = country(&schema, "Jugoslavien").expect_err("no longer a country");
        assert!(refused.message.contains("RS, HR, BA"), "{}", refused.message);
        assert!(
            !country(&schema, "XX")
                .expect_err("no country")
                .message
                .contains("no longer")
        );
    }

    /// A date exported as text with a midnight time is its date, reported as normalised;
    /// another time of day is refused.
    #[test]
    fn a_date_with_a_midnight_time_is_read_as_the_date() {
        let today = Today(2026, 11, 29);
        for raw in [
            "1978-12-01 00:00:00",
            "1978-12-01T00:00",
            "1978-12-01 00:00:00.000",
            "1978-12-01T00:00:00Z",
        ] {
            let Ok((d, normalised)) = date(raw, Some(2024), today) else {
                panic!("{raw} refused");
            };
            assert_eq!(
                (d.to_string().as_str(), normalised),
                ("1978-12-01", true),
                "{raw}"
            );
        }
        for raw in ["1978-12-01 13:45:00", "1978-12 00:00:00", "1978-12-01 00:00:01"] {
            assert!(date(raw, Some(2024), today).is_err(), "{raw}");
        }
    }

    /// The validation report lists every message: a birth date refused for its form, its
    /// calendar or its year is not repeated in it.
    #[test]
    fn a_refused_birth_date_is_not_repeated_in_its_message() {
        let today = Today(2026, 11, 29);
        for raw in ["1990-04-31", "05/04/1990", "1850-04-05", "1990-00-00"] {
            let refused = date(raw, Some(2024), today).expect_err("refused");
            assert_eq!(refused.rule, "bad_date");
            assert!(
                !refused.message.contains("1990") && !refused.message.contains("1850"),
                "{}",
                refused.message
            );
        }
        let hint = date("32874", Some(2024), today).expect_err("a day number");
        assert!(
            hint.message.contains("Excel's day number") && !hint.message.contains("32874"),
            "{}",
            hint.message
        );
    }

    /// A date with its year last is refused with which way it reads, where one way only, and
    /// without its value; a year first with one-digit month and day is read.
    #[test]
    fn a_date_with_its_year_last_is_refused_saying_which_way_it_reads() {
        let today = Today(2026, 11, 29);
        for (raw, says) in [
            ("25/03/1990", "written day first"),
            ("25.3.1990", "written day first"),
            ("03/25/1990", "written month first"),
            ("05/04/1990", "cannot be told apart"),
        ] {
            let refused = date(raw, Some(2024), today).expect_err("refused");
            assert!(refused.message.contains(says), "{raw}: {}", refused.message);
            assert!(
                !refused.message.contains("1990") && !refused.message.contains("25"),
                "{}",
                refused.message
            );
        }
        let Ok((d, normalised)) = date("1990-3-5", Some(2024), today) else {
            panic!("1990-3-5 refused");
        };
        assert_eq!((d.to_string().as_str(), normalised), ("1990-03-05", true));
    }

    /// Swedish Excel groups digits with a (non-breaking) space and may write zero decimals:
    /// such years are read and the change counted; anything else stays refused.
    #[test]
    fn years_in_excels_number_formats_are_read() {
        for raw in [
            "2 024",
            "2\u{a0}024",
            "2\u{202f}024",
            "2024,0",
            "2024.0",
            " 2024 ",
        ] {
            let c = year(raw).unwrap_or_else(|b| panic!("{raw:?}: {}", b.message));
            assert_eq!(c.value, "2024", "{raw:?}");
        }
        for raw in ["2024,5", "20 24 1", "24", "2O24"] {
            assert!(year(raw).is_err(), "{raw:?}");
        }
        let e = year("2 0 2").expect_err("not a year");
        assert!(!e.message.contains('\\'), "{}", e.message);
    }

    #[test]
    fn a_birth_date_after_today_is_refused_in_this_report_year() {
        let today = Today(2026, 11, 29);
        let refused = date("2026-12-24", Some(2026), today).expect_err("after today");
        assert_eq!(refused.rule, "bad_date");
        assert!(
            refused.message.contains("after today (2026-11-29)") && !refused.message.contains("12-24"),
            "{}",
            refused.message
        );
        assert!(date("2026-12", Some(2026), today).is_err());
        // Today itself, and a year or month that may still be today or earlier, pass.
        for ok in ["2026-11-29", "2026-11", "2026"] {
            assert!(date(ok, Some(2026), today).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_personal_numbers_date_after_today_is_of_the_century_before_when_it_has_ten_digits() {
        let today = Today(2026, 11, 29);
        let digit = |nine: &str| crate::pnr::luhn_digit(nine).expect("nine digits");
        let ten = format!("261224-123{}", digit("261224123"));
        let p = personal_number(&ten, 2026, today).ok().expect("valid");
        assert_eq!(p.birth.to_string(), "1926-12-24");
        // Twelve digits say the century: the caller refuses the date.
        let twelve = format!("20261224-123{}", digit("261224123"));
        let p = personal_number(&twelve, 2026, today).ok().expect("valid");
        assert!(today.before(&p.birth));
        // Born this year before today: a baby, not someone of 100.
        let baby = format!("260105-123{}", digit("260105123"));
        let p = personal_number(&baby, 2026, today).ok().expect("valid");
        assert_eq!(p.birth.to_string(), "2026-01-05");
    }

    /// The message's number is an example, said to be one, never the person's own number
    /// (an outside review read the example as the value).
    #[test]
    fn a_country_word_several_countries_share_lists_them() {
        let schema = crate::schema::load_embedded().expect("schema");
        let b = country(&schema, "Kongo").expect_err("ambiguous");
        assert!(
            b.message.contains("Kongo-Kinshasa (CD)") && b.message.contains("Kongo-Brazzaville (CG)"),
            "{}",
            b.message
        );
        let b = country(&schema, "Korea").expect_err("ambiguous");
        assert!(
            b.message.contains("(KP)") && b.message.contains("(KR)"),
            "{}",
            b.message
        );
        let b = country(&schema, "Lindqvist").expect_err("no country");
        assert!(!b.message.contains("several countries"), "{}", b.message);
    }

    #[test]
    fn record_ids_in_scientific_notation_are_refused_and_others_are_not() {
        for raw in ["2,02401E+11", "2.02401e+11", " 1E+12 "] {
            assert!(scientific(raw), "{raw}");
        }
        for raw in ["R-1E+2", "12E+3", "2,0E", "E+11", "2024-001", "1e-5", "Ebba"] {
            assert!(!scientific(raw), "{raw}");
        }
    }

    #[test]
    fn scientific_notation_is_explained_with_an_example_not_the_value() {
        let today = Today(2026, 11, 29);
        for raw in ["1,98504E+11", "1.98504e+11"] {
            let b = personal_number(raw, 2024, today).expect_err("refused");
            assert_eq!(b.rule, "pnr_format");
            assert!(b.message.contains("for example 1,99001E+11"), "{}", b.message);
            assert!(!b.message.contains("98504"), "{}", b.message);
        }
    }

    #[test]
    fn excels_text_formula_and_decomposed_letters_are_read_as_meant() {
        assert_eq!(excel_text("=\"0042\""), Some("0042"));
        assert_eq!(excel_text("=\"\""), Some(""));
        for not in ["0042", "=A1", "=\"a\"&\"b\"", "=\"0042"] {
            assert_eq!(excel_text(not), None, "{not}");
        }
        assert_eq!(composed("Ko\u{308}n"), "Kön");
        assert!(matches!(composed("woman"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn every_kind_of_line_break_is_refused_and_not_blamed_on_a_quote() {
        for raw in ["A\u{2028}B", "A\u{2029}B", "Anna\nBerg"] {
            let b = control_character(raw).expect("refused");
            assert_eq!(b.rule, "control_character");
            assert!(b.message.contains("line break"), "{}", b.message);
            assert!(!b.message.contains("never closed"), "{}", b.message);
        }
        assert!(
            control_character("A\u{2028}B")
                .is_some_and(|b| b.message.contains("U+2028") && b.message.contains("after character 1"))
        );
        assert!(control_character("Anna Berg").is_none());
    }
}
