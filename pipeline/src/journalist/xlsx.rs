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
    /// The CSV and Parquet files' name, without extension, that hold every row.
    pub file: &'a str,
    pub header: &'a [String],
    pub rows: &'a [Vec<String>],
    pub numeric: &'a [&'a str],
}

/// Data rows a sheet holds: Excel's 1 048 576 rows less the header.
const SHEET_ROWS: usize = 1_048_575;

/// Writes the codebook (markdown, shown line by line) and the data sheets. The data sheets
/// go row by row to temporary files in the extract's folder: held in memory, 830 000
/// synthetic persons took 5.5 GB and a minute, most of it the kernel handing out pages.
pub fn workbook(path: &Path, codebook: &str, sheets: &[DataSheet]) -> Result<(), StageError> {
    let mut book = Workbook::new();
    if let Some(dir) = path.parent() {
        book.set_tempdir(dir).map_err(err(path))?;
    }
    // A fixed creation time, as the release's workbook has: the same extract gives the same bytes.
    let created = ExcelDateTime::from_ymd(1980, 1, 1).map_err(err(path))?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    let about = book.add_worksheet().set_name("Om - About").map_err(err(path))?;
    about_sheet(about, codebook, &bold).map_err(err(path))?;
    for s in sheets {
        let ws = book.add_worksheet_with_low_memory().map_err(err(path))?;
        ws.set_name(s.name).map_err(err(path))?;
        data_sheet(ws, s, &bold, SHEET_ROWS).map_err(err(path))?;
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

/// A data sheet of at most `room` data rows: when there are more, the last of them says how
/// many were left out and where they are.
fn data_sheet(
    ws: &mut Worksheet,
    s: &DataSheet,
    bold: &Format,
    room: usize,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (c, h) in s.header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, bold)?;
    }
    let numeric: Vec<bool> = s.header.iter().map(|h| s.numeric.contains(&h.as_str())).collect();
    let shown = if s.rows.len() <= room {
        s.rows.len()
    } else {
        room - 1
    };
    for (r, fields) in s.rows[..shown].iter().enumerate() {
        let r = r as u32 + 1;
        for (c, (f, &num)) in fields.iter().zip(&numeric).enumerate() {
            let c = c as u16;
            match f.parse::<f64>() {
                Ok(v) if num => ws.write_number(r, c, v)?,
                _ => ws.write_string(r, c, f)?,
            };
        }
    }
    // Excel holds no more than `SHEET_ROWS`: the last row says where the rest are rather than
    // losing them without a word (the write failed, after the extract's budget was spent).
    if shown < s.rows.len() {
        let note = format!(
            "… {} rader till finns i {}.csv och .parquet / {} more rows are in {}.csv and .parquet (Excel holds {} rows)",
            s.rows.len() - shown,
            s.file,
            s.rows.len() - shown,
            s.file,
            room + 1
        );
        ws.write_string(shown as u32 + 1, 0, &note)?;
    }
    let last_col = s.header.len().saturating_sub(1) as u16;
    ws.autofilter(0, 0, shown as u32, last_col)?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx, open_workbook};

    fn sheet_rows(path: &Path, name: &str) -> Vec<Vec<String>> {
        let mut book: Xlsx<_> = open_workbook(path).expect("the workbook just written");
        let range = book.worksheet_range(name).expect("the sheet");
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    /// A sheet with room for every row holds them all; one row more than the room leaves the
    /// last rows out and says how many and where, instead of failing.
    #[test]
    fn rows_past_a_sheets_room_are_counted_in_a_note_not_lost() {
        let dir = tempfile::tempdir().expect("temp dir");
        let header = vec!["code".to_string(), "persons".to_string()];
        let rows: Vec<Vec<String>> = (0..5).map(|i| vec![format!("c{i}"), i.to_string()]).collect();
        let sheet = DataSheet {
            name: "Data",
            file: "crosstab",
            header: &header,
            rows: &rows,
            numeric: &["persons"],
        };
        for (room, want_rows, note) in [(5, 5, None), (4, 3, Some(2))] {
            let path = dir.path().join(format!("room{room}.xlsx"));
            let mut book = Workbook::new();
            book.set_tempdir(dir.path()).expect("temp dir");
            let ws = book.add_worksheet_with_low_memory().expect("sheet");
            ws.set_name("Data").expect("name");
            data_sheet(ws, &sheet, &Format::new(), room).expect("written");
            book.save(&path).expect("saved");
            let got = sheet_rows(&path, "Data");
            assert_eq!(got[0], header);
            let data: Vec<&Vec<String>> = got[1..].iter().filter(|r| r[0].starts_with('c')).collect();
            assert_eq!(data.len(), want_rows, "room {room}");
            assert_eq!(
                data[want_rows - 1][1],
                (want_rows - 1).to_string(),
                "counts stay numbers"
            );
            let notes: Vec<&Vec<String>> = got[1..].iter().filter(|r| r[0].starts_with('…')).collect();
            match note {
                None => assert!(notes.is_empty(), "room {room}: {notes:?}"),
                Some(more) => {
                    assert_eq!(notes.len(), 1);
                    assert!(
                        notes[0][0].contains(&format!("{more} more rows are in crosstab.csv")),
                        "{:?}",
                        notes[0][0]
                    );
                }
            }
        }
    }
}
