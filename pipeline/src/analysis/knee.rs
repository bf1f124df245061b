//! The inflection point (knee) of a latency–throughput curve: where throughput stops rising while
//! latency starts to climb. Deterministic, and the same rules are stated on the site's
//! methodology page. The knee is always a point that keeps up with its load.
//!
//! Method, in order:
//! 0. **Not a curve.** A curve needs two or more distinct finite loads (rate or concurrency).
//!    Points at unbounded load only are *max-throughput measurements*: no knee, the highest
//!    throughput is shown as the capacity. One finite load: "no knee observed", unless more
//!    than 5% of its requests failed (step 1).
//! 1. **Saturated from the start.** When the lowest load already does not keep up (more than 5%
//!    of its requests failed, or its achieved request rate is below 92% of the requested rate —
//!    and, for a rate derived from completions, TTFT or E2E climbing at every later step), the
//!    knee lies below the measured range: no point is
//!    presented as the knee; the capacity reached is shown instead. A single load measured is
//!    saturated only when more than 5% of its requests failed.
//! 2. **Saturation events.** Walking the points in load order, the first *saturation event* is
//!    a point where more than 5% of requests failed, whose output throughput fell below 85% of
//!    the highest a lower load reached (a collapse), or that falls behind its requested rate
//!    (achieved below 92% of requested; for a rate
//!    derived from completions only together with TTFT or E2E growing more than 1.5x: a
//!    long request finishing last stretches a tool's duration without any queue), or where any latency
//!    the tool reported (NTPOT, TPOT, ITL, E2E, TTFT; values under 1 ms are streaming
//!    artefacts and not watched) more than doubles from the previous point *and* grows by more
//!    than the load did (a 40x step in load that doubles NTPOT is batching, not saturation).
//! 3. **Two-segment fit.** Over the finite-load points, try every interior point `k` as the
//!    break: fit one least-squares line of output throughput vs load through points `0..=k`
//!    and another through `k..n`, keep the `k` with the smallest total squared error (ties: the
//!    lower load). Accept it if the tail slope is at most a quarter of the rising slope, the
//!    rising slope is positive, the throughput at `k` is at least 85% of the curve's peak (an
//!    unbounded point counts: it is the server's ceiling), and `k` comes before the first
//!    saturation event. Needs at least 3 finite points.
//! 4. Otherwise the knee is the **last point before the first saturation event**
//!    (saturation rule); with no event, **no knee observed**: the highest stable point stands
//!    in, and the result says so.
//!
//! "Achieved" is the rate the tool says it sent (inference-perf), else completions over the
//! sending window: `completed / (duration − mean E2E)`, because a tool's duration includes the
//! drain after the last request (which alone would read as saturation at high rates); the
//! duration is `completed / completions per second` when the tool gives only those, and the
//! mean E2E is TTFT + TPOT × (output tokens − 1) when the tool reports no E2E. A sent rate
//! that keeps up is checked against the completions as a derived one is ([`falls_behind`]).

use std::fmt;

use super::percentile::Percentile;
use crate::point::{Latency, Load, MeasuredPoint};

/// How a knee was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KneeMethod {
    PiecewiseFit,
    SaturationRule,
    NotObserved,
    /// Only unbounded-load points: a capacity, not a curve.
    MaxThroughputOnly,
    /// Saturated at the lowest measured load: the knee is below the range.
    BelowRange,
}

