"""Writes tests/neighbours/neighbours.json: what the real Theano 1.0.5's
`theano.tensor.nnet.neighbours` (`images2neibs`, `neibs2images`) computes with NumPy 1.23,
its gradients, how it prints and how it refuses.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/neighbours/gen.py

Each case records its input and outputs and, where Theano has one, the gradient of
`sum(out * W)` (`W` recorded) with respect to the images.
"""
import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.nnet.neighbours import images2neibs, neibs2images, Images2Neibs

MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [v.item() for v in a.ravel()]}


cases = []
printing = {}


def images(shape, dtype="float64"):
    n = int(np.prod(shape))
    return (np.sin(0.37 * np.arange(n) + 0.1) * 3).reshape(shape).astype(dtype)


def case(name, build, x, grad=False, extra=None):
    v = T.TensorType(str(x.dtype), (False,) * x.ndim)("x")
    out = build(v)
    o = theano.function([v], out, mode=MODE)(x)
    rec = {"name": name, "inputs": [arr(x)], "outputs": [arr(o)]}
    if extra:
        rec.update(extra)
    if grad:
        w = np.cos(0.7 * np.arange(o.size) + 0.3).reshape(o.shape)
        g = T.grad((out * w).sum(), v)
        rec["weights"] = arr(w)
        rec["grad_of"] = [0]
        rec["grads"] = [arr(theano.function([v], g, mode=MODE)(x))]
    cases.append(rec)
    printing[name] = theano.printing.debugprint(out, file="str")


case("valid_disjoint", lambda x: images2neibs(x, (2, 2)), images((2, 3, 4, 6)), grad=True,
     extra={"shape": [2, 2], "step": None, "mode": "valid"})
case("valid_step_1", lambda x: images2neibs(x, (2, 2), (1, 1)), images((1, 2, 4, 5)),
     grad=True, extra={"shape": [2, 2], "step": [1, 1], "mode": "valid"})
case("valid_step_2_1", lambda x: images2neibs(x, (3, 2), (2, 1)), images((2, 1, 7, 4)),
     grad=True, extra={"shape": [3, 2], "step": [2, 1], "mode": "valid"})
case("valid_equal_step", lambda x: images2neibs(x, (2, 3), (2, 3)), images((1, 2, 4, 6)),
     grad=True, extra={"shape": [2, 3], "step": [2, 3], "mode": "valid"})
case("ignore_borders", lambda x: images2neibs(x, (2, 3), mode="ignore_borders"),
     images((1, 2, 5, 7)), grad=True,
     extra={"shape": [2, 3], "step": None, "mode": "ignore_borders"})
case("ignore_borders_step", lambda x: images2neibs(x, (3, 3), (2, 2), mode="ignore_borders"),
     images((2, 1, 6, 7)), extra={"shape": [3, 3], "step": [2, 2], "mode": "ignore_borders"})
case("half", lambda x: images2neibs(x, (3, 3), (1, 1), mode="half"), images((1, 1, 4, 5)),
     extra={"shape": [3, 3], "step": [1, 1], "mode": "half"})
case("half_even", lambda x: images2neibs(x, (2, 2), (1, 2), mode="half"),
     images((1, 2, 3, 4)), extra={"shape": [2, 2], "step": [1, 2], "mode": "half"})
case("full", lambda x: images2neibs(x, (2, 3), (1, 1), mode="full"), images((1, 1, 3, 3)),
     extra={"shape": [2, 3], "step": [1, 1], "mode": "full"})
case("wrap_centered", lambda x: images2neibs(x, (3, 3), (2, 2), mode="wrap_centered"),
     images((1, 2, 5, 4)), extra={"shape": [3, 3], "step": [2, 2], "mode": "wrap_centered"})
case("wrap_centered_1", lambda x: images2neibs(x, (3, 1), mode="wrap_centered"),
     images((2, 1, 3, 2)), extra={"shape": [3, 1], "step": None, "mode": "wrap_centered"})
case("float32", lambda x: images2neibs(x, (2, 2)), images((1, 2, 4, 4), "float32"),
     grad=True, extra={"shape": [2, 2], "step": None, "mode": "valid"})
case("int64", lambda x: images2neibs(x, (1, 2), mode="ignore_borders"),
     (np.arange(30).reshape(1, 2, 3, 5) * 7 % 11).astype("int64"),
     extra={"shape": [1, 2], "step": None, "mode": "ignore_borders"})
N = images((12, 4))
case("neibs2images_valid", lambda n: neibs2images(n, (2, 2), (1, 3, 4, 4)), N, grad=True,
     extra={"shape": [2, 2], "original": [1, 3, 4, 4], "mode": "valid"})
case("neibs2images_ignore_borders",
     lambda n: neibs2images(n, (2, 2), (1, 2, 5, 7), mode="ignore_borders"),
     images((12, 4)),
     extra={"shape": [2, 2], "original": [1, 2, 5, 7], "mode": "ignore_borders"})

# the round trip of Theano's docstring: a 10x10 image into 5x5 patches and back
im = np.arange(100.).reshape((1, 1, 10, 10))
case("docstring_round_trip", lambda x: neibs2images(images2neibs(x, (5, 5)), (5, 5), x.shape),
     im, grad=True, extra={"shape": [5, 5], "mode": "valid"})

errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


x4 = T.dtensor4("x")
err("bad_mode", lambda: Images2Neibs("foo"))
err("matrix_input", lambda: images2neibs(T.dmatrix(), (2, 2)))
err("neibs2images_half", lambda: neibs2images(T.dmatrix(), (2, 2), (1, 1, 4, 4), mode="half"))
for mode in ["half", "full", "wrap_centered"]:
    err("grad_" + mode, lambda: T.grad(images2neibs(x4, (3, 3), (1, 1), mode=mode).sum(), x4))
nb = T.dmatrix("n")
err("neibs2images_ignore_borders_grad",
    lambda: T.grad(neibs2images(nb, (2, 2), (1, 2, 5, 7), mode="ignore_borders").sum(), nb))
err("grad_ignore_borders_step",
    lambda: T.grad(images2neibs(x4, (2, 2), (1, 1), mode="ignore_borders").sum(), x4))


def run(key, shape, step, mode, xshape):
    f = theano.function([x4], images2neibs(x4, shape, step, mode=mode), mode=MODE)
    err(key, lambda: f(np.zeros(xshape)))


run("valid_inconsistent_rows", (2, 2), None, "valid", (1, 1, 5, 4))
run("valid_inconsistent_cols", (2, 2), None, "valid", (1, 1, 4, 5))
run("valid_too_small", (3, 3), None, "valid", (1, 1, 2, 6))
run("half_inconsistent", (3, 3), (2, 2), "half", (1, 1, 4, 5))
run("full_inconsistent", (2, 2), (2, 2), "full", (1, 1, 3, 3))
run("wrap_even", (2, 3), None, "wrap_centered", (1, 1, 4, 4))
run("wrap_small", (5, 3), None, "wrap_centered", (1, 1, 4, 4))
run("step_zero", (2, 2), (0, 1), "valid", (1, 1, 4, 4))
run("shape_zero", (0, 2), (1, 1), "ignore_borders", (1, 1, 4, 4))

with open("tests/neighbours/neighbours.json", "w") as fh:
    json.dump({"cases": cases, "printing": printing, "errors": errors}, fh, indent=1)
    fh.write("\n")
print(len(cases), "cases")
