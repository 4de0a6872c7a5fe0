//! The declared linkage settings (`schemas/linkage.json`): group and block limits, fuzzy
//! thresholds, and how a person's answer is resolved from their records' answers.

use std::collections::BTreeMap;

use super::{ColumnKind, Schema};
use crate::error::SchemaError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// One answer per person: known over unknown, then the declared precedence, else a conflict.
    Single,
    /// Several answers per person: the union of the records' codes.
    Union,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Resolution {
    pub rule: RuleKind,
    /// Codes from most to least specific; a value not listed ranks below every listed one.
    #[serde(default)]
    pub precedence: Vec<String>,
}

#[derive(Debug, Clone, Copy, serde::Deserialize, serde::Serialize)]
pub struct Thresholds {
    pub full_date: f64,
    pub swapped_date: f64,
    pub partial_date: f64,
    pub no_date: f64,
    /// Added to a pair's threshold when the two records share no name part (by its keyed
    /// consonant skeleton). The balanced filters' Dice is one minus the share of differing
    /// bits, whatever the names' lengths, so two short names that differ throughout ("Anna",
    /// "Maria") score as high as a long name with one typo. 0 in manifests of 0.18 and before.
    #[serde(default)]
    pub no_common_part: f64,
    /// A record matched on weak date evidence (a year, or no date) is left unlinked when a
    /// person whose birth date conflicts with its best match's scores within this of the best
    /// (namesakes: either join would be a guess). Negative: no such guard (manifests of 0.21
    /// and before).
    #[serde(default = "no_ambiguity_guard")]
    pub ambiguity_margin: f64,
}

fn no_ambiguity_guard() -> f64 {
    -1.0
}

#[derive(Debug, Clone, Copy, serde::Deserialize, serde::Serialize)]
pub struct ThresholdScale {
    pub reference_records: f64,
    pub per_decade: f64,
    /// Added at the reference size and below, fading to nothing at twice that size.
    #[serde(default)]
    pub at_reference: f64,
    /// No threshold rises above this. The Bloom filters' random bit flips hold two records of
    /// one identical name to a Dice of about 0.97 to 0.99, so a threshold near the ceiling
    /// joins by the name alone hardly at all: where namesakes are many, that is meant
    /// (measured in `linkage.json`), and the link report says so.
    #[serde(default = "old_ceiling")]
    pub ceiling: f64,
}

/// The ceiling of manifests of safetally 0.11 and before.
fn old_ceiling() -> f64 {
    0.99
}

/// When a birth date's month and day are held by so many records that sharing them says little
/// (a placeholder such as 1 January, which registers give people whose birth day is unknown).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct CommonDate {
    /// Never common below this many different names with the month and day.
    pub min_names: usize,
    /// Common from this many times the names a month and day would hold if birth days were
    /// spread evenly over the year.
    pub times_expected: f64,
}

impl Default for CommonDate {
    /// Settings read without the field (manifests of safetally 0.9 and before): never common.
    fn default() -> Self {
        CommonDate {
            min_names: usize::MAX,
            // Finite, so that settings holding it can be written to JSON and read back.
            times_expected: f64::MAX,
        }
    }
}

/// Below about this Dice two records of one identical name can fall (bit flips): a threshold
/// above it leaves those records apart more often than not.
pub const IDENTICAL_NAME_DICE: f64 = 0.97;

impl Thresholds {
    /// The evidence kinds whose threshold is above what identical names reliably reach.
    pub fn above_identical_names(&self) -> Vec<(&'static str, f64)> {
        [
            ("a full birth date", self.full_date),
            ("day and month swapped", self.swapped_date),
            ("a year (and month) only", self.partial_date),
            ("no birth date", self.no_date),
        ]
        .into_iter()
        .filter(|(_, t)| *t > IDENTICAL_NAME_DICE)
        .collect()
    }

    /// The thresholds for `records` records: shifted by `at_reference` up to the reference
    /// size (fading out by twice it), raised by `per_decade` for each tenfold beyond it, never
    /// above the scale's ceiling.
    pub fn for_size(&self, scale: &ThresholdScale, records: usize) -> Thresholds {
        let decades = (records as f64 / scale.reference_records).log10().max(0.0);
        let fade = (1.0 - decades / 2f64.log10()).max(0.0);
        let shift = scale.per_decade * decades + scale.at_reference * fade;
        let up = |t: f64| (t + shift).clamp(0.0, scale.ceiling);
        Thresholds {
            full_date: up(self.full_date),
            swapped_date: up(self.swapped_date),
            partial_date: up(self.partial_date),
            no_date: up(self.no_date),
            no_common_part: self.no_common_part,
            ambiguity_margin: self.ambiguity_margin,
        }
    }
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct LinkageSpec {
    pub threshold_scale: ThresholdScale,
    /// Answers the fuzzy and guarded exact steps never join records across (`link::gate`).
    #[serde(default = "gated_answers")]
    pub gated_answers: Vec<String>,
    /// The match keys the exact step trusts, chosen by measured precision and recall.
    pub match_keys: Vec<String>,
    pub max_key_group: usize,
    pub max_block: usize,
    pub thresholds: Thresholds,
    pub common_date: CommonDate,
    pub resolution: BTreeMap<String, Resolution>,
}

const LINKAGE: &str = include_str!("../../../schemas/linkage.json");

/// The answers gated when settings name none (settings of 0.22 and before): gender.
pub fn gated_answers() -> Vec<String> {
    vec!["gender".to_string()]
}

/// Answers the gate holds at most (it keeps them in place, per record).
pub const GATED_MAX: usize = 4;

impl LinkageSpec {
    /// Loads and checks the embedded linkage settings against the contract.
    pub fn load(schema: &Schema) -> Result<Self, SchemaError> {
        Self::from_json(schema, LINKAGE)
    }

