//! The report page: a header with the release and its protection, then every table with its
//! method statement, chart and figures, the comparison with official statistics, in Swedish
//! and English (a switch shows one language; both are in the page).

use std::fmt::Write as _;

use super::CsvTable;
use super::chart::{Bar, bars};
use crate::publish::{MARK, ReleaseManifest};
use crate::tables::Tables;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#111}\
body.sv .en,body.en .sv{display:none}h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #999}\
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}\
td.v{text-align:right}figure{margin:1em 0}button{font-size:1em}.note{color:#444}";

const SCRIPT: &str = "document.getElementById('lang').addEventListener('click',function(){\
var b=document.body;var sv=b.classList.contains('sv');b.classList.toggle('sv',!sv);b.classList.toggle('en',sv);\
document.documentElement.lang=sv?'en':'sv';});";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn both(sv: &str, en: &str) -> String {
    format!(
        "<span class=\"sv\" lang=\"sv\">{}</span><span class=\"en\" lang=\"en\">{}</span>",
        esc(sv),
        esc(en)
    )
}

pub fn page(m: &ReleaseManifest, tables: &Tables, csvs: &[CsvTable], comparison: &CsvTable) -> String {
    let year = m.report_year.map_or("?".into(), |y| y.to_string());
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html><html lang=\"sv\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>safetally {year}</title><style>{STYLE}</style></head><body class=\"sv\">\
<button id=\"lang\" type=\"button\">English / Svenska</button><h1>{}</h1>",
        both(
            &format!("Statistik {year}: personer som mötts av Plattformens medlemmar"),
            &format!("Statistics {year}: persons met by the platform's members")
        )
    );
    let _ = write!(s, "<p class=\"note\">{}</p>", both(&about_sv(m), &about_en(m)));
    for t in csvs {
        let spec = tables.get(&t.id);
        let (tsv, ten) = spec.map_or((t.id.clone(), t.id.clone()), |x| {
            (x.spec.title.sv.clone(), x.spec.title.en.clone())
        });
        let (psv, pen) = spec.map_or((String::new(), String::new()), |x| {
            (x.spec.population.sv.clone(), x.spec.population.en.clone())
        });
        let _ = write!(
            s,
            "<section id=\"{0}\"><h2>{0} {1}</h2><p>{2}</p>",
            esc(&t.id),
            both(&tsv, &ten),
            both(&psv, &pen)
        );
        let _ = write!(s, "<p class=\"note\">{}</p>", method(m, t));
        let _ = write!(
            s,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            chart(m, t, [&tsv, &ten]),
            both(&caption_sv(m), &caption_en(m))
        );
        // Long tables (T02's 252 countries, T21b's 470 pairs) start folded, with their row
        // count in the summary: open, they made the page some 1 400 rows long.
        let (open, rows) = if t.rows.len() <= OPEN_ROWS {
            (" open", String::new())
        } else {
            let n = t.rows.len();
            ("", both(&format!(" ({n} rader)"), &format!(" ({n} rows)")))
        };
        let _ = write!(
            s,
            "<details{open}><summary>{}{rows}</summary>{}</details></section>",
            both("Siffror", "Figures"),
            data_table(t)
        );
    }
    let side = comparison.header.iter().position(|h| h == "side");
    let official = side.is_some_and(|c| {
        comparison
            .rows
            .iter()
            .any(|r| r.get(c).is_some_and(|v| v == "official"))
    });
    let note = if official {
        both(
            "Plattformen räknar personer, Brå räknar brott: enheten står på varje rad, och talen räknas aldrig om till varandra.",
            "The platform counts persons, Brå counts offences: each row states its unit, and the two are never converted into each other.",
        )
    } else {
        both(
            "Inga officiella siffror för detta rapportår finns i verktyget (schemas/official.csv): tabellen visar bara plattformens.",
            "No official figures for this report year are in the tool (schemas/official.csv): the table shows the platform's only.",
        )
    };
    let _ = write!(
        s,
        "<section id=\"T22\"><h2>T22 {}</h2><p>{note}</p>{}</section>",
        both(
            "Jämförelse med officiell statistik",
            "Comparison with official statistics"
        ),
        data_table(comparison)
    );
    let _ = write!(s, "<script>{SCRIPT}</script></body></html>");
    s
}

