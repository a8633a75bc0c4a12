//! Notebook cell 38: the gradient of x**2, printed before optimization, and its value; and the
//! seed's logistic regression trained for 100 steps on scaled data (the cost falls every step).

mod common;

use common::randn;
use theano::tensor as T;
use theano::{compile, function, grad, grad1, pp, shared_named, Tensor};

#[test]
fn cell_38_gradient_of_x_squared() {
    let x = T::dscalar("x");
    let y = x.pow(2);
    let gy = grad1(&y, &x).unwrap();
    assert_eq!(
        pp(&gy),
        "((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * TensorConstant{2}) * (x ** (TensorConstant{2} - TensorConstant{1})))"
    );
    let f = function(&[&x], &gy).unwrap();
    let out = f.call(&[4.into()]).unwrap();
    assert_eq!(format!("{:?}", out[0]), "array(8.)");
}

#[test]
fn seed_logistic_regression_cost_decreases_every_step() {
    let (n, feats) = (400, 784);
    let mut seed = 7;
    // Scaled so that |x.w| stays far below exp's overflow: no row saturates p_1 to 0 or 1.
    let d0: Vec<f64> = randn(&mut seed, n * feats)
        .into_iter()
        .map(|v| v * 0.05)
        .collect();
    let d0 = Tensor::from_shape_vec(&[n, feats], d0).unwrap();
    let d1 = Tensor::from_shape_vec(
        &[n],
        randn(&mut seed, n)
            .into_iter()
            .map(|v| (v > 0.0) as i64 as f64)
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
    // the notebook's formula, verbatim
    let p_1 = 1 / (1 + T::exp(-T::dot(&x, &w).unwrap() - &b));
    let prediction = T::gt(&p_1, 0.5);
    let xent = -&y * T::log(&p_1) - (1 - &y) * T::log(1 - &p_1);
    let cost = xent.mean() + 0.01 * w.pow(2).sum();
    let g = grad(&cost, &[w.clone(), b.clone()]).unwrap();
    let train = compile(&[&x, &y], [&prediction, &xent, &cost])
        .updates([(&w, &w - 0.1 * &g[0]), (&b, &b - 0.1 * &g[1])])
        .build()
        .unwrap();
    let mut last = f64::INFINITY;
    for step in 0..100 {
        let out = train.call_refs(&[&d0, &d1]).unwrap();
        let c = out[2].scalar_f64().unwrap();
        assert!(
            c.is_finite() && c < last,
            "step {step}: cost {c} after {last}"
        );
        last = c;
    }
}
