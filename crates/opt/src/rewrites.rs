//! The rewrite table: one entry per rewrite, with its pattern as a one-line doc.

use crate::engine::{Phase, Rewrite};
use crate::util::{elemwise, ew_inputs, fit, konst, mk, mk_in, scalar_const};
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{DType, Op, ScalarOp, Tensor};

use Phase::*;
use ScalarOp as S;

macro_rules! rw {
    ($name:literal, $phase:expr, [$($tag:literal),*], $doc:literal, $f:expr) => {
        Rewrite { name: $name, phase: $phase, tags: &[$($tag),*], doc: $doc, run: $f }
    };
}

/// Every rewrite, in the order they are tried within a phase.
pub static REWRITES: &[Rewrite] = &[
    rw!(
        "constant_folding",
        Canonicalize,
        ["fast_compile", "fast_run"],
        "op(constants...) -> constant",
        constant_folding
    ),
    rw!(
        "useless_fill",
        Canonicalize,
        ["fast_run"],
        "fill(a, b) -> b when a adds no dimension",
        useless_fill
    ),
    rw!(
        "useless_fill_shape",
        Canonicalize,
        ["fast_run", "shape"],
        "fill(a, b) -> b when b has the output type and a's shape equals (or broadcasts into) b's",
        crate::shape::useless_fill_shape
    ),
    rw!(
        "useless_reshape",
        Canonicalize,
        ["fast_run", "shape"],
        "Reshape(x, shape) -> x when x has the output type and shape is provably x's own",
        crate::shape::useless_reshape
    ),
    rw!(
        "useless_alloc",
        Canonicalize,
        ["fast_run", "shape"],
        "Alloc(v, dims...) -> v when v has the output type and provably the dims",
        crate::shape::useless_alloc
    ),
    rw!(
        "fill_sink",
        Canonicalize,
        ["fast_run", "shape"],
        "op(fill(a, b), c) -> fill(a, op(b, c))",
        crate::shape::fill_sink
    ),
    rw!(
        "shape_i_lift",
        Canonicalize,
        ["fast_run", "shape"],
        "Shape_i{k}(op(x..)) -> op's inferred dimension k; Shape(v) -> MakeVector(dims)",
        crate::shape::shape_i_lift
    ),
    rw!(
        "dimshuffle_merge",
        Canonicalize,
        ["fast_run"],
        "ds(ds(x)) -> ds(x); identity ds(x) -> x",
        dimshuffle_merge
    ),
    rw!(
        "useless_cast",
        Canonicalize,
        ["fast_run"],
        "cast(x, x.dtype) -> x",
        useless_cast
    ),
    rw!("neg_neg", Canonicalize, ["fast_run"], "-(-x) -> x", neg_neg),
    rw!(
        "sub_neg_forms",
        Canonicalize,
        ["fast_run"],
        "x - (-y) -> x + y; x + (-y), (-y) + x -> x - y; -(x - y) -> y - x (not for floats)",
        sub_neg_forms
    ),
    rw!(
        "cancel_terms",
        Canonicalize,
        ["fast_run", "unsafe_math"],
        "x - x -> fill(x, 0)",
        cancel_terms
    ),
    rw!(
        "pow_canonicalize",
        Canonicalize,
        ["fast_run"],
        "x ** 1 -> x; x ** 0 -> fill(x, 1)",
        pow_canonicalize
    ),
    rw!(
        "mul_canonizer",
        Canonicalize,
        ["fast_run"],
        "flatten mul, fold constants first, drop * 1",
        |fg, n| canonize(fg, n, S::Mul)
    ),
    rw!(
        "add_canonizer",
        Canonicalize,
        ["fast_run"],
        "flatten add, fold constants first, drop + 0",
        |fg, n| canonize(fg, n, S::Add)
    ),
    rw!(
        "inv_1_plus_exp",
        Stabilize,
        ["fast_run", "stabilize"],
        "1 / (1 + exp(t)) -> sigmoid(-t)",
        inv_1_plus_exp
    ),
    rw!(
        "exp_over_1_plus_exp",
        Stabilize,
        ["fast_run", "stabilize"],
        "in a mul/div tree: c / (1 + exp(t))^k -> c * sigmoid(-t)^k (exp(t) / (1 + exp(t)) -> exp(t) * sigmoid(-t))",
        crate::sigm::exp_over_1_plus_exp
    ),
    rw!(
        "sigm_times_exp",
        Stabilize,
        ["fast_run", "stabilize"],
        "in a mul/div tree: exp(t) * sigmoid(-t) -> sigmoid(t); exp(t) / sigmoid(t) -> 1 / sigmoid(-t)",
        crate::sigm::sigm_times_exp
    ),
    rw!(
        "sigmoid_cancel",
        Stabilize,
        ["fast_run", "stabilize"],
        "in a mul/div tree: a * sigmoid(t) / sigmoid(t) -> a",
        crate::sigm::sigmoid_cancel
    ),
    rw!(
        "sigmoid_distribute",
        Stabilize,
        ["fast_run", "stabilize"],
        "(a - b) * sigmoid(t) * F -> a * (sigmoid(t) * F) - b * (sigmoid(t) * F) when a or b divides by sigmoid(t)",
        crate::sigm::sigmoid_distribute
    ),
    rw!(
        "one_minus_sigmoid",
        Stabilize,
        ["fast_run", "stabilize"],
        "1 - sigmoid(x) -> sigmoid(-x)",
        one_minus_sigmoid
    ),
    rw!(
        "log_sigmoid",
        Stabilize,
        ["fast_run", "stabilize"],
        "log(sigmoid(x)) -> -softplus(-x)",
        log_sigmoid
    ),
    rw!(
        "log1m_sigmoid",
        Stabilize,
        ["fast_run", "stabilize"],
        "log(1 - sigmoid(x)) -> -softplus(x); log1p(-sigmoid(x)) -> -softplus(x)",
        crate::sigm::log1m_sigmoid
    ),
    rw!(
        "log1p_exp",
        Stabilize,
        ["fast_run", "stabilize"],
        "log1p(exp(x)) -> softplus(x)",
        crate::sigm::log1p_exp
    ),
    rw!(
        "log1p",
        Stabilize,
        ["fast_run", "stabilize"],
        "log(1 + x) -> log1p(x)",
        log1p
    ),
    rw!(
        "log_softmax",
        Stabilize,
        ["fast_run", "stabilize"],
        "log(softmax(x)) -> log_softmax(x)",
        log_softmax
    ),
    rw!(
        "crossentropy_onehot",
        Stabilize,
        ["fast_run", "stabilize", "xent"],
        "-log(softmax(x + b))[arange(len(y)), y] (also log_softmax, log of the picked) -> -CrossentropySoftmaxArgmax1HotWithBias(x, b, y)[0]",
        crate::xent::crossentropy_onehot
    ),
    rw!(
        "crossentropy_onehot_grad",
        Stabilize,
        ["fast_run", "stabilize", "xent"],
        "softmax grad of (zeros[arange(len(y)), y] += g) / sm -> CrossentropySoftmax1HotWithBiasDx(-g, sm, y)",
        crate::xent::crossentropy_onehot_grad
    ),
    rw!(
        "neg_neg_stabilize",
        Stabilize,
        ["fast_run"],
        "-(-x) -> x",
        neg_neg
    ),
    rw!(
        "crossentropy_softmax_share",
        Specialize,
        ["fast_run", "xent"],
        "softmax(x + b) -> CrossentropySoftmaxArgmax1HotWithBias(x, b, _)[1] when the graph has one",
        crate::xent::crossentropy_softmax_share
    ),
    rw!(
        "pow_specialize",
        Specialize,
        ["fast_run"],
        "x ** 2 -> sqr(x)",
        pow_specialize
    ),
    rw!(
        "mul_self_to_sqr",
        Specialize,
        ["fast_run"],
        "x * x -> sqr(x)",
        mul_self_to_sqr
    ),
    rw!(
        "mul_minus_one_to_neg",
        Specialize,
        ["fast_run"],
        "-1 * x -> -x",
        mul_minus_one_to_neg
    ),
    rw!(
        "dot_to_blas",
        Specialize,
        ["fast_run", "blas"],
        "dot(A, B) -> Dot22(A, B); dot(A, x) -> CGemv(zeros, 1, A, x, 0); dot(x, A) on A.T",
        crate::blas::dot_to_blas
    ),
    rw!(
        "gemm_from_sum",
        Specialize,
        ["fast_run", "blas", "unsafe_math"],
        "b * y + a * dot(A, x) -> CGemv(y, a, A, x, b) (Gemm for matrices), constants folded",
        crate::blas::gemm_from_sum
    ),
    rw!(
        "add_cancel",
        Canonicalize,
        ["fast_run", "unsafe_math"],
        "a + b - a -> b; (x + y) - (y + z) -> x - z (floats: fast-math, see cancel.rs)",
        crate::cancel::add_cancel
    ),
    rw!(
        "mul_cancel",
        Canonicalize,
        ["fast_run", "unsafe_math"],
        "x * y / x -> y; (a * b) / (a * c) -> b / c (floats only; fast-math, see cancel.rs)",
        crate::cancel::mul_cancel
    ),
    rw!(
        "dimshuffle_lift",
        Canonicalize,
        ["fast_run"],
        "ds(op(x, y)) -> op(ds(x), ds(y)) when nothing else reads op(x, y)",
        crate::lift::dimshuffle_lift
    ),
    rw!(
        "ger",
        Specialize,
        ["fast_run", "blas"],
        "A + a * outer(x, y) -> CGer(A, a, x, y) (outer: dot(col, row) or col * row); Gemm too",
        crate::blas::ger
    ),
];

