//! `safetally budget`: what the privacy ledger says was spent, and what remains, per year.

use std::path::PathBuf;

use safetally::protect::DpConfig;
use safetally_dp::budget::epsilon_for;
use safetally_dp::ledger::Ledger;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The privacy ledger's folder.
    #[arg(long, default_value = "safetally-ledger")]
    pub ledger: PathBuf,
    /// Only this report year (default: every year in the ledger).
    #[arg(long)]
    pub year: Option<i64>,
}

pub fn run(a: Args) -> anyhow::Result<u8> {
    let cfg = DpConfig::load_embedded()?;
    if !a.ledger.is_dir() {
        // A mistyped path must not read as "nothing spent".
        eprintln!(
            "No ledger at {}: nothing was ever recorded there. Pass --ledger with the folder protect --mode dp used (its summary names it).",
            a.ledger.display()
        );
        return Ok(2);
    }
    let mut years: Vec<i64> = match a.year {
        Some(y) => vec![y],
        None => std::fs::read_dir(&a.ledger)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        name.strip_prefix("ledger-")?.strip_suffix(".jsonl")?.parse().ok()
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    years.sort_unstable();
    if years.is_empty()
        && let Some(other) = std::fs::read_dir(&a.ledger)
            .ok()
            .and_then(|mut d| d.find_map(|e| e.ok().map(|e| e.file_name())))
    {
        // A work folder or a release passed by mistake must not read as "nothing spent".
        eprintln!(
            "{} is not a privacy ledger: it holds no ledger-YEAR.jsonl but other things ({}). Pass --ledger with the folder protect --mode dp used (its summary names it).",
            a.ledger.display(),
            other.to_string_lossy()
        );
        return Ok(2);
    }
    if years.is_empty() {
        println!(
            "No releases recorded in {}: each year's budget (rho {}) is unspent.",
            a.ledger.display(),
            cfg.year_rho_cap
        );
        return Ok(0);
    }
    for y in years {
        let l = Ledger::open(&a.ledger, y)?;
        let cap = l.entries.last().map_or(cfg.year_rho_cap, |e| e.rho_cap);
        let spent = l.spent();
        println!(
            "Report year {y}: {} release(s); spent rho {spent:.4} of {cap:.4} (epsilon {:.2} at delta {:e}); remaining rho {:.4}.",
            l.entries.len(),
            epsilon_for(spent, cfg.delta),
            cfg.delta,
            (cap - spent).max(0.0)
        );
        for e in &l.entries {
            println!(
                "  entry {}  rho {:.4}  {} tables  group size {}  (unix time {})",
                if e.entry_id.is_empty() {
                    "-"
                } else {
                    e.entry_id.as_str()
                },
                e.rho,
                e.tables.len(),
                e.group_size,
                e.created_unix
            );
        }
    }
    Ok(0)
}
