//! Pseudonymisation and linkage: quality targets on the bundled sample, the cases the privacy
//! design names, the guards and the errors (that nothing identifying leaves pseudonymisation
//! is `leaks.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use safetally::link::{LinkParams, evaluate_stage, load, load_for, truth_for_records};
use safetally::schema::LinkageSpec;
use safetally_tests::*;

fn bundled() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples")
}

#[test]
fn bundled_sample_meets_the_quality_targets_and_exact_keys_alone_do_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "quality");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let s = schema();
    let r = load(&s, &tmp.path().join("work/02-pseudonymise")).expect("load");
    let truth = truth_for_records(&key, &bundled().join("truth/records.parquet"), &r).expect("truth");
    // The truth folder names the same file; another folder or file is told what to pass.
    let by_folder = truth_for_records(&key, &bundled().join("truth"), &r).expect("truth folder");
    assert_eq!(by_folder, truth);
    let pseudonymised = tmp.path().join("work/02-pseudonymise");
    let a_file = std::fs::read_dir(&pseudonymised)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .expect("a pseudonymised file");
    for wrong in [pseudonymised, a_file] {
        let msg = truth_for_records(&key, &wrong, &r)
            .expect_err("refused")
            .to_string();
        assert!(msg.contains("SAMPLE/truth/records.parquet"), "{msg}");
    }
    let params = LinkParams::from_spec(&LinkageSpec::load(&s).expect("spec"));
    let e = evaluate_stage(&r, &truth, &params, &[]);
    assert_eq!(e.records_without_truth, 0);
    let q = &e.with_fuzzy;
    assert!(
        q.precision >= 0.99 && q.recall >= 0.95,
        "targets: precision >= 0.99, recall >= 0.95; got {q:?}"
    );
    // The same check fails for exact keys alone: the fuzzy step is what meets the target.
    assert!(e.exact_only.recall < 0.95, "exact keys alone: {:?}", e.exact_only);
}

#[test]
fn loading_for_exact_keys_only_reads_the_same_records_without_the_fuzzy_columns() {
    // Every file is read into its own rows of the whole on every core; both ways of loading
    // must put the same record at the same place.
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "exact-only");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let (s, dir) = (schema(), tmp.path().join("work/02-pseudonymise"));
    let full = load(&s, &dir).expect("full");
    let exact = load_for(&s, &dir, false).expect("exact keys only");
    assert!(full.has_fuzzy_columns() && !exact.has_fuzzy_columns());
    assert!(
        full.block_keys.iter().all(|k| k.len() == full.len()) && exact.block_keys.iter().all(Vec::is_empty)
    );
    assert_eq!((full.len(), full.orgs.len()), (exact.len(), 25));
    assert_eq!(full.orgs, exact.orgs);
    assert_eq!(full.org, exact.org);
    assert_eq!(full.report_year, exact.report_year);
    assert!(full.match_keys == exact.match_keys, "match keys differ");
    assert!(
        full.date_parts == exact.date_parts,
        "date parts differ (the exact step needs them too)"
    );
    assert!(
        full.record_key.iter().eq(exact.record_key.iter()),
        "record keys differ"
    );
    for (a, b) in full.attrs.iter().zip(&exact.attrs) {
        assert_eq!((&a.codes, &a.values), (&b.codes, &b.values));
    }
    let orgs_in_order: Vec<&str> = full.org.iter().map(|&o| full.orgs[o as usize].as_str()).collect();
    let mut sorted = orgs_in_order.clone();
    sorted.sort();
    assert_eq!(
        orgs_in_order, sorted,
        "records follow the files' order (one file per organisation)"
    );
}

