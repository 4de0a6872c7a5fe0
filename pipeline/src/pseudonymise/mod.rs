//! Pseudonymisation, run by each organisation on its own machine: validated records in,
//! records out that carry keyed match keys, blocking keys, keyed date parts, a hardened Bloom
//! filter, a keyed record key and the attributes, and no identifier at all.

mod batches;
mod births;
pub mod bloom;
mod cache;
mod checks;
mod encode;
pub mod normalise;
mod parts;
mod rows;
mod thai;

use batches::Batches;
pub(crate) use checks::first_foreign_answer;
use encode::RecordEncoder;
pub use encode::{
    BLOCK_KEYS, BLOCK_TOKENS, DATE_PARTS, Encoded, Encoder, FULL_DATE_BLOCK, Identifiers, MATCH_KEYS,
};
use parts::PartStore;
use rows::{Inputs, NameCodes, Names};

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use polars::prelude::{IdxCa, IdxSize, Int64Chunked, PlSmallStr};

use crate::error::{StageError, WorkFolderError};
use crate::key::LinkageKey;
use crate::parquet_io::{Coded, Kind, ParquetSink, code_text, read_coded, read_columns};
use crate::progress::Progress;
use crate::schema::Schema;

pub const STAGE: &str = "02-pseudonymise";
pub const FINGERPRINT: &str = "key_fingerprint";
/// The column naming how identifiers were normalised and encoded, and its value: files of two
/// encodings make different keys for the same name, so link refuses to mix them. Files
/// without the column are of encoding 1 (safetally 0.7 and before).
pub const ENCODING: &str = "encoding";
/// 2: Thai romanised by syllables, Arabic-script long vowels and article (safetally 0.8).
/// 3: the phonetic match key keeps h and where the vowels are (safetally 0.10).
/// 4: Thai written the popular way too, in filters and blocking keys; แก้ว before more
/// letters is kaeo, not kwae (safetally 0.28).
pub const ENCODING_VERSION: &str = "4";
pub const RECORD_KEY: &str = "record_key";
pub const RELATED_KEY: &str = "related_record_key";
pub const BLOOM: &str = "name_bloom";

/// The attribute columns carried through (contact kind and every non-identifier answer).
pub fn attribute_columns(schema: &Schema) -> Vec<&str> {
    schema.attribute_columns()
}

/// The validated columns pseudonymise reads besides the answers.
pub const IDENTIFIER_COLUMNS: [&str; 8] = [
    "org_id",
    "report_year",
    "record_id",
    "related_record_id",
    "personal_number",
    "given_name",
    "family_name",
    "birth_date",
];

/// The identifiers read as codes into the file's distinct values where it has them.
const NAME_COLUMNS: [&str; 3] = ["given_name", "family_name", "birth_date"];

