//! Whole files: unreadable, empty, misnamed, cut short, padded, a linkage key among the
//! submissions, old or protected workbooks; line endings and Excel's separator hint.

use crate::support::*;

#[test]
fn unreadable_files_fail_alone_with_their_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "good.csv",
        csv_text(&header(), &[row_with(&[])], b','),
    );
    write(dir.path(), "empty.csv", "");
    write(dir.path(), "header-only.csv", csv_text(&header(), &[], b','));
    write(
        dir.path(),
        "binary.csv",
        [0x50u8, 0x4B, 0x03, 0x04, 0x00, 0x00, 0xFF, 0x00],
    );
    let mixed = [
        csv_text(
            &header(),
            &[row_with(&[("record_id", "X"), ("family_name", "Öberg")])],
            b',',
        )
        .as_bytes(),
        b"\xF6\n",
    ]
    .concat();
    write(dir.path(), "mixed-encoding.csv", mixed);
    write(dir.path(), "notes.pdf", "%PDF-1.4");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_eq!(report.totals.accepted, 1, "{}", report.to_text());
    assert_eq!(report.totals.failed_files, 5);
    let err = |f: &str| file_error(&report, f);
    assert!(err("empty.csv").contains("empty.csv") && err("empty.csv").contains("empty"));
    assert!(err("header-only.csv").contains("no data rows"));
    assert!(err("binary.csv").contains("binary"));
    assert!(
        err("mixed-encoding.csv").contains("line 3"),
        "{}",
        err("mixed-encoding.csv")
    );
    assert!(err("notes.pdf").contains("unsupported"));
    assert!(report.summary().contains("5 file(s) could not be read"));
    // The summary counts the files read, not every file named (it said "read 6 file(s)").
    assert!(
        report
            .summary()
            .starts_with("Ingest read 1 file(s) from 1 organisation(s) and could not read 5: 1 rows in"),
        "{}",
        report.summary()
    );
}

/// A workbook of 0 bytes is empty, as an empty CSV is told, not "not an XLSX workbook, or the
/// file is damaged (Zip error ...)".
#[test]
fn an_empty_workbook_is_told_it_is_empty() {
    let (report, _out, _d) = one_file("a.xlsx", "");
    let e = file_error(&report, "a.xlsx");
    assert!(e.ends_with("a.xlsx: the file is empty"), "{e}");
}

/// A linkage key left among the submissions (by its name, or by its 64 hexadecimal digits
/// under any name) is refused saying what it is and that it must be moved out, where it was
/// an "unsupported file type"; the file `run` was given as --key is named as that. A Keynote
/// presentation (a zip) named .key is no key.
#[test]
fn a_linkage_key_among_the_submissions_is_named_as_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", csv_text(&header(), &[row_with(&[])], b','));
    let hex = "3f9a0c5e7b21d4c86e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f\n";
    write(dir.path(), "linkage.key", hex);
    write(dir.path(), "key.txt", format!("\u{feff}{}", hex.to_uppercase()));
    write(dir.path(), "old.KEY", "not hex");
    write(dir.path(), "talk.key", b"PK\x03\x04 a Keynote presentation");
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 0);
    for (f, why) in [
        ("linkage.key", "64 or more hexadecimal digits"),
        ("key.txt", "64 or more hexadecimal digits"),
        ("old.KEY", "its name ends in .key"),
    ] {
        let e = file_error(&report, f);
        assert!(
            e.contains(&format!(
                "{f}: this is not a submission but, it seems, a linkage key ("
            )) && e.contains(why)
                && e.contains("must not be kept among the submissions")
                && e.contains("move it out of this folder")
                && !e.contains("--key")
                && !e.to_lowercase().contains(&hex[..16]),
            "{e}"
        );
    }
    assert!(file_error(&report, "talk.key").contains("unsupported file type"));
    // Given as --key (run does so), the file is named as the very key of the run.
    let opts = IngestOptions {
        linkage_key: Some(dir.path().join("old.KEY")),
        ..Default::default()
    };
    let (report, _out) = ingest(dir.path(), &opts);
    let e = file_error(&report, "old.KEY");
    assert!(
        e.contains("old.KEY: this is the linkage key this run was given (--key), not a submission")
            && e.ends_with("and run again giving its new place as --key"),
        "{e}"
    );
}

