//! theano-grad: automatic differentiation for theano-rs, as Theano 1.0's `theano.gradient`.
//!
//! - [`grad`] / [`grad1`] / [`grad_with`]: reverse mode. The cost's gradient is seeded with
//!   `fill(cost, 1.0)`; each op's rule (Theano's `L_op`, in `rules.rs`) gives one term per
//!   input; terms of a variable used several times are added in the order of its uses, so
//!   `pp(grad(x ** 2, x))` is exactly Theano's
//!   `((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * TensorConstant{2}) * (x ** (TensorConstant{2} - TensorConstant{1})))`.
//!   Options ([`GradOptions`]): `consider_constant`, `disconnected_inputs`
//!   (raise / warn / ignore), `known_grads`, `add_names` (`(dcost/dw)`).
//! - [`lop`] (vector-Jacobian), [`rop`] (Jacobian-vector), [`jacobian`] and [`hessian`] (for
//!   an expression of a length the caller gives: there is no `scan` yet).
//! - [`zero_grad`], [`disconnected_grad`], [`undefined_grad`]: identity ops for the forward
//!   pass (`Op::Custom` named `ZeroGrad`, `DisconnectedGrad`, `UndefinedGrad`; backends must
//!   evaluate them as the identity) that change how gradients flow.
//! - [`verify_grad`]: finite differences along a random projection, over any evaluator.
//!
//! Gradients of a float variable have its exact type (dtype and broadcastable pattern); an
//! integer or bool variable gets float zeros. Graph walks are iterative: deep graphs do not
//! overflow the stack.
mod build;
mod core;
mod error;
pub mod markers;
mod rop;
mod rules;
mod verify;

pub use crate::core::{grad, grad1, grad_with, lop, lop_with, DisconnectedInputs, GradOptions};
pub use error::{GradError, VerifyGradError};
pub use markers::{
    disconnected_grad, grad_clip, grad_scale, undefined_grad, zero_grad, GradMarker,
};
pub use rop::{hessian, jacobian, rop};
pub use verify::{verify_grad, Evaluator, Rng, VerifyGradOptions};
