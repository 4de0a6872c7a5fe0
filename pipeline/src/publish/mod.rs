//! `safetally publish`: the release folder a person can hand on. Every table as CSV (codes,
//! Swedish and English labels, suppression marked) and Parquet, one workbook, the comparison
//! with official figures, a methods note, and a manifest with every input hash and parameter.

pub mod coverage;
mod methods;
mod official;
mod rows;
mod xlsx;

pub use official::{ComparisonRow, OfficialFigure, comparison, load_official};
pub use rows::{Field, MARK, Sheet, sheet};

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{ReleaseError, StageError};
use crate::parquet_io::{Kind, ParquetSink, Value};
use crate::protect::{ProtectReport, ProtectedTable};
use crate::schema::Schema;
use crate::stage::{FileHash, SOFTWARE_VERSION, hash_tree};
use crate::tables::Tables;

pub const STAGE: &str = "06-release";
pub const STAGE_DP: &str = "06-release-dp";
pub const TABLES_DIR: &str = "tables";
pub const WORKBOOK: &str = "safetally-release.xlsx";
pub const METHODS: &str = "methods.md";
pub const MANIFEST: &str = "manifest.json";
pub const COMPARISON: &str = "T22_official_comparison";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReleaseManifest {
    pub release_id: String,
    pub mode: String,
    pub report_year: Option<i64>,
    pub schema_version: String,
    pub software_version: String,
    pub parameters: serde_json::Value,
    /// The files the release was made from (the protected tables, and upstream what they came from).
    pub inputs: Vec<FileHash>,
    /// Exact releases: whether the small-count audit passed (publish refuses one that did
    /// not). A DP release has no such audit (its guarantee is the noise, in `dp`), so the
    /// field is left out rather than carrying a `true` that means nothing there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_passed: Option<bool>,
    /// DP mode: what the release spent and promises (no figure computed from exact counts).
    #[serde(default)]
    pub dp: Option<DpRelease>,
    /// Exact releases: whether rows were left out and which organisations lost a tenth of
    /// theirs or more (`coverage::shown`), when the work folder's own ingest made the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<serde_json::Value>,
    pub tables: Vec<String>,
    pub files: Vec<FileHash>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DpRelease {
    pub rho: f64,
    pub epsilon: f64,
    pub delta: f64,
    pub group_size: u32,
    pub group_rho: f64,
    pub group_epsilon: f64,
    pub year_rho_cap: f64,
    pub year_rho_spent: f64,
    /// The ledger entry of this release (its random id).
    pub ledger_entry: String,
    pub tables: Vec<safetally_dp::budget::TablePlan>,
}

/// A rho as a reader is shown it: a sum of the tables' shares, 0.49999999999999983, said as
/// 0.5 (the manifest and the notebook printed it whole, an outside review found). The ledger
/// and the protect report, which the budget is accounted from, keep every digit.
pub fn shown_rho(rho: f64) -> f64 {
    (rho * 1e9).round() / 1e9
}

impl DpRelease {
    fn from(d: &crate::protect::DpSummary) -> Self {
        DpRelease {
            rho: shown_rho(d.rho),
            epsilon: d.epsilon,
            delta: d.delta,
            group_size: d.group_size,
            group_rho: shown_rho(d.group_rho),
            group_epsilon: d.group_epsilon,
            year_rho_cap: d.year_rho_cap,
            year_rho_spent: shown_rho(d.spent_after),
            ledger_entry: d.ledger_entry.clone(),
            tables: d.plan.clone(),
        }
    }
}

pub struct PublishInput<'a> {
    pub schema: &'a Schema,
    pub tables: &'a Tables,
    pub protected: &'a [ProtectedTable],
    pub report: &'a ProtectReport,
    pub inputs: Vec<FileHash>,
    /// What validation left out, when known (`coverage::read`).
    pub coverage: Option<coverage::Coverage>,
}

