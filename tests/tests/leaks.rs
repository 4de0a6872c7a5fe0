//! Nothing identifying leaves pseudonymisation: every file any later stage writes (the
//! pseudonymised records, the link, the tables, both releases and their reports and workbooks,
//! the journalists' extract and the ledger) is scanned for every name, birth date, personal
//! number and record id of the bundled sample, and for the key.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use safetally_tests::*;

/// What the scan looks for, and the published labels that may contain a needle by chance.
struct Needles {
    words: BTreeSet<String>,
    /// Names as pseudonymise's normalisation would leave them (lower case, letters only, given
    /// and family name run together either way round): a leaked normalised name.
    folded: BTreeSet<String>,
    /// Whole names in another script, or with letters that fold, as pseudonymise
    /// transliterates them (`Марія Панченко` as `mariia panchenko`, run together and in either
    /// order, and its tokens sorted as a match key's message holds them): looked for as the
    /// folded ones, since no raw form of the name shows them. Each part so transliterated
    /// (`panchenko`) is looked for as a whole value among the `words`: inside other text a
    /// part is too often a word (`roman` of Times New Roman, `german` of Germany).
    transliterated: BTreeSet<String>,
    /// Birth years alone: looked for as whole Parquet values of the pseudonymised and linked
    /// records only (other than their report year), as every table prints years and counts.
    years: BTreeSet<String>,
    key_bytes: Vec<u8>,
    /// Each needle that schema labels contain (`Saint Helena` holds the name Helena), with
    /// those labels as printed: taken out of a file's text before it is scanned. Only a leaked
    /// name that is a whole such label goes unseen (a person named Jordan, printed exactly
    /// where the country would be).
    labels: Vec<(String, Vec<String>)>,
}

#[test]
fn no_identifier_and_no_key_reaches_any_output_after_pseudonymisation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    full_pipeline(&work);
    let needles = needles(&work, &work.join("full.key"));
    assert!(
        needles.words.len() > 800,
        "the scan must look for the sample's identifiers: {}",
        needles.words.len()
    );
    let mut scanned = Vec::new();
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&work).expect("work folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        // The organisations' own stage stays with them; the key file is the test's.
        if name == "01-ingest" || name.ends_with(".key") {
            continue;
        }
        found.extend(leaks(&path, &needles, &mut scanned));
    }
    assert!(found.is_empty(), "{found:#?}");
    for stage in [
        "02-pseudonymise",
        "03-link",
        "04-aggregate",
        "05-protect",
        "05-protect-dp",
        "06-release",
        "06-release-dp",
        "07-journalist",
        "ledger",
    ] {
        assert!(
            scanned.iter().any(|p| p.starts_with(work.join(stage))),
            "nothing scanned in {stage}: {scanned:?}"
        );
    }
    for ext in ["parquet", "csv", "xlsx", "html", "json", "md"] {
        assert!(
            scanned.iter().any(|p| p.extension().is_some_and(|e| e == ext)),
            "no .{ext} file scanned"
        );
    }

    // The scan itself can fail: on the organisations' validated files it finds identifiers,
    assert!(leaks(&work.join("01-ingest/validated"), &needles, &mut Vec::new()).len() > 100);
    // and a name written beside a label that holds it is found, as is the key in a workbook.
    let planted = tmp.path().join("planted");
    std::fs::create_dir_all(&planted).expect("mkdir");
    let (name, label) = needles
        .labels
        .first()
        .map(|(n, forms)| (n, forms[forms.len() / 2].as_str()))
        .unwrap_or((needles.words.first().expect("a needle"), "Sverige"));
    std::fs::write(planted.join("t.csv"), format!("country,n\n{label},3\n{name},4\n")).expect("write");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write_string(0, 0, hex::encode(&needles.key_bytes))
        .expect("cell");
    // A short name (as Eva) is found as a cell's whole value, though not in the zip's bytes.
    let short = needles
        .words
        .iter()
        .find(|w| w.len() < 6 && w.chars().all(char::is_alphabetic))
        .expect("a short name");
    sheet.write_string(1, 0, short).expect("cell");
    book.save(planted.join("t.xlsx")).expect("save");
    // A name as normalisation leaves it, and a birth year in a pseudonymised file's column.
    let folded = needles.folded.first().expect("a folded name");
    std::fs::write(planted.join("n.txt"), format!("key {folded}\n")).expect("write");
    // A name of another script in Latin letters, as pseudonymise writes it for its keys.
    let latin = needles
        .transliterated
        .iter()
        .find(|n| n.starts_with("panchenko") || n.ends_with("panchenko"))
        .expect("the sample's Панченко transliterated");
    std::fs::write(planted.join("l.txt"), format!("tokens {latin}\n")).expect("write");
    let year = needles.years.first().expect("a year-only birth date");
    let records = planted.join("02-pseudonymise");
    std::fs::create_dir_all(&records).expect("mkdir");
    let mut df =
        polars::prelude::df!("birth" => [year.as_str()], "report_year" => [year.as_str()]).expect("frame");
    polars::prelude::ParquetWriter::new(std::fs::File::create(records.join("r.parquet")).expect("create"))
        .finish(&mut df)
        .expect("write");
    let hits = leaks(&planted, &needles, &mut Vec::new());
    let csv_hit = format!("t.csv: {name} in");
    assert!(hits.iter().any(|h| h.contains(&csv_hit)), "{hits:?}");
    assert!(hits.iter().any(|h| h.contains("t.xlsx")), "{hits:?}");
    let short_hit = format!("t.xlsx: {short}");
    assert!(hits.iter().any(|h| h.contains(&short_hit)), "{hits:?}");
    assert!(
        hits.iter()
            .any(|h| h.contains("n.txt: ") && h.contains("(a name folded)")),
        "{hits:?}"
    );
    assert!(
        hits.iter()
            .any(|h| h.contains("l.txt: ") && h.contains("(a name transliterated)")),
        "{hits:?}"
    );
    let year_hits: Vec<_> = hits.iter().filter(|h| h.contains("birth year")).collect();
    assert!(
        year_hits.len() == 1 && year_hits[0].contains("column birth"),
        "{hits:?}"
    );
}

