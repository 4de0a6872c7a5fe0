//! Refusals of a release, its report or the journalists' extract: an audit that failed,
//! suppression that cannot protect, a budget that cannot be spent, a folder that is not one.

use std::path::PathBuf;

/// A release, report or extract that is refused.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The exact tables break a relation they must keep; `cells` names (not values) up to six
    /// of its cells, `more` how many others it has.
    #[error(
        "the aggregated tables contradict each other: {}{} do not agree as they must (a table changed by hand, or tables of two aggregations put together); rerun `safetally aggregate`",
        .cells.join(", "),
        if *.more > 0 { format!(" and {} more cell(s)", .more) } else { String::new() }
    )]
    Contradiction { cells: Vec<String>, more: usize },
    /// Secondary suppression found no cell to hide that would protect `cell`.
    #[error(
        "suppression failed: no cell is left to hide that would keep {protection} values open for the small count of {cell}; \
         rerun with a lower --protection (now {protection}, at least 1){}, or use the DP mode (`--mode dp`), \
         which needs no secondary suppression; tables this small may be better published for a wider population",
        if *.differences { " or without --protect-differences" } else { "" }
    )]
    SuppressionStuck {
        cell: String,
        protection: u64,
        /// Whether differences of tables were protected too (`--protect-differences`).
        differences: bool,
    },
    /// Secondary suppression failed otherwise (its solver).
    #[error("suppression failed: {0}")]
    Suppression(#[source] safetally_dp::suppress::SuppressError),
    /// The protection audit failed for the tables named; `publish` writes nothing.
    #[error("the audit failed for {}; nothing is published", .failures.join(", "))]
    NotAudited { failures: Vec<String> },
    /// The audit found small counts a reader could narrow to fewer than `protection` values.
    #[error(
        "the audit failed: a reader who knows the rule could narrow these small counts to fewer than {protection} of the values 1 to threshold - 1: {}",
        .failures.join(", ")
    )]
    AuditFailed { protection: u64, failures: Vec<String> },
    /// The folder the report is to be written in does not exist.
    #[error(
        "{dir}: the folder for the report does not exist; create it (mkdir -p {dir}) or pass `--out` a file in an existing folder"
    )]
    NoReportFolder { dir: PathBuf },
    /// Files of the release are not as its manifest lists them.
    #[error(
        "{release}: {} file(s) are not as this release published them ({}): edited, cut short or missing since, by the hashes in its {}. Draw the report from the release as published: run `safetally publish` again, or restore the folder",
        .files.len(),
        .files.join(", "),
        crate::publish::MANIFEST
    )]
    NotAsPublished { release: PathBuf, files: Vec<String> },
    /// The folder a report is drawn from has no release manifest.
    #[error(
        "{path}: not a release folder (it has no {}); pass the folder `safetally publish` made, e.g. work/06-release or work/06-release-dp",
        crate::publish::MANIFEST
    )]
    NotARelease { path: PathBuf },
    /// An exact release whose manifest has no report year to register it under.
    #[error("the release has no report year to register it under")]
    NoReportYear,
    /// A rho the release cannot spend; `why` says why and what to pass.
    #[error("{why}")]
    UnusableRho { rho: f64, why: String },
    /// A rho the journalists' extract cannot spend (either of its two parts).
    #[error("the journalists' extract: {why}")]
    UnusableExtractRho { rho: f64, why: String },
    /// The folder the extract builds on holds no DP release report.
    #[error("{dir}: no DP release here; run `safetally protect --mode dp` first")]
    NoDpRelease { dir: PathBuf },
    /// The folder the extract builds on holds an exact release, not a DP one.
    #[error("{dir}: not a DP release; the extract builds on one")]
    NotDpRelease { dir: PathBuf },
    /// The DP release publishes no total for the extract to be fitted to.
    #[error("no published total to fit the cross-tabulation to")]
    NoPublishedTotal,
    /// OpenDP states a larger rho for a table's noise than the plan gave it.
    #[error("table {table}: OpenDP states rho {stated} where the plan allows {planned}")]
    RhoOverPlan {
        table: String,
        stated: f64,
        planned: f64,
    },
    /// The budget cannot be shared out among the tables.
    #[error("cannot plan the release: {0}")]
    Plan(#[source] safetally_dp::DpError),
}
