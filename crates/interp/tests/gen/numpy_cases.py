"""Generate crates/interp/tests/numpy_cases.rs: expected values computed by numpy.

Run (numpy and scipy): python3 crates/interp/tests/gen/numpy_cases.py > crates/interp/tests/numpy_cases.rs
The tests themselves never call Python; this script only documents where the literals came
from and regenerates them.
"""
import math
import numpy as np

DT = {
    np.dtype('float64'): 'Float64', np.dtype('float32'): 'Float32', np.dtype('int64'): 'Int64',
    np.dtype('int32'): 'Int32', np.dtype('int16'): 'Int16', np.dtype('int8'): 'Int8',
    np.dtype('uint8'): 'UInt8', np.dtype('uint16'): 'UInt16', np.dtype('uint32'): 'UInt32',
    np.dtype('uint64'): 'UInt64', np.dtype('bool'): 'Bool',
}

def flit(v):
    v = float(v)
    if math.isnan(v):
        return 'f64::NAN'
    if math.isinf(v):
        return 'f64::INFINITY' if v > 0 else 'f64::NEG_INFINITY'
    r = repr(v)
    if 'e' not in r and '.' not in r:
        r += '.0'
    return r

def lit(x):
    x = np.asarray(x)
    shape = '&[' + ', '.join(str(d) for d in x.shape) + ']'
    flat = x.ravel(order='C')
    if x.dtype == np.bool_:
        return 'ab(%s, &[%s])' % (shape, ', '.join('true' if b else 'false' for b in flat))
    if x.dtype.kind == 'f':
        return 'af(DType::%s, %s, &[%s])' % (DT[x.dtype], shape, ', '.join(flit(v) for v in flat))
    # `ai` takes int64 literals and casts (wrapping): uint64 values above int64's range are
    # written as their wrapped int64
    wrap = lambda v: int(v) - 2**64 if int(v) >= 2**63 else int(v)
    return 'ai(DType::%s, %s, &[%s])' % (DT[x.dtype], shape, ', '.join(str(wrap(v)) for v in flat))

class In:
    """An input: a contiguous base array and numpy-style view transforms."""
    def __init__(self, base, *tfs):
        self.base = np.asarray(base)
        self.tfs = tfs
    def view(self):
        v = self.base
        for t in self.tfs:
            if t == 'T':
                v = v.T
            elif t[0] == 'flip':
                v = np.flip(v, t[1])
            elif t[0] == 'every2':
                idx = [slice(None)] * v.ndim
                idx[t[1]] = slice(None, None, 2)
                v = v[tuple(idx)]
        return v
    def rust(self):
        e = lit(self.base)
        for t in self.tfs:
            if t == 'T':
                e = 'tr(%s)' % e
            else:
                e = '%s(%s, %d)' % (t[0], e, t[1])
        return e

def A(x, dtype=None):
    return In(np.array(x, dtype=dtype))

OUT = []
NAMES = set()

def case(name, op, inputs, f, out_dtype=None):
    assert name not in NAMES, name
    NAMES.add(name)
    ins = [i if isinstance(i, In) else A(i) for i in inputs]
    with np.errstate(all='ignore'):
        res = f(*[i.view() for i in ins])
    if not isinstance(res, tuple):
        res = (res,)
    res = [np.asarray(r) for r in res]
    if out_dtype is not None:
        res[0] = res[0].astype(out_dtype)
    OUT.append('#[test]\nfn %s() {' % name)
    for k, i in enumerate(ins):
        OUT.append('    let x%d = %s;' % (k, i.rust()))
    OUT.append('    check(')
    OUT.append('        &%s,' % op)
    OUT.append('        &[%s],' % ', '.join('&x%d' % k for k in range(len(ins))))
    OUT.append('        &[%s],' % ', '.join(lit(r) for r in res))
    OUT.append('    );\n}\n')

def E(s):
    return 'Op::elemwise(ScalarOp::%s)' % s

f8, f4, i8, i4, i2, i1, u1, b1 = (np.float64, np.float32, np.int64, np.int32, np.int16,
                                   np.int8, np.uint8, np.bool_)

# ---------------------------------------------------------------- elemwise arithmetic
m23 = [[1.5, -2.0, 3.25], [0.0, 4.0, -5.5]]
case('add_f64_row_broadcast', E('Add'), [A(m23), A([[10.0, 20.0, 30.0]])], np.add)
case('add_int8_float64_promotes', E('Add'), [A([[1], [-2]], i1), A([[0.5, 1.5, 2.5]])], np.add)
case('add_int8_wraps', E('Add'), [A([100, -100, 127], i1), A([100, -100, 1], i1)], np.add)
case('add_uint8_wraps', E('Add'), [A([250, 3], u1), A([10, 4], u1)], np.add)
case('add_bool_is_or', E('Add'), [A([True, True, False, False]), A([True, False, True, False])], np.add)
case('add_variadic_int32', E('Add'), [A([1, 2], i4), A([[10], [20]], i4), A([[100, 200]], i4)],
     lambda a, b, c: a + b + c)
case('add_uint8_int8_gives_int16', E('Add'), [A([200, 255], u1), A([-1, 100], i1)], np.add)
case('add_transposed_and_flipped', E('Add'),
     [In(np.arange(6.0).reshape(2, 3), 'T'), In(np.arange(6.0).reshape(3, 2) * 10, ('flip', 0))], np.add)
case('add_strided_int16', E('Add'), [In(np.arange(12, dtype=i2).reshape(3, 4), ('every2', 1)),
                                     A([[1, 2]], i2)], np.add)
case('add_zero_size', E('Add'), [A(np.zeros((0, 3))), A([[1.0, 2.0, 3.0]])], np.add)
case('sub_uint8_wraps', E('Sub'), [A([1, 0, 200], u1), A([2, 1, 100], u1)], np.subtract)
case('sub_int64_wraps', E('Sub'), [A([-2**63, 5], i8), A([1, 7], i8)], np.subtract)
case('mul_int16_wraps', E('Mul'), [A([300, -300, 7], i2), A([300, 300, -7], i2)], np.multiply)
case('mul_float32_int8', E('Mul'), [A([1.5, -2.25, 3.0], f4), A([2, -3, 100], i1)], np.multiply)
case('mul_bool_is_and', E('Mul'), [A([True, True, False]), A([True, False, False])], np.multiply)
case('true_div_int32_gives_float64', E('TrueDiv'), [A([7, -7, 1, 0], i4), A([2, 2, 0, 0], i4)],
     np.true_divide)
case('true_div_float32', E('TrueDiv'), [A([1.0, -3.0, 2.0], f4), A([3.0, 7.0, 0.0], f4)], np.true_divide)
case('true_div_int8_float32', E('TrueDiv'), [A([1, 5], i1), A([3.0, 7.0], f4)], np.true_divide)
case('int_div_int8_floor', E('IntDiv'), [A([7, -7, 7, -7, 5, -128, 0], i1), A([2, 2, -2, -2, 0, -1, 3], i1)],
     np.floor_divide)
case('int_div_int64_floor', E('IntDiv'), [A([-2**63, 9, -9], i8), A([-1, 4, 4], i8)], np.floor_divide)
case('int_div_uint8', E('IntDiv'), [A([7, 255, 3], u1), A([2, 0, 5], u1)], np.floor_divide)
case('int_div_float64', E('IntDiv'), [A([7.0, -7.0, 7.0, -7.0, 5.0, 0.0, -5.0, 1.0, 0.3]),
                                      A([2.0, 2.0, -2.0, -2.0, 0.0, 0.0, 0.0, 0.1, 0.1])], np.floor_divide)
