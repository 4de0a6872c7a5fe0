//! Reads one pseudonymised file into a part of the records: only the columns the linkage
//! needs, answers straight from their dictionary pages, keys and filters in compact form.

use std::path::Path;

use polars::prelude::*;

use super::blocks::{YEAR_PART, with_token_years};
use super::records::{Filter, Records};
use super::refuse::{refuse_foreign_related, refuse_unpseudonymised};
use super::{REMAKE, err, refused};
use crate::error::StageError;
use crate::parquet_io::{code_text, read_coded, read_columns};
use crate::pseudonymise::bloom::STORED_WORDS;
use crate::pseudonymise::{
    BLOCK_KEYS, BLOOM, DATE_PARTS, ENCODING, FINGERPRINT, MATCH_KEYS, RECORD_KEY, RELATED_KEY,
};

/// A file's key fingerprints, its encodings (`pseudonymise::ENCODING`) and its records.
type Part = (Vec<String>, Vec<String>, Records);

/// The encoding of files without the column, as the refusal names it.
const ENCODING_BEFORE_0_8: &str = "1 (no encoding column: safetally 0.7 or earlier)";

/// The distinct values a file's rows hold in a column that must be filled on every row.
fn used_values(
    path: &Path,
    c: crate::parquet_io::Coded,
    column: &str,
    what: &str,
) -> Result<Vec<String>, StageError> {
    let blank: Vec<bool> = c
        .values
        .iter()
        .map(|v| v.as_deref().is_none_or(|v| v.trim().is_empty()))
        .collect();
    if let Some(row) = c
        .codes
        .iter()
        .position(|&code| blank.get(code as usize).copied().unwrap_or(true))
    {
        return Err(refused(
            path,
            format!(
                "row {}, column {column}: blank, so {what} is unknown; {REMAKE}",
                row + 1
            ),
        ));
    }
    let mut used = vec![false; c.values.len()];
    for &code in &c.codes {
        used[code as usize] = true;
    }
    // The values are listed in the refusal of mixed keys or encodings: only values of their
    // form are shown (a fingerprint is four groups of four hex digits, an encoding a number).
    let of_its_form = |v: &str| {
        let fingerprint = v.len() == 19
            && v.split('-')
                .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_hexdigit()));
        let encoding = v.len() <= 4 && v.bytes().all(|b| b.is_ascii_digit());
        fingerprint || encoding
    };
    // Judged once per distinct value: judged row by row, the split of every row's fingerprint
    // was 2% of link's time on 10 million records.
    let foreign: Vec<bool> = c
        .values
        .iter()
        .map(|v| v.as_deref().is_some_and(|v| !of_its_form(v)))
        .collect();
    if let Some(row) = c.codes.iter().position(|&code| foreign[code as usize]) {
        return Err(refused(
            path,
            format!(
                "row {}, column {column}: not {what} as pseudonymise writes it (the value is not shown: it may be personal); {REMAKE}",
                row + 1
            ),
        ));
    }
    Ok(c.values
        .into_iter()
        .zip(used)
        .filter_map(|(v, used)| v.filter(|_| used))
        .collect())
}

