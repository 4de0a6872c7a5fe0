//! Why the aggregated tables cannot be made from the persons as they are.

/// The aggregate stage (or a stage reading its tables) refuses the persons or the tables.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// A person's code that the table's public domain does not know: never silently dropped.
    /// The code is not shown (a persons file changed by hand may hold anything).
    #[error(
        "table {table}: person row {row} has a code in column {column} that dimension {dimension} does not know (not shown: a persons file changed by hand may hold anything; link again, or check the table's codes in schemas/tables.json)"
    )]
    OutsideDomain {
        table: String,
        /// The person's row, counted from 1.
        row: usize,
        column: String,
        dimension: String,
    },
    /// Persons reported by the synthetic sample's organisations and by real members at once.
    #[error(
        "the persons were reported by the synthetic sample's organisations ({}) and by real members ({}): sample files are demo data and must not be counted with real records; ingest and link without them",
        .sample.join(", "),
        .members.join(", ")
    )]
    SampleWithMembers {
        sample: Vec<String>,
        members: Vec<String>,
    },
    /// Two tables declared linked whose counts disagree at the cell `codes` of `other`.
    #[error(
        "tables {table} and {other} are declared linked but disagree at {codes:?}: {sum} against {target}"
    )]
    LinkedDisagree {
        table: String,
        other: String,
        codes: Vec<String>,
        sum: u64,
        target: u64,
    },
    /// The persons span several report years; tables are made for one.
    #[error(
        "the persons span report years {years:?}; tables are made per report year, so ingest and link one year at a time"
    )]
    SeveralYears { years: Vec<i64> },
    /// The aggregated tables' report has no report year.
    #[error("the aggregated tables have no report year")]
    NoReportYear,
}
