//! Caveats a reader must see before trusting a profile's numbers for their own deployment:
//! quantized weights, modelled (not measured) results, an inferred checkpoint, an unknown GPU,
//! bursty streaming that makes median ITL meaningless, a short `--max-model-len`, synthetic
//! data. Each is a short badge and a sentence saying why it matters; the planner, the index
//! data and the profile page all show the same list.

use pipeline::analysis::Profile;
use serde::Serialize;

/// Below this context length a profile is flagged: most chat and RAG requests need more.
pub const SHORT_CONTEXT_TOKENS: u64 = 4096;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caveat {
    /// Short badge text (`quantized`, `modelled`, …).
    pub badge: &'static str,
    /// Why it matters, one sentence.
    pub text: String,
}

/// A server flag's value, from `--flag=value` or `--flag value`.
fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let with_eq = format!("{flag}=");
    args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix(&with_eq)
            .or_else(|| (a == flag).then(|| args.get(i + 1).map(String::as_str))?)
    })
}

/// Quantization named by the server flags, the checkpoint's name, the variant or the notes.
fn quantization(p: &Profile) -> Option<String> {
    if let Some(q) = flag_value(&p.server_args, "--quantization") {
        return Some(q.to_string());
    }
    let words = format!(
        "{} {} {}",
        p.key.model,
        p.key.variant.as_deref().unwrap_or(""),
        p.notes.as_deref().unwrap_or("")
    )
    .to_lowercase();
    [
        "bitsandbytes",
        "awq",
        "gptq",
        "mxfp4",
        "nvfp4",
        "fp4",
        "fp8",
        "int4",
        "int8",
        "w4a16",
        "w8a8",
    ]
    .into_iter()
    .find(|q| words.contains(q))
    .map(str::to_string)
}

/// The longest request the server was started to accept: vLLM's `--max-model-len`, SGLang's
/// `--context-length`, TGI's `--max-total-tokens`.
fn context_limit(args: &[String]) -> Option<u64> {
    ["--max-model-len", "--context-length", "--max-total-tokens"]
        .into_iter()
        .find_map(|flag| flag_value(args, flag)?.parse().ok())
}

fn mentions(p: &Profile, words: &[&str]) -> bool {
    let text = format!(
        "{} {}",
        p.key.variant.as_deref().unwrap_or(""),
        p.notes.as_deref().unwrap_or("")
    )
    .to_lowercase();
    words.iter().any(|w| text.contains(w))
}

/// Whether the median gap between streamed tokens is under a tenth of the time per output
/// token at some point: tokens arrive in bursts, so ITL percentiles below p90 say little.
fn streams_in_chunks(p: &Profile) -> bool {
    p.points.iter().any(|pt| {
        matches!((pt.itl.p50(), pt.tpot.p50().or(pt.tpot.mean())), (Some(itl), Some(tpot)) if itl < tpot / 10.0)
    })
}

/// Every caveat of a profile, in a fixed order.
pub fn caveats(p: &Profile) -> Vec<Caveat> {
    let mut out = Vec::new();
    if p.synthetic {
        out.push(Caveat {
            badge: "synthetic",
            text: "synthetic test data, not a benchmark".into(),
        });
    }
    if let Some(q) = quantization(p) {
        out.push(Caveat {
            badge: "quantized",
            text: format!(
                "weights quantized ({q}): output quality can differ from the full-precision model; check accuracy on your task"
            ),
        });
    }
    if mentions(p, &["modelled", "modeled"]) {
        out.push(Caveat {
            badge: "modelled",
            text: "results modelled under stated assumptions, not measured end to end".into(),
        });
    }
    if mentions(p, &["unverified checkpoint"]) {
        out.push(Caveat {
            badge: "unverified checkpoint",
            text: "the source does not name the exact checkpoint; the model id is inferred".into(),
        });
    }
    if p.key.accelerator == "unknown" {
        out.push(Caveat {
            badge: "unknown GPU",
            text: "the source does not say which accelerator ran it; no price or machine".into(),
        });
    }
    if streams_in_chunks(p) {
        out.push(Caveat {
            badge: "chunked stream",
            text: "median ITL is far below TPOT: the server sends several tokens per streamed chunk, so most gaps between tokens are near zero; read TPOT or NTPOT for decode speed and set ITL targets at p90 or p99".into(),
        });
    }
    if let Some(len) = context_limit(&p.server_args).filter(|len| *len < SHORT_CONTEXT_TOKENS) {
        out.push(Caveat {
            badge: "short context",
            text: format!(
                "benchmarked with a {len}-token context limit: longer requests are rejected; raising it changes memory use and throughput"
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_read_in_both_spellings() {
        let args: Vec<String> = ["--max-model-len", "512", "--quantization=awq"]
            .map(String::from)
            .to_vec();
        assert_eq!(flag_value(&args, "--max-model-len"), Some("512"));
        assert_eq!(flag_value(&args, "--quantization"), Some("awq"));
        assert_eq!(flag_value(&args, "--tp"), None);
        let trailing = vec!["--max-model-len".to_string()];
        assert_eq!(flag_value(&trailing, "--max-model-len"), None);
        let sglang: Vec<String> = ["--context-length=2048"].map(String::from).to_vec();
        assert_eq!(context_limit(&sglang), Some(2048));
    }
}
