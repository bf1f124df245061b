//! How a profile spreads its model over its accelerators: tensor, expert and data parallelism,
//! and prefill/decode disaggregation (prefill workers × TP, decode workers × TP). Part of the
//! profile's identity: the same model on the same eight GPUs as TP8 or as 2 prefill + 2 decode
//! workers of TP2 are different deployments with different curves.

use serde::{Deserialize, Serialize};

/// One role of a disaggregated deployment: `workers` server instances of `tensor_parallel`
/// accelerators each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Workers {
    pub workers: u32,
    pub tensor_parallel: u32,
}

impl Workers {
    pub fn accelerators(self) -> u64 {
        u64::from(self.workers) * u64::from(self.tensor_parallel)
    }
}

/// What a file or run.toml says of the parallelism; `None` is "not stated".
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Topology {
    pub tensor_parallel: Option<u32>,
    pub expert_parallel: Option<u32>,
    pub data_parallel: Option<u32>,
    pub prefill: Option<Workers>,
    pub decode: Option<Workers>,
}

impl Topology {
    pub fn is_empty(&self) -> bool {
        *self == Topology::default()
    }

    /// Prefill/decode disaggregated.
    pub fn is_disaggregated(&self) -> bool {
        self.prefill.is_some() || self.decode.is_some()
    }

    /// The same topology with degrees of 1 for expert and data parallelism left unstated: they
    /// are the default, and a file that writes `ep: 1` describes the same deployment as one
    /// that does not.
    pub fn normalized(self) -> Topology {
        let above_one = |v: Option<u32>| v.filter(|v| *v != 1);
        Topology {
            expert_parallel: above_one(self.expert_parallel),
            data_parallel: above_one(self.data_parallel),
            ..self
        }
    }

    /// What the file states, with `fallback` (run.toml) for what it does not; a field both
    /// state differently is an error naming both values.
    pub fn stated_else(&self, fallback: &Topology) -> Result<Topology, String> {
        fn pick<T: PartialEq + std::fmt::Debug>(
            name: &str,
            file: Option<T>,
            toml: Option<T>,
        ) -> Result<Option<T>, String> {
            match (file, toml) {
                (Some(f), Some(t)) if f != t => Err(format!(
                    "run.toml says {name} {t:?} but the file says {f:?}: remove one or make them agree"
                )),
                (Some(f), _) => Ok(Some(f)),
                (None, t) => Ok(t),
            }
        }
        Ok(Topology {
            tensor_parallel: pick(
                "tensor_parallel",
                self.tensor_parallel,
                fallback.tensor_parallel,
            )?,
            expert_parallel: pick(
                "expert_parallel",
                self.expert_parallel,
                fallback.expert_parallel,
            )?,
            data_parallel: pick("data_parallel", self.data_parallel, fallback.data_parallel)?,
            prefill: pick("the prefill workers", self.prefill, fallback.prefill)?,
            decode: pick("the decode workers", self.decode, fallback.decode)?,
        })
    }

    /// `over`'s fields where it states them, else this one's.
    pub fn overridden_by(&self, over: &Topology) -> Topology {
        Topology {
            tensor_parallel: over.tensor_parallel.or(self.tensor_parallel),
            expert_parallel: over.expert_parallel.or(self.expert_parallel),
            data_parallel: over.data_parallel.or(self.data_parallel),
            prefill: over.prefill.or(self.prefill),
            decode: over.decode.or(self.decode),
        }
    }

    /// Accelerators the disaggregated roles use together, when both are stated.
    pub fn disaggregated_accelerators(&self) -> Option<u64> {
        Some(self.prefill?.accelerators() + self.decode?.accelerators())
    }

    /// Whether the topology says nothing the accelerator count does not: unstated, or plain
    /// tensor parallelism over all `accelerators`. Such profiles keep the id they had before
    /// topology was part of the key.
    pub fn is_plain(&self, accelerators: u32) -> bool {
        let only_tp = Topology {
            tensor_parallel: self.tensor_parallel,
            ..Default::default()
        };
        *self == only_tp && self.tensor_parallel.is_none_or(|tp| tp == accelerators)
    }

