//! Impossible graphs are refused with a `GraphError` naming the op, every input type, what was
//! wrong and the user's line; nothing panics.

use expect_test::expect;
use theano_ir::tensor::{self as T, Idx};
use theano_ir::{GraphError, Result, Tensor, Variable};

/// Check an error: op name, input types (Display), a message fragment, and the location.
#[track_caller]
fn chk(r: Result<Variable>, line: u32, op: &str, tys: &[&str], msg: &str) -> GraphError {
    let e = match r {
        Ok(v) => panic!("expected an error from {op}, got a {}", v.ty()),
        Err(e) => e,
    };
    assert_eq!(e.op, op, "{e}");
    let got: Vec<String> = e.input_types.iter().map(|t| t.to_string()).collect();
    assert_eq!(got, tys, "{e}");
    assert!(
        e.message.contains(msg),
        "message {:?} lacks {msg:?}",
        e.message
    );
    assert!(e.location.file().ends_with("build_errors.rs"), "{e}");
    assert_eq!(e.location.line(), line, "{e}");
    let s = e.to_string();
    assert!(
        s.contains(op) && s.contains(&format!("build_errors.rs:{line}:")),
        "{s}"
    );
    for t in tys {
        assert!(s.contains(t), "{s}");
    }
    e
}

const DM: &str = "TensorType(float64, matrix)";
const DV: &str = "TensorType(float64, vector)";
const DS: &str = "TensorType(float64, scalar)";
const D3: &str = "TensorType(float64, 3D)";
const IM: &str = "TensorType(int32, matrix)";
const IV: &str = "TensorType(int32, vector)";
const IS: &str = "TensorType(int32, scalar)";
const LS: &str = "TensorType(int64, scalar)";
const B8: &str = "TensorType(int8, scalar)";

#[test]
fn dot_errors() {
    // T::dot of more than 2 dimensions is Theano's tensordot; the Dot op itself refuses them
    let (a, b) = (T::dmatrix("a"), T::dtensor3("b"));
    // the node records the line of the closure's body
    let l = line!() + 2;
    let dot_op = |x: &Variable, y: &Variable| -> Result<Variable> {
        T::apply_op(theano_ir::Op::Dot, vec![x.clone(), y.clone()]).map(|mut v| v.remove(0))
    };
    assert_eq!(T::dot(&a, &b).unwrap().ndim(), 3);
    let r = dot_op(&a, &b);
    chk(
        r,
        l,
        "dot",
        &[DM, D3],
        "needs vectors or matrices (ndim 1 or 2), got ndim",
    );
    let r = dot_op(&b, &b);
    chk(
        r,
        l,
        "dot",
        &[D3, D3],
        "needs vectors or matrices (ndim 1 or 2), got ndim",
    );
}

#[test]
fn indexing_errors() {
    let (m, v, s, iv) = (
        T::dmatrix("m"),
        T::dvector("v"),
        T::dscalar("s"),
        T::ivector("iv"),
    );
    let l = line!() + 1;
    let r = m.at(&s);
    chk(
        r,
        l,
        "Subtensor",
        &[DM, DS],
        "an index must be an integer scalar",
    );
    let l = line!() + 1;
    let r = v.slice_rows(&s, 2);
    chk(
        r,
        l,
        "Subtensor",
        &[DV, DS],
        "a slice start must be an integer scalar",
    );
    let l = line!() + 1;
    let r = v.get(&[Idx::slice(None, Some(T::fscalar("f")), None)]);
    chk(
        r,
        l,
        "Subtensor",
        &[DV, "TensorType(float32, scalar)"],
        "a slice stop must be",
    );
    let l = line!() + 1;
    let r = m.get(&[(&iv).into(), Idx::range(0, 2)]);
    chk(r, l, "AdvancedSubtensor", &[DM, IV], "only full slices");
    let l = line!() + 1;
    let r = v.get(&[0.into(), 1.into()]);
    chk(
        r,
        l,
        "Subtensor{int64, int64}",
        &[DV, LS, LS],
        "too many indices (2)",
    );
    let l = line!() + 1;
    let r = m.at(&v);
    chk(
        r,
        l,
        "AdvancedSubtensor1",
        &[DM, DV],
        "index must be an integer tensor",
    );
    let l = line!() + 1;
    let r = m.get(&[(&v).into(), (&iv).into()]);
    chk(
        r,
        l,
        "AdvancedSubtensor{int, int}",
        &[DM, DV, IV],
        "index arrays must be integer",
    );
    let l = line!() + 1;
    let r = v.get(&[(&iv).into(), (&iv).into()]);
    chk(
        r,
        l,
        "AdvancedSubtensor{int, int}",
        &[DV, IV, IV],
        "too many indices (2)",
    );
    let l = line!() + 1;
    let r = s.at(&iv);
    chk(
        r,
        l,
        "AdvancedSubtensor{int}",
        &[DS, IV],
        "too many indices (1)",
    );
}

