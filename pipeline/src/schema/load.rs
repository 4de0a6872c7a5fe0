//! Parses the embedded schema files and checks them against each other, so a broken
//! schema is a clear error at start-up rather than a wrong table later.

use std::collections::HashMap;

use super::codes::{Code, CodeList, CodeLookup};
use super::{Column, ColumnType, Country, Member, MemberKind, Rule, Schema};
use crate::error::SchemaError;

const VERSION: &str = include_str!("../../../schemas/VERSION");
const CONTRACT: &str = include_str!("../../../schemas/contract.json");
const CODELISTS: &str = include_str!("../../../schemas/codelists.json");
const COUNTRIES: &str = include_str!("../../../schemas/countries.csv");
const MEMBERS: &str = include_str!("../../../schemas/members.csv");

#[derive(serde::Deserialize)]
struct ContractFile {
    multi_separator: String,
    max_field_chars: usize,
    #[serde(default)]
    name_placeholders: Vec<String>,
    #[serde(default)]
    id_placeholders: Vec<String>,
    #[serde(default)]
    example_ids: Vec<String>,
    #[serde(default)]
    empty_markers: Vec<String>,
    #[serde(default)]
    birth_date_placeholders: Vec<String>,
    #[serde(default)]
    only_when: Vec<super::OnlyWhen>,
    columns: Vec<Column>,
    rules: Vec<Rule>,
}

#[derive(serde::Deserialize)]
struct CodeListsFile {
    lists: HashMap<String, Vec<Code>>,
}

/// Loads the schema compiled into this binary.
pub fn load_embedded() -> Result<Schema, SchemaError> {
    let contract: ContractFile = serde_json::from_str(CONTRACT).map_err(|source| SchemaError::Json {
        file: "contract.json",
        source,
    })?;
    let lists: CodeListsFile = serde_json::from_str(CODELISTS).map_err(|source| SchemaError::Json {
        file: "codelists.json",
        source,
    })?;
    let code_lists: HashMap<String, CodeList> = lists
        .lists
        .into_iter()
        .map(|(id, codes)| (id.clone(), CodeList::new(id, codes)))
        .collect();
    let countries = parse_countries(&code_lists)?;
    let members = parse_members()?;
    let separator = single_char(&contract.multi_separator)?;
    for (list, words) in [
        ("name_placeholders", &contract.name_placeholders),
        ("id_placeholders", &contract.id_placeholders),
        ("example_ids", &contract.example_ids),
    ] {
        if let Some(w) = words.iter().find(|w| super::name_placeholder_form(w).is_empty()) {
            return Err(SchemaError::Invalid {
                file: "contract.json",
                message: format!(
                    "{list}: {w:?} has no letter or digit, so it would match every value of punctuation only"
                ),
            });
        }
    }
    if let Some(d) = contract
        .birth_date_placeholders
        .iter()
        .find(|d| crate::dates::PartialDate::parse(d).map_or(true, |p| p.day.is_none()))
    {
        return Err(SchemaError::Invalid {
            file: "contract.json",
            message: format!("birth_date_placeholders: {d:?} is not a full date (YYYY-MM-DD)"),
        });
    }
    check_columns(&contract.columns, &code_lists)?;
    check_only_when(&contract.only_when, &contract.columns, &code_lists)?;
    let unknown_country = unknown_country(&code_lists)?;
    let country_lookup = country_lookup(&countries, &unknown_country);
    let (header_names, other_headers) = super::header_names(&contract.columns);
    Ok(Schema {
        version: VERSION.trim().to_string(),
        multi_separator: separator,
        max_field_chars: contract.max_field_chars,
        name_placeholders: contract
            .name_placeholders
            .iter()
            .map(|w| super::name_placeholder_form(w))
            .collect(),
        id_placeholders: contract
            .id_placeholders
            .iter()
            .map(|w| super::name_placeholder_form(w))
            .collect(),
        example_ids: contract
            .example_ids
            .iter()
            .map(|w| super::name_placeholder_form(w))
            .collect(),
        empty_markers: contract.empty_markers.iter().map(|w| w.to_lowercase()).collect(),
        birth_date_placeholders: contract.birth_date_placeholders.into_iter().collect(),
        only_when: contract.only_when,
        columns: contract.columns,
        rules: contract.rules,
        code_lists,
        countries,
        unknown_country,
        members,
        country_lookup,
        header_names,
        other_headers,
    })
}

fn single_char(s: &str) -> Result<char, SchemaError> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(SchemaError::Invalid {
            file: "contract.json",
            message: format!("multi_separator must be one character, not {s:?}"),
        }),
    }
}

