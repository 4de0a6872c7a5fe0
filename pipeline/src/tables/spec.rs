//! The report-table specs (`schemas/tables.json`) as parsed from JSON, before they are checked
//! against the contract. A table is data: adding one is adding a spec, not code.

use std::collections::{BTreeMap, HashMap};

use crate::schema::Code;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Label {
    pub sv: String,
    pub en: String,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct TablesFile {
    pub derived_lists: HashMap<String, Vec<Code>>,
    pub tables: Vec<TableSpec>,
    pub comparison: ComparisonSpec,
    pub journalist: JournalistSpec,
}

/// The journalists' cross-tabulation: a table spec, and the published tables (same population,
/// one shared dimension each) whose cells its margins are fitted to.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct JournalistSpec {
    #[serde(default)]
    pub comment: String,
    #[serde(flatten)]
    pub table: TableSpec,
    pub rake_to: Vec<String>,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub id: String,
    pub title: Label,
    pub population: Population,
    pub dimensions: Vec<DimSpec>,
    #[serde(default)]
    pub links: Vec<LinkSpec>,
    /// Most codes one person adds to a multi-valued table under differential privacy.
    #[serde(default)]
    pub max_codes: Option<usize>,
    /// Under differential privacy, measure the table's grand total beside its cells (a total
    /// summed from many noisy cells is as noisy as all of them together).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub measure_total: bool,
    /// A multi-valued table's own words for its rows of persons with any code, none and two
    /// or more (`_any`, `_none`, `_several`), where "answer" says nothing: T21b counts
    /// persons by the organisations that reported them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub margin_labels: std::collections::BTreeMap<String, Label>,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Population {
    pub sv: String,
    pub en: String,
    #[serde(rename = "where")]
    pub conditions: Vec<Condition>,
}

impl Population {
    /// Whether the two count the same persons: the same conditions, in any order, whatever
    /// their labels say. Tables over them share a grand total, and a reader knows it.
    pub fn same_persons(&self, other: &Population) -> bool {
        let within = |a: &[Condition], b: &[Condition]| a.iter().all(|c| b.contains(c));
        within(&self.conditions, &other.conditions) && within(&other.conditions, &self.conditions)
    }
}

/// One condition a counted person meets. Exactly one test is set.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub column: String,
    /// Not blank.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub answered: bool,
    /// Not blank and not only `unknown`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub known: bool,
    /// One of these codes (for a multi-valued column: any of them).
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub in_codes: Option<Vec<String>>,
    /// A multi-valued column that holds this code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DimSpec {
    pub name: String,
    pub column: String,
    #[serde(default)]
    pub derive: Option<String>,
    /// For `several_as`: the code persons with two or more codes get.
    #[serde(default)]
    pub several: Option<Code>,
    /// For `contains`: the code looked for.
    #[serde(default)]
    pub code: Option<String>,
    /// For `count_group`: the derived list of groups.
    #[serde(default)]
    pub list: Option<String>,
}

/// This table, summed over the dimensions not named, equals `table`; `dims` maps this
/// table's dimensions to the linked table's.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub table: String,
    pub dims: BTreeMap<String, String>,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonSpec {
    pub id: String,
    pub title: Label,
    pub platform: Vec<PlatformMeasure>,
}

/// A platform figure for the comparison, taken from a published cell of a report table, less
/// any cells of the same table named in `less`.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformMeasure {
    pub measure: String,
    /// The figure's labels. Left out for a cell of one code, which then has its table's
    /// labels: T22 wrote T19's legal stages its own way ("Prosecuted" beside T19's
    /// "Prosecution brought"), an outside review found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
    pub table: String,
    pub cell: BTreeMap<String, String>,
    /// Cells of the same table taken away from `cell`: persons with a known legal status are
    /// T19's persons with an answer less those whose answer is "unknown" (T22 counted them
    /// as known, an outside review found). Computed from the published cells only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub less: Vec<BTreeMap<String, String>>,
}
