"""Compatibility patches for running the real Theano 1.0.5's Python performs under the
reference venv's SciPy 1.10 and NumPy 1.23 (imported by the generators of tests/conv and
tests/pool). They change no arithmetic:

- `patch_conv()`: Theano's abstract_conv imports SciPy's private 2-d convolution from its
  pre-1.8 module paths and, failing, refuses to compute; point it at SciPy 1.10's;
- `patch_pool()`: Theano's pooling performs index arrays with lists of slices, which NumPy
  1.23 refuses; their source is re-read from Theano with those lists made tuples;
- `patch_topk()`: the same for `theano.tensor.sort._topk_py_impl` (`TopKOp.perform`).
"""
import inspect
import textwrap


def patch_conv():
    from scipy.signal._signaltools import _bvalfromboundary, _valfrommode, convolve
    from scipy.signal._sigtools import _convolve2d
    from theano.tensor.nnet import abstract_conv

    abstract_conv._convolve2d = _convolve2d
    abstract_conv._valfrommode = _valfrommode
    abstract_conv._bvalfromboundary = _bvalfromboundary
    abstract_conv.convolve = convolve
    abstract_conv.imported_scipy_signal = True


def patch_pool():
    from theano.tensor.signal import pool as pool_module

    for cls in (pool_module.Pool, pool_module.AveragePoolGrad, pool_module.MaxPoolRop):
        src = textwrap.dedent(inspect.getsource(cls.perform))
        src = src.replace("[[region_slices[i][r[i]] for i in xrange(nd)]]",
                          "[tuple(region_slices[i][r[i]] for i in xrange(nd))]")
        src = src.replace("gxk[region_slice] += val", "gxk[tuple(region_slice)] += val")
        scope = {}
        exec(compile(src, "<theano pool perform>", "exec"), vars(pool_module), scope)
        cls.perform = scope["perform"]


def patch_topk():
    import importlib

    sort_module = importlib.import_module("theano.tensor.sort")

    src = textwrap.dedent(inspect.getsource(sort_module._topk_py_impl))
    src = src.replace("axis=axis)[idx]", "axis=axis)[tuple(idx)]")
    scope = {}
    exec(compile(src, "<theano topk perform>", "exec"), vars(sort_module), scope)
    sort_module._topk_py_impl = scope["_topk_py_impl"]
