//! inference-perf `stage_N_lifecycle_metrics.json`: one load stage (a request rate, or a
//! concurrency under `load_summary.concurrency` for `concurrent` runs), latencies in seconds. Accepts the older report shape (`prompt_len`, `output_len`) and the newer one
//! (`prompt_tokens`, `output_tokens`, `benchmark_time_seconds`, `failures.by_label`). The
//! run-wide `summary_lifecycle_metrics.json` has no requested rate and is not a load point, and
//! a per-LoRA-adapter slice of a stage (`adapter_<lora>_stage_N_...`, same shape) is set aside by
//! name in `ingest.rs`.

use super::fields::{Obj, as_object};
use super::{MS_PER_S, Parsed, RawFormat};
use crate::document::Document;
use crate::error::FormatError;
use crate::point::{Latency, LatencyStats, Load, MeasuredPoint};

pub struct InferencePerf;

impl RawFormat for InferencePerf {
    fn tool(&self) -> &'static str {
        "inference-perf"
    }

    fn detect(&self, doc: &Document) -> bool {
        let Document::Json(v) = doc else { return false };
        v.get("load_summary").is_some_and(|l| l.is_object())
            && v.get("successes").and_then(|s| s.get("latency")).is_some()
    }

    fn parse(&self, doc: &Document) -> Result<Parsed, FormatError> {
        let Document::Json(v) = doc else {
            return Err(doc.not_one_object());
        };
        let root = as_object(v, "document")?;
        let load = root.req_child("load_summary")?;
        let Some(requested) = load.rate("requested_rate")? else {
            return Ok(Parsed::NoPoints(
                "inference-perf run summary (no `load_summary.requested_rate`; it aggregates the stages), or a stage that does not state its load: not a load point".into(),
            ));
        };
        let concurrency = load.num("concurrency")?.filter(|c| *c > 0.0);
        let load_kind = match (concurrency, requested) {
            // A `concurrent` stage writes its request count as a one-second "rate": the
            // concurrency is the load, and the achieved rate over that second means nothing.
            (Some(c), _) => Load::Concurrency(c),
            (None, r) if r.is_infinite() => Load::Unbounded,
            (None, r) if r > 0.0 => Load::Rate(r),
            (None, _) => {
                return Ok(Parsed::NoPoints(
                    "inference-perf session or trace replay stage (`requested_rate` 0 and no \
                     concurrency): the trace sets the arrivals, so it has no controlled load"
                        .into(),
                ));
            }
        };
        let successes = root.req_child("successes")?;
        let latency = successes.req_child("latency")?;
        let throughput = successes.req_child("throughput")?;
        let mut p = MeasuredPoint::new(load_kind, throughput.req_num("output_tokens_per_sec")?);
        if concurrency.is_none() {
            p.set_achieved_rate(load.num("achieved_rate")?);
        }
        p.completed = successes.count("count")?;
        // The window the stage's throughputs are over: `benchmark_time_seconds` where a file
        // states it (600 requests in 203.5 s is its 2.95 req/s; sending them took 60 s), else
        // what its request rate implies. Not `send_duration`: the drain after the last
        // request is left out of it, and a duration is taken to include one (a real file:
        // sending took 29.69 s of the 31.44 s its 59 requests at 1.8765 req/s took).
        p.set_duration_s(match root.num("benchmark_time_seconds")? {
            Some(d) => Some(d),
            None => throughput
                .num("requests_per_sec")?
                .filter(|r| *r > 0.0)
                .zip(p.completed)
                .map(|(rate, n)| n as f64 / rate),
        });
        p.failed = failure_count(&root)?;
        p.set_requests_per_s(throughput.num("requests_per_sec")?);
        p.set_input_tokens_per_s(throughput.num("input_tokens_per_sec")?);
        p.set_total_tokens_per_s(throughput.num("total_tokens_per_sec")?);
        p.set_mean_input_tokens(mean_of_either(&successes, "prompt_len", "prompt_tokens")?);
        p.set_mean_output_tokens(mean_of_either(&successes, "output_len", "output_tokens")?);
        p.ttft = distribution(&latency, "time_to_first_token")?;
        p.ntpot = distribution(&latency, "normalized_time_per_output_token")?;
        p.tpot = distribution(&latency, "time_per_output_token")?;
        p.itl = distribution(&latency, "inter_token_latency")?;
        p.e2e = distribution(&latency, "request_latency")?;
        Ok(Parsed::Points(vec![p.with_derived_totals()]))
    }
}

fn failure_count(root: &Obj) -> Result<Option<i64>, FormatError> {
    match root.child("failures")? {
        Some(f) => f.count("count"),
        None => Ok(None),
    }
}

fn mean_of_either(obj: &Obj, old: &str, new: &str) -> Result<Option<f64>, FormatError> {
    let dist = match obj.child(old)? {
        Some(d) => Some(d),
        None => obj.child(new)?,
    };
    dist.map_or(Ok(None), |d| d.num("mean"))
}

