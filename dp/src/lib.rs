//! Differential privacy for safetally: the only crate that depends on OpenDP. Counts get
//! discrete Gaussian noise from OpenDP (zero-concentrated DP, OpenSSL randomness), with the
//! budget rho that a noise scale spends for a given L2 sensitivity.

pub mod budget;
pub mod ledger;
mod noise;
pub mod postprocess;
pub mod register;
pub mod repair;

pub use noise::{DpError, Gaussian, noisy_counts, rho_for_scale, scale_for_rho};
pub mod suppress;
pub mod synth;
