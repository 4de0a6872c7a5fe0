//! Turns a submitted CSV file's bytes into text: UTF-8 (with or without BOM), UTF-16 with BOM,
//! or the Windows-1252 that Swedish Excel writes. A file that is binary or in some other
//! encoding fails with its name and line, rather than being read as mojibake; so does text of
//! any format that was garbled before it was saved (`mojibake_at`).

use std::path::Path;

use crate::error::FileError;

/// Decoded text and the name of the encoding it was found in (for the report).
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<Decoded, FileError> {
    let p = || path.to_path_buf();
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError::Empty { path: p() });
    }
    if let Some(what) = unread_encoding(&bytes) {
        return Err(FileError::OtherEncoding { path: p(), what });
    }
    if let Some(enc) = utf16_bom(&bytes) {
        let (text, _, had_errors) = enc.decode(&bytes);
        if had_errors {
            return Err(FileError::BrokenUtf16 { path: p() });
        }
        let text = text.trim_start_matches('\u{feff}').to_string();
        return unspoilt(path, text, "UTF-16");
    }
    if looks_binary(&bytes) {
        return Err(FileError::Binary { path: p() });
    }
    let (body, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest.to_vec(), true),
        None => (bytes, false),
    };
    match String::from_utf8(body) {
        Ok(text) => unspoilt(path, text, if bom { "UTF-8 with BOM" } else { "UTF-8" }),
        Err(e) => windows_1252(path, e.into_bytes()),
    }
}

/// Text decoded without error, unless it was garbled before it was saved (`mojibake_at`):
/// then it is refused naming the line and the field (and its column when the first line is
/// the contract's header), not the text, which is a person's name.
fn unspoilt(path: &Path, text: String, encoding: &'static str) -> Result<Decoded, FileError> {
    let Some(pos) = mojibake_at(&text) else {
        return Ok(Decoded { text, encoding });
    };
    let bytes = text.as_bytes();
    let (field, name) = field_at(bytes, pos);
    Err(FileError::Mojibake {
        at: crate::error::Place {
            path: path.to_path_buf(),
            sheet: None,
            header_line: 1,
        },
        location: format!(
            "line {}, {}",
            line_at(bytes, pos),
            name.map_or_else(|| format!("field {field}"), |n| format!("column {n}"))
        ),
    })
}

fn utf16_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    match bytes {
        [0xFF, 0xFE, ..] => Some(encoding_rs::UTF_16LE),
        [0xFE, 0xFF, ..] => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

/// UTF-32 (its byte-order mark starts like UTF-16's), or UTF-16 without a byte-order mark:
/// in the first block, a NUL in nearly every other byte and almost none between (Latin text
/// in UTF-16 has a NUL as every letter's high or low byte). Read as binary, an outside review's
/// files were called "a binary file" and "cut short".
fn unread_encoding(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) || bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Some("UTF-32");
    }
    if utf16_bom(bytes).is_some() {
        return None;
    }
    let head = &bytes[..bytes.len().min(8192) & !1];
    let pairs = head.len() / 2;
    if pairs < 4 {
        return None;
    }
    let nul_at = |odd: usize| head.iter().skip(odd).step_by(2).filter(|b| **b == 0).count();
    let (even, odd) = (nul_at(0), nul_at(1));
    let mostly = |n: usize| n * 10 >= pairs * 7;
    let hardly = |n: usize| n * 20 <= pairs;
    if mostly(odd) && hardly(even) {
        Some("UTF-16 (little-endian) without its byte-order mark")
    } else if mostly(even) && hardly(odd) {
        Some("UTF-16 (big-endian) without its byte-order mark")
    } else {
        None
    }
}

/// A high share of control characters (NULs among them) in the first block means "not text".
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    // A stray NUL in a text file is the cell's problem (quarantined with its line), not a
    // reason to refuse the whole file.
    controls * 20 > head.len()
}

