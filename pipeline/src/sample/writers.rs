//! One streaming writer per organisation, in the formats members really send: UTF-8 CSV
//! (some with a BOM), Windows-1252 `;` CSV as Swedish Excel saves it, XLSX and Parquet.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

use crate::error::StageError;
use crate::parquet_io::{Kind, ParquetSink, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    CsvUtf8,
    CsvUtf8Bom,
    CsvWindows1252,
    Xlsx,
    Parquet,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::CsvUtf8 | Format::CsvUtf8Bom | Format::CsvWindows1252 => "csv",
            Format::Xlsx => "xlsx",
            Format::Parquet => "parquet",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "csv" | "csv-utf8" => Format::CsvUtf8,
            "csv-bom" => Format::CsvUtf8Bom,
            "csv-1252" | "csv-windows-1252" => Format::CsvWindows1252,
            "xlsx" => Format::Xlsx,
            "parquet" => Format::Parquet,
            _ => return None,
        })
    }
}

/// Excel refuses sheets longer than this; larger organisations are written as Parquet.
pub const XLSX_MAX_ROWS: u64 = 1_048_575;

// One writer per organisation exists at a time, so the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum OrgWriter {
    Csv {
        w: csv::Writer<BufWriter<File>>,
        path: PathBuf,
    },
    Cp1252 {
        w: BufWriter<File>,
        line: Vec<u8>,
        path: PathBuf,
    },
    Xlsx {
        book: Box<Workbook>,
        row: u32,
        path: PathBuf,
    },
    Parquet(ParquetSink),
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StageError + '_ {
    move |e| StageError::io(path, e)
}

fn xlsx_err(path: &Path, e: rust_xlsxwriter::XlsxError) -> StageError {
    StageError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl OrgWriter {
    pub fn create(path: &Path, format: Format, header: &[&str]) -> Result<Self, StageError> {
        let mut w = match format {
            Format::CsvUtf8 | Format::CsvUtf8Bom => {
                let mut f = BufWriter::new(File::create(path).map_err(io(path))?);
                if format == Format::CsvUtf8Bom {
                    f.write_all(b"\xEF\xBB\xBF").map_err(io(path))?;
                }
                OrgWriter::Csv {
                    w: csv::Writer::from_writer(f),
                    path: path.to_path_buf(),
                }
            }
            Format::CsvWindows1252 => OrgWriter::Cp1252 {
                w: BufWriter::new(File::create(path).map_err(io(path))?),
                line: Vec::new(),
                path: path.to_path_buf(),
            },
            Format::Xlsx => {
                let mut book = Box::new(Workbook::new());
                // A fixed creation date keeps the sample byte-for-byte reproducible.
                let created = ExcelDateTime::from_ymd(2024, 1, 1).map_err(|e| xlsx_err(path, e))?;
                book.set_properties(&DocProperties::new().set_creation_datetime(&created));
                let sheet = book
                    .add_worksheet_with_constant_memory()
                    .map_err(|e| xlsx_err(path, e))?;
                sheet.set_name("Kontakter").map_err(|e| xlsx_err(path, e))?;
                OrgWriter::Xlsx {
                    book,
                    row: 0,
                    path: path.to_path_buf(),
                }
            }
            Format::Parquet => {
                let cols: Vec<(&str, Kind)> = header.iter().map(|h| (*h, Kind::Str)).collect();
                OrgWriter::Parquet(ParquetSink::create(path, &cols)?.with_batch(8192))
            }
        };
        if !matches!(w, OrgWriter::Parquet(_)) {
            let cells: Vec<String> = header.iter().map(|h| h.to_string()).collect();
            w.write(&cells)?;
        }
        Ok(w)
    }

    /// Writes one row; empty strings are empty cells (not answered).
    pub fn write(&mut self, cells: &[String]) -> Result<(), StageError> {
        match self {
            OrgWriter::Csv { w, path } => w
                .write_record(cells)
                .map_err(|e| StageError::csv(path.as_path(), e)),
            OrgWriter::Cp1252 { w, line, path } => {
                line.clear();
                {
                    let mut c = csv::WriterBuilder::new()
                        .delimiter(b';')
                        .terminator(csv::Terminator::CRLF)
                        .from_writer(&mut *line);
                    c.write_record(cells)
                        .map_err(|e| StageError::csv(path.as_path(), e))?;
                    c.flush().map_err(io(path))?;
                }
                let text = String::from_utf8_lossy(line);
                let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
                w.write_all(&bytes).map_err(io(path))
            }
            OrgWriter::Xlsx { book, row, path } => {
                let sheet = book.worksheet_from_index(0).map_err(|e| xlsx_err(path, e))?;
                for (col, v) in cells.iter().enumerate() {
                    if !v.is_empty() {
                        sheet
                            .write_string(*row, col as u16, v)
                            .map_err(|e| xlsx_err(path, e))?;
                    }
                }
                *row += 1;
                Ok(())
            }
            OrgWriter::Parquet(sink) => {
                let vals = cells
                    .iter()
                    .map(|c| Value::Str((!c.is_empty()).then(|| c.clone())))
                    .collect();
                sink.push(vals)
            }
        }
    }

    pub fn finish(self) -> Result<(), StageError> {
        match self {
            OrgWriter::Csv { mut w, path } => w.flush().map_err(io(&path)),
            OrgWriter::Cp1252 { mut w, path, .. } => w.flush().map_err(io(&path)),
            OrgWriter::Xlsx { mut book, path, .. } => book.save(&path).map_err(|e| xlsx_err(&path, e)),
            OrgWriter::Parquet(sink) => sink.finish().map(|_| ()),
        }
    }
}
