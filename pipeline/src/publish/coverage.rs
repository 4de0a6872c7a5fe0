//! What a release says of the rows validation left out. Quarantined rows count in no table,
//! so a reader must be told that an organisation is under-counted (an outside review's run
//! published one organisation at 10 of its 122 rows without a word in the release).
//!
//! An exact release says whether rows were left out and names the organisations that lost a
//! tenth of their rows or more, without counts: an organisation's rows bound its persons,
//! which a table may hide. A DP release says the same words whatever the data: the counts are
//! exact, one more for a record with an error, and no noise covers them.

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

/// Organisations that lost a tenth of their rows or more: named, not counted.
fn heavy(c: &Coverage) -> Vec<&str> {
    c.organisations
        .iter()
        // Rows that named no member are no organisation's.
        .filter(|(org, rows, q)| q * 10 >= *rows && org != "UNATTRIBUTED")
        .map(|(org, _, _)| org.as_str())
        .collect()
}

/// The coverage as published in an exact release: whether rows were left out, and which
/// organisations lost a tenth of theirs or more. No count: an organisation's rows bound its
/// persons (a release that hid its 3 persons in T21b would show "3 rows passed"), and the
/// rows submitted and accepted in all would give a hidden small count of rows left out by
/// subtraction. A DP release has nothing here (see the module's note).
pub fn shown(c: &Coverage, dp: bool) -> Option<serde_json::Value> {
    (!dp).then(|| {
        serde_json::json!({
            "rows_left_out": c.quarantined > 0,
            "organisations_with_a_tenth_or_more_of_their_rows_left_out": heavy(c),
        })
    })
}

/// The methods note's section, Swedish then English.
pub fn section(c: Option<&Coverage>, dp: bool) -> String {
    let mut s = String::from("\n## Täckning / Coverage\n\n");
    // The same words whatever the data: whether any row was left out is itself a fact about
    // the records that no noise covers.
    if dp {
        s.push_str("Rader med fel (karantän), om några, lämnas utanför och räknas inte i någon tabell. Hur många de var publiceras inte i en utgåva med brus: det är ett exakt antal. Organisationernas valideringsrapporter säger vilka rader det gäller.\n\nRows with an error (quarantined), if any, are left out and count in no table. How many they were is not published in a release with noise: it is an exact count. The organisations' validation reports say which rows they are.\n");
        return s;
    }
    let Some(c) = c else {
        s.push_str("Raderna kontrollerades hos varje organisation; rader med fel (karantän) räknas inte, och organisationernas valideringsrapporter säger hur många de var.\n\nThe rows were validated at each organisation; rows with an error (quarantined) are not counted, and the organisations' validation reports say how many there were.\n");
        return s;
    };
    if c.quarantined == 0 {
        s.push_str(
            "Alla inskickade rader godkändes vid kontrollen.\n\nEvery row submitted passed validation.\n",
        );
        return s;
    }
    let heavy = heavy(c);
    let (sv, en) = if heavy.is_empty() {
        (
            "Ingen organisation förlorade en tiondel av sina rader eller mer.".to_string(),
            "No organisation lost a tenth of its rows or more.".to_string(),
        )
    } else {
        (
            format!(
                "Dessa organisationer förlorade en tiondel av sina rader eller mer och är underräknade: {}.",
                heavy.join(", ")
            ),
            format!(
                "These organisations lost a tenth of their rows or more and are under-counted: {}.",
                heavy.join(", ")
            ),
        )
    };
    let _ = write!(
        s,
        "Rader med fel (karantän: fel i ett svar, eller kopior av en annan rad) lämnades utanför och räknas inte i någon tabell. {sv} Antalen står i valideringsrapporten; de publiceras inte, eftersom en organisations antal rader begränsar dess antal personer, som en tabell kan dölja.\n\n\
Rows with an error (quarantined: an error in an answer, or copies of another row) were left out and count in no table. {en} The counts are in the validation report; they are not published, as an organisation's number of rows bounds its number of persons, which a table may hide.\n"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_left_out_are_said_and_heavy_losers_named_without_counts_and_dp_says_the_same_always() {
        let c = Coverage {
            rows_in: 200,
            accepted: 185,
            quarantined: 15,
            organisations: vec![("A".into(), 120, 12), ("B".into(), 80, 3)],
        };
        let exact = section(Some(&c), false);
        assert!(
            exact.contains("under-counted: A.") && !exact.contains(" B") && !exact.contains("12"),
            "{exact}"
        );
        for n in ["200", "185", "15", "120", "80"] {
            assert!(!exact.contains(n), "{n} in {exact}");
        }
        let json = shown(&c, false).expect("exact").to_string();
        assert!(
            json.contains(r#""rows_left_out":true"#) && json.contains(r#"["A"]"#),
            "{json}"
        );
        let dp = section(Some(&c), true);
        assert!(dp.contains("not published") && dp.contains("if any"), "{dp}");
        assert_eq!(shown(&c, true), None);
        let none_left_out = Coverage {
            quarantined: 0,
            organisations: Vec::new(),
            ..c.clone()
        };
        assert_eq!(
            section(Some(&none_left_out), true),
            dp,
            "the same words whatever the data"
        );
        assert!(section(Some(&none_left_out), false).contains("Every row submitted passed"));
        assert!(section(None, false).contains("validated at each organisation"));
    }
}