fn out0(fg: &FunctionGraph, n: Node) -> Value {
    fg.node_outputs(n)[0]
}

/// Nodes whose every input is a constant are computed now (by the interpreter). Big results
/// (allocations) are left to run time.
fn constant_folding(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    if matches!(fg.op(n), Op::Custom(_)) || fg.node_outputs(n).len() != 1 {
        return None;
    }
    let ins = fg.node_inputs(n).to_vec();
    if ins.iter().any(|&v| fg.def(v) != ValueDef::Constant) {
        return None;
    }
    let vals: Vec<&Tensor> = ins
        .iter()
        .map(|&v| fg.constant_value(v).expect("constant"))
        .collect();
    let out = out0(fg, n);
    let ty = fg.ty(out);
    let mut r = theano_interp::perform(fg.op(n), &vals, &[ty]).ok()?;
    let t = r.pop()?;
    if t.len() > 1 << 16 {
        return None;
    }
    fg.add_constant_typed(t, ty).ok()
}

fn useless_fill(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let [a, b] = ew_inputs(fg, out0(fg, n), S::Second)?[..] else {
        return None;
    };
    let at = fg.ty(a);
    ((0..at.ndim()).all(|i| at.is_broadcastable(i)) && fg.ty(b) == fg.ty(out0(fg, n))).then_some(b)
}

