//! dot 1024^3 through a compiled Function (`call_refs`, a fresh output each call), timed the
//! way the anchors time NumPy (`../shared/anchors/bench_gemm.py`: 3 warm-up calls, then 20
//! single calls, median / min / max as GFLOP/s), so the two medians are the same statistic.
//! Criterion's figure (`cargo bench --bench runtime -- dot_1024`) is the median of sample
//! means, which slow outliers pull down.
//!
//! `cargo run --release --example dot_per_call [rounds]` (rounds of 20 calls, default 3);
//! NumPy's side: `benches/dot_per_call_numpy.py`.

use std::time::Instant;
use theano::tensor as T;
use theano::{compile, DType, TensorType};

#[path = "../tests/common/mod.rs"]
mod common;
use common::values;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let n = 1024;
    let flops = 2.0 * (n * n * n) as f64;
    for dtype in [DType::Float64, DType::Float32] {
        let ty = TensorType::matrix(dtype);
        let (x, y) = (T::input(ty, "x"), T::input(ty, "y"));
        let f = compile(&[&x, &y], &T::dot(&x, &y)?).build()?;
        let (a, b) = (values(dtype, &[n, n], 1), values(dtype, &[n, n], 2));
        for _ in 0..rounds {
            for _ in 0..3 {
                f.call_refs(&[&a, &b])?;
            }
            let mut g: Vec<f64> = (0..20)
                .map(|_| {
                    let t = Instant::now();
                    let r = f.call_refs(&[&a, &b]);
                    let s = t.elapsed().as_secs_f64();
                    drop(r);
                    flops / s / 1e9
                })
                .collect();
            g.sort_by(|p, q| p.total_cmp(q));
            // of an even count, the mean of the middle two (Python's statistics.median)
            let median = (g[9] + g[10]) / 2.0;
            println!(
                "dot 1024^3 {dtype}: median {median:.1}  min {:.1}  max {:.1} GFLOP/s",
                g[0], g[19]
            );
        }
    }
    Ok(())
}
