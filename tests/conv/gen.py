"""Writes tests/conv/conv.json: what the real Theano 1.0.5's conv2d (AbstractConv2d and
its two gradient ops, NumPy 1.23 and SciPy) computes, and how it prints.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/conv/gen.py

The inputs are `sin(0.37 k)` (images) and `cos(0.21 k)` (filters) over their elements in
row-major order; the cost of each gradient is `sum(conv2d(x, w) * cos(0.13 k))`.
"""
import json
import os
import sys

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.nnet import conv2d

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "theano10"))
import theano_compat  # noqa: E402

# SciPy 1.10's convolution for Theano's own perform (theano_compat.py); optimizer=None keeps
# AbstractConv2d: the CPU optimizer would swap in the legacy ConvOp, which needs a C compiler
theano_compat.patch_conv()
MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [float(v) for v in a.ravel()]}


def fill(shape, f, step, dtype):
    n = int(np.prod(shape))
    return f(step * np.arange(n)).reshape(shape).astype(dtype)


cases = []


def case(name, imshp, kshp, dtype="float64", **kw):
    x = T.tensor4("x", dtype=dtype)
    w = T.tensor4("w", dtype=dtype)
    out = conv2d(x, w, **kw)
    xv = fill(imshp, np.sin, 0.37, dtype)
    wv = fill(kshp, np.cos, 0.21, dtype)
    f = theano.function([x, w], out, mode=MODE)
    o = f(xv, wv)
    c = fill(o.shape, np.cos, 0.13, dtype)
    cost = (out * c).sum()
    gx, gw = T.grad(cost, [x, w])
    g = theano.function([x, w], [gx, gw], mode=MODE)(xv, wv)
    cases.append({"name": name, "imshp": list(imshp), "kshp": list(kshp), "dtype": dtype,
                  "kw": {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()},
                  "out": arr(o), "gx": arr(g[0]), "gw": arr(g[1])})


case("valid", (2, 3, 5, 6), (4, 3, 2, 3))
case("valid_no_flip", (2, 3, 5, 6), (4, 3, 2, 3), filter_flip=False)
case("full", (1, 2, 4, 4), (3, 2, 3, 2), border_mode="full")
case("half_stride", (2, 2, 7, 6), (2, 2, 3, 3), border_mode="half", subsample=(2, 2))
case("pad_stride_dilation", (1, 2, 7, 8), (3, 2, 2, 3), border_mode=(1, 2),
     subsample=(2, 1), filter_dilation=(2, 1))
case("asymmetric_pad", (2, 1, 5, 5), (2, 1, 3, 2), border_mode=((1, 0), (2, 1)))
case("int_pad_dilation", (1, 3, 6, 6), (2, 3, 2, 2), border_mode=1, filter_dilation=(2, 2),
     filter_flip=False)
case("groups", (2, 6, 5, 5), (6, 2, 3, 3), num_groups=3)
case("groups_stride_full", (1, 4, 5, 4), (4, 2, 2, 2), num_groups=2, border_mode="full",
     subsample=(2, 3))
case("float32", (2, 3, 5, 5), (2, 3, 3, 3), dtype="float32", border_mode="half")

# printing: the forward op and the gradient graph
x = T.tensor4("x")
w = T.tensor4("w")
out = conv2d(x, w, border_mode=(1, 2), subsample=(2, 1))
printing = {
    "forward": theano.printing.debugprint(out, file="str"),
    "hinted": theano.printing.debugprint(
        conv2d(x, w, input_shape=(2, 3, 5, 6), filter_shape=(4, 3, 2, 3),
               border_mode="half", filter_flip=False, filter_dilation=(1, 2)), file="str"),
    "grads": theano.printing.debugprint(T.grad(out.sum(), [x, w]), file="str"),
}

# errors
errors = {}
xv = np.zeros((2, 3, 5, 6))
for label, thunk in [
        ("channels", lambda: theano.function([x, w], conv2d(x, w), mode=MODE)(
            xv, np.zeros((4, 2, 2, 2)))),
        ("groups_indivisible", lambda: theano.function(
            [x, w], conv2d(x, w, num_groups=2), mode=MODE)(xv, np.zeros((4, 1, 2, 2)))),
        ("imshp_mismatch", lambda: theano.function(
            [x, w], conv2d(x, w, input_shape=(2, 3, 5, 7)), mode=MODE)(
                xv, np.zeros((4, 3, 2, 2)))),
        ("kernel_too_big", lambda: theano.function([x, w], conv2d(x, w), mode=MODE)(
            xv, np.zeros((4, 3, 6, 2)))),
        ("bad_border", lambda: conv2d(x, w, border_mode="same")),
        ("negative_border", lambda: conv2d(x, w, border_mode=-1)),
        ("bad_subsample", lambda: conv2d(x, w, subsample=(1, 1, 1))),
        ("zero_groups", lambda: conv2d(x, w, num_groups=0)),
        ("matrix", lambda: conv2d(T.matrix(), w)),
]:
    try:
        thunk()
        errors[label] = None
    except Exception as e:  # noqa
        errors[label] = "%s: %s" % (type(e).__name__, str(e).split("\n")[0])

with open("tests/conv/conv.json", "w") as fh:
    json.dump({"theano": theano.__version__, "numpy": np.__version__, "cases": cases,
               "printing": printing, "errors": errors}, fh, indent=1, sort_keys=True)
print("wrote", len(cases), "cases")
