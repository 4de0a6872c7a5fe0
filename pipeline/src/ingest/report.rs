//! The validation report: per organisation and per file, rows in, accepted and quarantined,
//! by rule, and every normalisation made. Written as text for people and JSON for machines.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::validate::{Normalisation, Problem};

/// Rules of quarantined rows that are no record of a person: the header again, a summary row.
const NOT_PERSONS: [&str; 2] = ["repeated_header", "summary_row"];

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OrgCounts {
    pub rows_in: u64,
    pub accepted: u64,
    pub quarantined: u64,
    /// Rows breaking each rule (a row can break more than one).
    pub by_rule: BTreeMap<String, u64>,
    /// "column: from -> to" and how often it was made.
    pub normalised: BTreeMap<String, u64>,
    /// Of those, the values that were a code's label as the template's lists write it.
    #[serde(default)]
    pub labels: u64,
    pub files: BTreeSet<String>,
    /// The first kinds of problem found, spelled out for the person who fixes the file, rows
    /// with the same problem together (`ExampleGroup`); the full list is the organisation's
    /// quarantine file. Written by `close_examples`.
    pub examples: Vec<String>,
    #[serde(skip)]
    groups: Vec<ExampleGroup>,
    /// Accepted rows by report year.
    #[serde(default)]
    pub years: BTreeMap<i64, u64>,
    /// Accepted rows by report year and file, to say which files hold a stray year's rows.
    #[serde(default)]
    pub years_by_file: BTreeMap<i64, BTreeMap<String, u64>>,
    /// The first lines of each report year's rows in each file (`YEAR_LINES`), so that a
    /// stray year's rows can be found in a long file.
    #[serde(default)]
    pub year_lines: BTreeMap<i64, BTreeMap<String, Vec<u64>>>,
}

/// Lines of a year's rows in a file the report keeps.
pub const YEAR_LINES: usize = 10;

/// How many kinds of problem per organisation the text report spells out.
const EXAMPLES: usize = 20;
/// Runs of lines one example names before it says how many more.
const RUNS_NAMED: usize = 6;

/// One problem met on one or more rows: the same file, column, rule and message. A member code
/// mistyped in every row used to fill the twenty examples with one line each, and hid the other
/// problems of the file.
#[derive(Debug, Clone, Default)]
struct ExampleGroup {
    file: String,
    column: String,
    message: String,
    rule: String,
    /// Runs of consecutive lines, in the order met.
    runs: Vec<(u64, u64)>,
    rows: u64,
}

impl ExampleGroup {
    fn add(&mut self, line: u64) {
        self.rows += 1;
        match self.runs.last_mut() {
            Some((_, last)) if *last == line => self.rows -= 1,
            Some((_, last)) if *last + 1 == line => *last = line,
            _ => self.runs.push((line, line)),
        }
    }

    fn text(&self) -> String {
        let run = |&(a, b): &(u64, u64)| if a == b { a.to_string() } else { format!("{a}-{b}") };
        let lines = match self.runs.as_slice() {
            [(a, b)] if a == b => format!("line {a}"),
            runs => {
                let named: Vec<String> = runs.iter().take(RUNS_NAMED).map(run).collect();
                let more = match runs.len().saturating_sub(RUNS_NAMED) {
                    0 => String::new(),
                    n => format!(" and {n} more run(s)"),
                };
                format!("lines {}{more} ({} rows)", named.join(", "), self.rows)
            }
        };
        format!(
            "{}, {lines}, column {}: {} [{}]",
            self.file, self.column, self.message, self.rule
        )
    }
}

impl OrgCounts {
    pub fn accept(&mut self, file: &str, year: Option<i64>, line: u64, norms: &[Normalisation]) {
        if let Some(y) = year {
            let lines = self
                .year_lines
                .entry(y)
                .or_default()
                .entry(file.to_string())
                .or_default();
            if lines.len() < YEAR_LINES {
                lines.push(line);
            }
            *self.years.entry(y).or_default() += 1;
            *self
                .years_by_file
                .entry(y)
                .or_default()
                .entry(file.to_string())
                .or_default() += 1;
        }
        self.rows_in += 1;
        self.accepted += 1;
        self.files.insert(file.to_string());
        for n in norms {
            self.labels += u64::from(n.label);
            *self
                .normalised
                .entry(format!("{}: {:?} -> {:?}", n.column, n.from, n.to))
                .or_default() += 1;
        }
    }

