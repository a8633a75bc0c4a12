//! Transcendentals in kernel IR: range reduction and fma polynomials.
//!
//! One generic implementation per function serves f32 and f64 (the polynomial degree and
//! the constants follow the precision). PTX has no f64 approximate instructions, so f64 is
//! polynomials throughout; f32 `exp` uses `ex2.approx.ftz.f32` on a reduced argument: x *
//! log2(e) is formed as a two-float product (hi + lo), its nearest integer k split off
//! exactly, `ex2.approx` applied to the small remainder only and the result scaled by 2^k
//! with exact multiplications (never `ex2(x * log2e)` on the whole argument, whose rounding
//! error grows with |x|). The polynomials are Taylor series of the reduced arguments,
//! truncated where the first omitted term is below half an ulp. The ulp bounds are in
//! docs/GPU.md and checked by tests/ulp.rs on the emulator.

use crate::ir::{BinOp, Builder, Cmp, Rnd, Ty, UnOp, Val};
use crate::scalar::MathOpts;
use theano_ir::special::{ERFINV_GILES_HI, ERFINV_GILES_LO, PSI_ROOT, PSI_ROOT_SERIES};

/// Float code in one precision: a builder and the type.
pub struct Fx<'a> {
    pub b: &'a mut Builder,
    pub t: Ty,
}

impl Fx<'_> {
    fn f64(&self) -> bool {
        self.t == Ty::F64
    }
    pub fn c(&mut self, v: f64) -> Val {
        self.b.f(self.t, v)
    }
    pub fn add(&mut self, a: Val, b: Val) -> Val {
        self.b.bin(BinOp::Add, self.t, a, b)
    }
    pub fn sub(&mut self, a: Val, b: Val) -> Val {
        self.b.bin(BinOp::Sub, self.t, a, b)
    }
    pub fn mul(&mut self, a: Val, b: Val) -> Val {
        self.b.bin(BinOp::Mul, self.t, a, b)
    }
    pub fn div(&mut self, a: Val, b: Val) -> Val {
        self.b.bin(BinOp::Div, self.t, a, b)
    }
    pub fn fma(&mut self, a: Val, b: Val, c: Val) -> Val {
        self.b.fma(self.t, a, b, c)
    }
    pub fn abs(&mut self, a: Val) -> Val {
        self.b.un(UnOp::Abs, self.t, a)
    }
    pub fn neg(&mut self, a: Val) -> Val {
        self.b.un(UnOp::Neg, self.t, a)
    }
    pub fn sel(&mut self, p: Val, a: Val, b: Val) -> Val {
        self.b.selp(self.t, p, a, b)
    }
    pub fn cmp(&mut self, c: Cmp, a: Val, b: Val) -> Val {
        self.b.setp(c, self.t, a, b)
    }
    /// `cmp(a, constant)`
    pub fn cmpc(&mut self, c: Cmp, a: Val, k: f64) -> Val {
        let k = self.c(k);
        self.cmp(c, a, k)
    }
    pub fn isnan(&mut self, a: Val) -> Val {
        self.cmp(Cmp::Nan, a, a)
    }
    pub fn or(&mut self, p: Val, q: Val) -> Val {
        self.b.bin(BinOp::Or, Ty::Pred, p, q)
    }
    pub fn and(&mut self, p: Val, q: Val) -> Val {
        self.b.bin(BinOp::And, Ty::Pred, p, q)
    }
    fn ity(&self) -> Ty {
        if self.f64() {
            Ty::U64
        } else {
            Ty::U32
        }
    }
    fn sign_mask(&self) -> i64 {
        if self.f64() {
            i64::MIN
        } else {
            0x8000_0000
        }
    }
    /// |mag| with the sign bit of `sign`.
    pub fn copysign(&mut self, mag: Val, sign: Val) -> Val {
        let it = self.ity();
        let m = self.b.bitcast(it, mag);
        let s = self.b.bitcast(it, sign);
        let sm = self.b.int(it, self.sign_mask());
        let nm = self.b.un(UnOp::Not, it, sm);
        let m = self.b.bin(BinOp::And, it, m, nm);
        let s = self.b.bin(BinOp::And, it, s, sm);
        let r = self.b.bin(BinOp::Or, it, m, s);
        self.b.bitcast(self.t, r)
    }
    /// Whether the sign bit of `a` is set.
    pub fn signbit(&mut self, a: Val) -> Val {
        let it = self.ity();
        let m = self.b.bitcast(it, a);
        let sm = self.b.int(it, self.sign_mask());
        let s = self.b.bin(BinOp::And, it, m, sm);
        let z = self.b.int(it, 0);
        self.b.setp(Cmp::Ne, it, s, z)
    }
    /// numpy's maximum: NaN in `a` or `b` propagates (`a` when `a` is NaN or `a >= b`).
    pub fn maximum(&mut self, a: Val, b: Val) -> Val {
        let ge = self.cmp(Cmp::Ge, a, b);
        let an = self.cmp(Cmp::Nan, a, a);
        let p = self.or(ge, an);
        self.sel(p, a, b)
    }
    pub fn minimum(&mut self, a: Val, b: Val) -> Val {
        let le = self.cmp(Cmp::Le, a, b);
        let an = self.cmp(Cmp::Nan, a, a);
        let p = self.or(le, an);
        self.sel(p, a, b)
    }
    /// Horner with fma: `c[0] + x * (c[1] + x * (...))`.
    fn horner(&mut self, x: Val, c: &[f64]) -> Val {
        let mut acc = self.c(c[c.len() - 1]);
        for k in c[..c.len() - 1].iter().rev() {
            let kk = self.c(*k);
            acc = self.fma(acc, x, kk);
        }
        acc
    }
    /// Round to the nearest integer, as a float and as an s32.
    fn rint(&mut self, x: Val) -> (Val, Val) {
        let k = self.b.cvt(self.t, self.t, Some(Rnd::Rni), x);
        let ki = self.b.cvt(Ty::S32, self.t, Some(Rnd::Rzi), k);
        (k, ki)
    }
    /// 2^k for an s32 k in the normal exponent range.
    fn pow2(&mut self, k: Val) -> Val {
        let (bias, shift) = if self.f64() { (1023, 52) } else { (127, 23) };
        let bias = self.b.int(Ty::S32, bias);
        let e = self.b.bin(BinOp::Add, Ty::S32, k, bias);
        let sh = self.b.int(Ty::U32, shift);
        if self.f64() {
            let e64 = self.b.cvt(Ty::S64, Ty::S32, None, e);
            let bits = self.b.bin(BinOp::Shl, Ty::B64, e64, sh);
            self.b.bitcast(Ty::F64, bits)
        } else {
            let bits = self.b.bin(BinOp::Shl, Ty::B32, e, sh);
            self.b.bitcast(Ty::F32, bits)
        }
    }
    /// x * 2^k for k within twice the normal exponent range, in two exact steps (one
    /// rounding at most, in the second, where the result may be subnormal).
    fn ldexp(&mut self, x: Val, k: Val) -> Val {
        let one = self.b.int(Ty::U32, 1);
        let k1 = self.b.bin(BinOp::Shr, Ty::S32, k, one);
        let k2 = self.b.bin(BinOp::Sub, Ty::S32, k, k1);
        let s1 = self.pow2(k1);
        let s2 = self.pow2(k2);
        let y = self.mul(x, s1);
        self.mul(y, s2)
    }
}

fn taylor_exp(n: usize) -> Vec<f64> {
    // 1/k! for k = 0..=n
    let mut c = vec![1.0f64];
    for k in 1..=n {
        let prev = c[k - 1];
        c.push(prev / k as f64);
    }
    c
}

const LN2_HI_64: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
const LN2_LO_64: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
const LN2_HI_32: f64 = 0.693_145_751_953_125; // 0x3F317180: 16 trailing zero bits
const LN2_LO_32: f64 = 1.428_606_765_330_187e-6;

fn ln2_split(f: &Fx) -> (f64, f64) {
    if f.f64() {
        (LN2_HI_64, LN2_LO_64)
    } else {
        (LN2_HI_32, LN2_LO_32)
    }
}

/// e^x.
pub fn exp(f: &mut Fx, x: Val, o: MathOpts) -> Val {
    if f.t == Ty::F32 {
        return exp_f32(f, x, o);
    }
    exp_scaled(f, x, 0)
}

/// 2^shift e^x (f64), the scaling folded into the exact ldexp, so e^x / 2 does not overflow
/// before e^x does.
fn exp_scaled(f: &mut Fx, x: Val, shift: i64) -> Val {
    let (lo, hi) = (-746.0, 710.0 - shift as f64 * std::f64::consts::LN_2 + 1.0);
    let lo = f.c(lo);
    let hi = f.c(hi);
    let xa = f.b.bin(BinOp::Max, f.t, x, lo);
    let xa = f.b.bin(BinOp::Min, f.t, xa, hi);
    let l2e = f.c(std::f64::consts::LOG2_E);
    let y = f.mul(xa, l2e);
    let (k, ki) = f.rint(y);
    let (h, l) = ln2_split(f);
    let (nh, nl) = (f.c(-h), f.c(-l));
    let r = f.fma(k, nh, xa);
    let r = f.fma(k, nl, r);
    let p = f.horner(r, &taylor_exp(13));
    let ki = if shift != 0 {
        let s = f.b.int(Ty::S32, shift);
        f.b.bin(BinOp::Add, Ty::S32, ki, s)
    } else {
        ki
    };
    let res = f.ldexp(p, ki);
    let nan = f.isnan(x);
    f.sel(nan, x, res)
}

/// 2^x: k = rint(x) and r = x - k (exact), 2^r by the Taylor series of e^(r ln 2) (f64) or
/// `ex2.approx.ftz.f32` of r alone (f32), scaled by 2^k exactly.
pub fn exp2(f: &mut Fx, x: Val) -> Val {
    let d = f.f64();
    let (lo, hi) = if d {
        (-1080.0, 1030.0)
    } else {
        (-160.0, 130.0)
    };
    let lo = f.c(lo);
    let hi = f.c(hi);
    let xa = f.b.bin(BinOp::Max, f.t, x, lo);
    let xa = f.b.bin(BinOp::Min, f.t, xa, hi);
    let (k, ki) = f.rint(xa);
    let r = f.sub(xa, k);
    let p = if d {
        // (ln 2)^n / n!
        let c: Vec<f64> = taylor_exp(15)
            .iter()
            .enumerate()
            .map(|(n, c)| c * std::f64::consts::LN_2.powi(n as i32))
            .collect();
        f.horner(r, &c)
    } else {
        // 2^0 exactly, so integer arguments give exact powers of 2 (and 2^128 overflows)
        // whatever the approximation's error at 0
        let a = f.b.un(UnOp::Ex2Approx, Ty::F32, r);
        let one = f.c(1.0);
        let r0 = f.cmpc(Cmp::Eq, r, 0.0);
        f.sel(r0, one, a)
    };
    let res = f.ldexp(p, ki);
    let nan = f.isnan(x);
    f.sel(nan, x, res)
}

/// log_b(x) = log(x) c for c = 1 / ln b (f64): log(x) as the double-double of `log_dd`, times
/// c as a double-double, rounded once (exact at powers of the base 2).
pub fn log_base(f: &mut Fx, x: Val, c: f64) -> Val {
    let (hi, lo) = log_dd(f, x);
    let (c1, c2) = split_const(c);
    let c1v = f.c(c1);
    let c2v = f.c(c2);
    let h = f.mul(hi, c1v);
    let nh = f.neg(h);
    let e = f.fma(hi, c1v, nh);
    let e = f.fma(hi, c2v, e);
    let e = f.fma(lo, c1v, e);
    let r = f.add(h, e);
    // specials (hi infinite or NaN): the plain product
    let ah = f.abs(hi);
    let fin = f.cmpc(Cmp::Lt, ah, f64::INFINITY);
    f.sel(fin, r, h)
}

/// `c` as hi + lo f64s, lo the correction to 1/ln(b) carried in extended precision.
fn split_const(c: f64) -> (f64, f64) {
    // LOG2_E and LOG10_E low parts (the exact constants minus their f64 roundings)
    if c == std::f64::consts::LOG2_E {
        (c, 2.035_527_374_093_103_3e-17)
    } else {
        (c, 1.098_319_650_216_765e-17)
    }
}