/// Every identifier as the organisations hold them (validated, normalised forms included),
/// the key, and the labels that contain an identifier.
fn needles(work: &Path, key_path: &Path) -> Needles {
    let mut words: BTreeSet<String> = BTreeSet::new();
    let (mut folded, mut years) = (BTreeSet::new(), BTreeSet::new());
    let mut transliterated = BTreeSet::new();
    for f in std::fs::read_dir(work.join("01-ingest/validated")).expect("dir") {
        let df = read_parquet(&f.expect("entry").path());
        let names = |col| strings(&df, col).into_iter().map(Option::unwrap_or_default);
        for (given, family) in names("given_name").zip(names("family_name")) {
            let fold = |s: &str| -> String {
                s.chars()
                    .filter(|c| c.is_alphabetic())
                    .flat_map(char::to_lowercase)
                    .collect()
            };
            for both in [format!("{given}{family}"), format!("{family}{given}")] {
                let both = fold(&both);
                if both.chars().count() >= 6 {
                    folded.insert(both);
                }
            }
            // Pseudonymise's own forms, where they are not the name's letters in lower case.
            let tokens = |s: &str| safetally::pseudonymise::normalise::tokens(s);
            let (g, f) = (tokens(&given), tokens(&family));
            let mut sorted: Vec<String> = g.iter().chain(&f).cloned().collect();
            sorted.sort();
            let forms = [
                [g.clone(), f.clone()].concat(),
                [f.clone(), g.clone()].concat(),
                sorted,
            ];
            for form in forms {
                let (run, spaced) = (form.concat(), form.join(" "));
                if run.chars().count() >= 6
                    && run != fold(&format!("{given}{family}"))
                    && run != fold(&format!("{family}{given}"))
                {
                    transliterated.extend([run, spaced]);
                }
            }
            for part in [&given, &family].into_iter().flat_map(|n| n.split([' ', '-'])) {
                let form = tokens(part).concat();
                if form.chars().count() >= 5 && form != fold(part) {
                    words.insert(form);
                }
            }
            // Each part of a name too: "Rosario" of "Rosario Lorna"; of five letters or more, as
            // shorter parts are words of the reports' prose ("Alla" of "Abd Alla").
            for part in [&given, &family].into_iter().flat_map(|n| n.split([' ', '-'])) {
                if part.chars().count() >= 5 {
                    words.insert(part.to_string());
                }
            }
        }
        for col in [
            "given_name",
            "family_name",
            "birth_date",
            "personal_number",
            "record_id",
        ] {
            for v in strings(&df, col).into_iter().flatten() {
                let long_enough = if col == "record_id" {
                    v.len() >= 6
                } else {
                    v.chars().count() >= 3
                };
                if col == "birth_date" && v.bytes().all(|b| b.is_ascii_digit()) {
                    years.insert(v);
                } else if long_enough {
                    if col == "personal_number" {
                        words.insert(v[2..].to_string());
                    }
                    words.insert(v);
                }
            }
        }
    }
    let key_hex = std::fs::read_to_string(key_path).expect("key").trim().to_string();
    let key_bytes = hex::decode(&key_hex).expect("hex");
    words.insert(key_hex);
    let strings = schema_strings();
    let labels = words
        .iter()
        .filter_map(|n| {
            let mut forms: Vec<String> = strings
                .iter()
                .filter(|l| l.contains(n.as_str()))
                .flat_map(|l| as_printed(l, n))
                .collect();
            // The longest first, so that a label inside another is not taken out of it first.
            forms.sort_by_key(|l| std::cmp::Reverse(l.len()));
            (!forms.is_empty()).then(|| (n.clone(), forms))
        })
        .collect();
    Needles {
        words,
        folded,
        transliterated,
        years,
        key_bytes,
        labels,
    }
}

