//! The HTML pages: each profile's page with its charts and manifests, the model pages (one
//! section per workload), and the SVG charts they embed.

use crate::api::{Derivable, all_points_doc};
use crate::charts::{self, Band, ChartSpec, Marker, PALETTE, Series};
use crate::manifests::{self, BucketUri, ManifestRequest, Platform, create_command};
use crate::templates;
use pipeline::analysis::knee::KneeMethod;
use pipeline::analysis::operating_point::LatencyOf;
use pipeline::analysis::{Evaluation, ProfileSummary};
use pipeline::point::{Latency, Load, MeasuredPoint};
use pipeline::pricing::PricingModel;
use pipeline::profile::ProfileKey;
use std::collections::BTreeMap;

use super::manifest_patch;
use super::*;

/// Renders (or reuses) one profile's page, manifests and benchmark JSON; hands back the page
/// and its view as the index and model pages show it (without the per-record rows), made once.
pub(super) fn build_profile<'a>(
    r: &Render<'a>,
    s: &'a ProfileSummary,
    model_slug: String,
    color: &'static str,
) -> Result<(ProfilePage<'a>, LazyView<'a>), SiteError> {
    let (w, input) = (&r.w, r.input);
    // The profile's data snapshot, hashed once: the fingerprint, the page and the manifests
    // name it.
    let snapshot = s.profile.data_hash();
    let fp = fingerprint(&r.settings, input, s, &snapshot);
    let id = &s.profile.id;
    let previous = input
        .previous
        .and_then(|prev| Some((prev, prev.records.profiles.get(id)?)))
        .filter(|(_, record)| record.fingerprint == fp);
    let reused = |manifest_files: &[String]| {
        let page = ProfilePage {
            summary: s,
            model_slug: model_slug.clone(),
            color,
            manifest_files: manifest_files.to_vec(),
            // Only the profile's own page shows its command, and that page is reused whole.
            cli_command: String::new(),
            fingerprint: fp.clone(),
            snapshot: snapshot.clone(),
            reused: true,
            // Where its entries lie in the previous build's aggregate files, if that build
            // made them from the same inputs.
            previous_entries: previous.and_then(|(_, record)| record.entries),
        };
        let view = LazyView::of_reused(&page, input);
        (page, view)
    };
    // Best, its files already lie where they go (in the generation written over, or the
    // published site's linked in); else they are linked from the published site now.
    if let Some(kept) = input
        .standby
        .and_then(|standby| standby.profile_in_place(id, &fp))
    {
        w.keep_in_place(&kept.files);
        return Ok(reused(&kept.record.manifest_files));
    }
    if let Some((prev, record)) = previous
        && w.reuse_all(
            &prev.dir,
            &profile_files(id, &record.manifest_files),
            record.lengths.as_deref(),
        )
    {
        return Ok(reused(&record.manifest_files));
    }
    let cli_command = profile_command(&s.profile.key);
    let manifests = write_manifests(w, input, s, &snapshot, &cli_command)?;
    let page = ProfilePage {
        summary: s,
        model_slug,
        color,
        manifest_files: manifests.iter().filter_map(|m| m.file.clone()).collect(),
        cli_command,
        fingerprint: fp,
        snapshot,
        reused: false,
        previous_entries: None,
    };
    let records = s.record_evaluations(input.cfg, input.prices);
    let mut view = profile_view(&page, input, Some(&records));
    let charts = profile_charts(s);
    write_profile_page(r, &page.snapshot, &view, &charts, &manifests)?;
    write_benchmarks_json(w, input, s, &records)?;
    // The other pages show the profile without its records' rows.
    view.points = Vec::new();
    view.point_columns = None;
    let view = LazyView::made(&page, input, view);
    Ok((page, view))
}

/// The profile page (`templates/site/profile.html.j2`, compiled by askama). Everything it
/// shows is in its fields; `root` and `site` are what the base template needs.
#[derive(askama::Template)]
#[template(path = "site/profile.html.j2")]
struct ProfileHtml<'a> {
    root: &'a str,
    site: Chrome<'a>,
    p: &'a ProfileView<'a>,
    cols: &'a PointColumns,
    charts: &'a ProfileCharts,
    manifests: Vec<ManifestItem<'a>>,
    /// The base manifest the derived variants are made from, as the page asks for it.
    derived_base: Option<String>,
    /// `p.flags` as the page's data block.
    flags_json: String,
}

