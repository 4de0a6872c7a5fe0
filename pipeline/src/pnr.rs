//! Swedish personal identity numbers (personnummer) and co-ordination numbers
//! (samordningsnummer, day + 60): format, century, check digit and birth date. The tax agency
//! gives a co-ordination number to someone whose birth date it does not fully know with day 60
//! (day unknown) and/or month 00 (month unknown), so such a number carries a partial date.

use crate::dates::PartialDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalNumber {
    /// Twelve digits, `YYYYMMDDNNNC`, the form every later stage uses.
    pub normalised: String,
    /// The date the number carries: only the year, or the year and month, for a
    /// co-ordination number of a person whose birth date is not fully known.
    pub birth: PartialDate,
    /// The day of a co-ordination number whose month is 00 (unknown) but whose day is not:
    /// `PartialDate` has no day without a month, and this day must still agree with `birth_date`.
    pub day_without_month: Option<u32>,
    pub coordination: bool,
}

impl PersonalNumber {
    /// True when `date` (a birth_date) can be the date this number carries: only the parts
    /// the number knows are compared (1990-04-17 agrees with 900460-xxxx, 1990-05-01 does not).
    pub fn agrees_with(&self, date: &PartialDate) -> bool {
        let day = match (self.day_without_month, date.day) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        self.birth.agrees_with(date) && day
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PnrProblem {
    Format,
    Checksum,
}

/// Parses a number given as 10 or 12 digits, with or without `-` or `+` (100 years or older).
/// A 10-digit number gets the latest century that does not put birth after the report year.
/// A typographic dash (`typographic_dash`) is read as `-`.
pub fn parse(raw: &str, report_year: i32) -> Result<PersonalNumber, PnrProblem> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if dash_name(c).is_some() { '-' } else { c })
        .collect();
    let plus = s.contains('+');
    let sep_count = s.chars().filter(|c| *c == '-' || *c == '+').count();
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    if sep_count > 1 || digits.len() + sep_count != s.len() {
        return Err(PnrProblem::Format);
    }
    if sep_count == 1 && s.len() >= 5 && !matches!(s.as_bytes()[s.len() - 5], b'-' | b'+') {
        return Err(PnrProblem::Format);
    }
    let (year, ten) = match digits.len() {
        12 => (num(&digits[0..4]), digits[2..].to_string()),
        10 => {
            let yy = num(&digits[0..2]);
            let mut year = 2000 + yy;
            if year > report_year {
                year -= 100;
            }
            if plus {
                year -= 100;
            }
            (year, digits.clone())
        }
        _ => return Err(PnrProblem::Format),
    };
    let (month, day) = (num(&ten[2..4]) as u32, num(&ten[4..6]) as u32);
    let (birth, day_without_month) = carried_date(year, month, day).ok_or(PnrProblem::Format)?;
    if !luhn_ok(&ten) {
        return Err(PnrProblem::Checksum);
    }
    Ok(PersonalNumber {
        normalised: format!("{:04}{}", year, &ten[2..]),
        birth,
        day_without_month,
        coordination: day >= 60,
    })
}

/// The date a number's month and day digits carry, and a day whose month is unknown. A
/// personnummer always has a full date; only a co-ordination number (day 60 to 91) may leave
/// the day (60) or the month (00) unknown.
fn carried_date(year: i32, month: u32, day: u32) -> Option<(PartialDate, Option<u32>)> {
    if day < 60 {
        return PartialDate::full(year, month, day).map(|d| (d, None));
    }
    let day = day - 60;
    let partial = |month| PartialDate {
        year,
        month,
        day: None,
    };
    match (month, day) {
        (0, 0) => Some((partial(None), None)),
        (0, 1..=31) => Some((partial(None), Some(day))),
        (1..=12, 0) => Some((partial(Some(month)), None)),
        _ => PartialDate::full(year, month, day).map(|d| (d, None)),
    }
}

/// The first dash in `raw` other than `-`, and its name: Word and Outlook turn `-` between
/// digits into an en dash as it is typed, and a number copied from there reaches the file so.
pub fn typographic_dash(raw: &str) -> Option<(char, &'static str)> {
    raw.chars().find_map(|c| dash_name(c).map(|n| (c, n)))
}

fn dash_name(c: char) -> Option<&'static str> {
    match c {
        '\u{2010}' => Some("hyphen"),
        '\u{2011}' => Some("non-breaking hyphen"),
        '\u{2012}' => Some("figure dash"),
        '\u{2013}' => Some("en dash"),
        '\u{2014}' => Some("em dash"),
        '\u{2212}' => Some("minus sign"),
        _ => None,
    }
}

