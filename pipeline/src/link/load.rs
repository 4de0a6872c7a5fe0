//! Reads every organisation's pseudonymised file into compact columns in memory, refusing
//! files made under different keys (they could never link) and naming them.
//!
//! Compact because linkage runs on tens of millions of records: keys are plain `i64` with 0
//! for "missing", Bloom filters are fixed arrays, record keys are 16 bytes, and answers are
//! dictionary codes (a code list has a few dozen values, so a record costs 4 bytes a column,
//! not a heap string).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::StageError;
pub use crate::parquet_io::Coded;
use crate::parquet_io::{code_text, read_coded, read_columns};
use crate::pseudonymise::bloom::STORED_WORDS;
use crate::pseudonymise::{
    BLOCK_KEYS, BLOCK_TOKENS, BLOOM, DATE_PARTS, ENCODING, FINGERPRINT, MATCH_KEYS, RECORD_KEY,
    attribute_columns, output_columns,
};
use crate::schema::Schema;

/// A stored Bloom filter; all zeros means the record had no name (a real filter is balanced,
/// so it always has ones).
pub type Filter = [u64; STORED_WORDS];

/// All records of all organisations, column-wise; record i is index i everywhere.
#[derive(Default)]
pub struct Records {
    pub orgs: Vec<String>,
    pub org: Vec<u16>,
    pub report_year: Vec<i64>,
    /// Record keys as the files hold them (hex text), kept as read: no per-record copy.
    pub record_key: StringChunked,
    /// Keys as `key_values` makes them: 0 for none.
    pub match_keys: Vec<Vec<i64>>,
    /// The fuzzy step's blocking keys, `BLOCKS` columns (see `with_token_years`).
    pub block_keys: Vec<Vec<i64>>,
    pub date_parts: Vec<Vec<i64>>,
    pub bloom: Vec<Filter>,
    /// Answers per attribute column (same order as `attribute_columns`).
    pub attrs: Vec<Coded>,
    pub attr_names: Vec<String>,
    pub fingerprint: String,
    /// Files in the input folder that are not Parquet, so not read (besides pseudonymise's
    /// own report): a submission or a file saved under another name would be left out.
    pub not_read: Vec<String>,
    /// Pseudonymised files of no records: their organisation counts as having reported nobody.
    pub empty_files: Vec<String>,
}

impl Records {
    pub fn len(&self) -> usize {
        self.org.len()
    }

    pub fn is_empty(&self) -> bool {
        self.org.is_empty()
    }

    pub fn attr(&self, name: &str) -> Option<&Coded> {
        self.attr_names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.attrs[i])
    }

    /// Whether the fuzzy step's columns were loaded (see `load_for`).
    pub fn has_fuzzy_columns(&self) -> bool {
        self.bloom.len() == self.len()
    }

    /// The record key as the pseudonymised file wrote it.
    pub fn record_key_hex(&self, i: usize) -> String {
        self.record_key.get(i).unwrap_or_default().to_string()
    }

    fn empty(attr_names: Vec<String>) -> Self {
        Records {
            match_keys: vec![Vec::new(); MATCH_KEYS.len()],
            block_keys: vec![Vec::new(); BLOCKS],
            date_parts: vec![Vec::new(); DATE_PARTS.len()],
            attrs: vec![Coded::new(); attr_names.len()],
            attr_names,
            ..Default::default()
        }
    }

    /// Room for `n` records in every column, so appending the parts copies each value once
    /// instead of regrowing gigabyte vectors.
    fn reserve(&mut self, n: usize, fuzzy: bool) {
        self.org.reserve_exact(n);
        self.report_year.reserve_exact(n);
        for c in &mut self.match_keys {
            c.reserve_exact(n);
        }
        for c in &mut self.date_parts {
            c.reserve_exact(n);
        }
        if fuzzy {
            for c in &mut self.block_keys {
                c.reserve_exact(n);
            }
            self.bloom.reserve_exact(n);
        }
        for a in &mut self.attrs {
            a.codes.reserve_exact(n);
        }
    }

    /// Appends another part (one file), translating its organisations and answer codes.
    fn append(&mut self, other: Records) -> Result<(), String> {
        let org_map = self.org_map(&other.orgs)?;
        self.org.extend(other.org.iter().map(|&o| org_map[o as usize]));
        self.report_year.extend(other.report_year);
        self.record_key
            .append_owned(other.record_key)
            .map_err(|e| e.to_string())?;
        for (a, b) in [
            (&mut self.match_keys, other.match_keys),
            (&mut self.block_keys, other.block_keys),
            (&mut self.date_parts, other.date_parts),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                x.extend(y);
            }
        }
        self.bloom.extend(other.bloom);
        for (x, y) in self.attrs.iter_mut().zip(other.attrs) {
            x.append(y);
        }
        Ok(())
    }

    /// This part's organisation codes in the whole: organisations new to it are added.
    fn org_map(&mut self, orgs: &[String]) -> Result<Vec<u16>, String> {
        let new = orgs.iter().filter(|o| !self.orgs.contains(o)).count();
        if self.orgs.len() + new > usize::from(u16::MAX) {
            return Err("more than 65 535 organisations in all".into());
        }
        Ok(orgs
            .iter()
            .map(|o| match self.orgs.iter().position(|x| x == o) {
                Some(i) => i as u16,
                None => {
                    self.orgs.push(o.clone());
                    (self.orgs.len() - 1) as u16
                }
            })
            .collect())
    }
}

