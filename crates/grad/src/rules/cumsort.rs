//! The gradients of `CumOp`, `SortOp`, `ArgSortOp`, `RepeatOp`, `Nonzero` and
//! `PermuteRowElements`, node for node
//! as Theano 1.0.5's (`theano/tensor/extra_ops.py`, `sort.py`, `basic.py`).

use super::{one, zeros_for, G};
use crate::build::B;
use crate::build::R;
use crate::GradError;
use theano_ir::cumsort::resolve_axis;
use theano_ir::{AdvEntry, ApplyRef, CumMode, DType, IdxEntry, Op, ScalarOp, Tensor, Variable};

fn int_const(v: i64) -> Variable {
    Variable::constant_bounded(Tensor::full(DType::smallest_int_for(v), &[], v as f64))
}

/// `v[..., ::-1, ...]` with the reversed slice at `axis` and `:` elsewhere (Theano's
/// `reverse_slicing`, the step an int64 constant).
fn reverse(b: &B, v: &Variable, axis: usize) -> R<Variable> {
    let idx: Vec<IdxEntry> = (0..v.ndim())
        .map(|k| IdxEntry::Slice {
            start: None,
            stop: None,
            step: (k == axis).then_some(DType::Int64),
        })
        .collect();
    b.apply1(
        Op::Subtensor { idx },
        vec![v.clone(), Variable::constant_bounded(Tensor::scalar(-1i64))],
    )
}

/// `x.shape[i]`: `Subtensor{int64}(Shape(x), Constant{i})`.
fn shape_entry(b: &B, x: &Variable, i: usize) -> R<Variable> {
    b.index_const(&b.shape(x)?, 0, i as i64)
}

/// `MakeVector{int64}` of the entries, int8 constants cast (`[Shape(x)[0], int64(1)]`).
fn make_vector(b: &B, entries: Vec<Variable>) -> R<Variable> {
    let entries = entries
        .into_iter()
        .map(|e| {
            if e.dtype() == DType::Int64 {
                Ok(e)
            } else {
                b.cast(&e, DType::Int64)
            }
        })
        .collect::<R<Vec<_>>>()?;
    b.apply1(
        Op::MakeVector {
            dtype: DType::Int64,
        },
        entries,
    )
}

