"""Writes tests/extra/extra.json: what the real Theano 1.0.5's remaining `extra_ops`
(`searchsorted`, `diff`, `compress`, `take`, `bartlett`, `fill_diagonal`,
`fill_diagonal_offset`, `Unique`, `unravel_index`, `ravel_multi_index`) compute with NumPy
1.23, their gradients, how they print and how they refuse.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/extra/gen.py

Each case records its inputs and outputs and, where the op has one, the gradient of
`sum(out * W)` (`W` recorded) with respect to its float inputs.
"""
import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor import extra_ops as E

MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [v.item() for v in a.ravel()]}


cases = []
printing = {}


def var(v, k):
    v = np.asarray(v)
    return T.TensorType(str(v.dtype), (False,) * v.ndim)("i%d" % k)


def case(name, build, inputs, grad_of=()):
    vals = [np.asarray(v) for v in inputs]
    vs = [var(v, k) for k, v in enumerate(vals)]
    outs = build(*vs)
    if not isinstance(outs, (list, tuple)):
        outs = [outs]
    outs = list(outs)
    o = theano.function(vs, outs, mode=MODE, on_unused_input="ignore")(*vals)
    rec = {"name": name, "inputs": [arr(v) for v in vals], "outputs": [arr(v) for v in o]}
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


X = np.array([1.0, 2.5, 2.5, 4.0, 7.0])
V = np.array([[0.0, 2.5], [3.0, 9.0]])
case("searchsorted_left", lambda x, v: E.searchsorted(x, v), [X, V], grad_of=())
case("searchsorted_right", lambda x, v: E.searchsorted(x, v, side="right"), [X, V])
case("searchsorted_sorter", lambda x, v, s: E.searchsorted(x, v, sorter=s),
     [np.array([4.0, 1.0, 7.0, 2.5]), np.array([3.0, 0.5, 8.0]), np.array([1, 3, 0, 2])])
M = np.array([[1.0, 4.0, 9.0, 16.0], [2.0, 3.0, 5.0, 8.0], [0.5, 0.25, 2.0, 1.0]])
case("diff_vec", lambda x: E.diff(x), [np.array([1.0, 4.0, 9.0, 16.0, 20.0])], grad_of=(0,))
case("diff_vec_n2", lambda x: E.diff(x, n=2), [np.array([1.0, 4.0, 9.0, 16.0, 20.0])],
     grad_of=(0,))
case("diff_mat_axis0", lambda x: E.diff(x, n=1, axis=0), [M])
case("diff_mat_n2", lambda x: E.diff(x, n=2), [M])
case("diff_int", lambda x: E.diff(x), [np.array([3, 1, 4, 1, 5], dtype="int32")])
case("compress_axis0", lambda c, x: E.compress(c, x, axis=0), [np.array([1, 0, 1]), M],
     grad_of=(1,))
case("compress_axis1", lambda c, x: E.compress(c, x, axis=1), [np.array([0, 1, 1, 0]), M],
     grad_of=(1,))
case("compress_flat", lambda c, x: E.compress(c, x),
     [np.array([1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1]), M], grad_of=(1,))
case("take_axis1", lambda x, i: T.take(x, i, axis=1), [M, np.array([3, 0, 0])],
     grad_of=(0,))
case("take_matrix_indices", lambda x, i: T.take(x, i, axis=0),
     [M, np.array([[2, 0], [1, 1]])], grad_of=(0,))
case("take_flat", lambda x, i: T.take(x, i), [M, np.array([11, 0, 5])], grad_of=(0,))
case("bartlett_5", lambda m: E.bartlett(m), [np.array(5, dtype="int64")])
case("bartlett_8", lambda m: E.bartlett(m), [np.array(8, dtype="int32")])
case("bartlett_neg", lambda m: E.bartlett(m), [np.array(-2, dtype="int64")])
case("fill_diagonal", lambda a, v: E.fill_diagonal(a, v), [M, np.array(-1.5)],
     grad_of=(0, 1))
case("fill_diagonal_tall", lambda a, v: E.fill_diagonal(a, v), [M.T.copy(), np.array(7.0)],
     grad_of=(0, 1))
case("fill_diagonal_3d", lambda a, v: E.fill_diagonal(a, v),
     [np.arange(27.0).reshape(3, 3, 3), np.array(-1.0)])
case("fill_diagonal_offset_pos", lambda a, v, o: E.fill_diagonal_offset(a, v, o),
     [M, np.array(-2.0), np.array(1, dtype="int64")], grad_of=(0, 1))
case("fill_diagonal_offset_neg", lambda a, v, o: E.fill_diagonal_offset(a, v, o),
     [M, np.array(-2.0), np.array(-1, dtype="int64")], grad_of=(0, 1))
