//! Official figures to compare with (`schemas/official.csv`, one row per year, offence and
//! measure, each with its source and unit) and the comparison table T22 built from them and
//! from already-protected platform cells, so it can reveal nothing the tables do not.

use safetally_dp::suppress::Status;

use crate::error::SchemaError;
use crate::protect::ProtectedTable;
use crate::tables::Tables;

const OFFICIAL: &str = include_str!("../../../schemas/official.csv");

#[derive(Debug, Clone, serde::Deserialize)]
pub struct OfficialFigure {
    pub year: i64,
    pub source: String,
    pub offence: String,
    pub offence_sv: String,
    pub law: String,
    pub measure: String,
    pub measure_sv: String,
    pub measure_en: String,
    pub unit: String,
    pub value: f64,
}

pub fn load_official() -> Result<Vec<OfficialFigure>, SchemaError> {
    let mut r = csv::Reader::from_reader(OFFICIAL.as_bytes());
    let mut out = Vec::new();
    for (i, row) in r.deserialize::<OfficialFigure>().enumerate() {
        let f = row.map_err(|e| SchemaError::Csv {
            file: "official.csv",
            line: i as u64 + 2,
            message: e.to_string(),
        })?;
        if f.unit.trim().is_empty() || f.source.trim().is_empty() {
            return Err(SchemaError::Csv {
                file: "official.csv",
                line: i as u64 + 2,
                message: "every figure needs its source and unit".into(),
            });
        }
        out.push(f);
    }
    Ok(out)
}

/// One row of the comparison: a figure, its side, its unit; never a ratio across units.
#[derive(Debug, Clone)]
pub struct ComparisonRow {
    pub side: &'static str,
    pub source: String,
    pub measure: String,
    pub sv: String,
    pub en: String,
    pub offence: String,
    pub unit: String,
    /// `None` when the platform figure is suppressed.
    pub value: Option<String>,
    /// A platform figure as a one-cell protected table: T22 shows its status and uncertainty
    /// as its table does (a noisy 0 printed bare beside BRÅ's 172 offences, an outside review
    /// found), and a figure less other cells carries what their published uncertainty allows.
    pub figure: Option<ProtectedTable>,
}

pub fn comparison(
    tables: &Tables,
    protected: &[ProtectedTable],
    official: &[OfficialFigure],
    year: Option<i64>,
    dp: bool,
) -> Vec<ComparisonRow> {
    let mut rows = Vec::new();
    for m in &tables.comparison.platform {
        let found = tables
            .tables
            .iter()
            .position(|t| t.spec.id == m.table)
            .and_then(|ti| {
                let t = &tables.tables[ti];
                let i = t.cell_index(&m.cell)?;
                let less = m
                    .less
                    .iter()
                    .map(|c| t.cell_index(c))
                    .collect::<Option<Vec<_>>>()?;
                Some((t, figure(&protected[ti], i, &less, dp)))
            });
        let (sv, en) = match (&m.sv, &m.en, &found) {
            (Some(sv), Some(en), _) => (sv.clone(), en.clone()),
            // A cell of one code (the schema checks): its table's labels.
            (_, _, Some((t, _))) => m
                .cell
                .values()
                .next()
                .map(|code| t.label(0, code))
                .unwrap_or_else(|| (m.measure.clone(), m.measure.clone())),
            _ => (m.measure.clone(), m.measure.clone()),
        };
        let figure = found.map(|(_, f)| f);
        rows.push(ComparisonRow {
            side: "platform",
            source: format!("safetally, table {}", m.table),
            measure: m.measure.clone(),
            sv,
            en,
            offence: String::new(),
            unit: "persons".into(),
            value: figure.as_ref().and_then(|f| f.values[0]).map(|v| v.to_string()),
            figure,
        });
    }
    for f in official.iter().filter(|f| Some(f.year) == year) {
        rows.push(ComparisonRow {
            side: "official",
            source: f.source.clone(),
            measure: f.measure.clone(),
            sv: format!("{}: {}", f.offence_sv, f.measure_sv),
            en: format!("{} ({}): {}", f.offence, f.law, f.measure_en),
            offence: f.offence.clone(),
            unit: f.unit.clone(),
            value: Some(format_number(f.value)),
            figure: None,
        });
    }
    rows
}

