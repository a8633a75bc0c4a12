//! The flat loop's wide path (blocks calling the AVX-512 helpers for exp, tanh and sigmoid)
//! against the inline 128-bit code, on composites that split into several groups, at sizes
//! around the block length (512) and the vector width, with a broadcast scalar input, split
//! across threads, and in place over an input. Nothing to check on a host without AVX-512.

use theano_ir::{Composite, ScalarOp};
use theano_jit::{KernelSet, NativeKernel, View};
use theano_tensor::{DType, Tensor};

mod common;

/// `n` values uniform in [-3, 3).
fn values(d: DType, n: usize, seed: u64) -> Tensor {
    let v = common::data(n, seed).into_iter().map(|x| 3.0 * x).collect();
    Tensor::from_f64_vec(d, &[n], v).unwrap()
}

/// (composite, which inputs are broadcast scalars)
const CASES: &[(&str, &[bool])] = &[
    ("((exp(i0) * i1) + tanh(i2))", &[false, false, false]),
    ("tanh((exp(i0) + i1))", &[false, true]),
    ("sigmoid(i0)", &[false]),
    (
        "((tanh(i0) + (tanh(i0) * i1)) - sigmoid((i1 * i0)))",
        &[false, false],
    ),
    ("(exp(i0) * tanh(i1))", &[false, true]),
    ("(softplus(i0) - (i1 * softplus(i0)))", &[false, true]),
];

fn close(d: DType, a: f64, b: f64) -> bool {
    let tol = if d == DType::Float64 { 1e-13 } else { 1e-5 };
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn wide_matches_inline() {
    if !theano_jit::wide_available() {
        eprintln!("no AVX-512 on this host: nothing to check");
        return;
    }
    for d in [DType::Float64, DType::Float32] {
        for (src, scal) in CASES {
            let op = ScalarOp::composite(Composite::parse(src).unwrap());
            let dts = vec![d; scal.len()];
            let build = |wide: bool| {
                let mut ks = KernelSet::new(false).unwrap();
                ks.set_wide(wide);
                let k = ks.add(&op, &dts, scal, d).unwrap();
                ks.finalize().unwrap();
                assert_eq!(ks.kernels()[k].wide, wide, "{src} {d}");
                (ks, k)
            };
            let (wide, kw) = build(true);
            let (inline, ki) = build(false);
            for n in [
                0usize, 1, 2, 3, 5, 511, 512, 513, 1023, 1024, 1025, 4099, 300_001,
            ] {
                let ins: Vec<Tensor> = scal
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| {
                        if s {
                            Tensor::from_f64_vec(d, &[], vec![0.375]).unwrap()
                        } else {
                            values(d, n, 7 + i as u64)
                        }
                    })
                    .collect();
                let refs: Vec<&Tensor> = ins.iter().collect();
                let got = wide.run(kw, &refs).unwrap().to_f64_vec();
                let want = inline.run(ki, &refs).unwrap().to_f64_vec();
                assert_eq!(got.len(), n);
                assert_eq!(want.len(), n);
                for i in 0..n {
                    assert!(
                        close(d, got[i], want[i]),
                        "{src} {d} n={n} i={i}: wide {:e} inline {:e}",
                        got[i],
                        want[i]
                    );
                }
            }
        }
    }
}

#[test]
fn wide_in_place_over_an_input() {
    if !theano_jit::wide_available() {
        return;
    }
    let op = ScalarOp::composite(Composite::parse("((exp(i0) * i1) + tanh(i0))").unwrap());
    let mut ks = KernelSet::new(false).unwrap();
    let k = ks
        .add(&op, &[DType::Float64; 2], &[false, false], DType::Float64)
        .unwrap();
    ks.finalize().unwrap();
    assert!(ks.kernels()[k].wide);
    let n = 5000;
    let mut x = values(DType::Float64, n, 1);
    let y = values(DType::Float64, n, 2);
    let want = ks.run(k, &[&x, &y]).unwrap().to_f64_vec();
    let kern = ks.elemwise(k, Some(0)).unwrap();
    let xa = x.as_array_mut::<f64>().unwrap();
    let vx = View::contiguous(xa.as_mut_ptr() as *mut u8, DType::Float64, &[n]).unwrap();
    let vy = View::of(&y).unwrap();
    kern.out_shape(&[vx, vy]).unwrap();
    // SAFETY: the output is exactly input 0, which the kernel allows; both live.
    unsafe { kern.run(&[vx, vy], &vx) };
    assert_eq!(x.to_f64_vec(), want);
}
