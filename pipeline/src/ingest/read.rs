//! Opens one submitted file (CSV, XLSX or Parquet) as a header plus rows of text cells, with
//! the line or row number a person would look for in their own editor or spreadsheet.

use std::path::{Path, PathBuf};

use super::decode::decode;
use super::header::HeaderKind;
use crate::error::{FileError, Place};

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
    pub merged_header: Vec<String>,
    /// The line (sheet row) of the header, for messages about it.
    pub header_line: u64,
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
                        numbers: &r.numbers,
                        unclosed: None,
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
                            // Only a cell holding a line break can have taken other lines.
                            let taken = if rec.iter().any(|c| c.contains('\n')) {
                                let start = rec.position().map_or(0, |p| p.byte() as usize);
                                let end = rdr.position().byte() as usize;
                                let raw = text.get(start..end).unwrap_or("");
                                unclosed_quote(raw, &rec, *delimiter, self.header.len(), line)
                            } else {
                                None
                            };
                            f(Row {
                                line,
                                cells: rec.iter().collect(),
                                numbers: &[],
                                unclosed: taken.as_ref().map(|t| t.opens),
                            })?;
                            for (at, text) in taken.iter().flat_map(|t| t.lines.iter()) {
                                f(Row {
                                    line: *at,
                                    cells: text.split(char::from(*delimiter)).collect(),
                                    numbers: &[],
                                    unclosed: Some(Unclosed::Taken {
                                        opened: line,
                                        column: taken.as_ref().map_or(0, |t| t.column),
                                    }),
                                })?;
                            }
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

fn open_csv(path: &Path, classify: &dyn Fn(&[String]) -> HeaderKind) -> Result<Table, FileError> {
    let bytes = std::fs::read(path).map_err(|source| FileError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    // A workbook or Parquet file renamed .csv was called "a binary file" and told to be
    // exported as what it already is.
    let misnamed = |what, ext| FileError::Misnamed {
        path: path.to_path_buf(),
        what,
        named: "a text file's",
        ext,
    };
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(misnamed("an Excel workbook (or another zip archive)", "xlsx"));
    }
    if bytes.starts_with(b"PAR1") {
        return Err(misnamed("a Parquet file", "parquet"));
    }
    let (bytes, padding) = without_padding(bytes);
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
    if decoded
        .text
        .chars()
        .all(|c| c.is_whitespace() || matches!(c, ',' | ';' | '\u{feff}'))
    {
        return Err(FileError::Empty {
            path: path.to_path_buf(),
        });
    }
    let hinted = take_separator_hint(&mut decoded.text);
    let title = skip_title_lines(&mut decoded.text, classify);
    let delimiter = hinted.unwrap_or_else(|| sniff_delimiter(&decoded.text));
    // The CSV reader passes over blank lines, and a title and a `sep=` line are blanked.
    let header_line = decoded
        .text
        .split('\n')
        .position(|l| !l.trim().is_empty())
        .map_or(1, |i| i as u64 + 1);
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
    if let Some((line, fields, quote)) = cut_short(&decoded.text, delimiter, &header) {
        return Err(FileError::CutShort {
            path: path.to_path_buf(),
            line,
            fields,
            width: named_width(&header),
            quote: if quote {
                ", the last of them in a quote (\") that is never closed"
            } else {
                ""
            },
        });
    }
    let sep = match delimiter {
        b';' => "semicolon",
        b'\t' => "tab",
        _ => "comma",
    };
    let mut notes: Vec<String> = hinted
        .map(|_| {
            format!("line 1 is Excel's separator hint (sep=); read as {sep}-separated and the line skipped")
        })
        .into_iter()
        .collect();
    notes.extend(title);
    if padding > 0 {
        notes.push(format!(
            "{padding} byte(s) after the last line dropped: an end-of-file mark (Ctrl-Z, as old DOS programs write it) or NUL bytes (as an interrupted copy leaves them), not text"
        ));
    }
    Ok(Table {
        path: path.to_path_buf(),
        format: format!("CSV ({}, {sep}-separated)", decoded.encoding),
        sheet: None,
        unreadable: Vec::new(),
        notes,
        refused: None,
        sheet_columns: None,
        merged_header: Vec::new(),
        header_line,
        header,
        body: Body::Csv {
            text: decoded.text,
            delimiter,
        },
    })
}

/// The header's columns up to its last named one: an empty cell after it (a separator left at
/// the end of the header line) is no column a complete row must fill.
fn named_width(header: &[String]) -> usize {
    header.iter().rposition(|h| !h.is_empty()).map_or(0, |p| p + 1)
}

