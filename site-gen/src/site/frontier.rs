//! The cost–interactivity frontier: every usable point of a group of profiles (one workload)
//! as cost per million output tokens, and as output tokens/s per accelerator, against the speed
//! one user sees (output tokens/s per user: 1000 ÷ TPOT, else NTPOT). The Pareto-best points —
//! none faster per user at the same or lower cost (or higher throughput) — are circled, linked
//! and listed in a table. Drawn at build time; the planner's script dims what misses the
//! targets and shades the per-user speed the NTPOT target asks for.

use super::SiteInput;
use super::pages::render_chart;
use super::views::{LazyView, ProfilePage, ProfileView, load_text, sig};
use crate::charts::{ChartSpec, Marker, PALETTE, Series};
use pipeline::analysis::knee::first_falling_behind;
use pipeline::analysis::{ProfileSummary, cost_with, machine_quote};
use pipeline::point::MeasuredPoint;
use serde::Serialize;

/// One usable measured point of a profile, on both frontiers' axes.
#[derive(Debug, Clone)]
struct FrontierPoint {
    profile: usize,
    per_user: f64,
    cost: Option<f64>,
    per_accelerator: f64,
    load: String,
}

/// A Pareto-best point as the table lists it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct BestRow {
    pub id: String,
    pub label: String,
    pub load: String,
    pub per_user: String,
    pub cost: String,
    pub per_accelerator: String,
    /// Which frontiers the point is on: `cost`, `throughput` or both.
    pub on: &'static str,
}

/// The two frontier charts of a group and its Pareto-best points. The charts are template
/// values already, so the context that shows them (a model page's, a workload section's)
/// shares them instead of copying the SVG.
#[derive(Debug, Clone, Serialize)]
pub(super) struct FrontierView {
    pub cost_chart: minijinja::Value,
    pub throughput_chart: minijinja::Value,
    pub best: Vec<BestRow>,
    pub unpriced: usize,
}

/// One workload's section of the catalog-wide page (`frontier-group.html.j2`).
#[derive(Debug, Clone, Serialize)]
pub(super) struct FrontierGroup<'a> {
    pub workload: &'a str,
    pub anchor: String,
    pub frontier: FrontierView,
}

/// The points of each profile that an operator can run at: up to the first that does not keep
/// up with its load (`knee::falls_behind`), with a per-user speed.
fn points_of(group: &[(&ProfilePage, &LazyView)], input: &SiteInput) -> Vec<FrontierPoint> {
    let mut out = Vec::new();
    for (i, (page, _)) in group.iter().enumerate() {
        let s = page.summary;
        let key = &s.profile.key;
        let quote = machine_quote(key, input.pricing_model, input.cfg, input.prices);
        for (pt, per_user) in per_user_points(s) {
            let cost = cost_with(&quote, pt, input.cfg).map(|c| c.usd_per_million_output);
            out.push(FrontierPoint {
                profile: i,
                per_user,
                cost,
                per_accelerator: pt.output_tokens_per_s_per_accelerator(key.accelerator_count),
                load: load_text(pt.load),
            });
        }
    }
    out
}

/// Whether a group of profiles has a frontier to draw: a point with a per-user speed
/// ([`frontier`] is `None` exactly when it has none).
pub(super) fn has_points(group: &[(&ProfilePage, &LazyView)]) -> bool {
    group
        .iter()
        .any(|(page, _)| per_user_points(page.summary).next().is_some())
}

/// A profile's points an operator can run at (up to the first that does not keep up with its
/// load) that have a per-user speed, with that speed.
fn per_user_points(s: &ProfileSummary) -> impl Iterator<Item = (&MeasuredPoint, f64)> {
    let pts = &s.profile.points;
    pts[..first_falling_behind(pts).unwrap_or(pts.len())]
        .iter()
        .filter_map(|pt| Some((pt, pt.per_user_tokens_per_s(|l| s.stat.of(l))?)))
}

/// Indices of the Pareto-best of `(x, y)` points, maximizing x and minimizing y (or
/// maximizing y with `higher_y_better`).
fn pareto(points: &[(usize, f64, f64)], higher_y_better: bool) -> Vec<usize> {
    let better = |a: f64, b: f64| if higher_y_better { a > b } else { a < b };
    let mut order: Vec<&(usize, f64, f64)> = points.iter().collect();
    order.sort_by(|a, b| {
        b.1.total_cmp(&a.1).then(if higher_y_better {
            b.2.total_cmp(&a.2)
        } else {
            a.2.total_cmp(&b.2)
        })
    });
    let mut best: Option<f64> = None;
    let mut out = Vec::new();
    for (i, _, y) in order {
        if best.is_none_or(|b| better(*y, b)) {
            best = Some(*y);
            out.push(*i);
        }
    }
    out.sort_unstable();
    out
}

/// On the catalog page profiles of several models meet: their legend names the model.
fn model_prefix(at: &Placement, view: &ProfileView) -> String {
    if at.colour_by_position {
        format!("{}: ", view.model)
    } else {
        String::new()
    }
}

/// Where a frontier is drawn: chart ids unique on the page, links relative to the page, and
/// whether series take their profile's colour (a model page, matching its tables) or one by
/// position (the catalog page, where profiles of several models meet).
pub(super) struct Placement<'p> {
    pub id: &'p str,
    pub href_root: &'p str,
    pub colour_by_position: bool,
}

