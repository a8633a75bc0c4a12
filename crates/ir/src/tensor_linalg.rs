//! The `T` builders of Theano 1.0's matrix constructions and generalized products, built as
//! Theano builds them: `eye`, `identity_like`, `tri`, `tril`, `triu`, `diag`, `diagonal`,
//! `trace`, `tensordot` (dimshuffles, reshapes and a `dot`), `batched_dot` (the `BatchedDot`
//! op, or an elementwise product for a vector) and nnet's `softmax_with_bias`. `dot` of a
//! tensor of more than two dimensions goes through [`tensordot`] here.

use super::{apply1, binary_at, cast_at, dimshuffle_at, index_at, make_vector_at, py_axis, Loc};
use crate::error::{GraphError, Result};
use crate::op::Op;
use crate::scalar::ScalarOp;
use crate::tensor::{Idx, IntoVar, OptDType};
use crate::var::Variable;
use std::panic::Location;
use theano_tensor::DType;

fn int64_const(v: i64) -> Variable {
    Variable::index_constant(v)
}

/// `x.shape[i]` as Theano builds it: `Subtensor{int64}(Shape(x), Constant{i})` (a fresh
/// `Shape` node each time, as each `x.shape` is in Theano).
fn shape_at(x: &Variable, i: i64, loc: Loc) -> Result<Variable> {
    let s = apply1(Op::Shape, vec![x.clone()], loc)?;
    index_at(&s, &[Idx::Int(int64_const(i))], loc)
}

/// `x.shape[start:stop]` with constant bounds (`Subtensor{int64:int64:}`).
fn shape_slice(x: &Variable, start: i64, stop: i64, loc: Loc) -> Result<Variable> {
    let s = apply1(Op::Shape, vec![x.clone()], loc)?;
    index_at(
        &s,
        &[Idx::Slice(
            Some(int64_const(start)),
            Some(int64_const(stop)),
            None,
        )],
        loc,
    )
}

fn err(op: &str, ins: &[&Variable], msg: impl Into<String>, loc: Loc) -> GraphError {
    GraphError::new(op, ins.iter().map(|v| v.ty()).collect(), msg, loc)
}

/// Theano's `Eye{dtype}(n, m, k)`: the `n x m` matrix (`m = n` when `None`) with ones on
/// diagonal `k` (0 the main one, positive above, negative below); `dtype` defaults to floatX.
/// `n`, `m`, `k` are integer scalars, constants or symbolic.
#[track_caller]
pub fn eye(
    n: impl IntoVar,
    m: Option<Variable>,
    k: impl IntoVar,
    dtype: impl OptDType,
) -> Result<Variable> {
    nmk(
        "Eye",
        |dtype| Op::Eye { dtype },
        n.into_var(),
        m,
        k.into_var(),
        dtype,
        Location::caller(),
    )
}

/// Theano's `Tri{dtype}(n, m, k)`: ones at and below diagonal `k` of an `n x m` matrix
/// (`m = n` when `None`), zeros above; `dtype` defaults to floatX.
#[track_caller]
pub fn tri(
    n: impl IntoVar,
    m: Option<Variable>,
    k: impl IntoVar,
    dtype: impl OptDType,
) -> Result<Variable> {
    nmk(
        "Tri",
        |dtype| Op::Tri { dtype },
        n.into_var(),
        m,
        k.into_var(),
        dtype,
        Location::caller(),
    )
}

/// An `(n, m, k)` op of `dtype` (floatX by default), `m = n` when `None`.
fn nmk(
    name: &str,
    op: fn(DType) -> Op,
    n: Variable,
    m: Option<Variable>,
    k: Variable,
    dtype: impl OptDType,
    loc: Loc,
) -> Result<Variable> {
    let dtype = crate::tensor::opt_dtype_at(dtype, name, &[&n], loc)?
        .unwrap_or_else(crate::config::float_x);
    let m = m.unwrap_or_else(|| n.clone());
    apply1(op(dtype), vec![n, m, k], loc)
}

/// Theano's `identity_like(x)`: `eye(x.shape[0], x.shape[1], 0, x.dtype)` for a matrix `x`.
#[track_caller]
pub fn identity_like(x: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let x = x.into_var();
    two_dims("identity_like", &x, loc)?;
    let (r, c) = (shape_at(&x, 0, loc)?, shape_at(&x, 1, loc)?);
    apply1(
        Op::Eye { dtype: x.dtype() },
        vec![r, c, 0i64.into_var()],
        loc,
    )
}

fn two_dims(op: &str, x: &Variable, loc: Loc) -> Result<()> {
    if x.ndim() < 2 {
        return Err(err(
            op,
            &[x],
            format!(
                "x must have at least 2 dimensions (it reads x.shape[0] and x.shape[1]), got {} (ndim {})",
                x.ty(),
                x.ndim()
            ),
            loc,
        ));
    }
    Ok(())
}

