//! Block helpers for the wide path of the flat loop (docs/JIT.md, "Wide transcendentals"):
//! `extern "C" fn(src, dst, n)` maps `n` elements of one transcendental from `src` to `dst`.
//! Cranelift's x64 backend lowers no 256/512-bit vectors, so on a host with AVX-512 the
//! generated loop runs its arithmetic inline and calls these for exp, tanh and sigmoid over a
//! cache-resident block. The functions are the float64 algorithms of `math.rs` (same
//! reductions, same coefficients) written as Rust and compiled by LLVM with
//! `#[target_feature(enable = "avx512f,...")]`, selected at run time; float32 uses math.rs's
//! float32 constants and polynomial.

use theano_ir::ScalarOp;
use theano_tensor::DType;

/// Elements per block of the wide loop (a multiple of every vector width).
pub(crate) const BLOCK: i64 = 512;

/// Most scratch buffers one kernel's wide loop may use (BLOCK elements each, on the stack).
pub(crate) const MAX_SLOTS: usize = 16;

/// Whether the host has what the wide helpers are compiled for.
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

// exp's polynomial E (math.rs's float64 fit): exp(r) = 1 + r + r²·E(r) on |r| <= ln2/2.
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
/// 1.5·2^52: adding and subtracting it rounds to an integer.
const SHIFT: f64 = 6755399441055744.0;
/// ln2 in two parts (Cody–Waite; the high part has 41 significant bits).
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

/// 2^k for an integral `k` in [-1022, 1023].
#[inline(always)]
fn pow2(k: f64) -> f64 {
    f64::from_bits((k + (SHIFT + 1023.0)).to_bits() << 52)
}

#[inline(always)]
fn exp64(x: f64) -> f64 {
    // NaN fails both comparisons and stays NaN
    let x = if x > 709.79 { 709.79 } else { x };
    let x = if x < -746.0 { -746.0 } else { x };
    let t = x.mul_add(std::f64::consts::LOG2_E, SHIFT);
    let n = t - SHIFT;
    let r = n.mul_add(-L1, x);
    let r = n.mul_add(-L2, r);
    let q = (r * r).mul_add(poly(r), r);
    let p = 1.0 + q;
    // 2^n in two factors, so a subnormal result rounds once
    let h = (n * 0.5).round_ties_even();
    p * pow2(h) * pow2(n - h)
}

#[inline(always)]
fn tanh64(x: f64) -> f64 {
    let a = x.abs();
    let a = if a > 20.0 { 20.0 } else { a };
    // u = expm1(2a): s = 2^(n-1), expm1 = 2·((s - ½) + s·r_hi + s·(r_lo + r²·E(r)))
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
    // t = u/(u+2), one Newton correction with the denominator's rounding error
    let d = u + 2.0;
    let dl = u - (d - 2.0);
    let rc = 1.0 / d;
    let t0 = u * rc;
    let res = (-t0).mul_add(d, u);
    let res = (-t0).mul_add(dl, res);
    let t = res.mul_add(rc, t0);
    let t = f64::from_bits(t.to_bits() | (x.to_bits() & (1u64 << 63)));
    // tiny (and ±0, subnormal) x: tanh x = x; NaN: a < .. is false, t is NaN
    if a < 8.673617379884035e-19 {
        x
    } else {
        t
    }
}

/// The interpreter's formula: `e = exp(-|x|)`, `(x >= 0 ? 1 : e)/(1 + e)`.
#[inline(always)]
fn sigmoid64(x: f64) -> f64 {
    let e = exp64(-x.abs());
    let num = if x >= 0.0 { 1.0 } else { e };
    num / (1.0 + e)
}

// float32: math.rs's float32 constants and polynomial (EXP_E_F32, degree 5)
const E32: [f32; 6] = [
    0.5,
    0.166_666_67,
    0.041_666_467,
    0.008_333_310_5,
    0.001_393_365,
    0.000_198_909_91,
];
const SHIFT32: f32 = 12582912.0;
const L1_32: f32 = 0.693_145_75;
const L2_32: f32 = 1.428_606_8e-6;
const INV_LN2_32: f32 = std::f32::consts::LOG2_E;

#[inline(always)]
fn poly32(r: f32) -> f32 {
    let r2 = r * r;
    let r4 = r2 * r2;
    let p0 = E32[1].mul_add(r, E32[0]);
    let p1 = E32[3].mul_add(r, E32[2]);
    let p2 = E32[5].mul_add(r, E32[4]);
    let q0 = p1.mul_add(r2, p0);
    p2.mul_add(r4, q0)
}

