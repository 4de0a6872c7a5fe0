//! Official figures to compare with (`schemas/official.csv`, one row per year, offence and
//! measure, each with its source and unit) and the comparison table T22 built from them and
//! from already-protected platform cells, so it can reveal nothing the tables do not.

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
    /// `None` when the platform cell is suppressed.
    pub value: Option<String>,
    /// The platform cell's table and cell (`Tables` order): T22 shows its status and
    /// uncertainty as its table does (a noisy 0 printed bare beside BRÅ's 172 offences, an
    /// outside review found).
    pub cell: Option<(usize, usize)>,
}

pub fn comparison(
    tables: &Tables,
    protected: &[ProtectedTable],
    official: &[OfficialFigure],
    year: Option<i64>,
) -> Vec<ComparisonRow> {
    let mut rows = Vec::new();
    for m in &tables.comparison.platform {
        let cell = tables
            .tables
            .iter()
            .position(|t| t.spec.id == m.table)
            .and_then(|ti| Some((ti, tables.tables[ti].cell_index(&m.cell)?)));
        let value = cell.and_then(|(ti, i)| protected[ti].values[i]);
        rows.push(ComparisonRow {
            side: "platform",
            source: format!("safetally, table {}", m.table),
            measure: m.measure.clone(),
            sv: m.sv.clone(),
            en: m.en.clone(),
            offence: String::new(),
            unit: "persons".into(),
            value: value.map(|v| v.to_string()),
            cell,
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
            cell: None,
        });
    }
    rows
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}