case('int_div_float32', E('IntDiv'), [A([7.5, -7.5, 1.0], f4), A([2.0, 2.0, 0.1], f4)], np.floor_divide)
case('mod_int16', E('Mod'), [A([7, -7, 7, -7, 5, -32768], i2), A([3, 3, -3, -3, 0, -1], i2)], np.mod)
case('mod_float64', E('Mod'), [A([7.0, -7.0, 7.0, -7.0, 5.0, 0.5, -0.0, 6.0]),
                               A([3.0, 3.0, -3.0, -3.0, 0.0, -0.25, 2.0, -3.0])], np.mod)
case('mod_float32', E('Mod'), [A([5.5, -5.5], f4), A([2.0, 2.0], f4)], np.mod)
case('pow_int64_wraps', E('Pow'), [A([2, 3, -2, 0, 7], i8), A([10, 0, 3, 0, 40], i8)], np.power)
case('pow_int8', E('Pow'), [A([2, -3, 5], i1), A([7, 3, 4], i1)], np.power)
case('pow_float64', E('Pow'), [A([2.0, 4.0, -8.0, 0.0, -2.0]), A([0.5, -0.5, 1.0 / 3, -1.0, 3.0])], np.power)
case('pow_float32_int8', E('Pow'), [A([1.5, 2.0], f4), A([2, -1], i1)], np.power)
case('neg_int8_wraps', E('Neg'), [A([-128, 5, 0], i1)], np.negative)
case('neg_uint8_wraps', E('Neg'), [A([1, 0, 255], u1)], np.negative)
case('neg_float64', E('Neg'), [A([1.5, -0.0, np.inf])], np.negative)
case('abs_int8_wraps', E('Abs'), [A([-128, -5, 5], i1)], np.abs)
case('abs_float32', E('Abs'), [A([-1.5, 0.0, np.nan], f4)], np.abs)
case('sgn_float64', E('Sgn'), [A([-2.0, 0.0, 3.0, np.nan, -np.inf])], np.sign)
case('sgn_int32', E('Sgn'), [A([-7, 0, 9], i4)], np.sign)
case('sgn_uint8', E('Sgn'), [A([0, 9], u1)], np.sign)
case('sqr_int8_wraps', E('Sqr'), [A([16, -12, 3], i1)], lambda x: x * x)
case('sqr_float64', E('Sqr'), [A([1.5, -3.0])], lambda x: x * x)
x_tr = [-3.0, -0.5, 0.0, 0.5, 1.0, 2.0, 10.0, np.inf, -np.inf, np.nan]
case('exp_float64', E('Exp'), [A(x_tr)], np.exp)
case('exp_float32', E('Exp'), [A(x_tr, f4)], np.exp)
case('exp_int8_gives_float32', E('Exp'), [A([0, 1, -2], i1)], lambda x: np.exp(x.astype(f4)))
case('exp_int32_gives_float64', E('Exp'), [A([0, 1, -2], i4)], lambda x: np.exp(x.astype(f8)))
case('exp_bool_gives_float32', E('Exp'), [A([True, False])], lambda x: np.exp(x.astype(f4)))
case('log_float64', E('Log'), [A([1.0, 2.0, 0.0, -1.0, np.inf, 1e-300])], np.log)
case('log_float32', E('Log'), [A([1.0, 2.0, 0.0, -1.0], f4)], np.log)
case('log_uint8_gives_float32', E('Log'), [A([1, 2, 255], u1)], lambda x: np.log(x.astype(f4)))
case('log1p_float64', E('Log1p'), [A([0.0, 1e-20, -1.0, 3.0, -2.0])], np.log1p)
case('expm1_float64', E('Expm1'), [A([0.0, 1e-20, -1.0, 3.0])], np.expm1)
case('expm1_float32', E('Expm1'), [A([0.0, 1e-10, -1.0, 3.0], f4)], np.expm1)
case('tanh_float64', E('Tanh'), [A([0.0, 0.5, -2.0, 30.0, -np.inf])], np.tanh)
case('tanh_float32', E('Tanh'), [A([0.0, 0.5, -2.0, 30.0], f4)], np.tanh)
case('sqrt_float64', E('Sqrt'), [A([4.0, 2.0, 0.0, -1.0])], np.sqrt)
case('sqrt_int64_gives_float64', E('Sqrt'), [A([4, 2, 0], i8)], lambda x: np.sqrt(x.astype(f8)))
sig = lambda x: np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
case('sigmoid_float64', E('Sigmoid'), [A([0.0, 1.0, -1.0, 40.0, -40.0, 800.0, -800.0])],
     lambda x: sig(x).astype(f8))
case('sigmoid_float32', E('Sigmoid'), [A([0.0, 1.0, -1.0, 20.0, -20.0, 100.0, -100.0], f4)],
     lambda x: sig(x.astype(f8)).astype(f4))
sp = lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)
case('softplus_float64', E('Softplus'), [A([0.0, 1.0, -1.0, 30.0, -30.0, 800.0, -800.0])], sp)
case('softplus_float32', E('Softplus'), [A([0.0, 1.0, -1.0, 30.0, -30.0, 100.0, -100.0], f4)],
     lambda x: sp(x.astype(f8)).astype(f4))
