//! The latent (true) persons of the synthetic population, calibrated to the platform's 2024
//! report (shared/spec/report-tables.md): marginals and the associations the report names
//! (women the majority in every form; labour victims born outside the EU; most exploited in
//! Sweden; follow-up information missing for about a third of direct victims).

use rand::Rng;

use super::draw::{bernoulli_set, chance, weighted};
use crate::dates::{PartialDate, days_in_month};

/// Everything the generator knows about one person: the truth every copy is a view of.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub direct: bool,
    pub gender: &'static str,
    pub age_group: &'static str,
    pub birth: PartialDate,
    pub country_of_birth: Option<&'static str>,
    pub forms: Vec<&'static str>,
    pub exploitation_countries: Vec<&'static str>,
    pub identified_by: &'static str,
    pub social_services: Vec<String>,
    pub civil_support: Vec<String>,
    pub reasons: Vec<String>,
    pub nsp: Option<&'static str>,
    pub police: Option<&'static str>,
    pub offences: Vec<String>,
    pub legal_status: Option<&'static str>,
    pub rights: Vec<String>,
    /// Swedish personal or co-ordination number, 12 digits, when the person has one.
    pub pnr: Option<String>,
}

impl Person {
    /// A person with the given core answers and no follow-up information yet.
    fn blank(
        id: String,
        direct: bool,
        gender: &'static str,
        age_group: &'static str,
        birth: PartialDate,
    ) -> Self {
        Person {
            id,
            direct,
            gender,
            age_group,
            birth,
            country_of_birth: None,
            forms: vec![],
            exploitation_countries: vec![],
            identified_by: "unknown",
            social_services: vec![],
            civil_support: vec![],
            reasons: vec![],
            nsp: None,
            police: None,
            offences: vec![],
            legal_status: None,
            rights: vec![],
            pnr: None,
        }
    }
}

const FORMS: [(&str, f64); 8] = [
    ("sexual", 0.545),
    ("labour", 0.315),
    ("multiple", 0.057),
    ("crime", 0.019),
    ("begging", 0.010),
    ("forced_marriage", 0.010),
    ("organ_removal", 0.002),
    ("unknown", 0.042),
];

/// Countries per origin bucket, with relative weights.
const SWEDEN: [(&str, f64); 1] = [("SE", 1.0)];
const EU: [(&str, f64); 9] = [
    ("RO", 0.35),
    ("HU", 0.18),
    ("BG", 0.15),
    ("PL", 0.1),
    ("LT", 0.05),
    ("DE", 0.05),
    ("SK", 0.05),
    ("EE", 0.04),
    ("GR", 0.03),
];
const AFRICA: [(&str, f64); 9] = [
    ("NG", 0.5),
    ("GH", 0.08),
    ("UG", 0.08),
    ("KE", 0.08),
    ("ER", 0.06),
    ("SO", 0.05),
    ("GM", 0.05),
    ("CM", 0.05),
    ("MA", 0.05),
];
const ASIA: [(&str, f64); 9] = [
    ("TH", 0.3),
    ("VN", 0.18),
    ("CN", 0.1),
    ("PH", 0.1),
    ("MN", 0.1),
    ("UZ", 0.06),
    ("IN", 0.06),
    ("AF", 0.05),
    ("BD", 0.05),
];
const OTHER_EUROPE: [(&str, f64); 6] = [
    ("UA", 0.35),
    ("RU", 0.15),
    ("AL", 0.15),
    ("MD", 0.15),
    ("RS", 0.1),
    ("GE", 0.1),
];
const MIDDLE_EAST: [(&str, f64); 4] = [("SY", 0.35), ("IQ", 0.3), ("IR", 0.2), ("TR", 0.15)];
const SOUTH_AMERICA: [(&str, f64); 4] = [("BR", 0.35), ("CO", 0.3), ("VE", 0.2), ("PE", 0.15)];
const NORTH_AMERICA: [(&str, f64); 2] = [("US", 0.8), ("CA", 0.2)];
const CENTRAL_AMERICA: [(&str, f64); 2] = [("DO", 0.5), ("NI", 0.5)];

