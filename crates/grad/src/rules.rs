//! The gradient rule (Theano's `L_op`) and connection pattern of every op.
//!
//! Each rule receives the node and the gradients of the cost with respect to its outputs (cast
//! to the outputs' float dtypes) and returns one term per input. The structure follows Theano
//! 1.0 node for node where Theano has the op; where theano-rs has no op Theano used
//! (`SoftmaxGrad`, `ProdWithoutZeros`, `Split`, `Rebroadcast`) the rule is written with the
//! ops that exist and the comment says so.

use crate::build::{autocast_float, B, R};
use crate::markers::GradMarker;
use crate::GradError;
use theano_ir::config::float_x;
use theano_ir::{ApplyRef, DType, IdxEntry, Op, ReduceKind, ScalarOp, Tensor, Variable};

mod conv;
mod cumsort;
mod pool;

/// The gradient flowing into a variable.
#[derive(Clone, Debug)]
pub(crate) enum G {
    /// Theano's `DisconnectedType`: the cost does not depend on the variable through this path.
    Disc,
    /// Theano's `NullType`: the gradient is undefined; the string says why.
    Null(String),
    V(Variable),
}

impl G {
    pub fn var(&self) -> Option<&Variable> {
        match self {
            G::V(v) => Some(v),
            _ => None,
        }
    }
}

/// `pattern[i][j]`: whether output `j` of the node depends on the *values* of input `i`
/// (Theano's `connection_pattern`; shapes and indices are not connections).
pub(crate) fn connection_pattern(node: &ApplyRef) -> Vec<Vec<bool>> {
    let n_in = node.inputs().len();
    let n_out = node.n_outputs();
    let by_input = |f: &dyn Fn(usize) -> bool| -> Vec<Vec<bool>> {
        (0..n_in).map(|i| vec![f(i); n_out]).collect()
    };
    match node.op() {
        Op::Elemwise {
            scalar: ScalarOp::Second,
            ..
        } => by_input(&|i| i == 1),
        Op::Shape | Op::ShapeI(_) | Op::AllocEmpty { .. } => by_input(&|_| false),
        Op::Reshape { .. }
        | Op::Alloc
        | Op::SpecifyShape
        | Op::Subtensor { .. }
        | Op::AdvancedSubtensor1
        | Op::AdvancedSubtensor { .. }
        | Op::AdvancedBooleanSubtensor => by_input(&|i| i == 0),
        Op::ARange { .. } => by_input(&|i| i != 1),
        // the sort axis and the repeat counts select; they carry no gradient
        Op::Sort { .. } | Op::ArgSort { .. } | Op::Repeat { .. } => by_input(&|i| i == 0),
        Op::IncSubtensor { .. }
        | Op::AdvancedIncSubtensor1 { .. }
        | Op::AdvancedIncSubtensor { .. }
        | Op::AdvancedBooleanIncSubtensor { .. } => by_input(&|i| i < 2),
        // the labels select; they carry no gradient
        Op::CrossentropySoftmaxArgmax1HotWithBias
        | Op::CrossentropySoftmax1HotWithBiasDx
        | Op::CrossentropyCategorical1HotGrad => by_input(&|i| i < 2),
        Op::CrossentropyCategorical1Hot => by_input(&|i| i == 0),
        // the gradient ops' third input gives lengths; it carries no gradient
        Op::AbstractConv2d { kind, .. } if *kind != theano_ir::ConvKind::Forward => {
            by_input(&|i| i < 2)
        }
        // ws, stride and pad give the windows; they carry no gradient
        Op::Pool { kind, .. } => {
            let n = kind.n_tensors();
            by_input(&|i| i < n)
        }
        op @ Op::Custom(_) if GradMarker::of(op) == Some(GradMarker::DisconnectedGrad) => {
            by_input(&|_| false)
        }
        _ => by_input(&|_| true),
    }
}

fn one(g: &[G], op: &Op) -> R<Variable> {
    g.first().and_then(G::var).cloned().ok_or_else(|| {
        GradError::Invalid(format!(
            "theano-grad internal error: {op} called without an output gradient"
        ))
    })
}

/// A 0-d constant for a Python literal used at the tensor level (padded by `ew`).
fn fconst(v: f64) -> Variable {
    Variable::constant_bounded(Tensor::full(autocast_float(v), &[], v))
}
fn iconst(v: i64) -> Variable {
    Variable::constant_bounded(Tensor::full(DType::smallest_int_for(v), &[], v as f64))
}
fn i64const(v: i64) -> Variable {
    Variable::constant_bounded(Tensor::scalar(v))
}

/// `arange(labels.shape[0])`: the row index beside one label per row (the nnet ops'
/// gradients pick or set `m[rows, labels]`).
fn label_rows(b: &B, labels: &Variable) -> R<Variable> {
    b.apply1(
        Op::ARange {
            dtype: DType::Int64,
        },
        vec![i64const(0), b.shape_i(labels, 0)?, i64const(1)],
    )
}

/// `g`, the gradient of a per-row vector `v` (length rows), for `v` itself: summed to one
/// element when `v` is broadcastable (one value for every row).
fn per_row_grad(b: &B, g: Variable, v: &Variable) -> R<Variable> {
    if v.ty().is_broadcastable(0) {
        b.ds(&b.sum(&g, None, false)?, vec![None])
    } else {
        Ok(g)
    }
}

/// For each dimension of an input of `ndim` dims: `'x'` where reduced, else the next axis.
fn expand_order(ndim: usize, axes: &[usize]) -> Vec<Option<usize>> {
    let mut k = 0;
    (0..ndim)
        .map(|j| {
            if axes.contains(&j) {
                None
            } else {
                k += 1;
                Some(k - 1)
            }
        })
        .collect()
}

/// Zero gradients (float) for every input of a node whose outputs are discrete.
fn zeros_for(b: &B, ins: &[Variable]) -> R<Vec<G>> {
    ins.iter()
        .map(|x| Ok(G::V(b.zeros_like(x, Some(float_dtype(x.dtype())))?)))
        .collect()
}

/// `x.zeros_like(dtype=floatX)` for discrete x; x's own dtype for floats.
fn float_dtype(d: DType) -> DType {
    if d.is_float() {
        d
    } else {
        float_x()
    }
}

