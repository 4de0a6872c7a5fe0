//! Why `run` stops after ingest, before anything is pseudonymised: what it would go on to
//! publish would be wrong, or could not be published again once the data are mended.

use std::path::Path;

use crate::ingest::{FileOutcome, IngestReport};
use crate::schema::Schema;

/// No row accepted, a file that could not be read or none of whose rows was accepted, rows of
/// several report years, or sample organisations beside real members (aggregate would refuse
/// the last two at the end): the message to stop with, or none to go on.
pub fn stop_after_ingest(
    schema: &Schema,
    report: &IngestReport,
    (dir, input): (&Path, &Path),
    accept_quarantine: bool,
) -> Option<String> {
    let text = dir.join(super::REPORT_TXT);
    let t = &report.totals;
    if t.accepted == 0 {
        return Some(format!(
            "stopped after ingest: no row was accepted ({} row(s) read, {} quarantined, {} file(s) unreadable), so there is nothing to pseudonymise; the validation report {} says what to fix in each file",
            t.rows_in,
            t.quarantined,
            t.failed_files,
            text.display()
        ));
    }
    if t.failed_files > 0 {
        // Protect would spend the year's budget, or its one exact release, on figures that
        // miss these organisations' records: the mended file could then not be published.
        let failed: std::collections::BTreeSet<&str> = report
            .files
            .iter()
            .filter(|f| f.error.is_some())
            .map(|f| f.source())
            .collect();
        let keys: Vec<&str> = report
            .files
            .iter()
            .filter(|f| f.linkage_key)
            .map(|f| f.file.as_str())
            .collect();
        if keys.len() == failed.len() {
            // No organisation's records are missing: the one thing to do is move the key.
            return Some(format!(
                "stopped after ingest: {} in {}: the linkage key (or a file that looks like one), not a submission, and the key must not be kept among the submissions, which it would travel with; no organisation's file is missing. Move it out of the folder and run again",
                keys.join(", "),
                input.display()
            ));
        }
        return Some(format!(
            "stopped after ingest: {} file(s) could not be read ({}), so their records would be missing from the year's figures, and a release spends the year's privacy budget or its one exact release. Fix them as the validation report {} says and run again; to publish without them, move them out of {}",
            failed.len(),
            failed.into_iter().collect::<Vec<_>>().join(", "),
            text.display(),
            input.display()
        ));
    }
    if !report.hidden_files.is_empty() {
        // As for a file not read: the organisation's records would be missing.
        return Some(format!(
            "stopped after ingest: {} hidden file(s) that look like submissions were not read ({}), so their records would be missing from the year's figures, and a release spends the year's privacy budget or its one exact release. Rename a file that holds records without its leading '.' or '~$' (or move it out of its hidden folder), or move the files out of {}, and run again",
            report.hidden_files.len(),
            report.hidden_named(),
            input.display()
        ));
    }
    if let Some(why) = wholly_quarantined(report, (text.as_path(), input)) {
        return Some(why);
    }
    if let Some(why) = copies(report, input).filter(|_| !accept_quarantine) {
        return Some(why);
    }
    if let Some(why) = mostly_quarantined(report, &text).filter(|_| !accept_quarantine) {
        return Some(why);
    }
    if report.years.len() > 1 {
        // The summary printed above names the files each year's rows came from; the other
        // warnings there are not why the run stops.
        let years: Vec<String> = report.years.keys().map(i64::to_string).collect();
        return Some(format!(
            "stopped after ingest: the accepted rows span several report years ({}), and the tables are made one year at a time; the warning above and the validation report {} say which files hold which year",
            years.join(", "),
            text.display()
        ));
    }
    crate::ingest::mixed_kinds(schema, report).map(|mixed| {
        format!(
            "stopped after ingest: {mixed}; the validation report is {}",
            text.display()
        )
    })
}

