//! `theano.tensor.signal.pool` (`pool_2d`, `pool_3d`: `Pool`, `MaxPoolGrad`,
//! `AveragePoolGrad`, `DownsampleFactorMaxGradGrad`) end to end, against the real Theano
//! 1.0.5 (tests/pool/pool.json, written by tests/pool/gen.py: the values of its own
//! performs, its printing and its refusals), on the interpreter, the JIT and the GPU runtime
//! on the emulator; gradients by finite differences; R-ops against the gradients; the text
//! form.

use serde_json::Value as Json;
use std::sync::OnceLock;
use theano::tensor as T;
use theano::tensor::signal::pool::{pool_2d, pool_3d, pool_nd, PoolArgs, PoolMode};
use theano::{DType, Tensor, TensorType, Variable};
use theano_grad::{grad, rop, verify_grad, Rng, VerifyGradOptions};

mod common;
use common::{close_to_json, eval_compiled as eval, usizes};

fn corpus() -> &'static Json {
    static C: OnceLock<Json> = OnceLock::new();
    C.get_or_init(|| common::json_file("tests/pool/pool.json"))
}

/// `f(step * k)` over `shape`'s elements, rounded to `decimals` as gen.py rounds them.
fn fill(shape: &[usize], f: fn(f64) -> f64, step: f64, dtype: DType, decimals: i32) -> Tensor {
    let n: usize = shape.iter().product();
    let scale = 10f64.powi(decimals);
    let v: Vec<f64> = (0..n)
        .map(|k| {
            let y = f(step * k as f64);
            if decimals >= 0 {
                // numpy's round: half to even on the scaled value
                (y * scale).round_ties_even() / scale
            } else {
                y
            }
        })
        .collect();
    Tensor::from_f64_vec(DType::Float64, shape, v)
        .unwrap()
        .cast(dtype)
}

fn args_of(kw: &Json) -> (Vec<usize>, PoolArgs) {
    let mut a = PoolArgs::default();
    let ws = usizes(&kw["ws"]);
    if let Some(b) = kw.get("ignore_border") {
        a.ignore_border = b.as_bool().unwrap();
    }
    if let Some(s) = kw.get("stride") {
        a.stride = Some(usizes(s));
    }
    if let Some(p) = kw.get("pad") {
        a.pad = Some(usizes(p));
    }
    if let Some(m) = kw.get("mode") {
        a.mode = PoolMode::from_name(m.as_str().unwrap()).unwrap();
    }
    (ws, a)
}

fn build(x: &Variable, ws: &[usize], args: &PoolArgs) -> Variable {
    match ws.len() {
        2 => pool_2d(x, [ws[0], ws[1]], args).unwrap(),
        3 => pool_3d(x, [ws[0], ws[1], ws[2]], args).unwrap(),
        n => panic!("{n} pooled axes"),
    }
}

