//! The price book: component rows (host, accelerator, TPU slice) per zone read from catalog
//! CSVs, checked, combined into machine prices, and quoted per region and pricing model.

use super::bundled::CatalogLocation;
use super::checks::{on_demand_below_spot, usable};
use super::machine_parts::{MachineParts, machine_parts};
use super::{FALLBACK_REGION, PricingModel, default_region, overrides, user_file};
use crate::error::PipelineError;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Catalog files read from the price directory, in this order.
pub const CATALOG_FILES: [&str; 3] = [
    "gcp_gpu_host_vms.csv",
    "gcp_gpu_accelerators.csv",
    "gcp_tpu.csv",
];
pub const OVERRIDES_FILE: &str = "overrides.csv";

/// One zone's row of one component: a host machine, N accelerators, or a TPU slice.
#[derive(Debug, Clone)]
pub(super) struct ComponentRow {
    pub component: String,
    pub count: u32,
    pub region: String,
    pub zone: String,
    pub prices: BTreeMap<PricingModel, Result<f64, String>>,
    /// Where the row came from (file name), for quotes.
    pub origin: String,
}

type RowKey = (String, u32, String);

/// Worked-out quotes by (machine type, asked region, pricing model).
type QuoteMemo = std::collections::HashMap<(String, Option<String>, PricingModel), QuoteOutcome>;

/// A zone's machine total and how it adds up, or why it cannot be priced.
type ZoneTotal = Result<(f64, String), String>;

impl ComponentRow {
    fn key(&self) -> RowKey {
        (self.component.clone(), self.count, self.zone.clone())
    }

    fn price(&self, model: PricingModel) -> Result<f64, String> {
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
}

#[derive(Debug, Clone, PartialEq)]
pub enum QuoteOutcome {
    Priced(Quote),
    /// No usable price; costs show N/A with this reason.
    NotAvailable {
        region: String,
        reason: String,
    },
}

enum RegionPrice {
    Priced(Quote),
    Rejected(String),
    NotOffered,
}

#[derive(Debug, Default)]
pub struct PriceBook {
    rows: BTreeMap<RowKey, ComponentRow>,
    /// Whole-machine prices from a user's simple-format file; they win over component sums.
    direct: BTreeMap<(String, String, PricingModel), Quote>,
    pub issues: Vec<PriceIssue>,
    /// Quotes already worked out: a catalog has a few dozen machine types but is asked for
    /// every point of every profile.
    memo: std::sync::RwLock<QuoteMemo>,
}

impl PriceBook {
    /// Reads the catalog CSVs and the override table from `dir` (normally `data/prices`).
    pub fn from_dir(dir: &Path) -> Result<Self, PipelineError> {
        Self::from_location(&CatalogLocation::Dir(dir.to_path_buf()))
    }

    /// The catalog compiled into the binary.
    pub fn bundled() -> Result<Self, PipelineError> {
        Self::from_location(&CatalogLocation::Bundled)
    }

    /// Reads the catalog CSVs and the override table from `location`.
    pub fn from_location(location: &CatalogLocation) -> Result<Self, PipelineError> {
        let mut book = PriceBook::default();
        for file in location.catalog_files()? {
            for row in parse_catalog_csv(&file.path, &file.text)? {
                book.rows.insert(row.key(), row);
            }
        }
        if let Some(file) = location.read(OVERRIDES_FILE)? {
            overrides::apply(&file.path, &file.text, &mut book.rows)?;
        }
        book.collect_issues();
        Ok(book)
    }

    /// Applies a user's price file on top of the catalog (either column layout).
    pub fn apply_user_file(&mut self, path: &Path) -> Result<(), PipelineError> {
        if let Ok(mut m) = self.memo.write() {
            m.clear();
        }
        let text = std::fs::read_to_string(path).map_err(|e| PipelineError::io(path, e))?;
        if user_file::is_simple(&text) {
            let (entries, issues) = user_file::read_simple(path, &text)?;
            self.direct.extend(entries);
            self.issues.extend(issues);
        } else {
            for row in parse_catalog_csv(path, &text)? {
                self.rows.insert(row.key(), row);
            }
            self.issues.clear();
            self.collect_issues();
        }
        self.issues.sort();
        self.issues.dedup();
        Ok(())
    }

