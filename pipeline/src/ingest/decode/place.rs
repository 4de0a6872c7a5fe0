//! Where a byte is in a CSV file, as a person finds it: its line, its character in the line,
//! and its field and column name (never the field's text, which may be a person's name).

/// The line of byte `pos`, as an editor counts lines: a line ends at LF, CRLF or a lone CR
/// (old Mac files), so that a CR-only file's bad byte is not always on line 1.
pub(super) fn line_at(bytes: &[u8], pos: usize) -> u64 {
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
pub(super) fn column_at(bytes: &[u8], pos: usize) -> usize {
    pos - line_start(bytes, pos) + 1
}

/// Which field of its line byte `pos` is in (from 1), counting the separator that is most
/// common in the first line outside quotes, and that field's column name when the first line
/// is the contract's header (`org_id`, `record_id` ...). A first line of data would be a
/// person's details, and the message must not show them.
pub(super) fn field_at(bytes: &[u8], pos: usize) -> (usize, Option<String>) {
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