/// 2^k for an integral `k` in [-126, 127].
#[inline(always)]
fn pow2_32(k: f32) -> f32 {
    f32::from_bits((k + (SHIFT32 + 127.0)).to_bits() << 23)
}

#[inline(always)]
fn exp32(x: f32) -> f32 {
    let x = if x > 88.8 { 88.8 } else { x };
    let x = if x < -105.0 { -105.0 } else { x };
    let t = x.mul_add(INV_LN2_32, SHIFT32);
    let n = t - SHIFT32;
    let r = n.mul_add(-L1_32, x);
    let r = n.mul_add(-L2_32, r);
    let q = (r * r).mul_add(poly32(r), r);
    let p = 1.0 + q;
    let h = (n * 0.5).round_ties_even();
    p * pow2_32(h) * pow2_32(n - h)
}

#[inline(always)]
fn tanh32(x: f32) -> f32 {
    let a = x.abs();
    let a = if a > 10.0 { 10.0 } else { a };
    let a2 = a + a;
    let t = a2.mul_add(INV_LN2_32, SHIFT32);
    let n = t - SHIFT32;
    let rh = n.mul_add(-L1_32, a2);
    let rl = n * -L2_32;
    let r = rh + rl;
    let c = (r * r).mul_add(poly32(r), rl);
    let s = pow2_32(n - 1.0);
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
    let t = f32::from_bits(t.to_bits() | (x.to_bits() & (1u32 << 31)));
    if a < 9.313_226e-10 {
        x
    } else {
        t
    }
}

#[inline(always)]
fn sigmoid32(x: f32) -> f32 {
    let e = exp32(-x.abs());
    let num = if x >= 0.0 { 1.0 } else { e };
    num / (1.0 + e)
}

macro_rules! helpers {
    ($($name:ident: $t:ty => $f:expr;)*) => {
        $(
            #[allow(non_snake_case)]
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
                pub(super) fn wide(src: &[$t], dst: &mut [$t]) {
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d = ($f)(s);
                    }
                }
                pub(super) fn plain(src: &[$t], dst: &mut [$t]) {
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d = ($f)(s);
                    }
                }
            }
            /// `dst[i] = f(src[i])` for `i < n`.
            ///
            /// # Safety
            /// `src` and `dst` point to `n` valid, non-overlapping elements (the generated
            /// loop passes an input row or a scratch buffer as `src` and always another
            /// scratch buffer as `dst`).
            unsafe extern "C" fn $name(src: *const $t, dst: *mut $t, n: usize) {
                if n == 0 || src.is_null() || dst.is_null() {
                    return;
                }
                // SAFETY: the caller's contract above.
                let (s, d) = unsafe {
                    (std::slice::from_raw_parts(src, n), std::slice::from_raw_parts_mut(dst, n))
                };
                #[cfg(target_arch = "x86_64")]
                if available() {
                    // SAFETY: the features `wide` is compiled for were detected (std caches
                    // the detection, so this is a load per block).
                    unsafe { $name::wide(s, d) };
                    return;
                }
                $name::plain(s, d)
            }
        )*
        /// (symbol name, address) of every block helper.
        pub(crate) fn symbols() -> Vec<(&'static str, *const u8)> {
            vec![$((
                stringify!($name),
                $name as unsafe extern "C" fn(*const $t, *mut $t, usize) as *const u8,
            )),*]
        }
    };
}

pub(crate) use helpers_impl::symbols;
mod helpers_impl {
    use super::{available, exp32, exp64, sigmoid32, sigmoid64, tanh32, tanh64};
    helpers! {
        theano_wide_exp_f64: f64 => exp64;
        theano_wide_tanh_f64: f64 => tanh64;
        theano_wide_sigmoid_f64: f64 => sigmoid64;
        theano_wide_exp_f32: f32 => exp32;
        theano_wide_tanh_f32: f32 => tanh32;
        theano_wide_sigmoid_f32: f32 => sigmoid32;
    }
}

/// The block helper for `op` in `d`, if it has one.
pub(crate) fn helper(op: &ScalarOp, d: DType) -> Option<&'static str> {
    let f32 = match d {
        DType::Float64 => false,
        DType::Float32 => true,
        _ => return None,
    };
    Some(match (op, f32) {
        (ScalarOp::Exp, false) => "theano_wide_exp_f64",
        (ScalarOp::Tanh, false) => "theano_wide_tanh_f64",
        (ScalarOp::Sigmoid, false) => "theano_wide_sigmoid_f64",
        (ScalarOp::Exp, true) => "theano_wide_exp_f32",
        (ScalarOp::Tanh, true) => "theano_wide_tanh_f32",
        (ScalarOp::Sigmoid, true) => "theano_wide_sigmoid_f32",
        _ => return None,
    })
}
