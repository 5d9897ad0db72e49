"""Experiments of Chapter 10 (Vanishing and exploding gradients).

The chapter's figures, its live experiment and the helpers that train or probe networks. Every
static figure is drawn by a ``draw_*`` function that returns a matplotlib Figure; the live
experiment is a :class:`book.live.LiveFigure`, so the notebook's widget, the website's
flipbook, the static small multiples and the tests all draw the same figure. Every per-layer
measurement goes through :mod:`nnlib.probes`.

Contents

- :func:`digits_split`, :func:`probe_batch`: the 8x8 digits split the chapter trains on, and
  the fixed batch of 256 training images every probe uses.
- :func:`scaled_mlp`: an MLP of depth D whose weights are ``scale`` times nnlib's default
  initialisation (Xavier for sigmoid and tanh, He for ReLU).
- :func:`layer_profile`: one backward pass of such a network on the probe batch: the weight
  gradient norm, the error-signal norm and the activation standard deviation of every layer.
- :func:`sigmoid_chain`: a width-one sigmoid network whose pre-activations are all 0, where
  the bound ||J|| <= ||W|| max sigma' holds with equality.
- :func:`power_norms`, :func:`draw_nonnormal`: the norms of the powers of a matrix, against
  what its eigenvalues and its largest singular value say.
- :func:`digits_run`, :func:`draw_digits_runs`, :func:`draw_clipping_runs`: training on the
  digits (SGD, optionally with gradient-norm clipping) and the two figures made from it.
- :func:`angle`, :func:`value_clipping_angles`, :func:`draw_value_clipping`: how far
  clipping turns a gradient.
- :class:`Log2Slider`: a slider over factors 1/4, 1/2, 1, 2, ... (powers of two).
- :class:`GradientScale`, :func:`gradient_scale_experiment`, :func:`draw_gradient_scales`: the
  live experiment (depth, activation and weight scale).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator, NullFormatter

from nnlib import probes
from nnlib._checks import check_int, check_positive
from nnlib.core import Sequential
from nnlib.layers import Linear, Sigmoid, mlp
from nnlib.losses import CrossEntropyLoss
from nnlib.optim import SGD, clip_grad_norm_
from nnlib.plot import COLORS
from nnlib.train import accuracy, iterate_minibatches, train_epoch

from . import live
from .shared import digits_split, one_blas_thread

__all__ = [
    "ACTIVATIONS", "WIDTH", "MAX_DEPTH", "PROBE_SIZE", "VANISHING", "EXPLODING",
    "WEB_DEPTHS", "WEB_SCALES",
    "digits_split", "probe_batch", "scaled_mlp", "LayerProfile", "layer_profile", "verdict",
    "sigmoid_chain", "power_norms", "draw_nonnormal",
    "DigitsRun", "digits_run", "draw_digits_runs", "draw_clipping_runs",
    "angle", "value_clipping_angles", "draw_value_clipping",
    "Log2Slider", "GradientScale", "gradient_scale_experiment", "draw_gradient_scales",
    "EXPERIMENTS",
]

#: The hidden activations the chapter compares (nnlib names).
ACTIVATIONS = ("sigmoid", "tanh", "relu")
#: How the figures name them.
_NAMES = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}
#: One colour per activation, the same in every figure of the chapter.
_COLOR = {"sigmoid": COLORS[0], "tanh": COLORS[1], "relu": COLORS[2]}
#: Units per hidden layer in every network of the chapter.
WIDTH = 32
#: The deepest network of the live experiment.
MAX_DEPTH = 30
#: Training images in the probe batch.
PROBE_SIZE = 256
#: A gradient counts as vanishing when layer 1 gets less than this fraction of layer D's
#: gradient norm, or every layer's norm is below it.
VANISHING = 1e-3
#: ... and as exploding when layer 1 gets more than 1/VANISHING times layer D's, or some
#: layer's norm exceeds this (a healthy network's gradient norms at initialisation are
#: between 0.01 and 10 on this loss).
EXPLODING = 1e3
#: The depths and weight scales offered on the website (7 x 3 x 7 = 147 frames).
WEB_DEPTHS = (2, 5, 10, 15, 20, 25, 30)
WEB_SCALES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def _check_activation(activation, where):
    if activation not in ACTIVATIONS:
        raise ValueError(f"{where}: expected activation to be one of {ACTIVATIONS}, got "
                         f"{activation!r}.")
    return activation


def _check_depth(depth, where, maximum=50):
    depth = check_int(depth, where, "depth", minimum=2)
    if depth > maximum:
        raise ValueError(f"{where}: expected depth between 2 and {maximum}, got {depth}.")
    return depth


# --------------------------------------------------------------------------------------------
# data and networks
# --------------------------------------------------------------------------------------------
def probe_batch():
    """The fixed batch every probe of the chapter uses: the first 256 training images.

    Returns
    -------
    X : ndarray of shape (256, 64)
    y : ndarray of shape (256,)
        Read-only arrays (shared, not copied).

    Examples
    --------
    >>> X, y = probe_batch()
    >>> X.shape, y.shape, bool(X.flags.writeable)
    ((256, 64), (256,), False)
    """
    X_tr, y_tr = digits_split(copy=False)[:2]
    return X_tr[:PROBE_SIZE], y_tr[:PROBE_SIZE]


def scaled_mlp(depth, activation="sigmoid", scale=1.0, width=WIDTH, seed=0) -> Sequential:
    """An MLP for the digits, 64 -> width -> ... -> width -> 10, with scaled initial weights.

    The network is ``mlp([64] + [width] * (depth - 1) + [10], activation, rng=seed)``: ``depth``
    Linear layers, the activation after each but the last (the output is logits). nnlib draws
    the weights with Xavier initialisation for sigmoid and tanh and He initialisation for
    ReLU (Chapter 11); every weight matrix is then multiplied by ``scale``. Biases are 0.

    Parameters
    ----------
    depth : int
        D, the number of weight layers (2 to 50).
    activation : {"sigmoid", "tanh", "relu"}
    scale : float
        Factor applied to every initial weight, > 0.
    width : int
        Units per hidden layer.
    seed : int
        Seed of the initial weights. The hidden layers of two networks with the same seed
        and width agree as far as both reach: a deeper network extends a shallower one
        (only the output layer differs).

    Returns
    -------
    Sequential

    Examples
    --------
    >>> net = scaled_mlp(3, "relu", scale=2.0)
    >>> [type(m).__name__ for m in net]
    ['Linear', 'ReLU', 'Linear', 'ReLU', 'Linear']
    >>> bool(np.allclose(net[2].weight.data, 2 * scaled_mlp(3, "relu")[2].weight.data))
    True
    """
    where = "scaled_mlp"
    depth = _check_depth(depth, where)
    activation = _check_activation(activation, where)
    scale = check_positive(scale, where, "scale")
    width = check_int(width, where, "width", minimum=1)
    net = mlp([64] + [width] * (depth - 1) + [10], activation, rng=seed)
    for layer in net:
        if isinstance(layer, Linear):
            layer.weight.data *= scale
    return net


# --------------------------------------------------------------------------------------------
# per-layer measurements
# --------------------------------------------------------------------------------------------
class LayerProfile(NamedTuple):
    """What one backward pass shows, layer by layer (layer 1 next to the input).

    Attributes
    ----------
    grad_norm : ndarray of shape (D,)
        ||dL/dW^(l)||, the Frobenius norm of each weight gradient.
    delta_norm : ndarray of shape (D,)
        ||Delta^(l)||, the norm of the error signal dL/dZ^(l) over the whole batch.
    act_std : ndarray of shape (D - 1,)
        The standard deviation of each hidden layer's output a^(l) over the batch.
    loss : float
        The cross-entropy of the untrained network on the probe batch.
    """

    grad_norm: np.ndarray
    delta_norm: np.ndarray
    act_std: np.ndarray
    loss: float


def _readonly(a):
    a = np.asarray(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@functools.lru_cache(maxsize=1024)
def _profile(depth, activation, scale, seed):
    net = scaled_mlp(depth, activation, scale, seed=seed)
    X, y = probe_batch()
    loss_fn = CrossEntropyLoss()
    with one_blas_thread():
        records = probes.trace(net, X, y, loss_fn)
    linear = [r for r in records.values() if isinstance(r.layer, Linear)]
    hidden = [r for r in records.values() if r.layer.is_activation]
    return LayerProfile(_readonly([r.grad_norm for r in linear]),
                        _readonly([np.linalg.norm(r.delta) for r in linear]),
                        _readonly([r.output.std() for r in hidden]),
                        float(loss_fn(records[next(reversed(records))].output, y)))


def layer_profile(depth, activation="sigmoid", scale=1.0, seed=0) -> LayerProfile:
    """Per-layer gradient norms and activation statistics of an untrained network.

    One forward and one backward pass of the cross-entropy on :func:`probe_batch` through
    ``scaled_mlp(depth, activation, scale, seed=seed)``, recorded by
    :func:`nnlib.probes.trace` (in evaluation mode; nothing in the network changes).
    Results are cached.

    Parameters
    ----------
    depth : int
        D, 2 to 50.
    activation : {"sigmoid", "tanh", "relu"}
    scale : float
        Factor on nnlib's default initial weights.
    seed : int

    Returns
    -------
    LayerProfile
        Read-only arrays.

    See Also
    --------
    GradientScale : the live figure that plots these.

    Examples
    --------
    >>> p = layer_profile(6, "sigmoid")
    >>> p.grad_norm.shape, p.act_std.shape, bool(p.grad_norm[0] < p.grad_norm[-1])
    ((6,), (5,), True)
    """
    where = "layer_profile"
    depth = _check_depth(depth, where)
    activation = _check_activation(activation, where)
    scale = check_positive(scale, where, "scale")
    seed = check_int(seed, where, "seed", minimum=0)
    return _profile(depth, activation, float(f"{scale:.6g}"), seed)


def verdict(profile: LayerProfile) -> str:
    """'vanishing', 'exploding' or 'stable': how the gradient norms of a profile look.

    Vanishing: layer 1 gets less than :data:`VANISHING` times layer D's gradient norm, or
    every norm is below it. Exploding: layer 1 gets more than 1 / VANISHING times layer D's,
    or some norm exceeds :data:`EXPLODING`. Otherwise stable.

    Examples
    --------
    >>> verdict(layer_profile(20, "sigmoid")), verdict(layer_profile(20, "relu", 2.0))
    ('vanishing', 'exploding')
    """
    g = profile.grad_norm
    ratio = g[0] / g[-1]
    if ratio < VANISHING or g.max() < VANISHING:
        return "vanishing"
    if ratio > 1 / VANISHING or g.max() > EXPLODING:
        return "exploding"
    return "stable"


def sigmoid_chain(weight, layers=10) -> Sequential:
    """A width-one sigmoid network in which every pre-activation is 0 for the input 0.5.

    ``layers`` blocks Linear(1, 1), Sigmoid, then an output Linear(1, 1): depth
    D = layers + 1. Every weight is ``weight`` and every bias ``-weight / 2``, so that the
    input 0.5 gives z = 0 in every layer, each sigmoid outputs 0.5 and passes on exactly
    sigma'(0) = 1/4. Each of the D - 1 Jacobian factors is then the number weight / 4, the
    bound ||W|| max sigma' of Chapter 10 with equality.

    Parameters
    ----------
    weight : float
    layers : int
        Number of sigmoid layers, >= 1.

    Returns
    -------
    Sequential

    Examples
    --------
    >>> net = sigmoid_chain(8.0, layers=3)
    >>> net(np.array([[0.5]])).tolist()
    [[0.0]]
    """
    layers = check_int(layers, "sigmoid_chain", "layers", minimum=1)
    weight = float(weight)
    modules = []
    for i in range(layers + 1):
        linear = Linear(1, 1, rng=0)
        linear.weight.data[...] = weight
        linear.bias.data[...] = -weight / 2
        modules.append(linear)
        if i < layers:
            modules.append(Sigmoid())
    return Sequential(*modules)


# --------------------------------------------------------------------------------------------
# eigenvalues against singular values
# --------------------------------------------------------------------------------------------
def power_norms(A, k_max) -> np.ndarray:
    """||A^k||_2 (largest singular value) for k = 0, 1, ..., k_max.

    Parameters
    ----------
    A : array_like of shape (n, n)
    k_max : int

    Returns
    -------
    ndarray of shape (k_max + 1,)

    Examples
    --------
    >>> power_norms([[0.5, 0.0], [0.0, 0.25]], 3).tolist()
    [1.0, 0.5, 0.25, 0.125]
    """
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"power_norms: expected a square matrix, got shape {A.shape}.")
    k_max = check_int(k_max, "power_norms", "k_max", minimum=0)
    out, P = [], np.eye(len(A))
    for _ in range(k_max + 1):
        out.append(np.linalg.norm(P, 2))
        P = A @ P
    return np.array(out)


def draw_nonnormal(A=((0.9, 5.0), (0.0, 0.9)), k_max=80) -> Figure:
    """||A^k|| against k for a non-normal A, with what the eigenvalues and the largest
    singular value say.

    Parameters
    ----------
    A : array_like of shape (2, 2)
        Default: eigenvalues 0.9 and 0.9, largest singular value about 5.2.
    k_max : int

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_nonnormal(k_max=20)
    >>> ax = fig.axes[0]
    >>> ax.get_yscale(), len(ax.lines)      # the bound, ||A^k||, rho^k and the peak
    ('log', 4)
    >>> plt.close(fig)
    """
    A = np.asarray(A, dtype=np.float64)
    k = np.arange(k_max + 1)
    norms = power_norms(A, k_max)
    rho = np.abs(np.linalg.eigvals(A)).max()
    s_max = np.linalg.norm(A, 2)
    peak = int(np.argmax(norms))
    fig, ax = plt.subplots(figsize=(6.6, 3.9))
    ax.plot(k, s_max ** k, ls=":", color=COLORS[3], lw=2,
            label=rf"$s_{{\max}}(A)^k$ = {s_max:.2f}$^k$: the singular-value bound")
    ax.plot(k, norms, color=COLORS[0], lw=2.4, label=r"$\|A^k\|_2$, measured")
    ax.plot(k, rho ** k, ls="--", color=COLORS[2], lw=2,
            label=rf"$\rho(A)^k$ = {rho:.2g}$^k$: what the eigenvalues suggest")
    ax.plot([peak], [norms[peak]], "o", color=COLORS[0], ms=7)
    ax.annotate(f"peak {norms[peak]:.1f} at k = {peak}", (peak, norms[peak]),
                xytext=(peak + 6, norms[peak] * 6), fontsize=10.5,
                arrowprops=dict(arrowstyle="->", color="#444444"))
    ax.set_yscale("log")
    ax.set_ylim(1e-2, 1e4)
    ax.set_xlim(0, k_max)
    ax.set_xlabel("number of factors $k$")
    ax.set_ylabel(r"$\|A^k\|_2$ (log scale)")
    ax.set_title(f"Eigenvalues {rho:.2g}, yet the product first grows {norms[peak]:.0f}-fold")
    ax.legend(loc="upper right", fontsize=9.5)
    return fig


# --------------------------------------------------------------------------------------------
# training on the digits
# --------------------------------------------------------------------------------------------
class DigitsRun(NamedTuple):
    """What :func:`digits_run` recorded.

    Attributes
    ----------
    activation : str
    depth : int
    scale, lr : float
    max_norm : float or None
        The clipping threshold tau (None: no clipping).
    grad_norm_init : ndarray of shape (D,)
        ||dL/dW^(l)|| of every layer at initialisation, on the probe batch.
    moved : ndarray of shape (D,)
        ||W^(l)_end - W^(l)_start|| / ||W^(l)_start||: how far training moved each layer.
    val_acc : ndarray of shape (epochs,)
        Validation accuracy after each epoch; NaN for epochs not run after a divergence.
    step_norm : ndarray
        The global gradient norm ||g|| of every step, before clipping.
    diverged_step : int or None
        The step (counted from 1) whose loss was not finite, if any; training stopped there.
    test_acc : float
        Test accuracy at the end (NaN after a divergence).
    """

    activation: str
    depth: int
    scale: float
    lr: float
    max_norm: float | None
    grad_norm_init: np.ndarray
    moved: np.ndarray
    val_acc: np.ndarray
    step_norm: np.ndarray
    diverged_step: int | None
    test_acc: float


class _ClippedStep:
    """An optimiser's step with the global gradient norm recorded (and clipped to
    ``max_norm`` when given) just before it: what ``fit`` would do with a clipping option."""

    def __init__(self, optimizer, params, max_norm):
        self.optimizer, self.params, self.max_norm = optimizer, params, max_norm
        self.norms = []

    def zero_grad(self):
        self.optimizer.zero_grad()

    def step(self):
        if self.max_norm is None:
            self.norms.append(math.sqrt(sum(float(np.vdot(p.grad, p.grad))
                                            for p in self.params)))
        else:
            self.norms.append(clip_grad_norm_(self.params, self.max_norm))
        self.optimizer.step()


@functools.lru_cache(maxsize=16)
def _digits_run(activation, depth, scale, lr, epochs, max_norm, seed):
    X_tr, y_tr, X_val, y_val, X_te, y_te = digits_split(copy=False)
    net = scaled_mlp(depth, activation, scale, seed=seed)
    loss_fn = CrossEntropyLoss()
    X_probe, y_probe = probe_batch()
    # a diverging run overflows on purpose; the divergence is recorded, not warned about
    with one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
        init = probes.gradient_norms(net, X_probe, y_probe, loss_fn)
        snapshot = probes.WeightSnapshot(net)
        params = net.parameters()
        optimizer = _ClippedStep(SGD(params, lr=lr), params, max_norm)
        order = np.random.default_rng(seed)
        val_acc, diverged = np.full(epochs, np.nan), None
        for epoch in range(epochs):
            steps_before = len(optimizer.norms)
            result = train_epoch(net, loss_fn, optimizer,
                                 iterate_minibatches(X_tr, y_tr, 32, rng=order))
            if result.diverged_at is not None:
                diverged = steps_before + result.diverged_at[0]
                break
            net.eval()
            val_acc[epoch] = accuracy(net(X_val), y_val)
            net.train()
        moved = np.fromiter(snapshot.update_ratios().values(), dtype=np.float64)
        net.eval()
        test_acc = math.nan if diverged is not None else accuracy(net(X_te), y_te)
    return DigitsRun(activation, depth, scale, lr, max_norm,
                     _readonly(list(init.values())), _readonly(moved), _readonly(val_acc),
                     _readonly(optimizer.norms), diverged, float(test_acc))


def digits_run(activation="sigmoid", depth=10, scale=1.0, lr=0.1, epochs=20, max_norm=None,
               seed=0) -> DigitsRun:
    """Train ``scaled_mlp(depth, activation, scale)`` on the digits with minibatch SGD.

    Minibatches of 32 from :func:`digits_split`'s 1,259 training images, the cross-entropy
    loss, ``nnlib.optim.SGD(lr)``, and, with ``max_norm``, the gradient of all parameters
    together clipped to that norm before each step (``nnlib.optim.clip_grad_norm_``). A
    step whose loss is not finite ends the run (as ``nnlib.train.train_epoch`` does).
    Results are cached.

    Parameters
    ----------
    activation : {"sigmoid", "tanh", "relu"}
    depth : int
    scale : float
        Factor on the default initial weights.
    lr : float
        Learning rate.
    epochs : int
    max_norm : float, optional
        The clipping threshold tau.
    seed : int
        Seed of the weights and of the minibatch order.

    Returns
    -------
    DigitsRun

    Examples
    --------
    >>> run = digits_run("relu", depth=3, epochs=2)
    >>> run.val_acc.shape, run.moved.shape, len(run.step_norm)
    ((2,), (3,), 80)
    """
    where = "digits_run"
    activation = _check_activation(activation, where)
    depth = _check_depth(depth, where)
    scale = check_positive(scale, where, "scale")
    lr = check_positive(lr, where, "lr")
    epochs = check_int(epochs, where, "epochs", minimum=1)
    if max_norm is not None:
        max_norm = check_positive(max_norm, where, "max_norm")
    seed = check_int(seed, where, "seed", minimum=0)
    return _digits_run(activation, depth, scale, lr, epochs, max_norm, seed)


def _panel_label(ax, text):
    ax.set_title(text, fontsize=11.5)


def draw_digits_runs(runs) -> Figure:
    """The motivation figure: deep networks on the digits, side by side.

    Parameters
    ----------
    runs : sequence of DigitsRun
        Networks of one depth (e.g. a sigmoid and a ReLU network).

    Returns
    -------
    Figure
        (a) ||dL/dW^(l)|| per layer at initialisation, (b) how far training moved each
        layer's weights, (c) validation accuracy per epoch.

    Examples
    --------
    >>> fig = draw_digits_runs([digits_run("relu", depth=3, epochs=2)])
    >>> len(fig.axes), fig.axes[2].get_xlabel()
    (3, 'epoch')
    >>> plt.close(fig)
    """
    runs = list(runs)
    if not runs:
        raise ValueError("draw_digits_runs: expected at least one DigitsRun, got none.")
    fig = plt.figure(figsize=(7.4, 6.0), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=(1.05, 1.0))
    ax_g, ax_m = top.subplots(1, 2, sharex=True)
    ax_a = bottom.subplots()
    depth = max(r.depth for r in runs)
    for run in runs:
        layers = np.arange(1, run.depth + 1)
        kw = dict(color=_COLOR[run.activation], marker="o", ms=4.5,
                  label=f"{_NAMES[run.activation]}, D = {run.depth}")
        ax_g.plot(layers, run.grad_norm_init, **kw)
        ax_m.plot(layers, run.moved, **kw)
        epochs = np.arange(1, len(run.val_acc) + 1)
        ax_a.plot(epochs, 100 * run.val_acc, **kw)
    for ax in (ax_g, ax_m):
        ax.set_yscale("log")
        ax.set_xlabel("layer $l$ (1 = next to the input)")
        ax.set_xticks(range(1, depth + 1, max(1, depth // 5)))
    ax_g.set_ylabel(r"$\|\partial L / \partial W^{(l)}\|$ at the start")
    ax_m.set_ylabel(r"$\|W_\mathrm{end} - W_\mathrm{start}\| \,/\, \|W_\mathrm{start}\|$")
    _panel_label(ax_g, "(a) Gradient reaching each layer")
    _panel_label(ax_m, "(b) How far training moved it")
    ax_a.axhline(10, color="#777777", ls=":", lw=1.5)
    ax_a.text(len(runs[0].val_acc), 13, "chance: 10 %", color="#555555", fontsize=10,
              ha="right")
    ax_a.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_g.legend(loc="lower right", fontsize=9.5)
    ax_a.set_ylim(0, 100)
    ax_a.set_xlabel("epoch")
    ax_a.set_ylabel("validation accuracy (%)")
    _panel_label(ax_a, "(c) Only the ReLU network learns the digits")
    ax_a.legend(loc="center right")
    return fig


def draw_clipping_runs(runs) -> Figure:
    """The clipping figure: the same network trained without and with gradient clipping.

    Parameters
    ----------
    runs : sequence of DigitsRun
        Runs that differ in ``max_norm`` (None for no clipping).

    Returns
    -------
    Figure
        (a) the global gradient norm of every step before clipping, with each threshold,
        (b) validation accuracy per epoch; a diverged run is marked where it stopped.

    Examples
    --------
    >>> fig = draw_clipping_runs([digits_run("relu", 3, epochs=1),
    ...                          digits_run("relu", 3, epochs=1, max_norm=1.0)])
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['step', 'epoch']
    >>> plt.close(fig)
    """
    runs = list(runs)
    if not runs:
        raise ValueError("draw_clipping_runs: expected at least one DigitsRun, got none.")
    fig, (ax_n, ax_a) = plt.subplots(1, 2, figsize=(7.4, 3.8), layout="constrained")
    clipped_colors = iter([COLORS[0], COLORS[2], COLORS[4], COLORS[5]] * len(runs))
    for run in runs:
        color = COLORS[3] if run.max_norm is None else next(clipped_colors)
        label = "no clipping" if run.max_norm is None else f"clipped to norm {run.max_norm:g}"
        steps = np.arange(1, len(run.step_norm) + 1)
        finite = np.isfinite(run.step_norm)
        ax_n.plot(steps[finite], run.step_norm[finite], color=color, lw=1.2, label=label,
                  alpha=0.9)
        if run.max_norm is not None:
            ax_n.axhline(run.max_norm, color=color, ls="--", lw=1.5)
        if run.diverged_step is not None:
            last = steps[finite][-1] if finite.any() else 1
            ax_n.plot([last], [run.step_norm[finite][-1]], "x", color=color, ms=10, mew=2.5)
            ax_a.plot([0.6], [10], "x", color=color, ms=10, mew=2.5,
                      label=f"{label}: diverged at step {run.diverged_step}")
        else:
            ax_a.plot(np.arange(1, len(run.val_acc) + 1), 100 * run.val_acc, color=color,
                      marker="o", ms=4, label=label)
    ax_n.set_yscale("log")
    ax_n.set_xscale("log")
    finite = np.concatenate([r.step_norm[np.isfinite(r.step_norm)] for r in runs])
    lo, hi = math.floor(math.log10(finite.min())), math.ceil(math.log10(finite.max()))
    step = max(1, math.ceil((hi - lo) / 5))
    ax_n.set_ylim(10.0 ** lo, 10.0 ** (hi + 1))
    ax_n.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(math.ceil(lo / step) * step,
                                                                 hi + 2, step)))
    ax_n.yaxis.set_minor_locator(FixedLocator(10.0 ** np.arange(lo, hi + 2)))
    ax_n.yaxis.set_minor_formatter(NullFormatter())
    ax_n.set_xlabel("step")
    ax_n.set_ylabel(r"$\|g\|$ before clipping (log scale)")
    _panel_label(ax_n, "(a) Gradient norm per step")
    ax_n.legend(loc="upper right", fontsize=9.5)
    ax_a.set_ylim(0, 100)
    ax_a.set_xlim(0, max(len(r.val_acc) for r in runs) + 0.5)
    ax_a.set_xlabel("epoch")
    ax_a.set_ylabel("validation accuracy (%)")
    _panel_label(ax_a, "(b) Clipped, the network learns")
    ax_a.legend(loc="lower right", fontsize=9.5)
    return fig


# --------------------------------------------------------------------------------------------
# the direction of a clipped gradient
# --------------------------------------------------------------------------------------------
def angle(u, v) -> float:
    """The angle in degrees between two gradients, each a list of arrays (or one array).

    Examples
    --------
    >>> round(angle([np.array([1.0, 0.0])], [np.array([1.0, 1.0])]), 6)
    45.0
    >>> angle(np.array([1.0, 2.0]), np.array([2.0, 4.0]))     # parallel: exactly 0
    0.0
    """
    def flat(g):
        return np.concatenate([np.ravel(a) for a in g]) if isinstance(g, (list, tuple)) \
            else np.ravel(g)

    a, b = flat(u), flat(v)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("angle: the angle of a zero vector is undefined.")
    a, b = a / na, b / nb
    # 2 atan(|a - b| / |a + b|) for unit vectors: accurate near 0 degrees, where acos is not
    return math.degrees(2 * math.atan2(np.linalg.norm(a - b), np.linalg.norm(a + b)))


def value_clipping_angles(grads, thresholds):
    """How far clipping by value turns a gradient, and how much of it is clipped.

    Parameters
    ----------
    grads : list of ndarray
        The gradient, one array per parameter.
    thresholds : sequence of float
        Values of c.

    Returns
    -------
    angles : ndarray
        The angle in degrees between g and clip(g, -c, c), per threshold.
    clipped : ndarray
        The fraction of components with |g_i| > c, per threshold.

    Examples
    --------
    >>> a, f = value_clipping_angles([np.array([3.0, 1.0])], [5.0, 1.0])
    >>> a.round(3).tolist(), f.tolist()
    ([0.0, 26.565], [0.0, 0.5])
    """
    g = np.concatenate([np.ravel(a) for a in grads])
    angles, clipped = [], []
    for c in thresholds:
        angles.append(angle(g, np.clip(g, -c, c)))
        clipped.append(float(np.mean(np.abs(g) > c)))
    return np.array(angles), np.array(clipped)


def draw_value_clipping(grads, thresholds, norm_clipped_angle=0.0) -> Figure:
    """The angle between a gradient and its value-clipped version, against the threshold c.

    Parameters
    ----------
    grads : list of ndarray
    thresholds : sequence of float
    norm_clipped_angle : float
        The angle after clipping by norm, drawn for comparison.

    Returns
    -------
    Figure

    Examples
    --------
    >>> g = [np.array([3.0, 1.0, -0.1])]
    >>> fig = draw_value_clipping(g, [0.01, 0.1, 1.0, 10.0])
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_ylabel()
    ('log', 'angle to the gradient (degrees)')
    >>> plt.close(fig)
    """
    c = np.asarray(thresholds, dtype=np.float64)
    angles, clipped = value_clipping_angles(grads, c)
    g = np.concatenate([np.ravel(a) for a in grads])
    limit = angle(g, np.sign(g))
    fig, ax = plt.subplots(figsize=(6.6, 3.8))
    ax.plot(c, angles, color=COLORS[0], marker="o", ms=4, label="clipped by value at $c$")
    ax.axhline(limit, color=COLORS[1], ls="--", lw=1.5,
               label=f"limit $c \\to 0$: sign$(g)$, {limit:.0f}°")
    ax.axhline(norm_clipped_angle, color=COLORS[2], ls=":", lw=2,
               label="clipped by norm: 0°")
    ax.plot([], [], color="#777777", lw=1.2, ls="-.", label="components clipped (right axis)")
    ax2 = ax.twinx()
    ax2.plot(c, 100 * clipped, color="#777777", lw=1.2, ls="-.")
    ax2.set_ylabel("components clipped (%)")
    ax2.set_ylim(-105 / 30, 105)
    ax2.grid(False)
    ax2.spines["right"].set_visible(True)
    ax.set_xscale("log")
    ax.set_ylim(-3, 90)
    ax.set_xlabel("threshold $c$ (log scale)")
    ax.set_ylabel("angle to the gradient (degrees)")
    ax.set_title("Clipping by value turns the gradient; clipping by norm does not")
    ax.legend(loc="center right", fontsize=9.5)
    return fig


# --------------------------------------------------------------------------------------------
# the live experiment
# --------------------------------------------------------------------------------------------
@dataclass
class Log2Slider(live.LogSlider):
    """A positive factor on a base-2 logarithmic scale: lo, ..., hi in steps of a factor
    2 ** (1 / per_octave), e.g. 1/4, 0.35, 1/2, 0.71, 1, 1.4, 2, ...

    ``book.live.LogSlider`` steps in powers of ten; a weight scale reads best in powers of
    two. In the notebook it is an ``ipywidgets.FloatLogSlider`` with base 2.

    Examples
    --------
    >>> Log2Slider(lo=0.25, hi=4.0, per_octave=1, value=1.0).values()
    [0.25, 0.5, 1.0, 2.0, 4.0]
    """

    per_octave: int = 2

    def values(self):
        a, b = math.log2(self.lo), math.log2(self.hi)
        n = int(round((b - a) * self.per_octave))
        return [float(f"{2 ** (a + i / self.per_octave):.6g}") for i in range(n + 1)]

    def widget(self):
        import ipywidgets as w

        return w.FloatLogSlider(value=float(self.value), base=2.0, min=math.log2(self.lo),
                                max=math.log2(self.hi), step=1.0 / self.per_octave,
                                description=self.label, readout_format=".2g",
                                continuous_update=False,
                                style={"description_width": "initial"},
                                layout=w.Layout(width="320px", margin="2px 16px 2px 0px"))


def _sci(x):
    """A number for the figure's notes: 0.39 or 12 as such, 2.3e-06 in scientific form."""
    return f"{x:.2g}" if 1e-2 <= abs(x) < 1e3 else f"{x:.1e}"


