//! `cumsum`/`cumprod`, `sort`/`argsort`, `repeat`, `tile` and the nonzero family end to end:
//! values against numpy 1.23's (the expected arrays below were printed by numpy, not by this
//! crate) on the interpreter and the JIT linker, gradients by finite differences at float64
//! and float32, R-ops against the gradient, refused gradients, and run-time errors.

use theano::tensor as T;
use theano::{Mode, Tensor, Variable};
use theano_grad::{grad, rop, verify_grad, Rng, VerifyGradOptions};
use theano_ir::{DType, Op, TensorType};

mod common;
use common::eval_compiled as eval;

fn t(dt: DType, shape: &[usize], v: &[f64]) -> Tensor {
    Tensor::from_f64_vec(dt, shape, v.to_vec()).unwrap()
}

fn f64t(shape: &[usize], v: &[f64]) -> Tensor {
    t(DType::Float64, shape, v)
}

fn i64t(shape: &[usize], v: &[i64]) -> Tensor {
    t(
        DType::Int64,
        shape,
        &v.iter().map(|&x| x as f64).collect::<Vec<_>>(),
    )
}

fn input(dt: DType, nd: usize, name: &str) -> Variable {
    T::input(TensorType::with_ndim(dt, nd).unwrap(), name)
}

/// `out` over `ins` at `vals` on both linkers: each equals `want` (dtype, shape and values;
/// NaN equals NaN).
fn check_both(what: &str, ins: &[Variable], out: &Variable, vals: &[Tensor], want: &Tensor) {
    let refs: Vec<&Variable> = ins.iter().collect();
    for mode in [Mode::interp(), Mode::default()] {
        let f = theano::compile(&refs, out)
            .mode(mode.clone())
            .on_unused_input(theano::OnUnused::Ignore)
            .build()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let got = f
            .call(vals)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .remove(0);
        assert_eq!(got.dtype(), want.dtype(), "{what} ({mode:?})");
        assert_eq!(got.shape(), want.shape(), "{what} ({mode:?})");
        let (g, w) = (got.to_f64_vec(), want.to_f64_vec());
        let same = g
            .iter()
            .zip(&w)
            .all(|(a, b)| a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * b.abs());
        assert!(same, "{what} ({mode:?}): got {g:?}, numpy {w:?}");
    }
}

const X: [f64; 6] = [1.5, -2., 3., 4., 0.5, -6.];

