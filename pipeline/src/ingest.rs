//! The ingest stage: walk the raw tree, read each run's `run.toml`, detect and parse every
//! result file, attach its profile, and write `benchmarks.parquet` plus the ingest report.
//! A bad file is rejected with its path and reason; it never stops the others.

use crate::document::Document;
use crate::error::PipelineError;
use crate::formats::{self, Parsed, RawFormat};
use crate::point::{Load, MeasuredPoint, ServerMetrics};
use crate::report::IngestReport;
use crate::run_meta::RunMeta;
use crate::schema::{self, BenchmarkRow};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub const RUN_TOML: &str = "run.toml";
pub const BENCHMARKS_FILE: &str = "benchmarks.parquet";
pub const REPORT_FILE: &str = "ingest-report.json";

/// Rows (sorted into curves) and the report of one ingest.
#[derive(Debug)]
pub struct Ingested {
    pub rows: Vec<BenchmarkRow>,
    pub report: IngestReport,
}

/// Reads every run under `raw_root`. Fails only if the root itself cannot be walked.
pub fn ingest(raw_root: &Path) -> Result<Ingested, PipelineError> {
    if !raw_root.is_dir() {
        return Err(PipelineError::NoRawDir(raw_root.to_path_buf()));
    }
    let tree = RawTree::scan(raw_root)?;
    let mut report = IngestReport {
        raw_root: raw_root.display().to_string(),
        files_seen: tree.files.len(),
        snapshot: tree.snapshot(raw_root),
        ..Default::default()
    };
    let metas = read_run_metas(raw_root, &tree.run_dirs, &mut report);
    report.runs = metas.values().filter(|m| m.is_some()).count();
    let mut pending = Vec::new();
    let mut server_metrics: BTreeMap<PathBuf, ServerMetrics> = BTreeMap::new();
    for file in &tree.files {
        let shown = raw_root.join(file).display().to_string();
        if is_documentation(file) {
            report.ignore(shown, "documentation file, not a result");
            continue;
        }
        let Some(run_dir) = tree.run_dir_of(file) else {
            report.reject(shown, "not inside a run directory (no run.toml above it)");
            continue;
        };
        let Some(Some(meta)) = metas.get(run_dir) else {
            report.reject(shown, "skipped: its run.toml is invalid (see that entry)");
            continue;
        };
        match read_file(&raw_root.join(file), meta) {
            Err(reason) => report.reject(shown, reason),
            Ok((_, Parsed::NoPoints(reason))) => report.ignore(shown, reason),
            Ok((_, Parsed::ServerMetrics(m))) => {
                report.files_read += 1;
                server_metrics.insert(stage_key(file), m);
            }
            Ok((format, Parsed::Points(points))) => {
                match rows_for_file(run_dir, file, format, meta, points) {
                    Ok(rows) => {
                        report.files_read += 1;
                        pending.push((stage_key(file), rows));
                    }
                    Err(reason) => report.reject(shown, reason),
                }
            }
        }
    }
    let rows = attach_server_metrics(raw_root, pending, server_metrics, &mut report);
    report.points = rows.len();
    report.profiles = rows
        .iter()
        .map(|r| &r.profile_id)
        .collect::<BTreeSet<_>>()
        .len();
    report.normalize();
    Ok(Ingested { rows, report })
}

/// Writes `benchmarks.parquet` and `ingest-report.json` into `data_dir`.
pub fn write_outputs(ingested: &Ingested, data_dir: &Path) -> Result<(), PipelineError> {
    std::fs::create_dir_all(data_dir).map_err(|e| PipelineError::io(data_dir, e))?;
    let parquet = data_dir.join(BENCHMARKS_FILE);
    let mut df = schema::to_dataframe(&ingested.rows).map_err(|source| PipelineError::Parquet {
        path: parquet.clone(),
        source,
    })?;
    schema::write_parquet(&mut df, &parquet)?;
    let report_path = data_dir.join(REPORT_FILE);
    let json =
        serde_json::to_string_pretty(&ingested.report).map_err(|e| PipelineError::Table {
            path: report_path.clone(),
            reason: e.to_string(),
        })?;
    std::fs::write(&report_path, json + "\n").map_err(|e| PipelineError::io(&report_path, e))
}