#[test]
fn bitwise_errors() {
    let (m, v, s) = (T::dmatrix("m"), T::fvector("v"), T::dscalar("s"));
    let iv = T::ivector("iv");
    let l = line!() + 1;
    let r = T::and_(&m, &m);
    chk(
        r,
        l,
        "Elemwise{and_,no_inplace}",
        &[DM, DM],
        "and_ needs integer or bool inputs, got float64",
    );
    let l = line!() + 1;
    let r = T::or_(&v, &iv);
    chk(
        r,
        l,
        "Elemwise{or_,no_inplace}",
        &["TensorType(float32, vector)", IV],
        "got float32",
    );
    let l = line!() + 1;
    let r = T::xor(&s, 1);
    chk(
        r,
        l,
        "Elemwise{xor,no_inplace}",
        &[DS, B8],
        "xor needs integer or bool inputs",
    );
    let l = line!() + 1;
    let r = T::invert(&m);
    chk(
        r,
        l,
        "Elemwise{invert,no_inplace}",
        &[DM],
        "invert needs integer or bool inputs",
    );
    let l = line!() + 1;
    let r = T::not_(&s);
    chk(
        r,
        l,
        "Elemwise{invert,no_inplace}",
        &[DS],
        "needs integer or bool inputs",
    );
    // Theano's BinaryBitOp: bool mixed with an integer is refused.
    let l = line!() + 1;
    let r = T::and_(T::gt(&iv, 0), &iv);
    chk(
        r,
        l,
        "Elemwise{and_,no_inplace}",
        &["TensorType(bool, vector)", IV],
        "all-integer or all-bool",
    );
}

