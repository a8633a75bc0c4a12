#!/usr/bin/env python3
"""Fits the polynomial coefficients of crates/jit/src/math.rs (theano-rs's own fits).

Each function is approximated on its reduced range by mpmath.chebyfit (a Chebyshev
interpolant computed at 60-digit precision, within a few percent of the minimax error);
the coefficients are then rounded to the target float type, and the error of the rounded
polynomial is measured on 20001 points at 60 digits. Prints Rust constants.

    python3 tools/fit_math_coeffs.py
"""
import mpmath as mp

mp.mp.dps = 60
LN2 = mp.log(2)


def exp_e(r):
    # (exp(r) - 1 - r) / r^2 : exp(r) = 1 + r + r^2 E(r)
    if abs(r) < mp.mpf(10) ** -20:
        return mp.mpf(1) / 2 + r / 6
    return (mp.exp(r) - 1 - r) / r**2


def log_r1(z):
    # 2 atanh(s) = 2s + s^3 (2/3 + z R1(z)), z = s^2
    if z < mp.mpf(10) ** -20:
        return mp.mpf(2) / 5 + 2 * z / 7
    s = mp.sqrt(z)
    return ((2 * mp.atanh(s) - 2 * s) / s**3 - mp.mpf(2) / 3) / z


def rnd(x, f32):
    if f32:
        import struct
        return struct.unpack("f", struct.pack("f", float(x)))[0]
    return float(x)


def fit(name, f, a, b, deg, f32):
    poly, err = mp.chebyfit(f, [a, b], deg + 1, error=True)
    # poly: highest degree first -> ascending
    c = [rnd(p, f32) for p in reversed(poly)]
    worst = 0
    for i in range(20001):
        x = a + (b - a) * mp.mpf(i) / 20000
        v = mp.mpf(0)
        for k in reversed(c):
            v = v * x + mp.mpf(k)
        worst = max(worst, abs(v - f(x)))
    kind = "float32 values" if f32 else "float64"
    print(f"/// {name}: degree {deg} on [{mp.nstr(a, 6)}, {mp.nstr(b, 6)}], "
          f"{kind}, max abs error {mp.nstr(worst, 3)} (fit {mp.nstr(err, 3)})")
    lits = ", ".join(repr(x) for x in c)
    print(f"const {name}: [f64; {len(c)}] = [{lits}];")


h = LN2 / 2 * mp.mpf("1.0001")
smax = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)
zmax = smax**2 * mp.mpf("1.0001")
fit("EXP_E_F64", exp_e, -h, h, 9, False)
fit("EXP_E_F32", exp_e, -h, h, 5, True)
fit("LOG_R1_F64", log_r1, mp.mpf(0), zmax, 7, False)
fit("LOG_R1_F32", log_r1, mp.mpf(0), zmax, 2, True)
