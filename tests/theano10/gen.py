#!/usr/bin/env python
"""Generate tests/theano10/corpus.json with the real Theano 1.0.5.

Regenerate (from the repository root):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx=,optimizer=fast_run \
        /tmp/theano10/bin/python -W ignore tests/theano10/gen.py

See tests/theano10/README.md for the schema.  The output is deterministic:
every record draws its inputs from its own numpy RandomState seeded with
crc32(id), keys are sorted, and records keep the order in which they are
declared below.
"""
from __future__ import print_function

import collections
import json
import re
import math
import os
import sys
import time
import warnings
import zlib

import numpy as np

warnings.simplefilter("ignore")

import theano  # noqa: E402
import theano.tensor as T  # noqa: E402
from theano import printing  # noqa: E402

# No "Backtrace when that variable is created" (file paths, line numbers) in
# the recorded error messages: keep them independent of this file's layout.
theano.config.traceback.limit = 0

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus.json")

SHAPES = {0: (), 1: (3,), 2: (2, 3), 3: (2, 2, 3)}
FLOATS = ("float16", "float32", "float64")


# --------------------------------------------------------------------------
# value encoding
# --------------------------------------------------------------------------

def enc_scalar(v, dtype):
    if dtype == "bool":
        return bool(v)
    if dtype.startswith("int") or dtype.startswith("uint"):
        return int(v)
    if dtype.startswith("complex"):
        return [enc_scalar(v.real, "float64"), enc_scalar(v.imag, "float64")]
    f = float(v)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    if dtype == "float32":
        # shortest repr that round-trips as float32
        return float(repr(np.float32(v)))
    return f


def enc_array(a):
    a = np.asarray(a)
    dt = str(a.dtype)

    def rec(x):
        if x.ndim == 0:
            return enc_scalar(x[()], dt)
        return [rec(x[i]) for i in range(x.shape[0])]

    return {"dtype": dt, "shape": list(a.shape), "data": rec(a)}


def exc(e):
    msg = str(e).replace(HERE, "<tests/theano10>")
    # Runtime errors list the input values, which may include uninitialized
    # memory (AllocEmpty): redact that line to keep the corpus deterministic.
    msg = re.sub(r"(?m)^Inputs values: .*$", "Inputs values: <redacted>", msg)
    if len(msg) > 2000:
        msg = msg[:2000] + "...[truncated]"
    return {"error": type(e).__name__, "message": msg}


def safe(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        return exc(e)


# --------------------------------------------------------------------------
# seeded input values
# --------------------------------------------------------------------------

def gen_value(rng, dtype, shape, domain):
    size = int(np.prod(shape)) if shape else 1
    if dtype == "bool":
        v = rng.randint(0, 2, size=size).astype(bool)
    elif dtype.startswith("int") or dtype.startswith("uint"):
        if domain == "nz":  # nonzero ints (divisors)
            v = rng.randint(1, 5, size=size) * rng.choice([-1, 1], size=size)
            if dtype.startswith("uint"):
                v = np.abs(v)
        elif domain == "pos":
            v = rng.randint(1, 6, size=size)
        elif domain == "small":
            v = rng.randint(0, 4, size=size)
        elif dtype.startswith("uint"):
            v = rng.randint(0, 10, size=size)
        else:
            v = rng.randint(-5, 6, size=size)
    else:
        if domain == "real":
            v = rng.uniform(-2.0, 2.0, size=size)
        elif domain == "pos":
            v = rng.uniform(0.1, 3.0, size=size)
        elif domain == "unit":
            v = rng.uniform(-0.9, 0.9, size=size)
        elif domain == "prob":
            v = rng.uniform(0.05, 0.95, size=size)
        elif domain == "ge1":
            v = rng.uniform(1.1, 4.0, size=size)
        elif domain == "lt2":
            v = rng.uniform(0.1, 1.9, size=size)
        elif domain == "nz":
            v = rng.uniform(0.5, 2.5, size=size) * rng.choice([-1.0, 1.0], size=size)
        elif domain == "halves":
            base = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -1.2, 0.7, 3.5, -3.5, 2.2, 0.0])
            v = np.resize(base, size)
        elif domain == "special":
            base = np.array([np.nan, np.inf, -np.inf, 0.0, 1.5, -2.0, np.nan, 3.0, -np.inf, 1.0, 0.5, -0.5])
            v = np.resize(base, size)
        elif domain == "neg":  # out of domain for log/sqrt
            v = rng.uniform(-3.0, -0.1, size=size)
        elif domain == "zero":
            v = np.zeros(size)
        elif domain == "big":  # out of domain for arcsin/arccos/arctanh
            v = rng.uniform(1.5, 3.0, size=size)
        elif domain == "halfunit":  # arccosh out of domain
            v = rng.uniform(-0.5, 0.9, size=size)
        elif domain in ("small", "int"):
            v = rng.randint(0 if domain == "small" else -5, 4 if domain == "small" else 6, size=size).astype("float64")
        elif domain == "edge":  # mix of 0, +-1 for erfinv / arctanh edge
            base = np.array([-1.0, 0.0, 1.0, 2.0, -2.0, 0.5])
            v = np.resize(base, size)
        else:
            raise ValueError(domain)
        if domain not in ("halves", "special", "zero", "edge"):
            v = np.round(v, 4)
    v = np.asarray(v).astype(dtype).reshape(shape)
    return v


class Inp(object):
    """An input: name, dtype, rank (or explicit broadcastable), value domain."""

    def __init__(self, name, dtype="float64", rank=1, domain="real", bcast=None,
                 shape=None, value=None):
        self.name = name
        self.dtype = dtype
        if bcast is None:
            bcast = (False,) * rank
        self.bcast = tuple(bcast)
        if shape is None and value is not None:
            shape = np.shape(value)
        if shape is None:
            shape = tuple(1 if b else s for b, s in zip(self.bcast, SHAPES[len(self.bcast)]))
        self.shape = tuple(shape)
        self.domain = domain
        self.value = value

    def var(self):
        return T.TensorType(self.dtype, self.bcast)(self.name)

    def make_value(self, rng):
        if self.value is not None:
            return np.asarray(self.value, dtype=self.dtype).reshape(self.shape)
        return gen_value(rng, self.dtype, self.shape, self.domain)


def I(name, dtype="float64", rank=1, domain="real", **kw):  # noqa: E743
    return Inp(name, dtype, rank, domain, **kw)


# --------------------------------------------------------------------------
# recording
# --------------------------------------------------------------------------

RECORDS = []
BAD = []
SEEN = set()


def type_info(v):
    return {"type": str(v.type), "dtype": v.dtype, "broadcastable": list(v.broadcastable),
            "ndim": v.ndim}


def eval_env(vars_):
    env = {"T": T, "theano": theano, "np": np, "nnet": T.nnet}
    env.update(vars_)
    return env


def is_missing_attr(e):
    return isinstance(e, AttributeError) and "has no attribute" in str(e) and "module" in str(e)


def compile_fn(inputs, outputs):
    return theano.function(inputs, outputs, on_unused_input="ignore", name="f")


def new_record(id_, into, **fields):
    """A new record `id_` (each id once) with `fields`, appended to `into` (RECORDS or BAD)."""
    assert id_ not in SEEN, id_
    SEEN.add(id_)
    rec = collections.OrderedDict([("id", id_)])
    rec.update(fields)
    into.append(rec)
    return rec


def seeded_rng(id_):
    """The input generator of record `id_`: seeded by its id, so records are independent."""
    return np.random.RandomState(zlib.crc32(id_.encode("utf-8")) & 0x7FFFFFFF)


def case(op, id_, source, inputs, grad=True, domain_note=None):
    """Build `source` (a Python expression over the input names, T, nnet, np,
    theano), record its printed forms, the optimized graph, values and
    gradients."""
    rec = new_record(id_, RECORDS, op=op, source=source)
    if domain_note:
        rec["note"] = domain_note
    rec["inputs"] = [{"name": i.name, "dtype": i.dtype, "broadcastable": list(i.bcast)}
                     for i in inputs]
    rng = seeded_rng(id_)
    vals = [i.make_value(rng) for i in inputs]
    for d, v in zip(rec["inputs"], vals):
        d["value"] = enc_array(v)
    try:
        vars_ = [i.var() for i in inputs]
        env = eval_env({i.name: v for i, v in zip(inputs, vars_)})
        try:
            out = eval(source, env)
        except Exception as e:  # noqa: BLE001
            if is_missing_attr(e):
                rec["missing"] = str(e)
                return rec
            raise
        out = T.as_tensor_variable(out)
        record_expr(rec, vars_, out, vals, grad=grad)
    except Exception as e:  # noqa: BLE001
        rec.update(exc(e))
    return rec