/// sinh (f64): with t = expm1(|x|), (2t - t^2 / (t + 1)) / 2 below 1, (t + t / (t + 1)) / 2
/// below 22, e^|x| / 2 beyond (scaled exactly); the sign of x.
pub fn sinh(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let t = expm1(f, a);
    let one = f.c(1.0);
    let half = f.c(0.5);
    let t1 = f.add(t, one);
    let q = f.div(t, t1);
    let tq = f.mul(t, q);
    let t2 = f.add(t, t);
    let small = f.sub(t2, tq);
    let mid = f.add(t, q);
    let lt1 = f.cmpc(Cmp::Lt, a, 1.0);
    let r = f.sel(lt1, small, mid);
    let r = f.mul(half, r);
    let big = exp_scaled(f, a, -1);
    let lt22 = f.cmpc(Cmp::Lt, a, 22.0);
    let r = f.sel(lt22, r, big);
    f.copysign(r, x)
}

/// cosh (f64): 1 + t^2 / (2 (1 + t)) with t = expm1(|x|) below ln2 / 2, e/2 + 1/(2e) with e =
/// e^|x| below 22, e^|x| / 2 beyond (scaled exactly).
pub fn cosh(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let one = f.c(1.0);
    let half = f.c(0.5);
    let t = expm1(f, a);
    let w = f.add(one, t);
    let w2 = f.add(w, w);
    let tt = f.mul(t, t);
    let q = f.div(tt, w2);
    let small = f.add(one, q);
    let e = exp_scaled(f, a, 0);
    let h = f.mul(half, e);
    let inv = f.div(half, e);
    let mid = f.add(h, inv);
    let big = exp_scaled(f, a, -1);
    let lt22 = f.cmpc(Cmp::Lt, a, 22.0);
    let r = f.sel(lt22, mid, big);
    let lt = f.cmpc(Cmp::Lt, a, std::f64::consts::LN_2 / 2.0);
    f.sel(lt, small, r)
}

fn exp_f32(f: &mut Fx, x: Val, o: MathOpts) -> Val {
    let l2e = std::f64::consts::LOG2_E;
    if o.fast_math {
        let c = f.c(l2e);
        let y = f.mul(x, c);
        return f.b.un(UnOp::Ex2Approx, Ty::F32, y);
    }
    let lo = f.c(-104.0);
    let hi = f.c(89.0);
    let xa = f.b.bin(BinOp::Max, f.t, x, lo);
    let xa = f.b.bin(BinOp::Min, f.t, xa, hi);
    // y = x * log2(e) as hi + lo
    let lh = l2e as f32 as f64;
    let ll = l2e - lh;
    let lhv = f.c(lh);
    let llv = f.c(ll);
    let yh = f.mul(xa, lhv);
    let nyh = f.neg(yh);
    let e = f.fma(xa, lhv, nyh);
    let yl = f.fma(xa, llv, e);
    let (k, ki) = f.rint(yh);
    let d = f.sub(yh, k);
    let r = f.add(d, yl);
    let p = f.b.un(UnOp::Ex2Approx, Ty::F32, r);
    let res = f.ldexp(p, ki);
    let nan = f.isnan(x);
    f.sel(nan, x, res)
}

/// Pieces of log(x) for finite x > 0 (subnormals included): x = 2^e * (1 + f) with
/// 1 + f in [sqrt(1/2), sqrt(2)), s = f / (2 + f), R the atanh series tail.
struct LogParts {
    e: Val,
    f: Val,
    s: Val,
    r: Val,
}

fn log_parts(f: &mut Fx, x: Val) -> LogParts {
    let d = f.f64();
    let (min_norm, scale, sbits, bias, one_bits, shift) = if d {
        (
            f64::MIN_POSITIVE,
            54,
            0x000F_FFFF_FFFF_FFFFi64,
            1023,
            0x3FF0_0000_0000_0000i64,
            52,
        )
    } else {
        (
            f32::MIN_POSITIVE as f64,
            25,
            0x007F_FFFFi64,
            127,
            0x3F80_0000i64,
            23,
        )
    };
    let it = f.ity();
    let sub = f.cmpc(Cmp::Lt, x, min_norm);
    let sc = f.c((2f64).powi(scale));
    let xs = f.mul(x, sc);
    let xs = f.sel(sub, xs, x);
    let eadj_s = f.b.int(Ty::S32, -(scale as i64));
    let z = f.b.int(Ty::S32, 0);
    let eadj = f.b.selp(Ty::S32, sub, eadj_s, z);
    let bits = f.b.bitcast(it, xs);
    let sh = f.b.int(Ty::U32, shift);
    let eb = f.b.bin(BinOp::Shr, it, bits, sh);
    let eb = if d {
        f.b.cvt(Ty::S32, Ty::U64, None, eb)
    } else {
        let v = f.b.var(Ty::S32);
        f.b.push(crate::ir::Inst::Mov { dst: v, src: eb });
        v
    };
    let biasv = f.b.int(Ty::S32, bias);
    let e = f.b.bin(BinOp::Sub, Ty::S32, eb, biasv);
    let e = f.b.bin(BinOp::Add, Ty::S32, e, eadj);
    let mm = f.b.int(it, sbits);
    let ob = f.b.int(it, one_bits);
    let mb = f.b.bin(BinOp::And, it, bits, mm);
    let mb = f.b.bin(BinOp::Or, it, mb, ob);
    let m = f.b.bitcast(f.t, mb);
    let big = f.cmpc(Cmp::Gt, m, std::f64::consts::SQRT_2);
    let half = f.c(0.5);
    let mh = f.mul(m, half);
    let m = f.sel(big, mh, m);
    let one = f.b.int(Ty::S32, 1);
    let e1 = f.b.bin(BinOp::Add, Ty::S32, e, one);
    let e = f.b.selp(Ty::S32, big, e1, e);
    let onef = f.c(1.0);
    let fr = f.sub(m, onef);
    let two = f.c(2.0);
    let den = f.add(two, fr);
    let s = f.div(fr, den);
    let zz = f.mul(s, s);
    // R = sum_{n>=1} 2 z^n / (2n + 1)
    let n = if d { 10 } else { 5 };
    let mut c = vec![0.0];
    for k in 1..=n {
        c.push(2.0 / (2 * k + 1) as f64);
    }
    let r = f.horner(zz, &c);
    let ef = f.b.cvt(f.t, Ty::S32, Some(Rnd::Rn), e);
    LogParts { e: ef, f: fr, s, r }
}

/// Natural log with IEEE specials (negative: NaN, 0: -inf, inf: inf, NaN: NaN).
pub fn log(f: &mut Fx, x: Val, o: MathOpts) -> Val {
    if f.t == Ty::F32 && o.fast_math {
        let l = f.b.un(UnOp::Lg2Approx, Ty::F32, x);
        let c = f.c(std::f64::consts::LN_2);
        return f.mul(l, c);
    }
    let p = log_parts(f, x);
    let (h, l) = ln2_split(f);
    let half = f.c(0.5);
    let ff = f.mul(p.f, p.f);
    let hfsq = f.mul(half, ff);
    let t = f.add(hfsq, p.r);
    let lv = f.c(l);
    let el = f.mul(p.e, lv);
    let st = f.fma(p.s, t, el);
    let u = f.sub(hfsq, st);
    let w = f.sub(p.f, u);
    let hv = f.c(h);
    let res = f.fma(p.e, hv, w);
    log_specials(f, x, res)
}

fn log_specials(f: &mut Fx, x: Val, res: Val) -> Val {
    let inf = f.c(f64::INFINITY);
    let ninf = f.c(f64::NEG_INFINITY);
    let nan = f.c(f64::NAN);
    let is_inf = f.cmp(Cmp::Eq, x, inf);
    let res = f.sel(is_inf, inf, res);
    let is_zero = f.cmpc(Cmp::Eq, x, 0.0);
    let res = f.sel(is_zero, ninf, res);
    let neg = f.cmpc(Cmp::Lt, x, 0.0);
    let res = f.sel(neg, nan, res);
    let xn = f.isnan(x);
    f.sel(xn, x, res)
}

/// log(1 + x): log(u) for u = 1 + x, corrected by (x - (u - 1)) / u.
pub fn log1p(f: &mut Fx, x: Val) -> Val {
    let one = f.c(1.0);
    let u = f.add(one, x);
    let lu = log(f, u, MathOpts::default());
    let um1 = f.sub(u, one);
    let d = f.sub(x, um1);
    let c = f.div(d, u);
    let r = f.add(lu, c);
    let u1 = f.cmp(Cmp::Eq, u, one);
    let r = f.sel(u1, x, r);
    let inf = f.c(f64::INFINITY);
    let xi = f.cmp(Cmp::Eq, x, inf);
    let r = f.sel(xi, inf, r);
    let u0 = f.cmpc(Cmp::Eq, u, 0.0);
    let ninf = f.c(f64::NEG_INFINITY);
    let r = f.sel(u0, ninf, r);
    let lt = f.cmpc(Cmp::Lt, u, 0.0);
    let nan = f.c(f64::NAN);
    let r = f.sel(lt, nan, r);
    let xn = f.isnan(x);
    f.sel(xn, x, r)
}

/// e^x - 1: x = k ln2 + r, expm1(x) = 2^k (expm1(r) + 1 - 2^-k).
pub fn expm1(f: &mut Fx, x: Val) -> Val {
    let d = f.f64();
    let (lo, hi) = if d { (-60.0, 710.0) } else { (-30.0, 89.0) };
    let lov = f.c(lo);
    let hiv = f.c(hi);
    let xa = f.b.bin(BinOp::Max, f.t, x, lov);
    let xa = f.b.bin(BinOp::Min, f.t, xa, hiv);
    let il2 = f.c(std::f64::consts::LOG2_E);
    let y = f.mul(xa, il2);
    let (k, _) = f.rint(y);
    let small = {
        let ax = f.abs(x);
        f.cmpc(Cmp::Lt, ax, std::f64::consts::LN_2 / 2.0)
    };
    let zero = f.c(0.0);
    let k = f.sel(small, zero, k);
    let ki = f.b.cvt(Ty::S32, f.t, Some(Rnd::Rzi), k);
    let (h, l) = ln2_split(f);
    let (nh, nl) = (f.c(-h), f.c(-l));
    let r = f.fma(k, nh, xa);
    let r = f.fma(k, nl, r);
    // p = r + r^2 * sum_{n>=0} r^n / (n+2)!
    let n = if d { 12 } else { 7 };
    let c: Vec<f64> = taylor_exp(n + 2)[2..].to_vec();
    let q = f.horner(r, &c);
    let r2 = f.mul(r, r);
    let p = f.fma(r2, q, r);
    // t = 1 - 2^-k, with -k clamped where 2^-k no longer matters
    let nk = f.b.un(UnOp::Neg, Ty::S32, ki);
    let floor = f.b.int(Ty::S32, if d { -1000 } else { -100 });
    let nk = f.b.bin(BinOp::Max, Ty::S32, nk, floor);
    let p2 = f.pow2(nk);
    let one = f.c(1.0);
    let t = f.sub(one, p2);
    let yv = f.add(p, t);
    let res = f.ldexp(yv, ki);
    let xn = f.isnan(x);
    f.sel(xn, x, res)
}

/// tanh(x) = sign(x) * e / (e + 2), e = expm1(2|x|); 1 beyond the point where it rounds to 1.
pub fn tanh(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let a2 = f.add(a, a);
    let e = expm1(f, a2);
    let two = f.c(2.0);
    let den = f.add(e, two);
    let t = f.div(e, den);
    let big = f.cmpc(Cmp::Gt, a, if f.f64() { 22.0 } else { 9.5 });
    let one = f.c(1.0);
    let t = f.sel(big, one, t);
    f.copysign(t, x)
}

/// The interpreter's formula: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) otherwise.
pub fn sigmoid(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let na = f.neg(a);
    let e = exp(f, na, MathOpts::default());
    let one = f.c(1.0);
    let d = f.add(one, e);
    let pos = f.div(one, d);
    let neg = f.div(e, d);
    let ge = f.cmpc(Cmp::Ge, x, 0.0);
    f.sel(ge, pos, neg)
}

/// The interpreter's formula: log1p(e^-|x|) + max(x, 0).
pub fn softplus(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let na = f.neg(a);
    let e = exp(f, na, MathOpts::default());
    let l = log1p(f, e);
    let z = f.c(0.0);
    let m = f.b.bin(BinOp::Max, f.t, x, z);
    f.add(l, m)
}

