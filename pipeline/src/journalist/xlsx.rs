//! The extract as one workbook for journalists who work in Excel: the CSV files are UTF-8
//! without a byte-order mark, which Excel garbles (å, ä, ö), and a Swedish Excel splits them on
//! semicolons. The workbook holds the codebook, the cross-tabulation and the synthetic persons,
//! with counts as numbers and a filter on every header.

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use crate::error::StageError;

/// The workbook's file name in the extract's folder.
pub const FILE: &str = "journalist-extract.xlsx";

fn err(path: &Path) -> impl Fn(rust_xlsxwriter::XlsxError) -> StageError + '_ {
    move |e| StageError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A data sheet: its header and rows as the CSV file has them; the columns named in
/// `numeric` are written as numbers.
pub struct DataSheet<'a> {
    pub name: &'a str,
    pub header: &'a [String],
    pub rows: &'a [Vec<String>],
    pub numeric: &'a [&'a str],
}

/// Writes the codebook (markdown, shown line by line) and the data sheets.
pub fn workbook(path: &Path, codebook: &str, sheets: &[DataSheet]) -> Result<(), StageError> {
    let mut book = Workbook::new();
    // A fixed creation time, as the release's workbook has: the same extract gives the same bytes.
    let created = ExcelDateTime::from_ymd(1980, 1, 1).map_err(err(path))?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    let about = book.add_worksheet().set_name("Om - About").map_err(err(path))?;
    about_sheet(about, codebook, &bold).map_err(err(path))?;
    for s in sheets {
        let ws = book.add_worksheet().set_name(s.name).map_err(err(path))?;
        data_sheet(ws, s, &bold).map_err(err(path))?;
    }
    book.save(path).map_err(err(path))
}

/// The codebook as a reader sees it: headings bold, a markdown table's cells in columns,
/// its separator lines and markup left out.
fn about_sheet(ws: &mut Worksheet, codebook: &str, bold: &Format) -> Result<(), rust_xlsxwriter::XlsxError> {
    // Paragraphs wrap in the first column; a code list's labels take the next two.
    let wrap = Format::new()
        .set_text_wrap()
        .set_align(rust_xlsxwriter::FormatAlign::Top);
    ws.set_column_width(0, 90)?;
    ws.set_column_width(1, 30)?;
    ws.set_column_width(2, 30)?;
    let mut row = 0u32;
    for line in codebook.lines() {
        let line = line.trim_end();
        if line.starts_with("|---") {
            continue;
        }
        if let Some(cells) = line.strip_prefix('|') {
            for (c, cell) in cells.trim_end_matches('|').split('|').enumerate() {
                ws.write_string(row, c as u16, plain(cell.trim()))?;
            }
        } else if let Some(heading) = line.strip_prefix('#') {
            ws.write_string_with_format(row, 0, plain(heading.trim_start_matches('#').trim()), bold)?;
        } else if !line.is_empty() {
            ws.write_string_with_format(row, 0, plain(line), &wrap)?;
        }
        row += 1;
    }
    Ok(())
}

/// Markdown's emphasis and code marks dropped: a spreadsheet cell shows them as typed.
fn plain(text: &str) -> String {
    text.replace("**", "").replace('`', "")
}

fn data_sheet(ws: &mut Worksheet, s: &DataSheet, bold: &Format) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (c, h) in s.header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, bold)?;
    }
    let numeric: Vec<bool> = s.header.iter().map(|h| s.numeric.contains(&h.as_str())).collect();
    for (r, fields) in s.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, (f, &num)) in fields.iter().zip(&numeric).enumerate() {
            let c = c as u16;
            match f.parse::<f64>() {
                Ok(v) if num => ws.write_number(r, c, v)?,
                _ => ws.write_string(r, c, f)?,
            };
        }
    }
    let last_col = s.header.len().saturating_sub(1) as u16;
    ws.autofilter(0, 0, s.rows.len() as u32, last_col)?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}
