//! Builders of Theano 1.0's `extra_ops`/`sort` functions: `cumsum`, `cumprod`, `sort`,
//! `argsort`, `repeat`, `tile`, `nonzero`, `flatnonzero`, `nonzero_values`,
//! `permute_row_elements`, `inverse_permutation`, `to_one_hot`, `squeeze`, `bincount`, each
//! built node for node as Theano 1.0.5 builds it (the ops are in `crate::cumsort`).

use super::{apply1, binary_at, index_at, shape_vector, Idx, IntoVar, Loc, ShapeArg};
use crate::cumsort::{resolve_axis, CumMode, SortKind};
use crate::error::{GraphError, Result};
use crate::op::Op;
use crate::scalar::ScalarOp;
use crate::var::Variable;
use std::panic::Location;
use theano_tensor::Tensor;

/// `x.flatten()` as Theano 1.0.5 builds it: `Reshape{1}(x, [-1])`, reading the shape
/// constant `minus1` (Theano shares one cached constant between the flattens of a graph).
fn flat(x: &Variable, minus1: &Variable, loc: Loc) -> Result<Variable> {
    apply1(
        Op::Reshape { ndim: 1 },
        vec![x.clone(), minus1.clone()],
        loc,
    )
}

fn minus_one(loc: Loc) -> Result<Variable> {
    Ok(shape_vector(ShapeArg::Const(vec![-1]), loc)?.0)
}

fn cum(x: Variable, axis: Option<isize>, mode: CumMode, loc: Loc) -> Result<Variable> {
    apply1(
        Op::CumOp {
            axis: axis.map(|a| a as i64),
            mode,
        },
        vec![x],
        loc,
    )
}

/// numpy's `cumsum` (Theano's `CumOp{axis, add}`): the running sum along `axis` (negative
/// counts from the end and is kept as given, as Theano prints it), or over the flattened
/// tensor (`None`, a vector). It sums in x's dtype (integers wrap; bool sums are `or`).
#[track_caller]
pub fn cumsum(x: impl IntoVar, axis: Option<isize>) -> Result<Variable> {
    cum(x.into_var(), axis, CumMode::Add, Location::caller())
}

/// numpy's `cumprod` (Theano's `CumOp{axis, mul}`), as [`cumsum`] with products.
#[track_caller]
pub fn cumprod(x: impl IntoVar, axis: Option<isize>) -> Result<Variable> {
    cum(x.into_var(), axis, CumMode::Mul, Location::caller())
}

fn sort_at(
    x: Variable,
    axis: Option<isize>,
    kind: SortKind,
    arg: bool,
    loc: Loc,
) -> Result<Variable> {
    let name = if arg { "argsort" } else { "sort" };
    let (x, axis) = match axis {
        // Theano: `a = a.flatten(); axis = 0`
        None => (flat(&x, &minus_one(loc)?, loc)?, 0),
        Some(a) => {
            if resolve_axis(a as i64, x.ndim()).is_none() {
                return Err(GraphError::new(
                    name,
                    vec![x.ty()],
                    format!(
                        "axis {a} is out of bounds for a tensor of {n} dimensions (expected \
                         -{n} <= axis < {n})",
                        n = x.ndim()
                    ),
                    loc,
                ));
            }
            (x, a)
        }
    };
    let op = if arg {
        Op::ArgSort { kind }
    } else {
        Op::Sort { kind }
    };
    // the axis is an input, as Theano's `as_tensor_variable(axis)` (an int8 constant)
    apply1(op, vec![x, (axis as i64).into_var()], loc)
}

/// numpy's `sort` (Theano's `SortOp{quicksort, None}(x, axis)`): a sorted copy along `axis`
/// (negative from the end; `None`: the flattened tensor). NaNs sort last, as numpy's.
#[track_caller]
pub fn sort(x: impl IntoVar, axis: Option<isize>) -> Result<Variable> {
    sort_at(
        x.into_var(),
        axis,
        SortKind::Quicksort,
        false,
        Location::caller(),
    )
}

