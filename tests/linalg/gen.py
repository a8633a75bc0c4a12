"""Writes tests/linalg/linalg.json: what the real Theano 1.0.5's `nlinalg` and `slinalg` ops
(NumPy 1.23's and SciPy 1.10's LAPACK underneath) compute, their gradients, how they print
and how they refuse.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/linalg/gen.py

Each case records its inputs, its outputs, and the gradients of
`sum_k sum(f(out_k) * W_k)` with respect to its float inputs (`W_k` recorded too; `f` is the
identity, or the square for outputs whose signs LAPACK chooses: eigenvectors).
"""
import json

import numpy as np
import theano
import theano.tensor as T
from theano.tensor import nlinalg, slinalg

MODE = theano.compile.Mode(optimizer=None)


def arr(a):
    """An array as JSON (NaN as null)."""
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape),
            "data": [float(v) if np.isfinite(v) else None for v in a.ravel()]}


rs = np.random.RandomState(1234)
GEN = rs.randn(4, 4) + 3 * np.eye(4)
M = rs.randn(4, 4)
SPD = M.dot(M.T) + 4 * np.eye(4)
LOW = np.tril(rs.randn(4, 4)) + 3 * np.eye(4)
UPP = np.triu(rs.randn(4, 4)) + 3 * np.eye(4)
TALL = rs.randn(5, 3)
WIDE = rs.randn(3, 5)
BVEC = rs.randn(4)
BMAT = rs.randn(4, 2)
SPD2 = (lambda m: m.dot(m.T) + 3 * np.eye(4))(rs.randn(4, 4))
SQ3 = rs.randn(3, 3)

cases = []
printing = {}


def case(name, build, inputs, square=(), grad=True, dtype="float64"):
    vs = [T.TensorType(dtype, (False,) * np.ndim(v))("i%d" % k) for k, v in enumerate(inputs)]
    outs = build(*vs)
    if not isinstance(outs, (list, tuple)):
        outs = [outs]
    vals = [np.asarray(v, dtype=dtype) for v in inputs]
    o = theano.function(vs, outs, mode=MODE)(*vals)
    ws = [np.cos(0.7 * np.arange(np.size(v)) + 0.3).reshape(np.shape(v)).astype(v.dtype)
          for v in o]
    rec = {"name": name, "dtype": dtype, "inputs": [arr(v) for v in vals],
           "outputs": [arr(v) for v in o], "weights": [arr(w) for w in ws],
           "square": list(square)}
    if grad:
        cost = sum(((out * out) if k in square else out) .__mul__(w).sum()
                   for k, (out, w) in enumerate(zip(outs, ws)))
        gs = T.grad(cost, vs)
        rec["grads"] = [arr(g) for g in theano.function(vs, gs, mode=MODE)(*vals)]
    cases.append(rec)
    printing[name] = theano.printing.debugprint(outs, file="str")


case("matrix_inverse", nlinalg.matrix_inverse, [GEN])
case("matrix_inverse_f32", nlinalg.matrix_inverse, [GEN], dtype="float32")
case("pinv_tall", nlinalg.pinv, [TALL])
case("pinv_wide", nlinalg.pinv, [WIDE])
case("det", nlinalg.det, [GEN])
case("det_f32", nlinalg.det, [GEN], dtype="float32")
case("eigh_L", nlinalg.eigh, [SPD + np.triu(np.ones((4, 4)), 1)], square=(1,))
case("eigh_U", lambda a: nlinalg.eigh(a, "U"), [SPD + np.tril(np.ones((4, 4)), -1)],
     square=(1,))
case("eigh_w_only", lambda a: nlinalg.eigh(a)[0], [SPD])
case("eigh_f32", nlinalg.eigh, [SPD], square=(1,), dtype="float32")
case("eig", lambda a: nlinalg.eig(a)[0], [SPD], grad=False)
case("svd_full", nlinalg.svd, [TALL], square=(0, 2), grad=False)
case("svd_thin", lambda a: nlinalg.svd(a, full_matrices=0), [WIDE], square=(0, 2),
     grad=False)
