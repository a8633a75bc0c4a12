//! Notebook cells 9-25: function(), matrices, shared variables with updates.

use theano::tensor as T;
use theano::{compile, function, shared, Tensor};

#[test]
fn cells_9_10_add_two_scalars() {
    let x = T::dscalar("x");
    let y = T::dscalar("y");
    let z = &x + &y;
    let f = function(&[&x, &y], &z).unwrap();
    let out = f.call(&[2.into(), 3.into()]).unwrap();
    assert_eq!(format!("{:?}", out[0]), "array(5.)");
}

#[test]
fn cells_11_13_add_two_matrices() {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    let z = &x + &y;
    let f = function(&[&x, &y], &z).unwrap();
    let out = f
        .call(&[
            Tensor::from([[1, 2], [3, 4]]),
            Tensor::from([[10, 20], [30, 40]]),
        ])
        .unwrap();
    assert_eq!(
        format!("{:?}", out[0]),
        "array([[11., 22.],\n       [33., 44.]])"
    );
    let a = ndarray::array![[1i64, 2], [3, 4]];
    let b = ndarray::array![[10i64, 20], [30, 40]];
    let out = f.call(&[a.into(), b.into()]).unwrap();
    assert_eq!(
        format!("{:?}", out[0]),
        "array([[11., 22.],\n       [33., 44.]])"
    );
}

#[test]
fn cells_14_25_accumulator_and_decrementor() {
    let state = shared(0);
    assert_eq!(state.ty(), T::LSCALAR);
    let inc = T::iscalar("inc");
    let accumulator = compile(&[&inc], &state)
        .updates([(&state, &state + &inc)])
        .build()
        .unwrap();
    let mut seen = vec![];
    let get = |s: &theano::Variable| s.get_value().unwrap().to_numpy_str();
    seen.push(get(&state)); // 0
    seen.push(format!("{:?}", accumulator.call(&[1.into()]).unwrap()[0])); // array(0)
    seen.push(get(&state)); // 1
    seen.push(format!("{:?}", accumulator.call(&[300.into()]).unwrap()[0])); // array(1)
    seen.push(get(&state)); // 301
    state.set_value(-1i64).unwrap();
    seen.push(format!("{:?}", accumulator.call(&[3.into()]).unwrap()[0])); // array(-1)
    seen.push(get(&state)); // 2
    let decrementor = compile(&[&inc], &state)
        .updates([(&state, &state - &inc)])
        .build()
        .unwrap();
    seen.push(format!("{:?}", decrementor.call(&[2.into()]).unwrap()[0])); // array(2)
    seen.push(get(&state)); // 0
    assert_eq!(
        seen,
        [
            "0",
            "array(0)",
            "1",
            "array(1)",
            "301",
            "array(-1)",
            "2",
            "array(2)",
            "0"
        ]
    );
}

#[test]
fn float_shared_is_float64() {
    assert_eq!(shared(0.).ty(), T::DSCALAR);
}
