//! Kubernetes manifests for one profile at one point of its curve (SPEC §7): Deployment,
//! Service, PodMonitoring or ServiceMonitor, and an HPA when asked for and reachable, followed
//! by `# ` setup comments. Rendered from `templates/manifests/` (compiled by askama); the same
//! inputs give byte-identical output.

use crate::GENERATOR;
use askama::Template;
use pipeline::analysis::knee::KneeMethod;
use pipeline::analysis::percentile::Percentile;
use pipeline::analysis::{Evaluation, PriceAt, Profile};
use pipeline::machines::{AcceleratorKind, Vendor, accelerator_kind};
use pipeline::model_facts::ModelFacts;
use pipeline::profile::{ProfileKey, slug};
use std::ops::Deref;

/// Model servers with a manifest template.
pub const SUPPORTED_SERVERS: &[&str] = &["vllm", "sglang", "tgi", "tensorrt-llm"];

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(
        "no manifest template for model server `{0}` (supported: vllm, sglang, tgi, tensorrt-llm)"
    )]
    UnsupportedServer(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "cannot name the container image of profile {profile}: {reason}; set `image` (a full image reference) in the [profile] of run.toml ({runs})"
    )]
    NoImage {
        profile: String,
        runs: String,
        reason: String,
    },
    #[error("invalid --model-bucket-uri `{uri}`: {reason}")]
    InvalidBucket { uri: String, reason: String },
    #[error(
        "invalid namespace `{0}`: use lowercase letters, digits and '-', at most 63 characters"
    )]
    InvalidNamespace(String),
    #[error("template error: {0}")]
    Template(#[from] askama::Error),
}

/// Where the manifest will run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// GKE: node selectors, PodMonitoring, Stackdriver adapter metric names.
    Gke,
    /// Any cluster: ServiceMonitor and Prometheus-adapter metric names.
    Generic,
}

/// A `gs://bucket/path` holding the weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketUri {
    pub name: String,
    pub path: String,
}

impl BucketUri {
    pub fn parse(uri: &str) -> Result<Self, ManifestError> {
        let bad = |reason: &str| ManifestError::InvalidBucket {
            uri: uri.to_string(),
            reason: reason.to_string(),
        };
        let rest = uri
            .strip_prefix("gs://")
            .ok_or_else(|| bad("it must start with gs://"))?;
        let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
        let name_ok = (3..=63).contains(&name.len())
            && name.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            })
            && name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !name_ok {
            return Err(bad(
                "bucket names are 3-63 lowercase letters, digits, '-', '_' or '.'",
            ));
        }
        if path.chars().any(|c| c.is_control() || c == ',') {
            return Err(bad(
                "the object path may not contain commas or control characters",
            ));
        }
        Ok(Self {
            name: name.to_string(),
            path: path.trim_matches('/').to_string(),
        })
    }

    pub fn uri(&self) -> String {
        if self.path.is_empty() {
            format!("gs://{}", self.name)
        } else {
            format!("gs://{}/{}", self.name, self.path)
        }
    }
}

/// What a manifest sized at a profile's knee (no latency target) is sized at, for its
/// comments: the site's files and `manifests create` say the same.
pub fn knee_point_kind(method: KneeMethod) -> &'static str {
    if method.is_operable() {
        method.point_name()
    } else {
        "capacity it reached (no knee that keeps up)"
    }
}

/// Everything a manifest is made from.
#[derive(Clone, Copy)]
pub struct ManifestRequest<'a> {
    pub profile: &'a Profile,
    pub evaluation: &'a Evaluation,
    /// What the point is, for the comments ("knee", "operating point for NTPOT <= 20 ms").
    pub point_kind: &'a str,
    /// The curve's resolved statistic ([`pipeline::analysis::ProfileSummary::stat`]).
    pub stat: Percentile,
    pub namespace: &'a str,
    pub platform: Platform,
    pub bucket: Option<&'a BucketUri>,
    pub model_facts: Option<&'a ModelFacts>,
    pub snapshot: &'a str,
    /// Include the HPA (when the evaluation has one); false gives `no_hpa_reason` instead.
    pub include_hpa: bool,
    pub no_hpa_reason: &'a str,
    pub hpa_buffer: f64,
    pub expected_qps: Option<f64>,
    pub cli_command: &'a str,
    /// How this profile was picked among several, if it was.
    pub selection_note: Option<&'a str>,
}

/// The YAML documents and the setup comments, rendered apart so `--output` can pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub yaml: String,
    pub comments: String,
}

impl Manifest {
    /// YAML then comments, as `--output=all` prints them.
    pub fn all(&self) -> String {
        format!("{}{}", self.yaml, self.comments)
    }
}

/// Renders the manifest for one request.
pub fn render(req: &ManifestRequest) -> Result<Manifest, ManifestError> {
    let kind = accelerator_kind(&req.profile.key.accelerator);
    check_request(req, kind)?;
    render_with(req, &shared_context(req, kind)?)
}

/// Where a variant of one manifest differs from the request it is derived from.
#[derive(Debug, Clone, Copy)]
pub struct Variant<'a> {
    pub include_hpa: bool,
    pub bucket: Option<&'a BucketUri>,
}

