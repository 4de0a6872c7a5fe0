//! Opens one submitted file (CSV, XLSX or Parquet) as a header plus rows of text cells, with
//! the line or row number a person would look for in their own editor or spreadsheet.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::decode::decode;
use super::header::HeaderKind;
use crate::error::{FileError, Place};

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
    /// The workbook sheet it was read from.
    pub sheet: Option<String>,
    pub header: Vec<String>,
    /// Columns whose stored type ingest cannot turn into text (position, type); their cells
    /// read as empty, which is right only for columns the contract does not have.
    pub unreadable: Vec<(usize, String)>,
    /// What reading did to the file that its report should say (merged cells filled in).
    pub notes: Vec<String>,
    body: Body,
}

/// Which sheet of a workbook holds the data.
#[derive(Debug, Clone, Default)]
pub struct SheetChoice {
    /// An explicit sheet name; otherwise every visible sheet whose header is one of records.
    pub name: Option<String>,
}

/// The file's tables: one, or every sheet of a workbook whose first row `classify` takes for a
/// header of records.
pub fn open(
    path: &Path,
    sheet: &SheetChoice,
    classify: &dyn Fn(&[String]) -> HeaderKind,
) -> Result<Vec<Table>, FileError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "txt" | "tsv" => open_csv(path).map(|t| vec![t]),
        "xlsx" | "xlsm" => super::xlsx::open_xlsx(path, sheet, classify),
        "parquet" => open_parquet(path).map(|t| vec![t]),
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
    /// Where the table is, as its errors name it.
    pub fn place(&self) -> Place {
        Place {
            path: self.path.clone(),
            sheet: self.sheet.clone(),
        }
    }

    /// A column the contract has (by the header map) whose stored type could not be read:
    /// its name and type.
    pub fn unreadable_in(&self, map: &super::header::HeaderMap) -> Option<(String, String)> {
        self.unreadable
            .iter()
            .find(|(pos, _)| map.source.contains(&Some(*pos)))
            .map(|(pos, ty)| (self.header.get(*pos).cloned().unwrap_or_default(), ty.clone()))
    }

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
    let mut decoded = decode(path, bytes)?;
    // The CSV reader counts a CRLF line ending short, so that every row of a file saved on
    // Windows was reported one line early; with LF endings it counts lines as editors do.
    if decoded.text.contains("\r\n") {
        decoded.text = decoded.text.replace("\r\n", "\n");
    }
    // It does not count a lone CR (old Mac "CSV (Macintosh)" files) at all, though it ends
    // rows there: every row would be line 1. As a line break it means the same to the parser.
    if decoded.text.contains('\r') {
        decoded.text = decoded.text.replace('\r', "\n");
    }
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
        sheet: None,
        unreadable: Vec::new(),
        notes: Vec::new(),
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

/// Arrow types polars reads into text here (polars is built without its date, decimal,
/// nested and small-integer types, which would stop the run; dates and small integers are
/// decoded by `parquet_pages`).
fn readable(dt: &polars_arrow::datatypes::ArrowDataType) -> bool {
    use polars_arrow::datatypes::ArrowDataType as A;
    match dt {
        A::Null
        | A::Boolean
        | A::Int32
        | A::Int64
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View
        | A::Binary
        | A::LargeBinary
        | A::BinaryView
        | A::FixedSizeBinary(_) => true,
        A::Dictionary(_, values, _) => readable(values),
        _ => false,
    }
}