/// log(x) as hi + lo for pow, f64 only, about 2^-70 absolute: with 1 + f the reduced
/// mantissa, s = f / (2 + f) as a double-double (2 + f split exactly, the division's residual
/// by fma), log(1 + f) = 2s + (2/3)s^3 + s^5 P(s^2), the first two terms in double-double,
/// summed with e ln2 (hi/lo) by exact two-sums.
fn log_dd(f: &mut Fx, x: Val) -> (Val, Val) {
    let p = log_parts(f, x);
    let (h, l) = ln2_split(f);
    let two = f.c(2.0);
    let dh = f.add(two, p.f);
    let dd = f.sub(dh, two);
    let dl = f.sub(p.f, dd);
    let sh = f.div(p.f, dh);
    let nsh = f.neg(sh);
    let e1 = f.fma(nsh, dh, p.f);
    let e1 = f.fma(nsh, dl, e1);
    let sl = f.div(e1, dh);
    // s^2 and s^3 in double-double
    let zh = f.mul(sh, sh);
    let nzh = f.neg(zh);
    let ze = f.fma(sh, sh, nzh);
    let ssl = f.add(sh, sh);
    let ze = f.fma(ssl, sl, ze);
    let ch = f.mul(zh, sh);
    let nch = f.neg(ch);
    let ce = f.fma(zh, sh, nch);
    let ce = f.fma(ze, sh, ce);
    // (2/3) s^3
    let tw_hi = 2.0f64 / 3.0;
    // the residual 2 - 3 tw_hi by fma (exact), not by a rounded product
    let tw_lo = (-tw_hi).mul_add(3.0, 2.0) / 3.0;
    let twh = f.c(tw_hi);
    let twl = f.c(tw_lo);
    let th = f.mul(ch, twh);
    let nth = f.neg(th);
    let te = f.fma(ch, twh, nth);
    let te = f.fma(ch, twl, te);
    let te = f.fma(ce, twh, te);
    // s^5 P(z): 2/5 + 2/7 z + ...
    let coef: Vec<f64> = (2..12).map(|k| 2.0 / (2 * k + 1) as f64).collect();
    let pz = f.horner(zh, &coef);
    let s5 = f.mul(ch, zh);
    let tail = f.mul(s5, pz);
    // e ln2 + 2s + (2/3)s^3 + tail
    let hv = f.c(h);
    let a = f.mul(p.e, hv); // exact
    let s2h = f.add(sh, sh);
    let (a1, b1) = two_sum(f, a, s2h);
    let (a2, b2) = two_sum(f, a1, th);
    let lv = f.c(l);
    let el = f.mul(p.e, lv);
    let s2l = f.add(sl, sl);
    let lo = f.add(b1, b2);
    let lo = f.add(lo, s2l);
    let lo = f.add(lo, te);
    let lo = f.add(lo, tail);
    let lo = f.add(lo, el);
    let hi = f.add(a2, lo);
    let hd = f.sub(hi, a2);
    let lo = f.sub(lo, hd);
    // specials: hi as log's, lo zero
    let hi = log_specials(f, x, hi);
    let fin = {
        let ah = f.abs(hi);
        f.cmpc(Cmp::Lt, ah, f64::INFINITY)
    };
    let z = f.c(0.0);
    let lo = f.sel(fin, lo, z);
    (hi, lo)
}

fn two_sum(f: &mut Fx, a: Val, b: Val) -> (Val, Val) {
    let s = f.add(a, b);
    let bb = f.sub(s, a);
    let ab = f.sub(s, bb);
    let db = f.sub(b, bb);
    let da = f.sub(a, ab);
    let e = f.add(da, db);
    (s, e)
}

/// C's pow (numpy's `power` for floats). f64: exp(y * log|x|) with log|x| and the product
/// in double-double; f32: the same in f64, rounded once.
pub fn pow(f: &mut Fx, x: Val, y: Val) -> Val {
    if f.t == Ty::F32 {
        let xd = f.b.cvt(Ty::F64, Ty::F32, None, x);
        let yd = f.b.cvt(Ty::F64, Ty::F32, None, y);
        let mut g = Fx { b: f.b, t: Ty::F64 };
        let r = pow(&mut g, xd, yd);
        return f.b.cvt(Ty::F32, Ty::F64, Some(Rnd::Rn), r);
    }
    let ax = f.abs(x);
    let (lh, ll) = log_dd(f, ax);
    let zh = f.mul(y, lh);
    let nzh = f.neg(zh);
    let ze = f.fma(y, lh, nzh);
    let zl = f.fma(y, ll, ze);
    let azh = f.abs(zh);
    let ok = f.cmpc(Cmp::Lt, azh, 800.0);
    let z0 = f.c(0.0);
    let zl = f.sel(ok, zl, z0);
    let r = exp(f, zh, MathOpts::default());
    let rc = f.fma(r, zl, r);
    let rfin = f.cmpc(Cmp::Lt, r, f64::INFINITY);
    let ok = f.and(ok, rfin);
    let r = f.sel(ok, rc, r);
    // sign and special cases
    let yt = f.b.cvt(f.t, f.t, Some(Rnd::Rzi), y);
    let yint = f.cmp(Cmp::Eq, yt, y);
    let half = f.c(0.5);
    let yh = f.mul(y, half);
    let yht = f.b.cvt(f.t, f.t, Some(Rnd::Rzi), yh);
    let hodd = f.cmp(Cmp::Ne, yht, yh);
    let ay = f.abs(y);
    let small = f.cmpc(Cmp::Lt, ay, 9007199254740992.0);
    let yodd = f.and(yint, hodd);
    let yodd = f.and(yodd, small);
    let sx = f.signbit(x);
    let flip = f.and(sx, yodd);
    let nr = f.neg(r);
    let r = f.sel(flip, nr, r);
    let xneg = f.cmpc(Cmp::Lt, x, 0.0);
    let xfin = f.cmpc(Cmp::Lt, ax, f64::INFINITY);
    let nonint = f.b.un(UnOp::Not, Ty::Pred, yint);
    let bad = f.and(xneg, xfin);
    let bad = f.and(bad, nonint);
    let nan = f.c(f64::NAN);
    let r = f.sel(bad, nan, r);
    let one = f.c(1.0);
    let x1 = f.cmpc(Cmp::Eq, x, 1.0);
    let r = f.sel(x1, one, r);
    let xm1 = f.cmpc(Cmp::Eq, x, -1.0);
    let yinf = f.cmpc(Cmp::Eq, ay, f64::INFINITY);
    let m1inf = f.and(xm1, yinf);
    let r = f.sel(m1inf, one, r);
    let y0 = f.cmpc(Cmp::Eq, y, 0.0);
    f.sel(y0, one, r)
}

/// C's fmod, exact: with x = mx 2^ex and y = my 2^ey (integer mantissas below 2^53),
/// r = mx mod my, then r = (r << k) mod my for the exponent difference, at most 11 bits a
/// step (so r << k fits 64 bits); the result r 2^ey is exact. f32 runs in f64 (exactly).
fn fmod(f: &mut Fx, x: Val, y: Val) -> Val {
    if f.t == Ty::F32 {
        let xd = f.b.cvt(Ty::F64, Ty::F32, None, x);
        let yd = f.b.cvt(Ty::F64, Ty::F32, None, y);
        let mut g = Fx { b: f.b, t: Ty::F64 };
        let r = fmod(&mut g, xd, yd);
        return f.b.cvt(Ty::F32, Ty::F64, Some(Rnd::Rn), r);
    }
    let (mx, ex) = mant_exp(f, x);
    let (my, ey) = mant_exp(f, y);
    let u = Ty::U64;
    let zero = f.b.int(u, 0);
    let one = f.b.int(u, 1);
    let my0 = f.b.setp(Cmp::Eq, u, my, zero);
    let myd = f.b.selp(u, my0, one, my);
    let r = f.b.var(u);
    let r0 = f.b.bin(BinOp::Rem, u, mx, myd);
    f.b.mov(r, r0);
    let d = f.b.var(Ty::S32);
    let d0 = f.b.bin(BinOp::Sub, Ty::S32, ex, ey);
    f.b.mov(d, d0);
    let (top, end) = (f.b.label(), f.b.label());
    f.b.place(top);
    let z32 = f.b.int(Ty::S32, 0);
    let done = f.b.setp(Cmp::Le, Ty::S32, d, z32);
    f.b.bra_if(done, true, end);
    let eleven = f.b.int(Ty::S32, 11);
    let k = f.b.bin(BinOp::Min, Ty::S32, d, eleven);
    let ku = f.b.var(Ty::U32);
    f.b.mov(ku, k);
    let sh = f.b.bin(BinOp::Shl, Ty::B64, r, ku);
    let r1 = f.b.bin(BinOp::Rem, u, sh, myd);
    f.b.mov(r, r1);
    let d1 = f.b.bin(BinOp::Sub, Ty::S32, d, k);
    f.b.mov(d, d1);
    f.b.bra(top);
    f.b.place(end);
    let rf = f.b.cvt(Ty::F64, u, Some(Rnd::Rn), r);
    let mag = f.ldexp(rf, ey);
    let res = f.copysign(mag, x);
    // |x| < |y| (also where ex < ey): x itself
    let ax = f.abs(x);
    let ay = f.abs(y);
    let lt = f.cmp(Cmp::Lt, ax, ay);
    let res = f.sel(lt, x, res);
    // fmod(x, +-inf) = x for finite x (covered above); NaN for y = 0, x = +-inf, NaN
    let nan = f.c(f64::NAN);
    let y0 = f.cmpc(Cmp::Eq, y, 0.0);
    let xinf = f.cmpc(Cmp::Eq, ax, f64::INFINITY);
    let bad = f.or(y0, xinf);
    let res = f.sel(bad, nan, res);
    let xn = f.isnan(x);
    let yn = f.isnan(y);
    let n = f.or(xn, yn);
    let xy = f.add(x, y);
    f.sel(n, xy, res)
}

/// A finite f64 as an integer mantissa (below 2^53) and an exponent: x = m 2^e (sign
/// dropped; subnormals have no implicit bit and e = -1074).
fn mant_exp(f: &mut Fx, x: Val) -> (Val, Val) {
    let u = Ty::U64;
    let bits = f.b.bitcast(u, x);
    let fm = f.b.int(u, 0x000F_FFFF_FFFF_FFFF);
    let frac = f.b.bin(BinOp::And, u, bits, fm);
    let sh = f.b.int(Ty::U32, 52);
    let eb = f.b.bin(BinOp::Shr, u, bits, sh);
    let em = f.b.int(u, 0x7FF);
    let eb = f.b.bin(BinOp::And, u, eb, em);
    let eb = f.b.cvt(Ty::S32, u, None, eb);
    let z = f.b.int(Ty::S32, 0);
    let sub = f.b.setp(Cmp::Eq, Ty::S32, eb, z);
    let imp = f.b.int(u, 1 << 52);
    let m = f.b.bin(BinOp::Or, u, frac, imp);
    let m = f.b.selp(u, sub, frac, m);
    let bias = f.b.int(Ty::S32, 1075);
    let e = f.b.bin(BinOp::Sub, Ty::S32, eb, bias);
    let emin = f.b.int(Ty::S32, -1074);
    let e = f.b.selp(Ty::S32, sub, emin, e);
    (m, e)
}

/// numpy's float remainder (the sign of the divisor).
pub fn float_mod(f: &mut Fx, x: Val, y: Val) -> Val {
    let m = fmod(f, x, y);
    let yz = f.cmpc(Cmp::Eq, y, 0.0);
    let mz = f.cmpc(Cmp::Eq, m, 0.0);
    let yneg = f.cmpc(Cmp::Lt, y, 0.0);
    let mneg = f.cmpc(Cmp::Lt, m, 0.0);
    let diff = f.b.bin(BinOp::Xor, Ty::Pred, yneg, mneg);
    let mpy = f.add(m, y);
    let r = f.sel(diff, mpy, m);
    let z = f.c(0.0);
    let zs = f.copysign(z, y);
    let r = f.sel(mz, zs, r);
    f.sel(yz, m, r)
}

/// numpy's float floor division (npy_divmod).
pub fn float_floordiv(f: &mut Fx, x: Val, y: Val) -> Val {
    let m = fmod(f, x, y);
    let xm = f.sub(x, m);
    let div = f.div(xm, y);
    let mnz = f.cmpc(Cmp::Ne, m, 0.0);
    let yneg = f.cmpc(Cmp::Lt, y, 0.0);
    let mneg = f.cmpc(Cmp::Lt, m, 0.0);
    let diff = f.b.bin(BinOp::Xor, Ty::Pred, yneg, mneg);
    let adj = f.and(mnz, diff);
    let one = f.c(1.0);
    let d1 = f.sub(div, one);
    let div = f.sel(adj, d1, div);
    let fd = f.b.cvt(f.t, f.t, Some(Rnd::Rmi), div);
    let dd = f.sub(div, fd);
    let gt = f.cmpc(Cmp::Gt, dd, 0.5);
    let fd1 = f.add(fd, one);
    let fd = f.sel(gt, fd1, fd);
    let dz = f.cmpc(Cmp::Eq, div, 0.0);
    let q = f.div(x, y);
    let z = f.c(0.0);
    let zq = f.copysign(z, q);
    let r = f.sel(dz, zq, fd);
    let yz = f.cmpc(Cmp::Eq, y, 0.0);
    f.sel(yz, q, r)
}

