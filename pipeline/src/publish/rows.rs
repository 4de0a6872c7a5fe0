//! A protected table as rows a reader can use: codes with Swedish and English labels, the
//! count or the suppression mark, why, the range a hidden count lies in, and shares.

use safetally_dp::suppress::Status;

use crate::protect::{ProtectedTable, public_status};
use crate::tables::{ANY, TOTAL, Table};

/// What a suppressed count is printed as (the Swedish official-statistics mark).
pub const MARK: &str = "..";

pub enum Field {
    Text(String),
    Count(Option<u64>),
    Share(Option<f64>),
    Scale(Option<f64>),
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
        let hidden = p.status[i] != Status::Published;
        row.push(Field::Count(p.values[i]));
        row.push(Field::Text(public_status(p.status[i]).into()));
        if dp {
            row.push(Field::Scale(p.scale[i].filter(|_| !hidden)));
            row.push(Field::Count(p.lower[i]));
            row.push(Field::Count(p.upper[i]));
        } else {
            row.push(Field::Count(if hidden { p.lower[i] } else { p.values[i] }));
            row.push(Field::Count(if hidden { p.upper[i] } else { p.values[i] }));
        }
        if let Some(b) = base {
            let share = match (p.values[i], b) {
                (Some(v), Some(b)) if b > 0 => Some(100.0 * v as f64 / b as f64),
                _ => None,
            };
            row.push(Field::Share(share));
        }
        rows.push(row);
    }
    Sheet { header, rows }
}

impl Field {
    /// The CSV text: never blank for a number, the mark when suppressed or unbounded.
    pub fn text(&self) -> String {
        match self {
            Field::Text(s) => s.clone(),
            Field::Count(Some(v)) => v.to_string(),
            Field::Count(None) | Field::Share(None) | Field::Scale(None) => MARK.to_string(),
            Field::Share(Some(v)) => format!("{v:.1}"),
            Field::Scale(Some(v)) => format!("{v:.2}"),
        }
    }
}