#[test]
fn values_against_numpy() {
    let x = input(DType::Float64, 2, "x");
    let xv = f64t(&[2, 3], &X);
    let ins = std::slice::from_ref(&x);
    let vals = std::slice::from_ref(&xv);
    let cases: Vec<(&str, Variable, Tensor)> = vec![
        (
            "cumsum None",
            T::cumsum(&x, None).unwrap(),
            f64t(&[6], &[1.5, -0.5, 2.5, 6.5, 7.0, 1.0]),
        ),
        (
            "cumsum 0",
            T::cumsum(&x, Some(0)).unwrap(),
            f64t(&[2, 3], &[1.5, -2.0, 3.0, 5.5, -1.5, -3.0]),
        ),
        (
            "cumsum -1",
            T::cumsum(&x, Some(-1)).unwrap(),
            f64t(&[2, 3], &[1.5, -0.5, 2.5, 4.0, 4.5, -1.5]),
        ),
        (
            "cumprod None",
            T::cumprod(&x, None).unwrap(),
            f64t(&[6], &[1.5, -3.0, -9.0, -36.0, -18.0, 108.0]),
        ),
        (
            "cumprod 1",
            T::cumprod(&x, Some(1)).unwrap(),
            f64t(&[2, 3], &[1.5, -3.0, -9.0, 4.0, 2.0, -12.0]),
        ),
        (
            "repeat [1 0 2] axis 1 (RepeatOp)",
            T::repeat(&x, T::constant(vec![1i64, 0, 2]), Some(1)).unwrap(),
            f64t(&[2, 3], &[1.5, 3.0, 3.0, 4.0, -6.0, -6.0]),
        ),
        (
            "repeat 2 None",
            T::repeat(&x, 2i64, None).unwrap(),
            f64t(
                &[12],
                &[
                    1.5, 1.5, -2.0, -2.0, 3.0, 3.0, 4.0, 4.0, 0.5, 0.5, -6.0, -6.0,
                ],
            ),
        ),
        (
            "repeat [2] axis 0 (a broadcastable vector: its entry)",
            T::repeat(
                &x,
                Variable::constant_typed(
                    i64t(&[1], &[2]),
                    TensorType::new(DType::Int64, &[true]).unwrap(),
                )
                .unwrap(),
                Some(0),
            )
            .unwrap(),
            f64t(
                &[4, 3],
                &[
                    1.5, -2.0, 3.0, 1.5, -2.0, 3.0, 4.0, 0.5, -6.0, 4.0, 0.5, -6.0,
                ],
            ),
        ),
        (
            "repeat 3 axis -1",
            T::repeat(&x, 3i64, Some(-1)).unwrap(),
            f64t(
                &[2, 9],
                &[
                    1.5, 1.5, 1.5, -2.0, -2.0, -2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 4.0, 0.5, 0.5, 0.5,
                    -6.0, -6.0, -6.0,
                ],
            ),
        ),
        (
            "tile (2, 1)",
            T::tile(&x, &[T::constant(2i64), T::constant(1i64)], None).unwrap(),
            f64t(
                &[4, 3],
                &[
                    1.5, -2.0, 3.0, 4.0, 0.5, -6.0, 1.5, -2.0, 3.0, 4.0, 0.5, -6.0,
                ],
            ),
        ),
        (
            "tile (2,) on a matrix: the last axis",
            T::tile(&x, &[T::constant(2i64)], None).unwrap(),
            f64t(
                &[2, 6],
                &[
                    1.5, -2.0, 3.0, 1.5, -2.0, 3.0, 4.0, 0.5, -6.0, 4.0, 0.5, -6.0,
                ],
            ),
        ),
    ];
    for (what, out, want) in cases {
        check_both(what, ins, &out, vals, &want);
    }

    // integers wrap in the input's dtype (numpy's `cumsum(x, dtype=x.dtype)`)
    let b = input(DType::Int8, 1, "b");
    let bv = t(DType::Int8, &[4], &[100., 100., 100., -128.]);
    let want = t(DType::Int8, &[4], &[100., -56., 44., -84.]);
    check_both(
        "cumsum int8",
        std::slice::from_ref(&b),
        &T::cumsum(&b, None).unwrap(),
        std::slice::from_ref(&bv),
        &want,
    );
    let want = t(DType::Int8, &[4], &[100., 16., 64., 0.]);
    check_both(
        "cumprod int8",
        std::slice::from_ref(&b),
        &T::cumprod(&b, Some(0)).unwrap(),
        std::slice::from_ref(&bv),
        &want,
    );

    // sort: NaN last, -inf first; argsort stable (numpy's kind='stable' on ties)
    let f = input(DType::Float32, 1, "f");
    let fv = t(
        DType::Float32,
        &[6],
        &[3., f64::NAN, 1., 2., f64::NEG_INFINITY, 1.],
    );
    let fs = std::slice::from_ref(&f);
    let fvs = std::slice::from_ref(&fv);
    check_both(
        "sort float32",
        fs,
        &T::sort(&f, Some(-1)).unwrap(),
        fvs,
        &t(
            DType::Float32,
            &[6],
            &[f64::NEG_INFINITY, 1.0, 1.0, 2.0, 3.0, f64::NAN],
        ),
    );
    check_both(
        "argsort float32",
        fs,
        &T::argsort(&f, Some(0)).unwrap(),
        fvs,
        &i64t(&[6], &[4, 2, 5, 3, 0, 1]),
    );
    let m = input(DType::Float64, 2, "m");
    let mv = f64t(&[2, 3], &[3., 1., 2., 1., 1., 0.]);
    let ms = std::slice::from_ref(&m);
    let mvs = std::slice::from_ref(&mv);
    for (what, out, want) in [
        (
            "sort 0",
            T::sort(&m, Some(0)).unwrap(),
            f64t(&[2, 3], &[1.0, 1.0, 0.0, 3.0, 1.0, 2.0]),
        ),
        (
            "sort -1",
            T::sort(&m, Some(-1)).unwrap(),
            f64t(&[2, 3], &[1.0, 2.0, 3.0, 0.0, 1.0, 1.0]),
        ),
        (
            "sort None",
            T::sort(&m, None).unwrap(),
            f64t(&[6], &[0.0, 1.0, 1.0, 1.0, 2.0, 3.0]),
        ),
        (
            "argsort 0",
            T::argsort(&m, Some(0)).unwrap(),
            i64t(&[2, 3], &[1, 0, 1, 0, 1, 0]),
        ),
        (
            "argsort 1",
            T::argsort(&m, Some(1)).unwrap(),
            i64t(&[2, 3], &[1, 2, 0, 2, 0, 1]),
        ),
        (
            "argsort None",
            T::argsort(&m, None).unwrap(),
            i64t(&[6], &[5, 1, 3, 4, 2, 0]),
        ),
    ] {
        check_both(what, ms, &out, mvs, &want);
    }

    // nonzero: row-major order, NaN is non-zero, the count comes from the values
    let n = input(DType::Int64, 2, "n");
    let nv = i64t(&[2, 3], &[0, 2, 0, 1, 0, 3]);
    let ns = std::slice::from_ref(&n);
    let nvs = std::slice::from_ref(&nv);
    let parts = T::nonzero(&n).unwrap();
    check_both(
        "nonzero matrix",
        ns,
        &T::nonzero_matrix(&n).unwrap(),
        nvs,
        &i64t(&[2, 3], &[0, 1, 1, 1, 0, 2]),
    );
    check_both("nonzero [0]", ns, &parts[0], nvs, &i64t(&[3], &[0, 1, 1]));
    check_both("nonzero [1]", ns, &parts[1], nvs, &i64t(&[3], &[1, 0, 2]));
    check_both(
        "flatnonzero",
        ns,
        &T::flatnonzero(&n).unwrap(),
        nvs,
        &i64t(&[3], &[1, 3, 5]),
    );
    check_both(
        "nonzero_values",
        ns,
        &T::nonzero_values(&n).unwrap(),
        nvs,
        &i64t(&[3], &[2, 1, 3]),
    );
    let v = input(DType::Float64, 1, "v");
    check_both(
        "nonzero with NaN and -0.0",
        std::slice::from_ref(&v),
        &T::nonzero_matrix(&v).unwrap(),
        &[f64t(&[5], &[0., f64::NAN, 0., -0., 1.])],
        &i64t(&[1, 2], &[1, 4]),
    );
    check_both(
        "nonzero of zeros: (ndim, 0)",
        ns,
        &T::nonzero_matrix(&n).unwrap(),
        &[i64t(&[2, 2], &[0, 0, 0, 0])],
        &i64t(&[2, 0], &[]),
    );
    // RepeatOp over the flattened tensor with one count per element
    let iv = input(DType::Int64, 1, "iv");
    let r = T::repeat(&iv, T::constant(vec![3i64, 0, 1]), None).unwrap();
    check_both(
        "repeat None counts",
        std::slice::from_ref(&iv),
        &r,
        &[i64t(&[3], &[1, 2, 3])],
        &i64t(&[4], &[1, 1, 1, 3]),
    );
}

