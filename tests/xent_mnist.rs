//! The notebook's softmax-regression (MNIST) train function after the stabilize phase: the cost
//! is one `CrossentropySoftmaxArgmax1HotWithBias`, its gradient one
//! `CrossentropySoftmax1HotWithBiasDx`, no log / softmax-gradient chain is left, and the
//! optimized function computes what the unoptimized one does (and stays finite where the
//! unoptimized one overflows).

use expect_test::expect;
#[path = "common/mod.rs"]
mod common;

use theano::tensor as T;
use theano::{compile, debugprint, grad, Mode, Tensor, Variable};

/// The notebook's model on `x` (n x 5) and labels `y`: (cost, [gW, gb], W, b).
fn model(
    w0: Tensor,
    b0: Tensor,
) -> (
    Variable,
    Variable,
    Variable,
    Vec<Variable>,
    Variable,
    Variable,
) {
    let (x, y) = (T::dmatrix("x"), T::ivector("y"));
    let w = theano::try_shared(w0, Some("W")).unwrap();
    let b = theano::try_shared(b0, Some("b")).unwrap();
    let p_y_given_x = T::softmax(T::dot(&x, &w).unwrap() + &b).unwrap();
    let cost = common::nll(&p_y_given_x, &y);
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    (x, y, cost, g, w, b)
}

fn data(scale: f64) -> (Tensor, Tensor, Tensor, Tensor) {
    let x: Vec<f64> = (0..30).map(|i| ((i * 7 % 11) as f64 - 5.0) / 5.0).collect();
    let w: Vec<f64> = (0..20)
        .map(|i| ((i * 5 % 9) as f64 - 4.0) * scale)
        .collect();
    let b = vec![0.1, -0.2, 0.3, 0.0];
    let y = Tensor::from(vec![0i32, 3, 1, 2, 3, 0]);
    (
        Tensor::from_shape_vec(&[6, 5], x).unwrap(),
        Tensor::from_shape_vec(&[5, 4], w).unwrap(),
        Tensor::from_shape_vec(&[4], b).unwrap(),
        y,
    )
}

