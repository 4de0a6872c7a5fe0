//! `safetally template`: the XLSX the platform hands its members. One column per contract
//! column, drop-down lists of the codes by their Swedish labels (which ingest reads as codes),
//! a sheet explaining every column, and the code lists themselves.

use std::path::Path;

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, Formula, Workbook, Worksheet, XlsxError,
};

use crate::error::StageError;
use crate::schema::{Column, ColumnKind, ColumnType, MemberKind, Schema};

pub const DATA_SHEET: &str = "Kontakter";
pub const HELP_SHEET: &str = "Instruktioner";
pub const CODES_SHEET: &str = "Koder";
/// Rows prepared with drop-downs.
const ROWS: u32 = 2000;

fn err(path: &Path) -> impl Fn(XlsxError) -> StageError + '_ {
    move |e| StageError::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// What a column's drop-down offers: Swedish labels, member codes or country names.
fn choices(schema: &Schema, c: &Column) -> Option<Vec<String>> {
    match c.ty {
        ColumnType::Code => schema
            .list_for(c)
            .map(|l| l.codes.iter().map(|x| x.sv.clone()).collect()),
        ColumnType::Country => {
            let mut v: Vec<String> = schema.countries.iter().map(|x| x.name_sv.clone()).collect();
            v.sort();
            v.push(schema.unknown_country.sv.clone());
            Some(v)
        }
        ColumnType::Member => Some(
            schema
                .members
                .iter()
                .filter(|m| m.kind == MemberKind::Member)
                .map(|m| m.org_id.clone())
                .collect(),
        ),
        _ => None,
    }
}

fn column_letter(mut i: u16) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (i % 26) as u8) as char);
        if i < 26 {
            return s;
        }
        i = i / 26 - 1;
    }
}

pub fn write_template(schema: &Schema, path: &Path) -> Result<(), StageError> {
    let e = err(path);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    // Identifiers and dates are typed as text: Excel would otherwise drop the leading zero of
    // a personal number of someone born in 2000-2009, and turn "1990-05" into 1 May 1990.
    let text = Format::new().set_num_format("@");
    let mut lists: Vec<(u16, Vec<String>)> = Vec::new();
    {
        let data = book.add_worksheet().set_name(DATA_SHEET).map_err(&e)?;
        for (i, c) in schema.columns.iter().enumerate() {
            let col = i as u16;
            data.write_string_with_format(0, col, &c.name, &bold)
                .map_err(&e)?;
            data.set_column_width(col, (c.name.len() as f64 + 4.0).max(14.0))
                .map_err(&e)?;
            if matches!(
                c.ty,
                ColumnType::Text | ColumnType::Name | ColumnType::PersonalNumber | ColumnType::PartialDate
            ) {
                data.set_column_format(col, &text).map_err(&e)?;
            }
            if let Some(v) = choices(schema, c) {
                lists.push((col, v));
            }
        }
        data.set_freeze_panes(1, 0).map_err(&e)?;
        for (k, (col, v)) in lists.iter().enumerate() {
            validation(data, schema, *col, (k as u16, v)).map_err(&e)?;
        }
    }
    help_sheet(book.add_worksheet(), schema, &bold).map_err(&e)?;
    let codes = book.add_worksheet().set_name(CODES_SHEET).map_err(&e)?;
    for (k, (col, v)) in lists.iter().enumerate() {
        let name = &schema.columns[*col as usize].name;
        codes
            .write_string_with_format(0, k as u16, name, &bold)
            .map_err(&e)?;
        for (r, x) in v.iter().enumerate() {
            codes.write_string(r as u32 + 1, k as u16, x).map_err(&e)?;
        }
    }
    book.save(path).map_err(&e)
}

fn validation(
    ws: &mut Worksheet,
    schema: &Schema,
    col: u16,
    (list_col, choices): (u16, &[String]),
) -> Result<(), XlsxError> {
    let len = choices.len();
    let c = &schema.columns[col as usize];
    let letter = column_letter(list_col);
    let formula = Formula::new(format!("={CODES_SHEET}!${letter}$2:${letter}${}", len + 1));
    let mut v = DataValidation::new()
        .allow_list_formula(formula)
        .set_input_title(truncate(&c.sv, 32))?
        .set_input_message(truncate(&c.help_sv, 255))?;
    if c.multi {
        // Several codes go in one cell separated by ';', which a list cannot offer: warn only.
        v = v
            .set_error_style(DataValidationErrorStyle::Information)
            .set_error_message(format!(
                "Flera värden: skriv dem åtskilda med ; (t.ex. {}).",
                choices.iter().take(2).cloned().collect::<Vec<_>>().join(";")
            ))?;
    } else if c.ty == crate::schema::ColumnType::Country {
        // The help says an ISO code (SE) is as good as the country's name, which a list
        // that stops any other entry would refuse: warn only, ingest checks the code.
        v = v
            .set_error_style(DataValidationErrorStyle::Information)
            .set_error_message("Välj ett land i listan (bladet Koder) eller skriv dess ISO-kod, t.ex. SE.")?;
    } else {
        v = v.set_error_message("Välj ett värde i listan (bladet Koder).")?;
    }
    ws.add_data_validation(1, col, ROWS, col, &v)?;
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn help_sheet(ws: &mut Worksheet, schema: &Schema, bold: &Format) -> Result<(), XlsxError> {
    ws.set_name(HELP_SHEET)?;
    let head = [
        "kolumn / column",
        "svenska",
        "English",
        "krav / required",
        "beskrivning",
        "description",
        "koder / codes",
    ];
    for (i, h) in head.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *h, bold)?;
    }
    ws.write_string(
        0,
        8,
        "En rad = en person som organisationen mött under året. Tom cell = ej besvarad; \"Vet ej\" = frågat men okänt. / One row = one person the organisation met in the year. Empty = not answered; \"Vet ej\" = asked, not known.",
    )?;
    for (r, c) in schema.columns.iter().enumerate() {
        let r = r as u32 + 1;
        let need = match c.kind {
            ColumnKind::Required => "obligatorisk / required",
            ColumnKind::Identifier => "identifierare (stannar hos er) / identifier (stays with you)",
            _ => "frivillig / optional",
        };
        let codes = schema
            .list_for(c)
            .map(|l| {
                l.codes
                    .iter()
                    .map(|x| format!("{} = {}", x.sv, x.code))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let (multi_sv, multi_en) = if c.multi {
            (" Flera värden åtskilda med ;.", " Several values separated by ;.")
        } else {
            ("", "")
        };
        for (i, v) in [
            c.name.clone(),
            c.sv.clone(),
            c.en.clone(),
            need.to_string(),
            format!("{}{multi_sv}", c.help_sv).trim().to_string(),
            format!("{}{multi_en}", c.help_en).trim().to_string(),
            codes,
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(r, i as u16, v)?;
        }
    }
    ws.set_column_width(0, 26)?;
    ws.set_column_width(4, 60)?;
    ws.set_column_width(5, 60)?;
    Ok(())
}
