//! `theano.tensor.nnet.bn` (batch normalization) against the real Theano 1.0.5
//! (tests/bn/bn.json, written by tests/bn/gen.py): the outputs and gradients of
//! `batch_normalization_train`, `batch_normalization_test` and `batch_normalization` on the
//! interpreter, the JIT and the emulated GPU; debugprints; refusals; gradients and second
//! derivatives by finite differences; the text form; shapes.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::nnet::bn::{self, Axes};
use theano::{DType, Tensor, Variable};
use theano_grad::{grad, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, recorded_inputs_named, tensor_of_json, usizes};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/bn/bn.json"))
}

fn axes_of(j: &Json) -> Vec<usize> {
    match j {
        Json::Array(_) => usizes(j),
        _ => vec![],
    }
}

fn axes_arg<'a>(j: &Json, given: &'a [usize]) -> Axes<'a> {
    match j.as_str() {
        Some("per-activation") => Axes::PerActivation,
        Some("spatial") => Axes::Spatial,
        _ => Axes::Given(given),
    }
}

/// Every recorded case: the outputs and the gradients of `sum(out * W)` are Theano's on
/// every backend, and the graphs print as Theano's (full-rank parameters through Theano's
/// `Rebroadcast`).
#[test]
fn values_gradients_and_printing_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let kind = c["kind"].as_str().unwrap();
        let given = axes_of(&c["axes"]);
        let axes = axes_arg(&c["axes"], &given);
        let eps = c["eps"].as_f64().unwrap_or(1e-4);
        let (vars, vals, outs) = match kind {
            "train" => {
                let running = c["inputs"].as_array().unwrap().len() == 5;
                let names: &[&str] = if running {
                    &["x", "gamma", "beta", "rm", "rv"]
                } else {
                    &["x", "gamma", "beta"]
                };
                let (vars, vals) = recorded_inputs_named(c, names);
                let r = running.then(|| (&vars[3], &vars[4]));
                let factor = c["factor"].as_f64().unwrap();
                let outs = bn::batch_normalization_train(
                    &vars[0], &vars[1], &vars[2], axes, eps, factor, r,
                )
                .unwrap();
                (vars, vals, outs)
            }
            "test" => {
                let (vars, vals) = recorded_inputs_named(c, &["x", "gamma", "beta", "mean", "var"]);
                let out = bn::batch_normalization_test(
                    &vars[0], &vars[1], &vars[2], &vars[3], &vars[4], axes, eps,
                )
                .unwrap();
                (vars, vals, vec![out])
            }
            _ => {
                let (vars, vals) = recorded_inputs_named(c, &["x", "gamma", "beta", "mean", "std"]);
                let out = bn::batch_normalization(
                    &vars[0],
                    &vars[1],
                    &vars[2],
                    &vars[3],
                    &vars[4],
                    c["mode"].as_str().unwrap(),
                )
                .unwrap();
                (vars, vals, vec![out])
            }
        };
        assert_eq!(
            theano::debugprint(&outs),
            corpus()["printing"][name].as_str().unwrap(),
            "{name}"
        );
        let w = Variable::constant_bounded(tensor_of_json(&c["weights"]));
        let n_grads = c["grads"].as_array().unwrap().len();
        let gs = grad(&T::sum(&outs[0] * w), &vars[..n_grads]).unwrap();
        let mut all = outs.clone();
        all.extend(gs);
        let rtol = if c["dtype"] == "float32" { 2e-5 } else { 1e-12 };
        let refs: Vec<&Variable> = vars.iter().collect();
        for (l, got) in common::run_every_linker(&refs, &all, &vals)
            .iter()
            .enumerate()
        {
            for (k, want) in c["outputs"].as_array().unwrap().iter().enumerate() {
                close_to_json(
                    &got[k],
                    want,
                    rtol,
                    &format!("{name} output {k} (linker {l})"),
                );
            }
            for k in 0..n_grads {
                close_to_json(
                    &got[outs.len() + k],
                    &c["grads"][k],
                    rtol,
                    &format!("{name} gradient {k} (linker {l})"),
                );
            }
        }
    }
}

