"""Writes tests/blocksparse/blocksparse.json: what the real Theano 1.0.5's
`theano.tensor.nnet.blocksparse` (`sparse_block_dot`, `SparseBlockGemv`,
`SparseBlockOuter`) and `nnet.h_softmax` compute, their gradients, how they print and how
they refuse.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \\
        /tmp/theano10/bin/python -W ignore tests/blocksparse/gen.py
"""
import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.nnet import h_softmax
from theano.tensor.nnet.blocksparse import sparse_block_dot

MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [v.item() for v in a.ravel()]}


rs = np.random.RandomState(3)
cases = []
printing = {}


def var(v, name):
    return T.TensorType(str(v.dtype), (False,) * v.ndim)(name)


def case(name, build, inputs, grad_of=()):
    vs = [var(v, n) for n, v in inputs]
    vals = [v for _, v in inputs]
    out = build(*vs)
    o = theano.function(vs, out, mode=MODE, on_unused_input="ignore")(*vals)
    rec = {"name": name, "names": [n for n, _ in inputs], "inputs": [arr(v) for v in vals],
           "outputs": [arr(o)]}
    if grad_of:
        w = np.cos(0.7 * np.arange(o.size) + 0.3).reshape(o.shape)
        gs = T.grad((out * w).sum(), [vs[k] for k in grad_of])
        rec["weights"] = arr(w)
        rec["grad_of"] = list(grad_of)
        rec["grads"] = [arr(g) for g in theano.function(vs, gs, mode=MODE,
                                                       on_unused_input="ignore")(*vals)]
    cases.append(rec)
    printing[name] = theano.printing.debugprint(out, file="str")


# W (n_in_blocks, n_out_blocks, in_size, out_size), h (batch, in_win, in_size)
W = rs.randn(3, 4, 5, 2)
H = rs.randn(2, 2, 5)
B = rs.randn(4, 2)
II = np.array([[0, 2], [1, 1]], dtype="int64")
OI = np.array([[3, 0, 1], [2, 2, 0]], dtype="int64")
case("sparse_block_dot", lambda w, h, i, b, o: sparse_block_dot(w, h, i, b, o),
     [("W", W), ("h", H), ("iIdx", II), ("b", B), ("oIdx", OI)], grad_of=(0, 1, 3))
case("sparse_block_dot_2d", lambda w, h, i, b, o: sparse_block_dot(w, h, i, b, o),
     [("W", W), ("h", H[0]), ("iIdx", II[0]), ("b", B), ("oIdx", OI[0])], grad_of=(0, 1, 3))

bs, n_out, n_cls, per = 3, 10, 4, 3
X = rs.randn(bs, 6)
W1 = rs.randn(6, n_cls)
B1 = rs.randn(n_cls)
W2 = rs.randn(n_cls, 6, per)
B2 = rs.randn(n_cls, per)
case("h_softmax_all", lambda x, w1, b1, w2, b2: h_softmax(x, bs, n_out, n_cls, per, w1, b1, w2, b2),
     [("x", X), ("W1", W1), ("b1", B1), ("W2", W2), ("b2", B2)], grad_of=(0, 1, 2, 3, 4))
case("h_softmax_target",
     lambda x, w1, b1, w2, b2, t: h_softmax(x, bs, n_out, n_cls, per, w1, b1, w2, b2, t),
     [("x", X), ("W1", W1), ("b1", B1), ("W2", W2), ("b2", B2),
      ("t", np.array([7, 0, 9], dtype="int64"))], grad_of=(0, 1, 2, 3, 4))

errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


from theano.tensor.nnet.blocksparse import SparseBlockGemv  # noqa: E402
err("gemv_o_2d", lambda: SparseBlockGemv()(T.dmatrix(), T.dtensor4(), T.dtensor3(),
                                           T.lmatrix(), T.lmatrix()))
err("gemv_w_3d", lambda: SparseBlockGemv()(T.dtensor3(), T.dtensor3(), T.dtensor3(),
                                           T.lmatrix(), T.lmatrix()))

with open("tests/blocksparse/blocksparse.json", "w") as fh:
    json.dump({"cases": cases, "printing": printing, "errors": errors}, fh, indent=1)
    fh.write("\n")
print(len(cases), "cases")
