//! The softmax-regression cost and its gradient to Theano's fused crossentropy ops
//! (`theano.tensor.nnet`'s `local_advanced_indexing_crossentropy_onehot`,
//! `local_advanced_indexing_crossentropy_onehot_grad`,
//! `graph_merge_softmax_with_crossentropy_softmax` and
//! `crossentropy_to_crossentropy_with_softmax`).
//!
//! - [`crossentropy_onehot`]: `-log(softmax(x + b))[arange(n), y]` (also after `log_softmax`
//!   stabilized it, and `-log(softmax(x + b)[arange(n), y])`) becomes `-nll` of
//!   `CrossentropySoftmaxArgmax1HotWithBias(x, b, y)`, finite for any finite logits.
//! - [`crossentropy_onehot_grad`]: the gradient `grad()` builds for that cost (zeros with the
//!   output gradient added at `[arange(n), y]`, divided by the softmax for the log, then the
//!   softmax gradient written out as `g*sm - sum(g*sm, 1)*sm`; or `g - sum(g, 1)*softmax` for
//!   `log_softmax`; or `inc(zeros, g / sm[arange(n), y]) * sm ...` for the log of the picked
//!   probabilities) becomes `CrossentropySoftmax1HotWithBiasDx(-g_picked, sm, y)`.
//! - [`crossentropy_softmax_share`]: any other `softmax(x + b)` (or `SoftmaxWithBias(x, b)`)
//!   reads the op's `sm` output, so the softmax is computed once.
//! - [`crossentropy_categorical_softmax`] (Theano's `crossentropy_to_crossentropy_with_softmax`):
//!   `categorical_crossentropy`'s `CrossentropyCategorical1Hot(Softmax(x), y)` becomes the
//!   fused op with Theano's zero bias `fill(x[0], 0)`; its gradient and the
//!   `SoftmaxWithBias` form are patterns of the table (`crossentropy_categorical_grad`,
//!   `crossentropy_categorical_softmax_with_bias`), as is `crossentropy_dx_useless_fill`
//!   ([`dnll_fill_is_useless`]).
//!
//! The rows must provably be `arange(len(y))` (start 0, step 1, stop equal to the labels'
//! length by the shape analysis), as in Theano. As in Theano the fused op requires one label
//! per row of the logits and every label in `0..n_classes` (a negative label, which numpy's
//! indexing would wrap, is an error naming the label).

use crate::shape::{canon, dim, shape_of, Sym};
use crate::util::{ew_inputs, fit, is_zeros, mk, scalar_const};
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{AdvEntry, DType, IdxEntry, Op, ScalarOp as S, Tensor, TensorType};

const XENT: Op = Op::CrossentropySoftmaxArgmax1HotWithBias;

fn out0(fg: &FunctionGraph, n: Node) -> Value {
    fg.node_outputs(n)[0]
}

/// `(rows, labels)` indexing both axes of a matrix with integer arrays: `x[rows, labels]`.
fn adv_rows_labels(fg: &FunctionGraph, n: Node) -> Option<(Value, Value, Value)> {
    let Op::AdvancedSubtensor { idx } = fg.op(n) else {
        return None;
    };
    if idx[..] != [AdvEntry::Array, AdvEntry::Array] {
        return None;
    }
    let ins = fg.node_inputs(n);
    (fg.ty(ins[0]).ndim() == 2).then(|| (ins[0], ins[1], ins[2]))
}

/// An int scalar of the graph, canonical (its value when constant).
fn canon_scalar(fg: &FunctionGraph, v: Value) -> Sym {
    canon(fg, &Sym::Val(v))
}

/// `rows` is provably `arange(len(labels))` and `labels` an integer vector.
pub(crate) fn rows_is_arange_len(fg: &FunctionGraph, rows: Value, labels: Value) -> bool {
    let (rt, lt) = (fg.ty(rows), fg.ty(labels));
    if rt.ndim() != 1 || !rt.dtype.is_int() || lt.ndim() != 1 || !lt.dtype.is_int() {
        return false;
    }
    let n = canon(fg, &dim(fg, labels, 0));
    if let Some(t) = fg.constant_value(rows) {
        let v = t.to_i64_vec();
        let k = v.len() as i64;
        return v.iter().enumerate().all(|(i, &r)| r == i as i64) && n == Sym::Const(k);
    }
    let Some(a) = fg.owner(rows) else {
        return false;
    };
    if !matches!(fg.op(a), Op::ARange { .. }) {
        return false;
    }
    let [start, stop, step] = fg.node_inputs(a)[..] else {
        return false;
    };
    [start, stop, step].iter().all(|&v| fg.ty(v).dtype.is_int())
        && canon_scalar(fg, start) == Sym::Const(0)
        && canon_scalar(fg, step) == Sym::Const(1)
        && (canon_scalar(fg, stop) == n || expanded(fg, &Sym::Val(stop)) == expanded(fg, &n))
}

