//! The cases the privacy design names: what must link (typos, swaps, scripts, partial dates)
//! and what must not (namesakes, twins, placeholders, conflicting personal numbers).

use super::*;

#[test]
fn typos_swaps_scripts_and_partial_dates_link_namesakes_and_conflicts_do_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("in");
    two_orgs(
        &input,
        &[
            ("SAMPLE01", "a", "Annika", "Svensson", "1985-03-12", ""),
            ("SAMPLE02", "a", "Anika", "Svensson", "1985-03-12", ""),
            ("SAMPLE01", "b", "Maria José", "Fernández", "1990-11-02", ""),
            ("SAMPLE02", "b", "Fernandez", "Maria Jose", "1990-11-02", ""),
            ("SAMPLE01", "c", "Олена", "Коваленко", "1979-06-30", ""),
            ("SAMPLE02", "c", "Olena", "Kovalenko", "1979-06-30", ""),
            ("SAMPLE01", "d", "Chiamaka", "Okonkwo", "1996-08-21", ""),
            ("SAMPLE02", "d", "Chiamaka", "Okonkwo", "1996", ""),
            ("SAMPLE01", "e", "Sara", "Nilsson", "1980-01-01", ""),
            ("SAMPLE02", "e", "Sara", "Nilsson", "1992-07-15", ""),
            ("SAMPLE01", "f", "Erik", "Lind", "1981-12-18", "811218-9876"),
            ("SAMPLE02", "f", "Erik", "Lind", "1981-12-18", "198112189801"),
        ],
    );
    let (key, _) = test_key(tmp.path(), "cases");
    let report = run_to_link(&input, &tmp.path().join("work"), &key);
    assert_eq!(report.records, 12);
    // Expected: a, b, c, d each one person (4), e two namesakes (2), f two people (2).
    assert_eq!(report.persons, 8, "{}", report.to_text());
    let persons = persons_of(&tmp.path().join("work"));
    assert_eq!(persons.values().filter(|orgs| orgs.len() == 2).count(), 4);
    assert!(
        report.refused_pnr_merges >= 1,
        "the conflicting personal numbers were kept apart by the guard"
    );
}

/// Twins born the same day whose given names differ only in vowels (Maria and Mario) share
/// the phonetic key; their genders tell them apart. Without the guard they are one person.
#[test]
fn twins_whose_names_sound_alike_stay_apart_when_their_genders_differ() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    let row = |org: &str, id: &str, given: &str, gender: &str| {
        row_with(&[
            ("org_id", org),
            ("record_id", id),
            ("given_name", given),
            ("family_name", "Lindqvist"),
            ("birth_date", "2001-04-05"),
            ("personal_number", ""),
            ("gender", gender),
            ("age_group", "adult"),
        ])
    };
    // One organisation met both twins; another met Maria, and a third met Mario but did not
    // note his gender, so he may be either twin and joins one of them.
    let files = [
        (
            "SAMPLE01",
            vec![
                row("SAMPLE01", "a", "Maria", "woman"),
                row("SAMPLE01", "b", "Mario", "man"),
            ],
        ),
        ("SAMPLE02", vec![row("SAMPLE02", "a", "Maria", "woman")]),
        ("SAMPLE03", vec![row("SAMPLE03", "a", "Mario", "")]),
    ];
    for (org, rows) in &files {
        write(&input, &format!("{org}.csv"), csv_text(&header(), rows, b','));
    }
    let (key, _) = test_key(tmp.path(), "twins");
    let report = run_to_link(&input, &tmp.path().join("work"), &key);
    assert_eq!(report.records, 4);
    assert_eq!(report.persons, 2, "{}", report.to_text());
    let fuzzy_refused = report.fuzzy.as_ref().map_or(0, |f| f.refused_answer_conflicts);
    assert!(
        report.exact.refused_by_answers + fuzzy_refused >= 1,
        "{}",
        report.to_text()
    );
    let persons = persons_of(&tmp.path().join("work"));
    assert!(
        persons.values().all(|orgs| orgs.contains("SAMPLE01")),
        "each twin is one of SAMPLE01's two records: {persons:?}"
    );
}