/// What to do about a file that pseudonymise did not write as it stands.
const REMAKE: &str = "the file was not written by `safetally pseudonymise` or was changed since; ask the organisation to pseudonymise its records again";

fn err(path: &Path, e: impl std::fmt::Display) -> StageError {
    StageError::ParquetRead {
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
        return Err(StageError::Input(format!(
            "{}: no pseudonymised files to link; run pseudonymise first",
            input.display()
        )));
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
        return Err(StageError::Input(problems.join("; and ")));
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
        return Err(StageError::Input(format!(
            "{}: the pseudonymised files hold no records",
            input.display()
        )));
    }
    Ok(r)
}

/// A file's key fingerprints, its encodings (`pseudonymise::ENCODING`) and its records.
type Part = (Vec<String>, Vec<String>, Records);

/// Refuses files that hold the same records (equal record keys: the same organisation, year
/// and record id), which a file sent twice or a copy left in the folder does; linked, each
/// of its persons would count twice where no two records can be merged (no identifiers).
/// Only organisations that appear in more than one file are checked, so the usual folder of
/// one file per organisation costs nothing.
fn refuse_repeated_records(
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
            return Err(StageError::Input(format!(
                "{} and {} hold {n} of the same records of organisation {org} (equal record keys): a file sent twice would count its persons twice; keep one of them",
                name(a),
                name(b)
            )));
        }
    }
    Ok(())
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

