//! `benchmarks.parquet`: one row per measured load point. This module owns the table's columns
//! (the list below is the documentation) and converts rows to and from a polars DataFrame.
//!
//! | column | type | unit | meaning |
//! |---|---|---|---|
//! | run_id | str | | run directory relative to the raw root |
//! | source_file | str | | raw file relative to the raw root |
//! | tool | str | | format the file was read as (`inference-perf`, `vllm`, …) |
//! | label | str? | | the tool's own name for the point (test name, stage, strategy) |
//! | origin, license | str? | | provenance from run.toml `[source]` |
//! | synthetic | bool | | generated data, never part of the real catalog |
//! | notes | str? | | caveats from run.toml (e.g. unverified checkpoint) |
//! | profile_id | str | | stable slug of the profile key (SPEC §5) |
//! | model … use_case | str / u32 | | the profile key: model, model_server, model_server_version, accelerator, accelerator_count, instance_type?, variant?, workload, use_case |
//! | dataset | str? | | dataset the load generator drew from (`sharegpt`, `random`, …) |
//! | requested_input_tokens, requested_output_tokens | f64? | tokens | lengths the tool was asked for (measured means are `mean_*_tokens`) |
//! | server_args | str | | JSON array of server flags from run.toml |
//! | image | str? | | container image from run.toml, when given |
//! | load_kind | str | | `rate`, `concurrency` or `unbounded` |
//! | load_value | f64? | req/s or requests | requested rate or concurrency; null when unbounded |
//! | completed, failed | i64? | requests | successful and failed requests |
//! | tensor_parallel, expert_parallel, data_parallel | u32? | | parallelism (file, else run.toml, else the server's `--tensor-parallel-size`) |
//! | prefill_workers, prefill_tensor_parallel, decode_workers, decode_tensor_parallel | u32? | | prefill/decode disaggregation: workers × TP per role |
//! | then every entry of [`METRIC_COLUMNS`] | f64? | see table | |
//! | output_tokens_per_s_per_accelerator | f64 | tokens/s | output throughput ÷ accelerator_count (all roles) |
//! | output_tokens_per_s_per_user | f64? | tokens/s | what one user sees: 1000 ÷ median TPOT, else ÷ median NTPOT (the mean where no median is reported) |
//!
//! Nulls mean "not reported or not derivable"; a 0 is a measured zero.

use crate::error::PipelineError;
use crate::point::{Load, MeasuredPoint};
use crate::topology::{Topology, Workers};
/// The table type of the stages' in-memory hand-over (so the binary needs no polars of its own).
pub use polars::prelude::DataFrame;
use polars::prelude::*;
use polars_arrow::array::{MutableBinaryViewArray, View};
use std::path::Path;

/// A metric column: its name, unit, meaning, and how to read/write it on a point.
pub struct MetricColumn {
    pub name: &'static str,
    pub unit: &'static str,
    pub meaning: &'static str,
    pub get: fn(&MeasuredPoint) -> Option<f64>,
    pub set: fn(&mut MeasuredPoint, f64),
}

macro_rules! scalar {
    ($name:literal, $unit:literal, $meaning:literal, $field:ident, $set:ident) => {
        MetricColumn {
            name: $name,
            unit: $unit,
            meaning: $meaning,
            get: |p| p.$field(),
            set: |p, v| p.$set(Some(v)),
        }
    };
}

macro_rules! latency {
    ($metric:ident, $stat:ident, $set:ident, $name:literal, $meaning:literal) => {
        MetricColumn {
            name: $name,
            unit: "ms",
            meaning: $meaning,
            get: |p| p.$metric.$stat(),
            set: |p, v| p.$metric.$set(Some(v)),
        }
    };
}

macro_rules! latency_set {
    ($metric:ident, $mean:literal, $p50:literal, $p90:literal, $p99:literal, $what:literal) => {
        [
            latency!($metric, mean, set_mean, $mean, $what),
            latency!($metric, p50, set_p50, $p50, $what),
            latency!($metric, p90, set_p90, $p90, $what),
            latency!($metric, p99, set_p99, $p99, $what),
        ]
    };
}

const THROUGHPUT_COLUMNS: [MetricColumn; 8] = [
    scalar!(
        "achieved_rate",
        "req/s",
        "rate the tool actually sent (inference-perf only)",
        achieved_rate,
        set_achieved_rate
    ),
    scalar!(
        "duration_s",
        "s",
        "length of the measurement",
        duration_s,
        set_duration_s
    ),
    scalar!(
        "requests_per_s",
        "req/s",
        "completed requests per second",
        requests_per_s,
        set_requests_per_s
    ),
    scalar!(
        "input_tokens_per_s",
        "tokens/s",
        "prompt tokens processed per second",
        input_tokens_per_s,
        set_input_tokens_per_s
    ),
    MetricColumn {
        name: "output_tokens_per_s",
        unit: "tokens/s",
        meaning: "output tokens generated per second (headline throughput)",
        get: |p| Some(p.output_tokens_per_s),
        set: |p, v| p.output_tokens_per_s = v,
    },
    scalar!(
        "total_tokens_per_s",
        "tokens/s",
        "input + output tokens per second",
        total_tokens_per_s,
        set_total_tokens_per_s
    ),
    scalar!(
        "mean_input_tokens",
        "tokens",
        "mean prompt length",
        mean_input_tokens,
        set_mean_input_tokens
    ),
    scalar!(
        "mean_output_tokens",
        "tokens",
        "mean output length",
        mean_output_tokens,
        set_mean_output_tokens
    ),
];