/// A label as the outputs may print it: whole, cut short with an ellipsis (a chart's bars)
/// after any of its needles, and with its XML escapes (a workbook's cells).
fn as_printed(label: &str, needle: &str) -> Vec<String> {
    let mut out = vec![label.to_string()];
    let chars: Vec<char> = label.chars().collect();
    let end = label[..label.find(needle).expect("contains") + needle.len()]
        .chars()
        .count();
    out.extend((end..chars.len()).map(|k| format!("{}…", chars[..k].iter().collect::<String>())));
    let escaped: Vec<String> = out
        .iter()
        .map(|l| l.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"))
        .filter(|e| !out.contains(e))
        .collect();
    out.extend(escaped);
    out
}

/// Every string of the schemas: the JSON files' values and the CSV files' fields.
fn schema_strings() -> BTreeSet<String> {
    fn walk(v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::String(s) => {
                out.insert(s.clone());
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("schemas") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("schema file");
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => walk(&serde_json::from_str(&text).expect("json"), &mut out),
            Some("csv") => {
                for record in csv::Reader::from_reader(text.as_bytes()).records() {
                    out.extend(record.expect("csv record").iter().map(str::to_string));
                }
            }
            _ => {}
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Hits of needles in the files under `path` (a file or a folder), as "file: needle".
fn leaks(path: &Path, needles: &Needles, scanned: &mut Vec<std::path::PathBuf>) -> Vec<String> {
    let files = if path.is_dir() {
        safetally::stage::list_files(path).expect("list")
    } else {
        vec![path.to_path_buf()]
    };
    let mut found = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).expect("read");
        let shown = path.display();
        let k = &needles.key_bytes;
        if bytes.windows(k.len()).any(|w| w == k.as_slice()) {
            found.push(format!("{shown}: raw key bytes"));
        }
        let parquet = path.extension().is_some_and(|e| e == "parquet");
        let (raw, columns) = texts(&path, &bytes);
        let raw = unlabelled(&raw, &needles.labels);
        let mut values: Vec<String> = columns
            .iter()
            .flat_map(|(_, vs)| vs.iter().map(|v| unlabelled(v, &needles.labels)))
            .collect();
        let decoded = values.join("\n");
        // Every word of a value, of a report, a CSV or a workbook's XML is a value too.
        let words = |t: &str| {
            t.split(|c: char| !c.is_alphanumeric() && c != '-')
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let split: Vec<String> = values.iter().flat_map(|v| words(v)).collect();
        values.extend(split);
        if !parquet {
            values.extend(words(&raw));
        }
        let whole: std::collections::HashSet<&str> = values.iter().map(String::as_str).collect();
        let lower = format!("{}\n{}", raw.to_lowercase(), decoded.to_lowercase());
        for n in needles.folded.iter().filter(|n| lower.contains(n.as_str())) {
            found.push(format!("{shown}: {n} (a name folded){}", context(&lower, n)));
        }
        for n in needles
            .transliterated
            .iter()
            .filter(|n| lower.contains(n.as_str()))
        {
            found.push(format!(
                "{shown}: {n} (a name transliterated){}",
                context(&lower, n)
            ));
        }
        // A birth year as a whole value of a pseudonymised or linked record.
        let records = ["02-pseudonymise", "03-link"]
            .iter()
            .any(|stage| path.components().any(|c| c.as_os_str() == *stage));
        for (column, vs) in columns.iter().filter(|(c, _)| records && c != "report_year") {
            if let Some(y) = vs.iter().find(|v| needles.years.contains(v.as_str())) {
                found.push(format!("{shown}: birth year {y} in column {column}"));
            }
        }
        for n in &needles.words {
            // Compressed pages keep pieces of a label that holds a needle (`Annat` holds
            // Anna): there, such needles are looked for in the decoded values alone.
            let in_raw = !(parquet && needles.labels.iter().any(|(l, _)| l == n));
            // Short needles (Eva, Lind) would occur by chance inside hashes: for them, no
            // value or word of one may equal them; longer ones may not occur anywhere.
            let hit = if n.len() >= 6 {
                (in_raw && raw.contains(n.as_str())) || decoded.contains(n.as_str())
            } else {
                whole.contains(n.as_str())
            };
            if hit {
                let shown_in = if decoded.contains(n.as_str()) {
                    &decoded
                } else {
                    &raw
                };
                found.push(format!("{shown}: {n}{}", context(shown_in, n)));
            }
        }
        scanned.push(path);
    }
    found
}

/// A file's text as bytes, with its workbook parts unzipped, and the values of its Parquet
/// columns by column (compressed pages hide text from a byte scan).
fn texts(path: &Path, bytes: &[u8]) -> (String, Vec<(String, Vec<String>)>) {
    let mut raw = String::from_utf8_lossy(bytes).into_owned();
    let mut values = Vec::new();
    match path.extension().and_then(|e| e.to_str()) {
        Some("parquet") => {
            let df = read_parquet(path);
            for c in df.columns() {
                // Bloom filters are bits, not text; their bytes were scanned as they are.
                if c.dtype() != &polars::prelude::DataType::Binary {
                    let vs = strings(&df, c.name()).into_iter().flatten().collect();
                    values.push((c.name().to_string(), vs));
                }
            }
        }
        Some("xlsx") => {
            // The container's own bytes are compressed noise in which a short name (Eva) turns
            // up between stray bytes by chance: a workbook's text is its parts' names and
            // their unzipped contents alone (its raw bytes were scanned for the key already).
            raw.clear();
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("workbook");
            for i in 0..zip.len() {
                let mut part = zip.by_index(i).expect("workbook part");
                let mut text = Vec::new();
                part.read_to_end(&mut text).expect("read part");
                raw.push('\n');
                raw.push_str(&part.name().expect("part name"));
                raw.push('\n');
                raw.push_str(&String::from_utf8_lossy(&text));
            }
        }
        _ => {}
    }
    (raw, values)
}

/// `text` with every label that holds a needle replaced by a space.
fn unlabelled(text: &str, labels: &[(String, Vec<String>)]) -> String {
    let mut out = text.to_string();
    for (needle, forms) in labels {
        for l in forms {
            if !out.contains(needle.as_str()) {
                break;
            }
            if out.contains(l.as_str()) {
                out = out.replace(l.as_str(), " ");
            }
        }
    }
    out
}

/// Where `needle` stands in `text`, to show with a hit: a few characters either side.
fn context(text: &str, needle: &str) -> String {
    let Some(at) = text.find(needle) else {
        return String::new();
    };
    let from = text.floor_char_boundary(at.saturating_sub(30));
    let to = text.ceil_char_boundary((at + needle.len() + 30).min(text.len()));
    format!(" in {:?}", &text[from..to])
}
