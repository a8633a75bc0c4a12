//! Notebook cell 39: the optimized gradient of x**2 is `(TensorConstant{2.0} * x)`; and the
//! seed's logistic regression, with the notebook's formula verbatim, trains to 100% through
//! the stabilize rewrites.

mod common;

use common::{randn, seed_model};
use expect_test::expect;
use theano::tensor as T;
use theano::{compile, debugprint, function, grad1, pp, Mode, Tensor};

#[test]
fn cell_39_optimized_gradient() {
    let x = T::dscalar("x");
    let gy = grad1(&x.pow(2), &x).unwrap();
    let f = function(&[&x], &gy).unwrap();
    assert_eq!(
        pp(&f.fgraph_outputs().unwrap()[0]),
        "(TensorConstant{2.0} * x)"
    );
    assert_eq!(
        format!("{:?}", f.call(&[4.into()]).unwrap()[0]),
        "array(8.)"
    );
}

#[test]
fn optimizer_none_keeps_the_graph() {
    let x = T::dscalar("x");
    let gy = grad1(&x.pow(2), &x).unwrap();
    let mode = Mode::parse_flags("optimizer=None").unwrap();
    let f = compile(&[&x], &gy).mode(mode).build().unwrap();
    assert_eq!(pp(&f.fgraph_outputs().unwrap()[0]), pp(&gy));
}

#[test]
fn seed_logistic_regression_reaches_full_training_accuracy() {
    let (n, feats) = (400, 784);
    let mut seed = 3;
    let d0 = Tensor::from_shape_vec(&[n, feats], randn(&mut seed, n * feats)).unwrap();
    let d1 = Tensor::from_shape_vec(
        &[n],
        randn(&mut seed, n)
            .into_iter()
            .map(|v| (v > 0.0) as i64)
            .collect(),
    )
    .unwrap();
    // the notebook's formula, verbatim (tests/common)
    let m = seed_model(Tensor::from_shape_vec(&[feats], randn(&mut seed, feats)).unwrap());
    let (x, w) = (&m.x, &m.w);
    let train = compile(&[&m.x, &m.y], [&m.prediction, &m.xent])
        .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
        .build()
        .unwrap();
    let text = debugprint(&train.fgraph_outputs().unwrap());
    assert!(text.contains("sigmoid"), "{text}");
    // elementwise fusion: the loss and update arithmetic runs in fused kernels
    assert!(text.contains("Elemwise{Composite{"), "{text}");
    if std::env::var_os("SHOW_GRAPH").is_some() {
        eprintln!("{text}");
    }
    let predict = function(&[x], &m.prediction).unwrap();
    for _ in 0..1000 {
        let out = train.call_refs(&[&d0, &d1]).unwrap();
        assert!(out[1].to_f64_vec().iter().all(|v| v.is_finite()));
    }
    assert!(w
        .get_value()
        .unwrap()
        .to_f64_vec()
        .iter()
        .all(|v| v.is_finite()));
    let pred = predict.call_refs(&[&d0]).unwrap().remove(0);
    let correct = pred
        .to_i64_vec()
        .iter()
        .zip(d1.to_i64_vec())
        .filter(|(p, t)| **p == *t)
        .count();
    assert_eq!(correct, n, "training accuracy {correct}/{n}");
}

/// The seed's train function, optimized: the stabilized sigmoid/softplus forms, fused
/// Composite nodes, and the w update `w - 0.1 * (dot(x.T, g) + 0.02 * w)` as one in-place
/// Gemv on w (`fill(sqr(w), 0.01)` of the L2 term's gradient sunk and dropped by its shape,
/// then `gemm_from_sum` folds the whole update: beta = 1 - 0.1 * 0.02 = 0.998).
#[test]
fn seed_train_function_optimized_graph() {
    // the notebook's formula, verbatim (tests/common)
    let m = seed_model(Tensor::from_shape_vec(&[784], vec![0.0; 784]).unwrap());
    let train = compile(&[&m.x, &m.y], [&m.prediction, &m.xent])
        .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
        .build()
        .unwrap();
    let text = debugprint(&train.fgraph_outputs().unwrap());
    assert!(text.contains("sigmoid [id"), "{text}");
    assert!(text.contains("softplus"), "{text}");
    assert!(text.contains("Elemwise{Composite{"), "{text}");
    assert!(!text.contains("second"), "{text}");
    // the w update (the third output) is Gemv{inplace}(w, -0.1, x.T, g, 0.998)
    let w_update = text
        .lines()
        .find(|l| !l.starts_with(' ') && l.starts_with("Gemv{inplace}"))
        .expect("the w update is a Gemv");
    let i = text.find(w_update).unwrap();
    assert!(
        text[i..].lines().nth(1).unwrap().contains("|w [id"),
        "{text}"
    );
    expect![[r#"
        Elemwise{gt,no_inplace} [id A] ''   
         |sigmoid [id B] ''   
         | |Elemwise{neg,no_inplace} [id C] ''   
         |   |Elemwise{Sub}[(0, 0)] [id D] ''   
         |     |Gemv{inplace} [id E] ''   
         |     | |AllocEmpty{dtype='float64'} [id F] ''   
         |     | | |Shape_i{0} [id G] ''   
         |     | |   |x [id H]
         |     | |TensorConstant{-1.0} [id I]
         |     | |x [id H]
         |     | |w [id J]
         |     | |TensorConstant{0.0} [id K]
         |     |InplaceDimShuffle{x} [id L] ''   
         |       |b [id M]
         |TensorConstant{(1,) of 0.5} [id N]
        Elemwise{Composite{(((-i0) * (-scalar_softplus(i1))) - (i2 * (-scalar_softplus(i3))))}} [id O] ''   
         |y [id P]
         |Elemwise{Sub}[(0, 0)] [id D] ''   
         |Elemwise{sub,no_inplace} [id Q] ''   
         | |TensorConstant{(1,) of 1} [id R]
         | |y [id P]
         |Elemwise{neg,no_inplace} [id C] ''   
        Gemv{inplace} [id S] ''   
         |w [id J]
         |TensorConstant{-0.1} [id T]
         |InplaceDimShuffle{1,0} [id U] ''   
         | |x [id H]
         |Elemwise{Composite{((-((i0 * scalar_sigmoid(i1)) / i2)) - (-((i3 * i4) / i2)))}} [id V] ''   
         | |y [id P]
         | |Elemwise{Sub}[(0, 0)] [id D] ''   
         | |Elemwise{Composite{Cast{float64}(Switch(EQ(i0, i1), i2, i0))}} [id W] ''   
         | | |InplaceDimShuffle{x} [id X] ''   
         | | | |Shape_i{0} [id Y] ''   
         | | |   |y [id P]
         | | |TensorConstant{(1,) of 1} [id Z]
         | | |InplaceDimShuffle{x} [id BA] ''   
         | |   |Shape_i{0} [id G] ''   
         | |Elemwise{sub,no_inplace} [id Q] ''   
         | |sigmoid [id B] ''   
         |TensorConstant{0.998} [id BB]
        Elemwise{Composite{(i0 - (i1 * identity(i2)))}}[(0, 0)] [id BC] ''   
         |b [id M]
         |TensorConstant{0.1} [id BD]
         |Sum{acc_dtype=float64} [id BE] ''   
           |Elemwise{Composite{((-((i0 * scalar_sigmoid(i1)) / i2)) - (-((i3 * i4) / i2)))}} [id V] ''   
    "#]]
    .assert_eq(&text);
}
