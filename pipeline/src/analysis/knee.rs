//! The inflection point (knee) of a latency–throughput curve: where throughput stops rising while
//! latency starts to climb. Deterministic, and the same rules are stated on the site's
//! methodology page.
//!
//! Method, in order:
//! 1. **Two-segment fit.** Over the points with a finite load (rate or concurrency), sorted by
//!    load, try every interior point `k` as the break: fit one least-squares line of output
//!    throughput vs load through points `0..=k` and another through `k..n`, and keep the `k` with
//!    the smallest total squared error (ties: the lower load). Accept it only if the tail slope is
//!    at most a quarter of the rising slope, the rising slope is positive, and the throughput at
//!    `k` is at least 85% of the curve's peak (the peak includes an unbounded-load point, which
//!    is the server's ceiling). Needs at least 3 finite points.
//! 2. **Saturation rule** (when the fit is not accepted). Walk the points in load order (an
//!    unbounded point last) and stop at the first *saturation event*: the achieved rate falls
//!    below 92% of the requested rate (only for tools that report the rate they actually sent),
//!    or a latency more than doubles from the previous point (NTPOT and TTFT; TPOT stands in for
//!    NTPOT when the tool has no NTPOT). The knee is the point before the event.
//! 3. **No knee observed** when neither applies (too few points, or no saturation within the
//!    measured range): the curve's highest stable point stands in, and the result says so.

use super::percentile::Percentile;
use crate::point::{Load, MeasuredPoint};

/// How a knee was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KneeMethod {
    PiecewiseFit,
    SaturationRule,
    NotObserved,
}

impl KneeMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            KneeMethod::PiecewiseFit => "piecewise-linear-fit",
            KneeMethod::SaturationRule => "saturation-rule",
            KneeMethod::NotObserved => "no-knee-observed",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Knee {
    /// Index into the curve's points (sorted by load).
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
/// A latency growing by more than this factor between adjacent points is a saturation event.
pub const MAX_LATENCY_GROWTH: f64 = 2.0;

/// Finds the knee of a curve whose points are sorted by load (unbounded last). `None` only for
/// an empty curve.
pub fn find_knee(points: &[MeasuredPoint], pct: Percentile) -> Option<Knee> {
    if points.is_empty() {
        return None;
    }
    let finite: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].load.value().is_some())
        .collect();
    let peak = points
        .iter()
        .map(|p| p.output_tokens_per_s)
        .fold(0.0_f64, f64::max);
    if let Some(knee) = piecewise_fit(points, &finite, peak) {
        return Some(knee);
    }
    let event = first_saturation_event(points, pct);
    Some(match event {
        Some((i, why)) => Knee {
            index: i - 1,
            method: KneeMethod::SaturationRule,
            reason: format!("last point before saturation: {why}"),
        },
        None => Knee {
            index: highest_stable(points, &finite),
            method: KneeMethod::NotObserved,
            reason: if finite.len() < 3 {
                format!(
                    "no knee observed: {} point(s) with a finite load, too few to locate one; highest measured point shown",
                    finite.len()
                )
            } else {
                "no knee observed: throughput still rising and latency stable over the measured range; highest measured point shown".to_string()
            },
        },
    })
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

fn piecewise_fit(points: &[MeasuredPoint], finite: &[usize], peak: f64) -> Option<Knee> {
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
    accepted.then(|| Knee {
        index: finite[k],
        method: KneeMethod::PiecewiseFit,
        reason: format!(
            "two-segment fit: throughput rises {rise:.1} tokens/s per unit of load up to here, then {tail:.1} (ratio {:.2}); {:.0}% of peak throughput",
            tail / rise,
            share * 100.0
        ),
    })
}

/// The latencies watched for doubling: NTPOT (or TPOT when NTPOT is unknown) and TTFT.
fn watched_latencies(
    p: &MeasuredPoint,
    pct: Percentile,
) -> [(&'static str, Option<(f64, Percentile)>); 2] {
    let decode = match pct.of_or_mean_labeled(&p.ntpot) {
        Some(v) => ("NTPOT", Some(v)),
        None => ("TPOT", pct.of_or_mean_labeled(&p.tpot)),
    };
    [decode, ("TTFT", pct.of_or_mean_labeled(&p.ttft))]
}

/// The first point (index ≥ 1) at which the server shows saturation, with a description.
fn first_saturation_event(points: &[MeasuredPoint], pct: Percentile) -> Option<(usize, String)> {
    for i in 1..points.len() {
        let p = &points[i];
        if let (Load::Rate(requested), Some(achieved)) = (p.load, p.achieved_rate)
            && requested > 0.0
            && achieved / requested < MIN_ACHIEVED_RATIO
        {
            return Some((
                i,
                format!(
                    "at {requested} req/s requested only {achieved:.2} req/s were sent ({:.0}%)",
                    100.0 * achieved / requested
                ),
            ));
        }
        let prev = watched_latencies(&points[i - 1], pct);
        let cur = watched_latencies(p, pct);
        for ((name, before), (_, now)) in prev.iter().zip(cur.iter()) {
            if let (Some((b, stat)), Some((c, _))) = (before, now)
                && *b > 0.0
                && *c > MAX_LATENCY_GROWTH * b
            {
                return Some((
                    i,
                    format!(
                        "{name} {stat} grows {:.1}x (from {b:.1} to {c:.1} ms) at the next load",
                        c / b
                    ),
                ));
            }
        }
    }
    None
}

/// The last finite-load point (the curve has no saturation event), else the last point.
fn highest_stable(points: &[MeasuredPoint], finite: &[usize]) -> usize {
    finite.last().copied().unwrap_or(points.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::Latency;

    fn point(load: Load, tput: f64, ttft: f64, ntpot: f64) -> MeasuredPoint {
        let mut p = MeasuredPoint::new(load, tput);
        p.ttft = Latency {
            p50: Some(ttft),
            ..Default::default()
        };
        p.ntpot = Latency {
            p50: Some(ntpot),
            ..Default::default()
        };
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
        c[3].achieved_rate = Some(33.0);
        let k = find_knee(&c, Percentile::P50).unwrap();
        assert_eq!((k.index, k.method), (2, KneeMethod::SaturationRule));
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
                p.achieved_rate = achieved;
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