/// The columns of a pseudonymised file, in order.
pub fn output_columns(schema: &Schema) -> Vec<(&str, Kind)> {
    let mut cols: Vec<(&str, Kind)> = vec![
        (FINGERPRINT, Kind::Str),
        (ENCODING, Kind::Str),
        ("org_id", Kind::Str),
        ("report_year", Kind::Int),
        (RECORD_KEY, Kind::Str),
        (RELATED_KEY, Kind::Str),
    ];
    cols.extend(attribute_columns(schema).into_iter().map(|c| (c, Kind::Str)));
    cols.extend(
        MATCH_KEYS
            .iter()
            .chain(BLOCK_KEYS.iter())
            .chain(DATE_PARTS.iter())
            .map(|c| (*c, Kind::Int)),
    );
    cols.push((BLOOM, Kind::Bin));
    cols
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OrgPseudo {
    pub records: u64,
    /// How many records got each match key (a key needs complete inputs).
    pub keys_made: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PseudoReport {
    pub key_fingerprint: String,
    /// How names were normalised (`ENCODING_VERSION`); link needs every file of one encoding.
    #[serde(default)]
    pub encoding: String,
    pub orgs: BTreeMap<String, OrgPseudo>,
}

impl PseudoReport {
    pub fn summary(&self) -> String {
        let records: u64 = self.orgs.values().map(|o| o.records).sum();
        let mut keys: BTreeMap<&str, u64> = BTreeMap::new();
        for o in self.orgs.values() {
            for (k, n) in &o.keys_made {
                *keys.entry(k.as_str()).or_default() += n;
            }
        }
        let per_key: Vec<String> = MATCH_KEYS
            .iter()
            .map(|k| format!("{k} {}", keys.get(k).copied().unwrap_or(0)))
            .collect();
        let empty: Vec<&str> = self
            .orgs
            .iter()
            .filter(|(_, o)| o.records == 0)
            .map(|(org, _)| org.as_str())
            .collect();
        let warning = if empty.is_empty() {
            String::new()
        } else {
            format!(
                " Warning: no record of {}: ingest accepted none of its rows (its validation report says why); sent as it is, the organisation would count as having met nobody.",
                empty.join(", ")
            )
        };
        format!(
            "Pseudonymise wrote {records} records of {} organisation(s) under key {} (encoding {}); no name, birth date, personal number or record id is in the output. Records with each match key: {}.{warning}",
            self.orgs.len(),
            self.key_fingerprint,
            self.encoding,
            per_key.join(", ")
        )
    }
}

/// Pseudonymises every validated file in `input` into `out`, one file per organisation.
/// Files go one after another; within a file, rows are split between the cores.
pub fn pseudonymise_dir(
    schema: &Schema,
    key: &LinkageKey,
    input: &Path,
    out: &Path,
    progress: &Progress,
) -> Result<PseudoReport, StageError> {
    pseudonymise_in_segments(schema, key, input, out, progress, SEGMENT)
}

/// `pseudonymise_dir`, resolving the names of `segment` rows at a time (the output is the
/// same whatever the segment; the tests use small ones).
pub fn pseudonymise_in_segments(
    schema: &Schema,
    key: &LinkageKey,
    input: &Path,
    out: &Path,
    progress: &Progress,
    segment: usize,
) -> Result<PseudoReport, StageError> {
    let files = crate::stage::list_parquet(input)?;
    if files.is_empty() {
        return Err(WorkFolderError::NothingToRead {
            path: input.to_path_buf(),
            problem: "no validated files to pseudonymise: `safetally ingest` has not run, or accepted no row (its validation-report.txt says why)",
        }
        .into());
    }
    let bar = progress.bar(files.len() as u64, "pseudonymise");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Each core keeps its own encoder, and so its own caches of keyed values, for the whole
    // run; name parts are kept once for all of them.
    let encoders: Vec<Mutex<RecordEncoder>> = (0..threads)
        .map(|_| Mutex::new(RecordEncoder::new(key)))
        .collect();
    let mut store = PartStore::new(key);
    let mut report = PseudoReport {
        key_fingerprint: key.fingerprint(),
        encoding: ENCODING_VERSION.to_string(),
        orgs: BTreeMap::new(),
    };
    // A file's last row group is written while the next file is read and encoded: most
    // organisations' files are smaller than one row group, so otherwise the cores would wait
    // for every file's writing.
    std::thread::scope(|s| {
        let mut finishing: Option<std::thread::ScopedJoinHandle<_>> = None;
        let mut finished = |h: Option<std::thread::ScopedJoinHandle<'_, _>>| -> Result<(), StageError> {
            if let Some(h) = h {
                let (org, stats) = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))?;
                report.orgs.insert(org, stats);
                bar.inc(1);
            }
            Ok(())
        };
        for path in &files {
            let batches = pseudonymise_file(schema, key, (&encoders, &mut store, segment.max(1)), path, out)
                .map_err(not_validated)?;
            finished(finishing.take())?;
            finishing = Some(s.spawn(move || batches.finish()));
        }
        finished(finishing.take())
    })?;
    bar.finish_and_clear();
    Ok(report)
}

