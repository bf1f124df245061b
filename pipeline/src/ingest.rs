//! The ingest stage: walk the raw tree, read each run's `run.toml`, detect and parse every
//! result file, attach its profile, and write `benchmarks.parquet` plus the ingest report.
//! A bad file is rejected with its path and reason; it never stops the others.

use crate::companion;
use crate::csv_copy::MergedCopy;
use crate::digest::hex;
use crate::document::Document;
use crate::error::PipelineError;
use crate::file_stamps::{FileStamps, Stamp, StampRule};
use crate::formats::{self, Parsed};
use crate::parse_cache::{EncodedCache, Kind, Outcome, Parse, ParseCache};
use crate::point::{Load, MeasuredPoint, ServerMetrics};
use crate::previous_table::{self, IngestRecord, Kept, Plan, Previous, ReportPart, RunInputs};
use crate::progress::{Progress, Silent};
use crate::record_fields::RecordFields;
use crate::report::{FileIssue, IngestReport};
use crate::run_meta::RunMeta;
use crate::schema::{self, BenchmarkRow};
use crate::storage::{BENCHMARKS_FILE, CurvePlace, REPORT_FILE};
use polars::prelude::DataFrame;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const RUN_TOML: &str = "run.toml";

/// Rows (sorted into curves) and the report of one ingest.
#[derive(Debug)]
pub struct Ingested {
    /// Every row; where the previous table is taken from (`kept`), the rows of the models
    /// made again only.
    pub rows: Vec<BenchmarkRow>,
    /// The previous build's table (and its CSV copy) and which of its models `rows` replace.
    pub kept: Option<Kept>,
    /// What the table is made from, for the next ingest to take rows from it (none where a
    /// report entry could not be put to its run).
    pub record: Option<IngestRecord>,
    pub report: IngestReport,
    /// Files parsed this time.
    pub parsed: usize,
    /// Files whose parse the cache held (content unchanged).
    pub unchanged: usize,
    /// Of those, files not even read: their stamp said their content hash.
    pub not_read: usize,
    /// Where the previous table was taken from: how many of the runs' models had their rows
    /// made again, of how many.
    pub remade_models: Option<(usize, usize)>,
    /// The parse cache and file stamps being saved (waited for when dropped).
    pub saving: Saving,
}

/// The parse cache and file stamps an ingest saves on a thread of its own, which nothing of
/// the build reads: the stages after ingest go on while they are written. Waited for when
/// dropped, so a build ends with them saved.
#[derive(Debug, Default)]
pub struct Saving(Option<std::thread::JoinHandle<()>>);

impl Saving {
    /// Waits until they are saved (or failed to be: the save reports its own failure).
    pub fn wait(mut self) {
        self.join();
    }

    fn join(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Saving {
    fn drop(&mut self) {
        self.join();
    }
}

/// How an ingest saves what it remembers for the next one: the parse cache as encoded (or why
/// it could not be) and the file stamps.
pub type Save = Box<dyn FnOnce(Result<EncodedCache, String>, FileStamps) + Send>;

/// Reads every run under `raw_root`. Fails only if the root itself cannot be walked.
pub fn ingest(raw_root: &Path) -> Result<Ingested, PipelineError> {
    ingest_with(raw_root, Remembered::default, &Silent, Box::new(|_, _| {}))
}

/// What earlier ingests of the tree left for this one: parse results by content, and the
/// stamps under which each file's content hash was taken.
#[derive(Debug, Default)]
pub struct Remembered {
    pub parsed: ParseCache,
    pub stamps: FileStamps,
    /// The table the previous build published and its record.
    pub previous: Option<Previous>,
}

/// What one file of the tree came to.
enum FileResult<'t> {
    Documentation,
    OutsideRun,
    RunTomlInvalid,
    Unreadable(String),
    Read(ReadFile<'t>),
}

/// A file of a run whose content is known: read, or known by its stamp.
struct ReadFile<'t> {
    /// The file's path from the raw root, as the snapshot and the stamps name it.
    rel: String,
    hash: String,
    key: String,
    parse: Parse,
    /// The run the file belongs to, as `classify` found it.
    run: Run<'t>,
    /// The file's metadata, taken before its bytes were read.
    stamp: Option<Stamp>,
    /// Whether its bytes were read (else its stamp gave its hash).
    bytes_read: bool,
}

/// A run directory and its run.toml.
#[derive(Clone, Copy)]
struct Run<'t> {
    dir: &'t Path,
    meta: &'t RunMeta,
}

