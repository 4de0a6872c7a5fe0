//! A protected table as rows a reader can use: codes with Swedish and English labels, the
//! count or the suppression mark, why, the range a hidden count lies in, and shares.

use safetally_dp::suppress::Status;

use crate::protect::{ProtectedTable, public_status};
use crate::tables::{ANY, NONE, TOTAL, Table};

/// What a suppressed count is printed as (the Swedish official-statistics mark).
pub const MARK: &str = "..";

pub enum Field {
    Text(String),
    Count(Option<u64>),
    Share(Option<f64>),
    Scale(Option<f64>),
    /// No figure belongs here (not a hidden one): empty in the CSV and the workbook, null in
    /// Parquet.
    Blank,
}

pub struct Sheet {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Field>>,
}

/// Shares go with one-dimensional tables: of the population, or for a multi-valued table
/// of the persons with at least one code (as the yearly report prints them).
fn base(t: &Table, p: &ProtectedTable) -> Option<Option<u64>> {
    if t.dims.len() != 1 {
        return None;
    }
    let mut cell = std::collections::BTreeMap::new();
    cell.insert(
        t.dims[0].name.clone(),
        (if t.multi { ANY } else { TOTAL }).to_string(),
    );
    t.cell_index(&cell).map(|i| p.values[i])
}

/// Exact mode: the range a reader can derive for a hidden cell. DP mode: each cell's noise
/// scale and 95% interval.
pub fn sheet(t: &Table, p: &ProtectedTable, dp: bool) -> Sheet {
    let mut header = Vec::new();
    for d in &t.dims {
        header.extend([d.name.clone(), format!("{}_sv", d.name), format!("{}_en", d.name)]);
    }
    if dp {
        header.extend(
            [
                "persons",
                "status",
                "noise_scale",
                "interval95_low",
                "interval95_high",
            ]
            .map(String::from),
        );
    } else {
        header.extend(["persons", "status", "hidden_range_low", "hidden_range_high"].map(String::from));
    }
    let base = base(t, p);
    if base.is_some() {
        header.push("share_percent".into());
    }
    let mut rows = Vec::new();
    for i in 0..p.values.len() {
        let mut row = Vec::new();
        for (d, code) in t.codes(i).into_iter().enumerate() {
            let (sv, en) = t.label(d, &code);
            row.extend([Field::Text(code), Field::Text(sv), Field::Text(en)]);
        }
        row.push(Field::Count(p.values[i]));
        row.extend(status_and_uncertainty(p, i, dp));
        if let Some(b) = base {
            row.push(share_field(t, i, p.values[i], b));
        }
        rows.push(row);
    }
    Sheet { header, rows }
}

/// A cell's status and what it is known to within: DP, its noise scale (also for a hidden
/// cell: the scale follows from the table's share of rho alone, and a reader weighing a hidden
/// cell needs it; T22 showed it and the table sheets did not) and 95% interval; exact mode,
/// the range a reader can derive (a published cell's is its value). The table sheets and T22's
/// platform rows show them alike.
pub fn status_and_uncertainty(p: &ProtectedTable, i: usize, dp: bool) -> Vec<Field> {
    let hidden = p.status[i] != Status::Published;
    let mut out = vec![Field::Text(public_status(p.status[i]).into())];
    if dp {
        // Rounded once for every format: the Parquet file kept every digit the CSV and the
        // workbook rounded away, so the formats disagreed on a published number.
        out.push(Field::Scale(p.scale[i].map(|v| (v * 100.0).round() / 100.0)));
        out.push(Field::Count(p.lower[i]));
        out.push(Field::Count(p.upper[i]));
    } else {
        out.push(Field::Count(if hidden { p.lower[i] } else { p.values[i] }));
        out.push(Field::Count(if hidden { p.upper[i] } else { p.values[i] }));
    }
    out
}

/// A multi-valued table's shares are of the persons with at least one code, so the rows
/// outside that base (all persons, persons with no code) have none: `_total` would read
/// "105.8 %".
fn share_field(t: &Table, i: usize, value: Option<u64>, base: Option<u64>) -> Field {
    if t.multi && t.codes(i).first().is_some_and(|c| c == TOTAL || c == NONE) {
        return Field::Blank;
    }
    match (value, base) {
        (Some(v), Some(b)) if b > 0 => Field::Share(Some(share_percent(v, b))),
        _ => Field::Share(None),
    }
}

/// The share in percent to one decimal, rounded half away from zero on the exact ratio
/// (integer arithmetic), once, for every format: each writer rounding the binary value its own
/// way made 33 of 400 read 8.2 in the CSV and 8.3 in the workbook.
pub fn share_percent(count: u64, base: u64) -> f64 {
    let (c, b) = (u128::from(count), u128::from(base.max(1)));
    let tenths = (2000 * c + b) / (2 * b);
    tenths as f64 / 10.0
}

impl Field {
    /// The CSV text: never blank for a number, the mark when suppressed or unbounded.
    pub fn text(&self) -> String {
        match self {
            Field::Text(s) => s.clone(),
            Field::Blank => String::new(),
            Field::Count(Some(v)) => v.to_string(),
            Field::Count(None) | Field::Share(None) | Field::Scale(None) => MARK.to_string(),
            Field::Share(Some(v)) => format!("{v:.1}"),
            Field::Scale(Some(v)) => format!("{v:.2}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_on_the_half_rounds_away_from_zero_and_prints_as_it_is_stored() {
        // 33 of 400 is 8.25 %, 1 of 8 is 12.5 %, 23 of 200 is 11.5 % (11.499... in binary).
        for (c, b, text) in [
            (33, 400, "8.3"),
            (1, 8, "12.5"),
            (23, 200, "11.5"),
            (1, 3, "33.3"),
            (2, 3, "66.7"),
            (0, 7, "0.0"),
            (7, 7, "100.0"),
        ] {
            let v = share_percent(c, b);
            assert_eq!(Field::Share(Some(v)).text(), text, "{c} of {b}");
            assert_eq!((v * 10.0).round() / 10.0, v, "{c} of {b}: already rounded");
        }
    }
}
