//! `theano.tensor.nnet.conv2d` (`AbstractConv2d`) and its two gradient ops end to end,
//! against the real Theano 1.0.5 (tests/conv/conv.json, written by tests/conv/gen.py: the
//! values of its own `perform`s, its printing and its refusals), on the interpreter, the
//! JIT and the GPU runtime on the emulator; gradients and second derivatives by finite
//! differences; R-ops against the gradients; the text form.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::nnet::{
    conv2d, conv2d_grad_wrt_inputs, conv2d_grad_wrt_weights, conv2d_with, Border, Conv2dArgs,
};
use theano::{DType, Tensor, TensorType, Variable};
use theano_grad::{grad, rop, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, usizes};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/conv/conv.json"))
}

fn pair(j: &Json) -> [usize; 2] {
    let v = usizes(j);
    [v[0], v[1]]
}

/// Theano's `border_mode` as the JSON wrote it: a string, an int, or a list per axis of an
/// int or a pair.
fn border(j: &Json) -> Border {
    match j {
        Json::String(s) => match s.as_str() {
            "valid" => Border::Valid,
            "full" => Border::Full,
            "half" => Border::Half,
            other => panic!("border {other}"),
        },
        Json::Number(n) => Border::uniform(n.as_u64().unwrap() as usize),
        Json::Array(a) => {
            let side = |j: &Json| match j {
                Json::Number(n) => (n.as_u64().unwrap() as usize, n.as_u64().unwrap() as usize),
                _ => {
                    let [l, r] = pair(j);
                    (l, r)
                }
            };
            Border::pad(side(&a[0]), side(&a[1]))
        }
        _ => panic!("border {j}"),
    }
}

fn args_of(kw: &Json) -> Conv2dArgs {
    let mut a = Conv2dArgs::default();
    if let Some(b) = kw.get("border_mode") {
        a.border_mode = border(b);
    }
    if let Some(s) = kw.get("subsample") {
        a.subsample = pair(s);
    }
    if let Some(f) = kw.get("filter_flip") {
        a.filter_flip = f.as_bool().unwrap();
    }
    if let Some(d) = kw.get("filter_dilation") {
        a.filter_dilation = pair(d);
    }
    if let Some(g) = kw.get("num_groups") {
        a.num_groups = g.as_u64().unwrap() as usize;
    }
    a
}

/// `f(step * k)` over `shape`'s elements in row-major order, as gen.py fills its inputs.
fn fill(shape: &[usize], f: fn(f64) -> f64, step: f64, dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|k| f(step * k as f64)).collect();
    let t = Tensor::from_f64_vec(DType::Float64, shape, v).unwrap();
    t.cast(dtype)
}

fn tensor4(dtype: DType, name: &str) -> Variable {
    T::input(TensorType::with_ndim(dtype, 4).unwrap(), name)
}

/// Every recorded case: the output and both gradients of `sum(conv2d(x, w) * c)` are
/// Theano's, on every backend (float64 to 1e-12 of the largest value, float32 to 1e-5).
#[test]
fn values_and_gradients_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let dtype = DType::from_name(c["dtype"].as_str().unwrap()).unwrap();
        let (ishp, kshp) = (usizes(&c["imshp"]), usizes(&c["kshp"]));
        let args = args_of(&c["kw"]);
        let (x, w) = (tensor4(dtype, "x"), tensor4(dtype, "w"));
        let out = conv2d_with(&x, &w, &args).unwrap();
        let oshape = usizes(&c["out"]["shape"]);
        let cv = Variable::constant_bounded(fill(&oshape, f64::cos, 0.13, dtype));
        let cost = T::sum(&out * &cv);
        let g = grad(&cost, &[x.clone(), w.clone()]).unwrap();
        let xv = fill(&ishp, f64::sin, 0.37, dtype);
        let wv = fill(&kshp, f64::cos, 0.21, dtype);
        let rtol = if dtype == DType::Float32 { 1e-5 } else { 1e-12 };
        let outs = vec![out, g[0].clone(), g[1].clone()];
        for (k, got) in common::run_every_linker(&[&x, &w], &outs, &[xv.clone(), wv.clone()])
            .iter()
            .enumerate()
        {
            close_to_json(
                &got[0],
                &c["out"],
                rtol,
                &format!("{name} out (linker {k})"),
            );
            close_to_json(
                &got[1],
                &c["gx"],
                rtol,
                &format!("{name} d/dx (linker {k})"),
            );
            close_to_json(
                &got[2],
                &c["gw"],
                rtol,
                &format!("{name} d/dw (linker {k})"),
            );
        }
    }
}

