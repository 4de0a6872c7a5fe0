//! DP releases on the bundled sample: the noise has the stated scale (and a 30% error in the
//! scale would be caught), the ledger refuses over-budget releases, a rerun spends nothing and
//! returns the stored values, a crash before publication loses nothing, and the error per
//! table stays within what the stated scale implies.

use std::path::{Path, PathBuf};

use safetally::protect::{
    DpConfig, ProtectReport, load_aggregated, measured_cells, plan_tables, read_protected,
};
use safetally::run::{DpRun, aggregate_stage, protect_stage_dp, publish_stage};
use safetally::stage::Workdir;
use safetally_dp::ledger::Ledger;
use safetally_tests::*;

/// The bundled sample linked and aggregated in a fresh work directory.
fn aggregated(work: &Path) -> PathBuf {
    let (key, _) = test_key(work, "dp");
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    run_to_link(&input, work, &key);
    let w = Workdir::new(work).expect("workdir");
    aggregate_stage(&schema(), &w, &w.stage_dir(safetally::link::STAGE), false)
        .expect("aggregate")
        .dir
}

fn dp_run(ledger: &Path, rho: f64) -> DpRun {
    DpRun {
        config: DpConfig::load_embedded().expect("config"),
        rho,
        group_size: 2,
        ledger: ledger.to_path_buf(),
    }
}

fn values(dir: &Path, agg: &Path) -> Vec<Vec<Option<u64>>> {
    let (tables, _, _) = load_aggregated(&schema(), agg).expect("aggregated");
    tables
        .tables
        .iter()
        .map(|t| read_protected(t, dir).expect("protected").values)
        .collect()
}

#[test]
fn the_noise_added_has_the_variance_the_stated_scale_implies() {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let s = schema();
    let (tables, _, cells) = load_aggregated(&s, &agg).expect("aggregated");
    let cfg = DpConfig::load_embedded().expect("config");
    let plan = plan_tables(&tables, &cfg, cfg.release_rho).expect("plan");
    let ti = tables.tables.iter().position(|t| t.id() == "T06").expect("T06");
    let t = &tables.tables[ti];
    let truth: Vec<i64> = measured_cells(t)
        .iter()
        .map(|&i| cells[ti].values[i] as i64)
        .collect();
    let mut sq = 0.0;
    let mut n = 0.0;
    for _ in 0..4000 {
        let (noisy, rho) =
            safetally_dp::noisy_counts(&truth, plan[ti].scale, plan[ti].sensitivity).expect("draw");
        assert!(
            (rho - plan[ti].rho).abs() < 1e-9 * plan[ti].rho.max(1.0),
            "OpenDP's map agrees with the plan"
        );
        for (a, b) in noisy.iter().zip(&truth) {
            sq += ((a - b) * (a - b)) as f64;
            n += 1.0;
        }
    }
    let var = sq / n;
    // The variance estimate's standard error is var * sqrt(2/n); allow five of them.
    let accepts = |scale: f64| (var - scale * scale).abs() < 5.0 * scale * scale * (2.0 / n).sqrt();
    assert!(
        accepts(plan[ti].scale),
        "variance {var} against the stated scale {}",
        plan[ti].scale
    );
    assert!(
        !accepts(plan[ti].scale * 1.3),
        "a scale 30% too large would pass unnoticed"
    );
    assert!(
        !accepts(plan[ti].scale / 1.3),
        "a scale 30% too small would pass unnoticed"
    );
}

#[test]
fn ledger_refuses_over_budget_and_a_rerun_or_a_crash_spends_nothing_twice() {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let s = schema();
    let w = Workdir::new(work.path()).expect("workdir");
    let ledger = work.path().join("ledger");
    let first = protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.5), false).expect("first release");
    let dp = first.result.dp.clone().expect("dp summary");
    assert!(!dp.reused);
    assert!((dp.spent_after - 0.5).abs() < 1e-9);
    let stored = values(&first.dir, &agg);

    // Made again (forced): the stored draw, nothing spent.
    let again = protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.5), true).expect("rerun");
    let dp2 = again.result.dp.clone().expect("dp");
    assert!(dp2.reused, "a rerun reuses the stored draw");
    assert!((dp2.spent_after - 0.5).abs() < 1e-9, "and spends nothing");
    assert_eq!(
        values(&again.dir, &agg),
        stored,
        "the same values as before, never a fresh draw"
    );

    // A crash after the ledger was written but before the stage finished and anything was
    // published: the stage folder is gone, the ledger entry is there.
    std::fs::remove_dir_all(&again.dir).expect("simulate the crash");
    let recovered = protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.5), false).expect("recovery");
    assert!(recovered.result.dp.as_ref().is_some_and(|d| d.reused));
    assert_eq!(values(&recovered.dir, &agg), stored);
    let rel = publish_stage(&s, &w, &recovered.dir, None, false).expect("publish after recovery");
    assert!(rel.dir.ends_with(safetally::publish::STAGE_DP));
    assert_eq!(
        Ledger::open(&ledger, 2024).expect("ledger").entries.len(),
        1,
        "one entry, one spend"
    );

    // Another release that would pass the year's cap is refused with the figures.
    let Err(err) = protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.6), true) else {
        panic!("an over-budget release was made");
    };
    let msg = format!("{err:#}");
    assert!(
        msg.contains("over budget") && msg.contains("0.6000") && msg.contains("0.5000"),
        "{msg}"
    );
    assert_eq!(Ledger::open(&ledger, 2024).expect("ledger").entries.len(), 1);

    // The same data under another ledger (a typo, another folder, the default one from
    // another directory) would be a fresh draw that the first ledger never hears of.
    let other = work.path().join("other-ledger");
    let Err(err) = protect_stage_dp(&s, &w, &agg, &dp_run(&other, 0.5), true) else {
        panic!("the same tables were drawn again under another ledger");
    };
    let msg = format!("{err:#}");
    assert!(
        msg.contains("already released") && msg.contains(&ledger.display().to_string()),
        "{msg}"
    );
    // Nor with another rho: it is the same data.
    let Err(err) = protect_stage_dp(&s, &w, &agg, &dp_run(&other, 0.3), true) else {
        panic!("the same tables were drawn again under another ledger with another rho");
    };
    assert!(format!("{err:#}").contains("already released"), "{err:#}");
    assert!(
        Ledger::open(&other, 2024).expect("ledger").entries.is_empty(),
        "nothing spent there"
    );

    // The ledger lost (deleted, or an older copy restored): a fresh draw of the same persons
    // would go unrecorded against what was already published, so it is refused.
    let file = Ledger::path_for(&ledger, 2024);
    let kept = std::fs::read(&file).expect("ledger file");
    std::fs::remove_file(&file).expect("delete the ledger");
    let Err(err) = protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.5), true) else {
        panic!("the tables were drawn again after their ledger was deleted");
    };
    assert!(format!("{err:#}").contains("no longer holds it"), "{err:#}");
    assert!(!file.exists(), "nothing recorded in a fresh ledger");
    std::fs::write(&file, kept).expect("restore the ledger");
    assert!(
        protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.5), true)
            .expect("restored")
            .result
            .dp
            .is_some_and(|d| d.reused)
    );
}