/// `s` with every integer scalar of the graph it reads replaced by the arithmetic that computes
/// it (as far as elementwise int ops, constants and `Shape_i`s go), then normalized: sums and
/// products flattened with their constants folded, the operands of commutative ops sorted.
/// A dimension the canonicalize phase lifted into the graph (`shape_i_lift` materializes the
/// shape analysis, and the canonizers reorder it) compares equal to the analysis' own form.
fn expanded(fg: &FunctionGraph, s: &Sym) -> Sym {
    normalize(expand(fg, s, 64))
}

fn expand(fg: &FunctionGraph, s: &Sym, depth: usize) -> Sym {
    if depth == 0 {
        return s.clone();
    }
    match s {
        Sym::Val(v) => {
            if let Some(t) = fg.constant_value(*v) {
                if !t.dtype().is_float() {
                    if let Some(c) = t.scalar_i64() {
                        return Sym::Const(c);
                    }
                }
                return s.clone();
            }
            let Some(n) = fg.owner(*v) else {
                return s.clone();
            };
            let ins = fg.node_inputs(n);
            match fg.op(n) {
                Op::ShapeI(k) => {
                    let c = canon(fg, &Sym::Dim(ins[0], *k));
                    if c == Sym::Dim(ins[0], *k) {
                        c
                    } else {
                        expand(fg, &c, depth - 1)
                    }
                }
                Op::Elemwise { scalar, .. }
                    if fg.ty(*v).ndim() == 0
                        && matches!(fg.ty(*v).dtype, DType::Int64 | DType::Bool)
                        && ins
                            .iter()
                            .all(|&i| fg.ty(i).ndim() == 0 && !fg.ty(i).dtype.is_float()) =>
                {
                    let args: Vec<Sym> = ins
                        .iter()
                        .map(|&i| expand(fg, &Sym::Val(i), depth - 1))
                        .collect();
                    match (scalar, &args[..]) {
                        // a cast to int64 (of an integer or a bool) keeps the value
                        (S::Cast(DType::Int64), [a]) => a.clone(),
                        // a broadcast dimension, as the shape analysis builds it
                        (S::Switch, [Sym::Op(S::Eq, e), b, a])
                            if e[..] == [a.clone(), Sym::Const(1)] =>
                        {
                            Sym::broadcast(a.clone(), b.clone())
                        }
                        _ => Sym::op(scalar.clone(), args),
                    }
                }
                _ => s.clone(),
            }
        }
        Sym::Op(op, args) => Sym::op(
            op.clone(),
            args.iter().map(|a| expand(fg, a, depth - 1)).collect(),
        ),
        Sym::Bcast(args) => args
            .iter()
            .map(|a| expand(fg, a, depth - 1))
            .fold(Sym::Const(1), Sym::broadcast),
        _ => s.clone(),
    }
}

fn normalize(s: Sym) -> Sym {
    if let Sym::Bcast(args) = &s {
        return args
            .iter()
            .cloned()
            .map(normalize)
            .fold(Sym::Const(1), Sym::broadcast);
    }
    let Sym::Op(op, args) = s else {
        return s;
    };
    let mut args: Vec<Sym> = args.iter().cloned().map(normalize).collect();
    match op {
        S::Add | S::Mul => {
            let mut flat = Vec::new();
            let mut c: i64 = if op == S::Add { 0 } else { 1 };
            while let Some(a) = args.pop() {
                match a {
                    Sym::Op(ref o, ref inner) if *o == op => args.extend(inner.iter().cloned()),
                    Sym::Const(k) if op == S::Add => c = c.wrapping_add(k),
                    Sym::Const(k) => c = c.wrapping_mul(k),
                    other => flat.push(other),
                }
            }
            let identity = if op == S::Add { 0 } else { 1 };
            if op == S::Mul && c == 0 {
                return Sym::Const(0);
            }
            flat.sort_by_cached_key(|a| format!("{a:?}"));
            if c != identity || flat.is_empty() {
                flat.insert(0, Sym::Const(c));
            }
            if flat.len() == 1 {
                return flat.pop().expect("one");
            }
            Sym::Op(op, flat.into())
        }
        S::Maximum | S::Minimum | S::Eq => {
            args.sort_by_cached_key(|a| format!("{a:?}"));
            Sym::op(op, args)
        }
        // x - c is x + (-c); x - y stays
        S::Sub => match &args[..] {
            [x, Sym::Const(k)] => normalize(Sym::Op(
                S::Add,
                vec![x.clone(), Sym::Const(k.wrapping_neg())].into(),
            )),
            _ => Sym::op(S::Sub, args),
        },
        op => Sym::op(op, args),
    }
}

