//! The catalog's tables on disk: their file names in `output/data/`, and the order rows are
//! stored in (curves: by profile, then load). Every stage and the binary take names and order
//! from here, so no stage imports another to find them.

use crate::point::Load;
use crate::schema::BenchmarkRow;

/// One row per measured point (`schema` documents the columns).
pub const BENCHMARKS_FILE: &str = "benchmarks.parquet";
/// The CSV copy of a table, written beside it when the table is (the site's downloads).
pub fn csv_copy_of(table: &str) -> String {
    format!("{}.csv", table.strip_suffix(".parquet").unwrap_or(table))
}
/// What ingest read, rejected and split (`report::IngestReport`).
pub const REPORT_FILE: &str = "ingest-report.json";
/// One row per profile at its knee (`analysis::profiles_table` documents the columns).
pub const PROFILES_FILE: &str = "profiles.parquet";
/// Price sources, rejected prices and disagreements between sources.
pub const PRICE_REPORT_FILE: &str = "price-report.json";

/// Orders rows into curves: by profile, then load (rate and concurrency by value, unbounded
/// last), then file and label for a stable tie-break.
pub fn curve_order(a: &BenchmarkRow, b: &BenchmarkRow) -> std::cmp::Ordering {
    let load_key = |r: &BenchmarkRow| {
        let kind_rank = match r.point.load {
            Load::Rate(_) => 0,
            Load::Concurrency(_) => 1,
            Load::Unbounded => 2,
        };
        (kind_rank, r.point.load.value().unwrap_or(f64::INFINITY))
    };
    a.profile_id
        .cmp(&b.profile_id)
        .then_with(|| {
            let (ka, va) = load_key(a);
            let (kb, vb) = load_key(b);
            ka.cmp(&kb).then(va.total_cmp(&vb))
        })
        .then_with(|| a.source_file.cmp(&b.source_file))
        .then_with(|| a.point.label.cmp(&b.point.label))
}
