//! safetally: turns many organisations' case records into statistics that are safe to publish.
//! One module per stage; each reads the previous stage's folder and writes its own.

pub mod dates;
pub mod error;
pub mod ingest;
pub mod journalist;
pub mod key;
pub mod link;
pub mod open_table;
pub mod parallel;
pub mod parquet_io;
pub mod pnr;
pub mod progress;
pub mod protect;
pub mod pseudonymise;
pub mod publish;
pub mod repeats;
pub mod report;
pub mod run;
pub mod sample;
pub mod schema;
pub mod sha256x;
pub mod stage;
pub mod tables;
pub mod template;
pub mod worklock;

/// A hash map with foldhash's fast fixed hash (already built for polars), for dictionary codes
/// and the pseudonymiser's caches.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