/// The ops print as Theano's, every parameter spelled out, and the text form parses back.
#[test]
fn ops_print_and_parse_as_theanos() {
    let p = &corpus()["printing"];
    let (x, w) = (tensor4(DType::Float64, "x"), tensor4(DType::Float64, "w"));
    let args = Conv2dArgs {
        border_mode: Border::pad((1, 1), (2, 2)),
        subsample: [2, 1],
        ..Conv2dArgs::default()
    };
    let out = conv2d_with(&x, &w, &args).unwrap();
    assert_eq!(
        theano::debugprint(std::slice::from_ref(&out)),
        p["forward"].as_str().unwrap()
    );
    let hinted = conv2d_with(
        &x,
        &w,
        &Conv2dArgs {
            input_shape: Some([Some(2), Some(3), Some(5), Some(6)]),
            filter_shape: Some([Some(4), Some(3), Some(2), Some(3)]),
            border_mode: Border::Half,
            filter_flip: false,
            filter_dilation: [1, 2],
            ..Conv2dArgs::default()
        },
    )
    .unwrap();
    assert_eq!(
        theano::debugprint(std::slice::from_ref(&hinted)),
        p["hinted"].as_str().unwrap()
    );
    // the gradient ops, and what they read: Theano's lines for them
    let g = grad(&T::sum(&out), &[x.clone(), w.clone()]).unwrap();
    let got = theano::debugprint(&g);
    let want = p["grads"].as_str().unwrap();
    for line in want.lines().filter(|l| l.contains("AbstractConv2d_grad")) {
        let op = line
            .trim_start_matches([' ', '|'])
            .split(" [id")
            .next()
            .unwrap();
        assert!(got.contains(op), "{op} missing from\n{got}");
    }
    for line in ["|Subtensor{int64::} [id", "| |x [id", "|Constant{-2} [id"] {
        assert!(want.contains(line) && got.contains(line), "{line}:\n{got}");
    }
    // the text form round-trips the three ops with their parameters
    let asym = conv2d_with(
        &x,
        &w,
        &Conv2dArgs {
            border_mode: Border::pad((1, 0), (2, 2)),
            num_groups: 1,
            input_shape: Some([None, Some(3), None, None]),
            ..Conv2dArgs::default()
        },
    )
    .unwrap();
    let mut outs = vec![hinted, asym];
    outs.extend(g);
    let fg =
        theano::ir::fgraph::FunctionGraph::from_outputs(&[x.clone(), w.clone()], &outs).unwrap();
    let text = fg.to_text();
    for name in [
        "AbstractConv2d{",
        "AbstractConv2d_gradInputs{",
        "AbstractConv2d_gradWeights{",
        "border_mode=((1, 0), 2)",
    ] {
        assert!(text.contains(name), "{name}:\n{text}");
    }
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    for bad in [
        "AbstractConv2d{convdim=3}",
        "AbstractConv2d{unshared=True}",
        "AbstractConv2d{border_mode='same'}",
        "AbstractConv2d{subsample=(0, 1)}",
        "AbstractConv2d",
    ] {
        let t = text.replacen(
            &text[text.find("AbstractConv2d{").unwrap()..][..text
                [text.find("AbstractConv2d{").unwrap()..]
                .find('}')
                .unwrap()
                + 1],
            bad,
            1,
        );
        assert!(
            theano::ir::fgraph::FunctionGraph::parse(&t).is_err(),
            "{bad} parsed"
        );
    }
}