/// Every recorded case: the pooled values, the gradient of `sum(pool(x) * c)`, the
/// gradient of that gradient along `v` with respect to x (zero) and to the output gradient,
/// on every backend (float64 to 1e-12 of the largest value, float32 to 1e-6).
#[test]
fn values_and_gradients_are_theanos() {
    let cases = corpus()["cases"].as_array().unwrap();
    assert!(cases.len() >= 16);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let dtype = DType::from_name(c["dtype"].as_str().unwrap()).unwrap();
        let shape = usizes(&c["shape"]);
        let (ws, args) = args_of(&c["kw"]);
        let x = T::input(TensorType::with_ndim(dtype, shape.len()).unwrap(), "x");
        let out = build(&x, &ws, &args);
        let decimals = if name.contains("tie") { 1 } else { 3 };
        let xv = fill(&shape, f64::sin, 0.37, dtype, decimals);
        let rtol = if dtype == DType::Float32 { 1e-6 } else { 1e-12 };
        let mut outs = vec![out.clone()];
        let gz = T::input(out.ty(), "gz");
        if c.get("gx").is_some() {
            let cv = Variable::constant_bounded(fill(
                &usizes(&c["out"]["shape"]),
                f64::cos,
                0.13,
                dtype,
                -1,
            ));
            let gx = grad(&T::sum(&out * &cv), std::slice::from_ref(&x))
                .unwrap()
                .remove(0);
            let v = Variable::constant_bounded(fill(&shape, f64::cos, 0.29, dtype, -1));
            let ggx = grad(&T::sum(&gx * &v), std::slice::from_ref(&x))
                .unwrap()
                .remove(0);
            let gxz = grad(&T::sum(&out * &gz), std::slice::from_ref(&x))
                .unwrap()
                .remove(0);
            let ggz = grad(&T::sum(&gxz * &v), std::slice::from_ref(&gz))
                .unwrap()
                .remove(0);
            outs.extend([gx, ggx, ggz]);
        }
        let gzv = fill(&usizes(&c["out"]["shape"]), f64::cos, 0.13, dtype, -1);
        let runs = if outs.len() > 1 {
            common::run_every_linker(&[&x, &gz], &outs, &[xv.clone(), gzv])
        } else {
            common::run_every_linker(&[&x], &outs, std::slice::from_ref(&xv))
        };
        for (k, got) in runs.iter().enumerate() {
            close_to_json(
                &got[0],
                &c["out"],
                rtol,
                &format!("{name} out (linker {k})"),
            );
            if outs.len() > 1 {
                close_to_json(
                    &got[1],
                    &c["gx"],
                    rtol,
                    &format!("{name} d/dx (linker {k})"),
                );
                close_to_json(
                    &got[2],
                    &c["ggx"],
                    rtol,
                    &format!("{name} d2/dx2 (linker {k})"),
                );
                close_to_json(
                    &got[3],
                    &c["ggz"],
                    rtol,
                    &format!("{name} d2/dxdgz (linker {k})"),
                );
            }
        }
    }
}

/// The ops print as Theano's and the text form parses back.
#[test]
fn ops_print_and_parse_as_theanos() {
    let p = &corpus()["printing"];
    let x = T::dtensor4("x");
    let out = pool_2d(
        &x,
        [2, 2],
        &PoolArgs {
            ignore_border: true,
            ..PoolArgs::default()
        },
    )
    .unwrap();
    // the gradients print as Theano's: the `fill` its gradient code builds is the unnamed
    // `Elemwise{second}`, the one `T.grad` starts from `Elemwise{second,no_inplace}`
    let dp = |v: &Variable| theano::debugprint(std::slice::from_ref(v));
    let theano = |k: &str| p[k].as_str().unwrap().to_string();
    assert_eq!(dp(&out), p["pool"].as_str().unwrap());
    let avg = pool_2d(
        &x,
        [3, 2],
        &PoolArgs {
            ignore_border: true,
            stride: Some(vec![1, 1]),
            pad: Some(vec![1, 0]),
            mode: PoolMode::AverageIncPad,
        },
    )
    .unwrap();
    assert_eq!(dp(&avg), p["pool_avg"].as_str().unwrap());
    let g = grad(&T::sum(&out), std::slice::from_ref(&x))
        .unwrap()
        .remove(0);
    assert_eq!(dp(&g), theano("max_grad"));
    let sum = pool_2d(
        &x,
        [2, 2],
        &PoolArgs {
            ignore_border: true,
            mode: PoolMode::Sum,
            ..PoolArgs::default()
        },
    )
    .unwrap();
    let gs = grad(&T::sum(&sum), std::slice::from_ref(&x))
        .unwrap()
        .remove(0);
    assert_eq!(dp(&gs), theano("avg_grad"));
    // the second derivative reads DownsampleFactorMaxGradGrad only through MaxPoolGrad's
    // gradient; its op line is Theano's
    let gg = grad(&T::sum(&(&g * &x)), std::slice::from_ref(&x))
        .unwrap()
        .remove(0);
    assert!(dp(&gg).contains("MaxPoolGrad{ignore_border=True, mode='max', ndim=2}"));
    let fg = theano::ir::fgraph::FunctionGraph::from_outputs(
        std::slice::from_ref(&x),
        &[out, avg, g, gs, gg],
    )
    .unwrap();
    let text = fg.to_text();
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    for bad in [
        "Pool{ignore_border=True, mode='min', ndim=2}",
        "Pool{ignore_border=True, mode='max'}",
        "Pool{ignore_border=Maybe, mode='max', ndim=2}",
        "Pool{ignore_border=True, mode='max', ndim=0}",
        "Pool",
    ] {
        let t = text.replacen("Pool{ignore_border=True, mode='max', ndim=2}", bad, 1);
        assert!(
            theano::ir::fgraph::FunctionGraph::parse(&t).is_err(),
            "{bad} parsed"
        );
    }
    let t = text.replacen(
        "MaxPoolGrad{ignore_border=True, mode='max', ndim=2}",
        "MaxPoolGrad{ignore_border=True, mode='sum', ndim=2}",
        1,
    );
    assert!(theano::ir::fgraph::FunctionGraph::parse(&t).is_err());
}

