//! Shared by theano-jit's tests, benches and examples (the latter two include it with
//! `#[path = "../tests/common/mod.rs"]`).

/// `n` reproducible values uniform in [-1, 1): a 64-bit LCG from `seed`, the top 53 bits.
pub fn data(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}
