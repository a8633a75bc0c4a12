"""Writes tests/bn/bn.json: what the real Theano 1.0.5's batch normalization
(`theano.tensor.nnet.bn`: `batch_normalization`, `batch_normalization_train`,
`batch_normalization_test`) computes, its gradients, how it prints and how it refuses.
(Theano 1.0.5 cannot take second derivatives through `AbstractBatchNormTrain`: its grad
machinery meets a `DisconnectedType` it cannot convert.)

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/bn/gen.py

The cost of each gradient is `sum(out * W)`, `W` recorded.
"""
import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.nnet import bn

MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [v.item() for v in a.ravel()]}


def fill(shape, f, step, dtype="float64"):
    n = int(np.prod(shape))
    return f(step * np.arange(n) + 0.1).reshape(shape).astype(dtype)


cases = []
printing = {}


def tvar(name, v):
    return T.TensorType(str(v.dtype), (False,) * v.ndim)(name)


def train_case(name, xshape, axes, pshape, running=False, dtype="float64", eps=1e-4,
               factor=0.1):
    xv = fill(xshape, np.sin, 0.37, dtype)
    gv = fill(pshape, np.cos, 0.21, dtype) + 1.5
    bv = fill(pshape, np.sin, 0.53, dtype)
    x, g, b = tvar("x", xv), tvar("gamma", gv), tvar("beta", bv)
    ins, vals = [x, g, b], [xv, gv, bv]
    kw = {}
    if running:
        rm = fill(pshape, np.cos, 0.11, dtype)
        rv = fill(pshape, np.sin, 0.17, dtype) ** 2 + 0.5
        m, v = tvar("rm", rm), tvar("rv", rv)
        ins += [m, v]
        vals += [rm, rv]
        kw = dict(running_mean=m, running_var=v)
    outs = bn.batch_normalization_train(x, g, b, axes=axes, epsilon=eps,
                                        running_average_factor=factor, **kw)
    o = theano.function(ins, list(outs), mode=MODE)(*vals)
    w = fill(o[0].shape, np.cos, 0.29, dtype)
    cost = (outs[0] * w).sum()
    gs = T.grad(cost, [x, g, b])
    grads = theano.function(ins, gs, mode=MODE)(*vals)
    cases.append({"name": name, "kind": "train", "axes": axes if isinstance(axes, str)
                  else list(axes), "eps": eps, "factor": factor, "dtype": dtype,
                  "inputs": [arr(v) for v in vals], "outputs": [arr(v) for v in o],
                  "weights": arr(w), "grads": [arr(v) for v in grads]})
    printing[name] = theano.printing.debugprint(list(outs), file="str")


def test_case(name, xshape, axes, pshape, dtype="float64", eps=1e-4):
    xv = fill(xshape, np.sin, 0.37, dtype)
    gv = fill(pshape, np.cos, 0.21, dtype) + 1.5
    bv = fill(pshape, np.sin, 0.53, dtype)
    mv = fill(pshape, np.cos, 0.11, dtype)
    vv = fill(pshape, np.sin, 0.17, dtype) ** 2 + 0.5
    vals = [xv, gv, bv, mv, vv]
    ins = [tvar(n, v) for n, v in zip(["x", "gamma", "beta", "mean", "var"], vals)]
    out = bn.batch_normalization_test(*ins, axes=axes, epsilon=eps)
    o = theano.function(ins, out, mode=MODE)(*vals)
    w = fill(o.shape, np.cos, 0.29, dtype)
    gs = T.grad((out * w).sum(), ins)
    grads = theano.function(ins, gs, mode=MODE)(*vals)
    cases.append({"name": name, "kind": "test", "axes": axes if isinstance(axes, str)
                  else list(axes), "eps": eps, "dtype": dtype,
                  "inputs": [arr(v) for v in vals], "outputs": [arr(o)], "weights": arr(w),
                  "grads": [arr(v) for v in grads]})
    printing[name] = theano.printing.debugprint(out, file="str")


def plain_case(name, mode):
    xv = fill((4, 3), np.sin, 0.37)
    vals = [xv, fill((3,), np.cos, 0.21) + 1.5, fill((3,), np.sin, 0.53),
            fill((3,), np.cos, 0.11), fill((3,), np.sin, 0.17) ** 2 + 0.5]
    ins = [tvar(n, v) for n, v in zip(["x", "gamma", "beta", "mean", "std"], vals)]
    out = bn.batch_normalization(*ins, mode=mode)
    o = theano.function(ins, out, mode=MODE)(*vals)
    w = fill(o.shape, np.cos, 0.29)
    grads = theano.function(ins, T.grad((out * w).sum(), ins), mode=MODE)(*vals)
    cases.append({"name": name, "kind": "plain", "mode": mode,
                  "inputs": [arr(v) for v in vals], "outputs": [arr(o)], "weights": arr(w),
                  "grads": [arr(v) for v in grads]})
    printing[name] = theano.printing.debugprint(out, file="str")


train_case("train_per_activation", (5, 3), "per-activation", (3,))
train_case("train_spatial", (3, 2, 4, 2), "spatial", (2,), running=True)
train_case("train_axes_full_params", (4, 3, 2), (0, 2), (1, 3, 1), running=True)
train_case("train_f32", (6, 4), "per-activation", (4,), dtype="float32", eps=1e-3,
           factor=0.3)
test_case("test_per_activation", (5, 3), "per-activation", (3,))
test_case("test_spatial", (3, 2, 4, 2), "spatial", (2,))
test_case("test_axes", (4, 3, 2), (1,), (4, 2), eps=1e-3)
plain_case("plain_low_mem", "low_mem")
plain_case("plain_high_mem", "high_mem")

errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


x4 = T.dtensor4("x")
v = T.dvector("v")
m = T.dmatrix("m")
err("bad_axes", lambda: bn.batch_normalization_train(x4, v, v, axes="channel"))
err("empty_axes", lambda: bn.batch_normalization_train(x4, v, v, axes=()))
err("axes_out_of_range", lambda: bn.batch_normalization_train(x4, v, v, axes=(0, 4)))
err("param_ndim", lambda: bn.batch_normalization_train(x4, m, v, axes="spatial"))
err("running_one", lambda: bn.batch_normalization_train(x4, v, v, axes="spatial",
                                                       running_mean=v))
err("running_ndim", lambda: bn.batch_normalization_train(x4, v, v, axes="spatial",
                                                        running_mean=m, running_var=m))
err("small_epsilon", lambda: bn.batch_normalization_train(x4, v, v, axes="spatial",
                                                         epsilon=1e-6))
err("test_mean_ndim", lambda: bn.batch_normalization_test(x4, v, v, m, v, axes="spatial"))
err("plain_mode", lambda: bn.batch_normalization(m, v, v, v, v, mode="mid_mem"))

with open("tests/bn/bn.json", "w") as fh:
    json.dump({"cases": cases, "printing": printing, "errors": errors}, fh, indent=1)
    fh.write("\n")
print(len(cases), "cases")
