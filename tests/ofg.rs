//! `theano.OpFromGraph` against the real Theano 1.0.5 (tests/ofg/ofg.json, written by
//! tests/ofg/gen.py): values, gradients (the graph's, and a `grad_overrides` callable's) and
//! the R-operator on every backend, debugprints, a shared variable inside, `inline` and its
//! expansion, refusals, verify_grad, the text form.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::{DType, OpFromGraph, Tensor, Variable};
use theano_grad::{grad, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, tensor_of_json};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/ofg/ofg.json"))
}

fn inputs() -> (Variable, Variable, Variable, Vec<Tensor>) {
    let (x, y, z) = (T::dmatrix("x"), T::dmatrix("y"), T::dmatrix("z"));
    let i = &corpus()["inputs"];
    let vals = vec![
        tensor_of_json(&i["x"]),
        tensor_of_json(&i["y"]),
        tensor_of_json(&i["z"]),
    ];
    (x, y, z, vals)
}

/// The docs' `x + y * z`, applied twice: values, gradients, printing.
#[test]
fn the_docs_example_is_theanos() {
    let (x, y, z, vals) = inputs();
    let (a, b, c) = (T::dmatrix("x"), T::dmatrix("y"), T::dmatrix("z"));
    let op = OpFromGraph::new(&[a.clone(), b.clone(), c.clone()], &[&a + &b * &c])
        .build()
        .unwrap();
    let e2 = &op.apply(&[x.clone(), y.clone(), z.clone()]).unwrap()[0]
        + &op.apply(&[z.clone(), y.clone(), x.clone()]).unwrap()[0];
    let p = &corpus()["printing"];
    assert_eq!(
        theano::debugprint(std::slice::from_ref(&e2)),
        p["docs"].as_str().unwrap()
    );
    let gs = grad(&T::sum(&e2 * &e2), &[x.clone(), y.clone(), z.clone()]).unwrap();
    assert_eq!(
        theano::debugprint(&gs[..1]),
        p["docs_grad_x"].as_str().unwrap()
    );
    let out = &corpus()["out"];
    let mut all = vec![e2];
    all.extend(gs);
    for (l, got) in common::run_every_linker(&[&x, &y, &z], &all, &vals)
        .iter()
        .enumerate()
    {
        close_to_json(&got[0], &out["docs"], 1e-15, &format!("docs (linker {l})"));
        for k in 0..3 {
            close_to_json(
                &got[1 + k],
                &out["docs_grads"][k],
                1e-14,
                &format!("gradient {k} (linker {l})"),
            );
        }
    }
}

/// Two outputs, a shared variable read inside (an input of the node, as Theano's), a name,
/// `inline`: values and gradients on every backend, printing, and the optimizer's expansion.
#[test]
fn shared_variables_inline_and_names_are_theanos() {
    let (x, y, _, vals) = inputs();
    let s = theano::shared_named(vec![1.5, -2.0, 0.5], "s");
    let (a, b) = (T::dmatrix("a"), T::dmatrix("b"));
    let op = OpFromGraph::new(
        &[a.clone(), b.clone()],
        &[T::tanh(&a) * &s, T::dot(&a, b.t()).unwrap()],
    )
    .inline(true)
    .name("two")
    .build()
    .unwrap();
    let o = op.apply(&[x.clone(), y.clone()]).unwrap();
    assert_eq!(
        theano::debugprint(&o),
        corpus()["printing"]["two"].as_str().unwrap()
    );
    let c = T::sum(&o[0]) + T::sum(T::pow(&o[1], 2i8));
    let gs = grad(&c, &[x.clone(), y.clone()]).unwrap();
    let out = &corpus()["out"];
    let mut all = o.clone();
    all.extend(gs);
    let vals = &vals[..2];
    for (l, got) in common::run_every_linker(&[&x, &y], &all, vals)
        .iter()
        .enumerate()
    {
        for k in 0..2 {
            close_to_json(&got[k], &out["two"][k], 1e-15, &format!("out {k} ({l})"));
            close_to_json(
                &got[2 + k],
                &out["two_grads"][k],
                1e-14,
                &format!("grad {k} ({l})"),
            );
        }
    }
    // the optimized function has no OpFromGraph node left: its graph is written out
    let f = theano::function(&[&x, &y], o.clone()).unwrap();
    let text = f.fgraph().to_text();
    assert!(!text.contains("two{"), "{text}");
    let got = f.call(vals).unwrap();
    close_to_json(&got[0], &out["two_opt"][0], 1e-15, "inlined");
    // not inline: the node stays
    let op2 = OpFromGraph::new(std::slice::from_ref(&a), &[T::exp(&a)])
        .build()
        .unwrap();
    let f = theano::function(&[&x], op2.apply(std::slice::from_ref(&x)).unwrap()).unwrap();
    assert!(f.fgraph().to_text().contains("OpFromGraph{inline=False|"));
}

