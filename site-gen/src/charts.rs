//! Latency charts as SVG, laid out here (scales, ticks, paths, legend, label positions) and
//! written as markup by [`svg`]. Our own layout rather than a chart crate because the
//! pages move the target bands in the browser, which needs the y scale published on the SVG
//! element, and because labels are placed so that no two overlap (text widths are estimated
//! from the font size; no font metrics needed). Coordinates are rounded to 0.1 px so output is
//! byte-stable.

mod svg;

/// Series colours: the Okabe–Ito palette (distinguishable with the common colour-vision
/// deficiencies) without its black, which the knee and Pareto rings use, and its yellow, too
/// pale on white; Tol's indigo and wine fill the last two. None is the grey of the bands.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#332288", "#882255",
];

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub color: String,
    /// (x, y) in data units; points with y <= 0 are skipped on a log axis.
    pub points: Vec<(f64, f64)>,
    /// A link for the legend entry (profile page), if any.
    pub href: Option<String>,
    /// Index in `points` from which points lie beyond the knee (drawn hollow).
    pub beyond_from: Option<usize>,
    /// The profile id a page script highlights the series by, if any.
    pub key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Marker {
    pub x: f64,
    pub y: f64,
    pub label: String,
    /// A link on the marker (a Pareto-best point opens its profile), if any.
    pub href: Option<String>,
}

/// A latency target on the y axis: the area below it is shaded and labelled. `value: None`
/// draws it hidden, for the page script to place.
#[derive(Debug, Clone)]
pub struct Band {
    /// `ntpot`, `ttft` or `itl`: what the page script matches a target to.
    pub metric: String,
    /// The metric as readers know it (`NTPOT`).
    pub name: String,
    pub value: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct ChartSpec {
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    pub bands: Vec<Band>,
    /// A lower bound on the x axis (per-user speed): the area right of it is shaded. Hidden
    /// until the page script sets it.
    pub x_band: Option<String>,
    /// A line under the legend saying what the marks mean.
    pub note: Option<String>,
}

/// The note for charts that split curves at their knees.
pub const KNEE_NOTE: &str =
    "Filled dots: up to the knee; hollow dots: beyond it. Circled: the knee.";

/// [`KNEE_NOTE`] for a chart where some curve shows no knee and is marked at its highest point.
pub const KNEE_OR_HIGHEST_NOTE: &str =
    "Filled dots: up to the knee (or highest point); hollow dots: beyond it. Circled: that point.";

const WIDTH: f64 = 720.0;
const PLOT_HEIGHT: f64 = 380.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 50.0;
/// Above this many points per series, markers are left out so lines stay readable.
const MAX_MARKED_POINTS: usize = 20;
/// The y axis spans at most this many decades below its top: a metric far below the others
/// (ITL of 0.04 ms beside TTFT of seconds) is left to the table instead of flattening the chart.
const MAX_DECADES: f64 = 4.0;
/// Legend below the plot: two columns of this width, rows this tall, at most this many rows.
const LEGEND_COLUMN: f64 = 325.0;
const LEGEND_ROW: f64 = 18.0;
pub(crate) const MAX_LEGEND_ENTRIES: usize = 24;
/// Text box estimates for 11 px labels.
const CHAR_WIDTH: f64 = 6.4;
const TEXT_HEIGHT: f64 = 12.0;

struct Tick {
    pos: f64,
    label: String,
}

/// SVG path data, written in place: coordinates with one decimal at most, none when whole.
#[derive(Default)]
struct PathData(String);

impl PathData {
    /// Numbers after a command letter: a space between two, none before a minus sign (as
    /// written: a value that rounds to zero is written without one).
    fn numbers(&mut self, values: &[f64]) -> &mut Self {
        for (i, v) in values.iter().enumerate() {
            let start = self.0.len();
            crate::format::push_trimmed(&mut self.0, *v, 1);
            if i > 0 && !self.0[start..].starts_with('-') {
                self.0.insert(start, ' ');
            }
        }
        self
    }

    /// A line through `points`: the first absolute, then each as the step from the one
    /// before (`M164 233l94-6 94-9`), which takes about half the characters.
    fn line_through(&mut self, points: &[(f64, f64)]) -> &mut Self {
        let mut steps = Vec::with_capacity(points.len().saturating_sub(1) * 2);
        for pair in points.windows(2) {
            steps.extend([pair[1].0 - pair[0].0, pair[1].1 - pair[0].1]);
        }
        if let Some((x, y)) = points.first() {
            self.command('M', &[*x, *y]);
        }
        if !steps.is_empty() {
            self.0.push('l');
            self.numbers(&steps);
        }
        self
    }