def record_expr(rec, vars_, out, vals, grad=True, givens_shared=None):
    rec["pp"] = safe(lambda: printing.pp(out))
    rec["debugprint"] = safe(lambda: printing.debugprint(out, file="str"))
    rec["output_type"] = type_info(out)
    f = compile_fn(vars_, out)
    rec["optimized"] = {
        "pp": safe(lambda: printing.pp(f.maker.fgraph.outputs[0])),
        "debugprint": safe(lambda: printing.debugprint(f, file="str")),
    }
    try:
        rec["output"] = enc_array(f(*vals))
    except Exception as e:  # noqa: BLE001
        rec["output"] = exc(e)
    if grad and out.dtype in FLOATS:
        grads = []
        cost = out.sum()
        for v, val in zip(vars_, vals):
            if v.dtype not in FLOATS:
                continue
            g = collections.OrderedDict()
            g["wrt"] = v.name
            try:
                gv = T.grad(cost, v)
                g["pp"] = safe(lambda: printing.pp(gv))
                g["output_type"] = type_info(gv)
                gf = compile_fn(vars_, gv)
                g["optimized_pp"] = safe(lambda: printing.pp(gf.maker.fgraph.outputs[0]))
                g["optimized_debugprint"] = safe(lambda: printing.debugprint(gf, file="str"))
                try:
                    g["value"] = enc_array(gf(*vals))
                except Exception as e:  # noqa: BLE001
                    g["value"] = exc(e)
            except Exception as e:  # noqa: BLE001
                g.update(exc(e))
            grads.append(g)
        rec["grad"] = grads


def bad(id_, source, inputs, phase="build"):
    """An expression Theano must reject.  `phase`: where we expect the error
    ("build": constructing the graph; "grad": T.grad; "compile"; "run")."""
    rec = new_record(id_, BAD, source=source, expected_phase=phase)
    rec["inputs"] = [{"name": i.name, "dtype": i.dtype, "broadcastable": list(i.bcast)}
                     for i in inputs]
    rng = seeded_rng(id_)
    vals = [i.make_value(rng) for i in inputs]
    for d, v in zip(rec["inputs"], vals):
        d["value"] = enc_array(v)
    stage = "build"
    try:
        vars_ = [i.var() for i in inputs]
        env = eval_env({i.name: v for i, v in zip(inputs, vars_)})
        out = eval(source, env)
        if isinstance(out, theano.gof.Variable):
            stage = "compile"
            f = compile_fn(vars_, out)
            stage = "run"
            r = f(*vals)
            rec["output"] = enc_array(r)
        rec["no_error"] = True
        rec["phase"] = None
    except Exception as e:  # noqa: BLE001
        rec["phase"] = stage
        rec.update(exc(e))
    return rec


# --------------------------------------------------------------------------
# catalogue
# --------------------------------------------------------------------------

def unary_cases():
    # (op name, source template over x, domain, grad?)
    ops = [
        ("sin", "T.sin(x)", "real"), ("cos", "T.cos(x)", "real"), ("tan", "T.tan(x)", "unit"),
        ("arcsin", "T.arcsin(x)", "unit"), ("arccos", "T.arccos(x)", "unit"),
        ("arctan", "T.arctan(x)", "real"), ("sinh", "T.sinh(x)", "real"),
        ("cosh", "T.cosh(x)", "real"), ("tanh", "T.tanh(x)", "real"),
        ("arcsinh", "T.arcsinh(x)", "real"),
        ("arccosh", "T.arccosh(x)", "ge1"), ("arctanh", "T.arctanh(x)", "unit"),
        ("exp", "T.exp(x)", "real"), ("exp2", "T.exp2(x)", "real"), ("expm1", "T.expm1(x)", "real"),
        ("log", "T.log(x)", "pos"), ("log2", "T.log2(x)", "pos"), ("log10", "T.log10(x)", "pos"),
        ("log1p", "T.log1p(x)", "pos"), ("sqrt", "T.sqrt(x)", "pos"), ("sqr", "T.sqr(x)", "real"),
        ("square", "T.square(x)", "real"),
        ("abs_", "T.abs_(x)", "nz"), ("neg", "T.neg(x)", "real"), ("neg_operator", "-x", "real"),
        ("inv", "T.inv(x)", "nz"), ("sgn", "T.sgn(x)", "nz"),
        ("floor", "T.floor(x)", "halves"), ("ceil", "T.ceil(x)", "halves"),
        ("round", "T.round(x)", "halves"),
        ("round_half_to_even", "T.round_half_to_even(x)", "halves"),
        ("round_half_away_from_zero", "T.round_half_away_from_zero(x)", "halves"),
        ("trunc", "T.trunc(x)", "halves"), ("iround", "T.iround(x)", "halves"),
        ("erf", "T.erf(x)", "real"), ("erfc", "T.erfc(x)", "real"),
        ("erfinv", "T.erfinv(x)", "unit"), ("erfcinv", "T.erfcinv(x)", "lt2"),
        ("gamma", "T.gamma(x)", "pos"), ("gammaln", "T.gammaln(x)", "pos"),
        ("psi", "T.psi(x)", "pos"),
        ("deg2rad", "T.deg2rad(x)", "real"), ("rad2deg", "T.rad2deg(x)", "real"),
        ("isnan", "T.isnan(x)", "special"), ("isinf", "T.isinf(x)", "special"),
        ("sigmoid", "T.nnet.sigmoid(x)", "real"), ("softplus", "T.nnet.softplus(x)", "real"),
        ("relu", "T.nnet.relu(x)", "nz"), ("relu_alpha", "T.nnet.relu(x, 0.1)", "nz"),
        ("elu", "T.nnet.elu(x)", "nz"), ("elu_alpha", "T.nnet.elu(x, 0.5)", "nz"),
        ("softsign", "T.nnet.softsign(x)", "real"),
        ("hard_sigmoid", "T.nnet.hard_sigmoid(x)", "real"),
        ("ultra_fast_sigmoid", "T.nnet.ultra_fast_sigmoid(x)", "real"),
    ]
    for op, src, dom in ops:
        # float64 ranks 0..3
        for r in (0, 1, 2, 3):
            case(op, "%s/float64/r%d" % (op, r), src, [I("x", "float64", r, dom)])
        case(op, "%s/float32/r2" % op, src, [I("x", "float32", 2, dom)])
        idom = {"pos": "pos", "ge1": "pos", "nz": "nz", "lt2": "small"}.get(dom, "int")
        if dom in ("unit",):
            idom = "small"
        case(op, "%s/int64/r1" % op, src, [I("x", "int64", 1, idom)])
        if op in ("abs_", "neg", "sgn", "sqr", "exp", "floor", "isnan", "sigmoid", "sqrt", "inv"):
            case(op, "%s/int8/r1" % op, src, [I("x", "int8", 1, idom)])
            case(op, "%s/uint8/r1" % op, src, [I("x", "uint8", 1, "pos")])
            case(op, "%s/int32/r1" % op, src, [I("x", "int32", 1, idom)])
    # bool inputs where meaningful
    for op, src in [("abs_", "T.abs_(x)"), ("neg", "T.neg(x)"), ("exp", "T.exp(x)"),
                    ("sgn", "T.sgn(x)"), ("sqr", "T.sqr(x)")]:
        case(op, "%s/bool/r1" % op, src, [I("x", "bool", 1)])
    # out-of-domain: Theano yields nan / inf
    ood = [
        ("log", "T.log(x)", "neg"), ("log", "T.log(x)", "zero"), ("sqrt", "T.sqrt(x)", "neg"),
        ("arccosh", "T.arccosh(x)", "halfunit"), ("arcsin", "T.arcsin(x)", "big"),
        ("arccos", "T.arccos(x)", "big"), ("arctanh", "T.arctanh(x)", "edge"),
        ("erfinv", "T.erfinv(x)", "edge"), ("inv", "T.inv(x)", "zero"),
        ("log1p", "T.log1p(x)", "edge"), ("gammaln", "T.gammaln(x)", "zero"),
        ("log2", "T.log2(x)", "neg"), ("psi", "T.psi(x)", "zero"),
        ("exp", "T.exp(x)", "special"), ("sigmoid", "T.nnet.sigmoid(x)", "special"),
        ("softplus", "T.nnet.softplus(x)", "special"), ("tanh", "T.tanh(x)", "special"),
    ]
    for op, src, dom in ood:
        case(op, "%s/float64/r1/out_of_domain_%s" % (op, dom), src, [I("x", "float64", 1, dom)],
             domain_note="out of domain (%s): Theano gives nan/inf" % dom)


