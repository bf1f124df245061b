//! The read-only verbs: `models list`, `model-servers list`, `model-server-versions list`,
//! `accelerators list`, `use-cases list`, `profiles list`, `benchmarks list`.

use crate::catalog::{Catalog, check_known};
use crate::cli::{BenchmarksListArgs, Format, ListArgs, ProfilesListArgs, TargetArgs};
use crate::output;
use crate::settings::{accelerator_flag, targets};
use anyhow::Result;
use pipeline::analysis::knee::KneeMethod;
use pipeline::analysis::operating_point::Targets;
use pipeline::analysis::percentile::Percentile;
use pipeline::analysis::{Evaluation, Profile, ProfileSummary, evaluate_targets};
use pipeline::point::Load;
use pipeline::pricing::PricingModel;
use serde_json::{Value, json};
use site_gen::api::{PointContext, profile_json};

/// Prints a one-column list (names) in the chosen format.
fn print_names(title: &str, key: &str, names: &[String], format: Format) -> Result<String> {
    let rows: Vec<Vec<String>> = names.iter().map(|n| vec![n.clone()]).collect();
    let structured = Value::Array(names.iter().map(|n| json!({ key: n })).collect());
    output::print(format, &[title], &rows, &structured)
}

pub fn models(list: &ListArgs) -> Result<String> {
    let cat = Catalog::load(&list.catalog)?;
    print_names(
        "MODEL",
        "model",
        &cat.values(|p| Some(p.key.model.clone())),
        list.format,
    )
}

pub fn model_servers(model: &str, list: &ListArgs) -> Result<String> {
    let cat = Catalog::load(&list.catalog)?;
    check_known("--model", model, &cat.values(|p| Some(p.key.model.clone())))?;
    let names = cat.values(|p| (p.key.model == model).then(|| p.key.model_server.clone()));
    print_names("MODEL_SERVER", "modelServer", &names, list.format)
}

pub fn model_server_versions(model: &str, server: &str, list: &ListArgs) -> Result<String> {
    let cat = Catalog::load(&list.catalog)?;
    check_known("--model", model, &cat.values(|p| Some(p.key.model.clone())))?;
    check_known(
        "--model-server",
        server,
        &cat.values(|p| (p.key.model == model).then(|| p.key.model_server.clone())),
    )?;
    let names = cat.values(|p| {
        (p.key.model == model && p.key.model_server == server)
            .then(|| p.key.model_server_version.clone())
    });
    print_names(
        "MODEL_SERVER_VERSION",
        "modelServerVersion",
        &names,
        list.format,
    )
}

pub fn accelerators(model: Option<&str>, list: &ListArgs) -> Result<String> {
    let cat = Catalog::load(&list.catalog)?;
    if let Some(m) = model {
        check_known("--model", m, &cat.values(|p| Some(p.key.model.clone())))?;
    }
    let names = cat.values(|p| {
        model
            .is_none_or(|m| p.key.model == m)
            .then(|| p.key.accelerator.clone())
    });
    print_names("ACCELERATOR", "acceleratorType", &names, list.format)
}

/// Every use case the catalog has profiles for, with the workloads behind it and how many
/// profiles each has.
pub fn use_cases(list: &ListArgs) -> Result<String> {
    let cat = Catalog::load(&list.catalog)?;
    let mut by_case: std::collections::BTreeMap<&str, std::collections::BTreeMap<&str, usize>> =
        Default::default();
    for p in cat.profiles.iter().map(|s| &s.profile) {
        *by_case
            .entry(p.key.use_case.as_str())
            .or_default()
            .entry(p.key.workload.as_str())
            .or_default() += 1;
    }
    let rows: Vec<Vec<String>> = by_case
        .iter()
        .map(|(case, workloads)| {
            vec![
                case.to_string(),
                workloads.values().sum::<usize>().to_string(),
                workloads.keys().copied().collect::<Vec<_>>().join("; "),
            ]
        })
        .collect();
    let structured = Value::Array(
        by_case
            .iter()
            .map(|(case, workloads)| {
                json!({
                    "useCase": case,
                    "profiles": workloads.values().sum::<usize>(),
                    "workloads": workloads.keys().collect::<Vec<_>>(),
                })
            })
            .collect(),
    );
    output::print(
        list.format,
        &["USE_CASE", "PROFILES", "WORKLOADS"],
        &rows,
        &structured,
    )
}

/// A profile at the point `profiles list` reports: its knee, or its operating point.
pub struct ProfileAtPoint<'a> {
    pub summary: &'a ProfileSummary,
    pub profile: &'a Profile,
    pub kind: &'static str,
    pub evaluation: Evaluation,
}

