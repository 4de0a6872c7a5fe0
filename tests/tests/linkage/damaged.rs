//! Damaged, edited or foreign pseudonymised files and answers of the wrong type: each refused
//! before anything is linked, naming file, row, column and remedy.

use super::*;

#[test]
fn a_damaged_pseudonymised_file_is_refused_naming_file_row_column_and_remedy() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "damaged");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let good = tmp.path().join("work/02-pseudonymise");
    let s = schema();
    let cases = [
        (
            "record_key",
            Column::new("record_key".into(), [None::<&str>]),
            "column record_key: blank",
        ),
        (
            "name_bloom",
            Column::new("name_bloom".into(), [Some(&b"short"[..])]),
            "column name_bloom: 5 bytes",
        ),
        // A blank fingerprint would let a file made under another key past the key check.
        (
            "key_fingerprint",
            Column::new("key_fingerprint".into(), [None::<&str>]),
            "column key_fingerprint: blank",
        ),
        // So would a blank encoding past the encoding check.
        (
            "encoding",
            Column::new("encoding".into(), [None::<&str>]),
            "column encoding: blank",
        ),
        // Identifiers put where pseudonymise writes answers, keys and organisations (a file
        // edited by hand): refused, and the message never repeats the value.
        (
            "gender",
            Column::new("gender".into(), [Some(SECRET)]),
            "column gender: not a code",
        ),
        (
            "country_of_birth",
            Column::new("country_of_birth".into(), [Some(SECRET)]),
            "column country_of_birth: not a code",
        ),
        (
            "exploitation_forms",
            Column::new("exploitation_forms".into(), [Some("sexual;Ingrid")]),
            "column exploitation_forms: not a code",
        ),
        (
            "record_key",
            Column::new("record_key".into(), [Some(SECRET)]),
            "column record_key: not a keyed record hash",
        ),
        (
            "related_record_key",
            Column::new("related_record_key".into(), [Some(SECRET)]),
            "column related_record_key: not a keyed record hash",
        ),
        (
            "org_id",
            Column::new("org_id".into(), [Some(SECRET)]),
            "column org_id: not an organisation",
        ),
        (
            "report_year",
            Column::new("report_year".into(), [Some(19_921_029i64)]),
            "column report_year: not a report year",
        ),
        (
            "key_fingerprint",
            Column::new("key_fingerprint".into(), [Some(SECRET)]),
            "column key_fingerprint: not the key",
        ),
    ];
    for (column, value, expected) in cases {
        let dir = copy_files(&good, &tmp.path().join(format!("bad-{column}")));
        corrupt(
            &good.join("SAMPLE02.parquet"),
            &dir.join("SAMPLE02.parquet"),
            column,
            value,
        );
        let e = load(&s, &dir)
            .err()
            .expect("a damaged file is refused")
            .to_string();
        assert!(
            e.contains("SAMPLE02.parquet") && e.contains("row 3") && e.contains(expected),
            "{e}"
        );
        assert!(e.contains("pseudonymise its records again"), "{e}");
        // The file was read: "cannot read" would send the user looking for a damaged disk.
        assert!(
            e.contains("SAMPLE02.parquet: refused: ") && !e.contains("cannot read"),
            "{e}"
        );
        assert!(
            !e.contains("Ingrid") && !e.contains("1992"),
            "the value is repeated: {e}"
        );
    }
}