/// A manifest link with its patch as the page's data block (derived variants only).
struct ManifestItem<'a> {
    link: &'a ManifestLink,
    patch_json: String,
}

impl ManifestItem<'_> {
    /// Why there is no file, for a manifest that could not be made.
    fn reason(&self) -> &str {
        self.link.reason.as_deref().unwrap_or("")
    }
}

/// Helpers for the template, which hands its arguments over by reference.
impl ProfileHtml<'_> {
    /// The value, or `—` when there is none (or it is empty).
    fn or_dash<'v>(&self, value: &Option<&'v str>) -> &'v str {
        value.filter(|v| !v.is_empty()).unwrap_or("—")
    }

    fn or_empty<'v>(&self, value: &Option<&'v str>) -> &'v str {
        value.unwrap_or("")
    }
}

fn write_profile_page(
    r: &Render,
    snapshot: &str,
    view: &ProfileView,
    charts: &ProfileCharts,
    manifests: &[ManifestLink],
) -> Result<(), SiteError> {
    use askama::Template;
    let page = profile_html(r.chrome(snapshot), view, charts, manifests)?;
    r.w.stream(&format!("profiles/{}.html", view.id), |out| {
        // askama drops the template's last line break, which minijinja (the other pages) keeps.
        page.write_into(out)
            .and_then(|()| std::io::Write::write_all(out, b"\n"))
            .map_err(SiteError::Write)
    })
}

/// The profile page's template with its values: the data blocks serialized, the base
/// manifest's address for the derived variants.
fn profile_html<'a>(
    site: Chrome<'a>,
    view: &'a ProfileView<'a>,
    charts: &'a ProfileCharts,
    manifests: &'a [ManifestLink],
) -> Result<ProfileHtml<'a>, SiteError> {
    let data_block = |e: serde_json::Error| SiteError::Data(format!("profile {}: {e}", view.id));
    let derived_base = manifests
        .iter()
        .find_map(|m| m.derived.as_ref())
        .and_then(|d| {
            let file = manifests.first()?.file.as_ref()?;
            Some(format!("../{file}?v={}", d.base_version))
        });
    let items = manifests
        .iter()
        .map(|link| {
            let patch_json = match &link.derived {
                Some(d) => templates::json_data_text(&d.patch).map_err(data_block)?,
                None => String::new(),
            };
            Ok(ManifestItem { link, patch_json })
        })
        .collect::<Result<Vec<_>, SiteError>>()?;
    let cols = view
        .point_columns
        .as_ref()
        .ok_or_else(|| SiteError::Data(format!("profile {}: no point table", view.id)))?;
    Ok(ProfileHtml {
        root: "../",
        site,
        p: view,
        cols,
        charts,
        manifests: items,
        derived_base,
        flags_json: templates::json_data_text(&view.flags).map_err(data_block)?,
    })
}

pub(super) fn write_benchmarks_json(
    w: &SiteWriter,
    input: &SiteInput,
    s: &ProfileSummary,
    records: &[Evaluation],
) -> Result<(), SiteError> {
    let json = all_points_doc(
        s,
        records,
        input.cfg.output_input_cost_ratio,
        input.pricing_model,
        Derivable::LeftOut,
    );
    w.write(
        &format!("api/v1/benchmarks/{}.json", s.profile.id),
        &to_json_bytes(&json)?,
    )
}

pub(super) fn render_chart(spec: &ChartSpec) -> String {
    charts::draw(spec)
}

/// A curve's drawable points (as [`charts`] draws them: finite, y > 0) and where, among them,
/// the points beyond the knee start (`None` when the knee is not an operating point).
pub(super) fn knee_split_series(
    s: &ProfileSummary,
    x: fn(&MeasuredPoint) -> Option<f64>,
    y: impl Fn(&MeasuredPoint) -> Option<f64>,
) -> (Vec<(f64, f64)>, Option<usize>) {
    let drawable = |p: &MeasuredPoint| Some((x(p)?, y(p)?)).filter(|xy| charts::drawable(*xy));
    let pts = &s.profile.points;
    let points: Vec<(f64, f64)> = pts.iter().filter_map(drawable).collect();
    let beyond_from = s
        .knee
        .method
        .is_operable()
        .then(|| {
            pts.iter()
                .take(s.knee.index + 1)
                .filter_map(drawable)
                .count()
        })
        .filter(|b| *b < points.len());
    (points, beyond_from)
}