/// Like [`ingest`], reusing what `load` reads (while the tree is scanned): the content hash of
/// files whose stamp is unchanged (they are not read at all when the cache holds their parse)
/// and parse results for files whose content is unchanged. The rest is read and parsed in
/// parallel, with progress reported. `save` is handed the cache (as its file's bytes, or why
/// they could not be made) and the stamps of this tree's files to save on a thread of its own
/// while the rows are made and after this returns (`Ingested::saving`, for the caller to wait
/// for before publishing): the cache is dropped before, so each file's points move into its
/// rows instead of being held twice.
pub fn ingest_with(
    raw_root: &Path,
    load: impl FnOnce() -> Remembered + Send,
    progress: &dyn Progress,
    save: Save,
) -> Result<Ingested, PipelineError> {
    if !raw_root.is_dir() {
        return Err(PipelineError::NoRawDir(raw_root.to_path_buf()));
    }
    let started = std::time::SystemTime::now();
    let (tree, remembered) = rayon::join(|| RawTree::scan(raw_root), load);
    let tree = tree?;
    let Remembered {
        parsed: cache,
        stamps: known_stamps,
        previous,
    } = remembered;
    let earlier = Earlier {
        cache: &cache,
        stamps: &known_stamps,
        rule: StampRule::for_root(raw_root),
    };
    crate::timing::mark("ingest: tree walked, cache loaded");
    let mut report = IngestReport {
        raw_root: raw_root.display().to_string(),
        files_seen: tree.files.len(),
        ..Default::default()
    };
    let mut stamps = FileStamps::taken_from(started);
    let (metas, meta_hashes) =
        read_run_metas(raw_root, &tree.run_dirs, earlier, &mut stamps, &mut report);
    report.runs = metas.values().filter(|m| m.is_some()).count();
    progress.start("ingest", tree.files.len());
    let results: Vec<FileResult> = tree
        .files
        .par_iter()
        .map(|file| {
            let result = classify(raw_root, &tree, &metas, earlier, file);
            progress.advance(1);
            result
        })
        .collect();
    progress.finish();
    crate::timing::mark("ingest: files classified");
    // Saved by appending to the file they were loaded from where that keeps it true.
    stamps.follow(known_stamps);
    let toml_hashes: BTreeMap<String, String> = meta_hashes.iter().cloned().collect();
    let mut gathered = Gathered {
        hashes: meta_hashes,
        stamps,
        ..Default::default()
    };
    for (file, result) in tree.files.iter().zip(results) {
        gathered.add(raw_root, file, result, &mut report);
    }
    let Gathered {
        hashes,
        stamps,
        entries,
        hits,
        misses,
        not_read,
        mut pending,
        mut server_metrics,
        metrics_files,
        set_aside,
        run_files,
    } = gathered;
    let runs = run_inputs(&metas, &toml_hashes, run_files);
    // Such a file's rows depend on another run's files: no run's rows are taken from a
    // previous table, and none of this table's are recorded to be taken later (the other run
    // could change or go while this one stays the same).
    let spanning = repeats_span_runs(&pending);
    let plan = previous
        .as_ref()
        .filter(|p| !spanning && p.record.raw_root == report.raw_root)
        .and_then(|p| {
            let plan = Plan::against(&p.record, &runs);
            let kept = previous_table::kept_size(&p.table, &plan).ok()?;
            Some((plan, kept))
        });
    let (plan, (kept_rows, kept_curves)) = match plan {
        Some((plan, kept)) => (Some(plan), kept),
        None => (None, (0, 0)),
    };
    let remade_models = plan.as_ref().map(|plan| plan.models_made_again(&runs));
    let metrics_runs: BTreeMap<PathBuf, String> = metrics_files
        .iter()
        .map(|(key, dir, _)| (key.clone(), path_text(dir)))
        .collect();
    settle_set_aside(set_aside, &pending, &mut report);
    reject_metrics_of_runs_without_points(
        &mut server_metrics,
        metrics_files,
        &pending,
        &mut report,
    );
    let mut cache = cache;
    cache.replace(entries);
    crate::timing::mark("ingest: gathered");
    let encoded = cache.encoded();
    drop(cache);
    crate::timing::mark("ingest: cache encoded");
    report.snapshot = snapshot(hashes);
    // The files are written while the rows are made and the stages after them run: nothing
    // of the build reads them. Where no thread can be had, they are written here instead.
    let saving = save_apart(save, encoded, stamps);
    if let Some(plan) = &plan {
        keep_runs_made_again(plan, &mut pending, &mut server_metrics, &metrics_runs);
    }
    let mut made = IngestReport::default();
    let (mut rows, taken) = rows_of_files(raw_root, pending, server_metrics, &mut made);
    if let Some(plan) = &plan {
        rows.retain(|r| plan.models.contains(&r.key.model));
    }
    crate::timing::mark("ingest: rows made");
    let notes = crate::profile_identity::assign_by_model(&mut rows);
    crate::timing::mark("ingest: identities assigned");
    let parts = report_parts(raw_root, &tree, &made, &taken);
    let previous_record = previous.as_ref().map(|p| &p.record);
    let record = previous_table::settle_report(
        &mut report,
        runs,
        plan.as_ref().zip(previous_record),
        made,
        parts,
        notes,
    )
    .filter(|_| !spanning);
    drop_record_fields(&mut rows);
    sort_into_curves(&mut rows);
    crate::timing::mark("ingest: sorted");
    // Curve order keeps each profile's rows together.
    let made_curves = rows.chunk_by(|a, b| a.profile_id == b.profile_id).count();
    let kept = previous.zip(plan).map(|(p, plan)| Kept {
        table: p.table,
        csv: p.csv,
        plan,
    });
    report.points = rows.len() + kept_rows;
    report.profiles = made_curves + kept_curves;
    report.normalize();
    Ok(Ingested {
        rows,
        kept,
        record,
        report,
        parsed: misses,
        unchanged: hits,
        not_read,
        remade_models,
        saving,
    })
}

/// Runs `save` on a thread of its own, or here where no thread can be started.
fn save_apart(save: Save, encoded: Result<EncodedCache, String>, stamps: FileStamps) -> Saving {
    let to_save = Arc::new(std::sync::Mutex::new(Some((save, encoded, stamps))));
    let save_once = {
        let to_save = Arc::clone(&to_save);
        move || {
            let taken = to_save.lock().ok().and_then(|mut s| s.take());
            if let Some((save, encoded, stamps)) = taken {
                save(encoded, stamps);
            }
        }
    };
    match std::thread::Builder::new()
        .name("cache-writer".into())
        .spawn(save_once.clone())
    {
        Ok(thread) => Saving(Some(thread)),
        Err(_) => {
            save_once();
            Saving(None)
        }
    }
}

/// A record's raw fields are read to match it to run.toml's series (as its rows are made) and
/// to tell colliding points apart (`profile_identity`); nothing later reads them, and the
/// table has no column for them. At 100,000 points they were 70 MB of small maps and strings
/// still held while the rows became the table, the ingest's peak.
fn drop_record_fields(rows: &mut [BenchmarkRow]) {
    for r in rows {
        r.point.fields = RecordFields::default();
    }
}

/// Sorts rows into curve order ([`crate::storage::curve_order`], stable) by sorting their
/// indices and then moving each row once into place: a stable sort of the rows themselves
/// (720 bytes each, their points boxed) would allocate a buffer of half of them.
fn sort_into_curves(rows: &mut [BenchmarkRow]) {
    let rank = profile_ranks(rows);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.par_sort_by(|&a, &b| {
        rank[a]
            .cmp(&rank[b])
            .then_with(|| CurvePlace::of(&rows[a]).within_curve_cmp(&CurvePlace::of(&rows[b])))
    });
    crate::slots::move_into_order(rows, order);
}

/// Each row's profile id as its place among the rows' distinct ids in id order: the sort
/// compares two numbers where it compared two ids (long, and alike for their first dozens of
/// bytes) a million times at 100,000 rows.
fn profile_ranks(rows: &[BenchmarkRow]) -> Vec<usize> {
    let (ids, slots) = crate::slots::first_seen_slots(rows, |r| r.profile_id.as_str());
    let mut in_id_order: Vec<usize> = (0..ids.len()).collect();
    in_id_order.sort_unstable_by_key(|&slot| ids[slot]);
    let mut rank = vec![0; ids.len()];
    for (place, slot) in in_id_order.into_iter().enumerate() {
        rank[slot] = place;
    }
    slots.into_iter().map(|slot| rank[slot]).collect()
}

/// A file of points waiting for its rows.
struct PendingFile<'t> {
    file: PathBuf,
    run: Run<'t>,
    /// The content hash the file's parse belongs to.
    hash: String,
    parse: Parse,
}

/// Every file's rows with its stage's server metrics attached, in file order, except that
/// the files that may repeat another's points come last, checked against the files read before
/// them ([`left_out_as_read_elsewhere`]). Made on every core a block of files at a
/// time, into one vector sized up front: each block's outcomes, no longer shared by a cache (a
/// file whose content another repeats shares it, and is copied), move into their rows, so
/// neither the points nor the rows are ever held twice. A file's points the cache loaded are
/// decoded here, as its block comes: the loaded cache file's bytes (16 MB at 10,000 runs) are
/// held until the last such file's block, the decoded points only until their rows are made.
fn rows_of_files(
    raw_root: &Path,
    pending: Vec<PendingFile>,
    server: BTreeMap<PathBuf, ServerMetrics>,
    report: &mut IngestReport,
) -> (Vec<BenchmarkRow>, Vec<PathBuf>) {
    let point_count = |p: &PendingFile| match p.parse.kind() {
        Kind::Points { count, .. } => count,
        _ => 0,
    };
    let (may_repeat, others): (Vec<PendingFile>, Vec<PendingFile>) =
        pending.into_iter().partition(may_repeat_another);
    let mut rows = RowsSoFar {
        rows: Vec::with_capacity(others.iter().chain(&may_repeat).map(point_count).sum()),
        // Only such a file asks which files were read.
        read: (!may_repeat.is_empty()).then(ReadFiles::new),
        server,
        taken: Vec::new(),
    };
    rows.add_independent(raw_root, others, report);
    rows.add(raw_root, may_repeat, report);
    report_unpaired_server_metrics(raw_root, &rows.server, report);
    (rows.rows, rows.taken)
}