#[test]
fn an_unreadable_file_or_an_answer_of_the_wrong_type_is_refused_naming_file_column_and_remedy() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "wrong-type");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let good = tmp.path().join("work/02-pseudonymise");
    let s = schema();
    let copy_to = |name: &str| copy_files(&good, &tmp.path().join(name));
    // Answers written as numbers: not read as answer codes, and not silently coded either.
    let numbers = copy_to("numbers");
    let mut df = read_parquet(&good.join("SAMPLE02.parquet"));
    let n = df.height();
    df.replace("gender", Column::new("gender".into(), vec![1i64; n]))
        .expect("replace");
    ParquetWriter::new(std::fs::File::create(numbers.join("SAMPLE02.parquet")).expect("create"))
        .finish(&mut df)
        .expect("write");
    let e = load(&s, &numbers).err().expect("refused").to_string();
    assert!(
        e.contains("SAMPLE02.parquet") && e.contains("column gender"),
        "{e}"
    );
    assert!(e.contains("pseudonymise its records again"), "{e}");
    // A file cut short in transfer.
    let cut = copy_to("cut");
    let bytes = std::fs::read(good.join("SAMPLE03.parquet")).expect("read");
    std::fs::write(cut.join("SAMPLE03.parquet"), &bytes[..bytes.len() / 2]).expect("write");
    let e = load(&s, &cut).err().expect("refused").to_string();
    assert!(e.contains("SAMPLE03.parquet"), "{e}");
    assert!(e.contains("pseudonymise its records again"), "{e}");
}

#[test]
fn a_file_that_is_not_a_validated_file_is_refused_naming_file_column_and_remedy() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "bad-input");
    let (_, ingested) = ingest(&bundled().join("submissions"), &Default::default());
    let validated = ingested.path().join("validated");
    let file = std::fs::read_dir(&validated)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .min()
        .expect("a validated file");
    let mut df = ParquetReader::new(std::fs::File::open(&file).expect("open"))
        .finish()
        .expect("read")
        .drop("given_name")
        .expect("drop");
    ParquetWriter::new(std::fs::File::create(&file).expect("create"))
        .finish(&mut df)
        .expect("write");
    let e = safetally::pseudonymise::pseudonymise_dir(
        &schema(),
        &key,
        &validated,
        &tmp.path().join("out"),
        &safetally::progress::Progress::hidden(),
    )
    .expect_err("a file without given_name must be refused")
    .to_string();
    let name = file.file_name().expect("name").to_string_lossy().into_owned();
    assert!(
        e.contains(&name) && e.contains("given_name") && e.contains("safetally ingest"),
        "{e}"
    );
}

/// A pseudonymised file holding one record twice (rows appended by hand) would count a record
/// without match keys as two persons; a column pseudonymise never writes (names, say) would
/// be kept by the platform unknowingly. Both are refused, naming the file. Files not read and
/// files of no records are listed, as each may be an organisation left out.
#[test]
fn a_record_twice_or_a_foreign_column_is_refused_and_files_left_out_are_listed() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "foreign");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let good = tmp.path().join("work/02-pseudonymise");
    let s = schema();
    let copy_of_good = |name: &str| copy_files(&good, &tmp.path().join(name));
    let rewrite = |path: &Path, f: &dyn Fn(DataFrame) -> DataFrame| {
        let mut df = f(read_parquet(path));
        ParquetWriter::new(std::fs::File::create(path).expect("create"))
            .finish(&mut df)
            .expect("write");
    };
    let loaded = copy_of_good("untouched");
    let records = load(&s, &loaded).expect("the files as written link");
    assert!(records.not_read.is_empty() && records.empty_files.is_empty());

    let twice = copy_of_good("twice");
    let file = twice.join("SAMPLE03.parquet");
    rewrite(&file, &|df| {
        let n = df.height();
        df.vstack(&df.slice(1, 2)).expect("same columns").slice(0, n + 2)
    });
    let e = load(&s, &twice)
        .err()
        .expect("a record twice is refused")
        .to_string();
    assert!(
        e.contains("SAMPLE03.parquet") && e.contains("rows 2 and") && e.contains("2 row(s) in all repeat"),
        "{e}"
    );

    let foreign = copy_of_good("foreign");
    let file = foreign.join("SAMPLE04.parquet");
    rewrite(&file, &|mut df| {
        let n = df.height();
        df.with_column(Column::new("given_name".into(), vec![SECRET; n]))
            .expect("add");
        df
    });
    let e = load(&s, &foreign)
        .err()
        .expect("a foreign column is refused")
        .to_string();
    assert!(
        e.contains("SAMPLE04.parquet") && e.contains("column(s) given_name are not written"),
        "{e}"
    );
    assert!(!e.contains("Ingrid"), "{e}");

    let left_out = copy_of_good("left-out");
    std::fs::rename(left_out.join("SAMPLE05.parquet"), left_out.join("SAMPLE05.parq")).expect("rename");
    rewrite(&left_out.join("SAMPLE06.parquet"), &|df| df.slice(0, 0));
    let records = load(&s, &left_out).expect("links without them");
    assert_eq!(records.not_read, ["SAMPLE05.parq"]);
    assert_eq!(records.empty_files, ["SAMPLE06.parquet"]);
    assert!(!records.orgs.iter().any(|o| o == "SAMPLE05" || o == "SAMPLE06"));
}

