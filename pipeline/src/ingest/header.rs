//! Maps a file's header to the contract's columns. Case, spacing and the Swedish or English
//! column label are accepted (and reported); unknown columns are an error unless ignored;
//! a column without a header is read so that a value in it is reported, not lost.

use std::path::Path;

use crate::error::FileError;
use crate::schema::{Schema, codes_fold};

#[derive(Debug, Clone)]
pub struct HeaderMap {
    /// For each contract column, its position in the file (None: absent, read as empty).
    pub source: Vec<Option<usize>>,
    pub width: usize,
    /// Header cells that were renamed to a contract column: (as written, column).
    pub renamed: Vec<(String, String)>,
    /// Contract columns the file does not have (treated as not answered).
    pub absent: Vec<String>,
    /// Unknown columns that were ignored on request.
    pub ignored: Vec<String>,
    /// Positions of columns without a header (Excel's trailing empty columns, a stray cell
    /// far to the right): read, and a row with a value in one is quarantined, not dropped.
    pub blank: Vec<usize>,
}

pub fn map_header(
    schema: &Schema,
    header: &[String],
    path: &Path,
    ignore_extra: bool,
) -> Result<HeaderMap, FileError> {
    let mut source = vec![None; schema.columns.len()];
    let mut renamed = Vec::new();
    let mut unknown = Vec::new();
    let mut blank = Vec::new();
    for (pos, raw) in header.iter().enumerate() {
        let cell = raw.trim().trim_start_matches('\u{feff}');
        if cell.is_empty() {
            blank.push(pos);
            continue;
        }
        let Some(idx) = resolve_column(schema, cell) else {
            unknown.push(cell.to_string());
            continue;
        };
        if source[idx].is_some() {
            return Err(FileError::DuplicateColumn {
                path: path.to_path_buf(),
                column: schema.columns[idx].name.clone(),
            });
        }
        if cell != schema.columns[idx].name {
            renamed.push((cell.to_string(), schema.columns[idx].name.clone()));
        }
        source[idx] = Some(pos);
    }
    let missing: Vec<&str> = schema
        .required_columns()
        .filter(|c| schema.column_index(&c.name).and_then(|i| source[i]).is_none())
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(FileError::MissingColumns {
            path: path.to_path_buf(),
            missing: missing.join(", "),
            found: header.join(", "),
        });
    }
    if !unknown.is_empty() && !ignore_extra {
        return Err(FileError::ExtraColumns {
            path: path.to_path_buf(),
            columns: unknown.join(", "),
        });
    }
    let absent = schema
        .columns
        .iter()
        .zip(&source)
        .filter(|(_, s)| s.is_none())
        .map(|(c, _)| c.name.clone())
        .collect();
    Ok(HeaderMap {
        source,
        width: header.len(),
        renamed,
        absent,
        ignored: unknown,
        blank,
    })
}

fn resolve_column(schema: &Schema, cell: &str) -> Option<usize> {
    if let Some(i) = schema.column_index(cell) {
        return Some(i);
    }
    let f = codes_fold(cell);
    let matches: Vec<usize> = schema
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| codes_fold(&c.name) == f || codes_fold(&c.sv) == f || codes_fold(&c.en) == f)
        .map(|(i, _)| i)
        .collect();
    (matches.len() == 1).then(|| matches[0])
}
