//! Theano 1.0.5's `nnet.sigmoid_binary_crossentropy(output, target)`: an `OpFromGraph` named
//! `sigmoid_binary_crossentropy` (`inline=True`) over `softplus(-abs(output)) + output *
//! ((output > 0) - target)`, with the gradient overridden to `g * (sigmoid(output) - target)`
//! and `g * -output` (the inner graph's own gradient is `-target` at `output == 0`).
//!
//! There is no `OpFromGraph` here, so it is a [`CustomOp`] with the same name, parameters,
//! types, values and gradient: it prints as Theano's does (`sigmoid_binary_crossentropy{
//! inline=True}(x, t)`), and, as Theano's, the optimizer inlines it (theano-opt's
//! `inline_sigmoid_binary_crossentropy` writes out the inner graph, which fuses into one
//! elementwise kernel); a graph run unoptimized computes it through the interpreter (its
//! `perform`).

use crate::op::{register_custom_op, CustomOp, CustomRef, Op};
use crate::scalar::ScalarOp;
use crate::tensor as T;
use crate::types::TensorType;
use crate::var::Variable;
use std::sync::{Arc, OnceLock};
use theano_tensor::ndarray::{ArrayD, IxDyn};
use theano_tensor::{broadcast_shapes, DType, Element, Tensor};

pub(crate) const NAME: &str = "sigmoid_binary_crossentropy";

#[derive(Debug)]
struct SigmoidXent;

/// The inner graph's output dtype for these input dtypes, as Theano 1.0's builders give it
/// (a bool target is refused: numpy has no boolean subtract).
fn out_dtype(o: DType, t: DType) -> Result<DType, String> {
    if t.is_bool() {
        return Err(
            "numpy boolean subtract, the `-` operator, is not supported (target is bool)".into(),
        );
    }
    let sp = ScalarOp::Softplus.out_dtype(&[o])?;
    let diff = ScalarOp::Sub.out_dtype(&[DType::Bool, t])?;
    let m = ScalarOp::Mul.out_dtype(&[o, diff])?;
    ScalarOp::Add.out_dtype(&[sp, m])
}

impl CustomOp for SigmoidXent {
    fn name(&self) -> String {
        NAME.into()
    }
    fn params(&self) -> String {
        "inline=True".into()
    }
    fn infer_types(&self, inputs: &[TensorType]) -> Result<Vec<TensorType>, String> {
        let [o, t] = inputs else {
            return Err(format!("{NAME} takes 2 inputs, got {}", inputs.len()));
        };
        if o.ndim() != t.ndim() {
            return Err(format!(
                "{NAME}'s inputs have the same number of dimensions, got {o} and {t}"
            ));
        }
        let d = out_dtype(o.dtype, t.dtype)?;
        let b: Vec<bool> = (0..o.ndim())
            .map(|i| o.is_broadcastable(i) && t.is_broadcastable(i))
            .collect();
        Ok(vec![TensorType::new(d, &b).map_err(|e| e.to_string())?])
    }
    fn grad(
        &self,
        inputs: &[Variable],
        outputs: &[Variable],
        output_grads: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        let (o, t, out) = (&inputs[0], &inputs[1], &outputs[0]);
        let Some(g) = output_grads.first().cloned().flatten() else {
            return Some(Ok(vec![None, None]));
        };
        let go = &g * (T::sigmoid(o) - t);
        let gt = &g * T::neg(o);
        Some(
            [(go, o), (gt, t)]
                .into_iter()
                .map(|(gr, x)| sum_to(gr, x, out).map(Some))
                .collect(),
        )
    }
    fn rop(
        &self,
        inputs: &[Variable],
        _outputs: &[Variable],
        eval_points: &[Option<Variable>],
    ) -> Option<Result<Vec<Option<Variable>>, String>> {
        let (o, t) = (&inputs[0], &inputs[1]);
        let terms: Vec<Variable> = [
            eval_points[0].as_ref().map(|e| (T::sigmoid(o) - t) * e),
            eval_points[1].as_ref().map(|e| T::neg(o) * e),
        ]
        .into_iter()
        .flatten()
        .collect();
        Some(Ok(vec![terms.into_iter().reduce(|a, b| a + b)]))
    }
    fn infer_shape(&self, input_ndims: &[usize]) -> Option<Vec<Vec<crate::op::ShapeDim>>> {
        let _ = input_ndims;
        // broadcasting picks either input's length per dimension: left to the values
        None
    }
    fn perform(&self, inputs: &[&Tensor]) -> Option<Result<Vec<Tensor>, String>> {
        Some(perform(inputs))
    }
}

/// The gradient `g` of an output of `out`'s type summed over the dimensions `x` broadcasts.
fn sum_to(g: Variable, x: &Variable, out: &Variable) -> Result<Variable, String> {
    let axes: Vec<isize> = (0..x.ndim())
        .filter(|&i| x.ty().is_broadcastable(i) && !out.ty().is_broadcastable(i))
        .map(|i| i as isize)
        .collect();
    if axes.is_empty() {
        return Ok(g);
    }
    T::sum_axes(&g, Some(&axes), true).map_err(|e| e.to_string())
}

fn perform(inputs: &[&Tensor]) -> Result<Vec<Tensor>, String> {
    let [o, t] = inputs else {
        return Err(format!("{NAME} takes 2 inputs, got {}", inputs.len()));
    };
    let d = out_dtype(o.dtype(), t.dtype())?;
    let shape = broadcast_shapes(o.shape(), t.shape()).ok_or_else(|| {
        format!(
            "shape mismatch: cannot broadcast {:?} with {:?}",
            o.shape(),
            t.shape()
        )
    })?;
    let of = o.cast(DType::Float64);
    let tf = t.cast(DType::Float64);
    let (of, tf) = (
        f64::array_of(&of).ok_or("float64")?,
        f64::array_of(&tf).ok_or("float64")?,
    );
    let (ob, tb) = (
        of.broadcast(IxDyn(&shape)).ok_or("broadcast")?,
        tf.broadcast(IxDyn(&shape)).ok_or("broadcast")?,
    );
    let mut r = ArrayD::<f64>::zeros(IxDyn(&shape));
    theano_tensor::ndarray::Zip::from(&mut r)
        .and(&ob)
        .and(&tb)
        .for_each(|r, &x, &t| {
            let pos = if x > 0.0 { 1.0 } else { 0.0 };
            *r = (-x.abs()).exp().ln_1p() + x * (pos - t);
        });
    Ok(vec![f64::into_tensor(r).cast(d)])
}

/// Whether `op` is `sigmoid_binary_crossentropy{inline=True}` (the optimizer inlines it, as
/// Theano inlines its `OpFromGraph`).
pub fn is_sigmoid_binary_crossentropy(op: &Op) -> bool {
    matches!(op, Op::Custom(_)) && *op == self::op()
}

/// The shared op (one instance, so equal nodes merge), its text form registered for the IR
/// parser.
pub(crate) fn op() -> Op {
    static OP: OnceLock<CustomRef> = OnceLock::new();
    let c = OP.get_or_init(|| {
        register_custom_op(NAME, |params| {
            if params == "inline=True" {
                Ok(OP.get().expect("initialised").0.clone())
            } else {
                Err(format!(
                    "{NAME} takes the parameters inline=True, got {params:?}"
                ))
            }
        });
        CustomRef(Arc::new(SigmoidXent) as Arc<dyn CustomOp>)
    });
    Op::Custom(c.clone())
}