    /// Lists every rejected price once per component, count, region, model and reason.
    fn collect_issues(&mut self) {
        let mut seen = BTreeSet::new();
        for row in self.rows.values() {
            for (model, price) in &row.prices {
                if let Err(reason) = price {
                    let issue = PriceIssue {
                        component: row.component.clone(),
                        count: row.count,
                        region: row.region.clone(),
                        pricing_model: model.to_string(),
                        reason: reason.clone(),
                        source: row.origin.clone(),
                    };
                    if seen.insert(issue.clone()) {
                        self.issues.push(issue);
                    }
                }
            }
        }
        self.issues.sort();
    }

    /// The price of `instance_type` under `model` in `region` (default: SPEC §5's region for the
    /// machine). A machine not offered there is priced in us-central1 and the quote says so.
    pub fn quote(
        &self,
        instance_type: &str,
        region: Option<&str>,
        model: PricingModel,
    ) -> QuoteOutcome {
        let key = (instance_type.to_string(), region.map(str::to_string), model);
        if let Some(hit) = self.memo.read().ok().and_then(|m| m.get(&key).cloned()) {
            return hit;
        }
        let outcome = self.quote_uncached(instance_type, region, model);
        if let Ok(mut m) = self.memo.write() {
            m.insert(key, outcome.clone());
        }
        outcome
    }

    fn quote_uncached(
        &self,
        instance_type: &str,
        region: Option<&str>,
        model: PricingModel,
    ) -> QuoteOutcome {
        let asked = region.unwrap_or_else(|| default_region(instance_type));
        match self.price_in(instance_type, asked, model) {
            RegionPrice::Priced(q) => QuoteOutcome::Priced(q),
            RegionPrice::Rejected(reason) => QuoteOutcome::NotAvailable {
                region: asked.to_string(),
                reason,
            },
            RegionPrice::NotOffered if asked != FALLBACK_REGION => {
                match self.price_in(instance_type, FALLBACK_REGION, model) {
                    RegionPrice::Priced(mut q) => {
                        q.source = format!("{} (not offered in {asked})", q.source);
                        QuoteOutcome::Priced(q)
                    }
                    RegionPrice::Rejected(reason) => QuoteOutcome::NotAvailable {
                        region: FALLBACK_REGION.to_string(),
                        reason: format!("not offered in {asked}; in {FALLBACK_REGION}: {reason}"),
                    },
                    RegionPrice::NotOffered => QuoteOutcome::NotAvailable {
                        region: asked.to_string(),
                        reason: format!(
                            "{instance_type} has no price in {asked} or {FALLBACK_REGION}"
                        ),
                    },
                }
            }
            RegionPrice::NotOffered => QuoteOutcome::NotAvailable {
                region: asked.to_string(),
                reason: format!("{instance_type} has no price in {asked}"),
            },
        }
    }

    fn price_in(&self, instance_type: &str, region: &str, model: PricingModel) -> RegionPrice {
        if let Some(q) = self
            .direct
            .get(&(instance_type.to_string(), region.to_string(), model))
        {
            return RegionPrice::Priced(q.clone());
        }
        let Some(parts) = machine_parts(instance_type) else {
            return RegionPrice::NotOffered;
        };
        let mut best: Option<Quote> = None;
        let mut first_reason: Option<String> = None;
        let mut offered = false;
        for (zone, total) in self.zone_totals(instance_type, &parts, region, model) {
            offered = true;
            match total {
                Ok((usd, detail)) => {
                    if best.as_ref().is_none_or(|b| usd < b.usd_per_hour) {
                        best = Some(Quote {
                            usd_per_hour: usd,
                            region: region.to_string(),
                            source: format!("{detail} ({zone})"),
                        });
                    }
                }
                Err(reason) => {
                    first_reason.get_or_insert(reason);
                }
            }
        }
        match (best, offered) {
            (Some(q), _) => RegionPrice::Priced(q),
            (None, true) => RegionPrice::Rejected(first_reason.unwrap_or_default()),
            (None, false) => RegionPrice::NotOffered,
        }
    }

