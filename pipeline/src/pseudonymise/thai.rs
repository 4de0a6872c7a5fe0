//! Thai script to Latin letters, after the Royal Thai General System (RTGS) that Thai names
//! are usually romanised by. A letter-by-letter table (what `deunicode` does) writes the vowels
//! that Thai puts before their consonant in the wrong place, leaves out the vowels Thai does
//! not write and gives final consonants their initial sound: เยาวลักษณ์ came out "eyaawlaksn"
//! against "Yaowalak" (now "yaoolak", whose folded bigrams and skeleton are Yaowalak's
//! nearly), and no fuzzy threshold could join the two. This is a matching aid, not
//! a full romaniser: syllable breaks are guessed from the letters (no dictionary), and tones
//! and vowel length are not written.
//!
//! Many Thai people write their names the popular way instead (Siriporn, Boonmee, Kaew,
//! Jiraporn for RTGS Siriphon, Bunmi, Kaeo, Chiraphon), so `romanise_popular` writes that
//! spelling too; pseudonymise puts both in a Thai name's filter and blocking keys.

/// The two ways of writing Thai in Latin letters that `romanise` knows.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    Rtgs,
    /// As names are commonly written: unaspirated p and k for ph and kh, j for จ, l, w and j
    /// at a syllable's end where RTGS writes n, o and t, "orn" for an unwritten o before ร,
    /// "oo" for u before a final sonorant, "er" for oe.
    Popular,
}

/// A consonant's sounds (`consonant`) in the given style.
fn sounds(c: char, style: Style) -> Option<(&'static str, &'static str)> {
    let (initial, fin) = consonant(c)?;
    if style == Style::Rtgs {
        return Some((initial, fin));
    }
    let initial = match (c, initial) {
        (_, "ph") => "p",
        (_, "kh") => "k",
        ('จ', _) => "j",
        _ => initial,
    };
    let fin = match c {
        'ล' | 'ฬ' => "l",
        'ว' => "w",
        'จ' => "j",
        'ด' => "d",
        _ => fin,
    };
    Some((initial, fin))
}

/// A Thai consonant's sound at the start of a syllable and at its end (empty: none).
fn consonant(c: char) -> Option<(&'static str, &'static str)> {
    Some(match c {
        'ก' => ("k", "k"),
        'ข' | 'ฃ' | 'ค' | 'ฅ' | 'ฆ' => ("kh", "k"),
        'ง' => ("ng", "ng"),
        'จ' | 'ฉ' | 'ช' | 'ฌ' => ("ch", "t"),
        'ซ' | 'ศ' | 'ษ' | 'ส' => ("s", "t"),
        'ญ' => ("y", "n"),
        'ฎ' | 'ด' => ("d", "t"),
        'ฏ' | 'ต' => ("t", "t"),
        'ฐ' | 'ฑ' | 'ฒ' | 'ถ' | 'ท' | 'ธ' => ("th", "t"),
        'ณ' | 'น' => ("n", "n"),
        'บ' => ("b", "p"),
        'ป' => ("p", "p"),
        'ผ' | 'พ' | 'ภ' => ("ph", "p"),
        'ฝ' | 'ฟ' => ("f", "p"),
        'ม' => ("m", "m"),
        'ย' => ("y", "i"),
        'ร' => ("r", "n"),
        'ล' | 'ฬ' => ("l", "n"),
        'ว' => ("w", "o"),
        'ห' | 'ฮ' => ("h", ""),
        'อ' => ("", ""),
        _ => return None,
    })
}

/// Vowels written before the consonant they follow in speech.
fn is_leading(c: char) -> bool {
    matches!(c, 'เ' | 'แ' | 'โ' | 'ใ' | 'ไ')
}

/// Vowel signs written after or above or below their consonant.
fn is_following(c: char) -> bool {
    matches!(c, 'ะ' | 'ั' | 'า' | 'ำ' | 'ิ' | 'ี' | 'ึ' | 'ื' | 'ุ' | 'ู')
}

/// Marks not written in Latin letters: tone and length marks, the nikhahit (when not part of
/// sara am, see `letters`), phinthu, and the repetition mark.
fn is_silent_mark(c: char) -> bool {
    matches!(c, '่' | '้' | '๊' | '๋' | '็' | 'ํ' | 'ฺ' | '๎' | 'ๅ' | 'ๆ')
}

