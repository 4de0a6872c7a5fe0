//! The tests of `decode`: encodings read, and the files refused for their encoding.

use super::*;

fn dec(b: &[u8]) -> Result<Decoded, FileError> {
    decode(Path::new("x.csv"), b.to_vec())
}

#[test]
fn encodings() {
    assert_eq!(dec(b"a,b\n1,2\n").map(|d| d.encoding).ok(), Some("UTF-8"));
    let bom = dec(b"\xEF\xBB\xBFa\n").expect("bom");
    assert_eq!((bom.text.as_str(), bom.encoding), ("a\n", "UTF-8 with BOM"));
    let cp = dec(b"namn\nS\xF6derstr\xF6m\n").expect("cp1252");
    assert_eq!(
        (cp.text.as_str(), cp.encoding),
        ("namn\nSöderström\n", "Windows-1252")
    );
    let u16: Vec<u8> = [0xFF, 0xFE, b'a', 0, b'\n', 0].to_vec();
    assert_eq!(dec(&u16).map(|d| d.text).ok().as_deref(), Some("a\n"));
}

/// The reason a file is refused, with its line.
fn refused(b: &[u8]) -> (u64, String) {
    match dec(b) {
        Err(FileError::Csv { line, message, .. }) => (line, message),
        Err(e) => panic!("refused otherwise: {e}"),
        Ok(d) => panic!("read as {}: {:?}", d.encoding, d.text),
    }
}

