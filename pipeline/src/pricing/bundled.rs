//! The files of `data/prices/` and where they are read from: compiled into the binary (so
//! every command works from any directory), or a directory given with `--prices-dir`.

use super::whole_machine::WHOLE_MACHINE_FILE;
use std::path::{Path, PathBuf};

/// The component catalog files, in the order they are read.
pub const CATALOG_FILES: [&str; 3] = [
    "gcp_gpu_host_vms.csv",
    "gcp_gpu_accelerators.csv",
    "gcp_tpu.csv",
];
/// The hand-checked override table.
pub const OVERRIDES_FILE: &str = "overrides.csv";

/// Shown as the directory of the compiled-in files in errors and price sources.
pub const BUNDLED_DIR: &str = "<bundled>/data/prices";

const TEXTS: [(&str, &str); 5] = [
    (
        "gcp_gpu_instances_cyclenerd.csv",
        include_str!("../../../data/prices/gcp_gpu_instances_cyclenerd.csv"),
    ),
    (
        "gcp_gpu_host_vms.csv",
        include_str!("../../../data/prices/gcp_gpu_host_vms.csv"),
    ),
    (
        "gcp_gpu_accelerators.csv",
        include_str!("../../../data/prices/gcp_gpu_accelerators.csv"),
    ),
    (
        "gcp_tpu.csv",
        include_str!("../../../data/prices/gcp_tpu.csv"),
    ),
    (
        "overrides.csv",
        include_str!("../../../data/prices/overrides.csv"),
    ),
];

/// One price file's display path and text.
#[derive(Debug, Clone)]
pub struct PriceFile {
    pub path: PathBuf,
    pub text: String,
}

/// Where the catalog files are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogLocation {
    Bundled,
    Dir(PathBuf),
}

impl CatalogLocation {
    pub fn from_option(dir: Option<&Path>) -> Self {
        dir.map_or(Self::Bundled, |d| Self::Dir(d.to_path_buf()))
    }

    /// A catalog file by name: `Ok(None)` when an optional file (the overrides, the
    /// whole-machine source) is absent from a directory.
    pub fn read(&self, name: &str) -> Result<Option<PriceFile>, crate::error::PipelineError> {
        match self {
            CatalogLocation::Bundled => {
                Ok(TEXTS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(n, text)| PriceFile {
                        path: Path::new(BUNDLED_DIR).join(n),
                        text: (*text).to_string(),
                    }))
            }
            CatalogLocation::Dir(dir) => {
                let path = dir.join(name);
                let optional = name == OVERRIDES_FILE || name == WHOLE_MACHINE_FILE;
                if optional && !path.exists() {
                    return Ok(None);
                }
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| crate::error::PipelineError::io(&path, e))?;
                Ok(Some(PriceFile { path, text }))
            }
        }
    }

    /// The three component tables, in order.
    pub fn catalog_files(&self) -> Result<Vec<PriceFile>, crate::error::PipelineError> {
        let mut out = Vec::new();
        for name in CATALOG_FILES {
            if let Some(f) = self.read(name)? {
                out.push(f);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_files_match_the_data_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/prices");
        for (name, text) in TEXTS {
            let on_disk = std::fs::read_to_string(dir.join(name)).unwrap();
            assert_eq!(on_disk, text, "{name}");
        }
    }
}