/// A file without the columns pseudonymise writes is refused before it is read, saying what
/// it is: an organisation's validated file (still with names) or something else. Otherwise,
/// whether it names its encoding (files of safetally 0.7 and before do not).
fn refuse_unpseudonymised(path: &Path, columns: &[&str], known: &[&str]) -> Result<bool, StageError> {
    let mut f = std::fs::File::open(path).map_err(|e| StageError::io(path, e))?;
    let meta =
        polars_parquet::read::read_metadata(&mut f).map_err(|e| err(path, format!("{e}; {REMAKE}")))?;
    let schema =
        polars_parquet::read::infer_schema(&meta).map_err(|e| err(path, format!("{e}; {REMAKE}")))?;
    let has = |n: &str| schema.iter_values().any(|f| f.name.as_str() == n);
    let missing: Vec<&str> = columns.iter().copied().filter(|c| !has(c)).collect();
    if !missing.is_empty() {
        if has("given_name") || has("record_id") {
            return Err(err(
                path,
                "this is an organisation's validated file, with names and record ids, not a pseudonymised one; link reads what `safetally pseudonymise` writes (the 02-pseudonymise folder)".to_string(),
            ));
        }
        return Err(err(path, format!("no column {}; {REMAKE}", missing.join(", "))));
    }
    // A column pseudonymise never wrote could hold anything, names included: the platform
    // would keep it without knowing, so the file is refused rather than read around it.
    let foreign: Vec<&str> = schema
        .iter_values()
        .map(|f| f.name.as_str())
        .filter(|n| !known.contains(n) && !OLDER_COLUMNS.contains(n))
        .collect();
    if !foreign.is_empty() {
        return Err(err(
            path,
            format!(
                "column(s) {} are not written by `safetally pseudonymise` and could hold anything, names included; remove them, or {REMAKE}",
                foreign.join(", ")
            ),
        ));
    }
    Ok(has(ENCODING))
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
        return Err(err(
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
        return Err(err(
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
/// Refuses a file whose organisations, years, record keys or answers are not what pseudonymise
/// writes, naming the row and column but never the value: a file edited by hand (or made by
/// another program) could hold a name or a personal number where an answer belongs, and
/// link's outputs and later error messages would carry it on.
fn refuse_foreign_values(schema: &Schema, path: &Path, r: &Records) -> Result<(), StageError> {
    let bad = |row: usize, column: &str, what: &str| {
        err(
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
        Some(r) => Err(err(
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

fn read_part(
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
    let has_encoding = refuse_unpseudonymised(path, &required, known)?;
    if has_encoding {
        coded_names.insert(1, ENCODING.to_string());
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
        return Err(err(
            path,
            format!("row {}, column org_id: blank; {REMAKE}", row + 1),
        ));
    }
    if org.values.len() > usize::from(u16::MAX) {
        return Err(err(path, "more than 65 534 organisations in one file"));
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
        return Err(err(
            path,
            format!("row {}, column {RECORD_KEY}: blank; {REMAKE}", row + 1),
        ));
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

/// Blocking keys in memory: the full date, each name part's skeleton paired with the birth
/// year, each skeleton alone.
pub const BLOCKS: usize = 1 + 2 * BLOCK_TOKENS;
/// The keyed birth year among the date parts.
const YEAR_PART: usize = 0;

/// The stored blocking keys (the full date, then the skeletons) with each skeleton's key
/// paired with the record's keyed birth year in between. The pair is made here, not keyed
/// by pseudonymise: it is a function of two columns the platform holds anyway, so it tells
/// the platform nothing more, and pseudonymise saves a keyed hash and 40 bytes per record.
/// For one year, different skeletons always give different pairs (`pair_key` is a bijection
/// of the skeleton's key); across years two pairs meet by chance only (2^-64).
fn with_token_years(stored: Vec<Vec<i64>>, year: &[i64]) -> Vec<Vec<i64>> {
    let mut stored = stored.into_iter();
    let date = stored.next().unwrap_or_default();
    let skeletons: Vec<Vec<i64>> = stored.collect();
    let mut out = Vec::with_capacity(BLOCKS);
    out.push(date);
    for t in &skeletons {
        out.push(t.iter().zip(year).map(|(&t, &y)| pair_key(t, y)).collect());
    }
    out.extend(skeletons);
    out
}

/// A skeleton's key with a year's (0 where either is missing).
fn pair_key(token: i64, year: i64) -> i64 {
    if token == 0 || year == 0 {
        return 0;
    }
    // MurmurHash3's 64-bit finaliser, a bijection, of the token's key shifted by the year's.
    let mut h = token as u64 ^ (year as u64).rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h.max(1) as i64
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
                return Err(err(
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The pairs made at the platform block exactly as keyed (skeleton, year) pairs would:
    /// equal for one skeleton in one year, different for another skeleton or another year,
    /// absent where the skeleton or the year is.
    #[test]
    fn a_skeleton_paired_with_the_year_blocks_like_the_pair_itself() {
        let (anna, sven) = (0x1234_5678_9abc_def0_u64 as i64, -42);
        let (y1990, y1991) = (7_777_777, -7_777_777);
        let date = vec![11, 11, 11, 11, 11, 0];
        let first = vec![anna, anna, anna, sven, anna, anna];
        let year = [y1990, y1990, y1991, y1990, 0, y1990];
        let empty = vec![0; year.len()];
        let mut stored = vec![date.clone(), first.clone()];
        stored.extend(std::iter::repeat_n(empty.clone(), BLOCK_TOKENS - 1));
        let keys = with_token_years(stored, &year);
        assert_eq!(keys.len(), BLOCKS);
        assert_eq!(keys[0], date, "the full date first");
        assert_eq!(
            keys[1 + BLOCK_TOKENS],
            first,
            "the skeletons as stored, after the pairs"
        );
        let ty = &keys[1];
        assert_eq!(ty[0], ty[1], "one skeleton, one year");
        assert_eq!(ty[0], ty[5], "the full date plays no part");
        assert!(ty[0] != ty[2] && ty[0] != ty[3], "another year, another skeleton");
        assert!(ty[..4].iter().all(|&k| k != 0 && k != anna && k != sven));
        assert_eq!(ty[4], 0, "no year, no pair");
        assert!(
            keys[2..=BLOCK_TOKENS].iter().all(|k| *k == empty),
            "no skeleton, no pair"
        );
        // For one year, no two of many skeletons' keys meet.
        let many: Vec<i64> = (1..=100_000).collect();
        let mut pairs: Vec<i64> = many.iter().map(|&t| pair_key(t, y1990)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), many.len());
    }
}