/// The answer guard keeps persons whose records disagree on gender apart, so a data-entry
/// error splits a person the names alone would join. What that costs is measured on generated
/// samples without and with such errors (10% of later copies: a wrong gender or a wrong
/// country of birth, half each; far more than data entry makes): the errors reach the guard,
/// recall falls by less than 0.05 (0.036 here; 0 with no guard) and precision holds.
/// Guarding country of birth too fails this (recall fell by 0.058 on the same samples), which
/// is why only gender is guarded.
#[test]
fn a_mis_entered_gender_or_country_costs_little_recall() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "conflicts");
    let s = schema();
    let quality = |conflict: f64| {
        let dir = tmp.path().join(format!("sample-{conflict}"));
        let cfg = safetally::sample::SampleConfig {
            persons: 2000,
            seed: 5,
            formats: vec![safetally::sample::Format::Parquet],
            noise: safetally::sample::NoiseConfig {
                answer_conflict: conflict,
                ..Default::default()
            },
            ..Default::default()
        };
        safetally::sample::generate(&s, &cfg, &dir, &safetally::progress::Progress::hidden())
            .expect("generate");
        let work = dir.join("work");
        let report = run_to_link(&dir.join("submissions"), &work, &key);
        let r = load(&s, &work.join("02-pseudonymise")).expect("load");
        let truth = truth_for_records(&key, &dir.join("truth/records.parquet"), &r).expect("truth");
        let params = LinkParams::from_spec(&LinkageSpec::load(&s).expect("spec"));
        let refused =
            report.exact.refused_by_answers + report.fuzzy.as_ref().map_or(0, |f| f.refused_answer_conflicts);
        (evaluate_stage(&r, &truth, &params, &[]).with_fuzzy, refused)
    };
    let (clean, clean_refused) = quality(0.0);
    let (errs, errs_refused) = quality(0.10);
    assert!(
        errs_refused > clean_refused,
        "the errors must reach the guard: {clean_refused} refusals without them, {errs_refused} with"
    );
    assert!(
        errs.recall > clean.recall - 0.05 && errs.precision > clean.precision - 0.005,
        "without errors {clean:?}; with them {errs:?}"
    );
}

/// Age group is the age at first contact: one organisation met her at 17, another at 18. With
/// a typo in her name only the fuzzy step can join the two records, and it must.
#[test]
fn a_person_met_before_and_after_turning_18_is_one_person() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    let row = |org: &str, given: &str, family: &str, age: &str| {
        row_with(&[
            ("org_id", org),
            ("record_id", "a"),
            ("given_name", given),
            ("family_name", family),
            ("birth_date", "2006-06-15"),
            ("personal_number", ""),
            ("gender", "woman"),
            ("age_group", age),
        ])
    };
    for (org, given, family, age) in [
        ("SAMPLE01", "Annika", "Svensson", "child"),
        ("SAMPLE02", "Anika", "Svenson", "adult"),
    ] {
        let rows = vec![row(org, given, family, age)];
        write(&input, &format!("{org}.csv"), csv_text(&header(), &rows, b','));
    }
    let (key, _) = test_key(tmp.path(), "eighteen");
    let report = run_to_link(&input, &tmp.path().join("work"), &key);
    assert_eq!(report.records, 2, "{}", report.to_text());
    assert_eq!(report.persons, 1, "{}", report.to_text());
}

/// Short names that differ throughout, born on one day, are different people: on the balanced
/// filters "Anna" and "Maria" scored above the full-date threshold, and an outside review found
/// such pairs joined (with `no_common_part` at 0 in `linkage.json` this test fails). A name with
/// a typo in a consonant, which shares no skeleton with its original either, still links.
#[test]
fn short_names_that_share_no_part_are_not_joined_by_a_birth_date() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let report = link_rows(
        tmp.path(),
        "short",
        &[
            ("SAMPLE01", "a", "Anna", "", "1990-05-05", ""),
            ("SAMPLE02", "a", "Maria", "", "1990-05-05", ""),
            ("SAMPLE01", "b", "Olga", "", "1987-02-03", ""),
            ("SAMPLE02", "b", "Amina", "", "1987-02-03", ""),
            ("SAMPLE01", "c", "Svetlana", "", "1993-09-14", ""),
            ("SAMPLE02", "c", "Svetlama", "", "1993-09-14", ""),
        ],
    );
    assert_eq!(report.persons, 5, "{}", report.to_text());
    assert_eq!(
        report.fuzzy.as_ref().map(|f| f.merges),
        Some(1),
        "{}",
        report.to_text()
    );
}

