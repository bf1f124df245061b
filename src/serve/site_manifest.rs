//! `GET /infercat/v1/manifest?<flag>=<value>&…`: the text `infercat manifests create
//! --<flag>=<value> …` prints, for the site's "deploy at your targets". A static page cannot run
//! the CLI; served by `infercat serve` it asks here, and the answer comes from the CLI's own
//! argument parser and `manifests::manifest`, so it is byte-identical to the command's output.
//! Only the flags that describe a manifest are accepted (no paths: nothing here writes or reads
//! a file the caller names).

use super::api_error::{ApiError, ApiResult};
use super::cli_args::manifests_create_own_analysis;
use crate::catalog::Catalog;
use crate::cmd::manifests::{manifest, output_text};

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

/// The manifest text for the query's flags.
pub fn manifest_text(cat: &Catalog, query: &[(String, String)]) -> ApiResult<String> {
    let args = manifests_create_own_analysis(&flags(query)?, cat)?;
    let percentile = args.catalog.analysis.percentile.into();
    let qps = args.catalog.analysis.expected_qps;
    let reanalyzed;
    let cat = if percentile == cat.cfg.percentile && qps == cat.cfg.expected_qps {
        cat
    } else {
        reanalyzed = cat.reanalyzed(percentile, qps);
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
