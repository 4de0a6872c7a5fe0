//! Reads every organisation's pseudonymised file into columns in memory, refusing files made
//! under different keys (they could never link) and naming them.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::StageError;
use crate::parquet_io::read;
use crate::pseudonymise::{
    BLOCK_KEYS, BLOOM, DATE_PARTS, FINGERPRINT, MATCH_KEYS, RECORD_KEY, attribute_columns,
};
use crate::schema::Schema;

/// All records of all organisations, column-wise; record i is index i everywhere.
#[derive(Default)]
pub struct Records {
    pub orgs: Vec<String>,
    pub org: Vec<u16>,
    pub report_year: Vec<i64>,
    pub record_key: Vec<String>,
    pub match_keys: Vec<Vec<Option<i64>>>,
    pub block_keys: Vec<Vec<Option<i64>>>,
    pub date_parts: Vec<Vec<Option<i64>>>,
    pub bloom: Vec<Option<Vec<u8>>>,
    /// Attribute values per attribute column (same order as `attribute_columns`).
    pub attrs: Vec<Vec<Option<String>>>,
    pub attr_names: Vec<String>,
    pub fingerprint: String,
}

impl Records {
    pub fn len(&self) -> usize {
        self.org.len()
    }

    pub fn is_empty(&self) -> bool {
        self.org.is_empty()
    }

    pub fn attr(&self, name: &str) -> Option<&Vec<Option<String>>> {
        self.attr_names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.attrs[i])
    }
}

fn err(path: &Path, e: impl std::fmt::Display) -> StageError {
    StageError::ParquetRead {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

pub fn load(schema: &Schema, input: &Path) -> Result<Records, StageError> {
    let files = crate::stage::list_parquet(input)?;
    if files.is_empty() {
        return Err(StageError::Input(format!(
            "{}: no pseudonymised files to link; run pseudonymise first",
            input.display()
        )));
    }
    let mut fingerprints: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut r = Records {
        attr_names: attribute_columns(schema).iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    r.match_keys = vec![Vec::new(); MATCH_KEYS.len()];
    r.block_keys = vec![Vec::new(); BLOCK_KEYS.len()];
    r.date_parts = vec![Vec::new(); DATE_PARTS.len()];
    r.attrs = vec![Vec::new(); r.attr_names.len()];
    for path in &files {
        let df = read(path)?;
        let strs = |n: &str| {
            df.column(n)
                .and_then(|c| c.str().cloned())
                .map_err(|e| err(path, format!("column {n}: {e}")))
        };
        let ints = |n: &str| {
            df.column(n)
                .and_then(|c| c.i64().cloned())
                .map_err(|e| err(path, format!("column {n}: {e}")))
        };
        let fp = strs(FINGERPRINT)?;
        for v in fp.iter().flatten().collect::<std::collections::BTreeSet<_>>() {
            fingerprints.entry(v.to_string()).or_default().push(
                path.file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
            );
        }
        let org = strs("org_id")?;
        for v in org.iter() {
            let name = v.unwrap_or("").to_string();
            let idx = match r.orgs.iter().position(|o| *o == name) {
                Some(i) => i,
                None => {
                    r.orgs.push(name);
                    r.orgs.len() - 1
                }
            };
            r.org.push(idx as u16);
        }
        r.report_year
            .extend(ints("report_year")?.iter().map(|v| v.unwrap_or(0)));
        r.record_key
            .extend(strs(RECORD_KEY)?.iter().map(|v| v.unwrap_or("").to_string()));
        for (dst, name) in r.match_keys.iter_mut().zip(MATCH_KEYS) {
            dst.extend(ints(name)?.iter());
        }
        for (dst, name) in r.block_keys.iter_mut().zip(BLOCK_KEYS) {
            dst.extend(ints(name)?.iter());
        }
        for (dst, name) in r.date_parts.iter_mut().zip(DATE_PARTS) {
            dst.extend(ints(name)?.iter());
        }
        let bloom = df
            .column(BLOOM)
            .and_then(|c| c.binary().cloned())
            .map_err(|e| err(path, e))?;
        r.bloom.extend(bloom.iter().map(|b| b.map(<[u8]>::to_vec)));
        for (dst, name) in r.attrs.iter_mut().zip(r.attr_names.clone()) {
            dst.extend(strs(&name)?.iter().map(|v| v.map(str::to_string)));
        }
    }
    if fingerprints.len() > 1 {
        let list: Vec<String> = fingerprints
            .iter()
            .map(|(fp, files)| format!("key {fp}: {}", files.join(", ")))
            .collect();
        return Err(StageError::Input(format!(
            "the files were pseudonymised under different keys and cannot be linked ({}); every organisation must use the same key",
            list.join("; ")
        )));
    }
    r.fingerprint = fingerprints.into_keys().next().unwrap_or_default();
    if r.is_empty() {
        return Err(StageError::Input(format!(
            "{}: the pseudonymised files hold no records",
            input.display()
        )));
    }
    Ok(r)
}
