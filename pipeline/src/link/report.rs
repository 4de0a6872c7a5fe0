//! The linkage report: what the link stage did, in figures (merges by key, the fuzzy step,
//! refused merges, answers settled), as JSON for tools and as text for the platform's staff.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::LinkParams;
use super::exact::ExactStats;
use super::fuzzy::FuzzyStats;
use super::resolve::ResolveStats;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LinkReport {
    pub key_fingerprint: String,
    pub params: Option<LinkParams>,
    /// The fuzzy thresholds used for this many records.
    pub effective_thresholds: Option<crate::schema::Thresholds>,
    pub records: u64,
    pub persons: u64,
    pub organisations: u64,
    /// Persons by how many organisations reported them: "1", "2", "3+".
    pub persons_by_organisations: BTreeMap<String, u64>,
    pub exact: ExactStats,
    pub fuzzy: Option<FuzzyStats>,
    pub refused_pnr_merges: u64,
    pub resolution: ResolveStats,
    /// Persons with more records than organisations (one organisation reported them twice).
    pub persons_repeated_in_an_organisation: u64,
    /// Wall time of each step: reading, exact step, fuzzy step, writing.
    pub seconds: BTreeMap<String, f64>,
    /// Records without any identifier to link by (no name, no personal number); None when
    /// the name filters were not read.
    #[serde(default)]
    pub records_without_identifiers: Option<u64>,
    /// Files of the input folder that were not read (not Parquet), and Parquet files of no
    /// records (see `link::Records`).
    #[serde(default)]
    pub not_read: Vec<String>,
    #[serde(default)]
    pub empty_files: Vec<String>,
}

impl LinkReport {
    pub fn summary(&self) -> String {
        let by = |k: &str| self.persons_by_organisations.get(k).copied().unwrap_or(0);
        let fuzzy = self.fuzzy.as_ref().map_or("fuzzy step off".to_string(), |f| {
            format!(
                "{} by the fuzzy step ({} candidate pairs compared)",
                f.merges, f.candidate_pairs
            )
        });
        let exact: u64 = self.exact.merges.values().sum();
        let mut text = format!(
            "Link joined {} records from {} organisation(s) into {} persons: {} reported by one organisation, {} by two, {} by three or more. \
             Merges: {exact} by exact keys, {fuzzy}; {} merges refused because personal numbers differed; {} key values ignored as implausible (too common, or a personal number given to different names).",
            self.records,
            self.organisations,
            self.persons,
            by("1"),
            by("2"),
            by("3+"),
            self.refused_pnr_merges,
            self.exact.ignored_values.values().map(|v| v.0).sum::<u64>()
                + self.exact.ignored_pnr_placeholders.0
        );
        if let Some(warning) = self.unlinkable_warning() {
            text.push_str(&format!(" Warning: {warning}."));
        }
        for warning in self.file_warnings() {
            text.push_str(&format!(" Warning: {warning}."));
        }
        text
    }

    /// Files left out, or of no records, each of which may be an organisation missing.
    pub fn file_warnings(&self) -> Vec<String> {
        let listed = |files: &[String]| {
            let shown = files.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
            match files.len() {
                0..=5 => shown,
                n => format!("{shown} and {} more", n - 5),
            }
        };
        let mut out = Vec::new();
        if !self.not_read.is_empty() {
            out.push(format!(
                "not read, as not Parquet files (link reads the `.parquet` files pseudonymise writes; an organisation whose file is among them is left out): {}",
                listed(&self.not_read)
            ));
        }
        if !self.empty_files.is_empty() {
            out.push(format!(
                "pseudonymised file(s) of no records, whose organisation counts as having reported nobody (ingest accepted none of its rows, or its file was empty; its validation report says why): {}",
                listed(&self.empty_files)
            ));
        }
        out
    }

    /// What records without any identifier mean for the counts, when there are any.
    pub fn unlinkable_warning(&self) -> Option<String> {
        let n = self.records_without_identifiers.filter(|n| *n > 0)?;
        Some(format!(
            "{n} record(s) ({:.0}%) carry no identifier to link by (no name and no personal number), so a person among them whom several organisations reported is counted once by each: the persons and T21's overlap count them as different people",
            100.0 * n as f64 / self.records.max(1) as f64
        ))
    }

