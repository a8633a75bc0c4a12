//! Softmax, log-softmax and the two crossentropy ops on the emulator against the
//! interpreter: float32/float64, vectors and matrices, transposed/reversed/stepped layouts,
//! rows shorter and longer than a block, special values; labels of every integer dtype.

mod common;

use common::*;
use rand::Rng;
use theano_interp::perform;
use theano_ir::Op;
use theano_ptx::emu::Dims;
use theano_ptx::launch::{run_crossentropy, run_crossentropy_dx, run_softmax, HostArray};
use theano_ptx::softmax::{lower_crossentropy, lower_crossentropy_dx, lower_softmax};
use theano_tensor::{DType, Tensor};

const DIMS: Dims = Dims { grid: 3, block: 64 };

fn close(got: &Tensor, want: &Tensor, abs_floor: f64, ctx: &str) {
    assert_eq!(got.shape(), want.shape(), "{ctx}");
    let want = want.cast(got.dtype());
    let rtol = if got.dtype() == DType::Float32 {
        1e-5
    } else {
        1e-12
    };
    let atol = if got.dtype() == DType::Float32 {
        1e-37
    } else {
        1e-300
    };
    for (k, (g, w)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
        if (g.is_nan() && w.is_nan()) || *g == w {
            continue;
        }
        assert!(
            (g - w).abs() <= rtol * w.abs().max(abs_floor) + atol,
            "{ctx}: element {k}: got {g:e}, want {w:e}"
        );
    }
}

#[test]
fn softmax_and_log_softmax() {
    let mut r = rng(5);
    let mut n = 0;
    for d in [DType::Float64, DType::Float32] {
        for log in [false, true] {
            let k = lower_softmax("sm", d, log).unwrap();
            for shape in [
                vec![7],
                vec![1],
                vec![5, 3],
                vec![4, 70],
                vec![3, 130],
                vec![2, 1],
            ] {
                for variant in 0..4 {
                    let sp = r.random_bool(0.5);
                    let x = tensor(&mut r, d, &shape, sp);
                    let op = if log { Op::LogSoftmax } else { Op::Softmax };
                    let want = perform(&op, &[&x], &[]).unwrap().remove(0);
                    let h = layout_variant(&x, variant);
                    let got = run_softmax(&k, &h, DIMS).unwrap().to_tensor();
                    close(
                        &got,
                        &want,
                        if log { 1.0 } else { 0.0 },
                        &format!("{op} {d} {shape:?} v{variant}"),
                    );
                    n += 1;
                }
            }
        }
    }
    assert_eq!(n, 96);
}

#[test]
fn crossentropy_and_its_gradient() {
    let mut r = rng(9);
    let mut n = 0;
    for (xd, bd) in [
        (DType::Float64, DType::Float64),
        (DType::Float32, DType::Float32),
        (DType::Float32, DType::Float64),
    ] {
        for yd in [DType::Int64, DType::Int32, DType::Int8, DType::UInt8] {
            let k = lower_crossentropy("xent", xd, bd, yd).unwrap();
            let kd = lower_crossentropy_dx(
                "xent_dx",
                DType::promote(xd, bd),
                DType::promote(xd, bd),
                yd,
            )
            .unwrap();
            for (rows, cols) in [(1, 1), (4, 3), (5, 70), (2, 100)] {
                for variant in 0..4 {
                    let x = tensor(&mut r, xd, &[rows, cols], variant == 3);
                    let blen = if r.random_bool(0.2) { 1 } else { cols };
                    let b = tensor(&mut r, bd, &[blen], false);
                    let labels: Vec<f64> =
                        (0..rows).map(|_| r.random_range(0..cols) as f64).collect();
                    let y = Tensor::from_f64_vec(yd, &[rows], labels).unwrap();
                    let want = perform(
                        &Op::CrossentropySoftmaxArgmax1HotWithBias,
                        &[&x, &b, &y],
                        &[],
                    )
                    .unwrap();
                    let (nll, sm, am) = run_crossentropy(
                        &k,
                        &layout_variant(&x, variant),
                        &HostArray::from_tensor(&b),
                        &HostArray::from_tensor(&y),
                        DIMS,
                    )
                    .unwrap();
                    let ctx = format!("xent {xd} {bd} {yd} {rows}x{cols} bias {blen} v{variant}");
                    close(&nll.to_tensor(), &want[0], 1.0, &ctx);
                    close(&sm.to_tensor(), &want[1], 0.0, &ctx);
                    assert_eq!(
                        am.to_tensor().to_i64_vec(),
                        want[2].to_i64_vec(),
                        "{ctx}: argmax"
                    );
                    // the gradient, from the interpreter's softmax
                    let smv = want[1].cast(DType::promote(xd, bd));
                    let dlen = if r.random_bool(0.3) { 1 } else { rows };
                    let dnll = tensor(&mut r, smv.dtype(), &[dlen], false);
                    let wdx = perform(
                        &Op::CrossentropySoftmax1HotWithBiasDx,
                        &[&dnll, &smv, &y],
                        &[],
                    )
                    .unwrap()
                    .remove(0);
                    let gdx = run_crossentropy_dx(
                        &kd,
                        &HostArray::from_tensor(&dnll),
                        &layout_variant(&smv, variant),
                        &HostArray::from_tensor(&y),
                        DIMS,
                    )
                    .unwrap()
                    .to_tensor();
                    close(&gdx, &wdx, 0.0, &format!("dx of {ctx}"));
                    n += 1;
                }
            }
        }
    }
    assert_eq!(n, 192);
}

#[test]
fn bad_labels_are_refused_before_launch() {
    let x = Tensor::from_f64_vec(DType::Float64, &[2, 3], vec![0.0; 6]).unwrap();
    let b = Tensor::from_f64_vec(DType::Float64, &[3], vec![0.0; 3]).unwrap();
    let y = Tensor::from_f64_vec(DType::Int64, &[2], vec![0.0, 3.0]).unwrap();
    let k = lower_crossentropy("xent", DType::Float64, DType::Float64, DType::Int64).unwrap();
    let e = run_crossentropy(
        &k,
        &HostArray::from_tensor(&x),
        &HostArray::from_tensor(&b),
        &HostArray::from_tensor(&y),
        DIMS,
    )
    .unwrap_err();
    assert!(e.to_string().contains("out of range"), "{e}");
    assert!(lower_softmax("s", DType::Int32, false).is_err());
}
