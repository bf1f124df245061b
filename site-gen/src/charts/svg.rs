//! A laid-out chart ([`ChartView`]) written as SVG markup. Written here rather than by a
//! template: two charts a profile made interpreting a chart template 12–13 % of a full
//! build's CPU (perf, 10,000 profiles), for markup whose every value comes from the layout.
//! Values from input (series names, labels, links) are HTML-escaped as the templates escape
//! them; numbers are spelled as the templates spelled them (a whole coordinate `70`, else its
//! shortest decimal). A curve's colour is set once on its group, a chart lists the target
//! bands it can draw instead of carrying an empty placeholder for each, and its white ground
//! is the stylesheet's.

use super::{BandView, ChartView, MAX_LEGEND_ENTRIES, MarkerLink, MarkerView, SeriesView, Tick};
use crate::templates::push_html_escaped;
use std::fmt::{self, Display, Write};

/// A coordinate as the markup spells it: whole numbers (below 10^15) as integers, others as
/// floats, and sums and differences of them typed the same way (integer with integer stays
/// integer; anything with a float is a float, spelled with a `.0` when whole).
#[derive(Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

fn num(v: f64) -> Num {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        Num::Int(v as i64)
    } else {
        Num::Float(v)
    }
}

impl Num {
    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    fn plus(self, other: Num) -> Num {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a + b),
            _ => Num::Float(self.as_f64() + other.as_f64()),
        }
    }

    fn minus(self, other: Num) -> Num {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a - b),
            _ => Num::Float(self.as_f64() - other.as_f64()),
        }
    }

    /// Half, rounded down (floor division): an integer for an integer, else a whole float.
    fn half_floor(self) -> Num {
        match self {
            Num::Int(a) => Num::Int(a.div_euclid(2)),
            Num::Float(a) => Num::Float(floor_div(a, 2.0)),
        }
    }

    /// Half, as a float always (true division).
    fn half(self) -> Num {
        Num::Float(self.as_f64() / 2.0)
    }
}

/// Floor division of floats with Python's rounding (the quotient from the remainder).
fn floor_div(a: f64, b: f64) -> f64 {
    let remainder = a % b;
    let mut quotient = (a - remainder) / b;
    if remainder != 0.0 && (remainder < 0.0) != (b < 0.0) {
        quotient -= 1.0;
    }
    if quotient == 0.0 {
        return 0.0f64.copysign(a / b);
    }
    let floored = quotient.floor();
    if quotient - floored > 0.5 {
        floored + 1.0
    } else {
        floored
    }
}

impl Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(v) if v.is_nan() => f.write_str("NaN"),
            Num::Float(v) if v.is_infinite() => f.write_str(if v < 0.0 { "-inf" } else { "inf" }),
            Num::Float(v) => {
                let text = v.to_string();
                f.write_str(&text)?;
                if !text.contains('.') {
                    f.write_str(".0")?;
                }
                Ok(())
            }
        }
    }
}

/// The chart as one `<svg>` element and a line break.
pub(super) fn write(c: &ChartView) -> String {
    with_key(c, &key_of(c))
}

/// Two charts of one page, the second drawing the first's key (y ticks, legend, notes, y
/// label) with `<use>` where the two keys are the same markup: a profile's two charts plot
/// the same latencies on the same y axis, and only their x axes differ.
pub(super) fn write_pair(first: &ChartView, second: &ChartView) -> (String, String) {
    let (key, second_key) = (key_of(first), key_of(second));
    if key != second_key {
        return (with_key(first, &key), with_key(second, &second_key));
    }
    let id = format!("{}-key", first.id);
    let mut named = String::with_capacity(key.len() + 64);
    named.push_str("  <g id=\"");
    push_html_escaped(&mut named, &id);
    named.push_str("\">\n");
    named.push_str(&key);
    named.push_str("  </g>\n");
    let mut used = String::from("  <use href=\"#");
    push_html_escaped(&mut used, &id);
    used.push_str("\"/>\n");
    (with_key(first, &named), with_key(second, &used))
}

/// The chart with `key` (its own key's markup, or markup drawing another chart's) last.
fn with_key(c: &ChartView, key: &str) -> String {
    let mut out = String::with_capacity(4096);
    Svg { out: &mut out, c }.chart(key);
    out
}

