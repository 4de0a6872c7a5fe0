//! The machine-readable contract (`schemas/` at the repository root), embedded in the binary.
//! Every stage takes its columns, code lists, countries, regions, members and rules from here,
//! so a category is declared once, in data, never in code.

mod codes;
mod linkage;
mod load;

pub use codes::{Code, CodeList, CodeLookup, Resolved, fold as codes_fold};
pub use linkage::{
    CommonDate, GATED_MAX, IDENTICAL_NAME_DICE, LinkageSpec, Resolution, RuleKind, ThresholdScale,
    Thresholds, gated_answers,
};
pub use load::load_embedded;

use std::collections::HashMap;

/// What a column holds, which decides how ingest parses and checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    Member,
    Text,
    Year,
    Code,
    Country,
    PersonalNumber,
    Name,
    PartialDate,
}

/// The contract's role of a column; identifiers never leave the organisation in clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Required,
    Optional,
    Identifier,
    Attribute,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    #[serde(rename = "type")]
    pub ty: ColumnType,
    #[serde(default)]
    pub code_list: Option<String>,
    #[serde(default)]
    pub multi: bool,
    pub sv: String,
    pub en: String,
    #[serde(default)]
    pub help_en: String,
    #[serde(default)]
    pub help_sv: String,
    /// Other names a header may give the column (`Pnr`, `Personnr`), read like its labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Headers organisations' own sheets give the column (`Födelseår`, `Polisanmälan`), read as
    /// it only when the file has no column of its own by name, label or alias: beside one they
    /// head another column (a birth year beside the date, a report's date beside the answer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_headers: Vec<String>,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct Rule {
    pub id: String,
    pub en: String,
    pub sv: String,
}

#[derive(Debug, Clone)]
pub struct Country {
    pub alpha2: String,
    pub name_en: String,
    pub name_sv: String,
    pub region: String,
    /// Other names ingest reads as this country (a former name, a short form).
    pub other_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKind {
    /// A real member organisation of the platform.
    Member,
    /// A fictional organisation used only for synthetic data; never a real member.
    Sample,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub org_id: String,
    pub name: String,
    pub kind: MemberKind,
}

/// A name as compared with the placeholders: pseudonymise's name tokens (any script in Latin
/// letters, lower case, diacritics and punctuation dropped) run together ("N.N." is "nn",
/// "Okänd" is "okand").
pub fn name_placeholder_form(name: &str) -> String {
    crate::pseudonymise::normalise::tokens(name).concat()
}

/// `column` is answered only when `when` holds one of `codes` (`in` in the contract).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct OnlyWhen {
    pub column: String,
    pub when: String,
    #[serde(rename = "in")]
    pub codes: Vec<String>,
}

/// The whole contract, loaded once and shared by every stage.
#[derive(Debug)]
pub struct Schema {
    pub version: String,
    pub multi_separator: char,
    pub max_field_chars: usize,
    /// Words put where a name is not known (`name_placeholder_form`).
    pub name_placeholders: std::collections::HashSet<String>,
    /// Words put where a record id is not known (`NULL`, `N/A`), in `name_placeholder_form`.
    pub id_placeholders: std::collections::HashSet<String>,
    /// First words of a record id that mark an example or test row (`EXEMPEL-1`).
    pub example_ids: std::collections::HashSet<String>,
    /// What exports write in an empty cell (`NULL`, `NA`, `NaN`), in lower case.
    pub empty_markers: std::collections::HashSet<String>,
    /// Dates put in birth_date where it is not known (`1900-01-01`), as `YYYY-MM-DD`.
    pub birth_date_placeholders: std::collections::HashSet<String>,
    /// Columns answered only when another holds one of some codes (the funnel rules).
    pub only_when: Vec<OnlyWhen>,
    pub columns: Vec<Column>,
    pub rules: Vec<Rule>,
    pub code_lists: HashMap<String, CodeList>,
    pub countries: Vec<Country>,
    /// How a country column says the country is not known (`country_unknown` in
    /// codelists.json): the template's label, read by ingest as the code `unknown`.
    pub unknown_country: Code,
    pub members: Vec<Member>,
    country_lookup: CodeLookup,
    /// Every column's names, labels and aliases folded (`codes_fold`), to the column, or to
    /// none where two columns share one; and its `other_headers`. Folded once: folding every
    /// column's names for each cell looked at made a file whose years are text take minutes.
    header_names: HashMap<String, Option<usize>>,
    other_headers: HashMap<String, usize>,
}

