//! Specialize-phase BLAS rewrites (Theano's `local_dot_to_dot22`, `local_dot_to_gemv` and the
//! gemm optimizer's linear-combination search):
//!
//! - `dot(matrix, matrix) -> Dot22(x, y)`;
//! - `dot(matrix, vector) -> Gemv(AllocEmpty(n), 1, A, x, 0)`, `dot(vector, matrix) ->
//!   Gemv(AllocEmpty(n), 1, A.T, x, 0)`, `dot(vector, vector) -> Gemv(AllocEmpty(1), 1,
//!   row(y), x, 0)` as a 0-d DimShuffle (Theano 1.0.5's forms without a linked BLAS);
//! - a sum of scaled terms one of which is a dot, as `b * y + a * dot(A, x)`,
//!   `y - lr * dot(A, x)` or `w - lr * (dot(A, x) + c * w)`, becomes `Gemv(y, a, A, x, b)`
//!   (`Gemm` for matrix products) with the constant factors folded into alpha and beta and
//!   equal terms combined; the other terms are added to the result.
//!
//! Combining terms is exact for finite values only (`w - 0.002 * w -> 0.998 * w` and
//! `t + t - t -> t` turn the NaN of an infinite `w` or `t` into inf), so `gemm_from_sum` is
//! tagged `unsafe_math` with the canonizers' cancellations (found by the differential test).
//!
//! Replacements keep the replaced value's type exactly; the ops are built not in place (the
//! `inplace` pass decides that last).

use crate::util::{fit, konst, mk, Loc};
use theano_ir::fgraph::{FunctionGraph, Node, Value, ValueDef};
use theano_ir::{DType, Op, ScalarOp, TensorType};

fn out0(fg: &FunctionGraph, n: Node) -> Value {
    fg.node_outputs(n)[0]
}

pub(crate) fn is_float(t: TensorType) -> bool {
    t.dtype.is_float()
}

