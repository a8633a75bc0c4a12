//! Interleaved min-of-N timings of matrix products: the `Dot` kernel (narrow products and
//! hot-pool bands, crates/jit/src/blas.rs) against the `gemm` crate called directly, and the
//! machine's float64 FMA peak. NumPy's figures for the same shapes:
//! `python3 crates/jit/benches/gemm_numpy.py`.
//!
//! `cargo run --release -p theano-jit --example gemm_timing [rounds]`

use std::time::Instant;
use theano_ir::{Op, TensorType};
use theano_jit::{native_kernel, NativeKernel, View};
use theano_tensor::DType;

#[path = "../tests/common/mod.rs"]
mod common;
use common::data;

fn dot_kernel(d: DType) -> Box<dyn NativeKernel> {
    let t2 = TensorType::with_ndim(d, 2).unwrap();
    let ins = [t2, t2];
    let outs = Op::Dot.infer_types(&ins).unwrap();
    native_kernel(&Op::Dot, &ins, &outs).unwrap()
}

/// The `gemm` crate: dst (m x n, C order) = lhs (m x k at strides lrs, lcs) · rhs (C order).
#[allow(clippy::too_many_arguments)]
fn crate_gemm<T: 'static>(
    (m, k, n): (usize, usize, usize),
    dst: &mut [T],
    lhs: &[T],
    (lrs, lcs): (isize, isize),
    rhs: &[T],
    zero: T,
    one: T,
    par: gemm::Parallelism,
) {
    // SAFETY: the buffers hold m x n, m x k (at those strides) and k x n elements.
    unsafe {
        gemm::gemm::<T>(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            lcs,
            lrs,
            rhs.as_ptr(),
            1,
            n as isize,
            zero,
            one,
            false,
            false,
            false,
            par,
        )
    }
}

/// The kernel on x (m x k at strides xs) · y (k x n, C order) into out (C order).
fn run_kernel<T>(
    k: &dyn NativeKernel,
    d: DType,
    (m, kk, n): (usize, usize, usize),
    x: &[T],
    xs: (isize, isize),
    y: &[T],
    out: &mut [T],
) {
    let ins = [
        View::raw(x.as_ptr() as *mut u8, d, &[m, kk], &[xs.0, xs.1]).unwrap(),
        View::contiguous(y.as_ptr() as *mut u8, d, &[kk, n]).unwrap(),
    ];
    let o = View::contiguous(out.as_mut_ptr() as *mut u8, d, &[m, n]).unwrap();
    k.out_shape(&ins).unwrap();
    // SAFETY: out_shape accepted the views of live buffers; out is a distinct C-order
    // buffer of the output's shape and dtype.
    unsafe { k.run(&ins, &o) }
}

/// Minimum seconds of each closure over `rounds` interleaved rounds.
fn interleaved(rounds: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let mut best = vec![f64::MAX; fs.len()];
    for _ in 0..rounds {
        for (b, f) in best.iter_mut().zip(fs.iter_mut()) {
            let t = Instant::now();
            f();
            *b = b.min(t.elapsed().as_secs_f64());
        }
    }
    best
}

/// float64 FMA throughput of one thread: twelve independent chains of 512-bit FMAs.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn fma_peak_thread(iters: usize) -> f64 {
    use std::arch::x86_64::*;
    let x = _mm512_set1_pd(1.000_000_1);
    let y = _mm512_set1_pd(0.999_999_9);
    let mut a = [_mm512_setzero_pd(); 12];
    for _ in 0..iters {
        for v in a.iter_mut() {
            *v = _mm512_fmadd_pd(*v, x, y);
        }
    }
    a.iter().map(|&v| _mm512_reduce_add_pd(v)).sum()
}

fn fma_peak(threads: usize) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx512f") {
        let iters = 20_000_000;
        let t = Instant::now();
        let s: f64 = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..threads)
                // SAFETY: avx512f was detected above.
                .map(|_| sc.spawn(move || unsafe { fma_peak_thread(iters) }))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum()
        });
        std::hint::black_box(s);
        return Some((threads * iters * 12 * 16) as f64 / t.elapsed().as_secs_f64() / 1e9);
    }
    None
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    for th in [1, 2] {
        match fma_peak(th) {
            Some(g) => println!("float64 FMA peak, {th} thread(s): {g:.1} GFLOP/s"),
            None => println!("float64 FMA peak: needs AVX-512"),
        }
    }
    let (k64, k32) = (dot_kernel(DType::Float64), dot_kernel(DType::Float32));
    let d = DType::Float64;
    // narrow products: x is m x k, C order or (tx) the transpose of a C k x m matrix
    for (m, k, n, tx) in [
        (600usize, 784usize, 10usize, false),
        (784, 600, 10, true),
        (600, 784, 16, false),
        (2000, 500, 8, false),
    ] {
        let (a, b) = (data(m * k, 1), data(k * n, 2));
        let (mut o1, mut o2, mut o3) = (vec![0.0f64; m * n], vec![0.0; m * n], vec![0.0; m * n]);
        let xs = if tx { (1, m as isize) } else { (k as isize, 1) };
        let s = (m, k, n);
        let t = interleaved(
            rounds * 20,
            &mut [
                &mut || run_kernel(k64.as_ref(), d, s, &a, xs, &b, &mut o1),
                &mut || {
                    crate_gemm(
                        s,
                        &mut o2,
                        &a,
                        xs,
                        &b,
                        0.0,
                        1.0,
                        gemm::Parallelism::Rayon(0),
                    )
                },
                &mut || crate_gemm(s, &mut o3, &a, xs, &b, 0.0, 1.0, gemm::Parallelism::None),
            ],
        );
        println!(
            "{m}x{k} . {k}x{n}{}: kernel {:.1} us, crate rayon {:.1} us, crate 1 thread {:.1} us",
            if tx { " (x transposed)" } else { "" },
            t[0] * 1e6,
            t[1] * 1e6,
            t[2] * 1e6
        );
    }
    // square products, GFLOP/s
    for n in [96usize, 128, 192, 256, 512, 1024] {
        let (a, b) = (data(n * n, 1), data(n * n, 2));
        let (a32, b32): (Vec<f32>, Vec<f32>) = (
            a.iter().map(|&v| v as f32).collect(),
            b.iter().map(|&v| v as f32).collect(),
        );
        let (mut o1, mut o2) = (vec![0.0f64; n * n], vec![0.0f64; n * n]);
        let (mut o3, mut o4) = (vec![0.0f32; n * n], vec![0.0f32; n * n]);
        let (s, xs, f32d) = ((n, n, n), (n as isize, 1), DType::Float32);
        let r = if n < 512 { rounds * 20 } else { rounds };
        let par = gemm::Parallelism::Rayon(0);
        let t = interleaved(
            r,
            &mut [
                &mut || run_kernel(k64.as_ref(), d, s, &a, xs, &b, &mut o1),
                &mut || crate_gemm(s, &mut o2, &a, xs, &b, 0.0, 1.0, par),
                &mut || run_kernel(k32.as_ref(), f32d, s, &a32, xs, &b32, &mut o3),
                &mut || crate_gemm(s, &mut o4, &a32, xs, &b32, 0.0, 1.0, par),
            ],
        );
        let g: Vec<f64> = t
            .iter()
            .map(|t| 2.0 * (n * n * n) as f64 / t / 1e9)
            .collect();
        println!(
            "{n}^3 GFLOP/s: float64 kernel {:.1}, crate rayon {:.1}; float32 kernel {:.1}, crate rayon {:.1}",
            g[0], g[1], g[2], g[3]
        );
    }
}
