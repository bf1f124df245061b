//! Number and unit formatting shared by pages, manifests and the CLI: one spelling of a load,
//! one rule for unknown values (`N/A`, never 0), and the Kubernetes quantity text. Also the
//! constants the pages state in words (the band drawn at a multiple of the knee's NTPOT).

use pipeline::point::Load;

/// The suggested NTPOT target band on profile pages: this multiple of the knee's NTPOT.
pub const BAND_FACTOR: f64 = 1.5;

/// A measured value with `digits` decimals, or `N/A` when unknown or not finite.
pub fn num(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "N/A".to_string(), |x| fixed(x, digits))
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

/// `value` with exactly `decimals` decimals: the same text as `format!("{value:.decimals$}")`.
/// Charts and tables spell tens of thousands of numbers per build; the formatter's exact
/// decimal expansion dominated that, so values far from a rounding tie are rounded in integer
/// arithmetic instead. Near a tie the product `value × 10^decimals` could land on the wrong side
/// of it (its error is under 2e-7 below 1e9), so those, and anything large, go to the formatter.
pub fn fixed(value: f64, decimals: usize) -> String {
    fixed_fast(value, decimals).unwrap_or_else(|| format!("{value:.decimals$}"))
}

fn fixed_fast(value: f64, decimals: usize) -> Option<String> {
    let (negative, int, frac) = rounded_parts(value, decimals)?;
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    push_digits(&mut out, int, 1);
    if decimals > 0 {
        out.push('.');
        push_digits(&mut out, frac, decimals);
    }
    Some(out)
}