/// Files whose points may repeat another file's beside them: vLLM nightly summaries, GuideLLM
/// reports not named `.json` (its YAML), bench_serving tables (a patched benchmark's CSV
/// beside its JSON) and `vllm bench sweep`'s lists of records ([`left_out_as_read_elsewhere`]).
fn may_repeat_another(p: &PendingFile) -> bool {
    let Some(tool) = p.parse.tool() else {
        return false;
    };
    tool == formats::VLLM_NIGHTLY_TOOL
        || tool == formats::BENCH_SERVING_CSV_TOOL
        || tool == formats::VLLM_SWEEP_TOOL
        || is_guidellm_not_json(tool, &p.file)
}

/// The bench_serving result files read in `file`'s directory or below it: a sweep writes a
/// setting's `run=N.json` beside its `summary.json`, an SLA search its steps' directories
/// below the list of them.
fn bench_results_read_within(file: &Path, read_before: &ReadFiles) -> usize {
    beside_or_below(file, read_before)
        .filter(|(_, tool)| [formats::VLLM_TOOL, formats::SGLANG_TOOL].contains(&tool.as_str()))
        .count()
}

/// The entries of `by_path` (keyed by [`read_key`]) that lie in `file`'s directory or below
/// it. A file at the raw root (a root that is itself a run) has every entry below it.
fn beside_or_below<'m, V>(
    file: &Path,
    by_path: &'m BTreeMap<String, V>,
) -> impl Iterator<Item = (&'m String, &'m V)> {
    let dir = read_key(file.parent().unwrap_or(Path::new("")));
    let prefix = if dir.is_empty() {
        dir
    } else {
        format!("{dir}{}", std::path::MAIN_SEPARATOR)
    };
    by_path
        .range(prefix.clone()..)
        .take_while(move |(path, _)| path.starts_with(&prefix))
}

