//! The downloads and the static JSON API: tables as Parquet and CSV, the reports,
//! `api/v1/index.json` for the pages' script, `profiles.json`, `models.json` and one
//! `benchmarks/<profile>.json` per profile.

use super::caveats::caveats;
use crate::api::{CostJson, PointContext, ProfileJson, profile_doc, workload_spec};
use pipeline::analysis::knee::{Knee, find_knee_point, first_falling_behind};
use pipeline::analysis::percentile::Percentile;
use pipeline::analysis::sizing::SIZING_HEADROOM;
use pipeline::point::MeasuredPoint;
use pipeline::pricing::PricingModel;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;

use super::*;

pub(super) fn write_data(w: &SiteWriter, input: &SiteInput) -> Result<(), SiteError> {
    for name in ["benchmarks", "profiles"] {
        let parquet = input.data_dir.join(format!("{name}.parquet"));
        w.link_or_copy(&parquet, &format!("data/{name}.parquet"))?;
        let csv = input.data_dir.join(format!("{name}.csv"));
        if csv.is_file() {
            w.link_or_copy(&csv, &format!("data/{name}.csv"))?;
        } else {
            // Tables written before CSV copies sat beside them.
            let csv = pipeline::schema::parquet_to_csv(&parquet)
                .map_err(|e| SiteError::Data(e.to_string()))?;
            w.write(&format!("data/{name}.csv"), &csv)?;
        }
    }
    for name in ["ingest-report.json", "price-report.json"] {
        w.copy(&input.data_dir.join(name), &format!("data/{name}"))?;
    }
    Ok(())
}

/// The statistics a planner target can be set at, in the order of each curve row's last column.
pub(super) const TARGET_STATISTICS: [Percentile; 4] = [
    Percentile::Mean,
    Percentile::P50,
    Percentile::P90,
    Percentile::P99,
];

/// One curve row: `[load kind, load, qps, output tok/s, input tok/s, per-user tok/s, NTPOT,
/// TTFT, ITL, [[NTPOT, TTFT, ITL] per statistic]]` — the displayed statistic first, then the
/// strict values a target at each of [`TARGET_STATISTICS`] is checked against (the CLI's rule:
/// an unreported statistic fails the target).
#[derive(Serialize)]
struct CurveRow(
    &'static str,
    Option<f64>,
    Option<f64>,
    f64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    [[Option<f64>; 3]; TARGET_STATISTICS.len()],
);

fn curve_row(pt: &MeasuredPoint, display: Percentile) -> CurveRow {
    let strict = TARGET_STATISTICS.map(|s| [s.of(&pt.ntpot), s.of(&pt.ttft), s.of(&pt.itl)]);
    CurveRow(
        pt.load.kind(),
        pt.load.value(),
        pt.request_rate(),
        pt.output_tokens_per_s,
        pt.input_tokens_per_s(),
        pt.per_user_tokens_per_s(|l| display.of(l)),
        display.of(&pt.ntpot),
        display.of(&pt.ttft),
        display.of(&pt.itl),
        strict,
    )
}

/// The knee under each target statistic, as `[index or null, operable, what the point is]`
/// (`knee`, `highest point` where no knee was observed, `capacity`: the profile page's names),
/// keyed by the statistic's name: `manifests create --percentile=<s>` finds its knee the same
/// way. The analysis already found `found`, the knee at the build's statistic `at`.
fn knees_by_statistic(
    points: &[MeasuredPoint],
    at: Percentile,
    found: &Knee,
) -> BTreeMap<String, KneeAt> {
    TARGET_STATISTICS
        .iter()
        .map(|s| {
            let knee = if *s == at {
                Some((found.index, found.method))
            } else {
                find_knee_point(points, *s)
            };
            (
                s.to_string(),
                (
                    knee.map(|(index, _)| index),
                    knee.is_some_and(|(_, method)| method.is_operable()),
                    knee.map_or("knee", |(_, method)| method.point_name()),
                ),
            )
        })
        .collect()
}

