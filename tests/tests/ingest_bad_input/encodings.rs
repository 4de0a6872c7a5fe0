//! Encodings: semicolons, BOM and Windows-1252 read; Mac Roman, DOS code pages, text garbled by
//! a wrong encoding and UTF-8 letters cut short refused by place; decomposed letters composed.

use crate::support::*;

#[test]
fn semicolon_comma_bom_and_windows_1252_all_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = |org: &str| vec![row_with(&[("org_id", org), ("family_name", "Söderström")])];
    write(
        dir.path(),
        "comma.csv",
        csv_text(&header(), &rows("SAMPLE01"), b','),
    );
    write(
        dir.path(),
        "semi.csv",
        csv_text(&header(), &rows("SAMPLE02"), b';'),
    );
    let bom = [
        b"\xEF\xBB\xBF".as_slice(),
        csv_text(&header(), &rows("SAMPLE03"), b',').as_bytes(),
    ]
    .concat();
    write(dir.path(), "bom.csv", bom);
    let text = csv_text(&header(), &rows("SAMPLE04"), b';').replace('\n', "\r\n");
    let (cp, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    write(dir.path(), "excel.csv", cp.as_ref());
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_eq!(
        (report.totals.accepted, report.totals.failed_files),
        (4, 0),
        "{}",
        report.to_text()
    );
    for org in ["SAMPLE01", "SAMPLE02", "SAMPLE03", "SAMPLE04"] {
        let df = read_parquet(&out.path().join(format!("validated/{org}.parquet")));
        assert_eq!(
            strings(&df, "family_name"),
            vec![Some("Söderström".into())],
            "{org}"
        );
    }
}

/// Mac Excel's "CSV (Macintosh)" is Mac Roman, old DOS programs write code page 850: both put
/// å, ä and ö in 0x80–0x9F, where Windows-1252 has š, ” and †. Read as Windows-1252 the names
/// were silently spoilt ("Bjšrn"); the file is refused naming its line, without the name.
#[test]
fn mac_roman_and_dos_csv_files_are_refused_and_windows_1252_still_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let head = "org_id;record_id;report_year;contact_kind;given_name;family_name";
    let mac = [
        head.as_bytes(),
        b"\rTALITA;A1;2024;direct;Bj\x9arn;S\x9aderstr\x9am\r",
    ]
    .concat();
    write(dir.path(), "mac.csv", mac);
    let dos = [
        head.as_bytes(),
        b"\r\nTALITA;D1;2024;direct;Bj\x94rn;S\x94derstr\x94m\r\n",
    ]
    .concat();
    write(dir.path(), "dos.csv", dos);
    // Swedish letters in Windows-1252, one file with Š (0x8A) beside them.
    let cp = |name: &str, id: &str, given: &[u8], family: &[u8]| {
        let row = [
            format!("\r\nTALITA;{id};2024;direct;").as_bytes(),
            given,
            b";",
            family,
            b"\r\n",
        ]
        .concat();
        write(dir.path(), name, [head.as_bytes(), &row].concat());
    };
    cp("swedish.csv", "W1", b"\xC5sa", b"S\xF6derstr\xF6m");
    cp("croatian.csv", "W2", b"\x8Aime", b"\xC5str\xF6m");
    let (report, out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 2, 0);
    for (file, line, column) in [("mac.csv", 2, "given_name"), ("dos.csv", 2, "given_name")] {
        let e = file_error(&report, file);
        for part in [
            format!("{file}, line {line}: the file cannot be read (wrong encoding)"),
            format!("column {column}"),
            "\"CSV UTF-8\"".to_string(),
        ] {
            assert!(e.contains(&part), "{part}: {e}");
        }
        // The temporary folder's random name is no name of the file's (`.tmphwmBj5` once).
        let shown = e.replace(&dir.path().display().to_string(), "");
        assert!(
            !shown.contains("Bj") && !shown.contains("derstr"),
            "no name is shown: {e}"
        );
        // Saving again as Windows-1252 CSV would make the same kind of file.
        assert!(!e.contains("semikolonavgränsad"), "{e}");
    }
    let df = read_parquet(&out.path().join("validated/TALITA.parquet"));
    let mut names: Vec<Option<String>> = strings(&df, "given_name")
        .into_iter()
        .zip(strings(&df, "family_name"))
        .map(|(g, f)| Some(format!("{} {}", g?, f?)))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            Some("Åsa Söderström".to_string()),
            Some("Šime Åström".to_string())
        ]
    );
}

