"""Writes tests/ofg/ofg.json: what the real Theano 1.0.5's `OpFromGraph` computes, its
gradients and R-operators, how it prints (debugprint of the graphs using it) and how it
refuses.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \\
        /tmp/theano10/bin/python -W ignore tests/ofg/gen.py
"""
import json

import numpy as np
import theano
import theano.tensor as T
from theano import OpFromGraph

MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [v.item() for v in a.ravel()]}


out = {}
printing = {}
X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
Y = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]])
Z = np.array([[2.0, -1.0, 0.5], [1.0, 1.5, -2.0]])

# the docs' example: e = x + y * z, applied to (x, y, z) and nested
x, y, z = T.dmatrices("x", "y", "z")
e = x + y * z
op = OpFromGraph([x, y, z], [e])
e2 = op(x, y, z) + op(z, y, x)
f = theano.function([x, y, z], e2, mode=MODE)
out["docs"] = arr(f(X, Y, Z))
printing["docs"] = theano.printing.debugprint(e2, file="str")
gs = T.grad(T.sum(e2 * e2), [x, y, z])
out["docs_grads"] = [arr(v) for v in theano.function([x, y, z], gs, mode=MODE)(X, Y, Z)]
printing["docs_grad_x"] = theano.printing.debugprint(gs[0], file="str")

# two outputs, a shared variable inside, inline, a name
s = theano.shared(np.array([1.5, -2.0, 0.5]), name="s")
a, b = T.dmatrices("a", "b")
op2 = OpFromGraph([a, b], [T.tanh(a) * s, T.dot(a, b.T)], inline=True, name="two")
o1, o2 = op2(x, y)
f = theano.function([x, y], [o1, o2], mode=MODE)
out["two"] = [arr(v) for v in f(X, Y)]
printing["two"] = theano.printing.debugprint([o1, o2], file="str")
c = T.sum(o1) + T.sum(o2 ** 2)
gs = T.grad(c, [x, y])
out["two_grads"] = [arr(v) for v in theano.function([x, y], gs, mode=MODE)(X, Y)]
# a function with the default optimizer inlines it
fo = theano.function([x, y], [o1, o2])
out["two_opt"] = [arr(v) for v in fo(X, Y)]

# grad_overrides: a callable (inputs, output_grads) -> grads
u = T.dmatrix("u")


def override(inps, grads):
    (g,) = grads
    return [g * 2.0]


op3 = OpFromGraph([u], [T.exp(u)], grad_overrides=override)
g3 = T.grad(T.sum(op3(x) * Y), x)
out["override_grad"] = arr(theano.function([x], g3, mode=MODE)(X))

# R-operator
v = T.dmatrix("v")
r = T.Rop(op(x, y, z), x, v)
out["rop"] = arr(theano.function([x, y, z, v], r, mode=MODE,
                                 on_unused_input="ignore")(X, Y, Z, Y))

errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


err("wrong_type", lambda: op(T.dvector(), y, z))
err("wrong_count", lambda: op(x, y))
err("outputs_not_list", lambda: OpFromGraph([x], e))

with open("tests/ofg/ofg.json", "w") as fh:
    json.dump({"inputs": {"x": arr(X), "y": arr(Y), "z": arr(Z)}, "out": out,
               "printing": printing, "errors": errors}, fh, indent=1)
    fh.write("\n")
print("ok")