/// Where a file cut short in a copy or an upload ends: its last row has fewer fields than the
/// header names and no line ending after it (line, fields, whether the cut fell inside a
/// quote). Such a row was padded with empty cells as a short row Excel wrote is (Excel ends
/// every line, the last too), and its last answers were lost unseen. A complete last row
/// without a line ending is no sign of a cut, nor is a short row that ends its line; a last
/// cell whose open quote took earlier lines is the unclosed quote's problem, told as such.
fn cut_short(text: &str, delimiter: u8, header: &[String]) -> Option<(u64, usize, bool)> {
    let width = named_width(header);
    let tail = &text[text.rfind('\n').map_or(0, |i| i + 1)..];
    if tail.trim().is_empty() {
        return None;
    }
    // A last line without quotes and with every field needs no second parse of the file.
    if !tail.contains('"') && tail.bytes().filter(|&b| b == delimiter).count() + 1 >= width {
        return None;
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let (mut rec, mut last, mut rows) = (csv::StringRecord::new(), csv::StringRecord::new(), 0u64);
    let mut before_last: Option<usize> = None;
    // A row the parser cannot read is told by the passes over the rows.
    while let Ok(true) = rdr.read_record(&mut rec) {
        std::mem::swap(&mut rec, &mut last);
        if rows > 0 {
            before_last = Some(rec.len());
        }
        rows += 1;
    }
    // As long as the row before it (a program that leaves off every row's empty last columns),
    // or a total under the rows (`Totalt;523`), is no cut.
    let footer = last.get(0).is_some_and(|c| {
        let c = c.trim().to_lowercase();
        ["total", "summa", "sum"].iter().any(|w| c.starts_with(w))
    });
    if rows == 0
        || footer
        || before_last.is_some_and(|n| last.len() >= n)
        || last.len() >= width
        || last.iter().all(|c| c.trim().is_empty())
        || last.iter().any(|c| c.contains('\n'))
    {
        return None;
    }
    let start = last.position().map_or(0, |p| p.byte() as usize);
    let quote = text
        .get(start..)
        .is_some_and(|raw| raw.bytes().filter(|&b| b == b'"').count() % 2 == 1);
    Some((last.position().map_or(0, |p| p.line()), last.len(), quote))
}

/// The file without the end-of-file mark (0x1A) or NUL bytes it ends with, and how many there
/// were: read as text they made a phantom row, quarantined with advice about separators, and
/// a short file padded with NULs was refused as binary. UTF-16 (whose text holds NULs) ends
/// with them only in pairs, so only single-byte encodings are trimmed.
fn without_padding(mut bytes: Vec<u8>) -> (Vec<u8>, usize) {
    if matches!(bytes.as_slice(), [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..]) {
        return (bytes, 0);
    }
    let keep = bytes
        .iter()
        .rposition(|&b| b != 0 && b != 0x1A)
        .map_or(0, |p| p + 1);
    let padding = bytes.len() - keep;
    bytes.truncate(keep);
    (bytes, padding)
}

/// Excel writes, and reads, a first line `sep=;` that names the separator. It is blanked
/// rather than removed, so that every later line keeps its number (the parser skips a blank
/// line).
fn take_separator_hint(text: &mut String) -> Option<u8> {
    let first = text.lines().next()?;
    let sep = first
        .trim()
        .strip_prefix("sep=")
        .or_else(|| first.trim().strip_prefix("SEP="))?;
    let delimiter = match sep {
        ";" => b';',
        "," => b',',
        "\t" | "" if first.contains('\t') => b'\t',
        _ => return None,
    };
    text.replace_range(..first.len(), "");
    Some(delimiter)
}

/// Lines of a title above the header (`Rapport 2024;;;;`, as a sheet with a heading saves):
/// up to three lines of at most two different values each, then a line naming every required
/// column, as `xlsx::skip_title_rows` takes them in a workbook. They are blanked, so that every
/// later line keeps its number, and a note says so; the file used to be refused, telling of
/// "0 of 1 cells" of a title that has as many cells as the header. Any other first line is the
/// header, as before.
fn skip_title_lines(text: &mut String, classify: &dyn Fn(&[String]) -> HeaderKind) -> Option<String> {
    let cells = |line: &str, sep: u8| -> Vec<String> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(sep)
            .from_reader(line.as_bytes())
            .records()
            .next()
            .and_then(Result::ok)
            .map(|r| r.iter().map(|c| c.trim().to_string()).collect())
            .unwrap_or_default()
    };
    let mut lines: Vec<(u64, std::ops::Range<usize>)> = Vec::new();
    let mut at = 0;
    for (n, line) in text.split('\n').enumerate() {
        if !line.trim().is_empty() {
            lines.push((n as u64 + 1, at..at + line.len()));
        }
        at += line.len() + 1;
        if lines.len() == super::header::TITLE_ROWS + 1 {
            break;
        }
    }
    let line = |k: usize| &text[lines[k].1.clone()];
    let kind = |k: usize| classify(&cells(line(k), sniff_delimiter(line(k))));
    if lines.is_empty() || kind(0) != HeaderKind::Other {
        return None;
    }
    let k = (1..lines.len()).find(|&k| kind(k) == HeaderKind::Records)?;
    let sep = sniff_delimiter(line(k));
    // Split at the header's separator and at its own: a record written with another separator
    // is one cell at the header's, and must not be blanked as a title.
    let title = |j: usize| {
        [sep, sniff_delimiter(line(j))]
            .into_iter()
            .all(|sep| super::header::title_like(cells(line(j), sep).iter().map(String::as_str)))
    };
    if !(0..k).all(title) {
        return None;
    }
    let what = match k {
        1 => format!("line {}", lines[0].0),
        _ => format!("lines {}-{}", lines[0].0, lines[k - 1].0),
    };
    let note = format!(
        "{what} above the header (line {}) passed over: a title, not column names",
        lines[k].0
    );
    for (_, range) in lines[..k].iter().rev() {
        text.replace_range(range.clone(), "");
    }
    Some(note)
}