/// Profiles matching `filter`, each at its knee (no targets) or operating point (targets);
/// profiles that cannot meet the targets are left out.
pub fn at_points<'a>(
    cat: &'a Catalog,
    targets: &Targets,
    filter: impl Fn(&Profile) -> bool,
) -> Vec<ProfileAtPoint<'a>> {
    cat.profiles
        .iter()
        .filter(|s| filter(&s.profile))
        .filter_map(|summary| {
            let profile = &summary.profile;
            if targets.is_empty() {
                Some(ProfileAtPoint {
                    summary,
                    profile,
                    kind: "knee",
                    evaluation: summary.at_knee.clone(),
                })
            } else {
                let (_, evaluation) =
                    evaluate_targets(profile, &summary.knee, targets, &cat.cfg, &cat.prices)?;
                Some(ProfileAtPoint {
                    summary,
                    profile,
                    kind: "operating-point",
                    evaluation,
                })
            }
        })
        .collect()
}

/// A filter flag: its name, the value given, and the profile field it matches.
type FilterFlag<'a> = (
    &'static str,
    &'a Option<String>,
    fn(&Profile) -> Option<String>,
);

/// Drops rows over the cost targets and orders the rest by model, then cheapest output first
/// (rows without a cost last).
fn within_cost_targets_cheapest_first(
    rows: &mut Vec<ProfileAtPoint>,
    args: &ProfilesListArgs,
    pm: PricingModel,
) {
    let cost_of = |r: &ProfileAtPoint| r.evaluation.cost(pm).and_then(|c| c.cost);
    let cost_targets = args.target_cost_per_million_output_tokens.is_some()
        || args.target_cost_per_million_input_tokens.is_some();
    rows.retain(|r| {
        let c = cost_of(r);
        // A capacity's cost is not one a deployment can run at: its points do not keep up.
        (!cost_targets || r.summary.knee.method.is_operable())
            && args
                .target_cost_per_million_output_tokens
                .is_none_or(|t| c.is_some_and(|c| c.usd_per_million_output <= t))
            && args
                .target_cost_per_million_input_tokens
                .is_none_or(|t| c.is_some_and(|c| c.usd_per_million_input <= t))
    });
    rows.sort_by(|a, b| {
        let ca = cost_of(a).map(|c| c.usd_per_million_output);
        let cb = cost_of(b).map(|c| c.usd_per_million_output);
        a.profile
            .key
            .model
            .cmp(&b.profile.key.model)
            .then(ca.is_none().cmp(&cb.is_none()))
            .then(ca.unwrap_or(0.0).total_cmp(&cb.unwrap_or(0.0)))
            .then(a.profile.id.cmp(&b.profile.id))
    });
}

const PROFILE_HEADER: [&str; 15] = [
    "Instance Type",
    "Accelerator",
    "Cost/M Input Tokens",
    "Cost/M Output Tokens",
    "Output Tokens/s",
    "NTPOT(ms)",
    "TTFT(ms)",
    "ITL(ms)",
    "Model Server",
    "Model Server Version",
    "Model",
    "Variant",
    "Accelerator Count",
    "Workload",
    "At",
];

pub fn profiles(args: &ProfilesListArgs) -> Result<String> {
    let cat = Catalog::load(&args.list.catalog)?;
    let pm: PricingModel = args.pricing_model.into();
    let rows = select_profiles(&cat, args)?;
    if rows.is_empty() {
        let why = if targets(&args.targets)?.is_empty() {
            String::new()
        } else {
            match unreported_targets(&cat, args)? {
                Some(note) => format!(" and meets the targets ({note})"),
                None => " and meets the targets".to_string(),
            }
        };
        eprintln!("no profile matches the filters{why}");
    }
    note_fallback_statistic(&cat, rows.iter().map(|r| r.summary));
    print_profiles(&cat, &rows, args, pm)
}

/// Says on stderr when some listed profiles show their latencies at the mean because their
/// tool reports no `--percentile` statistic: the table's columns do not name the statistic
/// (the JSON's `latencyStatistic` does).
fn note_fallback_statistic<'a>(cat: &Catalog, listed: impl Iterator<Item = &'a ProfileSummary>) {
    let asked = cat.cfg.percentile;
    let ids: Vec<&str> = listed
        .filter(|s| s.stat != asked)
        .map(|s| s.profile.id.as_str())
        .collect();
    if let Some(first) = ids.first() {
        eprintln!(
            "note: {} listed profile(s) report no {asked} latencies and are shown at {} instead (e.g. {first}); `--format=json` states each row's latencyStatistic",
            ids.len(),
            Percentile::Mean
        );
    }
}

