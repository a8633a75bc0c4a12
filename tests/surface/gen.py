"""Writes tests/surface/surface.json: what the real Theano 1.0.5 builds and computes (NumPy
1.23, SciPy 1.10) for the smaller builders of its surface: `swapaxes`, `ptp`, `isclose`,
`allclose`, `horizontal_stack`, `vertical_stack`, `shape_padleft`, `shape_padright`,
`shape_padaxis`, `smallest`, `largest`, `divmod`, `round`, `cov`, `nnet.selu`,
`nnet.confusion_matrix`, `signal.pool.max_pool_2d_same_size`, `nnet.conv2d_transpose`,
`separable_conv2d`, `causal_conv1d`, `bilinear_upsampling`, `bilinear_kernel_1D`/`2D`;
their gradients, debugprints and refusals.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/surface/gen.py

Each case records its inputs and outputs and, where asked, the gradient of `sum(out * W)`
(`W` recorded) with respect to its float inputs. The convolutions are computed by Theano's
Python `perform`s (`optimizer=None`; tests/theano10/theano_compat.py points them at SciPy
1.10's module paths, and re-reads the pooling performs with tuples for NumPy 1.23).
"""
import json
import os
import sys

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.nnet import abstract_conv as AC
from theano.tensor.nnet import conv2d_transpose, confusion_matrix, selu
from theano.tensor.signal.pool import max_pool_2d_same_size

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "theano10"))
import theano_compat  # noqa: E402

theano_compat.patch_conv()
theano_compat.patch_pool()
MODE = theano.compile.Mode(optimizer=None)


def num(v):
    v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def arr(a):
    """An array as JSON (the non-finite floats as "nan", "inf", "-inf")."""
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape), "data": [num(v) for v in a.ravel()]}


cases = []
printing = {}


def val(shape, seed, dtype="float64", lo=-2.0, hi=2.0):
    n = int(np.prod(shape))
    v = lo + (hi - lo) * (0.5 + 0.5 * np.sin(seed * 1.37 + np.arange(n) * 0.91))
    return v.reshape(shape).astype(dtype)


def case(name, inputs, build, grad_of=()):
    """inputs: [(name, value, broadcastable or None)]"""
    vs, vals = [], []
    for (n, v, b) in inputs:
        v = np.asarray(v)
        bc = b if b is not None else (False,) * v.ndim
        vs.append(T.TensorType(str(v.dtype), bc)(n))
        vals.append(v)
    outs = build(*vs)
    if not isinstance(outs, (list, tuple)):
        outs = [outs]
    outs = list(outs)
    o = theano.function(vs, outs, mode=MODE, on_unused_input="ignore")(*vals)
    rec = {"name": name, "inputs": [arr(v) for v in vals],
           "names": [n for (n, _, _) in inputs], "outputs": [arr(v) for v in o]}
    if grad_of:
        w = np.cos(0.7 * np.arange(o[0].size) + 0.3).reshape(o[0].shape)
        cost = (outs[0] * w).sum()
        gs = T.grad(cost, [vs[k] for k in grad_of])
        rec["weights"] = arr(w)
        rec["grad_of"] = list(grad_of)
        rec["grads"] = [arr(g) for g in theano.function(vs, gs, mode=MODE,
                                                       on_unused_input="ignore")(*vals)]
    cases.append(rec)
    printing[name] = theano.printing.debugprint(outs, file="str")


M = val((3, 4), 1)
case("swapaxes", [("t", val((2, 3, 4), 2), None)], lambda t: T.swapaxes(t, 0, 2), (0,))
case("swapaxes_neg", [("m", M, None)], lambda m: T.swapaxes(m, -1, 0), (0,))
case("ptp_all", [("m", M, None)], lambda m: T.ptp(m), (0,))
case("ptp_axis", [("m", M, None)], lambda m: T.ptp(m, axis=1), (0,))
A = np.array([1.0, 1.0 + 1e-6, np.nan, np.inf, -np.inf, np.inf, 0.0, np.nan])
B = np.array([1.0, 1.0, np.nan, np.inf, np.inf, 1.0, 1e-9, 0.0])
case("isclose", [("a", A, None), ("b", B, None)], lambda a, b: T.isclose(a, b))
case("isclose_equal_nan", [("a", A, None), ("b", B, None)],
     lambda a, b: T.isclose(a, b, rtol=1e-3, atol=1e-3, equal_nan=True))
