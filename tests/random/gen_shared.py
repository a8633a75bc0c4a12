"""Writes tests/random/shared.json: what the real Theano 1.0.5's RandomStreams
(theano.tensor.shared_randomstreams) and NumPy's legacy RandomState draw.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx=,optimizer=fast_run \
        /tmp/theano10/bin/python -W ignore tests/random/gen_shared.py

Values are written with repr (17 significant digits: exact for float64); integers exactly.
"""
import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.shared_randomstreams import RandomStreams


def arr(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [float(v) if a.dtype.kind == "f" else int(v) for v in a.ravel()]}


def state(rs):
    """A RandomState's state: the position, the cached deviate, the key's head and sum."""
    st = rs.get_state()
    return {"pos": int(st[2]), "has_gauss": int(st[3]), "gauss": float(st[4]),
            "key_head": [int(v) for v in st[1][:4]],
            "key_sum": int(st[1].astype(np.int64).sum())}


cases = []


def case(name, build, calls=2, seed=234):
    srng = RandomStreams(seed=seed)
    outs = build(srng)
    if not isinstance(outs, list):
        outs = [outs]
    start = [state(r.get_value()) for r, _ in srng.updates()]
    f = theano.function([], outs)
    rec = {"name": name, "seed": seed, "start_states": start,
           "calls": [[arr(o) for o in f()] for _ in range(calls)],
           "states": [state(r.get_value()) for r, _ in srng.updates()]}
    cases.append(rec)


case("uniform_2x3", lambda s: s.uniform((2, 3)))
case("uniform_low_high", lambda s: s.uniform((4, 5), low=-2.0, high=3.0))
case("uniform_f32", lambda s: s.uniform((3, 7), dtype="float32"))
case("uniform_scalar", lambda s: s.uniform(()))
case("uniform_low_vector", lambda s: s.uniform((2, 3), low=[0.0, 1.0, 2.0], high=5.0))
case("uniform_seed_0", lambda s: s.uniform((4,)), seed=0)
case("uniform_seed_max", lambda s: s.uniform((4,)), seed=2 ** 32 - 1)
case("normal_3x3", lambda s: s.normal((3, 3)))
case("normal_avg_std", lambda s: s.normal((2, 4), avg=1.5, std=0.5))
case("normal_odd", lambda s: s.normal((5,)), calls=3)
case("normal_f32", lambda s: s.normal((5,), dtype="float32"))
case("binomial_n1", lambda s: s.binomial((6,), p=0.5))
case("binomial_small", lambda s: s.binomial((3, 4), n=5, p=0.3))
case("binomial_inversion_25", lambda s: s.binomial((10,), n=100, p=0.25))
case("binomial_btpe", lambda s: s.binomial((20,), n=1000, p=0.4))
case("binomial_btpe_high_p", lambda s: s.binomial((20,), n=500, p=0.8))
case("binomial_btpe_huge", lambda s: s.binomial((20,), n=100000, p=0.3))
case("binomial_f32", lambda s: s.binomial((6,), n=10, p=0.5, dtype="float32"))
case("random_integers_default", lambda s: s.random_integers((8,)))
case("random_integers_0_10", lambda s: s.random_integers((3, 4), low=0, high=10))
case("random_integers_neg", lambda s: s.random_integers((10,), low=-5, high=5))
case("random_integers_big", lambda s: s.random_integers((5,), low=0, high=2 ** 40))
case("permutation_2", lambda s: s.permutation((2,), n=5))
case("permutation_one", lambda s: s.permutation(n=7))
case("two_draws", lambda s: [s.uniform((3,)), s.normal((2, 2))])
# NumPy's legacy poisson: multiplication below lam=10, PTRS above
case("poisson_small", lambda s: s.poisson((5,), lam=3.0))
case("poisson_ptrs", lambda s: s.poisson((20,), lam=30.0))
case("poisson_vec", lambda s: s.poisson((2, 3), lam=[1.0, 20.0, 0.0]))
case("poisson_huge", lambda s: s.poisson((10,), lam=1e6))
# choice: uniform with replacement, by probabilities, without replacement, of a vector
case("choice_int", lambda s: s.choice((5,), a=10))
case("choice_p", lambda s: s.choice((5,), a=3, p=[0.2, 0.3, 0.5]))
case("choice_norep", lambda s: s.choice((5,), a=10, replace=False))
case("choice_norep_p", lambda s: s.choice(
    (4,), a=6, replace=False, p=[0.1, 0.1, 0.2, 0.2, 0.2, 0.2]))
