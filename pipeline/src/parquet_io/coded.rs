//! Text columns as dictionary codes: each distinct answer is stored once and every row holds a
//! small code. Columns are read straight from their Parquet dictionary pages where the file has
//! them (the few distinct values of a row group are coded once and each row's index translated,
//! decoded here rather than through arrow arrays), else coded from text. Pseudonymise and link
//! carry answers this way, never as text per row.

use std::hash::BuildHasher;
use std::path::Path;

use polars::prelude::*;
use polars_arrow::array::Array;
use polars_parquet::parquet::encoding::Encoding;
use polars_parquet::parquet::encoding::hybrid_rle::HybridRleDecoder;
use polars_parquet::parquet::page::DictPage;
use polars_parquet::read::{PhysicalType, RowGroupMetadata, read_metadata};

use super::direct::{Event, walk};

use crate::FastMap;

/// One answer column as dictionary codes; code 0 is a blank answer.
#[derive(Default, Clone)]
pub struct Coded {
    pub codes: Vec<u32>,
    pub values: Vec<Option<String>>,
}

impl Coded {
    pub fn new() -> Self {
        Coded {
            codes: Vec::new(),
            values: vec![None],
        }
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        self.values[self.codes[i] as usize].as_deref()
    }

    /// The column with its rows in `order` (row i of the result is row `order[i]` here), its
    /// codes renumbered by first use in that order and the values no row uses dropped (a blank
    /// stays 0). Whoever walks the rows in order then meets new values in dictionary order, as
    /// in a column read from a file: lookups keyed by code sweep memory instead of jumping.
    pub fn reordered(mut self, order: &[u32]) -> Coded {
        let mut renumbered = vec![u32::MAX; self.values.len()];
        let mut values = Vec::new();
        if let Some(blank) = self.values.first_mut() {
            values.push(blank.take());
            renumbered[0] = 0;
        }
        let codes = order
            .iter()
            .map(|&row| {
                let old = self.codes[row as usize] as usize;
                if renumbered[old] == u32::MAX {
                    renumbered[old] = values.len() as u32;
                    values.push(self.values[old].take());
                }
                renumbered[old]
            })
            .collect();
        Coded { codes, values }
    }

    /// Appends another part's codes, translated into this dictionary.
    pub fn append(&mut self, other: Coded) {
        let remap = self.merge_values(other.values);
        self.codes.extend(other.codes.iter().map(|&c| remap[c as usize]));
    }

    /// Adds another dictionary's values not in this one yet, and returns the code here of each
    /// of its codes (its code 0, a blank, stays 0).
    pub fn merge_values(&mut self, values: Vec<Option<String>>) -> Vec<u32> {
        let mut interner = Interner::new(std::mem::take(&mut self.values));
        let remap = values.iter().map(|v| interner.code(v.as_deref())).collect();
        self.values = interner.dict;
        remap
    }
}

/// Codes for values, new ones added to the dictionary as they come; a blank is code 0, so the
/// dictionary starts with `None`. The index holds codes, not copies of the text: a column of
/// names has hundreds of thousands of distinct values, and a second copy of each (with its
/// allocation) was a quarter of reading them.
pub struct Interner {
    pub dict: Vec<Option<String>>,
    index: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::FixedState,
}

impl Interner {
    pub fn new(dict: Vec<Option<String>>) -> Self {
        let hasher = foldhash::fast::FixedState::default();
        let mut index = hashbrown::HashTable::with_capacity(dict.len());
        for (c, v) in dict.iter().enumerate() {
            if let Some(v) = v {
                let h = hasher.hash_one(v.as_str());
                // A value listed twice keeps its first code.
                if index
                    .find(h, |&k: &u32| dict[k as usize].as_deref() == Some(v.as_str()))
                    .is_none()
                {
                    index.insert_unique(h, c as u32, |&k| Self::hash(&hasher, &dict, k));
                }
            }
        }
        Interner { dict, index, hasher }
    }