/// Two organisations' files built from (org, record id, given, family, birth date, pnr), in
/// the folder `dir` (made here).
fn two_orgs(dir: &Path, rows: &[(&str, &str, &str, &str, &str, &str)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let mut by_org: BTreeMap<&str, Vec<Vec<String>>> = BTreeMap::new();
    for (org, id, g, f, b, p) in rows {
        let age = if b.starts_with("20") { "child" } else { "adult" };
        by_org.entry(org).or_default().push(row_with(&[
            ("org_id", org),
            ("record_id", id),
            ("given_name", g),
            ("family_name", f),
            ("birth_date", b),
            ("personal_number", p),
            ("age_group", age),
            ("country_of_birth", "unknown"),
        ]));
    }
    for (org, rows) in by_org {
        write(dir, &format!("{org}.csv"), csv_text(&header(), &rows, b','));
    }
}

fn persons_of(work: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let df = read_parquet(&work.join("03-link/record_map.parquet"));
    let (org, person) = (strings(&df, "org_id"), strings(&df, "person_id"));
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for i in 0..df.height() {
        out.entry(person[i].clone().unwrap_or_default())
            .or_default()
            .insert(org[i].clone().unwrap_or_default());
    }
    out
}

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

/// Links `rows` (org, record id, given, family, birth date, pnr) and returns the report.
fn link_rows(
    tmp: &Path,
    name: &str,
    rows: &[(&str, &str, &str, &str, &str, &str)],
) -> safetally::link::LinkReport {
    let input = tmp.join(name);
    std::fs::create_dir_all(&input).expect("mkdir");
    two_orgs(&input, rows);
    let (key, _) = test_key(tmp, name);
    run_to_link(&input, &tmp.join(format!("work-{name}")), &key)
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

/// One record per organisation, each pseudonymised under the key of its seed, into `dir/pseudo`.
fn pseudonymised_orgs(dir: &Path, orgs: &[(&str, &str)]) -> std::path::PathBuf {
    let p = safetally::progress::Progress::hidden();
    let out = dir.join("pseudo");
    std::fs::create_dir_all(&out).expect("mkdir");
    for (org, seed) in orgs {
        let input = dir.join(org);
        std::fs::create_dir_all(&input).expect("mkdir");
        write(
            &input,
            "a.csv",
            csv_text(&header(), &[row_with(&[("org_id", org)])], b','),
        );
        let (report, ingested) = ingest(&input, &Default::default());
        assert_eq!(report.totals.accepted, 1);
        let (key, _) = test_key(dir, seed);
        safetally::pseudonymise::pseudonymise_dir(
            &schema(),
            &key,
            &ingested.path().join("validated"),
            &out,
            &p,
        )
        .expect("pseudonymise");
    }
    out
}

/// Records without a name or personal number can never be linked: the link report says how
/// many, and what that does to the counts (an outside review blanked every identifier and got
/// no word of it).
#[test]
fn records_without_identifiers_are_counted_and_warned_of() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("in");
    two_orgs(
        &input,
        &[
            ("SAMPLE01", "a1", "Anna", "Svensson", "1981-12-18", ""),
            ("SAMPLE01", "a2", "", "", "1990-01-02", ""),
            ("SAMPLE02", "b1", "", "", "1990-01-02", ""),
            ("SAMPLE02", "b2", "", "", "", ""),
        ],
    );
    let (key, _) = test_key(tmp.path(), "noid");
    let report = run_to_link(&input, &tmp.path().join("w"), &key);
    assert_eq!(report.records_without_identifiers, Some(3));
    let summary = report.summary();
    assert!(
        summary.contains("3 record(s) (75%) carry no identifier to link by"),
        "{summary}"
    );
    // With every record named, no warning.
    let named = tmp.path().join("named");
    two_orgs(
        &named,
        &[
            ("SAMPLE01", "a1", "Anna", "Svensson", "1981-12-18", ""),
            ("SAMPLE02", "b1", "Bo", "Ek", "", ""),
        ],
    );
    let report = run_to_link(&named, &tmp.path().join("w2"), &key);
    assert_eq!(report.records_without_identifiers, Some(0));
    assert!(!report.summary().contains("Warning"), "{}", report.summary());
}

/// Persons are counted one report year at a time: files of two years are refused naming
/// each year's files (an outside review linked 2023's and 2024's files into one set of
/// persons, which only aggregate then refused).
#[test]
fn files_of_two_report_years_are_refused_with_their_names() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let p = safetally::progress::Progress::hidden();
    let out = tmp.path().join("pseudo");
    std::fs::create_dir_all(&out).expect("mkdir");
    let (key, _) = test_key(tmp.path(), "one");
    for (org, year) in [("SAMPLE01", "2024"), ("SAMPLE02", "2023"), ("SAMPLE03", "2024")] {
        let input = tmp.path().join(org);
        std::fs::create_dir_all(&input).expect("mkdir");
        let row = row_with(&[("org_id", org), ("report_year", year)]);
        write(&input, "a.csv", csv_text(&header(), &[row], b','));
        let (_, ingested) = ingest(&input, &Default::default());
        safetally::pseudonymise::pseudonymise_dir(
            &schema(),
            &key,
            &ingested.path().join("validated"),
            &out,
            &p,
        )
        .expect("pseudonymise");
    }
    let e = load(&schema(), &out)
        .err()
        .expect("two years refused")
        .to_string();
    assert!(
        e.contains("year 2023: SAMPLE02.parquet; year 2024: SAMPLE01.parquet, SAMPLE03.parquet")
            && e.contains("one report year at a time"),
        "{e}"
    );
    std::fs::remove_file(out.join("SAMPLE02.parquet")).expect("remove");
    assert!(load(&schema(), &out).is_ok(), "one year links");
}

#[test]
fn files_under_different_keys_are_refused_with_their_names() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let out = pseudonymised_orgs(tmp.path(), &[("SAMPLE01", "one"), ("SAMPLE02", "two")]);
    let e = load(&s, &out)
        .err()
        .expect("mixed keys must be refused")
        .to_string();
    assert!(
        e.contains("SAMPLE01.parquet") && e.contains("SAMPLE02.parquet") && e.contains("different keys"),
        "{e}"
    );
}

