//! The totals a DP release publishes are unbiased: a table of many empty cells (every ISO
//! country of birth, all but three empty) keeps its total near the truth on average over many
//! releases, where cells clamped at zero and summed would add 0.4 of the noise scale per
//! empty cell.

use safetally::protect::{measured_cells, release_tables};
use safetally::tables::aggregate::count_table;
use safetally::tables::derive::Deriver;
use safetally_dp::Gaussian;
use safetally_tests::{one_table, persons, schema};

#[test]
fn a_population_total_over_many_empty_cells_is_unbiased() {
    let t = one_table("T02", None);
    let table = &t.tables[0];
    let mut rows = vec![("direct", "SE"); 60];
    rows.extend(vec![("direct", "RO"); 30]);
    rows.extend(vec![("indirect", "NG"); 10]);
    let p = persons(&rows, "country_of_birth");
    let s = schema();
    let deriver = Deriver::new(&s);
    let counts = count_table(&deriver, table, &p, false).expect("counts");
    let truth: Vec<i64> = measured_cells(table)
        .iter()
        .map(|&i| counts.values[i] as i64)
        .collect();
    let cells = truth.len();
    assert!(cells > 200, "every country is a cell ({cells})");
    let total_cell = table.cell_index(&Default::default()).expect("grand total");
    let scale = 2.0;
    let g = Gaussian::new(scale).expect("gaussian");
    let releases = 200;
    let mean = (0..releases)
        .map(|_| {
            let noisy = g.draw(&truth).expect("draw");
            let out = release_tables(&t, &deriver, &[noisy], &[scale], 5).remove(0);
            out.values[total_cell].expect("totals are published") as f64
        })
        .sum::<f64>()
        / f64::from(releases);
    // The total's own noise: scale * sqrt(cells), so the mean's standard error is that over
    // sqrt(releases) (2.2 here); summing clamped cells would be about 0.4 * 2 * 250 = 200 over.
    let se = scale * (cells as f64).sqrt() / f64::from(releases).sqrt();
    eprintln!("true total 100, mean published {mean:.1} over {releases} releases (standard error {se:.1})");
    assert!((mean - 100.0).abs() < 4.0 * se, "mean published total {mean}");
}

/// T11 (children by contact kind, form and whether exploited in Sweden: about 60 cells) has its
/// total measured beside its cells (`measure_total`): the published total's error is about one
/// noise scale, where a total summed from the cells alone would carry the noise of all of them
/// (about 8 scales here); and the stated scale says so.
#[test]
fn a_measured_total_is_as_precise_as_one_cell() {
    let t = one_table("T11", None);
    let table = &t.tables[0];
    assert!(table.spec.measure_total, "T11 measures its total");
    let rows: Vec<[&str; 4]> = std::iter::repeat_n(["direct", "child", "sexual", "SE"], 20)
        .chain(std::iter::repeat_n(
            ["direct", "child", "labour;begging", "RO"],
            8,
        ))
        .chain(std::iter::repeat_n(["indirect", "child", "", ""], 8))
        .chain(std::iter::repeat_n(["direct", "adult", "sexual", "SE"], 30))
        .collect();
    let column = |k: usize| -> Vec<Option<String>> {
        rows.iter()
            .map(|r| (!r[k].is_empty()).then(|| r[k].to_string()))
            .collect()
    };
    let cols = [
        ("contact_kind", 0),
        ("age_group", 1),
        ("exploitation_forms", 2),
        ("exploitation_countries", 3),
    ]
    .into_iter()
    .map(|(name, k)| (name.to_string(), column(k)))
    .collect();
    let p = safetally::tables::derive::Persons {
        n: rows.len(),
        cols,
        separator: ';',
    };
    let s = schema();
    let deriver = Deriver::new(&s);
    let counts = count_table(&deriver, table, &p, false).expect("counts");
    let total_cell = table.cell_index(&Default::default()).expect("grand total");
    assert_eq!(counts.values[total_cell], 36, "the children only");
    let truth: Vec<i64> = measured_cells(table)
        .iter()
        .map(|&i| counts.values[i] as i64)
        .collect();
    let cells = truth.len() - 1;
    let scale = 3.0;
    let g = Gaussian::new(scale).expect("gaussian");
    let releases = 200;
    let (mut sum, mut sq) = (0.0, 0.0);
    let mut stated = 0.0;
    for _ in 0..releases {
        let noisy = g.draw(&truth).expect("draw");
        let out = release_tables(&t, &deriver, &[noisy], &[scale], 5).remove(0);
        let e = out.values[total_cell].expect("totals are published") as f64 - 36.0;
        sum += e;
        sq += e * e;
        stated = out.scale[total_cell].expect("scale");
    }
    let n = f64::from(releases);
    let rmse = (sq / n).sqrt();
    eprintln!(
        "T11 total over {cells} cells: mean error {:.2}, root mean square error {rmse:.2}, stated scale {stated:.2}, noise per cell {scale}",
        sum / n
    );
    // Zero clamping and rounding add a little; summed cells alone would give about 3 * 8 = 24.
    assert!(rmse < 1.5 * scale, "error {rmse}");
    assert!((sum / n).abs() < 4.0 * 1.5 * scale / n.sqrt(), "bias {}", sum / n);
    assert!(stated <= scale && stated > 0.9 * scale, "stated scale {stated}");
}

