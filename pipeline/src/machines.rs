//! Facts about accelerators and the machine types that carry them (SPEC §7): which GKE
//! accelerator names exist, whether they are GPU or TPU, and the default machine type for an
//! accelerator and count when a run does not name one.

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
    Gpu,
    Tpu,
    Unknown,
}

pub fn accelerator_kind(name: &str) -> Option<AcceleratorKind> {
    if name == UNKNOWN_ACCELERATOR {
        Some(AcceleratorKind::Unknown)
    } else if GPU_ACCELERATORS.iter().any(|(n, _)| *n == name) {
        Some(AcceleratorKind::Gpu)
    } else if TPU_ACCELERATORS.iter().any(|(n, _, _)| *n == name) {
        Some(AcceleratorKind::Tpu)
    } else {
        None
    }
}

/// Every accelerator name a run may use, for error messages.
pub fn known_accelerators() -> Vec<&'static str> {
    GPU_ACCELERATORS
        .iter()
        .map(|(n, _)| *n)
        .chain(TPU_ACCELERATORS.iter().map(|(n, _, _)| *n))
        .chain(std::iter::once(UNKNOWN_ACCELERATOR))
        .collect()
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
        assert_eq!(accelerator_kind("nvidia-l4"), Some(AcceleratorKind::Gpu));
        assert_eq!(
            accelerator_kind("tpu-v5-lite-podslice"),
            Some(AcceleratorKind::Tpu)
        );
        assert_eq!(accelerator_kind("h100"), None);
    }
}