case("svd_s", lambda a: nlinalg.svd(a, compute_uv=0), [TALL], grad=False)
case("qr_reduced", nlinalg.qr, [TALL], grad=False)
case("qr_complete", lambda a: nlinalg.qr(a, "complete"), [TALL], grad=False)
case("qr_r", lambda a: nlinalg.qr(a, "r"), [WIDE], grad=False)
case("matrix_power", lambda a: nlinalg.matrix_power(a, 3), [SQ3])
case("matrix_dot", lambda a, b, c: nlinalg.matrix_dot(a, b, c), [GEN, SPD, BMAT])
case("norm_fro", lambda a: nlinalg.norm(a, None), [TALL])
case("norm_1", lambda a: nlinalg.norm(a, 1), [TALL])
case("norm_inf", lambda a: nlinalg.norm(a, "inf"), [TALL])
case("norm_vec3", lambda a: nlinalg.norm(a, 3), [BVEC])
case("cholesky_lower", slinalg.cholesky, [SPD + np.triu(np.ones((4, 4)), 1)])
case("cholesky_upper", slinalg.Cholesky(lower=False), [SPD + np.tril(np.ones((4, 4)), -1)])
case("cholesky_nan_ok", slinalg.Cholesky(on_error="nan"), [SPD])
case("cholesky_f32", slinalg.cholesky, [SPD], dtype="float32")
case("solve_vec", slinalg.solve, [GEN, BVEC])
case("solve_mat", slinalg.solve, [GEN, BMAT])
case("solve_f32", slinalg.solve, [GEN, BMAT], dtype="float32")
case("solve_symmetric", slinalg.solve_symmetric, [SPD, BMAT])
case("solve_lower", slinalg.solve_lower_triangular, [LOW + np.triu(np.ones((4, 4)), 1), BMAT])
case("solve_upper", slinalg.solve_upper_triangular,
     [UPP + np.tril(np.ones((4, 4)), -1), BVEC])
case("eigvalsh_ab", lambda a, b: slinalg.eigvalsh(a, b), [SPD, SPD2])
case("eigvalsh_ab_upper", lambda a, b: slinalg.Eigvalsh(lower=False)(a, b), [SPD, SPD2])
case("kron_mat", slinalg.kron, [SQ3, BMAT])
case("kron_vec_mat", slinalg.kron, [BVEC, SQ3])
case("expm", slinalg.expm, [0.3 * GEN])

# the ops as Theano prints them
x = T.dmatrix("x")
b = T.dmatrix("b")
names = {}
for key, out in [
    ("Solve_general", slinalg.solve(x, b)),
    ("Solve_lower", slinalg.solve_lower_triangular(x, b)),
    ("Solve_upper", slinalg.solve_upper_triangular(x, b)),
    ("Solve_symmetric", slinalg.solve_symmetric(x, b)),
    ("Cholesky", slinalg.cholesky(x)),
    ("Cholesky_upper_nan", slinalg.Cholesky(lower=False, on_error="nan")(x)),
    ("Eigvalsh", slinalg.eigvalsh(x, b)),
    ("Eigvalsh_upper", slinalg.Eigvalsh(lower=False)(x, b)),
    ("EigvalshGrad", slinalg.EigvalshGrad()(x, b, T.dvector("g"))[0]),
    ("MatrixInverse", nlinalg.matrix_inverse(x)),
    ("MatrixPinv", nlinalg.pinv(x)),
    ("Det", nlinalg.det(x)),
    ("Eig", nlinalg.eig(x)[0]),
    ("Eigh", nlinalg.eigh(x)[0]),
    ("Eigh_U", nlinalg.eigh(x, "U")[0]),
    ("EighGrad", nlinalg.EighGrad()(x, T.dvector("w"), x, T.dvector("gw"), x)),
    ("QRFull", nlinalg.qr(x)[0]),
    ("QRFull_complete", nlinalg.qr(x, "complete")[0]),
    ("QRIncomplete", nlinalg.qr(x, "r")),
    ("SVD", nlinalg.svd(x)[0]),
    ("SVD_s", nlinalg.svd(x, 0, 0)),
    ("Expm", slinalg.expm(x)),
    ("ExpmGrad", slinalg.ExpmGrad()(x, b)),
]:
    names[key] = str(out.owner.op)