/// numpy's `argsort` (Theano's `ArgSortOp`): the int64 indices that sort x along `axis`.
#[track_caller]
pub fn argsort(x: impl IntoVar, axis: Option<isize>) -> Result<Variable> {
    sort_at(
        x.into_var(),
        axis,
        SortKind::Quicksort,
        true,
        Location::caller(),
    )
}

/// [`sort`] or (`arg`) [`argsort`] naming numpy's `kind` (every kind sorts stably here).
#[track_caller]
pub fn sort_kind(
    x: impl IntoVar,
    axis: Option<isize>,
    kind: SortKind,
    arg: bool,
) -> Result<Variable> {
    sort_at(x.into_var(), axis, kind, arg, Location::caller())
}

/// `x.shape[i]` as Theano builds it: `Subtensor{int64}(Shape(x), Constant{i})`, a Shape node
/// of its own each time.
fn shape_entry(x: &Variable, i: usize, loc: Loc) -> Result<Variable> {
    let s = apply1(Op::Shape, vec![x.clone()], loc)?;
    index_at(&s, &[Idx::Int(Variable::index_constant(i as i64))], loc)
}

/// numpy's `repeat`: each element repeated `repeats` times along `axis` (`None`: over the
/// flattened tensor). As Theano 1.0.5: a scalar `repeats` (or a broadcastable vector, whose
/// one entry is used) builds `alloc` of `x` with a new axis after `axis`, reshaped; a vector
/// builds `RepeatOp{axis}(x, repeats)` (one count per element along the axis; its gradient
/// is not implemented, as in Theano).
#[track_caller]
pub fn repeat(x: impl IntoVar, repeats: impl IntoVar, axis: Option<isize>) -> Result<Variable> {
    let loc = Location::caller();
    let (x, repeats) = (x.into_var(), repeats.into_var());
    let tys = vec![x.ty(), repeats.ty()];
    let err = |m: String| GraphError::new("repeat", tys.clone(), m, loc);
    if repeats.ndim() > 1 {
        return Err(err(format!(
            "the dimension of repeats should not exceed 1, got {}",
            repeats.ty()
        )));
    }
    if !repeats.dtype().is_int() {
        return Err(err(format!(
            "repeats must be integers, got {}",
            repeats.ty()
        )));
    }
    if repeats.ndim() == 1 && !repeats.ty().is_broadcastable(0) {
        return apply1(
            Op::Repeat {
                axis: axis.map(|a| a as i64),
            },
            vec![x, repeats],
            loc,
        );
    }
    let repeats = if repeats.ndim() == 1 {
        index_at(&repeats, &[Idx::Int(Variable::index_constant(0))], loc)?
    } else {
        repeats
    };
    let (x, axis) = match axis {
        None => (flat(&x, &minus_one(loc)?, loc)?, 0),
        Some(a) => match resolve_axis(a as i64, x.ndim()) {
            Some(k) => (x, k),
            None => {
                return Err(err(format!(
                    "axis {a} is out of bounds for a tensor of {n} dimensions (expected -{n} \
                     <= axis < {n})",
                    n = x.ndim()
                )))
            }
        },
    };
    let mut shape: Vec<Variable> = (0..x.ndim())
        .map(|i| shape_entry(&x, i, loc))
        .collect::<Result<_>>()?;
    let mut alloc_shape = shape.clone();
    alloc_shape.insert(axis + 1, repeats.clone());
    shape[axis] = binary_at(ScalarOp::Mul, shape[axis].clone(), repeats, loc);
    let mut order: Vec<Option<usize>> = (0..x.ndim()).map(Some).collect();
    order.insert(axis + 1, None);
    let ds = super::dimshuffle(&x, &order)?;
    let mut ins = vec![ds];
    ins.extend(alloc_shape);
    let z = apply1(Op::Alloc, ins, loc)?;
    let (s, n) = shape_vector(ShapeArg::Scalars(shape), loc)?;
    apply1(Op::Reshape { ndim: n }, vec![z, s], loc)
}