/// A file that cannot be read as a validated file: what to do about it.
fn not_validated(e: StageError) -> StageError {
    match e {
        StageError::ParquetRead { path, message } => StageError::ParquetRead {
            path,
            // The advice first: what polars says of a column's type means little to staff.
            message: format!(
                "not a file ingest has validated. Pseudonymise reads those (WORK/01-ingest/validated): \
                 run `safetally ingest` on the organisation's own files and pseudonymise its output \
                 (what did not fit: {message})"
            ),
        },
        e => e,
    }
}

/// Rows per row group written (bounds memory on large files), and rows per unit of work
/// handed to a core: small enough that the cores finish a file together and the writer runs
/// beside them, large enough that the keyed hashes fill their SIMD lanes.
const BATCH: usize = 1 << 18;
const CHUNK: usize = 1 << 14;
/// Rows whose names are resolved together before they are encoded: bounds the parts held
/// beside a full store (at most two per row) whatever the size of a file.
const SEGMENT: usize = 1 << 19;

fn pseudonymise_file(
    schema: &Schema,
    key: &LinkageKey,
    (encoders, store, segment): (&[Mutex<RecordEncoder>], &mut PartStore, usize),
    path: &Path,
    out: &Path,
) -> Result<Batches, StageError> {
    let read_err = |message: String| StageError::ParquetRead {
        path: path.to_path_buf(),
        message,
    };
    let org_name = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    // Answers are carried through as dictionary codes, read straight from the file's
    // dictionary pages where it has them, like organisations, names and birth dates; the other
    // identifiers and any column without dictionary pages are read as text.
    let attr_names = attribute_columns(schema);
    let mut owned: Vec<String> = attr_names.iter().map(|n| n.to_string()).collect();
    owned.extend(NAME_COLUMNS.iter().map(|n| n.to_string()));
    owned.push("org_id".into());
    let mut coded = read_coded(path, &owned).map_err(read_err)?;
    let mut org_coded = coded.pop().flatten();
    let mut name_coded = coded.split_off(attr_names.len());
    let mut wanted: Vec<&str> = IDENTIFIER_COLUMNS.to_vec();
    wanted.retain(|c| {
        !NAME_COLUMNS
            .iter()
            .zip(&name_coded)
            .any(|(n, coded)| n == c && coded.is_some())
    });
    wanted.extend(
        attr_names
            .iter()
            .zip(&coded)
            .filter(|(_, c)| c.is_none())
            .map(|(n, _)| *n),
    );
    let df = read_columns(path, &wanted)?;
    // Rows leave in an order of their own (see `row_order`), never the organisation's.
    // (The columns are checked first, so that a bad one is named with its file.)
    let order = row_order(key, &org_name, Inputs::new(&df, path)?.year);
    let df = df
        .take(&IdxCa::from_vec(PlSmallStr::EMPTY, order.clone()))
        .map_err(|e| read_err(format!("reordering the rows: {e}")))?;
    // Every coded column renumbered in the new order: a dictionary in the order values
    // first appear in the organisation's file would tell that order again (the first answer
    // of each column is the first row's), and the encoder meets names as it resolved them.
    for c in coded.iter_mut().chain(&mut name_coded).chain([&mut org_coded]) {
        *c = c.take().map(|c| c.reordered(&order));
    }
    let inputs = Inputs::new(&df, path)?;
    let col = |n: &str| rows::str_col(&df, n, path);
    // A column without dictionary pages throughout is coded from its text.
    let coded_or_text = |n: &str, c: &mut Option<Coded>| c.take().map_or_else(|| col(n).map(code_text), Ok);
    let attrs: Vec<Coded> = attr_names
        .iter()
        .zip(&mut coded)
        .map(|(n, c)| coded_or_text(n, c))
        .collect::<Result<_, _>>()?;
    let org = org_coded.unwrap_or_else(|| code_text(inputs.org));
    checks::answers_are_codes(schema, path, (&attr_names, &attrs), &org, &order)?;
    checks::record_ids_unique(path, (inputs.year, inputs.rid), &order)?;
    let mut name = |i: usize| coded_or_text(NAME_COLUMNS[i], &mut name_coded[i]);
    let codes = NameCodes {
        given: name(0)?,
        family: name(1)?,
        birth: name(2)?,
    };
    let mut batches = Batches {
        sink: ParquetSink::create(&out.join(format!("{org_name}.parquet")), &output_columns(schema))?,
        fingerprint: key.fingerprint(),
        org,
        attrs,
        attr_names: attr_names.into_iter().map(String::from).collect(),
        year: inputs.year.clone(),
        org_name,
        ends: batches::group_ends(df.height(), BATCH),
        groups: 0,
        written: 0,
        waiting: Vec::new(),
        stats: OrgPseudo::default(),
    };
    for start in (0..df.height()).step_by(segment) {
        let rows = start..(start + segment).min(df.height());
        let names = Names::for_rows(store, &codes, &rows);
        encode_segment(encoders, &*store, (&inputs, &names), rows, &mut batches)?;
    }
    Ok(batches)
}