/// verify_grad at random points of `dt` in `[lo, hi)`.
fn check_grad(dt: DType, shape: &[usize], lo: f64, hi: f64, f: impl Fn(&[Variable]) -> Variable) {
    let mut rng = Rng::new(3);
    let p = rng.tensor(dt, shape, lo, hi);
    let opts = VerifyGradOptions {
        seed: 5,
        ..Default::default()
    };
    verify_grad(f, &[p], eval, &opts).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn gradients_by_finite_differences() {
    for dt in [DType::Float64, DType::Float32] {
        for axis in [None, Some(0), Some(1), Some(-1)] {
            check_grad(dt, &[3, 4], -1.0, 1.0, |i| T::cumsum(&i[0], axis).unwrap());
            check_grad(dt, &[3, 4], 0.5, 1.5, |i| T::cumprod(&i[0], axis).unwrap());
            check_grad(dt, &[3, 4], -1.0, 1.0, |i| T::sort(&i[0], axis).unwrap());
            check_grad(dt, &[3, 4], -1.0, 1.0, |i| {
                T::repeat(&i[0], 3i64, axis).unwrap()
            });
        }
        check_grad(dt, &[5], -1.0, 1.0, |i| T::sort(&i[0], Some(0)).unwrap());
        check_grad(dt, &[2, 3, 4], -1.0, 1.0, |i| {
            T::sort(&i[0], Some(1)).unwrap()
        });
        check_grad(dt, &[2, 3, 4], 0.5, 1.5, |i| {
            T::cumprod(&i[0], Some(-2)).unwrap()
        });
        check_grad(dt, &[3, 4], -1.0, 1.0, |i| {
            T::tile(&i[0], &[T::constant(2i64), T::constant(3i64)], None).unwrap()
        });
        check_grad(dt, &[4], -1.0, 1.0, |i| {
            T::tile(&i[0], &[T::constant(2i64), T::constant(3i64)], None).unwrap()
        });
        // the values away from 0, so a finite difference never crosses into a zero
        check_grad(dt, &[3, 4], 0.5, 1.5, |i| {
            T::nonzero_values(&i[0] - 1.0).unwrap()
        });
        // RepeatOp with a scalar count (T::repeat builds it only for vectors; Theano's
        // gradient for this case is a reshape and a sum)
        for axis in [None, Some(0), Some(-1)] {
            check_grad(dt, &[3, 4], -1.0, 1.0, |i| {
                T::apply_op(Op::Repeat { axis }, vec![i[0].clone(), T::constant(2i64)])
                    .unwrap()
                    .remove(0)
            });
        }
    }
}

/// Broadcastable inputs (a row, a column): the gradients keep their patterns.
#[test]
fn gradients_of_broadcastable_inputs() {
    for (shape, bc) in [([1usize, 4], [true, false]), ([3, 1], [false, true])] {
        let mut rng = Rng::new(8);
        let p = rng.tensor(DType::Float64, &shape, 0.5, 1.5);
        let opts = VerifyGradOptions {
            seed: 2,
            input_types: Some(vec![TensorType::new(DType::Float64, &bc).unwrap()]),
            ..Default::default()
        };
        let fs: Vec<Box<dyn Fn(&[Variable]) -> Variable>> = vec![
            Box::new(|i| T::sort(&i[0], Some(0)).unwrap()),
            Box::new(|i| T::sort(&i[0], Some(-1)).unwrap()),
            Box::new(|i| T::cumsum(&i[0], Some(1)).unwrap()),
            Box::new(|i| T::cumprod(&i[0], Some(0)).unwrap()),
            Box::new(|i| T::cumprod(&i[0], None).unwrap()),
            Box::new(|i| T::repeat(&i[0], 2i64, Some(0)).unwrap()),
            Box::new(|i| T::tile(&i[0], &[T::constant(1i64), T::constant(2i64)], None).unwrap()),
        ];
        for f in fs {
            verify_grad(f, std::slice::from_ref(&p), eval, &opts).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// The R-ops (theano-rs gives them where Theano 1.0 has none) equal `v · J` read from the
/// gradient: for every output element `k`, `R[k] = <grad(out[k], x), v>`, checked through
/// the identity `sum(u * R) = <grad(sum(u * out), x), v>` at random `u`, `v`.
#[test]
fn r_ops_agree_with_the_gradient() {
    let x = input(DType::Float64, 2, "x");
    let v = input(DType::Float64, 2, "v");
    let u_of = |o: &Variable| input(o.dtype(), o.ndim(), "u");
    let mut rng = Rng::new(11);
    let xv = rng.tensor(DType::Float64, &[3, 4], 0.5, 1.5);
    let vv = rng.tensor(DType::Float64, &[3, 4], -1.0, 1.0);
    let outs = [
        T::cumsum(&x, Some(0)).unwrap(),
        T::cumsum(&x, None).unwrap(),
        T::cumprod(&x, Some(-1)).unwrap(),
        T::sort(&x, Some(1)).unwrap(),
        T::apply_op(
            Op::Repeat { axis: Some(1) },
            vec![x.clone(), T::constant(2i64)],
        )
        .unwrap()
        .remove(0),
        T::repeat(&x, T::constant(vec![1i64, 0, 2]), Some(0)).unwrap(),
    ];
    for out in outs {
        let r = rop(
            std::slice::from_ref(&out),
            std::slice::from_ref(&x),
            std::slice::from_ref(&v),
        )
        .unwrap_or_else(|e| panic!("rop of {out}: {e}"))
        .remove(0);
        assert_eq!(r.ty(), out.ty(), "{out}");
        let u = u_of(&out);
        let o = eval(std::slice::from_ref(&x), &out, std::slice::from_ref(&xv)).unwrap();
        let uv = rng.tensor(DType::Float64, o.shape(), -1.0, 1.0);
        let lhs = T::sum(&u * &r);
        let g = grad(&T::sum(&u * &out), std::slice::from_ref(&x));
        let all = [x.clone(), v.clone(), u.clone()];
        let vals = [xv.clone(), vv.clone(), uv];
        let a = eval(&all, &lhs, &vals).unwrap().to_f64_vec()[0];
        let vals_g = vals.clone();
        let b = match g {
            // RepeatOp with a vector of counts has no gradient (as in Theano): compare with
            // the same op applied to v (the op is linear)
            Err(_) => {
                let Some(n) = out.owner() else { unreachable!() };
                let same = T::apply_op(n.op().clone(), vec![v.clone(), n.inputs()[1].clone()])
                    .unwrap()
                    .remove(0);
                eval(&all, &T::sum(&u * &same), &vals_g)
                    .unwrap()
                    .to_f64_vec()[0]
            }
            Ok(mut g) => eval(&all, &T::sum(g.remove(0) * &v), &vals_g)
                .unwrap()
                .to_f64_vec()[0],
        };
        assert!(
            (a - b).abs() <= 1e-10 * b.abs().max(1.0),
            "{out}: {a} vs {b}"
        );
    }
    // integer outputs have no R-op (they do not vary)
    let a = T::argsort(&x, Some(0)).unwrap();
    assert!(rop(
        std::slice::from_ref(&a),
        std::slice::from_ref(&x),
        std::slice::from_ref(&v)
    )
    .is_err());
}

#[test]
fn gradients_refused_and_integer_outputs() {
    let x = input(DType::Float64, 2, "x");
    // RepeatOp with a vector of counts: not implemented, as in Theano 1.0
    let r = T::repeat(&x, T::constant(vec![1i64, 0, 2]), Some(1)).unwrap();
    let e = grad(&T::sum(&r), std::slice::from_ref(&x)).unwrap_err();
    assert!(e.to_string().contains("RepeatOp"), "{e}");
    // Nonzero's gradient is undefined (Theano's grad_undefined)
    let nz = T::cast(T::nonzero_matrix(&x).unwrap(), DType::Float64);
    let e = grad(&T::sum(&(&nz * 1.0)), std::slice::from_ref(&x));
    assert!(e.is_err(), "{e:?}");
    // argsort: zeros, as Theano's `inp.zeros_like()`
    let a = T::cast(T::argsort(&x, Some(0)).unwrap(), DType::Float64);
    let g = grad(&T::sum(&(&a * &x)), std::slice::from_ref(&x))
        .unwrap()
        .remove(0);
    let xv = f64t(&[2, 3], &X);
    let gv = eval(std::slice::from_ref(&x), &g, std::slice::from_ref(&xv)).unwrap();
    // d/dx sum(argsort(x) * x) = argsort(x) (the argsort's own gradient is zero)
    let av = eval(std::slice::from_ref(&x), &a, std::slice::from_ref(&xv)).unwrap();
    assert_eq!(gv.to_f64_vec(), av.to_f64_vec());
    // nonzero_values: the gradient scatters back to the non-zero positions
    let nzv = T::nonzero_values(&x).unwrap();
    let g = grad(&T::sum(&(&nzv * &nzv)), std::slice::from_ref(&x))
        .unwrap()
        .remove(0);
    let xv = f64t(&[2, 3], &[0., 2., 0., -1., 0., 3.]);
    let gv = eval(std::slice::from_ref(&x), &g, std::slice::from_ref(&xv)).unwrap();
    assert_eq!(gv.to_f64_vec(), vec![0., 4., 0., -2., 0., 6.]);
}

/// Values that the ops refuse at run time: typed errors naming what was expected and given,
/// on both linkers.
#[test]
fn run_time_errors() {
    let x = input(DType::Float64, 2, "x");
    let iv = input(DType::Int64, 1, "iv");
    let ax = input(DType::Int64, 0, "ax");
    let xv = f64t(&[2, 3], &X);
    let kind = theano_ir::SortKind::Quicksort;
    let cases: Vec<(&str, Variable, Vec<Tensor>, &[&str])> = vec![
        (
            "repeat counts of the wrong length",
            T::repeat(&x, &iv, Some(1)).unwrap(),
            vec![xv.clone(), i64t(&[2], &[1, 1]), Tensor::scalar(0i64)],
            &["RepeatOp", "repeats has 2 entries", "length 3"],
        ),
        (
            "negative repeat count",
            T::repeat(&x, &iv, Some(0)).unwrap(),
            vec![xv.clone(), i64t(&[2], &[1, -1]), Tensor::scalar(0i64)],
            &["RepeatOp", "negative", "-1"],
        ),
        (
            "negative scalar repeat count",
            T::apply_op(Op::Repeat { axis: None }, vec![x.clone(), ax.clone()])
                .unwrap()
                .remove(0),
            vec![xv.clone(), i64t(&[1], &[0]), Tensor::scalar(-2i64)],
            &["RepeatOp", "negative", "-2"],
        ),
        (
            "symbolic sort axis out of range",
            T::apply_op(Op::Sort { kind }, vec![x.clone(), ax.clone()])
                .unwrap()
                .remove(0),
            vec![xv.clone(), i64t(&[1], &[0]), Tensor::scalar(3i64)],
            &["SortOp", "axis 3 is out of bounds for array of dimension 2"],
        ),
        (
            "symbolic argsort axis out of range",
            T::apply_op(Op::ArgSort { kind }, vec![x.clone(), ax.clone()])
                .unwrap()
                .remove(0),
            vec![xv.clone(), i64t(&[1], &[0]), Tensor::scalar(-3i64)],
            &["ArgSortOp", "axis -3 is out of bounds"],
        ),
    ];
    let ins = [x.clone(), iv.clone(), ax.clone()];
    let refs: Vec<&Variable> = ins.iter().collect();
    for (what, out, vals, want) in cases {
        for mode in [Mode::interp(), Mode::default()] {
            let f = theano::compile(&refs, &out)
                .mode(mode.clone())
                .on_unused_input(theano::OnUnused::Ignore)
                .build()
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let e = f.call(&vals).expect_err(what).to_string();
            for w in want {
                assert!(e.contains(w), "{what} ({mode:?}): `{e}` lacks `{w}`");
            }
        }
    }
    // a symbolic axis in range works
    let s = T::apply_op(Op::Sort { kind }, vec![x.clone(), ax.clone()])
        .unwrap()
        .remove(0);
    let f = theano::compile(&[&x, &ax], &s).build().unwrap();
    let got = f
        .call(&[xv.clone(), Tensor::scalar(-2i64)])
        .unwrap()
        .remove(0);
    assert_eq!(got.to_f64_vec(), vec![1.5, -2.0, -6.0, 4.0, 0.5, 3.0]);
}

/// The GPU backend has no kernels for these ops: on theano-cuda's runtime (on the emulator)
/// they run through its interpreter fallback and agree with the CPU backend.
#[test]
fn the_gpu_runtime_runs_them_through_the_interpreter() {
    let x = input(DType::Float64, 2, "x");
    let outs = vec![
        T::cumsum(&x, Some(-1)).unwrap(),
        T::cumprod(&x, None).unwrap(),
        T::sort(&x, Some(0)).unwrap(),
        T::argsort(&x, None).unwrap(),
        T::repeat(&x, T::constant(vec![1i64, 0, 2]), Some(1)).unwrap(),
        T::tile(&x, &[T::constant(2i64)], Some(3)).unwrap(),
        T::nonzero_values(&x).unwrap(),
        T::nonzero_matrix(&x).unwrap(),
    ];
    let xv = f64t(&[2, 3], &[1.5, 0., 3., 0., 0.5, -6.]);
    let interpreted = common::gpu_agrees_and_interprets(&[&x], &outs, std::slice::from_ref(&xv));
    for name in ["CumOp", "SortOp", "ArgSortOp", "RepeatOp", "Nonzero"] {
        assert!(
            interpreted.iter().any(|n| n.contains(name)),
            "{name} not interpreted: {interpreted:?}"
        );
    }
}
