//! The ops' values, computed by faer in float64 (float32 inputs are widened and the results
//! rounded once: at least as accurate as NumPy's single-precision LAPACK calls). Each refusal
//! carries NumPy's or SciPy's message, as the function Theano's `perform` calls gives it.

use crate::op::{Kind, QrMode, Structure};
use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::{c64, Mat, MatRef, Par, Side};
use theano_tensor::{DType, Tensor};

type R<T> = Result<T, String>;

/// A matrix (or a vector, as one column) of `t`'s values.
fn mat(t: &Tensor) -> Mat<f64> {
    let v = t.to_f64_vec();
    match *t.shape() {
        [r, c] => Mat::from_fn(r, c, |i, j| v[i * c + j]),
        [n] => Mat::from_fn(n, 1, |i, _| v[i]),
        _ => Mat::from_fn(1, 1, |_, _| v[0]),
    }
}

fn tensor(dtype: DType, shape: &[usize], v: Vec<f64>) -> Tensor {
    Tensor::from_f64_vec(DType::Float64, shape, v)
        .expect("a value of its own shape")
        .cast(dtype)
}

fn of_mat(dtype: DType, m: MatRef<'_, f64>) -> Tensor {
    let (r, c) = (m.nrows(), m.ncols());
    let v = (0..r * c).map(|k| m[(k / c, k % c)]).collect();
    tensor(dtype, &[r, c], v)
}

fn of_vec(dtype: DType, v: Vec<f64>) -> Tensor {
    let n = v.len();
    tensor(dtype, &[n], v)
}

/// `b`'s solution back in `b`'s rank.
fn of_rhs(dtype: DType, m: MatRef<'_, f64>, b_ndim: usize) -> Tensor {
    if b_ndim == 1 {
        of_vec(dtype, (0..m.nrows()).map(|i| m[(i, 0)]).collect())
    } else {
        of_mat(dtype, m)
    }
}

/// NumPy's `linalg` check of its square-matrix functions.
fn numpy_square(t: &Tensor) -> R<()> {
    match t.shape() {
        [r, c] if r == c => Ok(()),
        _ => Err("LinAlgError: Last 2 dimensions of the array must be square".into()),
    }
}

/// SciPy's `check_finite`.
fn finite(m: &Mat<f64>) -> R<()> {
    let ok = (0..m.ncols()).all(|j| (0..m.nrows()).all(|i| m[(i, j)].is_finite()));
    if ok {
        Ok(())
    } else {
        Err("ValueError: array must not contain infs or NaNs".into())
    }
}

/// SciPy's `check_finite` and square checks, on the matrix already read.
fn scipy_square(m: &Mat<f64>) -> R<()> {
    finite(m)?;
    if m.nrows() == m.ncols() {
        Ok(())
    } else {
        Err(format!(
            "ValueError: expected square matrix, got shape ({}, {})",
            m.nrows(),
            m.ncols()
        ))
    }
}

fn mul(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    a * b
}

/// `a`, with the triangle opposite to `lower`'s read from `lower`'s (a symmetric matrix as
/// LAPACK's symmetric routines see it).
fn symmetric(a: MatRef<'_, f64>, lower: bool) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| {
        let (r, c) = if (i >= j) == lower { (i, j) } else { (j, i) };
        a[(r, c)]
    })
}

/// `tri0(g) + tri1(g).T` of Theano's `EighGrad`/`EigvalshGrad`: the gradient with respect to
/// the triangle the decomposition read, each off-diagonal element counted twice.
fn fold(g: &Mat<f64>, lower: bool) -> Mat<f64> {
    Mat::from_fn(g.nrows(), g.ncols(), |i, j| {
        let read = (i >= j) == lower;
        if i == j {
            g[(i, i)]
        } else if read {
            g[(i, j)] + g[(j, i)]
        } else {
            0.0
        }
    })
}

fn inverse(a: &Mat<f64>) -> R<Mat<f64>> {
    let lu = a.partial_piv_lu();
    if (0..a.nrows()).any(|i| lu.U()[(i, i)] == 0.0) {
        return Err("LinAlgError: Singular matrix".into());
    }
    Ok(lu.inverse())
}

