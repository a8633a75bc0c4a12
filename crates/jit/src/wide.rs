//! Block helpers for the wide path of the flat loop (docs/JIT.md, "Wide transcendentals"):
//! `extern "C" fn(src, dst, n)` maps `n` elements of one transcendental from `src` to `dst`.
//! Cranelift's x64 backend lowers no 256/512-bit vectors, so on a host with AVX-512 the
//! generated loop runs its arithmetic inline and calls these for exp, tanh, sigmoid and
//! softplus over a cache-resident block. The functions are math.rs's algorithms over
//! math.rs's constants, written once for float64 and float32 and compiled by LLVM with
//! `#[target_feature(enable = "avx512f,...")]`, selected at run time.
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

// The functions, written once for both float types over math.rs's constants (`Consts`, with
// its coefficient tables): the same reductions and operations in the same order as the inline
// code of math.rs, so the wide path's worst cases are the inline path's.

use crate::math::{Consts, F32C, F64C};

/// A float type the helpers are compiled for.
trait Wf:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    const K: &'static Consts;
    /// A constant of math.rs (float64) in this type.
    fn c(x: f64) -> Self;
    fn fma(self, b: Self, c: Self) -> Self;
    fn abs(self) -> Self;
    fn round_even(self) -> Self;
    /// 2^k for an integral `k` with a normal result.
    fn pow2(k: Self) -> Self;
    /// `(k, m)` with `x = 2^k·m`, m in [√½, √2), for positive normal finite x.
    fn decompose(x: Self) -> (Self, Self);
    /// `t` (non-negative) with the sign of `x`.
    fn with_sign_of(t: Self, x: Self) -> Self;
}

impl Wf for f64 {
    const K: &'static Consts = &F64C;
    #[inline(always)]
    fn c(x: f64) -> f64 {
        x
    }
    #[inline(always)]
    fn fma(self, b: f64, c: f64) -> f64 {
        self.mul_add(b, c)
    }
    #[inline(always)]
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    #[inline(always)]
    fn round_even(self) -> f64 {
        self.round_ties_even()
    }
    #[inline(always)]
    fn pow2(k: f64) -> f64 {
        f64::from_bits((k + (F64C.shift + F64C.bias)).to_bits() << F64C.mant)
    }
    #[inline(always)]
    fn decompose(x: f64) -> (f64, f64) {
        let d = (x.to_bits() as i64).wrapping_sub(F64C.sqrt_half);
        let kb = ((d ^ F64C.sign) as u64) >> F64C.mant;
        let kf = f64::from_bits(kb.wrapping_add(F64C.shift.to_bits())) - (F64C.shift + F64C.koff);
        let m = f64::from_bits((d & F64C.mant_mask).wrapping_add(F64C.sqrt_half) as u64);
        (kf, m)
    }
    #[inline(always)]
    fn with_sign_of(t: f64, x: f64) -> f64 {
        f64::from_bits(t.to_bits() | (x.to_bits() & F64C.sign as u64))
    }
}

impl Wf for f32 {
    const K: &'static Consts = &F32C;
    #[inline(always)]
    fn c(x: f64) -> f32 {
        x as f32
    }
    #[inline(always)]
    fn fma(self, b: f32, c: f32) -> f32 {
        self.mul_add(b, c)
    }
    #[inline(always)]
    fn abs(self) -> f32 {
        f32::abs(self)
    }
    #[inline(always)]
    fn round_even(self) -> f32 {
        self.round_ties_even()
    }
    #[inline(always)]
    fn pow2(k: f32) -> f32 {
        f32::from_bits((k + (F32C.shift + F32C.bias) as f32).to_bits() << F32C.mant)
    }
    #[inline(always)]
    fn decompose(x: f32) -> (f32, f32) {
        let d = (x.to_bits() as i32).wrapping_sub(F32C.sqrt_half as i32);
        let kb = ((d ^ F32C.sign as i32) as u32) >> F32C.mant;
        let shift = F32C.shift as f32;
        let kf = f32::from_bits(kb.wrapping_add(shift.to_bits())) - (F32C.shift + F32C.koff) as f32;
        let m =
            f32::from_bits((d & F32C.mant_mask as i32).wrapping_add(F32C.sqrt_half as i32) as u32);
        (kf, m)
    }
    #[inline(always)]
    fn with_sign_of(t: f32, x: f32) -> f32 {
        f32::from_bits(t.to_bits() | (x.to_bits() & F32C.sign as u32))
    }
}

/// math.rs's polynomial (coefficients lowest degree first) in Estrin's scheme: pairs
/// `c[2i] + c[2i+1]·x`, then pairs of those with x², x⁴, ...
#[inline(always)]
fn poly<T: Wf>(x: T, cs: &[f64]) -> T {
    let mut terms = [T::c(0.0); 8];
    let mut n = 0;
    for p in cs.chunks(2) {
        terms[n] = match p {
            [c0, c1] => T::c(*c1).fma(x, T::c(*c0)),
            _ => T::c(p[0]),
        };
        n += 1;
    }
    let mut pw = x;
    while n > 1 {
        pw = pw * pw;
        let mut m = 0;
        let mut i = 0;
        while i < n {
            terms[m] = if i + 1 < n {
                terms[i + 1].fma(pw, terms[i])
            } else {
                terms[i]
            };
            m += 1;
            i += 2;
        }
        n = m;
    }
    terms[0]
}

