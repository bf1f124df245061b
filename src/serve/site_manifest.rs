//! `GET /infercat/v1/manifest?<flag>=<value>&…`: the text `infercat manifests create
//! --<flag>=<value> …` prints, for the site's "deploy at your targets". A static page cannot run
//! the CLI; served by `infercat serve` it asks here, and the answer comes from the CLI's own
//! argument parser and `manifests::manifest`, so it is byte-identical to the command's output.
//! Only the flags that describe a manifest are accepted (no paths: nothing here writes or reads
//! a file the caller names). Prices, region and the HPA buffer are the served catalog's (as
//! `serve` was started); with `serve`'s defaults the text equals the plain command's.

use super::api_error::{ApiError, ApiResult};
use super::cli_args::manifests_create_as_typed;
use crate::catalog::Catalog;
use crate::cmd::manifests::{manifest, output_text};
use crate::settings::analysis_config;

/// `Server-Timing` entry on every static file `serve` sends: the page's script reads it from
/// the navigation's timing entry before it asks this endpoint, so a page on a plain static host
/// makes no failing request (and no extra one).
pub const SERVED_TIMING: &str = "infercat-serve";

const FLAGS: &[&str] = &[
    "model",
    "model-server",
    "accelerator-type",
    "model-server-version",
    "variant",
    "use-case",
    "workload",
    "namespace",
    "target-ntpot-milliseconds",
    "target-ttft-milliseconds",
    "target-itl-milliseconds",
    "model-bucket-uri",
    "output",
    "platform",
    "pricing-model",
    "percentile",
    "expected-qps",
];

fn flags(query: &[(String, String)]) -> ApiResult<Vec<String>> {
    query
        .iter()
        .map(|(name, value)| {
            if FLAGS.contains(&name.as_str()) {
                Ok(format!("--{name}={value}"))
            } else {
                Err(ApiError::invalid(format!(
                    "`{name}` is not a `manifests create` flag this endpoint takes (one of: {})",
                    FLAGS.join(", ")
                )))
            }
        })
        .collect()
}

/// The manifest text for the query's flags. The statistic and the expected rate are the
/// request's (the CLI's defaults when absent), checked as the CLI checks them; the catalog is
/// re-summarized when they differ from the served one's.
pub fn manifest_text(cat: &Catalog, query: &[(String, String)]) -> ApiResult<String> {
    let args = manifests_create_as_typed(&flags(query)?)?;
    let cfg = analysis_config(&args.catalog.analysis).map_err(ApiError::from_cli)?;
    let reanalyzed;
    let cat = if cfg.percentile == cat.cfg.percentile && cfg.expected_qps == cat.cfg.expected_qps {
        cat
    } else {
        reanalyzed = cat.reanalyzed(cfg.percentile, cfg.expected_qps);
        &reanalyzed
    };
    let (m, _) = manifest(cat, &args).map_err(ApiError::from_cli)?;
    Ok(output_text(m, args.output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_manifest_flags_pass() {
        let q = |k: &str| vec![(k.to_string(), "x".to_string())];
        assert_eq!(flags(&q("model")).unwrap(), vec!["--model=x"]);
        for refused in [
            "output-path",
            "out",
            "raw",
            "prices",
            "models-file",
            "--model",
        ] {
            assert!(flags(&q(refused)).is_err(), "{refused}");
        }
    }
}
