//! Instance prices per machine type, region and pricing model, from several dated sources in
//! `data/prices/` (whole-machine prices first, host + accelerator components after), plus
//! hand-checked overrides and a user's own file (machine or accelerator-hour prices); every
//! price is checked before use and every rejected one is reported with its reason.

pub mod bundled;
mod catalog;
mod checks;
mod csv_table;
mod machine_parts;
pub mod overrides;
pub mod sources;
mod types;
mod user_file;
mod whole_machine;

pub use bundled::CatalogLocation;
pub use catalog::{PriceBook, PriceDisagreement, PriceIssue, Quote, QuoteOutcome};
pub use machine_parts::{MachineParts, machine_parts};
pub use sources::PriceSource;

use std::fmt;
use std::str::FromStr;

/// The pricing models of SPEC §5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PricingModel {
    OnDemand,
    Spot,
    OneYearCud,
    ThreeYearsCud,
}

impl PricingModel {
    pub const ALL: [PricingModel; 4] = [
        PricingModel::OnDemand,
        PricingModel::Spot,
        PricingModel::OneYearCud,
        PricingModel::ThreeYearsCud,
    ];

    /// The CLI spelling (`--pricing-model`).
    pub fn as_str(self) -> &'static str {
        match self {
            PricingModel::OnDemand => "on-demand",
            PricingModel::Spot => "spot",
            PricingModel::OneYearCud => "1-year-cud",
            PricingModel::ThreeYearsCud => "3-years-cud",
        }
    }

    /// The prefix of this model's columns in profiles.parquet.
    pub fn column_prefix(self) -> &'static str {
        match self {
            PricingModel::OnDemand => "on_demand",
            PricingModel::Spot => "spot",
            PricingModel::OneYearCud => "cud_1y",
            PricingModel::ThreeYearsCud => "cud_3y",
        }
    }
}

impl fmt::Display for PricingModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PricingModel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PricingModel::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown pricing model `{s}` (expected one of: {})",
                    PricingModel::ALL.map(|m| m.as_str()).join(", ")
                )
            })
    }
}

/// The region a machine is priced in when none is asked for (SPEC §5).
pub fn default_region(instance_type: &str) -> &'static str {
    if instance_type.starts_with("a3-") {
        "us-central1"
    } else {
        "us-east5"
    }
}

/// Where a machine not offered in the asked region is priced instead.
pub const FALLBACK_REGION: &str = "us-central1";
