//! An organisation's own export, sent the first time: its headers, layouts and number forms.
//! Each case either reads every answer or refuses the file saying why; none loses answers
//! with exit 0 (an outside review of version 0.22 found each of these published wrong).

use safetally::ingest::IngestOptions;
use safetally_tests::*;

fn ignoring() -> IngestOptions {
    IngestOptions {
        ignore_extra_columns: true,
        ..IngestOptions::default()
    }
}

/// The valid rows `n` times over, record ids R1..Rn, with `column` renamed to `header_as`
/// and filled by `cell(i)`.
fn file_with(n: usize, column: &str, header_as: &str, cell: impl Fn(usize) -> String) -> String {
    let head: Vec<String> = header()
        .into_iter()
        .map(|h| if h == column { header_as.to_string() } else { h })
        .collect();
    let rows: Vec<Vec<String>> = (1..=n)
        .map(|i| {
            let v = cell(i);
            row_with(&[("record_id", &format!("R{i}")), (column, &v)])
        })
        .collect();
    csv_text(&head, &rows, b',')
}

fn one(name: &str, text: &str, opts: &IngestOptions) -> (safetally::ingest::IngestReport, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), name, text);
    let (report, out) = ingest(dir.path(), opts);
    drop(dir);
    (report, out)
}

/// Ages in years under `Ålder`, left out on request where the file has no child-or-adult
/// column, are warned of with how to make that column; a column of small numbers under
/// another header (a count of children, say) is not taken for ages.
#[test]
fn an_ignored_column_of_ages_is_warned_of_where_the_age_group_is_missing() {
    let ages = ["34", "16", "41 år", "29", "17", "52"];
    let text = file_with(6, "age_group", "Ålder (år)", |i| ages[i % 6].to_string());
    let (report, _out) = one("a.csv", &text, &ignoring());
    assert_counts(&report, 6, 0);
    let summary = report.summary();
    assert!(
        summary.contains("column \"Ålder (år)\" was left out (--ignore-extra-columns), though 6 of its 6 filled cells looked at are ages in years and the file lacks age_group: add that column (Barn for a person under 18"),
        "{summary}"
    );
    // Without the flag the file is refused, and the message says the same.
    let (report, _out) = one("a.csv", &text, &IngestOptions::default());
    let e = report.files[0].error.clone().unwrap_or_default();
    assert!(
        e.contains("unknown column(s) Ålder (år) (ages? the contract takes age_group: add it, Barn for a person under 18"),
        "{e}"
    );
    let text = file_with(6, "age_group", "Antal barn", |i| ages[i % 6].to_string());
    let (report, _out) = one("a.csv", &text, &ignoring());
    assert!(!report.summary().contains("was left out"), "{}", report.summary());
}

/// A column of Ja and Nej under a header of the organisation's own, left out on request where
/// the file lacks a yes-or-no column, is warned of naming the columns it may be: every
/// person's police report was published as not answered, without a word. Where the file has
/// its yes-or-no columns, such a column is the organisation's own and left out quietly.
#[test]
fn an_ignored_column_of_yes_and_no_is_warned_of_where_a_yes_or_no_column_is_missing() {
    let cells = ["Ja", "Nej", "ja", "JA", "nej", "Ja"];
    let text = file_with(6, "police_report", "Anmält", |i| cells[i % 6].to_string());
    let (report, _out) = one("a.csv", &text, &ignoring());
    let summary = report.summary();
    assert!(
        summary.contains("column \"Anmält\" was left out (--ignore-extra-columns), though 6 of its 6 filled cells looked at are yes or no and the file lacks police_report: if it is that column, name it so"),
        "{summary}"
    );
    // A notes column with a Ja now and then is not one.
    let notes = [
        "Ja",
        "Ringer tillbaka",
        "Bor i Malmö",
        "Kom via polisen",
        "Nej",
        "Tolk",
    ];
    let text = file_with(6, "police_report", "Anteckning", |i| notes[i % 6].to_string());
    let (report, _out) = one("a.csv", &text, &ignoring());
    assert!(!report.summary().contains("was left out"), "{}", report.summary());
}

