//! Checks the table specs against the contract and turns them into tables with a full public
//! domain per dimension, so a spec naming an unknown column or derivation fails at load.

use std::collections::BTreeMap;

use super::spec::{Condition, DimSpec, Label, TableSpec, TablesFile};
use super::{ANY, Derive, Dim, Link, NONE, SEVERAL, Table, Tables};
use crate::error::SchemaError;
use crate::schema::{Code, ColumnKind, ColumnType, MemberKind, Schema};

const TABLES: &str = include_str!("../../../schemas/tables.json");
const FILE: &str = "tables.json";

/// Code of the cell for persons who left the dimension's column blank.
pub const NOT_ANSWERED: &str = "not_answered";

fn bad(message: String) -> SchemaError {
    SchemaError::Invalid { file: FILE, message }
}

/// The row of persons who did not answer, as `derived_lists.not_answered` labels it.
fn not_answered(file: &TablesFile) -> Result<Code, String> {
    match file.derived_lists.get(NOT_ANSWERED).map(Vec::as_slice) {
        Some([one]) if one.code == NOT_ANSWERED => Ok(one.clone()),
        _ => Err(format!(
            "derived_lists.{NOT_ANSWERED} must hold one code, {NOT_ANSWERED}, with its labels"
        )),
    }
}

fn code(c: &str, sv: &str, en: &str) -> Code {
    Code {
        code: c.to_string(),
        sv: sv.to_string(),
        en: en.to_string(),
        aliases: Vec::new(),
    }
}

/// What a person-table column is, as far as tables are concerned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Code { multi: bool },
    Country { multi: bool },
    OrgCount,
    Orgs,
}

fn source(schema: &Schema, column: &str) -> Option<Source> {
    match column {
        "n_orgs" => return Some(Source::OrgCount),
        "orgs" => return Some(Source::Orgs),
        _ => {}
    }
    let c = schema.column(column)?;
    if c.kind != ColumnKind::Attribute && c.name != "contact_kind" {
        return None;
    }
    match c.ty {
        ColumnType::Code => Some(Source::Code { multi: c.multi }),
        ColumnType::Country => Some(Source::Country { multi: c.multi }),
        _ => None,
    }
}

/// Loads the embedded table specs for data whose organisations are of `members` kind.
pub fn load_tables(schema: &Schema, members: &MemberKind) -> Result<Tables, SchemaError> {
    let file: TablesFile =
        serde_json::from_str(TABLES).map_err(|source| SchemaError::Json { file: FILE, source })?;
    compile(schema, file, members)
}

pub fn compile(schema: &Schema, file: TablesFile, members: &MemberKind) -> Result<Tables, SchemaError> {
    let mut tables: Vec<Table> = Vec::new();
    for spec in &file.tables {
        if tables.iter().any(|t| t.spec.id == spec.id) {
            return Err(bad(format!("table {} is declared twice", spec.id)));
        }
        let t = compile_table(schema, &file, spec, members)?;
        if t.multi && spec.measure_total {
            // Its persons with any code and with none are measured already.
            return Err(bad(format!(
                "table {}: measure_total is for single-valued tables; a multi-valued table measures its persons already",
                spec.id
            )));
        }
        if let Some(k) = spec
            .margin_labels
            .keys()
            .find(|k| ![ANY, NONE, SEVERAL].contains(&k.as_str()))
        {
            return Err(bad(format!(
                "table {}: margin_labels names {k:?}; only {ANY}, {NONE} and {SEVERAL} rows take labels of their own",
                spec.id
            )));
        }
        if !t.multi && !spec.margin_labels.is_empty() {
            return Err(bad(format!(
                "table {}: margin_labels are for the rows of a multi-valued table",
                spec.id
            )));
        }
        tables.push(t);
    }
    for i in 0..tables.len() {
        let links = tables[i]
            .spec
            .links
            .iter()
            .map(|l| compile_link(&tables, &tables[i], l))
            .collect::<Result<Vec<_>, _>>()?;
        tables[i].links = links;
    }
    for m in &file.comparison.platform {
        let t = tables.iter().find(|t| t.spec.id == m.table).ok_or_else(|| {
            bad(format!(
                "comparison measure {} names unknown table {}",
                m.measure, m.table
            ))
        })?;
        for cell in std::iter::once(&m.cell).chain(&m.less) {
            t.cell_index(cell).ok_or_else(|| {
                bad(format!(
                    "comparison measure {} names a cell {:?} that table {} does not have",
                    m.measure, cell, m.table
                ))
            })?;
        }
        let own_labels = m.sv.is_some() && m.en.is_some();
        let one_code = m.less.is_empty() && t.dims.len() == 1 && m.cell.len() == 1 && {
            let i = t.cell_index(&m.cell);
            i.is_some_and(|i| !t.is_margin(i))
        };
        if !own_labels && (m.sv.is_some() || m.en.is_some() || !one_code) {
            return Err(bad(format!(
                "comparison measure {}: give both sv and en, or neither for a cell of one code (whose labels are its table's)",
                m.measure
            )));
        }
    }
    let journalist = compile_table(schema, &file, &file.journalist.table, members)?;
    if journalist.multi {
        return Err(bad(
            "the journalists' cross-tabulation takes single-valued dimensions only".into(),
        ));
    }
    if journalist.spec.measure_total {
        // Its noise is planned for its cells alone (sensitivity 1).
        return Err(bad(
            "the journalists' cross-tabulation measures its cells only: measure_total is not for it".into(),
        ));
    }
    let rake_to = file
        .journalist
        .rake_to
        .iter()
        .map(|id| {
            let at = |m: &str| bad(format!("journalist rake_to {id}: {m}"));
            let ti = tables
                .iter()
                .position(|t| &t.spec.id == id)
                .ok_or_else(|| at("unknown table"))?;
            let t = &tables[ti];
            if !t.spec.population.same_persons(&journalist.spec.population) || t.dims.len() != 1 || t.multi {
                return Err(at("needs a one-way single-valued table over the same population"));
            }
            let d = journalist
                .dims
                .iter()
                .position(|d| d.column == t.dims[0].column && d.derive == t.dims[0].derive)
                .ok_or_else(|| at("no cross-tabulation dimension matches its dimension"))?;
            Ok((ti, d))
        })
        .collect::<Result<Vec<_>, SchemaError>>()?;
    Ok(Tables {
        tables,
        comparison: file.comparison,
        journalist,
        rake_to,
    })
}

