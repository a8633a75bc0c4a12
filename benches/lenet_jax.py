"""The JAX twin of `cargo run --release --example lenet -- --steps N`: the same LeNet
(conv 5x5 x20, max pool 2x2, tanh; conv 5x5 x50, pool, tanh; tanh hidden 500; softmax),
the same Fashion-MNIST minibatches of 500 and the same initial weights (NumPy's
RandomState(23455), as the tutorial draws them), one jitted SGD step per call; prints the
first cost, the cost after N more steps and the time per step.

    THEANO_FLAGS=floatX=float32 ./target/release/examples/lenet --steps 20
    python benches/lenet_jax.py --steps 20        # float32, as the line above

Data: /usr/share/datasets/fashion-mnist or MNIST_DIR.
"""
import argparse
import gzip
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=20)
p.add_argument("--batch-size", type=int, default=500)
p.add_argument("--lr", type=float, default=0.1)
p.add_argument("--limit", type=int, default=5000)
a = p.parse_args()

d = os.environ.get("MNIST_DIR", "/usr/share/datasets/fashion-mnist")
with gzip.open(os.path.join(d, "train-images-idx3-ubyte.gz")) as f:
    xs = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)[: a.limit]
with gzip.open(os.path.join(d, "train-labels-idx1-ubyte.gz")) as f:
    ys = np.frombuffer(f.read(), np.uint8, offset=8)[: a.limit].astype(np.int32)
xs = (xs / 255.0).astype(np.float32)

rng = np.random.RandomState(23455)


def uniform(shape, fan_in, fan_out):
    b = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-b, b, size=shape).astype(np.float32)


params = {
    "W0": uniform((20, 1, 5, 5), 25, 20 * 25 // 4), "b0": np.zeros(20, np.float32),
    "W1": uniform((50, 20, 5, 5), 500, 50 * 25 // 4), "b1": np.zeros(50, np.float32),
    "W2": uniform((800, 500), 800, 500), "b2": np.zeros(500, np.float32),
    "W3": np.zeros((500, 10), np.float32), "b3": np.zeros(10, np.float32),
}


def conv_pool(x, w, b):
    # Theano's conv2d convolves: the filters flipped, then XLA's cross-correlation
    y = jax.lax.conv_general_dilated(x, w[:, :, ::-1, ::-1], (1, 1), "VALID")
    y = jax.lax.reduce_window(y, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    return jnp.tanh(y + b[None, :, None, None])


def cost(ps, x, y):
    h = conv_pool(x.reshape(-1, 1, 28, 28), ps["W0"], ps["b0"])
    h = conv_pool(h, ps["W1"], ps["b1"])
    h = jnp.tanh(h.reshape(h.shape[0], -1) @ ps["W2"] + ps["b2"])
    logp = jax.nn.log_softmax(h @ ps["W3"] + ps["b3"])
    return -jnp.mean(logp[jnp.arange(y.shape[0]), y])


@jax.jit
def step(ps, x, y):
    c, g = jax.value_and_grad(cost)(ps, x, y)
    return c, {k: ps[k] - a.lr * g[k] for k in ps}


bs = a.batch_size
n = len(xs) // bs
batches = [(jnp.asarray(xs[i * bs:(i + 1) * bs]), jnp.asarray(ys[i * bs:(i + 1) * bs]))
           for i in range(n)]
ps = {k: jnp.asarray(v) for k, v in params.items()}
c0, ps = step(ps, *batches[0])
c0 = float(c0)
t = time.perf_counter()
for i in range(a.steps):
    c, ps = step(ps, *batches[(1 + i) % n])
c = float(c)
per = (time.perf_counter() - t) / a.steps
print("first cost %.6f, cost after %d more steps %.6f; %.1f ms per training step"
      % (c0, a.steps, c, per * 1e3))
