//! Deliberate contract errors in a share of records, each recorded in the truth by the rule
//! it breaks, so tests can check that ingest quarantines exactly these rows and no others.

use rand::Rng;

use super::model::Person;
use super::record::{Copy, RecordBuilder};
use crate::dates::possible_age_groups;

/// Breaks one rule in `cells` and returns its id, or None when no rule fits this record.
pub fn inject<R: Rng>(
    rng: &mut R,
    b: &RecordBuilder,
    cells: &mut [String],
    p: &Person,
    c: &Copy,
    has_dependants: bool,
) -> Option<&'static str> {
    let mut options: Vec<&'static str> = vec!["unknown_code", "unknown_country", "bad_date"];
    if c.ids.pnr.is_some() {
        options.push("pnr_checksum");
    }
    if p.direct {
        options.push("funnel_police_report");
    }
    if !has_dependants {
        options.push("required_value");
    }
    let adult_only = c
        .ids
        .birth
        .is_some_and(|d| possible_age_groups(&d, b.year) == (false, true));
    if adult_only {
        options.push("age_group_birth_date");
    }
    let rule = options[rng.random_range(0..options.len())];
    match rule {
        "unknown_code" => cells[b.gender] = "kvinnna".into(),
        "unknown_country" => cells[b.country] = "XX".into(),
        "bad_date" => {
            cells[b.birth] = format!("{}-02-30", p.birth.year);
            cells[b.pnr].clear();
        }
        "pnr_checksum" => {
            let mut digits: Vec<u8> = cells[b.pnr].bytes().collect();
            if let Some(last) = digits.last_mut() {
                *last = b'0' + (*last - b'0' + 1) % 10;
            }
            cells[b.pnr] = String::from_utf8(digits).unwrap_or_default();
        }
        "funnel_police_report" => {
            cells[b.police] = "no".into();
            cells[b.status] = "unknown".into();
        }
        "required_value" => cells[b.kind].clear(),
        _ => cells[b.age] = "child".into(),
    }
    Some(rule)
}