/// Twelve different women entered as "Okänd Okänd" with a birth year only (and one man with
/// a name) stay thirteen persons: the placeholder is read as no name at ingest, so no name
/// key or filter joins them (an outside review of 0.11 found them three persons).
#[test]
fn placeholder_names_do_not_join_different_people() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ids: Vec<String> = (0..12).map(|i| format!("u{i}")).collect();
    let mut rows: Vec<(&str, &str, &str, &str, &str, &str)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let org = if i % 2 == 0 { "SAMPLE01" } else { "SAMPLE02" };
            (org, id.as_str(), "Okänd", "Okänd", "1990", "")
        })
        .collect();
    rows.push(("SAMPLE01", "m", "Omar", "Okänd", "1990", ""));
    let report = link_rows(tmp.path(), "okand", &rows);
    assert_eq!(report.persons, 13, "{}", report.to_text());
    assert_eq!(
        report.records_without_identifiers,
        Some(12),
        "{}",
        report.to_text()
    );
}

#[test]
fn a_year_only_record_does_not_bridge_namesakes_and_placeholders_and_common_numbers_are_judged_apart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Two John Smiths born on different days, and a third record knowing only the year (or
    // no date): it never bridges them into one person, and since it matches both alike, it
    // joins neither (0.21 joined it to whichever the filters' bit flips favoured; an outside
    // review found 35 of 81 such records joined to the wrong namesake).
    for (name, date) in [("bridge", "1990"), ("bridge-nodate", "")] {
        let report = link_rows(
            tmp.path(),
            name,
            &[
                ("SAMPLE01", "a", "John", "Smith", "1990-05-05", ""),
                ("SAMPLE02", "b", "John", "Smith", "1990-11-11", ""),
                ("SAMPLE03", "c", "John", "Smith", date, ""),
            ],
        );
        assert_eq!(report.persons, 3, "{}", report.to_text());
        let fuzzy = report.fuzzy.as_ref().expect("fuzzy step ran");
        assert_eq!(fuzzy.ambiguous_records, 1, "{}", report.to_text());
        assert!(
            report
                .to_text()
                .contains("1 record(s) not joined by the fuzzy step"),
            "{}",
            report.to_text()
        );
    }
    // With one John Smith of that year, or two records of one, the same record joins.
    let a = ("SAMPLE01", "a", "John", "Smith", "1990-05-05", "");
    let b = ("SAMPLE02", "b", "John", "Smith", "1990-05-05", "");
    let c = ("SAMPLE03", "c", "John", "Smith", "1990", "");
    for (name, rows) in [("one", vec![a, c]), ("one-twice", vec![a, b, c])] {
        let report = link_rows(tmp.path(), name, &rows);
        assert_eq!(report.persons, 1, "{name}: {}", report.to_text());
    }

    // One person with a valid personal number met by twelve organisations is one person,
    // although twelve records share its name and date key (more than max_key_group).
    let orgs: Vec<String> = (1..=12).map(|i| format!("SAMPLE{i:02}")).collect();
    let rows: Vec<_> = orgs
        .iter()
        .map(|o| (o.as_str(), "r", "Erik", "Lind", "1981-12-18", "811218-9876"))
        .collect();
    let report = link_rows(tmp.path(), "pnr", &rows);
    assert_eq!(report.persons, 1, "{}", report.to_text());

    // Fifty different people entered as the placeholder "Unknown Unknown 1900-01-01": the
    // exact key ignores the value, and the fuzzy step must not join them either.
    let ids: Vec<String> = (0..50).map(|i| format!("u{i}")).collect();
    let orgs: Vec<String> = (0..50).map(|i| format!("SAMPLE{:02}", i % 25 + 1)).collect();
    let rows: Vec<_> = (0..50)
        .map(|i| {
            (
                orgs[i].as_str(),
                ids[i].as_str(),
                "Unknown",
                "Unknown",
                "1900-01-01",
                "",
            )
        })
        .collect();
    let report = link_rows(tmp.path(), "placeholder", &rows);
    assert_eq!(report.persons, 50, "{}", report.to_text());
}

