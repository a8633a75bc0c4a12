//! The tutorial notebook's graph cells (2-8 and 26-36), with what Theano 1.0 printed.

use theano::tensor as T;
use theano::{pp, Op, Tensor, Variable};

/// In [2]-[6]: typed symbols; `x.type is T.dscalar`.
#[test]
fn cells_2_to_6_types() {
    let x = T::dscalar("x");
    let y = T::dscalar("y");
    // In [3]: type(x) is a TensorVariable: here, a `Variable`.
    let _: &Variable = &x;
    // In [4]: x.type -> TensorType(float64, scalar)
    assert_eq!(x.ty().to_string(), "TensorType(float64, scalar)");
    assert_eq!(format!("{:?}", x.ty()), "TensorType(float64, scalar)");
    // In [5]: T.dscalar -> TensorType(float64, scalar)
    assert_eq!(T::DSCALAR.to_string(), "TensorType(float64, scalar)");
    // In [6]: x.type is T.dscalar -> True
    assert!(x.ty() == T::DSCALAR);
    assert!(y.ty() == T::DSCALAR);
    assert_eq!(x.to_string(), "x");
}

/// In [7]-[8]: `z = x + y`, `print(pp(z))` -> `(x + y)`.
#[test]
fn cells_7_8_pp_of_a_sum() {
    let x = T::dscalar("x");
    let y = T::dscalar("y");
    let z = &x + &y;
    assert_eq!(pp(&z), "(x + y)");
    assert_eq!(z.ty(), T::DSCALAR);
}

/// In [26]: `z = x + y` on matrices: one Apply of Elemwise{add} with inputs x and y.
#[test]
fn cell_26_matrix_sum_structure() {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    let z = &x + &y;
    assert_eq!(pp(&z), "(x + y)");
    assert!(x.owner().is_none() && y.owner().is_none());
    let a = z.owner().unwrap();
    assert_eq!(a.op().name(), "Elemwise{add,no_inplace}");
    assert_eq!(a.inputs(), &[x, y]);
    assert_eq!(a.outputs(), vec![z.clone()]);
    assert_eq!(z.ty().to_string(), "TensorType(float64, matrix)");
}

/// In [27]-[36]: traversing `y = x * 2`.
#[test]
fn cells_27_to_36_traversing_the_graph() {
    // In [27]
    let x = T::dmatrix("x");
    let y = &x * 2;
    // In [28]: type(y.owner) is an Apply
    let owner = y.owner().expect("y is computed by an Apply node");
    // In [29]: y.owner.op.name -> 'Elemwise{mul,no_inplace}'
    assert_eq!(owner.op().name(), "Elemwise{mul,no_inplace}");
    // In [30]: len(y.owner.inputs) -> 2
    assert_eq!(owner.inputs().len(), 2);
    // In [31]: y.owner.inputs[0] -> x
    assert_eq!(format!("{:?}", owner.inputs()[0]), "x");
    assert_eq!(owner.inputs()[0], x);
    // In [32]: y.owner.inputs[1] -> InplaceDimShuffle{x,x}.0
    let two = &owner.inputs()[1];
    assert_eq!(format!("{two:?}"), "InplaceDimShuffle{x,x}.0");
    // In [33]: type(y.owner.inputs[1]) is a TensorVariable
    let _: &Variable = two;
    // In [34]: type(y.owner.inputs[1].owner) is an Apply
    let ds = two
        .owner()
        .expect("the broadcast 2 is computed by an Apply node");
    // In [35]: y.owner.inputs[1].owner.op is a DimShuffle
    assert!(matches!(ds.op(), Op::DimShuffle { .. }));
    assert_eq!(ds.op().to_string(), "InplaceDimShuffle{x,x}");
    // In [36]: y.owner.inputs[1].owner.inputs -> [TensorConstant{2}]
    assert_eq!(format!("{:?}", ds.inputs()), "[TensorConstant{2}]");
    assert_eq!(ds.inputs()[0].ty().to_string(), "TensorType(int8, scalar)");
    // pp hides the broadcast, as Theano's DimShufflePrinter does.
    assert_eq!(pp(&y), "(x * TensorConstant{2})");
}

/// In [38]-[39]: the gradient of `x ** 2` as Theano's grad builds it, and its optimized form.
#[test]
fn cells_38_39_gradient_strings() {
    let x = T::dscalar("x");
    let two = T::try_constant(Tensor::scalar(2i8)).unwrap();
    let y = x.pow(&two);
    let gy = (T::fill(&y, T::try_constant(Tensor::scalar(1.0f64)).unwrap()) * &two)
        * x.pow(&two - T::try_constant(Tensor::scalar(1i8)).unwrap());
    assert_eq!(
        pp(&gy),
        "((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * TensorConstant{2}) * \
         (x ** (TensorConstant{2} - TensorConstant{1})))"
    );
    assert_eq!(
        pp(&(T::try_constant(Tensor::scalar(2.0f64)).unwrap() * &x)),
        "(TensorConstant{2.0} * x)"
    );
}

#[test]
fn facade_reexports_debugprint() {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    assert_eq!(
        theano::debugprint(&[&x + &y]),
        "Elemwise{add,no_inplace} [id A] ''   \n |x [id B]\n |y [id C]\n"
    );
}
