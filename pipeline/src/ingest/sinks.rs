//! Where ingest's rows go: per organisation, a Parquet file of accepted rows (with their file
//! and line) and one of quarantined rows, a row for each problem with its column, rule, value
//! and message; a workbook of the problems for the staff who fix them; and the counts.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::report::OrgCounts;
use super::{QUARANTINE_DIR, VALIDATED_DIR, header, read, truncate, validate, validated_columns};
use crate::error::{InternalError, StageError};
use crate::parquet_io::{Kind, ParquetSink, Value};
use crate::schema::Schema;

const QUARANTINE_COLUMNS: [(&str, Kind); 8] = [
    ("file", Kind::Str),
    ("line", Kind::Int),
    ("org_id", Kind::Str),
    ("record_id", Kind::Str),
    ("column", Kind::Str),
    ("rule", Kind::Str),
    ("value", Kind::Str),
    ("message", Kind::Str),
];

pub(super) struct Sinks {
    pub(super) out: PathBuf,
    pub(super) validated: HashMap<String, ParquetSink>,
    pub(super) quarantine: HashMap<String, ParquetSink>,
    /// Each organisation's problems, for its workbook (`problems_workbook`).
    pub(super) problems: HashMap<String, Problems>,
}

/// One problem as the staff who fix the file read it: where, which rule, what to do. The
/// refused value is left out, as in the validation report (it may be a name or a birth date).
pub(super) struct ProblemRow {
    file: String,
    line: u64,
    record: Option<String>,
    column: String,
    /// The column's letter in the sheet (or its place in a CSV file, counted as Excel's letters),
    /// where the problem is one column's.
    letter: String,
    rule: &'static str,
    message: String,
}

/// An organisation's problems as the workbook lists them: as many as a sheet holds (Excel's
/// 1 048 576 rows less the header and a last line saying how many more there are), so that a
/// file of millions of bad rows does not keep millions of messages in memory.
#[derive(Default)]
pub(super) struct Problems {
    rows: Vec<ProblemRow>,
    more: u64,
}

const LISTED: usize = 1_048_574;

impl Sinks {
    fn sink<'a>(
        map: &'a mut HashMap<String, ParquetSink>,
        dir: &Path,
        org: &str,
        cols: &[(&str, Kind)],
    ) -> Result<&'a mut ParquetSink, StageError> {
        if !map.contains_key(org) {
            std::fs::create_dir_all(dir).map_err(|e| StageError::io(dir, e))?;
            let sink = ParquetSink::create(&dir.join(format!("{org}.parquet")), cols)?;
            map.insert(org.to_string(), sink);
        }
        map.get_mut(org)
            .ok_or_else(|| InternalError::NoWriter { org: org.to_string() }.into())
    }

    fn validated(&mut self, schema: &Schema, org: &str) -> Result<&mut ParquetSink, StageError> {
        let dir = self.out.join(VALIDATED_DIR);
        Self::sink(&mut self.validated, &dir, org, &validated_columns(schema))
    }

    fn quarantine(&mut self, org: &str) -> Result<&mut ParquetSink, StageError> {
        let dir = self.out.join(QUARANTINE_DIR);
        Self::sink(&mut self.quarantine, &dir, org, &QUARANTINE_COLUMNS)
    }

    /// Every organisation gets both files, so an empty quarantine is visible as such.
    pub(super) fn finish(mut self, schema: &Schema) -> Result<(), StageError> {
        let orgs: Vec<String> = self
            .validated
            .keys()
            .chain(self.quarantine.keys())
            .cloned()
            .collect();
        for org in orgs {
            self.validated(schema, &org)?;
            self.quarantine(&org)?;
        }
        for (_, s) in self.validated.drain().chain(self.quarantine.drain()) {
            s.finish()?;
        }
        for (org, problems) in &self.problems {
            let path = self.out.join(QUARANTINE_DIR).join(format!("{org}-problems.xlsx"));
            problems_workbook(schema, &path, problems)?;
        }
        Ok(())
    }
}