impl KneeMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            KneeMethod::PiecewiseFit => "piecewise-linear-fit",
            KneeMethod::SaturationRule => "saturation-rule",
            KneeMethod::NotObserved => "no-knee-observed",
            KneeMethod::MaxThroughputOnly => "max-throughput-only",
            KneeMethod::BelowRange => "below-measured-range",
        }
    }

    /// Whether the point found keeps up with its load, so it can be presented as a knee and
    /// used as an operating point.
    pub fn is_operable(self) -> bool {
        !matches!(self, KneeMethod::MaxThroughputOnly | KneeMethod::BelowRange)
    }

    /// What the point found is, in words: a knee, or the stand-in a profile without one is
    /// summarized, sized and planned at (the site, the CLI and its manifests say the same).
    pub fn point_name(self) -> &'static str {
        match self {
            KneeMethod::PiecewiseFit | KneeMethod::SaturationRule => "knee",
            KneeMethod::NotObserved => "highest point",
            KneeMethod::BelowRange | KneeMethod::MaxThroughputOnly => "capacity",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Knee {
    /// Index into the curve's points (sorted by load). For the methods that are not
    /// [`KneeMethod::is_operable`], the point of highest throughput (the capacity reached).
    pub index: usize,
    pub method: KneeMethod,
    /// One sentence on why this point, for the site and the table.
    pub reason: String,
}

/// Tail slope must be at most this fraction of the rising slope.
pub const MAX_TAIL_SLOPE_RATIO: f64 = 0.25;
/// The knee must carry at least this fraction of the peak throughput.
pub const MIN_PEAK_FRACTION: f64 = 0.85;
/// Achieved / requested below this means the server could not keep up.
pub const MIN_ACHIEVED_RATIO: f64 = 0.92;
/// More than this share of a point's requests failing means the server did not serve its load.
pub const MAX_FAILED_SHARE: f64 = 0.05;
/// With an achieved rate derived from completions, TTFT or E2E must grow by more than this
/// factor from the previous point to confirm that requests queue.
pub const MIN_QUEUE_GROWTH: f64 = 1.5;
/// A latency growing by more than this factor between adjacent points is a saturation event.
pub const MAX_LATENCY_GROWTH: f64 = 2.0;
/// Latencies below this (ms) are chunking artefacts of streamed responses, not signals.
pub const MIN_WATCHED_LATENCY_MS: f64 = 1.0;

/// The achieved request rate the knee rule compares with the requested rate (see the module
/// documentation).
pub fn achieved_rate(p: &MeasuredPoint) -> Option<f64> {
    p.achieved_rate()
        .or_else(|| completion_rate(p))
        .or(p.requests_per_s())
}

/// Completions over the sending window: `completed ÷ (duration − mean E2E)` (the duration
/// includes the drain after the last request was sent), when both are known. (Keeping the
/// last request's wait for its first token in the window would show a queue at the lowest
/// load, but reads a long prompt's prefill in a short run as falling behind: measured both
/// ways on real and synthetic sweeps, the mean E2E stays.)
fn completion_rate(p: &MeasuredPoint) -> Option<f64> {
    let duration = p.duration_s().or(match (p.completed, p.requests_per_s()) {
        (Some(c), Some(r)) if r > 0.0 => Some(c as f64 / r),
        _ => None,
    });
    if let (Some(completed), Some(duration)) = (p.completed, duration) {
        let drain_s = mean_e2e_ms(p).unwrap_or(0.0) / 1000.0;
        let window = if duration - drain_s > 0.5 * duration {
            duration - drain_s
        } else {
            duration
        };
        if window > 0.0 {
            return Some(completed as f64 / window);
        }
    }
    None
}

/// Mean end-to-end latency, or TTFT + TPOT × (output tokens − 1) when only those are known.
fn mean_e2e_ms(p: &MeasuredPoint) -> Option<f64> {
    p.e2e.mean().or(p.e2e.p50()).or_else(|| {
        let (ttft, tpot, tokens) = (p.ttft.mean()?, p.tpot.mean()?, p.mean_output_tokens()?);
        Some(ttft + tpot * (tokens - 1.0).max(0.0))
    })
}

/// Achieved / requested at a rate-controlled point, and whether the tool reported the rate it
/// sent (trusted alone) or it was derived from completions (noisy: a long request finishing
/// after the others stretches the duration).
fn rate_ratio(p: &MeasuredPoint) -> Option<(f64, f64, bool)> {
    match (p.load, achieved_rate(p)) {
        (Load::Rate(requested), Some(achieved)) if requested > 0.0 => {
            Some((requested, achieved / requested, p.achieved_rate().is_some()))
        }
        _ => None,
    }
}

/// How much the latencies that show a queue (TTFT, and E2E, which also shows a decode batch
/// slowing down) grew from `a` to `b`: the larger growth of the two.
fn queue_growth(a: &MeasuredPoint, b: &MeasuredPoint) -> Option<f64> {
    let ttft = |p: &MeasuredPoint| p.ttft.mean().or(p.ttft.p50()).filter(|v| *v > 0.0);
    let e2e = |p: &MeasuredPoint| mean_e2e_ms(p).filter(|v| *v > 0.0);
    [ttft(a).zip(ttft(b)), e2e(a).zip(e2e(b))]
        .into_iter()
        .flatten()
        .map(|(x, y)| y / x)
        .reduce(f64::max)
}

/// Whether point `i` of a curve does not keep up with its load ([`behind_reason`]).
pub fn falls_behind(points: &[MeasuredPoint], i: usize) -> bool {
    behind_reason(points, i).is_some()
}

/// Why a point does not keep up with its load, kept as figures: a curve is checked point by
/// point (every knee, and `index.json`'s four per profile), and only the knee's own reason is
/// ever shown, so the sentence is made when it is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Behind {
    Failed {
        failed: i64,
        total: i64,
    },
    Collapse {
        now: f64,
        before: f64,
    },
    Rate {
        requested: f64,
        ratio: f64,
        what: &'static str,
    },
    DidNotKeepUp,
}