    /// Per zone of `region`: the machine's total price and how it adds up, or why not.
    fn zone_totals(
        &self,
        instance_type: &str,
        parts: &MachineParts,
        region: &str,
        model: PricingModel,
    ) -> Vec<(String, ZoneTotal)> {
        let in_region = |component: String, count: u32| {
            self.rows
                .values()
                .filter(move |r| r.component == component && r.count == count && r.region == region)
        };
        match parts {
            MachineParts::Tpu { slice } => in_region(slice.clone(), 1)
                .map(|r| {
                    let total = r
                        .price(model)
                        .map(|p| (p, format!("{slice} {p} $/h from {}", r.origin)))
                        .map_err(|e| format!("{slice} in {}: {e}", r.zone));
                    (r.zone.clone(), total)
                })
                .collect(),
            MachineParts::Gpu { gpu, count } => in_region(instance_type.to_string(), 0)
                .map(|host| {
                    let accel = self.rows.get(&(gpu.to_string(), *count, host.zone.clone()));
                    let total = match accel {
                        None => Err(format!("no {count}x {gpu} row in zone {}", host.zone)),
                        Some(a) => match (host.price(model), a.price(model)) {
                            (Ok(h), Ok(g)) => Ok((
                                h + g,
                                format!(
                                    "host {h} + {count}x {gpu} {g} $/h from {} + {}",
                                    host.origin, a.origin
                                ),
                            )),
                            (Err(e), _) => {
                                Err(format!("{instance_type} host in {}: {e}", host.zone))
                            }
                            (_, Err(e)) => Err(format!("{count}x {gpu} in {}: {e}", host.zone)),
                        },
                    };
                    (host.zone.clone(), total)
                })
                .collect(),
        }
    }
}

/// Reads one catalog CSV (`InstanceType,…,Region,AvailabilityZone,Price,SpotPrice`).
pub(super) fn parse_catalog_csv(
    path: &Path,
    text: &str,
) -> Result<Vec<ComponentRow>, PipelineError> {
    let err = |reason: String| PipelineError::Table {
        path: path.to_path_buf(),
        reason,
    };
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| err(format!("CSV header: {e}")))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| err(format!("missing column `{name}`")))
    };
    let (it, an, ac, region, zone, price, spot) = (
        col("InstanceType")?,
        col("AcceleratorName")?,
        col("AcceleratorCount")?,
        col("Region")?,
        col("AvailabilityZone")?,
        col("Price")?,
        col("SpotPrice")?,
    );
    let origin = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| err(format!("line {line}: {e}")))?;
        let cell = |c: usize| record.get(c).unwrap_or("").trim();
        let number = |c: usize, name: &str| -> Result<Option<f64>, PipelineError> {
            match cell(c) {
                "" => Ok(None),
                v => v
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| err(format!("line {line}: {name} `{v}` is not a number"))),
            }
        };
        let (component, count) = if cell(it).is_empty() {
            let count = number(ac, "AcceleratorCount")?.unwrap_or(1.0);
            (cell(an).to_string(), count as u32)
        } else {
            (cell(it).to_string(), 0)
        };
        if component.is_empty() || cell(region).is_empty() {
            return Err(err(format!(
                "line {line}: row names no machine, accelerator or region"
            )));
        }
        let (on_demand, spot_price) = (number(price, "Price")?, number(spot, "SpotPrice")?);
        let mut prices = BTreeMap::new();
        prices.insert(PricingModel::OnDemand, usable(on_demand));
        prices.insert(PricingModel::Spot, usable(spot_price));
        if let Some(why) = on_demand_below_spot(on_demand, spot_price) {
            prices.insert(PricingModel::OnDemand, Err(why.clone()));
            prices.insert(PricingModel::Spot, Err(why));
        }
        let zone_name = match cell(zone) {
            "" => cell(region).to_string(),
            z => z.to_string(),
        };
        rows.push(ComponentRow {
            component,
            count,
            region: cell(region).to_string(),
            zone: zone_name,
            prices,
            origin: origin.clone(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> PriceBook {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/prices");
        PriceBook::from_dir(&dir).unwrap()
    }

    fn priced(q: QuoteOutcome) -> Quote {
        match q {
            QuoteOutcome::Priced(q) => q,
            other => panic!("expected a price, got {other:?}"),
        }
    }

    #[test]
    fn gpu_machine_is_host_plus_accelerators() {
        let q = priced(book().quote("a2-highgpu-1g", Some("us-central1"), PricingModel::OnDemand));
        assert!((q.usd_per_hour - 3.67339).abs() < 1e-9, "{q:?}");
        assert_eq!(q.region, "us-central1");
        let q = priced(book().quote("g2-standard-4", Some("us-central1"), PricingModel::OnDemand));
        assert!((q.usd_per_hour - 0.70683).abs() < 1e-9, "{q:?}");
    }

    #[test]
    fn machines_not_offered_in_the_default_region_fall_back_to_us_central1() {
        // g2 has no rows in us-east5 (the non-A3 default).
        let q = priced(book().quote("g2-standard-8", None, PricingModel::Spot));
        assert_eq!(q.region, "us-central1");
        assert!(q.source.contains("not offered in us-east5"), "{}", q.source);
        let q = priced(book().quote("a3-highgpu-1g", None, PricingModel::Spot));
        assert_eq!(q.region, "us-central1");
        assert!((q.usd_per_hour - (0.36117 + 2.9926)).abs() < 1e-9);
    }

    #[test]
    fn faulty_rows_give_no_price_and_are_reported() {
        let b = book();
        // Override: H100 on-demand 4.20076 in us-central1 is rejected.
        match b.quote("a3-highgpu-1g", None, PricingModel::OnDemand) {
            QuoteOutcome::NotAvailable { reason, .. } => {
                assert!(reason.contains("list price"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            priced(b.quote("a3-highgpu-1g", Some("us-east4"), PricingModel::OnDemand)).usd_per_hour,
            x if (x - (1.18251 + 9.79655)).abs() < 1e-9
        ));
        // a4 host price 0.0.
        assert!(matches!(
            b.quote("a4-highgpu-8g", Some("us-central1"), PricingModel::OnDemand),
            QuoteOutcome::NotAvailable { .. }
        ));
        // A100-80GB on-demand below spot in us-central1: neither is used.
        match b.quote("a2-ultragpu-1g", Some("us-central1"), PricingModel::Spot) {
            QuoteOutcome::NotAvailable { reason, .. } => {
                assert!(reason.contains("below the spot"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        for needle in ["price is 0", "below the spot price", "list price"] {
            assert!(
                b.issues.iter().any(|i| i.reason.contains(needle)),
                "{needle} reported"
            );
        }
    }

    #[test]
    fn tpu_machine_types_map_to_slices_and_cuds_are_never_invented() {
        let b = book();
        let q = priced(b.quote(
            "ct5lp-hightpu-1t",
            Some("us-central1"),
            PricingModel::OnDemand,
        ));
        assert_eq!(q.usd_per_hour, 1.2);
        assert!(matches!(
            b.quote(
                "ct5lp-hightpu-1t",
                Some("us-central1"),
                PricingModel::OneYearCud
            ),
            QuoteOutcome::NotAvailable { .. }
        ));
        assert!(matches!(
            b.quote("unknown-machine", None, PricingModel::Spot),
            QuoteOutcome::NotAvailable { .. }
        ));
    }
}