/// Renders `req` once per variant (each as `render` would render `req` with the variant's
/// `include_hpa` and `bucket`). The context the variants share is made once, and a variant
/// that only adds autoscaling to one rendered before it renders just its HPA document and its
/// comments: the HPA is the manifest's last document and nothing before it depends on it.
pub fn render_variants(
    req: &ManifestRequest,
    variants: &[Variant],
) -> Result<Vec<Result<Manifest, ManifestError>>, askama::Error> {
    let kind = accelerator_kind(&req.profile.key.accelerator);
    let shared = shared_context(req, kind);
    let mut rendered: Vec<Result<Manifest, ManifestError>> = Vec::with_capacity(variants.len());
    for v in variants {
        // Every field of a variant named, so one added later cannot be left at `req`'s.
        let Variant {
            include_hpa,
            bucket,
        } = *v;
        let req = ManifestRequest {
            include_hpa,
            bucket,
            ..*req
        };
        let without_hpa = variants
            .iter()
            .zip(&rendered)
            .find(|(w, _)| include_hpa && !w.include_hpa && w.bucket == bucket)
            .and_then(|(_, m)| m.as_ref().ok());
        let result = match (&shared, without_hpa) {
            (Ok(shared), Some(without)) => {
                check_request(&req, kind).and_then(|()| adding_hpa(&req, shared, without))
            }
            (Ok(shared), None) => {
                check_request(&req, kind).and_then(|()| render_with(&req, shared))
            }
            // Made again for the variant's own error (a check it fails comes first, as in
            // `render`); only for a profile that has no manifest.
            (Err(_), _) => render(&req),
        };
        match result {
            Err(ManifestError::Template(e)) => return Err(e),
            other => rendered.push(other),
        }
    }
    Ok(rendered)
}

/// The manifest's YAML documents (`templates/manifests/manifest.yaml.j2`).
#[derive(Template)]
#[template(path = "manifests/manifest.yaml.j2", escape = "yaml-scalar")]
struct Documents<'c> {
    context: &'c VariantContext<'c>,
}

/// The HPA document alone (`hpa.yaml.j2`), which `manifest.yaml.j2` ends with.
#[derive(Template)]
#[template(path = "manifests/hpa.yaml.j2", escape = "yaml-scalar")]
struct HpaDocument<'c> {
    context: &'c VariantContext<'c>,
    hpa: &'c HpaContext<'c>,
}

/// The setup comments (`comments.yaml.j2`).
#[derive(Template)]
#[template(path = "manifests/comments.yaml.j2", escape = "yaml-comment")]
struct Comments<'c> {
    context: &'c VariantContext<'c>,
}

/// The templates read the variant's and the request's fields by name.
macro_rules! reads_the_context {
    ($($template:ident),*) => {$(
        impl<'c> Deref for $template<'c> {
            type Target = VariantContext<'c>;
            fn deref(&self) -> &Self::Target {
                self.context
            }
        }
    )*};
}
reads_the_context!(Documents, HpaDocument, Comments);

/// A rendered template as a file's text: askama drops the template's last line break.
fn with_final_line_break(template: &impl Template) -> Result<String, askama::Error> {
    let mut text = template.render()?;
    text.push('\n');
    Ok(text)
}

/// Both templates, with `shared` and what `req` alone decides.
fn render_with(req: &ManifestRequest, shared: &SharedContext) -> Result<Manifest, ManifestError> {
    let context = variant_context(req, shared);
    Ok(Manifest {
        yaml: with_final_line_break(&Documents { context: &context })?,
        comments: with_final_line_break(&Comments { context: &context })?,
    })
}

/// `req`, which includes the HPA, made from `without`, the same manifest rendered without it:
/// its YAML, then the HPA document as `manifest.yaml.j2` ends with it; the comments in full.
fn adding_hpa(
    req: &ManifestRequest,
    shared: &SharedContext,
    without: &Manifest,
) -> Result<Manifest, ManifestError> {
    let context = variant_context(req, shared);
    let mut yaml = without.yaml.clone();
    if let Some(hpa) = &context.hpa {
        // The document starts with its line break, where the one before it ends.
        if yaml.ends_with('\n') {
            yaml.pop();
        }
        yaml.push_str(&with_final_line_break(&HpaDocument {
            context: &context,
            hpa,
        })?);
    }
    Ok(Manifest {
        yaml,
        comments: with_final_line_break(&Comments { context: &context })?,
    })
}

fn is_dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1123 name for the objects: server and model, at most 50 characters.
fn object_name(server: &str, model: &str) -> String {
    let base = slug(&format!(
        "{server}-{}",
        model.rsplit('/').next().unwrap_or(model)
    ));
    let short: String = base.chars().take(50).collect();
    let trimmed = short.trim_matches('-').to_string();
    if trimmed.is_empty() {
        "inference-server".to_string()
    } else {
        trimmed
    }
}

/// The image repository a server's release tags live in, for this accelerator.
fn image_repository(server: &str, kind: AcceleratorKind) -> Option<&'static str> {
    match (server, kind) {
        ("vllm", AcceleratorKind::Tpu) => Some("vllm/vllm-tpu"),
        ("vllm", AcceleratorKind::Other(Vendor::Amd)) => Some("vllm/vllm-openai-rocm"),
        (_, AcceleratorKind::Other(Vendor::Intel | Vendor::IntelGpu | Vendor::Unrecognized)) => {
            None
        }
        // SGLang and TGI publish ROCm builds under the same repositories but with tags whose
        // suffix varies by release and GPU (`-rocm630`, `-rocm700-mi35x`): the plain release
        // tag is a CUDA image, which an AMD node cannot run.
        ("sglang" | "tgi", AcceleratorKind::Other(Vendor::Amd)) => None,
        ("vllm", _) => Some("vllm/vllm-openai"),
        ("sglang", _) => Some("lmsysorg/sglang"),
        ("tgi", _) => Some("ghcr.io/huggingface/text-generation-inference"),
        ("tensorrt-llm", AcceleratorKind::Gpu) => Some("nvcr.io/nvidia/tensorrt-llm/release"),
        _ => None,
    }
}

/// The release tag a server's images carry for `version`, or why there is none: vLLM and
/// SGLang tag releases `v0.11.0` (a bare `0.11.0` gets its `v`), TensorRT-LLM and TGI without
/// one; development builds, nightlies and moving tags have no release image.
fn release_tag(server: &str, version: &str) -> Result<String, String> {
    let lower = version.to_ascii_lowercase();
    if ["dev", "nightly", "latest", "unknown"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return Err(format!(
            "model_server_version `{version}` is a development build or a moving tag, which has no release image"
        ));
    }
    let tag = match server {
        "vllm" | "sglang" if version.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("v{version}")
        }
        _ => version.to_string(),
    };
    if pipeline::oci::is_valid_tag(&tag) {
        Ok(tag)
    } else {
        Err(format!(
            "model_server_version `{version}` is not a valid image tag"
        ))
    }
}

