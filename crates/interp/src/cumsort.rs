//! `CumOp`, `SortOp`, `ArgSortOp`, `RepeatOp`, `Nonzero` and `PermuteRowElements` with
//! numpy's semantics (`cumsum`/`cumprod`, `sort`/`argsort` with NaNs last, `repeat`,
//! `nonzero`, `x[y]` and `out[y] = x` row by row).

use crate::error::{PerformError, R};
use crate::num::Num;
use crate::util::{check_size, py_shape, scalar_int};
use ndarray::{ArrayD, Axis, IxDyn};
use std::cmp::Ordering;
use theano_ir::cumsort::{resolve_axis, CumMode};
use theano_ir::Op;
use theano_tensor::{map_array, with_array, Tensor};

/// numpy's message for an axis outside `-ndim..ndim`.
fn axis_error(axis: i64, ndim: usize) -> PerformError {
    PerformError::index(format!(
        "axis {axis} is out of bounds for array of dimension {ndim}"
    ))
}

fn axis_of(axis: i64, ndim: usize) -> R<usize> {
    resolve_axis(axis, ndim).ok_or_else(|| axis_error(axis, ndim))
}

/// The outputs of one of this module's ops.
pub fn perform(op: &Op, ins: &[&Tensor]) -> R<Vec<Tensor>> {
    let n_in = |n: usize| crate::util::n_inputs(ins, n);
    Ok(vec![match op {
        Op::CumOp { axis, mode } => {
            n_in(1)?;
            cum(ins[0], *axis, *mode)?
        }
        Op::Sort { .. } | Op::ArgSort { .. } => {
            n_in(2)?;
            let axis = scalar_int(ins[1], "the sort axis")?;
            sort(ins[0], axis, matches!(op, Op::ArgSort { .. }))?
        }
        Op::Repeat { axis } => {
            n_in(2)?;
            repeat(ins[0], ins[1], *axis)?
        }
        Op::Nonzero => {
            n_in(1)?;
            nonzero(ins[0])?
        }
        Op::PermuteRowElements => {
            n_in(3)?;
            let inverse = scalar_int(ins[2], "inverse")? != 0;
            permute_row_elements(ins[0], ins[1], inverse)?
        }
        _ => {
            return Err(PerformError::input(format!(
                "cumsort::perform called for {op}"
            )))
        }
    }])
}

/// The running sum or product along `axis` (`None`: over the flattened array), in the
/// input's dtype (integers wrap; bool sums are `or`, products `and`).
pub fn cum(x: &Tensor, axis: Option<i64>, mode: CumMode) -> R<Tensor> {
    let axis = match axis {
        None => None,
        Some(a) => Some(axis_of(a, x.ndim())?),
    };
    Ok(map_array!(x, a => {
        let f = |p: _, c: _| match mode {
            CumMode::Add => Num::add(p, c),
            CumMode::Mul => Num::mul(p, c),
        };
        let mut out = match axis {
            None => {
                let v: Vec<_> = a.iter().copied().collect();
                let n = v.len();
                ArrayD::from_shape_vec(IxDyn(&[n]), v)
                    .map_err(|e| PerformError::shape(e.to_string()))?
            }
            Some(_) => a.as_standard_layout().into_owned(),
        };
        let k = axis.unwrap_or(0);
        out.accumulate_axis_inplace(Axis(k), |&p, c| *c = f(p, *c));
        out
    }))
}

/// numpy's order: NaNs after every number, equal to each other.
fn nan_last<T: Num + PartialOrd>(a: &T, b: &T) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

