//! Errors of a file that cannot be read as a table, and where in it the problem is.

use std::path::PathBuf;

/// A file that cannot be read at all. It fails alone; the other files still go through.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: cannot open the file: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error(
        "{path}: this is not a text table (it looks like a binary file); export it as CSV, XLSX or Parquet"
    )]
    Binary { path: PathBuf },
    /// Text in an encoding ingest does not read (UTF-32, UTF-16 without its byte-order mark):
    /// told as such, not as binary or as a file cut short.
    #[error(
        "{path}: the file is text in {what}, which ingest does not read; save it again as \"CSV UTF-8\" (in Excel: Save as, file format \"CSV UTF-8 (kommaavgränsad)\") and send it again"
    )]
    OtherEncoding { path: PathBuf, what: &'static str },
    #[error(
        "{path}: the file is {what} under {named} name; rename it to end in .{ext} (or export it again in the format its name says) and run again"
    )]
    Misnamed {
        path: PathBuf,
        what: &'static str,
        /// What the file's name says it is: "a text file's", "a Parquet file's".
        named: &'static str,
        ext: &'static str,
    },
    #[error(
        "{at}: the file has a header but no data rows; if the organisation met nobody this year, leave the file out (the other files are read all the same), otherwise export it again with its rows"
    )]
    HeaderOnly { at: Place },
    #[error(
        "{path}: the file starts as UTF-16 text but holds bytes that are not UTF-16 (cut short, or joined with a file of another encoding); save it again as \"CSV UTF-8\" (in Excel: Save as, file format \"CSV UTF-8 (kommaavgränsad)\")"
    )]
    BrokenUtf16 { path: PathBuf },
    #[error(
        "{path}: {location}: bytes that are not UTF-8 ({places} place(s) in the file), though the rest of the file is UTF-8: a letter was cut short or typed in another encoding (two files joined, or the file edited by a program that guessed its encoding wrong); retype the cell there and save the file again as \"CSV UTF-8\" (in Excel: Save as, file format \"CSV UTF-8 (kommaavgränsad)\")"
    )]
    BrokenUtf8 {
        path: PathBuf,
        location: String,
        places: usize,
    },
    #[error(
        "{path}: {location}: a byte that starts a UTF-8 letter (as Å, Ä, Ö or É) stands without the rest of that letter; read as Windows-1252 it would be \"Ã\" before a small letter or at the end of the name, which no name has. The letter was cut short (a program that shortened the cell, or two files joined); retype the cell there and save the file again as \"CSV UTF-8\" (in Excel: Save as, file format \"CSV UTF-8 (kommaavgränsad)\")"
    )]
    CutShortUtf8 { path: PathBuf, location: String },
    #[error(
        "{path}: {location}: the file mixes bytes that read as UTF-8 letters with bytes that do not, so it is read neither as UTF-8 nor as Windows-1252 (two files of different encodings joined, or Windows-1252 letters that look like UTF-8 ones, as Å before a dash); save it as \"CSV UTF-8\" (in Excel: Save as, file format \"CSV UTF-8 (kommaavgränsad)\") and send it again"
    )]
    MixedEncoding { path: PathBuf, location: String },
    #[error("{at}: required column(s) missing from the header: {missing}; the header has: {found}")]
    MissingColumns {
        at: Place,
        missing: String,
        found: String,
    },
    /// The first line is data, not a header: its cells (a person's name and number) are not
    /// echoed, since the message goes to the terminal and to logs.
    #[error(
        "{at}: required column(s) missing from the header: {missing}; {line} does not look like a header ({named} of {cells} cells are column names): the header row, as in the template, must be the first {kind}{note}",
        line = .at.header_place(),
        kind = if .at.sheet.is_some() { "row" } else { "line" },
        note = if *.named == 0 && *.cells <= 2 { "; if the file is a note, not a table of records, move it out of the folder of submissions" } else { "" }
    )]
    NotAHeader {
        at: Place,
        missing: String,
        named: usize,
        cells: usize,
    },
    #[error(
        "{at}: the header's column names are separated by {separator:?}, not by the separator the file was read with; ingest reads columns separated by ';', ',' or tab, the one its first line uses most (or the one a first line 'sep=' names): save the file again as CSV with one of them, or delete a 'sep=' line that names another"
    )]
    WrongSeparator { at: Place, separator: char },
    #[error(
        "{at}: unknown column(s) {columns}; rename them to contract columns or pass --ignore-extra-columns"
    )]
    ExtraColumns { at: Place, columns: String },
    /// Unknown columns named as a code list's answers (one column per answer, each marked
    /// with an X), or as names, where the file lacks the column they would be: the advice
    /// fits that layout better than "unknown columns". With --ignore-extra-columns they are
    /// left out, with a warning (`ingest::ignored`): they may hold something else.
    #[error(
        "{at}: unknown column(s) {columns}, and the file has no column {column}: {advice}; if they hold something else, rename them to contract columns or pass --ignore-extra-columns"
    )]
    AnswersAsColumns {
        at: Place,
        columns: String,
        column: String,
        advice: Box<str>,
    },
    /// A row that repeats the header with the columns in another order.
    #[error(
        "{at}: line {line} repeats the header with the columns in another order ({moved}), so the rows below it would be read under the wrong columns: put those rows in a file of their own with their header, or move their cells into the first header's order, and delete line {line}"
    )]
    ReorderedHeader { at: Place, line: u64, moved: String },
    /// Unknown columns near a contract column the file lacks: never left out on request.
    #[error(
        "{at}: column(s) {near} seem to be contract columns under another name: rename each to the contract column named (as the template's header has it) and send the file again. --ignore-extra-columns does not leave such a column out, since its answers (names, a birth date or a personal number among them) would be lost unseen{others}"
    )]
    NearColumns { at: Place, near: String, others: String },
    #[error(
        "{at}: {line} holds every column name and then {cells} more cell(s) that look like a record's answers, as if the first record were on the header's line (a line break lost?); put that record on a line of its own, under the header (its cells are not shown, since they may be a person's details)",
        line = .at.header_place()
    )]
    RecordOnHeaderLine { at: Place, cells: usize },
    /// A header failure on a sheet whose header cells are merged across columns.
    #[error(
        "{inner}; the header cell(s) {merges} are merged across columns, so every column of a merge but its first has no header of its own: unmerge them (Home > Merge & Center) and give each column its own contract name"
    )]
    MergedHeader { inner: Box<FileError>, merges: String },
    /// A column headed like a running number of the rows that holds a number as long as a
    /// personal number: passed over by its header alone, a column of personal numbers headed
    /// `Nummer` was lost unseen.
    #[error(
        "{at}: column {column} is headed like a running number of the rows, but its {kind} {line} holds a number of 10 digits or more, as a personal number has (not shown), so it is not passed over: {advice}",
        kind = if .at.sheet.is_some() || .at.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) { "row" } else { "line" },
        advice = if *.pnr_column {
            "the file has a personal_number column too; if this one holds personal numbers, keep the column that holds them right under that name and delete the other; if it is a column of the organisation's own, delete it or pass --ignore-extra-columns"
        } else {
            "if it holds the personal numbers, head it personal_number (personnummer); if it is a column of the organisation's own, delete it"
        }
    )]
    NotRunningNumbers {
        at: Place,
        column: String,
        line: u64,
        /// Whether the file has a personal_number column of its own.
        pnr_column: bool,
    },
    /// `cells`: the two header cells as written, when they differ (an alias beside its column).
    #[error("{at}: column {column} appears twice in the header{cells}")]
    DuplicateColumn {
        at: Place,
        column: String,
        cells: String,
    },
    /// The file ends inside its last line, short of fields and without a line ending: the
    /// mark of a copy or an upload stopped part way, whose rest is missing. Padding that row
    /// with empty cells (as a short row Excel wrote is read) dropped its last answers unseen.
    #[error(
        "{path}, line {line}: the file is incomplete (cut short in a copy or an upload?): it ends inside this line, which has {fields} of the header's {width} fields{quote} and no line ending, so the rest of the file is missing; copy or export the whole file again and send it again"
    )]
    CutShort {
        path: PathBuf,
        line: u64,
        fields: usize,
        width: usize,
        /// ", the last of them in a quote that is never closed", when the cut fell inside one.
        quote: &'static str,
    },
    #[error("{path}, line {line}: {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// Text garbled before the file was saved; `location` names the line (or the header)
    /// and the column, never the value, which is a person's name.
    #[error(
        "{at}, {location}: the text is garbled (wrong encoding): letters such as å, ä, ö and é are written as two characters each (Ã¥, Ã¤, Ã¶, Ã©), as when Excel opens a UTF-8 file as Windows-1252 and it is saved again, so names would be read with the wrong letters; export the records again from the original (to open a CSV in Excel, use Data > From Text/CSV with File origin \"65001: Unicode (UTF-8)\"), save as \"CSV UTF-8 (kommaavgränsad)\" and send it again"
    )]
    Mojibake { at: Place, location: String },
    #[error("{path}: cannot read the workbook: {message}")]
    Xlsx { path: PathBuf, message: String },
    #[error("{path}: no sheet named {sheet:?}; the workbook has: {available}")]
    NoSuchSheet {
        path: PathBuf,
        sheet: String,
        available: String,
    },
    #[error("{path}: cannot read the Parquet file: {message}")]
    Parquet { path: PathBuf, message: String },
    #[error("{path}: unsupported file type; send .csv, .xlsx or .parquet")]
    UnsupportedType { path: PathBuf },
    /// The linkage key kept among the submissions: it goes wherever their folder is copied,
    /// sent or backed up, where only the organisations and the key custodian may hold it.
    #[error(
        "{path}: {what}, so it is not read. The key must not be kept among the submissions, since it would travel with them wherever their folder is copied, sent or backed up: move it out of this folder, to where only those who pseudonymise can read it, and run again{passed}",
        passed = if *.passed { " giving its new place as --key" } else { "" }
    )]
    LinkageKey {
        path: PathBuf,
        /// What the file is taken for, and why.
        what: String,
        /// Whether it is the very file `run` was given as --key.
        passed: bool,
    },
    #[error("{path}: the file changed while it was being ingested; run ingest again")]
    Changed { path: PathBuf },
    #[error("{path}: {what}, not a file; ingest reads only regular files")]
    NotAFile { path: PathBuf, what: &'static str },
}

/// Where a table is: its file, and the sheet when the file is a workbook (a workbook's sheets
/// are read and fail one by one, so a message must say which).
#[derive(Debug, Clone)]
pub struct Place {
    pub path: PathBuf,
    pub sheet: Option<String>,
    /// The line (row of a sheet) the header is on: 1 unless a title or blank lines are above.
    pub header_line: u64,
}

impl Place {
    /// The header's line as a message names it: "the first line", or its number when a title
    /// was passed over above it (the first line is then the title).
    fn header_place(&self) -> String {
        let what = if self.sheet.is_some() { "row" } else { "line" };
        match self.header_line {
            0 | 1 => format!("the first {what}"),
            n => format!("{what} {n}"),
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.sheet {
            Some(sheet) => write!(f, "{}, sheet {sheet:?}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}