/// A column the user names (`--ignore-column`) is left out without the warning about its
/// cells that --ignore-extra-columns repeats at every ingest, and the report says it was left
/// out as asked; it needs no --ignore-extra-columns, a name that is not the column's leaves
/// the file refused for it, and a contract column cannot be named.
/// The error of an ingest of `text` as a.csv that stops before reading any file.
fn refused_before_reading(text: &str, opts: &IngestOptions) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.csv", text);
    let out = tempfile::tempdir().expect("tempdir");
    safetally::ingest::ingest_folder(
        &schema(),
        dir.path(),
        out.path(),
        opts,
        &safetally::progress::Progress::hidden(),
    )
    .expect_err("refused before any file is read")
    .to_string()
}

#[test]
fn a_column_named_to_leave_out_is_left_out_without_the_warning_that_repeats() {
    let cells = ["Ja", "Nej", "ja", "JA", "nej", "Ja"];
    let text = file_with(6, "national_support_programme", "Anmält", |i| {
        cells[i % 6].to_string()
    });
    let asked = |names: &[&str], all: bool| IngestOptions {
        ignore_extra_columns: all,
        ignore_columns: names.iter().map(|n| n.to_string()).collect(),
        ..IngestOptions::default()
    };
    for all in [false, true] {
        let (report, _out) = one("a.csv", &text, &asked(&[" anmält "], all));
        assert_counts(&report, 6, 0);
        assert!(!report.summary().contains("was left out"), "{}", report.summary());
        let full = report.to_text();
        assert!(
            full.contains("column(s) left out as asked (--ignore-column): Anmält"),
            "{full}"
        );
        // The console points to the note, and a name found is not warned of.
        let pointer = report.files_with_notes().unwrap_or_default();
        assert!(
            pointer.starts_with("1 file(s) have notes") && pointer.contains("a.csv"),
            "{pointer}"
        );
        assert!(
            !report.summary().contains("--ignore-column"),
            "{}",
            report.summary()
        );
    }
    let (report, _out) = one("a.csv", &text, &asked(&["Tolk"], false));
    let e = report.files[0].error.clone().unwrap_or_default();
    assert!(e.contains("unknown column(s) Anmält"), "{e}");
    // A file refused may have had the name: the warning names it and questions no spelling.
    let told = warnings_on_names(&report);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("1 file(s) could not be read (a.csv) and may have it")
            && !told[0].contains("check its spelling against"),
        "{}",
        told[0]
    );
    // A name no file's header has is told of, once (names alike but for case and spaces are
    // one), with the name as given; one found in the file beside it is not.
    let (report, _out) = one(
        "a.csv",
        &text,
        &asked(&["Anmält", "Tolk ", "tolk", "Tolk "], false),
    );
    assert_counts(&report, 6, 0);
    let told = warnings_on_names(&report);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].starts_with("--ignore-column \"Tolk \" names no column of any file read"),
        "{}",
        told[0]
    );
    assert!(report.summary().contains(told[0].as_str()));
    // A blank name names no header, and is refused before any file is read.
    let e = refused_before_reading(&text, &asked(&["Anmält", " "], false));
    assert!(e.contains("names no header"), "{e}");
    // A named column that may be a contract column the file lacks goes through the refusals
    // that keep identifiers from being lost unseen: a near miss of the column's name, and a
    // running number's header over personal numbers (with --ignore-extra-columns too), and
    // headers that are answers: `Kvinna` and `Man`, named together, are answers of gender.
    for (header_as, refusal, all) in [
        (
            "Personnumer",
            "seem to be contract columns under another name",
            true,
        ),
        ("Nr", "is headed like a running number of the rows", true),
    ] {
        let text = file_with(4, "personal_number", header_as, |_| "811218-9876".to_string());
        let (report, _out) = one("a.csv", &text, &asked(&[header_as], all));
        let e = report.files[0].error.clone().unwrap_or_default();
        assert!(e.contains(refusal), "{header_as}: {e}");
    }
    let head: Vec<String> = header()
        .into_iter()
        .map(|h| match h.as_str() {
            "gender" => "Kvinna".to_string(),
            "personal_number" => "Man".to_string(),
            _ => h,
        })
        .collect();
    let text = csv_text(&head, &[row_with(&[("record_id", "R1")])], b',');
    let (report, _out) = one("a.csv", &text, &asked(&["Kvinna", "Man"], false));
    let e = report.files[0].error.clone().unwrap_or_default();
    assert!(e.contains("and the file has no column gender"), "{e}");
    // A contract column, by its name or its Swedish header, is refused before any file is read.
    for name in ["police_report", "Polisanmälan"] {
        let text = file_with(1, "police_report", "police_report", |_| "no".to_string());
        let e = refused_before_reading(&text, &asked(&[name], true));
        assert!(
            e.contains(&format!(
                "--ignore-column \"{name}\": that is the contract column police_report"
            )),
            "{e}"
        );
    }
}

