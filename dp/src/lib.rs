//! Differential privacy for safetally: the only crate that depends on OpenDP. Counts get
//! discrete Gaussian noise from OpenDP (zero-concentrated DP, OpenSSL randomness), with the
//! budget rho that a noise scale spends for a given L2 sensitivity.

mod noise;

pub use noise::{DpError, noisy_counts, rho_for_scale, scale_for_rho};
pub mod suppress;