/// Theano's ultra_fast_sigmoid, as the interpreter computes it (f64): with h = x / 2 and
/// a = |h|, t = 1.5 a / (1 + a) below 1.7, 0.9354... + 0.04588... (a - 1.7) below 3, else
/// 0.99505...; sign of h; 0.5 (t + 1). NaN stays NaN.
pub fn ultra_fast_sigmoid(f: &mut Fx, x: Val) -> Val {
    let half = f.c(0.5);
    let h = f.mul(half, x);
    let a = f.abs(h);
    let one = f.c(1.0);
    let c15 = f.c(1.5);
    let num = f.mul(c15, a);
    let den = f.add(one, a);
    let t1 = f.div(num, den);
    let c17 = f.c(1.7);
    let d = f.sub(a, c17);
    let k1 = f.c(0.045_881_294_679_716_5);
    let k0 = f.c(0.935_409_070_603_099);
    let m = f.mul(k1, d);
    let t2 = f.add(k0, m);
    let t3 = f.c(0.995_054_753_686_73);
    let lt3 = f.cmpc(Cmp::Lt, a, 3.0);
    let t = f.sel(lt3, t2, t3);
    let lt17 = f.cmpc(Cmp::Lt, a, 1.7);
    let t = f.sel(lt17, t1, t);
    let nt = f.neg(t);
    let ge = f.cmpc(Cmp::Ge, h, 0.0);
    let t = f.sel(ge, t, nt);
    let hn = f.isnan(h);
    let t = f.sel(hn, h, t);
    let s = f.add(t, one);
    f.mul(half, s)
}

/// The bits of 2/pi after the binary point, behind 64 zero bits, in 32-bit words (most
/// significant first): enough for the reduction of every finite f64.
const TWO_OVER_PI: [u32; 41] = [
    0x00000000, 0x00000000, 0xA2F9836E, 0x4E441529, 0xFC2757D1, 0xF534DDC0, 0xDB629599, 0x3C439041,
    0xFE5163AB, 0xDEBBC561, 0xB7246E3A, 0x424DD2E0, 0x06492EEA, 0x09D1921C, 0xFE1DEB1C, 0xB129A73E,
    0xE88235F5, 0x2EBB4484, 0xE99C7026, 0xB45F7E41, 0x3991D639, 0x835339F4, 0x9C845F8B, 0xBDF9283B,
    0x1FF897FF, 0xDE05980F, 0xEF2F118B, 0x5A0A6D1F, 0x6D367ECF, 0x27CB09B7, 0x4F463F66, 0x9E5FEA2D,
    0x7527BAC7, 0xEBE5F17B, 0x3D0739F7, 0x8A5292EA, 0x6BFB5FB1, 0x1F8D5D08, 0x56033046, 0xFC7B6BAB,
    0xF0CFBC20,
];
/// pi/2 in three f64 parts (each the rounding of what the previous ones leave).
const PIO2_1: f64 = std::f64::consts::FRAC_PI_2;
const PIO2_2: f64 = 6.123_233_995_736_766e-17;
const PIO2_3: f64 = -1.497_384_904_859_169_8e-33;
/// Below this |x| the reduction is Cody-Waite's (|k| < 2^20).
const CODY_WAITE_MAX: f64 = 1_048_576.0;

/// x = q pi/2 + (hi + lo), |hi + lo| <= pi/4 (slightly more where rint of x 2/pi rounds
/// the other way), q in 0..4 (an s32), f64. Below 2^20: Cody-Waite with pi/2 in three parts,
/// x - k P1 exact by one fma, k P2 as an exact product, summed by two-sums (about 2^-100
/// relative). Beyond (finite x): Payne-Hanek, x 2/pi mod 4 from 192 bits of 2/pi chosen by
/// the exponent (the table words selected by `selp`), the product with the 53-bit mantissa
/// in 32-bit limbs (`mul.wide.u32`), the fraction's top 128 bits as a double-double times
/// pi/2. Infinities and NaN give some q and r; the callers select NaN for them.
fn reduce_pio2(f: &mut Fx, x: Val) -> (Val, Val, Val) {
    let rh = f.b.var(Ty::F64);
    let rl = f.b.var(Ty::F64);
    let q = f.b.var(Ty::S32);
    let ax = f.abs(x);
    let big = f.cmpc(Cmp::Ge, ax, CODY_WAITE_MAX);
    let fin = f.cmpc(Cmp::Lt, ax, f64::INFINITY);
    let ph = f.and(big, fin);
    let (l_ph, l_end) = (f.b.label(), f.b.label());
    f.b.bra_if(ph, true, l_ph);
    {
        // Cody-Waite
        let c = f.c(std::f64::consts::FRAC_2_PI);
        let y = f.mul(x, c);
        let (k, ki) = f.rint(y);
        let nk = f.neg(k);
        let p1 = f.c(PIO2_1);
        let t = f.fma(nk, p1, x);
        let p2 = f.c(PIO2_2);
        let w = f.mul(k, p2);
        let nw = f.neg(w);
        let wl = f.fma(k, p2, nw);
        let (h, e) = two_sum(f, t, nw);
        let p3 = f.c(PIO2_3);
        let k3 = f.mul(k, p3);
        let l = f.sub(e, wl);
        let l = f.sub(l, k3);
        let (h, l) = fast_two_sum(f, h, l);
        f.b.mov(rh, h);
        f.b.mov(rl, l);
        let three = f.b.int(Ty::S32, 3);
        let qq = f.b.bin(BinOp::And, Ty::S32, ki, three);
        f.b.mov(q, qq);
        f.b.bra(l_end);
    }
    f.b.place(l_ph);
    {
        let (h, l, qq) = payne_hanek(f, ax);
        let xn = f.cmpc(Cmp::Lt, x, 0.0);
        let nh = f.neg(h);
        let nl = f.neg(l);
        let h = f.sel(xn, nh, h);
        let l = f.sel(xn, nl, l);
        let z = f.b.int(Ty::S32, 0);
        let nq = f.b.bin(BinOp::Sub, Ty::S32, z, qq);
        let three = f.b.int(Ty::S32, 3);
        let nq = f.b.bin(BinOp::And, Ty::S32, nq, three);
        let qq = f.b.selp(Ty::S32, xn, nq, qq);
        f.b.mov(rh, h);
        f.b.mov(rl, l);
        f.b.mov(q, qq);
    }
    f.b.place(l_end);
    (rh, rl, q)
}

fn fast_two_sum(f: &mut Fx, a: Val, b: Val) -> (Val, Val) {
    let s = f.add(a, b);
    let d = f.sub(s, a);
    let e = f.sub(b, d);
    (s, e)
}

/// Payne-Hanek for a finite x >= 2^20 (f64): (hi, lo, q) with x = q pi/2 + hi + lo.
fn payne_hanek(f: &mut Fx, x: Val) -> (Val, Val, Val) {
    let u = Ty::U64;
    let bits = f.b.bitcast(u, x);
    let sh52 = f.b.int(Ty::U32, 52);
    let eb = f.b.bin(BinOp::Shr, u, bits, sh52);
    let eb = f.b.cvt(Ty::S32, u, None, eb);
    let fm = f.b.int(u, 0x000F_FFFF_FFFF_FFFF);
    let m = f.b.bin(BinOp::And, u, bits, fm);
    let imp = f.b.int(u, 1 << 52);
    let m = f.b.bin(BinOp::Or, u, m, imp);
    // x = m 2^s, s = eb - 1075; the window starts at stream bit j0 = s - 2 + 64
    let off = f.b.int(Ty::S32, 64 - 2 - 1075);
    let j0 = f.b.bin(BinOp::Add, Ty::S32, eb, off);
    let five = f.b.int(Ty::U32, 5);
    let wi = f.b.bin(BinOp::Shr, Ty::S32, j0, five);
    let m31 = f.b.int(Ty::S32, 31);
    let bsh = f.b.bin(BinOp::And, Ty::S32, j0, m31);
    // the seven words from wi
    let mut sel: Vec<Val> = (0..7).map(|_| f.b.int(u, 0)).collect();
    for i in 0..TWO_OVER_PI.len() - 6 {
        let iv = f.b.int(Ty::S32, i as i64);
        let p = f.b.setp(Cmp::Eq, Ty::S32, wi, iv);
        for (k, s) in sel.iter_mut().enumerate() {
            let c = f.b.int(u, TWO_OVER_PI[i + k] as i64);
            *s = f.b.selp(u, p, c, *s);
        }
    }
    // W_k = 32 bits of the window
    let c32 = f.b.int(Ty::S32, 32);
    let rs = f.b.bin(BinOp::Sub, Ty::S32, c32, bsh);
    let rs = f.b.cvt(Ty::U32, Ty::S32, None, rs);
    let sh32 = f.b.int(Ty::U32, 32);
    let mask = f.b.int(u, 0xFFFF_FFFF);
    let mut w32 = Vec::new();
    for k in 0..6 {
        let a = f.b.bin(BinOp::Shl, Ty::B64, sel[k], sh32);
        let a = f.b.bin(BinOp::Or, u, a, sel[k + 1]);
        let a = f.b.bin(BinOp::Shr, u, a, rs);
        let a = f.b.bin(BinOp::And, u, a, mask);
        w32.push(f.b.cvt(Ty::U32, u, None, a));
    }
    let ml = f.b.bin(BinOp::And, u, m, mask);
    let ml = f.b.cvt(Ty::U32, u, None, ml);
    let mh = f.b.bin(BinOp::Shr, u, m, sh32);
    let mh = f.b.cvt(Ty::U32, u, None, mh);
    // column sums of m W mod 2^192 (limb 0 most significant)
    let mut col: Vec<Val> = (0..6).map(|_| f.b.int(u, 0)).collect();
    let acc = |f: &mut Fx, col: &mut Vec<Val>, k: i32, v: Val| {
        if k >= 0 {
            col[k as usize] = f.b.bin(BinOp::Add, u, col[k as usize], v);
        }
    };
    for (k, wk) in w32.iter().enumerate() {
        let k = k as i32;
        for (mm, d) in [(ml, 0), (mh, 1)] {
            let p = f.b.bin(BinOp::MulWide, Ty::U32, *wk, mm);
            let lo = f.b.bin(BinOp::And, u, p, mask);
            let hi = f.b.bin(BinOp::Shr, u, p, sh32);
            acc(f, &mut col, k - d, lo);
            acc(f, &mut col, k - d - 1, hi);
        }
    }
    let mut r = [col[0]; 6];
    let mut carry = f.b.int(u, 0);
    for k in (0..6).rev() {
        let v = f.b.bin(BinOp::Add, u, col[k], carry);
        r[k] = f.b.bin(BinOp::And, u, v, mask);
        carry = f.b.bin(BinOp::Shr, u, v, sh32);
    }
    // y = R / 2^190 in [0, 4): q = top 2 bits, the fraction's next 128 bits (signed: a
    // fraction of 1/2 or more counts from the next quadrant)
    let two = f.b.int(Ty::U32, 2);
    let thirty = f.b.int(Ty::U32, 30);
    let cat = |f: &mut Fx, a: Val, b: Val, c: Val| {
        let x = f.b.bin(BinOp::Shl, Ty::B64, a, sh32);
        let x = f.b.bin(BinOp::Or, u, x, b);
        let x = f.b.bin(BinOp::Shl, Ty::B64, x, two);
        let y = f.b.bin(BinOp::Shr, u, c, thirty);
        f.b.bin(BinOp::Or, u, x, y)
    };
    let top = cat(f, r[0], r[1], r[2]);
    let next = cat(f, r[2], r[3], r[4]);
    let q0 = f.b.bin(BinOp::Shr, u, r[0], thirty);
    let sh63 = f.b.int(Ty::U32, 63);
    let sgn = f.b.bin(BinOp::Shr, u, top, sh63);
    let q = f.b.bin(BinOp::Add, u, q0, sgn);
    let three = f.b.int(u, 3);
    let q = f.b.bin(BinOp::And, u, q, three);
    let q = f.b.cvt(Ty::S32, u, None, q);
    let lowm = f.b.int(u, 0x7FF);
    let rem = f.b.bin(BinOp::And, u, top, lowm);
    let him = f.b.un(UnOp::Not, u, lowm);
    let hi = f.b.bin(BinOp::And, u, top, him);
    let hi = f.b.bitcast(Ty::S64, hi);
    let hif = f.b.cvt(Ty::F64, Ty::S64, Some(Rnd::Rn), hi);
    let remf = f.b.cvt(Ty::F64, u, Some(Rnd::Rn), rem);
    let nextf = f.b.cvt(Ty::F64, u, Some(Rnd::Rn), next);
    let s64 = f.c(2f64.powi(-64));
    // the fraction in quarter turns: hi (exact) + the low 11 bits of top and next's 64 bits
    let th = f.mul(hif, s64);
    let tl = f.mul(remf, s64);
    let n2 = f.mul(nextf, s64);
    let n2 = f.mul(n2, s64);
    let tl = f.add(tl, n2);
    let (th, tl) = two_sum(f, th, tl);
    // times pi/2 as a double-double
    let p1 = f.c(PIO2_1);
    let p2 = f.c(PIO2_2);
    let h = f.mul(th, p1);
    let nh = f.neg(h);
    let e = f.fma(th, p1, nh);
    let e = f.fma(th, p2, e);
    let e = f.fma(tl, p1, e);
    let (h, l) = fast_two_sum(f, h, e);
    (h, l, q)
}