const LATENCY_COLUMNS: [[MetricColumn; 4]; 5] = [
    latency_set!(
        ttft,
        "ttft_mean_ms",
        "ttft_p50_ms",
        "ttft_p90_ms",
        "ttft_p99_ms",
        "time to first token"
    ),
    latency_set!(
        ntpot,
        "ntpot_mean_ms",
        "ntpot_p50_ms",
        "ntpot_p90_ms",
        "ntpot_p99_ms",
        "end-to-end latency / output tokens"
    ),
    latency_set!(
        tpot,
        "tpot_mean_ms",
        "tpot_p50_ms",
        "tpot_p90_ms",
        "tpot_p99_ms",
        "(e2e - ttft) / (output tokens - 1)"
    ),
    latency_set!(
        itl,
        "itl_mean_ms",
        "itl_p50_ms",
        "itl_p90_ms",
        "itl_p99_ms",
        "gap between consecutive streamed tokens"
    ),
    latency_set!(
        e2e,
        "e2e_mean_ms",
        "e2e_p50_ms",
        "e2e_p90_ms",
        "e2e_p99_ms",
        "end-to-end request latency"
    ),
];

const SERVER_COLUMNS: [MetricColumn; 3] = [
    MetricColumn {
        name: "server_queue_len_mean",
        unit: "requests",
        meaning: "server-side waiting queue length (Prometheus)",
        get: |p| p.server.queue_len_mean(),
        set: |p, v| p.server.set_queue_len_mean(Some(v)),
    },
    MetricColumn {
        name: "server_running_mean",
        unit: "requests",
        meaning: "server-side running batch size (Prometheus)",
        get: |p| p.server.running_mean(),
        set: |p, v| p.server.set_running_mean(Some(v)),
    },
    MetricColumn {
        name: "server_kv_cache_usage_mean",
        unit: "fraction",
        meaning: "KV cache in use, 0..1 (Prometheus)",
        get: |p| p.server.kv_cache_usage_mean(),
        set: |p, v| p.server.set_kv_cache_usage_mean(Some(v)),
    },
];

/// Every f64 metric column, in table order.
pub fn metric_columns() -> impl Iterator<Item = &'static MetricColumn> {
    static ALL: std::sync::OnceLock<Vec<&'static MetricColumn>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        THROUGHPUT_COLUMNS
            .iter()
            .chain(LATENCY_COLUMNS.iter().flatten())
            .chain(SERVER_COLUMNS.iter())
            .collect()
    })
    .iter()
    .copied()
}

pub fn metric_column(name: &str) -> Option<&'static MetricColumn> {
    metric_columns().find(|c| c.name == name)
}

/// The profile and provenance a row carries besides its measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchmarkRow {
    pub run_id: String,
    pub source_file: String,
    pub tool: String,
    pub origin: Option<String>,
    pub license: Option<String>,
    pub synthetic: bool,
    pub notes: Option<String>,
    pub profile_id: String,
    pub key: crate::profile::ProfileKey,
    pub server_args: Vec<String>,
    pub image: Option<String>,
    /// Boxed: ingest holds every row at once, and rows are dropped a chunk at a time as the
    /// table is made ([`into_dataframe`]); boxed, each point's memory goes back with its chunk
    /// instead of staying in the rows' one buffer (100,000 rows: 46 MB of it) until the end.
    pub point: Box<MeasuredPoint>,
}

/// A row of one vLLM run on one L4, for unit tests to vary.
#[cfg(test)]
impl BenchmarkRow {
    pub(crate) fn example(point: MeasuredPoint) -> Self {
        Self {
            run_id: "run".into(),
            source_file: "run/results.jsonl".into(),
            tool: "vllm".into(),
            origin: None,
            license: None,
            synthetic: false,
            notes: None,
            profile_id: String::new(),
            key: crate::profile::ProfileKey {
                model: "m".into(),
                model_server: "vllm".into(),
                model_server_version: "v1".into(),
                accelerator: "nvidia-l4".into(),
                accelerator_count: 1,
                instance_type: None,
                variant: None,
                workload: String::new(),
                use_case: String::new(),
                topology: Default::default(),
            },
            server_args: Vec::new(),
            image: None,
            point: Box::new(point),
        }
    }
}

/// A text column in which each run of equal values keeps one copy of its bytes. Rows come in
/// curve order, so a run's provenance and profile key repeat row after row: at 100,000 rows
/// the table held 45 MB of text, nearly all of it repeats, while the analysis read it.
fn str_col(name: &str, rows: &[BenchmarkRow], f: impl Fn(&BenchmarkRow) -> Option<&str>) -> Column {
    text_column(name, rows.iter().map(f), TEXT_BUFFER_LIMIT)
}

/// The most bytes one buffer of a text column holds: a view addresses its bytes with a `u32`
/// offset.
const TEXT_BUFFER_LIMIT: usize = u32::MAX as usize;

