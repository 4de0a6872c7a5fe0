//! The rules across columns of one row: a record id sent twice and the direct row an
//! indirect one names (from the first pass over every file), the funnel of police report,
//! offences and legal status, and the birth date, personal number and age group against one
//! another and the report year.

use super::{
    CleanValues, HeaderMap, Normalisation, Problem, Row, Validator, answer, broken, cell, digits_hidden,
    number_hint, problem, related,
};
use crate::dates::{PartialDate, possible_age_groups};
use crate::ingest::fields::{Broken, date, personal_number};

impl Validator<'_> {
    /// Every cross-column rule; `values` are the row's cleaned cells, and the birth date and
    /// personal number are cleaned here, as they need the report year.
    pub(super) fn cross_checks(
        &self,
        (row, map, file): (&Row, &HeaderMap, u32),
        (values, norms): CleanValues,
        problems: &mut Vec<Problem>,
    ) {
        self.record_checks((row, map, file), values, problems);
        self.funnel_checks((row, map), values, problems);
        self.identity_checks((row, map), (values, norms), problems);
    }

    fn push(&self, problems: &mut Vec<Problem>, col: usize, raw: &str, b: Broken) {
        problems.push(problem(&self.schema.columns[col].name, raw, b));
    }

    /// A record id sent twice, and the row a related_record_id names.
    fn record_checks(
        &self,
        (row, map, file): (&Row, &HeaderMap, u32),
        values: &[Option<String>],
        problems: &mut Vec<Problem>,
    ) {
        let c = &self.cols;
        let kind = values[c.kind].as_deref();
        let key = self.id_key(row, map, c.record);
        // A row without a record id is refused for that (`required_value`); blank ids are no
        // record's, so they are not duplicates of each other either.
        if let Some(seen) = self.index.map.get(&key)
            && seen.count > 1
            && !cell(row, map, c.record).trim().is_empty()
        {
            let is_first = seen.file == file && seen.line == row.line;
            // Copies with the same answers (compared as stored, so `Kvinna` and `woman` are one
            // answer) are one record, kept where it is first; the copies are listed, not
            // counted. Other answers under one id: no one can tell which is right.
            let broke = if seen.same {
                (!is_first).then(|| {
                    broken(
                        "repeated_row",
                        format!(
                            "the row repeats {} cell for cell, once each answer is read in the contract's form (Kvinna as woman, 20011230 as 2001-12-30, a 10-digit personal number as 12 digits): the same record id and answers, so the record is counted once, from there; delete this copy",
                            self.place(seen, file)
                        ),
                    )
                })
            } else {
                let first = if is_first {
                    "this row is the first".to_string()
                } else {
                    format!("first at {}", self.place(seen, file))
                };
                // A child filed under the parent's case id names that id as its related record.
                let family = related(self.schema, row, map, c.related) == cell(row, map, c.record).trim();
                Some(broken(
                    "duplicate_record_id",
                    format!(
                        "record_id occurs {} times for this organisation and year ({first}), with other answers; every copy is quarantined, so the person is in no table until it is corrected: if they are one person's records (an export per quarter), keep the latest; if they are different persons{}, give each a record_id of its own{}",
                        seen.count,
                        if family {
                            " (this row names its own record_id as its related record: a family under one case id)"
                        } else {
                            ""
                        },
                        lost_digits(row, map, c.record)
                    ),
                ))
            };
            if let Some(b) = broke {
                self.push(problems, c.record, cell(row, map, c.record), b);
            }
        }
        let related = related(self.schema, row, map, c.related);
        if related.is_empty() {
            return;
        }
        if kind == Some("direct") {
            self.push(
                problems,
                c.related,
                related,
                broken(
                    "related_record_for_direct",
                    "related_record_id is for indirect rows: it names the direct row an indirect person is related to; leave it empty on a direct row, or correct contact_kind",
                ),
            );
            return;
        }
        match self.index.map.get(&self.id_key(row, map, c.related)) {
            None => self.push(
                problems,
                c.related,
                related,
                broken(
                    "related_record_missing",
                    if map.source[c.related].is_some_and(|p| row.is_number(p)) {
                        "no row of this organisation and year, in any of its files, has this record_id; the cell is stored as a number in Excel, which drops leading zeros (00042 becomes 42): format the column as text and type the id as it is"
                    } else if self.known_in_other_case(row, map, c.related) {
                        "no row of this organisation and year has this record_id as written, but one has it in other capital letters (ids are compared letter for letter: ab-4 is not AB-4): write related_record_id exactly as that row's record_id"
                    } else {
                        "no row of this organisation and year, in any of its files, has this record_id: correct the id, or leave related_record_id empty if the directly affected person is not among this year's records (the row is then counted without the link)"
                    },
                ),
            ),
            // A row whose contact kind cannot be read is quarantined for it: like any
            // quarantined row it leaves this one counted (see `links`), not refused as "not
            // direct", which sent an outside review after the wrong row's wrong cell.
            Some(seen) if seen.direct == Some(false) => self.push(
                problems,
                c.related,
                related,
                broken(
                    "related_record_not_direct",
                    format!("the row it points at ({}) is not direct", self.place(seen, file)),
                ),
            ),
            Some(_) => {}
        }
    }

    /// Offences and legal status only after a police report; exploitation forms only for a
    /// direct row. A police_report that was refused (TRUE, a typo) is this row's problem
    /// already, with the answers to pick from; until it is corrected nobody can tell whether
    /// offences belong, and "not answered" would send the user after the wrong cell.
    fn funnel_checks(
        &self,
        (row, map): (&Row, &HeaderMap),
        values: &[Option<String>],
        problems: &mut Vec<Problem>,
    ) {
        let c = &self.cols;
        let police = values[c.police].as_deref();
        let police_refused = problems
            .iter()
            .any(|p| p.column == self.schema.columns[c.police].name);
        for col in [c.offences, c.status] {
            if values[col].is_some() && police != Some("yes") && !police_refused {
                self.push(
                    problems,
                    col,
                    cell(row, map, col),
                    broken(
                        "funnel_police_report",
                        match police.filter(|p| !p.is_empty()) {
                            Some(p) => format!("given while police_report is {p:?}; only a police report (yes) has offences and a legal status"),
                            None => "given while police_report is not answered; answer police_report (yes) or leave this blank".to_string(),
                        },
                    ),
                );
            }
        }
        if values[c.forms].is_some() && values[c.kind].as_deref() == Some("indirect") {
            self.push(
                problems,
                c.forms,
                cell(row, map, c.forms),
                broken("forms_for_indirect", "exploitation_forms is for direct rows only"),
            );
        }
    }

    /// The birth date and the personal number, each against the report year and today, one
    /// against the other, and the age group against whichever date there is.
    fn identity_checks(
        &self,
        (row, map): (&Row, &HeaderMap),
        (values, norms): CleanValues,
        problems: &mut Vec<Problem>,
    ) {
        let c = &self.cols;
        let year: Option<i32> = values[c.year].as_deref().and_then(|y| y.parse().ok());
        let mut birth = None;
        let raw_birth = answer(self.schema, row, map, c.birth);
        if !raw_birth.is_empty() {
            match date(raw_birth, year, self.today) {
                Ok((d, _)) if self.schema.birth_date_placeholders.contains(&d.to_string()) => {
                    // Read as not known, like a placeholder name: as a date, every record
                    // holding it would share one birth date.
                    values[c.birth] = None;
                    norms.push(Normalisation {
                        column: "birth_date".into(),
                        from: digits_hidden(raw_birth),
                        to: "(empty: a date case systems write where the birth date is not known)".into(),
                        ..Default::default()
                    });
                }
                Ok((d, changed)) => {
                    // Counted by its form alone (#### for the digits): the report holds no
                    // birth dates.
                    if changed {
                        norms.push(Normalisation {
                            column: "birth_date".into(),
                            from: digits_hidden(raw_birth),
                            to: digits_hidden(&d.to_string()),
                            ..Default::default()
                        });
                    }
                    values[c.birth] = Some(d.to_string());
                    birth = Some(d);
                }
                Err(b) => self.push(problems, c.birth, raw_birth, b),
            }
        }
        let raw_pnr = answer(self.schema, row, map, c.pnr);
        if let (false, Some(y)) = (raw_pnr.is_empty(), year) {
            match personal_number(raw_pnr, y, self.today) {
                Ok(p) => {
                    self.pnr_checks((raw_pnr, y), (&p, birth), norms, problems);
                    birth = birth.or(Some(p.birth));
                    values[c.pnr] = Some(p.normalised);
                }
                Err(b) => self.push(
                    problems,
                    c.pnr,
                    raw_pnr,
                    number_hint(b, (row, raw_pnr), map, c.pnr),
                ),
            }
        }
        // A blank age group the birth date settles: the one answer the check below accepts
        // (a child under 18 on 1 January of the report year, an adult 18 by its end). Only
        // children were filled in until 0.31, so a file without the column published its
        // children and no adults (an outside review: T05 child 30, adult 0).
        if let (Some(b), Some(y), None) = (birth, year, values[c.age].as_deref()) {
            let settled = match possible_age_groups(&b, y) {
                (true, false) => Some((
                    "child",
                    "child (under 18 all of the report year by the birth date)",
                )),
                (false, true) => Some((
                    "adult",
                    "adult (18 or over all of the report year by the birth date)",
                )),
                _ => None,
            };
            if let Some((age, why)) = settled {
                values[c.age] = Some(age.to_string());
                norms.push(Normalisation {
                    column: self.schema.columns[c.age].name.clone(),
                    from: "(blank)".into(),
                    to: why.into(),
                    ..Default::default()
                });
            }
        }
        if let (Some(b), Some(y), Some(age)) = (birth, year, values[c.age].as_deref()) {
            let (child_ok, adult_ok) = possible_age_groups(&b, y);
            let bad = (age == "child" && !child_ok) || (age == "adult" && !adult_ok);
            if bad {
                self.push(
                    problems,
                    c.age,
                    age,
                    broken(
                        "age_group_birth_date",
                        format!(
                            "{age} contradicts the birth date (of birth_date or personal_number) in {y}: correct age_group, or the date if that is what is wrong"
                        ),
                    ),
                );
            }
        }
    }

    /// A valid personal number against birth_date, the report year `y` and today. Neither
    /// date is shown: the report and the terminal hold no birth dates.
    fn pnr_checks(
        &self,
        (raw, y): (&str, i32),
        (p, birth): (&crate::pnr::PersonalNumber, Option<PartialDate>),
        norms: &mut Vec<Normalisation>,
        problems: &mut Vec<Problem>,
    ) {
        let c = &self.cols;
        // Counted by the dash alone: the report never shows the number.
        if let Some((dash, name)) = crate::pnr::typographic_dash(raw) {
            norms.push(Normalisation {
                column: "personal_number".into(),
                from: format!("{dash} ({name}) before the last four digits"),
                to: "-".into(),
                ..Default::default()
            });
        }
        if birth.is_some_and(|b| !p.agrees_with(&b)) {
            self.push(
                problems,
                c.pnr,
                raw,
                broken(
                    "pnr_birth_date",
                    "its date part disagrees with birth_date: correct whichever of the two is wrong (a co-ordination number with day 60 or month 00 carries only the year and month, or the year, and only those are compared)",
                ),
            );
        }
        // The number's date is a birth date too: the same range as birth_date, and without a
        // birth_date it is the one the age group must agree with.
        let why = if p.birth.year < 1900 || p.birth.year > y {
            format!(
                "its date lies before 1900 or after the report year {y}: correct the number (in 10 digits, + before the last four marks someone 100 or older)"
            )
        } else if self.today.before(&p.birth) {
            format!(
                "its date lies after today ({}); no one is born in the future: correct the number",
                self.today
            )
        } else {
            return;
        };
        self.push(problems, c.pnr, raw, broken("pnr_date_range", why));
    }
}

/// Excel keeps 15 significant digits of a number: an id of 16 digits or more typed into a
/// cell not formatted as text ends in zeros, and ids that differed only after the 15th digit
/// become one. The duplicate's message says so, as the person sees the ids differ.
fn lost_digits(row: &Row, map: &HeaderMap, col: usize) -> String {
    let text = cell(row, map, col);
    let stored_as_number = map.source[col].is_some_and(|p| row.is_number(p));
    if stored_as_number && text.len() >= 16 && text.bytes().all(|b| b.is_ascii_digit()) {
        format!(
            "; the id is stored as a number of {} digits in Excel, which keeps only the first 15, so the digits after them were lost and ids that differed there became one: format the column as text and paste the ids again from the case system",
            text.len()
        )
    } else {
        String::new()
    }
}