/// numpy's `tile`: `x` repeated `reps[i]` times along each dimension, as Theano 1.0.5 builds
/// it (`alloc(x, *reps, *shape)`, its axes interleaved, reshaped). `reps` are integer
/// scalars (Rust integers become constants); the result has `ndim` dimensions (at least
/// `x.ndim()` and `reps.len()`; `None`: the larger of the two), `reps` padded with 1s on the
/// left. Equal constant entries are one constant, as Theano's constant cache makes them.
#[track_caller]
pub fn tile(x: impl IntoVar, reps: &[Variable], ndim: Option<usize>) -> Result<Variable> {
    let loc = Location::caller();
    let x = x.into_var();
    let mut tys = vec![x.ty()];
    tys.extend(reps.iter().map(|r| r.ty()));
    let err = |m: String| GraphError::new("tile", tys.clone(), m, loc);
    if let Some(bad) = reps.iter().find(|r| r.ndim() != 0 || !r.dtype().is_int()) {
        return Err(err(format!(
            "elements of reps must be scalars of integer dtype, got {}",
            bad.ty()
        )));
    }
    let nd = ndim.unwrap_or(reps.len().max(x.ndim()));
    // the alloc in the middle has two dimensions per result dimension
    if nd > crate::MAX_NDIM / 2 {
        return Err(err(format!(
            "the result would have {nd} dimensions and its intermediate {}; at most {} are \
             supported",
            2 * nd,
            crate::MAX_NDIM
        )));
    }
    if nd < x.ndim() {
        return Err(err(format!(
            "ndim ({nd}) should be equal or larger than x.ndim ({})",
            x.ndim()
        )));
    }
    if reps.len() > nd {
        return Err(err(format!(
            "len(reps) ({}) should be equal or less than ndim ({nd})",
            reps.len()
        )));
    }
    // Theano's constant cache: one constant per (dtype, value)
    let mut cache: Vec<Variable> = Vec::new();
    let mut cached = |v: Variable| -> Variable {
        let Some(t) = v.constant_value().filter(|t| t.ndim() == 0) else {
            return v;
        };
        let found = cache.iter().find(|c| {
            let ct = c.constant_value().expect("cached constants");
            ct.dtype() == t.dtype() && ct.to_f64_vec() == t.to_f64_vec()
        });
        match found {
            Some(c) => c.clone(),
            None => {
                cache.push(v.clone());
                v
            }
        }
    };
    let mut reps: Vec<Variable> = reps.iter().cloned().map(&mut cached).collect();
    let pad = nd - reps.len();
    let mut padded: Vec<Variable> = (0..pad).map(|_| cached(1i64.into_var())).collect();
    padded.append(&mut reps);
    let reps = padded;
    // the shape, with Python's 1 for the dimensions x lacks (None here)
    let mut shape: Vec<Option<Variable>> = vec![None; nd - x.ndim()];
    for i in 0..x.ndim() {
        shape.push(Some(shape_entry(&x, i, loc)?));
    }
    let mut alloc_in = vec![x.clone()];
    alloc_in.extend(reps.iter().cloned());
    for s in &shape {
        alloc_in.push(match s {
            Some(s) => s.clone(),
            None => cached(1i64.into_var()),
        });
    }
    let y = apply1(Op::Alloc, alloc_in, loc)?;
    let order: Vec<Option<usize>> = (0..nd).flat_map(|i| [Some(i), Some(nd + i)]).collect();
    let y = super::dimshuffle(&y, &order)?;
    let new_shape: Vec<Variable> = shape
        .iter()
        .zip(&reps)
        .map(|(s, r)| match s {
            Some(s) => binary_at(ScalarOp::Mul, s.clone(), r.clone(), loc),
            // Python's `1 * r`: r itself for a constant
            None if r.constant_value().is_some() => r.clone(),
            None => binary_at(ScalarOp::Mul, 1i64.into_var(), r.clone(), loc),
        })
        .collect();
    let (s, n) = shape_vector(ShapeArg::Scalars(new_shape), loc)?;
    apply1(Op::Reshape { ndim: n }, vec![y, s], loc)
}

/// Theano's `Nonzero` op: the int64 matrix `(x.ndim, count)` of the indices of x's non-zero
/// elements (Theano's `nonzero(x, return_matrix=True)`). Its second dimension depends on the
/// values: its shape is known only when computed.
#[track_caller]
pub fn nonzero_matrix(x: impl IntoVar) -> Result<Variable> {
    apply1(Op::Nonzero, vec![x.into_var()], Location::caller())
}

