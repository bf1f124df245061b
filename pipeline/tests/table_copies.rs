//! The CSV copy written beside each table from the frame in memory says exactly what reading
//! the Parquet back would (the site links the copy; older data directories convert instead).

use pipeline::{ingest, schema, storage};
use std::path::Path;

#[test]
fn the_csv_copy_is_the_parquet_as_csv() {
    let raw = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/raw");
    let ingested = ingest::ingest(&raw).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (report, _) = ingest::write_outputs(ingested, dir.path()).unwrap();
    assert!(report.points > 100, "the bundled catalog has its points");
    let parquet = dir.path().join(storage::BENCHMARKS_FILE);
    let copy = std::fs::read(
        dir.path()
            .join(storage::csv_copy_of(storage::BENCHMARKS_FILE)),
    )
    .unwrap();
    assert_eq!(copy, schema::parquet_to_csv(&parquet).unwrap());
    assert_eq!(storage::csv_copy_of("profiles.parquet"), "profiles.csv");
}
