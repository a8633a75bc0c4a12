//! Native kernels on their own (no graph, no runtime): dot at 1024^3 (float64, float32) in
//! FLOP/s, gemv at the seed's shapes (hand-written loops vs the `gemm` crate), the `gemm`
//! crate's threading threshold, a sum over 10^7 float64 and softmax on 600x10.
//!
//! `cargo bench -p theano-jit --bench native`; NumPy's figures for the same shapes:
//! `python3 ../shared/anchors/bench_gemm.py` and crates/jit/benches/native_numpy.py.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use theano_ir::{Op, ReduceKind, TensorType};
use theano_jit::{standalone_kernel, NativeKernel, View};
use theano_tensor::DType;

#[path = "../tests/common/mod.rs"]
mod common;
use common::data;

/// A generated kernel (`KernelSet::add_native`) where there is one, as the JIT linker does,
/// else `native_kernel`.
fn kernel(op: Op, ins: &[TensorType]) -> Box<dyn NativeKernel> {
    let outs = op.infer_types(ins).unwrap();
    standalone_kernel(&op, ins, &outs).unwrap()
}

/// A read-only input view.
fn view<T>(v: &[T], d: DType, shape: &[usize]) -> View {
    View::contiguous(v.as_ptr() as *mut u8, d, shape).unwrap()
}

/// An output view (written through).
fn view_mut<T>(v: &mut [T], d: DType, shape: &[usize]) -> View {
    View::contiguous(v.as_mut_ptr() as *mut u8, d, shape).unwrap()
}

/// Run `k` into `out` (checked once by out_shape).
fn call(k: &dyn NativeKernel, ins: &[View], out: &View) {
    k.out_shape(ins).unwrap();
    // SAFETY: out_shape accepted the inputs, out is a distinct C-contiguous buffer of the
    // output's shape and dtype.
    unsafe { k.run(ins, out) }
}

fn dot(c: &mut Criterion) {
    let n = 1024;
    for d in [DType::Float64, DType::Float32] {
        let mut g = c.benchmark_group(format!("dot_1024_{d}"));
        g.throughput(Throughput::Elements(2 * (n * n * n) as u64));
        g.sample_size(20);
        let t = TensorType::with_ndim(d, 2).unwrap();
        let k = kernel(Op::Dot, &[t, t]);
        macro_rules! go {
            ($T:ty) => {{
                let a: Vec<$T> = data(n * n, 1).into_iter().map(|v| v as $T).collect();
                let b: Vec<$T> = data(n * n, 2).into_iter().map(|v| v as $T).collect();
                let mut o: Vec<$T> = vec![0.0; n * n];
                let ins = [view(&a, d, &[n, n]), view(&b, d, &[n, n])];
                let out = View::contiguous(o.as_mut_ptr() as *mut u8, d, &[n, n]).unwrap();
                g.bench_function("native", |bch| {
                    bch.iter(|| call(k.as_ref(), black_box(&ins), &out))
                });
            }};
        }
        if d == DType::Float64 {
            go!(f64)
        } else {
            go!(f32)
        }
        g.finish();
    }
}