    /// Room for `more` new values.
    pub fn reserve(&mut self, more: usize) {
        self.dict.reserve(more);
        let (dict, hasher) = (&self.dict, &self.hasher);
        self.index.reserve(more, |&k| Self::hash(hasher, dict, k));
    }

    fn hash(hasher: &foldhash::fast::FixedState, dict: &[Option<String>], code: u32) -> u64 {
        hasher.hash_one(dict[code as usize].as_deref().unwrap_or(""))
    }

    pub fn code(&mut self, v: Option<&str>) -> u32 {
        let Some(v) = v else { return 0 };
        let h = self.hasher.hash_one(v);
        let dict = &self.dict;
        if let Some(&c) = self.index.find(h, |&k| dict[k as usize].as_deref() == Some(v)) {
            return c;
        }
        let c = self.dict.len() as u32;
        self.dict.push(Some(v.to_string()));
        let (dict, hasher) = (&self.dict, &self.hasher);
        self.index.insert_unique(h, c, |&k| Self::hash(hasher, dict, k));
        c
    }
}

/// The codes of each named text column of a file, or None for a column that is not stored as
/// dictionary pages throughout (the caller reads that one as text).
pub fn read_coded(path: &Path, names: &[String]) -> Result<Vec<Option<Coded>>, String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = read_metadata(&mut file).map_err(|e| e.to_string())?;
    Ok(names
        .iter()
        .map(|name| {
            coded_column(&mut file, &meta.row_groups, name).filter(|c| c.codes.len() == meta.num_rows)
        })
        .collect())
}

fn coded_column(file: &mut std::fs::File, groups: &[RowGroupMetadata], name: &str) -> Option<Coded> {
    let mut interner = Interner::new(vec![None]);
    // The column's rows, reserved at once: grown page by page, a column of millions was
    // copied as it doubled, and each copy faulted in fresh pages. Only tried: a damaged
    // file's row count must not abort on the allocation; its pages then fail the count check
    // and the column is read as text, which says what is wrong.
    let rows: usize = groups.iter().map(RowGroupMetadata::num_rows).sum();
    let mut codes = Vec::new();
    let _ = codes.try_reserve_exact(rows);
    let mut remap: Vec<u32> = Vec::new();
    // Only flat text columns: anything else is left to the text reader, which names the column
    // and its type.
    walk(file, groups, name, PhysicalType::ByteArray, |event| match event {
        // A chunk without a dictionary page is not coded throughout.
        Event::Dict(dict) => {
            remap = dictionary(dict?, &mut interner)?;
            Some(())
        }
        Event::Data(page) => {
            if !matches!(page.encoding, Encoding::RleDictionary | Encoding::PlainDictionary) {
                return None;
            }
            append_page(&mut codes, &remap, page.def, page.values, page.rows)
        }
    })?;
    Some(Coded {
        codes,
        values: interner.dict,
    })
}

/// The code of each entry of a dictionary page (plain text: a length, then bytes).
fn dictionary(dict: &DictPage, interner: &mut Interner) -> Option<Vec<u32>> {
    let mut rest: &[u8] = &dict.buffer;
    interner.reserve(dict.num_values);
    (0..dict.num_values)
        .map(|_| {
            let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
            let v = std::str::from_utf8(rest.get(4..4 + len)?).ok()?;
            rest = &rest[4 + len..];
            Some(interner.code(Some(v)))
        })
        .collect()
}

