//! Gives every ingested point its final profile (SPEC §5): the workload (as the file or run.toml
//! states it, else inferred from the measured lengths), the use case, a curve of rates apart
//! from one of concurrencies, and — when points of one curve still share a load — a variant
//! naming what tells them apart: the raw fields that differ, else the burst size of unbounded
//! points, else the words of their files' paths. Nothing is merged silently: every split and
//! every kept repeat is written to the ingest report.

use crate::path_words;
use crate::point::{Load, MeasuredPoint};
use crate::report::{FileIssue, IngestReport};
use crate::schema::BenchmarkRow;
use crate::workload::use_case_name;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hash;

/// Measured prompt lengths within this factor of each other can be one inferred workload.
pub const MEASURED_LENGTH_TOLERANCE: f64 = 1.15;
/// Measured output lengths within this factor can be one inferred workload: looser, because a
/// model that stops at its end-of-sequence token returns fewer tokens than asked, and how many
/// fewer varies with load and deployment.
pub const MEASURED_OUTPUT_TOLERANCE: f64 = 1.5;

/// Raw fields that differ between runs of the same configuration (a timestamp, the number of
/// prompts sent, the load itself) and so never name a deployment.
const NOT_IDENTITY_FIELDS: &[&str] = &[
    // Pod addresses change between runs of one deployment (AIPerf's several `--url`).
    crate::formats::AIPERF_ENDPOINT_URLS,
    // How many requests a run cancelled on purpose is an outcome, not a setting.
    crate::formats::CANCELLED_REQUESTS,
    "date",
    "timestamp",
    "time",
    "start_time",
    "end_time",
    "created",
    "num_prompts",
    "seed",
    "request_rate",
    "max_concurrency",
    "num_concurrent_requests",
    "name",
    "version",
];

/// Sets `key.workload`, `key.use_case`, a splitting variant where needed, and `profile_id` on
/// every row. `key.use_case` may arrive set (run.toml named it) and is then kept. The rows are
/// left put together by model ([`assign_by_model`]).
pub fn assign(rows: &mut [BenchmarkRow], report: &mut IngestReport) {
    let notes = assign_by_model(rows);
    report
        .curves
        .extend(notes.into_iter().flat_map(|(_, notes)| notes));
}

/// [`assign`], with the curve notes of each model's profiles apart. Each model's rows are
/// decided alone (nothing here looks across models), on both cores: the rows are first put
/// together by model, each model's in the order they came.
pub fn assign_by_model(rows: &mut [BenchmarkRow]) -> Vec<(String, Vec<FileIssue>)> {
    let models = crate::slots::first_seen_slots(rows, |r| r.key.model.as_str()).1;
    crate::slots::group_by_slots(rows, &models);
    rows.par_chunk_by_mut(|a, b| a.key.model == b.key.model)
        .map(|model_rows| {
            let mut notes = IngestReport::default();
            assign_within_model(model_rows, &mut notes);
            (model_rows[0].key.model.clone(), notes.curves)
        })
        .collect()
}

/// [`assign`] for the rows of one model.
fn assign_within_model(rows: &mut [BenchmarkRow], report: &mut IngestReport) {
    name_workloads(rows);
    for members in group_by(rows, |r| &r.key) {
        let use_case = use_case_of(rows, &members);
        for &i in &members {
            if rows[i].key.use_case.is_empty() {
                rows[i].key.use_case = use_case.clone();
            }
        }
        match separate_load_kinds(rows, &members, report) {
            Some(curves) => {
                for curve in curves {
                    separate_collisions(rows, &curve, report);
                }
            }
            None => separate_collisions(rows, &members, report),
        }
    }
    // Once per run of equal keys, not per row: the id slugs and hashes the whole key. A key's
    // rows in another run get the same id from it; no map of keys is needed.
    rows.par_chunk_by_mut(|a, b| a.key == b.key)
        .for_each(|run| {
            let id = run[0].key.id();
            for row in run {
                row.profile_id.clone_from(&id);
            }
        });
}

/// Indices of `rows`, grouped by `key` (groups in the order their first row comes, rows in
/// table order). Hashed, not ordered: ordering 10,000 profile keys compared their long shared
/// model names again and again (half of the identity step's time), and no caller needs key
/// order — each group is decided alone and the report sorts its notes.
fn group_by<'a, K: Eq + Hash + Copy + Send>(
    rows: &'a [BenchmarkRow],
    key: impl Fn(&'a BenchmarkRow) -> K + Sync,
) -> Vec<Vec<usize>> {
    let (keys, slots) = crate::slots::first_seen_slots(rows, key);
    let mut groups = vec![Vec::new(); keys.len()];
    for (i, slot) in slots.into_iter().enumerate() {
        groups[slot].push(i);
    }
    groups
}

/// A row's measured mean prompt and output lengths, when both are known and positive.
fn measured_lengths(row: &BenchmarkRow) -> Option<(f64, f64)> {
    let p = &row.point;
    p.mean_input_tokens()
        .zip(p.mean_output_tokens())
        .filter(|(a, b)| *a > 0.0 && *b > 0.0 && a.is_finite() && b.is_finite())
}

/// Whether two (prompt, output) lengths can be one workload.
fn near(a: (f64, f64), b: (f64, f64)) -> bool {
    let within = |x: f64, y: f64, tolerance: f64| (x / y).max(y / x) <= tolerance;
    within(a.0, b.0, MEASURED_LENGTH_TOLERANCE) && within(a.1, b.1, MEASURED_OUTPUT_TOLERANCE)
}

