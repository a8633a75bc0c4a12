//! Test helpers: build tensors (also non-contiguous ones), run `perform`, compare with
//! expected values computed by numpy.
#![allow(dead_code)]

use ndarray::{ArrayD, Axis, IxDyn, Slice};
use theano_interp::{perform, PerformError};
use theano_ir::{Op, TensorType};
use theano_tensor::{map_array, DType, Tensor};

/// A float tensor (float64 or float32 values as f64).
pub fn af(dtype: DType, shape: &[usize], v: &[f64]) -> Tensor {
    Tensor::from_f64_vec(dtype, shape, v.to_vec()).unwrap()
}

/// An integer tensor (values as i64, cast to `dtype`).
pub fn ai(dtype: DType, shape: &[usize], v: &[i64]) -> Tensor {
    Tensor::from_array(ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap()).cast(dtype)
}

/// A bool tensor.
pub fn ab(shape: &[usize], v: &[bool]) -> Tensor {
    Tensor::from_array(ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).unwrap())
}

/// An int64 scalar.
pub fn l(v: i64) -> Tensor {
    Tensor::scalar(v)
}

/// numpy's `x.T` (a non-contiguous view, reversed axes).
pub fn tr(t: Tensor) -> Tensor {
    map_array!(t, a => a.reversed_axes())
}

/// numpy's `np.flip(x, axis)` (negative strides).
pub fn flip(t: Tensor, axis: usize) -> Tensor {
    map_array!(t, a => { let mut a = a; a.invert_axis(Axis(axis)); a })
}

/// numpy's `x[..., ::2, ...]` on `axis` (strided).
pub fn every2(t: Tensor, axis: usize) -> Tensor {
    map_array!(t, a => { let mut a = a; a.slice_axis_inplace(Axis(axis), Slice::new(0, None, 2)); a })
}

fn same(got: &Tensor, want: &Tensor, rtol: f64) -> bool {
    if got.dtype() != want.dtype() || got.shape() != want.shape() {
        return false;
    }
    if !got.dtype().is_float() {
        return got.to_i64_vec() == want.to_i64_vec();
    }
    got.to_f64_vec()
        .iter()
        .zip(want.to_f64_vec())
        .all(|(&x, y)| {
            (x.is_nan() && y.is_nan())
                || x == y
                || (x.is_finite() && y.is_finite() && (x - y).abs() <= 1e-300 + rtol * y.abs())
        })
}

fn show(t: &Tensor) -> String {
    if t.dtype().is_float() {
        format!("{} {:?} {:?}", t.dtype(), t.shape(), t.to_f64_vec())
    } else {
        format!("{} {:?} {:?}", t.dtype(), t.shape(), t.to_i64_vec())
    }
}

/// Run `op` (output types inferred from the values) and compare every output.
#[track_caller]
pub fn check(op: &Op, ins: &[&Tensor], want: &[Tensor]) {
    check_typed(op, ins, &[], want)
}

/// Run `op` with explicit output types and compare every output.
#[track_caller]
pub fn check_typed(op: &Op, ins: &[&Tensor], types: &[TensorType], want: &[Tensor]) {
    let got = perform(op, ins, types).unwrap_or_else(|e| panic!("{op}: unexpected error: {e}"));
    assert_eq!(got.len(), want.len(), "{op}: number of outputs");
    for (g, w) in got.iter().zip(want) {
        let rtol = if w.dtype() == DType::Float32 {
            2e-6
        } else {
            1e-13
        };
        assert!(
            same(g, w, rtol),
            "{op}:\n  got  {}\n  want {}",
            show(g),
            show(w)
        );
    }
}

/// Run `op` and expect an error whose message contains `msg`.
#[track_caller]
pub fn check_err(op: &Op, ins: &[&Tensor], msg: &str) -> PerformError {
    check_err_typed(op, ins, &[], msg)
}

#[track_caller]
pub fn check_err_typed(op: &Op, ins: &[&Tensor], types: &[TensorType], msg: &str) -> PerformError {
    match perform(op, ins, types) {
        Ok(v) => panic!(
            "{op}: expected an error containing {msg:?}, got {:?}",
            v.iter().map(show).collect::<Vec<_>>()
        ),
        Err(e) => {
            assert!(
                e.to_string().contains(msg),
                "{op}: error {:?} does not contain {msg:?}",
                e.to_string()
            );
            e
        }
    }
}