    /// A command letter followed by coordinates, space-separated (`M163.6 232.9`).
    fn command(&mut self, letter: char, coords: &[f64]) -> &mut Self {
        self.0.push(letter);
        for (i, v) in coords.iter().enumerate() {
            if i > 0 {
                self.0.push(' ');
            }
            crate::format::push_trimmed(&mut self.0, *v, 1);
        }
        self
    }

    /// Literal path text (`h0`, `v5`).
    fn raw(&mut self, text: &str) -> &mut Self {
        self.0.push_str(text);
        self
    }
}

/// Round dots as zero-length path segments (the stylesheet gives them round caps): one
/// element per series instead of one per point, each dot after the first a move relative to
/// the one before (`M164 233h0m94-6h0`).
fn dots_path(points: &[(f64, f64)]) -> String {
    let mut d = PathData::default();
    let mut last: Option<(f64, f64)> = None;
    for &(x, y) in points {
        match last {
            None => d.command('M', &[x, y]),
            Some((lx, ly)) => {
                d.0.push('m');
                d.numbers(&[x - lx, y - ly])
            }
        };
        d.raw("h0");
        last = Some((x, y));
    }
    d.0
}

/// Horizontal lines across [left, right] at each y, as one path.
fn rules_path(ys: &[f64], left: f64, right: f64) -> String {
    let mut d = PathData::default();
    for y in ys {
        d.command('M', &[left, *y]).command('H', &[right]);
    }
    d.0
}

struct SeriesView {
    name: String,
    key: Option<String>,
    legend: String,
    color: String,
    path: String,
    /// `dots` and `beyond` as path data.
    dots_d: String,
    beyond_d: String,
    href: Option<String>,
    legend_x: f64,
    legend_y: f64,
}

struct BandView {
    metric: String,
    name: String,
    label: String,
    /// y of the band's top, or `None` when hidden.
    top: Option<f64>,
    /// The left edge of the right-aligned label: where its overlap box starts (the markup
    /// anchors the label at its right end; the layout's tests check the box).
    #[cfg_attr(not(test), allow(dead_code))]
    label_x: f64,
    label_y: f64,
}

struct MarkerView {
    x: f64,
    y: f64,
    label: String,
    href: Option<String>,
    label_x: f64,
    label_y: f64,
}

struct MarkerLink {
    href: String,
    rings: Vec<MarkerView>,
}

/// Linked markers grouped by their target, in the order each target first appears.
fn group_links(markers: Vec<MarkerView>) -> (Vec<MarkerView>, Vec<MarkerLink>) {
    let mut plain = Vec::new();
    let mut links: Vec<MarkerLink> = Vec::new();
    for m in markers {
        match m.href.clone() {
            None => plain.push(m),
            Some(href) => match links.iter_mut().find(|l| l.href == href) {
                Some(link) => link.rings.push(m),
                None => links.push(MarkerLink {
                    href,
                    rings: vec![m],
                }),
            },
        }
    }
    (plain, links)
}

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
    /// The horizontal grid lines at the y ticks and the x ticks' marks, as path data.
    grid_d: String,
    x_marks_d: String,
    series: Vec<SeriesView>,
    markers: Vec<MarkerView>,
    /// Linked markers, one link per target (a profile's Pareto points share its page).
    marker_links: Vec<MarkerLink>,
    bands: Vec<BandView>,
    x_band: Option<String>,
    /// The x axis' top value, published for the page script.
    x_top: f64,
    /// log10 of the y range, published for the page script.
    y_log_min: f64,
    y_log_max: f64,
    more_series: usize,
    more_y: f64,
    note: Option<String>,
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

/// Decade bounds and ticks at 1, 2, 5 × 10^n for a log axis over [min, max], at most
/// [`MAX_DECADES`] deep.
fn log_ticks(min: f64, max: f64) -> (f64, f64, Vec<f64>) {
    let hi = max.log10().ceil();
    let lo = min.log10().floor().max(hi - MAX_DECADES);
    let hi = hi.max(lo + 1.0);
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
    if v >= 1e6 {
        scaled_tick(v / 1e6, "M")
    } else if v >= 1000.0 {
        scaled_tick(v / 1000.0, "k")
    } else if v >= 1.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_string()
    }
}