/// The gradient terms of `node`'s inputs given its outputs' gradients.
pub(crate) fn l_op(b: &B, node: &ApplyRef, og: &[G]) -> R<Vec<G>> {
    let ins = node.inputs();
    let op = node.op();
    let out = node.output(0);
    let disc_rest = |first: Vec<G>| -> Vec<G> {
        let mut v = first;
        while v.len() < ins.len() {
            v.push(G::Disc);
        }
        v
    };
    Ok(match op {
        Op::Elemwise { scalar, .. } => elemwise_lop(b, scalar, ins, &out, &one(og, op)?)?,
        Op::DimShuffle { new_order, .. } => {
            let x = &ins[0];
            let gz = one(og, op)?;
            if x.dtype().is_discrete() {
                return Ok(vec![G::V(b.zeros_like(x, Some(float_x()))?)]);
            }
            let mut order = vec![None; x.ndim()];
            for (i, v) in new_order.iter().enumerate() {
                if let Some(v) = v {
                    order[*v] = Some(i);
                }
            }
            let id = b.un(ScalarOp::Identity, &gz)?;
            vec![G::V(b.ds(&id, order)?)]
        }
        Op::Reduce { kind, axes, .. } => {
            let x = &ins[0];
            if !out.dtype().is_float() || matches!(kind, ReduceKind::All | ReduceKind::Any) {
                return zeros_for(b, ins);
            }
            let gz = one(og, op)?;
            // Theano's Sum.L_op returns gz only for an explicit empty axis list; a rank-0
            // input summed over "all" (none) axes still gets `fill(x, gz)`
            let all_of_rank0 = axes.is_none() && *kind == ReduceKind::Sum;
            let op_axes = axes.clone();
            let axes: Vec<usize> = axes.clone().unwrap_or_else(|| (0..x.ndim()).collect());
            if axes.is_empty() && !all_of_rank0 {
                return Ok(vec![G::V(gz)]);
            }
            let nd = expand_order(x.ndim(), &axes);
            match kind {
                // Theano's Sum.L_op: `Elemwise(scalar.second)`, unnamed
                ReduceKind::Sum => vec![G::V(b.unnamed().fill(x, &b.ds(&gz, nd)?)?)],
                ReduceKind::Prod => vec![G::V(prod_grad(b, x, &out, &gz, &op_axes, nd)?)],
                ReduceKind::Max | ReduceKind::Min => {
                    // the gradient goes to every position equal to the extremum
                    let m = b.ds(&out, nd.clone())?;
                    let g = b.ds(&gz, nd)?;
                    vec![G::V(b.mul(&b.bin(ScalarOp::Eq, &m, x)?, &g)?)]
                }
                ReduceKind::All | ReduceKind::Any => unreachable!("handled above"),
            }
        }
        Op::MaxAndArgmax { axes } => {
            let x = &ins[0];
            match og.first() {
                Some(G::V(g_max)) => {
                    if x.dtype().is_discrete() {
                        return zeros_for(b, ins);
                    }
                    let nd = expand_order(x.ndim(), axes);
                    let g_pad = b.ds(g_max, nd.clone())?;
                    // Theano recomputes `max(x, axis)`: for a 0-d x that is a
                    // `Reduce{maximum}{}` (MaxAndArgmax refuses no axes there)
                    let m = if x.ndim() == 0 {
                        b.reduce(ReduceKind::Max, x, Some(vec![]))?
                    } else {
                        out.clone()
                    };
                    let m_pad = b.ds(&m, nd)?;
                    vec![G::V(b.mul(&b.bin(ScalarOp::Eq, &m_pad, x)?, &g_pad)?)]
                }
                Some(G::Null(w)) => vec![G::Null(w.clone())],
                // only the argmax is connected: a zero gradient
                _ => vec![G::V(b.float_zeros_like(x)?)],
            }
        }
        // an int64 result: Theano's Argmax.grad gives zeros
        Op::Argmax { .. } => return zeros_for(b, ins),
        // Theano has none ("The grad of ProdWithoutZeros is not implemented"); here it is the
        // gradient of what it computes, prod(switch(eq(v, 0), 1, v)), so a product's second
        // derivatives (hessians, R-ops) keep working: the product's gradient on the ones-for-
        // zeros input, zero where v is 0
        Op::ProdWithoutZeros { axes } => {
            let v = &ins[0];
            if !out.dtype().is_float() {
                return zeros_for(b, ins);
            }
            let gz = one(og, op)?;
            let all: Vec<usize> = axes.clone().unwrap_or_else(|| (0..v.ndim()).collect());
            let is_zero = b.bin(ScalarOp::Eq, v, &fconst(0.0))?;
            let ones = b.ew(
                ScalarOp::Switch,
                vec![is_zero.clone(), iconst(1), v.clone()],
            )?;
            let nd = expand_order(v.ndim(), &all);
            let g = prod_grad(b, &ones, &out, &gz, axes, nd)?;
            vec![G::V(b.ew(ScalarOp::Switch, vec![is_zero, fconst(0.0), g])?)]
        }
        Op::Gemv { .. } | Op::Gemm { .. } | Op::Ger { .. } | Op::Dot22 => {
            return Err(blas_not_implemented(op))
        }
        Op::Dot => {
            let (x, y) = (&ins[0], &ins[1]);
            if !out.dtype().is_float() {
                return zeros_for(b, ins);
            }
            let gz = one(og, op)?;
            let (gx, gy) = match (x.ndim(), y.ndim()) {
                (1, 1) => (b.mul(&gz, y)?, b.mul(&gz, x)?),
                (1, 2) => (b.dot(&gz, &b.t(y)?)?, b.outer(&b.t(x)?, &gz)?),
                (2, 1) => (b.outer(&gz, &b.t(y)?)?, b.dot(&b.t(x)?, &gz)?),
                _ => (b.dot(&gz, &b.t(y)?)?, b.dot(&b.t(x)?, &gz)?),
            };
            vec![
                G::V(b.patternbroadcast(&gx, x)?),
                G::V(b.patternbroadcast(&gy, y)?),
            ]
        }
        Op::Softmax => {
            // Theano's Softmax.L_op: SoftmaxGrad(g, sm)
            let gz = one(og, op)?;
            vec![G::V(b.apply1(Op::SoftmaxGrad, vec![gz, out.clone()])?)]
        }
        Op::SoftmaxGrad => {
            // Theano's SoftmaxGrad.L_op, over the last axis:
            // tmp = g - sum(g * sm); g_dy = tmp * sm; g_sm = tmp * dy - g * sum(dy * sm)
            let g = one(og, op)?;
            let (dy, sm) = (&ins[0], &ins[1]);
            let last = sm.ndim() - 1;
            let gs = b.sum(&b.mul(&g, sm)?, Some(vec![last]), true)?;
            let tmp = b.add(&g, &b.neg(&gs)?)?;
            let g_dy = b.mul(&tmp, sm)?;
            let ds = b.sum(&b.mul(dy, sm)?, Some(vec![last]), true)?;
            let g_sm = b.sub(&b.mul(&tmp, dy)?, &b.mul(&g, &ds)?)?;
            vec![G::V(g_dy), G::V(g_sm)]
        }
        Op::LogSoftmax => {
            let gz = one(og, op)?;
            let x = &ins[0];
            let last = x.ndim() - 1;
            let sm = b.apply1(Op::Softmax, vec![x.clone()])?;
            let s = b.sum(&gz, Some(vec![last]), true)?;
            vec![G::V(b.sub(&gz, &b.mul(&s, &sm)?)?)]
        }
        Op::CrossentropySoftmaxArgmax1HotWithBias => {
            // Theano's CrossentropySoftmaxArgmax1HotWithBias.L_op: the nll's gradient through
            // CrossentropySoftmax1HotWithBiasDx, the softmax's through the softmax gradient,
            // the argmax contributes nothing (it is piecewise constant).
            let (x, bias, y) = (&ins[0], &ins[1], &ins[2]);
            let sm = node.output(1);
            let mut dz: Option<Variable> = None;
            if let Some(G::V(g_nll)) = og.first() {
                let d = b.apply1(
                    Op::CrossentropySoftmax1HotWithBiasDx,
                    vec![g_nll.clone(), sm.clone(), y.clone()],
                )?;
                dz = Some(d);
            }
            if let Some(G::V(g_sm)) = og.get(1) {
                let t = b.mul(g_sm, &sm)?;
                let s = b.sum(&t, Some(vec![1]), true)?;
                let d = b.sub(&t, &b.mul(&s, &sm)?)?;
                dz = Some(match dz {
                    None => d,
                    Some(a) => b.add(&a, &d)?,
                });
            }
            let nulls = og.iter().find_map(|g| match g {
                G::Null(w) => Some(w.clone()),
                _ => None,
            });
            match (dz, nulls) {
                (_, Some(w)) => vec![G::Null(w.clone()), G::Null(w), G::Disc],
                (None, None) => vec![
                    G::V(b.float_zeros_like(x)?),
                    G::V(b.float_zeros_like(bias)?),
                    G::Disc,
                ],
                (Some(dz), None) => {
                    let db = if bias.ty().is_broadcastable(0) {
                        b.ds(&b.sum(&dz, None, false)?, vec![None])?
                    } else {
                        b.sum(&dz, Some(vec![0]), false)?
                    };
                    vec![G::V(b.coerce(&dz, x)?), G::V(b.coerce(&db, bias)?), G::Disc]
                }
            }
        }
        Op::CrossentropySoftmax1HotWithBiasDx => {
            // Theano's CrossentropySoftmax1HotWithBiasDx.L_op: dx = (sm - onehot) * dnll[:, None]
            // is linear in dnll and in sm.
            let (dnll, sm, y) = (&ins[0], &ins[1], &ins[2]);
            let g = one(og, op)?;
            let rows = label_rows(b, y)?;
            let minus_one = b.fill(
                dnll,
                &Variable::constant_bounded(Tensor::full(sm.dtype(), &[], -1.0)),
            )?;
            let sm_minus_onehot = b.apply1(
                Op::AdvancedIncSubtensor {
                    idx: vec![theano_ir::AdvEntry::Array, theano_ir::AdvEntry::Array],
                    set: false,
                    inplace: false,
                },
                vec![sm.clone(), minus_one, rows, y.clone()],
            )?;
            let g_dnll = b.sum(&b.mul(&g, &sm_minus_onehot)?, Some(vec![1]), false)?;
            let g_dnll = per_row_grad(b, g_dnll, dnll)?;
            let g_sm = b.mul(&b.ds(dnll, vec![Some(0), None])?, &g)?;
            vec![
                G::V(b.coerce(&g_dnll, dnll)?),
                G::V(b.coerce(&g_sm, sm)?),
                G::Disc,
            ]
        }
        Op::CrossentropyCategorical1Hot => {
            // Theano's CrossentropyCategorical1Hot.grad: crossentropy_categorical_1hot_grad(
            // g_y, coding_dist, true_one_of_n); the labels select (no gradient)
            let (p, t) = (&ins[0], &ins[1]);
            let g = one(og, op)?;
            let d = b.apply1(
                Op::CrossentropyCategorical1HotGrad,
                vec![g, p.clone(), t.clone()],
            )?;
            disc_rest(vec![G::V(d)])
        }
        Op::CrossentropyCategorical1HotGrad => {
            // (Theano's op has no gradient.) out[i, t[i]] = -g[i] / p[i, t[i]], zero elsewhere:
            // d/dg[i] = -gz[i, t[i]] / p[i, t[i]], and d/dp[i, t[i]] = gz[i, t[i]] * g[i] /
            // p[i, t[i]]^2, which is this op of -gz[i, t[i]] * g[i] / p[i, t[i]]
            let (g, p, t) = (&ins[0], &ins[1], &ins[2]);
            let gz = one(og, op)?;
            let rows = label_rows(b, t)?;
            let pick = |m: &Variable| {
                b.apply1(
                    Op::AdvancedSubtensor {
                        idx: vec![theano_ir::AdvEntry::Array, theano_ir::AdvEntry::Array],
                    },
                    vec![m.clone(), rows.clone(), t.clone()],
                )
            };
            let (gz_t, p_t) = (pick(&gz)?, pick(p)?);
            let ratio = b.div(&gz_t, &p_t)?;
            let g_g = per_row_grad(b, b.neg(&ratio)?, g)?;
            let h = b.neg(&b.mul(&ratio, g)?)?;
            let g_p = b.apply1(
                Op::CrossentropyCategorical1HotGrad,
                vec![h, p.clone(), t.clone()],
            )?;
            vec![G::V(b.coerce(&g_g, g)?), G::V(b.coerce(&g_p, p)?), G::Disc]
        }
        Op::SoftmaxWithBias => {
            // Theano's SoftmaxWithBias.L_op: dx = SoftmaxGrad(g, sm), db = dx.sum(axis=0)
            let (x, bias) = (&ins[0], &ins[1]);
            let gz = one(og, op)?;
            let dx = b.apply1(Op::SoftmaxGrad, vec![gz, out.clone()])?;
            let db = b.sum(&dx, Some(vec![0]), false)?;
            vec![G::V(b.coerce(&dx, x)?), G::V(b.coerce(&db, bias)?)]
        }
        Op::BatchedDot => {
            let (x, y) = (&ins[0], &ins[1]);
            if !out.dtype().is_float() {
                return zeros_for(b, ins);
            }
            let gz = one(og, op)?;
            batched_dot_grad(b, x, y, &gz)?
        }
        // Theano: grad_undefined for n, m and k (integers; the values are piecewise constant)
        Op::Eye { .. } | Op::Tri { .. } => (0..ins.len())
            .map(|i| G::Null(format!("{op} has no gradient with respect to input {i}")))
            .collect(),
        Op::ExtractDiag { offset, .. } => {
            let x = &ins[0];
            if x.dtype().is_discrete() {
                return Ok(vec![G::V(b.float_zeros_like(x)?)]);
            }
            if x.ndim() != 2 {
                // Theano 1.0.5: grad_not_implemented for more than 2 dimensions
                return Ok(vec![G::Null(format!(
                    "the grad method for input 0 of {op} is not implemented for {} dimensions \
                     (Theano's works for matrices only)",
                    x.ndim()
                ))]);
            }
            // Theano: set_subtensor(zeros_like(x)[:d.shape[0], :d.shape[1]], d) with
            // d = AllocDiag(offset)(gz)
            let gz = one(og, op)?;
            let d = b.apply1(
                Op::AllocDiag {
                    offset: *offset,
                    axis1: 0,
                    axis2: 1,
                },
                vec![gz],
            )?;
            let stop = |i: i64| -> R<Variable> { b.index_const(&b.shape(&d)?, 0, i) };
            let bound = IdxEntry::Slice {
                start: None,
                stop: Some(DType::Int64),
                step: None,
            };
            let g = b.apply1(
                Op::IncSubtensor {
                    idx: vec![bound, bound],
                    set: true,
                    inplace: false,
                },
                vec![b.zeros_like(x, None)?, d.clone(), stop(0)?, stop(1)?],
            )?;
            vec![G::V(g)]
        }
        Op::AllocDiag {
            offset,
            axis1,
            axis2,
        } => {
            let x = &ins[0];
            if x.dtype().is_discrete() {
                return Ok(vec![G::V(b.float_zeros_like(x)?)]);
            }
            // Theano: diagonal(gz, offset, axis1, axis2). AllocDiag lays the rows on the lower
            // of the two axes, so the diagonal is read with axis1 < axis2 (Theano passes them
            // as given, which reads the transposed diagonal when axis1 > axis2 and offset != 0)
            let gz = one(og, op)?;
            let g = b.apply1(
                Op::ExtractDiag {
                    offset: *offset,
                    axis1: (*axis1).min(*axis2),
                    axis2: (*axis1).max(*axis2),
                },
                vec![gz],
            )?;
            vec![G::V(b.coerce(&g, x)?)]
        }
        // AllocEmpty: Theano's gradient is disconnected from the shape inputs
        Op::Shape | Op::ShapeI(_) => vec![G::Disc],
        Op::AllocEmpty { .. } => ins.iter().map(|_| G::Disc).collect(),
        // Theano's DeepCopyOp: the gradient passes through
        Op::DeepCopy => vec![G::V(one(og, op)?)],
        // Theano's IfElse.grad: each branch's values get the output gradients when the
        // condition picks that branch, zeros otherwise; the condition a zero gradient
        Op::IfElse { n_outs } => {
            let n = *n_outs;
            let cond = &ins[0];
            let mut gs = Vec::with_capacity(n);
            for i in 0..n {
                gs.push(match og.get(i) {
                    Some(G::V(g)) => g.clone(),
                    Some(G::Null(w)) => {
                        let mut r = vec![G::V(b.zeros_like(cond, Some(float_x()))?)];
                        r.extend((0..2 * n).map(|_| G::Null(w.clone())));
                        return Ok(r);
                    }
                    _ => b.float_zeros_like(&node.output(i))?,
                });
            }
            let zeros = |xs: &[Variable]| -> R<Vec<Variable>> {
                xs.iter()
                    .zip(&gs)
                    .map(|(x, g)| b.zeros_like(x, Some(g.dtype())))
                    .collect()
            };
            let (ts, fs) = ins[1..].split_at(n);
            let mut if_true = vec![cond.clone()];
            if_true.extend(gs.iter().cloned());
            if_true.extend(zeros(ts)?);
            let mut if_false = vec![cond.clone()];
            if_false.extend(zeros(fs)?);
            if_false.extend(gs.iter().cloned());
            let mut r = vec![G::V(b.zeros_like(cond, Some(float_x()))?)];
            r.extend(
                b.apply(Op::IfElse { n_outs: n }, if_true)?
                    .outputs()
                    .into_iter()
                    .map(G::V),
            );
            r.extend(
                b.apply(Op::IfElse { n_outs: n }, if_false)?
                    .outputs()
                    .into_iter()
                    .map(G::V),
            );
            r
        }
        // Theano 1.0: the gradient passes through; the shape is not differentiable
        Op::SpecifyShape => vec![G::V(one(og, op)?), G::Disc],
        Op::Reshape { .. } | Op::Flatten { .. } => {
            let x = &ins[0];
            if x.dtype().is_discrete() {
                return Ok(disc_rest(vec![G::V(b.zeros_like(x, Some(float_x()))?)]));
            }
            let gz = one(og, op)?;
            let g = b.reshape(&gz, &b.shape(x)?, x.ndim())?;
            disc_rest(vec![G::V(b.patternbroadcast(&g, x)?)])
        }
        Op::ARange { dtype } => {
            let (start, step) = (&ins[0], &ins[2]);
            if dtype.is_discrete() {
                vec![
                    G::V(b.zeros_like(start, Some(float_x()))?),
                    G::Disc,
                    G::V(b.zeros_like(step, Some(float_x()))?),
                ]
            } else {
                let gz = one(og, op)?;
                let n = b.shape_i(&out, 0)?;
                let steps = b.apply1(
                    Op::ARange { dtype: *dtype },
                    vec![i64const(0), n, i64const(1)],
                )?;
                vec![
                    G::V(b.sum(&gz, None, false)?),
                    G::Disc,
                    G::V(b.sum(&b.mul(&gz, &steps)?, None, false)?),
                ]
            }
        }
        Op::Alloc => {
            let x = &ins[0];
            if !out.dtype().is_float() {
                return Ok(disc_rest(vec![G::V(b.float_zeros_like(x)?)]));
            }
            let gz = one(og, op)?;
            let n_add = gz.ndim() - x.ndim();
            let mut axes: Vec<usize> = (0..n_add).collect();
            let mut kept = Vec::new();
            let mut bcast_axes = Vec::new();
            for i in 0..x.ndim() {
                if x.ty().is_broadcastable(i) && !gz.ty().is_broadcastable(i + n_add) {
                    bcast_axes.push(i + n_add);
                } else {
                    kept.push(i);
                }
            }
            axes.extend(&bcast_axes);
            let mut gx = if axes.is_empty() {
                gz
            } else {
                b.sum(&gz, Some(axes), false)?
            };
            if !bcast_axes.is_empty() {
                let mut order = vec![None; x.ndim()];
                for (k, &a) in kept.iter().enumerate() {
                    order[a] = Some(k);
                }
                gx = b.ds(&gx, order)?;
            }
            disc_rest(vec![G::V(b.patternbroadcast(&gx, x)?)])
        }
        Op::Join { axis } => {
            if !out.dtype().is_float() {
                return zeros_for(b, ins);
            }
            // Theano's Split of the gradient, written as one Subtensor per input.
            let gz = one(og, op)?;
            let mut start: Option<Variable> = None;
            let mut terms = Vec::with_capacity(ins.len());
            for x in ins {
                let len = b.shape_i(x, *axis)?;
                let stop = match &start {
                    None => len,
                    Some(s) => b.add(s, &len)?,
                };
                let mut idx = vec![
                    IdxEntry::Slice {
                        start: None,
                        stop: None,
                        step: None
                    };
                    *axis
                ];
                let mut sin = vec![gz.clone()];
                idx.push(IdxEntry::Slice {
                    start: start.as_ref().map(|_| DType::Int64),
                    stop: Some(DType::Int64),
                    step: None,
                });
                if let Some(s) = &start {
                    sin.push(s.clone());
                }
                sin.push(stop.clone());
                let piece = b.apply1(Op::Subtensor { idx }, sin)?;
                terms.push(G::V(b.patternbroadcast(&piece, x)?));
                start = Some(stop);
            }
            terms
        }
        Op::MakeVector { .. } => {
            if !out.dtype().is_float() {
                return zeros_for(b, ins);
            }
            let gz = one(og, op)?;
            (0..ins.len())
                .map(|i| Ok(G::V(b.index_const(&gz, 0, i as i64)?)))
                .collect::<R<_>>()?
        }
        // the gradient of an indexing op increments zeros at the indexed region (repeated
        // advanced indices accumulate)
        Op::Subtensor { .. }
        | Op::AdvancedSubtensor1
        | Op::AdvancedSubtensor { .. }
        | Op::AdvancedBooleanSubtensor => {
            let x = &ins[0];
            if x.dtype().is_discrete() {
                return Ok(disc_rest(vec![G::V(b.float_zeros_like(x)?)]));
            }
            let gz = one(og, op)?;
            let inc = op.inc_counterpart(false).expect("an indexing op");
            let mut v = vec![b.zeros_like(x, None)?, gz];
            v.extend(ins[1..].iter().cloned());
            disc_rest(vec![G::V(b.apply1(inc, v)?)])
        }
        Op::IncSubtensor { set, .. }
        | Op::AdvancedIncSubtensor1 { set, .. }
        | Op::AdvancedIncSubtensor { set, .. }
        | Op::AdvancedBooleanIncSubtensor { set, .. } => {
            let indexing = op.indexing_counterpart().expect("a set/inc op");
            let setter = indexing.inc_counterpart(true).expect("an indexing op");
            let sub = |g: &Variable| -> R<Variable> {
                let mut v = vec![g.clone()];
                v.extend(ins[2..].iter().cloned());
                b.apply1(indexing.clone(), v)
            };
            let set_zero = |g: &Variable, y: &Variable| -> R<Variable> {
                let mut v = vec![g.clone(), b.zeros_like(y, None)?];
                v.extend(ins[2..].iter().cloned());
                b.apply1(setter.clone(), v)
            };
            inc_lop(b, ins, og, op, *set, &sub, &set_zero)?
        }
        Op::CumOp { .. }
        | Op::Sort { .. }
        | Op::ArgSort { .. }
        | Op::Repeat { .. }
        | Op::Nonzero
        | Op::PermuteRowElements => cumsort::l_op(b, node, og)?,
        Op::AbstractConv2d { .. } => conv::l_op(b, node, og)?,
        Op::Pool { .. } => pool::l_op(b, node, og)?,
        Op::Custom(_) => match GradMarker::of(op) {
            Some(GradMarker::ZeroGrad) => {
                let gz = one(og, op)?;
                vec![G::V(b.zeros_like(&gz, None)?)]
            }
            Some(GradMarker::DisconnectedGrad) => vec![G::Disc],
            Some(GradMarker::UndefinedGrad) => vec![G::Null(
                "the graph goes through undefined_grad(), whose gradient is undefined".into(),
            )],
            None => custom_lop(b, node, og)?,
        },
    })
}

