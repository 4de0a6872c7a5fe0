//! Partial birth dates (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) and the age arithmetic that checks
//! `age_group` against them. Partial dates are common, so every check works with the range
//! of days a partial date allows.

use std::fmt;

/// A birth date known to the year, the month or the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartialDate {
    pub year: i32,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.month, self.day) {
            (Some(m), Some(d)) => write!(f, "{:04}-{:02}-{:02}", self.year, m, d),
            (Some(m), None) => write!(f, "{:04}-{:02}", self.year, m),
            _ => write!(f, "{:04}", self.year),
        }
    }
}

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Why a date string was refused; the caller adds file, line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateProblem {
    Format,
    Impossible,
}

impl PartialDate {
    pub fn full(year: i32, month: u32, day: u32) -> Option<Self> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(PartialDate {
            year,
            month: Some(month),
            day: Some(day),
        })
    }

    /// Parses the contract's forms; also `YYYYMMDD`, `/` or `.` separators and a month or day
    /// of one digit (reported as normalised by the caller when the output differs from the
    /// input).
    pub fn parse(raw: &str) -> Result<Self, DateProblem> {
        let s = raw.trim();
        let parts: Vec<&str> = if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            vec![&s[0..4], &s[4..6], &s[6..8]]
        } else {
            s.split(['-', '/', '.']).collect()
        };
        // A month or day of one digit (1990-3-5) has one reading when the year comes first.
        let num = |p: &str, len: usize| -> Result<u32, DateProblem> {
            let fits = p.len() == len || (len == 2 && p.len() == 1);
            if fits && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().map_err(|_| DateProblem::Format)
            } else {
                Err(DateProblem::Format)
            }
        };
        let year = num(parts[0], 4)? as i32;
        match parts.len() {
            1 => Ok(PartialDate {
                year,
                month: None,
                day: None,
            }),
            2 => {
                let m = num(parts[1], 2)?;
                if !(1..=12).contains(&m) {
                    return Err(DateProblem::Impossible);
                }
                Ok(PartialDate {
                    year,
                    month: Some(m),
                    day: None,
                })
            }
            3 => {
                let m = num(parts[1], 2)?;
                let d = num(parts[2], 2)?;
                PartialDate::full(year, m, d).ok_or(DateProblem::Impossible)
            }
            _ => Err(DateProblem::Format),
        }
    }

    /// The earliest day this partial date allows, as (year, month, day).
    pub fn earliest(&self) -> (i32, u32, u32) {
        (self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    /// The latest day this partial date allows.
    pub fn latest(&self) -> (i32, u32, u32) {
        let m = self.month.unwrap_or(12);
        (self.year, m, self.day.unwrap_or(days_in_month(self.year, m)))
    }

    /// True when both dates can be the same day (every known part agrees).
    pub fn agrees_with(&self, other: &PartialDate) -> bool {
        self.year == other.year && opt_agree(self.month, other.month) && opt_agree(self.day, other.day)
    }
}

fn opt_agree(a: Option<u32>, b: Option<u32>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// Age in whole years on a given day.
pub fn age_on(birth: (i32, u32, u32), on: (i32, u32, u32)) -> i32 {
    let mut age = on.0 - birth.0;
    if (on.1, on.2) < (birth.1, birth.2) {
        age -= 1;
    }
    age
}

/// Which age groups a birth date allows for first contact during `year`: the person may have
/// been a child at some day of the year, and/or an adult at some day of the year.
pub fn possible_age_groups(birth: &PartialDate, year: i32) -> (bool, bool) {
    let youngest_on_jan1 = age_on(birth.latest(), (year, 1, 1));
    let oldest_on_dec31 = age_on(birth.earliest(), (year, 12, 31));
    (youngest_on_jan1 < 18, oldest_on_dec31 >= 18)
}

/// Converts an Excel serial day number (1900 date system) to a calendar date.
pub fn from_excel_serial(serial: f64) -> Option<PartialDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // Serial 25569 is 1970-01-01; Excel's phantom 1900-02-29 only matters before March 1900.
    let days = serial.floor() as i64 - 25_569;
    let (y, m, d) = civil_from_days(days);
    PartialDate::full(y, m, d)
}

/// Today by the system clock (UTC), as (year, month, day).
pub fn today() -> (i32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_from_days((secs / 86_400) as i64)
}

/// This year by the system clock (UTC): a report year after it cannot be right.
pub fn current_year() -> i32 {
    today().0
}

/// A time in seconds since 1970 (as the ledger and the register record it), as people read it.
pub fn utc_text(unix: u64) -> String {
    let (y, m, d) = civil_from_days((unix / 86_400) as i64);
    let secs = unix % 86_400;
    format!("{y}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs / 60 % 60)
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_times_read_as_utc_dates() {
        assert_eq!(utc_text(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_text(1_709_210_096), "2024-02-29 12:34 UTC");
    }

    #[test]
    fn parses_partial_and_refuses_impossible() {
        assert_eq!(
            PartialDate::parse("1990").map(|d| d.to_string()),
            Ok("1990".into())
        );
        assert_eq!(
            PartialDate::parse("1990-07").map(|d| d.to_string()),
            Ok("1990-07".into())
        );
        assert_eq!(
            PartialDate::parse("19900704").map(|d| d.to_string()),
            Ok("1990-07-04".into())
        );
        assert_eq!(PartialDate::parse("2024-02-30"), Err(DateProblem::Impossible));
        assert_eq!(PartialDate::parse("2023-02-29"), Err(DateProblem::Impossible));
        assert!(PartialDate::parse("2024-02-29").is_ok());
        assert_eq!(PartialDate::parse("1990-13"), Err(DateProblem::Impossible));
        assert_eq!(
            PartialDate::parse("1990-7-4").map(|d| d.to_string()),
            Ok("1990-07-04".into())
        );
        assert_eq!(PartialDate::parse("90-07-04"), Err(DateProblem::Format));
        assert_eq!(PartialDate::parse("4/7/1990"), Err(DateProblem::Format));
        assert_eq!(PartialDate::parse("1990-007-04"), Err(DateProblem::Format));
        assert_eq!(PartialDate::parse("abc"), Err(DateProblem::Format));
    }

    #[test]
    fn age_groups_respect_partial_dates() {
        let d = |s| PartialDate::parse(s).expect("valid");
        // Turned 18 during 2024: both groups are possible.
        assert_eq!(possible_age_groups(&d("2006-06-01"), 2024), (true, true));
        assert_eq!(possible_age_groups(&d("2010"), 2024), (true, false));
        assert_eq!(possible_age_groups(&d("1980-01"), 2024), (false, true));
        // Year only, 18 at the end of the year but maybe 17 on January 1st.
        assert_eq!(possible_age_groups(&d("2006"), 2024), (true, true));
    }

    #[test]
    fn excel_serials() {
        assert_eq!(
            from_excel_serial(45292.0).map(|d| d.to_string()),
            Some("2024-01-01".into())
        );
        assert_eq!(
            from_excel_serial(32874.0).map(|d| d.to_string()),
            Some("1990-01-01".into())
        );
    }
}
