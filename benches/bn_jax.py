"""The JAX twin of `cargo bench --bench runtime -- batchnorm`: a spatial batch-norm training
step on (64, 32, 16, 16) float32 (Theano's `batch_normalization_train` formulas: mean and
biased variance over axes (0, 2, 3), epsilon 1e-4, running averages with factor 0.1 and the
unbiased variance), its outputs, the new running averages and the gradients of
`sum(out^2)` with respect to x, gamma and beta, as one jitted call. Prints the median time
per call.

    python benches/bn_jax.py
"""
import time

import jax
import jax.numpy as jnp
import numpy as np

rs = np.random.RandomState(5)
x = rs.uniform(-1, 1, (64, 32, 16, 16)).astype(np.float32)
g = rs.uniform(0.5, 1.5, 32).astype(np.float32)
b = rs.uniform(-0.5, 0.5, 32).astype(np.float32)
rm = rs.uniform(-0.5, 0.5, 32).astype(np.float32)
rv = rs.uniform(0.5, 1.5, 32).astype(np.float32)
AX = (0, 2, 3)


def forward(x, g, b):
    mean = x.mean(AX, keepdims=True)
    var = x.var(AX, keepdims=True)
    invstd = 1.0 / jnp.sqrt(var + 1e-4)
    out = (x - mean) * (g.reshape(1, -1, 1, 1) * invstd) + b.reshape(1, -1, 1, 1)
    return out, mean, var


@jax.jit
def step(x, g, b, rm, rv):
    def cost(x, g, b):
        out, mean, var = forward(x, g, b)
        return jnp.sum(out * out), (out, mean, var)

    (c, (out, mean, var)), grads = jax.value_and_grad(cost, argnums=(0, 1, 2), has_aux=True)(
        x, g, b)
    m = x.size / g.size
    nrm = rm * 0.9 + mean.reshape(-1) * 0.1
    nrv = rv * 0.9 + (m / (m - 1)) * var.reshape(-1) * 0.1
    return out, nrm, nrv, grads


args = [jnp.asarray(a) for a in (x, g, b, rm, rv)]
jax.block_until_ready(step(*args))
ts = []
for _ in range(50):
    t0 = time.perf_counter()
    jax.block_until_ready(step(*args))
    ts.append(time.perf_counter() - t0)
print("batchnorm train step 64x32x16x16 f32, JAX: median %.3f ms" % (1e3 * np.median(ts)))