case("fill_diagonal_offset_tall", lambda a, v, o: E.fill_diagonal_offset(a, v, o),
     [M.T.copy(), np.array(5.0), np.array(-2, dtype="int32")], grad_of=(0, 1))
U = np.array([3.0, 1.0, 2.0, 3.0, 1.0, 5.0, 2.0])
case("unique", lambda x: E.Unique()(x), [U])
case("unique_all", lambda x: E.Unique(True, True, True)(x), [U])
case("unique_inverse", lambda x: E.Unique(False, True, False)(x), [U])
case("unique_matrix", lambda x: E.Unique(True, False, True)(x),
     [np.array([[2, 1, 2], [7, 1, 0]], dtype="int64")])
case("unique_axis0", lambda x: E.Unique(True, True, True, axis=0)(x),
     [np.array([[1.0, 2.0], [0.0, 5.0], [1.0, 2.0], [0.0, 1.0]])])
case("unique_axis1", lambda x: E.Unique(False, True, False, axis=1)(x),
     [np.array([[1, 0, 1], [2, 3, 2]], dtype="int32")])
case("unravel_index", lambda i, d: E.unravel_index(i, d, ndim=3),
     [np.array([[22, 41], [37, 0]]), np.array([7, 6, 1])])
case("unravel_index_scalar", lambda i, d: E.unravel_index(i, d, ndim=2),
     [np.array(7), np.array([3, 4], dtype="int32")])
case("ravel_multi_index", lambda a, b, d: E.ravel_multi_index((a, b), d),
     [np.array([3, 6, 6]), np.array([4, 5, 1]), np.array([7, 6])])
case("ravel_multi_index_wrap", lambda a, b, d: E.ravel_multi_index((a, b), d, mode="wrap"),
     [np.array([3, 9, -1]), np.array([4, 5, 7]), np.array([7, 6])])
case("ravel_multi_index_clip_f", lambda a, b, d: E.ravel_multi_index((a, b), d, mode="clip",
                                                                      order="F"),
     [np.array([3, 9, -1]), np.array([4, 5, 7]), np.array([7, 6])])

errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


x = T.dvector("x")
m = T.dmatrix("m")
err("searchsorted_side", lambda: E.searchsorted(x, x, side="middle"))
err("searchsorted_sorter_float", lambda: E.searchsorted(x, x, sorter=x))
err("diff_grad_matrix", lambda: T.grad(E.diff(m).sum(), m))
err("bartlett_vector", lambda: E.bartlett(T.lvector()))
err("bartlett_float", lambda: E.bartlett(T.dscalar()))
err("fill_diagonal_vector", lambda: E.fill_diagonal(x, 1.0))
err("fill_diagonal_val_vector", lambda: E.fill_diagonal(m, x))
err("fill_diagonal_upcast", lambda: E.fill_diagonal(T.imatrix(), 1.5))
err("fill_diagonal_offset_float_offset", lambda: E.fill_diagonal_offset(m, 1.0, 0.5))
err("fill_diagonal_offset_3d", lambda: E.fill_diagonal_offset(T.dtensor3(), 1.0, 0))
err("fill_diagonal_grad_3d", lambda: T.grad(E.fill_diagonal(T.dtensor3(), 1.0).sum(),
                                            T.dtensor3()))
err("unique_axis_out", lambda: E.Unique(axis=2)(m))
err("unravel_float", lambda: E.unravel_index(x, [3, 4]))
err("unravel_dims_matrix", lambda: E.unravel_index(T.lvector(), T.lmatrix(), ndim=2))
err("ravel_float", lambda: E.ravel_multi_index((x, x), [3, 4]))
err("ravel_not_tuple", lambda: E.ravel_multi_index(T.lvector(), [3, 4]))
err("unravel_ndim_zero", lambda: E.UnravelIndex(0))
i = T.lvector("i")
d = T.lvector("d")
f = theano.function([i, d], E.unravel_index(i, d, ndim=2), mode=MODE)
err("unravel_out_of_bounds", lambda: f(np.array([12]), np.array([3, 4])))
f = theano.function([i, d], E.ravel_multi_index((i, i), d), mode=MODE)
err("ravel_out_of_bounds", lambda: f(np.array([5]), np.array([3, 4])))
f = theano.function([m, i], E.compress(i, m, axis=0), mode=MODE)
err("compress_too_long", lambda: f(np.ones((2, 2)), np.array([1, 1, 1])))

with open("tests/extra/extra.json", "w") as fh:
    json.dump({"cases": cases, "printing": printing, "errors": errors}, fh, indent=1)
    fh.write("\n")
print(len(cases), "cases")
