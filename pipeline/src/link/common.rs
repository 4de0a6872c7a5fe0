//! Birth dates too common to be evidence. Registers give people whose birth day is unknown a
//! placeholder (1 January above all), so in real data unrelated people share a full birth date
//! far more often than an even spread of birthdays gives; a full date on such a month and day
//! counts as the year only. The platform sees only keyed month-and-day values and how many
//! records hold each, which it holds already.

use std::collections::HashMap;

use super::load::Records;
use crate::schema::CommonDate;

/// The match key of a record's sorted name parts and birth date (`MATCH_KEYS`).
const NAME_AND_DATE: usize = 1;

/// Month-and-day values a full date can key to, counting a day and month that can be swapped
/// (both 12 or under) as one: the most records one value holds under an even spread is about
/// 1/183 of those with a full date.
const DAYS_PER_VALUE: f64 = 366.0 / 2.0;

/// Whether each record's full birth date is on a common month and day, and how many values
/// were common. A month and day is counted in different names, not records: one person met by
/// several organisations is one birthday (records with one name and date, by their exact name
/// key, count once; a record without that key counts alone).
pub fn common_dates(r: &Records, c: &CommonDate) -> (Vec<bool>, u64) {
    // Records loaded for the exact keys alone (`load_for`) have no date parts.
    let Some(month_day) = r.date_parts.get(1).filter(|m| m.len() == r.len()) else {
        return (vec![false; r.len()], 0);
    };
    let names = r.match_keys.get(NAME_AND_DATE).filter(|k| k.len() == r.len());
    // Room for every record at once: grown by pushes, ten million pairs were copied as the
    // list doubled, a sixteenth of the link stage's page faults.
    let mut named: Vec<(i64, i64)> = Vec::with_capacity(month_day.len());
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for (i, &v) in month_day.iter().enumerate().filter(|(_, v)| **v != 0) {
        match names.map_or(0, |k| k[i]) {
            0 => *counts.entry(v).or_default() += 1,
            name => named.push((v, name)),
        }
    }
    named.sort_unstable();
    named.dedup();
    for (v, _) in named {
        *counts.entry(v).or_default() += 1;
    }
    let with_date: usize = counts.values().sum();
    let bar = (c.times_expected * with_date as f64 / DAYS_PER_VALUE).max(c.min_names as f64);
    counts.retain(|_, n| *n as f64 >= bar);
    let flags = month_day.iter().map(|v| counts.contains_key(v)).collect();
    (flags, counts.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records with these month-and-day values, each of another name.
    fn records(month_days: &[i64]) -> Records {
        let names: Vec<i64> = (1..=month_days.len() as i64).collect();
        named(month_days, &names)
    }

    fn named(month_days: &[i64], names: &[i64]) -> Records {
        let n = month_days.len();
        Records {
            org: vec![0; n],
            match_keys: vec![vec![0; n], names.to_vec(), vec![0; n]],
            date_parts: vec![vec![1; n], month_days.to_vec(), vec![0; n]],
            ..Records::default()
        }
    }

    const SETTINGS: CommonDate = CommonDate {
        min_names: 8,
        times_expected: 4.0,
    };

    /// 2 000 birthdays spread over the year leave no day common; a placeholder day held by one
    /// record in ten is, and only its records are flagged.
    #[test]
    fn a_placeholder_day_is_common_and_an_even_spread_is_not() {
        let spread: Vec<i64> = (0..2000).map(|i| 1 + (i * 7919) % 300).collect();
        let (flags, values) = common_dates(&records(&spread), &SETTINGS);
        assert_eq!((values, flags.iter().filter(|f| **f).count()), (0, 0));
        let mut placeholder = spread.clone();
        for v in placeholder.iter_mut().step_by(10) {
            *v = 999;
        }
        placeholder.push(0);
        let (flags, values) = common_dates(&records(&placeholder), &SETTINGS);
        assert_eq!(values, 1);
        assert!(flags.iter().zip(&placeholder).all(|(f, v)| *f == (*v == 999)));
    }

    /// Few records: a day needs `min_names` of them, however uneven.
    #[test]
    fn a_small_file_needs_min_names_on_a_day() {
        let mut days = vec![5i64; 7];
        days.extend(10..30);
        assert_eq!(common_dates(&records(&days), &SETTINGS).1, 0);
        days.push(5);
        assert_eq!(common_dates(&records(&days), &SETTINGS).1, 1);
    }

    /// One person met by ten organisations is one birthday, not ten; records without a name
    /// key count one each.
    #[test]
    fn records_of_one_name_count_once() {
        let mut days = vec![5i64; 10];
        let mut names = vec![42i64; 10];
        days.extend(10..30);
        names.extend(100..120);
        assert_eq!(common_dates(&named(&days, &names), &SETTINGS).1, 0);
        names[..8].copy_from_slice(&[0; 8]);
        assert_eq!(
            common_dates(&named(&days, &names), &SETTINGS).1,
            1,
            "eight without a name key, one named"
        );
    }

    /// Files of older versions carry no settings: nothing is common.
    #[test]
    fn without_settings_nothing_is_common() {
        let days = vec![5i64; 100];
        assert_eq!(common_dates(&records(&days), &CommonDate::default()).1, 0);
    }
}