/// A profile page's two latency charts, and the names of the latencies they draw and leave
/// out (a tool that does not report a latency gets no empty line and legend entry for it).
pub(super) struct ProfileCharts {
    throughput: String,
    load: String,
    /// "NTPOT, TTFT and ITL", or those drawn.
    drawn: String,
    /// "NTPOT" or "NTPOT and ITL": latencies no point reports, if any.
    undrawn: Option<String>,
}

pub(super) fn profile_charts(s: &ProfileSummary) -> ProfileCharts {
    let stat = s.stat;
    let knee = &s.at_knee.point;
    let metrics: [(&str, LatencyOf, usize); 3] = [
        ("NTPOT", |p| &p.ntpot, 0),
        ("TTFT", |p| &p.ttft, 1),
        ("ITL", |p| &p.itl, 2),
    ];
    let reported = |m: LatencyOf| {
        s.profile.points.iter().any(|p| {
            stat.of(m(p))
                .is_some_and(|y| charts::drawable((p.output_tokens_per_s, y)))
        })
    };
    let (drawn, undrawn): (Vec<_>, Vec<_>) = metrics.iter().partition(|(_, m, _)| reported(*m));
    // The ring's label: the knee, or the highest point where none was observed.
    let marked = s
        .knee
        .method
        .is_operable()
        .then(|| s.knee.method.point_name());
    // With nothing to draw, the chart still says so under all three names.
    let drawn = if drawn.is_empty() {
        metrics.iter().collect()
    } else {
        drawn
    };
    let build =
        |id: &str, title: &str, x_label: &str, x: fn(&MeasuredPoint) -> Option<f64>| -> ChartSpec {
            let series = drawn
                .iter()
                .map(|(name, m, color)| {
                    let (points, beyond_from) = knee_split_series(s, x, |p| stat.of(m(p)));
                    Series {
                        name: format!("{name} ({stat})"),
                        color: PALETTE[*color].to_string(),
                        points,
                        href: None,
                        beyond_from,
                        key: None,
                    }
                })
                .filter(|series| !series.points.is_empty())
                .collect();
            // On the first drawn latency's line (a tool may report ITL alone).
            let knee_y = drawn.iter().find_map(|(_, m, _)| stat.of(m(knee)));
            let markers = match (x(knee), knee_y, marked) {
                (Some(kx), Some(ky), Some(label)) => vec![Marker {
                    x: kx,
                    y: ky,
                    label: label.into(),
                    href: None,
                }],
                _ => vec![],
            };
            let suggested = crate::format::band_target(stat.of(&knee.ntpot));
            let bands = metrics
                .iter()
                .map(|(name, _, _)| Band {
                    metric: name.to_lowercase(),
                    name: name.to_string(),
                    value: if *name == "NTPOT" { suggested } else { None },
                })
                .collect();
            ChartSpec {
                id: id.into(),
                title: title.into(),
                x_label: x_label.into(),
                y_label: format!("latency, ms ({stat}, log scale)"),
                series,
                markers,
                bands,
                x_band: None,
                // The figure's caption says what the dots and the circle mean.
                note: None,
            }
        };
    let unit = match knee.load {
        Load::Concurrency(_) => "concurrent requests",
        _ => "requested rate (req/s)",
    };
    let (throughput, load) = charts::draw_pair(
        &build(
            "chart-throughput",
            "Latency vs output throughput",
            "output tokens/s",
            |p| Some(p.output_tokens_per_s),
        ),
        &build("chart-load", "Latency vs load", unit, |p| p.load.value()),
    );
    ProfileCharts {
        throughput,
        load,
        drawn: names(&drawn, crate::format::and_list),
        // "no point reports NTPOT or ITL"
        undrawn: (!undrawn.is_empty() && undrawn.len() < metrics.len())
            .then(|| names(&undrawn, crate::format::or_list)),
    }
}

/// The latencies' names as prose ("TTFT and ITL").
fn names(metrics: &[&(&str, LatencyOf, usize)], list: fn(&[&str]) -> String) -> String {
    list(&metrics.iter().map(|(name, _, _)| *name).collect::<Vec<_>>())
}

