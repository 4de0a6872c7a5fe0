//! Refusals of files link must not read: files pseudonymise did not write, values it never
//! writes, and records that another file, or the same file, holds too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::records::Records;
use super::{REMAKE, err, refused};
use crate::error::{LinkageError, StageError};
use crate::pseudonymise::{ENCODING, RECORD_KEY, RELATED_KEY};
use crate::schema::Schema;

/// Refuses files that hold the same records (equal record keys: the same organisation, year
/// and record id), which a file sent twice or a copy left in the folder does; linked, each
/// of its persons would count twice where no two records can be merged (no identifiers).
/// Only organisations that appear in more than one file are checked, so the usual folder of
/// one file per organisation costs nothing.
pub(super) fn refuse_repeated_records(
    r: &Records,
    (input, files): (&Path, &[PathBuf]),
    spans: &[(std::ops::Range<usize>, Vec<String>)],
) -> Result<(), StageError> {
    let mut files_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (f, (_, orgs)) in spans.iter().enumerate() {
        for o in orgs {
            files_of.entry(o.as_str()).or_default().push(f);
        }
    }
    let name = |f: usize| crate::stage::relative(input, &files[f]);
    for (org, fs) in files_of.iter().filter(|(_, fs)| fs.len() > 1) {
        let mut first: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let mut repeated: BTreeMap<(usize, usize), u64> = BTreeMap::new();
        for &f in fs {
            for i in spans[f].0.clone() {
                if r.orgs[r.org[i] as usize] != *org {
                    continue;
                }
                let Some(key) = r.record_key.get(i) else {
                    continue;
                };
                match first.get(key) {
                    Some(&g) => *repeated.entry((g, f)).or_default() += 1,
                    None => {
                        first.insert(key, f);
                    }
                }
            }
        }
        if let Some((&(a, b), n)) = repeated.iter().next() {
            return Err(LinkageError::SameRecords {
                first: name(a),
                second: name(b),
                records: *n,
                org: org.to_string(),
            }
            .into());
        }
    }
    Ok(())
}

/// A file without the columns pseudonymise writes is refused before it is read, saying what
/// it is: an organisation's validated file (still with names) or something else. Otherwise,
/// whether it names its encoding (files of safetally 0.7 and before do not) and whether it
/// has the related records' keys.
pub(super) fn refuse_unpseudonymised(
    path: &Path,
    columns: &[&str],
    known: &[&str],
) -> Result<(bool, bool), StageError> {
    let mut f = std::fs::File::open(path).map_err(|e| StageError::io(path, e))?;
    let meta =
        polars_parquet::read::read_metadata(&mut f).map_err(|e| err(path, format!("{e}; {REMAKE}")))?;
    let schema =
        polars_parquet::read::infer_schema(&meta).map_err(|e| err(path, format!("{e}; {REMAKE}")))?;
    let has = |n: &str| schema.iter_values().any(|f| f.name.as_str() == n);
    let missing: Vec<&str> = columns.iter().copied().filter(|c| !has(c)).collect();
    if !missing.is_empty() {
        if has("given_name") || has("record_id") {
            return Err(refused(
                path,
                "this is an organisation's validated file, with names and record ids, not a pseudonymised one; link reads what `safetally pseudonymise` writes (the 02-pseudonymise folder)".to_string(),
            ));
        }
        return Err(refused(
            path,
            format!("no column {}; {REMAKE}", missing.join(", ")),
        ));
    }
    // A column pseudonymise never wrote could hold anything, names included: the platform
    // would keep it without knowing, so the file is refused rather than read around it.
    let foreign: Vec<&str> = schema
        .iter_values()
        .map(|f| f.name.as_str())
        .filter(|n| !known.contains(n) && !OLDER_COLUMNS.contains(n))
        .collect();
    if !foreign.is_empty() {
        return Err(refused(
            path,
            format!(
                "column(s) {} are not written by `safetally pseudonymise` and could hold anything, names included; remove them, or {REMAKE}",
                foreign.join(", ")
            ),
        ));
    }
    Ok((has(ENCODING), has(RELATED_KEY)))
}

/// Keyed columns earlier versions of pseudonymise wrote and link no longer reads (and the row
/// index pandas adds to a file it saves): passed over.
const OLDER_COLUMNS: [&str; 10] = [
    "mk_name_dob",
    "mk_sorted_dob",
    "blk_ty1",
    "blk_ty2",
    "blk_ty3",
    "blk_ty4",
    "blk_ty5",
    "dob_m",
    "dob_d",
    "__index_level_0__",
];

