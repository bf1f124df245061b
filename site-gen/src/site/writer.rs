//! Writes the site's files under one root, refusing any path that could leave it, counting
//! pages, files and bytes; shared by the threads that render profiles.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::*;

/// Writes files under one root, refusing any path that could leave it. Shared by the
/// threads that render profiles.
pub(super) struct SiteWriter {
    root: PathBuf,
    pages: AtomicUsize,
    files: AtomicUsize,
    bytes: AtomicU64,
}

pub(super) fn checked(rel: &str) -> Result<&Path, SiteError> {
    let rel_path = Path::new(rel);
    let safe = rel_path.components().all(|c| {
        matches!(c, Component::Normal(s) if s.to_str().is_some_and(|s| {
            !s.is_empty() && s.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')) && !s.starts_with('.')
        }))
    });
    if safe {
        Ok(rel_path)
    } else {
        Err(SiteError::UnsafePath(rel.to_string()))
    }
}

impl SiteWriter {
    pub(super) fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            pages: AtomicUsize::new(0),
            files: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    pub(super) fn count(&self, rel: &str, len: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(len, Ordering::Relaxed);
        if rel.ends_with(".html") {
            self.pages.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn target(&self, rel: &str) -> Result<PathBuf, SiteError> {
        let path = self.root.join(checked(rel)?);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| SiteError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        Ok(path)
    }

    pub(super) fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), SiteError> {
        self.write_parts(rel, &[bytes])
    }

    /// Writes `parts` one after another as one file: a large file is never joined in memory.
    pub(super) fn write_parts(
        &self,
        rel: &str,
        parts: &[impl AsRef<[u8]>],
    ) -> Result<(), SiteError> {
        use std::io::Write;
        let path = self.target(rel)?;
        let io = |source| SiteError::Io {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::File::create(&path).map_err(io)?;
        for part in parts {
            file.write_all(part.as_ref()).map_err(io)?;
        }
        self.count(rel, parts.iter().map(|p| p.as_ref().len() as u64).sum());
        Ok(())
    }

    pub(super) fn copy(&self, from: &Path, rel: &str) -> Result<(), SiteError> {
        let bytes = std::fs::read(from).map_err(|source| SiteError::Io {
            path: from.to_path_buf(),
            source,
        })?;
        self.write(rel, &bytes)
    }

    /// `from` as `<rel>` by a hard link when it is on the same file system (the tables of this
    /// same generation: never written again), else a copy.
    pub(super) fn link_or_copy(&self, from: &Path, rel: &str) -> Result<(), SiteError> {
        let to = self.target(rel)?;
        let _ = std::fs::remove_file(&to);
        let len = link_or_copy_file(from, &to).map_err(|source| SiteError::Io {
            path: to.clone(),
            source,
        })?;
        self.count(rel, len);
        Ok(())
    }

    /// Reuses `<previous>/<rel>` by a hard link (same bytes, no copy); false if it cannot.
    pub(super) fn reuse(&self, previous: &Path, rel: &str) -> bool {
        let (Ok(from), Ok(to)) = (checked(rel).map(|r| previous.join(r)), self.target(rel)) else {
            return false;
        };
        if !std::fs::symlink_metadata(&from).is_ok_and(|m| m.is_file()) {
            return false;
        }
        match link_or_copy_file(&from, &to) {
            Ok(len) => {
                self.count(rel, len);
                true
            }
            Err(_) => false,
        }
    }

    pub(super) fn stats(&self, reused_profiles: usize) -> SiteStats {
        SiteStats {
            pages: self.pages.load(Ordering::Relaxed),
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            reused_profiles,
        }
    }
}

/// A hard link from `to` to `from` (same bytes, no copy), else a copy; the file's length.
fn link_or_copy_file(from: &Path, to: &Path) -> std::io::Result<u64> {
    match std::fs::hard_link(from, to) {
        Ok(()) => Ok(std::fs::metadata(to)?.len()),
        Err(_) => std::fs::copy(from, to),
    }
}
