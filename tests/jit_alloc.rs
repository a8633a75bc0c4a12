//! Steady-state calls allocate nothing (its own test binary: a counting global allocator).
//!
//! The allocator counts, per thread, every `alloc`/`realloc`; a test warms a function up
//! (buffers sized), then counts the allocations of further calls on its own thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use theano::tensor as T;
use theano::{compile, DType, LinkerKind, Mode, Tensor, Variable};

#[path = "common/mod.rs"]
mod common;

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; the counter is a const-initialised thread local
// without destructor, so touching it never allocates or re-enters.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn allocs() -> usize {
    ALLOCS.with(|c| c.get())
}

/// Allocations per call of `f` after `warm` calls, over 10 calls.
fn per_call(mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    let before = allocs();
    for _ in 0..10 {
        f();
    }
    (allocs() - before) as f64 / 10.0
}

fn jit() -> Mode {
    Mode {
        linker: LinkerKind::Jit,
        ..Mode::default()
    }
}

fn vec_f64(n: usize, seed: u64) -> Tensor {
    let mut s = seed;
    Tensor::from_f64_vec(DType::Float64, &[n], common::randn(&mut s, n)).unwrap()
}

/// An SGD-like update of two shared vectors, elementwise only: the new values are written
/// in place into the shared storage (or into a spare buffer swapped in): no allocation.
#[test]
fn elementwise_updates_allocate_nothing() {
    let x = T::dvector("x");
    let w = theano::try_shared(vec_f64(1000, 1), Some("w")).unwrap();
    let v = theano::try_shared(vec_f64(1000, 2), Some("v")).unwrap();
    let w_new = &w - 0.1 * (&w * &x);
    let v_new = 0.9 * &v + &w * &x;
    let f = compile(&[&x], Vec::<Variable>::new())
        .updates([(&w, &w_new), (&v, &v_new)])
        .mode(jit())
        .build()
        .unwrap();
    let a = vec_f64(1000, 3);
    let n = per_call(|| {
        f.call_refs(&[&a]).unwrap();
    });
    assert_eq!(n, 0.0, "allocations per call");
}

/// A fused elementwise function with outputs: `call_into` reuses the caller's tensors.
#[test]
fn call_into_with_outputs_allocates_nothing() {
    let (x, y) = (T::dvector("x"), T::dvector("y"));
    let out1 = T::exp(&x) * &y + 1.0;
    let out2 = &x - &y;
    let f = compile(&[&x, &y], [&out1, &out2])
        .mode(jit())
        .build()
        .unwrap();
    let (a, b) = (vec_f64(500, 4), vec_f64(500, 5));
    let mut outs = vec![Tensor::scalar(0.0f64), Tensor::scalar(0.0f64)];
    let n = per_call(|| f.call_into(&[&a, &b], &mut outs).unwrap());
    assert_eq!(n, 0.0, "allocations per call_into");
    // the values are right
    let want = f.call_refs(&[&a, &b]).unwrap();
    assert_eq!(outs, want);
    // call_refs returns owned tensors: one allocation per returned output (plus the Vec)
    let n = per_call(|| {
        f.call_refs(&[&a, &b]).unwrap();
    });
    assert!(n <= 3.0, "allocations per call_refs: {n}");
}

/// Outputs that view or are an argument (`x.T`, `x`) are copied once, by their `DeepCopyOp`
/// kernel, into a buffer that `call_into` swaps with the caller's tensor: no allocation.
#[test]
fn copied_outputs_call_into_allocates_nothing() {
    let x = T::dmatrix("x");
    let f = compile(&[&x], [&x.t(), &x]).mode(jit()).build().unwrap();
    let a = Tensor::from_shape_vec(&[20, 30], (0..600).map(f64::from).collect()).unwrap();
    let mut outs = vec![Tensor::scalar(0.0f64), Tensor::scalar(0.0f64)];
    let n = per_call(|| f.call_into(&[&a], &mut outs).unwrap());
    assert_eq!(n, 0.0, "allocations per call_into");
    assert_eq!(outs[1], a);
    assert_eq!(outs[0].shape(), [30, 20]);
    assert_eq!(outs[0].to_f64_vec()[..3], [0.0, 30.0, 60.0]);
}

/// f(x, y) = x + y on scalars through `call_into`: the call path itself allocates nothing.
#[test]
fn scalar_call_into_allocates_nothing() {
    let (x, y) = (T::dscalar("x"), T::dscalar("y"));
    let f = compile(&[&x, &y], &(&x + &y)).mode(jit()).build().unwrap();
    let (a, b) = (Tensor::from(2.0), Tensor::from(3.0));
    let mut outs = vec![Tensor::from(0.0)];
    let n = per_call(|| f.call_into(&[&a, &b], &mut outs).unwrap());
    assert_eq!(n, 0.0);
    assert_eq!(outs[0], Tensor::from(5.0));
}

/// The seed's logistic-regression step with updates only: every step is native (elementwise
/// kernels, Gemv, Sum, Alloc, Shape_i, views) and the w update is written in place; the
/// matrix-vector products copy `alpha * x` into a per-thread scratch kept between calls
/// (crates/jit/src/blas.rs `with_scaled`): nothing allocates in the steady state.
#[test]
fn seed_logreg_updates_only_allocations() {
    let (n, feats) = (400, 784);
    let mut s = 7u64;
    let d0 = Tensor::from_f64_vec(
        DType::Float64,
        &[n, feats],
        common::randn(&mut s, n * feats),
    )
    .unwrap();
    let d1 = Tensor::from_f64_vec(
        DType::Float64,
        &[n],
        (0..n).map(|i| (i % 2) as f64).collect(),
    )
    .unwrap();
    let m = common::seed_model(vec_f64(feats, 8));
    let train = compile(&[&m.x, &m.y], Vec::<Variable>::new())
        .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
        .mode(jit())
        .build()
        .unwrap();
    let per = per_call(|| {
        train.call_refs(&[&d0, &d1]).unwrap();
    });
    eprintln!("seed logreg train step (updates only): {per} allocations per call");
    assert_eq!(per, 0.0, "{per} allocations per call");
}

/// The tutorial's MNIST softmax-regression minibatch step (600 x 784, 10 classes, float64),
/// updates only: the narrow products `x · W` and the in-place `W - lr * x.T · g` (their packed
/// operand in the thread's scratch, crates/jit/src/blas.rs), the generated crossentropy
/// kernel (three outputs into planned buffers) and its gradient, the generated Sum over the
/// rows (its accumulator row in the scratch too) and the elementwise steps: no allocation.
/// (The counter is per thread; the products pack their operand on this thread before their
/// row bands run on the hot pool, whose parts allocate nothing.)
#[test]
fn softmax_mnist_updates_only_allocations() {
    let (n, feats, classes) = (600, 784, 10);
    let m = common::softmax_model(feats, classes);
    let train = compile(&[&m.x, &m.y], Vec::<Variable>::new())
        .updates([(&m.w, &m.w_update), (&m.b, &m.b_update)])
        .mode(jit())
        .build()
        .unwrap();
    let (x, y) = common::mnist_like(n, feats, classes, 3);
    let per = per_call(|| {
        train.call_refs(&[&x, &y]).unwrap();
    });
    eprintln!("softmax MNIST train step (updates only): {per} allocations per call");
    assert_eq!(per, 0.0, "{per} allocations per call");
}
