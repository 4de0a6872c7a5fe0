//! The first pass's index of every record id in the run, and what it learns between the
//! passes: ids sent twice or pointed at, files that copy another, ids written two ways.

use std::collections::HashMap;

use super::{HeaderMap, Row, Validator, answer, cell, related};
use crate::ingest::fields::{check_cell, date, personal_number};

/// Each (org, year, record_id) of the whole run (every file, so that a record sent twice in two
/// files is caught): how often it occurs, whether it is direct, and where it first occurs.
/// Keys are 128-bit hashes of the values as they are stored, so ten million records take
/// hundreds of megabytes, not gigabytes, and two ids that differ only in spacing are one.
#[derive(Debug, Default)]
pub struct IdIndex {
    pub(super) map: HashMap<[u8; 16], Seen>,
    /// File labels, by the number a `Seen` names them by.
    pub files: Vec<String>,
    /// Rows indexed per file, and per (earlier file, later file) the later file's rows whose
    /// record was first seen in the earlier one: a file that repeats another's records is a copy.
    rows: Vec<u64>,
    repeats: std::collections::BTreeMap<(u32, u32), Repeats>,
    /// Rows per file with more fields than the header and only blanks past it (see
    /// `Validator::validate`).
    long: Vec<u64>,
    /// Ids whose rows are not all written alike (see `Validator::content_hash`): whether they
    /// are one record in two spellings is settled by `recheck_row`, and the files that hold them.
    recheck: HashMap<[u8; 16], Recheck>,
    recheck_files: std::collections::BTreeSet<u32>,
    /// Ids with letters, in lower case: a related_record_id `ab-4` that names no row, where a
    /// row has `AB-4`, is told so, not only that no row has it.
    folded: std::collections::HashSet<[u8; 16]>,
}

/// An id's rows compared again in the contract's form: the first row's hash, and whether every
/// later row has met it so far.
#[derive(Debug, Default, Clone, Copy)]
struct Recheck {
    first: Option<u64>,
    same: bool,
}

/// Whether a row has more fields than the header, all blank past the header's last column.
pub(super) fn blank_past_header(row: &Row, map: &HeaderMap) -> bool {
    row.cells.len() > map.width && row.cells[map.width..].iter().all(|c| c.trim().is_empty())
}

impl IdIndex {
    /// Whether (nearly) every row of `file` ends in separators past the header's last column,
    /// as an export leaves them: then they are dropped, not taken for slid cells.
    pub(super) fn trails(&self, file: u32) -> bool {
        let at = |v: &Vec<u64>| v.get(file as usize).copied().unwrap_or(0);
        let (long, rows) = (at(&self.long), at(&self.rows));
        long > 0 && long * 10 >= rows * 9
    }
}

/// The rows of a later file whose record was first seen in an earlier one, and how many of
/// them hold the same answers there: a copy repeats both, ids that restart in each file or
/// sheet only the ids.
#[derive(Debug, Default, Clone, Copy)]
struct Repeats {
    rows: u64,
    same: u64,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Seen {
    pub(super) count: u32,
    /// The row's contact kind as read: `Some(true)` direct, `Some(false)` another code, `None`
    /// blank or not a code (the row is quarantined for it, and says so itself).
    pub(super) direct: Option<bool>,
    pub(super) file: u32,
    pub(super) line: u64,
    /// A hash of the row's cells as written, column by column, to tell a copy from an id used
    /// twice.
    content: u64,
    /// Whether every row with the id repeats the first cell for cell: one record sent twice
    /// (a case in two quarters' sheets), counted once.
    pub(super) same: bool,
}

/// The identity of a row as the validated file will store it: org as a member code (see
/// `fields::member_code`; an org_id not in the register as written, upper-cased), the year as
/// a number, the record id composed (NFC) with its spaces collapsed.
fn id_hash(org: &str, year: &str, record: &str) -> [u8; 16] {
    let year = crate::ingest::fields::year_digits(year)
        .parse::<i64>()
        .map_or_else(|_| year.trim().to_string(), |y| y.to_string());
    let mut h = blake3::Hasher::new();
    for part in [
        org.trim().to_uppercase().as_str(),
        &year,
        &crate::ingest::fields::collapse_spaces(&crate::ingest::fields::composed(record)),
    ] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize().as_bytes()[..16]);
    out
}

