//! floatX comes from THEANO_FLAGS (its own process: the setting is read once).

use theano::tensor as T;

#[test]
fn float_x_from_theano_flags() {
    // Set before any graph is built in this test binary (which holds this one test only).
    std::env::set_var("THEANO_FLAGS", "floatX=float32,linker=interp");
    assert_eq!(
        T::matrix("x").ty().to_string(),
        "TensorType(float32, matrix)"
    );
    assert_eq!(
        theano::Mode::from_env().unwrap().float_x,
        theano::DType::Float32
    );
    std::env::set_var("THEANO_FLAGS", "floatX=float16");
    let e = theano::Mode::from_env().unwrap_err();
    assert!(e.to_string().contains("'float16' for 'floatX'"), "{e}");
    let x = T::dscalar("x");
    let e = theano::function(&[&x], &x).unwrap_err();
    assert!(matches!(e, theano::Error::Config(_)), "{e:?}");
}