/// Sets `key.workload` on every row: the stated workload's label; else the measured lengths,
/// clustered first within each profile (so a curve is never cut in two) and then across the
/// model's profiles (so one inferred workload carries one name wherever it was measured);
/// else `unspecified`.
fn name_workloads(rows: &mut [BenchmarkRow]) {
    let mut inferred: Vec<Cluster> = Vec::new();
    for members in group_by(rows, |r| &r.key) {
        let mut unstated = Vec::new();
        for i in members {
            match rows[i].point.workload.label() {
                Some(label) => rows[i].key.workload = label,
                None => unstated.push(i),
            }
        }
        let (measured, unknown): (Vec<usize>, Vec<usize>) = unstated
            .into_iter()
            .partition(|&i| measured_lengths(&rows[i]).is_some());
        for i in unknown {
            rows[i].key.workload = "unspecified".into();
        }
        let lengths: Vec<(f64, f64)> = measured
            .iter()
            .filter_map(|&i| measured_lengths(&rows[i]))
            .collect();
        for component in connected(&lengths) {
            let members: Vec<usize> = component.iter().map(|&c| measured[c]).collect();
            let of = |f: fn(&(f64, f64)) -> f64| {
                median(
                    &component
                        .iter()
                        .map(|&c| f(&lengths[c]))
                        .collect::<Vec<_>>(),
                )
            };
            inferred.push(Cluster {
                model: rows[members[0]].key.model.clone(),
                lengths: (of(|l| l.0), of(|l| l.1)),
                members,
            });
        }
    }
    let mut by_model: BTreeMap<String, Vec<Cluster>> = BTreeMap::new();
    for c in inferred {
        by_model.entry(c.model.clone()).or_default().push(c);
    }
    for clusters in by_model.values() {
        let medians: Vec<(f64, f64)> = clusters.iter().map(|c| c.lengths).collect();
        for component in connected(&medians) {
            let of = |f: fn(&(f64, f64)) -> f64| {
                median(
                    &component
                        .iter()
                        .map(|&c| f(&medians[c]))
                        .collect::<Vec<_>>(),
                )
            };
            let label = format!(
                "measured ~{}/{}",
                length_name(of(|l| l.0)),
                length_name(of(|l| l.1))
            );
            for &c in &component {
                for &i in &clusters[c].members {
                    rows[i].key.workload = label.clone();
                }
            }
        }
    }
}

/// Measured lengths of one profile's points that belong together.
struct Cluster {
    model: String,
    lengths: (f64, f64),
    members: Vec<usize>,
}

