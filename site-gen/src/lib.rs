//! infercat's publishing side: renders the analysis into Kubernetes manifests (and, with the
//! site, HTML pages, SVG charts and the JSON API). All markup and YAML lives in `templates/`,
//! embedded at build time; nothing is assembled by string concatenation here.

pub mod api;
pub mod charts;
pub mod format;
pub mod manifests;
pub mod site;
pub mod templates;
#[cfg(test)]
mod test_support;

/// The generator name written into every artifact.
pub const GENERATOR: &str = concat!("infercat ", env!("CARGO_PKG_VERSION"));

/// A fingerprint of this crate's sources (`build.rs`): a page rendered by other code is never
/// reused by a refresh.
pub const SOURCE_FINGERPRINT: &str = env!("INFERCAT_SITE_SOURCE");
