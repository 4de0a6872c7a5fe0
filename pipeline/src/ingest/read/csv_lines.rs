//! The lines a CSV file has before its records: Excel's `sep=` hint, a title above the header,
//! and the header line that tells the separator. Lines are blanked, never removed, so every
//! later line keeps its number.

use crate::ingest::header::{self, HeaderKind};

/// Excel writes, and reads, a first line `sep=;` that names the separator. It is blanked
/// rather than removed, so that every later line keeps its number (the parser skips a blank
/// line).
pub(super) fn take_separator_hint(text: &mut String) -> Option<u8> {
    let first = text.lines().next()?;
    let sep = first
        .trim()
        .strip_prefix("sep=")
        .or_else(|| first.trim().strip_prefix("SEP="))?;
    let delimiter = match sep {
        ";" => b';',
        "," => b',',
        "\t" | "" if first.contains('\t') => b'\t',
        _ => return None,
    };
    text.replace_range(..first.len(), "");
    Some(delimiter)
}

/// Lines of a title above the header (`Rapport 2024;;;;`, as a sheet with a heading saves):
/// up to three lines of at most two different values each, then a line naming every required
/// column, as `xlsx::skip_title_rows` takes them in a workbook. They are blanked, so that every
/// later line keeps its number, and a note says so; the file used to be refused, telling of
/// "0 of 1 cells" of a title that has as many cells as the header. Any other first line is the
/// header, as before.
pub(super) fn skip_title_lines(
    text: &mut String,
    classify: &dyn Fn(&[String]) -> HeaderKind,
) -> Option<String> {
    let cells = |line: &str, sep: u8| -> Vec<String> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(sep)
            .from_reader(line.as_bytes())
            .records()
            .next()
            .and_then(Result::ok)
            .map(|r| r.iter().map(|c| c.trim().to_string()).collect())
            .unwrap_or_default()
    };
    let mut lines: Vec<(u64, std::ops::Range<usize>)> = Vec::new();
    let mut at = 0;
    for (n, line) in text.split('\n').enumerate() {
        if !line.trim().is_empty() {
            lines.push((n as u64 + 1, at..at + line.len()));
        }
        at += line.len() + 1;
        if lines.len() == header::TITLE_ROWS + 1 {
            break;
        }
    }
    let line = |k: usize| &text[lines[k].1.clone()];
    let kind = |k: usize| classify(&cells(line(k), sniff_delimiter(line(k))));
    if lines.is_empty() || kind(0) != HeaderKind::Other {
        return None;
    }
    let k = (1..lines.len()).find(|&k| kind(k) == HeaderKind::Records)?;
    let sep = sniff_delimiter(line(k));
    // Split at the header's separator and at its own: a record written with another separator
    // is one cell at the header's, and must not be blanked as a title.
    let title = |j: usize| {
        [sep, sniff_delimiter(line(j))]
            .into_iter()
            .all(|sep| header::title_like(cells(line(j), sep).iter().map(String::as_str)))
    };
    if !(0..k).all(title) {
        return None;
    }
    let what = match k {
        1 => format!("line {}", lines[0].0),
        _ => format!("lines {}-{}", lines[0].0, lines[k - 1].0),
    };
    let note = format!(
        "{what} above the header (line {}) passed over: a title, not column names",
        lines[k].0
    );
    for (_, range) in lines[..k].iter().rev() {
        text.replace_range(range.clone(), "");
    }
    Some(note)
}