/// The order rows leave in: a permutation of the file's rows drawn from a generator seeded by
/// a keyed hash of the organisation, its report years and the number of rows. Files are often sorted, by case
/// number, date of first contact or name; in that order the platform could tell roughly when a
/// pseudonymised person was met, or the first letter of their family name, and use it against
/// the Bloom filters. Keyed, the order says nothing without the secret, and the same file gives
/// the same output (a rerun changes nothing downstream).
fn row_order(key: &LinkageKey, org: &str, years: &Int64Chunked) -> Vec<IdxSize> {
    use rand::{Rng, SeedableRng};
    let rows = years.len();
    // Another year's file of as many rows gets another order.
    let (first, last) = years
        .iter()
        .flatten()
        .fold((i64::MAX, i64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let seed = key.purpose("row-order").digest(&[
        org.as_bytes(),
        &(rows as u64).to_le_bytes(),
        &first.to_le_bytes(),
        &last.to_le_bytes(),
    ]);
    let mut rng = rand_chacha::ChaCha8Rng::from_seed(seed);
    let mut order: Vec<IdxSize> = (0..rows as IdxSize).collect();
    for i in (1..order.len()).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    order
}

/// Encodes a segment of a file's rows on every core, handing them to the writer in order.
fn encode_segment(
    encoders: &[Mutex<RecordEncoder>],
    store: &PartStore,
    input: (&Inputs, &Names),
    segment: std::ops::Range<usize>,
    batches: &mut Batches,
) -> Result<(), StageError> {
    // Several units of work per core even in a small file, so that no core is left waiting
    // for another's last unit.
    let threads = encoders.len().max(1);
    let chunk = (segment.len() / (threads * 8)).clamp(1024, CHUNK);
    // No unit of work spans two row groups of the output (see `Batches::take`).
    let mut chunks: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = segment.start;
    let mut ends = batches.ends.iter().copied().peekable();
    while start < segment.end {
        while ends.next_if(|&e| e <= start).is_some() {}
        let end = (start + chunk)
            .min(segment.end)
            .min(ends.peek().copied().unwrap_or(usize::MAX));
        chunks.push(start..end);
        start = end;
    }
    let work = |rows: &std::ops::Range<usize>| {
        // As many encoders as cores, each held by one core at a time: one is free.
        let mut enc = encoders
            .iter()
            .find_map(|m| m.try_lock().ok())
            .unwrap_or_else(|| {
                encoders[0]
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            });
        rows::encode_rows(&mut enc, store, input, rows.clone())
    };
    crate::parallel::stream_ordered(&chunks, work, |_, rows| batches.take(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An organisation none of whose rows ingest accepted writes a file of no records, which
    /// would report nobody: the summary says so, naming it (it said "wrote 0 records" only).
    #[test]
    fn the_summary_warns_of_an_organisation_without_records() {
        let mut report = PseudoReport::default();
        report.orgs.insert(
            "SAMPLE01".into(),
            OrgPseudo {
                records: 3,
                ..Default::default()
            },
        );
        assert!(!report.summary().contains("Warning"));
        report.orgs.insert("SAMPLE02".into(), OrgPseudo::default());
        let text = report.summary();
        assert!(
            text.contains("Warning: no record of SAMPLE02") && !text.contains("of SAMPLE01"),
            "{text}"
        );
    }
}
