//! Which statistic of a latency distribution a target or a summary refers to (`--percentile`).

use crate::point::Latency;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Percentile {
    Mean,
    #[default]
    P50,
    P90,
    P99,
}

impl Percentile {
    pub fn of(self, l: &Latency) -> Option<f64> {
        match self {
            Percentile::Mean => l.mean(),
            Percentile::P50 => l.p50(),
            Percentile::P90 => l.p90(),
            Percentile::P99 => l.p99(),
        }
    }

    /// The statistic, or the mean when only the mean was reported (nightly rows, for one).
    /// Used for describing curves, never for deciding whether a target holds.
    pub fn of_or_mean(self, l: &Latency) -> Option<f64> {
        self.of_or_mean_labeled(l).map(|(v, _)| v)
    }

    /// Like [`Percentile::of_or_mean`], also saying which statistic the value is.
    pub fn of_or_mean_labeled(self, l: &Latency) -> Option<(f64, Percentile)> {
        self.of(l)
            .map(|v| (v, self))
            .or(l.mean().map(|v| (v, Percentile::Mean)))
    }

    /// The statistic a curve is described with: this one if any point reports it for TTFT or
    /// NTPOT, else the mean (some tools report means only).
    pub fn for_curve(self, points: &[crate::point::MeasuredPoint]) -> Percentile {
        let reported = points
            .iter()
            .any(|p| self.of(&p.ttft).is_some() || self.of(&p.ntpot).is_some());
        if reported { self } else { Percentile::Mean }
    }
}

impl fmt::Display for Percentile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Percentile::Mean => "mean",
            Percentile::P50 => "p50",
            Percentile::P90 => "p90",
            Percentile::P99 => "p99",
        })
    }
}

impl FromStr for Percentile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mean" => Ok(Percentile::Mean),
            "p50" | "50" | "median" => Ok(Percentile::P50),
            "p90" | "90" => Ok(Percentile::P90),
            "p99" | "99" => Ok(Percentile::P99),
            other => Err(format!(
                "unknown percentile `{other}` (expected mean, p50, p90 or p99)"
            )),
        }
    }
}