/// The connected components of [`near`] among measured lengths (single linkage,
/// order-independent), each as indices into `lengths` in ascending order, components ordered
/// by their first index. Only pairs whose prompt lengths are within
/// [`MEASURED_LENGTH_TOLERANCE`] can be near, so the lengths are visited in prompt-length order
/// and each is compared with the few after it that are that close: comparing every pair was
/// quadratic in a model's inferred workloads.
fn connected(lengths: &[(f64, f64)]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..lengths.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut by_prompt: Vec<usize> = (0..lengths.len()).collect();
    by_prompt.sort_by(|&a, &b| lengths[a].0.total_cmp(&lengths[b].0));
    for (k, &a) in by_prompt.iter().enumerate() {
        for &b in &by_prompt[k + 1..] {
            // Prompt lengths only grow from here: once one is too far, all after it are.
            if lengths[b].0 / lengths[a].0 > MEASURED_LENGTH_TOLERANCE {
                break;
            }
            if near(lengths[a], lengths[b]) {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
    }
    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..lengths.len() {
        let r = root(&mut parent, i);
        components.entry(r).or_default().push(i);
    }
    components.into_values().collect()
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// How far (as a ratio) a measured median may lie from a common requested length and still be
/// named by it: tokenizers re-encode a prompt a token or two off, and models stop early.
const COMMON_LENGTH_TOLERANCE: f64 = 1.02;

/// The name of a measured median length: the nearest common requested length (a power of two
/// from 16, or a round number with one significant digit) within [`COMMON_LENGTH_TOLERANCE`],
/// else two significant digits. Rounding alone cuts right beside the lengths tools are asked
/// for (254 and 257 tokens would be ~250 and ~260; 2,049 and 2,054 ~2000 and ~2100), so one
/// workload measured on two models would carry two names.
fn length_name(x: f64) -> String {
    if x <= 0.0 || !x.is_finite() {
        return "0".into();
    }
    let digits = x.log10().floor() as i32;
    let magnitude = 10f64.powi(digits);
    let power_of_two = 2f64.powi(x.log2().round() as i32);
    let round = (x / magnitude).round() * magnitude;
    let ratio = |c: f64| (x / c).max(c / x);
    let common = [power_of_two, round]
        .into_iter()
        .filter(|&c| c >= 16.0 && ratio(c) <= COMMON_LENGTH_TOLERANCE)
        .min_by(|a, b| ratio(*a).total_cmp(&ratio(*b)));
    let named = common.unwrap_or_else(|| {
        let scale = 10f64.powi(digits - 1);
        (x / scale).round() * scale
    });
    format!("{named}")
}

/// The use case of one workload: from its stated lengths, else the measured ones. Lengths drawn
/// from a range ([`lengths_drawn`]) are classed by what was measured when it is known.
fn use_case_of(rows: &[BenchmarkRow], members: &[usize]) -> String {
    let Some(&first) = members.first() else {
        return "unknown".into();
    };
    let hint = &rows[first].point.workload;
    let measured = {
        let ins: Vec<f64> = members
            .iter()
            .filter_map(|&i| rows[i].point.mean_input_tokens())
            .collect();
        let outs: Vec<f64> = members
            .iter()
            .filter_map(|&i| rows[i].point.mean_output_tokens())
            .collect();
        (!ins.is_empty() && !outs.is_empty()).then(|| (median(&ins), median(&outs)))
    };
    let stated = || {
        Some((
            hint.input_len.or(measured.map(|m| m.0))?,
            hint.output_len.or(measured.map(|m| m.1))?,
        ))
    };
    let lengths = match hint.range_ratio {
        Some(r) if lengths_drawn(&rows[first].tool, r) => measured.or_else(stated),
        _ => stated(),
    };
    use_case_name(hint.dataset.as_deref(), lengths)
}

/// Whether a `random_range_ratio` of `ratio` drew lengths from a range rather than sending the
/// stated ones. SGLang (and vLLM before 0.8) draw from `[len × r, len]`, so `--random-input
/// 1024` at the default 0 sends about 512 tokens; vLLM 0.8+ from `[len × (1 − r), len × (1 + r)]`,
/// exact at 0. A vLLM file does not say which, so only a ratio strictly between 0 and 1 is a
/// range there.
fn lengths_drawn(tool: &str, ratio: f64) -> bool {
    match tool {
        crate::formats::SGLANG_TOOL => ratio < 1.0,
        _ => ratio > 0.0 && ratio < 1.0,
    }
}

/// Splits a profile whose points were measured at request rates and at concurrencies into a
/// curve of each, since one load axis cannot order both (rate 16 is not "more" than
/// concurrency 1). Unbounded points, a rate sweep's limit, go with the rates. Returns the two
/// curves, or `None` when the profile needs no split (most do not: nothing is copied then); a
/// split is reported.
fn separate_load_kinds(
    rows: &mut [BenchmarkRow],
    members: &[usize],
    report: &mut IngestReport,
) -> Option<[Vec<usize>; 2]> {
    let has = |kind: fn(&Load) -> bool| members.iter().any(|&i| kind(&rows[i].point.load));
    if !(has(|l| matches!(l, Load::Concurrency(_))) && has(|l| matches!(l, Load::Rate(_)))) {
        return None;
    }
    let (concurrency, by_rate): (Vec<usize>, Vec<usize>) = members
        .iter()
        .partition(|&&i| matches!(rows[i].point.load, Load::Concurrency(_)));
    let before = rows[members[0]].key.id();
    for (curve, tag) in [(&by_rate, "load=rate"), (&concurrency, "load=concurrency")] {
        for &i in curve {
            add_to_variant(&mut rows[i].key.variant, tag);
        }
    }
    let unbounded = by_rate
        .iter()
        .filter(|&&i| rows[i].point.load == Load::Unbounded)
        .count();
    let unbounded = match unbounded {
        0 => String::new(),
        n => format!(", {n} of them unbounded"),
    };
    report.curve_note(
        files_of(rows, members),
        format!(
            "profile {before}: points at request rates and at concurrencies share no load axis; split into 2 curves (load=rate: {} point(s){unbounded}; load=concurrency: {} point(s))",
            by_rate.len(),
            concurrency.len()
        ),
    );
    Some([by_rate, concurrency])
}

/// Appends `tag` to a profile's variant (`+` between tags).
fn add_to_variant(variant: &mut Option<String>, tag: &str) {
    *variant = Some(match variant.take() {
        Some(v) => format!("{v}+{tag}"),
        None => tag.to_string(),
    });
}

/// Where points of one curve share a load, splits the curve by the raw fields whose values
/// differ between them (a per-point name, such as a table's `source_file` column, only by the
/// words its values differ in); when none does, keeps them as repeats. Both are reported.
fn separate_collisions(rows: &mut [BenchmarkRow], members: &[usize], report: &mut IngestReport) {
    let colliding = repeated_loads(rows, members);
    if colliding.is_empty() {
        return;
    }
    let (names, settings): (Vec<String>, Vec<String>) = differing_fields(rows, &colliding)
        .into_iter()
        .partition(|f| is_per_point_name(rows, members, f));
    let files = files_of(rows, members);
    let before = rows[members[0]].key.id();
    if settings.is_empty() && !names.is_empty() {
        // A name every point has alone (a table's `source_file` column) cannot name a
        // deployment of several loads; the words its values differ in may. Names that differ
        // only in counters and timestamps are treated like such file names: repeats.
        let split = names.iter().find_map(|f| {
            split_by_name_words(
                rows,
                members,
                &colliding,
                &before,
                report,
                NameSource::Field(f),
            )
        });
        if let Some(curves) = split {
            for curve in curves {
                separate_collisions(rows, &curve, report);
            }
            return;
        }
    }
    if settings.is_empty() {
        // Settings first: a burst or a file name only tells apart what no setting does. Each new
        // curve is looked at again, for what still collides in it.
        let split = separate_bursts(rows, members, report)
            .or_else(|| split_by_file_names(rows, members, &colliding, &before, report));
        match split {
            Some(curves) => {
                for curve in curves {
                    separate_collisions(rows, &curve, report);
                }
            }
            None => report_repeats(&before, rows, &colliding, files, report),
        }
        return;
    }
    let mut values: BTreeSet<String> = BTreeSet::new();
    for &i in members {
        let tag = settings
            .iter()
            .map(|f| {
                let v = rows[i]
                    .point
                    .fields
                    .get(f)
                    .map_or("(absent)", String::as_str);
                format!("{f}={v}")
            })
            .collect::<Vec<_>>()
            .join("+");
        add_to_variant(&mut rows[i].key.variant, &tag);
        values.insert(tag);
    }
    report.curve_note(
        files,
        format!(
            "profile {before}: points at the same load differed in {}; split into {} curves ({})",
            settings.join(", "),
            values.len(),
            values.into_iter().collect::<Vec<_>>().join("; ")
        ),
    );
    // Within each new curve, burst sizes or file names may still tell points apart.
    for curve in group_by_members(rows, members, |r| r.key.variant.clone()) {
        separate_collisions(rows, &curve, report);
    }
}

/// Sent all at once (an unlimited rate, no concurrency cap), the number of prompts is the load:
/// unbounded points that sent different numbers are not repeats (a real set of vLLM runs sent
/// bursts of 1, 16 and 32 prompts, and their mean read as one capacity). Each burst size
/// becomes its own capacity (`burst=32`), the other points of the curve stay as they are.
/// The curves after the split, if there was one.
fn separate_bursts(
    rows: &mut [BenchmarkRow],
    members: &[usize],
    report: &mut IngestReport,
) -> Option<Vec<Vec<usize>>> {
    let unbounded: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| rows[i].point.load == Load::Unbounded)
        .collect();
    // `32` and `32.0` are one size; the number, when there is one, orders the sizes.
    let size_of = |r: &BenchmarkRow| {
        let stated = r
            .point
            .fields
            .get("num_prompts")
            .map_or("(absent)", String::as_str);
        match stated.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => (Some(n), format!("burst={n}")),
            _ => (None, format!("burst={stated}")),
        }
    };
    let tags: Vec<(Option<f64>, String)> = unbounded.iter().map(|&i| size_of(&rows[i])).collect();
    let mut sizes: Vec<&(Option<f64>, String)> = tags.iter().collect();
    // Numbers in numeric order, then any text: a total order.
    sizes.sort_by(|(x, a), (y, b)| {
        x.is_none()
            .cmp(&y.is_none())
            .then(x.unwrap_or(0.0).total_cmp(&y.unwrap_or(0.0)))
            .then(a.cmp(b))
    });
    sizes.dedup_by(|a, b| a.1 == b.1);
    if sizes.len() < 2 {
        return None;
    }
    let listed = sizes
        .iter()
        .map(|(_, tag)| tag.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let before = rows[members[0]].key.id();
    for (&i, (_, tag)) in unbounded.iter().zip(&tags) {
        add_to_variant(&mut rows[i].key.variant, tag);
    }
    report.curve_note(
        files_of(rows, &unbounded),
        format!(
            "profile {before}: points at an unlimited rate sent different numbers of prompts at once; each burst size is its own capacity ({listed})"
        ),
    );
    Some(group_by_members(rows, members, |r| r.key.variant.clone()))
}

/// Where no setting tells colliding points apart but their files' paths do (`1p3d_conc64.json`
/// and `3p1d_conc64.json`: prefill/decode layouts named only there, or `tp4_dp2` and
/// `tp8_dp1`), splits the curve by the path words that differ between colliding files.
/// Counters, timestamps and hashes never count ([`path_words`]): `run=0` and `run=1`, or
/// `stage_0` and `stage_2`, stay repeats. The curves after the split, if there was one.
fn split_by_file_names(
    rows: &mut [BenchmarkRow],
    members: &[usize],
    colliding: &[Vec<usize>],
    before: &str,
    report: &mut IngestReport,
) -> Option<Vec<Vec<usize>>> {
    split_by_name_words(rows, members, colliding, before, report, NameSource::File)
}

/// Where the names whose words may tell deployments apart come from.
#[derive(Clone, Copy)]
enum NameSource<'a> {
    /// The raw file's path.
    File,
    /// A raw field each point has its own value of (a table's `source_file` column).
    Field(&'a str),
}

impl NameSource<'_> {
    fn name_of<'r>(&self, row: &'r BenchmarkRow) -> &'r str {
        match self {
            NameSource::File => row.source_file.as_str(),
            NameSource::Field(f) => row.point.fields.get(f).map_or("", String::as_str),
        }
    }

    fn tag_prefix(&self) -> &str {
        match self {
            NameSource::File => "file",
            NameSource::Field(f) => f,
        }
    }

    fn what_differed(&self) -> String {
        match self {
            NameSource::File => "no setting, only in their files' names".into(),
            NameSource::Field(f) => {
                format!("no setting, only in `{f}`, a name each point has alone")
            }
        }
    }
}

