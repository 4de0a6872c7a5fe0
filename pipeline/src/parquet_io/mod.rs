//! Streaming Parquet output: rows are buffered column-wise and flushed as row groups, so a
//! stage can write millions of rows without holding them all. Columns are encoded on every
//! core (see `encode`), and the file writer only appends the finished pages.

mod coded;
pub(crate) mod direct;
mod encode;
mod pages;

pub use coded::{Coded, Interner, code_text, read_coded};
pub use encode::{FixedRun, Out};
pub use polars_parquet::write::CompressedPage;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use polars_parquet::write::{
    CompressionOptions, DynIter, DynStreamingIterator, FileWriter, ParquetType, StatisticsOptions, Version,
    WriteOptions, fallible_streaming_iterator,
};

use crate::error::StageError;
use crate::stage::HashingFile;

/// The number of rows in each row group of a Parquet file.
pub fn row_group_rows(path: &Path) -> Result<Vec<usize>, String> {
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let meta = polars_parquet::read::read_metadata(&mut file).map_err(|e| e.to_string())?;
    Ok(meta.row_groups.iter().map(|g| g.num_rows()).collect())
}

/// The column types the pipeline writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Float,
    Bin,
}

#[derive(Debug, Clone)]
pub enum Value {
    Str(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
    Bin(Option<Vec<u8>>),
}

enum Buf {
    Str(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bin(Vec<Option<Vec<u8>>>),
}

pub struct ParquetSink {
    path: PathBuf,
    names: Vec<String>,
    bufs: Vec<Buf>,
    writer: FileWriter<BufWriter<HashingFile>>,
    types: Vec<ParquetType>,
    options: WriteOptions,
    rows: u64,
    batch: usize,
}

const DEFAULT_BATCH: usize = 65_536;

impl ParquetSink {
    pub fn create(path: &Path, columns: &[(&str, Kind)]) -> Result<Self, StageError> {
        let file = HashingFile::create(path)?;
        let schema: Schema = columns
            .iter()
            .map(|(n, k)| Field::new((*n).into(), dtype(*k)))
            .collect();
        let options = WriteOptions {
            statistics: StatisticsOptions::empty(),
            version: Version::V1,
            compression: CompressionOptions::Lz4Raw,
            data_page_size: None,
        };
        let writer = FileWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            schema.to_arrow(CompatLevel::newest()),
            options,
        )
        .map_err(|e| write_err(path, &e))?;
        Ok(ParquetSink {
            path: path.to_path_buf(),
            names: columns.iter().map(|(n, _)| n.to_string()).collect(),
            bufs: columns.iter().map(|(_, k)| new_buf(*k)).collect(),
            types: writer.parquet_schema().fields().to_vec(),
            options,
            writer,
            rows: 0,
            batch: DEFAULT_BATCH,
        })
    }

    /// Rows buffered before a row group is written; smaller when many files are open at once.
    pub fn with_batch(mut self, rows: usize) -> Self {
        self.batch = rows.max(1);
        self
    }

    /// Appends one row; values must follow the column order given at creation.
    pub fn push(&mut self, row: Vec<Value>) -> Result<(), StageError> {
        if row.len() != self.bufs.len() {
            return Err(write_err(
                &self.path,
                &format!("a row of {} values for {} columns", row.len(), self.bufs.len()),
            ));
        }
        let fits = |b: &Buf, v: &Value| {
            matches!(
                (b, v),
                (Buf::Str(_), Value::Str(_) | Value::Int(_))
                    | (Buf::Int(_), Value::Int(_))
                    | (Buf::Float(_), Value::Float(_))
                    | (Buf::Bin(_), Value::Bin(_))
            )
        };
        // Check the whole row first, so a refused row leaves no partial values behind.
        if let Some(name) = self
            .bufs
            .iter()
            .zip(&row)
            .zip(&self.names)
            .find(|((b, v), _)| !fits(b, v))
            .map(|(_, n)| n)
        {
            return Err(write_err(
                &self.path,
                &format!("a value of the wrong type for column {name}"),
            ));
        }
        for (buf, v) in self.bufs.iter_mut().zip(row) {
            match (buf, v) {
                (Buf::Str(b), Value::Str(s)) => b.push(s),
                (Buf::Int(b), Value::Int(i)) => b.push(i),
                (Buf::Bin(b), Value::Bin(v)) => b.push(v),
                (Buf::Float(b), Value::Float(v)) => b.push(v),
                (Buf::Str(b), Value::Int(i)) => b.push(i.map(|i| i.to_string())),
                _ => unreachable!("checked above"),
            }
        }
        self.rows += 1;
        if self.pending() >= self.batch {
            self.flush()?;
        }
        Ok(())
    }

