//! Writes the link stage's outputs: persons, the record-to-person map, the duplicate
//! cross-check (persons by number of organisations, organisation overlap) and the report.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use rand::TryRngCore;

use super::exact::ExactStats;
use super::fuzzy::FuzzyStats;
use super::load::Records;
use super::resolve::{ResolveStats, Resolver};
use super::{LinkParams, Linkage};
use crate::error::StageError;
use crate::parquet_io::{Kind, ParquetSink, Value};
use crate::schema::{LinkageSpec, Schema};

pub const PERSONS: &str = "persons.parquet";
pub const RECORD_MAP: &str = "record_map.parquet";
pub const OVERLAP_COUNT: &str = "T21_persons_by_organisations.csv";
pub const OVERLAP_MATRIX: &str = "T21_organisation_overlap.csv";

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct LinkReport {
    pub key_fingerprint: String,
    pub params: Option<LinkParams>,
    /// The fuzzy thresholds used for this many records.
    pub effective_thresholds: Option<crate::schema::Thresholds>,
    pub records: u64,
    pub persons: u64,
    pub organisations: u64,
    /// Persons by how many organisations reported them: "1", "2", "3+".
    pub persons_by_organisations: BTreeMap<String, u64>,
    pub exact: ExactStats,
    pub fuzzy: Option<FuzzyStats>,
    pub refused_pnr_merges: u64,
    pub resolution: ResolveStats,
    /// Persons with more records than organisations (one organisation reported them twice).
    pub persons_repeated_in_an_organisation: u64,
    /// Wall time of each step: reading, exact step, fuzzy step, writing.
    pub seconds: BTreeMap<String, f64>,
}

impl LinkReport {
    pub fn summary(&self) -> String {
        let by = |k: &str| self.persons_by_organisations.get(k).copied().unwrap_or(0);
        let fuzzy = self.fuzzy.as_ref().map_or("fuzzy step off".to_string(), |f| {
            format!(
                "{} by the fuzzy step ({} candidate pairs compared)",
                f.merges, f.candidate_pairs
            )
        });
        let exact: u64 = self.exact.merges.values().sum();
        format!(
            "Link joined {} records from {} organisation(s) into {} persons: {} reported by one organisation, {} by two, {} by three or more. \
             Merges: {exact} by exact keys, {fuzzy}; {} merges refused because personal numbers differed; {} key values ignored as implausibly common.",
            self.records,
            self.organisations,
            self.persons,
            by("1"),
            by("2"),
            by("3+"),
            self.refused_pnr_merges,
            self.exact.ignored_values.values().map(|v| v.0).sum::<u64>()
        )
    }

    pub fn to_text(&self) -> String {
        let mut s = format!(
            "safetally linkage report (key {})\n\n{}\n\n",
            self.key_fingerprint,
            self.summary()
        );
        let _ = writeln!(s, "Merges by exact key:");
        for (k, n) in &self.exact.merges {
            let _ = writeln!(s, "  {k}: {n}");
        }
        for (k, (g, n)) in &self.exact.ignored_values {
            let _ = writeln!(
                s,
                "  ignored: {g} value(s) of {k} shared by {n} records in all (more than the plausible maximum)"
            );
        }
        if let Some(f) = &self.fuzzy {
            let _ = writeln!(
                s,
                "Fuzzy step: {} candidate pairs, {} above threshold, {} accepted one-to-one, {} merges; {} blocks with {} records skipped as too large.",
                f.candidate_pairs,
                f.above_threshold,
                f.accepted,
                f.merges,
                f.skipped_blocks,
                f.skipped_block_records
            );
        }
        let _ = writeln!(s, "Answers that differed between a person's records:");
        for (c, n) in &self.resolution.by_precedence {
            let _ = writeln!(s, "  {c}: {n} person(s) settled by the more specific answer");
        }
        for (c, n) in &self.resolution.conflicts {
            let _ = writeln!(s, "  {c}: {n} conflict(s), the most frequent answer kept");
        }
        let _ = writeln!(
            s,
            "Persons reported twice by the same organisation: {}",
            self.persons_repeated_in_an_organisation
        );
        s
    }
}

/// Fresh random person ids: a ChaCha20 generator seeded once from the operating system, so
/// ids reveal nothing about records and a million of them cost no million system calls.
fn random_ids(n: usize) -> Result<Vec<String>, StageError> {
    use rand::{Rng, SeedableRng};
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| StageError::Input(format!("random source failed: {e}")))?;
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
    let mut seen = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let v: u64 = rng.random();
        if seen.insert(v) {
            out.push(format!("{v:016x}"));
        }
    }
    Ok(out)
}

/// Writes persons, the record map, T21 and the report into `out`.
pub fn write_outputs(
    schema: &Schema,
    spec: &LinkageSpec,
    r: &Records,
    link: &Linkage,
    params: &LinkParams,
    out: &Path,
) -> Result<LinkReport, StageError> {
    // Persons in order of their first record, so outputs follow the inputs' order.
    let mut person_of_root: HashMap<u32, usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, &root) in link.roots.iter().enumerate() {
        let p = *person_of_root.entry(root).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
        members[p].push(i);
    }
    let ids = random_ids(members.len())?;
    let mut report = LinkReport {
        key_fingerprint: r.fingerprint.clone(),
        params: Some(params.clone()),
        effective_thresholds: link.fuzzy.as_ref().map(|_| link.thresholds),
        records: r.len() as u64,
        persons: members.len() as u64,
        organisations: r.orgs.len() as u64,
        exact: link.exact.clone(),
        fuzzy: link.fuzzy.clone(),
        refused_pnr_merges: link.refused_pnr_merges,
        ..Default::default()
    };
    write_persons(schema, spec, r, &members, &ids, out, &mut report)?;
    write_record_map(r, link, &person_of_root, &ids, out)?;
    write_overlap(r, &members, out)?;
    Ok(report)
}

