//! Where the analyze stage spends its time on a built catalog: reading `benchmarks.parquet`,
//! turning its columns into curves (profile by profile, on every core), and the knee and cost analysis.
//! The figures behind the README's statement on why grouping is plain Rust, not polars.
//!
//! `cargo run --release -p pipeline --example analyze_breakdown -- <out>/data/benchmarks.parquet`

use pipeline::analysis::{AnalysisConfig, profiles_from_table, summarize};
use pipeline::pricing::PriceBook;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: analyze_breakdown <benchmarks.parquet>")?;
    let prices = PriceBook::bundled()?;
    let cfg = AnalysisConfig::default();
    let t = Instant::now();
    let df = pipeline::schema::read_parquet(std::path::Path::new(&path))?;
    let read = t.elapsed();
    let t = Instant::now();
    let profiles = profiles_from_table(&df)?;
    let group = t.elapsed();
    let n_profiles = profiles.len();
    let t = Instant::now();
    let summaries = summarize(profiles, &cfg, &prices);
    let analyze = t.elapsed();
    println!(
        "{} rows, {n_profiles} profiles ({} summarized)",
        df.height(),
        summaries.len()
    );
    for (stage, d) in [
        ("read parquet", read),
        ("columns to curves", group),
        ("knees, costs, HPA", analyze),
    ] {
        println!("{stage:<20} {:>8.1} ms", d.as_secs_f64() * 1000.0);
    }
    Ok(())
}