case("choice_vec", lambda s: s.choice((4,), a=[5, 6, 7]))
case("choice_vec_float", lambda s: s.choice((2, 3), a=[0.5, 1.5, 2.5], dtype="float64"))
case("choice_scalar", lambda s: s.choice((), a=5))
case("choice_big", lambda s: s.choice((6,), a=2 ** 40))
# multinomial: a size, no size, the defaults, a vector of n, Theano's nudges, -1 in a size
case("multinomial_3", lambda s: s.multinomial((3,), n=10, pvals=[0.2, 0.3, 0.5]))
case("multinomial_none", lambda s: s.multinomial(
    n=10, pvals=[[0.2, 0.3, 0.5], [0.5, 0.5, 0.0]]))
case("multinomial_default", lambda s: s.multinomial((2,)))
case("multinomial_n_vec", lambda s: s.multinomial(
    (2,), n=[5, 1000], pvals=[0.1, 0.2, 0.3, 0.4]))
case("multinomial_nudge_sum", lambda s: s.multinomial(
    (3,), n=100, pvals=[0.3333334, 0.3333334, 0.3333334]))
case("multinomial_f32_tiny_last", lambda s: s.multinomial(
    (3,), n=1000, pvals=np.asarray([0.6, 0.39999, 0.00001], dtype="float32")))
case("multinomial_size_minus_1", lambda s: s.multinomial(
    (2, -1), n=5, pvals=[[0.5, 0.5], [0.1, 0.9], [0.3, 0.7]]))
# size=None: the parameters' broadcast shape
case("uniform_none", lambda s: s.uniform(low=[0.0, 1.0], high=[[2.0], [3.0]]))
case("normal_none", lambda s: s.normal(avg=np.zeros(3)))
case("binomial_none", lambda s: s.binomial(n=np.asarray([5, 10]), p=0.3))
case("random_integers_none", lambda s: s.random_integers(low=np.asarray([0, 5]), high=10))

# the tutorial ("Using Random Numbers")
srng = RandomStreams(seed=234)
rv_u = srng.uniform((2, 2))
rv_n = srng.normal((2, 2))
f = theano.function([], rv_u)
g = theano.function([], rv_n, no_default_updates=True)
nearly_zeros = theano.function([], rv_u + rv_u - 2 * rv_u)
tut = {"f": [arr(f()), arr(f())], "g": [arr(g()), arr(g())],
       "nearly_zeros": arr(nearly_zeros())}
rng_val = rv_u.rng.get_value(borrow=True)
rng_val.seed(89234)
rv_u.rng.set_value(rng_val, borrow=True)
tut["f_after_state_seed"] = arr(f())
srng.seed(902340)
tut["f_after_seed"] = arr(f())
tut["g_after_seed"] = arr(g())
tut["states_after"] = [state(r.get_value()) for r, _ in srng.updates()]
srng.seed()
tut["f_after_seed_default"] = arr(f())
# a draw made after seed() takes its seed from the first generator, as before
rv_late = srng.uniform((3,))
tut["late"] = arr(theano.function([], rv_late)())

# symbolic sizes
srng = RandomStreams(seed=99)
x = T.dmatrix("x")
u = srng.uniform(x.shape)
n = T.lscalar("n")
v = srng.normal((2, n))
h = theano.function([x, n], [u, v])
sym = {"calls": [[arr(o) for o in h(np.zeros((3, 4)), 3)] for _ in range(2)]}

# printing
srng = RandomStreams(seed=234)
printing = {"debugprint_uniform": theano.printing.debugprint(srng.uniform((2, 2)), file="str"),
            "debugprint_binomial": theano.printing.debugprint(
                srng.binomial((3,), n=5, p=0.25), file="str"),
            "debugprint_poisson": theano.printing.debugprint(
                srng.poisson((5,), lam=3.0), file="str"),
            "debugprint_choice": theano.printing.debugprint(
                srng.choice((5,), a=10), file="str"),
            "debugprint_multinomial": theano.printing.debugprint(
                srng.multinomial((3,), n=10, pvals=[0.2, 0.3, 0.5]), file="str"),
            "debugprint_uniform_none": theano.printing.debugprint(
                srng.uniform(low=[0.0, 1.0], high=[[2.0], [3.0]]), file="str")}

