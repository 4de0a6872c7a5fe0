//! The quality targets on the bundled sample, with exact keys alone and with the fuzzy step.

use super::*;

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
    // The persons the link stage wrote are scored as they are: linked with the fuzzy step
    // they score as the evaluation's own linking does; linked again with exact keys alone,
    // as exact keys alone (an outside review read a fresh linking's figures as the output's).
    let map = tmp.path().join("work/03-link/record_map.parquet");
    let fields = |q: &safetally::link::Quality| (q.precision, q.recall, q.persons_split, q.persons_merged);
    let scored = |map: &Path| {
        safetally::link::quality_of_record_map(&r, &truth, map)
            .expect("read the map")
            .expect("every record in it")
    };
    assert_eq!(fields(&scored(&map)), fields(q));
    let w = safetally::stage::Workdir::new(tmp.path().join("work")).expect("workdir");
    let exact = LinkParams {
        fuzzy: false,
        ..params.clone()
    };
    let p = safetally::progress::Progress::hidden();
    safetally::run::link_stage(&s, &w, &tmp.path().join("work/02-pseudonymise"), &exact, &p, true)
        .expect("link with exact keys alone");
    assert_eq!(fields(&scored(&map)), fields(&e.exact_only));
    // A map of other records (another key's) is not scored.
    let (other, _) = test_key(tmp.path(), "quality-other");
    run_to_link(&bundled().join("submissions"), &tmp.path().join("other"), &other);
    let other_map = tmp.path().join("other/03-link/record_map.parquet");
    assert!(
        safetally::link::quality_of_record_map(&r, &truth, &other_map)
            .expect("read")
            .is_none()
    );
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
