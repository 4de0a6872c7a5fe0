//! The encoder alone: match keys, blocking keys, date parts, record keys and Bloom filters of
//! records already in memory, on one core, with no Parquet read or written. Says how much of
//! pseudonymise's time is the encoding itself and how much is reading, ordering and writing.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use polars::prelude::{DataFrame, DataType};
use safetally::dates::PartialDate;
use safetally::key::LinkageKey;
use safetally::pseudonymise::{Encoder, Identifiers};

use super::cpu_seconds;

/// The identifiers as pseudonymise reads them (org, year, record ids, number, names, date).
const COLUMNS: [&str; 8] = safetally::pseudonymise::IDENTIFIER_COLUMNS;

/// One validated record's identifiers, owned, so the timed loop only borrows them.
struct Row {
    cells: [Option<String>; 8],
    birth: Option<PartialDate>,
}

/// Encodes every validated record of `work` in batches of `batch` and prints records per
/// CPU-second of encoding. Dates are parsed before the clock starts (pseudonymise parses each
/// distinct date once, which is not the cost this measures).
pub fn encode_throughput(work: &Path, key: &Path, batch: usize) -> anyhow::Result<()> {
    let key = LinkageKey::load(key)?;
    let rows = load_rows(work)?;
    let ids: Vec<Identifiers> = rows.iter().map(identifiers).collect();
    let mut encoder = Encoder::new(&key);
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let mut blooms = 0usize;
    for chunk in ids.chunks(batch.max(1)) {
        let out = encoder.encode_many(chunk);
        blooms += std::hint::black_box(&out)
            .iter()
            .filter(|e| e.bloom.is_some())
            .count();
    }
    let (seconds, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let n = ids.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "records": ids.len(),
            "with_bloom": blooms,
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "cpu_seconds": cpu,
            "records_per_core_second": (n / cpu.max(0.01)).round(),
        })
    );
    Ok(())
}

fn identifiers(row: &Row) -> Identifiers<'_> {
    let cell = |i: usize| row.cells[i].as_deref();
    Identifiers {
        org: cell(0).unwrap_or(""),
        year: cell(1).unwrap_or(""),
        record_id: cell(2).unwrap_or(""),
        related_id: cell(3),
        personal_number: cell(4),
        given: cell(5).unwrap_or(""),
        family: cell(6).unwrap_or(""),
        birth: row.birth,
    }
}

/// Every validated file's identifier columns, as text.
fn load_rows(work: &Path) -> anyhow::Result<Vec<Row>> {
    let dir = work
        .join(safetally::ingest::STAGE)
        .join(safetally::ingest::VALIDATED_DIR);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for file in &files {
        let df = safetally::parquet_io::read_columns(file, &COLUMNS)?;
        rows.extend(frame_rows(&df).with_context(|| file.display().to_string())?);
    }
    anyhow::ensure!(!rows.is_empty(), "no validated records in {}", dir.display());
    Ok(rows)
}

fn frame_rows(df: &DataFrame) -> anyhow::Result<Vec<Row>> {
    let mut columns = Vec::with_capacity(COLUMNS.len());
    for name in COLUMNS {
        let text = df.column(name)?.cast(&DataType::String)?;
        columns.push(
            text.str()?
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect::<Vec<_>>(),
        );
    }
    Ok((0..df.height())
        .map(|r| {
            let cells: [Option<String>; 8] = std::array::from_fn(|c| columns[c][r].clone());
            let birth = cells[7].as_deref().and_then(|b| PartialDate::parse(b).ok());
            Row { cells, birth }
        })
        .collect())
}