/// The softmax's input when `v` is `Softmax(z)` of a float matrix.
fn softmax_of(fg: &FunctionGraph, v: Value, op: Op) -> Option<Value> {
    let n = match fg.def(v) {
        ValueDef::Output { node, index: 0 } => node,
        _ => return None,
    };
    (*fg.op(n) == op && fg.ty(v).ndim() == 2).then(|| fg.node_inputs(n)[0])
}

/// `z` split as Theano's `softmax_with_bias` does: `x + DimShuffle{x,0}(b)` gives `(x, Some(b))`
/// (the last row-broadcast vector of a two-term sum), anything else `(z, None)` (zero bias).
fn split_bias(fg: &FunctionGraph, z: Value) -> (Value, Option<Value>) {
    if let Some([p, q]) = ew_inputs(fg, z, S::Add).as_deref() {
        let row_vec = |v: Value| -> Option<Value> {
            let n = fg.owner(v)?;
            match fg.op(n) {
                Op::DimShuffle { new_order, .. } if new_order[..] == [None, Some(0)] => {
                    let b = fg.node_inputs(n)[0];
                    fg.ty(b).dtype.is_float().then_some(b)
                }
                _ => None,
            }
        };
        for (x, bb) in [(*p, *q), (*q, *p)] {
            if let Some(b) = row_vec(bb) {
                if fg.ty(x).ndim() == 2 && fg.ty(x).dtype.is_float() {
                    return (x, Some(b));
                }
            }
        }
    }
    (z, None)
}

/// A zero bias for the logits `x`: a constant vector of zeros (the form this module and
/// `T::crossentropy_softmax_1hot` build), or Theano's `zeros_like(x[0])`, `fill(x[0], 0)`
/// (the form `crossentropy_categorical_softmax` builds).
fn is_zero_bias(fg: &FunctionGraph, b: Value, x: Value) -> bool {
    if fg.ty(b).ndim() != 1 {
        return false;
    }
    if fg.constant_value(b).is_some() {
        return scalar_const(fg, b) == Some(0.0);
    }
    match ew_inputs(fg, b, S::Second).as_deref() {
        Some([row, zero]) => {
            fg.constant_value(*zero).is_some()
                && scalar_const(fg, *zero) == Some(0.0)
                && is_row0_of(fg, *row, x)
        }
        _ => false,
    }
}

/// `v` is `x[0]` (a `Subtensor{int64}` of `x` at the constant 0).
fn is_row0_of(fg: &FunctionGraph, v: Value, x: Value) -> bool {
    let Some(r) = fg.owner(v) else {
        return false;
    };
    let Op::Subtensor { idx } = fg.op(r) else {
        return false;
    };
    let ins = fg.node_inputs(r);
    idx[..] == [IdxEntry::Index(DType::Int64)]
        && ins[0] == x
        && fg.constant_value(ins[1]).and_then(|t| t.scalar_i64()) == Some(0)
}

/// The `CrossentropySoftmaxArgmax1HotWithBias` node computing `softmax(z)` with labels `y`
/// (`y = None`: any labels), if the graph has one.
fn find_xent(fg: &FunctionGraph, z: Value, y: Option<Value>) -> Option<Node> {
    let (x, b) = split_bias(fg, z);
    fg.clients(x).iter().map(|c| c.node).find(|&n| {
        if !fg.is_alive(n) || *fg.op(n) != XENT {
            return false;
        }
        let ins = fg.node_inputs(n);
        let bias_ok = match b {
            Some(b) => ins[1] == b,
            None => is_zero_bias(fg, ins[1], x),
        };
        ins[0] == x && bias_ok && y.is_none_or(|y| ins[2] == y)
    })
}

