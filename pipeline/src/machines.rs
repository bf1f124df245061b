//! Facts about accelerators and the machine types that carry them (SPEC §7): which GKE
//! accelerator names exist, whether they are GPU or TPU, how other spellings and non-GKE
//! accelerators (L40S, MI300X, Gaudi) are named, which device resource each vendor's plugin
//! exposes, and the default machine type for an accelerator and count when a run does not
//! name one.

/// The accelerator name runs use when the hardware is not known; it never gets a price.
pub const UNKNOWN_ACCELERATOR: &str = "unknown";

/// GPU accelerator names as GKE spells them, with the machine family that carries them.
pub const GPU_ACCELERATORS: &[(&str, &str)] = &[
    ("nvidia-l4", "g2-standard"),
    ("nvidia-tesla-t4", "n1-standard"),
    ("nvidia-tesla-a100", "a2-highgpu"),
    ("nvidia-a100-80gb", "a2-ultragpu"),
    ("nvidia-h100-80gb", "a3-highgpu"),
    ("nvidia-h100-mega-80gb", "a3-megagpu"),
    ("nvidia-h200-141gb", "a3-ultragpu"),
    ("nvidia-b200", "a4-highgpu"),
];

/// TPU accelerator names as GKE spells them (`cloud.google.com/gke-tpu-accelerator`), with the
/// machine type prefix and the price catalog's slice name prefix.
pub const TPU_ACCELERATORS: &[(&str, &str, &str)] = &[
    ("tpu-v5-lite-podslice", "ct5lp-hightpu", "tpu-v5litepod"),
    ("tpu-v6e-slice", "ct6e-standard", "tpu-v6e"),
    ("tpu-v5p-slice", "ct5p-hightpu", "tpu-v5p"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceleratorKind {
    /// A GPU GKE offers (machine types and catalog prices exist).
    Gpu,
    /// A Cloud TPU slice GKE offers.
    Tpu,
    /// An accelerator outside GKE's list: priced only from `--prices`, deployed only with
    /// `--platform=generic`.
    Other(Vendor),
    Unknown,
}

/// Who makes an accelerator, which decides the device plugin's resource name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    Nvidia,
    Amd,
    /// Intel Gaudi (Habana) accelerators.
    Intel,
    /// Intel data-center and Arc GPUs (the i915/xe device plugin).
    IntelGpu,
    /// Not recognized: no device resource can be written.
    Unrecognized,
}

impl Vendor {
    /// The extended resource the vendor's Kubernetes device plugin advertises.
    pub fn device_resource(self) -> Option<&'static str> {
        match self {
            Vendor::Nvidia => Some("nvidia.com/gpu"),
            Vendor::Amd => Some("amd.com/gpu"),
            Vendor::Intel => Some("habana.ai/gaudi"),
            Vendor::IntelGpu => Some("gpu.intel.com/i915"),
            Vendor::Unrecognized => None,
        }
    }

    fn of(id: &str) -> Vendor {
        if id.starts_with("nvidia-") {
            Vendor::Nvidia
        } else if id.starts_with("amd-") {
            Vendor::Amd
        } else if id.starts_with("intel-gaudi") {
            Vendor::Intel
        } else if id.starts_with("intel-") {
            Vendor::IntelGpu
        } else {
            Vendor::Unrecognized
        }
    }
}

/// What kind of accelerator a (normalized) id names. Every id is accepted: ids outside GKE's
/// list are `Other`.
pub fn accelerator_kind(name: &str) -> AcceleratorKind {
    if name == UNKNOWN_ACCELERATOR {
        AcceleratorKind::Unknown
    } else if GPU_ACCELERATORS.iter().any(|(n, _)| *n == name) {
        AcceleratorKind::Gpu
    } else if TPU_ACCELERATORS.iter().any(|(n, _, _)| *n == name) {
        AcceleratorKind::Tpu
    } else {
        AcceleratorKind::Other(Vendor::of(name))
    }
}

/// Whether GKE offers this accelerator (so machine types and catalog prices can exist).
pub fn is_gke_accelerator(name: &str) -> bool {
    matches!(
        accelerator_kind(name),
        AcceleratorKind::Gpu | AcceleratorKind::Tpu
    )
}

