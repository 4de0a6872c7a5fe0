//! The persistent, append-only privacy ledger: one JSON line per release and report year,
//! written and synced before anything is published. It holds the noisy measurements, so a
//! release made again returns them and spends nothing; a fresh draw is never published twice.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
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

/// A ledger line: the entry, and the SHA-256 of the line before it as written (`CHAIN_START`
/// on the first line), so that a line edited, removed or moved breaks the chain at the line
/// after it (see `Ledger::open`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Line {
    #[serde(flatten)]
    entry: Entry,
    /// Empty on lines written by version 0.7 or earlier, which are read as they are.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    prev: String,
}

/// What the first line's `prev` holds.
const CHAIN_START: &str = "start";

/// SHA-256 of a line's text (without its line break), in hex.
fn line_hash(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

/// What `append_synced` needs of a file: a test stands in a disk that fills up.
pub(crate) trait Appendable: Write {
    fn sync(&mut self) -> std::io::Result<()>;
    fn truncate_to(&mut self, len: u64) -> std::io::Result<()>;
}

impl Appendable for File {
    fn sync(&mut self) -> std::io::Result<()> {
        self.sync_all()
    }
    fn truncate_to(&mut self, len: u64) -> std::io::Result<()> {
        self.set_len(len)
    }
}

/// Appends `line` to a JSON-lines file whose text was `before`, and syncs the file and its
/// folder: the entry survives a crash once this returns. A last line whose line break is
/// missing (read as a whole entry) is ended first, so that this one starts a line of its own.
/// A write that fails part way (a full disk) is taken back: the half line left behind stopped
/// every later command on the ledger as "not a ledger entry" (an outside review), though the
/// failed command had recorded nothing.
pub(crate) fn append_synced(
    file: &mut impl Appendable,
    before: &str,
    mut line: String,
    path: &Path,
) -> std::io::Result<()> {
    if !before.is_empty() && !before.ends_with('\n') {
        line.insert(0, '\n');
    }
    line.push('\n');
    if let Err(e) = file.write_all(line.as_bytes()).and_then(|()| file.sync()) {
        let _ = file.truncate_to(before.len() as u64).and_then(|()| file.sync());
        return Err(e);
    }
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

/// The whole file from its start, under a lock (exclusive to record a release, else shared)
/// that stays held as long as `f` is open.
fn read_all(f: &mut File, exclusive: bool, path: &Path) -> Result<String, LedgerError> {
    use std::io::{Read, Seek};
    let locked = if exclusive { f.lock() } else { f.lock_shared() };
    locked.map_err(|source| LedgerError::Lock {
        path: path.to_path_buf(),
        source,
    })?;
    let mut text = String::new();
    f.seek(std::io::SeekFrom::Start(0))
        .and_then(|_| f.read_to_string(&mut text))
        .map_err(|source| LedgerError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(text)
}

/// A ledger's entries from its text, and the hash of each one's line (see `Ledger::open`).
fn parse(path: &Path, text: &str) -> Result<(Vec<Entry>, Vec<String>), LedgerError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let mut entries = Vec::new();
    let mut hashes = Vec::new();
    let mut expected = CHAIN_START.to_string();
    let mut chained = false;
    for (n, &(i, line)) in lines.iter().enumerate() {
        let last_unfinished = n + 1 == lines.len() && !text.ends_with('\n');
        let e: Line = serde_json::from_str(line).map_err(|e| LedgerError::Corrupt {
            path: path.to_path_buf(),
            line: i + 1,
            message: if last_unfinished {
                format!(
                    "{e}; the last line is not a whole entry. Either the run that recorded it was stopped (its release was then never published) or the file is damaged (and the release may have been published). Nothing is spent until a person decides: if the first, delete that line; if the second, restore the ledger from its backup"
                )
            } else {
                format!(
                    "{e}. The ledger must not be edited by hand, and nothing is spent until it reads: restore it from its backup, or undo the edit that changed this line, then run again"
                )
            },
        })?;
        // A line without the chain (written by safetally 0.7 or earlier) is taken as it is,
        // before the first chained line only: after it, an unchained line is one whose `prev`
        // was removed, which an outside review did to every line to zero their spending.
        // A line edited, removed or moved shows at the chained line after it.
        if e.prev.is_empty() && chained {
            return Err(LedgerError::BrokenChain {
                path: path.to_path_buf(),
                line: i + 1,
                what: "this line has no link to the line before it, which every line after the first linked one has (it was edited by hand, or appended by safetally 0.7 or earlier to a ledger of a later version)".to_string(),
            });
        }
        chained |= !e.prev.is_empty();
        if !e.prev.is_empty() && e.prev != expected {
            return Err(LedgerError::BrokenChain {
                path: path.to_path_buf(),
                line: i + 1,
                what: if n == 0 {
                    "the first entry is missing or this line was moved".to_string()
                } else {
                    "that line was edited, or a line was removed or moved here".to_string()
                },
            });
        }
        // Spending is never negative: a line that gave budget back (an unchained line may be
        // appended by hand) would let the year's cap be spent twice.
        if !(e.entry.rho.is_finite() && e.entry.rho >= 0.0) {
            return Err(LedgerError::Corrupt {
                path: path.to_path_buf(),
                line: i + 1,
                message: format!(
                    "the entry spends rho {}, and spending is a number of at least 0. The ledger must not be edited by hand, and nothing is spent until it reads: restore it from its backup, or undo the edit that changed this line, then run again",
                    e.entry.rho
                ),
            });
        }
        if let Some(why) = plan_disagrees(&e.entry) {
            return Err(LedgerError::Corrupt {
                path: path.to_path_buf(),
                line: i + 1,
                message: format!(
                    "{why}: the entry was edited by hand. The ledger must not be edited by hand, and nothing is spent until it reads: restore it from its backup, or undo the edit that changed this line, then run again"
                ),
            });
        }
        // `lines` leaves a carriage return on a last line without its line feed; `append`
        // hashes the line without either.
        expected = line_hash(line.strip_suffix('\r').unwrap_or(line));
        hashes.push(expected.clone());
        entries.push(e.entry);
    }
    Ok((entries, hashes))
}

/// Why an entry's rho cannot be what its plan spent: the sum of its tables' rho, each table's
/// noise scale following from its rho and sensitivity. An outside review set every line's rho
/// to 0 (with the chain removed); the plan beside it still says what was spent. Entries
/// without a plan (the journalists' extracts of 0.21 and before) cannot be checked so.
fn plan_disagrees(e: &Entry) -> Option<String> {
    if e.tables.is_empty() {
        return None;
    }
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300);
    let planned: f64 = e.tables.iter().map(|t| t.rho).sum();
    if !near(e.rho, planned) {
        return Some(format!(
            "the entry spends rho {} but its tables' shares add up to {planned}",
            e.rho
        ));
    }
    e.tables
        .iter()
        .find(|t| crate::scale_for_rho(t.sensitivity, t.rho).map_or(true, |s| !near(s, t.scale)))
        .map(|t| {
            format!(
                "table {}'s noise scale {} is not what its rho {} gives",
                t.id, t.scale, t.rho
            )
        })
}

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
    use super::*;

    /// A file on a disk that fills up part way through the line.
    struct FillsUp(File, usize);

    impl Write for FillsUp {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.1 == 0 {
                return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
            }
            let n = buf.len().min(self.1);
            self.1 -= n;
            self.0.write(&buf[..n])
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.0.flush()
        }
    }

    impl Appendable for FillsUp {
        fn sync(&mut self) -> std::io::Result<()> {
            self.0.sync_all()
        }
        fn truncate_to(&mut self, len: u64) -> std::io::Result<()> {
            self.0.set_len(len)
        }
    }

    #[test]
    fn a_line_cut_short_by_a_full_disk_is_taken_back() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("ledger-2024.jsonl");
        let before = "{\"first\":1}\n";
        std::fs::write(&path, before).expect("write");
        let file = OpenOptions::new().append(true).open(&path).expect("open");
        let mut full = FillsUp(file, 5);
        let e =
            append_synced(&mut full, before, "{\"second\":2}".into(), &path).expect_err("the disk is full");
        assert_eq!(e.raw_os_error(), Some(28));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), before);
    }

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

    /// Each line holds a hash of the one before: a rho lowered by hand, a line deleted or two
    /// lines swapped are refused at the line after the change, naming it; a ledger written
    /// before the chain (lines without it) still opens and is chained from its end on, but a
    /// line without the link after a linked one is refused; a CRLF file and one whose last
    /// line feed is missing open.
    #[test]
    fn a_line_edited_removed_or_moved_by_hand_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut l = Ledger::open(dir.path(), 2024).expect("open");
        for (k, rho) in [("a", 0.3), ("b", 0.3), ("c", 0.3)] {
            l.append(entry(k, rho)).expect("append");
        }
        let path = Ledger::path_for(dir.path(), 2024);
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            Ledger::open(dir.path(), 2024).is_ok(),
            "the ledger as written opens"
        );
        let refused_at = |changed: String| {
            std::fs::write(&path, changed).expect("write");
            let e = Ledger::open(dir.path(), 2024).err().expect("refused").to_string();
            assert!(e.contains("does not follow the line before"), "{e}");
            e
        };
        let lowered = lines[1].replace("\"rho\":0.3", "\"rho\":0.1");
        assert_ne!(lowered, lines[1], "the edit changes the line");
        let e = refused_at(format!("{}\n{lowered}\n{}\n", lines[0], lines[2]));
        assert!(e.contains("line 3"), "{e}");
        let e = refused_at(format!("{}\n{}\n", lines[0], lines[2]));
        assert!(e.contains("line 2"), "{e}");
        let e = refused_at(format!("{}\n{}\n", lines[1], lines[2]));
        assert!(e.contains("line 1") && e.contains("first entry"), "{e}");
        refused_at(format!("{}\n{}\n{}\n", lines[0], lines[2], lines[1]));
        // Lines of before the chain: accepted, and the next line chains to them.
        let legacy: Vec<String> = ["x", "y"]
            .iter()
            .map(|k| serde_json::to_string(&entry(k, 0.2)).expect("json"))
            .collect();
        std::fs::write(&path, format!("{}\n{}\n", legacy[0], legacy[1])).expect("write");
        let mut l = Ledger::open(dir.path(), 2024).expect("a ledger of before the chain opens");
        l.append(entry("z", 0.2)).expect("append");
        let l = Ledger::open(dir.path(), 2024).expect("reopen");
        assert_eq!(l.entries.len(), 3);
        // A line without the link after a linked one is refused: an outside review removed
        // the links to zero every line's rho (an older version appending to a chained ledger
        // looks the same, and is refused too).
        let text = std::fs::read_to_string(&path).expect("read");
        let older = serde_json::to_string(&entry("w", 0.1)).expect("json");
        std::fs::write(&path, format!("{text}{older}\n")).expect("write");
        let e = Ledger::open(dir.path(), 2024).err().expect("refused").to_string();
        assert!(
            e.contains("line 4") && e.contains("no link to the line before it"),
            "{e}"
        );
        std::fs::write(&path, &text).expect("put back");
        let mut l = Ledger::open(dir.path(), 2024).expect("as it was");
        assert!((l.spent() - 0.6).abs() < 1e-12, "{}", l.spent());
        l.append(entry("w", 0.1)).expect("append");
        l.append(entry("v", 0.1)).expect("append after it");
        assert_eq!(Ledger::open(dir.path(), 2024).expect("reopen").entries.len(), 5);
        // A last line that lost only its line feed (a CRLF file): the next append chains to it.
        let text = std::fs::read_to_string(&path)
            .expect("read")
            .replace('\n', "\r\n");
        std::fs::write(&path, text.trim_end_matches('\n')).expect("write");
        let mut l = Ledger::open(dir.path(), 2024).expect("CRLF, no last line feed");
        l.append(entry("u", 0.05)).expect("append");
        assert_eq!(Ledger::open(dir.path(), 2024).expect("reopen").entries.len(), 6);
        let e = l.append(entry("t", f64::NAN)).expect_err("a NaN rho");
        assert!(e.to_string().contains("finite"), "{e}");
        // An unchained line that gives budget back is refused, not subtracted, in a ledger of
        // before the chain too (an outside review appended rho -1.0 and spent the year's cap
        // again).
        let negative = serde_json::to_string(&entry("s", -1.0)).expect("json");
        std::fs::write(&path, format!("{}\n{negative}\n", legacy[0])).expect("write");
        let e = Ledger::open(dir.path(), 2024)
            .err()
            .expect("a negative rho")
            .to_string();
        assert!(e.contains("spends rho -1") && e.contains("at least 0"), "{e}");
    }

    /// An entry whose rho is not what its plan spent is refused (an outside review set every
    /// rho to 0), as is one whose table's noise scale is not what its rho gives.
    #[test]
    fn an_entry_whose_rho_disagrees_with_its_plan_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plan =
            crate::budget::plan(0.5, &[("T01".into(), 1.0, 1.0), ("T02".into(), 3.0, 2.0)]).expect("plan");
        let planned = Entry {
            rho: plan.iter().map(|t| t.rho).sum(),
            tables: plan,
            ..entry("a", 0.0)
        };
        let mut l = Ledger::open(dir.path(), 2024).expect("open");
        l.append(planned.clone()).expect("append");
        assert!(Ledger::open(dir.path(), 2024).is_ok(), "as written");
        let path = Ledger::path_for(dir.path(), 2024);
        let write = |e: &Entry| {
            std::fs::write(&path, serde_json::to_string(e).expect("json") + "\n").expect("write");
            Ledger::open(dir.path(), 2024)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let e = write(&Entry {
            rho: 0.0,
            ..planned.clone()
        });
        assert!(
            e.contains("line 1") && e.contains("its tables' shares add up to"),
            "{e}"
        );
        let mut zeroed = planned.clone();
        zeroed.rho = 0.0;
        for t in &mut zeroed.tables {
            t.rho = 0.0;
        }
        let e = write(&zeroed);
        assert!(
            e.contains("noise scale") && e.contains("is not what its rho"),
            "{e}"
        );
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