# debugprints of two gradients
gdp = {}
gx = T.grad(nlinalg.det(x), x)
gdp["det"] = theano.printing.debugprint(gx, file="str")
gx = T.grad(nlinalg.matrix_inverse(x).sum(), x)
gdp["matrix_inverse"] = theano.printing.debugprint(gx, file="str")

# refusals
errors = {}


def err(key, f):
    try:
        f()
        errors[key] = None
    except Exception as e:  # noqa: BLE001
        errors[key] = {"type": type(e).__name__, "msg": str(e).split("\n")[0]}


SING = np.array([[1., 2., 3.], [2., 4., 6.], [1., 0., 1.]])
NOTPD = np.array([[1., 2., 0.], [2., 1., 0.], [0., 0., 1.]])
LSING = np.array([[1., 0., 0.], [2., 0., 0.], [1., 1., 1.]])
f = theano.function([x], nlinalg.matrix_inverse(x), mode=MODE)
err("inverse_singular", lambda: f(SING))
err("inverse_nonsquare", lambda: f(TALL))
f = theano.function([x], nlinalg.det(x), mode=MODE)
err("det_nonsquare", lambda: f(TALL))
errors["det_singular"] = float(f(SING))
f = theano.function([x], slinalg.cholesky(x), mode=MODE)
err("cholesky_not_pd", lambda: f(NOTPD))
errors["cholesky_nan"] = arr(theano.function([x], slinalg.Cholesky(on_error="nan")(x),
                                             mode=MODE)(NOTPD))
f = theano.function([x, b], slinalg.solve(x, b), mode=MODE)
err("solve_singular", lambda: f(SING, np.ones((3, 1))))
err("solve_mismatch", lambda: f(SING, np.ones((4, 1))))
f = theano.function([x, b], slinalg.solve_lower_triangular(x, b), mode=MODE)
err("solve_lower_singular", lambda: f(LSING, np.ones((3, 1))))
f = theano.function([x], nlinalg.eigh(x), mode=MODE)
err("eigh_nonsquare", lambda: f(TALL))
err("eigvalsh_none_grad", lambda: T.grad(slinalg.eigvalsh(x, None).sum(), x))
err("qr_raw", lambda: nlinalg.qr(x, "raw"))
err("kron_vectors", lambda: slinalg.kron(T.dvector(), T.dvector()))
err("norm_3d", lambda: nlinalg.norm(T.dtensor3(), None))
err("norm_bad_matrix_ord", lambda: nlinalg.norm(x, 3))
err("svd_grad", lambda: T.grad(nlinalg.svd(x, compute_uv=0).sum(), x))
f = theano.function([x], nlinalg.eigh(x), mode=MODE)
errors["eigh_f32_dtypes"] = [str(o.dtype) for o in nlinalg.eigh(T.fmatrix())]
errors["solve_dtypes"] = {
    "f32_f32": slinalg.solve(T.fmatrix(), T.fmatrix()).dtype,
    "f32_f64": slinalg.solve(T.fmatrix(), T.dmatrix()).dtype,
    "i64_f64": slinalg.solve(T.lmatrix(), T.dmatrix()).dtype,
    "i32_i32": slinalg.solve(T.imatrix(), T.imatrix()).dtype,
}

with open("tests/linalg/linalg.json", "w") as fh:
    json.dump({"cases": cases, "printing": printing, "names": names, "grad_debugprints": gdp,
               "errors": errors}, fh, indent=1)
    fh.write("\n")
print(len(cases), "cases")
