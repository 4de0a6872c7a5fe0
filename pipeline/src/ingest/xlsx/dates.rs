//! Date cells whose number format shows no day (`yyyy`, `mmm-yy`): read as the partial date
//! Excel shows, not the 1st of the month it stores.

use std::collections::BTreeMap;

use super::formats::CellFormats;
use super::{and_more, cell_name};

/// How much of a date a cell's number format shows, when it hides the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shown {
    Year,
    YearMonth,
}

/// Date cells whose format hides the day: how much each shows, and the format's code.
pub(super) type PartialCells = BTreeMap<(u32, u32), (Shown, String)>;

/// Excel stores `1990-05` or `maj 1990` typed into a cell as the 1st of the month, formatted
/// to show no day: the day (and for `yyyy` the month) is Excel's invention, and read as a full
/// date it would feed the linkage keys a birth day no one gave. `formats` are the date cells'
/// number formats (see `formats::cell_formats`).
pub(super) fn partial_dates(dates: &[(u32, u32)], formats: &CellFormats) -> PartialCells {
    dates
        .iter()
        .filter_map(|pos| {
            let code = formats.get(pos)?;
            hidden_day(code).map(|shown| (*pos, (shown, code.to_string())))
        })
        .collect()
}

/// What a date format shows, when it shows no day: `yyyy`, `mmm-yy`, `yyyy-mm`,
/// `[$-41D]mmmm yyyy`, or a month alone (`mmmm`). Only the first section counts (the one for a positive number), and
/// quoted text, escaped characters and bracketed colours or locales are not date parts. A
/// format with hours or seconds is left alone: its `m` may be minutes.
pub(super) fn hidden_day(code: &str) -> Option<Shown> {
    let mut parts = String::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            ';' => break,
            '"' => {
                chars.by_ref().find(|&q| q == '"');
            }
            '[' => {
                chars.by_ref().find(|&q| q == ']');
            }
            '\\' | '_' | '*' => {
                chars.next();
            }
            c => parts.push(c.to_ascii_lowercase()),
        }
    }
    let has = |p: char| parts.contains(p);
    if has('d') || has('h') || has('s') {
        return None;
    }
    // A month alone (`mmmm`) still stores the year typed with it: the day is the invention.
    match (has('y'), has('m')) {
        (_, true) => Some(Shown::YearMonth),
        (true, false) => Some(Shown::Year),
        (false, false) => None,
    }
}

/// Cuts each date cell whose format hides the day to the partial date Excel shows, and says
/// so in a note naming the cells.
pub(super) fn cut_to_partial(
    rows: &mut BTreeMap<u32, Vec<(u32, String)>>,
    partial: &PartialCells,
    sheet: &str,
) -> Option<String> {
    for (&(row, col), (shown, _)) in partial {
        let cell = rows
            .get_mut(&row)
            .and_then(|cells| cells.iter_mut().find(|(c, _)| *c == col));
        if let Some((_, text)) = cell {
            let keep = if *shown == Shown::Year { 4 } else { 7 };
            text.truncate(keep.min(text.len()));
        }
    }
    let (&first, (_, code)) = partial.iter().next()?;
    Some(format!(
        "sheet {sheet:?}, cell {}{}: a date in a cell whose number format ({code}) shows no day; read as the year or year and month Excel shows (a partial date), not as the 1st of the month Excel stores",
        cell_name(first),
        and_more(partial.len())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats_that_hide_the_day_are_told_apart() {
        for (code, shown) in [
            ("yyyy", Some(Shown::Year)),
            ("mmmm", Some(Shown::YearMonth)),
            ("mmm-yy", Some(Shown::YearMonth)),
            ("yyyy-mm", Some(Shown::YearMonth)),
            ("[$-41D]mmmm yyyy;@", Some(Shown::YearMonth)),
            ("\"född \"yyyy", Some(Shown::Year)),
            ("yyyy-mm-dd", None),
            ("m/d/yyyy", None),
            ("d mmm yyyy", None),
            ("yyyy-mm-dd hh:mm", None),
            ("h:mm", None),
            ("General", None),
        ] {
            assert_eq!(hidden_day(code), shown, "{code}");
        }
    }
}
