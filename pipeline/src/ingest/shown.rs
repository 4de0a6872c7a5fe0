//! What a message may repeat of a refused cell: nothing of a value that could be a name, a
//! birth date or a personal number typed into the wrong column (a block pasted one column
//! over), since the validation report may be forwarded; the row and column say where it is.
//! A value near an allowed answer is named by that answer only: common first names are near
//! answers too ("Nina" of "Kina", "Ivan" of "Iran", "Malin" of "Mali", an outside review found).

/// The allowed answer `raw` is a typo of (case and spaces aside): at most one edit in four
/// letters of the answer, and at least one.
pub fn near_answer<'a>(raw: &str, answers: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let raw = super::fields::collapse_spaces(raw).to_lowercase();
    answers
        .into_iter()
        .map(|a| (strsim::levenshtein(&raw, &a.to_lowercase()), a))
        .filter(|(d, a)| *d <= (a.chars().count() / 4).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// The refused value as a message speaks of it: by the answer it is near, or not at all. A
/// checkbox's TRUE or FALSE (SANT, FALSKT) is named as such: no name reads so, and "may be a
/// name" misled (an outside review).
pub fn refused<'a>(raw: &str, answers: impl IntoIterator<Item = &'a str>) -> String {
    let folded = raw.trim().to_lowercase();
    if ["true", "false", "sant", "falskt"].contains(&folded.as_str()) {
        return format!(
            "{:?} (a true or false, not an answer: a checkbox's or a formula's in Excel, which shows them as TRUE or FALSE, in Swedish SANT or FALSKT, or a column of true/false values in a Parquet file; write the answer, such as yes or no)",
            raw.trim()
        );
    }
    // Marks alone (`-`, `?`, `x`) are no one's name or date: shown, with what a mark cannot
    // say (a dash may mean no, none or not answered: only the organisation knows which).
    let t = raw.trim();
    if !t.is_empty() && t.chars().count() <= 3 && !t.chars().any(char::is_alphanumeric) {
        return format!(
            "{t:?} (a mark, not an answer: leave the cell empty when the question was not answered, or write the answer, such as no or unknown)"
        );
    }
    match near_answer(raw, answers) {
        Some(a) if lookalike(raw) => format!(
            "a value close to {a:?} (is that meant? The cell holds a Greek or Cyrillic letter that looks like a Latin one: type the answer again)"
        ),
        Some(a) => format!("a value close to {a:?} (is that meant?)"),
        None => NOT_SHOWN.to_string(),
    }
}

/// Whether a value holds a Greek or Cyrillic letter, which two strings that look the same on
/// screen would otherwise leave unexplained ("Kvinnа" with a Cyrillic а).
fn lookalike(raw: &str) -> bool {
    raw.chars().any(|c| ('\u{0370}'..='\u{052F}').contains(&c))
}

pub const NOT_SHOWN: &str =
    "the value (not shown: it is near no answer, so it may be a name or a date typed into the wrong column)";

/// A short value with no letters is shown (a year mistyped); anything longer or with letters
/// may be a birth date, a personal number or a name.
pub fn refused_year(raw: &str) -> String {
    let short = raw.chars().count() <= 6 && !raw.chars().any(char::is_alphabetic);
    if short {
        format!("\"{raw}\"")
    } else {
        NOT_SHOWN.to_string()
    }
}

/// A header, sheet or name the user typed, in quotes as they would see it, its unseen
/// characters named (`visible`). A text holding quotes of its own (a header typed `"Kön"`) is
/// put in « », so that the reader can tell the file's quotes from the message's.
pub fn quoted(text: &str) -> String {
    if text.contains('"') {
        format!("«{}»", visible(text))
    } else {
        format!("\"{}\"", visible(text))
    }
}

/// A text with the characters nobody sees named in words (`birth<non-breaking space>date`,
/// `Födelse-<line break>datum`), where a program's escapes (`\u{a0}`) meant nothing to the
/// staff who read the report, and a raw one left "rename Gender to gender" unexplained.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let name = match c {
            '\t' => "tab",
            '\r' if chars.peek() == Some(&'\n') => continue,
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => "line break",
            '\u{a0}' => "non-breaking space",
            '\u{202f}' => "narrow non-breaking space",
            '\u{2007}' => "figure space",
            '\u{200b}' => "zero-width space",
            '\u{200c}' => "zero-width non-joiner",
            '\u{200d}' => "zero-width joiner",
            '\u{2060}' => "word joiner",
            '\u{feff}' => "byte-order mark",
            '\u{ad}' => "soft hyphen",
            // Everything else a cell may not hold, and the marks of writing direction.
            c if super::fields::unseen(c) || ('\u{200e}'..='\u{200f}').contains(&c) => {
                out.push_str(&format!("<U+{:04X}>", u32::from(c)));
                continue;
            }
            c => {
                out.push(c);
                continue;
            }
        };
        out.push('<');
        out.push_str(name);
        out.push('>');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_shown_with_their_answer_and_names_and_dates_are_not() {
        let answers = ["woman", "man", "kvinna", "Kvinna", "other", "unknown"];
        assert_eq!(
            refused("kvinnna", answers),
            "a value close to \"kvinna\" (is that meant?)"
        );
        assert_eq!(
            refused("Wman", answers),
            "a value close to \"woman\" (is that meant?)"
        );
        assert!(refused("Kvinn\u{430}", answers).contains("Cyrillic letter"));
        assert!(!refused("kvinnna", answers).contains("Cyrillic"));
        assert!(refused("TRUE", answers).starts_with("\"TRUE\" (a true or false, not an answer: a checkbox"));
        assert!(
            refused("Falskt", answers).starts_with("\"Falskt\" (a true or false, not an answer: a checkbox")
        );
        for personal in [
            "Anna Svensson",
            "Lindqvist",
            "1990-03-05",
            "19900305-1233",
            "Inna Gusev (tolk: Olga)",
        ] {
            assert_eq!(refused(personal, answers), NOT_SHOWN, "{personal}");
        }
        assert_eq!(refused_year("202"), "\"202\"");
        for personal in ["19900305", "1990-03-05", "Anna"] {
            assert_eq!(refused_year(personal), NOT_SHOWN, "{personal}");
        }
    }

    #[test]
    fn characters_nobody_sees_are_named_and_the_rest_kept() {
        assert_eq!(quoted("birth\u{a0}date"), "\"birth<non-breaking space>date\"");
        assert_eq!(quoted("given\tname"), "\"given<tab>name\"");
        assert_eq!(quoted("\"Kön\""), "«\"Kön\"»");
        assert_eq!(
            visible("Födelse-\r\ndatum\u{200b}"),
            "Födelse-<line break>datum<zero-width space>"
        );
        assert_eq!(quoted("a\u{1}b\u{200e}"), "\"a<U+0001>b<U+200E>\"");
        // Every character a cell may not hold is shown, as the cell check finds them.
        assert_eq!(visible("a\u{2066}b\u{2028}"), "a<U+2066>b<line break>");
    }
}