/// sin and cos of r = hi + lo, |r| <= pi/4 + a little (f64): Taylor series to r^19 and r^20.
fn sincos_kernel(f: &mut Fx, h: Val, l: Val) -> (Val, Val) {
    let z = f.mul(h, h);
    // sin: h + (h z S(z) + l), S = -1/3! + z/5! - ...
    let mut sc = Vec::new();
    let mut fact = 1.0f64;
    for n in 1..=9 {
        fact *= ((2 * n) * (2 * n + 1)) as f64;
        sc.push(if n % 2 == 1 { -1.0 / fact } else { 1.0 / fact });
    }
    let s = f.horner(z, &sc);
    let hz = f.mul(h, z);
    let u = f.fma(hz, s, l);
    let sin = f.add(h, u);
    // cos: w + (((1 - w) - z/2) + (z^2 C(z) - h l)), w = 1 - z/2, C = 1/4! - z/6! + ...
    let mut cc = Vec::new();
    let mut fact = 2.0f64;
    for n in 2..=10 {
        fact *= ((2 * n - 1) * (2 * n)) as f64;
        cc.push(if n % 2 == 0 { 1.0 / fact } else { -1.0 / fact });
    }
    let c = f.horner(z, &cc);
    let half = f.c(0.5);
    let hzz = f.mul(half, z);
    let one = f.c(1.0);
    let w = f.sub(one, hzz);
    let omw = f.sub(one, w);
    let a = f.sub(omw, hzz);
    let zz = f.mul(z, z);
    let hl = f.mul(h, l);
    let nhl = f.neg(hl);
    let b = f.fma(zz, c, nhl);
    let ab = f.add(a, b);
    let cos = f.add(w, ab);
    (sin, cos)
}

/// Which of sin, cos, tan.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Trig {
    Sin,
    Cos,
    Tan,
}

/// sin, cos, tan (f64) by [`reduce_pio2`] and [`sincos_kernel`]; NaN for infinities and NaN,
/// sin and tan of +-0 (and of subnormals) the argument itself.
pub fn trig(f: &mut Fx, x: Val, which: Trig) -> Val {
    let (h, l, q) = reduce_pio2(f, x);
    let (s, c) = sincos_kernel(f, h, l);
    let one = f.b.int(Ty::S32, 1);
    let two = f.b.int(Ty::S32, 2);
    let zero = f.b.int(Ty::S32, 0);
    let q1 = f.b.bin(BinOp::And, Ty::S32, q, one);
    let odd = f.b.setp(Cmp::Ne, Ty::S32, q1, zero);
    let r = match which {
        Trig::Tan => {
            let a = f.div(s, c);
            let b = f.div(c, s);
            let nb = f.neg(b);
            f.sel(odd, nb, a)
        }
        Trig::Sin | Trig::Cos => {
            // sin: S, C, -S, -C by quadrant; cos: C, -S, -C, S
            let (even_v, odd_v) = if which == Trig::Sin { (s, c) } else { (c, s) };
            let v = f.sel(odd, odd_v, even_v);
            let qn = if which == Trig::Sin {
                q
            } else {
                f.b.bin(BinOp::Add, Ty::S32, q, one)
            };
            let q2 = f.b.bin(BinOp::And, Ty::S32, qn, two);
            let neg = f.b.setp(Cmp::Ne, Ty::S32, q2, zero);
            let nv = f.neg(v);
            f.sel(neg, nv, v)
        }
    };
    let r = if which == Trig::Cos {
        r
    } else {
        let tiny = {
            let ax = f.abs(x);
            f.cmpc(Cmp::Lt, ax, 2f64.powi(-30))
        };
        f.sel(tiny, x, r)
    };
    let ax = f.abs(x);
    let fin = f.cmpc(Cmp::Lt, ax, f64::INFINITY);
    let nan = f.c(f64::NAN);
    f.sel(fin, r, nan)
}

/// atan(k/8), k = 0..=8, as hi + lo.
const ATAN_EIGHTHS: [(f64, f64); 9] = [
    (0.0, 0.0),
    (0.124_354_994_546_761_44, -3.125_324_142_453_938_3e-18),
    (0.244_978_663_126_864_14, 1.069_875_561_873_445_1e-17),
    (0.358_770_670_270_572_25, -2.462_381_558_263_863_5e-17),
    (0.463_647_609_000_806_1, 2.269_877_745_296_168_7e-17),
    (0.558_599_315_343_562_4, -5.455_630_548_591_626_4e-18),
    (0.643_501_108_793_284_4, 1.583_478_505_144_428_6e-17),
    (0.718_829_999_621_624_5, -2.147_838_844_445_698_3e-17),
    (std::f64::consts::FRAC_PI_4, 3.061_616_997_868_383e-17),
];
const PIO2_LO: f64 = 6.123_233_995_736_766e-17;
const PI_LO: f64 = 1.224_646_799_147_353_2e-16;

/// atan(y) for y in [0, 1] (f64) as hi + lo: c = rint(8y)/8, t = (y - c) / (1 + yc) (y - c
/// exact), |t| <= 1/16; atan(c) from the table plus the Taylor series of atan(t) to t^21.
fn atan_core(f: &mut Fx, y: Val) -> (Val, Val) {
    let eight = f.c(8.0);
    let y8 = f.mul(y, eight);
    let k = f.b.cvt(f.t, f.t, Some(Rnd::Rni), y8);
    let inv8 = f.c(0.125);
    let c = f.mul(k, inv8);
    let num = f.sub(y, c);
    let one = f.c(1.0);
    let den = f.fma(y, c, one);
    let t = f.div(num, den);
    let z = f.mul(t, t);
    let q: Vec<f64> = (1..=10)
        .map(|n| {
            let v = 1.0 / (2 * n + 1) as f64;
            if n % 2 == 1 {
                -v
            } else {
                v
            }
        })
        .collect();
    let qz = f.horner(z, &q);
    let tz = f.mul(t, z);
    let p = f.fma(tz, qz, t);
    let mut h = f.c(0.0);
    let mut l = f.c(0.0);
    for (i, (ch, cl)) in ATAN_EIGHTHS.iter().enumerate().skip(1) {
        let is = f.cmpc(Cmp::Eq, k, i as f64);
        let chv = f.c(*ch);
        let clv = f.c(*cl);
        h = f.sel(is, chv, h);
        l = f.sel(is, clv, l);
    }
    let l = f.add(l, p);
    (h, l)
}

/// (kh + kl) - (h + l), summed as hi first.
fn const_minus(f: &mut Fx, kh: f64, kl: f64, h: Val, l: Val) -> (Val, Val) {
    let khv = f.c(kh);
    let klv = f.c(kl);
    let a = f.sub(khv, h);
    let b = f.sub(klv, l);
    (a, b)
}

/// arctan (f64): atan(|x|) by [`atan_core`], pi/2 - atan(1/|x|) beyond 1; the sign of x.
pub fn atan(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let big = f.cmpc(Cmp::Gt, a, 1.0);
    let one = f.c(1.0);
    let ia = f.div(one, a);
    let y = f.sel(big, ia, a);
    let (h, l) = atan_core(f, y);
    let (bh, bl) = const_minus(f, std::f64::consts::FRAC_PI_2, PIO2_LO, h, l);
    let h = f.sel(big, bh, h);
    let l = f.sel(big, bl, l);
    let r = f.add(h, l);
    let r = f.copysign(r, x);
    let n = f.isnan(x);
    f.sel(n, x, r)
}

/// C's atan2(y, x) (f64): atan of the smaller of |y|, |x| over the larger, pi/2 minus it when
/// |y| is the larger, pi minus that when x is negative (or -0), the sign of y; both zero: 0 or
/// pi; both infinite: pi/4 or 3pi/4; NaN in, NaN out.
pub fn atan2(f: &mut Fx, y: Val, x: Val) -> Val {
    let a = f.abs(y);
    let b = f.abs(x);
    let swap = f.cmp(Cmp::Gt, a, b);
    let num = f.sel(swap, b, a);
    let den = f.sel(swap, a, b);
    let t = f.div(num, den);
    let (h, l) = atan_core(f, t);
    let (sh, sl) = const_minus(f, std::f64::consts::FRAC_PI_2, PIO2_LO, h, l);
    let h = f.sel(swap, sh, h);
    let l = f.sel(swap, sl, l);
    let xneg = f.signbit(x);
    let (nh, nl) = const_minus(f, std::f64::consts::PI, PI_LO, h, l);
    let h = f.sel(xneg, nh, h);
    let l = f.sel(xneg, nl, l);
    let r = f.add(h, l);
    // both zero / both infinite
    let pi = f.c(std::f64::consts::PI);
    let z = f.c(0.0);
    let zr = f.sel(xneg, pi, z);
    let az = f.cmpc(Cmp::Eq, a, 0.0);
    let bz = f.cmpc(Cmp::Eq, b, 0.0);
    let zz = f.and(az, bz);
    let r = f.sel(zz, zr, r);
    let q3 = f.c(3.0 * std::f64::consts::FRAC_PI_4);
    let q1 = f.c(std::f64::consts::FRAC_PI_4);
    let ir = f.sel(xneg, q3, q1);
    let ai = f.cmpc(Cmp::Eq, a, f64::INFINITY);
    let bi = f.cmpc(Cmp::Eq, b, f64::INFINITY);
    let ii = f.and(ai, bi);
    let r = f.sel(ii, ir, r);
    let r = f.copysign(r, y);
    let yn = f.isnan(y);
    let xn = f.isnan(x);
    let n = f.or(yn, xn);
    let s = f.add(x, y);
    f.sel(n, s, r)
}

/// arcsin (f64): atan2(x, sqrt(1 - x^2)), 1 - x^2 by one fma (no cancellation near |x| = 1).
pub fn asin(f: &mut Fx, x: Val) -> Val {
    let one = f.c(1.0);
    let nx = f.neg(x);
    let d = f.fma(nx, x, one);
    let s = f.b.un(UnOp::Sqrt, f.t, d);
    atan2(f, x, s)
}

/// arccos (f64): atan2(sqrt(1 - x^2), x).
pub fn acos(f: &mut Fx, x: Val) -> Val {
    let one = f.c(1.0);
    let nx = f.neg(x);
    let d = f.fma(nx, x, one);
    let s = f.b.un(UnOp::Sqrt, f.t, d);
    atan2(f, s, x)
}

/// arcsinh (f64), a = |x|: log1p(a + a^2 / (1 + sqrt(1 + a^2))) up to 2, log(2a + 1 / (a +
/// sqrt(a^2 + 1))) up to 2^28, log(a) + ln 2 beyond; the sign of x.
pub fn asinh(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let one = f.c(1.0);
    let a2 = f.mul(a, a);
    let s = f.add(a2, one);
    let s = f.b.un(UnOp::Sqrt, f.t, s);
    let d = f.add(one, s);
    let q = f.div(a2, d);
    let u = f.add(a, q);
    let small = log1p(f, u);
    let sa = f.add(s, a);
    let inv = f.div(one, sa);
    let twoa = f.add(a, a);
    let m = f.add(twoa, inv);
    let mid = log(f, m, MathOpts::default());
    let la = log(f, a, MathOpts::default());
    let ln2 = f.c(std::f64::consts::LN_2);
    let big = f.add(la, ln2);
    let lt = f.cmpc(Cmp::Le, a, 268_435_456.0);
    let r = f.sel(lt, mid, big);
    let le2 = f.cmpc(Cmp::Le, a, 2.0);
    let r = f.sel(le2, small, r);
    let r = f.copysign(r, x);
    let n = f.isnan(x);
    f.sel(n, x, r)
}

