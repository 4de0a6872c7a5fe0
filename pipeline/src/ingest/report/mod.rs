//! The validation report: per organisation and per file, rows in, accepted and quarantined,
//! by rule, and every normalisation made. Written as text for people and JSON for machines.

use std::collections::{BTreeMap, BTreeSet};

mod org;
mod text;

pub use org::OrgCounts;

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
    /// Lines of rows between records holding only org_id, report_year or contact_kind: passed
    /// over as a template's filled-down rows, but perhaps persons whose record id and answers
    /// were never typed in, so the run warns of them too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefilled_between: Vec<u64>,
    /// How many such rows (their lines: the first 100).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub prefilled_between_rows: u64,
    /// What the run warns of on the console for this file (columns left out on request that
    /// may have held a contract column's answers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The names given to leave out (`--ignore-column`) that name a column of this table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asked_found: Vec<String>,
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
}