/// Which targeted latencies the profiles matching the filters mostly do not report (vLLM's and
/// SGLang's results carry no NTPOT), for the message of an empty answer: a metric a tool does
/// not report cannot meet a target.
fn unreported_targets(cat: &Catalog, args: &ProfilesListArgs) -> Result<Option<String>> {
    let mut loose = args.clone();
    loose.targets = TargetArgs::default();
    loose.target_cost_per_million_output_tokens = None;
    loose.target_cost_per_million_input_tokens = None;
    let candidates = select_profiles(cat, &loose)?;
    let pct = cat.cfg.percentile;
    let notes: Vec<String> = targets(&args.targets)?
        .checks()
        .filter_map(|(name, metric, _)| {
            let reporting = candidates
                .iter()
                .filter(|r| r.profile.points.iter().any(|p| pct.of(metric(p)).is_some()))
                .count();
            (reporting < candidates.len()).then(|| {
                format!(
                    "{name} at {pct} is reported by {reporting} of the {} profiles matching the filters",
                    candidates.len()
                )
            })
        })
        .collect();
    Ok((!notes.is_empty()).then(|| notes.join("; ")))
}

/// The profiles `profiles list` shows for `args`, in its order: filters checked against the
/// catalog, each profile at its knee or at the targets' operating point, cost targets applied,
/// cheapest first (`infercat serve` answers `profiles:fetch` with this too).
pub fn select_profiles<'a>(
    cat: &'a Catalog,
    args: &ProfilesListArgs,
) -> Result<Vec<ProfileAtPoint<'a>>> {
    let pm: PricingModel = args.pricing_model.into();
    let accelerator = args.accelerator_type.as_deref().map(accelerator_flag);
    let use_case = args.use_case.as_deref().map(|u| {
        cat.values(|p| Some(p.key.use_case.clone()))
            .into_iter()
            .find(|known| known.eq_ignore_ascii_case(u.trim()))
            .unwrap_or_else(|| u.to_string())
    });
    let checks: [FilterFlag; 5] = [
        ("--model", &args.model, |p| Some(p.key.model.clone())),
        ("--model-server", &args.model_server, |p| {
            Some(p.key.model_server.clone())
        }),
        ("--model-server-version", &args.model_server_version, |p| {
            Some(p.key.model_server_version.clone())
        }),
        ("--accelerator-type", &accelerator, |p| {
            Some(p.key.accelerator.clone())
        }),
        ("--use-case", &use_case, |p| Some(p.key.use_case.clone())),
    ];
    for (flag, value, field) in &checks {
        if let Some(v) = value {
            check_known(flag, v, &cat.values(field))?;
        }
    }
    let targets = targets(&args.targets)?;
    let matches = |p: &Profile| {
        checks
            .iter()
            .all(|(_, value, field)| value.as_ref().is_none_or(|v| field(p).as_ref() == Some(v)))
    };
    let mut rows = at_points(cat, &targets, matches);
    within_cost_targets_cheapest_first(&mut rows, args, pm);
    Ok(rows)
}

fn print_profiles(
    cat: &Catalog,
    rows: &[ProfileAtPoint],
    args: &ProfilesListArgs,
    pm: PricingModel,
) -> Result<String> {
    let table_rows: Vec<Vec<String>> = rows.iter().map(|r| profile_row(r, pm)).collect();
    let structured = Value::Array(
        rows.iter()
            .map(|r| {
                profile_json(
                    r.profile,
                    &r.evaluation,
                    &PointContext {
                        kind: r.kind,
                        knee: &r.summary.knee,
                        stat: r.summary.stat,
                        pricing_model: pm,
                        ratio: cat.cfg.output_input_cost_ratio,
                    },
                )
            })
            .collect::<serde_json::Result<_>>()?,
    );
    output::print(args.list.format, &PROFILE_HEADER, &table_rows, &structured)
}

