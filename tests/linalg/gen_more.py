"""Writes tests/linalg/more.json: what the real Theano 1.0.5's `nlinalg.lstsq`,
`tensorinv` and `tensorsolve` compute with NumPy 1.23, how they print and how they refuse.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \\
        /tmp/theano10/bin/python -W ignore tests/linalg/gen_more.py
"""
import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor import nlinalg

MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [v.item() for v in a.ravel()]}


rs = np.random.RandomState(7)
cases = []
printing = {}


def var(v, name):
    return T.TensorType(str(v.dtype), (False,) * v.ndim)(name)


def case(name, build, inputs, **extra):
    vs = [var(v, "i%d" % k) for k, v in enumerate(inputs)]
    outs = build(*vs)
    if not isinstance(outs, (list, tuple)):
        outs = [outs]
    o = theano.function(vs, list(outs), mode=MODE)(*inputs)
    rec = {"name": name, "inputs": [arr(v) for v in inputs], "outputs": [arr(v) for v in o]}
    rec.update(extra)
    cases.append(rec)
    printing[name] = theano.printing.debugprint(list(outs), file="str")


A = rs.randn(5, 3)
case("lstsq_over", lambda a, b, r: nlinalg.lstsq()(a, b, r),
     [A, rs.randn(5, 2), np.array(-1.0)])
D = np.dot(rs.randn(4, 2), rs.randn(2, 3))
case("lstsq_rank_deficient", lambda a, b, r: nlinalg.lstsq()(a, b, r),
     [D, rs.randn(4, 2), np.array(1e-10)])
case("lstsq_under", lambda a, b, r: nlinalg.lstsq()(a, b, r),
     [rs.randn(2, 4), rs.randn(2, 3), np.array(-1.0)])
case("lstsq_cutoff", lambda a, b, r: nlinalg.lstsq()(a, b, r),
     [np.diag([3.0, 1.0, 1e-3]), np.ones((3, 1)), np.array(0.01)])
T4 = rs.randn(4, 6, 8, 3)
case("tensorinv_2", lambda a: nlinalg.tensorinv(a), [T4], ind=2)
case("tensorinv_1", lambda a: nlinalg.tensorinv(a, ind=1), [rs.randn(6, 2, 3)], ind=1)
S = rs.randn(6, 2, 3)
case("tensorsolve", lambda a, b: nlinalg.tensorsolve(a, b), [S, rs.randn(6)], axes=None)
S2 = rs.randn(2, 3, 6)
case("tensorsolve_axes", lambda a, b: nlinalg.tensorsolve(a, b, axes=(0, 1)),
     [S2, rs.randn(6)], axes=[0, 1])
case("tensorsolve_2d_b", lambda a, b: nlinalg.tensorsolve(a, b),
     [rs.randn(2, 3, 6), rs.randn(2, 3)], axes=None)

errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


t3 = T.dtensor3("t")
f = theano.function([t3], nlinalg.tensorinv(t3, ind=1), mode=MODE)
err("tensorinv_not_square", lambda: f(np.ones((5, 2, 3))))
f0 = theano.function([t3], nlinalg.tensorinv(t3, ind=0), mode=MODE)
err("tensorinv_ind_0", lambda: f0(np.ones((2, 2, 3))))
v = T.dvector("v")
g = theano.function([t3, v], nlinalg.tensorsolve(t3, v), mode=MODE)
err("tensorsolve_prod", lambda: g(np.ones((5, 2, 3)), np.ones(5)))
err("lstsq_grad", lambda: T.grad(nlinalg.lstsq()(T.dmatrix(), T.dmatrix(), -1.0)[0].sum(),
                                 T.dmatrix()))

with open("tests/linalg/more.json", "w") as fh:
    json.dump({"cases": cases, "printing": printing, "errors": errors}, fh, indent=1)
    fh.write("\n")
print(len(cases), "cases")