/// A knee in `index.json`: see [`knees_by_statistic`].
type KneeAt = (Option<usize>, bool, &'static str);

/// One profile's entry in `api/v1/index.json` (fields in sorted order, as `profiles.json`'s).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IndexEntry<'a> {
    accelerator_count: u32,
    accelerator_type: &'a str,
    caveats: Vec<(&'static str, String)>,
    curve: Vec<CurveRow>,
    disaggregated: bool,
    instance_type: Option<&'a str>,
    knee_index: usize,
    knee_operable: bool,
    knees: BTreeMap<String, KneeAt>,
    lengths: (Option<i64>, Option<i64>),
    model: &'a str,
    model_server: &'a str,
    prices: Vec<Option<f64>>,
    profile_id: &'a str,
    topology: String,
    usable_points: usize,
    use_case: &'a str,
    variant: Option<&'a str>,
    version: &'a str,
    workload: &'a str,
}

fn index_entry(s: &ProfileSummary, at: Percentile) -> IndexEntry<'_> {
    let k = &s.profile.key;
    let points = &s.profile.points;
    let spec = workload_spec(&s.profile);
    IndexEntry {
        accelerator_count: k.accelerator_count,
        accelerator_type: &k.accelerator,
        caveats: caveats(&s.profile)
            .into_iter()
            .map(|c| (c.badge, c.text))
            .collect(),
        curve: points.iter().map(|pt| curve_row(pt, s.stat)).collect(),
        disaggregated: k.topology.is_disaggregated(),
        instance_type: k.instance_type.as_deref(),
        knee_index: s.knee.index,
        knee_operable: s.knee.method.is_operable(),
        knees: knees_by_statistic(points, at, &s.knee),
        lengths: (spec.average_input_length, spec.average_output_length),
        model: &k.model,
        model_server: &k.model_server,
        prices: PricingModel::ALL
            .iter()
            .map(|m| s.at_knee.cost(*m).and_then(|c| c.usd_per_hour()))
            .collect(),
        profile_id: &s.profile.id,
        topology: k.topology.label(),
        usable_points: first_falling_behind(points).unwrap_or(points.len()),
        use_case: &k.use_case,
        variant: k.variant.as_deref(),
        version: &k.model_server_version,
        workload: &k.workload,
    }
}

