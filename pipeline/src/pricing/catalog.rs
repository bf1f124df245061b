//! The price book: whole-machine rows and component rows (host, accelerator, TPU slice) per zone
//! read from catalog CSVs, checked, combined into machine prices, and quoted per region and
//! pricing model from the first source (in priority order) with a usable price.

use super::bundled::{CatalogLocation, OVERRIDES_FILE};
use super::checks::{on_demand_below_spot, usable};
use super::machine_parts::{MachineParts, machine_parts};
use super::sources::{self, PriceSource};
use super::types::{ComponentRow, RowKey};
pub use super::types::{DISAGREEMENT_RATIO, PriceDisagreement, PriceIssue, Quote, QuoteOutcome};
use super::whole_machine::{self, WHOLE_MACHINE_FILE, WholeMachineRow};
use super::{FALLBACK_REGION, PricingModel, default_region, overrides, user_file};
use crate::error::PipelineError;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Worked-out quotes by (machine type, asked region, pricing model).
type QuoteMemo = std::collections::HashMap<(String, Option<String>, PricingModel), QuoteOutcome>;

/// A zone's machine total and how it adds up, or why it cannot be priced.
type ZoneTotal = Result<(f64, String), String>;

enum RegionPrice {
    Priced(Quote),
    Rejected(String),
    NotOffered,
}

