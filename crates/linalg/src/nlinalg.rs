//! `theano.tensor.nlinalg`: NumPy's linear algebra as graph ops (`MatrixInverse`,
//! `MatrixPinv`, `Det`, `Eig`, `Eigh`, `QRFull`/`QRIncomplete`, `SVD`) and Theano 1.0.5's
//! builders of existing ops (`matrix_dot`, `matrix_power`, `norm`, `trace`).

use crate::grads;
use crate::op::{op, Kind, QrMode};
use std::panic::Location;
use theano_ir::tensor::{self as T, IntoVar};
use theano_ir::{GraphError, Result, Variable};

pub use theano_ir::tensor::trace;

#[track_caller]
fn build(kind: Kind, inputs: Vec<Variable>) -> Result<Vec<Variable>> {
    T::apply_op(op(kind), inputs)
}

#[track_caller]
fn build1(kind: Kind, inputs: Vec<Variable>) -> Result<Variable> {
    Ok(build(kind, inputs)?.remove(0))
}

fn refuse(
    op: &str,
    x: &Variable,
    msg: impl Into<String>,
    loc: &'static Location<'static>,
) -> GraphError {
    GraphError::new(op, vec![x.ty()], msg, loc)
}

/// `matrix_inverse(x)`: `inv(x)` (`MatrixInverse`); a singular matrix is refused when the
/// function runs, as NumPy's `LinAlgError: Singular matrix`.
#[track_caller]
pub fn matrix_inverse(x: impl IntoVar) -> Result<Variable> {
    build1(Kind::MatrixInverse, vec![x.into_var()])
}

/// `pinv(x)`: the Moore-Penrose pseudo-inverse (`MatrixPinv`), of any matrix.
#[track_caller]
pub fn pinv(x: impl IntoVar) -> Result<Variable> {
    build1(Kind::MatrixPinv, vec![x.into_var()])
}

/// `det(x)`: the determinant (`Det`), a scalar of `x`'s dtype.
#[track_caller]
pub fn det(x: impl IntoVar) -> Result<Variable> {
    build1(Kind::Det, vec![x.into_var()])
}

/// `eig(x)`: eigenvalues `w` and unit right eigenvectors `v` (`Eig`), their real parts as
/// Theano's `astype(x.dtype)` keeps them; LAPACK's order is not promised (faer computes
/// them). No gradient, as Theano's.
#[track_caller]
pub fn eig(x: impl IntoVar) -> Result<(Variable, Variable)> {
    let o = build(Kind::Eig, vec![x.into_var()])?;
    Ok((o[0].clone(), o[1].clone()))
}

/// `eigh(a, UPLO)`: the ascending eigenvalues `w` and the eigenvectors `v` (columns) of the
/// symmetric matrix read from `a`'s lower (`"L"`) or upper (`"U"`) triangle (`Eigh`). Each
/// eigenvector's sign is the decomposition's choice (LAPACK's and faer's may differ).
#[track_caller]
pub fn eigh(a: impl IntoVar, uplo: &str) -> Result<(Variable, Variable)> {
    let (a, loc) = (a.into_var(), Location::caller());
    let lower = match uplo {
        "L" => true,
        "U" => false,
        _ => {
            return Err(refuse(
                "Eigh",
                &a,
                format!("UPLO must be 'L' or 'U', got '{uplo}'"),
                loc,
            ))
        }
    };
    let o = build(Kind::Eigh { lower }, vec![a])?;
    Ok((o[0].clone(), o[1].clone()))
}

/// `qr(a, mode)`: `"reduced"` gives `[q (M, K), r (K, N)]`, `"complete"` `[q (M, M), r (M,
/// N)]` (`QRFull`), `"r"` `[r (K, N)]` (`QRIncomplete`), K = min(M, N). `"raw"` (LAPACK's
/// Householder reflectors) is refused. No gradient, as Theano's.
#[track_caller]
pub fn qr(a: impl IntoVar, mode: &str) -> Result<Vec<Variable>> {
    let (a, loc) = (a.into_var(), Location::caller());
    let mode = match mode {
        "reduced" => QrMode::Reduced,
        "complete" => QrMode::Complete,
        "r" => QrMode::R,
        "raw" => {
            return Err(refuse(
                "QRFull",
                &a,
                "mode 'raw' (LAPACK's Householder reflectors and scalars) is not offered: use \
                 'reduced', 'complete' or 'r'",
                loc,
            ))
        }
        m => {
            return Err(refuse(
                "QRFull",
                &a,
                format!("Unrecognized mode '{m}'"),
                loc,
            ))
        }
    };
    build(Kind::Qr { mode }, vec![a])
}

/// `svd(a, full_matrices, compute_uv)`: `[u, s, vt]` (`u` (M, M) and `vt` (N, N) when
/// `full_matrices`, else (M, K) and (K, N)), or `[s]`; `s` descending (`SVD`). No gradient,
/// as Theano's.
#[track_caller]
pub fn svd(a: impl IntoVar, full_matrices: bool, compute_uv: bool) -> Result<Vec<Variable>> {
    build(
        Kind::Svd {
            full_matrices,
            compute_uv,
        },
        vec![a.into_var()],
    )
}

/// `matrix_dot(a, b, c, ...)`: `dot(dot(a, b), c) ...`.
#[track_caller]
pub fn matrix_dot(ms: &[Variable]) -> Result<Variable> {
    if ms.is_empty() {
        return Err(GraphError::new(
            "matrix_dot",
            vec![],
            "needs at least one matrix",
            Location::caller(),
        ));
    }
    grads::matrix_dot(ms)
}