impl fmt::Display for Behind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Behind::Failed { failed, total } => write!(
                f,
                "{failed} of {total} requests failed ({:.0}%)",
                100.0 * failed as f64 / total as f64
            ),
            Behind::Collapse { now, before } => write!(
                f,
                "output throughput fell to {now:.0} tokens/s, {:.0}% of the {before:.0} a lower load reached",
                100.0 * now / before
            ),
            Behind::Rate {
                requested,
                ratio,
                what,
            } => write!(
                f,
                "{:.2} req/s {what} of {requested} requested, {:.0}%",
                ratio * requested,
                100.0 * ratio
            ),
            Behind::DidNotKeepUp => f.write_str("did not keep up"),
        }
    }
}

/// Why point `i` of a curve does not keep up with its load, if it does not: more than
/// [`MAX_FAILED_SHARE`] of its requests failed (at any kind of load), or its achieved rate is
/// below [`MIN_ACHIEVED_RATIO`] of the requested one and — when that rate was derived from
/// completions rather than reported — requests queue: TTFT or E2E grows by more than
/// [`MIN_QUEUE_GROWTH`] from the previous point.
///
/// A reported rate is the rate the tool sent (inference-perf's `achieved_rate`), which an
/// open-loop generator keeps up whatever the server does; so when it is not short, the
/// completions are checked the same way a derived rate is (a real stage sent 10 req/s while the
/// server completed 2.95 req/s at a 17 s mean TTFT).
fn behind_reason(points: &[MeasuredPoint], i: usize) -> Option<Behind> {
    let p = &points[i];
    if let Some((failed, total)) = failing(p) {
        return Some(Behind::Failed { failed, total });
    }
    if let Some(why) = collapse(points, i) {
        return Some(why);
    }
    let (requested, ratio, reported) = rate_ratio(p)?;
    if ratio < MIN_ACHIEVED_RATIO && reported {
        return Some(Behind::Rate {
            requested,
            ratio,
            what: "achieved",
        });
    }
    let (ratio, what) = match (reported, completed_ratio(p)) {
        // Derived from completions, not a rate the tool reports sending.
        (false, _) => (ratio, "completed"),
        (true, Some(completed)) => (completed, "completed"),
        (true, None) => return None,
    };
    let queueing = i
        .checked_sub(1)
        .is_some_and(|prev| queue_growth(&points[prev], p).is_some_and(|g| g > MIN_QUEUE_GROWTH));
    (ratio < MIN_ACHIEVED_RATIO && queueing).then_some(Behind::Rate {
        requested,
        ratio,
        what,
    })
}

/// Why point `i` is past a throughput collapse, if it is: its output throughput fell below
/// [`MIN_PEAK_FRACTION`] of the highest a lower load reached (a real prefill/decode run went
/// 2,810 → 3,615 → 1,465 tokens/s from concurrency 32 to 128). More load for less work is a
/// server thrashing, never a point to run at, whatever its latencies.
fn collapse(points: &[MeasuredPoint], i: usize) -> Option<Behind> {
    let now_load = points[i].load;
    // Sorted by load: every earlier point at another load is at a lower one; repeats of this
    // load are noise, not a collapse.
    let before = points[..i]
        .iter()
        .filter(|q| q.load != now_load)
        .map(|q| q.output_tokens_per_s)
        .filter(|v| v.is_finite())
        .reduce(f64::max)?;
    let now = points[i].output_tokens_per_s;
    (before > 0.0 && now < MIN_PEAK_FRACTION * before).then_some(Behind::Collapse { now, before })
}

/// A point's failed and total requests, when more than [`MAX_FAILED_SHARE`] of them failed.
fn failing(p: &MeasuredPoint) -> Option<(i64, i64)> {
    let (completed, failed) = (p.completed?, p.failed?);
    let total = completed.checked_add(failed)?;
    (completed >= 0 && failed > 0 && failed as f64 > MAX_FAILED_SHARE * total as f64)
        .then_some((failed, total))
}

/// Completions over the sending window / the requested rate, at a rate-controlled point.
fn completed_ratio(p: &MeasuredPoint) -> Option<f64> {
    match (p.load, completion_rate(p)) {
        (Load::Rate(requested), Some(done)) if requested > 0.0 => Some(done / requested),
        _ => None,
    }
}

/// Whether the lowest load already falls behind: its achieved rate is short, and (for a
/// derived rate) the queue latency climbs at every later finite step.
fn saturated_from_start(points: &[MeasuredPoint], finite: &[usize]) -> bool {
    let Some(&first) = finite.first() else {
        return false;
    };
    if failing(&points[first]).is_some() {
        return true;
    }
    match rate_ratio(&points[first]) {
        Some((_, ratio, _)) if ratio >= MIN_ACHIEVED_RATIO => false,
        Some((_, _, true)) => true,
        Some((_, _, false)) => {
            finite.len() >= 2
                && finite
                    .windows(2)
                    .all(|w| queue_growth(&points[w[0]], &points[w[1]]).is_some_and(|g| g > 1.0))
        }
        None => false,
    }
}