fn windows_1252(path: &Path, bytes: Vec<u8>) -> Result<Decoded, FileError> {
    // A file that mixes valid UTF-8 sequences with invalid bytes was joined from files of two
    // encodings, or edited by a program that guessed wrong: neither reading is right. It is
    // told first, as the bytes of its UTF-8 letters (Ö is 0xC3 0x96) look like other code pages.
    if has_utf8_sequence(&bytes) {
        let (pos, places, letters) = invalid_utf8(&bytes);
        let (field, name) = field_at(&bytes, pos);
        let location = format!(
            "line {}, {}",
            line_at(&bytes, pos),
            name.map_or_else(|| format!("field {field}"), |n| format!("column {n}"))
        );
        // As many UTF-8 letters as broken places, or more: a few broken ones. Otherwise the
        // UTF-8-looking pairs may be Windows-1252 letters beside punctuation ("Å–" in
        // SJÖGRÅ–LIND), and the file must not be told it is UTF-8.
        let path = path.to_path_buf();
        return Err(if letters >= places {
            FileError::BrokenUtf8 {
                path,
                location,
                places,
            }
        } else {
            FileError::MixedEncoding { path, location }
        });
    }
    if let Some(pos) = cut_short_lead(&bytes) {
        let (field, name) = field_at(&bytes, pos);
        return Err(FileError::CutShortUtf8 {
            path: path.to_path_buf(),
            location: format!(
                "line {}, {}",
                line_at(&bytes, pos),
                name.map_or_else(|| format!("field {field}"), |n| format!("column {n}"))
            ),
        });
    }
    if let Some((pos, why)) = other_code_page(&bytes) {
        let (field, name) = field_at(&bytes, pos);
        return Err(FileError::Csv {
            path: path.to_path_buf(),
            line: line_at(&bytes, pos),
            message: format!(
                "the file cannot be read (wrong encoding): in field {field}{} (character {} of the line), byte 0x{:02X}, {why}, so names would be read with the wrong letters; save the file as \"CSV UTF-8\" (in Excel: Save as, file format \"CSV UTF-8 (kommaavgränsad)\") and send it again",
                name.map(|n| format!(", column {n}")).unwrap_or_default(),
                column_at(&bytes, pos),
                bytes[pos],
            ),
        });
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    Ok(Decoded {
        text: text.into_owned(),
        encoding: "Windows-1252",
    })
}

/// Where a file that is not UTF-8 shows that it is not Windows-1252 either, but the Mac Roman
/// of Mac Excel's "CSV (Macintosh)" or the DOS code page 850 of old Windows programs: the
/// byte that says so and why. Both put their accented letters in 0x80–0x9F (Mac Roman ä ö å =
/// 0x8A 0x9A 0x8C, code page 850 ä ö å = 0x84 0x94 0x86), where Windows-1252 has punctuation,
/// a few rare letters (Š š Œ Ž Ÿ) and five unassigned bytes, and keeps its own letters at 0xC0
/// and above (å ä ö = 0xE5 0xE4 0xF6), which Mac Roman reads as symbols. Read as Windows-1252
/// they would give "Bjšrn" or "Bj”rn" without any error. So:
/// - a byte Windows-1252 does not use (0x81 0x8D 0x8F 0x90 0x9D) refuses the file;
/// - a quote or symbol of Windows-1252 between two letters refuses it (not ’ or a dash);
/// - otherwise every byte above 0x7F that touches a letter is scored as each reading sees it:
///   a letter scores (å ä ö Å Ä Ö twice, being what these files hold most), punctuation
///   between letters does not (’ does in Windows-1252, as in O’Brien, Sa’id), and the file is
///   refused when the Mac Roman reading scores higher. Ties are read as Windows-1252, the
///   contract's format. A Windows-1252 file whose only letters beyond English ones are Š Ž
///   and the like is refused too; saving it as UTF-8 costs little, and names read with the
///   wrong letters are not seen until linking fails.
fn other_code_page(bytes: &[u8]) -> Option<(usize, &'static str)> {
    if let Some(pos) = bytes
        .iter()
        .position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
    {
        return Some((
            pos,
            "which Windows-1252 does not use, is a letter in Mac Roman (Mac Excel's \"CSV (Macintosh)\") or DOS code page 850",
        ));
    }
    // A quote or symbol of Windows-1252 between two letters is a letter of another code page
    // (code page 850 ö is ”); the apostrophes and the dashes are not (O’Brien, Lind–Ström, and
    // the ‘ of Uzbek and Kenyan names, G‘ofurov, Ng‘ang‘a, which an outside review's valid file
    // was refused for). A Mac Roman ë there (Citro‘n) is left to the count of letters below.
    let symbol = |b: u8| matches!(b, 0x80 | 0x82 | 0x84..=0x89 | 0x8B | 0x93..=0x95 | 0x99 | 0x9B);
    let letter = |b: u8| b.is_ascii_alphabetic() || windows_1252_score(b, false) > 0;
    if let Some(pos) = (1..bytes.len().saturating_sub(1))
        .find(|&i| symbol(bytes[i]) && letter(bytes[i - 1]) && letter(bytes[i + 1]))
    {
        return Some((
            pos,
            "between two letters, is a quote or symbol in Windows-1252 but a letter in Mac Roman (Mac Excel's \"CSV (Macintosh)\") or DOS code page 850",
        ));
    }
    // Polish, Czech and Romanian Windows (code page 1250) keep ł ą ľ where Windows-1252 has
    // ³ ¹ ¾, ż ş where it has ¿ º, and Ł Ą Ż Ş Ľ where it has £ ¥ ¯ ª ¼. Such a symbol after
    // a letter ("Micha³", "D¹browska"), ¿ or º between letters ("Mo¿ejko"), or a capital's
    // symbol before one ("£ukasz", "ªtefan") is a letter of that code page; "Mª José" and
    // "Nº 12" are not (a "m³" in a name column is taken for one).
    let after_letter = |b: u8| matches!(b, 0xB3 | 0xB9 | 0xBE);
    let between = |b: u8| matches!(b, 0xBA | 0xBF);
    let capital = |b: u8| matches!(b, 0xA3 | 0xA5 | 0xAA | 0xAF | 0xBC);
    if let Some(pos) = (0..bytes.len()).find(|&i| {
        let b = bytes[i];
        let before = i > 0 && letter(bytes[i - 1]);
        let after = bytes.get(i + 1).is_some_and(|&n| letter(n));
        after_letter(b) && before || between(b) && before && after || capital(b) && after
    }) {
        return Some((
            pos,
            "beside a letter, is a symbol in Windows-1252 (³ £ ¹ ¿ º) but a letter in the Central European code page 1250 (ł Ł ą ż ş) of Polish, Czech or Romanian Windows",
        ));
    }
    let wordy = |b: u8| b.is_ascii_alphabetic() || b >= 0x80;
    let (mut windows, mut mac, mut first) = (0u32, 0u32, None);
    for i in 0..bytes.len() {
        let b = bytes[i];
        let before = i > 0 && wordy(bytes[i - 1]);
        let after = bytes.get(i + 1).is_some_and(|&n| wordy(n));
        if b < 0x80 || !(before || after) {
            continue;
        }
        let (w, m) = (
            windows_1252_score(b, before && after),
            mac_roman_score(b, before && after),
        );
        windows += w;
        mac += m;
        if m > w && first.is_none() {
            first = Some(i);
        }
    }
    (mac > windows).then(|| {
        (
            first.unwrap_or(0),
            "and the file's other bytes above 0x7F read as letters in Mac Roman (Mac Excel's \"CSV (Macintosh)\") or DOS code page 850, not in Windows-1252",
        )
    })
}

/// How well byte `b`, next to a letter, reads in Windows-1252: 2 for å ä ö Å Ä Ö, 1 for
/// another letter or the apostrophe between letters, 0 for other punctuation.
fn windows_1252_score(b: u8, between: bool) -> u32 {
    match b {
        0xC4 | 0xC5 | 0xD6 | 0xE4 | 0xE5 | 0xF6 => 2,
        0x91 | 0x92 if between => 1,
        0x83 | 0x8A | 0x8C | 0x8E | 0x9A | 0x9C | 0x9E | 0x9F => 1,
        0xC0.. if b != 0xD7 && b != 0xF7 => 1,
        _ => 0,
    }
}

/// The same in Mac Roman, where 0x80–0x9F are all letters (0x80 Ä, 0x81 Å, 0x85 Ö, 0x8A ä,
/// 0x8C å, 0x9A ö) and of the bytes above only some: Æ Ø æ ø ß, À Ã Õ Œ œ, ÿ Ÿ, the capitals
/// 0xE5–0xF4; ’ (0xD5) between letters reads as the apostrophe.
fn mac_roman_score(b: u8, between: bool) -> u32 {
    match b {
        0x80 | 0x81 | 0x85 | 0x8A | 0x8C | 0x9A => 2,
        0x80..=0x9F => 1,
        0xD5 if between => 1,
        0xA7 | 0xAE | 0xAF | 0xBE | 0xBF | 0xCB..=0xCF | 0xD8 | 0xD9 | 0xE5..=0xF4 => 1,
        _ => 0,
    }
}

/// The line of byte `pos`, as an editor counts lines: a line ends at LF, CRLF or a lone CR
/// (old Mac files), so that a CR-only file's bad byte is not always on line 1.
fn line_at(bytes: &[u8], pos: usize) -> u64 {
    let breaks = bytes[..pos.min(bytes.len())]
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count();
    breaks as u64 + 1
}

/// The start of the line holding byte `pos`.
fn line_start(bytes: &[u8], pos: usize) -> usize {
    bytes[..pos]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(0, |i| i + 1)
}

/// Which character of its line byte `pos` is (from 1; one byte is one character in the
/// single-byte code pages concerned).
fn column_at(bytes: &[u8], pos: usize) -> usize {
    pos - line_start(bytes, pos) + 1
}

/// Which field of its line byte `pos` is in (from 1), counting the separator that is most
/// common in the first line outside quotes, and that field's column name when the first line
/// is the contract's header (`org_id`, `record_id` ...). A first line of data would be a
/// person's details, and the message must not show them.
fn field_at(bytes: &[u8], pos: usize) -> (usize, Option<String>) {
    let contract = |l: &[u8]| l.windows(9).any(|w| w == b"record_id") || l.windows(6).any(|w| w == b"org_id");
    // A title above the header (`read::skip_title_lines`) is not the header.
    let first_lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n' || b == b'\r')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(4)
        .collect();
    let header = first_lines
        .iter()
        .find(|l| contract(l))
        .or(first_lines.first())
        .copied()
        .unwrap_or_default();
    let header = match header.strip_prefix(b"sep=") {
        // Excel's separator hint names the separator; the header is the line after it.
        Some(_) => bytes
            .split(|&b| b == b'\n' || b == b'\r')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .nth(1)
            .unwrap_or_default(),
        None => header,
    };
    let sep = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|s| header.iter().filter(|b| *b == s).count())
        .unwrap_or(b',');
    let mut quoted = false;
    let mut field = 0;
    for &b in &bytes[line_start(bytes, pos)..pos] {
        match b {
            b'"' => quoted = !quoted,
            b if b == sep && !quoted => field += 1,
            _ => {}
        }
    }
    let name = header
        .split(|&b| b == sep)
        .nth(field)
        .map(|n| String::from_utf8_lossy(n).trim().trim_matches('"').to_string())
        .filter(|n| {
            contract(header)
                && !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    (field + 1, name)
}

/// Whether text was UTF-8, read as Windows-1252 and saved again as UTF-8 (Excel opening a
/// UTF-8 CSV as Windows-1252, then "CSV UTF-8"): every letter beyond English ones became two,
/// Å ä ö é as "Ã…" "Ã¤" "Ã¶" "Ã©" and a no-break space as "Â" and a space. The file is
/// valid UTF-8, so only these pairs tell: `Ã` (a UTF-8 lead byte for À–ÿ) or `Â` (for
/// U+0080–U+00BF) followed by what Windows-1252 reads in a continuation byte (0x80–0xBF). A
/// real name has `Ã` only before a letter (Portuguese "JOÃO", "GUIMARÃES"), never before one
/// of these, so the pair alone decides. Text of other languages garbled the same way starts
/// its pairs with Ä, Å, È, Ð or Ñ instead.
/// Returns the byte offset of the first such pair.
pub fn mojibake_at(text: &str) -> Option<usize> {
    // Most cells have no Ã or Â (both start with byte 0xC3): skip them without decoding.
    if !text.as_bytes().contains(&0xC3) {
        return None;
    }
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let Some(&(_, n)) = chars.peek() else {
            break;
        };
        let garbled = match c {
            'Ã' | 'Â' => windows_1252_continuation(n),
            // The lead letters of Polish, Czech and Romanian letters (ł as "Å‚", ę as "Ä™",
            // ș as "È™") and of Cyrillic ("Ð˜Ð²Ð°Ð½" for Иван). These capitals end real
            // names in capitals before a no-break space, a quote or a dash, so those do
            // not count after them.
            'Ä' | 'Å' | 'È' | 'Ð' | 'Ñ' => windows_1252_continuation(n) && !"\u{a0}‘’“”–—•".contains(n),
            _ => false,
        };
        if garbled {
            return Some(i);
        }
    }
    None
}

/// A character Windows-1252 decodes from a byte 0x80–0xBF: the same code point from 0xA0, a
/// punctuation mark or rare letter from 0x80–0x9F, or, for its five unused bytes, the control
/// character of that number.
fn windows_1252_continuation(c: char) -> bool {
    matches!(u32::from(c), 0x80..=0xBF) || "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ".contains(c)
}

/// Where a UTF-8 file whose only letter beyond English ones was cut short shows it: the lead
/// byte 0xC3 (of Å Ä Ö É, whose second byte was lost) left alone, after no capital and before a
/// small letter or the end of a field. Read as Windows-1252 it is "Ã", which a name has only
/// among capitals ("JOÃO"), so "Ãberg" or "SjögrÃ" is a broken letter, not a Windows-1252
/// one, and would otherwise link as a name no other organisation has. The lead byte 0xC2 is
/// not taken for one: UTF-8 starts no letter with it (only symbols such as ° and «), and
/// Windows-1252's "Â" begins names (Vietnamese Âu, Portuguese Ângela; an outside review's
/// generated sample was refused for Âu).
fn cut_short_lead(bytes: &[u8]) -> Option<usize> {
    bytes.iter().enumerate().position(|(i, &b)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + 1).copied();
        b == 0xC3
            && !before.is_some_and(|c| c.is_ascii_uppercase() || c >= 0x80)
            && after.is_none_or(|c| {
                c.is_ascii_lowercase() || matches!(c, b',' | b';' | b'\t' | b'"' | b'\r' | b'\n')
            })
    })
}

