//! Cost per million tokens (SPEC §5). With `p` the machine's price per second and `r` the
//! output-to-input cost ratio: `$/output token = p / (input_tokens_per_s / r + output_tokens_per_s)`
//! and `$/input token = $/output token / r`, so input plus output spend is exactly the machine's
//! cost per second.

/// The Quickstart's default output-to-input cost ratio.
pub const DEFAULT_OUTPUT_INPUT_COST_RATIO: f64 = 4.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenCost {
    pub usd_per_million_input: f64,
    pub usd_per_million_output: f64,
}

/// Cost per million tokens at a throughput, or `None` when it cannot be computed (no input
/// throughput, nothing produced, non-positive ratio).
pub fn cost_per_million(
    usd_per_hour: f64,
    input_tokens_per_s: Option<f64>,
    output_tokens_per_s: f64,
    ratio: f64,
) -> Option<TokenCost> {
    let input = input_tokens_per_s?;
    let weighted = input / ratio + output_tokens_per_s;
    if !(ratio > 0.0 && weighted > 0.0 && usd_per_hour.is_finite()) {
        return None;
    }
    let per_output = usd_per_hour / 3600.0 / weighted;
    Some(TokenCost {
        usd_per_million_input: per_output / ratio * 1e6,
        usd_per_million_output: per_output * 1e6,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_from_the_spec() {
        let c = cost_per_million(3.0, Some(4000.0), 1000.0, 4.0).unwrap();
        assert_eq!(format!("{:.3}", c.usd_per_million_output), "0.417");
        assert_eq!(format!("{:.3}", c.usd_per_million_input), "0.104");
        // Input + output spend per second equals the machine's price per second.
        let spend = (4000.0 * c.usd_per_million_input + 1000.0 * c.usd_per_million_output) / 1e6;
        assert!((spend - 3.0 / 3600.0).abs() < 1e-15);
    }

    #[test]
    fn unknowns_give_no_cost_rather_than_zero() {
        assert_eq!(cost_per_million(3.0, None, 1000.0, 4.0), None);
        assert_eq!(cost_per_million(3.0, Some(0.0), 0.0, 4.0), None);
        assert_eq!(cost_per_million(3.0, Some(1.0), 1.0, 0.0), None);
    }
}
