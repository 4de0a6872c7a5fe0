//! The report as text for people: the run's summary for the console, and the whole report
//! with each organisation's counts, rules and examples.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::org::EXAMPLES;
use super::{FileOutcome, IngestReport};

/// Rules of quarantined rows that are no record of a person: the header again, a summary row.
const NOT_PERSONS: [&str; 2] = ["repeated_header", "summary_row"];

impl IngestReport {
    /// The workbooks of which several sheets were read, with their sheets, for the console: a
    /// sheet of last year's or of notes read beside this year's is seen there, not only in the
    /// report. At most three workbooks are named.
    fn sheets_read(&self) -> String {
        let mut by_book: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for f in self.files.iter().filter(|f| f.error.is_none()) {
            if let Some(sheet) = &f.sheet {
                by_book.entry(f.source()).or_default().push(sheet);
            }
        }
        by_book.retain(|_, sheets| sheets.len() > 1);
        let named: Vec<String> = by_book
            .iter()
            .take(3)
            .map(|(book, sheets)| format!("{book}: {}", sheets.join(", ")))
            .collect();
        let more = if by_book.len() > named.len() {
            "; and more in the report"
        } else {
            ""
        };
        format!("{}{more}", named.join("; "))
    }

    /// The short summary printed at the end of the stage.
    pub fn summary(&self) -> String {
        let t = &self.totals;
        // Files and tables read, not those named: an outside review's summary said "read 6
        // file(s)" of a folder with two it could not read. A workbook of which one sheet was
        // read counts as read; the sheets that were not are listed below.
        let read: BTreeSet<&str> = self
            .files
            .iter()
            .filter(|f| f.error.is_none())
            .map(FileOutcome::source)
            .collect();
        let tables_read = t.tables - t.failed_tables.min(t.tables);
        let sheets = match self.sheets_read() {
            _ if tables_read <= read.len() as u64 => String::new(),
            named if named.is_empty() => format!(" ({tables_read} tables: workbook sheets read one by one)"),
            named => format!(" ({tables_read} tables: workbook sheets read one by one, {named})"),
        };
        let unread = match t.files.saturating_sub(read.len() as u64) {
            0 => String::new(),
            n => format!(" and could not read {n}"),
        };
        let mut s = format!(
            "Ingest read {} file(s){sheets} from {} organisation(s){unread}: {} rows in = {} accepted + {} quarantined ({} value(s) normalised{}).",
            read.len(),
            self.orgs.len(),
            t.rows_in,
            t.accepted,
            t.quarantined,
            t.normalised_values,
            match t.labels_read {
                0 => String::new(),
                n if n == t.normalised_values =>
                    ", all of them codes' labels as the template's lists write them".to_string(),
                n => format!(", {n} of them codes' labels as the template's lists write them"),
            }
        );
        if t.quarantined > 0 {
            // Said where it is read: a person whose rows were all quarantined is in no table,
            // and a review's run published 114 persons for 120 without a word on the console.
            let rules = self.rows_by_rule();
            let shown: Vec<String> = rules.iter().take(5).map(|(r, n)| format!("{r} {n}")).collect();
            let by_rule = format!(
                "rows by rule: {}{}",
                shown.join(", "),
                if rules.len() > shown.len() {
                    ", and more in the report"
                } else {
                    ""
                }
            );
            // A header repeated or a sum under the records is no person: counted with the
            // records left out, it read as persons missing from the tables.
            let not_persons: u64 = rules
                .iter()
                .filter(|(r, _)| NOT_PERSONS.contains(r))
                .map(|(_, n)| n)
                .sum();
            let _ = match not_persons {
                0 => write!(
                    s,
                    "
The {} quarantined row(s) are in no table until their files are corrected and ingested again ({by_rule}).",
                    t.quarantined
                ),
                n if n == t.quarantined => write!(
                    s,
                    "
The {n} quarantined row(s) are headers repeated or summary rows, not persons: delete them from the files ({by_rule})."
                ),
                n => write!(
                    s,
                    "
The {} quarantined row(s) are in no table until their files are corrected and ingested again; headers repeated or summary rows among them, not persons: {n} ({by_rule}).",
                    t.quarantined
                ),
            };
        }
        if t.failed_files > 0 {
            let what = if self.files.iter().any(|f| f.error.is_some() && f.sheet.is_some()) {
                "file(s) or sheet(s)"
            } else {
                "file(s)"
            };
            let _ = write!(
                s,
                "\n{} {what} could not be read and were not ingested:",
                t.failed_tables
            );
            for f in self.files.iter().filter(|f| f.error.is_some()) {
                let _ = write!(s, "\n  - {}", f.error.as_deref().unwrap_or(""));
            }
        }
        for w in &self.warnings {
            let _ = write!(s, "\nWarning: {w}");
        }
        s
    }

