"""Writes tests/conv/lenet.json: three SGD steps of a small LeNet (the deeplearning.net
tutorial's convolutional_mlp.py: conv, max pool, tanh, twice; a tanh hidden layer; softmax
regression) in the real Theano 1.0.5, from the tutorial's RandomState(23455) initialization,
on a fixed random minibatch: the cost before each step and the parameters after.

Run from the repository root (see tests/theano10/README.md for the venv):

    THEANO_FLAGS=blas.ldflags=,compiledir=/tmp/theano10_compiledir,cxx= \
        /tmp/theano10/bin/python -W ignore tests/conv/gen_lenet.py

Theano's Python performs need tests/theano10/theano_compat.py's two compatibility patches
(SciPy 1.10's module paths for the convolution, tuples for NumPy 1.23's indexing in
pooling); nothing else changes.
"""
import json
import os
import sys

import numpy as np
import theano
import theano.tensor as T
from theano.tensor.nnet import conv2d
from theano.tensor.signal.pool import pool_2d

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "theano10"))
import theano_compat  # noqa: E402

theano_compat.patch_conv()
theano_compat.patch_pool()
MODE = theano.compile.Mode(optimizer=None)
rng = np.random.RandomState(23455)
batch, side, nkerns, hidden, classes, lr = 4, 12, (4, 6), 10, 3, 0.1


def conv_pool_layer(inp, filter_shape, image_shape):
    fan_in = np.prod(filter_shape[1:])
    fan_out = filter_shape[0] * np.prod(filter_shape[2:]) // 4
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    W = theano.shared(rng.uniform(low=-bound, high=bound, size=filter_shape), name="W")
    b = theano.shared(np.zeros(filter_shape[0]), name="b")
    out = conv2d(input=inp, filters=W, filter_shape=filter_shape, input_shape=image_shape)
    pooled = pool_2d(input=out, ws=(2, 2), ignore_border=True)
    return T.tanh(pooled + b.dimshuffle("x", 0, "x", "x")), [W, b]


x = T.matrix("x", dtype="float64")
y = T.lvector("y")
l0, p0 = conv_pool_layer(x.reshape((batch, 1, side, side)), (nkerns[0], 1, 3, 3),
                         (batch, 1, side, side))
l1, p1 = conv_pool_layer(l0, (nkerns[1], nkerns[0], 2, 2), (batch, nkerns[0], 5, 5))
n_in = nkerns[1] * 2 * 2
bound = np.sqrt(6.0 / (n_in + hidden))
W2 = theano.shared(rng.uniform(low=-bound, high=bound, size=(n_in, hidden)), name="W")
b2 = theano.shared(np.zeros(hidden), name="b")
h = T.tanh(T.dot(l1.flatten(2), W2) + b2)
W3 = theano.shared(np.zeros((hidden, classes)), name="W")
b3 = theano.shared(np.zeros(classes), name="b")
p_y = T.nnet.softmax(T.dot(h, W3) + b3)
cost = -T.mean(T.log(p_y)[T.arange(y.shape[0]), y])
params = [W3, b3, W2, b2] + p1 + p0
grads = T.grad(cost, params)
train = theano.function([x, y], cost, mode=MODE,
                        updates=[(p, p - lr * g) for p, g in zip(params, grads)])

data = np.random.RandomState(1)
xv = data.rand(batch, side * side)
yv = np.array([0, 1, 2, 1])
costs = [float(train(xv, yv)) for _ in range(3)]
out = {"theano": theano.__version__, "batch": batch, "side": side, "nkerns": list(nkerns),
       "hidden": hidden, "classes": classes, "lr": lr, "x": xv.ravel().tolist(),
       "y": yv.tolist(), "costs": costs,
       "params": [p.get_value().ravel().tolist() for p in params]}
with open("tests/conv/lenet.json", "w") as fh:
    json.dump(out, fh, indent=1)
print("costs", costs)
