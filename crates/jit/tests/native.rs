//! Native kernels (reductions, softmax, BLAS) against the interpreter, the oracle: every
//! dtype, zero-size and length-1 dimensions, transposed, reversed (negative-stride), sliced and
//! broadcast (stride-0) input views, in-place aliasing, and typed refusals.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use theano_ir::{Op, ReduceKind, TensorType};
use theano_jit::{native_kernel, standalone_kernel, JitError, KernelSet, NativeKernel, View};
use theano_tensor::ndarray::{ArrayD, Axis, IxDyn, Slice};
use theano_tensor::{with_array, with_dtype, DType, Element, Tensor};

mod common;
use common::{assert_close, run_kernel, tol};

/// Run a single-output kernel `k` on `views` into a fresh, poisoned output.
fn run(k: &dyn NativeKernel, views: &[View]) -> Result<Tensor, JitError> {
    Ok(run_kernel(k, views)?.remove(0))
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Layout {
    Contig,
    /// the base array has the reversed shape; its axes are reversed
    Transposed,
    /// axis 0 reversed (negative stride)
    Reversed,
    /// every other element of the last axis
    Sliced,
    /// axis 0 (when of length > 1) is a stride-0 broadcast of one row
    Broadcast,
}

const LAYOUTS: [Layout; 5] = [
    Layout::Contig,
    Layout::Transposed,
    Layout::Reversed,
    Layout::Sliced,
    Layout::Broadcast,
];

fn values(rng: &mut StdRng, n: usize, dtype: DType, specials: bool) -> Vec<f64> {
    const SPECIAL: [f64; 6] = [0.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.0];
    (0..n)
        .map(|_| match dtype {
            DType::Bool => rng.random_range(0..2) as f64,
            DType::UInt8 => rng.random_range(0..256) as f64,
            d if d.is_float() => {
                if specials && rng.random_bool(0.03) {
                    SPECIAL[rng.random_range(0..SPECIAL.len())]
                } else {
                    rng.random_range(-1.0..1.0)
                }
            }
            _ => rng.random_range(-100i64..100) as f64,
        })
        .collect()
}

/// An input: the tensor the interpreter sees, and what the kernel gets. For a broadcast input
/// the kernel's view has stride 0 over `base` while the interpreter sees it materialized.
struct Input {
    tensor: Tensor,
    base: Tensor,
    view_strides: Option<Vec<isize>>,
}

impl Input {
    fn view(&self) -> View {
        let v = View::of(&self.base).unwrap();
        match &self.view_strides {
            None => v,
            Some(st) => View::raw(v.ptr, v.dtype, self.tensor.shape(), st).unwrap(),
        }
    }
}

fn make(rng: &mut StdRng, dtype: DType, shape: &[usize], layout: Layout, specials: bool) -> Input {
    let nd = shape.len();
    let n: usize = shape.iter().product();
    let plain = |rng: &mut StdRng, sh: &[usize]| {
        let n: usize = sh.iter().product();
        Tensor::from_f64_vec(dtype, sh, values(rng, n, dtype, specials)).unwrap()
    };
    let t = match layout {
        Layout::Contig => plain(rng, shape),
        _ if nd == 0 => plain(rng, shape),
        Layout::Transposed => {
            let rev: Vec<usize> = shape.iter().rev().copied().collect();
            let b = plain(rng, &rev);
            with_array!(&b, a => Tensor::from_array(a.clone().reversed_axes()))
        }
        Layout::Reversed => {
            let b = plain(rng, shape);
            with_array!(&b, a => { let mut a = a.clone(); a.invert_axis(Axis(0)); Tensor::from_array(a) })
        }
        Layout::Sliced => {
            let mut wide = shape.to_vec();
            wide[nd - 1] *= 2;
            let b = plain(rng, &wide);
            with_array!(&b, a => Tensor::from_array(
                a.clone().slice_axis_move(Axis(nd - 1), Slice::new(0, None, 2))
            ))
        }
        Layout::Broadcast => {
            if shape[0] <= 1 || n == 0 {
                plain(rng, shape)
            } else {
                let mut one = shape.to_vec();
                one[0] = 1;
                let b = plain(rng, &one);
                let full = with_array!(&b, a => Tensor::from_array(
                    a.broadcast(IxDyn(shape)).unwrap().to_owned()
                ));
                let mut st: Vec<isize> = View::of(&b).unwrap().strides().to_vec();
                st[0] = 0;
                return Input {
                    tensor: full,
                    base: b,
                    view_strides: Some(st),
                };
            }
        }
    };
    Input {
        base: t.clone(),
        tensor: t,
        view_strides: None,
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

/// Kernel vs interpreter on the same inputs: both succeed and agree, or both refuse.
fn check(op: &Op, inputs: &[Input], rtol: f64, what: &str) {
    let ts: Vec<&Tensor> = inputs.iter().map(|i| &i.tensor).collect();
    let k = kernel(op, &ts);
    let views: Vec<View> = inputs.iter().map(|i| i.view()).collect();
    let got = run(k.as_ref(), &views);
    let want = theano_interp::perform(op, &ts, &[]);
    match (got, want) {
        (Ok(g), Ok(w)) => assert_close(&g, &w[0], rtol, what),
        (Err(_), Err(_)) => {}
        (g, w) => panic!("{what}: kernel {g:?} vs interpreter {w:?}"),
    }
}

fn subsets(nd: usize) -> Vec<Option<Vec<usize>>> {
    let mut v: Vec<Option<Vec<usize>>> = vec![None];
    for m in 0..(1u32 << nd) {
        v.push(Some((0..nd).filter(|i| m & (1 << i) != 0).collect()));
    }
    v
}

#[test]
fn reductions_match_the_interpreter() {
    let mut rng = StdRng::seed_from_u64(1);
    let shapes: &[&[usize]] = &[
        &[],
        &[7],
        &[3, 4],
        &[2, 3, 5],
        &[0, 3],
        &[3, 0, 2],
        &[1, 5],
        &[40, 70],
        &[3, 1, 50],
        &[2, 3, 2, 3],
    ];
    let mut n = 0;
    for d in DType::ALL {
        for kind in ReduceKind::ALL {
            for shape in shapes {
                for layout in LAYOUTS {
                    let x = make(&mut rng, d, shape, layout, true);
                    for axes in subsets(shape.len()) {
                        let op = Op::Reduce {
                            kind,
                            axes: axes.clone(),
                            dtype: None,
                        };
                        let what = format!("{op} {d} {shape:?} {layout:?}");
                        check(&op, std::slice::from_ref(&x), tol(d), &what);
                        n += 1;
                    }
                }
            }
        }
    }
    assert!(n > 5000, "{n} cases");
}

#[test]
fn large_float_sums_within_tolerance() {
    // long unit-stride lanes (the multi-accumulator path) and the row strategy
    let mut rng = StdRng::seed_from_u64(2);
    for d in [DType::Float64, DType::Float32, DType::Int32] {
        for layout in [Layout::Contig, Layout::Transposed, Layout::Reversed] {
            let x = make(&mut rng, d, &[300, 517], layout, false);
            for axes in [None, Some(vec![0]), Some(vec![1])] {
                for kind in [ReduceKind::Sum, ReduceKind::Max, ReduceKind::Any] {
                    let op = Op::Reduce {
                        kind,
                        axes: axes.clone(),
                        dtype: None,
                    };
                    check(
                        &op,
                        std::slice::from_ref(&x),
                        tol(d),
                        &format!("{op} {d} {layout:?}"),
                    );
                }
            }
        }
    }
}

#[test]
fn long_full_reductions_split_over_threads() {
    // above PAR_REDUCE: the lane is folded in parts on rayon's threads
    let mut rng = StdRng::seed_from_u64(8);
    let n = theano_jit::PAR_REDUCE + 13;
    for d in [DType::Float64, DType::Float32, DType::Int32, DType::Bool] {
        let x = make(&mut rng, d, &[n], Layout::Contig, false);
        for kind in [
            ReduceKind::Sum,
            ReduceKind::Prod,
            ReduceKind::Max,
            ReduceKind::All,
        ] {
            let op = Op::Reduce {
                kind,
                axes: None,
                dtype: None,
            };
            check(
                &op,
                std::slice::from_ref(&x),
                tol(d),
                &format!("{op} {d} n={n}"),
            );
        }
    }
}

#[test]
fn empty_max_is_refused_like_the_interpreter() {
    let x = Tensor::zeros(DType::Float64, &[3, 0]);
    let op = Op::Reduce {
        kind: ReduceKind::Max,
        axes: Some(vec![1]),
        dtype: None,
    };
    let k = kernel(&op, &[&x]);
    let e = run(k.as_ref(), &[View::of(&x).unwrap()]).unwrap_err();
    assert!(
        matches!(e, JitError::Args(ref m) if m.contains("no identity")),
        "{e}"
    );
    assert!(theano_interp::perform(&op, &[&x], &[]).is_err());
    // over the non-empty axis it is fine: shape (0,)
    let op = Op::Reduce {
        kind: ReduceKind::Max,
        axes: Some(vec![0]),
        dtype: None,
    };
    let k = kernel(&op, &[&x]);
    assert_eq!(
        run(k.as_ref(), &[View::of(&x).unwrap()]).unwrap().shape(),
        &[0]
    );
}

#[test]
fn softmax_matches_the_interpreter() {
    let mut rng = StdRng::seed_from_u64(3);
    let shapes: &[&[usize]] = &[&[0], &[5], &[3, 7], &[600, 10], &[2, 0], &[0, 4], &[1, 1]];
    for d in [DType::Float64, DType::Float32] {
        for log in [false, true] {
            let op = if log { Op::LogSoftmax } else { Op::Softmax };
            for shape in shapes {
                for layout in LAYOUTS {
                    let x = make(&mut rng, d, shape, layout, true);
                    // generated (inline exp/log): the bound, not bit for bit
                    let rtol = if d == DType::Float32 { 1e-5 } else { 1e-12 };
                    check(&op, &[x], rtol, &format!("{op} {d} {shape:?} {layout:?}"));
                }
            }
        }
    }
}

fn scalar(d: DType, v: f64) -> Input {
    let t = Tensor::from_f64_vec(d, &[], vec![v]).unwrap();
    Input {
        base: t.clone(),
        tensor: t,
        view_strides: None,
    }
}

#[test]
fn dot_all_ranks_match_the_interpreter() {
    let mut rng = StdRng::seed_from_u64(4);
    let dims: &[(usize, usize, usize)] = &[
        (3, 4, 5),
        (1, 7, 1),
        (0, 3, 2),
        (4, 0, 3),
        (2, 3, 0),
        (17, 33, 9),
        (130, 70, 90),
        (1, 50, 40),
        (40, 50, 1),
        (100, 120, 110),
    ];
    for d in [DType::Float64, DType::Float32] {
        for &(m, k, n) in dims {
            for la in LAYOUTS {
                for lb in LAYOUTS {
                    let cases: [(&[usize], &[usize]); 4] = [
                        (&[k], &[k]),
                        (&[m, k], &[k]),
                        (&[k], &[k, n]),
                        (&[m, k], &[k, n]),
                    ];
                    for (sa, sb) in cases {
                        let a = make(&mut rng, d, sa, la, false);
                        let b = make(&mut rng, d, sb, lb, false);
                        let what = format!("dot {d} {sa:?}.{sb:?} {la:?} {lb:?}");
                        check(&Op::Dot, &[a, b], tol(d), &what);
                        if sa.len() == 2 && sb.len() == 2 {
                            let a = make(&mut rng, d, sa, la, false);
                            let b = make(&mut rng, d, sb, lb, false);
                            check(&Op::Dot22, &[a, b], tol(d), &format!("dot22 {what}"));
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn gemv_gemm_ger_match_the_interpreter() {
    let mut rng = StdRng::seed_from_u64(5);
    for d in [DType::Float64, DType::Float32] {
        for &(m, k, n) in &[
            (3, 4, 5),
            (0, 3, 2),
            (4, 0, 3),
            (20, 37, 11),
            (1, 9, 1),
            (70, 90, 80),
        ] {
            for la in LAYOUTS {
                for ly in [Layout::Contig, Layout::Reversed, Layout::Broadcast] {
                    for (alpha, beta) in [(1.0, 0.0), (0.5, -1.5), (-2.0, 1.0)] {
                        let what = format!("{d} {m}x{k}x{n} {la:?} {ly:?} {alpha} {beta}");
                        for inplace in [false, true] {
                            let op = Op::Gemv { inplace };
                            let ins = [
                                make(&mut rng, d, &[m], ly, beta == 0.0),
                                scalar(d, alpha),
                                make(&mut rng, d, &[m, k], la, false),
                                make(&mut rng, d, &[k], ly, false),
                                scalar(d, beta),
                            ];
                            check(&op, &ins, tol(d), &format!("gemv {what}"));
                            let op = Op::Gemm { inplace };
                            let ins = [
                                make(&mut rng, d, &[m, n], ly, beta == 0.0),
                                scalar(d, alpha),
                                make(&mut rng, d, &[m, k], la, false),
                                make(&mut rng, d, &[k, n], ly, false),
                                scalar(d, beta),
                            ];
                            check(&op, &ins, tol(d), &format!("gemm {what}"));
                            let op = Op::Ger {
                                destructive: inplace,
                            };
                            let ins = [
                                make(&mut rng, d, &[m, n], la, false),
                                scalar(d, alpha),
                                make(&mut rng, d, &[m], ly, false),
                                make(&mut rng, d, &[n], ly, false),
                            ];
                            check(&op, &ins, tol(d), &format!("ger {what}"));
                        }
                    }
                }
            }
        }
    }
}

/// A C-contiguous f64 buffer and its view.
fn buffer(v: &mut [f64], shape: &[usize]) -> View {
    View::contiguous(v.as_mut_ptr() as *mut u8, DType::Float64, shape).unwrap()
}

#[test]
fn inplace_gemv_gemm_ger_write_into_their_input() {
    let mut rng = StdRng::seed_from_u64(6);
    let (m, k, n) = (37, 29, 23);
    let alpha = scalar(DType::Float64, 0.75);
    for (layout, b) in [
        (Layout::Contig, -1.25),
        (Layout::Transposed, -1.25),
        (Layout::Contig, 0.0),
        (Layout::Transposed, 0.0),
    ] {
        let beta = scalar(DType::Float64, b);
        // beta == 0: y / z are not read (BLAS), so NaNs there must not propagate
        let fresh = |rng: &mut StdRng, n: usize| {
            if b == 0.0 {
                vec![f64::NAN; n]
            } else {
                values(rng, n, DType::Float64, false)
            }
        };
        let a = make(&mut rng, DType::Float64, &[m, k], layout, false);
        let x = make(&mut rng, DType::Float64, &[k], Layout::Contig, false);
        let b = make(&mut rng, DType::Float64, &[k, n], layout, false);
        let xm = make(&mut rng, DType::Float64, &[m], Layout::Contig, false);
        let yn = make(&mut rng, DType::Float64, &[n], Layout::Contig, false);

        // gemv: out is y
        let mut y = fresh(&mut rng, m);
        let yt = Tensor::from_f64_vec(DType::Float64, &[m], y.clone()).unwrap();
        let op = Op::Gemv { inplace: true };
        let want = theano_interp::perform(
            &op,
            &[&yt, &alpha.tensor, &a.tensor, &x.tensor, &beta.tensor],
            &[],
        )
        .unwrap();
        let k_ = kernel(
            &op,
            &[&yt, &alpha.tensor, &a.tensor, &x.tensor, &beta.tensor],
        );
        assert_eq!(k_.inplace_input(), Some(0));
        let yv = buffer(&mut y, &[m]);
        let views = [yv, alpha.view(), a.view(), x.view(), beta.view()];
        k_.out_shape(&views).unwrap();
        // SAFETY: out is exactly input inplace_input(); the other views are live tensors.
        unsafe { k_.run(&views, &yv) };
        let got = Tensor::from_f64_vec(DType::Float64, &[m], y).unwrap();
        assert_close(&got, &want[0], 1e-12, "inplace gemv");

        // gemm: out is z
        let mut z = fresh(&mut rng, m * n);
        let zt = Tensor::from_f64_vec(DType::Float64, &[m, n], z.clone()).unwrap();
        let op = Op::Gemm { inplace: true };
        let ins = [&zt, &alpha.tensor, &a.tensor, &b.tensor, &beta.tensor];
        let want = theano_interp::perform(&op, &ins, &[]).unwrap();
        let k_ = kernel(&op, &ins);
        assert_eq!(k_.inplace_input(), Some(0));
        let zv = buffer(&mut z, &[m, n]);
        let views = [zv, alpha.view(), a.view(), b.view(), beta.view()];
        k_.out_shape(&views).unwrap();
        // SAFETY: as above.
        unsafe { k_.run(&views, &zv) };
        let got = Tensor::from_f64_vec(DType::Float64, &[m, n], z).unwrap();
        assert_close(&got, &want[0], 1e-12, "inplace gemm");

        // ger: out is A
        let mut g = values(&mut rng, m * n, DType::Float64, false);
        let gt = Tensor::from_f64_vec(DType::Float64, &[m, n], g.clone()).unwrap();
        let op = Op::Ger { destructive: true };
        let ins = [&gt, &alpha.tensor, &xm.tensor, &yn.tensor];
        let want = theano_interp::perform(&op, &ins, &[]).unwrap();
        let k_ = kernel(&op, &ins);
        let gv = buffer(&mut g, &[m, n]);
        let views = [gv, alpha.view(), xm.view(), yn.view()];
        // SAFETY: as above.
        unsafe { k_.run(&views, &gv) };
        let got = Tensor::from_f64_vec(DType::Float64, &[m, n], g).unwrap();
        assert_close(&got, &want[0], 0.0, "destructive ger");
    }
}

#[test]
fn seed_shapes_gemv_and_transpose() {
    // the seed's logistic regression: dot(x, w) with x 400x784, and the gradient's x.T · d
    let mut rng = StdRng::seed_from_u64(7);
    for layout in [Layout::Contig, Layout::Transposed] {
        let shape: &[usize] = if layout == Layout::Contig {
            &[400, 784]
        } else {
            &[784, 400]
        };
        let a = make(&mut rng, DType::Float64, shape, layout, false);
        let x = make(&mut rng, DType::Float64, &[shape[1]], Layout::Contig, false);
        check(&Op::Dot, &[a, x], 1e-12, &format!("seed dot {layout:?}"));
    }
    // the gradient's update w' = 0.998 w - 0.1 x.T · d: a transposed matrix large enough to
    // split its columns (the sum's terms) over the hot pool, with partial sums added; also
    // a column count that is no multiple of the split's alignment, and float32
    for d in [DType::Float64, DType::Float32] {
        for &(m, k) in &[(784, 400), (300, 301)] {
            for inplace in [false, true] {
                let ins = [
                    make(&mut rng, d, &[m], Layout::Contig, false),
                    scalar(d, -0.1),
                    make(&mut rng, d, &[m, k], Layout::Transposed, false),
                    make(&mut rng, d, &[k], Layout::Contig, false),
                    scalar(d, 0.998),
                ];
                let what = format!("seed gemv {d} {m}x{k} transposed inplace={inplace}");
                check(&Op::Gemv { inplace }, &ins, tol(d), &what);
            }
        }
    }
}

#[test]
fn refusals_are_typed_errors() {
    let f = |sh: &[usize]| Tensor::zeros(DType::Float64, sh);
    let (a, b, v3, v4, s) = (f(&[3, 4]), f(&[4, 5]), f(&[3]), f(&[4]), f(&[]));
    let i32m = Tensor::zeros(DType::Int32, &[4, 5]);
    let view = |t: &Tensor| View::of(t).unwrap();
    let dot22 = kernel(&Op::Dot22, &[&a, &b]);
    let gemv = kernel(&Op::Gemv { inplace: false }, &[&v3, &s, &a, &v4, &s]);
    let sum = kernel(
        &Op::Reduce {
            kind: ReduceKind::Sum,
            axes: Some(vec![1]),
            dtype: None,
        },
        &[&a],
    );
    let sm = kernel(&Op::Softmax, &[&a]);
    let cases: Vec<(&dyn NativeKernel, Vec<View>)> = vec![
        (dot22.as_ref(), vec![view(&a)]),              // count
        (dot22.as_ref(), vec![view(&a), view(&a)]),    // shapes
        (dot22.as_ref(), vec![view(&a), view(&i32m)]), // dtype
        (dot22.as_ref(), vec![view(&a), view(&v4)]),   // rank
        (
            gemv.as_ref(),
            vec![view(&v4), view(&s), view(&a), view(&v4), view(&s)],
        ),
        (
            gemv.as_ref(),
            vec![view(&v3), view(&v3), view(&a), view(&v4), view(&s)],
        ),
        (sum.as_ref(), vec![view(&v3)]),
        (sum.as_ref(), vec![view(&i32m)]),
        (sum.as_ref(), vec![]),
        (sm.as_ref(), vec![view(&s)]),
    ];
    for (k, views) in cases {
        let e = k.out_shape(&views).unwrap_err();
        assert!(matches!(e, JitError::Args(_)), "{}: {e}", k.name());
    }
    // a misaligned view
    let mut bytes = vec![0u8; 8 * 13];
    let p = bytes
        .as_mut_ptr()
        .wrapping_add(if (bytes.as_ptr() as usize).is_multiple_of(8) {
            1
        } else {
            0
        });
    let bad = View::contiguous(p, DType::Float64, &[3, 4]).unwrap();
    assert!(sum.out_shape(&[bad]).is_err());
}

#[test]
fn misaligned_outputs_are_written_bytewise() {
    // the contract does not promise an aligned output: kernels go through aligned scratch
    let mut rng = StdRng::seed_from_u64(9);
    let cases: Vec<(Op, Vec<Input>)> = vec![
        (
            Op::Reduce {
                kind: ReduceKind::Sum,
                axes: Some(vec![1]),
                dtype: None,
            },
            vec![make(
                &mut rng,
                DType::Float64,
                &[5, 7],
                Layout::Contig,
                false,
            )],
        ),
        (
            Op::Softmax,
            vec![make(
                &mut rng,
                DType::Float32,
                &[4, 6],
                Layout::Contig,
                false,
            )],
        ),
        (
            Op::Dot,
            vec![
                make(&mut rng, DType::Float64, &[6, 5], Layout::Contig, false),
                make(&mut rng, DType::Float64, &[5, 4], Layout::Contig, false),
            ],
        ),
    ];
    for (op, ins) in cases {
        let ts: Vec<&Tensor> = ins.iter().map(|i| &i.tensor).collect();
        let want = theano_interp::perform(&op, &ts, &[]).unwrap().remove(0);
        let k = kernel(&op, &ts);
        let views: Vec<View> = ins.iter().map(|i| i.view()).collect();
        let shape = k.out_shape(&views).unwrap();
        let isz = k.out_dtype().itemsize();
        let mut bytes = vec![0u8; shape.len() * isz + 16];
        let off = (0..isz)
            .find(|o| (bytes.as_ptr() as usize + o) % isz == 1)
            .unwrap_or(1);
        let p = bytes.as_mut_ptr().wrapping_add(off);
        let out = View::contiguous(p, k.out_dtype(), shape.as_slice()).unwrap();
        // SAFETY: out covers shape.len() * isz bytes of `bytes`, disjoint from the inputs.
        unsafe { k.run(&views, &out) };
        let got = with_dtype!(k.out_dtype(), T => {
            let vals: Vec<T> = (0..shape.len())
                // SAFETY: element i lies in `bytes`; read unaligned.
                .map(|i| unsafe { std::ptr::read_unaligned((p as *const T).add(i)) })
                .collect();
            Tensor::from_array(ArrayD::from_shape_vec(IxDyn(shape.as_slice()), vals).unwrap())
        });
        assert_close(&got, &want, 1e-5, &format!("misaligned {op}"));
    }
}

#[test]
fn dispatcher_lowers_what_it_claims() {
    let t = |d: DType, nd: usize| TensorType::with_ndim(d, nd).unwrap();
    let f64m = t(DType::Float64, 2);
    let some = |op: Op, ins: &[TensorType]| {
        let outs = op.infer_types(ins).unwrap();
        native_kernel(&op, ins, &outs).is_some() || KernelSet::generated(&op, ins, &outs).is_ok()
    };
    assert!(some(Op::Dot, &[f64m, f64m]));
    assert!(some(Op::Dot, &[t(DType::Float32, 1), t(DType::Float32, 2)]));
    assert!(!some(Op::Dot, &[t(DType::Int64, 2), t(DType::Int64, 2)]));
    assert!(!some(Op::Dot, &[t(DType::Float32, 2), f64m]));
    // softmax, the reductions and MaxAndArgmax are generated only (KernelSet::add_native)
    let outs = Op::Softmax.infer_types(&[f64m]).unwrap();
    assert!(native_kernel(&Op::Softmax, &[f64m], &outs).is_none());
    assert!(KernelSet::generated(&Op::Softmax, &[f64m], &outs).is_ok());
    assert!(some(Op::MaxAndArgmax { axes: vec![1] }, &[f64m]));
    assert!(!some(Op::Shape, &[f64m]));
    for d in DType::ALL {
        for kind in ReduceKind::ALL {
            assert!(some(
                Op::Reduce {
                    kind,
                    axes: Some(vec![0]),
                    dtype: None,
                },
                &[t(d, 3)]
            ));
        }
    }
    // an output dtype other than the op's own: the interpreter casts, we decline
    let op = Op::Reduce {
        kind: ReduceKind::Sum,
        axes: None,
        dtype: None,
    };
    let (i32v, f64s) = ([t(DType::Int32, 1)], [t(DType::Float64, 0)]);
    assert!(native_kernel(&op, &i32v, &f64s).is_none());
    assert!(KernelSet::generated(&op, &i32v, &f64s).is_err());
    let _ = <f64 as Element>::DTYPE;
}
