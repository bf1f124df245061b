//! Checking request names against the catalog, answered as the API's 404s and 400s.

use super::api_error::{ApiError, ApiResult};
use crate::catalog::Catalog;
use crate::cmd::manifests::version_key;

pub trait Lookups {
    fn require_model(&self, model: &str) -> ApiResult<()>;
    fn require_server(&self, model: &str, server: &str) -> ApiResult<()>;
    fn require_version(&self, model: &str, server: &str, version: &str) -> ApiResult<()>;
    /// The newest version of `server` for `model` (the API's default).
    fn latest_version(&self, model: &str, server: &str) -> ApiResult<String>;
}

fn known(valid: &[String], value: &str, what: &str) -> ApiResult<()> {
    if valid.iter().any(|v| v == value) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "{what} `{value}` is not in this catalog (known: {})",
            if valid.is_empty() {
                "none".to_string()
            } else {
                valid.join(", ")
            }
        )))
    }
}

impl Lookups for Catalog {
    fn require_model(&self, model: &str) -> ApiResult<()> {
        known(&self.values(|p| Some(p.key.model.clone())), model, "model")
    }

    fn require_server(&self, model: &str, server: &str) -> ApiResult<()> {
        self.require_model(model)?;
        let servers = self.values(|p| (p.key.model == model).then(|| p.key.model_server.clone()));
        known(&servers, server, &format!("model server for {model}"))
    }

    fn require_version(&self, model: &str, server: &str, version: &str) -> ApiResult<()> {
        self.require_server(model, server)?;
        let versions = self.values(|p| {
            (p.key.model == model && p.key.model_server == server)
                .then(|| p.key.model_server_version.clone())
        });
        known(&versions, version, &format!("{server} version for {model}"))
    }

    fn latest_version(&self, model: &str, server: &str) -> ApiResult<String> {
        self.require_server(model, server)?;
        self.values(|p| {
            (p.key.model == model && p.key.model_server == server)
                .then(|| p.key.model_server_version.clone())
        })
        .into_iter()
        .max_by_key(|v| version_key(v))
        .ok_or_else(|| ApiError::not_found(format!("no {server} version for {model}")))
    }
}