/// Registers give people whose birth day is unknown 1 January: unrelated people then share a
/// full birth date far more often than birthdays spread over the year would, and the fuzzy
/// step's full-date threshold is met by about one pair of unrelated names in twenty. Forty
/// different women of one placeholder date stay forty persons; the same name, or a typo of it,
/// still links, as does the same name under a true date of the placeholder's year. Without the common-date rule (the settings of older versions) they do not stay
/// apart, which shows the test can fail.
#[test]
fn different_people_on_a_placeholder_birth_date_stay_apart() {
    use safetally::run::link_stage;
    let tmp = tempfile::tempdir().expect("tempdir");
    let given = [
        "Fatima", "Halima", "Aster", "Zainab", "Leila", "Rahel", "Selam", "Hiba", "Mariam", "Nour", "Samira",
        "Yasmin", "Rania", "Salma", "Huda", "Dalia", "Warda", "Asma", "Ruqaya", "Noura",
    ];
    let family = [
        "Noor", "Abdi", "Girma", "Omar", "Karimi", "Tesfay", "Bekele", "Saleh", "Haddou", "Jama", "Farah",
        "Osman", "Yusuf", "Warsame", "Hersi", "Dirie", "Egal", "Nur", "Kahin", "Duale",
    ];
    let ids: Vec<String> = (0..40).map(|i| format!("p{i}")).collect();
    let mut rows: Vec<(&str, &str, &str, &str, &str, &str)> = (0..40)
        .map(|i| {
            let org = if i % 2 == 0 { "SAMPLE01" } else { "SAMPLE02" };
            // Forty different names: given name i mod 20 with family name (i + i / 20) mod 20.
            (
                org,
                ids[i].as_str(),
                given[i % 20],
                family[(i + i / 20) % 20],
                "1992-01-01",
                "",
            )
        })
        .collect();
    // Two of them met by the other organisation too, once as written and once with a typo.
    rows.push(("SAMPLE02", "d0", given[0], family[0], "1992-01-01", ""));
    rows.push(("SAMPLE01", "d1", "Halimah", family[1], "1992-01-01", ""));
    // And one met by the other organisation under her true birth date: a placeholder tells
    // only the year, so the two dates are no conflict (version 0.11 kept her apart).
    rows.push(("SAMPLE02", "d2", given[2], family[2], "1992-06-25", ""));
    let input = tmp.path().join("in");
    two_orgs(&input, &rows);
    let (key, _) = test_key(tmp.path(), "placeholder-day");
    let report = run_to_link(&input, &tmp.path().join("work"), &key);
    assert_eq!(report.persons, 40, "{}", report.to_text());
    assert_eq!(report.exact.common_dates, (1, 42), "{}", report.to_text());
    assert!(
        report.to_text().contains("look like placeholders"),
        "{}",
        report.to_text()
    );

    let s = schema();
    let w = safetally::stage::Workdir::new(tmp.path().join("work")).expect("workdir");
    let spec = safetally::schema::LinkageSpec::load(&s).expect("linkage spec");
    let mut params = safetally::link::LinkParams::from_spec(&spec);
    params.common_date = safetally::schema::CommonDate::default();
    let input = w.stage_dir(safetally::pseudonymise::STAGE);
    let without = link_stage(
        &s,
        &w,
        &input,
        &params,
        &safetally::progress::Progress::hidden(),
        true,
    )
    .expect("link")
    .result;
    assert!(
        without.persons < 40,
        "without the rule some unrelated names pass the full-date threshold: {}",
        without.to_text()
    );
    // Linking with exact keys alone sees the placeholder too.
    let mut exact_only = safetally::link::LinkParams::from_spec(&spec);
    exact_only.fuzzy = false;
    let exact = link_stage(
        &s,
        &w,
        &input,
        &exact_only,
        &safetally::progress::Progress::hidden(),
        true,
    )
    .expect("link")
    .result;
    assert_eq!(exact.exact.common_dates, (1, 42), "{}", exact.to_text());
}