fn about_sv(m: &ReleaseManifest) -> String {
    match &m.dp {
        Some(d) => format!(
            "Utgåva {} (differentiell integritet). Varje tal har brus; strecken visar 95 %-intervall. Budget: rho {:.3} (epsilon {:.2} vid delta {:e}); årets tak rho {:.3}, varav {:.3} var förbrukat när utgåvan publicerades (`safetally budget` visar läget nu).",
            m.release_id, d.rho, d.epsilon, d.delta, d.year_rho_cap, d.year_rho_spent
        ),
        None => format!(
            "Utgåva {} (exakta tal med skydd av små tal). `..` betyder dolt: färre än {} personer, eller dolt för att skydda en sådan cell.",
            m.release_id,
            m.parameters["threshold"].as_u64().unwrap_or(5)
        ),
    }
}

fn about_en(m: &ReleaseManifest) -> String {
    match &m.dp {
        Some(d) => format!(
            "Release {} (differential privacy). Every number is noised; the whiskers show 95% intervals. Budget: rho {:.3} (epsilon {:.2} at delta {:e}); the year's cap is rho {:.3}, of which {:.3} was spent when the release was published (`safetally budget` shows it now).",
            m.release_id, d.rho, d.epsilon, d.delta, d.year_rho_cap, d.year_rho_spent
        ),
        None => format!(
            "Release {} (exact counts with small-count protection). `..` means hidden: fewer than {} persons, or hidden to protect such a cell.",
            m.release_id,
            m.parameters["threshold"].as_u64().unwrap_or(5)
        ),
    }
}

fn caption_sv(m: &ReleaseManifest) -> String {
    let base = "Varje stapel har sitt värde utskrivet; en streckad stump med .. är en dold cell. Kategorier med 0 finns bara i tabellen.";
    if m.dp.is_some() {
        format!("{base} Strecket visar 95 %-intervallet.")
    } else {
        base.into()
    }
}

fn caption_en(m: &ReleaseManifest) -> String {
    let base = "Every bar carries its value; a hatched stub with .. is a hidden cell. Categories with 0 are only in the table.";
    if m.dp.is_some() {
        format!("{base} The whisker shows the 95% interval.")
    } else {
        base.into()
    }
}

/// The farthest a published interval reaches from its figure in a table, either side.
fn widest_half_width(t: &CsvTable) -> Option<u64> {
    let (v, lo, hi) = (
        col(t, "persons")?,
        col(t, "interval95_low")?,
        col(t, "interval95_high")?,
    );
    let n = |r: &[String], c: usize| r[c].parse::<u64>().ok();
    t.rows
        .iter()
        .filter_map(|r| Some((n(r, v)?, n(r, lo)?, n(r, hi)?)))
        .map(|(v, lo, hi)| v.saturating_sub(lo).max(hi.saturating_sub(v)))
        .max()
}

fn col(t: &CsvTable, name: &str) -> Option<usize> {
    t.header.iter().position(|h| h == name)
}

/// The table's code columns: those with `_sv` and `_en` label columns beside them.
fn dims(t: &CsvTable) -> Vec<usize> {
    (0..t.header.len())
        .filter(|&i| col(t, &format!("{}_sv", t.header[i])).is_some())
        .collect()
}

