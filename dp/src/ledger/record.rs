//! What the ledger has recorded (a release's draw, its seal, the year's spending) and the
//! recording of a new release under the year's cap.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;

use super::chain::{CHAIN_START, Line, line_hash, parse};
use super::file::{append_synced, read_all};
use super::{Entry, Ledger, LedgerError};

impl Ledger {
    /// The seal of an entry: the SHA-256 of its line as written, which changes with any edit
    /// of the line (its rho lowered, its stored noise replaced, its link removed). A work
    /// folder keeps the seal of each of its draws and refuses a ledger whose line changed.
    pub fn seal_of(&self, entry_id: &str) -> Option<&str> {
        self.entries
            .iter()
            .position(|e| e.entry_id == entry_id)
            .and_then(|i| self.hashes.get(i))
            .map(String::as_str)
    }

    /// What a release or extract recorded before drew: its noisy measurements, its entry's id
    /// and seal (reused, never drawn again).
    pub fn drawn(&self, release_key: &str) -> Option<(BTreeMap<String, Vec<i64>>, String, String)> {
        let (i, e) = self
            .entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.release_key == release_key)?;
        let seal = self.hashes.get(i).cloned().unwrap_or_default();
        Some((e.measurements.clone(), e.entry_id.clone(), seal))
    }

    pub fn spent(&self) -> f64 {
        // A float sum of nothing is -0.0, which printed as "spent rho -0.0000".
        self.entries.iter().fold(0.0, |a, e| a + e.rho)
    }

    pub fn find(&self, release_key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.release_key == release_key)
    }

    /// Refuses a release that would exceed `cap`.
    pub fn check(&self, needed: f64, cap: f64) -> Result<(), LedgerError> {
        // A NaN passes every comparison below and would be written as null.
        if !needed.is_finite() || !cap.is_finite() {
            return Err(LedgerError::NotFinite { rho: needed, cap });
        }
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

    /// Appends an entry and syncs it to disk; only then may the release be published. Under
    /// the file's lock the ledger is read again: a release recorded by another run since this
    /// one read it counts against the budget, and one of the same release is refused (its
    /// draw, not a second one, is the release's). Returns the entry's seal (`seal_of`).
    pub fn append(&mut self, entry: Entry) -> Result<String, LedgerError> {
        let io = |source| LedgerError::Io {
            path: self.path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            // Owner only: the file holds a hash of the true counts of each release.
            .mode(0o600)
            .open(&self.path)
            .map_err(io)?;
        // A file an earlier version made readable to others keeps its mode when opened (best
        // effort: a file of another owner is left as it is).
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        }
        let text = read_all(&mut file, true, &self.path)?;
        (self.entries, self.hashes) = parse(&self.path, &text)?;
        if self.find(&entry.release_key).is_some() {
            return Err(LedgerError::RecordedMeanwhile {
                path: self.path.clone(),
            });
        }
        self.check(entry.rho, entry.rho_cap)?;
        let chained = Line {
            entry,
            prev: self
                .hashes
                .last()
                .cloned()
                .unwrap_or_else(|| CHAIN_START.to_string()),
        };
        let line = serde_json::to_string(&chained).map_err(|e| io(std::io::Error::other(e)))?;
        let hash = line_hash(&line);
        append_synced(&mut file, &text, line, &self.path).map_err(io)?;
        self.entries.push(chained.entry);
        self.hashes.push(hash.clone());
        Ok(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::entry;
    use super::*;

    #[test]
    fn entries_persist_and_the_cap_is_enforced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut l = Ledger::open(dir.path(), 2024).expect("open");
        l.append(entry("a", 0.6)).expect("first");
        // Owner only: each entry holds a hash of the release's true counts.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&l.path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let err = l.append(entry("b", 0.6)).expect_err("over the cap");
        assert!(err.to_string().contains("over budget"), "{err}");
        let again = Ledger::open(dir.path(), 2024).expect("reopen");
        assert_eq!(again.entries, vec![entry("a", 0.6)]);
        assert!((again.spent() - 0.6).abs() < 1e-12);
    }

    /// Two runs that read the ledger before either recorded its release: the second is
    /// checked against what the first spent (it was not, and the year's budget was spent
    /// twice), and the same release recorded by both is refused the second time, so only one
    /// draw of it exists; the chain stays whole.
    #[test]
    fn a_release_recorded_by_another_run_meanwhile_counts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut first = Ledger::open(dir.path(), 2024).expect("open");
        let mut second = Ledger::open(dir.path(), 2024).expect("open");
        first.append(entry("a", 0.6)).expect("first release");
        let e = second
            .append(entry("b", 0.6))
            .expect_err("over the cap with the first");
        assert!(e.to_string().contains("over budget"), "{e}");
        let e = second
            .append(entry("a", 0.1))
            .expect_err("the same release again");
        assert!(e.to_string().contains("recorded this same release"), "{e}");
        second.append(entry("c", 0.4)).expect("what is left");
        let l = Ledger::open(dir.path(), 2024).expect("the chain is whole");
        let keys: Vec<&str> = l.entries.iter().map(|e| e.release_key.as_str()).collect();
        assert_eq!(keys, ["a", "c"]);
    }

    #[test]
    fn an_empty_ledger_has_spent_zero_not_minus_zero() {
        let dir = tempfile::tempdir().expect("tempdir");
        let l = Ledger::open(dir.path(), 2024).expect("open");
        assert_eq!(format!("{:.4}", l.spent()), "0.0000");
    }
}
