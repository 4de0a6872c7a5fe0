//! The noise has the stated scale, the error per table stays within it, and the published
//! intervals hold the true count as often as they say, after post-processing too.

use super::*;

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
    // The Parquet files publish the noise scale as the CSV and the workbook print it (two
    // decimals), not with every digit of the float.
    let t04 = read_parquet(&rel.dir.join("tables/T04.parquet"));
    let scales = t04
        .column("noise_scale")
        .expect("noise_scale")
        .f64()
        .expect("f64")
        .clone();
    assert!(scales.len() > 3);
    for v in scales.iter().flatten() {
        assert!(((v * 100.0).round() - v * 100.0).abs() < 1e-6, "noise_scale {v}");
    }
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
    // The small-count audit is exact mode's: a DP release said `"audit_passed": true` of an
    // audit it never ran (an outside review of 0.28.1).
    assert!(manifest.get("audit_passed").is_none(), "{manifest}");
    // The methods note says what the published intervals are, in both languages: it said "the
    // intervals are those of the noise" after explaining why they are wider.
    let methods = std::fs::read_to_string(rel.dir.join("methods.md")).expect("methods");
    assert!(
        !methods.contains("those of the noise") && !methods.contains("Intervallen är brusets"),
        "{methods}"
    );
    assert!(
        methods
            .contains("A figure shown in several tables carries one value, one noise scale and one interval")
            && methods
                .contains("Ett tal som visas i flera tabeller har samma värde, brusskala och intervall")
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

/// Each table's grand total keeps its interval after the post-processing: over 40 releases
/// at the default plan the truth is outside a total's 95% interval in at most 10 (2 expected;
/// 11 or more about once in 200 000 for a total at 95%), and no total's mean error is beyond 5
/// standard errors of that mean (with 39 degrees of freedom about once in 80 000 for an
/// unbiased total; at 4 and 8 it was once in about 150 runs over the tables). Mending the relations between tables
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
        assert!(missed[ti] <= 10, "{}: {} of {draws} outside", t.id(), missed[ti]);
        // Rounding alone can leave half a person.
        let lean = bound.get(t.id()).copied().unwrap_or(0.0);
        assert!(
            mean.abs() <= 5.0 * se + 0.5 + lean,
            "{}: mean error {mean} with standard error {se}",
            t.id()
        );
    }
}

/// A number shown in several tables is one number wherever it is published, with one value,
/// one scale and one interval: a population's total in every table over it, a table's cell
/// that is another's single cell, cells that count the same persons, a multi-valued table's
/// persons with any code where nobody has none (its total). Each table's interval
/// came from its own noisy cells, so T02's total, summed from some 200 countries' noise, read
/// 103 with 0-220 beside T03's 103 with 46-132 (an outside review of 0.29), and T07's margins
/// carried intervals up to five times T04's and T06's for the same figures (of 0.31).
#[test]
fn a_number_shown_in_several_tables_has_one_interval_in_all() {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let (tables, _, _) = load_aggregated(&schema(), &agg).expect("aggregated");
    let groups = tables.population_groups();
    assert!(
        groups.iter().any(|g| g.len() >= 3),
        "some population is counted by three tables or more: {groups:?}"
    );
    let cell = |id: &str, codes: &[(&str, &str)]| -> (usize, usize) {
        let ti = tables.tables.iter().position(|t| t.id() == id).expect("table");
        let codes = codes
            .iter()
            .map(|(d, c)| (d.to_string(), c.to_string()))
            .collect();
        (ti, tables.tables[ti].cell_index(&codes).expect("cell"))
    };
    let mut same: Vec<Vec<(usize, usize)>> = groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|&ti| (ti, tables.tables[ti].grand_total()))
                .collect()
        })
        .collect();
    same.push(vec![
        cell("T07", &[("form", "sexual")]),
        cell("T04", &[("form", "sexual")]),
    ]);
    same.push(vec![
        cell("T07", &[("gender", "woman")]),
        cell("T06", &[("gender", "woman")]),
    ]);
    same.push(vec![
        cell("T05", &[("age_group", "child")]),
        cell("T11", &[("contact_kind", "direct")]),
    ]);
    // A multi-valued table of persons with an answer: its persons with any code are its total.
    for (ti, t) in tables.tables.iter().enumerate() {
        if t.empty_none().is_some() {
            same.push(vec![
                (ti, t.grand_total()),
                (ti, t.index(&[t.dims[0].domain.len() + 1])),
            ]);
        }
    }
    assert!(same.len() > groups.len() + 4, "tables with an empty `_none`");
    let (releases, _) = fresh_releases(&agg, work.path(), 3);
    for (protected, _) in &releases {
        for cells in &same {
            // An inner cell whose noisy value is small is hidden, while the same number as a
            // margin elsewhere is shown (the methods note says so): compared where shown.
            let shown: Vec<(&str, _)> = cells
                .iter()
                .filter(|&&(ti, c)| protected[ti].values[c].is_some())
                .map(|&(ti, c)| {
                    let p = &protected[ti];
                    (
                        tables.tables[ti].id(),
                        (p.values[c], p.scale[c], p.lower[c], p.upper[c]),
                    )
                })
                .collect();
            let scales: Vec<Option<f64>> = cells.iter().map(|&(ti, c)| protected[ti].scale[c]).collect();
            assert!(
                scales.iter().all(|s| *s == scales[0]),
                "one number with different scales: {cells:?} {scales:?}"
            );
            assert!(
                shown.iter().all(|(_, s)| *s == shown[0].1),
                "one number published differently: {shown:?}"
            );
        }
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

/// The published 95% intervals hold the true count about 95 times in 100, also for cells
/// whose fitted value leans on a relation between tables that holds with equality in the
/// data: an outside review found T17's `yes` (the bundled sample's police reports of directly
/// affected persons, all of T18's) inside its interval in 82 of 100 releases, T20's
/// `reflection_period` in 81. Over 180 releases, pooled per table, every table's published
/// cells hold the truth at least as often as 95% intervals would but once in a thousand over
/// all the tables (0.913 of 540 intervals, 0.933 of 2 400, 0.946 of 39 000), and no cell misses it more often than a
/// 95% interval would with probability 1% over all the cells (see the end). Without the span
/// of the raw estimate (below) it failed three runs in three: T15 at 0.901 of 535 intervals,
/// or a cell's misses. Over 60 releases and a fixed 0.93 it failed now and then with the span
/// (T15 0.927 of 180), as 0.93 is two standard errors from what three cells' intervals hold.
#[test]
fn published_intervals_hold_the_true_count_as_often_as_they_say() {
    let work = tempfile::tempdir().expect("tempdir");
    let agg = aggregated(work.path());
    let s = schema();
    let (tables, _, _) = load_aggregated(&s, &agg).expect("aggregated");
    let (releases, exact) = fresh_releases(&agg, work.path(), 180);
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
            if cell_shown >= 120 {
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
            // What 95% intervals fall below once in a thousand over all the tables: a bar of
            // 3.09 standard errors per table failed a table truly at 95% (T14, whose codes
            // beyond max_codes are not in its intervals) once in a thousand runs each.
            let floor = 0.95
                - z_of_tail(0.001 / tables.tables.len() as f64) * (0.95 * 0.05 / f64::from(shown)).sqrt();
            eprintln!(
                "{}: {share:.4} of {shown} published intervals hold the truth (bar {floor:.4})",
                t.id()
            );
            assert!(
                share >= floor,
                "{}: {share:.3} of {shown} published intervals hold the truth, under {floor:.3}",
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
