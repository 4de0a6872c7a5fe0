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
}

#[derive(Debug, Clone, Copy, serde::Deserialize, serde::Serialize)]
pub struct ThresholdScale {
    pub reference_records: f64,
    pub per_decade: f64,
}

impl Thresholds {
    /// The thresholds for `records` records: raised by `per_decade` for each tenfold beyond the
    /// reference size, never above 0.99.
    pub fn for_size(&self, scale: &ThresholdScale, records: usize) -> Thresholds {
        let decades = (records as f64 / scale.reference_records).log10().max(0.0);
        let up = |t: f64| (t + scale.per_decade * decades).min(0.99);
        Thresholds {
            full_date: up(self.full_date),
            swapped_date: up(self.swapped_date),
            partial_date: up(self.partial_date),
            no_date: up(self.no_date),
        }
    }
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct LinkageSpec {
    pub threshold_scale: ThresholdScale,
    /// The match keys the exact step trusts, chosen by measured precision and recall.
    pub match_keys: Vec<String>,
    pub max_key_group: usize,
    pub max_block: usize,
    pub thresholds: Thresholds,
    pub resolution: BTreeMap<String, Resolution>,
}

const LINKAGE: &str = include_str!("../../../schemas/linkage.json");

impl LinkageSpec {
    /// Loads and checks the embedded linkage settings against the contract.
    pub fn load(schema: &Schema) -> Result<Self, SchemaError> {
        let spec: LinkageSpec = serde_json::from_str(LINKAGE).map_err(|source| SchemaError::Json {
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
        for name in spec.resolution.keys() {
            if schema.column(name).is_none() {
                return Err(bad(format!("resolution rule for unknown column {name}")));
            }
        }
        Ok(spec)
    }
}
