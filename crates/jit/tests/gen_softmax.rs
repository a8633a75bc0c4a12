//! The generated softmax kernels (gen_softmax.rs: `Softmax`, `LogSoftmax`,
//! `CrossentropySoftmaxArgmax1HotWithBias`, `CrossentropySoftmax1HotWithBiasDx`), taken from a
//! `KernelSet` as the JIT linker takes them, against the interpreter: float32/float64, C,
//! transposed, negative-stride and strided layouts, zero rows, one column, blocks of rows
//! with a remainder, calls split over threads; within rtol 1e-12 (float64) / 1e-5 (float32)
//! of `max(|want|, 1)`. Bad labels and shapes are refused in `out_shape(s)` with the messages
//! of the former Rust kernels, before any generated code runs.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use theano_ir::{Op, TensorType};
use theano_jit::{JitError, KernelSet, NativeKernel, View};
use theano_tensor::ndarray::{Axis, Slice};
use theano_tensor::{with_array, DType, Tensor};

mod common;
use common::{assert_close, run_kernel, tol};

#[derive(Clone, Copy, Debug)]
enum Layout {
    C,
    /// Fortran order: the transpose of a C array
    Transposed,
    /// both axes reversed (negative strides)
    Negative,
    /// every other column of a wider array
    Strided,
}

const LAYOUTS: [Layout; 4] = [
    Layout::C,
    Layout::Transposed,
    Layout::Negative,
    Layout::Strided,
];

/// A tensor of `shape` (rank 1 or 2) holding `vals` in C order, laid out as `layout`.
fn tensor(d: DType, shape: &[usize], vals: Vec<f64>, layout: Layout) -> Tensor {
    let t = Tensor::from_f64_vec(d, shape, vals).unwrap();
    let nd = shape.len();
    match layout {
        Layout::C => t,
        Layout::Transposed => {
            let f = with_array!(&t, a => Tensor::from_array(
                a.clone().reversed_axes().as_standard_layout().into_owned()
            ));
            with_array!(&f, a => Tensor::from_array(a.clone().reversed_axes()))
        }
        Layout::Negative => {
            // a C array of the reversed values, viewed with every axis reversed
            let mut r = with_array!(&t, a => {
                let mut v = a.clone();
                for ax in 0..nd {
                    v.invert_axis(Axis(ax));
                }
                Tensor::from_array(v.as_standard_layout().into_owned())
            });
            r = with_array!(&r, a => {
                let mut v = a.clone();
                for ax in 0..nd {
                    v.invert_axis(Axis(ax));
                }
                Tensor::from_array(v)
            });
            r
        }
        Layout::Strided => {
            let mut wide = shape.to_vec();
            wide[nd - 1] *= 2;
            let last = shape[nd - 1].max(1);
            let v = t.to_f64_vec();
            let mut w = vec![0.0; v.len() * 2];
            for (i, x) in v.iter().enumerate() {
                w[(i / last) * 2 * last + 2 * (i % last)] = *x;
            }
            let wt = Tensor::from_f64_vec(d, &wide, w).unwrap();
            with_array!(&wt, a => Tensor::from_array(
                a.clone().slice_axis_move(Axis(nd - 1), Slice::new(0, None, 2))
            ))
        }
    }
}

fn vals(rng: &mut StdRng, n: usize, extreme: bool) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if extreme {
                match rng.random_range(0..8) {
                    0 => 700.0,
                    1 => -700.0,
                    2 => f64::NAN,
                    3 => f64::NEG_INFINITY,
                    4 => 1.0,
                    // (infinite in float32)
                    5 => 1e300,
                    6 => -1e300,
                    _ => rng.random_range(-50.0..50.0),
                }
            } else if rng.random_bool(0.1) {
                0.25 // ties
            } else {
                rng.random_range(-8.0..8.0)
            }
        })
        .collect()
}

/// The generated kernel for `op` on tensors like `ins`.
fn kernel(op: &Op, ins: &[&Tensor]) -> Box<dyn NativeKernel> {
    let tys: Vec<TensorType> = ins
        .iter()
        .map(|t| theano_interp::value_type(t).unwrap())
        .collect();
    let outs = op.infer_types(&tys).unwrap();
    KernelSet::generated(op, &tys, &outs).unwrap()
}

/// Run `k` on `ins` into fresh, poisoned outputs.
fn run(k: &dyn NativeKernel, ins: &[&Tensor]) -> Result<Vec<Tensor>, JitError> {
    let views: Vec<View> = ins.iter().map(|t| View::of(t).unwrap()).collect();
    run_kernel(k, &views)
}

/// Kernel and interpreter agree (or both refuse: `false`).
fn check(op: &Op, ins: &[&Tensor], what: &str) -> bool {
    let k = kernel(op, ins);
    let got = run(k.as_ref(), ins);
    let want = theano_interp::perform(op, ins, &[]);
    match (got, want) {
        (Ok(g), Ok(w)) => {
            assert_eq!(g.len(), w.len(), "{what}");
            for (j, (a, b)) in g.iter().zip(&w).enumerate() {
                assert_close(a, b, tol(a.dtype()), &format!("{what} output {j}"));
            }
            true
        }
        (Err(JitError::Args(_)), Err(_)) => false,
        (g, w) => panic!("{what}: kernel {g:?} vs interpreter {w:?}"),
    }
}