/// A UTF-8 file opened in Excel as Windows-1252 and saved again as UTF-8 holds "Ã…sa" for
/// Åsa and "SocialtjÃ¤nst" for Socialtjänst; an outside review found such files accepted, names
/// spoilt. Refused in any format like the other wrong encodings, naming the line and column,
/// not the name; a real name with Ã (JOÃO) is read.
#[test]
fn text_garbled_by_a_wrong_encoding_is_refused_without_showing_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = vec![
        row_with(&[("given_name", "JOÃO"), ("family_name", "GUIMARÃES")]),
        row_with(&[("record_id", "R2"), ("family_name", "Ã–berg")]),
    ];
    write(dir.path(), "names.csv", csv_text(&header(), &rows, b','));
    let label = vec![
        header(),
        row_with(&[("record_id", "X1")]),
        row_with(&[("record_id", "X2"), ("identified_by", "SocialtjÃ¤nst")]),
    ];
    workbook(&dir.path().join("labels.xlsx"), &[("Kontakter", label)]);
    let mut garbled_header = header();
    garbled_header[9] = "KÃ¶n".into();
    let head_only = csv_text(&garbled_header, &[row_with(&[("record_id", "H1")])], b';');
    write(dir.path(), "header.csv", head_only);
    let sheet = vec![garbled_header, row_with(&[("record_id", "H2")])];
    workbook(&dir.path().join("header.xlsx"), &[("Kontakter", sheet)]);
    write(
        dir.path(),
        "fine.csv",
        csv_text(&header(), &[rows[0].clone()], b','),
    );
    let (report, _out) = ingest(dir.path(), &IngestOptions::default());
    assert_counts(&report, 1, 0);
    for (file, at) in [
        (
            "names.csv",
            "names.csv, line 3, column family_name: the text is garbled",
        ),
        (
            "labels.xlsx",
            "labels.xlsx, sheet \"Kontakter\", line 3, column identified_by: the text is garbled",
        ),
        ("header.csv", "header.csv, line 1, field 10: the text is garbled"),
        (
            "header.xlsx",
            "header.xlsx, sheet \"Kontakter\", the header, column 10: the text is garbled",
        ),
    ] {
        let e = file_error(&report, file);
        assert!(e.contains(at) && e.contains("\"CSV UTF-8"), "{file}: {e}");
        assert!(!e.contains("berg") && !e.contains("Socialtj"), "{e}");
    }
}

/// macOS writes å, ä and ö decomposed (a + U+030A): the header "Kön" and the code label
/// "Socialtjänst" look right and must be read as the composed ones.
#[test]
fn a_decomposed_header_and_codes_are_read_as_the_composed_ones() {
    let text = "org_id,record_id,report_year,contact_kind,Ko\u{308}n,identified_by\n\
                TALITA,R1,2024,direct,Kvinna,Socialtja\u{308}nst\n";
    let (report, out, _d) = one_file("a.csv", text);
    assert_counts(&report, 1, 0);
    let df = read_parquet(&out.path().join("validated/TALITA.parquet"));
    assert_eq!(strings(&df, "gender"), [Some("woman".to_string())]);
    assert_eq!(
        strings(&df, "identified_by"),
        [Some("social_services".to_string())]
    );
    assert!(
        report.files[0].notes.iter().any(|n| n.contains("read as gender")),
        "{:?}",
        report.files[0].notes
    );
}

/// A UTF-8 file with one letter cut short is told by line and column, not as a file in
/// neither UTF-8 nor Windows-1252 to be saved as UTF-8.
#[test]
fn a_utf8_file_with_a_letter_cut_short_is_told_where() {
    // Another letter beyond English ones says the file is UTF-8 (alone, the broken Ö's first
    // byte reads as Windows-1252's Ã).
    let rows = vec![
        row_with(&[("given_name", "Åsa")]),
        row_with(&[("record_id", "R2"), ("family_name", "Öberg")]),
    ];
    let mut bytes = csv_text(&header(), &rows, b',').into_bytes();
    let at = bytes
        .windows(2)
        .rposition(|w| w == "Ö".as_bytes())
        .expect("the Ö");
    bytes.remove(at + 1);
    let (report, _out, _d) = one_file("a.csv", bytes);
    let error = report.files[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("line 3, column family_name: bytes that are not UTF-8 (1 place(s) in the file)"),
        "{error}"
    );
}

/// The same cut without another letter beyond English ones: the lone first byte of Ö would read
/// as Windows-1252's "Ã" ("Ãberg", a name no other organisation has); it is refused by place.
#[test]
fn a_utf8_file_whose_only_letter_was_cut_short_is_not_read_as_windows_1252() {
    let rows = vec![row_with(&[("record_id", "R2"), ("family_name", "Öberg")])];
    let mut bytes = csv_text(&header(), &rows, b',').into_bytes();
    let at = bytes.windows(2).position(|w| w == "Ö".as_bytes()).expect("the Ö");
    bytes.remove(at + 1);
    let (report, _out, _d) = one_file("a.csv", bytes);
    let error = report.files[0].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("line 2, column family_name: a byte that starts a UTF-8 letter"),
        "{error}"
    );
    assert!(!error.contains("Ãberg"), "{error}");
    assert_counts(&report, 0, 0);
}
