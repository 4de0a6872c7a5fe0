//! A birth date and everything the encoder takes from it, computed once per distinct date:
//! its texts in the match keys, its keyed blocking key and its keyed parts for the fuzzy
//! step. A file's distinct dates are resolved before its rows are encoded, so that no row
//! formats or looks up its date again.

use crate::FastMap;
use crate::dates::PartialDate;
use crate::key::{Keyed, LinkageKey};

/// A birth date as given (at least a year), with what the encoder needs of it.
pub struct Birth {
    /// Set for a full date.
    pub full: Option<FullDate>,
    /// Keyed year, unordered month and day, year and month (see `Dates::parts`).
    pub parts: [Option<i64>; 3],
}

/// A full date's texts (as `PartialDate` writes them) and its keyed blocking key.
pub struct FullDate {
    pub text: String,
    /// The date with its month and day in ascending order: the same for a day-month swap.
    pub unordered: String,
    pub block: i64,
}

/// Keyed dates, by value: each is computed once per run.
pub struct Dates {
    blk: Keyed,
    date: Keyed,
    /// Keyed full dates, years, unordered months and days, and years and months.
    dob_block: FastMap<(i32, u32, u32), i64>,
    year_part: FastMap<i32, i64>,
    md_part: FastMap<(u32, u32), i64>,
    ym_part: FastMap<(i32, u32), i64>,
}

impl Dates {
    pub fn new(key: &LinkageKey) -> Self {
        Dates {
            blk: key.purpose("block"),
            date: key.purpose("date-part"),
            dob_block: FastMap::default(),
            year_part: FastMap::default(),
            md_part: FastMap::default(),
            ym_part: FastMap::default(),
        }
    }

    /// Everything the encoder takes from a birth date.
    pub fn birth(&mut self, date: PartialDate) -> Birth {
        let full = date.day.is_some().then(|| {
            let text = full_date_text(date);
            let (m, day) = (date.month.unwrap_or(0), date.day.unwrap_or(0));
            FullDate {
                block: self.dob_block(date, &text),
                unordered: date_text(date.year, m.min(day), m.max(day), false),
                text,
            }
        });
        Birth {
            full,
            parts: self.parts(Some(date)),
        }
    }

    /// The blocking key of a full date (`text`, as `full_date_text` writes it).
    fn dob_block(&mut self, d: PartialDate, text: &str) -> i64 {
        let at = (d.year, d.month.unwrap_or(0), d.day.unwrap_or(0));
        if let Some(&v) = self.dob_block.get(&at) {
            return v;
        }
        let v = self.blk.hash64(&[b"dob", text.as_bytes()]);
        if self.dob_block.len() < 1 << 20 {
            self.dob_block.insert(at, v);
        }
        v
    }

    /// Keyed date parts for the fuzzy step's date evidence: the year; for a full date, its
    /// month and day as an unordered pair (equal for the same date and for a day-month swap;
    /// the full date itself is the first blocking key); for a year and month without a day,
    /// the two together. Month and day are never keyed alone: a keyed month equal to the keyed
    /// day of the same number, or the months and days that occur together, would let the
    /// platform tell days and months apart (day 31 occurs with seven months only, day 30 never
    /// with February).
    pub fn parts(&mut self, birth: Option<PartialDate>) -> [Option<i64>; 3] {
        let Some(b) = birth else { return [None; 3] };
        let date = &self.date;
        let year = *self
            .year_part
            .entry(b.year)
            .or_insert_with(|| date.hash64(&[b"y", b.year.to_string().as_bytes()]));
        let (md, ym) = match (b.month, b.day) {
            (Some(m), Some(d)) => {
                let (lo, hi) = (m.min(d), m.max(d));
                let md = *self.md_part.entry((lo, hi)).or_insert_with(|| {
                    date.hash64(&[b"md-unordered", format!("{lo:02}-{hi:02}").as_bytes()])
                });
                (Some(md), None)
            }
            (Some(m), None) => {
                let ym = *self
                    .ym_part
                    .entry((b.year, m))
                    .or_insert_with(|| date.hash64(&[b"ym", format!("{}-{m:02}", b.year).as_bytes()]));
                (None, Some(ym))
            }
            _ => (None, None),
        };
        [Some(year), md, ym]
    }
}

/// A full date as `PartialDate` writes it (YYYY-MM-DD), without the formatting machinery.
fn full_date_text(d: PartialDate) -> String {
    date_text(d.year, d.month.unwrap_or(0), d.day.unwrap_or(0), true)
}

/// Year, month and day joined by dashes; the year padded to four digits when `pad_year`.
fn date_text(year: i32, a: u32, b: u32, pad_year: bool) -> String {
    if !(1000..=9999).contains(&year) || a > 99 || b > 99 {
        return if pad_year {
            format!("{year:04}-{a:02}-{b:02}")
        } else {
            format!("{year}-{a:02}-{b:02}")
        };
    }
    let digit = |v: u32| char::from(b'0' + (v % 10) as u8);
    let y = year as u32;
    let mut s = String::with_capacity(10);
    for c in [
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        '-',
        digit(a / 10),
        digit(a),
        '-',
        digit(b / 10),
        digit(b),
    ] {
        s.push(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nothing keyed from a date relates a month to a day: the unordered pair is the same
    /// for a date and its swap, and no part is a month or a day alone (were the keyed month 9
    /// equal to the keyed day 9, which days occur with which months would give both away).
    #[test]
    fn date_parts_match_a_swap_but_never_key_a_month_or_a_day_alone() {
        let key = LinkageKey::for_synthetic_demo(b"test");
        let mut dates = Dates::new(&key);
        let d = |y, m, d| {
            Some(PartialDate {
                year: y,
                month: m,
                day: d,
            })
        };
        let [y, md, ym] = dates.parts(d(1990, Some(4), Some(9)));
        let [_, swapped, _] = dates.parts(d(1990, Some(9), Some(4)));
        let [_, other, _] = dates.parts(d(1990, Some(4), Some(10)));
        assert!(y.is_some() && md.is_some() && ym.is_none());
        assert!(md == swapped && md != other);
        let [_, none, month] = dates.parts(d(1990, Some(4), None));
        assert!(none.is_none() && month.is_some());
        assert_ne!(
            month,
            dates.parts(d(1991, Some(4), None))[2],
            "the month goes with its year"
        );
        // No part of any date equals the part another date would make for a lone month or day.
        let mut values = std::collections::HashSet::new();
        for m in 1..=12 {
            for day in 1..=28 {
                values.extend(dates.parts(d(1990, Some(m), Some(day))).into_iter().flatten());
            }
        }
        let date = key.purpose("date-part");
        for v in 1..=31u32 {
            for tag in [b"m".as_slice(), b"d", b"md"] {
                assert!(!values.contains(&date.hash64(&[tag, format!("{v:02}").as_bytes()])));
            }
        }
    }

    #[test]
    fn dates_are_written_as_the_formatting_machinery_writes_them() {
        for (y, m, d) in [
            (1987, 3, 9),
            (2001, 12, 31),
            (999, 1, 2),
            (12345, 5, 6),
            (1990, 0, 0),
        ] {
            let date = PartialDate {
                year: y,
                month: Some(m),
                day: Some(d),
            };
            assert_eq!(full_date_text(date), date.to_string());
            assert_eq!(date_text(y, m, d, false), format!("{y}-{m:02}-{d:02}"));
        }
    }
}
