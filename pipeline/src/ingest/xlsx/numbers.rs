//! Whole numbers in cells whose number format pads them with zeros or puts a dash in them
//! (`0000000000`, `000000-0000`, `00000`): read as Excel shows them. A personal number or a
//! record id typed into a cell not formatted as text is stored as a number, and the zeros and
//! the dash the person sees are only the format's.

use std::collections::{BTreeMap, HashSet};

use super::formats::CellFormats;
use super::{and_more, cell_name};

/// Replaces the text of each whole-number cell whose format shows it otherwise (`numbers`:
/// the cells and their values) by what the format shows. Returns the cells changed, and a
/// note naming them.
pub(super) fn show_as_formatted(
    rows: &mut BTreeMap<u32, Vec<(u32, String)>>,
    numbers: &[((u32, u32), i64)],
    formats: &CellFormats,
    sheet: &str,
) -> (HashSet<(u32, u32)>, Option<String>) {
    let mut changed: Vec<((u32, u32), &str)> = Vec::new();
    for &(pos, value) in numbers {
        let Some(code) = formats.get(&pos) else { continue };
        let Some(shown) = shown_number(code, value) else {
            continue;
        };
        let cell = rows
            .get_mut(&pos.0)
            .and_then(|cells| cells.iter_mut().find(|(c, _)| *c == pos.1));
        if let Some((_, text)) = cell
            && *text != shown
        {
            *text = shown;
            changed.push((pos, code));
        }
    }
    let mut codes: Vec<&str> = changed.iter().map(|(_, code)| *code).collect();
    codes.sort_unstable();
    codes.dedup();
    let note = changed.first().map(|&(first, _)| {
        format!(
            "sheet {sheet:?}, cell {}{}: a number in a cell whose number format ({}) shows it with leading zeros or other characters; read as Excel shows it",
            cell_name(first),
            and_more(changed.len()),
            codes.join(", ")
        )
    });
    (changed.into_iter().map(|(pos, _)| pos).collect(), note)
}

/// Whether a format shows some whole numbers otherwise than as their digits.
pub(super) fn changes_numbers(code: &str) -> bool {
    shown_number(code, 1).is_some_and(|shown| shown != "1")
}