/// Whether `c` opens a consonant cluster with a following ร, ล or ว (กร, ปล, ขว, ศร...).
fn clusters(c: char, next: char) -> bool {
    matches!(next, 'ร' | 'ล' | 'ว') && matches!(c, 'ก' | 'ข' | 'ค' | 'ต' | 'ป' | 'ผ' | 'พ' | 'บ' | 'ส' | 'ศ')
}

/// Whether `c` is in the Thai block's letters and marks (digits are left to `deunicode`).
pub fn is_thai(c: char) -> bool {
    ('\u{0E01}'..='\u{0E4E}').contains(&c)
}

/// Consonants that commonly end a syllable whose vowel is not written (พร phon, กมล kamon).
fn is_sonorant(c: char) -> bool {
    "รนมงลยวณญฬ".contains(c)
}

/// Where a syllable stands when the next letter comes.
#[derive(Clone, Copy, PartialEq)]
enum State {
    /// At a word's start or after a final consonant.
    Open,
    /// An initial consonant written, its vowel not yet.
    Initial,
    /// Initial and vowel written: a consonant now may end the syllable.
    Voiced,
}

/// Put in the letters where a consonant is known to end its syllable's initial; it is no
/// letter, so the romaniser passes over it, and no cluster forms across it.
const SYLLABLE_END: char = '|';

/// The letters of a run of Thai, with silent letters (those under the thanthakhat ์, with any
/// vowel between) and tone marks taken out.
fn letters(word: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    let mut chars = word.chars().peekable();
    let mut after_karan = false;
    while let Some(c) = chars.next() {
        match c {
            // A doubled thanthakhat (a slip of the keys) silences one letter, not two.
            '์' if after_karan => {}
            '์' => {
                while let Some(last) = out.pop() {
                    if consonant(last).is_some() {
                        break;
                    }
                }
            }
            // NFKC writes ำ as nikhahit and sara aa; the m is spoken (อำไพ amphai).
            'ํ' if chars.peek() == Some(&'า') => {
                chars.next();
                out.push('ำ');
            }
            // Two sara e typed for the sara ae they look like on screen (เเสง for แสง).
            'เ' if chars.peek() == Some(&'เ') => {
                chars.next();
                out.push('แ');
            }
            // A tone mark sits on a syllable's last initial consonant: in แก้ว it is on the
            // ก, so the ว after it ends the syllable (kaeo) rather than joining the ก (แกว่ง
            // kwaeng). Without the mark, แก้วมณี came out "kwaemni".
            '่' | '้' | '๊' | '๋'
                if chars.peek().is_some_and(|n| matches!(n, 'ว' | 'ร' | 'ล'))
                    && out.len() >= 2
                    && is_leading(out[out.len() - 2])
                    && consonant(out[out.len() - 1]).is_some() =>
            {
                out.push(SYLLABLE_END);
            }
            c if is_silent_mark(c) => {}
            c => out.push(c),
        }
        after_karan = c == '์';
    }
    // รร is a vowel: "an" at the end, "a" before a final consonant (สุวรรณ suwan).
    let mut i = 0;
    while i + 1 < out.len() {
        if out[i] == 'ร' && out[i + 1] == 'ร' {
            let at_end = i + 2 == out.len();
            out.splice(i..i + 2, if at_end { vec!['ั', 'น'] } else { vec!['ั'] });
        }
        i += 1;
    }
    // ห and อ before a sonorant only carry its tone (หญิง ying, อยู่ yu).
    let mut kept = Vec::with_capacity(out.len());
    for (i, &c) in out.iter().enumerate() {
        let next = out.get(i + 1).copied();
        if c == 'ห' && next.is_some_and(|n| "งญนมยรลว".contains(n)) {
            continue;
        }
        if c == 'อ' && next == Some('ย') && (i == 0 || consonant(out[i - 1]).is_none()) {
            continue;
        }
        kept.push(c);
    }
    kept
}

/// One run of Thai letters in Latin letters, after RTGS.
pub fn romanise(word: &str) -> String {
    romanise_in(word, Style::Rtgs)
}

/// One run of Thai letters in Latin letters as Thai names are popularly written (`Style`).
pub fn romanise_popular(word: &str) -> String {
    romanise_in(word, Style::Popular)
}