#[test]
fn mac_roman_and_dos_files_are_refused_where_their_letters_are() {
    let header = b"org_id;record_id;report_year;contact_kind;given_name;family_name";
    // Mac Roman ö is 0x9A (Windows-1252 š); old Mac files end lines with CR alone.
    let mac = [
        header.as_slice(),
        b"\rTALITA;A1;2024;direct;Bj\x9arn;S\x9aderstr\x9am\r",
    ]
    .concat();
    let (line, message) = refused(&mac);
    assert_eq!(line, 2, "the bad byte is on line 2 of a CR-only file");
    for part in [
        "cannot be read (wrong encoding)",
        "field 5, column given_name (character 25 of the line)",
        "0x9A",
        "\"CSV UTF-8\"",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(
        !message.contains("Bj") && !message.contains("derstr"),
        "no name quoted: {message}"
    );
    // Code page 850 ö is 0x94 (Windows-1252 ”), between two letters; the file has an
    // Windows-1252 letter elsewhere, so only that says it.
    let dos = [
        header.as_slice(),
        b"\r\nTALITA;A1;2024;direct;\xC5sa;Bj\x94rk\r\n",
    ]
    .concat();
    let (line, message) = refused(&dos);
    assert_eq!(line, 2);
    assert!(
        message.contains("column family_name") && message.contains("between two letters"),
        "{message}"
    );
    // Mac Roman Å is 0x81, unassigned in Windows-1252; a first line of data is not named.
    let (line, message) = refused(b"A1;\x81sa\nA2;Bo\n");
    assert_eq!(line, 1);
    assert!(
        message.contains("field 2 (") && !message.contains("column"),
        "{message}"
    );
}

/// Mac Roman files an outside review found read as Windows-1252 with wrong letters (Ö as
/// …, ë as ‘, ü as Ÿ, ö as š beside a Mac apostrophe read as Õ), and a Windows-1252 name
/// with an en dash between letters that a stricter rule refused.
#[test]
fn mac_roman_letters_anywhere_refuse_and_a_dash_between_letters_does_not() {
    for mac in [
        b"given_name;family_name\n\x85rjan;Lind\nIngrid;\x85stberg\n".as_slice(),
        b"given_name;family_name\nZo\x91;M\x9Fller\nG\x9Fnter;M\x9Fller\n",
        b"given_name;family_name\nBj\x9Arn;Str\x9Am\nSean;O\xD5Brien\n",
        b"given_name;family_name\nP\x8Ar;H\x8Ckansson\nJos\x8E;Garc\x92a\n",
    ] {
        refused(mac);
    }
    let dash = dec(b"given_name;family_name\nKarl;Lind\x96Str\xF6m\n").expect("read");
    assert_eq!(dash.text, "given_name;family_name\nKarl;Lind–Ström\n");
    let okina = dec(b"given_name;family_name\nWanjiru;Ng\x91ang\x91a\nBobur;G\x91ofurov\n").expect("read");
    assert_eq!(
        okina.text,
        "given_name;family_name\nWanjiru;Ng‘ang‘a\nBobur;G‘ofurov\n"
    );
}

/// A Polish and a Romanian name saved by Windows in code page 1250 read as Windows-1252
/// "Micha³ £ukaszewicz" and "ªtefan Þurcanu": refused where the first such letter is.
#[test]
fn central_european_windows_files_are_refused_where_their_letters_are() {
    let (line, message) =
        refused(b"org_id;given_name;family_name\nFA;Anna;Svensson\nFA;Micha\xB3;Kowalski\n");
    assert_eq!(line, 3);
    assert!(
        message.contains("code page 1250") && message.contains("given_name"),
        "{message}"
    );
    let (line, _) = refused(b"org_id;given_name;family_name\nFA;Anna;Svensson\nFA;\xAAtefan;\xDEurcanu\n");
    assert_eq!(line, 3);
    // A pound sign or an ordinal beside digits, and Spanish ordinals, are
    // not letters of a name.
    assert!(dec(b"a;b\n\xA35;1\xBA\n").is_ok());
    assert!(dec(b"a;b\nM\xAA Jos\xE9;N\xBA 12\n").is_ok());
    let (line, _) = refused(b"org_id;given_name\nFA;Mo\xBFejko\n");
    assert_eq!(line, 2);
}

#[test]
fn windows_1252_with_swedish_and_rarer_letters_is_read() {
    let swedish = dec(b"given_name;family_name\r\n\xC5sa;S\xF6derstr\xF6m\r\n\xC4lva;\xE5\xE4\xF6\xE9\r\n")
        .expect("read");
    assert_eq!(
        swedish.text,
        "given_name;family_name\r\nÅsa;Söderström\r\nÄlva;åäöé\r\n"
    );
    // Š (0x8A) beside Swedish letters, and Excel's curly apostrophe in O’Brien.
    let rarer = dec(b"given_name;family_name\n\x8Aimic;\xD6berg\nSean;O\x92Brien\n").expect("read");
    assert_eq!(rarer.text, "given_name;family_name\nŠimic;Öberg\nSean;O’Brien\n");
    assert_eq!(rarer.encoding, "Windows-1252");
    // Foreign names with apostrophes anywhere in the word, and a euro sign, in a file
    // without any Swedish letter (an outside review found these refused).
    let plain = dec(b"given_name;family_name\nSa\x92id;Dell\x92Orto\nSean;O\x92Brien 5\x80\n").expect("read");
    assert_eq!(
        plain.text,
        "given_name;family_name\nSa’id;Dell’Orto\nSean;O’Brien 5€\n"
    );
}

/// UTF-8 text read as Windows-1252 and saved again (an outside review found it accepted):
/// names and labels alike; real names with Ã, and the garbled text's own letters, are not.
#[test]
fn utf8_read_as_windows_1252_and_saved_again_is_told_from_real_names() {
    for garbled in [
        "Ã…sa",
        "Ã–berg",
        "Ã„rla",
        "Ã…ngstrÃ¶m",
        "PÃ©rez",
        "SocialtjÃ¤nst",
        "MÃ¼ller",
        "BjÃ¸rn",
        "Ã\u{81}lvarez",
        "Lund\u{c2}\u{a0}Berg",
        "WaÅ‚Ä™sa",
        "BucureÈ™ti",
        "Ð˜Ð²Ð°Ð½",
        "DvoÅ™Ã¡k",
    ] {
        assert!(mojibake_at(garbled).is_some(), "{garbled}");
    }
    for real in [
        "Åsa",
        "Söderström",
        "JOÃO",
        "GUIMARÃES",
        "Ãngela",
        "Ã",
        "Â",
        "Nguyễn",
        "São Tomé",
        "O’Brien",
        "Lind–Ström",
        "ÅSA ÄRLA",
        "PEÑA",
        "GUÐRÚN",
        "BRÄ\u{a0}BERG",
        "SJÖGRÅ–LIND",
        "Wałęsa",
        "Иван",
    ] {
        assert_eq!(mojibake_at(real), None, "{real}");
    }
}

#[test]
fn lines_end_at_lf_crlf_and_a_lone_cr() {
    assert_eq!(line_at(b"a\r\nb\rc\nd", 7), 4);
    assert_eq!(line_at(b"a\r\nb", 2), 1);
    assert_eq!(line_at(b"a\r\nb", 3), 2);
}

#[test]
fn refuses_binary_empty_and_mixed() {
    assert!(matches!(dec(b""), Err(FileError::Empty { .. })));
    assert!(matches!(
        dec(b"PK\x03\x04\x00\x00"),
        Err(FileError::Binary { .. })
    ));
    assert!(matches!(
        dec("a\nSöder\n"
            .as_bytes()
            .iter()
            .chain(b"\xF6\n")
            .copied()
            .collect::<Vec<_>>()
            .as_slice()),
        Err(FileError::BrokenUtf8 { places: 1, .. })
    ));
    // More broken places than UTF-8 letters: mixed, not said to be UTF-8.
    assert!(matches!(
        dec("a\nSöder\n"
            .as_bytes()
            .iter()
            .chain(b"\xF6\n\xE4\n")
            .copied()
            .collect::<Vec<_>>()
            .as_slice()),
        Err(FileError::MixedEncoding { .. })
    ));
}

/// UTF-32, and UTF-16 without its byte-order mark, are named (they were called a binary
/// file and a file cut short); UTF-16 with its mark is read, and Swedish UTF-8 is not
/// taken for UTF-16.
#[test]
fn utf32_and_utf16_without_its_mark_are_named() {
    let text = "org_id;record_id;given_name\nFA;1;Åsa\nFA;2;Örjan\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    let utf32: Vec<u8> = [0xFF, 0xFE, 0, 0]
        .into_iter()
        .chain(text.chars().flat_map(|c| (c as u32).to_le_bytes()))
        .collect();
    for (bytes, what) in [
        (&le, "UTF-16 (little-endian)"),
        (&be, "UTF-16 (big-endian)"),
        (&utf32, "UTF-32"),
    ] {
        let e = dec(bytes).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.contains(&format!("text in {what}")) && e.contains("CSV UTF-8"),
            "{e}"
        );
    }
    let with_mark: Vec<u8> = [0xFF, 0xFE].into_iter().chain(le.iter().copied()).collect();
    assert_eq!(dec(&with_mark).map(|d| d.encoding).ok(), Some("UTF-16"));
    assert_eq!(dec(text.as_bytes()).map(|d| d.encoding).ok(), Some("UTF-8"));
}