pub(super) fn l_op(b: &B, node: &ApplyRef, og: &[G]) -> R<Vec<G>> {
    let ins = node.inputs();
    let op = node.op();
    let out = node.output(0);
    match op {
        Op::CumOp { axis, mode } => {
            if !out.dtype().is_float() {
                return zeros_for(b, ins);
            }
            let x = &ins[0];
            let gi = one(og, op)?;
            let cum = |v: &Variable, axis: Option<i64>, mode: CumMode| {
                b.apply1(Op::CumOp { axis, mode }, vec![v.clone()])
            };
            // cumprod: the running products times the gradient, divided by x at the end
            let (v, fx) = match mode {
                CumMode::Add => (gi, None),
                CumMode::Mul => {
                    let fx = cum(x, *axis, CumMode::Mul)?;
                    (b.mul(&fx, &gi)?, Some(()))
                }
            };
            let g = match axis {
                None => {
                    let r = reverse(b, &cum(&reverse(b, &v, 0)?, None, CumMode::Add)?, 0)?;
                    b.reshape(&r, &b.shape(x)?, x.ndim())?
                }
                Some(a) => {
                    let k = resolve_axis(*a, x.ndim()).ok_or_else(|| {
                        GradError::Invalid(format!("{op}: axis out of range for {}", x.ty()))
                    })?;
                    reverse(b, &cum(&reverse(b, &v, k)?, *axis, CumMode::Add)?, k)?
                }
            };
            let g = match fx {
                Some(()) => b.div(&g, x)?,
                None => g,
            };
            Ok(vec![G::V(g)])
        }
        Op::Sort { kind } => {
            let (x, axis) = (&ins[0], &ins[1]);
            if !out.dtype().is_float() {
                return Ok(vec![zeros_for(b, &ins[..1])?.remove(0), G::Disc]);
            }
            let gz = one(og, op)?;
            let Some(a) = axis.constant_value().and_then(|t| t.scalar_i64()) else {
                return Err(GradError::NotImplemented {
                    op: op.name(),
                    why: "the gradient of sort reads its axis, which must be a constant".into(),
                });
            };
            // the inverse permutation of the sort along the axis, and aranges along the others
            let argsort = |v: &Variable| -> R<Variable> {
                b.apply1(Op::ArgSort { kind: *kind }, vec![v.clone(), axis.clone()])
            };
            let rev_idx = argsort(&argsort(x)?)?;
            let nd = x.ndim() as i64;
            let axis_data = b.ew(
                ScalarOp::Switch,
                vec![
                    b.bin(ScalarOp::Ge, &int_const(a), &int_const(0))?,
                    int_const(a),
                    int_const(nd + a),
                ],
            )?;
            let mut indices = Vec::with_capacity(x.ndim());
            for i in 0..x.ndim() {
                let cond = b.bin(ScalarOp::Eq, &int_const(i as i64), &axis_data)?;
                let range = b.apply1(
                    Op::ARange {
                        dtype: DType::Int64,
                    },
                    vec![int_const(0), shape_entry(b, x, i)?, int_const(1)],
                )?;
                let shape: Vec<Variable> = (0..x.ndim())
                    .map(|k| {
                        if k == i {
                            shape_entry(b, x, i)
                        } else {
                            Ok(int_const(1))
                        }
                    })
                    .collect::<R<_>>()?;
                let shape = make_vector(b, shape)?;
                let range = b.reshape(&range, &shape, x.ndim())?;
                indices.push(b.ew(ScalarOp::Switch, vec![cond, rev_idx.clone(), range])?);
            }
            let g = if x.ndim() == 1 {
                b.apply1(Op::AdvancedSubtensor1, vec![gz, indices.remove(0)])?
            } else {
                let mut v = vec![gz];
                v.extend(indices);
                b.apply1(
                    Op::AdvancedSubtensor {
                        idx: vec![AdvEntry::Array; x.ndim()],
                    },
                    v,
                )?
            };
            Ok(vec![G::V(b.coerce(&g, x)?), G::Disc])
        }
        // Theano: `inp.zeros_like()`; the axis is not differentiable
        Op::ArgSort { .. } => Ok(vec![zeros_for(b, &ins[..1])?.remove(0), G::Disc]),
        Op::Repeat { axis } => {
            let (x, repeats) = (&ins[0], &ins[1]);
            if !out.dtype().is_float() {
                return Ok(vec![zeros_for(b, &ins[..1])?.remove(0), G::Disc]);
            }
            if repeats.ndim() != 0 {
                return Err(GradError::NotImplemented {
                    op: op.name(),
                    why: "the gradient of RepeatOp with a vector of repeats is not \
                          implemented (as in Theano 1.0)"
                        .into(),
                });
            }
            let gz = one(og, op)?;
            let nd = x.ndim();
            let k = match axis {
                None => nd,
                Some(a) => {
                    resolve_axis(*a, nd).ok_or_else(|| {
                        GradError::Invalid(format!("{op}: axis out of range for {}", x.ty()))
                    })? + 1
                }
            };
            let mut shape: Vec<Variable> =
                (0..nd).map(|i| shape_entry(b, x, i)).collect::<R<_>>()?;
            shape.insert(k, repeats.clone());
            let shape = make_vector(b, shape)?;
            let r = b.reshape(&gz, &shape, nd + 1)?;
            let g = b.sum(&r, Some(vec![k]), false)?;
            Ok(vec![G::V(b.coerce(&g, x)?), G::Disc])
        }
        Op::PermuteRowElements => {
            let (x, y, inverse) = (&ins[0], &ins[1], &ins[2]);
            let gz = one(og, op)?;
            let undefined = |what: &str| {
                G::Null(format!(
                    "PermuteRowElements: the {what} select, they have no gradient (Theano's \
                     grad_undefined)"
                ))
            };
            let null_y = undefined("permutations");
            let null_inv = undefined("inverse flag's values");
            if !x.dtype().is_float() {
                // f(x + eps) = f(x) for an integer x
                return Ok(vec![G::V(b.zeros_like(x, None)?), null_y, null_inv]);
            }
            // the gradient goes back through the other direction of the same permutation
            // (Theano always builds inverse=1 here, which is wrong for an inverse node)
            let back = match inverse.constant_value() {
                Some(v) => int_const(i64::from(v.to_i64_vec()[0] == 0)),
                None => b.bin(ScalarOp::Eq, inverse, &int_const(0))?,
            };
            let gx = b.apply1(Op::PermuteRowElements, vec![gz.clone(), y.clone(), back])?;
            // summed over the axes x broadcast along
            let axes: Vec<usize> = (0..gz.ndim())
                .filter(|&d| x.broadcastable()[d] && !gz.broadcastable()[d])
                .collect();
            let gx = if axes.is_empty() {
                gx
            } else {
                b.sum(&gx, Some(axes), true)?
            };
            Ok(vec![G::V(b.coerce(&gx, x)?), null_y, null_inv])
        }
        Op::Nonzero => Ok(vec![G::Null(
            "Nonzero's output (integer indices) has no gradient with respect to its input \
             (Theano's grad_undefined)"
                .into(),
        )]),
        _ => Err(GradError::Invalid(format!(
            "theano-grad internal error: cumsort::l_op called for {op}"
        ))),
    }
}
