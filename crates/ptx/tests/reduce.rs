//! Reductions on the emulator against the interpreter: every kind on every dtype, ranks 1-3,
//! every set of axes, C / transposed / reversed / stepped layouts, both schemes (row
//! kernels with warp shuffles and shared memory at several block sizes, column kernels).
//! Integers exactly; floats within rtol 1e-12 (f64) / 1e-5 (f32) of the sum of magnitudes.

mod common;

use common::*;
use theano_interp::perform;
use theano_ir::{Op, ReduceKind as IrKind};
use theano_ptx::emu::Dims;
use theano_ptx::launch::run_reduce;
use theano_ptx::reduce::{lower_reduce, ReduceKind, ReduceScheme};
use theano_tensor::{DType, Tensor};

fn reference(kind: ReduceKind, x: &Tensor, axes: &[usize]) -> Option<(Tensor, Option<Tensor>)> {
    let ir = |k| Op::Reduce {
        kind: k,
        axes: Some(axes.to_vec()),
        dtype: None,
    };
    let one = |op: Op| perform(&op, &[x], &[]).ok().map(|mut v| v.remove(0));
    Some(match kind {
        ReduceKind::Sum => (one(ir(IrKind::Sum))?, None),
        ReduceKind::Prod => (one(ir(IrKind::Prod))?, None),
        ReduceKind::Max => (one(ir(IrKind::Max))?, None),
        ReduceKind::Min => (one(ir(IrKind::Min))?, None),
        ReduceKind::All => (one(ir(IrKind::All))?, None),
        ReduceKind::Any => (one(ir(IrKind::Any))?, None),
        ReduceKind::Mean => {
            // the sum in float64, divided by the count
            let xf = x.cast(DType::Float64);
            let s = perform(&ir(IrKind::Sum), &[&xf], &[]).ok()?.remove(0);
            let m: usize = axes.iter().map(|&a| x.shape()[a]).product();
            let v: Vec<f64> = s.to_f64_vec().iter().map(|v| v / m as f64).collect();
            (
                Tensor::from_f64_vec(kind.out_dtype(x.dtype()), s.shape(), v).ok()?,
                None,
            )
        }
        ReduceKind::MaxAndArgmax => {
            let mut v = perform(
                &Op::MaxAndArgmax {
                    axes: axes.to_vec(),
                },
                &[x],
                &[],
            )
            .ok()?;
            let i = v.remove(1);
            (v.remove(0), Some(i))
        }
    })
}

fn all_axes(nd: usize) -> Vec<Vec<usize>> {
    (1..(1usize << nd))
        .map(|m| (0..nd).filter(|d| m & (1 << d) != 0).collect())
        .collect()
}

#[test]
fn every_reduction() {
    let mut r = rng(21);
    let mut n = 0;
    for kind in ReduceKind::ALL {
        for d in DType::ALL {
            for nd in 1..4 {
                for axes in all_axes(nd) {
                    let shape: Vec<usize> = (0..nd).map(|k| [5, 3, 70, 1][(k + n) % 4]).collect();
                    // products: no specials (overflow and underflow to 0 depend on the order)
                    let x = tensor(&mut r, d, &shape, kind != ReduceKind::Prod);
                    let Some((want, want_i)) = reference(kind, &x, &axes) else {
                        continue;
                    };
                    let abs = {
                        let a: Vec<f64> = x.to_f64_vec().iter().map(|v| v.abs()).collect();
                        let xa = Tensor::from_f64_vec(DType::Float64, x.shape(), a).unwrap();
                        perform(
                            &Op::Reduce {
                                kind: IrKind::Sum,
                                axes: Some(axes.clone()),
                                dtype: None,
                            },
                            &[&xa],
                            &[],
                        )
                        .unwrap()
                        .remove(0)
                        .to_f64_vec()
                    };
                    for scheme in [ReduceScheme::Row, ReduceScheme::Column] {
                        let rk = lower_reduce("r", kind, d, nd - axes.len(), axes.len(), scheme)
                            .unwrap();
                        let host = layout_variant(&x, n);
                        n += 1;
                        let dims = match scheme {
                            ReduceScheme::Row => Dims {
                                grid: 3,
                                block: [32, 64, 96][n % 3],
                            },
                            ReduceScheme::Column => Dims { grid: 2, block: 32 },
                        };
                        let (got, got_i) =
                            run_reduce(&rk, &host, &axes, dims).unwrap_or_else(|e| {
                                panic!("{kind:?} {d} {shape:?} {axes:?} {scheme:?}: {e}")
                            });
                        let got = got.to_tensor();
                        let ctx = format!("{kind:?} {d} shape {shape:?} axes {axes:?} {scheme:?}");
                        assert_eq!(got.dtype(), want.dtype(), "{ctx}");
                        assert_eq!(got.shape(), want.shape(), "{ctx}");
                        if want.dtype().is_float() {
                            let rtol = if want.dtype() == DType::Float32 {
                                1e-5
                            } else {
                                1e-12
                            };
                            let scale_all = matches!(kind, ReduceKind::Sum | ReduceKind::Mean);
                            let m: usize = axes.iter().map(|&a| shape[a]).product();
                            for (k, (g, w)) in
                                got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate()
                            {
                                if (g.is_nan() && w.is_nan()) || *g == w {
                                    continue;
                                }
                                let s = if scale_all {
                                    abs[k]
                                        / if kind == ReduceKind::Mean {
                                            m as f64
                                        } else {
                                            1.0
                                        }
                                } else {
                                    w.abs()
                                };
                                assert!(
                                    (g - w).abs() <= rtol * s.max(w.abs()),
                                    "{ctx}: element {k}: got {g:e}, want {w:e}\n{x:?}"
                                );
                            }
                        } else {
                            assert_eq!(got.to_i64_vec(), want.to_i64_vec(), "{ctx}\n{x:?}");
                        }
                        if let Some(wi) = &want_i {
                            let gi = got_i.expect("argmax output").to_tensor();
                            assert_eq!(gi.to_i64_vec(), wi.to_i64_vec(), "{ctx}: argmax\n{x:?}");
                        }
                    }
                }
            }
        }
    }
    println!("reductions: {n} kernels compared");
    assert!(n > 500, "{n}");
}

#[test]
fn empty_max_is_refused_and_empty_sum_is_zero() {
    let x = Tensor::from_f64_vec(DType::Float64, &[2, 0], vec![]).unwrap();
    let h = theano_ptx::launch::HostArray::from_tensor(&x);
    let rk = lower_reduce(
        "r",
        ReduceKind::Max,
        DType::Float64,
        1,
        1,
        ReduceScheme::Row,
    )
    .unwrap();
    assert!(run_reduce(&rk, &h, &[1], Dims { grid: 1, block: 32 }).is_err());
    let rk = lower_reduce(
        "r",
        ReduceKind::Sum,
        DType::Float64,
        1,
        1,
        ReduceScheme::Row,
    )
    .unwrap();
    let (s, _) = run_reduce(&rk, &h, &[1], Dims { grid: 1, block: 32 }).unwrap();
    assert_eq!(s.to_tensor().to_f64_vec(), vec![0.0, 0.0]);
}
