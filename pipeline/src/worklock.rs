//! One safetally at a time in a work folder. Two runs in one folder replaced each other's
//! stages; the stages' checks then stopped them with messages of hand edits or damage that
//! never happened, or let both end with exit 0 (an outside review). An advisory lock on a file
//! in the folder, held until the process ends (the system releases it even after a kill).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use crate::error::{StageError, WorkFolderError};

/// The lock's file in the work folder.
pub const LOCK_FILE: &str = ".safetally.lock";

/// The lock files this process holds, by device and inode: a process may reach its folder
/// through several `Workdir`s and paths (or after moving it), and must not be refused by itself.
fn held() -> &'static Mutex<HashMap<(u64, u64), File>> {
    static HELD: OnceLock<Mutex<HashMap<(u64, u64), File>>> = OnceLock::new();
    HELD.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Takes the work folder `root` (made if missing, owner only) for this process, or says which
/// process has it.
pub fn lock_work(root: &Path) -> Result<(), StageError> {
    crate::stage::make_private_folder(root)?;
    let path = root.join(LOCK_FILE);
    let mut held = held().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // Held already: not opened again (where locks are emulated by POSIX record locks, closing
    // any handle of the file would drop the process's lock).
    if let Ok(meta) = std::fs::metadata(&path) {
        use std::os::unix::fs::MetadataExt;
        if held.contains_key(&(meta.dev(), meta.ino())) {
            return Ok(());
        }
    }
    let opened = {
        use std::os::unix::fs::OpenOptionsExt;
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
    };
    let mut file = match opened {
        Ok(file) => file,
        // A folder this process cannot write (read only, or another user's) it cannot change
        // either: its stages can only be skipped or fail on their own.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            return Ok(());
        }
        Err(e) => return Err(StageError::io(&path, e)),
    };
    let inode = {
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata().map_err(|e| StageError::io(&path, e))?;
        (meta.dev(), meta.ino())
    };
    if held.contains_key(&inode) {
        return Ok(());
    }
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = Some(pid.trim().to_string()).filter(|p| !p.is_empty());
            return Err(WorkFolderError::Locked {
                root: root.to_path_buf(),
                pid,
            }
            .into());
        }
        // A file system without locks (some network mounts): the lock is advisory, so the
        // work goes on unguarded rather than not at all, and the user is told once.
        Err(std::fs::TryLockError::Error(e)) if unsupported(&e) => {
            static TOLD: std::sync::Once = std::sync::Once::new();
            TOLD.call_once(|| {
                eprintln!(
                    "warning: {}: this file system does not lock files ({e}); make sure no other safetally works in this folder at the same time",
                    root.display()
                );
            });
            return Ok(());
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(StageError::io(&path, e)),
    }
    // Who holds it, for the message of the next one.
    let said = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "{}", std::process::id()));
    said.map_err(|e| StageError::io(&path, e))?;
    held.insert(inode, file);
    Ok(())
}

/// Errors of a file system that has no locks (ENOLCK, ENOSYS, EOPNOTSUPP).
fn unsupported(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Unsupported || matches!(e.raw_os_error(), Some(37 | 38 | 95))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder held by another (here: a lock taken on its file apart from this module, as
    /// another process would) is refused with its holder; this process takes a free folder
    /// once, and again through another path.
    #[test]
    fn a_work_folder_held_by_another_process_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let busy = tmp.path().join("busy");
        std::fs::create_dir(&busy).expect("mkdir");
        let other = File::create(busy.join(LOCK_FILE)).expect("lock file");
        other.try_lock().expect("the other process's lock");
        std::fs::write(busy.join(LOCK_FILE), "4242").expect("its id");
        let e = lock_work(&busy).expect_err("held").to_string();
        assert!(e.contains("process id 4242") && e.contains("Wait for it"), "{e}");
        drop(other);
        lock_work(&busy).expect("free once the other ended");

        let free = tmp.path().join("free");
        lock_work(&free).expect("made and taken");
        lock_work(&tmp.path().join("free/../free")).expect("this process again");
        let moved = tmp.path().join("moved");
        std::fs::rename(&free, &moved).expect("move");
        lock_work(&moved).expect("this process's folder, moved");
        std::fs::rename(&moved, &free).expect("move back");
        let probe = File::open(free.join(LOCK_FILE)).expect("open");
        assert!(probe.try_lock().is_err(), "held while this process runs");
        assert_eq!(
            std::fs::read_to_string(free.join(LOCK_FILE)).expect("read"),
            std::process::id().to_string()
        );
    }
}
