//! Container image references (OCI distribution spec grammar), checked before a version or a
//! run.toml `image` is written into a manifest.

/// A tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A full reference: `[host[:port]/]path[:tag][@algorithm:hex]`, with lowercase path
/// components separated by `/` (each `[a-z0-9]+` joined by `.`, `_`, `__` or dashes).
pub fn is_valid_reference(reference: &str) -> bool {
    if reference.is_empty() || reference.len() > 255 {
        return false;
    }
    let (name_tag, digest) = match reference.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (reference, None),
    };
    if let Some(d) = digest
        && !is_valid_digest(d)
    {
        return false;
    }
    let (name, tag) = split_tag(name_tag);
    if tag.is_some_and(|t| !is_valid_tag(t)) {
        return false;
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 && looks_like_host(parts[0]) {
        if !is_valid_host(parts[0]) {
            return false;
        }
        parts.remove(0);
    }
    !parts.is_empty() && parts.iter().all(|p| is_valid_path_component(p))
}

/// Splits `name:tag`, where a `:` inside the host part (a port) is not a tag separator.
fn split_tag(name_tag: &str) -> (&str, Option<&str>) {
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    match name_tag[last_slash..].rfind(':') {
        Some(i) => (
            &name_tag[..last_slash + i],
            Some(&name_tag[last_slash + i + 1..]),
        ),
        None => (name_tag, None),
    }
}

fn looks_like_host(part: &str) -> bool {
    part.contains('.') || part.contains(':') || part == "localhost"
}

fn is_valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn is_valid_path_component(part: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let bytes: Vec<char> = part.chars().collect();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut separator = String::new();
    for &c in &bytes {
        if alnum(c) {
            if !(separator.is_empty()
                || separator == "."
                || separator == "_"
                || separator == "__"
                || separator.chars().all(|s| s == '-'))
            {
                return false;
            }
            separator.clear();
        } else if matches!(c, '.' | '_' | '-') {
            separator.push(c);
        } else {
            return false;
        }
    }
    true
}

fn is_valid_digest(digest: &str) -> bool {
    match digest.split_once(':') {
        Some((algorithm, hex)) => {
            !algorithm.is_empty()
                && algorithm
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c))
                && hex.len() >= 32
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_that_are_tags() {
        assert!(is_valid_tag("v0.11.0"));
        assert!(is_valid_tag("2.0.1"));
        assert!(is_valid_tag("v0.5.3.post1"));
        assert!(!is_valid_tag(
            "lmsysorg/sglang:latest (Dec 2024, commit abc)"
        ));
        assert!(!is_valid_tag(".hidden"));
        assert!(!is_valid_tag(""));
        assert!(!is_valid_tag(&"a".repeat(129)));
    }

    #[test]
    fn references() {
        for ok in [
            "vllm/vllm-openai:v0.11.0",
            "lmsysorg/sglang:v0.4.1.post5-cu124",
            "ghcr.io/huggingface/text-generation-inference:2.0.1",
            "localhost:5000/team/vllm:dev",
            "nginx",
            "rocm/vllm@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_valid_reference(ok), "{ok}");
        }
        for bad in [
            "lmsysorg/sglang:lmsysorg/sglang:latest (Dec 2024)",
            "Vllm/Vllm:1",
            "vllm/vllm-openai:",
            "",
            "a//b",
            "vllm/vllm openai:1",
        ] {
            assert!(!is_valid_reference(bad), "{bad}");
        }
    }
}
