//! Forward mode (`rop`), `jacobian` and `hessian`.

use crate::build::{B, R};
use crate::core::{grad_at, DisconnectedInputs, GradOptions};
use crate::markers::GradMarker;
use crate::rules::{l_op, scalar_grad, G};
use crate::GradError;
use std::collections::HashMap;
use std::panic::Location;
use theano_ir::graph::toposort;
use theano_ir::{ApplyRef, Op, ReduceKind, Tensor, Variable};

/// The R-operator: `sum_j d f[i] / d wrt[j] · eval_points[j]` for each `f[i]` (the
/// Jacobian-vector product); `eval_points[j]` has the type of `wrt[j]`.
///
/// Elemwise, DimShuffle, Sum, Dot, Softmax, LogSoftmax, Reshape, Flatten, the indexing ops,
/// Alloc, Join and MakeVector have forward rules; every other differentiable op (Prod,
/// Max/Min, MaxAndArgmax...) goes through the double-L-op trick (`R(v) = d/du <L(u), v>`).
/// Leaves that are not in `wrt` have a zero derivative (no node is built for them). An `f[i]`
/// that does not depend on any `wrt` is a [`GradError::RopDisconnected`].
#[track_caller]
pub fn rop(
    f: &[Variable],
    wrt: &[Variable],
    eval_points: &[Variable],
) -> Result<Vec<Variable>, GradError> {
    let b = B {
        loc: Location::caller(),
        unnamed: false,
    };
    if wrt.len() != eval_points.len() {
        return Err(GradError::Invalid(format!(
            "rop: {} variables but {} evaluation points",
            wrt.len(),
            eval_points.len()
        )));
    }
    let mut ev: HashMap<u64, Option<Variable>> = HashMap::new();
    for (w, e) in wrt.iter().zip(eval_points) {
        if w.ndim() != e.ndim() {
            return Err(GradError::Invalid(format!(
                "rop: the evaluation point for {w} (type {}) has type {}",
                w.ty(),
                e.ty()
            )));
        }
        ev.insert(w.id(), Some(b.coerce(e, w)?));
    }
    for node in toposort(f) {
        let evs: Vec<Option<Variable>> = node
            .inputs()
            .iter()
            .map(|i| ev.get(&i.id()).cloned().flatten())
            .collect();
        let outs = node.outputs();
        if outs.iter().any(|o| ev.contains_key(&o.id())) {
            continue; // an output is itself a wrt
        }
        let r = if evs.iter().all(Option::is_none) {
            vec![None; outs.len()]
        } else {
            r_op(&b, &node, &evs)?
        };
        for (o, r) in outs.iter().zip(r) {
            let r = match r {
                Some(v) if o.dtype().is_float() => Some(b.coerce(&v, o)?),
                _ => None,
            };
            ev.insert(o.id(), r);
        }
    }
    f.iter()
        .map(|o| {
            ev.get(&o.id())
                .cloned()
                .flatten()
                .ok_or_else(|| GradError::RopDisconnected {
                    var: o.to_string(),
                    ty: o.ty(),
                })
        })
        .collect()
}

fn or_zeros(b: &B, e: &Option<Variable>, x: &Variable) -> R<Variable> {
    match e {
        Some(v) => Ok(v.clone()),
        None => b.float_zeros_like(x),
    }
}

fn same_op(b: &B, node: &ApplyRef, ins: Vec<Variable>) -> R<Option<Variable>> {
    Ok(Some(b.apply1(node.op().clone(), ins)?))
}

