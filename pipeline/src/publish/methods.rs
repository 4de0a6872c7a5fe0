//! The methods note, in Swedish and English: in plain words what was done to the data and to
//! each table, so a reader knows what a number and a suppression mark mean.

use std::fmt::Write as _;

use crate::protect::ProtectReport;
use crate::tables::Tables;

pub fn methods_note(tables: &Tables, report: &ProtectReport, persons: u64, official_note: &str) -> String {
    let p = &report.params;
    let year = report.report_year.map_or("?".into(), |y| y.to_string());
    let mut s = String::new();
    let _ = writeln!(s, "# Metod / Methods — safetally, rapportår {year}\n");
    let _ = writeln!(s, "## Svenska\n");
    let _ = writeln!(
        s,
        "Organisationernas kontaktuppgifter har kontrollerats, pseudonymiserats hos varje organisation och länkats så att en person som mötts av flera organisationer räknas en gång ({persons} personer). Varje tabell räknar personer, inte kontakter, över alla koder i kodlistan, så även tomma celler visas (som 0).\n\n\
Små tal är dolda: en cell med 1–{} personer visas som `..` (\"för få för att visas\"). Dessutom döljs andra celler (\"dold för att skydda en annan cell\") så att ett dolt tal inte kan räknas fram ur rad-, kolumn- och totalsummor, inte heller mellan tabeller som delar summor. En granskning räknar för varje dold cell fram det intervall som allt publicerat tillåter (kolumnerna hidden_range_low/high) och godkänner bara utgåvan om varje dolt litet tal ligger i ett intervall med minst {} möjliga värden. Nollor {}.\n",
        p.threshold - 1,
        p.protection,
        if p.suppress_zeros {
            "döljs också"
        } else {
            "visas, eftersom en nolla inte är en person"
        }
    );
    let _ = writeln!(
        s,
        "{}\n",
        if report.audit_passed {
            "Granskningen godkändes."
        } else {
            "Granskningen godkändes INTE."
        }
    );
    let _ = writeln!(
        s,
        "| tabell | population | celler | dolda (små) | dolda (skydd) | smalaste intervall |\n|---|---|---|---|---|---|"
    );
    for t in &tables.tables {
        let r = report.tables.get(t.id()).cloned().unwrap_or_default();
        let _ = writeln!(
            s,
            "| {} {} | {} | {} | {} | {} | {} |",
            t.id(),
            t.spec.title.sv,
            t.spec.population.sv,
            r.cells,
            r.primary,
            r.secondary,
            r.narrowest_interval.map_or("–".into(), |w| w.to_string())
        );
    }
    let _ = writeln!(
        s,
        "\nT22 ställer plattformens personer bredvid Brås brott: olika enheter (personer respektive brott), som aldrig räknas om till varandra. {official_note}\n"
    );
    let _ = writeln!(s, "## English\n");
    let _ = writeln!(
        s,
        "The member organisations' contact records were validated, pseudonymised at each organisation and linked, so that a person met by several organisations counts once ({persons} persons). Every table counts persons, not contacts, over every code of its code list, so empty cells are shown (as 0).\n\n\
Small counts are hidden: a cell of 1 to {} persons is shown as `..` (\"too few to show\"). Other cells are hidden as well (\"hidden to protect another cell\") so that no hidden count can be worked out from row, column and grand totals, also across tables that share totals. An audit computes for every hidden cell the range that everything published allows (columns hidden_range_low/high), and passes the release only if every hidden small count lies in a range of at least {} possible values. Zeros {}.\n",
        p.threshold - 1,
        p.protection,
        if p.suppress_zeros {
            "are hidden too"
        } else {
            "are shown, since a zero is no person"
        }
    );
    let _ = writeln!(
        s,
        "{}\n",
        if report.audit_passed {
            "The audit passed."
        } else {
            "The audit FAILED."
        }
    );
    let _ = writeln!(
        s,
        "| table | population | cells | hidden (small) | hidden (protection) | narrowest range |\n|---|---|---|---|---|---|"
    );
    for t in &tables.tables {
        let r = report.tables.get(t.id()).cloned().unwrap_or_default();
        let _ = writeln!(
            s,
            "| {} {} | {} | {} | {} | {} | {} |",
            t.id(),
            t.spec.title.en,
            t.spec.population.en,
            r.cells,
            r.primary,
            r.secondary,
            r.narrowest_interval.map_or("–".into(), |w| w.to_string())
        );
    }
    let _ = writeln!(
        s,
        "\nT22 puts the platform's persons next to BRÅ's offences: different units (persons and offences), never converted into each other or divided by each other. {official_note}\n\n\
Multi-valued tables (a person can have several codes) count each person once per code; their share is of the persons with at least one code, so shares add up to more than 100%."
    );
    s
}