/// Appends one data page's rows: definition levels say which rows are present (absent rows are
/// code 0), the indices of the present ones follow, translated through `remap`. None for a page
/// that does not add up, which the caller then reads as text.
fn append_page(
    codes: &mut Vec<u32>,
    remap: &[u32],
    def: Option<&[u8]>,
    values: &[u8],
    rows: usize,
) -> Option<()> {
    let present = match def {
        Some(def) => Some(super::direct::present(def, rows)?),
        None => None,
    };
    let n = present
        .as_ref()
        .map_or(rows, |p| p.iter().map(|&d| d as usize).sum());
    if n == 0 {
        codes.extend(std::iter::repeat_n(0, rows));
        return Some(());
    }
    let (&bits, packed) = values.split_first()?;
    let idx: Vec<u32> = HybridRleDecoder::new(packed, u32::from(bits), n).collect().ok()?;
    if idx.len() != n || idx.iter().any(|&k| k as usize >= remap.len()) {
        return None;
    }
    match present {
        None => codes.extend(idx.iter().map(|&k| remap[k as usize])),
        Some(present) => {
            // Without a branch per row: nulls fall at random, and an absent row reads the
            // next present row's index, then masks it to 0.
            let mut j = 0usize;
            codes.extend(present.iter().map(|&d| {
                let c = remap[idx[j.min(n - 1)] as usize] & 0u32.wrapping_sub(d);
                j += d as usize;
                c
            }));
        }
    }
    Some(())
}