/// A user op's gradient, through its [`CustomOp::grad`] hook.
fn custom_lop(b: &B, node: &ApplyRef, og: &[G]) -> R<Vec<G>> {
    let op = node.op();
    let Op::Custom(c) = op else {
        unreachable!("called for custom ops")
    };
    let ins = node.inputs();
    let outs = node.outputs();
    let grads: Vec<Option<Variable>> = (0..outs.len())
        .map(|k| og.get(k).and_then(G::var).cloned())
        .collect();
    let Some(r) = c.0.grad(ins, &outs, &grads) else {
        return Err(GradError::NotImplemented {
            op: op.name(),
            why: "the custom op has no gradient (implement CustomOp::grad)".into(),
        });
    };
    let gs = r.map_err(|m| GradError::Invalid(format!("{}: gradient: {m}", op.name())))?;
    if gs.len() != ins.len() {
        return Err(GradError::Invalid(format!(
            "{}: CustomOp::grad returned {} gradients for {} inputs",
            op.name(),
            gs.len(),
            ins.len()
        )));
    }
    gs.into_iter()
        .zip(ins)
        .map(|(g, x)| match g {
            None => Ok(G::Disc),
            Some(g) if g.ndim() != x.ndim() => Err(GradError::Invalid(format!(
                "{}: CustomOp::grad gave {} for input {x} of type {}",
                op.name(),
                g.ty(),
                x.ty()
            ))),
            Some(g) => Ok(G::V(b.coerce(&g, x)?)),
        })
        .collect()
}