fn method(m: &ReleaseManifest, t: &CsvTable) -> String {
    let status = col(t, "status");
    let count = |s: &str| status.map_or(0, |c| t.rows.iter().filter(|r| r[c] == s).count());
    match &m.dp {
        Some(d) => {
            let scale = d.tables.iter().find(|p| p.id == t.id).map_or(0.0, |p| p.scale);
            // Said only where some interval is wider than the least (rounding aside).
            let widest = widest_half_width(t).filter(|&w| w as f64 > (1.96 * scale).ceil());
            let below = m.parameters["suppress_below"].as_u64().unwrap_or(5);
            // The published intervals, not the noise's alone: "95 % inom ±9.4" for T17 beside
            // its `yes` published as 382 (372 to 413) told a reader less than the table did, an
            // outside review found.
            let hidden = count("suppressed");
            let (hidden_sv, hidden_en, are) = if hidden == 1 {
                ("1 inre cell".to_string(), "1 inner cell".to_string(), "is")
            } else {
                (
                    format!("{hidden} inre celler"),
                    format!("{hidden} inner cells"),
                    "are",
                )
            };
            both(
                &format!(
                    "Brus med skala {scale:.1} personer per cell. Varje tals 95 %-intervall (kolumnerna interval95_low/high) är minst ±{:.1}; där efterbearbetningen har flyttat talet är det bredare{}. {hidden_sv} med brusat värde under {below} visas som .. (summor visas alltid); summorna skattas ur alla tabellers brusade värden och cellerna jämkas till dem, så att varje tabell går ihop.",
                    1.96 * scale,
                    widest.map_or(String::new(), |w| format!(
                        " (i denna tabell upp till {w} personer från talet)"
                    )),
                ),
                &format!(
                    "Noise of scale {scale:.1} persons per cell. Each figure's 95% interval (columns interval95_low/high) is at least ±{:.1}; where post-processing moved the figure it is wider{}. {hidden_en} with a noisy value below {below} {are} shown as .. (totals always shown); totals are estimated from every table's noisy values and the cells adjusted to them, so that each table adds up.",
                    1.96 * scale,
                    widest.map_or(String::new(), |w| format!(
                        " (in this table up to {w} persons from the figure)"
                    )),
                ),
            )
        }
        None if count("suppressed") == 0 => both(
            &format!("Inga av {} celler är dolda.", t.rows.len()),
            &format!("None of {} cells is hidden.", t.rows.len()),
        ),
        None => both(
            &format!(
                "{} av {} celler {}: de gäller färre än {} personer, eller skulle låta ett sådant tal räknas fram; granskningen godkände att en läsare som känner regeln inte kan ringa in något dolt litet tal till färre än {} av de möjliga små värdena.",
                count("suppressed"),
                t.rows.len(),
                if count("suppressed") == 1 {
                    "är dold"
                } else {
                    "är dolda"
                },
                m.parameters["threshold"].as_u64().unwrap_or(5),
                m.parameters["protection"].as_u64().unwrap_or(5)
            ),
            &format!(
                "{} of {} cells {}: they concern fewer than {} persons, or would let such a count be worked out; the audit confirmed that a reader who knows the rule cannot narrow any hidden small count to fewer than {} of the possible small values.",
                count("suppressed"),
                t.rows.len(),
                if count("suppressed") == 1 {
                    "is hidden"
                } else {
                    "are hidden"
                },
                m.parameters["threshold"].as_u64().unwrap_or(5),
                m.parameters["protection"].as_u64().unwrap_or(5)
            ),
        ),
    }
}

const MAX_BARS: usize = 40;

fn chart(m: &ReleaseManifest, t: &CsvTable, title: [&str; 2]) -> String {
    let (Some(pc), dims) = (col(t, "persons"), dims(t)) else {
        return String::new();
    };
    let (lo, hi) = if m.dp.is_some() {
        (col(t, "interval95_low"), col(t, "interval95_high"))
    } else {
        (None, None)
    };
    let mut bs: Vec<Bar> = t
        .rows
        .iter()
        .filter(|r| dims.iter().all(|&d| !r[d].starts_with('_')))
        .filter(|r| r[pc] != "0")
        .map(|r| {
            let label = ["sv", "en"].map(|lang| {
                dims.iter()
                    .map(|&d| {
                        let named = col(t, &format!("{}_{lang}", t.header[d])).unwrap_or(d);
                        bar_label(&r[d], &r[named])
                    })
                    .collect()
            });
            let value = (r[pc] != MARK).then(|| r[pc].parse::<f64>().unwrap_or(0.0));
            let interval = match (lo, hi) {
                (Some(a), Some(b)) => r[a].parse().ok().zip(r[b].parse().ok()),
                _ => None,
            };
            Bar {
                label,
                value,
                interval,
            }
        })
        .collect();
    bs.sort_by(|a, b| b.value.unwrap_or(0.0).total_cmp(&a.value.unwrap_or(0.0)));
    bs.truncate(MAX_BARS);
    if bs.is_empty() {
        return String::new();
    }
    bars(
        &t.id,
        [
            &format!("{} {}", t.id, title[0]),
            &format!("{} {}", t.id, title[1]),
        ],
        &bs,
    )
}

/// An organisation pair's label is two long names, and the chart cuts a label to one: four
/// bars in a row read "Föreningen Hamnen (fiktiv, syntetiska dat…". A pair is shown by its two
/// codes instead, which the figures table below names.
fn bar_label(code: &str, label: &str) -> String {
    match code.split_once('|') {
        Some((a, b)) if a == b => format!("{a} (alla / all)"),
        Some((a, b)) => format!("{a} + {b}"),
        None => label.to_string(),
    }
}

