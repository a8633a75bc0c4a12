//! `Eye`, `Tri`, `ExtractDiag`, `AllocDiag`, `BatchedDot` and `SoftmaxWithBias`, with
//! numpy's semantics (`np.eye`, `np.tri`, `x.diagonal`, Theano's `AllocDiag.perform`, a loop
//! of `np.dot`, `softmax(x + b)`).

use crate::error::{PerformError, R};
use crate::linalg::MatMul;
use crate::num::Num;
use crate::util::{check_size, cow, py_shape, scalar_int, try_full};
use ndarray::{ArrayD, Axis, Ix2, IxDyn};
use theano_ir::matrix::{alloc_diag_layout, diag_len};
use theano_tensor::{with_dtype, DType, Element, Tensor};

fn dim(t: &Tensor, what: &str) -> R<usize> {
    let n = scalar_int(t, what)?;
    usize::try_from(n).map_err(|_| {
        PerformError::value(format!(
            "negative dimensions are not allowed: {what} is {n}"
        ))
    })
}

/// `np.eye(n, m, k)` (`tri`: false) or `np.tri(n, m, k)` (`tri`: true) of `dtype`.
pub fn eye_or_tri(ins: &[&Tensor], dtype: DType, tri: bool) -> R<Tensor> {
    let n = dim(ins[0], "n (rows)")?;
    let m = dim(ins[1], "m (columns)")?;
    let k = scalar_int(ins[2], "k (the diagonal)")? as i128;
    check_size(&[n, m], dtype)?;
    with_dtype!(dtype, T => {
        let mut a = try_full::<T>(&[n, m], T::ZERO)?;
        for ((i, j), v) in a
            .view_mut()
            .into_dimensionality::<Ix2>()
            .map_err(|e| PerformError::shape(e.to_string()))?
            .indexed_iter_mut()
        {
            let (i, j) = (i as i128, j as i128);
            let one = if tri { j <= i + k } else { j == i + k };
            if one {
                *v = T::ONE;
            }
        }
        Ok(T::into_tensor(a))
    })
}

/// `x.diagonal(offset, axis1, axis2)`: the other axes in order, then the diagonal.
pub fn extract_diag(x: &Tensor, offset: i64, axis1: usize, axis2: usize) -> R<Tensor> {
    let nd = x.ndim();
    if nd < 2 || axis1 >= nd || axis2 >= nd || axis1 == axis2 {
        return Err(PerformError::input(format!(
            "diagonal of axes {axis1} and {axis2} of an array of shape {}: needs 2 distinct \
             axes of an array of 2 or more dimensions",
            py_shape(x.shape())
        )));
    }
    let s = x.shape();
    let len = diag_len(s[axis1], s[axis2], offset);
    let (r0, c0) = ((-offset).max(0) as usize, offset.max(0) as usize);
    let mut out_shape: Vec<usize> = (0..nd)
        .filter(|&i| i != axis1 && i != axis2)
        .map(|i| s[i])
        .collect();
    out_shape.push(len);
    check_size(&out_shape, x.dtype())?;
    with_dtype!(x.dtype(), T => {
        let a = cow::<T>(x);
        // the other axes first, then axis1 and axis2
        let mut perm: Vec<usize> = (0..nd).filter(|&i| i != axis1 && i != axis2).collect();
        perm.push(axis1);
        perm.push(axis2);
        let p = a.view().permuted_axes(IxDyn(&perm));
        let mut out = try_full::<T>(&out_shape, T::ZERO)?;
        for d in 0..len {
            let sub = p
                .index_axis(Axis(nd - 2), r0 + d)
                .index_axis_move(Axis(nd - 2), c0 + d);
            out.index_axis_mut(Axis(nd - 2), d).assign(&sub);
        }
        Ok(T::into_tensor(out))
    })
}

/// Theano's `AllocDiag{offset, axis1, axis2}`: zeros of `x.shape[:-1]` plus two dimensions of
/// `x.shape[-1] + |offset|` at `min(axis1, axis2)` and `max(axis1, axis2)`, with `x`'s last
/// axis on diagonal `offset` of those two.
pub fn alloc_diag(x: &Tensor, offset: i64, axis1: usize, axis2: usize) -> R<Tensor> {
    let nd = x.ndim();
    if nd < 1 || axis1 > nd || axis2 > nd || axis1 == axis2 {
        return Err(PerformError::input(format!(
            "AllocDiag of axes {axis1} and {axis2} from an array of shape {}: needs 2 distinct \
             axes of the result (ndim {})",
            py_shape(x.shape()),
            nd + 1
        )));
    }
    let s = x.shape();
    let n = s[nd - 1];
    let side = n
        .checked_add(offset.unsigned_abs() as usize)
        .ok_or_else(|| PerformError::value(format!("offset {offset} is too large")))?;
    let layout = alloc_diag_layout(nd, axis1, axis2);
    let out_shape: Vec<usize> = layout
        .iter()
        .map(|e| match e {
            Some(i) => s[*i],
            None => side,
        })
        .collect();
    check_size(&out_shape, x.dtype())?;
    let (lo, hi) = (axis1.min(axis2), axis1.max(axis2));
    let (r0, c0) = ((-offset).max(0) as usize, offset.max(0) as usize);
    with_dtype!(x.dtype(), T => {
        let a = cow::<T>(x);
        let mut out = try_full::<T>(&out_shape, T::ZERO)?;
        for d in 0..n {
            // the row dimension (lo) at r0 + d, then the column dimension (hi, one less after
            // removing lo) at c0 + d: the batch dimensions of x[..., d] remain
            let mut v = out.view_mut();
            v.collapse_axis(Axis(lo), r0 + d);
            v.collapse_axis(Axis(hi), c0 + d);
            let mut v = v.remove_axis(Axis(hi)).remove_axis(Axis(lo));
            v.assign(&a.index_axis(Axis(nd - 1), d));
        }
        Ok(T::into_tensor(out))
    })
}

