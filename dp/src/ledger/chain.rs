//! The ledger's lines and the hash chain between them: how a line is written and read, and
//! why a ledger edited by hand (a line changed, removed or moved, a rho lowered) is refused.

use std::path::Path;

use super::{Entry, LedgerError};

/// A ledger line: the entry, and the SHA-256 of the line before it as written (`CHAIN_START`
/// on the first line), so that a line edited, removed or moved breaks the chain at the line
/// after it (see `Ledger::open`).
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Line {
    #[serde(flatten)]
    pub(super) entry: Entry,
    /// Empty on lines written by version 0.7 or earlier, which are read as they are.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) prev: String,
}

/// What the first line's `prev` holds.
pub(super) const CHAIN_START: &str = "start";

/// SHA-256 of a line's text (without its line break), in hex.
pub(super) fn line_hash(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A ledger's entries from its text, and the hash of each one's line (see `Ledger::open`).
pub(super) fn parse(path: &Path, text: &str) -> Result<(Vec<Entry>, Vec<String>), LedgerError> {
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

#[cfg(test)]
mod tests {
    use super::super::tests::entry;
    use super::super::{Entry, Ledger};

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
}