/// Spellings seen in result files and vendor tools, after [`crate::profile::slug`] and with
/// the vendor prefix removed, mapped to GKE's names. Only exact SKUs GKE sells are mapped:
/// an H100 PCIe or NVL is not GKE's SXM H100 and keeps its own id.
const GKE_ALIASES: &[(&[&str], &str)] = &[
    (&["l4"], "nvidia-l4"),
    (&["t4", "tesla-t4"], "nvidia-tesla-t4"),
    (
        &[
            "a100",
            "a100-40gb",
            "a100-sxm4-40gb",
            "a100-sxm-40gb",
            "tesla-a100",
        ],
        "nvidia-tesla-a100",
    ),
    (
        &["a100-80gb", "a100-sxm4-80gb", "a100-sxm-80gb"],
        "nvidia-a100-80gb",
    ),
    (
        &[
            "h100",
            "h100-80gb",
            "h100-sxm",
            "h100-sxm5",
            "h100-80gb-hbm3",
            "h100-sxm5-80gb",
            "h100-sxm-80gb",
        ],
        "nvidia-h100-80gb",
    ),
    (&["h100-mega", "h100-mega-80gb"], "nvidia-h100-mega-80gb"),
    (
        &[
            "h200",
            "h200-141gb",
            "h200-sxm",
            "h200-sxm-141gb",
            "h200-141gb-hbm3e",
        ],
        "nvidia-h200-141gb",
    ),
    (&["b200", "b200-180gb"], "nvidia-b200"),
    (&["tpu-v6e", "v6e", "tpu-v6-lite"], "tpu-v6e-slice"),
    (
        &["tpu-v5e", "v5e", "tpu-v5-lite", "tpu-v5litepod"],
        "tpu-v5-lite-podslice",
    ),
    (&["tpu-v5p", "v5p"], "tpu-v5p-slice"),
];

/// The canonical id for any spelling of an accelerator: GKE names stay, common spellings of
/// GKE's SKUs become GKE names (`H100` → `nvidia-h100-80gb`), and others become a lowercase
/// vendor-prefixed id (`NVIDIA L40S` → `nvidia-l40s`, `MI300X` → `amd-instinct-mi300x`,
/// `Gaudi3` → `intel-gaudi3`). `None` when nothing is left to name it.
pub fn normalize_accelerator(raw: &str) -> Option<String> {
    let id = crate::profile::slug(raw);
    if id.is_empty() {
        return None;
    }
    if accelerator_kind(&id) != AcceleratorKind::Other(Vendor::of(&id)) {
        return Some(id);
    }
    let core = [
        "nvidia-",
        "amd-",
        "instinct-",
        "intel-",
        "habana-",
        "google-",
        "cloud-",
    ]
    .iter()
    .fold(id.as_str(), |rest, prefix| {
        rest.strip_prefix(prefix).unwrap_or(rest)
    })
    .replacen("gaudi-", "gaudi", 1);
    let core = core.as_str();
    if let Some((_, name)) = GKE_ALIASES
        .iter()
        .find(|(spellings, _)| spellings.contains(&core))
    {
        return Some((*name).to_string());
    }
    let family = |prefix: &str| {
        core.strip_prefix(prefix)
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    };
    Some(if family("mi") {
        format!("amd-instinct-{core}")
    } else if core == "hl-225" {
        "intel-gaudi2".to_string()
    } else if core == "hl-325" {
        "intel-gaudi3".to_string()
    } else if core.starts_with("gaudi") {
        format!("intel-{core}")
    } else if id.starts_with("intel-") {
        id
    } else if id.starts_with("nvidia-")
        || ["a", "b", "h", "l", "t", "v", "gb", "rtx-", "a10g"]
            .iter()
            .any(|p| family(p))
    {
        format!("nvidia-{core}")
    } else {
        id
    })
}

