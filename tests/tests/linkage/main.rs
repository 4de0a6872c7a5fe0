//! Pseudonymisation and linkage: quality targets on the bundled sample, the cases the privacy
//! design names, the guards and the errors (that nothing identifying leaves pseudonymisation
//! is `leaks.rs`).
//! One test binary; its tests are in modules by concept, sharing the helpers below.

use safetally::link::{LinkParams, evaluate_stage, load, load_for, truth_for_records};
use safetally::schema::LinkageSpec;
use safetally_tests::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod cases;
mod damaged;
mod order;
mod quality;
mod refusals;

fn bundled() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples")
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

/// One record per organisation, each pseudonymised under the key of its seed, into `dir/pseudo`.
fn pseudonymised_orgs(dir: &Path, orgs: &[(&str, &str)]) -> std::path::PathBuf {
    let out = dir.join("pseudo");
    for (org, seed) in orgs {
        let (key, _) = test_key(dir, seed);
        pseudonymise_row(dir, &out, row_with(&[("org_id", org)]), &key);
    }
    out
}

/// One row, its organisation's file of its own (in `dir/ORG`), ingested and pseudonymised
/// under `key` into `out`.
fn pseudonymise_row(dir: &Path, out: &Path, row: Vec<String>, key: &safetally::key::LinkageKey) {
    let org = row[0].clone();
    let input = dir.join(&org);
    std::fs::create_dir_all(&input).expect("mkdir");
    std::fs::create_dir_all(out).expect("mkdir");
    write(&input, "a.csv", csv_text(&header(), &[row], b','));
    let (report, ingested) = ingest(&input, &Default::default());
    assert_eq!(report.totals.accepted, 1, "{}", report.to_text());
    let p = safetally::progress::Progress::hidden();
    safetally::pseudonymise::pseudonymise_dir(&schema(), key, &ingested.path().join("validated"), out, &p)
        .expect("pseudonymise");
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
