//! Lays a person's copy out as a row of the contract, in the schema's column order, with the
//! organisation's diverging answers (`unknown` or blank where another organisation knows).

use std::collections::HashMap;

use rand::{Rng, SeedableRng};

use super::draw::chance;
use super::model::Person;
use super::noise::{Identifiers, NoiseConfig};
use crate::error::{SampleError, StageError};
use crate::schema::{ColumnType, Schema};

/// What differs between the copies of one person.
pub struct Copy<'a> {
    pub org_id: &'a str,
    pub record_id: &'a str,
    pub related: Option<&'a str>,
    pub ids: &'a Identifiers,
    pub first: bool,
    /// The organisation types Swedish labels ("Kvinna", "Vet ej") instead of codes, as
    /// staff do who fill in the template's drop-down lists.
    pub labels: bool,
    /// The seed of this copy's own draws of a mis-entered answer (`NoiseConfig::
    /// answer_conflict`), kept apart from the sample's stream so that turning those errors on
    /// changes nothing else in the sample. None: no such errors.
    pub conflict_seed: Option<u64>,
}

/// Column positions, resolved once from the schema so rows are built without lookups.
pub struct RecordBuilder {
    pub width: usize,
    pub year: i32,
    pub org: usize,
    pub record: usize,
    pub report_year: usize,
    pub kind: usize,
    pub related: usize,
    pub pnr: usize,
    pub given: usize,
    pub family: usize,
    pub birth: usize,
    pub gender: usize,
    pub age: usize,
    pub country: usize,
    pub forms: usize,
    pub countries: usize,
    pub identified: usize,
    pub social: usize,
    pub civil: usize,
    pub reasons: usize,
    pub nsp: usize,
    pub police: usize,
    pub offences: usize,
    pub status: usize,
    pub rights: usize,
    attrs: Vec<usize>,
    /// Per column, code -> Swedish label, for coded and country columns.
    sv: Vec<Option<HashMap<String, String>>>,
    separator: char,
}

/// The columns of the truth's person table: the kind of contact and every attribute.
pub fn truth_person_columns(schema: &Schema) -> Vec<&str> {
    schema.attribute_columns()
}