/// Origin buckets by form; labour victims are almost all born outside the EU (T09).
fn origin_buckets(form: &str) -> [(&'static [(&'static str, f64)], f64); 9] {
    let (se, eu, out) = match form {
        "sexual" | "multiple" => (0.34, 0.19, 0.47),
        "labour" => (0.01, 0.02, 0.97),
        _ => (0.2, 0.15, 0.65),
    };
    [
        (&SWEDEN, se),
        (&EU, eu),
        (&AFRICA, out * 0.38),
        (&ASIA, out * 0.34),
        (&OTHER_EUROPE, out * 0.1),
        (&MIDDLE_EAST, out * 0.08),
        (&SOUTH_AMERICA, out * 0.08),
        (&NORTH_AMERICA, out * 0.01),
        (&CENTRAL_AMERICA, out * 0.01),
    ]
}

const IDENTIFIED_BY: [(&str, f64); 10] = [
    ("regional_coordinator", 0.45),
    ("other_org", 0.25),
    ("member_org", 0.177),
    ("police", 0.04),
    ("social_services", 0.03),
    ("migration_agency", 0.02),
    ("healthcare", 0.012),
    ("self", 0.011),
    ("other", 0.005),
    ("unknown", 0.005),
];
const SOCIAL: [(&str, f64); 11] = [
    ("social_worker", 0.46),
    ("applied", 0.38),
    ("not_contacted", 0.33),
    ("income_support", 0.25),
    ("not_entitled", 0.19),
    ("unknown", 0.19),
    ("protected_housing", 0.18),
    ("not_relevant", 0.11),
    ("mika_evonhuset", 0.08),
    ("emergency_housing", 0.07),
    ("emergency_assistance", 0.016),
];
const CIVIL: [(&str, f64); 14] = [
    ("legal_advice", 0.693),
    ("psychological", 0.515),
    ("material", 0.329),
    ("authority_contact", 0.23),
    ("interpretation", 0.2),
    ("safe_housing", 0.189),
    ("identification_advice", 0.182),
    ("basic_needs", 0.144),
    ("other", 0.14),
    ("acute_medical", 0.106),
    ("legal_process", 0.045),
    ("return", 0.034),
    ("lost_contact", 0.026),
    ("child_education", 0.018),
];
const REASONS: [(&str, f64); 3] = [
    ("more_than_offered", 0.587),
    ("not_granted", 0.243),
    ("no_authority_contact", 0.17),
];
const OFFENCES: [(&str, f64); 11] = [
    ("trafficking", 0.16),
    ("exploitation", 0.12),
    ("procuring", 0.12),
    ("purchase_of_sex", 0.08),
    ("rape", 0.15),
    ("assault", 0.12),
    ("unlawful_coercion", 0.05),
    ("usury", 0.03),
    ("child_peace", 0.02),
    ("other", 0.1),
    ("unknown", 0.05),
];
const LEGAL: [(&str, f64); 7] = [
    ("unknown", 20.0),
    ("investigation_closed", 18.0),
    ("investigation_ongoing", 16.0),
    ("investigation_not_started", 9.0),
    ("convicted", 6.0),
    ("prosecuted", 1.0),
    ("acquitted", 0.3),
];
const RIGHTS: [(&str, f64); 4] = [
    ("regional_coordinator", 0.349),
    ("injured_party_counsel", 0.349),
    ("temporary_residence_permit", 0.198),
    ("reflection_period", 0.104),
];
const ABROAD: [(&str, f64); 7] = [
    ("IT", 0.35),
    ("DK", 0.3),
    ("DE", 0.1),
    ("ES", 0.08),
    ("NO", 0.08),
    ("FR", 0.05),
    ("NL", 0.04),
];