/// Each table's measured cells with Gaussian noise (the exact counts, not truncated).
fn noised(
    tables: &safetally::tables::Tables,
    exact: &[safetally::tables::TableCells],
    noise: &safetally_dp::Gaussian,
) -> Vec<Vec<i64>> {
    tables
        .tables
        .iter()
        .zip(exact)
        .map(|(t, c)| {
            let truth: Vec<i64> = measured_cells(t).iter().map(|&i| c.values[i] as i64).collect();
            noise.draw(&truth).expect("draw")
        })
        .collect()
}

/// Fresh DP releases of the aggregated tables in `agg` at rho 0.5, each under a ledger of its
/// own, with their internal summaries, and the exact counts.
fn fresh_releases(
    agg: &Path,
    ledgers: &Path,
    draws: usize,
) -> (
    Vec<(
        Vec<safetally::protect::ProtectedTable>,
        safetally::protect::DpSummary,
    )>,
    Vec<safetally::tables::TableCells>,
) {
    let s = schema();
    let (tables, agg_report, exact) = load_aggregated(&s, agg).expect("aggregated");
    // What DP measures: multi-valued tables with each person's codes truncated.
    let measured: Vec<_> = tables
        .tables
        .iter()
        .zip(&exact)
        .map(|(t, c)| {
            if t.multi {
                safetally::tables::read_cells_from(t, &agg.join(safetally::tables::truncated_name(t.id())))
                    .expect("truncated")
            } else {
                c.clone()
            }
        })
        .collect();
    let cfg = DpConfig::load_embedded().expect("config");
    let releases = (0..draws)
        .map(|k| {
            safetally::protect::protect_dp(&safetally::protect::DpInput {
                schema: &s,
                tables: &tables,
                measured: &measured,
                exact: &exact,
                year: agg_report.report_year.expect("year"),
                config: &cfg,
                rho: 0.5,
                group_size: 2,
                ledger_dir: ledgers.join(format!("ledger-draw-{k}")),
                truncated_persons: Default::default(),
                previous: None,
                recorded: Vec::new(),
            })
            .expect("draw")
        })
        .collect();
    (releases, exact)
}