/// A tick in thousands or millions: whole, else to one decimal.
fn scaled_tick(v: f64, unit: &str) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}{unit}")
    } else {
        format!("{v:.1}{unit}")
    }
}

/// A legend entry short enough for its column.
fn legend_text(name: &str, columns: usize) -> String {
    let room = if columns == 1 { 98 } else { 46 };
    if name.chars().count() <= room {
        name.to_string()
    } else {
        name.chars().take(room - 1).collect::<String>() + "…"
    }
}

/// Two legend columns when every name fits one, else one full-width column.
fn legend_columns(series: &[Series]) -> usize {
    if series.iter().all(|s| s.name.chars().count() <= 46) {
        2
    } else {
        1
    }
}

/// The estimated width of an 11 px label.
fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

/// An axis-aligned text box (x, y of the baseline's left end; width; height above it).
#[derive(Debug, Clone, Copy)]
struct TextBox {
    x: f64,
    y: f64,
    w: f64,
}

impl TextBox {
    fn of(x: f64, y: f64, text: &str) -> Self {
        Self {
            x,
            y,
            w: text_width(text),
        }
    }

    fn overlaps(&self, o: &TextBox) -> bool {
        self.x < o.x + o.w
            && o.x < self.x + self.w
            && self.y - TEXT_HEIGHT < o.y
            && o.y - TEXT_HEIGHT < self.y
    }

    fn inside(&self, left: f64, right: f64, top: f64, bottom: f64) -> bool {
        self.x >= left
            && self.x + self.w <= right
            && self.y - TEXT_HEIGHT >= top
            && self.y <= bottom
    }
}

/// The first of a few positions around (x, y) where `text` overlaps nothing placed yet.
fn place(x: f64, y: f64, text: &str, placed: &mut Vec<TextBox>) -> (f64, f64) {
    let w = text_width(text);
    let candidates = [
        (x + 9.0, y - 9.0),
        (x + 9.0, y + 19.0),
        (x - 9.0 - w, y - 9.0),
        (x - 9.0 - w, y + 19.0),
        (x + 9.0, y - 24.0),
        (x - 9.0 - w, y + 34.0),
    ];
    let plot = |b: &TextBox| b.inside(LEFT, WIDTH - RIGHT, TOP, PLOT_HEIGHT - BOTTOM);
    let chosen = candidates
        .iter()
        .map(|(cx, cy)| TextBox::of(round1(*cx), round1(*cy), text))
        .find(|b| plot(b) && !placed.iter().any(|p| p.overlaps(b)))
        .unwrap_or_else(|| TextBox::of(round1(x + 9.0), round1(y - 9.0), text));
    placed.push(chosen);
    (chosen.x, chosen.y)
}

/// The chart `spec` describes, laid out and written as SVG.
pub fn draw(spec: &ChartSpec) -> String {
    svg::write(&layout(spec))
}

/// Two charts for one page, the second drawing the first's key by reference where the two
/// keys are the same (see `svg::write_pair`).
pub fn draw_pair(first: &ChartSpec, second: &ChartSpec) -> (String, String) {
    svg::write_pair(&layout(first), &layout(second))
}

