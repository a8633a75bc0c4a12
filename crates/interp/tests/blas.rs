//! The BLAS ops: values computed by numpy 2.4.6 (`beta * y + alpha * A.dot(x)`, ...), shape
//! errors, and the type errors of `Op::infer_types`.

mod common;

use common::*;
use theano_ir::{Op, TensorType};
use theano_tensor::{DType, Tensor};

fn s(d: DType, v: f64) -> Tensor {
    Tensor::full(d, &[], v)
}

#[test]
fn gemv_f64() {
    let y = af(DType::Float64, &[2], &[1.0, -2.0]);
    let a = af(DType::Float64, &[2, 3], &[1.5, -2.0, 3.25, 0.0, 4.0, -5.5]);
    let x = af(DType::Float64, &[3], &[1.0, 2.0, 3.0]);
    let (alpha, beta) = (s(DType::Float64, -0.1), s(DType::Float64, 0.998));
    for inplace in [false, true] {
        check(
            &Op::Gemv { inplace },
            &[&y, &alpha, &a, &x, &beta],
            &[af(DType::Float64, &[2], &[0.2729999999999999, -1.146])],
        );
    }
}

#[test]
fn gemv_f32_and_transposed_a() {
    let y = af(DType::Float32, &[2], &[1.0, -2.0]);
    let a = af(DType::Float32, &[2, 3], &[1.5, -2.0, 3.25, 0.0, 4.0, -5.5]);
    let x = af(DType::Float32, &[3], &[1.0, 2.0, 3.0]);
    let (alpha, beta) = (s(DType::Float32, 2.0), s(DType::Float32, 0.5));
    let want = af(DType::Float32, &[2], &[15.0, -18.0]);
    check(
        &Op::Gemv { inplace: false },
        &[&y, &alpha, &a, &x, &beta],
        std::slice::from_ref(&want),
    );
    // a non-contiguous A (the transpose of a transpose)
    let at = tr(tr(a));
    check(
        &Op::Gemv { inplace: false },
        &[&y, &alpha, &at, &x, &beta],
        &[want],
    );
}

#[test]
fn gemv_zero_beta_ignores_y() {
    // BLAS semantics: with beta == 0, y is not read (NaNs do not propagate)
    let y = af(DType::Float64, &[2], &[f64::NAN, f64::INFINITY]);
    let a = af(DType::Float64, &[2, 3], &[1.5, -2.0, 3.25, 0.0, 4.0, -5.5]);
    let x = af(DType::Float64, &[3], &[1.0, 2.0, 3.0]);
    let (one, zero) = (s(DType::Float64, 1.0), s(DType::Float64, 0.0));
    check(
        &Op::Gemv { inplace: false },
        &[&y, &one, &a, &x, &zero],
        &[af(DType::Float64, &[2], &[7.25, -8.5])],
    );
}

