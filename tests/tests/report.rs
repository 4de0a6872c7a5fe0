//! The HTML report opens in headless Chromium without console errors, and every table's
//! figures in the rendered page equal the release's CSV.

use std::path::Path;
use std::process::Command;

use safetally_tests::*;

/// Debian's Chromium: installed here when missing and the tests run as root (as in CI).
fn chromium() -> &'static str {
    const BIN: &str = "/usr/bin/chromium";
    if !Path::new(BIN).exists() {
        let ok = Command::new("sh")
            .args(["-c", "apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok && Path::new(BIN).exists(),
            "the report test needs Debian's chromium: apt-get install chromium"
        );
    }
    BIN
}

/// The persons column of each `<table id="data-ID">` in the rendered DOM, row by row.
fn rendered_counts(dom: &str, id: &str) -> Vec<String> {
    let start = dom
        .find(&format!("<table id=\"data-{id}\">"))
        .unwrap_or_else(|| panic!("no table {id} in the page"));
    let end = start + dom[start..].find("</table>").expect("table end");
    let table = &dom[start..end];
    let mut out = Vec::new();
    let mut rest = table;
    while let Some(i) = rest.find("data-col=\"persons\"") {
        let cell = &rest[i..];
        let open = cell.find('>').expect(">") + 1;
        let close = cell.find("</td>").expect("</td>");
        out.push(cell[open..close].to_string());
        rest = &cell[close..];
    }
    out
}

#[test]
fn the_report_renders_without_console_errors_and_shows_exactly_the_released_figures() {
    let work = tempfile::tempdir().expect("tempdir");
    let (exact, dp) = full_pipeline(work.path());
    let chrome = chromium();
    for release in [exact, dp] {
        let page = safetally::report::default_path(&release);
        let html = std::fs::read_to_string(&page).expect("page");
        for fetch in ["src=\"http", "href=\"http", "url(http", "@import"] {
            assert!(!html.contains(fetch), "the page fetches nothing, yet has {fetch}");
        }
        assert!(
            html.contains("<svg") && html.contains("aria-label"),
            "charts with a text alternative"
        );
        // Short tables show their figures; T02's 250 countries start folded, saying how many.
        let details = |id: &str| {
            let at = html.find(&format!("<section id=\"{id}\">")).expect("section");
            let d = html[at..].find("<details").expect("details") + at;
            html[d..].chars().take(200).collect::<String>()
        };
        assert!(details("T01").starts_with("<details open>"), "{}", details("T01"));
        assert!(
            details("T02").starts_with("<details><summary>") && details("T02").contains("rows)"),
            "{}",
            details("T02")
        );
        let out = Command::new(chrome)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--enable-logging=stderr",
                "--v=0",
                "--dump-dom",
            ])
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs");
        assert!(
            out.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        let log = String::from_utf8_lossy(&out.stderr);
        let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
        assert!(console.is_empty(), "console messages: {console:?}");
        assert!(!log.contains("Uncaught"), "{log}");
        let tables = std::fs::read_dir(release.join("tables")).expect("tables");
        let mut checked = 0;
        for f in tables.flatten().map(|e| e.path()) {
            if f.extension().and_then(|e| e.to_str()) != Some("csv") || f.to_string_lossy().contains("T22") {
                continue;
            }
            let id = f.file_stem().expect("stem").to_string_lossy().into_owned();
            let mut r = csv::Reader::from_path(&f).expect("csv");
            let col = r
                .headers()
                .expect("header")
                .iter()
                .position(|h| h == "persons")
                .expect("persons");
            let want: Vec<String> = r.records().map(|x| x.expect("row")[col].to_string()).collect();
            assert_eq!(rendered_counts(&dom, &id), want, "{id} in {}", page.display());
            checked += 1;
        }
        assert_eq!(checked, 22, "every table is in the page");
        assert!(
            dom.contains("data-T22"),
            "the comparison with official statistics is in the page"
        );
    }
}

/// `report --out` into a folder that does not exist said only "No such file or directory",
/// twice.
#[test]
fn a_report_into_a_missing_folder_says_to_create_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("missing/report.html");
    let e = safetally::report::write_report(&safetally_tests::schema(), dir.path(), &out)
        .expect_err("no folder to write into");
    let msg = e.to_string();
    assert!(
        msg.contains("does not exist") && msg.contains("mkdir -p"),
        "{msg}"
    );
}

/// A release edited after publication (a table cut short, a count changed by hand) is not
/// drawn as the release's figures: an outside review rendered a total its parts did not make.
#[test]
fn a_release_edited_since_publication_is_refused_naming_the_file() {
    use safetally::stage::Workdir;
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = schema();
    let work = tmp.path().join("w");
    let (_, prot) = exact_protected(&work, "edited");
    let w = Workdir::new(&work).expect("workdir");
    let rel = safetally::run::publish_stage(&s, &w, &prot, None, false)
        .expect("publish")
        .dir;
    let out = tmp.path().join("report.html");
    safetally::report::write_report(&s, &rel, &out).expect("as published");
    let t07 = rel.join("tables/T07.csv");
    let text = std::fs::read_to_string(&t07).expect("T07");
    std::fs::write(&t07, text.lines().take(2).collect::<Vec<_>>().join("\n")).expect("cut");
    let e = safetally::report::write_report(&s, &rel, &out)
        .expect_err("an edited release")
        .to_string();
    assert!(
        e.contains("1 file(s) are not as this release published them (tables/T07.csv)"),
        "{e}"
    );
}
