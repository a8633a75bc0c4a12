//! The ops' gradients and R-operators, built node for node as Theano 1.0.5's `grad`/`L_op`/
//! `R_op` build them (so second derivatives go through the same ops).

use crate::op::{op, Kind, Structure};
use theano_ir::tensor as T;
use theano_ir::Variable;

type Grads = Option<Result<Vec<Option<Variable>>, String>>;

fn apply(kind: Kind, inputs: Vec<Variable>) -> Result<Vec<Variable>, String> {
    T::apply_op(op(kind), inputs).map_err(|e| e.to_string())
}

fn apply1(kind: Kind, inputs: Vec<Variable>) -> Result<Variable, String> {
    Ok(apply(kind, inputs)?.remove(0))
}

fn e(err: theano_ir::GraphError) -> String {
    err.to_string()
}

/// Theano's `matrix_dot`: `((a . b) . c) ...`
pub(crate) fn matrix_dot(ms: &[Variable]) -> theano_ir::Result<Variable> {
    let mut r = ms[0].clone();
    for m in &ms[1..] {
        r = T::dot(&r, m)?;
    }
    Ok(r)
}

fn t(x: &Variable) -> Result<Variable, String> {
    T::transpose(x, None).map_err(e)
}

pub(crate) fn grad(
    kind: Kind,
    ins: &[Variable],
    outs: &[Variable],
    gs: &[Option<Variable>],
) -> Grads {
    let r = || -> Result<Vec<Option<Variable>>, String> {
        let x = &ins[0];
        // a single output's gradient; none reaching the cost means none for the inputs
        let g0 = gs.first().cloned().flatten();
        match kind {
            Kind::MatrixInverse => {
                let Some(gz) = g0 else { return Ok(vec![None]) };
                // -matrix_dot(xi, gz.T, xi).T
                let xi = apply1(kind, vec![x.clone()])?;
                let m = matrix_dot(&[xi.clone(), t(&gz)?, xi]).map_err(e)?;
                Ok(vec![Some(-t(&m)?)])
            }
            Kind::MatrixPinv => {
                let Some(gz) = g0 else { return Ok(vec![None]) };
                let z = &outs[0];
                let x_dot_z = T::dot(x, z).map_err(e)?;
                let z_dot_x = T::dot(z, x).map_err(e)?;
                let eye = |m: &Variable| T::identity_like(m).map_err(e);
                let a = -matrix_dot(&[z.clone(), t(&gz)?, z.clone()]).map_err(e)?;
                let b = matrix_dot(&[z.clone(), t(z)?, gz.clone(), eye(&x_dot_z)? - &x_dot_z])
                    .map_err(e)?;
                let c =
                    matrix_dot(&[eye(&z_dot_x)? - &z_dot_x, gz, t(z)?, z.clone()]).map_err(e)?;
                Ok(vec![Some(t(&(a + b + c))?)])
            }
            Kind::Det => {
                let Some(gz) = g0 else { return Ok(vec![None]) };
                // gz * self(x) * matrix_inverse(x).T
                let d = apply1(kind, vec![x.clone()])?;
                let inv = apply1(Kind::MatrixInverse, vec![x.clone()])?;
                Ok(vec![Some(gz * d * t(&inv)?)])
            }
            Kind::Eigh { lower } => {
                if gs.iter().all(Option::is_none) {
                    return Ok(vec![None]);
                }
                let wv = apply(kind, vec![x.clone()])?;
                // disconnected outputs' gradients are zeros (Theano's _zero_disconnected)
                let gw = gs[0].clone().unwrap_or_else(|| T::zeros_like(&wv[0]));
                let gv = gs[1].clone().unwrap_or_else(|| T::zeros_like(&wv[1]));
                let g = apply1(
                    Kind::EighGrad { lower },
                    vec![x.clone(), wv[0].clone(), wv[1].clone(), gw, gv],
                )?;
                Ok(vec![Some(g)])
            }
            Kind::Cholesky {
                lower,
                nan_on_error,
            } => {
                let Some(mut dz) = g0 else {
                    return Ok(vec![None]);
                };
                let mut chol = outs[0].clone();
                let mut ok = None;
                if nan_on_error {
                    let okv = T::not_(T::any(T::isnan(&chol))).map_err(e)?;
                    chol = T::switch(&okv, &chol, 1.0);
                    dz = T::switch(&okv, &dz, 1.0);
                    ok = Some(okv);
                }
                if !lower {
                    chol = t(&chol)?;
                    dz = t(&dz)?;
                }
                let upper_solve = |a: &Variable, b: &Variable| {
                    apply1(
                        Kind::Solve {
                            structure: Structure::UpperTriangular,
                            lower: false,
                        },
                        vec![a.clone(), b.clone()],
                    )
                };
                // tril(m) - diag(diagonal(m) / 2)
                let phi = |m: Variable| -> Result<Variable, String> {
                    let half = T::diagonal(&m, 0, 0, 1).map_err(e)? / 2.0;
                    Ok(T::tril(&m, 0).map_err(e)? - T::diag(half, 0).map_err(e)?)
                };
                // L^-T P L^-1
                let conj_solve = |outer: &Variable, inner: &Variable| -> Result<Variable, String> {
                    let inner_solved = upper_solve(&t(outer)?, &t(inner)?)?;
                    upper_solve(&t(outer)?, &t(&inner_solved)?)
                };
                let s = conj_solve(&chol, &phi(T::dot(t(&chol)?, &dz).map_err(e)?)?)?;
                let sym = &s + t(&s)?;
                let tri = if lower {
                    T::tril(&sym, 0)
                } else {
                    T::triu(&sym, 0)
                }
                .map_err(e)?;
                let g = tri - T::diag(T::diagonal(&s, 0, 0, 1).map_err(e)?, 0).map_err(e)?;
                Ok(vec![Some(match ok {
                    Some(okv) => T::switch(&okv, g, f64::NAN),
                    None => g,
                })])
            }
            Kind::Solve { structure, lower } => {
                let Some(c_bar) = g0 else {
                    return Ok(vec![None, None]);
                };
                let (a, c) = (x, &outs[0]);
                let trans = match structure {
                    Structure::LowerTriangular => Structure::UpperTriangular,
                    Structure::UpperTriangular => Structure::LowerTriangular,
                    s => s,
                };
                let b_bar = apply1(
                    Kind::Solve {
                        structure: trans,
                        lower: !lower,
                    },
                    vec![t(a)?, c_bar],
                )?;
                let a_bar = if c.ndim() == 1 {
                    -T::outer(&b_bar, c).map_err(e)?
                } else {
                    -T::dot(&b_bar, t(c)?).map_err(e)?
                };
                let a_bar = match structure {
                    Structure::LowerTriangular => T::tril(&a_bar, 0).map_err(e)?,
                    Structure::UpperTriangular => T::triu(&a_bar, 0).map_err(e)?,
                    _ => a_bar,
                };
                Ok(vec![Some(a_bar), Some(b_bar)])
            }
            Kind::Eigvalsh { lower } => {
                let Some(gw) = g0 else {
                    return Ok(vec![None, None]);
                };
                let g = apply(
                    Kind::EigvalshGrad { lower },
                    vec![x.clone(), ins[1].clone(), gw],
                )?;
                Ok(g.into_iter().map(Some).collect())
            }
            Kind::Expm => {
                let Some(g) = g0 else { return Ok(vec![None]) };
                Ok(vec![Some(apply1(Kind::ExpmGrad, vec![x.clone(), g])?)])
            }
            _ => unreachable!("ops without a gradient answer None"),
        }
    };
    match kind {
        Kind::MatrixInverse
        | Kind::MatrixPinv
        | Kind::Det
        | Kind::Eigh { .. }
        | Kind::Cholesky { .. }
        | Kind::Solve { .. }
        | Kind::Eigvalsh { .. }
        | Kind::Expm => Some(r()),
        // as Theano's: Eig, QR, SVD and the gradient ops have no gradient
        _ => None,
    }
}

pub(crate) fn rop(
    kind: Kind,
    ins: &[Variable],
    _outs: &[Variable],
    eval_points: &[Option<Variable>],
) -> Grads {
    match kind {
        // -matrix_dot(xi, ev, xi)
        Kind::MatrixInverse => Some((|| {
            let Some(ev) = eval_points[0].clone() else {
                return Ok(vec![None]);
            };
            let xi = apply1(kind, vec![ins[0].clone()])?;
            Ok(vec![Some(-matrix_dot(&[xi.clone(), ev, xi]).map_err(e)?)])
        })()),
        _ => None,
    }
}
