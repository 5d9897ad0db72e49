"""Experiments of Chapter 13 (Regularisation).

The chapter's figures, its live experiment and the heavier helpers. Static figures are drawn
by ``draw_*`` functions that return a matplotlib Figure; the live experiment is a
:class:`book.live.LiveFigure`, so the notebook's widget, the website's flipbook, the static
small multiples and the tests all draw the same figure.

Contents

- :func:`decay_groups`, :class:`L1Penalty`: weight decay on the weight matrices only (nnlib's
  parameter groups), and an L1 penalty added to any nnlib optimiser (nnlib's optimisers only
  have the L2 ``weight_decay``).
- :func:`toy_data`, :func:`train_toy`, :class:`ToyRuns`, :func:`toy_forward`,
  :func:`toy_weights`: the toy problem (40 noisy moons points) and a from-scratch trainer
  that trains many one-hidden-layer ReLU networks at once, one per penalty strength; it
  equals nnlib's SGD step for step (tests check it).
- :func:`toy_sweep`, :func:`toy_probabilities`, :class:`PenaltyFigure`,
  :func:`penalty_experiment`, :func:`draw_penalty_figure`, :func:`draw_penalty_panels`: the
  chapter's live experiment (decision boundary and loss curves against lambda, for L2 and
  L1) and its static versions.
- :func:`capacity_sweep`, :func:`draw_capacity`: training and validation error and loss
  against the width of the hidden layer.
- :func:`soft_threshold`, :func:`shrink`: the one-dimensional L1 and L2 solutions;
  :func:`decay_factor`, :func:`l1_travel`: what each penalty alone does to a weight in SGD
  with momentum.
- :func:`gd_filter`, :func:`ridge_filter`, :func:`early_stopping_vs_ridge`: gradient descent
  stopped after t steps against the L2 solution, on a quadratic loss.
- :func:`digits_split`, :func:`shift_images`, :func:`rotate_images`, :func:`augment`,
  :func:`draw_augmentations`: the small digits training set and its augmentations.
- :func:`fit_augmented`, :data:`DIGITS_CONFIGS`, :func:`train_digits`, :func:`digits_table`,
  :func:`draw_weight_histograms`, :func:`draw_early_stopping`: regularising a wide MLP
  trained on 180 digits.
- :func:`prune`, :func:`quantise`: compression by magnitude pruning and by uniform
  quantisation of the weights.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from nnlib._checks import as_array, check_int, check_nonnegative, check_positive, make_rng
from nnlib.core import Module
from nnlib.data import digits, moons, train_val_test_split
from nnlib.functional import sigmoid, softplus
from nnlib.layers import mlp
from nnlib.losses import CrossEntropyLoss
from nnlib.optim import SGD
from nnlib.plot import COLORS, MARKERS
from nnlib.train import Callback, EarlyStopping, History, accuracy, iterate_minibatches, train_epoch

from . import live
from .shared import one_blas_thread

__all__ = [
    "decay_groups", "L1Penalty",
    "TOY_HIDDEN", "TOY_STEPS", "TOY_LR", "TOY_MOMENTUM", "TOY_EVERY", "ToyData", "toy_data",
    "ToyRuns", "train_toy", "toy_forward", "toy_weights",
    "PENALTIES", "LAMBDAS", "TOY_BOX", "LOSS_YLIM", "toy_sweep", "toy_probabilities",
    "PenaltyFigure",
    "penalty_experiment", "draw_penalty_figure", "draw_penalty_panels",
    "CapacitySweep", "capacity_sweep", "draw_capacity",
    "soft_threshold", "shrink", "decay_factor", "l1_travel", "gd_filter", "ridge_filter",
    "EarlyStoppingVsRidge", "early_stopping_vs_ridge",
    "DigitsSplit", "digits_split", "shift_images", "rotate_images", "augment",
    "draw_augmentations", "fit_augmented", "DIGITS_SIZES", "DIGITS_LR", "DIGITS_MOMENTUM",
    "DIGITS_BATCH", "DIGITS_EPOCHS", "DIGITS_CONFIGS", "DigitsRun",
    "train_digits", "digits_table", "draw_weight_histograms", "draw_early_stopping",
    "prune", "quantise", "EXPERIMENTS",
]


# --------------------------------------------------------------------------------------------
# weight decay on the weights only, and an L1 penalty for any optimiser
# --------------------------------------------------------------------------------------------
def decay_groups(model: Module, weight_decay: float) -> list:
    """Parameter groups that decay the weight matrices and leave everything else alone.

    A parameter with two or more dimensions (the weight matrix W of a Linear layer) gets
    ``weight_decay``; a one-dimensional one (a bias b, a normalisation gain gamma or shift
    beta) gets 0.

    Parameters
    ----------
    model : Module
    weight_decay : float
        lambda >= 0, added to a weight's gradient as lambda W (PyTorch's convention).

    Returns
    -------
    list of dict
        ``[{"params": weights, "weight_decay": weight_decay}, {"params": others,
        "weight_decay": 0.0}]`` (a group with no parameter is left out), for any nnlib
        optimiser.

    See Also
    --------
    Chapter 13 (Regularisation) explains why biases and gains are not decayed.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> groups = decay_groups(mlp([2, 3, 1], rng=0), 1e-3)
    >>> [[p.shape for p in g["params"]] for g in groups], [g["weight_decay"] for g in groups]
    ([[(3, 2), (1, 3)], [(3,), (1,)]], [0.001, 0.0])
    """
    if not isinstance(model, Module):
        raise TypeError(f"decay_groups: expected an nnlib Module, got {type(model).__name__}.")
    weight_decay = check_nonnegative(weight_decay, "decay_groups", "weight_decay")
    params = model.parameters()
    weights = [p for p in params if p.data.ndim >= 2]
    others = [p for p in params if p.data.ndim < 2]
    groups = [{"params": weights, "weight_decay": weight_decay},
              {"params": others, "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


class L1Penalty:
    """Add the L1 penalty's gradient lambda sign(W) to some parameters, then step.

    nnlib's optimisers (like PyTorch's) offer only the L2 penalty (``weight_decay``). This
    wrapper adds :math:`\\lambda \\operatorname{sign}(W)`, the gradient of
    :math:`\\lambda \\sum |W_{jk}|`, to the ``grad`` of each listed parameter and then calls
    the wrapped optimiser's ``step``; it has ``zero_grad`` and ``lr`` too, so
    :func:`nnlib.train.fit` and the schedules accept it.

    Parameters
    ----------
    optimizer : nnlib Optimizer
        The optimiser that makes the step (e.g. ``SGD(model.parameters(), lr=0.05)``).
    params : list of Parameter
        The parameters to penalise, usually the weight matrices (``decay_groups(model, 0)[0]
        ["params"]``). Each must be one of ``optimizer``'s parameters.
    l1 : float
        lambda >= 0.

    Notes
    -----
    sign(0) = 0, the subgradient numpy's ``np.sign`` gives. A weight that the penalty has
    pushed to about zero then jumps around zero by about ``lr * l1`` per step instead of
    staying at exactly zero (Chapter 13's pitfalls); :func:`soft_threshold` is the exact step.

    Examples
    --------
    >>> from nnlib.core import Parameter
    >>> w = Parameter([0.5, -0.2, 0.0])
    >>> opt = L1Penalty(SGD([w], lr=0.1), [w], l1=0.5)
    >>> opt.zero_grad(); opt.step()           # no loss gradient: only the penalty acts
    >>> w.data.tolist()                       # each weight moves 0.1 * 0.5 towards zero
    [0.45, -0.15000000000000002, 0.0]
    """

    def __init__(self, optimizer, params, l1):
        if not callable(getattr(optimizer, "step", None)):
            raise TypeError(f"L1Penalty: expected an optimiser with step(), got "
                            f"{type(optimizer).__name__}.")
        known = {id(p) for p in optimizer.params}
        self.params = list(params)
        strangers = [i for i, p in enumerate(self.params) if id(p) not in known]
        if strangers:
            raise ValueError(f"L1Penalty: parameter {strangers[0]} of params is not one of the "
                             f"optimiser's parameters, so the step would not move it.")
        self.optimizer = optimizer
        self.l1 = check_nonnegative(l1, "L1Penalty", "l1")

    @property
    def lr(self):
        return self.optimizer.lr

    @lr.setter
    def lr(self, value):
        self.optimizer.lr = value

    def zero_grad(self) -> None:
        self.optimizer.zero_grad()

    def step(self) -> None:
        if self.l1:
            for p in self.params:
                p.grad += self.l1 * np.sign(p.data)
        self.optimizer.step()

    def __repr__(self) -> str:
        return f"L1Penalty({self.optimizer!r}, l1={self.l1}, parameters={len(self.params)})"


# --------------------------------------------------------------------------------------------
# the toy problem and a trainer for many small networks at once
# --------------------------------------------------------------------------------------------
#: Hidden units of the toy networks 2-TOY_HIDDEN-1 (ReLU).
TOY_HIDDEN = 64
#: Full-batch gradient steps of every toy run.
TOY_STEPS = 3000
#: Learning rate and momentum of the toy runs (PyTorch's SGD).
TOY_LR = 0.1
TOY_MOMENTUM = 0.9
#: The losses are recorded every TOY_EVERY steps.
TOY_EVERY = 25


class ToyData(NamedTuple):
    """The toy problem: 40 training points of two noisy moons and 500 validation points."""

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


@functools.lru_cache(maxsize=1)
def _toy_data():
    X, y = moons(40, noise=0.35, rng=1)
    X_val, y_val = moons(500, noise=0.35, rng=2)
    out = ToyData(X, y, X_val, y_val)
    for a in out:
        a.setflags(write=False)
    return out


def toy_data() -> ToyData:
    """The chapter's toy problem: two moons with noise std 0.35 (read-only arrays).

    40 training points (seed 1) and a fresh sample of 500 validation points from the same
    distribution (seed 2); labels 0 and 1.

    Examples
    --------
    >>> d = toy_data()
    >>> d.X.shape, d.X_val.shape, int(d.y.sum())
    ((40, 2), (500, 2), 20)
    """
    return _toy_data()


class ToyRuns(NamedTuple):
    """K toy networks 2-H-1 (ReLU) trained by :func:`train_toy`, one per penalty strength.

    Weights are stacked along a first axis of length K, in nnlib's layout.

    Attributes
    ----------
    lams : ndarray of shape (K,)
    penalty : str
        "L2" or "L1".
    W1 : ndarray of shape (K, H, 2)
    b1 : ndarray of shape (K, H)
    W2 : ndarray of shape (K, 1, H)
    b2 : ndarray of shape (K, 1)
    steps : ndarray of shape (T,)
        The step counts at which the losses were recorded (0, TOY_EVERY, ..., steps).
    train_loss, val_loss : ndarray of shape (K, T)
        Mean binary cross-entropy (without the penalty) after that many steps.
    train_err, val_err : ndarray of shape (K,)
        Error rates at the end.
    """

    lams: np.ndarray
    penalty: str
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    train_err: np.ndarray
    val_err: np.ndarray


def toy_forward(runs_or_params, X) -> np.ndarray:
    """The logits of every toy network for the points X.

    Parameters
    ----------
    runs_or_params : ToyRuns or tuple (W1, b1, W2, b2)
        Stacked weights, shapes as in :class:`ToyRuns`.
    X : array_like of shape (m, 2)

    Returns
    -------
    ndarray of shape (K, m)
        z = W2 ReLU(W1 x + b1) + b2 for each network and point.
    """
    W1, b1, W2, b2 = runs_or_params[2:6] if isinstance(runs_or_params, ToyRuns) \
        else runs_or_params
    X = as_array(X, "toy_forward", name="X")
    A = np.matmul(X, W1.transpose(0, 2, 1))
    A += b1[:, None, :]
    np.maximum(A, 0.0, out=A)
    return np.matmul(A, W2.transpose(0, 2, 1))[..., 0] + b2


def _bce(z, y):
    """Mean binary cross-entropy of logits z (K, m) against labels y (m,), per network."""
    return (softplus(z) - y * z).mean(axis=1)


def train_toy(lams, penalty="L2", hidden=TOY_HIDDEN, steps=TOY_STEPS, lr=TOY_LR,
              momentum=TOY_MOMENTUM, seeds=0, every=TOY_EVERY, data=None) -> ToyRuns:
    """Train one 2-H-1 ReLU network per penalty strength, all at once, by full-batch SGD.

    Every network k minimises the mean binary cross-entropy on the toy training set plus a
    penalty on its two weight matrices (not on the biases):

    - ``"L2"``: (lambda_k / 2) ||W||^2, gradient lambda_k W;
    - ``"L1"``: lambda_k sum |W_jk|, gradient lambda_k sign(W).

    The step is PyTorch's SGD with momentum (nnlib's ``SGD``): b <- mu b + g (b = g at the
    first step), theta <- theta - lr b. Network k starts from the weights of
    ``nnlib.layers.mlp([2, hidden, 1], "relu", rng=seeds[k])``, so that the same call with
    nnlib's ``SGD`` and parameter groups gives the same weights (tests check it). The K
    networks are stacked along a first axis and trained with batched matrix products: much
    faster than K separate nnlib runs, which the live experiment needs.

    Parameters
    ----------
    lams : sequence of float
        lambda_k >= 0, one per network.
    penalty : {"L2", "L1"}
    hidden : int
        H, the hidden units.
    steps : int
        Full-batch gradient steps.
    lr, momentum : float
    seeds : int or sequence of int
        Seed of each network's initial weights (one int: the same start for all).
    every : int
        Record the losses every this many steps (and after the last step).
    data : ToyData, optional
        Defaults to :func:`toy_data`.

    Returns
    -------
    ToyRuns

    Examples
    --------
    >>> runs = train_toy([0.0, 0.1], steps=200)
    >>> runs.W1.shape, runs.train_loss.shape
    ((2, 64, 2), (2, 9))
    >>> bool(np.linalg.norm(runs.W1[1]) < np.linalg.norm(runs.W1[0]))  # lambda shrinks W
    True
    """
    where = "train_toy"
    lams = np.array([check_nonnegative(v, where, "every lambda") for v in np.ravel(lams)])
    if penalty not in PENALTIES:
        raise ValueError(f"{where}: expected penalty 'L2' or 'L1', got {penalty!r}.")
    hidden = check_int(hidden, where, "hidden", minimum=1)
    steps = check_int(steps, where, "steps", minimum=1)
    every = check_int(every, where, "every", minimum=1)
    lr, momentum = check_positive(lr, where, "lr"), check_nonnegative(momentum, where, "momentum")
    K = len(lams)
    seeds = [seeds] * K if np.ndim(seeds) == 0 else list(seeds)
    if len(seeds) != K:
        raise ValueError(f"{where}: expected one seed per lambda ({K}), got {len(seeds)}.")
    d = toy_data() if data is None else data
    X, y, Xv, yv = (np.asarray(a, dtype=np.float64) for a in d)
    m = len(X)

    starts = [mlp([2, hidden, 1], "relu", rng=s) for s in seeds]
    # transposed copies for the batched products: W1T (K, 2, H), W2T (K, H, 1)
    W1T = np.stack([net[0].weight.data.T for net in starts])
    b1 = np.stack([net[0].bias.data for net in starts])
    W2T = np.stack([net[2].weight.data.T for net in starts])
    b2 = np.stack([net[2].bias.data for net in starts])
    params = (W1T, b1, W2T, b2)
    buffers = [None] * 4
    lam_w = lams[:, None, None]
    record = list(range(0, steps, every)) + [steps]
    train_loss, val_loss = [], []

    def logits(Xq):
        A = np.matmul(Xq, W1T)
        A += b1[:, None, :]
        Z_pos = A > 0.0
        np.maximum(A, 0.0, out=A)
        return A, Z_pos, np.matmul(A, W2T)[..., 0] + b2

    with one_blas_thread():
        for t in range(steps + 1):
            A, Z_pos, z = logits(X)
            if t in record:
                train_loss.append(_bce(z, y))
                val_loss.append(_bce(logits(Xv)[2], yv))
            if t == steps:
                break
            dz = (sigmoid(z) - y) / m                       # (K, m): mean BCE with logits
            g_W2T = np.matmul(A.transpose(0, 2, 1), dz[:, :, None])      # (K, H, 1)
            g_b2 = dz.sum(axis=1, keepdims=True)
            delta = dz[:, :, None] * W2T.transpose(0, 2, 1)              # (K, m, H)
            delta *= Z_pos                                              # ReLU'
            g_W1T = np.matmul(X.T, delta)                               # (K, 2, H)
            g_b1 = delta.sum(axis=1)
            if penalty == "L2":
                g_W1T += lam_w * W1T
                g_W2T += lam_w * W2T
            else:
                g_W1T += lam_w * np.sign(W1T)
                g_W2T += lam_w * np.sign(W2T)
            for i, (p, g) in enumerate(zip(params, (g_W1T, g_b1, g_W2T, g_b2), strict=True)):
                if momentum:
                    if buffers[i] is None:
                        buffers[i] = g.copy()
                    else:
                        buffers[i] *= momentum
                        buffers[i] += g
                    g = buffers[i]
                p -= lr * g
    z_train, z_val = logits(X)[2], logits(Xv)[2]
    return ToyRuns(lams, penalty, W1T.transpose(0, 2, 1).copy(), b1, W2T.transpose(0, 2, 1).copy(),
                   b2, np.array(record), np.array(train_loss).T, np.array(val_loss).T,
                   ((z_train > 0) != (y > 0.5)).mean(axis=1),
                   ((z_val > 0) != (yv > 0.5)).mean(axis=1))


#: The penalties of the live experiment.
PENALTIES = ("L2", "L1")
#: The slider's lambdas: 10^-4 to 1, three per decade (the notebook and the website alike).
_LAMBDA_SLIDER = live.LogSlider(1e-4, 1.0, per_decade=3, value=1e-3, label="λ")
LAMBDAS = tuple(_LAMBDA_SLIDER.values())


@functools.lru_cache(maxsize=2)
def toy_sweep(penalty="L2") -> ToyRuns:
    """The live experiment's runs: lambda = 0 and every value of :data:`LAMBDAS` (cached).

    Network k is trained with ``(0,) + LAMBDAS`` [k] from the same initial weights (seed 0),
    by :func:`train_toy` with its defaults. The arrays are read-only.

    Examples
    --------
    >>> runs = toy_sweep("L2")
    >>> len(runs.lams) == 1 + len(LAMBDAS), float(runs.train_err[0])
    (True, 0.0)
    """
    if penalty not in PENALTIES:
        raise ValueError(f"toy_sweep: expected penalty 'L2' or 'L1', got {penalty!r}.")
    runs = train_toy((0.0,) + LAMBDAS, penalty)
    for a in runs:
        if isinstance(a, np.ndarray):
            a.setflags(write=False)
    return runs


def _lam_index(lam) -> int:
    """Position of lambda in toy_sweep's (0,) + LAMBDAS.

    The slider's values are 10^(k/3); LAMBDAS holds them to six significant digits, and a
    widget may send either form, so the match allows a relative difference of 1e-4.
    """
    values = np.array((0.0,) + LAMBDAS)
    i = int(np.argmin(np.abs(np.log10(values[1:]) - np.log10(lam)))) + 1 if lam > 0 else 0
    if not math.isclose(values[i], lam, rel_tol=1e-4, abs_tol=1e-12):
        raise ValueError(f"toy_sweep has no run for lambda = {lam}; it has 0 and "
                         f"{[float(f'{v:.3g}') for v in LAMBDAS]}.")
    return i


#: The square of the plane in which the toy networks' decision regions are drawn.
TOY_BOX = (-1.8, 2.8, -1.3, 1.8)
_GRID = 121


def toy_probabilities(penalty, lam) -> np.ndarray:
    """P(y = 1 | x) of the toy network trained with this penalty and lambda, on a grid.

    Parameters
    ----------
    penalty : {"L2", "L1"}
    lam : float
        0 or one of :data:`LAMBDAS`.

    Returns
    -------
    ndarray of shape (121, 121)
        Rows run over x_2 from TOY_BOX[2] to TOY_BOX[3], columns over x_1 (read-only).
    """
    return _probabilities(penalty, _lam_index(lam))


@functools.lru_cache(maxsize=64)
def _probabilities(penalty, k):
    runs = toy_sweep(penalty)
    x1 = np.linspace(TOY_BOX[0], TOY_BOX[1], _GRID)
    x2 = np.linspace(TOY_BOX[2], TOY_BOX[3], _GRID)
    g1, g2 = np.meshgrid(x1, x2)
    params = (runs.W1[k:k + 1], runs.b1[k:k + 1], runs.W2[k:k + 1], runs.b2[k:k + 1])
    p = sigmoid(toy_forward(params, np.column_stack([g1.ravel(), g2.ravel()]))[0])
    p = p.reshape(_GRID, _GRID)
    p.setflags(write=False)
    return p


@functools.lru_cache(maxsize=64)
def _segments(penalty, k):
    import contourpy

    p = _probabilities(penalty, k)
    if p.max() - p.min() < 1e-3 or not p.min() < 0.5 < p.max():
        return []
    x1 = np.linspace(TOY_BOX[0], TOY_BOX[1], _GRID)
    x2 = np.linspace(TOY_BOX[2], TOY_BOX[3], _GRID)
    return contourpy.contour_generator(x1, x2, p, line_type="Separate").lines(0.5)


def _boundary_segments(penalty, lam):
    """The 0.5 contour of :func:`toy_probabilities` as a list of (n, 2) arrays (or [])."""
    return _segments(penalty, _lam_index(lam))


def _near_zero(W, tol=1e-2):
    """Fraction of the entries with |w| < tol."""
    return float(np.mean(np.abs(W) < tol))


def toy_weights(runs, k):
    """All weights (not biases) of network k of a :class:`ToyRuns`, flattened.

    Examples
    --------
    >>> toy_weights(train_toy([0.0], steps=1), 0).shape          # 64 * 2 + 64
    (192,)
    """
    return np.concatenate([runs.W1[k].ravel(), runs.W2[k].ravel()])


def _lam_text(lam) -> str:
    return "0" if lam == 0 else f"{lam:.2g}"


def _lighten(color, amount):
    from matplotlib.colors import to_rgb

    return tuple(1.0 - (1.0 - np.array(to_rgb(color))) * (1.0 - amount))


#: Class 0 (blue) through near-white (p = 1/2) to class 1 (orange), lightened so that the
#: points on top stand out.
_REGION_CMAP = LinearSegmentedColormap.from_list(
    "ch13_regions", [_lighten(COLORS[0], 0.45), "#f7f7f7", _lighten(COLORS[1], 0.45)])
#: The y range of the loss panel (every run of both sweeps stays below it; tests check).
LOSS_YLIM = (0.0, 1.4)


class PenaltyFigure(live.LiveFigure):
    """The chapter's live experiment: what a penalty of strength lambda does to a wide network.

    Left: the decision regions of a 2-64-1 ReLU network trained on 40 noisy moons points with
    the penalty (L2 or L1) of strength lambda on its weights, with the training points.
    Right: its training and validation loss during the 3,000 steps, with the validation loss
    of the same network trained without a penalty (grey, dashed) for comparison. The title
    gives the errors, the norm of the weights and the share of weights within 0.01 of zero.

    Every run is precomputed by :func:`toy_sweep` (one batched training for all lambdas), so
    a move of the slider only swaps images and curves.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(PenaltyFigure())
    >>> png = r.png({"lam": 1e-3, "penalty": "L2"})
    >>> r.live.title.get_text().startswith("L2 penalty, λ = 0.001")
    True
    >>> r.close()
    """

    size = (7.2, 3.7)

    def build(self, fig, lam, penalty):
        d = toy_data()
        ref = toy_sweep("L2")                    # lambda = 0 is the same run for both
        gs = fig.add_gridspec(1, 2, width_ratios=(1.0, 1.1))
        ax, ax2 = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
        self.image = ax.imshow(np.full((_GRID, _GRID), 0.5), extent=TOY_BOX, origin="lower",
                               cmap=_REGION_CMAP, vmin=0.0, vmax=1.0, aspect="auto",
                               interpolation="bilinear", zorder=0)
        self.contour = LineCollection([], colors="#222222", linewidths=1.6, zorder=2)
        ax.add_collection(self.contour)
        points = []
        for c in (0, 1):
            keep = d.y == c
            points.append(ax.scatter(d.X[keep, 0], d.X[keep, 1], s=30, color=COLORS[c],
                                     marker=MARKERS[c], edgecolors="white", linewidths=0.7,
                                     zorder=3, label=f"class {c}"))
        ax.set_xlim(TOY_BOX[0], TOY_BOX[1])
        ax.set_ylim(TOY_BOX[2], TOY_BOX[3])
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.grid(False)
        ax.set_title("Decision regions", fontsize=11)
        self.errors = ax.text(0.03, 0.03, "", transform=ax.transAxes, fontsize=10,
                              va="bottom", ha="left", zorder=5,
                              bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="none",
                                        alpha=0.85))

        ax2.plot(ref.steps, ref.val_loss[0], color="#777777", ls="--", lw=1.5, zorder=1.5,
                 label="validation, λ = 0")
        self.train_line, = ax2.plot([], [], color=COLORS[0], lw=2, zorder=3, label="training")
        self.val_line, = ax2.plot([], [], color=COLORS[1], lw=2, zorder=3, label="validation")
        self.best, = ax2.plot([], [], "o", color=COLORS[1], ms=6, mec="white", zorder=4)
        ax2.set_xlim(0, TOY_STEPS)
        ax2.set_ylim(*LOSS_YLIM)
        ax2.set_xlabel("gradient step (full batch)")
        ax2.set_ylabel("cross-entropy loss")
        ax2.set_title("Loss during training", fontsize=11)
        # the legend is static: no curve of any run reaches its corner (tests check it)
        self.legend = ax2.legend(loc="upper left", fontsize=10)
        self.title = fig.suptitle(" ", fontsize=11.5, x=0.01, ha="left")
        self.ax, self.ax2 = ax, ax2
        self.animate(self.image, self.contour, *points, *ax.spines.values(), self.errors,
                     self.train_line, self.val_line, self.best, self.title)

    def _stats(self, lam, penalty):
        runs = toy_sweep(penalty)
        k = _lam_index(lam)
        w = toy_weights(runs, k)
        best = int(np.argmin(runs.val_loss[k]))
        return runs, k, w, best

    def update(self, lam, penalty):
        runs, k, w, best = self._stats(lam, penalty)
        self.image.set_data(toy_probabilities(penalty, lam))
        self.contour.set_segments(_boundary_segments(penalty, lam))
        self.errors.set_text(f"training error {runs.train_err[k]:.0%}\n"
                             f"validation error {runs.val_err[k]:.1%}")
        self.train_line.set_data(runs.steps, runs.train_loss[k])
        self.val_line.set_data(runs.steps, runs.val_loss[k])
        self.best.set_data([runs.steps[best]], [runs.val_loss[k, best]])
        name = "no penalty" if lam == 0 else f"{penalty} penalty, λ = {_lam_text(lam)}"
        self.title.set_text(f"{name}: ‖W‖ = {np.linalg.norm(w):.2g}, "
                            f"{_near_zero(w):.0%} of the weights within 0.01 of zero")

    def describe(self, lam, penalty):
        runs, k, w, best = self._stats(lam, penalty)
        name = "No penalty" if lam == 0 else f"{penalty} penalty with λ = {_lam_text(lam)}"
        return (f"{name}: a 2-64-1 ReLU network trained on 40 noisy moons points reaches a "
                f"training error of {runs.train_err[k]:.0%} and a validation error of "
                f"{runs.val_err[k]:.1%} (without a penalty: {runs.val_err[0]:.1%}). Its "
                f"validation loss is lowest at step {runs.steps[best]} "
                f"({runs.val_loss[k, best]:.2f}) and ends at {runs.val_loss[k, -1]:.2f} "
                f"(without a penalty: {runs.val_loss[0, -1]:.2f}). The weights have norm "
                f"{np.linalg.norm(w):.2g}, and {_near_zero(w):.0%} of them are within 0.01 "
                f"of zero.")


def penalty_experiment() -> live.Experiment:
    """The chapter's interactive experiment: :class:`PenaltyFigure` with its controls."""
    return live.Experiment(
        "penalty-strength", PenaltyFigure(),
        title="How strong a penalty? Decision regions and losses against λ",
        caption=("A 2-64-1 ReLU network trained by full-batch gradient descent on 40 noisy "
                 "points, with the penalty on its weights; the dashed grey curve is the "
                 "validation loss without a penalty. Every setting was trained in advance."),
        controls=dict(lam=live.LogSlider(_LAMBDA_SLIDER.lo, _LAMBDA_SLIDER.hi,
                                          per_decade=_LAMBDA_SLIDER.per_decade,
                                          value=_LAMBDA_SLIDER.value, label="λ"),
                      penalty=live.Choice([("L2: (λ/2)‖W‖²", "L2"), ("L1: λ Σ|W|", "L1")],
                                          "L2", label="penalty")))


