//! `nlinalg.lstsq`, `tensorinv` and `tensorsolve` against the real Theano 1.0.5
//! (tests/linalg/more.json, written by tests/linalg/gen_more.py): values on every backend,
//! debugprints, refusals, the text form, shapes; reconstructions.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::nlinalg;
use theano::{DType, Tensor, Variable};

mod common;
use common::{close_to_json, recorded_inputs, tensor_of_json};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/linalg/more.json"))
}

fn build(c: &Json, i: &[Variable]) -> Vec<Variable> {
    let name = c["name"].as_str().unwrap();
    if name.starts_with("lstsq") {
        let (x, r, k, s) = nlinalg::lstsq(&i[0], &i[1], &i[2]).unwrap();
        return vec![x, r, k, s];
    }
    if name.starts_with("tensorinv") {
        let ind = c["ind"].as_u64().unwrap() as usize;
        return vec![nlinalg::tensorinv(&i[0], ind).unwrap()];
    }
    let axes: Option<Vec<i64>> = c["axes"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_i64().unwrap()).collect());
    vec![nlinalg::tensorsolve(&i[0], &i[1], axes.as_deref()).unwrap()]
}

/// Every recorded case: values to 1e-12 on every backend (the rank as Theano's value; its
/// dtype is int64 here, as Theano declares it, where Theano's perform leaves NumPy's int32),
/// and the graphs print as Theano's.
#[test]
fn values_and_printing_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (vars, vals) = recorded_inputs(c);
        let outs = build(c, &vars);
        assert_eq!(
            theano::debugprint(&outs),
            corpus()["printing"][name].as_str().unwrap(),
            "{name}"
        );
        let refs: Vec<&Variable> = vars.iter().collect();
        for (l, got) in common::run_every_linker(&refs, &outs, &vals)
            .iter()
            .enumerate()
        {
            for (k, want) in c["outputs"].as_array().unwrap().iter().enumerate() {
                let what = format!("{name} output {k} (linker {l})");
                if name.starts_with("lstsq") && k == 2 {
                    assert_eq!(got[k].dtype(), DType::Int64, "{what}");
                    assert_eq!(
                        got[k].to_i64_vec(),
                        tensor_of_json(want).to_i64_vec(),
                        "{what}"
                    );
                } else {
                    close_to_json(&got[k], want, 1e-12, &what);
                }
            }
        }
    }
}

/// NumPy's refusals when the function runs; no gradient for lstsq (as Theano's).
#[test]
fn refusals_are_theanos() {
    let e = &corpus()["errors"];
    let msg = |k: &str| e[k]["msg"].as_str().unwrap().to_string();
    let t = T::dtensor3("t");
    let run = |v: Variable, ins: &[&Variable], args: &[Tensor]| {
        theano::function(ins, vec![v])
            .unwrap()
            .call(args)
            .unwrap_err()
            .to_string()
    };
    let got = run(
        nlinalg::tensorinv(&t, 1).unwrap(),
        &[&t],
        &[Tensor::full(DType::Float64, &[5, 2, 3], 1.0)],
    );
    assert!(got.contains(&msg("tensorinv_not_square")), "{got}");
    let got = run(
        nlinalg::tensorinv(&t, 0).unwrap(),
        &[&t],
        &[Tensor::full(DType::Float64, &[2, 2, 3], 1.0)],
    );
    assert!(got.contains(&msg("tensorinv_ind_0")), "{got}");
    let v = T::dvector("v");
    let got = run(
        nlinalg::tensorsolve(&t, &v, None).unwrap(),
        &[&t, &v],
        &[
            Tensor::full(DType::Float64, &[5, 2, 3], 1.0),
            Tensor::full(DType::Float64, &[5], 1.0),
        ],
    );
    assert!(got.contains(&msg("tensorsolve_prod")), "{got}");
    let (a, b) = (T::dmatrix("a"), T::dmatrix("b"));
    let (x, ..) = nlinalg::lstsq(&a, &b, -1.0).unwrap();
    assert!(theano::grad(&T::sum(&x), std::slice::from_ref(&a)).is_err());
    // integer matrices are refused when the node is built
    assert!(nlinalg::lstsq(T::lmatrix("i"), &b, -1.0).is_err());
}

/// The solutions solve: `a x` is `b`'s projection (normal equations), `tensordot(a, x)` is
/// `b`, and `tensorinv` inverts under `tensordot`.
#[test]
fn solutions_solve() {
    let mut rng = theano_grad::Rng::new(3);
    let a = rng.tensor(DType::Float64, &[6, 4], -1.0, 1.0);
    let b = rng.tensor(DType::Float64, &[6, 2], -1.0, 1.0);
    let (av, bv) = (T::dmatrix("a"), T::dmatrix("b"));
    let (x, ..) = nlinalg::lstsq(&av, &bv, -1.0).unwrap();
    // a^T (a x - b) = 0
    let normal = T::dot(av.t(), T::dot(&av, &x).unwrap() - &bv).unwrap();
    let f = theano::function(&[&av, &bv], vec![normal]).unwrap();
    let out = f.call(&[a, b]).unwrap();
    assert!(
        out[0].to_f64_vec().iter().all(|v| v.abs() < 1e-12),
        "{out:?}"
    );
    let t = T::dtensor4("t");
    let inv = nlinalg::tensorinv(&t, 2).unwrap();
    let back = T::tensordot(&inv, &t, 2).unwrap();
    let f = theano::function(&[&t], vec![back, inv.shape()]).unwrap();
    let tv = rng.tensor(DType::Float64, &[2, 3, 3, 2], -1.0, 1.0);
    let out = f.call(&[tv]).unwrap();
    let id = out[0].to_f64_vec();
    for (k, v) in id.iter().enumerate() {
        let (r, c) = (k / 6, k % 6);
        let want = if r == c { 1.0 } else { 0.0 };
        assert!((v - want).abs() < 1e-10, "{k}: {v}");
    }
    assert_eq!(
        out[1].to_i64_vec(),
        vec![3, 2, 2, 3],
        "infer_shape: the trailing axes first"
    );
}

/// The text form writes each op with its parameters and reads it back.
#[test]
fn the_text_form_round_trips() {
    let (a, b, t, v) = (
        T::dmatrix("a"),
        T::dmatrix("b"),
        T::dtensor3("t"),
        T::dvector("v"),
    );
    let (x, r, k, s) = nlinalg::lstsq(&a, &b, 0.5).unwrap();
    let outs = vec![
        x,
        r,
        k,
        s,
        nlinalg::tensorinv(&t, 1).unwrap(),
        nlinalg::tensorsolve(&t, &v, Some(&[0])).unwrap(),
        nlinalg::tensorsolve(&t, &v, None).unwrap(),
    ];
    let fg = theano::ir::fgraph::FunctionGraph::from_outputs(&[a, b, t, v], &outs).unwrap();
    let text = fg.to_text();
    for op in [
        "lstsq(",
        "TensorInv{ind=1}",
        "TensorSolve{axes=(0,)}",
        "TensorSolve{axes=None}",
    ] {
        assert!(text.contains(op), "{op}:\n{text}");
    }
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    let bad = text.replacen("TensorInv{ind=1}", "TensorInv{ind=x}", 1);
    assert!(theano::ir::fgraph::FunctionGraph::parse(&bad).is_err());
}
