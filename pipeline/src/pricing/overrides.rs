//! The hand-checked override table (`data/prices/overrides.csv`): prices the mechanical checks
//! cannot catch, each with its reason and source. `reject` removes a price; `set` replaces it.

use super::PricingModel;
use super::catalog::ComponentRow;
use crate::error::PipelineError;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn apply(
    path: &Path,
    rows: &mut BTreeMap<(String, u32, String), ComponentRow>,
) -> Result<(), PipelineError> {
    let err = |reason: String| PipelineError::Table {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| PipelineError::io(path, e))?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let r = record.map_err(|e| err(format!("line {line}: {e}")))?;
        let cell = |c: usize| r.get(c).unwrap_or("").trim();
        let (component, region, reason, source) = (cell(0), cell(2), cell(6), cell(7));
        let count: Option<u32> = match cell(1) {
            "" => None,
            c => Some(
                c.parse()
                    .map_err(|_| err(format!("line {line}: count `{c}` is not a whole number")))?,
            ),
        };
        let model: PricingModel = cell(3)
            .parse()
            .map_err(|e: String| err(format!("line {line}: {e}")))?;
        if reason.is_empty() || source.is_empty() {
            return Err(err(format!(
                "line {line}: every override needs a reason and a source"
            )));
        }
        let new_price = match cell(4) {
            "reject" => Err(format!("override: {reason}")),
            "set" => {
                let usd: f64 = cell(5)
                    .parse()
                    .map_err(|_| err(format!("line {line}: `set` needs usd_per_hour")))?;
                if count.is_none() {
                    return Err(err(format!(
                        "line {line}: `set` needs a count (0 for a host row)"
                    )));
                }
                Ok(usd)
            }
            other => {
                return Err(err(format!(
                    "line {line}: action `{other}` is not reject or set"
                )));
            }
        };
        let mut matched = false;
        for row in rows.values_mut() {
            if row.component == component
                && row.region == region
                && count.is_none_or(|c| c == row.count)
            {
                row.prices.insert(model, new_price.clone());
                matched = true;
            }
        }
        if !matched {
            return Err(err(format!(
                "line {line}: no catalog row for {component} in {region}"
            )));
        }
    }
    Ok(())
}