#[test]
fn error_per_table_stays_within_the_stated_scale_and_the_release_carries_intervals() {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let s = schema();
    let w = Workdir::new(work.path()).expect("workdir");
    let run = protect_stage_dp(&s, &w, &agg, &dp_run(&work.path().join("ledger"), 0.5), false).expect("dp");
    let report: ProtectReport = run.result.clone();
    let dp = report.dp.clone().expect("dp");
    // One release's error per table is itself noisy (T15 has six cells); the mean over sixty
    // independent releases (each with its own ledger) is what the scale predicts. (T17's
    // mean reached 6.57 against 6.49 over sixty in CI, when T18's total was held before the
    // relation between them was fitted and T17 took all their disagreement: 5.6 persons too
    // low on average. With the relation in the totals' fit it is about 3.8.)
    let (tables, agg_report, _) = load_aggregated(&s, &agg).expect("aggregated");
    let draws = 60;
    let mut mean = std::collections::BTreeMap::<String, f64>::new();
    for (_, d) in fresh_releases(&agg, work.path(), draws).0 {
        for (id, e) in d.mean_abs_error {
            *mean.entry(id).or_default() += e / draws as f64;
        }
    }
    eprintln!("mean absolute error per table at rho 0.5, averaged over {draws} releases (noise scale):");
    for p in &dp.plan {
        let mae = mean[&p.id];
        eprintln!("  {} {:.2} ({:.2})", p.id, mae, p.scale);
        // E|noise| is 0.8 scale. Rounding adds up to 0.5, and non-negativity biases totals of
        // many near-zero cells (T03's regions sum up to 50 countries): 1.25 scale allows
        // that, and still fails if the noise were half again as large as stated.
        assert!(
            mae <= 1.25 * p.scale + 0.5,
            "{}: error {mae} for scale {}",
            p.id,
            p.scale
        );
    }
    // Published cells: interval around the value, no small noisy inner count shown.
    for t in &tables.tables {
        let p = read_protected(t, &run.dir).expect("protected");
        for i in 0..p.values.len() {
            if let Some(v) = p.values[i] {
                let (lo, hi) = (p.lower[i].expect("low"), p.upper[i].expect("high"));
                assert!(
                    lo <= v && v <= hi,
                    "{} cell {i}: {v} outside [{lo}, {hi}]",
                    t.id()
                );
                assert!(
                    t.is_margin(i) || v == 0 || v >= dp.suppress_below,
                    "{} shows {v}",
                    t.id()
                );
            }
        }
    }
    let rel = publish_stage(&s, &w, &run.dir, None, false).expect("publish");
    // T22's platform figures carry their noise scale and interval, as their tables do (a noisy
    // 0 was printed bare beside BRÅ's 172 offences).
    let t22 = read_parquet(&rel.dir.join("tables/T22_official_comparison.parquet"));
    let side = strings(&t22, "side");
    let status = strings(&t22, "status");
    let ints = |c: &str| -> Vec<Option<i64>> {
        t22.column(c)
            .expect(c)
            .cast(&polars::prelude::DataType::Int64)
            .expect("ints")
            .i64()
            .expect("i64")
            .iter()
            .collect()
    };
    let (value, lo, hi) = (ints("value"), ints("interval95_low"), ints("interval95_high"));
    let scale = t22
        .column("noise_scale")
        .expect("noise_scale")
        .f64()
        .expect("f64")
        .clone();
    let mut platform = 0;
    for r in 0..t22.height() {
        if side[r].as_deref() != Some("platform") {
            continue;
        }
        platform += 1;
        assert!(scale.get(r).is_some_and(|s| s > 0.0), "row {r}: no noise scale");
        if status[r].as_deref() == Some("published") {
            let (v, l, h) = (
                value[r].expect("value"),
                lo[r].expect("low"),
                hi[r].expect("high"),
            );
            assert!(l <= v && v <= h, "row {r}: {v} outside [{l}, {h}]");
        }
    }
    assert!(platform >= 5, "{platform} platform rows");
    // Persons with a known legal status leave out T19's "unknown", whose interval widens theirs.
    let t19 = read_parquet(&rel.dir.join("tables/T19.parquet"));
    // None: hidden (a noisy count of 1 to 4).
    let t19_count = |code: &str| -> Option<i64> {
        let codes = strings(&t19, "legal_status");
        let r = codes.iter().position(|c| c.as_deref() == Some(code)).expect(code);
        t19.column("persons")
            .expect("persons")
            .cast(&polars::prelude::DataType::Int64)
            .expect("ints")
            .i64()
            .expect("i64")
            .get(r)
    };
    let measure = strings(&t22, "measure");
    let known = measure
        .iter()
        .position(|m| m.as_deref() == Some("persons_status_known"))
        .expect("known status");
    match (t19_count("_total"), t19_count("unknown")) {
        (Some(total), Some(unknown)) => assert_eq!(value[known], Some(total - unknown)),
        // A part hidden in this draw (a noisy 1 to 4; the test failed on it once): so is the
        // figure made from it.
        _ => assert_eq!(value[known], None, "a figure of a hidden part is hidden"),
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(rel.dir.join("manifest.json")).expect("manifest"))
            .expect("json");
    // Shown as asked for, not as the sum of the tables' shares (0.49999999999999983, which the
    // notebook printed); the ledger keeps the sum.
    assert_eq!(manifest["dp"]["rho"].as_f64(), Some(0.5), "{}", manifest["dp"]);
    assert_eq!(manifest["parameters"]["rho"].as_f64(), Some(0.5));
    assert_eq!(manifest["dp"]["group_rho"].as_f64(), Some(2.0));
    assert!(
        manifest["dp"]["epsilon"]
            .as_f64()
            .is_some_and(|e| e > 5.0 && e < 6.0)
    );
    assert_eq!(manifest["dp"]["ledger_entry"], dp.ledger_entry.as_str());
    // The methods note says what the published intervals are, in both languages: it said "the
    // intervals are those of the noise" after explaining why they are wider.
    let methods = std::fs::read_to_string(rel.dir.join("methods.md")).expect("methods");
    assert!(
        !methods.contains("those of the noise") && !methods.contains("Intervallen är brusets"),
        "{methods}"
    );
    assert!(
        methods.contains("different intervals in different tables")
            && methods.contains("olika intervall i olika tabeller")
    );
    // What the guarantee does not cover, in both languages (an outside review of 0.21: the
    // demo made an exact release and a DP one of one year, and the DP one claimed its epsilon).
    assert!(
        methods.contains("Exact-mode releases")
            && methods.contains("outside the budget")
            && methods.contains("ingår inte i budgeten")
            && methods.contains("can merge them")
            && methods.contains("slå ihop dem"),
        "{methods}"
    );
    // The workbook's About sheet says what the DP release's mark and noise mean (it said the
    // exact release's rule, "fewer than 5 persons", before).
    use calamine::{Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(rel.dir.join("safetally-release.xlsx")).expect("workbook");
    let about = wb.worksheet_range("Om - About").expect("about sheet");
    let text: Vec<String> = about.rows().flatten().map(|c| c.to_string()).collect();
    let text = text.join("\n");
    assert!(
        text.contains("noise_scale") && text.contains("noisy count was 1 to 4"),
        "{text}"
    );
    assert!(!text.contains("fewer than"), "{text}");
    // Published again, the same tables are the same bytes and the same release.
    let again = publish_stage(&s, &w, &run.dir, None, true).expect("publish again");
    let id = |d: &std::path::Path| {
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("manifest.json")).expect("manifest"))
                .expect("json");
        m["release_id"].as_str().expect("id").to_string()
    };
    assert_eq!(id(&again.dir), manifest["release_id"].as_str().expect("id"));
    assert_eq!(dp.ledger_entry.len(), 16, "a random id");
    let hidden: Vec<String> = std::fs::read_dir(&rel.dir)
        .expect("release")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        hidden.is_empty(),
        "nothing hidden travels with the release: {hidden:?}"
    );
    // The ledger key is a hash of true counts: a guess of the data could be confirmed with it.
    for f in safetally::stage::list_files(&rel.dir).expect("files") {
        let text = String::from_utf8_lossy(&std::fs::read(&f).expect("file")).into_owned();
        assert!(
            !text.contains(dp.release_key.as_str()),
            "{} holds the ledger key",
            f.display()
        );
        assert!(
            !dp.data_key.is_empty() && !text.contains(dp.data_key.as_str()),
            "{} holds the data key",
            f.display()
        );
    }
    let inputs: Vec<String> = manifest["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|f| f["path"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        inputs
            .iter()
            .all(|p| p.starts_with("05-protect-dp/") || p == "03-link/persons.parquet"),
        "only unguessable hashes: {inputs:?}"
    );
    assert!(
        manifest.to_string().find("mean_abs_error").is_none(),
        "errors against the truth stay internal"
    );
    let t06 = std::fs::read_to_string(rel.dir.join("tables/T06.csv")).expect("T06");
    assert!(
        t06.starts_with(
            "gender,gender_sv,gender_en,persons,status,noise_scale,interval95_low,interval95_high"
        )
    );
    let methods = std::fs::read_to_string(rel.dir.join("methods.md")).expect("methods");
    assert!(
        methods.contains("95 of 100"),
        "the methods note says what the interval means"
    );
    // The number of persons it states is the noisy published total, never the exact one.
    let t01 = tables.get("T01").expect("T01");
    let p = read_protected(t01, &run.dir).expect("T01");
    let noisy_total = p.values[t01.cell_index(&Default::default()).expect("total")].expect("published");
    assert!(
        methods.contains(&format!("about {noisy_total} persons")),
        "{methods}"
    );
    if noisy_total != agg_report.persons {
        assert!(!methods.contains(&format!("about {} persons", agg_report.persons)));
    }
}

