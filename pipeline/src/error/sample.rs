//! Why the synthetic sample cannot be generated as asked.

use crate::sample::NamesError;

/// The sample's settings are refused, or its generator cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// A setting out of its range; `setting` names it (`--persons`, `--orgs`...).
    #[error("sample settings: {problem}")]
    Setting { setting: &'static str, problem: String },
    /// More organisations asked for than the member register has fictional ones.
    #[error(
        "--orgs {orgs} is more than the {available} fictional sample organisations in the member register"
    )]
    TooManyOrgs { orgs: usize, available: usize },
    /// The embedded pools of names cannot be read.
    #[error(transparent)]
    Names(#[from] NamesError),
    /// The schema lacks a column the generator writes.
    #[error("the generator needs column {column} in the schema")]
    NoColumn { column: String },
}
