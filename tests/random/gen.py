"""Writes tests/random/mrg.json: what the real Theano 1.0.5's MRG_RandomStreams samples.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx=,optimizer=fast_run \
        /tmp/theano10/bin/python -W ignore tests/random/gen.py

Theano runs without a C compiler here, so the samples come from mrg_uniform's Python
`perform`. Values are written with repr (17 significant digits: exact for float64).
"""
import json

import numpy as np
import theano
import theano.tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [float(v) if a.dtype.kind == "f" else int(v) for v in a.ravel()]}


cases = []


def rstate(r):
    """A stream-state matrix: whole when small; else its length, ends and sum."""
    if r.shape[0] <= 16:
        return {"whole": arr(r)}
    return {"rows": r.shape[0], "first": arr(r[0]), "last": arr(r[-1]),
            "sum": int(r.astype(np.int64).sum())}


def case(name, build, calls=2, seed=234):
    srng = MRG_RandomStreams(seed=seed)
    outs = build(srng)
    if not isinstance(outs, list):
        outs = [outs]
    f = theano.function([], outs)
    rec = {"name": name, "seed": seed,
           "calls": [[arr(o) for o in f()] for _ in range(calls)],
           "rstates": [rstate(u[0].get_value()) for u in srng.state_updates],
           "next_rstate": arr(srng.rstate)}
    cases.append(rec)
    return srng, outs


case("uniform_2x3", lambda s: s.uniform((2, 3)))
case("uniform_low_high", lambda s: s.uniform((4, 5), low=-2.0, high=3.0))
case("uniform_f32", lambda s: s.uniform((3, 7), dtype="float32"))
case("uniform_vector_13", lambda s: s.uniform((13,)))
case("uniform_nstreams_3", lambda s: s.uniform((2, 5), nstreams=3))
case("uniform_seed6", lambda s: s.uniform((2, 2)), seed=[1, 2, 3, 4, 5, 6])
case("two_draws", lambda s: [s.uniform((3,)), s.uniform((2, 2))])
case("normal_3x3", lambda s: s.normal((3, 3)))
case("normal_avg_std", lambda s: s.normal((2, 4), avg=1.5, std=0.5))
case("normal_f32", lambda s: s.normal((5,), dtype="float32"))
case("binomial", lambda s: s.binomial((3, 4), p=0.3))
case("binomial_f32", lambda s: s.binomial((6,), p=0.5, dtype="float32"))
x = T.dmatrix("x")
case("truncated_normal", lambda s: s.truncated_normal((40,)), calls=2)
PVALS = np.array([[.1, .2, .7], [.5, .25, .25], [.3, .3, .4], [.9, .05, .05]])
case("multinomial", lambda s: s.multinomial(pvals=PVALS))
case("multinomial_n3", lambda s: s.multinomial(pvals=PVALS[:2], n=3))
case("multinomial_float64", lambda s: s.multinomial(pvals=PVALS, dtype="float64"))
PV5 = np.array([[.1, .2, .3, .2, .2], [.05, .05, .4, .3, .2], [.5, .1, .1, .1, .2]])
case("choice_2", lambda s: s.choice(size=2, replace=False, p=PVALS))
case("choice_4_of_5", lambda s: s.choice(size=4, replace=False, p=PV5), calls=3)
case("choice_f32", lambda s: s.choice(size=3, replace=False, p=PV5.astype("float32")),
     calls=3)

# a symbolic size: 60 * 256 streams
x = T.dmatrix("x")
srng = MRG_RandomStreams(seed=99)
u = srng.uniform(x.shape, ndim=2)
f = theano.function([x], u)
xv = np.zeros((3, 4))
sym = {"name": "uniform_symbolic_size", "seed": 99,
       "calls": [[arr(f(xv))] for _ in range(2)],
       "rstates": [rstate(srng.state_updates[0][0].get_value())]}
cases.append(sym)

# seed() re-initializes every stream
srng = MRG_RandomStreams(seed=234)
u = srng.uniform((2, 3))
f = theano.function([], u)
first = f()
f()
srng.seed(77)
after77 = f()
srng.seed()
again = f()
reseed = {"name": "reseed", "first": arr(first), "after_seed_77": arr(after77),
          "after_seed_default": arr(again)}

# no_default_updates
srng = MRG_RandomStreams(seed=234)
u = srng.uniform((2,))
g = theano.function([], u, no_default_updates=True)
nodef = {"name": "no_default_updates", "calls": [arr(g()), arr(g())]}

# printing
srng = MRG_RandomStreams(seed=234)
u = srng.uniform((2, 3))
printing = {"debugprint_uniform": theano.printing.debugprint(u, file="str"),
            "pp_uniform": theano.printing.pp(u)}
n = srng.normal((2, 3))
printing["debugprint_normal"] = theano.printing.debugprint(n, file="str")
p = T.dmatrix("p")
printing["debugprint_multinomial"] = theano.printing.debugprint(
    srng.multinomial(pvals=p, n=2), file="str")
printing["debugprint_choice"] = theano.printing.debugprint(
    srng.choice(size=3, replace=False, p=p), file="str")

# errors
errors = {}
for label, thunk in [
        ("seed_0", lambda: MRG_RandomStreams(seed=0)),
        ("seed_too_big", lambda: MRG_RandomStreams(seed=2147462579)),
        ("seed_5", lambda: MRG_RandomStreams(seed=[1, 2, 3, 4, 5])),
        ("seed_first_zero", lambda: MRG_RandomStreams(seed=[0, 0, 0, 1, 2, 3])),
        ("size_zero", lambda: MRG_RandomStreams(seed=3).uniform((2, 0))),
        ("binomial_n2", lambda: MRG_RandomStreams(seed=3).binomial((2,), n=2)),
        ("multinomial_size",
         lambda: MRG_RandomStreams(seed=3).multinomial(size=(2,), pvals=[[.5, .5]])),
        ("multinomial_ndim",
         lambda: MRG_RandomStreams(seed=3).multinomial(ndim=2, pvals=[[.5, .5]])),
        ("multinomial_3d",
         lambda: MRG_RandomStreams(seed=3).multinomial(pvals=np.ones((2, 2, 2)))),
        ("choice_replace", lambda: MRG_RandomStreams(seed=3).choice(size=2, p=PVALS)),
        ("choice_ndim",
         lambda: MRG_RandomStreams(seed=3).choice(size=2, replace=False, p=PVALS, ndim=1)),
        ("choice_3d", lambda: MRG_RandomStreams(seed=3).choice(
            size=1, replace=False, p=np.ones((2, 2, 2)))),
]:
    try:
        thunk()
        errors[label] = None
    except Exception as e:  # noqa
        errors[label] = "%s: %s" % (type(e).__name__, e)

out = {"theano": theano.__version__, "numpy": np.__version__, "cases": cases,
       "reseed": reseed, "no_default_updates": nodef, "printing": printing,
       "errors": errors}
with open("tests/random/mrg.json", "w") as fh:
    json.dump(out, fh, indent=1, sort_keys=True)
print("wrote", len(cases), "cases")
