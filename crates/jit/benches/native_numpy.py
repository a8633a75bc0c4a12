"""NumPy's figures for crates/jit/benches/native.rs: gemv at the seed's shapes, a sum over
10^7 float64, softmax on 600x10 (python3 crates/jit/benches/native_numpy.py)."""
import timeit
import numpy as np

rng = np.random.default_rng(0)
a = rng.uniform(-1, 1, (400, 784))
x784, x400 = rng.uniform(-1, 1, 784), rng.uniform(-1, 1, 400)
big = rng.uniform(-1, 1, 10_000_000)
sm = rng.uniform(-1, 1, (600, 10))


def softmax(v):
    e = np.exp(v - v.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


for name, f, n in [
    ("gemv 400x784 . 784", lambda: a @ x784, 2000),
    ("gemv 784x400(T) . 400", lambda: a.T @ x400, 2000),
    ("sum 1e7 f64", lambda: big.sum(), 50),
    ("softmax 600x10 f64", lambda: softmax(sm), 2000),
]:
    t = min(timeit.repeat(f, number=n, repeat=5)) / n
    print(f"{name}: {t * 1e6:.2f} us")
