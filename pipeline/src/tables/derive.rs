//! From a person's resolved columns to the cell(s) they count in: population conditions and
//! the derivations (region, origin group, two-or-more, contains, count groups, pairs).

use std::collections::HashMap;

use super::compile::{NOT_ANSWERED, pair_code, parse_group};
use super::spec::Condition;
use super::{Derive, Dim, Table};
use crate::error::{StageError, TableError};
use crate::schema::Schema;

/// The persons table's columns by name. A fast hash: every table looks a column up for every
/// person (with the standard one, hashing names was a tenth of aggregate's time).
pub type Columns = std::collections::HashMap<String, Vec<Option<String>>, foldhash::fast::FixedState>;

/// The persons table, column by column, as strings (multi-valued cells joined by the separator).
pub struct Persons {
    pub n: usize,
    pub cols: Columns,
    pub separator: char,
}

impl Persons {
    pub fn get(&self, column: &str, i: usize) -> Option<&str> {
        self.cols
            .get(column)
            .and_then(|c| c[i].as_deref())
            .filter(|s| !s.is_empty())
    }

    fn codes(&self, column: &str, i: usize) -> Vec<&str> {
        self.code_iter(column, i).collect()
    }

    /// The codes of a cell, without collecting them: a population condition is checked for
    /// every person of every table.
    fn code_iter(&self, column: &str, i: usize) -> impl Iterator<Item = &str> {
        self.get(column, i)
            .into_iter()
            .flat_map(|v| v.split(self.separator))
            .filter(|s| !s.is_empty())
    }
}

/// Whether person `i` meets every condition.
pub fn in_population(conds: &[Condition], p: &Persons, i: usize) -> bool {
    conds.iter().all(|c| {
        let mut codes = p.code_iter(&c.column, i);
        if c.answered {
            codes.next().is_some()
        } else if c.known {
            codes.any(|v| v != "unknown")
        } else if let Some(set) = &c.in_codes {
            codes.any(|v| set.iter().any(|s| s == v))
        } else if let Some(code) = &c.contains {
            codes.any(|v| v == code)
        } else {
            true
        }
    })
}

/// Derivations that need the contract: country to region.
pub struct Deriver {
    region: HashMap<String, String>,
    /// The contract's funnel rules (`Schema::only_when`).
    pub only_when: Vec<crate::schema::OnlyWhen>,
}

impl Deriver {
    pub fn new(schema: &Schema) -> Self {
        Deriver {
            region: schema
                .countries
                .iter()
                .map(|c| (c.alpha2.clone(), c.region.clone()))
                .collect(),
            only_when: schema.only_when.clone(),
        }
    }

    /// Every country code of the contract.
    pub fn countries(&self) -> impl Iterator<Item = &str> {
        self.region.keys().map(String::as_str)
    }

    /// The derived code of one value (a country for region and origin group).
    pub fn single(&self, derive: &Derive, value: &str) -> Option<String> {
        match derive {
            Derive::Code => Some(value.to_string()),
            Derive::Region => match value {
                "unknown" => Some("unknown".into()),
                v => self.region.get(v).cloned(),
            },
            Derive::OriginGroup => Some(
                match value {
                    "unknown" => "unknown",
                    "SE" => "sweden",
                    v if self.region.get(v).is_some_and(|r| r == "eu") => "eu",
                    _ => "outside_eu",
                }
                .to_string(),
            ),
            _ => None,
        }
    }

    /// The codes person `i` adds on dimension `dim`: one for a single-valued dimension
    /// (`not_answered` when blank), any number for a multi-valued one.
    pub fn codes(&self, dim: &Dim, p: &Persons, i: usize) -> Vec<String> {
        let raw = p.codes(&dim.column, i);
        if dim.multi {
            return match dim.derive {
                Derive::Pairs => pairs(&raw),
                _ => dedup(raw),
            };
        }
        if raw.is_empty() {
            return vec![NOT_ANSWERED.to_string()];
        }
        let one = match &dim.derive {
            Derive::SeveralAs(several) => {
                let known: Vec<&str> = dedup_ref(&raw).into_iter().filter(|c| *c != "unknown").collect();
                match known.len() {
                    0 => "unknown".to_string(),
                    1 => known[0].to_string(),
                    _ => several.clone(),
                }
            }
            Derive::Contains(code) => if raw.contains(&code.as_str()) {
                "yes"
            } else if raw.iter().all(|c| *c == "unknown") {
                "unknown"
            } else {
                "no"
            }
            .to_string(),
            Derive::CountGroup => count_group(dim, raw[0]),
            d => self.single(d, raw[0]).unwrap_or_else(|| raw[0].to_string()),
        };
        vec![one]
    }
}

fn dedup(raw: Vec<&str>) -> Vec<String> {
    dedup_ref(&raw).into_iter().map(str::to_string).collect()
}

fn dedup_ref<'a>(raw: &[&'a str]) -> Vec<&'a str> {
    let mut v = raw.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

fn pairs(orgs: &[&str]) -> Vec<String> {
    let o = dedup_ref(orgs);
    let mut out = Vec::new();
    for (i, a) in o.iter().enumerate() {
        for b in &o[i..] {
            out.push(pair_code(a, b));
        }
    }
    out
}

fn count_group(dim: &Dim, raw: &str) -> String {
    let n: u64 = raw.parse().unwrap_or(0);
    dim.domain
        .iter()
        .find(|c| parse_group(&c.code).is_some_and(|(k, plus)| n == k || (plus && n >= k)))
        .map_or_else(|| raw.to_string(), |c| c.code.clone())
}

/// Position of each code in a dimension's domain, for fast counting.
pub fn positions(table: &Table) -> Vec<crate::FastMap<String, usize>> {
    table
        .dims
        .iter()
        .map(|d| {
            d.domain
                .iter()
                .enumerate()
                .map(|(i, c)| (c.code.clone(), i))
                .collect()
        })
        .collect()
}

/// A person's code that the table's public domain does not have: a schema or data error,
/// never silently dropped.
pub fn outside_domain(table: &Table, dim: &Dim, person: usize) -> StageError {
    TableError::OutsideDomain {
        table: table.id().to_string(),
        row: person + 1,
        column: dim.column.clone(),
        dimension: dim.name.clone(),
    }
    .into()
}
