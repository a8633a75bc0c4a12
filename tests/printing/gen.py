"""Writes tests/printing/print_assert.json: what the real Theano 1.0.5's
`theano.printing.Print` shows for values of each dtype and attribute, how `Print` and
`Assert` print in a debugprint, and what `Assert` and `bincount(assert_nonneg=True)` refuse.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/printing/gen.py
"""
import json
import re

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.opt import Assert, assert_op

ATTRS = ("__str__", "__repr__", "shape", "dtype", "ndim", "size", "min", "max", "argmin",
         "argmax", "sum", "mean", "std")


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [v.item() if a.dtype != bool else bool(v) for v in a.ravel()]}


prints = []
for name, value in [
    ("float64 vector", np.array([1.0, 2.0, 3.5])),
    ("float64 matrix", np.arange(12.0).reshape(3, 4) / 7.0),
    ("float32 vector", (np.arange(20, dtype="float32") * np.float32(0.37)) ** 2),
    ("int64 vector", np.array([3, -7, 12, 0, 5], dtype="int64")),
    ("int8 matrix", np.array([[1, -2], [120, 7]], dtype="int8")),
    ("uint8 vector", np.array([200, 100, 7], dtype="uint8")),
    ("bool vector", np.array([True, False, True])),
    ("float64 scalar", np.array(2.5)),
    ("long float64", np.sin(np.arange(300.0))),
]:
    x = T.TensorType(str(value.dtype), (False,) * value.ndim)("x")
    lines = []
    attrs = ATTRS if value.dtype != bool else tuple(a for a in ATTRS if a not in ("mean", "std"))
    p = theano.printing.Print("m", attrs=attrs,
                              global_fn=lambda op, v: lines.extend(
                                  "%s %s = %s" % (op.message, a, (getattr(v, a)() if callable(getattr(v, a)) else getattr(v, a)))
                                  for a in op.attrs))(x)
    theano.function([x], p, mode=theano.compile.Mode(optimizer=None))(value)
    prints.append({"name": name, "value": arr(value), "attrs": list(attrs), "lines": lines})

x = T.dvector("x")
dp = {}
p = theano.printing.Print("hello")(x)
p2 = theano.printing.Print("it's", attrs=("shape", "min"))(x * 2)
# Theano prints the function's address; the test compares the rest
dp["print"] = re.sub(r" at 0x[0-9a-f]+>", ">", theano.printing.debugprint([p, p2], file="str"))
a = assert_op(x, T.all(x > 0))
dp["assert"] = theano.printing.debugprint(a, file="str")
a2 = Assert("custom message")(x, T.all(x > 0), x.sum() > 1)
dp["assert_custom"] = theano.printing.debugprint(a2, file="str")
v = T.lvector("v")
dp["bincount_assert"] = theano.printing.debugprint(
    T.extra_ops.bincount(v, assert_nonneg=True), file="str")

errors = {}
f = theano.function([x], a2)
try:
    f(np.array([1.0, -2.0]))
except AssertionError as e:
    errors["custom"] = str(e).split("\n")[0]
f = theano.function([x], a)
try:
    f(np.array([-1.0, 2.0]))
except AssertionError as e:
    errors["default"] = str(e).split("\n")[0]
f = theano.function([v], T.extra_ops.bincount(v, assert_nonneg=True))
try:
    f(np.array([1, -2]))
except AssertionError as e:
    errors["bincount"] = str(e).split("\n")[0]
values = {"bincount": f(np.array([1, 3, 1, 0])).tolist()}

with open("tests/printing/print_assert.json", "w") as fh:
    json.dump({"prints": prints, "debugprints": dp, "errors": errors, "values": values}, fh,
              indent=1)
    fh.write("\n")
print(len(prints), "prints")