/// Theano's `BatchedDot`: `out[i] = dot(x[i], y[i])` for operands of 2 or 3 dimensions,
/// computed in `out` (the promoted dtype).
pub fn batched_dot(x: &Tensor, y: &Tensor, out: DType) -> R<Tensor> {
    let (sx, sy) = (x.shape(), y.shape());
    if !(2..=3).contains(&sx.len()) || !(2..=3).contains(&sy.len()) {
        return Err(PerformError::input(format!(
            "BatchedDot needs operands of 2 or 3 dimensions, got shapes {} and {}",
            py_shape(sx),
            py_shape(sy)
        )));
    }
    if sx[0] != sy[0] {
        return Err(PerformError::shape(format!(
            "the inputs must have the same size in axis 0 (the batch), got shapes {} and {}",
            py_shape(sx),
            py_shape(sy)
        )));
    }
    // the summed axis: x's last, y's second (a matrix y: its rows are vectors)
    let kx = sx[sx.len() - 1];
    let ky = sy[1];
    if kx != ky {
        return Err(PerformError::shape(format!(
            "shapes {} and {} not aligned for a batched dot: {kx} (dim {}) != {ky} (dim 1)",
            py_shape(sx),
            py_shape(sy),
            sx.len() - 1
        )));
    }
    let mut out_shape = vec![sx[0]];
    out_shape.extend(&sx[1..sx.len() - 1]);
    out_shape.extend(&sy[2..]);
    check_size(&out_shape, out)?;
    with_dtype!(out, T => {
        let (a, b) = (cow::<T>(x), cow::<T>(y));
        let mut o = try_full::<T>(&out_shape, T::ZERO)?;
        for i in 0..sx[0] {
            let xi = a.index_axis(Axis(0), i);
            let yi = b.index_axis(Axis(0), i);
            let x2 = if xi.ndim() == 1 { xi.insert_axis(Axis(0)) } else { xi };
            let y2 = if yi.ndim() == 1 { yi.insert_axis(Axis(1)) } else { yi };
            let x2 = x2.into_dimensionality::<Ix2>().map_err(|e| PerformError::shape(e.to_string()))?;
            let y2 = y2.into_dimensionality::<Ix2>().map_err(|e| PerformError::shape(e.to_string()))?;
            let p = <T as MatMul>::matmul(x2, y2);
            let mut oi = o.index_axis_mut(Axis(0), i);
            let p = p.into_shape_with_order(oi.shape().to_vec()).map_err(|e| PerformError::shape(e.to_string()))?;
            oi.assign(&p);
        }
        Ok(T::into_tensor(o))
    })
}

/// `SoftmaxWithBias`: `softmax(x + b)` over each row of the matrix `x`; `b` has one entry per
/// column (Theano refuses any other length).
pub fn softmax_with_bias(x: &Tensor, b: &Tensor, out: DType) -> R<Tensor> {
    if x.ndim() != 2 || b.ndim() != 1 {
        return Err(PerformError::input(format!(
            "x must be a matrix and b a vector, got shapes {} and {}",
            py_shape(x.shape()),
            py_shape(b.shape())
        )));
    }
    if b.shape()[0] != x.shape()[1] {
        return Err(PerformError::shape(format!(
            "b must have same number of columns as x: b has shape {}, x has shape {}",
            py_shape(b.shape()),
            py_shape(x.shape())
        )));
    }
    let sum = with_dtype!(out, T => {
        let (a, c) = (cow::<T>(x), cow::<T>(b));
        let s: ArrayD<T> = ndarray::Zip::from(&a.view().into_dimensionality::<Ix2>().map_err(|e| PerformError::shape(e.to_string()))?)
            .and_broadcast(&c.view().insert_axis(Axis(0)))
            .map_collect(|&u, &v| <T as Num>::add(u, v))
            .into_dyn();
        T::into_tensor(s)
    });
    crate::linalg::softmax(&sum, out, false)
}
