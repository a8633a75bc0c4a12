//! `ElemwiseKernel` through the `NativeKernel` interface: the split (multi-threaded) loop
//! gives bit-identical results for any number of chunks, flat and strided; `out_shape`
//! refuses what `run` could not handle; in place over an input.

use theano_ir::{Composite, ScalarOp};
use theano_jit::{KernelSet, NativeKernel, View};
use theano_tensor::ndarray::{ArrayD, IxDyn};
use theano_tensor::{DType, Tensor};

fn ramp(shape: &[usize], k: f64) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_f64_vec(
        DType::Float64,
        shape,
        (0..n).map(|i| ((i as f64) * k).sin()).collect(),
    )
    .unwrap()
}

fn run(
    k: &dyn Fn(&[View], &View, usize),
    ins: &[&Tensor],
    shape: &[usize],
    chunks: usize,
) -> Vec<f64> {
    let views: Vec<View> = ins.iter().map(|t| View::of(t).unwrap()).collect();
    let mut out = ArrayD::<f64>::zeros(IxDyn(shape));
    let ov = View::contiguous(out.as_mut_ptr() as *mut u8, DType::Float64, shape).unwrap();
    k(&views, &ov, chunks);
    out.iter().copied().collect()
}

#[test]
fn split_loops_are_chunk_independent() {
    let c = Composite::parse("((i0 * exp(i1)) + i2)").unwrap();
    let op = ScalarOp::composite(c);
    let mut ks = KernelSet::new(false).unwrap();
    let k = ks
        .add(
            &op,
            &[DType::Float64; 3],
            &[false, false, true],
            DType::Float64,
        )
        .unwrap();
    ks.finalize().unwrap();
    let kern = ks.elemwise(k, None).unwrap();
    let call = |v: &[View], o: &View, chunks: usize| {
        kern.out_shape(v).unwrap();
        // SAFETY: out_shape accepted the views of live tensors; `o` is a fresh contiguous
        // output of the broadcast shape.
        unsafe { kern.run_chunks(v, o, chunks) }
    };
    let s = Tensor::from(0.25);
    // flat
    let (a, b) = (ramp(&[1001], 0.3), ramp(&[1001], 0.7));
    let base = run(&call, &[&a, &b, &s], &[1001], 1);
    for chunks in [2, 3, 7, 64] {
        assert_eq!(run(&call, &[&a, &b, &s], &[1001], chunks), base, "{chunks}");
    }
    // strided: transposed and broadcast rows, many rows and a single long row
    let at = Tensor::from_array(ramp(&[40, 30], 0.1).to_array::<f64>().reversed_axes());
    let row = ramp(&[40], 0.9);
    let base = run(&call, &[&at, &row, &s], &[30, 40], 1);
    for chunks in [2, 3, 5, 64] {
        assert_eq!(
            run(&call, &[&at, &row, &s], &[30, 40], chunks),
            base,
            "{chunks}"
        );
    }
    let rev = Tensor::from_array(
        ramp(&[999], 0.4)
            .to_array::<f64>()
            .slice_move(theano_tensor::ndarray::s![..;-1])
            .into_dyn(),
    );
    let b999 = ramp(&[999], 0.2);
    let base = run(&call, &[&rev, &b999, &s], &[999], 1);
    for chunks in [2, 3, 64] {
        assert_eq!(
            run(&call, &[&rev, &b999, &s], &[999], chunks),
            base,
            "{chunks}"
        );
    }
    // refusals: count, dtype, broadcast, a non-scalar for a scalar input
    let va = View::of(&a).unwrap();
    let vs = View::of(&s).unwrap();
    let vbad = View::of(&ramp(&[7], 0.1)).unwrap();
    let vi = View::of(&Tensor::from(vec![1i64, 2])).unwrap();
    assert!(kern.out_shape(&[va, va]).is_err());
    assert!(kern.out_shape(&[va, vbad, vs]).is_err());
    assert!(kern.out_shape(&[va, vi, vs]).is_err());
    assert!(kern.out_shape(&[va, va, va]).is_err());
    assert_eq!(kern.out_shape(&[va, va, vs]).unwrap().as_slice(), &[1001]);
}