/// The run's own image, else `<repository>:<release tag>`.
fn image(profile: &Profile, kind: AcceleratorKind) -> Result<String, ManifestError> {
    if let Some(image) = &profile.image {
        return Ok(image.clone());
    }
    let key = &profile.key;
    let no_image = |reason: String| ManifestError::NoImage {
        profile: profile.id.clone(),
        runs: profile.run_ids().join(", "),
        reason,
    };
    let repo = image_repository(&key.model_server, kind).ok_or_else(|| {
        no_image(format!(
            "no public {} image is known for {}",
            key.model_server, key.accelerator
        ))
    })?;
    let tag = release_tag(&key.model_server, &key.model_server_version).map_err(no_image)?;
    Ok(format!("{repo}:{tag}"))
}

/// Flags each server template sets itself (model, parallelism, address, metrics), with their
/// aliases: a run's own copy of one is dropped so the container does not get it twice.
fn template_flags(server: &str) -> &'static [&'static str] {
    match server {
        "vllm" => &[
            "--model",
            "--tensor-parallel-size",
            "-tp",
            "--data-parallel-size",
            "-dp",
            "--host",
            "--port",
        ],
        "sglang" => &[
            "--model-path",
            "--model",
            "--tp",
            "--tp-size",
            "--tensor-parallel-size",
            "--dp",
            "--dp-size",
            "--data-parallel-size",
            "--host",
            "--port",
            "--enable-metrics",
        ],
        "tgi" => &["--model-id", "--num-shard", "--port"],
        "tensorrt-llm" => &["--tp_size", "--host", "--port"],
        _ => &[],
    }
}

/// `args` without the flags the template sets (both `--flag=value` and `--flag value`).
fn args_not_set_by_template(server: &str, args: &[String]) -> Vec<String> {
    let taken = template_flags(server);
    let mut out = Vec::with_capacity(args.len());
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) && !arg.starts_with('-') {
            continue;
        }
        let name = arg.split_once('=').map_or(arg.as_str(), |(n, _)| n);
        if taken.contains(&name) {
            skip_value = !arg.contains('=');
            continue;
        }
        out.push(arg.clone());
    }
    out
}

/// The device resource to request (and the TPU topology), or why none can be written.
fn accelerator_resource(
    accelerator: &str,
    count: u32,
    kind: AcceleratorKind,
    platform: Platform,
) -> Result<(&'static str, Option<&'static str>), ManifestError> {
    match (kind, platform) {
        (AcceleratorKind::Gpu, _) => Ok(("nvidia.com/gpu", None)),
        (AcceleratorKind::Tpu, _) => Ok(("google.com/tpu", Some(tpu_topology(accelerator, count)?))),
        (AcceleratorKind::Other(_), Platform::Gke) => Err(ManifestError::Unsupported(format!(
            "`{accelerator}` is not a GKE accelerator, so no GKE node pool offers it: use --platform=generic"
        ))),
        (AcceleratorKind::Other(vendor), Platform::Generic) => vendor
            .device_resource()
            .map(|r| (r, None))
            .ok_or_else(|| ManifestError::Unsupported(format!(
                "no device plugin resource is known for `{accelerator}` (known vendors: NVIDIA, AMD, Intel Gaudi and GPUs)"
            ))),
        (AcceleratorKind::Unknown, _) => Err(ManifestError::Unsupported(
            "the profile's accelerator is unknown, so no node selector or accelerator request can be written".into(),
        )),
    }
}

fn tpu_topology(accelerator: &str, chips: u32) -> Result<&'static str, ManifestError> {
    let topology = match (accelerator, chips) {
        ("tpu-v5p-slice", 4) => Some("2x2x1"),
        (_, 1) => Some("1x1"),
        (_, 4) => Some("2x2"),
        (_, 8) => Some("2x4"),
        _ => None,
    };
    topology.ok_or_else(|| {
        ManifestError::Unsupported(format!(
            "no single-host {accelerator} topology with {chips} chips"
        ))
    })
}

fn cost_text(c: &PriceAt, source_stated_once: bool) -> String {
    use std::fmt::Write;
    match (c.usd_per_hour(), c.cost) {
        (Some(h), Some(cost)) => {
            let mut text = format!(
                "${:.3} per M output tokens, ${:.3} per M input tokens at {h} $/h",
                cost.usd_per_million_output, cost.usd_per_million_input,
            );
            if !source_stated_once {
                let _ = write!(text, " ({}; prices as of {})", c.source(), c.as_of());
            }
            text
        }
        (Some(h), None) => {
            format!("N/A: the point has no input throughput to split {h} $/h over")
        }
        _ => format!("N/A: {}", c.source()),
    }
}

/// The source and date every priced cost shares, stated once after the cost lines (a whole
/// machine's four prices come from one file: spelling it on each line was a tenth of a
/// manifest). `None` where the costs' sources differ or none is priced.
fn shared_price_source(costs: &[PriceAt]) -> Option<String> {
    let mut priced = costs.iter().filter(|c| c.cost.is_some());
    let first = priced.next()?;
    priced
        .all(|c| c.source() == first.source() && c.as_of() == first.as_of())
        .then(|| format!("{}, as of {}", first.source(), first.as_of()))
}

