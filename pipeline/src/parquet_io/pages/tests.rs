//! The pages written by hand read back whole: codes at every width, nulls over several pages,
//! dictionaries and plain integers, fixed-width values.

use super::packing::{pack, uleb128};
use super::*;
use polars_parquet::parquet::encoding::hybrid_rle::HybridRleDecoder;

#[test]
fn packed_codes_decode_to_the_same_values_at_every_width_and_length() {
    for bits in [1u32, 2, 3, 5, 8, 13, 31, 32] {
        for n in [0usize, 1, 7, 8, 9, 33, 100, RUN + 5] {
            let max = if bits == 32 { u32::MAX } else { (1 << bits) - 1 };
            let values: Vec<u32> = (0..n as u32)
                .map(|i| i.wrapping_mul(2_654_435_761) & max)
                .collect();
            let mut out = Vec::new();
            for run in values.chunks(RUN) {
                uleb128(&mut out, ((run.len().div_ceil(8) as u64) << 1) | 1);
                pack(&mut out, run, bits);
            }
            let decoded: Vec<u32> = HybridRleDecoder::new(&out, bits, n).collect().expect("decodes");
            assert_eq!(decoded, values, "{bits} bits, {n} values");
        }
    }
}

#[test]
fn codes_with_scattered_nulls_over_several_pages_read_back_whole() {
    use crate::parquet_io::{Kind, Out, ParquetSink, read, read_coded};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.parquet");
    let dict = vec![
        None,
        Some("a".to_string()),
        Some("bb".to_string()),
        None,
        Some("ccc".to_string()),
    ];
    let n = 2 * PAGE_ROWS + 12_345;
    let codes: Vec<u32> = (0..n as u64)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61) as u32 % 5)
        .collect();
    let mut sink = ParquetSink::create(&path, &[("answer", Kind::Str)]).expect("create");
    for part in codes.chunks(PAGE_ROWS * 2 + 1) {
        let coded = Out::Coded {
            name: "answer".into(),
            dict: dict.clone(),
            codes: part.to_vec(),
        };
        sink.push_batch(vec![coded]).expect("push");
    }
    assert_eq!(sink.finish().expect("finish"), n as u64);
    let want: Vec<Option<&str>> = codes.iter().map(|&c| dict[c as usize].as_deref()).collect();
    let df = read(&path).expect("read");
    let got: Vec<Option<&str>> = df
        .column("answer")
        .expect("column")
        .str()
        .expect("text")
        .iter()
        .collect();
    assert_eq!(got, want, "polars reads back every row");
    let coded = read_coded(&path, &["answer".to_string()]).expect("read codes");
    let coded = coded[0].as_ref().expect("read from the dictionary pages");
    let got: Vec<Option<&str>> = coded
        .codes
        .iter()
        .map(|&c| coded.values[c as usize].as_deref())
        .collect();
    assert_eq!(got, want, "the dictionary reader reads back every row");
}