    fn pending(&self) -> usize {
        match self.bufs.first() {
            Some(Buf::Str(b)) => b.len(),
            Some(Buf::Int(b)) => b.len(),
            Some(Buf::Bin(b)) => b.len(),
            Some(Buf::Float(b)) => b.len(),
            None => 0,
        }
    }

    fn flush(&mut self) -> Result<(), StageError> {
        let height = self.pending();
        if height == 0 {
            return Ok(());
        }
        let columns: Vec<Column> = self
            .names
            .iter()
            .zip(self.bufs.iter_mut())
            .map(|(n, b)| match b {
                Buf::Str(v) => Column::new(n.as_str().into(), std::mem::take(v)),
                Buf::Int(v) => Column::new(n.as_str().into(), std::mem::take(v)),
                Buf::Bin(v) => Column::new(n.as_str().into(), std::mem::take(v)),
                Buf::Float(v) => Column::new(n.as_str().into(), std::mem::take(v)),
            })
            .collect();
        self.write_group(columns.into_iter().map(Out::Col).collect())
    }

    /// Writes a batch given column-wise (names and types as at creation), after any rows
    /// pushed before it: the fast path for stages that build whole columns.
    pub fn push_columns(&mut self, columns: Vec<Column>) -> Result<(), StageError> {
        self.push_batch(columns.into_iter().map(Out::Col).collect())
    }

    /// `push_columns` with a say in each column's encoding (see `Out`).
    pub fn push_batch(&mut self, columns: Vec<Out>) -> Result<(), StageError> {
        self.flush()?;
        let height = columns.first().map_or(0, Out::len);
        let names_match = columns.len() == self.names.len()
            && columns
                .iter()
                .zip(&self.names)
                .all(|(c, n)| c.name() == n && c.len() == height);
        if !names_match {
            return Err(write_err(
                &self.path,
                &"a batch whose columns differ from the file's",
            ));
        }
        self.write_group(columns)?;
        self.rows += height as u64;
        Ok(())
    }

    /// Encodes the columns of one row group on every core, then appends them.
    fn write_group(&mut self, columns: Vec<Out>) -> Result<(), StageError> {
        let height = columns.first().map_or(0, Out::len);
        if height == 0 {
            return Ok(());
        }
        let (default, options) = (self.options.compression, self.options);
        let jobs: Vec<_> = columns.iter().zip(&self.types).collect();
        let pages: Vec<Vec<CompressedPage>> =
            crate::parallel::map_ordered(&jobs, |(column, t)| column.pages(t, default, options))
                .into_iter()
                .collect::<Result<_, _>>()
                .map_err(|e| write_err(&self.path, &e))?;
        let group = DynIter::new(pages.iter().map(|col| {
            Ok(DynStreamingIterator::new(fallible_streaming_iterator::convert(
                col.iter().map(PolarsResult::Ok),
            )))
        }));
        self.writer
            .write(height as u64, group)
            .map_err(|e| write_err(&self.path, &e))
    }