/// A column of countries under a name of the organisation's own, left out on request, is
/// warned of on the console, naming the column it may be; its rows are read. Columns of yes
/// and no are not taken for countries (No is Norway's code), and a notes column that names a
/// country now and then is left out without a word.
#[test]
fn an_ignored_column_of_a_missing_columns_answers_is_warned_of_naming_it() {
    let countries = ["SE", "Nigeria", "Rumänien", "UA", "Thailand"];
    let text = file_with(6, "country_of_birth", "Ursprungsland", |i| {
        countries[i % 5].to_string()
    });
    let (report, _out) = one("a.csv", &text, &ignoring());
    assert_counts(&report, 6, 0);
    let summary = report.summary();
    assert!(
        summary.contains("column \"Ursprungsland\" was left out (--ignore-extra-columns), though 6 of its 6 filled cells looked at are answers of country_of_birth"),
        "{summary}"
    );
    // Personal numbers under a header of the organisation's own, beside LMA numbers.
    let numbers = ["811218-9876", "LMA 123-456-789", "198112189876", "811218-9876"];
    let text = file_with(4, "personal_number", "Personnummer/LMA", |i| {
        numbers[i - 1].to_string()
    });
    let (report, _out) = one("a.csv", &text, &ignoring());
    assert!(
        report.summary().contains("are answers of personal_number"),
        "{}",
        report.summary()
    );
    let quiet = |header_as: &str, cells: &[&str]| {
        let text = file_with(6, "exploitation_countries", header_as, |i| {
            cells[i % cells.len()].to_string()
        });
        let (report, _out) = one("a.csv", &text, &ignoring());
        assert_counts(&report, 6, 0);
        assert!(
            !report.summary().contains("was left out"),
            "{header_as}: {}",
            report.summary()
        );
    };
    quiet("Interpreter needed", &["No", "Yes", "No"]);
    quiet(
        "Anteckning",
        &[
            "Kom via polisen",
            "Bor i Malmö",
            "SE",
            "Ringer tillbaka",
            "",
            "Tolk behövs",
        ],
    );
}

/// Swedish headers case systems use are read as their columns, answers kept.
#[test]
fn common_swedish_headers_are_read_as_their_columns() {
    for (column, header_as, value) in [
        ("birth_date", "Födelseår", "1981"),
        ("police_report", "Polisanmälan", "Ja"),
        ("civil_society_support", "Stödinsatser", "legal_advice"),
        ("exploitation_countries", "Exploateringsland", "Sverige"),
        ("given_name", "Tilltalsnamn", "Anna"),
    ] {
        let text = file_with(2, column, header_as, |_| value.to_string());
        let (report, out) = one("a.csv", &text, &IngestOptions::default());
        assert_counts(&report, 2, 0);
        let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
        assert!(
            strings(&df, column)
                .iter()
                .all(|v| v.as_deref().is_some_and(|v| !v.is_empty())),
            "{header_as}: {:?}",
            strings(&df, column)
        );
    }
}