/// What a format made of digit placeholders (`0`, `#`, `?`) and literal characters shows of
/// a whole number, as Excel writes it: the digits fill the placeholders from the right, `0`
/// shows a zero where the digits have run out, `?` a space, `#` nothing, and digits beyond the
/// placeholders go before the first one; a negative number takes a minus sign in front where
/// the format has one section. Colours and locales (`[Red]`, `[$-41D]`) show nothing, a
/// currency (`[$R]`) its symbol, padding (`_)`, `*x`) nothing. None for any other format
/// (decimals, thousands separators, percentages, exponents, fractions, dates, text,
/// conditions), for a negative number a second section shows, and for a zero that a third
/// section or a format without a `0` placeholder shows otherwise: those are read as the number.
pub fn shown_number(code: &str, value: i64) -> Option<String> {
    enum Item {
        Digit(char),
        Text(String),
    }
    let mut items = Vec::new();
    let mut chars = code.chars();
    // The sections after the first, when there are any.
    let mut rest_of_code: Option<&str> = None;
    while let Some(c) = chars.next() {
        match c {
            ';' => {
                rest_of_code = Some(chars.as_str());
                break;
            }
            '0' | '#' | '?' => items.push(Item::Digit(c)),
            '"' => items.push(Item::Text(chars.by_ref().take_while(|&q| q != '"').collect())),
            '\\' => items.push(Item::Text(chars.next()?.to_string())),
            '[' => {
                let inner: String = chars.by_ref().take_while(|&q| q != ']').collect();
                match inner.strip_prefix('$') {
                    // A currency symbol (before any locale) is shown; a locale alone is not.
                    Some(currency) => {
                        let symbol = currency.split('-').next().unwrap_or_default();
                        items.push(Item::Text(symbol.to_string()));
                    }
                    // A colour (`Red`, `Color10`) shows no character.
                    None if inner.chars().all(char::is_alphanumeric) => {}
                    // A condition (`[<=9999999]`) chooses among sections.
                    None => return None,
                }
            }
            // Padding the width of the next character, or the next character repeated to fill
            // the cell: neither is part of the number.
            '_' | '*' => {
                chars.next()?;
            }
            // `/` between placeholders makes a fraction (`# ?/?`): not a literal.
            '-' | ' ' | '(' | ')' | '+' | ':' => items.push(Item::Text(c.to_string())),
            _ => return None,
        }
    }
    if value < 0 && rest_of_code.is_some() {
        return None;
    }
    let slots = items.iter().filter(|i| matches!(i, Item::Digit(_))).count();
    if slots == 0 {
        return None;
    }
    // Excel shows a zero by the third section where there is one (quotes aside, which a `;`
    // may sit in: then the format is left alone too), and shows nothing for `#` alone.
    let zero_digit = items.iter().any(|i| matches!(i, Item::Digit('0')));
    if value == 0 && (rest_of_code.is_some_and(|r| r.contains(';')) || !zero_digit) {
        return None;
    }
    let digits: Vec<char> = value.unsigned_abs().to_string().chars().collect();
    let extra = digits.len().saturating_sub(slots);
    // Digits from the right, placeholder by placeholder from the right.
    let mut pending = digits.iter().rev();
    let mut shown: Vec<String> = Vec::with_capacity(items.len());
    let mut seen = 0;
    for item in items.iter().rev() {
        match item {
            Item::Text(t) => shown.push(t.clone()),
            Item::Digit(p) => {
                seen += 1;
                let mut here: String = pending.next().map_or_else(
                    || match p {
                        '0' => "0".into(),
                        '?' => " ".into(),
                        _ => String::new(),
                    },
                    char::to_string,
                );
                if seen == slots && extra > 0 {
                    // The digits left, in their own order.
                    let rest: String = pending.by_ref().rev().collect();
                    here = rest + &here;
                }
                shown.push(here);
            }
        }
    }
    shown.reverse();
    let sign = if value < 0 { "-" } else { "" };
    Some(format!("{sign}{}", shown.concat()))
}

#[cfg(test)]
mod tests {
    use super::shown_number;

    #[test]
    fn whole_numbers_are_shown_as_their_formats_show_them() {
        for (code, value, want) in [
            ("000000-0000", 5_171_236, Some("000517-1236")),
            ("000000-0000", 9_001_011_234, Some("900101-1234")),
            ("0000000000", 5_171_236, Some("0005171236")),
            ("00000", 42, Some("00042")),
            ("00000", 1_234_567, Some("1234567")),
            ("000-000", 1_234_567, Some("1234-567")),
            ("\"R\"0000", 42, Some("R0042")),
            ("[Blue]00000", 42, Some("00042")),
            ("##0", 0, Some("0")),
            ("#", 42, Some("42")),
            ("0", 42, Some("42")),
            ("General", 42, None),
            ("0.00", 42, None),
            ("#,##0", 42, None),
            ("0%", 42, None),
            ("[<=9999999]###-####", 42, None),
            ("# ?/?", 42, None),
            ("# ??/??", 2024, None),
            ("00000;-00000;\"none\"", 0, None),
            ("00000;-00000", 0, Some("00000")),
            ("###-####", 0, None),
            ("00000", -42, Some("-00042")),
            ("00000;(00000)", -42, None),
            ("[$-41D]000000-0000", 5_171_236, Some("000517-1236")),
            ("[Color10]00000", 42, Some("00042")),
            ("[$R]00000", 42, Some("R00042")),
            ("[$€-407]0000", 42, Some("€0042")),
            ("00000_)", 42, Some("00042")),
            ("*-00000", 42, Some("00042")),
            ("@", 42, None),
        ] {
            assert_eq!(shown_number(code, value).as_deref(), want, "{code} {value}");
        }
    }
}
