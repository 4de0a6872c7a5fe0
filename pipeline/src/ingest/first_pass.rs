//! The first pass: opens every file, maps each table's header and indexes its rows' record
//! ids, so that the second pass sees ids sent twice or pointed at across files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::notes::name_member;
use super::open::{open_mapped, reopen};
use super::read::Table;
use super::template::{TemplateColumns, template_row};
use super::validate::Validator;
use super::{FileOutcome, IngestOptions, failed, fields, file_label, header, is_submission};
use crate::error::FileError;
use crate::schema::Schema;

/// A table that passed the first pass: where it is and what the first pass learnt of it.
pub(super) struct Indexed {
    pub(super) path: PathBuf,
    /// Which of the file's tables (workbook sheets) it is.
    pub(super) table: usize,
    pub(super) label: String,
    /// The sheet's name, when the file has several tables.
    pub(super) sheet: Option<String>,
    pub(super) number: u32,
    /// The organisation most of its rows name.
    pub(super) org: Option<String>,
}

/// Opens one file, maps each of its tables' headers and indexes their rows. A file or a table
/// that cannot be read is a failed outcome (pushed to `outcomes`), not an error of the run.
pub(super) fn index_file(
    schema: &Schema,
    input: &Path,
    path: &Path,
    opts: &IngestOptions,
    v: &mut Validator,
    outcomes: &mut Vec<FileOutcome>,
) -> Vec<Indexed> {
    let label = file_label(input, path);
    if let Some(e) = linkage_key(path, opts) {
        let mut outcome = failed(input, path, e.to_string());
        outcome.linkage_key = true;
        outcomes.push(outcome);
        return Vec::new();
    }
    if !is_submission(path) {
        let e = FileError::UnsupportedType {
            path: path.to_path_buf(),
        };
        outcomes.push(failed(input, path, e.to_string()));
        return Vec::new();
    }
    let tables = match open_mapped(schema, path, opts) {
        Ok(t) => t,
        Err(e) => {
            outcomes.push(failed(input, path, e.to_string()));
            return Vec::new();
        }
    };
    let several = tables.len() > 1;
    let named = name_member(schema, path);
    let mut out = Vec::new();
    for (i, (table, map)) in tables.iter().enumerate() {
        let sheet = table.sheet.clone().filter(|_| several);
        let label = match &sheet {
            Some(sheet) => format!("{label} [{sheet}]"),
            None => label.clone(),
        };
        let indexed = map
            .as_ref()
            .map_err(ToString::to_string)
            .and_then(|map| index_table(schema, (table, map), (&label, named.as_deref()), v));
        match indexed {
            Ok((number, org)) => out.push(Indexed {
                path: path.to_path_buf(),
                table: i,
                label,
                sheet,
                number,
                org,
            }),
            Err(e) => {
                let mut o = FileOutcome::new(&label);
                o.sheet = sheet;
                o.error = Some(e);
                outcomes.push(o);
            }
        }
    }
    out
}

/// The refusal of a linkage key left among the submissions: the file `run` was given as --key
/// (the same file, by device and inode, under any name or link), or one that looks like a key.
/// It had been refused as an unsupported file type, which did not say what to do with it.
fn linkage_key(path: &Path, opts: &IngestOptions) -> Option<FileError> {
    use std::os::unix::fs::MetadataExt;
    let id = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    let passed = opts
        .linkage_key
        .as_deref()
        .and_then(id)
        .is_some_and(|key| id(path) == Some(key));
    let what = match passed {
        true => "this is the linkage key this run was given (--key), not a submission".to_string(),
        false => format!(
            "this is not a submission but, it seems, a linkage key ({})",
            crate::key::looks_like_key(path)?
        ),
    };
    Some(FileError::LinkageKey {
        path: path.to_path_buf(),
        what,
        passed,
    })
}

/// Indexes one table's rows: its number among the validator's files and the organisation
/// most of its rows name (rows whose own org_id is unusable are counted under it). At a tie,
/// the member the file's name names wins: a TALITA.csv half of whose rows name ECPAT is more
/// likely TALITA's.
fn index_table(
    schema: &Schema,
    (table, map): (&Table, &header::HeaderMap),
    (label, named): (&str, Option<&str>),
    v: &mut Validator,
) -> Result<(u32, Option<String>), String> {
    let number = v.add_file(label);
    let org_col = schema.column_index("org_id").unwrap_or(0);
    let mut votes: HashMap<String, u64> = HashMap::new();
    let mut rows = 0u64;
    let template = TemplateColumns::of(schema, map);
    table
        .for_each_row(|row| {
            // Unused template rows are no records: their numbers are no ids of anyone.
            if template_row(&template, &row, map.width).is_none() {
                v.index_row(&row, map, number);
            }
            let org = map.source[org_col]
                .and_then(|p| row.cells.get(p))
                .and_then(|s| fields::member_code(schema, s.trim()));
            if let Some(org) = org {
                *votes.entry(org).or_default() += 1;
            }
            rows += 1;
            Ok::<(), FileError>(())
        })
        .map_err(|e| e.to_string())?;
    if rows == 0 {
        return Err(FileError::HeaderOnly { at: table.place() }.to_string());
    }
    let org = votes
        .into_iter()
        .max_by_key(|(o, n)| (*n, Some(o.as_str()) == named, std::cmp::Reverse(o.clone())))
        .map(|(o, _)| o);
    Ok((number, org))
}

/// Reads a table again to compare the rows of ids written in two ways in the contract's form
/// (`Validator::recheck_row`). A table that cannot be read again is left for the second pass
/// to report; its rows then stay apart from their copies.
pub(super) fn recheck_table(schema: &Schema, f: &Indexed, opts: &IngestOptions, v: &mut Validator) {
    let Ok((table, map)) = reopen(schema, f, opts) else {
        return;
    };
    let template = TemplateColumns::of(schema, &map);
    // An error part way through leaves the rest unread, as the first pass did.
    let _ = table.for_each_row(|row| {
        if template_row(&template, &row, map.width).is_none() {
            v.recheck_row(&row, &map, f.number);
        }
        Ok::<(), FileError>(())
    });
}
