//! The float64 bodies of Theano 1.0's elementwise catalogue (`theano.scalar.basic`,
//! `basic_scipy`, `nnet.sigm`) that have no numpy ufunc loop in Rust's std: erf and erfc, the
//! gamma family (the `libm` crate: musl's implementations), and erfinv, erfcinv, psi and
//! tri_gamma (written here: Newton refinement and recurrences with asymptotic series), with
//! scipy's special values. [`unary_f64`] is the one table from a scalar op to its float64
//! function: the interpreter maps it over float64 and float32 data (float32 computes in
//! float64 and rounds once, as Theano's C code and scipy's float32 loops do), and the JIT's
//! helpers call the same functions, so both agree bit for bit.

use std::f64::consts::{FRAC_2_SQRT_PI, PI};
use theano_ir::special::{PSI_ROOT, PSI_ROOT_SERIES};
use theano_ir::ScalarOp;

/// The unary catalogue ops that compute through float64, in the order of [`UNARY_FNS`] (the
/// ops computed in their own dtype, `inv`, `deg2rad`, `rad2deg`, `softsign` and `trunc`, are
/// not here). The JIT's helpers are generated from these two tables, by index.
pub const UNARY_OPS: [ScalarOp; 23] = {
    use ScalarOp::*;
    [
        Sin,
        Cos,
        Tan,
        ArcSin,
        ArcCos,
        ArcTan,
        Sinh,
        Cosh,
        ArcSinh,
        ArcCosh,
        ArcTanh,
        Exp2,
        Log2,
        Log10,
        Erf,
        Erfc,
        Erfinv,
        Erfcinv,
        Gamma,
        GammaLn,
        Psi,
        TriGamma,
        UltraFastSigmoid,
    ]
};

/// The float64 function of each op of [`UNARY_OPS`].
pub const UNARY_FNS: [fn(f64) -> f64; 23] = [
    f64::sin,
    f64::cos,
    f64::tan,
    f64::asin,
    f64::acos,
    f64::atan,
    f64::sinh,
    f64::cosh,
    libm::asinh,
    acosh,
    libm::atanh,
    f64::exp2,
    f64::log2,
    f64::log10,
    libm::erf,
    libm::erfc,
    erfinv,
    erfcinv,
    libm::tgamma,
    gammaln,
    psi,
    tri_gamma,
    ultra_fast_sigmoid,
];

/// The index of `op` in [`UNARY_OPS`].
pub fn unary_index(op: &ScalarOp) -> Option<usize> {
    UNARY_OPS.iter().position(|o| o == op)
}

/// The float64 function of a unary catalogue op that computes through float64.
pub fn unary_f64(op: &ScalarOp) -> Option<fn(f64) -> f64> {
    unary_index(op).map(|k| UNARY_FNS[k])
}

/// numpy's `arccosh`: NaN below 1. (The `libm` crate's acosh, musl's, is only defined from
/// 1: for x <= -2 it returns the log of a cancellation residue, e.g. 4.59 at -9.3e5.)
pub fn acosh(x: f64) -> f64 {
    if x < 1.0 {
        f64::NAN
    } else {
        libm::acosh(x)
    }
}

/// numpy's `arctan2(y, x)` in float64.
pub fn arctan2(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

/// `log|gamma(x)|` (scipy's `gammaln`: `+inf` at the poles, `-inf` at `-inf`).
pub fn gammaln(x: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        return x;
    }
    libm::lgamma_r(x).0
}

/// M. Giles' single-precision erfinv polynomial in `w = -log((1 - t)(1 + t))`, times `t`: a
/// starting point (relative error about 1e-7 for `w` below about 80) for the Newton steps.
fn erfinv_start(t: f64, w: f64) -> f64 {
    let p = if w < 5.0 {
        let w = w - 2.5;
        theano_ir::special::ERFINV_GILES_LO
            .iter()
            .fold(0.0, |p, &c| c + p * w)
    } else {
        let w = w.sqrt() - 3.0;
        theano_ir::special::ERFINV_GILES_HI
            .iter()
            .fold(0.0, |p, &c| c + p * w)
    };
    p * t
}