fn dimshuffle_merge(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::DimShuffle { new_order, .. } = fg.op(n).clone() else {
        return None;
    };
    let x = fg.node_inputs(n)[0];
    if new_order.iter().enumerate().all(|(i, e)| *e == Some(i))
        && new_order.len() == fg.ty(x).ndim()
    {
        return Some(x);
    }
    let inner = fg.owner(x)?;
    let Op::DimShuffle {
        new_order: inner_order,
        ..
    } = fg.op(inner).clone()
    else {
        return None;
    };
    let composed: Vec<Option<usize>> = new_order
        .iter()
        .map(|e| e.and_then(|i| inner_order[i]))
        .collect();
    let y = fg.node_inputs(inner)[0];
    fg.add_node1(
        Op::DimShuffle {
            new_order: composed,
            inplace: true,
        },
        &[y],
        fg.location(n),
    )
    .ok()
}

fn useless_cast(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::Elemwise {
        scalar: S::Cast(d), ..
    } = fg.op(n)
    else {
        return None;
    };
    let x = fg.node_inputs(n)[0];
    (fg.ty(x).dtype == *d).then_some(x)
}

fn neg_neg(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let [x] = ew_inputs(fg, out0(fg, n), S::Neg)?[..] else {
        return None;
    };
    let [y] = ew_inputs(fg, x, S::Neg)?[..] else {
        return None;
    };
    Some(y)
}

