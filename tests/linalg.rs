//! `theano.tensor.nlinalg` and `theano.tensor.slinalg` end to end, against the real Theano
//! 1.0.5 (tests/linalg/linalg.json, written by tests/linalg/gen.py: the values its ops
//! compute with NumPy 1.23 and SciPy 1.10, their gradients, their printing and refusals), on
//! the interpreter, the JIT and the GPU runtime on the emulator; gradients and second
//! derivatives by finite differences; the R-operator; the text form; shape inference.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::nlinalg::{self, NormOrd};
use theano::tensor::slinalg;
use theano::{DType, Tensor, Variable};
use theano_grad::{grad, rop, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, recorded_inputs, tensor_of_json, usizes};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/linalg/linalg.json"))
}

/// The graph each recorded case builds, of inputs named as gen.py names them.
fn build(name: &str, i: &[Variable]) -> Vec<Variable> {
    let one = |v: theano::ir::Result<Variable>| vec![v.unwrap()];
    let pair = |(a, b): (Variable, Variable)| vec![a, b];
    match name {
        "matrix_inverse" | "matrix_inverse_f32" => one(nlinalg::matrix_inverse(&i[0])),
        "pinv_tall" | "pinv_wide" => one(nlinalg::pinv(&i[0])),
        "det" | "det_f32" => one(nlinalg::det(&i[0])),
        "eigh_L" | "eigh_f32" => pair(nlinalg::eigh(&i[0], "L").unwrap()),
        "eigh_U" => pair(nlinalg::eigh(&i[0], "U").unwrap()),
        "eigh_w_only" => vec![nlinalg::eigh(&i[0], "L").unwrap().0],
        "eig" => vec![nlinalg::eig(&i[0]).unwrap().0],
        "svd_full" => nlinalg::svd(&i[0], true, true).unwrap(),
        "svd_thin" => nlinalg::svd(&i[0], false, true).unwrap(),
        "svd_s" => nlinalg::svd(&i[0], true, false).unwrap(),
        "qr_reduced" => nlinalg::qr(&i[0], "reduced").unwrap(),
        "qr_complete" => nlinalg::qr(&i[0], "complete").unwrap(),
        "qr_r" => nlinalg::qr(&i[0], "r").unwrap(),
        "matrix_power" => one(nlinalg::matrix_power(&i[0], 3)),
        "matrix_dot" => one(nlinalg::matrix_dot(i)),
        "norm_fro" => one(nlinalg::norm(&i[0], NormOrd::Default)),
        "norm_1" => one(nlinalg::norm(&i[0], NormOrd::P(1.0))),
        "norm_inf" => one(nlinalg::norm(&i[0], NormOrd::Inf)),
        "norm_vec3" => one(nlinalg::norm(&i[0], NormOrd::P(3.0))),
        "cholesky_lower" | "cholesky_f32" => one(slinalg::cholesky(&i[0])),
        "cholesky_upper" => one(slinalg::cholesky_with(&i[0], false, "raise")),
        "cholesky_nan_ok" => one(slinalg::cholesky_with(&i[0], true, "nan")),
        "solve_vec" | "solve_mat" | "solve_f32" => one(slinalg::solve(&i[0], &i[1])),
        "solve_symmetric" => one(slinalg::solve_symmetric(&i[0], &i[1])),
        "solve_lower" => one(slinalg::solve_lower_triangular(&i[0], &i[1])),
        "solve_upper" => one(slinalg::solve_upper_triangular(&i[0], &i[1])),
        "eigvalsh_ab" => one(slinalg::eigvalsh(&i[0], &i[1])),
        "eigvalsh_ab_upper" => one(slinalg::eigvalsh_with(&i[0], &i[1], false)),
        "kron_mat" | "kron_vec_mat" => one(slinalg::kron(&i[0], &i[1])),
        "expm" => one(slinalg::expm(&i[0])),
        other => panic!("no builder for case {other}"),
    }
}

