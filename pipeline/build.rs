//! Fingerprints the pipeline's source so the parse cache (`src/parse_cache.rs`) is dropped
//! whenever the code that made its entries changes, not only when the version number does: a
//! parser fix in a development build must re-read every file. The site's refresh records name
//! it too (`pipeline::SOURCE_FINGERPRINT`): the analysis decides what a page shows.

mod source_fingerprint;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed={}", source_fingerprint::LOCK_FILE);
    println!("cargo:rerun-if-changed=source_fingerprint.rs");
    let hash = source_fingerprint::source_fingerprint(std::path::Path::new("src"), &[]);
    println!("cargo:rustc-env=INFERCAT_PIPELINE_SOURCE={hash}");
}