/// The forward derivative of each output of `node` given its inputs' (None = zero).
fn r_op(b: &B, node: &ApplyRef, ev: &[Option<Variable>]) -> R<Vec<Option<Variable>>> {
    let ins = node.inputs();
    let out = node.output(0);
    let with_rest = |first: Vec<Variable>, from: usize| -> Vec<Variable> {
        let mut v = first;
        v.extend(ins[from..].iter().cloned());
        v
    };
    let r = match node.op() {
        Op::Elemwise { scalar, .. } => {
            if !out.dtype().is_float() {
                return Ok(vec![None]);
            }
            let ones = b.ones_like(&out, None)?;
            let bg = scalar_grad(b, scalar, ins, &out, &ones)?;
            let mut acc: Option<Variable> = None;
            for (g, e) in bg.iter().zip(ev) {
                // an undefined partial derivative (tri_gamma's) along a varying input
                if let (G::Null(why), Some(_)) = (g, e) {
                    return Err(GradError::Undefined {
                        var: out.to_string(),
                        why: why.clone(),
                    });
                }
                if let (G::V(g), Some(e)) = (g, e) {
                    let t = b.mul(g, e)?;
                    acc = Some(match acc {
                        None => t,
                        Some(a) => b.add(&a, &t)?,
                    });
                }
            }
            acc
        }
        Op::DimShuffle { .. }
        | Op::Reduce {
            kind: ReduceKind::Sum,
            ..
        }
        | Op::Softmax
        | Op::LogSoftmax
            if ev[0].is_none() =>
        {
            None
        }
        Op::DimShuffle { .. }
        | Op::Reduce {
            kind: ReduceKind::Sum,
            ..
        } => same_op(b, node, vec![ev[0].clone().unwrap_or_else(|| out.clone())])?,
        Op::Dot => {
            let t1 = match &ev[0] {
                Some(e) => Some(b.dot(e, &ins[1])?),
                None => None,
            };
            let t2 = match &ev[1] {
                Some(e) => Some(b.dot(&ins[0], e)?),
                None => None,
            };
            match (t1, t2) {
                (Some(a), Some(c)) => Some(b.add(&a, &c)?),
                (a, c) => a.or(c),
            }
        }
        Op::Softmax => {
            // the Jacobian of softmax is symmetric: R = L
            let t = l_op(
                b,
                node,
                &[G::V(ev[0].clone().unwrap_or_else(|| out.clone()))],
            )?;
            t.into_iter().next().and_then(|g| g.var().cloned())
        }
        Op::LogSoftmax => {
            // J v = v - sum(softmax * v) along the last axis
            let e = ev[0].clone().unwrap_or_else(|| out.clone());
            let last = out.ndim() - 1;
            let sm = b.apply1(Op::Softmax, vec![ins[0].clone()])?;
            let s = b.sum(&b.mul(&sm, &e)?, Some(vec![last]), true)?;
            Some(b.sub(&e, &s)?)
        }
        Op::Reshape { .. }
        | Op::Flatten { .. }
        | Op::SpecifyShape
        | Op::Subtensor { .. }
        | Op::AdvancedSubtensor1
        | Op::AdvancedSubtensor { .. }
        | Op::AdvancedBooleanSubtensor
        | Op::DeepCopy
        | Op::Alloc => match &ev[0] {
            None => None,
            Some(e) => same_op(b, node, with_rest(vec![e.clone()], 1))?,
        },
        Op::IncSubtensor { .. }
        | Op::AdvancedIncSubtensor1 { .. }
        | Op::AdvancedIncSubtensor { .. }
        | Op::AdvancedBooleanIncSubtensor { .. } => {
            if ev[0].is_none() && ev[1].is_none() {
                None
            } else {
                let ex = or_zeros(b, &ev[0], &ins[0])?;
                let ey = or_zeros(b, &ev[1], &ins[1])?;
                let ey = b.cast(&ey, ins[1].dtype())?;
                same_op(b, node, with_rest(vec![ex, ey], 2))?
            }
        }
        Op::Join { .. } | Op::MakeVector { .. } => {
            let v = ins
                .iter()
                .zip(ev)
                .map(|(x, e)| or_zeros(b, e, x))
                .collect::<R<Vec<_>>>()?;
            same_op(b, node, v)?
        }
        // pooling: Theano's R_op (the mean or sum of the evaluation point's windows; for max
        // pooling the evaluation point at each window's maximum, DownsampleFactorMaxGradGrad);
        // the gradient ops are linear in their last tensor input
        Op::Pool {
            kind,
            ignore_border,
            mode,
            ndim,
        } => {
            let n = kind.n_tensors();
            match &ev[n - 1] {
                None => None,
                Some(_) if !out.dtype().is_float() => None,
                Some(e) => {
                    let mut v: Vec<Variable> = ins.to_vec();
                    let op = if *kind == theano_ir::PoolKind::Pool
                        && *mode == theano_ir::PoolMode::Max
                    {
                        v = vec![ins[0].clone(), out.clone(), e.clone()];
                        v.extend(ins[1..].iter().cloned());
                        Op::Pool {
                            kind: theano_ir::PoolKind::MaxPoolGradGrad,
                            ignore_border: *ignore_border,
                            mode: *mode,
                            ndim: *ndim,
                        }
                    } else {
                        v[n - 1] = e.clone();
                        node.op().clone()
                    };
                    Some(b.apply1(op, v)?)
                }
            }
        }
        // bilinear in the first two inputs: the op on each evaluation point, summed
        Op::AbstractConv2d { .. } => {
            if !out.dtype().is_float() {
                return Ok(vec![None]);
            }
            let mut acc: Option<Variable> = None;
            for k in 0..2 {
                if let Some(e) = &ev[k] {
                    let mut v: Vec<Variable> = ins.to_vec();
                    v[k] = e.clone();
                    let t = b.apply1(node.op().clone(), v)?;
                    acc = Some(match acc {
                        None => t,
                        Some(a) => b.add(&a, &t)?,
                    });
                }
            }
            acc
        }
        Op::Shape
        | Op::ShapeI(_)
        | Op::AllocEmpty { .. }
        | Op::ARange { .. }
        | Op::Argmax { .. }
        | Op::Eye { .. }
        | Op::Tri { .. } => None,
        // linear in x: the same op on the evaluation point (Theano 1.0 has no R_op for these)
        Op::CumOp {
            mode: theano_ir::CumMode::Add,
            ..
        }
        | Op::Repeat { .. }
        | Op::PermuteRowElements => match &ev[0] {
            Some(e) if out.dtype().is_float() => same_op(b, node, with_rest(vec![e.clone()], 1))?,
            _ => None,
        },
        Op::CumOp { .. } | Op::Sort { .. } => {
            if !out.dtype().is_float() {
                None
            } else {
                double_lop(b, node, ev)?
            }
        }
        // integer outputs
        Op::ArgSort { .. } | Op::Nonzero => None,
        Op::BatchedDot => {
            // Theano's BatchedDot.R_op: batched_dot(ex, y) + batched_dot(x, ey)
            let t1 = match &ev[0] {
                Some(e) => Some(b.apply1(Op::BatchedDot, vec![e.clone(), ins[1].clone()])?),
                None => None,
            };
            let t2 = match &ev[1] {
                Some(e) => Some(b.apply1(Op::BatchedDot, vec![ins[0].clone(), e.clone()])?),
                None => None,
            };
            match (t1, t2) {
                (Some(a), Some(c)) => Some(b.add(&a, &c)?),
                (a, c) => a.or(c),
            }
        }
        // linear in their one input
        Op::ExtractDiag { .. } | Op::AllocDiag { .. } => match &ev[0] {
            None => None,
            Some(e) => same_op(b, node, vec![e.clone()])?,
        },
        op @ (Op::Gemv { .. } | Op::Gemm { .. } | Op::Ger { .. } | Op::Dot22) => {
            return Err(crate::rules::blas_not_implemented(op))
        }
        // Theano's IfElse.R_op: the same choice between the branches' derivatives (a
        // discrete output has none)
        Op::IfElse { n_outs } => {
            let n = *n_outs;
            let kept: Vec<usize> = (0..n)
                .filter(|&i| {
                    node.output(i).dtype().is_float()
                        && (ev[1 + i].is_some() || ev[1 + n + i].is_some())
                })
                .collect();
            if kept.is_empty() {
                return Ok(vec![None; n]);
            }
            let mut v = vec![ins[0].clone()];
            for &i in &kept {
                v.push(or_zeros(b, &ev[1 + i], &ins[1 + i])?);
            }
            for &i in &kept {
                v.push(or_zeros(b, &ev[1 + n + i], &ins[1 + n + i])?);
            }
            let outs = b.apply(Op::IfElse { n_outs: kept.len() }, v)?.outputs();
            let mut r = vec![None; n];
            for (&i, o) in kept.iter().zip(outs) {
                r[i] = Some(o);
            }
            return Ok(r);
        }
        op @ Op::Custom(_) => match GradMarker::of(op) {
            Some(GradMarker::ZeroGrad) => match &ev[0] {
                Some(e) => Some(b.zeros_like(e, None)?),
                None => None,
            },
            Some(_) => None,
            None => return custom_rop(node, ev),
        },
        Op::Reduce { .. }
        | Op::MaxAndArgmax { .. }
        | Op::SoftmaxGrad
        | Op::ProdWithoutZeros { .. }
        | Op::SoftmaxWithBias
        | Op::CrossentropySoftmaxArgmax1HotWithBias
        | Op::CrossentropySoftmax1HotWithBiasDx
        | Op::CrossentropyCategorical1Hot
        | Op::CrossentropyCategorical1HotGrad => {
            if !out.dtype().is_float() {
                None
            } else {
                double_lop(b, node, ev)?
            }
        }
    };
    let mut v = vec![r];
    v.resize(node.n_outputs(), None);
    Ok(v)
}

