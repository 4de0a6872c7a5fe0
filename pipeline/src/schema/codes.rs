//! Code lists and the forgiving lookup that turns near misses (case, spaces, a Swedish or
//! English label instead of the code) into codes, but only when the match is unambiguous.

use std::collections::HashMap;

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Code {
    pub code: String,
    pub sv: String,
    pub en: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CodeList {
    pub id: String,
    pub codes: Vec<Code>,
    lookup: CodeLookup,
}

impl CodeList {
    pub fn new(id: String, codes: Vec<Code>) -> Self {
        let mut lookup = CodeLookup::default();
        for c in &codes {
            lookup.add_exact(&c.code);
        }
        for c in &codes {
            lookup.add_spelling(&c.code, &c.code);
            lookup.add_spelling(&c.sv, &c.code);
            lookup.add_spelling(&c.en, &c.code);
            for a in &c.aliases {
                lookup.add_spelling(a, &c.code);
            }
        }
        CodeList { id, codes, lookup }
    }

    pub fn resolve(&self, raw: &str) -> Resolved {
        self.lookup.resolve(raw)
    }

    pub fn get(&self, code: &str) -> Option<&Code> {
        self.codes.iter().find(|c| c.code == code)
    }

    /// Position of a code in the list: multi-valued cells are written in this order.
    pub fn position(&self, code: &str) -> Option<usize> {
        self.codes.iter().position(|c| c.code == code)
    }
}

/// The outcome of resolving one raw value against a code list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The value was already the code.
    Exact(String),
    /// The value was a near miss of exactly one code.
    Normalised(String),
    /// The value matches no code, or more than one.
    Unknown,
}

/// Exact codes plus a folded-spelling index; spellings claimed by two codes are dropped.
#[derive(Debug, Clone, Default)]
pub struct CodeLookup {
    exact: HashMap<String, String>,
    folded: HashMap<String, Option<String>>,
}

impl CodeLookup {
    pub fn add_exact(&mut self, code: &str) {
        self.exact.insert(code.to_string(), code.to_string());
    }

    pub fn add_spelling(&mut self, spelling: &str, code: &str) {
        let key = fold(spelling);
        if key.is_empty() {
            return;
        }
        match self.folded.get(&key) {
            Some(Some(existing)) if existing != code => {
                // The same spelling names two codes (e.g. "Vet ej" in a list with two
                // unknown-like codes): it is ambiguous, so it is never auto-corrected.
                self.folded.insert(key, None);
            }
            Some(_) => {}
            None => {
                self.folded.insert(key, Some(code.to_string()));
            }
        }
    }

    pub fn resolve(&self, raw: &str) -> Resolved {
        if let Some(code) = self.exact.get(raw) {
            return Resolved::Exact(code.clone());
        }
        match self.folded.get(&fold(raw)) {
            Some(Some(code)) => Resolved::Normalised(code.clone()),
            _ => Resolved::Unknown,
        }
    }
}

/// Case, surrounding and inner white space, and `-`/`_` are not meaningful in a code.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_sep = false;
    for ch in s.trim().chars() {
        if ch.is_whitespace() || ch == '_' || ch == '-' {
            pending_sep = true;
            continue;
        }
        if pending_sep && !out.is_empty() {
            out.push(' ');
        }
        pending_sep = false;
        out.extend(ch.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> CodeList {
        CodeList::new(
            "g".into(),
            vec![
                Code {
                    code: "woman".into(),
                    sv: "Kvinna".into(),
                    en: "Woman".into(),
                    aliases: vec![],
                },
                Code {
                    code: "unknown".into(),
                    sv: "Vet ej".into(),
                    en: "Unknown".into(),
                    aliases: vec![],
                },
                Code {
                    code: "other".into(),
                    sv: "Vet ej".into(),
                    en: "Other".into(),
                    aliases: vec![],
                },
            ],
        )
    }

    #[test]
    fn near_misses_resolve_only_when_unambiguous() {
        let l = list();
        assert_eq!(l.resolve("woman"), Resolved::Exact("woman".into()));
        assert_eq!(l.resolve(" KVINNA "), Resolved::Normalised("woman".into()));
        assert_eq!(l.resolve("Woman"), Resolved::Normalised("woman".into()));
        // "Vet ej" is the label of two codes here, so it must not be guessed.
        assert_eq!(l.resolve("vet ej"), Resolved::Unknown);
        assert_eq!(l.resolve("kvinnan"), Resolved::Unknown);
    }

    #[test]
    fn fold_ignores_case_space_and_separators() {
        assert_eq!(fold("  Other_Org "), "other org");
        assert_eq!(fold("other-org"), "other org");
        assert_eq!(fold("Å  Ä"), "å ä");
    }
}