#[test]
fn a_plan_beyond_the_years_cap_says_that_a_release_would_be_refused() {
    let cfg = DpConfig::load_embedded().expect("config");
    assert_eq!(safetally::protect::over_cap_note(&cfg, cfg.year_rho_cap), None);
    assert_eq!(safetally::protect::over_cap_note(&cfg, cfg.release_rho), None);
    let note = safetally::protect::over_cap_note(&cfg, cfg.year_rho_cap * 1.5).expect("a note");
    assert!(note.contains("would refuse"), "{note}");
}

/// A population that is another's with one more condition is counted once: T01's direct
/// persons are T04's to T08's total, in every release as in the truth (apart, the two
/// estimates differ in most draws).
#[test]
fn a_narrower_populations_total_is_the_wider_tables_cell_in_every_release() {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let s = schema();
    let (tables, _, exact) = load_aggregated(&s, &agg).expect("aggregated");
    let deriver = safetally::tables::derive::Deriver::new(&s);
    let cell = |t: &safetally::tables::Table, at: &[(&str, &str)]| {
        let map = at.iter().map(|(d, c)| (d.to_string(), c.to_string())).collect();
        t.cell_index(&map).expect("cell")
    };
    let index = |id: &str| tables.tables.iter().position(|t| t.id() == id).expect("table");
    let t01 = index("T01");
    let direct = cell(&tables.tables[t01], &[("contact_kind", "direct")]);
    assert_eq!(
        exact[t01].values[direct],
        exact[index("T04")].values[cell(&tables.tables[index("T04")], &[])]
    );
    let scales: Vec<f64> = tables.tables.iter().map(|_| 4.0).collect();
    let noise = safetally_dp::Gaussian::new(4.0).expect("gaussian");
    for _ in 0..10 {
        let noisy = noised(&tables, &exact, &noise);
        let out = safetally::protect::release_tables(&tables, &deriver, &noisy, &scales, 5);
        let shown = out[t01].values[direct];
        assert!(shown.is_some());
        for id in ["T04", "T05", "T06", "T07", "T08"] {
            let t = index(id);
            let total = cell(&tables.tables[t], &[]);
            assert_eq!(
                out[t].values[total], shown,
                "{id}'s total against T01's direct persons"
            );
            // The same number with the same interval.
            assert_eq!(out[t].scale[total], out[t01].scale[direct], "{id}'s scale");
        }
    }
}

