"""Twin of examples/ifelse_vs_switch.rs: the tutorial's "Conditions" example.

Run with a Python that has PyTensor (or the real Theano 1.0.5: it imports whichever it finds):
    python benches/ifelse_vs_switch.py
Both functions use the lazy VM (Theano's default linker); `switch` computes both means,
`ifelse` one. Prints the best of 5 rounds of 10 calls, as the Rust twin.
"""
import time

import numpy as np

try:
    import pytensor as th
    import pytensor.tensor as T
    from pytensor.ifelse import ifelse
    name = "PyTensor " + th.__version__
except ImportError:
    import theano as th
    import theano.tensor as T
    from theano.ifelse import ifelse
    name = "Theano " + th.__version__

a, b = T.scalars("a", "b")
x, y = T.matrices("x", "y")
z_switch = T.switch(T.lt(a, b), T.mean(x), T.mean(y))
z_lazy = ifelse(T.lt(a, b), T.mean(x), T.mean(y))
f_switch = th.function([a, b, x, y], z_switch)
f_lazy = th.function([a, b, x, y], z_lazy)
big1 = np.ones((10000, 1000))
big2 = np.ones((10000, 1000)) * 2
n_times = 10
best = [float("inf")] * 2
for _ in range(5):
    for k, f in enumerate((f_switch, f_lazy)):
        t = time.perf_counter()
        for _ in range(n_times):
            f(1.0, 2.0, big1, big2)
        best[k] = min(best[k], time.perf_counter() - t)
print(name)
print("time spent evaluating both values %.4f sec" % best[0])
print("time spent evaluating one value %.4f sec" % best[1])
print("ratio (switch / ifelse): %.2f" % (best[0] / best[1]))
