//! The operating point under latency targets: the largest load at which every target holds,
//! found by linear (hence monotone) interpolation between the last passing and the first failing
//! measured point, and never beyond the measured range.
//!
//! Rules: points are taken in load order (an unbounded point last). A point passes when every
//! target's metric is known and at or below the target. The operating point lies between the
//! last point of the first run of passing points and the next point; a later point that passes
//! again (noise past saturation) is not trusted. A metric unknown at the failing point stops the
//! interpolation at the passing point. Between a finite load and an unbounded one nothing is
//! interpolated: the passing point itself is the operating point. Points from the first one that
//! does not keep up with its load on (see [`super::knee::falls_behind`]) are never used,
//! neither as operating points nor to interpolate towards. No passing point: the profile does
//! not qualify.

use super::percentile::Percentile;
use crate::point::{Latency, LatencyStats, Load, MeasuredPoint, ServerMetrics};

/// One latency of a measured point.
pub type LatencyOf = fn(&MeasuredPoint) -> &Latency;

/// Latency targets in milliseconds; `None` means no target on that metric.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Targets {
    pub ntpot_ms: Option<f64>,
    pub ttft_ms: Option<f64>,
    pub itl_ms: Option<f64>,
}

impl Targets {
    pub fn is_empty(&self) -> bool {
        self.ntpot_ms.is_none() && self.ttft_ms.is_none() && self.itl_ms.is_none()
    }

    /// Each target given: the metric's name, the metric, and the target in ms.
    pub fn checks(&self) -> impl Iterator<Item = (&'static str, LatencyOf, f64)> {
        let ntpot: LatencyOf = |p| &p.ntpot;
        let ttft: LatencyOf = |p| &p.ttft;
        let itl: LatencyOf = |p| &p.itl;
        [
            ("NTPOT", ntpot, self.ntpot_ms),
            ("TTFT", ttft, self.ttft_ms),
            ("ITL", itl, self.itl_ms),
        ]
        .into_iter()
        .filter_map(|(name, metric, target)| target.map(|t| (name, metric, t)))
    }

    /// Whether every target holds at this point (unknown metrics fail).
    pub fn met_by(&self, p: &MeasuredPoint, pct: Percentile) -> bool {
        self.checks()
            .all(|(_, metric, t)| pct.of(metric(p)).is_some_and(|v| v <= t))
    }
}

/// An interpolated point on the curve, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatingPoint {
    pub point: MeasuredPoint,
    /// Index of the last passing measured point.
    pub passing: usize,
    /// Index of the first failing measured point, if any.
    pub failing: Option<usize>,
    /// Position between them, 0 = at the passing point, 1 = at the failing one.
    pub fraction: f64,
}

/// The operating point of a curve sorted by load, or `None` if no measured point meets the
/// targets. With no targets at all, every point passes and the last one is returned.
pub fn operating_point(
    points: &[MeasuredPoint],
    targets: &Targets,
    pct: Percentile,
) -> Option<OperatingPoint> {
    let keeping_up = super::knee::first_falling_behind(points).unwrap_or(points.len());
    let points = &points[..keeping_up];
    let first_fail = points.iter().position(|p| !targets.met_by(p, pct));
    let passing = match first_fail {
        Some(0) => return None,
        Some(f) => f - 1,
        None => points.len().checked_sub(1)?,
    };
    let Some(failing) = first_fail else {
        return Some(OperatingPoint {
            point: points[passing].clone(),
            passing,
            failing: None,
            fraction: 0.0,
        });
    };
    let (a, b) = (&points[passing], &points[failing]);
    let fraction = if b.load.value().is_none() {
        0.0
    } else {
        largest_fraction(a, b, targets, pct)
    };
    Some(OperatingPoint {
        point: lerp_point(a, b, fraction),
        passing,
        failing: Some(failing),
        fraction,
    })
}

/// How far from `a` towards `b` every target still holds, assuming each metric moves linearly.
fn largest_fraction(
    a: &MeasuredPoint,
    b: &MeasuredPoint,
    targets: &Targets,
    pct: Percentile,
) -> f64 {
    targets
        .checks()
        .map(
            |(_, metric, t)| match (pct.of(metric(a)), pct.of(metric(b))) {
                (Some(va), Some(vb)) if vb > t => ((t - va) / (vb - va)).clamp(0.0, 1.0),
                (Some(_), Some(_)) => 1.0,
                _ => 0.0,
            },
        )
        .fold(1.0, f64::min)
}

