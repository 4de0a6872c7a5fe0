//! The synthetic sample generator: persons calibrated to the 2024 report, spread over
//! fictional organisations, some reported by several with realistic identifier noise, written
//! per organisation in mixed formats, with a separate ground truth. Streams to disk, so it
//! reaches millions of records in constant memory. Deterministic for a given seed.

mod draw;
mod inject;
mod model;
mod names;
mod noise;
mod record;
mod writers;

pub use names::NamesError;
pub use noise::NoiseConfig;
pub use writers::Format;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{SampleError, StageError};
use crate::parquet_io::{Kind, ParquetSink, Value};
use crate::progress::Progress;
use crate::schema::{MemberKind, Schema};
use draw::chance;
use model::Person;
use names::NamePools;
use record::{Copy, RecordBuilder};
use writers::{OrgWriter, XLSX_MAX_ROWS};

pub const SUBMISSIONS_DIR: &str = "submissions";
pub const TRUTH_DIR: &str = "truth";
pub const TRUTH_RECORDS: &str = "records.parquet";
pub const TRUTH_PERSONS: &str = "persons.parquet";

#[derive(Debug, Clone, serde::Serialize)]
pub struct SampleConfig {
    pub persons: u64,
    /// Share of persons that are direct victims (370 of 403 in 2024); the rest are children.
    pub direct_share: f64,
    pub orgs: usize,
    pub seed: u64,
    pub report_year: i32,
    /// Share of persons reported by two or more organisations.
    pub duplicate_share: f64,
    pub noise: NoiseConfig,
    /// Share of records given one deliberate contract error (recorded in the truth).
    pub error_rate: f64,
    /// Formats assigned to organisations in turn.
    pub formats: Vec<Format>,
}

