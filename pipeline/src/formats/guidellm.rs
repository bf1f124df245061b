//! GuideLLM `benchmarks.json`: `benchmarks[]`, one per strategy; metrics are distributions with
//! `successful/errored/incomplete/total`, each `{mean, median, count, percentiles: {p50…}}`.
//! Units: `request_latency` in seconds, `*_ms` in ms. GuideLLM's `time_per_output_token_ms`
//! includes the first token (request start to last token / output tokens), which is NTPOT —
//! except in the schema with the strategy under `args` (0.2–0.3), which counted it from the
//! first token ((last − first token) / tokens: neither NTPOT nor TPOT), so NTPOT is unknown
//! there. Its `inter_token_latency_ms` is (last − first token) / (tokens − 1), which is TPOT. It
//! has no pooled inter-token gap, so ITL stays unknown. The strategy is under `config` (0.4+) or
//! `args` (0.2–0.3); the measured window under `scheduler_metrics` or `run_stats`. Token rates
//! are counted over that window, not taken from GuideLLM's rate distributions (`over_window`).

use super::fields::{Obj, as_object};
use super::metric_objects::config_value;
use super::{MS_PER_S, Parsed, RawFormat};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::{Latency, LatencyStats, Load, MeasuredPoint};
use crate::workload::{WorkloadHint, dataset_name};

pub struct GuideLlm;

/// The tool its points are recorded under.
pub const TOOL: &str = "guidellm";

impl RawFormat for GuideLlm {
    fn tool(&self) -> &'static str {
        TOOL
    }

    fn detect(&self, doc: &Document) -> bool {
        let Document::Json(v) = doc else { return false };
        v.get("benchmarks")
            .and_then(|b| b.as_array())
            .is_some_and(|b| {
                b.first()
                    .is_some_and(|first| first.get("metrics").is_some())
            })
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        let Document::Json(v) = doc else {
            return Err(doc.not_one_object());
        };
        let benchmarks = v
            .get("benchmarks")
            .and_then(|b| b.as_array())
            .ok_or_else(|| FormatError::missing("benchmarks"))?;
        let run_wide = data_spec(v.get("args").unwrap_or(&serde_json::Value::Null), 2);
        let beside_rates = benchmarks
            .iter()
            .any(|b| matches!(strategy_type(b), Some("constant" | "poisson")));
        let mut points = Vec::new();
        let mut unreached = None;
        for (i, b) in benchmarks.iter().enumerate() {
            // A `replay` profile's strategy: its `--rate` scales the trace's time.
            if strategy_type(b) == Some("trace") {
                continue;
            }
            let mut p =
                parse_benchmark(b, beside_rates).map_err(|e| e.at(format!("benchmarks[{i}]")))?;
            if let Some(why) = concurrency_never_reached(b, p.load) {
                unreached.get_or_insert(why);
                continue;
            }
            p.workload = ["request_loader", "config", "args"]
                .iter()
                .find_map(|k| b.get(*k).and_then(|c| data_spec(c, 3)))
                .or_else(|| run_wide.clone())
                .map(|spec| workload_of_spec(&spec))
                .unwrap_or_default();
            points.push(p);
        }
        if points.is_empty() && !benchmarks.is_empty() {
            return Ok(Parsed::NoPoints(unreached.unwrap_or_else(|| {
                "GuideLLM trace replay (strategy `trace`): the trace sets the arrivals, so it \
                 has no controlled load"
                    .into()
            })));
        }
        Ok(Parsed::Points(points))
    }
}

/// A benchmark at a concurrency (streams, or a throughput run's cap) that made fewer requests
/// than that, counting those still in flight at its end (`incomplete`): at most that many ran
/// at once. Only where the totals cover the whole benchmark: a warm-up or cool-down leaves
/// requests out of them that were in flight.
fn concurrency_never_reached(b: &serde_json::Value, load: Load) -> Option<String> {
    let Load::Concurrency(concurrency) = load else {
        return None;
    };
    if excludes_requests(b) {
        return None;
    }
    let made = config_value(
        b,
        &[
            &["metrics", "request_totals", "total"],
            &["request_totals", "total"],
        ],
    )
    .and_then(serde_json::Value::as_f64)?;
    super::concurrency_not_reached(made, "request(s) made", concurrency)
}