# ---- Theano 1.0's elementwise catalogue (theano.scalar.basic / basic_scipy, nnet.sigm)
# float64 and float32 data; integer inputs go to float (upgrade_to_float) and compute there.
# The special functions' float32 values are scipy's float32 loops (float64, rounded once).
import scipy.special as sps
inf, nan = np.inf, np.nan
CAT = [
    ('sin', 'Sin', np.sin, [-3.0, -0.5, 0.0, 0.5, 1.0, 2.0, 10.0, 1e6, inf, nan]),
    ('cos', 'Cos', np.cos, [-3.0, -0.5, 0.0, 0.5, 1.0, 2.0, 10.0, 1e6, inf, nan]),
    ('tan', 'Tan', np.tan, [-3.0, -0.5, 0.0, 0.5, 1.0, 2.0, 10.0, inf, nan]),
    ('arcsin', 'ArcSin', np.arcsin, [-1.0, -0.5, 0.0, 0.3, 1.0, 1.5, nan]),
    ('arccos', 'ArcCos', np.arccos, [-1.0, -0.5, 0.0, 0.3, 1.0, 1.5, nan]),
    ('arctan', 'ArcTan', np.arctan, [-inf, -3.0, 0.0, 0.5, 1e10, nan]),
    ('sinh', 'Sinh', np.sinh, [-3.0, -0.5, 0.0, 1e-10, 2.0, 800.0, -800.0, nan]),
    ('cosh', 'Cosh', np.cosh, [-3.0, -0.5, 0.0, 1e-10, 2.0, 800.0, nan]),
    ('arcsinh', 'ArcSinh', np.arcsinh, [-1e10, -3.0, 0.0, 1e-10, 0.5, 1e30, inf]),
    ('arccosh', 'ArcCosh', np.arccosh, [0.5, 1.0, 1.5, 10.0, 1e30, inf]),
    ('arctanh', 'ArcTanh', np.arctanh, [-1.0, -0.5, 0.0, 1e-10, 0.9, 1.0, 2.0]),
    ('exp2', 'Exp2', np.exp2, [-200.0, -3.0, -0.5, 0.0, 0.5, 10.0, 127.0, 2000.0, nan]),
    ('log2', 'Log2', np.log2, [0.0, -1.0, 1e-30, 0.5, 1.0, 3.0, 1024.0, inf]),
    ('log10', 'Log10', np.log10, [0.0, -1.0, 1e-30, 0.5, 1.0, 3.0, 1000.0, inf]),
    ('erf', 'Erf', sps.erf, [-inf, -3.0, -0.5, 0.0, 1e-10, 0.5, 2.0, 6.0, nan]),
    ('erfc', 'Erfc', sps.erfc, [-inf, -3.0, -0.5, 0.0, 0.5, 2.0, 5.0, 9.0, nan]),
    ('erfinv', 'Erfinv', sps.erfinv, [-1.0, -0.999, -0.5, 0.0, 1e-10, 0.3, 0.9, 0.999999, 1.0, 1.5, nan]),
    ('erfcinv', 'Erfcinv', sps.erfcinv, [0.0, 1e-30, 1e-10, 0.1, 0.5, 1.3, 1.9, 2.0, -0.1, 2.5, nan]),
    ('gamma', 'Gamma', sps.gamma, [-1.5, -0.5, 0.5, 1.0, 3.3, 10.0, 30.5, 200.0, -1.0, 0.0, nan]),
    ('gammaln', 'GammaLn', sps.gammaln, [-1.5, -0.5, 0.5, 3.3, 10.0, 1e5, 1e30, 0.0, -1.0, inf]),
    ('psi', 'Psi', sps.psi, [-1.5, -0.5, 0.25, 1.0, 3.3, 10.0, 100.0, 1e10, 0.0, -2.0, inf]),
    ('tri_gamma', 'TriGamma', lambda x: sps.polygamma(1, x).astype(x.dtype),
     [-1.5, -0.5, 0.25, 1.0, 3.3, 10.0, 100.0, 1e10, 0.0, -2.0, inf]),
    ('inv', 'Inv', lambda x: 1 / x, [-2.0, 0.0, -0.0, 0.5, 3.0, inf]),
    ('deg2rad', 'Deg2Rad', np.deg2rad, [-720.0, -90.0, 0.0, 1.0, 45.0, 123.456, inf]),
    ('rad2deg', 'Rad2Deg', np.rad2deg, [-7.0, -1.0, 0.0, 0.1, 3.14159, 1e30]),
    ('trunc', 'Trunc', np.trunc, [-2.5, -0.5, 0.5, 2.7, -0.0, inf, nan]),
    ('softsign', 'Softsign', lambda x: x / (x.dtype.type(1) + np.abs(x)), [-3.0, -0.5, 0.0, 2.0, 1e30, -inf]),
    ('ultra_fast_sigmoid', 'UltraFastSigmoid',
     lambda x: np.vectorize(ufs, otypes=[f8])(x.astype(f8)).astype(x.dtype),
     [-10.0, -4.0, -2.0, -0.5, 0.0, 0.5, 2.0, 3.5, 4.0, 10.0, nan]),
]
def ufs(x):
    # Theano 1.0's UltraFastScalarSigmoid.st_impl
    x = 0.5 * x
    if np.isnan(x):
        return nan
    a = abs(x)
    if a < 1.7:
        z = 1.5 * a / (1 + a)
    elif a < 3:
        z = 0.935409070603099 + 0.0458812946797165 * (a - 1.7)
    else:
        z = 0.99505475368673
    return 0.5 * ((z if x >= 0 else -z) + 1.)
for name, opn, fn, xs in CAT:
    case('%s_float64' % name, E(opn), [A(xs)], fn)
    case('%s_float32' % name, E(opn), [A(xs, f4)], fn)
case('sin_int8_gives_float32', E('Sin'), [A([0, 1, -2, 100], i1)], lambda x: np.sin(x.astype(f4)))
case('gamma_int32_gives_float64', E('Gamma'), [A([1, 5, -3, 0], i4)], lambda x: sps.gamma(x.astype(f8)))
case('erf_bool_gives_float32', E('Erf'), [A([True, False])], lambda x: sps.erf(x.astype(f4)))
case('inv_int16_gives_float32', E('Inv'), [A([3, -7, 0], i2)], lambda x: 1 / x.astype(f4))
case('trunc_uint8_gives_float32', E('Trunc'), [A([3, 200], u1)], lambda x: x.astype(f4))
case('arctan2_float64_broadcast', E('ArcTan2'),
     [A([[1.0], [-1.0], [0.0], [-0.0]]), A([1.0, -1.0, 0.0, -0.0, inf])], np.arctan2)
case('arctan2_float32', E('ArcTan2'), [A([1.0, -3.0, inf, nan], f4), A([2.0, -1.0, inf, 1.0], f4)], np.arctan2)
case('arctan2_int8_float32', E('ArcTan2'), [A([1, -3], i1), A([2.0, 0.5], f4)],
     lambda y, x: np.arctan2(y.astype(f4), x))
case('isnan_float64', E('IsNan'), [A([0.0, nan, inf, -inf, -nan])], np.isnan)
case('isinf_float32', E('IsInf'), [A([0.0, nan, inf, -inf, 3e38], f4)], np.isinf)
case('isnan_int32_all_false', E('IsNan'), [A([0, -1, 7], i4)], np.isnan)
case('isinf_bool_all_false', E('IsInf'), [A([True, False])], np.isinf)
rnd = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.6, -2.6, 0.49999999999999994]
case('floor_float64', E('Floor'), [A(rnd)], np.floor)
case('ceil_float32', E('Ceil'), [A(rnd, f4)], np.ceil)
case('floor_int16_gives_float32', E('Floor'), [A([-3, 4], i2)], lambda x: x.astype(f4))
case('round_half_to_even_float64', E('RoundHalfToEven'), [A(rnd)], np.round)
case('round_half_to_even_float32', E('RoundHalfToEven'), [A(rnd, f4)], np.round)
case('round_half_away_float64', E('RoundHalfAwayFromZero'), [A(rnd)],
     lambda x: np.where(np.abs(x - np.trunc(x)) == 0.5, x + np.copysign(0.5, x), np.round(x)))
case('maximum_nan_propagates', E('Maximum'), [A([1.0, np.nan, 3.0, -0.5]), A([np.nan, 2.0, 1.0, -1.0])], np.maximum)
case('minimum_nan_propagates', E('Minimum'), [A([1.0, np.nan, 3.0], f4), A([np.nan, 2.0, 1.0], f4)], np.minimum)
case('maximum_int8_uint8', E('Maximum'), [A([-1, 5], i1), A([255, 2], u1)], np.maximum)
case('minimum_bool', E('Minimum'), [A([True, True, False]), A([True, False, False])], np.minimum)
case('clip_float64', E('Clip'), [A([-2.0, 0.5, 3.0, np.nan]), A(0.0), A(1.0)],
     lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi))
case('clip_int32_broadcast', E('Clip'), [A([[-5, 0, 5, 10]], i4), A([[0], [2]], i4), A([[4]], i4)],
     lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi))
case('switch_bool_cond', E('Switch'), [A([[True, False, True]]), A([[1.0], [2.0]], f4), A([[-1, -2, -3]], i1)],
     lambda c, a, b: np.where(c, a, b))
case('switch_int_cond', E('Switch'), [A([0, 3, -1], i8), A([1, 2, 3], i8), A([7, 8, 9], i8)],
     lambda c, a, b: np.where(c, a, b))
case('switch_float_cond_nan_is_true', E('Switch'), [A([0.0, np.nan, -0.0]), A([1.0, 2.0, 3.0]), A([7.0, 8.0, 9.0])],
     lambda c, a, b: np.where(c, a, b))
for opn, fn in [('Gt', np.greater), ('Lt', np.less), ('Ge', np.greater_equal), ('Le', np.less_equal),
                ('Eq', np.equal), ('Neq', np.not_equal)]:
    case('%s_float64_int64_nan' % opn.lower(), E(opn), [A([1.0, 2.5, np.nan, 3.0]), A([1, 2, 3, 4], i8)], fn)