/// Theano's refusals, with its messages.
#[test]
fn refusals_are_theanos() {
    let e = &corpus()["errors"];
    let check = |got: String, key: &str| {
        let want = e[key]["msg"].as_str().unwrap();
        assert!(got.contains(want), "{key}: {got} (Theano: {want})");
    };
    let (x4, v, m) = (T::dtensor4("x"), T::dvector("v"), T::dmatrix("m"));
    let train = |g: &Variable, axes: Axes<'_>, eps: f64, r: Option<(&Variable, &Variable)>| {
        bn::batch_normalization_train(&x4, g, &v, axes, eps, 0.1, r)
            .expect_err("refused")
            .to_string()
    };
    check(train(&v, Axes::Given(&[]), 1e-4, None), "empty_axes");
    check(
        train(&v, Axes::Given(&[0, 4]), 1e-4, None),
        "axes_out_of_range",
    );
    check(train(&m, Axes::Spatial, 1e-4, None), "param_ndim");
    check(
        train(&v, Axes::Spatial, 1e-4, Some((&m, &m))),
        "running_ndim",
    );
    check(train(&v, Axes::Spatial, 1e-6, None), "small_epsilon");
    let got = bn::batch_normalization_test(&x4, &v, &v, &m, &v, Axes::Spatial, 1e-4)
        .expect_err("refused")
        .to_string();
    check(got, "test_mean_ndim");
    let got = bn::batch_normalization(&m, &v, &v, &v, &v, "mid_mem")
        .expect_err("refused")
        .to_string();
    check(got, "plain_mode");
    // Theano's 'running_one' and 'bad_axes' are unrepresentable here: the running averages
    // come as a pair, the axes as an enum
    assert!(e["running_one"].is_object() && e["bad_axes"].is_object());
}