/// The gradient of x and y through `x[idx] = y` / `x[idx] += y` (any indexing kind).
fn inc_lop(
    b: &B,
    ins: &[Variable],
    og: &[G],
    op: &Op,
    set: bool,
    sub: &dyn Fn(&Variable) -> R<Variable>,
    set_zero: &dyn Fn(&Variable, &Variable) -> R<Variable>,
) -> R<Vec<G>> {
    let (x, y) = (&ins[0], &ins[1]);
    let (gx, gy) = if x.dtype().is_discrete() {
        (
            b.zeros_like(x, Some(float_x()))?,
            b.zeros_like(y, Some(float_dtype(y.dtype())))?,
        )
    } else {
        let g = one(og, op)?;
        let gx = if set { set_zero(&g, y)? } else { g.clone() };
        let gy = sum_grad_over_bcasted_dims(b, y, &sub(&g)?)?;
        let gy = if y.dtype().is_discrete() {
            b.zeros_like(y, Some(float_x()))?
        } else {
            gy
        };
        (gx, gy)
    };
    let mut v = vec![G::V(gx), G::V(gy)];
    v.resize(ins.len(), G::Disc);
    Ok(v)
}

/// Theano's `_sum_grad_over_bcasted_dims`: sum `gx` over the dimensions where `x` was
/// broadcast (or added on the left) so it gets `x`'s type.
fn sum_grad_over_bcasted_dims(b: &B, x: &Variable, gx: &Variable) -> R<Variable> {
    let mut gx = gx.clone();
    if gx.broadcastable() != x.broadcastable() && gx.ndim() >= x.ndim() {
        let added = gx.ndim() - x.ndim();
        let xb: Vec<bool> = std::iter::repeat_n(true, added)
            .chain(x.broadcastable())
            .collect();
        let to_sum: Vec<usize> = (0..gx.ndim())
            .filter(|&i| !gx.ty().is_broadcastable(i) && xb[i])
            .collect();
        if !to_sum.is_empty() {
            gx = b.sum(&gx, Some(to_sum), true)?;
        }
        if added > 0 {
            gx = b.ds(&gx, (added..gx.ndim()).map(Some).collect())?;
        }
    }
    b.patternbroadcast(&gx, x)
}

