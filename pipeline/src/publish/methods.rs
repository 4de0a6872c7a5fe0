//! The methods note, in Swedish and English: in plain words what was done to the data and to
//! each table, so a reader knows what a number and a suppression mark mean.

use std::fmt::Write as _;

use crate::protect::{DpSummary, ProtectReport};
use crate::tables::Tables;

pub fn methods_note(
    tables: &Tables,
    report: &ProtectReport,
    persons: Option<u64>,
    official_note: &str,
) -> String {
    let mut s = note_body(tables, report, persons, official_note);
    s.push_str(SHARES);
    s.push_str(FILES);
    s
}

/// What share_percent is a share of, and how it is rounded: a multi-valued table's `_total`
/// row read "105.8 %" before it was left out of the shares.
const SHARES: &str = "\n## Andelar / Shares\n\n\
Andelen (share_percent) avrundas en gång till en decimal, med en femma i andra decimalen uppåt (33 av 400 är 8,3 %), så att CSV, Parquet, arbetsboken och rapporten visar samma tal. I en tabell där en person kan ha flera koder räknas varje person en gång per kod, och andelen är av personerna med minst en kod (`_any`, 100 %), så andelarna blir tillsammans mer än 100 %. Raderna för alla personer (`_total`) och för personer utan kod (`_none`) ligger utanför den basen och har ingen andel (tom cell). Där basen är dold (`..`) är också andelarna `..`, även på rader vars antal visas.\n\n\
The share (share_percent) is rounded once to one decimal, a five in the second decimal rounded up (33 of 400 is 8.3 %), so the CSV, Parquet, the workbook and the report show the same figure. In a table where a person can have several codes, each person counts once per code and the share is of the persons with at least one answer (`_any`, 100 %), so the shares add up to more than 100 %. The rows of all persons (`_total`) and of persons with no answer (`_none`) are outside that base and have no share (an empty cell). Where the base is hidden (`..`), the shares are `..` too, also on rows whose count is shown.\n";

/// How to open the release's files, for readers who will open a CSV in Excel.
const FILES: &str = "\n## Filer / Files\n\n\
Tabellerna finns som CSV och Parquet i tables/ och som ett blad per tabell i safetally-release.xlsx. CSV-filerna är UTF-8 utan BOM: öppna arbetsboken i Excel, eller importera CSV-filen med Data > Från text/CSV och filursprung UTF-8, annars blir å, ä och ö fel.\n\n\
The tables are in tables/ as CSV and Parquet, and one sheet per table in safetally-release.xlsx. The CSV files are UTF-8 without a byte-order mark (pandas, polars and R read them as they are): in Excel, open the workbook, or import a CSV with Data > From Text/CSV and file origin UTF-8, or å, ä and ö come out garbled.\n";

