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


m64 = rng.uniform(-1, 1, (1024, 1024))
n64 = rng.uniform(-1, 1, (1024, 1024))
m32, n32 = m64.astype(np.float32), n64.astype(np.float32)

# min over single calls (robust when other processes share the cores), as native_timing.rs
for name, f, flops, reps in [
    ("dot 1024^3 f64", lambda: m64 @ n64, 2 * 1024**3, 30),
    ("dot 1024^3 f32", lambda: m32 @ n32, 2 * 1024**3, 30),
    ("gemv 400x784 . 784", lambda: a @ x784, 2 * 400 * 784, 500),
    ("gemv 784x400(T) . 400", lambda: a.T @ x400, 2 * 400 * 784, 500),
    ("sum 1e7 f64", lambda: big.sum(), 1e7, 30),
    ("softmax 600x10 f64", lambda: softmax(sm), 0, 500),
]:
    t = min(timeit.repeat(f, number=1, repeat=reps))
    extra = f"  {flops / t / 1e9:7.1f} G/s" if flops else ""
    print(f"{name:<44} {t * 1e6:>10.2f} us{extra}")
