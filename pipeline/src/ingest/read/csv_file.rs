//! Opens a CSV file as a table: its bytes decoded to text, line endings made countable, the
//! padding an interrupted copy leaves dropped, and a file cut short in a copy refused.

use std::path::Path;

use super::csv_lines::{drop_spaces_before_quotes, skip_title_lines, sniff_delimiter, take_separator_hint};
use super::{Body, Table};
use crate::error::FileError;
use crate::ingest::decode::decode;
use crate::ingest::header::HeaderKind;

pub(super) fn open_csv(path: &Path, classify: &dyn Fn(&[String]) -> HeaderKind) -> Result<Table, FileError> {
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
    let spaced = drop_spaces_before_quotes(&mut decoded.text, delimiter);
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
    notes.extend(spaced);
    notes.extend(super::quotes::stray_quotes(&decoded.text, delimiter, &header));
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
