//! The hand-checked override table (`data/prices/overrides.csv`): prices the mechanical checks
//! cannot catch, each with its reason and source. `reject` removes a price; `set` replaces it.

use super::PricingModel;
use super::bundled::CatalogLocation;
use super::types::ComponentRow;
use super::whole_machine::WholeMachineRow;
use crate::error::PipelineError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One override, as written in the table (shown on the site's methodology page).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideRow {
    pub component: String,
    pub count: Option<u32>,
    pub region: String,
    pub pricing_model: String,
    pub action: String,
    pub usd_per_hour: Option<f64>,
    pub reason: String,
    pub source: String,
}

/// Reads and checks the override table at `location` (empty when it has none).
pub fn read_from(location: &CatalogLocation) -> Result<Vec<OverrideRow>, PipelineError> {
    match location.read(super::bundled::OVERRIDES_FILE)? {
        Some(file) => parse(&file.path, &file.text),
        None => Ok(Vec::new()),
    }
}

/// Checks the override table's text; errors name `path`.
pub fn parse(path: &Path, text: &str) -> Result<Vec<OverrideRow>, PipelineError> {
    let err = |reason: String| super::csv_table::table_error(path, reason);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let r = record.map_err(|e| err(format!("line {line}: {e}")))?;
        let cell = |c: usize| r.get(c).unwrap_or("").trim().to_string();
        let count: Option<u32> = match cell(1).as_str() {
            "" => None,
            c => Some(
                c.parse()
                    .map_err(|_| err(format!("line {line}: count `{c}` is not a whole number")))?,
            ),
        };
        let model: PricingModel = cell(3)
            .parse()
            .map_err(|e: String| err(format!("line {line}: {e}")))?;
        let action = cell(4);
        let usd_per_hour = match (action.as_str(), cell(5).as_str()) {
            ("reject", _) => None,
            ("set", v) => Some(
                v.parse::<f64>()
                    .map_err(|_| err(format!("line {line}: `set` needs usd_per_hour")))?,
            ),
            (other, _) => {
                return Err(err(format!(
                    "line {line}: action `{other}` is not reject or set"
                )));
            }
        };
        if action == "set" && count.is_none() {
            return Err(err(format!(
                "line {line}: `set` needs a count (0 for a host row)"
            )));
        }
        let (reason, source) = (cell(6), cell(7));
        if reason.is_empty() || source.is_empty() {
            return Err(err(format!(
                "line {line}: every override needs a reason and a source"
            )));
        }
        rows.push(OverrideRow {
            component: cell(0),
            count,
            region: cell(2),
            pricing_model: model.as_str().to_string(),
            action,
            usd_per_hour,
            reason,
            source,
        });
    }
    Ok(rows)
}

/// Applies every override to the component rows (`component` = an accelerator or host row)
/// and the whole-machine rows (`component` = a machine type).
pub(super) fn apply(
    path: &Path,
    text: &str,
    rows: &mut BTreeMap<(String, u32, String), ComponentRow>,
    whole: &mut BTreeMap<(String, String), WholeMachineRow>,
) -> Result<(), PipelineError> {
    for (i, o) in parse(path, text)?.into_iter().enumerate() {
        let model: PricingModel =
            o.pricing_model
                .parse()
                .map_err(|e: String| PipelineError::Table {
                    path: path.to_path_buf(),
                    reason: e,
                })?;
        let new_price = match o.usd_per_hour {
            Some(usd) => Ok(usd),
            None => Err(format!("override: {}", o.reason)),
        };
        let mut matched = false;
        for row in rows.values_mut() {
            if row.component == o.component
                && row.region == o.region
                && o.count.is_none_or(|c| c == row.count)
            {
                row.prices.insert(model, new_price.clone());
                matched = true;
            }
        }
        for row in whole.values_mut() {
            if row.instance_type == o.component && row.region == o.region {
                row.prices.insert(model, new_price.clone());
                matched = true;
            }
        }
        if !matched {
            return Err(PipelineError::Table {
                path: path.to_path_buf(),
                reason: format!(
                    "line {}: no catalog row for {} in {}",
                    i + 2,
                    o.component,
                    o.region
                ),
            });
        }
    }
    Ok(())
}