/// The compact table the pages' script (filters, planner, compare) works from: per profile its
/// key fields, caveats, knees, how many leading points targets may use (the CLI's rule: none
/// from the first that falls behind its requested rate), machine prices per pricing model and
/// its curve ([`curve_row`]).
pub(super) fn write_index_json(
    out: &mut impl Write,
    input: &SiteInput,
    pages: &[ProfilePage],
) -> Result<Vec<Span>, SiteError> {
    let head = json!({
        "pricingModels": PricingModel::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "outputInputCostRatio": input.cfg.output_input_cost_ratio,
        "percentile": input.cfg.percentile.to_string(),
        "pricingModel": input.pricing_model.as_str(),
        "statistics": TARGET_STATISTICS.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        "sizingHeadroom": SIZING_HEADROOM,
    });
    let mut text = to_json_bytes(&head)?;
    // `{…}\n` becomes `{…,"profiles":[…]}\n`, the entries streamed ([`write_json_array`]).
    text.truncate(text.len() - 2);
    text.extend_from_slice(br#","profiles":"#);
    out.write_all(&text).map_err(SiteError::Write)?;
    let previous = PreviousEntries::open(input.previous, INDEX_JSON);
    let spans = write_json_array(out, text.len() as u64, pages, |p, bytes| {
        copied_or_made(
            previous.as_ref(),
            p,
            |e| e.index_json,
            bytes,
            |bytes| append_json(bytes, &index_entry(p.summary, input.cfg.percentile)),
        )
    })?;
    out.write_all(b"}\n").map_err(SiteError::Write)?;
    Ok(spans)
}

/// How many entries of a JSON array are built before they are written: the text in memory at
/// once is this many entries' (about 4 MB of `profiles.json`), whatever the catalog's size.
const ARRAY_BATCH: usize = 1024;

/// Writes a JSON array of one value per item to `out`, a batch at a time: each batch's entries
/// serialized on both cores (`entry` appends an item's JSON, with [`append_json`]), written in
/// order, then dropped. Never the whole array's text at once. Hands back where each entry lies
/// in the file, given that the array starts at byte `start`.
pub(super) fn write_json_array<T: Sync>(
    out: &mut impl Write,
    start: u64,
    items: &[T],
    entry: impl Fn(&T, &mut Vec<u8>) -> Result<(), SiteError> + Sync,
) -> Result<Vec<Span>, SiteError> {
    out.write_all(b"[").map_err(SiteError::Write)?;
    let mut spans = Vec::with_capacity(items.len());
    // The offset of the next byte written, and whether an entry has been.
    let (mut at, mut first) = (start + 1, true);
    for batch in items.chunks(ARRAY_BATCH) {
        let parts: Vec<(Vec<u8>, Vec<Span>)> = batch
            .par_chunks(64)
            .map(|chunk| {
                // Each entry is written as `,{…}`; its span is `{…}`, relative to the part.
                let mut bytes = Vec::new();
                let mut within = Vec::with_capacity(chunk.len());
                for item in chunk {
                    bytes.push(b',');
                    let from = bytes.len();
                    entry(item, &mut bytes)?;
                    within.push(Span(from as u64, (bytes.len() - from) as u64));
                }
                Ok((bytes, within))
            })
            .collect::<Result<_, SiteError>>()?;
        for (part, within) in parts {
            // The array's first entry has no comma before it.
            let skip = usize::from(first);
            first = false;
            out.write_all(&part[skip..]).map_err(SiteError::Write)?;
            let base = at - skip as u64;
            spans.extend(
                within
                    .into_iter()
                    .map(|Span(from, len)| Span(base + from, len)),
            );
            at += (part.len() - skip) as u64;
        }
    }
    out.write_all(b"]").map_err(SiteError::Write)?;
    Ok(spans)
}

/// Appends `v` as JSON to `bytes`: an entry of [`write_json_array`], serialized straight from
/// its typed shape.
pub(super) fn append_json(bytes: &mut Vec<u8>, v: &impl Serialize) -> Result<(), SiteError> {
    serde_json::to_writer(bytes, v).map_err(|e| SiteError::Data(e.to_string()))
}

/// `v` as a JSON file's text: one line.
pub(super) fn to_json_bytes(v: &impl Serialize) -> Result<Vec<u8>, SiteError> {
    let mut text = Vec::new();
    append_json(&mut text, v)?;
    text.push(b'\n');
    Ok(text)
}

/// One profile's entry in `api/v1/profiles.json`: its Quickstart-shaped profile at the knee
/// (each cost entry states the machine's price under its pricing model), its page and manifest
/// files.
fn profile_entry<'a>(input: &SiteInput, p: &'a ProfilePage) -> ProfileJson<'a, CostJson<'a>> {
    let s = p.summary;
    let ratio = input.cfg.output_input_cost_ratio;
    let ctx = PointContext {
        kind: "knee",
        knee: &s.knee,
        stat: s.stat,
        pricing_model: input.pricing_model,
        ratio,
    };
    let mut entry = profile_doc(&s.profile, &s.at_knee, &ctx);
    entry.output_input_cost_ratio = Some(ratio);
    entry.page = Some(format!("profiles/{}.html", s.profile.id));
    entry.manifests = Some(p.manifest_files.iter().map(String::as_str).collect());
    entry
}

/// Appends page `p`'s entry of an aggregate file: the previous build's copy where it reads
/// back ([`PreviousEntries::copy`]), else the one `make` serializes.
fn copied_or_made(
    previous: Option<&PreviousEntries>,
    p: &ProfilePage,
    span: fn(&AggregateEntries) -> Span,
    bytes: &mut Vec<u8>,
    make: impl FnOnce(&mut Vec<u8>) -> Result<(), SiteError>,
) -> Result<(), SiteError> {
    if previous.is_some_and(|old| old.copy(p, span, bytes)) {
        return Ok(());
    }
    make(bytes)
}

/// The aggregate JSON files whose entries a refresh copies ([`PreviousEntries`]).
const PROFILES_JSON: &str = "api/v1/profiles.json";
const INDEX_JSON: &str = "api/v1/index.json";

