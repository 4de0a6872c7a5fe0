//! A row that repeats the header with the columns in another order (a quarter's export pasted
//! under the others, from a case system that moved its columns): the rows below it would be
//! read by the first header, each answer under another column's name. An outside review's
//! file published birth and exploitation countries swapped, with exit 0.

use super::header::{HeaderMap, resolve_column};
use super::read::Table;
use crate::error::FileError;
use crate::schema::Schema;

/// Refuses the file at the first row that names three or more contract columns, half of the
/// file's at least (as a repeated header does), and names one of them where another stands.
pub(super) fn reordered_header(schema: &Schema, t: &Table, map: &HeaderMap) -> Result<(), FileError> {
    let year = schema.column_index("report_year").and_then(|i| map.source[i]);
    let present = map.source.iter().filter(|s| s.is_some()).count();
    t.for_each_row(|row| -> Result<(), FileError> {
        if row.unclosed.is_some() || row.cells.len() != map.width {
            return Ok(());
        }
        // A record's year is a number: most rows are passed here without folding a cell.
        if year.is_some_and(|p| row.cells[p].trim().parse::<f64>().is_ok()) {
            return Ok(());
        }
        let mut named = 0;
        let mut moved = Vec::new();
        for (i, src) in map.source.iter().enumerate() {
            let Some(cell) = src.map(|p| row.cells[p].trim()).filter(|c| !c.is_empty()) else {
                continue;
            };
            match resolve_column(schema, cell) {
                Some(j) if j == i => named += 1,
                Some(j) => {
                    named += 1;
                    moved.push(format!(
                        "{} under {}",
                        schema.columns[j].name, schema.columns[i].name
                    ));
                }
                None => {}
            }
        }
        if named >= 3 && 2 * named >= present && !moved.is_empty() {
            return Err(FileError::ReorderedHeader {
                at: t.place(),
                line: row.line,
                moved: moved.join(", "),
            });
        }
        Ok(())
    })
}