    pub fn to_text(&self) -> String {
        let mut s = format!(
            "safetally linkage report (key {})\n\n{}\n\n",
            self.key_fingerprint,
            self.summary()
        );
        let _ = writeln!(s, "Merges by exact key:");
        for (k, n) in &self.exact.merges {
            let _ = writeln!(s, "  {k}: {n}");
        }
        for (k, (g, n)) in &self.exact.ignored_values {
            let _ = writeln!(
                s,
                "  ignored: {g} value(s) of {k} shared by {n} records in all (more than the plausible maximum)"
            );
        }
        let (numbers, records) = self.exact.ignored_pnr_placeholders;
        if numbers > 0 {
            let _ = writeln!(
                s,
                "  ignored: {numbers} personal number(s), held by {records} records, that one organisation gives to records of different names or birth dates: numbers used as placeholders (typed for everyone without one, such as the Tax Agency's well-known example number); their records are joined by name and birth date instead, and not to a record of another number"
            );
        }
        let (values, records) = self.exact.common_dates;
        if values > 0 {
            let _ = writeln!(
                s,
                "  {values} birth month-and-day value(s), held by {records} records with a full date, are so common that they look like placeholders (1 January and the like): on them a full date counted as the year only, and the phonetic key was not used"
            );
        }
        if self.exact.refused_by_answers > 0 {
            let _ = writeln!(
                s,
                "  {} pair(s) with alike names and the same birth date kept apart: their records disagree on gender",
                self.exact.refused_by_answers
            );
        }
        if let Some(f) = &self.fuzzy {
            let _ = writeln!(
                s,
                "Fuzzy step: {} candidate pairs, {} above threshold, {} accepted one-to-one, {} merges ({} refused: birth dates no one person has; {} refused: genders differ; {} refused: both persons already hold a record of one organisation); {} blocks skipped as too large (holding {} record entries; a record is in several blocks).",
                f.candidate_pairs,
                f.above_threshold,
                f.accepted,
                f.merges,
                f.refused_date_conflicts,
                f.refused_answer_conflicts,
                f.refused_same_organisation,
                f.skipped_blocks,
                f.skipped_block_records
            );
            if f.ambiguous_records > 0 {
                let _ = writeln!(
                    s,
                    "  {} record(s) not joined by the fuzzy step: on a birth date known to the year or not at all, their names match records of two or more persons whose birth dates differ (namesakes) about equally well, so joining either would be a guess; such a person may be counted twice",
                    f.ambiguous_records
                );
            }
            if f.skipped_blocks > 0 {
                let _ = writeln!(
                    s,
                    "  (a block is a keyed blocking value; one held by more records than the limit is too common to tell persons apart, and its records are compared through their other blocking keys only)"
                );
            }
        }
        let high = self
            .effective_thresholds
            .as_ref()
            .filter(|_| self.fuzzy.is_some())
            .map(|t| t.above_identical_names())
            .unwrap_or_default();
        for (kind, t) in high {
            let _ = writeln!(
                s,
                "  At {} records the threshold for pairs with {kind} is {t:.3}, above what two records of one identical name reliably reach (about {}): namesakes are too many at this size to join such records by their names, so they are mostly left apart (joined by personal number only: the exact keys need a full date).",
                self.records,
                crate::schema::IDENTICAL_NAME_DICE
            );
        }
        let _ = writeln!(s, "Answers that differed between a person's records:");
        for (c, n) in &self.resolution.by_precedence {
            let _ = writeln!(s, "  {c}: {n} person(s) settled by the more specific answer");
        }
        for (c, n) in &self.resolution.conflicts {
            let _ = writeln!(s, "  {c}: {n} conflict(s), the most frequent answer kept");
        }
        let _ = writeln!(
            s,
            "Persons reported twice by the same organisation: {}",
            self.persons_repeated_in_an_organisation
        );
        s
    }
}