/// Whether a benchmark set a warm-up or cool-down (GuideLLM 0.6's `config.warmup` and the
/// `warmup_duration` beside its results, 0.3's `args.warmup_number`): their requests are not
/// in its totals.
fn excludes_requests(b: &serde_json::Value) -> bool {
    use serde_json::Value;
    let positive = |v: &Value| v.as_f64().is_some_and(|x| x > 0.0);
    // 0.6 writes `warmup: {"percent": null, "value": null, "mode": …}` when none is set.
    let set = |v: &Value| match v {
        Value::Null | Value::Bool(false) => false,
        Value::Number(_) => positive(v),
        Value::Object(settings) => settings.values().any(positive),
        _ => true,
    };
    let keys = [
        "warmup",
        "cooldown",
        "warmup_number",
        "warmup_duration",
        "cooldown_number",
        "cooldown_duration",
    ];
    [Some(b), b.get("config"), b.get("args")]
        .into_iter()
        .flatten()
        .any(|o| keys.iter().any(|k| o.get(*k).is_some_and(set)))
}

/// The strategy type a benchmark names (under `config` or `args`), unchecked: what the file's
/// benchmarks are is known before any is read.
fn strategy_type(b: &serde_json::Value) -> Option<&str> {
    ["config", "args"].iter().find_map(|k| {
        let s = b.get(*k)?.get("strategy")?;
        s.get("type_").or_else(|| s.get("type"))?.as_str()
    })
}

/// One benchmark as a point; `beside_rates` when the file also ran constant or poisson rates
/// (a sweep).
fn parse_benchmark(
    b: &serde_json::Value,
    beside_rates: bool,
) -> Result<MeasuredPoint, FormatError> {
    let o = as_object(b, "benchmark")?;
    let (settings, per_token_from_first_token) = match o.child("config")? {
        Some(config) => (config, false),
        None => (
            o.child("args")?
                .ok_or_else(|| FormatError::missing("config"))?,
            true,
        ),
    };
    let strategy = settings.req_child("strategy")?;
    let kind =
        strategy_kind(&strategy)?.ok_or_else(|| FormatError::missing("config.strategy.type_"))?;
    let (load, label) = strategy_load(kind, &strategy, beside_rates)?;
    let metrics = o.req_child("metrics")?;
    let reported_output = successful(&metrics, "output_tokens_per_second")?
        .ok_or_else(|| FormatError::missing("metrics.output_tokens_per_second.successful"))?
        .req_num("mean")?;
    let mut p = MeasuredPoint::new(load, reported_output);
    p.label = Some(label);
    if let Some(rps) = successful(&metrics, "requests_per_second")? {
        p.set_requests_per_s(rps.num("mean")?);
    }
    p.set_mean_input_tokens(successful_mean(&metrics, "prompt_token_count")?);
    p.set_mean_output_tokens(successful_mean(&metrics, "output_token_count")?);
    p.set_duration_s(measured_window(&o)?);
    if let Some(latency) = metrics.child("request_latency")? {
        p.completed = count_of(&latency, "successful")?;
        p.failed = count_of(&latency, "errored")?;
    }
    let stated_total = successful_mean(&metrics, "tokens_per_second")?;
    if let Some(rate) = over_window(&p, Some(1.0)) {
        // One per request: requests per second likewise, not the mean of GuideLLM's rate
        // distribution.
        p.set_requests_per_s(Some(rate));
    }
    match over_window(&p, p.mean_output_tokens()) {
        // The total then follows from input and output (`with_derived_totals`): GuideLLM's
        // `tokens_per_second` is a distribution of rates like its output one.
        Some(output) => p.output_tokens_per_s = output,
        None => p.set_total_tokens_per_s(stated_total),
    }
    p.set_input_tokens_per_s(input_rate(&metrics, &p, stated_total)?);
    if beside_rates && kind == "synchronous" {
        place_on_the_rate_axis(&mut p);
    }
    p.e2e = distribution(&metrics, "request_latency")?.scaled(MS_PER_S);
    p.ttft = distribution(&metrics, "time_to_first_token_ms")?;
    if !per_token_from_first_token {
        p.ntpot = distribution(&metrics, "time_per_output_token_ms")?;
    }
    p.tpot = distribution(&metrics, "inter_token_latency_ms")?;
    Ok(p.with_derived_totals())
}