/// Refuses requests no template can serve: unknown server, bad namespace, TPU or Cloud Storage
/// off GKE, TPU with a server other than vLLM.
fn check_request(req: &ManifestRequest, kind: AcceleratorKind) -> Result<(), ManifestError> {
    let key = &req.profile.key;
    if !SUPPORTED_SERVERS.contains(&key.model_server.as_str()) {
        return Err(ManifestError::UnsupportedServer(key.model_server.clone()));
    }
    if !is_dns_label(req.namespace) {
        return Err(ManifestError::InvalidNamespace(req.namespace.to_string()));
    }
    if req.platform == Platform::Generic && kind == AcceleratorKind::Tpu {
        return Err(ManifestError::Unsupported(
            "TPUs are only available on GKE: use --platform=gke".into(),
        ));
    }
    if req.platform == Platform::Generic && req.bucket.is_some() {
        return Err(ManifestError::Unsupported(
            "--model-bucket-uri uses GKE's Cloud Storage FUSE CSI driver: use --platform=gke"
                .into(),
        ));
    }
    if kind == AcceleratorKind::Tpu && key.model_server != "vllm" {
        return Err(ManifestError::Unsupported(format!(
            "no TPU manifest for {}: only vllm runs on TPU here",
            key.model_server
        )));
    }
    Ok(())
}

/// The HPA block of a variant.
struct HpaContext<'a> {
    metric: String,
    server_metric: &'static str,
    signal: &'static str,
    value: String,
    value_source: &'static str,
    average_value: String,
    buffer_percent: String,
    note: &'a str,
    min_replicas: u32,
    max_replicas: u32,
}

/// The HPA block (when asked for and the evaluation has one) and why there is none otherwise.
fn hpa_context<'a>(req: &'a ManifestRequest, replicas: u32) -> (Option<HpaContext<'a>>, String) {
    let ev = req.evaluation;
    let hpa = match (&ev.hpa, req.include_hpa) {
        (Ok(h), true) => Some(HpaContext {
            metric: match req.platform {
                Platform::Gke => format!("prometheus.googleapis.com|{}|gauge", h.metric),
                Platform::Generic => h.metric.replace(':', "_"),
            },
            server_metric: h.metric,
            signal: h.signal.as_str(),
            value: format!("{:.2}", h.value),
            value_source: h.value_source,
            average_value: crate::format::quantity(h.threshold),
            buffer_percent: format!("{:.0}", req.hpa_buffer * 100.0),
            note: &h.note,
            min_replicas: 1,
            max_replicas: (replicas * 2).max(10),
        }),
        _ => None,
    };
    let reason = match (&ev.hpa, req.include_hpa) {
        (_, false) => req.no_hpa_reason.to_string(),
        (Err(why), true) => why.clone(),
        (Ok(_), true) => String::new(),
    };
    (hpa, reason)
}

/// One server Deployment.
struct RoleContext {
    suffix: &'static str,
    role: Option<&'static str>,
    replicas: u32,
    tensor_parallel: u32,
    accelerators: u32,
    role_args: Vec<String>,
}

/// The server Deployments: one, or a prefill and a decode role for a disaggregated profile
/// (each `workers` × replicas pods of its own TP), and what is not generated for the latter.
fn roles_context(
    req: &ManifestRequest,
    replicas: u32,
) -> Result<(Vec<RoleContext>, Option<String>), ManifestError> {
    let key = &req.profile.key;
    let t = &key.topology;
    let (Some(prefill), Some(decode)) = (t.prefill, t.decode) else {
        return Ok((vec![single_server(req, replicas)?], None));
    };
    let role_args = |role: &str| -> Vec<String> {
        match key.model_server.as_str() {
            "sglang" => vec![format!("--disaggregation-mode={role}")],
            _ => Vec::new(),
        }
    };
    let roles = [
        ("prefill", "-prefill", prefill),
        ("decode", "-decode", decode),
    ]
    .into_iter()
    .map(|(role, suffix, w)| RoleContext {
        suffix,
        role: Some(role),
        replicas: w.workers * replicas,
        tensor_parallel: w.tensor_parallel,
        accelerators: w.tensor_parallel,
        role_args: role_args(role),
    })
    .collect();
    let connector = match key.model_server.as_str() {
        "sglang" => {
            "each role runs with --disaggregation-mode and the run's transfer backend flags"
        }
        _ => {
            "the KV-transfer connector flags (--kv-transfer-config) the run used are not recorded, so add yours to both roles"
        }
    };
    let note = format!(
        "prefill/decode disaggregated ({}): two Deployments are generated, {connector}. Not generated: the router or gateway in front of them (e.g. sglang-router with --pd-disaggregation, or vllm-router), because its flags depend on the KV bootstrap ports and backend the run did not record; point it at the {name}-prefill and {name}-decode Services.",
        t.label(),
        name = object_name(&key.model_server, &key.model),
    );
    Ok((roles, Some(note)))
}

/// One server using every accelerator of the profile: TP (the profile's, else all of them)
/// times DP must be the accelerator count, or the manifest would request GPUs it leaves idle.
fn single_server(req: &ManifestRequest, replicas: u32) -> Result<RoleContext, ManifestError> {
    let key = &req.profile.key;
    let t = &key.topology;
    let dp = t.data_parallel.unwrap_or(1);
    let tp = t
        .tensor_parallel
        .unwrap_or(key.accelerator_count / dp.max(1));
    if u64::from(tp) * u64::from(dp) != u64::from(key.accelerator_count) {
        return Err(ManifestError::Unsupported(format!(
            "TP{tp} x DP{dp} uses {} of the profile's {} accelerators: say in run.toml how the rest are used (tensor_parallel, data_parallel)",
            u64::from(tp) * u64::from(dp),
            key.accelerator_count
        )));
    }
    let role_args = match (dp, key.model_server.as_str()) {
        (1, _) => Vec::new(),
        (_, "vllm") => vec![format!("--data-parallel-size={dp}")],
        (_, "sglang") => vec![format!("--dp-size={dp}")],
        (_, server) => {
            return Err(ManifestError::Unsupported(format!(
                "data parallelism (DP{dp}) is not written for {server}"
            )));
        }
    };
    Ok(RoleContext {
        suffix: "",
        role: None,
        replicas,
        tensor_parallel: tp,
        accelerators: key.accelerator_count,
        role_args,
    })
}