/// Files (or sheets) that held rows and had none accepted: their organisation's records would
/// be missing just as for a file not read (an outside review published a year without its
/// largest member, whose file's ids all clashed with a copy left beside it).
fn wholly_quarantined(report: &IngestReport, (text, input): (&Path, &Path)) -> Option<String> {
    let lost: Vec<String> = report
        .files
        .iter()
        .filter(|f| f.error.is_none() && f.rows_in > 0 && f.accepted == 0 && f.lost_rows() > 0)
        .map(|f| match &f.org_id {
            Some(org) => format!("{} ({org}, {} row(s))", f.file, f.rows_in),
            None => format!("{} ({} row(s))", f.file, f.rows_in),
        })
        .collect();
    (!lost.is_empty()).then(|| {
        format!(
            "stopped after ingest: every row of {} file(s) was quarantined: {}; their records would be missing from the year's figures, and a release spends the year's privacy budget or its one exact release. Fix the rows as the validation report {} says and run again; to publish without them, move them out of {}",
            lost.len(),
            lost.join(", "),
            text.display(),
            input.display()
        )
    })
}

/// Files (or sheets) every row of which repeats an earlier row cell for cell: a copy left
/// beside the original, or a file sent twice. Nothing is missing (each record counts once, from
/// the first), but the copy should not stay among the submissions; the file used to be told
/// its records "would be missing from the year's figures".
fn copies(report: &IngestReport, input: &Path) -> Option<String> {
    let copies: Vec<&str> = report
        .files
        .iter()
        .filter(|f| f.error.is_none() && f.rows_in > 0 && f.accepted == 0 && f.lost_rows() == 0)
        .map(|f| f.file.as_str())
        .collect();
    (!copies.is_empty()).then(|| {
        format!(
            "stopped after ingest: every row of {} repeats a row of another file cell for cell (a copy left beside the original, or a file sent twice; the warning above names the original); each record is counted once, from the original, so nothing is missing, but the copy should not stay among the submissions: remove it from {} and run again, or add --accept-quarantine to go on as it is",
            copies.join(", "),
            input.display()
        )
    })
}

/// Files (or sheets) that lost more than a fifth of their rows (three or more), or a run that
/// lost more than a tenth of all: most likely one systematic problem (an outside review's
/// birth dates held a time of day, and 33 of 36 rows went), not a few typos, and the year's
/// release would count a fraction of the persons. `--accept-quarantine` goes on without them.
fn mostly_quarantined(report: &IngestReport, text: &Path) -> Option<String> {
    let many = |lost: u64, of: u64| lost >= 3 && lost * 5 > of;
    let files: Vec<String> = report
        .files
        .iter()
        .filter(|f| f.error.is_none() && many(f.lost_rows(), f.rows_in))
        .map(|f| {
            let org = f.org_id.as_deref().map(|o| format!(", {o}")).unwrap_or_default();
            format!("{}{org}: {} of {} rows", f.file, f.lost_rows(), f.rows_in)
        })
        .collect();
    let t = &report.totals;
    // Copies of counted rows are not lost (`copies` stops on them).
    let lost: u64 = report.files.iter().map(FileOutcome::lost_rows).sum();
    let overall = lost >= 3 && lost * 10 > t.rows_in;
    if files.is_empty() && !overall {
        return None;
    }
    let rules: Vec<String> = report
        .rows_by_rule()
        .into_iter()
        .take(3)
        .map(|(rule, n)| format!("{rule} ({n})"))
        .collect();
    let which = if files.is_empty() {
        String::new()
    } else {
        format!(" ({})", files.join("; "))
    };
    Some(format!(
        "stopped after ingest: {} of {} rows were quarantined{which}, most for {}; so many are most likely one problem to fix in the file, and their persons would be missing from the year's figures, while a release spends the year's privacy budget or its one exact release. Fix the rows as the validation report {} says and run again; to publish without them, add --accept-quarantine",
        t.quarantined,
        t.rows_in,
        rules.join(", "),
        text.display()
    ))
}
