//! `safetally report RELEASE`: one self-contained bilingual HTML file from a release folder,
//! read back from the release's own CSV files so that every figure a reader sees is exactly
//! the published one. Charts are inline SVG; nothing is fetched from the network.

mod chart;
mod html;

use std::path::{Path, PathBuf};

use crate::error::{ReleaseError, StageError};
use crate::publish::{COMPARISON, MANIFEST, ReleaseManifest, TABLES_DIR};
use crate::schema::{MemberKind, Schema};

/// One published table as its CSV has it.
pub struct CsvTable {
    pub id: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub fn read_csv(path: &Path, id: &str) -> Result<CsvTable, StageError> {
    let bad = |e: csv::Error| StageError::csv(path, e);
    let mut r = csv::Reader::from_path(path).map_err(bad)?;
    let header = r.headers().map_err(bad)?.iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.map(|x| x.iter().map(str::to_string).collect()).map_err(bad))
        .collect::<Result<_, _>>()?;
    Ok(CsvTable {
        id: id.to_string(),
        header,
        rows,
    })
}

/// Where the report of a release goes: beside the release folder.
pub fn default_path(release: &Path) -> PathBuf {
    let name = release
        .file_name()
        .map_or_else(|| "release".into(), |n| n.to_string_lossy().into_owned());
    release.with_file_name(format!("{name}-report.html"))
}

/// Checked before the page is built: a missing folder only said "No such file or directory".
fn out_folder_exists(out: &Path) -> Result<(), StageError> {
    match out.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => Err(ReleaseError::NoReportFolder {
            dir: dir.to_path_buf(),
        }
        .into()),
        _ => Ok(()),
    }
}

/// Every file of the release as its manifest lists it: a table cut short or a count edited
/// by hand would otherwise be drawn as the release's figures (an outside review rendered a
/// total that its parts did not add up to).
fn as_published(release: &Path, manifest: &ReleaseManifest) -> Result<(), StageError> {
    let changed = crate::stage::changed_files(release, &manifest.files);
    if changed.is_empty() {
        return Ok(());
    }
    Err(ReleaseError::NotAsPublished {
        release: release.to_path_buf(),
        files: changed.into_iter().map(String::from).collect(),
    }
    .into())
}

/// Renders the release in `release` to `out`.
pub fn write_report(schema: &Schema, release: &Path, out: &Path) -> Result<(), StageError> {
    out_folder_exists(out)?;
    let mpath = release.join(MANIFEST);
    if !mpath.is_file() {
        return Err(ReleaseError::NotARelease {
            path: release.to_path_buf(),
        }
        .into());
    }
    let text = std::fs::read_to_string(&mpath).map_err(|e| StageError::io(&mpath, e))?;
    let manifest: ReleaseManifest = serde_json::from_str(&text).map_err(|e| StageError::Manifest {
        path: mpath.clone(),
        message: e.to_string(),
    })?;
    as_published(release, &manifest)?;
    let tables = crate::tables::load_tables(schema, &MemberKind::Member)?;
    let dir = release.join(TABLES_DIR);
    let csvs = manifest
        .tables
        .iter()
        .map(|id| read_csv(&dir.join(format!("{id}.csv")), id))
        .collect::<Result<Vec<_>, _>>()?;
    let comparison = read_csv(&dir.join(format!("{COMPARISON}.csv")), "T22")?;
    let page = html::page(&manifest, &tables, &csvs, &comparison);
    std::fs::write(out, page).map_err(|e| StageError::io(out, e))
}