/// The first point that falls behind its requested rate, if any.
pub fn first_falling_behind(points: &[MeasuredPoint]) -> Option<usize> {
    (0..points.len())
        .find(|&i| falls_behind(points, i))
        .or_else(|| {
            let finite: Vec<usize> = (0..points.len())
                .filter(|&i| points[i].load.value().is_some())
                .collect();
            saturated_from_start(points, &finite).then_some(0)
        })
}

/// Finds the knee of a curve whose points are sorted by load (unbounded last). `None` only for
/// an empty curve.
pub fn find_knee(points: &[MeasuredPoint], pct: Percentile) -> Option<Knee> {
    locate(points, pct).map(|(index, method, why)| Knee {
        index,
        method,
        reason: why.to_string(),
    })
}

/// The point [`find_knee`] finds and how, without the sentence saying why: for callers that
/// find many knees and show none of their reasons (`index.json`'s knee per statistic).
pub fn find_knee_point(points: &[MeasuredPoint], pct: Percentile) -> Option<(usize, KneeMethod)> {
    locate(points, pct).map(|(index, method, _)| (index, method))
}

/// Why a knee is where it is, as figures; [`Knee::reason`] is its sentence.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Why {
    Unbounded { points: usize, peak: f64 },
    BelowRange { shortfall: Behind, peak: f64 },
    OneLoad { distinct_loads: usize },
    Fit { rise: f64, tail: f64, share: f64 },
    BeforeSaturation(Event),
    TooFewPoints { finite: usize },
    NoEvent,
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Why::Unbounded { points, peak } => write!(
                f,
                "max-throughput measurement, not a curve: {points} point(s) at unbounded load, no load variation to find a knee in; capacity {peak:.0} output tokens/s"
            ),
            Why::BelowRange { shortfall, peak } => write!(
                f,
                "knee below the measured range: already saturated at the lowest load ({shortfall}); capacity reached {peak:.0} output tokens/s"
            ),
            Why::OneLoad { distinct_loads } => write!(
                f,
                "no knee observed: {distinct_loads} distinct finite load(s), a curve needs two or more; highest measured point shown"
            ),
            Why::Fit { rise, tail, share } => write!(
                f,
                "two-segment fit: throughput rises {rise:.1} tokens/s per unit of load up to here, then {tail:.1} (ratio {:.2}); {:.0}% of peak throughput",
                tail / rise,
                share * 100.0
            ),
            Why::BeforeSaturation(event) => write!(f, "last point before saturation: {event}"),
            Why::TooFewPoints { finite } => write!(
                f,
                "no knee observed: {finite} point(s) with a finite load, too few to locate one; highest measured point shown"
            ),
            Why::NoEvent => write!(
                f,
                "no knee observed: throughput did not level off, and no latency grew more than {MAX_LATENCY_GROWTH}x between points while outgrowing the load; highest measured point shown"
            ),
        }
    }
}

fn locate(points: &[MeasuredPoint], pct: Percentile) -> Option<(usize, KneeMethod, Why)> {
    if points.is_empty() {
        return None;
    }
    let finite: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].load.value().is_some())
        .collect();
    let peak_index = highest_throughput(points);
    let peak = points[peak_index].output_tokens_per_s;
    let distinct_loads = distinct_finite_loads(points);
    if finite.is_empty() {
        let why = Why::Unbounded {
            points: points.len(),
            peak,
        };
        return Some((peak_index, KneeMethod::MaxThroughputOnly, why));
    }
    // One load measured is saturated only when its requests failed: repeats at one load cannot
    // show a queue growing, and a short smoke run's sent rate is as noisy as its arrivals.
    if let Some(first) = finite.first().map(|&i| &points[i])
        && (distinct_loads >= 2 || failing(first).is_some())
        && saturated_from_start(points, &finite)
    {
        let why = Why::BelowRange {
            shortfall: shortfall(first),
            peak,
        };
        return Some((peak_index, KneeMethod::BelowRange, why));
    }
    if distinct_loads < 2 {
        let why = Why::OneLoad { distinct_loads };
        return Some((
            highest_stable(points, &finite),
            KneeMethod::NotObserved,
            why,
        ));
    }
    let event = first_saturation_event(points, pct);
    if let Some((index, why)) = piecewise_fit(points, &finite, peak)
        && event.as_ref().is_none_or(|(i, _)| index < *i)
    {
        return Some((index, KneeMethod::PiecewiseFit, why));
    }
    Some(match event {
        Some((i, event)) => (
            i - 1,
            KneeMethod::SaturationRule,
            Why::BeforeSaturation(event),
        ),
        None => {
            let why = if finite.len() < 3 {
                Why::TooFewPoints {
                    finite: finite.len(),
                }
            } else {
                Why::NoEvent
            };
            (
                highest_stable(points, &finite),
                KneeMethod::NotObserved,
                why,
            )
        }
    })
}