/// A GuideLLM report not named `.json`: its YAML, which may have a JSON twin beside it.
fn is_guidellm_not_json(tool: &str, file: &Path) -> bool {
    tool == formats::GUIDELLM_TOOL
        && !file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The rows made so far, the files they came from with their tools (when asked for), and the
/// server metrics not yet attached to a stage.
struct RowsSoFar {
    rows: Vec<BenchmarkRow>,
    read: Option<ReadFiles>,
    server: BTreeMap<PathBuf, ServerMetrics>,
    /// The files counted as read.
    taken: Vec<PathBuf>,
}

/// Files read, by their path in lower case (a twin named `BENCHMARKS.JSON` is still a twin),
/// with the tool they were read as.
type ReadFiles = BTreeMap<String, String>;

fn read_key(path: &Path) -> String {
    path.to_string_lossy().to_lowercase()
}

/// Files whose rows are made at once, on both cores, before they are added in order.
const ROWS_BLOCK: usize = 256;

/// One block of files' rows, made on both cores, in the block's order.
fn rows_of_block(
    raw_root: &Path,
    block: Vec<PendingFile>,
    read_before: &ReadFiles,
) -> Vec<(PathBuf, Result<FileRows, String>)> {
    block
        .into_par_iter()
        .map(|p| {
            let outcome = whole_outcome(p.parse, raw_root, &p.file, p.run.meta, &p.hash);
            let rows = rows_of_file(&p.file, p.run, outcome, read_before);
            (p.file, rows)
        })
        .collect()
}

impl RowsSoFar {
    /// Adds files whose rows may depend on the ordinary files added before them (see
    /// [`may_repeat_another`]), a block at a time. They are checked against the ordinary files
    /// only, never against each other: which of them another saw would then depend on where
    /// the blocks fell, and so on every other such file in the tree.
    fn add(&mut self, raw_root: &Path, files: Vec<PendingFile>, report: &mut IngestReport) {
        let read = self.read.take().unwrap_or_default();
        let mut files = files.into_iter();
        loop {
            let block: Vec<PendingFile> = files.by_ref().take(ROWS_BLOCK).collect();
            if block.is_empty() {
                break;
            }
            let built = rows_of_block(raw_root, block, &read);
            self.take_all(raw_root, built, report);
        }
    }

    /// Adds files whose rows depend on no other file: one block's rows are made while the
    /// block before is added, since adding (in order, on one core) left the other core idle
    /// for half of this step.
    fn add_independent(
        &mut self,
        raw_root: &Path,
        files: Vec<PendingFile>,
        report: &mut IngestReport,
    ) {
        let nothing_read = ReadFiles::new();
        let mut files = files.into_iter();
        let mut made = Vec::new();
        loop {
            let block: Vec<PendingFile> = files.by_ref().take(ROWS_BLOCK).collect();
            if block.is_empty() && made.is_empty() {
                break;
            }
            let previous = std::mem::take(&mut made);
            let ((), next) = rayon::join(
                || self.take_all(raw_root, previous, report),
                || rows_of_block(raw_root, block, &nothing_read),
            );
            made = next;
        }
    }

    fn take_all(
        &mut self,
        raw_root: &Path,
        built: Vec<(PathBuf, Result<FileRows, String>)>,
        report: &mut IngestReport,
    ) {
        for (file, file_rows) in built {
            self.take(raw_root, file, file_rows, report);
        }
    }

    /// Adds one file's rows, or says why it has none.
    fn take(
        &mut self,
        raw_root: &Path,
        file: PathBuf,
        built: Result<FileRows, String>,
        report: &mut IngestReport,
    ) {
        let path = || raw_root.join(&file).display().to_string();
        let FileRows { mut rows, left_out } = match built {
            Ok(built) => built,
            Err(reason) => return report.reject(path(), reason),
        };
        if let Some(note) = left_out {
            if rows.is_empty() {
                return report.ignore(path(), note);
            }
            report.curve_note(path(), note);
        }
        report.files_read += 1;
        self.taken.push(file.clone());
        if let Some(m) = self.server.remove(&stage_key(&file)) {
            for r in &mut rows {
                r.point.server = m;
            }
        }
        if let (Some(read), Some(row)) = (&mut self.read, rows.first()) {
            read.insert(read_key(&file), row.tool.clone());
        }
        self.rows.append(&mut rows);
    }
}

/// A file's rows, and why some of its points were left out when some were.
struct FileRows {
    rows: Vec<BenchmarkRow>,
    left_out: Option<String>,
}

fn rows_of_file(
    file: &Path,
    run: Run,
    outcome: Outcome,
    read_before: &ReadFiles,
) -> Result<FileRows, String> {
    match outcome {
        Outcome::Read {
            tool,
            parsed: Parsed::Points(points),
        } => {
            let (points, left_out) = left_out_as_read_elsewhere(file, &tool, points, read_before);
            let rows = rows_for_file(run.dir, file, &tool, run.meta, points)?;
            Ok(FileRows { rows, left_out })
        }
        Outcome::Rejected(reason) => Err(reason),
        // Only files of points are queued (`Gathered::add`): this one was read again and
        // holds something else now.
        Outcome::Read { .. } => Err(CHANGED_WHILE_READ.into()),
    }
}

const CHANGED_WHILE_READ: &str =
    "changed while the build read it (it no longer holds what it did): build again";

/// The whole outcome of `file` (from `raw_root`): the cache's, or, where the cache's bytes for
/// it do not decode (its payload's checksum held, so only a fault of this code's), the file
/// read and parsed again if it still holds the content `hash` names.
fn whole_outcome(
    parse: Parse,
    raw_root: &Path,
    file: &Path,
    meta: &RunMeta,
    hash: &str,
) -> Outcome {
    parse
        .into_outcome()
        .unwrap_or_else(|| match std::fs::read(raw_root.join(file)) {
            Ok(bytes) if hex(&Sha256::digest(&bytes)) == hash => outcome_of_bytes(&bytes, meta),
            Ok(_) => Outcome::Rejected(CHANGED_WHILE_READ.into()),
            Err(e) => Outcome::Rejected(format!("cannot read: {e}")),
        })
}

fn outcome_of_bytes(bytes: &[u8], meta: &RunMeta) -> Outcome {
    match parse_bytes(bytes, meta) {
        Ok((tool, parsed)) => Outcome::Read {
            tool: tool.to_string(),
            parsed,
        },
        Err(reason) => Outcome::Rejected(reason),
    }
}

/// A file's points without those another file beside it, read before, already holds, and a
/// note saying so when any were left out: nothing is counted twice. (A file that was rejected
/// leaves this one's points in.)
fn left_out_as_read_elsewhere(
    file: &Path,
    tool: &str,
    points: Vec<MeasuredPoint>,
    read_before: &ReadFiles,
) -> (Vec<MeasuredPoint>, Option<String>) {
    if read_before.is_empty() {
        return (points, None);
    }
    if tool == formats::VLLM_NIGHTLY_TOOL {
        return nightly_rows_read_elsewhere(file, points, read_before);
    }
    let json_twin = file.with_extension("json");
    let twin_tool = read_before.get(&read_key(&json_twin)).map(String::as_str);
    let twin_name = json_twin.file_name().unwrap_or_default().to_string_lossy();
    if is_guidellm_not_json(tool, file) && twin_tool == Some(formats::GUIDELLM_TOOL) {
        let note = format!(
            "GuideLLM's YAML report: `{twin_name}` beside it holds the same benchmarks and is \
             read instead, so each is counted once"
        );
        return (Vec::new(), Some(note));
    }
    if tool == formats::VLLM_SWEEP_TOOL {
        let runs = bench_results_read_within(file, read_before);
        if runs > 0 {
            let note = format!(
                "`vllm bench sweep`'s list of records collected from result files: the {runs} \
                 result file(s) beside or below it are read instead, so each run counts once"
            );
            return (Vec::new(), Some(note));
        }
    }
    // One row beside a one-record result of the same name is that record again; a collated
    // table of many rows beside it is not.
    let json_record = [formats::VLLM_TOOL, formats::SGLANG_TOOL];
    if tool == formats::BENCH_SERVING_CSV_TOOL
        && points.len() == 1
        && twin_tool.is_some_and(|t| json_record.contains(&t))
    {
        let note = format!(
            "a bench_serving table beside the result `{twin_name}`, which holds the same \
             measurement and is read instead, so it is counted once"
        );
        return (Vec::new(), Some(note));
    }
    (points, None)
}

/// vLLM's nightly benchmarks write one result file per test (`<test name>.json`) and then a
/// summary of them all (`benchmark_results.json`); a results directory copied whole holds
/// both. A summary row whose test's own file beside it was read is the same measurement, with
/// fewer figures: it is left out.
fn nightly_rows_read_elsewhere(
    file: &Path,
    points: Vec<MeasuredPoint>,
    read_before: &ReadFiles,
) -> (Vec<MeasuredPoint>, Option<String>) {
    let dir = file.parent().unwrap_or(Path::new(""));
    let own_file = |p: &MeasuredPoint| {
        let test = p.label.as_deref()?;
        let one_name = matches!(
            Path::new(test).components().collect::<Vec<_>>().as_slice(),
            [std::path::Component::Normal(_)]
        );
        let path = dir.join(format!("{test}.json"));
        (one_name && read_before.contains_key(&read_key(&path))).then_some(path)
    };
    let total = points.len();
    let (beside, kept): (Vec<MeasuredPoint>, Vec<MeasuredPoint>) =
        points.into_iter().partition(|p| own_file(p).is_some());
    let Some(example) = beside.first().and_then(own_file) else {
        return (kept, None);
    };
    let note = format!(
        "vLLM's nightly summary: {} of its {total} row(s) are tests whose own result file beside \
         it was read (e.g. `{}`), so those rows are left out and each test is counted once",
        beside.len(),
        example.file_name().unwrap_or_default().to_string_lossy(),
    );
    (kept, Some(note))
}

/// What the per-file results add up to, gathered in file order.
#[derive(Default)]
struct Gathered<'t> {
    hashes: Vec<(String, String)>,
    stamps: FileStamps,
    entries: BTreeMap<String, Parse>,
    hits: usize,
    misses: usize,
    not_read: usize,
    pending: Vec<PendingFile<'t>>,
    server_metrics: BTreeMap<PathBuf, ServerMetrics>,
    /// Each server-metrics file's stage key, run directory and name as the report shows it.
    metrics_files: Vec<(PathBuf, &'t Path, String)>,
    /// Files read as no points (companions, summaries): ignored only if their run has points
    /// from another file (`settle_set_aside`).
    set_aside: Vec<SetAside<'t>>,
    /// Each run's files read, with their content hashes (by hash: ordered, each of 20,000
    /// files compared its run's path component by component a dozen times).
    run_files: RunFiles<'t>,
}

/// Each run's files read, with their content hashes, by the run's directory.
type RunFiles<'t> = HashMap<&'t Path, Vec<(String, String)>, foldhash::fast::FixedState>;

/// A file read as no points, as the report shows it, with its run's directory.
struct SetAside<'t> {
    run_dir: &'t Path,
    shown: String,
    reason: String,
}

