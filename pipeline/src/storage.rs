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

/// What places a record in the table: its profile, load, file and label.
#[derive(Debug, Clone, Copy)]
pub struct CurvePlace<'a> {
    pub profile_id: &'a str,
    pub load: Load,
    pub source_file: &'a str,
    pub label: Option<&'a str>,
}

impl<'a> CurvePlace<'a> {
    pub fn of(row: &'a BenchmarkRow) -> Self {
        Self {
            profile_id: &row.profile_id,
            load: row.point.load,
            source_file: &row.source_file,
            label: row.point.label.as_deref(),
        }
    }

    /// Orders records into curves: by profile, then load (rate and concurrency by value,
    /// unbounded last), then file and label for a stable tie-break.
    pub fn curve_cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.profile_id
            .cmp(other.profile_id)
            .then_with(|| self.within_curve_cmp(other))
    }

    /// Orders two records of one profile: [`Self::curve_cmp`] without comparing the profile.
    pub fn within_curve_cmp(&self, other: &Self) -> std::cmp::Ordering {
        let load_key = |load: Load| {
            let kind_rank = match load {
                Load::Rate(_) => 0,
                Load::Concurrency(_) => 1,
                Load::Unbounded => 2,
            };
            (kind_rank, load.value().unwrap_or(f64::INFINITY))
        };
        let (ka, va) = load_key(self.load);
        let (kb, vb) = load_key(other.load);
        ka.cmp(&kb)
            .then(va.total_cmp(&vb))
            .then_with(|| self.source_file.cmp(other.source_file))
            .then_with(|| self.label.cmp(&other.label))
    }
}

/// Orders rows into curves ([`CurvePlace::curve_cmp`]).
pub fn curve_order(a: &BenchmarkRow, b: &BenchmarkRow) -> std::cmp::Ordering {
    CurvePlace::of(a).curve_cmp(&CurvePlace::of(b))
}