/// Cell `i` of a protected table less the cells `less`, as a one-cell table, from published
/// values and bounds only, so it reveals nothing the table does not. Hidden when any part is
/// hidden; exact mode, its range is then what the parts' published ranges allow. DP mode, the
/// interval is the parts' intervals subtracted (lowest of one less highest of the others, and
/// so on), which holds the true difference at least as often as each part's holds its own:
/// each contains its estimate +/- 1.96 scales, and the difference of the estimates has a
/// standard deviation of at most the sum of the scales, which is the scale given.
pub fn figure(p: &ProtectedTable, i: usize, less: &[usize], dp: bool) -> ProtectedTable {
    // What a reader knows a cell to lie within: a published exact count is itself; `None` as
    // the upper end is no upper bound.
    let bounds = |k: usize| {
        if dp || p.status[k] != Status::Published {
            (p.lower[k], p.upper[k])
        } else {
            (p.values[k], p.values[k])
        }
    };
    let mut f = ProtectedTable::empty(&p.id, 1);
    let (mut lo, mut hi) = bounds(i);
    f.status[0] = p.status[i];
    f.scale[0] = p.scale[i];
    f.values[0] = p.values[i];
    for &j in less {
        let (jlo, jhi) = bounds(j);
        if f.status[0] == Status::Published {
            f.status[0] = p.status[j];
        }
        f.scale[0] = f.scale[0].zip(p.scale[j]).map(|(a, b)| a + b);
        f.values[0] = f.values[0].zip(p.values[j]).map(|(a, b)| a.saturating_sub(b));
        lo = lo.map(|a| jhi.map_or(0, |b| a.saturating_sub(b)));
        hi = hi.map(|a| a.saturating_sub(jlo.unwrap_or(0)));
    }
    if f.status[0] == Status::Published {
        f.lower[0] = lo;
        f.upper[0] = hi;
    } else {
        f.values[0] = None;
        // DP hides a small noisy value without an interval, as its table does.
        if !dp {
            f.lower[0] = lo;
            f.upper[0] = hi;
        }
    }
    f
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(values: &[Option<u64>], status: &[Status], bounds: &[(u64, Option<u64>)]) -> ProtectedTable {
        let mut p = ProtectedTable::empty("T19", values.len());
        p.values = values.to_vec();
        p.status = status.to_vec();
        p.lower = bounds.iter().map(|b| Some(b.0)).collect();
        p.upper = bounds.iter().map(|b| b.1).collect();
        p
    }

    #[test]
    fn a_total_less_a_cell_is_their_difference_and_hidden_with_what_the_parts_allow() {
        use Status::*;
        // Exact, both published: the difference, published.
        let p = cells(
            &[Some(95), Some(336)],
            &[Published, Published],
            &[(0, None), (0, None)],
        );
        let f = figure(&p, 1, &[0], false);
        assert_eq!((f.values[0], f.status[0]), (Some(241), Published));
        // Exact, the cell hidden in 1..=4: hidden too, its range from the cell's.
        let p = cells(
            &[None, Some(40)],
            &[Primary, Published],
            &[(1, Some(4)), (40, Some(40))],
        );
        let f = figure(&p, 1, &[0], false);
        assert_eq!(f.values[0], None);
        assert_eq!((f.lower[0], f.upper[0]), (Some(36), Some(39)));
        assert_ne!(f.status[0], Published);
    }

    #[test]
    fn under_dp_the_difference_carries_the_parts_intervals_and_scales() {
        use Status::*;
        let mut p = cells(
            &[Some(92), Some(335)],
            &[Published, Published],
            &[(82, Some(102)), (310, Some(360))],
        );
        p.scale = vec![Some(4.8), Some(12.69)];
        let f = figure(&p, 1, &[0], true);
        assert_eq!(f.values[0], Some(243));
        assert_eq!((f.lower[0], f.upper[0]), (Some(208), Some(278)));
        assert!(f.scale[0].is_some_and(|s| (s - 17.49).abs() < 1e-9));
    }
}