/// A file cut short in a copy or an upload ends inside its last row, short of fields and
/// without a line ending: refused whole, naming the line and its fields, to be sent again (an
/// outside review's cut file was accepted, the last row's answers read as empty). A complete
/// last row without a line ending, and a short row that ends its line, are read as before; a
/// cut inside a quote is refused too, and a quote that took earlier lines is still quarantined.
#[test]
fn a_csv_cut_short_in_its_last_row_is_refused_as_incomplete() {
    let good = csv_text(&header(), &[row_with(&[])], b',');
    let cut = "SAMPLE01,R2,2024,direct,,,Ana,Căpraru,,woman";
    for (name, text) in [
        ("lf.csv", format!("{good}{cut}")),
        ("crlf.csv", format!("{good}{cut}").replace('\n', "\r\n")),
        ("nul.csv", format!("{good}{cut}\0\0\0")),
        ("quote.csv", format!("{good}SAMPLE01,R2,2024,direct,,,Ana,\"Căpr")),
    ] {
        let (report, _out, _d) = one_file(name, &text);
        assert_counts(&report, 0, 0);
        let e = file_error(&report, name);
        let fields = if name == "quote.csv" { 8 } else { 10 };
        assert!(
            e.contains(&format!(
                "{name}, line 3: the file is incomplete (cut short in a copy or an upload?)"
            )) && e.contains(&format!("{fields} of the header's 23 fields"))
                && e.contains("send it again")
                && e.contains("never closed") == (name == "quote.csv"),
            "{e}"
        );
        assert!(!e.contains("Căpr"), "a name is not shown: {e}");
    }
    // The same row ending its line is a short row as Excel writes them: read, and counted.
    let (report, _out, _d) = one_file("a.csv", format!("{good}{cut}\n"));
    assert_counts(&report, 2, 0);
    // A complete last row without a line ending, also under a header with a separator left
    // at its end: nothing is missing.
    let last = row_with(&[("record_id", "R2")]).join(",");
    let (report, _out, _d) = one_file("a.csv", format!("{good}{last}"));
    assert_counts(&report, 2, 0);
    let trailing = good.replacen('\n', ",\n", 1);
    let (report, _out, _d) = one_file("a.csv", format!("{trailing}{last}"));
    assert_counts(&report, 2, 0);
    // A quote opened on an earlier line and never closed keeps its own problem.
    let (report, out, _d) = one_file(
        "a.csv",
        format!("{good}SAMPLE01,R2,2024,direct,,,Ana,\"Căp\nraru\",,wom"),
    );
    assert_counts(&report, 1, 2);
    assert!(rules_of(out.path()).iter().all(|r| r.2 == "unclosed_quote"));
    // Every row leaving off the empty last column, the last without a line ending, is no cut
    // (the row before it is as short); nor is a total under the rows.
    let short: Vec<String> = (1..=2)
        .map(|i| {
            let mut r = row_with(&[("record_id", &format!("S{i}"))]);
            r.truncate(r.len() - 1);
            r.join(",")
        })
        .collect();
    let text = format!("{}\n{}\n{}", header().join(","), short[0], short[1]);
    let (report, _out, _d) = one_file("short.csv", text);
    assert_eq!(report.totals.failed_files, 0, "{}", report.to_text());
    let (report, _out, _d) = one_file("total.csv", format!("{good}Totalt,523"));
    assert_eq!(report.totals.failed_files, 0, "{}", report.to_text());
}

/// A DOS end-of-file mark or NUL bytes after the last line (an interrupted copy) made a
/// phantom row, quarantined as one of wrong shape, or refused a short file as binary.
#[test]
fn an_end_of_file_mark_or_nul_padding_is_dropped_with_a_note() {
    let rows: Vec<Vec<String>> = (1..=3)
        .map(|i| row_with(&[("record_id", &format!("R{i}"))]))
        .collect();
    let text = csv_text(&header(), &rows, b',');
    for tail in [vec![0x1A], vec![0u8; 4096], vec![b'\n', 0x1A, 0, 0]] {
        let mut bytes = text.clone().into_bytes();
        bytes.extend(&tail);
        let (report, _out, _d) = one_file("a.csv", bytes);
        assert_counts(&report, 3, 0);
        let notes = &report.files[0].notes;
        assert!(
            notes.iter().any(|n| n.contains(&format!(
                "{} byte(s) after the last line dropped",
                tail.iter().filter(|&&b| b != b'\n').count()
            ))),
            "{notes:?}"
        );
    }
}

/// A workbook or Parquet file saved under a `.csv` name was refused as "a binary file" and
/// told to be exported as CSV, XLSX or Parquet, which it already was.
#[test]
fn a_workbook_or_parquet_file_named_csv_is_told_to_be_renamed() {
    for (bytes, what, ext) in [
        (b"PK\x03\x04\x14\x00rest".as_slice(), "an Excel workbook", ".xlsx"),
        (b"PAR1\x15\x04rest", "a Parquet file", ".parquet"),
    ] {
        let (report, _out, _d) = one_file("a.csv", bytes);
        let e = file_error(&report, "a.csv");
        assert!(e.contains(what) && e.contains(&format!("end in {ext}")), "{e}");
    }
}

