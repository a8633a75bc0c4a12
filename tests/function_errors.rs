//! One test per error class of compiling and calling functions; every error raised during a
//! call leaves the shared variables exactly as they were.

use theano::tensor as T;
use theano::{compile, function, shared, shared_named, Error, OnUnused, Tensor, Variable};

fn ones(shape: &[usize]) -> Tensor {
    Tensor::full(theano::DType::Float64, shape, 1.0)
}

/// A function over x, y (dmatrix) that also updates a counter and a matrix.
fn stateful() -> (Variable, Variable, theano::Function) {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    let count = shared_named(0, "count");
    let acc =
        theano::try_shared(Tensor::zeros(theano::DType::Float64, &[2, 2]), Some("acc")).unwrap();
    let f = compile(&[&x, &y], &(&x + &y))
        .updates([(&count, &count + 1), (&acc, &acc + T::dot(&x, &y).unwrap())])
        .build()
        .unwrap();
    (count, acc, f)
}

fn assert_untouched(count: &Variable, acc: &Variable) {
    assert_eq!(count.get_value().unwrap(), Tensor::from(0i64));
    assert_eq!(
        acc.get_value().unwrap(),
        Tensor::zeros(theano::DType::Float64, &[2, 2])
    );
}

#[test]
fn stateful_call_applies_all_updates() {
    let (count, acc, f) = stateful();
    f.call(&[ones(&[2, 2]), ones(&[2, 2])]).unwrap();
    assert_eq!(count.get_value().unwrap(), Tensor::from(1i64));
    assert_eq!(
        acc.get_value().unwrap(),
        Tensor::full(theano::DType::Float64, &[2, 2], 2.0)
    );
}

#[test]
fn missing_argument() {
    let (count, acc, f) = stateful();
    let e = f.call(&[ones(&[2, 2])]).unwrap_err();
    assert!(matches!(e, Error::ArgumentCount(_)));
    assert_eq!(e.to_string(), "Missing required input: y");
    assert_untouched(&count, &acc);
}

#[test]
fn too_many_arguments() {
    let (count, acc, f) = stateful();
    let e = f
        .call(&[ones(&[2, 2]), ones(&[2, 2]), ones(&[2, 2])])
        .unwrap_err();
    assert!(matches!(e, Error::ArgumentCount(_)));
    assert!(e.to_string().contains("takes 2 argument(s), got 3"), "{e}");
    assert_untouched(&count, &acc);
}

#[test]
fn wrong_ndim() {
    let (count, acc, f) = stateful();
    let e = f.call(&[ones(&[3]), ones(&[2, 2])]).unwrap_err();
    match &e {
        Error::BadArgument {
            index,
            name,
            expected,
            ..
        } => {
            assert_eq!((*index, name.as_str(), *expected), (0, "x", T::DMATRIX));
        }
        other => panic!("{other:?}"),
    }
    let s = e.to_string();
    assert!(
        s.contains("at index 0 (0-based), input x of type TensorType(float64, matrix)"),
        "{s}"
    );
    assert!(
        s.contains("Wrong number of dimensions: expected 2, got 1 with shape (3,)."),
        "{s}"
    );
    assert!(
        s.contains("function_errors.rs:"),
        "names the function by its compile site: {s}"
    );
    assert_untouched(&count, &acc);
}

#[test]
fn runtime_shape_mismatch_names_node_types_shapes_and_line() {
    let (count, acc, f) = stateful();
    let e = f.call(&[ones(&[2, 2]), ones(&[3, 2])]).unwrap_err();
    let Error::Runtime(ne) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(ne.input_types, vec![T::DMATRIX, T::DMATRIX]);
    let s = e.to_string();
    assert!(s.contains("Apply node that caused the error: "), "{s}");
    assert!(s.contains("Inputs shapes: [(2, 2), (3, 2)]"), "{s}");
    assert!(
        s.contains("Inputs types: [TensorType(float64, matrix), TensorType(float64, matrix)]"),
        "{s}"
    );
    assert!(s.contains("tests/function_errors.rs:"), "{s}");
    assert_untouched(&count, &acc);
}

#[test]
fn runtime_error_in_an_update_expression_applies_nothing() {
    let x = T::dmatrix("x");
    let y = T::dmatrix("y");
    let count = shared_named(0, "count");
    let acc =
        theano::try_shared(Tensor::zeros(theano::DType::Float64, &[2, 2]), Some("acc")).unwrap();
    // the counter's update is fine; the matrix update fails on a bad shape
    let f = compile(&[&x, &y], x.sum())
        .updates([(&count, &count + 1), (&acc, &acc + T::dot(&x, &y).unwrap())])
        .build()
        .unwrap();
    let line = line!() - 3;
    let e = f.call(&[ones(&[2, 3]), ones(&[2, 3])]).unwrap_err();
    let Error::Runtime(ne) = &e else {
        panic!("{e:?}")
    };
    // the optimizer folded `acc + dot(x, y)` into a Gemm updating acc in place; the error
    // still points at the user's line
    assert!(
        ne.node
            .starts_with("Gemm{inplace}(acc, TensorConstant{1.0}, x, y, TensorConstant{1.0})"),
        "{}",
        ne.node
    );
    assert_eq!(ne.location.line(), line);
    assert_untouched(&count, &acc);
}

#[test]
fn float_into_int_input_refused_unless_allowed() {
    let i = T::iscalar("i");
    let count = shared(0);
    let f = compile(&[&i], &(&i * 1))
        .updates([(&count, &count + 1)])
        .build()
        .unwrap();
    let e = f.call(&[2.5.into()]).unwrap_err();
    assert!(matches!(e, Error::BadArgument { .. }), "{e:?}");
    assert!(e.to_string().contains("dtype float64"), "{e}");
    assert_eq!(count.get_value().unwrap(), Tensor::from(0i64));
    let g = compile(&[&i], &(&i * 1))
        .allow_input_downcast(true)
        .build()
        .unwrap();
    assert_eq!(g.call(&[2.5.into()]).unwrap()[0], Tensor::from(2i32));
}

