//! Notebook cell 39: the optimized gradient of x**2 is `(TensorConstant{2.0} * x)`; and the
//! seed's logistic regression, with the notebook's formula verbatim, trains to 100% through
//! the stabilize rewrites.

mod common;

use common::randn;
use theano::tensor as T;
use theano::{compile, debugprint, function, grad, grad1, pp, shared_named, Mode, Tensor};

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
    let x = T::dmatrix("x");
    let y = T::dvector("y");
    let w = shared_named(
        Tensor::from_shape_vec(&[feats], randn(&mut seed, feats)).unwrap(),
        "w",
    );
    let b = shared_named(0., "b");
    let p_1 = 1 / (1 + T::exp(-T::dot(&x, &w).unwrap() - &b));
    let prediction = T::gt(&p_1, 0.5);
    let xent = -&y * T::log(&p_1) - (1 - &y) * T::log(1 - &p_1);
    let cost = xent.mean() + 0.01 * w.pow(2).sum();
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    let train = compile(&[&x, &y], [&prediction, &xent])
        .updates([(&w, &w - 0.1 * &g[0]), (&b, &b - 0.1 * &g[1])])
        .build()
        .unwrap();
    let text = debugprint(&train.fgraph_outputs().unwrap());
    assert!(text.contains("sigmoid"), "{text}");
    // elementwise fusion: the loss and update arithmetic runs in fused kernels
    assert!(text.contains("Elemwise{Composite{"), "{text}");
    if std::env::var_os("SHOW_GRAPH").is_some() {
        eprintln!("{text}");
    }
    let predict = function(&[&x], &prediction).unwrap();
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
