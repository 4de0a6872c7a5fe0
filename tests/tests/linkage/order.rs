//! Pseudonymised rows are each record encoded alone, in a keyed order of their own, whatever
//! the input's row groups and pages.

use super::*;

#[test]
fn every_pseudonymised_row_equals_its_record_encoded_alone_in_an_order_of_its_own() {
    // Pseudonymise splits a file's rows between the cores, keeps per-core caches of names and
    // tokens, and writes blocking keys through its own dictionary pages: none of it may
    // change a value or part a row's values. Rows leave in a keyed order, not the file's.
    use polars::prelude::*;
    use safetally::pseudonymise::{BLOCK_KEYS, DATE_PARTS, Encoder, Identifiers, MATCH_KEYS};
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "rows");
    // Few organisations, so that each file is several units of work.
    let cfg = safetally::sample::SampleConfig {
        persons: 8000,
        orgs: 3,
        seed: 11,
        formats: vec![safetally::sample::Format::Parquet],
        ..Default::default()
    };
    let sample = tmp.path().join("sample");
    safetally::sample::generate(&schema(), &cfg, &sample, &safetally::progress::Progress::hidden())
        .expect("generate");
    let work = tmp.path().join("work");
    run_to_link(&sample.join("submissions"), &work, &key);
    let read = |p: &Path| {
        ParquetReader::new(std::fs::File::open(p).expect("open"))
            .finish()
            .expect("read")
    };
    let (mut files, mut rows) = (0, 0);
    for entry in std::fs::read_dir(work.join("01-ingest/validated")).expect("dir") {
        let path = entry.expect("entry").path();
        let input = read(&path);
        let output = read(&work.join("02-pseudonymise").join(path.file_name().expect("name")));
        assert_eq!(input.height(), output.height(), "{}", path.display());
        let text = |c: &str| -> Vec<Option<String>> {
            let col = input.column(c).expect(c).str().expect("text");
            col.iter().map(|v| v.map(str::to_owned)).collect()
        };
        let (org, rid, rel, pnr) = (
            text("org_id"),
            text("record_id"),
            text("related_record_id"),
            text("personal_number"),
        );
        let (given, family, birth) = (text("given_name"), text("family_name"), text("birth_date"));
        let years: Vec<String> = input
            .column("report_year")
            .expect("year")
            .i64()
            .expect("int")
            .iter()
            .map(|y| y.unwrap_or(0).to_string())
            .collect();
        let ids: Vec<Identifiers> = (0..input.height())
            .map(|i| Identifiers {
                org: org[i].as_deref().unwrap_or(""),
                year: &years[i],
                record_id: rid[i].as_deref().unwrap_or(""),
                related_id: rel[i].as_deref(),
                personal_number: pnr[i].as_deref(),
                given: given[i].as_deref().unwrap_or(""),
                family: family[i].as_deref().unwrap_or(""),
                birth: birth[i]
                    .as_deref()
                    .and_then(|b| safetally::dates::PartialDate::parse(b).ok()),
            })
            .collect();
        // One record at a time on one encoder, and every 97th also on a fresh encoder: no
        // batch, and no cache filled by other records.
        let mut one = Encoder::new(&key);
        let expected: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let alone = |enc: &mut Encoder| enc.encode_many(std::slice::from_ref(id)).pop().expect("one");
                let e = alone(&mut one);
                if i % 97 == 0 {
                    let fresh = alone(&mut Encoder::new(&key));
                    assert!(
                        (fresh.match_keys, fresh.block_keys, fresh.date_parts, fresh.bloom)
                            == (e.match_keys, e.block_keys, e.date_parts, e.bloom),
                        "row {i} of {}",
                        path.display()
                    );
                }
                e
            })
            .collect();
        let ints =
            |c: &str| -> Vec<Option<i64>> { output.column(c).expect(c).i64().expect("int").iter().collect() };
        let record_keys: Vec<Option<String>> = output
            .column("record_key")
            .expect("record_key")
            .str()
            .expect("text")
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect();
        // Where each input row went, by its record key.
        let at: std::collections::HashMap<&str, usize> = record_keys
            .iter()
            .enumerate()
            .map(|(p, k)| (k.as_deref().expect("every row has a record key"), p))
            .collect();
        let moved: Vec<usize> = expected
            .iter()
            .map(|e| at[hex::encode(e.record_key).as_str()])
            .collect();
        let mut seen = moved.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), input.height(), "one output row per input row");
        let in_place = moved.iter().enumerate().filter(|(i, p)| i == *p).count();
        assert!(
            in_place * 50 < input.height(),
            "{in_place} of {} rows left in their place in {}",
            input.height(),
            path.display()
        );
        let placed = |want: Vec<Option<i64>>| -> Vec<Option<i64>> {
            let mut out = vec![None; want.len()];
            for (v, &p) in want.into_iter().zip(&moved) {
                out[p] = v;
            }
            out
        };
        for (k, name) in MATCH_KEYS.iter().enumerate() {
            let want = placed(expected.iter().map(|e| e.match_keys[k]).collect());
            assert!(ints(name) == want, "{name} in {}", path.display());
        }
        for (k, name) in BLOCK_KEYS.iter().enumerate() {
            let want = placed(expected.iter().map(|e| e.block_keys[k]).collect());
            assert!(ints(name) == want, "{name} in {}", path.display());
        }
        for (k, name) in DATE_PARTS.iter().enumerate() {
            let want = placed(expected.iter().map(|e| e.date_parts[k]).collect());
            assert!(ints(name) == want, "{name} in {}", path.display());
        }
        let blooms = output
            .column("name_bloom")
            .expect("bloom")
            .binary()
            .expect("binary");
        for (e, &p) in expected.iter().zip(&moved) {
            assert_eq!(
                blooms.get(p),
                e.bloom.as_ref().map(|b| &b[..]),
                "filter in {}",
                path.display()
            );
        }
        // The answers' dictionaries follow the new order too (values numbered as rows first
        // use them): in the order of the organisation's file they would tell that order.
        let s = schema();
        let out_path = work.join("02-pseudonymise").join(path.file_name().expect("name"));
        let names: Vec<String> = s.attribute_columns().iter().map(|c| c.to_string()).collect();
        for (name, coded) in names
            .iter()
            .zip(safetally::parquet_io::read_coded(&out_path, &names).expect("codes"))
        {
            let coded = coded.expect("answers are dictionary-coded");
            let mut next = 1;
            for &c in &coded.codes {
                assert!(
                    c <= next,
                    "{name}: code {c} before {next} in {}",
                    out_path.display()
                );
                next = next.max(c + 1);
            }
        }
        // Every answer and the year stay with their row.
        let mut carried: Vec<&str> = s.attribute_columns();
        carried.extend(["org_id", "report_year"]);
        for c in carried {
            let (a, b) = (input.column(c).expect(c), output.column(c).expect(c));
            for (i, &p) in moved.iter().enumerate() {
                assert_eq!(
                    a.get(i).expect("row"),
                    b.get(p).expect("row"),
                    "{c} of row {i} in {}",
                    path.display()
                );
            }
        }
        files += 1;
        rows += input.height();
    }
    assert_eq!(files, 3);
    assert!(rows > 3 * 3 * 1024, "{rows} rows: several units of work per file");
    names_without_dictionary_pages_give_the_same_output(&work, &key, read);
    files_of_many_row_groups_give_the_same_output(&work, &key, read);
}