fn highest_throughput(points: &[MeasuredPoint]) -> usize {
    let mut best = 0;
    for (i, p) in points.iter().enumerate() {
        if p.output_tokens_per_s > points[best].output_tokens_per_s {
            best = i;
        }
    }
    best
}

fn distinct_finite_loads(points: &[MeasuredPoint]) -> usize {
    let mut loads: Vec<f64> = points.iter().filter_map(|p| p.load.value()).collect();
    loads.sort_by(f64::total_cmp);
    loads.dedup();
    loads.len()
}

fn shortfall(p: &MeasuredPoint) -> Behind {
    if let Some((failed, total)) = failing(p) {
        return Behind::Failed { failed, total };
    }
    match rate_ratio(p) {
        Some((requested, ratio, reported)) => Behind::Rate {
            requested,
            ratio,
            what: if reported { "achieved" } else { "completed" },
        },
        None => Behind::DidNotKeepUp,
    }
}

/// A least-squares line through `(x, y)`: (slope, sum of squared errors).
fn fit_line(xs: &[f64], ys: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let sse = xs
        .iter()
        .zip(ys)
        .map(|(x, y)| (y - (my + slope * (x - mx))).powi(2))
        .sum();
    (slope, sse)
}

fn piecewise_fit(points: &[MeasuredPoint], finite: &[usize], peak: f64) -> Option<(usize, Why)> {
    if finite.len() < 3 || peak <= 0.0 {
        return None;
    }
    let xs: Vec<f64> = finite
        .iter()
        .filter_map(|&i| points[i].load.value())
        .collect();
    let ys: Vec<f64> = finite
        .iter()
        .map(|&i| points[i].output_tokens_per_s)
        .collect();
    let n = xs.len();
    let mut best: Option<(usize, f64, f64, f64)> = None;
    for k in 1..n - 1 {
        let (rise, sse1) = fit_line(&xs[..=k], &ys[..=k]);
        let (tail, sse2) = fit_line(&xs[k..], &ys[k..]);
        let sse = sse1 + sse2;
        if best.is_none_or(|(_, s, _, _)| sse < s) {
            best = Some((k, sse, rise, tail));
        }
    }
    let (k, _, rise, tail) = best?;
    let share = ys[k] / peak;
    let accepted = rise > 0.0 && tail <= MAX_TAIL_SLOPE_RATIO * rise && share >= MIN_PEAK_FRACTION;
    accepted.then_some((finite[k], Why::Fit { rise, tail, share }))
}

/// Every latency the tool reported at this point, at `pct` (or the mean).
fn watched_latencies(
    p: &MeasuredPoint,
    pct: Percentile,
) -> [(&'static str, Option<(f64, Percentile)>); 5] {
    let at = |l: &Latency| {
        pct.of_or_mean_labeled(l)
            .filter(|(v, _)| *v >= MIN_WATCHED_LATENCY_MS)
    };
    [
        ("NTPOT", at(&p.ntpot)),
        ("TPOT", at(&p.tpot)),
        ("ITL", at(&p.itl)),
        ("E2E", at(&p.e2e)),
        ("TTFT", at(&p.ttft)),
    ]
}

/// What showed saturation at a point ([`first_saturation_event`]).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Event {
    Behind(Behind),
    Growth {
        name: &'static str,
        stat: Percentile,
        before: f64,
        now: f64,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Event::Behind(why) => write!(f, "at {why}"),
            Event::Growth {
                name,
                stat,
                before,
                now,
            } => write!(
                f,
                "{name} {stat} grows {:.1}x (from {before:.1} to {now:.1} ms) at the next load",
                now / before
            ),
        }
    }
}

/// The first point (index ≥ 1) at which the server shows saturation, and what showed it.
fn first_saturation_event(points: &[MeasuredPoint], pct: Percentile) -> Option<(usize, Event)> {
    for i in 1..points.len() {
        let p = &points[i];
        if let Some(why) = behind_reason(points, i) {
            return Some((i, Event::Behind(why)));
        }
        let prev = watched_latencies(&points[i - 1], pct);
        let cur = watched_latencies(p, pct);
        let load_growth = match (points[i - 1].load.value(), p.load.value()) {
            (Some(a), Some(b)) if a > 0.0 => b / a,
            _ => 1.0,
        };
        let threshold = MAX_LATENCY_GROWTH.max(load_growth);
        for ((name, before), (_, now)) in prev.iter().zip(cur.iter()) {
            if let (Some((b, stat)), Some((c, _))) = (before, now)
                && *c > threshold * b
            {
                let growth = Event::Growth {
                    name,
                    stat: *stat,
                    before: *b,
                    now: *c,
                };
                return Some((i, growth));
            }
        }
    }
    None
}

