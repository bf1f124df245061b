//! The price book's shared types: component rows, quotes and their outcomes, and the issues
//! and disagreements a price report lists. Readers of each source and the catalog depend on
//! this module, not on each other.

use super::PricingModel;
use serde::Serialize;
use std::collections::BTreeMap;

/// One zone's row of one component: a host machine, N accelerators, or a TPU slice.
#[derive(Debug, Clone)]
pub(crate) struct ComponentRow {
    pub component: String,
    pub count: u32,
    pub region: String,
    pub zone: String,
    pub prices: BTreeMap<PricingModel, Result<f64, String>>,
    /// Where the row came from (file name), for quotes.
    pub origin: String,
}

pub(crate) type RowKey = (String, u32, String);

impl ComponentRow {
    pub(crate) fn key(&self) -> RowKey {
        (self.component.clone(), self.count, self.zone.clone())
    }

    pub(crate) fn price(&self, model: PricingModel) -> Result<f64, String> {
        self.prices.get(&model).cloned().unwrap_or_else(|| {
            Err(format!(
                "no {model} price (the catalog has none; supply one with --prices)"
            ))
        })
    }
}

/// A price that could not be used, for `price-report.json` and the site.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PriceIssue {
    pub component: String,
    pub count: u32,
    pub region: String,
    pub pricing_model: String,
    pub reason: String,
    pub source: String,
}

/// A usable price for one machine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    pub usd_per_hour: f64,
    pub region: String,
    /// Where the number came from, shown next to every cost.
    pub source: String,
    /// The source's date (`YYYY-MM-DD`, `unknown`, or `as given` for a user's file).
    pub as_of: String,
}

/// Two sources that price the same machine, region and pricing model more than
/// [`DISAGREEMENT_RATIO`] apart; the first source in priority order is used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceDisagreement {
    pub instance_type: String,
    pub region: String,
    pub pricing_model: String,
    pub used_usd_per_hour: f64,
    pub used_source: String,
    pub other_usd_per_hour: f64,
    pub other_source: String,
}

/// Prices further apart than this fraction (of the lower one) are listed as a disagreement.
pub const DISAGREEMENT_RATIO: f64 = 0.25;

#[derive(Debug, Clone, PartialEq)]
pub enum QuoteOutcome {
    Priced(Quote),
    /// No usable price; costs show N/A with this reason.
    NotAvailable {
        region: String,
        reason: String,
    },
}
