//! theano-grad: automatic differentiation for theano-rs.
mod build;
mod core;
mod error;
pub mod markers;
mod rop;
mod rules;
mod verify;

pub use crate::core::{grad, grad1, grad_with, lop, lop_with, DisconnectedInputs, GradOptions};
pub use error::{GradError, VerifyGradError};
pub use markers::{disconnected_grad, undefined_grad, zero_grad, GradMarker};
pub use rop::{hessian, jacobian, rop};
pub use verify::{verify_grad, Evaluator, Rng, VerifyGradOptions};
