//! Ingest over a whole folder: a record sent twice (in two files, or spelt with other spacing)
//! is caught, rows swallowed by an unclosed quote are never accepted, invisible characters are
//! located, every sheet with records is read, and a folder entry that is not a file (a pipe, a
//! broken link) fails alone instead of stopping or hanging the run.
//! One test binary; its tests are in modules by concept, sharing the helpers below.

use safetally::ingest::IngestOptions;
use safetally_tests::*;

mod copies;
mod files;
mod text;
mod workbooks;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/parquet-types")
        .join(name)
}

/// (file, line, rule, message) of every quarantined problem of SAMPLE01.
fn problems(out: &std::path::Path) -> Vec<(String, i64, String, String)> {
    let df = read_parquet(&out.join("quarantine/SAMPLE01.parquet"));
    let s = |n: &str| strings(&df, n).into_iter().map(Option::unwrap_or_default);
    let lines = df.column("line").expect("line").i64().expect("i64").clone();
    s("file")
        .zip(lines.iter().map(|l| l.unwrap_or(-1)))
        .zip(s("rule").zip(s("message")))
        .map(|((f, l), (r, m))| (f, l, r, m))
        .collect()
}

/// A CSV written by hand, so that a cell can hold a quote the writer would have escaped.
fn raw_csv(rows: &[Vec<String>]) -> String {
    let mut text = header().join(",") + "\n";
    for r in rows {
        text += &(r.join(",") + "\n");
    }
    text
}

/// The record_id of every quarantined row of TALITA, in order.
fn quarantine_records(out: &std::path::Path) -> Vec<String> {
    let df = read_parquet(&out.join("quarantine/TALITA.parquet"));
    strings(&df, "record_id").into_iter().flatten().collect()
}

fn workbook(path: &std::path::Path, sheets: &[(&str, Vec<Vec<String>>)], first_col: u16) {
    workbook_at(path, sheets, first_col);
}

/// A workbook of `rows` (empty cells left unwritten), with `extra` run on its sheet.
fn workbook_with(
    path: &std::path::Path,
    rows: &[Vec<String>],
    extra: impl FnOnce(&mut rust_xlsxwriter::Worksheet),
) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    write_sheet(ws, rows);
    extra(ws);
    wb.save(path).expect("save");
}

/// Removes every formula's saved result from a workbook (`<v></v>` after `</f>`), as a script
/// that writes formulas without calculating them leaves them.
fn without_formula_results(path: &std::path::Path) {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::fs::File::open(path).expect("open")).expect("zip");
    let mut parts = Vec::new();
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).expect("part");
        let name = f.name().expect("name").to_string();
        let mut bytes: Vec<u8> = Vec::new();
        f.read_to_end(&mut bytes).expect("read");
        if name.starts_with("xl/worksheets/") {
            bytes = String::from_utf8(bytes)
                .expect("xml")
                .replace("</f><v></v>", "</f>")
                .into_bytes();
        }
        parts.push((name, bytes));
    }
    let mut zout = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    for (name, bytes) in parts {
        zout.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start");
        zout.write_all(&bytes).expect("write");
    }
    zout.finish().expect("finish");
}