def draw_penalty_figure(lam, penalty="L2") -> Figure:
    """:class:`PenaltyFigure` for one setting, at full size (the chapter's opening figure).

    Parameters
    ----------
    lam : float
        0 or one of :data:`LAMBDAS`.
    penalty : {"L2", "L1"}

    Returns
    -------
    Figure
    """
    _lam_index(lam)
    if penalty not in PENALTIES:
        raise ValueError(f"draw_penalty_figure: expected penalty 'L2' or 'L1', got {penalty!r}.")
    live_fig = PenaltyFigure()
    fig = plt.figure(figsize=live_fig.size, layout="constrained")
    live_fig.build(fig, lam=lam, penalty=penalty)
    live_fig.update(lam=lam, penalty=penalty)
    for a in live_fig.animated_artists():
        a.set_animated(False)
    return fig


def draw_penalty_panels(settings, titles=None) -> Figure:
    """The static version of the experiment: :class:`PenaltyFigure` for a few settings.

    Parameters
    ----------
    settings : sequence of dict
        Each ``{"lam": ..., "penalty": ...}``; lam is 0 or one of :data:`LAMBDAS`.
    titles : sequence of str, optional
        A title above each panel.

    Returns
    -------
    Figure
    """
    settings = [dict(s) for s in settings]
    for s in settings:
        if set(s) != {"lam", "penalty"}:
            raise ValueError(f"draw_penalty_panels: expected settings with the keys 'lam' and "
                             f"'penalty', got {sorted(s)}.")
        _lam_index(s["lam"])
    return live.small_multiples(PenaltyFigure(), settings, ncols=1, titles=titles)



