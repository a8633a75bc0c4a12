//! [`Num`]: the per-element arithmetic of every element type, with numpy's semantics.
//!
//! Integers wrap on overflow, divide by zero to 0 and floor (`//`, `%`) as numpy does; floats
//! follow numpy's `npy_divmod`; bool arithmetic is logical (`+` is or, `*` is and) and ops
//! numpy has no bool loop for are computed in int64 and cast back.

use theano_tensor::Element;

/// Numeric operations on one element type. Every method is total: no input panics.
pub trait Num: Element {
    const ZERO: Self;
    const ONE: Self;
    /// The identity of `maximum` (-inf for floats, MIN for ints, false).
    const LOWEST: Self;
    /// The identity of `minimum` (+inf for floats, MAX for ints, true).
    const HIGHEST: Self;

    fn add(a: Self, b: Self) -> Self;
    fn sub(a: Self, b: Self) -> Self;
    fn mul(a: Self, b: Self) -> Self;
    /// `a / b`; integers divide as float64 and cast back (the dtype rules make this unused).
    fn true_div(a: Self, b: Self) -> Self;
    /// numpy's `floor_divide`.
    fn int_div(a: Self, b: Self) -> Self;
    /// numpy's `remainder` (the sign of the divisor).
    fn modulo(a: Self, b: Self) -> Self;
    /// numpy's `power`; for integers the caller has refused negative exponents.
    fn pow(a: Self, b: Self) -> Self;
    fn neg(a: Self) -> Self;
    fn abs(a: Self) -> Self;
    fn sgn(a: Self) -> Self;
    /// numpy's `maximum`: NaN propagates.
    fn maximum(a: Self, b: Self) -> Self;
    /// numpy's `minimum`: NaN propagates.
    fn minimum(a: Self, b: Self) -> Self;
    fn is_nan(self) -> bool;
    fn is_negative(self) -> bool;
    fn is_nonzero(self) -> bool;
    fn bit_and(a: Self, b: Self) -> Self;
    fn bit_or(a: Self, b: Self) -> Self;
    fn bit_xor(a: Self, b: Self) -> Self;
    fn invert(a: Self) -> Self;
    /// Apply a float64 function (used for transcendental ops on non-float types).
    #[inline]
    fn via_f64(a: Self, f: impl Fn(f64) -> f64) -> Self {
        Self::from_f64(f(a.to_f64()))
    }
    fn exp(a: Self) -> Self;
    fn log(a: Self) -> Self;
    fn log1p(a: Self) -> Self;
    fn expm1(a: Self) -> Self;
    fn tanh(a: Self) -> Self;
    fn sqrt(a: Self) -> Self;
    fn sigmoid(a: Self) -> Self;
    fn softplus(a: Self) -> Self;
    fn floor(a: Self) -> Self;
    fn ceil(a: Self) -> Self;
    fn round_half_even(a: Self) -> Self;
    fn round_half_away(a: Self) -> Self;
}