/// The machine type GKE would give `count` of `accelerator`, or `None` when no standard shape
/// exists (e.g. 3 GPUs, a single H200, an unknown accelerator).
pub fn default_instance_type(accelerator: &str, count: u32) -> Option<String> {
    match accelerator {
        "nvidia-l4" => match count {
            1 => Some("g2-standard-8".into()),
            2 => Some("g2-standard-24".into()),
            4 => Some("g2-standard-48".into()),
            8 => Some("g2-standard-96".into()),
            _ => None,
        },
        "nvidia-tesla-a100" => match count {
            1 | 2 | 4 | 8 => Some(format!("a2-highgpu-{count}g")),
            16 => Some("a2-megagpu-16g".into()),
            _ => None,
        },
        "nvidia-a100-80gb" | "nvidia-h100-80gb" => {
            let family = if accelerator == "nvidia-a100-80gb" {
                "a2-ultragpu"
            } else {
                "a3-highgpu"
            };
            matches!(count, 1 | 2 | 4 | 8).then(|| format!("{family}-{count}g"))
        }
        "nvidia-h100-mega-80gb" => (count == 8).then(|| "a3-megagpu-8g".into()),
        "nvidia-h200-141gb" => (count == 8).then(|| "a3-ultragpu-8g".into()),
        "nvidia-b200" => (count == 8).then(|| "a4-highgpu-8g".into()),
        _ => TPU_ACCELERATORS
            .iter()
            .find(|(name, _, _)| *name == accelerator)
            .filter(|_| matches!(count, 1 | 4 | 8))
            .map(|(_, machine, _)| format!("{machine}-{count}t")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_shapes_follow_gke_machine_families() {
        assert_eq!(
            default_instance_type("nvidia-h100-80gb", 1).as_deref(),
            Some("a3-highgpu-1g")
        );
        assert_eq!(
            default_instance_type("nvidia-a100-80gb", 4).as_deref(),
            Some("a2-ultragpu-4g")
        );
        assert_eq!(
            default_instance_type("nvidia-l4", 2).as_deref(),
            Some("g2-standard-24")
        );
        assert_eq!(
            default_instance_type("tpu-v6e-slice", 8).as_deref(),
            Some("ct6e-standard-8t")
        );
        assert_eq!(default_instance_type("nvidia-h200-141gb", 1), None);
        assert_eq!(default_instance_type("unknown", 1), None);
    }

    #[test]
    fn kinds_are_recognized() {
        assert_eq!(accelerator_kind("nvidia-l4"), AcceleratorKind::Gpu);
        assert_eq!(
            accelerator_kind("tpu-v5-lite-podslice"),
            AcceleratorKind::Tpu
        );
        assert_eq!(
            accelerator_kind("amd-instinct-mi300x"),
            AcceleratorKind::Other(Vendor::Amd)
        );
        assert_eq!(
            accelerator_kind("nvidia-l40s"),
            AcceleratorKind::Other(Vendor::Nvidia)
        );
    }

    #[test]
    fn common_spellings_normalize() {
        let n = |s: &str| normalize_accelerator(s).unwrap();
        assert_eq!(n("NVIDIA L40S"), "nvidia-l40s");
        assert_eq!(n("nvidia-l40s"), "nvidia-l40s");
        assert_eq!(n("L40S"), "nvidia-l40s");
        assert_eq!(n("MI300X"), "amd-instinct-mi300x");
        assert_eq!(n("amd-instinct-mi300x"), "amd-instinct-mi300x");
        assert_eq!(n("AMD Instinct MI355X"), "amd-instinct-mi355x");
        assert_eq!(n("gaudi3"), "intel-gaudi3");
        assert_eq!(n("Intel Gaudi 2"), "intel-gaudi2");
        assert_eq!(n("HL-225"), "intel-gaudi2");
        assert_eq!(
            n("Intel Data Center GPU Max 1550"),
            "intel-data-center-gpu-max-1550"
        );
        assert_eq!(
            accelerator_kind("intel-data-center-gpu-max-1550"),
            AcceleratorKind::Other(Vendor::IntelGpu)
        );
        assert_eq!(
            Vendor::IntelGpu.device_resource(),
            Some("gpu.intel.com/i915")
        );
        assert_eq!(n("tpu-v6e"), "tpu-v6e-slice");
        assert_eq!(n("H100"), "nvidia-h100-80gb");
        assert_eq!(n("NVIDIA H100 80GB HBM3"), "nvidia-h100-80gb");
        assert_eq!(n("A100-SXM4-80GB"), "nvidia-a100-80gb");
        assert_eq!(n("H100 PCIe"), "nvidia-h100-pcie", "not GKE's SXM part");
        assert_eq!(n("nvidia-h100-80gb"), "nvidia-h100-80gb");
        assert_eq!(n("unknown"), "unknown");
        assert_eq!(normalize_accelerator(" -- "), None);
    }
}
