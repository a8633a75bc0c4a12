//! Notebook cell 38: the gradient of x**2, printed before optimization, and its value; and the
//! seed's logistic regression trained for 100 steps on scaled data (the cost falls every step).

mod common;

use common::{randn, seed_model};
use theano::tensor as T;
use theano::{compile, function, grad1, pp, Tensor};

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
    // the notebook's formula, verbatim (tests/common)
    let m = seed_model(Tensor::from_shape_vec(&[feats], randn(&mut seed, feats)).unwrap());
    let train = compile(&[&m.x, &m.y], [&m.prediction, &m.xent, &m.cost])
        .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
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