/// Prompt tokens per second: completed requests × mean prompt length over the measured
/// window, else requests/s × mean prompt length. GuideLLM's own `prompt_tokens_per_second` (and
/// `tokens_per_second`) are distributions of rates over time that a few requests starting
/// together blow up (1.4 M prompt tokens/s beside 181.6 tokens/s in all, in a real 0.5 file),
/// so the prompt rate is used only when nothing else is known and it stays within the stated
/// total.
fn input_rate(
    metrics: &Obj,
    p: &MeasuredPoint,
    stated_total: Option<f64>,
) -> Result<Option<f64>, FormatError> {
    if let Some(rate) = over_window(p, p.mean_input_tokens()) {
        return Ok(Some(rate));
    }
    if let Some((r, len)) = p.requests_per_s().zip(p.mean_input_tokens()) {
        return Ok(Some(r * len));
    }
    let reported = successful_mean(metrics, "prompt_tokens_per_second")?;
    Ok(reported.filter(|v| stated_total.is_none_or(|total| *v <= total)))
}

/// Per second over the measured window: completed requests × `per_request` ÷ the window,
/// as the benchmark's stage measured them (SPEC §3). GuideLLM's `output_tokens_per_second` is a
/// distribution of rates over token events, which leaves out the wait for each first token: a
/// real 0.6 synchronous run states a mean of 77.4 output tokens/s where 1,969 tokens came in
/// 46.1 s (42.7/s). Its mean is kept only when the window or the counts are unknown.
fn over_window(p: &MeasuredPoint, per_request: Option<f64>) -> Option<f64> {
    let (n, len, d) = (p.completed?, per_request?, p.duration_s()?);
    (n > 0 && d > 0.0 && len.is_finite() && len >= 0.0).then(|| n as f64 * len / d)
}

/// Seconds the benchmark measured: the measured window of `scheduler_metrics` (0.4+), ended
/// by its last request when that came first, else `duration` (0.2–0.3) or the run window of
/// `run_stats` (0.2–0.3).
fn measured_window(o: &Obj) -> Result<Option<f64>, FormatError> {
    if let Some(s) = o.child("scheduler_metrics")?
        && let (Some(start), Some(end)) = (s.num("measure_start_time")?, s.num("measure_end_time")?)
        && end > start
    {
        // A run that stops at its request count (`max_requests`) before the planned end of
        // its measured window (a real run: its last request ended 514.5 s into a planned
        // 720) measured until then; the planned end (and `duration`) would spread its
        // counts over time when nothing ran. GuideLLM writes -1 for a time it does not
        // know; the window then stays as stated.
        let last = s
            .num("request_end_time")
            .ok()
            .flatten()
            .filter(|t| *t > start);
        return Ok(Some(last.map_or(end, |t| t.min(end)) - start));
    }
    if let Some(d) = o.num("duration")?.filter(|d| *d > 0.0) {
        return Ok(Some(d));
    }
    for (section, start, end) in [
        (
            "scheduler_metrics",
            "measure_start_time",
            "measure_end_time",
        ),
        ("run_stats", "start_time", "end_time"),
    ] {
        if let Some(s) = o.child(section)?
            && let (Some(a), Some(b)) = (s.num(start)?, s.num(end)?)
            && b > a
        {
            return Ok(Some(b - a));
        }
    }
    Ok(None)
}

/// The nearest `data` argument (GuideLLM's `--data`) under `v`, at most `depth` objects down:
/// a synthetic spec (`prompt_tokens=256,output_tokens=128`, or the same as JSON), a file or a
/// Hugging Face dataset id.
fn data_spec(v: &serde_json::Value, depth: usize) -> Option<serde_json::Value> {
    let obj = v.as_object()?;
    if let Some(data) = obj.get("data") {
        let first = match data {
            serde_json::Value::Array(items) => items.first(),
            other => Some(other),
        };
        if let Some(d) = first.filter(|d| d.is_string() || d.is_object()) {
            return Some(d.clone());
        }
    }
    if depth == 0 {
        return None;
    }
    obj.values().find_map(|child| data_spec(child, depth - 1))
}