/// Theano's `tril(m, k)`: `m` with the elements above diagonal `k` zeroed, built as Theano
/// builds it, `m * tri(m.shape[0], m.shape[1], k, m.dtype)`.
#[track_caller]
pub fn tril(m: impl IntoVar, k: i64) -> Result<Variable> {
    let loc = Location::caller();
    let m = m.into_var();
    let t = tri_like(&m, k, "tril", loc)?;
    Ok(binary_at(ScalarOp::Mul, m, t, loc))
}

/// Theano's `triu(m, k)`: `m` with the elements below diagonal `k` zeroed, built as Theano
/// builds it, `m * (1 - tri(m.shape[0], m.shape[1], k - 1, m.dtype))`.
#[track_caller]
pub fn triu(m: impl IntoVar, k: i64) -> Result<Variable> {
    let loc = Location::caller();
    let m = m.into_var();
    let km1 = k.checked_sub(1).ok_or_else(|| {
        err(
            "triu",
            &[&m],
            format!("k={k} is out of range (k - 1 overflows)"),
            loc,
        )
    })?;
    let t = tri_like(&m, km1, "triu", loc)?;
    let upper = binary_at(ScalarOp::Sub, 1i64.into_var(), t, loc);
    Ok(binary_at(ScalarOp::Mul, m, upper, loc))
}

fn tri_like(m: &Variable, k: i64, op: &str, loc: Loc) -> Result<Variable> {
    two_dims(op, m, loc)?;
    let (r, c) = (shape_at(m, 0, loc)?, shape_at(m, 1, loc)?);
    apply1(Op::Tri { dtype: m.dtype() }, vec![r, c, k.into_var()], loc)
}

/// Theano's `diag(v, k)`: for a vector, the square matrix with `v` on diagonal `k`
/// (`AllocDiag`); for a tensor of 2 or more dimensions, its diagonal `k` over the first two
/// axes (`ExtractDiag`); a scalar is refused.
#[track_caller]
pub fn diag(v: impl IntoVar, k: i64) -> Result<Variable> {
    let loc = Location::caller();
    let v = v.into_var();
    match v.ndim() {
        0 => Err(err(
            "diag",
            &[&v],
            format!("v must have 1 or more dimensions, got {} (ndim 0)", v.ty()),
            loc,
        )),
        1 => apply1(
            Op::AllocDiag {
                offset: k,
                axis1: 0,
                axis2: 1,
            },
            vec![v],
            loc,
        ),
        _ => apply1(
            Op::ExtractDiag {
                offset: k,
                axis1: 0,
                axis2: 1,
            },
            vec![v],
            loc,
        ),
    }
}

/// numpy's / Theano's `diagonal(a, offset, axis1, axis2)` (`ExtractDiag`): the diagonals of
/// the 2-d sub-arrays over `axis1` and `axis2` (negative: from the end), as the last axis.
#[track_caller]
pub fn diagonal(a: impl IntoVar, offset: i64, axis1: isize, axis2: isize) -> Result<Variable> {
    let loc = Location::caller();
    let a = a.into_var();
    let axis1 = py_axis("ExtractDiag", &a, axis1, a.ndim(), loc)?;
    let axis2 = py_axis("ExtractDiag", &a, axis2, a.ndim(), loc)?;
    apply1(
        Op::ExtractDiag {
            offset,
            axis1,
            axis2,
        },
        vec![a],
        loc,
    )
}

/// Theano's `nlinalg.trace(x)` (also `x.trace()`): the sum of the main diagonal,
/// `ExtractDiag{offset=0, axis1=0, axis2=1}(x).sum()`.
#[track_caller]
pub fn trace(x: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let d = apply1(
        Op::ExtractDiag {
            offset: 0,
            axis1: 0,
            axis2: 1,
        },
        vec![x.into_var()],
        loc,
    )?;
    apply1(
        Op::Reduce {
            kind: crate::op::ReduceKind::Sum,
            axes: None,
            dtype: None,
        },
        vec![d],
        loc,
    )
}

/// The `axes` argument of [`tensordot`]: a count (the last `n` axes of `a` against the first
/// `n` of `b`) or two lists of paired axes (negative: from the end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TensordotAxes {
    Count(usize),
    Pairs(Vec<isize>, Vec<isize>),
}

impl From<usize> for TensordotAxes {
    fn from(n: usize) -> Self {
        TensordotAxes::Count(n)
    }
}

impl<const N: usize> From<[[isize; N]; 2]> for TensordotAxes {
    fn from(p: [[isize; N]; 2]) -> Self {
        TensordotAxes::Pairs(p[0].to_vec(), p[1].to_vec())
    }
}

