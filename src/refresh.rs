//! The pipeline commands (`build`, `ingest`, `analyze`, `site`) as refresh jobs run them: one
//! at a time per output directory (a lock), each writing a generation nothing points into (a
//! new one, or the newest stale one written over) and publishing it atomically, re-parsing
//! only changed raw files and re-rendering only changed profiles.

use crate::cli::{AnalysisArgs, PipelineArgs, SiteArgs};
use crate::progress::Reporter;
use crate::settings::{analysis_config, price_sources};
use anyhow::{Context, Result, bail};
use pipeline::analysis::knee::KneeMethod;
use pipeline::analysis::{ProfileSummary, read_profiles, summarize};
use pipeline::analyze;
use pipeline::file_stamps::FileStamps;
use pipeline::ingest::{self, Remembered};
use pipeline::model_facts::ModelCatalog;
use pipeline::output_dir::{CACHE_DIR, OutputLock};
use pipeline::parse_cache::{EncodedCache, ParseCache};
use pipeline::previous_table::Previous;
use pipeline::pricing::PriceBook;
use pipeline::pricing::overrides;
use pipeline::report::IngestReport;
use pipeline::schema::DataFrame;
use pipeline::storage::{BENCHMARKS_FILE, PRICE_REPORT_FILE, PROFILES_FILE, REPORT_FILE};
use site_gen::site::{PreviousSite, SiteInput, SiteRecords, SiteStats, StandbySite, build_site};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

const PARSE_CACHE: &str = "parsed-v4.bin";
/// Which raw files' content hashes are still good ([`FileStamps`]).
const FILE_STAMPS: &str = "stamps-v2.bin";
/// The cache's earlier forms (one JSON document, JSON Lines, whole outcomes in postcard) and
/// the stamps' (one postcard document), removed when found: each cache is as large as the raw
/// files.
const OLD_CACHE_FILES: [&str; 4] = [
    "parsed-v1.json",
    "parsed-v2.jsonl",
    "parsed-v3.bin",
    "stamps-v1.bin",
];
/// The record of what a generation's benchmarks table was made from
/// (`pipeline::previous_table`), beside its `data` directory, so that it is published with the
/// table it describes: a refresh takes the rows of models whose runs did not change from the
/// published table.
const INGEST_RECORD: &str = "ingest-record-v1.bin";
/// The site records (`SiteRecords`), as postcard: 3.7 MB of JSON at 10,000 profiles took a
/// refresh 30 ms of CPU to read and 10 ms on one core to write. Postcard does not describe
/// its fields, so a change to the records' shape changes this name.
const SITE_RECORDS: &str = "site-records-v2.bin";

/// Which stages a command runs.
pub struct Stages<'a> {
    pub ingest: Option<&'a PipelineArgs>,
    pub analyze: Option<&'a AnalysisArgs>,
    pub site: Option<(&'a AnalysisArgs, &'a SiteArgs)>,
}

#[derive(Default)]
struct Summary {
    report: Option<IngestReport>,
    profiles: Option<(usize, usize)>,
    site: Option<SiteStats>,
}

/// Runs the stages into a generation of `out` and publishes what they produced.
pub fn run(out: &Path, stages: Stages) -> Result<()> {
    let started = Instant::now();
    pipeline::timing::start();
    validate(out, &stages)?;
    let lock = OutputLock::acquire(out).map_err(|e| match e {
        pipeline::output_dir::LockError::Busy { .. } => {
            anyhow::Error::new(e).context("cannot start the build")
        }
        other => anyhow::Error::new(other),
    })?;
    let (generation, site_start) = open_generation(&lock, stages.site.is_some())?;
    // Every other generation no link points into goes while this one runs: those killed or
    // failed builds left, and (for a build that makes no site) the one the last build
    // superseded.
    let pruning = lock.prune_in_background(&generation);
    let data = generation.join("data");
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create {}", data.display()))?;
    let progress = Reporter::new();
    let mut summary = Summary::default();

    let mut table = None;
    let mut saving = None;
    if let Some(args) = stages.ingest {
        let published = lock.current("data");
        let (report, ingested_table, cache_saving) =
            ingest_stage(out, args, &generation, published.as_deref(), &progress)?;
        summary.report = Some(report);
        table = Some(ingested_table);
        saving = Some(cache_saving);
        pipeline::timing::mark("ingest: done");
    } else {
        carry_over(out, &generation)?;
    }
    let mut analyzed = None;
    if let Some(analysis) = stages.analyze {
        let done = analyze_stage(&data, table.take(), analysis)?;
        summary.profiles = Some((done.summaries.len(), done.knees));
        analyzed = Some(done);
    }
    if let Some((analysis, site)) = stages.site {
        summary.site = Some(site_stage(
            SiteTarget {
                generation: &generation,
                start: site_start,
            },
            &data,
            analysis,
            site,
            analyzed,
            &progress,
        )?);
    }
    // Saved by the lock's holder, before anything is published: the next build reads them.
    if let Some(saving) = saving {
        saving.wait();
        pipeline::timing::mark("parse cache and stamps saved");
    }
    if stages.ingest.is_some() || stages.analyze.is_some() {
        lock.publish(&generation, "data")?;
    }
    if stages.site.is_some() {
        lock.publish(&generation, "site")?;
    }
    pipeline::timing::mark("generation linked in");
    // Published already: a generation that resists removal is retried by the next build.
    if let Err(e) = pruning.wait() {
        eprintln!("warning: old generations not all removed: {e}");
    }
    pipeline::timing::mark("published");
    print_summary(&summary, started);
    if let (Some(args), Some(report)) = (stages.ingest, &summary.report)
        && args.strict
        && !report.rejected.is_empty()
    {
        bail!(
            "--strict: {} raw file(s) rejected (see {})",
            report.rejected.len(),
            out.join("data").join(REPORT_FILE).display()
        );
    }
    Ok(())
}