/// numpy's `nonzero`: one int64 vector per dimension of x, the indices of its non-zero
/// elements in that dimension (rows of [`nonzero_matrix`]).
#[track_caller]
pub fn nonzero(x: impl IntoVar) -> Result<Vec<Variable>> {
    let loc = Location::caller();
    let x = x.into_var();
    let m = apply1(Op::Nonzero, vec![x.clone()], loc)?;
    (0..x.ndim())
        .map(|i| index_at(&m, &[Idx::Int(Variable::index_constant(i as i64))], loc))
        .collect()
}

fn flatnonzero_at(x: &Variable, minus1: &Variable, loc: Loc) -> Result<Variable> {
    if x.ndim() == 0 {
        return Err(GraphError::new(
            "flatnonzero",
            vec![x.ty()],
            "Nonzero only supports non-scalar arrays",
            loc,
        ));
    }
    let m = apply1(Op::Nonzero, vec![flat(x, minus1, loc)?], loc)?;
    index_at(&m, &[Idx::Int(Variable::index_constant(0))], loc)
}

/// numpy's `flatnonzero`: the int64 indices of the non-zero elements of the flattened x
/// (a vector whose length depends on the values).
#[track_caller]
pub fn flatnonzero(x: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    flatnonzero_at(&x.into_var(), &minus_one(loc)?, loc)
}

/// Theano's `nonzero_values`: the non-zero elements of x, flattened, as
/// `x.flatten()[flatnonzero(x)]` (a vector whose length depends on the values).
#[track_caller]
pub fn nonzero_values(x: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let x = x.into_var();
    let minus1 = minus_one(loc)?;
    let idx = flatnonzero_at(&x, &minus1, loc)?;
    index_at(&flat(&x, &minus1, loc)?, &[Idx::Array(idx)], loc)
}

/// Theano's `permute_row_elements(x, y, inverse)`: every row (last axis) of x reordered by
/// the matching row of y, a permutation (`x[y]`, or with `inverse` the inverse permutation,
/// `out[y] = x`). The lower-rank of x and y is padded on the left with broadcastable axes
/// (Theano's `shape_padleft`); a vector y permutes every row of x alike, a vector x is
/// permuted by every row of y.
#[track_caller]
pub fn permute_row_elements(x: impl IntoVar, y: impl IntoVar, inverse: bool) -> Result<Variable> {
    permute_at(x.into_var(), y.into_var(), inverse, Location::caller())
}

fn permute_at(x: Variable, y: Variable, inverse: bool, loc: Loc) -> Result<Variable> {
    let pad = |v: Variable, to: usize| -> Result<Variable> {
        if v.ndim() >= to {
            return Ok(v);
        }
        let order: Vec<Option<usize>> = std::iter::repeat_n(None, to - v.ndim())
            .chain((0..v.ndim()).map(Some))
            .collect();
        super::dimshuffle_at(&v, order, loc)
    };
    let nd = x.ndim().max(y.ndim());
    let (x, y) = (pad(x, nd)?, pad(y, nd)?);
    // Theano's `as_tensor_variable(1)` or `(0)`: an int8 constant
    let inverse = Variable::constant_bounded(Tensor::scalar(i8::from(inverse)));
    apply1(Op::PermuteRowElements, vec![x, y, inverse], loc)
}

/// Theano's `inverse_permutation(perm)`: the inverse of each row of `perm`, a permutation of
/// `0..n` (`permute_row_elements(arange(n), perm, inverse=True)`).
#[track_caller]
pub fn inverse_permutation(perm: impl IntoVar) -> Result<Variable> {
    let loc = Location::caller();
    let perm = perm.into_var();
    if perm.ndim() == 0 || !perm.dtype().is_int() {
        return Err(GraphError::new(
            "inverse_permutation",
            vec![perm.ty()],
            "the permutations must be integers of at least one dimension",
            loc,
        ));
    }
    let n = index_at(&super::shape(&perm), &[Idx::from(-1i64)], loc)?;
    let range = apply1(
        Op::ARange {
            dtype: perm.dtype(),
        },
        vec![0i64.into_var(), n, 1i64.into_var()],
        loc,
    )?;
    permute_at(range, perm, true, loc)
}

