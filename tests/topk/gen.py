"""Writes tests/topk/topk.json: what the real Theano 1.0.5's `theano.tensor.sort.topk`,
`argtopk` and `topk_and_argtopk` (`TopKOp`) compute with NumPy 1.23, their gradients, how
they print and how they refuse.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/topk/gen.py

Theano's `sorted=True` (the default) is not implemented, so every case passes
`sorted=False`: the order of the k elements along the axis is then NumPy's `argpartition`'s,
which the tests compare after sorting. NumPy 1.23 refuses the list of slices Theano's
`perform` indexes with; tests/theano10/theano_compat.py re-reads it with a tuple. Each case records its inputs and outputs and, for
`topk`, the gradient of `sum(sort(out) * W)` (`W` recorded) with respect to x.
"""
import json
import os
import sys

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.sort import topk, argtopk, topk_and_argtopk, TopKOp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "theano10"))
import theano_compat  # noqa: E402

theano_compat.patch_topk()
MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [v.item() for v in a.ravel()]}


cases = []
printing = {}


def case(name, fn, x, k, axis, idx_dtype="int64", grad=False):
    v = T.TensorType(str(x.dtype), (False,) * x.ndim)("x")
    outs = {"topk": lambda: [topk(v, k, axis=axis, sorted=False, idx_dtype=idx_dtype)],
            "argtopk": lambda: [argtopk(v, k, axis=axis, sorted=False, idx_dtype=idx_dtype)],
            "both": lambda: list(topk_and_argtopk(v, k, axis=axis, sorted=False,
                                                  idx_dtype=idx_dtype))}[fn]()
    o = theano.function([v], outs, mode=MODE)(x)
    rec = {"name": name, "fn": fn, "k": k, "axis": axis, "idx_dtype": idx_dtype,
           "inputs": [arr(x)], "outputs": [arr(a) for a in o]}
    if grad:
        ax = -1 if axis is None else axis
        w = np.cos(0.7 * np.arange(o[0].size) + 0.3).reshape(o[0].shape)
        g = T.grad((T.sort(outs[0], axis=ax) * w).sum(), v)
        rec["weights"] = arr(w)
        rec["grads"] = [arr(theano.function([v], g, mode=MODE)(x))]
    cases.append(rec)
    printing[name] = theano.printing.debugprint(outs, file="str")


V = np.array([0.3, -1.2, 4.5, 2.2, 0.9, -3.1, 1.7])
M = np.sin(np.arange(20.0) * 1.3).reshape(4, 5) * 3
case("vector_k3", "topk", V, 3, -1, grad=True)
case("vector_k_neg2", "topk", V, -2, -1, grad=True)
case("vector_k1", "topk", V, 1, -1, grad=True)
case("vector_k_neg1", "topk", V, -1, -1)
case("vector_k_all", "topk", V, 7, -1, grad=True)
case("matrix_axis0", "topk", M, 2, 0, grad=True)
case("matrix_axis1", "topk", M, 3, 1, grad=True)
case("matrix_axis_neg1_k_neg3", "topk", M, -3, -1, grad=True)
case("matrix_axis_none", "topk", M, 4, None, grad=True)
case("tensor3_axis1", "topk", np.sin(np.arange(24.0) * 0.7).reshape(2, 4, 3), 2, 1,
     grad=True)
case("argtopk_vector", "argtopk", V, 2, -1)
case("argtopk_matrix_int32", "argtopk", M, -2, 0, idx_dtype="int32")
case("argtopk_k1", "argtopk", M, 1, 1)
case("argtopk_none", "argtopk", M, 3, None)
case("argtopk_all", "argtopk", M, 5, 1)
case("both_matrix", "both", M, 2, 1)
case("both_k1", "both", M, -1, 0, idx_dtype="uint8")
case("float32", "topk", M.astype("float32"), 2, -1, grad=True)
case("int64", "topk", np.array([[5, 1, 9, 3], [2, 8, 6, 4]], dtype="int64"), 2, 1)
case("both_int8", "both", np.array([7, -3, 12, 0, 5], dtype="int8"), -2, 0)

errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


x = T.dvector("x")
m = T.dmatrix("m")
err("sorted_true", lambda: topk(x, 2))
err("idx_dtype_float", lambda: argtopk(x, 2, sorted=False, idx_dtype="float64"))
err("axis_out_of_range", lambda: topk(m, 2, axis=2, sorted=False))
err("scalar_input", lambda: topk(T.dscalar(), 1, sorted=False))
err("kth_vector", lambda: topk(x, T.lvector(), sorted=False))
err("kth_float", lambda: topk(x, 1.5, sorted=False))
err("axis_not_int", lambda: TopKOp(axis=1.0, sorted=False))
err("neither_output", lambda: TopKOp(sorted=False, return_values=False,
                                     return_indices=False))
k = T.lscalar("k")
f = theano.function([x, k], topk(x, k, sorted=False), mode=MODE)
err("k_zero", lambda: f(np.ones(3), 0))
err("k_too_large", lambda: f(np.ones(3), 4))
err("k_too_small", lambda: f(np.ones(3), -4))
err("argtopk_grad", lambda: T.grad(argtopk(x, 2, sorted=False).sum(), x))

with open("tests/topk/topk.json", "w") as fh:
    json.dump({"cases": cases, "printing": printing, "errors": errors}, fh, indent=1)
    fh.write("\n")
print(len(cases), "cases")