/// The last finite-load point (the curve has no saturation event), else the last point.
fn highest_stable(points: &[MeasuredPoint], finite: &[usize]) -> usize {
    let usable = first_falling_behind(points).unwrap_or(points.len());
    finite
        .iter()
        .rev()
        .find(|&&i| i < usable)
        .or(finite.last())
        .copied()
        .unwrap_or(points.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::{Latency, LatencyStats};

    fn point(load: Load, tput: f64, ttft: f64, ntpot: f64) -> MeasuredPoint {
        let mut p = MeasuredPoint::new(load, tput);
        p.ttft = Latency::from(LatencyStats {
            p50: Some(ttft),
            ..Default::default()
        });
        p.ntpot = Latency::from(LatencyStats {
            p50: Some(ntpot),
            ..Default::default()
        });
        p
    }

    fn rate_curve(data: &[(f64, f64, f64)]) -> Vec<MeasuredPoint> {
        data.iter()
            .map(|&(x, y, t)| point(Load::Rate(x), y, t, 10.0))
            .collect()
    }

    #[test]
    fn clean_saturation_is_found_by_the_fit() {
        let c = rate_curve(&[
            (1.0, 100.0, 30.0),
            (2.0, 200.0, 30.0),
            (3.0, 300.0, 31.0),
            (4.0, 320.0, 900.0),
            (5.0, 322.0, 2000.0),
        ]);
        let k = find_knee(&c, Percentile::P50).unwrap();
        assert_eq!((k.index, k.method), (2, KneeMethod::PiecewiseFit));
    }

    #[test]
    fn linear_curve_has_no_knee() {
        let c = rate_curve(&[
            (1.0, 100.0, 30.0),
            (2.0, 200.0, 31.0),
            (3.0, 300.0, 32.0),
            (4.0, 400.0, 33.0),
        ]);
        let k = find_knee(&c, Percentile::P50).unwrap();
        assert_eq!((k.index, k.method), (3, KneeMethod::NotObserved));
    }

    #[test]
    fn short_and_flat_curves_never_crash() {
        assert_eq!(find_knee(&[], Percentile::P50), None);
        let one = rate_curve(&[(1.0, 100.0, 30.0)]);
        assert_eq!(
            find_knee(&one, Percentile::P50).unwrap().method,
            KneeMethod::NotObserved
        );
        let two = rate_curve(&[(1.0, 100.0, 30.0), (2.0, 200.0, 30.0)]);
        let k = find_knee(&two, Percentile::P50).unwrap();
        assert_eq!((k.index, k.method), (1, KneeMethod::NotObserved));
        assert!(k.reason.contains("too few"));
        let flat = rate_curve(&[(1.0, 0.0, 30.0), (2.0, 0.0, 30.0), (3.0, 0.0, 30.0)]);
        assert_eq!(
            find_knee(&flat, Percentile::P50).unwrap().method,
            KneeMethod::NotObserved
        );
        let same_load = rate_curve(&[(1.0, 10.0, 30.0), (1.0, 12.0, 30.0), (1.0, 11.0, 30.0)]);
        assert!(find_knee(&same_load, Percentile::P50).is_some());
    }

    #[test]
    fn latency_doubling_triggers_the_rule_when_the_fit_fails() {
        // Throughput keeps rising (fit rejected), but TTFT jumps 5x at the unbounded point.
        let mut c = rate_curve(&[
            (2.0, 400.0, 60.0),
            (4.0, 790.0, 64.0),
            (8.0, 1480.0, 69.0),
            (16.0, 2430.0, 117.0),
        ]);
        c.push(point(Load::Unbounded, 3150.0, 6800.0, 10.0));
        let k = find_knee(&c, Percentile::P50).unwrap();
        assert_eq!((k.index, k.method), (3, KneeMethod::SaturationRule));
        assert!(k.reason.contains("TTFT"), "{}", k.reason);
    }

    #[test]
    fn achieved_rate_drop_triggers_the_rule() {
        let mut c = rate_curve(&[
            (10.0, 100.0, 30.0),
            (20.0, 180.0, 30.0),
            (30.0, 250.0, 30.0),
            (40.0, 330.0, 31.0),
        ]);
        c[3].set_achieved_rate(Some(33.0));
        let k = find_knee(&c, Percentile::P50).unwrap();
        assert_eq!((k.index, k.method), (2, KneeMethod::SaturationRule));
    }

    #[test]
    fn itl_blowup_without_tpot_puts_the_knee_before_it() {
        // SGLang without TPOT: throughput 537..4288 tok/s at rates 1..16, ITL 3.6x at rate 8.
        let rates = [1.0, 2.0, 4.0, 8.0, 16.0];
        let tput = [537.0, 987.0, 2048.0, 3515.0, 4288.0];
        let itl = [13.6, 14.8, 19.4, 70.8, 179.0];
        let ttft = [86.0, 88.0, 106.0, 191.0, 614.0];
        let c: Vec<MeasuredPoint> = (0..5)
            .map(|i| {
                let mut p = MeasuredPoint::new(Load::Rate(rates[i]), tput[i]);
                p.itl = Latency::from(LatencyStats {
                    p50: Some(itl[i]),
                    ..Default::default()
                });
                p.ttft = Latency::from(LatencyStats {
                    p50: Some(ttft[i]),
                    ..Default::default()
                });
                p
            })
            .collect();
        let k = find_knee(&c, Percentile::P50).unwrap();
        assert_eq!((k.index, k.method), (2, KneeMethod::SaturationRule));
        assert!(k.reason.contains("ITL"), "{}", k.reason);
    }

    #[test]
    fn unbounded_points_only_are_a_capacity_not_a_knee() {
        let c = vec![
            point(Load::Unbounded, 900.0, 500.0, 20.0),
            point(Load::Unbounded, 1200.0, 800.0, 25.0),
        ];
        let k = find_knee(&c, Percentile::P50).unwrap();
        assert_eq!((k.index, k.method), (1, KneeMethod::MaxThroughputOnly));
        assert!(!k.method.is_operable());
    }

    #[test]
    fn saturated_at_the_lowest_load_has_its_knee_below_the_range() {
        let mut c = rate_curve(&[
            (8.0, 800.0, 300.0),
            (16.0, 820.0, 900.0),
            (32.0, 830.0, 2000.0),
        ]);
        c[0].set_achieved_rate(Some(5.0));
        c[1].set_achieved_rate(Some(5.1));
        c[2].set_achieved_rate(Some(5.2));
        let k = find_knee(&c, Percentile::P50).unwrap();
        assert_eq!(k.method, KneeMethod::BelowRange);
        assert_eq!(k.index, 2, "the capacity reached is shown");
        assert!(
            k.reason.contains("below the measured range"),
            "{}",
            k.reason
        );
    }

    #[test]
    fn achieved_rate_from_completions_discounts_the_drain() {
        let mut p = MeasuredPoint::new(Load::Rate(4.0), 100.0);
        p.completed = Some(400);
        p.set_duration_s(Some(102.0));
        p.e2e = Latency::from(LatencyStats {
            mean: Some(2000.0),
            ..Default::default()
        });
        assert_eq!(achieved_rate(&p), Some(4.0));
        p.ttft = Latency::from(LatencyStats {
            mean: Some(50.0),
            ..Default::default()
        });
        let mut slow = p.clone();
        slow.load = Load::Rate(8.0);
        slow.set_duration_s(Some(102.0));
        assert!(!falls_behind(&[p.clone(), slow.clone()], 0));
        assert!(
            !falls_behind(&[p.clone(), slow.clone()], 1),
            "short but no queue: a long tail"
        );
        slow.ttft.set_mean(Some(400.0));
        assert!(falls_behind(&[p, slow], 1), "short and queueing");
    }

    #[test]
    fn a_throughput_collapse_ends_the_usable_curve() {
        // A real prefill/decode run: more concurrency, far less throughput.
        let c = |n: f64, out: f64, ttft: f64| point(Load::Concurrency(n), out, ttft, 20.0);
        let curve = [
            c(32.0, 2810.0, 900.0),
            c(64.0, 3615.0, 1400.0),
            c(128.0, 1465.0, 3464.0),
        ];
        assert!(!falls_behind(&curve, 1));
        assert!(falls_behind(&curve, 2), "41% of the peak before it");
        assert_eq!(first_falling_behind(&curve), Some(2));
        let plateau = [curve[0].clone(), curve[1].clone(), c(128.0, 3400.0, 3464.0)];
        assert!(!falls_behind(&plateau, 2), "94%: a plateau, not a collapse");
        let repeats = [curve[0].clone(), c(32.0, 2000.0, 900.0)];
        assert!(
            !falls_behind(&repeats, 1),
            "a repeat of one load is no collapse"
        );
    }

    #[test]
    fn one_load_that_failed_is_saturated_not_a_knee() {
        let mut only = point(Load::Rate(8.0), 624.0, 12639.0, 14.0);
        only.completed = Some(739);
        only.failed = Some(261);
        let k = find_knee(std::slice::from_ref(&only), Percentile::P50).unwrap();
        assert_eq!(k.method, KneeMethod::BelowRange, "{}", k.reason);
        only.failed = Some(0);
        let k = find_knee(&[only.clone(), only], Percentile::P50).unwrap();
        assert_eq!(k.method, KneeMethod::NotObserved, "repeats show no queue");
    }

    #[test]
    fn a_sent_rate_that_keeps_up_does_not_hide_completions_that_do_not() {
        // inference-perf: the generator sends at the requested rate whatever the server does.
        let stage = |rate: f64, completed: i64, ttft: f64| {
            let mut p = MeasuredPoint::new(Load::Rate(rate), 100.0);
            p.set_achieved_rate(Some(rate));
            p.completed = Some(completed);
            p.set_duration_s(Some(60.0));
            p.ttft = Latency::from(LatencyStats {
                mean: Some(ttft),
                ..Default::default()
            });
            p
        };
        let keeps_up = [stage(4.0, 240, 50.0), stage(8.0, 480, 60.0)];
        assert!(!falls_behind(&keeps_up, 1));
        let queues = [stage(4.0, 240, 50.0), stage(10.0, 177, 17_000.0)];
        assert!(
            falls_behind(&queues, 1),
            "completed 2.95 of 10 req/s, TTFT 340x"
        );
        let short_tail = [stage(4.0, 240, 50.0), stage(10.0, 177, 55.0)];
        assert!(
            !falls_behind(&short_tail, 1),
            "completions short without a queue: not confirmed"
        );
    }

    #[test]
    fn a_load_where_requests_fail_is_not_kept_up_with() {
        // llmperf: 179 of 200 requests failed at concurrency 20 (a real fork's summary).
        let c = |n: f64, out: f64, ttft: f64, failed: i64| {
            let mut p = point(Load::Concurrency(n), out, ttft, 20.0);
            p.completed = Some(200 - failed);
            p.failed = Some(failed);
            p
        };
        let curve = [
            c(5.0, 100.0, 300.0, 0),
            c(10.0, 170.0, 400.0, 0),
            c(15.0, 177.0, 500.0, 10),
            c(20.0, 48.6, 600.0, 179),
        ];
        assert!(!falls_behind(&curve, 2), "10 of 200 is within the share");
        assert!(falls_behind(&curve, 3));
        let k = find_knee(&curve, Percentile::P50).unwrap();
        assert_eq!(k.index, 2, "{}", k.reason);
        let (at, why) = first_saturation_event(&curve, Percentile::P50).unwrap();
        assert_eq!(
            (at, why.to_string().as_str()),
            (3, "at 179 of 200 requests failed (90%)")
        );
        assert_eq!(first_falling_behind(&curve), Some(3));
        // Failing from the lowest load on: below the measured range, never an operable knee.
        let failing_from_start = [c(5.0, 60.0, 300.0, 50), c(10.0, 70.0, 400.0, 90)];
        let k = find_knee(&failing_from_start, Percentile::P50).unwrap();
        assert_eq!(k.method, KneeMethod::BelowRange, "{}", k.reason);
        assert!(
            k.reason.contains("50 of 200 requests failed"),
            "{}",
            k.reason
        );
    }

    #[test]
    fn repeated_single_load_is_not_a_curve() {
        let c = rate_curve(&[(4.0, 400.0, 30.0), (4.0, 410.0, 31.0)]);
        let k = find_knee(&c, Percentile::P50).unwrap();
        assert_eq!(k.method, KneeMethod::NotObserved);
        assert!(k.reason.contains("distinct"), "{}", k.reason);
    }

    proptest::proptest! {
        #[test]
        fn any_curve_gets_a_knee_inside_it(
            steps in proptest::collection::vec((0.0f64..20.0, 0.0f64..1e5, 0.0f64..1e4, proptest::option::of(0.0f64..200.0)), 1..40),
            unbounded_tail in proptest::bool::ANY,
        ) {
            let mut load = 0.0;
            let mut c: Vec<MeasuredPoint> = steps.iter().map(|&(dx, y, t, achieved)| {
                load += dx;
                let mut p = point(Load::Rate(load), y, t, t / 10.0);
                p.set_achieved_rate(achieved);
                p
            }).collect();
            if unbounded_tail {
                c.push(point(Load::Unbounded, 1e5, 1e4, 1e3));
            }
            let k = find_knee(&c, Percentile::P50).unwrap();
            proptest::prop_assert!(k.index < c.len());
            proptest::prop_assert!(!k.reason.is_empty());
        }
    }
}