/// Files of safetally 0.7 (encoding 1, no `encoding` column) normalised Thai and Arabic-script
/// names otherwise: the same person has other keys there. Mixed with today's files they are
/// refused, naming both; on their own they still link.
#[test]
fn files_of_two_name_encodings_are_refused_with_their_names() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let out = pseudonymised_orgs(tmp.path(), &[("SAMPLE01", "one"), ("SAMPLE02", "one")]);
    assert!(load(&s, &out).is_ok(), "one encoding links");
    let as_version_one = |org: &str| {
        let path = out.join(format!("{org}.parquet"));
        let file = std::fs::File::open(&path).expect("open");
        let mut df = ParquetReader::new(file).finish().expect("read");
        assert!(
            df.column(safetally::pseudonymise::ENCODING).is_ok(),
            "written by pseudonymise"
        );
        df = df.drop(safetally::pseudonymise::ENCODING).expect("drop");
        ParquetWriter::new(std::fs::File::create(&path).expect("create"))
            .finish(&mut df)
            .expect("write");
    };
    as_version_one("SAMPLE01");
    let e = load(&s, &out)
        .err()
        .expect("mixed encodings must be refused")
        .to_string();
    assert!(
        e.contains("encoding 1 (no encoding column: safetally 0.7 or earlier): SAMPLE01.parquet")
            && e.contains(&format!(
                "encoding {}: SAMPLE02.parquet",
                safetally::pseudonymise::ENCODING_VERSION
            ))
            && e.contains("the organisations of SAMPLE01.parquet must pseudonymise again"),
        "{e}"
    );
    as_version_one("SAMPLE02");
    assert!(load(&s, &out).is_ok(), "files of encoding 1 alone still link");
}

#[test]
fn a_pseudonymised_file_sent_twice_is_refused_naming_both_copies() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let input = tmp.path().join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    let rows = [
        row_with(&[]),
        row_with(&[("record_id", "R2"), ("personal_number", "")]),
    ];
    write(&input, "a.csv", csv_text(&header(), &rows, b','));
    let (_, ingested) = ingest(&input, &Default::default());
    let (key, _) = test_key(tmp.path(), "twice");
    let out = tmp.path().join("pseudo");
    std::fs::create_dir_all(&out).expect("mkdir");
    let p = safetally::progress::Progress::hidden();
    safetally::pseudonymise::pseudonymise_dir(&s, &key, &ingested.path().join("validated"), &out, &p)
        .expect("pseudonymise");
    assert_eq!(load(&s, &out).expect("one copy links").len(), 2);
    std::fs::copy(out.join("SAMPLE01.parquet"), out.join("SAMPLE01-again.parquet")).expect("copy");
    let e = load(&s, &out)
        .err()
        .expect("a second copy must be refused")
        .to_string();
    assert!(
        e.contains("SAMPLE01.parquet")
            && e.contains("SAMPLE01-again.parquet")
            && e.contains("2 of the same records"),
        "{e}"
    );
    // A copy of the same name in a subfolder is named by its place, not twice by one name.
    std::fs::remove_file(out.join("SAMPLE01-again.parquet")).expect("remove");
    std::fs::create_dir_all(out.join("old")).expect("mkdir");
    std::fs::copy(out.join("SAMPLE01.parquet"), out.join("old/SAMPLE01.parquet")).expect("copy");
    let e = load(&s, &out).err().expect("refused").to_string();
    assert!(
        e.contains("old/SAMPLE01.parquet and SAMPLE01.parquet")
            || e.contains("SAMPLE01.parquet and old/SAMPLE01.parquet"),
        "{e}"
    );
}

#[test]
fn missing_loose_and_short_keys_and_empty_inputs_are_clear_errors() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = safetally::key::LinkageKey::load(&tmp.path().join("nope.key"))
        .expect_err("missing")
        .to_string();
    assert!(
        missing.contains("nope.key") && missing.contains("safetally keygen"),
        "{missing}"
    );
    let (_, path) = test_key(tmp.path(), "loose");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let loose = safetally::key::LinkageKey::load(&path)
        .expect_err("loose")
        .to_string();
    assert!(loose.contains("chmod 600"), "{loose}");
    let short = tmp.path().join("short.key");
    std::fs::write(&short, "00112233\n").expect("write");
    std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let e = safetally::key::LinkageKey::load(&short)
        .expect_err("short")
        .to_string();
    assert!(e.contains("32 bits") && e.contains("256"), "{e}");
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let e = load(&schema(), &empty).err().expect("empty input").to_string();
    assert!(e.contains("no pseudonymised files"), "{e}");
}

#[test]
fn wrong_key_finds_no_truth() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "right");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let r = load(&schema(), &tmp.path().join("work/02-pseudonymise")).expect("load");
    let (wrong, _) = test_key(tmp.path(), "wrong");
    // Record keys made under another key match nothing, and figures over no record would
    // read as perfect linkage: refused, saying why.
    let e = truth_for_records(&wrong, &bundled().join("truth/records.parquet"), &r)
        .expect_err("no record found is an error")
        .to_string();
    assert!(e.contains("none of the 476") && e.contains("key"), "{e}");
    // A larger sample numbers its records as this one does, so its truth names every record
    // here, with other persons: refused too.
    let cfg = safetally::sample::SampleConfig {
        persons: 3000,
        seed: 5,
        ..Default::default()
    };
    let larger = tmp.path().join("larger");
    safetally::sample::generate(&schema(), &cfg, &larger, &safetally::progress::Progress::hidden())
        .expect("generate");
    let e = truth_for_records(&key, &larger.join("truth/records.parquet"), &r)
        .expect_err("another, larger sample's truth is an error")
        .to_string();
    assert!(e.contains("larger sample"), "{e}");
    // A truth that names only some of the records (its first 200 rows) is refused as well.
    let mut part = read_parquet(&bundled().join("truth/records.parquet")).head(Some(200));
    let partial = tmp.path().join("partial.parquet");
    polars::prelude::ParquetWriter::new(std::fs::File::create(&partial).expect("create"))
        .finish(&mut part)
        .expect("write");
    let e = truth_for_records(&key, &partial, &r)
        .expect_err("a truth naming part of the records is an error")
        .to_string();
    assert!(e.contains("are not in"), "{e}");
    assert!(truth_for_records(&key, &bundled().join("truth/records.parquet"), &r).is_ok());
}

