//! Reads every organisation's pseudonymised file into compact columns in memory, refusing
//! files made under different keys (they could never link) and naming them.
//!
//! Compact because linkage runs on tens of millions of records: keys are plain `i64` with 0
//! for "missing", Bloom filters are fixed arrays, record keys are 16 bytes, and answers are
//! dictionary codes (a code list has a few dozen values, so a record costs 4 bytes a column,
//! not a heap string).

mod blocks;
mod read;
mod records;
mod refuse;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{LinkageError, StageError, WorkFolderError};
use crate::pseudonymise::{attribute_columns, output_columns};
use crate::schema::Schema;

pub use blocks::BLOCKS;
use read::read_part;
pub use records::Records;
use refuse::{refuse_foreign_values, refuse_repeated_records};

/// What to do about a file that pseudonymise did not write as it stands.
const REMAKE: &str = "the file was not written by `safetally pseudonymise` or was changed since; ask the organisation to pseudonymise its records again";

fn err(path: &Path, e: impl std::fmt::Display) -> StageError {
    StageError::ParquetRead {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A file that was read but holds what pseudonymise never writes: "cannot read" would send the
/// user looking for a damaged file.
fn refused(path: &Path, e: impl std::fmt::Display) -> StageError {
    StageError::Refused {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Loads every column linkage can use.
pub fn load(schema: &Schema, input: &Path) -> Result<Records, StageError> {
    load_for(schema, input, true)
}

/// Loads the columns a linkage needs: without the fuzzy step, the blocking keys and Bloom
/// filters (more than half of the bytes) are not read at all.
pub fn load_for(schema: &Schema, input: &Path, fuzzy: bool) -> Result<Records, StageError> {
    let files = crate::stage::list_parquet(input)?;
    if files.is_empty() {
        return Err(WorkFolderError::NothingToRead {
            path: input.to_path_buf(),
            problem: "no pseudonymised files to link; run pseudonymise first",
        }
        .into());
    }
    let attr_names: Vec<String> = attribute_columns(schema).iter().map(|s| s.to_string()).collect();
    let mut fingerprints: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut encodings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut years: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut r = Records::empty(attr_names);
    r.reserve(count_rows(&files)?, fuzzy);
    // Each part is appended as soon as it and the parts before it are read, and then freed:
    // holding every part until all are read doubled the stage's peak memory.
    let names = r.attr_names.clone();
    let known: Vec<&str> = output_columns(schema).into_iter().map(|(n, _)| n).collect();
    // Where each file's records are, and their organisations, to find a file sent twice.
    let mut spans: Vec<(std::ops::Range<usize>, Vec<String>)> = Vec::with_capacity(files.len());
    let mut empty_files = Vec::new();
    crate::parallel::stream_ordered(
        &files,
        |path| {
            let part = read_part(path, (&names, &known), fuzzy)?;
            refuse_foreign_values(schema, path, &part.2)?;
            Ok::<_, StageError>(part)
        },
        |i, part| {
            let (fps, encs, part) = part?;
            let path = &files[i];
            if part.is_empty() {
                empty_files.push(crate::stage::relative(input, path));
            }
            spans.push((r.len()..r.len() + part.len(), part.orgs.clone()));
            // A file holds one year or a few: collected as numbers, named once each.
            let mut distinct: Vec<i64> = Vec::new();
            for y in &part.report_year {
                if !distinct.contains(y) {
                    distinct.push(*y);
                }
            }
            distinct.sort_unstable();
            let in_file: Vec<String> = distinct.iter().map(i64::to_string).collect();
            for (values, seen) in [
                (fps, &mut fingerprints),
                (encs, &mut encodings),
                (in_file, &mut years),
            ] {
                for v in values {
                    seen.entry(v)
                        .or_default()
                        .push(crate::stage::relative(input, path));
                }
            }
            r.append(part).map_err(|e| err(path, e))
        },
    )?;
    // Each value with the files that hold it: "key 1a2b: A.parquet, B.parquet; key 3c4d: C.parquet".
    let listed = |values: &BTreeMap<String, Vec<String>>, what: &str| -> String {
        let list: Vec<String> = values
            .iter()
            .map(|(v, files)| format!("{what} {v}: {}", files.join(", ")))
            .collect();
        list.join("; ")
    };
    // Both problems at once, so that fixing one does not only reveal the other.
    let mut problems = Vec::new();
    if fingerprints.len() > 1 {
        problems.push(format!(
            "the files were pseudonymised under different keys and cannot be linked ({}); every organisation must use the same key",
            listed(&fingerprints, "key")
        ));
    }
    if encodings.len() > 1 {
        let current = crate::pseudonymise::ENCODING_VERSION;
        let others: Vec<&str> = encodings
            .iter()
            .filter(|(e, _)| e.as_str() != current)
            .flat_map(|(_, files)| files.iter().map(String::as_str))
            .collect();
        problems.push(format!(
            "the files were pseudonymised by versions of safetally that normalise names differently, so the same name has different keys in them, and cannot be linked ({}); every organisation must pseudonymise with the same version: with this one (encoding {current}), the organisations of {} must pseudonymise again",
            listed(&encodings, "encoding"),
            others.join(", ")
        ));
    }
    if years.len() > 1 {
        problems.push(format!(
            "the files hold records of several report years ({}); persons are linked and counted one report year at a time, so link each year's files from a folder of their own",
            listed(&years, "year")
        ));
    }
    if !problems.is_empty() {
        return Err(LinkageError::Mixed {
            input: input.to_path_buf(),
            problems,
        }
        .into());
    }
    r.fingerprint = fingerprints.into_keys().next().unwrap_or_default();
    r.empty_files = empty_files;
    r.not_read = crate::stage::list_files(input)?
        .iter()
        .filter(|p| !files.contains(p) && p.file_name().is_none_or(|n| n != crate::run::PSEUDO_REPORT))
        .map(|p| crate::stage::relative(input, p))
        .collect();
    refuse_repeated_records(&r, (input, &files), &spans)?;
    if r.is_empty() {
        return Err(WorkFolderError::NothingToRead {
            path: input.to_path_buf(),
            problem: "the pseudonymised files hold no records",
        }
        .into());
    }
    Ok(r)
}

/// Records in all files, from their footers, so the columns are sized once.
fn count_rows(files: &[PathBuf]) -> Result<usize, StageError> {
    files
        .iter()
        .map(|path| {
            let mut f = std::fs::File::open(path).map_err(|e| StageError::io(path, e))?;
            polars_parquet::read::read_metadata(&mut f)
                .map(|m| m.num_rows)
                .map_err(|e| err(path, format!("{e}; {REMAKE}")))
        })
        .sum()
}