/// The crossentropy node for `softmax(z)` and labels `y`: an existing one, or a new one.
fn xent_node(fg: &mut FunctionGraph, z: Value, y: Value, loc: crate::util::Loc) -> Option<Node> {
    if let Some(n) = find_xent(fg, z, Some(y)) {
        return Some(n);
    }
    let (x, b) = split_bias(fg, z);
    let b = match b {
        Some(b) => b,
        None => fg.add_constant(Tensor::zeros(fg.ty(x).dtype, &[1])),
    };
    let n = fg.add_node(XENT, &[x, b, y], loc).ok()?;
    // the fused op must compute exactly softmax(z)'s type
    (fg.ty(fg.node_outputs(n)[1]) == fg.ty(z)).then_some(n)
}

/// `-log(softmax(z))[arange(n), y]`, `LogSoftmax(z)[arange(n), y]` and
/// `log(softmax(z)[arange(n), y])` -> `-CrossentropySoftmaxArgmax1HotWithBias(x, b, y)[0]`.
pub(crate) fn crossentropy_onehot(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let want = fg.ty(out);
    let (z, rows, labels) = if let Some((m, rows, labels)) = adv_rows_labels(fg, n) {
        let z = match ew_inputs(fg, m, S::Log).as_deref() {
            Some([s]) => softmax_of(fg, *s, Op::Softmax)?,
            _ => softmax_of(fg, m, Op::LogSoftmax)?,
        };
        (z, rows, labels)
    } else {
        let [picked] = ew_inputs(fg, out, S::Log)?[..] else {
            return None;
        };
        let (s, rows, labels) = adv_rows_labels(fg, fg.owner(picked)?)?;
        (softmax_of(fg, s, Op::Softmax)?, rows, labels)
    };
    if !rows_is_arange_len(fg, rows, labels) {
        return None;
    }
    let loc = fg.location(n);
    let x = xent_node(fg, z, labels, loc)?;
    let nll = fg.node_outputs(x)[0];
    let r = mk(fg, S::Neg, &[nll], loc)?;
    fit(fg, r, want, loc)
}

/// Theano's `crossentropy_to_crossentropy_with_softmax`: `CrossentropyCategorical1Hot(sm, y)`
/// with `sm = Softmax(x)` -> `CrossentropySoftmaxArgmax1HotWithBias(x, fill(x[0], 0), y)[0]`
/// (Theano's zero bias, `zeros_like(x[0])`; `Softmax(x + b)` gives bias `b`); an existing
/// fused node of the same logits, bias and labels is reused, and the softmax is read from the
/// fused node by `crossentropy_softmax_share` (`SoftmaxWithBias` is the pattern
/// `crossentropy_categorical_softmax_with_bias`).
pub(crate) fn crossentropy_categorical_softmax(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    if *fg.op(n) != Op::CrossentropyCategorical1Hot {
        return None;
    }
    let out = out0(fg, n);
    let want = fg.ty(out);
    let [sm, y] = fg.node_inputs(n)[..] else {
        return None;
    };
    let loc = fg.location(n);
    let z = softmax_of(fg, sm, Op::Softmax)?;
    let node = match find_xent(fg, z, Some(y)) {
        Some(found) => found,
        None => {
            let (x, b) = split_bias(fg, z);
            let b = match b {
                Some(b) => b,
                None => {
                    let zero = fg.add_constant(Tensor::zeros(fg.ty(x).dtype, &[1]));
                    let i0 = fg.add_constant(Tensor::scalar(0i64));
                    let row = fg
                        .add_node1(
                            Op::Subtensor {
                                idx: vec![IdxEntry::Index(DType::Int64)],
                            },
                            &[x, i0],
                            loc,
                        )
                        .ok()?;
                    mk(fg, S::Second, &[row, zero], loc)?
                }
            };
            fg.add_node(XENT, &[x, b, y], loc).ok()?
        }
    };
    // the fused op must compute exactly the softmax's type
    if fg.ty(fg.node_outputs(node)[1]) != fg.ty(sm) {
        return None;
    }
    let nll = fg.node_outputs(node)[0];
    fit(fg, nll, want, loc)
}

