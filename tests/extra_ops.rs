//! Theano's `extra_ops.to_one_hot`, `squeeze` and `bincount`: graphs built node for node as
//! Theano 1.0.5 builds them (the debugprints below were printed by the real Theano 1.0.5),
//! their values on every backend, their refusals, and the gradient through `bincount`'s
//! weights.

use theano::tensor as T;
use theano::{DType, Tensor, TensorType, Variable};
use theano_grad::{verify_grad, Rng, VerifyGradOptions};

mod common;
use common::eval_compiled as eval;

fn dp(v: &Variable) -> String {
    theano::debugprint(std::slice::from_ref(v))
}

#[test]
fn graphs_are_theanos() {
    let y = T::lvector("y");
    let want = "AdvancedIncSubtensor{inplace=False,  set_instead_of_inc=True} [id A] ''   
 |Alloc [id B] ''   
 | |TensorConstant{0.0} [id C]
 | |Subtensor{int64} [id D] ''   
 | | |Shape [id E] ''   
 | | | |y [id F]
 | | |Constant{0} [id G]
 | |TensorConstant{4} [id H]
 |TensorConstant{1} [id I]
 |ARange{dtype='int64'} [id J] ''   
 | |TensorConstant{0} [id K]
 | |Subtensor{int64} [id L] ''   
 | | |Shape [id M] ''   
 | | | |y [id F]
 | | |Constant{0} [id N]
 | |TensorConstant{1} [id I]
 |y [id F]
";
    assert_eq!(dp(&T::to_one_hot(&y, 4, None).unwrap()), want);
    let int32 = T::to_one_hot(&y, 4, Some(DType::Int32)).unwrap();
    assert_eq!(
        dp(&int32),
        want.replace("TensorConstant{0.0} [id C]", "TensorConstant{0} [id C]")
    );
    assert_eq!(int32.dtype(), DType::Int32);
    let x = T::input(
        TensorType::new(DType::Float64, &[false, true, false, true]).unwrap(),
        "x",
    );
    assert_eq!(
        dp(&T::squeeze(&x, None).unwrap()),
        "InplaceDimShuffle{0,2} [id A] ''   \n |x [id B]\n"
    );
    let xi = T::lvector("xi");
    assert_eq!(
        dp(&T::bincount(&xi, None, None, false).unwrap()),
        "AdvancedIncSubtensor1{no_inplace,inc} [id A] ''   
 |Alloc [id B] ''   
 | |TensorConstant{0} [id C]
 | |Elemwise{add,no_inplace} [id D] ''   
 |   |MaxAndArgmax{axis=(0,)}.0 [id E] 'max'   
 |   | |xi [id F]
 |   |TensorConstant{1} [id G]
 |TensorConstant{1} [id G]
 |xi [id F]
"
    );
    let w = T::dvector("w");
    assert_eq!(
        dp(&T::bincount(&xi, Some(&w), Some(7), false).unwrap()),
        "AdvancedIncSubtensor1{no_inplace,inc} [id A] ''   
 |Alloc [id B] ''   
 | |TensorConstant{0.0} [id C]
 | |Elemwise{maximum,no_inplace} [id D] ''   
 |   |Elemwise{add,no_inplace} [id E] ''   
 |   | |MaxAndArgmax{axis=(0,)}.0 [id F] 'max'   
 |   | | |xi [id G]
 |   | |TensorConstant{1} [id H]
 |   |TensorConstant{7} [id I]
 |w [id J]
 |xi [id G]
"
    );
}

#[test]
fn values_are_theanos_on_every_backend() {
    let (y, xi, w) = (T::lvector("y"), T::lvector("xi"), T::dvector("w"));
    let ids = |v: &[i64]| Tensor::from_shape_vec(&[v.len()], v.to_vec()).unwrap();
    let cases: Vec<(Vec<&Variable>, Variable, Vec<Tensor>, Tensor)> = vec![
        (
            vec![&y],
            T::to_one_hot(&y, 4, None).unwrap(),
            vec![ids(&[0, 3, 1])],
            Tensor::from_f64_vec(
                DType::Float64,
                &[3, 4],
                vec![1., 0., 0., 0., 0., 0., 0., 1., 0., 1., 0., 0.],
            )
            .unwrap(),
        ),
        (
            vec![&xi],
            T::bincount(&xi, None, None, false).unwrap(),
            vec![ids(&[0, 3, 1, 3, 3])],
            ids(&[1, 1, 0, 3]),
        ),
        (
            vec![&xi, &w],
            T::bincount(&xi, Some(&w), Some(7), false).unwrap(),
            vec![
                ids(&[0, 3, 1, 3, 3]),
                Tensor::from(vec![0.5, 1.0, 2.0, 3.0, 4.0]),
            ],
            Tensor::from(vec![0.5, 2.0, 0.0, 8.0, 0.0, 0.0, 0.0]),
        ),
        // a negative value counts from the end (Theano without assert_nonneg)
        (
            vec![&xi],
            T::bincount(&xi, None, None, false).unwrap(),
            vec![ids(&[0, -1])],
            ids(&[2]),
        ),
    ];
    for (ins, out, args, want) in cases {
        for got in common::run_every_linker(&ins, std::slice::from_ref(&out), &args) {
            assert_eq!(got[0].dtype(), want.dtype(), "{out}");
            assert_eq!(got[0].shape(), want.shape(), "{out}");
            assert_eq!(got[0].to_f64_vec(), want.to_f64_vec(), "{out}");
        }
    }
    let x = T::input(
        TensorType::new(DType::Float64, &[false, true, false, true]).unwrap(),
        "x",
    );
    let s = eval(
        std::slice::from_ref(&x),
        &T::squeeze(&x, Some(&[1])).unwrap(),
        &[Tensor::zeros(DType::Float64, &[2, 1, 3, 1])],
    )
    .unwrap();
    assert_eq!(s.shape(), &[2, 3, 1]);
}

#[test]
fn refusals_are_theanos() {
    let y = T::lvector("y");
    let f = theano::compile(&[&y], T::to_one_hot(&y, 4, None).unwrap())
        .build()
        .unwrap();
    let e = f
        .call(&[Tensor::from_shape_vec(&[2], vec![0i64, 5]).unwrap()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("index 5 is out of bounds for axis 1 with size 4"),
        "{e}"
    );
    let e = T::bincount(T::lmatrix("m"), None, None, false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("Inputs must be of dimension 1"), "{e}");
    assert!(T::to_one_hot(T::dvector("f"), 3, None).is_err());
}

/// `bincount`'s weights carry the gradient: d/dw sum(bincount(x, w) * c) = c[x].
#[test]
fn gradient_through_the_weights() {
    let x = Variable::constant_bounded(
        Tensor::from_shape_vec(&[6], vec![2i64, 0, 2, 5, 1, 2]).unwrap(),
    );
    let mut rng = Rng::new(2);
    let w0 = rng.tensor(DType::Float64, &[6], -1.0, 1.0);
    verify_grad(
        move |i| T::bincount(&x, Some(&i[0]), Some(8), false).unwrap(),
        &[w0],
        eval,
        &VerifyGradOptions::default(),
    )
    .unwrap();
}
