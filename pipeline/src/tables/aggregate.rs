//! `safetally aggregate`: every table spec counted over the linked persons, each person once,
//! with totals, and for multi-valued tables the persons with any, no, and several codes.

use std::collections::BTreeMap;
use std::path::Path;

use super::cells::{TableCells, truncated_name, write_cells, write_cells_as};
use super::derive::{Deriver, Persons, in_population, outside_domain, positions};
use super::{Table, Tables, load_tables};
use crate::error::{StageError, TableError};
use crate::link::PERSONS;
use crate::parquet_io::read;
use crate::schema::{MemberKind, Schema};

pub const REPORT_JSON: &str = "aggregate-report.json";

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct TableSummary {
    pub population: u64,
    pub cells: usize,
    /// Multi-valued tables: persons with at least one code, and codes beyond `max_codes`.
    pub with_any_code: Option<u64>,
    pub persons_over_max_codes: Option<u64>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct AggregateReport {
    pub report_year: Option<i64>,
    pub persons: u64,
    pub member_kind: String,
    pub tables: BTreeMap<String, TableSummary>,
}

impl AggregateReport {
    pub fn summary(&self) -> String {
        format!(
            "Aggregate counted {} persons (report year {}) into {} tables, {} cells in all; every code of every list has its cell, zeros included.",
            self.persons,
            self.report_year.map_or("?".into(), |y| y.to_string()),
            self.tables.len(),
            self.tables.values().map(|t| t.cells).sum::<usize>()
        )
    }
}

/// Reads the link stage's persons table.
pub fn read_persons(schema: &Schema, path: &Path) -> Result<(Persons, Vec<i64>), StageError> {
    let df = read(path)?;
    let bad = |m: String| StageError::ParquetRead {
        path: path.to_path_buf(),
        message: m,
    };
    let mut cols = super::derive::Columns::default();
    let mut names: Vec<&str> = schema.attribute_columns();
    names.push("orgs");
    for n in names {
        let c = df
            .column(n)
            .and_then(|c| c.str().cloned())
            .map_err(|e| bad(format!("column {n}: {e}")))?;
        cols.insert(n.to_string(), c.iter().map(|v| v.map(str::to_string)).collect());
    }
    let ints = |n: &str| {
        df.column(n)
            .and_then(|c| c.i64().cloned())
            .map_err(|e| bad(format!("column {n}: {e}")))
    };
    let n_orgs = ints("n_orgs")?;
    cols.insert(
        "n_orgs".into(),
        n_orgs.iter().map(|v| v.map(|x| x.to_string())).collect(),
    );
    // A ground-truth persons table has no year; the link stage's always has.
    let years: Vec<i64> = match df.column("report_year") {
        Ok(_) => ints("report_year")?.iter().map(|v| v.unwrap_or(0)).collect(),
        Err(_) => Vec::new(),
    };
    Ok((
        Persons {
            n: df.height(),
            cols,
            separator: schema.multi_separator,
        },
        years,
    ))
}

/// Sample organisations when every reporting organisation is one, else real members; an
/// error naming both when persons of the synthetic sample's organisations are beside real
/// members' (no table has a place for such a pair, and demo data must not be counted).
pub fn member_kind_of(schema: &Schema, persons: &Persons) -> Result<MemberKind, StageError> {
    let mut kinds: BTreeMap<bool, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for i in 0..persons.n {
        for o in persons
            .get("orgs", i)
            .into_iter()
            .flat_map(|v| v.split(persons.separator))
        {
            let sample = schema.member(o).is_some_and(|m| m.kind == MemberKind::Sample);
            kinds.entry(sample).or_default().insert(o);
        }
    }
    match (kinds.get(&true), kinds.get(&false)) {
        (Some(sample), Some(members)) => Err(TableError::SampleWithMembers {
            sample: sample.iter().map(|s| s.to_string()).collect(),
            members: members.iter().map(|s| s.to_string()).collect(),
        }
        .into()),
        (Some(_), None) => Ok(MemberKind::Sample),
        _ => Ok(MemberKind::Member),
    }
}

/// Counts every table over the persons.
pub fn aggregate_persons(
    schema: &Schema,
    tables: &Tables,
    persons: &Persons,
) -> Result<Vec<TableCells>, StageError> {
    let deriver = Deriver::new(schema);
    let cells = tables
        .tables
        .iter()
        .map(|t| count_table(&deriver, t, persons, false))
        .collect::<Result<Vec<_>, _>>()?;
    check_links(tables, &cells, &deriver)?;
    Ok(cells)
}

/// Counts one table; `truncate` keeps at most `max_codes` codes per person (multi-valued).
pub fn count_table(
    deriver: &Deriver,
    t: &Table,
    p: &Persons,
    truncate: bool,
) -> Result<TableCells, StageError> {
    let pos = positions(t);
    let mut values = vec![0u64; t.n_cells()];
    for i in (0..p.n).filter(|&i| in_population(&t.spec.population.conditions, p, i)) {
        if t.multi {
            let dim = &t.dims[0];
            let codes = deriver.codes(dim, p, i);
            let d = dim.domain.len();
            let mut at = codes
                .iter()
                .map(|c| pos[0].get(c).copied().ok_or_else(|| outside_domain(t, dim, i)))
                .collect::<Result<Vec<_>, _>>()?;
            at.sort_unstable();
            if truncate {
                at.truncate(t.spec.max_codes.unwrap_or(usize::MAX));
            }
            for &k in &at {
                values[k] += 1;
            }
            values[d] += 1;
            values[d + if codes.is_empty() { 2 } else { 1 }] += 1;
            values[d + 3] += u64::from(at.len() >= 2);
            continue;
        }
        let mut at = Vec::with_capacity(t.dims.len());
        for (k, dim) in t.dims.iter().enumerate() {
            let code = deriver.codes(dim, p, i).remove(0);
            at.push(*pos[k].get(&code).ok_or_else(|| outside_domain(t, dim, i))?);
        }
        // The person counts in the cell and in every total above it.
        for mask in 0..(1usize << t.dims.len()) {
            let cell: Vec<usize> = at
                .iter()
                .enumerate()
                .map(|(k, &a)| {
                    if mask & (1 << k) != 0 {
                        t.dims[k].domain.len()
                    } else {
                        a
                    }
                })
                .collect();
            values[t.index(&cell)] += 1;
        }
    }
    Ok(TableCells {
        id: t.id().to_string(),
        values,
    })
}

/// Each link's target cell, from the source table's cells it sums. Used by the check here
/// and by protection's relations.
pub fn link_parts(
    tables: &Tables,
    from: usize,
    link: &super::Link,
    deriver: &Deriver,
) -> Vec<(usize, Vec<usize>)> {
    let a = &tables.tables[from];
    let b = &tables.tables[link.to];
    let mut out = Vec::new();
    for bi in 0..b.n_cells() {
        let bpos = b.positions(bi);
        // Per source dimension: the positions that map into this target cell.
        let choices: Vec<Vec<usize>> = (0..a.dims.len())
            .map(|ad| {
                let total = a.dims[ad].domain.len();
                let Some(&bd) = link.map.get(&ad) else {
                    return vec![total];
                };
                if bpos[bd] == b.dims[bd].domain.len() {
                    return vec![total];
                }
                let target = &b.dims[bd].domain[bpos[bd]].code;
                let same = a.dims[ad].derive == b.dims[bd].derive;
                a.dims[ad]
                    .domain
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| {
                        if same {
                            &c.code == target
                        } else {
                            deriver.single(&b.dims[bd].derive, &c.code).as_ref() == Some(target)
                        }
                    })
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        let mut parts = vec![Vec::new()];
        for ch in &choices {
            parts = parts
                .iter()
                .flat_map(|p: &Vec<usize>| {
                    ch.iter().map(move |&c| {
                        let mut q = p.clone();
                        q.push(c);
                        q
                    })
                })
                .collect();
        }
        out.push((bi, parts.iter().map(|p| a.index(p)).collect()));
    }
    out
}

fn check_links(tables: &Tables, cells: &[TableCells], deriver: &Deriver) -> Result<(), StageError> {
    for (ti, t) in tables.tables.iter().enumerate() {
        for l in &t.links {
            for (bi, parts) in link_parts(tables, ti, l, deriver) {
                let sum: u64 = parts.iter().map(|&i| cells[ti].values[i]).sum();
                let target = cells[l.to].values[bi];
                if sum != target {
                    return Err(TableError::LinkedDisagree {
                        table: t.id().to_string(),
                        other: tables.tables[l.to].id().to_string(),
                        codes: tables.tables[l.to].codes(bi),
                        sum,
                        target,
                    }
                    .into());
                }
            }
        }
    }
    Ok(())
}

/// The aggregate stage's work: persons from the link stage's folder, tables into `out`.
pub fn aggregate_stage_dir(
    schema: &Schema,
    link_dir: &Path,
    out: &Path,
) -> Result<(Tables, AggregateReport), StageError> {
    let (persons, years) = read_persons(schema, &link_dir.join(PERSONS))?;
    let mut distinct: Vec<i64> = years.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() > 1 {
        return Err(TableError::SeveralYears { years: distinct }.into());
    }
    let kind = member_kind_of(schema, &persons)?;
    let tables = load_tables(schema, &kind)?;
    let cells = aggregate_persons(schema, &tables, &persons)?;
    let mut report = AggregateReport {
        report_year: distinct.first().copied(),
        persons: persons.n as u64,
        member_kind: format!("{kind:?}").to_lowercase(),
        tables: BTreeMap::new(),
    };
    let deriver = Deriver::new(schema);
    for (t, c) in tables.tables.iter().zip(&cells) {
        write_cells(t, c, out)?;
        if t.multi {
            let truncated = count_table(&deriver, t, &persons, true)?;
            write_cells_as(t, &truncated, &out.join(truncated_name(t.id())))?;
        }
        let d = t.dims[0].domain.len();
        let over = t.spec.max_codes.map(|m| {
            (0..persons.n)
                .filter(|&i| in_population(&t.spec.population.conditions, &persons, i))
                .filter(|&i| deriver.codes(&t.dims[0], &persons, i).len() > m)
                .count() as u64
        });
        let total = c.values[t.cell_index(&BTreeMap::new()).unwrap_or(d)];
        report.tables.insert(
            t.id().to_string(),
            TableSummary {
                population: total,
                cells: c.values.len(),
                with_any_code: t.multi.then(|| c.values[d + 1]),
                persons_over_max_codes: over,
            },
        );
    }
    Ok((tables, report))
}
