"""Speed and memory of nnlib against a plain numpy MLP, the matrix products alone and,
when it is installed, PyTorch on the CPU. Run: ``python benchmarks/bench.py [--quick]``.

Configurations (medians over repeats, one BLAS thread, the same machine for everyone):

(c) a 2-16-16-1 tanh network on 200 points, 1000 full-batch SGD steps, float32;
(a) a 64-128-64-10 ReLU network on the 8x8 digits, batch 64, float32, time per SGD step;
(b) a 784-128-64-10 ReLU network, batch 128, float32, one epoch over 60,000 random
    MNIST-shaped examples; and its peak memory above the data (tracemalloc).

Rows: nnlib; "numpy MLP", the plain vectorised MLP every tutorial writes; "numpy lean", the
leanest numpy step found for this machine (buffers allocated once, ``out=`` everywhere, no
checks, gradients written rather than accumulated, yet the loss value is still computed): the
floor for any library built from numpy calls; "GEMM only", just the matrix products of a step
(three forward, five backward: the first layer's input gradient is not needed), the floor any
implementation pays. The implementations take turns within each repeat, so a slow spell of a
shared machine slows them all alike.
It also trains the digits model to a test accuracy, times ``import nnlib`` (and numpy alone)
in fresh interpreters, and times the widget callbacks of the chapters (see ``--widgets``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np
from threadpoolctl import threadpool_limits

import nnlib
from nnlib.data import digits, train_val_test_split
from nnlib.losses import BCEWithLogitsLoss, CrossEntropyLoss
from nnlib.optim import SGD, Adam


def median_time(fn, repeats):
    return median_times({"": fn}, repeats)[""]


def median_times(fns, repeats):
    """Median wall time of each function in ``fns`` (a dict), running them in turn within
    every repeat so that all of them see the same spells of a busy machine."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


# --- the three ways to run one step -------------------------------------------------------
def nnlib_step(model, loss_fn, opt):
    def step(X, y):
        out = model(X)
        loss_fn(out, y)
        opt.zero_grad()
        model.backward(loss_fn.backward(), input_grad=False)
        opt.step()
    return step


def numpy_mlp(sizes, dtype, rng, act="relu"):
    """A plain vectorised numpy MLP (the reference every tutorial writes), SGD, CE or BCE."""
    Ws = [rng.normal(0, np.sqrt(2 / a), size=(b, a)).astype(dtype) for a, b in
          zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [np.zeros(b, dtype) for b in sizes[1:]]
    f, df = ((np.tanh, lambda a: 1 - a * a) if act == "tanh" else
             (lambda z: np.maximum(z, 0), lambda a: a > 0))

    def step(X, y, lr=0.1):
        acts = [X]
        for W, b in zip(Ws[:-1], bs[:-1], strict=True):
            acts.append(f(acts[-1] @ W.T + b))
        z = acts[-1] @ Ws[-1].T + bs[-1]
        m = X.shape[0]
        if z.shape[1] == 1:
            delta = (1 / (1 + np.exp(-z)) - y) / m
        else:
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(m), y] -= 1
            delta = p / m
        for i in range(len(Ws) - 1, -1, -1):
            gW, gb = delta.T @ acts[i], delta.sum(axis=0)
            if i > 0:
                delta = (delta @ Ws[i]) * df(acts[i])
            Ws[i] -= lr * gW
            bs[i] -= lr * gb
    step.params = Ws + bs  # for tests/library/test_benchmark.py
    return step


