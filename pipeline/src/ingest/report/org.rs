//! One organisation's counts in the report: rows in, accepted and quarantined by rule, values
//! normalised, accepted rows by year, and the kinds of problem spelled out for the person who
//! fixes the file, rows with the same problem together.

use std::collections::{BTreeMap, BTreeSet};

use crate::ingest::shown::quoted;
use crate::ingest::validate::{Normalisation, Problem};

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
pub(super) const EXAMPLES: usize = 20;
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
                .entry(format!("{}: {} -> {}", n.column, quoted(&n.from), quoted(&n.to)))
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
    pub(super) fn close_examples(&mut self) {
        if !self.groups.is_empty() {
            self.examples = self.groups.iter().map(ExampleGroup::text).collect();
        }
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