/// NumPy's `pinv`: the SVD's reciprocals of the singular values above 1e-15 of the largest.
fn pinv(a: &Mat<f64>) -> R<Mat<f64>> {
    let svd = a
        .thin_svd()
        .map_err(|e| format!("LinAlgError: SVD did not converge ({e:?})"))?;
    let s = svd.S().column_vector();
    let k = s.nrows();
    let smax = (0..k).fold(0.0f64, |m, i| m.max(s[i]));
    let cutoff = 1e-15 * smax;
    let v = svd.V();
    let vs = Mat::from_fn(v.nrows(), k, |i, j| {
        if s[j] > cutoff {
            v[(i, j)] / s[j]
        } else {
            0.0
        }
    });
    Ok(mul(vs.as_ref(), svd.U().transpose()))
}

/// A symmetric matrix's ascending eigenvalues and eigenvectors, from the `lower` triangle.
fn eigh(a: &Mat<f64>, lower: bool) -> R<(Vec<f64>, Mat<f64>)> {
    let side = if lower { Side::Lower } else { Side::Upper };
    let e = symmetric(a.as_ref(), lower)
        .self_adjoint_eigen(side)
        .map_err(|e| format!("LinAlgError: Eigenvalues did not converge ({e:?})"))?;
    let s = e.S().column_vector();
    Ok(((0..s.nrows()).map(|i| s[i]).collect(), e.U().to_owned()))
}

/// The lower Cholesky factor of the symmetric matrix `a`'s `lower` triangle, or the index
/// (from 1, as LAPACK's `info`) of the leading minor that is not positive definite.
fn llt(a: &Mat<f64>, lower: bool) -> Result<Mat<f64>, usize> {
    let side = if lower { Side::Lower } else { Side::Upper };
    match symmetric(a.as_ref(), lower).llt(side) {
        Ok(f) => Ok(f.L().to_owned()),
        Err(faer::linalg::solvers::LltError::NonPositivePivot { index }) => Err(index + 1),
    }
}

fn solve_triangular(a: &Mat<f64>, b: &mut Mat<f64>, lower: bool) -> R<()> {
    if let Some(i) = (0..a.nrows()).find(|&i| a[(i, i)] == 0.0) {
        return Err(format!(
            "LinAlgError: singular matrix: resolution failed at diagonal {i}"
        ));
    }
    let t = if lower {
        Mat::from_fn(
            a.nrows(),
            a.ncols(),
            |i, j| if i >= j { a[(i, j)] } else { 0.0 },
        )
    } else {
        Mat::from_fn(
            a.nrows(),
            a.ncols(),
            |i, j| if i <= j { a[(i, j)] } else { 0.0 },
        )
    };
    if lower {
        faer::linalg::triangular_solve::solve_lower_triangular_in_place(
            t.as_ref(),
            b.as_mut(),
            Par::Seq,
        );
    } else {
        faer::linalg::triangular_solve::solve_upper_triangular_in_place(
            t.as_ref(),
            b.as_mut(),
            Par::Seq,
        );
    }
    Ok(())
}

/// SciPy's `eigh(a, b, lower)` for a positive-definite `b`: the ascending eigenvalues of
/// `a x = w b x` and eigenvectors normalized to `v.T b v = I`.
fn eigh_generalized(a: &Mat<f64>, b: &Mat<f64>, lower: bool) -> R<(Vec<f64>, Mat<f64>)> {
    let l = llt(b, lower).map_err(|i| {
        format!(
            "LinAlgError: the leading minor of order {i} of 'b' is not positive definite. The \
             factorization of 'b' could not be completed and no eigenvalues or eigenvectors \
             were computed."
        )
    })?;
    // C = L^-1 A L^-T, symmetric
    let mut x = symmetric(a.as_ref(), lower);
    solve_triangular(&l, &mut x, true)?;
    let mut c = x.transpose().to_owned();
    solve_triangular(&l, &mut c, true)?;
    let (w, y) = eigh(&c, true)?;
    // v = L^-T y
    let mut v = y;
    let lt = l.transpose().to_owned();
    solve_triangular(&lt, &mut v, false)?;
    Ok((w, v))
}

fn svd(a: &Mat<f64>, full: bool) -> R<(Mat<f64>, Vec<f64>, Mat<f64>)> {
    let s = if full { a.svd() } else { a.thin_svd() }
        .map_err(|e| format!("LinAlgError: SVD did not converge ({e:?})"))?;
    let d = s.S().column_vector();
    Ok((
        s.U().to_owned(),
        (0..d.nrows()).map(|i| d[i]).collect(),
        s.V().transpose().to_owned(),
    ))
}

