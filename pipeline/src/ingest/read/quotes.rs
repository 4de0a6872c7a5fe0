//! Quotes inside a quoted CSV cell that are not doubled (`"An"na"`). The CSV reader does not
//! refuse them: it drops that quote and keeps the closing one (`Anna"`), so the cell is read
//! other than it was typed. Told as a note with line and column, never the cell's text.

/// Places shown in the note; the rest are counted.
const SHOWN: usize = 5;

/// A note naming where quoted cells hold a quote that is not doubled, if any do.
pub(super) fn stray_quotes(text: &str, delimiter: u8, header: &[String]) -> Option<String> {
    let found = scan(text.as_bytes(), delimiter);
    if found.is_empty() {
        return None;
    }
    let column = |c: usize| match header.get(c).filter(|h| !h.is_empty()) {
        Some(h) => format!("column {h}"),
        None => format!("column {}", c + 1),
    };
    let mut places: Vec<String> = found
        .iter()
        .take(SHOWN)
        .map(|&(line, c)| format!("line {line}, {}", column(c)))
        .collect();
    if found.len() > SHOWN {
        places.push(format!("and {} more", found.len() - SHOWN));
    }
    Some(format!(
        "{} cell(s) in quotes hold a quote (\") that is not written twice (\"\"): {}. The reader dropped that quote and kept the cell's closing one (\"An\"na\" is read as Anna\"); names are matched without quotes, but check those cells and write a quote inside a cell as \"\"",
        found.len(),
        places.join("; ")
    ))
}

/// (line, column) of each quote that ends a quoted cell's quoting but not the cell, as the
/// CSV reader parses: a quote opens quoting only as a cell's first character; inside, `""` is
/// a quote, and a quote followed by the separator or a line break closes the cell.
fn scan(b: &[u8], delimiter: u8) -> Vec<(u64, usize)> {
    let (mut line, mut column, mut i) = (1u64, 0usize, 0usize);
    let (mut at_start, mut quoted) = (true, false);
    let mut found = Vec::new();
    while let Some(&c) = b.get(i) {
        i += 1;
        if quoted {
            match (c, b.get(i)) {
                (b'"', Some(b'"')) => i += 1,
                (b'"', None | Some(b'\n')) => quoted = false,
                (b'"', Some(&d)) if d == delimiter => quoted = false,
                // Spaces after the closing quote (`"Anna" ,`) join the cell, which the
                // reading trims: the quote closed it as meant.
                (b'"', Some(_)) if closes_before_spaces(&b[i..], delimiter) => quoted = false,
                (b'"', Some(_)) => {
                    found.push((line, column));
                    quoted = false;
                }
                (b'\n', _) => line += 1,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' if at_start => quoted = true,
            b'\n' => {
                (line, column) = (line + 1, 0);
                at_start = true;
                continue;
            }
            d if d == delimiter => {
                column += 1;
                at_start = true;
                continue;
            }
            _ => {}
        }
        at_start = false;
    }
    found
}

/// Whether `rest` (after a quote) is spaces or tabs up to the separator, a line's end or the
/// end of the text.
fn closes_before_spaces(rest: &[u8], delimiter: u8) -> bool {
    match rest.iter().find(|&&c| c != b' ' && c != b'\t') {
        None | Some(b'\n') => true,
        Some(&c) => c == delimiter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_not_doubled_inside_quotes_is_found_with_its_line_and_column() {
        let header = ["record_id".to_string(), "given_name".to_string()];
        let find = |t: &str| scan(t.as_bytes(), b',');
        assert_eq!(find("a,b\n1,\"An\"na\"\n"), [(2, 1)]);
        assert_eq!(scan(b"a;b\n\"R\"1\";x\n", b';'), [(2, 0)]);
        // Doubled quotes, empty quoted cells, quotes inside unquoted cells and a line break
        // inside quotes are as the format has them.
        for fine in [
            "a,b\n1,\"An\"\"na\"\n",
            "a,b\n\"\",\"\"\n",
            "a,b\n1,An\"na\n",
            "a,b\n1,\"An\nna\"\n2,x\n",
            "a,b\n1,\"Anna\"",
            "a,b\n\"1\" ,\"Anna\" \t\n",
        ] {
            assert!(find(fine).is_empty(), "{fine:?}");
        }
        // Lines are counted through a line break inside quotes.
        assert_eq!(find("a,b\n1,\"x\ny\"\n2,\"B\"o\"\n"), [(4, 1)]);
        let note = stray_quotes("a,b\n1,\"An\"na\"\n", b',', &header).expect("a note");
        assert!(note.starts_with("1 cell(s) in quotes hold a quote"), "{note}");
        assert!(note.contains("line 2, column given_name"), "{note}");
        assert!(!note.contains("An\"na\"\n"), "the cell is not shown");
        let many: String = (0..7).map(|i| format!("{i},\"A\"b\"\n")).collect();
        let note = stray_quotes(&format!("a,b\n{many}"), b',', &header).expect("a note");
        assert!(note.contains("and 2 more"), "{note}");
    }
}