    pub fn reject(&mut self, file: &str, line: u64, problems: &[Problem]) {
        self.rows_in += 1;
        self.quarantined += 1;
        self.files.insert(file.to_string());
        let rules: BTreeSet<&str> = problems.iter().map(|p| p.rule).collect();
        for r in rules {
            *self.by_rule.entry(r.to_string()).or_default() += 1;
        }
        for p in problems {
            let same = |g: &&mut ExampleGroup| {
                g.file == file && g.column == p.column && g.rule == p.rule && g.message == p.message
            };
            if let Some(g) = self.groups.iter_mut().find(same) {
                g.add(line);
            } else if self.groups.len() < EXAMPLES {
                let mut g = ExampleGroup {
                    file: file.to_string(),
                    column: p.column.to_string(),
                    message: p.message.clone(),
                    rule: p.rule.to_string(),
                    ..Default::default()
                };
                g.add(line);
                self.groups.push(g);
            }
        }
    }

    /// Spells out the examples gathered by `reject`.
    fn close_examples(&mut self) {
        if !self.groups.is_empty() {
            self.examples = self.groups.iter().map(ExampleGroup::text).collect();
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct FileOutcome {
    /// The file, and the sheet in brackets when the workbook has several tables.
    pub file: String,
    /// That sheet's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub format: Option<String>,
    pub org_id: Option<String>,
    pub rows_in: u64,
    pub accepted: u64,
    pub quarantined: u64,
    /// Set when the file could not be read at all; its rows are not counted anywhere.
    pub error: Option<String>,
    pub notes: Vec<String>,
    /// Accepted rows that name another member than the one the file counts for, by member:
    /// they count for that member, so the run's summary warns of them (a slip in the
    /// template's drop-down adds a person to another organisation's figures).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other_orgs: BTreeMap<String, u64>,
    /// Accepted rows with a '?' for a letter in a name (a CSV saved in a code page that lacks
    /// it): they cannot link, so the person counts once per organisation; the run warns.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lost_letters: u64,
    /// Quarantined rows that repeat an earlier row cell for cell (`repeated_row`): the record
    /// is that row's (counted from there, or quarantined there for the same problems), so this
    /// file has lost nothing of its own by them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repeated_rows: u64,
    /// Lines of rows holding only a record id that lie between records (not after the last):
    /// passed over as a template's unused numbered rows, but perhaps persons not filled in,
    /// so the run warns of them on the console.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_only_between: Vec<u64>,
    /// How many such rows (their lines: the first 100).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub id_only_between_rows: u64,
    /// What the run warns of on the console for this file (columns left out on request that
    /// may have held a contract column's answers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The file is (or looks like) the linkage key, refused as no submission: `run` stops on
    /// it saying so, not that an organisation's records would be missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub linkage_key: bool,
}

impl FileOutcome {
    /// Quarantined rows whose records are missing from the figures (not copies of counted rows).
    pub fn lost_rows(&self) -> u64 {
        self.quarantined - self.repeated_rows.min(self.quarantined)
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl FileOutcome {
    pub fn new(file: &str) -> Self {
        FileOutcome {
            file: file.to_string(),
            ..Default::default()
        }
    }

    /// The file itself, without the sheet.
    pub fn source(&self) -> &str {
        self.sheet
            .as_deref()
            .and_then(|sheet| {
                self.file
                    .strip_suffix(']')?
                    .strip_suffix(sheet)?
                    .strip_suffix(" [")
            })
            .unwrap_or(&self.file)
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub files: u64,
    /// Tables read: a workbook with several sheets of records is one file, several tables.
    #[serde(default)]
    pub tables: u64,
    /// Files of which some table could not be read (the whole file, or a sheet of a workbook).
    pub failed_files: u64,
    /// Tables that could not be read: whole files, or sheets of a workbook read sheet by sheet.
    #[serde(default)]
    pub failed_tables: u64,
    pub rows_in: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub normalised_values: u64,
    /// Of those, codes' labels as the template's lists write them.
    #[serde(default)]
    pub labels_read: u64,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct IngestReport {
    pub schema_version: String,
    pub files: Vec<FileOutcome>,
    pub orgs: BTreeMap<String, OrgCounts>,
    pub totals: Totals,
    /// Accepted rows by report year, over every organisation.
    #[serde(default)]
    pub years: BTreeMap<i64, u64>,
    /// What the run as a whole should fix before linking (printed with the summary).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Hidden files whose names end as submissions' (`stage::hidden_submissions`), not read:
    /// `run` stops on them as on a file it could not read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_files: Vec<String>,
    /// Each rule rows were quarantined for, in Swedish and English (from the contract), so the
    /// report explains itself to the staff who fix the rows.
    #[serde(default)]
    pub rules: BTreeMap<String, (String, String)>,
}

impl IngestReport {
    pub fn new(schema_version: &str) -> Self {
        IngestReport {
            schema_version: schema_version.to_string(),
            ..Default::default()
        }
    }

    /// The hidden files not read, the first ten by name (a hidden tool folder, `.git`, can
    /// hold many).
    pub fn hidden_named(&self) -> String {
        let names = &self.hidden_files;
        let more = match names.len() {
            n if n > 10 => format!(" and {} more", n - 10),
            _ => String::new(),
        };
        names.iter().take(10).cloned().collect::<Vec<_>>().join(", ") + &more
    }

    /// Quarantined rows by rule over every organisation, the commonest first (a row breaking
    /// two rules counts under both).
    pub fn rows_by_rule(&self) -> Vec<(&str, u64)> {
        let mut by_rule: BTreeMap<&str, u64> = BTreeMap::new();
        for (rule, n) in self.orgs.values().flat_map(|o| &o.by_rule) {
            *by_rule.entry(rule.as_str()).or_default() += n;
        }
        let mut by_rule: Vec<(&str, u64)> = by_rule.into_iter().collect();
        by_rule.sort_by_key(|r| std::cmp::Reverse(r.1));
        by_rule
    }

    pub fn close(&mut self) {
        self.orgs.values_mut().for_each(OrgCounts::close_examples);
        let t = &mut self.totals;
        t.tables = self.files.len() as u64;
        let sources: BTreeSet<&str> = self.files.iter().map(FileOutcome::source).collect();
        t.files = sources.len() as u64;
        let failed = || self.files.iter().filter(|f| f.error.is_some());
        t.failed_tables = failed().count() as u64;
        t.failed_files = failed().map(FileOutcome::source).collect::<BTreeSet<_>>().len() as u64;
        t.rows_in = self.orgs.values().map(|o| o.rows_in).sum();
        t.accepted = self.orgs.values().map(|o| o.accepted).sum();
        t.quarantined = self.orgs.values().map(|o| o.quarantined).sum();
        t.normalised_values = self.orgs.values().flat_map(|o| o.normalised.values()).sum();
        t.labels_read = self.orgs.values().map(|o| o.labels).sum();
        self.years.clear();
        for (y, n) in self.orgs.values().flat_map(|o| &o.years) {
            *self.years.entry(*y).or_default() += n;
        }
    }

    /// True when every row is accounted for: in = accepted + quarantined, per org and file.
    pub fn balanced(&self) -> bool {
        self.orgs
            .values()
            .all(|o| o.rows_in == o.accepted + o.quarantined)
            && self.files.iter().all(|f| f.rows_in == f.accepted + f.quarantined)
            && self.totals.rows_in == self.totals.accepted + self.totals.quarantined
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(column: &str, message: &str) -> Problem {
        Problem {
            column: column.into(),
            rule: "some_rule",
            value: String::new(),
            message: message.into(),
        }
    }

    /// Rows with one problem are one example naming their lines; the other problems of the
    /// file are still listed, and a kind past the twentieth is not.
    #[test]
    fn alike_problems_are_one_example_with_their_lines() {
        let mut c = OrgCounts::default();
        for line in [2, 3, 4, 7, 9, 10] {
            c.reject("a.csv", line, &[problem("org_id", "unknown")]);
        }
        c.reject("a.csv", 5, &[problem("birth_date", "not a date")]);
        c.reject("b.csv", 2, &[problem("org_id", "unknown")]);
        for k in 0..30 {
            c.reject("a.csv", 20 + k, &[problem("gender", &format!("odd {k}"))]);
        }
        c.close_examples();
        assert_eq!(c.examples.len(), EXAMPLES);
        assert_eq!(
            c.examples[0],
            "a.csv, lines 2-4, 7, 9-10 (6 rows), column org_id: unknown [some_rule]"
        );
        assert_eq!(
            c.examples[1],
            "a.csv, line 5, column birth_date: not a date [some_rule]"
        );
        assert_eq!(c.examples[2], "b.csv, line 2, column org_id: unknown [some_rule]");
        assert!(c.examples.iter().any(|e| e.contains("odd 16")));
        assert!(!c.examples.iter().any(|e| e.contains("odd 17")));
        assert_eq!(c.quarantined, 38);
    }

    #[test]
    fn many_runs_are_counted_not_all_named() {
        let mut g = ExampleGroup::default();
        for line in (2..40).step_by(2) {
            g.add(line);
        }
        assert_eq!(g.rows, 19);
        assert!(
            g.text()
                .contains("lines 2, 4, 6, 8, 10, 12 and 13 more run(s) (19 rows)"),
            "{}",
            g.text()
        );
    }
}