/// The header line decides: whichever of `;`, `,` and tab occurs most outside quotes. The
/// header is the first line that is not blank, as the CSV reader takes it: a blank first line
/// has no separators to count.
pub(super) fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for ch in first.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// Spaces between a separator and a quoted cell (`"org_id", "record_id"`, as some database
/// and script exports write): the CSV reader takes a quote only at a cell's very start, so every
/// cell but the first kept its quotes and the header was refused as "not a header" (an outside
/// review). Dropped, outside quotes and only before a quote, when the header line has them;
/// nothing else changes, so every line keeps its number. Returns the note to give.
pub(super) fn drop_spaces_before_quotes(text: &mut String, delimiter: u8) -> Option<String> {
    if delimiter == b' ' {
        return None;
    }
    let header = text.lines().find(|l| !l.trim().is_empty())?;
    let d = char::from(delimiter);
    let pattern = |line: &str| {
        line.split(d)
            .skip(1)
            .any(|cell| cell.starts_with(' ') && cell.trim_start_matches(' ').starts_with('"'))
    };
    if !pattern(header) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let (mut quoted, mut cell_start, mut dropped) = (false, true, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if quoted {
            // A doubled quote inside quotes is a quote in the text.
            if b == b'"' && bytes.get(i + 1) == Some(&b'"') {
                out.extend_from_slice(b"\"\"");
                i += 2;
                continue;
            }
            quoted = b != b'"';
        } else if cell_start && b == b' ' {
            let spaces = bytes[i..].iter().take_while(|&&c| c == b' ').count();
            if bytes.get(i + spaces) == Some(&b'"') {
                dropped += 1;
                i += spaces;
                continue;
            }
        } else if cell_start && b == b'"' {
            quoted = true;
        }
        cell_start = !quoted && (b == delimiter || b == b'\n');
        out.push(b);
        i += 1;
    }
    *text = String::from_utf8(out).expect("only ASCII spaces were taken out of UTF-8 text");
    Some(format!(
        "spaces between a separator and a quoted cell dropped ({dropped} cell(s); the file writes \"a\", \"b\"): the quotes enclose the cell"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_before_quoted_cells_are_dropped_outside_quotes_only() {
        let mut text =
            "\"org_id\", \"record_id\",  \"note\"\n\"A\", \"1\", \"x, \"\" y\"\n\"B\", 2, z \"w\"\n"
                .to_string();
        let note = drop_spaces_before_quotes(&mut text, b',').expect("dropped");
        assert_eq!(
            text,
            "\"org_id\",\"record_id\",\"note\"\n\"A\",\"1\",\"x, \"\" y\"\n\"B\", 2, z \"w\"\n"
        );
        assert!(note.contains("4 cell(s)"), "{note}");
        // Without them in the header, nothing changes.
        let mut plain = "org_id, record_id\nA, \"1\"\n".to_string();
        assert!(drop_spaces_before_quotes(&mut plain, b',').is_none());
        assert_eq!(plain, "org_id, record_id\nA, \"1\"\n");
    }

    #[test]
    fn excel_separator_hint_is_used_and_its_line_kept_blank() {
        let mut text = "sep=;\na;b\n1;2\n".to_string();
        assert_eq!(take_separator_hint(&mut text), Some(b';'));
        assert_eq!(text, "\na;b\n1;2\n");
        let mut plain = "sep;b\n".to_string();
        assert_eq!(take_separator_hint(&mut plain), None);
        assert_eq!(plain, "sep;b\n");
    }

    /// A title of one or two values above the header is blanked with a note (its lines keep
    /// their numbers); a first line of data, or a title more than three lines above the
    /// header, is left for the header check to refuse.
    #[test]
    fn a_title_above_the_header_is_passed_over_and_lines_keep_their_numbers() {
        let classify = |cells: &[String]| {
            if cells.first().is_some_and(|c| c == "org_id") && cells.len() > 2 {
                HeaderKind::Records
            } else {
                HeaderKind::Other
            }
        };
        let mut text =
            "Rapport 2024,,,,\n\n;;Frälsningsarmén;;Frälsningsarmén\norg_id;record_id;x\nA;B;C\n".to_string();
        let note = skip_title_lines(&mut text, &classify);
        assert_eq!(
            note.as_deref(),
            Some("lines 1-3 above the header (line 4) passed over: a title, not column names")
        );
        assert_eq!(text, "\n\n\norg_id;record_id;x\nA;B;C\n");
        for kept in [
            "FA,1,2024\norg_id,record_id,x\n",
            "FA;1;2024;Anna\norg_id,record_id,x\n",
            "a\nb\nc\nd\norg_id,record_id,x\n",
            "org_id,record_id,x\nA,B,C\n",
        ] {
            let mut text = kept.to_string();
            assert_eq!(skip_title_lines(&mut text, &classify), None, "{kept}");
            assert_eq!(text, kept);
        }
    }

    #[test]
    fn the_separator_is_guessed_from_the_first_line_that_is_not_blank() {
        assert_eq!(sniff_delimiter("\n  \norg_id;record_id;x,y\nA;B;C\n"), b';');
        assert_eq!(sniff_delimiter("org_id,record_id\n"), b',');
    }
}