# --------------------------------------------------------------------------------------------
# overfitting as capacity grows
# --------------------------------------------------------------------------------------------
class CapacitySweep(NamedTuple):
    """Toy networks of several widths trained without a penalty (:func:`capacity_sweep`).

    Attributes
    ----------
    widths : ndarray of shape (n,)
    train_err, val_err, train_loss, val_loss : ndarray of shape (n, seeds)
        At the end of training, one column per initialisation.
    """

    widths: np.ndarray
    train_err: np.ndarray
    val_err: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray


def capacity_sweep(widths=(1, 2, 4, 8, 16, 32, 64, 128, 256), seeds=5,
                   steps=TOY_STEPS) -> CapacitySweep:
    """Train 2-H-1 ReLU networks of each width H on the toy problem, without a penalty.

    Each width is trained from ``seeds`` initialisations (seeds 0, 1, ...) by
    :func:`train_toy` (full-batch SGD, lr 0.1, momentum 0.9).

    Examples
    --------
    >>> s = capacity_sweep(widths=(1, 16), seeds=2, steps=300)
    >>> s.train_err.shape, bool(s.train_err[1].mean() <= s.train_err[0].mean())
    ((2, 2), True)
    """
    widths = [check_int(w, "capacity_sweep", "every width", minimum=1) for w in widths]
    seeds = check_int(seeds, "capacity_sweep", "seeds", minimum=1)
    rows = []
    for h in widths:
        runs = train_toy(np.zeros(seeds), "L2", hidden=h, steps=steps, seeds=range(seeds),
                         every=steps)
        rows.append((runs.train_err, runs.val_err, runs.train_loss[:, -1], runs.val_loss[:, -1]))
    cols = [np.array(c) for c in zip(*rows, strict=True)]
    return CapacitySweep(np.array(widths), *cols)