/// What a site build starts from besides the analysis: what its generation's site directory
/// already holds, and the published site it replaces.
#[derive(Default)]
struct SiteStart {
    standby: Option<StandbySite>,
    previous: Option<PreviousSite>,
}

/// A [`SiteStart`] found out (or made) on a thread of its own while the first stages run.
enum Preparing {
    Coming {
        /// Set when the site stage wants its start: the linking stops where it is, so the
        /// stage never waits on a thread at the lowest priority (a profile not yet linked is
        /// linked by the stage itself).
        stop: Arc<AtomicBool>,
        thread: Option<std::thread::JoinHandle<Result<SiteStart>>>,
    },
    Ready(Option<Result<SiteStart>>),
}

impl Preparing {
    /// `work` on a thread of its own, or `None` where no thread can be had.
    fn spawn(work: impl FnOnce(&AtomicBool) -> Result<SiteStart> + Send + 'static) -> Option<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("site-start".into())
            .spawn(move || work(&seen))
            .ok()?;
        Some(Self::Coming {
            stop,
            thread: Some(thread),
        })
    }

    /// The start, the linking cut short where it has not ended.
    fn wait(mut self) -> Result<SiteStart> {
        match &mut self {
            Self::Coming { stop, thread } => {
                stop.store(true, Ordering::Relaxed);
                thread.take().map_or_else(
                    || Ok(SiteStart::default()),
                    |t| {
                        t.join().unwrap_or_else(|_| {
                            bail!("the thread preparing the site directory panicked")
                        })
                    },
                )
            }
            Self::Ready(done) => done.take().unwrap_or_else(|| Ok(SiteStart::default())),
        }
    }
}

