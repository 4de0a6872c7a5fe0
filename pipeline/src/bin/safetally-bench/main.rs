//! Benchmarks with figures anyone can rerun: each phase runs in its own child process so its
//! wall time and peak memory (VmHWM) are its own. Data are generated here, never committed.
//!
//! cargo run --release --bin safetally-bench -- ingest --persons 860000

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

mod encode;

// The pipeline allocates many small strings; mimalloc handles that churn far better than the
// system allocator (measured on the link stage).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use safetally::ingest::IngestOptions;
use safetally::progress::Progress;
use safetally::sample::{Format, SampleConfig, generate};
use safetally::stage::Workdir;

#[derive(Parser)]
#[command(
    about = "safetally benchmarks: generation and ingest throughput and peak memory",
    after_help = "Example:\n  cargo run --release --bin safetally-bench -- ingest --persons 860000 --dir bench-data"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate a sample (if not there yet), then time ingest on it.
    Ingest {
        /// Persons to generate; about 1.17 records each with the default duplicate share.
        #[arg(long, default_value_t = 860_000)]
        persons: u64,
        /// Where the generated data and the work directory go.
        #[arg(long, default_value = "bench-data")]
        dir: PathBuf,
        /// Formats of the generated files.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "csv,csv-1252,parquet,xlsx,csv-bom"
        )]
        formats: Vec<String>,
    },
    /// Generate and ingest (if not there yet), then time pseudonymise and link (exact, then with
    /// the fuzzy step).
    Link {
        #[arg(long, default_value_t = 860_000)]
        persons: u64,
        #[arg(long, default_value = "bench-data")]
        dir: PathBuf,
        /// Skip the fuzzy step (for the largest sizes).
        #[arg(long)]
        exact_only: bool,
    },
    /// The journalists' extract: how its error (total variation distance of 1-, 2- and 3-way
    /// marginals against the truth) falls as rho grows, on generated persons.
    JournalistAccuracy {
        /// Sizes of the generated samples.
        #[arg(long, value_delimiter = ',', default_value = "403,4000")]
        persons: Vec<u64>,
        /// Fresh draws averaged per figure.
        #[arg(long, default_value_t = 5)]
        reps: usize,
        #[arg(long, default_value = "bench-data")]
        dir: PathBuf,
        /// Where the Markdown table is written (also printed).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Keyed hashes (HMAC-SHA-256 of 40-byte messages) per second on one core: one at a time,
    /// and in SIMD batches as pseudonymise computes them.
    Hmac {
        #[arg(long, default_value_t = 2_000_000)]
        count: usize,
    },
    /// The encoder alone, on one core: keys and Bloom filters of validated records already in
    /// memory (a work folder `link` made), with no Parquet read or written.
    Encode {
        work: PathBuf,
        key: PathBuf,
        /// Records encoded per call, as pseudonymise hands a core a run of rows.
        #[arg(long, default_value_t = 8192)]
        batch: usize,
    },
    /// (child) pseudonymise only
    #[command(hide = true)]
    PhasePseudonymise { work: PathBuf, key: PathBuf },
    /// (child) link only
    #[command(hide = true)]
    PhaseLink {
        work: PathBuf,
        #[arg(long)]
        fuzzy: bool,
    },
    /// (child) generate only
    #[command(hide = true)]
    PhaseGenerate {
        persons: u64,
        out: PathBuf,
        #[arg(value_delimiter = ',')]
        formats: Vec<String>,
    },
    /// (child) ingest only
    #[command(hide = true)]
    PhaseIngest { input: PathBuf, work: PathBuf },
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time of this process (user and system, every thread), from /proc/self/stat. Per-core
/// throughput is records per CPU-second: on a shared machine the wall time also counts the
/// time the host gave our cores to others.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) start with the state, field 3;
    // utime and stime are fields 14 and 15, in clock ticks of 1/100 s (Linux's USER_HZ).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// What a phase prints for the parent to read: records, wall and CPU seconds, peak memory.
fn phase_result(records: u64, started: Instant) {
    println!(
        "{{\"records\":{records},\"seconds\":{:.3},\"cpu_seconds\":{:.2},\"peak_mib\":{:.1}}}",
        started.elapsed().as_secs_f64(),
        cpu_seconds(),
        peak_rss_mib()
    );
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Ingest {
            persons,
            dir,
            formats,
        } => orchestrate(persons, &dir, &formats),
        Cmd::JournalistAccuracy {
            persons,
            reps,
            dir,
            out,
        } => journalist_accuracy(&persons, reps, &dir, out.as_deref()),
        Cmd::PhaseGenerate {
            persons,
            out,
            formats,
        } => {
            let schema = safetally::schema::load_embedded()?;
            let formats = formats
                .iter()
                .map(|f| Format::parse(f).context("format"))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let cfg = SampleConfig {
                persons,
                formats,
                seed: 1,
                ..SampleConfig::default()
            };
            let t = Instant::now();
            let s = generate(&schema, &cfg, &out, &Progress::hidden())?;
            phase_result(s.records, t);
            Ok(())
        }
        Cmd::Link {
            persons,
            dir,
            exact_only,
        } => orchestrate_link(persons, &dir, exact_only),
        Cmd::Hmac { count } => {
            hmac_throughput(count);
            Ok(())
        }
        Cmd::Encode { work, key, batch } => encode::encode_throughput(&work, &key, batch),
        Cmd::PhasePseudonymise { work, key } => {
            let schema = safetally::schema::load_embedded()?;
            let key = safetally::key::LinkageKey::load(&key)?;
            let work = Workdir::new(work)?;
            let input = work
                .stage_dir(safetally::ingest::STAGE)
                .join(safetally::ingest::VALIDATED_DIR);
            let t = Instant::now();
            let run =
                safetally::run::pseudonymise_stage(&schema, &work, &input, &key, &Progress::hidden(), true)?;
            phase_result(run.result.orgs.values().map(|o| o.records).sum(), t);
            Ok(())
        }
        Cmd::PhaseLink { work, fuzzy } => {
            let schema = safetally::schema::load_embedded()?;
            let spec = safetally::schema::LinkageSpec::load(&schema)?;
            let work = Workdir::new(work)?;
            let mut params = safetally::link::LinkParams::from_spec(&spec);
            params.fuzzy = fuzzy;
            let input = work.stage_dir(safetally::pseudonymise::STAGE);
            let t = Instant::now();
            let run = safetally::run::link_stage(&schema, &work, &input, &params, &Progress::hidden(), true)?;
            phase_result(run.result.records, t);
            Ok(())
        }
        Cmd::PhaseIngest { input, work } => {
            let schema = safetally::schema::load_embedded()?;
            let work = Workdir::new(work)?;
            let t = Instant::now();
            let run = safetally::run::ingest_stage(
                &schema,
                &work,
                &input,
                &IngestOptions::default(),
                &Progress::hidden(),
                true,
            )?;
            phase_result(run.result.totals.rows_in, t);
            Ok(())
        }
    }
}

