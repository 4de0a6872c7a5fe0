//! The ledger: over-budget releases refused, a rerun or a crash spends nothing twice, and a
//! ledger missing entries or edited to give budget back is refused.

use super::*;

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

#[test]
fn a_plan_beyond_the_years_cap_says_that_a_release_would_be_refused() {
    let cfg = DpConfig::load_embedded().expect("config");
    assert_eq!(safetally::protect::over_cap_note(&cfg, cfg.year_rho_cap), None);
    assert_eq!(safetally::protect::over_cap_note(&cfg, cfg.release_rho), None);
    let note = safetally::protect::over_cap_note(&cfg, cfg.year_rho_cap * 1.5).expect("a note");
    assert!(note.contains("would refuse"), "{note}");
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