def draw_capacity(sweep: CapacitySweep) -> Figure:
    """(a) Training and validation error against the width; (b) the same for the loss.

    Lines are the means over the initialisations, bands their range.
    """
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 3.4), layout="constrained")
    w = sweep.widths
    for ax, (tr, va, what) in zip(axes, ((sweep.train_err, sweep.val_err, "error rate"),
                                         (sweep.train_loss, sweep.val_loss,
                                          "cross-entropy loss")), strict=True):
        for values, color, label, marker in ((tr, COLORS[0], "training", "o"),
                                             (va, COLORS[1], "validation", "s")):
            ax.fill_between(w, values.min(axis=1), values.max(axis=1), color=color,
                            alpha=0.2, lw=0)
            ax.plot(w, values.mean(axis=1), marker=marker, color=color, label=label)
        ax.set_xscale("log", base=2)
        ax.set_xticks(w, [str(v) for v in w])
        ax.minorticks_off()
        ax.set_xlabel("hidden units $H$ (log scale)")
        ax.set_ylabel(what)
        ax.set_ylim(bottom=0)
    axes[0].yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    axes[0].set_title("(a) Error: training falls to 0", fontsize=11)
    axes[1].set_title("(b) Loss: validation keeps rising", fontsize=11)
    axes[0].legend(loc="center right")
    fig.suptitle("More capacity fits the training points better, the new points worse")
    return fig