/// A stored type as a person would recognise it.
fn type_name(dt: &polars_arrow::datatypes::ArrowDataType) -> String {
    use polars_arrow::datatypes::ArrowDataType as A;
    match dt {
        A::Date32 | A::Date64 => "a date".into(),
        A::Timestamp(..) => "a timestamp".into(),
        A::Decimal(p, s) | A::Decimal32(p, s) | A::Decimal64(p, s) | A::Decimal256(p, s) => {
            format!("a decimal({p}, {s})")
        }
        A::List(_) | A::LargeList(_) | A::FixedSizeList(..) => "a list".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn open_parquet(path: &Path) -> Result<Table, FileError> {
    let perr = |e: &dyn std::fmt::Display| FileError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut file = File::open(path).map_err(|source| FileError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(FileError::Empty {
            path: path.to_path_buf(),
        });
    }
    // The schema first: a column of a type polars cannot hold is left out of the read (it
    // would stop the whole run) and named if the contract needs it.
    let meta = polars_parquet::read::read_metadata(&mut file).map_err(|e| perr(&e))?;
    let schema = polars_parquet::read::infer_schema(&meta).map_err(|e| perr(&e))?;
    let header: Vec<String> = schema.iter_values().map(|f| f.name.to_string()).collect();
    let mut unreadable = Vec::new();
    let mut wanted = Vec::new();
    let mut cols: Vec<Option<StringChunked>> = vec![None; header.len()];
    for (i, f) in schema.iter_values().enumerate() {
        if readable(f.dtype()) {
            wanted.push(f.name.to_string());
        } else if let Some(texts) = super::parquet_pages::is_read_here(f.dtype())
            .then(|| super::parquet_pages::page_texts(&mut file, &meta, f))
            .flatten()
        {
            cols[i] = Some(texts.into_iter().collect());
        } else {
            unreadable.push((i, type_name(f.dtype())));
        }
    }
    let file = File::open(path).map_err(|source| FileError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let df = ParquetReader::new(file)
        .with_columns(Some(wanted))
        .finish()
        .map_err(|e| perr(&e))?;
    for c in df.columns() {
        let text = match c.dtype() {
            DataType::Float32 | DataType::Float64 => whole_floats(c).map_err(|e| perr(&e))?,
            _ => c
                .cast(&DataType::String)
                .map_err(|e| perr(&e))?
                .str()
                .map_err(|e| perr(&e))?
                .clone(),
        };
        if let Some(at) = header.iter().position(|h| h == c.name().as_str()) {
            cols[at] = Some(text);
        }
    }
    let mut grid = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let cells = cols
            .iter()
            .map(|c| c.as_ref().and_then(|s| s.get(i)).unwrap_or("").to_string())
            .collect();
        grid.push(RawRow {
            line: i as u64 + 1,
            cells,
        });
    }
    Ok(Table {
        path: path.to_path_buf(),
        format: "Parquet".to_string(),
        sheet: None,
        unreadable,
        notes: Vec::new(),
        header,
        body: Body::Grid(grid),
    })
}

/// Floats as text, whole ones without a decimal point: a year or personal number in a column
/// that pandas made float (it does so for any integer column with a missing value).
fn whole_floats(c: &Column) -> PolarsResult<StringChunked> {
    let f = c.cast(&DataType::Float64)?;
    let f = f.f64()?;
    Ok(f.iter()
        .map(|v| {
            v.map(|x| {
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    format!("{}", x as i64)
                } else {
                    x.to_string()
                }
            })
        })
        .collect::<StringChunked>())
}

/// A workbook sheet's rows as a table: the first row is the header.
pub(super) fn table_from_grid(
    path: &Path,
    sheet: &str,
    mut grid: Vec<RawRow>,
    notes: Vec<String>,
) -> Result<Table, FileError> {
    if grid.is_empty() {
        return Err(FileError::Empty {
            path: path.to_path_buf(),
        });
    }
    drop_empty_columns(&mut grid);
    // A sheet's rows end at their last value: the cells after it are empty, not missing.
    let width = grid.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    for r in &mut grid {
        r.cells.resize(width, String::new());
    }
    let header = grid
        .remove(0)
        .cells
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    Ok(Table {
        path: path.to_path_buf(),
        format: format!("XLSX (sheet {sheet:?})"),
        sheet: Some(sheet.to_string()),
        unreadable: Vec::new(),
        notes,
        header,
        body: Body::Grid(grid),
    })
}

/// Columns with no header and nothing in any row (a table that starts in column B, a stray
/// space far to the right) are not columns of the table.
fn drop_empty_columns(grid: &mut [RawRow]) {
    // One pass over the cells, not columns times rows: a stray cell far to the right makes
    // the table thousands of columns wide.
    let width = grid.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let mut keep = vec![false; width];
    for r in grid.iter() {
        for (k, v) in keep.iter_mut().zip(&r.cells) {
            *k = *k || !v.trim().is_empty();
        }
    }
    if keep.iter().all(|k| *k) {
        return;
    }
    for r in grid.iter_mut() {
        let mut c = 0;
        r.cells.retain(|_| {
            let k = keep.get(c).copied().unwrap_or(false);
            c += 1;
            k
        });
    }
}