macro_rules! impl_float {
    ($t:ty) => {
        impl Num for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const LOWEST: Self = <$t>::NEG_INFINITY;
            const HIGHEST: Self = <$t>::INFINITY;
            #[inline]
            fn add(a: Self, b: Self) -> Self {
                a + b
            }
            #[inline]
            fn sub(a: Self, b: Self) -> Self {
                a - b
            }
            #[inline]
            fn mul(a: Self, b: Self) -> Self {
                a * b
            }
            #[inline]
            fn true_div(a: Self, b: Self) -> Self {
                a / b
            }
            #[inline]
            fn int_div(a: Self, b: Self) -> Self {
                // numpy's npy_floor_divide / npy_divmod
                if b == 0.0 {
                    return a / b;
                }
                let m = a % b;
                let mut div = (a - m) / b;
                if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
                    div -= 1.0;
                }
                if div != 0.0 {
                    let mut fd = div.floor();
                    if div - fd > 0.5 {
                        fd += 1.0;
                    }
                    fd
                } else {
                    (0.0 as $t).copysign(a / b)
                }
            }
            #[inline]
            fn modulo(a: Self, b: Self) -> Self {
                // numpy's npy_remainder
                let m = a % b;
                if b == 0.0 {
                    return m;
                }
                if m != 0.0 {
                    if (b < 0.0) != (m < 0.0) {
                        m + b
                    } else {
                        m
                    }
                } else {
                    (0.0 as $t).copysign(b)
                }
            }
            #[inline]
            fn pow(a: Self, b: Self) -> Self {
                a.powf(b)
            }
            #[inline]
            fn neg(a: Self) -> Self {
                -a
            }
            #[inline]
            fn abs(a: Self) -> Self {
                a.abs()
            }
            #[inline]
            fn sgn(a: Self) -> Self {
                if a > 0.0 {
                    1.0
                } else if a < 0.0 {
                    -1.0
                } else {
                    a // 0.0, -0.0 or NaN
                }
            }
            #[inline]
            fn maximum(a: Self, b: Self) -> Self {
                if a.is_nan() || a >= b {
                    a
                } else {
                    b
                }
            }
            #[inline]
            fn minimum(a: Self, b: Self) -> Self {
                if a.is_nan() || a <= b {
                    a
                } else {
                    b
                }
            }
            #[inline]
            fn is_nan(self) -> bool {
                self.is_nan()
            }
            #[inline]
            fn is_negative(self) -> bool {
                self < 0.0
            }
            #[inline]
            fn is_nonzero(self) -> bool {
                self != 0.0
            }
            fn bit_and(a: Self, b: Self) -> Self {
                Self::from_i64(a.to_i64() & b.to_i64())
            }
            fn bit_or(a: Self, b: Self) -> Self {
                Self::from_i64(a.to_i64() | b.to_i64())
            }
            fn bit_xor(a: Self, b: Self) -> Self {
                Self::from_i64(a.to_i64() ^ b.to_i64())
            }
            fn invert(a: Self) -> Self {
                Self::from_i64(!a.to_i64())
            }
            #[inline]
            fn exp(a: Self) -> Self {
                a.exp()
            }
            #[inline]
            fn log(a: Self) -> Self {
                a.ln()
            }
            #[inline]
            fn log1p(a: Self) -> Self {
                a.ln_1p()
            }
            #[inline]
            fn expm1(a: Self) -> Self {
                a.exp_m1()
            }
            #[inline]
            fn tanh(a: Self) -> Self {
                a.tanh()
            }
            #[inline]
            fn sqrt(a: Self) -> Self {
                a.sqrt()
            }
            #[inline]
            fn sigmoid(a: Self) -> Self {
                if a >= 0.0 {
                    1.0 / (1.0 + (-a).exp())
                } else {
                    let e = a.exp();
                    e / (1.0 + e)
                }
            }
            #[inline]
            fn softplus(a: Self) -> Self {
                (-a.abs()).exp().ln_1p() + a.max(0.0)
            }
            #[inline]
            fn floor(a: Self) -> Self {
                a.floor()
            }
            #[inline]
            fn ceil(a: Self) -> Self {
                a.ceil()
            }
            #[inline]
            fn round_half_even(a: Self) -> Self {
                a.round_ties_even()
            }
            #[inline]
            fn round_half_away(a: Self) -> Self {
                a.round()
            }
        }
    };
}

