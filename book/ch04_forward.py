"""Experiments of Chapter 4 (Forward propagation).

The bookkeeping of a forward pass (parameters, floating point operations, the memory that
training keeps, and a tracemalloc measurement of it), a timing experiment over batch sizes,
and the chapter's live experiment: :class:`ForwardPass`, a network diagram whose layers light
up one step at a time. The notebook shows it with :func:`forward_pass_experiment` (a widget
in a kernel, a flipbook of precomputed frames on the website) and, as a static figure, with
:func:`draw_forward_steps` (small multiples of the same :class:`ForwardPass`). The
hand-worked 2-2-1 network itself lives in :mod:`book.shared` (Chapter 5 runs it backwards).
"""

from __future__ import annotations

import contextlib
import functools
import tracemalloc

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PathCollection

from nnlib import plot
from nnlib._checks import as_array, check_int, make_rng
from nnlib.core import Module, Sequential
from nnlib.layers import Linear, mlp

from . import live
from .live import LiveFigure
from .shared import get_clock, one_blas_thread, time_call

__all__ = [
    "parameter_terms", "parameter_count", "forward_flops",
    "activation_memory", "retained_forward_bytes", "time_forward",
    "forward_scaling",
    "draw_forward_scaling", "DEMO_ACTIVATIONS", "DEMO_X", "demo_input", "demo_network",
    "forward_trace", "draw_forward_steps", "ForwardPass",
    "forward_pass_experiment", "EXPERIMENTS",
]

#: Activations offered by the animated forward pass.
DEMO_ACTIVATIONS = ("tanh", "sigmoid", "relu")
#: The input of the animated forward pass (four features of both signs).
DEMO_X = np.array([0.9, -0.6, 0.3, -1.0])


def _sizes(sizes, where):
    try:
        sizes = [check_int(s, where, "every layer size", minimum=1) for s in sizes]
    except TypeError:
        raise TypeError(f"{where}: expected sizes to be a sequence of positive integers such "
                        f"as [784, 128, 64, 10], got {sizes!r}.") from None
    if len(sizes) < 2:
        raise ValueError(f"{where}: expected at least two layer sizes (input and output), got "
                         f"{sizes}.")
    return sizes