/// Two-input sub/add/neg forms. Each is exact in IEEE arithmetic (`a - b` is `a + (-b)`
/// rounded once) except `-(x - y) -> y - x` on floats: at `x == y` it turns `-0.0` into
/// `+0.0` (observable through `1 / r`), so that form is left to integer dtypes.
fn sub_neg_forms(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let want = fg.ty(out);
    let loc = fg.location(n);
    // a neg computed in another dtype is not the sum's negation: a uint8 `-u` is `256 - u`
    // (found by the differential test)
    let neg_of = |fg: &FunctionGraph, v: Value| match ew_inputs(fg, v, S::Neg).as_deref() {
        Some([y]) if fg.ty(v).dtype == want.dtype => Some(*y),
        _ => None,
    };
    let r = if let Some([x, b]) = ew_inputs(fg, out, S::Sub).as_deref() {
        let (x, y) = (*x, neg_of(fg, *b)?);
        mk(fg, S::Add, &[x, y], loc)?
    } else if let Some([a, b]) = ew_inputs(fg, out, S::Add).as_deref() {
        let (x, y) = match (neg_of(fg, *a), neg_of(fg, *b)) {
            (_, Some(y)) => (*a, y),
            (Some(y), None) => (*b, y),
            (None, None) => return None,
        };
        mk(fg, S::Sub, &[x, y], loc)?
    } else if let Some([d]) = ew_inputs(fg, out, S::Neg).as_deref() {
        if want.dtype.is_float() || fg.n_uses(*d) != 1 {
            return None;
        }
        let [x, y] = ew_inputs(fg, *d, S::Sub)?[..] else {
            return None;
        };
        mk(fg, S::Sub, &[y, x], loc)?
    } else {
        return None;
    };
    fit(fg, r, want, loc)
}

/// `x - x -> fill(x, 0)` (exact for finite x; `inf - inf` and NaN give NaN, as in Theano's
/// canonizer). `x / x` is not cancelled: `0 / 0` is NaN.
fn cancel_terms(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let [a, b] = ew_inputs(fg, out, S::Sub)?[..] else {
        return None;
    };
    if a != b {
        return None;
    }
    let want = fg.ty(out);
    let loc = fg.location(n);
    let zero = konst(fg, 0.0, want.dtype);
    let r = mk(fg, S::Second, &[a, zero], loc)?;
    fit(fg, r, want, loc)
}

fn pow_canonicalize(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let [x, e] = ew_inputs(fg, out0(fg, n), S::Pow)?[..] else {
        return None;
    };
    let want = fg.ty(out0(fg, n));
    let loc = fg.location(n);
    match scalar_const(fg, e)? {
        1.0 => fit(fg, x, want, loc),
        0.0 => {
            let one = konst(fg, 1.0, want.dtype);
            mk(fg, S::Second, &[x, one], loc)
        }
        _ => None,
    }
}

/// Theano's add/mul canonizer, in its simplest form: nested same-op nodes read only here are
/// flattened, all constant operands are folded into one placed first, and the identity element
/// is dropped when that keeps the output's type.
fn canonize(fg: &mut FunctionGraph, n: Node, op: S) -> Option<Value> {
    let out = out0(fg, n);
    elemwise(fg, out, op.clone())?;
    let want = fg.ty(out);
    let loc = fg.location(n);
    let identity = if op == S::Mul { 1.0 } else { 0.0 };
    let mut terms = Vec::new();
    let mut changed = false;
    let mut stack: Vec<Value> = fg.node_inputs(n).iter().rev().copied().collect();
    while let Some(v) = stack.pop() {
        match elemwise(fg, v, op.clone()) {
            // an inner node of another dtype stays: an int8 sum inside an int16 one wraps at
            // int8, a float32 one rounds at float32
            Some(inner) if fg.n_uses(v) == 1 && fg.ty(v).dtype == want.dtype => {
                changed = true;
                stack.extend(fg.node_inputs(inner).iter().rev().copied());
            }
            _ => terms.push(v),
        }
    }
    let (consts, rest): (Vec<Value>, Vec<Value>) = terms
        .into_iter()
        .partition(|&v| scalar_const(fg, v).is_some());
    let folded = consts
        .iter()
        .map(|&v| scalar_const(fg, v).expect("partitioned"))
        .fold(identity, |a, c| if op == S::Mul { a * c } else { a + c });
    let cdtype = DType::upcast(&consts.iter().map(|&v| fg.ty(v).dtype).collect::<Vec<_>>());
    let rest_dtype = DType::upcast(&rest.iter().map(|&v| fg.ty(v).dtype).collect::<Vec<_>>());
    let drop_const = !consts.is_empty()
        && folded == identity
        && rest_dtype == Some(want.dtype)
        && !rest.is_empty();
    let first_is_const = consts.len() == 1 && fg.node_inputs(n).first() == consts.first();
    if !changed && (consts.len() <= 1) && !drop_const && (consts.is_empty() || first_is_const) {
        return None;
    }
    let mut ins = Vec::new();
    if !consts.is_empty() && !drop_const {
        let d = cdtype.expect("non-empty");
        let c = if d.is_float() { folded } else { folded.round() };
        let (c, d) = folded_constant(c, d, want.dtype);
        ins.push(konst(fg, c, d));
    }
    ins.extend(rest);
    let new = if ins.len() == 1 {
        ins[0]
    } else {
        mk(fg, op, &ins, loc)?
    };
    let new = if fg.ty(new).ndim() < want.ndim() {
        crate::util::pad(fg, new, want.ndim(), loc)?
    } else {
        new
    };
    fit(fg, new, want, loc)
}