fn has_utf8_sequence(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .any(|w| matches!(w[0], 0xC3 | 0xC5 | 0xD0 | 0xD1 | 0xD8 | 0xD9) && (0x80..=0xBF).contains(&w[1]))
}

/// Where the first byte that is not UTF-8 is, at how many places such bytes are, and how
/// many letters beyond ASCII the rest reads as in UTF-8.
fn invalid_utf8(bytes: &[u8]) -> (usize, usize, usize) {
    let (mut first, mut places, mut letters, mut at) = (None, 0, 0, 0);
    for chunk in bytes.utf8_chunks() {
        letters += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        at += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            first.get_or_insert(at);
            places += 1;
            at += chunk.invalid().len();
        }
    }
    (first.unwrap_or(0), places, letters)
}

#[cfg(test)]
mod tests {
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
        let okina =
            dec(b"given_name;family_name\nWanjiru;Ng\x91ang\x91a\nBobur;G\x91ofurov\n").expect("read");
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
        let (line, _) =
            refused(b"org_id;given_name;family_name\nFA;Anna;Svensson\nFA;\xAAtefan;\xDEurcanu\n");
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
        let swedish =
            dec(b"given_name;family_name\r\n\xC5sa;S\xF6derstr\xF6m\r\n\xC4lva;\xE5\xE4\xF6\xE9\r\n")
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
        let plain =
            dec(b"given_name;family_name\nSa\x92id;Dell\x92Orto\nSean;O\x92Brien 5\x80\n").expect("read");
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
}
