"""NumPy's side of `cargo run --release --example dot_per_call`: dot 1024^3 timed as
../shared/anchors/bench_gemm.py times it (3 warm-up calls, then 20 single calls with a fresh
output; median / min / max as GFLOP/s), three rounds per dtype.

Run it in the anchors' venv with the machine's OpenBLAS overrides unset, as run_all.sh does:
`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /tmp/anchors/bin/python benches/dot_per_call_numpy.py`
"""
import statistics
import time

import numpy as np

rng = np.random.RandomState(0)
for dt in ["float64", "float32"]:
    A = rng.rand(1024, 1024).astype(dt)
    B = rng.rand(1024, 1024).astype(dt)
    for _ in range(3):
        for _ in range(3):
            A @ B
        s = []
        for _ in range(20):
            t = time.perf_counter()
            C = A @ B
            s.append(time.perf_counter() - t)
            del C
        g = sorted(2 * 1024**3 / x / 1e9 for x in s)
        print(f"numpy {dt}: median {statistics.median(g):.1f} min {g[0]:.1f} max {g[-1]:.1f}")
