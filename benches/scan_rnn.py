"""Twin of examples/scan_rnn.rs: a tanh RNN trained through scan, one training step timed.

Run with a Python that has PyTensor (or the real Theano 1.0.5): python benches/scan_rnn.py
Sizes: 50 steps, a minibatch of 16, 32 inputs, 64 hidden units; best of 5 rounds of 5 steps.
"""
import time

import numpy as np

try:
    import pytensor as th
    import pytensor.tensor as T
    name = "PyTensor " + th.__version__
except ImportError:
    import theano as th
    import theano.tensor as T
    name = "Theano " + th.__version__

steps, batch, n_in, n_h = 50, 16, 32, 64


def fill(shape, k):
    n = int(np.prod(shape))
    i = np.arange(n)
    return ((((i * 7919 + k) % 1000) / 1000.0 - 0.5) * 0.2).reshape(shape)


W = th.shared(fill((n_in, n_h), 1), name="W")
U = th.shared(fill((n_h, n_h), 2), name="U")
x = T.tensor3("x")
target = T.matrix("target")
h0 = T.zeros((batch, n_h))
hs, _ = th.scan(lambda xt, h: T.tanh(T.dot(xt, W) + T.dot(h, U)), sequences=[x], outputs_info=[h0])
cost = T.mean((hs[-1] - target) ** 2)
gW, gU = th.grad(cost, [W, U])
train = th.function([x, target], cost, updates=[(W, W - 0.1 * gW), (U, U - 0.1 * gU)])
xv = fill((steps, batch, n_in), 3)
tv = fill((batch, n_h), 4)
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    for _ in range(5):
        c = train(xv, tv)
    best = min(best, (time.perf_counter() - t) / 5)
print("%s: %.3f ms per training step (cost %.6f)" % (name, best * 1e3, c))