/// The value of a one-element constant (looking through DimShuffles): a factor that scales a
/// term without changing its shape.
fn scalar_factor(fg: &FunctionGraph, v: Value) -> Option<f64> {
    let mut v = v;
    loop {
        match fg.def(v) {
            ValueDef::Constant => {
                let t = fg.constant_value(v)?;
                return (t.len() == 1).then(|| t.to_f64_vec()[0]);
            }
            ValueDef::Output { node, .. } => match fg.op(node) {
                Op::DimShuffle { .. } => v = fg.node_inputs(node)[0],
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// `AllocEmpty{dtype}(shape)`, the shape read from dimensions of other values: the `y` of a
/// product whose beta is 0 (the BLAS kernels overwrite it without reading it).
fn empty(fg: &mut FunctionGraph, dtype: DType, dims: &[(Value, usize)], loc: Loc) -> Option<Value> {
    let mut ins = Vec::with_capacity(dims.len());
    for &(v, i) in dims {
        ins.push(crate::shape::lifted_shape_i(fg, v, i, loc)?);
    }
    fg.add_node1(Op::AllocEmpty { dtype }, &ins, loc).ok()
}

fn transpose(fg: &mut FunctionGraph, v: Value, loc: Loc) -> Option<Value> {
    fg.add_node1(
        Op::DimShuffle {
            new_order: vec![Some(1), Some(0)],
            inplace: true,
        },
        &[v],
        loc,
    )
    .ok()
}

/// The plain-dot rewrite: `Gemv` on an AllocEmpty for matrix-vector products (`dot22`, a pattern,
/// does matrix products).
pub(crate) fn dot_to_blas(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    match fg.op(n) {
        Op::Dot => {}
        Op::Dot22 => return dot22_to_gemv(fg, n),
        _ => return None,
    }
    let out = out0(fg, n);
    let want = fg.ty(out);
    let [a, b] = fg.node_inputs(n)[..] else {
        return None;
    };
    let (ta, tb) = (fg.ty(a), fg.ty(b));
    if !is_float(want) || ta.dtype != want.dtype || tb.dtype != want.dtype {
        return None;
    }
    let loc = fg.location(n);
    let d = want.dtype;
    let r = match (ta.ndim(), tb.ndim()) {
        (2, 1) => {
            let y = empty(fg, d, &[(a, 0)], loc)?;
            let (one, zero) = (konst(fg, 1.0, d), konst(fg, 0.0, d));
            fg.add_node1(Op::Gemv { inplace: false }, &[y, one, a, b, zero], loc)
                .ok()?
        }
        (1, 2) => {
            let y = empty(fg, d, &[(b, 1)], loc)?;
            let at = transpose(fg, b, loc)?;
            let (one, zero) = (konst(fg, 1.0, d), konst(fg, 0.0, d));
            fg.add_node1(Op::Gemv { inplace: false }, &[y, one, at, a, zero], loc)
                .ok()?
        }
        (1, 1) => {
            // Theano: dot(x, y) of vectors is `Gemv(AllocEmpty(1), 1, row(y), x, 0)[0]`
            let one = konst(fg, 1.0, DType::Int64);
            let y = fg
                .add_node1(Op::AllocEmpty { dtype: d }, &[one], loc)
                .ok()?;
            let row = fg
                .add_node1(
                    Op::DimShuffle {
                        new_order: vec![None, Some(0)],
                        inplace: true,
                    },
                    &[b],
                    loc,
                )
                .ok()?;
            let (one, zero) = (konst(fg, 1.0, d), konst(fg, 0.0, d));
            let g = fg
                .add_node1(Op::Gemv { inplace: false }, &[y, one, row, a, zero], loc)
                .ok()?;
            fg.add_node1(
                Op::DimShuffle {
                    new_order: vec![],
                    inplace: true,
                },
                &[g],
                loc,
            )
            .ok()?
        }
        _ => return None,
    };
    (fg.ty(r) == want).then_some(r)
}

/// `v`, a matrix whose other dimension is broadcastable, as the vector of its dimension
/// `keep`: the vector itself when `v` is that vector's DimShuffle.
fn as_vector(fg: &mut FunctionGraph, v: Value, keep: usize, loc: Loc) -> Option<Value> {
    if let Some(node) = fg.owner(v) {
        if let Op::DimShuffle { new_order, .. } = fg.op(node) {
            let z = fg.node_inputs(node)[0];
            if new_order[keep] == Some(0) && fg.ty(z).ndim() == 1 {
                return Some(z);
            }
        }
    }
    fg.add_node1(
        Op::DimShuffle {
            new_order: vec![Some(keep)],
            inplace: true,
        },
        &[v],
        loc,
    )
    .ok()
}

/// The Gemv cases of Theano's `local_dot22_to_ger_or_gemv`: a `Dot22` of a row and a matrix
/// (or a column) is `Gemv(AllocEmpty(m), 1, B.T, row, 0)` as a row, of a matrix and a column
/// `Gemv(AllocEmpty(n), 1, A, column, 0)` as a column (an outer product is left alone).
fn dot22_to_gemv(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let want = fg.ty(out);
    let [x, y] = fg.node_inputs(n)[..] else {
        return None;
    };
    let (tx, ty) = (fg.ty(x), fg.ty(y));
    if tx.ndim() != 2 || ty.ndim() != 2 || !is_float(want) {
        return None;
    }
    let b = |t: TensorType, i: usize| t.is_broadcastable(i);
    let loc = fg.location(n);
    let d = want.dtype;
    let (one, zero) = (konst(fg, 1.0, d), konst(fg, 0.0, d));
    let r = if b(tx, 1) && b(ty, 0) {
        // column . row: the outer product, `Ger(zeros(n, m), 1, x, y)` (Theano's ger case)
        let (xv, yv) = (as_vector(fg, x, 0, loc)?, as_vector(fg, y, 1, loc)?);
        let rows = crate::shape::lifted_shape_i(fg, x, 0, loc)?;
        let cols = crate::shape::lifted_shape_i(fg, y, 1, loc)?;
        let zeros = fg.add_node1(Op::Alloc, &[zero, rows, cols], loc).ok()?;
        fg.add_node1(Op::Ger { destructive: false }, &[zeros, one, xv, yv], loc)
            .ok()?
    } else if b(tx, 0) && !b(ty, 0) {
        // row . matrix (row . column: a length-1 result)
        let xv = as_vector(fg, x, 1, loc)?;
        let len = if b(ty, 1) {
            konst(fg, 1.0, DType::Int64)
        } else {
            crate::shape::lifted_shape_i(fg, y, 1, loc)?
        };
        let e = fg
            .add_node1(Op::AllocEmpty { dtype: d }, &[len], loc)
            .ok()?;
        let yt = transpose(fg, y, loc)?;
        let g = fg
            .add_node1(Op::Gemv { inplace: false }, &[e, one, yt, xv, zero], loc)
            .ok()?;
        fg.add_node1(
            Op::DimShuffle {
                new_order: vec![None, Some(0)],
                inplace: true,
            },
            &[g],
            loc,
        )
        .ok()?
    } else if !b(tx, 0) && !b(tx, 1) && !b(ty, 0) && b(ty, 1) {
        // matrix . column
        let yv = as_vector(fg, y, 0, loc)?;
        let len = crate::shape::lifted_shape_i(fg, x, 0, loc)?;
        let e = fg
            .add_node1(Op::AllocEmpty { dtype: d }, &[len], loc)
            .ok()?;
        let g = fg
            .add_node1(Op::Gemv { inplace: false }, &[e, one, x, yv, zero], loc)
            .ok()?;
        fg.add_node1(
            Op::DimShuffle {
                new_order: vec![Some(0), None],
                inplace: true,
            },
            &[g],
            loc,
        )
        .ok()?
    } else {
        return None;
    };
    (fg.ty(r) == want).then_some(r)
}

/// A product found among the terms: `scale * dot(l, r)`, as a Gemv (`l` a matrix, `r` a
/// vector) or a Gemm (both matrices). `transpose_l`: `l` is the matrix of `dot(x, A)`.
struct Product {
    l: Value,
    r: Value,
    transpose_l: bool,
    scale: f64,
    /// A Gemv/Gemm with a constant nonzero beta: `(beta, y)`, the term it adds.
    plus: Option<(f64, Value)>,
}

/// `v` as a product of its dtype when it is a dot (or a Dot22, or a Gemv/Gemm whose beta is a
/// constant 0 and alpha a constant).
fn as_product(fg: &FunctionGraph, v: Value) -> Option<Product> {
    let ValueDef::Output { node, index: 0 } = fg.def(v) else {
        return None;
    };
    let ins = fg.node_inputs(node);
    let d = fg.ty(v).dtype;
    let (l, r, scale, plus) = match fg.op(node) {
        Op::Dot | Op::Dot22 => (ins[0], ins[1], 1.0, None),
        Op::Gemv { .. } | Op::Gemm { .. } => {
            let beta = scalar_factor(fg, ins[4])?;
            let plus = (beta != 0.0).then_some((beta, ins[0]));
            (ins[2], ins[3], scalar_factor(fg, ins[1])?, plus)
        }
        _ => return None,
    };
    let (tl, tr) = (fg.ty(l), fg.ty(r));
    if tl.dtype != d || tr.dtype != d {
        return None;
    }
    match (tl.ndim(), tr.ndim()) {
        (2, 1) | (2, 2) => Some(Product {
            l,
            r,
            transpose_l: false,
            scale,
            plus,
        }),
        (1, 2) => Some(Product {
            l: r,
            r: l,
            transpose_l: true,
            scale,
            plus,
        }),
        _ => None,
    }
}

/// Expand `v` into scaled terms through add, sub, neg and multiplication by one-element
/// constants. Nodes read elsewhere are not expanded (their value is needed anyway), except
/// the root.
fn terms(fg: &FunctionGraph, v: Value, scale: f64, root: bool, out: &mut Vec<(f64, Value)>) {
    let d = fg.ty(v).dtype;
    terms_in(fg, v, scale, root, d, out)
}

/// [`terms`] of a sum computed in `dtype`: a node of another dtype is a term of its own (an
/// int8 `bm + 1` inside a float64 sum wraps at int8; found by the differential test).
fn terms_in(
    fg: &FunctionGraph,
    v: Value,
    scale: f64,
    root: bool,
    dtype: DType,
    out: &mut Vec<(f64, Value)>,
) {
    // Iterative (children pushed in reverse, so terms come in left-to-right order): a chain
    // of 200,000 adds expands without overflowing the stack.
    let mut stack = vec![(v, scale, root)];
    while let Some((v, scale, root)) = stack.pop() {
        let expand = root || (fg.n_uses(v) == 1 && !fg.is_output(v) && fg.ty(v).dtype == dtype);
        let node = match fg.def(v) {
            ValueDef::Output { node, index: 0 } if expand => node,
            _ => {
                out.push((scale, v));
                continue;
            }
        };
        let Op::Elemwise { scalar, .. } = fg.op(node) else {
            out.push((scale, v));
            continue;
        };
        let ins = fg.node_inputs(node);
        match scalar {
            ScalarOp::Add => stack.extend(ins.iter().rev().map(|&i| (i, scale, false))),
            ScalarOp::Sub if ins.len() == 2 => {
                stack.push((ins[1], -scale, false));
                stack.push((ins[0], scale, false));
            }
            ScalarOp::Neg => stack.push((ins[0], -scale, false)),
            ScalarOp::Mul => {
                let mut k = scale;
                let mut rest = Vec::new();
                for &i in ins {
                    match scalar_factor(fg, i) {
                        Some(c) => k *= c,
                        None => rest.push(i),
                    }
                }
                match rest[..] {
                    [one] => stack.push((one, k, false)),
                    _ => out.push((scale, v)),
                }
            }
            _ => out.push((scale, v)),
        }
    }
}

/// `sum of scaled terms containing a dot -> Gemv / Gemm (+ the other terms)`.
pub(crate) fn gemm_from_sum(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let Op::Elemwise { scalar, .. } = fg.op(n) else {
        return None;
    };
    if !matches!(
        scalar,
        ScalarOp::Add | ScalarOp::Sub | ScalarOp::Neg | ScalarOp::Mul
    ) {
        return None;
    }
    let out = out0(fg, n);
    let want = fg.ty(out);
    if !is_float(want) || !(1..=2).contains(&want.ndim()) {
        return None;
    }
    let mut raw = Vec::new();
    terms(fg, out, 1.0, true, &mut raw);
    // combine equal terms, keeping first-appearance order. A zero coefficient (`x - x`,
    // `0 * x`) declines: dropping the term is `add_cancel`'s fast-math (NaN for an infinite
    // x), not this rewrite's (found by the differential test)
    let mut ts: Vec<(f64, Value)> = Vec::new();
    for (c, v) in raw {
        match ts.iter_mut().find(|(_, u)| *u == v) {
            Some((k, _)) => *k += c,
            None => ts.push((c, v)),
        }
    }
    if ts.iter().any(|(c, _)| *c == 0.0) {
        return None;
    }
    // a Gemv/Gemm that adds `beta * y` is unfolded only when y is another term (read once
    // here), so the two combine: `w - lr * Gemv(w, 1, A, x, c)` -> `Gemv(w, -lr, A, x, 1 - lr c)`
    let pi = ts.iter().position(|&(_, v)| {
        fg.ty(v) == want
            && as_product(fg, v).is_some_and(|p| {
                (fg.ty(p.r).ndim() == 1) == (want.ndim() == 1)
                    && p.plus.is_none_or(|(_, y)| {
                        fg.n_uses(v) == 1 && !fg.is_output(v) && ts.iter().any(|&(_, u)| u == y)
                    })
            })
    })?;
    let (pc, pv) = ts.remove(pi);
    let p = as_product(fg, pv)?;
    if let Some((beta, y)) = p.plus {
        let t = ts.iter_mut().find(|(_, u)| *u == y)?;
        t.0 += pc * beta;
        if t.0 == 0.0 {
            return None;
        }
    }
    let yi = ts.iter().position(|&(_, v)| fg.ty(v) == want);
    let loc = fg.location(n);
    let d = want.dtype;
    let (beta, y) = match yi {
        Some(i) => ts.remove(i),
        // a lone scaled product: fold the scale into alpha, on an AllocEmpty (beta 0)
        None if ts.is_empty() => {
            let dims: Vec<(Value, usize)> = if want.ndim() == 1 {
                vec![(p.l, usize::from(p.transpose_l))]
            } else {
                vec![(p.l, 0), (p.r, 1)]
            };
            (0.0, empty(fg, d, &dims, loc)?)
        }
        None => return None,
    };
    let l = if p.transpose_l {
        transpose(fg, p.l, loc)?
    } else {
        p.l
    };
    let alpha = konst(fg, pc * p.scale, d);
    let beta_v = konst(fg, beta, d);
    let op = if want.ndim() == 1 {
        Op::Gemv { inplace: false }
    } else {
        Op::Gemm { inplace: false }
    };
    let mut r = fg.add_node1(op, &[y, alpha, l, p.r, beta_v], loc).ok()?;
    for (c, t) in ts {
        let term = if c == 1.0 {
            t
        } else if c == -1.0 && fg.ty(t).dtype == d {
            // negated in the sum's dtype: an int8 -128 negated in int8 wraps (found by the
            // differential test)
            mk(fg, ScalarOp::Neg, &[t], loc)?
        } else {
            let k = konst(fg, c, d);
            mk(fg, ScalarOp::Mul, &[k, t], loc)?
        };
        r = mk(fg, ScalarOp::Add, &[r, term], loc)?;
    }
    fit(fg, r, want, loc)
}

/// `v` as `dimshuffle(x, order)` of a vector `x`: `(0, 'x')` is a column, `('x', 0)` a row.
fn vector_as(fg: &FunctionGraph, v: Value, order: &[Option<usize>]) -> Option<Value> {
    let node = fg.owner(v)?;
    match fg.op(node) {
        Op::DimShuffle { new_order, .. } if new_order == order => {
            let x = fg.node_inputs(node)[0];
            (fg.ty(x).ndim() == 1).then_some(x)
        }
        _ => None,
    }
}

/// `(x, y)` when `c` is a column `x.dimshuffle(0, 'x')` and `r` a row `y.dimshuffle('x', 0)`.
fn col_row(fg: &FunctionGraph, c: Value, r: Value) -> Option<(Value, Value)> {
    Some((
        vector_as(fg, c, &[Some(0), None])?,
        vector_as(fg, r, &[None, Some(0)])?,
    ))
}

/// An outer product found among the terms: `alpha * outer(x, y)`, `alpha` a constant times an
/// optional 0-d value.
struct Outer {
    x: Value,
    y: Value,
    scale: f64,
    alpha: Option<Value>,
}

/// `v` as an outer product: `dot(col, row)` (or `Dot22`), `CGer(zeros, alpha, x, y)` (what
/// `dot_to_blas` makes of a `Dot22` of a column and a row), or a product of a column, a row,
/// one-element constants and at most one broadcast 0-d value.
fn as_outer(fg: &FunctionGraph, v: Value) -> Option<Outer> {
    let node = fg.owner(v)?;
    let ins = fg.node_inputs(node);
    match fg.op(node) {
        Op::Ger { .. } if crate::util::is_zeros(fg, ins[0]) => {
            let (scale, alpha) = match scalar_factor(fg, ins[1]) {
                Some(c) => (c, None),
                None => (1.0, Some(ins[1])),
            };
            Some(Outer {
                x: ins[2],
                y: ins[3],
                scale,
                alpha,
            })
        }
        Op::Dot | Op::Dot22 => {
            let (x, y) = col_row(fg, ins[0], ins[1])?;
            Some(Outer {
                x,
                y,
                scale: 1.0,
                alpha: None,
            })
        }
        Op::Elemwise {
            scalar: ScalarOp::Mul,
            ..
        } => {
            let (mut col, mut row, mut alpha, mut scale) = (None, None, None, 1.0);
            for &i in ins {
                if let Some(c) = scalar_factor(fg, i) {
                    scale *= c;
                } else if let (None, Some(x)) = (col, vector_as(fg, i, &[Some(0), None])) {
                    col = Some(x);
                } else if let (None, Some(y)) = (row, vector_as(fg, i, &[None, Some(0)])) {
                    row = Some(y);
                } else if let (None, Some(a)) = (alpha, broadcast_scalar(fg, i)) {
                    alpha = Some(a);
                } else {
                    return None;
                }
            }
            Some(Outer {
                x: col?,
                y: row?,
                scale,
                alpha,
            })
        }
        _ => None,
    }
}

/// The 0-d value `s` of `s.dimshuffle('x', 'x')`.
fn broadcast_scalar(fg: &FunctionGraph, v: Value) -> Option<Value> {
    let node = fg.owner(v)?;
    match fg.op(node) {
        Op::DimShuffle { new_order, .. } if new_order.iter().all(Option::is_none) => {
            let s = fg.node_inputs(node)[0];
            (fg.ty(s).ndim() == 0).then_some(s)
        }
        _ => None,
    }
}

/// `A + alpha * outer(x, y) -> CGer(A, alpha, x, y)` (Theano's `local_gemm_to_ger` and the
/// gemm optimizer's ger case): on a sum of scaled terms one of which is an outer product and
/// another (with coefficient 1) a matrix of the result's type; the other terms are added to
/// the result. `Gemm(A, alpha, col, row, 1)` becomes `CGer(A, alpha, x, y)` too. Built not in
/// place; the in-place pass makes it destructive when A may be overwritten.
pub(crate) fn ger(fg: &mut FunctionGraph, n: Node) -> Option<Value> {
    let out = out0(fg, n);
    let want = fg.ty(out);
    if !is_float(want) || want.ndim() != 2 {
        return None;
    }
    let d = want.dtype;
    let loc = fg.location(n);
    if let Op::Gemm { .. } = fg.op(n) {
        let ins = fg.node_inputs(n).to_vec();
        let (x, y) = col_row(fg, ins[2], ins[3])?;
        if scalar_factor(fg, ins[4])? != 1.0 {
            return None;
        }
        let r = fg
            .add_node1(Op::Ger { destructive: false }, &[ins[0], ins[1], x, y], loc)
            .ok()?;
        return (fg.ty(r) == want).then_some(r);
    }
    let Op::Elemwise { scalar, .. } = fg.op(n) else {
        return None;
    };
    if !matches!(
        scalar,
        ScalarOp::Add | ScalarOp::Sub | ScalarOp::Neg | ScalarOp::Mul
    ) {
        return None;
    }
    let mut ts = Vec::new();
    terms(fg, out, 1.0, true, &mut ts);
    // the outer product must have the result's type: a broadcastable column or row (a
    // length-1 vector) is broadcast by the sum, not by CGer (found by the differential test)
    let oi = ts.iter().position(|&(_, v)| {
        fg.ty(v) == want
            && as_outer(fg, v).is_some_and(|o| fg.ty(o.x).dtype == d && fg.ty(o.y).dtype == d)
    })?;
    let (oc, ov) = ts.remove(oi);
    let o = as_outer(fg, ov)?;
    let ai = ts.iter().position(|&(c, v)| c == 1.0 && fg.ty(v) == want)?;
    let (_, a) = ts.remove(ai);
    let k = konst(fg, oc * o.scale, d);
    let alpha = match o.alpha {
        None => k,
        Some(s) if fg.ty(s).dtype == d => mk(fg, ScalarOp::Mul, &[k, s], loc)?,
        Some(_) => return None,
    };
    let mut r = fg
        .add_node1(Op::Ger { destructive: false }, &[a, alpha, o.x, o.y], loc)
        .ok()?;
    for (c, t) in ts {
        let term = if c == 1.0 {
            t
        } else {
            let k = konst(fg, c, d);
            mk(fg, ScalarOp::Mul, &[k, t], loc)?
        };
        r = mk(fg, ScalarOp::Add, &[r, term], loc)?;
    }
    fit(fg, r, want, loc)
}