/// Gradients by finite differences (values spread so no window ties), and the R-operator
/// against the gradient.
#[test]
fn gradients_by_finite_differences_and_r_ops() {
    let mut rng = Rng::new(17);
    let opts = VerifyGradOptions {
        seed: 3,
        ..Default::default()
    };
    let configs = [
        ([2usize, 2], PoolMode::Max, true, None, None),
        ([3, 2], PoolMode::Max, false, Some(vec![2, 1]), None),
        (
            [2, 3],
            PoolMode::Sum,
            true,
            Some(vec![1, 2]),
            Some(vec![1, 1]),
        ),
        (
            [3, 3],
            PoolMode::AverageIncPad,
            true,
            None,
            Some(vec![2, 1]),
        ),
        (
            [2, 2],
            PoolMode::AverageExcPad,
            true,
            Some(vec![1, 1]),
            Some(vec![1, 1]),
        ),
        ([2, 3], PoolMode::AverageExcPad, false, None, None),
    ];
    for (ws, mode, ignore_border, stride, pad) in configs {
        let args = PoolArgs {
            ignore_border,
            stride,
            pad,
            mode,
        };
        // distinct values: a permutation of a grid, so no two elements of a window tie
        let n = 2 * 2 * 5 * 6;
        let mut vals: Vec<f64> = (0..n).map(|k| k as f64 * 0.37 - 20.0).collect();
        for i in (1..n).rev() {
            let j = (rng.tensor(DType::Float64, &[], 0.0, 1.0).to_f64_vec()[0] * (i + 1) as f64)
                as usize;
            vals.swap(i, j.min(i));
        }
        let xv = Tensor::from_f64_vec(DType::Float64, &[2, 2, 5, 6], vals).unwrap();
        let a = args.clone();
        verify_grad(
            move |i| pool_2d(&i[0], ws, &a).unwrap(),
            std::slice::from_ref(&xv),
            eval,
            &opts,
        )
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        // <u, J v> = <J^T u, v>
        let x = T::dtensor4("x");
        let vx = T::dtensor4("vx");
        let u = T::dtensor4("u");
        let out = pool_2d(&x, ws, &args).unwrap();
        let r = rop(
            std::slice::from_ref(&out),
            std::slice::from_ref(&x),
            std::slice::from_ref(&vx),
        )
        .unwrap()
        .remove(0);
        let g = grad(&T::sum(&out * &u), std::slice::from_ref(&x))
            .unwrap()
            .remove(0);
        let o = eval(std::slice::from_ref(&x), &out, std::slice::from_ref(&xv)).unwrap();
        let uv = rng.tensor(DType::Float64, o.shape(), -1.0, 1.0);
        let vv = rng.tensor(DType::Float64, &[2, 2, 5, 6], -1.0, 1.0);
        let all = [x, vx, u];
        let l = eval(
            &all,
            &T::sum(&r * &all[2]),
            &[xv.clone(), vv.clone(), uv.clone()],
        )
        .unwrap()
        .to_f64_vec()[0];
        let rr = eval(&all, &T::sum(&g * &all[1]), &[xv, vv, uv])
            .unwrap()
            .to_f64_vec()[0];
        assert!(
            (l - rr).abs() <= 1e-10 * l.abs().max(1.0),
            "{args:?}: {l} vs {rr}"
        );
    }
}

