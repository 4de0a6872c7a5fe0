//! Answers from a list: a member's code, a code list's code, a country, one or several to a
//! cell. A near miss is resolved to its code; a miss is told with what the list holds.

use crate::schema::{CodeList, Resolved, Schema};

use super::{Broken, Cleaned, broken, collapse_spaces, composed};

/// Two or more answers in a column that takes one ("Polis;Socialtjänst" in identified_by):
/// said so, instead of a message that the value is none of the answers.
pub(super) fn one_answer_only(
    b: Broken,
    raw: &str,
    column: &str,
    one: impl Fn(&str) -> Result<Cleaned, Broken>,
) -> Broken {
    let parts: Vec<&str> = raw
        .split([';', ',', '/', '|', '+', '&'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let mut codes: Option<Vec<String>> = parts.iter().map(|p| one(p).ok().map(|c| c.value)).collect();
    if let Some(c) = codes.as_mut() {
        // `man/man` is one answer written twice.
        c.dedup();
    }
    match codes {
        Some(codes) if codes.len() >= 2 => broken(
            b.rule,
            format!(
                "{} answers ({}) in {column}, which takes one answer only: give the one that fits best (or unknown)",
                codes.len(),
                codes.join(", ")
            ),
        ),
        _ => b,
    }
}

/// A country written as a word several countries' names share ("Kongo", "Korea"): which
/// ones, for staff to pick (the names are the list's, nothing of the cell is shown).
fn ambiguous_country(schema: &Schema, text: &str) -> String {
    let word = collapse_spaces(text).to_lowercase();
    if word.chars().count() < 4 {
        return String::new();
    }
    let named: Vec<String> = schema
        .countries
        .iter()
        .filter(|c| {
            [&c.name_en, &c.name_sv]
                .into_iter()
                .chain(&c.other_names)
                .any(|n| n.to_lowercase().contains(&word))
        })
        .map(|c| format!("{} ({})", c.name_sv, c.alpha2))
        .collect();
    if named.len() < 2 {
        return String::new();
    }
    format!(" ({}): give the one meant", named.join(", "))
}

pub(super) fn member(schema: &Schema, raw: &str) -> Result<Cleaned, Broken> {
    match member_code(schema, raw) {
        Some(code) if code == raw => Ok(Cleaned::same(raw)),
        Some(code) => Ok(Cleaned::changed(raw, code)),
        None => Err(broken(
            "unknown_member",
            format!(
                "{} is not in the member register: org_id holds the member's code (FA for Frälsningsarmén), as in the template's list and schemas/members.csv; an organisation not in the register yet (a new member) is added by the platform, in a new version of the register",
                crate::ingest::shown::refused(
                    raw,
                    schema
                        .members
                        .iter()
                        .flat_map(|m| [m.org_id.as_str(), m.name.as_str()])
                )
            ),
        )),
    }
}

/// The member code an org_id cell names: the code itself, in any case, or the member's name
/// ("Frälsningsarmén" for FA). Every check that keys rows by organisation keys them by this,
/// so that a record written once under the code and once under the name is one record.
pub fn member_code(schema: &Schema, raw: &str) -> Option<String> {
    if schema.member(raw).is_some() {
        return Some(raw.to_string());
    }
    if let Some(m) = schema.member(&raw.trim().to_uppercase()) {
        return Some(m.org_id.clone());
    }
    let name = collapse_spaces(&composed(raw)).to_lowercase();
    let named: Vec<_> = schema
        .members
        .iter()
        .filter(|m| collapse_spaces(&composed(&m.name)).to_lowercase() == name)
        .collect();
    match named.as_slice() {
        [m] => Some(m.org_id.clone()),
        _ => None,
    }
}

fn resolved(raw: &str, r: Resolved) -> Option<Cleaned> {
    match r {
        Resolved::Exact(c) => Some(Cleaned::same(c)),
        Resolved::Normalised(c) => Some(Cleaned::changed(raw, c)),
        Resolved::Unknown => None,
    }
}

/// A resolved value of text that was not composed (NFC) is a near miss made right, counted.
fn resolved_composed(raw: &str, text: &str, r: Resolved) -> Option<Cleaned> {
    match r {
        Resolved::Exact(c) if text != raw => Some(Cleaned::changed(raw, c)),
        r => resolved(raw, r),
    }
}

pub(super) fn code(list: &CodeList, raw: &str) -> Result<Cleaned, Broken> {
    let text = composed(raw);
    resolved_composed(raw, &text, list.resolve(&text)).ok_or_else(|| {
        // Codes and the Swedish labels of the template's drop-down: staff type either.
        let codes: Vec<String> = list
            .codes
            .iter()
            .map(|c| format!("{} ({})", c.code, c.sv))
            .collect();
        let answers = list
            .codes
            .iter()
            .flat_map(|c| [c.code.as_str(), c.sv.as_str(), c.en.as_str()]);
        broken(
            "unknown_code",
            format!(
                "{} is none of this column's answers: {} (the code, or its Swedish or English label as in the template)",
                crate::ingest::shown::refused(raw, answers),
                codes.join(", ")
            ),
        )
    })
}

pub(super) fn country(schema: &Schema, raw: &str) -> Result<Cleaned, Broken> {
    let text = composed(raw);
    resolved_composed(raw, &text, schema.lookup_country(&text)).ok_or_else(|| {
        // A 3-letter code (ISO alpha-3, as passports and case systems write it): the nearest
        // 2-letter code is another country (UKR is near UK, GBR near BR), so none is offered.
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_alphabetic()) {
            return broken(
                "unknown_country",
                "the value looks like a 3-letter country code (ISO alpha-3, as passports write them), which the contract does not read: write the country's 2-letter code (ISO 3166-1 alpha-2, UA for UKR, GB for GBR, NG for NGA) or its Swedish or English name",
            );
        }
        let former = former_country(&text);
        let several = if former.is_none() {
            ambiguous_country(schema, &text)
        } else {
            String::new()
        };
        // Part of several countries' names is no one's name or date: said as such, not "near
        // no answer, so it may be a name" beside the countries it names.
        if !several.is_empty() {
            return broken(
                "unknown_country",
                format!("the value is part of the names of several countries of the template's list{several}, as its Swedish or English name or its ISO 3166-1 alpha-2 code"),
            );
        }
        let hint = former.map_or_else(
            String::new,
            |now| format!("; it is a country that no longer exists: give the present-day country the place is in ({now}), or unknown"),
        );
        let names = schema.countries.iter().flat_map(|c| {
            [c.alpha2.as_str(), c.name_en.as_str(), c.name_sv.as_str()]
                .into_iter()
                .chain(c.other_names.iter().map(String::as_str))
        });
        broken(
            "unknown_country",
            format!(
                "{} is not a country of the template's list (its Swedish or English name, or its ISO 3166-1 alpha-2 code such as SE or NG) nor unknown{hint}",
                crate::ingest::shown::refused(raw, names)
            ),
        )
    })
}

/// Countries that registers still name as places of birth but no longer exist, and the
/// present-day countries they were: which one a person was born in cannot be guessed.
fn former_country(raw: &str) -> Option<&'static str> {
    const FORMER: [(&[&str], &str); 4] = [
        (
            &[
                "yu",
                "jugoslavien",
                "yugoslavia",
                "serbien och montenegro",
                "serbia and montenegro",
            ],
            "RS, HR, BA, SI, ME, MK or XK",
        ),
        (
            &["su", "sovjetunionen", "soviet union", "ussr", "sssr"],
            "RU, UA, BY, MD, EE, LV, LT, GE, AM, AZ, KZ, UZ, TM, KG or TJ",
        ),
        (&["tjeckoslovakien", "czechoslovakia"], "CZ or SK"),
        (&["dd", "östtyskland", "ddr", "east germany"], "DE"),
    ];
    let folded = raw.trim().to_lowercase();
    FORMER
        .iter()
        .find(|(names, _)| names.contains(&folded.as_str()))
        .map(|(_, now)| *now)
}

