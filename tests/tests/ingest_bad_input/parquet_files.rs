//! Parquet submissions: read as CSV is, a binary column of Windows-1252 text named, and the
//! index column pandas writes passed over.

use crate::support::*;

#[test]
fn parquet_submission() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cols: Vec<(&str, safetally::parquet_io::Kind)> = valid_row()
        .iter()
        .map(|(k, _)| (*k, safetally::parquet_io::Kind::Str))
        .collect();
    let mut sink =
        safetally::parquet_io::ParquetSink::create(&dir.path().join("org.parquet"), &cols).expect("sink");
    for r in [
        row_with(&[]),
        row_with(&[
            ("record_id", "R2"),
            ("birth_date", "2024-02-30"),
            ("personal_number", ""),
        ]),
    ] {
        sink.push(
            r.into_iter()
                .map(|v| safetally::parquet_io::Value::Str((!v.is_empty()).then_some(v)))
                .collect(),
        )
        .expect("push");
    }
    sink.finish().expect("finish");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_eq!((report.totals.accepted, report.totals.quarantined), (1, 1));
    assert_eq!(
        rules_of(out.path())[0],
        (2, "birth_date".into(), "bad_date".into())
    );
}

/// A Parquet file written by pandas from bytes objects holds binary columns; bytes of
/// Windows-1252 text are not UTF-8. An outside review found this called a damaged file with no
/// column named; the column is named and the value is not shown.
#[test]
fn a_parquet_binary_column_of_windows_1252_text_is_named() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    let write_with = |name: &str, family: &[u8]| {
        let columns: Vec<Column> = valid_row()
            .into_iter()
            .map(|(k, v)| match k {
                "family_name" => BinaryChunked::from_slice(k.into(), &[family])
                    .into_series()
                    .into(),
                _ => Column::new(k.into(), [v]),
            })
            .collect();
        let mut df = DataFrame::new_infer_height(columns).expect("frame");
        ParquetWriter::new(std::fs::File::create(dir.path().join(name)).expect("create"))
            .finish(&mut df)
            .expect("write");
    };
    write_with("cp1252.parquet", b"\xD6berg");
    write_with("utf8.parquet", "Öberg".as_bytes());
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 0);
    let e = file_error(&report, "cp1252.parquet");
    assert!(
        e.contains("column \"family_name\" is stored as binary")
            && e.contains("not UTF-8")
            && e.contains("row 1")
            && !e.contains("damaged")
            && !e.contains("berg"),
        "{e}"
    );
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "family_name"), vec![Some("Öberg".to_string())]);
}

/// pandas writes its row index as a column `__index_level_0__` (after rows were filtered);
/// an outside review found the file refused as having an unknown column, to be ignored with
/// `--ignore-extra-columns`. It is passed over with a note saying how to leave it out.
#[test]
fn the_index_column_pandas_writes_into_parquet_is_passed_over_with_a_note() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut columns: Vec<Column> = valid_row()
        .into_iter()
        .map(|(k, v)| Column::new(k.into(), [v]))
        .collect();
    columns.push(Column::new("__index_level_0__".into(), [7i64]));
    let mut df = DataFrame::new_infer_height(columns).expect("frame");
    ParquetWriter::new(std::fs::File::create(dir.path().join("org.parquet")).expect("create"))
        .finish(&mut df)
        .expect("write");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 0);
    let notes = report.files[0].notes.join("\n");
    assert!(
        notes.contains("__index_level_0__ passed over") && notes.contains("index=False"),
        "{notes}"
    );
}

/// Personal numbers written as numbers lose a leading zero (0101021238 is 101021238); each
/// row is refused as a number of the wrong length, and the file's note says why (an outside
/// review found the rows' message alone unexplained), without the values.
#[test]
fn personal_numbers_stored_as_numbers_are_told_to_be_stored_as_text() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    let columns: Vec<Column> = valid_row()
        .into_iter()
        .map(|(k, v)| match k {
            "personal_number" => Column::new(k.into(), [101_021_238i64, 1_011_212]),
            "record_id" => Column::new(k.into(), ["R1", "R2"]),
            _ => Column::new(k.into(), [v.clone(), v]),
        })
        .collect();
    let mut df = DataFrame::new_infer_height(columns).expect("frame");
    ParquetWriter::new(std::fs::File::create(dir.path().join("org.parquet")).expect("create"))
        .finish(&mut df)
        .expect("write");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 0, 2);
    assert_eq!(
        rules_of(out.path())[0],
        (1, "personal_number".into(), "pnr_format".into())
    );
    let notes = report.files[0].notes.join("\n");
    assert!(
        notes.contains("column personal_number is stored as numbers")
            && notes.contains("2 value(s) have 7 to 9 digits")
            && notes.contains("store the column as text")
            && !notes.contains("101021238")
            && !notes.contains("1011212"),
        "{notes}"
    );
}
