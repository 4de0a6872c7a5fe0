//! Refusals of a privacy ledger as a work folder would use it: another ledger than the one
//! its releases are recorded in, a copy, an entry lost or changed.

use std::path::{Path, PathBuf};

use super::plural;

/// The privacy ledger passed, or the one the work folder is bound to, may not be used.
#[derive(Debug, thiserror::Error)]
pub enum LedgerUseError {
    /// No ledger at `path`, and `--new-ledger` was not passed to start one.
    #[error(
        "no privacy ledger at {path}: the ledger records what every release of these data spent and each year's one exact release, and a new one would forget them, so a second release could undo the protection of the first. Pass the platform's ledger with --ledger PATH, or add --new-ledger to start one there for the platform's first release"
    )]
    NoLedger { path: PathBuf },
    /// `--ledger` names a file of a ledger folder, not the folder.
    #[error(
        "--ledger {file}: a file, and --ledger takes the ledger's folder (the one holding ledger-YEAR.jsonl and the register of exact releases); pass --ledger {folder}"
    )]
    FileNotFolder { file: PathBuf, folder: PathBuf },
    /// The ledger where the work folder's was is another one (deleted and started again).
    #[error(
        "{work}: the privacy ledger at {ledger} is not the one this work folder's releases were recorded in, though it is where that one was: the ledger was deleted or replaced and started again, and a release recorded in a new ledger escapes the year's budget and its one exact release. Put the ledger back from where it was moved or backed up; for other data, use another work folder"
    )]
    StartedAgain { work: PathBuf, ledger: PathBuf },
    /// The work folder's releases are recorded in the ledger at `bound`, not in `given`.
    #[error(
        "{work}: this work folder's releases are recorded in the privacy ledger at {bound}, not in {given}: a release recorded in another ledger escapes the year's budget and its one exact release. Pass --ledger {bound} (moved as a whole, the ledger keeps its identity); for other data, use another work folder"
    )]
    BoundElsewhere {
        work: PathBuf,
        bound: PathBuf,
        given: PathBuf,
    },
    /// The ledger passed is a copy of one that is still where the work folder used it.
    #[error(
        "{copy} is a copy of the privacy ledger at {original}, which is still there (the same ledger id): a release recorded in a copy escapes the year's budget and its one exact release, as neither copy knows what the other recorded. Pass --ledger {original}; if the ledger was moved and the folder left behind is an old copy, move that copy out of the way first"
    )]
    ACopy { copy: PathBuf, original: PathBuf },
    /// The ledger is inside one of the work folder's stage folders (`stage`).
    #[error(
        "--ledger {ledger}: inside the work folder's stage folder {stage}, which the stage replaces whole when it runs (the ledger would be deleted with it) and which is handed on as a release; keep the ledger in a folder of its own outside the work folder's stages"
    )]
    InsideStage { ledger: PathBuf, stage: String },
    /// The operating system gave no randomness for a new ledger's id (kept in `file`).
    #[error("{file}: no randomness for the ledger's id: {source}")]
    NoRandomness {
        file: PathBuf,
        #[source]
        source: rand::rand_core::OsError,
    },
    /// `what` was drawn as `entry` of the ledger file `ledger`, which no longer holds it.
    #[error(
        "{what} was recorded in the ledger {ledger} as entry {entry}, and the ledger no longer holds it ({}): it was deleted, replaced by an older copy or cut. Restore the ledger from its backup; a new draw now would spend budget on the same persons that the ledger cannot count",
        if *.file_exists { "the file is there without that entry" } else { "the file is missing" }
    )]
    EntryGone {
        what: String,
        ledger: PathBuf,
        entry: String,
        file_exists: bool,
    },
    /// An entry this work folder drew is in the ledger, changed since it was drawn.
    #[error(
        "the ledger {ledger} holds entry {entry}, which this work folder drew, changed since it was drawn (what it spent or the noise it stored): the ledger was edited by hand. Restore it from its latest backup; the draw cannot be reused and nothing more is spent until the ledger holds what was drawn"
    )]
    EntryChanged { ledger: PathBuf, entry: String },
    /// Entries this work folder drew are gone from the ledger.
    #[error(
        "this work folder drew {} from the ledger {ledger} (entr{} {}), and the ledger no longer holds {}: it was replaced by an older copy, cut or deleted. Restore the ledger from its latest backup; a new draw now would spend budget on the same persons that the ledger cannot count",
        plural(.entries.len(), "a release or extract", "releases or extracts"),
        plural(.entries.len(), "y", "ies"),
        .entries.join(", "),
        plural(.entries.len(), "it", "them")
    )]
    EntriesLost { ledger: PathBuf, entries: Vec<String> },
    /// The same data (`what`) drawn before under the ledger file `first`, now under `here`.
    #[error(
        "{what} with noise recorded in the ledger {}; drawing them again under {} would publish a second noisy view of the same persons and spend budget the first ledger does not know of. Pass --ledger with the first ledger's folder{}",
        folder(.first).display(),
        folder(.here).display(),
        if *.first_exists { "" } else { " (it is missing: restore it from its backup)" }
    )]
    DrawnUnderAnother {
        what: String,
        first: PathBuf,
        here: PathBuf,
        first_exists: bool,
    },
    /// A ledger entry reused for a release lacks the measurement of one of its tables.
    #[error("the ledger entry {entry} has no measurement for {measurement}")]
    NoMeasurement { entry: String, measurement: String },
    /// The extract's ledger is not the one the DP release in `release` recorded its noise in.
    #[error(
        "the DP release in {release} recorded its noise in the ledger {recorded} (entry {entry}), and {given} is not that ledger (a copy, or a folder without the entry){}; the extract spends from the same year's budget, so it must use the ledger that does: pass --ledger with its folder{}",
        if *.given_exists { "" } else { " (no such folder)" },
        if *.recorded_exists { "" } else { " (the recorded ledger file is missing: restore it from its backup, or pass its new folder if it moved)" }
    )]
    NotTheReleaseLedger {
        release: PathBuf,
        recorded: PathBuf,
        entry: String,
        given: PathBuf,
        given_exists: bool,
        recorded_exists: bool,
    },
}

/// The folder of a ledger file.
fn folder(file: &Path) -> &Path {
    file.parent().unwrap_or(file)
}