/// Theano's `extra_ops.to_one_hot(y, nb_class, dtype)`: the `(len(y), nb_class)` matrix with
/// a 1 in column `y[i]` of row i (`dtype` `None`: floatX), built as Theano builds it:
/// `set_subtensor(zeros((y.shape[0], nb_class))[arange(y.shape[0]), y], 1)`.
#[track_caller]
pub fn to_one_hot(
    y: impl IntoVar,
    nb_class: i64,
    dtype: Option<theano_tensor::DType>,
) -> Result<Variable> {
    let loc = Location::caller();
    let y = y.into_var();
    if y.ndim() != 1 || !y.dtype().is_int() || nb_class < 0 {
        return Err(GraphError::new(
            "to_one_hot",
            vec![y.ty()],
            format!("y must be an integer vector and nb_class >= 0, got nb_class={nb_class}"),
            loc,
        ));
    }
    let dtype = dtype.unwrap_or_else(crate::config::float_x);
    let zero = Variable::constant_bounded(Tensor::zeros(dtype, &[]));
    let rows = || index_at(&super::shape(&y), &[Idx::from(0i64)], loc);
    let ret = apply1(Op::Alloc, vec![zero, rows()?, nb_class.into_var()], loc)?;
    // Theano's cached constant 1: the step of the arange and the value set
    let one = 1i64.into_var();
    let range = apply1(
        Op::ARange {
            dtype: theano_tensor::DType::Int64,
        },
        vec![0i64.into_var(), rows()?, one.clone()],
        loc,
    )?;
    let picked = index_at(&ret, &[Idx::from(&range), Idx::from(&y)], loc)?;
    super::set_subtensor(&picked, &one)
}

/// Theano's `extra_ops.squeeze(x, axis)`: x without its broadcastable dimensions (of
/// those in `axis` when given; a non-broadcastable one there is kept, as in Theano).
#[track_caller]
pub fn squeeze(x: impl IntoVar, axis: Option<&[usize]>) -> Result<Variable> {
    let loc = Location::caller();
    let x = x.into_var();
    let b = x.broadcastable();
    let order: Vec<Option<usize>> = (0..x.ndim())
        .filter(|&i| !b[i] || axis.is_some_and(|a| !a.contains(&i)))
        .map(Some)
        .collect();
    super::dimshuffle_at(&x, order, loc)
}

/// Theano's `extra_ops.bincount(x, weights, minlength, assert_nonneg)`: the count (or the
/// summed weights) of each value of a non-negative integer vector, of length `max(x) + 1`
/// (at least `minlength`), built as Theano builds it: `AdvancedIncSubtensor1` of zeros. A
/// negative value counts from the end, as in Theano, unless `assert_nonneg` guards `x` with
/// an `Assert` ("Input to bincount has negative values!").
#[track_caller]
pub fn bincount(
    x: impl IntoVar,
    weights: Option<&Variable>,
    minlength: Option<i64>,
    assert_nonneg: bool,
) -> Result<Variable> {
    let loc = Location::caller();
    let mut x = x.into_var();
    if x.ndim() != 1 || !x.dtype().is_int() {
        return Err(GraphError::new(
            "bincount",
            vec![x.ty()],
            "Inputs must be of dimension 1 (an integer vector).",
            loc,
        ));
    }
    if let Some(w) = weights {
        if w.ndim() != 1 {
            return Err(GraphError::new(
                "bincount",
                vec![x.ty(), w.ty()],
                "the weights must be a vector",
                loc,
            ));
        }
    }
    if assert_nonneg {
        let nonneg = super::all(binary_at(ScalarOp::Ge, x.clone(), 0i8.into_var(), loc));
        x = crate::assert_op::assert_with("Input to bincount has negative values!", &x, &[nonneg])?;
    }
    // Theano's cached constant 1: the increment of `max + 1` and the count added
    let one = 1i64.into_var();
    let top = super::max(&x, None, false)?;
    let mut len = binary_at(ScalarOp::Add, top, one.clone(), loc);
    if len.dtype() != theano_tensor::DType::Int64 {
        len = super::cast(&len, theano_tensor::DType::Int64);
    }
    if let Some(m) = minlength {
        len = binary_at(ScalarOp::Maximum, len, m.into_var(), loc);
    }
    let dtype = weights.map_or(x.dtype(), |w| w.dtype());
    let zero = Variable::constant_bounded(Tensor::zeros(dtype, &[]));
    let out = apply1(Op::Alloc, vec![zero, len], loc)?;
    let value = weights.cloned().unwrap_or(one);
    apply1(
        Op::AdvancedIncSubtensor1 {
            set: false,
            inplace: false,
        },
        vec![out, value, x],
        loc,
    )
}

