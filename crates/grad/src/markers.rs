//! Identity ops that only change how gradients flow: `zero_grad`, `disconnected_grad`,
//! `undefined_grad` (Theano's `ZeroGrad`, `DisconnectedGrad`, `UndefinedGrad` view ops).
//!
//! They are `Op::Custom` nodes whose [`CustomOp::name`] is `"ZeroGrad"`,
//! `"DisconnectedGrad"` or `"UndefinedGrad"`: one input, one output of the same type.
//! **Every backend must evaluate them as the identity** (Theano's `ViewOp`: the output may
//! alias the input); the gradient code recognises them by that name, so an IR parser may
//! rebuild them with [`marker_op`].

use std::sync::{Arc, OnceLock};
use theano_ir::{ApplyRef, CustomOp, CustomRef, Op, TensorType, Variable};

/// Which gradient marker an op is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GradMarker {
    /// forward: identity; backward: a zero gradient (`zeros_like(g)`).
    ZeroGrad,
    /// forward: identity; backward: disconnected (the input does not depend on the cost).
    DisconnectedGrad,
    /// forward: identity; backward: undefined (taking the gradient is an error).
    UndefinedGrad,
}

impl GradMarker {
    pub const ALL: [GradMarker; 3] = [
        GradMarker::ZeroGrad,
        GradMarker::DisconnectedGrad,
        GradMarker::UndefinedGrad,
    ];
    /// The op name: `ZeroGrad`, `DisconnectedGrad`, `UndefinedGrad`.
    pub fn name(self) -> &'static str {
        match self {
            GradMarker::ZeroGrad => "ZeroGrad",
            GradMarker::DisconnectedGrad => "DisconnectedGrad",
            GradMarker::UndefinedGrad => "UndefinedGrad",
        }
    }
    /// The marker an op is, if any (matched by name).
    pub fn of(op: &Op) -> Option<GradMarker> {
        match op {
            Op::Custom(c) => {
                let n = c.0.name();
                GradMarker::ALL.into_iter().find(|m| m.name() == n)
            }
            _ => None,
        }
    }
}

#[derive(Debug)]
struct MarkerOp(GradMarker);

impl CustomOp for MarkerOp {
    fn name(&self) -> String {
        self.0.name().to_string()
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        match inputs {
            [t] => Ok(vec![*t]),
            _ => Err(format!(
                "{} takes exactly one input, got {}",
                self.0.name(),
                inputs.len()
            )),
        }
    }
    /// The markers are the identity on values; only their gradients differ.
    fn perform(
        &self,
        inputs: &[&theano_tensor::Tensor],
    ) -> Option<Result<Vec<theano_tensor::Tensor>, String>> {
        Some(match inputs {
            [t] => Ok(vec![(*t).clone()]),
            _ => Err(format!(
                "{} takes exactly one input, got {}",
                self.0.name(),
                inputs.len()
            )),
        })
    }
}

/// The shared `Op::Custom` instance of a marker (one per kind, so equal ops compare equal).
pub fn marker_op(m: GradMarker) -> Op {
    static OPS: OnceLock<[CustomRef; 3]> = OnceLock::new();
    let ops = OPS.get_or_init(|| {
        GradMarker::ALL.map(|m| CustomRef(Arc::new(MarkerOp(m)) as Arc<dyn CustomOp>))
    });
    let i = GradMarker::ALL.iter().position(|k| *k == m).unwrap_or(0);
    Op::Custom(ops[i].clone())
}

#[track_caller]
fn apply_marker(m: GradMarker, x: &Variable) -> Variable {
    // A one-input identity never fails type inference.
    ApplyRef::create(
        marker_op(m),
        vec![x.clone()],
        std::panic::Location::caller(),
    )
    .map(|n| n.output(0))
    .unwrap_or_else(|e| panic!("theano-grad internal error: {e}"))
}

/// `x` unchanged, but its gradient is truncated to zero (Theano's `zero_grad`).
#[track_caller]
pub fn zero_grad(x: &Variable) -> Variable {
    apply_marker(GradMarker::ZeroGrad, x)
}

/// `x` unchanged, but gradients do not flow through it at all: what depends on the cost only
/// through it is disconnected (Theano's `disconnected_grad`).
#[track_caller]
pub fn disconnected_grad(x: &Variable) -> Variable {
    apply_marker(GradMarker::DisconnectedGrad, x)
}

/// `x` unchanged, but taking a gradient through it is an error (Theano's `undefined_grad`).
#[track_caller]
pub fn undefined_grad(x: &Variable) -> Variable {
    apply_marker(GradMarker::UndefinedGrad, x)
}
