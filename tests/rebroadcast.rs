//! `addbroadcast`, `unbroadcast`, `patternbroadcast` (Theano's `Rebroadcast`) against the
//! real Theano 1.0.5 (tests/rebroadcast/rebroadcast.json, written by
//! tests/rebroadcast/gen.py): the graphs and types they build, a bias broadcast over rows
//! with its gradients on every backend, gradient debugprints, refusals; verify_grad; the
//! text form; shapes.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::{DType, Tensor, Variable};
use theano_grad::{grad, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, tensor_of_json};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/rebroadcast/rebroadcast.json"))
}

/// Every builder's graph and type, as Theano's `apply_rebroadcast_opt` leaves them.
#[test]
fn graphs_and_types_are_theanos() {
    let (x, r, t) = (T::dmatrix("x"), T::drow("r"), T::dtensor3("t"));
    let graphs: Vec<(&str, Variable)> = vec![
        ("add_0", T::addbroadcast(&x, &[0]).unwrap()),
        ("add_1", T::addbroadcast(&x, &[1]).unwrap()),
        ("unbroadcast_row", T::unbroadcast(&r, &[0]).unwrap()),
        ("pattern", T::patternbroadcast(&x, &[true, false]).unwrap()),
        (
            "pattern_useless",
            T::patternbroadcast(&x, &[false, false]).unwrap(),
        ),
        (
            "nested",
            T::addbroadcast(T::addbroadcast(&t, &[0]).unwrap(), &[2]).unwrap(),
        ),
        ("add_to_row", T::addbroadcast(&r, &[0]).unwrap()),
        (
            "add_unbroadcast",
            T::unbroadcast(T::addbroadcast(&x, &[0, 1]).unwrap(), &[1]).unwrap(),
        ),
        ("of_exp", T::addbroadcast(T::exp(&x), &[0]).unwrap()),
    ];
    for (name, v) in graphs {
        assert_eq!(
            theano::debugprint(std::slice::from_ref(&v)),
            corpus()["printing"][name].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            v.ty().to_string(),
            corpus()["types"][name].as_str().unwrap(),
            "{name}"
        );
    }
}

/// A `(1, n)` bias held as a matrix and broadcast over the rows: the outputs and gradients
/// are Theano's on every backend, and the bias' gradient prints as Theano's.
#[test]
fn a_bias_broadcast_over_rows_is_theanos() {
    let c = &corpus()["bias"];
    let (x, b) = (T::dmatrix("x"), T::dmatrix("b"));
    let out = &x * 2i8 + T::addbroadcast(&b, &[0]).unwrap();
    let cost = T::sum(T::pow(&out, 2i8));
    let g = grad(&cost, &[x.clone(), b.clone()]).unwrap();
    assert_eq!(
        theano::debugprint(&g[1..]),
        corpus()["printing"]["bias_grad"].as_str().unwrap()
    );
    let vals = [tensor_of_json(&c["x"]), tensor_of_json(&c["b"])];
    let all = vec![out, g[0].clone(), g[1].clone()];
    for (l, got) in common::run_every_linker(&[&x, &b], &all, &vals)
        .iter()
        .enumerate()
    {
        for k in 0..3 {
            close_to_json(
                &got[k],
                &c["outputs"][k],
                1e-15,
                &format!("{k} (linker {l})"),
            );
        }
    }
    // unbroadcast's gradient restores the input's flags
    let c = &corpus()["unbroadcast"];
    let (r, y) = (T::drow("r"), T::dmatrix("y"));
    let gr = grad(
        &T::sum(T::unbroadcast(&r, &[0]).unwrap() * &y),
        std::slice::from_ref(&r),
    )
    .unwrap();
    assert_eq!(
        theano::debugprint(&gr),
        corpus()["printing"]["unbroadcast_grad"].as_str().unwrap()
    );
    let vals = [tensor_of_json(&c["r"]), tensor_of_json(&c["y"])];
    for got in common::run_every_linker(&[&r, &y], &gr, &vals) {
        close_to_json(&got[0], &c["outputs"][0], 0.0, "unbroadcast's gradient");
    }
}