# --------------------------------------------------------------------------------------------
# the one-dimensional solutions, and early stopping on a quadratic
# --------------------------------------------------------------------------------------------
def soft_threshold(v, t):
    """The L1 solution: sign(v) max(|v| - t, 0), element-wise.

    It minimises (1/2)(w - v)^2 + t |w| over w (t >= 0): values with |v| <= t become
    exactly 0, the others move t towards zero.

    Examples
    --------
    >>> soft_threshold(np.array([-2.0, -0.3, 0.5, 3.0]), 1.0).tolist()
    [-1.0, -0.0, 0.0, 2.0]
    """
    t = check_nonnegative(t, "soft_threshold", "t")
    v = np.asarray(v, dtype=np.float64)
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def shrink(v, t):
    """The L2 solution: v / (1 + t), element-wise; it minimises (1/2)(w - v)^2 + (t/2) w^2.

    Examples
    --------
    >>> shrink(np.array([-2.0, 0.5]), 1.0).tolist()
    [-1.0, 0.25]
    """
    t = check_nonnegative(t, "shrink", "t")
    return np.asarray(v, dtype=np.float64) / (1.0 + t)


def gd_filter(h, eta, t):
    """How much of w* gradient descent from 0 has reached after t steps, per eigenvalue h.

    On L(w) = (1/2)(w - w*)^T H (w - w*), the component of w_t along an eigenvector of H with
    eigenvalue h is 1 - (1 - eta h)^t times that of w*.
    """
    h = np.asarray(h, dtype=np.float64)
    return 1.0 - (1.0 - eta * h) ** t


def ridge_filter(h, lam):
    """The same for the L2 solution argmin L(w) + (lam/2)||w||^2: h / (h + lam)."""
    h = np.asarray(h, dtype=np.float64)
    return h / (h + lam)


def decay_factor(lam, lr, momentum, steps) -> float:
    """What weight decay alone does to a weight in ``steps`` SGD steps: w_T / w_0.

    With no gradient from the loss, SGD with momentum mu and weight decay lambda runs
    b <- mu b + lambda w (b = lambda w at the first step), w <- w - lr b: a linear recursion,
    so every such weight is multiplied by the same factor.

    Examples
    --------
    >>> round(decay_factor(0.01, 0.1, 0.0, 10), 6) == round(0.999 ** 10, 6)   # no momentum
    True
    """
    w, b = 1.0, None
    for _ in range(check_int(steps, "decay_factor", "steps", minimum=0)):
        b = lam * w if b is None else momentum * b + lam * w
        w -= lr * b
    return w


def l1_travel(lam, lr, momentum, steps) -> float:
    """How far the L1 penalty alone moves a weight towards zero in ``steps`` SGD steps.

    While the weight keeps its sign, the gradient is the constant lambda sign(w), so every
    such weight moves by the same distance, lr * sum_t b_t with b_t = mu b_(t-1) + lambda.

    Examples
    --------
    >>> round(l1_travel(0.01, 0.1, 0.0, 10), 12)       # no momentum: 10 steps of 0.001
    0.01
    """
    travel, b = 0.0, None
    for _ in range(check_int(steps, "l1_travel", "steps", minimum=0)):
        b = lam if b is None else momentum * b + lam
        travel += lr * b
    return travel