/// arccosh (f64): NaN below 1; with t = x - 1, log1p(t + sqrt(2t + t^2)) up to 2, log(2x - 1 /
/// (x + sqrt(x^2 - 1))) up to 2^28, log(x) + ln 2 beyond.
pub fn acosh(f: &mut Fx, x: Val) -> Val {
    let one = f.c(1.0);
    let t = f.sub(x, one);
    let two = f.c(2.0);
    let tt = f.add(t, two);
    let w = f.mul(t, tt);
    let sw = f.b.un(UnOp::Sqrt, f.t, w);
    let u = f.add(t, sw);
    let small = log1p(f, u);
    let x2 = f.mul(x, x);
    let x2m = f.sub(x2, one);
    let s = f.b.un(UnOp::Sqrt, f.t, x2m);
    let xs = f.add(x, s);
    let inv = f.div(one, xs);
    let twox = f.add(x, x);
    let m = f.sub(twox, inv);
    let mid = log(f, m, MathOpts::default());
    let lx = log(f, x, MathOpts::default());
    let ln2 = f.c(std::f64::consts::LN_2);
    let big = f.add(lx, ln2);
    let lt = f.cmpc(Cmp::Le, x, 268_435_456.0);
    let r = f.sel(lt, mid, big);
    let le2 = f.cmpc(Cmp::Le, x, 2.0);
    let r = f.sel(le2, small, r);
    let bad = f.cmpc(Cmp::Lt, x, 1.0);
    let nan = f.c(f64::NAN);
    let r = f.sel(bad, nan, r);
    let n = f.isnan(x);
    f.sel(n, x, r)
}

/// arctanh (f64), a = |x|: log1p(2a + 2a^2 / (1 - a)) / 2 below 1/2, log1p(2a / (1 - a)) / 2
/// from there (inf at 1, NaN beyond); the sign of x.
pub fn atanh(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let one = f.c(1.0);
    let half = f.c(0.5);
    let t = f.add(a, a);
    let oma = f.sub(one, a);
    let ta = f.mul(t, a);
    let q = f.div(ta, oma);
    let u1 = f.add(t, q);
    let u2 = f.div(t, oma);
    let lt = f.cmpc(Cmp::Lt, a, 0.5);
    let u = f.sel(lt, u1, u2);
    let l = log1p(f, u);
    let r = f.mul(half, l);
    let gt = f.cmpc(Cmp::Gt, a, 1.0);
    let nan = f.c(f64::NAN);
    let r = f.sel(gt, nan, r);
    let r = f.copysign(r, x);
    let n = f.isnan(x);
    f.sel(n, x, r)
}

/// erfc on [a, b) as e^(-x^2) h(1/x), h a polynomial in s = 1/x - c (Chebyshev fits of
/// erfc(x) e^(x^2) computed for this crate to 40 digits, relative error below 2^-58 on each
/// piece): (a, b, c, coefficients from the constant term).
const ERFC_PIECES: [(f64, f64, f64, &[f64]); 6] = [
    (
        0.5,
        1.0,
        1.5,
        &[
            0.5392844079306002,
            0.18192590660209434,
            -0.06866259491449082,
            0.024257149774339078,
            -0.007680306285239274,
            0.0019308177865083708,
            -0.0001754405953366152,
            -0.00022289734401477885,
            0.00022446301109711324,
            -0.00014801707882367197,
            8.200549641728824e-05,
            -4.041462860596734e-05,
            1.7864465077084968e-05,
            -6.890021975546695e-06,
            2.081530306180241e-06,
            -2.373520954552271e-07,
            -3.249564398974011e-07,
            3.7914728471608663e-07,
            -2.6008203189962675e-07,
            1.751956058589684e-07,
            -1.560071388887025e-07,
            7.92203521045685e-08,
        ],
    ),
    (
        1.0,
        1.6,
        0.8125,
        &[
            0.37187857734846963,
            0.32262929561001474,
            -0.14526785780665935,
            0.04942028961265472,
            -0.003223053101462804,
            -0.014494068755808361,
            0.01730042253620999,
            -0.013487275689342014,
            0.00778466339080568,
            -0.0026066824876558167,
            -0.0010654100178341243,
            0.0030740891973169977,
            -0.003679817080180351,
            0.003305825103928511,
            -0.0023969794027799045,
            0.0012911917697189168,
            -5.963787490303088e-05,
            -0.000767924385145539,
        ],
    ),
    (
        1.6,
        2.6,
        0.5048076923076923,
        &[
            0.25744516872772144,
            0.4254035404697486,
            -0.18518925387810434,
            0.024069989809838745,
            0.0625041341368257,
            -0.08569918398254195,
            0.06236948317543168,
            -0.013234413423421283,
            -0.03977624054792298,
            0.07678774726742621,
            -0.0834596447579914,
            0.05411126587267399,
            0.006197974233013727,
            -0.0813951371825871,
            0.14686718874965532,
            -0.17335653849160498,
            0.12251046338728373,
            0.006136790920749564,
        ],
    ),
    (
        2.6,
        4.2,
        0.31135531135531136,
        &[
            0.16815913891686976,
            0.4972450311452929,
            -0.17762836031143286,
            -0.06499030589266312,
            0.17618489103169313,
            -0.13221970449667222,
            -0.036432748560879726,
            0.2329052232271348,
            -0.30924884818028364,
            0.1242400113046106,
            0.35437145159697264,
            -0.9291716433245676,
            1.0672065997150308,
            -0.12517492092874624,
        ],
    ),
    (
        4.2,
        8.0,
        0.18154761904761904,
        &[
            0.10081656705477693,
            0.5383630952374732,
            -0.1319930198629841,
            -0.17419475872854598,
            0.2288265858623494,
            0.015055459857583178,
            -0.3756026887541157,
            0.4233919261195779,
            0.25703029363607177,
            -1.4473026586356672,
            1.652316104446864,
            1.4987322240852123,
            -8.182619153552382,
            10.577223138964044,
        ],
    ),
    (
        8.0,
        28.0,
        0.08035714285714286,
        &[
            0.0451916828125834,
            0.5588111761051422,
            -0.06588103278723086,
            -0.2562359271268652,
            0.15225331731007866,
            0.2972603632357879,
            -0.45642562301100326,
            -0.3898939528761276,
            1.5764008515305303,
            -0.12954337848041847,
            -5.637483063032803,
            6.61244730483654,
            17.41854916439463,
            -52.50493493441566,
        ],
    ),
];
/// 2/sqrt(pi) (-1)^n / (n! (2n + 1)): erf(x) = x sum c_n x^(2n).
const ERF_TAYLOR: [f64; 14] = [
    std::f64::consts::FRAC_2_SQRT_PI,
    -0.37612638903183754,
    0.11283791670955126,
    -0.026866170645131252,
    0.005223977625442188,
    -0.0008548327023450853,
    0.00012055332981789664,
    -1.492565035840625e-05,
    1.6462114365889248e-06,
    -1.6365844691234924e-07,
    1.4807192815879218e-08,
    -1.2290555301717928e-09,
    9.422759064650411e-11,
    -6.7113668551641105e-12,
];

fn erf_small(f: &mut Fx, x: Val) -> Val {
    let z = f.mul(x, x);
    let p = f.horner(z, &ERF_TAYLOR);
    f.mul(x, p)
}

/// erfc(a) for a >= 1/2 (f64): e^(-a^2) (a^2 as an exact hi + lo) times the piece's h(1/a);
/// 0 from 28 on.
fn erfc_big(f: &mut Fx, a: Val) -> Val {
    let one = f.c(1.0);
    let t = f.div(one, a);
    let mut h = f.c(0.0);
    for (lo, _, c, co) in ERFC_PIECES.iter() {
        let cv = f.c(*c);
        let s = f.sub(t, cv);
        let p = f.horner(s, co);
        let inp = f.cmpc(Cmp::Ge, a, *lo);
        h = f.sel(inp, p, h);
    }
    let xh = f.mul(a, a);
    let nxh = f.neg(xh);
    let xl = f.fma(a, a, nxh);
    let e = exp(f, nxh, MathOpts::default());
    let r = f.mul(e, h);
    let nr = f.neg(r);
    let r = f.fma(nr, xl, r);
    let big = f.cmpc(Cmp::Ge, a, 28.0);
    let z = f.c(0.0);
    f.sel(big, z, r)
}

/// erf (f64): the Taylor series below 1/2, 1 - erfc(|x|) up to 6, 1 beyond; the sign of x.
pub fn erf(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let s = erf_small(f, a);
    let e = erfc_big(f, a);
    let one = f.c(1.0);
    let b = f.sub(one, e);
    let lt = f.cmpc(Cmp::Lt, a, 0.5);
    let r = f.sel(lt, s, b);
    let r = f.copysign(r, x);
    let n = f.isnan(x);
    f.sel(n, x, r)
}

/// erfc (f64): 1 - erf(x) for |x| < 1/2, the pieces from 1/2, 2 - erfc(|x|) below -1/2.
pub fn erfc(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let s = erf_small(f, x);
    let one = f.c(1.0);
    let small = f.sub(one, s);
    let e = erfc_big(f, a);
    let two = f.c(2.0);
    let neg = f.sub(two, e);
    let xn = f.cmpc(Cmp::Lt, x, 0.0);
    let r = f.sel(xn, neg, e);
    let lt = f.cmpc(Cmp::Lt, a, 0.5);
    let r = f.sel(lt, small, r);
    let n = f.isnan(x);
    f.sel(n, x, r)
}

fn erfinv_start(f: &mut Fx, t: Val, w: Val) -> Val {
    let lo: Vec<f64> = ERFINV_GILES_LO.iter().rev().copied().collect();
    let hi: Vec<f64> = ERFINV_GILES_HI.iter().rev().copied().collect();
    let c25 = f.c(2.5);
    let w1 = f.sub(w, c25);
    let p1 = f.horner(w1, &lo);
    let sw = f.b.un(UnOp::Sqrt, f.t, w);
    let c3 = f.c(3.0);
    let w2 = f.sub(sw, c3);
    let p2 = f.horner(w2, &hi);
    let lt = f.cmpc(Cmp::Lt, w, 5.0);
    let p = f.sel(lt, p1, p2);
    f.mul(p, t)
}

/// A Newton loop as the interpreter's: at most `n` steps of `y -= step(y)`, stopping when
/// `stop_before(y)` holds (the step is not taken), or after a step with |step| <= eps/4 |y|.
fn newton(f: &mut Fx, y0: Val, n: i64, step: &dyn Fn(&mut Fx, Val) -> (Val, Option<Val>)) -> Val {
    let y = f.b.var(Ty::F64);
    f.b.mov(y, y0);
    let it = f.b.var(Ty::S32);
    let z = f.b.int(Ty::S32, 0);
    f.b.mov(it, z);
    let (top, end) = (f.b.label(), f.b.label());
    f.b.place(top);
    let nv = f.b.int(Ty::S32, n);
    let done = f.b.setp(Cmp::Ge, Ty::S32, it, nv);
    f.b.bra_if(done, true, end);
    let (s, stop) = step(f, y);
    if let Some(p) = stop {
        f.b.bra_if(p, true, end);
    }
    let y1 = f.sub(y, s);
    f.b.mov(y, y1);
    let one = f.b.int(Ty::S32, 1);
    let it1 = f.b.bin(BinOp::Add, Ty::S32, it, one);
    f.b.mov(it, it1);
    let as_ = f.abs(s);
    let ay = f.abs(y1);
    let e = f.c(f64::EPSILON * 0.25);
    let lim = f.mul(e, ay);
    let conv = f.cmp(Cmp::Le, as_, lim);
    f.b.bra_if(conv, true, end);
    f.b.bra(top);
    f.b.place(end);
    y
}

/// erfinv for |x| <= 1/2 (f64): Giles' start, Newton on erf(y) - x (at most 4 steps).
fn erfinv_small(f: &mut Fx, x: Val) -> Val {
    let one = f.c(1.0);
    let a = f.sub(one, x);
    let b = f.add(one, x);
    let ab = f.mul(a, b);
    let l = log(f, ab, MathOpts::default());
    let w = f.neg(l);
    let y0 = erfinv_start(f, x, w);
    newton(f, y0, 4, &|f, y| {
        let e = erf(f, y);
        let d = f.sub(e, x);
        let ny = f.neg(y);
        let y2 = f.mul(ny, y);
        let ex = exp(f, y2, MathOpts::default());
        let k = f.c(std::f64::consts::FRAC_2_SQRT_PI);
        let sl = f.mul(k, ex);
        (f.div(d, sl), None)
    })
}

