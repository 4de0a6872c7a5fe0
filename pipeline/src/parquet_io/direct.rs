//! Column chunks decoded straight from their pages, for the shape the pipeline writes in bulk
//! (dictionary-coded text): no arrow arrays are built and copied on the way. Anything else
//! makes the walk give up, and the caller reads that column through polars instead, which
//! knows every encoding.

use std::io::Cursor;

use polars_buffer::Buffer;
use polars_parquet::parquet::encoding::Encoding;
use polars_parquet::parquet::encoding::hybrid_rle::HybridRleDecoder;
use polars_parquet::parquet::page::{DictPage, split_buffer};
use polars_parquet::read::{BasicDecompressor, PageReader, PhysicalType, RowGroupMetadata};

/// One data page, decompressed: its encoding, definition levels (None for a required column),
/// values and number of rows.
pub(super) struct Data<'a> {
    pub encoding: Encoding,
    pub def: Option<&'a [u8]>,
    pub values: &'a [u8],
    pub rows: usize,
}

pub(super) enum Event<'a> {
    /// A row group's dictionary page, or None when it has none; comes before its data pages.
    Dict(Option<&'a DictPage>),
    Data(Data<'a>),
}

/// Hands every page of column `name`, row group after row group, to `on`. None when the column
/// is missing, nested or not of the `physical` type, when a page cannot be read, or when `on`
/// gives up.
pub(super) fn walk(
    file: &mut std::fs::File,
    groups: &[RowGroupMetadata],
    name: &str,
    physical: PhysicalType,
    mut on: impl FnMut(Event) -> Option<()>,
) -> Option<()> {
    for rg in groups {
        let meta = rg.columns_under_root_iter(name)?.next()?;
        let descriptor = &meta.descriptor().descriptor;
        if descriptor.primitive_type.physical_type != physical || descriptor.max_rep_level > 0 {
            return None;
        }
        let optional = descriptor.max_def_level > 0;
        let pages = PageReader::new(
            Cursor::new(chunk(file, meta.byte_range())?),
            meta,
            vec![],
            usize::MAX,
        );
        let mut pages = BasicDecompressor::new(pages, vec![]);
        let dict = pages.read_dict_page().ok()?;
        on(Event::Dict(dict.as_ref()))?;
        while let Some(item) = pages.next() {
            let page = item.ok()?.decompress(&mut pages).ok()?;
            let split = split_buffer(&page).ok()?;
            on(Event::Data(Data {
                encoding: page.encoding(),
                def: optional.then_some(split.def),
                values: split.values,
                rows: page.num_values(),
            }))?;
            pages.reuse_page_buffer(page);
        }
    }
    Some(())
}

/// The bytes of one column chunk: only the wanted columns are read, not those beside them.
pub(crate) fn chunk(file: &mut std::fs::File, range: std::ops::Range<u64>) -> Option<Buffer<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut bytes = vec![0u8; usize::try_from(range.end.checked_sub(range.start)?).ok()?];
    file.seek(SeekFrom::Start(range.start)).ok()?;
    file.read_exact(&mut bytes).ok()?;
    Some(bytes.into())
}

/// Which rows of a page are present (1) or null (0), from its definition levels; None when
/// they do not add up to the page's rows.
pub(super) fn present(def: &[u8], rows: usize) -> Option<Vec<u32>> {
    let p: Vec<u32> = HybridRleDecoder::new(def, 1, rows).collect().ok()?;
    (p.len() == rows && p.iter().all(|&d| d <= 1)).then_some(p)
}