/// `grad_overrides` and the R-operator.
#[test]
fn gradient_overrides_and_r_operator_are_theanos() {
    let (x, y, z, vals) = inputs();
    let out = &corpus()["out"];
    let u = T::dmatrix("u");
    let op = OpFromGraph::new(std::slice::from_ref(&u), &[T::exp(&u)])
        .grad_overrides(|_, g| Ok(vec![Some(&g[0] * 2.0)]))
        .build()
        .unwrap();
    let yc = Variable::constant_bounded(vals[1].clone());
    let g = grad(
        &T::sum(&op.apply(std::slice::from_ref(&x)).unwrap()[0] * yc),
        std::slice::from_ref(&x),
    )
    .unwrap();
    for got in common::run_every_linker(&[&x], &g, &vals[..1]) {
        close_to_json(&got[0], &out["override_grad"], 1e-15, "override");
    }
    let (a, b, c) = (T::dmatrix("x"), T::dmatrix("y"), T::dmatrix("z"));
    let op = OpFromGraph::new(&[a.clone(), b.clone(), c.clone()], &[&a + &b * &c])
        .build()
        .unwrap();
    let v = T::dmatrix("v");
    let r = theano_grad::rop(
        &op.apply(&[x.clone(), y.clone(), z.clone()]).unwrap(),
        std::slice::from_ref(&x),
        std::slice::from_ref(&v),
    )
    .unwrap();
    let mut args = vals.clone();
    args.push(vals[1].clone());
    for got in common::run_every_linker(&[&x, &y, &z, &v], &r, &args) {
        close_to_json(&got[0], &out["rop"], 1e-15, "rop");
    }
}

/// Theano's refusals.
#[test]
fn refusals_are_theanos() {
    let e = &corpus()["errors"];
    let (a, b, c) = (T::dmatrix("x"), T::dmatrix("y"), T::dmatrix("z"));
    let op = OpFromGraph::new(&[a.clone(), b.clone(), c.clone()], &[&a + &b * &c])
        .build()
        .unwrap();
    let got = op.apply(&[a.clone(), b.clone()]).unwrap_err().to_string();
    assert!(
        got.contains(e["wrong_count"]["msg"].as_str().unwrap()),
        "{got}"
    );
    let got = op
        .apply(&[T::dvector("v"), b.clone(), c.clone()])
        .unwrap_err()
        .to_string();
    assert!(
        got.contains(
            "Cannot convert Type TensorType(float64, vector) into Type TensorType(float64, matrix)"
        ),
        "{got}"
    );
    // computed or repeated inputs are refused when the op is built
    assert!(OpFromGraph::new(&[T::exp(&a)], &[&a + 1.0])
        .build()
        .is_err());
    assert!(OpFromGraph::new(&[a.clone(), a.clone()], &[&a + 1.0])
        .build()
        .is_err());
}

/// Gradients and second derivatives by finite differences.
#[test]
fn gradients_by_finite_differences() {
    let mut rng = Rng::new(19);
    let opts = VerifyGradOptions {
        seed: 8,
        ..Default::default()
    };
    let (a, b) = (T::dmatrix("a"), T::dmatrix("b"));
    let op = OpFromGraph::new(&[a.clone(), b.clone()], &[T::tanh(&a) * T::exp(&b)])
        .build()
        .unwrap();
    let x = rng.tensor(DType::Float64, &[2, 3], -1.0, 1.0);
    let y = rng.tensor(DType::Float64, &[2, 3], -1.0, 1.0);
    let op1 = op.clone();
    verify_grad(
        move |i: &[Variable]| op1.apply(i).unwrap().remove(0),
        &[x.clone(), y.clone()],
        eval,
        &opts,
    )
    .unwrap();
    verify_grad(
        move |i: &[Variable]| {
            let o = op.apply(i).unwrap().remove(0);
            grad(&T::sum(T::sqr(&o)), &i[..1]).unwrap().remove(0)
        },
        &[x, y],
        eval,
        &opts,
    )
    .unwrap();
}

/// The text form writes the graph and reads it back; the parsed op runs.
#[test]
fn the_text_form_round_trips() {
    let (a, b) = (T::dmatrix("a"), T::dmatrix("b"));
    let s = theano::shared_named(ndarray::arr2(&[[2.0]]), "s");
    let op = OpFromGraph::new(std::slice::from_ref(&a), &[T::exp(&a) * &s])
        .build()
        .unwrap();
    let named = OpFromGraph::new(std::slice::from_ref(&a), &[T::tanh(&a)])
        .name("tn")
        .inline(true)
        .build()
        .unwrap();
    let o = vec![
        op.apply(std::slice::from_ref(&b)).unwrap().remove(0),
        named.apply(std::slice::from_ref(&b)).unwrap().remove(0),
    ];
    let fg = theano::ir::fgraph::FunctionGraph::from_outputs(std::slice::from_ref(&b), &o).unwrap();
    let text = fg.to_text();
    // the shared variable is the node's second input; inside, a placeholder
    assert!(
        text.contains("OpFromGraph{inline=False|shared=1|body="),
        "{text}"
    );
    assert!(text.contains("tn{inline=True|shared=0|body="), "{text}");
    // (a text naming a shared variable parses with a resolver: without one, only the other)
    let fg =
        theano::ir::fgraph::FunctionGraph::from_outputs(std::slice::from_ref(&b), &o[1..]).unwrap();
    let text = fg.to_text();
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    let f = theano::function(&[&b], o).unwrap();
    let got = f.call(&[Tensor::from([[0.5]])]).unwrap();
    assert!((got[0].to_f64_vec()[0] - 2.0 * 0.5f64.exp()).abs() < 1e-15);
    assert!((got[1].to_f64_vec()[0] - 0.5f64.tanh()).abs() < 1e-15);
}
