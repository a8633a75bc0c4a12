//! Theano's `opt_uncanonicalize` reductions: the builders put only `MaxAndArgmax` in graphs
//! (it has a gradient and an R-op); once the graph is differentiated, a `MaxAndArgmax` whose
//! argmax nobody reads is a `Reduce{maximum}`, and `-max(-x)` (how `min` is built) is a
//! `Reduce{minimum}`. Both are exact.

use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{Op, ReduceKind, ScalarOp};

/// `max_and_argmax_to_max` (Theano's `local_max_and_argmax`, its max half):
/// `MaxAndArgmax{axes}(x).0 -> Reduce{maximum}{axes}(x)` when the argmax is not read.
pub(crate) fn max_and_argmax_to_max(fg: &mut FunctionGraph, n: Node) -> Vec<(Value, Value)> {
    let Op::MaxAndArgmax { axes } = fg.op(n).clone() else {
        return vec![];
    };
    let outs = fg.node_outputs(n).to_vec();
    if fg.n_uses(outs[1]) != 0 {
        return vec![];
    }
    let x = fg.node_inputs(n)[0];
    let op = Op::Reduce {
        kind: ReduceKind::Max,
        axes: Some(axes),
        dtype: None,
    };
    match fg.add_node1(op, &[x], fg.location(n)) {
        Ok(r) if fg.ty(r) == fg.ty(outs[0]) => vec![(outs[0], r)],
        _ => vec![],
    }
}

/// `argmax_only` (Theano's `local_max_and_argmax`, its argmax half):
/// `MaxAndArgmax{axes}(x).1 -> Argmax{axes}(x)` when the max is not read.
pub(crate) fn argmax_only(fg: &mut FunctionGraph, n: Node) -> Vec<(Value, Value)> {
    let Op::MaxAndArgmax { axes } = fg.op(n).clone() else {
        return vec![];
    };
    let outs = fg.node_outputs(n).to_vec();
    if fg.n_uses(outs[0]) != 0 {
        return vec![];
    }
    let x = fg.node_inputs(n)[0];
    match fg.add_node1(Op::Argmax { axes }, &[x], fg.location(n)) {
        Ok(r) if fg.ty(r) == fg.ty(outs[1]) => vec![(outs[1], r)],
        _ => vec![],
    }
}

/// `max_to_min` (Theano's `local_max_to_min`): `-Reduce{maximum}(-x) -> Reduce{minimum}(x)`,
/// for floats only: an integer negation wraps at the dtype's minimum (`-(-128)` is `-128` in
/// int8), so there `-max(-x)` is not `min(x)` (found by the differential test; Theano rewrites
/// integers too, changing the value).
pub(crate) fn max_to_min(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    if !fg.ty(fg.node_outputs(n)[0]).dtype.is_float() {
        return None;
    }
    let m = neg_input(fg, n)?;
    let ValueDef::Output { node: r, .. } = fg.def(m) else {
        return None;
    };
    let Op::Reduce {
        kind: ReduceKind::Max,
        axes,
        ..
    } = fg.op(r).clone()
    else {
        return None;
    };
    let ValueDef::Output { node: inner, .. } = fg.def(fg.node_inputs(r)[0]) else {
        return None;
    };
    let x = neg_input(fg, inner)?;
    let op = Op::Reduce {
        kind: ReduceKind::Min,
        axes,
        dtype: None,
    };
    let out = fg.node_outputs(n)[0];
    let r = fg.add_node1(op, &[x], fg.location(n)).ok()?;
    (fg.ty(r) == fg.ty(out)).then_some(r)
}

/// The input of `n` when it is a (not in place) `Elemwise{neg}`.
fn neg_input(fg: &FunctionGraph, n: Node) -> Option<Value> {
    match fg.op(n) {
        Op::Elemwise {
            scalar: ScalarOp::Neg,
            inplace: None,
        } => Some(fg.node_inputs(n)[0]),
        _ => None,
    }
}

/// `prod_without_zeros_expand`: `ProdWithoutZeros{axes}(v) -> Prod{axes}(switch(eq(v, 0), 1,
/// v))`, the op the product's gradient uses written with ops every backend runs (at the start
/// of canonicalize, as `softmax_grad_expand`).
pub(crate) fn prod_without_zeros_expand(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::ProdWithoutZeros { axes } = fg.op(n).clone() else {
        return None;
    };
    let v = fg.node_inputs(n)[0];
    let loc = fg.location(n);
    let zero = fg.add_constant(theano_ir::Tensor::full(theano_ir::DType::Int8, &[], 0.0));
    let one = fg.add_constant(theano_ir::Tensor::full(theano_ir::DType::Int8, &[], 1.0));
    let is_zero = crate::util::mk(fg, ScalarOp::Eq, &[v, zero], loc)?;
    let ones = crate::util::mk(fg, ScalarOp::Switch, &[is_zero, one, v], loc)?;
    let prod = Op::Reduce {
        kind: ReduceKind::Prod,
        axes,
        dtype: None,
    };
    let r = fg.add_node1(prod, &[ones], loc).ok()?;
    (fg.ty(r) == fg.ty(fg.node_outputs(n)[0])).then_some(r)
}

/// `sum_prod_all_to_none` (Theano's `local_sum_prod_all_to_none`): a `Sum` or `Prod` whose
/// axes are every axis of its input is written with no axes (`None`), as Theano canonicalizes
/// it (`Sum{axis=[0]}` of a vector prints `Sum{acc_dtype=float64}`). The same reduction.
pub(crate) fn sum_prod_all_to_none(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::Reduce {
        kind: kind @ (ReduceKind::Sum | ReduceKind::Prod),
        axes: Some(axes),
        dtype,
    } = fg.op(n).clone()
    else {
        return None;
    };
    let x = fg.node_inputs(n)[0];
    let nd = fg.ty(x).ndim();
    let mut sorted = axes;
    sorted.sort_unstable();
    sorted.dedup();
    if sorted != (0..nd).collect::<Vec<_>>() {
        return None;
    }
    let out = fg.node_outputs(n)[0];
    let r = fg
        .add_node1(
            Op::Reduce {
                kind,
                axes: None,
                dtype,
            },
            &[x],
            fg.location(n),
        )
        .ok()?;
    (fg.ty(r) == fg.ty(out)).then_some(r)
}
