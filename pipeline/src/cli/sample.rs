//! `safetally sample`: generate a synthetic sample with ground truth.

use std::path::PathBuf;

use anyhow::{Context, bail};
use safetally::progress::Progress;
use safetally::sample::{Format, NoiseConfig, SampleConfig, generate};

use super::load_schema;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output folder; gets submissions/ (one file per organisation that reported anyone) and
    /// truth/.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of persons (direct victims and their children).
    #[arg(long, default_value_t = 403, value_parser = clap::value_parser!(u64).range(1..))]
    pub persons: u64,
    /// Number of fictional organisations.
    #[arg(long, default_value_t = 25, value_parser = super::sample_orgs)]
    pub orgs: usize,
    /// Seed of the generator: the same seed and options make the same sample, byte for byte.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
    /// The report year of every record (1990 to this year).
    #[arg(long, default_value_t = 2024, value_parser = super::report_year)]
    pub year: i32,
    /// Share of persons reported by two or more organisations.
    #[arg(long, default_value_t = 0.15)]
    pub duplicate_share: f64,
    /// Multiplies every identifier-noise rate (2 = twice the typos, swaps, missing dates ...).
    #[arg(long, default_value_t = 1.0)]
    pub noise_scale: f64,
    /// Share of later copies of a person whose gender or country of birth is entered wrongly
    /// (another known value; a copy that does not know the answer keeps it, so somewhat fewer
    /// change), to measure what linkage's answer guard costs. Not scaled by --noise-scale.
    #[arg(long, default_value_t = 0.0)]
    pub answer_conflict: f64,
    /// Share of records given one deliberate contract error, recorded in the truth.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Formats given to organisations in turn: csv, csv-bom, csv-1252, xlsx, parquet.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "csv,csv-1252,xlsx,parquet,csv-bom"
    )]
    pub formats: Vec<String>,
    /// Replace the sample already in the output folder (its submissions/, truth/ and sample.json).
    #[arg(long)]
    pub overwrite: bool,
}

pub fn run(a: Args, progress: Progress) -> anyhow::Result<u8> {
    let schema = load_schema()?;
    let formats = a
        .formats
        .iter()
        .map(|f| {
            Format::parse(f)
                .with_context(|| format!("unknown format {f:?}; use csv, csv-bom, csv-1252, xlsx or parquet"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    // Only what the generator writes is replaced; other files in the folder (a README) stay.
    let ours = [
        a.out.join("submissions"),
        a.out.join("truth"),
        a.out.join("sample.json"),
    ];
    if ours.iter().any(|p| p.exists()) {
        if !a.overwrite {
            bail!(
                "{} already holds a sample; pass --overwrite to replace it",
                a.out.display()
            );
        }
        for p in &ours {
            let removed = if p.is_dir() {
                std::fs::remove_dir_all(p)
            } else if p.exists() {
                std::fs::remove_file(p)
            } else {
                Ok(())
            };
            removed.with_context(|| format!("cannot remove {}", p.display()))?;
        }
    }
    let cfg = SampleConfig {
        persons: a.persons,
        orgs: a.orgs,
        seed: a.seed,
        report_year: a.year,
        duplicate_share: a.duplicate_share,
        noise: NoiseConfig {
            answer_conflict: a.answer_conflict,
            ..NoiseConfig::default()
        }
        .scaled(a.noise_scale),
        error_rate: a.error_rate,
        formats,
        ..SampleConfig::default()
    };
    let start = std::time::Instant::now();
    // A sample refused or cut short leaves none of its folders: the next command would be
    // told the folder "already holds a sample" (an outside review's was, after a refusal).
    let summary = match generate(&schema, &cfg, &a.out, &progress) {
        Ok(summary) => summary,
        Err(e) => {
            for p in &ours {
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(p)
                } else {
                    std::fs::remove_file(p)
                };
            }
            return Err(e.into());
        }
    };
    let meta = serde_json::json!({ "config": cfg, "summary": summary });
    let meta_path = a.out.join("sample.json");
    std::fs::write(&meta_path, serde_json::to_string_pretty(&meta)?)
        .with_context(|| format!("cannot write {}", meta_path.display()))?;
    say!(
        "Wrote {} records of {} persons ({} direct, {} indirect; {} reported by several organisations; {} deliberate errors) \
         for {} fictional organisations to {}/submissions in {:.1} s. The ground truth is in {}/truth.",
        summary.records,
        summary.persons,
        summary.direct,
        summary.indirect,
        summary.persons_in_several_orgs,
        summary.injected_errors,
        cfg.orgs,
        a.out.display(),
        start.elapsed().as_secs_f64(),
        a.out.display()
    );
    for n in &summary.notes {
        say!("note: {n}");
    }
    Ok(0)
}
