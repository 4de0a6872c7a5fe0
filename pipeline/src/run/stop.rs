//! Why `run` stops after ingest, before anything is pseudonymised: what it would go on to
//! publish would be wrong, or could not be published again once the data are mended.

use std::path::Path;

use crate::ingest::IngestReport;
use crate::schema::Schema;

/// No row accepted, a file that could not be read or none of whose rows was accepted, rows of
/// several report years, or sample organisations beside real members (aggregate would refuse
/// the last two at the end): the message to stop with, or none to go on.
pub fn stop_after_ingest(
    schema: &Schema,
    report: &IngestReport,
    (dir, input): (&Path, &Path),
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
        return Some(format!(
            "stopped after ingest: {} file(s) could not be read ({}), so their records would be missing from the year's figures, and a release spends the year's privacy budget or its one exact release. Fix them as the validation report {} says and run again; to publish without them, move them out of {}",
            failed.len(),
            failed.into_iter().collect::<Vec<_>>().join(", "),
            text.display(),
            input.display()
        ));
    }
    if let Some(why) = wholly_quarantined(report, (text.as_path(), input)) {
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
        .filter(|f| f.error.is_none() && f.rows_in > 0 && f.accepted == 0)
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
