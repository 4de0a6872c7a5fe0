//! Turns a submitted CSV file's bytes into text: UTF-8 (with or without BOM), UTF-16 with BOM,
//! or the Windows-1252 that Swedish Excel writes. A file that is binary or in some other
//! encoding fails with its name and line, rather than being read as mojibake; so does text of
//! any format that was garbled before it was saved (`mojibake_at`).

use std::path::Path;

mod code_pages;
mod mojibake;
mod place;
#[cfg(test)]
mod tests;

use crate::error::FileError;
use code_pages::other_code_page;
pub use mojibake::mojibake_at;
use mojibake::{cut_short_lead, has_utf8_sequence, invalid_utf8};
use place::{column_at, field_at, line_at};

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