/// A sink for `path` with the columns of a validated file read into `df`.
fn sink_like(df: &polars::prelude::DataFrame, path: &Path) -> safetally::parquet_io::ParquetSink {
    use polars::prelude::DataType;
    use safetally::parquet_io::{Kind, ParquetSink};
    let kinds: Vec<(String, Kind)> = df
        .columns()
        .iter()
        .map(|c| {
            let kind = match c.dtype() {
                DataType::String => Kind::Str,
                DataType::Int64 => Kind::Int,
                other => panic!("a validated column of type {other}"),
            };
            (c.name().to_string(), kind)
        })
        .collect();
    let cols: Vec<(&str, Kind)> = kinds.iter().map(|(n, k)| (n.as_str(), *k)).collect();
    ParquetSink::create(path, &cols).expect("create")
}

/// A validated file written in many row groups (another writer, or a file appended to) gives
/// the same output as one written in one.
fn files_of_many_row_groups_give_the_same_output(
    work: &Path,
    key: &safetally::key::LinkageKey,
    read: impl Fn(&Path) -> polars::prelude::DataFrame,
) {
    let grouped_in = work.join("grouped-validated");
    let grouped_out = work.join("grouped-pseudonymised");
    std::fs::create_dir_all(&grouped_in).expect("dir");
    std::fs::create_dir_all(&grouped_out).expect("dir");
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(work.join("01-ingest/validated")).expect("dir") {
        let path = entry.expect("entry").path();
        let df = read(&path);
        let copy = grouped_in.join(path.file_name().expect("name"));
        let mut sink = sink_like(&df, &copy);
        for start in (0..df.height()).step_by(700) {
            sink.push_columns(df.slice(start as i64, 700).columns().to_vec())
                .expect("push");
        }
        sink.finish().expect("finish");
        let groups = safetally::parquet_io::row_group_rows(&copy).expect("metadata");
        assert!(
            groups.len() > 3,
            "{} row groups in {}",
            groups.len(),
            copy.display()
        );
        inputs.push(path);
    }
    safetally::pseudonymise::pseudonymise_dir(
        &schema(),
        key,
        &grouped_in,
        &grouped_out,
        &safetally::progress::Progress::hidden(),
    )
    .expect("pseudonymise grouped files");
    for path in inputs {
        let name = path.file_name().expect("name");
        let got_path = grouped_out.join(name);
        let want = read(&work.join("02-pseudonymise").join(name));
        assert!(read(&got_path).equals_missing(&want), "{}", got_path.display());
    }
}

