//! Checks of the cells that are years and dates: the report year, a birth date, a personal
//! number (whose date and century depend on the report year and today).

use std::fmt;

use crate::dates::{DateProblem, PartialDate};
use crate::pnr::{self, PnrProblem};

use super::{Broken, Cleaned, broken};

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

/// A year as Excel may have written it: digits grouped by a (non-breaking) space in Swedish
/// number format ("2 024"), or a number with zero decimals ("2024,0", "2024.0").
pub(in crate::ingest) fn year_digits(raw: &str) -> String {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    [",0", ".0", ",00", ".00"]
        .iter()
        .find_map(|z| digits.strip_suffix(z))
        .map_or(digits.clone(), str::to_string)
}

pub(super) fn year(raw: &str) -> Result<Cleaned, Broken> {
    let last = crate::dates::current_year();
    match year_digits(raw).parse::<i32>() {
        Ok(y) if (1990..=last).contains(&y) && y.to_string() == raw => Ok(Cleaned::same(raw)),
        Ok(y) if (1990..=last).contains(&y) => Ok(Cleaned::changed(raw, y.to_string())),
        Ok(y) if y > last => Err(broken(
            "bad_year",
            format!(
                "{} is after this year ({last}); a report year cannot be in the future",
                crate::ingest::shown::refused_year(raw)
            ),
        )),
        // A year with decimals (2024.5) also reads as a dotted year and month.
        _ if decimal_year(raw.trim()) => Err(broken(
            "bad_year",
            "report_year holds a number with decimals (not shown), not a year: write the year alone, as YYYY",
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
                crate::ingest::shown::refused_year(raw)
            ),
        )),
    }
}

/// Four digits, a decimal point or comma and one digit or three or more (`2024.5`,
/// `2024,25`): no date is written so, while a year and month is (`2024.05`).
fn decimal_year(raw: &str) -> bool {
    raw.split_once(['.', ',']).is_some_and(|(y, d)| {
        y.len() == 4
            && y.bytes().all(|b| b.is_ascii_digit())
            && d.bytes().all(|b| b.is_ascii_digit())
            && (d.len() == 1 || d.len() >= 3)
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
            _ if last_four_unknown(raw) => broken(
                "pnr_format",
                "a birth date without the personal number's last four digits (written as XXXX, ****, 0000 or left out) is no personal number: put the birth date in birth_date and leave personal_number empty",
            ),
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

/// A case system's way of writing a birth date where the personal number is not known:
/// `900305-XXXX`, `19900305-****`, `900305-0000` (no one's last four are 0000: the birth
/// number 000 is never given) or the date's 6 or 8 digits alone.
fn last_four_unknown(raw: &str) -> bool {
    let t: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let rest = t[digits..].trim_start_matches(['-', '+']);
    let placeholder =
        |s: &str| s.len() == 4 && s.chars().all(|c| matches!(c, 'X' | 'x' | '*' | '?' | '_' | '#'));
    match digits {
        6 | 8 => rest.is_empty() || placeholder(rest) || rest == "0000",
        10 | 12 => rest.is_empty() && t.ends_with("0000"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{Today, date, last_four_unknown, personal_number, year};

    /// The forms case systems write for a birth date without the last four are told as such;
    /// a mistyped number is not.
    #[test]
    fn a_personal_number_without_its_last_four_is_told_to_go_in_birth_date() {
        let today = Today(2026, 11, 29);
        for raw in [
            "900305-XXXX",
            "19900305-xxxx",
            "900305-****",
            "19900305-0000",
            "9003050000",
            "19900305",
            "900305",
            "900305 - XXXX",
        ] {
            assert!(last_four_unknown(raw), "{raw}");
            let b = personal_number(raw, 2024, today).expect_err("refused");
            assert!(b.message.contains("birth_date"), "{raw}: {}", b.message);
        }
        for raw in [
            "900305-238",
            "900305-2384X",
            "19900305-2385",
            "1990-03-05",
            "9003052385",
        ] {
            assert!(!last_four_unknown(raw), "{raw}");
        }
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
        // A year with decimals is told as one, a year and month as a date.
        for raw in ["2024.5", "2024,5", "2024.125"] {
            let e = year(raw).expect_err("decimals");
            assert!(
                e.message.contains("a number with decimals"),
                "{raw}: {}",
                e.message
            );
        }
        let e = year("2024.05").expect_err("a year and month");
        assert!(e.message.contains("a whole date"), "{}", e.message);
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
    fn scientific_notation_is_explained_with_an_example_not_the_value() {
        let today = Today(2026, 11, 29);
        for raw in ["1,98504E+11", "1.98504e+11"] {
            let b = personal_number(raw, 2024, today).expect_err("refused");
            assert_eq!(b.rule, "pnr_format");
            assert!(b.message.contains("for example 1,99001E+11"), "{}", b.message);
            assert!(!b.message.contains("98504"), "{}", b.message);
        }
    }
}