/// Answers leave the organisation as they are: a validated file edited by hand (a name typed
/// into `gender`, an organisation outside the register, a blank or repeated record id) is
/// refused by pseudonymise, naming file, row and column, before anything is written, and the
/// message never repeats the value.
#[test]
fn a_validated_file_edited_by_hand_is_refused_before_anything_leaves() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "edited");
    let (_, ingested) = ingest(&bundled().join("submissions"), &Default::default());
    let validated = ingested.path().join("validated");
    let file = validated.join("SAMPLE02.parquet");
    let original = read_parquet(&file);
    let set = |column: &str, row: usize, value: Option<&str>| {
        let mut df = original.clone();
        let mut values: Vec<Option<String>> = df
            .column(column)
            .expect("column")
            .str()
            .expect("text")
            .iter()
            .map(|v| v.map(String::from))
            .collect();
        values[row] = value.map(String::from);
        df.replace(column, Column::new(column.into(), values))
            .expect("replace");
        df
    };
    let first_id = original
        .column("record_id")
        .expect("record_id")
        .str()
        .expect("text")
        .get(0)
        .expect("an id")
        .to_string();
    let cases = [
        (set("gender", 4, Some(SECRET)), "row 5, column gender: not a code"),
        (
            set("exploitation_forms", 2, Some("sexual;Ingrid")),
            "row 3, column exploitation_forms: not a code",
        ),
        (set("org_id", 6, Some(SECRET)), "row 7, column org_id"),
        (set("record_id", 3, None), "row 4, column record_id: blank"),
        (
            set("record_id", 5, Some(&first_id)),
            "rows 1 and 6, column record_id: the same record id",
        ),
    ];
    for (mut df, expected) in cases {
        ParquetWriter::new(std::fs::File::create(&file).expect("create"))
            .finish(&mut df)
            .expect("write");
        let out = tmp.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        let e = safetally::pseudonymise::pseudonymise_dir(
            &schema(),
            &key,
            &validated,
            &out,
            &safetally::progress::Progress::hidden(),
        )
        .expect_err("an edited file is refused")
        .to_string();
        assert!(
            e.contains("SAMPLE02.parquet") && e.contains(expected),
            "{expected}: {e}"
        );
        assert!(!e.contains("Ingrid"), "the value is repeated: {e}");
        assert!(
            !out.join("SAMPLE02.parquet").exists(),
            "the refused file was written"
        );
    }
    // An organisation's own Parquet file, not validated, is told what to run, advice first.
    let raw = tmp.path().join("raw");
    std::fs::create_dir_all(&raw).expect("mkdir");
    let submitted = std::fs::read_dir(bundled().join("submissions"))
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .expect("a Parquet submission");
    std::fs::copy(&submitted, raw.join("ORG.parquet")).expect("copy");
    let e = safetally::pseudonymise::pseudonymise_dir(
        &schema(),
        &key,
        &raw,
        &tmp.path().join("out2"),
        &safetally::progress::Progress::hidden(),
    )
    .expect_err("a file not validated is refused")
    .to_string();
    assert!(
        e.contains("ORG.parquet: cannot read Parquet: not a file ingest has validated")
            && e.contains("run `safetally ingest`"),
        "{e}"
    );
}
