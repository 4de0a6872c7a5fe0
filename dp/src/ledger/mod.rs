//! The persistent, append-only privacy ledger: one JSON line per release and report year,
//! written and synced before anything is published. It holds the noisy measurements, so a
//! release made again returns them and spends nothing; a fresh draw is never published twice.

mod chain;
mod file;
mod record;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::budget::TablePlan;
use chain::parse;
use file::read_all;

pub(crate) use file::append_synced;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: this is a file, not a ledger folder; pass the folder that holds (or will hold) ledger-YYYY.jsonl, e.g. `--ledger {}`",
        path.parent().map_or_else(|| "ledger".into(), |p| p.join("ledger").display().to_string())
    )]
    NotAFolder { path: PathBuf },
    #[error(
        "{path}: another run recorded this same release while this one was drawing it; run again, and it will use the recorded draw"
    )]
    RecordedMeanwhile { path: PathBuf },
    #[error(
        "{path}, line {line}: this entry does not follow the line before it (each entry holds a hash of the line before): {what}. The ledger must not be edited by hand, and nothing is spent until it reads: restore it from its backup, or undo the edit, then run again"
    )]
    BrokenChain {
        path: PathBuf,
        line: usize,
        what: String,
    },
    #[error(
        "{path}: the ledger file could not be locked ({source}); a release is recorded under the file's lock so that two runs cannot spend the same budget: keep the ledger on a local disk"
    )]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("a release must spend a finite rho under a finite cap (rho {rho}, cap {cap})")]
    NotFinite { rho: f64, cap: f64 },
    #[error("{path}, line {line}: not a ledger entry: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "over budget for {year}: this release needs rho {needed:.4}, {spent:.4} of the year's {cap:.4} is spent, {remaining:.4} remains; a release may spend at most what remains (`protect --mode dp --rho R`, or `journalist-extract --rho R`), or wait for next year's budget"
    )]
    OverBudget {
        year: i64,
        needed: f64,
        spent: f64,
        cap: f64,
        remaining: f64,
    },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// Hash of the release's inputs and parameters: the same release has the same key. It is
    /// a hash of true counts, so it stays in the ledger and is never published.
    pub release_key: String,
    /// A random id for the entry, which releases may cite.
    #[serde(default)]
    pub entry_id: String,
    pub year: i64,
    pub created_unix: u64,
    pub rho_cap: f64,
    pub rho: f64,
    pub group_size: u32,
    pub tables: Vec<TablePlan>,
    /// The noisy measurements, per table, as drawn.
    pub measurements: BTreeMap<String, Vec<i64>>,
}

impl Entry {
    /// A new entry stamped with the current time.
    pub fn now(release_key: String, year: i64, rho_cap: f64, rho: f64, group_size: u32) -> Self {
        Entry {
            release_key,
            entry_id: random_id(),
            year,
            created_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            rho_cap,
            rho,
            group_size,
            tables: Vec::new(),
            measurements: BTreeMap::new(),
        }
    }
}

/// 64 random bits from the operating system, as hex (all zeros if it fails, which only makes
/// the id less unique, never wrong).
fn random_id() -> String {
    use rand::TryRngCore;
    let mut b = [0u8; 8];
    let _ = rand::rngs::OsRng.try_fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub struct Ledger {
    path: PathBuf,
    pub year: i64,
    pub entries: Vec<Entry>,
    /// The SHA-256 of each entry's line as written (the last one is the next line's `prev`).
    hashes: Vec<String>,
}

impl Ledger {
    pub fn path_for(dir: &Path, year: i64) -> PathBuf {
        dir.join(format!("ledger-{year}.jsonl"))
    }

    /// The report year of a ledger file, from its name (`path_for`'s); None for other files.
    pub fn year_of(path: &Path) -> Option<i64> {
        path.file_name()?
            .to_str()?
            .strip_prefix("ledger-")?
            .strip_suffix(".jsonl")?
            .parse()
            .ok()
    }

    /// Opens (or starts) the year's ledger in `dir`. Every line that holds an entry counts,
    /// the last one too when its line break is missing (an editor may drop it). A last line
    /// that is not a whole entry is refused, not skipped: it may be a crash while a release was
    /// being recorded (then never published), or a damaged file whose last release was
    /// published; the ledger cannot tell, and skipping it would hand that budget out again.
    pub fn open(dir: &Path, year: i64) -> Result<Self, LedgerError> {
        let path = Self::path_for(dir, year);
        let io = |source| LedgerError::Io {
            path: path.clone(),
            source,
        };
        if dir.is_file() {
            return Err(LedgerError::NotAFolder {
                path: dir.to_path_buf(),
            });
        }
        std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let text = match File::open(&path) {
            // Read under a shared lock: a release being recorded finishes its line first.
            Ok(mut f) => read_all(&mut f, false, &path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io(e)),
        };
        let (entries, hashes) = parse(&path, &text)?;
        Ok(Ledger {
            path,
            year,
            entries,
            hashes,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn entry(key: &str, rho: f64) -> Entry {
        Entry {
            release_key: key.into(),
            entry_id: String::new(),
            year: 2024,
            created_unix: 0,
            rho_cap: 1.0,
            rho,
            group_size: 1,
            tables: Vec::new(),
            measurements: BTreeMap::from([("T01".to_string(), vec![3, 4])]),
        }
    }

    #[test]
    fn a_last_entry_without_its_line_break_counts_and_a_torn_one_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut l = Ledger::open(dir.path(), 2024).expect("open");
        l.append(entry("a", 0.3)).expect("append");
        l.append(entry("b", 0.3)).expect("append");
        let path = Ledger::path_for(dir.path(), 2024);
        let text = std::fs::read_to_string(&path).expect("read");
        // An editor dropped the final line break: both entries still count.
        std::fs::write(&path, text.trim_end()).expect("write");
        let mut l = Ledger::open(dir.path(), 2024).expect("reopen");
        assert!((l.spent() - 0.6).abs() < 1e-12, "{}", l.spent());
        l.append(entry("c", 0.3)).expect("append after it");
        let l = Ledger::open(dir.path(), 2024).expect("reopen");
        let keys: Vec<&str> = l.entries.iter().map(|e| e.release_key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        // A torn last entry is refused: skipping it would spend its budget again.
        std::fs::write(&path, &text[..text.len() - 20]).expect("tear");
        let e = Ledger::open(dir.path(), 2024)
            .err()
            .expect("a torn entry is refused");
        assert!(e.to_string().contains("not a whole entry"), "{e}");
    }

    /// A damaged line in the middle said only "must not be edited by hand", with no way on.
    #[test]
    fn a_damaged_line_or_a_file_given_as_the_ledger_says_what_to_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut l = Ledger::open(dir.path(), 2024).expect("open");
        l.append(entry("a", 0.3)).expect("append");
        let path = Ledger::path_for(dir.path(), 2024);
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, format!("{{\"x\": 1}}\n{text}")).expect("damage");
        let e = Ledger::open(dir.path(), 2024)
            .err()
            .expect("a damaged line is refused");
        let msg = e.to_string();
        assert!(
            msg.contains("line 1") && msg.contains("restore it from its backup"),
            "{msg}"
        );
        let e = Ledger::open(&path, 2024)
            .err()
            .expect("a file is not a ledger folder");
        let msg = e.to_string();
        assert!(
            msg.contains("not a ledger folder") && msg.contains("--ledger"),
            "{msg}"
        );
    }
}