/// `R(v) = d/du sum_j <L_j(u), v_j>` with `u` a placeholder of the output's type, replaced by
/// `zeros_like(output)` afterwards (the result is linear in u, so it no longer depends on it).
/// A user op's R-operator, through its [`theano_ir::CustomOp::rop`] hook.
fn custom_rop(node: &ApplyRef, ev: &[Option<Variable>]) -> R<Vec<Option<Variable>>> {
    let op = node.op();
    let Op::Custom(c) = op else {
        unreachable!("called for custom ops")
    };
    let outs = node.outputs();
    let Some(r) = c.0.rop(node.inputs(), &outs, ev) else {
        return Err(GradError::NotImplemented {
            op: op.name(),
            why: "the custom op has no R_op (implement CustomOp::rop)".into(),
        });
    };
    let rs = r.map_err(|m| GradError::Invalid(format!("{}: R_op: {m}", op.name())))?;
    if rs.len() != outs.len() {
        return Err(GradError::Invalid(format!(
            "{}: CustomOp::rop returned {} values for {} outputs",
            op.name(),
            rs.len(),
            outs.len()
        )));
    }
    for (r, o) in rs.iter().zip(&outs) {
        if let Some(r) = r {
            if r.ndim() != o.ndim() {
                return Err(GradError::Invalid(format!(
                    "{}: CustomOp::rop gave {} for output {o} of type {}",
                    op.name(),
                    r.ty(),
                    o.ty()
                )));
            }
        }
    }
    Ok(rs)
}