def _decades(lo, hi):
    """Axis limits in whole decades around [lo, hi], always including 0.01 to 100."""
    lo = min(lo, 1e-2)
    hi = max(hi, 1e2)
    return 10.0 ** math.floor(math.log10(lo) - 0.3), 10.0 ** math.ceil(math.log10(hi) + 0.3)


#: The depths whose gradient norms set the live figure's y limits. For every activation and
#: every scale the sliders offer, they give the same limits (whole decades) as all depths
#: from 2 to 30 (checked when the chapter was written; tests check a sample), at a sixth of
#: the cost.
_LIMIT_DEPTHS = (2, 3, 10, 20, MAX_DEPTH)


@functools.lru_cache(maxsize=64)
def _limits(activation, scale):
    """The y limits of both panels for one activation and scale: every depth fits."""
    grads = np.concatenate([layer_profile(d, activation, scale).grad_norm
                            for d in _LIMIT_DEPTHS])
    # the hidden layers of a shallower network are the first ones of the deepest (same seed),
    # so the deepest network's activations cover every depth's
    stds = layer_profile(MAX_DEPTH, activation, scale).act_std
    return _decades(grads.min(), grads.max()), _decades(stds.min(), stds.max())


def _log_axis(ax):
    ax.set_yscale("log")
    ax.set_xlim(0.5, MAX_DEPTH + 0.5)
    ax.set_xticks([1, 5, 10, 15, 20, 25, 30])
    ax.axhline(1.0, color="#999999", lw=1.0, zorder=1)


