//! `manifests create`: pick the profile (newest version, then the cheapest configuration unless
//! `--variant` says otherwise), find its operating point, and render the manifests.

use crate::catalog::{Catalog, check_known};
use crate::cli::{ManifestOutput, ManifestsCreateArgs, PlatformArg};
use crate::settings::{accelerator_flag, targets, usage};
use anyhow::{Context, Result};
use pipeline::analysis::knee::Knee;
use pipeline::analysis::operating_point::Targets;
use pipeline::analysis::{Evaluation, Profile, evaluate_targets};
use pipeline::pricing::PricingModel;
use site_gen::manifests::{BucketUri, ManifestRequest, Platform, create_command, render};

/// Orders versions like `v0.11.0` > `v0.9.0` > `0.5.3.post1` by their numeric parts.
fn version_key(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect()
}

fn describe_targets(t: &Targets) -> String {
    let parts: Vec<String> = [
        ("NTPOT", t.ntpot_ms),
        ("TTFT", t.ttft_ms),
        ("ITL", t.itl_ms),
    ]
    .iter()
    .filter_map(|(n, v)| v.map(|v| format!("{n} <= {v} ms")))
    .collect();
    parts.join(", ")
}

struct Choice<'a> {
    profile: &'a Profile,
    evaluation: Evaluation,
    kind: String,
    meets_targets: bool,
}

fn evaluate_choice<'a>(
    cat: &Catalog,
    profile: &'a Profile,
    knee: &'a Knee,
    t: &Targets,
) -> Choice<'a> {
    if !t.is_empty()
        && let Some((_, evaluation)) = evaluate_targets(profile, knee, t, &cat.cfg, &cat.prices)
    {
        return Choice {
            profile,
            evaluation,
            kind: format!("operating point for {}", describe_targets(t)),
            meets_targets: true,
        };
    }
    let evaluation = cat.at_knee(profile, knee);
    Choice {
        profile,
        evaluation,
        kind: "knee".into(),
        meets_targets: t.is_empty(),
    }
}

pub fn create(args: &ManifestsCreateArgs) -> Result<()> {
    let cat = Catalog::load(&args.catalog)?;
    let pm: PricingModel = args.pricing_model.into();
    let t = targets(&args.targets)?;
    check_known(
        "--model",
        &args.model,
        &cat.values(|p| Some(p.key.model.clone())),
    )?;
    let m = |p: &Profile| p.key.model == args.model;
    check_known(
        "--model-server",
        &args.model_server,
        &cat.values(|p| m(p).then(|| p.key.model_server.clone())),
    )?;
    let ms = |p: &Profile| m(p) && p.key.model_server == args.model_server;
    let accelerator = accelerator_flag(&args.accelerator_type);
    check_known(
        "--accelerator-type",
        &accelerator,
        &cat.values(|p| ms(p).then(|| p.key.accelerator.clone())),
    )?;
    let msa_all = |p: &Profile| ms(p) && p.key.accelerator == accelerator;
    let use_case = match &args.use_case {
        Some(u) => {
            let known = cat.values(|p| msa_all(p).then(|| p.key.use_case.clone()));
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
        check_known(
            "--workload",
            w,
            &cat.values(|p| msa_all(p).then(|| p.key.workload.clone())),
        )?;
    }
    let msa = |p: &Profile| {
        msa_all(p)
            && use_case.as_ref().is_none_or(|u| &p.key.use_case == u)
            && args.workload.as_ref().is_none_or(|w| &p.key.workload == w)
    };
    let versions = cat.values(|p| msa(p).then(|| p.key.model_server_version.clone()));
    let version = match &args.model_server_version {
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
    let msav = |p: &Profile| msa(p) && p.key.model_server_version == version;
    if let Some(variant) = &args.variant {
        check_known(
            "--variant",
            variant,
            &cat.values(|p| if msav(p) { p.key.variant.clone() } else { None }),
        )?;
    }
    let mut choices: Vec<Choice> = cat
        .profiles
        .iter()
        .filter(|(p, _)| {
            msav(p)
                && args
                    .variant
                    .as_ref()
                    .is_none_or(|v| p.key.variant.as_ref() == Some(v))
        })
        .map(|(p, k)| evaluate_choice(&cat, p, k, &t))
        .collect();
    let cost = |c: &Choice| {
        c.evaluation
            .cost(pm)
            .and_then(|x| x.cost)
            .map(|x| x.usd_per_million_output)
    };
    choices.sort_by(|a, b| {
        b.meets_targets
            .cmp(&a.meets_targets)
            .then(cost(a).is_none().cmp(&cost(b).is_none()))
            .then(cost(a).unwrap_or(0.0).total_cmp(&cost(b).unwrap_or(0.0)))
            .then(a.profile.id.cmp(&b.profile.id))
    });
    let chosen = choices.first().context("no profile")?;
    let selection_note = (choices.len() > 1).then(|| {
        let name = |p: &Profile| {
            format!(
                "{} ({})",
                p.key.variant.clone().unwrap_or_else(|| "no variant".into()),
                p.key.workload
            )
        };
        let others: Vec<String> = choices[1..].iter().map(|c| name(c.profile)).collect();
        format!(
            "Picked the cheapest ({pm}) of {} benchmarked configurations{}: {}; others: {} (choose with --variant, --workload or --use-case).",
            choices.len(),
            if t.is_empty() { "" } else { " meeting the targets" },
            name(chosen.profile),
            others.join(", ")
        )
    });
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
    let no_hpa_reason = if t.is_empty() {
        "no latency target was given (add --target-ntpot-milliseconds, --target-ttft-milliseconds or --target-itl-milliseconds)".to_string()
    } else if !chosen.meets_targets {
        format!(
            "no measured point of this profile meets {} at {}; the manifest is sized at the knee instead",
            describe_targets(&t),
            cat.cfg.percentile
        )
    } else {
        String::new()
    };
    let command = create_command(&command_flags(args, &version, chosen.profile));
    let env = site_gen::templates::environment()?;
    let manifest = render(
        &env,
        &ManifestRequest {
            profile: chosen.profile,
            evaluation: &chosen.evaluation,
            point_kind: &chosen.kind,
            stat: cat.cfg.percentile,
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
        },
    )
    .map_err(|e| match e {
        site_gen::manifests::ManifestError::Template(_) => anyhow::Error::new(e),
        other => usage(other.to_string()),
    })?;
    let text = match args.output {
        ManifestOutput::Manifest => manifest.yaml,
        ManifestOutput::Comments => manifest.comments,
        ManifestOutput::All => manifest.all(),
    };
    match &args.output_path {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} (profile {})", path.display(), chosen.profile.id);
        }
        None => print!("{text}"),
    }
    Ok(())
}

fn command_flags(
    args: &ManifestsCreateArgs,
    version: &str,
    chosen: &Profile,
) -> Vec<(&'static str, String)> {
    let mut flags = vec![
        ("model", args.model.clone()),
        ("model-server", args.model_server.clone()),
        ("accelerator-type", chosen.key.accelerator.clone()),
        ("model-server-version", version.to_string()),
    ];
    if let Some(v) = &chosen.key.variant {
        flags.push(("variant", v.clone()));
    }
    flags.push(("workload", chosen.key.workload.clone()));
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