/// Ahmed and Mahmoud Hassan met by one organisation and born on one day are two people. On
/// consonant skeletons (vowels, h and g dropped) both given names were "md", so the phonetic
/// key joined them, within one organisation too, where the fuzzy step never joins records.
#[test]
fn names_with_one_consonant_skeleton_are_not_joined_by_the_phonetic_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let report = link_rows(
        tmp.path(),
        "skeletons",
        &[
            ("SAMPLE01", "a", "Ahmed", "Hassan", "1985-03-17", ""),
            ("SAMPLE01", "b", "Mahmoud", "Hassan", "1985-03-17", ""),
            ("SAMPLE01", "c", "Sara", "Ali", "1990-06-02", ""),
            ("SAMPLE01", "d", "Zahra", "Ali", "1990-06-02", ""),
            // Spellings of one name still share the key.
            ("SAMPLE01", "e", "Mohammed", "Haddad", "1988-03-14", ""),
            ("SAMPLE02", "e", "Muhammad", "Haddad", "1988-03-14", ""),
        ],
    );
    assert_eq!(report.persons, 5, "{}", report.to_text());
    assert_eq!(
        report.exact.merges.get("mk_phonetic_dob"),
        Some(&1),
        "{}",
        report.to_text()
    );
}

/// A personal number one organisation gives to different people (the Tax Agency's example
/// 19121212-1212, typed for everyone without a number) joins nobody: seven women of four
/// organisations were one person in version 0.31 (an outside review). A real number still
/// joins one person's records across organisations whatever their names, and one
/// organisation's two records of one person, also where one has a typo (without the fuzzy
/// step's judgement of such a pair, the number was ignored and the woman counted twice).
#[test]
fn a_personal_number_one_organisation_gives_to_different_people_joins_nobody() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let test_number = "19121212-1212";
    let report = link_rows(
        tmp.path(),
        "placeholder-pnr",
        &[
            ("SAMPLE01", "a", "Sara", "Ahmed", "", test_number),
            ("SAMPLE01", "b", "Fatima", "Hosseini", "", test_number),
            ("SAMPLE02", "c", "Amina", "Kovalenko", "", test_number),
            ("SAMPLE03", "d", "Leyla", "Mansour", "", test_number),
            // One man: another spelling at another organisation, and entered twice by one.
            ("SAMPLE01", "e", "Erik", "Lind", "1981-12-18", "811218-9876"),
            ("SAMPLE02", "f", "Eric", "Lindh", "1981-12-18", "811218-9876"),
            ("SAMPLE03", "g", "Erik", "Lind", "1981-12-18", "811218-9876"),
            ("SAMPLE03", "h", "Erik", "Lind", "1981-12-18", "811218-9876"),
            // One woman entered twice by one organisation, once with a typo: one person still.
            ("SAMPLE01", "i", "Annika", "Svensson", "1985-03-12", "850312-2387"),
            (
                "SAMPLE01",
                "j",
                "Annika",
                "Svenstrom",
                "1985-03-12",
                "850312-2387",
            ),
            ("SAMPLE02", "k", "Annika", "Svensson", "1985-03-12", "850312-2387"),
        ],
    );
    assert_eq!(report.records, 11);
    assert_eq!(report.persons, 6, "{}", report.to_text());
    assert_eq!(
        report.exact.ignored_pnr_placeholders,
        (1, 4),
        "{}",
        report.to_text()
    );
    assert!(
        report.to_text().contains("numbers used as placeholders"),
        "{}",
        report.to_text()
    );
}

/// Thirty records of "Mohammed Ali" without a birth date, ten at each of three
/// organisations: each record matches at most one of every other organisation, but those
/// matches chained into a person of 21 records, seven of one organisation (an outside review
/// of 0.31). No person the fuzzy step builds holds two records of one organisation.
#[test]
fn namesakes_without_dates_are_not_chained_into_one_person() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ids: Vec<String> = (0..30).map(|i| format!("m{i}")).collect();
    let rows: Vec<_> = (0..30)
        .map(|i| {
            let org = ["SAMPLE01", "SAMPLE02", "SAMPLE03"][i % 3];
            (org, ids[i].as_str(), "Mohammed", "Ali", "", "")
        })
        .collect();
    let report = link_rows(tmp.path(), "namesakes", &rows);
    assert_eq!(report.records, 30);
    assert_eq!(
        report.persons_repeated_in_an_organisation,
        0,
        "{}",
        report.to_text()
    );
    assert!(report.persons >= 10, "{}", report.to_text());
    let fuzzy = report.fuzzy.as_ref().expect("fuzzy step ran");
    assert!(fuzzy.refused_same_organisation > 0, "{}", report.to_text());
}