#[test]
fn duplicate_cross_check_adds_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "t21");
    let report = run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let link = tmp.path().join("work/03-link");
    let mut rdr = csv::Reader::from_path(link.join("T21_persons_by_organisations.csv")).expect("csv");
    let total: u64 = rdr
        .records()
        .map(|r| r.expect("row")[1].parse::<u64>().expect("count"))
        .sum();
    assert_eq!(total, report.persons);
    let mut m = csv::Reader::from_path(link.join("T21_organisation_overlap.csv")).expect("csv");
    let rows: Vec<csv::StringRecord> = m.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 25);
    let persons = read_parquet(&link.join("persons.parquet"));
    for (i, row) in rows.iter().enumerate() {
        let diag: u64 = row[i + 1].parse().expect("n");
        let org = &row[0];
        let orgs = strings(&persons, "orgs");
        let expected = orgs
            .iter()
            .flatten()
            .filter(|o| o.split(';').any(|x| x == org))
            .count() as u64;
        assert_eq!(diag, expected, "{org}");
        for (j, cell) in row.iter().skip(1).enumerate() {
            assert_eq!(cell, &rows[j][i + 1], "the matrix is symmetric");
        }
    }
}

/// Rewrites one pseudonymised file with `column`'s value in row 3 (1-based) replaced.
fn corrupt(src: &Path, dst: &Path, column: &str, value: polars::prelude::Column) {
    use polars::prelude::*;
    let mut df = read_parquet(src);
    let original = df.column(column).expect("column").clone();
    let mut parts = vec![original.slice(0, 2), value, original.slice(3, df.height() - 3)];
    let mut whole = parts.remove(0);
    for p in parts {
        whole.append(&p).expect("same type");
    }
    df.replace(column, whole).expect("replace");
    std::fs::create_dir_all(dst.parent().expect("parent")).expect("mkdir");
    ParquetWriter::new(std::fs::File::create(dst).expect("create"))
        .finish(&mut df)
        .expect("write");
}

#[test]
fn a_damaged_pseudonymised_file_is_refused_naming_file_row_column_and_remedy() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "damaged");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let good = tmp.path().join("work/02-pseudonymise");
    let s = schema();
    let cases = [
        (
            "record_key",
            Column::new("record_key".into(), [None::<&str>]),
            "column record_key: blank",
        ),
        (
            "name_bloom",
            Column::new("name_bloom".into(), [Some(&b"short"[..])]),
            "column name_bloom: 5 bytes",
        ),
        // A blank fingerprint would let a file made under another key past the key check.
        (
            "key_fingerprint",
            Column::new("key_fingerprint".into(), [None::<&str>]),
            "column key_fingerprint: blank",
        ),
        // So would a blank encoding past the encoding check.
        (
            "encoding",
            Column::new("encoding".into(), [None::<&str>]),
            "column encoding: blank",
        ),
        // Identifiers put where pseudonymise writes answers, keys and organisations (a file
        // edited by hand): refused, and the message never repeats the value.
        (
            "gender",
            Column::new("gender".into(), [Some(SECRET)]),
            "column gender: not a code",
        ),
        (
            "country_of_birth",
            Column::new("country_of_birth".into(), [Some(SECRET)]),
            "column country_of_birth: not a code",
        ),
        (
            "exploitation_forms",
            Column::new("exploitation_forms".into(), [Some("sexual;Ingrid")]),
            "column exploitation_forms: not a code",
        ),
        (
            "record_key",
            Column::new("record_key".into(), [Some(SECRET)]),
            "column record_key: not a keyed record hash",
        ),
        (
            "org_id",
            Column::new("org_id".into(), [Some(SECRET)]),
            "column org_id: not an organisation",
        ),
        (
            "report_year",
            Column::new("report_year".into(), [Some(19_921_029i64)]),
            "column report_year: not a report year",
        ),
        (
            "key_fingerprint",
            Column::new("key_fingerprint".into(), [Some(SECRET)]),
            "column key_fingerprint: not the key",
        ),
    ];
    for (column, value, expected) in cases {
        let dir = copy_files(&good, &tmp.path().join(format!("bad-{column}")));
        corrupt(
            &good.join("SAMPLE02.parquet"),
            &dir.join("SAMPLE02.parquet"),
            column,
            value,
        );
        let e = load(&s, &dir)
            .err()
            .expect("a damaged file is refused")
            .to_string();
        assert!(
            e.contains("SAMPLE02.parquet") && e.contains("row 3") && e.contains(expected),
            "{e}"
        );
        assert!(e.contains("pseudonymise its records again"), "{e}");
        assert!(
            !e.contains("Ingrid") && !e.contains("1992"),
            "the value is repeated: {e}"
        );
    }
}

/// A copy of the files of `from` in `to` (made), for a test to damage.
fn copy_files(from: &Path, to: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("dir") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy");
    }
    to.to_path_buf()
}