def binary_cases():
    arith = [
        ("add", "T.add(x, y)", "real"), ("add_operator", "x + y", "real"),
        ("sub", "T.sub(x, y)", "real"), ("sub_operator", "x - y", "real"),
        ("mul", "T.mul(x, y)", "real"), ("mul_operator", "x * y", "real"),
        ("true_div", "T.true_div(x, y)", "nz"), ("div_operator", "x / y", "nz"),
        ("int_div", "T.int_div(x, y)", "nz"), ("floordiv_operator", "x // y", "nz"),
        ("mod", "T.mod(x, y)", "nz"), ("mod_operator", "x % y", "nz"),
        ("pow", "T.pow(x, y)", "pospow"), ("pow_operator", "x ** y", "pospow"),
        ("maximum", "T.maximum(x, y)", "real"), ("minimum", "T.minimum(x, y)", "real"),
        ("arctan2", "T.arctan2(x, y)", "real"), ("hypot", "T.hypot(x, y)", "real"),
        ("eq", "T.eq(x, y)", "cmp"), ("neq", "T.neq(x, y)", "cmp"),
        ("lt", "T.lt(x, y)", "cmp"), ("gt", "T.gt(x, y)", "cmp"),
        ("le", "T.le(x, y)", "cmp"), ("ge", "T.ge(x, y)", "cmp"),
        ("lt_operator", "x < y", "cmp"), ("ge_operator", "x >= y", "cmp"),
    ]

    def doms(d):
        # (domain of x, domain of y)
        if d == "nz":
            return ("real", "nz")
        if d == "pospow":
            return ("pos", "real")
        if d == "cmp":
            return ("halves", "halves")
        return ("real", "real")

    for op, src, d in arith:
        dx, dy = doms(d)
        for r in (0, 1, 2, 3):
            case(op, "%s/float64/r%d" % (op, r), src,
                 [I("x", "float64", r, dx), I("y", "float64", r, dy)])
        # broadcasting: matrix op row, matrix op column, scalar op matrix
        case(op, "%s/float64/bcast_row" % op, src,
             [I("x", "float64", 2, dx), I("y", "float64", domain=dy, bcast=(True, False))])
        case(op, "%s/float64/bcast_col_vs_vector" % op, src,
             [I("x", "float64", domain=dx, bcast=(False, True)), I("y", "float64", 1, dy)])
        case(op, "%s/float64/scalar_matrix" % op, src,
             [I("x", "float64", 0, dx), I("y", "float64", 2, dy)])
        case(op, "%s/float32/r2" % op, src,
             [I("x", "float32", 2, dx), I("y", "float32", 2, dy)])
        case(op, "%s/float32_float64/r1" % op, src,
             [I("x", "float32", 1, dx), I("y", "float64", 1, dy)])
        idx = "pos" if dx == "pos" else "int"
        idy = {"nz": "nz", "real": "int", "halves": "int"}.get(dy, "int")
        if d == "pospow":
            idy = "small"
        case(op, "%s/int64/r1" % op, src, [I("x", "int64", 1, idx), I("y", "int64", 1, idy)])
        case(op, "%s/int32_int8/r1" % op, src, [I("x", "int32", 1, idx), I("y", "int8", 1, idy)])
        case(op, "%s/uint8_int64/r1" % op, src, [I("x", "uint8", 1, "pos"), I("y", "int64", 1, idy)])
        case(op, "%s/float64_int64/r1" % op, src, [I("x", "float64", 1, dx), I("y", "int64", 1, idy)])
        # python constant operand
        case(op, "%s/float64/const_rhs" % op, re.sub(r"\by\b", "2.0", src), [I("x", "float64", 2, dx)])
    # bool comparisons / arithmetic
    for op, src in [("eq", "T.eq(x, y)"), ("add", "T.add(x, y)"), ("mul", "T.mul(x, y)"),
                    ("maximum", "T.maximum(x, y)")]:
        case(op, "%s/bool/r1" % op, src, [I("x", "bool", 1), I("y", "bool", 1)])
    # out-of-domain / special binary cases
    case("true_div", "true_div/float64/r1/zero_div", "x / y",
         [I("x", "float64", 1, value=[1.0, -1.0, 0.0]), I("y", "float64", 1, "zero")],
         domain_note="division by zero: inf, -inf, nan")
    case("pow", "pow/float64/r1/negative_base", "x ** y",
         [I("x", "float64", 1, value=[-2.0, -8.0, 4.0]), I("y", "float64", 1, value=[0.5, 1.0 / 3, 2.0])],
         domain_note="negative base with fractional exponent gives nan")
    case("mod", "mod/int64/r1/negative", "x % y",
         [I("x", "int64", 1, value=[-7, 7, -7]), I("y", "int64", 1, value=[3, -3, -3])],
         domain_note="sign follows divisor (Python semantics)")
    case("int_div", "int_div/int64/r1/negative", "x // y",
         [I("x", "int64", 1, value=[-7, 7, -7]), I("y", "int64", 1, value=[3, -3, -3])],
         domain_note="floor division")
    case("mod", "mod/float64/r1/negative", "x % y",
         [I("x", "float64", 1, value=[-7.5, 7.5, -7.5]), I("y", "float64", 1, value=[2.0, -2.0, -2.0])])
    case("maximum", "maximum/float64/r1/nan", "T.maximum(x, y)",
         [I("x", "float64", 1, value=[np.nan, 1.0, 2.0]), I("y", "float64", 1, value=[1.0, np.nan, 0.0])],
         domain_note="nan propagation")

    # logical / bitwise (ints and bools)
    for op, src in [("and_", "T.and_(x, y)"), ("or_", "T.or_(x, y)"), ("xor", "T.xor(x, y)"),
                    ("and_operator", "x & y"), ("or_operator", "x | y"), ("xor_operator", "x ^ y")]:
        case(op, "%s/bool/r1" % op, src, [I("x", "bool", 1), I("y", "bool", 1)])
        case(op, "%s/bool/r2" % op, src, [I("x", "bool", 2), I("y", "bool", 2)])
        case(op, "%s/int64/r1" % op, src, [I("x", "int64", 1), I("y", "int64", 1)])
        case(op, "%s/uint8/r0" % op, src, [I("x", "uint8", 0), I("y", "uint8", 0)])
        case(op, "%s/int8_int32/r2" % op, src, [I("x", "int8", 2), I("y", "int32", 2)])
    for op, src in [("invert", "T.invert(x)"), ("invert_operator", "~x")]:
        case(op, "%s/bool/r1" % op, src, [I("x", "bool", 1)])
        case(op, "%s/int64/r1" % op, src, [I("x", "int64", 1)])
        case(op, "%s/uint8/r2" % op, src, [I("x", "uint8", 2)])
        case(op, "%s/int8/r0" % op, src, [I("x", "int8", 0)])
    # logical ops on floats are rejected or cast?  record what happens
    case("and_", "and_/float64/r1", "T.and_(x, y)", [I("x"), I("y")])


def ternary_cases():
    for r in (0, 1, 2, 3):
        case("switch", "switch/float64/r%d" % r, "T.switch(c, x, y)",
             [I("c", "bool", r), I("x", "float64", r), I("y", "float64", r)])
    case("switch", "switch/int8_cond/r2", "T.switch(c, x, y)",
         [I("c", "int8", 2, "small"), I("x", "float64", 2), I("y", "float64", 2)])
    case("switch", "switch/cmp_cond_scalar_else/r2", "T.switch(T.gt(x, 0), x, 0.0)",
         [I("x", "float64", 2)])
    case("switch", "switch/bcast/r2", "T.switch(c, x, y)",
         [I("c", "bool", bcast=(True, False)), I("x", "float64", 2), I("y", "float64", 0)])
    case("switch", "switch/int64_branches/r1", "T.switch(c, x, y)",
         [I("c", "bool", 1), I("x", "int64", 1), I("y", "int32", 1)])
    case("where", "where/float64/r2", "T.where(c, x, y)",
         [I("c", "bool", 2), I("x", "float64", 2), I("y", "float64", 2)])
    case("where", "where/float32/r1", "T.where(T.lt(x, y), x, y)",
         [I("x", "float32", 1), I("y", "float32", 1)])
    # clip
    for r in (0, 1, 2, 3):
        case("clip", "clip/float64/r%d/scalar_bounds" % r, "T.clip(x, -0.5, 0.5)", [I("x", "float64", r)])
    case("clip", "clip/float64/r2/tensor_bounds", "T.clip(x, lo, hi)",
         [I("x", "float64", 2), I("lo", "float64", 2, value=np.full((2, 3), -0.3)),
          I("hi", "float64", 0, value=0.7)])
    case("clip", "clip/float64/r1/symbolic_scalar_bounds", "T.clip(x, lo, hi)",
         [I("x", "float64", 1), I("lo", "float64", 0, value=-1.0), I("hi", "float64", 0, value=1.0)])
    case("clip", "clip/float32/r2", "T.clip(x, 0.0, 1.0)", [I("x", "float32", 2)])
    case("clip", "clip/int64/r1", "T.clip(x, -2, 3)", [I("x", "int64", 1)])
    case("clip", "clip/int8/r1", "T.clip(x, -2, 3)", [I("x", "int8", 1)])
    case("clip", "clip/float64/r1/x_equals_bound", "T.clip(x, 0.0, 1.0)",
         [I("x", "float64", 1, value=[0.0, 1.0, 0.5])],
         domain_note="gradient at the bounds")


