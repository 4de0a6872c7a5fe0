//! Report tables: declared in `schemas/tables.json`, compiled against the contract, counted
//! over linked persons, and laid out as cells (every code of the public domain, plus totals)
//! that protection and publication share.

pub mod aggregate;
mod cells;
mod compile;
pub mod derive;
mod regroupings;
mod small_lines;
pub mod spec;
mod structural;
mod system;

pub use aggregate::{AggregateReport, aggregate_persons, aggregate_stage_dir, member_kind_of, read_persons};
pub use cells::{TableCells, read_cells, read_cells_from, truncated_name, write_cells};
pub use compile::{NOT_ANSWERED, compile, load_tables, pair_code, parse_group};
pub use derive::Persons;
pub(crate) use system::counted_persons;
pub use system::{
    CellRef, between_bounds, build_system, build_system_for_dp, build_system_with,
    build_system_with_differences, person_relations, truncated_code_sum,
};

use std::collections::BTreeMap;

use crate::schema::Code;
use spec::{ComparisonSpec, TableSpec};

pub const STAGE: &str = "04-aggregate";

/// Code of a total over a dimension.
pub const TOTAL: &str = "_total";
/// Multi-valued tables: persons with at least one code, with none, with two or more.
pub const ANY: &str = "_any";
pub const NONE: &str = "_none";
pub const SEVERAL: &str = "_several";
pub const MULTI_SPECIALS: [&str; 4] = [TOTAL, ANY, NONE, SEVERAL];

/// How a dimension's code is made from a person's column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derive {
    /// The column's own code(s).
    Code,
    /// Country of birth to region.
    Region,
    /// Country of birth to born in Sweden / another EU country / outside the EU.
    OriginGroup,
    /// A multi-valued column as one code, or this code for two or more.
    SeveralAs(String),
    /// yes / no / unknown: whether a multi-valued column holds this code.
    Contains(String),
    /// The number of organisations, grouped.
    CountGroup,
    /// Every pair of the person's organisations (diagonal included).
    Pairs,
}

#[derive(Debug, Clone)]
pub struct Dim {
    pub name: String,
    pub column: String,
    pub derive: Derive,
    /// Every code the dimension can take, `not_answered` included when the population allows
    /// blanks.
    pub domain: Vec<Code>,
    pub multi: bool,
}

/// This table summed over the dimensions not in `map` equals table `to`.
#[derive(Debug, Clone)]
pub struct Link {
    pub to: usize,
    /// This table's dimension index to the linked table's.
    pub map: BTreeMap<usize, usize>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub spec: TableSpec,
    pub dims: Vec<Dim>,
    pub multi: bool,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone)]
pub struct Tables {
    pub tables: Vec<Table>,
    pub comparison: ComparisonSpec,
    /// The journalists' cross-tabulation (not a report table).
    pub journalist: Table,
    /// (report table index, journalist dimension index) pairs its margins are fitted to.
    pub rake_to: Vec<(usize, usize)>,
}

impl Tables {
    pub fn get(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.spec.id == id)
    }

    /// The report tables grouped by the persons they count (see `Population::same_persons`),
    /// each group and its members in spec order.
    pub fn population_groups(&self) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, t) in self.tables.iter().enumerate() {
            let pop = &t.spec.population;
            match groups
                .iter_mut()
                .find(|g| self.tables[g[0]].spec.population.same_persons(pop))
            {
                Some(g) => g.push(i),
                None => groups.push(vec![i]),
            }
        }
        groups
    }
}

impl Table {
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The cell of the whole population (every dimension at its total).
    pub fn grand_total(&self) -> usize {
        self.cell_index(&Default::default())
            .expect("every table has a grand total")
    }

    /// Codes per position of each dimension: the domain then `_total` (single-valued), or
    /// the codes then the four person counts (multi-valued).
    pub fn axis(&self, d: usize) -> Vec<&str> {
        let mut v: Vec<&str> = self.dims[d].domain.iter().map(|c| c.code.as_str()).collect();
        if self.multi {
            v.extend(MULTI_SPECIALS);
        } else {
            v.push(TOTAL);
        }
        v
    }

    fn radices(&self) -> Vec<usize> {
        (0..self.dims.len()).map(|d| self.axis(d).len()).collect()
    }

    pub fn n_cells(&self) -> usize {
        self.radices().iter().product()
    }

    /// Cell index from per-dimension positions (the last dimension varies fastest).
    pub fn index(&self, pos: &[usize]) -> usize {
        self.radices().iter().zip(pos).fold(0, |acc, (r, p)| acc * r + p)
    }

    pub fn positions(&self, mut index: usize) -> Vec<usize> {
        let r = self.radices();
        let mut out = vec![0; r.len()];
        for d in (0..r.len()).rev() {
            out[d] = index % r[d];
            index /= r[d];
        }
        out
    }

    /// The codes of a cell, one per dimension.
    pub fn codes(&self, index: usize) -> Vec<String> {
        self.positions(index)
            .iter()
            .enumerate()
            .map(|(d, &p)| self.axis(d)[p].to_string())
            .collect()
    }

    /// A cell named by dimension codes; dimensions left out are totals.
    pub fn cell_index(&self, cell: &BTreeMap<String, String>) -> Option<usize> {
        if cell.keys().any(|k| !self.dims.iter().any(|d| &d.name == k)) {
            return None;
        }
        let pos = self
            .dims
            .iter()
            .enumerate()
            .map(|(d, dim)| {
                let code = cell.get(&dim.name).map_or(TOTAL, String::as_str);
                self.axis(d).iter().position(|c| *c == code)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(self.index(&pos))
    }

    /// The `_none` cell of a multi-valued table whose population holds an answer in the
    /// table's own column (T13: persons with an answer on social services' support): nobody
    /// is in it, whatever the data, so it is zero in every release.
    pub fn empty_none(&self) -> Option<usize> {
        let dim = self.dims.first().filter(|_| self.multi)?;
        let own = self.spec.population.conditions.iter().any(|c| {
            c.column == dim.column && (c.answered || c.known || c.in_codes.is_some() || c.contains.is_some())
        });
        own.then(|| self.index(&[dim.domain.len() + 2]))
    }

    /// Whether a cell is a total or a person count rather than an inner cell.
    pub fn is_margin(&self, index: usize) -> bool {
        self.positions(index)
            .iter()
            .enumerate()
            .any(|(d, &p)| p >= self.dims[d].domain.len())
    }

    /// The Swedish and English label of a code on dimension `d`.
    pub fn label(&self, d: usize, code: &str) -> (String, String) {
        if let Some(c) = self.dims[d].domain.iter().find(|c| c.code == code) {
            return (c.sv.clone(), c.en.clone());
        }
        if let Some(l) = self.spec.margin_labels.get(code) {
            return (l.sv.clone(), l.en.clone());
        }
        let (sv, en) = match code {
            TOTAL => ("Totalt", "Total"),
            ANY => ("Personer med minst ett svar", "Persons with at least one answer"),
            NONE => ("Personer utan svar", "Persons with no answer"),
            SEVERAL => (
                "Personer med två eller fler svar",
                "Persons with two or more answers",
            ),
            _ => (code, code),
        };
        (sv.to_string(), en.to_string())
    }
}
