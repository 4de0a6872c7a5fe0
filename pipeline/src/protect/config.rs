//! The differential-privacy configuration (`schemas/privacy.json`): the year's rho cap, a
//! release's default rho, delta for reporting epsilon, group size, table weights.

use std::collections::BTreeMap;

use crate::error::SchemaError;

const PRIVACY: &str = include_str!("../../../schemas/privacy.json");

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DpConfig {
    pub year_rho_cap: f64,
    pub release_rho: f64,
    pub delta: f64,
    pub group_size: u32,
    pub suppress_below: u64,
    pub default_weight: f64,
    pub weights: BTreeMap<String, f64>,
    /// What the journalists' noised cross-tabulation spends.
    pub journalist_rho_crosstab: f64,
    /// What the journalists' synthetic microdata spends (its one- and two-way marginals).
    pub journalist_rho_synthetic: f64,
}

impl DpConfig {
    pub fn load_embedded() -> Result<Self, SchemaError> {
        Self::parse(PRIVACY)
    }

    pub fn parse(text: &str) -> Result<Self, SchemaError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[allow(dead_code)]
            comment: String,
            year_rho_cap: f64,
            release_rho: f64,
            delta: f64,
            group_size: u32,
            suppress_below: u64,
            default_weight: f64,
            weights: BTreeMap<String, f64>,
            journalist_rho_crosstab: f64,
            journalist_rho_synthetic: f64,
        }
        let f: File = serde_json::from_str(text).map_err(|source| SchemaError::Json {
            file: "privacy.json",
            source,
        })?;
        let bad = |m: &str| SchemaError::Invalid {
            file: "privacy.json",
            message: m.to_string(),
        };
        if !(f.year_rho_cap > 0.0 && f.release_rho > 0.0 && f.release_rho <= f.year_rho_cap) {
            return Err(bad("need 0 < release_rho <= year_rho_cap"));
        }
        if !(f.delta > 0.0 && f.delta < 1.0) || f.group_size == 0 {
            return Err(bad("need 0 < delta < 1 and group_size >= 1"));
        }
        if !(f.journalist_rho_crosstab > 0.0 && f.journalist_rho_synthetic > 0.0) {
            return Err(bad("the journalists' rho must be positive"));
        }
        if f.default_weight <= 0.0 || f.weights.values().any(|w| *w <= 0.0) {
            return Err(bad("weights must be positive"));
        }
        Ok(DpConfig {
            year_rho_cap: f.year_rho_cap,
            release_rho: f.release_rho,
            delta: f.delta,
            group_size: f.group_size,
            suppress_below: f.suppress_below,
            default_weight: f.default_weight,
            weights: f.weights,
            journalist_rho_crosstab: f.journalist_rho_crosstab,
            journalist_rho_synthetic: f.journalist_rho_synthetic,
        })
    }

    pub fn weight(&self, table: &str) -> f64 {
        self.weights.get(table).copied().unwrap_or(self.default_weight)
    }
}
