//! The multi-output native kernels (`CrossentropySoftmaxArgmax1HotWithBias`,
//! `CrossentropySoftmax1HotWithBiasDx`: generated, gen_softmax.rs; `MaxAndArgmax`: nnet.rs)
//! against the interpreter, the oracle: float32/float64, contiguous, transposed and strided
//! inputs, zero rows, extreme logits, ties and NaN; out-of-range labels and empty argmaxes
//! are typed refusals. `MaxAndArgmax` agrees bit for bit; the crossentropy ops within the
//! issue's bound (rtol 1e-12 float64, 1e-5 float32: their exp/log are the inline forms,
//! the interpreter's libm's).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use theano_ir::{Op, TensorType};
use theano_jit::{standalone_kernel, JitError, NativeKernel, Shape, View, MAX_OUTPUTS};
use theano_tensor::ndarray::{Axis, Slice};
use theano_tensor::{with_array, with_dtype, DType, Element, Tensor};

#[derive(Clone, Copy, Debug)]
enum Layout {
    Contig,
    Transposed,
    Strided,
}

fn float_vals(rng: &mut StdRng, n: usize, extreme: bool) -> Vec<f64> {
    (0..n)
        .map(|_| {
            if extreme {
                match rng.random_range(0..6) {
                    0 => 1e300,
                    1 => -1e300,
                    2 => 800.0,
                    3 => f64::NAN,
                    4 => 1.0, // ties
                    _ => rng.random_range(-1000.0..1000.0),
                }
            } else if rng.random_bool(0.1) {
                0.5 // ties
            } else {
                rng.random_range(-5.0..5.0)
            }
        })
        .collect()
}

/// A tensor of `shape` in `layout` (the same values whatever the layout).
fn tensor(d: DType, shape: &[usize], vals: Vec<f64>, layout: Layout) -> Tensor {
    let t = Tensor::from_f64_vec(d, shape, vals).unwrap();
    let nd = shape.len();
    match layout {
        Layout::Contig => t,
        Layout::Transposed => {
            // a Fortran-ordered copy: same values, transposed strides
            let f = with_array!(&t, a => Tensor::from_array(a.clone().reversed_axes().as_standard_layout().into_owned()));
            with_array!(&f, a => Tensor::from_array(a.clone().reversed_axes()))
        }
        Layout::Strided => {
            let mut wide = shape.to_vec();
            wide[nd - 1] *= 2;
            let mut w = Tensor::zeros(d, &wide).to_f64_vec();
            let v = t.to_f64_vec();
            let last = shape[nd - 1];
            for (i, x) in v.iter().enumerate() {
                let (r, c) = (i / last.max(1), i % last.max(1));
                w[r * 2 * last + 2 * c] = *x;
            }
            let wt = Tensor::from_f64_vec(d, &wide, w).unwrap();
            with_array!(&wt, a => Tensor::from_array(
                a.clone().slice_axis_move(Axis(nd - 1), Slice::new(0, None, 2))
            ))
        }
    }
}

fn kernel(op: &Op, ins: &[&Tensor]) -> Box<dyn NativeKernel> {
    let tys: Vec<TensorType> = ins
        .iter()
        .map(|t| theano_interp::value_type(t).unwrap())
        .collect();
    let outs = op.infer_types(&tys).unwrap();
    standalone_kernel(op, &tys, &outs).unwrap_or_else(|| panic!("{op} is not lowered"))
}

/// Run `k` into fresh, NaN-poisoned outputs.
fn run(k: &dyn NativeKernel, ins: &[&Tensor]) -> Result<Vec<Tensor>, JitError> {
    let views: Vec<View> = ins.iter().map(|t| View::of(t).unwrap()).collect();
    let n = k.n_outputs();
    assert!(n <= MAX_OUTPUTS);
    let mut shapes = [Shape::default(); MAX_OUTPUTS];
    k.out_shapes(&views, &mut shapes[..n])?;
    let mut outs: Vec<Tensor> = (0..n)
        .map(|i| {
            let d = k.out_dtype_of(i);
            let s = shapes[i].as_slice();
            let len: usize = s.iter().product();
            Tensor::from_f64_vec(d, s, vec![f64::NAN; len]).unwrap()
        })
        .collect();
    let ov: Vec<View> = outs
        .iter_mut()
        .map(|t| {
            let v = View::of(t).unwrap();
            assert!(v.is_empty() || v.is_c_contiguous());
            View::contiguous(v.ptr, v.dtype, v.shape()).unwrap()
        })
        .collect();
    // SAFETY: out_shapes accepted the views of live tensors; each output is a fresh,
    // C-contiguous tensor of the announced shape and dtype (distinct allocations).
    unsafe { k.run_multi(&views, &ov) };
    Ok(outs)
}

