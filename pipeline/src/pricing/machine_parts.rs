//! What a machine type is made of in the price catalog: a host row plus N accelerators of a
//! catalog GPU name, or one TPU slice row (host included).

/// How to price one machine type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MachineParts {
    /// Host row (`InstanceType`) + accelerator row (`AcceleratorName`, `AcceleratorCount`).
    Gpu { gpu: &'static str, count: u32 },
    /// A TPU slice row (`AcceleratorName`), host included.
    Tpu { slice: String },
}

/// The catalog parts of a GKE machine type, or `None` for machine types the catalog cannot
/// price (CPU-only, n1 + T4, unknown).
pub fn machine_parts(instance_type: &str) -> Option<MachineParts> {
    let gpu = |gpu: &'static str, count: u32| Some(MachineParts::Gpu { gpu, count });
    let suffix_count = |prefix: &str, unit: char| -> Option<u32> {
        instance_type
            .strip_prefix(prefix)?
            .strip_suffix(unit)?
            .parse()
            .ok()
    };
    if let Some(n) = suffix_count("a2-highgpu-", 'g') {
        return gpu("A100", n);
    }
    if instance_type == "a2-megagpu-16g" {
        return gpu("A100", 16);
    }
    if let Some(n) = suffix_count("a2-ultragpu-", 'g') {
        return gpu("A100-80GB", n);
    }
    if let Some(n) = suffix_count("a3-highgpu-", 'g') {
        return gpu("H100", n);
    }
    match instance_type {
        "a3-megagpu-8g" => return gpu("H100-MEGA", 8),
        "a3-ultragpu-8g" => return gpu("H200", 8),
        "a4-highgpu-8g" => return gpu("B200", 8),
        _ => {}
    }
    if let Some(size) = instance_type.strip_prefix("g2-standard-") {
        let count = match size {
            "4" | "8" | "12" | "16" | "32" => 1,
            "24" => 2,
            "48" => 4,
            "96" => 8,
            _ => return None,
        };
        return gpu("L4", count);
    }
    if let Some(n) = suffix_count("ct5lp-hightpu-", 't') {
        return Some(MachineParts::Tpu {
            slice: format!("tpu-v5litepod-{n}"),
        });
    }
    if let Some(n) = suffix_count("ct6e-standard-", 't') {
        return Some(MachineParts::Tpu {
            slice: format!("tpu-v6e-{n}"),
        });
    }
    if let Some(n) = suffix_count("ct5p-hightpu-", 't') {
        // v5p slices are named by TensorCores: 2 per chip.
        return Some(MachineParts::Tpu {
            slice: format!("tpu-v5p-{}", n * 2),
        });
    }
    if instance_type.starts_with("tpu-") {
        return Some(MachineParts::Tpu {
            slice: instance_type.to_string(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gke_machine_types_map_to_catalog_parts() {
        assert_eq!(
            machine_parts("a2-highgpu-1g"),
            Some(MachineParts::Gpu {
                gpu: "A100",
                count: 1
            })
        );
        assert_eq!(
            machine_parts("a3-highgpu-8g"),
            Some(MachineParts::Gpu {
                gpu: "H100",
                count: 8
            })
        );
        assert_eq!(
            machine_parts("g2-standard-24"),
            Some(MachineParts::Gpu {
                gpu: "L4",
                count: 2
            })
        );
        assert_eq!(
            machine_parts("ct5lp-hightpu-4t"),
            Some(MachineParts::Tpu {
                slice: "tpu-v5litepod-4".into()
            })
        );
        assert_eq!(
            machine_parts("ct6e-standard-8t"),
            Some(MachineParts::Tpu {
                slice: "tpu-v6e-8".into()
            })
        );
        assert_eq!(
            machine_parts("ct5p-hightpu-4t"),
            Some(MachineParts::Tpu {
                slice: "tpu-v5p-8".into()
            })
        );
        assert_eq!(machine_parts("n1-standard-8"), None);
        assert_eq!(machine_parts("a2-highgpu-xg"), None);
    }
}
