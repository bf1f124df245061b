//! Fixtures and checks the unit tests share: the bundled catalog, summarized as a build
//! would (made once per test binary), and the field-order check of the JSON shapes.

use pipeline::analysis::{AnalysisConfig, ProfileSummary, group_profiles, summarize};
use pipeline::pricing::PriceBook;
use serde::Serialize;
use std::sync::OnceLock;

/// Every profile of `data/raw` at its knee, with the bundled prices and the default
/// analysis; the price book comes with it for the tests that cost points again.
pub(crate) fn bundled_summaries() -> &'static (Vec<ProfileSummary>, PriceBook) {
    static BUNDLED: OnceLock<(Vec<ProfileSummary>, PriceBook)> = OnceLock::new();
    BUNDLED.get_or_init(|| {
        let raw = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/raw");
        let ingested = pipeline::ingest::ingest(&raw).unwrap();
        let prices = PriceBook::bundled().unwrap();
        let summaries = summarize(
            group_profiles(&ingested.rows),
            &AnalysisConfig::default(),
            &prices,
        );
        (summaries, prices)
    })
}

/// Writes each `(path, text)` under `root`, making the directories on the way.
pub(crate) fn write_tree(root: &std::path::Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Every file under `root`, relative and `/`-separated, sorted.
pub(crate) fn files_under(root: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                found.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

/// `doc`'s JSON has its keys in sorted order at every level, the order `serde_json::Value` (a
/// sorted map) gives: the order the JSON API had when it was built as values, so typed shapes
/// keep its bytes.
pub(crate) fn assert_fields_sorted(doc: &impl Serialize, what: &str) {
    let text = serde_json::to_string(doc).unwrap();
    let as_value = serde_json::to_string(&serde_json::to_value(doc).unwrap()).unwrap();
    assert_eq!(text, as_value, "{what}: fields out of sorted order");
}

mod tests {
    use super::*;

    /// The check fails on a shape out of order (it would pass everything if `Value` kept
    /// insertion order, e.g. with serde_json's `preserve_order` feature).
    #[test]
    #[should_panic(expected = "fields out of sorted order")]
    fn the_order_check_fails_on_unsorted_fields() {
        #[derive(Serialize)]
        struct Unsorted {
            b: u8,
            a: u8,
        }
        assert_fields_sorted(&Unsorted { b: 1, a: 2 }, "unsorted");
    }
}
