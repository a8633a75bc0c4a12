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
    // AVX-512 F, DQ, VL with AVX2 and FMA, within the THEANO_JIT_CPU cap
    crate::cpu::level() == crate::cpu::CpuLevel::Avx512
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

// softplus: math.rs's `softplus` (max(x, 0) + log1p(exp(-|x|)), log1p through the exact
// rounding error of 1 + e and the log kernel on [√½-1, √2-1]), operation for operation.
const LOG_R1_64: [f64; 8] = [
    0.4,
    0.28571428571429364,
    0.22222222221655885,
    0.18181818335392802,
    0.1538459496251843,
    0.1333480469384731,
    0.11706236339491206,
    0.11723178623876518,
];
const SQRT_HALF_BITS_64: i64 = 0x3FE6_A09E_667F_3BCD;

/// `(k, m)` with `x = 2^k·m`, m in [√½, √2), for positive normal finite x.
#[inline(always)]
fn decompose64(x: f64) -> (f64, f64) {
    let d = (x.to_bits() as i64).wrapping_sub(SQRT_HALF_BITS_64);
    let kb = ((d ^ i64::MIN) as u64) >> 52;
    let kb = kb.wrapping_add(SHIFT.to_bits());
    let kf = f64::from_bits(kb) - (SHIFT + 2048.0);
    let m = f64::from_bits(((d & 0x000F_FFFF_FFFF_FFFF).wrapping_add(SQRT_HALF_BITS_64)) as u64);
    (kf, m)
}

/// log(1+f) for f in about [√½-1, √2-1].
#[inline(always)]
fn log1p_kernel64(f: f64) -> f64 {
    let s = f / (2.0 + f);
    let z = s * s;
    let c = &LOG_R1_64;
    let z2 = z * z;
    let z4 = z2 * z2;
    let q0 = c[3].mul_add(z, c[2]).mul_add(z2, c[1].mul_add(z, c[0]));
    let q1 = c[7].mul_add(z, c[6]).mul_add(z2, c[5].mul_add(z, c[4]));
    let r1 = q1.mul_add(z4, q0);
    let r = z.mul_add(r1, 2.0 / 3.0);
    let w = z.mul_add(r, -f);
    s.mul_add(w, f)
}

#[inline(always)]
fn softplus64(x: f64) -> f64 {
    let e = exp64(-x.abs());
    let u = 1.0 + e;
    let c = e - (u - 1.0);
    let (kf, m) = decompose64(u);
    let kc = if kf > 1000.0 { 1000.0 } else { kf };
    let f = c.mul_add(pow2(-kc), m - 1.0);
    let l = log1p_kernel64(f);
    let l = kf.mul_add(L1, kf.mul_add(L2, l));
    let m = if x > 0.0 { x } else { 0.0 };
    l + m
}

const LOG_R1_32: [f32; 3] = [0.400_000_15, 0.285_622_36, 0.230_482_38];
const SQRT_HALF_BITS_32: i32 = 0x3F35_04F3;

#[inline(always)]
fn decompose32(x: f32) -> (f32, f32) {
    let d = (x.to_bits() as i32).wrapping_sub(SQRT_HALF_BITS_32);
    let kb = ((d ^ i32::MIN) as u32) >> 23;
    let kb = kb.wrapping_add(SHIFT32.to_bits());
    let kf = f32::from_bits(kb) - (SHIFT32 + 256.0);
    let m = f32::from_bits(((d & 0x007F_FFFF).wrapping_add(SQRT_HALF_BITS_32)) as u32);
    (kf, m)
}

#[inline(always)]
fn log1p_kernel32(f: f32) -> f32 {
    let s = f / (2.0 + f);
    let z = s * s;
    let c = &LOG_R1_32;
    let r1 = c[2].mul_add(z * z, c[1].mul_add(z, c[0]));
    let r = z.mul_add(r1, (2.0f64 / 3.0) as f32);
    let w = z.mul_add(r, -f);
    s.mul_add(w, f)
}

#[inline(always)]
fn softplus32(x: f32) -> f32 {
    let e = exp32(-x.abs());
    let u = 1.0 + e;
    let c = e - (u - 1.0);
    let (kf, m) = decompose32(u);
    let kc = if kf > 120.0 { 120.0 } else { kf };
    let f = c.mul_add(pow2_32(-kc), m - 1.0);
    let l = log1p_kernel32(f);
    let l = kf.mul_add(L1_32, kf.mul_add(L2_32, l));
    let m = if x > 0.0 { x } else { 0.0 };
    l + m
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
    use super::{
        available, exp32, exp64, sigmoid32, sigmoid64, softplus32, softplus64, tanh32, tanh64,
    };
    helpers! {
        theano_wide_exp_f64: f64 => exp64;
        theano_wide_tanh_f64: f64 => tanh64;
        theano_wide_sigmoid_f64: f64 => sigmoid64;
        theano_wide_exp_f32: f32 => exp32;
        theano_wide_tanh_f32: f32 => tanh32;
        theano_wide_sigmoid_f32: f32 => sigmoid32;
        theano_wide_softplus_f64: f64 => softplus64;
        theano_wide_softplus_f32: f32 => softplus32;
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
        (ScalarOp::Softplus, false) => "theano_wide_softplus_f64",
        (ScalarOp::Softplus, true) => "theano_wide_softplus_f32",
        _ => return None,
    })
}