/// [`str_col`] over any values, with buffers of at most `buffer_limit` bytes each.
fn text_column<'v>(
    name: &str,
    values: impl ExactSizeIterator<Item = Option<&'v str>>,
    buffer_limit: usize,
) -> Column {
    let mut texts = TextBuffers {
        filled: Vec::new(),
        current: Vec::new(),
        limit: buffer_limit,
    };
    let mut views: Vec<Option<View>> = Vec::with_capacity(values.len());
    let mut last: Option<(&str, View)> = None;
    for value in values {
        views.push(value.map(|s| match last {
            Some((prev, view)) if prev == s => view,
            _ => {
                let view = texts.view_of(s);
                last = Some((s, view));
                view
            }
        }));
    }
    let buffers: Vec<_> = texts.finish().into_iter().map(Into::into).collect();
    let mut array = MutableBinaryViewArray::<str>::with_capacity(views.len());
    for view in views {
        match view {
            Some(view) => array.push_view(view, &buffers),
            None => array.push_null(),
        }
    }
    StringChunked::with_chunk(name.into(), array.freeze()).into_column()
}

/// The bytes of a text column's long values, in buffers of at most `limit` bytes.
struct TextBuffers {
    filled: Vec<Vec<u8>>,
    current: Vec<u8>,
    limit: usize,
}

impl TextBuffers {
    /// The view of `s`: inline when short, else its bytes appended to the current buffer (a
    /// new one when they would not fit).
    fn view_of(&mut self, s: &str) -> View {
        if s.len() <= View::MAX_INLINE_SIZE as usize {
            return View::new_inline(s.as_bytes());
        }
        if !self.current.is_empty() && self.current.len() + s.len() > self.limit {
            self.filled.push(std::mem::take(&mut self.current));
        }
        // Both fit: a buffer is started anew before it passes `limit`, at most u32::MAX (a
        // single value longer than that is beyond what polars itself accepts).
        let offset = u32::try_from(self.current.len()).unwrap_or(u32::MAX);
        let index = u32::try_from(self.filled.len()).unwrap_or(u32::MAX);
        self.current.extend_from_slice(s.as_bytes());
        View::new_from_bytes(s.as_bytes(), index, offset)
    }

    fn finish(mut self) -> Vec<Vec<u8>> {
        self.filled.push(self.current);
        self.filled
    }
}

type TopologyField = fn(&Topology) -> Option<u32>;

/// The topology columns: name and how to read each from a key's [`Topology`].
const TOPOLOGY_COLUMNS: [(&str, TopologyField); 7] = [
    ("tensor_parallel", |t| t.tensor_parallel),
    ("expert_parallel", |t| t.expert_parallel),
    ("data_parallel", |t| t.data_parallel),
    ("prefill_workers", |t| t.prefill.map(|w| w.workers)),
    ("prefill_tensor_parallel", |t| {
        t.prefill.map(|w| w.tensor_parallel)
    }),
    ("decode_workers", |t| t.decode.map(|w| w.workers)),
    ("decode_tensor_parallel", |t| {
        t.decode.map(|w| w.tensor_parallel)
    }),
];

fn topology_columns(rows: &[BenchmarkRow]) -> Vec<Column> {
    TOPOLOGY_COLUMNS
        .iter()
        .map(|(name, get)| {
            Column::new(
                (*name).into(),
                rows.iter()
                    .map(|r| get(&r.key.topology))
                    .collect::<Vec<_>>(),
            )
        })
        .collect()
}

/// Provenance, the profile key, the workload asked for, and the server's flags and image.
fn identity_columns(rows: &[BenchmarkRow]) -> Vec<Column> {
    vec![
        str_col("run_id", rows, |r| Some(&r.run_id)),
        str_col("source_file", rows, |r| Some(&r.source_file)),
        str_col("tool", rows, |r| Some(&r.tool)),
        str_col("label", rows, |r| r.point.label.as_deref()),
        str_col("origin", rows, |r| r.origin.as_deref()),
        str_col("license", rows, |r| r.license.as_deref()),
        Column::new(
            "synthetic".into(),
            rows.iter().map(|r| r.synthetic).collect::<Vec<_>>(),
        ),
        str_col("notes", rows, |r| r.notes.as_deref()),
        str_col("profile_id", rows, |r| Some(&r.profile_id)),
        str_col("model", rows, |r| Some(&r.key.model)),
        str_col("model_server", rows, |r| Some(&r.key.model_server)),
        str_col("model_server_version", rows, |r| {
            Some(&r.key.model_server_version)
        }),
        str_col("accelerator", rows, |r| Some(&r.key.accelerator)),
        Column::new(
            "accelerator_count".into(),
            rows.iter()
                .map(|r| r.key.accelerator_count)
                .collect::<Vec<_>>(),
        ),
        str_col("instance_type", rows, |r| r.key.instance_type.as_deref()),
        str_col("variant", rows, |r| r.key.variant.as_deref()),
        str_col("workload", rows, |r| Some(&r.key.workload)),
        str_col("use_case", rows, |r| Some(&r.key.use_case)),
        str_col("dataset", rows, |r| r.point.workload.dataset.as_deref()),
        Column::new(
            "requested_input_tokens".into(),
            rows.iter()
                .map(|r| r.point.workload.input_len)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "requested_output_tokens".into(),
            rows.iter()
                .map(|r| r.point.workload.output_len)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "server_args".into(),
            rows.iter()
                .map(|r| serde_json::to_string(&r.server_args).unwrap_or_else(|_| "[]".into()))
                .collect::<Vec<_>>(),
        ),
        str_col("image", rows, |r| r.image.as_deref()),
    ]
}