fn abs_of(t: &Tensor) -> Tensor {
    let v: Vec<f64> = t.to_f64_vec().iter().map(|x| x.abs()).collect();
    Tensor::from_f64_vec(DType::Float64, t.shape(), v)
        .unwrap()
        .cast(t.dtype())
}

fn abs_json(j: &Json) -> Json {
    let mut j = j.clone();
    for v in j["data"].as_array_mut().unwrap() {
        *v = Json::from(v.as_f64().unwrap().abs());
    }
    j
}

/// The first `k` columns of a matrix (the part of a complete `q` or `u` that is unique up
/// to signs: the other columns are any orthonormal basis of the complement).
fn columns(t: &Tensor, k: usize) -> Tensor {
    let (r, c) = (t.shape()[0], t.shape()[1]);
    let v = t.to_f64_vec();
    let data = (0..r * k).map(|i| v[(i / k) * c + i % k]).collect();
    Tensor::from_f64_vec(DType::Float64, &[r, k], data).unwrap()
}

fn columns_json(j: &Json, k: usize) -> Json {
    let t = columns(&tensor_of_json(j), k);
    serde_json::json!({"dtype": "float64", "shape": [t.shape()[0], k], "data": t.to_f64_vec()})
}

/// `t.T t` is the identity: the columns are orthonormal.
fn assert_orthonormal(t: &Tensor, what: &str) {
    let (r, c) = (t.shape()[0], t.shape()[1]);
    let v = t.to_f64_vec();
    for a in 0..c {
        for b in 0..c {
            let d: f64 = (0..r).map(|i| v[i * c + a] * v[i * c + b]).sum();
            let want = if a == b { 1.0 } else { 0.0 };
            assert!((d - want).abs() < 1e-12, "{what}: columns {a}, {b}: {d}");
        }
    }
}

/// Every recorded case: the outputs and the gradients of `sum_k sum(f(out_k) * W_k)` are
/// Theano's, on every backend (float64 to 1e-10 of the largest value, float32 to 1e-5).
/// The signs of eigenvectors and singular vectors are the decomposition's choice, so those
/// compare in absolute value (and only where they are unique); `eig`'s eigenvalues compare
/// as a set.
#[test]
fn values_and_gradients_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert!(cases.len() >= 38);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (vars, vals) = recorded_inputs(c);
        let outs = build(name, &vars);
        let weights: Vec<Tensor> = c["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(tensor_of_json)
            .collect();
        let square: Vec<usize> = usizes(&c["square"]);
        let mut all = outs.clone();
        let n_grads = c.get("grads").map_or(0, |g| g.as_array().unwrap().len());
        if n_grads > 0 {
            let cost = outs
                .iter()
                .zip(&weights)
                .enumerate()
                .map(|(k, (o, w))| {
                    let f = if square.contains(&k) {
                        o * o
                    } else {
                        o.clone()
                    };
                    T::sum(f * Variable::constant_bounded(w.clone()))
                })
                .reduce(|a, b| a + b)
                .unwrap();
            all.extend(grad(&cost, &vars).unwrap());
        }
        let rtol = if c["dtype"] == "float32" { 1e-5 } else { 1e-10 };
        let refs: Vec<&Variable> = vars.iter().collect();
        for (l, got) in common::run_every_linker(&refs, &all, &vals)
            .iter()
            .enumerate()
        {
            for (k, want) in c["outputs"].as_array().unwrap().iter().enumerate() {
                let what = format!("{name} output {k} (linker {l})");
                let g = &got[k];
                if name == "eig" {
                    let mut a = g.to_f64_vec();
                    let mut b = tensor_of_json(want).to_f64_vec();
                    a.sort_by(f64::total_cmp);
                    b.sort_by(f64::total_cmp);
                    for (x, y) in a.iter().zip(&b) {
                        assert!(
                            (x - y).abs() < 1e-10 * y.abs().max(1.0),
                            "{what}: {a:?} {b:?}"
                        );
                    }
                } else if name.starts_with("svd") && k != 1 && square.contains(&k) {
                    // u and vt: unique up to signs in their first K columns / rows
                    let kk = got[1].shape()[0];
                    let m = if k == 0 { g.clone() } else { transposed(g) };
                    let w = if k == 0 {
                        want.clone()
                    } else {
                        transposed_json(want)
                    };
                    close_to_json(
                        &abs_of(&columns(&m, kk)),
                        &abs_json(&columns_json(&w, kk)),
                        rtol,
                        &what,
                    );
                    assert_orthonormal(&m, &what);
                } else if square.contains(&k) {
                    close_to_json(&abs_of(g), &abs_json(want), rtol, &what);
                } else if name == "qr_complete" && k == 0 {
                    let kk = usizes(&c["outputs"][1]["shape"])[1];
                    close_to_json(&columns(g, kk), &columns_json(want, kk), rtol, &what);
                    assert_orthonormal(g, &what);
                } else {
                    close_to_json(g, want, rtol, &what);
                }
            }
            for k in 0..n_grads {
                let what = format!("{name} gradient {k} (linker {l})");
                close_to_json(&got[outs.len() + k], &c["grads"][k], rtol, &what);
            }
        }
    }
}