/// [`split_by_file_names`] over the names `source` gives each point.
fn split_by_name_words(
    rows: &mut [BenchmarkRow],
    members: &[usize],
    colliding: &[Vec<usize>],
    before: &str,
    report: &mut IngestReport,
    source: NameSource,
) -> Option<Vec<Vec<usize>>> {
    let words: BTreeMap<usize, Vec<String>> = members
        .iter()
        .map(|&i| (i, path_words::deployment_words(source.name_of(&rows[i]))))
        .collect();
    let mut telling: BTreeSet<&String> = BTreeSet::new();
    for set in colliding {
        let of_set: Vec<&Vec<String>> = set.iter().filter_map(|i| words.get(i)).collect();
        for w in of_set.iter().flat_map(|ws| ws.iter()) {
            if !of_set.iter().all(|ws| ws.contains(w)) {
                telling.insert(w);
            }
        }
    }
    if telling.is_empty() {
        return None;
    }
    let prefix = source.tag_prefix();
    let tag_of = |i: usize| {
        let own = words.get(&i).map(Vec::as_slice).unwrap_or_default();
        let named: Vec<&str> = own
            .iter()
            .filter(|w| telling.contains(w))
            .map(String::as_str)
            .collect();
        match named.is_empty() {
            false => format!("{prefix}={}", named.join("-")),
            true => format!("{prefix}=other"),
        }
    };
    let tags: Vec<String> = members.iter().map(|&i| tag_of(i)).collect();
    let distinct: BTreeSet<&String> = tags.iter().collect();
    if distinct.len() < 2 {
        return None;
    }
    let listed = distinct
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    report.curve_note(
        files_of(rows, members),
        format!(
            "profile {before}: points at the same load differed in {}; split into {} curves by the words that differ ({listed})",
            source.what_differed(),
            distinct.len()
        ),
    );
    for (&i, tag) in members.iter().zip(&tags) {
        add_to_variant(&mut rows[i].key.variant, tag);
    }
    Some(group_by_members(rows, members, |r| r.key.variant.clone()))
}

/// Repeats of one measurement agree within run-to-run noise; past this ratio of output
/// throughput at one load they more likely come from different deployments that neither the
/// files nor their names tell apart, and the note says so.
const REPEATS_DISAGREE: f64 = 1.5;
/// The same for the median TTFT, which at one rate moves where throughput cannot (an open-loop
/// generator sends the same requests a second): a cold first run, or a stage of an
/// autoscaling staircase served by another number of replicas.
const REPEATS_TTFT_DISAGREE: f64 = 2.0;

/// `sets`: the points of each load measured more than once.
fn report_repeats(
    profile: &str,
    rows: &[BenchmarkRow],
    sets: &[Vec<usize>],
    files: String,
    report: &mut IngestReport,
) {
    let loads = sets.len();
    let mut reason = format!(
        "profile {profile}: {loads} load(s) measured more than once with no setting telling the records apart (a counter such as a sweep's `run_number` is not one); kept as repeats of one measurement (the curve uses their mean, every record is listed)"
    );
    let widest = |figure: fn(&MeasuredPoint) -> Option<f64>| {
        sets.iter()
            .filter_map(|set| spread(set.iter().filter_map(|&i| figure(&rows[i].point))))
            .fold(1.0_f64, f64::max)
    };
    let throughput = widest(|p| Some(p.output_tokens_per_s));
    let ttft = widest(|p| p.ttft.p50().or(p.ttft.mean()));
    let mut disagreements = Vec::new();
    if throughput >= REPEATS_DISAGREE {
        disagreements.push(format!("output throughputs by up to {throughput:.1}×"));
    }
    if ttft >= REPEATS_TTFT_DISAGREE {
        disagreements.push(format!("median TTFTs by up to {ttft:.1}×"));
    }
    if !disagreements.is_empty() {
        reason.push_str(&format!(
            "; but they differ ({}): a cold first run, or different deployments — give each its own run directory or a `[[series]]` variant",
            disagreements.join(", ")
        ));
    }
    report.curve_note(files, reason);
}