fn note_body(tables: &Tables, report: &ProtectReport, persons: Option<u64>, official_note: &str) -> String {
    let persons = persons.map_or_else(|| "..".to_string(), |n| n.to_string());
    if let Some(dp) = &report.dp {
        return dp_note(tables, report, dp, persons, official_note);
    }
    let p = &report.params;
    let year = report.report_year.map_or("?".into(), |y| y.to_string());
    let mut s = String::new();
    let _ = writeln!(s, "# Metod / Methods — safetally, rapportår {year}\n");
    let _ = writeln!(s, "## Svenska\n");
    let _ = writeln!(
        s,
        "Organisationernas kontaktuppgifter har kontrollerats, pseudonymiserats hos varje organisation och länkats så att en person som mötts av flera organisationer räknas en gång ({persons} personer); en person som länkningen inte känner igen hos två organisationer räknas två gånger, så fel i länkningen gör antalen snarare för höga än för låga. Varje tabell räknar personer, inte kontakter, över alla koder i kodlistan, så även tomma celler visas (som 0).\n\n\
Små tal är dolda: en cell med 1–{} personer visas som `..` (status suppressed). Dessutom döljs andra celler, på samma sätt och utan att det sägs vilka, så att ett dolt tal inte kan räknas fram ur rad-, kolumn- och totalsummor, inte heller mellan tabeller som delar summor. En sådan cell vars värde allt publicerat ändå bestämmer (oftast en nolla) visas. En granskning räknar för varje dold cell fram det intervall som allt publicerat tillåter (kolumnerna hidden_range_low/high; `..` i hidden_range_high betyder att intervallet saknar övre gräns) och godkänner bara utgåvan om en läsare som dessutom känner regeln (ett dolt litet tal är {}–{}) och vet vilka dolda celler som är nollor (utom där nollor döljs) inte kan ringa in något dolt litet tal till färre än {} av dessa värden. Nollor {}.\n",
        p.threshold - 1,
        u64::from(!p.suppress_zeros),
        p.threshold - 1,
        p.protection,
        if p.suppress_zeros {
            "döljs också".to_string()
        } else {
            format!(
                "visas, eftersom en nolla inte är en person, utom på raden för en summa av 1–{} personer, där de döljs med resten; en nolla kan också döljas för att skydda en annan cell",
                p.threshold - 1
            )
        }
    );
    let _ = writeln!(
        s,
        "{} {}\n",
        if report.audit_passed {
            "Granskningen godkändes."
        } else {
            "Granskningen godkändes INTE."
        },
        if p.differences {
            "Skillnaden mellan två publicerade celler för en vidare och en snävare population (till exempel indirekt utsatta minus indirekt utsatta barn) skyddas som ett litet tal i sig (inte för härledda grupper som ursprungsregion)."
        } else {
            "Skillnaden mellan två publicerade celler för en vidare och en snävare population (till exempel indirekt utsatta minus indirekt utsatta barn) skyddas inte och kan vara ett litet tal."
        }
    );
    if !report.one_answer_lines.is_empty() {
        let _ = writeln!(
            s,
            "Att dölja små tal skyddar inte mot att alla i en population har samma svar. I {} har alla personer på raden samma svar ({}): där visar tabellen det svaret för alla den räknar. Dessa tabeller är för granskade läsare; den offentliga utgåvan är den med differentiell integritet.\n",
            match report.one_answer_lines.len() {
                1 => "en cell".to_string(),
                n => format!("{n} celler"),
            },
            report.one_answer_lines.join(", ")
        );
    }
    exact_table(&mut s, tables, report, true);
    let _ = writeln!(
        s,
        "\nT22 ställer plattformens personer bredvid Brås brott: olika enheter (personer respektive brott), som aldrig räknas om till varandra. T22:s personer med polisanmälan kommer från T17 (bara direkt utsatta), raderna om rättsprocessen från T19 (alla med polisanmälan), så de senare kan vara fler. Rättsprocessens rader gäller ärendet, vilket brott det än gäller: ett åtal eller en fällande dom kan gälla ett annat brott än människohandel eller människoexploatering, medan Brås rader gäller just de brotten. Personer med känd status är T19:s personer med svar utom dem med svaret Vet ej, som i Brås andel lagförda; dolt om någon av de två är dold. {official_note}\n"
    );
    let _ = writeln!(s, "## English\n");
    let _ = writeln!(
        s,
        "The member organisations' contact records were validated, pseudonymised at each organisation and linked, so that a person met by several organisations counts once ({persons} persons); a person linkage does not recognise in two organisations' records counts twice, so linkage errors make counts more likely too high than too low. Every table counts persons, not contacts, over every code of its code list, so empty cells are shown (as 0).\n\n\
Small counts are hidden: a cell of 1 to {} persons is shown as `..` (status suppressed). Other cells are hidden the same way, without saying which, so that no hidden count can be worked out from row, column and grand totals, also across tables that share totals. Such a cell whose value everything published fixes anyway (mostly a zero) is shown. An audit computes for every hidden cell the range that everything published allows (columns hidden_range_low/high; `..` in hidden_range_high means the range has no upper bound), and passes the release only if a reader who also knows the rule (a hidden small count is {} to {}) and which hidden cells are zeros (except where zeros are hidden) cannot narrow any hidden small count to fewer than {} of those values. Zeros {}.\n",
        p.threshold - 1,
        u64::from(!p.suppress_zeros),
        p.threshold - 1,
        p.protection,
        if p.suppress_zeros {
            "are hidden too".to_string()
        } else {
            format!(
                "are shown, since a zero is no person, except in the line of a total of 1 to {} persons, where they are hidden with the rest; a zero can also be hidden to protect another cell",
                p.threshold - 1
            )
        }
    );
    let _ = writeln!(
        s,
        "{} {}\n",
        if report.audit_passed {
            "The audit passed."
        } else {
            "The audit FAILED."
        },
        if p.differences {
            "The difference of two published cells of a wider and a narrower population (for example indirectly affected persons minus indirectly affected children) is protected as a small count of its own (not for derived groups such as region of origin)."
        } else {
            "The difference of two published cells of a wider and a narrower population (for example indirectly affected persons minus indirectly affected children) is not protected and may be a small count."
        }
    );
    if !report.one_answer_lines.is_empty() {
        let _ = writeln!(
            s,
            "Hiding small counts does not protect a population whose members all give one answer. In {} every person of the line has that answer ({}): there the table tells that answer of everyone it counts. These tables are for vetted readers; the public release is the differentially private one.\n",
            match report.one_answer_lines.len() {
                1 => "one cell".to_string(),
                n => format!("{n} cells"),
            },
            report.one_answer_lines.join(", ")
        );
    }
    exact_table(&mut s, tables, report, false);
    let _ = writeln!(
        s,
        "\nT22 puts the platform's persons next to Brå's offences: different units (persons and offences), never converted into each other or divided by each other. T22's persons with a police report come from T17 (directly affected persons only), its legal-status rows from T19 (everyone with a report), so the latter can be more. The legal-status rows are about the case, whatever the offence: a prosecution or a conviction may be for another offence than trafficking or exploitation, while Brå's rows are for those offences alone. Persons with a known status are T19's persons with an answer less those whose answer is Unknown, as Brå's share prosecuted leaves the unknown out; hidden if either is hidden. {official_note}"
    );
    s
}