/// Theano's `Prod.L_op` with zero handling; `ProdWithoutZeros(v)` is written as
/// `prod(switch(eq(v, 0), 1, v))`.
fn prod_grad(
    b: &B,
    x: &Variable,
    out: &Variable,
    gz: &Variable,
    op_axes: &Option<Vec<usize>>,
    nd: Vec<Option<usize>>,
) -> R<Variable> {
    let prod_out = b.ds(out, nd.clone())?;
    let gz = b.ds(gz, nd.clone())?;
    let without_zeros = b.div(&b.mul(&gz, &prod_out)?, x)?;
    let where_zeros = b.bin(ScalarOp::Eq, x, &fconst(0.0))?;
    // Theano sums over the op's own `axis` (`None` prints as no axis list)
    let sum_where_zeros = b.sum(&where_zeros, op_axes.clone(), false)?;
    let single_zero = b.ds(
        &b.bin(ScalarOp::Eq, &sum_where_zeros, &iconst(1))?,
        nd.clone(),
    )?;
    let where_single_zero = b.mul(&single_zero, &where_zeros)?;
    let gz_not_zero = b.bin(ScalarOp::Neq, &gz, &fconst(0.0))?;
    let take = b.mul(&single_zero, &gz_not_zero)?;
    let pwz_in = b.mul(&take, x)?;
    let pwz = b.ds(
        &b.apply1(
            Op::ProdWithoutZeros {
                axes: op_axes.clone(),
            },
            vec![pwz_in],
        )?,
        nd.clone(),
    )?;
    let no_zeros = b.ds(&b.bin(ScalarOp::Eq, &sum_where_zeros, &iconst(0))?, nd)?;
    let inner = b.ew(ScalarOp::Switch, vec![where_single_zero, pwz, fconst(0.0)])?;
    b.ew(
        ScalarOp::Switch,
        vec![no_zeros, without_zeros, b.mul(&inner, &gz)?],
    )
}