#[test]
fn in_place_over_an_input() {
    let mut ks = KernelSet::new(false).unwrap();
    let k = ks
        .add(
            &ScalarOp::Mul,
            &[DType::Float64; 2],
            &[false, false],
            DType::Float64,
        )
        .unwrap();
    ks.finalize().unwrap();
    // adding after a handle is out is refused (the code is shared)
    let kern = ks.elemwise(k, Some(0)).unwrap();
    assert!(ks
        .add(
            &ScalarOp::Add,
            &[DType::Float64; 2],
            &[false, false],
            DType::Float64
        )
        .is_err());
    assert_eq!(kern.inplace_input(), Some(0));
    let mut x = ramp(&[100_000], 0.1);
    let y = ramp(&[100_000], 0.2);
    let want: Vec<f64> = x
        .to_f64_vec()
        .iter()
        .zip(y.to_f64_vec())
        .map(|(a, b)| a * b)
        .collect();
    let xa = x.as_array_mut::<f64>().unwrap();
    let p = xa.as_mut_ptr() as *mut u8;
    let vx = View::contiguous(p, DType::Float64, &[100_000]).unwrap();
    let vy = View::of(&y).unwrap();
    kern.out_shape(&[vx, vy]).unwrap();
    // SAFETY: the output is exactly input 0, which the kernel allows.
    unsafe { kern.run(&[vx, vy], &vx) };
    assert_eq!(x.to_f64_vec(), want);
    drop(ks);
    // the handle keeps the code alive after the set is gone
    // SAFETY: as above.
    unsafe { kern.run(&[vx, vy], &vx) };
}

/// The cost of splitting (measurement, not a check): `cargo test --release -p theano-jit
/// --test elemwise_kernel -- --ignored --nocapture`.
#[test]
#[ignore]
fn split_overhead() {
    let mut ks = KernelSet::new(false).unwrap();
    let k = ks
        .add(
            &ScalarOp::Add,
            &[DType::Float64; 2],
            &[false, false],
            DType::Float64,
        )
        .unwrap();
    ks.finalize().unwrap();
    let kern = ks.elemwise(k, None).unwrap();
    for lg in [10, 12, 14, 16, 18, 20] {
        let n = 1usize << lg;
        let (a, b) = (ramp(&[n], 0.1), ramp(&[n], 0.2));
        let (va, vb) = (View::of(&a).unwrap(), View::of(&b).unwrap());
        let mut out = ArrayD::<f64>::zeros(IxDyn(&[n]));
        let ov = View::contiguous(out.as_mut_ptr().cast::<u8>(), DType::Float64, &[n]).unwrap();
        let mut t = [0.0; 2];
        for (c, chunks) in [1usize, 2].into_iter().enumerate() {
            let reps = (1 << 24) / n;
            let t0 = std::time::Instant::now();
            for _ in 0..reps {
                // SAFETY: views of live tensors of the output's shape; `ov` is fresh.
                unsafe { kern.run_chunks(&[va, vb], &ov, chunks) };
            }
            t[c] = t0.elapsed().as_secs_f64() / reps as f64 * 1e6;
        }
        eprintln!("2^{lg}: 1 chunk {:.2} us, 2 chunks {:.2} us", t[0], t[1]);
    }
}

/// Instructions on broadcast scalars only are computed once before the flat loop, and
/// scalars of another dtype are converted there (crate::hoist): such mixed-dtype composites
/// run the vector loop, and give the strided loop's (not hoisted) values bit for bit.
#[test]
fn hoisted_scalar_work_vectorizes_and_agrees() {
    let src = "((i0 / Cast{float64}(Switch(EQ(i1, i2), i3, i1))) * (i4 - i3))";
    let op = ScalarOp::composite(Composite::parse(src).unwrap());
    let dts = [
        DType::Float64,
        DType::Int64,
        DType::Int8,
        DType::Int8,
        DType::Float64,
    ];
    let scal = [true, true, true, true, false];
    let mut ks = KernelSet::new(false).unwrap();
    let k = ks.add(&op, &dts, &scal, DType::Float64).unwrap();
    ks.finalize().unwrap();
    assert!(ks.kernels()[k].vectorized, "{src}");
    let args = |i1: i64| -> Vec<Tensor> {
        vec![
            Tensor::from(0.75),
            Tensor::from(i1),
            Tensor::from_f64_vec(DType::Int8, &[], vec![0.0]).unwrap(),
            Tensor::from_f64_vec(DType::Int8, &[], vec![3.0]).unwrap(),
            ramp(&[1001], 0.37),
        ]
    };
    for i1 in [0i64, 5] {
        let a = args(i1);
        let refs: Vec<&Tensor> = a.iter().collect();
        let flat = ks.run(k, &refs).unwrap();
        // a reversed copy of input 4 sends the same values through the strided loop
        let rev = Tensor::from_array(
            a[4].to_array::<f64>()
                .slice_move(theano_tensor::ndarray::s![..;-1])
                .into_dyn(),
        );
        let mut refs2 = refs.clone();
        refs2[4] = &rev;
        let strided = ks.run(k, &refs2).unwrap();
        let mut want: Vec<f64> = strided.to_f64_vec();
        want.reverse();
        assert_eq!(flat.to_f64_vec(), want, "i1 = {i1}");
        let d = if i1 == 0 { 3.0 } else { i1 as f64 };
        let x = a[4].to_f64_vec();
        assert_eq!(flat.to_f64_vec()[7], 0.75 / d * (x[7] - 3.0));
    }
}