/// A rho too small to publish anything is refused before the ledger records it (an outside
/// review's 1e-35 was recorded, then drew noise for over ten minutes); the least rho allowed
/// is spent.
#[test]
fn a_rho_too_small_to_publish_anything_is_refused_before_it_is_recorded() {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let w = Workdir::new(work.path()).expect("workdir");
    let ledger = work.path().join("ledger");
    for rho in [1e-35, 0.5e-6] {
        let e = protect_stage_dp(&schema(), &w, &agg, &dp_run(&ledger, rho), false)
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains("publishing nothing"), "{e}");
    }
    assert!(Ledger::open(&ledger, 2024).expect("ledger").entries.is_empty());
    protect_stage_dp(
        &schema(),
        &w,
        &agg,
        &dp_run(&ledger, safetally::protect::MIN_RHO),
        false,
    )
    .expect("the least rho");
    assert_eq!(Ledger::open(&ledger, 2024).expect("ledger").entries.len(), 1);
}

/// Every relation the exact mode's audit knows between cells (equal cells of different tables
/// that count the same persons, a narrower population's cell at most the wider one's, a pair
/// of organisations at most either's own total), but for T21a's bounds on T21b's sums (see
/// `build_system_for_dp`), holds in the DP release's values, hidden ones included, at little
/// and at much noise. Before version 0.12 an outside review read T11's 21 directly affected
/// children against T05's 15, and this test counted about 75 broken relations a release.
#[test]
fn every_relation_between_tables_holds_in_every_dp_release() {
    use safetally_dp::suppress::Relation;
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let s = schema();
    let (tables, _, exact) = load_aggregated(&s, &agg).expect("aggregated");
    let deriver = safetally::tables::derive::Deriver::new(&s);
    let mut broken = Vec::new();
    for scale in [1.0, 4.0, 40.0] {
        let scales: Vec<f64> = tables.tables.iter().map(|_| scale).collect();
        let noise = safetally_dp::Gaussian::new(scale).expect("gaussian");
        for _ in 0..4 {
            let noisy = noised(&tables, &exact, &noise);
            let c = safetally::protect::make_consistent(&tables, &deriver, &noisy, &scales);
            assert_eq!(c.unmet, None, "scale {scale}");
            let cells: Vec<safetally::tables::TableCells> = tables
                .tables
                .iter()
                .zip(&c.values)
                .map(|(t, v)| safetally::tables::TableCells {
                    id: t.id().to_string(),
                    values: v.clone(),
                })
                .collect();
            let (system, refs) = safetally::tables::build_system_for_dp(&deriver, &tables, &cells);
            for k in &system.constraints {
                let sum: f64 = k
                    .terms
                    .iter()
                    .map(|&(i, a)| a * system.cells[i].value as f64)
                    .sum();
                let bad = match k.relation {
                    Relation::Eq => sum.abs() > 1e-9,
                    Relation::Le => sum > 1e-9,
                };
                if bad {
                    let name = |i: usize| {
                        let r = refs[i];
                        let t = &tables.tables[r.table];
                        format!("{}{:?}={}", t.id(), t.codes(r.cell), system.cells[i].value)
                    };
                    let terms: Vec<String> =
                        k.terms.iter().map(|&(i, a)| format!("{a}*{}", name(i))).collect();
                    broken.push(format!("scale {scale}: {:?}: {}", k.relation, terms.join(" + ")));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "{} broken:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

/// Each table's grand total keeps its interval after the post-processing: over 40 releases
/// at the default plan the truth is outside a total's 95% interval in at most 8 (2 expected),
/// and no total's mean error is beyond 4 standard errors of that mean (about 1 in 16 000 for
/// an unbiased total). Mending the relations between tables
/// with the totals free moved T09's total down by 15 persons on average, outside its interval
/// in 33 of 60 releases (an outside review of the first version of that step).
///
/// A total that a relation between tables binds at the truth (T18's persons with a police
/// report are all T17's directly affected ones with one, in the sample) cannot be fitted
/// without bias: no estimate kept on one side of a boundary is centred on a point of it. The
/// fit shares each disagreement by the two sides' variances, which leans the total by its
/// share on average (`totals_bound_at_the_truth`: 5.8 for T18's, at a scale of 15.2); such a
/// total may lean that far, beyond the four standard errors, and no further.
#[test]
fn every_tables_total_keeps_its_interval_after_post_processing() {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let (tables, _, _) = load_aggregated(&schema(), &agg).expect("aggregated");
    let draws = 40;
    let (releases, exact) = fresh_releases(&agg, work.path(), draws);
    let bound = totals_bound_at_the_truth(&tables, &exact, &releases[0].0);
    assert!(
        bound.contains_key("T18"),
        "the sample's T18 total is bound by T17's police reports: {bound:?}"
    );
    let n = tables.tables.len();
    let (mut missed, mut errors, mut scale) = (vec![0; n], vec![Vec::new(); n], vec![0.0; n]);
    for (protected, _) in &releases {
        for (ti, (t, p)) in tables.tables.iter().zip(protected).enumerate() {
            let g = t.grand_total();
            let truth = exact[ti].values[g];
            let (lo, hi) = (p.lower[g].expect("lower"), p.upper[g].expect("upper"));
            missed[ti] += usize::from(!(lo..=hi).contains(&truth));
            errors[ti].push(p.values[g].expect("a total is shown") as f64 - truth as f64);
            scale[ti] = p.scale[g].expect("scale");
        }
    }
    for (ti, t) in tables.tables.iter().enumerate() {
        let e = &errors[ti];
        let mean = e.iter().sum::<f64>() / e.len() as f64;
        let sd = (e.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (e.len() - 1) as f64).sqrt();
        let se = sd / (e.len() as f64).sqrt();
        eprintln!(
            "{}: total outside its interval {} of {draws}, mean error {mean:+.2} (standard error {se:.2}; stated scale {:.2})",
            t.id(),
            missed[ti],
            scale[ti]
        );
        assert!(missed[ti] <= 8, "{}: {} of {draws} outside", t.id(), missed[ti]);
        // Rounding alone can leave half a person.
        let lean = bound.get(t.id()).copied().unwrap_or(0.0);
        assert!(
            mean.abs() <= 4.0 * se + 0.5 + lean,
            "{}: mean error {mean} with standard error {se}",
            t.id()
        );
    }
}

/// A cell that a relation binds at the truth beneath a noisier total (the sample's T17 `yes`:
/// every one of T18's persons with a police report is a directly affected one) leans no more
/// than its share of their disagreement: on average at most 0.4 s_c^2 / sqrt(s_c^2 + s_w^2)
/// for the cell's scale s_c and the wider side's s_w. When T18's total was held before the
/// relation was fitted, T17's `yes` took all of it: 4.2 to 6.6 persons low on average over
/// 60-100 releases, where its share is about 0.6 (plus three standard errors, about 1.9, and
/// half a person of rounding).
#[test]
fn a_cell_bound_at_the_truth_under_a_noisier_total_leans_only_by_its_share() {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let (tables, _, _) = load_aggregated(&schema(), &agg).expect("aggregated");
    let draws = 60;
    let (releases, exact) = fresh_releases(&agg, work.path(), draws);
    let (refs, relations) = safetally::tables::person_relations(&tables);
    let truth = |i: usize| exact[refs[i].table].values[refs[i].cell] as f64;
    let scale = |i: usize| releases[0].0[refs[i].table].scale[refs[i].cell].expect("scale");
    let mut checked = Vec::new();
    for r in relations
        .iter()
        .filter(|r| r.relation == safetally_dp::suppress::Relation::Le)
    {
        let narrow: Vec<usize> = r.terms.iter().filter(|t| t.1 > 0.0).map(|t| t.0).collect();
        let wide: Vec<usize> = r.terms.iter().filter(|t| t.1 < 0.0).map(|t| t.0).collect();
        let at_truth: f64 = r.terms.iter().map(|&(i, a)| a * truth(i)).sum();
        let [c] = narrow[..] else { continue };
        let (sc, sw) = (
            scale(c),
            wide.iter().map(|&i| scale(i).powi(2)).sum::<f64>().sqrt(),
        );
        if at_truth.abs() > 0.5 || sw <= sc {
            continue;
        }
        let (t, cell) = (refs[c].table, refs[c].cell);
        let errors: Vec<f64> = releases
            .iter()
            .filter_map(|(p, _)| p[t].values[cell].map(|v| v as f64 - truth(c)))
            .collect();
        let n = errors.len() as f64;
        let mean = errors.iter().sum::<f64>() / n;
        let sd = (errors.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let lean = 0.4 * sc * sc / (sc * sc + sw * sw).sqrt();
        let name = format!("{} cell {cell}", tables.tables[t].id());
        eprintln!(
            "{name}: mean error {mean:+.2} over {n} releases, its share {lean:.2}, scales {sc:.2} under {sw:.2}"
        );
        // Three standard errors: the old order's -4.5 would pass at four now and then.
        assert!(
            mean.abs() <= 3.0 * sd / n.sqrt() + 0.5 + lean,
            "{name}: mean error {mean:+.2} where its share of the disagreement is {lean:.2}"
        );
        checked.push(name);
    }
    assert!(
        checked.iter().any(|c| c.starts_with("T17")),
        "T17's police reports are bound by T18's total in the sample: {checked:?}"
    );
}

/// Tables whose grand total is in an inequality between tables that holds with equality in
/// the exact counts, with the most the fit's sharing of their disagreement leans it on
/// average: 0.4 s_t^2 / sqrt(s_t^2 + s_o^2) for the total's scale s_t and the other side's s_o
/// (the mean positive part of a normal difference is 0.4 of its standard deviation, and the
/// total takes its variance's share of it).
fn totals_bound_at_the_truth(
    tables: &safetally::tables::Tables,
    exact: &[safetally::tables::TableCells],
    release: &[safetally::protect::ProtectedTable],
) -> std::collections::BTreeMap<String, f64> {
    let (refs, relations) = safetally::tables::person_relations(tables);
    let scale = |i: usize| release[refs[i].table].scale[refs[i].cell].expect("scale");
    let mut out = std::collections::BTreeMap::<String, f64>::new();
    for r in relations
        .iter()
        .filter(|r| r.relation == safetally_dp::suppress::Relation::Le)
    {
        let at_truth: f64 = r
            .terms
            .iter()
            .map(|&(i, a)| a * exact[refs[i].table].values[refs[i].cell] as f64)
            .sum();
        if at_truth.abs() > 0.5 {
            continue;
        }
        for &(i, a) in &r.terms {
            let t = &tables.tables[refs[i].table];
            if refs[i].cell != t.grand_total() {
                continue;
            }
            let other: f64 = r
                .terms
                .iter()
                .filter(|&&(_, b)| (b > 0.0) != (a > 0.0))
                .map(|&(j, _)| scale(j).powi(2))
                .sum();
            let st = scale(i);
            let lean = 0.4 * st * st / (st * st + other).sqrt();
            let e = out.entry(t.id().to_string()).or_default();
            *e = e.max(lean);
        }
    }
    out
}

/// The published 95% intervals hold the true count about 95 times in 100, also for cells
/// whose fitted value leans on a relation between tables that holds with equality in the
/// data: an outside review found T17's `yes` (the bundled sample's police reports of directly
/// affected persons, all of T18's) inside its interval in 82 of 100 releases, T20's
/// `reflection_period` in 81. Over 60 releases, pooled per table, every table's published
/// cells hold the truth at least 93% of the time, and no cell misses it more often than a 95%
/// interval would with probability 1% over all the cells (see the end).
#[test]
fn published_intervals_hold_the_true_count_as_often_as_they_say() {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let s = schema();
    let (tables, _, _) = load_aggregated(&s, &agg).expect("aggregated");
    let (releases, exact) = fresh_releases(&agg, work.path(), 60);
    let mut worst: Vec<(f64, String)> = Vec::new();
    for (ti, t) in tables.tables.iter().enumerate() {
        let (mut inside, mut shown) = (0u32, 0u32);
        for i in (0..t.n_cells()).filter(|&i| !t.is_margin(i)) {
            let truth = exact[ti].values[i];
            let (mut cell_in, mut cell_shown) = (0u32, 0u32);
            for (p, _) in &releases {
                let p = &p[ti];
                if let (Some(lo), Some(hi)) = (p.lower[i], p.upper[i]) {
                    cell_shown += 1;
                    cell_in += u32::from(lo <= truth && truth <= hi);
                }
            }
            inside += cell_in;
            shown += cell_shown;
            // Cells shown in most releases only: a cell mostly hidden says little.
            if cell_shown >= 40 {
                worst.push((
                    misses_as_likely(cell_shown - cell_in, cell_shown),
                    format!(
                        "{} cell {i} ({cell_in} of {cell_shown} intervals hold the truth)",
                        t.id()
                    ),
                ));
            }
        }
        if shown > 0 {
            let share = f64::from(inside) / f64::from(shown);
            assert!(
                share >= 0.93,
                "{}: {share:.3} of published intervals hold the truth",
                t.id()
            );
        }
    }
    worst.sort_by(|a, b| a.0.total_cmp(&b.0));
    eprintln!(
        "least likely misses among {} cells: {:?}",
        worst.len(),
        &worst[..5.min(worst.len())]
    );
    assert!(
        worst.len() > 100,
        "only {} cells shown in most releases",
        worst.len()
    );
    // Among hundreds of cells a fixed bar fails by chance: a cell truly at 95% falls under 85%
    // over 60 draws about once in 1,400, so with a few hundred cells the test failed now and
    // then. The worst cell is judged by how likely its misses are for a cell at 95%, against 1%
    // shared among all the cells (with 300 cells: 13 or more misses in 60 fail).
    let bar = 0.01 / worst.len() as f64;
    assert!(
        worst[0].0 >= bar,
        "{}: as many misses happen with probability {:.1e} for a 95% interval (bar {bar:.1e})",
        worst[0].1,
        worst[0].0
    );
}

/// The probability that an interval holding the truth 95 times in 100 misses it `misses` or
/// more times in `n` releases (the binomial tail).
fn misses_as_likely(misses: u32, n: u32) -> f64 {
    let (p, n) = (0.05f64, f64::from(n));
    let mut term = (1.0 - p).powf(n); // P(X = 0)
    let mut below = 0.0;
    for k in 0..misses {
        below += term;
        let k = f64::from(k);
        term *= (n - k) / (k + 1.0) * p / (1.0 - p);
    }
    (1.0 - below).max(0.0)
}

/// A work folder with aggregated tables, bound to a fresh ledger: (folder, aggregated, ledger).
fn bound_folder() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let w = Workdir::new(work.path()).expect("workdir");
    let ledger = work.path().join("ledger");
    safetally::run::bind_ledger(w.root(), &ledger).expect("bind");
    (work, agg, ledger)
}

/// A ledger that lost an entry this work folder drew before its last one is refused: the
/// work folder remembers every entry it drew. An outside review released D0, then D1, then
/// D0 again (its stored draw reused), cut the ledger back to its first line and drew D2:
/// the check of the last draw alone saw its entry there, and D1's spending was forgotten.
#[test]
fn a_ledger_missing_any_entry_this_work_folder_drew_is_refused() {
    let (work, agg, ledger) = bound_folder();
    let s = schema();
    let w = Workdir::new(work.path()).expect("workdir");
    protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.3), true).expect("first");
    let file = Ledger::path_for(&ledger, 2024);
    let older = std::fs::read(&file).expect("backup");
    protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.2), true).expect("second");
    let again = protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.3), true).expect("the first again");
    assert!(again.result.dp.as_ref().expect("dp").reused, "the stored draw");
    std::fs::write(&file, older).expect("restore the older copy");
    let Err(err) = protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.1), true) else {
        panic!("drawn from a ledger that lost this work folder's second release");
    };
    let msg = format!("{err:#}");
    assert!(
        msg.contains("this work folder drew a release or extract") && msg.contains("no longer holds it"),
        "{msg}"
    );
    assert_eq!(
        Ledger::open(&ledger, 2024).expect("ledger").entries.len(),
        1,
        "nothing spent"
    );
}