impl<'t> Gathered<'t> {
    /// Adds one file's result: its points (queued for their rows), its server metrics, or its
    /// entry in the report.
    fn add(
        &mut self,
        raw_root: &Path,
        file: &Path,
        result: FileResult<'t>,
        report: &mut IngestReport,
    ) {
        let shown = raw_root.join(file).display().to_string();
        let read = match result {
            FileResult::Documentation => {
                return report.ignore(shown, "documentation file, not a result");
            }
            FileResult::OutsideRun => {
                return report.reject(shown, "not inside a run directory (no run.toml above it)");
            }
            FileResult::RunTomlInvalid => {
                return report.reject(shown, "skipped: its run.toml is invalid (see that entry)");
            }
            FileResult::Unreadable(reason) => return report.reject(shown, reason),
            FileResult::Read(read) => read,
        };
        if !read.bytes_read {
            self.not_read += 1;
        }
        if let Some(stamp) = read.stamp {
            self.stamps
                .insert(read.rel.clone(), stamp, read.hash.clone());
        }
        self.run_files
            .entry(read.run.dir)
            .or_default()
            .push((read.rel.clone(), read.hash.clone()));
        self.hashes.push((read.rel, read.hash.clone()));
        if read.parse.is_cached() {
            self.hits += 1;
        } else {
            self.misses += 1;
        }
        let (parse, run) = (read.parse, read.run);
        self.entries.insert(read.key, parse.clone());
        let slice = adapter_slice_of_a_stage(file);
        match parse.kind() {
            // Set aside whether or not it reads: a slice that fails is no error of the run.
            Kind::Rejected(reason)
                if reason.starts_with("inference-perf:")
                    && let Some(why) = slice =>
            {
                report.ignore(shown, format!("{why} (nor could it be read: {reason})"))
            }
            Kind::Rejected(reason) => report.reject(shown, reason.to_string()),
            Kind::NoPoints { reason, .. } => self.set_aside.push(SetAside {
                run_dir: run.dir,
                shown,
                reason: reason.to_string(),
            }),
            Kind::ServerMetrics { .. } => {
                match whole_outcome(parse.clone(), raw_root, file, run.meta, &read.hash) {
                    Outcome::Read {
                        parsed: Parsed::ServerMetrics(m),
                        ..
                    } => {
                        report.files_read += 1;
                        let key = stage_key(file);
                        self.server_metrics.insert(key.clone(), m);
                        self.metrics_files.push((key, run.dir, shown));
                    }
                    Outcome::Rejected(reason) => report.reject(shown, reason),
                    Outcome::Read { .. } => report.reject(shown, CHANGED_WHILE_READ),
                }
            }
            Kind::Points { tool, .. }
                if tool == "inference-perf"
                    && let Some(why) = slice =>
            {
                report.ignore(shown, why)
            }
            Kind::Points { .. } => self.pending.push(PendingFile {
                file: file.to_path_buf(),
                run,
                hash: read.hash,
                parse: parse.clone(),
            }),
        }
    }
}

/// Ignores each file set aside as no points when another file of its run has points, and
/// rejects it otherwise: a companion's or summary's reason says the results are read from
/// another file, and a run where none is (a GuideLLM or AIPerf CSV copied alone) would
/// else give nothing without a word, even under `--strict`.
fn settle_set_aside(set_aside: Vec<SetAside>, pending: &[PendingFile], report: &mut IngestReport) {
    let with_points = runs_with_points(pending);
    for SetAside {
        run_dir,
        shown,
        reason,
    } in set_aside
    {
        if with_points.contains(run_dir) {
            report.ignore(shown, reason);
        } else {
            report.reject(shown, gave_none(&reason, run_dir));
        }
    }
}

/// Rejects server metrics whose run has no load point to pair them with (an inference-perf
/// run copied with only its Prometheus reports), as [`settle_set_aside`] rejects a companion
/// alone; the others wait for their stages (`report_unpaired_server_metrics`).
fn reject_metrics_of_runs_without_points(
    server_metrics: &mut BTreeMap<PathBuf, ServerMetrics>,
    metrics_files: Vec<(PathBuf, &Path, String)>,
    pending: &[PendingFile],
    report: &mut IngestReport,
) {
    let with_points = runs_with_points(pending);
    for (key, run_dir, shown) in metrics_files {
        if !with_points.contains(run_dir) {
            server_metrics.remove(&key);
            report.files_read -= 1;
            report.reject(
                shown,
                gave_none(
                    "server-side metrics, which pair with a stage's load point",
                    run_dir,
                ),
            );
        }
    }
}

fn runs_with_points<'a>(pending: &[PendingFile<'a>]) -> BTreeSet<&'a Path> {
    pending.iter().map(|p| p.run.dir).collect()
}

/// Each valid run by its directory's path: a digest of its run.toml and of its files read
/// (path and content hash each), and the models its run.toml names.
fn run_inputs(
    metas: &RunMetas,
    toml_hashes: &BTreeMap<String, String>,
    mut run_files: RunFiles,
) -> BTreeMap<String, RunInputs> {
    metas
        .iter()
        .filter_map(|(dir, meta)| Some((dir, meta.as_ref()?)))
        .map(|(dir, meta)| {
            let toml = path_text(&dir.join(RUN_TOML));
            let toml_hash = toml_hashes.get(&toml).cloned().unwrap_or_default();
            let files = run_files.remove(dir.as_path()).unwrap_or_default();
            let digest = paths_and_hashes_digest(std::iter::once((toml, toml_hash)).chain(files));
            let inputs = RunInputs {
                inputs: hex(&digest[..12]),
                models: meta.models(),
            };
            (path_text(dir), inputs)
        })
        .collect()
}

/// Leaves of the files of points and the server metrics only those of the runs `plan` makes
/// again (`metrics_runs`: each server-metrics file's run).
fn keep_runs_made_again(
    plan: &Plan,
    pending: &mut Vec<PendingFile>,
    server_metrics: &mut BTreeMap<PathBuf, ServerMetrics>,
    metrics_runs: &BTreeMap<PathBuf, String>,
) {
    pending.retain(|p| plan.remakes_run(&path_text(p.run.dir)));
    server_metrics.retain(|key, _| {
        metrics_runs
            .get(key)
            .is_some_and(|dir| plan.remakes_run(dir))
    });
}

/// Whether a file that may repeat another's points ([`may_repeat_another`]) has files of
/// another run beside or below it: its rows then depend on a run a refresh may not make again,
/// so no model's rows are taken from the previous table.
fn repeats_span_runs(pending: &[PendingFile]) -> bool {
    // By path in lower case, as such a file looks for the files it repeats (`read_key`).
    let run_of: BTreeMap<String, &Path> = pending
        .iter()
        .map(|p| (read_key(&p.file), p.run.dir))
        .collect();
    pending
        .iter()
        .filter(|p| may_repeat_another(p))
        .any(|p| beside_or_below(&p.file, &run_of).any(|(_, run)| *run != p.run.dir))
}

/// What the rows stage reported (`made`, and the files it counted as read: `taken`), put to
/// each run by its directory's path. None when an entry lies in no run.
fn report_parts(
    raw_root: &Path,
    tree: &RawTree,
    made: &IngestReport,
    taken: &[PathBuf],
) -> Option<BTreeMap<String, ReportPart>> {
    let mut parts: BTreeMap<String, ReportPart> = BTreeMap::new();
    let run_of = |file: &Path| tree.run_dir_of(file).map(|dir| path_text(dir));
    let run_of_shown =
        |issue: &FileIssue| run_of(Path::new(&issue.path).strip_prefix(raw_root).ok()?);
    type Entries = fn(&mut ReportPart) -> &mut Vec<FileIssue>;
    let lists: [(&[FileIssue], Entries); 3] = [
        (&made.rejected, |p| &mut p.rejected),
        (&made.ignored, |p| &mut p.ignored),
        (&made.curves, |p| &mut p.curves),
    ];
    for (issues, list) in lists {
        for issue in issues {
            list(parts.entry(run_of_shown(issue)?).or_default()).push(issue.clone());
        }
    }
    for file in taken {
        parts.entry(run_of(file)?).or_default().files_read += 1;
    }
    Some(parts)
}