/// One column per answer, marked with an X: refused with the one-column advice (joined by
/// `;` for a column of several answers), or left out with that warning on request (the
/// headers alone cannot tell: `Socialtjänst` may name a municipality).
#[test]
fn one_column_per_answer_gets_the_advice_to_join_them() {
    let mut head = header();
    head.retain(|h| h != "exploitation_forms");
    head.extend(["Sexuell exploatering", "Tiggeri", "Arbetskraftsexploatering"].map(String::from));
    let rows: Vec<Vec<String>> = (1..=3)
        .map(|i| {
            let mut r = row_with(&[("record_id", &format!("R{i}"))]);
            r.remove(
                header()
                    .iter()
                    .position(|h| h == "exploitation_forms")
                    .expect("column"),
            );
            r.extend(["X", "", ""].map(String::from));
            r
        })
        .collect();
    let text = csv_text(&head, &rows, b',');
    let (report, _out) = one("a.csv", &text, &IngestOptions::default());
    let e = file_error(&report, "a.csv");
    assert!(
        e.contains("unknown column(s) Sexuell exploatering, Tiggeri, Arbetskraftsexploatering, and the file has no column exploitation_forms")
            && e.contains("several joined by ';' (for example \"sexual;begging\")"),
        "{e}"
    );
    let (report, _out) = one("a.csv", &text, &ignoring());
    assert_counts(&report, 3, 0);
    assert!(
        report.summary().contains(
            "were left out (--ignore-extra-columns), and the file has no column exploitation_forms"
        ),
        "{}",
        report.summary()
    );
}

/// A column headed as names where the file has no name columns gets the advice to split it.
#[test]
fn a_column_of_names_is_refused_when_a_name_column_is_missing() {
    let mut head = header();
    let (g, f) = (
        head.iter().position(|h| h == "given_name").expect("given"),
        head.iter().position(|h| h == "family_name").expect("family"),
    );
    head[g] = "Namn".into();
    head.remove(f);
    let mut row = row_with(&[("given_name", "Anna Svensson")]);
    row.remove(f);
    let (report, _out) = one("a.csv", &csv_text(&head, &[row], b','), &IngestOptions::default());
    let e = file_error(&report, "a.csv");
    assert!(
        e.contains("unknown column(s) Namn, and the file has no column given_name or family_name")
            && e.contains("split it into the two"),
        "{e}"
    );
}

/// An organisation's own header names a column only where the file has none of its own: a
/// birth year beside the birth date is another column, not a second birth date.
#[test]
fn an_organisations_own_header_yields_to_the_column_itself() {
    let mut head = header();
    head.push("Födelseår".into());
    let mut row = row_with(&[]);
    row.push("1981".into());
    let text = csv_text(&head, &[row], b',');
    let (report, _out) = one("a.csv", &text, &IngestOptions::default());
    assert!(
        file_error(&report, "a.csv").contains("unknown column(s) Födelseår"),
        "{}",
        file_error(&report, "a.csv")
    );
    let (report, out) = one("a.csv", &text, &ignoring());
    assert_counts(&report, 1, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "birth_date")[0].as_deref(), Some("1981-12-18"));
}