/// erfc's inverse for x in (0, 1/2] (f64): Giles' start (w < 16) or the asymptotic one, then
/// Newton on log(erfc(y)) - log(x), at most 60 steps, stopping where erfc underflows or the
/// step is not finite (the interpreter's iteration).
fn erfcinv_below_half(f: &mut Fx, x: Val) -> Val {
    let lx = log(f, x, MathOpts::default());
    let two = f.c(2.0);
    let tx = f.sub(two, x);
    let xt = f.mul(x, tx);
    let lw = log(f, xt, MathOpts::default());
    let w = f.neg(lw);
    let one = f.c(1.0);
    let omx = f.sub(one, x);
    let ya = erfinv_start(f, omx, w);
    let l = f.neg(lx);
    let mut yb = f.b.un(UnOp::Sqrt, f.t, l);
    let spi = f.c(std::f64::consts::PI.sqrt());
    for _ in 0..3 {
        let m = f.mul(yb, spi);
        let lm = log(f, m, MathOpts::default());
        let d = f.sub(l, lm);
        yb = f.b.un(UnOp::Sqrt, f.t, d);
    }
    let lt = f.cmpc(Cmp::Lt, w, 16.0);
    let y0 = f.sel(lt, ya, yb);
    newton(f, y0, 60, &|f, y| {
        let e = erfc(f, y);
        let le = log(f, e, MathOpts::default());
        let h = f.sub(le, lx);
        let ny = f.neg(y);
        let y2 = f.mul(ny, y);
        let ex = exp(f, y2, MathOpts::default());
        let k = f.c(-std::f64::consts::FRAC_2_SQRT_PI);
        let num = f.mul(k, ex);
        let slope = f.div(num, e);
        let s = f.div(h, slope);
        let e0 = f.cmpc(Cmp::Eq, e, 0.0);
        let as_ = f.abs(s);
        let fin = f.cmpc(Cmp::Lt, as_, f64::INFINITY);
        let nf = f.b.un(UnOp::Not, Ty::Pred, fin);
        let stop = f.or(e0, nf);
        (s, Some(stop))
    })
}

/// erfinv (f64, the interpreter's algorithm): NaN beyond 1 (and for NaN), +-inf at +-1, x at
/// 0; Newton from Giles' start up to 1/2, erfc's inverse of 1 - |x| (exact) beyond.
pub fn erfinv(f: &mut Fx, x: Val) -> Val {
    let a = f.abs(x);
    let half = f.c(0.5);
    let xs = f.b.bin(BinOp::Min, f.t, a, half);
    let xs = f.copysign(xs, x);
    let s = erfinv_small(f, xs);
    let one = f.c(1.0);
    let u = f.sub(one, a);
    let u = f.b.bin(BinOp::Min, f.t, u, half);
    // away from 0 (a special case), subnormals kept
    let tiny = f.c(f64::from_bits(1));
    let u = f.b.bin(BinOp::Max, f.t, u, tiny);
    let bh = erfcinv_below_half(f, u);
    let bh = f.copysign(bh, x);
    let big = f.cmpc(Cmp::Gt, a, 0.5);
    let r = f.sel(big, bh, s);
    let inf = f.c(f64::INFINITY);
    let xi = f.mul(x, inf);
    let a1 = f.cmpc(Cmp::Eq, a, 1.0);
    let r = f.sel(a1, xi, r);
    let x0 = f.cmpc(Cmp::Eq, x, 0.0);
    let r = f.sel(x0, x, r);
    let gt = f.cmpc(Cmp::Gt, a, 1.0);
    let xn = f.isnan(x);
    let bad = f.or(gt, xn);
    let nan = f.c(f64::NAN);
    f.sel(bad, nan, r)
}

/// erfcinv (f64, the interpreter's algorithm): NaN outside [0, 2], inf at 0, -inf at 2, -0 at
/// 1; erfc's inverse below 1/2, minus that of 2 - x above 3/2, erfinv(1 - x) between.
pub fn erfcinv(f: &mut Fx, x: Val) -> Val {
    let one = f.c(1.0);
    let two = f.c(2.0);
    let half = f.c(0.5);
    let v = f.sub(one, x);
    let vc = f.b.bin(BinOp::Min, f.t, v, half);
    let nh = f.c(-0.5);
    let vc = f.b.bin(BinOp::Max, f.t, vc, nh);
    let s = erfinv_small(f, vc);
    let hi = f.cmpc(Cmp::Gt, x, 1.5);
    let tmx = f.sub(two, x);
    let u = f.sel(hi, tmx, x);
    let u = f.b.bin(BinOp::Min, f.t, u, half);
    // away from 0 (a special case), subnormals kept
    let tiny = f.c(f64::from_bits(1));
    let u = f.b.bin(BinOp::Max, f.t, u, tiny);
    let bh = erfcinv_below_half(f, u);
    let nbh = f.neg(bh);
    let bh = f.sel(hi, nbh, bh);
    let lo = f.cmpc(Cmp::Lt, x, 0.5);
    let out = f.or(lo, hi);
    let r = f.sel(out, bh, s);
    let nz = f.c(-0.0);
    let x1 = f.cmpc(Cmp::Eq, x, 1.0);
    let r = f.sel(x1, nz, r);
    let inf = f.c(f64::INFINITY);
    let x0 = f.cmpc(Cmp::Eq, x, 0.0);
    let r = f.sel(x0, inf, r);
    let ninf = f.c(f64::NEG_INFINITY);
    let x2 = f.cmpc(Cmp::Eq, x, 2.0);
    let r = f.sel(x2, ninf, r);
    let neg = f.cmpc(Cmp::Lt, x, 0.0);
    let big = f.cmpc(Cmp::Gt, x, 2.0);
    let bad = f.or(neg, big);
    let xn = f.isnan(x);
    let bad = f.or(bad, xn);
    let nan = f.c(f64::NAN);
    f.sel(bad, nan, r)
}

/// x - round(x) (halves away from zero), exact: the reflection formulas' reduced argument.
fn frac_near(f: &mut Fx, x: Val) -> Val {
    let t = f.b.cvt(f.t, f.t, Some(Rnd::Rzi), x);
    let d = f.sub(x, t);
    let ad = f.abs(d);
    let big = f.cmpc(Cmp::Ge, ad, 0.5);
    let one = f.c(1.0);
    let s = f.copysign(one, x);
    let up = f.add(t, s);
    let r = f.sel(big, up, t);
    f.sub(x, r)
}

/// `while x < 10 { acc = term(acc, x); x += 1 }` as a kernel loop; returns (acc, x).
fn recur_to_ten(f: &mut Fx, x0: Val, term: &dyn Fn(&mut Fx, Val, Val) -> Val) -> (Val, Val) {
    let x = f.b.var(Ty::F64);
    let acc = f.b.var(Ty::F64);
    f.b.mov(x, x0);
    let z = f.c(0.0);
    f.b.mov(acc, z);
    let (top, end) = (f.b.label(), f.b.label());
    f.b.place(top);
    let go = f.cmpc(Cmp::Lt, x, 10.0);
    f.b.bra_if(go, false, end);
    let a1 = term(f, acc, x);
    f.b.mov(acc, a1);
    let one = f.c(1.0);
    let x1 = f.add(x, one);
    f.b.mov(x, x1);
    f.b.bra(top);
    f.b.place(end);
    (acc, x)
}

/// `c0 - z (c1 - z (c2 - ...))`, operation for operation as the interpreter's nesting.
fn nested_alt(f: &mut Fx, z: Val, c: &[f64]) -> Val {
    let mut acc = f.c(c[c.len() - 1]);
    for k in c[..c.len() - 1].iter().rev() {
        let kv = f.c(*k);
        let m = f.mul(z, acc);
        acc = f.sub(kv, m);
    }
    acc
}

/// tri_gamma (f64, the interpreter's algorithm): reflection pi^2 / sin^2(pi r) - psi1(1 - x)
/// below 0 (r = x - round(x)), the recurrence psi1(x) = psi1(x + 1) + 1/x^2 up to 10 (a
/// kernel loop), then the asymptotic series; inf at 0 and the negative integers, 0 at inf,
/// NaN at -inf.
pub fn tri_gamma(f: &mut Fx, x: Val) -> Val {
    let neg = f.cmpc(Cmp::Lt, x, 0.0);
    let r = frac_near(f, x);
    let pi = f.c(std::f64::consts::PI);
    let pr = f.mul(pi, r);
    let s = trig(f, pr, Trig::Sin);
    let ss = f.mul(s, s);
    let pp = f.c(std::f64::consts::PI * std::f64::consts::PI);
    let refl = f.div(pp, ss);
    let one = f.c(1.0);
    let omx = f.sub(one, x);
    let y = f.sel(neg, omx, x);
    let (acc, y) = recur_to_ten(f, y, &|f, acc, x| {
        let one = f.c(1.0);
        let xx = f.mul(x, x);
        let q = f.div(one, xx);
        f.add(acc, q)
    });
    let z = {
        let yy = f.mul(y, y);
        f.div(one, yy)
    };
    let inner = nested_alt(
        f,
        z,
        &[
            1.0 / 6.0,
            1.0 / 30.0,
            1.0 / 42.0,
            1.0 / 30.0,
            5.0 / 66.0,
            691.0 / 2730.0,
            7.0 / 6.0,
            3617.0 / 510.0,
        ],
    );
    let half = f.c(0.5);
    let hy = f.div(half, y);
    let a = f.add(one, hy);
    let zi = f.mul(z, inner);
    let b = f.add(a, zi);
    let iy = f.div(one, y);
    let series = f.mul(iy, b);
    let t = f.add(acc, series);
    let rt = f.sub(refl, t);
    let res = f.sel(neg, rt, t);
    // specials
    let fl = f.b.cvt(f.t, f.t, Some(Rnd::Rmi), x);
    let int = f.cmp(Cmp::Eq, x, fl);
    let le0 = f.cmpc(Cmp::Le, x, 0.0);
    let pole = f.and(int, le0);
    let inf = f.c(f64::INFINITY);
    let res = f.sel(pole, inf, res);
    let pinf = f.cmpc(Cmp::Eq, x, f64::INFINITY);
    let zero = f.c(0.0);
    let res = f.sel(pinf, zero, res);
    let ninf = f.cmpc(Cmp::Eq, x, f64::NEG_INFINITY);
    let xn = f.isnan(x);
    let bad = f.or(ninf, xn);
    let nan = f.c(f64::NAN);
    f.sel(bad, nan, res)
}

/// psi for y > 0 (f64): the Taylor series within 0.25 of the positive root, else the
/// recurrence psi(y) = psi(y + 1) - 1/y up to 10 (a kernel loop) and the asymptotic series.
fn psi_positive(f: &mut Fx, y: Val) -> Val {
    let r0 = f.c(PSI_ROOT.0);
    let r1 = f.c(PSI_ROOT.1);
    let d = f.sub(y, r0);
    let d = f.sub(d, r1);
    let p = f.horner(d, &PSI_ROOT_SERIES);
    let near = f.mul(d, p);
    let (acc, x) = recur_to_ten(f, y, &|f, acc, x| {
        let one = f.c(1.0);
        let q = f.div(one, x);
        f.sub(acc, q)
    });
    let one = f.c(1.0);
    let xx = f.mul(x, x);
    let z = f.div(one, xx);
    let inner = nested_alt(
        f,
        z,
        &[
            1.0 / 12.0,
            1.0 / 120.0,
            1.0 / 252.0,
            1.0 / 240.0,
            1.0 / 132.0,
            691.0 / 32760.0,
            1.0 / 12.0,
        ],
    );
    let series = f.mul(z, inner);
    let lx = log(f, x, MathOpts::default());
    let half = f.c(0.5);
    let hx = f.div(half, x);
    let a = f.sub(lx, hx);
    let a = f.sub(a, series);
    let far = f.add(acc, a);
    let ad = f.abs(d);
    let close = f.cmpc(Cmp::Lt, ad, 0.25);
    f.sel(close, near, far)
}

/// psi (f64, the interpreter's algorithm): -1/x at +-0, NaN at the negative integers and
/// -inf, inf at inf; below 0 the reflection psi(1 - x) - pi cot(pi r) (r = x - round(x); pi
/// tan(pi (1/2 - |r|)) with the sign of r beyond |r| = 1/4, exact at the half-integers).
pub fn psi(f: &mut Fx, x: Val) -> Val {
    let neg = f.cmpc(Cmp::Lt, x, 0.0);
    let r = frac_near(f, x);
    let pi = f.c(std::f64::consts::PI);
    let ar = f.abs(r);
    let half = f.c(0.5);
    let h = f.sub(half, ar);
    let ph = f.mul(pi, h);
    let t1 = trig(f, ph, Trig::Tan);
    let c1 = f.mul(pi, t1);
    let c1 = f.copysign(c1, r);
    let pr = f.mul(pi, r);
    let t2 = trig(f, pr, Trig::Tan);
    let c2 = f.div(pi, t2);
    let far = f.cmpc(Cmp::Gt, ar, 0.25);
    let cot = f.sel(far, c1, c2);
    let one = f.c(1.0);
    let omx = f.sub(one, x);
    let y = f.sel(neg, omx, x);
    let p = psi_positive(f, y);
    let pc = f.sub(p, cot);
    let res = f.sel(neg, pc, p);
    // specials
    let fl = f.b.cvt(f.t, f.t, Some(Rnd::Rmi), x);
    let int = f.cmp(Cmp::Eq, x, fl);
    let nint = f.and(neg, int);
    let nan = f.c(f64::NAN);
    let res = f.sel(nint, nan, res);
    let m1 = f.c(-1.0);
    let mr = f.div(m1, x);
    let z = f.cmpc(Cmp::Eq, x, 0.0);
    let res = f.sel(z, mr, res);
    let pinf = f.cmpc(Cmp::Eq, x, f64::INFINITY);
    let res = f.sel(pinf, x, res);
    let ninf = f.cmpc(Cmp::Eq, x, f64::NEG_INFINITY);
    let xn = f.isnan(x);
    let bad = f.or(ninf, xn);
    f.sel(bad, nan, res)
}

