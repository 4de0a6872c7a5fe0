//! The persistent, append-only privacy ledger: one JSON line per release and report year,
//! written and synced before anything is published. It holds the noisy measurements, so a
//! release made again returns them and spends nothing; a fresh draw is never published twice.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::budget::TablePlan;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: not a ledger entry ({message}); the ledger must not be edited by hand")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "over budget for {year}: this release needs rho {needed:.4}, {spent:.4} of the year's {cap:.4} is spent, {remaining:.4} remains; lower --rho or wait for next year's budget"
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
}

impl Ledger {
    pub fn path_for(dir: &Path, year: i64) -> PathBuf {
        dir.join(format!("ledger-{year}.jsonl"))
    }

    /// Opens (or starts) the year's ledger in `dir`. A torn last line (a crash while
    /// appending) is ignored: its draw was never published, since publication follows the sync.
    pub fn open(dir: &Path, year: i64) -> Result<Self, LedgerError> {
        let path = Self::path_for(dir, year);
        let io = |source| LedgerError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|source| LedgerError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io(e)),
        };
        let complete = text.rfind('\n').map_or("", |i| &text[..i]);
        let mut entries = Vec::new();
        for (i, line) in complete.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let e: Entry = serde_json::from_str(line).map_err(|e| LedgerError::Corrupt {
                path: path.clone(),
                line: i + 1,
                message: e.to_string(),
            })?;
            entries.push(e);
        }
        Ok(Ledger { path, year, entries })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn spent(&self) -> f64 {
        self.entries.iter().map(|e| e.rho).sum()
    }

    pub fn find(&self, release_key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.release_key == release_key)
    }

    /// Refuses a release that would exceed `cap`.
    pub fn check(&self, needed: f64, cap: f64) -> Result<(), LedgerError> {
        let spent = self.spent();
        if spent + needed > cap * (1.0 + 1e-9) {
            return Err(LedgerError::OverBudget {
                year: self.year,
                needed,
                spent,
                cap,
                remaining: (cap - spent).max(0.0),
            });
        }
        Ok(())
    }

    /// Appends an entry and syncs it to disk; only then may the release be published.
    pub fn append(&mut self, entry: Entry) -> Result<(), LedgerError> {
        self.check(entry.rho, entry.rho_cap)?;
        let io = |source| LedgerError::Io {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_string(&entry).map_err(|e| io(std::io::Error::other(e)))?;
        line.push('\n');
        self.truncate_torn_tail().map_err(io)?;
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        f.write_all(line.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(io)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        self.entries.push(entry);
        Ok(())
    }

    fn truncate_torn_tail(&self) -> std::io::Result<()> {
        let Ok(bytes) = std::fs::read(&self.path) else {
            return Ok(());
        };
        if bytes.is_empty() || bytes.ends_with(b"\n") {
            return Ok(());
        }
        let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let f = OpenOptions::new().write(true).open(&self.path)?;
        f.set_len(keep as u64)?;
        f.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, rho: f64) -> Entry {
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
    fn entries_persist_and_the_cap_is_enforced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut l = Ledger::open(dir.path(), 2024).expect("open");
        l.append(entry("a", 0.6)).expect("first");
        let err = l.append(entry("b", 0.6)).expect_err("over the cap");
        assert!(err.to_string().contains("over budget"), "{err}");
        let again = Ledger::open(dir.path(), 2024).expect("reopen");
        assert_eq!(again.entries, vec![entry("a", 0.6)]);
        assert!((again.spent() - 0.6).abs() < 1e-12);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut l = Ledger::open(dir.path(), 2024).expect("open");
        l.append(entry("a", 0.1)).expect("append");
        let path = Ledger::path_for(dir.path(), 2024);
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(b"{\"release_key\":\"b\",\"ye").expect("torn write");
        let mut l = Ledger::open(dir.path(), 2024).expect("reopen despite the torn line");
        assert_eq!(l.entries.len(), 1);
        l.append(entry("c", 0.1)).expect("append after a tear");
        let l = Ledger::open(dir.path(), 2024).expect("reopen");
        assert_eq!(
            l.entries
                .iter()
                .map(|e| e.release_key.as_str())
                .collect::<Vec<_>>(),
            ["a", "c"]
        );
    }
}