#[test]
fn reduction_and_layout_errors() {
    let (m, v, t3) = (T::dmatrix("m"), T::dvector("v"), T::dtensor3("t"));
    let l = line!() + 1;
    let r = T::sum_axes(&m, Some(&[2]), false);
    chk(r, l, "Sum{axis=[2]}", &[DM], "axis 2 out of range");
    let l = line!() + 1;
    let r = T::mean(&m, Some(&[0, 0]), false);
    chk(r, l, "Sum{axis=[0, 0]}", &[DM], "repeated axis");
    let l = line!() + 1;
    let r = T::max(&v, Some(&[1]), true);
    chk(
        r,
        l,
        "MaxAndArgmax{axis=(1,)}",
        &[DV],
        "axis 1 out of range",
    );
    let l = line!() + 1;
    let r = T::argmax(&m, Some(&[1, 1]), false);
    chk(r, l, "MaxAndArgmax{axis=(1, 1)}", &[DM], "repeated axis");
    let l = line!() + 1;
    let r = m.dimshuffle(&[Some(0)]);
    chk(
        r,
        l,
        "InplaceDimShuffle{0}",
        &[DM],
        "cannot drop non-broadcastable dimension 1",
    );
    let l = line!() + 1;
    let r = T::dimshuffle(&v, &[Some(1)]);
    chk(r, l, "InplaceDimShuffle{1}", &[DV], "bad dimension 1");
    let l = line!() + 1;
    let r = T::dimshuffle(&m, &[Some(0), Some(0)]);
    chk(r, l, "InplaceDimShuffle{0,0}", &[DM], "bad dimension 0");
    let l = line!() + 1;
    let r = T::transpose(&t3, Some(&[1, 0]));
    chk(r, l, "transpose", &[D3], "must list all 3 dimensions");
    let l = line!() + 1;
    let r = T::reshape(&m, vec![T::dscalar("n")]);
    chk(
        r,
        l,
        "reshape",
        &[DS],
        "shape entries must be integer scalars",
    );
    let l = line!() + 1;
    let r = m.reshape(&T::fvector("shp"));
    chk(
        r,
        l,
        "reshape",
        &["TensorType(float32, vector)"],
        "the shape must be an integer vector",
    );
    let l = line!() + 1;
    let r = m.reshape(&T::lvector("shp"));
    chk(
        r,
        l,
        "reshape",
        &["TensorType(int64, vector)"],
        "no static length",
    );
    let l = line!() + 1;
    let r = T::shape_i(&v, 1);
    chk(r, l, "Shape_i{1}", &[DV], "dimension 1 out of range");
    let l = line!() + 1;
    let r = T::flatten(&m, 0);
    chk(r, l, "flatten", &[DM], "outdim 0 out of bound [1, 3)");
    let l = line!() + 1;
    let r = m.flatten(3);
    chk(r, l, "flatten", &[DM], "outdim 3 out of bound [1, 3)");
    // more than MAX_NDIM dimensions: an error, not a panic
    let mut order = vec![None; 40];
    order[0] = Some(0);
    let l = line!() + 1;
    let r = v.dimshuffle(&order);
    let e = chk(
        r,
        l,
        &v.dimshuffle(&order).unwrap_err().op,
        &[DV],
        "at most 32",
    );
    assert!(e.op.starts_with("InplaceDimShuffle{0,x,x"));
    let l = line!() + 1;
    let r = v.reshape(vec![1i64; 33]);
    chk(
        r,
        l,
        "Reshape{33}",
        &[DV, "TensorType(int64, vector)"],
        "33 dimensions",
    );
}

#[test]
fn join_alloc_arange_errors() {
    let (m, v, s, is) = (
        T::dmatrix("m"),
        T::dvector("v"),
        T::dscalar("s"),
        T::iscalar("i"),
    );
    let l = line!() + 1;
    let r = T::concatenate(&[m.clone(), v.clone()], 0);
    chk(r, l, "Join{axis=0}", &[DM, DV], "same ndim");
    let l = line!() + 1;
    let r = T::concatenate(&[v.clone(), v.clone()], 1);
    chk(r, l, "Join{axis=1}", &[DV, DV], "axis 1 out of range");
    let l = line!() + 1;
    let r = T::concatenate(&[s.clone(), s.clone()], 0);
    chk(r, l, "Join{axis=0}", &[DS, DS], "axis 0 out of range");
    let l = line!() + 1;
    let r = T::stack(&[v.clone(), v.clone()], 2);
    chk(r, l, "stack", &[DV], "axis 2 out of range");
    let l = line!() + 1;
    let r = T::alloc(&s, std::slice::from_ref(&s));
    chk(
        r,
        l,
        "Alloc",
        &[DS, DS],
        "each shape entry must be an integer scalar",
    );
    let l = line!() + 1;
    let r = T::alloc(&m, std::slice::from_ref(&is));
    chk(
        r,
        l,
        "Alloc",
        &[DM, IS],
        "more dimensions than the shape (1)",
    );
    let l = line!() + 1;
    let r = T::alloc(&v, &[T::ivector("n")]);
    chk(r, l, "Alloc", &[DV, IV], "must be an integer scalar");
    let l = line!() + 1;
    let r = T::arange(&m);
    chk(
        r,
        l,
        "ARange{dtype='float64'}",
        &[B8, DM, B8],
        "stop must be a scalar",
    );
    let l = line!() + 1;
    let r = T::arange_full(&v, 10, 1);
    chk(
        r,
        l,
        "ARange{dtype='float64'}",
        &[DV, B8, B8],
        "start must be a scalar",
    );
}