fn profile_row(r: &ProfileAtPoint, pm: PricingModel) -> Vec<String> {
    let k = &r.profile.key;
    let p = &r.evaluation.point;
    let stat = r.summary.stat;
    let cost = r.evaluation.cost(pm).and_then(|c| c.cost);
    vec![
        k.instance_type.clone().unwrap_or_else(|| "N/A".into()),
        k.accelerator.clone(),
        output::cost(cost.map(|c| c.usd_per_million_input)),
        output::cost(cost.map(|c| c.usd_per_million_output)),
        output::num(Some(p.output_tokens_per_s)),
        output::num(stat.of(&p.ntpot)),
        output::num(stat.of(&p.ttft)),
        output::num(stat.of(&p.itl)),
        k.model_server.clone(),
        k.model_server_version.clone(),
        k.model.clone(),
        k.variant.clone().unwrap_or_default(),
        k.accelerator_count.to_string(),
        k.workload.clone(),
        point_name(r).to_string(),
    ]
}

/// Which point of the curve a `profiles list` row shows.
fn point_name(r: &ProfileAtPoint) -> &'static str {
    match (r.kind, r.summary.knee.method) {
        ("operating-point", _) => "target",
        (_, KneeMethod::NotObserved) => "highest point (no knee)",
        (_, KneeMethod::BelowRange) => "capacity (saturated; knee below range)",
        (_, KneeMethod::MaxThroughputOnly) => "capacity (max-throughput run)",
        _ => "knee",
    }
}

const BENCHMARK_HEADER: [&str; 17] = [
    "Instance Type",
    "Accelerator Type",
    "Model Name",
    "Model Server Name",
    "Model Server Version",
    "Output Tokens/s",
    "NTPOT (ms)",
    "TTFT (ms)",
    "ITL (ms)",
    "QPS",
    "Cost/M Input Tokens",
    "Cost/M Output Tokens",
    "Requested QPS",
    "Concurrency",
    "Variant",
    "Accelerator Count",
    "Workload",
];

pub fn benchmarks(args: &BenchmarksListArgs) -> Result<String> {
    let cat = Catalog::load(&args.catalog)?;
    let pm: PricingModel = args.pricing_model.into();
    check_known(
        "--model",
        &args.model,
        &cat.values(|p| Some(p.key.model.clone())),
    )?;
    check_known(
        "--model-server",
        &args.model_server,
        &cat.values(|p| (p.key.model == args.model).then(|| p.key.model_server.clone())),
    )?;
    let for_model =
        |p: &Profile| p.key.model == args.model && p.key.model_server == args.model_server;
    if let Some(it) = &args.instance_type {
        check_known(
            "--instance-type",
            it,
            &cat.values(|p| {
                if for_model(p) {
                    p.key.instance_type.clone()
                } else {
                    None
                }
            }),
        )?;
    }
    let mut rows = Vec::new();
    let mut structured = Vec::new();
    let mut listed = Vec::new();
    for s in &cat.profiles {
        let profile = &s.profile;
        if !for_model(profile)
            || args
                .instance_type
                .as_ref()
                .is_some_and(|it| profile.key.instance_type.as_ref() != Some(it))
        {
            continue;
        }
        listed.push(s);
        let records = s.record_evaluations(&cat.cfg, &cat.prices);
        rows.extend(records.iter().map(|ev| benchmark_row(s, ev, pm)));
        structured.push(site_gen::api::all_points_json(
            s,
            &records,
            cat.cfg.output_input_cost_ratio,
            pm,
        )?);
    }
    note_fallback_statistic(&cat, listed.into_iter());
    output::print(
        args.format,
        &BENCHMARK_HEADER,
        &rows,
        &Value::Array(structured),
    )
}

/// One measured record as a `benchmarks list` table row.
fn benchmark_row(s: &ProfileSummary, ev: &Evaluation, pm: PricingModel) -> Vec<String> {
    let k = &s.profile.key;
    let point = &ev.point;
    let cost = ev.cost(pm).and_then(|c| c.cost);
    vec![
        k.instance_type.clone().unwrap_or_else(|| "N/A".into()),
        k.accelerator.clone(),
        k.model.clone(),
        k.model_server.clone(),
        k.model_server_version.clone(),
        output::num(Some(point.output_tokens_per_s)),
        output::num(s.stat.of(&point.ntpot)),
        output::num(s.stat.of(&point.ttft)),
        output::num(s.stat.of(&point.itl)),
        output::num(point.served_request_rate()),
        output::cost(cost.map(|c| c.usd_per_million_input)),
        output::cost(cost.map(|c| c.usd_per_million_output)),
        output::num(match point.load {
            Load::Rate(r) => Some(r),
            _ => None,
        }),
        output::num(match point.load {
            Load::Concurrency(c) => Some(c),
            _ => None,
        }),
        k.variant.clone().unwrap_or_default(),
        k.accelerator_count.to_string(),
        k.workload.clone(),
    ]
}