def _set_log_limits(ax, lo, hi):
    """Limits and at most six labelled decades (minor ticks at the others, unlabelled)."""
    a, b = round(math.log10(lo)), round(math.log10(hi))
    step = max(1, math.ceil((b - a) / 5))
    ax.set_ylim(lo, hi)
    majors = np.arange(math.ceil(a / step) * step, b + 1, step)     # multiples of the step
    ax.yaxis.set_major_locator(FixedLocator(10.0 ** majors))
    ax.yaxis.set_minor_locator(FixedLocator(10.0 ** np.arange(a, b + 1)))
    ax.yaxis.set_minor_formatter(NullFormatter())


class GradientScale(live.LiveFigure):
    """The chapter's live experiment: per-layer gradient norms and activation spreads.

    Controls: ``depth`` (2 to 30), ``activation`` (sigmoid, tanh, ReLU) and ``scale``, the
    factor on nnlib's default initial weights. Left: ||dL/dW^(l)|| of every layer (log
    scale); right: the standard deviation of every hidden layer's output. Both axes are
    the same for every depth (layers 1 to 30; y limits that fit every depth for the
    activation and scale, computed when the figure is built), so that a move of the depth
    only redraws the curves; the grey line marks 1. A line above the panels gives the verdict
    (:func:`verdict`) and the ratio
    of layer 1's gradient norm to layer D's.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(GradientScale())
    >>> png = r.png({"depth": 10, "activation": "sigmoid", "scale": 1.0})
    >>> r.live.headline.get_text().split(":")[0]
    'Vanishing'
    >>> r.close()
    """

    size = (7.4, 3.7)
    # the y limits (and so the tick labels' width, hence the layout) follow the activation
    # and the scale: a new figure for them; a move of the depth only redraws the curves
    rebuild_on = ("activation", "scale")

    def build(self, fig, depth, activation, scale):
        ax_g, ax_a = fig.subplots(1, 2)
        # the verdict: a suptitle, so that the layout keeps room for it
        self.headline = fig.suptitle(" ", x=0.01, ha="left", fontsize=11.5, fontweight="bold")
        for ax in (ax_g, ax_a):
            _log_axis(ax)
        ax_g.set_xlabel("layer $l$ (1 = next to the input)")
        ax_g.set_ylabel(r"$\|\partial L / \partial W^{(l)}\|$ (log scale)")
        ax_g.set_title("Gradient norm of each layer", fontsize=11.5)
        ax_a.set_xlabel("hidden layer $l$")
        ax_a.set_ylabel(r"std of $a^{(l)}$ (log scale)")
        ax_a.set_title("Spread of each layer's activations", fontsize=11.5)
        g_lim, a_lim = _limits(activation, float(f"{float(scale):.6g}"))
        _set_log_limits(ax_g, *g_lim)
        _set_log_limits(ax_a, *a_lim)
        self.g_line, = ax_g.plot([], [], marker="o", ms=3.5, lw=1.8, zorder=3)
        self.a_line, = ax_a.plot([], [], marker="s", ms=3.5, lw=1.8, zorder=3)
        self.ax_g, self.ax_a = ax_g, ax_a
        self.animate(self.headline, self.g_line, self.a_line)

    def update(self, depth, activation, scale):
        p = layer_profile(int(depth), activation, float(scale))
        color = _COLOR[activation]
        self.g_line.set_data(np.arange(1, len(p.grad_norm) + 1), p.grad_norm)
        self.a_line.set_data(np.arange(1, len(p.act_std) + 1), p.act_std)
        self.g_line.set_color(color)
        self.a_line.set_color(color)
        v = verdict(p)
        ratio = _sci(p.grad_norm[0] / p.grad_norm[-1])
        self.headline.set_text(f"{v.capitalize()}: layer 1 gets {ratio}"
                               f" \u00d7 layer {int(depth)}'s gradient; norms up to "
                               f"{_sci(p.grad_norm.max())}")
        self.headline.set_color(color)

    def describe(self, depth, activation, scale):
        p = layer_profile(int(depth), activation, float(scale))
        return (f"Untrained {_NAMES[activation]} network of depth {int(depth)}, weights "
                f"{live._fmt(float(scale))} times the default initialisation, one backward pass "
                f"on 256 digits: {verdict(p)}. Gradient norms from layer 1 to layer "
                f"{int(depth)}: {_sci(p.grad_norm[0])} to {_sci(p.grad_norm[-1])} (largest "
                f"{_sci(p.grad_norm.max())}); activation std from {_sci(p.act_std[0])} to "
                f"{_sci(p.act_std[-1])}.")


