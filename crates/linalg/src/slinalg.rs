//! `theano.tensor.slinalg`: SciPy's linear algebra as graph ops (`Cholesky`, `Solve` and its
//! triangular and symmetric forms, `Eigvalsh`, `Expm`) and Theano 1.0.5's `kron`.

use crate::op::{op, Kind, Structure};
use std::panic::Location;
use theano_ir::tensor::{self as T, IntoVar};
use theano_ir::{GraphError, Result, Variable};

#[track_caller]
fn build1(kind: Kind, inputs: Vec<Variable>) -> Result<Variable> {
    Ok(T::apply_op(op(kind), inputs)?.remove(0))
}

/// `cholesky(x)`: the lower factor `L` of a positive-definite `x`, `dot(L, L.T) == x`, read
/// from `x`'s lower triangle; a matrix that is not positive definite is refused when the
/// function runs (SciPy's `LinAlgError`).
#[track_caller]
pub fn cholesky(x: impl IntoVar) -> Result<Variable> {
    cholesky_with(x, true, "raise")
}

/// `Cholesky(lower, on_error)(x)`: the lower factor, or the upper one `U` (`dot(U.T, U) ==
/// x`, read from the upper triangle); `on_error` `"raise"` refuses a matrix that is not
/// positive definite, `"nan"` gives a matrix of NaN (and a NaN gradient).
#[track_caller]
pub fn cholesky_with(x: impl IntoVar, lower: bool, on_error: &str) -> Result<Variable> {
    let (x, loc) = (x.into_var(), Location::caller());
    let nan_on_error = match on_error {
        "raise" => false,
        "nan" => true,
        _ => {
            return Err(GraphError::new(
                "Cholesky",
                vec![x.ty()],
                "on_error must be one of \"raise\" or \"nan\"",
                loc,
            ))
        }
    };
    build1(
        Kind::Cholesky {
            lower,
            nan_on_error,
        },
        vec![x],
    )
}

/// `solve(a, b)`: `x` with `dot(a, x) == b`, `b` a vector or a matrix (`Solve{A_structure=
/// 'general'}`, by LU with partial pivoting as SciPy's `solve`).
#[track_caller]
pub fn solve(a: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
    solve_with(a, b, Structure::General, false)
}

/// `solve_lower_triangular(a, b)`: reads `a`'s lower triangle only.
#[track_caller]
pub fn solve_lower_triangular(a: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
    solve_with(a, b, Structure::LowerTriangular, true)
}

/// `solve_upper_triangular(a, b)`: reads `a`'s upper triangle only.
#[track_caller]
pub fn solve_upper_triangular(a: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
    solve_with(a, b, Structure::UpperTriangular, false)
}

/// `solve_symmetric(a, b)`: as Theano's, solved as a general system.
#[track_caller]
pub fn solve_symmetric(a: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
    solve_with(a, b, Structure::Symmetric, false)
}

/// `Solve(A_structure, lower)(a, b)`.
#[track_caller]
pub fn solve_with(
    a: impl IntoVar,
    b: impl IntoVar,
    structure: Structure,
    lower: bool,
) -> Result<Variable> {
    build1(
        Kind::Solve { structure, lower },
        vec![a.into_var(), b.into_var()],
    )
}

/// `eigvalsh(a, b)`: the ascending eigenvalues `w` of `a x = w b x` for a symmetric `a` and a
/// positive-definite `b`, both read from their lower triangles (`Eigvalsh{lower=True}`).
/// Theano 1.0.5 cannot build `eigvalsh(a, None)` (its `make_node` compares a variable with
/// `NoneConst`), so `b` is required: pass the identity for the ordinary problem.
#[track_caller]
pub fn eigvalsh(a: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
    eigvalsh_with(a, b, true)
}

/// `Eigvalsh(lower)(a, b)`: from the lower or the upper triangles.
#[track_caller]
pub fn eigvalsh_with(a: impl IntoVar, b: impl IntoVar, lower: bool) -> Result<Variable> {
    build1(Kind::Eigvalsh { lower }, vec![a.into_var(), b.into_var()])
}

/// `expm(a)`: the matrix exponential (`Expm`).
#[track_caller]
pub fn expm(a: impl IntoVar) -> Result<Variable> {
    build1(Kind::Expm, vec![a.into_var()])
}

/// `kron(a, b)`: the Kronecker product as Theano 1.0.5 builds it (SciPy's `kron`, not
/// NumPy's, for inputs that are not both matrices): their `outer` product reshaped to
/// `a.shape + b.shape`, the axes of `a` and `b` interleaved and merged pairwise.
#[track_caller]
pub fn kron(a: impl IntoVar, b: impl IntoVar) -> Result<Variable> {
    let (a, b, loc) = (a.into_var(), b.into_var(), Location::caller());
    if a.ndim() + b.ndim() <= 2 {
        return Err(GraphError::new(
            "kron",
            vec![a.ty(), b.ty()],
            format!(
                "kron: inputs dimensions must sum to 3 or more. You passed {} and {}.",
                a.ndim(),
                b.ndim()
            ),
            loc,
        ));
    }
    let nd = a.ndim() + b.ndim();
    let o = T::outer(&a, &b)?;
    let shape = T::concatenate(&[a.shape(), b.shape()], 0)?;
    let o = T::reshape_ndim(&o, &shape, nd)?;
    let mut order: Vec<Option<usize>> = vec![Some(0), Some(2), Some(1)];
    order.extend((3..nd).map(Some));
    if nd == 3 {
        let shf = o.dimshuffle(&[Some(1), Some(0), Some(2)])?;
        return shf.flatten(1);
    }
    let shf = o.dimshuffle(&order)?;
    let dim = |i: usize| o.shape().at(i);
    let mut dims = vec![T::mul(dim(0)?, dim(2)?), T::mul(dim(1)?, dim(3)?)];
    for i in 4..nd {
        dims.push(dim(i)?);
    }
    T::reshape(&shf, T::ShapeArg::Scalars(dims))
}