/// The weights' bucket as the templates read it.
struct BucketContext<'a> {
    name: &'a str,
    uri: String,
    mount_options: String,
}

/// The bucket volume's `bucketName` line alone (`bucket-name.yaml.j2`, which
/// `manifest.yaml.j2` includes).
#[derive(Template)]
#[template(path = "manifests/bucket-name.yaml.j2", escape = "yaml-scalar")]
struct BucketNameLine<'a> {
    bucket: &'a BucketContext<'a>,
}

/// The setup comment's bucket reader command alone (`bucket-reader.yaml.j2`, which
/// `comments.yaml.j2` includes).
#[derive(Template)]
#[template(path = "manifests/bucket-reader.yaml.j2", escape = "yaml-comment")]
struct BucketReaderLine<'a> {
    bucket: &'a BucketContext<'a>,
    namespace: &'a str,
}

/// The lines a bucket variant writes from the bucket's name and the namespace alone, each
/// with its `\n`, rendered by the templates the manifests include. The site, whose bucket and
/// namespace are fixed, lists them with the templates' literal lines, so its pages name them
/// by number instead of writing them out (`site/manifest_patch.rs`).
pub fn bucket_setting_lines(
    bucket: &BucketUri,
    namespace: &str,
) -> Result<Vec<String>, askama::Error> {
    let bucket = bucket_context(bucket);
    let name = BucketNameLine { bucket: &bucket }.render()?;
    let reader = BucketReaderLine {
        bucket: &bucket,
        namespace,
    }
    .render()?;
    // Each included text starts with its line break, as it follows the line that includes it.
    Ok([name, reader]
        .into_iter()
        .map(|text| format!("{}\n", text.trim_start_matches('\n')))
        .collect())
}

/// The Cloud Storage FUSE volume for `--model-bucket-uri`.
fn bucket_context(bucket: &BucketUri) -> BucketContext<'_> {
    let mut options =
        "implicit-dirs,file-cache:enable-parallel-downloads:true,file-cache:max-size-mb:-1"
            .to_string();
    if !bucket.path.is_empty() {
        options.push_str(&format!(",only-dir:{}", bucket.path));
    }
    BucketContext {
        name: &bucket.name,
        uri: bucket.uri(),
        mount_options: options,
    }
}

/// The point the manifest is sized at, for the comments.
struct PointContext<'a> {
    kind: &'a str,
    load: String,
    output_tokens_per_s: String,
    ntpot: String,
    ttft: String,
    itl: String,
    stat: String,
}

/// One pricing model's cost line of the comments.
struct CostLine<'a> {
    model: &'static str,
    region: &'a str,
    text: String,
}

/// A manifest's cost lines, and the price source they share where they share one.
struct Costs<'a> {
    lines: Vec<CostLine<'a>>,
    prices_source: Option<String>,
}

/// The point the manifest is sized at, and its costs, for the comments.
fn point_context<'a>(req: &'a ManifestRequest) -> (PointContext<'a>, Costs<'a>) {
    let (p, stat) = (&req.evaluation.point, req.stat);
    let point = PointContext {
        kind: req.point_kind,
        load: crate::format::load(p.load),
        output_tokens_per_s: format!("{:.1}", p.output_tokens_per_s),
        ntpot: crate::format::with_unit(stat.of(&p.ntpot), "ms"),
        ttft: crate::format::with_unit(stat.of(&p.ttft), "ms"),
        itl: crate::format::with_unit(stat.of(&p.itl), "ms"),
        stat: stat.to_string(),
    };
    let prices_source = shared_price_source(&req.evaluation.costs);
    let lines = req
        .evaluation
        .costs
        .iter()
        .map(|c| CostLine {
            model: c.model.as_str(),
            region: c.region(),
            text: cost_text(c, prices_source.is_some()),
        })
        .collect();
    (
        point,
        Costs {
            lines,
            prices_source,
        },
    )
}

/// What every variant of a request shares (see [`shared_context`]).
struct SharedContext<'a> {
    generator: &'static str,
    snapshot: &'a str,
    profile_id: &'a str,
    name: String,
    namespace: &'a str,
    model: &'a str,
    server: &'a str,
    server_template: &'a str,
    server_version: &'a str,
    image: String,
    accelerator: &'a str,
    accelerator_count: u32,
    accelerator_kind: &'static str,
    accelerator_resource: &'static str,
    tpu_topology: Option<&'static str>,
    instance_type: Option<&'a str>,
    xla_cache_path: &'static str,
    server_args: Vec<String>,
    label_nodes: bool,
    large_model: bool,
    weights_gib: Option<f64>,
    platform: &'static str,
    replicas: u32,
    expected_qps: Option<String>,
    point: PointContext<'a>,
    costs: Costs<'a>,
    cli_command: &'a str,
    selection_note: Option<&'a str>,
    roles: Vec<RoleContext>,
    disaggregation: Option<String>,
    topology: String,
}