#[test]
fn windows_line_endings_give_the_same_line_numbers() {
    let rows = vec![
        row_with(&[]),
        row_with(&[("record_id", "R2"), ("gender", "bogus")]),
    ];
    let lf = csv_text(&header(), &rows, b',');
    let crlf = lf.replace('\n', "\r\n");
    for text in [lf, crlf] {
        let (report, out, _d) = one_file("a.csv", &text);
        assert_eq!(report.totals.quarantined, 1);
        assert_eq!(
            rules_of(out.path()),
            vec![(3, "gender".to_string(), "unknown_code".to_string())],
            "the header is line 1, the bad row line 3, as in an editor"
        );
    }
}

#[test]
fn excel_separator_hint_is_read_and_line_numbers_stay() {
    let rows = vec![
        row_with(&[]),
        row_with(&[("record_id", "R2"), ("gender", "bogus")]),
    ];
    let text = format!("sep=;\r\n{}", csv_text(&header(), &rows, b';'));
    let (report, out, _d) = one_file("a.csv", &text);
    assert_counts(&report, 1, 1);
    assert_eq!(
        rules_of(out.path()),
        vec![(4, "gender".to_string(), "unknown_code".to_string())]
    );
    assert!(
        report.files[0].notes.iter().any(|n| n.contains("sep=")),
        "{:?}",
        report.files[0].notes
    );
}

#[test]
fn a_file_of_only_a_bom_or_only_separators_is_empty_and_a_cut_parquet_is_to_be_exported_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "bom.csv", b"\xEF\xBB\xBF");
    write(dir.path(), "separators.csv", ";;;;\r\n;;;;\r\n");
    let good = tempfile::tempdir().expect("tempdir");
    write(good.path(), "a.csv", csv_text(&header(), &[row_with(&[])], b','));
    let (_report, out) = ingest(good.path(), &IngestOptions::default());
    let bytes = std::fs::read(out.path().join("validated/SAMPLE01.parquet")).expect("parquet");
    write(dir.path(), "cut.parquet", &bytes[..bytes.len() / 2]);
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    for f in ["bom.csv", "separators.csv"] {
        assert!(
            file_error(&report, f).ends_with("the file is empty"),
            "{}",
            file_error(&report, f)
        );
    }
    let cut = file_error(&report, "cut.parquet");
    assert!(cut.contains("export it again"), "{cut}");
}

#[test]
fn a_semicolon_file_that_starts_with_a_blank_line_is_read() {
    let text = "\r\norg_id;record_id;report_year;contact_kind\r\nTALITA;R1;2024;direct\r\n";
    let (report, _out, _d) = one_file("a.csv", text);
    assert_counts(&report, 1, 0);
    assert!(
        report.files[0]
            .format
            .as_deref()
            .is_some_and(|f| f.contains("semicolon")),
        "{}",
        report.to_text()
    );
}

/// A workbook that is not an XLSX one says what it is and what to do: an Excel 97-2003 file
/// renamed was told "a CSV file renamed to .xlsx should be named .csv", and a zip of something
/// else "File not found '_rels/.rels'" (an outside review).
#[test]
fn an_old_excel_file_or_another_zip_named_xlsx_is_named_for_what_it_is() {
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend(std::iter::repeat_n(0u8, 600));
    let (report, _o, _d) = one_file("a.xlsx", ole);
    let e = report.files[0].error.clone().unwrap_or_default();
    assert!(
        e.contains("Excel 97-2003") && e.contains("save it as Excel Workbook (.xlsx)"),
        "{e}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b.xlsx");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    z.start_file("notes.txt", zip::write::SimpleFileOptions::default())
        .expect("entry");
    std::io::Write::write_all(&mut z, b"hello").expect("write");
    z.finish().expect("zip");
    let (report, _o) = ingest(dir.path(), &IngestOptions::default());
    let e = report.files[0].error.clone().unwrap_or_default();
    assert!(e.contains("zip archive but not an Excel workbook"), "{e}");
}

/// A workbook saved with a password (Excel wraps the encrypted .xlsx in the old compound
/// format, with an `EncryptedPackage` stream) is told it is password-protected and how to
/// remove the password, not that it is an Excel 97-2003 file renamed (an outside review).
/// The fixture is an outside review's synthetic workbook, encrypted by Excel's scheme.
#[test]
fn a_password_protected_workbook_is_told_to_have_its_password_removed() {
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/xlsx/password-protected.xlsx");
    let dir = folder_with(&fixture, "TALITA.xlsx");
    let (report, _o) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 0, 0);
    let e = file_error(&report, "TALITA.xlsx");
    assert!(
        e.contains("protected with a password (encrypted)")
            && e.contains("File > Info > Protect Workbook > Encrypt with Password")
            && !e.contains("97-2003"),
        "{e}"
    );
}