/// Integer ops common to signed and unsigned types.
macro_rules! int_common {
    () => {
        const ZERO: Self = 0;
        const ONE: Self = 1;
        const LOWEST: Self = Self::MIN;
        const HIGHEST: Self = Self::MAX;
        #[inline]
        fn add(a: Self, b: Self) -> Self {
            a.wrapping_add(b)
        }
        #[inline]
        fn sub(a: Self, b: Self) -> Self {
            a.wrapping_sub(b)
        }
        #[inline]
        fn mul(a: Self, b: Self) -> Self {
            a.wrapping_mul(b)
        }
        fn true_div(a: Self, b: Self) -> Self {
            Self::from_f64(a.to_f64() / b.to_f64())
        }
        #[inline]
        fn int_div(a: Self, b: Self) -> Self {
            if b == 0 {
                return 0;
            }
            let q = a.wrapping_div(b);
            #[allow(unused_comparisons)]
            let adjust = a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0));
            if adjust {
                q.wrapping_sub(1)
            } else {
                q
            }
        }
        #[inline]
        fn modulo(a: Self, b: Self) -> Self {
            if b == 0 {
                return 0;
            }
            let r = a.wrapping_rem(b);
            #[allow(unused_comparisons)]
            let adjust = r != 0 && ((r < 0) != (b < 0));
            if adjust {
                r.wrapping_add(b)
            } else {
                r
            }
        }
        #[inline]
        fn pow(a: Self, b: Self) -> Self {
            // exponentiation by squaring, wrapping as numpy does; b < 0 refused by the caller
            #[allow(unused_comparisons)]
            if b < 0 {
                return 0;
            }
            let (mut base, mut e, mut out): (Self, Self, Self) = (a, b, 1);
            while e > 0 {
                if e & 1 == 1 {
                    out = out.wrapping_mul(base);
                }
                base = base.wrapping_mul(base);
                e >>= 1;
            }
            out
        }
        #[inline]
        fn maximum(a: Self, b: Self) -> Self {
            if a >= b {
                a
            } else {
                b
            }
        }
        #[inline]
        fn minimum(a: Self, b: Self) -> Self {
            if a <= b {
                a
            } else {
                b
            }
        }
        #[inline]
        fn is_nan(self) -> bool {
            false
        }
        #[inline]
        fn is_nonzero(self) -> bool {
            self != 0
        }
        #[inline]
        fn bit_and(a: Self, b: Self) -> Self {
            a & b
        }
        #[inline]
        fn bit_or(a: Self, b: Self) -> Self {
            a | b
        }
        #[inline]
        fn bit_xor(a: Self, b: Self) -> Self {
            a ^ b
        }
        #[inline]
        fn invert(a: Self) -> Self {
            !a
        }
        fn exp(a: Self) -> Self {
            Self::via_f64(a, f64::exp)
        }
        fn log(a: Self) -> Self {
            Self::via_f64(a, f64::ln)
        }
        fn log1p(a: Self) -> Self {
            Self::via_f64(a, f64::ln_1p)
        }
        fn expm1(a: Self) -> Self {
            Self::via_f64(a, f64::exp_m1)
        }
        fn tanh(a: Self) -> Self {
            Self::via_f64(a, f64::tanh)
        }
        fn sqrt(a: Self) -> Self {
            Self::via_f64(a, f64::sqrt)
        }
        fn sigmoid(a: Self) -> Self {
            Self::via_f64(a, <f64 as Num>::sigmoid)
        }
        fn softplus(a: Self) -> Self {
            Self::via_f64(a, <f64 as Num>::softplus)
        }
        #[inline]
        fn floor(a: Self) -> Self {
            a
        }
        #[inline]
        fn ceil(a: Self) -> Self {
            a
        }
        #[inline]
        fn round_half_even(a: Self) -> Self {
            a
        }
        #[inline]
        fn round_half_away(a: Self) -> Self {
            a
        }
    };
}

macro_rules! impl_signed {
    ($t:ty) => {
        impl Num for $t {
            int_common!();
            #[inline]
            fn neg(a: Self) -> Self {
                a.wrapping_neg()
            }
            #[inline]
            fn abs(a: Self) -> Self {
                a.wrapping_abs()
            }
            #[inline]
            fn sgn(a: Self) -> Self {
                a.signum()
            }
            #[inline]
            fn is_negative(self) -> bool {
                self < 0
            }
        }
    };
}

impl_float!(f64);
impl_float!(f32);
impl_signed!(i64);
impl_signed!(i32);
impl_signed!(i16);
impl_signed!(i8);

macro_rules! impl_unsigned {
    ($t:ty) => {
        impl Num for $t {
            int_common!();
            #[inline]
            fn neg(a: Self) -> Self {
                a.wrapping_neg()
            }
            #[inline]
            fn abs(a: Self) -> Self {
                a
            }
            #[inline]
            fn sgn(a: Self) -> Self {
                (a > 0) as $t
            }
            #[inline]
            fn is_negative(self) -> bool {
                false
            }
        }
    };
}

impl_unsigned!(u8);
impl_unsigned!(u16);
impl_unsigned!(u32);
impl_unsigned!(u64);

