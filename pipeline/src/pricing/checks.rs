//! The rules a catalog price must pass before it is used (`shared/pricing/README.md`, "Known
//! data problems").

/// The catalog's "no price" placeholder for TPU v6e in regions without a price.
pub const SENTINEL_PRICE: f64 = 700.0;

/// Checks one price cell; `Err` says why it cannot be used.
pub fn usable(price: Option<f64>) -> Result<f64, String> {
    match price {
        None => Err("no price in the catalog".into()),
        Some(p) if !p.is_finite() || p < 0.0 => Err(format!("invalid price {p}")),
        Some(0.0) => Err("price is 0 (no price known)".into()),
        Some(p) if p == SENTINEL_PRICE => {
            Err(format!("price {p} is the catalog's 'no price' sentinel"))
        }
        Some(p) => Ok(p),
    }
}

/// An on-demand price below the same row's spot price means one of them is wrong; neither is used.
pub fn on_demand_below_spot(on_demand: Option<f64>, spot: Option<f64>) -> Option<String> {
    match (on_demand, spot) {
        (Some(o), Some(s)) if o > 0.0 && s > 0.0 && o < s => {
            Some(format!("on-demand price {o} is below the spot price {s}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faulty_prices_are_refused() {
        assert!(usable(Some(0.0)).unwrap_err().contains("0"));
        assert!(usable(None).is_err());
        assert!(usable(Some(700.0)).unwrap_err().contains("sentinel"));
        assert!(usable(Some(-1.0)).is_err());
        assert_eq!(usable(Some(2.5)), Ok(2.5));
        assert!(on_demand_below_spot(Some(1.8462), Some(1.964)).is_some());
        assert!(on_demand_below_spot(Some(4.0), Some(1.0)).is_none());
    }
}
