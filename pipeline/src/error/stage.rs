//! Errors of a pipeline stage as a whole (work directory, outputs, manifests), grouped by
//! what went wrong; each group names the file, folder, table or ledger involved.

use std::path::PathBuf;

use super::{
    InternalError, LedgerUseError, LinkageError, ReleaseError, SampleError, SchemaError, TableError,
    WorkFolderError,
};

/// Errors of a pipeline stage as a whole (work directory, outputs, manifests).
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot write Parquet: {message}")]
    ParquetWrite { path: PathBuf, message: String },
    #[error("{path}: cannot read Parquet: {message}")]
    ParquetRead { path: PathBuf, message: String },
    /// A Parquet file that could be read but is not what the stage that should have written
    /// it writes (a column or value edited in, a record twice): refused, naming row and column.
    #[error("{path}: refused: {message}")]
    Refused { path: PathBuf, message: String },
    #[error("{path}: cannot write the workbook: {message}")]
    Xlsx { path: PathBuf, message: String },
    #[error("{path}: bad manifest: {message}")]
    Manifest { path: PathBuf, message: String },
    /// `--ignore-column` named a contract column (by its name or one of its headers).
    #[error(
        "--ignore-column {given:?}: that is the contract column {column}, whose answers the tables count, so it cannot be left out; name only columns of the organisation's own (if {given:?} is such a column under a contract column's header, rename it in the file)"
    )]
    LeaveOutContractColumn { given: String, column: String },
    /// `--ignore-column ""`: a blank name would match only header cells without a header,
    /// which are never left out (a value under one quarantines its row).
    #[error(
        "--ignore-column {given:?} names no header: give the column's header as the file writes it (a column without a header cannot be left out by name; delete it or give it a header)"
    )]
    LeaveOutBlank { given: String },
    /// A CSV file (a published table, a report's table, a sample's submission, the overlap
    /// matrix) that cannot be read or written.
    #[error("{path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    /// A manifest, report or record that cannot be written as JSON; `what` names it ("the
    /// manifest"), empty where the caller is generic. Every value written is serialisable, so
    /// this is a bug.
    #[error("cannot serialise{}{}: {source}", if .what.is_empty() { "" } else { " " }, .what)]
    Serialise {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// The work folder, or a folder a stage is given to read, is not in a state to work on.
    #[error(transparent)]
    WorkFolder(#[from] WorkFolderError),
    /// The privacy ledger passed, or the one a work folder is bound to, may not be used
    /// (another ledger, a copy, an entry lost or changed).
    #[error(transparent)]
    LedgerUse(#[from] LedgerUseError),
    /// A release, report or extract that is refused (audit, suppression, rho, folder).
    #[error(transparent)]
    Release(#[from] ReleaseError),
    /// The aggregated tables cannot be made from the persons as they are.
    #[error(transparent)]
    Tables(#[from] TableError),
    /// Linkage refused its input files, or the ground truth it is evaluated against.
    #[error(transparent)]
    Linkage(#[from] LinkageError),
    /// The synthetic sample's settings are refused or its generator cannot run.
    #[error(transparent)]
    Sample(#[from] SampleError),
    /// Something that should not happen (a lock poisoned, a thread that panicked).
    #[error(transparent)]
    Internal(#[from] InternalError),
    /// The privacy ledger refused or could not record a draw (its own message says which
    /// file and line, and what to do).
    #[error(transparent)]
    Ledger(#[from] safetally_dp::ledger::LedgerError),
    #[error(transparent)]
    Register(#[from] safetally_dp::register::RegisterError),
    /// OpenDP or a privacy parameter refused, in `what` (a table, the extract).
    #[error("{what}: {source}")]
    Dp {
        what: String,
        #[source]
        source: safetally_dp::DpError,
    },
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A stage that stopped: what became of its earlier output, and which stage to run again
    /// when a file it reads is missing or damaged.
    /// The first error's text comes first, whole, so that a reader (and a test) sees it as is.
    #[error("{cause}. The {stage} stage stopped{removed}{hint}")]
    Stopped {
        stage: String,
        removed: String,
        hint: String,
        cause: Box<StageError>,
    },
}

impl StageError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StageError::Io {
            path: path.into(),
            source,
        }
    }

    /// A CSV file at `path` that cannot be read or written.
    pub fn csv(path: impl Into<PathBuf>, source: csv::Error) -> Self {
        StageError::Csv {
            path: path.into(),
            source,
        }
    }

    /// A value, named by `what` ("" where the caller does not know), that cannot be written
    /// as JSON.
    pub fn serialise(what: impl Into<String>, source: serde_json::Error) -> Self {
        StageError::Serialise {
            what: what.into(),
            source,
        }
    }
}