def numpy_lean(sizes, dtype, rng, act="relu"):
    """The fastest numpy step found for this machine: every array allocated once per batch
    size and written with ``out=``, no checks, each gradient written into its buffer (no
    zeroing, no accumulation), ReLU's backward a product with a 0/1 mask (several times faster
    than ``np.where``). It still computes the loss value, as nnlib does."""
    Ws = [rng.normal(0, np.sqrt(2 / a), size=(b, a)).astype(dtype) for a, b in
          zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [np.zeros(b, dtype) for b in sizes[1:]]
    gW, gb = [np.empty_like(W) for W in Ws], [np.empty_like(b) for b in bs]
    L = len(Ws)
    buffers = {}

    def batch_buffers(m):
        if m not in buffers:
            buffers[m] = ([np.empty((m, b), dtype) for b in sizes[1:]],    # pre-activations
                          [np.empty((m, b), dtype) for b in sizes[1:-1]],  # activations
                          [np.empty((m, b), dtype) for b in sizes[1:]],    # dL/dZ
                          [np.empty((m, b), dtype) for b in sizes[1:-1]],  # ReLU masks
                          np.ones(m, dtype), np.arange(m))
        return buffers[m]

    def step(X, y, lr=0.1):
        m = X.shape[0]
        Z, A, D, mask, ones, rows = batch_buffers(m)
        a = X
        for i in range(L):
            np.matmul(a, Ws[i].T, out=Z[i])
            Z[i] += bs[i]
            if i < L - 1:
                if act == "tanh":
                    np.tanh(Z[i], out=A[i])
                else:
                    np.maximum(Z[i], 0, out=A[i])
                    np.greater(Z[i], 0, out=mask[i])
                a = A[i]
        z, d = Z[-1], D[-1]
        if z.shape[1] == 1:  # BCE on logits: softplus(z) - y z, and dL/dz = (sigmoid(z) - y) / m
            e = np.exp(-np.abs(z))
            sp = np.maximum(z, 0) + np.log1p(e)
            loss = (np.add.reduce(sp, axis=None) - np.vdot(y, z)) / m
            np.subtract(z, sp, out=d)
            np.exp(d, out=d)
            d -= y
        else:                # cross-entropy: logsumexp(z) - z_y, and (softmax(z) - onehot) / m
            top = np.maximum.reduce(z, axis=1, keepdims=True)
            np.subtract(z, top, out=d)
            np.exp(d, out=d)
            total = np.add.reduce(d, axis=1, keepdims=True)
            per_row = np.log(total[:, 0]) + (top[:, 0] - z[rows, y])  # no large - large
            loss = np.add.reduce(per_row) / m
            d /= total
            d[rows, y] -= 1
        d *= 1 / m
        for i in range(L - 1, -1, -1):
            np.matmul(D[i].T, A[i - 1] if i else X, out=gW[i])
            np.dot(ones, D[i], out=gb[i])
            if i:
                np.dot(D[i], Ws[i], out=D[i - 1])
                if act == "tanh":
                    D[i - 1] *= 1 - A[i - 1] * A[i - 1]
                else:
                    D[i - 1] *= mask[i - 1]
        for p, g in zip(Ws + bs, gW + gb, strict=True):
            g *= -lr
            p += g
        return float(loss)
    step.params = Ws + bs
    return step


def gemm_only(sizes, m, dtype, rng):
    Ws = [rng.normal(size=(b, a)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:],
                                                                  strict=True)]
    acts = [rng.normal(size=(m, a)).astype(dtype) for a in sizes]

    def step(X, y):
        for i, W in enumerate(Ws):
            acts[i + 1] = (X if i == 0 else acts[i]) @ W.T
        for i in range(len(Ws) - 1, -1, -1):
            delta = acts[i + 1]
            _ = delta.T @ (X if i == 0 else acts[i])
            if i > 0:
                _ = delta @ Ws[i]
    return step


def torch_step(sizes, dtype, act, binary):
    import torch
    torch.set_num_threads(1)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Tanh() if act == "tanh" else torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(torch.float32 if dtype == np.float32
                                           else torch.float64)
    loss_fn = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    cache = {}

    def step(X, y):
        key = id(X)
        if key not in cache:
            cache.clear()
            cache[key] = (torch.from_numpy(X), torch.from_numpy(y))
        tx, ty = cache[key]
        opt.zero_grad()
        loss_fn(model(tx), ty).backward()
        opt.step()
    return step


def have_torch():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