/// The workload a `--data` value describes.
fn workload_of_spec(spec: &serde_json::Value) -> WorkloadHint {
    let synthetic = |pairs: &dyn Fn(&str) -> Option<f64>| WorkloadHint {
        dataset: Some("synthetic".into()),
        input_len: pairs("prompt_tokens"),
        output_len: pairs("output_tokens"),
        range_ratio: None,
    };
    let positive = |x: f64| (x.is_finite() && x > 0.0 && x < 1e7).then_some(x);
    match spec {
        serde_json::Value::Object(map) if map.contains_key("prompt_tokens") => {
            synthetic(&|k| map.get(k).and_then(|v| v.as_f64()).and_then(positive))
        }
        serde_json::Value::String(text) if text.trim_start().starts_with('[') => {
            python_list_head(text).map_or_else(WorkloadHint::default, |head| {
                workload_of_spec(&serde_json::Value::String(head))
            })
        }
        serde_json::Value::String(text) if text.trim_start().starts_with('{') => {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(v @ serde_json::Value::Object(_)) => workload_of_spec(&v),
                _ => WorkloadHint::default(),
            }
        }
        serde_json::Value::String(text) if text.contains("prompt_tokens=") => synthetic(&|k| {
            text.split(',')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim() == k)
                .and_then(|(_, v)| v.trim().parse::<f64>().ok())
                .and_then(positive)
        }),
        serde_json::Value::String(text) => WorkloadHint {
            dataset: dataset_name(text),
            ..Default::default()
        },
        _ => WorkloadHint::default(),
    }
}

/// The first item of a list GuideLLM 0.5 wrote as Python's text of it (`config.requests.data`
/// is `"['{\"prompt_tokens\":256}']"` or `"['/data/prompts.jsonl']"`), or of a JSON list.
fn python_list_head(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    let quote = inner.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &inner[1..];
    let end = body
        .find(&format!("{quote},"))
        .or_else(|| body.rfind(quote))?;
    Some(body[..end].to_string())
}

/// A sweep runs synchronous first to learn the lowest rate, and spaces its constant rates from
/// there up to what throughput reached: on the sweep's rate axis the synchronous run sits at the
/// rate it measured. One stream at a time is a concurrency of 1 only when nothing else in the
/// file is a rate (a curve cannot order rates and concurrencies on one axis).
fn place_on_the_rate_axis(p: &mut MeasuredPoint) {
    if let Some(rate) = p.requests_per_s().filter(|r| r.is_finite() && *r > 0.0) {
        p.load = Load::Rate(rate);
        p.label = Some("synchronous".into());
    }
}

fn strategy_kind<'a>(s: &'a Obj) -> Result<Option<&'a str>, FormatError> {
    Ok(s.text("type_")?.or(s.text("type")?))
}

/// The strategy GuideLLM ran (of type `kind`), as a load and a readable label.
fn strategy_load(kind: &str, s: &Obj, beside_rates: bool) -> Result<(Load, String), FormatError> {
    let load = match kind {
        "synchronous" => Load::Concurrency(1.0),
        // Throughput sends every request at once; with `max_concurrency` that many stay in
        // flight, which is a concurrency load like `concurrent`'s streams. A sweep passes its
        // cap to its rates too: beside them the throughput run is the sweep's saturating
        // probe, unbounded as an uncapped one is, not a concurrency on a curve of rates.
        "throughput" => match s.num("max_concurrency")? {
            Some(c) if c > 0.0 && !beside_rates => Load::Concurrency(c),
            _ => Load::Unbounded,
        },
        "concurrent" => Load::Concurrency(
            match s.num("streams")? {
                Some(n) => Some(n),
                None => s.num("max_concurrency")?,
            }
            .ok_or_else(|| FormatError::missing("config.strategy.streams"))?,
        ),
        "constant" | "poisson" => match s.rate("rate")? {
            Some(r) if r.is_infinite() => Load::Unbounded,
            Some(r) => Load::Rate(r),
            None => return Err(FormatError::missing("config.strategy.rate")),
        },
        other => {
            return Err(FormatError::new(format!(
                "unknown strategy type `{other}` (expected synchronous, concurrent, throughput, constant or poisson)"
            )));
        }
    };
    let label = match load.value() {
        Some(v) => format!("{kind}@{v}"),
        None => kind.to_string(),
    };
    Ok((load, label))
}

fn successful<'a>(metrics: &Obj<'a>, name: &str) -> Result<Option<Obj<'a>>, FormatError> {
    match metrics.child(name)? {
        Some(m) => m.child("successful"),
        None => Ok(None),
    }
}

fn successful_mean(metrics: &Obj, name: &str) -> Result<Option<f64>, FormatError> {
    successful(metrics, name)?.map_or(Ok(None), |d| d.num("mean"))
}

