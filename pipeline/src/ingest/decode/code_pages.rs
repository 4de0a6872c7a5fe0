//! Telling a file that is not UTF-8 apart from the Windows-1252 it is read as: the Mac Roman,
//! DOS and Central European code pages put their letters where Windows-1252 has other
//! characters, so names would be read with the wrong letters without any error.

/// Where a file that is not UTF-8 shows that it is not Windows-1252 either, but the Mac Roman
/// of Mac Excel's "CSV (Macintosh)" or the DOS code page 850 of old Windows programs: the
/// byte that says so and why. Both put their accented letters in 0x80–0x9F (Mac Roman ä ö å =
/// 0x8A 0x9A 0x8C, code page 850 ä ö å = 0x84 0x94 0x86), where Windows-1252 has punctuation,
/// a few rare letters (Š š Œ Ž Ÿ) and five unassigned bytes, and keeps its own letters at 0xC0
/// and above (å ä ö = 0xE5 0xE4 0xF6), which Mac Roman reads as symbols. Read as Windows-1252
/// they would give "Bjšrn" or "Bj”rn" without any error. So:
/// - a byte Windows-1252 does not use (0x81 0x8D 0x8F 0x90 0x9D) refuses the file;
/// - a quote or symbol of Windows-1252 between two letters refuses it (not ’ or a dash);
/// - otherwise every byte above 0x7F that touches a letter is scored as each reading sees it:
///   a letter scores (å ä ö Å Ä Ö twice, being what these files hold most), punctuation
///   between letters does not (’ does in Windows-1252, as in O’Brien, Sa’id), and the file is
///   refused when the Mac Roman reading scores higher. Ties are read as Windows-1252, the
///   contract's format. A Windows-1252 file whose only letters beyond English ones are Š Ž
///   and the like is refused too; saving it as UTF-8 costs little, and names read with the
///   wrong letters are not seen until linking fails.
pub(super) fn other_code_page(bytes: &[u8]) -> Option<(usize, &'static str)> {
    if let Some(pos) = bytes
        .iter()
        .position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
    {
        return Some((
            pos,
            "which Windows-1252 does not use, is a letter in Mac Roman (Mac Excel's \"CSV (Macintosh)\") or DOS code page 850",
        ));
    }
    // A quote or symbol of Windows-1252 between two letters is a letter of another code page
    // (code page 850 ö is ”); the apostrophes and the dashes are not (O’Brien, Lind–Ström, and
    // the ‘ of Uzbek and Kenyan names, G‘ofurov, Ng‘ang‘a, which an outside review's valid file
    // was refused for). A Mac Roman ë there (Citro‘n) is left to the count of letters below.
    let symbol = |b: u8| matches!(b, 0x80 | 0x82 | 0x84..=0x89 | 0x8B | 0x93..=0x95 | 0x99 | 0x9B);
    let letter = |b: u8| b.is_ascii_alphabetic() || windows_1252_score(b, false) > 0;
    if let Some(pos) = (1..bytes.len().saturating_sub(1))
        .find(|&i| symbol(bytes[i]) && letter(bytes[i - 1]) && letter(bytes[i + 1]))
    {
        return Some((
            pos,
            "between two letters, is a quote or symbol in Windows-1252 but a letter in Mac Roman (Mac Excel's \"CSV (Macintosh)\") or DOS code page 850",
        ));
    }
    // Polish, Czech and Romanian Windows (code page 1250) keep ł ą ľ where Windows-1252 has
    // ³ ¹ ¾, ż ş where it has ¿ º, and Ł Ą Ż Ş Ľ where it has £ ¥ ¯ ª ¼. Such a symbol after
    // a letter ("Micha³", "D¹browska"), ¿ or º between letters ("Mo¿ejko"), or a capital's
    // symbol before one ("£ukasz", "ªtefan") is a letter of that code page; "Mª José" and
    // "Nº 12" are not (a "m³" in a name column is taken for one).
    let after_letter = |b: u8| matches!(b, 0xB3 | 0xB9 | 0xBE);
    let between = |b: u8| matches!(b, 0xBA | 0xBF);
    let capital = |b: u8| matches!(b, 0xA3 | 0xA5 | 0xAA | 0xAF | 0xBC);
    if let Some(pos) = (0..bytes.len()).find(|&i| {
        let b = bytes[i];
        let before = i > 0 && letter(bytes[i - 1]);
        let after = bytes.get(i + 1).is_some_and(|&n| letter(n));
        after_letter(b) && before || between(b) && before && after || capital(b) && after
    }) {
        return Some((
            pos,
            "beside a letter, is a symbol in Windows-1252 (³ £ ¹ ¿ º) but a letter in the Central European code page 1250 (ł Ł ą ż ş) of Polish, Czech or Romanian Windows",
        ));
    }
    let wordy = |b: u8| b.is_ascii_alphabetic() || b >= 0x80;
    let (mut windows, mut mac, mut first) = (0u32, 0u32, None);
    for i in 0..bytes.len() {
        let b = bytes[i];
        let before = i > 0 && wordy(bytes[i - 1]);
        let after = bytes.get(i + 1).is_some_and(|&n| wordy(n));
        if b < 0x80 || !(before || after) {
            continue;
        }
        let (w, m) = (
            windows_1252_score(b, before && after),
            mac_roman_score(b, before && after),
        );
        windows += w;
        mac += m;
        if m > w && first.is_none() {
            first = Some(i);
        }
    }
    (mac > windows).then(|| {
        (
            first.unwrap_or(0),
            "and the file's other bytes above 0x7F read as letters in Mac Roman (Mac Excel's \"CSV (Macintosh)\") or DOS code page 850, not in Windows-1252",
        )
    })
}

/// How well byte `b`, next to a letter, reads in Windows-1252: 2 for å ä ö Å Ä Ö, 1 for
/// another letter or the apostrophe between letters, 0 for other punctuation.
fn windows_1252_score(b: u8, between: bool) -> u32 {
    match b {
        0xC4 | 0xC5 | 0xD6 | 0xE4 | 0xE5 | 0xF6 => 2,
        0x91 | 0x92 if between => 1,
        0x83 | 0x8A | 0x8C | 0x8E | 0x9A | 0x9C | 0x9E | 0x9F => 1,
        0xC0.. if b != 0xD7 && b != 0xF7 => 1,
        _ => 0,
    }
}

/// The same in Mac Roman, where 0x80–0x9F are all letters (0x80 Ä, 0x81 Å, 0x85 Ö, 0x8A ä,
/// 0x8C å, 0x9A ö) and of the bytes above only some: Æ Ø æ ø ß, À Ã Õ Œ œ, ÿ Ÿ, the capitals
/// 0xE5–0xF4; ’ (0xD5) between letters reads as the apostrophe.
fn mac_roman_score(b: u8, between: bool) -> u32 {
    match b {
        0x80 | 0x81 | 0x85 | 0x8A | 0x8C | 0x9A => 2,
        0x80..=0x9F => 1,
        0xD5 if between => 1,
        0xA7 | 0xAE | 0xAF | 0xBE | 0xBF | 0xCB..=0xCF | 0xD8 | 0xD9 | 0xE5..=0xF4 => 1,
        _ => 0,
    }
}
