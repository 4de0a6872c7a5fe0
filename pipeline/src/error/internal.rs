//! Errors that should not happen: a broken invariant of the program, not of its input.

/// A bug, or a thread that panicked; the message says where.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    /// The extract was started without the ledger its DP release resolved.
    #[error("internal error: the extract's ledger was not resolved from the DP release")]
    LedgerNotResolved,
    /// A thread panicked while holding the record of files written.
    #[error("the record of written files is poisoned")]
    Poisoned,
    /// A thread doing `what` ("hashing the inputs") panicked.
    #[error("{what} failed")]
    Panicked { what: &'static str },
    /// Ingest found no Parquet writer for an organisation it had opened one for.
    #[error("no writer for {org}")]
    NoWriter { org: String },
    /// Pseudonymise encoded rows past the end of a row group of `org`'s file.
    #[error("{org}: internal error: encoded rows run past the end of row group {group} (row {end})")]
    RowGroupOverrun { org: String, group: usize, end: usize },
    /// The clustering gave another number of person ids than of persons.
    #[error("{ids} person ids for {persons} persons: the clustering is not a forest of roots")]
    NotAForest { ids: usize, persons: usize },
}