/// `measure_total` is refused where its noise would not be planned: on a multi-valued table
/// (which measures its persons already) and on the journalists' cross-tabulation.
#[test]
fn measure_total_is_refused_where_it_does_not_apply() {
    let compile = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut raw: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/tables.json")).expect("json");
        edit(&mut raw);
        let file: safetally::tables::spec::TablesFile = serde_json::from_value(raw).expect("spec");
        safetally::tables::compile(&schema(), file, &safetally::schema::MemberKind::Sample)
    };
    assert!(compile(&|_| {}).is_ok());
    let err = compile(&|raw| {
        for t in raw["tables"].as_array_mut().expect("tables") {
            if t["id"] == "T14" {
                t["measure_total"] = true.into();
            }
        }
    })
    .expect_err("multi-valued");
    assert!(err.to_string().contains("T14"), "{err}");
    let err = compile(&|raw| raw["journalist"]["measure_total"] = true.into()).expect_err("journalist");
    assert!(err.to_string().contains("journalists"), "{err}");
}

/// Tables count the same persons when their conditions are the same, in any order and under
/// any label: they share a grand total in the DP release and in the exact release's audit.
#[test]
fn tables_over_the_same_conditions_share_a_population_whatever_their_labels() {
    let mut raw: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/tables.json")).expect("json");
    for t in raw["tables"].as_array_mut().expect("tables") {
        if t["id"] == "T05" {
            t["population"]["en"] = "Persons met as directly affected".into();
            t["population"]["sv"] = "Personer mötta som direkt berörda".into();
        }
    }
    // T10 over T09's persons, its conditions listed the other way round.
    let t09 = raw["tables"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["id"] == "T09"))
        .expect("T09")["population"]["where"]
        .clone();
    for t in raw["tables"].as_array_mut().expect("tables") {
        if t["id"] == "T10" {
            t["population"]["where"] = t09.clone();
            t["population"]["where"]
                .as_array_mut()
                .expect("conditions")
                .reverse();
        }
    }
    let file: safetally::tables::spec::TablesFile = serde_json::from_value(raw).expect("spec");
    let tables =
        safetally::tables::compile(&schema(), file, &safetally::schema::MemberKind::Sample).expect("compile");
    let index = |id: &str| tables.tables.iter().position(|t| t.spec.id == id).expect(id);
    let groups = tables.population_groups();
    let group_of = |id: &str| groups.iter().position(|g| g.contains(&index(id))).expect(id);
    assert_eq!(group_of("T05"), group_of("T04"), "relabelled");
    assert_eq!(
        group_of("T10"),
        group_of("T09"),
        "the same conditions in another order"
    );
    assert_ne!(group_of("T09"), group_of("T04"), "a narrower population");
    assert_eq!(group_of("T12"), group_of("T01"));
    assert_ne!(group_of("T01"), group_of("T04"));
    assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), tables.tables.len());
}

/// T19 counts persons with a police report and a legal status, T18 persons with a police
/// report: noised apart, T19 could say more (the release read "80 of 79"). Post-processing
/// keeps a narrower population's total at most its wider one's, on the noisy values alone.
#[test]
fn a_narrower_population_is_never_published_above_the_wider_one() {
    let mut raw: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/tables.json")).expect("json");
    let keep = ["T18", "T19"];
    let list: Vec<serde_json::Value> = raw["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .filter(|t| keep.iter().any(|k| t["id"] == *k))
        .cloned()
        .collect();
    raw["tables"] = serde_json::Value::Array(list);
    raw["comparison"]["platform"] = serde_json::json!([]);
    raw["journalist"]["rake_to"] = serde_json::json!([]);
    let file: safetally::tables::spec::TablesFile = serde_json::from_value(raw).expect("spec");
    let tables =
        safetally::tables::compile(&schema(), file, &safetally::schema::MemberKind::Sample).expect("compile");
    let s = schema();
    let deriver = Deriver::new(&s);
    // Noisy draws as they might come: T18 says 10 persons had a report (all naming
    // trafficking), T19's cells add up to 30 persons with a status.
    let noisy: Vec<Vec<i64>> = tables
        .tables
        .iter()
        .map(|t| {
            let measured = measured_cells(t);
            measured
                .iter()
                .map(|&c| {
                    let code = t.codes(c).first().cloned().unwrap_or_default();
                    match (t.id(), code.as_str()) {
                        ("T18", "_any" | "trafficking") => 10,
                        ("T18", _) => 0,
                        _ => 30 / measured.len() as i64 + 1,
                    }
                })
                .collect()
        })
        .collect();
    let out = release_tables(&tables, &deriver, &noisy, &[1.0, 1.0], 5);
    let total = |i: usize| out[i].values[tables.tables[i].grand_total()].expect("totals are published");
    let (t18, t19) = (total(0), total(1));
    assert!(
        t19 <= t18,
        "T19 {t19} persons with a status among T18's {t18} with a report"
    );
    assert!(
        t18 >= 10 && t19 <= 30,
        "the fit moves both towards each other: {t18}, {t19}"
    );
}
