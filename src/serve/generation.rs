//! The published generation a request is answered from. `build` switches the `site` and
//! `data` symlinks atomically; each request resolves them once when it starts and keeps that
//! generation's catalog (an `Arc`) until it ends, so a refresh never changes an answer half-way
//! and the next request sees the new catalog without a restart.

use super::api_error::ApiError;
use crate::catalog::Catalog;
use crate::cli::CatalogArgs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A catalog loaded from one generation's data directory.
pub struct Loaded {
    pub data_dir: PathBuf,
    pub catalog: Catalog,
}

pub struct Generations {
    args: CatalogArgs,
    cached: Mutex<Option<Arc<Loaded>>>,
}

impl Generations {
    pub fn new(args: CatalogArgs) -> Self {
        Self {
            args,
            cached: Mutex::new(None),
        }
    }

    pub fn out(&self) -> &Path {
        &self.args.out
    }

    /// Where `name` (`site` or `data`) points now.
    pub fn current_dir(&self, name: &str) -> Result<PathBuf, ApiError> {
        let link = self.args.out.join(name);
        std::fs::canonicalize(&link).map_err(|e| {
            ApiError::unavailable(format!(
                "no published catalog at {}: {e} (run `infercat build --out {}`)",
                link.display(),
                self.args.out.display()
            ))
        })
    }

    /// The catalog of the current generation, loading it on the first request after a refresh.
    /// Loading happens under the lock, so after a refresh one request loads the new catalog
    /// while the others wait for it instead of each loading a copy.
    pub fn catalog(&self) -> Result<Arc<Loaded>, ApiError> {
        let data_dir = self.current_dir("data")?;
        let mut cached = self.lock();
        if let Some(loaded) = cached.as_ref().filter(|l| l.data_dir == data_dir) {
            return Ok(Arc::clone(loaded));
        }
        let catalog = Catalog::from_data(&data_dir, &self.args)
            .map_err(|e| ApiError::unavailable(format!("cannot load the catalog: {e:#}")))?;
        let loaded = Arc::new(Loaded { data_dir, catalog });
        *cached = Some(Arc::clone(&loaded));
        Ok(loaded)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<Loaded>>> {
        // A panic while holding the lock leaves only a cache behind: keep using it.
        self.cached.lock().unwrap_or_else(|p| p.into_inner())
    }
}
