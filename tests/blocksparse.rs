//! `theano.tensor.nnet.blocksparse` (`sparse_block_dot`: `SparseBlockGemv`, whose gradient
//! uses `SparseBlockOuter`) and `nnet.h_softmax` against the real Theano 1.0.5
//! (tests/blocksparse/blocksparse.json, written by tests/blocksparse/gen.py): values and
//! gradients on every backend, debugprints, refusals, verify_grad, the text form.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::nnet::{h_softmax, sparse_block_dot};
use theano::{DType, Tensor, Variable};
use theano_grad::{grad, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, recorded_inputs_named, tensor_of_json, usizes};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/blocksparse/blocksparse.json"))
}

fn build(name: &str, i: &[Variable]) -> Variable {
    match name {
        "sparse_block_dot" | "sparse_block_dot_2d" => {
            sparse_block_dot(&i[0], &i[1], &i[2], &i[3], &i[4]).unwrap()
        }
        "h_softmax_all" => h_softmax(
            &i[0], 3i64, 10i64, 4i64, 3i64, &i[1], &i[2], &i[3], &i[4], None,
        )
        .unwrap(),
        "h_softmax_target" => h_softmax(
            &i[0],
            3i64,
            10i64,
            4i64,
            3i64,
            &i[1],
            &i[2],
            &i[3],
            &i[4],
            Some(&i[5]),
        )
        .unwrap(),
        other => panic!("no builder for {other}"),
    }
}

/// Every recorded case: values and the gradients of `sum(out * W)` on every backend; the
/// graphs print as Theano's.
#[test]
fn values_gradients_and_printing_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let names: Vec<&str> = c["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        let (vars, vals) = recorded_inputs_named(c, &names);
        let out = build(name, &vars);
        assert_eq!(
            theano::debugprint(std::slice::from_ref(&out)),
            corpus()["printing"][name].as_str().unwrap(),
            "{name}"
        );
        let grad_of = usizes(&c["grad_of"]);
        let w = Variable::constant_bounded(tensor_of_json(&c["weights"]));
        let wrt: Vec<Variable> = grad_of.iter().map(|&k| vars[k].clone()).collect();
        let mut all = vec![out.clone()];
        all.extend(grad(&T::sum(&out * w), &wrt).unwrap());
        let refs: Vec<&Variable> = vars.iter().collect();
        for (l, got) in common::run_every_linker(&refs, &all, &vals)
            .iter()
            .enumerate()
        {
            close_to_json(&got[0], &c["outputs"][0], 1e-13, &format!("{name} ({l})"));
            for k in 0..grad_of.len() {
                close_to_json(
                    &got[1 + k],
                    &c["grads"][k],
                    1e-13,
                    &format!("{name} gradient {k} ({l})"),
                );
            }
        }
    }
}

/// Theano's refusals, and an index out of range when the function runs.
#[test]
fn refusals_are_theanos() {
    let e = &corpus()["errors"];
    let op = theano_nnet::blocksparse::op(theano_nnet::blocksparse::Block::Gemv);
    let apply = |ins: Vec<Variable>| T::apply_op(op.clone(), ins).unwrap_err().to_string();
    let got = apply(vec![
        T::dmatrix("o"),
        T::dtensor4("w"),
        T::dtensor3("h"),
        T::lmatrix("i"),
        T::lmatrix("j"),
    ]);
    assert!(
        got.contains("The output o must be a 3D float tensor"),
        "{got}"
    );
    assert!(e["gemv_o_2d"]["msg"]
        .as_str()
        .unwrap()
        .contains("The output o must be"));
    let got = apply(vec![
        T::dtensor3("o"),
        T::dtensor3("w"),
        T::dtensor3("h"),
        T::lmatrix("i"),
        T::lmatrix("j"),
    ]);
    assert!(
        got.contains(
            e["gemv_w_3d"]["msg"]
                .as_str()
                .unwrap()
                .trim_end_matches(" tensor")
                .trim_end_matches("4D")
        ),
        "{got}"
    );
    let (w, h, b) = (T::dtensor4("w"), T::dmatrix("h"), T::dmatrix("b"));
    let (i, o) = (T::lvector("i"), T::lvector("o"));
    let out = sparse_block_dot(&w, &h, &i, &b, &o).unwrap();
    let f = theano::function(&[&w, &h, &i, &b, &o], vec![out]).unwrap();
    let mut rng = Rng::new(1);
    let got = f
        .call(&[
            rng.tensor(DType::Float64, &[2, 3, 4, 5], -1.0, 1.0),
            rng.tensor(DType::Float64, &[2, 4], -1.0, 1.0),
            Tensor::from([0i64, 2]),
            rng.tensor(DType::Float64, &[3, 5], -1.0, 1.0),
            Tensor::from([1i64]),
        ])
        .unwrap_err()
        .to_string();
    assert!(got.contains("out of bounds"), "{got}");
}