/// Tables of at most this many rows show their figures open.
const OPEN_ROWS: usize = 40;

fn data_table(t: &CsvTable) -> String {
    let mut s = format!("<table id=\"data-{}\"><thead><tr>", esc(&t.id));
    for h in &t.header {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        s.push_str("<tr>");
        for (h, v) in t.header.iter().zip(r) {
            let class = if h == "persons" || h == "value" {
                " class=\"v\""
            } else {
                ""
            };
            let _ = write!(s, "<td data-col=\"{}\"{class}>{}</td>", esc(h), esc(v));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_pairs_are_told_apart_in_the_chart() {
        let m: ReleaseManifest = serde_json::from_value(serde_json::json!({
            "release_id": "r", "mode": "exact", "report_year": 2024, "schema_version": "1",
            "software_version": "1", "parameters": {}, "inputs": [], "audit_passed": true,
            "tables": ["T21b"], "files": []
        }))
        .expect("manifest");
        let name = |o: &str| format!("Föreningen Hamnen (fiktiv, syntetiska data) {o}");
        let row = |a: &str, b: &str, n: &str| {
            vec![
                format!("{a}|{b}"),
                format!("{} och {}", name(a), name(b)),
                format!("{} and {}", name(a), name(b)),
                n.to_string(),
            ]
        };
        let t = CsvTable {
            id: "T21b".into(),
            header: [
                "organisation_pair",
                "organisation_pair_sv",
                "organisation_pair_en",
                "persons",
            ]
            .map(String::from)
            .to_vec(),
            rows: vec![
                row("SAMPLE01", "SAMPLE01", "57"),
                row("SAMPLE01", "SAMPLE02", "53"),
                row("SAMPLE01", "SAMPLE03", "51"),
            ],
        };
        let svg = chart(&m, &t, ["par", "pairs"]);
        for label in [
            "SAMPLE01 (alla / all)",
            "SAMPLE01 + SAMPLE02",
            "SAMPLE01 + SAMPLE03",
        ] {
            assert!(svg.contains(label), "{label} missing from {svg}");
        }
    }

    /// A DP table's note gives the published intervals' least half-width as a least, and how far
    /// they reach in the table: "95 % inom ±9.4" stood beside T17's 382 published as 372 to 413.
    #[test]
    fn a_dp_tables_note_says_its_intervals_can_be_wider_than_the_noise() {
        let m: ReleaseManifest = serde_json::from_value(serde_json::json!({
            "release_id": "r", "mode": "dp", "report_year": 2024, "schema_version": "1",
            "software_version": "1", "parameters": {"suppress_below": 5}, "inputs": [],
            "audit_passed": true, "tables": ["T17"], "files": [],
            "dp": {"rho": 0.5, "epsilon": 5.76, "delta": 1e-6, "group_size": 2, "group_rho": 2.0,
                "group_epsilon": 13.0, "year_rho_cap": 1.0, "year_rho_spent": 0.5,
                "ledger_entry": "e",
                "tables": [{"id": "T17", "weight": 1.0, "rho": 0.02, "sensitivity": 1.0,
                    "scale": 4.8, "half_width_95": 9.4}]}
        }))
        .expect("manifest");
        let t = CsvTable {
            id: "T17".into(),
            header: [
                "police_report",
                "police_report_sv",
                "police_report_en",
                "persons",
                "status",
                "noise_scale",
                "interval95_low",
                "interval95_high",
            ]
            .map(String::from)
            .to_vec(),
            rows: vec![
                ["yes", "Ja", "Yes", "382", "published", "4.80", "372", "413"]
                    .map(String::from)
                    .to_vec(),
                ["no", "Nej", "No", "500", "published", "4.80", "491", "510"]
                    .map(String::from)
                    .to_vec(),
            ],
        };
        let text = method(&m, &t);
        assert!(!text.contains("within ±") && !text.contains("inom ±"), "{text}");
        assert!(
            text.contains("at least ±9.4") && text.contains("minst ±9.4"),
            "{text}"
        );
        assert!(
            text.contains("up to 31 persons") && text.contains("upp till 31 personer"),
            "{text}"
        );
    }
}