fn count_of(metric: &Obj, status: &str) -> Result<Option<i64>, FormatError> {
    metric.child(status)?.map_or(Ok(None), |d| d.count("count"))
}

fn distribution(metrics: &Obj, name: &str) -> Result<Latency, FormatError> {
    let Some(d) = successful(metrics, name)? else {
        return Ok(Latency::default());
    };
    let pct = d.child("percentiles")?;
    let pick = |key: &str| -> Result<Option<f64>, FormatError> {
        pct.as_ref().map_or(Ok(None), |p| p.num(key))
    };
    Ok(Latency::from(LatencyStats {
        mean: d.num("mean")?,
        p50: match pick("p50")? {
            Some(v) => Some(v),
            None => d.num("median")?,
        },
        p90: pick("p90")?,
        p99: pick("p99")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(mean: f64, p50: f64, p99: f64) -> String {
        format!(
            r#"{{"successful": {{"mean": {mean}, "median": {p50}, "std_dev": 0.1, "min": 0, "max": {p99}, "count": 100,
               "percentiles": {{"p001": 0, "p01": 0, "p05": 0, "p10": 0, "p25": 0, "p50": {p50}, "p75": 0, "p90": {p99}, "p95": 0, "p99": {p99}, "p999": {p99}}}}},
               "errored": {{"mean": 0, "count": 2}}, "incomplete": null, "total": {{"mean": {mean}, "count": 102}}}}"#
        )
    }

    fn benchmark(strategy: &str) -> String {
        format!(
            r#"{{"config": {{"strategy": {strategy}}}, "metrics": {{
                "request_latency": {}, "time_to_first_token_ms": {}, "time_per_output_token_ms": {},
                "inter_token_latency_ms": {}, "output_tokens_per_second": {}, "requests_per_second": {},
                "prompt_token_count": {}, "output_token_count": {}}}}}"#,
            dist(1.2, 1.1, 3.0),
            dist(50.0, 45.0, 200.0),
            dist(12.0, 11.0, 20.0),
            dist(10.0, 9.5, 15.0),
            dist(800.0, 800.0, 900.0),
            dist(4.0, 4.0, 4.2),
            dist(512.0, 512.0, 512.0),
            dist(200.0, 200.0, 200.0),
        )
    }

    fn parse(strategies: &[&str]) -> Result<Parsed, FormatError> {
        let bs: Vec<String> = strategies.iter().map(|s| benchmark(s)).collect();
        let text = format!(
            r#"{{"metadata": {{"version": 1}}, "benchmarks": [{}]}}"#,
            bs.join(",")
        );
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(GuideLlm.detect(&doc));
        GuideLlm.parse(&doc)
    }

    #[test]
    fn strategies_map_to_loads_and_units_convert() {
        let Parsed::Points(ps) = parse(&[
            r#"{"type_": "synchronous"}"#,
            r#"{"type_": "constant", "rate": 5.0, "max_concurrency": null}"#,
            r#"{"type_": "throughput", "max_concurrency": null}"#,
            r#"{"type_": "concurrent", "streams": 16}"#,
        ])
        .unwrap() else {
            panic!("expected points")
        };
        // Beside a constant rate, synchronous sits at the rate it measured (4 requests/s).
        assert_eq!(ps[0].load, Load::Rate(4.0));
        assert_eq!(ps[1].load, Load::Rate(5.0));
        assert_eq!(ps[2].load, Load::Unbounded);
        assert_eq!(ps[3].load, Load::Concurrency(16.0));
        let p = &ps[1];
        assert_eq!(p.e2e.p50(), Some(1100.0), "request_latency is in seconds");
        assert_eq!(p.ttft.p99(), Some(200.0));
        assert_eq!(p.ntpot.p50(), Some(11.0));
        assert_eq!(p.tpot.mean(), Some(10.0));
        assert_eq!(p.itl, Latency::default());
        assert_eq!(p.input_tokens_per_s(), Some(2048.0));
        assert_eq!(p.completed, Some(100));
        assert_eq!(p.failed, Some(2));
        assert_eq!(p.label.as_deref(), Some("constant@5"));
    }

    /// A benchmark at `strategy` whose totals say `made` requests, with `extra` fields beside.
    fn with_totals(strategy: &str, made: u32, extra: &str) -> String {
        benchmark(strategy).replacen(
            "\"metrics\": {",
            &format!(
                "{extra}\"metrics\": {{\"request_totals\": {{\"successful\": {made}, \"errored\": 0, \"incomplete\": 0, \"total\": {made}}}, "
            ),
            1,
        )
    }

    fn parse_texts(benchmarks: &[String]) -> Parsed {
        let text = format!(r#"{{"benchmarks": [{}]}}"#, benchmarks.join(","));
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        GuideLlm.parse(&doc).unwrap()
    }

    #[test]
    fn fewer_requests_than_the_streams_never_reach_them() {
        let four = r#"{"type_": "concurrent", "streams": 4}"#;
        let Parsed::NoPoints(why) = parse_texts(&[with_totals(four, 3, "")]) else {
            panic!("set aside")
        };
        assert!(why.contains("3 request(s) made at concurrency 4"), "{why}");
        let Parsed::Points(ps) = parse_texts(&[
            with_totals(r#"{"type_": "synchronous"}"#, 1, ""),
            with_totals(four, 3, ""),
            with_totals(r#"{"type_": "concurrent", "streams": 2}"#, 2, ""),
        ]) else {
            panic!("points")
        };
        let loads: Vec<Load> = ps.iter().map(|p| p.load).collect();
        assert_eq!(loads, [Load::Concurrency(1.0), Load::Concurrency(2.0)]);
        let unset = r#""warmup": {"percent": null, "value": null, "mode": "prefer_duration"}, "warmup_duration": 0.0, "#;
        assert!(
            matches!(
                parse_texts(&[with_totals(four, 3, unset)]),
                Parsed::NoPoints(_)
            ),
            "a warm-up left unset counts every request"
        );
        for warm in [
            r#""warmup_duration": 5.0, "#,
            r#""warmup": {"percent": 0.1, "value": null}, "#,
        ] {
            assert!(
                matches!(
                    parse_texts(&[with_totals(four, 3, warm)]),
                    Parsed::Points(_)
                ),
                "a warm-up's requests are not in the totals: {warm}"
            );
        }
        let in_config = with_totals(four, 3, "").replacen(
            "\"config\": {",
            "\"config\": {\"warmup\": {\"percent\": null, \"value\": 2.0, \"mode\": \"prefer_duration\"}, ",
            1,
        );
        assert!(
            matches!(parse_texts(&[in_config]), Parsed::Points(_)),
            "0.6 states its warm-up under config"
        );
        let rate = r#"{"type_": "constant", "rate": 5.0}"#;
        assert!(matches!(
            parse_texts(&[with_totals(rate, 3, "")]),
            Parsed::Points(_)
        ));
    }

    #[test]
    fn a_window_ends_with_its_last_request_when_that_comes_first() {
        let duration = |request_end: f64| {
            let extra = format!(
                "\"scheduler_metrics\": {{\"measure_start_time\": 100.0, \"measure_end_time\": 820.0, \"request_end_time\": {request_end}}}, \"duration\": 720.0, "
            );
            let Parsed::Points(ps) =
                parse_texts(&[with_totals(r#"{"type_": "synchronous"}"#, 26, &extra)])
            else {
                panic!("points")
            };
            ps[0].duration_s()
        };
        assert_eq!(duration(614.5), Some(514.5), "stopped at its request count");
        assert_eq!(
            duration(900.0),
            Some(720.0),
            "ran past the window (cool-down)"
        );
        assert_eq!(duration(-1.0), Some(720.0), "GuideLLM's unknown time");
    }

    #[test]
    fn the_data_argument_names_the_workload() {
        let spec = |v: serde_json::Value| workload_of_spec(&v);
        let w = spec(serde_json::json!("prompt_tokens=512,output_tokens=2048"));
        assert_eq!(w.dataset.as_deref(), Some("synthetic"));
        assert_eq!((w.input_len, w.output_len), (Some(512.0), Some(2048.0)));
        let w = spec(serde_json::json!(
            "{\"prompt_tokens\": 128, \"output_tokens\": 64}"
        ));
        assert_eq!((w.input_len, w.output_len), (Some(128.0), Some(64.0)));
        let w = spec(serde_json::json!(
            "/data/ShareGPT_V3_unfiltered_cleaned_split.json"
        ));
        assert_eq!(w.dataset.as_deref(), Some("sharegpt"));
        let nested =
            serde_json::json!({"requests": {"data": ["prompt_tokens=256,output_tokens=128"]}});
        assert!(data_spec(&nested, 3).is_some());
    }

    #[test]
    fn python_text_of_a_data_list_names_the_workload() {
        // GuideLLM 0.5 writes `config.requests.data` as Python's text of the list.
        let spec = |text: &str| workload_of_spec(&serde_json::json!(text));
        let w = spec(r#"['{"prompt_tokens":256,"output_tokens":128}']"#);
        assert_eq!(w.dataset.as_deref(), Some("synthetic"));
        assert_eq!((w.input_len, w.output_len), (Some(256.0), Some(128.0)));
        let w = spec("['/root/aime_2024_v2.jsonl']");
        assert_eq!(w.dataset.as_deref(), Some("aime_2024_v2"));
        let w = spec(r#"["prompt_tokens=64,output_tokens=32", "other"]"#);
        assert_eq!((w.input_len, w.output_len), (Some(64.0), Some(32.0)));
        assert_eq!(spec("[]"), WorkloadHint::default());
    }

    #[test]
    fn input_rate_is_prompt_tokens_over_the_window_not_the_prompt_rate_distribution() {
        // A few requests starting together make `prompt_tokens_per_second` explode (a real
        // GuideLLM 0.5 file: 1.4 M tokens/s beside 181.6 tokens/s in all).
        let text = benchmark(r#"{"type_": "concurrent", "streams": 4}"#).replace(
            "\"prompt_token_count\"",
            &format!(
                "\"prompt_tokens_per_second\": {}, \"tokens_per_second\": {}, \"prompt_token_count\"",
                dist(1_411_167.7, 10.0, 10.0),
                dist(1000.0, 1000.0, 1000.0)
            ),
        );
        let text = text.replacen(
            "{\"config\"",
            "{\"scheduler_metrics\": {\"measure_start_time\": 100.5, \"measure_end_time\": 160.5}, \"config\"",
            1,
        );
        let doc =
            Document::from_bytes(format!(r#"{{"benchmarks": [{text}]}}"#).as_bytes()).unwrap();
        let Parsed::Points(ps) = GuideLlm.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(ps[0].duration_s(), Some(60.0), "the measured window");
        let input = ps[0].input_tokens_per_s().unwrap();
        assert!(
            (input - 100.0 * 512.0 / 60.0).abs() < 1e-9,
            "completed × prompt / window: {input}"
        );
        // Output and requests likewise (not the stated 800 and 4), and the total is their sum,
        // not the stated 1000.
        assert_eq!(ps[0].requests_per_s(), Some(100.0 / 60.0));
        let output = ps[0].output_tokens_per_s;
        assert!((output - 100.0 * 200.0 / 60.0).abs() < 1e-9, "{output}");
        let total = ps[0].total_tokens_per_s().unwrap();
        assert!((total - (input + output)).abs() < 1e-9, "{total}");
    }

    #[test]
    fn without_a_window_the_stated_rates_are_kept() {
        let text = benchmark(r#"{"type_": "concurrent", "streams": 4}"#).replace(
            "\"prompt_token_count\"",
            &format!(
                "\"tokens_per_second\": {}, \"prompt_token_count\"",
                dist(1000.0, 1000.0, 1000.0)
            ),
        );
        let doc =
            Document::from_bytes(format!(r#"{{"benchmarks": [{text}]}}"#).as_bytes()).unwrap();
        let Parsed::Points(ps) = GuideLlm.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(ps[0].duration_s(), None);
        assert_eq!(ps[0].output_tokens_per_s, 800.0);
        assert_eq!(ps[0].total_tokens_per_s(), Some(1000.0));
    }

    #[test]
    fn capped_throughput_is_a_concurrency_alone_and_a_sweeps_unbounded_probe_beside_rates() {
        let capped = r#"{"type_": "throughput", "max_concurrency": 64}"#;
        let Parsed::Points(alone) = parse(&[capped]).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(alone[0].load, Load::Concurrency(64.0));
        assert_eq!(alone[0].label.as_deref(), Some("throughput@64"));
        let Parsed::Points(sweep) = parse(&[
            r#"{"type_": "synchronous"}"#,
            capped,
            r#"{"type_": "constant", "rate": 5.0, "max_concurrency": 64}"#,
        ])
        .unwrap() else {
            panic!("expected points")
        };
        let loads: Vec<Load> = sweep.iter().map(|p| p.load).collect();
        assert_eq!(
            loads,
            [Load::Rate(4.0), Load::Unbounded, Load::Rate(5.0)],
            "the sweep's synchronous run at the 4 requests/s it measured"
        );
        assert_eq!(sweep[0].label.as_deref(), Some("synchronous"));
        assert_eq!(sweep[1].label.as_deref(), Some("throughput"));
    }

    #[test]
    fn the_0_3_schema_reads_its_strategy_from_args() {
        let text = include_str!("../../../tests/fixtures/versions/guidellm-0.3-benchmarks.json");
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(GuideLlm.detect(&doc));
        let Parsed::Points(ps) = GuideLlm.parse(&doc).unwrap() else {
            panic!("expected points")
        };
        let p = &ps[0];
        assert_eq!(p.load, Load::Concurrency(1.0), "synchronous");
        // 46 requests × 128 output tokens in 29.997 s, not the stated rate mean of 198.133.
        let output = p.output_tokens_per_s;
        assert!((output - 196.285).abs() < 1e-3, "{output}");
        let ttft = p.ttft.p50().unwrap();
        assert!((ttft - 16.3805).abs() < 1e-3, "from `median`: {ttft}");
        assert!(
            (p.e2e.p50().unwrap() - 642.457).abs() < 1e-2,
            "seconds to ms"
        );
        assert_eq!(p.workload.dataset.as_deref(), Some("synthetic"));
        assert_eq!(
            (p.workload.input_len, p.workload.output_len),
            (Some(256.0), Some(128.0))
        );
        assert!(
            (p.duration_s().unwrap() - 29.9972).abs() < 1e-3,
            "`duration`"
        );
        // 46 requests of 257.1 prompt tokens in 30 s; `tokens_per_second` − output would be 794.
        let input = p.input_tokens_per_s().unwrap();
        assert!((input - 394.27).abs() < 0.01, "{input}");
        // This schema's `time_per_output_token_ms` leaves the first token's wait out (a request
        // of this file: (last − first token) / 128 = 5.217 ms, its stated value; with the wait
        // it would be 5.384), so it is not NTPOT; `inter_token_latency_ms` is still TPOT.
        assert_eq!(p.ntpot, Latency::default());
        assert!(p.tpot.mean().is_some());
    }

    /// GuideLLM writes the same report as YAML (`--output-path benchmarks.yaml`): its own test
    /// asset's YAML twin of the 0.3 JSON above reads to the same points.
    #[test]
    fn the_yaml_report_reads_as_its_json_twin() {
        let json = include_str!("../../../tests/fixtures/versions/guidellm-0.3-benchmarks.json");
        let yaml = include_str!("../../../tests/fixtures/versions/guidellm-0.3-benchmarks.yaml");
        assert!(
            Document::from_bytes(yaml.as_bytes()).is_err(),
            "not JSON or CSV"
        );
        let from_yaml = Document::from_yaml(yaml.as_bytes()).unwrap();
        assert!(GuideLlm.detect(&from_yaml));
        let points = |doc: &Document| match GuideLlm.parse(doc).unwrap() {
            Parsed::Points(ps) => ps,
            other => panic!("expected points, got {other:?}"),
        };
        let (from_json, from_yaml) = (
            points(&Document::from_bytes(json.as_bytes()).unwrap()),
            points(&from_yaml),
        );
        assert_eq!(from_yaml, from_json);
    }

    #[test]
    fn trace_replays_are_left_out_and_alone_are_no_points() {
        let Parsed::Points(ps) = parse(&[
            r#"{"type_": "trace", "time_scale": 1.0}"#,
            r#"{"type_": "synchronous"}"#,
        ])
        .unwrap() else {
            panic!("expected points")
        };
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].load, Load::Concurrency(1.0));
        let only = parse(&[r#"{"type_": "trace"}"#]).unwrap();
        assert!(matches!(only, Parsed::NoPoints(why) if why.contains("trace replay")));
    }

    #[test]
    fn unknown_strategy_is_rejected_with_its_index() {
        let err = parse(&[r#"{"type_": "synchronous"}"#, r#"{"type_": "burst"}"#]).unwrap_err();
        assert!(
            err.reason
                .starts_with("benchmarks[1]: unknown strategy type `burst`"),
            "{}",
            err.reason
        );
    }
}
