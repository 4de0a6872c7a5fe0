//! What a release says of the rows validation left out. Quarantined rows count in no table,
//! so a reader must be told that an organisation is under-counted (an outside review's run
//! published one organisation at 10 of its 122 rows without a word in the release).
//!
//! In an exact release the counts are published, each count of fewer rows than the small-count
//! threshold as "fewer than" it. In a DP release they are not: they are exact counts, one more
//! for a record with an error, and no noise covers them; the release says that rows were left
//! out and where the organisations' validation reports are.

use std::fmt::Write as _;
use std::path::Path;

use crate::ingest::IngestReport;
use crate::link::LinkReport;

/// The rows in and left out, over all organisations and per organisation that lost any.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Coverage {
    pub rows_in: u64,
    pub accepted: u64,
    pub quarantined: u64,
    /// (organisation, rows in, rows quarantined), for organisations with any quarantined.
    pub organisations: Vec<(String, u64, u64)>,
}

/// What ingest left out, when the work folder's own ingest made the records that were linked
/// (its accepted rows are the link's records). In the platform's usual course the
/// organisations ingest their own files, and the platform holds no validation report: None.
pub fn read(ingest_report: &Path, link_report: &Path) -> Option<Coverage> {
    let ingest: IngestReport = serde_json::from_slice(&std::fs::read(ingest_report).ok()?).ok()?;
    let link: LinkReport = serde_json::from_slice(&std::fs::read(link_report).ok()?).ok()?;
    if ingest.totals.accepted != link.records {
        return None;
    }
    Some(Coverage {
        rows_in: ingest.totals.rows_in,
        accepted: ingest.totals.accepted,
        quarantined: ingest.totals.quarantined,
        organisations: ingest
            .orgs
            .iter()
            .filter(|(_, c)| c.quarantined > 0)
            .map(|(org, c)| (org.clone(), c.rows_in, c.quarantined))
            .collect(),
    })
}

/// The coverage as published: in an exact release, counts under `threshold` as "< threshold";
/// in a DP release nothing (see the module's note).
pub fn shown(c: &Coverage, dp: bool, threshold: u64) -> Option<serde_json::Value> {
    if dp {
        return None;
    }
    let count = |n: u64| {
        if n > 0 && n < threshold {
            serde_json::json!(format!("<{threshold}"))
        } else {
            serde_json::json!(n)
        }
    };
    let orgs: serde_json::Map<String, serde_json::Value> = c
        .organisations
        .iter()
        .map(|(org, rows, q)| {
            (
                org.clone(),
                serde_json::json!({ "rows_in": rows, "quarantined": count(*q) }),
            )
        })
        .collect();
    Some(serde_json::json!({
        "rows_in": c.rows_in,
        "accepted": c.accepted,
        "quarantined": count(c.quarantined),
        "organisations_with_rows_left_out": orgs,
    }))
}

/// The methods note's section, Swedish then English.
pub fn section(c: Option<&Coverage>, dp: bool, threshold: u64) -> String {
    let mut s = String::from("\n## Täckning / Coverage\n\n");
    // The same words whatever the data: whether any row was left out is itself a fact about
    // the records that no noise covers.
    if dp {
        s.push_str("Rader med fel (karantän) lämnas utanför och räknas inte i någon tabell. Hur många de var publiceras inte i en utgåva med brus: det är ett exakt antal. Organisationernas valideringsrapporter säger vilka rader det gäller.\n\nRows with an error (quarantined) are left out and count in no table. How many they were is not published in a release with noise: it is an exact count. The organisations' validation reports say which rows they are.\n");
        return s;
    }
    let Some(c) = c else {
        s.push_str("Raderna kontrollerades hos varje organisation; rader med fel (karantän) räknas inte, och organisationernas valideringsrapporter säger hur många de var.\n\nThe rows were validated at each organisation; rows with an error (quarantined) are not counted, and the organisations' validation reports say how many there were.\n");
        return s;
    };
    if c.quarantined == 0 {
        let _ = write!(
            s,
            "Alla {0} inskickade rader godkändes vid kontrollen.\n\nAll {0} rows submitted passed validation.\n",
            c.rows_in
        );
        return s;
    }
    let count = |n: u64, sv: bool| match n {
        n if n < threshold => format!("{} {threshold}", if sv { "färre än" } else { "fewer than" }),
        n => n.to_string(),
    };
    let orgs = |sv: bool| {
        c.organisations
            .iter()
            .map(|(org, rows, q)| format!("{org} {} {} {rows}", count(*q, sv), if sv { "av" } else { "of" }))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        s,
        "Av {} inskickade rader godkändes {}; {} lämnades utanför (karantän: rader med fel, eller kopior av en annan rad) och räknas inte i någon tabell, så organisationerna nedan är underräknade: {}.\n\n\
Of {} rows submitted, {} passed validation; {} were left out (quarantined: rows with an error, or copies of another row) and count in no table, so the organisations below are under-counted: {}.\n",
        c.rows_in,
        c.accepted,
        count(c.quarantined, true),
        orgs(true),
        c.rows_in,
        c.accepted,
        count(c.quarantined, false),
        orgs(false)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_of_rows_left_out_are_shown_as_fewer_than_the_threshold_and_none_in_dp() {
        let c = Coverage {
            rows_in: 200,
            accepted: 185,
            quarantined: 15,
            organisations: vec![("A".into(), 120, 12), ("B".into(), 80, 3)],
        };
        let exact = section(Some(&c), false, 5);
        assert!(
            exact.contains("Of 200 rows submitted, 185 passed validation; 15 were left out")
                && exact.contains("A 12 of 120, B fewer than 5 of 80"),
            "{exact}"
        );
        let json = shown(&c, false, 5).expect("exact").to_string();
        assert!(
            json.contains(r#""B":{"quarantined":"<5","rows_in":80}"#),
            "{json}"
        );
        let dp = section(Some(&c), true, 5);
        assert!(
            dp.contains("not published") && !dp.contains("15") && !dp.contains("12"),
            "{dp}"
        );
        let none_left_out = Coverage {
            quarantined: 0,
            organisations: Vec::new(),
            ..c.clone()
        };
        assert_eq!(
            section(Some(&none_left_out), true, 5),
            dp,
            "the same words whatever the data"
        );
        assert_eq!(shown(&c, true, 5), None);
        assert!(section(None, false, 5).contains("validated at each organisation"));
    }
}
