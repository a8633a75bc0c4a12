"""NumPy's figures for crates/jit/examples/gemm_timing.rs: the narrow products of the MNIST
step and square products, min over single calls (python3 crates/jit/benches/gemm_numpy.py)."""
import timeit
import numpy as np

rng = np.random.default_rng(0)
for m, k, n, tx in [(600, 784, 10, False), (784, 600, 10, True), (600, 784, 16, False),
                    (2000, 500, 8, False)]:
    x = rng.uniform(-1, 1, (k, m)).T if tx else rng.uniform(-1, 1, (m, k))
    y = rng.uniform(-1, 1, (k, n))
    t = min(timeit.repeat(lambda: x @ y, number=1, repeat=400))
    print(f"{m}x{k} . {k}x{n}{' (x transposed)' if tx else ''}: numpy {t * 1e6:.1f} us")
for n in [96, 128, 192, 256, 512, 1024]:
    a, b = rng.uniform(-1, 1, (n, n)), rng.uniform(-1, 1, (n, n))
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    r = 30 if n >= 512 else 400
    t = min(timeit.repeat(lambda: a @ b, number=1, repeat=r))
    t32 = min(timeit.repeat(lambda: a32 @ b32, number=1, repeat=r))
    print(f"{n}^3 GFLOP/s: float64 numpy {2 * n**3 / t / 1e9:.1f}; float32 numpy {2 * n**3 / t32 / 1e9:.1f}")