/// `sort` (`arg`: `argsort`, int64 indices) along `axis`, stably.
pub fn sort(x: &Tensor, axis: i64, arg: bool) -> R<Tensor> {
    if x.ndim() == 0 {
        return Err(PerformError::input("cannot sort a 0-d array".to_string()));
    }
    let k = axis_of(axis, x.ndim())?;
    if arg {
        with_array!(x, a => {
            let mut out = ArrayD::<i64>::zeros(IxDyn(x.shape()));
            for (lane, mut o) in a.lanes(Axis(k)).into_iter().zip(out.lanes_mut(Axis(k))) {
                let v: Vec<_> = lane.iter().copied().collect();
                let mut idx: Vec<usize> = (0..v.len()).collect();
                idx.sort_by(|&i, &j| nan_last(&v[i], &v[j]));
                for (o, i) in o.iter_mut().zip(idx) {
                    *o = i as i64;
                }
            }
            Ok(Tensor::from_array(out))
        })
    } else {
        Ok(map_array!(x, a => {
            let mut out = a.as_standard_layout().into_owned();
            for mut lane in out.lanes_mut(Axis(k)) {
                let mut v: Vec<_> = lane.iter().copied().collect();
                v.sort_by(nan_last);
                for (o, s) in lane.iter_mut().zip(v) {
                    *o = s;
                }
            }
            out
        }))
    }
}

/// numpy's `repeat(x, repeats, axis)`: `repeats` a scalar or a vector of one count per element
/// along the axis (or of length 1); `None`: over the flattened array.
pub fn repeat(x: &Tensor, repeats: &Tensor, axis: Option<i64>) -> R<Tensor> {
    if !repeats.dtype().is_int() || repeats.ndim() > 1 {
        return Err(PerformError::input(format!(
            "repeats must be an integer scalar or vector, got a {} array of shape {}",
            repeats.dtype(),
            py_shape(repeats.shape())
        )));
    }
    let flat;
    let (x, k) = match axis {
        None => {
            flat = x
                .to_contiguous()
                .reshape(&[x.len()])
                .map_err(|e| PerformError::shape(e.to_string()))?;
            (&flat, 0)
        }
        Some(a) => (x, axis_of(a, x.ndim())?),
    };
    let n = x.shape()[k];
    let counts = repeats.to_i64_vec();
    let counts: Vec<i64> = match counts.len() {
        _ if repeats.ndim() == 0 || counts.len() == 1 => vec![counts[0]; n],
        m if m == n => counts,
        m => {
            return Err(PerformError::shape(format!(
                "repeats has {m} entries but the axis has length {n} (operands could not be \
                 broadcast together with shape ({n},) ({m},))"
            )))
        }
    };
    if let Some(c) = counts.iter().find(|&&c| c < 0) {
        return Err(PerformError::value(format!(
            "repeats may not contain negative values, got {c}"
        )));
    }
    let total = counts
        .iter()
        .try_fold(0usize, |s, &c| s.checked_add(c as usize))
        .ok_or_else(|| PerformError::value("the repeated length overflows".to_string()))?;
    let mut shape = x.shape().to_vec();
    shape[k] = total;
    check_size(&shape, x.dtype())?;
    let mut idx = Vec::new();
    idx.try_reserve_exact(total)
        .map_err(|_| PerformError::value(format!("cannot allocate {total} indices")))?;
    for (i, &c) in counts.iter().enumerate() {
        idx.extend(std::iter::repeat_n(i, c as usize));
    }
    Ok(map_array!(x, a => a.select(Axis(k), &idx)))
}

/// `Nonzero`: the int64 matrix `(ndim, count)` of the indices of the non-zero elements, in
/// row-major order (NaN is non-zero).
pub fn nonzero(x: &Tensor) -> R<Tensor> {
    if x.ndim() == 0 {
        return Err(PerformError::input(
            "Nonzero only supports non-scalar arrays, got a 0-d array".to_string(),
        ));
    }
    let nd = x.ndim();
    let mut found: Vec<Vec<i64>> = vec![Vec::new(); nd];
    with_array!(x, a => {
        for (ix, v) in a.indexed_iter() {
            if v.is_nonzero() {
                for (d, f) in found.iter_mut().enumerate() {
                    f.push(ix[d] as i64);
                }
            }
        }
    });
    let count = found[0].len();
    let data: Vec<i64> = found.into_iter().flatten().collect();
    ArrayD::from_shape_vec(IxDyn(&[nd, count]), data)
        .map(Tensor::from_array)
        .map_err(|e| PerformError::shape(e.to_string()))
}