# --- configurations --------------------------------------------------------------------------
def all_steps(sizes, act, m, binary):
    """One training step of each implementation for the network ``sizes``, batch m, float32."""
    rng = np.random.default_rng(0)
    model = nnlib.mlp(sizes, act, rng=0, dtype=np.float32)
    loss_fn = BCEWithLogitsLoss() if binary else CrossEntropyLoss()
    steps = {"nnlib": nnlib_step(model, loss_fn, SGD(model.parameters(), 0.1)),
             "numpy MLP": numpy_mlp(sizes, np.float32, rng, act),
             "numpy lean": numpy_lean(sizes, np.float32, rng, act),
             "GEMM only": gemm_only(sizes, m, np.float32, rng)}
    if have_torch():
        steps["PyTorch"] = torch_step(sizes, np.float32, act, binary)
    return steps


def time_steps(steps, run_one, repeats):
    """Median time of ``run_one(step)`` for every step, the implementations taking turns."""
    return median_times({name: (lambda step=step: run_one(step)) for name, step in steps.items()},
                        repeats)


def config_c(repeats):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)).astype(np.float32)
    y = (X[:, :1] * X[:, 1:] > 0).astype(np.float32)

    def thousand_steps(step):
        for _ in range(1000):
            step(X, y)

    return time_steps(all_steps([2, 16, 16, 1], "tanh", 200, binary=True), thousand_steps,
                      repeats)


def digits_data(dtype=np.float32):
    X, y = digits()
    Xtr, ytr, Xva, yva, Xte, yte = train_val_test_split(X, y, (0.7, 0.1, 0.2), rng=0)
    return (Xtr.astype(dtype), ytr, Xva.astype(dtype), yva, Xte.astype(dtype), yte)


def config_a(repeats):
    Xtr, ytr, *_ = digits_data()
    batches = [(Xtr[i:i + 64], ytr[i:i + 64]) for i in range(0, 64 * 15, 64)]

    def fifteen_steps(step):
        for Xb, yb in batches:
            step(Xb, yb)

    times = time_steps(all_steps([64, 128, 64, 10], "relu", 64, binary=False), fifteen_steps,
                       repeats)
    return {name: t / len(batches) for name, t in times.items()}