/// The folded header names of `columns` (see `Schema::header_names`).
fn header_names(columns: &[Column]) -> (HashMap<String, Option<usize>>, HashMap<String, usize>) {
    let mut names: HashMap<String, Option<usize>> = HashMap::new();
    let mut other = HashMap::new();
    for (i, c) in columns.iter().enumerate() {
        for n in [&c.name, &c.sv, &c.en].into_iter().chain(&c.aliases) {
            let at = names.entry(codes_fold(n)).or_insert(Some(i));
            if *at != Some(i) {
                *at = None;
            }
        }
        for n in &c.other_headers {
            other.entry(codes_fold(n)).or_insert(i);
        }
    }
    (names, other)
}

impl Schema {
    /// Whether a record id is a word put where the id is not known, or has no letter or
    /// digit at all (`-`, `?`): not an id, and every record holding it would be one record.
    /// The column a header cell names by its name, label or alias (folded; none where two
    /// columns share the name).
    pub fn column_by_header(&self, cell: &str) -> Option<usize> {
        self.column_index(cell)
            .or_else(|| self.header_names.get(&codes_fold(cell)).copied().flatten())
            .or_else(|| {
                // `OrgId`, `RecordId`: the contract's names as a program writes them, in
                // CamelCase (an outside review's file was told its header was no header).
                let words = camel_case_words(cell)?;
                self.header_names.get(&codes_fold(&words)).copied().flatten()
            })
    }

    /// The column whose `other_headers` holds the cell (folded).
    pub fn column_by_other_header(&self, cell: &str) -> Option<usize> {
        self.other_headers.get(&codes_fold(cell)).copied()
    }

    pub fn is_id_placeholder(&self, raw: &str) -> bool {
        let form = name_placeholder_form(raw);
        form.is_empty() || self.id_placeholders.contains(&form)
    }

    /// Whether a cell of `col` is an export's mark for an empty cell rather than an answer:
    /// only in answer, birth date and personal number columns (a required column must be
    /// answered, a name or a record id has rules of its own), and never an answer of the
    /// column itself (NA is Namibia).
    pub fn is_empty_marker(&self, col: &Column, raw: &str) -> bool {
        // Staff write "Vet ej", "Okänt" or "-" where a birth date is not known as much as where
        // a number is missing; refused, the whole person left every table (an outside review).
        if matches!(col.ty, ColumnType::PersonalNumber | ColumnType::PartialDate)
            && col.kind != ColumnKind::Required
            && self.is_pnr_placeholder(raw)
        {
            return true;
        }
        let answers = matches!(
            col.ty,
            ColumnType::Code | ColumnType::Country | ColumnType::PartialDate | ColumnType::PersonalNumber
        );
        if !answers
            || col.kind == ColumnKind::Required
            || !self.empty_markers.contains(&raw.trim().to_lowercase())
        {
            return false;
        }
        let is_answer = |r: Resolved| matches!(r, Resolved::Exact(_) | Resolved::Normalised(_));
        match col.ty {
            ColumnType::Country => !is_answer(self.lookup_country(raw.trim())),
            ColumnType::Code => !self
                .list_for(col)
                .is_some_and(|l| is_answer(l.resolve(raw.trim()))),
            _ => true,
        }
    }

    /// Whether a name is a word put where a name is not known (`Okänd`, `N.N.`), numbered or
    /// not (`Barn 1`, `Okänd2`: no name ends in digits, and numbered children sharing a family
    /// name would be joined by it).
    pub fn is_name_placeholder(&self, raw: &str) -> bool {
        let form = name_placeholder_form(raw);
        let bare = form.trim_end_matches(|c: char| c.is_ascii_digit());
        !bare.is_empty() && (self.name_placeholders.contains(&form) || self.name_placeholders.contains(bare))
    }

    /// Whether a personal number cell holds a word or mark put where the person has none
    /// (`Saknas`, `Vet ej`, `-`, `Ej svenskt pnr`): most persons met have no Swedish number,
    /// and refusing the cell refused the whole person (an outside review). Birth dates take
    /// the same words for a date not known (`is_empty_marker`).
    pub fn is_pnr_placeholder(&self, raw: &str) -> bool {
        const NONE: [&str; 9] = [
            "haringen",
            "saknar",
            "ejsvensktpnr",
            "ejsvensktpersonnummer",
            "pnrsaknas",
            "personnummersaknas",
            "samordningsnummersaknas",
            "haringet",
            "ejkant",
        ];
        let form = name_placeholder_form(raw);
        let marks_only = form.is_empty()
            && raw
                .trim()
                .chars()
                .all(|c| matches!(c, '-' | '–' | '?' | '.' | '/' | ' '));
        marks_only || self.name_placeholders.contains(&form) || NONE.contains(&form.as_str())
    }

