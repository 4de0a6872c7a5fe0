//! Every kind of bad input the contract names: each gets a clear, located message and nothing
//! is lost (ingest's own `balanced()` check runs inside every call of `ingest`).
//! One test binary; its tests are in modules by concept, sharing the helpers in `support`.

mod support;

mod answers;
mod columns;
mod dates;
mod encodings;
mod excel_cells;
mod files;
mod headers;
mod identifiers;
mod parquet_files;
mod problem_report;
mod relations;
mod review_of_0_10;
mod rows;
mod sheets;