/// Lays out a chart with a linear x axis from 0 and a log y axis (latencies span decades).
pub fn layout(spec: &ChartSpec) -> ChartView {
    let all: Vec<(f64, f64)> = spec.series.iter().flat_map(usable).collect();
    let empty = all.is_empty();
    let band_values: Vec<f64> = spec.bands.iter().filter_map(|b| b.value).collect();
    let axes = Axes::fit(&all, &band_values);
    let ticks = |values: Vec<f64>, pos: &dyn Fn(f64) -> f64| -> Vec<Tick> {
        values
            .into_iter()
            .map(|v| Tick {
                pos: pos(v),
                label: fmt_tick(v),
            })
            .collect()
    };
    let x_ticks = ticks(axes.x_ticks.clone(), &|v| axes.px(v));
    let y_ticks = ticks(axes.y_ticks.clone(), &|v| axes.py(v));
    let mut placed = Vec::new();
    let bands = spec
        .bands
        .iter()
        .map(|b| band_view(b, &axes, empty, &mut placed))
        .collect();
    let markers: Vec<MarkerView> = spec
        .markers
        .iter()
        .filter(|m| m.x.is_finite() && m.y > 0.0 && !empty && m.y.log10() >= axes.lo)
        .map(|m| {
            let (x, y) = (axes.px(m.x), axes.py(m.y));
            let (label_x, label_y) = if m.label.is_empty() {
                (x, y)
            } else {
                place(x, y, &m.label, &mut placed)
            };
            MarkerView {
                x,
                y,
                label: m.label.clone(),
                href: m.href.clone(),
                label_x,
                label_y,
            }
        })
        .collect();
    let (markers, marker_links) = group_links(markers);
    let shown = spec.series.len().min(MAX_LEGEND_ENTRIES);
    let columns = legend_columns(&spec.series);
    let legend_rows = shown.div_ceil(columns);
    let legend_top = PLOT_HEIGHT + 8.0;
    let more_y = round1(legend_top + LEGEND_ROW * legend_rows as f64 + 12.0);
    let note = spec.note.clone().filter(|_| !empty);
    let extra_lines = usize::from(spec.series.len() > shown) + usize::from(note.is_some());
    let height = legend_top + LEGEND_ROW * legend_rows as f64 + 8.0 + 16.0 * extra_lines as f64;
    ChartView {
        id: spec.id.clone(),
        title: spec.title.clone(),
        x_label: spec.x_label.clone(),
        y_label: spec.y_label.clone(),
        width: WIDTH,
        height: round1(height),
        left: LEFT,
        right: WIDTH - RIGHT,
        top: TOP,
        bottom: PLOT_HEIGHT - BOTTOM,
        grid_d: rules_path(
            &y_ticks.iter().map(|t| t.pos).collect::<Vec<_>>(),
            LEFT,
            WIDTH - RIGHT,
        ),
        x_marks_d: {
            let mut d = PathData::default();
            for t in &x_ticks {
                d.command('M', &[t.pos, PLOT_HEIGHT - BOTTOM]).raw("v5");
            }
            d.0
        },
        x_ticks,
        y_ticks,
        series: spec
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| series_view(s, i, &axes, (legend_top, columns)))
            .collect(),
        markers,
        marker_links,
        bands,
        x_band: spec.x_band.clone(),
        x_top: axes.x_top,
        y_log_min: axes.lo,
        y_log_max: axes.hi,
        more_series: spec.series.len() - shown,
        more_y,
        note,
        empty,
    }
}

fn band_view(b: &Band, axes: &Axes, empty: bool, placed: &mut Vec<TextBox>) -> BandView {
    let top = b
        .value
        .filter(|v| *v > 0.0 && !empty)
        .map(|v| axes.py(v).max(TOP));
    let label = match b.value {
        Some(v) => format!(
            "{} ≤ {} ms",
            b.name,
            crate::format::grouped_trimmed(Some(v), 2)
        ),
        None => b.name.clone(),
    };
    let mut label_y = round1(top.unwrap_or(PLOT_HEIGHT - BOTTOM) - 4.0);
    // Right-aligned at the plot's edge (the template anchors the text's end there).
    let label_x = round1(WIDTH - RIGHT - 6.0 - text_width(&label));
    if top.is_some() {
        while placed
            .iter()
            .any(|p| p.overlaps(&TextBox::of(label_x, label_y, &label)))
        {
            label_y = round1(label_y + TEXT_HEIGHT + 2.0);
        }
        placed.push(TextBox::of(label_x, label_y, &label));
    }
    BandView {
        metric: b.metric.clone(),
        name: b.name.clone(),
        label,
        top,
        label_x,
        label_y,
    }
}

/// Whether a point can be drawn: finite, x ≥ 0, y > 0 (the y axis is logarithmic).
pub fn drawable((x, y): (f64, f64)) -> bool {
    x.is_finite() && x >= 0.0 && y.is_finite() && y > 0.0
}

/// A series' points that can be drawn.
fn usable(s: &Series) -> Vec<(f64, f64)> {
    s.points.iter().copied().filter(|p| drawable(*p)).collect()
}

/// The axes' ranges and ticks: x linear from 0, y logarithmic over the data and the bands.
struct Axes {
    x_top: f64,
    x_ticks: Vec<f64>,
    lo: f64,
    hi: f64,
    y_ticks: Vec<f64>,
}

