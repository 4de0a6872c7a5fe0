//! The release as one workbook for Excel users: an "About" sheet and one sheet per table,
//! counts as numbers, suppressed cells as the mark.

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

use super::rows::{Field, Sheet};
use crate::error::StageError;
use crate::protect::ProtectReport;
use crate::tables::{Table, Tables};

fn err(path: &Path, e: rust_xlsxwriter::XlsxError) -> StageError {
    StageError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

pub fn workbook(
    path: &Path,
    tables: &Tables,
    sheets: &[(&Table, Sheet)],
    comparison: &Sheet,
    report: &ProtectReport,
) -> Result<(), StageError> {
    let mut book = Workbook::new();
    // A fixed creation time (the zip format's earliest date, which the workbook's zip entries
    // carry too) instead of the clock's: the release id hashes the files, so the same tables
    // published twice must be the same bytes and the same release.
    let created = ExcelDateTime::from_ymd(1980, 1, 1).map_err(|e| err(path, e))?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    let about = book
        .add_worksheet()
        .set_name("Om - About")
        .map_err(|e| err(path, e))?;
    let lines = [
        format!(
            "safetally, rapportår / report year {}",
            report.report_year.map_or("?".into(), |y| y.to_string())
        ),
        hidden_mark(report),
        "Se methods.md / see methods.md.".to_string(),
    ];
    for (r, l) in lines.iter().enumerate() {
        about.write_string(r as u32, 0, l).map_err(|e| err(path, e))?;
    }
    for (i, t) in tables.tables.iter().enumerate() {
        about
            .write_string(
                lines.len() as u32 + 1 + i as u32,
                0,
                format!("{}: {} / {}", t.id(), t.spec.title.sv, t.spec.title.en),
            )
            .map_err(|e| err(path, e))?;
    }
    about
        .write_string(
            lines.len() as u32 + 1 + tables.tables.len() as u32,
            0,
            format!("T22: {COMPARISON_TITLE}"),
        )
        .map_err(|e| err(path, e))?;
    for (t, s) in sheets {
        let title = format!("{} {} / {}", t.id(), t.spec.title.sv, t.spec.title.en);
        let pop = format!("{} / {}", t.spec.population.sv, t.spec.population.en);
        write_sheet(&mut book, path, t.id(), &[title, pop], s, &bold)?;
    }
    // Two lines above the header, as every table's sheet has (title and population), so a
    // reader skipping three rows gets every sheet's header (T22's was on row 3, the others' on
    // row 4, an outside review found).
    write_sheet(
        &mut book,
        path,
        "T22",
        &[format!("T22 {COMPARISON_TITLE}"), COMPARISON_UNITS.to_string()],
        comparison,
        &bold,
    )?;
    book.save(path).map_err(|e| err(path, e))
}

const COMPARISON_TITLE: &str = "Jämförelse med officiell statistik / Comparison with official statistics";
const COMPARISON_UNITS: &str = "Plattformens personer och officiella figurer i sina egna enheter (kolumnen unit) / The platform's persons and official figures in their own units (column unit)";

/// What `..` means in this release: exact mode hides true small counts and what would reveal
/// them; DP mode hides cells whose noisy count is small, and every count carries noise.
fn hidden_mark(report: &ProtectReport) -> String {
    match &report.dp {
        Some(d) => format!(
            "Alla tal har slumpmässigt brus (differentiell integritet, OpenDP); kolumnen noise_scale anger brusets standardavvikelse och interval95_low/high ett ungefärligt 95 %-intervall. '..' = dolt: det brusade talet var 1-{0} (beslutet fattas på det brusade talet, inte det verkliga). / Every count carries random noise (differential privacy, OpenDP); the noise_scale column gives its standard deviation and interval95_low/high an approximate 95% interval. '..' = hidden: the noisy count was 1 to {0} (decided on the noisy count, never the true one).",
            d.suppress_below.saturating_sub(1)
        ),
        None => format!(
            "'..' = dolt, färre än {0} personer eller dolt för att skydda en annan cell / hidden: fewer than {0} persons, or hidden to protect another cell.",
            report.params.threshold
        ),
    }
}

fn write_sheet(
    book: &mut Workbook,
    path: &Path,
    name: &str,
    title: &[String],
    s: &Sheet,
    bold: &Format,
) -> Result<(), StageError> {
    let ws = book.add_worksheet().set_name(name).map_err(|e| err(path, e))?;
    for (r, t) in title.iter().enumerate() {
        ws.write_string_with_format(r as u32, 0, t, bold)
            .map_err(|e| err(path, e))?;
    }
    let top = title.len() as u32 + 1;
    for (c, h) in s.header.iter().enumerate() {
        ws.write_string_with_format(top, c as u16, h, bold)
            .map_err(|e| err(path, e))?;
    }
    for (r, row) in s.rows.iter().enumerate() {
        let r = top + 1 + r as u32;
        for (c, f) in row.iter().enumerate() {
            let c = c as u16;
            match f {
                Field::Count(Some(v)) => ws.write_number(r, c, *v as f64).map(|_| ()),
                // Rounded once where the share was computed: the CSV prints the same number.
                Field::Share(Some(v)) => ws.write_number(r, c, *v).map(|_| ()),
                Field::Blank => Ok(()),
                Field::Scale(Some(v)) => ws.write_number(r, c, (v * 100.0).round() / 100.0).map(|_| ()),
                other => ws.write_string(r, c, other.text()).map(|_| ()),
            }
            .map_err(|e| err(path, e))?;
        }
    }
    Ok(())
}