/// Gradients and second derivatives by finite differences, for each border mode, strides,
/// dilation and groups, at float64.
#[test]
fn gradients_by_finite_differences() {
    let mut rng = Rng::new(21);
    let opts = VerifyGradOptions {
        seed: 9,
        ..Default::default()
    };
    let configs = [
        ([2, 3, 5, 6], [4, 3, 2, 3], Conv2dArgs::default()),
        (
            [1, 2, 6, 5],
            [2, 2, 3, 3],
            Conv2dArgs {
                border_mode: Border::Half,
                subsample: [2, 2],
                filter_flip: false,
                ..Conv2dArgs::default()
            },
        ),
        (
            [1, 4, 5, 5],
            [4, 2, 2, 2],
            Conv2dArgs {
                border_mode: Border::pad((1, 0), (2, 1)),
                filter_dilation: [2, 1],
                num_groups: 2,
                ..Conv2dArgs::default()
            },
        ),
        (
            [1, 1, 4, 4],
            [2, 1, 2, 3],
            Conv2dArgs {
                border_mode: Border::Full,
                subsample: [1, 2],
                ..Conv2dArgs::default()
            },
        ),
    ];
    for (ishp, kshp, args) in configs {
        let xv = rng.tensor(DType::Float64, &ishp, -1.0, 1.0);
        let wv = rng.tensor(DType::Float64, &kshp, -1.0, 1.0);
        let a = args.clone();
        verify_grad(
            move |i| conv2d_with(&i[0], &i[1], &a).unwrap(),
            &[xv.clone(), wv.clone()],
            eval,
            &opts,
        )
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        // the gradient ops as functions of their own inputs (second derivatives), at an
        // output gradient of the output's shape
        let (xs, ws) = (tensor4(DType::Float64, "xs"), tensor4(DType::Float64, "ws"));
        let gshape = eval(
            &[xs.clone(), ws.clone()],
            &conv2d_with(&xs, &ws, &args).unwrap(),
            &[xv.clone(), wv.clone()],
        )
        .unwrap()
        .shape()
        .to_vec();
        let gv = rng.tensor(DType::Float64, &gshape, -1.0, 1.0);
        let (a1, a2) = (args.clone(), args.clone());
        let ishp64: Vec<i64> = ishp.iter().map(|&d| d as i64).collect();
        let kshp64: Vec<i64> = kshp.iter().map(|&d| d as i64).collect();
        verify_grad(
            move |i| conv2d_grad_wrt_inputs(&i[0], &i[1], ishp64.clone(), &a1).unwrap(),
            &[gv.clone(), wv.clone()],
            eval,
            &opts,
        )
        .unwrap_or_else(|e| panic!("gradInputs {args:?}: {e}"));
        verify_grad(
            move |i| conv2d_grad_wrt_weights(&i[0], &i[1], kshp64.clone(), &a2).unwrap(),
            &[xv.clone(), gv.clone()],
            eval,
            &opts,
        )
        .unwrap_or_else(|e| panic!("gradWeights {args:?}: {e}"));
    }
}

/// `<u, J v>` by the R-operator equals `<J^T u, v>` by the gradient, for each op.
#[test]
fn r_ops_agree_with_the_gradients() {
    let mut rng = Rng::new(5);
    let (x, w) = (tensor4(DType::Float64, "x"), tensor4(DType::Float64, "w"));
    let (vx, vw) = (tensor4(DType::Float64, "vx"), tensor4(DType::Float64, "vw"));
    let args = Conv2dArgs {
        border_mode: Border::Half,
        subsample: [2, 1],
        ..Conv2dArgs::default()
    };
    let out = conv2d_with(&x, &w, &args).unwrap();
    let r = rop(
        std::slice::from_ref(&out),
        &[x.clone(), w.clone()],
        &[vx.clone(), vw.clone()],
    )
    .unwrap()
    .remove(0);
    let u = tensor4(DType::Float64, "u");
    let g = grad(&T::sum(&out * &u), &[x.clone(), w.clone()]).unwrap();
    let lhs = T::sum(&r * &u);
    let rhs = T::sum(&g[0] * &vx) + T::sum(&g[1] * &vw);
    let xv = rng.tensor(DType::Float64, &[2, 3, 5, 4], -1.0, 1.0);
    let wv = rng.tensor(DType::Float64, &[2, 3, 3, 3], -1.0, 1.0);
    let o = eval(&[x.clone(), w.clone()], &out, &[xv.clone(), wv.clone()]).unwrap();
    let uv = rng.tensor(DType::Float64, o.shape(), -1.0, 1.0);
    let vxv = rng.tensor(DType::Float64, &[2, 3, 5, 4], -1.0, 1.0);
    let vwv = rng.tensor(DType::Float64, &[2, 3, 3, 3], -1.0, 1.0);
    let all = [x, w, vx, vw, u];
    let vals = [xv, wv, vxv, vwv, uv];
    let l = eval(&all, &lhs, &vals).unwrap().to_f64_vec()[0];
    let rr = eval(&all, &rhs, &vals).unwrap().to_f64_vec()[0];
    assert!((l - rr).abs() <= 1e-10 * l.abs().max(1.0), "{l} vs {rr}");
}