/// Gradients by finite differences.
#[test]
fn gradients_by_finite_differences() {
    let mut rng = Rng::new(29);
    let opts = VerifyGradOptions {
        seed: 6,
        ..Default::default()
    };
    let w = rng.tensor(DType::Float64, &[3, 4, 5, 2], -1.0, 1.0);
    let h = rng.tensor(DType::Float64, &[2, 2, 5], -1.0, 1.0);
    let b = rng.tensor(DType::Float64, &[4, 2], -1.0, 1.0);
    let ii = Variable::constant_bounded(Tensor::from([[0i64, 2], [1, 1]]));
    let oi = Variable::constant_bounded(Tensor::from([[3i64, 0, 1], [2, 2, 0]]));
    verify_grad(
        move |i: &[Variable]| sparse_block_dot(&i[0], &i[1], &ii, &i[2], &oi).unwrap(),
        &[w, h, b],
        eval,
        &opts,
    )
    .unwrap();
    let x = rng.tensor(DType::Float64, &[3, 6], -1.0, 1.0);
    let w1 = rng.tensor(DType::Float64, &[6, 4], -1.0, 1.0);
    let b1 = rng.tensor(DType::Float64, &[4], -1.0, 1.0);
    let w2 = rng.tensor(DType::Float64, &[4, 6, 3], -1.0, 1.0);
    let b2 = rng.tensor(DType::Float64, &[4, 3], -1.0, 1.0);
    let t = Variable::constant_bounded(Tensor::from([7i64, 0, 9]));
    verify_grad(
        move |i: &[Variable]| {
            h_softmax(
                &i[0],
                3i64,
                10i64,
                4i64,
                3i64,
                &i[1],
                &i[2],
                &i[3],
                &i[4],
                Some(&t),
            )
            .unwrap()
        },
        &[x, w1, b1, w2, b2],
        eval,
        &opts,
    )
    .unwrap();
}

/// The text form writes both ops and reads them back.
#[test]
fn the_text_form_round_trips() {
    let (w, h, b) = (T::dtensor4("w"), T::dtensor3("h"), T::dmatrix("b"));
    let (i, o) = (T::lmatrix("i"), T::lmatrix("o"));
    let out = sparse_block_dot(&w, &h, &i, &b, &o).unwrap();
    let g = grad(&T::sum(&out), std::slice::from_ref(&w)).unwrap();
    let fg =
        theano::ir::fgraph::FunctionGraph::from_outputs(&[w, h, i, b, o], &[out, g[0].clone()])
            .unwrap();
    let text = fg.to_text();
    assert!(text.contains("SparseBlockGemv{inplace=False}("), "{text}");
    assert!(text.contains("SparseBlockOuter{inplace=False}("), "{text}");
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    let bad = text.replacen(
        "SparseBlockGemv{inplace=False}",
        "SparseBlockGemv{inplace=True}",
        1,
    );
    assert!(theano::ir::fgraph::FunctionGraph::parse(&bad).is_err());
}
