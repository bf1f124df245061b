//! Replica sizing (SPEC §5): for an expected request rate, replicas = ceil(rate × 1.2 /
//! per-replica request rate at the operating point). This sets the Deployment's initial replicas.

use crate::point::MeasuredPoint;

/// Headroom over the expected rate.
pub const SIZING_HEADROOM: f64 = 1.2;

/// Replicas needed for `expected_qps`, or `None` if the point's rate is unknown or zero.
pub fn replicas_for(expected_qps: f64, op: &MeasuredPoint) -> Option<u32> {
    let per_replica = op.request_rate().filter(|r| *r > 0.0)?;
    if !(expected_qps.is_finite() && expected_qps >= 0.0) {
        return None;
    }
    let n = (expected_qps * SIZING_HEADROOM / per_replica).ceil();
    Some((n as u32).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::Load;

    #[test]
    fn ceil_with_headroom() {
        let mut p = MeasuredPoint::new(Load::Rate(10.0), 640.0);
        p.set_requests_per_s(Some(9.5));
        // 100 × 1.2 / 9.5 = 12.6 → 13.
        assert_eq!(replicas_for(100.0, &p), Some(13));
        assert_eq!(replicas_for(0.0, &p), Some(1));
        p.set_requests_per_s(None);
        assert_eq!(replicas_for(100.0, &p), Some(12));
        let unbounded = MeasuredPoint::new(Load::Unbounded, 1.0);
        assert_eq!(replicas_for(1.0, &unbounded), None);
    }
}