#[test]
fn set_subtensor_errors() {
    let (m, v, im, iv) = (
        T::dmatrix("m"),
        T::dvector("v"),
        T::imatrix("im"),
        T::ivector("iv"),
    );
    let l = line!() + 1;
    let r = T::set_subtensor(&m, 0);
    chk(
        r,
        l,
        "set_subtensor",
        &[DM, B8],
        "must be an indexing result",
    );
    let l = line!() + 1;
    let r = T::inc_subtensor(&T::exp(&m), &v);
    chk(
        r,
        l,
        "inc_subtensor",
        &[DM, DV],
        "got an output of Elemwise{exp,no_inplace}",
    );
    let row = m.at(0).unwrap();
    let l = line!() + 1;
    let r = T::set_subtensor(&row, &m);
    chk(
        r,
        l,
        "IncSubtensor{Set;int64}",
        &[DM, DM, LS],
        "more dimensions than the indexed region",
    );
    let irow = im.at(0).unwrap();
    let l = line!() + 1;
    let r = T::set_subtensor(&irow, &v);
    chk(
        r,
        l,
        "IncSubtensor{Set;int64}",
        &[IM, DV, LS],
        "float64 cannot be stored into int32",
    );
    let l = line!() + 1;
    let r = T::inc_subtensor(&im.at(&iv).unwrap(), 1.5);
    chk(
        r,
        l,
        "AdvancedIncSubtensor1{no_inplace,inc}",
        &[IM, "TensorType(float32, scalar)", IV],
        "cannot be stored into int32",
    );
    let l = line!() + 1;
    let r = T::set_subtensor(&m.get(&[(&iv).into(), (&iv).into()]).unwrap(), &m);
    chk(
        r,
        l,
        "AdvancedIncSubtensor{no_inplace,set;int, int}",
        &[DM, DM, IV, IV],
        "more dimensions",
    );
}

#[test]
fn softmax_errors() {
    let l = line!() + 1;
    let r = T::softmax(T::imatrix("x"));
    chk(r, l, "Softmax", &[IM], "1-d or 2-d tensor of floats");
    let l = line!() + 1;
    let r = T::softmax(T::dscalar("x"));
    chk(r, l, "Softmax", &[DS], "1-d or 2-d tensor of floats");
    let l = line!() + 1;
    let r = T::log_softmax(T::dtensor3("x"));
    chk(r, l, "LogSoftmax", &[D3], "1-d or 2-d tensor of floats");
    let l = line!() + 1;
    let r = T::log_softmax(T::ivector("x"));
    chk(r, l, "LogSoftmax", &[IV], "got TensorType(int32, vector)");
}

#[test]
fn display_of_an_error() {
    let a = T::dmatrix("a");
    let b = T::dtensor3("b");
    let e = T::apply_op(theano_ir::Op::Dot, vec![a.clone(), b.clone()]).unwrap_err();
    expect!["dot: needs vectors or matrices (ndim 1 or 2), got ndim 2 and 3; input types: [TensorType(float64, matrix), TensorType(float64, 3D)] (node built at crates/ir/tests/build_errors.rs:466:13)"].assert_eq(&e.to_string());
    // a constant operand shows its type too
    let c = T::try_constant(Tensor::zeros(theano_ir::DType::Float64, &[2, 2, 2])).unwrap();
    let e = T::apply_op(theano_ir::Op::Dot, vec![a.clone(), c]).unwrap_err();
    assert!(e.to_string().contains("TensorType(float64, 3D)"), "{e}");
}