/// The context every variant of the request shares: all but the HPA and where the weights
/// come from ([`variant_context`]). Checks what `check_request` does not.
fn shared_context<'a>(
    req: &'a ManifestRequest,
    kind: AcceleratorKind,
) -> Result<SharedContext<'a>, ManifestError> {
    let key = &req.profile.key;
    let (resource, topology) =
        accelerator_resource(&key.accelerator, key.accelerator_count, kind, req.platform)?;
    let replicas = req.evaluation.replicas.unwrap_or(1);
    let (roles, disaggregation) = roles_context(req, replicas)?;
    let (point, costs) = point_context(req);
    Ok(SharedContext {
        generator: GENERATOR,
        snapshot: req.snapshot,
        profile_id: &req.profile.id,
        name: object_name(&key.model_server, &key.model),
        namespace: req.namespace,
        model: &key.model,
        server: &key.model_server,
        server_template: &key.model_server,
        server_version: &key.model_server_version,
        image: image(req.profile, kind)?,
        accelerator: &key.accelerator,
        accelerator_count: key.accelerator_count,
        accelerator_kind: if kind == AcceleratorKind::Tpu {
            "tpu"
        } else {
            "gpu"
        },
        accelerator_resource: resource,
        tpu_topology: topology,
        instance_type: key.instance_type.as_deref(),
        xla_cache_path: "/data/xla-cache",
        server_args: args_not_set_by_template(&key.model_server, &req.profile.server_args),
        label_nodes: matches!(kind, AcceleratorKind::Other(_)),
        large_model: is_large(req),
        weights_gib: req.model_facts.map(|m| m.weights_gib),
        platform: match req.platform {
            Platform::Gke => "gke",
            Platform::Generic => "generic",
        },
        replicas,
        expected_qps: req.expected_qps.map(|q| format!("{q}")),
        point,
        costs,
        cli_command: req.cli_command,
        selection_note: req.selection_note,
        roles,
        disaggregation,
        topology: key.topology.label(),
    })
}

impl SharedContext<'_> {
    /// A comment line's text, as header lines of the YAML template write it.
    fn oneline(&self, text: &str) -> askama::filters::Safe<String> {
        let mut line = String::with_capacity(text.len());
        // Writing to a String cannot fail.
        let _ = crate::templates::write_oneline(&mut line, text);
        askama::filters::Safe(line)
    }

    /// The weights' size as the comments state it: a float's digits, with `.0` when whole
    /// (as the comments wrote it before they were compiled).
    fn weights_text(&self) -> String {
        self.weights_gib.map_or_else(String::new, |gib| {
            if gib.fract() == 0.0 {
                format!("{gib:.1}")
            } else {
                gib.to_string()
            }
        })
    }
}

/// The part of the context that differs between variants, with the shared part it reads
/// through.
struct VariantContext<'a> {
    shared: &'a SharedContext<'a>,
    hf_home: Option<&'static str>,
    bucket: Option<BucketContext<'a>>,
    hpa: Option<HpaContext<'a>>,
    hpa_reason: String,
}

impl<'a> Deref for VariantContext<'a> {
    type Target = SharedContext<'a>;
    fn deref(&self) -> &Self::Target {
        self.shared
    }
}

/// What the request's `include_hpa` and `bucket` decide.
fn variant_context<'a>(
    req: &'a ManifestRequest,
    shared: &'a SharedContext<'a>,
) -> VariantContext<'a> {
    let replicas = req.evaluation.replicas.unwrap_or(1);
    let (hpa, hpa_reason) = hpa_context(req, replicas);
    VariantContext {
        shared,
        hf_home: (is_large(req) && req.bucket.is_none()).then_some("/dev/shm/hf_cache"),
        bucket: req.bucket.map(bucket_context),
        hpa,
        hpa_reason,
    }
}

fn is_large(req: &ManifestRequest) -> bool {
    req.model_facts.is_some_and(|m| m.is_large())
}

/// Quotes a value for a POSIX shell when it needs it.
pub fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '.' | '_' | '/' | ':' | '=' | '@' | '+' | '-' | ',')
        });
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// The `manifests create` flags that name one profile: model, server, accelerator, version,
/// variant and workload. The CLI adds the flags of the request (targets, namespace, …).
pub fn profile_flags(key: &ProfileKey) -> Vec<(&'static str, String)> {
    let mut flags = vec![
        ("model", key.model.clone()),
        ("model-server", key.model_server.clone()),
        ("accelerator-type", key.accelerator.clone()),
        ("model-server-version", key.model_server_version.clone()),
    ];
    if let Some(v) = &key.variant {
        flags.push(("variant", v.clone()));
    }
    flags.push(("workload", key.workload.clone()));
    flags
}

/// The `infercat manifests create` command line for these flags, values shell-quoted.
pub fn create_command(flags: &[(&str, String)]) -> String {
    let mut parts = vec!["infercat manifests create".to_string()];
    for (flag, value) in flags {
        parts.push(format!("--{flag}={}", shell_quote(value)));
    }
    parts.join(" ")
}

#[cfg(test)]
mod command_tests {
    use super::*;

