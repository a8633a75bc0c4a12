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

/// `grad_clip` and `grad_scale` (Theano's `GradClip`, `GradScale`): identities whose
/// gradients are clipped or scaled; graphs, gradient graph and values as Theano 1.0.5's.
#[test]
fn grad_clip_and_grad_scale() {
    let x = T::dvector("x");
    let y = theano::grad_clip(&x, -0.5, 1.0).unwrap();
    let z = theano::grad_scale(&x, 3.0);
    assert_eq!(
        theano::debugprint(&[y.clone(), z.clone()]),
        "GradClip [id A] ''   \n |x [id B]\nGradScale [id C] ''   \n |x [id B]\n"
    );
    let cost = T::sum(y.pow(2i8)) + T::sum(T::exp(&z));
    let g = grad(&cost, std::slice::from_ref(&x)).unwrap().remove(0);
    assert_eq!(
        theano::debugprint(std::slice::from_ref(&g)),
        "Elemwise{add,no_inplace} [id A] ''   
 |Elemwise{clip,no_inplace} [id B] ''   
 | |Elemwise{mul} [id C] ''   
 | | |Elemwise{mul} [id D] ''   
 | | | |Elemwise{second} [id E] ''   
 | | | | |Elemwise{pow,no_inplace} [id F] ''   
 | | | | | |GradClip [id G] ''   
 | | | | | | |x [id H]
 | | | | | |InplaceDimShuffle{x} [id I] ''   
 | | | | |   |TensorConstant{2} [id J]
 | | | | |InplaceDimShuffle{x} [id K] ''   
 | | | |   |Elemwise{second,no_inplace} [id L] ''   
 | | | |     |Elemwise{add,no_inplace} [id M] ''   
 | | | |     | |Sum{acc_dtype=float64} [id N] ''   
 | | | |     | | |Elemwise{pow,no_inplace} [id F] ''   
 | | | |     | |Sum{acc_dtype=float64} [id O] ''   
 | | | |     |   |Elemwise{exp,no_inplace} [id P] ''   
 | | | |     |     |GradScale [id Q] ''   
 | | | |     |       |x [id H]
 | | | |     |TensorConstant{1.0} [id R]
 | | | |InplaceDimShuffle{x} [id I] ''   
 | | |Elemwise{pow} [id S] ''   
 | |   |GradClip [id G] ''   
 | |   |Elemwise{sub} [id T] ''   
 | |     |InplaceDimShuffle{x} [id I] ''   
 | |     |InplaceDimShuffle{x} [id U] ''   
 | |       |TensorConstant{1} [id V]
 | |InplaceDimShuffle{x} [id W] ''   
 | | |TensorConstant{-0.5} [id X]
 | |InplaceDimShuffle{x} [id Y] ''   
 |   |TensorConstant{1.0} [id Z]
 |Elemwise{mul,no_inplace} [id BA] ''   
   |InplaceDimShuffle{x} [id BB] ''   
   | |TensorConstant{3.0} [id BC]
   |Elemwise{mul} [id BD] ''   
     |Elemwise{second} [id BE] ''   
     | |Elemwise{exp,no_inplace} [id P] ''   
     | |InplaceDimShuffle{x} [id BF] ''   
     |   |Elemwise{second,no_inplace} [id L] ''   
     |Elemwise{exp} [id BG] ''   
       |GradScale [id Q] ''   
"
    );
    // Theano 1.0.5's values: cost 16.52209101, gradient [0.60363832, 4.06420827,
    // 7.04125812, 23.1671683]
    let want = [0.60363832, 4.06420827, 7.04125812, 23.1671683];
    let args = [theano::Tensor::from([-1.0, 0.2, 0.7, 2.0])];
    for got in common::run_every_linker(&[&x], &[cost, g.clone()], &args) {
        assert!((got[0].scalar_f64().unwrap() - 16.52209101).abs() < 1e-8);
        for (a, b) in got[1].to_f64_vec().iter().zip(want) {
            assert!((a - b).abs() < 1e-7, "{a} vs {b}");
        }
    }
    // the text form carries the bounds and the multiplier
    let fg =
        theano::ir::fgraph::FunctionGraph::from_outputs(std::slice::from_ref(&x), &[g]).unwrap();
    let text = fg.to_text();
    assert!(text.contains("GradClip{lower=-0.5, upper=1.0}"), "{text}");
    assert!(text.contains("GradScale{multiplier=3.0}"), "{text}");
    let back = theano::ir::fgraph::FunctionGraph::parse(&text).unwrap();
    assert_eq!(back.to_text(), text);
    let bad = text.replace("upper=1.0", "upper=-1.0");
    assert!(theano::ir::fgraph::FunctionGraph::parse(&bad).is_err());
    // Theano asserts the bounds' order
    let e = theano::grad_clip(&x, 1.0, -1.0).unwrap_err().to_string();
    assert!(
        e.contains("upper bound -1 is below the lower bound 1"),
        "{e}"
    );
}