/// `matrix_power(m, n)` as Theano builds it: `1 * m`, then `n - 1` products with `m`
/// (`n = 0` gives the integer constant 1, as Theano's Python `1`).
#[track_caller]
pub fn matrix_power(m: impl IntoVar, n: usize) -> Result<Variable> {
    let m = m.into_var();
    let mut r = T::constant(1i8);
    for _ in 0..n {
        r = if r.ndim() == 0 {
            T::mul(&r, &m)
        } else {
            T::dot(&r, &m)?
        };
    }
    Ok(r)
}

/// `norm`'s `ord`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NormOrd {
    /// `None`: the 2-norm of a vector, Frobenius of a matrix
    Default,
    /// `'fro'` (matrices)
    Fro,
    /// `'inf'`: max abs (vector), max row sum (matrix)
    Inf,
    /// `'-inf'`: min abs (vector), min row sum (matrix)
    NegInf,
    /// a number: `sum(abs(x**p))**(1/p)` (vector; 0 counts the non-zeros), 1 / -1 the max /
    /// min column sum (matrix)
    P(f64),
}

/// `norm(x, ord)` as Theano 1.0.5 builds it, of a vector or a matrix.
#[track_caller]
pub fn norm(x: impl IntoVar, ord: NormOrd) -> Result<Variable> {
    let (x, loc) = (x.into_var(), Location::caller());
    let abs = |v: &Variable| T::abs(v);
    match (x.ndim(), ord) {
        (0, _) => Err(refuse("norm", &x, "'axis' entry is out of bounds.", loc)),
        (1, NormOrd::Default) => Ok(T::sum(x.pow(2i8)).pow(0.5)),
        (1, NormOrd::Inf) => T::max(abs(&x), None, false),
        (1, NormOrd::NegInf) => T::min(abs(&x), None, false),
        (1, NormOrd::P(0.0)) => {
            let nz = T::nonzero(&x)?;
            let picked = x.get(&nz.iter().map(theano_ir::Idx::from).collect::<Vec<_>>())?;
            picked.shape().at(0usize)
        }
        (1, NormOrd::P(p)) => {
            // a whole `ord` is Python's int, an int8 constant; others a float
            let xp = if p.fract() == 0.0 && p.abs() < 128.0 {
                x.pow(p as i8)
            } else {
                x.pow(p)
            };
            Ok(T::sum(abs(&xp)).pow(1.0 / p))
        }
        (1, NormOrd::Fro) => Err(refuse("norm", &x, "Invalid norm order for vectors.", loc)),
        (2, NormOrd::Default | NormOrd::Fro) => Ok(T::sum(abs(&x.pow(2i8))).pow(0.5)),
        (2, NormOrd::Inf) => T::max(T::sum_axes(abs(&x), Some(&[1]), false)?, None, false),
        (2, NormOrd::NegInf) => T::min(T::sum_axes(abs(&x), Some(&[1]), false)?, None, false),
        (2, NormOrd::P(1.0)) => {
            T::max(T::sum_axes(abs(&x), Some(&[0]), false)?, None, false)
        }
        (2, NormOrd::P(-1.0)) => {
            T::min(T::sum_axes(abs(&x), Some(&[0]), false)?, None, false)
        }
        (2, _) => Err(refuse(
            "norm",
            &x,
            "Invalid norm order for matrices (Theano's ValueError(0)): use None, 'fro', 'inf', '-inf', 1 or -1",
            loc,
        )),
        _ => Err(refuse("norm", &x, "We don't support norm with ndim > 2", loc)),
    }
}

/// Theano's `lstsq()(a, b, rcond)`: NumPy's least squares: the minimum-norm `x` minimizing
/// `|a x - b|` (of `b`'s rank), the residuals' squared sums (empty unless `a` has full column
/// rank and more rows than columns), the effective rank (singular values above `rcond` times
/// the largest; machine precision for a negative `rcond`) and the singular values. No
/// gradient, as Theano's.
#[track_caller]
pub fn lstsq(
    a: impl IntoVar,
    b: impl IntoVar,
    rcond: impl IntoVar,
) -> Result<(Variable, Variable, Variable, Variable)> {
    let o = build(
        Kind::Lstsq,
        vec![a.into_var(), b.into_var(), rcond.into_var()],
    )?;
    Ok((o[0].clone(), o[1].clone(), o[2].clone(), o[3].clone()))
}

/// Theano's `tensorinv(a, ind)`: NumPy's `tensorinv`, the inverse of `a` read as a matrix of
/// its first `ind` axes by the rest, shaped as the rest then the first `ind`.
#[track_caller]
pub fn tensorinv(a: impl IntoVar, ind: usize) -> Result<Variable> {
    build1(Kind::TensorInv { ind }, vec![a.into_var()])
}

/// Theano's `tensorsolve(a, b, axes)`: NumPy's `tensorsolve`, the `x` with `tensordot(a, x,
/// x.ndim) == b` (`axes` of `a` moved to the end first).
#[track_caller]
pub fn tensorsolve(a: impl IntoVar, b: impl IntoVar, axes: Option<&[i64]>) -> Result<Variable> {
    let loc = Location::caller();
    let (a, b) = (a.into_var(), b.into_var());
    let axes =
        match axes {
            None => None,
            Some(v) => Some(crate::op::Axes::new(v).ok_or_else(|| {
                refuse("TensorSolve", &a, format!("at most 8 axes, got {v:?}"), loc)
            })?),
        };
    build1(Kind::TensorSolve { axes }, vec![a, b])
}