/// A header repeated with two columns swapped refuses the file at that line; the same
/// header repeated as it was is one quarantined row, as before.
#[test]
fn a_header_repeated_in_another_order_refuses_the_file_at_its_line() {
    let first = row_with(&[("country_of_birth", "NG"), ("exploitation_countries", "SE")]);
    let mut swapped = header();
    let (a, b) = (
        swapped.iter().position(|h| h == "country_of_birth").expect("a"),
        swapped
            .iter()
            .position(|h| h == "exploitation_countries")
            .expect("b"),
    );
    swapped.swap(a, b);
    let second = row_with(&[
        ("record_id", "R2"),
        ("country_of_birth", "SE"),
        ("exploitation_countries", "NG"),
    ]);
    let text = csv_text(&header(), &[first.clone(), swapped, second.clone()], b',');
    let (report, _out) = one("a.csv", &text, &IngestOptions::default());
    let e = file_error(&report, "a.csv");
    assert!(
        e.contains("line 3 repeats the header with the columns in another order")
            && e.contains("exploitation_countries under country_of_birth"),
        "{e}"
    );
    let text = csv_text(&header(), &[first, header(), second], b',');
    let (report, _out) = one("a.csv", &text, &IngestOptions::default());
    assert_counts(&report, 2, 1);
}

/// Ids and personal numbers written as decimals by pandas are read as whole numbers when
/// every filled cell of the column is; an id that is text elsewhere in the column keeps it.
#[test]
fn ids_and_personal_numbers_written_as_decimals_are_read_whole() {
    /// An indirect row naming `related`, without a personal number of its own.
    fn indirect(id: &str, related: &str, pnr: &str) -> Vec<String> {
        row_with(&[
            ("record_id", id),
            ("contact_kind", "indirect"),
            ("related_record_id", related),
            ("personal_number", pnr),
            ("exploitation_forms", ""),
            ("police_report", ""),
            ("reported_offences", ""),
            ("legal_status", ""),
        ])
    }
    /// The rows ingested, every one accepted: the report and the validated rows.
    fn accepted(rows: &[Vec<String>]) -> (safetally::ingest::IngestReport, polars::prelude::DataFrame) {
        let (report, out) = one(
            "a.csv",
            &csv_text(&header(), rows, b','),
            &IngestOptions::default(),
        );
        assert_counts(&report, rows.len() as u64, 0);
        let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
        (report, df)
    }
    let (report, df) = accepted(&[
        row_with(&[("record_id", "12"), ("personal_number", "198112189876.0")]),
        indirect("13", "12.0", ""),
    ]);
    assert_eq!(strings(&df, "related_record_id")[1].as_deref(), Some("12"));
    assert_eq!(
        strings(&df, "personal_number")[0].as_deref(),
        Some("198112189876")
    );
    assert!(
        report.to_text().contains("read without the zero decimals"),
        "{}",
        report.to_text()
    );
    // Swedish Excel's decimal comma, in a semicolon-separated export: the same record as
    // `12` in another quarter's file, not a record of its own.
    let rows = [row_with(&[("record_id", "12,0")]), indirect("13,00", "12,0", "")];
    let (report, out) = one(
        "a.csv",
        &csv_text(&header(), &rows, b';'),
        &IngestOptions::default(),
    );
    assert_counts(&report, 2, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert_eq!(strings(&df, "record_id")[0].as_deref(), Some("12"));
    assert_eq!(strings(&df, "record_id")[1].as_deref(), Some("13"));
    assert_eq!(strings(&df, "related_record_id")[1].as_deref(), Some("12"));
    // Versioned ids (1.0, 1.1) keep their form in both id columns; a placeholder among the
    // personal numbers is no obstacle.
    let (_, df) = accepted(&[
        row_with(&[("record_id", "1.0")]),
        row_with(&[("record_id", "1.1"), ("personal_number", "")]),
        indirect("2.0", "1.0", "nan"),
    ]);
    assert_eq!(strings(&df, "related_record_id")[2].as_deref(), Some("1.0"));
    // A column with one id that is not a decimal is read as written.
    let (_, df) = accepted(&[
        row_with(&[("record_id", "12.0")]),
        row_with(&[("record_id", "A-14"), ("personal_number", "")]),
    ]);
    assert_eq!(strings(&df, "record_id")[0].as_deref(), Some("12.0"));
    // A personal number with zero decimals beside whole ones is refused, saying why (0.31
    // said only that its digits were too many; an outside review).
    let rows = [
        row_with(&[("record_id", "R1"), ("personal_number", "199003051233.0")]),
        row_with(&[("record_id", "R2")]),
    ];
    let text = csv_text(&header(), &rows, b',');
    let (report, _out) = one("a.csv", &text, &IngestOptions::default());
    assert_counts(&report, 1, 1);
    assert!(
        report.to_text().contains("ends in a decimal part of zeros")
            && !report.to_text().contains("19900305"),
        "{}",
        report.to_text()
    );
}

/// A word or dash where a person has no personal number is read as none, and counted; a
/// number that is not one still says to leave the cell empty.
#[test]
fn placeholders_in_personal_number_are_read_as_none() {
    let words = ["Saknas", "Vet ej", "-", "Ej svenskt pnr"];
    let text = file_with(4, "personal_number", "personal_number", |i| {
        words[i - 1].to_string()
    });
    let (report, out) = one("a.csv", &text, &IngestOptions::default());
    assert_counts(&report, 4, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert!(strings(&df, "personal_number").iter().all(Option::is_none));
    assert!(report.to_text().contains("where there is no personal number"));
    // A lone dash in an answer column may mean no, none or not answered: refused, shown,
    // with what to write instead.
    let text = file_with(1, "police_report", "police_report", |_| "-".into());
    let (report, _out) = one("a.csv", &text, &IngestOptions::default());
    assert_counts(&report, 0, 1);
    assert!(
        report.to_text().contains("\"-\" (a mark, not an answer"),
        "{}",
        report.to_text()
    );
    let text = file_with(1, "personal_number", "personal_number", |_| {
        "LMA 123-456-789".into()
    });
    let (report, _out) = one("a.csv", &text, &IngestOptions::default());
    assert!(
        report
            .to_text()
            .contains("an LMA, dossier or passport number does not go here")
    );
}

/// A word or dash where the birth date is not known ("Vet ej", "Okänt", "-") is read as not
/// known, and counted, as in the personal number: refused, the whole person left every table
/// (an outside review of 0.31). A date that is not one is still refused.
#[test]
fn placeholders_in_birth_date_are_read_as_not_known() {
    let words = ["Vet ej", "Okänt", "-", "saknas"];
    let rows: Vec<Vec<String>> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            row_with(&[
                ("record_id", &format!("R{i}")),
                ("birth_date", w),
                ("personal_number", ""),
            ])
        })
        .collect();
    let text = csv_text(&header(), &rows, b',');
    let (report, out) = one("a.csv", &text, &IngestOptions::default());
    assert_counts(&report, 4, 0);
    let df = read_parquet(&out.path().join("validated/SAMPLE01.parquet"));
    assert!(strings(&df, "birth_date").iter().all(Option::is_none));
    assert!(
        report.to_text().contains("where the birth date is not known"),
        "{}",
        report.to_text()
    );
    let text = file_with(1, "birth_date", "birth_date", |_| "1990-13-45".into());
    let (report, _out) = one("a.csv", &text, &IngestOptions::default());
    assert_counts(&report, 0, 1);
}