/// A number as Swedish prose writes it: a decimal comma (the English note keeps the point).
fn sv_decimal(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}").replace('.', ",")
}

fn dp_note(
    tables: &Tables,
    report: &ProtectReport,
    d: &DpSummary,
    persons: String,
    official_note: &str,
) -> String {
    let year = report.report_year.map_or("?".into(), |y| y.to_string());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Metod / Methods — safetally, rapportår {year}, differentiell integritet / differential privacy\n"
    );
    let _ = writeln!(s, "## Svenska\n");
    let _ = writeln!(
        s,
        "Organisationernas uppgifter har länkats så att varje person räknas en gång (ungefär {persons} personer). Varje tal i tabellerna har fått slumpmässigt brus (diskret gaussiskt brus från biblioteket OpenDP), så att ingen enskild persons närvaro eller svar kan utläsas. Bruset är lika stort oavsett hur många personer en cell har; kolumnen noise_scale anger dess standardavvikelse i antal personer.\n\n\
**Intervallet** (interval95_low–interval95_high) är ungefär 95 %-intervallet: om tabellen hade publicerats många gånger med nytt brus skulle ungefär 95 av 100 sådana intervall innehålla det verkliga antalet (bortsett från fel i länkningen). Intervallet omfattar både det publicerade talet ± 1,96 × brusskalan och den obearbetade brusiga mätningen ± 1,96 × dess skala: där efterbearbetningen har flyttat ett tal för att tabellerna ska stämma med varandra (till exempel polisanmälningar i T17 och T18) blir intervallet bredare i stället för att missa det verkliga antalet. Ett tal som visas i flera tabeller har samma värde, brusskala och intervall i alla (en populations totalsumma, direkt utsatta i T01 och som T07:s totalsumma, barn i T05 och i T11, till exempel): alla dess tabellers obearbetade mätningar vägs samman. Andra delsummor mäts obearbetade som summan av tabellens egna brusade celler, och den summans brus växer med antalet celler. Ett litet tal är därför mest brus. Fel i länkningen ingår inte i intervallen och drar åt ett håll: en person som länkningen inte känner igen hos två organisationer räknas två gånger, så antalen blir snarare för höga än för låga.\n\n\
Efter bruset har talen justerats så att de är heltal, inte negativa, och att tabeller som delar summor stämmer med varandra (minsta kvadratmetoden); en snävare population har aldrig fler personer än en vidare som rymmer den (T19:s personer med svar om rättsprocessen finns bland T18:s personer med polisanmälan). Tabellerna stämmer också cell för cell: celler som räknar samma personer i två tabeller är samma tal (T05:s barn och T11:s direkt utsatta barn), och en cell i en snävare population är aldrig större än motsvarande cell i en vidare (T09:s tiggeri bland dem som exploaterats i Sverige är högst T04:s tiggeri). Sist publiceras de heltal närmast dessa (varje flytt vägd efter cellens precision, varje tabells totalsumma oförändrad) som uppfyller sambanden; det flyttar också koder i tabeller med flera svar per person så att de ryms i antalet personer med något svar, och korskontrollens par så att de ryms i organisationernas egna summor, ibland med flera gånger bruset (hur många par T21a:s grupper tillåter upprätthålls inte: det skulle flytta T21a med T21b:s större brus). Intervallen är de som beskrivs ovan: minst ±1,96 brusskalor kring talet, bredare där efterbearbetningen har flyttat det. Inre celler vars brusade värde är 1–{} visas som `..`; beslutet fattas på det brusade värdet, aldrig på det verkliga. Summor och marginaler visas alltid, hur små de än är: med differentiell integritet avslöjar de inget som bruset inte redan tillåter, så en dold cell bredvid en liten summa kan ibland läsas ut ur den, och samma antal kan stå som ett tal i en annan tabell, som en marginal där (T06:s dolda kön som marginal i T07): markeringen säger bara att det brusade värdet i just den cellen var litet, inte att antalet är hemligt. För personer med fler koder än tabellens gräns (max_codes) räknas bara de första koderna (i kodlistans ordning): koder sent i listan underskattas därför, i proportion till hur många som har fler koder än gränsen. Den snedvridningen kan vara större än bruset redan vid några tusen personer (en granskning med 2 000 genererade personer fann T13:s skyddade boende 99 i stället för 126 före bruset, med 300 000 personer låg akut boende 30 % för lågt), och intervallen tar inte hänsyn till den; den exakta utgåvan har inte felet.\n\n\
Integritetsbudget: rho {} för denna utgåva (epsilon {} vid delta {}); årets tak är rho {}, varav {} nu är förbrukat (registrerat i en logg innan något publicerades). En person som länkningen delat i {} delar skyddas med rho {} (epsilon {}). Skyddet gäller en person som länkningen ser den: en post som länkningen felaktigt fogar till två personer (eller en som med avsikt bär en persons personnummer och en annans namn) kan slå ihop dem, och ändrar då tabellerna mer än en person gör. Utgåvor i exakt läge (för plattformen och granskade forskare, inte offentliga) har inget brus och ingår inte i budgeten: den som har både en sådan utgåva av året och denna kan veta mer om årets personer än epsilon anger. Budgeten gäller den som bara har de offentliga utgåvorna.\n",
        d.suppress_below - 1,
        sv_decimal(d.rho, 4),
        sv_decimal(d.epsilon, 2),
        format!("{:e}", d.delta).replace('.', ","),
        sv_decimal(d.year_rho_cap, 4),
        sv_decimal(d.spent_after, 4),
        d.group_size,
        sv_decimal(d.group_rho, 4),
        sv_decimal(d.group_epsilon, 2)
    );
    if let Some(why) = &d.relations_unmet {
        let _ = writeln!(
            s,
            "I denna utgåva kunde sambanden mellan tabellerna inte alla uppfyllas ({why}): celler i tabeller över populationer som ryms i varandra kan skilja sig åt med upp till sitt brus.\n"
        );
    }
    dp_table(&mut s, tables, d, true);
    let _ = writeln!(
        s,
        "\nT22 ställer plattformens (brusade) personer bredvid Brås brott: olika enheter, som aldrig räknas om till varandra. T22:s personer med polisanmälan kommer från T17 (bara direkt utsatta), raderna om rättsprocessen från T19 (alla med polisanmälan), så de senare kan vara fler. Rättsprocessens rader gäller ärendet, vilket brott det än gäller: ett åtal eller en fällande dom kan gälla ett annat brott än människohandel eller människoexploatering, medan Brås rader gäller just de brotten. Personer med känd status är T19:s personer med svar minus dem med svaret Vet ej, som i Brås andel lagförda; intervallet är de två intervallen dragna från varandra (lägsta minus högsta, högsta minus lägsta) och skalan de två skalornas summa. {official_note}\n"
    );
    let _ = writeln!(s, "## English\n");
    let _ = writeln!(
        s,
        "The organisations' records were linked so that each person counts once (about {persons} persons). Every number in the tables carries random noise (discrete Gaussian noise from the OpenDP library), so that no single person's presence or answers can be read from them. The noise is the same size whatever a cell's count; the noise_scale column gives its standard deviation in persons.\n\n\
**The interval** (interval95_low to interval95_high) is an approximate 95% interval: if the table were published many times with fresh noise, about 95 of 100 such intervals would contain the true count (linkage errors aside). The interval spans both the published value +/- 1.96 noise scales and the raw noisy measurement +/- 1.96 of its scale: where post-processing moved a value so that the tables agree with each other (police reports in T17 and T18, say), the interval widens instead of missing the true count. A figure shown in several tables carries one value, one noise scale and one interval in all of them (a population's total, directly affected persons in T01 and as T07's grand total, children in T05 and in T11, say): the raw measurements of all its tables are combined. Other subtotals are measured raw as the sum of their table's own noisy cells, whose noise grows with the number of cells. A small count is therefore mostly noise. Linkage errors are not in the intervals and lean one way: a person linkage does not recognise in two organisations' records counts twice, so counts are more likely too high than too low.\n\n\
After the noise, numbers were adjusted to be non-negative integers and to agree between tables that share totals (least squares); each population's total was estimated first, without the upward bias that setting negative cells to zero would add, and kept; a narrower population's total is never above that of a wider one holding it (T19's persons with an answer on the legal process are among T18's persons with a police report). The tables also agree cell by cell: cells that count the same persons in two tables are one number (T05's children and T11's directly affected children), and a narrower population's cell is never above the matching cell of a wider one (T09's begging among those exploited in Sweden is at most T04's begging). Last, the integers nearest to these (each move weighted by the cell's precision, every table's total unchanged) that satisfy the relations are published; this also moves the codes of tables with several answers per person to fit the persons with any answer, and the cross-check's pairs to fit within the organisations' own totals, at times by several times the noise (how many pairs T21a's groups allow is not enforced: it would move T21a by T21b's larger noise). The intervals are those described above: at least 1.96 noise scales either side of the figure, wider where post-processing moved it. Inner cells whose noisy value is 1 to {} are shown as `..`; that decision is taken on the noisy value, never the true one. Totals and margins are always shown, however small: under differential privacy they reveal nothing the noise does not already allow, so a hidden cell beside a small total may be read from it, and the same count may be printed as a number in another table, as a margin there (a gender hidden in T06 as a margin of T07): the mark only says that the noisy value of that cell was small, not that the count is secret. Persons with more codes than a table's limit (max_codes) count with their first codes only (in code-list order): codes late in the list are therefore undercounted, in proportion to how many persons have more codes than the limit. That bias can exceed the noise already at a few thousand persons (a review of 2,000 generated persons found T13's protected housing at 99 instead of 126 before the noise; with 300 000, emergency housing was 30% low), and the intervals do not include it; the exact release does not have it.\n\n\
Privacy budget: rho {:.4} for this release (epsilon {:.2} at delta {:e}); the year's cap is rho {:.4}, of which {:.4} is now spent (recorded in a ledger before anything was published). A person split into {} clusters by linkage is protected at rho {:.4} (epsilon {:.2}). The protection is for a person as linkage sees them: a record that linkage wrongly joins to two persons (or one that carries one person's personal number and another's name on purpose) can merge them, and then changes the tables by more than one person does. Exact-mode releases (for the platform and vetted researchers, not public) carry no noise and are outside the budget: whoever holds both such a release of the year and this one can learn more about the year's persons than the epsilon says. The budget holds for readers of the public releases only.\n",
        d.suppress_below - 1,
        d.rho,
        d.epsilon,
        d.delta,
        d.year_rho_cap,
        d.spent_after,
        d.group_size,
        d.group_rho,
        d.group_epsilon
    );
    if let Some(why) = &d.relations_unmet {
        let _ = writeln!(
            s,
            "In this release the relations between tables could not all be met ({why}): cells of tables over nested populations may disagree by up to their noise.\n"
        );
    }
    dp_table(&mut s, tables, d, false);
    let _ = writeln!(
        s,
        "\nT22 puts the platform's (noisy) persons next to Brå's offences: different units, never converted into each other. T22's persons with a police report come from T17 (directly affected persons only), its legal-status rows from T19 (everyone with a report), so the latter can be more. The legal-status rows are about the case, whatever the offence: a prosecution or a conviction may be for another offence than trafficking or exploitation, while Brå's rows are for those offences alone. Persons with a known status are T19's persons with an answer less those whose answer is Unknown, as Brå's share prosecuted leaves the unknown out; their interval is the two intervals subtracted (lowest less highest, highest less lowest) and their scale the sum of the two scales. {official_note}"
    );
    s
}