/// Builds the DataFrame for `benchmarks.parquet` (rows in the order given).
pub fn to_dataframe(rows: &[BenchmarkRow]) -> PolarsResult<DataFrame> {
    let mut cols = identity_columns(rows);
    cols.extend(topology_columns(rows));
    cols.extend([
        str_col("load_kind", rows, |r| Some(r.point.load.kind())),
        Column::new(
            "load_value".into(),
            rows.iter()
                .map(|r| r.point.load.value())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "completed".into(),
            rows.iter().map(|r| r.point.completed).collect::<Vec<_>>(),
        ),
        Column::new(
            "failed".into(),
            rows.iter().map(|r| r.point.failed).collect::<Vec<_>>(),
        ),
    ]);
    for c in metric_columns() {
        cols.push(Column::new(
            c.name.into(),
            rows.iter().map(|r| (c.get)(&r.point)).collect::<Vec<_>>(),
        ));
    }
    cols.push(Column::new(
        "output_tokens_per_s_per_accelerator".into(),
        rows.iter()
            .map(|r| {
                r.point
                    .output_tokens_per_s_per_accelerator(r.key.accelerator_count)
            })
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "output_tokens_per_s_per_user".into(),
        rows.iter()
            .map(|r| r.point.per_user_tokens_per_s(|l| l.p50().or(l.mean())))
            .collect::<Vec<_>>(),
    ));
    DataFrame::new(rows.len(), cols)
}

/// How many rows [`into_dataframe`] converts at a time.
const FRAME_CHUNK: usize = 8192;

/// The table of `rows`, as [`to_dataframe`] makes it (one chunk per column), converted a chunk
/// at a time from the end while the rows are dropped in place: what the rows own is freed as
/// the frame grows (at 100,000 rows the frame is 105 MiB). Their buffer is kept to the end:
/// shrinking it copied the remaining rows, which raised the peak instead of lowering it. Two
/// chunks are converted at once, one on each core.
pub fn into_dataframe(mut rows: Vec<BenchmarkRow>) -> PolarsResult<DataFrame> {
    let mut parts = Vec::with_capacity(rows.len().div_ceil(FRAME_CHUNK));
    loop {
        let later = rows.len().saturating_sub(FRAME_CHUNK);
        let earlier = later.saturating_sub(FRAME_CHUNK);
        let (a, b) = rows[earlier..].split_at(later - earlier);
        let (a, b) = rayon::join(|| to_dataframe(a), || to_dataframe(b));
        parts.push(b?);
        if earlier < later {
            parts.push(a?);
        }
        rows.truncate(earlier);
        if rows.is_empty() {
            break;
        }
    }
    let mut parts = parts.into_iter().rev();
    let mut df = parts.next().map_or_else(|| to_dataframe(&[]), Ok)?;
    for part in parts {
        df.vstack_mut_owned(part)?;
    }
    // One column at a time: the Parquet writer would otherwise join the pieces itself, all
    // columns at once beside the pieces, and split its row groups where they fall.
    df.rechunk_mut();
    Ok(df)
}

/// Reads rows back from a DataFrame written by [`to_dataframe`].
pub fn from_dataframe(df: &DataFrame) -> PolarsResult<Vec<BenchmarkRow>> {
    let cols = TableReader::of(df)?;
    (0..df.height()).map(|i| cols.row(i)).collect()
}

/// The string columns [`TableReader`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text {
    RunId,
    SourceFile,
    Tool,
    Label,
    Origin,
    License,
    Notes,
    ProfileId,
    Model,
    ModelServer,
    ModelServerVersion,
    Accelerator,
    InstanceType,
    Variant,
    UseCase,
    ServerArgs,
    LoadKind,
    Workload,
    Dataset,
    Image,
}

impl Text {
    /// Every one, in the order [`TableReader`] holds them.
    const ALL: [Text; 20] = [
        Text::RunId,
        Text::SourceFile,
        Text::Tool,
        Text::Label,
        Text::Origin,
        Text::License,
        Text::Notes,
        Text::ProfileId,
        Text::Model,
        Text::ModelServer,
        Text::ModelServerVersion,
        Text::Accelerator,
        Text::InstanceType,
        Text::Variant,
        Text::UseCase,
        Text::ServerArgs,
        Text::LoadKind,
        Text::Workload,
        Text::Dataset,
        Text::Image,
    ];

    /// The string columns every row must have: the profile key, provenance and load kind.
    const REQUIRED: [Text; 11] = [
        Text::RunId,
        Text::SourceFile,
        Text::Tool,
        Text::ProfileId,
        Text::Model,
        Text::ModelServer,
        Text::ModelServerVersion,
        Text::Accelerator,
        Text::Workload,
        Text::UseCase,
        Text::LoadKind,
    ];