/// The cheapest profile of one workload at its knee; profiles whose knee does not keep up
/// (capacity only) are not candidates.
pub(super) fn cheapest_at_knee<'v>(
    group: &[(&ProfilePage, &'v LazyView)],
    pricing: PricingModel,
) -> Option<Cheapest<'v>> {
    group
        .iter()
        .filter(|(p, _)| p.summary.knee.method.is_operable())
        .filter_map(|(p, v)| {
            let c = p.summary.at_knee.cost(pricing)?.cost?;
            Some((c.usd_per_million_output, p, v))
        })
        .min_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.summary.profile.id.cmp(&b.1.summary.profile.id))
        })
        .map(|(cost, p, v)| Cheapest {
            id: v.id,
            label: &v.label,
            cost: crate::format::sig(Some(cost)),
            point: p.summary.knee.method.point_name(),
        })
}

/// A workload's NTPOT and TTFT charts; a chart no profile of the workload has a point for is
/// left out (an empty string) while the other has some, and the page says which latency no
/// profile reports instead of drawing "No data to plot".
pub(super) fn model_charts(
    mine: &[(&ProfilePage, &LazyView)],
    n: usize,
) -> BTreeMap<&'static str, String> {
    let mut specs = Vec::new();
    let note = if mine
        .iter()
        .any(|(p, _)| p.summary.knee.method == KneeMethod::NotObserved)
    {
        charts::KNEE_OR_HIGHEST_NOTE
    } else {
        charts::KNEE_NOTE
    };
    for (key, title, metric) in [
        (
            "ntpot",
            "NTPOT vs output throughput",
            (|p: &MeasuredPoint| &p.ntpot) as fn(&MeasuredPoint) -> &Latency,
        ),
        ("ttft", "TTFT vs output throughput", |p: &MeasuredPoint| {
            &p.ttft
        }),
    ] {
        let mut series = Vec::new();
        let mut markers = Vec::new();
        for (p, v) in mine {
            let stat = p.summary.stat;
            let (line, beyond_from) = knee_split_series(
                p.summary,
                |q| Some(q.output_tokens_per_s),
                |q| stat.of(metric(q)),
            );
            if line.is_empty() {
                continue;
            }
            let knee = &p.summary.at_knee.point;
            if let Some(y) = stat
                .of(metric(knee))
                .filter(|_| p.summary.knee.method.is_operable())
            {
                markers.push(Marker {
                    x: knee.output_tokens_per_s,
                    y,
                    label: String::new(),
                    href: None,
                });
            }
            series.push(Series {
                name: v.configuration.clone(),
                color: p.color.to_string(),
                points: line,
                href: Some(format!("../profiles/{}.html", p.summary.profile.id)),
                beyond_from,
                key: Some(p.summary.profile.id.clone()),
            });
        }
        let spec = ChartSpec {
            id: format!("chart-{key}-{n}"),
            title: title.into(),
            x_label: "output tokens/s".into(),
            y_label: "latency, ms (log scale)".into(),
            series,
            markers,
            bands: Vec::new(),
            x_band: None,
            note: Some(note.into()),
        };
        specs.push((key, spec));
    }
    let any_drawn = specs.iter().any(|(_, spec)| !spec.series.is_empty());
    specs
        .into_iter()
        .map(|(key, spec)| {
            let chart = if spec.series.is_empty() && any_drawn {
                String::new()
            } else {
                render_chart(&spec)
            };
            (key, chart)
        })
        .collect()
}

/// The namespace of every manifest the site offers.
pub(super) const SITE_NAMESPACE: &str = "default";

/// The bucket the site's bucket variants load the weights from: a placeholder to replace.
pub(super) const SITE_BUCKET: &str = "your-model-bucket";

/// The manifest lines the site's fixed bucket and namespace make the same on every page
/// ([`manifests::bucket_setting_lines`]). None if they cannot be rendered, which costs the
/// pages bytes but never gives a wrong line: a page names a shared line only where its own
/// line equals it.
pub(super) fn site_setting_lines() -> Vec<String> {
    BucketUri::parse(&format!("gs://{SITE_BUCKET}"))
        .ok()
        .and_then(|bucket| manifests::bucket_setting_lines(&bucket, SITE_NAMESPACE).ok())
        .unwrap_or_default()
}

/// One of the downloadable manifests every profile page offers.
struct ManifestVariant<'a> {
    file: &'static str,
    title: String,
    differs: manifests::Variant<'a>,
    description: String,
}