/// A build that fails before its site stage stops the linking and waits for it: no thread
/// links into a generation after its build has ended.
impl Drop for Preparing {
    fn drop(&mut self) {
        if let Self::Coming { stop, thread } = self {
            stop.store(true, Ordering::Relaxed);
            if let Some(t) = thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// Where a build writes its site: its generation, and what it starts from there.
struct SiteTarget<'g> {
    generation: &'g Path,
    start: Option<Preparing>,
}

/// The generation this build writes, and what its site stage starts from. A build that makes
/// a site takes over the newest generation nothing points into that a finished build wrote,
/// and writes only what differs; where there is none, it starts a new generation and fills it
/// with hard links to the published site, at the lowest priority while the first stages run,
/// so that a refresh finds unchanged profiles' files in place either way. Other builds start a
/// new, empty generation.
fn open_generation(lock: &OutputLock, with_site: bool) -> Result<(PathBuf, Option<Preparing>)> {
    if !with_site {
        return Ok((lock.new_generation()?, None));
    }
    let published = lock.current("site");
    if let Some(generation) = lock.recycle_stale_generation(SITE_RECORDS)? {
        // The tables are all written again: none of the old ones, nor the record of what
        // they were made from, may linger beside them.
        remove_if_there(&generation.join("data"), |p| std::fs::remove_dir_all(p))?;
        remove_if_there(&generation.join(INGEST_RECORD), |p| std::fs::remove_file(p))?;
        let start = take_over(&generation, published);
        return Ok((generation, Some(start)));
    }
    let generation = lock.new_generation()?;
    let start = link_published(&generation.join("site"), published);
    Ok((generation, Some(start)))
}

/// Surveys the recycled `generation` on a thread of its own (here, where none can be had:
/// the survey is needed all the same) and reads the `published` generation's records.
fn take_over(generation: &Path, published: Option<PathBuf>) -> Preparing {
    let generation = generation.to_path_buf();
    let survey = move || {
        Ok(SiteStart {
            standby: Some(take_over_site(&generation)?),
            previous: published.as_deref().and_then(previous_site),
        })
    };
    Preparing::spawn({
        let survey = survey.clone();
        move |_| survey()
    })
    .unwrap_or_else(|| Preparing::Ready(Some(survey())))
}

/// Reads the `published` generation's records and, at the lowest priority, hard-links its
/// site into `site` until the site stage stops it. Where no thread can be had, nothing is
/// linked ahead: the published site's files are linked as they are reused.
fn link_published(site: &Path, published: Option<PathBuf>) -> Preparing {
    let site = site.to_path_buf();
    let records_only = published.clone();
    Preparing::spawn(move |stop| {
        let Some(previous) = published.as_deref().and_then(previous_site) else {
            // Nothing could be kept, so nothing is linked.
            return Ok(SiteStart::default());
        };
        pipeline::background::lowest_priority();
        let standby =
            StandbySite::linked_from(&previous.dir, &site, Arc::clone(&previous.records), stop);
        pipeline::timing::mark(format_args!(
            "site: {} files of the published site linked",
            standby.file_count()
        ));
        Ok(SiteStart {
            standby: Some(standby),
            previous: Some(previous),
        })
    })
    .unwrap_or_else(|| {
        Preparing::Ready(Some(Ok(SiteStart {
            standby: None,
            previous: records_only.as_deref().and_then(previous_site),
        })))
    })
}

/// Removes `path` with `remove`; one not there is removed already.
fn remove_if_there(path: &Path, remove: fn(&Path) -> std::io::Result<()>) -> Result<()> {
    match remove(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// A recycled generation's site and the records of the build that made it, which are removed
/// before anything in the site changes: a build that dies or fails while writing over it
/// leaves a generation without records, which no build takes over again.
fn take_over_site(generation: &Path) -> Result<StandbySite> {
    let records = read_records(generation);
    remove_if_there(&generation.join(SITE_RECORDS), |p| std::fs::remove_file(p))?;
    let site = generation.join("site");
    StandbySite::survey(&site, records)
        .with_context(|| format!("cannot list {} to build over it", site.display()))
}

/// The records a generation's site build left, if they read back. Records another code made
/// read as none, or as records whose fingerprints match nothing this code makes (every one
/// covers the site generator's source): nothing is then reused.
fn read_records(generation: &Path) -> Option<SiteRecords> {
    postcard::from_bytes(&std::fs::read(generation.join(SITE_RECORDS)).ok()?).ok()
}

/// Flag values and preconditions, checked before anything is written.
fn validate(out: &Path, stages: &Stages) -> Result<()> {
    for analysis in stages
        .analyze
        .iter()
        .copied()
        .chain(stages.site.map(|(a, _)| a))
    {
        analysis_config(analysis)?;
    }
    if stages.ingest.is_none() && !out.join("data").join(BENCHMARKS_FILE).exists() {
        bail!(
            "no catalog in {}: run `infercat ingest` or `infercat build` first",
            out.display()
        );
    }
    Ok(())
}

/// Stages that do not re-ingest start from the published tables (and the record of what the
/// benchmarks table was made from, which a later refresh takes rows by).
fn carry_over(out: &Path, generation: &Path) -> Result<()> {
    let current = out.join("data");
    let data = &generation.join("data");
    if let Some(published) = current
        .canonicalize()
        .ok()
        .as_deref()
        .and_then(Path::parent)
    {
        // Only an optimization: without it, the next ingest makes every row.
        let _ = std::fs::copy(
            published.join(INGEST_RECORD),
            generation.join(INGEST_RECORD),
        );
    }
    let tables = [BENCHMARKS_FILE, PROFILES_FILE].map(pipeline::storage::csv_copy_of);
    for name in [
        BENCHMARKS_FILE,
        REPORT_FILE,
        PROFILES_FILE,
        PRICE_REPORT_FILE,
        &tables[0],
        &tables[1],
    ] {
        let from = current.join(name);
        if from.exists() {
            // A copy, not a hard link: the stages after this rewrite some of these files, and
            // writing through a link would change the published generation in place.
            let to = data.join(name);
            std::fs::copy(&from, &to).with_context(|| format!("cannot copy {}", from.display()))?;
        }
    }
    if !data.join(BENCHMARKS_FILE).exists() {
        bail!(
            "no catalog in {}: run `infercat ingest` or `infercat build` first",
            out.display()
        );
    }
    Ok(())
}

/// Writes the tables and the ingest record into `generation`. `published`: the published
/// data's generation, if any.
fn ingest_stage(
    out: &Path,
    args: &PipelineArgs,
    generation: &Path,
    published: Option<&Path>,
    progress: &Reporter,
) -> Result<(IngestReport, DataFrame, ingest::Saving)> {
    let data = &generation.join("data");
    let cache_path = out.join(CACHE_DIR).join(PARSE_CACHE);
    for old in OLD_CACHE_FILES {
        let _ = std::fs::remove_file(out.join(CACHE_DIR).join(old));
    }
    let stamps_path = out.join(CACHE_DIR).join(FILE_STAMPS);
    let record_path = generation.join(INGEST_RECORD);
    let load = || {
        // The previous table is read while the cache is decoded.
        std::thread::scope(|scope| {
            let previous = || {
                let published = published?;
                let record = published.join(INGEST_RECORD);
                Previous::load(&record, &published.join("data"), &args.raw)
            };
            let reading = std::thread::Builder::new()
                .name("previous-table".into())
                .spawn_scoped(scope, previous);
            let parsed = ParseCache::load(&cache_path);
            let previous = match reading {
                Ok(reading) => reading.join().ok().flatten(),
                Err(_) => previous(),
            };
            Remembered {
                parsed,
                stamps: FileStamps::load(&stamps_path),
                previous,
            }
        })
    };
    // Both are only an optimization: failing to save them must not fail the build.
    let save = {
        let (cache_path, stamps_path) = (cache_path.clone(), stamps_path.clone());
        move |cache: Result<EncodedCache, String>, stamps: FileStamps| {
            let saved = cache.and_then(|cache| cache.save(&cache_path).map_err(|e| e.to_string()));
            if let Err(e) = saved {
                eprintln!(
                    "warning: parse cache {} not saved: {e}",
                    cache_path.display()
                );
            }
            if let Err(e) = stamps.save(&stamps_path) {
                eprintln!("warning: file stamps not saved: {e}");
            }
        }
    };
    let mut ingested =
        ingest::ingest_with(&args.raw, load, progress, Box::new(save)).context("ingest failed")?;
    let (misses, hits, not_read) = (ingested.parsed, ingested.unchanged, ingested.not_read);
    let remade = ingested.remade_models;
    let record = ingested.record.take();
    let saving = std::mem::take(&mut ingested.saving);
    let (report, table) = ingest::write_outputs(ingested, data)
        .with_context(|| format!("cannot write tables to {}", data.display()))?;
    // Only an optimization too: without a record, the next ingest makes every row. A
    // generation written over had its record removed with its tables.
    let saved = match record {
        Some(record) => {
            pipeline::previous_table::save(&record, &record_path).map_err(|e| e.to_string())
        }
        None => Ok(()),
    };
    if let Err(e) = saved {
        eprintln!(
            "warning: ingest record {} not saved: {e}",
            record_path.display()
        );
    }
    for issue in &report.rejected {
        eprintln!("rejected {}: {}", issue.path, issue.reason);
    }
    let not_read = if not_read > 0 {
        format!(", {not_read} of them not read again")
    } else {
        String::new()
    };
    let remade = match remade {
        Some((remade, models)) => format!("; rows of {remade} of {models} models made again"),
        None => String::new(),
    };
    eprintln!(
        "{} ({misses} parsed, {hits} unchanged{not_read}{remade})",
        report.summary_line()
    );
    Ok((report, table, saving))
}

/// What the analyze stage hands to the site stage of the same build (same tables, same flags),
/// so neither the summaries nor the price book are made twice.
struct Analyzed {
    summaries: Vec<ProfileSummary>,
    prices: PriceBook,
    knees: usize,
}

/// `table`: the benchmarks table when this process's ingest made it.
fn analyze_stage(data: &Path, table: Option<DataFrame>, args: &AnalysisArgs) -> Result<Analyzed> {
    let cfg = analysis_config(args)?;
    let prices = price_sources(args).load().context("cannot load prices")?;
    let summaries = analyze::analyze(data, table, &cfg, &prices)
        .with_context(|| format!("analysis of {} failed", data.display()))?;
    let knees = summaries
        .iter()
        .filter(|s| {
            matches!(
                s.knee.method,
                KneeMethod::PiecewiseFit | KneeMethod::SaturationRule
            )
        })
        .count();
    eprintln!(
        "analyze: {} profiles, {} with a knee",
        summaries.len(),
        knees
    );
    Ok(Analyzed {
        summaries,
        prices,
        knees,
    })
}

fn site_stage(
    SiteTarget { generation, start }: SiteTarget,
    data: &Path,
    analysis: &AnalysisArgs,
    site: &SiteArgs,
    analyzed: Option<Analyzed>,
    progress: &Reporter,
) -> Result<SiteStats> {
    let cfg = analysis_config(analysis)?;
    let pricing_model = site.pricing_model.into();
    let report: IngestReport = serde_json::from_str(
        &std::fs::read_to_string(data.join(REPORT_FILE))
            .with_context(|| format!("cannot read {}", data.join(REPORT_FILE).display()))?,
    )
    .context("ingest report")?;
    let (summaries, prices) = match analyzed {
        Some(a) => (a.summaries, a.prices),
        None => {
            let prices = price_sources(analysis)
                .load()
                .context("cannot load prices")?;
            let profiles =
                read_profiles(&data.join(BENCHMARKS_FILE)).context("cannot read the catalog")?;
            (summarize(profiles, &cfg, &prices), prices)
        }
    };
    let models = ModelCatalog::load_or_bundled(site.models_file.as_deref())
        .context("cannot read model facts")?;
    let override_rows = overrides::read_from(&price_sources(analysis).catalog)?;
    let SiteStart { standby, previous } =
        start.map(Preparing::wait).transpose()?.unwrap_or_default();
    let input = SiteInput {
        summaries: &summaries,
        cfg: &cfg,
        prices: &prices,
        report: &report,
        models: &models,
        data_dir: data,
        pricing_model,
        overrides: override_rows
            .iter()
            .filter_map(|o| serde_json::to_value(o).ok())
            .collect(),
        previous: previous.as_ref(),
        standby: standby.as_ref(),
    };
    let site_dir = generation.join("site");
    pipeline::timing::mark("site: inputs ready");
    let outcome = build_site(&input, &site_dir, progress)
        .with_context(|| format!("cannot build the site in {}", site_dir.display()))?;
    drop(input);
    // The analysis and the price book (with the quotes it kept) are freed on a thread nothing
    // waits for: their frees ended every build on one core, for memory the process is about
    // to return whole. Where no thread can be started, the closure and its data are dropped
    // right here.
    let _ = std::thread::Builder::new()
        .name("free-analysis".into())
        .spawn(move || drop((summaries, prices, previous, standby)));
    let records = postcard::to_allocvec(&outcome.records).context("site records")?;
    std::fs::write(generation.join(SITE_RECORDS), records)
        .with_context(|| format!("cannot write {}", generation.join(SITE_RECORDS).display()))?;
    pipeline::timing::mark("site: records written");
    Ok(outcome.stats)
}

/// The site of `generation` (the published one) and the records of how its profiles were made,
/// if both are readable.
fn previous_site(generation: &Path) -> Option<PreviousSite> {
    let records = read_records(generation)?;
    Some(PreviousSite {
        dir: generation.join("site"),
        records: Arc::new(records),
    })
}

fn print_summary(s: &Summary, started: Instant) {
    let mut parts = Vec::new();
    if let Some(r) = &s.report {
        parts.push(format!(
            "{} runs, {} points, {} rejected files",
            r.runs,
            r.points,
            r.rejected.len()
        ));
    }
    if let Some((profiles, knees)) = s.profiles {
        parts.push(format!("{profiles} profiles ({knees} with a knee)"));
    }
    if let Some(site) = &s.site {
        parts.push(format!(
            "{} pages, {} files, {:.1} MB ({} profiles and {} model pages reused)",
            site.pages,
            site.files,
            site.bytes as f64 / 1e6,
            site.reused_profiles,
            site.reused_models
        ));
    }
    eprintln!(
        "done: {} in {:.2} s",
        parts.join("; "),
        started.elapsed().as_secs_f64()
    );
}

/// Ingest and analyze with the given flags (used when a query finds no catalog).
pub fn build_catalog(raw: &Path, out: &Path, analysis: &AnalysisArgs) -> Result<()> {
    let pipeline = PipelineArgs {
        raw: raw.to_path_buf(),
        out: out.to_path_buf(),
        strict: false,
    };
    run(
        out,
        Stages {
            ingest: Some(&pipeline),
            analyze: Some(analysis),
            site: None,
        },
    )
}