def nnet_cases():
    case("binary_crossentropy", "binary_crossentropy/float64/r1", "T.nnet.binary_crossentropy(p, t)",
         [I("p", "float64", 1, "prob"), I("t", "float64", 1, "prob")])
    case("binary_crossentropy", "binary_crossentropy/float64/r2", "T.nnet.binary_crossentropy(p, t)",
         [I("p", "float64", 2, "prob"), I("t", "float64", 2, value=[[0, 1, 1], [1, 0, 0]])])
    case("binary_crossentropy", "binary_crossentropy/float32/r1", "T.nnet.binary_crossentropy(p, t)",
         [I("p", "float32", 1, "prob"), I("t", "float32", 1, value=[0, 1, 1])])
    case("binary_crossentropy", "binary_crossentropy/float64/r1/sigmoid_input",
         "T.nnet.binary_crossentropy(T.nnet.sigmoid(z), t)",
         [I("z", "float64", 1), I("t", "float64", 1, value=[0, 1, 1])])
    case("sigmoid_binary_crossentropy", "sigmoid_binary_crossentropy/float64/r1",
         "T.nnet.sigmoid_binary_crossentropy(z, t)",
         [I("z", "float64", 1), I("t", "float64", 1, value=[0, 1, 1])])
    case("sigmoid_binary_crossentropy", "sigmoid_binary_crossentropy/float64/r2",
         "T.nnet.sigmoid_binary_crossentropy(z, t)",
         [I("z", "float64", 2), I("t", "float64", 2, "prob")])
    # categorical crossentropy
    case("categorical_crossentropy", "categorical_crossentropy/float64/onehot_matrix",
         "T.nnet.categorical_crossentropy(T.nnet.softmax(z), t)",
         [I("z", "float64", 2), I("t", "float64", 2, value=[[0, 1, 0], [0, 0, 1]])])
    case("categorical_crossentropy", "categorical_crossentropy/float64/int_vector",
         "T.nnet.categorical_crossentropy(T.nnet.softmax(z), t)",
         [I("z", "float64", 2), I("t", "int64", 1, value=[1, 2])])
    case("categorical_crossentropy", "categorical_crossentropy/float64/probs_int_vector",
         "T.nnet.categorical_crossentropy(p, t)",
         [I("p", "float64", 2, "prob"), I("t", "int32", 1, value=[0, 2])])
    case("categorical_crossentropy", "categorical_crossentropy/float64/probs_onehot",
         "T.nnet.categorical_crossentropy(p, t)",
         [I("p", "float64", 2, "prob"), I("t", "float64", 2, value=[[1, 0, 0], [0, 0, 1]])])
    case("categorical_crossentropy", "categorical_crossentropy/float32/int_vector",
         "T.nnet.categorical_crossentropy(T.nnet.softmax(z), t)",
         [I("z", "float32", 2), I("t", "int64", 1, value=[0, 1])])
    case("categorical_crossentropy", "categorical_crossentropy/float64/mean_int_vector",
         "T.nnet.categorical_crossentropy(T.nnet.softmax(z), t).mean()",
         [I("z", "float64", 2), I("t", "int64", 1, value=[2, 0])])
    # softmax family
    for dt in ("float64", "float32"):
        case("softmax", "softmax/%s/r2" % dt, "T.nnet.softmax(z)", [I("z", dt, 2)])
    case("softmax", "softmax/float64/r1", "T.nnet.softmax(z)", [I("z", "float64", 1)])
    case("softmax", "softmax/float64/r2/large", "T.nnet.softmax(z)",
         [I("z", "float64", 2, value=[[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])],
         domain_note="numerically stable (max subtracted)")
    case("softmax", "softmax/float64/r2/with_bias", "T.nnet.softmax(T.dot(x, W) + b)",
         [I("x", "float64", 2), I("W", "float64", shape=(3, 3), rank=2), I("b", "float64", 1)])
    case("softmax", "softmax/float64/r2/softmax_with_bias", "T.nnet.softmax_with_bias(z, b)",
         [I("z", "float64", 2), I("b", "float64", 1)])
    case("softmax", "softmax/float64/r2/log_of_softmax", "T.log(T.nnet.softmax(z))",
         [I("z", "float64", 2)])
    case("log_softmax", "log_softmax/float64/r2/T.log_softmax", "T.log_softmax(z)", [I("z", "float64", 2)])
    case("log_softmax", "log_softmax/float64/r2/nnet.log_softmax", "T.nnet.log_softmax(z)",
         [I("z", "float64", 2)])
    case("log_softmax", "log_softmax/float64/r2/nnet.logsoftmax", "T.nnet.logsoftmax(z)",
         [I("z", "float64", 2)])
    case("log_softmax", "log_softmax/float32/r2/nnet.logsoftmax", "T.nnet.logsoftmax(z)",
         [I("z", "float32", 2)])
    case("hypot", "hypot/theano.scalar", "theano.scalar.hypot", [])


def reduction_cases():
    reds = ["sum", "prod", "max", "min", "mean", "var", "std", "argmax", "argmin"]
    for red in reds:
        for r in (1, 2, 3):
            axes = [None, 0, -1]
            if r == 3:
                axes.append((0, 2))
            for ax in axes:
                for kd in (False, True):
                    if r == 1 and ax == -1:
                        continue
                    if red in ("argmax", "argmin") and isinstance(ax, tuple):
                        continue
                    src = "T.%s(x, axis=%r, keepdims=%r)" % (red, ax, kd)
                    case(red, "%s/float64/r%d/axis=%s/keepdims=%s" % (red, r, ax, kd), src,
                         [I("x", "float64", r)])
        case(red, "%s/float64/r0" % red, "T.%s(x)" % red, [I("x", "float64", 0)])
        case(red, "%s/float32/r2/axis=0" % red, "T.%s(x, axis=0)" % red, [I("x", "float32", 2)])
        case(red, "%s/int64/r2/axis=None" % red, "T.%s(x)" % red, [I("x", "int64", 2)])
        case(red, "%s/int8/r2/axis=1" % red, "T.%s(x, axis=1)" % red, [I("x", "int8", 2)])
        case(red, "%s/uint8/r1" % red, "T.%s(x)" % red, [I("x", "uint8", 1)])
        case(red, "%s/method/r2" % red, "x.%s(axis=1)" % red, [I("x", "float64", 2)])
    case("sum", "sum/bool/r2", "T.sum(x)", [I("x", "bool", 2)])
    case("sum", "sum/float32/r2/acc_dtype", "T.sum(x, acc_dtype='float64')", [I("x", "float32", 2)])
    case("sum", "sum/int8/r1/dtype", "T.sum(x, dtype='int8')", [I("x", "int8", 1)])
    case("var", "var/float64/r2/ddof1", "T.var(x, axis=0, ddof=1)", [I("x", "float64", 2)])
    case("max", "max/float64/r2/nan", "T.max(x, axis=0)",
         [I("x", "float64", 2, value=[[np.nan, 1.0, 2.0], [0.0, np.nan, 3.0]])])
    for red in ("any", "all"):
        for dt, r in (("bool", 1), ("bool", 2), ("int64", 2), ("float64", 2), ("bool", 3)):
            case(red, "%s/%s/r%d" % (red, dt, r), "T.%s(x)" % red, [I("x", dt, r, "small")])
        case(red, "%s/bool/r2/axis=0" % red, "T.%s(x, axis=0)" % red, [I("x", "bool", 2)])
        case(red, "%s/bool/r2/axis=-1/keepdims" % red, "T.%s(x, axis=-1, keepdims=True)" % red,
             [I("x", "bool", 2)])
        case(red, "%s/bool/r3/axis=1" % red, "T.%s(x, axis=1)" % red, [I("x", "bool", 3)])


def tensor_op_cases():
    f64 = "float64"
    # dot / outer / tensordot / batched_dot
    case("dot", "dot/vv", "T.dot(a, b)", [I("a", f64, 1), I("b", f64, 1)])
    case("dot", "dot/mv", "T.dot(a, b)", [I("a", f64, 2), I("b", f64, 1)])
    case("dot", "dot/vm", "T.dot(a, b)", [I("a", f64, shape=(2,), rank=1), I("b", f64, 2)])
    case("dot", "dot/mm", "T.dot(a, b)", [I("a", f64, 2), I("b", f64, rank=2, shape=(3, 2))])
    case("dot", "dot/mm/float32", "T.dot(a, b)", [I("a", "float32", 2), I("b", "float32", rank=2, shape=(3, 2))])
    case("dot", "dot/mm/int64", "T.dot(a, b)", [I("a", "int64", 2), I("b", "int64", rank=2, shape=(3, 2))])
    case("dot", "dot/mm/float64_int32", "T.dot(a, b)", [I("a", f64, 2), I("b", "int32", rank=2, shape=(3, 2))])
    case("dot", "dot/tensor3_matrix", "T.dot(a, b)", [I("a", f64, 3), I("b", f64, rank=2, shape=(3, 2))])
    case("dot", "dot/scalar_matrix", "T.dot(a, b)", [I("a", f64, 0), I("b", f64, 2)])
    case("dot", "dot/method", "a.dot(b)", [I("a", f64, 2), I("b", f64, 1)])
    case("dot", "dot/mm_plus_bias", "T.dot(a, b) + c",
         [I("a", f64, 2), I("b", f64, rank=2, shape=(3, 2)), I("c", f64, 1, shape=(2,))])
    case("dot", "dot/gemm_pattern", "0.5 * c + 2.0 * T.dot(a, b)",
         [I("a", f64, 2), I("b", f64, rank=2, shape=(3, 2)), I("c", f64, 2, shape=(2, 2))])
    case("outer", "outer/float64", "T.outer(a, b)", [I("a", f64, 1), I("b", f64, 1, shape=(2,))])
    case("outer", "outer/int64", "T.outer(a, b)", [I("a", "int64", 1), I("b", "int64", 1)])
    case("tensordot", "tensordot/axes=1", "T.tensordot(a, b, axes=1)",
         [I("a", f64, 2), I("b", f64, rank=2, shape=(3, 2))])
    case("tensordot", "tensordot/axes=2", "T.tensordot(a, b, axes=2)",
         [I("a", f64, 3), I("b", f64, rank=2, shape=(2, 3))])
    case("tensordot", "tensordot/axes=pairs", "T.tensordot(a, b, axes=[[0, 2], [1, 0]])",
         [I("a", f64, 3), I("b", f64, rank=2, shape=(3, 2))])
    case("tensordot", "tensordot/axes=0", "T.tensordot(a, b, axes=0)",
         [I("a", f64, 1), I("b", f64, 1, shape=(2,))])
    case("batched_dot", "batched_dot/t3t3", "T.batched_dot(a, b)",
         [I("a", f64, 3), I("b", f64, rank=3, shape=(2, 3, 2))])
    case("batched_dot", "batched_dot/mm", "T.batched_dot(a, b)", [I("a", f64, 2), I("b", f64, 2)])
    case("batched_dot", "batched_dot/t3m", "T.batched_dot(a, b)",
         [I("a", f64, 3), I("b", f64, rank=2, shape=(2, 3))])
    # cumsum / cumprod
    for op in ("cumsum", "cumprod"):
        case(op, "%s/r1" % op, "T.%s(x)" % op, [I("x", f64, 1)])
        case(op, "%s/r2/axis=None" % op, "T.%s(x)" % op, [I("x", f64, 2)])
        case(op, "%s/r2/axis=0" % op, "T.%s(x, axis=0)" % op, [I("x", f64, 2)])
        case(op, "%s/r3/axis=-1" % op, "T.%s(x, axis=-1)" % op, [I("x", f64, 3)])
        case(op, "%s/int64/r2/axis=1" % op, "T.%s(x, axis=1)" % op, [I("x", "int64", 2)])
        case(op, "%s/float32/r1" % op, "T.%s(x)" % op, [I("x", "float32", 1)])
    # sort / argsort
    for op in ("sort", "argsort"):
        case(op, "%s/r1" % op, "T.%s(x)" % op, [I("x", f64, 1)])
        case(op, "%s/r2/axis=-1" % op, "T.%s(x)" % op, [I("x", f64, 2)])
        case(op, "%s/r2/axis=0" % op, "T.%s(x, axis=0)" % op, [I("x", f64, 2)])
        case(op, "%s/r2/axis=None" % op, "T.%s(x, axis=None)" % op, [I("x", f64, 2)])
        case(op, "%s/r3/axis=1" % op, "T.%s(x, axis=1)" % op, [I("x", f64, 3)])
        case(op, "%s/int64/r1" % op, "T.%s(x)" % op, [I("x", "int64", 1)])
    # tile / repeat / roll
    case("tile", "tile/r1", "T.tile(x, (2,))", [I("x", f64, 1)])
    case("tile", "tile/r2", "T.tile(x, (2, 1))", [I("x", f64, 2)])
    case("tile", "tile/r1_to_r2", "T.tile(x, (2, 2))", [I("x", f64, 1)])
    case("tile", "tile/int64/r2", "T.tile(x, (1, 2))", [I("x", "int64", 2)])
    case("repeat", "repeat/r1", "T.repeat(x, 2)", [I("x", f64, 1)])
    case("repeat", "repeat/r2/axis=0", "T.repeat(x, 2, axis=0)", [I("x", f64, 2)])
    case("repeat", "repeat/r2/axis=1/vector", "T.repeat(x, [1, 0, 2], axis=1)", [I("x", f64, 2)])
    case("repeat", "repeat/r3/axis=-1", "T.repeat(x, 2, axis=-1)", [I("x", f64, 3)])
    case("roll", "roll/r1", "T.roll(x, 1)", [I("x", f64, 1)])
    case("roll", "roll/r1/neg", "T.roll(x, -2)", [I("x", f64, 1)])
    case("roll", "roll/r2/axis=None", "T.roll(x, 2)", [I("x", f64, 2)])
    case("roll", "roll/r2/axis=1", "T.roll(x, 1, axis=1)", [I("x", f64, 2)])
    case("roll", "roll/r3/axis=0", "T.roll(x, 1, axis=0)", [I("x", f64, 3)])
    # diag / diagonal / trace / eye / identity_like / tril / triu
    case("diag", "diag/vector_to_matrix", "T.diag(x)", [I("x", f64, 1)])
    case("diag", "diag/matrix_to_vector", "T.diag(x)", [I("x", f64, 2)])
    case("diag", "diag/square_matrix", "T.diag(x)", [I("x", f64, 2, shape=(3, 3))])
    case("diagonal", "diagonal/r2", "T.diagonal(x)", [I("x", f64, 2)])
    case("diagonal", "diagonal/r2/offset=1", "T.diagonal(x, offset=1)", [I("x", f64, 2)])
    case("diagonal", "diagonal/r2/offset=-1", "x.diagonal(-1)", [I("x", f64, 2, shape=(3, 3))])
    case("diagonal", "diagonal/r3", "T.diagonal(x, 0, 1, 2)", [I("x", f64, 3)])
    case("trace", "trace/nlinalg", "T.nlinalg.trace(x)", [I("x", f64, 2, shape=(3, 3))])
    case("trace", "trace/T.trace", "T.trace(x)", [I("x", f64, 2, shape=(3, 3))])
    case("trace", "trace/method", "x.trace()", [I("x", f64, 2)])
    case("eye", "eye/3", "T.eye(3)", [])
    case("eye", "eye/2x3/k=1", "T.eye(2, 3, 1)", [])
    case("eye", "eye/symbolic_n", "T.eye(n)", [I("n", "int64", 0, value=3)])
    case("eye", "eye/int32", "T.eye(2, dtype='int32')", [])
    case("identity_like", "identity_like/r2", "T.identity_like(x)", [I("x", f64, 2)])
    case("identity_like", "identity_like/float32", "T.identity_like(x)", [I("x", "float32", 2, shape=(3, 3))])
    for op in ("tril", "triu"):
        case(op, "%s/r2" % op, "T.%s(x)" % op, [I("x", f64, 2, shape=(3, 3))])
        case(op, "%s/r2/k=1" % op, "T.%s(x, k=1)" % op, [I("x", f64, 2)])
        case(op, "%s/r2/k=-1" % op, "T.%s(x, -1)" % op, [I("x", f64, 2)])
        case(op, "%s/int64/r2" % op, "T.%s(x)" % op, [I("x", "int64", 2)])
    # nonzero
    case("nonzero", "nonzero/r1/[0]", "T.nonzero(x)[0]", [I("x", "int64", 1, "small")])
    case("nonzero", "nonzero/r2/return_matrix", "T.nonzero(x, return_matrix=True)", [I("x", "int64", 2, "small")])
    case("nonzero", "nonzero/r2/[1]", "T.nonzero(x)[1]", [I("x", "bool", 2)])
    case("nonzero", "flatnonzero/r2", "T.flatnonzero(x)", [I("x", f64, 2, value=[[0, 1, 0], [2, 0, 3]])])
    case("nonzero", "nonzero_values/r2", "T.nonzero_values(x)", [I("x", f64, 2, value=[[0, 1, 0], [2, 0, 3]])])
    # transpose / dimshuffle / reshape / flatten
    case("transpose", "transpose/r2/.T", "x.T", [I("x", f64, 2)])
    case("transpose", "transpose/r3", "T.transpose(x)", [I("x", f64, 3)])
    case("transpose", "transpose/r3/axes", "T.transpose(x, (1, 2, 0))", [I("x", f64, 3)])
    case("transpose", "transpose/r1/.T", "x.T", [I("x", f64, 1)])
    case("transpose", "transpose/int8/r2", "x.T", [I("x", "int8", 2)])
    case("dimshuffle", "dimshuffle/r1/x0", "x.dimshuffle('x', 0)", [I("x", f64, 1)])
    case("dimshuffle", "dimshuffle/r1/0x", "x.dimshuffle(0, 'x')", [I("x", f64, 1)])
    case("dimshuffle", "dimshuffle/r2/10", "x.dimshuffle(1, 0)", [I("x", f64, 2)])
    case("dimshuffle", "dimshuffle/r3/2x01", "x.dimshuffle(2, 'x', 0, 1)", [I("x", f64, 3)])
    case("dimshuffle", "dimshuffle/drop_broadcast", "x.dimshuffle(1)", [I("x", f64, bcast=(True, False))])
    case("dimshuffle", "dimshuffle/r0/xx", "x.dimshuffle('x', 'x')", [I("x", f64, 0)])
    case("reshape", "reshape/r2_to_r1", "T.reshape(x, (6,))", [I("x", f64, 2)])
    case("reshape", "reshape/r1_to_r2", "x.reshape((2, 3))", [I("x", f64, 1, shape=(6,))])
    case("reshape", "reshape/r3_to_r2/-1", "x.reshape((-1, 3))", [I("x", f64, 3)])
    case("reshape", "reshape/symbolic_shape", "x.reshape((x.shape[1], x.shape[0]))", [I("x", f64, 2)])
    case("reshape", "reshape/int64", "x.reshape((3, 2))", [I("x", "int64", 2)])
    case("reshape", "reshape/ndim", "T.reshape(x, s, ndim=2)",
         [I("x", f64, 2), I("s", "int64", 1, shape=(2,), value=[3, 2])])
    case("flatten", "flatten/r2", "T.flatten(x)", [I("x", f64, 2)])
    case("flatten", "flatten/r3/ndim=2", "T.flatten(x, 2)", [I("x", f64, 3)])
    case("flatten", "flatten/r3/method", "x.flatten()", [I("x", f64, 3)])
    case("flatten", "flatten/int32/r2", "x.flatten()", [I("x", "int32", 2)])
    # concatenate / stack
    case("concatenate", "concatenate/r1", "T.concatenate([a, b])", [I("a", f64, 1), I("b", f64, 1, shape=(2,))])
    case("concatenate", "concatenate/r2/axis=0", "T.concatenate([a, b], axis=0)", [I("a", f64, 2), I("b", f64, 2)])
    case("concatenate", "concatenate/r2/axis=1", "T.concatenate([a, b, a], axis=1)", [I("a", f64, 2), I("b", f64, 2)])
    case("concatenate", "concatenate/r3/axis=-1", "T.concatenate([a, b], axis=-1)", [I("a", f64, 3), I("b", f64, 3)])
    case("concatenate", "concatenate/mixed_dtype", "T.concatenate([a, b])", [I("a", "int32", 1), I("b", f64, 1)])
    case("stack", "stack/scalars", "T.stack([a, b])", [I("a", f64, 0), I("b", f64, 0)])
    case("stack", "stack/r1", "T.stack([a, b])", [I("a", f64, 1), I("b", f64, 1)])
    case("stack", "stack/r1/axis=1", "T.stack([a, b], axis=1)", [I("a", f64, 1), I("b", f64, 1)])
    case("stack", "stack/r2/axis=-1", "T.stack([a, b], axis=-1)", [I("a", f64, 2), I("b", f64, 2)])
    case("stack", "stack/int64_scalars", "T.stack([a, b, a])", [I("a", "int64", 0), I("b", "int64", 0)])
    # indexing
    idx = [
        ("const", "x[1]", 1), ("const_neg", "x[-1]", 1), ("slice", "x[1:]", 1),
        ("slice_neg", "x[:-1]", 1), ("slice_step", "x[::2]", 1), ("slice_neg_step", "x[::-1]", 1),
        ("slice_neg_bounds_step", "x[-1:0:-1]", 1),
        ("r2_row", "x[0]", 2), ("r2_elem", "x[1, -1]", 2), ("r2_col", "x[:, 1]", 2),
        ("r2_slice", "x[:, 1:]", 2), ("r2_neg_step", "x[::-1, ::2]", 2), ("r2_neg_slice", "x[-1:, -2:]", 2),
        ("r3_mixed", "x[1, :, -1]", 3), ("r3_slices", "x[:, ::-1, 1:3]", 3), ("r3_ellipsis_like", "x[0][1]", 3),
        ("r2_newaxis", "x[None, 0]", 2),
        ("r1_symbolic", "x[i]", 1), ("r2_adv_int_vector", "x[v]", 2), ("r2_adv_pair", "x[v, w]", 2),
        ("r2_bool_mask", "x[x > 0]", 2),
    ]
    for name, src, r in idx:
        ins = [I("x", f64, r)]
        if "i]" in src:
            ins.append(I("i", "int64", 0, value=2))
        if "v" in src:
            ins.append(I("v", "int64", 1, shape=(3,), value=[1, 0, 1]))
        if "w" in src:
            ins.append(I("w", "int64", 1, shape=(3,), value=[2, -1, 0]))
        case("indexing", "indexing/%s" % name, src, ins)
    case("indexing", "indexing/int64/r2", "x[1:, ::-1]", [I("x", "int64", 2)])
    case("indexing", "indexing/set_subtensor", "T.set_subtensor(x[1:], 0.0)", [I("x", f64, 2)])
    case("indexing", "indexing/inc_subtensor", "T.inc_subtensor(x[:, 0], y)", [I("x", f64, 2), I("y", f64, 1, shape=(2,))])
    # cast
    for src_dt, dst in [("float64", "float32"), ("float64", "int64"), ("float64", "int8"),
                        ("float64", "uint8"), ("float64", "bool"), ("float32", "float64"),
                        ("int64", "float64"), ("int64", "int32"), ("int32", "float32"),
                        ("bool", "int64"), ("bool", "float64"), ("uint8", "int8"),
                        ("int8", "uint8"), ("float64", "float64"), ("float64", "int32")]:
        dom = "halves" if src_dt.startswith("float") else "int"
        case("cast", "cast/%s_to_%s" % (src_dt, dst), "T.cast(x, '%s')" % dst, [I("x", src_dt, 2, dom)])
    case("cast", "cast/method_astype", "x.astype('float32')", [I("x", "float64", 1)])
    case("cast", "cast/floatX_alias", "T.cast(x, 'floatX')", [I("x", "int64", 1)])
    # shape-ish
    case("shape", "shape/r2", "x.shape", [I("x", f64, 2)])
    case("shape", "shape/r3/[1]", "x.shape[1]", [I("x", f64, 3)])
    case("arange", "arange/symbolic", "T.arange(n)", [I("n", "int64", 0, value=4)])
    case("arange", "arange/start_stop_step", "T.arange(1, 7, 2)", [])
    case("zeros_like", "zeros_like/r2", "T.zeros_like(x)", [I("x", f64, 2)])
    case("ones_like", "ones_like/r2", "T.ones_like(x)", [I("x", "int8", 2)])
    case("alloc", "alloc/r2", "T.alloc(x, 2, 3)", [I("x", f64, 0)])
    case("fill", "fill/r2", "T.fill(x, 2.0)", [I("x", f64, 2)])


def composite_cases():
    f64 = "float64"
    case("composite", "composite/exp_neg_sq", "T.exp(-x ** 2)", [I("x", f64, 2)])
    case("composite", "composite/sigmoid_manual", "1 / (1 + T.exp(-x))", [I("x", f64, 1)])
    case("composite", "composite/log1p_exp", "T.log(1 + T.exp(x))", [I("x", f64, 1)])
    case("composite", "composite/log_sigmoid", "T.log(T.nnet.sigmoid(x))", [I("x", f64, 1)])
    case("composite", "composite/sum_of_squares", "(x ** 2).sum()", [I("x", f64, 2)])
    case("composite", "composite/x_times_x", "x * x", [I("x", f64, 1)])
    case("composite", "composite/x_minus_x", "x - x", [I("x", f64, 1)])
    case("composite", "composite/x_div_x", "x / x", [I("x", f64, 1, "nz")])
    case("composite", "composite/mul_by_one", "x * 1", [I("x", f64, 1)])
    case("composite", "composite/add_zero", "x + 0", [I("x", f64, 1)])
    case("composite", "composite/neg_neg", "-(-x)", [I("x", f64, 1)])
    case("composite", "composite/exp_log", "T.exp(T.log(x))", [I("x", f64, 1, "pos")])
    case("composite", "composite/log_exp", "T.log(T.exp(x))", [I("x", f64, 1)])
    case("composite", "composite/pow_2", "x ** 2", [I("x", f64, 1)])
    case("composite", "composite/pow_0.5", "x ** 0.5", [I("x", f64, 1, "pos")])
    case("composite", "composite/pow_-1", "x ** -1", [I("x", f64, 1, "nz")])
    case("composite", "composite/tanh_sum_axis", "T.tanh(x).sum(axis=1) * 2", [I("x", f64, 2)])
    case("composite", "composite/sum_dimshuffle_add", "x + x.sum(axis=1).dimshuffle(0, 'x')", [I("x", f64, 2)])
    case("composite", "composite/mean_sub", "x - x.mean(axis=0)", [I("x", f64, 2)])
    case("composite", "composite/normalize", "x / T.sqrt((x ** 2).sum(axis=1, keepdims=True))", [I("x", f64, 2, "nz")])
    case("composite", "composite/relu_dot", "T.nnet.relu(T.dot(x, W) + b)",
         [I("x", f64, 2), I("W", f64, rank=2, shape=(3, 2)), I("b", f64, 1, shape=(2,))])
    case("composite", "composite/mse", "((a - b) ** 2).mean()", [I("a", f64, 1), I("b", f64, 1)])
    case("composite", "composite/float32_const_upcast", "x * 0.5", [I("x", "float32", 1)])
    case("composite", "composite/int_true_div", "x / 2", [I("x", "int64", 1)])
    case("composite", "composite/int8_plus_int_const", "x + 300", [I("x", "int8", 1, "small")])
    case("composite", "composite/float32_plus_float64_scalar", "x + y", [I("x", "float32", 1), I("y", f64, 0)])
    case("composite", "composite/grad_disconnected", "x * 2 + T.zeros_like(y)", [I("x", f64, 1), I("y", f64, 1)])


def seed_graph_cases():
    """The tutorial's logistic regression and a softmax regression, with shared w, b."""
    # logistic regression ("A real example")
    rec = new_record("seed/logistic_regression", RECORDS, op="seed_graph",
                     source=("x = T.dmatrix('x'); y = T.dvector('y'); "
                     "w = theano.shared(rng.randn(feats), name='w'); b = theano.shared(0., name='b'); "
                     "p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b)); prediction = p_1 > 0.5; "
                     "xent = -y * T.log(p_1) - (1-y) * T.log(1-p_1); "
                     "cost = xent.mean() + 0.01 * (w ** 2).sum(); gw, gb = T.grad(cost, [w, b])"))
    try:
        rng = seeded_rng(rec["id"])
        N, feats = 4, 3
        xv = np.round(rng.randn(N, feats), 4)
        yv = rng.randint(size=N, low=0, high=2).astype("float64")
        wv = np.round(rng.randn(feats), 4)
        x = T.dmatrix("x")
        y = T.dvector("y")
        w = theano.shared(wv, name="w")
        b = theano.shared(0., name="b")
        p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
        prediction = p_1 > 0.5
        xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
        cost = xent.mean() + 0.01 * (w ** 2).sum()
        gw, gb = T.grad(cost, [w, b])
        rec["inputs"] = [{"name": "x", "dtype": "float64", "broadcastable": [False, False], "value": enc_array(xv)},
                         {"name": "y", "dtype": "float64", "broadcastable": [False], "value": enc_array(yv)}]
        rec["shared"] = [{"name": "w", "type": str(w.type), "value": enc_array(wv)},
                         {"name": "b", "type": str(b.type), "value": enc_array(np.asarray(0.))}]
        outs = collections.OrderedDict([("p_1", p_1), ("prediction", prediction), ("xent", xent),
                                        ("cost", cost), ("gw", gw), ("gb", gb)])
        rec["outputs"] = collections.OrderedDict()
        for k, v in outs.items():
            o = collections.OrderedDict()
            o["pp"] = safe(lambda: printing.pp(v))
            o["debugprint"] = safe(lambda: printing.debugprint(v, file="str"))
            o["output_type"] = type_info(v)
            f = compile_fn([x, y], v)
            o["optimized"] = {"pp": safe(lambda: printing.pp(f.maker.fgraph.outputs[0])),
                              "debugprint": safe(lambda: printing.debugprint(f, file="str"))}
            o["value"] = enc_array(f(xv, yv))
            rec["outputs"][k] = o
        # the tutorial's train / predict functions
        train = theano.function([x, y], outputs=[prediction, xent],
                                updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
        predict = theano.function([x], prediction)
        rec["train"] = {"source": "theano.function([x, y], outputs=[prediction, xent], "
                                  "updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))",
                        "debugprint": safe(lambda: printing.debugprint(train, file="str")),
                        "steps": []}
        for _ in range(3):
            pr, xe = train(xv, yv)
            rec["train"]["steps"].append({"prediction": enc_array(pr), "xent": enc_array(xe),
                                          "w": enc_array(w.get_value()), "b": enc_array(b.get_value())})
        rec["predict"] = {"debugprint": safe(lambda: printing.debugprint(predict, file="str")),
                          "value": enc_array(predict(xv))}
    except Exception as e:  # noqa: BLE001
        rec.update(exc(e))

    # softmax regression
    rec = new_record("seed/softmax_regression", RECORDS, op="seed_graph",
                     source=("x = T.dmatrix('x'); y = T.lvector('y'); W = theano.shared(zeros((3, 4)), name='W'); "
                     "b = theano.shared(zeros(4), name='b'); "
                     "p_y_given_x = T.nnet.softmax(T.dot(x, W) + b); "
                     "nll = -T.mean(T.log(p_y_given_x)[T.arange(y.shape[0]), y]); "
                     "y_pred = T.argmax(p_y_given_x, axis=1); gW, gb = T.grad(nll, [W, b])"))
    try:
        rng = seeded_rng(rec["id"])
        xv = np.round(rng.randn(5, 3), 4)
        yv = rng.randint(0, 4, size=5).astype("int64")
        Wv = np.round(rng.randn(3, 4) * 0.1, 4)
        bv = np.round(rng.randn(4) * 0.1, 4)
        x = T.dmatrix("x")
        y = T.lvector("y")
        W = theano.shared(Wv, name="W")
        b = theano.shared(bv, name="b")
        p_y_given_x = T.nnet.softmax(T.dot(x, W) + b)
        nll = -T.mean(T.log(p_y_given_x)[T.arange(y.shape[0]), y])
        y_pred = T.argmax(p_y_given_x, axis=1)
        gW, gb = T.grad(nll, [W, b])
        rec["inputs"] = [{"name": "x", "dtype": "float64", "broadcastable": [False, False], "value": enc_array(xv)},
                         {"name": "y", "dtype": "int64", "broadcastable": [False], "value": enc_array(yv)}]
        rec["shared"] = [{"name": "W", "type": str(W.type), "value": enc_array(Wv)},
                         {"name": "b", "type": str(b.type), "value": enc_array(bv)}]
        outs = collections.OrderedDict([("p_y_given_x", p_y_given_x), ("nll", nll), ("y_pred", y_pred),
                                        ("gW", gW), ("gb", gb)])
        rec["outputs"] = collections.OrderedDict()
        for k, v in outs.items():
            o = collections.OrderedDict()
            o["pp"] = safe(lambda: printing.pp(v))
            o["debugprint"] = safe(lambda: printing.debugprint(v, file="str"))
            o["output_type"] = type_info(v)
            f = compile_fn([x, y], v)
            o["optimized"] = {"pp": safe(lambda: printing.pp(f.maker.fgraph.outputs[0])),
                              "debugprint": safe(lambda: printing.debugprint(f, file="str"))}
            o["value"] = enc_array(f(xv, yv))
            rec["outputs"][k] = o
        train = theano.function([x, y], nll, updates=[(W, W - 0.5 * gW), (b, b - 0.5 * gb)])
        rec["train"] = {"source": "theano.function([x, y], nll, updates=[(W, W - 0.5 * gW), (b, b - 0.5 * gb)])",
                        "debugprint": safe(lambda: printing.debugprint(train, file="str")),
                        "steps": []}
        for _ in range(3):
            l = train(xv, yv)
            rec["train"]["steps"].append({"nll": enc_array(l), "W": enc_array(W.get_value()),
                                          "b": enc_array(b.get_value())})
    except Exception as e:  # noqa: BLE001
        rec.update(exc(e))


def bad_build_cases():
    f64 = "float64"
    bad("bad/dot_r3_r3", "T.dot(a, b)", [I("a", f64, 3), I("b", f64, 3)])
    bad("bad/dot_int_float_wrong_ndim", "T.dot(a, b)", [I("a", f64, 2), I("b", f64, 3)])
    bad("bad/dot_r4_r1", "T.dot(a, b)", [I("a", f64, shape=(1, 1, 1, 1), bcast=(False,) * 4), I("b", f64, 1)])
    bad("bad/elemwise_bcast_mismatch_col_row", "a + b",
        [I("a", f64, bcast=(False, True)), I("b", f64, bcast=(False, False, False), shape=(1, 1, 1))], phase="run")
    bad("bad/elemwise_row_plus_col_is_valid", "T.add(a, b)",
        [I("a", f64, shape=(1, 3), bcast=(True, False)), I("b", f64, shape=(2, 1), bcast=(False, True))], phase="run")
    bad("bad/elemwise_const_shape_mismatch", "T.constant(np.ones(2)) + T.constant(np.ones(3))", [], phase="compile")
    bad("bad/elemwise_matrix_vector_mismatch", "a + b", [I("a", f64, 2), I("b", f64, 1, shape=(2,))], phase="run")
    bad("bad/softmax_int", "T.nnet.softmax(n)", [I("n", "int64", 2)])
    bad("bad/tensordot_axes_shape_mismatch", "T.tensordot(a, b, axes=[[0], [0]])",
        [I("a", f64, 2), I("b", f64, 2, shape=(3, 2))], phase="run")
    bad("bad/dot_runtime_shape_mismatch", "T.dot(a, b)", [I("a", f64, 2), I("b", f64, 2)], phase="run")
    bad("bad/switch_runtime_shape_mismatch", "T.switch(c, x, y)",
        [I("c", "bool", 1, shape=(2,)), I("x", f64, 1), I("y", f64, 1)], phase="run")
    bad("bad/elemwise_runtime_shape_mismatch", "a + b", [I("a", f64, 1), I("b", f64, 1, shape=(2,))], phase="run")
    bad("bad/sum_axis_out_of_range", "T.sum(x, axis=2)", [I("x", f64, 2)])
    bad("bad/sum_axis_neg_out_of_range", "T.sum(x, axis=-3)", [I("x", f64, 2)])
    bad("bad/max_axis_out_of_range", "T.max(x, axis=1)", [I("x", f64, 1)])
    bad("bad/argmax_axis_out_of_range", "T.argmax(x, axis=5)", [I("x", f64, 2)])
    bad("bad/mean_axis_out_of_range", "T.mean(x, axis=3)", [I("x", f64, 3)])
    bad("bad/cumsum_axis_out_of_range", "T.cumsum(x, axis=2)", [I("x", f64, 2)])
    bad("bad/concatenate_axis_out_of_range", "T.concatenate([a, b], axis=2)", [I("a", f64, 2), I("b", f64, 2)])
    bad("bad/concatenate_ndim_mismatch", "T.concatenate([a, b])", [I("a", f64, 2), I("b", f64, 1)])
    bad("bad/concatenate_runtime_shape", "T.concatenate([a, b], axis=0)",
        [I("a", f64, 2), I("b", f64, 2, shape=(2, 2))], phase="run")
    bad("bad/cast_bad_dtype", "T.cast(x, 'float31')", [I("x", f64, 1)])
    bad("bad/cast_bad_dtype_str", "T.cast(x, 'double')", [I("x", f64, 1)])
    bad("bad/tensortype_bad_dtype", "T.TensorType('floot64', (False,))('z')", [])
    bad("bad/astype_bad_dtype", "x.astype('int3')", [I("x", f64, 1)])
    bad("bad/grad_non_scalar", "T.grad(x * 2, x)", [I("x", f64, 1)], phase="build")
    bad("bad/grad_int_cost", "T.grad(T.sum(n), n)", [I("n", "int64", 1)])
    bad("bad/grad_disconnected", "T.grad(T.sum(x), y)", [I("x", f64, 1), I("y", f64, 1)])
    bad("bad/grad_wrt_non_variable", "T.grad(T.sum(x), 1.0)", [I("x", f64, 1)])
    bad("bad/grad_of_argmax", "T.grad(T.argmax(x), x)", [I("x", f64, 1)])
    bad("bad/dimshuffle_bad_index", "x.dimshuffle(2, 0)", [I("x", f64, 2)])
    bad("bad/dimshuffle_drop_non_broadcastable", "x.dimshuffle(0)", [I("x", f64, 2)])
    bad("bad/dimshuffle_repeated", "x.dimshuffle(0, 0)", [I("x", f64, 2)])
    bad("bad/reshape_ndim_unknown", "T.reshape(x, s)", [I("x", f64, 2), I("s", "int64", 1)])
    bad("bad/reshape_runtime_size", "x.reshape((4, 2))", [I("x", f64, 2)], phase="run")
    bad("bad/reshape_float_shape", "x.reshape((2.5, 3))", [I("x", f64, 2)])
    bad("bad/index_too_many", "x[0, 1, 2]", [I("x", f64, 2)])
    bad("bad/index_float", "x[1.5]", [I("x", f64, 1)])
    bad("bad/index_float_var", "x[y]", [I("x", f64, 1), I("y", f64, 0)])
    bad("bad/index_runtime_out_of_bounds", "x[5]", [I("x", f64, 1)], phase="run")
    bad("bad/switch_ndim_too_big_cond", "T.switch(c, x, y)",
        [I("c", "bool", 3), I("x", f64, 1), I("y", f64, 1)], phase="run")
    bad("bad/and_float", "T.and_(x, y)", [I("x", f64, 1), I("y", f64, 1)], phase="compile")
    bad("bad/invert_float", "T.invert(x)", [I("x", f64, 1)], phase="compile")
    bad("bad/xor_float", "x ^ y", [I("x", f64, 1), I("y", f64, 1)], phase="compile")
    bad("bad/tensordot_bad_axes", "T.tensordot(a, b, axes=3)", [I("a", f64, 2), I("b", f64, 2)])
    bad("bad/batched_dot_r1", "T.batched_dot(a, b)", [I("a", f64, 1), I("b", f64, 1)])
    bad("bad/diag_r3", "T.diag(x)", [I("x", f64, 3)])
    bad("bad/diagonal_same_axes", "T.diagonal(x, 0, 1, 1)", [I("x", f64, 2)])
    bad("bad/softmax_r3", "T.nnet.softmax(x)", [I("x", f64, 3)])
    bad("bad/categorical_crossentropy_bad_ndim", "T.nnet.categorical_crossentropy(p, t)",
        [I("p", f64, 2), I("t", f64, 3)])
    bad("bad/tile_reps_too_short", "T.tile(x, (2,))", [I("x", f64, 2)], phase="compile")
    bad("bad/stack_ndim_mismatch", "T.stack([a, b])", [I("a", f64, 1), I("b", f64, 2)])
    bad("bad/function_input_not_variable", "theano.function([1.0], x)", [I("x", f64, 1)])
    bad("bad/function_missing_input", "theano.function([x], x + y)", [I("x", f64, 1), I("y", f64, 1)])
    bad("bad/function_wrong_dtype_arg", "x * 2", [I("x", "int8", 1, value=[1, 2, 3])], phase="build")
    bad("bad/sort_axis_out_of_range", "T.sort(x, axis=3)", [I("x", f64, 2)], phase="compile")
    bad("bad/clip_bad_ndim_bounds", "T.clip(x, lo, hi)", [I("x", f64, 1), I("lo", f64, 2), I("hi", f64, 0)],
        phase="run")
    bad("bad/mod_complex_like_string", "x + 'a'", [I("x", f64, 1)])
    bad("bad/pow_int_negative_runtime", "x ** y", [I("x", "int64", 1, value=[2, 2, 2]),
                                                   I("y", "int64", 1, value=[-1, 0, 1])], phase="run")


def runtime_call_errors():
    """Calling a compiled function with a wrong value: class + message."""
    x = T.dvector("x")
    f = theano.function([x], x * 2, name="f")
    for id_, src, val in [
        ("bad/call_wrong_ndim", "f(np.zeros((2, 2)))", np.zeros((2, 2))),
        ("bad/call_int64_to_float64", "f(np.arange(3))", np.arange(3)),
        ("bad/call_float32_downcast", "f(np.zeros(3, dtype='float32'))", np.zeros(3, dtype="float32")),
        ("bad/call_string", "f('abc')", "abc"),
        ("bad/call_too_many_args", "f(np.zeros(3), np.zeros(3))", None),
    ]:
        rec = new_record(id_, BAD, source="x = T.dvector('x'); f = theano.function([x], x * 2); " + src,
                         expected_phase="call")
        try:
            if val is None:
                r = f(np.zeros(3), np.zeros(3))
            else:
                r = f(val)
            rec["no_error"] = True
            rec["phase"] = None
            rec["output"] = enc_array(r)
        except Exception as e:  # noqa: BLE001
            rec["phase"] = "call"
            rec.update(exc(e))
    xi = T.bvector("xi")
    fi = theano.function([xi], xi + 1, name="f")
    rec = new_record("bad/call_int8_overflow_value", BAD,
                     source="xi = T.bvector('xi'); f = theano.function([xi], xi + 1); f([300])",
                     expected_phase="call")
    try:
        rec["output"] = enc_array(fi([300]))
        rec["no_error"] = True
        rec["phase"] = None
    except Exception as e:  # noqa: BLE001
        rec["phase"] = "call"
        rec.update(exc(e))


def main():
    t0 = time.time()
    groups = [unary_cases, binary_cases, ternary_cases, nnet_cases, reduction_cases,
              tensor_op_cases, composite_cases, seed_graph_cases, bad_build_cases, runtime_call_errors]
    for g in groups:
        g()
        print("%-20s records=%d bad=%d  %.1fs" % (g.__name__, len(RECORDS), len(BAD), time.time() - t0),
              file=sys.stderr)
    corpus = collections.OrderedDict()
    corpus["generator"] = "tests/theano10/gen.py"
    corpus["versions"] = {"theano": theano.__version__, "numpy": np.__version__,
                          "scipy": __import__("scipy").__version__,
                          "python": "%d.%d.%d" % sys.version_info[:3]}
    corpus["config"] = {"mode": str(theano.config.mode), "optimizer": theano.config.optimizer,
                        "linker": theano.config.linker, "cxx": theano.config.cxx,
                        "floatX": theano.config.floatX}
    corpus["records"] = RECORDS
    corpus["bad_builds"] = BAD
    with open(OUT, "w") as fh:
        json.dump(corpus, fh, sort_keys=True, indent=None, separators=(",", ":"), allow_nan=False)
        fh.write("\n")
    # summary
    per_op = collections.Counter(r["op"] for r in RECORDS)
    failed = [r for r in RECORDS if "error" in r]
    missing = sorted(set((r["op"], r["missing"]) for r in RECORDS if "missing" in r))
    print("per op:")
    for op in sorted(per_op):
        print("  %-32s %d" % (op, per_op[op]))
    print("total records: %d (ok %d, missing %d, failed %d); bad builds: %d"
          % (len(RECORDS), len(RECORDS) - len(failed) - sum(1 for r in RECORDS if "missing" in r),
             sum(1 for r in RECORDS if "missing" in r), len(failed), len(BAD)))
    print("missing in Theano %s:" % theano.__version__)
    for op, m in missing:
        print("  %s: %s" % (op, m))
    print("failures:")
    for r in failed:
        print("  %s: %s: %s" % (r["id"], r["error"], r["message"].splitlines()[0][:160]))
    noerr = [b["id"] for b in BAD if b.get("no_error")]
    print("bad builds that did not raise: %s" % noerr)
    print("size: %d bytes; time %.1fs" % (os.path.getsize(OUT), time.time() - t0))


if __name__ == "__main__":
    main()