/// (rows, cols): zero rows, one column, vector tails, more than a block of 16 rows.
const SHAPES: [(usize, usize); 8] = [
    (0, 5),
    (3, 0),
    (1, 1),
    (7, 1),
    (5, 7),
    (37, 10),
    (16, 33),
    (3, 2),
];

#[test]
fn softmax_and_log_softmax_every_layout() {
    let mut rng = StdRng::seed_from_u64(21);
    let mut ok = 0;
    for d in [DType::Float64, DType::Float32] {
        for op in [Op::Softmax, Op::LogSoftmax] {
            for (r, c) in SHAPES {
                for layout in LAYOUTS {
                    for extreme in [false, true] {
                        let x = tensor(d, &[r, c], vals(&mut rng, r * c, extreme), layout);
                        let what = format!("{op} {d} {r}x{c} {layout:?} extreme={extreme}");
                        ok += check(&op, &[&x], &what) as usize;
                    }
                }
                // rank 1
                let x = tensor(d, &[c], vals(&mut rng, c, false), Layout::Negative);
                ok += check(&op, &[&x], &format!("{op} {d} [{c}]")) as usize;
            }
        }
    }
    assert_eq!(ok, 2 * 2 * 8 * (4 * 2 + 1));
}

#[test]
fn large_softmax_splits_rows_over_threads() {
    let mut rng = StdRng::seed_from_u64(22);
    for d in [DType::Float64, DType::Float32] {
        for op in [Op::Softmax, Op::LogSoftmax] {
            for layout in [Layout::C, Layout::Transposed] {
                let x = tensor(d, &[600, 500], vals(&mut rng, 300_000, false), layout);
                assert!(check(&op, &[&x], &format!("{op} {d} 600x500 {layout:?}")));
            }
        }
    }
}

#[test]
fn crossentropy_every_layout() {
    let mut rng = StdRng::seed_from_u64(23);
    let op = Op::CrossentropySoftmaxArgmax1HotWithBias;
    let mut ok = 0;
    for (dx, db) in [
        (DType::Float64, DType::Float64),
        (DType::Float32, DType::Float32),
        (DType::Float32, DType::Float64),
        (DType::Float64, DType::Float32),
    ] {
        for (r, c) in SHAPES {
            for layout in LAYOUTS {
                for (extreme, bias_one) in [(false, false), (true, false), (false, true)] {
                    let x = tensor(dx, &[r, c], vals(&mut rng, r * c, extreme), layout);
                    let nb = if bias_one { 1 } else { c };
                    let b = tensor(db, &[nb], vals(&mut rng, nb, false), layout);
                    for ydt in [DType::Int64, DType::Int32, DType::Int16, DType::UInt8] {
                        let y = (0..r).map(|_| rng.random_range(0..c.max(1)) as f64);
                        let y = tensor(ydt, &[r], y.collect(), layout);
                        let what = format!(
                            "{dx}/{db} {r}x{c} {layout:?} extreme={extreme} b1={bias_one} {ydt}"
                        );
                        ok += check(&op, &[&x, &b, &y], &what) as usize;
                    }
                }
            }
        }
    }
    // refused: only the zero-column shape with rows (labels out of range for 0 classes)
    assert_eq!(ok, 4 * 7 * 4 * 3 * 4);
}

#[test]
fn crossentropy_dx_every_layout() {
    let mut rng = StdRng::seed_from_u64(24);
    let op = Op::CrossentropySoftmax1HotWithBiasDx;
    let mut ok = 0;
    for (dd, ds) in [
        (DType::Float64, DType::Float64),
        (DType::Float32, DType::Float32),
        (DType::Float64, DType::Float32),
        (DType::Float32, DType::Float64),
    ] {
        for (r, c) in SHAPES {
            for layout in LAYOUTS {
                for d_one in [false, true] {
                    let sm = tensor(ds, &[r, c], vals(&mut rng, r * c, d_one), layout);
                    let nd = if d_one { 1 } else { r };
                    let d = tensor(dd, &[nd], vals(&mut rng, nd, false), layout);
                    let y = (0..r).map(|_| rng.random_range(0..c.max(1)) as f64);
                    let y = tensor(DType::Int8, &[r], y.collect(), layout);
                    let what = format!("{dd}/{ds} {r}x{c} {layout:?} d1={d_one}");
                    ok += check(&op, &[&d, &sm, &y], &what) as usize;
                }
            }
        }
    }
    assert_eq!(ok, 4 * 7 * 4 * 2);
}