/// A chart's key: what explains its y axis and its curves.
fn key_of(c: &ChartView) -> String {
    let mut out = String::with_capacity(1024);
    Svg { out: &mut out, c }.key();
    out
}

struct Svg<'a> {
    out: &'a mut String,
    c: &'a ChartView,
}

impl Svg<'_> {
    fn text(&mut self, s: &str) -> &mut Self {
        self.out.push_str(s);
        self
    }

    fn esc(&mut self, s: &str) -> &mut Self {
        push_html_escaped(self.out, s);
        self
    }

    fn n(&mut self, v: Num) -> &mut Self {
        // Writing to a String cannot fail.
        let _ = write!(self.out, "{v}");
        self
    }

    fn chart(&mut self, key: &str) {
        let c = self.c;
        let (left, right, top, bottom) = (num(c.left), num(c.right), num(c.top), num(c.bottom));
        let (width, height) = (num(c.width), num(c.height));
        // Inline in HTML, whose parser gives <svg> its namespace: no `xmlns`.
        self.text("<svg class=\"chart\" id=\"")
            .esc(&c.id)
            .text("\" viewBox=\"0 0 ")
            .n(width)
            .text(" ")
            .n(height)
            .text("\" role=\"img\" aria-labelledby=\"")
            .esc(&c.id)
            .text("-title\"\n     data-ylogmin=\"")
            .n(num(c.y_log_min))
            .text("\" data-ylogmax=\"")
            .n(num(c.y_log_max))
            .text("\" data-top=\"")
            .n(top)
            .text("\" data-bottom=\"")
            .n(bottom)
            .text("\" data-left=\"")
            .n(left)
            .text("\" data-right=\"")
            .n(right)
            .text("\" data-xtop=\"")
            .n(num(c.x_top));
        self.band_list();
        // The visible title is the chart's accessible name too, not written twice.
        self.text("\">\n  <text id=\"")
            .esc(&c.id)
            .text("-title\" x=\"")
            .n(left)
            .text("\" y=\"20\" class=\"chart-title\">")
            .esc(&c.title)
            .text("</text>\n");
        if c.empty {
            self.text("  <text x=\"")
                .n(width.half())
                .text("\" y=\"")
                .n(height.half())
                .text("\" text-anchor=\"middle\" class=\"chart-empty\">No data to plot</text>\n");
        } else {
            self.plot();
        }
        self.text(key).text("</svg>\n");
    }

    /// The y ticks, the legend and its notes, and the y axis label: drawn last, outside the
    /// plot area, so that a second chart can draw the same key by reference.
    fn key(&mut self) {
        let c = self.c;
        let (left, top, bottom) = (num(c.left), num(c.top), num(c.bottom));
        if !c.empty {
            // The ticks share their x: the group moves them there once (a text's x is 0).
            self.text("  <g class=\"tick\" text-anchor=\"end\" transform=\"translate(")
                .n(left.minus(Num::Int(6)))
                .text(" 0)\">");
            for t in &c.y_ticks {
                self.y_tick(t);
            }
            self.text("</g>\n");
            for s in c.series.iter().take(MAX_LEGEND_ENTRIES) {
                self.legend(s);
            }
            let note_x = left.minus(Num::Int(50));
            let more_y = num(c.more_y);
            if c.more_series > 0 {
                self.text("  <text x=\"")
                    .n(note_x)
                    .text("\" y=\"")
                    .n(more_y)
                    .text("\" class=\"legend-text\">+")
                    .n(Num::Int(c.more_series as i64))
                    .text(" more (see the table)</text>\n");
            }
            if let Some(note) = c.note.as_deref().filter(|n| !n.is_empty()) {
                let below_more = Num::Int(if c.more_series > 0 { 16 } else { 0 });
                self.text("  <text x=\"")
                    .n(note_x)
                    .text("\" y=\"")
                    .n(more_y.plus(below_more))
                    .text("\" class=\"legend-text\">")
                    .esc(note)
                    .text("</text>\n");
            }
        }
        let middle = top.plus(bottom).half_floor();
        self.text("  <text x=\"16\" y=\"")
            .n(middle)
            .text("\" text-anchor=\"middle\" transform=\"rotate(-90 16 ")
            .n(middle)
            .text(")\" class=\"axis-label\">")
            .esc(&c.y_label)
            .text("</text>\n");
    }

    fn plot(&mut self) {
        let c = self.c;
        let (left, right, top, bottom) = (num(c.left), num(c.right), num(c.top), num(c.bottom));
        for b in &c.bands {
            self.band(b);
        }
        if let Some(name) = c.x_band.as_deref().filter(|n| !n.is_empty()) {
            self.text("  <g class=\"x-band\" data-name=\"")
                .esc(name)
                .text("\" visibility=\"hidden\">\n    <rect x=\"")
                .n(right)
                .text("\" y=\"")
                .n(top)
                .text("\" width=\"0\" height=\"")
                .n(bottom.minus(top))
                .text("\"/>\n    <line x1=\"")
                .n(right)
                .text("\" x2=\"")
                .n(right)
                .text("\" y1=\"")
                .n(top)
                .text("\" y2=\"")
                .n(bottom)
                .text("\"/>\n    <text class=\"band-label\" x=\"")
                .n(right.minus(Num::Int(6)))
                .text("\" y=\"")
                .n(top.plus(Num::Int(12)))
                .text("\" text-anchor=\"end\">")
                .esc(name)
                .text("</text>\n  </g>\n");
        }
        self.text("  <path class=\"grid\" d=\"")
            .esc(&c.grid_d)
            .text("\"/>\n  <g class=\"tick\" text-anchor=\"middle\" transform=\"translate(0 ")
            .n(bottom.plus(Num::Int(18)))
            .text(")\">");
        for t in &c.x_ticks {
            self.x_tick(t);
        }
        self.text("</g>\n  <path class=\"axis\" d=\"")
            .esc(&c.x_marks_d)
            .text("M")
            .n(left)
            .text(" ")
            .n(top)
            .text("V")
            .n(bottom)
            .text("H")
            .n(right)
            .text("\"/>\n");
        for s in &c.series {
            self.series(s);
        }
        for m in &c.markers {
            self.marker(m);
        }
        for l in &c.marker_links {
            self.marker_link(l);
        }
        self.text("  <text x=\"")
            .n(left.plus(right).half_floor())
            .text("\" y=\"")
            .n(bottom.plus(Num::Int(38)))
            .text("\" text-anchor=\"middle\" class=\"axis-label\">")
            .esc(&c.x_label)
            .text("</text>\n");
    }

    /// The latency bands a target can draw, as `metric:Name` words: the page script adds those
    /// the chart was drawn without (no suggested target) when the reader sets one, rather than
    /// every page carrying empty placeholders.
    fn band_list(&mut self) {
        let c = self.c;
        if c.empty || c.bands.is_empty() {
            return;
        }
        self.text("\" data-bands=\"");
        for (i, b) in c.bands.iter().enumerate() {
            if i > 0 {
                self.text(" ");
            }
            self.esc(&b.metric).text(":").esc(&b.name);
        }
    }

    fn band(&mut self, b: &BandView) {
        let c = self.c;
        let (left, right, bottom) = (num(c.left), num(c.right), num(c.bottom));
        let Some(band_top) = b.top.map(num) else {
            return;
        };
        self.text("  <g class=\"band\" data-metric=\"")
            .esc(&b.metric)
            .text("\" data-name=\"")
            .esc(&b.name)
            .text("\">\n    <rect x=\"")
            .n(left)
            .text("\" y=\"")
            .n(band_top)
            .text("\" width=\"")
            .n(right.minus(left))
            .text("\" height=\"")
            .n(bottom.minus(band_top))
            .text("\"/>\n    <line x1=\"")
            .n(left)
            .text("\" x2=\"")
            .n(right)
            .text("\" y1=\"")
            .n(band_top)
            .text("\" y2=\"")
            .n(band_top)
            .text("\"/>\n    <text class=\"band-label\" x=\"")
            .n(right.minus(Num::Int(6)))
            .text("\" y=\"")
            .n(num(b.label_y))
            .text("\" text-anchor=\"end\">")
            .esc(&b.label)
            .text("</text>\n  </g>\n");
    }

    /// A y tick, at the x its group moves it to.
    fn y_tick(&mut self, t: &Tick) {
        self.text("<text y=\"")
            .n(num(t.pos).plus(Num::Int(4)))
            .text("\">")
            .esc(&t.label)
            .text("</text>");
    }

    /// An x tick, at the y its group moves it to.
    fn x_tick(&mut self, t: &Tick) {
        self.text("<text x=\"")
            .n(num(t.pos))
            .text("\">")
            .esc(&t.label)
            .text("</text>");
    }

    /// A curve: its line (named by its `<title>`), then dots up to the knee and hollow dots
    /// beyond it, all in the group's stroke colour (the hole's white comes from the stylesheet).
    fn series(&mut self, s: &SeriesView) {
        self.text("  <g class=\"series\" stroke=\"").esc(&s.color);
        if let Some(key) = s.key.as_deref().filter(|k| !k.is_empty()) {
            self.text("\" data-id=\"").esc(key);
        }
        self.text("\"><path class=\"line\" d=\"")
            .esc(&s.path)
            .text("\"><title>")
            .esc(&s.name)
            .text("</title></path>");
        if !s.dots_d.is_empty() {
            self.text("<path class=\"dots\" d=\"")
                .esc(&s.dots_d)
                .text("\"/>");
        }
        if !s.beyond_d.is_empty() {
            self.text("<path class=\"beyond\" d=\"")
                .esc(&s.beyond_d)
                .text("\"/><path class=\"hole\" d=\"")
                .esc(&s.beyond_d)
                .text("\"/>");
        }
        self.text("</g>\n");
    }

    fn marker(&mut self, m: &MarkerView) {
        self.text("  <circle class=\"ring\" cx=\"")
            .n(num(m.x))
            .text("\" cy=\"")
            .n(num(m.y))
            .text("\" r=\"7\"/>\n");
        if !m.label.is_empty() {
            self.text("  <text x=\"")
                .n(num(m.label_x))
                .text("\" y=\"")
                .n(num(m.label_y))
                .text("\" class=\"marker-label\">")
                .esc(&m.label)
                .text("</text>\n");
        }
    }

    fn marker_link(&mut self, l: &MarkerLink) {
        self.text("  <a href=\"")
            .esc(&l.href)
            .text("\" class=\"marker-link\">");
        for m in &l.rings {
            let title = if m.label.is_empty() {
                "open the profile"
            } else {
                &m.label
            };
            self.text("<circle class=\"ring\" cx=\"")
                .n(num(m.x))
                .text("\" cy=\"")
                .n(num(m.y))
                .text("\" r=\"7\"><title>")
                .esc(title)
                .text("</title></circle>");
        }
        self.text("</a>\n");
    }

    fn legend(&mut self, s: &SeriesView) {
        let (x, y) = (num(s.legend_x), num(s.legend_y));
        self.text("  <g class=\"legend\">\n    <path d=\"M")
            .n(x)
            .text(" ")
            .n(y.minus(Num::Int(7)))
            .text("h14\" stroke=\"")
            .esc(&s.color)
            .text("\"/>\n    ");
        let href = s.href.as_deref().filter(|h| !h.is_empty());
        if let Some(href) = href {
            self.text("<a href=\"").esc(href).text("\">");
        }
        self.text("<text x=\"")
            .n(x.plus(Num::Int(20)))
            .text("\" y=\"")
            .n(y)
            .text("\" class=\"legend-text\">")
            .esc(&s.legend)
            .text("</text>");
        if href.is_some() {
            self.text("</a>");
        }
        self.text("\n  </g>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_spelled_as_the_markup_always_spelled_them() {
        let spell = |v: Num| v.to_string();
        assert_eq!(spell(num(70.0)), "70");
        assert_eq!(spell(num(256.5)), "256.5");
        assert_eq!(spell(num(256.5).plus(Num::Int(4))), "260.5");
        assert_eq!(spell(num(70.0).plus(num(700.0)).half_floor()), "385");
        assert_eq!(spell(num(70.5).plus(num(700.0)).half_floor()), "385.0");
        assert_eq!(spell(num(720.0).half()), "360.0");
        assert_eq!(spell(num(f64::NAN)), "NaN");
        assert_eq!(spell(num(1e15)), "1000000000000000.0");
    }

    fn spec(name: &str, points: Vec<(f64, f64)>) -> crate::charts::ChartSpec {
        use crate::charts::{Band, ChartSpec, Marker, PALETTE, Series};
        ChartSpec {
            id: "chart-x".into(),
            title: "Latency & <load>".into(),
            x_label: "x".into(),
            y_label: "latency, ms".into(),
            series: vec![Series {
                name: name.into(),
                color: PALETTE[1].into(),
                points,
                href: Some("../profiles/a'b.html".into()),
                beyond_from: Some(1),
                key: Some("a'b".into()),
            }],
            markers: vec![Marker {
                x: 10.0,
                y: 20.0,
                label: String::new(),
                href: Some("../profiles/a'b.html".into()),
            }],
            bands: vec![
                Band {
                    metric: "ttft".into(),
                    name: "TTFT".into(),
                    value: Some(30.0),
                },
                Band {
                    metric: "itl".into(),
                    name: "ITL".into(),
                    value: None,
                },
            ],
            x_band: Some("speed".into()),
            note: Some("a note".into()),
        }
    }

    #[test]
    fn text_from_input_is_escaped_and_every_part_is_drawn() {
        let svg = crate::charts::draw(&spec(
            "vLLM \"fast\" <b>",
            vec![(10.0, 20.0), (20.0, 25.0), (30.0, 60.0)],
        ));
        assert!(
            svg.starts_with("<svg ") && svg.ends_with("</svg>\n"),
            "{svg}"
        );
        assert!(svg.contains(" role=\"img\" aria-labelledby=\"chart-x-title\"\n"));
        assert!(svg.contains(
            "<text id=\"chart-x-title\" x=\"70\" y=\"20\" class=\"chart-title\">Latency &amp; &lt;load&gt;</text>"
        ));
        assert!(
            svg.contains(
                "<g class=\"series\" stroke=\"#E69F00\" data-id=\"a&#x27;b\"><path class=\"line\""
            ) && svg.contains("<title>vLLM &quot;fast&quot; &lt;b&gt;</title>")
        );
        assert!(svg.contains("<a href=\"../profiles/a&#x27;b.html\" class=\"marker-link\">"));
        assert!(
            svg.contains("<title>open the profile</title></circle></a>\n"),
            "an unlabelled linked ring"
        );
        assert!(
            svg.contains("<g class=\"band\" data-metric=\"ttft\" data-name=\"TTFT\">\n    <rect ")
        );
        assert!(svg.contains(" data-bands=\"ttft:TTFT itl:ITL\">"));
        assert!(!svg.contains("data-metric=\"itl\""));
        assert!(svg.contains("<g class=\"x-band\" data-name=\"speed\" visibility=\"hidden\">"));
        assert!(svg.contains("class=\"beyond\"") && svg.contains("class=\"hole\""));
        assert!(svg.contains("class=\"legend-text\">a note</text>\n"));
        assert!(!svg.contains("No data to plot"));
        // Every element opened is closed.
        for tag in ["svg", "g", "text", "title", "a", "path"] {
            let opened =
                svg.matches(&format!("<{tag} ")).count() + svg.matches(&format!("<{tag}>")).count();
            let closed = svg.matches(&format!("</{tag}>")).count();
            let selfclosed = svg
                .split(&format!("<{tag} "))
                .skip(1)
                .filter(|rest| rest.split('>').next().is_some_and(|t| t.ends_with('/')))
                .count();
            assert_eq!(opened, closed + selfclosed, "<{tag}> in {svg}");
        }
    }

    #[test]
    fn a_chart_with_nothing_to_plot_says_so() {
        let svg = crate::charts::draw(&spec("s", Vec::new()));
        assert!(
            svg.contains("class=\"chart-empty\">No data to plot</text>"),
            "{svg}"
        );
        assert!(!svg.contains("class=\"series\""));
    }

    #[test]
    fn floor_division_rounds_down_as_python_does() {
        assert_eq!(floor_div(770.5, 2.0), 385.0);
        assert_eq!(floor_div(-3.0, 2.0), -2.0);
        assert_eq!(floor_div(1.0, 2.0), 0.0);
    }
}
