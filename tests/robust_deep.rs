//! A Theano user may build a 200,000-node chain: building it, printing it, taking its
//! gradient, compiling and calling it, and dropping it must all work (issue 12). Every walk
//! on the way is iterative; the test runs on a thread with a small stack so a walk that
//! recursed once per node would overflow (and abort the test binary) deterministically.

use theano::tensor as T;
use theano::{compile, function, grad1, pp, Mode, Tensor};

const N: usize = 200_000;
/// The transcendental chain is shorter, to keep the test quick: compiling it (fusion into
/// kernels of at most 128 instructions, shape lifting, the JIT) costs about a millisecond per
/// node here, twice (both linkers).
const N_TANH: usize = 5_000;
const STACK: usize = 1024 * 1024;

fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn value(t: &Tensor) -> f64 {
    t.to_f64_vec()[0]
}

#[test]
fn chain_of_200k_adds_compiles_runs_differentiates_and_drops() {
    on_small_stack(|| {
        let x = T::dscalar("x");
        let mut y = x.clone();
        for _ in 0..N {
            y = &y + 1;
        }
        assert!(pp(&y).ends_with(" + TensorConstant{1})"));
        let f = function(&[&x], &y).unwrap();
        let out = f.call(&[Tensor::from(0.5)]).unwrap();
        assert_eq!(value(&out[0]), N as f64 + 0.5);
        let g = grad1(&y, &x).unwrap();
        let fg = function(&[&x], &g).unwrap();
        assert_eq!(value(&fg.call(&[Tensor::from(0.5)]).unwrap()[0]), 1.0);
        drop((f, fg, g, y));
    });
}

#[test]
fn chain_of_5000_transcendentals_on_both_linkers() {
    // A chain the canonicalizer cannot fold into one sum: elementwise fusion builds
    // composites from it (at most 128 instructions each), the gradient is as deep again, and
    // shape lifting through its broadcasting multiplications doubled per level (it hung).
    on_small_stack(|| {
        let x = T::dvector("x");
        let mut y = x.clone();
        for k in 0..N_TANH {
            y = if k % 2 == 0 { T::tanh(&y) } else { -&y };
        }
        let g = grad1(&T::sum(&y), &x).unwrap();
        for mode in [Mode::default(), Mode::interp()] {
            let f = compile(&[&x], vec![y.clone(), g.clone()])
                .mode(mode)
                .build()
                .unwrap();
            let out = f.call(&[Tensor::from(vec![0.0, 1e-3])]).unwrap();
            assert_eq!(out[0].to_f64_vec()[0], 0.0);
            assert!(out[1].to_f64_vec()[0] == 1.0, "{:?}", out[1]);
        }
    });
}

#[test]
fn folded_integer_constants_keep_the_sum_s_dtype() {
    // `x + 100 + 100` (int8 constants) on a float64 x folded the constants into an int8 200,
    // which wrapped: found by the 200k chain above (200,000 int8 ones folded to 64). On an
    // int8 x the additions do wrap, and still must.
    let x = T::dscalar("x");
    let f = function(&[&x], &(&(&x + 100) + 100)).unwrap();
    assert_eq!(value(&f.call(&[Tensor::from(0.5)]).unwrap()[0]), 200.5);
    let b = T::bscalar("b");
    let f = function(&[&b], &(&(&b + 100) + 100)).unwrap();
    let out = f.call(&[Tensor::scalar(0i8)]).unwrap();
    assert_eq!(out[0].to_f64_vec()[0], -56.0);
    let f = function(&[&x], &(&(&x * 100) * 100)).unwrap();
    assert_eq!(value(&f.call(&[Tensor::from(0.5)]).unwrap()[0]), 5000.0);
}

/// A `Tensor` of 33 dimensions (more than a graph type holds) is a typed error from the
/// builders that take a `Tensor`; those that cannot fail take only values whose Rust type
/// bounds their rank (`T::constant(Tensor)` and `shared(Tensor)` do not compile).
#[test]
fn tensors_of_33_dimensions_are_typed_errors() {
    let t = Tensor::zeros(theano::DType::Float64, &[1; 33]);
    let e = T::try_constant(t.clone()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the constant's shape: a TensorType has at most 32 dimensions, got 33"
    );
    let e = theano::try_shared(t, Some("w")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the shared value's shape: a TensorType has at most 32 dimensions, got 33"
    );
    let ok = Tensor::zeros(theano::DType::Float64, &[1; 32]);
    assert_eq!(T::try_constant(ok.clone()).unwrap().ndim(), 32);
    assert_eq!(theano::try_shared(ok, None).unwrap().ndim(), 32);
}