    /// Whether a record id marks an example or test row: its first word, without the digits
    /// it ends in, is one of `example_ids` (`EXEMPEL-1`, `Test 3`, `test3`).
    pub fn is_example_id(&self, raw: &str) -> bool {
        crate::pseudonymise::normalise::tokens(raw)
            .first()
            .is_some_and(|w| {
                self.example_ids
                    .contains(w.trim_end_matches(|c: char| c.is_ascii_digit()))
            })
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn code_list(&self, id: &str) -> Option<&CodeList> {
        self.code_lists.get(id)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Resolves a country code, an English or Swedish country name, or `unknown`.
    pub fn lookup_country(&self, raw: &str) -> Resolved {
        match self.country_lookup.resolve(raw) {
            Resolved::Unknown => self.inverted_country_name(raw),
            found => found,
        }
    }

    /// A country written as ISO 3166 and case systems list it, its kind after a comma
    /// (`Korea, Republic of`, `Tanzania, United Republic of`, `Congo, The Democratic Republic
    /// of the`): read as the name in its usual order (`Republic of Korea`), and counted as a
    /// normalisation. An outside review's export was refused for these.
    fn inverted_country_name(&self, raw: &str) -> Resolved {
        let Some((name, kind)) = raw.split_once(',') else {
            return Resolved::Unknown;
        };
        let (name, kind) = (name.trim(), kind.trim());
        if name.is_empty() || kind.is_empty() || kind.contains(',') {
            return Resolved::Unknown;
        }
        let usual = format!("{kind} {name}");
        let without_the = usual
            .strip_prefix("The ")
            .or_else(|| usual.strip_prefix("the "))
            .unwrap_or(&usual);
        // The name alone last (`Venezuela, Bolivarian Republic of`), where what follows the
        // comma is a kind of state (`... of`), not a place within it (`Georgia, USA` is no
        // country Georgia); `Korea` and `Congo` name two countries each and stay unknown.
        let kind_of_state = kind.split_whitespace().any(|w| w.eq_ignore_ascii_case("of"));
        [usual.as_str(), without_the]
            .into_iter()
            .chain(kind_of_state.then_some(name))
            .find_map(|form| match self.country_lookup.resolve(form) {
                Resolved::Exact(code) | Resolved::Normalised(code) => Some(Resolved::Normalised(code)),
                Resolved::Unknown => None,
            })
            .unwrap_or(Resolved::Unknown)
    }

    pub fn country(&self, alpha2: &str) -> Option<&Country> {
        self.countries.iter().find(|c| c.alpha2 == alpha2)
    }

    pub fn member(&self, org_id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.org_id == org_id)
    }

    /// The code list a coded column uses, if it is a coded column.
    pub fn list_for(&self, column: &Column) -> Option<&CodeList> {
        column.code_list.as_deref().and_then(|id| self.code_list(id))
    }

    /// Whether `value` is an answer as ingest stores it in `column`: a code of its list (a
    /// country code or `unknown` for a country column), multi-valued answers joined by the
    /// separator; blank is not answered. Anything else in a later stage's input was not made
    /// by this pipeline (and may be an identifier put where an answer belongs).
    pub fn is_stored_answer(&self, column: &Column, value: &str) -> bool {
        let one = |code: &str| match column.ty {
            ColumnType::Country => code == "unknown" || self.country(code).is_some(),
            _ => self.list_for(column).is_some_and(|l| l.get(code).is_some()),
        };
        if value.is_empty() {
            return true;
        }
        if column.multi {
            value.split(self.multi_separator).all(one)
        } else {
            one(value)
        }
    }

    /// The columns that describe a person, never identify one: the kind of contact and every
    /// attribute. These are what pseudonymised files, persons and truth tables carry.
    pub fn attribute_columns(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.kind == ColumnKind::Attribute || c.name == "contact_kind")
            .map(|c| c.name.as_str())
            .collect()
    }

    pub fn required_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| c.kind == ColumnKind::Required)
    }
}

/// A CamelCase cell (`OrgId`) with its words apart (`Org Id`); None when it has no lower-case
/// letter followed by a capital.
fn camel_case_words(cell: &str) -> Option<String> {
    let mut out = String::with_capacity(cell.len() + 4);
    let mut split = false;
    let mut prev_lower = false;
    for ch in cell.chars() {
        if prev_lower && ch.is_uppercase() {
            out.push(' ');
            split = true;
        }
        prev_lower = ch.is_lowercase();
        out.push(ch);
    }
    split.then_some(out)
}
