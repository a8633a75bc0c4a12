//! Builders Theano 1.0.5 writes as compositions of other builders (`theano.tensor.basic`'s
//! `swapaxes`, `ptp`, `isclose`, `allclose`, `horizontal_stack`, `vertical_stack`,
//! `shape_padleft`/`right`/`axis`, `smallest`, `largest`, `divmod`, `round`, `cov`, and
//! `nnet.selu`), node for node as Theano builds them.

use super::{
    abs, all, and_, concatenate, dot, eq, gt, int_div, invert, isinf, isnan, le, lt, max, min,
    modulo, mul, or_, round, round_half_away_from_zero, sgn, squeeze, stack, switch, IntoVar, Loc,
};
use crate::error::{GraphError, Result};
use crate::var::Variable;
use std::panic::Location;

fn refuse(what: &'static str, ins: &[&Variable], why: String, loc: Loc) -> GraphError {
    GraphError::new(what, ins.iter().map(|v| v.ty()).collect(), why, loc)
}

/// An axis in `-n..n` as its index in `0..n`.
fn axis_in(what: &'static str, x: &Variable, axis: isize, n: usize, loc: Loc) -> Result<usize> {
    let a = if axis < 0 { axis + n as isize } else { axis };
    if a < 0 || a >= n as isize {
        return Err(refuse(
            what,
            &[x],
            format!("axis {axis} is out of bounds [-{n}, {n})"),
            loc,
        ));
    }
    Ok(a as usize)
}

/// Theano's `swapaxes(y, axis1, axis2)`: `y` with two axes exchanged (a `DimShuffle`).
#[track_caller]
pub fn swapaxes(y: impl IntoVar, axis1: isize, axis2: isize) -> Result<Variable> {
    let (y, loc) = (y.into_var(), Location::caller());
    let n = y.ndim();
    let (a, b) = (
        axis_in("swapaxes", &y, axis1, n, loc)?,
        axis_in("swapaxes", &y, axis2, n, loc)?,
    );
    let mut order: Vec<Option<usize>> = (0..n).map(Some).collect();
    order.swap(a, b);
    y.dimshuffle(&order)
}

/// Theano's `ptp(a, axis)`: the range, `max(a, axis) - min(a, axis)` (`None`: over all).
#[track_caller]
pub fn ptp(a: impl IntoVar, axes: Option<&[isize]>) -> Result<Variable> {
    let a = a.into_var();
    Ok(max(&a, axes, false)? - min(&a, axes, false)?)
}

/// Theano's `isclose(a, b, rtol, atol, equal_nan)`: elementwise `|a - b| <= atol + rtol *
/// |b|`, infinities close when equal, NaN close to NaN only with `equal_nan`; bool.
#[track_caller]
pub fn isclose(
    a: impl IntoVar,
    b: impl IntoVar,
    rtol: f64,
    atol: f64,
    equal_nan: bool,
) -> Result<Variable> {
    let (a, b) = (a.into_var(), b.into_var());
    let diff = abs(&a - &b);
    let tolerance = atol + mul(rtol, abs(&b));
    let close_prelim = le(diff, tolerance);
    let (a_nan, b_nan) = (isnan(&a), isnan(&b));
    let nans = or_(&a_nan, &b_nan)?;
    let (a_inf, b_inf) = (isinf(&a), isinf(&b));
    let infs = or_(&a_inf, &b_inf)?;
    let nans_or_infs = or_(nans, infs)?;
    let close = and_(close_prelim, invert(nans_or_infs)?)?;
    let both_infs = and_(&a_inf, &b_inf)?;
    let inf_signs_eq = eq(&a_inf * sgn(&a)?, &b_inf * sgn(&b)?);
    let inf_eq = and_(both_infs, inf_signs_eq)?;
    let close_with_infs = or_(close, inf_eq)?;
    if equal_nan {
        or_(close_with_infs, and_(a_nan, b_nan)?)
    } else {
        Ok(close_with_infs)
    }
}

/// Theano's `allclose(a, b, rtol, atol, equal_nan)`: [`isclose`] everywhere (a bool scalar).
#[track_caller]
pub fn allclose(
    a: impl IntoVar,
    b: impl IntoVar,
    rtol: f64,
    atol: f64,
    equal_nan: bool,
) -> Result<Variable> {
    Ok(all(isclose(a, b, rtol, atol, equal_nan)?))
}

fn stack_of_matrices(what: &'static str, xs: &[Variable], axis: isize) -> Result<Variable> {
    let loc = Location::caller();
    let refs: Vec<&Variable> = xs.iter().collect();
    if xs.len() < 2 {
        return Err(refuse(
            what,
            &refs,
            format!("{what} joins at least two matrices, got {}", xs.len()),
            loc,
        ));
    }
    if let Some(x) = xs.iter().find(|x| x.ndim() != 2) {
        return Err(refuse(
            what,
            &refs,
            format!("{what} joins matrices, got {}", x.ty()),
            loc,
        ));
    }
    concatenate(xs, axis)
}