fn double_lop(b: &B, node: &ApplyRef, ev: &[Option<Variable>]) -> R<Option<Variable>> {
    let out = node.output(0);
    let u = Variable::input(out.ty(), Some("u"));
    let mut og = vec![G::V(u.clone())];
    og.resize(node.n_outputs(), G::Disc);
    let terms = l_op(b, node, &og)?;
    let mut s: Option<Variable> = None;
    for (t, e) in terms.iter().zip(ev) {
        if let (G::V(t), Some(e)) = (t, e) {
            let p = b.sum(&b.mul(t, e)?, None, false)?;
            s = Some(match s {
                None => p,
                Some(a) => b.add(&a, &p)?,
            });
        }
    }
    let Some(s) = s else { return Ok(None) };
    let opts = GradOptions::new()
        .disconnected_inputs(DisconnectedInputs::Ignore)
        .add_names(false);
    let g = grad_at(Some(&s), std::slice::from_ref(&u), &opts, b.loc)?;
    let z = b.zeros_like(&out, None)?;
    Ok(Some(clone_replace(b, &g[0], &u, &z)?))
}

/// A copy of the graph of `out` with `old` replaced by `new` (nodes rebuilt where needed).
fn clone_replace(b: &B, out: &Variable, old: &Variable, new: &Variable) -> R<Variable> {
    let mut map: HashMap<u64, Variable> = HashMap::new();
    map.insert(old.id(), new.clone());
    for node in toposort(std::slice::from_ref(out)) {
        if !node.inputs().iter().any(|i| map.contains_key(&i.id())) {
            continue;
        }
        let ins: Vec<Variable> = node
            .inputs()
            .iter()
            .map(|i| map.get(&i.id()).cloned().unwrap_or_else(|| i.clone()))
            .collect();
        let n = b.apply(node.op().clone(), ins)?;
        for (o, no) in node.outputs().iter().zip(n.outputs()) {
            map.insert(o.id(), no);
        }
    }
    Ok(map.get(&out.id()).cloned().unwrap_or_else(|| out.clone()))
}