/// Rewrites each line of the year's ledger with `edit` (lines are JSON objects).
fn edit_ledger(file: &Path, edit: impl Fn(usize, &mut serde_json::Map<String, serde_json::Value>)) {
    let text = std::fs::read_to_string(file).expect("ledger");
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let before: serde_json::Value = serde_json::from_str(l).expect("a ledger line");
            let mut v = before.clone();
            edit(i, v.as_object_mut().expect("an object"));
            // Lines left alone keep their text (written again, their keys would be reordered).
            if v == before { l.to_string() } else { v.to_string() }
        })
        .collect();
    std::fs::write(file, lines.join("\n") + "\n").expect("write");
}

/// A ledger edited by hand to give budget back, or to swap the stored noise, is refused. An
/// outside review of 0.21 removed `prev` from every line and set every rho to 0 (read as
/// lines of before the chain, they passed: the year showed nothing spent, and 1.9 of a cap of
/// 1.0 was drawn from one work folder), and replaced the last line's noisy values with others,
/// which the next run published as its draw.
#[test]
fn a_ledger_edited_to_give_budget_back_or_swap_its_noise_is_refused() {
    let (work, agg, ledger) = bound_folder();
    let s = schema();
    let w = Workdir::new(work.path()).expect("workdir");
    protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.3), true).expect("first");
    protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.2), true).expect("second");
    let file = Ledger::path_for(&ledger, 2024);
    let original = std::fs::read(&file).expect("backup");
    let refused = |what: &str| {
        let Err(err) = protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.2), true) else {
            panic!("{what}: drawn or reused from an edited ledger");
        };
        format!("{err:#}")
    };

    // Every line unchained and spending nothing: the plan beside each rho gives it away.
    edit_ledger(&file, |_, l| {
        l.remove("prev");
        l.insert("rho".into(), 0.0.into());
    });
    let msg = Ledger::open(&ledger, 2024).err().expect("refused").to_string();
    assert!(
        msg.contains("line 1") && msg.contains("its tables' shares add up to"),
        "{msg}"
    );
    let msg = refused("unchained, rho 0");
    assert!(msg.contains("edited by hand"), "{msg}");

    // Every line unchained, as a ledger of before the chain reads: this work folder's seals
    // tell the lines changed.
    std::fs::write(&file, &original).expect("restore");
    edit_ledger(&file, |_, l| {
        l.remove("prev");
    });
    assert!(Ledger::open(&ledger, 2024).is_ok(), "reads as old lines");
    let msg = refused("unchained");
    assert!(
        msg.contains("changed since it was drawn") && msg.contains("edited by hand"),
        "{msg}"
    );

    // The link removed from a line after a linked one: the ledger itself is refused.
    std::fs::write(&file, &original).expect("restore");
    edit_ledger(&file, |i, l| {
        if i == 1 {
            l.remove("prev");
        }
    });
    let msg = Ledger::open(&ledger, 2024).err().expect("refused").to_string();
    assert!(
        msg.contains("line 2") && msg.contains("no link to the line before it"),
        "{msg}"
    );

    // The last line's noise replaced: not reused.
    std::fs::write(&file, &original).expect("restore");
    edit_ledger(&file, |i, l| {
        if i == 1 {
            let m = l["measurements"].as_object_mut().expect("measurements");
            for v in m.values_mut() {
                *v = v
                    .as_array()
                    .expect("counts")
                    .iter()
                    .map(|c| serde_json::Value::from(c.as_i64().expect("count") + 1))
                    .collect();
            }
        }
    });
    let msg = refused("noise swapped");
    assert!(msg.contains("changed since it was drawn"), "{msg}");

    // As drawn, it is reused.
    std::fs::write(&file, &original).expect("restore");
    let again = protect_stage_dp(&s, &w, &agg, &dp_run(&ledger, 0.2), true).expect("as drawn");
    assert!(again.result.dp.as_ref().expect("dp").reused);
}