/// Shapes Theano refuses when the graph is built, and values it refuses when it runs:
/// typed errors with its reasons, on every backend; a filter longer than the image gives an
/// empty output, as in Theano.
#[test]
fn refusals_are_theanos() {
    let errs = &corpus()["errors"];
    let msg = |k: &str| errs[k].as_str().unwrap().to_string();
    let (x, w) = (tensor4(DType::Float64, "x"), tensor4(DType::Float64, "w"));
    let e = conv2d(T::dmatrix("m"), &w).unwrap_err().to_string();
    assert!(e.contains("img must be 4D tensor") && msg("matrix").contains("img must be 4D"));
    let e = conv2d_with(
        &x,
        &w,
        &Conv2dArgs {
            num_groups: 0,
            ..Conv2dArgs::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("num_groups must have value greater than zero"),
        "{e}"
    );
    assert!(msg("zero_groups").contains("num_groups must have value greater than zero"));
    let e = conv2d_with(
        &x,
        &w,
        &Conv2dArgs {
            subsample: [0, 1],
            ..Conv2dArgs::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("subsample"), "{e}");
    let xv = Tensor::zeros(DType::Float64, &[2, 3, 5, 6]);
    let grouped = conv2d_with(
        &x,
        &w,
        &Conv2dArgs {
            num_groups: 2,
            ..Conv2dArgs::default()
        },
    )
    .unwrap();
    for (out, wv, key) in [
        (
            conv2d(&x, &w).unwrap(),
            Tensor::zeros(DType::Float64, &[4, 2, 2, 2]),
            "channels",
        ),
        (
            grouped,
            Tensor::zeros(DType::Float64, &[4, 1, 2, 2]),
            "groups_indivisible",
        ),
    ] {
        let want = msg(key);
        let want = want.trim_start_matches("ValueError: ");
        for mode in [theano::Mode::interp(), theano::Mode::default()] {
            let f = theano::compile(&[&x, &w], &out).mode(mode).build().unwrap();
            let e = f.call(&[xv.clone(), wv.clone()]).unwrap_err().to_string();
            assert!(e.contains(want), "{key}: {e}");
        }
    }
    // a filter one row longer than the image: Theano's empty output; longer: refused
    let f = theano::compile(&[&x, &w], conv2d(&x, &w).unwrap())
        .build()
        .unwrap();
    let o = f
        .call(&[xv.clone(), Tensor::zeros(DType::Float64, &[4, 3, 6, 2])])
        .unwrap();
    assert_eq!(o[0].shape(), &[2, 4, 0, 5]);
    assert!(errs["kernel_too_big"].is_null(), "Theano ran it");
    let e = f
        .call(&[xv.clone(), Tensor::zeros(DType::Float64, &[4, 3, 8, 2])])
        .unwrap_err()
        .to_string();
    assert!(e.contains("negative dimensions are not allowed"), "{e}");
    // the shape hints are checked when the op runs (Theano trusts them by default)
    let hinted = conv2d_with(
        &x,
        &w,
        &Conv2dArgs {
            input_shape: Some([Some(2), Some(3), Some(5), Some(7)]),
            ..Conv2dArgs::default()
        },
    )
    .unwrap();
    let f = theano::compile(&[&x, &w], &hinted).build().unwrap();
    let e = f
        .call(&[xv, Tensor::zeros(DType::Float64, &[4, 3, 2, 2])])
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not match given imshp"), "{e}");
    // a gradient given lengths its output gradient does not fit
    let gi = conv2d_grad_wrt_inputs(&x, &w, [2i64, 3, 9, 9], &Conv2dArgs::default()).unwrap();
    let f = theano::compile(&[&x, &w], &gi).build().unwrap();
    let e = f
        .call(&[
            Tensor::zeros(DType::Float64, &[2, 4, 4, 4]),
            Tensor::zeros(DType::Float64, &[4, 3, 2, 3]),
        ])
        .unwrap_err()
        .to_string();
    assert!(e.contains("invalid input_shape for gradInputs"), "{e}");
}

/// Integer and mixed dtypes take the direct sum (float32 and float64 run as matrix products):
/// both give the same numbers, in each op's output dtype.
#[test]
fn integer_and_mixed_dtypes_sum_directly() {
    let args = Conv2dArgs {
        border_mode: Border::pad((1, 0), (1, 2)),
        subsample: [2, 1],
        filter_dilation: [1, 2],
        num_groups: 2,
        ..Conv2dArgs::default()
    };
    let ints = |shape: &[usize], seed: i64| {
        let n: usize = shape.iter().product();
        let v: Vec<i32> = (0..n as i64)
            .map(|k| ((k * 7 + seed) % 11 - 5) as i32)
            .collect();
        Tensor::from_shape_vec(shape, v).unwrap()
    };
    let (xi, wi) = (ints(&[2, 4, 6, 7], 1), ints(&[4, 2, 3, 2], 3));
    let (x32, w32) = (tensor4(DType::Int32, "x"), tensor4(DType::Int32, "w"));
    let (x64, w64) = (tensor4(DType::Float64, "x"), tensor4(DType::Float64, "w"));
    let (xm, wm) = (tensor4(DType::Float32, "x"), tensor4(DType::Float64, "w"));
    let via = |x: &Variable, w: &Variable, xv: Tensor, wv: Tensor| {
        let out = conv2d_with(x, w, &args).unwrap();
        let o = eval(&[x.clone(), w.clone()], &out, &[xv.clone(), wv.clone()]).unwrap();
        let gi = conv2d_grad_wrt_inputs(&out, w, [2i64, 4, 6, 7], &args).unwrap();
        let gw = conv2d_grad_wrt_weights(x, &out, [4i64, 2, 3, 2], &args).unwrap();
        let ins = [x.clone(), w.clone()];
        let gi = eval(&ins, &gi, &[xv.clone(), wv.clone()]).unwrap();
        let gw = eval(&ins, &gw, &[xv, wv]).unwrap();
        (o, gi, gw)
    };
    let (oi, gii, gwi) = via(&x32, &w32, xi.clone(), wi.clone());
    let (of, gif, gwf) = via(&x64, &w64, xi.cast(DType::Float64), wi.cast(DType::Float64));
    let (om, gim, gwm) = via(&xm, &wm, xi.cast(DType::Float32), wi.cast(DType::Float64));
    assert_eq!(oi.dtype(), DType::Int32);
    assert_eq!(
        (om.dtype(), gim.dtype(), gwm.dtype()),
        (DType::Float32, DType::Float64, DType::Float32)
    );
    for (a, b, c) in [(&oi, &of, &om), (&gii, &gif, &gim), (&gwi, &gwf, &gwm)] {
        assert_eq!(a.to_f64_vec(), b.to_f64_vec());
        assert_eq!(c.to_f64_vec(), b.to_f64_vec());
    }
}

/// Where the column matrices of the matrix products would take more than 1 GiB, the
/// convolution sums directly (a full convolution of a 90x90 image by a 90x90 filter: 259
/// million taps) and gives the same numbers; lengths Theano's perform refuses are refused.
#[test]
fn large_filters_sum_directly_and_bad_lengths_are_refused() {
    let (x, w) = (tensor4(DType::Float64, "x"), tensor4(DType::Float64, "w"));
    let full = conv2d_with(
        &x,
        &w,
        &Conv2dArgs {
            border_mode: Border::Full,
            ..Conv2dArgs::default()
        },
    )
    .unwrap();
    let xv = Tensor::from_f64_vec(
        DType::Float64,
        &[1, 1, 90, 90],
        (0..8100).map(|k| ((k % 13) as f64) - 6.0).collect(),
    )
    .unwrap();
    let wv = Tensor::from_f64_vec(
        DType::Float64,
        &[1, 1, 90, 90],
        (0..8100).map(|k| ((k % 7) as f64) - 3.0).collect(),
    )
    .unwrap();
    let got = eval(&[x.clone(), w.clone()], &full, &[xv.clone(), wv.clone()]).unwrap();
    assert_eq!(got.shape(), &[1, 1, 179, 179]);
    // output (i, j) of the full convolution: sum over x[a, b] * w[i - a, j - b]
    let (xs, ws, g) = (xv.to_f64_vec(), wv.to_f64_vec(), got.to_f64_vec());
    for (i, j) in [(0usize, 0usize), (89, 89), (120, 40), (178, 178)] {
        let mut want = 0.0;
        for a in 0..90usize {
            for b in 0..90usize {
                if i >= a && j >= b && i - a < 90 && j - b < 90 {
                    want += xs[a * 90 + b] * ws[(i - a) * 90 + (j - b)];
                }
            }
        }
        assert_eq!(g[i * 179 + j], want, "({i}, {j})");
    }
    // a padded image shorter than the filter is refused whatever the stride, as in Theano
    let strided = conv2d_with(
        &x,
        &w,
        &Conv2dArgs {
            subsample: [2, 2],
            ..Conv2dArgs::default()
        },
    )
    .unwrap();
    let f = theano::compile(&[&x, &w], &strided).build().unwrap();
    let e = f
        .call(&[
            Tensor::zeros(DType::Float64, &[1, 1, 4, 5]),
            Tensor::zeros(DType::Float64, &[1, 1, 6, 2]),
        ])
        .unwrap_err()
        .to_string();
    assert!(e.contains("negative dimensions are not allowed"), "{e}");
    // a filter without rows
    let e = f
        .call(&[
            Tensor::zeros(DType::Float64, &[1, 1, 4, 5]),
            Tensor::zeros(DType::Float64, &[1, 1, 0, 2]),
        ])
        .unwrap_err()
        .to_string();
    assert!(e.contains("at least one row and one column"), "{e}");
}