fn manifest_variants<'a>(
    input: &SiteInput,
    bucket: &'a BucketUri,
    method: KneeMethod,
) -> [ManifestVariant<'a>; 3] {
    let point = method.point_name();
    [
        ManifestVariant {
            file: "base.yaml",
            title: "Base manifest".into(),
            differs: manifests::Variant {
                include_hpa: false,
                bucket: None,
            },
            description: format!(
                "Deployment, Service and metrics scraping (PodMonitoring on GKE, ServiceMonitor elsewhere) sized at the {}; weights from Hugging Face.",
                manifests::knee_point_kind(method)
            ),
        },
        ManifestVariant {
            file: match method {
                KneeMethod::NotObserved => "hpa-highest-point.yaml",
                _ => "hpa-knee.yaml",
            },
            title: format!("With autoscaling at the {point}"),
            differs: manifests::Variant {
                include_hpa: true,
                bucket: None,
            },
            description: format!(
                "adds a HorizontalPodAutoscaler whose target is the server metric at the {point} minus a {}% buffer.",
                crate::format::trimmed(input.cfg.hpa_buffer * 100.0, 1)
            ),
        },
        ManifestVariant {
            file: "bucket.yaml",
            title: "Weights from a Cloud Storage bucket".into(),
            differs: manifests::Variant {
                include_hpa: false,
                bucket: Some(bucket),
            },
            description: format!(
                "loads the weights with Cloud Storage FUSE from gs://{SITE_BUCKET} (replace it with yours)."
            ),
        },
    ]
}

/// GKE for what GKE offers (and for an unknown accelerator, whose manifests say why there are
/// none); plain Kubernetes with the vendor's device plugin for everything else (AMD, …).
pub(super) fn site_platform(accelerator: &str) -> Platform {
    use pipeline::machines::{AcceleratorKind, accelerator_kind};
    match accelerator_kind(accelerator) {
        AcceleratorKind::Other(_) => Platform::Generic,
        _ => Platform::Gke,
    }
}

/// The `manifests create` command that makes a custom manifest of the profile `k` names.
pub(super) fn profile_command(k: &ProfileKey) -> String {
    let mut flags = manifests::profile_flags(k);
    if site_platform(&k.accelerator) == Platform::Generic {
        flags.push(("platform", "generic".into()));
    }
    create_command(&flags)
}