impl Validator<'_> {
    /// The row's own record id, and the one its related_record_id names (if any), as the
    /// first pass keys them.
    pub fn ids(&self, row: &Row, map: &HeaderMap) -> ([u8; 16], Option<[u8; 16]>) {
        let related = !related(self.schema, row, map, self.cols.related).is_empty();
        (
            self.id_key(row, map, self.cols.record),
            related.then(|| self.id_key(row, map, self.cols.related)),
        )
    }

    pub(super) fn id_key(&self, row: &Row, map: &HeaderMap, record: usize) -> [u8; 16] {
        self.key_of(row, map, cell(row, map, record))
    }

    /// The key of `id` under the row's organisation and year.
    fn key_of(&self, row: &Row, map: &HeaderMap, id: &str) -> [u8; 16] {
        let c = &self.cols;
        let org = cell(row, map, c.org);
        let code = crate::ingest::fields::member_code(self.schema, org);
        id_hash(code.as_deref().unwrap_or(org), cell(row, map, c.year), id)
    }

    /// `id_key` of the id in lower case (see `IdIndex::folded`).
    fn folded_key(&self, row: &Row, map: &HeaderMap, record: usize) -> [u8; 16] {
        self.key_of(row, map, &cell(row, map, record).to_lowercase())
    }

    /// Whether a row's id has the id in `record` but for its capitals (see `IdIndex::folded`).
    pub(super) fn known_in_other_case(&self, row: &Row, map: &HeaderMap, record: usize) -> bool {
        self.index.folded.contains(&self.folded_key(row, map, record))
    }

    /// Starts the first pass over a file; returns its number for `index_row`.
    pub fn add_file(&mut self, label: &str) -> u32 {
        self.index.files.push(label.to_string());
        self.index.rows.push(0);
        self.index.long.push(0);
        (self.index.files.len() - 1) as u32
    }

    /// Files most of whose records another file holds too (the same organisation, year and
    /// record id): a copy left beside the original, as Excel's "Save As CSV" leaves one. Rows
    /// repeated cell for cell count once, from the first file, and the copy's rows are
    /// quarantined as repeats (so `run` stops on the copy); the report says so once.
    /// Files whose record ids mostly repeat another file's with other answers are told apart
    /// from copies: their ids restart in each file or sheet (an outside review's two half-year
    /// files, ids 1-10 each), and removing one "copy" would lose real records.
    /// Pairs of files in one of the `identical` groups (the same bytes, already warned of) are
    /// not told again.
    pub fn copies(&self, identical: &[Vec<String>]) -> Vec<String> {
        let name = |f: u32| self.index.files.get(f as usize).map_or("?", String::as_str);
        let told = |first: u32, later: u32| {
            identical
                .iter()
                .any(|g| g.iter().any(|n| n == name(first)) && g.iter().any(|n| n == name(later)))
        };
        self.index
            .repeats
            .iter()
            .filter(|&(&(first, later), _)| !told(first, later))
            .filter(|&(&(_, later), r)| {
                let rows = self.index.rows.get(later as usize).copied().unwrap_or(0);
                r.rows >= 2 && r.rows * 10 >= rows * 9
            })
            .map(|(&(first, later), r)| {
                let (n, rows) = (r.rows, self.index.rows.get(later as usize).copied().unwrap_or(0));
                if r.same * 2 >= r.rows {
                    let differ = match r.rows - r.same {
                        0 => String::new(),
                        k => format!(
                            "; the {k} whose answers differ are quarantined in both files (no one can tell which is right), so those records are missing until the copy is removed"
                        ),
                    };
                    format!(
                        "{} repeats {n} of its {rows} record ids from {} (the same organisation, year and record id), {} of them with the same answers: one is a copy of the other (a sheet copied, an old version kept, or Excel's \"Save As\" CSV leaving both files). Rows repeated cell for cell are counted once, from {}, the copies listed as repeated rows{differ}: remove the copy and run ingest again",
                        name(later),
                        name(first),
                        r.same,
                        name(first)
                    )
                } else {
                    format!(
                        "{} uses {n} of its {rows} record ids again from {}, for records with other answers ({} of them differ): the record ids seem to start again in each file or sheet. Every record with a repeated id is quarantined as a duplicate, so these records are not accepted: make the record ids unique within the organisation and year (for example by putting the file's or sheet's name before them) and run ingest again; do not delete either file",
                        name(later),
                        name(first),
                        r.rows - r.same
                    )
                }
            })
            .collect()
    }

    /// First pass, over every file: remember every record id, so duplicates and related ids
    /// can be checked across the organisation's files.
    pub fn index_row(&mut self, row: &Row, map: &HeaderMap, file: u32) {
        let key = self.id_key(row, map, self.cols.record);
        let kind = self
            .schema
            .code_list("contact_kind")
            .map(|l| l.resolve(cell(row, map, self.cols.kind)));
        let direct = match kind {
            Some(crate::schema::Resolved::Exact(k) | crate::schema::Resolved::Normalised(k)) => {
                Some(k == "direct")
            }
            _ => None,
        };
        if cell(row, map, self.cols.record).chars().any(char::is_alphabetic) {
            let folded = self.folded_key(row, map, self.cols.record);
            self.index.folded.insert(folded);
        }
        let content = self.content_hash(row, map, false);
        let e = self.index.map.entry(key).or_insert(Seen {
            count: 0,
            direct,
            file,
            line: row.line,
            content,
            same: true,
        });
        e.count = e.count.saturating_add(1);
        e.same &= e.content == content;
        if e.content != content {
            self.index.recheck.entry(key).or_default();
            self.index.recheck_files.extend([e.file, file]);
        }
        // Rows without a record id repeat nothing (they are refused for the missing id).
        if e.file != file && !cell(row, map, self.cols.record).trim().is_empty() {
            let r = self.index.repeats.entry((e.file, file)).or_default();
            r.rows += 1;
            r.same += u64::from(e.content == content);
        }
        if let Some(n) = self.index.rows.get_mut(file as usize) {
            *n += 1;
        }
        if blank_past_header(row, map)
            && let Some(n) = self.index.long.get_mut(file as usize)
        {
            *n += 1;
        }
    }

    /// The files holding rows of one id written in two ways, to be read again for
    /// `recheck_row` (none when every repeated id's rows are written alike).
    pub fn files_to_recheck(&self) -> Vec<u32> {
        self.index.recheck_files.iter().copied().collect()
    }

    /// Between the passes, over the files of `files_to_recheck` in the order the first pass
    /// read them: the rows of an id written in two ways compared in the contract's form.
    pub fn recheck_row(&mut self, row: &Row, map: &HeaderMap, file: u32) {
        if self.index.recheck.is_empty() {
            return;
        }
        let key = self.id_key(row, map, self.cols.record);
        let (Some(seen), true) = (
            self.index.map.get(&key).copied(),
            self.index.recheck.contains_key(&key),
        ) else {
            return;
        };
        let clean = self.content_hash(row, map, true);
        let differs_as_written = self.content_hash(row, map, false) != seen.content;
        let Some(r) = self.index.recheck.get_mut(&key) else {
            return;
        };
        if seen.file == file && seen.line == row.line {
            *r = Recheck {
                first: Some(clean),
                same: true,
            };
            return;
        }
        // Without the first row (a file that could not be read again) the rows stay apart.
        let same = r.first == Some(clean);
        r.same &= same;
        // The first pass counted rows written alike; these are the others that agree.
        if same
            && differs_as_written
            && seen.file != file
            && !cell(row, map, self.cols.record).trim().is_empty()
            && let Some(rep) = self.index.repeats.get_mut(&(seen.file, file))
        {
            rep.same += 1;
        }
    }

    /// After `recheck_row`: ids whose rows agree in the contract's form are one record.
    pub fn settle_rechecks(&mut self) {
        for (key, r) in std::mem::take(&mut self.index.recheck) {
            if let Some(seen) = self.index.map.get_mut(&key) {
                seen.same = r.first.is_some() && r.same;
            }
        }
    }

    /// A hash of a row's answers in the contract's column order (so a copy with its columns
    /// in another order, or saved from XLSX as CSV, hashes the same), as written or (`clean`)
    /// each answer as the validated file stores it: a record sent twice whose copies write one
    /// answer in two ways (`Kvinna` and `woman`, `20011230` and `2001-12-30`, a 10- and a
    /// 12-digit personal number, `Åsa` composed and decomposed) is one record, counted once,
    /// and not two that contradict each other, which quarantined both and left the person out
    /// of the run (an outside review). A cell that does not pass is hashed as written, marked
    /// apart, so it never equals a cleaned answer by chance. Rows written alike clean alike, so
    /// the first pass hashes them as written and only an id whose rows differ so is cleaned
    /// (`recheck_row`): cleaning every cell twice made ingest 40% slower.
    fn content_hash(&self, row: &Row, map: &HeaderMap, clean_cells: bool) -> u64 {
        let c = &self.cols;
        let clean = |i: usize, raw: &str| -> Option<String> {
            check_cell(self.schema, &self.schema.columns[i], raw)
                .ok()
                .map(|v| v.value)
        };
        // The birth date and the personal number are cleaned against the report year, as
        // `cross_checks` cleans them.
        let year: Option<i32> = clean_cells
            .then(|| clean(c.year, cell(row, map, c.year)))
            .flatten()
            .and_then(|y| y.parse().ok());
        let mut h = blake3::Hasher::new();
        for i in 0..self.schema.columns.len() {
            let raw = if clean_cells {
                answer(self.schema, row, map, i)
            } else {
                cell(row, map, i)
            };
            let value = if !clean_cells {
                None
            } else if raw.is_empty() {
                Some(String::new())
            } else if i == c.birth {
                date(raw, year, self.today).ok().map(|(d, _)| d.to_string())
            } else if i == c.pnr {
                year.and_then(|y| personal_number(raw, y, self.today).ok())
                    .map(|p| p.normalised)
            } else {
                clean(i, raw)
            };
            let (tag, text) = match &value {
                Some(v) => (0u8, v.as_str()),
                None => (1u8, raw),
            };
            h.update(&[tag]);
            h.update(&(text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        let mut out = [0u8; 8];
        out.copy_from_slice(&h.finalize().as_bytes()[..8]);
        u64::from_le_bytes(out)
    }

    /// Where a row was first seen, as a person would look for it from `file`.
    pub(super) fn place(&self, seen: &Seen, file: u32) -> String {
        if seen.file == file {
            format!("line {}", seen.line)
        } else {
            let label = self
                .index
                .files
                .get(seen.file as usize)
                .map_or("?", String::as_str);
            format!("{label}, line {}", seen.line)
        }
    }
}