case('gt_int8_uint8', E('Gt'), [A([-1, 5, 100], i1), A([255, 2, 100], u1)], np.greater)
case('eq_bool_broadcast', E('Eq'), [A([[True], [False]]), A([[True, False]])], np.equal)
case('and_int16', E('And'), [A([12, -1, 5], i2), A([10, 7, 0], i2)], np.bitwise_and)
case('or_uint8', E('Or'), [A([12, 128, 5], u1), A([10, 1, 0], u1)], np.bitwise_or)
case('xor_int64', E('Xor'), [A([12, -1, 5], i8), A([10, 7, 5], i8)], np.bitwise_xor)
case('and_bool', E('And'), [A([True, True, False]), A([True, False, False])], np.logical_and)
case('xor_bool', E('Xor'), [A([True, True, False]), A([True, False, False])], np.logical_xor)
case('invert_int8', E('Invert'), [A([0, -1, 5, 127], i1)], np.invert)
case('invert_uint8', E('Invert'), [A([0, 255, 5], u1)], np.invert)
case('invert_bool', E('Invert'), [A([True, False])], np.invert)
case('second_fill', E('Second'), [A(np.zeros((2, 3))), A([[7]], i4)],
     lambda a, b: np.broadcast_to(b, np.broadcast_shapes(a.shape, b.shape)))
case('identity_transposed', E('Identity'), [In(np.arange(6, dtype=i1).reshape(2, 3), 'T')], lambda x: x.copy())
case('cast_float64_to_int8', 'Op::elemwise(ScalarOp::Cast(DType::Int8))', [A([-1.7, 0.0, 2.9, 127.9, -128.5])],
     lambda x: x.astype(i1))
case('cast_int64_to_uint8', 'Op::elemwise(ScalarOp::Cast(DType::UInt8))', [A([300, -1, 255], i8)],
     lambda x: x.astype(u1))
case('cast_float64_to_bool', 'Op::elemwise(ScalarOp::Cast(DType::Bool))', [A([0.0, -0.0, 0.5, np.nan])],
     lambda x: x.astype(b1))
case('cast_bool_to_float32', 'Op::elemwise(ScalarOp::Cast(DType::Float32))', [A([True, False])],
     lambda x: x.astype(f4))
case('cast_float64_to_float32', 'Op::elemwise(ScalarOp::Cast(DType::Float32))', [A([0.1, 1e40, -1e-50])],
     lambda x: x.astype(f4))
case('cast_int32_to_int16_wraps', 'Op::elemwise(ScalarOp::Cast(DType::Int16))', [A([70000, -70000], i4)],
     lambda x: x.astype(i2))

# ---------------------------------------------------------------- reductions
def R(kind, axes):
    ax = 'None' if axes is None else 'Some(vec![%s])' % ', '.join(str(a) for a in axes)
    return 'Op::Reduce { kind: ReduceKind::%s, axes: %s, dtype: None }' % (kind, ax)
def RD(kind, axes, dtype):
    ax = 'None' if axes is None else 'Some(vec![%s])' % ', '.join(str(a) for a in axes)
    return 'Op::Reduce { kind: ReduceKind::%s, axes: %s, dtype: Some(DType::%s) }' % (kind, ax, dtype)
t234 = np.arange(24.0).reshape(2, 3, 4) - 7.5
case('sum_f64_all', R('Sum', None), [A(m23)], lambda x: np.sum(x))
case('sum_f64_axis0', R('Sum', [0]), [A(m23)], lambda x: np.sum(x, axis=0))
case('sum_f64_axis1_transposed', R('Sum', [1]), [In(np.array(m23), 'T')], lambda x: np.sum(x, axis=1))
case('sum_f64_axes02', R('Sum', [0, 2]), [A(t234)], lambda x: np.sum(x, axis=(0, 2)))
case('sum_f64_no_axes', R('Sum', []), [A(m23)], lambda x: x.copy())
case('sum_int8_gives_int64', R('Sum', [0]), [A([[100, -100], [100, -100], [100, 27]], i1)],
     lambda x: np.sum(x, axis=0, dtype=i8))
case('sum_bool_gives_int64', R('Sum', None), [A([True, True, False])], lambda x: np.sum(x, dtype=i8))
case('sum_f32_accurate', R('Sum', None), [A([1e8, 1.0, 1.0, 1.0, 1.0, -1e8], f4)],
     lambda x: np.float32(np.sum(x.astype(f8))))
case('sum_empty_axis', R('Sum', [0]), [A(np.zeros((0, 3)))], lambda x: np.sum(x, axis=0))
case('sum_uint8_flipped', R('Sum', [1]), [In(np.arange(6, dtype=u1).reshape(2, 3) * 50, ('flip', 1))],
     lambda x: np.sum(x, axis=1))
case('prod_empty', R('Prod', None), [A(np.zeros((2, 0)))], lambda x: np.prod(x))
case('prod_int32_gives_int64', R('Prod', [1]), [A([[100000, 100000], [-3, 4]], i4)],
     lambda x: np.prod(x, axis=1, dtype=i8))
case('prod_f64_axis0', R('Prod', [0]), [A(m23)], lambda x: np.prod(x, axis=0))
case('max_f64_nan', R('Max', [1]), [A([[1.0, np.nan, 3.0], [4.0, 5.0, -1.0]])], lambda x: np.max(x, axis=1))
case('max_int8_axes02', R('Max', [0, 2]), [A((np.arange(24) * 37 % 255 - 128).reshape(2, 3, 4), i1)],
     lambda x: np.max(x, axis=(0, 2)))
case('min_f32_all', R('Min', None), [A([[3.0, -1.0], [np.inf, 2.0]], f4)], lambda x: np.min(x))
case('min_uint8_axis0_nonempty_out_empty', R('Min', [1]), [A(np.zeros((0, 3), u1))], lambda x: np.min(x, axis=1))
case('all_int_axis1', R('All', [1]), [A([[1, 2, 0], [3, 4, 5]], i4)], lambda x: np.all(x, axis=1))
case('any_f64_nan_is_true', R('Any', None), [A([0.0, np.nan])], lambda x: np.any(x))
case('all_empty_is_true', R('All', None), [A(np.zeros((0,)))], lambda x: np.all(x))
case('any_bool_axis0', R('Any', [0]), [A([[True, False], [False, False]])], lambda x: np.any(x, axis=0))

def MA(axes):
    return 'Op::MaxAndArgmax { axes: vec![%s] }' % ', '.join(str(a) for a in axes)
def max_argmax(x, axes):
    axes = tuple(sorted(axes))
    kept = [i for i in range(x.ndim) if i not in axes]
    y = np.transpose(x, kept + list(axes))
    y = y.reshape([x.shape[i] for i in kept] + [-1])
    return np.max(y, axis=-1), np.argmax(y, axis=-1).astype(i8)
case('max_and_argmax_ties_first', MA([1]), [A([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]])], lambda x: max_argmax(x, [1]))
case('max_and_argmax_nan', MA([1]), [A([[1.0, np.nan, 3.0, np.nan], [-np.inf, -np.inf, -np.inf, -np.inf]])],
     lambda x: max_argmax(x, [1]))
case('max_and_argmax_axes02', MA([0, 2]), [A((np.arange(24) * 7 % 11).reshape(2, 3, 4), i2)],
     lambda x: max_argmax(x, [0, 2]))
case('max_and_argmax_axis0_transposed', MA([0]), [In(np.array([[5, 1, 9], [7, 7, 2]], u1), 'T')],
     lambda x: max_argmax(x, [0]))
case('max_and_argmax_bool', MA([0]), [A([False, True, True])], lambda x: max_argmax(x, [0]))