/// The largest of `values` over the smallest (both positive and finite).
fn spread(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (low, high) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    (high > 0.0 && low.is_finite()).then(|| high / low)
}

fn group_by_members<K: Ord>(
    rows: &[BenchmarkRow],
    members: &[usize],
    key: impl Fn(&BenchmarkRow) -> K,
) -> Vec<Vec<usize>> {
    let mut groups: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for &i in members {
        groups.entry(key(&rows[i])).or_default().push(i);
    }
    groups.into_values().collect()
}

/// The points of each load that `members` measured more than once.
fn repeated_loads(rows: &[BenchmarkRow], members: &[usize]) -> Vec<Vec<usize>> {
    let mut by_load: BTreeMap<(u8, u64), Vec<usize>> = BTreeMap::new();
    for &i in members {
        by_load.entry(load_key(&rows[i].point)).or_default().push(i);
    }
    by_load.into_values().filter(|v| v.len() > 1).collect()
}

/// The raw fields (not timestamps or load settings) whose values differ within some set of
/// colliding points.
fn differing_fields(rows: &[BenchmarkRow], colliding: &[Vec<usize>]) -> Vec<String> {
    let mut fields = BTreeSet::new();
    for set in colliding {
        let names: BTreeSet<&String> = set
            .iter()
            .flat_map(|&i| rows[i].point.fields.keys())
            .collect();
        for name in names {
            if NOT_IDENTITY_FIELDS.contains(&name.as_str()) {
                continue;
            }
            let distinct: BTreeSet<Option<&String>> = set
                .iter()
                .map(|&i| rows[i].point.fields.get(name))
                .collect();
            if distinct.len() > 1 {
                fields.insert(name.clone());
            }
        }
    }
    fields.into_iter().collect()
}

/// Whether `field` is a per-point name (a result file's name or a timestamp a collated table
/// kept) rather than a setting: at least three of `members` state it, no two share a value,
/// and every value looks like one, naming a file (`….json`) or carrying a date (eight digits in
/// a row, as `20250915`). With one point per deployment a setting's values are as distinct as
/// a name's (GPUs `h100`, `mi300x`, `h200` at one load each), so distinctness alone cannot
/// tell them apart; what the values say can.
fn is_per_point_name(rows: &[BenchmarkRow], members: &[usize], field: &str) -> bool {
    let values: Vec<&str> = members
        .iter()
        .filter_map(|&i| rows[i].point.fields.get(field))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    let distinct: BTreeSet<&&str> = values.iter().collect();
    values.len() >= 3
        && distinct.len() == values.len()
        && values.iter().all(|v| path_words::names_a_run(v))
}

/// A load as an exact, orderable key: kind, then the value's bits.
pub fn load_key(p: &MeasuredPoint) -> (u8, u64) {
    match p.load {
        Load::Rate(r) => (0, r.to_bits()),
        Load::Concurrency(c) => (1, c.to_bits()),
        Load::Unbounded => (2, 0),
    }
}

