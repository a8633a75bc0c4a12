//! A probe, not part of the JIT: the same exp and tanh algorithms as `src/math.rs` (float64,
//! branch-free) written as plain Rust over slices and compiled by LLVM for AVX-512, to see what
//! a runtime-dispatched SIMD helper would gain over the 128-bit inline code. Times
//! `exp(x)*y + tanh(z)` on 10^6 and 10^7 elements (best of 10, output preallocated).
//!
//! `cargo run --release -p theano-jit --example avx512_probe`

use std::time::Instant;

const E: [f64; 10] = [
    0.5000000000000001,
    0.16666666666666669,
    0.04166666666662413,
    0.008333333333330062,
    0.0013888888917213717,
    0.00019841269863053618,
    2.4801521295954376e-05,
    2.7557268459997064e-06,
    2.7620088445409746e-07,
    2.510038549551032e-08,
];
const SHIFT: f64 = 6755399441055744.0;
const L1: f64 = 0.6931471805601177;
const L2: f64 = -1.7239444525614835e-13;

#[inline(always)]
fn poly(r: f64) -> f64 {
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let p0 = E[1].mul_add(r, E[0]);
    let p1 = E[3].mul_add(r, E[2]);
    let p2 = E[5].mul_add(r, E[4]);
    let p3 = E[7].mul_add(r, E[6]);
    let p4 = E[9].mul_add(r, E[8]);
    let q0 = p1.mul_add(r2, p0);
    let q1 = p3.mul_add(r2, p2);
    let s0 = q1.mul_add(r4, q0);
    p4.mul_add(r8, s0)
}

#[inline(always)]
fn pow2(k: f64) -> f64 {
    f64::from_bits((k + (SHIFT + 1023.0)).to_bits() << 52)
}

#[inline(always)]
fn exp(x: f64) -> f64 {
    let x = if x > 709.79 { 709.79 } else { x };
    let x = if x < -746.0 { -746.0 } else { x };
    let t = x.mul_add(std::f64::consts::LOG2_E, SHIFT);
    let n = t - SHIFT;
    let r = n.mul_add(-L1, x);
    let r = n.mul_add(-L2, r);
    let q = (r * r).mul_add(poly(r), r);
    let p = 1.0 + q;
    let h = (n * 0.5).round_ties_even();
    p * pow2(h) * pow2(n - h)
}

#[inline(always)]
fn tanh(x: f64) -> f64 {
    let a = x.abs();
    let a = if a > 20.0 { 20.0 } else { a };
    let a2 = a + a;
    let t = a2.mul_add(std::f64::consts::LOG2_E, SHIFT);
    let n = t - SHIFT;
    let rh = n.mul_add(-L1, a2);
    let rl = n * -L2;
    let r = rh + rl;
    let c = (r * r).mul_add(poly(r), rl);
    let s = pow2(n - 1.0);
    let aa = s - 0.5;
    let bb = s * rh;
    let h = aa + bb;
    let l = bb - (h - aa);
    let u = h + s.mul_add(c, l);
    let u = u + u;
    let d = u + 2.0;
    let dl = u - (d - 2.0);
    let rc = 1.0 / d;
    let t0 = u * rc;
    let res = (-t0).mul_add(d, u);
    let res = (-t0).mul_add(dl, res);
    let t = res.mul_add(rc, t0);
    let t = f64::from_bits(t.to_bits() | (x.to_bits() & (1u64 << 63)));
    if a < 8.673617379884035e-19 {
        x
    } else {
        t
    }
}

#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
fn kernel_avx512(x: &[f64], y: &[f64], z: &[f64], out: &mut [f64]) {
    for i in 0..out.len().min(x.len()).min(y.len()).min(z.len()) {
        out[i] = exp(x[i]).mul_add(y[i], tanh(z[i]));
    }
}

#[target_feature(enable = "avx2,fma")]
fn kernel_avx2(x: &[f64], y: &[f64], z: &[f64], out: &mut [f64]) {
    for i in 0..out.len().min(x.len()).min(y.len()).min(z.len()) {
        out[i] = exp(x[i]).mul_add(y[i], tanh(z[i]));
    }
}

fn main() {
    if !(is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("fma"))
    {
        println!("no AVX-512 on this host");
        return;
    }
    for n in [1_000_000usize, 10_000_000] {
        let mut s = 1u64;
        let mut v = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        let x: Vec<f64> = (0..n).map(|_| v()).collect();
        let y: Vec<f64> = (0..n).map(|_| v()).collect();
        let z: Vec<f64> = (0..n).map(|_| v()).collect();
        let mut out = vec![0.0; n];
        for (name, avx512) in [("avx512", true), ("avx2", false)] {
            let mut best = f64::INFINITY;
            for _ in 0..10 {
                let t = Instant::now();
                // SAFETY: the features were detected above.
                unsafe {
                    if avx512 {
                        kernel_avx512(&x, &y, &z, &mut out)
                    } else {
                        kernel_avx2(&x, &y, &z, &mut out)
                    }
                }
                best = best.min(t.elapsed().as_secs_f64());
                std::hint::black_box(&out);
            }
            let check: f64 = (0..n)
                .map(|i| (out[i] - (x[i].exp() * y[i] + z[i].tanh())).abs())
                .fold(0.0, f64::max);
            println!(
                "float64 {name} n={n:>9}: {:8.3} ms ({:.2} ns/element), max |err| {check:e}",
                best * 1e3,
                best * 1e9 / n as f64
            );
        }
    }
}
