//! The smaller builders of Theano 1.0.5's surface against the real Theano
//! (tests/surface/surface.json, written by tests/surface/gen.py): `swapaxes`, `ptp`,
//! `isclose`, `allclose`, `horizontal_stack`, `vertical_stack`, `shape_pad*`, `smallest`,
//! `largest`, `divmod`, `round`, `cov`, `nnet.selu`, `nnet.confusion_matrix`,
//! `max_pool_2d_same_size`, `conv2d_transpose`, `separable_conv2d`, `causal_conv1d`,
//! `bilinear_upsampling` and its kernels: graphs (debugprints), values and gradients on
//! every backend, refusals, verify_grad.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::nnet::{self, Border, Conv2dArgs};
use theano::tensor::signal::pool::max_pool_2d_same_size;
use theano::{DType, Tensor, Variable};
use theano_grad::{grad, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, recorded_inputs_named, tensor_of_json, usizes};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/surface/surface.json"))
}

fn build(name: &str, i: &[Variable]) -> Vec<Variable> {
    let one = |v: theano::ir::Result<Variable>| vec![v.unwrap()];
    let conv = |border: Border, subsample: [usize; 2]| Conv2dArgs {
        border_mode: border,
        subsample,
        ..Default::default()
    };
    match name {
        "swapaxes" => one(T::swapaxes(&i[0], 0, 2)),
        "swapaxes_neg" => one(T::swapaxes(&i[0], -1, 0)),
        "ptp_all" => one(T::ptp(&i[0], None)),
        "ptp_axis" => one(T::ptp(&i[0], Some(&[1]))),
        "isclose" => one(T::isclose(&i[0], &i[1], 1e-5, 1e-8, false)),
        "isclose_equal_nan" => one(T::isclose(&i[0], &i[1], 1e-3, 1e-3, true)),
        "allclose" | "allclose_false" => one(T::allclose(&i[0], &i[1], 1e-5, 1e-8, false)),
        "horizontal_stack" => one(T::horizontal_stack(i)),
        "vertical_stack" => one(T::vertical_stack(i)),
        "shape_padleft" => one(T::shape_padleft(&i[0], 2)),
        "shape_padright" => one(T::shape_padright(&i[0], 1)),
        "shape_padaxis" => one(T::shape_padaxis(&i[0], 1)),
        "shape_padaxis_neg" => one(T::shape_padaxis(&i[0], -1)),
        "smallest_2" | "smallest_3" => one(T::smallest(i)),
        "largest_2" | "largest_3" => one(T::largest(i)),
        "divmod_int" | "divmod_float" => {
            let (q, r) = T::divmod(&i[0], &i[1]);
            vec![q, r]
        }
        "round_even" => one(T::round_mode(&i[0], "half_to_even")),
        "round_away" => one(T::round_mode(&i[0], "half_away_from_zero")),
        "cov" => one(T::cov(&i[0], None, true, false, None)),
        "cov_y_cols_bias" => one(T::cov(&i[0], Some(&i[1]), false, true, None)),
        "cov_ddof" => one(T::cov(&i[0], None, true, false, Some(2))),
        "selu" => vec![nnet::selu(&i[0])],
        "confusion_matrix" => {
            let (c, o) = nnet::confusion_matrix(&i[0], &i[1]).unwrap();
            vec![c, o]
        }
        "max_pool_2d_same_size" => one(max_pool_2d_same_size(&i[0], [2, 2])),
        "max_pool_2d_same_size_3" => one(max_pool_2d_same_size(&i[0], [3, 2])),
        "conv2d_transpose" => one(nnet::conv2d_transpose(
            &i[0],
            &i[1],
            [2i64, 2, 6, 6],
            &Conv2dArgs::default(),
        )),
        "conv2d_transpose_dilated" => one(nnet::conv2d_transpose(
            &i[0],
            &i[1],
            [1i64, 1, 7, 7],
            &conv(Border::Half, [2, 2]),
        )),
        "separable_conv2d" => one(nnet::separable_conv2d(
            &i[0],
            &i[1],
            &i[2],
            2,
            None,
            &Conv2dArgs::default(),
        )),
        "separable_conv2d_shapes" => one(nnet::separable_conv2d(
            &i[0],
            &i[1],
            &i[2],
            3,
            Some([Some(2), Some(3), Some(1), Some(1)]),
            &Conv2dArgs {
                input_shape: Some([Some(1), Some(3), Some(6), Some(6)]),
                filter_shape: Some([Some(3), Some(1), Some(2), Some(2)]),
                ..conv(Border::Half, [2, 2])
            },
        )),
        "causal_conv1d" => one(nnet::causal_conv1d(
            &i[0],
            &i[1],
            [4, 3, 3],
            None,
            1,
            true,
            1,
            1,
        )),
        "causal_conv1d_dilated" => one(nnet::causal_conv1d(
            &i[0],
            &i[1],
            [2, 2, 2],
            Some([Some(1), Some(2), Some(9)]),
            1,
            true,
            3,
            1,
        )),
        "bilinear_upsampling_1d" => one(nnet::bilinear_upsampling(&i[0], 2, None, None, true)),
        "frac_bilinear_upsampling" => one(nnet::frac_bilinear_upsampling(&i[0], [(3, 2), (3, 2)])),
        "frac_bilinear_upsampling_pairs" => {
            one(nnet::frac_bilinear_upsampling(&i[0], [(4, 2), (5, 3)]))
        }
        "bilinear_upsampling_2d" => {
            one(nnet::bilinear_upsampling(&i[0], 3, Some(1), Some(2), false))
        }
        other => panic!("no builder for {other}"),
    }
}

