//! The protected tables' Parquet files: one row per cell with its count (when shown), its
//! status, the range a reader can derive and the noise scale; written and read back.

use std::collections::BTreeMap;
use std::path::Path;

use safetally_dp::suppress::Status;

use super::ProtectedTable;
use crate::error::StageError;
use crate::parquet_io::{Kind, ParquetSink, Value, read};
use crate::tables::Table;

/// The status a published file shows. Whether a hidden cell was small or hidden to protect
/// another is internal: published, it would tell a reader that one hidden cell is 1 to 4 and
/// another 0 or at least 5, narrowing both beyond what the audit checked.
pub fn public_status(s: Status) -> &'static str {
    if s.hidden() { "suppressed" } else { "published" }
}

pub fn status_code(s: Status) -> &'static str {
    match s {
        Status::Published => "published",
        Status::Primary => "suppressed_small",
        Status::Secondary => "suppressed_complementary",
    }
}

fn parse_status(s: &str) -> Option<Status> {
    [Status::Published, Status::Primary, Status::Secondary]
        .into_iter()
        .find(|x| status_code(*x) == s)
}

const COLUMNS: [(&str, Kind); 5] = [
    ("persons", Kind::Int),
    ("status", Kind::Str),
    ("interval_lower", Kind::Int),
    ("interval_upper", Kind::Int),
    ("noise_scale", Kind::Float),
];

pub fn write_protected(t: &Table, p: &ProtectedTable, dir: &Path) -> Result<(), StageError> {
    let mut cols: Vec<(&str, Kind)> = t.dims.iter().map(|d| (d.name.as_str(), Kind::Str)).collect();
    cols.extend(COLUMNS);
    let mut sink = ParquetSink::create(&dir.join(format!("{}.parquet", t.id())), &cols)?;
    let int = |v: Option<u64>| Value::Int(v.map(|x| x as i64));
    for i in 0..p.values.len() {
        let mut row: Vec<Value> = t.codes(i).into_iter().map(|c| Value::Str(Some(c))).collect();
        row.extend([
            int(p.values[i]),
            Value::Str(Some(status_code(p.status[i]).to_string())),
            int(p.lower[i]),
            int(p.upper[i]),
            Value::Float(p.scale[i]),
        ]);
        sink.push(row)?;
    }
    sink.finish()?;
    Ok(())
}

pub fn read_protected(t: &Table, dir: &Path) -> Result<ProtectedTable, StageError> {
    let path = dir.join(format!("{}.parquet", t.id()));
    let df = read(&path)?;
    let bad = |m: String| StageError::ParquetRead {
        path: path.clone(),
        message: m,
    };
    let strs = |n: &str| {
        df.column(n)
            .and_then(|c| c.str().cloned())
            .map_err(|e| bad(format!("column {n}: {e}")))
    };
    let ints = |n: &str| {
        df.column(n)
            .and_then(|c| c.i64().cloned())
            .map_err(|e| bad(format!("column {n}: {e}")))
    };
    let dims = t
        .dims
        .iter()
        .map(|d| strs(&d.name))
        .collect::<Result<Vec<_>, _>>()?;
    let (persons, status, lower, upper) = (
        ints("persons")?,
        strs("status")?,
        ints("interval_lower")?,
        ints("interval_upper")?,
    );
    let scale = df
        .column("noise_scale")
        .and_then(|c| c.f64().cloned())
        .map_err(|e| bad(format!("column noise_scale: {e}")))?;
    let n = t.n_cells();
    let mut p = ProtectedTable::empty(t.id(), n);
    if df.height() != n {
        return Err(bad(format!("{} rows where the table has {n} cells", df.height())));
    }
    let u = |v: Option<i64>| v.map(|x| x.max(0) as u64);
    for row in 0..n {
        let cell: BTreeMap<String, String> = t
            .dims
            .iter()
            .zip(&dims)
            .map(|(d, c)| (d.name.clone(), c.get(row).unwrap_or("").to_string()))
            .collect();
        let i = t
            .cell_index(&cell)
            .ok_or_else(|| bad(format!("row {}: unknown cell {cell:?}", row + 1)))?;
        p.values[i] = u(persons.get(row));
        p.status[i] = status
            .get(row)
            .and_then(parse_status)
            .ok_or_else(|| bad(format!("row {}: bad status", row + 1)))?;
        p.lower[i] = u(lower.get(row));
        p.upper[i] = u(upper.get(row));
        p.scale[i] = scale.get(row);
    }
    Ok(p)
}