/// A row's cell that took the lines after it, and those lines (number and text).
struct Taken<'t> {
    opens: Unclosed,
    column: usize,
    lines: Vec<(u64, &'t str)>,
}

/// Whether a record that holds a line break in a cell (`raw` is its text in the file, from
/// line `line`) is a quote left open rather than a line break typed inside quotes. It is
/// when the row has the wrong number of fields (the existing sign), when its quotes do not
/// pair up (one opened and never closed before the end of the file), or when a line inside
/// the cell has as many separators as a row of the file (a whole row was taken in). The
/// lines after the record's first that are not blank are the lines taken.
fn unclosed_quote<'t>(
    raw: &'t str,
    rec: &csv::StringRecord,
    delimiter: u8,
    width: usize,
    line: u64,
) -> Option<Taken<'t>> {
    let column = rec.iter().position(|c| c.contains('\n'))?;
    let cell = rec.get(column)?;
    let row_like = width > 1
        && cell
            .split('\n')
            .skip(1)
            .any(|l| l.bytes().filter(|&b| b == delimiter).count() + 1 >= width);
    let unpaired = raw.bytes().filter(|&b| b == b'"').count() % 2 == 1;
    if !(rec.len() != width || unpaired || row_like) {
        return None;
    }
    let lines: Vec<(u64, &str)> = raw
        .split('\n')
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (line + i as u64, l))
        .collect();
    let (first, last) = (lines.first()?.0, lines.last()?.0);
    Some(Taken {
        opens: Unclosed::Opens {
            column,
            first,
            last,
            count: lines.len(),
        },
        column,
        lines,
    })
}

/// The header line decides: whichever of `;`, `,` and tab occurs most outside quotes. The
/// header is the first line that is not blank, as the CSV reader takes it: a blank first line
/// has no separators to count.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
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
    let sheet_columns = drop_empty_columns(&mut grid);
    // A sheet's rows end at their last value: the cells after it are empty, not missing.
    let width = grid.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    for r in &mut grid {
        r.cells.resize(width, String::new());
    }
    let header_line = grid[0].line;
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
        refused: None,
        sheet_columns: Some(sheet_columns),
        merged_header: Vec::new(),
        header_line,
        header,
        body: Body::Grid(grid),
    })
}