    fn name(self) -> &'static str {
        match self {
            Text::RunId => "run_id",
            Text::SourceFile => "source_file",
            Text::Tool => "tool",
            Text::Label => "label",
            Text::Origin => "origin",
            Text::License => "license",
            Text::Notes => "notes",
            Text::ProfileId => "profile_id",
            Text::Model => "model",
            Text::ModelServer => "model_server",
            Text::ModelServerVersion => "model_server_version",
            Text::Accelerator => "accelerator",
            Text::InstanceType => "instance_type",
            Text::Variant => "variant",
            Text::UseCase => "use_case",
            Text::ServerArgs => "server_args",
            Text::LoadKind => "load_kind",
            Text::Workload => "workload",
            Text::Dataset => "dataset",
            Text::Image => "image",
        }
    }
}

// `TableReader` holds the text columns in `Text::ALL`'s order and finds one by its variant.
const _: () = {
    let mut i = 0;
    while i < Text::ALL.len() {
        assert!(
            Text::ALL[i] as usize == i,
            "Text::ALL is not in declaration order"
        );
        i += 1;
    }
};

/// One column of a table read back, as its arrow arrays: polars' `ChunkedArray::get` found the
/// value's chunk and checked its bounds for each of the 3 million values a refresh reads at
/// 100,000 rows, and the columns were looked up by name for each.
struct Col<'a, T: PolarsDataType> {
    chunks: Vec<&'a T::Array>,
    /// Where each chunk starts in the column.
    starts: Vec<usize>,
}

impl<'a, T: PolarsDataType> Col<'a, T> {
    fn of(column: &'a ChunkedArray<T>) -> Self {
        use polars_arrow::array::Array;
        let chunks: Vec<&'a T::Array> = column.downcast_iter().collect();
        let starts = chunks
            .iter()
            .scan(0, |at, chunk| {
                let start = *at;
                *at += chunk.len();
                Some(start)
            })
            .collect();
        Self { chunks, starts }
    }

    /// The value at row `i`; None where it is null or past the end.
    #[inline]
    fn get(&self, i: usize) -> Option<T::Physical<'a>> {
        use polars_arrow::array::StaticArray;
        let (chunk, at): (&'a T::Array, usize) = match self.chunks.as_slice() {
            [one] => (one, i),
            chunks => {
                let c = self
                    .starts
                    .partition_point(|&start| start <= i)
                    .checked_sub(1)?;
                (chunks[c], i - self.starts[c])
            }
        };
        chunk.get(at)
    }
}

