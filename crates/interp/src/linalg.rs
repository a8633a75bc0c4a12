//! `Dot`, `Softmax`, `LogSoftmax`.

use crate::error::{PerformError, R};
use crate::num::Num;
use crate::util::{check_size, cow, py_shape};
use ndarray::{Array2, ArrayD, ArrayView2, ArrayViewD, Axis, Ix2, Zip};
use theano_tensor::{with_dtype, DType, Element, Tensor};

/// Matrix product of two 2-d views, with the element type's arithmetic (wrapping for ints,
/// or/and for bool). Floats use ndarray's `dot` (matrixmultiply).
pub trait MatMul: Num {
    fn matmul(a: ArrayView2<'_, Self>, b: ArrayView2<'_, Self>) -> Array2<Self> {
        let (m, k) = a.dim();
        let n = b.dim().1;
        let mut out = Array2::from_elem((m, n), Self::ZERO);
        for i in 0..m {
            let mut orow = out.row_mut(i);
            for kk in 0..k {
                let aik = a[(i, kk)];
                Zip::from(&mut orow)
                    .and(b.row(kk))
                    .for_each(|o, &bv| *o = Self::add(*o, Self::mul(aik, bv)));
            }
        }
        out
    }
}

impl MatMul for f64 {
    fn matmul(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array2<f64> {
        // ndarray's BLAS-like path refuses some layouts (broadcast stride-0 axes, negative
        // strides): give it C-contiguous operands then (a no-op borrow when already so).
        a.as_standard_layout().dot(&b.as_standard_layout())
    }
}
impl MatMul for f32 {
    fn matmul(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f32> {
        // ndarray's BLAS-like path refuses some layouts (broadcast stride-0 axes, negative
        // strides): give it C-contiguous operands then (a no-op borrow when already so).
        a.as_standard_layout().dot(&b.as_standard_layout())
    }
}
impl MatMul for i64 {}
impl MatMul for i32 {}
impl MatMul for i16 {}
impl MatMul for i8 {}
impl MatMul for u8 {}
impl MatMul for u16 {}
impl MatMul for u32 {}
impl MatMul for u64 {}
impl MatMul for bool {}

/// `dot(a, b)` for vectors and matrices, computed in `out` (the promoted dtype).
pub fn dot(a: &Tensor, b: &Tensor, out: DType) -> R<Tensor> {
    let (sa, sb) = (a.shape(), b.shape());
    let not_aligned = |da: usize, db: usize| {
        PerformError::shape(format!(
            "shapes {} and {} not aligned: {} (dim {da}) != {} (dim {db})",
            py_shape(sa),
            py_shape(sb),
            sa[da],
            sb[db]
        ))
    };
    let (m, n) = match (sa.len(), sb.len()) {
        (1, 1) if sa[0] != sb[0] => return Err(not_aligned(0, 0)),
        (1, 2) if sa[0] != sb[0] => return Err(not_aligned(0, 0)),
        (2, 1) | (2, 2) if sa[1] != sb[0] => return Err(not_aligned(1, 0)),
        (1, 1) => (None, None),
        (2, 1) => (Some(sa[0]), None),
        (1, 2) => (None, Some(sb[1])),
        (2, 2) => (Some(sa[0]), Some(sb[1])),
        _ => {
            return Err(PerformError::input(format!(
                "dot needs vectors or matrices, got shapes {} and {}",
                py_shape(sa),
                py_shape(sb)
            )))
        }
    };
    let out_shape: Vec<usize> = m.into_iter().chain(n).collect();
    check_size(&out_shape, out)?;
    with_dtype!(out, T => {
        let ca = cow::<T>(a);
        let cb = cow::<T>(b);
        let r = dot_t::<T>(ca.view(), cb.view(), &out_shape)?;
        Ok(T::into_tensor(r))
    })
}

fn as2<'a, T>(v: ArrayViewD<'a, T>, row: bool) -> R<ArrayView2<'a, T>> {
    let v = if v.ndim() == 1 {
        v.insert_axis(Axis(if row { 0 } else { 1 }))
    } else {
        v
    };
    v.into_dimensionality::<Ix2>()
        .map_err(|e| PerformError::shape(e.to_string()))
}