/// Same dtype, shape and values: floats within `rtol` relative to `max(|want|, 1)` (0:
/// the same bits); NaN equals NaN, infinities must match.
fn assert_same(got: &Tensor, want: &Tensor, rtol: f64, what: &str) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    if got.dtype().is_float() {
        for (i, (a, b)) in got.to_f64_vec().iter().zip(want.to_f64_vec()).enumerate() {
            assert!(
                (a.is_nan() && b.is_nan())
                    || a.to_bits() == b.to_bits()
                    || (b.is_finite() && (a - b).abs() <= rtol * b.abs().max(1.0)),
                "{what}: element {i}: got {a}, want {b}"
            );
        }
    } else {
        assert_eq!(got.to_i64_vec(), want.to_i64_vec(), "{what}");
    }
}

/// The bound on the generated crossentropy ops' difference from the interpreter.
fn rtol_of(op: &Op, ins: &[&Tensor]) -> f64 {
    let f32_only = ins
        .iter()
        .filter(|t| t.dtype().is_float())
        .all(|t| t.dtype() == DType::Float32);
    match op {
        Op::MaxAndArgmax { .. } => 0.0,
        _ if f32_only => 1e-5,
        _ => 1e-12,
    }
}

/// Kernel vs interpreter: both succeed and agree (bit for bit, or within [`rtol_of`]), or
/// both refuse (the kernel with a typed `Args` error).
fn check(op: &Op, ins: &[&Tensor], what: &str) -> bool {
    let rtol = rtol_of(op, ins);
    let k = kernel(op, ins);
    let got = run(k.as_ref(), ins);
    let want = theano_interp::perform(op, ins, &[]);
    match (got, want) {
        (Ok(g), Ok(w)) => {
            assert_eq!(g.len(), w.len(), "{what}");
            for (j, (a, b)) in g.iter().zip(&w).enumerate() {
                assert_same(a, b, rtol, &format!("{what} output {j}"));
            }
            true
        }
        (Err(JitError::Args(_)), Err(_)) => false,
        (g, w) => panic!("{what}: kernel {g:?} vs interpreter {w:?}"),
    }
}

const SHAPES: [(usize, usize); 6] = [(0, 10), (1, 1), (3, 7), (600, 10), (5, 1), (17, 33)];
const LAYOUTS: [Layout; 3] = [Layout::Contig, Layout::Transposed, Layout::Strided];

#[test]
fn crossentropy_matches_the_interpreter() {
    let mut rng = StdRng::seed_from_u64(11);
    let op = Op::CrossentropySoftmaxArgmax1HotWithBias;
    let mut ok = 0;
    for (dx, db) in [
        (DType::Float64, DType::Float64),
        (DType::Float32, DType::Float32),
        (DType::Float32, DType::Float64),
        (DType::Float64, DType::Float32),
    ] {
        for (rows, cols) in SHAPES {
            for layout in LAYOUTS {
                for extreme in [false, true] {
                    for bias_one in [false, true] {
                        let x = tensor(
                            dx,
                            &[rows, cols],
                            float_vals(&mut rng, rows * cols, extreme),
                            layout,
                        );
                        let nb = if bias_one { 1 } else { cols };
                        let b = tensor(db, &[nb], float_vals(&mut rng, nb, false), Layout::Strided);
                        for ydt in [DType::Int64, DType::Int32, DType::UInt8] {
                            let y: Vec<f64> = (0..rows)
                                .map(|_| rng.random_range(0..cols) as f64)
                                .collect();
                            let y = tensor(ydt, &[rows], y, Layout::Contig);
                            let what = format!("{dx}/{db} {rows}x{cols} {layout:?} extreme={extreme} b1={bias_one} {ydt}");
                            ok += check(&op, &[&x, &b, &y], &what) as usize;
                        }
                    }
                }
            }
        }
    }
    assert!(ok > 500, "{ok} cases computed");
}

#[test]
fn crossentropy_dx_matches_the_interpreter() {
    let mut rng = StdRng::seed_from_u64(12);
    let op = Op::CrossentropySoftmax1HotWithBiasDx;
    let mut ok = 0;
    for (dd, ds) in [
        (DType::Float64, DType::Float64),
        (DType::Float32, DType::Float32),
        (DType::Float32, DType::Float64),
        (DType::Float64, DType::Float32),
    ] {
        for (rows, cols) in SHAPES {
            for layout in LAYOUTS {
                for extreme in [false, true] {
                    for d_one in [false, true] {
                        let sm = tensor(
                            ds,
                            &[rows, cols],
                            float_vals(&mut rng, rows * cols, extreme),
                            layout,
                        );
                        let nd = if d_one { 1 } else { rows };
                        let d = tensor(dd, &[nd], float_vals(&mut rng, nd, false), Layout::Strided);
                        let y: Vec<f64> = (0..rows)
                            .map(|_| rng.random_range(0..cols) as f64)
                            .collect();
                        let y = tensor(DType::Int64, &[rows], y, Layout::Strided);
                        let what = format!(
                            "{dd}/{ds} {rows}x{cols} {layout:?} extreme={extreme} d1={d_one}"
                        );
                        ok += check(&op, &[&d, &sm, &y], &what) as usize;
                    }
                }
            }
        }
    }
    assert!(ok > 150, "{ok} cases computed");
}

