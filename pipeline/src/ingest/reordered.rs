//! A row that repeats the header with the columns in another order (a quarter's export pasted
//! under the others, from a case system that moved its columns): the rows below it would be
//! read by the first header, each answer under another column's name. An outside review's
//! file published birth and exploitation countries swapped, with exit 0.

use super::header::{HeaderMap, resolve_column};
use super::read::Row;
use crate::error::{FileError, Place};
use crate::schema::Schema;

/// Finds the first such row of a table, row by row (`ingest::open::row_checks` shares one pass).
pub(super) struct Reordered<'a> {
    schema: &'a Schema,
    year: Option<usize>,
    present: usize,
}

impl<'a> Reordered<'a> {
    pub fn new(schema: &'a Schema, map: &HeaderMap) -> Self {
        Reordered {
            schema,
            year: schema.column_index("report_year").and_then(|i| map.source[i]),
            present: map.source.iter().filter(|s| s.is_some()).count(),
        }
    }

    /// Refuses the file at a row that names three or more contract columns, half of the
    /// file's at least (as a repeated header does), and names one of them where another stands.
    pub fn row(&self, row: &Row, map: &HeaderMap, at: &Place) -> Result<(), FileError> {
        // A record's year is a number: most rows are passed here without a lookup.
        if self
            .year
            .is_some_and(|p| row.cells[p].trim().parse::<f64>().is_ok())
        {
            return Ok(());
        }
        let mut named = 0;
        let mut moved = Vec::new();
        for (i, src) in map.source.iter().enumerate() {
            let Some(cell) = src.map(|p| row.cells[p].trim()).filter(|c| !c.is_empty()) else {
                continue;
            };
            match resolve_column(self.schema, cell) {
                Some(j) if j == i => named += 1,
                Some(j) => {
                    named += 1;
                    moved.push(format!(
                        "{} under {}",
                        self.schema.columns[j].name, self.schema.columns[i].name
                    ));
                }
                None => {}
            }
        }
        if named >= 3 && 2 * named >= self.present && !moved.is_empty() {
            return Err(FileError::ReorderedHeader {
                at: at.clone(),
                line: row.line,
                moved: moved.join(", "),
            });
        }
        Ok(())
    }
}
