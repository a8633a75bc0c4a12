//! Gradient graphs print as the real Theano 1.0.5's: the elementwise nodes its gradient code
//! builds without a name (`Elemwise._bgrad`'s transform, `Sum.L_op`'s `second`) print as
//! `Elemwise{mul}`, the named ones of the tensor builders as `Elemwise{mul,no_inplace}`.

use theano::tensor as T;
use theano::tensor::nlinalg;
use theano_grad::grad;

mod common;

/// `grad(sum(exp(x) * tanh(x)), x)`, printed by Theano 1.0.5 (`theano.printing.debugprint`).
#[test]
fn an_elementwise_gradient() {
    let x = T::dvector("x");
    let g = grad(&T::sum(T::exp(&x) * T::tanh(&x)), std::slice::from_ref(&x)).unwrap();
    assert_eq!(
        theano::debugprint(&g),
        "Elemwise{add,no_inplace} [id A] ''   
 |Elemwise{mul} [id B] ''   
 | |Elemwise{mul} [id C] ''   
 | | |Elemwise{second} [id D] ''   
 | | | |Elemwise{mul,no_inplace} [id E] ''   
 | | | | |Elemwise{exp,no_inplace} [id F] ''   
 | | | | | |x [id G]
 | | | | |Elemwise{tanh,no_inplace} [id H] ''   
 | | | |   |x [id G]
 | | | |InplaceDimShuffle{x} [id I] ''   
 | | |   |Elemwise{second,no_inplace} [id J] ''   
 | | |     |Sum{acc_dtype=float64} [id K] ''   
 | | |     | |Elemwise{mul,no_inplace} [id E] ''   
 | | |     |TensorConstant{1.0} [id L]
 | | |Elemwise{tanh,no_inplace} [id H] ''   
 | |Elemwise{exp} [id M] ''   
 |   |x [id G]
 |Elemwise{mul} [id N] ''   
   |Elemwise{mul} [id O] ''   
   | |Elemwise{second} [id D] ''   
   | |Elemwise{exp,no_inplace} [id F] ''   
   |Elemwise{sub} [id P] ''   
     |InplaceDimShuffle{x} [id Q] ''   
     | |TensorConstant{1} [id R]
     |Elemwise{sqr} [id S] ''   
       |Elemwise{tanh} [id T] ''   
         |x [id G]
"
    );
}

/// The gradients of `det` and `matrix_inverse`, recorded by tests/linalg/gen.py.
#[test]
fn linear_algebra_gradients() {
    let j = common::json_file("tests/linalg/linalg.json");
    let x = T::dmatrix("x");
    let g = grad(&nlinalg::det(&x).unwrap(), std::slice::from_ref(&x)).unwrap();
    assert_eq!(
        theano::debugprint(&g),
        j["grad_debugprints"]["det"].as_str().unwrap()
    );
    let g = grad(
        &T::sum(nlinalg::matrix_inverse(&x).unwrap()),
        std::slice::from_ref(&x),
    )
    .unwrap();
    assert_eq!(
        theano::debugprint(&g),
        j["grad_debugprints"]["matrix_inverse"].as_str().unwrap()
    );
}