# ---------------------------------------------------------------- dot, softmax
case('dot_vv', 'Op::Dot', [A([1.0, 2.0, 3.0]), A([4.0, -5.0, 6.0])], np.dot)
case('dot_mv', 'Op::Dot', [A(m23), A([1.0, 2.0, 3.0])], np.dot)
case('dot_vm', 'Op::Dot', [A([1.0, -1.0]), A(m23)], np.dot)
case('dot_mm', 'Op::Dot', [A(m23), In(np.array(m23), 'T')], np.dot)
case('dot_mm_f32', 'Op::Dot', [A(m23, f4), A(np.arange(6.0).reshape(3, 2), f4)], np.dot)
case('dot_mm_flipped', 'Op::Dot', [In(np.array(m23), ('flip', 1)), In(np.arange(12.0).reshape(3, 4), ('flip', 0))], np.dot)
case('dot_int8_wraps', 'Op::Dot', [A([[100, 100], [1, 2]], i1), A([[1, 1], [1, 3]], i1)], np.dot)
case('dot_int32_float64', 'Op::Dot', [A([[1, 2], [3, 4]], i4), A([0.5, 0.25])], np.dot)
case('dot_bool', 'Op::Dot', [A([[True, False], [False, False]]), A([[True, True], [True, False]])], np.dot)
case('dot_uint8_int8_gives_int16', 'Op::Dot', [A([200, 100], u1), A([2, 3], i1)], np.dot)
case('dot_zero_inner', 'Op::Dot', [A(np.zeros((2, 0))), A(np.zeros((0, 3)))], np.dot)
case('dot_zero_outer', 'Op::Dot', [A(np.zeros((0, 3))), A(np.ones((3, 2)))], np.dot)
def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
def log_softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=-1, keepdims=True))
sm = [[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0], [-np.inf, 0.0, 0.0]]
case('softmax_f64_stable', 'Op::Softmax', [A(sm)], softmax)
case('softmax_f32', 'Op::Softmax', [A(sm, f4)], lambda x: softmax(x.astype(f8)).astype(f4))
case('softmax_vector', 'Op::Softmax', [A([0.5, -1.0])], softmax)
case('softmax_transposed', 'Op::Softmax', [In(np.array(m23), 'T')], softmax)
case('softmax_zero_rows', 'Op::Softmax', [A(np.zeros((0, 3)))], softmax)
case('log_softmax_f64_stable', 'Op::LogSoftmax', [A(sm)], log_softmax)

# ---------------------------------------------------------------- shape ops
def DS(order):
    return 'Op::DimShuffle { new_order: vec![%s], inplace: false }' % ', '.join(
        'None' if o == 'x' else 'Some(%d)' % o for o in order)
case('dimshuffle_transpose', DS([1, 0]), [A(m23)], lambda x: x.T)
case('dimshuffle_insert', DS(['x', 0, 'x']), [A([1, 2, 3], i4)], lambda x: x[None, :, None])
case('dimshuffle_drop', DS([1]), [A([[1.0, 2.0, 3.0]])], lambda x: x[0])
case('dimshuffle_3d_flipped', DS([2, 'x', 0, 1]), [In(t234, ('flip', 2))], lambda x: np.transpose(x, (2, 0, 1))[:, None])
case('dimshuffle_scalar_to_row', DS(['x', 'x']), [A(np.float32(2.5))], lambda x: x.reshape(1, 1))
case('shape_3d', 'Op::Shape', [A(np.zeros((2, 0, 4), i1))], lambda x: np.array(x.shape, i8))
case('shape_i', 'Op::ShapeI(1)', [A(m23)], lambda x: np.array(x.shape[1], i8))
case('reshape_infer', 'Op::Reshape { ndim: 2 }', [A(np.arange(12, dtype=i4)), A([-1, 3], i8)], lambda x, s: x.reshape(s))
case('reshape_transposed', 'Op::Reshape { ndim: 1 }', [In(np.array(m23), 'T'), A([6], i4)], lambda x, s: x.reshape(s))
case('reshape_zero_size', 'Op::Reshape { ndim: 3 }', [A(np.zeros((0, 4))), A([2, 0, 4], i8)], lambda x, s: x.reshape(s))
case('reshape_to_scalar', 'Op::Reshape { ndim: 0 }', [A([5.0]), A(np.zeros(0, i8))], lambda x, s: x.reshape(()))
case('flatten_1', 'Op::Flatten { outdim: 1 }', [In(t234, 'T')], lambda x: x.reshape(-1))
case('flatten_2', 'Op::Flatten { outdim: 2 }', [In(t234, ('flip', 1))], lambda x: x.reshape(2, -1))
case('flatten_scalar', 'Op::Flatten { outdim: 1 }', [A(3.0)], lambda x: x.reshape(1))
def AR(d):
    return 'Op::ARange { dtype: DType::%s }' % d
case('arange_int', AR('Int64'), [A(0, i8), A(10, i8), A(3, i8)], lambda a, b, c: np.arange(a, b, c))
case('arange_negative_step', AR('Int64'), [A(10, i8), A(0, i8), A(-3, i8)], lambda a, b, c: np.arange(a, b, c))
case('arange_empty', AR('Int64'), [A(5, i1), A(0, i1), A(1, i1)], lambda a, b, c: np.arange(a, b, c, dtype=i8))
case('arange_float', AR('Float64'), [A(0.0), A(1.0), A(0.3)], lambda a, b, c: np.arange(a, b, c))
case('arange_float32', AR('Float32'), [A(1.0, f4), A(-1.0, f4), A(-0.5, f4)], lambda a, b, c: np.arange(a, b, c, dtype=f4))
case('alloc_broadcast_row', 'Op::Alloc', [A([1.0, 2.0, 3.0]), A(2, i8), A(3, i8)], lambda v, m, n: np.broadcast_to(v, (m, n)))
case('alloc_scalar', 'Op::Alloc', [A(7, i1), A(2, i4), A(2, i4)], lambda v, m, n: np.full((m, n), v))
case('alloc_zero', 'Op::Alloc', [A(True), A(0, i8)], lambda v, n: np.full((n,), v))
case('join_axis0_promotes', 'Op::Join { axis: 0 }', [A([[1, 2]], i1), A([[0.5, 1.5], [2.5, 3.5]], f4)],
     lambda a, b: np.concatenate([a, b]))
case('join_axis1_noncontig', 'Op::Join { axis: 1 }', [In(np.array(m23), ('flip', 0)), A(np.zeros((2, 0))),
                                                      In(np.arange(4.0).reshape(2, 2), 'T')],
     lambda a, b, c: np.concatenate([a, b, c], axis=1))
case('make_vector', 'Op::MakeVector { dtype: DType::Float32 }', [A(1, i1), A(2.5), A(True)],
     lambda a, b, c: np.array([a, b, c], f4))
case('make_vector_int64', 'Op::MakeVector { dtype: DType::Int64 }', [A(1, i1), A(300, i2)],
     lambda a, b: np.array([a, b], i8))

# ---------------------------------------------------------------- indexing
def ST(entries, inc=None):
    """entries: list of int (index) or (start, stop, step) with None for absent."""
    es, ins = [], []
    for e in entries:
        if isinstance(e, tuple):
            parts = ['Some(DType::Int64)' if v is not None else 'None' for v in e]
            es.append('IdxEntry::Slice { start: %s, stop: %s, step: %s }' % tuple(parts))
            ins += [A(v, i8) for v in e if v is not None]
        else:
            es.append('IdxEntry::Index(DType::Int64)')
            ins.append(A(e, i8))
    if inc is None:
        return 'Op::Subtensor { idx: vec![%s] }' % ', '.join(es), ins
    return 'Op::IncSubtensor { idx: vec![%s], set: %s, inplace: false }' % (', '.join(es), inc), ins
def pyidx(entries):
    return tuple(slice(*e) if isinstance(e, tuple) else e for e in entries)