/// The raw tree's files (relative, sorted) and the directories holding a run.toml.
struct RawTree {
    files: Vec<PathBuf>,
    run_dirs: BTreeSet<PathBuf>,
}

impl RawTree {
    fn scan(root: &Path) -> Result<Self, PipelineError> {
        let mut files = Vec::new();
        let mut run_dirs = BTreeSet::new();
        let walker = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(root).to_path_buf();
                PipelineError::io(
                    path,
                    e.into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("walk failed")),
                )
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap_or(entry.path())
                .to_path_buf();
            if rel.file_name().is_some_and(|n| n == RUN_TOML) {
                run_dirs.insert(rel.parent().map(Path::to_path_buf).unwrap_or_default());
            } else {
                files.push(rel);
            }
        }
        Ok(Self { files, run_dirs })
    }

    /// A short hash over every file's relative path and bytes (run.toml files included).
    fn snapshot(&self, root: &Path) -> String {
        use sha2::{Digest, Sha256};
        let mut all: Vec<PathBuf> = self.files.clone();
        all.extend(self.run_dirs.iter().map(|d| d.join(RUN_TOML)));
        all.sort();
        let mut h = Sha256::new();
        for rel in all {
            h.update(path_text(&rel).as_bytes());
            h.update([0]);
            match std::fs::read(root.join(&rel)) {
                Ok(bytes) => h.update(Sha256::digest(&bytes)),
                Err(_) => h.update(b"unreadable"),
            }
        }
        h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The nearest ancestor directory of `file` that holds a run.toml.
    fn run_dir_of(&self, file: &Path) -> Option<&PathBuf> {
        file.ancestors()
            .skip(1)
            .find_map(|dir| self.run_dirs.get(dir))
    }
}

fn read_run_metas(
    root: &Path,
    run_dirs: &BTreeSet<PathBuf>,
    report: &mut IngestReport,
) -> BTreeMap<PathBuf, Option<RunMeta>> {
    run_dirs
        .iter()
        .map(|dir| {
            let path = root.join(dir).join(RUN_TOML);
            let meta = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|text| RunMeta::parse(&text));
            match meta {
                Ok(m) => (dir.clone(), Some(m)),
                Err(reason) => {
                    report.reject(
                        path.display().to_string(),
                        format!("invalid run.toml: {reason}"),
                    );
                    (dir.clone(), None)
                }
            }
        })
        .collect()
}

fn is_documentation(file: &Path) -> bool {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_uppercase())
        .unwrap_or_default();
    ["README", "LICENSE", "NOTICE", "SHA256SUMS"]
        .iter()
        .any(|d| name.starts_with(d))
}