class EarlyStoppingVsRidge(NamedTuple):
    """What :func:`early_stopping_vs_ridge` measured on a linear least-squares problem."""

    h: np.ndarray            # eigenvalues of the Hessian H = X^T X / m
    w_star: np.ndarray       # the unregularised minimiser
    w_gd: np.ndarray         # gradient descent from 0, after t steps
    w_ridge: np.ndarray      # the L2 solution with lambda = 1 / (eta t)
    f_gd: np.ndarray         # per eigenvector: component of w_gd / component of w_star
    f_ridge: np.ndarray      # the same for w_ridge
    eta: float
    t: int
    lam: float


def early_stopping_vs_ridge(m=200, d=20, t=50, seed=0) -> EarlyStoppingVsRidge:
    """Gradient descent stopped after t steps against L2 with lambda = 1 / (eta t).

    Linear least squares L(w) = (1/(2m)) ||X w - y||^2 with correlated features (so that
    the Hessian H = X^T X / m has eigenvalues spread over several orders of magnitude), step
    eta = 1 / h_max. Both solutions are expressed in the eigenvectors of H.

    Examples
    --------
    >>> r = early_stopping_vs_ridge()
    >>> bool(np.all(r.f_ridge <= r.f_gd + 1e-12) and np.all(r.f_gd <= 2 * r.f_ridge))
    True
    """
    m = check_int(m, "early_stopping_vs_ridge", "m", minimum=2)
    d = check_int(d, "early_stopping_vs_ridge", "d", minimum=1)
    t = check_int(t, "early_stopping_vs_ridge", "t", minimum=1)
    rng = make_rng(seed, "early_stopping_vs_ridge")
    scales = np.logspace(0, -2, d)                      # feature scales 1 ... 0.01
    X = rng.normal(size=(m, d)) * scales
    y = X @ rng.normal(size=d) + 0.5 * rng.normal(size=m)
    H = X.T @ X / m
    h, U = np.linalg.eigh(H)
    eta = 1.0 / h.max()
    w_star = np.linalg.solve(H, X.T @ y / m)
    w = np.zeros(d)
    for _ in range(t):                                  # gradient descent from 0
        w -= eta * (X.T @ (X @ w - y) / m)
    lam = 1.0 / (eta * t)
    w_ridge = np.linalg.solve(H + lam * np.eye(d), X.T @ y / m)
    c_star = U.T @ w_star
    return EarlyStoppingVsRidge(h, w_star, w, w_ridge, (U.T @ w) / c_star,
                                (U.T @ w_ridge) / c_star, eta, t, lam)


# --------------------------------------------------------------------------------------------
# the digits: a small training set and its augmentations
# --------------------------------------------------------------------------------------------
class DigitsSplit(NamedTuple):
    """The chapter's digits: 180 training images, 539 for validation, 1,078 for testing."""

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@functools.lru_cache(maxsize=1)
def _digits_split():
    X, y = digits()
    parts = DigitsSplit(*train_val_test_split(X, y, (0.1, 0.3, 0.6), rng=0))
    for a in parts:
        a.setflags(write=False)
    return parts


def digits_split() -> DigitsSplit:
    """The 8x8 digits split 10% / 30% / 60% (stratified, seed 0), pixels in [0, 1].

    A deliberately small training set: 180 images, 18 of each digit (read-only arrays).

    Examples
    --------
    >>> s = digits_split()
    >>> len(s.X), len(s.X_val), len(s.X_test), np.bincount(s.y).tolist()[:3]
    (180, 539, 1078, [18, 18, 18])
    """
    return _digits_split()


def _images(X, where):
    X = as_array(X, where, name="X")
    if X.ndim != 2 or X.shape[1] != 64:
        raise ValueError(f"{where}: expected X of shape (m, 64), 8x8 images flattened row by "
                         f"row, got shape {X.shape}.")
    return X.reshape(-1, 8, 8)