# errors
errors = {}
for label, thunk in [
        ("seed_negative", lambda: RandomStreams(seed=-1)),
        ("seed_too_big", lambda: RandomStreams(seed=2 ** 32)),
        ("size_matrix", lambda: RandomStreams(seed=3).uniform(T.dmatrix())),
        ("size_float_vector", lambda: RandomStreams(seed=3).uniform(T.dvector())),
        ("normal_negative_std", lambda: theano.function(
            [], RandomStreams(seed=3).normal((2,), std=-1.0))()),
        ("integers_low_above_high", lambda: theano.function(
            [], RandomStreams(seed=3).random_integers((2,), low=5, high=2))()),
        ("binomial_p_above_1", lambda: theano.function(
            [], RandomStreams(seed=3).binomial((2,), n=3, p=1.5))()),
        ("poisson_no_size", lambda: RandomStreams(seed=3).poisson(lam=[1.0, 2.0])),
        ("choice_no_size", lambda: RandomStreams(seed=3).choice(a=3)),
        ("poisson_negative", lambda: theano.function(
            [], RandomStreams(seed=3).poisson((2,), lam=-1.0))()),
        ("poisson_vector_negative", lambda: theano.function(
            [], RandomStreams(seed=3).poisson((2,), lam=[1.0, -1.0]))()),
        ("choice_p_sum", lambda: theano.function(
            [], RandomStreams(seed=3).choice((2,), a=2, p=[0.3, 0.3]))()),
        ("choice_too_many", lambda: theano.function(
            [], RandomStreams(seed=3).choice((3,), a=2, replace=False))()),
        ("choice_a_zero", lambda: theano.function(
            [], RandomStreams(seed=3).choice((3,), a=0))()),
        ("multinomial_negative_p", lambda: theano.function(
            [], RandomStreams(seed=3).multinomial((2,), n=3, pvals=[-0.5, 1.5]))()),
        ("multinomial_sum_above_1", lambda: theano.function(
            [], RandomStreams(seed=3).multinomial((2,), n=3, pvals=[0.7, 0.7, 0.0]))()),
]:
    try:
        thunk()
        errors[label] = None
    except Exception as e:  # noqa
        errors[label] = "%s: %s" % (type(e).__name__, e)

# NumPy alone: seeding and the samplers over many parameters
npcases = {}
for seed in [0, 1, 234, 2 ** 32 - 1]:
    rs = np.random.RandomState(seed)
    npcases["seed_%d" % seed] = {
        "seed": seed, "start": state(rs),
        "randint_2_30": [int(rs.randint(2 ** 30)) for _ in range(5)],
        "random_sample": [float(v) for v in rs.random_sample(5)],
        "gauss": [float(v) for v in rs.normal(size=5)],
        "after": state(rs)}
rs = np.random.RandomState(2024)
binom = []
for n_, p_ in [(1, 0.5), (7, 0.9), (40, 0.75), (60, 0.5), (61, 0.5), (200, 0.15),
               (1000, 0.03), (10 ** 6, 0.5), (10 ** 9, 0.001), (12345, 0.99)]:
    binom.append({"n": n_, "p": p_, "draws": [int(v) for v in rs.binomial(n_, p_, size=50)]})
perm = [[int(v) for v in rs.permutation(k)] for k in [0, 1, 2, 10, 300]]
npcases["binomial"] = binom
npcases["permutation"] = perm
npcases["after_binomial_permutation"] = state(rs)

out = {"theano": theano.__version__, "numpy": np.__version__, "cases": cases,
       "tutorial": tut, "symbolic_size": sym, "printing": printing, "errors": errors,
       "numpy_direct": npcases}
with open("tests/random/shared.json", "w") as fh:
    json.dump(out, fh, indent=1, sort_keys=True)
print("wrote", len(cases), "cases")