/// A name and a personal number, as someone might type them into a pseudonymised file.
const SECRET: &str = "Ingrid Johansson 199210290632";

#[test]
fn an_unreadable_file_or_an_answer_of_the_wrong_type_is_refused_naming_file_column_and_remedy() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "wrong-type");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let good = tmp.path().join("work/02-pseudonymise");
    let s = schema();
    let copy_to = |name: &str| copy_files(&good, &tmp.path().join(name));
    // Answers written as numbers: not read as answer codes, and not silently coded either.
    let numbers = copy_to("numbers");
    let mut df = read_parquet(&good.join("SAMPLE02.parquet"));
    let n = df.height();
    df.replace("gender", Column::new("gender".into(), vec![1i64; n]))
        .expect("replace");
    ParquetWriter::new(std::fs::File::create(numbers.join("SAMPLE02.parquet")).expect("create"))
        .finish(&mut df)
        .expect("write");
    let e = load(&s, &numbers).err().expect("refused").to_string();
    assert!(
        e.contains("SAMPLE02.parquet") && e.contains("column gender"),
        "{e}"
    );
    assert!(e.contains("pseudonymise its records again"), "{e}");
    // A file cut short in transfer.
    let cut = copy_to("cut");
    let bytes = std::fs::read(good.join("SAMPLE03.parquet")).expect("read");
    std::fs::write(cut.join("SAMPLE03.parquet"), &bytes[..bytes.len() / 2]).expect("write");
    let e = load(&s, &cut).err().expect("refused").to_string();
    assert!(e.contains("SAMPLE03.parquet"), "{e}");
    assert!(e.contains("pseudonymise its records again"), "{e}");
}