/// The organisation's problems as a workbook, row by row: the text report spells out only
/// the first 20 and the full list was Parquet, which staff working in Excel cannot open (an
/// outside review).
fn problems_workbook(schema: &Schema, path: &Path, problems: &Problems) -> Result<(), StageError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| StageError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut book = Workbook::new();
    let ws = book.add_worksheet_with_constant_memory().map_err(err)?;
    ws.set_name("Problem").map_err(err)?;
    let bold = Format::new().set_bold();
    let head = [
        "Fil / File",
        "Rad / Line",
        "Ärende-id / Record id",
        "Kolumn / Column",
        "Kolumn i Excel / Excel column",
        "Regel / Rule",
        "Regeln / The rule (sv)",
        "The rule (en)",
        "Vad som är fel (engelska) / What is wrong",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(err)?;
    }
    for (i, p) in problems.rows.iter().enumerate() {
        let r = i as u32 + 1;
        let (sv, en) = schema
            .rule(p.rule)
            .map_or((String::new(), String::new()), |d| (d.sv.clone(), d.en.clone()));
        ws.write_string(r, 0, &p.file).map_err(err)?;
        ws.write_number(r, 1, p.line as f64).map_err(err)?;
        ws.write_string(r, 2, p.record.as_deref().unwrap_or(""))
            .map_err(err)?;
        // The column as the sheet's header may name it, in Swedish, beside the contract's name.
        let column = schema
            .column_index(&p.column)
            .map(|i| &schema.columns[i])
            .map_or_else(|| p.column.clone(), |c| format!("{} ({})", c.name, c.sv));
        ws.write_string(r, 3, &column).map_err(err)?;
        ws.write_string(r, 4, &p.letter).map_err(err)?;
        ws.write_string(r, 5, p.rule).map_err(err)?;
        ws.write_string(r, 6, &sv).map_err(err)?;
        ws.write_string(r, 7, &en).map_err(err)?;
        ws.write_string(r, 8, &p.message).map_err(err)?;
    }
    if problems.more > 0 {
        let note = format!(
            "… {} problem(s) more than a sheet holds: all of them are in the quarantine's Parquet file",
            problems.more
        );
        ws.write_string(LISTED as u32 + 1, 0, &note).map_err(err)?;
    }
    book.save(path).map_err(err)
}

/// Where a row's values go: one file, one organisation's writers and counts.
pub(super) struct Target<'a> {
    pub(super) schema: &'a Schema,
    pub(super) map: &'a header::HeaderMap,
    pub(super) label: &'a str,
    pub(super) fallback: String,
}

pub(super) fn accepted(
    t: &Target,
    line: u64,
    rec: validate::CleanRecord,
    norms: &[validate::Normalisation],
    sinks: &mut Sinks,
    orgs: &mut BTreeMap<String, OrgCounts>,
) -> Result<(), StageError> {
    let year = t
        .schema
        .column_index("report_year")
        .and_then(|i| rec.values.get(i))
        .and_then(|v| v.as_deref())
        .and_then(|y| y.parse().ok());
    orgs.entry(rec.org_id.clone())
        .or_default()
        .accept(t.label, year, line, norms);
    let mut values: Vec<Value> = rec
        .values
        .into_iter()
        .zip(&t.schema.columns)
        .map(|(val, col)| match col.name.as_str() {
            "report_year" => Value::Int(val.and_then(|y| y.parse().ok())),
            _ => Value::Str(val),
        })
        .collect();
    values.push(Value::Str(Some(t.label.to_string())));
    values.push(Value::Int(Some(line as i64)));
    sinks.validated(t.schema, &rec.org_id)?.push(values)
}

pub(super) fn rejected(
    t: &Target,
    row: &read::Row,
    problems: Vec<validate::Problem>,
    sinks: &mut Sinks,
    orgs: &mut BTreeMap<String, OrgCounts>,
) -> Result<(), StageError> {
    let cell = |name: &str| {
        t.schema
            .column_index(name)
            .and_then(|i| t.map.source[i])
            .and_then(|p| row.cells.get(p))
            .map(|s| s.trim())
            .map(|s| super::fields::excel_text(s).unwrap_or(s))
    };
    let org = cell("org_id")
        .and_then(|raw| super::fields::member_code(t.schema, raw))
        .unwrap_or_else(|| t.fallback.clone());
    // A row of the wrong shape has its cells out of place: its "record id" may be a name (an
    // outside review's family name was listed as one), so none is shown for it.
    // (A line an unclosed quote took is read as a row of its own, its cells in place.)
    let misshapen = problems.iter().any(|p| p.rule == "bad_row_shape");
    let record = cell("record_id").filter(|_| !misshapen).map(|s| truncate(s, 200));
    orgs.entry(org.clone())
        .or_default()
        .reject(t.label, row.line, &problems);
    let staff = sinks.problems.entry(org.clone()).or_default();
    for p in &problems {
        if staff.rows.len() >= LISTED {
            staff.more += 1;
            continue;
        }
        let letter = t
            .schema
            .column_index(&p.column)
            .and_then(|i| t.map.source[i])
            .map(|pos| {
                validate::excel_letters(
                    t.map
                        .sheet_columns
                        .as_ref()
                        .and_then(|c| c.get(pos))
                        .copied()
                        .unwrap_or(pos),
                )
            })
            .unwrap_or_default();
        staff.rows.push(ProblemRow {
            file: t.label.to_string(),
            line: row.line,
            record: record.clone(),
            column: p.column.clone(),
            letter,
            rule: p.rule,
            message: p.message.clone(),
        });
    }
    let sink = sinks.quarantine(&org)?;
    for p in problems {
        sink.push(vec![
            Value::Str(Some(t.label.to_string())),
            Value::Int(Some(row.line as i64)),
            Value::Str(Some(org.clone())),
            Value::Str(record.clone()),
            Value::Str(Some(p.column)),
            Value::Str(Some(p.rule.to_string())),
            Value::Str(Some(p.value)),
            Value::Str(Some(p.message)),
        ])?;
    }
    Ok(())
}