/// Theano's `take(a, indices, axis)` (`a.take(indices, axis)`, mode `'raise'`): the elements
/// of `a` at `indices` along `axis` (`None`: of `a` flattened), built as Theano builds it: an
/// `AdvancedSubtensor1` of a vector of indices (the axis moved to the front and back by
/// DimShuffles), indices of other ranks flattened and the result reshaped to
/// `a.shape[:axis] + indices.shape + a.shape[axis + 1:]`.
#[track_caller]
pub fn take(a: impl IntoVar, indices: impl IntoVar, axis: Option<isize>) -> Result<Variable> {
    let loc = Location::caller();
    take_at(a.into_var(), indices.into_var(), axis, loc)
}

fn take_at(a: Variable, indices: Variable, axis: Option<isize>, loc: Loc) -> Result<Variable> {
    if !indices.dtype().is_int() {
        return Err(GraphError::new(
            "take",
            vec![a.ty(), indices.ty()],
            "index must be integers",
            loc,
        ));
    }
    let axis = match axis {
        None => None,
        Some(ax) => Some(resolve_axis(ax as i64, a.ndim()).ok_or_else(|| {
            GraphError::new(
                "take",
                vec![a.ty(), indices.ty()],
                format!(
                    "axis {ax} is out of bounds for a tensor of {} dimensions",
                    a.ndim()
                ),
                loc,
            )
        })?),
    };
    if indices.ndim() == 1 {
        let sub = |x: Variable| apply1(Op::AdvancedSubtensor1, vec![x, indices.clone()], loc);
        return match axis {
            None => sub(flat(&a, &minus_one(loc)?, loc)?),
            Some(0) => sub(a),
            Some(ax) => {
                let mut order: Vec<Option<usize>> = (0..a.ndim()).map(Some).collect();
                order.swap(0, ax);
                let moved = super::dimshuffle_at(&a, order.clone(), loc)?;
                super::dimshuffle_at(&sub(moved)?, order, loc)
            }
        };
    }
    let flat_idx = flat(&indices, &minus_one(loc)?, loc)?;
    let picked = take_at(a.clone(), flat_idx, axis.map(|x| x as isize), loc)?;
    let (shape, ndim) = match axis {
        None => (
            apply1(Op::Shape, vec![indices.clone()], loc)?,
            indices.ndim(),
        ),
        Some(ax) => {
            let a_shape = || apply1(Op::Shape, vec![a.clone()], loc);
            let mut parts = Vec::new();
            // Theano's join has no `a.shape[:0]` when the axis is the first
            if ax > 0 {
                parts.push(index_at(&a_shape()?, &[Idx::to(ax as i64)], loc)?);
            }
            parts.push(apply1(Op::Shape, vec![indices.clone()], loc)?);
            parts.push(index_at(&a_shape()?, &[Idx::start_at(ax as i64 + 1)], loc)?);
            (
                super::concatenate(&parts, 0)?,
                a.ndim() + indices.ndim() - 1,
            )
        }
    };
    super::reshape_ndim(&picked, &shape, ndim)
}

/// Theano's `compress(condition, x, axis)`: the slices of `x` along `axis` (`None`: the
/// elements of `x` flattened) where `condition` is non-zero, as
/// `x.take(flatnonzero(condition), axis)`.
#[track_caller]
pub fn compress(condition: impl IntoVar, x: impl IntoVar, axis: Option<isize>) -> Result<Variable> {
    let loc = Location::caller();
    let idx = flatnonzero_at(&condition.into_var(), &minus_one(loc)?, loc)?;
    take_at(x.into_var(), idx, axis, loc)
}