#[test]
fn every_pseudonymised_row_equals_its_record_encoded_alone_in_an_order_of_its_own() {
    // Pseudonymise splits a file's rows between the cores, keeps per-core caches of names and
    // tokens, and writes blocking keys through its own dictionary pages: none of it may
    // change a value or part a row's values. Rows leave in a keyed order, not the file's.
    use polars::prelude::*;
    use safetally::pseudonymise::{BLOCK_KEYS, DATE_PARTS, Encoder, Identifiers, MATCH_KEYS};
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "rows");
    // Few organisations, so that each file is several units of work.
    let cfg = safetally::sample::SampleConfig {
        persons: 8000,
        orgs: 3,
        seed: 11,
        formats: vec![safetally::sample::Format::Parquet],
        ..Default::default()
    };
    let sample = tmp.path().join("sample");
    safetally::sample::generate(&schema(), &cfg, &sample, &safetally::progress::Progress::hidden())
        .expect("generate");
    let work = tmp.path().join("work");
    run_to_link(&sample.join("submissions"), &work, &key);
    let read = |p: &Path| {
        ParquetReader::new(std::fs::File::open(p).expect("open"))
            .finish()
            .expect("read")
    };
    let (mut files, mut rows) = (0, 0);
    for entry in std::fs::read_dir(work.join("01-ingest/validated")).expect("dir") {
        let path = entry.expect("entry").path();
        let input = read(&path);
        let output = read(&work.join("02-pseudonymise").join(path.file_name().expect("name")));
        assert_eq!(input.height(), output.height(), "{}", path.display());
        let text = |c: &str| -> Vec<Option<String>> {
            let col = input.column(c).expect(c).str().expect("text");
            col.iter().map(|v| v.map(str::to_owned)).collect()
        };
        let (org, rid, rel, pnr) = (
            text("org_id"),
            text("record_id"),
            text("related_record_id"),
            text("personal_number"),
        );
        let (given, family, birth) = (text("given_name"), text("family_name"), text("birth_date"));
        let years: Vec<String> = input
            .column("report_year")
            .expect("year")
            .i64()
            .expect("int")
            .iter()
            .map(|y| y.unwrap_or(0).to_string())
            .collect();
        let ids: Vec<Identifiers> = (0..input.height())
            .map(|i| Identifiers {
                org: org[i].as_deref().unwrap_or(""),
                year: &years[i],
                record_id: rid[i].as_deref().unwrap_or(""),
                related_id: rel[i].as_deref(),
                personal_number: pnr[i].as_deref(),
                given: given[i].as_deref().unwrap_or(""),
                family: family[i].as_deref().unwrap_or(""),
                birth: birth[i]
                    .as_deref()
                    .and_then(|b| safetally::dates::PartialDate::parse(b).ok()),
            })
            .collect();
        // One record at a time on one encoder, and every 97th also on a fresh encoder: no
        // batch, and no cache filled by other records.
        let mut one = Encoder::new(&key);
        let expected: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let alone = |enc: &mut Encoder| enc.encode_many(std::slice::from_ref(id)).pop().expect("one");
                let e = alone(&mut one);
                if i % 97 == 0 {
                    let fresh = alone(&mut Encoder::new(&key));
                    assert!(
                        (fresh.match_keys, fresh.block_keys, fresh.date_parts, fresh.bloom)
                            == (e.match_keys, e.block_keys, e.date_parts, e.bloom),
                        "row {i} of {}",
                        path.display()
                    );
                }
                e
            })
            .collect();
        let ints =
            |c: &str| -> Vec<Option<i64>> { output.column(c).expect(c).i64().expect("int").iter().collect() };
        let record_keys: Vec<Option<String>> = output
            .column("record_key")
            .expect("record_key")
            .str()
            .expect("text")
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect();
        // Where each input row went, by its record key.
        let at: std::collections::HashMap<&str, usize> = record_keys
            .iter()
            .enumerate()
            .map(|(p, k)| (k.as_deref().expect("every row has a record key"), p))
            .collect();
        let moved: Vec<usize> = expected
            .iter()
            .map(|e| at[hex::encode(e.record_key).as_str()])
            .collect();
        let mut seen = moved.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), input.height(), "one output row per input row");
        let in_place = moved.iter().enumerate().filter(|(i, p)| i == *p).count();
        assert!(
            in_place * 50 < input.height(),
            "{in_place} of {} rows left in their place in {}",
            input.height(),
            path.display()
        );
        let placed = |want: Vec<Option<i64>>| -> Vec<Option<i64>> {
            let mut out = vec![None; want.len()];
            for (v, &p) in want.into_iter().zip(&moved) {
                out[p] = v;
            }
            out
        };
        for (k, name) in MATCH_KEYS.iter().enumerate() {
            let want = placed(expected.iter().map(|e| e.match_keys[k]).collect());
            assert!(ints(name) == want, "{name} in {}", path.display());
        }
        for (k, name) in BLOCK_KEYS.iter().enumerate() {
            let want = placed(expected.iter().map(|e| e.block_keys[k]).collect());
            assert!(ints(name) == want, "{name} in {}", path.display());
        }
        for (k, name) in DATE_PARTS.iter().enumerate() {
            let want = placed(expected.iter().map(|e| e.date_parts[k]).collect());
            assert!(ints(name) == want, "{name} in {}", path.display());
        }
        let blooms = output
            .column("name_bloom")
            .expect("bloom")
            .binary()
            .expect("binary");
        for (e, &p) in expected.iter().zip(&moved) {
            assert_eq!(
                blooms.get(p),
                e.bloom.as_ref().map(|b| &b[..]),
                "filter in {}",
                path.display()
            );
        }
        // The answers' dictionaries follow the new order too (values numbered as rows first
        // use them): in the order of the organisation's file they would tell that order.
        let s = schema();
        let out_path = work.join("02-pseudonymise").join(path.file_name().expect("name"));
        let names: Vec<String> = s.attribute_columns().iter().map(|c| c.to_string()).collect();
        for (name, coded) in names
            .iter()
            .zip(safetally::parquet_io::read_coded(&out_path, &names).expect("codes"))
        {
            let coded = coded.expect("answers are dictionary-coded");
            let mut next = 1;
            for &c in &coded.codes {
                assert!(
                    c <= next,
                    "{name}: code {c} before {next} in {}",
                    out_path.display()
                );
                next = next.max(c + 1);
            }
        }
        // Every answer and the year stay with their row.
        let mut carried: Vec<&str> = s.attribute_columns();
        carried.extend(["org_id", "report_year"]);
        for c in carried {
            let (a, b) = (input.column(c).expect(c), output.column(c).expect(c));
            for (i, &p) in moved.iter().enumerate() {
                assert_eq!(
                    a.get(i).expect("row"),
                    b.get(p).expect("row"),
                    "{c} of row {i} in {}",
                    path.display()
                );
            }
        }
        files += 1;
        rows += input.height();
    }
    assert_eq!(files, 3);
    assert!(rows > 3 * 3 * 1024, "{rows} rows: several units of work per file");
    names_without_dictionary_pages_give_the_same_output(&work, &key, read);
    files_of_many_row_groups_give_the_same_output(&work, &key, read);
}

/// A sink for `path` with the columns of a validated file read into `df`.
fn sink_like(df: &polars::prelude::DataFrame, path: &Path) -> safetally::parquet_io::ParquetSink {
    use polars::prelude::DataType;
    use safetally::parquet_io::{Kind, ParquetSink};
    let kinds: Vec<(String, Kind)> = df
        .columns()
        .iter()
        .map(|c| {
            let kind = match c.dtype() {
                DataType::String => Kind::Str,
                DataType::Int64 => Kind::Int,
                other => panic!("a validated column of type {other}"),
            };
            (c.name().to_string(), kind)
        })
        .collect();
    let cols: Vec<(&str, Kind)> = kinds.iter().map(|(n, k)| (n.as_str(), *k)).collect();
    ParquetSink::create(path, &cols).expect("create")
}

