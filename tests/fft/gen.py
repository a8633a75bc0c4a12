"""Writes tests/fft/fft.json: what the real Theano 1.0.5's `theano.tensor.fft` (`rfft`,
`irfft`) computes with NumPy 1.23, its gradients, how it prints and how it refuses.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \\
        /tmp/theano10/bin/python -W ignore tests/fft/gen.py

Each case records its input and output and the gradient of `sum(out * W)` (`W` recorded).
"""
import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor import fft

MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [v.item() for v in a.ravel()]}


rs = np.random.RandomState(11)
cases = []
printing = {}


def case(name, build, x, **extra):
    v = T.TensorType(str(x.dtype), (False,) * x.ndim)("x")
    out = build(v)
    o = theano.function([v], out, mode=MODE)(x)
    w = np.cos(0.7 * np.arange(o.size) + 0.3).reshape(o.shape)
    g = T.grad((out * w).sum(), v)
    rec = {"name": name, "inputs": [arr(x)], "outputs": [arr(o)], "weights": arr(w),
           "grads": [arr(theano.function([v], g, mode=MODE)(x))]}
    rec.update(extra)
    cases.append(rec)
    printing[name] = theano.printing.debugprint(out, file="str")


case("rfft_1d_even", lambda x: fft.rfft(x), rs.randn(3, 8), norm=None)
case("rfft_1d_odd", lambda x: fft.rfft(x), rs.randn(2, 7), norm=None)
case("rfft_2d", lambda x: fft.rfft(x), rs.randn(2, 4, 6), norm=None)
case("rfft_2d_ortho", lambda x: fft.rfft(x, norm="ortho"), rs.randn(2, 5, 4), norm="ortho")
case("rfft_3d", lambda x: fft.rfft(x), rs.randn(1, 3, 4, 5), norm=None)
case("rfft_float32", lambda x: fft.rfft(x), rs.randn(2, 6).astype("float32"), norm=None)
case("irfft_1d", lambda x: fft.irfft(x), rs.randn(3, 5, 2), norm=None, is_odd=False)
case("irfft_1d_odd", lambda x: fft.irfft(x, is_odd=True), rs.randn(2, 4, 2), norm=None,
     is_odd=True)
case("irfft_2d", lambda x: fft.irfft(x), rs.randn(2, 4, 3, 2), norm=None, is_odd=False)
case("irfft_2d_ortho", lambda x: fft.irfft(x, norm="ortho"), rs.randn(2, 3, 4, 2),
     norm="ortho", is_odd=False)
case("irfft_no_norm", lambda x: fft.irfft(x, norm="no_norm", is_odd=True), rs.randn(1, 3, 4, 2),
     norm="no_norm", is_odd=True)
case("round_trip", lambda x: fft.irfft(fft.rfft(x)), rs.randn(2, 6, 4), norm=None,
     is_odd=False)

errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


err("rfft_vector", lambda: fft.rfft(T.dvector()))
err("irfft_matrix", lambda: fft.irfft(T.dmatrix()))
err("bad_norm", lambda: fft.rfft(T.dmatrix(), norm="unitary"))
err("float_s", lambda: fft.rfft_op(T.dmatrix(), T.dvector()))

with open("tests/fft/fft.json", "w") as fh:
    json.dump({"cases": cases, "printing": printing, "errors": errors}, fh, indent=1)
    fh.write("\n")
print(len(cases), "cases")