/// Rows holding only a record id between records are warned of on the console, and so are
/// rows holding only what a template fills down (org, year, contact kind); trailing ones (a
/// template numbered or filled down ahead of use) are not.
#[test]
fn id_only_rows_between_records_are_warned_of() {
    let blank_but = |id: &str, kind: &str| {
        header()
            .iter()
            .map(|h| match h.as_str() {
                "record_id" => id.to_string(),
                "org_id" => "SAMPLE01".into(),
                "report_year" => "2024".into(),
                "contact_kind" => kind.to_string(),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
    };
    let blank_but_id = |id: &str| blank_but(id, "");
    let rows = vec![
        row_with(&[]),
        blank_but_id("R2"),
        blank_but("", "direct"),
        blank_but("", "direct"),
        row_with(&[("record_id", "R3")]),
        blank_but_id("R4"),
        blank_but("", "direct"),
    ];
    let (report, _out) = one(
        "a.csv",
        &csv_text(&header(), &rows, b','),
        &IngestOptions::default(),
    );
    let summary = report.summary();
    assert!(
        summary.contains("1 row(s) between its records (line(s) 3) hold nothing but a record_id"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "2 row(s) between its records (line(s) 4, 5) hold nothing but org_id, report_year or contact_kind"
        ),
        "{summary}"
    );
    assert_counts(&report, 2, 0);
}

/// The console says quarantined rows are in no table, with their rules.
#[test]
fn the_summary_says_quarantined_rows_are_in_no_table() {
    let rows = vec![
        row_with(&[]),
        row_with(&[("gender", "man")]),
        row_with(&[("record_id", "R3"), ("country_of_birth", "UKR")]),
    ];
    let (report, out) = one(
        "a.csv",
        &csv_text(&header(), &rows, b','),
        &IngestOptions::default(),
    );
    let summary = report.summary();
    assert!(
        summary.contains("The 3 quarantined row(s) are in no table")
            && summary.contains("duplicate_record_id 2")
            && summary.contains("unknown_country 1"),
        "{summary}"
    );
    // A 3-letter code gets no near 2-letter code (UKR is near UK, another country).
    let text = report.to_text();
    let message = text
        .lines()
        .find(|l| l.contains("column country_of_birth"))
        .unwrap_or_default();
    assert!(
        message.contains("3-letter country code") && !message.contains("\"UK\""),
        "{text}"
    );
    assert_eq!(quarantine(out.path(), "SAMPLE01").len(), 3);

    // The header again and a sum under the records are said not to be persons.
    let pasted = |extra: Vec<Vec<String>>| {
        let mut rows: Vec<Vec<String>> = (1..=3)
            .map(|i| row_with(&[("record_id", &format!("R{i}"))]))
            .collect();
        rows.extend(extra);
        let (report, _out) = one(
            "a.csv",
            &csv_text(&header(), &rows, b','),
            &IngestOptions::default(),
        );
        report.summary()
    };
    let mut total = vec![String::new(); header().len()];
    total[0] = "Totalt".to_string();
    let gender = header().iter().position(|h| h == "gender").expect("gender");
    total[gender] = "3".to_string();
    let summary = pasted(vec![header(), total.clone()]);
    assert!(
        summary.contains(
            "The 2 quarantined row(s) are headers repeated or summary rows, not persons: delete them"
        ),
        "{summary}"
    );
    let summary = pasted(vec![
        header(),
        row_with(&[("record_id", "R9"), ("gender", "xyzzy")]),
    ]);
    assert!(
        summary.contains("The 2 quarantined row(s) are in no table until their files are corrected and ingested again; headers repeated or summary rows among them, not persons: 1 ("),
        "{summary}"
    );
}

/// The run's warnings about names given to `--ignore-column`.
fn warnings_on_names(report: &safetally::ingest::IngestReport) -> Vec<&String> {
    report
        .warnings
        .iter()
        .filter(|w| w.contains("--ignore-column"))
        .collect()
}

/// A column of the organisation's own whose header is in quotes (`"Tolk behövs"`) is named to
/// leave out by its name without them, as the header is read without them: it took
/// `--ignore-column '"Tolk behövs"'`, and the name as anyone would type it was warned of as
/// naming no column.
#[test]
fn a_quoted_header_is_named_to_leave_out_without_its_quotes() {
    let mut head = header();
    head.push("\"Tolk behövs\"".to_string());
    let rows: Vec<Vec<String>> = (1..=3)
        .map(|i| {
            let mut r = row_with(&[("record_id", &format!("R{i}"))]);
            r.push("ja".to_string());
            r
        })
        .collect();
    let opts = IngestOptions {
        ignore_columns: vec!["Tolk behövs".to_string()],
        ..IngestOptions::default()
    };
    let (report, _out) = one("a.csv", &csv_text(&head, &rows, b','), &opts);
    assert_counts(&report, 3, 0);
    assert!(warnings_on_names(&report).is_empty(), "{:?}", report.warnings);
}
