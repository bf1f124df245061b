//! A user's own prices: machine prices in the simple layout
//! `instance_type,region,pricing_model,usd_per_hour` (negotiated rates, committed-use prices),
//! or accelerator-hour prices `accelerator,usd_per_accelerator_hour[,pricing_model]` for any
//! accelerator id (owned or rented hardware: L40S, MI300X, an on-premises H100 at its amortized
//! cost). Bad values are reported and not used; a malformed file is an error naming the line.

use super::PricingModel;
use super::checks::{on_demand_below_spot, usable};
use super::types::{PriceIssue, Quote};
use crate::error::PipelineError;
use std::collections::BTreeMap;
use std::path::Path;

const SIMPLE_HEADER: [&str; 4] = ["instance_type", "region", "pricing_model", "usd_per_hour"];

pub(super) fn is_simple(text: &str) -> bool {
    let header: Vec<&str> = text
        .lines()
        .next()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .collect();
    header == SIMPLE_HEADER
}

type Entries = BTreeMap<(String, String, PricingModel), Quote>;

fn header_of(text: &str) -> Vec<String> {
    text.lines()
        .next()
        .unwrap_or("")
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|h| h.trim().to_string())
        .collect()
}

pub(super) fn is_per_accelerator(text: &str) -> bool {
    let header = header_of(text);
    header.len() >= 2 && header[0] == "accelerator" && header[1] == "usd_per_accelerator_hour"
}

type PerAccelerator = BTreeMap<(String, Option<PricingModel>), (f64, String)>;

/// Reads `accelerator,usd_per_accelerator_hour[,pricing_model]`; an empty or absent pricing
/// model prices every model. Accelerator names are normalized like run.toml's.
pub(super) fn read_per_accelerator(
    path: &Path,
    text: &str,
) -> Result<(PerAccelerator, Vec<PriceIssue>), PipelineError> {
    let err = |reason: String| super::csv_table::table_error(path, reason);
    let with_model = header_of(text).get(2).is_some_and(|h| h == "pricing_model");
    let mut entries = PerAccelerator::new();
    let mut issues = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let r = record.map_err(|e| err(format!("line {line}: {e}")))?;
        let cell = |c: usize| r.get(c).unwrap_or("").trim();
        let accelerator = crate::machines::normalize_accelerator(cell(0))
            .ok_or_else(|| err(format!("line {line}: accelerator is required")))?;
        let model: Option<PricingModel> = match (with_model, cell(2)) {
            (true, m) if !m.is_empty() => Some(
                m.parse()
                    .map_err(|e: String| err(format!("line {line}: {e}")))?,
            ),
            _ => None,
        };
        let usd: f64 = cell(1).parse().map_err(|_| {
            err(format!(
                "line {line}: usd_per_accelerator_hour `{}` is not a number",
                cell(1)
            ))
        })?;
        match usable(Some(usd)) {
            Ok(p) => {
                entries.insert((accelerator, model), (p, path.display().to_string()));
            }
            Err(reason) => issues.push(PriceIssue {
                component: accelerator,
                count: 1,
                region: String::new(),
                pricing_model: model.map_or("every".into(), |m| m.to_string()),
                reason,
                source: format!("user prices {}", path.display()),
            }),
        }
    }
    Ok((entries, issues))
}

pub(super) fn read_simple(
    path: &Path,
    text: &str,
) -> Result<(Entries, Vec<PriceIssue>), PipelineError> {
    let err = |reason: String| super::csv_table::table_error(path, reason);
    let source = format!("user prices {}", path.display());
    let mut raw: BTreeMap<(String, String, PricingModel), f64> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let r = record.map_err(|e| err(format!("line {line}: {e}")))?;
        let cell = |c: usize| r.get(c).unwrap_or("").trim();
        if cell(0).is_empty() || cell(1).is_empty() {
            return Err(err(format!(
                "line {line}: instance_type and region are required"
            )));
        }
        let model: PricingModel = cell(2)
            .parse()
            .map_err(|e: String| err(format!("line {line}: {e}")))?;
        let usd: f64 = cell(3).parse().map_err(|_| {
            err(format!(
                "line {line}: usd_per_hour `{}` is not a number",
                cell(3)
            ))
        })?;
        raw.insert((cell(0).to_string(), cell(1).to_string(), model), usd);
    }
    let mut entries = Entries::new();
    let mut issues = Vec::new();
    for ((machine, region, model), usd) in &raw {
        let other = |m| raw.get(&(machine.clone(), region.clone(), m)).copied();
        let conflict =
            on_demand_below_spot(other(PricingModel::OnDemand), other(PricingModel::Spot))
                .filter(|_| matches!(model, PricingModel::OnDemand | PricingModel::Spot));
        match conflict.map_or_else(|| usable(Some(*usd)), Err) {
            Ok(p) => {
                entries.insert(
                    (machine.clone(), region.clone(), *model),
                    Quote {
                        usd_per_hour: p,
                        region: region.clone(),
                        source: source.clone(),
                        as_of: "as given".into(),
                    },
                );
            }
            Err(reason) => issues.push(PriceIssue {
                component: machine.clone(),
                count: 0,
                region: region.clone(),
                pricing_model: model.to_string(),
                reason,
                source: source.clone(),
            }),
        }
    }
    Ok((entries, issues))
}