case("allclose", [("a", A[:2], None), ("b", B[:2], None)], lambda a, b: T.allclose(a, b))
case("allclose_false", [("a", A, None), ("b", B, None)], lambda a, b: T.allclose(a, b))
case("horizontal_stack", [("a", M, None), ("b", val((3, 2), 3), None)],
     lambda a, b: T.horizontal_stack(a, b), (0, 1))
case("vertical_stack", [("a", M, None), ("b", val((1, 4), 4), None), ("c", M, None)],
     lambda a, b, c: T.vertical_stack(a, b, c), (0, 1))
case("shape_padleft", [("m", M, None)], lambda m: T.shape_padleft(m, 2))
case("shape_padright", [("m", M, None)], lambda m: T.shape_padright(m))
case("shape_padaxis", [("m", M, None)], lambda m: T.shape_padaxis(m, 1))
case("shape_padaxis_neg", [("m", M, None)], lambda m: T.shape_padaxis(m, -1))
V = val((5,), 5)
W = val((5,), 6)
case("smallest_2", [("a", V, None), ("b", W, None)], lambda a, b: T.smallest(a, b), (0, 1))
case("smallest_3", [("a", V, None), ("b", W, None), ("c", val((5,), 7), None)],
     lambda a, b, c: T.smallest(a, b, c), (0, 1, 2))
case("largest_2", [("a", V, None), ("b", W, None)], lambda a, b: T.largest(a, b), (0, 1))
case("largest_3", [("a", V, None), ("b", W, None), ("c", val((5,), 7), None)],
     lambda a, b, c: T.largest(a, b, c), (0, 1, 2))
I = np.array([7, -7, 7, -7, 0, 13], dtype="int64")
J = np.array([2, 2, -2, -2, 3, 5], dtype="int64")
case("divmod_int", [("a", I, None), ("b", J, None)], lambda a, b: T.divmod(a, b))
case("divmod_float", [("a", np.array([7.5, -7.5, 2.0]), None),
                      ("b", np.array([2.0, 2.0, -0.75]), None)], lambda a, b: T.divmod(a, b))
R = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, -2.6])
case("round_even", [("x", R, None)], lambda x: T.round(x, mode="half_to_even"))
case("round_away", [("x", R, None)], lambda x: T.round(x, mode="half_away_from_zero"))
C = val((3, 5), 8)
case("cov", [("m", C, None)], lambda m: T.cov(m), (0,))
case("cov_y_cols_bias", [("m", C.T.copy(), None), ("y", val((5, 2), 9), None)],
     lambda m, y: T.cov(m, y, rowvar=False, bias=True), (0, 1))
case("cov_ddof", [("m", C, None)], lambda m: T.cov(m, ddof=2), (0,))
case("selu", [("x", val((2, 3), 10), None)], lambda x: selu(x), (0,))
case("confusion_matrix", [("a", np.array([0, 1, 2, 1, 0, 3]), None),
                          ("p", np.array([0, 2, 2, 1, 1, 1]), None)],
     lambda a, p: confusion_matrix(a, p))
X4 = val((2, 2, 5, 6), 11)
case("max_pool_2d_same_size", [("x", X4, None)],
     lambda x: max_pool_2d_same_size(x, (2, 2)), (0,))
case("max_pool_2d_same_size_3", [("x", X4, None)],
     lambda x: max_pool_2d_same_size(x, (3, 2)))
case("conv2d_transpose", [("x", val((2, 3, 4, 4), 12), None), ("w", val((3, 2, 3, 3), 13), None)],
     lambda x, w: conv2d_transpose(x, w, output_shape=(2, 2, 6, 6)), (0, 1))
case("conv2d_transpose_dilated",
     [("x", val((1, 2, 4, 4), 14), None), ("w", val((2, 1, 3, 3), 15), None)],
     lambda x, w: conv2d_transpose(x, w, output_shape=(1, 1, 7, 7), border_mode="half",
                                   input_dilation=(2, 2)), (0, 1))