m45 = np.arange(20, dtype=i4).reshape(4, 5)
for name, ents, base in [
    ('sub_index', [1], A(m45)),
    ('sub_index_negative', [-1], A(m45)),
    ('sub_slice_from', [(1, None, None)], A(m45)),
    ('sub_reverse', [(None, None, -1)], A(m45)),
    ('sub_reverse_step2', [(None, None, None), (None, None, -2)], A(m45)),
    ('sub_clipped_bounds', [(-100, 100, None), (3, 100, None)], A(m45)),
    ('sub_neg_step_bounds', [(5, 1, -2)], A(m45)),
    ('sub_neg_step_neg_bounds', [(-1, -4, -1), (-2, None, -3)], A(m45)),
    ('sub_index_then_slice', [2, (None, None, -1)], A(m45)),
    ('sub_empty_slice', [(3, 1, None)], A(m45)),
    ('sub_flipped_input', [(1, 3, None), 0], In(m45, ('flip', 0))),
    ('sub_transposed_input', [-2], In(m45, 'T')),
    ('sub_scalar_from_vector', [3], A([1.5, 2.5, 3.5, 4.5])),
    ('sub_zero_size', [(None, None, None), (1, 2, None)], A(np.zeros((0, 3), f4))),
]:
    op, ins = ST(ents)
    case(name, op, [base] + ins, lambda x, *_, ents=ents: x[pyidx(ents)])
def incsub(x, y, ents, set_):
    x = x.copy()
    if set_:
        x[pyidx(ents)] = y
    else:
        x[pyidx(ents)] += y
    return x
for name, ents, base, y, set_ in [
    ('set_sub_slice_broadcast', [(1, 3, None)], A(m45), A([[100]], i4), True),
    ('inc_sub_reverse_rows', [(None, None, -2)], A(m45), A([1, 2, 3, 4, 5], i4), False),
    ('inc_sub_index', [2, (None, None, 2)], A(m45.astype(f8)), A([0.5, 1.5, 2.5]), False),
    ('set_sub_int8_value_into_float32', [-1], A(m45.astype(f4)), A(-3, i1), True),
    ('inc_sub_transposed_x', [(1, None, None)], In(m45, 'T'), A([[1, 10, 100, 1000]], i4), False),
    ('inc_sub_empty_region', [(3, 1, None)], A(m45), A(9, i4), False),
]:
    op, ins = ST(ents, 'true' if set_ else 'false')
    case(name, op, [base, y] + ins, lambda x, y, *_, ents=ents, s=set_: incsub(x, y, ents, s))

case('adv1_rows', 'Op::AdvancedSubtensor1', [A(m45), A([2, 0, 2, -1], i8)], lambda x, i: x[i])
case('adv1_vector_int8_index', 'Op::AdvancedSubtensor1', [A([1.5, 2.5, 3.5]), A([-3, 2], i1)], lambda x, i: x[i])
case('adv1_empty_index', 'Op::AdvancedSubtensor1', [A(m45), A(np.zeros(0, i4))], lambda x, i: x[i])
case('adv1_flipped', 'Op::AdvancedSubtensor1', [In(m45, ('flip', 1)), A([3, 1], i4)], lambda x, i: x[i])
def ADV(entries):
    return 'Op::AdvancedSubtensor { idx: vec![%s] }' % ', '.join(
        'AdvEntry::Full' if e == ':' else 'AdvEntry::Array' for e in entries)
def advidx(entries, arrays):
    it = iter(arrays)
    return tuple(slice(None) if e == ':' else next(it) for e in entries)
t345 = np.arange(60, dtype=i2).reshape(3, 4, 5)
for name, ents, base, arrs in [
    ('adv_two_arrays', ['a', 'a'], A(m45), [A([0, 3, -1], i8), A([4, 0, 2], i8)]),
    ('adv_adjacent_middle', [':', 'a', 'a'], A(t345), [A([0, 3], i8), A([1, -1], i4)]),
    ('adv_non_adjacent', ['a', ':', 'a'], A(t345), [A([0, 2], i8), A([1, 4], i8)]),
    ('adv_broadcast_arrays', ['a', 'a'], A(m45), [A([[0], [3]], i8), A([1, 2, 4], i8)]),
    ('adv_scalar_and_array', [':', 'a', 'a'], A(t345), [A(2, i8), A([[0, 1], [2, 3]], i8)]),
    ('adv_2d_index_first_axis', ['a'], A(m45), [A([[0, 1], [3, 3]], i8)]),
    ('adv_last_axis_transposed', [':', 'a'], In(m45, 'T'), [A([3, 0], i8)]),
    ('adv_zero_size_index', [':', 'a'], A(m45), [A(np.zeros((0, 2), i8))]),
]:
    op = ADV(ents)
    case(name, op, [base] + arrs, lambda x, *a, ents=ents: x[advidx(ents, a)])

def advinc(x, y, ents, arrays, set_):
    x = x.copy()
    if set_:
        x[advidx(ents, arrays)] = y
    else:
        np.add.at(x, advidx(ents, arrays), y)
    return x
case('adv1_inc_repeated_accumulates', 'Op::AdvancedIncSubtensor1 { set: false, inplace: false }',
     [A(m45.astype(f8)), A([[1.0, 2.0, 3.0, 4.0, 5.0]]), A([0, 0, 2, -4], i8)],
     lambda x, y, i: advinc(x, y, ['a'], [i], False))
case('adv1_set_repeated_last_wins', 'Op::AdvancedIncSubtensor1 { set: true, inplace: false }',
     [A([0, 0, 0, 0], i4), A([1, 2, 3], i4), A([1, 1, 3], i8)],
     lambda x, y, i: advinc(x, y, ['a'], [i], True))
case('adv1_inc_int8_wraps', 'Op::AdvancedIncSubtensor1 { set: false, inplace: false }',
     [A([100, 0], i1), A(100, i1), A([0, 0], i8)],
     lambda x, y, i: advinc(x, y, ['a'], [i], False))
def ADVI(entries, set_):
    return 'Op::AdvancedIncSubtensor { idx: vec![%s], set: %s, inplace: false }' % (', '.join(
        'AdvEntry::Full' if e == ':' else 'AdvEntry::Array' for e in entries), 'true' if set_ else 'false')
for name, ents, base, y, arrs, set_ in [
    ('adv_inc_two_arrays_repeated', ['a', 'a'], A(m45), A([10, 20, 30], i4), [A([0, 0, 3], i8), A([1, 1, 2], i8)], False),
    ('adv_set_two_arrays_repeated', ['a', 'a'], A(m45), A([10, 20, 30], i4), [A([0, 0, 3], i8), A([1, 1, 2], i8)], True),
    ('adv_inc_adjacent_middle', [':', 'a', 'a'], A(t345), A([[1], [2], [3]], i2), [A([0, 0], i8), A([1, 1], i8)], False),
    ('adv_inc_non_adjacent', ['a', ':', 'a'], A(t345), A([[1, 2, 3, 4], [5, 6, 7, 8]], i2), [A([0, 2], i8), A([1, 4], i8)], False),
    ('adv_set_column_broadcast', [':', 'a'], A(m45.astype(f4)), A(-1.0, f4), [A([4, 0], i8)], True),
]:
    case(name, ADVI(ents, set_), [base, y] + arrs,
         lambda x, y, *a, ents=ents, s=set_: advinc(x, y, ents, a, s))

# ---------------------------------------------------------------- extra_ops and sort (exact
# operations: every numpy version computes these values alike)
def CUM(axis, mode):
    return 'Op::CumOp { axis: %s, mode: CumMode::%s }' % (
        'None' if axis is None else 'Some(%d)' % axis, mode)
SORT = 'Op::Sort { kind: SortKind::Quicksort }'
ARGSORT = 'Op::ArgSort { kind: SortKind::Quicksort }'
def REP(axis):
    return 'Op::Repeat { axis: %s }' % ('None' if axis is None else 'Some(%d)' % axis)
def nonzero(x):
    return np.array(np.nonzero(x), dtype=i8).reshape(x.ndim, -1)
