"""Generate tests/fixtures/repr_cases.txt: random arrays with numpy's repr and str.

Run with numpy installed:  python3 tests/gen/gen_repr_cases.py
Format per case:
  CASE <dtype> <shape, comma separated, empty for 0-d>
  <values, space separated: floats as hex IEEE bits, ints decimal, bools 0/1>
  REPR <nbytes>
  <repr text>
  STR <nbytes>
  <str text>
"""
import os
import numpy as np

rng = np.random.default_rng(int(os.environ.get("SEED","12345")))
DTYPES = ["float64", "float32", "int64", "int32", "int16", "int8", "uint8", "bool"]


def rand_shape(max_size=60):
    while True:
        nd = int(rng.integers(0, 4))
        shape = tuple(int(rng.integers(0, 7)) for _ in range(nd))
        if nd == 1 and rng.random() < 0.4:
            shape = (int(rng.integers(10, 70)),)
        if int(np.prod(shape)) <= max_size:
            return shape


def rand_floats(n):
    kind = rng.integers(0, 8)
    if kind == 0:
        v = rng.integers(-20, 20, n).astype(float)
    elif kind == 1:
        v = rng.random(n)
    elif kind == 2:
        v = rng.normal(size=n) * 10.0 ** int(rng.integers(-12, 20))
    elif kind == 3:
        v = rng.normal(size=n) * 10.0 ** rng.integers(-8, 10, n)
    elif kind == 4:
        v = np.round(rng.normal(size=n) * 100, int(rng.integers(0, 4)))
    elif kind == 5:
        v = rng.integers(-3, 4, n) / 8.0
    elif kind == 6:
        v = rng.normal(size=n) * 10.0 ** int(rng.integers(-3, 8))
    else:
        v = 10.0 ** rng.integers(-300, 300, n).astype(float) * rng.choice([-1.0, 1.0], n)
    if n and rng.random() < 0.25:
        for _ in range(int(rng.integers(1, 3))):
            v[int(rng.integers(0, n))] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0])
    return v


def values(dtype, n):
    if dtype in ("float64", "float32"):
        return rand_floats(n).astype(dtype)
    if dtype == "bool":
        return rng.random(n) < 0.5
    info = np.iinfo(dtype)
    if rng.random() < 0.5:
        return rng.integers(max(info.min, -100), min(info.max, 100), n, endpoint=True).astype(dtype)
    return rng.integers(info.min, info.max, n, endpoint=True).astype(dtype)


def encode(a):
    flat = a.ravel()
    if a.dtype == np.float64:
        return " ".join(format(int(x), "x") for x in flat.view(np.uint64))
    if a.dtype == np.float32:
        return " ".join(format(int(x), "x") for x in flat.view(np.uint32))
    return " ".join(str(int(x)) for x in flat)


def emit(out, a):
    out.append(f"CASE {a.dtype} {','.join(map(str, a.shape))}\n{encode(a)}\n")
    for tag, text in (("REPR", repr(a)), ("STR", str(a))):
        b = text.encode()
        out.append(f"{tag} {len(b)}\n{text}\n")


out = []
for i in range(int(os.environ.get("N","400"))):
    dt = DTYPES[i % len(DTYPES)]
    shape = rand_shape()
    a = values(dt, int(np.prod(shape))).reshape(shape)
    emit(out, a)
# summarized (> 1000 elements)
for k, shape in enumerate([(2000,), (1001,), (40, 40), (11, 10, 10), (3, 1001), (2, 2, 300), (1200, 1)]):
    for dt in DTYPES[k % 4::4]:
        a = values(dt, int(np.prod(shape))).reshape(shape)
        emit(out, a)

path = os.path.join(os.path.dirname(__file__), "..", "fixtures", "repr_cases.txt")
with open(path, "w") as f:
    f.write("".join(out))
print(np.__version__, len(out) // 3, "cases")
