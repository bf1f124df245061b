//! Fingerprints the site generator's source (`site_gen::SOURCE_FINGERPRINT`) so a refresh
//! never reuses a page that older code rendered: a chart or view fix must reach every page.

#[path = "../pipeline/source_fingerprint.rs"]
mod source_fingerprint;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed={}", source_fingerprint::LOCK_FILE);
    println!("cargo:rerun-if-changed=../pipeline/source_fingerprint.rs");
    // The compiled profile template's escaping is configured there.
    println!("cargo:rerun-if-changed=askama.toml");
    let hash =
        source_fingerprint::source_fingerprint(std::path::Path::new("src"), &["askama.toml"]);
    println!("cargo:rustc-env=INFERCAT_SITE_SOURCE={hash}");
}