case("separable_conv2d",
     [("x", val((2, 2, 5, 5), 16), None), ("d", val((4, 1, 3, 3), 17), None),
      ("p", val((3, 4, 1, 1), 18), None)],
     lambda x, d, p: AC.separable_conv2d(x, d, p, num_channels=2), (0, 1, 2))
case("separable_conv2d_shapes",
     [("x", val((1, 3, 6, 6), 19), None), ("d", val((3, 1, 2, 2), 20), None),
      ("p", val((2, 3, 1, 1), 21), None)],
     lambda x, d, p: AC.separable_conv2d(x, d, p, num_channels=3, input_shape=(1, 3, 6, 6),
                                         depthwise_filter_shape=(3, 1, 2, 2),
                                         pointwise_filter_shape=(2, 3, 1, 1),
                                         border_mode="half", subsample=(2, 2)))
case("causal_conv1d", [("x", val((2, 3, 7), 22), None), ("w", val((4, 3, 3), 23), None)],
     lambda x, w: AC.causal_conv1d(x, w, filter_shape=(4, 3, 3)), (0, 1))
case("causal_conv1d_dilated", [("x", val((1, 2, 9), 24), None), ("w", val((2, 2, 2), 25), None)],
     lambda x, w: AC.causal_conv1d(x, w, filter_shape=(2, 2, 2), input_shape=(1, 2, 9),
                                   filter_dilation=3), (0, 1))
case("bilinear_upsampling_1d", [("x", val((2, 3, 3, 4), 26), None)],
     lambda x: AC.bilinear_upsampling(x, ratio=2), (0,))
case("bilinear_upsampling_2d", [("x", val((1, 2, 3, 3), 27), None)],
     lambda x: AC.bilinear_upsampling(x, ratio=3, batch_size=1, num_input_channels=2,
                                      use_1D_kernel=False), (0,))
case("frac_bilinear_upsampling", [("x", val((1, 2, 3, 4), 28), None)],
     lambda x: AC.bilinear_upsampling(x, frac_ratio=(3, 2), use_1D_kernel=False), (0,))
case("frac_bilinear_upsampling_pairs", [("x", val((2, 1, 3, 3), 29), None)],
     lambda x: AC.bilinear_upsampling(x, frac_ratio=((4, 2), (5, 3)), use_1D_kernel=False),
     (0,))
kernels = {"1d_2": arr(theano.function([], AC.bilinear_kernel_1D(2), mode=MODE)()),
           "1d_3_raw": arr(theano.function([], AC.bilinear_kernel_1D(3, normalize=False),
                                           mode=MODE)()),
           "2d_2": arr(theano.function([], AC.bilinear_kernel_2D(2), mode=MODE)()),
           "2d_3_raw": arr(theano.function([], AC.bilinear_kernel_2D(3, normalize=False),
                                           mode=MODE)())}
printing["bilinear_kernel_1D"] = theano.printing.debugprint(AC.bilinear_kernel_1D(2),
                                                            file="str")

errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


m = T.dmatrix("m")
v = T.dvector("v")
err("shape_padaxis_out", lambda: T.shape_padaxis(m, 3))
err("horizontal_stack_vector", lambda: T.horizontal_stack(m, v))
err("horizontal_stack_one", lambda: T.horizontal_stack(m))
err("round_mode", lambda: T.round(m, mode="up"))
err("cov_fweights", lambda: T.cov(m, fweights=v))
err("confusion_matrix_2d", lambda: confusion_matrix(m, v))
err("causal_conv1d_4d", lambda: AC.causal_conv1d(T.dtensor4(), T.dtensor3(), (1, 1, 1)))
err("bilinear_both", lambda: AC.bilinear_upsampling(T.dtensor4(), ratio=2, frac_ratio=2))
err("bilinear_none", lambda: AC.bilinear_upsampling(T.dtensor4()))
err("frac_1d", lambda: AC.bilinear_upsampling(T.dtensor4(), frac_ratio=(3, 2)))

with open("tests/surface/surface.json", "w") as fh:
    json.dump({"cases": cases, "printing": printing, "kernels": kernels, "errors": errors},
              fh, indent=1)
    fh.write("\n")
print(len(cases), "cases")