/// Share of direct persons with no follow-up information (126 of 370 in 2024).
const NO_FOLLOW_UP: f64 = 126.0 / 370.0;

fn pick<R: Rng>(rng: &mut R, items: &[(&'static str, f64)]) -> &'static str {
    let refs: Vec<(&str, f64)> = items.iter().map(|(c, w)| (*c, *w)).collect();
    let chosen = weighted(rng, &refs);
    items
        .iter()
        .find(|(c, _)| *c == chosen)
        .map_or(items[0].0, |(c, _)| c)
}

fn birth_for_age<R: Rng>(rng: &mut R, year: i32, min_age: i32, max_age: i32) -> PartialDate {
    let age = rng.random_range(min_age..=max_age);
    let y = year - age - i32::from(chance(rng, 0.5));
    let m = rng.random_range(1..=12);
    let d = rng.random_range(1..=days_in_month(y, m));
    PartialDate {
        year: y,
        month: Some(m),
        day: Some(d),
    }
}

fn adult_age<R: Rng>(rng: &mut R) -> (i32, i32) {
    // Mostly young adults, as in the platform's target group.
    match rng.random_range(0..10) {
        0..=5 => (19, 32),
        6..=8 => (33, 50),
        _ => (51, 68),
    }
}

pub fn direct_person<R: Rng>(rng: &mut R, id: String, year: i32) -> Person {
    let form = pick(rng, &FORMS);
    let child = chance(rng, if form == "sexual" { 0.03 } else { 0.004 });
    let gender = match form {
        "sexual" => pick(rng, &[("woman", 0.93), ("man", 0.04), ("other", 0.03)]),
        "labour" => pick(rng, &[("woman", 0.64), ("man", 0.34), ("other", 0.02)]),
        _ => pick(rng, &[("woman", 0.7), ("man", 0.28), ("other", 0.02)]),
    };
    let birth = if child {
        birth_for_age(rng, year, 12, 16)
    } else {
        let (lo, hi) = adult_age(rng);
        birth_for_age(rng, year, lo, hi)
    };
    let country = chance(rng, 0.77).then(|| {
        let buckets = origin_buckets(form);
        let refs: Vec<(&[(&str, f64)], f64)> = buckets.to_vec();
        let total: f64 = refs.iter().map(|(_, w)| w).sum();
        let mut x = rng.random::<f64>() * total;
        let mut chosen = refs[0].0;
        for (b, w) in &refs {
            if x < *w {
                chosen = b;
                break;
            }
            x -= w;
        }
        pick(rng, chosen)
    });
    let forms = match form {
        "multiple" => vec![
            "sexual",
            pick(rng, &[("labour", 0.5), ("crime", 0.3), ("forced_marriage", 0.2)]),
        ],
        f => vec![f],
    };
    let exploitation_countries = exploitation_countries(rng, country);
    let mut p = Person {
        country_of_birth: country,
        forms,
        exploitation_countries,
        identified_by: pick(rng, &IDENTIFIED_BY),
        ..Person::blank(id, true, gender, if child { "child" } else { "adult" }, birth)
    };
    if !chance(rng, NO_FOLLOW_UP) {
        follow_up(rng, &mut p);
    }
    p.pnr = personal_number(rng, &p);
    p
}

fn exploitation_countries<R: Rng>(rng: &mut R, born: Option<&'static str>) -> Vec<&'static str> {
    if chance(rng, 0.03) {
        return vec!["unknown"];
    }
    if born == Some("SE") || chance(rng, 0.88) {
        let mut v = vec!["SE"];
        if born != Some("SE") && chance(rng, 0.2) {
            v.push(pick(rng, &ABROAD));
        }
        return v;
    }
    vec![pick(rng, &ABROAD)]
}

fn follow_up<R: Rng>(rng: &mut R, p: &mut Person) {
    if chance(rng, 0.47) {
        p.social_services = exclusive_unknown(bernoulli_set(rng, &SOCIAL, true));
    }
    if chance(rng, 0.95) {
        p.civil_support = bernoulli_set(rng, &CIVIL, true);
    }
    if chance(rng, 0.6) {
        p.reasons = vec![pick(rng, &REASONS).to_string()];
        if chance(rng, 0.1) {
            let extra = pick(rng, &REASONS).to_string();
            if !p.reasons.contains(&extra) {
                p.reasons.push(extra);
            }
        }
    }
    p.nsp = Some(pick(rng, &[("yes", 0.23), ("no", 0.6), ("unknown", 0.17)]));
    if p.direct && chance(rng, 0.88) {
        let police = pick(rng, &[("yes", 0.397), ("no", 0.481), ("unknown", 0.121)]);
        p.police = Some(police);
        if police == "yes" {
            p.offences = vec![pick(rng, &OFFENCES).to_string()];
            if chance(rng, 0.25) {
                let extra = pick(rng, &OFFENCES).to_string();
                if !p.offences.contains(&extra) && extra != "unknown" && p.offences[0] != "unknown" {
                    p.offences.push(extra);
                }
            }
            if chance(rng, 0.82) {
                p.legal_status = Some(pick(rng, &LEGAL));
            }
        }
    }
    let rights_rate = if p.police == Some("yes") { 0.45 } else { 0.03 };
    if chance(rng, rights_rate) {
        p.rights = vec![pick(rng, &RIGHTS).to_string()];
        if chance(rng, 0.326) {
            let extra = pick(rng, &RIGHTS).to_string();
            if !p.rights.contains(&extra) {
                p.rights.push(extra);
            }
        }
    }
}

/// `unknown` is an answer of its own; it does not stand next to known codes.
fn exclusive_unknown(mut v: Vec<String>) -> Vec<String> {
    if v.len() > 1 {
        v.retain(|c| c != "unknown");
    }
    v
}

/// Swedish-born persons mostly have a personal number; some born abroad a co-ordination number.
fn personal_number<R: Rng>(rng: &mut R, p: &Person) -> Option<String> {
    let born_se = p.country_of_birth == Some("SE");
    let (has, coordination) = if born_se {
        (chance(rng, 0.8), false)
    } else {
        (chance(rng, 0.08), true)
    };
    if !has {
        return None;
    }
    let (y, m, d) = p.birth.earliest();
    let day = if coordination { d + 60 } else { d };
    let serial = rng.random_range(0..1000);
    let nine = format!("{:02}{:02}{:02}{:03}", y % 100, m, day, serial);
    let check = crate::pnr::luhn_digit(&nine)?;
    Some(format!("{:02}{nine}{check}", y / 100))
}

/// A child of a direct victim, counted as indirectly affected.
pub fn indirect_child<R: Rng>(rng: &mut R, id: String, parent: &Person, year: i32) -> Person {
    let country = if chance(rng, 0.5) {
        parent.country_of_birth
    } else if chance(rng, 0.6) {
        Some("SE")
    } else {
        None
    };
    let gender = pick(rng, &[("woman", 0.5), ("man", 0.5)]);
    let mut p = Person {
        country_of_birth: country,
        identified_by: parent.identified_by,
        ..Person::blank(id, false, gender, "child", birth_for_age(rng, year, 0, 16))
    };
    if chance(rng, 0.7) {
        p.civil_support = bernoulli_set(
            rng,
            &[
                ("child_education", 0.4),
                ("material", 0.4),
                ("basic_needs", 0.3),
                ("psychological", 0.2),
            ],
            true,
        );
        p.nsp = parent.nsp;
    }
    if chance(rng, 0.3) {
        p.social_services = exclusive_unknown(bernoulli_set(rng, &SOCIAL, true));
    }
    p.pnr = personal_number(rng, &p);
    p
}
