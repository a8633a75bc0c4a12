//! Single-thread speed of the fused kernel `exp(x)*y + tanh(z)` through `KernelSet`, on
//! 10^6 and 10^7 elements, float64 and float32 (inputs uniform in [-1, 1)).
//! `ELEMWISE_ASM=1` prints the kernels' machine code first; `ELEMWISE_EXPR` replaces the
//! expression; `ELEMWISE_WIDE=0` turns the AVX-512 block helpers off (a Composite over i0, i1, i2).
//!
//! `cargo run --release -p theano-jit --example elemwise_speed` (prints the best of 10 runs
//! per size and dtype; the output allocation is included, as in a real call).

use std::time::Instant;
use theano_ir::{Composite, ScalarOp};
use theano_jit::KernelSet;
use theano_tensor::{DType, Tensor};

#[path = "../tests/common/mod.rs"]
mod common;

fn values(dtype: DType, n: usize, seed: u64) -> Tensor {
    Tensor::from_f64_vec(dtype, &[n], common::data(n, seed)).expect("shape")
}

fn main() {
    let src = std::env::var("ELEMWISE_EXPR").unwrap_or("((exp(i0) * i1) + tanh(i2))".into());
    let op = ScalarOp::composite(Composite::parse(&src).expect("parse"));
    for d in [DType::Float64, DType::Float32] {
        let show = std::env::var_os("ELEMWISE_ASM").is_some();
        let mut ks = KernelSet::new(show).expect("jit");
        // ELEMWISE_WIDE=0: the inline 128-bit code throughout (no AVX-512 block helpers)
        ks.set_wide(std::env::var("ELEMWISE_WIDE").map_or(true, |v| v != "0"));
        let k = ks.add(&op, &[d, d, d], &[false; 3], d).expect("lowered");
        ks.finalize().expect("finalize");
        if show {
            println!("{}", ks.kernels()[k].asm);
        }
        let vectorized = ks.kernels()[k].vectorized;
        let wide = ks.kernels()[k].wide;
        for n in [1_000_000usize, 10_000_000] {
            let ins = [values(d, n, 1), values(d, n, 2), values(d, n, 3)];
            let refs: Vec<&Tensor> = ins.iter().collect();
            let mut best = f64::INFINITY;
            for _ in 0..10 {
                let t = Instant::now();
                let out = ks.run(k, &refs).expect("run");
                best = best.min(t.elapsed().as_secs_f64());
                std::hint::black_box(out);
            }
            println!(
                "{d} n={n:>9} vectorized={vectorized} wide={wide}: {:8.3} ms ({:.2} ns/element)",
                best * 1e3,
                best * 1e9 / n as f64
            );
        }
    }
}