# --------------------------------------------------------------------------------------------
# bookkeeping: parameters, floating point operations, memory
# --------------------------------------------------------------------------------------------
def parameter_terms(sizes):
    """Weights and biases of each layer of an MLP: ``[(n_l n_(l-1), n_l), ...]``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths n_0, n_1, ..., n_D, input first.

    Returns
    -------
    list of (int, int)
        One pair per layer l = 1, ..., D.

    Examples
    --------
    >>> parameter_terms([784, 128, 64, 10])
    [(100352, 128), (8192, 64), (640, 10)]
    """
    sizes = _sizes(sizes, "parameter_terms")
    return [(n_in * n_out, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]


def parameter_count(sizes) -> int:
    """Number of parameters of an MLP: the sum over layers of n_l n_(l-1) + n_l.

    Examples
    --------
    >>> parameter_count([784, 128, 64, 10])
    109386
    """
    return sum(w + b for w, b in parameter_terms(sizes))


def forward_flops(sizes, batch_size=1) -> int:
    """Floating point operations of the matrix products of one forward pass: 2 m sum n_l n_(l-1).

    Each of the n_l units of layer l does n_(l-1) multiplications and n_(l-1) additions (the
    last one adds the bias), so layer l costs 2 n_l n_(l-1) operations per example. The
    activation functions (about n_l operations each) are not counted.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths n_0, ..., n_D.
    batch_size : int
        m, the number of examples.

    Examples
    --------
    >>> forward_flops([784, 128, 64, 10])
    218368
    """
    m = check_int(batch_size, "forward_flops", "batch_size", minimum=1)
    return 2 * m * sum(w for w, _ in parameter_terms(sizes))


def activation_memory(sizes, batch_size, dtype=np.float32) -> dict:
    """Bytes that training must keep after a forward pass: every A^(l) and every Z^(l).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths n_0, ..., n_D; A^(0) = X is counted (the first layer's weight gradient
        needs it).
    batch_size : int
        m.
    dtype : numpy dtype
        4 bytes per number for float32, 8 for float64.

    Returns
    -------
    dict
        ``a_bytes`` (A^(0), ..., A^(D)), ``z_bytes`` (Z^(1), ..., Z^(D)), ``total_bytes``,
        ``parameter_bytes`` (the weights and biases, for comparison).

    Examples
    --------
    >>> activation_memory([784, 128, 64, 10], 128)["total_bytes"]
    608256
    """
    sizes = _sizes(sizes, "activation_memory")
    m = check_int(batch_size, "activation_memory", "batch_size", minimum=1)
    itemsize = np.dtype(dtype).itemsize
    a_bytes = itemsize * m * sum(sizes)
    z_bytes = itemsize * m * sum(sizes[1:])
    return {"a_bytes": a_bytes, "z_bytes": z_bytes, "total_bytes": a_bytes + z_bytes,
            "parameter_bytes": itemsize * parameter_count(sizes)}


def _check_model(model, where):
    if not isinstance(model, Module):
        raise TypeError(f"{where}: expected an nnlib Module such as a Sequential, got "
                        f"{type(model).__name__}.")


def retained_forward_bytes(model, X) -> int:
    """Bytes newly allocated by ``model(X)`` that are still alive afterwards (tracemalloc).

    These are the arrays the layers cache for the backward pass, plus the output. The input
    ``X`` itself is not counted: it existed before the call (a Linear layer keeps a
    reference to it, not a copy).

    Parameters
    ----------
    model : Module
    X : ndarray of shape (m, n_0)

    Returns
    -------
    int

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> net = mlp([3, 4, 2], "relu", rng=0)
    >>> retained_forward_bytes(net, np.ones((10, 3))) >= 8 * 10 * (4 + 4 + 2)
    True
    """
    _check_model(model, "retained_forward_bytes")
    X = as_array(X, "retained_forward_bytes", name="X")
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = model(X)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    del out
    return after - before


def time_forward(model, X, repeats=5, clock="cpu", one_thread=True) -> float:
    """Best-of-``repeats`` time in seconds of ``model(X)``, one BLAS thread (see
    :func:`time_call`).

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> time_forward(mlp([3, 4, 2], rng=0), np.ones((8, 3)), repeats=2) >= 0
    True
    """
    _check_model(model, "time_forward")
    return time_call(lambda: model(X), repeats, clock, one_thread)


def forward_scaling(sizes=(784, 1024, 1024, 10), batch_sizes=(32, 64, 128, 256, 512, 1024),
                    repeats=7, dtype=np.float32, rng=0, one_thread=True, clock="cpu") -> dict:
    """Time the forward pass of a ReLU MLP over several batch sizes and count its FLOP/s.

    Parameters
    ----------
    sizes : sequence of int
        The network n_0, ..., n_D.
    batch_sizes : sequence of int
        The values of m to time, increasing.
    repeats : int
        Timed calls per batch size; the fastest is kept.
    dtype : numpy dtype
    rng : Generator, int or None
        Seeds the weights and the random inputs.
    one_thread : bool
        Limit BLAS to one thread, so that the measurement is of one core (and CPU time is
        meaningful, see :func:`time_call`).
    clock : {'cpu', 'wall'}
        CPU time of the process (default; robust on a busy machine) or elapsed time. The
        batch sizes are timed in turn, ``repeats`` rounds, keeping each one's fastest run.

    Returns
    -------
    dict
        ``batch_sizes``, ``seconds`` (best time per forward pass), ``flops`` (2 m times the
        number of weights), ``flops_per_second``, ``matmul_seconds`` (the matrix products
        ``A @ W.T`` alone at the largest batch), ``sizes``, ``n_weights``.

    See Also
    --------
    Chapter 4 (Forward propagation), "What a forward pass costs".

    Examples
    --------
    >>> r = forward_scaling((8, 16, 4), (4, 8), repeats=1)
    >>> r["flops"].tolist()
    [1536, 3072]
    """
    where = "forward_scaling"
    sizes = _sizes(sizes, where)
    batch_sizes = [check_int(m, where, "every batch size", minimum=1) for m in batch_sizes]
    if not batch_sizes or sorted(batch_sizes) != batch_sizes:
        raise ValueError(f"{where}: expected a non-empty increasing sequence of batch sizes, "
                         f"got {batch_sizes}.")
    rng = make_rng(rng, where)
    model = mlp(sizes, "relu", rng=rng, dtype=dtype)
    X = rng.standard_normal((batch_sizes[-1], sizes[0])).astype(dtype)
    weights = [layer.weight.data for layer in model if isinstance(layer, Linear)]
    now = get_clock(clock, where)

    def products():
        A = X
        for W in weights:
            A = A @ W.T

    calls = [(lambda Xm=X[:m]: model(Xm)) for m in batch_sizes] + [products]
    best = np.full(len(calls), np.inf)
    context = one_blas_thread() if one_thread else contextlib.nullcontext()
    with context:
        for call in calls:  # warm-up
            call()
        # round robin: a slow spell of the machine hits every batch size alike
        for _ in range(repeats):
            for k, call in enumerate(calls):
                start = now()
                call()
                best[k] = min(best[k], now() - start)
    seconds, matmul = best[:-1], best[-1]
    m = np.array(batch_sizes)
    flops = np.array([forward_flops(sizes, b) for b in batch_sizes])
    return {"sizes": sizes, "n_weights": sum(w for w, _ in parameter_terms(sizes)),
            "batch_sizes": m, "seconds": seconds, "flops": flops,
            "flops_per_second": flops / seconds, "matmul_seconds": float(matmul)}


def draw_forward_scaling(result) -> mpl.figure.Figure:
    """Two panels from :func:`forward_scaling`: time against batch size, and GFLOP/s.

    7.6 x 3.5 inches, every text at least 10 points (readable at the book's column width).

    Examples
    --------
    >>> fig = draw_forward_scaling(forward_scaling((8, 16, 4), (4, 8), repeats=1))
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['batch size m (examples)', 'batch size m (examples)']
    >>> plt.close(fig)
    """
    if not isinstance(result, dict) or "seconds" not in result:
        raise TypeError("draw_forward_scaling: expected the dict returned by forward_scaling, "
                        f"got {type(result).__name__}.")
    m, seconds = result["batch_sizes"], result["seconds"]
    fig, (ax_t, ax_f) = plt.subplots(1, 2, figsize=(7.6, 3.5))
    slope, intercept = np.polyfit(m, seconds, 1)
    grid = np.linspace(0, m[-1], 50)
    ax_t.plot(grid, 1e3 * (intercept + slope * grid), color=plot.COLORS[1], lw=1.5,
              label="straight line")
    ax_t.plot(m, 1e3 * seconds, "o", color=plot.COLORS[0], label="measured")
    ax_t.set_xlabel("batch size m (examples)")
    ax_t.set_ylabel("CPU time (ms)")
    ax_t.set_title("Time grows linearly with m", fontsize=11)
    ax_t.set_xlim(left=0)
    ax_t.set_ylim(bottom=0)
    ax_t.legend(loc="upper left")
    ax_f.plot(m, result["flops_per_second"] / 1e9, "o-", color=plot.COLORS[2])
    ax_f.set_xscale("log", base=2)
    ax_f.set_xticks(m, [str(v) for v in m])
    ax_f.minorticks_off()
    ax_f.set_xlabel("batch size m (examples)")
    ax_f.set_ylabel("GFLOP/s (2 m weights / time)")
    ax_f.set_ylim(bottom=0)
    ax_f.set_title("Big batches run faster per example", fontsize=11)
    fig.suptitle("Forward pass of a " + "-".join(map(str, result["sizes"])) + " ReLU network, "
                 "one core", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# the animated forward pass
# --------------------------------------------------------------------------------------------
def demo_input() -> np.ndarray:
    """The fixed input x (four features) that the animated forward pass walks through.

    Examples
    --------
    >>> demo_input()
    array([ 0.9, -0.6,  0.3, -1. ])
    """
    return DEMO_X.copy()


def _check_demo_args(depth, width, activation, where):
    depth = check_int(depth, where, "depth", minimum=1)
    width = check_int(width, where, "width", minimum=1)
    if activation not in DEMO_ACTIVATIONS:
        raise ValueError(f"{where}: expected activation to be one of {list(DEMO_ACTIVATIONS)}, "
                         f"got {activation!r}.")
    return depth, width


def demo_network(depth=3, width=6, activation="tanh", n_in=4, n_out=3, seed=0) -> Sequential:
    """A seeded MLP for the animated forward pass: ``depth`` layers, a linear output layer.

    Parameters
    ----------
    depth : int
        D, the number of weight layers (D - 1 hidden layers of ``width`` units).
    width : int
        Units per hidden layer.
    activation : {'tanh', 'sigmoid', 'relu'}
        Applied after every hidden Linear layer. The output layer is linear (a^(D) = z^(D),
        scores such as a classifier's logits), so a ReLU network cannot output all zeros.
    n_in, n_out : int
        Input and output sizes.
    seed : int
        Seeds the weights (Xavier for tanh and sigmoid, He for ReLU; biases drawn small, so
        that they show in the picture).

    Examples
    --------
    >>> net = demo_network(2, 5)
    >>> [type(m).__name__ for m in net]
    ['Linear', 'Tanh', 'Linear']
    """
    where = "demo_network"
    depth, width = _check_demo_args(depth, width, activation, where)
    n_in = check_int(n_in, where, "n_in", minimum=1)
    n_out = check_int(n_out, where, "n_out", minimum=1)
    rng = make_rng(seed, where)
    net = mlp([n_in] + [width] * (depth - 1) + [n_out], activation, rng=rng)
    for layer in net:
        if isinstance(layer, Linear):
            layer.bias.data[...] = rng.normal(0.0, 0.1, size=layer.bias.data.shape)
    return net


def forward_trace(model, x):
    """Run one example through an MLP and record z^(l) and a^(l) of every layer.

    Parameters
    ----------
    model : Sequential
        Linear layers, each optionally followed by one activation module.
    x : array_like of shape (n_0,)

    Returns
    -------
    zs : list of ndarray
        z^(1), ..., z^(D).
    activations : list of ndarray
        a^(0) = x, a^(1), ..., a^(D); a layer without an activation has a^(l) = z^(l).

    Examples
    --------
    >>> from book.shared import WORKED, worked_network
    >>> zs, acts = forward_trace(worked_network(), WORKED.x)
    >>> np.round(zs[0], 2), np.round(acts[-1], 3)
    (array([0.52, 0.43]), array([0.727]))
    """
    where = "forward_trace"
    if not isinstance(model, Sequential):
        raise TypeError(f"{where}: expected a Sequential of Linear and activation layers, got "
                        f"{type(model).__name__}.")
    a = as_array(x, where, name="x")
    if a.ndim != 1:
        raise ValueError(f"{where}: expected one example x of shape (n_0,), got shape "
                         f"{a.shape}.")
    zs, acts = [], [a]
    h = a
    for layer in model:
        h = layer(h)
        if isinstance(layer, Linear):
            zs.append(h)
            acts.append(h)  # a^(l) = z^(l) unless an activation follows
        elif zs:
            acts[-1] = h
        else:
            raise ValueError(f"{where}: expected the model to start with a Linear layer, got "
                             f"{type(layer).__name__} first.")
    return zs, acts


def _color_limit(activation, acts):
    """One colour range for every step: [-1, 1] for bounded activations unless an output is
    larger, else the largest |a| of the whole pass (so colours do not shift between steps)."""
    largest = max(float(np.max(np.abs(a))) for a in acts)
    if activation in ("tanh", "sigmoid"):
        return max(1.0, largest)
    return largest or 1.0


@functools.lru_cache(maxsize=64)
def _demo_pass(depth, width, activation, seed):
    """The demo network and its trace for x = DEMO_X, computed once per setting (the
    experiment's figure, its text alternative and its small multiples share them)."""
    net = demo_network(depth, width, activation, seed=seed)
    zs, acts = forward_trace(net, demo_input())
    for a in (*zs, *acts):
        a.setflags(write=False)
    return net, tuple(zs), tuple(acts)


_TEX_NAME = {"tanh": r"\tanh", "sigmoid": r"\mathrm{sigmoid}", "relu": r"\mathrm{ReLU}"}


def _step_title(step, depth, activation, short=False):
    head = f"Step {step}:" if short else f"Step {step} of {depth}:"
    if step == 0:
        return rf"{head} {'' if short else 'the input '}$a^{{(0)}} = x$"
    affine = rf"W^{{({step})}} a^{{({step - 1})}} + b^{{({step})}}"
    if step == depth:
        if short:
            return rf"{head} $a^{{({step})}} = {affine}$"
        return rf"{head} the output $a^{{({step})}} = {affine}$ (linear)"
    return rf"{head} $a^{{({step})}} = {_TEX_NAME[activation]}({affine})$"


def _value_text(v):
    """A unit's value as the figure writes it: an exact zero (a ReLU's) as 0."""
    return "0" if v == 0 else f"{v:+.2f}"


def _label_values(ax, layer, values):
    """Write each unit's value beside it (units are the PathCollections, one per layer);
    returns the new Text artists."""
    columns = [c for c in ax.collections if isinstance(c, PathCollection)]
    offsets = columns[layer].get_offsets()
    return [ax.annotate(_value_text(v), xy=(xk, yk), xytext=(13, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=10, color="#222222", zorder=4,
                        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none",
                              "alpha": 0.9})
            for (xk, yk), v in zip(offsets, values, strict=False)]


class ForwardPass(LiveFigure):
    """The chapter's live experiment: the animated forward pass (:class:`book.live.LiveFigure`).

    A network diagram of a seeded MLP (:func:`demo_network`) with the input
    :data:`DEMO_X`. At step l the layers 0, ..., l are coloured by their values, layer l is
    outlined and shaded and its values are written beside its units; later layers are white.

    Parameters
    ----------
    seed : int
        Seeds the network's weights.
    compact : bool
        For small multiples (:func:`draw_forward_steps`): a smaller panel, short titles and
        no colour bar of its own.

    Notes
    -----
    Controls: ``step`` (0 to ``depth``), ``depth`` (1 to 8), ``width`` (1 to 10) and
    ``activation``. A new figure is built when depth, width or activation change; a step
    only recolours the units, moves the band, shows another layer's value labels and
    retitles, so that a Play or a step move redraws a handful of artists.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(ForwardPass())
    >>> png = r.png({"step": 1, "depth": 3, "width": 4, "activation": "tanh"})
    >>> png[:4] == b"\\x89PNG", r.live.title.get_text().startswith("Step 1 of 3")
    (True, True)
    >>> r.close()
    """

    size = (7.6, 4.4)
    rebuild_on = ("depth", "width", "activation")

    def __init__(self, seed=0, compact=False):
        self.seed = check_int(seed, "ForwardPass", "seed", minimum=0)
        self.compact = bool(compact)
        if self.compact:
            self.size = (5.2, 3.9)

    def valid(self, step, depth, width, activation):
        return 0 <= step <= depth

    def bounds(self, step, depth, width, activation):
        return {"step": (0, depth)}

    def build(self, fig, step, depth, width, activation):
        where = "ForwardPass"
        depth, width = _check_demo_args(depth, width, activation, where)
        if depth > 8 or width > 10:
            raise ValueError(f"{where}: expected depth <= 8 and width <= 10 (larger networks "
                             f"do not fit the picture), got depth={depth}, width={width}.")
        self.net, _, self.acts = _demo_pass(depth, width, activation, self.seed)
        self.depth, self.activation = depth, activation
        ax = fig.add_subplot()
        before = set(fig.axes)
        plot.network_diagram(self.net, activations=self.acts, ax=ax,
                             vmax=_color_limit(activation, self.acts), title=" ")
        if self.compact:   # small multiples: the caption explains the colours
            for extra in set(fig.axes) - before - {ax}:
                extra.remove()
        self.ax = ax
        self.units = [c for c in ax.collections if isinstance(c, PathCollection)]
        self.faces = [c.get_facecolors().copy() for c in self.units]
        # the band that marks the current layer lies over the weights and the layer names
        # (it is nearly transparent), so that blitting redraws only the band, the units, the
        # value labels and the title: the animated artists are drawn over a cached
        # background in z-order, and nothing in the background may lie above them
        self.band = ax.axvspan(-0.35, 0.35, color=plot.COLORS[1], alpha=0.12, zorder=1.5,
                               lw=0)
        for name in ax.texts:      # the layer names under the columns
            name.set_zorder(0.5)
        self.labels = [_label_values(ax, layer, values) for layer, values in
                       enumerate(self.acts)]
        self.title = ax.set_title(_step_title(0, depth, activation, short=self.compact))
        self.animate(*self.units, self.band, self.title,
                     *[t for texts in self.labels for t in texts])

    def update(self, step, depth, width, activation):
        step = min(int(step), self.depth)
        white = np.ones(4)
        for k, (coll, faces) in enumerate(zip(self.units, self.faces, strict=True)):
            coll.set_facecolors(faces if k <= step else np.tile(white, (len(faces), 1)))
            coll.set_edgecolors(plot.COLORS[1] if k == step else "#333333")
            coll.set_linewidths(2.6 if k == step else 1.2)
        self.band.set_x(step - 0.35)
        for k, texts in enumerate(self.labels):
            for t in texts:
                t.set_visible(k == step)
        self.title.set_text(_step_title(step, self.depth, self.activation, short=self.compact))

    def describe(self, step, depth, width, activation):
        """The text alternative: what was computed at this step, its values, what they show."""
        depth, width = _check_demo_args(depth, width, activation, "ForwardPass.describe")
        step = min(int(step), depth)
        _, zs, acts = _demo_pass(depth, width, activation, self.seed)
        sizes = "-".join(str(len(a)) for a in acts)
        values = ", ".join(_value_text(v) for v in acts[step])
        head = f"Step {step} of {depth} of a forward pass through a {sizes} {activation} network"
        blank = f"Layer {depth} is" if step == depth - 1 else f"Layers {step + 1} to {depth} are"
        rest = f" {blank} still blank." if step < depth else ""
        if step == 0:
            return f"{head}: only the input x = ({values}) is known.{rest}"
        source = "the input" if step == 1 else f"hidden layer {step - 1}"
        if step == depth:
            return (f"{head}: the output layer computed W a + b from {source} (no "
                    f"activation). Its {len(acts[step])} scores are {values}; every layer is "
                    f"now coloured.")
        a = acts[step]
        finding = {
            "tanh": f"all between -1 and 1, {int(np.sum(a > 0))} positive and "
                    f"{int(np.sum(a < 0))} negative",
            "sigmoid": "all between 0 and 1, so every unit is positive",
            "relu": f"{int(np.sum(a == 0))} of the {len(a)} are exactly 0, because their "
                    f"pre-activation was negative",
        }[activation]
        return (f"{head}: hidden layer {step} computed {activation}(W a + b) from {source}. "
                f"Its {len(a)} values are {values}: {finding}.{rest}")


def draw_forward_steps(depth=3, width=5, activation="tanh", seed=0, steps=None):
    """Small multiples of the forward pass: :class:`ForwardPass` at several steps.

    Parameters
    ----------
    depth : int
        D, the number of weight layers (1 to 8).
    width : int
        Units per hidden layer (1 to 10).
    activation : {'tanh', 'sigmoid', 'relu'}
    seed : int
        Seeds the network's weights (see :func:`demo_network`).
    steps : sequence of int, optional
        The steps to show; default 0, 1, ..., D. Two panels per row.

    Returns
    -------
    Figure
        At most 7.5 inches wide; one panel per step, drawn by :func:`book.live.small_multiples`
        from the same :class:`ForwardPass` as the live experiment (in its compact form).

    See Also
    --------
    forward_pass_experiment : the same figure, live. Chapter 4 (Forward propagation),
    "Experiment".

    Examples
    --------
    >>> fig = draw_forward_steps(depth=2, width=3)
    >>> [ax.get_title()[:6] for ax in fig.axes]
    ['Step 0', 'Step 1', 'Step 2']
    >>> plt.close(fig)
    """
    where = "draw_forward_steps"
    depth, width = _check_demo_args(depth, width, activation, where)
    steps = list(range(depth + 1)) if steps is None else \
        [check_int(s, where, "every step", minimum=0) for s in steps]
    if not steps or max(steps) > depth:
        raise ValueError(f"{where}: expected steps between 0 and depth={depth}, got {steps}.")
    settings = [{"step": s, "depth": depth, "width": width, "activation": activation}
                for s in steps]
    return live.small_multiples(ForwardPass(seed, compact=True), settings,
                                ncols=min(2, len(steps)))


def forward_pass_experiment(seed=0) -> live.Experiment:
    """The chapter's interactive experiment: :class:`ForwardPass` with its controls.

    Press Play (or move the step) to walk the input through the layers; change the depth,
    the width and the activation. On the website: depths 1 to 4 and widths 3, 6 and 9
    (126 frames).

    Examples
    --------
    >>> exp = forward_pass_experiment()
    >>> exp.main, len(exp.grid())
    ('step', 126)
    """
    return live.Experiment(
        "forward-pass", ForwardPass(seed),
        title="A forward pass, one layer at a time",
        caption=("Units are coloured by their value (red positive, blue negative, white "
                 "zero or not yet computed); the outlined layer is the one just computed, "
                 "and its values are written beside it."),
        controls=dict(
            step=live.Play(0, 6, value=1, interval=900, label="step l"),
            depth=live.IntSlider(1, 6, value=3, label="depth D", web=range(1, 5)),
            width=live.IntSlider(2, 10, value=6, label="hidden width", web=(3, 6, 9)),
            activation=live.Choice(list(DEMO_ACTIVATIONS), "tanh", label="activation")))


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks/lab_latency.py
#: enumerate them).
EXPERIMENTS = (forward_pass_experiment,)
