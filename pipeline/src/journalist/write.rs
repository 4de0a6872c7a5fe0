//! The extract's files: cross-tabulation and synthetic persons as CSV (codes with Swedish and
//! English labels) and Parquet, the codebook and the accuracy report.

use std::fmt::Write as _;
use std::path::Path;

use super::ExtractReport;
use crate::error::StageError;
use crate::parquet_io::{Kind, ParquetSink, Value};
use crate::protect::measured_cells;
use crate::schema::Schema;
use crate::tables::{Table, Tables};

const VS_RHO: &str = include_str!("../../../data-samples/journalist-accuracy-vs-rho.md");

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> StageError + '_ {
    move |e| StageError::csv(path, e)
}

pub fn crosstab(
    t: &Table,
    counts: &[u64],
    _scale: f64,
    csv_path: &Path,
    pq: &Path,
) -> Result<Written, StageError> {
    let mut header: Vec<String> = Vec::new();
    for d in &t.dims {
        header.extend([d.name.clone(), format!("{}_sv", d.name), format!("{}_en", d.name)]);
    }
    header.push("persons".into());
    let mut w = csv::Writer::from_path(csv_path).map_err(csv_err(csv_path))?;
    w.write_record(&header).map_err(csv_err(csv_path))?;
    let cols: Vec<(&str, Kind)> = header
        .iter()
        .map(|h| (h.as_str(), if h == "persons" { Kind::Int } else { Kind::Str }))
        .collect();
    let mut sink = ParquetSink::create(pq, &cols)?;
    let mut rows = Vec::with_capacity(counts.len());
    for (&c, &n) in measured_cells(t).iter().zip(counts) {
        let mut row: Vec<String> = Vec::new();
        for (d, code) in t.codes(c).into_iter().enumerate() {
            let (sv, en) = t.label(d, &code);
            row.extend([code, sv, en]);
        }
        let mut values: Vec<Value> = row.iter().map(|s| Value::Str(Some(s.clone()))).collect();
        values.push(Value::Int(Some(n as i64)));
        row.push(n.to_string());
        w.write_record(&row).map_err(csv_err(csv_path))?;
        sink.push(values)?;
        rows.push(row);
    }
    w.flush().map_err(|e| StageError::io(csv_path, e))?;
    sink.finish()?;
    Ok(Written { header, rows })
}

