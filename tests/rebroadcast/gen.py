"""Writes tests/rebroadcast/rebroadcast.json: how the real Theano 1.0.5 builds, prints,
computes and differentiates `addbroadcast`, `unbroadcast` and `patternbroadcast`
(`Rebroadcast`), and how it refuses.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/rebroadcast/gen.py
"""
import json

import numpy as np
import theano
import theano.tensor as T

MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [v.item() for v in a.ravel()]}


x = T.dmatrix("x")
y = T.dmatrix("y")
r = T.drow("r")
t3 = T.dtensor3("t")
b = T.dmatrix("b")

graphs = {
    "add_0": T.addbroadcast(x, 0),
    "add_1": T.addbroadcast(x, 1),
    "unbroadcast_row": T.unbroadcast(r, 0),
    "pattern": T.patternbroadcast(x, (True, False)),
    "pattern_useless": T.patternbroadcast(x, (False, False)),
    "nested": T.addbroadcast(T.addbroadcast(t3, 0), 2),
    "add_to_row": T.addbroadcast(r, 0),
    "add_unbroadcast": T.unbroadcast(T.addbroadcast(x, 0, 1), 1),
    "of_exp": T.addbroadcast(T.exp(x), 0),
}
printing = {k: theano.printing.debugprint(v, file="str") for k, v in graphs.items()}
types = {k: str(v.type) for k, v in graphs.items()}

# a bias of shape (1, n) held as a matrix, broadcast over the rows
xv = np.arange(6.0).reshape(2, 3) * 0.5 - 1
bv = np.array([[0.25, -1.0, 2.0]])
out = x * 2 + T.addbroadcast(b, 0)
cost = (out ** 2).sum()
gx, gb = T.grad(cost, [x, b])
f = theano.function([x, b], [out, gx, gb], mode=MODE)
bias = {"x": arr(xv), "b": arr(bv), "outputs": [arr(v) for v in f(xv, bv)]}
printing["bias_grad"] = theano.printing.debugprint(gb, file="str")
# the gradient through unbroadcast restores the input's flags
gr = T.grad((T.unbroadcast(r, 0) * y).sum(), r)
printing["unbroadcast_grad"] = theano.printing.debugprint(gr, file="str")
rv = np.array([[1.0, -2.0, 0.5]])
yv = np.array([[3.0, 0.5, -1.5]])
unb = {"r": arr(rv), "y": arr(yv),
       "outputs": [arr(theano.function([r, y], gr, mode=MODE)(rv, yv))]}

errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


err("axis_out_of_range", lambda: T.addbroadcast(x, 2))
g = theano.function([x], T.addbroadcast(x, 0), mode=MODE)
err("not_length_one", lambda: g(np.ones((2, 3))))
err("not_bool", lambda: T.Rebroadcast((0, 1))(x))

with open("tests/rebroadcast/rebroadcast.json", "w") as fh:
    json.dump({"printing": printing, "types": types, "bias": bias, "unbroadcast": unb,
               "errors": errors}, fh, indent=1)
    fh.write("\n")
print(len(printing), "graphs")
