//! Turns a true person into the record one organisation holds: how that organisation writes
//! names (script, spelling, typos, swapped parts), how much of the birth date it knows, whether
//! it has the personal number, and where its answers diverge (`unknown` where another knows).

use rand::Rng;
use unicode_normalization::UnicodeNormalization;

use super::draw::chance;
use super::model::Person;
use super::names::Name;
use crate::dates::PartialDate;

/// Rates of identifier and answer noise between organisations. Defaults are as heavy as real
/// registers: a character edit in about 30% of duplicate copies' names.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NoiseConfig {
    pub name_typo: f64,
    pub name_swap: f64,
    pub name_part_drop: f64,
    pub native_script: f64,
    pub alt_spelling: f64,
    pub date_missing: f64,
    pub date_partial: f64,
    pub day_month_swap: f64,
    pub pnr_recorded: f64,
    pub answer_unknown: f64,
    /// Share of later copies whose gender or country of birth is entered wrongly (another
    /// known value), as data entry errs; a copy whose answer is unknown keeps it, so somewhat
    /// fewer change. None by default, so that the bundled sample and the measured figures stay
    /// as they were; not scaled by `scaled`, and not written to sample.json when zero.
    #[serde(skip_serializing_if = "is_zero")]
    pub answer_conflict: f64,
}

impl Default for NoiseConfig {
    fn default() -> Self {
        NoiseConfig {
            name_typo: 0.30,
            name_swap: 0.05,
            name_part_drop: 0.15,
            native_script: 0.35,
            alt_spelling: 0.30,
            date_missing: 0.05,
            date_partial: 0.08,
            day_month_swap: 0.03,
            pnr_recorded: 0.7,
            answer_unknown: 0.10,
            answer_conflict: 0.0,
        }
    }
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl NoiseConfig {
    /// Scales every error rate (not the recording habits) by `factor`, capped at 0.9.
    pub fn scaled(&self, factor: f64) -> Self {
        let s = |x: f64| (x * factor).min(0.9);
        NoiseConfig {
            name_typo: s(self.name_typo),
            name_swap: s(self.name_swap),
            name_part_drop: s(self.name_part_drop),
            native_script: self.native_script,
            alt_spelling: s(self.alt_spelling),
            date_missing: s(self.date_missing),
            date_partial: s(self.date_partial),
            day_month_swap: s(self.day_month_swap),
            pnr_recorded: self.pnr_recorded,
            answer_unknown: s(self.answer_unknown),
            answer_conflict: self.answer_conflict,
        }
    }
}

/// The identifiers one organisation wrote down for a person.
#[derive(Debug, Clone, Default)]
pub struct Identifiers {
    pub given: String,
    pub family: String,
    pub birth: Option<PartialDate>,
    pub pnr: Option<String>,
}

/// `first` is the person's first copy: it keeps the canonical spelling (no typos).
pub fn identifiers<R: Rng>(
    rng: &mut R,
    cfg: &NoiseConfig,
    given: &Name,
    family: &Name,
    person: &Person,
    first: bool,
    latin_only: bool,
) -> Identifiers {
    let native = !latin_only && given.native.is_some() && chance(rng, cfg.native_script);
    let alt = !first && chance(rng, cfg.alt_spelling);
    let mut g = spelling(rng, given, native, alt);
    let mut f = spelling(rng, family, native, alt);
    if !first {
        // Registers drop a middle name or the second family name.
        if chance(rng, cfg.name_part_drop) {
            if g.contains(' ') {
                g = g.split(' ').next().unwrap_or(&g).to_string();
            } else if f.contains([' ', '-']) {
                f = f.split([' ', '-']).next().unwrap_or(&f).to_string();
            }
        }
        if chance(rng, cfg.name_typo) {
            if rng.random::<bool>() {
                g = typo(rng, &g)
            } else {
                f = typo(rng, &f)
            }
        }
        if chance(rng, cfg.name_swap) {
            std::mem::swap(&mut g, &mut f);
        }
    }
    let (birth, swapped) = birth_date(rng, cfg, person.birth, first);
    // A register that has the personal number copies the date from it, so no swap then.
    let pnr = person
        .pnr
        .clone()
        .filter(|_| !swapped && chance(rng, cfg.pnr_recorded));
    let birth = if pnr.is_some() { Some(person.birth) } else { birth };
    if latin_only {
        g = cp1252_safe(&g);
        f = cp1252_safe(&f);
    }
    Identifiers {
        given: g,
        family: f,
        birth,
        pnr,
    }
}

fn spelling<R: Rng>(rng: &mut R, n: &Name, native: bool, alt: bool) -> String {
    match (&n.native, native) {
        (Some(s), true) => s.clone(),
        _ if alt && n.latin.len() > 1 => n.latin[rng.random_range(1..n.latin.len())].clone(),
        _ => n.canonical().to_string(),
    }
}

/// One character edit: substitution, deletion, insertion or transposition.
pub fn typo<R: Rng>(rng: &mut R, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 3 {
        return s.to_string();
    }
    let i = rng.random_range(1..c.len() - 1);
    const LETTERS: &[char] = &['a', 'e', 'i', 'o', 'u', 'n', 'r', 's', 't', 'l', 'h', 'y'];
    match rng.random_range(0..4) {
        0 => c[i] = LETTERS[rng.random_range(0..LETTERS.len())],
        1 => {
            c.remove(i);
        }
        2 => c.insert(i, c[i]),
        _ => c.swap(i, i + 1),
    }
    c.into_iter().collect()
}

/// How much of the birth date this organisation recorded; returns whether day and month
/// were swapped (only when the swapped date is still a real date, as in real registers).
fn birth_date<R: Rng>(
    rng: &mut R,
    cfg: &NoiseConfig,
    truth: PartialDate,
    first: bool,
) -> (Option<PartialDate>, bool) {
    if chance(rng, cfg.date_missing) {
        return (None, false);
    }
    if chance(rng, cfg.date_partial) {
        let month = truth.month.filter(|_| rng.random::<bool>());
        return (
            Some(PartialDate {
                year: truth.year,
                month,
                day: None,
            }),
            false,
        );
    }
    if !first
        && chance(rng, cfg.day_month_swap)
        && let (Some(m), Some(d)) = (truth.month, truth.day)
        && d <= 12
        && d != m
    {
        return (PartialDate::full(truth.year, d, m), true);
    }
    (Some(truth), false)
}

/// Windows-1252 cannot hold every letter: accents it lacks lose their mark, other scripts `?`,
/// as Swedish Excel does when it saves such names as "CSV (semicolon)".
pub fn cp1252_safe(s: &str) -> String {
    s.chars()
        .flat_map(|ch| {
            if encodable(ch) {
                vec![ch]
            } else {
                let base: Vec<char> = ch
                    .to_string()
                    .nfd()
                    .filter(|c| encodable(*c) && !is_mark(*c))
                    .collect();
                if base.is_empty() { vec!['?'] } else { base }
            }
        })
        .collect()
}

fn is_mark(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

fn encodable(ch: char) -> bool {
    let mut buf = [0u8; 4];
    let (_, _, unmappable) = encoding_rs::WINDOWS_1252.encode(ch.encode_utf8(&mut buf));
    !unmappable
}
