//! Latency charts as SVG, laid out here (scales, ticks, paths) and drawn by
//! `templates/charts/line.svg.j2`. Our own layout rather than a chart crate because the pages
//! move the target band in the browser, which needs the y scale published on the SVG element,
//! and because the text needs no font metrics. Coordinates are rounded to 0.1 px so output is
//! byte-stable.

use serde::Serialize;

/// Colors for series, readable on white and distinct for the first eight.
pub const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub color: String,
    /// (x, y) in data units; points with y <= 0 are skipped on a log axis.
    pub points: Vec<(f64, f64)>,
    /// A link for the legend entry (profile page), if any.
    pub href: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Marker {
    pub x: f64,
    pub y: f64,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct ChartSpec {
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// A target on the y axis: the band below it is shaded.
    pub target: Option<f64>,
    /// Draw a legend inside the plot; overlays with many series list them in a table instead.
    pub legend: bool,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 380.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 50.0;
/// Above this many points per series, markers are left out so lines stay readable.
const MAX_MARKED_POINTS: usize = 20;

#[derive(Serialize)]
struct Tick {
    pos: f64,
    label: String,
}

#[derive(Serialize)]
struct SeriesView {
    name: String,
    legend: String,
    color: String,
    path: String,
    dots: Vec<(f64, f64)>,
    href: Option<String>,
    legend_y: f64,
}

#[derive(Serialize)]
pub struct ChartView {
    id: String,
    title: String,
    x_label: String,
    y_label: String,
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x_ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
    series: Vec<SeriesView>,
    markers: Vec<(f64, f64, String)>,
    /// log10 of the y range, published for the page script.
    y_log_min: f64,
    y_log_max: f64,
    band_top: Option<f64>,
    target: Option<f64>,
    legend: bool,
    empty: bool,
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// "Nice" linear ticks (1, 2, 5 × 10^n) covering [0, max].
fn linear_ticks(max: f64) -> (f64, Vec<f64>) {
    let max = if max > 0.0 && max.is_finite() {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| max / s <= 6.0)
        .unwrap_or(10.0 * mag);
    let top = (max / step).ceil() * step;
    let n = (top / step).round() as usize;
    (top, (0..=n).map(|i| i as f64 * step).collect())
}

/// Decade bounds and ticks at 1, 2, 5 × 10^n for a log axis over [min, max].
fn log_ticks(min: f64, max: f64) -> (f64, f64, Vec<f64>) {
    let lo = min.log10().floor();
    let hi = max.log10().ceil().max(lo + 1.0);
    let mut ticks = Vec::new();
    let decades = (hi - lo) as i32;
    for d in 0..=decades {
        let base = 10f64.powf(lo + d as f64);
        for m in [1.0, 2.0, 5.0] {
            let v = base * m;
            if v.log10() <= hi + 1e-9 && (decades <= 3 || m == 1.0) {
                ticks.push(v);
            }
        }
    }
    (lo, hi, ticks)
}

fn fmt_tick(v: f64) -> String {
    if v >= 1000.0 {
        let k = v / 1000.0;
        if k.fract() == 0.0 {
            format!("{k:.0}k")
        } else {
            format!("{k:.1}k")
        }
    } else if v >= 1.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

/// A legend entry short enough for the legend column.
fn legend_text(name: &str) -> String {
    if name.chars().count() <= 30 {
        name.to_string()
    } else {
        name.chars().take(29).collect::<String>() + "…"
    }
}

/// Lays out a chart with a linear x axis from 0 and a log y axis (latencies span decades).
pub fn layout(spec: &ChartSpec) -> ChartView {
    let all: Vec<(f64, f64)> = spec.series.iter().flat_map(usable).collect();
    let empty = all.is_empty();
    let axes = Axes::fit(&all, spec.target);
    let ticks = |values: Vec<f64>, pos: &dyn Fn(f64) -> f64| -> Vec<Tick> {
        values
            .into_iter()
            .map(|v| Tick {
                pos: pos(v),
                label: fmt_tick(v),
            })
            .collect()
    };
    ChartView {
        id: spec.id.clone(),
        title: spec.title.clone(),
        x_label: spec.x_label.clone(),
        y_label: spec.y_label.clone(),
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        x_ticks: ticks(axes.x_ticks.clone(), &|v| axes.px(v)),
        y_ticks: ticks(axes.y_ticks.clone(), &|v| axes.py(v)),
        series: spec
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| series_view(s, i, &axes))
            .collect(),
        markers: spec
            .markers
            .iter()
            .filter(|m| m.x.is_finite() && m.y > 0.0 && !empty)
            .map(|m| (axes.px(m.x), axes.py(m.y), m.label.clone()))
            .collect(),
        y_log_min: axes.lo,
        y_log_max: axes.hi,
        band_top: spec
            .target
            .filter(|t| *t > 0.0 && !empty)
            .map(|t| axes.py(t).max(TOP)),
        target: spec.target,
        legend: spec.legend,
        empty,
    }
}

/// A series' points that can be drawn: finite, x ≥ 0, y > 0 (the y axis is logarithmic).
fn usable(s: &Series) -> Vec<(f64, f64)> {
    s.points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && *x >= 0.0 && y.is_finite() && *y > 0.0)
        .collect()
}

/// The axes' ranges and ticks: x linear from 0, y logarithmic over the data and the target.
struct Axes {
    x_top: f64,
    x_ticks: Vec<f64>,
    lo: f64,
    hi: f64,
    y_ticks: Vec<f64>,
}

impl Axes {
    fn fit(all: &[(f64, f64)], target: Option<f64>) -> Self {
        let x_max_data = all.iter().map(|p| p.0).fold(0.0, f64::max);
        let mut y_values: Vec<f64> = all.iter().map(|p| p.1).collect();
        y_values.extend(target.filter(|t| *t > 0.0));
        let y_min = y_values.iter().copied().fold(f64::INFINITY, f64::min);
        let y_max = y_values.iter().copied().fold(0.0, f64::max);
        let (x_top, x_ticks) = linear_ticks(x_max_data * 1.05);
        let (lo, hi, y_ticks) = if all.is_empty() {
            (0.0, 1.0, vec![1.0, 10.0])
        } else {
            log_ticks(y_min, y_max)
        };
        Self {
            x_top,
            x_ticks,
            lo,
            hi,
            y_ticks,
        }
    }

    fn px(&self, x: f64) -> f64 {
        round1(LEFT + x / self.x_top * (WIDTH - LEFT - RIGHT))
    }

    fn py(&self, y: f64) -> f64 {
        let plot_h = HEIGHT - TOP - BOTTOM;
        round1(TOP + plot_h - (y.log10() - self.lo) / (self.hi - self.lo) * plot_h)
    }
}

/// One series as an SVG path, its dots (when few enough to mark) and its legend entry.
fn series_view(s: &Series, i: usize, axes: &Axes) -> SeriesView {
    let pts: Vec<(f64, f64)> = usable(s)
        .into_iter()
        .map(|(x, y)| (axes.px(x), axes.py(y)))
        .collect();
    let path = pts
        .iter()
        .enumerate()
        .map(|(j, (x, y))| format!("{}{x:.1},{y:.1}", if j == 0 { "M" } else { " L" }))
        .collect::<String>();
    let dots = if pts.len() <= MAX_MARKED_POINTS {
        pts
    } else {
        Vec::new()
    };
    SeriesView {
        name: s.name.clone(),
        legend: legend_text(&s.name),
        color: s.color.clone(),
        path,
        dots,
        href: s.href.clone(),
        legend_y: round1(TOP + 14.0 + 16.0 * i as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(points: Vec<(f64, f64)>) -> ChartSpec {
        ChartSpec {
            id: "c".into(),
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![Series {
                name: "s".into(),
                color: PALETTE[0].into(),
                points,
                href: None,
            }],
            markers: vec![],
            target: Some(20.0),
            legend: true,
        }
    }

    #[test]
    fn ticks_are_nice() {
        assert_eq!(linear_ticks(9.5).1, vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let (lo, hi, t) = log_ticks(7.0, 300.0);
        assert_eq!((lo, hi), (0.0, 3.0));
        assert_eq!(t[..4], [1.0, 2.0, 5.0, 10.0]);
        // Over more than three decades only the powers of ten are labelled.
        assert_eq!(
            log_ticks(0.04, 3000.0).2,
            vec![0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0]
        );
        assert_eq!(fmt_tick(2000.0), "2k");
    }

    #[test]
    fn two_and_fifty_points_lay_out_inside_the_plot() {
        for n in [2usize, 50] {
            let pts: Vec<(f64, f64)> = (1..=n)
                .map(|i| (i as f64 * 100.0, 10.0 + i as f64))
                .collect();
            let v = layout(&spec(pts));
            assert!(!v.empty);
            let s = &v.series[0];
            assert_eq!(s.dots.len(), if n <= MAX_MARKED_POINTS { n } else { 0 });
            assert!(v.band_top.unwrap() >= TOP);
        }
    }

    #[test]
    fn no_data_is_an_empty_chart_not_a_crash() {
        assert!(layout(&spec(vec![])).empty);
        assert!(layout(&spec(vec![(f64::NAN, 1.0), (1.0, 0.0)])).empty);
    }
}