fn transposed(t: &Tensor) -> Tensor {
    let (r, c) = (t.shape()[0], t.shape()[1]);
    let v = t.to_f64_vec();
    let data = (0..r * c).map(|i| v[(i % r) * c + i / r]).collect();
    Tensor::from_f64_vec(DType::Float64, &[c, r], data)
        .unwrap()
        .cast(t.dtype())
}

fn transposed_json(j: &Json) -> Json {
    let t = transposed(&tensor_of_json(j));
    serde_json::json!({"dtype": j["dtype"], "shape": t.shape(), "data": t.to_f64_vec()})
}

/// Each case's graph prints as Theano's debugprint, and each op's name as Theano's `str`.
#[test]
fn graphs_and_ops_print_as_theanos() {
    for c in corpus()["cases"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (vars, _) = recorded_inputs(c);
        let outs = build(name, &vars);
        assert_eq!(
            theano::debugprint(&outs),
            corpus()["printing"][name].as_str().unwrap(),
            "{name}"
        );
    }
    let x = T::dmatrix("x");
    let b = T::dmatrix("b");
    let name = |v: Variable| v.owner().unwrap().op().to_string();
    let first = |v: Vec<Variable>| v[0].clone();
    let names = [
        ("Solve_general", name(slinalg::solve(&x, &b).unwrap())),
        (
            "Solve_lower",
            name(slinalg::solve_lower_triangular(&x, &b).unwrap()),
        ),
        (
            "Solve_upper",
            name(slinalg::solve_upper_triangular(&x, &b).unwrap()),
        ),
        (
            "Solve_symmetric",
            name(slinalg::solve_symmetric(&x, &b).unwrap()),
        ),
        ("Cholesky", name(slinalg::cholesky(&x).unwrap())),
        (
            "Cholesky_upper_nan",
            name(slinalg::cholesky_with(&x, false, "nan").unwrap()),
        ),
        ("Eigvalsh", name(slinalg::eigvalsh(&x, &b).unwrap())),
        (
            "Eigvalsh_upper",
            name(slinalg::eigvalsh_with(&x, &b, false).unwrap()),
        ),
        ("MatrixInverse", name(nlinalg::matrix_inverse(&x).unwrap())),
        ("MatrixPinv", name(nlinalg::pinv(&x).unwrap())),
        ("Det", name(nlinalg::det(&x).unwrap())),
        ("Eig", name(nlinalg::eig(&x).unwrap().0)),
        ("Eigh", name(nlinalg::eigh(&x, "L").unwrap().0)),
        ("Eigh_U", name(nlinalg::eigh(&x, "U").unwrap().0)),
        ("QRFull", name(first(nlinalg::qr(&x, "reduced").unwrap()))),
        (
            "QRFull_complete",
            name(first(nlinalg::qr(&x, "complete").unwrap())),
        ),
        ("QRIncomplete", name(first(nlinalg::qr(&x, "r").unwrap()))),
        ("SVD", name(first(nlinalg::svd(&x, true, true).unwrap()))),
        (
            "SVD_s",
            name(first(nlinalg::svd(&x, false, false).unwrap())),
        ),
        ("Expm", name(slinalg::expm(&x).unwrap())),
    ];
    for (key, got) in names {
        assert_eq!(got, corpus()["names"][key].as_str().unwrap(), "{key}");
    }
    // the gradient ops, as the gradients build them
    let (w, v) = nlinalg::eigh(&x, "U").unwrap();
    let cost = T::sum(&w) + T::sum(&v * &v);
    let gx = grad(&cost, std::slice::from_ref(&x)).unwrap().remove(0);
    assert!(theano::debugprint(&[gx]).contains("EighGrad{UPLO='U'}"));
    let gx = grad(
        &T::sum(slinalg::eigvalsh(&x, &b).unwrap()),
        &[x.clone(), b.clone()],
    )
    .unwrap();
    assert_eq!(
        name(gx[0].clone()),
        corpus()["names"]["EigvalshGrad"].as_str().unwrap()
    );
    let gx = grad(
        &T::sum(slinalg::expm(&x).unwrap()),
        std::slice::from_ref(&x),
    )
    .unwrap();
    assert_eq!(
        name(gx[0].clone()),
        corpus()["names"]["ExpmGrad"].as_str().unwrap()
    );
}

