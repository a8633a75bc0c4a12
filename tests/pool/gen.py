"""Writes tests/pool/pool.json: what the real Theano 1.0.5's pool_2d and pool_3d (Pool,
MaxPoolGrad, AveragePoolGrad, DownsampleFactorMaxGradGrad; their Python performs) compute,
and how they print.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/pool/gen.py

The input is `sin(0.37 k)` over its elements in row-major order, rounded to 3 decimals so
some windows hold ties; the cost is `sum(pool(x) * cos(0.13 k))`. Theano's Python
MaxPoolGrad places a padded window differently from its C code and from Pool (a bug), so
the max cases with padding record no gradient. Theano 1.0.5's Python performs index NumPy
arrays with lists of slices, which NumPy 1.23 refuses: tests/theano10/theano_compat.py
re-reads them with tuples (nothing else changes).
"""
import json
import os
import sys

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.signal.pool import pool_2d, pool_3d

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "theano10"))
import theano_compat  # noqa: E402

theano_compat.patch_pool()
MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [float(v) for v in a.ravel()]}


def fill(shape, f, step, dtype, decimals=None):
    n = int(np.prod(shape))
    v = f(step * np.arange(n))
    if decimals is not None:
        v = np.round(v, decimals)
    return v.reshape(shape).astype(dtype)


cases = []


def case(name, shape, nd=2, dtype="float64", grads=True, **kw):
    x = T.TensorType(dtype, (False,) * len(shape))("x")
    out = (pool_2d if nd == 2 else pool_3d)(x, **kw)
    xv = fill(shape, np.sin, 0.37, dtype, decimals=1 if "tie" in name else 3)
    o = theano.function([x], out, mode=MODE)(xv)
    rec = {"name": name, "shape": list(shape), "nd": nd, "dtype": dtype,
           "kw": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()},
           "out": arr(o)}
    if grads:
        c = fill(o.shape, np.cos, 0.13, dtype)
        gx = T.grad((out * c).sum(), x)
        rec["gx"] = arr(theano.function([x], gx, mode=MODE)(xv))
        # the gradient of the gradient along a direction: d/dx sum(gx * v)
        v = fill(shape, np.cos, 0.29, dtype)
        ggx = T.grad((gx * v).sum(), x, disconnected_inputs="ignore")
        rec["ggx"] = arr(theano.function([x], ggx, mode=MODE,
                                         on_unused_input="ignore")(xv))
        # and with respect to the output gradient: sum(gx(gz) * v) for gz a variable
        gz = T.TensorType(dtype, (False,) * len(shape))("gz")
        gxz = T.grad((out * gz).sum(), x)
        gzz = T.grad((gxz * v).sum(), gz)
        rec["ggz"] = arr(theano.function([x, gz], gzz, mode=MODE,
                                         on_unused_input="ignore")(xv, c))
    cases.append(rec)


case("max_2x2", (2, 3, 6, 7), ws=(2, 2), ignore_border=True)
case("max_2x2_keep_border", (2, 3, 5, 7), ws=(2, 2), ignore_border=False)
case("max_stride", (1, 2, 7, 6), ws=(3, 2), stride=(2, 1), ignore_border=True)
case("max_stride_keep_border", (1, 2, 7, 6), ws=(3, 3), stride=(2, 2), ignore_border=False)
case("max_ties", (1, 1, 6, 6), ws=(2, 3), ignore_border=True)
case("max_pad", (1, 2, 5, 6), ws=(3, 3), pad=(1, 2), ignore_border=True, grads=False)
case("sum", (2, 2, 5, 6), ws=(2, 3), mode="sum", ignore_border=True)
case("sum_pad_stride", (1, 2, 6, 5), ws=(3, 2), stride=(2, 1), pad=(1, 1), mode="sum",
     ignore_border=True)
case("avg_inc_pad", (1, 2, 6, 5), ws=(3, 3), pad=(2, 1), stride=(2, 2),
     mode="average_inc_pad", ignore_border=True)
case("avg_exc_pad_nopad", (2, 1, 7, 5), ws=(2, 2), mode="average_exc_pad",
     ignore_border=False)
case("avg_exc_pad", (1, 2, 6, 5), ws=(3, 3), pad=(1, 1), mode="average_exc_pad",
     ignore_border=True, grads=False)
case("matrix", (5, 6), ws=(2, 2), ignore_border=True)
case("five_d", (2, 1, 2, 4, 5), ws=(2, 2), mode="average_inc_pad", ignore_border=True)
case("float32", (1, 2, 6, 6), dtype="float32", ws=(2, 2), ignore_border=True)
case("pool3d_max", (1, 2, 4, 5, 6), nd=3, ws=(2, 2, 3), ignore_border=True)
case("pool3d_avg", (1, 1, 5, 4, 5), nd=3, ws=(2, 2, 2), stride=(1, 2, 2),
     mode="average_exc_pad", ignore_border=False)

x = T.tensor4("x")
out = pool_2d(x, ws=(2, 2), ignore_border=True)
printing = {
    "pool": theano.printing.debugprint(out, file="str"),
    "pool_avg": theano.printing.debugprint(
        pool_2d(x, ws=(3, 2), stride=(1, 1), pad=(1, 0), mode="average_inc_pad",
                ignore_border=True), file="str"),
    "max_grad": theano.printing.debugprint(T.grad(out.sum(), x), file="str"),
    "avg_grad": theano.printing.debugprint(
        T.grad(pool_2d(x, ws=(2, 2), mode="sum", ignore_border=True).sum(), x), file="str"),
}
gx = T.grad(out.sum(), x)
printing["grad_grad"] = theano.printing.debugprint(
    T.grad((gx * x).sum(), x, disconnected_inputs="ignore"), file="str")

errors = {}
for label, thunk in [
        ("pad_keep_border", lambda: pool_2d(x, ws=(2, 2), pad=(1, 1), ignore_border=False)),
        ("pad_too_big", lambda: pool_2d(x, ws=(2, 2), pad=(2, 1), ignore_border=True)),
        ("bad_mode", lambda: pool_2d(x, ws=(2, 2), mode="min", ignore_border=True)),
        ("vector", lambda: pool_2d(T.vector(), ws=(2, 2), ignore_border=True)),
        ("float_ws", lambda: pool_2d(x, ws=T.dvector(), ignore_border=True)),
]:
    try:
        thunk()
        errors[label] = None
    except Exception as e:  # noqa
        errors[label] = "%s: %s" % (type(e).__name__, str(e).split("\n")[0])

with open("tests/pool/pool.json", "w") as fh:
    json.dump({"theano": theano.__version__, "numpy": np.__version__, "cases": cases,
               "printing": printing, "errors": errors}, fh, indent=1, sort_keys=True)
print("wrote", len(cases), "cases")
