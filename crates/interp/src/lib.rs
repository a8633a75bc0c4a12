//! theano-interp: the reference interpreter of theano-rs, the oracle every backend and every
//! rewrite is checked against.
//!
//! [`perform`] computes one op on concrete [`Tensor`]s with numpy's semantics: broadcasting,
//! dtype promotion and casting, integer wrapping and floor division, NaN propagation, Python
//! slicing, integer-array indexing. It never panics: every refusal is a [`PerformError`]
//! naming the op and the shapes or values involved.
//!
//! Layout: one module per op family ([`elemwise`], [`reduce`], [`linalg`], [`shape`],
//! [`index`], [`matrix`]); each dispatches on the dtype once and runs a generic loop over [`Num`].
//! Outputs are always new arrays (in-place flags are ignored: the oracle never aliases).

mod blas;
mod composite;
pub mod conv;
pub mod cumsort;
mod elemwise;
mod error;
pub mod eval;
mod index;
mod linalg;
mod matrix;
mod nnet;
mod num;
pub mod pool;
mod reduce;
mod shape;
pub mod special;
mod util;

pub use error::PerformError;
pub use linalg::MatMul;
pub use num::{conv, Num};
pub use util::py_shape;

use error::R;
use theano_ir::{Op, TensorType, MAX_NDIM};
use theano_tensor::Tensor;

/// Compute the outputs of `op` applied to `inputs`.
///
/// `out_types` are the node's output types (their dtypes decide the output dtypes and every
/// dimension they declare broadcastable must have length 1); pass `&[]` to infer them from the
/// inputs with [`Op::infer_types`].
pub fn perform(
    op: &Op,
    inputs: &[&Tensor],
    out_types: &[TensorType],
) -> Result<Vec<Tensor>, PerformError> {
    perform_inner(op, inputs, out_types).map_err(|e| e.with_op(op.name()))
}

/// The type of a value as the interpreter sees it: a dimension of length 1 is broadcastable.
pub fn value_type(t: &Tensor) -> Result<TensorType, PerformError> {
    let b: Vec<bool> = t.shape().iter().map(|&d| d == 1).collect();
    TensorType::new(t.dtype(), &b).map_err(|e| {
        PerformError::input(format!(
            "arrays have at most {MAX_NDIM} dimensions, got {}",
            e.ndim
        ))
    })
}