/// A Windows-1252 file whose letters beside punctuation look like UTF-8 ("Å–" is 0xC5
/// 0x96) is not told it is UTF-8; and a title above the header does not hide the column.
#[test]
fn windows_1252_letters_that_look_like_utf8_are_not_called_utf8() {
    let text = dec(b"org_id;record_id;family_name\nFA;1;\xC5berg\nFA;2;SJ\xD6GR\xC5\x96LIND\n")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        text.contains("line 2, column family_name: the file mixes bytes"),
        "{text}"
    );
    assert!(!text.contains("rest of the file is UTF-8"), "{text}");
    let mut titled = "Rapport 2024\norg_id;record_id;given_name\nFA;1;Иван\nFA;2;"
        .as_bytes()
        .to_vec();
    titled.extend_from_slice(b"\xD0x\n");
    let text = dec(&titled).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        text.contains("line 4, column given_name: bytes that are not UTF-8"),
        "{text}"
    );
}

/// A UTF-8 file with a letter cut short is told where, by line and column, and how many
/// such places it has; the message no longer suggests it is in some other encoding.
#[test]
fn a_broken_letter_in_a_utf8_file_is_named_by_line_and_column() {
    let mut bytes = "org_id,record_id,given_name\nFA,1,Иван\nFA,2,"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(b"\xD0,x\nFA,3,\xE4\n");
    let Err(e) = dec(&bytes) else {
        panic!("read a file with broken letters")
    };
    let text = e.to_string();
    assert!(
        text.contains("line 3, column given_name: bytes that are not UTF-8 (2 place(s) in the file)"),
        "{text}"
    );
    assert!(!text.contains("neither"), "{text}");
}

/// A UTF-8 file whose only letter beyond English ones lost its second byte has no valid
/// UTF-8 letter left to tell it by; its lone lead byte before a small letter or the field's
/// end is refused, while Windows-1252 capitals Ã (JOÃO) and Å Ä Ö are still read.
#[test]
fn a_utf8_letter_cut_short_is_not_read_as_windows_1252() {
    for (bytes, line) in [
        (
            &b"org_id;record_id;family_name\nFA;1;Lind\nFA;2;\xC3berg\n"[..],
            3,
        ),
        (&b"org_id;record_id;family_name\nFA;1;Sj\xC3\n"[..], 2),
        (&b"org_id;record_id;family_name\nFA;1;\"Sj\xC3\""[..], 2),
    ] {
        let text = dec(bytes).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains(&format!(
                "line {line}, column family_name: a byte that starts a UTF-8 letter"
            )),
            "{text}"
        );
    }
    for good in [
        &b"org_id;record_id;given_name\nFA;1;JO\xC3O\nFA;2;\xC5sa\n"[..],
        &b"org_id;record_id;given_name\nFA;1;S\xC3O PAULO\nFA;2;\xD6rjan\n"[..],
        &b"org_id;record_id;family_name\nFA;1;\xC2u\nFA;2;Nguy\xEAn\n"[..],
        &b"org_id;record_id;given_name\nFA;1;\xC2ngela\n"[..],
    ] {
        let decoded = dec(good).map(|d| d.text).unwrap_or_else(|e| panic!("{e}"));
        assert!(['Ã', 'Å', 'Â'].iter().any(|c| decoded.contains(*c)), "{decoded}");
    }
}