fn compile_table(
    schema: &Schema,
    file: &TablesFile,
    spec: &TableSpec,
    members: &MemberKind,
) -> Result<Table, SchemaError> {
    let at = |m: String| bad(format!("table {}: {m}", spec.id));
    if spec.dimensions.is_empty() {
        return Err(at("has no dimensions".into()));
    }
    for c in &spec.population.conditions {
        check_condition(schema, c).map_err(at)?;
    }
    let dims = spec
        .dimensions
        .iter()
        .map(|d| {
            compile_dim(schema, file, spec, d, members).map_err(|m| at(format!("dimension {}: {m}", d.name)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let multi = dims.iter().any(|d| d.multi);
    if multi && dims.len() > 1 {
        return Err(at(
            "a multi-valued dimension must be the table's only dimension".into()
        ));
    }
    if multi != spec.max_codes.is_some() || spec.max_codes == Some(0) {
        return Err(at(
            "a multi-valued table declares max_codes (at least 1), a single-valued one does not".into(),
        ));
    }
    let mut names: Vec<&str> = dims.iter().map(|d| d.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(at("two dimensions share a name".into()));
    }
    Ok(Table {
        spec: spec.clone(),
        dims,
        multi,
        links: Vec::new(),
    })
}

fn check_condition(schema: &Schema, c: &Condition) -> Result<(), String> {
    let src = source(schema, &c.column)
        .ok_or_else(|| format!("condition on unknown or non-attribute column {}", c.column))?;
    let tests = usize::from(c.answered)
        + usize::from(c.known)
        + usize::from(c.in_codes.is_some())
        + usize::from(c.contains.is_some());
    if tests != 1 {
        return Err(format!(
            "the condition on {} must set exactly one of answered, known, in, contains",
            c.column
        ));
    }
    let valid = |v: &str| match src {
        Source::Code { .. } => schema
            .column(&c.column)
            .and_then(|col| schema.list_for(col))
            .is_some_and(|l| l.get(v).is_some()),
        Source::Country { .. } => v == "unknown" || schema.country(v).is_some(),
        _ => false,
    };
    for v in c.in_codes.iter().flatten().chain(c.contains.iter()) {
        if !valid(v) {
            return Err(format!("condition on {} names unknown code {v}", c.column));
        }
    }
    if c.contains.is_some()
        && !matches!(
            src,
            Source::Code { multi: true } | Source::Country { multi: true }
        )
    {
        return Err(format!(
            "contains is for multi-valued columns; {} is not one",
            c.column
        ));
    }
    Ok(())
}

/// Whether the population's conditions guarantee the column is answered.
fn answered(spec: &TableSpec, schema: &Schema, column: &str) -> bool {
    matches!(column, "n_orgs" | "orgs")
        || schema
            .column(column)
            .is_some_and(|c| c.kind == ColumnKind::Required)
        || spec.population.conditions.iter().any(|c| c.column == column)
}

fn known(spec: &TableSpec, column: &str) -> bool {
    spec.population.conditions.iter().any(|c| {
        c.column == column
            && (c.known
                || c.in_codes
                    .as_ref()
                    .is_some_and(|v| !v.iter().any(|x| x == "unknown")))
    })
}

fn compile_dim(
    schema: &Schema,
    file: &TablesFile,
    spec: &TableSpec,
    d: &DimSpec,
    members: &MemberKind,
) -> Result<Dim, String> {
    let src =
        source(schema, &d.column).ok_or_else(|| format!("unknown or non-attribute column {}", d.column))?;
    let list_codes = |col: &str| -> Vec<Code> {
        schema
            .column(col)
            .and_then(|c| schema.list_for(c))
            .map(|l| l.codes.clone())
            .unwrap_or_default()
    };
    let unknown = || Code {
        aliases: Vec::new(),
        ..schema.unknown_country.clone()
    };
    let derived = |name: &str| -> Result<Vec<Code>, String> {
        file.derived_lists
            .get(name)
            .cloned()
            .ok_or_else(|| format!("derived list {name} is not declared in derived_lists"))
    };
    let (derive, mut domain, multi) = match (d.derive.as_deref(), src) {
        (None, Source::Code { multi }) => (Derive::Code, list_codes(&d.column), multi),
        (None, Source::Country { multi }) => {
            let mut v: Vec<Code> = schema
                .countries
                .iter()
                .map(|c| code(&c.alpha2, &c.name_sv, &c.name_en))
                .collect();
            v.push(unknown());
            (Derive::Code, v, multi)
        }
        (Some("region"), Source::Country { multi: false }) => {
            let mut v = schema
                .code_list("region")
                .map(|l| l.codes.clone())
                .unwrap_or_default();
            v.push(unknown());
            (Derive::Region, v, false)
        }
        (Some("origin_group"), Source::Country { multi: false }) => {
            (Derive::OriginGroup, derived("origin_group")?, false)
        }
        (Some("several_as"), Source::Code { multi: true }) => {
            let several = d
                .several
                .clone()
                .ok_or("several_as needs `several` (the code for two or more)")?;
            let mut v = list_codes(&d.column);
            let c = several.code.clone();
            v.push(several);
            (Derive::SeveralAs(c), v, false)
        }
        (Some("contains"), Source::Code { multi: true } | Source::Country { multi: true }) => {
            let c = d.code.clone().ok_or("contains needs `code`")?;
            let v = schema
                .code_list("yes_no_unknown")
                .map(|l| l.codes.clone())
                .ok_or("code list yes_no_unknown is missing")?;
            (Derive::Contains(c), v, false)
        }
        (Some("count_group"), Source::OrgCount) => {
            let list = d.list.as_deref().ok_or("count_group needs `list`")?;
            let v = derived(list)?;
            for c in &v {
                parse_group(&c.code).ok_or_else(|| format!("count group {} is not `N` or `N+`", c.code))?;
            }
            (Derive::CountGroup, v, false)
        }
        (Some("pairs"), Source::Orgs) => (Derive::Pairs, org_pairs(schema, members), true),
        (Some(other), _) => {
            return Err(format!(
                "derivation {other} does not apply to column {}",
                d.column
            ));
        }
        (None, _) => {
            return Err(format!(
                "column {} needs a derivation (count_group or pairs)",
                d.column
            ));
        }
    };
    if known(spec, &d.column) && matches!(derive, Derive::Code | Derive::Region | Derive::OriginGroup) {
        domain.retain(|c| c.code != "unknown");
    }
    if let Some(codes) = spec
        .population
        .conditions
        .iter()
        .find(|c| c.column == d.column)
        .and_then(|c| c.in_codes.as_ref())
        && derive == Derive::Code
        && !multi
    {
        domain.retain(|c| codes.contains(&c.code));
    }
    // A multi-valued dimension counts a person without any answer in its `_none` row: a
    // `not_answered` row beside it would always be 0 (a second label for the same persons,
    // and under DP a structural zero noised).
    if !multi && !answered(spec, schema, &d.column) {
        domain.push(not_answered(file)?);
    }
    Ok(Dim {
        name: d.name.clone(),
        column: d.column.clone(),
        derive,
        domain,
        multi,
    })
}

/// `3` is exactly three, `3+` three or more.
pub fn parse_group(code: &str) -> Option<(u64, bool)> {
    match code.strip_suffix('+') {
        Some(n) => n.parse().ok().map(|n| (n, true)),
        None => code.parse().ok().map(|n| (n, false)),
    }
}

/// Every pair of the register's organisations of this kind, the diagonal included (a
/// person each organisation reported).
fn org_pairs(schema: &Schema, kind: &MemberKind) -> Vec<Code> {
    let mut orgs: Vec<_> = schema.members.iter().filter(|m| &m.kind == kind).collect();
    orgs.sort_by(|a, b| a.org_id.cmp(&b.org_id));
    let mut out = Vec::new();
    for (i, a) in orgs.iter().enumerate() {
        for b in &orgs[i..] {
            let (sv, en) = if a.org_id == b.org_id {
                (format!("{} (alla)", a.name), format!("{} (all)", a.name))
            } else {
                (
                    format!("{} och {}", a.name, b.name),
                    format!("{} and {}", a.name, b.name),
                )
            };
            out.push(code(&pair_code(&a.org_id, &b.org_id), &sv, &en));
        }
    }
    out
}

pub fn pair_code(a: &str, b: &str) -> String {
    format!("{a}|{b}")
}

fn compile_link(tables: &[Table], from: &Table, l: &super::spec::LinkSpec) -> Result<Link, SchemaError> {
    let at = |m: String| bad(format!("table {}: link to {}: {m}", from.spec.id, l.table));
    let to = tables
        .iter()
        .position(|t| t.spec.id == l.table)
        .ok_or_else(|| at("unknown table".into()))?;
    let target = &tables[to];
    if !target.spec.population.same_persons(&from.spec.population) {
        return Err(at(
            "the two tables have different populations, so their margins cannot agree".into(),
        ));
    }
    if from.multi || target.multi {
        return Err(at("links join single-valued tables only".into()));
    }
    let mut map: BTreeMap<usize, usize> = BTreeMap::new();
    for (a, b) in &l.dims {
        let ai = from
            .dims
            .iter()
            .position(|d| &d.name == a)
            .ok_or_else(|| at(format!("no dimension {a} here")))?;
        let bi = target
            .dims
            .iter()
            .position(|d| &d.name == b)
            .ok_or_else(|| at(format!("{} has no dimension {b}", l.table)))?;
        let (da, db) = (&from.dims[ai], &target.dims[bi]);
        let same = da.column == db.column && (da.derive == db.derive || da.derive == Derive::Code);
        if !same {
            return Err(at(format!("{a} and {b} do not derive from the same column")));
        }
        map.insert(ai, bi);
    }
    if map.len() != target.dims.len() {
        return Err(at(format!("every dimension of {} must be mapped", l.table)));
    }
    Ok(Link { to, map })
}

impl Label {
    pub fn new(sv: &str, en: &str) -> Self {
        Label {
            sv: sv.to_string(),
            en: en.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables_file() -> TablesFile {
        serde_json::from_str(TABLES).expect("embedded tables")
    }

    /// The rows of persons with any code, none and several read as answers, but T21b's as
    /// the organisations that reported the persons (an outside review found "Persons with at
    /// least one code" beside Swedish "svar", and "code" meaning nothing for organisations).
    #[test]
    fn margin_rows_are_labelled_for_what_their_table_counts() {
        let schema = crate::schema::load_embedded().expect("schema");
        let tables = compile(&schema, tables_file(), &MemberKind::Sample).expect("tables");
        let table = |id: &str| tables.tables.iter().find(|t| t.id() == id).expect("table");
        assert_eq!(
            table("T14").label(0, ANY),
            (
                "Personer med minst ett svar".to_string(),
                "Persons with at least one answer".to_string()
            )
        );
        let (sv, en) = table("T21b").label(0, SEVERAL);
        assert!(sv.contains("två eller fler organisationer") && en.contains("two or more organisations"));
        // A key that names no such row, or labels on a single-valued table, are refused.
        for (id, key) in [("T21b", "_all"), ("T01", "_any")] {
            let mut file = tables_file();
            let spec = file.tables.iter_mut().find(|t| t.id == id).expect("spec");
            let label = Label {
                sv: "x".into(),
                en: "x".into(),
            };
            spec.margin_labels.insert(key.to_string(), label);
            let e = compile(&schema, file, &MemberKind::Sample)
                .expect_err("refused")
                .to_string();
            assert!(e.contains(&format!("table {id}: margin_labels")), "{e}");
        }
    }
}