/// Gradients and second derivatives by finite differences, per-activation and spatial,
/// through the training and the inference forms (the second derivatives go through
/// `AbstractBatchNormTrainGrad`'s own gradient, which Theano 1.0.5 cannot take).
#[test]
fn gradients_by_finite_differences() {
    let mut rng = Rng::new(12);
    let opts = VerifyGradOptions {
        seed: 4,
        ..Default::default()
    };
    let x2 = rng.tensor(DType::Float64, &[5, 3], -1.0, 1.0);
    let x4 = rng.tensor(DType::Float64, &[3, 2, 3, 2], -1.0, 1.0);
    let p3 = rng.tensor(DType::Float64, &[3], 0.5, 1.5);
    let p2 = rng.tensor(DType::Float64, &[2], 0.5, 1.5);
    let pos2 = rng.tensor(DType::Float64, &[2], 0.5, 1.5);
    type F = Box<dyn Fn(&[Variable]) -> Variable>;
    let w4 = Variable::constant_bounded(rng.tensor(DType::Float64, &[3, 2, 3, 2], -1.0, 1.0));
    let w4b = w4.clone();
    let cases: Vec<(&str, F, Vec<Tensor>)> = vec![
        (
            "train per-activation",
            Box::new(|i| {
                bn::batch_normalization_train(
                    &i[0],
                    &i[1],
                    &i[2],
                    Axes::PerActivation,
                    1e-4,
                    0.1,
                    None,
                )
                .unwrap()
                .remove(0)
            }),
            vec![x2.clone(), p3.clone(), p3.clone()],
        ),
        (
            "train spatial",
            Box::new(|i| {
                bn::batch_normalization_train(&i[0], &i[1], &i[2], Axes::Spatial, 1e-3, 0.1, None)
                    .unwrap()
                    .remove(0)
            }),
            vec![x4.clone(), p2.clone(), p2.clone()],
        ),
        (
            "test spatial",
            Box::new(|i| {
                bn::batch_normalization_test(&i[0], &i[1], &i[2], &i[3], &i[4], Axes::Spatial, 1e-3)
                    .unwrap()
            }),
            vec![x4.clone(), p2.clone(), p2.clone(), p2.clone(), pos2.clone()],
        ),
        (
            "d2 train spatial",
            Box::new(move |i| {
                let out = bn::batch_normalization_train(
                    &i[0],
                    &i[1],
                    &i[2],
                    Axes::Spatial,
                    1e-3,
                    0.1,
                    None,
                )
                .unwrap()
                .remove(0);
                let g = grad(&T::sum(T::sqr(&out) * &w4), &i[..3]).unwrap();
                T::sum(&g[0] * &w4b) + T::sum(T::sqr(&g[1])) + T::sum(&g[2] * &g[2] * &g[2])
            }),
            vec![x4.clone(), p2.clone(), p2.clone()],
        ),
        (
            "low_mem",
            Box::new(|i| {
                bn::batch_normalization(&i[0], &i[1], &i[2], &i[3], &i[4], "low_mem").unwrap()
            }),
            vec![x2.clone(), p3.clone(), p3.clone(), p3.clone(), p3.clone()],
        ),
    ];
    for (name, f, points) in cases {
        verify_grad(f, &points, eval, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The text form writes the ops (with `running=True` for the training op with running
/// averages, which debugprint does not show) and reads them back.
#[test]
fn the_text_form_round_trips() {
    let (x, g, b) = (T::dtensor4("x"), T::dvector("g"), T::dvector("b"));
    let (rm, rv) = (T::dvector("rm"), T::dvector("rv"));
    let mut outs =
        bn::batch_normalization_train(&x, &g, &b, Axes::Spatial, 1e-4, 0.1, Some((&rm, &rv)))
            .unwrap();
    outs.extend(grad(&T::sum(&outs[0] * &outs[0]), &[x.clone(), g.clone()]).unwrap());
    outs.push(
        bn::batch_normalization_test(&x, &g, &b, &rm, &rv, Axes::Given(&[0, 1, 3]), 1e-4).unwrap(),
    );
    let ins = [x, g, b, rm, rv];
    let fg = theano::ir::fgraph::FunctionGraph::from_outputs(&ins, &outs).unwrap();
    let text = fg.to_text();
    for op in [
        "AbstractBatchNormTrain{axes=(0, 2, 3), running=True}",
        "AbstractBatchNormTrainGrad{axes=(0, 2, 3)}",
        "AbstractBatchNormInference{axes=(0, 1, 3)}",
    ] {
        assert!(text.contains(op), "{op}:\n{text}");
    }
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    for bad in [
        "axes=()",
        "axes=(0, 2, 3), running=Maybe",
        "axes=(0, 2, 3), momentum=1",
    ] {
        let t = text.replacen("axes=(0, 2, 3), running=True", bad, 1);
        assert!(
            theano::ir::fgraph::FunctionGraph::parse(&t).is_err(),
            "{bad} parsed"
        );
    }
}

/// Theano's CPU rewrites of the abstract ops (`local_abstract_batch_norm_train`,
/// `_train_grad`, `_inference`): a compiled training step and its gradient hold no
/// abstract batch-norm node, only elementwise and reduction nodes the JIT compiles, and
/// compute what the ops' own `perform`s compute (the rewrites excluded).
#[test]
fn the_cpu_rewrites_write_the_ops_out() {
    let x = T::dtensor4("x");
    let (g, b) = (T::dvector("g"), T::dvector("b"));
    let (rm, rv) = (T::dvector("rm"), T::dvector("rv"));
    let outs =
        bn::batch_normalization_train(&x, &g, &b, Axes::Spatial, 1e-4, 0.1, Some((&rm, &rv)))
            .unwrap();
    let test_out = bn::batch_normalization_test(&x, &g, &b, &rm, &rv, Axes::Spatial, 1e-3).unwrap();
    let cost = T::sum(T::sqr(&outs[0]));
    let gs = grad(&cost, &[x.clone(), g.clone(), b.clone()]).unwrap();
    let mut all = outs.clone();
    all.push(test_out);
    all.extend(gs);
    let ins = [&x, &g, &b, &rm, &rv];
    let mut rng = Rng::new(3);
    let vals = vec![
        rng.tensor(DType::Float64, &[4, 3, 2, 5], -1.0, 1.0),
        rng.tensor(DType::Float64, &[3], 0.5, 1.5),
        rng.tensor(DType::Float64, &[3], -0.5, 0.5),
        rng.tensor(DType::Float64, &[3], -0.5, 0.5),
        rng.tensor(DType::Float64, &[3], 0.5, 1.5),
    ];
    let f = theano::function(&ins, all.clone()).unwrap();
    let text = f.fgraph().to_text();
    assert!(!text.contains("AbstractBatchNorm"), "{text}");
    let got = f.call(&vals).unwrap();
    let excluded = theano::Mode::parse_flags(
        "optimizer_excluding=local_abstract_batch_norm_train:local_abstract_batch_norm_inference",
    )
    .unwrap();
    let r = theano::compile(&ins, all).mode(excluded).build().unwrap();
    assert!(r.fgraph().to_text().contains("AbstractBatchNormTrain"));
    let want = r.call(&vals).unwrap();
    for (k, (a, w)) in got.iter().zip(&want).enumerate() {
        assert!(a.allclose(w, 1e-12, 1e-12), "output {k}: {a:?} vs {w:?}");
    }
}
