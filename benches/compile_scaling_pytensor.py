"""PyTensor's side of `examples/compile_scaling.rs`: `pytensor.function` compile time against
graph size, on the same graphs (benches/common/scaling_graphs.rs, node for node: same ops, same
splitmix64 picks):

- chain(n): n elementwise nodes, tanh(h), h * y, exp(h), h + x in turn;
- dag(n): n elementwise nodes, node i reads node i - 1 and (binary ops) one of the 64 values
  before it picked by splitmix64 (seed 1);
- rnn(steps): h = tanh(dot(h, W) + X[t]) unrolled.

Timed: `pytensor.function([inputs], output)` for a freshly built graph, in PyTensor's default
mode (`--mode default`: FAST_RUN rewrites and, in PyTensor 3, the Numba linker) or another one
(`--mode CVM`: the C VM linker, Theano's default). Before the timed builds each graph is compiled
once untimed, so PyTensor's on-disk cache of compiled C modules (base_compiledir) already holds
every module the timed builds need: the figures are compile times with the C caches warm
(graph rewriting, linking, loading the cached modules), the minimum over --reps builds.

Run with the anchors venv (bash /work/shared/anchors/setup.sh makes /tmp/anchors):
  /tmp/anchors/bin/python benches/compile_scaling_pytensor.py [--family chain,dag,rnn]
      [--sizes 1000,4000,16000,64000] [--steps 100,300,1000] [--reps 3] [--budget 60]
"""
import argparse
import math
import os
import sys
import tempfile
import threading
import time

MASK = (1 << 64) - 1


class SplitMix:
    def __init__(self, seed):
        self.s = seed

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def chain(pt, n):
    x, y = pt.dvector("x"), pt.dvector("y")
    h = x
    for i in range(n):
        k = i % 4
        if k == 0:
            h = pt.tanh(h)
        elif k == 1:
            h = h * y
        elif k == 2:
            h = pt.exp(h)
        else:
            h = h + x
    return [x, y], h


def dag(pt, n):
    ins = [pt.dvector("x"), pt.dvector("y"), pt.dvector("z")]
    pool = list(ins)
    rng = SplitMix(1)
    for _ in range(n):
        op = rng.next() % 6
        back = rng.next() % min(len(pool), 64)
        prev, other = pool[-1], pool[len(pool) - 1 - back]
        if op == 0:
            v = prev + other
        elif op == 1:
            v = prev * other
        elif op == 2:
            v = prev - other
        elif op == 3:
            v = pt.maximum(prev, other)
        elif op == 4:
            v = pt.tanh(prev)
        else:
            v = pt.exp(prev)
        pool.append(v)
    return ins, pool[-1]


def rnn(pt, steps):
    h0, w, x = pt.dvector("h0"), pt.dmatrix("W"), pt.dmatrix("X")
    h = h0
    for t in range(steps):
        h = pt.tanh(pt.dot(h, w) + x[t])
    return [h0, w, x], h


def growth_exponent(points):
    lx = [math.log(n) for n, _ in points]
    ly = [math.log(t) for _, t in points]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxy = sum((a - mx) * (b - my) for a, b in zip(lx, ly))
    sxx = sum((a - mx) ** 2 for a in lx)
    return sxy / sxx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", default="chain,dag,rnn")
    ap.add_argument("--sizes", default="1000,4000,16000,64000")
    ap.add_argument("--steps", default="100,300,1000")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--budget", type=float, default=60.0,
                    help="skip the larger sizes of a family once a build took longer (s)")
    ap.add_argument("--mode", default="default",
                    help="PyTensor mode: default (NUMBA in PyTensor 3), CVM (C), NUMBA, FAST_COMPILE")
    args = ap.parse_args()

    os.environ.setdefault(
        "PYTENSOR_FLAGS",
        "base_compiledir=" + os.path.join(os.environ.get("ANCHORS_CACHE", tempfile.gettempdir()),
                                          "pt_compile_scaling"))
    import pytensor
    import pytensor.tensor as pt
    from pytensor.graph.traversal import io_toposort

    mode = (pytensor.compile.mode.get_default_mode() if args.mode == "default"
            else pytensor.compile.mode.get_mode(args.mode))
    print(f"pytensor {pytensor.__version__}, mode {args.mode}: {type(mode).__name__} "
          f"linker={type(mode.linker).__name__}, optimizer={pytensor.config.optimizer}, "
          f"base_compiledir={pytensor.config.base_compiledir}")
    families = {"chain": (chain, args.sizes), "dag": (dag, args.sizes), "rnn": (rnn, args.steps)}
    print(f"{'family':<6} {'size':>7} {'nodes':>8} {'first (cold) s':>15} {'function() s':>13}")
    for fam in args.family.split(","):
        build, sizes = families[fam]
        points = []
        for size in [int(s) for s in sizes.split(",")]:
            ins, out = build(pt, size)
            nodes = len(io_toposort(ins, [out]))
            t0 = time.perf_counter()
            pytensor.function(ins, out, mode=mode)  # fills the C module cache
            first = time.perf_counter() - t0
            best = first
            if first <= args.budget:
                for _ in range(max(1, args.reps)):
                    ins, out = build(pt, size)
                    t0 = time.perf_counter()
                    pytensor.function(ins, out, mode=mode)
                    best = min(best, time.perf_counter() - t0)
            print(f"{fam:<6} {size:>7} {nodes:>8} {first:>15.4f} {best:>13.4f}", flush=True)
            points.append((nodes, best))
            if first > args.budget:
                print(f"{fam}: over the budget of {args.budget} s, larger sizes skipped")
                break
        if len(points) >= 2:
            print(f"{fam}: growth exponent k = {growth_exponent(points):.2f} "
                  f"(least squares of log t on log nodes, {len(points)} sizes)", flush=True)


if __name__ == "__main__":
    # PyTensor's graph walks and printers recurse: deep graphs need a deep stack
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(512 * 1024 * 1024)
    t = threading.Thread(target=main)
    t.start()
    t.join()