fn write_persons(
    schema: &Schema,
    spec: &LinkageSpec,
    r: &Records,
    members: &[Vec<usize>],
    ids: &[String],
    out: &Path,
    report: &mut LinkReport,
) -> Result<(), StageError> {
    let mut cols: Vec<(&str, Kind)> = vec![
        ("person_id", Kind::Str),
        ("report_year", Kind::Int),
        ("n_records", Kind::Int),
        ("n_orgs", Kind::Int),
        ("orgs", Kind::Str),
    ];
    cols.extend(r.attr_names.iter().map(|n| (n.as_str(), Kind::Str)));
    let mut sink = ParquetSink::create(&out.join(PERSONS), &cols)?;
    let resolvers: Vec<Resolver> = r
        .attr_names
        .iter()
        .map(|n| {
            let rule = spec
                .resolution
                .get(n)
                .ok_or_else(|| StageError::Input(format!("linkage.json has no rule for {n}")))?;
            let list = schema.column(n).and_then(|c| schema.list_for(c));
            Ok(Resolver {
                column: n.as_str(),
                rule,
                list,
                separator: schema.multi_separator,
            })
        })
        .collect::<Result<_, StageError>>()?;
    for (p, recs) in members.iter().enumerate() {
        let mut orgs: Vec<&str> = recs.iter().map(|&i| r.orgs[r.org[i] as usize].as_str()).collect();
        orgs.sort_unstable();
        orgs.dedup();
        let n_orgs = orgs.len();
        let key = match n_orgs {
            1 => "1",
            2 => "2",
            _ => "3+",
        };
        *report
            .persons_by_organisations
            .entry(key.to_string())
            .or_default() += 1;
        report.persons_repeated_in_an_organisation += u64::from(recs.len() > n_orgs);
        let mut row = vec![
            Value::Str(Some(ids[p].clone())),
            Value::Int(Some(r.report_year[recs[0]])),
            Value::Int(Some(recs.len() as i64)),
            Value::Int(Some(n_orgs as i64)),
            Value::Str(Some(orgs.join(";"))),
        ];
        for (a, res) in resolvers.iter().enumerate() {
            let values = recs.iter().map(|&i| r.attrs[a][i].as_deref());
            row.push(Value::Str(res.resolve(values, &mut report.resolution)));
        }
        sink.push(row)?;
    }
    sink.finish()?;
    Ok(())
}

fn write_record_map(
    r: &Records,
    link: &Linkage,
    person_of_root: &HashMap<u32, usize>,
    ids: &[String],
    out: &Path,
) -> Result<(), StageError> {
    let cols = [
        ("org_id", Kind::Str),
        ("record_key", Kind::Str),
        ("person_id", Kind::Str),
        ("exact_cluster", Kind::Int),
    ];
    let mut sink = ParquetSink::create(&out.join(RECORD_MAP), &cols)?;
    for i in 0..r.len() {
        let p = person_of_root.get(&link.roots[i]).copied().unwrap_or(0);
        sink.push(vec![
            Value::Str(Some(r.orgs[r.org[i] as usize].clone())),
            Value::Str(Some(r.record_key[i].clone())),
            Value::Str(Some(ids[p].clone())),
            Value::Int(Some(i64::from(link.exact_roots[i]))),
        ])?;
    }
    sink.finish()?;
    Ok(())
}

/// T21: persons by number of organisations, and persons shared by each pair of organisations
/// (the diagonal: persons each organisation reported). Internal: exact counts.
fn write_overlap(r: &Records, members: &[Vec<usize>], out: &Path) -> Result<(), StageError> {
    let n = r.orgs.len();
    let mut matrix = vec![vec![0u64; n]; n];
    let mut by_count: BTreeMap<usize, u64> = BTreeMap::new();
    for recs in members {
        let mut orgs: Vec<usize> = recs.iter().map(|&i| r.org[i] as usize).collect();
        orgs.sort_unstable();
        orgs.dedup();
        *by_count.entry(orgs.len()).or_default() += 1;
        for &a in &orgs {
            for &b in &orgs {
                matrix[a][b] += 1;
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| r.orgs[a].cmp(&r.orgs[b]));
    let io = |p: &Path, e: csv::Error| StageError::Input(format!("{}: {e}", p.display()));
    let path = out.join(OVERLAP_MATRIX);
    let mut w = csv::Writer::from_path(&path).map_err(|e| io(&path, e))?;
    let mut header = vec!["org_id".to_string()];
    header.extend(order.iter().map(|&o| r.orgs[o].clone()));
    w.write_record(&header).map_err(|e| io(&path, e))?;
    for &a in &order {
        let mut row = vec![r.orgs[a].clone()];
        row.extend(order.iter().map(|&b| matrix[a][b].to_string()));
        w.write_record(&row).map_err(|e| io(&path, e))?;
    }
    w.flush().map_err(|e| StageError::io(&path, e))?;
    let path = out.join(OVERLAP_COUNT);
    let mut w = csv::Writer::from_path(&path).map_err(|e| io(&path, e))?;
    w.write_record(["organisations_reporting", "persons"])
        .map_err(|e| io(&path, e))?;
    for (k, v) in &by_count {
        w.write_record([k.to_string(), v.to_string()])
            .map_err(|e| io(&path, e))?;
    }
    w.flush().map_err(|e| StageError::io(&path, e))?;
    Ok(())
}