#[test]
fn bad_labels_and_shapes_are_typed_refusals() {
    let x = Tensor::from_f64_vec(DType::Float64, &[2, 3], vec![0.0; 6]).unwrap();
    let b = Tensor::from_f64_vec(DType::Float64, &[3], vec![0.0; 3]).unwrap();
    let d = Tensor::from_f64_vec(DType::Float64, &[2], vec![1.0; 2]).unwrap();
    let xent = Op::CrossentropySoftmaxArgmax1HotWithBias;
    let dx = Op::CrossentropySoftmax1HotWithBiasDx;
    for labels in [[0.0, 3.0], [-1.0, 0.0], [2.0, 7.0]] {
        let y = Tensor::from_f64_vec(DType::Int64, &[2], labels.to_vec()).unwrap();
        for (op, ins) in [(&xent, [&x, &b, &y]), (&dx, [&d, &x, &y])] {
            let k = kernel(op, &ins);
            let e = run(k.as_ref(), &ins).unwrap_err();
            assert!(
                matches!(&e, JitError::Args(m) if m.contains("label y_idx[")),
                "{e}"
            );
            assert!(!check(op, &ins, "bad label"));
        }
    }
    // wrong label count, wrong bias length, wrong dnll length
    let y3 = Tensor::from_f64_vec(DType::Int64, &[3], vec![0.0; 3]).unwrap();
    let b2 = Tensor::from_f64_vec(DType::Float64, &[2], vec![0.0; 2]).unwrap();
    let d3 = Tensor::from_f64_vec(DType::Float64, &[3], vec![0.0; 3]).unwrap();
    let y = Tensor::from_f64_vec(DType::Int64, &[2], vec![0.0; 2]).unwrap();
    assert!(!check(&xent, &[&x, &b, &y3], "labels"));
    assert!(!check(&xent, &[&x, &b2, &y], "bias"));
    assert!(!check(&dx, &[&d3, &x, &y], "dnll"));
    // a kernel built for float64 refuses a float32 view
    let k = kernel(&xent, &[&x, &b, &y]);
    let x32 = Tensor::from_f64_vec(DType::Float32, &[2, 3], vec![0.0; 6]).unwrap();
    assert!(matches!(
        run(k.as_ref(), &[&x32, &b, &y]),
        Err(JitError::Args(_))
    ));
    assert!(matches!(run(k.as_ref(), &[&x, &b]), Err(JitError::Args(_))));
}

#[test]
fn max_and_argmax_matches_the_interpreter() {
    let mut rng = StdRng::seed_from_u64(13);
    let mut ok = 0;
    let shapes: &[&[usize]] = &[
        &[0],
        &[5],
        &[3, 7],
        &[4, 0],
        &[2, 3, 4],
        &[1, 1],
        &[6, 1, 5],
    ];
    for d in DType::ALL {
        for shape in shapes {
            let nd = shape.len();
            for m in 0..(1u32 << nd) {
                let axes: Vec<usize> = (0..nd).filter(|i| m & (1 << i) != 0).collect();
                let op = Op::MaxAndArgmax { axes };
                for layout in LAYOUTS {
                    let n: usize = shape.iter().product();
                    let vals: Vec<f64> = (0..n)
                        .map(|_| match d {
                            DType::Bool => rng.random_range(0..2) as f64,
                            DType::UInt8 => rng.random_range(0..4) as f64,
                            d if d.is_float() && rng.random_bool(0.05) => f64::NAN,
                            _ => rng.random_range(-3i64..3) as f64, // many ties
                        })
                        .collect();
                    let x = tensor(d, shape, vals, layout);
                    ok += check(&op, &[&x], &format!("{op} {d} {shape:?} {layout:?}")) as usize;
                }
            }
        }
    }
    assert!(ok > 300, "{ok}");
    // empty reduction: typed refusal
    let x = Tensor::zeros(DType::Float64, &[3, 0]);
    let k = kernel(&Op::MaxAndArgmax { axes: vec![1] }, &[&x]);
    assert!(matches!(run(k.as_ref(), &[&x]), Err(JitError::Args(_))));
    let _ = <f64 as Element>::DTYPE;
    let _ = with_dtype!(DType::Float64, T => std::mem::size_of::<T>());
}
