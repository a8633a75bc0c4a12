use theano_ir::tensor as T;
use theano_ir::{DType, TensorType};

#[test]
fn notebook_graph_structure() {
    let x = T::dscalar("x");
    assert_eq!(x.ty(), T::DSCALAR);
    assert_eq!(x.ty().to_string(), "TensorType(float64, scalar)");
    let x = T::dmatrix("x");
    let y = &x * 2;
    let owner = y.owner().unwrap();
    assert_eq!(owner.op().name(), "Elemwise{mul,no_inplace}");
    assert_eq!(owner.inputs().len(), 2);
    assert_eq!(owner.inputs()[0].to_string(), "x");
    assert_eq!(owner.inputs()[1].to_string(), "InplaceDimShuffle{x,x}.0");
    let ds = owner.inputs()[1].owner().unwrap();
    assert_eq!(ds.op().to_string(), "InplaceDimShuffle{x,x}");
    assert_eq!(format!("{:?}", ds.inputs()), "[TensorConstant{2}]");
    assert_eq!(ds.inputs()[0].ty(), TensorType::scalar(DType::Int8));
}

#[test]
fn bad_dot_names_types_and_line() {
    let a = T::dmatrix("a");
    let b = T::dtensor3("b");
    // T::dot of a 3-d tensor is Theano's tensordot; the Dot op refuses it
    let line = line!() + 1;
    let e = T::apply_op(theano_ir::Op::Dot, vec![a.clone(), b.clone()]).unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("TensorType(float64, matrix)") && s.contains("TensorType(float64, 3D)"),
        "{s}"
    );
    assert!(s.contains(&format!("build_smoke.rs:{line}:")), "{s}");
}
