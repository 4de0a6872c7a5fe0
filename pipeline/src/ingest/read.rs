//! Opens one submitted file (CSV, XLSX or Parquet) as a header plus rows of text cells, with
//! the line or row number a person would look for in their own editor or spreadsheet.

use std::path::{Path, PathBuf};

mod csv_file;
mod csv_lines;
mod csv_rows;
mod grid;
mod quotes;

use super::header::HeaderKind;
use crate::error::{FileError, Place};
use csv_file::open_csv;
pub(super) use grid::table_from_grid;

/// One stored data row (workbooks and Parquet are read whole): where it is and its cells.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub line: u64,
    pub cells: Vec<String>,
    /// Columns whose cell a workbook stored as a number (its leading zeros are gone).
    pub numbers: Vec<u32>,
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
    /// Why the table cannot be read although its sheet holds records (formulas without saved
    /// results): it fails alone, and the workbook's other sheets are read.
    pub refused: Option<String>,
    /// For a workbook sheet, the sheet column (0 is A) each of the table's columns is in:
    /// empty columns are dropped, so a message must not count places in the table.
    pub sheet_columns: Option<Vec<usize>>,
    /// Header cells of a workbook sheet merged across columns (`G1:H1`).
    pub merged_header: Vec<HeaderMerge>,
    /// The line (sheet row) of the header, for messages about it.
    pub header_line: u64,
    body: Body,
}

/// A header cell merged across the sheet's columns `first..=last` (0 is A), named as Excel
/// names it (`G1:H1`).
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderMerge {
    pub name: String,
    pub first: usize,
    pub last: usize,
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
        "csv" | "txt" | "tsv" => open_csv(path, classify).map(|t| vec![t]),
        "xlsx" | "xlsm" => super::xlsx::open_xlsx(path, sheet, classify),
        "parquet" => super::read_parquet::open_parquet(path).map(|t| vec![t]),
        _ => Err(FileError::UnsupportedType {
            path: path.to_path_buf(),
        }),
    }
}

/// One data row, borrowed from the table: no cell is copied to look at it.
pub struct Row<'a> {
    pub line: u64,
    pub cells: Vec<&'a str>,
    /// Columns whose cell a workbook stored as a number.
    pub numbers: &'a [u32],
    /// A quote in a CSV cell that is never closed: the row that opens it, or a line it took.
    pub unclosed: Option<Unclosed>,
}

/// A CSV cell whose opening quote (") is never closed takes the lines after it into itself,
/// up to the next quote or the end of the file. Those lines are rows of the file: each is
/// given as a row of its own, so that rows in still counts every line of data and none of
/// them is lost or silently read as part of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unclosed {
    /// This row's cell at position `column` opens the quote; it took `count` lines that are
    /// not blank, lines `first` to `last`.
    Opens {
        column: usize,
        first: u64,
        last: u64,
        count: usize,
    },
    /// This line was read into the cell at position `column` of line `opened`. Its cells are
    /// the line split at the separator (quotes in it are not parsed: it is quarantined).
    Taken { opened: u64, column: usize },
}

impl Row<'_> {
    /// Whether the cell at `pos` was stored as a number, not as text.
    pub fn is_number(&self, pos: usize) -> bool {
        self.numbers.iter().any(|&c| c as usize == pos)
    }
}

impl Table {
    /// A table read whole (a sheet, a Parquet file) whose rows are `grid`.
    pub(super) fn of_grid(path: &Path, format: &str, header: Vec<String>, grid: Vec<RawRow>) -> Table {
        Table {
            path: path.to_path_buf(),
            format: format.to_string(),
            sheet: None,
            unreadable: Vec::new(),
            notes: Vec::new(),
            refused: None,
            sheet_columns: None,
            merged_header: Vec::new(),
            header_line: 1,
            header,
            body: Body::Grid(grid),
        }
    }

    /// A workbook sheet's or Parquet file's rows (none for CSV, which is parsed as it is read).
    pub(super) fn grid_rows(&self) -> &[RawRow] {
        match &self.body {
            Body::Grid(rows) => rows,
            Body::Csv { .. } => &[],
        }
    }

    /// Where the table is, as its errors name it.
    pub fn place(&self) -> Place {
        Place {
            path: self.path.clone(),
            sheet: self.sheet.clone(),
            header_line: self.header_line,
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
}