fn lerp(a: f64, b: f64, t: f64) -> f64 {
    a + t * (b - a)
}

fn lerp_opt(a: Option<f64>, b: Option<f64>, t: f64) -> Option<f64> {
    match (a, b) {
        _ if t == 0.0 => a,
        _ if t == 1.0 => b,
        (Some(x), Some(y)) => Some(lerp(x, y, t)),
        _ => None,
    }
}

fn lerp_latency(a: &Latency, b: &Latency, t: f64) -> Latency {
    Latency::from(LatencyStats {
        mean: lerp_opt(a.mean(), b.mean(), t),
        p50: lerp_opt(a.p50(), b.p50(), t),
        p90: lerp_opt(a.p90(), b.p90(), t),
        p99: lerp_opt(a.p99(), b.p99(), t),
    })
}

/// The point a fraction `t` of the way from `a` to `b` (both finite loads of one kind, or t = 0).
fn lerp_point(a: &MeasuredPoint, b: &MeasuredPoint, t: f64) -> MeasuredPoint {
    if t == 0.0 {
        return a.clone();
    }
    let load = match (a.load, b.load) {
        (Load::Rate(x), Load::Rate(y)) => Load::Rate(lerp(x, y, t)),
        (Load::Concurrency(x), Load::Concurrency(y)) => Load::Concurrency(lerp(x, y, t)),
        _ => return a.clone(),
    };
    // Only what can be interpolated: the label, duration and counts describe one run.
    let mut p = MeasuredPoint::new(load, lerp(a.output_tokens_per_s, b.output_tokens_per_s, t));
    p.set_achieved_rate(lerp_opt(a.achieved_rate(), b.achieved_rate(), t));
    p.set_requests_per_s(lerp_opt(a.requests_per_s(), b.requests_per_s(), t));
    p.set_input_tokens_per_s(lerp_opt(a.input_tokens_per_s(), b.input_tokens_per_s(), t));
    p.set_total_tokens_per_s(lerp_opt(a.total_tokens_per_s(), b.total_tokens_per_s(), t));
    p.set_mean_input_tokens(lerp_opt(a.mean_input_tokens(), b.mean_input_tokens(), t));
    p.set_mean_output_tokens(lerp_opt(a.mean_output_tokens(), b.mean_output_tokens(), t));
    p.ttft = lerp_latency(&a.ttft, &b.ttft, t);
    p.ntpot = lerp_latency(&a.ntpot, &b.ntpot, t);
    p.tpot = lerp_latency(&a.tpot, &b.tpot, t);
    p.itl = lerp_latency(&a.itl, &b.itl, t);
    p.e2e = lerp_latency(&a.e2e, &b.e2e, t);
    let lerp_server =
        |m: fn(&ServerMetrics) -> Option<f64>| lerp_opt(m(&a.server), m(&b.server), t);
    p.server = ServerMetrics::new(
        lerp_server(ServerMetrics::queue_len_mean),
        lerp_server(ServerMetrics::running_mean),
        lerp_server(ServerMetrics::kv_cache_usage_mean),
    );
    p.workload = a.workload.clone();
    p.topology = a.topology;
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pt(load: f64, tput: f64, ntpot: f64) -> MeasuredPoint {
        let mut p = MeasuredPoint::new(Load::Rate(load), tput);
        p.ntpot = Latency::from(LatencyStats {
            p50: Some(ntpot),
            ..Default::default()
        });
        p.ttft = Latency::from(LatencyStats {
            p50: Some(ntpot * 3.0),
            ..Default::default()
        });
        p
    }

    fn curve() -> Vec<MeasuredPoint> {
        vec![
            pt(1.0, 100.0, 10.0),
            pt(2.0, 200.0, 12.0),
            pt(4.0, 380.0, 20.0),
            pt(8.0, 400.0, 60.0),
        ]
    }

    fn ntpot(t: f64) -> Targets {
        Targets {
            ntpot_ms: Some(t),
            ..Default::default()
        }
    }

    #[test]
    fn exact_at_measured_points() {
        let op = operating_point(&curve(), &ntpot(20.0), Percentile::P50).unwrap();
        assert_eq!(op.point.load, Load::Rate(4.0));
        assert_eq!(op.fraction, 0.0);
        assert_eq!(op.point.output_tokens_per_s, 380.0);
    }

    #[test]
    fn interpolates_between_passing_and_failing() {
        let op = operating_point(&curve(), &ntpot(16.0), Percentile::P50).unwrap();
        assert_eq!((op.passing, op.failing), (1, Some(2)));
        assert_eq!(op.fraction, 0.5);
        assert_eq!(op.point.load, Load::Rate(3.0));
        assert_eq!(op.point.output_tokens_per_s, 290.0);
        assert_eq!(op.point.ntpot.p50(), Some(16.0));
    }

    #[test]
    fn the_tightest_target_wins() {
        let t = Targets {
            ntpot_ms: Some(16.0),
            ttft_ms: Some(39.0),
            itl_ms: None,
        };
        let op = operating_point(&curve(), &t, Percentile::P50).unwrap();
        // NTPOT allows half way from 2 to 4; TTFT (36 -> 60) only 1/8 of the way.
        assert_eq!(op.fraction, 0.125);
        assert!(op.point.ttft.p50().unwrap() <= 39.0);
    }

    #[test]
    fn none_outside_the_measured_range() {
        assert_eq!(
            operating_point(&curve(), &ntpot(5.0), Percentile::P50),
            None
        );
        let op = operating_point(&curve(), &ntpot(1000.0), Percentile::P50).unwrap();
        assert_eq!(
            op.point.load,
            Load::Rate(8.0),
            "never beyond the last point"
        );
        assert_eq!(op.failing, None);
    }

    #[test]
    fn unknown_metric_does_not_qualify() {
        let t = Targets {
            itl_ms: Some(100.0),
            ..Default::default()
        };
        assert_eq!(operating_point(&curve(), &t, Percentile::P50), None);
        assert_eq!(
            operating_point(&curve(), &ntpot(16.0), Percentile::P99),
            None
        );
    }

    #[test]
    fn nothing_is_interpolated_towards_an_unbounded_load() {
        let mut c = curve();
        let mut inf = pt(0.0, 500.0, 200.0);
        inf.load = Load::Unbounded;
        c.push(inf);
        let op = operating_point(&c, &ntpot(100.0), Percentile::P50).unwrap();
        assert_eq!(op.point.load, Load::Rate(8.0));
        assert_eq!(op.fraction, 0.0);
    }

    fn arb_curve() -> impl Strategy<Value = Vec<MeasuredPoint>> {
        proptest::collection::vec((0.1f64..50.0, 0.0f64..5000.0, 0.1f64..500.0), 1..12).prop_map(
            |steps| {
                let mut load = 0.0;
                steps
                    .into_iter()
                    .map(|(dx, tput, lat)| {
                        load += dx;
                        pt(load, tput, lat)
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #[test]
        fn operating_point_is_measured_range_and_meets_targets(c in arb_curve(), t in 0.1f64..600.0, use_ttft in any::<bool>()) {
            let targets = if use_ttft {
                Targets { ntpot_ms: Some(t), ttft_ms: Some(t * 2.0), itl_ms: None }
            } else {
                ntpot(t)
            };
            match operating_point(&c, &targets, Percentile::P50) {
                None => prop_assert!(!targets.met_by(&c[0], Percentile::P50)),
                Some(op) => {
                    let x = op.point.load.value().unwrap();
                    let lo = c[0].load.value().unwrap();
                    let hi = c.last().unwrap().load.value().unwrap();
                    prop_assert!(x >= lo - 1e-9 && x <= hi + 1e-9);
                    prop_assert!(op.point.ntpot.p50().unwrap() <= t + 1e-9);
                    if use_ttft {
                        prop_assert!(op.point.ttft.p50().unwrap() <= t * 2.0 + 1e-9);
                    }
                    let a = &c[op.passing];
                    prop_assert!(targets.met_by(a, Percentile::P50));
                    if let Some(f) = op.failing {
                        prop_assert_eq!(f, op.passing + 1);
                        let (xa, xb) = (a.load.value().unwrap(), c[f].load.value().unwrap());
                        prop_assert!(x >= xa - 1e-9 && x <= xb + 1e-9, "between its neighbours");
                    }
                }
            }
        }
    }
}
