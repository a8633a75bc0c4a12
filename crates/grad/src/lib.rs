//! theano-grad: automatic differentiation for theano-rs.
mod build;
mod core;
mod error;
pub mod markers;
mod rules;

pub use crate::core::{grad, grad1, grad_with, lop, lop_with, DisconnectedInputs, GradOptions};
pub use error::{GradError, VerifyGradError};
pub use markers::{disconnected_grad, undefined_grad, zero_grad, GradMarker};
