//! The generated reductions (`Reduce{..}`, `MaxAndArgmax`: crates/jit/src/gen_reduce.rs)
//! against the interpreter, the oracle: every kind and dtype, layouts (C, transposed,
//! negative stride, stride-0 broadcast, sliced), zero-size and long (vectorized) lanes, axes
//! None / single / several, ranks 0 to 8, and the refusals. Integers, max/min and argmax are
//! compared exactly (the sign of a zero included); float sums and products within rtol
//! 1e-12 (float64) / 1e-5 (float32).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use theano_ir::{Op, ReduceKind, TensorType};
use theano_jit::{JitError, KernelSet, NativeKernel, Shape, View};
use theano_tensor::ndarray::{Axis, IxDyn, Slice};
use theano_tensor::{with_array, DType, Element, Tensor};

mod common;
use common::{assert_close, run_kernel, tol};

/// Run the one-input kernel `k` on `x` into fresh, poisoned outputs.
fn run(k: &dyn NativeKernel, x: &View) -> Result<Vec<Tensor>, JitError> {
    run_kernel(k, std::slice::from_ref(x))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Layout {
    C,
    Transposed,
    /// axis 0 reversed
    Negative,
    /// axis 0 a stride-0 broadcast
    Broadcast,
    /// every other element of the last axis
    Sliced,
}

const LAYOUTS: [Layout; 5] = [
    Layout::C,
    Layout::Transposed,
    Layout::Negative,
    Layout::Broadcast,
    Layout::Sliced,
];

/// Value regimes: 0 uniform with rare specials, 1 few distinct values (ties, signed zeros,
/// infinities, rare NaN), 2 wide integers (wrapping sums and products).
fn values(rng: &mut StdRng, n: usize, d: DType, regime: u32) -> Vec<f64> {
    (0..n)
        .map(|_| match (d, regime) {
            (DType::Bool, _) => rng.random_range(0..2) as f64,
            (DType::UInt8, _) => rng.random_range(0..256) as f64,
            (d, 0) if d.is_float() => {
                if rng.random_bool(0.002) {
                    [f64::NAN, f64::INFINITY, -0.0][rng.random_range(0..3)]
                } else {
                    rng.random_range(-1.0..1.0)
                }
            }
            (d, _) if d.is_float() => {
                if rng.random_bool(0.001) {
                    f64::NAN
                } else {
                    [-0.0, 0.0, -1.5, -0.0, f64::NEG_INFINITY, 0.25][rng.random_range(0..6)]
                }
            }
            (DType::Int64, 2) => rng.random_range(i64::MIN..i64::MAX) as f64,
            (DType::Int32, 2) => rng.random_range(i32::MIN..i32::MAX) as f64,
            (DType::Int16, 2) => rng.random_range(i16::MIN..i16::MAX) as f64,
            (DType::Int8, 2) => rng.random_range(-128..128) as f64,
            _ => rng.random_range(-3i64..4) as f64,
        })
        .collect()
}

/// An input: the tensor the interpreter sees, the base holding the kernel's memory and the
/// kernel's view of it.
struct Input {
    tensor: Tensor,
    _base: Tensor,
    view: View,
}

fn make(rng: &mut StdRng, d: DType, shape: &[usize], layout: Layout, regime: u32) -> Input {
    let nd = shape.len();
    let layout = if nd == 0 { Layout::C } else { layout };
    let mut bshape = shape.to_vec();
    match layout {
        Layout::Transposed => bshape.reverse(),
        Layout::Broadcast => bshape[0] = 1,
        Layout::Sliced => bshape[nd - 1] *= 2,
        _ => {}
    }
    let n: usize = bshape.iter().product();
    // `Tensor::from_f64_vec` of a value outside f64's exact integers rounds: fine
    let base = Tensor::from_f64_vec(d, &bshape, values(rng, n, d, regime)).unwrap();
    let (tensor, view) = with_array!(&base, a => {
        let mut v = match layout {
            Layout::Transposed => a.view().reversed_axes(),
            Layout::Broadcast => a.broadcast(IxDyn(shape)).unwrap(),
            _ => a.view(),
        };
        match layout {
            Layout::Negative => v.invert_axis(Axis(0)),
            Layout::Sliced => v.slice_axis_inplace(Axis(nd - 1), Slice::new(0, None, 2)),
            _ => {}
        }
        // the interpreter's copy in C order: it folds a full reduction in memory order,
        // the kernel in index order (they differ for products through inf and underflow)
        (
            Tensor::from_array(v.as_standard_layout().into_owned()),
            View::raw(v.as_ptr() as *mut u8, d, v.shape(), v.strides()).unwrap(),
        )
    });
    assert_eq!(tensor.shape(), shape);
    Input {
        tensor,
        _base: base,
        view,
    }
}

/// The generated kernel for `op` on one input of `t`, or `None` (no generator).
fn generated(op: &Op, t: TensorType) -> Option<Box<dyn NativeKernel>> {
    let outs = op.infer_types(&[t]).ok()?;
    KernelSet::generated(op, &[t], &outs).ok()
}

/// Kernel vs interpreter: both succeed and agree, or both refuse.
fn check(k: &dyn NativeKernel, op: &Op, x: &Input, rtol: f64, what: &str) {
    let got = run(k, &x.view);
    let want = theano_interp::perform(op, &[&x.tensor], &[]);
    match (got, want) {
        (Ok(g), Ok(w)) => {
            assert_eq!(g.len(), w.len(), "{what}");
            for (g, w) in g.iter().zip(&w) {
                assert_close(g, w, rtol, what);
            }
        }
        (Err(JitError::Args(_)), Err(_)) => {}
        (g, w) => panic!("{what}: kernel {g:?} vs interpreter {w:?}"),
    }
}

fn shapes() -> Vec<Vec<usize>> {
    vec![
        vec![],
        vec![1],
        vec![37],
        vec![1000],
        vec![0],
        vec![0, 5],
        vec![5, 0],
        vec![3, 40],
        vec![40, 3],
        vec![17, 33],
        vec![2, 3, 4],
        vec![4, 1, 70],
        vec![2, 3, 1, 5],
        vec![2, 2, 2, 2, 2, 2],
        vec![1, 2, 1, 2, 1, 2, 1, 3],
    ]
}

/// None, then every subset of the axes for ranks up to 3; a few for higher ranks.
fn axes_sets(nd: usize) -> Vec<Option<Vec<usize>>> {
    let mut v = vec![None];
    if nd <= 3 {
        for m in 0..(1u32 << nd) {
            v.push(Some((0..nd).filter(|i| m & (1 << i) != 0).collect()));
        }
    } else {
        v.push(Some(vec![]));
        v.push(Some(vec![0]));
        v.push(Some(vec![nd - 1]));
        v.push(Some(vec![1, nd - 2]));
        v.push(Some((0..nd).step_by(2).collect()));
    }
    v
}

/// One kernel per (op, dtype, rank), run on every shape of the rank, layout and regime.
fn sweep(ops: impl Fn(&Option<Vec<usize>>) -> Vec<Op>, dtypes: &[DType], exact: bool) -> usize {
    let mut rng = StdRng::seed_from_u64(42);
    let mut by_rank: HashMap<usize, Vec<Vec<usize>>> = HashMap::new();
    for s in shapes() {
        by_rank.entry(s.len()).or_default().push(s);
    }
    let mut n = 0;
    for &d in dtypes {
        for nd in 0..=8 {
            let Some(shs) = by_rank.get(&nd) else {
                continue;
            };
            for axes in axes_sets(nd) {
                for op in ops(&axes) {
                    let k = generated(&op, TensorType::with_ndim(d, nd).unwrap())
                        .unwrap_or_else(|| panic!("{op} {d} rank {nd}: not generated"));
                    let exact_here = exact
                        || matches!(
                            op,
                            Op::Reduce {
                                kind: ReduceKind::Max
                                    | ReduceKind::Min
                                    | ReduceKind::All
                                    | ReduceKind::Any,
                                ..
                            }
                        );
                    let rtol = if exact_here { 0.0 } else { tol(d) };
                    for sh in shs {
                        for layout in LAYOUTS {
                            for regime in 0..3 {
                                let x = make(&mut rng, d, sh, layout, regime);
                                let what = format!("{op} {d} {sh:?} {layout:?} regime {regime}");
                                check(k.as_ref(), &op, &x, rtol, &what);
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    n
}

#[test]
fn every_reduction_matches_the_interpreter() {
    let n = sweep(
        |axes| {
            ReduceKind::ALL
                .iter()
                .map(|&kind| Op::Reduce {
                    kind,
                    axes: axes.clone(),
                    dtype: None,
                })
                .collect()
        },
        &DType::ALL,
        false,
    );
    assert!(n > 20_000, "{n} cases");
}

#[test]
fn max_and_argmax_matches_the_interpreter() {
    let n = sweep(
        |axes| {
            // MaxAndArgmax names its axes (all of them for None)
            axes.iter()
                .map(|a| Op::MaxAndArgmax { axes: a.clone() })
                .collect()
        },
        &DType::ALL,
        true,
    );
    assert!(n > 3_000, "{n} cases");
}

#[test]
fn long_lanes_nan_and_signed_zero_positions() {
    // the vector paths with one NaN, or only zeros, at every position of a lane
    for d in [DType::Float64, DType::Float32] {
        let t = TensorType::with_ndim(d, 1).unwrap();
        let ops = [
            Op::Reduce {
                kind: ReduceKind::Max,
                axes: None,
                dtype: None,
            },
            Op::Reduce {
                kind: ReduceKind::Min,
                axes: None,
                dtype: None,
            },
            Op::MaxAndArgmax { axes: vec![0] },
        ];
        for op in ops {
            let k = generated(&op, t).unwrap();
            for n in [8usize, 16, 33, 67] {
                for pos in 0..n {
                    for special in [f64::NAN, -0.0, 0.0, f64::INFINITY] {
                        let mut v = vec![0.0; n];
                        for (i, x) in v.iter_mut().enumerate() {
                            *x = if i % 3 == 0 { -0.0 } else { -(i as f64) };
                        }
                        v[pos] = special;
                        let tensor = Tensor::from_f64_vec(d, &[n], v).unwrap();
                        let x = Input {
                            view: View::of(&tensor).unwrap(),
                            _base: tensor.clone(),
                            tensor,
                        };
                        check(
                            k.as_ref(),
                            &op,
                            &x,
                            0.0,
                            &format!("{op} {d} n={n} at {pos}"),
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn long_full_reductions_over_threads_are_exact_for_ints() {
    let n = theano_jit::PAR_REDUCE * 2 + 7;
    let mut rng = StdRng::seed_from_u64(5);
    for d in [DType::Int64, DType::Int8, DType::Bool, DType::Float64] {
        let tensor = Tensor::from_f64_vec(d, &[n], values(&mut rng, n, d, 2)).unwrap();
        let x = Input {
            view: View::of(&tensor).unwrap(),
            _base: tensor.clone(),
            tensor,
        };
        for kind in [
            ReduceKind::Sum,
            ReduceKind::Prod,
            ReduceKind::Max,
            ReduceKind::Any,
        ] {
            let op = Op::Reduce {
                kind,
                axes: None,
                dtype: None,
            };
            let k = generated(&op, TensorType::with_ndim(d, 1).unwrap()).unwrap();
            check(k.as_ref(), &op, &x, tol(d), &format!("{op} {d} n={n}"));
        }
    }
}

#[test]
fn refusals() {
    let t = |d: DType, nd: usize| TensorType::with_ndim(d, nd).unwrap();
    let f64m = t(DType::Float64, 2);
    // empty max/min: the interpreter's message
    let x = Tensor::zeros(DType::Float64, &[3, 0]);
    let xv = View::of(&x).unwrap();
    for (kind, word) in [(ReduceKind::Max, "maximum"), (ReduceKind::Min, "minimum")] {
        let op = Op::Reduce {
            kind,
            axes: Some(vec![1]),
            dtype: None,
        };
        let k = generated(&op, f64m).unwrap();
        let e = run(k.as_ref(), &xv).unwrap_err();
        let want = format!("zero-size array to reduction operation {word} which has no identity");
        assert!(
            matches!(e, JitError::Args(ref m) if m.contains(&want)),
            "{e}"
        );
        // over the non-empty axis: shape (0,)
        let op = Op::Reduce {
            kind,
            axes: Some(vec![0]),
            dtype: None,
        };
        let k = generated(&op, f64m).unwrap();
        assert_eq!(run(k.as_ref(), &xv).unwrap()[0].shape(), &[0]);
    }
    // empty sums, products, all, any: the identities
    for (kind, want) in [
        (ReduceKind::Sum, 0.0),
        (ReduceKind::Prod, 1.0),
        (ReduceKind::All, 1.0),
        (ReduceKind::Any, 0.0),
    ] {
        let op = Op::Reduce {
            kind,
            axes: None,
            dtype: None,
        };
        let k = generated(&op, f64m).unwrap();
        assert_eq!(run(k.as_ref(), &xv).unwrap()[0].to_f64_vec(), vec![want]);
    }
    // empty argmax
    let k = generated(&Op::MaxAndArgmax { axes: vec![1] }, f64m).unwrap();
    assert!(matches!(run(k.as_ref(), &xv), Err(JitError::Args(_))));
    // wrong dtype or rank of the view
    let sum = generated(
        &Op::Reduce {
            kind: ReduceKind::Sum,
            axes: Some(vec![1]),
            dtype: None,
        },
        f64m,
    )
    .unwrap();
    let i32m = Tensor::zeros(DType::Int32, &[2, 2]);
    let v3 = Tensor::zeros(DType::Float64, &[3]);
    for bad in [&i32m, &v3] {
        let e = sum.out_shape(&[View::of(bad).unwrap()]).unwrap_err();
        assert!(matches!(e, JitError::Args(_)), "{e}");
    }
    assert!(sum.out_shape(&[]).is_err());
    let am = generated(&Op::MaxAndArgmax { axes: vec![0] }, f64m).unwrap();
    let mut s = [Shape::default(); 2];
    assert!(am.out_shapes(&[View::of(&v3).unwrap()], &mut s).is_err());
    // ops that do not fit their types: no kernel (the interpreter reports it)
    let mut ks = KernelSet::new(false).unwrap();
    let sum_all = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: None,
        dtype: None,
    };
    assert!(ks
        .add_native(&sum_all, &[t(DType::Int32, 1)], &[t(DType::Float64, 0)])
        .is_err());
    for axes in [vec![2], vec![0, 0]] {
        let op = Op::Reduce {
            kind: ReduceKind::Sum,
            axes: Some(axes.clone()),
            dtype: None,
        };
        assert!(ks
            .add_native(&op, &[f64m], &[t(DType::Float64, 1)])
            .is_err());
        let op = Op::MaxAndArgmax { axes };
        let outs = [t(DType::Float64, 1), t(DType::Int64, 1)];
        assert!(ks.add_native(&op, &[f64m], &outs).is_err());
    }
    let _ = <f64 as Element>::DTYPE;
}