/// Detects the file's format by content (checking it against the run's declared tool) and
/// parses it. Errors are the exact reason, without the path.
fn read_file(path: &Path, meta: &RunMeta) -> Result<(&'static dyn RawFormat, Parsed), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let doc = Document::from_bytes(&bytes).map_err(|e| e.reason)?;
    let declared = meta.source.tool.as_deref().and_then(formats::by_tool);
    let format = match (formats::detect(&doc), declared) {
        (Some(found), Some(declared))
            if found.tool() != declared.tool() && !found.tool().starts_with(declared.tool()) =>
        {
            return Err(format!(
                "content looks like {} output but run.toml says tool = \"{}\"",
                found.tool(),
                declared.tool()
            ));
        }
        (Some(found), _) => found,
        (None, Some(declared)) => declared,
        (None, None) => {
            return Err(format!(
                "matches no known format (tried: {})",
                formats::all()
                    .iter()
                    .map(|f| f.tool())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    };
    let parsed = format
        .parse(&doc)
        .map_err(|e| format!("{}: {}", format.tool(), e.reason))?;
    if let Parsed::Points(points) = &parsed {
        check_points(points).map_err(|e| format!("{}: {e}", format.tool()))?;
    }
    Ok((format, parsed))
}

/// Checks that hold for every format: something was measured, and something completed.
fn check_points(points: &[MeasuredPoint]) -> Result<(), String> {
    if points.is_empty() {
        return Err("file holds no measured points".into());
    }
    for p in points {
        if p.completed == Some(0) {
            return Err(format!(
                "point at {} {} completed no request",
                p.load.kind(),
                p.load.value().map_or("inf".into(), |v| v.to_string())
            ));
        }
        if let Load::Rate(r) | Load::Concurrency(r) = p.load
            && r <= 0.0
        {
            return Err(format!("{} must be positive, found {r}", p.load.kind()));
        }
    }
    Ok(())
}

fn rows_for_file(
    run_dir: &Path,
    file: &Path,
    format: &dyn RawFormat,
    meta: &RunMeta,
    points: Vec<MeasuredPoint>,
) -> Result<Vec<BenchmarkRow>, String> {
    points
        .into_iter()
        .map(|point| {
            let profile = meta.resolve(point.label.as_deref())?;
            Ok(BenchmarkRow {
                run_id: path_text(run_dir),
                source_file: path_text(file),
                tool: format.tool().to_string(),
                origin: meta.source.origin.clone(),
                license: meta.source.license.clone(),
                synthetic: meta.source.synthetic,
                notes: profile.notes,
                profile_id: profile.key.id(),
                key: profile.key,
                server_args: profile.server_args,
                point,
            })
        })
        .collect()
}

/// Forward-slash path text, so ids are the same on every OS.
fn path_text(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Pairs `stage_3_lifecycle_metrics.json` with `stage_3_prometheus_metrics.json`: the directory
/// plus the file name before `lifecycle_metrics` / `prometheus_metrics`.
fn stage_key(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = ["lifecycle_metrics", "prometheus_metrics"]
        .iter()
        .find_map(|marker| name.find(marker).map(|i| name[..i].to_string()))
        .unwrap_or(name);
    file.with_file_name(format!("{prefix}\u{0}stage"))
}

fn attach_server_metrics(
    root: &Path,
    pending: Vec<(PathBuf, Vec<BenchmarkRow>)>,
    mut server: BTreeMap<PathBuf, ServerMetrics>,
    report: &mut IngestReport,
) -> Vec<BenchmarkRow> {
    let mut rows = Vec::new();
    for (key, mut file_rows) in pending {
        if let Some(m) = server.remove(&key) {
            for r in &mut file_rows {
                r.point.server = m;
            }
        }
        rows.extend(file_rows);
    }
    for key in server.keys() {
        let shown = root.join(
            key.with_file_name(
                key.file_name()
                    .map(|n| {
                        n.to_string_lossy()
                            .replace("\u{0}stage", "prometheus_metrics.json")
                    })
                    .unwrap_or_default(),
            ),
        );
        report.ignore(
            shown.display().to_string(),
            "server-side metrics with no matching stage lifecycle file (e.g. a run-wide summary)",
        );
    }
    rows.sort_by(curve_order);
    rows
}

/// Orders rows into curves: by profile, then load (rate and concurrency by value, unbounded
/// last), then file and label for a stable tie-break.
pub fn curve_order(a: &BenchmarkRow, b: &BenchmarkRow) -> std::cmp::Ordering {
    let load_key = |r: &BenchmarkRow| {
        let kind_rank = match r.point.load {
            Load::Rate(_) => 0,
            Load::Concurrency(_) => 1,
            Load::Unbounded => 2,
        };
        (kind_rank, r.point.load.value().unwrap_or(f64::INFINITY))
    };
    a.profile_id
        .cmp(&b.profile_id)
        .then_with(|| {
            let (ka, va) = load_key(a);
            let (kb, vb) = load_key(b);
            ka.cmp(&kb).then(va.total_cmp(&vb))
        })
        .then_with(|| a.source_file.cmp(&b.source_file))
        .then_with(|| a.point.label.cmp(&b.point.label))
}