fn perform_inner(op: &Op, ins: &[&Tensor], out_types: &[TensorType]) -> R<Vec<Tensor>> {
    let inferred;
    let out_types = if out_types.is_empty() {
        if let Op::Elemwise { scalar, .. } = op {
            // numpy broadcasting also pads unequal ndims on the left
            let dtypes: Vec<_> = ins.iter().map(|t| t.dtype()).collect();
            let d = scalar.out_dtype(&dtypes).map_err(PerformError::input)?;
            let nd = ins.iter().map(|t| t.ndim()).max().unwrap_or(0);
            let t = TensorType::with_ndim(d, nd).map_err(|_| {
                PerformError::input(format!(
                    "arrays have at most {MAX_NDIM} dimensions, got {nd}"
                ))
            })?;
            inferred = vec![t];
            &inferred[..]
        } else {
            let in_types = ins.iter().map(|t| value_type(t)).collect::<R<Vec<_>>>()?;
            inferred = op.infer_types(&in_types).map_err(PerformError::input)?;
            &inferred[..]
        }
    } else {
        out_types
    };
    if out_types.len() != op.n_outputs() {
        return Err(PerformError::input(format!(
            "{} output types given, the op has {} outputs",
            out_types.len(),
            op.n_outputs()
        )));
    }
    let out0 = out_types[0].dtype;
    let n_in = |n: usize| crate::util::n_inputs(ins, n);
    let at_least = |n: usize| -> R<()> {
        if ins.len() >= n {
            Ok(())
        } else {
            Err(PerformError::input(format!(
                "expects at least {n} inputs, got {}",
                ins.len()
            )))
        }
    };
    let mut outs = match op {
        Op::Elemwise { scalar, .. } => vec![elemwise::elemwise(scalar, ins, out0)?],
        Op::DimShuffle { new_order, .. } => {
            n_in(1)?;
            vec![shape::dimshuffle(ins[0], new_order)?]
        }
        Op::Reduce { kind, axes, .. } => {
            n_in(1)?;
            vec![reduce::reduce(*kind, axes.as_deref(), ins[0], out0)?]
        }
        Op::ProdWithoutZeros { axes } => {
            n_in(1)?;
            // the product of switch(eq(x, 0), 1, x), the expansion the optimizer compiles
            let x = ins[0];
            let zero = Tensor::zeros(x.dtype(), &[]);
            let one = Tensor::full(x.dtype(), &[], 1.0);
            let is_zero = elemwise::elemwise(
                &theano_ir::ScalarOp::Eq,
                &[x, &zero],
                theano_tensor::DType::Bool,
            )?;
            let ones = elemwise::elemwise(
                &theano_ir::ScalarOp::Switch,
                &[&is_zero, &one, x],
                x.dtype(),
            )?;
            vec![reduce::reduce(
                theano_ir::ReduceKind::Prod,
                axes.as_deref(),
                &ones,
                out0,
            )?]
        }
        Op::MaxAndArgmax { axes } => {
            n_in(1)?;
            let (m, i) = reduce::max_and_argmax(ins[0], axes)?;
            vec![m, i]
        }
        Op::Argmax { axes } => {
            n_in(1)?;
            vec![reduce::max_and_argmax(ins[0], axes)?.1]
        }
        Op::Dot => {
            n_in(2)?;
            vec![linalg::dot(ins[0], ins[1], out0)?]
        }
        Op::Softmax | Op::LogSoftmax => {
            n_in(1)?;
            vec![linalg::softmax(ins[0], out0, *op == Op::LogSoftmax)?]
        }
        Op::SoftmaxGrad => {
            n_in(2)?;
            vec![linalg::softmax_grad(ins[0], ins[1], out0)?]
        }
        Op::CrossentropySoftmaxArgmax1HotWithBias => {
            n_in(3)?;
            nnet::crossentropy_softmax_argmax(ins[0], ins[1], ins[2])?
        }
        Op::CrossentropySoftmax1HotWithBiasDx => {
            n_in(3)?;
            vec![nnet::crossentropy_dx(ins[0], ins[1], ins[2])?]
        }
        Op::CrossentropyCategorical1Hot => {
            n_in(2)?;
            vec![nnet::categorical_1hot(ins[0], ins[1])?]
        }
        Op::CrossentropyCategorical1HotGrad => {
            n_in(3)?;
            vec![nnet::categorical_1hot_grad(ins[0], ins[1], ins[2])?]
        }
        Op::Shape => {
            n_in(1)?;
            vec![shape::shape(ins[0])]
        }
        Op::ShapeI(i) => {
            n_in(1)?;
            vec![shape::shape_i(ins[0], *i)?]
        }
        Op::Reshape { ndim } => {
            n_in(2)?;
            vec![shape::reshape(ins[0], ins[1], *ndim)?]
        }
        Op::SpecifyShape => {
            n_in(2)?;
            vec![shape::specify_shape(ins[0], ins[1])?]
        }
        Op::Flatten { outdim } => {
            n_in(1)?;
            vec![shape::flatten(ins[0], *outdim)?]
        }
        Op::ARange { dtype } => {
            n_in(3)?;
            vec![shape::arange(ins[0], ins[1], ins[2], *dtype)?]
        }
        Op::Alloc => {
            at_least(1)?;
            vec![shape::alloc(ins[0], &ins[1..], out0)?]
        }
        // its values are unspecified (every reader overwrites them unread): zeros here
        Op::AllocEmpty { dtype } => vec![shape::alloc(&Tensor::zeros(*dtype, &[]), ins, *dtype)?],
        // an owned copy (a clone of an ndarray copies its elements)
        Op::DeepCopy => {
            n_in(1)?;
            vec![ins[0].clone()]
        }
        // eager: every input given; copies of the picked branch's values
        Op::IfElse { n_outs } => {
            n_in(1 + 2 * n_outs)?;
            let first = if ifelse_truth(ins[0])? { 1 } else { 1 + n_outs };
            ins[first..first + n_outs]
                .iter()
                .map(|t| (*t).clone())
                .collect()
        }
        Op::Join { axis } => vec![shape::join(ins, *axis, out0)?],
        Op::MakeVector { dtype } => vec![shape::make_vector(ins, *dtype)?],
        Op::Subtensor { idx } => {
            at_least(1)?;
            vec![index::subtensor(ins[0], idx, &ins[1..])?]
        }
        Op::IncSubtensor { idx, set, .. } => {
            at_least(2)?;
            vec![index::inc_subtensor(
                ins[0],
                ins[1],
                idx,
                &ins[2..],
                *set,
                out0,
            )?]
        }
        Op::AdvancedSubtensor1 => {
            n_in(2)?;
            if ins[1].ndim() != 1 {
                return Err(PerformError::input(format!(
                    "the index must be a vector, got shape {}",
                    py_shape(ins[1].shape())
                )));
            }
            vec![index::adv_subtensor(
                ins[0],
                &[theano_ir::AdvEntry::Array],
                &ins[1..],
            )?]
        }
        Op::AdvancedBooleanSubtensor => {
            n_in(2)?;
            vec![index::bool_subtensor(ins[0], ins[1])?]
        }
        Op::AdvancedBooleanIncSubtensor { set, .. } => {
            n_in(3)?;
            vec![index::bool_inc_subtensor(
                ins[0], ins[1], ins[2], *set, out0,
            )?]
        }
        Op::AdvancedSubtensor { idx } => {
            at_least(1)?;
            vec![index::adv_subtensor(ins[0], idx, &ins[1..])?]
        }
        Op::AdvancedIncSubtensor1 { set, .. } => {
            n_in(3)?;
            if ins[2].ndim() != 1 {
                return Err(PerformError::input(format!(
                    "the index must be a vector, got shape {}",
                    py_shape(ins[2].shape())
                )));
            }
            vec![index::adv_inc_subtensor(
                ins[0],
                ins[1],
                &[theano_ir::AdvEntry::Array],
                &ins[2..],
                *set,
                out0,
            )?]
        }
        Op::AdvancedIncSubtensor { idx, set, .. } => {
            at_least(2)?;
            vec![index::adv_inc_subtensor(
                ins[0],
                ins[1],
                idx,
                &ins[2..],
                *set,
                out0,
            )?]
        }
        Op::Gemv { .. } | Op::Gemm { .. } | Op::Ger { .. } | Op::Dot22 => {
            vec![blas::perform(op, ins, out0)?]
        }
        Op::CumOp { .. }
        | Op::Sort { .. }
        | Op::ArgSort { .. }
        | Op::Repeat { .. }
        | Op::Nonzero
        | Op::PermuteRowElements => cumsort::perform(op, ins)?,
        Op::AbstractConv2d { kind, params } => vec![conv::perform(*kind, params, ins)?],
        Op::Pool {
            kind,
            ignore_border,
            mode,
            ndim,
        } => vec![pool::perform(*kind, *ignore_border, *mode, *ndim, ins)?],
        Op::Eye { dtype } | Op::Tri { dtype } => {
            n_in(3)?;
            vec![matrix::eye_or_tri(
                ins,
                *dtype,
                matches!(op, Op::Tri { .. }),
            )?]
        }
        Op::ExtractDiag {
            offset,
            axis1,
            axis2,
        } => {
            n_in(1)?;
            vec![matrix::extract_diag(ins[0], *offset, *axis1, *axis2)?]
        }
        Op::AllocDiag {
            offset,
            axis1,
            axis2,
        } => {
            n_in(1)?;
            vec![matrix::alloc_diag(ins[0], *offset, *axis1, *axis2)?]
        }
        Op::BatchedDot => {
            n_in(2)?;
            vec![matrix::batched_dot(ins[0], ins[1], out0)?]
        }
        Op::SoftmaxWithBias => {
            n_in(2)?;
            vec![matrix::softmax_with_bias(ins[0], ins[1], out0)?]
        }
        Op::Custom(c) => match c.0.perform(ins) {
            Some(r) => r.map_err(|msg| PerformError::Value {
                op: String::new(),
                msg,
            })?,
            None => return Err(PerformError::NotImplemented { op: String::new() }),
        },
    };
    for (t, ty) in outs.iter_mut().zip(out_types) {
        if t.dtype() != ty.dtype {
            *t = t.cast(ty.dtype);
        }
        if t.ndim() != ty.ndim() {
            return Err(PerformError::shape(format!(
                "the result has shape {} but its type {ty} has {} dimensions",
                py_shape(t.shape()),
                ty.ndim()
            )));
        }
        if let Some(i) = (0..ty.ndim()).find(|&i| ty.is_broadcastable(i) && t.shape()[i] != 1) {
            return Err(PerformError::shape(format!(
                "broadcastable dimension {i} has length {} (result shape {}, type {ty})",
                t.shape()[i],
                py_shape(t.shape())
            )));
        }
    }
    Ok(outs)
}

/// The truth of an `IfElse` condition (Theano's `truthval != 0`): a scalar, non-zero is
/// true (NaN too, as in Python).
pub fn ifelse_truth(cond: &Tensor) -> Result<bool, PerformError> {
    if cond.ndim() != 0 {
        return Err(PerformError::input(format!(
            "the condition of if{{}} must be a scalar, got shape {:?}",
            cond.shape()
        )));
    }
    Ok(cond.to_f64_vec()[0] != 0.0)
}
