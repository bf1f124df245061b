//! Fixtures the unit tests share: the bundled catalog, summarized as a build would.

use pipeline::analysis::{AnalysisConfig, ProfileSummary, group_profiles, summarize};
use pipeline::pricing::PriceBook;

/// Every profile of `data/raw` at its knee, with the bundled prices and the default
/// analysis; the price book comes back for the tests that cost points again.
pub(crate) fn bundled_summaries() -> (Vec<ProfileSummary>, PriceBook) {
    let raw = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/raw");
    let ingested = pipeline::ingest::ingest(&raw).unwrap();
    let prices = PriceBook::bundled().unwrap();
    let summaries = summarize(
        group_profiles(&ingested.rows),
        &AnalysisConfig::default(),
        &prices,
    );
    (summaries, prices)
}
