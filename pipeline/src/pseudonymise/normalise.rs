//! Identifier normalisation before hashing: Unicode NFKC, transliteration of every script to
//! Latin (which also folds diacritics: å ä ö é -> a a o e), case folding, punctuation and
//! spaces dropped, and a phonetic skeleton that lets transliteration variants
//! (Yulia / Iuliia / Julia, Mohammed / Muhammad) meet.

use unicode_normalization::UnicodeNormalization;

/// Lower-case ASCII tokens of a name in any script; apostrophes join, other marks split.
pub fn tokens(raw: &str) -> Vec<String> {
    // ASCII is its own NFKC form and transliteration: the common case skips both.
    let latin: std::borrow::Cow<str> = if raw.is_ascii() {
        raw.into()
    } else {
        let nfkc: String = raw.nfkc().filter(|c| !is_apostrophe(*c)).collect();
        // Transliteration writes soft and hard signs and the Arabic ayn as apostrophes; they
        // are not word breaks either (they are dropped below).
        deunicode::deunicode_with_tofu(&nfkc, " ").into()
    };
    let mut out = Vec::new();
    let mut current = String::new();
    for c in latin.chars().filter(|c| !is_apostrophe(*c)) {
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '`' | 'ʻ' | '"')
}

/// Spelling variants that transliteration schemes disagree on are folded to one form
/// (y/j -> i, w -> u, zh -> j, ph -> f, kh/ch -> h, ...), and doubled letters to one.
pub fn fold_variants(token: &str) -> String {
    const DIGRAPHS: [(&[u8], u8); 10] = [
        (b"sch", b'S'),
        (b"zh", b'j'),
        (b"ph", b'f'),
        (b"kh", b'h'),
        (b"ch", b'h'),
        (b"dh", b'd'),
        (b"th", b't'),
        (b"ck", b'k'),
        (b"ou", b'u'),
        (b"ee", b'i'),
    ];
    let b = token.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let (emit, len) = DIGRAPHS
            .iter()
            .find(|(from, _)| b[i..].starts_with(from))
            .map_or((b[i], 1), |(from, to)| (*to, from.len()));
        i += len;
        let mapped: &[u8] = match emit {
            b'S' => b"sh",
            b'y' | b'j' => b"i",
            b'w' => b"u",
            b'q' => b"k",
            _ => std::slice::from_ref(&emit),
        };
        for &c in mapped {
            if out.last() != Some(&c) {
                out.push(c);
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Consonant skeleton of a folded token: vowels, the semi-vowels and h/g dropped (Cyrillic г
/// is written g or h, Arabic و w or u), c/k and s/z/x merged; the token itself when nothing is
/// left.
pub fn skeleton(token: &str) -> String {
    skeleton_of_folded(&fold_variants(token))
}

/// `skeleton` of a token already passed through `fold_variants`.
pub fn skeleton_of_folded(folded: &str) -> String {
    let mut out = String::new();
    for c in folded.chars() {
        let c = match c {
            'a' | 'e' | 'i' | 'o' | 'u' | 'h' | 'g' => continue,
            'c' => 'k',
            'z' | 'x' => 's',
            other => other,
        };
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    if out.is_empty() { folded.to_string() } else { out }
}

/// The tokens of one part of a name (given or family), without the particles that are
/// written joined or apart at will.
pub fn part_tokens(raw: &str) -> Vec<String> {
    let mut t = tokens(raw);
    // The Arabic article is written apart ("Al Halabi") or joined ("alhalabi") at will.
    if t.len() > 1 {
        t.retain(|x| x != "al" && x != "el");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_diacritics_fold_to_ascii() {
        assert_eq!(tokens("Söderström"), vec!["soderstrom"]);
        assert_eq!(tokens("  Anna-Karin  O'Brien "), vec!["anna", "karin", "obrien"]);
        assert_eq!(tokens("Ștefan"), vec!["stefan"]);
        assert_eq!(tokens("Олена"), vec!["olena"]);
        assert!(!tokens("محمد").is_empty());
        assert!(!tokens("สมชาย").is_empty());
        assert_eq!(tokens("ＡＮＮＡ"), vec!["anna"], "NFKC folds full-width letters");
    }

    #[test]
    fn transliteration_variants_share_a_skeleton() {
        let sk = |s: &str| {
            tokens(s)
                .iter()
                .map(|t| skeleton(t))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(sk("Yulia"), sk("Julia"));
        assert_eq!(sk("Yuliia"), sk("Юлия"));
        assert_eq!(sk("Mohammed"), sk("Muhammad"));
        assert_eq!(sk("Olena"), sk("Elena"));
        assert_eq!(sk("Kovalenko"), sk("Коваленко"));
        assert_ne!(sk("Anna"), sk("Maria"));
    }
}
