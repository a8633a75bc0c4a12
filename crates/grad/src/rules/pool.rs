//! The gradients of `Pool` and its gradient ops, node for node as Theano 1.0.5's
//! (`theano/tensor/signal/pool.py`): max pooling's through `MaxPoolGrad`, the others'
//! through `AveragePoolGrad`; the gradient ops' own gradients are each other
//! (`DownsampleFactorMaxGradGrad` for `MaxPoolGrad`, `Pool` for `AveragePoolGrad`) and
//! zeros for the pooled input and the maxima; ws, stride and pad carry no gradient.

use super::{one, G};
use crate::build::B;
use crate::build::R;
use crate::GradError;
use theano_ir::{ApplyRef, Op, PoolKind, PoolMode, Variable};

/// Theano's `zeros_like(x)`, a float for an integer x.
fn zeros(b: &B, x: &Variable) -> R<G> {
    Ok(G::V(if x.dtype().is_float() {
        b.zeros_like(x, None)?
    } else {
        b.float_zeros_like(x)?
    }))
}

pub(super) fn l_op(b: &B, node: &ApplyRef, og: &[G]) -> R<Vec<G>> {
    let ins = node.inputs();
    let op = node.op();
    let &Op::Pool {
        kind,
        ignore_border,
        mode,
        ndim,
    } = op
    else {
        return Err(GradError::Invalid(format!(
            "theano-grad internal error: pool::l_op called for {op}"
        )));
    };
    let g = one(og, op)?;
    let n = kind.n_tensors();
    let params = &ins[n..];
    let with = |kind: PoolKind, mode: PoolMode, first: Vec<Variable>| {
        let mut v = first;
        v.extend(params.iter().cloned());
        b.apply1(
            Op::Pool {
                kind,
                ignore_border,
                mode,
                ndim,
            },
            v,
        )
    };
    let disc = [G::Disc, G::Disc, G::Disc];
    let mut out = match kind {
        PoolKind::Pool => {
            let x = &ins[0];
            let gx = if mode == PoolMode::Max {
                with(
                    PoolKind::MaxPoolGrad,
                    mode,
                    vec![x.clone(), node.output(0).clone(), g],
                )?
            } else {
                with(PoolKind::AveragePoolGrad, mode, vec![x.clone(), g])?
            };
            vec![G::V(b.coerce(&gx, x)?)]
        }
        // each max op is the other's gradient with respect to its third input; zeros for x
        // and the maxima, which only select
        PoolKind::MaxPoolGrad | PoolKind::MaxPoolGradGrad => {
            let (x, maxout) = (&ins[0], &ins[1]);
            let other = if kind == PoolKind::MaxPoolGrad {
                PoolKind::MaxPoolGradGrad
            } else {
                PoolKind::MaxPoolGrad
            };
            let g3 = with(other, mode, vec![x.clone(), maxout.clone(), g])?;
            vec![
                zeros(b, x)?,
                zeros(b, maxout)?,
                G::V(b.coerce(&g3, &ins[2])?),
            ]
        }
        PoolKind::AveragePoolGrad => {
            let x = &ins[0];
            let ggz = with(PoolKind::Pool, mode, vec![g])?;
            vec![zeros(b, x)?, G::V(b.coerce(&ggz, &ins[1])?)]
        }
    };
    out.extend(disc);
    Ok(out)
}
