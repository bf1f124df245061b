//! Whole-machine prices (`gcp_gpu_instances_cyclenerd.csv`): one row per machine type and
//! region with on-demand, spot, 1-year and 3-year committed-use prices, GPUs included. Every
//! price passes the same checks as the component catalog before it is used.

use super::PricingModel;
use super::checks::{on_demand_below_spot, usable};
use crate::error::PipelineError;
use std::collections::BTreeMap;
use std::path::Path;

pub const WHOLE_MACHINE_FILE: &str = "gcp_gpu_instances_cyclenerd.csv";

/// One machine type in one region.
#[derive(Debug, Clone)]
pub(super) struct WholeMachineRow {
    pub instance_type: String,
    pub region: String,
    pub prices: BTreeMap<PricingModel, Result<f64, String>>,
}

impl WholeMachineRow {
    pub fn price(&self, model: PricingModel) -> Result<f64, String> {
        self.prices
            .get(&model)
            .cloned()
            .unwrap_or_else(|| Err(format!("no {model} price")))
    }
}

const COLUMNS: [(PricingModel, &str); 4] = [
    (PricingModel::OnDemand, "on_demand_usd_per_hour"),
    (PricingModel::Spot, "spot_usd_per_hour"),
    (PricingModel::OneYearCud, "cud_1y_usd_per_hour"),
    (PricingModel::ThreeYearsCud, "cud_3y_usd_per_hour"),
];

/// Reads the CSV (`instance_type,region,…,on_demand_usd_per_hour,spot_usd_per_hour,
/// cud_1y_usd_per_hour,cud_3y_usd_per_hour`).
pub(super) fn parse(path: &Path, text: &str) -> Result<Vec<WholeMachineRow>, PipelineError> {
    let err = |reason: String| super::csv_table::table_error(path, reason);
    let (mut reader, headers) = super::csv_table::open(path, text)?;
    let col = |name: &str| super::csv_table::column(&headers, name, path);
    let (it, region) = (col("instance_type")?, col("region")?);
    let price_cols: Vec<(PricingModel, usize)> = COLUMNS
        .iter()
        .map(|(m, name)| col(name).map(|c| (*m, c)))
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| err(format!("line {line}: {e}")))?;
        let cell = |c: usize| record.get(c).unwrap_or("").trim();
        if cell(it).is_empty() || cell(region).is_empty() {
            return Err(err(format!(
                "line {line}: instance_type and region are required"
            )));
        }
        let mut raw = BTreeMap::new();
        for (model, c) in &price_cols {
            let value = match cell(*c) {
                "" => None,
                v => Some(v.parse::<f64>().map_err(|_| {
                    err(format!("line {line}: {model} price `{v}` is not a number"))
                })?),
            };
            raw.insert(*model, value);
        }
        rows.push(WholeMachineRow {
            instance_type: cell(it).to_string(),
            region: cell(region).to_string(),
            prices: checked(&raw),
        });
    }
    Ok(rows)
}

/// Applies the catalog checks to one row's four prices: each must be usable; on-demand below
/// spot rejects both; a committed-use price above on-demand rejects that price.
fn checked(
    raw: &BTreeMap<PricingModel, Option<f64>>,
) -> BTreeMap<PricingModel, Result<f64, String>> {
    let get = |m: PricingModel| raw.get(&m).copied().flatten();
    let mut out: BTreeMap<PricingModel, Result<f64, String>> =
        raw.iter().map(|(m, v)| (*m, usable(*v))).collect();
    if let Some(why) = on_demand_below_spot(get(PricingModel::OnDemand), get(PricingModel::Spot)) {
        out.insert(PricingModel::OnDemand, Err(why.clone()));
        out.insert(PricingModel::Spot, Err(why));
    }
    for cud in [PricingModel::OneYearCud, PricingModel::ThreeYearsCud] {
        if let (Some(c), Some(o)) = (get(cud), get(PricingModel::OnDemand))
            && c > o
        {
            out.insert(
                cud,
                Err(format!("{cud} price {c} is above the on-demand price {o}")),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked() {
        let text = "instance_type,region,gpu,gpu_count,vcpus,memory_gib,local_ssd_gib,on_demand_usd_per_hour,spot_usd_per_hour,cud_1y_usd_per_hour,cud_3y_usd_per_hour\n\
            a3-highgpu-1g,us-central1,h100-80gb,1,26,234,750,11.06124999,6.3261926,7.67295902,4.85804764\n\
            a2-ultragpu-1g,us-central1,a100-80gb,1,12,170,375,5.06879789,2.7595463,,\n\
            x-1g,r,g,1,1,1,,1.0,2.0,0,3.0\n";
        let rows = parse(Path::new("w.csv"), text).unwrap();
        assert_eq!(rows[0].price(PricingModel::ThreeYearsCud), Ok(4.85804764));
        assert!(rows[1].price(PricingModel::OneYearCud).is_err());
        assert!(
            rows[2]
                .price(PricingModel::OnDemand)
                .unwrap_err()
                .contains("below the spot")
        );
        assert!(
            rows[2]
                .price(PricingModel::OneYearCud)
                .unwrap_err()
                .contains("price is 0")
        );
        assert!(rows[2].price(PricingModel::ThreeYearsCud).is_err());
        let bad = parse(Path::new("w.csv"), &text.replace("6.3261926", "cheap")).unwrap_err();
        assert!(bad.to_string().contains("line 2"), "{bad}");
    }
}
