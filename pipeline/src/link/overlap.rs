//! The duplicate cross-check for the platform (T21): persons by number of reporting
//! organisations and the organisation-by-organisation overlap. Internal, exact counts; the
//! protect stage decides what of it may be published.

use std::collections::BTreeMap;
use std::path::Path;

use super::load::Records;
use crate::error::StageError;

pub const OVERLAP_COUNT: &str = "T21_persons_by_organisations.csv";
pub const OVERLAP_MATRIX: &str = "T21_organisation_overlap.csv";

/// T21: persons by number of organisations, and persons shared by each pair of organisations
/// (the diagonal: persons each organisation reported). Internal: exact counts.
pub struct Overlap {
    matrix: Vec<Vec<u64>>,
    by_count: BTreeMap<usize, u64>,
}

impl Overlap {
    pub fn new(orgs: usize) -> Self {
        Overlap {
            matrix: vec![vec![0; orgs]; orgs],
            by_count: BTreeMap::new(),
        }
    }

    /// One person's organisations, each once.
    pub fn add(&mut self, orgs: &[u16]) {
        *self.by_count.entry(orgs.len()).or_default() += 1;
        for &a in orgs {
            for &b in orgs {
                self.matrix[a as usize][b as usize] += 1;
            }
        }
    }

    /// Persons reported by one organisation, by two, and by three or more (the report's summary).
    pub fn by_one_two_more(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for (&k, &v) in &self.by_count {
            let key = match k {
                1 => "1",
                2 => "2",
                _ => "3+",
            };
            *out.entry(key.to_string()).or_default() += v;
        }
        out
    }

    pub fn write(&self, r: &Records, out: &Path) -> Result<(), StageError> {
        let mut order: Vec<usize> = (0..r.orgs.len()).collect();
        order.sort_by(|&a, &b| r.orgs[a].cmp(&r.orgs[b]));
        let io = |p: &Path, e: csv::Error| StageError::csv(p, e);
        let path = out.join(OVERLAP_MATRIX);
        let mut w = csv::Writer::from_path(&path).map_err(|e| io(&path, e))?;
        let mut header = vec!["org_id".to_string()];
        header.extend(order.iter().map(|&o| r.orgs[o].clone()));
        w.write_record(&header).map_err(|e| io(&path, e))?;
        for &a in &order {
            let mut row = vec![r.orgs[a].clone()];
            row.extend(order.iter().map(|&b| self.matrix[a][b].to_string()));
            w.write_record(&row).map_err(|e| io(&path, e))?;
        }
        w.flush().map_err(|e| StageError::io(&path, e))?;
        let path = out.join(OVERLAP_COUNT);
        let mut w = csv::Writer::from_path(&path).map_err(|e| io(&path, e))?;
        w.write_record(["organisations_reporting", "persons"])
            .map_err(|e| io(&path, e))?;
        for (k, v) in &self.by_count {
            w.write_record([k.to_string(), v.to_string()])
                .map_err(|e| io(&path, e))?;
        }
        w.flush().map_err(|e| StageError::io(&path, e))?;
        Ok(())
    }
}
