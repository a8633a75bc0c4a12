//! The gradients of `AbstractConv2d` and its two gradient ops, node for node as Theano
//! 1.0.5's (`theano/tensor/nnet/abstract_conv.py`): each op's gradients are the other two
//! ops with the same parameters, the lengths they need read from the inputs' shapes
//! (`x.shape[-2:]`), and no gradient through those lengths.

use super::{one, G};
use crate::build::B;
use crate::build::R;
use crate::GradError;
use theano_ir::{ApplyRef, ConvKind, DType, IdxEntry, Op, Tensor, Variable};

/// `x.shape[-2:]`: `Subtensor{int64::}(Shape(x), Constant{-2})`.
fn last_two(b: &B, x: &Variable) -> R<Variable> {
    b.apply1(
        Op::Subtensor {
            idx: vec![IdxEntry::Slice {
                start: Some(DType::Int64),
                stop: None,
                step: None,
            }],
        },
        vec![
            b.shape(x)?,
            Variable::constant_bounded(Tensor::scalar(-2i64)),
        ],
    )
}

/// `v` in the dtype of `like` when `v` is not a float (an integer image's filter gradient
/// is a float, in the gradient's dtype).
fn floated(b: &B, v: &Variable, like: &Variable) -> R<Variable> {
    if v.dtype().is_float() {
        Ok(v.clone())
    } else {
        b.cast(v, like.dtype())
    }
}

/// The gradient term of `x`: `g` with x's pattern (and float dtype), or float zeros for a
/// discrete x.
fn term(b: &B, g: Variable, x: &Variable) -> R<G> {
    if x.dtype().is_discrete() {
        return Ok(G::V(b.float_zeros_like(x)?));
    }
    Ok(G::V(b.coerce(&g, x)?))
}

pub(super) fn l_op(b: &B, node: &ApplyRef, og: &[G]) -> R<Vec<G>> {
    let ins = node.inputs();
    let op = node.op();
    let Op::AbstractConv2d { kind, params } = op else {
        return Err(GradError::Invalid(format!(
            "theano-grad internal error: conv::l_op called for {op}"
        )));
    };
    let g = one(og, op)?;
    let with = |kind: ConvKind, inputs: Vec<Variable>| {
        b.apply1(
            Op::AbstractConv2d {
                kind,
                params: params.clone(),
            },
            inputs,
        )
    };
    Ok(match kind {
        ConvKind::Forward => {
            let (x, w) = (&ins[0], &ins[1]);
            let (xf, wf) = (floated(b, x, &g)?, floated(b, w, &g)?);
            let dx = with(ConvKind::GradInputs, vec![wf, g.clone(), last_two(b, x)?])?;
            let dw = with(ConvKind::GradWeights, vec![xf, g.clone(), last_two(b, w)?])?;
            vec![term(b, dx, x)?, term(b, dw, w)?]
        }
        ConvKind::GradWeights => {
            // inputs (bottom, top, kernel lengths), the gradient of the filters
            let (x, top) = (&ins[0], &ins[1]);
            let gw = floated(b, &g, top)?;
            let dx = with(
                ConvKind::GradInputs,
                vec![gw.clone(), top.clone(), last_two(b, x)?],
            )?;
            let dtop = with(ConvKind::Forward, vec![floated(b, x, &gw)?, gw])?;
            vec![term(b, dx, x)?, term(b, dtop, top)?, G::Disc]
        }
        ConvKind::GradInputs => {
            // inputs (weights, top, image lengths), the gradient of the images
            let (w, top) = (&ins[0], &ins[1]);
            let gx = floated(b, &g, top)?;
            let dw = with(
                ConvKind::GradWeights,
                vec![gx.clone(), top.clone(), last_two(b, w)?],
            )?;
            let dtop = with(ConvKind::Forward, vec![gx, floated(b, w, &g)?])?;
            vec![term(b, dw, w)?, term(b, dtop, top)?, G::Disc]
        }
    })
}