/// bool: numpy's logical loops where they exist (add = or, mul = and, maximum = or, ...);
/// the rest computed in int64 and cast back (`!= 0`). The interpreter refuses `-` and unary
/// `-` on bool before reaching here, as numpy does.
impl Num for bool {
    const ZERO: Self = false;
    const ONE: Self = true;
    const LOWEST: Self = false;
    const HIGHEST: Self = true;
    #[inline]
    fn add(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline]
    fn sub(a: Self, b: Self) -> Self {
        a ^ b
    }
    #[inline]
    fn mul(a: Self, b: Self) -> Self {
        a & b
    }
    fn true_div(a: Self, b: Self) -> Self {
        Self::from_f64(a.to_f64() / b.to_f64())
    }
    fn int_div(a: Self, b: Self) -> Self {
        a & b
    }
    fn modulo(_a: Self, _b: Self) -> Self {
        false
    }
    fn pow(a: Self, b: Self) -> Self {
        a | !b
    }
    fn neg(a: Self) -> Self {
        a
    }
    fn abs(a: Self) -> Self {
        a
    }
    fn sgn(a: Self) -> Self {
        a
    }
    #[inline]
    fn maximum(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline]
    fn minimum(a: Self, b: Self) -> Self {
        a & b
    }
    fn is_nan(self) -> bool {
        false
    }
    fn is_negative(self) -> bool {
        false
    }
    #[inline]
    fn is_nonzero(self) -> bool {
        self
    }
    #[inline]
    fn bit_and(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline]
    fn bit_or(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline]
    fn bit_xor(a: Self, b: Self) -> Self {
        a ^ b
    }
    #[inline]
    fn invert(a: Self) -> Self {
        !a
    }
    fn exp(a: Self) -> Self {
        Self::via_f64(a, f64::exp)
    }
    fn log(a: Self) -> Self {
        Self::via_f64(a, f64::ln)
    }
    fn log1p(a: Self) -> Self {
        Self::via_f64(a, f64::ln_1p)
    }
    fn expm1(a: Self) -> Self {
        Self::via_f64(a, f64::exp_m1)
    }
    fn tanh(a: Self) -> Self {
        Self::via_f64(a, f64::tanh)
    }
    fn sqrt(a: Self) -> Self {
        a
    }
    fn sigmoid(_a: Self) -> Self {
        true
    }
    fn softplus(_a: Self) -> Self {
        true
    }
    fn floor(a: Self) -> Self {
        a
    }
    fn ceil(a: Self) -> Self {
        a
    }
    fn round_half_even(a: Self) -> Self {
        a
    }
    fn round_half_away(a: Self) -> Self {
        a
    }
}

/// numpy's `astype` of one value from `S` to `T`.
#[inline]
pub fn conv<S: Element, T: Element>(v: S) -> T {
    // through f64 when either side is a float (a uint64 above int64's range converts
    // exactly), else through i64, wrapping
    if S::DTYPE.is_float() || T::DTYPE.is_float() {
        T::from_f64(v.to_f64())
    } else {
        T::from_i64(v.to_i64())
    }
}

#[cfg(test)]
mod tests {
    use super::Num;

    #[test]
    fn floor_division_matches_numpy() {
        let a = [7i8, -7, 7, -7, 5, -128];
        let b = [2i8, 2, -2, -2, 0, -1];
        let q: Vec<i8> = a.iter().zip(&b).map(|(&x, &y)| i8::int_div(x, y)).collect();
        let r: Vec<i8> = a.iter().zip(&b).map(|(&x, &y)| i8::modulo(x, y)).collect();
        assert_eq!(q, [3, -4, -4, 3, 0, -128]);
        assert_eq!(r, [1, 1, -1, -1, 0, 0]);
        let fq: Vec<f64> = [7.0, -7.0, 7.0, -7.0]
            .iter()
            .zip(&[2.0, 2.0, -2.0, -2.0])
            .map(|(&x, &y)| f64::int_div(x, y))
            .collect();
        assert_eq!(fq, [3.0, -4.0, -4.0, 3.0]);
        assert_eq!(f64::int_div(5.0, 0.0), f64::INFINITY);
        assert!(f64::modulo(5.0, 0.0).is_nan());
    }

    #[test]
    fn int_pow_wraps() {
        assert_eq!(<i8 as Num>::pow(2, 7), -128);
        assert_eq!(<i64 as Num>::pow(3, 0), 1);
        assert_eq!(<u8 as Num>::pow(2, 9), 0);
        assert_eq!(<i32 as Num>::pow(-2, 3), -8);
    }
}