#[test]
fn float64_into_float32_refused_unless_allowed() {
    let v = T::fvector("v");
    let f = function(&[&v], &(&v * 1)).unwrap();
    let e = f.call(&[ones(&[3])]).unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot be stored in a float32 input"),
        "{e}"
    );
    let g = compile(&[&v], &(&v * 1))
        .allow_input_downcast(true)
        .build()
        .unwrap();
    assert_eq!(
        g.call(&[ones(&[3])]).unwrap()[0].dtype(),
        theano::DType::Float32
    );
}

#[test]
fn int_scalar_that_fits_is_accepted_as_python_ints_are() {
    let i = T::bscalar("i");
    let f = function(&[&i], &(&i + 1)).unwrap();
    assert_eq!(f.call(&[100.into()]).unwrap()[0], Tensor::from(101i8));
    assert!(f.call(&[300.into()]).is_err());
}

#[test]
fn broadcastable_dimension_checked() {
    let r = T::drow("r");
    let f = function(&[&r], &(&r * 2)).unwrap();
    let e = f.call(&[ones(&[2, 3])]).unwrap_err();
    assert!(e.to_string().contains("broadcastable"), "{e}");
}

#[test]
fn missing_input_at_compile_time() {
    let x = T::dscalar("x");
    let y = T::dscalar("y");
    let e = function(&[&x], &(&x + &y)).unwrap_err();
    assert!(matches!(e, Error::MissingInput { .. }));
    assert!(
        e.to_string()
            .contains("needs input y (TensorType(float64, scalar))"),
        "{e}"
    );
}

#[test]
fn unused_input_raise_warn_ignore() {
    let x = T::dscalar("x");
    let y = T::dscalar("y");
    let e = function(&[&x, &y], &(&x * 2)).unwrap_err();
    assert!(matches!(e, Error::UnusedInput { index: 1, .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("is not part of the graph needed to compute the outputs: y"),
        "{e}"
    );
    for o in [OnUnused::Warn, OnUnused::Ignore] {
        let f = compile(&[&x, &y], &(&x * 2))
            .on_unused_input(o)
            .build()
            .unwrap();
        assert_eq!(f.call(&[1.into(), 2.into()]).unwrap()[0], Tensor::from(2.0));
    }
}

#[test]
fn bad_inputs_and_updates() {
    let x = T::dscalar("x");
    let s = shared(1.0);
    let e = function(&[&x, &x], &(&x * 2)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DuplicateInput {
                first: 0,
                second: 1,
                ..
            }
        ),
        "{e:?}"
    );
    let e = function(&[&s], &(&s * 2)).unwrap_err();
    assert!(matches!(e, Error::BadInputVariable { .. }), "{e:?}");
    let e = compile(&[&x], &x)
        .updates([(&x, &x + 1.0)])
        .build()
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("only shared variables can be updated"),
        "{e}"
    );
    let e = compile(&[&x], &x)
        .updates([(&s, T::cast(&x, theano::DType::Float32))])
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("has type TensorType(float32, scalar), but the shared variable has type TensorType(float64, scalar)"), "{e}");
}

#[test]
fn set_value_checks_dtype_and_ndim() {
    let s = theano::try_shared(Tensor::from(vec![1.0, 2.0, 3.0]), None).unwrap();
    let e = s
        .set_value(Tensor::full(theano::DType::Float64, &[2, 2], 1.0))
        .unwrap_err();
    assert!(e.contains("got shape [2, 2]"), "{e}");
    let e = s.set_value(Tensor::from(vec![1i32, 2])).unwrap_err();
    assert!(e.contains("expected dtype float64, got int32"), "{e}");
    s.set_value(Tensor::from(vec![5.0])).unwrap();
    assert_eq!(s.get_value().unwrap(), Tensor::from(vec![5.0]));
}

#[test]
fn two_threads_accumulate_exactly() {
    let state = shared(0);
    let inc = T::iscalar("inc");
    let acc = compile(&[&inc], &state)
        .updates([(&state, &state + &inc)])
        .build()
        .unwrap();
    let dec = compile(&[&inc], &state)
        .updates([(&state, &state - &inc)])
        .build()
        .unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..10_000 {
                acc.call(&[3.into()]).unwrap();
            }
        });
        s.spawn(|| {
            for _ in 0..10_000 {
                acc.call(&[1.into()]).unwrap();
            }
        });
        s.spawn(|| {
            for _ in 0..10_000 {
                dec.call(&[2.into()]).unwrap();
            }
        });
    });
    assert_eq!(state.get_value().unwrap(), Tensor::from(20_000i64));
}

#[test]
fn givens_replace_with_a_symbolic_minibatch_slice() {
    let data = theano::try_shared(
        Tensor::from_shape_vec(&[6, 2], (0..12).map(|v| v as f64).collect()).unwrap(),
        None,
    )
    .unwrap();
    let x = T::dmatrix("x");
    let index = T::lscalar("index");
    let bs = 2i64;
    let f = compile(&[&index], x.sum())
        .givens([(&x, data.slice_rows(&index * bs, (&index + 1) * bs).unwrap())])
        .build()
        .unwrap();
    // rows 2..4 = [4,5,6,7] -> 22
    assert_eq!(f.call(&[1.into()]).unwrap()[0], Tensor::from(22.0));
    let e = compile(&[&index], x.sum())
        .givens([(&x, T::dvector("v"))])
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::BadGivens { .. }), "{e:?}");
}