/// The inverse of erf on [-1, 1] (scipy's `erfinv`: `±inf` at `±1`, NaN outside).
pub fn erfinv(x: f64) -> f64 {
    if x.is_nan() || x.abs() > 1.0 {
        return f64::NAN;
    }
    if x.abs() == 1.0 {
        return x * f64::INFINITY;
    }
    if x == 0.0 {
        return x;
    }
    if x.abs() > 0.5 {
        // 1 - |x| is exact here; the tail is erfc's inverse
        return erfcinv_below_half(1.0 - x.abs()).copysign(x);
    }
    let mut y = erfinv_start(x, -((1.0 - x) * (1.0 + x)).ln());
    // Newton on erf(y) - x: from a 1e-7 start two steps reach the last bit
    for _ in 0..4 {
        let step = (libm::erf(y) - x) / (FRAC_2_SQRT_PI * (-y * y).exp());
        y -= step;
        if step.abs() <= f64::EPSILON * 0.25 * y.abs() {
            break;
        }
    }
    y
}

/// The inverse of erfc on [0, 2] (scipy's `erfcinv`: `inf` at 0, `-inf` at 2, `-0.0` at 1,
/// NaN outside).
pub fn erfcinv(x: f64) -> f64 {
    if x.is_nan() || !(0.0..=2.0).contains(&x) {
        return f64::NAN;
    }
    if x == 1.0 {
        return -0.0;
    }
    if x == 0.0 {
        return f64::INFINITY;
    }
    if x == 2.0 {
        return f64::NEG_INFINITY;
    }
    if x < 0.5 {
        erfcinv_below_half(x)
    } else if x > 1.5 {
        // 2 - x is exact for x in [1, 2]
        -erfcinv_below_half(2.0 - x)
    } else {
        // erfcinv(x) = erfinv(1 - x), 1 - x exact for x in [0.5, 2]
        erfinv(1.0 - x)
    }
}

/// erfc's inverse for `x` in (0, 0.5]: Newton on `log(erfc(y)) - log(x)`, which is concave
/// in `y`: from a start left of the root the first step lands right of it, and from there the
/// steps decrease monotonically to it (the starts are close enough that the first step stays
/// where erfc is representable; a step that would leave it stops the iteration).
fn erfcinv_below_half(x: f64) -> f64 {
    let lx = x.ln();
    let w = -(x * (2.0 - x)).ln();
    let mut y = if w < 16.0 {
        erfinv_start(1.0 - x, w)
    } else {
        // erfc(y) ~ exp(-y^2) / (y sqrt(pi)): its root lies just right of the true one
        let l = -lx;
        let mut y = l.sqrt();
        for _ in 0..3 {
            y = (l - (y * PI.sqrt()).ln()).sqrt();
        }
        y
    };
    for _ in 0..60 {
        let e = libm::erfc(y);
        if e == 0.0 {
            break;
        }
        let h = e.ln() - lx;
        let slope = -FRAC_2_SQRT_PI * (-y * y).exp() / e;
        let step = h / slope;
        if !step.is_finite() {
            break;
        }
        y -= step;
        if step.abs() <= f64::EPSILON * 0.25 * y.abs() {
            break;
        }
    }
    y
}

/// `x - round(x)`, in [-0.5, 0.5]: the argument of `sin(pi x)`, `tan(pi x)` reduced exactly.
fn frac_near(x: f64) -> f64 {
    x - x.round()
}

/// The digamma function (scipy's `psi`: `-1/x` at ±0, NaN at the negative integers and at
/// `-inf`): reflection for negative `x`; within 0.25 of the positive root its Taylor series;
/// else the recurrence `psi(x) = psi(x + 1) - 1/x` up to 10, then the asymptotic series.
pub fn psi(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return x;
    }
    if x == 0.0 {
        return -1.0 / x;
    }
    if x < 0.0 {
        if x == x.floor() {
            return f64::NAN;
        }
        // psi(x) = psi(1 - x) - pi / tan(pi x); pi / tan(pi r) = pi * cot(pi r), which is
        // pi * tan(pi (1/2 - |r|)) with the sign of r: exact at the half-integers, where cot
        // vanishes
        let r = frac_near(x);
        let cot = if r.abs() > 0.25 {
            (PI * (PI * (0.5 - r.abs())).tan()).copysign(r)
        } else {
            PI / (PI * r).tan()
        };
        return psi_positive(1.0 - x) - cot;
    }
    psi_positive(x)
}