/// Writes the JSON API's aggregate files and hands back where each page's entries lie in them
/// (in page order), for the next refresh.
pub(super) fn write_api(
    w: &SiteWriter,
    input: &SiteInput,
    pages: &[ProfilePage],
    models: &[ModelView],
) -> Result<Vec<AggregateEntries>, SiteError> {
    // Side by side: `index.json` (a knee per target statistic for every profile) is the
    // slowest aggregate file, and written after `profiles.json` it ended the build on one core.
    let mut profile_spans = Vec::new();
    let mut index_spans = Vec::new();
    let (profiles, index) = rayon::join(
        || {
            w.stream(PROFILES_JSON, |out| {
                let previous = PreviousEntries::open(input.previous, PROFILES_JSON);
                profile_spans = write_json_array(out, 0, pages, |p, bytes| {
                    copied_or_made(
                        previous.as_ref(),
                        p,
                        |e| e.profiles_json,
                        bytes,
                        |bytes| append_json(bytes, &profile_entry(input, p)),
                    )
                })?;
                out.write_all(b"\n").map_err(SiteError::Write)
            })
        },
        || {
            w.stream(INDEX_JSON, |out| {
                index_spans = write_index_json(out, input, pages)?;
                Ok(())
            })
        },
    );
    profiles?;
    index?;
    let models_json: Vec<Value> = models
        .iter()
        .map(|m| {
            json!({
                "model": m.model,
                "page": format!("models/{}.html", m.slug),
                "profileIds": m.profiles.iter().map(|p| p.id()).collect::<Vec<_>>(),
                "modelServers": m.servers,
                "acceleratorTypes": m.accelerators,
                "parametersBillion": m.parameters_billion,
            })
        })
        .collect();
    w.write(
        "api/v1/models.json",
        &to_json_bytes(&Value::Array(models_json))?,
    )?;
    Ok(profile_spans
        .into_iter()
        .zip(index_spans)
        .map(|(profiles_json, index_json)| AggregateEntries {
            profiles_json,
            index_json,
            index_html: None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeline::analysis::AnalysisConfig;

    /// Every bundled profile's `index.json` entry lists its fields sorted (the order it had as a
    /// `serde_json::Value`, so the pages' script and the bytes see no change).
    #[test]
    fn index_entries_list_their_fields_sorted() {
        let (summaries, _) = crate::test_support::bundled_summaries();
        assert!(!summaries.is_empty());
        for s in summaries {
            let entry = index_entry(s, AnalysisConfig::default().percentile);
            crate::test_support::assert_fields_sorted(&entry, &s.profile.id);
        }
    }

    /// The knees `index.json` lists per statistic are the ones `find_knee` finds (the CLI's
    /// `--percentile`), whether found again without their reasons or taken from the analysis.
    #[test]
    fn index_knees_are_the_knees_found_at_each_statistic() {
        let (summaries, _) = crate::test_support::bundled_summaries();
        let at = AnalysisConfig::default().percentile;
        let mut methods = std::collections::BTreeSet::new();
        for s in summaries {
            let points = &s.profile.points;
            let listed = knees_by_statistic(points, at, &s.knee);
            for stat in TARGET_STATISTICS {
                let knee = pipeline::analysis::knee::find_knee(points, stat);
                let expected = (
                    knee.as_ref().map(|k| k.index),
                    knee.as_ref().is_some_and(|k| k.method.is_operable()),
                    knee.as_ref().map_or("knee", |k| k.method.point_name()),
                );
                assert_eq!(
                    listed[&stat.to_string()],
                    expected,
                    "{} {stat}",
                    s.profile.id
                );
                methods.extend(knee.map(|k| k.method.as_str()));
            }
        }
        assert!(methods.len() >= 3, "{methods:?}");
    }

    #[test]
    fn json_arrays_are_whole_at_any_length_and_say_where_each_entry_lies() {
        // Across the batch boundary too (ARRAY_BATCH = 1024): the separator carries over.
        for n in [0usize, 1, 63, 64, 65, 1000, 1023, 1024, 1025, 2049] {
            let items: Vec<usize> = (0..n).collect();
            let head = b"{\"a\":";
            let mut bytes = head.to_vec();
            let spans = write_json_array(&mut bytes, head.len() as u64, &items, |i, out| {
                append_json(out, &json!({ "i": i }))
            })
            .unwrap();
            let at_once: Vec<Value> = items.iter().map(|i| json!({ "i": i })).collect();
            assert_eq!(
                bytes[head.len()..],
                serde_json::to_vec(&at_once).unwrap(),
                "{n} items: the bytes of the array serialized whole"
            );
            assert_eq!(spans.len(), n);
            for (i, Span(at, len)) in spans.into_iter().enumerate() {
                let entry = &bytes[at as usize..(at + len) as usize];
                assert_eq!(
                    entry,
                    serde_json::to_vec(&json!({ "i": i })).unwrap(),
                    "{n}: {i}"
                );
            }
        }
    }

    #[test]
    fn an_entry_that_fails_fails_the_array() {
        let items = [1, 2, 3];
        let failed = write_json_array(&mut Vec::new(), 0, &items, |i, out| {
            if *i == 2 {
                Err(SiteError::Data("no".into()))
            } else {
                append_json(out, i)
            }
        });
        assert!(failed.is_err());
    }
}
