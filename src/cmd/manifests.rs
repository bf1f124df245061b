//! `manifests create`: pick the profile (newest version, then the cheapest configuration unless
//! `--variant` says otherwise), find its operating point, and render the manifests.

use crate::catalog::{Catalog, check_known};
use crate::cli::{ManifestOutput, ManifestsCreateArgs, PlatformArg};
use crate::settings::{accelerator_flag, targets, usage};
use anyhow::{Context, Result};
use pipeline::analysis::knee::first_falling_behind;
use pipeline::analysis::operating_point::Targets;
use pipeline::analysis::{Evaluation, Profile, ProfileSummary, evaluate_targets};
use pipeline::pricing::PricingModel;
use site_gen::manifests::{
    BucketUri, Manifest, ManifestRequest, Platform, create_command, knee_point_kind, render,
};

/// Orders versions like `v0.11.0` > `v0.9.0` > `0.5.3.post1` by their numeric parts.
pub fn version_key(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect()
}

fn describe_targets(t: &Targets) -> String {
    let parts: Vec<String> = t
        .checks()
        .map(|(name, _, v)| format!("{name} <= {v} ms"))
        .collect();
    parts.join(", ")
}

struct Choice<'a> {
    summary: &'a ProfileSummary,
    profile: &'a Profile,
    evaluation: Evaluation,
    kind: String,
    meets_targets: bool,
}

impl Choice<'_> {
    /// Whether the profile has a knee that keeps up (not a capacity only).
    fn has_knee(&self) -> bool {
        self.summary.knee.method.is_operable()
    }
}

fn evaluate_choice<'a>(cat: &Catalog, summary: &'a ProfileSummary, t: &Targets) -> Choice<'a> {
    let profile = &summary.profile;
    if !t.is_empty()
        && let Some((_, evaluation)) =
            evaluate_targets(profile, &summary.knee, t, &cat.cfg, &cat.prices)
    {
        return Choice {
            summary,
            profile,
            evaluation,
            kind: format!("operating point for {}", describe_targets(t)),
            meets_targets: true,
        };
    }
    Choice {
        summary,
        profile,
        evaluation: summary.at_knee.clone(),
        kind: knee_point_kind(summary.knee.method).into(),
        meets_targets: t.is_empty(),
    }
}

/// The profiles `manifests create` chooses among, from the flags checked against the catalog.
struct Selection {
    accelerator: String,
    use_case: Option<String>,
    version: String,
}

impl Selection {
    /// Checks every flag against the catalog, narrowing step by step so each error lists the
    /// values valid given the flags before it; an absent version means the newest.
    fn resolve(cat: &Catalog, args: &ManifestsCreateArgs) -> Result<Self> {
        let valid = |keep: &dyn Fn(&Profile) -> bool, field: fn(&Profile) -> Option<String>| {
            cat.values(|p| if keep(p) { field(p) } else { None })
        };
        let m = |p: &Profile| p.key.model == args.model;
        check_known(
            "--model",
            &args.model,
            &valid(&|_| true, |p| Some(p.key.model.clone())),
        )?;
        let server = valid(&m, |p| Some(p.key.model_server.clone()));
        check_known("--model-server", &args.model_server, &server)?;
        let ms = |p: &Profile| m(p) && p.key.model_server == args.model_server;
        let accelerator = accelerator_flag(&args.accelerator_type);
        let accelerators = valid(&ms, |p| Some(p.key.accelerator.clone()));
        check_known("--accelerator-type", &accelerator, &accelerators)?;
        let msa_all = |p: &Profile| ms(p) && p.key.accelerator == accelerator;
        let use_case = match &args.use_case {
            Some(u) => {
                let known = valid(&msa_all, |p| Some(p.key.use_case.clone()));
                let found = known
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(u.trim()))
                    .cloned();
                check_known("--use-case", found.as_deref().unwrap_or(u), &known)?;
                found
            }
            None => None,
        };
        if let Some(w) = &args.workload {
            let workloads = valid(&msa_all, |p| Some(p.key.workload.clone()));
            check_known("--workload", w, &workloads)?;
        }
        let mut sel = Self {
            accelerator,
            use_case,
            version: String::new(),
        };
        let versions = valid(&|p| sel.matches_before_version(args, p), |p| {
            Some(p.key.model_server_version.clone())
        });
        sel.version = match &args.model_server_version {
            Some(v) => {
                check_known("--model-server-version", v, &versions)?;
                v.clone()
            }
            None => versions
                .iter()
                .max_by_key(|v| version_key(v))
                .cloned()
                .context("no version")?,
        };
        if let Some(variant) = &args.variant {
            let variants = valid(&|p| sel.matches_version(args, p), |p| p.key.variant.clone());
            check_known("--variant", variant, &variants)?;
        }
        Ok(sel)
    }

    fn matches_before_version(&self, args: &ManifestsCreateArgs, p: &Profile) -> bool {
        let k = &p.key;
        k.model == args.model
            && k.model_server == args.model_server
            && k.accelerator == self.accelerator
            && self.use_case.as_ref().is_none_or(|u| &k.use_case == u)
            && args.workload.as_ref().is_none_or(|w| &k.workload == w)
    }

    fn matches_version(&self, args: &ManifestsCreateArgs, p: &Profile) -> bool {
        self.matches_before_version(args, p) && p.key.model_server_version == self.version
    }

    fn matches(&self, args: &ManifestsCreateArgs, p: &Profile) -> bool {
        self.matches_version(args, p)
            && args
                .variant
                .as_ref()
                .is_none_or(|v| p.key.variant.as_ref() == Some(v))
    }
}

