//! The BLAS ops the optimizer introduces: `Gemv`, `Gemm`, `Ger`, `Dot22`. Float dtypes only.
//! As BLAS does, a zero beta ignores y (z): NaNs in it do not propagate. Outputs are new
//! arrays: the in-place flags are for the backends.

use crate::error::{PerformError, R};
use crate::util::{check_size, cow, py_shape};
use ndarray::linalg::{general_mat_mul, general_mat_vec_mul};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, CowArray, Ix1, Ix2, IxDyn, LinalgScalar};
use theano_ir::Op;
use theano_tensor::{DType, Element, Tensor};

trait Float: Element + LinalgScalar {
    fn of(v: f64) -> Self;
}
impl Float for f64 {
    fn of(v: f64) -> f64 {
        v
    }
}
impl Float for f32 {
    fn of(v: f64) -> f32 {
        v as f32
    }
}

fn scalar(t: &Tensor, what: &str) -> R<f64> {
    if t.ndim() != 0 {
        return Err(PerformError::input(format!(
            "{what} must be a 0-d array, got shape {}",
            py_shape(t.shape())
        )));
    }
    Ok(t.to_f64_vec()[0])
}

fn mat<T: Float>(t: &Tensor, what: &str) -> R<Array2<T>> {
    cow::<T>(t)
        .as_standard_layout()
        .into_owned()
        .into_dimensionality::<Ix2>()
        .map_err(|_| {
            PerformError::input(format!(
                "{what} must be a matrix, got shape {}",
                py_shape(t.shape())
            ))
        })
}

/// A read-only matrix operand: a view of the input (no copy when the dtype matches, whatever
/// the strides; the products below take any layout).
fn view2<'a, T: Float>(
    c: &'a CowArray<'_, T, IxDyn>,
    t: &Tensor,
    what: &str,
) -> R<ArrayView2<'a, T>> {
    c.view().into_dimensionality::<Ix2>().map_err(|_| {
        PerformError::input(format!(
            "{what} must be a matrix, got shape {}",
            py_shape(t.shape())
        ))
    })
}

/// A read-only vector operand, as [`view2`].
fn view1<'a, T: Float>(
    c: &'a CowArray<'_, T, IxDyn>,
    t: &Tensor,
    what: &str,
) -> R<ArrayView1<'a, T>> {
    c.view().into_dimensionality::<Ix1>().map_err(|_| {
        PerformError::input(format!(
            "{what} must be a vector, got shape {}",
            py_shape(t.shape())
        ))
    })
}

fn vec1<T: Float>(t: &Tensor, what: &str) -> R<Array1<T>> {
    cow::<T>(t)
        .as_standard_layout()
        .into_owned()
        .into_dimensionality::<Ix1>()
        .map_err(|_| {
            PerformError::input(format!(
                "{what} must be a vector, got shape {}",
                py_shape(t.shape())
            ))
        })
}

/// The shapes of all operands, for error messages.
fn shapes(names: &[&str], ins: &[&Tensor]) -> String {
    names
        .iter()
        .zip(ins)
        .map(|(n, t)| format!("{n}: {}", py_shape(t.shape())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn run<T: Float>(op: &Op, ins: &[&Tensor]) -> R<Tensor> {
    let wrong = |what: &str, names: &[&str]| {
        PerformError::shape(format!(
            "incompatible shapes for {what}: {}",
            shapes(names, ins)
        ))
    };
    let out = match op {
        Op::Gemv { .. } => {
            let names = ["y", "alpha", "A", "x", "beta"];
            let (alpha, beta) = (scalar(ins[1], "alpha")?, scalar(ins[4], "beta")?);
            let (ca, cx) = (cow::<T>(ins[2]), cow::<T>(ins[3]));
            let (mut y, a, x) = (
                vec1::<T>(ins[0], "y")?,
                view2(&ca, ins[2], "A")?,
                view1(&cx, ins[3], "x")?,
            );
            if a.dim() != (y.len(), x.len()) {
                return Err(wrong("gemv (beta * y + alpha * dot(A, x))", &names));
            }
            general_mat_vec_mul(T::of(alpha), &a, &x, T::of(beta), &mut y);
            T::into_tensor(y.into_dyn())
        }
        Op::Gemm { .. } => {
            let names = ["z", "alpha", "x", "y", "beta"];
            let (alpha, beta) = (scalar(ins[1], "alpha")?, scalar(ins[4], "beta")?);
            let (cx, cy) = (cow::<T>(ins[2]), cow::<T>(ins[3]));
            let (mut z, x, y) = (
                mat::<T>(ins[0], "z")?,
                view2(&cx, ins[2], "x")?,
                view2(&cy, ins[3], "y")?,
            );
            if x.dim().1 != y.dim().0 || z.dim() != (x.dim().0, y.dim().1) {
                return Err(wrong("gemm (beta * z + alpha * dot(x, y))", &names));
            }
            general_mat_mul(T::of(alpha), &x, &y, T::of(beta), &mut z);
            T::into_tensor(z.into_dyn())
        }
        Op::Ger { .. } => {
            let names = ["A", "alpha", "x", "y"];
            let alpha = T::of(scalar(ins[1], "alpha")?);
            let (cx, cy) = (cow::<T>(ins[2]), cow::<T>(ins[3]));
            let (mut a, x, y) = (
                mat::<T>(ins[0], "A")?,
                view1(&cx, ins[2], "x")?,
                view1(&cy, ins[3], "y")?,
            );
            if a.dim() != (x.len(), y.len()) {
                return Err(wrong("ger (A + alpha * outer(x, y))", &names));
            }
            for ((i, j), v) in a.indexed_iter_mut() {
                *v = *v + alpha * x[i] * y[j];
            }
            T::into_tensor(a.into_dyn())
        }
        _ => {
            let (cx, cy) = (cow::<T>(ins[0]), cow::<T>(ins[1]));
            let (x, y) = (view2(&cx, ins[0], "x")?, view2(&cy, ins[1], "y")?);
            if x.dim().1 != y.dim().0 {
                return Err(wrong("dot22", &["x", "y"]));
            }
            check_size(&[x.dim().0, y.dim().1], T::DTYPE)?;
            T::into_tensor(x.dot(&y).as_standard_layout().into_owned().into_dyn())
        }
    };
    Ok(out)
}

/// Compute a BLAS op in `out` (float32 or float64).
pub fn perform(op: &Op, ins: &[&Tensor], out: DType) -> R<Tensor> {
    let want = match op {
        Op::Gemv { .. } | Op::Gemm { .. } => 5,
        Op::Ger { .. } => 4,
        _ => 2,
    };
    if ins.len() != want {
        return Err(PerformError::input(format!(
            "expects {want} inputs, got {}",
            ins.len()
        )));
    }
    match out {
        DType::Float64 => run::<f64>(op, ins),
        DType::Float32 => run::<f32>(op, ins),
        d => Err(PerformError::input(format!(
            "BLAS ops need a float dtype, got {d}"
        ))),
    }
}