/// Dictionary codes of a string column, in order of first appearance.
pub fn code_text(col: &StringChunked) -> Coded {
    let mut index: FastMap<&str, u32> = FastMap::default();
    let mut out = Coded::new();
    out.codes.reserve(col.len());
    for arr in col.downcast_iter() {
        // Within one array an identical 16-byte view means identical text (inline bytes, or the
        // same place in the same buffer), and a column decoded from a dictionary page repeats
        // its views: most rows are coded by their view in a small direct-mapped table, without
        // hashing the text.
        let mut by_view = [(0u128, u32::MAX); 256];
        let validity = arr.validity();
        for (i, view) in arr.views().iter().enumerate() {
            if validity.is_some_and(|b| !b.get_bit(i)) {
                out.codes.push(0);
                continue;
            }
            let v128 = view.as_u128();
            let slot = (v128.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835) >> 120) as usize;
            let (seen, code) = by_view[slot];
            let code = if seen == v128 && code != u32::MAX {
                code
            } else {
                let v = arr.value(i);
                let c = *index.entry(v).or_insert_with(|| {
                    out.values.push(Some(v.to_string()));
                    (out.values.len() - 1) as u32
                });
                by_view[slot] = (v128, c);
                c
            };
            out.codes.push(code);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::super::{Kind, Out, ParquetSink};

    #[test]
    fn dictionary_pages_become_codes_and_other_columns_are_left_to_the_text_reader() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.parquet");
        let cols = [("a", Kind::Str), ("b", Kind::Str)];
        let mut s = ParquetSink::create(&p, &cols).expect("create");
        // Two row groups whose dictionaries differ in content and order.
        let batches = [
            (
                vec![None, Some("sexual".to_string()), Some("labour".to_string())],
                vec![1, 2, 0, 1],
            ),
            (
                vec![Some("other".to_string()), Some("labour".to_string())],
                vec![1, 0, 1, 1],
            ),
        ];
        for (dict, codes) in batches {
            let b = StringChunked::new("b".into(), ["x1", "x2", "x3", "x4"]).into_column();
            s.push_batch(vec![
                Out::Coded {
                    name: "a".into(),
                    dict,
                    codes,
                },
                Out::Unique(b),
            ])
            .expect("push");
        }
        s.finish().expect("finish");
        let names = ["a", "b", "missing"].map(String::from);
        let got = super::read_coded(&p, &names).expect("read");
        let a = got[0].as_ref().expect("a is dictionary-coded");
        let values: Vec<Option<&str>> = (0..a.codes.len()).map(|i| a.get(i)).collect();
        let expected = [
            Some("sexual"),
            Some("labour"),
            None,
            Some("sexual"),
            Some("labour"),
            Some("other"),
            Some("labour"),
            Some("labour"),
        ];
        assert_eq!(values, expected);
        assert_eq!(a.values.len(), 4, "null, sexual, labour, other: one code each");
        assert!(got[1].is_none(), "plain text is read as text");
        assert!(
            got[2].is_none(),
            "a missing column is the text reader's error to report"
        );
        let q = dir.path().join("ints.parquet");
        let mut ints = ParquetSink::create(&q, &[("a", Kind::Int)]).expect("create");
        ints.push_columns(vec![
            Int64Chunked::from_vec("a".into(), vec![1, 1, 2]).into_column(),
        ])
        .expect("push");
        ints.finish().expect("finish");
        let got = super::read_coded(&q, &["a".to_string()]).expect("read");
        assert!(got[0].is_none(), "a column of numbers is not read as answers");
    }

    #[test]
    fn dictionary_pages_of_polars_own_writer_with_runs_and_nulls_are_read_too() {
        // Files written before the hand-made pages, or by other tools, mix run-length and
        // bit-packed runs in both the definition levels and the indices.
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.parquet");
        let answers = [Some("woman"), None, Some("man"), Some("unknown")];
        let rows: Vec<Option<&str>> = (0..50_000usize)
            .map(|i| {
                if i < 20_000 {
                    answers[(i / 1000) % 4]
                } else {
                    answers[(i * 7 + i / 3) % 4]
                }
            })
            .collect();
        let mut s = ParquetSink::create(&p, &[("a", Kind::Str)]).expect("create");
        s.push_columns(vec![StringChunked::new("a".into(), &rows).into_column()])
            .expect("push");
        s.finish().expect("finish");
        let got = super::read_coded(&p, &["a".to_string()]).expect("read");
        let a = got[0].as_ref().expect("polars wrote dictionary pages");
        let values: Vec<Option<&str>> = (0..a.codes.len()).map(|i| a.get(i)).collect();
        assert_eq!(values, rows);
    }

    #[test]
    fn the_interner_gives_each_value_one_code_and_new_values_the_next() {
        let start = vec![
            None,
            Some("woman".to_string()),
            Some("man".to_string()),
            Some("woman".to_string()),
        ];
        let mut i = super::Interner::new(start);
        assert_eq!(i.code(None), 0);
        assert_eq!(
            i.code(Some("woman")),
            1,
            "a value listed twice keeps its first code"
        );
        assert_eq!(i.code(Some("man")), 2);
        i.reserve(1000);
        let fresh: Vec<u32> = (0..1000).map(|k| i.code(Some(&format!("v{k}")))).collect();
        assert_eq!(
            fresh,
            (4..1004).collect::<Vec<u32>>(),
            "new values get the next codes"
        );
        // Found again after the table grew, with their text where the code says.
        for k in (0..1000).step_by(37) {
            let c = i.code(Some(&format!("v{k}")));
            assert_eq!(i.dict[c as usize].as_deref(), Some(format!("v{k}").as_str()));
        }
        assert_eq!(i.dict.len(), 1004);
    }

    #[test]
    fn equal_answers_get_one_code_across_chunks_and_buffers() {
        let long = "sexual;labour;criminal_activities";
        let mut col = StringChunked::new("a".into(), [Some("woman"), None, Some(long), Some(long)]);
        col.append(&StringChunked::new(
            "a".into(),
            [Some(long), Some("woman"), Some("man")],
        ))
        .expect("append");
        assert_eq!(col.chunks().len(), 2);
        let coded = super::code_text(&col);
        let values: Vec<Option<&str>> = (0..col.len()).map(|i| coded.get(i)).collect();
        assert_eq!(values, col.iter().collect::<Vec<_>>());
        assert_eq!(coded.values.len(), 4, "null, woman, the long answer, man");
        assert_eq!(coded.codes, [1, 0, 2, 2, 2, 1, 3]);
    }

    #[test]
    fn reordered_rows_keep_their_values_and_are_coded_by_first_use() {
        let col = StringChunked::new("a".into(), [Some("x"), None, Some("y"), Some("z"), Some("y")]);
        let coded = super::code_text(&col);
        let order = [3u32, 4, 1, 0, 2];
        let moved = coded.clone().reordered(&order);
        for (i, &row) in order.iter().enumerate() {
            assert_eq!(moved.get(i), coded.get(row as usize), "row {i}");
        }
        assert_eq!(moved.codes, [1, 2, 0, 3, 2], "z, y, blank, x, y");
        assert_eq!(
            moved.values,
            [None, Some("z".into()), Some("y".into()), Some("x".into())]
        );
    }
}