/// numpy's `tensordot(a, b, axes)`, built as Theano 1.0 builds it: `a` and `b` are
/// dimshuffled so the summed axes are last in `a` and first in `b` (for paired axes),
/// reshaped to matrices, multiplied with `dot`, and the product reshaped to
/// `a.shape[:-n] + b.shape[n:]`.
#[track_caller]
pub fn tensordot(
    a: impl IntoVar,
    b: impl IntoVar,
    axes: impl Into<TensordotAxes>,
) -> Result<Variable> {
    tensordot_at(a.into_var(), b.into_var(), axes.into(), Location::caller())
}

pub(super) fn tensordot_at(
    a: Variable,
    b: Variable,
    axes: TensordotAxes,
    loc: Loc,
) -> Result<Variable> {
    let (pa, pb) = match axes {
        TensordotAxes::Count(n) => return tensordot_count(&a, &b, n, loc),
        TensordotAxes::Pairs(pa, pb) => (pa, pb),
    };
    if pa.len() != pb.len() {
        return Err(err(
            "tensordot",
            &[&a, &b],
            format!(
                "the axes lists must have the same length, got {pa:?} ({}) and {pb:?} ({})",
                pa.len(),
                pb.len()
            ),
            loc,
        ));
    }
    let mut resolved = Vec::new();
    for (list, x, name) in [(&pa, &a, "a"), (&pb, &b, "b")] {
        if list.len() > x.ndim() {
            return Err(err(
                "tensordot",
                &[&a, &b],
                format!(
                    "the axes of {name} ({list:?}) are more than its {} dimensions",
                    x.ndim()
                ),
                loc,
            ));
        }
        let mut r = Vec::with_capacity(list.len());
        for &ax in list.iter() {
            let n = x.ndim() as isize;
            if ax >= n || ax < -n {
                return Err(err(
                    "tensordot",
                    &[&a, &b],
                    format!(
                        "axis {ax} of {name} is out of range for {name}.ndim={n} (expected -{n} <= axis < {n})"
                    ),
                    loc,
                ));
            }
            let ax = if ax < 0 {
                (ax + n) as usize
            } else {
                ax as usize
            };
            if r.contains(&ax) {
                return Err(err(
                    "tensordot",
                    &[&a, &b],
                    format!("axis {ax} of {name} is repeated in {list:?}"),
                    loc,
                ));
            }
            r.push(ax);
        }
        resolved.push(r);
    }
    let others = |x: &Variable, summed: &[usize]| -> Vec<usize> {
        (0..x.ndim()).filter(|i| !summed.contains(i)).collect()
    };
    let order_a: Vec<Option<usize>> = others(&a, &resolved[0])
        .into_iter()
        .chain(resolved[0].iter().copied())
        .map(Some)
        .collect();
    let order_b: Vec<Option<usize>> = resolved[1]
        .iter()
        .copied()
        .chain(others(&b, &resolved[1]))
        .map(Some)
        .collect();
    let a2 = dimshuffle_at(&a, order_a, loc)?;
    let b2 = dimshuffle_at(&b, order_b, loc)?;
    tensordot_count(&a2, &b2, resolved[0].len(), loc)
}

/// Theano's `_tensordot_as_dot` with an integer `axes`, not batched.
fn tensordot_count(a: &Variable, b: &Variable, n: usize, loc: Loc) -> Result<Variable> {
    for (x, name) in [(a, "a"), (b, "b")] {
        if n > x.ndim() {
            return Err(err(
                "tensordot",
                &[a, b],
                format!(
                    "axes can not be larger than the dimension of {name} ({name}.ndim={}, axes={n})",
                    x.ndim()
                ),
                loc,
            ));
        }
    }
    let (na, nb) = (a.ndim() as i64, b.ndim() as i64);
    let n = n as i64;
    let out_shape = {
        let sa = shape_slice(a, 0, na - n, loc)?;
        let sb = shape_slice(b, n, nb, loc)?;
        apply1(Op::Join { axis: 0 }, vec![sa, sb], loc)?
    };
    let mut out_bcast: Vec<bool> = (0..(na - n) as usize)
        .map(|i| a.ty().is_broadcastable(i))
        .collect();
    out_bcast.extend((n as usize..nb as usize).map(|i| b.ty().is_broadcastable(i)));
    // one Python `1` for every product, as Theano's constant cache makes it
    let one = 1i64.into_var();
    let mul = |acc: Option<Variable>, d: Variable| -> Variable {
        binary_at(ScalarOp::Mul, acc.unwrap_or_else(|| one.clone()), d, loc)
    };
    let (mut a_rows, mut a_sum, mut b_sum, mut b_cols) = (None, None, None, None);
    for i in 0..n {
        a_sum = Some(mul(a_sum, shape_at(a, -(i + 1), loc)?));
        b_sum = Some(mul(b_sum, shape_at(b, i, loc)?));
    }
    for i in 0..na - n {
        a_rows = Some(mul(a_rows, shape_at(a, i, loc)?));
    }
    for i in 0..nb - n {
        b_cols = Some(mul(b_cols, shape_at(b, -(i + 1), loc)?));
    }
    let entry = |e: Option<Variable>| e.unwrap_or_else(|| one.clone());
    let a_shape = make_vector_at(vec![entry(a_rows), entry(a_sum)], DType::Int64, loc)?;
    let b_shape = make_vector_at(vec![entry(b_sum), entry(b_cols)], DType::Int64, loc)?;
    let a2 = apply1(Op::Reshape { ndim: 2 }, vec![a.clone(), a_shape], loc)?;
    let b2 = apply1(Op::Reshape { ndim: 2 }, vec![b.clone(), b_shape], loc)?;
    let prod = apply1(Op::Dot, vec![a2, b2], loc)?;
    let out = apply1(
        Op::Reshape {
            ndim: out_bcast.len(),
        },
        vec![prod, out_shape],
        loc,
    )?;
    pattern_broadcast(out, &out_bcast, loc)
}