/// psi for `x > 0`.
fn psi_positive(x: f64) -> f64 {
    // near the positive root the recurrence's terms cancel: the Taylor series there
    let d = (x - PSI_ROOT.0) - PSI_ROOT.1;
    if d.abs() < 0.25 {
        return d * PSI_ROOT_SERIES.iter().rev().fold(0.0, |p, &c| c + p * d);
    }
    let mut x = x;
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    // sum of B_2k / (2k x^2k), k = 1..7
    let series = z
        * (1.0 / 12.0
            - z * (1.0 / 120.0
                - z * (1.0 / 252.0
                    - z * (1.0 / 240.0
                        - z * (1.0 / 132.0 - z * (691.0 / 32760.0 - z * (1.0 / 12.0)))))));
    acc + (x.ln() - 0.5 / x - series)
}

/// The trigamma function (scipy's `polygamma(1, x)`: `inf` at 0 and the negative integers,
/// 0 at `inf`, NaN at `-inf`): reflection `psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x)`, the
/// recurrence `psi1(x) = psi1(x + 1) + 1/x^2` up to 10, then the asymptotic series.
pub fn tri_gamma(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    if x <= 0.0 && x == x.floor() {
        return f64::INFINITY;
    }
    if x < 0.0 {
        let s = (PI * frac_near(x)).sin();
        return PI * PI / (s * s) - tri_gamma(1.0 - x);
    }
    let mut x = x;
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let z = 1.0 / (x * x);
    // 1/x + 1/(2x^2) + sum of B_2k / x^(2k+1), k = 1..8
    let series = (1.0 / x)
        * (1.0
            + 0.5 / x
            + z * (1.0 / 6.0
                - z * (1.0 / 30.0
                    - z * (1.0 / 42.0
                        - z * (1.0 / 30.0
                            - z * (5.0 / 66.0
                                - z * (691.0 / 2730.0
                                    - z * (7.0 / 6.0 - z * (3617.0 / 510.0)))))))));
    acc + series
}

/// Theano's `ultra_fast_sigmoid` (nnet/sigm.py): `0.5 * (t(x / 2) + 1)` with `t` a piecewise
/// approximation of tanh.
pub fn ultra_fast_sigmoid(x: f64) -> f64 {
    let h = 0.5 * x;
    let a = h.abs();
    let t = if a < 1.7 {
        1.5 * a / (1.0 + a)
    } else if a < 3.0 {
        0.935_409_070_603_099 + 0.045_881_294_679_716_5 * (a - 1.7)
    } else {
        0.995_054_753_686_73
    };
    // NaN falls through to the last branch in Theano's C code; keep it NaN
    let t = if h.is_nan() {
        f64::NAN
    } else if h >= 0.0 {
        t
    } else {
        -t
    };
    0.5 * (t + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acosh_below_one_is_nan() {
        for x in [0.5, -1.5, -3.0, -750.0, -9.3e5, f64::NEG_INFINITY] {
            assert!(acosh(x).is_nan(), "acosh({x})");
        }
        assert_eq!(acosh(1.0), 0.0);
        assert_eq!(acosh(f64::INFINITY), f64::INFINITY);
    }

    #[test]
    fn inverses_round_trip() {
        for &y in &[-5.5, -1.0, -0.3, 0.2, 0.7, 1.5, 3.0, 5.9] {
            let x = libm::erf(y);
            // erf(y) rounds away y's information beyond |y| ~ 2
            if y.abs() < 2.0 {
                assert!((erfinv(x) - y).abs() <= 1e-14 * y.abs(), "erfinv({x})");
            }
            let c = libm::erfc(y);
            let r = erfcinv(c);
            assert!(
                y < 0.1 || (r - y).abs() <= 1e-14 * y.abs(),
                "erfcinv({c}) = {r}, want {y}"
            );
        }
        // scipy: erfcinv(1e-300) = 26.20946996...
        assert!((erfcinv(1e-300) - 26.209_469_96).abs() < 1e-7);
    }

    #[test]
    fn psi_values() {
        // psi(1) = -euler_gamma, psi(1/2) = -euler_gamma - 2 ln 2
        let g = 0.577_215_664_901_532_9;
        assert!((psi(1.0) + g).abs() < 1e-15);
        assert!((psi(0.5) + g + 2.0 * 2f64.ln()).abs() < 1e-14);
        assert!((tri_gamma(1.0) - PI * PI / 6.0).abs() < 1e-14);
        assert!(psi(-2.0).is_nan());
        assert_eq!(tri_gamma(-2.0), f64::INFINITY);
    }
}