/// Every recorded case: the graph prints as Theano's, and the outputs and gradients of
/// `sum(out * W)` are Theano's on every backend.
#[test]
fn graphs_values_and_gradients_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 39);
    let mut failures = Vec::new();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let names: Vec<&str> = c["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        let (vars, vals) = recorded_inputs_named(c, &names);
        let outs = build(name, &vars);
        let printed = theano::debugprint(&outs);
        if printed != corpus()["printing"][name].as_str().unwrap() {
            failures.push(format!(
                "{name}:\n{printed}\nTheano:\n{}",
                corpus()["printing"][name].as_str().unwrap()
            ));
        }
        let mut all = outs.clone();
        let grad_of = c.get("grad_of").map(usizes).unwrap_or_default();
        if !grad_of.is_empty() {
            let w = Variable::constant_bounded(tensor_of_json(&c["weights"]));
            let wrt: Vec<Variable> = grad_of.iter().map(|&k| vars[k].clone()).collect();
            all.extend(grad(&T::sum(&outs[0] * w), &wrt).unwrap());
        }
        let refs: Vec<&Variable> = vars.iter().collect();
        for (l, got) in common::run_every_linker(&refs, &all, &vals)
            .iter()
            .enumerate()
        {
            for (k, want) in c["outputs"].as_array().unwrap().iter().enumerate() {
                close_to_json(
                    &got[k],
                    want,
                    1e-12,
                    &format!("{name} output {k} (linker {l})"),
                );
            }
            for k in 0..grad_of.len() {
                close_to_json(
                    &got[outs.len() + k],
                    &c["grads"][k],
                    1e-12,
                    &format!("{name} gradient {k} (linker {l})"),
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The bilinear kernels' values, and the 1-D kernel's graph.
#[test]
fn bilinear_kernels_are_theanos() {
    let k = &corpus()["kernels"];
    let run = |v: Variable| {
        let f = theano::function(&[], vec![v]).unwrap();
        f.call(&[]).unwrap().remove(0)
    };
    close_to_json(
        &run(nnet::bilinear_kernel_1d(2, true).unwrap()),
        &k["1d_2"],
        0.0,
        "1d 2",
    );
    close_to_json(
        &run(nnet::bilinear_kernel_1d(3, false).unwrap()),
        &k["1d_3_raw"],
        0.0,
        "1d 3",
    );
    close_to_json(
        &run(nnet::bilinear_kernel_2d([2, 2], true).unwrap()),
        &k["2d_2"],
        0.0,
        "2d 2",
    );
    close_to_json(
        &run(nnet::bilinear_kernel_2d([3, 3], false).unwrap()),
        &k["2d_3_raw"],
        0.0,
        "2d 3",
    );
    assert_eq!(
        theano::debugprint(&[nnet::bilinear_kernel_1d(2, true).unwrap()]),
        corpus()["printing"]["bilinear_kernel_1D"].as_str().unwrap()
    );
}

/// Theano's refusals, with its messages where it has one.
#[test]
fn refusals_are_theanos() {
    let e = &corpus()["errors"];
    let msg = |k: &str| e[k]["msg"].as_str().unwrap().to_string();
    let (m, v) = (T::dmatrix("m"), T::dvector("v"));
    let err = |r: theano::ir::Result<Variable>| r.expect_err("refused").to_string();
    let got = err(T::shape_padaxis(&m, 3));
    assert!(got.contains(&msg("shape_padaxis_out")), "{got}");
    // Theano's are bare assertions; ours say what is wrong
    let got = err(T::horizontal_stack(&[m.clone(), v.clone()]));
    assert!(got.contains("joins matrices"), "{got}");
    let got = err(T::horizontal_stack(std::slice::from_ref(&m)));
    assert!(got.contains("at least two"), "{got}");
    assert!(err(T::round_mode(&m, "up")).contains(&msg("round_mode")));
    let got = nnet::confusion_matrix(&m, &v).unwrap_err().to_string();
    assert!(got.contains(&msg("confusion_matrix_2d")), "{got}");
    let got = err(nnet::causal_conv1d(
        T::dtensor4("x"),
        T::dtensor3("w"),
        [1, 1, 1],
        None,
        1,
        true,
        1,
        1,
    ));
    assert!(got.contains(&msg("causal_conv1d_4d")), "{got}");
    let got = err(nnet::bilinear_upsampling(
        T::dtensor4("x"),
        0,
        None,
        None,
        true,
    ));
    assert!(got.contains(&msg("bilinear_none")), "{got}");
    // `fweights` and `aweights` are not arguments here (Theano refuses them as not
    // implemented); fractional ratios are `frac_bilinear_upsampling`'s (Theano's refusals of
    // both ratios, or of a 1-D kernel with a fractional one, cannot be written)
    assert_eq!(e["cov_fweights"]["type"], "NotImplementedError");
    assert_eq!(e["bilinear_both"]["type"], "ValueError");
    assert_eq!(e["frac_1d"]["type"], "ValueError");
    let got = err(nnet::frac_bilinear_upsampling(
        T::dtensor4("x"),
        [(0, 1), (2, 1)],
    ));
    assert!(got.contains("frac_ratio must be positive"), "{got}");
}

/// Gradients by finite differences through the builders with float inputs.
#[test]
fn gradients_by_finite_differences() {
    let mut rng = Rng::new(41);
    let opts = VerifyGradOptions {
        seed: 7,
        ..Default::default()
    };
    let m = rng.tensor(DType::Float64, &[3, 5], -1.0, 1.0);
    let img = rng.tensor(DType::Float64, &[1, 2, 3, 3], -1.0, 1.0);
    let seq = rng.tensor(DType::Float64, &[2, 2, 6], -1.0, 1.0);
    let filt = rng.tensor(DType::Float64, &[3, 2, 3], -1.0, 1.0);
    type F = Box<dyn Fn(&[Variable]) -> Variable>;
    let cases: Vec<(&str, F, Vec<Tensor>)> = vec![
        (
            "ptp",
            Box::new(|i| T::ptp(&i[0], Some(&[1])).unwrap()),
            vec![m.clone()],
        ),
        (
            "cov",
            Box::new(|i| T::cov(&i[0], None, true, false, None).unwrap()),
            vec![m.clone()],
        ),
        ("selu", Box::new(|i| nnet::selu(&i[0])), vec![m.clone()]),
        (
            "bilinear_upsampling",
            Box::new(|i| nnet::bilinear_upsampling(&i[0], 2, None, None, true).unwrap()),
            vec![img.clone()],
        ),
        (
            "causal_conv1d",
            Box::new(|i| {
                nnet::causal_conv1d(&i[0], &i[1], [3, 2, 3], None, 1, true, 2, 1).unwrap()
            }),
            vec![seq, filt],
        ),
    ];
    for (name, f, points) in cases {
        verify_grad(f, &points, eval, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The new tensor constructors of every rank Theano has.
#[test]
fn constructors_of_rank_five_to_seven() {
    assert_eq!(T::tensor5("a").ty().to_string(), "TensorType(float64, 5D)");
    assert_eq!(T::ltensor7("b").ty().to_string(), "TensorType(int64, 7D)");
    assert_eq!(T::ftensor6("c").ty().to_string(), "TensorType(float32, 6D)");
    assert_eq!(T::itensor3("d").ty().to_string(), "TensorType(int32, 3D)");
    assert_eq!(
        T::wmatrix("e").ty().to_string(),
        "TensorType(int16, matrix)"
    );
    assert_eq!(T::btensor4s("p q").len(), 2);
}
