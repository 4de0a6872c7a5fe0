//! The privacy budget: zCDP rho per report year, split across tables by declared weights, its
//! conversion to (epsilon, delta), and the plan (scale and interval per table) before spending.

/// The 95% two-sided normal quantile; discrete Gaussian noise of scale s is within
/// 1.96 s of zero about 95% of the time.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Epsilon at `delta` implied by rho-zCDP (Bun and Steinke 2016, Proposition 1.3).
pub fn epsilon_for(rho: f64, delta: f64) -> f64 {
    if rho <= 0.0 {
        return 0.0;
    }
    rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt()
}

/// Group privacy: a person split into `c` clusters by linkage misses is protected at
/// rho times c squared.
pub fn group_rho(rho: f64, c: u32) -> f64 {
    // In f64: c * c in u32 wraps above 65 535 and would state a guarantee far too strong.
    rho * f64::from(c) * f64::from(c)
}

/// One table's share of a release.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TablePlan {
    pub id: String,
    pub weight: f64,
    pub rho: f64,
    /// L2 sensitivity of the measured vector (1 single-valued, sqrt(m + 2) multi-valued).
    pub sensitivity: f64,
    pub scale: f64,
    /// Half-width of the 95% interval of one measured cell.
    pub half_width_95: f64,
}

/// Splits `rho` across tables `(id, weight, sensitivity)` in proportion to their weights.
pub fn plan(rho: f64, tables: &[(String, f64, f64)]) -> Result<Vec<TablePlan>, crate::DpError> {
    let total: f64 = tables.iter().map(|t| t.1).sum();
    if !(rho > 0.0 && total > 0.0) {
        return Err(crate::DpError::NotPositive {
            first: ("rho", rho),
            second: ("the sum of weights", total),
        });
    }
    tables
        .iter()
        .map(|(id, w, sens)| {
            let r = rho * w / total;
            let scale = crate::scale_for_rho(*sens, r)?;
            Ok(TablePlan {
                id: id.clone(),
                weight: *w,
                rho: r,
                sensitivity: *sens,
                scale,
                half_width_95: Z95 * scale,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A group of 65 536 squared is 2^32, which wrapped to 0 in u32: the guarantee read as
    /// rho 0, the strongest there is, for the weakest.
    #[test]
    fn group_privacy_grows_with_the_square_of_the_group_whatever_its_size() {
        assert_eq!(group_rho(0.5, 3), 4.5);
        assert_eq!(group_rho(1.0, 65_536), 4_294_967_296.0);
        assert!(group_rho(1.0, u32::MAX) > 1e19);
    }

    #[test]
    fn shares_add_up_and_follow_weights() {
        let t = vec![("A".to_string(), 1.0, 1.0), ("B".to_string(), 3.0, 2f64.sqrt())];
        let p = plan(0.4, &t).expect("plan");
        assert!((p[0].rho + p[1].rho - 0.4).abs() < 1e-12);
        assert!((p[1].rho / p[0].rho - 3.0).abs() < 1e-12);
        assert!((p[0].scale - 1.0 / (2.0 * 0.1f64).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn epsilon_grows_with_rho_and_shrinks_with_delta() {
        assert!(epsilon_for(0.5, 1e-6) > epsilon_for(0.1, 1e-6));
        assert!(epsilon_for(0.5, 1e-3) < epsilon_for(0.5, 1e-6));
        assert!((epsilon_for(0.5, 1e-6) - (0.5 + 2.0 * (0.5 * 1e6f64.ln()).sqrt())).abs() < 1e-12);
    }
}
