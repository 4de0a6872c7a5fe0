//! `safetally budget`: what the privacy ledger says was spent, and what remains, per year.

use anyhow::Context;
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
    #[arg(long, value_parser = |t: &str| super::report_year(t).map(i64::from))]
    pub year: Option<i64>,
}

/// A ledger or register file named where its folder is expected: its folder and its year.
fn ledger_file(path: &std::path::Path) -> Option<(PathBuf, i64)> {
    let year = Ledger::year_of(path).or_else(|| safetally_dp::register::year_of(path))?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    Some((parent.to_path_buf(), year))
}

/// What an entry paid for: a release of report tables, or the journalists' extract (which
/// measures its own cross-tabulation, `J1`, and marginals; before 0.22 with no table plan).
fn what(e: &safetally_dp::ledger::Entry) -> String {
    if !e.measurements.is_empty() && e.measurements.keys().all(|k| k.starts_with('J')) {
        "journalists' extract".to_string()
    } else {
        format!("release of {} tables", e.tables.len())
    }
}

pub fn run(mut a: Args) -> anyhow::Result<u8> {
    let cfg = DpConfig::load_embedded()?;
    if a.ledger.is_file()
        && let Some((folder, year)) = ledger_file(&a.ledger)
    {
        // The year's file itself: read it, as its folder for that year.
        a.ledger = folder;
        a.year = Some(a.year.unwrap_or(year));
    }
    if a.ledger.is_file() {
        eprintln!(
            "{} is a file, not a privacy ledger (its files are named ledger-YEAR.jsonl). Pass --ledger with the folder protect --mode dp used (its summary names it).",
            a.ledger.display()
        );
        return Ok(1);
    }
    if !a.ledger.is_dir() {
        // A mistyped path must not read as "nothing spent".
        eprintln!(
            "No ledger at {}: nothing was ever recorded there. Pass --ledger with the folder protect --mode dp used (its summary names it).",
            a.ledger.display()
        );
        return Ok(1);
    }
    let mut years: Vec<i64> = match a.year {
        Some(y) => vec![y],
        // An unreadable folder must not read as "nothing spent" either.
        None => {
            let unreadable = || format!("cannot read the privacy ledger folder {}", a.ledger.display());
            let mut years = Vec::new();
            for e in std::fs::read_dir(&a.ledger).with_context(unreadable)? {
                let p = e.with_context(unreadable)?.path();
                years.extend(Ledger::year_of(&p).or_else(|| safetally_dp::register::year_of(&p)));
            }
            years
        }
    };
    years.sort_unstable();
    years.dedup();
    if years.is_empty()
        && let Some(other) = std::fs::read_dir(&a.ledger).ok().and_then(|mut d| {
            // The ledger's own id file is no sign of anything else.
            d.find_map(|e| {
                e.ok()
                    .map(|e| e.file_name())
                    .filter(|n| !n.to_string_lossy().starts_with('.'))
            })
        })
    {
        // A work folder or a release passed by mistake must not read as "nothing spent".
        eprintln!(
            "{} is not a privacy ledger: it holds no ledger-YEAR.jsonl but other things ({}). Pass --ledger with the folder protect --mode dp used (its summary names it).",
            a.ledger.display(),
            other.to_string_lossy()
        );
        return Ok(1);
    }
    if years.is_empty() {
        say!(
            "No releases recorded in {}: each year's budget (rho {}) is unspent.",
            a.ledger.display(),
            cfg.year_rho_cap
        );
        return Ok(0);
    }
    for y in years {
        // Exact releases spend no budget; the register says which one the year has.
        // A damaged register must not hide the budget: it is told, and the ledger still read.
        match safetally_dp::register::registered(&a.ledger, y) {
            Ok(registered) => {
                for r in registered {
                    say!(
                        "Report year {y}: exact release {} published {} (registered; a second exact release of the year with other figures is refused). It carries no noise and spends no budget: whoever holds it (the platform, vetted researchers) can learn more about the year's persons than a DP release's epsilon says; the budget holds for readers of the public DP releases only.",
                        r.release_id,
                        safetally::dates::utc_text(r.created_unix)
                    );
                }
            }
            Err(e) => eprintln!("warning: {e}"),
        }
        if !Ledger::path_for(&a.ledger, y).exists() {
            say!(
                "Report year {y}: no DP release or extract recorded; the year's budget (rho {}) is unspent.",
                cfg.year_rho_cap
            );
            continue;
        }
        let l = Ledger::open(&a.ledger, y)?;
        // The cap protect enforces is the configured one; a line appended by hand (or by
        // another configuration) could carry another, which used to be shown as the year's.
        let cap = cfg.year_rho_cap;
        let spent = l.spent();
        let other_caps: std::collections::BTreeSet<String> = l
            .entries
            .iter()
            .filter(|e| (e.rho_cap - cap).abs() > 1e-12)
            .map(|e| format!("{:.4}", e.rho_cap))
            .collect();
        if !other_caps.is_empty() {
            say!(
                "Report year {y}: some entries record another cap (rho {}) than the configured {cap:.4}, which is the one protect and extract enforce.",
                other_caps.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        say!(
            "Report year {y}: {} ledger entr(ies) (DP releases and extracts); spent rho {spent:.4} of {cap:.4} (epsilon {:.2} at delta {:e}); remaining rho {:.4}.",
            l.entries.len(),
            epsilon_for(spent, cfg.delta),
            cfg.delta,
            (cap - spent).max(0.0)
        );
        for e in &l.entries {
            say!(
                "  {}  rho {:.4}  {}  group size {}  entry {}",
                safetally::dates::utc_text(e.created_unix),
                e.rho,
                what(e),
                e.group_size,
                if e.entry_id.is_empty() {
                    "-"
                } else {
                    e.entry_id.as_str()
                },
            );
        }
    }
    Ok(0)
}
