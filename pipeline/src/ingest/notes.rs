//! What ingest tells beyond each row's problems: warnings for the whole run (several report
//! years, other members' rows, the same file twice, sample organisations beside members) and
//! notes on a file (its name naming another member, its header read with changes).

use super::shown::quoted;
use std::collections::BTreeMap;
use std::path::Path;

use super::report::{FileOutcome, IngestReport};
use super::{Indexed, file_label, header, is_submission};
use crate::schema::{MemberKind, Schema};

/// Rows with a '?' for a letter in a name, in one warning for every file: the same advice
/// once, not once a file (the bundled sample's three such files filled the console with it).
fn lost_letters(files: &[FileOutcome]) -> Option<String> {
    let with: Vec<&FileOutcome> = files.iter().filter(|f| f.lost_letters > 0).collect();
    let why = "as a CSV saved in a code page without that letter (Excel's \"CSV (semikolonavgränsad)\" with Cyrillic, Arabic or Vietnamese names) has; such a name does not match the same name written with its letter at other organisations, so those persons link only through a personal number or what else their records share, and may count once per organisation";
    match with.as_slice() {
        [] => None,
        [f] => Some(format!(
            "{}: {} row(s) have a '?' for a letter in a name, {why}. Save the file as \"CSV UTF-8\" from the original and send it again",
            f.file, f.lost_letters
        )),
        several => {
            let named: Vec<String> = several
                .iter()
                .take(10)
                .map(|f| format!("{} ({})", f.file, f.lost_letters))
                .collect();
            let more = match several.len() - named.len() {
                0 => String::new(),
                n => format!(" and {n} more files"),
            };
            Some(format!(
                "{} files have rows with a '?' for a letter in a name ({} rows: {}{more}), {why}. Save each file as \"CSV UTF-8\" from the original and send it again",
                several.len(),
                several.iter().map(|f| f.lost_letters).sum::<u64>(),
                named.join(", ")
            ))
        }
    }
}

/// Files with the same bytes under two names (`org.csv` and `org (1).csv`): every record in
/// them is quarantined as sent twice, and the report says why in one line.
pub(super) fn same_content(
    input: &Path,
    entries: &[crate::stage::Entry],
    files: &[FileOutcome],
) -> (Vec<String>, Vec<Vec<String>>) {
    // A file none of whose tables could be read counts no rows, so it is no copy whose rows
    // count once from another (an outside review's workbook sent as FA.csv and UNIZON.parquet
    // was told so, while neither was read); its own error says what to do.
    let unread = |label: &str| {
        let sheet = format!("{label} [");
        files
            .iter()
            .filter(|o| o.file == label || o.file.starts_with(&sheet))
            .all(|o| o.error.is_some())
    };
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in entries
        .iter()
        .filter(|e| e.problem.is_none() && is_submission(&e.path))
    {
        // A file that cannot be hashed has its own error in the report already.
        if let Ok(h) = crate::stage::hash_file(&e.path, "")
            && h.bytes > 0
        {
            let label = file_label(input, &e.path);
            if !unread(&label) {
                seen.entry(h.blake3).or_default().push(label);
            }
        }
    }
    let groups: Vec<Vec<String>> = seen.into_values().filter(|names| names.len() > 1).collect();
    let warnings = groups
        .iter()
        .map(|names| {
            format!(
                "{} have the same content: the same file sent twice? Its rows count once, from {} (the first by name), and the other's are listed as repeated rows; keep one of them and ingest again",
                names.join(" and "),
                names[0]
            )
        })
        .collect();
    (warnings, groups)
}

/// The member whose code the file's name is or holds (`TALITA.csv`, `2024_TALITA.xlsx`).
pub(super) fn name_member(schema: &Schema, path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_string_lossy().to_uppercase();
    stem.split(|c: char| !c.is_alphanumeric())
        .find(|t| schema.member(t).is_some())
        .map(str::to_string)
}