fn romanise_in(word: &str, style: Style) -> String {
    let l = letters(word);
    let mut out = String::new();
    let mut state = State::Open;
    let mut i = 0;
    let at = |k: usize| l.get(k).copied();
    while i < l.len() {
        let c = l[i];
        if is_leading(c) {
            if state == State::Initial {
                out.push('a');
            }
            i = leading_syllable(&l, i, &mut out, style);
            state = State::Voiced;
            continue;
        }
        if let Some(v) = following_vowel(&l, i, style) {
            out.push_str(v.0);
            i += v.1;
            state = State::Voiced;
            continue;
        }
        match c {
            'ฤ' => {
                out.push_str("rue");
                state = State::Voiced;
                i += 1;
                continue;
            }
            'ฦ' => {
                out.push_str("lue");
                state = State::Voiced;
                i += 1;
                continue;
            }
            _ => {}
        }
        let Some((initial, fin)) = sounds(c, style) else {
            i += 1;
            continue;
        };
        let next = at(i + 1);
        // One more consonant, a sonorant, ends the word: the two make a syllable (พร phon).
        let last_two = next.is_some_and(is_sonorant) && at(i + 2).is_none();
        let voiced_next =
            next.is_some_and(|n| is_following(n) || n == 'อ' && at(i + 2).is_none_or(|m| !is_following(m)));
        match state {
            // A lone stop after a closed syllable at a word's end is not spoken (ลักษ(ณ์) lak).
            State::Open if next.is_none() && !out.is_empty() && !is_sonorant(c) => {}
            State::Open => {
                out.push_str(initial);
                state = State::Initial;
            }
            State::Initial => {
                let prev = l[i - 1];
                if c == 'อ' && !next.is_some_and(is_following) {
                    out.push('o');
                    state = State::Voiced;
                } else if c == 'ว' && next.is_some_and(|n| consonant(n).is_some() && n != 'อ') {
                    out.push_str("ua");
                    state = State::Voiced;
                } else if clusters(prev, c) && voiced_next {
                    out.push_str(initial);
                } else if voiced_next || last_two {
                    out.push('a');
                    out.push_str(initial);
                } else {
                    out.push('o');
                    // พร: RTGS phon, popularly porn.
                    out.push_str(if c == 'ร' && style == Style::Popular {
                        "rn"
                    } else {
                        fin
                    });
                    state = State::Open;
                }
            }
            State::Voiced => {
                // A consonant with its own vowel, or one of the last two with none (พร: phon),
                // starts a syllable; any other ends the one before (one before a leading
                // vowel too: that vowel is the next consonant's).
                if voiced_next || last_two {
                    out.push_str(initial);
                    state = State::Initial;
                } else {
                    out.push_str(fin);
                    state = State::Open;
                }
            }
        }
        i += 1;
    }
    out
}

/// A following vowel at `i` (with the letters it takes along) and how many letters it spans.
fn following_vowel(l: &[char], i: usize, style: Style) -> Option<(&'static str, usize)> {
    let next = l.get(i + 1).copied();
    // บุญ, บูรณ์: RTGS bun, popularly boon (a sonorant that ends the syllable follows; ร
    // only at the word's end, as inside it ร starts the next syllable, so สุรชัย is not
    // "soon-"). A guess without a dictionary: สุมน comes out "soomon" for Sumon, which only
    // adds bigrams (the skeleton has no vowels).
    let after = l.get(i + 2).copied();
    let closing_sonorant = match next {
        Some('ญ' | 'น' | 'ม') => {
            after.is_none_or(|m| consonant(m).is_some() && m != 'อ' || is_leading(m))
        }
        Some('ร') => after.is_none(),
        _ => false,
    };
    Some(match l[i] {
        'ุ' | 'ู' if style == Style::Popular && closing_sonorant => ("oo", 1),
        'ะ' | 'า' => ("a", 1),
        'ำ' => ("am", 1),
        'ิ' | 'ี' => ("i", 1),
        'ึ' => ("ue", 1),
        'ื' if next == Some('อ') => ("ue", 2),
        'ื' => ("ue", 1),
        'ุ' | 'ู' => ("u", 1),
        'ั' if next == Some('ว') => ("ua", 2),
        'ั' => ("a", 1),
        _ => return None,
    })
}