def config_b(repeats, n=60_000):
    rng = np.random.default_rng(0)
    X = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=n)

    def epoch(step):
        for i in range(0, n, 128):
            step(X[i:i + 128], y[i:i + 128])

    steps = all_steps([784, 128, 64, 10], "relu", 128, binary=False)
    rows = time_steps(steps, epoch, repeats)
    tracemalloc.start()
    epoch(steps["nnlib"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return rows, peak / 2 ** 20, X.nbytes / 2 ** 20


def digits_accuracy():
    """Train the digits model with nnlib.fit and report test accuracy and training time."""
    Xtr, ytr, Xva, yva, Xte, yte = digits_data(np.float32)
    model = nnlib.mlp([64, 128, 64, 10], "relu", rng=0, dtype=np.float32)
    opt = Adam(model.parameters(), lr=3e-3)
    t0 = time.perf_counter()
    nnlib.fit(model, CrossEntropyLoss(), opt, Xtr, ytr, epochs=30, batch_size=64, rng=0,
              progress=False, diagnostics=False, blas_threads=1)
    seconds = time.perf_counter() - t0
    acc = nnlib.accuracy(model.eval()(Xte), yte)
    return acc, seconds


def import_time(module, runs=7):
    """Median seconds to import ``module`` in a fresh interpreter (its own import only, not
    the interpreter's start-up), over ``runs`` interpreters."""
    code = (f"import time; t = time.perf_counter(); import {module}; "
            f"print(time.perf_counter() - t)")
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(runs)]
    return statistics.median(times)


def experiment_timings(repeats=7):
    """Every chapter's live experiments (``EXPERIMENTS`` of each ``book.chNN_*`` module):
    the median time of moving the main control one step in the notebook, in this process:
    ``update`` and the blitted redraw (what the kernel does before the PNG), and the same
    plus the PNG the widget sends. The first move and a warm-up are not timed. What a reader
    waits for in JupyterLab, end to end, is measured by ``benchmarks/lab_latency.py``."""
    import importlib
    import pkgutil
    import re

    import matplotlib

    matplotlib.use("Agg")
    import book
    from book import live

    nnlib.plot.use_book_style()
    rows = []
    for info in sorted(pkgutil.iter_modules(book.__path__), key=lambda i: i.name):
        if not re.match(r"ch\d\d_", info.name):
            continue
        module = importlib.import_module(f"book.{info.name}")
        for make in getattr(module, "EXPERIMENTS", ()):
            exp = make()
            control, base = exp.controls[exp.main], exp.defaults[exp.main]
            if isinstance(control, live.Pick):
                first = control.values()[0]
                other = tuple(v for v in control.values() if (v in base) != (v == first))
            else:
                grid = control.values()
                k = grid.index(base) if base in grid else 0
                other = grid[k + 1] if k + 1 < len(grid) else grid[k - 1]
            renderer = live.Renderer(exp.figure)
            values = [dict(exp.defaults), {**exp.defaults, exp.main: other}]
            for v in values * 2:                       # build, lay out, warm up
                renderer.rgba(v)
            turn = iter(range(10 ** 9))

            def move(render=renderer.rgba, values=values, turn=turn):
                render(values[next(turn) % 2])

            def move_and_png(render=renderer.png, values=values, turn=turn):
                render(values[next(turn) % 2], palette=True)

            rows.append((info.name, exp.name, exp.main, median_time(move, repeats),
                         median_time(move_and_png, repeats)))
            renderer.close()
    return rows


def fmt(seconds, unit):
    scale = {"ms": 1e3, "µs": 1e6, "s": 1.0}[unit]
    return f"{seconds * scale:9.3g} {unit}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller (b)")
    parser.add_argument("--widgets", action="store_true",
                        help="only time the chapters' live experiments (a move of the main "
                             "control)")
    args = parser.parse_args(argv)
    if args.widgets:
        print_widget_timings()
        return
    repeats = 3 if args.quick else 7
    print(f"nnlib {nnlib.__version__}, numpy {np.__version__}, 1 BLAS thread, "
          f"medians of {repeats} runs" + ("" if have_torch() else "; PyTorch not installed"))
    with threadpool_limits(1):
        c = config_c(repeats)
        a = config_a(repeats * 3)
        b, peak, data_mib = config_b(max(1, repeats // 2), 12_000 if args.quick else 60_000)
    names = ["nnlib", "numpy MLP", "numpy lean", "PyTorch", "GEMM only"]
    print()
    print(f"{'':12s}{'(c) 1000 steps':>16s}{'(a) per step':>16s}{'(b) one epoch':>16s}")
    for name in names:
        if name in c:
            print(f"{name:12s}{fmt(c[name], 'ms'):>16s}{fmt(a[name], 'µs'):>16s}"
                  f"{fmt(b[name], 's'):>16s}")
    print(f"\n(b) peak memory above the {data_mib:.0f} MiB of data: {peak:.2f} MiB")
    acc, seconds = digits_accuracy()
    print(f"digits 64-128-64-10 (Adam, 30 epochs): test accuracy {acc:.2%} "
          f"after {seconds:.2f} s of training")
    runs = 5 if args.quick else 9
    print(f"import nnlib: {import_time('nnlib', runs) * 1e3:.0f} ms (numpy alone: "
          f"{import_time('numpy', runs) * 1e3:.0f} ms), median of {runs} fresh interpreters")
    print_widget_timings()


def print_widget_timings():
    print("\nlive experiments, a move of the main control in the kernel (median of 7, after a "
          "warm-up):")
    print(f"{'chapter':30s}{'experiment':26s}{'control':12s}{'update + draw':>15s}"
          f"{'+ PNG':>10s}")
    for chapter, name, control, t_draw, t_png in experiment_timings():
        print(f"{chapter:30s}{name:26s}{control:12s}{t_draw * 1e3:12.1f} ms"
              f"{t_png * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
