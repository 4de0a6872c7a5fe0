//! Discrete Gaussian noise on integer count vectors, drawn by OpenDP, and the zCDP
//! arithmetic that links the noise scale, the L2 sensitivity and the budget rho.

use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_gaussian;
use opendp::measures::ZeroConcentratedDivergence;
use opendp::metrics::L2Distance;

#[derive(Debug, thiserror::Error)]
pub enum DpError {
    /// Two parameters, by name and value, that must both be positive.
    #[error("invalid privacy parameter: {} {} and {} {} must be positive", .first.0, .first.1, .second.0, .second.1)]
    NotPositive {
        first: (&'static str, f64),
        second: (&'static str, f64),
    },
    /// OpenDP's error kind and its message (its own `Display` prints the kind alone).
    #[error("OpenDP refused: {variant}{}", .message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    OpenDp {
        variant: opendp::error::ErrorVariant,
        message: Option<String>,
    },
}

/// The rho that discrete Gaussian noise of `scale` spends on a query of L2 sensitivity
/// `sensitivity`: rho = sensitivity^2 / (2 scale^2) (Canonne, Kamath and Steinke 2020).
pub fn rho_for_scale(sensitivity: f64, scale: f64) -> Result<f64, DpError> {
    if !(sensitivity > 0.0 && scale > 0.0 && sensitivity.is_finite() && scale.is_finite()) {
        return Err(DpError::NotPositive {
            first: ("sensitivity", sensitivity),
            second: ("scale", scale),
        });
    }
    Ok(sensitivity * sensitivity / (2.0 * scale * scale))
}

/// The smallest scale that keeps a query of L2 sensitivity `sensitivity` within `rho`.
pub fn scale_for_rho(sensitivity: f64, rho: f64) -> Result<f64, DpError> {
    if !(sensitivity > 0.0 && rho > 0.0 && sensitivity.is_finite() && rho.is_finite()) {
        return Err(DpError::NotPositive {
            first: ("sensitivity", sensitivity),
            second: ("rho", rho),
        });
    }
    Ok(sensitivity / (2.0 * rho).sqrt())
}

/// Adds discrete Gaussian noise of `scale` to every count, using OpenDP's sampler, and
/// returns the noisy counts with the rho OpenDP's own privacy map states for an L2
/// sensitivity `sensitivity` (one person moves the vector at most that far in L2).
pub fn noisy_counts(counts: &[i64], scale: f64, sensitivity: f64) -> Result<(Vec<i64>, f64), DpError> {
    let m = Gaussian::new(scale)?;
    let noisy = m.draw(counts)?;
    Ok((noisy, m.rho(sensitivity)?))
}

/// OpenDP's discrete Gaussian measurement on integer vectors, built once and invoked many
/// times (a release draws once per table; the privacy tests draw thousands of releases).
pub struct Gaussian {
    m: opendp::core::Measurement<
        VectorDomain<AtomDomain<i64>>,
        L2Distance<f64>,
        ZeroConcentratedDivergence,
        Vec<i64>,
    >,
}

impl Gaussian {
    pub fn new(scale: f64) -> Result<Self, DpError> {
        let m = make_gaussian::<_, _, ZeroConcentratedDivergence>(
            VectorDomain::new(AtomDomain::<i64>::default()),
            L2Distance::<f64>::default(),
            scale,
            None,
        )
        .map_err(err)?;
        Ok(Gaussian { m })
    }

    pub fn draw(&self, counts: &[i64]) -> Result<Vec<i64>, DpError> {
        self.m.invoke(&counts.to_vec()).map_err(err)
    }

    /// The rho OpenDP's privacy map states for this L2 sensitivity.
    pub fn rho(&self, sensitivity: f64) -> Result<f64, DpError> {
        self.m.map(&sensitivity).map_err(err)
    }
}

fn err(e: opendp::error::Error) -> DpError {
    DpError::OpenDp {
        variant: e.variant,
        message: e.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OpenDP's own `Display` prints the error's kind alone: its message is kept beside it.
    #[test]
    fn errors_say_which_parameter_and_what_opendp_said() {
        let e = scale_for_rho(1.0, -0.5).expect_err("negative rho");
        assert_eq!(
            e.to_string(),
            "invalid privacy parameter: sensitivity 1 and rho -0.5 must be positive"
        );
        let e = Gaussian::new(-1.0).err().expect("a negative scale is refused");
        let text = e.to_string();
        let DpError::OpenDp { message, .. } = &e else {
            panic!("{text}");
        };
        let message = message.as_deref().expect("OpenDP says why");
        assert!(!message.is_empty() && text.ends_with(message), "{text}");
        assert!(text.starts_with("OpenDP refused: MakeMeasurement: "), "{text}");
    }

    #[test]
    fn scale_and_rho_are_inverse() {
        let s = scale_for_rho(2f64.sqrt(), 0.05).expect("valid");
        let r = rho_for_scale(2f64.sqrt(), s).expect("valid");
        assert!((r - 0.05).abs() < 1e-12);
        assert!(scale_for_rho(1.0, 0.0).is_err());
    }

    #[test]
    fn opendp_map_agrees_with_the_formula_and_noise_has_the_stated_variance() {
        let scale = 3.0;
        let zeros = vec![0i64; 20_000];
        let (noisy, rho) = noisy_counts(&zeros, scale, 1.0).expect("noise");
        assert!(
            rho >= rho_for_scale(1.0, scale).expect("rho") * 0.999,
            "OpenDP's map is at least the formula"
        );
        let n = noisy.len() as f64;
        let var = noisy.iter().map(|&x| (x * x) as f64).sum::<f64>() / n;
        // The variance estimate's standard error is about var * sqrt(2/n) ~ 0.09 here; 5 of them.
        let tolerance = 5.0 * scale * scale * (2.0 / n).sqrt();
        assert!(
            (var - scale * scale).abs() < tolerance,
            "variance {var} for scale {scale}"
        );
        // The same check rejects a scale 30% off.
        let wrong = 1.3 * scale;
        assert!((var - wrong * wrong).abs() > 5.0 * wrong * wrong * (2.0 / n).sqrt());
    }
}
