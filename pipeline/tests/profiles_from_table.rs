//! The analysis reads curves straight from the benchmarks table; they must be the profiles
//! that grouping the table's rows gives, whatever order the table's rows are in.

use pipeline::analysis::{group_profiles, profiles_from_table};
use pipeline::schema::{from_dataframe, into_dataframe, to_dataframe};
use std::path::Path;

fn bundled_rows() -> Vec<pipeline::schema::BenchmarkRow> {
    let raw = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/raw");
    pipeline::ingest::ingest(&raw).unwrap().rows
}

#[test]
fn curves_from_the_table_equal_the_grouped_rows() {
    let mut rows = bundled_rows();
    assert!(rows.len() > 100, "the bundled catalog has its curves");
    // Loads measured twice (a second file of the same run): merged into means and repeats.
    let again: Vec<_> = rows
        .iter()
        .step_by(7)
        .map(|r| {
            let mut r = r.clone();
            r.source_file.push_str(".again");
            r.point.output_tokens_per_s *= 1.1;
            r
        })
        .collect();
    rows.extend(again);
    // Reversed, and every third row moved to the end: not the order ingest writes.
    rows.reverse();
    let (kept, moved): (Vec<_>, Vec<_>) =
        rows.into_iter().enumerate().partition(|(i, _)| i % 3 != 0);
    let rows: Vec<_> = kept.into_iter().chain(moved).map(|(_, r)| r).collect();
    let df = to_dataframe(&rows).unwrap();
    let from_table = profiles_from_table(&df).unwrap();
    let grouped = group_profiles(&from_dataframe(&df).unwrap());
    assert_eq!(from_table.len(), grouped.len());
    assert!(
        grouped.iter().any(|p| !p.repeats.is_empty()),
        "some bundled load is measured twice (merged repeats are compared too)"
    );
    for (a, b) in from_table.iter().zip(&grouped) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"), "profile {}", b.id);
    }
}

#[test]
fn an_empty_table_has_no_curves() {
    let df = to_dataframe(&[]).unwrap();
    assert!(profiles_from_table(&df).unwrap().is_empty());
}

#[test]
fn a_null_key_in_any_row_is_an_error_naming_the_column() {
    let rows = bundled_rows();
    let mut df = to_dataframe(&rows).unwrap();
    // A later row of some curve, not the first: every row is checked, not only the one that
    // names its profile.
    let last = rows.len() - 1;
    let models: Vec<Option<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (i != last).then(|| r.key.model.clone()))
        .collect();
    df.with_column(polars::prelude::Column::new("model".into(), models))
        .unwrap();
    let err = profiles_from_table(&df).unwrap_err().to_string();
    assert!(err.contains("`model` has a null"), "{err}");
    assert!(err.contains(&format!("row {last}")), "{err}");
}

#[test]
fn a_table_made_chunk_by_chunk_is_the_table_made_at_once() {
    let bundled = bundled_rows();
    // Enough rows for several chunks and a partial one, whatever the bundled catalog's size.
    let copies = 20_000 / bundled.len() + 2;
    let rows: Vec<_> = (0..copies)
        .flat_map(|n| {
            bundled.iter().map(move |r| {
                let mut r = r.clone();
                r.source_file = format!("{}.copy{n}", r.source_file);
                r
            })
        })
        .collect();
    let mut whole = to_dataframe(&rows).unwrap();
    let mut chunked = into_dataframe(rows).unwrap();
    assert!(chunked.height() > 2 * 8192, "made in several chunks");
    assert!(
        chunked.columns().iter().all(|c| c.n_chunks() == 1),
        "joined into one chunk per column, as the table made at once"
    );
    assert_eq!(chunked.schema(), whole.schema(), "same columns and types");
    assert!(chunked.equals_missing(&whole), "same values");
    // The same bytes on disk, so a refresh writes the table a full build writes.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    pipeline::schema::write_parquet(&mut whole, &a).unwrap();
    pipeline::schema::write_parquet(&mut chunked, &b).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // The analysis reads a frame of several chunks as it reads one of one.
    let (a, b) = (
        profiles_from_table(&chunked).unwrap(),
        profiles_from_table(&whole).unwrap(),
    );
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

#[test]
fn small_and_empty_tables_are_one_chunk() {
    let rows = bundled_rows();
    let n = rows.len().min(10);
    let small = into_dataframe(rows.iter().take(n).cloned().collect()).unwrap();
    assert_eq!(small.height(), n);
    assert_eq!(small.first_col_n_chunks(), 1);
    assert!(small.equals_missing(&to_dataframe(&rows[..n]).unwrap()));
    let empty = into_dataframe(Vec::new()).unwrap();
    assert_eq!(empty.height(), 0);
    assert!(empty.equals_missing(&to_dataframe(&[]).unwrap()));
}