/// The text form writes each op with its parameters and reads it back; a parameter Theano's
/// op does not have, or a value it does not take, is refused.
#[test]
fn the_text_form_round_trips() {
    let x = T::dmatrix("x");
    let b = T::dmatrix("b");
    let mut outs = vec![
        nlinalg::matrix_inverse(&x).unwrap(),
        nlinalg::pinv(&x).unwrap(),
        nlinalg::det(&x).unwrap(),
        nlinalg::eig(&x).unwrap().1,
        nlinalg::eigh(&x, "U").unwrap().1,
        slinalg::cholesky_with(&x, false, "nan").unwrap(),
        slinalg::solve_lower_triangular(&x, &b).unwrap(),
        slinalg::solve_symmetric(&x, &b).unwrap(),
        slinalg::eigvalsh_with(&x, &b, false).unwrap(),
        slinalg::expm(&x).unwrap(),
    ];
    outs.extend(nlinalg::qr(&x, "complete").unwrap());
    outs.extend(nlinalg::qr(&x, "r").unwrap());
    outs.extend(nlinalg::svd(&x, false, true).unwrap());
    let cost = T::sum(nlinalg::eigh(&x, "L").unwrap().1)
        + T::sum(slinalg::eigvalsh(&x, &b).unwrap())
        + T::sum(slinalg::expm(&x).unwrap());
    outs.extend(grad(&cost, &[x.clone(), b.clone()]).unwrap());
    let fg =
        theano::ir::fgraph::FunctionGraph::from_outputs(&[x.clone(), b.clone()], &outs).unwrap();
    let text = fg.to_text();
    for op in [
        "MatrixInverse",
        "MatrixPinv",
        "Det",
        "Eig(",
        "Eigh{UPLO='U'}",
        "EighGrad{UPLO='L'}",
        "Cholesky{lower=False, destructive=False, on_error='nan'}",
        "Solve{A_structure='lower_triangular', lower=True, overwrite_A=False, overwrite_b=False}",
        "Eigvalsh{lower=False}",
        "EigvalshGrad{lower=True}",
        "QRFull{mode='complete'}",
        "QRIncomplete{mode='r'}",
        "SVD{full_matrices=0, compute_uv=1}",
        "ExpmGrad",
    ] {
        assert!(text.contains(op), "{op}:\n{text}");
    }
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    for (good, bad) in [
        ("UPLO='U'", "UPLO='X'"),
        ("on_error='nan'", "on_error='warn'"),
        ("destructive=False, on_error", "destructive=True, on_error"),
        ("A_structure='lower_triangular'", "A_structure='banded'"),
        ("QRIncomplete{mode='r'}", "QRIncomplete{mode='reduced'}"),
        ("Eigvalsh{lower=False}", "Eigvalsh{upper=False}"),
        ("SVD{full_matrices=0", "SVD{full_matrices=2"),
    ] {
        assert!(text.contains(good), "{good}");
        let t = text.replacen(good, bad, 1);
        assert!(
            theano::ir::fgraph::FunctionGraph::parse(&t).is_err(),
            "{bad} parsed"
        );
    }
}

