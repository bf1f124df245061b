//! The ingest report (`output/data/ingest-report.json`): what was read, what was rejected and
//! why, what was deliberately not turned into points. The site's ingest page renders it.

use serde::{Deserialize, Serialize};

/// One file the build did not turn into points, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileIssue {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestReport {
    pub raw_root: String,
    /// Content hash of every raw file and run.toml (paths included): names the data snapshot in
    /// manifests and on the site, and changes exactly when the inputs do.
    pub snapshot: String,
    pub runs: usize,
    pub files_seen: usize,
    pub files_read: usize,
    pub points: usize,
    pub profiles: usize,
    /// Files that match no format or break their format (`--strict` makes these fatal).
    pub rejected: Vec<FileIssue>,
    /// Valid files that hold no load point of their own (run summaries, README files).
    pub ignored: Vec<FileIssue>,
    /// How points that would have shared a curve were told apart (split by a raw field) or
    /// kept together as repeats of one measurement; `path` names the files involved.
    #[serde(default)]
    pub curves: Vec<FileIssue>,
}

impl IngestReport {
    pub fn reject(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.rejected.push(FileIssue {
            path: path.into(),
            reason: reason.into(),
        });
    }

    pub fn ignore(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.ignored.push(FileIssue {
            path: path.into(),
            reason: reason.into(),
        });
    }

    pub fn curve_note(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.curves.push(FileIssue {
            path: path.into(),
            reason: reason.into(),
        });
    }

    /// Sorts issue lists so the report is byte-identical for identical input.
    pub fn normalize(&mut self) {
        self.rejected.sort();
        self.ignored.sort();
        self.curves.sort();
    }

    /// The one line printed to stderr after an ingest.
    pub fn summary_line(&self) -> String {
        format!(
            "ingest: {} runs, {} files read, {} points in {} profiles; {} rejected, {} ignored, {} curve notes",
            self.runs,
            self.files_read,
            self.points,
            self.profiles,
            self.rejected.len(),
            self.ignored.len(),
            self.curves.len()
        )
    }
}