    /// The files with notes in the full report (how each was read, columns left out, cells
    /// to look at), for the console: the notes are the report's, but a user who reads only
    /// the console should know they are there. At most five files are named, each once (a
    /// workbook's sheets are one file, as the summary counts them).
    pub fn files_with_notes(&self) -> Option<String> {
        let with: BTreeSet<&str> = self
            .files
            .iter()
            .filter(|f| !f.notes.is_empty())
            .map(FileOutcome::source)
            .collect();
        let named: Vec<&str> = with.iter().take(5).copied().collect();
        let more = match with.len() - named.len() {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        (!with.is_empty()).then(|| {
            format!(
                "{} file(s) have notes in the full report (how each was read, columns left out, cells to look at): {}{more}.",
                with.len(),
                named.join(", ")
            )
        })
    }

    /// The full report a person reads: per organisation, per rule, per file.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "safetally validation report (schema {})\n",
            self.schema_version
        );
        let _ = writeln!(s, "{}\n", self.summary());
        let _ = writeln!(s, "Per organisation (rows in = accepted + quarantined):");
        for (org, c) in &self.orgs {
            let _ = writeln!(
                s,
                "\n{org}: {} in = {} accepted + {} quarantined",
                c.rows_in, c.accepted, c.quarantined
            );
            for (rule, n) in &c.by_rule {
                let _ = writeln!(s, "    quarantined for {rule}: {n} row(s)");
            }
            let by_rule: u64 = c.by_rule.values().sum();
            if by_rule > c.quarantined {
                let _ = writeln!(
                    s,
                    "    (a row that breaks several rules is counted under each: {by_rule} for {} rows)",
                    c.quarantined
                );
            }
            for (what, n) in &c.normalised {
                let _ = writeln!(s, "    normalised {what}: {n}");
            }
            if !c.examples.is_empty() {
                let _ = writeln!(
                    s,
                    "    problems to fix (the first {EXAMPLES} kinds, rows with the same problem together; quarantine/{org}-problems.xlsx lists every row, for Excel):"
                );
                for e in &c.examples {
                    let _ = writeln!(s, "      {e}");
                }
            }
        }
        let _ = writeln!(s, "\nPer file:");
        for f in &self.files {
            match &f.error {
                Some(e) => {
                    let _ = writeln!(s, "  FAILED {}: {e}", f.file);
                }
                None => {
                    let _ = writeln!(
                        s,
                        "  {} [{}] org {}: {} in = {} accepted + {} quarantined",
                        f.file,
                        f.format.as_deref().unwrap_or("?"),
                        f.org_id.as_deref().unwrap_or("?"),
                        f.rows_in,
                        f.accepted,
                        f.quarantined
                    );
                }
            }
            for n in &f.notes {
                let _ = writeln!(s, "      note: {n}");
            }
        }
        if !self.rules.is_empty() {
            let _ = writeln!(s, "\nRegler / Rules:");
            for (id, (sv, en)) in &self.rules {
                let _ = writeln!(s, "  {id}: {sv} / {en}");
            }
        }
        s
    }
}