fn child(args: &[String]) -> anyhow::Result<serde_json::Value> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe).args(args).output()?;
    if !out.status.success() {
        bail!("{} failed: {}", args[0], String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(serde_json::from_str(text.lines().last().unwrap_or("{}"))?)
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Generates the data in a child process unless an earlier run left it there.
fn ensure_sample(persons: u64, data: &Path, formats: &str) -> anyhow::Result<()> {
    if !data.join("submissions").is_dir() {
        let _ = std::fs::remove_dir_all(data);
        let g = child(&[
            "phase-generate".into(),
            persons.to_string(),
            s(data),
            formats.to_string(),
        ])?;
        report("generate", &g);
    }
    Ok(())
}

fn orchestrate(persons: u64, dir: &Path, formats: &[String]) -> anyhow::Result<()> {
    let data = dir.join(format!("sample-{persons}"));
    ensure_sample(persons, &data, &formats.join(","))?;
    let i = child(&[
        "phase-ingest".into(),
        s(&data.join("submissions")),
        s(&dir.join("work")),
    ])?;
    report("ingest", &i);
    Ok(())
}

fn orchestrate_link(persons: u64, dir: &Path, exact_only: bool) -> anyhow::Result<()> {
    let data = dir.join(format!("sample-{persons}-parquet"));
    let work = dir.join(format!("work-{persons}"));
    ensure_sample(persons, &data, "parquet")?;
    if !work.join(safetally::ingest::STAGE).is_dir() {
        let i = child(&["phase-ingest".into(), s(&data.join("submissions")), s(&work)])?;
        report("ingest", &i);
    }
    let key = dir.join("bench.key");
    if !key.exists() {
        safetally::key::LinkageKey::generate()?.save(&key)?;
    }
    let p = child(&["phase-pseudonymise".into(), s(&work), s(&key)])?;
    report("pseudonymise", &p);
    let l = child(&["phase-link".into(), s(&work)])?;
    report("link exact", &l);
    if !exact_only {
        let f = child(&["phase-link".into(), s(&work), "--fuzzy".into()])?;
        report("link fuzzy", &f);
    }
    Ok(())
}

fn report(what: &str, v: &serde_json::Value) {
    let records = v["records"].as_f64().unwrap_or(0.0);
    let secs = v["seconds"].as_f64().unwrap_or(f64::NAN);
    let cpu = v["cpu_seconds"].as_f64().unwrap_or(f64::NAN);
    println!(
        "{what:>12}: {records:.0} records in {secs:.2} s = {:.0} records/s; {cpu:.2} s of CPU = {:.0} records per core-second; peak memory {:.0} MiB",
        records / secs,
        records / cpu,
        v["peak_mib"].as_f64().unwrap_or(0.0)
    );
}

/// Error of the journalists' extract against rho, on the persons linkage makes of a generated
/// sample: the generator's own truth lacks the unknown and unanswered categories the
/// submissions hold, and the extract's error on it was a third of that on linked persons.
fn journalist_accuracy(sizes: &[u64], reps: usize, dir: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let schema = safetally::schema::load_embedded()?;
    let tables = safetally::tables::load_tables(&schema, &safetally::schema::MemberKind::Sample)?;
    let mut md = String::from(
        "## Fel mot rho / Error against rho (genererade data / generated data)\n\nMedel av det totala variationsavståndet mellan utdragets fördelningar och de sanna, över varje val av 1, 2 eller 3 kolumner och över nya dragningar, på de personer som ingest, pseudonymise och link gör av ett urval från `safetally sample` (halva rho till korstabellen, halva till de syntetiska personerna). / Mean total variation distance between the extract's marginals and the true ones, averaged over every choice of 1, 2 or 3 columns and over fresh draws, on the persons that ingest, pseudonymise and link make of a sample from `safetally sample` (half of rho to the cross-tabulation, half to the synthetic persons). Made by `cargo run --release --bin safetally-bench -- journalist-accuracy`.\n\n| personer / persons | rho | syntetiska / synthetic 1-way | 2-way | 3-way | korstabell / cross-tab 1-way | 2-way | 3-way |\n|---|---|---|---|---|---|---|---|\n",
    );
    for &n in sizes {
        let data = dir.join(format!("journalist-{n}"));
        let truth = data.join("truth").join(safetally::sample::TRUTH_PERSONS);
        if !truth.is_file() {
            let cfg = SampleConfig {
                persons: n,
                formats: vec![Format::Parquet],
                ..SampleConfig::default()
            };
            generate(&schema, &cfg, &data, &Progress::hidden())?;
        }
        let persons = linked_persons(&schema, &data)?;
        for rho in [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 20.0] {
            let t = Instant::now();
            let (s, c) = safetally::journalist::accuracy_at(&schema, &tables, &persons, rho, reps)?;
            let _ = writeln!(
                md,
                "| {n} | {rho} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                s.one_way, s.two_way, s.three_way, c.one_way, c.two_way, c.three_way
            );
            eprintln!("persons {n}, rho {rho}: {:.1} s", t.elapsed().as_secs_f64());
        }
    }
    println!("{md}");
    if let Some(p) = out {
        std::fs::write(p, &md).with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(())
}

/// The persons link makes of a generated sample's submissions (made once, in `data/work`).
fn linked_persons(
    schema: &safetally::schema::Schema,
    data: &Path,
) -> anyhow::Result<safetally::tables::derive::Persons> {
    use safetally::run::{ingest_stage, link_stage, pseudonymise_stage};
    let work = Workdir::new(data.join("work"))?;
    let persons = work
        .stage_dir(safetally::link::STAGE)
        .join(safetally::link::PERSONS);
    if !persons.is_file() {
        let p = Progress::hidden();
        let key = safetally::key::LinkageKey::for_synthetic_demo(b"journalist-accuracy");
        let opts = safetally::ingest::IngestOptions::default();
        let ing = ingest_stage(schema, &work, &data.join("submissions"), &opts, &p, false)?;
        let validated = ing.dir.join(safetally::ingest::VALIDATED_DIR);
        let ps = pseudonymise_stage(schema, &work, &validated, &key, &p, false)?;
        let spec = safetally::schema::LinkageSpec::load(schema)?;
        let params = safetally::link::LinkParams::from_spec(&spec);
        link_stage(schema, &work, &ps.dir, &params, &p, false)?;
    }
    Ok(safetally::tables::read_persons(schema, &persons)?.0)
}

fn hmac_throughput(count: usize) {
    let key = safetally::key::LinkageKey::for_synthetic_demo(b"benchmark");
    let k = key.purpose("bench");
    let messages: Vec<[u8; 36]> = (0..count)
        .map(|i| std::array::from_fn(|j| (i.wrapping_mul(31) ^ j) as u8))
        .collect();
    let t = Instant::now();
    let mut acc = 0u8;
    for m in &messages {
        acc ^= k.digest(&[m])[0];
    }
    let single = count as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for chunk in messages.chunks(4096) {
        let jobs: Vec<_> = chunk.iter().filter_map(|m| k.job(&[m])).collect();
        for d in safetally::key::run_jobs(&jobs) {
            acc ^= d[0];
        }
    }
    let batched = count as f64 / t.elapsed().as_secs_f64();
    println!(
        "HMAC-SHA-256, 36-byte messages, one core: {:.2} M/s one at a time, {:.2} M/s batched ({:.1}x) [{acc}]",
        single / 1e6,
        batched / 1e6,
        batched / single
    );
    // Each way a batch can take on this CPU, on the same framed jobs, and the one the timing
    // at start-up chose.
    use safetally::sha256x::Way;
    let jobs: Vec<_> = messages.iter().filter_map(|m| k.job(&[m])).collect();
    let mut out = vec![[0u8; 32]; jobs.len()];
    let rates: Vec<String> = Way::available()
        .into_iter()
        .map(|way| {
            let t = Instant::now();
            way.run(&jobs, &mut out);
            let rate = jobs.len() as f64 / t.elapsed().as_secs_f64();
            format!("{way:?} {:.2} M/s", rate / 1e6)
        })
        .collect();
    let ways = Way::available();
    let timed: Vec<String> = ways
        .iter()
        .zip(Way::timings(&ways))
        .map(|(way, d)| format!("{way:?} {:.2} M/s", 256.0 / d.as_secs_f64() / 1e6))
        .collect();
    println!("  by way (framed jobs, no framing timed): {}", rates.join(", "));
    println!(
        "  start-up timing (256 jobs, best of 32): {}; chosen: {:?}",
        timed.join(", "),
        Way::fastest()
    );
}