def shift_images(X, dx, dy):
    """Move 8x8 images dx pixels right and dy pixels down, filling with 0 (blank).

    Parameters
    ----------
    X : array_like of shape (m, 64)
    dx, dy : int or array of shape (m,)
        Shifts per image, each between -8 and 8.

    Returns
    -------
    ndarray of shape (m, 64)

    Examples
    --------
    >>> img = np.zeros((1, 64)); img[0, 8 * 2 + 3] = 1.0       # row 2, column 3
    >>> int(np.flatnonzero(shift_images(img, 1, -1))[0])       # row 1, column 4
    12
    """
    imgs = _images(X, "shift_images")
    m = len(imgs)
    dx = np.broadcast_to(np.asarray(dx, dtype=np.int64), (m,))
    dy = np.broadcast_to(np.asarray(dy, dtype=np.int64), (m,))
    if np.abs(dx).max(initial=0) > 8 or np.abs(dy).max(initial=0) > 8:
        raise ValueError("shift_images: expected shifts between -8 and 8 pixels.")
    padded = np.pad(imgs, ((0, 0), (8, 8), (8, 8)))
    rows = 8 - dy[:, None] + np.arange(8)               # the source row of each target row
    cols = 8 - dx[:, None] + np.arange(8)
    out = padded[np.arange(m)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return out.reshape(m, 64)


def rotate_images(X, degrees):
    """Rotate 8x8 images about their centre, anticlockwise by ``degrees``, bilinearly.

    Each output pixel takes the value at the point that the rotation carries onto it,
    interpolated from the four nearest input pixels (0 outside the image).

    Parameters
    ----------
    X : array_like of shape (m, 64)
    degrees : float or array of shape (m,)

    Returns
    -------
    ndarray of shape (m, 64)

    Examples
    --------
    >>> img = np.zeros((1, 64)); img[0, 8 * 3 + 7] = 1.0       # right edge, row 3
    >>> out = rotate_images(img, 90.0).reshape(8, 8)          # anticlockwise: to the top
    >>> int(out.argmax() // 8), int(out.argmax() % 8)
    (0, 3)
    """
    imgs = _images(X, "rotate_images")
    m = len(imgs)
    theta = np.deg2rad(np.broadcast_to(np.asarray(degrees, dtype=np.float64), (m,)))
    c = 3.5                                             # the centre, between pixels 3 and 4
    rows, cols = np.meshgrid(np.arange(8.0), np.arange(8.0), indexing="ij")
    x, yv = cols - c, c - rows                          # target pixel, y pointing up
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    src_x = cos * x + sin * yv                          # rotate back by -theta
    src_y = -sin * x + cos * yv
    src_r, src_c = c - src_y, src_x + c
    r0, c0 = np.floor(src_r).astype(np.int64), np.floor(src_c).astype(np.int64)
    fr, fc = src_r - r0, src_c - c0
    padded = np.pad(imgs, ((0, 0), (2, 3), (2, 3)))     # zeros around: outside the image
    k = np.arange(m)[:, None, None]

    def at(r, cc):
        return padded[k, np.clip(r + 2, 0, 12), np.clip(cc + 2, 0, 12)]

    out = ((1 - fr) * (1 - fc) * at(r0, c0) + (1 - fr) * fc * at(r0, c0 + 1)
           + fr * (1 - fc) * at(r0 + 1, c0) + fr * fc * at(r0 + 1, c0 + 1))
    return out.reshape(m, 64)


def augment(X, rng, max_shift=1, max_degrees=10.0, noise_std=0.0):
    """A random new version of every image: a rotation, a shift, and optionally noise.

    Each image is rotated by an angle drawn uniformly from [-max_degrees, max_degrees],
    shifted by whole pixels dx, dy drawn uniformly from {-max_shift, ..., max_shift}, and
    given Gaussian noise of std ``noise_std``; pixels are clipped to [0, 1].

    Examples
    --------
    >>> s = digits_split()
    >>> out = augment(s.X[:5], np.random.default_rng(0))
    >>> out.shape, bool(np.all((out >= 0) & (out <= 1)))
    ((5, 64), True)
    """
    rng = make_rng(rng, "augment")
    X = as_array(X, "augment", name="X")
    m = len(X)
    out = X
    if max_degrees:
        out = rotate_images(out, rng.uniform(-max_degrees, max_degrees, m))
    if max_shift:
        out = shift_images(out, rng.integers(-max_shift, max_shift + 1, m),
                           rng.integers(-max_shift, max_shift + 1, m))
    if noise_std:
        out = out + rng.normal(0.0, noise_std, out.shape)
    return np.clip(out, 0.0, 1.0)


def draw_augmentations(X, rng, n=7) -> Figure:
    """One digit and ``n`` random augmentations of it (shift, rotation, noise), in a row."""
    rng = make_rng(rng, "draw_augmentations")
    x = as_array(X, "draw_augmentations", name="X").reshape(1, 64)
    versions = [("original", x[0])]
    versions += [("shifted", shift_images(x, 1, 0)[0]), ("shifted", shift_images(x, -1, 1)[0]),
                 ("rotated 10°", rotate_images(x, 10.0)[0]),
                 ("rotated -10°", rotate_images(x, -10.0)[0]),
                 ("noise, std 0.1", np.clip(x[0] + rng.normal(0, 0.1, 64), 0, 1))]
    versions += [("random", augment(x, rng, noise_std=0.0)[0]) for _ in range(max(0, n - 5))]
    fig, axes = plt.subplots(1, len(versions), figsize=(7.4, 1.75), layout="constrained")
    for ax, (label, img) in zip(axes, versions, strict=True):
        ax.imshow(img.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(label, fontsize=10)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.suptitle("One training image, and new training images made from it")
    return fig


# --------------------------------------------------------------------------------------------
# regularising a wide MLP on 180 digits
# --------------------------------------------------------------------------------------------
def fit_augmented(model, loss_fn, optimizer, X, y, epochs, augment_fn=None, batch_size=32,
                  validation=None, callbacks=(), rng=None) -> History:
    """Minibatch training with a fresh augmentation of the training set every epoch.

    ``nnlib.train.fit`` trains on fixed arrays; this loop calls ``augment_fn(X, rng)`` at
    the start of every epoch and runs :func:`nnlib.train.train_epoch` on the result, then
    evaluates the validation set (evaluation mode) and runs the callbacks, such as
    :class:`nnlib.train.EarlyStopping`, exactly as ``fit`` does.

    Returns
    -------
    History
        ``train_loss`` (the running mean over the epoch's minibatches of augmented images),
        ``val_loss``, ``val_acc``, ``best_epoch`` and ``stopped_early``.
    """
    rng = make_rng(rng, "fit_augmented")
    epochs = check_int(epochs, "fit_augmented", "epochs", minimum=1)
    history = History()
    history.classification = True
    for cb in callbacks:
        cb.on_train_begin(history, model)
    for epoch in range(1, epochs + 1):
        X_epoch = augment_fn(X, rng) if augment_fn is not None else X
        result = train_epoch(model, loss_fn, optimizer,
                             iterate_minibatches(X_epoch, y, batch_size, rng=rng))
        history.train_loss.append(result.loss)
        if validation is not None:
            model.eval()
            out = model(validation[0])
            model.train()
            history.val_loss.append(float(loss_fn(out, validation[1])))
            history.val_acc.append(accuracy(out, validation[1]))
        stop = any([cb.on_epoch_end(epoch, history, model) for cb in callbacks])
        if stop and epoch < epochs:
            history.stopped_early = True
            history.stop_reason = f"stopped after epoch {epoch} by a callback"
            break
    for cb in callbacks:
        cb.on_train_end(history, model)
    if history.best_epoch is None and history.val_loss:
        history.best_epoch = int(np.argmin(history.val_loss)) + 1
    return history


#: The wide MLP of the digits experiments: 64 inputs, 256 ReLU units, 10 outputs.
DIGITS_SIZES = (64, 256, 10)
#: Its training: SGD with momentum, minibatches of 32, at most DIGITS_EPOCHS epochs.
DIGITS_LR, DIGITS_MOMENTUM, DIGITS_BATCH, DIGITS_EPOCHS = 0.05, 0.9, 32, 200
#: The regularisers compared on the digits: weight decay lambda (weights only), the L1
#: strength, early stopping's patience (None: train every epoch) and augmentation.
DIGITS_CONFIGS = {
    "none": dict(weight_decay=0.0, l1=0.0, patience=None, augment=False),
    "L2": dict(weight_decay=3e-3, l1=0.0, patience=None, augment=False),
    "L1": dict(weight_decay=0.0, l1=3e-4, patience=None, augment=False),
    "early stopping": dict(weight_decay=0.0, l1=0.0, patience=20, augment=False),
    "augmentation": dict(weight_decay=0.0, l1=0.0, patience=None, augment=True),
    "L2 + augmentation": dict(weight_decay=3e-3, l1=0.0, patience=None, augment=True),
}


class DigitsRun(NamedTuple):
    """One training run of :func:`train_digits`.

    Attributes
    ----------
    config : str
    seed : int
    history : History
    model : Sequential
        The trained network (with early stopping: the restored best weights).
    weight_norms : ndarray of shape (epochs,)
        ||W|| of all weight matrices together after each epoch.
    val_err, val_loss, test_err, test_loss : float
        Of the returned model.
    """

    config: str
    seed: int
    history: History
    model: Module
    weight_norms: np.ndarray
    val_err: float
    val_loss: float
    test_err: float
    test_loss: float


def _weights(model):
    return [p for p in model.parameters() if p.data.ndim >= 2]


def _augment32(X, rng):
    """:func:`augment` with its defaults, in float32 (the digits networks' dtype)."""
    return augment(X, rng).astype(np.float32)


class _NormRecorder(Callback):
    """Records ||W|| of all weight matrices together after every epoch."""

    def __init__(self, model):
        self.weights = _weights(model)
        self.norms = []

    def on_epoch_end(self, epoch, history, model):
        self.norms.append(math.sqrt(sum(float(np.sum(w.data ** 2)) for w in self.weights)))
        return False


@functools.lru_cache(maxsize=32)
def _train_digits(config, seed, epochs):
    options = DIGITS_CONFIGS[config]
    s = digits_split()
    X, X_val, X_test = (a.astype(np.float32) for a in (s.X, s.X_val, s.X_test))
    net = mlp(list(DIGITS_SIZES), "relu", rng=seed, dtype=np.float32)
    opt = SGD(decay_groups(net, options["weight_decay"]), lr=DIGITS_LR,
              momentum=DIGITS_MOMENTUM)
    if options["l1"]:
        opt = L1Penalty(opt, _weights(net), options["l1"])
    recorder = _NormRecorder(net)
    callbacks = [recorder]
    curves = seed == 0 or options["patience"] is not None
    if options["patience"] is not None:
        callbacks.append(EarlyStopping(patience=options["patience"], restore_best=True))
    loss_fn = CrossEntropyLoss()
    with one_blas_thread():
        history = fit_augmented(net, loss_fn, opt, X, s.y, epochs,
                                augment_fn=_augment32 if options["augment"] else None,
                                batch_size=DIGITS_BATCH,
                                validation=(X_val, s.y_val) if curves else None,
                                callbacks=callbacks, rng=seed)
        net.eval()
        out_val, out_test = net(X_val), net(X_test)
    return DigitsRun(config, seed, history, net, np.array(recorder.norms),
                     1.0 - accuracy(out_val, s.y_val), float(loss_fn(out_val, s.y_val)),
                     1.0 - accuracy(out_test, s.y_test), float(loss_fn(out_test, s.y_test)))


def train_digits(config="none", seed=0, epochs=DIGITS_EPOCHS) -> DigitsRun:
    """Train the wide MLP 64-256-10 on the 180 training digits with one of the regularisers.

    Every run uses float32 weights, SGD (lr 0.05, momentum 0.9), minibatches of 32 and the
    cross-entropy loss; :data:`DIGITS_CONFIGS` says what each configuration adds. The
    validation loss and accuracy are recorded after every epoch for seed 0 and for early
    stopping (which needs them); other runs are evaluated once, at the end, which saves
    about a third of the time. Results are cached (the same call returns the same run; do
    not train its model further).

    Parameters
    ----------
    config : str
        A key of :data:`DIGITS_CONFIGS`.
    seed : int
        Seed of the initial weights, the minibatch order and the augmentations.
    epochs : int
        Epochs (early stopping may end training sooner).

    Returns
    -------
    DigitsRun
    """
    if config not in DIGITS_CONFIGS:
        raise ValueError(f"train_digits: expected config to be one of {list(DIGITS_CONFIGS)}, "
                         f"got {config!r}.")
    seed = check_int(seed, "train_digits", "seed", minimum=0)
    epochs = check_int(epochs, "train_digits", "epochs", minimum=1)
    return _train_digits(config, seed, epochs)


def digits_table(configs=tuple(DIGITS_CONFIGS), seeds=(0, 1, 2), epochs=DIGITS_EPOCHS) -> dict:
    """Test error, test loss and validation error of each configuration, one per seed.

    Returns
    -------
    dict of str -> dict of str -> ndarray of shape (len(seeds),)
        ``table[config]["test_err"]`` etc., and ``"epochs"`` (epochs trained).
    """
    table = {}
    for name in configs:
        runs = [train_digits(name, s, epochs) for s in seeds]
        table[name] = {key: np.array([getattr(r, key) for r in runs])
                       for key in ("test_err", "test_loss", "val_err", "val_loss")}
        table[name]["epochs"] = np.array([r.history.epochs for r in runs])
    return table



def draw_weight_histograms(runs, tol=1e-3) -> Figure:
    """Histograms of the first layer's weights of a few trained digits networks, side by side.

    Parameters
    ----------
    runs : sequence of DigitsRun
        One panel each (e.g. no penalty, L2 and L1), titled by its configuration.
    tol : float
        Weights with |w| < tol are counted as zero in each panel's note.

    Returns
    -------
    Figure
    """
    runs = list(runs)
    fig, axes = plt.subplots(1, len(runs), figsize=(7.4, 2.9), sharey=True,
                             layout="constrained")
    axes = np.atleast_1d(axes)
    weights = [r.model[0].weight.data.ravel() for r in runs]
    reach = max(float(np.abs(w).max()) for w in weights)
    bins = np.linspace(-reach, reach, 61)
    for k, (ax, run, w) in enumerate(zip(axes, runs, weights, strict=True)):
        ax.hist(w, bins=bins, color=("#555555", COLORS[0], COLORS[2])[k % 3])
        ax.set_yscale("log")
        ax.set_xlabel("weight $W^{(1)}_{jk}$")
        name = {"none": "no penalty"}.get(run.config, run.config)
        ax.set_title(f"{name}: ‖W‖ = {np.linalg.norm(w):.1f}\n"
                     f"{np.mean(np.abs(w) < tol):.0%} with |w| < {tol:g}", fontsize=10.5)
    axes[0].set_ylabel("number of weights (log scale)")
    fig.suptitle("First-layer weights of the 64-256-10 network after training")
    return fig


def draw_early_stopping(full: DigitsRun, stopped: DigitsRun,
                        patience=DIGITS_CONFIGS["early stopping"]["patience"]) -> Figure:
    """(a) Losses of a run without stopping, with where early stopping stopped and what it
    kept; (b) the norm of the weights, epoch by epoch."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(7.4, 3.3), layout="constrained")
    h = full.history
    epochs = np.arange(1, h.epochs + 1)
    best, stop = stopped.history.best_epoch, stopped.history.epochs
    ax.plot(epochs, h.train_loss, color=COLORS[0], label="training")
    ax.plot(epochs, h.val_loss, color=COLORS[1], label="validation")
    ax.axvline(best, color="#555555", ls=":", lw=1.5)
    ax.axvline(stop, color=COLORS[3], ls="--", lw=1.5)
    ax.annotate(f"best: {best}", (best, 1.0), xytext=(-4, 0), textcoords="offset points",
                ha="right", fontsize=10, color="#333333")
    ax.annotate(f"stop: {stop}", (stop, 1.0), xytext=(4, 0), textcoords="offset points",
                ha="left", fontsize=10, color=COLORS[3])
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss (log scale)")
    ax.set_title(f"(a) Patience {patience}, best weights kept", fontsize=11)
    ax.legend(loc="lower left")
    ax2.plot(epochs, full.weight_norms, color=COLORS[2])
    ax2.axvline(best, color="#555555", ls=":", lw=1.5)
    ax2.axvline(stop, color=COLORS[3], ls="--", lw=1.5)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("‖W‖ (all weight matrices)")
    ax2.set_title("(b) The weights keep growing", fontsize=11)
    fig.suptitle("Early stopping ends training once the validation loss stops improving")
    return fig


# --------------------------------------------------------------------------------------------
# compression: pruning and quantisation
# --------------------------------------------------------------------------------------------
def prune(model: Module, fraction: float) -> Module:
    """A copy of ``model`` with the smallest ``fraction`` of each weight matrix set to 0.

    Magnitude pruning, layer by layer: in every parameter with two or more dimensions, the
    entries with the smallest |w| are zeroed; biases are kept.

    Examples
    --------
    >>> net = prune(mlp([4, 5, 2], rng=0), 0.5)
    >>> [float(np.mean(p.data == 0)) for p in net.parameters() if p.data.ndim == 2]
    [0.5, 0.5]
    """
    import copy

    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"prune: expected a fraction between 0 and 1, got {fraction}.")
    out = copy.deepcopy(model)
    for p in _weights(out):
        k = int(round(fraction * p.data.size))
        if k:
            smallest = np.argsort(np.abs(p.data), axis=None, kind="stable")[:k]
            np.put(p.data, smallest, 0.0)
    return out


def quantise(model: Module, bits: int = 8) -> Module:
    """A copy of ``model`` whose weight matrices take only 2^bits - 1 values each.

    Symmetric uniform quantisation per matrix: w -> s round(w / s) with the step
    s = max|w| / (2^(bits - 1) - 1), so 8 bits store each weight as an integer from -127
    to 127 and one float s per matrix. Biases are kept.

    Examples
    --------
    >>> net = quantise(mlp([4, 5, 2], rng=0), bits=2)      # steps of max|w|: -s, 0, s
    >>> [len(np.unique(p.data)) <= 3 for p in net.parameters() if p.data.ndim == 2]
    [True, True]
    """
    import copy

    bits = check_int(bits, "quantise", "bits", minimum=2)
    out = copy.deepcopy(model)
    for p in _weights(out):
        top = float(np.abs(p.data).max())
        if top > 0:
            step = top / (2 ** (bits - 1) - 1)
            p.data[...] = step * np.round(p.data / step)
    return out


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks enumerate them).
EXPERIMENTS = (penalty_experiment,)