/// The folded constant `c` in the constants' dtype `d` when it holds it exactly, else in
/// `want`, the dtype the folded additions or multiplications computed in (every flattened
/// node has it), wrapped to its width for an integer `want` as those operations wrapped.
/// (Fix: 200,000 int8 ones added to a float64 `x` folded to an int8 200,000, i.e. 64.)
fn folded_constant(c: f64, d: DType, want: DType) -> (f64, DType) {
    let int_range = |d: DType| -> Option<(f64, f64)> {
        Some(match d {
            DType::Int64 => (i64::MIN as f64, i64::MAX as f64),
            DType::Int32 => (i32::MIN as f64, i32::MAX as f64),
            DType::Int16 => (i16::MIN as f64, i16::MAX as f64),
            DType::Int8 => (i8::MIN as f64, i8::MAX as f64),
            DType::UInt8 => (0.0, u8::MAX as f64),
            DType::Bool => (0.0, 1.0),
            DType::Float64 | DType::Float32 => return None,
        })
    };
    let holds = |d: DType| match (d, int_range(d)) {
        (DType::Float32, _) => c.is_nan() || f64::from(c as f32) == c,
        (_, None) => true,
        (_, Some((lo, hi))) => c.fract() == 0.0 && c >= lo && c <= hi,
    };
    if holds(d) {
        return (c, d);
    }
    match int_range(want) {
        Some((lo, hi)) if !holds(want) && c.is_finite() && want != DType::Bool => {
            // wrap to want's width, as the integer operations did
            let span = hi as i128 - lo as i128 + 1;
            let w = (c as i128 - lo as i128).rem_euclid(span) + lo as i128;
            (w as f64, want)
        }
        _ => (c, want),
    }
}

fn is_one(fg: &FunctionGraph, v: Value) -> bool {
    scalar_const(fg, v) == Some(1.0)
}

/// `-t` as a float: `u` for `t = -u` on floats; an integer `t` is cast to `dtype` first (the
/// replaced op read it as a float: `exp(-u)` of a uint8 `u` is `exp(256 - u)`, and negating
/// in uint8 wraps). Found by the differential test.
fn float_neg(
    fg: &mut FunctionGraph,
    t: Value,
    dtype: DType,
    loc: crate::util::Loc,
) -> Option<Value> {
    if fg.ty(t).dtype.is_float() {
        if let Some([u]) = ew_inputs(fg, t, S::Neg).as_deref() {
            return Some(*u);
        }
        return mk(fg, S::Neg, &[t], loc);
    }
    let d = if dtype.is_float() {
        dtype
    } else {
        DType::Float64
    };
    let c = fg.add_node1(Op::elemwise(S::Cast(d)), &[t], loc).ok()?;
    mk(fg, S::Neg, &[c], loc)
}

fn inv_1_plus_exp(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let [num, den] = ew_inputs(fg, out, S::TrueDiv)?[..] else {
        return None;
    };
    if !is_one(fg, num) {
        return None;
    }
    let [a, b] = ew_inputs(fg, den, S::Add)?[..] else {
        return None;
    };
    let e = if is_one(fg, a) {
        b
    } else if is_one(fg, b) {
        a
    } else {
        return None;
    };
    let [t] = ew_inputs(fg, e, S::Exp)?[..] else {
        return None;
    };
    let loc = fg.location(n);
    let want = fg.ty(out);
    let neg_t = float_neg(fg, t, want.dtype, loc)?;
    mk_in(fg, S::Sigmoid, &[neg_t], want, loc)
}