/// `x` clamped to `hi` from above (NaN passes).
#[inline(always)]
fn min_c<T: Wf>(x: T, hi: f64) -> T {
    if x > T::c(hi) {
        T::c(hi)
    } else {
        x
    }
}

/// `(n, r)` with `x = n·ln2 + r` (`r` in two parts: `rh` exact, `rl`).
#[inline(always)]
fn reduce<T: Wf>(x: T) -> (T, T, T) {
    let k = T::K;
    let t = x.fma(T::c(k.inv_ln2), T::c(k.shift));
    let n = t - T::c(k.shift);
    let rh = n.fma(T::c(-k.ln2_hi), x);
    let rl = n * T::c(-k.ln2_lo);
    (n, rh, rl)
}

#[inline(always)]
fn exp<T: Wf>(x: T) -> T {
    let k = T::K;
    // NaN fails both comparisons and stays NaN
    let x = min_c(x, k.exp_hi);
    let x = if x < T::c(k.exp_lo) {
        T::c(k.exp_lo)
    } else {
        x
    };
    let t = x.fma(T::c(k.inv_ln2), T::c(k.shift));
    let n = t - T::c(k.shift);
    let r = n.fma(T::c(-k.ln2_hi), x);
    let r = n.fma(T::c(-k.ln2_lo), r);
    let q = (r * r).fma(poly(r, k.exp_e), r);
    let p = T::c(1.0) + q;
    // 2^n in two factors, so a subnormal result rounds once
    let h = (n * T::c(0.5)).round_even();
    p * T::pow2(h) * T::pow2(n - h)
}

#[inline(always)]
fn tanh<T: Wf>(x: T) -> T {
    let k = T::K;
    let a = min_c(x.abs(), k.tanh_sat);
    // u = expm1(2a): s = 2^(n-1), expm1 = 2·((s - ½) + s·r_hi + s·(r_lo + r²·E(r)))
    let a2 = a + a;
    let (n, rh, rl) = reduce(a2);
    let r = rh + rl;
    let c = (r * r).fma(poly(r, k.exp_e), rl);
    let s = T::pow2(n - T::c(1.0));
    let aa = s - T::c(0.5);
    let bb = s * rh;
    let h = aa + bb;
    let l = bb - (h - aa);
    let u = h + s.fma(c, l);
    let u = u + u;
    // t = u/(u+2), one Newton correction with the denominator's rounding error
    let d = u + T::c(2.0);
    let dl = u - (d - T::c(2.0));
    let rc = T::c(1.0) / d;
    let t0 = u * rc;
    let res = (-t0).fma(d, u);
    let res = (-t0).fma(dl, res);
    let t = T::with_sign_of(res.fma(rc, t0), x);
    // tiny (and ±0, subnormal) x: tanh x = x; NaN: a < .. is false, t is NaN
    if a < T::c(k.tiny) {
        x
    } else {
        t
    }
}

/// The interpreter's formula: `e = exp(-|x|)`, `(x >= 0 ? 1 : e)/(1 + e)`.
#[inline(always)]
fn sigmoid<T: Wf>(x: T) -> T {
    let e = exp(-x.abs());
    let num = if x >= T::c(0.0) { T::c(1.0) } else { e };
    num / (T::c(1.0) + e)
}

/// log(1+f) for f in about [√½-1, √2-1].
#[inline(always)]
fn log1p_kernel<T: Wf>(f: T) -> T {
    let s = f / (T::c(2.0) + f);
    let z = s * s;
    let r = z.fma(poly(z, T::K.log_r1), T::c(2.0 / 3.0));
    let w = z.fma(r, -f);
    s.fma(w, f)
}

/// math.rs's `softplus`: max(x, 0) + log1p(exp(-|x|)), log1p through the exact rounding error
/// of 1 + e and the log kernel.
#[inline(always)]
fn softplus<T: Wf>(x: T) -> T {
    let k = T::K;
    let e = exp(-x.abs());
    let u = T::c(1.0) + e;
    let c = e - (u - T::c(1.0));
    let (kf, m) = T::decompose(u);
    let kc = min_c(kf, k.kmax);
    let f = c.fma(T::pow2(-kc), m - T::c(1.0));
    let l = log1p_kernel(f);
    let l = kf.fma(T::c(k.ln2_hi), kf.fma(T::c(k.ln2_lo), l));
    let m = if x > T::c(0.0) { x } else { T::c(0.0) };
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
    use super::{available, exp, sigmoid, softplus, tanh};
    helpers! {
        theano_wide_exp_f64: f64 => exp::<f64>;
        theano_wide_tanh_f64: f64 => tanh::<f64>;
        theano_wide_sigmoid_f64: f64 => sigmoid::<f64>;
        theano_wide_exp_f32: f32 => exp::<f32>;
        theano_wide_tanh_f32: f32 => tanh::<f32>;
        theano_wide_sigmoid_f32: f32 => sigmoid::<f32>;
        theano_wide_softplus_f64: f64 => softplus::<f64>;
        theano_wide_softplus_f32: f32 => softplus::<f32>;
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