/// A validated file written in many row groups (another writer, or a file appended to) gives
/// the same output as one written in one.
fn files_of_many_row_groups_give_the_same_output(
    work: &Path,
    key: &safetally::key::LinkageKey,
    read: impl Fn(&Path) -> polars::prelude::DataFrame,
) {
    let grouped_in = work.join("grouped-validated");
    let grouped_out = work.join("grouped-pseudonymised");
    std::fs::create_dir_all(&grouped_in).expect("dir");
    std::fs::create_dir_all(&grouped_out).expect("dir");
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(work.join("01-ingest/validated")).expect("dir") {
        let path = entry.expect("entry").path();
        let df = read(&path);
        let copy = grouped_in.join(path.file_name().expect("name"));
        let mut sink = sink_like(&df, &copy);
        for start in (0..df.height()).step_by(700) {
            sink.push_columns(df.slice(start as i64, 700).columns().to_vec())
                .expect("push");
        }
        sink.finish().expect("finish");
        let groups = safetally::parquet_io::row_group_rows(&copy).expect("metadata");
        assert!(
            groups.len() > 3,
            "{} row groups in {}",
            groups.len(),
            copy.display()
        );
        inputs.push(path);
    }
    safetally::pseudonymise::pseudonymise_dir(
        &schema(),
        key,
        &grouped_in,
        &grouped_out,
        &safetally::progress::Progress::hidden(),
    )
    .expect("pseudonymise grouped files");
    for path in inputs {
        let name = path.file_name().expect("name");
        let got_path = grouped_out.join(name);
        let want = read(&work.join("02-pseudonymise").join(name));
        assert!(read(&got_path).equals_missing(&want), "{}", got_path.display());
    }
}

/// Names and dates are read as codes from the validated file's dictionary pages; a file that
/// stores them plain (another writer, or values too many to code) is read as text and must
/// pseudonymise to the same rows.
fn names_without_dictionary_pages_give_the_same_output(
    work: &Path,
    key: &safetally::key::LinkageKey,
    read: impl Fn(&Path) -> polars::prelude::DataFrame,
) {
    use safetally::parquet_io::{Out, read_coded};
    let plain_in = work.join("plain-validated");
    let plain_out = work.join("plain-pseudonymised");
    std::fs::create_dir_all(&plain_in).expect("dir");
    std::fs::create_dir_all(&plain_out).expect("dir");
    let names = ["given_name", "family_name", "birth_date"];
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(work.join("01-ingest/validated")).expect("dir") {
        let path = entry.expect("entry").path();
        let df = read(&path);
        let copy = plain_in.join(path.file_name().expect("name"));
        let mut sink = sink_like(&df, &copy);
        let out: Vec<Out> = df
            .columns()
            .iter()
            .map(|c| match names.contains(&c.name().as_str()) {
                true => Out::Unique(c.clone()),
                false => Out::Col(c.clone()),
            })
            .collect();
        sink.push_batch(out).expect("push");
        sink.finish().expect("finish");
        let owned: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let coded = read_coded(&copy, &owned).expect("read codes");
        assert!(
            coded.iter().all(Option::is_none),
            "names are plain in {}",
            copy.display()
        );
        inputs.push(path);
    }
    safetally::pseudonymise::pseudonymise_dir(
        &schema(),
        key,
        &plain_in,
        &plain_out,
        &safetally::progress::Progress::hidden(),
    )
    .expect("pseudonymise plain names");
    // And names resolved a few hundred rows at a time, not file by file.
    let segmented = work.join("segmented-pseudonymised");
    std::fs::create_dir_all(&segmented).expect("dir");
    safetally::pseudonymise::pseudonymise_in_segments(
        &schema(),
        key,
        &work.join("01-ingest/validated"),
        &segmented,
        &safetally::progress::Progress::hidden(),
        333,
    )
    .expect("pseudonymise in segments");
    for path in inputs {
        let name = path.file_name().expect("name");
        let want = read(&work.join("02-pseudonymise").join(name));
        for dir in [&plain_out, &segmented] {
            let got = read(&dir.join(name));
            assert!(
                got.equals_missing(&want),
                "{} in {}",
                path.display(),
                dir.display()
            );
        }
    }
}

#[test]
fn a_file_that_is_not_a_validated_file_is_refused_naming_file_column_and_remedy() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "bad-input");
    let (_, ingested) = ingest(&bundled().join("submissions"), &Default::default());
    let validated = ingested.path().join("validated");
    let file = std::fs::read_dir(&validated)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .min()
        .expect("a validated file");
    let mut df = ParquetReader::new(std::fs::File::open(&file).expect("open"))
        .finish()
        .expect("read")
        .drop("given_name")
        .expect("drop");
    ParquetWriter::new(std::fs::File::create(&file).expect("create"))
        .finish(&mut df)
        .expect("write");
    let e = safetally::pseudonymise::pseudonymise_dir(
        &schema(),
        &key,
        &validated,
        &tmp.path().join("out"),
        &safetally::progress::Progress::hidden(),
    )
    .expect_err("a file without given_name must be refused")
    .to_string();
    let name = file.file_name().expect("name").to_string_lossy().into_owned();
    assert!(
        e.contains(&name) && e.contains("given_name") && e.contains("safetally ingest"),
        "{e}"
    );
}