def gradient_scale_experiment() -> live.Experiment:
    """The chapter's interactive experiment: :class:`GradientScale` with its controls.

    On the website: depths 2, 5, 10, ..., 30, the three activations and the scales 1/4 to
    16 in powers of two (147 frames); in the notebook every depth and half powers of two.
    """
    return live.Experiment(
        "gradient-scale", GradientScale(),
        title="Vanishing and exploding gradients: depth, activation and weight scale",
        caption=("One backward pass of the cross-entropy on 256 digit images through an "
                 "untrained network, 32 units per hidden layer. Weight scale 1 is nnlib's "
                 "default initialisation (Xavier for sigmoid and tanh, He for ReLU). The "
                 "log axes follow the activation and the scale (read their labels); the "
                 "grey line marks 1."),
        controls=dict(
            depth=live.IntSlider(2, MAX_DEPTH, value=20, label="depth D", web=WEB_DEPTHS),
            activation=live.Choice([(_NAMES[a], a) for a in ACTIVATIONS], "sigmoid",
                                   label="activation"),
            scale=Log2Slider(lo=0.25, hi=16.0, per_octave=2, value=1.0, web=WEB_SCALES,
                             label="weight scale")))


def draw_gradient_scales(settings=((20, "sigmoid", 1.0), (20, "relu", 1.0),
                                   (20, "relu", 2.0))) -> Figure:
    """The static version of the experiment: :class:`GradientScale` for a few settings.

    Parameters
    ----------
    settings : sequence of (depth, activation, scale)
        One row per setting.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_gradient_scales([(4, "tanh", 1.0)])
    >>> len(fig.axes), fig.get_size_inches().tolist()
    (2, [7.4, 2.75])
    >>> plt.close(fig)
    """
    rows = []
    for depth, activation, scale in settings:
        rows.append({"depth": _check_depth(depth, "draw_gradient_scales", MAX_DEPTH),
                     "activation": _check_activation(activation, "draw_gradient_scales"),
                     "scale": check_positive(scale, "draw_gradient_scales", "scale")})
    if not rows:
        raise ValueError("draw_gradient_scales: expected at least one setting, got none.")
    fig = live.small_multiples(GradientScale(), rows, ncols=1)
    fig.set_size_inches(GradientScale.size[0], 2.75 * len(rows))   # the column's width
    return fig


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks enumerate them).
EXPERIMENTS = (gradient_scale_experiment,)