fn num(s: &str) -> i32 {
    s.bytes().fold(0, |acc, b| acc * 10 + i32::from(b - b'0'))
}

/// Luhn check over the ten digits `YYMMDDNNNC`.
pub fn luhn_ok(ten: &str) -> bool {
    luhn_digit(&ten[..9]) == Some(ten.as_bytes()[9] - b'0')
}

/// The check digit for nine digits `YYMMDDNNN`.
pub fn luhn_digit(nine: &str) -> Option<u8> {
    if nine.len() != 9 || !nine.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = nine
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_forms() {
        // 811218-9876 is the Tax Agency's documented test number.
        let p = parse("811218-9876", 2024).expect("valid");
        assert_eq!(p.normalised, "198112189876");
        assert_eq!(p.birth.to_string(), "1981-12-18");
        assert_eq!(
            parse("198112189876", 2024).expect("valid").normalised,
            "198112189876"
        );
        assert_eq!(
            parse("19811218-9876", 2024).expect("valid").normalised,
            "198112189876"
        );
        assert_eq!(
            parse("8112189876", 2024).expect("valid").normalised,
            "198112189876"
        );
    }

    #[test]
    fn plus_means_a_hundred_years_older() {
        let p = parse("811218+9876", 2024).expect("valid");
        assert_eq!(p.normalised, "188112189876");
    }

    #[test]
    fn coordination_number_has_day_plus_sixty() {
        let nine = "701063239";
        let c = luhn_digit(nine).expect("digits");
        let p = parse(&format!("{nine}{c}"), 2024).expect("valid");
        assert!(p.coordination);
        assert_eq!(p.birth.to_string(), "1970-10-03");
    }

    /// The tax agency's numbers for a person whose birth day or month it does not know:
    /// day 60 and/or month 00 (an outside review found them quarantined).
    #[test]
    fn coordination_numbers_of_an_unknown_day_or_month_carry_a_partial_date() {
        let date = |s: &str| PartialDate::parse(s).expect("date");
        let p = parse("900460-2380", 2024).expect("day unknown");
        assert!(p.coordination);
        assert_eq!(
            (p.normalised.as_str(), p.birth.to_string()),
            ("199004602380", "1990-04".into())
        );
        assert!(p.agrees_with(&date("1990-04-17")) && p.agrees_with(&date("1990")));
        assert!(!p.agrees_with(&date("1990-05-01")) && !p.agrees_with(&date("1991")));
        let p = parse("900060-2384", 2024).expect("day and month unknown");
        assert_eq!(p.birth.to_string(), "1990");
        assert!(p.agrees_with(&date("1990-12-31")));
        // Month unknown, day known: the day still has to agree.
        let p = parse("191500722390", 2024).expect("month unknown");
        assert_eq!(
            (p.birth.to_string(), p.day_without_month),
            ("1915".into(), Some(12))
        );
        assert!(p.agrees_with(&date("1915-03-12")) && !p.agrees_with(&date("1915-03-13")));
        // The check digit is still checked, and an ordinary number has no unknown parts.
        assert_eq!(parse("900460-2381", 2024), Err(PnrProblem::Checksum));
        for nine in ["900400238", "900005238", "900092238", "901360238", "900431238"] {
            let c = luhn_digit(nine).expect("digits");
            assert_eq!(
                parse(&format!("{nine}{c}"), 2024),
                Err(PnrProblem::Format),
                "{nine}"
            );
        }
    }

    #[test]
    fn a_typographic_dash_is_read_as_the_hyphen() {
        for raw in ["19811218\u{2013}9876", "811218\u{2014}9876", "811218\u{2212}9876"] {
            assert_eq!(
                parse(raw, 2024).map(|p| p.normalised),
                Ok("198112189876".into()),
                "{raw}"
            );
            assert!(typographic_dash(raw).is_some(), "{raw}");
        }
        assert_eq!(typographic_dash("811218-9876"), None);
        assert_eq!(parse("81\u{2013}1218\u{2013}9876", 2024), Err(PnrProblem::Format));
    }

    #[test]
    fn refuses_bad_check_digit_and_formats() {
        assert_eq!(parse("811218-9875", 2024), Err(PnrProblem::Checksum));
        assert_eq!(parse("81121-89876", 2024), Err(PnrProblem::Format));
        assert_eq!(parse("8112189", 2024), Err(PnrProblem::Format));
        assert_eq!(parse("811318-9876", 2024), Err(PnrProblem::Format));
        assert_eq!(parse("abc", 2024), Err(PnrProblem::Format));
    }
}