/// A syllable that starts with a leading vowel at `i`: its consonant (or cluster), then the
/// vowel the leading sign makes with the signs after it. Returns where the syllable's vowel
/// ends.
fn leading_syllable(l: &[char], i: usize, out: &mut String, style: Style) -> usize {
    let lead = l[i];
    let mut k = i + 1;
    if let Some((initial, _)) = l.get(k).and_then(|&c| sounds(c, style)) {
        out.push_str(initial);
        k += 1;
        // A cluster needs a letter after it: แกว is kaeo, the ว its final.
        if let (Some(&c2), Some(&c1)) = (l.get(k), l.get(k - 1))
            && clusters(c1, c2)
            && k + 1 < l.len()
        {
            out.push_str(sounds(c2, style).map_or("", |c| c.0));
            k += 1;
        }
    }
    let (a, b) = (l.get(k).copied(), l.get(k + 1).copied());
    let (vowel, used) = match (lead, a, b) {
        // เกิด: RTGS koet, popularly kerd (ประเสริฐ: our RTGS writes prasroet, popular
        // prasrert, for Prasoet and Prasert).
        ('เ', Some('ิ' | 'อ'), _) if style == Style::Popular => ("er", 1),
        ('เ', Some('า'), Some('ะ')) => ("o", 2),
        ('เ', Some('า'), _) => ("ao", 1),
        ('เ', Some('ี'), Some('ย')) => ("ia", 2),
        ('เ', Some('ื'), Some('อ')) => ("uea", 2),
        ('เ', Some('ิ'), _) => ("oe", 1),
        ('เ', Some('อ'), _) => ("oe", 1),
        ('เ', Some('ะ'), _) => ("e", 1),
        ('เ', _, _) => ("e", 0),
        ('แ', Some('ะ'), _) => ("ae", 1),
        ('แ', _, _) => ("ae", 0),
        ('โ', Some('ะ'), _) => ("o", 1),
        ('โ', _, _) => ("o", 0),
        _ => ("ai", 0),
    };
    out.push_str(vowel);
    k + used
}

#[cfg(test)]
mod tests {
    use super::romanise;

    /// RTGS spellings of common names (as the Royal Institute writes them; the tone and length
    /// of vowels are not written, so neither are they here).
    #[test]
    fn common_names_come_out_as_rtgs_writes_them() {
        for (thai, latin) in [
            ("สมชาย", "somchai"),
            ("แสงทอง", "saengthong"),
            ("สุดารัตน์", "sudarat"),
            ("มาลี", "mali"),
            ("ศรีสุข", "srisuk"),
            ("บุญเรือง", "bunrueang"),
            ("นภาพร", "naphaphon"),
            ("ปัญญา", "panya"),
            ("สมศักดิ์", "somsak"),
            ("อรุณี", "aruni"),
            ("สุวรรณ", "suwan"),
            ("กมล", "kamon"),
            ("ประเทศ", "prathet"),
            ("สมเด็จ", "somdet"),
            ("ทองดี", "thongdi"),
            ("บุญยืน", "bunyuen"),
            ("แก้ว", "kaeo"),
            ("ใจดี", "chaidi"),
            ("เพลง", "phleng"),
            ("ตัว", "tua"),
            ("สวน", "suan"),
            ("หญิง", "ying"),
            ("คำ", "kham"),
            ("เเสงทอง", "saengthong"),
            ("สุดารัตน์์", "sudarat"),
            ("แก้วมณี", "kaeomani"),
            ("แก้วประเสริฐ", "kaeoprasroet"),
        ] {
            assert_eq!(romanise(thai), latin, "{thai}");
        }
    }

    /// Popular spellings, as the people the sample generator's names stand for write them;
    /// each differs from RTGS (above) in what `Style::Popular` says.
    #[test]
    fn common_names_come_out_as_they_are_popularly_written() {
        for (thai, latin) in [
            ("สมพร", "somporn"),
            ("ศิริพร", "siriporn"),
            ("จิราพร", "jiraporn"),
            ("บุญมี", "boonmi"),
            ("บุญเลิศ", "boonlert"),
            ("สมบูรณ์", "somboon"),
            ("แก้ว", "kaew"),
            ("ดวงแก้ว", "duangkaew"),
            ("เกิดผล", "kerdpol"),
            ("ชัยมงคล", "chaimongkol"),
            ("วิโรจน์", "wiroj"),
            ("ขวัญใจ", "kwanjai"),
            ("กิตติพงษ์", "kittipong"),
            // Unchanged where the popular spelling is RTGS's (and ร inside a word still starts
            // a syllable).
            ("สมชาย", "somchai"),
            ("สุนีย์", "suni"),
        ] {
            assert_eq!(super::romanise_popular(thai), latin, "{thai}");
        }
    }
}