/// Every selected profile evaluated, those meeting the targets first, then cheapest first.
fn ranked_choices<'a>(
    cat: &'a Catalog,
    args: &ManifestsCreateArgs,
    sel: &Selection,
    t: &Targets,
    pm: PricingModel,
) -> Vec<Choice<'a>> {
    let mut choices: Vec<Choice> = cat
        .profiles
        .iter()
        .filter(|s| sel.matches(args, &s.profile))
        .map(|s| evaluate_choice(cat, s, t))
        .collect();
    let cost = |c: &Choice| {
        c.evaluation
            .cost(pm)
            .and_then(|x| x.cost)
            .map(|x| x.usd_per_million_output)
    };
    // A capacity (unbounded load only, or saturated from the lowest load) is no point to run
    // at: a configuration with a knee that keeps up comes first.
    choices.sort_by(|a, b| {
        b.meets_targets
            .cmp(&a.meets_targets)
            .then(b.has_knee().cmp(&a.has_knee()))
            .then(cost(a).is_none().cmp(&cost(b).is_none()))
            .then(cost(a).unwrap_or(0.0).total_cmp(&cost(b).unwrap_or(0.0)))
            .then(a.profile.id.cmp(&b.profile.id))
    });
    choices
}

/// How the first choice was picked among several, for the manifest's comments.
fn selection_note(choices: &[Choice], t: &Targets, pm: PricingModel) -> Option<String> {
    let (chosen, others) = choices.split_first()?;
    if others.is_empty() {
        return None;
    }
    let name = |p: &Profile| {
        format!(
            "{} ({})",
            p.key.variant.clone().unwrap_or_else(|| "no variant".into()),
            p.key.workload
        )
    };
    let others: Vec<String> = others.iter().map(|c| name(c.profile)).collect();
    let meeting = choices.iter().filter(|c| c.meets_targets).count();
    let with_knee = choices.iter().filter(|c| c.has_knee()).count();
    let among = match (t.is_empty(), chosen.meets_targets) {
        (true, _) if chosen.has_knee() && with_knee < choices.len() => {
            format!(
                "of the {with_knee} of {} benchmarked configurations with a knee that keeps up",
                choices.len()
            )
        }
        (true, _) => format!("of {} benchmarked configurations", choices.len()),
        (false, true) => format!(
            "of the {meeting} of {} benchmarked configurations meeting the targets",
            choices.len()
        ),
        (false, false) => format!(
            "of {} benchmarked configurations, none of which meets the targets",
            choices.len()
        ),
    };
    Some(format!(
        "Picked the cheapest ({pm}) {among}: {}; others: {} (choose with --variant, --workload or --use-case).",
        name(chosen.profile),
        others.join(", ")
    ))
}

/// Why the manifest has no HPA, or empty when it has one.
fn no_hpa_reason(chosen: &Choice, t: &Targets, cat: &Catalog) -> String {
    if t.is_empty() {
        "no latency target was given (add --target-ntpot-milliseconds, --target-ttft-milliseconds or --target-itl-milliseconds)".to_string()
    } else if !chosen.meets_targets && !chosen.has_knee() {
        format!(
            "this profile has no point that keeps up with its load to meet {} at ({}); the manifest is sized at the capacity it reached instead",
            describe_targets(t),
            chosen.summary.knee.reason
        )
    } else if !chosen.meets_targets && lowest_load_misses(chosen.profile, t, cat) {
        format!(
            "the lowest load of this profile already misses {} at {}, and points past a miss that meet them are not trusted (noise past saturation); the manifest is sized at the {} instead",
            describe_targets(t),
            cat.cfg.percentile,
            chosen.summary.knee.method.point_name()
        )
    } else if !chosen.meets_targets {
        format!(
            "no measured point of this profile meets {} at {}; the manifest is sized at the {} instead",
            describe_targets(t),
            cat.cfg.percentile,
            chosen.summary.knee.method.point_name()
        )
    } else {
        String::new()
    }
}

