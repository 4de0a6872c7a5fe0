//! Opens one submitted file (CSV, XLSX or Parquet) as a header plus rows of text cells, with
//! the line or row number a person would look for in their own editor or spreadsheet.

use std::fs::File;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};
use polars::prelude::*;

use super::decode::decode;
use crate::dates::from_excel_serial;
use crate::error::FileError;

/// One stored data row (workbooks and Parquet are read whole): where it is and its cells.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub line: u64,
    pub cells: Vec<String>,
}

enum Body {
    Csv { text: String, delimiter: u8 },
    Grid(Vec<RawRow>),
}

/// A readable submission: its header and a way to iterate its rows (more than once).
pub struct Table {
    pub path: PathBuf,
    pub format: String,
    pub header: Vec<String>,
    body: Body,
}

/// Which sheet of a workbook holds the data.
#[derive(Debug, Clone, Default)]
pub struct SheetChoice {
    /// An explicit sheet name; otherwise the first sheet whose header has the required columns.
    pub name: Option<String>,
}

pub fn open(path: &Path, sheet: &SheetChoice, required: &[String]) -> Result<Table, FileError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "txt" | "tsv" => open_csv(path),
        "xlsx" | "xlsm" => open_xlsx(path, sheet, required),
        "parquet" => open_parquet(path),
        _ => Err(FileError::UnsupportedType {
            path: path.to_path_buf(),
        }),
    }
}

/// One data row, borrowed from the table: no cell is copied to look at it.
pub struct Row<'a> {
    pub line: u64,
    pub cells: Vec<&'a str>,
}

impl Table {
    /// Calls `f` for every row in file order; wholly blank lines are not rows. CSV is parsed
    /// into one reused record, so a pass over a large file allocates almost nothing.
    pub fn for_each_row<E: From<FileError>>(
        &self,
        mut f: impl FnMut(Row<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        match &self.body {
            Body::Grid(rows) => {
                for r in rows {
                    f(Row {
                        line: r.line,
                        cells: r.cells.iter().map(String::as_str).collect(),
                    })?;
                }
            }
            Body::Csv { text, delimiter } => {
                let mut rdr = csv::ReaderBuilder::new()
                    .delimiter(*delimiter)
                    .flexible(true)
                    .from_reader(text.as_bytes());
                let mut rec = csv::StringRecord::new();
                loop {
                    match rdr.read_record(&mut rec) {
                        Ok(false) => break,
                        Ok(true) => {
                            if rec.iter().all(|c| c.trim().is_empty()) {
                                continue;
                            }
                            let line = rec.position().map_or(0, |p| p.line());
                            f(Row {
                                line,
                                cells: rec.iter().collect(),
                            })?;
                        }
                        Err(e) => {
                            let line = e.position().map_or(0, |p| p.line());
                            return Err(FileError::Csv {
                                path: self.path.clone(),
                                line,
                                message: e.to_string(),
                            }
                            .into());
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn open_csv(path: &Path) -> Result<Table, FileError> {
    let bytes = std::fs::read(path).map_err(|source| FileError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let decoded = decode(path, bytes)?;
    let delimiter = sniff_delimiter(&decoded.text);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(decoded.text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| FileError::Csv {
            path: path.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let sep = match delimiter {
        b';' => "semicolon",
        b'\t' => "tab",
        _ => "comma",
    };
    Ok(Table {
        path: path.to_path_buf(),
        format: format!("CSV ({}, {sep}-separated)", decoded.encoding),
        header,
        body: Body::Csv {
            text: decoded.text,
            delimiter,
        },
    })
}

/// The header line decides: whichever of `;`, `,` and tab occurs most outside quotes.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for ch in first.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn open_xlsx(path: &Path, sheet: &SheetChoice, required: &[String]) -> Result<Table, FileError> {
    let xerr = |e: &dyn std::fmt::Display| FileError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut wb: Xlsx<_> = open_workbook(path).map_err(|e| xerr(&e))?;
    let names = wb.sheet_names();
    if let Some(want) = &sheet.name
        && !names.contains(want)
    {
        return Err(FileError::NoSuchSheet {
            path: path.to_path_buf(),
            sheet: want.clone(),
            available: names.join(", "),
        });
    }
    let mut grids = Vec::new();
    for name in &names {
        if sheet.name.as_ref().is_some_and(|w| w != name) {
            continue;
        }
        let range = wb.worksheet_range(name).map_err(|e| xerr(&e))?;
        let grid = grid_from_range(&range);
        let has_required = grid.first().is_some_and(|h| {
            let h: Vec<String> = h.cells.iter().map(|c| c.trim().to_lowercase()).collect();
            required.iter().all(|r| h.contains(r))
        });
        if has_required {
            return table_from_grid(path, format!("XLSX (sheet {name:?})"), grid);
        }
        grids.push((name.clone(), grid));
    }
    // No sheet has the required header: read the first so the error names what is missing.
    match grids.into_iter().next() {
        Some((name, grid)) => table_from_grid(path, format!("XLSX (sheet {name:?})"), grid),
        None => Err(FileError::Empty {
            path: path.to_path_buf(),
        }),
    }
}

fn grid_from_range(range: &calamine::Range<Data>) -> Vec<RawRow> {
    let first_row = range.start().map_or(0, |(r, _)| r as u64);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            let mut cells = vec![String::new(); first_col];
            cells.extend(row.iter().map(cell_text));
            RawRow {
                line: first_row + i as u64 + 1,
                cells,
            }
        })
        .filter(|r| !r.cells.iter().all(|c| c.trim().is_empty()))
        .collect()
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Whole numbers typed into Excel (years, personal numbers) come back as floats.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => from_excel_serial(dt.as_f64())
            .map(|d| d.to_string())
            .unwrap_or_else(|| dt.as_f64().to_string()),
        Data::DateTimeIso(s) => s.split('T').next().unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn open_parquet(path: &Path) -> Result<Table, FileError> {
    let perr = |e: &dyn std::fmt::Display| FileError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = File::open(path).map_err(|source| FileError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(FileError::Empty {
            path: path.to_path_buf(),
        });
    }
    let df = ParquetReader::new(file).finish().map_err(|e| perr(&e))?;
    let header: Vec<String> = df.columns().iter().map(|c| c.name().to_string()).collect();
    let mut cols = Vec::with_capacity(header.len());
    for c in df.columns() {
        cols.push(c.cast(&DataType::String).map_err(|e| perr(&e))?);
    }
    let mut grid = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let mut cells = Vec::with_capacity(cols.len());
        for c in &cols {
            let s = c.str().map_err(|e| perr(&e))?;
            cells.push(s.get(i).unwrap_or("").to_string());
        }
        grid.push(RawRow {
            line: i as u64 + 1,
            cells,
        });
    }
    Ok(Table {
        path: path.to_path_buf(),
        format: "Parquet".to_string(),
        header,
        body: Body::Grid(grid),
    })
}

fn table_from_grid(path: &Path, format: String, mut grid: Vec<RawRow>) -> Result<Table, FileError> {
    if grid.is_empty() {
        return Err(FileError::Empty {
            path: path.to_path_buf(),
        });
    }
    let header = grid
        .remove(0)
        .cells
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    Ok(Table {
        path: path.to_path_buf(),
        format,
        header,
        body: Body::Grid(grid),
    })
}