impl RecordBuilder {
    pub fn new(schema: &Schema, year: i32) -> Result<Self, StageError> {
        let at = |n: &str| {
            schema.column_index(n).ok_or_else(|| {
                StageError::from(SampleError::NoColumn {
                    column: n.to_string(),
                })
            })
        };
        let attrs = truth_person_columns(schema)
            .iter()
            .map(|n| at(n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RecordBuilder {
            width: schema.columns.len(),
            year,
            org: at("org_id")?,
            record: at("record_id")?,
            report_year: at("report_year")?,
            kind: at("contact_kind")?,
            related: at("related_record_id")?,
            pnr: at("personal_number")?,
            given: at("given_name")?,
            family: at("family_name")?,
            birth: at("birth_date")?,
            gender: at("gender")?,
            age: at("age_group")?,
            country: at("country_of_birth")?,
            forms: at("exploitation_forms")?,
            countries: at("exploitation_countries")?,
            identified: at("identified_by")?,
            social: at("social_services_support")?,
            civil: at("civil_society_support")?,
            reasons: at("support_reasons")?,
            nsp: at("national_support_programme")?,
            police: at("police_report")?,
            offences: at("reported_offences")?,
            status: at("legal_status")?,
            rights: at("legal_rights")?,
            attrs,
            sv: swedish_labels(schema),
            separator: schema.multi_separator,
        })
    }

    fn to_labels(&self, row: &mut [String]) {
        for (cell, map) in row.iter_mut().zip(&self.sv) {
            if let (Some(map), false) = (map, cell.is_empty()) {
                let parts: Vec<&str> = cell
                    .split(self.separator)
                    .map(|c| map.get(c).map_or(c, String::as_str))
                    .collect();
                *cell = parts.join(&self.separator.to_string());
            }
        }
    }

    /// The person's true answers, one per contract column (empty = not answered).
    fn truth_row(&self, p: &Person) -> Vec<String> {
        let mut r = vec![String::new(); self.width];
        let join = |v: &[String]| v.join(";");
        r[self.kind] = if p.direct { "direct" } else { "indirect" }.into();
        r[self.gender] = p.gender.into();
        r[self.age] = p.age_group.into();
        r[self.country] = p.country_of_birth.unwrap_or("unknown").into();
        r[self.forms] = p.forms.join(";");
        r[self.countries] = p.exploitation_countries.join(";");
        r[self.identified] = p.identified_by.into();
        r[self.social] = join(&p.social_services);
        r[self.civil] = join(&p.civil_support);
        r[self.reasons] = join(&p.reasons);
        r[self.nsp] = p.nsp.unwrap_or("").into();
        r[self.police] = p.police.unwrap_or("").into();
        r[self.offences] = join(&p.offences);
        r[self.status] = p.legal_status.unwrap_or("").into();
        r[self.rights] = join(&p.rights);
        r
    }

    /// Values of `truth_person_columns`, in that order.
    pub fn truth_values(&self, p: &Person) -> Vec<String> {
        let row = self.truth_row(p);
        self.attrs.iter().map(|&i| row[i].clone()).collect()
    }

    /// Replaces a known answer by another known code of its list, as a data-entry error.
    fn misenter<R: Rng>(&self, rng: &mut R, r: &mut [String], col: usize) {
        let Some(Some(codes)) = self.sv.get(col) else {
            return;
        };
        let current = r[col].clone();
        if current.is_empty() || current == "unknown" {
            return;
        }
        // Sorted: a map's order would make the sample differ run to run.
        let mut others: Vec<&String> = codes
            .keys()
            .filter(|c| **c != current && *c != "unknown")
            .collect();
        others.sort_unstable();
        if !others.is_empty() {
            r[col] = others[rng.random_range(0..others.len())].clone();
        }
    }

    pub fn build<R: Rng>(&self, rng: &mut R, noise: &NoiseConfig, p: &Person, c: &Copy) -> Vec<String> {
        let mut r = self.truth_row(p);
        r[self.org] = c.org_id.into();
        r[self.record] = c.record_id.into();
        r[self.report_year] = self.year.to_string();
        r[self.related] = c.related.unwrap_or("").into();
        r[self.pnr] = c.ids.pnr.clone().unwrap_or_default();
        r[self.given] = c.ids.given.clone();
        r[self.family] = c.ids.family.clone();
        r[self.birth] = c.ids.birth.map(|d| d.to_string()).unwrap_or_default();
        // Organisations know different things: any answer may be unknown or blank in a copy.
        for col in [
            self.gender,
            self.age,
            self.country,
            self.identified,
            self.nsp,
            self.police,
        ] {
            if !r[col].is_empty() && chance(rng, noise.answer_unknown) {
                r[col] = if chance(rng, 0.7) {
                    "unknown".into()
                } else {
                    String::new()
                };
            }
        }
        for col in [
            self.forms,
            self.countries,
            self.social,
            self.civil,
            self.reasons,
            self.rights,
        ] {
            if !r[col].is_empty() && chance(rng, noise.answer_unknown / 2.0) {
                r[col] = String::new();
            }
        }
        if let Some(seed) = c.conflict_seed {
            let mut own = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            if chance(&mut own, noise.answer_conflict) {
                let col = if own.random::<bool>() {
                    self.gender
                } else {
                    self.country
                };
                self.misenter(&mut own, &mut r, col);
            }
        }
        // The funnel holds in every copy: no offences or status without a known police report.
        if r[self.police] != "yes" {
            r[self.offences].clear();
            r[self.status].clear();
        }
        if !c.first && c.ids.birth.is_none() && r[self.age] == "unknown" {
            r[self.age] = p.age_group.into();
        }
        if c.labels {
            self.to_labels(&mut r);
        }
        r
    }
}

fn swedish_labels(schema: &Schema) -> Vec<Option<HashMap<String, String>>> {
    schema
        .columns
        .iter()
        .map(|col| match col.ty {
            ColumnType::Code => schema
                .list_for(col)
                .map(|l| l.codes.iter().map(|c| (c.code.clone(), c.sv.clone())).collect()),
            ColumnType::Country => {
                let mut m: HashMap<String, String> = schema
                    .countries
                    .iter()
                    .map(|c| (c.alpha2.clone(), c.name_sv.clone()))
                    .collect();
                m.insert("unknown".into(), "Vet ej".into());
                Some(m)
            }
            _ => None,
        })
        .collect()
}