fn one_minus_sigmoid(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let [one, s] = ew_inputs(fg, out, S::Sub)?[..] else {
        return None;
    };
    if !is_one(fg, one) {
        return None;
    }
    // also `1 - ds(sigmoid(x)) -> ds(sigmoid(-x))`: the gradient with respect to `x` of
    // `dot(x, w)` reads the sigmoid as a column
    let (s, order) = crate::sigm::through_ds(fg, s);
    let [x] = ew_inputs(fg, s, S::Sigmoid)?[..] else {
        return None;
    };
    let loc = fg.location(n);
    let want = fg.ty(out);
    let nx = float_neg(fg, x, want.dtype, loc)?;
    if order.is_none() {
        return mk_in(fg, S::Sigmoid, &[nx], want, loc);
    }
    if fg.ty(s).dtype != want.dtype {
        return None;
    }
    let r = mk(fg, S::Sigmoid, &[nx], loc)?;
    let r = crate::sigm::apply_ds(fg, r, order.as_ref(), loc)?;
    fit(fg, r, want, loc)
}

fn log_sigmoid(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let [s] = ew_inputs(fg, out, S::Log)?[..] else {
        return None;
    };
    let [x] = ew_inputs(fg, s, S::Sigmoid)?[..] else {
        return None;
    };
    let loc = fg.location(n);
    let nx = float_neg(fg, x, fg.ty(out).dtype, loc)?;
    let sp = mk(fg, S::Softplus, &[nx], loc)?;
    let want = fg.ty(out);
    mk_in(fg, S::Neg, &[sp], want, loc)
}

fn log1p(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let [s] = ew_inputs(fg, out, S::Log)?[..] else {
        return None;
    };
    let [a, b] = ew_inputs(fg, s, S::Add)?[..] else {
        return None;
    };
    let x = if is_one(fg, a) {
        b
    } else if is_one(fg, b) {
        a
    } else {
        return None;
    };
    if !fg.ty(x).dtype.is_float() {
        return None;
    }
    let loc = fg.location(n);
    let want = fg.ty(out);
    mk_in(fg, S::Log1p, &[x], want, loc)
}

fn log_softmax(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let [s] = ew_inputs(fg, out, S::Log)?[..] else {
        return None;
    };
    let sm = fg.owner(s)?;
    if *fg.op(sm) != Op::Softmax {
        return None;
    }
    let x = fg.node_inputs(sm)[0];
    let r = fg.add_node1(Op::LogSoftmax, &[x], fg.location(n)).ok()?;
    (fg.ty(r) == fg.ty(out)).then_some(r)
}

fn pow_specialize(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let [x, e] = ew_inputs(fg, out, S::Pow)?[..] else {
        return None;
    };
    let op = match scalar_const(fg, e)? {
        2.0 => S::Sqr,
        // x ** 0.5 -> sqrt(x) (Theano's) is not done: pow(-inf, 0.5) is inf, sqrt(-inf) nan.
        _ => return None,
    };
    let loc = fg.location(n);
    let want = fg.ty(out);
    mk_in(fg, op, &[x], want, loc)
}

fn mul_self_to_sqr(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let [a, b] = ew_inputs(fg, out, S::Mul)?[..] else {
        return None;
    };
    if a != b {
        return None;
    }
    let loc = fg.location(n);
    let want = fg.ty(out);
    mk_in(fg, S::Sqr, &[a], want, loc)
}

fn mul_minus_one_to_neg(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let [a, b] = ew_inputs(fg, out, S::Mul)?[..] else {
        return None;
    };
    let x = if scalar_const(fg, a) == Some(-1.0) {
        b
    } else if scalar_const(fg, b) == Some(-1.0) {
        a
    } else {
        return None;
    };
    if !fg.ty(out).dtype.is_signed() {
        return None;
    }
    let loc = fg.location(n);
    let want = fg.ty(out);
    // negate in the output's dtype: a bool has no negation, and an int8 -128 (or any uint8)
    // negated in its own dtype wraps (found by the differential test)
    let x = if fg.ty(x).dtype == want.dtype {
        x
    } else {
        fg.add_node1(Op::elemwise(S::Cast(want.dtype)), &[x], loc)
            .ok()?
    };
    mk_in(fg, S::Neg, &[x], want, loc)
}