/// A profile's manifests: the base written as its one file, the HPA and bucket variants as
/// patches of it the page applies (the three downloads); `command` makes a custom one.
/// Every page's manifests use the namespace [`SITE_NAMESPACE`] and, for the bucket variant, a
/// placeholder bucket [`SITE_BUCKET`] the reader replaces.
pub(super) fn write_manifests(
    w: &SiteWriter,
    input: &SiteInput,
    s: &ProfileSummary,
    snapshot: &str,
    command: &str,
) -> Result<Vec<ManifestLink>, SiteError> {
    let k = &s.profile.key;
    let platform = site_platform(&k.accelerator);
    let bucket_name = format!("gs://{SITE_BUCKET}/{}", pipeline::profile::slug(&k.model));
    let bucket = BucketUri::parse(&bucket_name).map_err(|e| SiteError::Data(e.to_string()))?;
    let no_hpa_reason = format!(
        "this variant has none; the HPA variant adds one at the {}, and `infercat manifests create` with a latency target sizes one for your target",
        s.knee.method.point_name()
    );
    let request = ManifestRequest {
        profile: &s.profile,
        evaluation: &s.at_knee,
        point_kind: manifests::knee_point_kind(s.knee.method),
        stat: s.stat,
        namespace: SITE_NAMESPACE,
        platform,
        bucket: None,
        model_facts: input.models.get(&k.model),
        snapshot,
        include_hpa: false,
        no_hpa_reason: &no_hpa_reason,
        hpa_buffer: input.cfg.hpa_buffer,
        expected_qps: None,
        cli_command: command,
        selection_note: None,
    };
    let variants = manifest_variants(input, &bucket, s.knee.method);
    let texts = manifests::render_variants(&request, &variants.each_ref().map(|v| v.differs))?;
    let rendered: Vec<_> = variants
        .into_iter()
        .zip(texts)
        .map(|(variant, text)| {
            let hpa_missing = variant
                .differs
                .include_hpa
                .then(|| s.at_knee.hpa.as_ref().err())
                .flatten()
                .map(|why| why.to_string());
            (
                variant,
                text.map(|m| m.all()).map_err(|e| e.to_string()),
                hpa_missing,
            )
        })
        .collect();
    let id = &s.profile.id;
    let base_file = format!("manifests/{id}.yaml");
    // The base file and the hash the page asks for it by, once for both derived variants.
    let base_text = match &rendered[0].1 {
        Ok(text) => {
            w.write(&base_file, text.as_bytes())?;
            Some(text.clone())
        }
        Err(_) => None,
    };
    let base = base_text.as_deref().map(|text| {
        (
            manifest_patch::Base::new(text, manifest_patch::SharedLines::site()),
            pipeline::digest::sha256_hex(text.as_bytes(), 6),
        )
    });
    let links = rendered
        .into_iter()
        .enumerate()
        .map(|(i, (variant, text, hpa_missing))| {
            let mut link = ManifestLink {
                file: None,
                title: variant.title,
                description: variant.description,
                reason: None,
                derived: None,
            };
            match (text, &base) {
                (Err(reason), _) => link.reason = Some(reason),
                (Ok(_), Some(_)) if i == 0 => link.file = Some(base_file.clone()),
                (Ok(text), Some((base, version))) => {
                    link.derived = Some(DerivedManifest {
                        file: variant.file.to_string(),
                        base_version: version.clone(),
                        patch: base.patch_to(&text),
                    })
                }
                (Ok(_), None) => {
                    link.reason = Some("the base manifest it is derived from is missing".into())
                }
            }
            if let Some(why) = hpa_missing {
                link.description = format!("{} This profile has no HPA: {why}", link.description);
            }
            link
        })
        .collect();
    Ok(links)
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::Template;
    use pipeline::analysis::AnalysisConfig;
    use pipeline::pricing::PriceBook;

    const HOSTILE: &str = "<script>alert('x')</script> & \"q\"";
    const HOSTILE_ESCAPED: &str =
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;";

    /// The compiled profile template escapes every value as the interpreted ones do (`'` as
    /// `&#x27;`, `/` left alone), and its data blocks cannot close their script.
    #[test]
    fn the_profile_page_escapes_what_came_from_input() {
        let cfg = AnalysisConfig::default();
        let prices = PriceBook::bundled().unwrap();
        let all = test_pages::wild_summaries(&cfg, &prices);
        let s = &all[0];
        let page = test_pages::page_of(s);
        let records = s.record_evaluations(&cfg, &prices);
        test_pages::with_input(&all, &cfg, &prices, |input| {
            assert_escaped(profile_view(&page, input, Some(&records)), s);
        });
    }

    fn assert_escaped(mut view: ProfileView, s: &ProfileSummary) {
        view.model = HOSTILE;
        view.notes = Some(HOSTILE);
        view.variant = None;
        view.flags = vec![("model", "</script><!-- a&'b".into())];
        let manifests = [
            ManifestLink {
                file: Some("manifests/x.yaml".into()),
                title: "Base manifest".into(),
                description: "d".into(),
                reason: None,
                derived: None,
            },
            ManifestLink {
                file: None,
                title: "With autoscaling".into(),
                description: "d".into(),
                reason: None,
                derived: Some(DerivedManifest {
                    file: "hpa.yaml".into(),
                    base_version: "abc".into(),
                    patch: vec![manifest_patch::Hunk(
                        1,
                        0,
                        vec![manifest_patch::Line::Text("# </script>\n".into())],
                    )],
                }),
            },
            ManifestLink {
                file: None,
                title: "Bucket".into(),
                description: "d".into(),
                reason: Some(HOSTILE.into()),
                derived: None,
            },
        ];
        let charts = profile_charts(s);
        let chrome = Chrome {
            generator: "infercat test",
            assets: "v1",
            snapshot: "snap",
            pricing_model: "spot",
        };
        let html = profile_html(chrome, &view, &charts, &manifests)
            .unwrap()
            .render()
            .unwrap();
        assert!(!html.contains("<script>alert"), "raw markup from input");
        assert_eq!(
            html.matches(HOSTILE_ESCAPED).count(),
            4,
            "h1, note, crumbs and the unavailable manifest's reason"
        );
        assert!(html.contains(r#"[["model","\u003c/script\u003e\u003c!-- a\u0026\u0027b"]]"#));
        assert!(html.contains(r##"[[1,0,["# \u003c/script\u003e\n"]]]"##));
        assert!(
            html.contains(r#"data-base="../manifests/x.yaml?v=abc""#),
            "slashes unescaped"
        );
        assert!(html.contains("<dt>Variant<dd>—\n"));
        assert!(html.contains("data snapshot <code>snap</code>"));
        assert!(html.starts_with("<!doctype html>\n") && html.ends_with("</html>"));
    }
}