/// Writes the release into `out` (an empty staging folder) and returns its manifest.
pub fn publish(inp: &PublishInput, out: &Path) -> Result<ReleaseManifest, StageError> {
    if !inp.report.audit_passed {
        return Err(ReleaseError::NotAudited {
            failures: inp.report.audit_failures.clone(),
        }
        .into());
    }
    let dir = out.join(TABLES_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| StageError::io(&dir, e))?;
    let mut sheets = Vec::new();
    for (t, p) in inp.tables.tables.iter().zip(inp.protected) {
        let s = sheet(t, p, inp.report.dp.is_some());
        write_csv(&dir.join(format!("{}.csv", t.id())), &s)?;
        write_parquet(&dir.join(format!("{}.parquet", t.id())), &s)?;
        sheets.push((t, s));
    }
    let official = load_official()?;
    let rows = comparison(
        inp.tables,
        inp.protected,
        &official,
        inp.report.report_year,
        inp.report.dp.is_some(),
    );
    let official_note = if rows.iter().any(|r| r.side == "official") {
        "Källa / source: schemas/official.csv.".to_string()
    } else {
        format!(
            "Inga officiella siffror för {0} finns i schemas/official.csv / no official figures for {0} in schemas/official.csv.",
            inp.report.report_year.map_or("?".into(), |y| y.to_string())
        )
    };
    let cmp = comparison_sheet(&rows, inp.report.dp.is_some());
    write_csv(&dir.join(format!("{COMPARISON}.csv")), &cmp)?;
    write_parquet(&dir.join(format!("{COMPARISON}.parquet")), &cmp)?;
    xlsx::workbook(&out.join(WORKBOOK), inp.tables, &sheets, &cmp, inp.report)?;
    let dp = inp.report.dp.is_some();
    let note = methods::methods_note(inp.tables, inp.report, persons_shown(inp), &official_note)
        + &coverage::section(inp.coverage.as_ref(), dp);
    std::fs::write(out.join(METHODS), note).map_err(|e| StageError::io(out.join(METHODS), e))?;
    let files = hash_tree(out)?;
    let parameters = match &inp.report.dp {
        Some(d) => {
            serde_json::json!({ "rho": shown_rho(d.rho), "delta": d.delta, "group_size": d.group_size, "suppress_below": d.suppress_below, "plan": d.plan })
        }
        None => serde_json::to_value(&inp.report.params).unwrap_or_default(),
    };
    // The id is the release's own content: its files and parameters, not the upstream files
    // it lists (an exact release linked again, with new random person ids, got a new id for
    // the same tables while the register kept the first, an outside review found).
    let mut h = Sha256::new();
    for f in &files {
        h.update(f.blake3.as_bytes());
    }
    h.update(parameters.to_string().as_bytes());
    let release_id = format!(
        "{}-{}-{}",
        inp.report.report_year.map_or("unknown".into(), |y| y.to_string()),
        inp.report.mode,
        &hex::encode(h.finalize())[..12]
    );
    let manifest = ReleaseManifest {
        release_id,
        mode: inp.report.mode.clone(),
        report_year: inp.report.report_year,
        schema_version: inp.schema.version.clone(),
        software_version: SOFTWARE_VERSION.into(),
        parameters,
        inputs: inp.inputs.clone(),
        audit_passed: inp.report.dp.is_none().then_some(inp.report.audit_passed),
        dp: inp.report.dp.as_ref().map(DpRelease::from),
        coverage: inp.coverage.as_ref().and_then(|c| coverage::shown(c, dp)),
        tables: inp.tables.tables.iter().map(|t| t.id().to_string()).collect(),
        files,
    };
    let text = serde_json::to_string_pretty(&manifest)
        .map_err(|e| StageError::serialise("the release manifest", e))?;
    std::fs::write(out.join(MANIFEST), text).map_err(|e| StageError::io(out.join(MANIFEST), e))?;
    Ok(manifest)
}