    /// Settings from `text`, checked against the contract.
    fn from_json(schema: &Schema, text: &str) -> Result<Self, SchemaError> {
        let spec: LinkageSpec = serde_json::from_str(text).map_err(|source| SchemaError::Json {
            file: "linkage.json",
            source,
        })?;
        let bad = |message: String| SchemaError::Invalid {
            file: "linkage.json",
            message,
        };
        for c in schema
            .columns
            .iter()
            .filter(|c| c.kind == ColumnKind::Attribute || c.name == "contact_kind")
        {
            let r = spec
                .resolution
                .get(&c.name)
                .ok_or_else(|| bad(format!("no resolution rule for column {}", c.name)))?;
            if (r.rule == RuleKind::Union) != c.multi {
                return Err(bad(format!(
                    "column {}: union is for multi-valued columns, single for the others",
                    c.name
                )));
            }
            if let Some(list) = schema.list_for(c) {
                for p in &r.precedence {
                    if list.get(p).is_none() {
                        return Err(bad(format!(
                            "column {}: precedence names unknown code {p}",
                            c.name
                        )));
                    }
                }
            }
        }
        // Negative is how settings of 0.21 and before read (no guard); in the schema a sign
        // typed by mistake would switch the guard off unseen.
        let margin = spec.thresholds.ambiguity_margin;
        if !(0.0..1.0).contains(&margin) {
            return Err(bad(format!(
                "thresholds.ambiguity_margin {margin}: a Dice difference from 0 up to 1"
            )));
        }
        let ceiling = spec.threshold_scale.ceiling;
        if !(ceiling > 0.0 && ceiling <= 1.0) {
            return Err(bad(format!(
                "threshold_scale.ceiling must lie above 0 and at most 1, not {ceiling}"
            )));
        }
        if spec.gated_answers.len() > GATED_MAX {
            return Err(bad(format!("gated_answers names more than {GATED_MAX} columns")));
        }
        for name in &spec.gated_answers {
            let gateable = schema.column(name).is_some_and(|c| {
                c.kind == ColumnKind::Attribute && c.ty == crate::schema::ColumnType::Code && !c.multi
            });
            if !gateable {
                return Err(bad(format!(
                    "gated_answers: {name} is not a single-valued code column of the contract's answers"
                )));
            }
        }
        for name in spec.resolution.keys() {
            if schema.column(name).is_none() {
                return Err(bad(format!("resolution rule for unknown column {name}")));
            }
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {

    /// The gated answers are the settings' (gender), and a column that is not a single
    /// answer of the contract is refused when the settings load.
    #[test]
    fn gated_answers_are_single_valued_answer_columns() {
        let schema = crate::schema::load_embedded().expect("schema");
        assert_eq!(
            LinkageSpec::load(&schema).expect("settings").gated_answers,
            ["gender"]
        );
        for bad in ["exploitation_forms", "given_name", "no_such_column"] {
            let text = LINKAGE.replace(
                r#""gated_answers": ["gender"]"#,
                &format!(r#""gated_answers": ["{bad}"]"#),
            );
            assert!(text != LINKAGE, "the settings name gender");
            let e = LinkageSpec::from_json(&schema, &text).expect_err(bad).to_string();
            assert!(e.contains(&format!("gated_answers: {bad} is not")), "{e}");
        }
    }
    use super::*;

    /// The platform's size gets `at_reference`, which fades out by twice that size; beyond,
    /// thresholds rise by `per_decade` a tenfold as before, and never pass the ceiling.
    #[test]
    fn thresholds_are_lowered_at_the_platforms_size_only_and_rise_with_size() {
        let base = Thresholds {
            full_date: 0.72,
            swapped_date: 0.80,
            partial_date: 0.86,
            no_date: 0.92,
            no_common_part: 0.0,
            ambiguity_margin: 0.03,
        };
        let scale = ThresholdScale {
            reference_records: 500.0,
            per_decade: 0.04,
            at_reference: -0.02,
            ceiling: 0.99,
        };
        let full = |n: usize| base.for_size(&scale, n).full_date;
        let near = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(near(full(100), 0.70) && near(full(500), 0.70));
        let at_750 = full(750);
        assert!(0.70 < at_750 && at_750 < 0.72 + 0.04 * 1.5f64.log10(), "{at_750}");
        assert!(near(full(1000), 0.72 + 0.04 * 2f64.log10()));
        assert!(near(full(50_000), 0.80));
        assert!(near(base.for_size(&scale, 10_000_000).no_date, 0.99));
        let spec = LinkageSpec::load(&crate::schema::load_embedded().expect("schema")).expect("spec");
        assert!(
            spec.threshold_scale.at_reference < 0.0,
            "the declared settings lower them"
        );
    }
}