/// The Jacobian of a vector (or scalar) `expression` with respect to each `wrt`, for an
/// expression of known length `n`: `stack([grad(expression[i], wrt) for i in 0..n])`, of
/// shape `(n,) + wrt.shape`. Theano builds it with `scan` over `arange(expression.shape[0])`;
/// theano-rs has no scan yet, so the caller gives the length and the graph has `n` gradient
/// subgraphs. A 0-d expression gives `grad(expression, wrt)` (and `n` is ignored).
#[track_caller]
pub fn jacobian(
    expression: &Variable,
    wrt: &[Variable],
    n: usize,
) -> Result<Vec<Variable>, GradError> {
    jacobian_at(
        expression,
        wrt,
        n,
        DisconnectedInputs::Raise,
        Location::caller(),
    )
}

fn jacobian_at(
    expression: &Variable,
    wrt: &[Variable],
    n: usize,
    disc: DisconnectedInputs,
    loc: &'static Location<'static>,
) -> R<Vec<Variable>> {
    let b = B::new(loc);
    let opts = GradOptions::new().disconnected_inputs(disc);
    match expression.ndim() {
        0 => grad_at(Some(expression), wrt, &opts, loc),
        1 => {
            if n == 0 {
                return Err(GradError::Invalid(
                    "jacobian: the expression length n must be at least 1".into(),
                ));
            }
            // the rows are taken for the length n given here; a call whose expression has
            // another length is refused (SpecifyShape names both) rather than cut or padded
            let len = Variable::constant_bounded(Tensor::from(vec![n as i64]));
            let checked = b.apply1(Op::SpecifyShape, vec![expression.clone(), len])?;
            let mut rows: Vec<Vec<Variable>> = vec![Vec::with_capacity(n); wrt.len()];
            for i in 0..n {
                let e = b.index_const(&checked, 0, i as i64)?;
                for (k, g) in grad_at(Some(&e), wrt, &opts, loc)?.into_iter().enumerate() {
                    let order = std::iter::once(None)
                        .chain((0..g.ndim()).map(Some))
                        .collect();
                    rows[k].push(b.ds(&g, order)?);
                }
            }
            rows.into_iter()
                .map(|r| b.apply1(Op::Join { axis: 0 }, r))
                .collect()
        }
        _ => Err(GradError::Invalid(format!(
            "jacobian expects a vector or scalar expression (flatten it first), got {}",
            expression.ty()
        ))),
    }
}

/// The Hessian of the scalar `cost` with respect to each vector `wrt` of known length `n`:
/// the Jacobian of the gradient (see [`jacobian`] for why `n` is given).
#[track_caller]
pub fn hessian(cost: &Variable, wrt: &[Variable], n: usize) -> Result<Vec<Variable>, GradError> {
    let loc = Location::caller();
    if cost.ndim() != 0 {
        return Err(GradError::NonScalarCost { ty: cost.ty() });
    }
    let mut out = Vec::with_capacity(wrt.len());
    for w in wrt {
        if w.ndim() != 1 {
            return Err(GradError::Invalid(format!(
                "hessian expects vector variables, got {w} of type {}",
                w.ty()
            )));
        }
        let g = grad_at(
            Some(cost),
            std::slice::from_ref(w),
            &GradOptions::new(),
            loc,
        )?;
        let h = jacobian_at(
            &g[0],
            std::slice::from_ref(w),
            n,
            DisconnectedInputs::Ignore,
            loc,
        )?;
        out.extend(h);
    }
    Ok(out)
}
