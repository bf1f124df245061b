//! infercat's pipeline: raw benchmark files -> normalized points -> Parquet -> per-profile analysis.
//!
//! Where things live: `formats/` reads each tool's raw output (one file per format behind
//! [`formats::RawFormat`]); `run_meta` reads a run's `run.toml`; `point` is the normalized
//! measurement; `schema` owns the `benchmarks.parquet` columns; `ingest` walks `data/raw/`.

pub mod analysis;
pub mod analyze;
pub mod background;
pub mod companion;
pub mod csv_copy;
pub mod digest;
pub mod document;
pub mod error;
pub mod file_stamps;
pub mod formats;
pub mod framed_file;
pub mod ingest;
pub mod machines;
pub mod model_facts;
pub mod oci;
pub mod output_dir;
pub mod parse_cache;
pub mod path_words;
pub mod point;
pub mod previous_table;
pub mod pricing;
pub mod profile;
pub mod profile_identity;
pub mod progress;
pub mod record_fields;
pub mod report;
pub mod run_meta;
pub mod schema;
pub mod slots;
pub mod storage;
pub mod synth;
pub mod timing;
pub mod topology;
pub mod workload;

pub use error::{FormatError, PipelineError};

/// A fingerprint of this crate's sources (`build.rs`): what a build cached from the pipeline's
/// output is stale when it changes.
pub const SOURCE_FINGERPRINT: &str = env!("INFERCAT_PIPELINE_SOURCE");