/// Where each of [`TOPOLOGY_COLUMNS`] lies in it, found when the code is compiled.
const fn topology_at(name: &str) -> usize {
    const fn same(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let mut i = 0;
    while i < TOPOLOGY_COLUMNS.len() {
        if same(TOPOLOGY_COLUMNS[i].0.as_bytes(), name.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("not a topology column");
}

/// A benchmarks table's columns, read back a row, a record or a field at a time (the analysis
/// reads curve by curve, never the whole table as rows). It borrows the frame's own arrays: a
/// copy of every column as a `Vec` was 95 MiB at 100,000 rows, held beside the frame.
pub(crate) struct TableReader<'a> {
    height: usize,
    /// By [`Text`], in [`Text::ALL`]'s order.
    text: Vec<Col<'a, StringType>>,
    requested_in: Col<'a, Float64Type>,
    requested_out: Col<'a, Float64Type>,
    synthetic: Col<'a, BooleanType>,
    count: Col<'a, UInt32Type>,
    load_value: Col<'a, Float64Type>,
    completed: Col<'a, Int64Type>,
    failed: Col<'a, Int64Type>,
    metrics: Vec<(&'static MetricColumn, Col<'a, Float64Type>)>,
    /// In [`TOPOLOGY_COLUMNS`]' order.
    topology: Vec<Col<'a, UInt32Type>>,
}

impl<'a> TableReader<'a> {
    pub fn of(df: &'a DataFrame) -> PolarsResult<Self> {
        let floats = |name: &str| -> PolarsResult<Col<'a, Float64Type>> {
            Ok(Col::of(df.column(name)?.f64()?))
        };
        let text_columns: Vec<&'a StringChunked> = Text::ALL
            .iter()
            .map(|t| df.column(t.name())?.str())
            .collect::<PolarsResult<_>>()?;
        // Checked here, for the whole table: rows are read a curve at a time on several
        // threads, and a null found there would be whichever thread met one first.
        for t in Text::REQUIRED {
            let col = text_columns[t as usize];
            if col.null_count() > 0
                && let Some(row) = col.iter().position(|v| v.is_none())
            {
                polars_bail!(ComputeError: "row {}: column `{}` has a null", row, t.name());
            }
        }
        Ok(Self {
            height: df.height(),
            text: text_columns.into_iter().map(Col::of).collect(),
            requested_in: floats("requested_input_tokens")?,
            requested_out: floats("requested_output_tokens")?,
            synthetic: Col::of(df.column("synthetic")?.bool()?),
            count: Col::of(df.column("accelerator_count")?.u32()?),
            load_value: floats("load_value")?,
            completed: Col::of(df.column("completed")?.i64()?),
            failed: Col::of(df.column("failed")?.i64()?),
            metrics: metric_columns()
                .map(|c| Ok((c, floats(c.name)?)))
                .collect::<PolarsResult<_>>()?,
            topology: TOPOLOGY_COLUMNS
                .iter()
                .map(|(name, _)| Ok(Col::of(df.column(name)?.u32()?)))
                .collect::<PolarsResult<_>>()?,
        })
    }

    pub fn text(&self, column: Text, i: usize) -> Option<String> {
        self.text[column as usize].get(i).map(str::to_string)
    }

    pub fn required(&self, column: Text, i: usize) -> PolarsResult<String> {
        self.borrowed(column, i).map(str::to_string)
    }

    fn topology(&self, i: usize) -> Topology {
        let get = |at: usize| self.topology[at].get(i);
        let role = |workers: usize, tp: usize| {
            Some(Workers {
                workers: get(workers)?,
                tensor_parallel: get(tp)?,
            })
        };
        Topology {
            tensor_parallel: get(const { topology_at("tensor_parallel") }),
            expert_parallel: get(const { topology_at("expert_parallel") }),
            data_parallel: get(const { topology_at("data_parallel") }),
            prefill: role(
                const { topology_at("prefill_workers") },
                const { topology_at("prefill_tensor_parallel") },
            ),
            decode: role(
                const { topology_at("decode_workers") },
                const { topology_at("decode_tensor_parallel") },
            ),
        }
    }

    pub fn synthetic(&self, i: usize) -> bool {
        self.synthetic.get(i).unwrap_or(false)
    }

    fn borrowed(&self, column: Text, i: usize) -> PolarsResult<&'a str> {
        self.text[column as usize]
            .get(i)
            .ok_or_else(|| polars_err!(ComputeError: "column `{}` has a null", column.name()))
    }

    fn load(&self, i: usize) -> PolarsResult<Load> {
        Load::from_kind(self.borrowed(Text::LoadKind, i)?, self.load_value.get(i))
            .map_err(|e| polars_err!(ComputeError: "row {}: {}", i, e))
    }

    /// Row indices in curve order ([`crate::storage::CurvePlace::curve_cmp`]), one list per
    /// profile: ingest writes rows so, but a table from elsewhere need not be. Read on every
    /// core: on one, this pass was most of a refresh's analysis while the other core waited.
    pub fn curves(&self) -> PolarsResult<Vec<Vec<usize>>> {
        use rayon::prelude::*;
        // Collected whole, then checked in order: the first bad row is the one named, as one
        // core would name it.
        let places: Vec<PolarsResult<_>> = (0..self.height)
            .into_par_iter()
            .map(|i| {
                Ok(crate::storage::CurvePlace {
                    profile_id: self.borrowed(Text::ProfileId, i)?,
                    load: self.load(i)?,
                    source_file: self.borrowed(Text::SourceFile, i)?,
                    label: self.text[Text::Label as usize].get(i),
                })
            })
            .collect();
        let places = places.into_iter().collect::<PolarsResult<Vec<_>>>()?;
        let mut order: Vec<usize> = (0..places.len()).collect();
        order.par_sort_by(|&a, &b| places[a].curve_cmp(&places[b]));
        Ok(order
            .chunk_by(|&a, &b| places[a].profile_id == places[b].profile_id)
            .map(<[usize]>::to_vec)
            .collect())
    }

    pub fn point(&self, i: usize) -> PolarsResult<MeasuredPoint> {
        let mut point = MeasuredPoint::new(self.load(i)?, 0.0);
        point.label = self.text(Text::Label, i);
        point.completed = self.completed.get(i);
        point.failed = self.failed.get(i);
        point.workload.dataset = self.text(Text::Dataset, i);
        point.workload.input_len = self.requested_in.get(i);
        point.workload.output_len = self.requested_out.get(i);
        for (c, values) in &self.metrics {
            if let Some(v) = values.get(i) {
                (c.set)(&mut point, v);
            }
        }
        Ok(point)
    }

    pub fn row(&self, i: usize) -> PolarsResult<BenchmarkRow> {
        Ok(BenchmarkRow {
            run_id: self.required(Text::RunId, i)?,
            source_file: self.required(Text::SourceFile, i)?,
            tool: self.required(Text::Tool, i)?,
            origin: self.text(Text::Origin, i),
            license: self.text(Text::License, i),
            synthetic: self.synthetic(i),
            notes: self.text(Text::Notes, i),
            profile_id: self.required(Text::ProfileId, i)?,
            key: crate::profile::ProfileKey {
                model: self.required(Text::Model, i)?,
                model_server: self.required(Text::ModelServer, i)?,
                model_server_version: self.required(Text::ModelServerVersion, i)?,
                accelerator: self.required(Text::Accelerator, i)?,
                accelerator_count: self.count.get(i).unwrap_or(1),
                instance_type: self.text(Text::InstanceType, i),
                variant: self.text(Text::Variant, i),
                workload: self.required(Text::Workload, i)?,
                use_case: self.required(Text::UseCase, i)?,
                topology: self.topology(i),
            },
            server_args: self
                .text(Text::ServerArgs, i)
                .and_then(|a| serde_json::from_str(&a).ok())
                .unwrap_or_default(),
            image: self.text(Text::Image, i),
            point: Box::new(self.point(i)?),
        })
    }
}