/// `AdvancedIncSubtensor(zeros, g, arange(n), y)` with zeros of `sm`'s shape: `(g, y)`.
fn onehot_increment(fg: &FunctionGraph, v: Value, sm: Value) -> Option<(Value, Value)> {
    let n = fg.owner(v)?;
    let Op::AdvancedIncSubtensor { idx, .. } = fg.op(n) else {
        return None;
    };
    if idx[..] != [AdvEntry::Array, AdvEntry::Array] {
        return None;
    }
    let [zeros, g, rows, labels] = fg.node_inputs(n)[..] else {
        return None;
    };
    let same_shape = fg.ty(zeros).ndim() == 2 && shape_of(fg, zeros) == shape_of(fg, sm);
    (is_zeros(fg, zeros)
        && same_shape
        && fg.ty(g).ndim() <= 1
        && fg.ty(g).dtype.is_float()
        && rows_is_arange_len(fg, rows, labels))
    .then_some((g, labels))
}

/// The two operands of a `mul` node, `(the one that is not sm, sm)`.
fn mul_by(fg: &FunctionGraph, v: Value, sm: Value) -> Option<Value> {
    match ew_inputs(fg, v, S::Mul).as_deref() {
        Some([a, b]) if *b == sm => Some(*a),
        Some([a, b]) if *a == sm => Some(*b),
        _ => None,
    }
}

/// `DimShuffle{0,x}(Sum{axis=[1]}(t))`: `t`.
fn row_sum_of(fg: &FunctionGraph, v: Value) -> Option<Value> {
    let d = fg.owner(v)?;
    match fg.op(d) {
        Op::DimShuffle { new_order, .. } if new_order[..] == [Some(0), None] => {}
        _ => return None,
    }
    let s = fg.owner(fg.node_inputs(d)[0])?;
    match fg.op(s) {
        Op::Reduce {
            kind: theano_ir::ReduceKind::Sum,
            axes: Some(a),
            dtype: None,
        } if a[..] == [1] => Some(fg.node_inputs(s)[0]),
        _ => None,
    }
}

/// The softmax a value is: `Softmax(z)`, or the `sm` output of a crossentropy node.
fn is_softmax(fg: &FunctionGraph, v: Value) -> bool {
    match fg.def(v) {
        ValueDef::Output { node, index } => {
            (index == 0 && *fg.op(node) == Op::Softmax) || (index == 1 && *fg.op(node) == XENT)
        }
        _ => false,
    }
}

/// The gradient of the crossentropy cost with respect to the softmax's input:
/// `t - sum(t, 1)[:, None] * sm` with `t = (onehot_inc / sm) * sm` (through `log` and
/// `softmax`) or `t = onehot_inc` (through `log_softmax`), where `onehot_inc` adds `g` at
/// `[arange(n), y]` to zeros -> `CrossentropySoftmax1HotWithBiasDx(-g, sm, y)`.
pub(crate) fn crossentropy_onehot_grad(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let want = fg.ty(out);
    if want.ndim() != 2 {
        return None;
    }
    let [t, rhs] = ew_inputs(fg, out, S::Sub)?[..] else {
        return None;
    };
    // rhs = row_sum(t) * sm, either order
    let [p, q] = ew_inputs(fg, rhs, S::Mul)?[..] else {
        return None;
    };
    let (sm, s) = if is_softmax(fg, q) { (q, p) } else { (p, q) };
    if !is_softmax(fg, sm) || row_sum_of(fg, s)? != t {
        return None;
    }
    let (g, labels) = match onehot_increment(fg, t, sm) {
        // through log_softmax
        Some(found) => found,
        None => {
            let gl = mul_by(fg, t, sm)?;
            match ew_inputs(fg, gl, S::TrueDiv).as_deref() {
                // through log then softmax: t = (inc / sm) * sm
                Some([inc, den]) if *den == sm => onehot_increment(fg, *inc, sm)?,
                // through the log of the picked probabilities (categorical_crossentropy):
                // t = inc(zeros, g / sm[arange(n), y]) * sm
                _ => {
                    let (gp, labels) = onehot_increment(fg, gl, sm)?;
                    let [g, picked] = ew_inputs(fg, gp, S::TrueDiv)?[..] else {
                        return None;
                    };
                    let (s, rows, l2) = adv_rows_labels(fg, fg.owner(picked)?)?;
                    if s != sm || l2 != labels || !rows_is_arange_len(fg, rows, labels) {
                        return None;
                    }
                    (fg.ty(g).ndim() <= 1 && fg.ty(g).dtype.is_float()).then_some(())?;
                    (g, labels)
                }
            }
        }
    };
    let loc = fg.location(n);
    let g = if fg.ty(g).ndim() == 0 {
        fg.add_node1(
            Op::DimShuffle {
                new_order: vec![None],
                inplace: false,
            },
            &[g],
            loc,
        )
        .ok()?
    } else {
        g
    };
    let dnll = mk(fg, S::Neg, &[g], loc)?;
    let dx = fg
        .add_node1(
            Op::CrossentropySoftmax1HotWithBiasDx,
            &[dnll, sm, labels],
            loc,
        )
        .ok()?;
    fit(fg, dx, want, loc)
}