#[allow(clippy::too_many_arguments)]
fn chart(
    id: String,
    title: &str,
    y_label: &str,
    group: &[(&ProfilePage, &LazyView)],
    curves: Vec<Vec<(f64, f64)>>,
    best: Vec<Marker>,
    at: &Placement,
) -> String {
    let series = group
        .iter()
        .zip(curves)
        .enumerate()
        .filter(|(_, (_, points))| !points.is_empty())
        .map(|(i, ((page, view), mut points))| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let color = if at.colour_by_position {
                PALETTE[i % PALETTE.len()]
            } else {
                page.color
            };
            Series {
                name: format!("{}{}", model_prefix(at, view), view.configuration),
                color: color.to_string(),
                points,
                href: Some(format!("{}profiles/{}.html", at.href_root, view.id)),
                beyond_from: None,
                key: Some(view.id.to_string()),
            }
        })
        .collect();
    render_chart(&ChartSpec {
            id,
            title: title.into(),
            x_label: "output tokens/s per user (1000 ÷ TPOT, else NTPOT)".into(),
            y_label: y_label.into(),
            series,
            markers: best,
            bands: Vec::new(),
            x_band: Some("per-user speed the NTPOT target asks for".into()),
            note: Some("Circled: Pareto-best (nothing faster per user does better); click to open the profile.".into()),
        },
    )
}

/// The frontier of one workload's profiles, or `None` when none has a per-user speed.
pub(super) fn frontier(
    input: &SiteInput,
    group: &[(&ProfilePage, &LazyView)],
    at: &Placement,
) -> Option<FrontierView> {
    let (id, href_root) = (at.id, at.href_root);
    let points = points_of(group, input);
    if points.is_empty() {
        return None;
    }
    let priced: Vec<(usize, f64, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i, p.per_user, p.cost?)))
        .collect();
    let throughput: Vec<(usize, f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.per_user, p.per_accelerator))
        .collect();
    let cost_best = pareto(&priced, false);
    let throughput_best = pareto(&throughput, true);
    let mut curves_cost = vec![Vec::new(); group.len()];
    let mut curves_tp = vec![Vec::new(); group.len()];
    for p in &points {
        if let Some(c) = p.cost {
            curves_cost[p.profile].push((p.per_user, c));
        }
        curves_tp[p.profile].push((p.per_user, p.per_accelerator));
    }
    let marker = |i: &usize, y: f64| {
        let p = &points[*i];
        Marker {
            x: p.per_user,
            y,
            label: format!("{} at {}", group[p.profile].1.label, p.load),
            href: Some(format!(
                "{href_root}profiles/{}.html",
                group[p.profile].1.id
            )),
        }
    };
    let cost_markers = cost_best
        .iter()
        .filter_map(|i| Some(marker(i, points[*i].cost?)))
        .collect();
    let tp_markers = throughput_best
        .iter()
        .map(|i| marker(i, points[*i].per_accelerator))
        .collect();
    let unpriced = curves_cost.iter().filter(|c| c.is_empty()).count();
    // The two charts on both cores: with thousands of profiles in one workload, each is
    // thousands of series.
    let (cost_chart, throughput_chart) = rayon::join(
        || {
            chart(
                format!("frontier-cost-{id}"),
                &format!("Cost vs speed per user ({})", input.pricing_model.as_str()),
                "$ per million output tokens (log scale)",
                group,
                curves_cost,
                cost_markers,
                at,
            )
        },
        || {
            chart(
                format!("frontier-throughput-{id}"),
                "Throughput per accelerator vs speed per user",
                "output tokens/s per accelerator (log scale)",
                group,
                curves_tp,
                tp_markers,
                at,
            )
        },
    );
    let mut best_points: Vec<usize> = cost_best.iter().chain(&throughput_best).copied().collect();
    best_points.sort_unstable();
    best_points.dedup();
    best_points.sort_by(|a, b| points[*b].per_user.total_cmp(&points[*a].per_user));
    let best = best_points
        .into_iter()
        .map(|i| {
            let p = &points[i];
            let view = group[p.profile].1;
            BestRow {
                id: view.id.to_string(),
                label: format!("{}{}", model_prefix(at, view), view.configuration),
                load: p.load.clone(),
                per_user: sig(Some(p.per_user)),
                cost: sig(p.cost),
                per_accelerator: sig(Some(p.per_accelerator)),
                on: match (cost_best.contains(&i), throughput_best.contains(&i)) {
                    (true, true) => "both",
                    (true, false) => "cost",
                    _ => "throughput",
                },
            }
        })
        .collect();
    Some(FrontierView {
        cost_chart: cost_chart.into(),
        throughput_chart: throughput_chart.into(),
        best,
        unpriced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pareto_keeps_what_nothing_beats() {
        // (index, per-user speed, cost): 1 beats 2 (faster and cheaper); 0 and 3 trade off.
        let pts = [
            (0, 10.0, 1.0),
            (1, 50.0, 2.0),
            (2, 40.0, 3.0),
            (3, 80.0, 5.0),
        ];
        assert_eq!(pareto(&pts, false), vec![0, 1, 3]);
        // Maximizing y: 3 has the most throughput at the highest speed, so only it and those
        // beating it on throughput at lower speed stay.
        let tp = [
            (0, 10.0, 900.0),
            (1, 50.0, 500.0),
            (2, 40.0, 400.0),
            (3, 80.0, 100.0),
        ];
        assert_eq!(pareto(&tp, true), vec![0, 1, 3]);
        assert!(pareto(&[], false).is_empty());
    }
}
