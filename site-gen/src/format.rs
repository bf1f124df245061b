//! Number and unit formatting shared by pages, manifests and the CLI: one spelling of a load,
//! one rule for unknown values (`N/A`, never 0), and the Kubernetes quantity text. Also the
//! constants the pages state in words (the band drawn at a multiple of the knee's NTPOT).

use pipeline::point::Load;

/// The suggested NTPOT target band on profile pages: this multiple of the knee's NTPOT.
pub const BAND_FACTOR: f64 = 1.5;

/// A measured value with `digits` decimals, or `N/A` when unknown or not finite.
pub fn num(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "N/A".to_string(), |x| format!("{x:.digits$}"))
}

/// A value with its unit and 2 decimals, or `n/a`.
pub fn with_unit(v: Option<f64>, unit: &str) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "n/a".to_string(), |x| format!("{x:.2} {unit}"))
}

/// A load as every page, table and manifest comment spells it.
pub fn load(load: Load) -> String {
    match load {
        Load::Rate(r) => format!("{r:.2} req/s"),
        Load::Concurrency(c) => format!("concurrency {}", trimmed(c, 1)),
        Load::Unbounded => "unbounded load".to_string(),
    }
}

/// At most `digits` decimals, trailing zeros dropped (`16` not `16.0`).
pub fn trimmed(value: f64, digits: usize) -> String {
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text.as_str()
    };
    if text.is_empty() || text == "-0" {
        "0".into()
    } else {
        text.to_string()
    }
}

/// Kubernetes quantity text for an HPA target: at most three decimals, no trailing zeros.
pub fn quantity(value: f64) -> String {
    trimmed(value, 3)
}

/// The band target for a knee's NTPOT, rounded to 0.01 ms.
pub fn band_target(knee_ntpot: Option<f64>) -> Option<f64> {
    knee_ntpot.map(|v| (v * BAND_FACTOR * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_per_quantity() {
        assert_eq!(load(Load::Concurrency(16.0)), "concurrency 16");
        assert_eq!(load(Load::Concurrency(2.5)), "concurrency 2.5");
        assert_eq!(load(Load::Rate(4.0)), "4.00 req/s");
        assert_eq!(num(None, 2), "N/A");
        assert_eq!(num(Some(f64::NAN), 2), "N/A");
        assert_eq!(quantity(73.2211), "73.221");
        assert_eq!(quantity(168.0), "168");
        assert_eq!(quantity(1.6), "1.6");
        assert_eq!(band_target(Some(12.16)), Some(18.24));
    }
}
