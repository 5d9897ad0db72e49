"""Experiments of Chapter 12 (Residual connections).

The chapter compares a deep plain MLP with the *same* network plus identity skips. Both are
built by :func:`make_network` from the same random draws, in the pre-activation form of the
book's notation: a plain layer computes z^(l+1) = W^(l+1) sigma(z^(l)) + b^(l+1), a residual
block z^(l+1) = z^(l) + W^(l+1) sigma(z^(l)) + b^(l+1), with the same parameters.

Contents

- :func:`make_network`, :func:`branch_scale`: the two networks of depth D.
- :func:`task_data`, :class:`Run`, :func:`train_run`, :func:`trained_network`,
  :func:`sweep`: the training runs (digits and the toy moons), cached, with the per-layer
  gradient norms at initialisation measured by :mod:`nnlib.probes`.
- :func:`draw_degradation`: the opening figure (deeper plain networks train worse).
- :func:`draw_block_diagram`: a plain layer next to a residual block.
- :func:`path_gradients`, :func:`gradient_by_path_length`: the gradient of a residual
  network split by the length of the path it took (Veit et al., 2016).
- :func:`lesion`, :func:`branch_ratios`: what trained residual blocks do (the ensemble view).
- :class:`PlainVsResidual`, :class:`DepthSlider`, :func:`depth_slider`,
  :func:`residual_experiment`, :func:`draw_experiment_panels`: the live experiment and its
  static version.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import FixedLocator, NullLocator

from nnlib import probes
from nnlib._checks import check_int
from nnlib.core import Sequential
from nnlib.data import digits, moons, train_val_test_split
from nnlib.layers import Linear, ReLU, Residual, Sigmoid, Tanh
from nnlib.losses import BCEWithLogitsLoss, CrossEntropyLoss
from nnlib.optim import SGD
from nnlib.plot import COLORS
from nnlib.train import accuracy, fit

from . import live

__all__ = [
    "ACTIVATIONS", "NETWORKS", "DEPTHS", "TASKS", "WIDTH", "SEED", "Protocol", "PROTOCOLS",
    "branch_scale", "make_network", "TaskData", "task_data",
    "Run", "train_run", "trained_network", "sweep",
    "draw_degradation", "draw_block_diagram", "path_gradients", "gradient_by_path_length",
    "lesion", "branch_ratios", "depth_slider", "DepthSlider", "PlainVsResidual",
    "residual_experiment", "draw_experiment_panels",
    "EXPERIMENTS",
]

#: The hidden activations the chapter compares, with the layer class and nnlib's default
#: initialisation for it (He for ReLU, Xavier for the sigmoid and tanh; Chapter 11).
ACTIVATIONS = {"relu": (ReLU, "he"), "tanh": (Tanh, "xavier"), "sigmoid": (Sigmoid, "xavier")}
#: How the text and the figures name them.
_ACT_NAMES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
#: The two networks: without and with identity skips around every hidden layer.
NETWORKS = ("plain", "residual")
#: The depths D that are trained (the live experiment's slider stops at exactly these).
DEPTHS = (2, 4, 8, 12, 16, 20, 30)
#: Units per hidden layer.
WIDTH = 32
#: Seed of the initial weights and of the minibatch order.
SEED = 0


@dataclass(frozen=True)
class Protocol:
    """How one task is trained: plain SGD with momentum 0.9, the same for both networks.

    Attributes
    ----------
    epochs : int
        Passes over the training set.
    batch_size : int
        Examples per step (a batch as large as the set: full-batch gradient descent).
    lr : float
        Learning rate.
    momentum : float
    """

    epochs: int
    batch_size: int
    lr: float
    momentum: float = 0.9


#: digits: 20 epochs of minibatches of 128 (200 steps); moons: 400 full-batch steps.
PROTOCOLS = {"digits": Protocol(epochs=20, batch_size=128, lr=0.03),
             "moons": Protocol(epochs=400, batch_size=200, lr=0.3)}
#: The tasks: the 8x8 handwritten digits and the toy moons of Chapter 5.
TASKS = tuple(PROTOCOLS)


def _check_activation(activation, where):
    if activation not in ACTIVATIONS:
        raise ValueError(f"{where}: expected activation to be one of {tuple(ACTIVATIONS)}, "
                         f"got {activation!r}.")
    return activation


def _check_task(task, where):
    if task not in PROTOCOLS:
        raise ValueError(f"{where}: expected task to be one of {TASKS}, got {task!r}.")
    return task


def _check_depth(depth, where, minimum=2, maximum=60):
    depth = check_int(depth, where, "depth", minimum=minimum)
    if depth > maximum:
        raise ValueError(f"{where}: expected depth between {minimum} and {maximum}, got "
                         f"{depth}.")
    return depth


# --------------------------------------------------------------------------------------------
# the two networks
# --------------------------------------------------------------------------------------------
def branch_scale(depth: int) -> float:
    """The factor 1/sqrt(B) on the branch weights of a residual network with B = D - 2 blocks.

    Each block adds its branch's output to the signal, so the variances add up; with
    branch weights drawn at 1/sqrt(B) times the plain network's scale, the B branches
    together add about as much as one plain layer (for ReLU the variance grows at most by
    the factor (1 + 1/B)^B < e). A network without blocks (D = 2) gets 1.

    Examples
    --------
    >>> branch_scale(2), branch_scale(6)
    (1.0, 0.5)
    """
    depth = _check_depth(depth, "branch_scale")
    return 1.0 / math.sqrt(max(depth - 2, 1))


def make_network(depth, activation="relu", residual=False, *, n_in=64, n_out=10, width=WIDTH,
                 rng=SEED, scale=None) -> Sequential:
    """A plain MLP of depth D, or the same network with an identity skip around every hidden
    layer.

    Plain (D Linear layers)::

        Linear(n_in, w), [act, Linear(w, w)] x (D - 2), act, Linear(w, n_out)

    Residual (the same modules; each hidden pair wrapped in a Residual block)::

        Linear(n_in, w), [Residual(Sequential(act, Linear(w, w)))] x (D - 2), act,
        Linear(w, n_out)

    In the book's notation, with z^(1) = W^(1) x + b^(1), the hidden layers compute
    z^(l+1) = W^(l+1) sigma(z^(l)) + b^(l+1) (plain) or z^(l+1) = z^(l) + W^(l+1) sigma(z^(l))
    + b^(l+1) (residual), and the output is z^(D).

    Parameters
    ----------
    depth : int
        D >= 2, the number of Linear layers (D - 2 of them are residual blocks).
    activation : {"relu", "tanh", "sigmoid"}
    residual : bool
    n_in, n_out, width : int
        Input features, outputs (classes, or 1 for a logit), hidden units.
    rng : int or Generator
        The weights are drawn in the same order for both networks, so with the same seed the
        residual network's weights are the plain network's (its branches scaled).
    scale : float, optional
        Factor on the branch weights of a residual network; default :func:`branch_scale`.
        The plain network is never scaled. Biases start at zero.

    Returns
    -------
    Sequential

    Examples
    --------
    >>> from nnlib.core import count_parameters
    >>> plain, res = make_network(5, "tanh"), make_network(5, "tanh", residual=True)
    >>> [type(m).__name__ for m in res]
    ['Linear', 'Residual', 'Residual', 'Residual', 'Tanh', 'Linear']
    >>> count_parameters(plain) == count_parameters(res)
    True
    >>> bool(np.allclose(res[1].module[1].weight.data, plain[2].weight.data / np.sqrt(3)))
    True
    """
    where = "make_network"
    depth = _check_depth(depth, where)
    cls, init = ACTIVATIONS[_check_activation(activation, where)]
    rng = np.random.default_rng(rng)
    s = branch_scale(depth) if scale is None else float(scale)
    layers = [Linear(n_in, width, init=init, rng=rng)]
    for _ in range(depth - 2):
        linear = Linear(width, width, init=init, rng=rng)
        if residual:
            linear.weight.data *= s
            layers.append(Residual(Sequential(cls(), linear)))
        else:
            layers += [cls(), linear]
    layers += [cls(), Linear(width, n_out, init=init, rng=rng)]
    return Sequential(*layers)


# --------------------------------------------------------------------------------------------
# the data and the training runs
# --------------------------------------------------------------------------------------------
class TaskData(NamedTuple):
    """A task's training set (and test set for the digits).

    Attributes
    ----------
    X, y : ndarray
        Training inputs (m, d) and targets: class labels (m,) for the digits, 0/1 as a
        float column (m, 1) for the moons (one logit).
    X_test, y_test : ndarray or None
    n_out : int
        Outputs of the network: 10 logits, or 1.
    """

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    n_out: int

    def loss(self):
        """A fresh loss object: cross-entropy on 10 logits, or BCE on one logit."""
        return CrossEntropyLoss() if self.n_out > 1 else BCEWithLogitsLoss()


@functools.cache
def task_data(task: str) -> TaskData:
    """The data of a task: the digits' 70 % training split (1,259 images, seed 0) with its
    15 % test split, or 200 moons points (noise 0.1, seed 0), as in Chapter 5.

    Examples
    --------
    >>> d = task_data("digits")
    >>> d.X.shape, d.n_out
    ((1259, 64), 10)
    >>> task_data("moons").y.shape
    (200, 1)
    """
    _check_task(task, "task_data")
    if task == "digits":
        X, y = digits()
        X_tr, y_tr, _, _, X_te, y_te = train_val_test_split(X, y, rng=SEED)
        arrays = (X_tr, y_tr, X_te, y_te)
        n_out = 10
    else:
        X, y = moons(200, noise=0.1, rng=SEED)
        arrays = (X, y[:, None].astype(np.float64), None, None)
        n_out = 1
    for a in arrays:
        if a is not None:
            a.setflags(write=False)
    return TaskData(*arrays, n_out)


class Run(NamedTuple):
    """One training run of one network on one task.

    Attributes
    ----------
    task, activation : str
    depth : int
    residual : bool
    grad_norms : ndarray of shape (depth,)
        ||dL/dW^(l)|| of layer l = 1, ..., D at initialisation, on the whole training set
        (one forward and backward pass, :func:`nnlib.probes.gradient_norms`).
    loss : ndarray of shape (epochs + 1,)
        Training loss on the whole training set, in evaluation mode: before training
        (entry 0) and after every epoch.
    train_acc : float
        Training accuracy at the end.
    test_acc : float or None
        Test accuracy at the end (digits only).
    diverged : bool
        True if the loss became NaN or infinite (training then stopped).
    seconds : float
    """

    task: str
    depth: int
    activation: str
    residual: bool
    grad_norms: np.ndarray
    loss: np.ndarray
    train_acc: float
    test_acc: float | None
    diverged: bool
    seconds: float


_RUNS: dict = {}
_MODELS: dict = {}


def _key(task, depth, activation, residual):
    # without blocks (D = 2) the two networks are the same network
    return (task, int(depth), activation, bool(residual) and depth > 2)


def _train(task, depth, activation, residual):
    data = task_data(task)
    proto = PROTOCOLS[task]
    net = make_network(depth, activation, residual, n_in=data.X.shape[1], n_out=data.n_out)
    loss_fn = data.loss()
    start = time.perf_counter()
    # a run that diverges is recorded as such (its loss NaN from then on), never printed
    with warnings.catch_warnings(record=True), np.errstate(all="ignore"):
        warnings.simplefilter("always")
        norms = probes.gradient_norms(net, data.X, data.y, loss_fn)
        loss0 = loss_fn(net(data.X), data.y)
        optimizer = SGD(net.parameters(), lr=proto.lr, momentum=proto.momentum)
        hist = fit(net, loss_fn, optimizer, data.X, data.y, epochs=proto.epochs,
                   batch_size=proto.batch_size, rng=SEED, progress=False, diagnostics=False,
                   eval_train=True, blas_threads=1)
        net.eval()
        threshold = {} if data.n_out > 1 else {"threshold": 0.0}
        train_acc = accuracy(net(data.X), data.y, **threshold)
        test_acc = (accuracy(net(data.X_test), data.y_test) if data.X_test is not None
                    else None)
    loss = np.full(proto.epochs + 1, np.nan)
    loss[:hist.epochs + 1] = [loss0] + list(hist.train_loss)
    run = Run(task, depth, activation, bool(residual), np.fromiter(norms.values(), float),
              loss, float(train_acc), None if test_acc is None else float(test_acc),
              bool(hist.diverged), time.perf_counter() - start)
    for a in (run.grad_norms, run.loss):
        a.setflags(write=False)
    return run, net


def train_run(task, depth, activation, residual) -> Run:
    """Train one network on one task with its :data:`PROTOCOLS` entry (cached).

    Parameters
    ----------
    task : {"digits", "moons"}
    depth : int
        D, 2 to 60.
    activation : {"relu", "tanh", "sigmoid"}
    residual : bool

    Returns
    -------
    Run
        The per-layer gradient norms at initialisation and the training curve. A second
        call with the same arguments returns the cached run.

    Examples
    --------
    >>> run = train_run("moons", 3, "tanh", residual=True)
    >>> run.grad_norms.shape, run.loss.shape, bool(run.loss[-1] < run.loss[0])
    ((3,), (401,), True)
    """
    where = "train_run"
    key = _key(_check_task(task, where), _check_depth(depth, where),
               _check_activation(activation, where), residual)
    if key not in _RUNS:
        _RUNS[key], _MODELS[key] = _train(*key)
    return _RUNS[key]


def trained_network(task, depth, activation, residual) -> Sequential:
    """The network that :func:`train_run` trained (trained first if needed; do not change it).

    Examples
    --------
    >>> net = trained_network("moons", 3, "tanh", True)
    >>> type(net[1]).__name__
    'Residual'
    """
    train_run(task, depth, activation, residual)   # trains (once) and keeps the network
    return _MODELS[_key(task, depth, activation, residual)]


def sweep(activation="relu", task="digits", depths=DEPTHS) -> dict:
    """:func:`train_run` for every depth, both networks.

    Returns
    -------
    dict of (network, depth) -> Run
        network is "plain" or "residual".

    Examples
    --------
    >>> runs = sweep("tanh", "moons", depths=(2, 3))
    >>> sorted(runs)
    [('plain', 2), ('plain', 3), ('residual', 2), ('residual', 3)]
    """
    return {(net, d): train_run(task, d, activation, net == "residual")
            for net in NETWORKS for d in depths}


# --------------------------------------------------------------------------------------------
# the opening figure: the degradation problem
# --------------------------------------------------------------------------------------------
#: colours of the two networks (the same in every figure)
_NET_COLORS = {"plain": COLORS[3], "residual": COLORS[0]}
_NET_MARKERS = {"plain": "o", "residual": "s"}
_NET_STYLES = {"plain": "-", "residual": "--"}
_INK = "#333333"
_SMALL = 10


def _log_axis(ax, lo, hi, every=1):
    """A log-scale y axis from 10^lo to 10^hi with labelled decades and no minor ticks."""
    ax.set_yscale("log")
    ax.set_ylim(10.0 ** lo, 10.0 ** hi)
    ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(lo, hi + 1, every)))
    ax.yaxis.set_minor_locator(NullLocator())


def draw_degradation(activation="relu", depths=(4, 8, 16, 30), sweep_depths=DEPTHS,
                     task="digits") -> Figure:
    """Deeper plain networks train worse: the opening figure of the chapter.

    (a) Training loss of plain networks of several depths, epoch by epoch.
    (b) Training loss at the end against depth, plain and residual.

    Parameters
    ----------
    activation : {"relu", "tanh", "sigmoid"}
    depths : sequence of int
        The plain networks of panel (a), one to five of them.
    sweep_depths : sequence of int
        The depths of panel (b).
    task : {"digits", "moons"}

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_degradation("tanh", depths=(2, 3), sweep_depths=(2, 3), task="moons")
    >>> [ax.get_title(loc="left")[:3] for ax in fig.axes]
    ['(a)', '(b)']
    >>> plt.close(fig)
    """
    where = "draw_degradation"
    _check_activation(activation, where)
    depths = [_check_depth(d, where) for d in depths]
    if not 1 <= len(depths) <= 5:
        raise ValueError(f"{where}: expected one to five depths, got {depths}.")
    runs = sweep(activation, _check_task(task, where),
                 tuple(sorted({_check_depth(d, where) for d in sweep_depths} | set(depths))))
    proto = PROTOCOLS[task]
    unit = "epoch" if task == "digits" else "step"
    chance = np.log(task_data(task).n_out if task == "digits" else 2)
    chance_label = "guessing (ln 10)" if task == "digits" else "guessing (ln 2)"
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.4, 3.7), layout="constrained")
    shades = [COLORS[2], COLORS[1], COLORS[4], COLORS[7], COLORS[5]]
    for d, color in zip(depths, shades, strict=False):
        run = runs[("plain", d)]
        a.plot(np.arange(len(run.loss)), run.loss, color=color, lw=2, label=f"$D = {d}$")
    for ax, x_text in ((a, proto.epochs * 0.98), (b, max(d for (_, d) in runs))):
        ax.axhline(chance, color="#999999", lw=1, ls=":")
        ax.text(x_text, chance * 1.35, chance_label, ha="right", va="bottom",
                fontsize=_SMALL - 1, color="#777777")
        _log_axis(ax, -3, 1)
    a.set_xlim(0, proto.epochs)
    a.set_xlabel(unit)
    a.set_ylabel("training loss (cross-entropy)")
    a.set_title(f"(a) Plain {_ACT_NAMES[activation]} networks", loc="left", fontsize=11)
    a.legend(title="depth", fontsize=_SMALL, title_fontsize=_SMALL, loc="lower left")
    for net in NETWORKS:
        ds = sorted(d for (n, d) in runs if n == net)
        b.plot(ds, [runs[(net, d)].loss[-1] for d in ds], color=_NET_COLORS[net],
               marker=_NET_MARKERS[net], ls=_NET_STYLES[net], lw=2, ms=5, label=net)
    b.set_xlabel("depth $D$ (layers)")
    b.set_ylabel(f"training loss after {proto.epochs} {unit}s")
    b.set_title("(b) Final loss against depth", loc="left", fontsize=11)
    b.legend(fontsize=_SMALL, loc="upper left")
    fig.suptitle("Deeper plain networks train worse; with skips they do not", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# the block diagram
# --------------------------------------------------------------------------------------------
def _box(ax, x, y, text, color="#ffffff", w=0.5, h=0.42):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04",
                                fc=color, ec=_INK, lw=1.3, zorder=2))
    ax.text(x, y, text, ha="center", va="center", fontsize=12, zorder=3)


def _arrow(ax, start, end, color=_INK, **kw):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=13, lw=1.5,
                                 color=color, zorder=1, shrinkA=0, shrinkB=0, **kw))


def draw_block_diagram() -> Figure:
    """A plain layer next to a residual block, with the Jacobian of each.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_block_diagram()
    >>> [ax.get_title(loc="left")[:3] for ax in fig.axes]
    ['(a)', '(b)']
    >>> plt.close(fig)
    """
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 2.9), layout="constrained")
    titles = ("(a) A plain layer", "(b) A residual block")
    jacobians = (r"$\partial z^{(l+1)} / \partial z^{(l)} = W\, \mathrm{diag}\,\sigma'(z^{(l)})$",
                 r"$\partial z^{(l+1)} / \partial z^{(l)} = I + W\, \mathrm{diag}\,"
                 r"\sigma'(z^{(l)})$")
    for k, (ax, title, jac) in enumerate(zip(axes, titles, jacobians, strict=True)):
        ax.set_xlim(-0.15, 4.55)
        ax.set_ylim(-1.08, 1.25)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title, loc="left", fontsize=11)
        ax.text(0.0, 0.0, "$z^{(l)}$", ha="center", va="center", fontsize=13)
        _box(ax, 1.15, 0.0, r"$\sigma$")
        _box(ax, 2.25, 0.0, "$W, b$", color="#e8f1f8")
        ax.text(4.25, 0.0, "$z^{(l+1)}$", ha="center", va="center", fontsize=13)
        _arrow(ax, (0.28, 0.0), (0.88, 0.0))
        _arrow(ax, (1.42, 0.0), (1.98, 0.0))
        if k == 0:
            _arrow(ax, (2.52, 0.0), (3.9, 0.0))
        else:
            ax.add_patch(Circle((3.3, 0.0), 0.2, fc="#ffffff", ec=_INK, lw=1.3, zorder=2))
            ax.text(3.3, 0.0, "+", ha="center", va="center", fontsize=14, zorder=3)
            _arrow(ax, (2.52, 0.0), (3.08, 0.0))
            _arrow(ax, (3.52, 0.0), (3.9, 0.0))
            _arrow(ax, (0.12, 0.22), (3.3, 0.22), color=COLORS[0],
                   connectionstyle="bar,fraction=-0.22")
            ax.text(1.7, 0.98, "skip: $z^{(l)}$ itself", ha="center", fontsize=_SMALL,
                    color=COLORS[0])
            ax.add_patch(FancyBboxPatch((0.78, -0.36), 1.84, 0.72, boxstyle="round,pad=0.02",
                                        fc="none", ec="#888888", lw=1.0, ls="--", zorder=1))
            ax.text(1.7, -0.5, r"branch $F(z^{(l)})$", ha="center", va="center",
                    fontsize=_SMALL, color="#555555")
        ax.text(2.2, -0.92, jac, ha="center", va="center", fontsize=_SMALL)
    return fig


# --------------------------------------------------------------------------------------------
# the gradient split by path length, and what trained blocks do
# --------------------------------------------------------------------------------------------
def path_gradients(Js, g) -> np.ndarray:
    """Split the gradient that a chain of residual blocks sends back by the length of the
    path it took.

    The blocks z_(k+1) = z_k + F_k(z_k), k = 1, ..., n, have Jacobians I + J_k, so the
    gradient at z_1 is (I + J_1)^T ... (I + J_n)^T g = sum over subsets S of {1..n} of
    J_S^T g, one term per path. This returns the sum of the terms of each length k (the
    paths through exactly k branches), computed with O(n^2) matrix-vector products instead
    of 2^n.

    Parameters
    ----------
    Js : sequence of n ndarrays of shape (w, w)
        J_k = dF_k/dz_k, the branch Jacobians, first block first.
    g : ndarray of shape (w,)
        The gradient arriving at z_(n+1).

    Returns
    -------
    ndarray of shape (n + 1, w)
        Row k is the gradient carried by the paths of length k; the rows add up to the
        whole gradient at z_1.

    Examples
    --------
    >>> J = [np.array([[0.5]]), np.array([[0.25]])]
    >>> path_gradients(J, np.array([1.0]))[:, 0].tolist()     # 1, 0.5 + 0.25, 0.5 * 0.25
    [1.0, 0.75, 0.125]
    """
    Js = [np.asarray(J, dtype=float) for J in Js]
    g = np.asarray(g, dtype=float)
    n = len(Js)
    by_length = np.zeros((n + 1, g.size))
    by_length[0] = g
    for J in reversed(Js):          # from the last block back to the first
        # a path either skips this block (keeps its length) or goes through J (one longer)
        by_length[1:] = by_length[1:] + by_length[:-1] @ J
    return by_length


_DERIVATIVES = {ReLU: lambda z: (z > 0).astype(z.dtype),
                Tanh: lambda z: 1.0 - np.tanh(z) ** 2,
                Sigmoid: lambda z: (s := 1.0 / (1.0 + np.exp(-z))) * (1.0 - s)}


def gradient_by_path_length(net, X, y) -> np.ndarray:
    """How much of the gradient of a residual network travels along paths of each length.

    For every example, the branch Jacobians J_l = W^(l+1) diag(sigma'(z^(l))) of the blocks
    and the error signal arriving at the last block are read from one recorded forward and
    backward pass (:func:`nnlib.probes.trace`, cross-entropy loss); :func:`path_gradients`
    splits the error signal at the first block by path length. The norms are averaged over
    the examples.

    Parameters
    ----------
    net : Sequential
        A residual network from :func:`make_network` (its blocks' branches are
        ``Sequential(activation, Linear)``).
    X : ndarray of shape (m, d)
    y : ndarray of shape (m,)
        Class labels.

    Returns
    -------
    ndarray of shape (B + 1,)
        Entry k: the mean over the examples of the norm of the gradient carried by the
        paths through exactly k of the B branches.

    Examples
    --------
    >>> net = make_network(5, "tanh", residual=True, n_in=2, n_out=2)
    >>> gradient_by_path_length(net, np.ones((4, 2)), np.array([0, 1, 0, 1])).shape
    (4,)
    """
    with np.errstate(all="ignore"):
        records = probes.trace(net, X, y, CrossEntropyLoss())
    blocks = [(int(key.split(":")[0]), r) for key, r in records.items()
              if key.endswith(":Residual") and "." not in key]
    if not blocks:
        raise ValueError("gradient_by_path_length: the network has no Residual block.")
    parts = []
    for index, record in blocks:
        act, linear = net[index].module[0], net[index].module[1]
        parts.append((linear.weight.data, _DERIVATIVES[type(act)](record.input)))
    total = np.zeros(len(blocks) + 1)
    for i in range(len(X)):
        Js = [W * d[i] for W, d in parts]               # W diag(sigma'(z)), one example
        total += np.linalg.norm(path_gradients(Js, blocks[-1][1].delta[i]), axis=1)
    return total / len(X)


def lesion(net, X, y) -> np.ndarray:
    """Accuracy of a trained network with one hidden layer or block removed at a time.

    For a residual network, removing block l replaces z^(l+1) = z^(l) + F(z^(l)) by
    z^(l+1) = z^(l); for a plain network, removing hidden layer l does the same to
    z^(l+1) = W sigma(z^(l)) + b (its activation and Linear pair are skipped).

    Parameters
    ----------
    net : Sequential
        A network from :func:`make_network` of depth D >= 3.
    X : ndarray of shape (m, d)
    y : ndarray of shape (m,)
        Class labels.

    Returns
    -------
    ndarray of shape (D - 2,)
        The accuracy with hidden layer (block) 1, 2, ..., D - 2 removed.

    Examples
    --------
    >>> net = make_network(4, "tanh", residual=True, n_in=2, n_out=2)
    >>> lesion(net, np.zeros((3, 2)), np.array([0, 1, 0])).shape
    (2,)
    """
    net.eval()
    if isinstance(net[1], Residual):
        removable = [[i] for i, m in enumerate(net) if isinstance(m, Residual)]
    else:  # plain: the (activation, Linear) pairs between the first and the last Linear
        removable = [[i, i + 1] for i in range(1, len(net) - 2, 2)]
    if not removable:
        raise ValueError("lesion: the network has no hidden layer to remove (depth 2).")
    accs = []
    for group in removable:
        out = X
        for i, module in enumerate(net):
            if i not in group:
                out = module(out)
        accs.append(accuracy(out, y))
    return np.array(accs)


def branch_ratios(net, X) -> np.ndarray:
    """||F(z)|| / ||z|| of every residual block of a network, on the inputs X.

    The block's input z and output z + F(z) come from :func:`nnlib.probes.trace`; the norms
    are Frobenius norms over the whole batch.

    Returns
    -------
    ndarray of shape (number of blocks,)

    Examples
    --------
    >>> net = make_network(4, "relu", residual=True, n_in=2, n_out=2)
    >>> branch_ratios(net, np.ones((5, 2))).shape
    (2,)
    """
    records = probes.trace(net, X)
    ratios = [np.linalg.norm(r.output - r.input) / np.linalg.norm(r.input)
              for key, r in records.items() if key.endswith(":Residual")]
    if not ratios:
        raise ValueError("branch_ratios: the network has no Residual block.")
    return np.array(ratios)


# --------------------------------------------------------------------------------------------
# the live experiment
# --------------------------------------------------------------------------------------------
def depth_slider(value=16, depths=DEPTHS, description="depth D"):
    """A slider over the trained depths (an ipywidgets SelectionSlider that reports a change
    only on release, in the book's control style).

    Examples
    --------
    >>> s = depth_slider(8)
    >>> s.value, s.continuous_update
    (8, False)
    """
    return live.selection_slider(value, depths, description, where="depth_slider")


@dataclass
class DepthSlider(live.Stops):
    """A :class:`book.live.Stops` whose stops are the trained depths :data:`DEPTHS`.

    The website's slider steps through them, and the notebook's widget is a selection slider
    over the same values, so no stop lands on a depth that was not trained in advance.

    Examples
    --------
    >>> DepthSlider(value=16).values()
    [2, 4, 8, 12, 16, 20, 30]
    """

    options: tuple = DEPTHS


def _ratio_text(r):
    return f"{r:.2g}" if 1e-2 <= r < 1e3 else f"{r:.0e}"


def _loss_text(v):
    return f"{v:.3g}" if v >= 0.01 else f"{v:.1e}"


#: y ranges (decades) of the gradient panel: the sigmoid's plain network needs 21 of them
_GRAD_DECADES = {"sigmoid": (-20, 1, 5), "relu": (-3, 1, 1), "tanh": (-3, 1, 1)}


class PlainVsResidual(live.LiveFigure):
    """The chapter's live experiment: a plain network and the same network with skips.

    Left: ||dL/dW^(l)|| of every layer at initialisation (log scale). Right: the training
    loss, epoch by epoch (log scale). Controls: ``depth`` (the trained :data:`DEPTHS`),
    ``activation`` (rebuilds the figure: the gradient panel's range depends on it) and
    ``networks`` (a :class:`book.live.Pick` of "plain" and "residual"). Every run comes from
    :func:`train_run`; building the figure trains (once) all depths of its activation, so
    that a move of the depth only draws.

    Parameters
    ----------
    task : {"digits", "moons"}
        The live experiment uses the digits; the chapter's toy figure the moons.
    depths : sequence of int
        The depths trained when the figure is built.
    runs : dict, optional
        A cache of runs shared with :func:`train_run` (by default the module's own): the
        website's workers receive the runs the notebook has already trained with the figure.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(PlainVsResidual(task="moons", depths=(3,)))
    >>> png = r.png({"depth": 3, "activation": "tanh", "networks": ("plain", "residual")})
    >>> r.live.loss_notes["plain"].get_text().startswith("plain: final loss")
    True
    >>> r.close()
    """

    size = (7.4, 4.5)
    rebuild_on = ("activation",)

    def __init__(self, task="digits", depths=DEPTHS, runs=None):
        self.task = _check_task(task, "PlainVsResidual")
        self.depths = tuple(depths)
        self._runs = _RUNS if runs is None else runs

    def run(self, depth, activation, network):
        """The cached :class:`Run` of one network (trained here if it is not cached)."""
        key = _key(self.task, depth, activation, network == "residual")
        if key not in self._runs:
            self._runs[key] = train_run(self.task, depth, activation, network == "residual")
        return self._runs[key]

    def build(self, fig, depth, activation, networks):
        for d in self.depths:           # train every depth of this activation once
            for net in NETWORKS:
                self.run(d, activation, net)
        proto = PROTOCOLS[self.task]
        (left, right), (left_notes, right_notes) = fig.subplots(
            2, 2, gridspec_kw={"height_ratios": [1.0, 0.17]})
        lo, hi, every = _GRAD_DECADES[activation]
        _log_axis(left, lo, hi, every)
        left.set_xlim(0.5, max(max(self.depths), depth) + 0.5)
        left.set_xlabel("layer $l$ (1 = next to the input)")
        left.set_ylabel(r"$\|\partial L / \partial W^{(l)}\|$ before training")
        left.set_title("Gradient reaching each layer", loc="left", fontsize=11)
        _log_axis(right, -3, 1)
        right.set_xlim(0, proto.epochs)
        unit = "epoch" if proto.batch_size < len(task_data(self.task).X) else "step"
        right.set_xlabel(f"training {unit}")
        right.set_ylabel("training loss")
        right.set_title("Training loss", loc="left", fontsize=11)
        classes = 10 if self.task == "digits" else 2
        right.axhline(np.log(classes), color="#999999", lw=1, ls=":", zorder=1)
        right.text(0.98 * proto.epochs, np.log(classes) * 1.35, f"guessing (ln {classes})",
                   ha="right", va="bottom", fontsize=_SMALL - 1, color="#777777")
        self.grad_lines, self.loss_lines, self.grad_notes, self.loss_notes = {}, {}, {}, {}
        self.keys = {}
        for ax in (left_notes, right_notes):
            ax.set_axis_off()
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
        for k, net in enumerate(NETWORKS):
            style = dict(color=_NET_COLORS[net], ls=_NET_STYLES[net], lw=2)
            self.grad_lines[net], = left.plot([], [], marker=_NET_MARKERS[net], ms=4, zorder=3,
                                              **style)
            self.loss_lines[net], = right.plot([], [], zorder=3, **style)
            y = 0.72 - 0.55 * k
            for ax, notes in ((left_notes, self.grad_notes), (right_notes, self.loss_notes)):
                key, = ax.plot([-0.08, 0.01], [y, y], marker=_NET_MARKERS[net], ms=4,
                               markevery=[1], clip_on=False, **style)   # the line's key
                self.keys.setdefault(net, []).append(key)
                notes[net] = ax.text(0.04, y, "", ha="left", va="center", fontsize=_SMALL,
                                     color=_NET_COLORS[net])
        fig.suptitle(f"{_ACT_NAMES[activation]} networks, {WIDTH} units per hidden layer, "
                     f"{'the 8x8 digits' if self.task == 'digits' else 'the moons'}",
                     fontsize=11)
        self.animate(*self.grad_lines.values(), *self.loss_lines.values(),
                     *self.grad_notes.values(), *self.loss_notes.values(),
                     *(key for keys in self.keys.values() for key in keys))

    def update(self, depth, activation, networks):
        for net in NETWORKS:
            run = self.run(depth, activation, net)
            shown = net in networks
            self.grad_lines[net].set_data(np.arange(1, depth + 1), run.grad_norms)
            self.loss_lines[net].set_data(np.arange(len(run.loss)), run.loss)
            self.grad_notes[net].set_text(
                f"{net}: layer 1 / layer {depth} = "
                f"{_ratio_text(run.grad_norms[0] / run.grad_norms[-1])}")
            right_share = f", {run.train_acc:.1%} right" if self.task == "digits" else ""
            self.loss_notes[net].set_text(f"{net}: final loss {_loss_text(run.loss[-1])}"
                                          f"{right_share}")
            for artist in (self.grad_lines[net], self.loss_lines[net], self.grad_notes[net],
                           self.loss_notes[net], *self.keys[net]):
                artist.set_visible(shown)

    def describe(self, depth, activation, networks):
        parts = []
        for net in NETWORKS:
            run = self.run(depth, activation, net)
            parts.append(f"the {net} network's first layer gets "
                         f"{_ratio_text(run.grad_norms[0] / run.grad_norms[-1])} times the "
                         f"gradient of its last, and its training loss falls from "
                         f"{_loss_text(run.loss[0])} to {_loss_text(run.loss[-1])} (training "
                         f"accuracy {run.train_acc:.1%})")
        data = "the 8x8 digits" if self.task == "digits" else "the moons"
        name = _ACT_NAMES[activation]
        return (f"{name[0].upper()}{name[1:]} networks of depth {depth} on {data}: "
                f"{parts[0]}; {parts[1]}.")


def residual_experiment() -> live.Experiment:
    """The chapter's interactive experiment: :class:`PlainVsResidual` on the digits.

    On the website: 7 depths x 3 activations = 21 frames, each network a layer that the
    check boxes show or hide (63 images). Building it trains the runs of an activation the
    first time it is shown (a few seconds); later moves only draw.
    """
    proto = PROTOCOLS["digits"]
    return live.Experiment(
        "plain-vs-residual", PlainVsResidual(),
        title="A deep plain network against the same network with skips",
        caption=(f"Both networks have the same layers, parameters and initial weights (the "
                 f"residual branches scaled by 1/sqrt(D - 2)) and the same training: "
                 f"{proto.epochs} epochs of SGD with momentum {proto.momentum}, learning "
                 f"rate {proto.lr}, minibatches of {proto.batch_size} digits. Left: gradient "
                 f"norm of each layer's weights before training. Right: loss on the "
                 f"training set."),
        controls=dict(
            depth=DepthSlider(2, 30, value=16, label="depth D"),
            activation=live.Choice([("ReLU", "relu"), ("tanh", "tanh"),
                                    ("sigmoid", "sigmoid")], "relu", label="activation"),
            networks=live.Pick(list(NETWORKS), NETWORKS, label="networks")))


def draw_experiment_panels(settings=(("sigmoid", 30), ("relu", 30)), task="digits") -> Figure:
    """The static version of the experiment: :class:`PlainVsResidual` for a few
    (activation, depth) settings, stacked, each at the live figure's full size.

    Parameters
    ----------
    settings : sequence of (activation, depth)
    task : {"digits", "moons"}

    Returns
    -------
    Figure
        One SubFigure per setting, built and updated by :class:`PlainVsResidual`, so it is
        the same figure as the live one.

    Examples
    --------
    >>> fig = draw_experiment_panels([("tanh", 3)], task="moons")   # trains two small networks
    >>> len(fig.subfigs), fig.axes[0].get_title(loc="left")
    (1, 'Gradient reaching each layer')
    >>> plt.close(fig)
    """
    where = "draw_experiment_panels"
    settings = [(_check_activation(a, where), _check_depth(d, where)) for a, d in settings]
    if not settings:
        raise ValueError(f"{where}: expected at least one (activation, depth) setting.")
    template = PlainVsResidual(task=task, depths=tuple(sorted({d for _, d in settings})))
    w, h = template.size
    fig = plt.figure(figsize=(w, h * len(settings)), layout="constrained")
    subs = np.atleast_1d(fig.subfigures(len(settings), 1))
    for sub, (activation, depth) in zip(subs, settings, strict=True):
        panel = template.fresh()
        values = dict(depth=depth, activation=activation, networks=NETWORKS)
        panel.build(sub, **values)
        panel.update(**values)
        for artist in panel.animated_artists():
            artist.set_animated(False)
    return fig


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks enumerate them).
EXPERIMENTS = (residual_experiment,)