/// A latency distribution in seconds, converted to milliseconds.
fn distribution(latency: &Obj, name: &str) -> Result<Latency, FormatError> {
    let Some(d) = latency.child(name)? else {
        return Ok(Latency::default());
    };
    Ok(Latency::from(LatencyStats {
        mean: d.num("mean")?,
        p50: match d.num("median")? {
            Some(m) => Some(m),
            None => d.num("p50")?,
        },
        p90: d.num("p90")?,
        p99: d.num("p99")?,
    })
    .scaled(MS_PER_S))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Parsed, FormatError> {
        let doc = Document::from_bytes(text.as_bytes()).unwrap();
        assert!(InferencePerf.detect(&doc));
        InferencePerf.parse(&doc)
    }

    const OLD_SHAPE: &str = r#"{"load_summary": {"count": 10, "send_duration": 10.0, "requested_rate": 2.0, "achieved_rate": 1.5},
      "successes": {"count": 10, "latency": {
          "request_latency": {"mean": 0.5, "median": 0.4, "p90": 0.9, "p99": 1.0},
          "normalized_time_per_output_token": {"mean": 0.01, "median": 0.009},
          "time_per_output_token": {"mean": 0.004},
          "time_to_first_token": {"mean": 0.03, "median": 0.029},
          "inter_token_latency": {"mean": 0.004, "median": 0.00004}},
        "throughput": {"input_tokens_per_sec": 400.0, "output_tokens_per_sec": 100.0, "requests_per_sec": 1.5},
        "prompt_len": {"mean": 200.0}, "output_len": {"mean": 64.0}},
      "failures": {"count": 0, "request_latency": null, "prompt_len": null}}"#;

    #[test]
    fn old_shape_converts_seconds_to_ms() {
        let Parsed::Points(points) = parse(OLD_SHAPE).unwrap() else {
            panic!("expected points")
        };
        let p = &points[0];
        assert_eq!(p.load, Load::Rate(2.0));
        assert_eq!(p.achieved_rate(), Some(1.5));
        assert_eq!(p.ttft.p50(), Some(29.0));
        assert_eq!(p.e2e.p90(), Some(900.0));
        assert_eq!(p.ntpot.p50(), Some(9.0));
        assert_eq!(p.tpot.p50(), None, "absent statistics stay unknown");
        assert_eq!(
            p.total_tokens_per_s(),
            Some(500.0),
            "derived from input + output"
        );
        assert_eq!(p.mean_input_tokens(), Some(200.0));
        assert_eq!(p.failed, Some(0));
        assert_eq!(
            p.duration_s(),
            Some(10.0 / 1.5),
            "what the request rate implies, not the 10 s of `send_duration`"
        );
        let no_rate = OLD_SHAPE.replace(", \"requests_per_sec\": 1.5", "");
        let Parsed::Points(points) = parse(&no_rate).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(points[0].duration_s(), None);
    }

    #[test]
    fn new_shape_with_token_names_and_labelled_failures() {
        let text = OLD_SHAPE
            .replace("\"prompt_len\": {\"mean\": 200.0}", "\"prompt_tokens\": {\"mean\": 210.0}")
            .replace(
                "\"failures\": {\"count\": 0, \"request_latency\": null, \"prompt_len\": null}",
                "\"failures\": {\"count\": 2, \"by_label\": {\"timeout\": 2}}, \"benchmark_time_seconds\": 60.0",
            );
        let Parsed::Points(points) = parse(&text).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(points[0].mean_input_tokens(), Some(210.0));
        assert_eq!(points[0].failed, Some(2));
        assert_eq!(
            points[0].duration_s(),
            Some(60.0),
            "the window its throughputs are over, not the 10 s of sending"
        );
    }

    #[test]
    fn summary_without_requested_rate_is_not_a_point() {
        let text = OLD_SHAPE.replace("\"requested_rate\": 2.0, ", "");
        assert!(matches!(parse(&text).unwrap(), Parsed::NoPoints(_)));
    }

    #[test]
    fn concurrent_stages_load_at_their_concurrency_and_replays_have_no_load() {
        // A `concurrent` stage: the request count written as a rate over one second.
        let concurrent = OLD_SHAPE.replace(
            "\"requested_rate\": 2.0, \"achieved_rate\": 1.5",
            "\"requested_rate\": 200.0, \"achieved_rate\": 204.0, \"concurrency\": 8",
        );
        let Parsed::Points(points) = parse(&concurrent).unwrap() else {
            panic!("expected points")
        };
        assert_eq!(points[0].load, Load::Concurrency(8.0));
        assert_eq!(
            points[0].achieved_rate(),
            None,
            "not a rate the tool controlled"
        );
        assert_eq!(
            points[0].requests_per_s(),
            Some(1.5),
            "the measured rate stays"
        );
        let replay = OLD_SHAPE.replace("\"requested_rate\": 2.0", "\"requested_rate\": 0.0");
        let Parsed::NoPoints(why) = parse(&replay).unwrap() else {
            panic!("a replay stage is no load point")
        };
        assert!(why.contains("replay"), "{why}");
    }

    #[test]
    fn broken_values_are_reported_with_their_path() {
        let err = parse(&OLD_SHAPE.replace("\"median\": 0.029", "\"median\": -1")).unwrap_err();
        assert_eq!(
            err.reason,
            "field `successes.latency.time_to_first_token.median` is negative (-1)"
        );
        let err = parse(&OLD_SHAPE.replace("\"output_tokens_per_sec\": 100.0, ", "")).unwrap_err();
        assert!(
            err.reason
                .contains("successes.throughput.output_tokens_per_sec"),
            "{}",
            err.reason
        );
        let err = parse(&OLD_SHAPE.replace("\"throughput\": {", "\"throughput\": [], \"x\": {"))
            .unwrap_err();
        assert!(err.reason.contains("should be an object"), "{}", err.reason);
    }
}