fn check_columns(columns: &[Column], lists: &HashMap<String, CodeList>) -> Result<(), SchemaError> {
    for c in columns {
        let needs_list = c.ty == ColumnType::Code;
        match (&c.code_list, needs_list) {
            (Some(id), true) if !lists.contains_key(id) => {
                return Err(SchemaError::Invalid {
                    file: "contract.json",
                    message: format!("column {} names unknown code list {id}", c.name),
                });
            }
            (None, true) => {
                return Err(SchemaError::Invalid {
                    file: "contract.json",
                    message: format!("coded column {} has no code_list", c.name),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

fn parse_countries(lists: &HashMap<String, CodeList>) -> Result<Vec<Country>, SchemaError> {
    let regions = lists.get("region").ok_or(SchemaError::Invalid {
        file: "codelists.json",
        message: "the region code list is missing".into(),
    })?;
    let mut out = Vec::new();
    let mut rdr = csv::Reader::from_reader(COUNTRIES.as_bytes());
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| SchemaError::Csv {
            file: "countries.csv",
            line,
            message: e.to_string(),
        })?;
        let field = |k: usize| rec.get(k).unwrap_or("").trim().to_string();
        let c = Country {
            alpha2: field(0),
            name_en: field(1),
            name_sv: field(2),
            region: field(3),
            other_names: field(4)
                .split(';')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(String::from)
                .collect(),
        };
        if c.alpha2.len() != 2 || regions.get(&c.region).is_none() {
            return Err(SchemaError::Csv {
                file: "countries.csv",
                line,
                message: format!("bad code {:?} or unknown region {:?}", c.alpha2, c.region),
            });
        }
        out.push(c);
    }
    Ok(out)
}

fn parse_members() -> Result<Vec<Member>, SchemaError> {
    let mut out = Vec::new();
    let mut rdr = csv::Reader::from_reader(MEMBERS.as_bytes());
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| SchemaError::Csv {
            file: "members.csv",
            line,
            message: e.to_string(),
        })?;
        let kind = match rec.get(2) {
            Some("member") => MemberKind::Member,
            Some("sample") => MemberKind::Sample,
            other => {
                return Err(SchemaError::Csv {
                    file: "members.csv",
                    line,
                    message: format!("kind must be member or sample, not {other:?}"),
                });
            }
        };
        out.push(Member {
            org_id: rec.get(0).unwrap_or("").to_string(),
            name: rec.get(1).unwrap_or("").to_string(),
            kind,
        });
    }
    Ok(out)
}

/// The one code of `country_unknown`, which must be `unknown`: the tables and ingest know
/// it by that code.
fn unknown_country(lists: &HashMap<String, CodeList>) -> Result<Code, SchemaError> {
    match lists.get("country_unknown").map(|l| l.codes.as_slice()) {
        Some([one]) if one.code == "unknown" => Ok(one.clone()),
        _ => Err(SchemaError::Invalid {
            file: "codelists.json",
            message: "country_unknown must hold one code, unknown, with its labels".into(),
        }),
    }
}

fn country_lookup(countries: &[Country], unknown: &Code) -> CodeLookup {
    let mut lookup = CodeLookup::default();
    lookup.add_exact(&unknown.code);
    // The template's own label first (`add_spelling` folds case).
    for spelling in [&unknown.sv, &unknown.code, &unknown.en]
        .into_iter()
        .chain(&unknown.aliases)
    {
        lookup.add_spelling(spelling, &unknown.code);
    }
    for c in countries {
        lookup.add_exact(&c.alpha2);
    }
    for c in countries {
        lookup.add_spelling(&c.alpha2, &c.alpha2);
        lookup.add_spelling(&c.name_en, &c.alpha2);
        lookup.add_spelling(&c.name_sv, &c.alpha2);
    }
    for c in countries {
        for n in &c.other_names {
            lookup.add_spelling(n, &c.alpha2);
        }
    }
    lookup
}

/// A funnel rule must name two columns, its condition a single-valued one with a code list
/// holding every code it gives: a wrong rule would pin non-zero table cells at zero, and every
/// exact release would then stop as inconsistent.
fn check_only_when(
    rules: &[super::OnlyWhen],
    columns: &[Column],
    lists: &HashMap<String, CodeList>,
) -> Result<(), SchemaError> {
    let bad = |message: String| SchemaError::Invalid {
        file: "contract.json",
        message,
    };
    for o in rules {
        let find = |name: &str| {
            columns
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| bad(format!("only_when names {name:?}, which is no column")))
        };
        find(&o.column)?;
        let when = find(&o.when)?;
        if when.multi {
            return Err(bad(format!(
                "only_when: {:?} holds several answers; a condition must hold one",
                o.when
            )));
        }
        let list = when
            .code_list
            .as_deref()
            .and_then(|id| lists.get(id))
            .ok_or_else(|| bad(format!("only_when: {:?} has no code list", o.when)))?;
        if let Some(code) = o.codes.iter().find(|c| list.get(c).is_none()) {
            return Err(bad(format!("only_when: {code:?} is no code of {:?}", o.when)));
        }
    }
    Ok(())
}