#[test]
fn crossentropy_errors_name_the_argument() {
    const XENT: &str = "CrossentropySoftmaxArgmax1HotWithBias";
    const DX: &str = "CrossentropySoftmax1HotWithBiasDx";
    let (m, v, y, im) = (
        T::dmatrix("m"),
        T::dvector("v"),
        T::ivector("y"),
        T::imatrix("im"),
    );
    let nll = |r: Result<(Variable, Variable, Variable)>| r.map(|t| t.0);
    let l = line!() + 1;
    let r = nll(T::crossentropy_softmax_argmax_1hot_with_bias(&v, &v, &y));
    chk(
        r,
        l,
        XENT,
        &[DV, DV, IV],
        "x (the logits) must be a float matrix, got",
    );
    let l = line!() + 1;
    let r = nll(T::crossentropy_softmax_argmax_1hot_with_bias(&im, &v, &y));
    chk(
        r,
        l,
        XENT,
        &[IM, DV, IV],
        "x (the logits) must be a float matrix",
    );
    let l = line!() + 1;
    let r = nll(T::crossentropy_softmax_argmax_1hot_with_bias(&m, &m, &y));
    chk(
        r,
        l,
        XENT,
        &[DM, DM, IV],
        "b (the bias) must be a float vector",
    );
    let l = line!() + 1;
    let r = nll(T::crossentropy_softmax_argmax_1hot_with_bias(&m, &v, &v));
    chk(
        r,
        l,
        XENT,
        &[DM, DV, DV],
        "y_idx (the labels) must be an integer vector",
    );
    let l = line!() + 1;
    let r = T::crossentropy_softmax_1hot(&m, &im).map(|t| t.0);
    chk(
        r,
        l,
        XENT,
        &[DM, "TensorType(float64, (True,))", IM],
        "y_idx (the labels) must be an integer vector",
    );
    let l = line!() + 1;
    let r = T::crossentropy_softmax_1hot_with_bias_dx(&m, &m, &y);
    chk(
        r,
        l,
        DX,
        &[DM, DM, IV],
        "dnll (the gradient of the nll) must be a float vector",
    );
    let l = line!() + 1;
    let r = T::crossentropy_softmax_1hot_with_bias_dx(&v, &v, &y);
    chk(
        r,
        l,
        DX,
        &[DV, DV, IV],
        "sm (the softmax) must be a float matrix",
    );
    let l = line!() + 1;
    let r = T::categorical_crossentropy(&v, &y);
    chk(
        r,
        l,
        "categorical_crossentropy",
        &[DV, IV],
        "coding_dist must be a float matrix",
    );
    let l = line!() + 1;
    let r = T::categorical_crossentropy(&m, &v);
    chk(
        r,
        l,
        "categorical_crossentropy",
        &[DM, DV],
        "true_dist must be an integer vector of labels or a float matrix",
    );
    // the accepted forms: types of all three outputs
    let (nll, sm, am) = T::crossentropy_softmax_argmax_1hot_with_bias(&m, &v, &y).unwrap();
    assert_eq!(
        [nll.ty(), sm.ty(), am.ty()].map(|t| t.to_string()),
        [DV, DM, "TensorType(int64, vector)"]
    );
    let f = T::fmatrix("f");
    let (nll32, sm32) = T::crossentropy_softmax_1hot(&f, &y).unwrap();
    assert_eq!(nll32.ty().to_string(), "TensorType(float32, vector)");
    assert_eq!(sm32.ty().to_string(), "TensorType(float32, matrix)");
}

/// `T::tensor(dtype, broadcastable, name)`: Theano's dtype names, the pattern's length as the
/// rank; an unknown name and an impossible rank are typed errors naming them.
#[test]
fn tensor_by_dtype_name() {
    let x = T::tensor("float32", &[false, true], "x").unwrap();
    assert_eq!(x.ty().to_string(), "TensorType(float32, col)");
    assert_eq!(x.name().as_deref(), Some("x"));
    assert_eq!(
        T::tensor("floatX", &[], "s").unwrap().dtype(),
        theano_ir::config::float_x()
    );
    let e = T::tensor("float128", &[false], "y")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown dtype \"float128\""), "{e}");
    let e = T::tensor("int8", &[false; 33], "z")
        .unwrap_err()
        .to_string();
    assert!(e.contains("33"), "{e}");
}