/// Appends `n` in decimal, zero-padded to at least `width` digits. The formatter's general
/// machinery (arguments, padding, flags) was most of the cost of spelling a chart coordinate.
fn push_digits(out: &mut String, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    start = start.min(digits.len().saturating_sub(width));
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

/// `value` rounded to `decimals` (at most 3) in integer arithmetic: its sign, integer part and
/// decimals as an integer; `None` near a rounding tie, for NaN and from 1e9 up (see [`fixed`]).
fn rounded_parts(value: f64, decimals: usize) -> Option<(bool, u64, u64)> {
    const SCALES: [u64; 4] = [1, 10, 100, 1000];
    let scale = *SCALES.get(decimals)?;
    let scaled = value.abs() * scale as f64;
    if scaled.is_nan() || scaled >= 1e9 || (scaled - scaled.floor() - 0.5).abs() < 1e-6 {
        return None;
    }
    let n = scaled.round() as u64;
    Some((value.is_sign_negative(), n / scale, n % scale))
}

/// At most `digits` decimals, trailing zeros dropped (`16` not `16.0`).
pub fn trimmed(value: f64, digits: usize) -> String {
    let mut out = String::new();
    push_trimmed(&mut out, value, digits);
    out
}

/// [`trimmed`] appended to `out`: charts spell hundreds of coordinates per page, and building
/// a string for each (then another for its trimmed copy) was a large share of drawing them.
pub fn push_trimmed(out: &mut String, value: f64, digits: usize) {
    let Some((negative, int, mut frac)) = rounded_parts(value, digits) else {
        out.push_str(&trimmed_slow(value, digits));
        return;
    };
    if negative && (int != 0 || frac != 0) {
        out.push('-');
    }
    push_digits(out, int, 1);
    if frac == 0 {
        return;
    }
    let mut width = digits;
    while frac % 10 == 0 {
        frac /= 10;
        width -= 1;
    }
    out.push('.');
    push_digits(out, frac, width);
}

/// [`trimmed`] through the formatter, for values the integer path cannot round exactly.
fn trimmed_slow(value: f64, digits: usize) -> String {
    let text = fixed(value, digits);
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

/// A fixed-decimal number with thousands separators: `10,523.8`. The site's script
/// (`templates/site/assets/core.js`) spells numbers with the same rules, ties included.
pub fn grouped(v: f64, decimals: usize) -> String {
    let text = fixed(v.abs(), decimals);
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    let is_zero = text.bytes().all(|b| b == b'0' || b == b'.');
    if v < 0.0 && !is_zero {
        out.insert(0, '-');
    }
    out
}

/// Decimals for three significant digits, between 0 and 4.
fn sig_decimals(v: f64) -> usize {
    if v == 0.0 {
        return 0;
    }
    (2.0 - v.abs().log10().floor()).clamp(0.0, 4.0) as usize
}

/// Names joined as prose: "a", "a and b", "a, b and c".
pub fn and_list(names: &[&str]) -> String {
    prose_list(names, "and")
}

/// Names as alternatives: "a", "a or b", "a, b or c" (what none of them has).
pub fn or_list(names: &[&str]) -> String {
    prose_list(names, "or")
}

fn prose_list(names: &[&str], conjunction: &str) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// A measured quantity on the site: three significant digits, thousands grouped
/// (`10,524`, `279`, `44.5`, `0.045`), or `N/A`.
pub fn sig(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "N/A".to_string(), |x| grouped(x, sig_decimals(x)))
}

/// At most `digits` decimals with thousands separators, trailing zeros dropped, or `N/A`.
pub fn grouped_trimmed(v: Option<f64>, digits: usize) -> String {
    let Some(x) = v.filter(|x| x.is_finite()) else {
        return "N/A".to_string();
    };
    let text = grouped(x, digits);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Dollars per hour: cents from $1 up, three significant digits below.
pub fn usd_per_hour(v: Option<f64>) -> String {
    match v.filter(|x| x.is_finite()) {
        Some(x) if x.abs() >= 1.0 => grouped(x, 2),
        other => sig(other),
    }
}

/// A load as the site spells it: `8 req/s`, `concurrency 16`, `unbounded load`.
pub fn site_load(load: Load) -> String {
    match (load, site_load_value(load)) {
        (Load::Rate(_), Some(v)) => format!("{v} req/s"),
        (Load::Concurrency(_), Some(v)) => format!("concurrency {v}"),
        _ => "unbounded load".to_string(),
    }
}

/// A load's number as [`site_load`] spells it, without its unit (`8`, `16`); none for an
/// unbounded load.
pub fn site_load_value(load: Load) -> Option<String> {
    match load {
        Load::Rate(r) => Some(grouped_trimmed(Some(r), 2)),
        Load::Concurrency(c) => Some(grouped_trimmed(Some(c), 1)),
        Load::Unbounded => None,
    }
}

/// A text key that sorts a server's versions by their numbers (`v0.5.3` before `v0.11.0`, and
/// `0.7.3` between them: the `v` does not count).
pub fn version_sort_key(server: &str, version: &str) -> String {
    let numbers: Vec<String> = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| format!("{s:0>12}"))
        .collect();
    format!("{} {}", natural_key(server), numbers.join("."))
}

/// A text key that sorts numbers inside text by value: `v0.5.3` before `v0.11.0`, a
/// 128-token workload before a 1024-token one.
pub fn natural_key(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            out.push_str(&format!("{digits:0>12}"));
            digits.clear();
        }
        if c != '\0' {
            out.push(c);
        }
    }
    out
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
    fn names_join_as_prose() {
        assert_eq!(and_list(&[]), "");
        assert_eq!(and_list(&["NTPOT"]), "NTPOT");
        assert_eq!(and_list(&["NTPOT", "ITL"]), "NTPOT and ITL");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
        assert_eq!(or_list(&["NTPOT", "ITL"]), "NTPOT or ITL");
    }

    #[test]
    fn fixed_spells_as_the_formatter_does() {
        // Random magnitudes, exact binary ties (k/2, k/20, k/200, k/2000), decimal near-ties
        // (1.45, 2.675), signs, zeros and non-finite values, against `format!` itself.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut values = vec![0.0, -0.0, -0.04, 1.45, 2.675, 0.125, 1e9, 1e12, f64::NAN];
        values.extend([f64::INFINITY, f64::NEG_INFINITY, 999_999_999.95, -2.5, 0.5]);
        for _ in 0..200_000 {
            let r = next();
            let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
            let magnitude = 10f64.powi((r % 14) as i32 - 4);
            let sign = if r & (1 << 10) == 0 { 1.0 } else { -1.0 };
            values.push(sign * unit * magnitude);
            let k = (r >> 20) % 100_000;
            values.push(k as f64 / [2.0, 20.0, 200.0, 2000.0][(r % 4) as usize]);
            values.push((k as f64 / 100.0) * 1.1);
        }
        for v in values {
            for d in 0..=4 {
                assert_eq!(fixed(v, d), format!("{v:.d$}"), "{v:e} with {d} decimals");
            }
        }
    }

    #[test]
    fn trimmed_spells_the_fixed_text_without_trailing_zeros() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut values = vec![0.0, -0.0, -0.04, 0.04, 1.45, 2.675, 1e9, -1e12, f64::NAN];
        values.extend([f64::INFINITY, -2.5, 0.5, 100.0, 163.6, 700.0, -0.96, 12.05]);
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let sign = if state & 1 == 0 { 1.0 } else { -1.0 };
            values.push(sign * unit * 10f64.powi((state % 12) as i32 - 3));
            values.push(((state >> 20) % 100_000) as f64 / 20.0);
        }
        // The reference is the formatter itself, trimmed: not `fixed`, whose fast path is the
        // same integer rounding as `push_trimmed`.
        let reference = |v: f64, d: usize| {
            let text = format!("{v:.d$}");
            let text = if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                text
            };
            if text == "-0" { "0".to_string() } else { text }
        };
        for v in values {
            for d in 0..=4 {
                assert_eq!(trimmed(v, d), reference(v, d), "{v:e} with {d} digits");
            }
        }
    }

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
        assert_eq!(sig(Some(10523.79)), "10,524");
        assert_eq!(sig(Some(279.4)), "279");
        assert_eq!(sig(Some(44.52)), "44.5");
        assert_eq!(sig(Some(0.0452)), "0.0452");
        assert_eq!(sig(Some(-1234.5)), "-1,234");
        assert_eq!(sig(Some(0.0)), "0");
        assert_eq!(grouped(1234567.0, 0), "1,234,567");
        assert_eq!(usd_per_hour(Some(3.35377)), "3.35");
        assert_eq!(usd_per_hour(Some(0.5123)), "0.512");
        assert_eq!(site_load(Load::Rate(8.0)), "8 req/s");
        assert_eq!(site_load(Load::Rate(94.571)), "94.57 req/s");
        assert!(natural_key("vllm v0.5.3") < natural_key("vllm v0.11.0"));
        assert!(version_sort_key("vllm", "v0.5.3") < version_sort_key("vllm", "0.7.3"));
        assert!(version_sort_key("vllm", "0.7.3") < version_sort_key("vllm", "v0.11.0"));
        assert!(natural_key("random 128/128") < natural_key("random 1024/128"));
        assert!(natural_key("sglang v0.4") < natural_key("vllm v0.1"));
    }
}