/// Writes a table as Parquet (zstd; deterministic for identical input) and, beside it, its CSV
/// copy (`storage::csv_copy_of`), made from the frame in memory instead of reading the
/// Parquet back for the site.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<(), PipelineError> {
    write_parquet_with(df, path, write_csv)
}

/// [`write_parquet`], with the CSV copy written by `write_copy` (given the table and the
/// copy's path) instead of formatted whole.
pub fn write_parquet_with(
    df: &mut DataFrame,
    path: &Path,
    write_copy: impl FnOnce(&mut DataFrame, &Path) -> Result<(), PipelineError> + Send,
) -> Result<(), PipelineError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let csv_path = path.with_file_name(crate::storage::csv_copy_of(name));
    // Each writer takes a core: the frame's columns are shared, not copied, by the clone.
    let mut for_csv = df.clone();
    let (parquet, csv) = rayon::join(
        || {
            write_parquet_only(df, path)
                .inspect(|()| crate::timing::mark(format_args!("{name} written")))
        },
        || {
            write_copy(&mut for_csv, &csv_path)
                .inspect(|()| crate::timing::mark(format_args!("{name}'s CSV copy written")))
        },
    );
    parquet.and(csv)
}

fn write_parquet_only(df: &mut DataFrame, path: &Path) -> Result<(), PipelineError> {
    let file = std::fs::File::create(path).map_err(|e| PipelineError::io(path, e))?;
    let out = std::io::BufWriter::new(file);
    write_compressing_in_parallel(df, ROW_GROUP_ROWS, out).map_err(|source| {
        PipelineError::Parquet {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Rows a Parquet row group holds: polars' own default.
const ROW_GROUP_ROWS: usize = 512 * 512;

/// What polars' `ParquetWriter::finish` writes (its row groups, encodings, statistics and zstd
/// at its default level), with every column's pages compressed on both cores first: polars
/// compresses them one after another as it writes them, a 100 ms stretch on one core for the
/// benchmarks table at 100,000 rows. The same pages go out in the same order.
fn write_compressing_in_parallel(
    df: &mut DataFrame,
    row_group_rows: usize,
    out: impl std::io::Write,
) -> PolarsResult<()> {
    use polars::io::parquet::write::{BatchedWriter, get_encodings};
    use polars_parquet::write::{CompressedPage, StatisticsOptions, Version, WriteOptions};
    use rayon::iter::{IntoParallelIterator, ParallelIterator};
    let compression = ParquetCompression::Zstd(None);
    let chunked = polars::frame::chunk_df_for_writing(df, row_group_rows)?;
    let mut writer: BatchedWriter<_> = ParquetWriter::new(out)
        .with_compression(compression)
        .with_row_group_size(Some(row_group_rows))
        .batched(chunked.schema())?;
    let fields = writer.parquet_schema().fields().to_vec();
    let options = WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression: compression.into(),
        data_page_size: None,
    };
    for batch in chunked.iter_chunks(CompatLevel::newest(), false) {
        if batch.is_empty() {
            continue;
        }
        let encodings = get_encodings(batch.schema());
        let columns: Vec<_> = batch
            .columns()
            .iter()
            .zip(&fields)
            .zip(encodings.iter())
            .collect();
        let leaves: Vec<Vec<Vec<CompressedPage>>> = columns
            .into_par_iter()
            .map(|((array, field), encoding)| {
                polars_parquet::write::array_to_columns(array, field.clone(), options, encoding)?
                    .into_iter()
                    .map(|pages| {
                        pages
                            .map(|page| {
                                Ok(polars_parquet::write::compress(
                                    page?,
                                    Vec::new(),
                                    options.compression,
                                )?)
                            })
                            .collect::<PolarsResult<Vec<_>>>()
                    })
                    .collect()
            })
            .collect::<PolarsResult<_>>()?;
        let columns: Vec<Vec<CompressedPage>> = leaves.into_iter().flatten().collect();
        writer.write_row_group(batch.len() as u64, &columns)?;
    }
    writer.finish().map(|_| ())
}

/// Writes `df` as CSV (with its header) to `csv_path`.
pub(crate) fn write_csv(df: &mut DataFrame, csv_path: &Path) -> Result<(), PipelineError> {
    let file = std::fs::File::create(csv_path).map_err(|e| PipelineError::io(csv_path, e))?;
    let mut out = std::io::BufWriter::new(file);
    format_csv(df, &mut out).map_err(|source| PipelineError::Parquet {
        path: csv_path.to_path_buf(),
        source,
    })?;
    std::io::Write::flush(&mut out).map_err(|e| PipelineError::io(csv_path, e))
}

/// `df` as CSV into `out`: its header, then a line per row.
pub(crate) fn format_csv(df: &mut DataFrame, out: &mut impl std::io::Write) -> PolarsResult<()> {
    CsvWriter::new(out).include_header(true).finish(df)
}

pub fn read_parquet(path: &Path) -> Result<DataFrame, PipelineError> {
    let file = std::fs::File::open(path).map_err(|e| PipelineError::io(path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|source| PipelineError::Parquet {
            path: path.to_path_buf(),
            source,
        })
}

/// A Parquet table as CSV bytes (for the site's downloads).
pub fn parquet_to_csv(path: &Path) -> Result<Vec<u8>, PipelineError> {
    let mut df = read_parquet(path)?;
    let mut out = Vec::new();
    CsvWriter::new(&mut out)
        .include_header(true)
        .finish(&mut df)
        .map_err(|source| PipelineError::Parquet {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of equal text keeps one copy of its bytes (an absent value between two equal
    /// ones does not break the run), and every value, short, long, absent or repeated, reads
    /// back as it was.
    #[test]
    fn text_columns_keep_one_copy_per_run_and_read_back_whole() {
        let a = "a note well past the twelve bytes a view holds inline";
        let b = "another note, also longer than twelve bytes";
        let notes = [
            Some(a),
            Some(a),
            None,
            Some(a),
            Some("short"),
            Some(b),
            Some(b),
            Some(a),
        ];
        let rows: Vec<BenchmarkRow> = notes
            .iter()
            .map(|note| {
                let mut row = BenchmarkRow::example(MeasuredPoint::new(Load::Rate(1.0), 10.0));
                row.notes = note.map(String::from);
                row
            })
            .collect();
        let df = to_dataframe(&rows).unwrap();
        let column = df.column("notes").unwrap().str().unwrap();
        let read: Vec<Option<&str>> = (0..column.len()).map(|i| column.get(i)).collect();
        assert_eq!(read, notes);
        let stored: usize = column.downcast_iter().map(|a| a.total_buffer_len()).sum();
        assert_eq!(stored, 2 * a.len() + b.len());
        assert_eq!(from_dataframe(&df).unwrap(), rows);
    }

    /// A table of several chunks (Parquet row groups read back, frames stacked) reads back
    /// row for row as the one it was split from, nulls and the last row of each chunk included.
    #[test]
    fn a_table_of_several_chunks_reads_back_as_one() {
        let rows: Vec<BenchmarkRow> = (0..7)
            .map(|i| {
                let mut point = MeasuredPoint::new(Load::Rate(f64::from(i)), 10.0 + f64::from(i));
                point.set_requests_per_s((i % 2 == 0).then_some(f64::from(i) / 4.0));
                point.label = (i % 3 != 0).then(|| format!("stage {i}"));
                let mut row = BenchmarkRow::example(point);
                row.run_id = format!("run-{i}");
                row
            })
            .collect();
        let mut stacked = to_dataframe(&rows[..3]).unwrap();
        stacked
            .vstack_mut_owned(to_dataframe(&rows[3..4]).unwrap())
            .unwrap();
        stacked
            .vstack_mut_owned(to_dataframe(&rows[4..]).unwrap())
            .unwrap();
        assert_eq!(stacked.column("run_id").unwrap().n_chunks(), 3);
        assert_eq!(from_dataframe(&stacked).unwrap(), rows);
    }

    /// Past a buffer's limit the text goes on in a new buffer, and every value still reads
    /// back (the limit is `u32::MAX` bytes in the table; 64 here).
    #[test]
    fn text_beyond_a_buffers_limit_starts_the_next_buffer() {
        let values: Vec<Option<String>> = (0..40)
            .map(|i| (i % 5 != 0).then(|| format!("value number {i} of forty, long enough")))
            .collect();
        let column = text_column("t", values.iter().map(|v| v.as_deref()), 64);
        let column = column.str().unwrap();
        let read: Vec<Option<&str>> = (0..column.len()).map(|i| column.get(i)).collect();
        let expected: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
        assert_eq!(read, expected);
        let array = column.downcast_iter().next().unwrap();
        assert!(
            array.data_buffers().len() >= 16,
            "{}",
            array.data_buffers().len()
        );
        assert!(array.data_buffers().iter().all(|b| b.len() <= 64));
    }

    #[test]
    fn parquet_compressed_on_both_cores_is_byte_for_byte_polars_own() {
        let rows: Vec<BenchmarkRow> = (0..40)
            .map(|i| {
                let point = MeasuredPoint::new(Load::Rate(f64::from(i)), 10.0 * f64::from(i));
                let mut row = BenchmarkRow::example(point);
                row.profile_id = format!("p{}", i / 7);
                row.notes = (i % 3 == 0).then(|| format!("note {i}"));
                row
            })
            .collect();
        let mut df = to_dataframe(&rows).unwrap();
        for rows_per_group in [ROW_GROUP_ROWS, 16] {
            let mut ours = Vec::new();
            write_compressing_in_parallel(&mut df, rows_per_group, &mut ours).unwrap();
            let mut polars_own = Vec::new();
            ParquetWriter::new(&mut polars_own)
                .with_compression(ParquetCompression::Zstd(None))
                .with_row_group_size(Some(rows_per_group))
                .finish(&mut df)
                .unwrap();
            assert!(ours == polars_own, "{rows_per_group} rows a group");
            let back = ParquetReader::new(std::io::Cursor::new(ours))
                .finish()
                .unwrap();
            assert!(back.equals_missing(&df));
        }
    }
}