#[test]
fn optimized_train_function_uses_the_crossentropy_ops() {
    let (_, w0, b0, _) = data(0.25);
    let (x, y, cost, g, w, b) = model(w0, b0);
    let train = compile(&[&x, &y], &cost)
        .updates([(&w, &w - 0.13 * &g[0]), (&b, &b - 0.13 * &g[1])])
        .build()
        .unwrap();
    let printed = debugprint(&train.fgraph_outputs().unwrap());
    for gone in [
        "Softmax [",
        "LogSoftmax",
        "log",
        "AdvancedIncSubtensor",
        "AdvancedSubtensor",
    ] {
        assert!(!printed.contains(gone), "{gone} left:\n{printed}");
    }
    expect![[r#"
        Elemwise{Composite{(-(i0 / i1))}}[(0, 0)] [id A] ''   
         |Sum{acc_dtype=float64} [id B] ''   
         | |Elemwise{Neg}[(0, 0)] [id C] ''   
         |   |CrossentropySoftmaxArgmax1HotWithBias.0 [id D] ''   
         |     |Dot22 [id E] ''   
         |     | |x [id F]
         |     | |W [id G]
         |     |b [id H]
         |     |y [id I]
         |Elemwise{Composite{Cast{float64}(Switch(EQ(i0, i1), maximum(i2, i0), i0))}} [id J] ''   
           |Shape_i{0} [id K] ''   
           | |y [id I]
           |TensorConstant{1} [id L]
           |TensorConstant{0} [id M]
        Gemm{inplace} [id N] ''   
         |W [id G]
         |TensorConstant{-0.13} [id O]
         |InplaceDimShuffle{1,0} [id P] ''   
         | |x [id F]
         |CrossentropySoftmax1HotWithBiasDx [id Q] ''   
         | |Elemwise{Composite{(-second(i0, i1))}} [id R] ''   
         | | |Elemwise{Neg}[(0, 0)] [id C] ''   
         | | |Elemwise{true_div,no_inplace} [id S] ''   
         | |   |TensorConstant{(1,) of -1.0} [id T]
         | |   |InplaceDimShuffle{x} [id U] ''   
         | |     |Elemwise{Composite{Cast{float64}(Switch(EQ(i0, i1), maximum(i2, i0), i0))}} [id J] ''   
         | |CrossentropySoftmaxArgmax1HotWithBias.1 [id D] ''   
         | |y [id I]
         |TensorConstant{1.0} [id V]
        Elemwise{Composite{(i0 - (i1 * identity(i2)))}}[(0, 0)] [id W] ''   
         |b [id H]
         |TensorConstant{(1,) of 0.13} [id X]
         |Sum{axis=[0], acc_dtype=float64} [id Y] ''   
           |CrossentropySoftmax1HotWithBiasDx [id Q] ''   
    "#]]
    .assert_eq(&printed);
}

/// (cost, gW, gb) of the optimized and the unoptimized function at weights scaled by `scale`.
fn both(scale: f64) -> (Vec<Tensor>, Vec<Tensor>) {
    let (xv, w0, b0, yv) = data(scale);
    let (x, y, cost, g, _, _) = model(w0, b0);
    let outs = vec![cost, g[0].clone(), g[1].clone()];
    let run = |flags: &str| {
        compile(&[&x, &y], outs.clone())
            .mode(Mode::parse_flags(flags).unwrap())
            .build()
            .unwrap()
            .call(&[xv.clone(), yv.clone()])
            .unwrap()
    };
    (run("optimizer=fast_run"), run("optimizer=None"))
}

#[test]
fn optimized_and_unoptimized_agree() {
    for scale in [0.0, 0.25, 2.0] {
        let (opt, plain) = both(scale);
        for (a, b) in opt.iter().zip(&plain) {
            assert!(a.allclose(b, 1e-10, 1e-12), "scale {scale}: {a:?} vs {b:?}");
        }
    }
}

#[test]
fn extreme_logits_stay_finite_when_optimized() {
    // logits of about +-1000: softmax underflows to 0 for the labelled classes, so the naive
    // -log gives inf and its gradient NaN; the fused op stays finite
    let (opt, plain) = both(400.0);
    let finite = |ts: &[Tensor]| {
        ts.iter()
            .all(|t| t.to_f64_vec().iter().all(|v| v.is_finite()))
    };
    assert!(
        !finite(&plain),
        "the unoptimized graph was expected to overflow: {plain:?}"
    );
    assert!(finite(&opt), "{opt:?}");
    // the cost by log-sum-exp, computed here
    let (x, w, b, y) = data(400.0);
    let (x, w, b, y) = (
        x.to_f64_vec(),
        w.to_f64_vec(),
        b.to_f64_vec(),
        y.to_i64_vec(),
    );
    let mut want = 0.0;
    for i in 0..6 {
        let z: Vec<f64> = (0..4)
            .map(|j| (0..5).map(|k| x[i * 5 + k] * w[k * 4 + j]).sum::<f64>() + b[j])
            .collect();
        let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
        want += (lse - z[y[i] as usize]) / 6.0;
    }
    let c = opt[0].scalar_f64().unwrap();
    assert!(
        want > 100.0 && (c - want).abs() <= 1e-9 * want,
        "{c} vs {want}"
    );
}

/// The test's own setting: `givens` slice a minibatch of shared data by a symbolic index, so
/// the canonicalize phase has lifted `arange(y.shape[0])`'s stop into slice arithmetic by the
/// time the stabilize phase runs; it must still be recognized as the labels' length. The rows
/// are `arange` of the length of `train_set_y[index*4 : (index+rows_end)*4]`: the labels'
/// length when `rows_end` is 1, not provably so otherwise.
fn minibatch_functions(rows_end: i64) -> (theano::Function, theano::Function) {
    let sx: Vec<f64> = (0..60).map(|i| ((i * 7 % 13) as f64 - 6.0) / 3.0).collect();
    let sy: Vec<i32> = (0..12).map(|i| i * 5 % 4).collect();
    let train_set_x = theano::try_shared(
        Tensor::from_shape_vec(&[12, 5], sx).unwrap(),
        Some("train_set_x"),
    )
    .unwrap();
    let train_set_y = theano::try_shared(Tensor::from(sy), Some("train_set_y")).unwrap();
    let (_, w0, b0, _) = data(0.5);
    let (x, y) = (T::dmatrix("x"), T::ivector("y"));
    let w = theano::try_shared(w0, Some("W")).unwrap();
    let b = theano::try_shared(b0, Some("b")).unwrap();
    let index = T::lscalar("index");
    let p = T::softmax(T::dot(&x, &w).unwrap() + &b).unwrap();
    let bs = 4i64;
    let y_rows = train_set_y
        .slice_rows(&index * bs, (&index + rows_end) * bs)
        .unwrap();
    let rows = T::arange(y_rows.shape_i(0).unwrap()).unwrap();
    let cost = -T::mean(
        T::log(&p).get(&[(&rows).into(), (&y).into()]).unwrap(),
        None,
        false,
    )
    .unwrap();
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    let outs = vec![cost, g[0].clone(), g[1].clone()];
    let gx = train_set_x
        .slice_rows(&index * bs, (&index + 1) * bs)
        .unwrap();
    let gy = train_set_y
        .slice_rows(&index * bs, (&index + 1) * bs)
        .unwrap();
    let build = |flags: &str| {
        compile(&[&index], outs.clone())
            .givens([(&x, gx.clone()), (&y, gy.clone())])
            .mode(Mode::parse_flags(flags).unwrap())
            .build()
            .unwrap()
    };
    (build("optimizer=fast_run"), build("optimizer=None"))
}

#[test]
fn minibatch_givens_are_recognized() {
    let (opt, plain) = minibatch_functions(1);
    let text = opt.fgraph().to_text();
    assert!(
        text.contains("CrossentropySoftmaxArgmax1HotWithBias"),
        "{text}"
    );
    assert!(text.contains("CrossentropySoftmax1HotWithBiasDx"), "{text}");
    assert!(
        !text.contains("Softmax(") && !text.contains("AdvancedIncSubtensor"),
        "{text}"
    );
    for i in 0..3i64 {
        let (a, b) = (
            opt.call(&[Tensor::from(i)]).unwrap(),
            plain.call(&[Tensor::from(i)]).unwrap(),
        );
        for (a, b) in a.iter().zip(&b) {
            assert!(a.allclose(b, 1e-10, 1e-12), "minibatch {i}: {a:?} vs {b:?}");
        }
    }
    // rows over two minibatches of labels: not the labels' length, left alone
    let (opt, _) = minibatch_functions(2);
    let text = opt.fgraph().to_text();
    assert!(!text.contains("Crossentropy"), "{text}");
}

/// DebugMode replays every replacement on the call's values: the crossentropy rewrites
/// compute what the graphs they replace compute.
#[test]
fn debug_mode_accepts_the_rewrites() {
    let (xv, w0, b0, yv) = data(0.5);
    let (x, y, cost, g, _, _) = model(w0, b0);
    let f = compile(&[&x, &y], vec![cost, g[0].clone(), g[1].clone()])
        .mode(Mode::parse_flags("mode=DebugMode").unwrap())
        .build()
        .unwrap();
    let text = f.fgraph().to_text();
    assert!(text.contains("CrossentropySoftmax1HotWithBiasDx"), "{text}");
    f.call(&[xv, yv]).unwrap();
}