/// Theano's `horizontal_stack(*args)`: two or more matrices joined along their columns.
#[track_caller]
pub fn horizontal_stack(xs: &[Variable]) -> Result<Variable> {
    stack_of_matrices("horizontal_stack", xs, 1)
}

/// Theano's `vertical_stack(*args)`: two or more matrices joined along their rows.
#[track_caller]
pub fn vertical_stack(xs: &[Variable]) -> Result<Variable> {
    stack_of_matrices("vertical_stack", xs, 0)
}

/// Theano's `shape_padleft(t, n_ones)`: `n_ones` broadcastable axes in front.
#[track_caller]
pub fn shape_padleft(t: impl IntoVar, n_ones: usize) -> Result<Variable> {
    let t = t.into_var();
    let mut order = vec![None; n_ones];
    order.extend((0..t.ndim()).map(Some));
    t.dimshuffle(&order)
}

/// Theano's `shape_padright(t, n_ones)`: `n_ones` broadcastable axes at the end.
#[track_caller]
pub fn shape_padright(t: impl IntoVar, n_ones: usize) -> Result<Variable> {
    let t = t.into_var();
    let mut order: Vec<Option<usize>> = (0..t.ndim()).map(Some).collect();
    order.extend(std::iter::repeat_n(None, n_ones));
    t.dimshuffle(&order)
}

/// Theano's `shape_padaxis(t, axis)`: a broadcastable axis inserted at `axis` (of the
/// result, negative from the end).
#[track_caller]
pub fn shape_padaxis(t: impl IntoVar, axis: isize) -> Result<Variable> {
    let (t, loc) = (t.into_var(), Location::caller());
    let a = axis_in("shape_padaxis", &t, axis, t.ndim() + 1, loc)?;
    let mut order: Vec<Option<usize>> = (0..t.ndim()).map(Some).collect();
    order.insert(a, None);
    t.dimshuffle(&order)
}

/// Theano's `smallest(*args)`: the elementwise minimum (a `switch` of two, else the minimum
/// of their stack).
#[track_caller]
pub fn smallest(xs: &[Variable]) -> Result<Variable> {
    match xs {
        [a, b] => Ok(switch(lt(a, b), a, b)),
        _ => min(stack(xs, 0)?, Some(&[0]), false),
    }
}

/// Theano's `largest(*args)`: the elementwise maximum (a `switch` of two, else the maximum
/// of their stack).
#[track_caller]
pub fn largest(xs: &[Variable]) -> Result<Variable> {
    match xs {
        [a, b] => Ok(switch(gt(a, b), a, b)),
        _ => max(stack(xs, 0)?, Some(&[0]), false),
    }
}

/// Theano's `divmod(x, y)`: `(x // y, x % y)`, Python's floor division and modulo.
#[track_caller]
pub fn divmod(x: impl IntoVar, y: impl IntoVar) -> (Variable, Variable) {
    let (x, y) = (x.into_var(), y.into_var());
    (int_div(&x, &y), modulo(&x, &y))
}

/// Theano's `round(a, mode)`: `"half_to_even"` (NumPy's, [`round`]) or
/// `"half_away_from_zero"`.
#[track_caller]
pub fn round_mode(a: impl IntoVar, mode: &str) -> Result<Variable> {
    let (a, loc) = (a.into_var(), Location::caller());
    match mode {
        "half_to_even" => round(a),
        "half_away_from_zero" => round_half_away_from_zero(a),
        _ => Err(refuse(
            "round",
            &[&a],
            format!("round mode {mode} is not implemented."),
            loc,
        )),
    }
}

/// Theano's `cov(m, y, rowvar, bias, ddof)`: the covariance matrix of the variables in the
/// rows of `m` (the columns when `rowvar` is false), with `y`'s appended; normalized by
/// `n - ddof` (`ddof` `None`: 1, or 0 with `bias`), squeezed.
#[track_caller]
pub fn cov(
    m: impl IntoVar,
    y: Option<&Variable>,
    rowvar: bool,
    bias: bool,
    ddof: Option<i64>,
) -> Result<Variable> {
    let mut m = m.into_var();
    // Theano tests `m.shape[0] != 1` on the symbolic shape, which is always true
    if !rowvar {
        m = m.t();
    }
    if let Some(y) = y {
        let y = if rowvar { y.clone() } else { y.t() };
        m = concatenate(&[m, y], 0)?;
    }
    let ddof = ddof.unwrap_or(if bias { 0 } else { 1 });
    let fact = m.shape().at(1i64)? - ddof.into_var();
    let m = &m - super::mean(&m, Some(&[1]), true)?;
    let c = dot(&m, m.t())?;
    let c = c * (1i8.into_var() / fact);
    squeeze(c, None)
}

/// Theano's `nnet.selu(x)`: `scale * elu(x, alpha)` with Klambauer et al.'s constants.
#[track_caller]
pub fn selu(x: impl IntoVar) -> Variable {
    let alpha = 1.673_263_242_354_377_2_f64;
    let scale = 1.050_700_987_355_480_5_f64;
    mul(scale, super::elu_alpha(x, alpha))
}
