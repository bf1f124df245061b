//! The price sources infercat knows, in priority order, each with a name, an "as of" date and
//! a licence line: the first source with a usable price for a (machine type, region, pricing
//! model) wins, and every cost names the source and date it came from.

use serde::Serialize;

/// One price source as shown in price reports, page footers and the JSON API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceSource {
    /// Short identifier used in quotes (`cyclenerd`, `skypilot`, `user`).
    pub id: String,
    pub name: String,
    /// `YYYY-MM-DD`, or `unknown` when the source does not date itself.
    pub as_of: String,
    pub license: String,
    pub files: Vec<String>,
    /// What the source prices.
    pub covers: String,
}

/// Whole-machine prices (GPUs included) with all four pricing models.
pub fn cyclenerd() -> PriceSource {
    PriceSource {
        id: "cyclenerd".into(),
        name: "Cyclenerd google-cloud-pricing-cost-calculator pricing.yml @ fd66b26".into(),
        as_of: "2026-07-30".into(),
        license: "Apache-2.0, © 2022-2025 Nils Knieling".into(),
        files: vec![super::whole_machine::WHOLE_MACHINE_FILE.into()],
        covers: "whole machines, GPUs included: a2, a3-highgpu, a3-megagpu, g2, g4; on-demand, spot, 1-year and 3-year committed use".into(),
    }
}

/// Host + accelerator component prices per zone (on-demand and spot only).
pub fn skypilot() -> PriceSource {
    PriceSource {
        id: "skypilot".into(),
        name: "SkyPilot catalog catalogs/v8/gcp/vms.csv @ 006059e0".into(),
        as_of: "unknown".into(),
        license: "no licence file; public price facts from Google's Cloud Billing Catalog API".into(),
        files: super::bundled::CATALOG_FILES.iter().map(|f| f.to_string()).collect(),
        covers: "host + accelerator per zone, TPU slices; on-demand and spot (H200, B200 and TPUs come only from here)".into(),
    }
}

/// A user's own price file, which wins over every catalog.
pub fn user(path: &std::path::Path) -> PriceSource {
    PriceSource {
        id: "user".into(),
        name: format!("your prices ({})", path.display()),
        as_of: "as given".into(),
        license: "yours".into(),
        files: vec![path.display().to_string()],
        covers: "whatever the file lists".into(),
    }
}