/// Theano's `EighGrad.perform`: `sum_n outer(v_n, v_n W_n + G_n)`, `G_n = sum_{m != n} v_m
/// (V_n . v_m) / (w_n - w_m)`, folded onto the triangle `Eigh` read.
fn eigh_grad(w: &[f64], v: &Mat<f64>, gw: &[f64], gv: &Mat<f64>, lower: bool) -> Mat<f64> {
    let n = w.len();
    let mut g = Mat::<f64>::zeros(n, n);
    for k in 0..n {
        // the vector multiplying v[:, k] in the outer product
        let mut col: Vec<f64> = (0..n).map(|i| v[(i, k)] * gw[k]).collect();
        for m in (0..n).filter(|&m| m != k) {
            let dotp: f64 = (0..n).map(|i| gv[(i, k)] * v[(i, m)]).sum();
            let f = dotp / (w[k] - w[m]);
            for (i, c) in col.iter_mut().enumerate() {
                *c += v[(i, m)] * f;
            }
        }
        for i in 0..n {
            for (j, c) in col.iter().enumerate() {
                g[(i, j)] += v[(i, k)] * c;
            }
        }
    }
    fold(&g, lower)
}

/// `v diag(d) v.T`
fn vdvt(v: &Mat<f64>, d: &[f64]) -> Mat<f64> {
    let vd = Mat::from_fn(v.nrows(), v.ncols(), |i, j| v[(i, j)] * d[j]);
    mul(vd.as_ref(), v.transpose())
}