/// `PermuteRowElements` (Theano's perform): the output's lengths are x's and y's, a length 1
/// taking the other's; each row of the output is `x_row[y_row]` (`inverse`: `out_row[y_row] =
/// x_row`), the rows paired along the leading axes with a length-1 side repeated. An index
/// outside the row is numpy's IndexError (negative ones count from the end).
pub fn permute_row_elements(x: &Tensor, y: &Tensor, inverse: bool) -> R<Tensor> {
    if !y.dtype().is_int() {
        return Err(PerformError::input(format!(
            "the permutations must be integers, got {}",
            y.dtype()
        )));
    }
    let (xs, ys) = (x.shape(), y.shape());
    if xs.len() != ys.len() || xs.is_empty() {
        return Err(PerformError::input(format!(
            "x and y must have one rank, at least 1, got shapes {} and {}",
            py_shape(xs),
            py_shape(ys)
        )));
    }
    let nd = xs.len();
    let mut out_shape = Vec::with_capacity(nd);
    for (&a, &b) in xs.iter().zip(ys) {
        out_shape.push(match (a, b) {
            _ if a == b => a,
            (1, _) => b,
            (_, 1) => a,
            _ => return Err(PerformError::value(format!("Dimension mismatch: {a}, {b}"))),
        });
    }
    check_size(&out_shape, x.dtype())?;
    let (lx, ly, len) = (xs[nd - 1], ys[nd - 1], out_shape[nd - 1]);
    if inverse && lx != ly && lx != 1 {
        return Err(PerformError::value(format!(
            "shape mismatch: value array of shape ({lx},) could not be broadcast to indexing \
             result of shape ({ly},)"
        )));
    }
    // row-major strides over the leading axes, 0 where a side broadcasts
    let lead = &out_shape[..nd - 1];
    let strides = |s: &[usize]| {
        let mut st = vec![0; nd - 1];
        let mut acc = 1;
        for d in (0..nd - 1).rev() {
            st[d] = if s[d] == 1 { 0 } else { acc };
            acc *= s[d];
        }
        st
    };
    let (sx, sy) = (strides(&xs[..nd - 1]), strides(&ys[..nd - 1]));
    let rows: usize = lead.iter().product();
    let yv = y.to_i64_vec();
    let wrap = |i: i64, n: usize| -> R<usize> {
        let k = if i < 0 { i + n as i64 } else { i };
        if k < 0 || k >= n as i64 {
            return Err(PerformError::index(format!(
                "index {i} is out of bounds for axis 0 with size {n}"
            )));
        }
        Ok(k as usize)
    };
    // the source element of x for every output element (None: unwritten, left zero)
    let mut src: Vec<Option<usize>> = vec![None; rows * len];
    let mut index = vec![0usize; nd - 1];
    for r in 0..rows {
        let at = |st: &[usize]| index.iter().zip(st).map(|(i, s)| i * s).sum::<usize>();
        let (xr, yr) = (at(&sx) * lx, at(&sy) * ly);
        let out = &mut src[r * len..(r + 1) * len];
        if inverse {
            for j in 0..ly {
                let k = wrap(yv[yr + j], len)?;
                out[k] = Some(xr + if lx == 1 { 0 } else { j });
            }
        } else {
            for (j, o) in out.iter_mut().enumerate() {
                let k = wrap(yv[yr + if ly == 1 { 0 } else { j }], lx)?;
                *o = Some(xr + k);
            }
        }
        for d in (0..nd - 1).rev() {
            index[d] += 1;
            if index[d] < lead[d] {
                break;
            }
            index[d] = 0;
        }
    }
    let x = x.to_contiguous();
    Ok(map_array!(&x, a => {
        let v = a.as_slice().expect("a contiguous array");
        let data = src
            .iter()
            .map(|s| s.map_or_else(Default::default, |i| v[i]))
            .collect();
        ArrayD::from_shape_vec(IxDyn(&out_shape), data).expect("the computed length")
    }))
}
