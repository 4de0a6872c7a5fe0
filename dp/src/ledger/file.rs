//! Writing to and reading from the ledger file: a line appended is synced and a half-written
//! one taken back, and the whole file is read under its lock, so two runs never spend the same
//! budget.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use super::LedgerError;

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
pub(super) fn read_all(f: &mut File, exclusive: bool, path: &Path) -> Result<String, LedgerError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;

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
}