/// Refuses a file whose organisations, years, record keys or answers are not what pseudonymise
/// writes, naming the row and column but never the value: a file edited by hand (or made by
/// another program) could hold a name or a personal number where an answer belongs, and
/// link's outputs and later error messages would carry it on.
pub(super) fn refuse_foreign_values(schema: &Schema, path: &Path, r: &Records) -> Result<(), StageError> {
    let bad = |row: usize, column: &str, what: &str| {
        refused(
            path,
            format!(
                "row {}, column {column}: {what} (the value is not shown: it may be personal); {REMAKE}",
                row + 1
            ),
        )
    };
    if let Some(o) = r.orgs.iter().position(|o| schema.member(o).is_none()) {
        let row = r.org.iter().position(|&c| usize::from(c) == o).unwrap_or(0);
        return Err(bad(
            row,
            "org_id",
            "not an organisation of the member register (schemas/members.csv)",
        ));
    }
    let this_year = i64::from(crate::dates::current_year());
    if let Some(row) = r.report_year.iter().position(|y| !(1900..=this_year).contains(y)) {
        return Err(bad(
            row,
            "report_year",
            "not a report year from 1900 to this year",
        ));
    }
    if let Some(row) = r.record_key.iter().position(|k| !k.is_some_and(hex_key)) {
        return Err(bad(
            row,
            RECORD_KEY,
            "not a keyed record hash (32 hexadecimal digits)",
        ));
    }
    refuse_repeated_in_file(path, &r.record_key)?;
    for (name, answers) in r.attr_names.iter().zip(&r.attrs) {
        if let Some(row) = crate::pseudonymise::first_foreign_answer(schema, name, answers) {
            return Err(bad(row, name, "not a code of the column's code list"));
        }
    }
    Ok(())
}

/// Refuses a related record's key that is not a keyed record hash, or that names its own
/// row: link does not use the keys, but a value edited into the column (a direct victim's
/// name or record id) would stay in the platform's files unseen. A key naming no row of the
/// file is allowed, as ingest keeps a row whose direct row it quarantined.
pub(super) fn refuse_foreign_related(
    path: &Path,
    keys: &StringChunked,
    related: &StringChunked,
) -> Result<(), StageError> {
    let found = related
        .iter()
        .zip(keys.iter())
        .enumerate()
        .find_map(|(row, (rel, own))| {
            let rel = rel?;
            if !hex_key(rel) {
                Some((row, "not a keyed record hash (32 hexadecimal digits)"))
            } else if Some(rel) == own {
                Some((row, "the row's own record key: a related record is another row"))
            } else {
                None
            }
        });
    match found {
        None => Ok(()),
        Some((row, what)) => Err(refused(
            path,
            format!(
                "row {}, column {RELATED_KEY}: {what} (the value is not shown: it may be personal); {REMAKE}",
                row + 1
            ),
        )),
    }
}

/// 32 hexadecimal digits, as a record key is written. Every byte is looked at without an early
/// exit, so that the compiler checks the 32 side by side: byte by byte, the check of 10 million
/// keys took 1.6 s of link's 16 s of CPU.
fn hex_key(k: &str) -> bool {
    let Ok(bytes) = <&[u8; 32]>::try_from(k.as_bytes()) else {
        return false;
    };
    bytes.iter().fold(true, |ok, &b| {
        let lower = b | 0x20;
        ok & ((b.wrapping_sub(b'0') < 10) | (lower.wrapping_sub(b'a') < 6))
    })
}

/// Refuses a file that holds one record twice (equal record keys: the same organisation,
/// report year and record id). Pseudonymise never writes one, as ingest quarantines a repeated
/// record id; linked, a repeated record without match keys would count as two persons.
fn refuse_repeated_in_file(path: &Path, keys: &StringChunked) -> Result<(), StageError> {
    match crate::repeats::first_repeat(|| keys.iter()) {
        None => Ok(()),
        Some(r) => Err(refused(
            path,
            format!(
                "rows {} and {} hold the same record (equal record keys: one organisation, report year and record id), and {} row(s) in all repeat an earlier one; each would count as a person of its own where nothing else links them; {REMAKE}",
                r.first + 1,
                r.again + 1,
                r.rows
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A related key is blank, or another row's keyed hash; a value of another form, or the
    /// row's own key, is refused naming the row and not the value.
    #[test]
    fn a_related_key_is_another_rows_keyed_hash() {
        let (a, b) = (
            "0123456789abcdef0123456789abcdef",
            "fedcba9876543210fedcba9876543210",
        );
        let keys = StringChunked::new("k".into(), [Some(a), Some(b), Some(a)]);
        let path = Path::new("ORG.parquet");
        let related = |v: [Option<&str>; 3]| StringChunked::new("r".into(), v);
        assert!(refuse_foreign_related(path, &keys, &related([None, Some(a), None])).is_ok());
        let e = refuse_foreign_related(path, &keys, &related([None, None, Some("Ingrid Berg")]))
            .expect_err("a name is refused")
            .to_string();
        assert!(
            e.contains("ORG.parquet") && e.contains("row 3, column related_record_key: not a keyed"),
            "{e}"
        );
        assert!(!e.contains("Ingrid"), "{e}");
        let e = refuse_foreign_related(path, &keys, &related([Some(a), None, None]))
            .expect_err("its own key is refused")
            .to_string();
        assert!(
            e.contains("row 1, column related_record_key: the row's own"),
            "{e}"
        );
    }

    /// The branch-free check agrees with the standard library's on every byte in every place.
    #[test]
    fn a_record_key_is_32_hexadecimal_digits() {
        let good = "0123456789abcdefABCDEF0123456789";
        assert!(hex_key(good));
        assert!(!hex_key(&good[1..]) && !hex_key(&format!("{good}0")) && !hex_key(""));
        for at in [0, 17, 31] {
            for b in 0u8..128 {
                let mut k = good.as_bytes().to_vec();
                k[at] = b;
                let k = String::from_utf8(k).expect("ASCII");
                assert_eq!(hex_key(&k), b.is_ascii_hexdigit(), "byte {b} at {at}");
            }
        }
        let accented = "0123456789abcdefABCDEF01234567é";
        assert_eq!(accented.len(), 32);
        assert!(!hex_key(accented));
    }
}