/// A file's reason for holding no load point, when no other file of its run holds one either.
fn gave_none(reason: &str, run_dir: &Path) -> String {
    format!(
        "{reason}; but no file of its run ({}) holds a load point, so the run gave none",
        run_dir.display()
    )
}

const UNPAIRED_METRICS: &str =
    "server-side metrics with no matching stage lifecycle file (e.g. a run-wide summary)";

/// What earlier ingests left, and which files' stamps may be trusted, as [`classify`] and
/// [`read_run_metas`] consult them.
#[derive(Clone, Copy)]
struct Earlier<'k> {
    cache: &'k ParseCache,
    stamps: &'k FileStamps,
    rule: StampRule,
}

fn classify<'t>(
    raw_root: &Path,
    tree: &'t RawTree,
    metas: &'t RunMetas,
    earlier: Earlier,
    file: &Path,
) -> FileResult<'t> {
    if is_documentation(file) {
        return FileResult::Documentation;
    }
    let Some(run_dir) = tree.run_dir_of(file) else {
        return FileResult::OutsideRun;
    };
    let Some(Some(meta)) = metas.get(run_dir) else {
        return FileResult::RunTomlInvalid;
    };
    let run = Run { dir: run_dir, meta };
    let path = raw_root.join(file);
    let rel = path_text(file);
    let stamp = earlier.rule.take(&path);
    let known = known_by_stamp(&rel, stamp.as_ref(), meta, earlier);
    let bytes_read = known.is_none();
    let (hash, key, parse) = match known {
        Some(known) => known,
        None => match read_and_parse(&path, meta, earlier.cache) {
            Ok(read) => read,
            Err(reason) => return FileResult::Unreadable(reason),
        },
    };
    FileResult::Read(ReadFile {
        rel,
        hash,
        key,
        parse,
        run,
        stamp,
        bytes_read,
    })
}

/// The content hash, cache key and parse of the file at `path`, read: the cache's parse of
/// that content where it has one. Err is why the file cannot be read.
fn read_and_parse(
    path: &Path,
    meta: &RunMeta,
    cache: &ParseCache,
) -> Result<(String, String, Parse), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let hash = hex(&Sha256::digest(&bytes));
    let key = ParseCache::key(&hash, meta.source.tool.as_deref());
    let parse = match cache.get(&key) {
        Some(hit) => hit.clone(),
        None => Parse::made(outcome_of_bytes(&bytes, meta)),
    };
    Ok((hash, key, parse))
}

/// The content hash, cache key and parse of the file at `rel` without reading it: when its
/// stamp is the one its hash was taken under and the cache holds the parse of that content
/// (for the tool its run.toml declares).
fn known_by_stamp(
    rel: &str,
    stamp: Option<&Stamp>,
    meta: &RunMeta,
    earlier: Earlier,
) -> Option<(String, String, Parse)> {
    let hash = earlier.stamps.hash_of(rel, stamp?)?;
    let key = ParseCache::key(hash, meta.source.tool.as_deref());
    let parse = earlier.cache.get(&key)?.clone();
    Some((hash.to_string(), key, parse))
}

/// A short hash over every file's relative path and content hash (run.toml files included).
fn snapshot(mut hashes: Vec<(String, String)>) -> String {
    hashes.sort();
    hex(&paths_and_hashes_digest(hashes)[..6])
}

/// SHA-256 over each path and its content hash, in the order given.
fn paths_and_hashes_digest(pairs: impl IntoIterator<Item = (String, String)>) -> [u8; 32] {
    let mut h = Sha256::new();
    for (path, hash) in pairs {
        h.update(path.as_bytes());
        h.update([0]);
        h.update(hash.as_bytes());
        h.update([0]);
    }
    h.finalize().into()
}

/// Writes `benchmarks.parquet` (and its CSV copy) and `ingest-report.json` into `data_dir`,
/// and hands back the report and the table (an analysis in the same process reads it instead
/// of the file). Takes the rows by value and drops them once the frame holds them: the frame
/// is written without the rows beside it.
pub fn write_outputs(
    ingested: Ingested,
    data_dir: &Path,
) -> Result<(IngestReport, DataFrame), PipelineError> {
    std::fs::create_dir_all(data_dir).map_err(|e| PipelineError::io(data_dir, e))?;
    let parquet = data_dir.join(BENCHMARKS_FILE);
    let Ingested {
        rows, kept, report, ..
    } = ingested;
    let made = schema::into_dataframe(rows).map_err(|source| PipelineError::Parquet {
        path: parquet.clone(),
        source,
    })?;
    let (mut df, copy) = match kept {
        None => (made, None),
        Some(Kept {
            table: previous,
            csv,
            plan,
        }) => {
            let merged = previous_table::merge(&previous, &plan, made).map_err(|source| {
                PipelineError::Parquet {
                    path: parquet.clone(),
                    source,
                }
            })?;
            let copy = MergedCopy::of(merged.layout, merged.made, csv, previous.height());
            (merged.table, copy)
        }
    };
    crate::timing::mark("ingest: table made");
    schema::write_parquet_with(&mut df, &parquet, |df, csv_path| match copy {
        Some(copy) => copy.write(df, csv_path),
        None => schema::write_csv(df, csv_path),
    })?;
    crate::timing::mark("ingest: table written");
    write_report(report, data_dir).map(|report| (report, df))
}