/// Names and dates are read as codes from the validated file's dictionary pages; a file that
/// stores them plain (another writer, or values too many to code) is read as text and must
/// pseudonymise to the same rows.
fn names_without_dictionary_pages_give_the_same_output(
    work: &Path,
    key: &safetally::key::LinkageKey,
    read: impl Fn(&Path) -> polars::prelude::DataFrame,
) {
    use safetally::parquet_io::{Out, read_coded};
    let plain_in = work.join("plain-validated");
    let plain_out = work.join("plain-pseudonymised");
    std::fs::create_dir_all(&plain_in).expect("dir");
    std::fs::create_dir_all(&plain_out).expect("dir");
    let names = ["given_name", "family_name", "birth_date"];
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(work.join("01-ingest/validated")).expect("dir") {
        let path = entry.expect("entry").path();
        let df = read(&path);
        let copy = plain_in.join(path.file_name().expect("name"));
        let mut sink = sink_like(&df, &copy);
        let out: Vec<Out> = df
            .columns()
            .iter()
            .map(|c| match names.contains(&c.name().as_str()) {
                true => Out::Unique(c.clone()),
                false => Out::Col(c.clone()),
            })
            .collect();
        sink.push_batch(out).expect("push");
        sink.finish().expect("finish");
        let owned: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let coded = read_coded(&copy, &owned).expect("read codes");
        assert!(
            coded.iter().all(Option::is_none),
            "names are plain in {}",
            copy.display()
        );
        inputs.push(path);
    }
    safetally::pseudonymise::pseudonymise_dir(
        &schema(),
        key,
        &plain_in,
        &plain_out,
        &safetally::progress::Progress::hidden(),
    )
    .expect("pseudonymise plain names");
    // And names resolved a few hundred rows at a time, not file by file.
    let segmented = work.join("segmented-pseudonymised");
    std::fs::create_dir_all(&segmented).expect("dir");
    safetally::pseudonymise::pseudonymise_in_segments(
        &schema(),
        key,
        &work.join("01-ingest/validated"),
        &segmented,
        &safetally::progress::Progress::hidden(),
        333,
    )
    .expect("pseudonymise in segments");
    for path in inputs {
        let name = path.file_name().expect("name");
        let want = read(&work.join("02-pseudonymise").join(name));
        for dir in [&plain_out, &segmented] {
            let got = read(&dir.join(name));
            assert!(
                got.equals_missing(&want),
                "{} in {}",
                path.display(),
                dir.display()
            );
        }
    }
}