impl Default for SampleConfig {
    fn default() -> Self {
        SampleConfig {
            persons: 403,
            direct_share: 370.0 / 403.0,
            orgs: 25,
            seed: 2024,
            report_year: 2024,
            duplicate_share: 0.15,
            noise: NoiseConfig::default(),
            error_rate: 0.0,
            formats: vec![
                Format::CsvUtf8,
                Format::CsvWindows1252,
                Format::Xlsx,
                Format::Parquet,
                Format::CsvUtf8Bom,
            ],
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SampleSummary {
    pub persons: u64,
    pub direct: u64,
    pub indirect: u64,
    pub records: u64,
    pub persons_in_several_orgs: u64,
    pub injected_errors: u64,
    pub records_per_org: BTreeMap<String, u64>,
    pub files: Vec<String>,
    pub notes: Vec<String>,
}

struct Org {
    id: String,
    weight: f64,
    writer: OrgWriter,
    format: Format,
    next_id: u64,
    style: usize,
}

/// Writes `<out>/submissions/*` and `<out>/truth/*` for the configuration.
pub fn generate(
    schema: &Schema,
    cfg: &SampleConfig,
    out: &Path,
    progress: &Progress,
) -> Result<SampleSummary, StageError> {
    validate_config(cfg)?;
    let pools = NamePools::load().map_err(SampleError::from)?;
    let sub = out.join(SUBMISSIONS_DIR);
    let truth_dir = out.join(TRUTH_DIR);
    for d in [&sub, &truth_dir] {
        std::fs::create_dir_all(d).map_err(|e| StageError::io(d, e))?;
    }
    let mut summary = SampleSummary::default();
    let orgs = open_orgs(schema, cfg, &sub, &mut summary)?;
    let builder = RecordBuilder::new(schema, cfg.report_year)?;
    let truth = TruthWriter::create(&truth_dir, schema)?;
    let mut em = Emitter {
        cfg,
        pools: &pools,
        builder: &builder,
        orgs,
        truth,
        summary,
    };
    let n_direct = (cfg.persons as f64 * cfg.direct_share).round() as u64;
    let mut children_left = cfg.persons - n_direct;
    let bar = progress.bar(cfg.persons, "sample");
    let mut person_no = 0u64;
    for i in 0..n_direct {
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        person_no += 1;
        let parent = model::direct_person(&mut rng, person_id(person_no), cfg.report_year);
        // Selection sampling: exactly `persons - direct` children, each to a random parent.
        let has_child = children_left > 0 && rng.random_range(0..n_direct - i) < children_left;
        let parent_orgs = choose_orgs(&mut rng, &em.orgs, cfg.duplicate_share);
        let parent_ids = em.emit(&mut rng, &parent, &parent_orgs, None, has_child)?;
        if has_child {
            children_left -= 1;
            person_no += 1;
            let child = model::indirect_child(&mut rng, person_id(person_no), &parent, cfg.report_year);
            // The child is reported with the parent: by the first organisation, and maybe the others.
            let (picks, related): (Vec<usize>, Vec<String>) = parent_orgs
                .iter()
                .zip(&parent_ids)
                .enumerate()
                .filter(|(k, _)| *k == 0 || chance(&mut rng, 0.6))
                .map(|(_, (o, id))| (*o, id.clone()))
                .unzip();
            em.emit(&mut rng, &child, &picks, Some(&related), false)?;
            bar.inc(1);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut summary = em.summary;
    summary.persons = person_no;
    summary.direct = n_direct;
    summary.indirect = person_no - n_direct;
    for o in em.orgs {
        summary.records_per_org.insert(o.id.clone(), o.next_id);
        o.writer.finish()?;
        if o.next_id == 0 {
            // A file of headers alone is what ingest reports as a failed file; a small sample
            // with many organisations simply has some that met nobody.
            let file = format!("{}.{}", o.id, o.format.extension());
            std::fs::remove_file(sub.join(&file)).map_err(|e| StageError::io(sub.join(&file), e))?;
            summary
                .files
                .retain(|f| *f != format!("{SUBMISSIONS_DIR}/{file}"));
            summary.notes.push(format!(
                "{} reported nobody in this sample; no file written",
                o.id
            ));
        }
    }
    em.truth.finish()?;
    Ok(summary)
}

fn validate_config(cfg: &SampleConfig) -> Result<(), StageError> {
    let bad = |setting: &'static str, m: &str| -> Result<(), StageError> {
        Err(SampleError::Setting {
            setting,
            problem: m.to_string(),
        }
        .into())
    };
    if cfg.persons == 0 {
        return bad("--persons", "--persons must be at least 1");
    }
    if cfg.orgs < 2 {
        return bad(
            "--orgs",
            "--orgs must be at least 2, or nobody can be reported twice",
        );
    }
    if !(0.0..=1.0).contains(&cfg.duplicate_share)
        || !(0.0..=1.0).contains(&cfg.error_rate)
        || !(0.0..=1.0).contains(&cfg.direct_share)
    {
        return bad("shares and rates", "shares and rates must lie between 0 and 1");
    }
    if !(0.0..=1.0).contains(&cfg.noise.answer_conflict) {
        return bad(
            "--answer-conflict",
            &format!(
                "--answer-conflict must lie between 0 and 1, not {}",
                cfg.noise.answer_conflict
            ),
        );
    }
    if cfg.formats.is_empty() {
        return bad("--format", "at least one format is needed");
    }
    Ok(())
}

fn person_id(n: u64) -> String {
    format!("P{n:08}")
}

fn open_orgs(
    schema: &Schema,
    cfg: &SampleConfig,
    dir: &Path,
    summary: &mut SampleSummary,
) -> Result<Vec<Org>, StageError> {
    let fictional: Vec<&str> = schema
        .members
        .iter()
        .filter(|m| m.kind == MemberKind::Sample)
        .map(|m| m.org_id.as_str())
        .collect();
    if cfg.orgs > fictional.len() {
        return Err(SampleError::TooManyOrgs {
            orgs: cfg.orgs,
            available: fictional.len(),
        }
        .into());
    }
    let header: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
    let weights: Vec<f64> = (0..cfg.orgs).map(|k| 1.0 / ((k + 1) as f64).powf(0.7)).collect();
    let total: f64 = weights.iter().sum();
    let records = cfg.persons as f64 * (1.0 + cfg.duplicate_share * 1.3);
    let mut orgs = Vec::with_capacity(cfg.orgs);
    for (k, id) in fictional.iter().take(cfg.orgs).enumerate() {
        let mut format = cfg.formats[k % cfg.formats.len()];
        if format == Format::Xlsx && records * weights[k] / total * 1.2 > XLSX_MAX_ROWS as f64 {
            summary.notes.push(format!(
                "{id} would exceed Excel's row limit; written as Parquet instead of XLSX"
            ));
            format = Format::Parquet;
        }
        let path: PathBuf = dir.join(format!("{id}.{}", format.extension()));
        summary
            .files
            .push(format!("{SUBMISSIONS_DIR}/{id}.{}", format.extension()));
        orgs.push(Org {
            id: id.to_string(),
            weight: weights[k],
            writer: OrgWriter::create(&path, format, &header)?,
            format,
            next_id: 0,
            style: k % 4,
        });
    }
    Ok(orgs)
}

/// The organisations that report a person: one, or with `duplicate_share` two to four.
fn choose_orgs(rng: &mut ChaCha8Rng, orgs: &[Org], duplicate_share: f64) -> Vec<usize> {
    let n = if chance(rng, duplicate_share) {
        match rng.random_range(0..100) {
            0..=84 => 2,
            85..=96 => 3,
            _ => 4,
        }
    } else {
        1
    };
    let mut chosen: Vec<usize> = Vec::with_capacity(n);
    while chosen.len() < n.min(orgs.len()) {
        let total: f64 = orgs
            .iter()
            .enumerate()
            .filter(|(i, _)| !chosen.contains(i))
            .map(|(_, o)| o.weight)
            .sum();
        let mut x = rng.random::<f64>() * total;
        for (i, o) in orgs.iter().enumerate() {
            if chosen.contains(&i) {
                continue;
            }
            if x < o.weight {
                chosen.push(i);
                break;
            }
            x -= o.weight;
        }
    }
    chosen
}

/// Everything that turns persons into written records: settings, names, the row builder,
/// the organisations' writers, the truth and the running counts.
struct Emitter<'a> {
    cfg: &'a SampleConfig,
    pools: &'a NamePools,
    builder: &'a RecordBuilder,
    orgs: Vec<Org>,
    truth: TruthWriter,
    summary: SampleSummary,
}

impl Emitter<'_> {
    /// Writes one person's copies at organisations `at`; returns the record id in each.
    fn emit(
        &mut self,
        rng: &mut ChaCha8Rng,
        person: &Person,
        at: &[usize],
        related: Option<&[String]>,
        has_dependants: bool,
    ) -> Result<Vec<String>, StageError> {
        let cfg = self.cfg;
        let (given, family) = self.pools.draw(rng, person.country_of_birth, person.gender);
        let mut ids = Vec::with_capacity(at.len());
        for (k, &o) in at.iter().enumerate() {
            let org = &mut self.orgs[o];
            org.next_id += 1;
            let record_id = record_id(org.style, cfg.report_year, org.next_id);
            let latin_only = org.format == Format::CsvWindows1252;
            let ids_noise = noise::identifiers(rng, &cfg.noise, &given, &family, person, k == 0, latin_only);
            let copy = Copy {
                org_id: &org.id,
                record_id: &record_id,
                related: related.and_then(|r| r.get(k)).map(String::as_str),
                ids: &ids_noise,
                first: k == 0,
                labels: latin_only,
                conflict_seed: (k > 0 && cfg.noise.answer_conflict > 0.0).then(|| {
                    use std::hash::BuildHasher;
                    foldhash::fast::FixedState::with_seed(cfg.seed).hash_one((&org.id, &record_id))
                }),
            };
            let mut cells = self.builder.build(rng, &cfg.noise, person, &copy);
            let injected = if chance(rng, cfg.error_rate) {
                inject::inject(rng, self.builder, &mut cells, person, &copy, has_dependants)
            } else {
                None
            };
            self.summary.injected_errors += u64::from(injected.is_some());
            org.writer.write(&cells)?;
            self.truth
                .record(&org.id, &record_id, cfg.report_year, person, injected)?;
            self.summary.records += 1;
            ids.push(record_id);
        }
        self.summary.persons_in_several_orgs += u64::from(at.len() > 1);
        let names: Vec<&str> = at.iter().map(|&o| self.orgs[o].id.as_str()).collect();
        self.truth.person(self.builder, person, names)?;
        Ok(ids)
    }
}

/// Each organisation numbers its cases in its own way.
fn record_id(style: usize, year: i32, n: u64) -> String {
    match style {
        0 => format!("{n}"),
        1 => format!("ÄR-{year}-{n:04}"),
        2 => format!("{year}/{n:05}"),
        _ => format!("K{n:06}"),
    }
}

/// The ground truth: which person every record is, and each person's true attributes.
struct TruthWriter {
    records: ParquetSink,
    persons: ParquetSink,
}

const TRUTH_RECORD_COLUMNS: [(&str, Kind); 6] = [
    ("org_id", Kind::Str),
    ("record_id", Kind::Str),
    ("report_year", Kind::Int),
    ("person_id", Kind::Str),
    ("contact_kind", Kind::Str),
    ("injected_error", Kind::Str),
];

impl TruthWriter {
    fn create(dir: &Path, schema: &Schema) -> Result<Self, StageError> {
        let mut pcols: Vec<(&str, Kind)> = vec![("person_id", Kind::Str)];
        pcols.extend(
            record::truth_person_columns(schema)
                .into_iter()
                .map(|c| (c, Kind::Str)),
        );
        pcols.push(("n_orgs", Kind::Int));
        pcols.push(("orgs", Kind::Str));
        Ok(TruthWriter {
            records: ParquetSink::create(&dir.join(TRUTH_RECORDS), &TRUTH_RECORD_COLUMNS)?,
            persons: ParquetSink::create(&dir.join(TRUTH_PERSONS), &pcols)?,
        })
    }

    fn record(
        &mut self,
        org: &str,
        record_id: &str,
        year: i32,
        p: &Person,
        injected: Option<&'static str>,
    ) -> Result<(), StageError> {
        let s = |x: &str| Value::Str(Some(x.to_string()));
        self.records.push(vec![
            s(org),
            s(record_id),
            Value::Int(Some(i64::from(year))),
            s(&p.id),
            s(if p.direct { "direct" } else { "indirect" }),
            Value::Str(injected.map(str::to_string)),
        ])
    }

    fn person(&mut self, builder: &RecordBuilder, p: &Person, orgs: Vec<&str>) -> Result<(), StageError> {
        let mut row = vec![Value::Str(Some(p.id.clone()))];
        row.extend(
            builder
                .truth_values(p)
                .into_iter()
                .map(|v| Value::Str((!v.is_empty()).then_some(v))),
        );
        row.push(Value::Int(Some(orgs.len() as i64)));
        row.push(Value::Str(Some(orgs.join(";"))));
        self.persons.push(row)
    }

    fn finish(self) -> Result<(), StageError> {
        self.records.finish()?;
        self.persons.finish()?;
        Ok(())
    }
}
