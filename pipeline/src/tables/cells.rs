//! A table's counts, one per cell of its full layout, and their Parquet form: one file per
//! table, one row per cell, a column per dimension (the code) and `persons`.

use std::collections::BTreeMap;
use std::path::Path;

use super::Table;
use crate::error::StageError;
use crate::parquet_io::{Kind, ParquetSink, Value, read};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCells {
    pub id: String,
    /// Aligned with `Table::index`.
    pub values: Vec<u64>,
}

pub fn file_name(id: &str) -> String {
    format!("{id}.parquet")
}

/// Multi-valued tables also carry counts with each person's codes truncated to `max_codes`
/// (the first ones in code-list order, which follows the 2024 report's frequencies): what
/// differential privacy measures, since a person may then move the table only so far.
pub fn truncated_name(id: &str) -> String {
    format!("{id}.truncated.parquet")
}

pub fn write_cells(table: &Table, cells: &TableCells, dir: &Path) -> Result<(), StageError> {
    write_cells_as(table, cells, &dir.join(file_name(table.id())))
}

pub fn read_cells(table: &Table, dir: &Path) -> Result<TableCells, StageError> {
    read_cells_from(table, &dir.join(file_name(table.id())))
}

pub fn write_cells_as(table: &Table, cells: &TableCells, path: &Path) -> Result<(), StageError> {
    let mut cols: Vec<(&str, Kind)> = table.dims.iter().map(|d| (d.name.as_str(), Kind::Str)).collect();
    cols.push(("persons", Kind::Int));
    let mut sink = ParquetSink::create(path, &cols)?;
    for (i, v) in cells.values.iter().enumerate() {
        let mut row: Vec<Value> = table.codes(i).into_iter().map(|c| Value::Str(Some(c))).collect();
        row.push(Value::Int(Some(*v as i64)));
        sink.push(row)?;
    }
    sink.finish()?;
    Ok(())
}

pub fn read_cells_from(table: &Table, path: &Path) -> Result<TableCells, StageError> {
    let path = path.to_path_buf();
    let df = read(&path)?;
    let bad = |m: String| StageError::ParquetRead {
        path: path.clone(),
        message: m,
    };
    let mut codes = Vec::new();
    for d in &table.dims {
        let c = df
            .column(&d.name)
            .and_then(|c| c.str().cloned())
            .map_err(|e| bad(format!("column {}: {e}", d.name)))?;
        codes.push(c);
    }
    let persons = df
        .column("persons")
        .and_then(|c| c.i64().cloned())
        .map_err(|e| bad(format!("column persons: {e}")))?;
    let mut values = vec![None; table.n_cells()];
    for row in 0..df.height() {
        let cell: BTreeMap<String, String> = table
            .dims
            .iter()
            .zip(&codes)
            .map(|(d, c)| (d.name.clone(), c.get(row).unwrap_or("").to_string()))
            .collect();
        let i = table.cell_index(&cell).ok_or_else(|| {
            bad(format!(
                "row {}: cell {cell:?} is not in the table's domain",
                row + 1
            ))
        })?;
        let v = persons
            .get(row)
            .filter(|v| *v >= 0)
            .ok_or_else(|| bad(format!("row {}: no count", row + 1)))?;
        values[i] = Some(v as u64);
    }
    let values = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| v.ok_or_else(|| bad(format!("cell {:?} is missing", table.codes(i)))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TableCells {
        id: table.id().to_string(),
        values,
    })
}