/// A file named after one member whose rows name another: the wrong file sent, or org_id
/// filled in wrong. Its records count for the member the rows name, and clash as duplicates
/// with that member's own file, so the report must say why.
pub(super) fn named_other(schema: &Schema, f: &Indexed) -> Option<String> {
    let named = name_member(schema, &f.path)?;
    let org = f.org.as_deref()?;
    (named != org).then(|| {
        format!(
            "the file's name names member {named}, but most of its rows name {org} in org_id, so they count for {org}; check that the right file was sent and that org_id is filled in right"
        )
    })
}

/// What the whole run should tell before anything is linked: a run that mixes report years
/// (tables are made per year, so aggregate will refuse it).
pub(super) fn run_warnings(report: &IngestReport) -> Vec<String> {
    let mut warnings: Vec<String> = report
        .files
        .iter()
        .flat_map(|f| {
            let own = f.org_id.as_deref().unwrap_or("?");
            f.other_orgs.iter().map(move |(org, n)| {
                format!(
                    "{}: {n} accepted row(s) name organisation {org} in org_id, not {own}, and count for {org}; if they are {own}'s records, correct org_id in those rows",
                    f.file
                )
            })
        })
        .collect();
    warnings.extend(lost_letters(&report.files));
    warnings.extend(
        report
            .files
            .iter()
            .flat_map(|f| f.warnings.iter().map(move |w| format!("{}: {w}", f.file))),
    );
    let lines = |lines: &[u64], rows: u64| {
        let shown: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
        let more = if rows > shown.len() as u64 { ", …" } else { "" };
        format!(
            "{rows} row(s) between its records (line(s) {}{more})",
            shown.join(", ")
        )
    };
    for f in &report.files {
        if !f.id_only_between.is_empty() {
            warnings.push(format!(
                "{}: {} hold nothing but a record_id: passed over as a template's unused numbered rows, so they are in no table; if one is a person met, fill in its contact_kind and answers and send the file again",
                f.file,
                lines(&f.id_only_between, f.id_only_between_rows)
            ));
        }
        if !f.prefilled_between.is_empty() {
            warnings.push(format!(
                "{}: {} hold nothing but org_id, report_year or contact_kind: passed over as a template's filled-down rows, so they are in no table; if one is a person met, give it a record_id, fill in its answers and send the file again",
                f.file,
                lines(&f.prefilled_between, f.prefilled_between_rows)
            ));
        }
    }
    if report.years.len() > 1 {
        // The year most rows have is taken for the report's; the others are named with the
        // organisations and files their rows came from.
        let main = report.years.iter().max_by_key(|(_, n)| **n).map(|(y, _)| *y);
        let years: Vec<String> = report
            .years
            .iter()
            .map(|(y, n)| {
                if Some(*y) == main {
                    return format!("{y} ({n} row(s))");
                }
                let from: Vec<String> = report
                    .orgs
                    .iter()
                    .filter_map(|(org, c)| {
                        let files: Vec<String> = c
                            .years_by_file
                            .get(y)?
                            .iter()
                            .map(|(file, k)| {
                                let lines = c.year_lines.get(y).and_then(|f| f.get(file));
                                format!("{k} in {file}{}", year_lines(lines, *k))
                            })
                            .collect();
                        Some(format!("{org}: {}", files.join(", ")))
                    })
                    .collect();
                format!("{y} ({n} row(s): {})", from.join("; "))
            })
            .collect();
        warnings.push(format!(
            "the accepted rows span several report years: {}; the report tables are made one year at a time, so correct the year or ingest each year from its own folder",
            years.join(", ")
        ));
    }
    warnings
}

/// Where a stray year's rows are: ", line 17" or ", lines 17, 25 and 8 more".
fn year_lines(lines: Option<&Vec<u64>>, rows: u64) -> String {
    let Some(lines) = lines.filter(|l| !l.is_empty()) else {
        return String::new();
    };
    let named: Vec<String> = lines.iter().map(u64::to_string).collect();
    let more = rows.saturating_sub(lines.len() as u64);
    match (named.len(), more) {
        (1, 0) => format!(", line {}", named[0]),
        (_, 0) => format!(", lines {}", named.join(", ")),
        _ => format!(", lines {} and {more} more", named.join(", ")),
    }
}