    #[test]
    fn commands_quote_hostile_values() {
        let cmd = create_command(&[("model", "a/b".into()), ("variant", "it's \"x\"".into())]);
        assert_eq!(
            cmd,
            r#"infercat manifests create --model=a/b --variant='it'\''s "x"'"#
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A price source every priced cost shares is stated once, after cost lines that leave it
    /// out; where one cost's source differs, each line names its own again.
    #[test]
    fn a_price_source_all_costs_share_is_stated_once() {
        use pipeline::pricing::QuoteOutcome;
        let (summaries, _) = crate::test_support::bundled_summaries();
        let mut shared = 0;
        for s in summaries {
            let Some(stated) = shared_price_source(&s.at_knee.costs) else {
                continue;
            };
            shared += 1;
            let mut costs = s.at_knee.costs.clone();
            for c in costs.iter().filter(|c| c.cost.is_some()) {
                assert_eq!(stated, format!("{}, as of {}", c.source(), c.as_of()));
                assert!(!cost_text(c, true).contains(c.source()));
                assert!(cost_text(c, false).contains(c.source()));
            }
            let last = costs.iter_mut().rfind(|c| c.cost.is_some()).unwrap();
            if let QuoteOutcome::Priced(q) = &mut last.quote {
                q.source.push_str(" (another file)");
            }
            assert_eq!(shared_price_source(&costs), None, "{}", s.profile.id);
        }
        assert!(shared > 0);
    }

    /// Values from input stay inside their YAML scalars and their `# ` comment lines, with
    /// every model server's template: a model name, a server flag and a selection note that
    /// try to end their line (also with the line breaks YAML knows beyond `\n`) and start a
    /// document of their own are read back as the text they were, and add no document.
    #[test]
    fn hostile_values_stay_in_their_scalars_and_comments() {
        let (summaries, _) = crate::test_support::bundled_summaries();
        let hostile = "org/m\"\n---\nkind: Secret\r\u{85}a: b\u{2028}c: d\u{2029}#e 'f'";
        fn request<'a>(
            profile: &'a Profile,
            s: &'a pipeline::analysis::ProfileSummary,
            hostile: &'a str,
        ) -> ManifestRequest<'a> {
            ManifestRequest {
                profile,
                evaluation: &s.at_knee,
                point_kind: hostile,
                stat: s.stat,
                namespace: "default",
                platform: Platform::Gke,
                bucket: None,
                model_facts: None,
                snapshot: "snap",
                include_hpa: false,
                no_hpa_reason: hostile,
                hpa_buffer: 0.2,
                expected_qps: None,
                cli_command: hostile,
                selection_note: Some(hostile),
            }
        }
        // On a GKE accelerator, whatever the bundled run used (some are AMD or unknown), with
        // an image where its version has no release image (a development build).
        let on_gke = |s: &pipeline::analysis::ProfileSummary| {
            let mut profile = s.profile.clone();
            profile.key.accelerator = "nvidia-h100-80gb".into();
            profile
                .image
                .get_or_insert_with(|| "registry.example/server:1".into());
            profile
        };
        for server in SUPPORTED_SERVERS {
            let s = summaries
                .iter()
                .find(|s| {
                    s.profile.key.model_server == *server
                        && render(&request(&on_gke(s), s, hostile)).is_ok()
                })
                .unwrap_or_else(|| panic!("a bundled {server} profile with a GKE manifest"));
            let mut profile = on_gke(s);
            profile.key.model = hostile.into();
            profile.server_args.push(format!("--x={hostile}"));
            let m =
                render(&request(&profile, s, hostile)).unwrap_or_else(|e| panic!("{server}: {e}"));
            let breaks = ['\r', '\u{85}', '\u{2028}', '\u{2029}'];
            assert!(
                !m.all().contains(breaks),
                "{server}: a line break besides \\n"
            );
            assert!(
                m.comments.lines().all(|l| l.starts_with('#')),
                "{server}: {}",
                m.comments
            );
            let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&m.yaml)
                .unwrap_or_else(|e| panic!("{server}: {e}\n{}", m.yaml));
            let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
            assert_eq!(
                kinds,
                ["Deployment", "Service", "PodMonitoring"],
                "{server}"
            );
            let container = &docs[0]["spec"]["template"]["spec"]["containers"][0];
            assert_eq!(container["name"], "inference-server", "{server}");
            let model_id = container["env"]
                .as_array()
                .and_then(|env| env.iter().find(|e| e["name"] == "MODEL_ID"))
                .map(|e| &e["value"]);
            assert_eq!(model_id, Some(&serde_json::json!(hostile)), "{server}");
            let args = container["args"].as_array().expect("args");
            assert!(
                args.contains(&serde_json::json!(format!("--x={hostile}"))),
                "{server}: {args:?}"
            );
        }
    }

    /// Every variant of every bundled profile, on both platforms, with and without model facts,
    /// renders as `render` renders that variant's request on its own: the same text, or the
    /// same reason there is none. The HPA variants come after the same variant without the HPA,
    /// so theirs are made by adding the HPA document. (Both share `shared_context`; that it holds what the single
    /// context before it held was checked by the site's bytes, unchanged at 10,000 profiles.)
    #[test]
    fn variants_render_as_their_own_requests() {
        let (summaries, _) = crate::test_support::bundled_summaries();
        let bucket = BucketUri::parse("gs://models/llama").unwrap();
        let variants: Vec<Variant> = [None, Some(&bucket)]
            .into_iter()
            .flat_map(|bucket| {
                [false, true].map(|include_hpa| Variant {
                    include_hpa,
                    bucket,
                })
            })
            .collect();
        let models = pipeline::model_facts::ModelCatalog::bundled().unwrap();
        let (mut texts, mut reasons, mut from_ram, mut added_hpa) = (0, 0, 0, 0);
        for s in summaries {
            let facts = [None, models.get(&s.profile.key.model)];
            for (platform, model_facts) in [Platform::Gke, Platform::Generic]
                .into_iter()
                .flat_map(|p| facts.map(|f| (p, f)))
            {
                let req = ManifestRequest {
                    profile: &s.profile,
                    evaluation: &s.at_knee,
                    point_kind: "knee",
                    stat: s.stat,
                    namespace: "default",
                    platform,
                    bucket: None,
                    model_facts,
                    snapshot: "snap",
                    include_hpa: false,
                    no_hpa_reason: "none asked for",
                    hpa_buffer: 0.1,
                    expected_qps: Some(3.0),
                    cli_command: "infercat manifests create",
                    selection_note: None,
                };
                let together = render_variants(&req, &variants).unwrap();
                for (v, got) in variants.iter().zip(together) {
                    let alone = render(&ManifestRequest {
                        include_hpa: v.include_hpa,
                        bucket: v.bucket,
                        ..req
                    });
                    match (got, alone) {
                        (Ok(a), Ok(b)) => {
                            assert_eq!(a, b, "{} {v:?}", s.profile.id);
                            texts += 1;
                            from_ram += usize::from(a.yaml.contains("/dev/shm/hf_cache"));
                            // Made from the variant without it rendered before (`adding_hpa`).
                            added_hpa +=
                                usize::from(a.yaml.contains("kind: HorizontalPodAutoscaler"));
                        }
                        (Err(a), Err(b)) => {
                            assert_eq!(a.to_string(), b.to_string(), "{}", s.profile.id);
                            reasons += 1;
                        }
                        (a, b) => panic!("{} {v:?}: {a:?} vs {b:?}", s.profile.id),
                    }
                }
            }
        }
        assert!(
            texts > 100 && reasons > 10 && from_ram > 0 && added_hpa > 20,
            "{texts} texts, {reasons} reasons, {from_ram} with weights in RAM, {added_hpa} with an HPA"
        );
    }

    /// `bucket_setting_lines` are lines every bucket variant writes, for any bucket and
    /// namespace; and the lines the templates spell in two forms (the weights' path for each
    /// source, the HPA adapter's step number) come out in the form the variant needs.
    #[test]
    fn the_bucket_setting_lines_are_the_templates_lines() {
        let (summaries, _) = crate::test_support::bundled_summaries();
        let (mut checked, mut with_hpa) = (0, 0);
        for (uri, namespace) in [("gs://models/llama", "default"), ("gs://b-2/x/y", "team-a")] {
            let bucket = BucketUri::parse(uri).unwrap();
            let lines = bucket_setting_lines(&bucket, namespace).unwrap();
            assert_eq!(lines.len(), 2);
            assert!(
                lines
                    .iter()
                    .all(|l| l.ends_with('\n') && l.matches('\n').count() == 1)
            );
            for s in summaries {
                let req = ManifestRequest {
                    profile: &s.profile,
                    evaluation: &s.at_knee,
                    point_kind: "knee",
                    stat: s.stat,
                    namespace,
                    platform: Platform::Gke,
                    bucket: Some(&bucket),
                    model_facts: None,
                    snapshot: "snap",
                    include_hpa: false,
                    no_hpa_reason: "none asked for",
                    hpa_buffer: 0.1,
                    expected_qps: None,
                    cli_command: "infercat manifests create",
                    selection_note: None,
                };
                let Ok(m) = render(&req) else { continue };
                let text = m.all();
                let written: Vec<&str> = text.split_inclusive('\n').collect();
                for line in &lines {
                    assert!(written.contains(&line.as_str()), "{line:?} in {text}");
                }
                let weights_arg = |text: &str, path: &str| {
                    text.lines()
                        .any(|l| l.starts_with("        - \"") && l.ends_with(&format!("{path}\"")))
                };
                assert!(weights_arg(&text, "/data/model"), "{text}");
                let from_hub = render(&ManifestRequest {
                    bucket: None,
                    ..req
                })
                .unwrap()
                .all();
                assert!(weights_arg(&from_hub, "$(MODEL_ID)"), "{from_hub}");
                if s.at_knee.hpa.is_ok() {
                    let step = |bucket| {
                        let req = ManifestRequest {
                            include_hpa: true,
                            bucket,
                            ..req
                        };
                        render(&req).unwrap().comments
                    };
                    let adapter = ". The HPA reads Prometheus metrics through";
                    assert!(step(Some(&bucket)).contains(&format!("# 4{adapter}")));
                    assert!(step(None).contains(&format!("# 3{adapter}")));
                    with_hpa += 1;
                }
                checked += 1;
            }
        }
        assert!(checked > 10 && with_hpa > 5, "{checked} {with_hpa}");
    }

    #[test]
    fn amd_nodes_get_rocm_images_or_none() {
        let amd = AcceleratorKind::Other(Vendor::Amd);
        assert_eq!(image_repository("vllm", amd), Some("vllm/vllm-openai-rocm"));
        assert_eq!(
            image_repository("sglang", amd),
            None,
            "its release tag is CUDA"
        );
        assert_eq!(image_repository("tgi", amd), None);
        assert_eq!(
            image_repository("sglang", AcceleratorKind::Gpu),
            Some("lmsysorg/sglang")
        );
    }

    #[test]
    fn bucket_uris_are_checked() {
        let b = BucketUri::parse("gs://my-models/llama/8b/").unwrap();
        assert_eq!(
            (b.name.as_str(), b.path.as_str()),
            ("my-models", "llama/8b")
        );
        assert_eq!(b.uri(), "gs://my-models/llama/8b");
        assert!(BucketUri::parse("s3://x/y").is_err());
        assert!(BucketUri::parse("gs://UPPER/x").is_err());
        assert!(BucketUri::parse("gs://ok-bucket/a,b").is_err());
    }

    #[test]
    fn flags_the_template_sets_are_not_repeated() {
        let args: Vec<String> = [
            "--tp",
            "4",
            "--tp-size=4",
            "--mem-fraction-static=0.9",
            "--port",
            "30000",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            args_not_set_by_template("sglang", &args),
            vec!["--mem-fraction-static=0.9"]
        );
        let vllm: Vec<String> = vec![
            "--tensor-parallel-size=2".into(),
            "--enable-prefix-caching".into(),
        ];
        assert_eq!(
            args_not_set_by_template("vllm", &vllm),
            vec!["--enable-prefix-caching"]
        );
    }

    #[test]
    fn release_tags_follow_each_servers_convention() {
        assert_eq!(release_tag("vllm", "0.11.0").unwrap(), "v0.11.0");
        assert_eq!(release_tag("vllm", "v0.5.3.post1").unwrap(), "v0.5.3.post1");
        assert_eq!(release_tag("tensorrt-llm", "0.21.0").unwrap(), "0.21.0");
        for moving in ["0.7.4.dev181", "nightly-100c7b65", "latest-2025-09"] {
            assert!(
                release_tag("vllm", moving)
                    .unwrap_err()
                    .contains("development build"),
                "{moving}"
            );
        }
        assert!(
            release_tag("vllm", "a b")
                .unwrap_err()
                .contains("not a valid image tag")
        );
    }

    #[test]
    fn object_names_are_dns_labels() {
        let n = object_name("vllm", "meta-llama/<script>\"x\": {{y}}\nz");
        assert!(is_dns_label(&n), "{n}");
        assert_eq!(
            object_name("vllm", "meta-llama/Llama-3.1-8B-Instruct"),
            "vllm-llama-3-1-8b-instruct"
        );
    }
}
