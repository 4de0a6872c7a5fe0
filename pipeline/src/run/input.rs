//! Checks on the folder of submissions ingest reads: it must not be the work folder itself,
//! by any path (links, `..`, a bind mount).

use std::path::{Path, PathBuf};

use crate::error::{StageError, WorkFolderError};
use crate::stage::Workdir;

/// Refuses a folder of submissions that is the work folder itself: the next ingest would read
/// the stages' own files as submissions (a work folder inside the submissions is passed over,
/// but the folder read cannot pass over itself).
pub(super) fn not_the_work_folder(work: &Workdir, input: &Path) -> Result<(), StageError> {
    let same = match (input.canonicalize(), resolved(work.root())) {
        (Ok(a), Some(b)) => a == b || same_folder(&a, &b),
        _ => false,
    };
    if same {
        return Err(WorkFolderError::WorkIsInput {
            input: input.to_path_buf(),
        }
        .into());
    }
    Ok(())
}

/// Whether two existing paths are one folder by device and inode: a bind mount of the
/// submissions folder elsewhere has another path with links resolved, but the same folder.
fn same_folder(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// A folder's path with links and `..` resolved, also when it does not exist yet (`sub/new/..`
/// is `sub`): its nearest existing ancestor resolved, and the rest added by name.
fn resolved(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(real) = at.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    std::path::Component::ParentDir => {
                        out.pop();
                    }
                    std::path::Component::Normal(name) => out.push(name),
                    _ => {}
                }
            }
            return Some(out);
        }
        rest.push(at.components().next_back()?);
        at = at.parent()?;
    }
}