/// A name where a letter was replaced by '?': beside a letter ("Micha?"), or a name of
/// question marks only ("????" for a name in another script); a lone "?" typed for an
/// unknown name is not.
pub(super) fn lost_letter(name: &str) -> bool {
    let chars: Vec<char> = name.trim().chars().collect();
    let beside_letter = chars.iter().enumerate().any(|(i, c)| {
        *c == '?'
            && (i > 0 && chars[i - 1].is_alphabetic() || chars.get(i + 1).is_some_and(|n| n.is_alphabetic()))
    });
    beside_letter || chars.len() >= 2 && chars.iter().all(|c| *c == '?' || c.is_whitespace())
}

/// A run that counts the synthetic sample's organisations with real members: the sample is
/// demo data, and no table has a place for the pair of a sample organisation and a member,
/// so aggregate could not count them together.
pub fn mixed_kinds(schema: &Schema, report: &IngestReport) -> Option<String> {
    let with_rows = |kind: MemberKind| -> Vec<String> {
        report
            .orgs
            .iter()
            .filter(|(org, c)| c.accepted > 0 && schema.member(org).is_some_and(|m| m.kind == kind))
            .map(|(org, c)| {
                let files: Vec<&str> = c.files.iter().map(String::as_str).collect();
                format!("{org} ({})", files.join(", "))
            })
            .collect()
    };
    let (sample, members) = (with_rows(MemberKind::Sample), with_rows(MemberKind::Member));
    (!sample.is_empty() && !members.is_empty()).then(|| {
        format!(
            "the accepted rows mix the synthetic sample's organisations, {}, with real members, {}: sample files are demo data and must not be counted with real records; remove them from the folder (or ingest them into a work folder of their own)",
            sample.join(", "),
            members.join(", ")
        )
    })
}

pub(super) fn header_notes(schema: &crate::schema::Schema, map: &header::HeaderMap) -> Vec<String> {
    let mut notes = Vec::new();
    for (from, to) in &map.renamed {
        notes.push(format!("column {} read as {to}", quoted(from)));
    }
    if !map.absent.is_empty() {
        notes.push(format!(
            "columns not in the file, read as not answered: {}",
            map.absent.join(", ")
        ));
    }
    if !map.ignored.is_empty() {
        // A column name on two lines is shown on one; a header that reads as a value (a
        // personal number or a date typed as a column's name) is counted, not shown, as where
        // the file is refused.
        let (values, names): (Vec<&String>, Vec<&String>) = map
            .ignored
            .iter()
            .partition(|c| header::looks_like_an_answer(schema, c));
        let mut ignored: Vec<String> = names.iter().map(|c| super::fields::collapse_spaces(c)).collect();
        if !values.is_empty() {
            ignored.push(format!(
                "{} whose header looks like an answer (not shown)",
                values.len()
            ));
        }
        notes.push(format!("unknown columns ignored: {}", ignored.join(", ")));
    }
    if !map.asked.is_empty() {
        let asked: Vec<String> = map
            .asked
            .iter()
            .map(|c| super::fields::collapse_spaces(c))
            .collect();
        notes.push(format!(
            "column(s) left out as asked (--ignore-column): {}",
            asked.join(", ")
        ));
    }
    if !map.decimal_ids.is_empty() {
        notes.push(format!(
            "column(s) {} read without the zero decimals (.0 or ,0) that every filled cell has (whole numbers written as decimals, as pandas writes a column with an empty cell, or Excel in a number format with decimals)",
            map.decimal_ids.iter().map(|&i| schema.columns[i].name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !map.numbering.is_empty() {
        notes.push(format!(
            "column(s) {} passed over: a running number of the rows, not an answer of the contract",
            map.numbering.join(", ")
        ));
    }
    if !map.pandas_index.is_empty() {
        notes.push(format!(
            "column(s) {} passed over: the row numbers pandas writes as a column, not answers; write the file with index=False to leave them out",
            map.pandas_index.join(", ")
        ));
    }
    notes
}
