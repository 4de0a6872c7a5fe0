//! Checks of a cell's text as text, whatever its column: Unicode's composed form, Excel's
//! `="..."`, spaces, and what no cell may hold (Excel's error values, control characters).

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization as _;

use super::{Broken, broken};

/// Text in Unicode's composed form (NFC). macOS writes å as a + U+030A (NFD), which looks the
/// same but matches no code, label or column name, all of which are composed.
pub fn composed(raw: &str) -> Cow<'_, str> {
    // ASCII, as nearly every code is, is composed already.
    if raw.is_ascii() || unicode_normalization::is_nfc(raw) {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(raw.nfc().collect())
    }
}

/// The text inside Excel's `="..."`, the formula a CSV cell is written as to keep a number's
/// leading zeros (`="0042"`): Excel shows the text, so the text is what was meant. A cell
/// with a quote inside is left as it is: it is some other formula.
pub fn excel_text(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix("=\"")?.strip_suffix('"')?;
    (!inner.contains('"')).then_some(inner)
}

pub fn collapse_spaces(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Excel's error values, as English and Swedish Excel show them (a CSV saved from Swedish
/// Excel holds the Swedish ones; a workbook always stores the English).
const EXCEL_ERRORS: [&str; 22] = [
    "#REF!",
    "#DIV/0!",
    "#N/A",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "#VALUE!",
    "#DATA!",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#CONNECT!",
    "#BUSY!",
    "#UNKNOWN!",
    "#REFERENS!",
    "#DIVISION/0!",
    "#SAKNAS!",
    "#NAMN?",
    "#OGILTIGT!",
    "#VÄRDEFEL!",
];

/// A cell holding an error value of Excel's (its formula is broken) holds no answer, whatever
/// its column: read as text it would become a record id or a name.
pub fn excel_error(raw: &str) -> Option<Broken> {
    let v = raw.trim();
    EXCEL_ERRORS.iter().any(|e| e.eq_ignore_ascii_case(v)).then(|| {
        broken(
            "excel_error",
            format!(
                "the cell holds Excel's error value {v}: the formula that fills it is broken; fix the formula or type the value"
            ),
        )
    })
}

/// Line breaks as Unicode has them: a cell's text would otherwise become a space unseen, as
/// spaces are collapsed (Word and PDFs paste U+2028 and U+2029).
fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Whether `c` is one of the characters `control_character` refuses in a cell (messages
/// name them in words, `shown::visible`).
pub fn unseen(c: char) -> bool {
    (c.is_control() && c != '\t')
        || is_line_break(c)
        || matches!(
            c,
            '\u{00AD}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{FFFD}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// A character no cell should hold: control characters and line breaks (a NUL, U+2028), and
/// invisible ones that make two equal-looking values differ or reorder what is shown
/// (zero-width spaces, soft hyphens, direction overrides). Tabs are spaces; the zero-width
/// joiners that Persian and Indic names need are kept.
pub fn control_character(raw: &str) -> Option<Broken> {
    let (at, ch) = raw.chars().enumerate().find(|(_, c)| unseen(*c))?;
    let message = match ch {
        // A correctly quoted CSV cell (or Alt+Enter in an Excel cell) holds it: not a quote
        // left open, which shows as a row of the wrong shape.
        c if is_line_break(c) => format!(
            "the cell holds {} line break(s), the first after character {at} ({}): a line break inside a cell (inside quotes in CSV, Alt+Enter in Excel) is not allowed by the contract; put the text on one line",
            raw.chars()
                .filter(|&c| c != '\r' && is_line_break(c))
                .count()
                .max(1),
            match c {
                '\u{2028}' => "U+2028 LINE SEPARATOR",
                '\u{2029}' => "U+2029 PARAGRAPH SEPARATOR",
                _ => "a new line",
            }
        ),
        '\u{FFFD}' => format!(
            "character {} is U+FFFD, a letter lost when the file was converted between encodings; retype the value",
            at + 1
        ),
        c => format!(
            "character {} is the invisible or control character U+{:04X}; retype the value",
            at + 1,
            c as u32
        ),
    };
    Some(broken("control_character", message))
}

#[cfg(test)]
mod tests {
    use super::{composed, control_character, excel_text};

    #[test]
    fn excels_text_formula_and_decomposed_letters_are_read_as_meant() {
        assert_eq!(excel_text("=\"0042\""), Some("0042"));
        assert_eq!(excel_text("=\"\""), Some(""));
        for not in ["0042", "=A1", "=\"a\"&\"b\"", "=\"0042"] {
            assert_eq!(excel_text(not), None, "{not}");
        }
        assert_eq!(composed("Ko\u{308}n"), "Kön");
        assert!(matches!(composed("woman"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn every_kind_of_line_break_is_refused_and_not_blamed_on_a_quote() {
        for raw in ["A\u{2028}B", "A\u{2029}B", "Anna\nBerg"] {
            let b = control_character(raw).expect("refused");
            assert_eq!(b.rule, "control_character");
            assert!(b.message.contains("line break"), "{}", b.message);
            assert!(!b.message.contains("never closed"), "{}", b.message);
        }
        assert!(
            control_character("A\u{2028}B")
                .is_some_and(|b| b.message.contains("U+2028") && b.message.contains("after character 1"))
        );
        assert!(control_character("Anna Berg").is_none());
    }
}