/// Writes `ingest-report.json` into `data_dir`.
fn write_report(report: IngestReport, data_dir: &Path) -> Result<IngestReport, PipelineError> {
    let report_path = data_dir.join(REPORT_FILE);
    let json = serde_json::to_string_pretty(&report).map_err(|e| PipelineError::Table {
        path: report_path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&report_path, json + "\n").map_err(|e| PipelineError::io(&report_path, e))?;
    Ok(report)
}

/// The raw tree's files (relative, sorted) and the directories holding a run.toml.
struct RawTree {
    files: Vec<PathBuf>,
    run_dirs: BTreeSet<PathBuf>,
    /// The same directories, to look up by hash: every file asks for its run's, and comparing
    /// paths component by component in the ordered set was a tenth of classifying 20,000 files.
    run_dir_lookup: RunDirs,
}

/// Run directories by hash (`foldhash`, fixed seed: nothing depends on its order).
type RunDirs = std::collections::HashSet<PathBuf, foldhash::fast::FixedState>;

impl RawTree {
    /// Walks the tree in file-name order, skipping hidden entries and symbolic links. The
    /// entries of the root (a catalog's runs or sources) are walked on every core, then joined
    /// in order: the same list one walk gives.
    fn scan(root: &Path) -> Result<Self, PipelineError> {
        let mut top: Vec<std::fs::DirEntry> = std::fs::read_dir(root)
            .and_then(|entries| entries.collect::<Result<_, _>>())
            .map_err(|e| PipelineError::io(root, e))?;
        top.retain(|e| !is_hidden(&e.file_name()));
        top.sort_by_cached_key(std::fs::DirEntry::file_name);
        let walked: Vec<Result<Vec<PathBuf>, PipelineError>> = top
            .par_iter()
            .map(|entry| files_under(root, entry))
            .collect();
        let mut files = Vec::new();
        let mut run_dirs = Vec::new();
        for rel in walked
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
        {
            if rel.file_name().is_some_and(|n| n == RUN_TOML) {
                run_dirs.push(rel.parent().map(Path::to_path_buf).unwrap_or_default());
            } else {
                files.push(rel);
            }
        }
        // Built whole: they come nearly in order, where inserting them one by one compared
        // paths component by component thousands of times over.
        let run_dirs: BTreeSet<PathBuf> = run_dirs.into_iter().collect();
        let run_dir_lookup = run_dirs.iter().cloned().collect();
        Ok(Self {
            files,
            run_dirs,
            run_dir_lookup,
        })
    }

    /// The nearest ancestor directory of `file` that holds a run.toml.
    fn run_dir_of(&self, file: &Path) -> Option<&PathBuf> {
        file.ancestors()
            .skip(1)
            .find_map(|dir| self.run_dir_lookup.get(dir))
    }
}

/// Dot files and directories (`.git`, editor state) are not runs.
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// The files at or under one entry of the root, relative to the root, in file-name order.
fn files_under(root: &Path, entry: &std::fs::DirEntry) -> Result<Vec<PathBuf>, PipelineError> {
    let path = entry.path();
    let relative = |p: &Path| p.strip_prefix(root).unwrap_or(p).to_path_buf();
    let kind = entry.file_type().map_err(|e| PipelineError::io(&path, e))?;
    if kind.is_file() {
        return Ok(vec![relative(&path)]);
    }
    if !kind.is_dir() {
        return Ok(Vec::new());
    }
    let walker = walkdir::WalkDir::new(&path)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    let mut files = Vec::new();
    for walked in walker {
        let walked = walked.map_err(|e| {
            let at = e.path().unwrap_or(&path).to_path_buf();
            PipelineError::io(
                at,
                e.into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("walk failed")),
            )
        })?;
        if walked.file_type().is_file() {
            files.push(relative(walked.path()));
        }
    }
    Ok(files)
}

type RunMetas = BTreeMap<PathBuf, Option<RunMeta>>;

/// Every run.toml, parsed (None when invalid, with the reason in the report), and the content
/// hashes that go into the snapshot. A run.toml whose stamp is unchanged is parsed from the text
/// `earlier` kept of it instead of read; each one's stamp, hash and text go into `taken`.
fn read_run_metas(
    root: &Path,
    run_dirs: &BTreeSet<PathBuf>,
    earlier: Earlier,
    taken: &mut FileStamps,
    report: &mut IngestReport,
) -> (RunMetas, Vec<(String, String)>) {
    // Each file is read, hashed and parsed on any core (one core took a fifth of a second for
    // 10,000), then the results are gathered in directory order.
    let dirs: Vec<&PathBuf> = run_dirs.iter().collect();
    let read: Vec<_> = dirs
        .par_iter()
        .map(|dir| {
            let path = root.join(dir).join(RUN_TOML);
            let rel = path_text(&dir.join(RUN_TOML));
            let toml = RunToml::of(&path, &rel, earlier);
            let meta = match &toml {
                Ok(t) => RunMeta::parse(&t.text),
                Err(reason) => Err(reason.clone()),
            };
            (path, rel, toml.ok(), meta)
        })
        .collect();
    let mut metas = Vec::with_capacity(dirs.len());
    let mut hashes = Vec::new();
    for (dir, (path, rel, toml, meta)) in dirs.into_iter().zip(read) {
        if let Some(RunToml { hash, text, stamp }) = toml {
            if let Some(stamp) = stamp {
                taken.insert_with_text(rel.clone(), stamp, hash.clone(), text);
            }
            hashes.push((rel, hash));
        }
        let meta = meta
            .inspect_err(|reason| {
                report.reject(
                    path.display().to_string(),
                    format!("invalid run.toml: {reason}"),
                );
            })
            .ok();
        metas.push((dir.clone(), meta));
    }
    // Built whole from directories already in order: inserted one by one, each compared its
    // path component by component with a dozen others.
    (metas.into_iter().collect(), hashes)
}

/// A run.toml's text, its content hash and its stamp.
struct RunToml {
    hash: String,
    text: String,
    stamp: Option<Stamp>,
}