#[test]
fn bad_labels_and_shapes_are_refused_before_running() {
    let f = |shape: &[usize], v: Vec<f64>| Tensor::from_f64_vec(DType::Float64, shape, v).unwrap();
    let x = f(&[2, 3], vec![0.5; 6]);
    let b = f(&[3], vec![0.0; 3]);
    let d = f(&[2], vec![1.0; 2]);
    let xent = Op::CrossentropySoftmaxArgmax1HotWithBias;
    let dx = Op::CrossentropySoftmax1HotWithBiasDx;
    let err = |op: &Op, ins: &[&Tensor]| -> String {
        let k = kernel(op, ins);
        assert!(!check(op, ins, "refused"));
        match run(k.as_ref(), ins) {
            Err(JitError::Args(m)) => m,
            r => panic!("{op}: {r:?}"),
        }
    };
    for (labels, bad) in [
        (
            [0.0, 3.0],
            "label y_idx[1] = 3 is out of range for 3 classes",
        ),
        (
            [-1.0, 0.0],
            "label y_idx[0] = -1 is out of range for 3 classes",
        ),
    ] {
        let y = Tensor::from_f64_vec(DType::Int64, &[2], labels.to_vec()).unwrap();
        let m = err(&xent, &[&x, &b, &y]);
        assert_eq!(
            m,
            format!("CrossentropySoftmaxArgmax1HotWithBias: {bad}"),
            "{m}"
        );
        let m = err(&dx, &[&d, &x, &y]);
        assert_eq!(m, format!("CrossentropySoftmax1HotWithBiasDx: {bad}"));
    }
    let y = Tensor::from_f64_vec(DType::Int64, &[2], vec![0.0, 1.0]).unwrap();
    let y3 = Tensor::from_f64_vec(DType::Int64, &[3], vec![0.0; 3]).unwrap();
    assert_eq!(
        err(&xent, &[&x, &b, &y3]),
        "CrossentropySoftmaxArgmax1HotWithBias: y_idx has 3 labels but there are 2 rows"
    );
    assert_eq!(
        err(&dx, &[&d, &x, &y3]),
        "CrossentropySoftmax1HotWithBiasDx: y_idx has 3 labels but there are 2 rows"
    );
    let b2 = f(&[2], vec![0.0; 2]);
    assert_eq!(
        err(&xent, &[&x, &b2, &y]),
        "CrossentropySoftmaxArgmax1HotWithBias: the bias has 2 entries but x has 3 columns"
    );
    let d3 = f(&[3], vec![0.0; 3]);
    assert_eq!(
        err(&dx, &[&d3, &x, &y]),
        "CrossentropySoftmax1HotWithBiasDx: dnll has 3 entries but sm has 2 rows"
    );
    // a kernel generated for float64 / int64 refuses other dtypes and counts
    let k = kernel(&xent, &[&x, &b, &y]);
    let x32 = Tensor::from_f64_vec(DType::Float32, &[2, 3], vec![0.0; 6]).unwrap();
    let y32 = Tensor::from_f64_vec(DType::Int32, &[2], vec![0.0; 2]).unwrap();
    for ins in [vec![&x32, &b, &y], vec![&x, &b, &y32], vec![&x, &b]] {
        assert!(matches!(run(k.as_ref(), &ins), Err(JitError::Args(_))));
    }
    let k = kernel(&Op::Softmax, &[&x]);
    assert!(matches!(run(k.as_ref(), &[&x32]), Err(JitError::Args(_))));
    assert!(matches!(run(k.as_ref(), &[&b]), Err(JitError::Args(_))));
}

#[test]
fn generated_only_for_float_inputs_and_integer_labels() {
    let t = |d: DType, nd: usize| TensorType::with_ndim(d, nd).unwrap();
    let mut ks = KernelSet::new(false).unwrap();
    let f64m = t(DType::Float64, 2);
    let add = |ks: &mut KernelSet, op: Op, ins: &[TensorType], outs: &[TensorType]| {
        ks.add_native(&op, ins, outs).is_ok()
    };
    assert!(add(&mut ks, Op::Softmax, &[f64m], &[f64m]));
    assert!(add(
        &mut ks,
        Op::LogSoftmax,
        &[t(DType::Float32, 1)],
        &[t(DType::Float32, 1)]
    ));
    // an output dtype other than the input's, an integer input, rank 3: not generated
    assert!(!add(&mut ks, Op::Softmax, &[f64m], &[t(DType::Float32, 2)]));
    assert!(!add(
        &mut ks,
        Op::Softmax,
        &[t(DType::Int64, 2)],
        &[t(DType::Int64, 2)]
    ));
    assert!(!add(
        &mut ks,
        Op::Softmax,
        &[t(DType::Float64, 3)],
        &[t(DType::Float64, 3)]
    ));
    let xent = Op::CrossentropySoftmaxArgmax1HotWithBias;
    let ins = [f64m, t(DType::Float64, 1), t(DType::Int64, 1)];
    let outs = xent.infer_types(&ins).unwrap();
    assert!(add(&mut ks, xent.clone(), &ins, &outs));
    let bool_labels = [f64m, t(DType::Float64, 1), t(DType::Bool, 1)];
    assert!(!add(&mut ks, xent, &bool_labels, &outs));
}
