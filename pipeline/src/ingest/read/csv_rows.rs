//! A table's rows in file order. In a CSV file a cell whose opening quote is never closed takes
//! the lines after it; each of those lines is given back as a row of its own, so none is lost.

use super::{Body, Row, Table, Unclosed};
use crate::error::FileError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