/// Whether the targets fail at the curve's lowest load although a later usable point (finite,
/// before any point that falls behind) meets them: the operating point stops at the first miss.
fn lowest_load_misses(profile: &Profile, t: &Targets, cat: &Catalog) -> bool {
    let pct = cat.cfg.percentile;
    let usable = first_falling_behind(&profile.points).unwrap_or(profile.points.len());
    let points = &profile.points[..usable];
    points.first().is_some_and(|p| !t.met_by(p, pct))
        && points
            .iter()
            .any(|p| p.load.value().is_some() && t.met_by(p, pct))
}

/// What `--output` asks for.
pub fn output_text(manifest: Manifest, output: ManifestOutput) -> String {
    match output {
        ManifestOutput::Manifest => manifest.yaml,
        ManifestOutput::Comments => manifest.comments,
        ManifestOutput::All => manifest.all(),
    }
}

pub fn create(args: &ManifestsCreateArgs) -> Result<()> {
    let cat = Catalog::load(&args.catalog)?;
    let (manifest, profile_id) = manifest(&cat, args)?;
    let text = output_text(manifest, args.output);
    match &args.output_path {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} (profile {profile_id})", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// The manifests `manifests create` writes for `args` from `cat`, and the chosen profile's id
/// (`infercat serve` answers the Quickstart's manifest methods with this too).
pub fn manifest(cat: &Catalog, args: &ManifestsCreateArgs) -> Result<(Manifest, String)> {
    let pm: PricingModel = args.pricing_model.into();
    let t = targets(&args.targets)?;
    let sel = Selection::resolve(cat, args)?;
    let choices = ranked_choices(cat, args, &sel, &t, pm);
    let chosen = choices.first().context("no profile")?;
    let selection_note = selection_note(&choices, &t, pm);
    let platform = match args.platform {
        PlatformArg::Gke => Platform::Gke,
        PlatformArg::Generic => Platform::Generic,
    };
    let bucket = args
        .model_bucket_uri
        .as_deref()
        .map(BucketUri::parse)
        .transpose()
        .map_err(|e| usage(e.to_string()))?;
    let no_hpa_reason = no_hpa_reason(chosen, &t, cat);
    let command = create_command(&command_flags(args, chosen.profile));
    let manifest = render(&ManifestRequest {
        profile: chosen.profile,
        evaluation: &chosen.evaluation,
        point_kind: &chosen.kind,
        stat: chosen.summary.stat,
        namespace: &args.namespace,
        platform,
        bucket: bucket.as_ref(),
        model_facts: cat.models.get(&chosen.profile.key.model),
        snapshot: &chosen.profile.data_hash(),
        include_hpa: chosen.meets_targets && !t.is_empty(),
        no_hpa_reason: &no_hpa_reason,
        hpa_buffer: cat.cfg.hpa_buffer,
        expected_qps: cat.cfg.expected_qps,
        cli_command: &command,
        selection_note: selection_note.as_deref(),
    })
    .map_err(|e| match e {
        site_gen::manifests::ManifestError::Template(_) => anyhow::Error::new(e),
        other => usage(other.to_string()),
    })?;
    Ok((manifest, chosen.profile.id.clone()))
}

fn command_flags(args: &ManifestsCreateArgs, chosen: &Profile) -> Vec<(&'static str, String)> {
    let mut flags = site_gen::manifests::profile_flags(&chosen.key);
    if args.namespace != "default" {
        flags.push(("namespace", args.namespace.clone()));
    }
    for (flag, v) in [
        (
            "target-ntpot-milliseconds",
            args.targets.target_ntpot_milliseconds,
        ),
        (
            "target-ttft-milliseconds",
            args.targets.target_ttft_milliseconds,
        ),
        (
            "target-itl-milliseconds",
            args.targets.target_itl_milliseconds,
        ),
    ] {
        if let Some(v) = v {
            flags.push((flag, format!("{v}")));
        }
    }
    if let Some(b) = &args.model_bucket_uri {
        flags.push(("model-bucket-uri", b.clone()));
    }
    if args.platform == PlatformArg::Generic {
        flags.push(("platform", "generic".into()));
    }
    let percentile: pipeline::analysis::percentile::Percentile =
        args.catalog.analysis.percentile.into();
    if percentile != pipeline::analysis::percentile::Percentile::P50 {
        flags.push(("percentile", percentile.to_string()));
    }
    if let Some(q) = args.catalog.analysis.expected_qps {
        flags.push(("expected-qps", format!("{q}")));
    }
    let pricing_model: PricingModel = args.pricing_model.into();
    if pricing_model != PricingModel::Spot {
        flags.push(("pricing-model", pricing_model.as_str().to_string()));
    }
    flags
}
