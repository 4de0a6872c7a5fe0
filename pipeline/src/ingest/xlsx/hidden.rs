//! Rows Excel hides (by hand, or by a filter): the reader reads them like any other, so the
//! file's report says which they were. Staff sometimes hide a row to leave a case out; a row
//! hidden is still a record, and only deleting it leaves it out.
//!
//! The workbook reader does not tell whether a row is hidden, so the sheet's XML is read a
//! second time for the `hidden` attribute of its rows.

use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The lines (from 1) of `sheet` that Excel hides. None when the workbook's parts are not
/// where the format puts them: the rows were read, and only the note is lost.
pub(super) fn hidden_lines(path: &Path, sheet: &str) -> Option<Vec<u64>> {
    let file = std::fs::File::open(path).ok()?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).ok()?;
    let id = attribute_where(&mut zip, "xl/workbook.xml", ("sheet", "name", sheet), "id")?;
    let target = attribute_where(
        &mut zip,
        "xl/_rels/workbook.xml.rels",
        ("Relationship", "Id", &id),
        "Target",
    )?;
    // Relative to the workbook's folder, or absolute from the archive's root.
    let target = match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("xl/{target}"),
    };
    let part = zip.by_name(&target).ok()?;
    hidden_rows(BufReader::new(part))
}

/// In the archive's `part`, attribute `want` of the first element `element` whose attribute
/// `key` is `value` (the sheet's relation id in the workbook, the relation's target).
fn attribute_where<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    part: &str,
    (element, key, value): (&str, &str, &str),
    want: &str,
) -> Option<String> {
    let part = zip.by_name(part).ok()?;
    let mut found = None;
    each_element(BufReader::new(part), element, |e| {
        if attribute(e, key).as_deref() == Some(value) {
            found = attribute(e, want);
        }
        found.is_none()
    })?;
    found
}

/// The lines of the rows marked hidden in a sheet part.
fn hidden_rows(part: impl BufRead) -> Option<Vec<u64>> {
    let mut lines = Vec::new();
    each_element(part, "row", |e| {
        let hidden = attribute(e, "hidden").is_some_and(|v| v == "1" || v == "true");
        if let Some(line) = hidden
            .then(|| attribute(e, "r"))
            .flatten()
            .and_then(|r| r.parse().ok())
        {
            lines.push(line);
        }
        true
    })?;
    Some(lines)
}

/// Calls `f` on every element named `name` (by its local name) until it returns false.
fn each_element(part: impl BufRead, name: &str, mut f: impl FnMut(&BytesStart) -> bool) -> Option<()> {
    let mut reader = Reader::from_reader(part);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().into_inner() == name && !f(&e) => {
                return Some(());
            }
            Event::Eof => return Some(()),
            _ => {}
        }
        buf.clear();
    }
}

/// An attribute's value by its local name (`r:id` is `id`), unescaped.
fn attribute(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().into_inner() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn rows_marked_hidden_are_found_by_their_line() {
        let xml = br#"<worksheet><sheetData><row r="1"><c r="A1"/></row><row r="2" hidden="1"/><row r="3" spans="1:2" hidden="true"><c r="A3"/></row><row r="4" hidden="0"/></sheetData></worksheet>"#;
        assert_eq!(super::hidden_rows(&xml[..]), Some(vec![2, 3]));
    }
}