/// Columns with no header and nothing in any row (a table that starts in column B, a stray
/// space far to the right) are not columns of the table. Returns the grid column each kept
/// column was.
fn drop_empty_columns(grid: &mut [RawRow]) -> Vec<usize> {
    // One pass over the cells, not columns times rows: a stray cell far to the right makes
    // the table thousands of columns wide.
    let width = grid.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let mut keep = vec![false; width];
    for r in grid.iter() {
        for (k, v) in keep.iter_mut().zip(&r.cells) {
            *k = *k || !v.trim().is_empty();
        }
    }
    let kept: Vec<usize> = (0..width).filter(|&c| keep[c]).collect();
    if kept.len() == width {
        return kept;
    }
    // Where each kept column ends up, for the columns stored as numbers.
    let mut to = vec![None; width];
    let mut next = 0u32;
    for (t, k) in to.iter_mut().zip(&keep) {
        if *k {
            *t = Some(next);
            next += 1;
        }
    }
    for r in grid.iter_mut() {
        let mut c = 0;
        r.cells.retain(|_| {
            let k = keep.get(c).copied().unwrap_or(false);
            c += 1;
            k
        });
        r.numbers = r
            .numbers
            .iter()
            .filter_map(|&n| to.get(n as usize).copied().flatten())
            .collect();
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_separator_hint_is_used_and_its_line_kept_blank() {
        let mut text = "sep=;\na;b\n1;2\n".to_string();
        assert_eq!(take_separator_hint(&mut text), Some(b';'));
        assert_eq!(text, "\na;b\n1;2\n");
        let mut plain = "sep;b\n".to_string();
        assert_eq!(take_separator_hint(&mut plain), None);
        assert_eq!(plain, "sep;b\n");
    }

    /// A title of one or two values above the header is blanked with a note (its lines keep
    /// their numbers); a first line of data, or a title more than three lines above the
    /// header, is left for the header check to refuse.
    #[test]
    fn a_title_above_the_header_is_passed_over_and_lines_keep_their_numbers() {
        let classify = |cells: &[String]| {
            if cells.first().is_some_and(|c| c == "org_id") && cells.len() > 2 {
                HeaderKind::Records
            } else {
                HeaderKind::Other
            }
        };
        let mut text =
            "Rapport 2024,,,,\n\n;;Frälsningsarmén;;Frälsningsarmén\norg_id;record_id;x\nA;B;C\n".to_string();
        let note = skip_title_lines(&mut text, &classify);
        assert_eq!(
            note.as_deref(),
            Some("lines 1-3 above the header (line 4) passed over: a title, not column names")
        );
        assert_eq!(text, "\n\n\norg_id;record_id;x\nA;B;C\n");
        for kept in [
            "FA,1,2024\norg_id,record_id,x\n",
            "FA;1;2024;Anna\norg_id,record_id,x\n",
            "a\nb\nc\nd\norg_id,record_id,x\n",
            "org_id,record_id,x\nA,B,C\n",
        ] {
            let mut text = kept.to_string();
            assert_eq!(skip_title_lines(&mut text, &classify), None, "{kept}");
            assert_eq!(text, kept);
        }
    }

    #[test]
    fn the_separator_is_guessed_from_the_first_line_that_is_not_blank() {
        assert_eq!(sniff_delimiter("\n  \norg_id;record_id;x,y\nA;B;C\n"), b';');
        assert_eq!(sniff_delimiter("org_id,record_id\n"), b',');
    }

    #[test]
    fn a_quote_left_open_is_told_from_a_line_break_typed_inside_quotes() {
        let rows = |text: &str| -> Vec<(u64, Vec<String>, Option<Unclosed>)> {
            let mut got = Vec::new();
            let table = Table {
                path: "a.csv".into(),
                format: String::new(),
                sheet: None,
                header: vec!["a".into(), "b".into(), "c".into()],
                unreadable: Vec::new(),
                notes: Vec::new(),
                refused: None,
                sheet_columns: None,
                merged_header: Vec::new(),
                header_line: 1,
                body: Body::Csv {
                    text: text.to_string(),
                    delimiter: b',',
                },
            };
            table
                .for_each_row(|r| {
                    got.push((
                        r.line,
                        r.cells.iter().map(|c| c.to_string()).collect(),
                        r.unclosed,
                    ));
                    Ok::<(), FileError>(())
                })
                .expect("read");
            got
        };
        let open = rows("a,b,c\n1,2,3\n4,5,\"x\n6,7,8\n\n9,10,11\n");
        let lines: Vec<u64> = open.iter().map(|r| r.0).collect();
        assert_eq!(lines, [2, 3, 4, 6], "every line of data is a row");
        assert_eq!(
            open[1].2,
            Some(Unclosed::Opens {
                column: 2,
                first: 4,
                last: 6,
                count: 2
            })
        );
        assert_eq!(open[3].1, ["9", "10", "11"]);
        assert_eq!(open[3].2, Some(Unclosed::Taken { opened: 3, column: 2 }));
        let typed = rows("a,b,c\n1,2,\"x\ny\"\n4,5,6\n");
        assert!(typed.iter().all(|r| r.2.is_none()), "{typed:?}");
        assert_eq!(typed.len(), 2);
    }

    #[test]
    fn columns_stored_as_numbers_follow_their_cells_when_empty_columns_go() {
        let mut grid = vec![
            RawRow {
                line: 1,
                cells: vec!["".into(), "record_id".into(), "".into(), "year".into()],
                numbers: Vec::new(),
            },
            RawRow {
                line: 2,
                cells: vec!["".into(), "42".into(), "".into(), "2024".into()],
                numbers: vec![1, 3],
            },
        ];
        assert_eq!(drop_empty_columns(&mut grid), [1, 3]);
        assert_eq!(grid[1].cells, ["42", "2024"]);
        assert_eq!(grid[1].numbers, [0, 1]);
    }
}