/// Theano's `Elemwise.L_op`: the scalar op's gradient on broadcast inputs, zeros for a
/// discrete output, then a sum over the dimensions each input was broadcast along.
fn elemwise_lop(b: &B, s: &ScalarOp, ins: &[Variable], out: &Variable, gz: &Variable) -> R<Vec<G>> {
    if !out.dtype().is_float() {
        return ins
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if *s == ScalarOp::Second && i == 0 {
                    Ok(G::Disc)
                } else {
                    Ok(G::V(b.float_zeros_like(x)?))
                }
            })
            .collect();
    }
    let mut rval = scalar_grad(b, s, ins, out, gz)?;
    for (i, x) in ins.iter().enumerate() {
        if let G::V(g) = &rval[i] {
            let to_sum: Vec<usize> = (0..x.ndim())
                .filter(|&j| x.ty().is_broadcastable(j) && !out.ty().is_broadcastable(j))
                .collect();
            if !to_sum.is_empty() {
                rval[i] = G::V(b.sum(g, Some(to_sum), true)?);
            }
        }
    }
    Ok(rval)
}

/// The gradient of a scalar op with respect to each (broadcast) input, as tensors of the
/// output's ndim: Theano's `ScalarOp.L_op` followed by `Elemwise._bgrad`'s transform.
/// Only called for float outputs.
pub(crate) fn scalar_grad(
    b: &B,
    s: &ScalarOp,
    ins: &[Variable],
    out: &Variable,
    gz: &Variable,
) -> R<Vec<G>> {
    use ScalarOp::*;
    // `Elemwise._bgrad`'s transform builds `Elemwise(scalar_op)`s without names
    let b = &b.unnamed();
    if let Composite(c) = s {
        // As Theano's Composite.grad: the composite's expression written out as elementwise
        // nodes over the same inputs, and differentiated (a user-built composite, such as
        // batch normalization's BNComposite; fusion's composites come after differentiation)
        let mut temps: Vec<Variable> = Vec::with_capacity(c.instrs().len());
        for instr in c.instrs() {
            let args = instr
                .args
                .iter()
                .map(|a| match *a {
                    theano_ir::Operand::Input(i) => ins[i].clone(),
                    theano_ir::Operand::Temp(k) => temps[k].clone(),
                })
                .collect();
            let v = theano_ir::tensor::elemwise(instr.op.clone(), args).map_err(|e| {
                GradError::NotImplemented {
                    op: format!("Elemwise{{{c}}}"),
                    why: format!("its expression cannot be written out: {e}"),
                }
            })?;
            temps.push(v);
        }
        let expanded = temps.pop().expect("a composite has an instruction");
        let _ = out;
        return Ok(crate::lop(&[expanded], ins, std::slice::from_ref(gz))?
            .into_iter()
            .map(G::V)
            .collect());
    }
    let nd = out.ndim();
    let v = |r: R<Variable>| r.map(G::V);
    // a scalar-level `zeros_like(x, dtype)`: second(x, constant 0)
    let sz = |x: &Variable, d: DType| b.fill(x, &b.bconst(0.0, d, nd)?);
    // the zero gradient of a piecewise-constant op
    let zero_of = |x: &Variable| -> R<Variable> {
        let z = sz(x, x.dtype())?;
        if x.dtype().is_float() {
            Ok(z)
        } else {
            b.cast(&z, float_x())
        }
    };
    // a float constant in the output's dtype
    let fc = |c: f64| b.bconst(c, out.dtype(), nd);
    let x = ins.first().cloned().ok_or_else(|| {
        GradError::Invalid(format!("theano-grad internal error: {s} without inputs"))
    })?;
    let y = ins.get(1).cloned();
    let y = || {
        y.clone().ok_or_else(|| {
            GradError::Invalid(format!("theano-grad internal error: {s} needs two inputs"))
        })
    };
    Ok(match s {
        Add => vec![G::V(gz.clone()); ins.len()],
        Sub => vec![G::V(gz.clone()), v(b.neg(gz))?],
        Mul => (0..ins.len())
            .map(|i| {
                let mut args = vec![gz.clone()];
                args.extend(
                    ins.iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .map(|(_, a)| a.clone()),
                );
                v(b.ew(Mul, args))
            })
            .collect::<R<_>>()?,
        TrueDiv => {
            let y = y()?;
            if x.dtype().is_discrete() && y.dtype().is_discrete() {
                vec![v(zero_of(&x))?, v(zero_of(&y))?]
            } else {
                vec![
                    v(b.div(gz, &y))?,
                    v(b.div(&b.neg(&b.mul(gz, &x)?)?, &b.mul(&y, &y)?))?,
                ]
            }
        }
        IntDiv => vec![v(sz(&x, float_x()))?, v(sz(&y()?, float_x()))?],
        Mod => {
            let y = y()?;
            let q = b.bin(IntDiv, &x, &y)?;
            vec![G::V(gz.clone()), v(b.mul(&b.neg(&q)?, gz))?]
        }
        Pow => {
            let y = y()?;
            let first = b.mul(
                &b.mul(gz, &y)?,
                &b.bin(Pow, &x, &b.sub(&y, &b.int_lit(1, nd)?)?)?,
            )?;
            let second = b.mul(&b.mul(gz, &b.un(Log, &x)?)?, &b.bin(Pow, &x, &y)?)?;
            let second = b.ew(
                Switch,
                vec![
                    b.bin(Eq, &x, &b.int_lit(0, nd)?)?,
                    b.int_lit(0, nd)?,
                    second,
                ],
            )?;
            vec![G::V(first), G::V(second)]
        }
        Neg => vec![v(b.neg(gz))?],
        Exp | Expm1 => vec![v(b.mul(gz, &b.un(Exp, &x)?))?],
        Log => vec![v(b.div(gz, &x))?],
        Log1p => vec![v(b.div(gz, &b.add(&b.int_lit(1, nd)?, &x)?))?],
        Tanh => vec![v(b.mul(
            gz,
            &b.sub(&b.int_lit(1, nd)?, &b.un(Sqr, &b.un(Tanh, &x)?)?)?,
        ))?],
        Sigmoid => {
            let sy = b.un(Sigmoid, &x)?;
            vec![v(b.mul(
                &b.mul(gz, &sy)?,
                &b.sub(&b.float_lit(1.0, nd)?, &sy)?,
            ))?]
        }
        Softplus => vec![v(b.mul(gz, &b.un(Sigmoid, &x)?))?],
        Abs => {
            if x.dtype().is_float() {
                vec![v(b.mul(gz, &b.un(Sgn, &x)?))?]
            } else {
                vec![v(zero_of(&x))?]
            }
        }
        Sgn | Floor | Ceil | RoundHalfToEven | RoundHalfAwayFromZero => {
            vec![v(zero_of(&x))?]
        }
        // Theano's Trunc.grad: `x.zeros_like().astype(floatX)`
        Trunc => vec![v(b.cast(&sz(&x, x.dtype())?, float_x()))?],
        // Theano 1.0's catalogue (scalar/basic.py, basic_scipy.py, nnet/sigm.py): the same
        // formulas; constants in the output's float dtype (Theano's `numpy.cast[x.type]` and
        // `upcast(x, gz)` constants, which are that dtype for float inputs)
        Sin => vec![v(b.mul(gz, &b.un(Cos, &x)?))?],
        Cos => vec![v(b.mul(&b.neg(gz)?, &b.un(Sin, &x)?))?],
        Tan => vec![v(b.div(gz, &b.un(Sqr, &b.un(Cos, &x)?)?))?],
        ArcSin | ArcCos => {
            let g = if *s == ArcCos { b.neg(gz)? } else { gz.clone() };
            let d = b.un(Sqrt, &b.sub(&fc(1.0)?, &b.un(Sqr, &x)?)?)?;
            vec![v(b.div(&g, &d))?]
        }
        ArcTan => vec![v(b.div(gz, &b.add(&fc(1.0)?, &b.un(Sqr, &x)?)?))?],
        ArcTan2 => {
            let y = y()?;
            let d = b.add(&b.un(Sqr, &y)?, &b.un(Sqr, &x)?)?;
            vec![
                v(b.div(&b.mul(gz, &y)?, &d))?,
                v(b.div(&b.mul(gz, &b.neg(&x)?)?, &d))?,
            ]
        }
        Sinh => vec![v(b.mul(gz, &b.un(Cosh, &x)?))?],
        Cosh => vec![v(b.mul(gz, &b.un(Sinh, &x)?))?],
        ArcSinh => vec![v(
            b.div(gz, &b.un(Sqrt, &b.add(&b.un(Sqr, &x)?, &fc(1.0)?)?)?)
        )?],
        ArcCosh => vec![v(
            b.div(gz, &b.un(Sqrt, &b.sub(&b.un(Sqr, &x)?, &fc(1.0)?)?)?)
        )?],
        ArcTanh => vec![v(b.div(gz, &b.sub(&fc(1.0)?, &b.un(Sqr, &x)?)?))?],
        // Theano: `gz * exp2(x) * log(numpy.cast[x.dtype](2))`, a log node of a constant
        Exp2 => vec![v(b.mul(
            &b.mul(gz, &b.un(Exp2, &x)?)?,
            &b.un(Log, &b.bconst(2.0, x.dtype(), nd)?)?,
        ))?],
        Log2 => vec![v(b.div(gz, &b.mul(&x, &fc(std::f64::consts::LN_2)?)?))?],
        // Theano: `gz / (x * numpy.log(10.0))`, a float64 constant whatever x's dtype
        Log10 => vec![v(b.div(
            gz,
            &b.mul(&x, &b.bconst(std::f64::consts::LN_10, DType::Float64, nd)?)?,
        ))?],
        Erf | Erfc => {
            let g = if *s == Erfc { b.neg(gz)? } else { gz.clone() };
            let e = b.un(Exp, &b.mul(&b.neg(&x)?, &x)?)?;
            vec![v(b.mul(
                &b.mul(&g, &fc(std::f64::consts::FRAC_2_SQRT_PI)?)?,
                &e,
            ))?]
        }
        Erfinv | Erfcinv => {
            let g = if *s == Erfcinv {
                b.neg(gz)?
            } else {
                gz.clone()
            };
            let sq = b.bin(Pow, &b.un(s.clone(), &x)?, &b.int_lit(2, nd)?)?;
            vec![v(b.mul(
                &b.mul(&g, &fc(std::f64::consts::PI.sqrt() / 2.0)?)?,
                &b.un(Exp, &sq)?,
            ))?]
        }
        Gamma => vec![v(b.mul(&b.mul(gz, &b.un(Gamma, &x)?)?, &b.un(Psi, &x)?))?],
        GammaLn => vec![v(b.mul(gz, &b.un(Psi, &x)?))?],
        Psi => vec![v(b.mul(gz, &b.un(TriGamma, &x)?))?],
        // Theano 1.0's TriGamma has no gradient (`grad_not_implemented`)
        TriGamma => vec![G::Null(
            "the gradient of tri_gamma (the tetragamma function) is not implemented".into(),
        )],
        Inv => vec![v(b.div(&b.neg(gz)?, &b.mul(&x, &x)?))?],
        Deg2Rad => vec![v(b.mul(gz, &fc(std::f64::consts::PI / 180.0)?))?],
        Rad2Deg => vec![v(b.mul(gz, &fc(180.0 / std::f64::consts::PI)?))?],
        Softsign => {
            let d = b.add(&b.float_lit(1.0, nd)?, &b.un(Abs, &x)?)?;
            vec![v(b.div(gz, &b.mul(&d, &d)?))?]
        }
        // Theano 1.0's UltraFastScalarSigmoid defines no gradient (its grad() raises)
        UltraFastSigmoid => {
            return Err(GradError::NotImplemented {
                op: "Elemwise{ultra_fast_sigmoid}".into(),
                why: "Theano 1.0's ultra_fast_sigmoid has no gradient; use sigmoid".into(),
            })
        }
        Sqr => vec![v(b.mul(&b.mul(gz, &x)?, &b.int_lit(2, nd)?))?],
        Sqrt => vec![v(
            b.div(&b.mul(gz, &b.float_lit(0.5, nd)?)?, &b.un(Sqrt, &x)?)
        )?],
        Maximum | Minimum => {
            let y = y()?;
            let e = b.bin(Eq, out, &x)?;
            let one = b.bconst(1.0, gz.dtype(), nd)?;
            let _ = &y;
            vec![v(b.mul(&e, gz))?, v(b.mul(&b.sub(&one, &e)?, gz))?]
        }
        Clip => {
            let (mn, mx) = (ins[1].clone(), ins[2].clone());
            let inside = b.bin(And, &b.bin(Ge, &x, &mn)?, &b.bin(Le, &x, &mx)?)?;
            vec![
                v(b.mul(&inside, gz))?,
                v(b.mul(&b.bin(Lt, &x, &mn)?, gz))?,
                v(b.mul(&b.bin(Gt, &x, &mx)?, gz))?,
            ]
        }
        Switch => {
            let cond = &x;
            let cond_grad = b.cast(&sz(cond, cond.dtype())?, float_x())?;
            let zero = || b.float_lit(0.0, nd);
            vec![
                G::V(cond_grad),
                v(b.ew(Switch, vec![cond.clone(), gz.clone(), zero()?]))?,
                v(b.ew(Switch, vec![cond.clone(), zero()?, gz.clone()]))?,
            ]
        }
        Second => {
            let y = y()?;
            if y.dtype().is_float() {
                vec![G::Disc, G::V(gz.clone())]
            } else {
                vec![G::Disc, v(sz(&y, y.dtype()))?]
            }
        }
        Identity => {
            if x.dtype().is_float() {
                vec![G::V(gz.clone())]
            } else {
                vec![v(sz(&x, float_x()))?]
            }
        }
        Composite(_) => unreachable!("refused above"),
        Cast(d) => {
            if d.is_float() {
                vec![G::V(gz.clone())]
            } else {
                vec![v(zero_of(&x))?]
            }
        }
        // comparisons and bit operations have discrete outputs: handled by the caller
        Gt | Lt | Ge | Le | Eq | Neq | And | Or | Xor | Invert | IsNan | IsInf => {
            ins.iter().map(|i| v(zero_of(i))).collect::<R<_>>()?
        }
    })
}