/// The codes of a cell's parts split at ',', '/', '+', '&', '|', "och", "and" or "samt", when there
/// are two or more and every one is an answer. The marks alone are tried first: a label may
/// hold a word that also separates (`Lämpligt och säkert boende, Psykologiskt stöd`).
fn answers_with_another_separator(
    lower: &str,
    one: &impl Fn(&str) -> Result<Cleaned, Broken>,
) -> Option<Vec<String>> {
    let by_marks = |text: &str| -> Vec<String> {
        text.split([',', '/', '+', '&', '|'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    };
    let answers = |parts: &[String]| -> Option<Vec<String>> {
        if parts.len() < 2 {
            return None;
        }
        parts.iter().map(|p| one(p).ok().map(|c| c.value)).collect()
    };
    if let Some(codes) = answers(&by_marks(lower)) {
        return Some(codes);
    }
    let mut text = lower.to_string();
    for w in [" och ", " and ", " samt "] {
        text = text.replace(w, ",");
    }
    let mut parts = by_marks(&text);
    if parts.len() < 2 {
        // "sexual labour": answers with only a space between them (no answer of a list is
        // two answers' codes joined by a space, so this reads nothing into a label).
        parts = text.split_whitespace().map(str::to_string).collect();
    }
    answers(&parts)
}

/// Splits a multi-valued cell, resolves each part, drops repeats, and writes the codes in
/// list order. `unknown` next to a known code says nothing more, so it is dropped.
pub(super) fn multi(
    raw: &str,
    sep: char,
    one: impl Fn(&str) -> Result<Cleaned, Broken>,
    order: impl Fn(&str) -> usize,
) -> Result<Cleaned, Broken> {
    let mut changes = Vec::new();
    let pieces: Vec<&str> = raw.split(sep).collect();
    // The cell's ends are trimmed (and counted) before it gets here; spaces around an answer
    // and separators with no answer between them are near misses made right, so counted too.
    if pieces.iter().any(|p| p.trim() != *p && !p.trim().is_empty()) {
        changes.push((
            "(spaces)".to_string(),
            "(spaces around answers removed)".to_string(),
        ));
    }
    if pieces.len() > 1
        && pieces.iter().any(|p| p.trim().is_empty())
        && pieces.iter().any(|p| !p.trim().is_empty())
    {
        changes.push((
            "(separators)".to_string(),
            format!("(a {sep:?} with no answer beside it dropped)"),
        ));
    }
    let mut codes: Vec<String> = Vec::new();
    for part in pieces.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let c = one(part).map_err(|mut b| {
            // "sexual, labour", "sexual/labour" or "sexuell och arbete": two codes with
            // another separator.
            let lower = format!(" {} ", part.to_lowercase());
            if let Some(codes) = answers_with_another_separator(&lower, &one) {
                // Every part an answer: say so first, not after a list of every answer.
                b.message = format!(
                    "{} of this column's answers ({}) written with another separator between them; several answers go in one cell separated by {sep:?}: {}",
                    codes.len(),
                    codes.join(", "),
                    codes.join(&sep.to_string())
                );
            } else if part.contains([',', '/', '+', '&', '|'])
                || [" och ", " and ", " samt "].iter().any(|w| lower.contains(w))
            {
                b.message
                    .push_str(&format!("; several answers go in one cell separated by {sep:?}"));
            }
            b
        })?;
        changes.extend(c.changes);
        if codes.contains(&c.value) {
            changes.push((part.to_string(), "(repeated code dropped)".to_string()));
        } else {
            codes.push(c.value);
        }
    }
    if codes.len() > 1 && codes.iter().any(|c| c == "unknown") {
        codes.retain(|c| c != "unknown");
        changes.push(("unknown".to_string(), "(dropped next to known codes)".to_string()));
    }
    if codes.is_empty() {
        // Separators and spaces only: nothing was answered (the caller stores no value).
        changes.push((
            raw.to_string(),
            "(no code between the separators: not answered)".to_string(),
        ));
    }
    // The order of codes is not a correction: every cell is stored in code-list order.
    codes.sort_by_key(|c| order(c));
    Ok(Cleaned {
        value: codes.join(&sep.to_string()),
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::country;

    #[test]
    fn kosovo_other_names_and_former_countries() {
        let schema = crate::schema::load_embedded().expect("schema");
        for (raw, code) in [
            ("XK", "XK"),
            ("Kosovo", "XK"),
            ("Vitryssland", "BY"),
            ("Türkiye", "TR"),
            ("Turkiet", "TR"),
            ("Burma", "MM"),
        ] {
            assert_eq!(
                country(&schema, raw).ok().map(|c| c.value).as_deref(),
                Some(code),
                "{raw}"
            );
        }
        // Every other name of the schema reads as its own country, never as another's.
        for c in &schema.countries {
            for n in &c.other_names {
                assert_eq!(
                    country(&schema, n).ok().map(|v| v.value),
                    Some(c.alpha2.clone()),
                    "{n}"
                );
            }
        }
        let refused = country(&schema, "Jugoslavien").expect_err("no longer a country");
        assert!(refused.message.contains("RS, HR, BA"), "{}", refused.message);
        assert!(
            !country(&schema, "XX")
                .expect_err("no country")
                .message
                .contains("no longer")
        );
    }

    #[test]
    fn a_country_word_several_countries_share_lists_them() {
        let schema = crate::schema::load_embedded().expect("schema");
        let b = country(&schema, "Kongo").expect_err("ambiguous");
        assert!(
            b.message.contains("Kongo-Kinshasa (CD)") && b.message.contains("Kongo-Brazzaville (CG)"),
            "{}",
            b.message
        );
        // Not called a value near no answer that may be a name, beside the countries it names.
        assert!(!b.message.contains("not shown"), "{}", b.message);
        let b = country(&schema, "Korea").expect_err("ambiguous");
        assert!(
            b.message.contains("(KP)") && b.message.contains("(KR)"),
            "{}",
            b.message
        );
        let b = country(&schema, "Lindqvist").expect_err("no country");
        assert!(!b.message.contains("several countries"), "{}", b.message);
    }
}