/// A file's header and rows as written to its CSV, for the workbook.
pub struct Written {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One row per synthetic person: each column's code with its Swedish and English labels, as
/// in the cross-tabulation (labels were missing here, an outside review found).
pub fn synthetic(t: &Table, recs: &[Vec<usize>], csv_path: &Path, pq: &Path) -> Result<Written, StageError> {
    let mut header = vec!["synthetic_person".to_string()];
    for d in &t.dims {
        header.extend([d.name.clone(), format!("{}_sv", d.name), format!("{}_en", d.name)]);
    }
    let mut w = csv::Writer::from_path(csv_path).map_err(csv_err(csv_path))?;
    w.write_record(&header).map_err(csv_err(csv_path))?;
    let mut cols: Vec<(&str, Kind)> = vec![("synthetic_person", Kind::Int)];
    cols.extend(header[1..].iter().map(|h| (h.as_str(), Kind::Str)));
    let mut sink = ParquetSink::create(pq, &cols)?;
    let mut rows = Vec::with_capacity(recs.len());
    for (i, r) in recs.iter().enumerate() {
        let codes: Vec<String> = r
            .iter()
            .enumerate()
            .flat_map(|(d, &p)| {
                let c = &t.dims[d].domain[p];
                [c.code.clone(), c.sv.clone(), c.en.clone()]
            })
            .collect();
        let mut row = vec![(i + 1).to_string()];
        row.extend(codes.iter().cloned());
        w.write_record(&row).map_err(csv_err(csv_path))?;
        let mut values = vec![Value::Int(Some(i as i64 + 1))];
        values.extend(codes.into_iter().map(|c| Value::Str(Some(c))));
        sink.push(values)?;
        rows.push(row);
    }
    w.flush().map_err(|e| StageError::io(csv_path, e))?;
    sink.finish()?;
    Ok(Written { header, rows })
}

/// Writes the codebook and returns its text (the workbook shows it too).
pub fn codebook(
    schema: &Schema,
    tables: &Tables,
    r: &ExtractReport,
    path: &Path,
) -> Result<String, StageError> {
    let t = &tables.journalist;
    // Which of its sums meet the report tables (its margins fitted to them) and which are its
    // own: the codebook said none met them, while the sums by gender, age group and form equal
    // T06, T05 and T04 exactly, an outside review found.
    let fitted: Vec<usize> = tables.rake_to.iter().map(|&(_, d)| d).collect();
    let fitted_names = tables
        .rake_to
        .iter()
        .map(|&(ti, d)| format!("`{}` ({})", t.dims[d].name, tables.tables[ti].id()))
        .collect::<Vec<_>>()
        .join(", ");
    let own_names = (0..t.dims.len())
        .filter(|d| !fitted.contains(d))
        .map(|d| format!("`{}`", t.dims[d].name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Kodbok / Codebook — safetally journalist extract {}\n",
        r.year
    );
    let _ = writeln!(
        s,
        "**Svenska.** Två filer (båda också i `{xlsx}`): `crosstab.csv` (korstabell: antal personer för varje kombination av koderna nedan, alla kombinationer med, även nollor) och `synthetic.csv` (syntetiska personer: en rad per påhittad person, dragen från en modell av brusade fördelningar). Ingen rad är en verklig person och inga namn, id-nummer eller pseudonymer finns med. Populationen är potentiellt direkt utsatta personer {}. Båda filerna bygger bara på mätningar med brus (differentiell integritet, rho {:.2}, epsilon {:.2} vid delta {:e}).\n\n\
{}\n\n\
Vad du kan göra: räkna andelar och jämföra stora grupper. Vad du inte kan göra: lita på små tal. Ett antal under 10 i ditt eget urval är mest brus; två syntetiska personer med samma kombination betyder inte att det finns två verkliga personer med den. Använd rapporttabellerna (med 95 %-intervall) för siffror du citerar.\n\n\
Korstabellen är en egen brusad mätning, men dess summor efter {fitted_names} är anpassade till de publicerade rapporttabellerna (DP-utgåvan vars manifest.json har `ledger_entry` {fitted_to}; en annan utgåvas tabeller stämmer inte) och stämmer med dem exakt (en cell som tabellen döljer fylls i från utdragets egen mätning). Summorna efter {own_names} är utdragets egna och skiljer sig från tabellernas med bruset. De syntetiska personernas summor skiljer sig från båda, och syntetiska personer kan ha kombinationer (barn, organhandel) som tabellerna visar som 0. Inget av detta är fel: det är brusade bilder av samma personer.\n",
        r.year,
        r.rho,
        r.epsilon,
        r.delta,
        total_cost(r, true),
        xlsx = super::xlsx::FILE,
        fitted_to = r.fitted_to,
    );
    let _ = writeln!(
        s,
        "**English.** Two files (both also in `{xlsx}`): `crosstab.csv` (a cross-tabulation: persons for every combination of the codes below, every combination included, zeros too) and `synthetic.csv` (synthetic persons: one row per made-up person, drawn from a model of noisy distributions). No row is a real person, and no name, id number or pseudonym is included. The population is potentially directly affected persons in {}. Both files come only from noisy measurements (differential privacy, rho {:.2}, epsilon {:.2} at delta {:e}).\n\n\
{}\n\n\
What you can do: compute shares and compare large groups. What you cannot do: trust small counts. A count below 10 in your own slice is mostly noise; two synthetic persons with the same combination do not mean there are two real persons with it. Use the report tables (with their 95% intervals) for figures you quote.\n\n\
The cross-tabulation is a noisy measurement of its own, but its sums by {fitted_names} are fitted to the published report tables (of the DP release whose manifest.json has `ledger_entry` {fitted_to}; another release's tables do not match) and equal them exactly (a cell the table hides is filled in from the extract's own measurement). Its sums by {own_names} are its own and differ from the tables' by the noise. The synthetic persons' sums differ from both, and synthetic persons can show combinations (children, organ removal) the tables publish as 0. None of this is wrong: they are noisy pictures of the same persons.\n",
        r.year,
        r.rho,
        r.epsilon,
        r.delta,
        total_cost(r, false),
        xlsx = super::xlsx::FILE,
        fitted_to = r.fitted_to,
    );
    let _ = writeln!(
        s,
        "**Excel.** Öppna `{xlsx}`: korstabellen och de syntetiska personerna med filter på varje kolumn, och den här kodboken. CSV-filerna är UTF-8 utan byte-order mark (pandas, polars och R läser dem som de är); öppnade direkt i Excel blir å, ä och ö fel (importera dem med Data > Från text/CSV med filursprung UTF-8). / Open `{xlsx}`: the cross-tabulation and the synthetic persons with a filter on every column, and this codebook. The CSV files are UTF-8 without a byte-order mark (pandas, polars and R read them as they are); opened directly in Excel, å, ä and ö come out garbled (import them with Data > From Text/CSV with file origin UTF-8). The same data are in `crosstab.parquet` and `synthetic.parquet`.\n",
        xlsx = super::xlsx::FILE
    );
    let _ = writeln!(s, "## Kolumner / Columns\n");
    let _ = writeln!(
        s,
        "- `synthetic_person` (synthetic.csv): löpnummer / a row number, nothing more."
    );
    let _ = writeln!(
        s,
        "- `persons` (crosstab.csv): antal personer, brusat / number of persons, noised."
    );
    for (d, dim) in t.dims.iter().enumerate() {
        let col = schema.column(&dim.column);
        let (sv, en) = col.map_or((dim.name.clone(), dim.name.clone()), |c| {
            (c.sv.clone(), c.en.clone())
        });
        let ((sv, en), derived) = derivation(schema, &dim.column, &dim.derive, (sv, en));
        let _ = writeln!(
            s,
            "\n### `{}` — {sv} / {en}\n\n{derived}| kod / code | svenska | English |\n|---|---|---|",
            dim.name
        );
        for c in &t.dims[d].domain {
            let _ = writeln!(s, "| `{}` | {} | {} |", c.code, c.sv, c.en);
        }
    }
    std::fs::write(path, &s).map_err(|e| StageError::io(path, e))?;
    Ok(s)
}

/// What a reader of the extract and of the year's DP release together is protected at: the
/// year's ledger after the extract, as written in the extract's report (never a fixed figure),
/// and for a person linkage split in parts.
fn total_cost(r: &ExtractReport, swedish: bool) -> String {
    if swedish {
        format!(
            "Den som använder både utdraget och årets DP-utgåva (rapporttabellerna med brus) skyddas av det som årets budget har förbrukat enligt loggen, utgåvan och utdraget medräknade: rho {:.2} (epsilon {:.2} vid delta {:e}). En person som länkningen delat i {} delar skyddas med epsilon {:.2} av utdraget och {:.2} av allt tillsammans.",
            r.spent_after, r.spent_epsilon, r.delta, r.group_size, r.group_epsilon, r.spent_group_epsilon
        )
    } else {
        format!(
            "Whoever uses both the extract and the year's DP release (the noisy report tables) is protected at what the year's budget has spent according to the ledger, the release and the extract included: rho {:.2} (epsilon {:.2} at delta {:e}). A person linkage split into {} parts is protected at epsilon {:.2} by the extract and {:.2} by everything together.",
            r.spent_after, r.spent_epsilon, r.delta, r.group_size, r.group_epsilon, r.spent_group_epsilon
        )
    }
}

/// A derived column's title and a line saying, in both languages, how it is made from the
/// answers (the codebook is read by journalists, who never see the table specs).
fn derivation(
    schema: &Schema,
    column: &str,
    derive: &crate::tables::Derive,
    (sv, en): (String, String),
) -> ((String, String), String) {
    use crate::tables::Derive;
    let line = |sv_text: String, en_text: String| {
        format!("Härledd från {sv} / derived from {en}: {sv_text} / {en_text}.\n\n")
    };
    match derive {
        Derive::Code => ((sv, en), String::new()),
        Derive::Region => {
            let l = line(
                "födelselandets region".into(),
                "the country of birth's region".into(),
            );
            (("Födelseregion".into(), "Region of birth".into()), l)
        }
        Derive::OriginGroup => {
            let l = line(
                "född i Sverige, i ett annat EU-land eller utanför EU".into(),
                "born in Sweden, in another EU country or outside the EU".into(),
            );
            (("Ursprung".into(), "Origin".into()), l)
        }
        Derive::SeveralAs(code) => {
            let l = line(
                format!("personens enda kod, eller `{code}` för två eller fler"),
                format!("the person's one code, or `{code}` for two or more"),
            );
            ((sv, en), l)
        }
        Derive::Contains(code) => {
            let (csv, cen) = code_label(schema, column, code);
            let l = line(
                format!(
                    "`yes` om svaren innehåller {csv} (`{code}`), `no` om de inte gör det, `unknown` om organisationen svarat vet ej (`unknown`), `not_answered` om frågan är obesvarad"
                ),
                format!(
                    "`yes` if the answers include {cen} (`{code}`), `no` if they do not, `unknown` if the organisation answered it does not know (`unknown`), `not_answered` if the question was not answered"
                ),
            );
            ((format!("{sv}: {csv}?"), format!("{en}: {cen}?")), l)
        }
        Derive::CountGroup | Derive::Pairs => ((sv, en), String::new()),
    }
}

/// A code's Swedish and English label: a country's name, or its code list's labels.
fn code_label(schema: &Schema, column: &str, code: &str) -> (String, String) {
    if let Some(c) = schema.country(code) {
        return (c.name_sv.clone(), c.name_en.clone());
    }
    schema
        .column(column)
        .and_then(|c| schema.list_for(c))
        .and_then(|l| l.codes.iter().find(|c| c.code == code))
        .map_or_else(
            || (code.to_string(), code.to_string()),
            |c| (c.sv.clone(), c.en.clone()),
        )
}

/// In Swedish and English, as the codebook and the methods note are (its body was English
/// under a bilingual title, an outside review found). The table from generated data is one
/// table with bilingual headings.
pub fn accuracy(r: &ExtractReport, path: &Path) -> Result<(), StageError> {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Noggrannhet / Accuracy — safetally journalist extract {}\n",
        r.year
    );
    let tree = |given: &str| {
        r.tree
            .iter()
            .map(|(c, p)| format!("{c} {given} {p}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(s, "## Svenska\n");
    let _ = writeln!(
        s,
        "Utdraget förbrukade rho {:.3} av årets budget (korstabellen {:.3}, syntetiska data {:.3}); epsilon {:.2} vid delta {:e}. Varje cell i korstabellen fick brus med skala {:.2} personer (95 % av gångerna inom ±{:.1}); sedan sattes celler under det största brus som väntas bland så många celler till noll, och resten anpassades till de publicerade rapporttabellerna och till brusade endimensionella fördelningar. De syntetiska personerna följer en trädformad modell ({}) anpassad till en- och tvådimensionella fördelningar mätta med brus med skala {:.2}.\n",
        r.rho,
        r.rho_crosstab,
        r.rho_synthetic,
        r.epsilon,
        r.delta,
        r.scale_crosstab,
        super::half_width(r.scale_crosstab),
        tree("givet"),
        r.scale_synthetic
    );
    let _ = writeln!(
        s,
        "**Totalt variationsavstånd** (TVD) säger hur långt en fördelning är från den sanna: 0 är identisk, 1 helt olika; 0,05 betyder att 5 % av personerna skulle behöva flyttas till en annan kategori för att de ska stämma. Det är ett medel över varje val av en, två eller tre kolumner.\n"
    );
    if r.accuracy_shipped {
        let _ = writeln!(
            s,
            "Mot de data utdraget gjordes av (genererade exempeldata, så det kan visas):\n\n| | 1 kolumn | 2 kolumner | 3 kolumner |\n|---|---|---|---|\n| syntetiska personer | {} |\n| korstabell | {} |\n",
            tvd_cells(r.synthetic_vs_input.as_ref(), " | "),
            tvd_cells(r.crosstab_vs_input.as_ref(), " | ")
        );
    } else {
        let _ = writeln!(
            s,
            "Siffror mot de verkliga data visas inte: de skulle räknas fram ur sanna data utan brus. Tabellen nedan, från genererade data av samma storlek, säger vad man kan vänta sig.\n"
        );
    }
    let _ = writeln!(s, "## English\n");
    let _ = writeln!(
        s,
        "The extract spent rho {:.3} of the year's budget (cross-tabulation {:.3}, synthetic data {:.3}); epsilon {:.2} at delta {:e}. Every cross-tabulation cell got noise of scale {:.2} persons (95% of the time within ±{:.1}) before cells below the largest noise expected among that many cells were set to zero and the rest fitted to the published report tables and to noisy one-way distributions. The synthetic persons follow a tree-shaped model ({}) fitted to one- and two-way distributions measured with noise of scale {:.2}.\n",
        r.rho,
        r.rho_crosstab,
        r.rho_synthetic,
        r.epsilon,
        r.delta,
        r.scale_crosstab,
        super::half_width(r.scale_crosstab),
        tree("given"),
        r.scale_synthetic
    );
    let _ = writeln!(
        s,
        "**Total variation distance** (TVD) says how far a distribution is from the true one: 0 is identical, 1 is entirely different; 0.05 means 5% of the persons would have to move to another category to make them agree. It is averaged over every choice of one, two or three columns.\n"
    );
    if r.accuracy_shipped {
        let _ = writeln!(
            s,
            "Against the data the extract was made from (synthetic sample data, so this can be shown):\n\n| | 1-way | 2-way | 3-way |\n|---|---|---|---|\n| synthetic persons | {} |\n| cross-tabulation | {} |\n",
            tvd_cells(r.synthetic_vs_input.as_ref(), " | "),
            tvd_cells(r.crosstab_vs_input.as_ref(), " | ")
        );
    } else {
        let _ = writeln!(
            s,
            "Figures against the real data are not shown: they would be computed from the true data without noise. The table below, from generated data of the same size, says what to expect.\n"
        );
    }
    s.push_str(VS_RHO);
    std::fs::write(path, s).map_err(|e| StageError::io(path, e))
}

/// The three distances, or why there are none: an empty extract (or empty data) matches
/// nothing, and a 0.000 would read as a perfect match.
pub fn tvd_cells(t: Option<&super::Tvd>, sep: &str) -> String {
    match t {
        Some(t) => format!("{:.3}{sep}{:.3}{sep}{:.3}", t.one_way, t.two_way, t.three_way),
        None => format!("not applicable (no persons){sep}{sep}"),
    }
}