case('cumsum_f64_flat', CUM(None, 'Add'), [A(m23)], lambda x: np.cumsum(x))
case('cumsum_f64_axis_neg1_transposed', CUM(-1, 'Add'), [In(np.array(m23), 'T')], lambda x: np.cumsum(x, -1))
case('cumsum_int8_wraps', CUM(0, 'Add'), [A([100, 100, 100, -128], i1)], lambda x: np.cumsum(x, 0, dtype=x.dtype))
case('cumprod_f32_axis0_flipped', CUM(0, 'Mul'), [In(np.array(m23, f4), ('flip', 0))], lambda x: np.cumprod(x, 0))
case('cumprod_uint8_wraps', CUM(None, 'Mul'), [A([[16, 16], [2, 3]], u1)], lambda x: np.cumprod(x, dtype=x.dtype))
case('cumsum_bool_is_or', CUM(None, 'Add'), [A([False, True, False])], lambda x: np.logical_or.accumulate(x))
case('cumprod_bool_is_and', CUM(1, 'Mul'), [A([[True, False, True], [True, True, True]])],
     lambda x: np.logical_and.accumulate(x, 1))
case('cumsum_zero_size', CUM(1, 'Add'), [A(np.zeros((2, 0)))], lambda x: np.cumsum(x, 1))
case('sort_f64_nan_last', SORT, [A([3.0, np.nan, 1.0, -np.inf, 2.0, -0.0]), A(-1, i1)], lambda x, a: np.sort(x, int(a)))
case('sort_int16_axis0_flipped', SORT, [In(np.arange(12, dtype=i2).reshape(3, 4) * 7 % 5, ('flip', 0)), A(0, i1)],
     lambda x, a: np.sort(x, int(a)))
case('sort_f32_axis1_strided', SORT, [In(np.array([[5, 1, 4, 2, 3, 0], [0, 9, -1, 8, -2, 7]], f4), ('every2', 1)), A(1, i8)],
     lambda x, a: np.sort(x, int(a)))
case('argsort_f32_stable_ties', ARGSORT, [A([[2, 1, 2, 1], [0, 0, 5, -1]], f4), A(1, i8)],
     lambda x, a: np.argsort(x, int(a), kind='stable'))
case('argsort_bool_axis_neg2', ARGSORT, [A([[True, False], [False, False], [True, True]]), A(-2, i1)],
     lambda x, a: np.argsort(x, int(a), kind='stable'))
case('argsort_f64_nan_transposed', ARGSORT, [In(np.array([[1.0, np.nan], [np.nan, -1.0], [0.5, 0.5]]), 'T'), A(1, i4)],
     lambda x, a: np.argsort(x, int(a), kind='stable'))
case('repeat_counts_axis1', REP(1), [A(m23), A([1, 0, 2], i8)], lambda x, r: np.repeat(x, r, 1))
case('repeat_scalar_flat_int8', REP(None), [A([[1, 2], [3, 4]], i1), A(2, i4)], lambda x, r: np.repeat(x, r))
case('repeat_counts_flat_uint8', REP(None), [A([[1, 2], [3, 4]], u1), A([0, 1, 2, 3], i8)], lambda x, r: np.repeat(x, r))
case('repeat_len1_counts_axis_neg1', REP(-1), [In(np.arange(6.0).reshape(2, 3), 'T'), A([2], i1)],
     lambda x, r: np.repeat(x, r, -1))
case('repeat_zero_counts', REP(0), [A(m23), A(0, i8)], lambda x, r: np.repeat(x, r, 0))
case('nonzero_f64_nan_negzero', 'Op::Nonzero', [A([[0.0, np.nan], [-0.0, 2.0]])], nonzero)
case('nonzero_int8_3d_flipped', 'Op::Nonzero', [In(np.arange(12, dtype=i1).reshape(2, 3, 2) % 3, ('flip', 1))], nonzero)
case('nonzero_bool_none', 'Op::Nonzero', [A([[False, False, False]])], nonzero)
# ---------------------------------------------------------------- matrix constructions (Theano's Eye, Tri,
# ExtractDiag, AllocDiag, BatchedDot, SoftmaxWithBias)
def EYE(d):
    return 'Op::Eye { dtype: DType::%s }' % DT[np.dtype(d)]
def TRI(d):
    return 'Op::Tri { dtype: DType::%s }' % DT[np.dtype(d)]
for name, n, m, k, d in [('3_3_0', 3, 3, 0, f8), ('2_4_1', 2, 4, 1, f8), ('4_2_m1', 4, 2, -1, i4),
                         ('3_3_5', 3, 3, 5, f4), ('0_3_0', 0, 3, 0, f8), ('3_2_m7', 3, 2, -7, b1)]:
    case('eye_' + name, EYE(d), [A(n, i8), A(m, i4), A(k, i1)],
         lambda n, m, k, d=d: np.eye(int(n), int(m), int(k), dtype=d))
    case('tri_' + name, TRI(d), [A(n, i8), A(m, i4), A(k, i1)],
         lambda n, m, k, d=d: np.tri(int(n), int(m), int(k), dtype=d))
def XD(offset, a1, a2):
    return 'Op::ExtractDiag { offset: %d, axis1: %d, axis2: %d }' % (offset, a1, a2)
t234 = np.arange(24.0).reshape(2, 3, 4) - 7.5
for name, x, off, a1, a2 in [
    ('m23_0', A(m23), 0, 0, 1), ('m23_1', A(m23), 1, 0, 1), ('m23_m1', A(m23), -1, 0, 1),
    ('m23_5', A(m23), 5, 0, 1), ('m23_swapped_1', A(m23), 1, 1, 0),
    ('m23_flipped_t', In(np.array(m23), ('flip', 1), 'T'), 1, 0, 1),
    ('int8', A([[1, -2, 3], [4, 5, -6], [7, 8, 9]], i1), -1, 0, 1),
    ('t234_1_2', A(t234), 0, 1, 2), ('t234_0_2', A(t234, f4), 2, 0, 2),
    ('t234_2_0', A(t234), -1, 2, 0), ('t234_every2', In(t234, ('every2', 2)), 0, 1, 2),
    ('empty', A(np.zeros((0, 3))), 0, 0, 1),
]:
    case('extract_diag_' + name, XD(off, a1, a2), [x],
         lambda x, o=off, p=a1, q=a2: np.diagonal(x, o, p, q).copy())
def AD(offset, a1, a2):
    return 'Op::AllocDiag { offset: %d, axis1: %d, axis2: %d }' % (offset, a1, a2)
def alloc_diag(x, offset, a1, a2):
    # x's last axis on diagonal `offset` of two new axes of length n + |offset|, placed at
    # min(a1, a2) (rows) and max(a1, a2) (columns) of the result
    n = x.shape[-1]
    side = n + abs(offset)
    out = np.zeros(x.shape[:-1] + (side, side), dtype=x.dtype)
    i = np.arange(n)
    out[..., i + max(0, -offset), i + max(0, offset)] = x
    lo, hi = min(a1, a2), max(a1, a2)
    return np.moveaxis(out, [-2, -1], [lo, hi])
for name, x, off, a1, a2 in [
    ('v_0', A([1.5, -2.0, 3.0]), 0, 0, 1), ('v_2', A([1.5, -2.0, 3.0]), 2, 0, 1),
    ('v_m1_int32', A([7, 8], i4), -1, 0, 1), ('v_flipped', In(np.array([1.0, 2.0, 3.0]), ('flip', 0)), 1, 0, 1),
    ('m23_0_1', A(m23), 0, 0, 1), ('m23_1_2', A(m23, f4), 1, 1, 2), ('m23_0_2', A(m23), -2, 0, 2),
    ('m23_2_0', A(m23), 1, 2, 0), ('t234_0_3', A(t234), 0, 0, 3),
    ('empty', A(np.zeros((2, 0))), 1, 0, 1),
]:
    case('alloc_diag_' + name, AD(off, a1, a2), [x],
         lambda x, o=off, p=a1, q=a2: alloc_diag(x, o, p, q))