/// Theano's refusals: an axis the input lacks when the graph is built, and an axis that is
/// not of length 1 when the function runs (every backend, no output written).
#[test]
fn refusals_are_theanos() {
    let e = &corpus()["errors"];
    let x = T::dmatrix("x");
    let got = T::addbroadcast(&x, &[2]).unwrap_err().to_string();
    let want = e["axis_out_of_range"]["msg"].as_str().unwrap();
    assert!(got.contains(want), "{got}");
    let want = e["not_length_one"]["msg"].as_str().unwrap();
    let y = T::addbroadcast(&x, &[0]).unwrap();
    for linker in [theano::LinkerKind::Interp, theano::LinkerKind::Jit] {
        let f = theano::compile(&[&x], vec![T::exp(&y)])
            .mode(theano::Mode {
                linker,
                ..Default::default()
            })
            .build()
            .unwrap();
        let got = f
            .call(&[Tensor::zeros(DType::Float64, &[2, 3])])
            .unwrap_err()
            .to_string();
        assert!(got.contains(want), "{got}");
        let ok = f.call(&[Tensor::zeros(DType::Float64, &[1, 3])]).unwrap();
        assert_eq!(ok[0].shape(), &[1, 3]);
    }
    // Theano's `Rebroadcast((0, 1))` (an integer flag) cannot be written here: the flags are
    // bools by type
    assert_eq!(e["not_bool"]["type"], "TypeError");
}

/// Gradients by finite differences through `addbroadcast` and `unbroadcast`.
#[test]
fn gradients_by_finite_differences() {
    let mut rng = Rng::new(5);
    let opts = VerifyGradOptions {
        seed: 2,
        ..Default::default()
    };
    let b = rng.tensor(DType::Float64, &[1, 4], -1.0, 1.0);
    let x = rng.tensor(DType::Float64, &[3, 4], -1.0, 1.0);
    verify_grad(
        |i: &[Variable]| T::tanh(&i[1] * T::addbroadcast(&i[0], &[0]).unwrap()),
        &[b.clone(), x.clone()],
        eval,
        &opts,
    )
    .unwrap();
    verify_grad(
        |i: &[Variable]| {
            let row = T::addbroadcast(&i[0], &[0]).unwrap();
            T::exp(T::unbroadcast(&row, &[0]).unwrap())
        },
        &[b],
        eval,
        &opts,
    )
    .unwrap();
}

/// The text form writes Theano's pattern and reads it back; the shapes the optimizer infers
/// (1 on the set axes) are the computed ones.
#[test]
fn text_form_and_shapes() {
    let t = T::dtensor3("t");
    let v = T::addbroadcast(T::unbroadcast(T::exp(&t), &[1]).unwrap(), &[0, 2]).unwrap();
    let fg = theano::ir::fgraph::FunctionGraph::from_outputs(
        std::slice::from_ref(&t),
        std::slice::from_ref(&v),
    )
    .unwrap();
    let text = fg.to_text();
    assert!(text.contains("Rebroadcast{1,?,1}("), "{text}");
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    let bad = text.replacen("Rebroadcast{1,?,1}", "Rebroadcast{1,?,2}", 1);
    assert!(theano::ir::fgraph::FunctionGraph::parse(&bad).is_err());
    let f = theano::function(&[&t], vec![v.clone(), v.shape()]).unwrap();
    let val = Rng::new(1).tensor(DType::Float64, &[1, 3, 1], -1.0, 1.0);
    let out = f.call(&[val]).unwrap();
    assert_eq!(out[1].to_i64_vec(), vec![1, 3, 1]);
    assert_eq!(out[0].shape(), &[1, 3, 1]);
}
