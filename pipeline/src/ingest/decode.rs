//! Turns a submitted CSV file's bytes into text: UTF-8 (with or without BOM), UTF-16 with BOM,
//! or the Windows-1252 that Swedish Excel writes. A file that is binary or in some other
//! encoding fails with its name and line, rather than being read as mojibake.

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
    if let Some(enc) = utf16_bom(&bytes) {
        let (text, _, had_errors) = enc.decode(&bytes);
        if had_errors {
            return Err(FileError::Encoding { path: p(), line: 1 });
        }
        return Ok(Decoded {
            text: text.trim_start_matches('\u{feff}').to_string(),
            encoding: "UTF-16",
        });
    }
    if looks_binary(&bytes) {
        return Err(FileError::Binary { path: p() });
    }
    let (body, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest.to_vec(), true),
        None => (bytes, false),
    };
    match String::from_utf8(body) {
        Ok(text) => Ok(Decoded {
            text,
            encoding: if bom { "UTF-8 with BOM" } else { "UTF-8" },
        }),
        Err(e) => windows_1252(path, e.into_bytes()),
    }
}

fn utf16_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    match bytes {
        [0xFF, 0xFE, ..] => Some(encoding_rs::UTF_16LE),
        [0xFE, 0xFF, ..] => Some(encoding_rs::UTF_16BE),
        _ => None,
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
    // Bytes 0x81, 0x8D, 0x8F, 0x90 and 0x9D are unassigned in Windows-1252; a file that has them,
    // or that mixes valid UTF-8 sequences with invalid bytes, is in some other encoding.
    let first_bad = bytes
        .iter()
        .position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D));
    let mixed = has_utf8_sequence(&bytes).then(|| first_invalid_utf8(&bytes));
    if let Some(pos) = first_bad.or(mixed) {
        let line = bytes[..pos].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        return Err(FileError::Encoding {
            path: path.to_path_buf(),
            line,
        });
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    Ok(Decoded {
        text: text.into_owned(),
        encoding: "Windows-1252",
    })
}

fn has_utf8_sequence(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .any(|w| matches!(w[0], 0xC3 | 0xC5 | 0xD0 | 0xD1 | 0xD8 | 0xD9) && (0x80..=0xBF).contains(&w[1]))
}

fn first_invalid_utf8(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(_) => 0,
        Err(e) => e.valid_up_to(),
    }
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
            Err(FileError::Encoding { line: 3, .. })
        ));
    }
}
