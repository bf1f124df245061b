//! Reading a price CSV: the reader, its header, and columns found by name, with errors that
//! name the file.

use crate::error::PipelineError;
use std::path::Path;

/// An error about `path`'s contents.
pub(super) fn table_error(path: &Path, reason: String) -> PipelineError {
    PipelineError::Table {
        path: path.to_path_buf(),
        reason,
    }
}

/// A CSV reader over `text` and its header row.
pub(super) fn open<'t>(
    path: &Path,
    text: &'t str,
) -> Result<(csv::Reader<&'t [u8]>, csv::StringRecord), PipelineError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| table_error(path, format!("CSV header: {e}")))?
        .clone();
    Ok((reader, headers))
}

/// The index of the column called `name`.
pub(super) fn column(
    headers: &csv::StringRecord,
    name: &str,
    path: &Path,
) -> Result<usize, PipelineError> {
    headers
        .iter()
        .position(|h| h.trim() == name)
        .ok_or_else(|| table_error(path, format!("missing column `{name}`")))
}