fn files_of(rows: &[BenchmarkRow], members: &[usize]) -> String {
    members
        .iter()
        .map(|&i| rows[i].source_file.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkloadHint;

    fn row(load: f64, fields: &[(&str, &str)], lengths: Option<(f64, f64)>) -> BenchmarkRow {
        let mut point = MeasuredPoint::new(Load::Rate(load), 100.0);
        point.fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        point.set_mean_input_tokens(lengths.map(|l| l.0));
        point.set_mean_output_tokens(lengths.map(|l| l.1));
        BenchmarkRow::example(point)
    }

    /// Visiting lengths in prompt order finds the components comparing every pair finds.
    #[test]
    fn components_of_near_lengths_are_those_of_all_pairs() {
        fn all_pairs(lengths: &[(f64, f64)]) -> Vec<Vec<usize>> {
            let mut component: Vec<usize> = (0..lengths.len()).collect();
            // Relabel until stable: each item takes the least label among those near it.
            loop {
                let mut changed = false;
                for a in 0..lengths.len() {
                    for b in 0..lengths.len() {
                        if near(lengths[a], lengths[b]) && component[b] < component[a] {
                            component[a] = component[b];
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for (i, c) in component.into_iter().enumerate() {
                groups.entry(c).or_default().push(i);
            }
            groups.into_values().collect()
        }
        let mut state = 11_u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in [0, 1, 2, 3, 8, 40, 120] {
            for spread in [1.5_f64, 4.0, 40.0] {
                // Prompt lengths from 100 to 100 × spread, outputs from 50 to 50 × spread:
                // chains of near lengths form and break.
                let lengths: Vec<(f64, f64)> = (0..n)
                    .map(|_| (100.0 * spread.powf(next()), 50.0 * spread.powf(next())))
                    .collect();
                assert_eq!(connected(&lengths), all_pairs(&lengths), "{n} at {spread}");
            }
        }
        // Equal prompt lengths, exactly at the tolerance, and far apart.
        let edge = [
            (100.0, 10.0),
            (115.0, 10.0),
            (100.0, 10.0),
            (200.0, 10.0),
            (115.0, 40.0),
        ];
        assert_eq!(connected(&edge), all_pairs(&edge));
    }

    #[test]
    fn grouping_collects_interleaved_runs_of_a_key_in_table_order_first_seen_first() {
        let models = ["b", "b", "a", "b", "c", "c", "a", "b"];
        let rows: Vec<BenchmarkRow> = models
            .iter()
            .map(|m| {
                let mut r = row(1.0, &[], None);
                r.key.model = m.to_string();
                r
            })
            .collect();
        assert_eq!(
            group_by(&rows, |r| &r.key.model),
            vec![vec![0, 1, 3, 7], vec![2, 6], vec![4, 5]]
        );
        assert!(group_by(&rows[..0], |r| &r.key.model).is_empty());
        assert_eq!(group_by(&rows[..1], |r| &r.key.model), vec![vec![0]]);
    }

    #[test]
    fn ranged_lengths_class_the_use_case_by_what_was_measured() {
        let ranged = |tool: &str, ratio: Option<f64>| {
            let mut r = row(1.0, &[], Some((512.0, 64.0)));
            r.tool = tool.into();
            r.point.workload = WorkloadHint {
                dataset: Some("random".into()),
                input_len: Some(1024.0),
                output_len: Some(128.0),
                range_ratio: ratio,
            };
            let mut rows = vec![r];
            assign(&mut rows, &mut IngestReport::default());
            rows.remove(0).key.use_case
        };
        // SGLang's `--random-input 1024 --random-output 128` at its default ratio 0.
        assert_eq!(ranged("sglang", Some(0.0)), "custom (512/64)");
        assert_eq!(
            ranged("sglang", Some(1.0)),
            "Text Summarization",
            "exact in SGLang"
        );
        assert_eq!(ranged("vllm", Some(0.5)), "custom (512/64)");
        assert_eq!(
            ranged("vllm", Some(0.0)),
            "Text Summarization",
            "exact in vLLM 0.8+"
        );
        assert_eq!(
            ranged("sglang", None),
            "Text Summarization",
            "no ratio: as stated"
        );
    }

    #[test]
    fn measured_lengths_cluster_and_name_the_workload() {
        let mut rows = vec![
            row(1.0, &[], Some((1019.0, 127.0))),
            row(2.0, &[], Some((1024.0, 128.0))),
            row(4.0, &[], Some((128.0, 2048.0))),
        ];
        let mut report = IngestReport::default();
        assign(&mut rows, &mut report);
        assert_eq!(rows[0].key.workload, "measured ~1024/128");
        assert_eq!(rows[0].key.workload, rows[1].key.workload);
        assert_eq!(rows[0].key.use_case, "Text Summarization");
        assert_ne!(rows[2].profile_id, rows[0].profile_id);
        assert!(report.curves.is_empty());
    }

    #[test]
    fn early_stopping_outputs_keep_one_workload_name_across_variants() {
        // Asked for 2048 out, the model stopped early by different amounts per deployment.
        let mut rows = vec![
            row(32.0, &[], Some((2048.0, 650.0))),
            row(32.0, &[], Some((2048.0, 720.0))),
            row(32.0, &[], Some((2048.0, 790.0))),
            row(32.0, &[], Some((2048.0, 64.0))),
        ];
        for (r, v) in rows.iter_mut().zip(["1p3d", "2p2d", "3p1d", "1p3d"]) {
            r.key.variant = Some(v.into());
        }
        let mut report = IngestReport::default();
        assign(&mut rows, &mut report);
        assert_eq!(rows[0].key.workload, "measured ~2048/720");
        assert!(
            rows[..3]
                .iter()
                .all(|r| r.key.workload == rows[0].key.workload)
        );
        assert_eq!(rows[3].key.workload, "measured ~2048/64");
    }

    #[test]
    fn measured_lengths_are_named_by_the_common_length_they_lie_beside() {
        let names = |xs: &[f64]| xs.iter().map(|&x| length_name(x)).collect::<Vec<_>>();
        // Either side of a rounding boundary, beside a length tools are asked for: one name.
        assert_eq!(names(&[2049.0, 2054.0, 2030.0]), ["2048", "2048", "2048"]);
        assert_eq!(names(&[254.3, 257.1]), ["256", "256"]);
        assert_eq!(names(&[99.4, 100.3, 1010.0]), ["100", "100", "1000"]);
        // Nearer the round number than the power of two.
        assert_eq!(names(&[2000.0, 2010.0]), ["2000", "2000"]);
        // Beside no common length: two significant digits.
        assert_eq!(
            names(&[720.0, 1437.0, 290.0, 64.4, 9.0]),
            ["720", "1400", "290", "64", "9"]
        );
    }

    #[test]
    fn repeats_that_disagree_are_flagged_as_likely_different_deployments() {
        let mut close = vec![row(4.0, &[], None), row(4.0, &[], None)];
        close[1].point.output_tokens_per_s = 130.0;
        let mut report = IngestReport::default();
        assign(&mut close, &mut report);
        assert!(report.curves[0].reason.contains("kept as repeats"));
        assert!(!report.curves[0].reason.contains("they differ"));

        let mut apart = vec![row(4.0, &[], None), row(4.0, &[], None)];
        apart[1].point.output_tokens_per_s = 510.0;
        let mut report = IngestReport::default();
        assign(&mut apart, &mut report);
        assert!(
            report.curves[0]
                .reason
                .contains("they differ (output throughputs by up to 5.1×)"),
            "{:?}",
            report.curves
        );

        // At one rate throughput cannot tell a cold first run; its TTFT can.
        let mut cold = vec![
            row(4.0, &[], None),
            row(4.0, &[], None),
            row(4.0, &[], None),
        ];
        for (r, ttft) in cold.iter_mut().zip([166.0, 51.7, 52.9]) {
            r.point.ttft.set_p50(Some(ttft));
        }
        let mut report = IngestReport::default();
        assign(&mut cold, &mut report);
        assert!(
            report.curves[0]
                .reason
                .contains("(median TTFTs by up to 3.2×)"),
            "{:?}",
            report.curves
        );
    }

    #[test]
    fn unbounded_bursts_of_different_sizes_are_not_repeats() {
        let burst = |load: Load, prompts: &str| {
            let mut r = row(1.0, &[("num_prompts", prompts)], None);
            r.point.load = load;
            r
        };
        let mut rows = vec![
            burst(Load::Unbounded, "32"),
            burst(Load::Unbounded, "1"),
            burst(Load::Rate(4.0), "100"),
            burst(Load::Rate(4.0), "200"),
        ];
        let mut report = IngestReport::default();
        assign(&mut rows, &mut report);
        assert_ne!(rows[0].profile_id, rows[1].profile_id);
        assert_eq!(rows[0].key.variant.as_deref(), Some("burst=32"));
        assert_eq!(rows[2].key.variant, None, "the rates stay one curve");
        assert_eq!(rows[2].profile_id, rows[3].profile_id);
        assert!(
            report.curves[0]
                .reason
                .contains("each burst size is its own capacity (burst=1; burst=32)"),
            "{:?}",
            report.curves
        );
        assert!(
            report.curves[1].reason.contains("kept as repeats"),
            "rate 4 twice"
        );
    }

    #[test]
    fn a_setting_splits_before_burst_sizes_do() {
        let at = |deployment: &str, load: Load, prompts: &str| {
            let mut r = row(
                1.0,
                &[("deployment", deployment), ("num_prompts", prompts)],
                None,
            );
            r.point.load = load;
            r
        };
        let mut rows = vec![
            at("a", Load::Rate(4.0), "100"),
            at("a", Load::Unbounded, "1000"),
            at("b", Load::Rate(4.0), "100"),
            at("b", Load::Unbounded, "500"),
        ];
        let mut report = IngestReport::default();
        assign(&mut rows, &mut report);
        let variants: Vec<Option<&str>> = rows.iter().map(|r| r.key.variant.as_deref()).collect();
        assert_eq!(
            variants,
            [
                Some("deployment=a"),
                Some("deployment=a"),
                Some("deployment=b"),
                Some("deployment=b")
            ],
            "{:?}",
            report.curves
        );
    }

    #[test]
    fn a_name_each_point_has_alone_splits_only_by_its_words_and_never_over_a_setting() {
        // dstack's collated pd_ratio table: a `source_file` column unique to every row; the
        // prefill/decode layout is in its words.
        let named = |load: f64, file: &str| row(load, &[("source_file", file)], None);
        let mut rows = vec![
            named(32.0, "1p3d_conc32_in2048_out128_20250923_033843.json"),
            named(64.0, "1p3d_conc64_in2048_out128_20250923_033822.json"),
            named(32.0, "3p1d_conc32_in2048_out128_20250922_063704.json"),
            named(64.0, "3p1d_conc64_in2048_out128_20250922_063641.json"),
        ];
        let mut report = IngestReport::default();
        assign(&mut rows, &mut report);
        let variants: Vec<Option<&str>> = rows.iter().map(|r| r.key.variant.as_deref()).collect();
        assert_eq!(
            variants,
            [
                Some("source_file=1p3d"),
                Some("source_file=1p3d"),
                Some("source_file=3p1d"),
                Some("source_file=3p1d")
            ],
            "{:?}",
            report.curves
        );
        // dstack's 405B table: a `gpu` column names the setups; its `filename` column, unique
        // to every row, does not split them further.
        let setup =
            |load: f64, gpu: &str, file: &str| row(load, &[("gpu", gpu), ("filename", file)], None);
        let mut rows = vec![
            setup(16.0, "h100", "a_16.json"),
            setup(32.0, "h100", "a_32.json"),
            setup(16.0, "mi300x", "b_16.json"),
            setup(32.0, "mi300x", "b_32.json"),
        ];
        assign(&mut rows, &mut IngestReport::default());
        let variants: Vec<Option<&str>> = rows.iter().map(|r| r.key.variant.as_deref()).collect();
        assert_eq!(
            variants,
            [
                Some("gpu=h100"),
                Some("gpu=h100"),
                Some("gpu=mi300x"),
                Some("gpu=mi300x")
            ]
        );
    }

    #[test]
    fn names_differing_only_in_timestamps_are_repeats_and_numbers_are_settings() {
        let named = |load: f64, file: &str| row(load, &[("source_file", file)], None);
        let mut rows = vec![
            named(32.0, "run_20250923_033843.json"),
            named(32.0, "run_20250924_101500.json"),
            named(64.0, "run_20250923_040000.json"),
        ];
        let mut report = IngestReport::default();
        assign(&mut rows, &mut report);
        assert!(
            rows.iter().all(|r| r.key.variant.is_none()),
            "{:?}",
            report.curves
        );
        assert!(
            report.curves[0].reason.contains("kept as repeats"),
            "{:?}",
            report.curves
        );
        // One point per deployment: GPU names are as distinct as file names, but name no run.
        let gpu = |load: f64, name: &str| row(load, &[("gpu", name)], None);
        let mut rows = vec![gpu(16.0, "h100"), gpu(16.0, "mi300x"), gpu(32.0, "h200")];
        assign(&mut rows, &mut IngestReport::default());
        let variants: Vec<Option<&str>> = rows.iter().map(|r| r.key.variant.as_deref()).collect();
        assert_eq!(
            variants,
            [Some("gpu=h100"), Some("gpu=mi300x"), Some("gpu=h200")]
        );
        let tp = |load: f64, size: &str| row(load, &[("tp", size)], None);
        let mut rows = vec![tp(32.0, "4"), tp(32.0, "8"), tp(64.0, "2")];
        assign(&mut rows, &mut IngestReport::default());
        let variants: Vec<Option<&str>> = rows.iter().map(|r| r.key.variant.as_deref()).collect();
        assert_eq!(variants, [Some("tp=4"), Some("tp=8"), Some("tp=2")]);
    }

    fn from_file(load: f64, file: &str) -> BenchmarkRow {
        let mut r = row(load, &[], None);
        r.source_file = file.into();
        r
    }

    #[test]
    fn deployments_named_only_in_file_names_are_split_by_those_names() {
        // Prefill/decode layouts a real directory named only in its file names.
        let mut rows = vec![
            from_file(32.0, "pd/1p3d_conc32_in2048_out128_20250923_033843.json"),
            from_file(64.0, "pd/1p3d_conc64_in2048_out128_20250923_033822.json"),
            from_file(32.0, "pd/3p1d_conc32_in2048_out128_20250922_063704.json"),
            from_file(64.0, "pd/3p1d_conc64_in2048_out128_20250922_063641.json"),
        ];
        let mut report = IngestReport::default();
        assign(&mut rows, &mut report);
        let variants: Vec<Option<&str>> = rows.iter().map(|r| r.key.variant.as_deref()).collect();
        assert_eq!(
            variants,
            [
                Some("file=1p3d"),
                Some("file=1p3d"),
                Some("file=3p1d"),
                Some("file=3p1d")
            ]
        );
        assert_eq!(report.curves.len(), 1, "{:?}", report.curves);
        assert!(
            report.curves[0]
                .reason
                .contains("only in their files' names")
        );
        assert!(report.curves[0].reason.contains("(file=1p3d; file=3p1d)"));
    }

    #[test]
    fn repeats_named_apart_only_by_counters_or_times_stay_repeats() {
        for (a, b) in [
            (
                "sweep/SERVE--max_num_seqs=4/run=0.json",
                "sweep/SERVE--max_num_seqs=4/run=1.json",
            ),
            (
                "ip/stage_0_lifecycle_metrics.json",
                "ip/stage_2_lifecycle_metrics.json",
            ),
            (
                "v/openai-infqps-concurrency1-20260813-124514.json",
                "v/openai-infqps-concurrency1-20260813-125135.json",
            ),
        ] {
            let mut rows = vec![from_file(4.0, a), from_file(4.0, b)];
            let mut report = IngestReport::default();
            assign(&mut rows, &mut report);
            assert_eq!(rows[0].profile_id, rows[1].profile_id, "{a} / {b}");
            assert!(report.curves[0].reason.contains("kept as repeats"), "{a}");
        }
    }

    #[test]
    fn volatile_fields_do_not_split_repeats() {
        let mut rows = vec![
            row(1.0, &[("date", "a"), ("deployment", "x")], None),
            row(1.0, &[("date", "b"), ("deployment", "x")], None),
        ];
        let mut report = IngestReport::default();
        assign(&mut rows, &mut report);
        assert_eq!(rows[0].profile_id, rows[1].profile_id);
        assert!(report.curves[0].reason.contains("kept as repeats"));
    }

    #[test]
    fn rates_and_concurrencies_of_one_profile_are_two_curves_with_unbounded_among_the_rates() {
        let loads = [
            Load::Rate(2.0),
            Load::Rate(8.0),
            Load::Concurrency(1.0),
            Load::Concurrency(16.0),
            Load::Unbounded,
            Load::Concurrency(16.0),
        ];
        let mut rows: Vec<BenchmarkRow> = loads
            .iter()
            .enumerate()
            .map(|(n, &load)| {
                let mut r = row(1.0, &[("deployment", if n == 5 { "b" } else { "a" })], None);
                r.point.load = load;
                r
            })
            .collect();
        for r in &mut rows {
            r.key.variant = Some("pd-1p1d".into());
        }
        let mut report = IngestReport::default();
        assign(&mut rows, &mut report);
        let variants: Vec<&str> = rows
            .iter()
            .map(|r| r.key.variant.as_deref().unwrap())
            .collect();
        assert_eq!(
            variants,
            [
                "pd-1p1d+load=rate",
                "pd-1p1d+load=rate",
                "pd-1p1d+load=concurrency+deployment=a",
                "pd-1p1d+load=concurrency+deployment=a",
                "pd-1p1d+load=rate",
                "pd-1p1d+load=concurrency+deployment=b",
            ]
        );
        // The concurrency curve's own collision at 16 is still told apart afterwards.
        assert_eq!(rows[0].profile_id, rows[4].profile_id);
        assert_ne!(rows[0].profile_id, rows[2].profile_id);
        assert_eq!(rows[2].profile_id, rows[3].profile_id);
        assert_ne!(rows[3].profile_id, rows[5].profile_id);
        let split = report
            .curves
            .iter()
            .find(|c| c.reason.contains("share no load axis"))
            .unwrap();
        assert!(
            split.reason.contains(
                "(load=rate: 3 point(s), 1 of them unbounded; load=concurrency: 3 point(s))"
            ),
            "{}",
            split.reason
        );
    }

    #[test]
    fn concurrencies_beside_an_unbounded_probe_stay_one_curve() {
        let mut rows: Vec<BenchmarkRow> = [
            Load::Concurrency(1.0),
            Load::Concurrency(8.0),
            Load::Unbounded,
        ]
        .iter()
        .map(|&load| {
            let mut r = row(1.0, &[], None);
            r.point.load = load;
            r
        })
        .collect();
        let mut report = IngestReport::default();
        assign(&mut rows, &mut report);
        assert!(
            rows.iter()
                .all(|r| r.key.variant.is_none() && r.profile_id == rows[0].profile_id)
        );
        assert!(report.curves.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn every_row_gets_a_profile_and_splits_leave_no_unexplained_collision(
            specs in proptest::collection::vec(
                (0u8..4, 0u8..3, proptest::option::of(0u8..3), proptest::option::of((1.0f64..1e5, 1.0f64..1e5))),
                1..30,
            )
        ) {
            let names = ["a", "b", "c"];
            let mut rows: Vec<BenchmarkRow> = specs
                .iter()
                .map(|(load, kind, dep, lengths)| {
                    let fields: Vec<(&str, &str)> = dep.map(|d| ("deployment", names[d as usize])).into_iter().collect();
                    let mut r = row(f64::from(*load) + 1.0, &fields, *lengths);
                    r.point.load = match kind {
                        0 => Load::Rate(f64::from(*load) + 1.0),
                        1 => Load::Concurrency(f64::from(*load) + 1.0),
                        _ => Load::Unbounded,
                    };
                    r
                })
                .collect();
            let mut report = IngestReport::default();
            assign(&mut rows, &mut report);
            let mut seen: BTreeMap<(String, (u8, u64)), usize> = BTreeMap::new();
            for r in &rows {
                proptest::prop_assert!(!r.key.workload.is_empty());
                proptest::prop_assert!(!r.profile_id.is_empty());
                *seen.entry((r.profile_id.clone(), load_key(&r.point))).or_default() += 1;
            }
            let mut kinds: BTreeMap<&str, BTreeSet<u8>> = BTreeMap::new();
            for r in &rows {
                if r.point.load != Load::Unbounded {
                    kinds.entry(&r.profile_id).or_default().insert(load_key(&r.point).0);
                }
            }
            proptest::prop_assert!(
                kinds.values().all(|k| k.len() == 1),
                "a curve holds rates and concurrencies: {kinds:?}"
            );
            for ((id, _), n) in &seen {
                if *n > 1 {
                    proptest::prop_assert!(
                        report.curves.iter().any(|c| c.reason.starts_with(&format!("profile {id}:")) && c.reason.contains("repeats")),
                        "{id} has an unreported repeat: {:?}", report.curves
                    );
                }
            }
        }
    }
}