/// What Theano refuses when the graph is built and what this port refuses when the op runs.
#[test]
fn refusals_are_theanos() {
    let errs = &corpus()["errors"];
    let msg = |k: &str| errs[k].as_str().unwrap().to_string();
    let x = T::dtensor4("x");
    let ib = PoolArgs {
        ignore_border: true,
        ..PoolArgs::default()
    };
    for (label, e) in [
        (
            "pad_keep_border",
            pool_2d(
                &x,
                [2, 2],
                &PoolArgs {
                    pad: Some(vec![1, 1]),
                    ..PoolArgs::default()
                },
            )
            .unwrap_err(),
        ),
        (
            "pad_too_big",
            pool_2d(
                &x,
                [2, 2],
                &PoolArgs {
                    pad: Some(vec![2, 1]),
                    ..ib.clone()
                },
            )
            .unwrap_err(),
        ),
        ("vector", pool_2d(T::dvector("v"), [2, 2], &ib).unwrap_err()),
    ] {
        let want = msg(label);
        let want = want.split_once(": ").unwrap().1;
        assert!(e.to_string().contains(want), "{label}: {e}");
    }
    assert!(PoolMode::from_name("min").is_none());
    assert!(msg("bad_mode").contains("Got min"));
    let e = pool_nd(
        &x,
        T::dvector("w"),
        T::lvector("s"),
        T::lvector("p"),
        true,
        PoolMode::Max,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("Pool downsample parameters must be ints"), "{e}");
    assert!(msg("float_ws").contains("Pool downsample parameters must be ints"));
    // symbolic windows are checked when the op runs, on every backend
    let (w0, w1, s, p) = (
        T::lscalar("w0"),
        T::lscalar("w1"),
        T::lvector("s"),
        T::lvector("p"),
    );
    let ws = T::make_vector(&[w0.clone(), w1.clone()], DType::Int64).unwrap();
    let sym = pool_nd(&x, &ws, &s, &p, true, PoolMode::Max).unwrap();
    let xv = Tensor::zeros(DType::Float64, &[1, 1, 4, 4]);
    let vec2 = |a: i64, b: i64| Tensor::from_shape_vec(&[2], vec![a, b]).unwrap();
    for mode in [theano::Mode::interp(), theano::Mode::default()] {
        let f = theano::compile(&[&x, &w0, &w1, &s, &p], &sym)
            .mode(mode)
            .build()
            .unwrap();
        let run = |w0: i64, st: Tensor, pd: Tensor| {
            f.call(&[xv.clone(), Tensor::scalar(w0), Tensor::scalar(2i64), st, pd])
        };
        let e = run(2, vec2(2, 2), vec2(2, 0)).unwrap_err().to_string();
        assert!(e.contains("padding must be smaller than strides"), "{e}");
        let e = run(0, vec2(2, 2), vec2(0, 0)).unwrap_err().to_string();
        assert!(e.contains("must be positive"), "{e}");
        let o = run(3, vec2(1, 2), vec2(1, 0)).unwrap();
        assert_eq!(o[0].shape(), &[1, 1, 4, 2]);
    }
    // a window wider than the image with ignore_border: an empty output, as in Theano
    let f = theano::compile(&[&x], pool_2d(&x, [5, 2], &ib).unwrap())
        .build()
        .unwrap();
    assert_eq!(f.call(&[xv]).unwrap()[0].shape(), &[1, 1, 0, 2]);
}

/// Large windows at a small stride: the windows are walked where they are used rather than
/// listed all at once (19.7 million offsets here), and give the same maxima.
#[test]
fn large_overlapping_windows_run_in_bounded_memory() {
    let x = T::dtensor4("x");
    let out = pool_2d(
        &x,
        [40, 40],
        &PoolArgs {
            ignore_border: true,
            stride: Some(vec![1, 1]),
            ..PoolArgs::default()
        },
    )
    .unwrap();
    let v: Vec<f64> = (0..150 * 150)
        .map(|k| ((k * 7919) % 10007) as f64)
        .collect();
    let xv = Tensor::from_f64_vec(DType::Float64, &[1, 1, 150, 150], v.clone()).unwrap();
    let got = eval(std::slice::from_ref(&x), &out, std::slice::from_ref(&xv)).unwrap();
    assert_eq!(got.shape(), &[1, 1, 111, 111]);
    let g = got.to_f64_vec();
    for (i, j) in [(0usize, 0usize), (17, 93), (110, 110)] {
        let want = (i..i + 40)
            .flat_map(|r| (j..j + 40).map(move |c| (r, c)))
            .map(|(r, c)| v[r * 150 + c])
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(g[i * 111 + j], want, "window ({i}, {j})");
    }
}