/// The BLAS ops only appear in optimized graphs, which are not differentiated.
pub(crate) fn blas_not_implemented(op: &Op) -> GradError {
    GradError::NotImplemented {
        op: op.name(),
        why: "BLAS ops are introduced by the optimizer; differentiate the graph before optimizing"
            .into(),
    }
}

/// Theano's `BatchedDot.grad`: by the ranks of x, y and gz, batched products and broadcast
/// elementwise products.
fn batched_dot_grad(b: &B, x: &Variable, y: &Variable, gz: &Variable) -> R<Vec<G>> {
    let bd = |u: &Variable, v: &Variable| b.apply1(Op::BatchedDot, vec![u.clone(), v.clone()]);
    let tr = |u: &Variable| b.ds(u, vec![Some(0), Some(2), Some(1)]);
    let (gx, gy) = match (x.ndim(), y.ndim(), gz.ndim()) {
        (_, _, 1) => {
            let g = b.ds(gz, vec![Some(0), None])?;
            (b.mul(&g, y)?, b.mul(&g, x)?)
        }
        (2, 3, _) => (
            bd(gz, &tr(y)?)?,
            b.mul(
                &b.ds(x, vec![Some(0), Some(1), None])?,
                &b.ds(gz, vec![Some(0), None, Some(1)])?,
            )?,
        ),
        (3, 2, _) => (
            b.mul(
                &b.ds(gz, vec![Some(0), Some(1), None])?,
                &b.ds(y, vec![Some(0), None, Some(1)])?,
            )?,
            bd(&tr(x)?, gz)?,
        ),
        _ => (bd(gz, &tr(y)?)?, bd(&tr(x)?, gz)?),
    };
    Ok(vec![
        G::V(b.patternbroadcast(&gx, x)?),
        G::V(b.patternbroadcast(&gy, y)?),
    ])
}