#[test]
fn gemm_ger_dot22_f64() {
    let z = af(DType::Float64, &[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let x = af(DType::Float64, &[2, 3], &[1.5, -2.0, 3.25, 0.0, 4.0, -5.5]);
    let y = af(DType::Float64, &[3, 2], &[1.0, 0.5, -1.0, 2.0, 0.25, -3.0]);
    check(
        &Op::Gemm { inplace: true },
        &[
            &z,
            &s(DType::Float64, 0.5),
            &x,
            &y,
            &s(DType::Float64, -1.0),
        ],
        &[af(DType::Float64, &[2, 2], &[1.15625, -8.5, -5.6875, 8.25])],
    );
    check(
        &Op::Ger { destructive: false },
        &[
            &z,
            &s(DType::Float64, 2.0),
            &af(DType::Float64, &[2], &[1.0, -3.0]),
            &af(DType::Float64, &[2], &[0.5, 4.0]),
        ],
        &[af(DType::Float64, &[2, 2], &[2.0, 10.0, 0.0, -20.0])],
    );
    check(
        &Op::Dot22,
        &[&x, &y],
        &[af(DType::Float64, &[2, 2], &[4.3125, -13.0, -5.375, 24.5])],
    );
}

#[test]
fn dot22_f32() {
    let x = af(DType::Float32, &[2, 3], &[1.5, -2.0, 3.25, 0.0, 4.0, -5.5]);
    let y = af(DType::Float32, &[3, 2], &[1.0, 0.5, -1.0, 2.0, 0.25, -3.0]);
    check(
        &Op::Dot22,
        &[&x, &y],
        &[af(DType::Float32, &[2, 2], &[4.3125, -13.0, -5.375, 24.5])],
    );
}

#[test]
fn shape_errors() {
    let y = af(DType::Float64, &[3], &[1.0, 2.0, 3.0]);
    let a = af(DType::Float64, &[2, 3], &[1.5, -2.0, 3.25, 0.0, 4.0, -5.5]);
    let one = s(DType::Float64, 1.0);
    let e = check_err(
        &Op::Gemv { inplace: false },
        &[&y, &one, &a, &y, &one],
        "incompatible shapes for gemv",
    );
    assert!(
        e.to_string()
            .contains("y: (3,), alpha: (), A: (2, 3), x: (3,)"),
        "{e}"
    );
    assert_eq!(e.op(), "Gemv{no_inplace}");
    check_err(&Op::Dot22, &[&a, &a], "incompatible shapes for dot22");
    check_err(
        &Op::Gemm { inplace: false },
        &[&a, &one, &a, &a, &one],
        "incompatible shapes for gemm",
    );
    check_err(
        &Op::Ger { destructive: true },
        &[&a, &one, &y, &y],
        "incompatible shapes for ger",
    );
}

#[test]
fn type_errors() {
    let t = |d, nd| TensorType::with_ndim(d, nd).unwrap();
    let (f64_, f32_, i64_) = (DType::Float64, DType::Float32, DType::Int64);
    let gemv = Op::Gemv { inplace: false };
    let err = |op: &Op, ins: &[TensorType]| op.infer_types(ins).unwrap_err();
    // dtypes must agree, floats only
    assert_eq!(
        err(
            &gemv,
            &[t(f64_, 1), t(f64_, 0), t(f32_, 2), t(f64_, 1), t(f64_, 0)]
        ),
        "the dtypes must match: y is float64 but A is float32"
    );
    assert_eq!(
        err(
            &gemv,
            &[t(f64_, 1), t(f32_, 0), t(f64_, 2), t(f64_, 1), t(f64_, 0)]
        ),
        "the dtypes must match: y is float64 but alpha is float32"
    );
    assert_eq!(
        err(&Op::Dot22, &[t(i64_, 2), t(i64_, 2)]),
        "only float dtypes are supported, got TensorType(int64, matrix)"
    );
    // ranks
    assert_eq!(
        err(
            &gemv,
            &[t(f64_, 1), t(f64_, 1), t(f64_, 2), t(f64_, 1), t(f64_, 0)]
        ),
        "alpha must be a scalar, got TensorType(float64, vector)"
    );
    assert_eq!(
        err(
            &Op::Gemm { inplace: true },
            &[t(f64_, 2), t(f64_, 0), t(f64_, 1), t(f64_, 2), t(f64_, 0)]
        ),
        "x must be a matrix, got TensorType(float64, vector)"
    );
    assert_eq!(
        err(&Op::Ger { destructive: true }, &[t(f64_, 2), t(f64_, 0)]),
        "expects 4 inputs (A, alpha, x, y), got 2"
    );
    // Theano's Gemv: y and A agree on the first dimension's broadcastable flag
    assert_eq!(
        err(
            &gemv,
            &[
                TensorType::new(f64_, &[true]).unwrap(),
                t(f64_, 0),
                t(f64_, 2),
                t(f64_, 1),
                t(f64_, 0)
            ]
        ),
        "broadcastable mismatch between y (TensorType(float64, (True,))) and A \
         (TensorType(float64, matrix))"
    );
    // output types
    assert_eq!(
        gemv.infer_types(&[t(f32_, 1), t(f32_, 0), t(f32_, 2), t(f32_, 1), t(f32_, 0)]),
        Ok(vec![t(f32_, 1)])
    );
    assert_eq!(
        Op::Dot22.infer_types(&[TensorType::new(f64_, &[true, false]).unwrap(), t(f64_, 2)]),
        Ok(vec![TensorType::new(f64_, &[true, false]).unwrap()])
    );
    // perform refuses what type inference refuses
    let m = af(DType::Int64, &[1, 1], &[1.0]);
    check_err(&Op::Dot22, &[&m, &m], "only float dtypes");
}

#[test]
fn names() {
    assert_eq!(Op::Gemv { inplace: true }.name(), "Gemv{inplace}");
    assert_eq!(Op::Gemv { inplace: false }.name(), "Gemv{no_inplace}");
    assert_eq!(Op::Gemm { inplace: true }.name(), "Gemm{inplace}");
    assert_eq!(Op::Gemm { inplace: false }.name(), "Gemm{no_inplace}");
    assert_eq!(Op::Ger { destructive: true }.name(), "CGer{destructive}");
    assert_eq!(
        Op::Ger { destructive: false }.name(),
        "CGer{non-destructive}"
    );
    assert_eq!(Op::Dot22.name(), "Dot22");
    assert_eq!(Op::Gemv { inplace: true }.destroyed_input(), Some(0));
    assert_eq!(Op::Gemv { inplace: false }.destroyed_input(), None);
}