#[cfg(test)]
mod tests {
    use super::super::{PriceBook, QuoteOutcome};
    use super::*;

    #[test]
    fn user_prices_override_and_supply_cuds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.csv");
        std::fs::write(
            &path,
            "instance_type,region,pricing_model,usd_per_hour\n\
             a3-highgpu-1g,us-central1,1-year-cud,7.5\n\
             a3-highgpu-1g,us-central1,spot,0\n\
             g2-standard-8,us-central1,on-demand,0.5\n\
             g2-standard-8,us-central1,spot,0.9\n",
        )
        .unwrap();
        let mut book =
            PriceBook::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/prices"))
                .unwrap();
        book.apply_user_file(&path).unwrap();
        match book.quote("a3-highgpu-1g", None, PricingModel::OneYearCud) {
            QuoteOutcome::Priced(q) => {
                assert_eq!(q.usd_per_hour, 7.5);
                assert!(q.source.starts_with("user prices"));
            }
            other => panic!("{other:?}"),
        }
        // The 0 spot price is refused and the catalog's spot price stays in force.
        assert!(
            book.issues
                .iter()
                .any(|i| i.component == "a3-highgpu-1g" && i.reason.contains("price is 0"))
        );
        assert!(
            matches!(book.quote("a3-highgpu-1g", None, PricingModel::Spot), QuoteOutcome::Priced(q) if q.source.contains("whole-machine price"))
        );
        assert!(
            book.issues
                .iter()
                .any(|i| i.component == "g2-standard-8" && i.reason.contains("below the spot"))
        );
    }

    #[test]
    fn accelerator_hour_prices_price_any_accelerator() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("own.csv");
        std::fs::write(
            &path,
            "accelerator,usd_per_accelerator_hour,pricing_model\n\
             NVIDIA L40S,1.10,\n\
             MI300X,2.50,on-demand\n\
             nvidia-h100-80gb,1.90,\n\
             gaudi3,0,\n",
        )
        .unwrap();
        let mut book = PriceBook::bundled().unwrap();
        book.apply_user_file(&path).unwrap();
        let q = book
            .accelerator_quote("nvidia-l40s", 2, PricingModel::Spot)
            .unwrap();
        assert!((q.usd_per_hour - 2.2).abs() < 1e-12);
        assert!(
            q.source.contains("1.1 $/accelerator-hour x 2"),
            "{}",
            q.source
        );
        assert!(
            book.accelerator_quote("amd-instinct-mi300x", 1, PricingModel::OnDemand)
                .is_some()
        );
        assert!(
            book.accelerator_quote("amd-instinct-mi300x", 1, PricingModel::Spot)
                .is_none()
        );
        assert!(
            book.accelerator_quote("nvidia-h100-80gb", 8, PricingModel::ThreeYearsCud)
                .is_some()
        );
        assert!(
            book.issues
                .iter()
                .any(|i| i.component == "intel-gaudi3" && i.reason.contains("price is 0"))
        );
        assert_eq!(book.sources[0].id, "user");
    }

    #[test]
    fn malformed_user_file_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        std::fs::write(
            &path,
            "instance_type,region,pricing_model,usd_per_hour\nx,us-central1,weekly,1\n",
        )
        .unwrap();
        let mut book = PriceBook::default();
        let err = book.apply_user_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("bad.csv") && err.contains("line 2") && err.contains("weekly"),
            "{err}"
        );
    }
}