    /// A short label: `TP8`, `TP8 EP8`, `TP2 DP4`, `1P×TP8 + 1D×TP8`, or empty when unstated.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let (Some(p), Some(d)) = (self.prefill, self.decode) {
            parts.push(format!(
                "{}P×TP{} + {}D×TP{}",
                p.workers, p.tensor_parallel, d.workers, d.tensor_parallel
            ));
        } else {
            if let Some(p) = self.prefill {
                parts.push(format!("{}P×TP{}", p.workers, p.tensor_parallel));
            }
            if let Some(d) = self.decode {
                parts.push(format!("{}D×TP{}", d.workers, d.tensor_parallel));
            }
        }
        if !self.is_disaggregated()
            && let Some(tp) = self.tensor_parallel
        {
            parts.push(format!("TP{tp}"));
        }
        if let Some(ep) = self.expert_parallel.filter(|ep| *ep > 1) {
            parts.push(format!("EP{ep}"));
        }
        if let Some(dp) = self.data_parallel.filter(|dp| *dp > 1) {
            parts.push(format!("DP{dp}"));
        }
        parts.join(" ")
    }

    /// Checks the topology against the profile's total accelerator count: a disaggregated
    /// deployment's roles must add up to it, and TP × DP must not exceed it.
    pub fn check(&self, accelerators: u32) -> Result<(), String> {
        let total = u64::from(accelerators);
        if let Some(used) = self.disaggregated_accelerators()
            && used != total
        {
            return Err(format!(
                "the prefill and decode workers use {used} accelerators but accelerator_count is {accelerators}"
            ));
        }
        let zero = [
            self.tensor_parallel,
            self.expert_parallel,
            self.data_parallel,
        ]
        .into_iter()
        .flatten()
        .chain(
            [self.prefill, self.decode]
                .into_iter()
                .flatten()
                .flat_map(|w| [w.workers, w.tensor_parallel]),
        )
        .any(|v| v == 0);
        if zero {
            return Err("a parallelism degree or worker count is 0".into());
        }
        if !self.is_disaggregated()
            && (self.tensor_parallel.is_some() || self.data_parallel.is_some())
        {
            // Each data-parallel replica takes at least one accelerator.
            let tp = self.tensor_parallel.unwrap_or(1);
            let used = u64::from(tp) * u64::from(self.data_parallel.unwrap_or(1));
            if used > total {
                return Err(format!(
                    "TP{tp} × DP{} needs {used} accelerators but accelerator_count is {accelerators}",
                    self.data_parallel.unwrap_or(1)
                ));
            }
        }
        Ok(())
    }
}

/// The tensor-parallel size a list of server flags sets (`--tensor-parallel-size 4`, `--tp=4`,
/// `-tp 4`, `--tp-size 4`), if any.
pub fn tensor_parallel_from_args(args: &[String]) -> Option<u32> {
    const FLAGS: [&str; 4] = ["--tensor-parallel-size", "--tp-size", "--tp", "-tp"];
    let mut iter = args.iter().peekable();
    while let Some(arg) = iter.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        if FLAGS.contains(&flag) {
            let value = inline.or_else(|| iter.peek().map(|v| v.to_string()));
            return value.and_then(|v| v.trim().parse().ok()).filter(|v| *v > 0);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_say_the_split() {
        let tp8 = Topology {
            tensor_parallel: Some(8),
            expert_parallel: Some(8),
            ..Default::default()
        };
        assert_eq!(tp8.label(), "TP8 EP8");
        let pd = Topology {
            prefill: Some(Workers {
                workers: 1,
                tensor_parallel: 2,
            }),
            decode: Some(Workers {
                workers: 3,
                tensor_parallel: 2,
            }),
            ..Default::default()
        };
        assert_eq!(pd.label(), "1P×TP2 + 3D×TP2");
        assert_eq!(pd.disaggregated_accelerators(), Some(8));
        assert!(pd.check(8).is_ok());
        assert!(pd.check(16).unwrap_err().contains("use 8 accelerators"));
        assert_eq!(Topology::default().label(), "");
    }

    #[test]
    fn the_file_states_run_toml_fills_in_and_conflicts_are_named() {
        let file = Topology {
            tensor_parallel: Some(8),
            expert_parallel: Some(1),
            ..Default::default()
        }
        .normalized();
        assert_eq!(file.expert_parallel, None, "EP1 is the default");
        let toml = Topology {
            data_parallel: Some(2),
            ..Default::default()
        };
        let t = file.stated_else(&toml).unwrap();
        assert_eq!((t.tensor_parallel, t.data_parallel), (Some(8), Some(2)));
        let clash = Topology {
            tensor_parallel: Some(4),
            ..Default::default()
        };
        assert!(
            file.stated_else(&clash)
                .unwrap_err()
                .contains("tensor_parallel 4 but the file says 8")
        );
    }

    #[test]
    fn plain_tensor_parallelism_adds_nothing_to_the_identity() {
        let tp = |n| Topology {
            tensor_parallel: Some(n),
            ..Default::default()
        };
        assert!(Topology::default().is_plain(4));
        assert!(tp(4).is_plain(4));
        assert!(!tp(2).is_plain(4));
        assert!(tp(8).check(4).is_err());
    }

    #[test]
    fn tensor_parallel_flags_in_every_spelling() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            tensor_parallel_from_args(&args(&["--tensor-parallel-size", "4"])),
            Some(4)
        );
        assert_eq!(tensor_parallel_from_args(&args(&["--tp=2"])), Some(2));
        assert_eq!(tensor_parallel_from_args(&args(&["-tp", "8"])), Some(8));
        assert_eq!(tensor_parallel_from_args(&args(&["--tp", "x"])), None);
        assert_eq!(tensor_parallel_from_args(&args(&["--port", "8"])), None);
    }
}
