//! Reductions: `Reduce` (sum, prod, max, min, all, any) and `MaxAndArgmax`.

use crate::error::{PerformError, R};
use crate::num::Num;
use crate::util::{cow, py_shape};
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};
use theano_ir::ReduceKind;
use theano_tensor::{with_array, DType, Tensor};

/// Validate `axes` (None = all) against `ndim`: sorted, unique, in range.
pub fn norm_axes(axes: Option<&[usize]>, ndim: usize) -> R<Vec<usize>> {
    let Some(a) = axes else {
        return Ok((0..ndim).collect());
    };
    let mut out = a.to_vec();
    out.sort_unstable();
    out.dedup();
    if out.len() != a.len() {
        return Err(PerformError::input(format!("repeated axis in {a:?}")));
    }
    if let Some(&bad) = out.iter().find(|&&i| i >= ndim) {
        return Err(PerformError::index(format!(
            "axis {bad} is out of bounds for array of dimension {ndim}"
        )));
    }
    Ok(out)
}

/// Fold `a` over the (sorted, unique) `axes` with `f` starting from `init` in each cell.
fn fold_axes<T: Copy>(
    a: ArrayViewD<'_, T>,
    axes: &[usize],
    init: T,
    f: impl Fn(T, T) -> T,
) -> ArrayD<T> {
    if axes.len() == a.ndim() {
        // everything: one pass in memory order
        return ArrayD::from_elem(IxDyn(&[]), a.fold(init, |acc, &x| f(acc, x)));
    }
    let mut it = axes.iter().rev();
    let Some(&last) = it.next() else {
        return a.to_owned();
    };
    // a unit-stride axis folds lane by lane (cache-friendly); others fold slice by slice
    let fold1 = |v: ArrayViewD<'_, T>, ax: usize| {
        if v.strides()[ax].unsigned_abs() == 1 {
            v.map_axis(Axis(ax), |lane| lane.fold(init, |acc, &x| f(acc, x)))
        } else {
            v.fold_axis(Axis(ax), init, |acc, &x| f(*acc, x))
        }
    };
    let mut cur = fold1(a, last);
    for &ax in it {
        cur = fold1(cur.view(), ax);
    }
    cur
}

fn empty_check(shape: &[usize], axes: &[usize], what: &str) -> R<()> {
    if axes.iter().any(|&i| shape[i] == 0) {
        return Err(PerformError::value(format!(
            "zero-size array to reduction operation {what} which has no identity (shape {}, axes {axes:?})",
            py_shape(shape)
        )));
    }
    Ok(())
}

fn sum_prod<T: Num>(a: ArrayViewD<'_, T>, axes: &[usize], prod: bool) -> ArrayD<T> {
    if prod {
        fold_axes(a, axes, T::ONE, T::mul)
    } else {
        fold_axes(a, axes, T::ZERO, T::add)
    }
}

fn max_min<T: Num>(a: ArrayViewD<'_, T>, axes: &[usize], max: bool) -> ArrayD<T> {
    if max {
        fold_axes(a, axes, T::LOWEST, T::maximum)
    } else {
        fold_axes(a, axes, T::HIGHEST, T::minimum)
    }
}

/// `Reduce{kind, axes}` of `x`, giving dtype `out`.
pub fn reduce(kind: ReduceKind, axes: Option<&[usize]>, x: &Tensor, out: DType) -> R<Tensor> {
    let axes = norm_axes(axes, x.ndim())?;
    let t = match kind {
        ReduceKind::Sum | ReduceKind::Prod => {
            let prod = kind == ReduceKind::Prod;
            // floats accumulate in float64 (float32 is cast back), ints and bools in int64
            if x.dtype().is_float() {
                let a = cow::<f64>(x);
                Tensor::from_array(sum_prod(a.view(), &axes, prod))
            } else {
                let a = cow::<i64>(x);
                Tensor::from_array(sum_prod(a.view(), &axes, prod))
            }
        }
        ReduceKind::Max | ReduceKind::Min => {
            let max = kind == ReduceKind::Max;
            empty_check(x.shape(), &axes, if max { "maximum" } else { "minimum" })?;
            with_array!(x, a => Tensor::from_array(max_min(a.view(), &axes, max)))
        }
        ReduceKind::All => {
            let a = cow::<bool>(x);
            Tensor::from_array(fold_axes(a.view(), &axes, true, |p, q| p & q))
        }
        ReduceKind::Any => {
            let a = cow::<bool>(x);
            Tensor::from_array(fold_axes(a.view(), &axes, false, |p, q| p | q))
        }
    };
    Ok(if t.dtype() == out { t } else { t.cast(out) })
}

/// `MaxAndArgmax{axes}`: the max and the index of its first occurrence, the reduced axes
/// flattened in C order (Theano); NaN counts as the maximum (numpy).
pub fn max_and_argmax(x: &Tensor, axes: &[usize]) -> R<(Tensor, Tensor)> {
    let axes = norm_axes(Some(axes), x.ndim())?;
    if axes.iter().any(|&i| x.shape()[i] == 0) {
        return Err(PerformError::value(format!(
            "attempt to get argmax of an empty sequence (shape {}, axes {axes:?})",
            py_shape(x.shape())
        )));
    }
    with_array!(x, a => {
        let (m, i) = max_argmax_t(a.view(), &axes)?;
        Ok((Tensor::from_array(m), Tensor::from_array(i)))
    })
}

fn max_argmax_t<T: Num>(a: ArrayViewD<'_, T>, axes: &[usize]) -> R<(ArrayD<T>, ArrayD<i64>)> {
    let nd = a.ndim();
    let kept: Vec<usize> = (0..nd).filter(|i| !axes.contains(i)).collect();
    let out_shape: Vec<usize> = kept.iter().map(|&i| a.shape()[i]).collect();
    let inner: usize = axes.iter().map(|&i| a.shape()[i]).product();
    let perm: Vec<usize> = kept.iter().chain(axes).copied().collect();
    let p = a.permuted_axes(IxDyn(&perm));
    let p = p.as_standard_layout();
    let flat = p
        .as_slice()
        .ok_or_else(|| PerformError::input("internal: non-contiguous standard layout"))?;
    let outer = flat.len().checked_div(inner).unwrap_or(0);
    let mut maxes = Vec::with_capacity(outer);
    let mut idxs = Vec::with_capacity(outer);
    for row in flat.chunks_exact(inner.max(1)).take(outer) {
        let (mut bi, mut bv) = (0usize, row[0]);
        if !bv.is_nan() {
            for (i, &v) in row.iter().enumerate().skip(1) {
                if v.is_nan() {
                    (bi, bv) = (i, v);
                    break;
                }
                if v > bv {
                    (bi, bv) = (i, v);
                }
            }
        }
        maxes.push(bv);
        idxs.push(bi as i64);
    }
    let sh = IxDyn(&out_shape);
    let e = |e: ndarray::ShapeError| PerformError::shape(e.to_string());
    Ok((
        ArrayD::from_shape_vec(sh.clone(), maxes).map_err(e)?,
        ArrayD::from_shape_vec(sh, idxs).map_err(e)?,
    ))
}