impl Axes {
    fn fit(all: &[(f64, f64)], bands: &[f64]) -> Self {
        let x_max_data = all.iter().map(|p| p.0).fold(0.0, f64::max);
        let mut y_values: Vec<f64> = all.iter().map(|p| p.1).collect();
        y_values.extend(bands.iter().copied().filter(|t| *t > 0.0));
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

    /// Positions are whole units: half a unit, the most rounding moves a point, is under a
    /// pixel at every width the stylesheet gives a chart (720 units on 560 to about 1,200
    /// px), and whole steps keep the paths short.
    fn px(&self, x: f64) -> f64 {
        (LEFT + x / self.x_top * (WIDTH - LEFT - RIGHT)).round()
    }

    fn py(&self, y: f64) -> f64 {
        let plot_h = PLOT_HEIGHT - TOP - BOTTOM;
        (TOP + plot_h - (y.log10() - self.lo) / (self.hi - self.lo) * plot_h).round()
    }

    fn shows(&self, y: f64) -> bool {
        y.log10() >= self.lo - 1e-9
    }
}

/// One series as an SVG path, its dots (hollow beyond the knee; none when too many to mark)
/// and its legend entry below the plot.
fn series_view(s: &Series, i: usize, axes: &Axes, legend: (f64, usize)) -> SeriesView {
    let (legend_top, columns) = legend;
    let all = usable(s);
    let below = all.iter().filter(|(_, y)| !axes.shows(*y)).count();
    let beyond_from = s.beyond_from.unwrap_or(usize::MAX);
    let pts: Vec<(usize, (f64, f64))> = all
        .into_iter()
        .enumerate()
        .filter(|(_, (_, y))| axes.shows(*y))
        .map(|(j, (x, y))| (j, (axes.px(x), axes.py(y))))
        .collect();
    let mut path = PathData::default();
    let line: Vec<(f64, f64)> = pts.iter().map(|(_, p)| *p).collect();
    path.line_through(&line);
    let path = path.0;
    let marked = pts.len() <= MAX_MARKED_POINTS;
    let dots: Vec<(f64, f64)> = pts
        .iter()
        .filter(|(j, _)| marked && *j < beyond_from)
        .map(|(_, p)| *p)
        .collect();
    let beyond: Vec<(f64, f64)> = pts
        .iter()
        .filter(|(j, _)| marked && *j >= beyond_from)
        .map(|(_, p)| *p)
        .collect();
    let mut legend = legend_text(&s.name, columns);
    if below > 0 {
        legend.push_str(&format!(" ({below} below the axis)"));
    }
    SeriesView {
        name: s.name.clone(),
        key: s.key.clone(),
        legend,
        color: s.color.clone(),
        path,
        dots_d: dots_path(&dots),
        beyond_d: dots_path(&beyond),
        href: s.href.clone(),
        legend_x: round1(LEFT - 50.0 + LEGEND_COLUMN * (i % columns) as f64),
        legend_y: round1(legend_top + LEGEND_ROW * (i / columns) as f64 + 12.0),
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
                beyond_from: Some(1),
                key: None,
            }],
            markers: vec![Marker {
                x: 100.0,
                y: 11.0,
                label: "knee".into(),
                href: None,
            }],
            bands: vec![Band {
                metric: "ntpot".into(),
                name: "NTPOT".into(),
                value: Some(20.0),
            }],
            x_band: None,
            note: Some(KNEE_NOTE.into()),
        }
    }

    #[test]
    fn ticks_are_nice() {
        assert_eq!(linear_ticks(9.5).1, vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let (lo, hi, t) = log_ticks(7.0, 300.0);
        assert_eq!((lo, hi), (0.0, 3.0));
        assert_eq!(t[..4], [1.0, 2.0, 5.0, 10.0]);
        // Over more than three decades only the powers of ten are labelled.
        // At most four decades: ITL at 0.04 ms beside TTFT of seconds is cut at 1 ms.
        assert_eq!(
            log_ticks(0.04, 3000.0).2,
            vec![1.0, 10.0, 100.0, 1000.0, 10000.0]
        );
        assert_eq!(fmt_tick(2000.0), "2k");
        assert_eq!(fmt_tick(2500.0), "2.5k");
        // A million is 1M, not 1000k.
        assert_eq!(fmt_tick(1e6), "1M");
        assert_eq!(fmt_tick(2.5e6), "2.5M");
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
            let marked = if n <= MAX_MARKED_POINTS { n } else { 0 };
            let (dots, beyond) = (
                s.dots_d.matches("h0").count(),
                s.beyond_d.matches("h0").count(),
            );
            assert_eq!(dots + beyond, marked);
            assert_eq!(dots, marked.min(1));
            assert!(v.bands[0].top.unwrap() >= TOP);
            let knee = &v.markers[0];
            let band = &v.bands[0];
            assert!(
                !TextBox::of(knee.label_x, knee.label_y, &knee.label).overlaps(&TextBox::of(
                    band.label_x,
                    band.label_y,
                    &band.label
                )),
                "labels overlap"
            );
        }
    }

    #[test]
    fn no_data_is_an_empty_chart_not_a_crash() {
        assert!(layout(&spec(vec![])).empty);
        assert!(layout(&spec(vec![(f64::NAN, 1.0), (1.0, 0.0)])).empty);
    }

    /// The absolute points a path's commands reach (`M`, `l`, `m`; `h0` stays put).
    fn points_of(d: &str) -> Vec<(f64, f64)> {
        let mut points = Vec::new();
        let (mut x, mut y) = (0.0, 0.0);
        let mut command = ' ';
        let mut numbers: Vec<f64> = Vec::new();
        let mut flush = |command: char, numbers: &mut Vec<f64>, points: &mut Vec<(f64, f64)>| {
            for pair in numbers.chunks(2) {
                match (command, pair) {
                    ('M', [a, b]) => (x, y) = (*a, *b),
                    ('l' | 'm', [a, b]) => (x, y) = (x + a, y + b),
                    _ => continue,
                }
                points.push((x, y));
            }
            numbers.clear();
        };
        let mut token = String::new();
        for c in d.chars().chain([' ']) {
            if c.is_ascii_digit() || c == '.' || (c == '-' && token.is_empty()) {
                token.push(c);
                continue;
            }
            if !token.is_empty() {
                numbers.push(token.parse().unwrap());
                token.clear();
            }
            if c == '-' {
                token.push(c);
            } else if c.is_ascii_alphabetic() {
                flush(command, &mut numbers, &mut points);
                command = c;
            }
        }
        flush(command, &mut numbers, &mut points);
        points
    }

    #[test]
    fn relative_steps_reach_every_point_and_a_minus_sign_is_the_only_separator_left_out() {
        let points = [
            (70.0, 330.0),
            (164.0, 233.0),
            (164.0, 233.0),
            (258.0, 240.0),
            (300.5, 239.96),
            (301.0, 36.0),
        ];
        let mut line = PathData::default();
        line.line_through(&points);
        assert_eq!(line.0, "M70 330l94-97 0 0 94 7 42.5 0 0.5-204");
        assert_eq!(
            points_of(&line.0),
            points.map(|(x, y)| (x, (y * 10.0f64).round() / 10.0))
        );
        let dots = dots_path(&points);
        assert_eq!(dots, "M70 330h0m94-97h0m0 0h0m94 7h0m42.5 0h0m0.5-204h0");
        assert_eq!(points_of(&dots), points_of(&line.0));
        let mut one = PathData::default();
        one.line_through(&points[..1]);
        assert_eq!(one.0, "M70 330");
        assert_eq!(dots_path(&[]), "");
    }

    #[test]
    fn a_second_chart_draws_the_first_ones_key_where_the_keys_are_the_same() {
        let points = vec![(10.0, 12.0), (100.0, 11.0), (150.0, 40.0)];
        let first = spec(points.clone());
        let second = ChartSpec {
            id: "d".into(),
            x_label: "load".into(),
            ..spec(points.iter().map(|(x, y)| (x / 10.0, *y)).collect())
        };
        let (a, b) = draw_pair(&first, &second);
        assert!(a.contains("<g id=\"c-key\">\n") && a.contains("class=\"legend\""));
        assert!(b.contains("<use href=\"#c-key\"/>\n") && !b.contains("class=\"legend\""));
        assert!(!b.contains("class=\"tick\" text-anchor=\"end\""));
        // Another y range is another key: each chart draws its own.
        let third = ChartSpec {
            id: "d".into(),
            ..spec(points.iter().map(|(x, y)| (*x, y * 100.0)).collect())
        };
        let (a, b) = draw_pair(&first, &third);
        assert_eq!((a, b), (draw(&first), draw(&third)));
        assert!(!draw(&third).contains("<use"));
    }
}