fn norm1(a: &Mat<f64>) -> f64 {
    (0..a.ncols())
        .map(|j| (0..a.nrows()).map(|i| a[(i, j)].abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// `sum_k c_k a_k`
fn lin(terms: &[(f64, &Mat<f64>)], n: usize) -> Mat<f64> {
    Mat::from_fn(n, n, |i, j| terms.iter().map(|(c, a)| c * a[(i, j)]).sum())
}

/// The matrix exponential by scaling and squaring over Padé approximants of degree 3 to 13
/// (Higham, "The scaling and squaring method for the matrix exponential revisited", 2005),
/// as SciPy's `expm` (which picks its degree by Al-Mohy and Higham's 2009 refinement).
fn expm(a: &Mat<f64>) -> R<Mat<f64>> {
    const B: [f64; 14] = [
        64764752532480000.0,
        32382376266240000.0,
        7771770303897600.0,
        1187353796428800.0,
        129060195264000.0,
        10559470521600.0,
        670442572800.0,
        33522128640.0,
        1323241920.0,
        40840800.0,
        960960.0,
        16380.0,
        182.0,
        1.0,
    ];
    let small: [(f64, &[f64]); 4] = [
        (1.495585217958292e-2, &[120.0, 60.0, 12.0, 1.0]),
        (
            2.539_398_330_063_23e-1,
            &[30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0],
        ),
        (
            9.504178996162932e-1,
            &[
                17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0,
            ],
        ),
        (
            2.097847961257068,
            &[
                17643225600.0,
                8821612800.0,
                2075673600.0,
                302702400.0,
                30270240.0,
                2162160.0,
                110880.0,
                3960.0,
                90.0,
                1.0,
            ],
        ),
    ];
    let n = a.nrows();
    let eye = Mat::<f64>::identity(n, n);
    let nrm = norm1(a);
    if !nrm.is_finite() {
        return Ok(Mat::from_fn(n, n, |_, _| f64::NAN));
    }
    let pade = |u: Mat<f64>, v: Mat<f64>| -> R<Mat<f64>> {
        let p = lin(&[(1.0, &v), (1.0, &u)], n);
        let q = lin(&[(1.0, &v), (-1.0, &u)], n);
        let lu = q.partial_piv_lu();
        if (0..n).any(|i| lu.U()[(i, i)] == 0.0) {
            return Err("LinAlgError: the Padé denominator of expm is singular".into());
        }
        Ok(lu.solve(&p))
    };
    for (theta, b) in small {
        if nrm <= theta {
            // powers A^0, A^2, A^4, ... up to the degree
            let a2 = mul(a.as_ref(), a.as_ref());
            let mut pows = vec![eye.clone()];
            while pows.len() * 2 < b.len() {
                let last = pows.last().expect("A^0");
                pows.push(mul(last.as_ref(), a2.as_ref()));
            }
            let even: Vec<(f64, &Mat<f64>)> = pows
                .iter()
                .enumerate()
                .map(|(k, p)| (b[2 * k], p))
                .collect();
            let odd: Vec<(f64, &Mat<f64>)> = pows
                .iter()
                .enumerate()
                .filter(|(k, _)| 2 * k + 1 < b.len())
                .map(|(k, p)| (b[2 * k + 1], p))
                .collect();
            let u = mul(a.as_ref(), lin(&odd, n).as_ref());
            return pade(u, lin(&even, n));
        }
    }
    let theta13 = 5.371920351148152;
    let s = (nrm / theta13).log2().ceil().max(0.0) as i32;
    let scale = 0.5f64.powi(s);
    let a = Mat::from_fn(n, n, |i, j| a[(i, j)] * scale);
    let a2 = mul(a.as_ref(), a.as_ref());
    let a4 = mul(a2.as_ref(), a2.as_ref());
    let a6 = mul(a4.as_ref(), a2.as_ref());
    let inner_u = lin(&[(B[13], &a6), (B[11], &a4), (B[9], &a2)], n);
    let u = lin(
        &[
            (1.0, &mul(a6.as_ref(), inner_u.as_ref())),
            (B[7], &a6),
            (B[5], &a4),
            (B[3], &a2),
            (B[1], &eye),
        ],
        n,
    );
    let u = mul(a.as_ref(), u.as_ref());
    let inner_v = lin(&[(B[12], &a6), (B[10], &a4), (B[8], &a2)], n);
    let v = lin(
        &[
            (1.0, &mul(a6.as_ref(), inner_v.as_ref())),
            (B[6], &a6),
            (B[4], &a4),
            (B[2], &a2),
            (B[0], &eye),
        ],
        n,
    );
    let mut r = pade(u, v)?;
    for _ in 0..s {
        r = mul(r.as_ref(), r.as_ref());
    }
    Ok(r)
}

/// Theano's `ExpmGrad.perform` (Kalbfleisch and Lawless): with `A = V diag(w) V^-1`,
/// `U = V^-T`, `X_ij = (e^w_i - e^w_j) / (w_i - w_j)` (`e^w_i` on the diagonal), the real
/// part of `U ((V^T gA U) * X) V^T`.
fn expm_grad(a: &Mat<f64>, ga: &Mat<f64>) -> R<Mat<f64>> {
    let n = a.nrows();
    let e = a
        .eigen()
        .map_err(|e| format!("LinAlgError: eig algorithm did not converge ({e:?})"))?;
    let v = e.U().to_owned();
    let w: Vec<c64> = (0..n).map(|i| e.S().column_vector()[i]).collect();
    let lu = v.partial_piv_lu();
    if (0..n).any(|i| lu.U()[(i, i)] == c64::new(0.0, 0.0)) {
        return Err("LinAlgError: Singular matrix (the eigenvectors of A)".into());
    }
    let u = lu.inverse().transpose().to_owned();
    let exp_w: Vec<c64> = w.iter().map(|z| z.exp()).collect();
    let x = Mat::from_fn(n, n, |i, j| {
        if i == j {
            exp_w[i]
        } else {
            (exp_w[i] - exp_w[j]) / (w[i] - w[j])
        }
    });
    let gac = Mat::from_fn(n, n, |i, j| c64::new(ga[(i, j)], 0.0));
    let vt = v.transpose().to_owned();
    let inner = &(&vt * &gac) * &u;
    let inner = Mat::from_fn(n, n, |i, j| inner[(i, j)] * x[(i, j)]);
    let y = &(&u * &inner) * &vt;
    Ok(Mat::from_fn(n, n, |i, j| y[(i, j)].re))
}

/// The op's outputs for these inputs (their types already checked when the node was built).
pub(crate) fn perform(kind: Kind, inputs: &[&Tensor]) -> R<Vec<Tensor>> {
    let x = inputs[0];
    let d = x.dtype();
    let a = || mat(x);
    Ok(match kind {
        Kind::MatrixInverse => {
            numpy_square(x)?;
            vec![of_mat(d, inverse(&a())?.as_ref())]
        }
        Kind::MatrixPinv => vec![of_mat(d, pinv(&a())?.as_ref())],
        Kind::Det => {
            numpy_square(x)?;
            vec![tensor(d, &[], vec![a().determinant()])]
        }
        Kind::Eig => {
            numpy_square(x)?;
            let n = x.shape()[0];
            let e = a()
                .eigen()
                .map_err(|e| format!("LinAlgError: Eigenvalues did not converge ({e:?})"))?;
            let (s, u) = (e.S().column_vector(), e.U());
            // unit columns, as LAPACK's; then the real parts, as Theano's astype
            let norms: Vec<f64> = (0..n)
                .map(|j| (0..n).map(|i| u[(i, j)].norm_sqr()).sum::<f64>().sqrt())
                .collect();
            let v = Mat::from_fn(n, n, |i, j| (u[(i, j)] / norms[j]).re);
            vec![
                of_vec(d, (0..n).map(|i| s[i].re).collect()),
                of_mat(d, v.as_ref()),
            ]
        }
        Kind::Eigh { lower } => {
            numpy_square(x)?;
            let (w, v) = eigh(&a(), lower)?;
            vec![of_vec(d, w), of_mat(d, v.as_ref())]
        }
        Kind::EighGrad { lower } => {
            let w = inputs[1].to_f64_vec();
            let v = mat(inputs[2]);
            let gw = inputs[3].to_f64_vec();
            let gv = mat(inputs[4]);
            let n = x.shape()[0];
            if w.len() != n || gw.len() != n || v.nrows() != n || gv.nrows() != n {
                return Err(format!(
                    "EighGrad: x is {n}x{n} but w, v, gw, gv have {}, {}, {}, {} rows",
                    w.len(),
                    v.nrows(),
                    gw.len(),
                    gv.nrows()
                ));
            }
            let od = out_dtype(inputs);
            vec![of_mat(od, eigh_grad(&w, &v, &gw, &gv, lower).as_ref())]
        }
        Kind::Qr { mode } => {
            let qr = a().qr();
            match mode {
                QrMode::Reduced => vec![
                    of_mat(d, qr.compute_thin_Q().as_ref()),
                    of_mat(d, qr.thin_R()),
                ],
                QrMode::Complete => {
                    // r (M, N): the thin factor over rows of zeros
                    let r = qr.thin_R();
                    let full = Mat::from_fn(x.shape()[0], x.shape()[1], |i, j| {
                        if i < r.nrows() {
                            r[(i, j)]
                        } else {
                            0.0
                        }
                    });
                    vec![of_mat(d, qr.compute_Q().as_ref()), of_mat(d, full.as_ref())]
                }
                QrMode::R => vec![of_mat(d, qr.thin_R())],
            }
        }
        Kind::Svd {
            full_matrices,
            compute_uv,
        } => {
            let (u, s, vt) = svd(&a(), full_matrices)?;
            if compute_uv {
                vec![of_mat(d, u.as_ref()), of_vec(d, s), of_mat(d, vt.as_ref())]
            } else {
                vec![of_vec(d, s)]
            }
        }
        Kind::Cholesky {
            lower,
            nan_on_error,
        } => {
            let am = a();
            scipy_square(&am)?;
            match llt(&am, lower) {
                Ok(l) => {
                    let f = if lower { l } else { l.transpose().to_owned() };
                    vec![of_mat(d, f.as_ref())]
                }
                Err(_) if nan_on_error => {
                    let n = x.shape()[0];
                    vec![tensor(d, &[n, n], vec![f64::NAN; n * n])]
                }
                Err(i) => {
                    return Err(format!(
                        "LinAlgError: {i}-th leading minor of the array is not positive definite"
                    ))
                }
            }
        }
        Kind::Solve { structure, .. } => {
            let b = inputs[1];
            let od = out_dtype(inputs);
            let (am, mut bm) = (a(), mat(b));
            match structure {
                Structure::General | Structure::Symmetric => {
                    scipy_square(&am)?;
                    if bm.nrows() != am.nrows() {
                        return Err(
                            "ValueError: Input b has to have same number of rows as input a".into(),
                        );
                    }
                    finite(&bm)?;
                    let lu = am.partial_piv_lu();
                    if (0..am.nrows()).any(|i| lu.U()[(i, i)] == 0.0) {
                        return Err("LinAlgError: Matrix is singular.".into());
                    }
                    bm = lu.solve(&bm);
                }
                Structure::LowerTriangular | Structure::UpperTriangular => {
                    scipy_square(&am)?;
                    if bm.nrows() != am.nrows() {
                        return Err(format!(
                            "ValueError: shapes of a {} and b {} are incompatible",
                            theano_tensor::py_tuple(x.shape()),
                            theano_tensor::py_tuple(b.shape())
                        ));
                    }
                    solve_triangular(&am, &mut bm, structure == Structure::LowerTriangular)?;
                }
            }
            vec![of_rhs(od, bm.as_ref(), b.ndim())]
        }
        Kind::Eigvalsh { lower } | Kind::EigvalshGrad { lower } => {
            let b = inputs[1];
            let (am, bm) = (a(), mat(b));
            scipy_square(&am)?;
            scipy_square(&bm)?;
            if b.shape() != x.shape() {
                return Err(format!(
                    "ValueError: wrong b dimensions {}, should be {}",
                    theano_tensor::py_tuple(b.shape()),
                    theano_tensor::py_tuple(x.shape())
                ));
            }
            let od = out_dtype(inputs);
            let (w, v) = eigh_generalized(&am, &bm, lower)?;
            if let Kind::EigvalshGrad { .. } = kind {
                let gw = inputs[2].to_f64_vec();
                if gw.len() != w.len() {
                    return Err(format!(
                        "EigvalshGrad: gw has {} elements, a has {} rows",
                        gw.len(),
                        w.len()
                    ));
                }
                let ga = vdvt(&v, &gw);
                let gww: Vec<f64> = gw.iter().zip(&w).map(|(g, w)| -g * w).collect();
                let gb = vdvt(&v, &gww);
                vec![
                    of_mat(od, fold(&ga, lower).as_ref()),
                    of_mat(od, fold(&gb, lower).as_ref()),
                ]
            } else {
                vec![of_vec(od, w)]
            }
        }
        Kind::Expm => {
            let am = a();
            scipy_square(&am)?;
            vec![of_mat(d, expm(&am)?.as_ref())]
        }
        Kind::ExpmGrad => {
            let am = a();
            scipy_square(&am)?;
            let ga = inputs[1];
            if ga.shape() != x.shape() {
                return Err(format!(
                    "ExpmGrad: gA has shape {}, A {}",
                    theano_tensor::py_tuple(ga.shape()),
                    theano_tensor::py_tuple(x.shape())
                ));
            }
            vec![of_mat(d, expm_grad(&am, &mat(ga))?.as_ref())]
        }
        Kind::Lstsq => lstsq(inputs)?,
        Kind::TensorInv { ind } => vec![tensorinv(x, ind)?],
        Kind::TensorSolve { axes } => vec![tensorsolve(
            x,
            inputs[1],
            axes.map(|a| a.as_vec()).as_deref(),
        )?],
    })
}

/// NumPy's `lstsq(a, b, rcond)` (LAPACK's `gelsd`): the minimum-norm least-squares solution
/// by the SVD, singular values at or below `rcond` times the largest treated as zero
/// (machine precision for a negative `rcond`); the residuals' squared sums per column when
/// `a` has full column rank and more rows than columns (else empty), the rank, and the
/// singular values.
fn lstsq(inputs: &[&Tensor]) -> R<Vec<Tensor>> {
    let (a, b) = (mat(inputs[0]), mat(inputs[1]));
    let (m, n) = (a.nrows(), a.ncols());
    if b.nrows() != m {
        return Err("LinAlgError: Incompatible dimensions".into());
    }
    let rcond = inputs[2].to_f64_vec()[0];
    let (u, s, vt) = svd(&a, false)?;
    let smax = s.iter().fold(0.0f64, |p, &v| p.max(v));
    let cutoff = if rcond < 0.0 { f64::EPSILON } else { rcond } * smax;
    let rank = s.iter().filter(|&&v| v > cutoff).count();
    // x = V diag(1 / s_i, kept) U^T b
    let utb = mul(u.transpose(), b.as_ref());
    let scaled = Mat::from_fn(s.len(), b.ncols(), |i, j| {
        if s[i] > cutoff {
            utb[(i, j)] / s[i]
        } else {
            0.0
        }
    });
    let x = mul(vt.transpose(), scaled.as_ref());
    let residuals = if rank == n && m > n {
        let r = mul(a.as_ref(), x.as_ref());
        (0..b.ncols())
            .map(|j| (0..m).map(|i| (b[(i, j)] - r[(i, j)]).powi(2)).sum())
            .collect()
    } else {
        vec![]
    };
    let d = out_dtype(&inputs[..2]);
    Ok(vec![
        of_rhs(d, x.as_ref(), inputs[1].ndim()),
        of_vec(DType::Float64, residuals),
        tensor(DType::Int64, &[], vec![rank as f64]),
        of_vec(DType::Float64, s),
    ])
}

/// NumPy's `tensorinv(a, ind)`: the inverse of `a` read as a matrix of its first `ind` axes
/// by the rest, shaped as the rest then the first `ind`.
fn tensorinv(a: &Tensor, ind: usize) -> R<Tensor> {
    if ind == 0 || ind > a.ndim() {
        return Err("ValueError: Invalid ind argument.".into());
    }
    let shape = a.shape();
    let rows: usize = shape[ind..].iter().product();
    let flat = a
        .reshape(&[rows, a.len().checked_div(rows).unwrap_or(0)])
        .map_err(|e| e.to_string())?;
    numpy_square(&flat)?;
    let inv = inverse(&mat(&flat))?;
    let out_shape: Vec<usize> = shape[ind..].iter().chain(&shape[..ind]).copied().collect();
    of_mat(a.dtype(), inv.as_ref())
        .reshape(&out_shape)
        .map_err(|e| e.to_string())
}

/// NumPy's `tensorsolve(a, b, axes)`: `x` with `tensordot(a, x, x.ndim) == b`, `axes` of `a`
/// moved to the end first.
fn tensorsolve(a: &Tensor, b: &Tensor, axes: Option<&[i64]>) -> R<Tensor> {
    let mut order: Vec<usize> = (0..a.ndim()).collect();
    if let Some(axes) = axes {
        for &k in axes {
            let k = if k < 0 { k + a.ndim() as i64 } else { k } as usize;
            order.retain(|&o| o != k);
            order.push(k);
        }
    }
    let shape: Vec<usize> = order.iter().map(|&o| a.shape()[o]).collect();
    let old: Vec<usize> = shape[b.ndim()..].to_vec();
    let prod: usize = old.iter().product();
    if shape[..b.ndim()].iter().product::<usize>() != prod {
        return Err(
            "LinAlgError: Input arrays must satisfy the requirement             \
                    prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])"
                .into(),
        );
    }
    // a transposed by `order`, as a prod x prod matrix
    let av = a.to_f64_vec();
    let st: Vec<usize> = {
        let mut s = vec![1usize; a.ndim()];
        for k in (0..a.ndim().saturating_sub(1)).rev() {
            s[k] = s[k + 1] * a.shape()[k + 1];
        }
        s
    };
    let mut idx = vec![0usize; shape.len()];
    let mut moved = Vec::with_capacity(av.len());
    for _ in 0..av.len() {
        moved.push(
            av[idx
                .iter()
                .zip(&order)
                .map(|(&i, &o)| i * st[o])
                .sum::<usize>()],
        );
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    let am = Mat::from_fn(prod, prod, |i, j| moved[i * prod + j]);
    let bv = b.to_f64_vec();
    let bm = Mat::from_fn(prod, 1, |i, _| bv[i]);
    let x = am.partial_piv_lu();
    if (0..prod).any(|i| x.U()[(i, i)] == 0.0) {
        return Err("LinAlgError: Singular matrix".into());
    }
    let sol = x.solve(bm.as_ref());
    let v = (0..prod).map(|i| sol[(i, 0)]).collect();
    Ok(tensor(out_dtype(&[a, b]), &old, v))
}

/// float32 when every input is, else float64 (the ops' multi-input dtype rule).
fn out_dtype(inputs: &[&Tensor]) -> DType {
    if inputs.iter().all(|t| t.dtype() == DType::Float32) {
        DType::Float32
    } else {
        DType::Float64
    }
}