fn dot_t<T: MatMul>(
    a: ArrayViewD<'_, T>,
    b: ArrayViewD<'_, T>,
    out_shape: &[usize],
) -> R<ArrayD<T>> {
    let a2 = as2(a, true)?;
    let b2 = as2(b, false)?;
    let r = T::matmul(a2, b2);
    // ndarray may hand back a column-major product; reshape needs row-major order
    let r = if r.is_standard_layout() {
        r
    } else {
        r.as_standard_layout().into_owned()
    };
    r.into_shape_with_order(out_shape)
        .map_err(|e| PerformError::shape(e.to_string()))
}

/// softmax (or log-softmax) over the last axis, stably: the row max is subtracted first and
/// the row sum accumulates in float64.
pub fn softmax(x: &Tensor, out: DType, log: bool) -> R<Tensor> {
    if x.ndim() == 0 {
        return Err(PerformError::input(
            "softmax needs at least one dimension, got a 0-d array",
        ));
    }
    match out {
        DType::Float64 => Ok(Tensor::from_array(softmax_t::<f64>(
            cow::<f64>(x).view(),
            log,
        ))),
        DType::Float32 => Ok(Tensor::from_array(softmax_t::<f32>(
            cow::<f32>(x).view(),
            log,
        ))),
        d => Err(PerformError::input(format!(
            "softmax needs a float output dtype, got {d}"
        ))),
    }
}

/// Theano's `SoftmaxGrad(dy, sm)`: `dy * sm - sum(dy * sm, last axis) * sm`, rounded as the
/// elementwise graph the optimizer writes it as (products in the dtype, the row sum
/// accumulated in float64 and rounded once to the dtype).
pub fn softmax_grad(dy: &Tensor, sm: &Tensor, out: DType) -> R<Tensor> {
    if dy.shape() != sm.shape() {
        return Err(PerformError::input(format!(
            "SoftmaxGrad: dy has shape {:?} but sm has shape {:?}",
            dy.shape(),
            sm.shape()
        )));
    }
    if sm.ndim() == 0 {
        return Err(PerformError::input(
            "SoftmaxGrad needs at least one dimension, got a 0-d array",
        ));
    }
    match out {
        DType::Float64 => Ok(Tensor::from_array(softmax_grad_t::<f64>(
            cow::<f64>(dy).view(),
            cow::<f64>(sm).view(),
        ))),
        DType::Float32 => Ok(Tensor::from_array(softmax_grad_t::<f32>(
            cow::<f32>(dy).view(),
            cow::<f32>(sm).view(),
        ))),
        d => Err(PerformError::input(format!(
            "SoftmaxGrad needs a float output dtype, got {d}"
        ))),
    }
}

fn softmax_grad_t<T: Num>(dy: ArrayViewD<'_, T>, sm: ArrayViewD<'_, T>) -> ArrayD<T> {
    let last = Axis(sm.ndim() - 1);
    let mut out = ndarray::Zip::from(&dy)
        .and(&sm)
        .map_collect(|&g, &s| T::mul(g, s));
    for (mut lane, s_lane) in out.lanes_mut(last).into_iter().zip(sm.lanes(last)) {
        let s: f64 = lane.iter().map(|v| v.to_f64()).sum();
        let s = T::from_f64(s);
        for (v, &p) in lane.iter_mut().zip(s_lane.iter()) {
            *v = T::sub(*v, T::mul(s, p));
        }
    }
    out
}

fn softmax_t<T: Num>(x: ArrayViewD<'_, T>, log: bool) -> ArrayD<T> {
    let last = Axis(x.ndim() - 1);
    let mut out = x.as_standard_layout().into_owned();
    for mut lane in out.lanes_mut(last) {
        let m = lane.fold(T::LOWEST, |acc, &v| T::maximum(acc, v));
        if log {
            let s: f64 = lane.iter().map(|&v| T::exp(T::sub(v, m)).to_f64()).sum();
            let ls = T::from_f64(s.ln());
            lane.mapv_inplace(|v| T::sub(T::sub(v, m), ls));
        } else {
            let mut s = 0.0f64;
            lane.mapv_inplace(|v| {
                let e = T::exp(T::sub(v, m));
                s += e.to_f64();
                e
            });
            let s = T::from_f64(s);
            lane.mapv_inplace(|v| T::true_div(v, s));
        }
    }
    out
}