    /// Flushes, writes the footer and returns the number of rows written.
    pub fn finish(mut self) -> Result<u64, StageError> {
        self.flush()?;
        self.writer.end(None).map_err(|e| write_err(&self.path, &e))?;
        let (path, rows) = (self.path, self.rows);
        self.writer
            .into_inner()
            .into_inner()
            .map_err(|e| StageError::io(&path, e.into_error()))?
            .finish()?;
        Ok(rows)
    }
}

fn dtype(k: Kind) -> DataType {
    match k {
        Kind::Str => DataType::String,
        Kind::Int => DataType::Int64,
        Kind::Bin => DataType::Binary,
        Kind::Float => DataType::Float64,
    }
}

fn new_buf(k: Kind) -> Buf {
    match k {
        Kind::Str => Buf::Str(Vec::new()),
        Kind::Int => Buf::Int(Vec::new()),
        Kind::Bin => Buf::Bin(Vec::new()),
        Kind::Float => Buf::Float(Vec::new()),
    }
}

fn write_err(path: &Path, e: &dyn std::fmt::Display) -> StageError {
    let message = e.to_string();
    // The Parquet writer wraps a full disk in "File out of specification", which reads as a
    // bad input file (an outside review); the cause is said first.
    let message = if message.contains("os error 28") {
        format!("the disk is full (no space left on the device): free space there and run again ({message})")
    } else {
        message
    };
    StageError::ParquetWrite {
        path: path.to_path_buf(),
        message,
    }
}

/// Reads a whole Parquet file (stage outputs are read back by later stages and tests).
pub fn read(path: &Path) -> Result<DataFrame, StageError> {
    let file = File::open(path).map_err(|e| StageError::io(path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| StageError::ParquetRead {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// Reads only the named columns of a Parquet file; a missing column is an error naming it.
pub fn read_columns(path: &Path, columns: &[&str]) -> Result<DataFrame, StageError> {
    let file = File::open(path).map_err(|e| StageError::io(path, e))?;
    let err = |message: String| StageError::ParquetRead {
        path: path.to_path_buf(),
        message,
    };
    let mut reader = ParquetReader::new(file);
    let rows = reader.num_rows().map_err(|e| err(e.to_string()))?;
    let df = reader
        .with_columns(Some(columns.iter().map(|c| c.to_string()).collect()))
        .finish()
        .map_err(|e| err(e.to_string()))?;
    // A damaged column chunk can come back with fewer values than the file has rows, which
    // would shift every later value against its row.
    if let Some(short) = df.columns().iter().find(|c| c.len() != rows) {
        return Err(err(format!(
            "column {}: {} values for the file's {rows} rows; the file is damaged",
            short.name(),
            short.len()
        )));
    }
    Ok(df)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_batches_with_differently_chunked_columns_are_written_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.parquet");
        let mut s = ParquetSink::create(&p, &[("a", Kind::Str), ("b", Kind::Int)]).expect("create");
        // A slice of a column read from a multi-row-group file has several chunks.
        let mut a = StringChunked::new("a".into(), ["x", "y"]);
        a.append(&StringChunked::new("a".into(), ["z"])).expect("append");
        assert_eq!(a.chunks().len(), 2);
        let b = Int64Chunked::from_vec("b".into(), vec![1, 2, 3]);
        s.push_columns(vec![a.into_column(), b.into_column()])
            .expect("push");
        assert!(
            s.push_columns(vec![Int64Chunked::from_vec("b".into(), vec![1]).into_column()])
                .is_err(),
            "a batch with other columns is refused"
        );
        assert_eq!(s.finish().expect("finish"), 3);
        let df = read(&p).expect("read");
        let a: Vec<Option<&str>> = df.column("a").expect("a").str().expect("str").iter().collect();
        assert_eq!(a, [Some("x"), Some("y"), Some("z")]);
    }

    /// A column chunk with fewer values than its rows (here written past the sink's checks,
    /// as a damaged file would be) is refused when read, naming the column; the sink refuses
    /// to write it.
    #[test]
    fn a_column_shorter_than_the_files_rows_is_refused_when_read_and_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("short.parquet");
        let cols = [("a", Kind::Str), ("b", Kind::Str)];
        let mut s = ParquetSink::create(&p, &cols).expect("create");
        let a = || Out::Col(StringChunked::new("a".into(), ["x", "y"]).into_column());
        let empty = || Out::Coded {
            name: "b".into(),
            dict: vec![None],
            codes: Vec::new(),
        };
        let refused = s
            .push_batch(vec![a(), empty()])
            .expect_err("pages without the rows");
        let refused = refused.to_string();
        assert!(
            refused.contains("short.parquet") && refused.contains("a batch whose columns differ"),
            "{refused}"
        );
        s.write_group(vec![a(), empty()]).expect("written unchecked");
        s.rows += 2;
        s.finish().expect("finish");
        let e = read_columns(&p, &["a", "b"])
            .expect_err("a short column")
            .to_string();
        assert!(
            e.contains("short.parquet") && e.contains("column b: 0 values"),
            "{e}"
        );
    }

    #[test]
    fn rows_of_the_wrong_shape_or_type_are_refused_not_written_askew() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.parquet");
        let mut s = ParquetSink::create(&p, &[("a", Kind::Str), ("b", Kind::Int)]).expect("create");
        assert!(s.push(vec![Value::Str(None)]).is_err());
        assert!(s.push(vec![Value::Str(None), Value::Bin(None)]).is_err());
        s.push(vec![Value::Str(Some("x".into())), Value::Int(Some(1))])
            .expect("push");
        assert_eq!(s.finish().expect("finish"), 1);
        assert_eq!(read(&p).expect("read").height(), 1);
    }

    #[test]
    fn coded_and_unique_columns_read_back_as_text_with_the_chosen_encoding() {
        use polars_parquet::parquet::compression::Compression;
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.parquet");
        let cols = [("answer", Kind::Str), ("key", Kind::Str), ("n", Kind::Int)];
        let mut s = ParquetSink::create(&p, &cols).expect("create");
        let dict = vec![None, Some("labour".to_string()), Some("sexual".to_string())];
        for (codes, keys) in [
            (vec![1, 0, 2], ["k1", "k2", "k3"]),
            (vec![2, 2, 1], ["k4", "k5", "k6"]),
        ] {
            s.push_batch(vec![
                Out::Coded {
                    name: "answer".into(),
                    dict: dict.clone(),
                    codes,
                },
                Out::Unique(StringChunked::new("key".into(), keys).into_column()),
                Out::Col(Int64Chunked::from_vec("n".into(), vec![1, 2, 3]).into_column()),
            ])
            .expect("push");
        }
        let mut nulls =
            ParquetSink::create(&dir.path().join("nulls.parquet"), &[("answer", Kind::Str)]).expect("create");
        nulls
            .push_batch(vec![Out::Coded {
                name: "answer".into(),
                dict: vec![None],
                codes: vec![0, 0],
            }])
            .expect("a column of nulls only");
        nulls.finish().expect("finish");
        let read_nulls = read(&dir.path().join("nulls.parquet")).expect("read");
        assert_eq!(read_nulls.column("answer").expect("answer").null_count(), 2);
        let bad = Out::Coded {
            name: "answer".into(),
            dict: dict.clone(),
            codes: vec![3],
        };
        let key = Out::Unique(StringChunked::new("key".into(), ["k"]).into_column());
        let n = Out::Col(Int64Chunked::from_vec("n".into(), vec![1]).into_column());
        let err = s
            .push_batch(vec![bad, key, n])
            .expect_err("a code past the dictionary");
        assert!(err.to_string().contains("x.parquet"), "{err}");
        assert_eq!(s.finish().expect("finish"), 6);
        let df = read(&p).expect("read");
        let text = |c: &str| -> Vec<Option<String>> {
            let col = df.column(c).expect("column");
            col.str()
                .expect("text")
                .iter()
                .map(|v| v.map(str::to_string))
                .collect()
        };
        let some = |v: &str| Some(v.to_string());
        assert_eq!(
            text("answer"),
            [
                some("labour"),
                None,
                some("sexual"),
                some("sexual"),
                some("sexual"),
                some("labour")
            ]
        );
        assert_eq!(text("key"), ["k1", "k2", "k3", "k4", "k5", "k6"].map(some));
        let meta = polars_parquet::read::read_metadata(&mut File::open(&p).expect("open")).expect("metadata");
        assert_eq!(meta.row_groups.len(), 2);
        let chunks = meta.row_groups[0].parquet_columns();
        assert!(
            chunks[0].dictionary_page_offset().is_some(),
            "codes are written with their dictionary"
        );
        assert_eq!(chunks[0].compression(), Compression::Lz4Raw);
        assert!(
            chunks[1].dictionary_page_offset().is_none(),
            "unique keys are written plain"
        );
        assert_eq!(chunks[1].compression(), Compression::Uncompressed);
    }
}
