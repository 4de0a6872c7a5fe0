//! Shared helpers for the integration tests: a valid contact row to vary, file writers for
//! every input format, and readers for stage outputs.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use safetally::ingest::{IngestOptions, IngestReport, ingest_folder};
use safetally::progress::Progress;
use safetally::schema::{Schema, load_embedded};

pub fn schema() -> Schema {
    load_embedded().expect("embedded schema loads")
}

/// A row that passes every rule, as (column, value) in contract order.
pub fn valid_row() -> Vec<(&'static str, String)> {
    [
        ("org_id", "SAMPLE01"),
        ("record_id", "R1"),
        ("report_year", "2024"),
        ("contact_kind", "direct"),
        ("related_record_id", ""),
        ("personal_number", "811218-9876"),
        ("given_name", "Anna"),
        ("family_name", "Svensson"),
        ("birth_date", "1981-12-18"),
        ("gender", "woman"),
        ("age_group", "adult"),
        ("country_of_birth", "SE"),
        ("exploitation_forms", "sexual"),
        ("exploitation_countries", "SE"),
        ("identified_by", "police"),
        ("social_services_support", "social_worker"),
        ("civil_society_support", "legal_advice;psychological"),
        ("support_reasons", "more_than_offered"),
        ("national_support_programme", "no"),
        ("police_report", "yes"),
        ("reported_offences", "trafficking"),
        ("legal_status", "investigation_ongoing"),
        ("legal_rights", "injured_party_counsel"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

/// The valid row with some cells replaced.
pub fn row_with(changes: &[(&str, &str)]) -> Vec<String> {
    valid_row()
        .into_iter()
        .map(|(k, v)| {
            changes
                .iter()
                .find(|(c, _)| *c == k)
                .map_or(v, |(_, nv)| nv.to_string())
        })
        .collect()
}

pub fn header() -> Vec<String> {
    valid_row().into_iter().map(|(k, _)| k.to_string()).collect()
}

/// CSV text with proper quoting.
pub fn csv_text(header: &[String], rows: &[Vec<String>], delimiter: u8) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    w.write_record(header).expect("header");
    for r in rows {
        w.write_record(r).expect("row");
    }
    String::from_utf8(w.into_inner().expect("flush")).expect("utf-8")
}

pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

/// Runs ingest over `input` into a fresh folder and returns the report and that folder.
pub fn ingest(input: &Path, opts: &IngestOptions) -> (IngestReport, tempfile::TempDir) {
    let out = tempfile::tempdir().expect("tempdir");
    let report = ingest_folder(&schema(), input, out.path(), opts, &Progress::hidden()).expect("ingest runs");
    assert!(
        report.balanced(),
        "rows in must equal accepted + quarantined: {report:?}"
    );
    (report, out)
}

/// Asserts the rows accepted and quarantined, showing the whole report when they differ.
pub fn assert_counts(report: &IngestReport, accepted: u64, quarantined: u64) {
    assert_eq!(
        (report.totals.accepted, report.totals.quarantined),
        (accepted, quarantined),
        "{}",
        report.to_text()
    );
}

/// The error a file of the run failed with ("" when it was read).
pub fn file_error(report: &IngestReport, file: &str) -> String {
    report
        .files
        .iter()
        .find(|o| o.file == file)
        .and_then(|o| o.error.clone())
        .unwrap_or_default()
}

pub fn read_parquet(path: &Path) -> DataFrame {
    safetally::parquet_io::read(path).expect("parquet readable")
}

/// The quarantine of one organisation as (line, column, rule, value) tuples.
pub fn quarantine(out: &Path, org: &str) -> Vec<(i64, String, String, String)> {
    let df = read_parquet(&out.join("quarantine").join(format!("{org}.parquet")));
    let s = |n: &str| df.column(n).expect("column").str().expect("str").clone();
    let (col, rule, val) = (s("column"), s("rule"), s("value"));
    let line = df.column("line").expect("line").i64().expect("i64").clone();
    (0..df.height())
        .map(|i| {
            (
                line.get(i).unwrap_or(-1),
                col.get(i).unwrap_or("").to_string(),
                rule.get(i).unwrap_or("").to_string(),
                val.get(i).unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Strings of one column of a Parquet file.
pub fn strings(df: &DataFrame, column: &str) -> Vec<Option<String>> {
    let c = df
        .column(column)
        .expect("column")
        .cast(&DataType::String)
        .expect("cast");
    let ca = c.str().expect("str");
    (0..df.height()).map(|i| ca.get(i).map(str::to_string)).collect()
}

/// A fixed key for tests (synthetic data only), written with owner-only permissions.
pub fn test_key(dir: &Path, seed: &str) -> (safetally::key::LinkageKey, PathBuf) {
    use sha2::Digest;
    use std::os::unix::fs::PermissionsExt;
    let bytes = sha2::Sha256::digest(format!("safetally test key {seed}").as_bytes());
    let path = dir.join(format!("{seed}.key"));
    std::fs::write(&path, format!("{}\n", hex::encode(bytes))).expect("write key");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    (
        safetally::key::LinkageKey::load(&path).expect("test key loads"),
        path,
    )
}

/// Ingest, pseudonymise and link `input` in `work`, with `key`.
pub fn run_to_link(
    input: &Path,
    work: &Path,
    key: &safetally::key::LinkageKey,
) -> safetally::link::LinkReport {
    use safetally::run::*;
    let s = schema();
    let w = safetally::stage::Workdir::new(work).expect("workdir");
    let p = Progress::hidden();
    let ing = ingest_stage(&s, &w, input, &IngestOptions::default(), &p, false).expect("ingest");
    let validated = ing.dir.join(safetally::ingest::VALIDATED_DIR);
    let ps = pseudonymise_stage(&s, &w, &validated, key, &p, false).expect("pseudonymise");
    let spec = safetally::schema::LinkageSpec::load(&s).expect("linkage spec");
    let params = safetally::link::LinkParams::from_spec(&spec);
    link_stage(&s, &w, &ps.dir, &params, &p, false)
        .expect("link")
        .result
}

/// A generated sample of `persons` from `orgs` organisations (`seed`) made in `dir` and linked
/// in `dir/work` with the test key `key`: the work folder.
pub fn generated_and_linked(dir: &Path, (persons, orgs, seed): (u64, usize, u64), key: &str) -> PathBuf {
    let cfg = safetally::sample::SampleConfig {
        persons,
        orgs,
        seed,
        ..Default::default()
    };
    let sample = dir.join("sample");
    safetally::sample::generate(&schema(), &cfg, &sample, &Progress::hidden()).expect("generate");
    let (key, _) = test_key(dir, key);
    let work = dir.join("work");
    run_to_link(&sample.join("submissions"), &work, &key);
    work
}

/// The bundled sample linked, aggregated and protected in exact mode in `work` (its key made
/// there as `name`): the aggregate and protect stages' folders.
pub fn exact_protected(work: &Path, name: &str) -> (PathBuf, PathBuf) {
    use safetally::run::*;
    std::fs::create_dir_all(work).expect("work folder");
    let (key, _) = test_key(work, name);
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data-samples/submissions");
    run_to_link(&input, work, &key);
    let s = schema();
    let w = safetally::stage::Workdir::new(work).expect("workdir");
    let agg = aggregate_stage(&s, &w, &w.stage_dir(safetally::link::STAGE), false).expect("aggregate");
    let prot = protect_stage(
        &s,
        &w,
        &agg.dir,
        &safetally_dp::suppress::Params::default(),
        false,
    )
    .expect("protect");
    (agg.dir, prot.dir)
}

/// The bundled sample through every stage in `work`: exact and DP releases, the journalists'
/// extract, and the report of each release. Returns the two release folders.
pub fn full_pipeline(work: &Path) -> (PathBuf, PathBuf) {
    use safetally::run::*;
    let (agg_dir, prot_dir) = exact_protected(work, "full");
    let s = schema();
    let w = safetally::stage::Workdir::new(work).expect("workdir");
    let exact = publish_stage(&s, &w, &prot_dir, None, false)
        .expect("publish")
        .dir;
    let config = safetally::protect::DpConfig::load_embedded().expect("config");
    let ledger = work.join("ledger");
    let run = DpRun {
        config: config.clone(),
        rho: config.release_rho,
        group_size: config.group_size,
        ledger: ledger.clone(),
    };
    let dp = protect_stage_dp(&s, &w, &agg_dir, &run, false).expect("dp");
    let dp_release = publish_stage(&s, &w, &dp.dir, None, false)
        .expect("publish dp")
        .dir;
    let params = safetally::journalist::ExtractParams {
        rho_crosstab: config.journalist_rho_crosstab,
        rho_synthetic: config.journalist_rho_synthetic,
        seed: 1,
        ledger: Some(ledger),
    };
    journalist_stage(&s, &w, &dp.dir, &params, false).expect("journalist extract");
    for r in [&exact, &dp_release] {
        safetally::report::write_report(&s, r, &safetally::report::default_path(r)).expect("report");
    }
    (exact, dp_release)
}

/// A fresh folder holding a copy of `src` named `name` (a fixture sent as one organisation's file).
pub fn folder_with(src: &Path, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(src, dir.path().join(name)).expect("copy");
    dir
}

/// Writes `rows` into a worksheet from A1, leaving empty cells unwritten as a person would.
pub fn write_sheet(ws: &mut rust_xlsxwriter::Worksheet, rows: &[Vec<String>]) {
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            ws.write_string(r as u32, c as u16, v).expect("cell");
        }
    }
}

/// One table of the embedded specs, optionally with another max_codes.
pub fn one_table(id: &str, max_codes: Option<usize>) -> safetally::tables::Tables {
    let mut raw: serde_json::Value =
        serde_json::from_str(include_str!("../../schemas/tables.json")).expect("json");
    let list = raw["tables"].as_array().expect("tables").clone();
    let mut t = list.into_iter().find(|t| t["id"] == id).expect("table");
    t["links"] = serde_json::json!([]);
    if let Some(m) = max_codes {
        t["max_codes"] = m.into();
    }
    raw["tables"] = serde_json::json!([t]);
    raw["comparison"]["platform"] = serde_json::json!([]);
    raw["journalist"]["rake_to"] = serde_json::json!([]);
    let file: safetally::tables::spec::TablesFile = serde_json::from_value(raw).expect("spec");
    safetally::tables::compile(&schema(), file, &safetally::schema::MemberKind::Sample).expect("compile")
}

/// Persons with a contact kind and one more column, a row each.
pub fn persons(rows: &[(&str, &str)], column: &str) -> safetally::tables::derive::Persons {
    let mut cols = safetally::tables::derive::Columns::default();
    cols.insert(
        "contact_kind".into(),
        rows.iter().map(|r| Some(r.0.to_string())).collect(),
    );
    cols.insert(
        column.into(),
        rows.iter().map(|r| Some(r.1.to_string())).collect(),
    );
    safetally::tables::derive::Persons {
        n: rows.len(),
        cols,
        separator: ';',
    }
}

/// A workbook of sheets of text cells, each table starting in column `first_col` (0 is A).
pub fn workbook_at(path: &Path, sheets: &[(&str, Vec<Vec<String>>)], first_col: u16) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).expect("name");
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32, first_col + c as u16, v).expect("cell");
            }
        }
    }
    wb.save(path).expect("save");
}