#[test]
fn repeating_integers_are_written_as_a_dictionary_and_distinct_ones_plain_and_both_read_back() {
    use crate::parquet_io::{FixedRun, Kind, Out, ParquetSink, read};
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tempdir");
    let n = PAGE_ROWS + 777;
    // A few values, nulls among them, zero and the extremes included; and values nearly all
    // distinct.
    let few: Vec<Option<i64>> = (0..n as i64)
        .map(|i| match i % 7 {
            0 => None,
            1 => Some(i64::MIN),
            2 => Some(i64::MAX),
            k => Some((k - 3) * 1_000_003),
        })
        .collect();
    let many: Vec<Option<i64>> = (0..n as i64)
        .map(|i| (i % 11 != 0).then(|| i.wrapping_mul(0x9E37_79B9)))
        .collect();
    let column = |v: &[Option<i64>]| Int64Chunked::from_slice_options("k".into(), v);
    let t = ParquetType::from_physical("k".into(), PhysicalType::Int64);
    let opts = CompressionOptions::Lz4Raw;
    let pages = |v: &[Option<i64>]| int_dictionary_pages(v.iter().copied(), v.len(), &t, opts);
    assert!(pages(&few).is_some());
    assert!(pages(&many).is_none(), "a dictionary would not pay");
    // Runs of unequal length, as the cores hand them over.
    let runs = |v: &[Option<i64>]| -> Vec<FixedRun> {
        v.chunks(PAGE_ROWS / 3 + 5)
            .map(|rows| FixedRun {
                bytes: rows.iter().flatten().flat_map(|x| x.to_le_bytes()).collect(),
                present: rows.iter().map(Option::is_some).collect(),
            })
            .collect()
    };
    for values in [&few, &many] {
        for way in ["column", "runs, repeating", "runs, plain"] {
            let path = dir.path().join("k.parquet");
            let mut sink = ParquetSink::create(&path, &[("k", Kind::Int)]).expect("create");
            for part in values.chunks(n / 2 + 1) {
                let out = match way {
                    "column" => Out::Repeating(column(part).into_column()),
                    _ => Out::Ints {
                        name: "k".into(),
                        runs: runs(part),
                        repeating: way == "runs, repeating",
                    },
                };
                sink.push_batch(vec![out]).expect("push");
            }
            sink.finish().expect("finish");
            let df = read(&path).expect("read");
            let got: Vec<Option<i64>> = df.column("k").expect("k").i64().expect("int").iter().collect();
            assert!(&got == values, "every row reads back ({way})");
        }
    }
    let Some(Ok(pages)) = pages(&[None, None]) else {
        panic!("a column of nulls is a dictionary of one")
    };
    assert!(pages.len() >= 2);
}

#[test]
fn fixed_width_values_with_absent_rows_over_several_pages_and_runs_read_back_whole() {
    use crate::parquet_io::{FixedRun, Kind, Out, ParquetSink, read};
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 2 * PAGE_ROWS + 999;
    let value = |i: usize| -> Option<Vec<u8>> {
        (i % 13 != 5).then(|| (0..4).map(|k| (i.wrapping_mul(31) + k) as u8).collect())
    };
    let want: Vec<Option<Vec<u8>>> = (0..n).map(value).collect();
    // Runs of unequal length, as the cores hand them to the writer, one row group in all.
    let runs: Vec<FixedRun> = want
        .chunks(PAGE_ROWS / 3 + 7)
        .map(|rows| FixedRun {
            bytes: rows.iter().flatten().flatten().copied().collect(),
            present: rows.iter().map(Option::is_some).collect(),
        })
        .collect();
    for every in [false, true] {
        let path = dir.path().join("f.parquet");
        let runs: Vec<FixedRun> = if every {
            vec![FixedRun {
                bytes: vec![7; 4 * 10],
                present: vec![true; 10],
            }]
        } else {
            runs.iter()
                .map(|r| FixedRun {
                    bytes: r.bytes.clone(),
                    present: r.present.clone(),
                })
                .collect()
        };
        let expected: Vec<Option<Vec<u8>>> = if every {
            vec![Some(vec![7; 4]); 10]
        } else {
            want.clone()
        };
        let mut sink = ParquetSink::create(&path, &[("f", Kind::Bin)]).expect("create");
        let out = Out::Fixed {
            name: "f".into(),
            width: 4,
            runs,
        };
        sink.push_batch(vec![out]).expect("push");
        sink.finish().expect("finish");
        let df = read(&path).expect("read");
        let got: Vec<Option<Vec<u8>>> = df
            .column("f")
            .expect("f")
            .binary()
            .expect("binary")
            .iter()
            .map(|v| v.map(<[u8]>::to_vec))
            .collect();
        assert!(got == expected, "every row reads back (all present: {every})");
    }
    // Bytes that do not make whole values of the width are refused, not written.
    let t = ParquetType::from_physical("f".into(), PhysicalType::ByteArray);
    let short = FixedRun {
        bytes: vec![1; 7],
        present: vec![true, true],
    };
    assert!(fixed_pages(4, &[short], &t).is_err());
}
