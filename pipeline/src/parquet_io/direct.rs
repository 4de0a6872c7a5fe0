//! Column chunks decoded straight from their pages, for the shape the pipeline writes in bulk
//! (dictionary-coded text): no arrow arrays are built and copied on the way. Anything else
//! makes the walk give up, and the caller reads that column through polars instead, which
//! knows every encoding.

use std::io::Cursor;

use polars_buffer::Buffer;
use polars_parquet::parquet::encoding::Encoding;
use polars_parquet::parquet::encoding::hybrid_rle::HybridRleDecoder;
use polars_parquet::parquet::page::{CompressedPage, DictPage, FormatEncoding, split_buffer};
use polars_parquet::read::{BasicDecompressor, PageReader, PhysicalType, RowGroupMetadata};
use polars_parquet::write::ParquetType;

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

/// The pages of column `name` as stored, compressed, row group by row group, for copying into
/// another file whose column has the type `want`: only the dictionary is decoded, to check
/// that its texts are UTF-8 as a text column's must be, and nothing is encoded again. None
/// when the column is missing, of another type (or another nullability), not dictionary-coded
/// throughout, or a page cannot be read or checked; the caller then decodes the column instead.
pub(crate) fn stored_pages(
    file: &mut std::fs::File,
    groups: &[RowGroupMetadata],
    name: &str,
    want: &ParquetType,
) -> Option<Vec<Vec<CompressedPage>>> {
    let ParquetType::PrimitiveType(want) = want else {
        return None;
    };
    groups
        .iter()
        .map(|rg| {
            let meta = rg.columns_under_root_iter(name)?.next()?;
            if meta.descriptor().descriptor.primitive_type != *want {
                return None;
            }
            let bytes = chunk(file, meta.byte_range())?;
            let reader = |b| PageReader::new(Cursor::new(b), meta, vec![], usize::MAX);
            utf8_texts(
                &BasicDecompressor::new(reader(bytes.clone()), vec![])
                    .read_dict_page()
                    .ok()??,
            )?;
            let mut reader = reader(bytes);
            let mut pages = vec![CompressedPage::Dict(reader.read_dict().ok()??)];
            let mut rows = 0;
            for page in reader {
                let CompressedPage::Data(mut data) = page.ok()? else {
                    return None;
                };
                let coded = [FormatEncoding::RLE_DICTIONARY, FormatEncoding::PLAIN_DICTIONARY];
                if !coded.contains(&data.header().encoding()) {
                    return None;
                }
                // A flat column's page has one value (or null) per row; the writer needs the
                // count, which a page read from a file does not carry.
                data.num_rows = Some(data.num_values());
                rows += data.num_values();
                pages.push(CompressedPage::Data(data));
            }
            (rows == rg.num_rows()).then_some(pages)
        })
        .collect()
}

/// Whether every text of a dictionary page (plain: a length, then the bytes) is UTF-8.
fn utf8_texts(dict: &DictPage) -> Option<()> {
    let mut rest: &[u8] = &dict.buffer;
    for _ in 0..dict.num_values {
        let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        std::str::from_utf8(rest.get(4..4 + len)?).ok()?;
        rest = &rest[4 + len..];
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_parquet::parquet::CowBuffer;

    /// A dictionary page is copied only when every text is UTF-8: a hand-made file with bad
    /// bytes must be decoded, and refused by the decoder, not passed on to the platform.
    #[test]
    fn a_dictionary_with_bytes_that_are_not_utf8_is_not_copied() {
        let page = |texts: &[&[u8]]| {
            let mut buf = Vec::new();
            for t in texts {
                buf.extend_from_slice(&(t.len() as u32).to_le_bytes());
                buf.extend_from_slice(t);
            }
            DictPage::new(CowBuffer::Owned(buf), texts.len(), false)
        };
        assert!(utf8_texts(&page(&[b"woman", "Kvinna åäö".as_bytes(), b""])).is_some());
        assert!(utf8_texts(&page(&[b"woman", b"\xff\xfe"])).is_none());
        // A page shorter than it says it is.
        let mut short = page(&[b"woman"]);
        short.num_values = 2;
        assert!(utf8_texts(&short).is_none());
    }
}