fn err_of(f: &theano::Function, args: &[&Tensor]) -> String {
    f.call_refs(args).expect_err("refused").to_string()
}

/// NumPy's and SciPy's refusals, as Theano's ops raise them, on every backend; and what
/// the builders refuse.
#[test]
fn refusals_are_theanos() {
    let e = &corpus()["errors"];
    let msg = |k: &str| e[k]["msg"].as_str().unwrap().to_string();
    let m = |rows: &[[f64; 3]]| {
        Tensor::from_f64_vec(
            DType::Float64,
            &[3, 3],
            rows.iter().flatten().copied().collect(),
        )
        .unwrap()
    };
    let sing = m(&[[1., 2., 3.], [2., 4., 6.], [1., 0., 1.]]);
    let notpd = m(&[[1., 2., 0.], [2., 1., 0.], [0., 0., 1.]]);
    let lsing = m(&[[1., 0., 0.], [2., 0., 0.], [1., 1., 1.]]);
    let tall = tensor_of_json(&corpus()["cases"][2]["inputs"][0]);
    assert_eq!(tall.shape(), &[5, 3]);
    let ones = |r: usize| Tensor::from_f64_vec(DType::Float64, &[r, 1], vec![1.0; r]).unwrap();
    let (x, b) = (T::dmatrix("x"), T::dmatrix("b"));
    let linkers = [
        theano::Mode::parse_flags("linker=py").unwrap(),
        theano::Mode::parse_flags("linker=cvm").unwrap(),
    ];
    for mode in linkers {
        let f1 = |y: Variable| {
            theano::compile(&[&x], y)
                .mode(mode.clone())
                .build()
                .unwrap()
        };
        let f2 = |y: Variable| {
            theano::compile(&[&x, &b], y)
                .mode(mode.clone())
                .build()
                .unwrap()
        };
        let check = |got: String, key: &str| {
            assert!(
                got.contains(&msg(key)),
                "{key}: {got} (Theano: {})",
                msg(key)
            );
        };
        let f = f1(nlinalg::matrix_inverse(&x).unwrap());
        check(err_of(&f, &[&sing]), "inverse_singular");
        check(err_of(&f, &[&tall]), "inverse_nonsquare");
        let f = f1(nlinalg::det(&x).unwrap());
        check(err_of(&f, &[&tall]), "det_nonsquare");
        assert_eq!(
            f.call_refs(&[&sing]).unwrap()[0].scalar_f64().unwrap(),
            e["det_singular"].as_f64().unwrap()
        );
        let f = f1(slinalg::cholesky(&x).unwrap());
        check(err_of(&f, &[&notpd]), "cholesky_not_pd");
        let f = f1(slinalg::cholesky_with(&x, true, "nan").unwrap());
        let got = f.call_refs(&[&notpd]).unwrap().remove(0);
        assert_eq!(got.shape(), &usizes(&e["cholesky_nan"]["shape"])[..]);
        assert!(got.to_f64_vec().iter().all(|v| v.is_nan()), "{got:?}");
        let f = f2(slinalg::solve(&x, &b).unwrap());
        check(err_of(&f, &[&sing, &ones(3)]), "solve_singular");
        check(err_of(&f, &[&sing, &ones(4)]), "solve_mismatch");
        let f = f2(slinalg::solve_lower_triangular(&x, &b).unwrap());
        check(err_of(&f, &[&lsing, &ones(3)]), "solve_lower_singular");
        let f = f1(nlinalg::eigh(&x, "L").unwrap().0);
        check(err_of(&f, &[&tall]), "eigh_nonsquare");
    }
    // what the builders refuse: Theano's messages where it has one
    let refused = |r: theano::ir::Result<Variable>| r.expect_err("refused").to_string();
    let got = refused(slinalg::kron(T::dvector("u"), T::dvector("v")));
    assert!(got.contains(&msg("kron_vectors")), "{got}");
    let got = refused(nlinalg::norm(T::dtensor3("t"), NormOrd::Default));
    assert!(got.contains(&msg("norm_3d")), "{got}");
    let got = refused(nlinalg::norm(&x, NormOrd::P(3.0)));
    assert!(got.contains("Invalid norm order for matrices"), "{got}");
    assert!(nlinalg::qr(&x, "raw")
        .unwrap_err()
        .to_string()
        .contains("'raw'"));
    assert!(nlinalg::eigh(&x, "X")
        .unwrap_err()
        .to_string()
        .contains("UPLO"));
    assert!(slinalg::cholesky_with(&x, true, "warn")
        .unwrap_err()
        .to_string()
        .contains("on_error"));
    // integers and non-matrices are refused when the node is built, naming the input
    let got = refused(nlinalg::matrix_inverse(T::lmatrix("i")));
    assert!(got.contains("MatrixInverse expects x to be a float32 or float64 matrix, got TensorType(int64, matrix)"), "{got}");
    let got = refused(nlinalg::det(T::dvector("v")));
    assert!(
        got.contains("Det expects x to be a float32 or float64 matrix"),
        "{got}"
    );
    let got = refused(slinalg::solve(&x, T::dtensor3("t")));
    assert!(
        got.contains("Solve expects b to be a numeric vector or matrix"),
        "{got}"
    );
    // Theano's output dtypes for Solve of mixed dtypes
    let sd = &e["solve_dtypes"];
    for (a, bb, key) in [
        (T::fmatrix("a"), T::fmatrix("b"), "f32_f32"),
        (T::fmatrix("a"), T::dmatrix("b"), "f32_f64"),
        (T::lmatrix("a"), T::dmatrix("b"), "i64_f64"),
        (T::imatrix("a"), T::imatrix("b"), "i32_i32"),
    ] {
        assert_eq!(
            slinalg::solve(&a, &bb).unwrap().dtype().to_string(),
            sd[key].as_str().unwrap()
        );
    }
    // ops without a gradient say so, naming the op
    let s = nlinalg::svd(&x, false, false).unwrap().remove(0);
    let got = grad(&T::sum(&s), std::slice::from_ref(&x))
        .unwrap_err()
        .to_string();
    assert!(got.contains("SVD"), "{got}");
}