/// T21b of a platform where most organisations reported nobody: an organisation's own total
/// was raised to the largest of its pairs of pure noise (about 31 persons, 1.6 noise scales,
/// for each of 26 organisations in an outside review's 200 releases; 31.5 before the fix, 8.8
/// after over 40 releases there, about what clamping noise at zero leaves: scale / sqrt(2 pi)
/// is 7.7). Over 8 releases the mean of those cells must stay under 1 noise scale (mean over
/// 200 cells: its standard error is under a tenth of a scale).
#[test]
fn organisations_that_reported_nobody_are_not_given_their_pairs_noise_in_t21b() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = generated_and_linked(tmp.path(), (150, 3, 4), "t21");
    let w = Workdir::new(&work).expect("workdir");
    let s = schema();
    let agg = aggregate_stage(&s, &w, &w.stage_dir(safetally::link::STAGE), false)
        .expect("aggregate")
        .dir;
    let (tables, _, exact) = load_aggregated(&s, &agg).expect("aggregated");
    let ti = tables.tables.iter().position(|t| t.id() == "T21b").expect("T21b");
    let t = &tables.tables[ti];
    let codes = &t.dims[0].domain;
    let empty: Vec<usize> = (0..codes.len())
        .filter(|&c| codes[c].code.split_once('|').is_some_and(|(a, b)| a == b) && exact[ti].values[c] == 0)
        .collect();
    assert!(
        empty.len() >= 20,
        "most sample organisations reported nobody: {}",
        empty.len()
    );
    let (releases, _) = fresh_releases(&agg, tmp.path(), 8);
    let (mut sum, mut n, mut scale) = (0.0, 0.0, 0.0);
    for (protected, dp) in &releases {
        scale = dp.plan.iter().find(|p| p.id == "T21b").expect("planned").scale;
        for &c in &empty {
            sum += protected[ti].values[c].unwrap_or(0) as f64;
            n += 1.0;
        }
    }
    let mean = sum / n;
    assert!(
        mean < scale,
        "organisations of no persons have {mean:.1} persons on average in T21b (noise scale {scale:.1})"
    );
}