/// Make the dimensions `want` marks broadcastable so (Theano's `patternbroadcast` after a
/// reshape, whose lengths are 1 there): each is indexed at 0 and re-inserted as `'x'`.
fn pattern_broadcast(x: Variable, want: &[bool], loc: Loc) -> Result<Variable> {
    let add: Vec<usize> = (0..want.len())
        .filter(|&i| want[i] && !x.ty().is_broadcastable(i))
        .collect();
    if add.is_empty() {
        return Ok(x);
    }
    let mut g = x;
    for &i in add.iter().rev() {
        let mut idx = vec![Idx::all(); i];
        idx.push(Idx::Int(int64_const(0)));
        g = index_at(&g, &idx, loc)?;
    }
    let mut k = 0;
    let order = (0..want.len())
        .map(|i| {
            if add.contains(&i) {
                None
            } else {
                k += 1;
                Some(k - 1)
            }
        })
        .collect();
    dimshuffle_at(&g, order, loc)
}

/// Theano's `batched_dot(a, b)`: `out[i] = dot(a[i], b[i])`. A vector operand multiplies
/// elementwise (`a.dimshuffle(0, 'x', ...) * b`); operands of 2 or 3 dimensions go to the
/// `BatchedDot` op (cast to their common dtype first); higher ranks are refused (Theano's
/// `batched_tensordot` path is not built here).
#[track_caller]
pub fn batched_dot(a: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let (a, b) = (a.into_var(), b.into_var());
    let pad = |x: &Variable, nd: usize| -> Result<Variable> {
        let order: Vec<Option<usize>> = std::iter::once(Some(0))
            .chain(std::iter::repeat_n(None, nd - 1))
            .collect();
        dimshuffle_at(x, order, loc)
    };
    match (a.ndim(), b.ndim()) {
        (0, _) => Err(err(
            "batched_dot",
            &[&a, &b],
            "a must have at least one (batch) axis, got a scalar",
            loc,
        )),
        (_, 0) => Err(err(
            "batched_dot",
            &[&a, &b],
            "b must have at least one (batch) axis, got a scalar",
            loc,
        )),
        (1, nb) => Ok(binary_at(ScalarOp::Mul, pad(&a, nb)?, b, loc)),
        (na, 1) => Ok(binary_at(ScalarOp::Mul, a.clone(), pad(&b, na)?, loc)),
        (na, nb) if na > 3 || nb > 3 => Err(err(
            "batched_dot",
            &[&a, &b],
            format!(
                "operands of more than 3 dimensions (Theano's batched_tensordot) are not supported, got ndim {na} and {nb}"
            ),
            loc,
        )),
        _ => {
            let d = DType::promote(a.dtype(), b.dtype());
            apply1(
                Op::BatchedDot,
                vec![cast_at(a, d, loc), cast_at(b, d, loc)],
                loc,
            )
        }
    }
}

/// nnet's `softmax_with_bias(x, b)` (`SoftmaxWithBias`): `softmax(x + b)` of a float matrix
/// and a float vector of `x.shape[1]`, one op.
#[track_caller]
pub fn softmax_with_bias(x: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
    apply1(
        Op::SoftmaxWithBias,
        vec![x.into_var(), b.into_var()],
        Location::caller(),
    )
}

impl Variable {
    /// `x.trace()`: Theano's `nlinalg.trace(x)`, see [`trace`].
    #[track_caller]
    pub fn trace(&self) -> Result<Variable> {
        trace(self)
    }
    /// `x.diagonal(offset, axis1, axis2)`, see [`diagonal`].
    #[track_caller]
    pub fn diagonal(&self, offset: i64, axis1: isize, axis2: isize) -> Result<Variable> {
        diagonal(self, offset, axis1, axis2)
    }
}