/// lgamma(2 + t) / t on t in [-1/2, 1], from the constant term (a Chebyshev fit made for
/// this crate with mpmath at 40 digits, relative error 3.4e-20).
#[allow(clippy::excessive_precision)]
const LGAMMA_AT_2: [f64; 24] = [
    0.42278433509846713,
    0.3224670334241132,
    -0.06735230105319809,
    0.020580808427784435,
    -0.007385551028674139,
    0.002890510330748136,
    -0.0011927539117035553,
    0.0005096695245693555,
    -0.00022315475828452692,
    9.945751517388788e-05,
    -4.492624096325781e-05,
    2.0507195202221444e-05,
    -9.439440499307966e-06,
    4.374923397996977e-06,
    -2.0395006933611473e-06,
    9.5520165428538e-07,
    -4.4839053621808377e-07,
    2.1105056481225418e-07,
    -1.0123438317925032e-07,
    5.0297400098335534e-08,
    -2.4292908348961975e-08,
    9.641643145630568e-09,
    -2.5317840682215007e-09,
    3.128546330715388e-10,
];

/// Stirling's series for lgamma, the coefficients of 1/x, 1/x^3, ..., 1/x^15 (B_2k / (2k (2k - 1))).
const STIRLING: [f64; 8] = [
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
    1.0 / 156.0,
    -3617.0 / 122400.0,
];

/// The recurrence of gamma and lgamma below 12: `y` shifted down by ones into [3/2, 3) and
/// the product of the shifted arguments (`gamma(x) = p gamma(y)`), as a kernel loop; for x
/// at or above 12 (where Stirling's series is used) the loop does nothing. Returns (y, p,
/// x < 12).
fn shift_below_3(f: &mut Fx, x: Val) -> (Val, Val, Val) {
    let one = f.c(1.0);
    let y = f.b.var(Ty::F64);
    let p = f.b.var(Ty::F64);
    f.b.mov(y, x);
    f.b.mov(p, one);
    // defined before the loop: a value first defined inside it is undefined on the paths
    // that skip it
    let lt12 = f.cmpc(Cmp::Lt, x, 12.0);
    let (top, end) = (f.b.label(), f.b.label());
    f.b.place(top);
    let ge3 = f.cmpc(Cmp::Ge, y, 3.0);
    f.b.bra_if(ge3, false, end);
    f.b.bra_if(lt12, false, end);
    let y1 = f.sub(y, one);
    f.b.mov(y, y1);
    let p1 = f.mul(p, y1);
    f.b.mov(p, p1);
    f.b.bra(top);
    f.b.place(end);
    (y, p, lt12)
}

/// lgamma for x > 0 (f64): below 1/2, x P(x) - log1p(x) - log(x) (lgamma(1 + x) - log x);
/// below 3/2, t P(t) - log1p(t) with t = x - 1 (exact); below 12, the recurrence down to
/// [3/2, 3) (a kernel loop multiplying the shifted arguments) and (x - 2) P(x - 2) + log of the
/// product; from 12 on, Stirling's series to 1/x^15.
fn lgamma_pos(f: &mut Fx, x: Val) -> Val {
    let one = f.c(1.0);
    let two = f.c(2.0);
    // tiny
    let px = f.horner(x, &LGAMMA_AT_2);
    let a = f.mul(x, px);
    let l1 = log1p(f, x);
    let lx = log(f, x, MathOpts::default());
    let tiny = f.sub(a, l1);
    let tiny = f.sub(tiny, lx);
    // low
    let t = f.sub(x, one);
    let pt = f.horner(t, &LGAMMA_AT_2);
    let b = f.mul(t, pt);
    let l1t = log1p(f, t);
    let low = f.sub(b, l1t);
    // mid: the recurrence
    let (y, p, lt12) = shift_below_3(f, x);
    let s = f.sub(y, two);
    let ps = f.horner(s, &LGAMMA_AT_2);
    let c = f.mul(s, ps);
    let lp = log(f, p, MathOpts::default());
    let mid = f.add(c, lp);
    // big: (x - 1/2)(log x - 1) + (log(2 pi) - 1) / 2 + series / x
    let half = f.c(0.5);
    let xm = f.sub(x, half);
    let lm = f.sub(lx, one);
    let m = f.mul(xm, lm);
    let k = f.c(0.5 * (2.0 * std::f64::consts::PI).ln() - 0.5);
    let ix = f.div(one, x);
    let z = f.mul(ix, ix);
    let ser = f.horner(z, &STIRLING);
    let sx = f.mul(ser, ix);
    let big = f.add(k, sx);
    let big = f.add(m, big);
    let r = f.sel(lt12, mid, big);
    let lt15 = f.cmpc(Cmp::Lt, x, 1.5);
    let r = f.sel(lt15, low, r);
    let lth = f.cmpc(Cmp::Lt, x, 0.5);
    f.sel(lth, tiny, r)
}

/// gammaln (f64, scipy's: log|gamma(x)|, +inf at the poles 0, -1, ..., -inf at -inf): the
/// positive branch above, log(pi / |sin(pi r)|) - lgamma(1 - x) below 0 (r = x - round(x)).
pub fn gammaln(f: &mut Fx, x: Val) -> Val {
    let neg = f.cmpc(Cmp::Lt, x, 0.0);
    let one = f.c(1.0);
    let omx = f.sub(one, x);
    let y = f.sel(neg, omx, x);
    let lp = lgamma_pos(f, y);
    let r = frac_near(f, x);
    let pi = f.c(std::f64::consts::PI);
    let pr = f.mul(pi, r);
    let s = trig(f, pr, Trig::Sin);
    let s = f.abs(s);
    let q = f.div(pi, s);
    let lq = log(f, q, MathOpts::default());
    let refl = f.sub(lq, lp);
    let res = f.sel(neg, refl, lp);
    // specials
    let fl = f.b.cvt(f.t, f.t, Some(Rnd::Rmi), x);
    let int = f.cmp(Cmp::Eq, x, fl);
    let le0 = f.cmpc(Cmp::Le, x, 0.0);
    let pole = f.and(int, le0);
    let inf = f.c(f64::INFINITY);
    let res = f.sel(pole, inf, res);
    let ax = f.abs(x);
    let xi = f.cmpc(Cmp::Eq, ax, f64::INFINITY);
    let res = f.sel(xi, x, res);
    let xn = f.isnan(x);
    f.sel(xn, x, res)
}

/// gamma of y >= 0 (f64) as two finite factors whose product is the value, for y up to
/// about 290 (past 171.62 the product overflows, as the value does):
/// - below 1/2: exp(y P(y)) / (y (1 + y)) (gamma(2 + y) / (y (1 + y)));
/// - below 3/2: exp(t P(t)) / y with t = y - 1 exact;
/// - below 12: the recurrence down to [3/2, 3) (a kernel loop multiplying the shifted
///   arguments, each shift exact) times exp(s P(s)), s = y - 2;
/// - from 12 on, Stirling's series with the power in double-double (`pow`) split in two
///   halves so neither overflows: h = y^((y - 1/2)/2); (h exp(-y)) (h sqrt(2 pi) exp(S(y)/y)).
///
/// P is gammaln's fit of lgamma(2 + t)/t, so every exp is of an argument below 0.7 in size.
fn gamma_pos_parts(f: &mut Fx, y: Val) -> (Val, Val) {
    let one = f.c(1.0);
    let two = f.c(2.0);
    // tiny
    let py = f.horner(y, &LGAMMA_AT_2);
    let a = f.mul(y, py);
    let ea = exp(f, a, MathOpts::default());
    let y1 = f.add(one, y);
    let d = f.mul(y, y1);
    let tiny = f.div(ea, d);
    // low
    let t = f.sub(y, one);
    let pt = f.horner(t, &LGAMMA_AT_2);
    let b = f.mul(t, pt);
    let eb = exp(f, b, MathOpts::default());
    let low = f.div(eb, y);
    // mid: the recurrence
    let (z, p, lt12) = shift_below_3(f, y);
    let s = f.sub(z, two);
    let ps = f.horner(s, &LGAMMA_AT_2);
    let c = f.mul(s, ps);
    let mid = exp(f, c, MathOpts::default());
    // big: Stirling
    let half = f.c(0.5);
    let ym = f.sub(y, half);
    let e = f.mul(half, ym);
    let h = pow(f, y, e);
    let ny = f.neg(y);
    let ex = exp(f, ny, MathOpts::default());
    let he = f.mul(h, ex);
    let iy = f.div(one, y);
    let zz = f.mul(iy, iy);
    let ser = f.horner(zz, &STIRLING);
    let sy = f.mul(ser, iy);
    let es = exp(f, sy, MathOpts::default());
    let k = f.c((2.0 * std::f64::consts::PI).sqrt());
    let ks = f.mul(k, es);
    let hk = f.mul(h, ks);
    // select the branch: (first factor, second factor)
    let lt15 = f.cmpc(Cmp::Lt, y, 1.5);
    let lth = f.cmpc(Cmp::Lt, y, 0.5);
    let small = f.sel(lt15, low, mid);
    let small = f.sel(lth, tiny, small);
    let small_p = f.sel(lt15, one, p);
    let small_p = f.sel(lth, one, small_p);
    let a = f.sel(lt12, small, he);
    let b = f.sel(lt12, small_p, hk);
    (a, b)
}

/// gamma (f64, C's tgamma): the positive branch above; below 0 the reflection through the
/// exact -x, gamma(x) = -pi / (x sin(pi x) gamma(-x)), divided factor by factor so results
/// down to the subnormals (x > -184) are not lost to an overflowing gamma(-x); +inf at +0
/// and +inf, -inf at -0, NaN at the negative integers and -inf.
pub fn gamma(f: &mut Fx, x: Val) -> Val {
    let neg = f.cmpc(Cmp::Lt, x, 0.0);
    let ax = f.abs(x);
    let (a, b) = gamma_pos_parts(f, ax);
    let pos = f.mul(a, b);
    // reflection: q = -pi / (x sin(pi x)), sin(pi x) = sin(pi r) (-1)^n, r = x - n
    let r = frac_near(f, x);
    let pi = f.c(std::f64::consts::PI);
    let pr = f.mul(pi, r);
    let s = trig(f, pr, Trig::Sin);
    let n = f.sub(x, r);
    let half_n = {
        let h = f.c(0.5);
        f.mul(n, h)
    };
    let fl = f.b.cvt(f.t, f.t, Some(Rnd::Rmi), half_n);
    let even = f.cmp(Cmp::Eq, fl, half_n);
    let ns = f.neg(s);
    let s = f.sel(even, s, ns);
    let xs = f.mul(x, s);
    let npi = f.c(-std::f64::consts::PI);
    let q = f.div(npi, xs);
    let qa = f.div(q, a);
    let refl = f.div(qa, b);
    // past -184 the value is below the smallest subnormal: a signed zero
    let zero = f.c(0.0);
    let z = f.copysign(zero, q);
    let far = f.cmpc(Cmp::Gt, ax, 184.0);
    let refl = f.sel(far, z, refl);
    let res = f.sel(neg, refl, pos);
    // overflow past 171.62 (the product is inf there too, but exp(-y) underflows to 0
    // first for y > 745: inf * 0)
    let inf = f.c(f64::INFINITY);
    let over = f.cmpc(Cmp::Gt, x, 171.7);
    let res = f.sel(over, inf, res);
    // specials: the poles at 0 (signed), NaN at the negative integers and -inf
    let z0 = f.cmpc(Cmp::Eq, x, 0.0);
    let sinf = f.copysign(inf, x);
    let res = f.sel(z0, sinf, res);
    let flx = f.b.cvt(f.t, f.t, Some(Rnd::Rmi), x);
    let int = f.cmp(Cmp::Eq, x, flx);
    let nan = f.c(f64::NAN);
    let negint = f.and(int, neg);
    let res = f.sel(negint, nan, res);
    let xn = f.isnan(x);
    f.sel(xn, x, res)
}
