//! Why linkage refuses its input files, or the ground truth it is evaluated against.

use std::path::PathBuf;

/// Linkage refused its input, or could not write its output.
#[derive(Debug, thiserror::Error)]
pub enum LinkageError {
    /// Two files hold the same records of an organisation (a file sent twice).
    #[error(
        "{first} and {second} hold {records} of the same records of organisation {org} (equal record keys): a file sent twice would count its persons twice; keep one of them"
    )]
    SameRecords {
        first: String,
        second: String,
        records: u64,
        org: String,
    },
    /// The files of `input` cannot be linked together (other keys, encodings, report years);
    /// each problem is told.
    #[error("{}", .problems.join("; and "))]
    Mixed { input: PathBuf, problems: Vec<String> },
    /// The ground truth passed is a folder without the generator's records file.
    #[error(
        "{path}: a folder without the ground truth's records.parquet; pass the file the generator wrote, SAMPLE/truth/records.parquet"
    )]
    TruthFolder { path: PathBuf },
    /// The truth knows none of the records; `keys` are the records' key and `--key` when
    /// they differ (the likelier cause).
    #[error(
        "none of the {records} pseudonymised records is in {truth}: the key is not the one they were pseudonymised with{}, or the truth file belongs to another sample",
        fingerprints(.keys)
    )]
    TruthOfNone {
        truth: PathBuf,
        records: usize,
        keys: Option<(String, String)>,
    },
    /// The truth lacks some of the records: another sample's, or another key.
    #[error(
        "{missing} of the {records} pseudonymised records are not in {truth}: it is the truth of another sample, or the records were pseudonymised with another key. Pass the truth file of the sample these records were made from (SAMPLE/truth/records.parquet) and the key used"
    )]
    TruthOfOther {
        truth: PathBuf,
        missing: usize,
        records: usize,
    },
    /// The truth holds more records of these organisations than the work can account for.
    #[error(
        "{truth} holds {rows} records of these organisations and the work {matched} of them (at most {may_be_quarantined} more can have been quarantined): it is the truth of a larger sample. Pass the truth file of the sample these records were made from"
    )]
    TruthOfLarger {
        truth: PathBuf,
        rows: usize,
        matched: usize,
        may_be_quarantined: usize,
    },
    /// The embedded linkage.json has no resolution rule for an attribute column.
    #[error("linkage.json has no rule for {column}")]
    NoRule { column: String },
    /// The operating system gave no randomness for the person ids.
    #[error("random source failed: {0}")]
    NoRandomness(#[source] rand::rand_core::OsError),
    /// The record map's person ids cannot be gathered.
    #[error("{path}: {source}")]
    RecordMap {
        path: PathBuf,
        #[source]
        source: polars::error::PolarsError,
    },
}

fn fingerprints(keys: &Option<(String, String)>) -> String {
    keys.as_ref().map_or_else(String::new, |(records, given)| {
        format!(" (they were pseudonymised under key {records}, and --key is key {given})")
    })
}