/// Gradients by finite differences for every differentiable op, and second derivatives (the
/// gradient of each gradient).
#[test]
fn gradients_by_finite_differences() {
    let mut rng = Rng::new(17);
    let opts = VerifyGradOptions {
        seed: 3,
        ..Default::default()
    };
    let spd = |rng: &mut Rng| {
        let m = rng.tensor(DType::Float64, &[4, 4], -1.0, 1.0).to_f64_vec();
        let v: Vec<f64> = (0..16)
            .map(|k| {
                let (i, j) = (k / 4, k % 4);
                (0..4).map(|l| m[i * 4 + l] * m[j * 4 + l]).sum::<f64>()
                    + if i == j { 2.0 } else { 0.0 }
            })
            .collect();
        Tensor::from_f64_vec(DType::Float64, &[4, 4], v).unwrap()
    };
    let gen = |rng: &mut Rng| {
        let m = rng.tensor(DType::Float64, &[4, 4], -1.0, 1.0).to_f64_vec();
        let v = (0..16)
            .map(|k| m[k] + if k % 5 == 0 { 3.0 } else { 0.0 })
            .collect();
        Tensor::from_f64_vec(DType::Float64, &[4, 4], v).unwrap()
    };
    let (a, s, s2) = (gen(&mut rng), spd(&mut rng), spd(&mut rng));
    let tall = rng.tensor(DType::Float64, &[5, 3], -1.0, 1.0);
    let bm = rng.tensor(DType::Float64, &[4, 2], -1.0, 1.0);
    let bv = rng.tensor(DType::Float64, &[4], -1.0, 1.0);
    let small = rng.tensor(DType::Float64, &[3, 3], -0.5, 0.5);
    type F = Box<dyn Fn(&[Variable]) -> Variable>;
    let cases: Vec<(&str, F, Vec<Tensor>)> = vec![
        (
            "inverse",
            Box::new(|i| nlinalg::matrix_inverse(&i[0]).unwrap()),
            vec![a.clone()],
        ),
        (
            "pinv",
            Box::new(|i| nlinalg::pinv(&i[0]).unwrap()),
            vec![tall.clone()],
        ),
        (
            "det",
            Box::new(|i| nlinalg::det(&i[0]).unwrap()),
            vec![a.clone()],
        ),
        (
            "eigh L",
            Box::new(|i| {
                let (w, v) = nlinalg::eigh(&i[0], "L").unwrap();
                // sign-invariant: w and the squares of v
                T::sum(&w * &w) + T::sum(T::sqr(&v) * &w)
            }),
            vec![s.clone()],
        ),
        (
            "eigh U",
            Box::new(|i| T::sqr(nlinalg::eigh(&i[0], "U").unwrap().1)),
            vec![s.clone()],
        ),
        (
            "cholesky",
            Box::new(|i| slinalg::cholesky(&i[0]).unwrap()),
            vec![s.clone()],
        ),
        (
            "cholesky upper nan",
            Box::new(|i| slinalg::cholesky_with(&i[0], false, "nan").unwrap()),
            vec![s.clone()],
        ),
        (
            "solve",
            Box::new(|i| slinalg::solve(&i[0], &i[1]).unwrap()),
            vec![a.clone(), bm.clone()],
        ),
        (
            "solve vector",
            Box::new(|i| slinalg::solve(&i[0], &i[1]).unwrap()),
            vec![a.clone(), bv.clone()],
        ),
        (
            "solve lower",
            Box::new(|i| slinalg::solve_lower_triangular(&i[0], &i[1]).unwrap()),
            vec![a.clone(), bm.clone()],
        ),
        (
            "solve upper",
            Box::new(|i| slinalg::solve_upper_triangular(&i[0], &i[1]).unwrap()),
            vec![a.clone(), bv.clone()],
        ),
        (
            "eigvalsh",
            Box::new(|i| slinalg::eigvalsh(&i[0], &i[1]).unwrap()),
            vec![s.clone(), s2.clone()],
        ),
        (
            "eigvalsh upper",
            Box::new(|i| slinalg::eigvalsh_with(&i[0], &i[1], false).unwrap()),
            vec![s.clone(), s2.clone()],
        ),
        (
            "expm",
            Box::new(|i| slinalg::expm(&i[0]).unwrap()),
            vec![small.clone()],
        ),
        (
            "kron",
            Box::new(|i| slinalg::kron(&i[0], &i[1]).unwrap()),
            vec![small.clone(), bm.clone()],
        ),
        (
            "norm",
            Box::new(|i| nlinalg::norm(&i[0], NormOrd::P(3.0)).unwrap()),
            vec![bv.clone()],
        ),
        // second derivatives: each gradient differentiated again
        (
            "d2 inverse",
            Box::new(|i| {
                let c = T::sum(T::sqr(nlinalg::matrix_inverse(&i[0]).unwrap()));
                grad(&c, &i[..1]).unwrap().remove(0)
            }),
            vec![a.clone()],
        ),
        (
            "d2 det",
            Box::new(|i| {
                grad(&nlinalg::det(&i[0]).unwrap(), &i[..1])
                    .unwrap()
                    .remove(0)
            }),
            vec![a.clone()],
        ),
        (
            "d2 cholesky",
            Box::new(|i| {
                let c = T::sum(T::sqr(slinalg::cholesky(&i[0]).unwrap()));
                grad(&c, &i[..1]).unwrap().remove(0)
            }),
            vec![s.clone()],
        ),
        (
            "d2 solve",
            Box::new(|i| {
                let c = T::sum(T::sqr(slinalg::solve(&i[0], &i[1]).unwrap()));
                grad(&c, &i[..1]).unwrap().remove(0)
            }),
            vec![a.clone(), bm.clone()],
        ),
    ];
    for (name, f, points) in cases {
        verify_grad(f, &points, eval, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// `matrix_inverse`'s R-operator: `<u, J v>` equals `<J^T u, v>` by the gradient.
#[test]
fn the_inverse_r_op_agrees_with_the_gradient() {
    let mut rng = Rng::new(8);
    let (x, v, u) = (T::dmatrix("x"), T::dmatrix("v"), T::dmatrix("u"));
    let y = nlinalg::matrix_inverse(&x).unwrap();
    let jv = rop(
        std::slice::from_ref(&y),
        std::slice::from_ref(&x),
        std::slice::from_ref(&v),
    )
    .unwrap()
    .remove(0);
    let jtu = grad(&T::sum(&y * &u), std::slice::from_ref(&x))
        .unwrap()
        .remove(0);
    let lhs = T::sum(&u * &jv);
    let rhs = T::sum(&jtu * &v);
    let xv = rng.tensor(DType::Float64, &[3, 3], -1.0, 1.0);
    let xv = Tensor::from_f64_vec(
        DType::Float64,
        &[3, 3],
        xv.to_f64_vec()
            .iter()
            .enumerate()
            .map(|(k, a)| a + if k % 4 == 0 { 2.0 } else { 0.0 })
            .collect(),
    )
    .unwrap();
    let args = [
        xv,
        rng.tensor(DType::Float64, &[3, 3], -1.0, 1.0),
        rng.tensor(DType::Float64, &[3, 3], -1.0, 1.0),
    ];
    let ins = [&x, &v, &u];
    for got in common::run_every_linker(&ins, &[lhs, rhs], &args) {
        let (l, r) = (got[0].scalar_f64().unwrap(), got[1].scalar_f64().unwrap());
        assert!((l - r).abs() < 1e-10 * l.abs().max(1.0), "{l} vs {r}");
    }
    // the others have no R-operator, and say so
    let d = nlinalg::det(&x).unwrap();
    let got = rop(&[d], std::slice::from_ref(&x), std::slice::from_ref(&v))
        .unwrap_err()
        .to_string();
    assert!(got.contains("Det"), "{got}");
}

/// Merging: the gradient's `MatrixInverse(x)` is the forward one, so a compiled function
/// computes one inverse; the decompositions' reconstructions hold.
#[test]
fn equal_ops_merge_and_decompositions_reconstruct() {
    let x = T::dmatrix("x");
    let y = nlinalg::matrix_inverse(&x).unwrap();
    let g = grad(&T::sum(&y), std::slice::from_ref(&x))
        .unwrap()
        .remove(0);
    let f = theano::function(&[&x], vec![y, g]).unwrap();
    let n = f.fgraph().to_text().matches("MatrixInverse").count();
    assert_eq!(n, 1, "{}", f.fgraph().to_text());
    // u diag(s) vt == x, q r == x, L L^T == x
    let mut rng = Rng::new(4);
    let xv = rng.tensor(DType::Float64, &[4, 6], -1.0, 1.0);
    let usv = nlinalg::svd(&x, false, true).unwrap();
    let rec = T::dot(
        &usv[0] * T::dimshuffle(&usv[1], &[None, Some(0)]).unwrap(),
        &usv[2],
    )
    .unwrap();
    let qr = nlinalg::qr(&x, "reduced").unwrap();
    let rec2 = T::dot(&qr[0], &qr[1]).unwrap();
    for got in common::run_every_linker(&[&x], &[rec, rec2], std::slice::from_ref(&xv)) {
        for r in got {
            for (a, b) in r.to_f64_vec().iter().zip(xv.to_f64_vec()) {
                assert!((a - b).abs() < 1e-12);
            }
        }
    }
}
