//! Swedish personal identity numbers (personnummer) and co-ordination numbers
//! (samordningsnummer, day + 60): format, century, check digit and birth date.

use crate::dates::PartialDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalNumber {
    /// Twelve digits, `YYYYMMDDNNNC`, the form every later stage uses.
    pub normalised: String,
    pub birth: PartialDate,
    pub coordination: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PnrProblem {
    Format,
    Checksum,
}

/// Parses a number given as 10 or 12 digits, with or without `-` or `+` (100 years or older).
/// A 10-digit number gets the latest century that does not put birth after the report year.
pub fn parse(raw: &str, report_year: i32) -> Result<PersonalNumber, PnrProblem> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
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
    let month = num(&ten[2..4]) as u32;
    let mut day = num(&ten[4..6]) as u32;
    let coordination = day > 60;
    if coordination {
        day -= 60;
    }
    let birth = PartialDate::full(year, month, day).ok_or(PnrProblem::Format)?;
    if !luhn_ok(&ten) {
        return Err(PnrProblem::Checksum);
    }
    Ok(PersonalNumber {
        normalised: format!("{:04}{}", year, &ten[2..]),
        birth,
        coordination,
    })
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

    #[test]
    fn refuses_bad_check_digit_and_formats() {
        assert_eq!(parse("811218-9875", 2024), Err(PnrProblem::Checksum));
        assert_eq!(parse("81121-89876", 2024), Err(PnrProblem::Format));
        assert_eq!(parse("8112189", 2024), Err(PnrProblem::Format));
        assert_eq!(parse("811318-9876", 2024), Err(PnrProblem::Format));
        assert_eq!(parse("abc", 2024), Err(PnrProblem::Format));
    }
}