/// One file: its key fingerprints, its encodings and its records.
pub(super) fn read_part(
    path: &Path,
    (attr_names, known): (&[String], &[&str]),
    fuzzy: bool,
) -> Result<Part, StageError> {
    let mut columns: Vec<&str> = vec!["report_year", RECORD_KEY];
    // Date parts always: the exact step too needs to know which birth days are placeholders.
    columns.extend(MATCH_KEYS.iter().chain(&DATE_PARTS));
    if fuzzy {
        columns.extend(BLOCK_KEYS.iter().chain(&[BLOOM]));
    }
    // The fingerprint, the organisation and the answers come straight from their dictionary
    // pages where the file has them; any other such column is read as text.
    let mut coded_names = vec![FINGERPRINT.to_string(), "org_id".to_string()];
    coded_names.extend_from_slice(attr_names);
    let required: Vec<&str> = columns
        .iter()
        .copied()
        .chain(coded_names.iter().map(String::as_str))
        .collect();
    let (has_encoding, has_related) = refuse_unpseudonymised(path, &required, known)?;
    if has_encoding {
        coded_names.insert(1, ENCODING.to_string());
    }
    if has_related {
        columns.push(RELATED_KEY);
    }
    let mut coded = read_coded(path, &coded_names).map_err(|e| err(path, e))?;
    columns.extend(
        coded_names
            .iter()
            .zip(&coded)
            .filter(|(_, c)| c.is_none())
            .map(|(n, _)| n.as_str()),
    );
    let df = read_columns(path, &columns)?;
    let strs = |n: &str| {
        df.column(n)
            .and_then(|c| c.str())
            .map_err(|e| err(path, format!("column {n}: {e}; {REMAKE}")))
    };
    let ints = |n: &str| {
        df.column(n)
            .and_then(|c| c.i64())
            .map_err(|e| err(path, format!("column {n}: {e}; {REMAKE}")))
            .map(key_values)
    };
    let mut coded = coded
        .iter_mut()
        .zip(&coded_names)
        .map(|(c, name)| match c.take() {
            Some(c) => Ok(c),
            None => strs(name).map(code_text),
        });
    let mut next_coded = || coded.next().expect("one per name");
    // A row without its fingerprint could have been made under any key: it is refused, or a
    // file under another key would slip past the check below.
    let fps = used_values(path, next_coded()?, FINGERPRINT, "the key the row was made under")?;
    // A file of no rows says nothing about either (as it adds no fingerprint).
    let encs = if has_encoding {
        used_values(path, next_coded()?, ENCODING, "how its names were normalised")?
    } else if df.height() == 0 {
        Vec::new()
    } else {
        vec![ENCODING_BEFORE_0_8.to_string()]
    };
    let mut r = Records::empty(attr_names.to_vec());
    let org = next_coded()?;
    if let Some(row) = org.codes.iter().position(|&c| c == 0) {
        return Err(refused(
            path,
            format!("row {}, column org_id: blank; {REMAKE}", row + 1),
        ));
    }
    if org.values.len() > usize::from(u16::MAX) {
        return Err(refused(path, "more than 65 534 organisations in one file"));
    }
    r.orgs = org.values.into_iter().flatten().collect();
    r.org = org.codes.iter().map(|&c| (c - 1) as u16).collect();
    r.report_year = df
        .column("report_year")
        .and_then(|c| c.i64())
        .map_err(|e| err(path, format!("column report_year: {e}; {REMAKE}")))?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let keys = strs(RECORD_KEY)?;
    if let Some(row) = keys.iter().position(|k| k.is_none_or(str::is_empty)) {
        return Err(refused(
            path,
            format!("row {}, column {RECORD_KEY}: blank; {REMAKE}", row + 1),
        ));
    }
    if has_related {
        refuse_foreign_related(path, keys, strs(RELATED_KEY)?)?;
    }
    r.record_key = keys.clone();
    for (dst, name) in r.match_keys.iter_mut().zip(MATCH_KEYS) {
        *dst = ints(name)?;
    }
    for (dst, name) in r.date_parts.iter_mut().zip(DATE_PARTS) {
        *dst = ints(name)?;
    }
    if fuzzy {
        let stored = BLOCK_KEYS
            .iter()
            .map(|n| ints(n))
            .collect::<Result<Vec<_>, _>>()?;
        r.block_keys = with_token_years(stored, &r.date_parts[YEAR_PART]);
        let bloom = df
            .column(BLOOM)
            .and_then(|c| c.binary())
            .map_err(|e| err(path, format!("column {BLOOM}: {e}; {REMAKE}")))?;
        r.bloom = filters(bloom, path)?;
    }
    // Every column has the file's rows: `read_coded` leaves a short one to `read_columns`,
    // which refuses it.
    for dst in r.attrs.iter_mut() {
        *dst = next_coded()?;
    }
    Ok((fps, encs, r))
}

/// Keys as stored in memory: 0 stands for "no key", and a real hash of 0 (chance 2^-64) becomes
/// 1. Chunk by chunk, with no option per value.
fn key_values(col: &Int64Chunked) -> Vec<i64> {
    let mut out = Vec::with_capacity(col.len());
    for arr in col.downcast_iter() {
        let value = |v: i64| if v == 0 { 1 } else { v };
        match arr.validity() {
            None => out.extend(arr.values().iter().map(|&v| value(v))),
            Some(valid) => out.extend(
                arr.values()
                    .iter()
                    .zip(valid.iter())
                    .map(|(&v, ok)| value(v) * i64::from(ok)),
            ),
        }
    }
    out
}

fn filters(col: &BinaryChunked, path: &Path) -> Result<Vec<Filter>, StageError> {
    col.iter()
        .enumerate()
        .map(|(row, v)| {
            let mut f = [0u64; STORED_WORDS];
            let Some(bytes) = v else { return Ok(f) };
            if bytes.len() != STORED_WORDS * 8 {
                return Err(refused(
                    path,
                    format!(
                        "row {}, column {BLOOM}: {} bytes, not the {} pseudonymise writes; {REMAKE}",
                        row + 1,
                        bytes.len(),
                        STORED_WORDS * 8
                    ),
                ));
            }
            for (w, chunk) in f.iter_mut().zip(bytes.chunks_exact(8)) {
                *w = u64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
            }
            Ok(f)
        })
        .collect()
}