/// Per table: its share of rho, the noise scale and the 95% half-width, in one language.
fn dp_table(s: &mut String, tables: &Tables, d: &DpSummary, swedish: bool) {
    let head = if swedish {
        "| tabell | population | rho | brusets skala per cell | minsta ±95 % |"
    } else {
        "| table | population | rho | noise scale per cell | least ±95% |"
    };
    let _ = writeln!(s, "{head}\n|---|---|---|---|---|");
    for (t, p) in tables.tables.iter().zip(&d.plan) {
        let (title, pop) = if swedish {
            (&t.spec.title.sv, &t.spec.population.sv)
        } else {
            (&t.spec.title.en, &t.spec.population.en)
        };
        let number = |x: f64, decimals: usize| {
            if swedish {
                sv_decimal(x, decimals)
            } else {
                format!("{x:.decimals$}")
            }
        };
        let _ = writeln!(
            s,
            "| {} {title} | {pop} | {} | {} | {} |",
            t.id(),
            number(p.rho, 4),
            number(p.scale, 1),
            number(p.half_width_95, 1)
        );
    }
}

/// Per table: cells and how many are hidden. Not how narrowly a hidden small count can be
/// read per table: "none" there told a reader that a table's hidden cells were not small
/// (an outside review used it to tell which cell was); the audit's guarantee, the same for
/// every table, is in the text.
fn exact_table(s: &mut String, tables: &Tables, report: &ProtectReport, swedish: bool) {
    let head = if swedish {
        "| tabell | population | celler | dolda |"
    } else {
        "| table | population | cells | hidden |"
    };
    let _ = writeln!(s, "{head}\n|---|---|---|---|");
    for t in &tables.tables {
        let r = report.tables.get(t.id()).cloned().unwrap_or_default();
        let (title, pop) = if swedish {
            (&t.spec.title.sv, &t.spec.population.sv)
        } else {
            (&t.spec.title.en, &t.spec.population.en)
        };
        let _ = writeln!(
            s,
            "| {} {title} | {pop} | {} | {} |",
            t.id(),
            r.cells,
            r.primary + r.secondary,
        );
    }
}
