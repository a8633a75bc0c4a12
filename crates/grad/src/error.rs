//! Errors of gradient construction and of numeric gradient checks.

use theano_ir::{GraphError, TensorType};

/// Why a gradient (or an R-op, Jacobian, Hessian) could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GradError {
    /// `grad` differentiates a scalar; `cost` had this type.
    #[error("cost must be a scalar (0-dimensional) tensor, got a cost of type {ty}")]
    NonScalarCost { ty: TensorType },
    /// `disconnected_inputs = Raise` and `var` does not influence the cost (Theano's
    /// `DisconnectedInputError`).
    #[error(
        "grad method was asked to compute the gradient with respect to a variable that is not \
         part of the computational graph of the cost, or is used only by a non-differentiable \
         operator: {var} (type {ty})"
    )]
    Disconnected { var: String, ty: TensorType },
    /// `rop` was asked for an output that does not depend on any `wrt`.
    #[error(
        "Rop method was asked to compute the gradient with respect to a variable that is not \
         part of the computational graph of variables in wrt, or is used only by a \
         non-differentiable operator: {var} (type {ty})"
    )]
    RopDisconnected { var: String, ty: TensorType },
    /// The gradient is mathematically undefined (Theano's `NullTypeGradError`).
    #[error("grad encountered an undefined gradient for {var}: {why}")]
    Undefined { var: String, why: String },
    /// No gradient rule for this op.
    #[error("the gradient of op {op} is not implemented ({why})")]
    NotImplemented { op: String, why: String },
    /// Bad arguments: mismatched lengths, a non-float known gradient, wrong ndim...
    #[error("{0}")]
    Invalid(String),
    /// A node of the gradient graph could not be built (a bug in a rule, or bad user input).
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Why `verify_grad` failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyGradError {
    /// The symbolic gradient could not be built.
    #[error("building the symbolic gradient failed: {0}")]
    Grad(#[from] GradError),
    /// The evaluator refused a graph.
    #[error("evaluating {what} failed: {message}")]
    Eval { what: String, message: String },
    /// Bad arguments.
    #[error("{0}")]
    Invalid(String),
    /// The analytic and numeric gradients disagree.
    #[error(
        "gradient mismatch for input {input} (type {ty}) at flat index {index} {position:?}: \
         analytic {analytic:e}, numeric {numeric:e} (abs error {abs_err:e} > {abs_tol:e} and rel \
         error {rel_err:e} > {rel_tol:e}; {n_bad} of {n_total} elements out of tolerance)"
    )]
    Mismatch {
        input: usize,
        ty: TensorType,
        index: usize,
        position: Vec<usize>,
        analytic: f64,
        numeric: f64,
        abs_err: f64,
        rel_err: f64,
        abs_tol: f64,
        rel_tol: f64,
        n_bad: usize,
        n_total: usize,
    },
}
