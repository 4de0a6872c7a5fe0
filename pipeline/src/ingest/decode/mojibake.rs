//! Text spoilt by a wrong encoding before or while it was saved: UTF-8 read as Windows-1252
//! and saved again, a UTF-8 letter cut short, and a file that mixes the two encodings.

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
pub(super) fn cut_short_lead(bytes: &[u8]) -> Option<usize> {
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

pub(super) fn has_utf8_sequence(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .any(|w| matches!(w[0], 0xC3 | 0xC5 | 0xD0 | 0xD1 | 0xD8 | 0xD9) && (0x80..=0xBF).contains(&w[1]))
}

/// Where the first byte that is not UTF-8 is, at how many places such bytes are, and how
/// many letters beyond ASCII the rest reads as in UTF-8.
pub(super) fn invalid_utf8(bytes: &[u8]) -> (usize, usize, usize) {
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
