//! A user's own prices in the simple layout `instance_type,region,pricing_model,usd_per_hour`
//! (negotiated rates, owned hardware, committed-use prices). Bad values are reported and not
//! used; a malformed file is an error naming the line.

use super::PricingModel;
use super::catalog::{PriceIssue, Quote};
use super::checks::{on_demand_below_spot, usable};
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

pub(super) fn read_simple(
    path: &Path,
    text: &str,
) -> Result<(Entries, Vec<PriceIssue>), PipelineError> {
    let err = |reason: String| PipelineError::Table {
        path: path.to_path_buf(),
        reason,
    };
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
            matches!(book.quote("a3-highgpu-1g", None, PricingModel::Spot), QuoteOutcome::Priced(q) if q.source.contains("host"))
        );
        assert!(
            book.issues
                .iter()
                .any(|i| i.component == "g2-standard-8" && i.reason.contains("below the spot"))
        );
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
