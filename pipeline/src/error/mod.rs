//! Typed errors for the library. Every variant names where the problem is
//! (file, organisation, row, column) so that a user can fix it without a debugger.

mod file;
mod internal;
mod ledger;
mod linkage;
mod release;
mod sample;
mod stage;
mod tables;
mod work;

pub use file::{FileError, Place};
pub use internal::InternalError;
pub use ledger::LedgerUseError;
pub use linkage::LinkageError;
pub use release::ReleaseError;
pub use sample::SampleError;
pub use stage::StageError;
pub use tables::TableError;
pub use work::WorkFolderError;

/// Words of a message that depend on how many there are: `one` for one, else `many`.
fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// Errors raised while loading the embedded schema files.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("schema file {file}: {message}")]
    Invalid { file: &'static str, message: String },
    #[error("schema file {file} is not valid JSON: {source}")]
    Json {
        file: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("schema file {file}, line {line}: {message}")]
    Csv {
        file: &'static str,
        line: u64,
        message: String,
    },
}

#[cfg(test)]
mod tests;
