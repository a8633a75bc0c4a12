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

/// Theano's `GradClip(lower, upper)` and `GradScale(multiplier)`: the identity on values,
/// whose gradients are the incoming gradient clipped to `[lower, upper]` or multiplied by
/// `multiplier`. Their names print as Theano's (`GradClip`, `GradScale`: the parameters
/// are not among Theano's `__props__`); the IR text form carries them (`text_params`).
#[derive(Debug)]
enum Shaping {
    Clip { lower: f64, upper: f64 },
    Scale { multiplier: f64 },
}

#[derive(Debug)]
struct ShapingOp(Shaping);

impl CustomOp for ShapingOp {
    fn name(&self) -> String {
        match self.0 {
            Shaping::Clip { .. } => "GradClip".into(),
            Shaping::Scale { .. } => "GradScale".into(),
        }
    }
    fn text_params(&self) -> Option<String> {
        Some(match self.0 {
            Shaping::Clip { lower, upper } => format!("lower={lower:?}, upper={upper:?}"),
            Shaping::Scale { multiplier } => format!("multiplier={multiplier:?}"),
        })
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        match inputs {
            [t] => Ok(vec![*t]),
            _ => Err(format!(
                "{} takes exactly one input, got {}",
                self.name(),
                inputs.len()
            )),
        }
    }
    fn grad(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        let g = output_grads[0].as_ref().map(|g| match self.0 {
            Shaping::Clip { lower, upper } => theano_ir::tensor::clip(g, lower, upper),
            Shaping::Scale { multiplier } => theano_ir::tensor::mul(multiplier, g),
        });
        Some(Ok(vec![g]))
    }
    fn rop(
        &self,
        _inputs: &[Variable],
        _outputs: &[Variable],
        eval_points: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        Some(Ok(vec![eval_points[0].clone()]))
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<theano_ir::ShapeDim>>> {
        Some(vec![theano_ir::ShapeDim::all_of(0, input_ndims[0])])
    }
    fn perform(
        &self,
        inputs: &[&theano_tensor::Tensor],
    ) -> Option<Result<Vec<theano_tensor::Tensor>, String>> {
        Some(Ok(vec![inputs[0].clone()]))
    }
}

/// `lower <= upper` (false when either is NaN, as Theano's assert).
fn bounds_ordered(lower: f64, upper: f64) -> bool {
    matches!(
        lower.partial_cmp(&upper),
        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
    )
}

fn parse_shaping(name: &str, params: &str) -> Result<Arc<dyn CustomOp>, String> {
    let p = theano_ir::params::Params::parse(name, params)?;
    let num = |k: &str| -> Result<f64, String> {
        let v = p.float(k)?;
        v.ok_or_else(|| format!("{name} needs {k}=<number>"))
    };
    let s = match name {
        "GradClip" => {
            p.only(&["lower", "upper"])?;
            let (lower, upper) = (num("lower")?, num("upper")?);
            if !bounds_ordered(lower, upper) {
                return Err(format!("GradClip: upper {upper} is below lower {lower}"));
            }
            Shaping::Clip { lower, upper }
        }
        _ => {
            p.only(&["multiplier"])?;
            Shaping::Scale {
                multiplier: num("multiplier")?,
            }
        }
    };
    Ok(Arc::new(ShapingOp(s)))
}

/// Registers the text parsers of `GradClip` and `GradScale`. Idempotent.
pub fn register_ops() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        theano_ir::register_custom_op("GradClip", parse_shaping);
        theano_ir::register_custom_op("GradScale", parse_shaping);
    });
}

#[track_caller]
fn apply_shaping(s: Shaping, x: &Variable) -> Variable {
    register_ops();
    ApplyRef::create(
        Op::Custom(CustomRef(Arc::new(ShapingOp(s)))),
        vec![x.clone()],
        std::panic::Location::caller(),
    )
    .map(|n| n.output(0))
    .unwrap_or_else(|e| panic!("theano-grad internal error: {e}"))
}

/// `x` unchanged, but the gradient through it is clipped to `[lower, upper]` (Theano's
/// `grad_clip`); `upper` below `lower` is refused.
#[track_caller]
pub fn grad_clip(x: &Variable, lower: f64, upper: f64) -> Result<Variable, crate::GradError> {
    if !bounds_ordered(lower, upper) {
        return Err(crate::GradError::Invalid(format!(
            "grad_clip: the upper bound {upper} is below the lower bound {lower}"
        )));
    }
    Ok(apply_shaping(Shaping::Clip { lower, upper }, x))
}

/// `x` unchanged, but the gradient through it is multiplied by `multiplier` (Theano's
/// `grad_scale`).
#[track_caller]
pub fn grad_scale(x: &Variable, multiplier: f64) -> Variable {
    apply_shaping(Shaping::Scale { multiplier }, x)
}
