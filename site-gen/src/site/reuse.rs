//! Reuse across refreshes: what a profile's files were made from (its fingerprint and
//! records), and which files belong to one profile alone, so an unchanged profile's files are
//! carried over byte-identical instead of rendered again.

use crate::{GENERATOR, templates};
use pipeline::analysis::ProfileSummary;
use pipeline::profile::model_slug;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;

/// What a profile's files were made from, kept between builds so an unchanged profile's
/// files can be reused instead of rendered again.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileRecord {
    pub fingerprint: String,
    pub manifests: Vec<ManifestLink>,
    pub cli_command: String,
}

/// The site a refresh replaces, and the records of its profiles.
pub struct PreviousSite {
    pub dir: PathBuf,
    pub records: BTreeMap<String, ProfileRecord>,
}

/// A built site's statistics and the records to keep for the next refresh.
pub struct SiteOutcome {
    pub stats: SiteStats,
    pub records: BTreeMap<String, ProfileRecord>,
}

/// Everything a profile's own files depend on, hashed: if it matches the previous build's,
/// the files are byte-identical and can be reused.
pub(super) fn fingerprint(input: &SiteInput, s: &ProfileSummary, snapshot: &str) -> String {
    use sha2::{Digest, Sha256};
    let costs: Vec<Value> = s
        .at_knee
        .costs
        .iter()
        .map(|c| {
            json!([
                c.model.as_str(),
                c.usd_per_hour(),
                c.region(),
                c.source(),
                c.as_of()
            ])
        })
        .collect();
    let facts = input
        .models
        .get(&s.profile.key.model)
        .map(|f| (f.parameters_billion, f.weights_gib));
    let text = json!([
        GENERATOR,
        templates::fingerprint(),
        format!("{:?}", input.cfg),
        input.pricing_model.as_str(),
        input
            .prices
            .sources
            .iter()
            .map(|s| (&s.name, &s.as_of))
            .collect::<Vec<_>>(),
        costs,
        facts,
        snapshot,
        model_slug(&s.profile.key.model),
    ])
    .to_string();
    Sha256::digest(text.as_bytes())[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The files that belong to one profile alone.
pub(super) fn profile_files(id: &str, manifests: &[ManifestLink]) -> Vec<String> {
    let mut files = vec![
        format!("profiles/{id}.html"),
        format!("api/v1/benchmarks/{id}.json"),
    ];
    files.extend(manifests.iter().filter_map(|m| m.file.clone()));
    files
}