/// T22: each figure with its status and, for the platform's, the uncertainty its table
/// publishes (noise scale and 95% interval under DP, the range of a hidden cell in exact mode).
fn comparison_sheet(rows: &[ComparisonRow], dp: bool) -> Sheet {
    let mut header: Vec<String> = [
        "side",
        "source",
        "measure",
        "measure_sv",
        "measure_en",
        "offence",
        "unit",
        "value",
        "status",
    ]
    .map(String::from)
    .to_vec();
    if dp {
        header.extend(["noise_scale", "interval95_low", "interval95_high"].map(String::from));
    } else {
        header.extend(["hidden_range_low", "hidden_range_high"].map(String::from));
    }
    let rows = rows
        .iter()
        .map(|r| {
            let mut row = vec![
                Field::Text(r.side.into()),
                Field::Text(r.source.clone()),
                Field::Text(r.measure.clone()),
                Field::Text(r.sv.clone()),
                Field::Text(r.en.clone()),
                Field::Text(r.offence.clone()),
                Field::Text(r.unit.clone()),
                comparison_value(r.value.as_deref()),
            ];
            match &r.figure {
                Some(f) => row.extend(rows::status_and_uncertainty(f, 0, dp)),
                None => {
                    // An official figure, or a platform cell the tables lack.
                    let status = if r.side == "official" {
                        "published"
                    } else {
                        "suppressed"
                    };
                    row.push(Field::Text(status.into()));
                    row.extend((0..if dp { 3 } else { 2 }).map(|_| Field::Blank));
                }
            }
            row
        })
        .collect();
    Sheet { header, rows }
}

/// A whole figure is a count (a number in the workbook, not text Excel flags); anything else
/// is kept as written, and a suppressed platform figure is the mark.
fn comparison_value(v: Option<&str>) -> Field {
    match v {
        None => Field::Count(None),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n.to_string() == v => Field::Count(Some(n)),
            _ => Field::Text(v.to_string()),
        },
    }
}

fn write_csv(path: &Path, s: &Sheet) -> Result<(), StageError> {
    let err = |e: csv::Error| StageError::csv(path, e);
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    w.write_record(&s.header).map_err(err)?;
    for r in &s.rows {
        w.write_record(r.iter().map(Field::text)).map_err(err)?;
    }
    w.flush().map_err(|e| StageError::io(path, e))
}

/// Typed columns: counts as integers (null when suppressed), shares and noise scales as
/// floats, everything else as text.
fn write_parquet(path: &Path, s: &Sheet) -> Result<(), StageError> {
    let kinds: Vec<(&str, Kind)> = s
        .header
        .iter()
        .enumerate()
        .map(|(c, h)| {
            let kind = match s.rows.iter().map(|r| &r[c]).find(|f| !matches!(f, Field::Blank)) {
                Some(Field::Count(_)) => Kind::Int,
                Some(Field::Share(_) | Field::Scale(_)) => Kind::Float,
                _ => Kind::Str,
            };
            (h.as_str(), kind)
        })
        .collect();
    let mut sink = ParquetSink::create(path, &kinds)?;
    for r in &s.rows {
        sink.push(
            r.iter()
                .zip(&kinds)
                .map(|(f, (_, kind))| match f {
                    Field::Blank => match kind {
                        Kind::Int => Value::Int(None),
                        Kind::Float => Value::Float(None),
                        _ => Value::Str(None),
                    },
                    Field::Count(v) => Value::Int(v.map(|x| x as i64)),
                    Field::Text(t) => Value::Str(Some(t.clone())),
                    Field::Share(v) | Field::Scale(v) => Value::Float(*v),
                })
                .collect(),
        )?;
    }
    sink.finish()?;
    Ok(())
}

/// The number of persons the methods note states: the published total of the first table over
/// all persons (noisy in DP mode, where the exact number would be a count without noise; absent
/// when suppressed), never a number the tables do not show.
fn persons_shown(inp: &PublishInput) -> Option<u64> {
    inp.tables
        .tables
        .iter()
        .zip(inp.protected)
        .find(|(t, _)| t.spec.population.conditions.is_empty())
        .and_then(|(t, p)| t.cell_index(&Default::default()).and_then(|i| p.values[i]))
}