/// A pseudonymised file holding one record twice (rows appended by hand) would count a record
/// without match keys as two persons; a column pseudonymise never writes (names, say) would
/// be kept by the platform unknowingly. Both are refused, naming the file. Files not read and
/// files of no records are listed, as each may be an organisation left out.
#[test]
fn a_record_twice_or_a_foreign_column_is_refused_and_files_left_out_are_listed() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "foreign");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("work"), &key);
    let good = tmp.path().join("work/02-pseudonymise");
    let s = schema();
    let copy_of_good = |name: &str| copy_files(&good, &tmp.path().join(name));
    let rewrite = |path: &Path, f: &dyn Fn(DataFrame) -> DataFrame| {
        let mut df = f(read_parquet(path));
        ParquetWriter::new(std::fs::File::create(path).expect("create"))
            .finish(&mut df)
            .expect("write");
    };
    let loaded = copy_of_good("untouched");
    let records = load(&s, &loaded).expect("the files as written link");
    assert!(records.not_read.is_empty() && records.empty_files.is_empty());

    let twice = copy_of_good("twice");
    let file = twice.join("SAMPLE03.parquet");
    rewrite(&file, &|df| {
        let n = df.height();
        df.vstack(&df.slice(1, 2)).expect("same columns").slice(0, n + 2)
    });
    let e = load(&s, &twice)
        .err()
        .expect("a record twice is refused")
        .to_string();
    assert!(
        e.contains("SAMPLE03.parquet") && e.contains("rows 2 and") && e.contains("2 row(s) in all repeat"),
        "{e}"
    );

    let foreign = copy_of_good("foreign");
    let file = foreign.join("SAMPLE04.parquet");
    rewrite(&file, &|mut df| {
        let n = df.height();
        df.with_column(Column::new("given_name".into(), vec![SECRET; n]))
            .expect("add");
        df
    });
    let e = load(&s, &foreign)
        .err()
        .expect("a foreign column is refused")
        .to_string();
    assert!(
        e.contains("SAMPLE04.parquet") && e.contains("column(s) given_name are not written"),
        "{e}"
    );
    assert!(!e.contains("Ingrid"), "{e}");

    let left_out = copy_of_good("left-out");
    std::fs::rename(left_out.join("SAMPLE05.parquet"), left_out.join("SAMPLE05.parq")).expect("rename");
    rewrite(&left_out.join("SAMPLE06.parquet"), &|df| df.slice(0, 0));
    let records = load(&s, &left_out).expect("links without them");
    assert_eq!(records.not_read, ["SAMPLE05.parq"]);
    assert_eq!(records.empty_files, ["SAMPLE06.parquet"]);
    assert!(!records.orgs.iter().any(|o| o == "SAMPLE05" || o == "SAMPLE06"));
}

/// Answers leave the organisation as they are: a validated file edited by hand (a name typed
/// into `gender`, an organisation outside the register, a blank or repeated record id) is
/// refused by pseudonymise, naming file, row and column, before anything is written, and the
/// message never repeats the value.
#[test]
fn a_validated_file_edited_by_hand_is_refused_before_anything_leaves() {
    use polars::prelude::*;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, _) = test_key(tmp.path(), "edited");
    let (_, ingested) = ingest(&bundled().join("submissions"), &Default::default());
    let validated = ingested.path().join("validated");
    let file = validated.join("SAMPLE02.parquet");
    let original = read_parquet(&file);
    let set = |column: &str, row: usize, value: Option<&str>| {
        let mut df = original.clone();
        let mut values: Vec<Option<String>> = df
            .column(column)
            .expect("column")
            .str()
            .expect("text")
            .iter()
            .map(|v| v.map(String::from))
            .collect();
        values[row] = value.map(String::from);
        df.replace(column, Column::new(column.into(), values))
            .expect("replace");
        df
    };
    let first_id = original
        .column("record_id")
        .expect("record_id")
        .str()
        .expect("text")
        .get(0)
        .expect("an id")
        .to_string();
    let cases = [
        (set("gender", 4, Some(SECRET)), "row 5, column gender: not a code"),
        (
            set("exploitation_forms", 2, Some("sexual;Ingrid")),
            "row 3, column exploitation_forms: not a code",
        ),
        (set("org_id", 6, Some(SECRET)), "row 7, column org_id"),
        (set("record_id", 3, None), "row 4, column record_id: blank"),
        (
            set("record_id", 5, Some(&first_id)),
            "rows 1 and 6, column record_id: the same record id",
        ),
    ];
    for (mut df, expected) in cases {
        ParquetWriter::new(std::fs::File::create(&file).expect("create"))
            .finish(&mut df)
            .expect("write");
        let out = tmp.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        let e = safetally::pseudonymise::pseudonymise_dir(
            &schema(),
            &key,
            &validated,
            &out,
            &safetally::progress::Progress::hidden(),
        )
        .expect_err("an edited file is refused")
        .to_string();
        assert!(
            e.contains("SAMPLE02.parquet") && e.contains(expected),
            "{expected}: {e}"
        );
        assert!(!e.contains("Ingrid"), "the value is repeated: {e}");
        assert!(
            !out.join("SAMPLE02.parquet").exists(),
            "the refused file was written"
        );
    }
    // An organisation's own Parquet file, not validated, is told what to run, advice first.
    let raw = tmp.path().join("raw");
    std::fs::create_dir_all(&raw).expect("mkdir");
    let submitted = std::fs::read_dir(bundled().join("submissions"))
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .expect("a Parquet submission");
    std::fs::copy(&submitted, raw.join("ORG.parquet")).expect("copy");
    let e = safetally::pseudonymise::pseudonymise_dir(
        &schema(),
        &key,
        &raw,
        &tmp.path().join("out2"),
        &safetally::progress::Progress::hidden(),
    )
    .expect_err("a file not validated is refused")
    .to_string();
    assert!(
        e.contains("ORG.parquet: cannot read Parquet: not a file ingest has validated")
            && e.contains("run `safetally ingest`"),
        "{e}"
    );
}