/// `softmax(x + b)` -> the `sm` output of a `CrossentropySoftmaxArgmax1HotWithBias(x, b, _)`
/// already in the graph.
pub(crate) fn crossentropy_softmax_share(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let x = match fg.op(n) {
        Op::Softmax => find_xent(fg, fg.node_inputs(n)[0], None)?,
        // SoftmaxWithBias(x, b): a fused node of the same x and b
        Op::SoftmaxWithBias => {
            let [x, b] = fg.node_inputs(n)[..] else {
                return None;
            };
            fg.clients(x).iter().map(|c| c.node).find(|&c| {
                fg.is_alive(c) && *fg.op(c) == XENT && fg.node_inputs(c)[..2] == [x, b]
            })?
        }
        _ => return None,
    };
    let sm = fg.node_outputs(x)[1];
    let want: TensorType = fg.ty(out);
    (fg.ty(sm) == want).then_some(sm)
}

/// `softmax_grad_expand`: `SoftmaxGrad(dy, sm) -> dy * sm - sum(dy * sm, last axis) * sm`,
/// the op written out elementwise so that fusion and the crossentropy rewrites see its parts
/// (the gradient builder emits Theano's `SoftmaxGrad` node; the graphs after this rewrite are
/// the ones the optimizer always had).
pub(crate) fn softmax_grad_expand(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    if !matches!(fg.op(n), Op::SoftmaxGrad) {
        return None;
    }
    let (dy, sm) = (fg.node_inputs(n)[0], fg.node_inputs(n)[1]);
    let loc = fg.location(n);
    let nd = fg.ty(sm).ndim();
    let last = nd.checked_sub(1)?;
    let t = mk(fg, S::Mul, &[dy, sm], loc)?;
    let sum = Op::Reduce {
        kind: theano_ir::ReduceKind::Sum,
        axes: Some(vec![last]),
        dtype: None,
    };
    let s = fg.add_node1(sum, &[t], loc).ok()?;
    let order: Vec<Option<usize>> = (0..nd).map(|i| (i != last).then_some(i)).collect();
    let keep = Op::DimShuffle {
        new_order: order,
        inplace: true,
    };
    let k = fg.add_node1(keep, &[s], loc).ok()?;
    let m = mk(fg, S::Mul, &[k, sm], loc)?;
    let r = mk(fg, S::Sub, &[t, m], loc)?;
    (fg.ty(r) == fg.ty(fg.node_outputs(n)[0])).then_some(r)
}

/// `CrossentropySoftmaxArgmax1HotWithBias(x, b, _)`'s softmax output has the type of `sm` (the
/// guard of `crossentropy_categorical_softmax_with_bias`).
pub(crate) fn fused_softmax_type_is(fg: &FunctionGraph, x: Value, b: Value, sm: Value) -> bool {
    let labels = TensorType::vector(DType::Int64);
    XENT.infer_types(&[fg.ty(x), fg.ty(b), labels])
        .is_ok_and(|t| t.get(1) == Some(&fg.ty(sm)))
}

/// `fill(a, c)` as the `dnll` of `CrossentropySoftmax1HotWithBiasDx(_, sm, _)` can be `c`:
/// `c` a broadcastable one-element vector (the op broadcasts it over the rows) and `a`
/// provably as long as `sm` has rows, or as the labels `y` (which the op checks against the
/// rows) (the guard of `crossentropy_dx_useless_fill`; Theano's
/// `local_useless_crossentropy_softmax_1hot_with_bias_dx_alloc` does this for `alloc`).
pub(crate) fn dnll_fill_is_useless(
    fg: &FunctionGraph,
    a: Value,
    c: Value,
    sm: Value,
    y: Value,
) -> bool {
    let ct = fg.ty(c);
    if !(ct.ndim() == 1
        && ct.is_broadcastable(0)
        && ct.dtype.is_float()
        && fg.ty(a).ndim() == 1
        && fg.ty(sm).ndim() == 2
        && fg.ty(y).ndim() == 1)
    {
        return false;
    }
    let n = canon(fg, &dim(fg, a, 0));
    n == canon(fg, &dim(fg, sm, 0)) || n == canon(fg, &dim(fg, y, 0))
}