impl RunToml {
    /// The run.toml at `path` (`rel` from the raw root): the text `earlier` kept of it when its
    /// stamp is unchanged, else read. Err is why it cannot be read.
    fn of(path: &Path, rel: &str, earlier: Earlier) -> Result<Self, String> {
        let stamp = earlier.rule.take(path);
        if let Some((hash, text)) = stamp.as_ref().and_then(|s| earlier.stamps.text_of(rel, s)) {
            return Ok(Self {
                hash: hash.to_string(),
                text: text.to_string(),
                stamp,
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
        Ok(Self {
            hash: hex(&Sha256::digest(text.as_bytes())),
            text,
            stamp,
        })
    }
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

/// GuideLLM's report written as YAML, as the JSON tree its JSON twin holds, or why a YAML
/// document of that shape (a top-level `benchmarks:`) does not parse. `None` for other YAML
/// (configs, scenarios: companions), which is not parsed at all.
fn yaml_report(bytes: &[u8]) -> Option<Result<Document, String>> {
    if !companion::is_yaml_bytes(bytes) || !has_top_level_key(bytes, b"benchmarks:") {
        return None;
    }
    match Document::from_yaml(bytes) {
        Ok(doc) => formats::detect(&doc)
            .is_some_and(|f| f.tool() == formats::GUIDELLM_TOOL)
            .then_some(Ok(doc)),
        Err(e) => Some(Err(format!(
            "a YAML report with a top-level `benchmarks:` (GuideLLM's shape) that does not parse: {}",
            e.reason
        ))),
    }
}

fn has_top_level_key(bytes: &[u8], key: &[u8]) -> bool {
    bytes
        .split(|&b| b == b'\n')
        .any(|line| line.starts_with(key))
}

/// Detects the file's format by content (checking it against the run's declared tool) and
/// parses it. Errors are the exact reason, without the path.
/// A companion file (a tool's report, chart, config or per-request log) is read as no points
/// with the reason, under the tool name [`companion::TOOL`].
fn parse_bytes(bytes: &[u8], meta: &RunMeta) -> Result<(&'static str, Parsed), String> {
    let doc = match Document::from_bytes(bytes) {
        Ok(doc) => doc,
        Err(e) => match yaml_report(bytes) {
            Some(Ok(doc)) => doc,
            Some(Err(reason)) => return Err(reason),
            None => {
                return companion::of_bytes(bytes)
                    .map(|why| (companion::TOOL, Parsed::NoPoints(why)))
                    .ok_or(e.reason);
            }
        },
    };
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
        // Checked before the declared tool: a run declares the tool of its results, and the
        // files written beside them are still companions.
        (None, _) if let Some(why) = companion::of_document(&doc) => {
            return Ok((companion::TOOL, Parsed::NoPoints(why)));
        }
        (None, Some(declared)) => declared,
        (None, None) => {
            if let Some(why) = formats::near_miss::reason(&doc) {
                return Err(why);
            }
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
    Ok((format.tool(), parsed))
}

/// Checks that hold for every format: something was measured, and something completed.
fn check_points(points: &[MeasuredPoint]) -> Result<(), String> {
    if points.is_empty() {
        return Err("file holds no measured points".into());
    }
    for p in points {
        if p.completed == Some(0) {
            let failed = p
                .failed
                .map(|f| format!(" ({f} failed)"))
                .unwrap_or_default();
            return Err(match p.load.value() {
                Some(v) => format!("no request completed at {} {v}{failed}", p.load.kind()),
                None => format!("no request completed at unbounded load{failed}"),
            });
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
    tool: &str,
    meta: &RunMeta,
    points: Vec<MeasuredPoint>,
) -> Result<Vec<BenchmarkRow>, String> {
    let within_run = path_text(file.strip_prefix(run_dir).unwrap_or(file));
    // Spelled once per file; each row takes a copy.
    let (run_id, source_file) = (path_text(run_dir), path_text(file));
    points
        .into_iter()
        .map(|mut point| {
            let profile = meta.resolve(&point, &within_run)?;
            if tool == formats::AIPERF_TOOL
                && let Some(why) = formats::endpoints_beyond_replicas(
                    &point.fields,
                    profile.key.topology.data_parallel,
                )
            {
                return Err(why);
            }
            point.workload = profile.workload;
            let mut key = profile.key;
            key.use_case = profile.use_case.unwrap_or_default();
            Ok(BenchmarkRow {
                run_id: run_id.clone(),
                source_file: source_file.clone(),
                tool: tool.to_string(),
                origin: meta.source.origin.clone(),
                license: meta.source.license.clone(),
                synthetic: meta.source.synthetic,
                notes: profile.notes,
                profile_id: String::new(),
                key,
                server_args: profile.server_args,
                image: profile.image,
                point: Box::new(point),
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

/// inference-perf's `adapter_<lora>_stage_<N>_lifecycle_metrics.json`
/// (`report.request_lifecycle.per_adapter_stage`) summarizes one LoRA adapter's share of stage
/// N's requests but states the whole stage's rate as its load. Read as points it would repeat
/// the stage at the same load with a fraction of its throughput, so it is noted, not read.
fn adapter_slice_of_a_stage(file: &Path) -> Option<String> {
    let name = file.file_name()?.to_str()?;
    let slice = name
        .strip_prefix("adapter_")?
        .strip_suffix("_lifecycle_metrics.json")?;
    let (adapter, stage) = slice.rsplit_once("_stage_")?;
    if adapter.is_empty() || stage.is_empty() || !stage.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!(
        "inference-perf's slice of stage {stage} for LoRA adapter `{adapter}`: it states the \
         whole stage's rate, so it is not a load point of its own; \
         `stage_{stage}_lifecycle_metrics.json` holds the stage"
    ))
}

fn report_unpaired_server_metrics(
    root: &Path,
    server: &BTreeMap<PathBuf, ServerMetrics>,
    report: &mut IngestReport,
) {
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
        report.ignore(shown.display().to_string(), UNPAIRED_METRICS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending<'t>(path: &str, tool: &str, dir: &'t Path, meta: &'t RunMeta) -> PendingFile<'t> {
        PendingFile {
            file: PathBuf::from(path),
            run: Run { dir, meta },
            hash: String::new(),
            parse: Parse::made(Outcome::Read {
                tool: tool.into(),
                parsed: Parsed::Points(Vec::new()),
            }),
        }
    }

    #[test]
    fn a_file_that_may_repeat_others_spans_runs_when_another_runs_files_lie_below_it() {
        let meta = RunMeta::parse(
            "[profile]\nmodel = \"m\"\nmodel_server = \"vllm\"\nmodel_server_version = \"v1\"\n\
             accelerator = \"nvidia-l4\"\naccelerator_count = 1\n",
        )
        .unwrap();
        let (outer, inner) = (Path::new("sweep"), Path::new("sweep/setting-1"));
        let list = || pending("sweep/records.json", formats::VLLM_SWEEP_TOOL, outer, &meta);
        let below = || {
            pending(
                "sweep/setting-1/run=0.json",
                formats::VLLM_TOOL,
                inner,
                &meta,
            )
        };
        let beside = || pending("sweep/run=1.json", formats::VLLM_TOOL, outer, &meta);
        assert!(repeats_span_runs(&[list(), below(), beside()]));
        assert!(!repeats_span_runs(&[list(), beside()]));
        // Results of two runs, one below the other, with nothing that may repeat them.
        assert!(!repeats_span_runs(&[below(), beside()]));
    }

    /// The tree's files as one sorted walk lists them (what `RawTree::scan` joins from its
    /// parallel walks), hidden entries and symbolic links left out.
    fn one_walk(root: &Path) -> Vec<PathBuf> {
        walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()))
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.path().strip_prefix(root).unwrap().to_path_buf())
            .collect()
    }

    #[test]
    fn the_parallel_scan_lists_what_one_sorted_walk_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "b/run.toml",
            "b/z.json",
            "b/a/deep/x.csv",
            "b/.hidden/skipped.json",
            "a-file.json",
            "a/run.toml",
            "a/results.jsonl",
            "B/upper.json",
            ".git/config",
            "c/.cache.json",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "{}").unwrap();
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("a"), root.join("linked-dir")).unwrap();
            std::os::unix::fs::symlink(root.join("a-file.json"), root.join("b/linked.json"))
                .unwrap();
        }
        let tree = RawTree::scan(root).unwrap();
        let mut listed = tree.files.clone();
        listed.extend(tree.run_dirs.iter().map(|d| d.join(RUN_TOML)));
        let mut expected = one_walk(root);
        assert_eq!(
            tree.files,
            expected
                .iter()
                .filter(|f| f.file_name().is_some_and(|n| n != RUN_TOML))
                .cloned()
                .collect::<Vec<_>>()
        );
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected);
        assert!(!tree.files.iter().any(|f| f.starts_with("linked-dir")));
        assert!(!tree.files.contains(&PathBuf::from("b/linked.json")));
    }

    fn row(profile: u64, load: f64, file: u64, position: usize) -> BenchmarkRow {
        let mut row = BenchmarkRow::example(MeasuredPoint::new(Load::Rate(load), 1.0));
        row.source_file = format!("run/{file}.json");
        row.profile_id = format!("p{profile}");
        row.notes = Some(position.to_string());
        row
    }

    #[test]
    fn rows_sort_into_curves_as_a_stable_sort_would() {
        let mut state = 7_u64;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        for len in [0, 1, 2, 3, 10, 257, 2000] {
            // Few distinct keys: equal rows are common, and must keep their order.
            let mut rows: Vec<BenchmarkRow> = (0..len)
                // Ids p0–p11: their text order is not their numbers' (p10 before p2).
                .map(|i| row(next(12), next(4) as f64, next(3), i))
                .collect();
            let mut expected = rows.clone();
            expected.sort_by(crate::storage::curve_order);
            sort_into_curves(&mut rows);
            let positions = |rows: &[BenchmarkRow]| -> Vec<Option<String>> {
                rows.iter().map(|r| r.notes.clone()).collect()
            };
            assert_eq!(positions(&rows), positions(&expected), "{len} rows");
        }
    }
}
