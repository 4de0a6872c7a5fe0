//! Name pools for the synthetic population (`names.json`, embedded): per cultural group,
//! given and family names, with the native script and common Latin spellings where the group
//! writes in another script, so that copies can differ in script as real registers do.

use std::collections::HashMap;

use rand::Rng;

const NAMES_JSON: &str = include_str!("names.json");

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
enum RawName {
    Plain(String),
    Scripted { native: String, latin: Vec<String> },
}

#[derive(Debug, Clone, serde::Deserialize)]
struct RawGroup {
    given_female: Vec<RawName>,
    given_male: Vec<RawName>,
    family: Vec<RawName>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct RawFile {
    groups: HashMap<String, RawGroup>,
}

/// One name as a person carries it: a native-script form (if any) and Latin spellings.
#[derive(Debug, Clone)]
pub struct Name {
    pub native: Option<String>,
    pub latin: Vec<String>,
}

impl Name {
    /// Two names as one (a middle name, a double family name); every spelling combination.
    fn join(a: &Name, b: &Name, sep: &str) -> Name {
        let native = match (&a.native, &b.native) {
            (Some(x), Some(y)) => Some(format!("{x}{sep}{y}")),
            _ => None,
        };
        let mut latin = Vec::new();
        for x in &a.latin {
            for y in &b.latin {
                latin.push(format!("{x}{sep}{y}"));
            }
        }
        Name { native, latin }
    }

    /// The form most registers would write.
    pub fn canonical(&self) -> &str {
        self.latin.first().map_or("", String::as_str)
    }
}

impl From<&RawName> for Name {
    fn from(r: &RawName) -> Self {
        match r {
            RawName::Plain(s) => Name {
                native: None,
                latin: vec![s.clone()],
            },
            RawName::Scripted { native, latin } => Name {
                native: Some(native.clone()),
                latin: latin.clone(),
            },
        }
    }
}

pub struct Group {
    female: Vec<Name>,
    male: Vec<Name>,
    family: Vec<Name>,
}

pub struct NamePools {
    groups: HashMap<String, Group>,
}

#[derive(Debug, thiserror::Error)]
#[error("names.json is invalid: {0}")]
pub struct NamesError(String);

impl NamePools {
    pub fn load() -> Result<Self, NamesError> {
        let raw: RawFile = serde_json::from_str(NAMES_JSON).map_err(|e| NamesError(e.to_string()))?;
        let conv = |v: &[RawName]| v.iter().map(Name::from).collect::<Vec<_>>();
        let groups = raw
            .groups
            .iter()
            .map(|(k, g)| {
                (
                    k.clone(),
                    Group {
                        female: conv(&g.given_female),
                        male: conv(&g.given_male),
                        family: conv(&g.family),
                    },
                )
            })
            .collect::<HashMap<_, _>>();
        for g in ["swedish", "english"] {
            if !groups.contains_key(g) {
                return Err(NamesError(format!("group {g} is missing")));
            }
        }
        Ok(NamePools { groups })
    }

    /// Draws (given, family) for a person of a country, by gender.
    pub fn draw<R: Rng>(&self, rng: &mut R, country: Option<&str>, gender: &str) -> (Name, Name) {
        let key = country.map_or_else(|| self.random_group(rng), group_for_country);
        let g = self
            .groups
            .get(key)
            .or_else(|| self.groups.get("english"))
            .expect("checked at load");
        let given_pool = match gender {
            "man" => &g.male,
            "woman" => &g.female,
            _ if rng.random::<bool>() => &g.male,
            _ => &g.female,
        };
        let pick = |rng: &mut R, pool: &[Name]| pool[rng.random_range(0..pool.len())].clone();
        let mut given = pick(rng, given_pool);
        // Many people have a middle name; some cultures use two family names.
        if rng.random::<f64>() < 0.3 {
            let second = pick(rng, given_pool);
            if second.canonical() != given.canonical() {
                given = Name::join(&given, &second, " ");
            }
        }
        let mut family = pick(rng, &g.family);
        let double = if matches!(key, "spanish_latin_american" | "brazilian") {
            0.6
        } else {
            0.08
        };
        if rng.random::<f64>() < double {
            let second = pick(rng, &g.family);
            if second.canonical() != family.canonical() {
                family = Name::join(&family, &second, if double > 0.5 { " " } else { "-" });
            }
        }
        (given, family)
    }

    fn random_group<R: Rng>(&self, rng: &mut R) -> &'static str {
        const MIX: [&str; 8] = [
            "nigerian",
            "romanian",
            "thai",
            "swedish",
            "ukrainian",
            "arabic",
            "vietnamese",
            "spanish_latin_american",
        ];
        MIX[rng.random_range(0..MIX.len())]
    }
}

fn group_for_country(c: &str) -> &'static str {
    match c {
        "SE" => "swedish",
        "RO" | "MD" => "romanian",
        "BG" => "bulgarian",
        "HU" | "SK" => "hungarian",
        "PL" | "LT" | "EE" => "polish",
        "UA" => "ukrainian",
        "RU" | "UZ" | "GE" | "RS" => "russian",
        "AL" => "albanian",
        "GR" => "greek",
        "NG" => "nigerian",
        "GH" | "GM" | "CM" => "west_african",
        "UG" | "KE" | "ER" | "SO" => "east_african",
        "SY" | "IQ" | "MA" | "TR" => "arabic",
        "IR" | "AF" => "persian",
        "TH" => "thai",
        "VN" => "vietnamese",
        "CN" => "chinese",
        "PH" | "IN" | "BD" => "filipino",
        "MN" => "mongolian",
        "BR" => "brazilian",
        "CO" | "VE" | "PE" | "DO" | "NI" => "spanish_latin_american",
        "DE" => "english",
        _ => "english",
    }
}