fn gemv(c: &mut Criterion) {
    // the seed: x (400x784) · w (784), and the gradient x.T (784x400, a transposed view) · d
    let (rows, cols) = (400, 784);
    let a = data(rows * cols, 3);
    let x784 = data(cols, 4);
    let x400 = data(rows, 5);
    let d = DType::Float64;
    let k = kernel(
        Op::Dot,
        &[
            TensorType::with_ndim(d, 2).unwrap(),
            TensorType::with_ndim(d, 1).unwrap(),
        ],
    );
    for (name, shape, strides, x) in [
        ("400x784_dot_784", [rows, cols], [cols as isize, 1], &x784),
        ("784x400T_dot_400", [cols, rows], [1, cols as isize], &x400),
    ] {
        let mut g = c.benchmark_group(format!("gemv_f64_{name}"));
        g.throughput(Throughput::Elements(2 * (rows * cols) as u64));
        let av = View::raw(a.as_ptr() as *mut u8, d, &shape, &strides).unwrap();
        let xv = view(x, d, &[shape[1]]);
        let mut o = vec![0.0f64; shape[0]];
        let out = View::contiguous(o.as_mut_ptr() as *mut u8, d, &[shape[0]]).unwrap();
        let op = o.as_mut_ptr();
        g.bench_function("kernel", |bch| {
            bch.iter(|| call(k.as_ref(), black_box(&[av, xv]), &out))
        });
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        g.bench_function("kernel_1thread", |bch| {
            one.install(|| bch.iter(|| call(k.as_ref(), black_box(&[av, xv]), &out)))
        });
        for (pname, par) in [
            ("gemm_crate_1thread", gemm::Parallelism::None),
            ("gemm_crate_rayon", gemm::Parallelism::Rayon(0)),
        ] {
            g.bench_function(pname, |bch| {
                bch.iter(|| {
                    // SAFETY: a (shape x strides), x (shape[1]) and o (shape[0]) are live,
                    // disjoint buffers of f64.
                    unsafe {
                        gemm::gemm::<f64>(
                            shape[0],
                            1,
                            shape[1],
                            op,
                            1,
                            1,
                            false,
                            a.as_ptr(),
                            strides[1],
                            strides[0],
                            x.as_ptr(),
                            1,
                            1,
                            0.0,
                            1.0,
                            false,
                            false,
                            false,
                            par,
                        )
                    }
                })
            });
        }
        g.finish();
    }
}

fn gemm_threads(c: &mut Criterion) {
    // where rayon starts to pay off: square f64 products, one thread vs the pool
    for n in [32usize, 64, 96, 128, 192, 256] {
        let mut g = c.benchmark_group(format!("gemm_threads_f64_{n}"));
        g.throughput(Throughput::Elements(2 * (n * n * n) as u64));
        let (a, b) = (data(n * n, 6), data(n * n, 7));
        let mut o = vec![0.0f64; n * n];
        let op = o.as_mut_ptr();
        for (pname, par) in [
            ("1thread", gemm::Parallelism::None),
            ("rayon", gemm::Parallelism::Rayon(0)),
        ] {
            g.bench_function(pname, |bch| {
                bch.iter(|| {
                    // SAFETY: three live, disjoint n x n C-contiguous f64 buffers.
                    unsafe {
                        gemm::gemm::<f64>(
                            n,
                            n,
                            n,
                            op,
                            1,
                            n as isize,
                            false,
                            a.as_ptr(),
                            1,
                            n as isize,
                            b.as_ptr(),
                            1,
                            n as isize,
                            0.0,
                            1.0,
                            false,
                            false,
                            false,
                            par,
                        )
                    }
                })
            });
        }
        g.finish();
    }
}

fn reduce_softmax(c: &mut Criterion) {
    let d = DType::Float64;
    let n = 10_000_000;
    let x = data(n, 8);
    let mut g = c.benchmark_group("sum_1e7_f64");
    g.throughput(Throughput::Elements(n as u64));
    let k = kernel(
        Op::Reduce {
            kind: ReduceKind::Sum,
            axes: None,
            dtype: None,
        },
        &[TensorType::with_ndim(d, 1).unwrap()],
    );
    let mut o = vec![0.0f64; 1];
    let (xv, out) = (view(&x, d, &[n]), view_mut(&mut o, d, &[]));
    g.bench_function("native", |bch| {
        bch.iter(|| call(k.as_ref(), black_box(&[xv]), &out))
    });
    g.finish();

    let (r, cols) = (600, 10);
    let x = data(r * cols, 9);
    let mut g = c.benchmark_group("softmax_600x10_f64");
    let k = kernel(Op::Softmax, &[TensorType::with_ndim(d, 2).unwrap()]);
    let mut o = vec![0.0f64; r * cols];
    let (xv, out) = (view(&x, d, &[r, cols]), view_mut(&mut o, d, &[r, cols]));
    g.bench_function("native", |bch| {
        bch.iter(|| call(k.as_ref(), black_box(&[xv]), &out))
    });
    g.finish();
}

criterion_group!(benches, dot, gemv, gemm_threads, reduce_softmax);
criterion_main!(benches);