def batched_dot(a, b):
    return np.stack([np.dot(a[i], b[i]) for i in range(a.shape[0])]) if a.shape[0] else \
        np.zeros((0,) + a.shape[1:-1] + b.shape[2:], dtype=np.result_type(a, b))
t232 = np.arange(12.0).reshape(2, 3, 2) * 0.5 - 1.0
for name, a, b in [
    ('t3_t3', A(t234[:, :2, :3]), A(t232)), ('t3_m', A(t234), A([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.25, 2.0]])),
    ('m_t3', A(m23), A(t234)), ('m_m', A(m23), A([[1.0, 0.5, -1.0], [2.0, 2.0, 2.0]])),
    ('f32', A(t234[:, :2, :3], f4), A(t232, f4)), ('int16_wraps', A([[[200, 100]], [[1, 2]]], i2), A([[[200], [300]], [[3], [4]]], i2)),
    ('flipped_t', In(t234, ('flip', 0)), In(np.arange(16.0).reshape(2, 4, 2), 'T', ('flip', 1))),
    ('batch_0', A(np.zeros((0, 2, 3))), A(np.zeros((0, 3, 4)))),
    ('inner_0', A(np.zeros((2, 3, 0))), A(np.zeros((2, 0, 4)))),
]:
    case('batched_dot_' + name, 'Op::BatchedDot', [a, b], batched_dot)
def softmax_with_bias(x, b):
    z = x + b[None, :]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
for name, x, b in [
    ('m23', A(m23), A([0.5, -1.0, 2.0])), ('f32', A(m23, f4), A([0.5, -1.0, 2.0], f4)),
    ('large', A([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]]), A([-1000.0, 0.0, 5.0])),
    ('flipped', In(np.array(m23), ('flip', 0)), In(np.array([1.0, 2.0, 3.0]), ('flip', 0))),
    ('rows_0', A(np.zeros((0, 3))), A([1.0, 2.0, 3.0])),
]:
    case('softmax_with_bias_' + name, 'Op::SoftmaxWithBias', [x, b], softmax_with_bias)

# unsigned 16/32/64-bit integers (numpy's wrapping, promotion and casts)
u2, u4, u8_ = np.uint16, np.uint32, np.uint64
BIG = 2**64 - 1
case('add_uint16_wraps', E('Add'), [A([65535, 1, 300], u2), A([1, 2, 65535], u2)], np.add)
case('mul_uint32_wraps', E('Mul'), [A([4294967295, 65536, 3], u4), A([2, 65536, 5], u4)], np.multiply)
case('sub_uint64_wraps', E('Sub'), [A([0, BIG, 5], u8_), A([1, BIG, 7], u8_)], np.subtract)
case('add_uint64_int64_gives_float64', E('Add'), [A([BIG, 3], u8_), A([-1, 4], i8)], np.add)
case('add_uint32_int32_gives_int64', E('Add'), [A([4294967295, 3], u4), A([-1, 4], i4)], np.add)
case('add_uint16_int8_gives_int32', E('Add'), [A([65535, 3], u2), A([-1, 4], i1)], np.add)
case('int_div_uint32', E('IntDiv'), [A([7, 0, 4294967295, 9], u4), A([2, 5, 0, 4294967295], u4)], np.floor_divide)
case('mod_uint16', E('Mod'), [A([7, 0, 65535, 9], u2), A([2, 5, 0, 65535], u2)], np.remainder)
case('int_div_uint64_big', E('IntDiv'), [A([BIG, 2**63, 10], u8_), A([2, 3, 2**63], u8_)], np.floor_divide)
case('gt_uint32_int32', E('Gt'), [A([4294967295, 0, 5], u4), A([-1, 0, 7], i4)], np.greater)
case('lt_uint64', E('Lt'), [A([BIG, 0, 2**63], u8_), A([2**63, 1, BIG], u8_)], np.less)
case('maximum_uint32', E('Maximum'), [A([4294967295, 0, 5], u4), A([2**31, 1, 4], u4)], np.maximum)
case('minimum_uint64', E('Minimum'), [A([BIG, 0, 2**63], u8_), A([2**63, 1, 5], u8_)], np.minimum)
case('neg_uint32_wraps', E('Neg'), [A([0, 1, 4294967295], u4)], np.negative)
case('abs_uint64', E('Abs'), [A([0, 1, BIG], u8_)], np.abs)
case('sgn_uint16', E('Sgn'), [A([0, 1, 65535], u2)], np.sign)
case('cast_float64_to_uint64', 'Op::elemwise(ScalarOp::Cast(DType::UInt64))', [A([1e19, 3.7, 0.0, 2.0**63])],
     lambda x: x.astype(u8_))
case('cast_uint64_to_float64', 'Op::elemwise(ScalarOp::Cast(DType::Float64))', [A([BIG, 5, 2**63], u8_)],
     lambda x: x.astype(f8))
case('cast_int64_to_uint16', 'Op::elemwise(ScalarOp::Cast(DType::UInt16))', [A([70000, -1, 65535], i8)],
     lambda x: x.astype(u2))
case('cast_uint32_to_int8', 'Op::elemwise(ScalarOp::Cast(DType::Int8))', [A([4294967295, 128, 5], u4)],
     lambda x: x.astype(i1))
case('sum_uint16_gives_uint64', R('Sum', None), [A([[65535, 65535], [1, 2]], u2)], lambda x: np.sum(x))
case('sum_uint64_wraps', R('Sum', [0]), [A([[BIG, 5], [2, 2**63]], u8_)], lambda x: np.sum(x, axis=0))
case('prod_uint32_gives_uint64', R('Prod', [1]), [A([[65536, 65536], [4294967295, 2]], u4)],
     lambda x: np.prod(x, axis=1))
case('max_uint32_above_int32', R('Max', None), [A([5, 4294967295, 2**31], u4)], lambda x: np.max(x))
case('min_uint64_above_int64', R('Min', [0]), [A([[BIG, 2**63], [2**63, BIG]], u8_)], lambda x: np.min(x, axis=0))
case('sum_int8_dtype_int8_wraps', RD('Sum', None, 'Int8'), [A([100, 100, -5], i1)],
     lambda x: np.sum(x, dtype=i1))
case('sum_float64_dtype_float32', RD('Sum', [1], 'Float32'), [A([[1e8, 1.0, -1e8], [0.1, 0.2, 0.3]])],
     lambda x: np.sum(x, axis=1).astype(f4))
case('prod_uint8_dtype_uint8_wraps', RD('Prod', None, 'UInt8'), [A([16, 17, 3], u1)],
     lambda x: np.prod(x, dtype=u1))

import scipy
print('//! Generated by tests/gen/numpy_cases.py (numpy %s, scipy %s): expected values are numpy\'s and scipy\'s.' % (np.__version__, scipy.__version__))
print('//! The case table, shared by crates/interp/tests/numpy_cases.rs (each op through `perform`)')
print('//! and tests/numpy_cases_jit.rs (each op compiled through the facade on linker=jit): each test')
print('//! runs one op with its parent module\'s `common::check` and compares dtype, shape and values.')
print('//! Regenerate: python3 crates/interp/tests/gen/numpy_cases.py > crates/interp/tests/gen/numpy_case_table.rs')
print()
print('#![allow(clippy::approx_constant, clippy::excessive_precision)]')
print()
print('use super::common::*;')
print('use theano_ir::{AdvEntry, CumMode, IdxEntry, Op, ReduceKind, ScalarOp, SortKind};')
print('use theano_tensor::DType;')
print()
print('\n'.join(OUT))
