//! Encoded rows gathered in order into row groups of `BATCH` rows, written while the cores
//! encode on.

use polars::prelude::*;

use super::rows::{self, EncodedRows};
use super::{ENCODING, ENCODING_VERSION, FINGERPRINT, MATCH_KEYS, OrgPseudo};
use crate::error::{InternalError, StageError};
use crate::parquet_io::{Coded, Out, ParquetSink};

pub(super) struct Batches {
    pub sink: ParquetSink,
    pub fingerprint: String,
    pub org: Coded,
    pub attrs: Vec<Coded>,
    pub attr_names: Vec<String>,
    pub year: Int64Chunked,
    pub org_name: String,
    /// Where each row group ends, in rows of the file.
    pub ends: Vec<usize>,
    /// Row groups written so far, and their rows.
    pub groups: usize,
    pub written: usize,
    pub waiting: Vec<EncodedRows>,
    pub stats: OrgPseudo,
}

/// Row group ends: every `batch` rows.
pub(super) fn group_ends(height: usize, batch: usize) -> Vec<usize> {
    (1..=height.div_ceil(batch))
        .map(|k| (k * batch).min(height))
        .collect()
}

impl Batches {
    pub fn take(&mut self, rows: EncodedRows) -> Result<(), StageError> {
        self.waiting.push(rows);
        let waiting: usize = self.waiting.iter().map(EncodedRows::len).sum();
        let end = self.ends.get(self.groups).copied().unwrap_or(usize::MAX);
        // The file's last row group is left to `finish`, which runs beside the next file's
        // reading and encoding; written here, the cores would wait for it.
        let last = self.groups + 1 >= self.ends.len();
        match (self.written + waiting).cmp(&end) {
            std::cmp::Ordering::Less => Ok(()),
            std::cmp::Ordering::Equal if last => Ok(()),
            std::cmp::Ordering::Equal => self.write(),
            // The units of work are cut at the row group ends (see `encode_segment`).
            std::cmp::Ordering::Greater => Err(InternalError::RowGroupOverrun {
                org: self.org_name.clone(),
                group: self.groups + 1,
                end,
            }
            .into()),
        }
    }

    /// Writes the waiting rows as one row group.
    fn write(&mut self) -> Result<(), StageError> {
        let parts = std::mem::take(&mut self.waiting);
        let n: usize = parts.iter().map(EncodedRows::len).sum();
        if n == 0 {
            return Ok(());
        }
        let at = self.written;
        let coded = |name: &str, c: &Coded| Out::Coded {
            name: name.into(),
            dict: c.values.clone(),
            codes: c.codes[at..at + n].to_vec(),
        };
        let mut columns = vec![
            Out::Coded {
                name: FINGERPRINT.into(),
                dict: vec![Some(self.fingerprint.clone())],
                codes: vec![0; n],
            },
            Out::Coded {
                name: ENCODING.into(),
                dict: vec![Some(ENCODING_VERSION.to_string())],
                codes: vec![0; n],
            },
            coded("org_id", &self.org),
            Out::Repeating(self.year.slice(at as i64, n).into_column()),
        ];
        for part in &parts {
            for (k, m) in MATCH_KEYS.iter().zip(part.made) {
                *self.stats.keys_made.entry((*k).to_string()).or_default() += m;
            }
        }
        let (keys, ints, bloom) = rows::columns(parts);
        // Record keys, match keys and filters are keyed hashes: nothing repeats to code or compress.
        columns.extend(keys);
        for (c, name) in self.attrs.iter().zip(&self.attr_names) {
            columns.push(coded(name, c));
        }
        columns.extend(ints);
        columns.push(bloom);
        self.sink.push_batch(columns)?;
        self.stats.records += n as u64;
        self.written += n;
        self.groups += 1;
        Ok(())
    }

    /// Writes what is left and closes the file.
    pub fn finish(mut self) -> Result<(String, OrgPseudo), StageError> {
        self.write()?;
        self.sink.finish()?;
        Ok((self.org_name, self.stats))
    }
}

#[cfg(test)]
mod tests {
    use super::group_ends;

    #[test]
    fn row_groups_fill_batches() {
        assert_eq!(group_ends(10, 4), [4, 8, 10]);
        assert_eq!(group_ends(8, 4), [4, 8]);
        assert!(group_ends(0, 4).is_empty());
    }
}