#[derive(Debug, Default)]
pub struct PriceBook {
    rows: BTreeMap<RowKey, ComponentRow>,
    /// Whole-machine prices by (machine type, region): the first source in priority order.
    whole: BTreeMap<(String, String), WholeMachineRow>,
    /// The sources loaded, in priority order (a user's file first).
    pub sources: Vec<PriceSource>,
    /// Whole-machine prices from a user's simple-format file; they win over every catalog.
    direct: BTreeMap<(String, String, PricingModel), Quote>,
    /// A user's $/accelerator-hour by (accelerator id, pricing model or every model).
    per_accelerator: BTreeMap<(String, Option<PricingModel>), (f64, String)>,
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
        if let Some(file) = location.read(WHOLE_MACHINE_FILE)? {
            for row in whole_machine::parse(&file.path, &file.text)? {
                book.whole
                    .insert((row.instance_type.clone(), row.region.clone()), row);
            }
            book.sources.push(sources::cyclenerd());
        }
        for file in location.catalog_files()? {
            for row in parse_catalog_csv(&file.path, &file.text)? {
                book.rows.insert(row.key(), row);
            }
        }
        book.sources.push(sources::skypilot());
        if let Some(file) = location.read(OVERRIDES_FILE)? {
            overrides::apply(&file.path, &file.text, &mut book.rows, &mut book.whole)?;
        }
        book.collect_issues();
        Ok(book)
    }

    /// Every (machine, region, pricing model) both catalogs price, where they differ by more
    /// than [`DISAGREEMENT_RATIO`]. Worked out when a report asks, not on every load: queries
    /// never need it, and a user's file applied later changes the component prices.
    pub fn disagreements(&self) -> Vec<PriceDisagreement> {
        let mut out = Vec::new();
        for row in self.whole.values() {
            for model in PricingModel::ALL {
                let Ok(used) = row.price(model) else { continue };
                let Some(other) = self.component_quote(&row.instance_type, &row.region, model)
                else {
                    continue;
                };
                let apart = (used - other.usd_per_hour).abs() / used.min(other.usd_per_hour);
                if apart > DISAGREEMENT_RATIO {
                    out.push(PriceDisagreement {
                        instance_type: row.instance_type.clone(),
                        region: row.region.clone(),
                        pricing_model: model.to_string(),
                        used_usd_per_hour: used,
                        used_source: sources::cyclenerd().name,
                        other_usd_per_hour: other.usd_per_hour,
                        other_source: other.source,
                    });
                }
            }
        }
        out
    }

    /// Applies a user's price file on top of the catalog (either column layout).
    pub fn apply_user_file(&mut self, path: &Path) -> Result<(), PipelineError> {
        if let Ok(mut m) = self.memo.write() {
            m.clear();
        }
        let text = std::fs::read_to_string(path).map_err(|e| PipelineError::io(path, e))?;
        self.sources.insert(0, sources::user(path));
        if user_file::is_per_accelerator(&text) {
            let (entries, issues) = user_file::read_per_accelerator(path, &text)?;
            self.per_accelerator.extend(entries);
            self.issues.extend(issues);
        } else if user_file::is_simple(&text) {
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
        for row in self.whole.values() {
            for (model, price) in &row.prices {
                if let Err(reason) = price {
                    let issue = PriceIssue {
                        component: row.instance_type.clone(),
                        count: 0,
                        region: row.region.clone(),
                        pricing_model: model.to_string(),
                        reason: reason.clone(),
                        source: WHOLE_MACHINE_FILE.to_string(),
                    };
                    if seen.insert(issue.clone()) {
                        self.issues.push(issue);
                    }
                }
            }
        }
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

    /// A user's own price for `count` of `accelerator` (any accelerator id), which wins over
    /// every machine price: owned or rented hardware priced by the accelerator-hour.
    pub fn accelerator_quote(
        &self,
        accelerator: &str,
        count: u32,
        model: PricingModel,
    ) -> Option<Quote> {
        if self.per_accelerator.is_empty() {
            return None;
        }
        let (usd, file) = self
            .per_accelerator
            .get(&(accelerator.to_string(), Some(model)))
            .or_else(|| self.per_accelerator.get(&(accelerator.to_string(), None)))?;
        Some(Quote {
            usd_per_hour: usd * f64::from(count),
            region: String::new(),
            source: format!("your price {usd} $/accelerator-hour x {count} ({file})"),
            as_of: "as given".into(),
        })
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
        let whole = self
            .whole
            .get(&(instance_type.to_string(), region.to_string()));
        let whole_reason = match whole.map(|w| w.price(model)) {
            Some(Ok(usd)) => {
                let source = sources::cyclenerd();
                return RegionPrice::Priced(Quote {
                    usd_per_hour: usd,
                    region: region.to_string(),
                    source: format!(
                        "whole-machine price from {} ({WHOLE_MACHINE_FILE})",
                        source.name
                    ),
                    as_of: source.as_of,
                });
            }
            Some(Err(reason)) => Some(format!("{instance_type} in {region}: {reason}")),
            None => None,
        };
        let from_components = self.price_from_components(instance_type, region, model);
        match (from_components, whole_reason) {
            (RegionPrice::NotOffered, Some(reason)) => RegionPrice::Rejected(reason),
            (RegionPrice::Rejected(other), Some(reason)) => {
                RegionPrice::Rejected(format!("{reason}; {other}"))
            }
            (outcome, _) => outcome,
        }
    }

    /// The cheapest zone's host + accelerator (or TPU slice) price, if any is usable.
    fn component_quote(
        &self,
        instance_type: &str,
        region: &str,
        model: PricingModel,
    ) -> Option<Quote> {
        match self.price_from_components(instance_type, region, model) {
            RegionPrice::Priced(q) => Some(q),
            _ => None,
        }
    }

    fn price_from_components(
        &self,
        instance_type: &str,
        region: &str,
        model: PricingModel,
    ) -> RegionPrice {
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
                            source: format!("{detail} ({zone}), {}", sources::skypilot().name),
                            as_of: sources::skypilot().as_of,
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
    let err = |reason: String| super::csv_table::table_error(path, reason);
    let (mut reader, headers) = super::csv_table::open(path, text)?;
    let col = |name: &str| super::csv_table::column(&headers, name, path);
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
    use crate::pricing::bundled::CATALOG_FILES;

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

    /// The component source alone (no whole-machine file in the directory).
    fn components_only() -> PriceBook {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/prices");
        let dir = tempfile::tempdir().unwrap();
        for name in CATALOG_FILES.iter().chain([&OVERRIDES_FILE]) {
            std::fs::copy(src.join(name), dir.path().join(name)).unwrap();
        }
        PriceBook::from_dir(dir.path()).unwrap()
    }

    #[test]
    fn gpu_machine_is_host_plus_accelerators() {
        let b = components_only();
        let q = priced(b.quote("a2-highgpu-1g", Some("us-central1"), PricingModel::OnDemand));
        assert!((q.usd_per_hour - 3.67339).abs() < 1e-9, "{q:?}");
        assert_eq!(q.region, "us-central1");
        assert_eq!(q.as_of, "unknown");
        let q = priced(b.quote("g2-standard-4", Some("us-central1"), PricingModel::OnDemand));
        assert!((q.usd_per_hour - 0.70683).abs() < 1e-9, "{q:?}");
    }

    #[test]
    fn the_whole_machine_source_comes_first_with_all_four_models() {
        let b = book();
        assert_eq!(b.sources[0].id, "cyclenerd");
        let q = priced(b.quote("a2-highgpu-1g", Some("us-central1"), PricingModel::OnDemand));
        assert_eq!(q.usd_per_hour, 3.673385);
        assert_eq!(q.as_of, "2026-07-30");
        assert!(q.source.starts_with("whole-machine price"), "{}", q.source);
        // H100: the list price where the component source's 4.20 $/GPU-h row is refused.
        let q = priced(b.quote("a3-highgpu-1g", None, PricingModel::OnDemand));
        assert_eq!(
            (q.usd_per_hour, q.region.as_str()),
            (11.06124999, "us-central1")
        );
        let q = priced(b.quote("a3-highgpu-1g", None, PricingModel::ThreeYearsCud));
        assert_eq!(q.usd_per_hour, 4.85804764);
        let q = priced(b.quote("g2-standard-8", None, PricingModel::OneYearCud));
        assert_eq!(
            (q.usd_per_hour, q.region.as_str()),
            (0.60570534, "us-east5")
        );
        // H200 is only in the component source; it still prices.
        let q = priced(b.quote("a3-ultragpu-8g", Some("us-central1"), PricingModel::Spot));
        assert_eq!(q.as_of, "unknown");
        // A100 80GB has no committed-use price anywhere: N/A, never invented.
        assert!(matches!(
            b.quote("a2-ultragpu-1g", None, PricingModel::OneYearCud),
            QuoteOutcome::NotAvailable { .. }
        ));
    }

    #[test]
    fn disagreements_of_more_than_a_quarter_are_listed() {
        let b = book();
        let all = b.disagreements();
        let d = all
            .iter()
            .find(|d| {
                d.instance_type == "a3-highgpu-1g"
                    && d.region == "us-central1"
                    && d.pricing_model == "spot"
            })
            .expect("6.33 vs 3.35 $/h spot is listed");
        assert_eq!(d.used_usd_per_hour, 6.3261926);
        assert!((d.other_usd_per_hour - (0.36117 + 2.9926)).abs() < 1e-9);
        // a2-highgpu-1g on-demand agrees (3.673385 vs 3.67339): not listed.
        assert!(!all.iter().any(|d| d.instance_type == "a2-highgpu-1g"
            && d.region == "us-central1"
            && d.pricing_model == "on-demand"));
    }

    #[test]
    fn machines_not_offered_in_the_default_region_fall_back_to_us_central1() {
        // In the component source g2 has no rows in us-east5 (the non-A3 default).
        let q = priced(components_only().quote("g2-standard-8", None, PricingModel::Spot));
        assert_eq!(q.region, "us-central1");
        assert!(q.source.contains("not offered in us-east5"), "{}", q.source);
        let q = priced(components_only().quote("a3-highgpu-1g", None, PricingModel::Spot));
        assert_eq!(q.region, "us-central1");
        assert!((q.usd_per_hour - (0.36117 + 2.9926)).abs() < 1e-9);
    }

    #[test]
    fn faulty_rows_give_no_price_and_are_reported() {
        let b = components_only();
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
            book().quote("a4-highgpu-8g", Some("us-central1"), PricingModel::OnDemand),
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
                book().issues.iter().any(|i| i.reason.contains(needle)),
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
