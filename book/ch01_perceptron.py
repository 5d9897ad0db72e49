"""Experiments of Chapter 1 (Linear models and the perceptron), as plain functions.

Every figure of the chapter is drawn by a ``draw_*`` function here that returns a matplotlib
Figure. The same function makes the static small-multiples figure of the web page and is the
callback of the chapter's slider (``nnlib.widgets.interactive``), so it can be timed and tested
without a widget. The expensive part, training perceptrons on many data sets, is done once and
cached (:func:`margin_sweep`, :func:`history_problem`), so a slider callback only draws.

Contents

- :func:`circle_features`, :func:`feature_lift`, :func:`draw_feature_lift`: the hand-made
  feature x1^2 + x2^2 that makes two concentric circles linearly separable.
- :func:`history_problem`, :func:`draw_boundary_history`, :func:`draw_boundary_steps`: the
  perceptron's boundary after each update, and the point that caused it.
- :data:`MARGINS`, :func:`margin_sweep`, :func:`nearest_margin`, :func:`margin_table`,
  :func:`draw_mistakes_vs_bound`, :func:`draw_bound_curve`, :func:`draw_margin_panels`: the
  number of mistakes against
  Novikoff's bound (R / gamma)^2 over a grid of margins.
- :func:`update_factors`, :func:`draw_update_factors`: how much the perceptron rule and the
  gradient of the sigmoid neuron move the weights, as a function of the pre-activation z.
- :func:`xor_run`, :func:`draw_xor_cycle`: the perceptron cycling for ever on XOR.
"""

from __future__ import annotations

import functools
import html
import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from nnlib._checks import as_array, check_int, check_ndim, check_positive
from nnlib.data import circles, linearly_separable, xor
from nnlib.functional import sigmoid, sigmoid_grad
from nnlib.perceptron import Perceptron, PerceptronHistory, novikoff_bound, radius
from nnlib.perceptron import margin as geometric_margin
from nnlib.plot import COLORS, MARKERS

__all__ = [
    "circle_features", "LiftResult", "feature_lift", "draw_feature_lift",
    "HistoryProblem", "history_problem", "draw_boundary_history", "draw_boundary_steps",
    "MARGINS", "MarginSweep", "margin_sweep", "nearest_margin", "margin_table",
    "table_html", "draw_mistakes_vs_bound", "draw_bound_curve", "draw_margin_panels",
    "update_factors", "draw_update_factors",
    "xor_run", "draw_xor_cycle",
]

#: The grid of data margins gamma_0 of the margin experiment: 10^-2, 10^-1.9, ..., 10^-0.3
#: (18 values from 0.01 to about 0.5), ten per decade like ``widgets.log_slider``.
MARGINS = tuple(float(10.0 ** (e / 10.0)) for e in range(-20, -2))

_HIGHLIGHT = COLORS[3]   # vermillion: the point that caused an update
_PLANE = COLORS[2]       # bluish green: the hyperplane that generated the data
_GREY = "#777777"


# --------------------------------------------------------------------------------------------
# drawing helpers
# --------------------------------------------------------------------------------------------
def _limits(X, pad=0.08):
    """Axis limits around the rows of X (m, 2), with ``pad`` of the range on each side."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return (lo[0] - pad * span[0], hi[0] + pad * span[0]), (lo[1] - pad * span[1],
                                                              hi[1] + pad * span[1])


def _clip_polygon(poly, w, b):
    """The part of a convex polygon (k, 2) where w.x + b > 0 (one Sutherland-Hodgman step)."""
    f = poly @ w + b
    out = []
    k = len(poly)
    for i in range(k):
        j = (i + 1) % k
        if f[i] > 0:
            out.append(poly[i])
        if (f[i] > 0) != (f[j] > 0):
            t = f[i] / (f[i] - f[j])
            out.append(poly[i] + t * (poly[j] - poly[i]))
    return np.array(out).reshape(-1, 2)


def _halfplane(w, b, xlim, ylim):
    """Corners of the part of the box xlim x ylim where w.x + b > 0, shape (k, 2); k = 0
    when the half-plane misses the box."""
    box = np.array([[xlim[0], ylim[0]], [xlim[1], ylim[0]], [xlim[1], ylim[1]],
                    [xlim[0], ylim[1]]])
    return _clip_polygon(box, w, b)


def _shade(ax, w, b, xlim, ylim, alpha=0.16):
    """Colour the box by the perceptron's prediction: class 1 where w.x + b > 0, else 0."""
    ax.fill([xlim[0], xlim[1], xlim[1], xlim[0]], [ylim[0], ylim[0], ylim[1], ylim[1]],
            color=COLORS[0], alpha=alpha, lw=0, zorder=0)
    poly = _halfplane(np.asarray(w, dtype=float), float(b), xlim, ylim)
    if len(poly) >= 3:
        ax.fill(poly[:, 0], poly[:, 1], color="white", lw=0, zorder=0.5)
        ax.fill(poly[:, 0], poly[:, 1], color=COLORS[1], alpha=alpha + 0.04, lw=0, zorder=0.6)


def _line(ax, w, b, xlim, ylim, **kwargs):
    """Draw the line w1 x1 + w2 x2 + b = 0 across the box; nothing when w = 0."""
    w = np.asarray(w, dtype=float)
    if not np.any(w):
        return None
    if abs(w[1]) >= abs(w[0]):
        x1 = np.array(xlim, dtype=float)
        x2 = -(w[0] * x1 + b) / w[1]
    else:
        x2 = np.array(ylim, dtype=float)
        x1 = -(w[1] * x2 + b) / w[0]
    return ax.plot(x1, x2, **kwargs)[0]


def _scatter(ax, X, y, s=30):
    for c in (0, 1):
        mask = y == c
        ax.scatter(X[mask, 0], X[mask, 1], color=COLORS[c], marker=MARKERS[c], s=s,
                   edgecolors="white", linewidths=0.6, zorder=3, label=f"class {c}")


def _frame(ax, xlim, ylim, xlabel="$x_1$", ylabel="$x_2$"):
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(False)


def _check_2d(X, where):
    X = as_array(X, where, dtype=np.float64, name="X")
    check_ndim(X, 2, where, name="X", hint="Pass one example per row: shape (m, 2).")
    if X.shape[1] != 2:
        raise ValueError(f"{where}: expected X with 2 columns (x_1, x_2), got shape {X.shape}.")
    return X


def _readonly(*arrays):
    for a in arrays:
        a.flags.writeable = False


# --------------------------------------------------------------------------------------------
# 1. hand-made features: the circles
# --------------------------------------------------------------------------------------------
def circle_features(X):
    """The hand-made features phi(x) = (x1, x2, x1^2 + x2^2) of the circles example.

    Parameters
    ----------
    X : array_like of shape (m, 2)

    Returns
    -------
    ndarray of shape (m, 3)
        The two inputs and the squared distance from the origin. A hyperplane in this space,
        w1 x1 + w2 x2 + w3 (x1^2 + x2^2) + b = 0, is a circle (or a line) in the input plane.

    Raises
    ------
    ValueError
        If X does not have two columns.

    See Also
    --------
    Chapter 1 (Linear models and the perceptron), "Hand-made features".

    Examples
    --------
    >>> from book.ch01_perceptron import circle_features
    >>> circle_features([[3.0, 4.0], [1.0, 0.0]]).tolist()
    [[3.0, 4.0, 25.0], [1.0, 0.0, 1.0]]
    """
    X = _check_2d(X, "circle_features")
    return np.column_stack([X, np.einsum("ij,ij->i", X, X)])


@dataclass(frozen=True)
class LiftResult:
    """A perceptron trained on the raw circles and one trained on :func:`circle_features`.

    Attributes
    ----------
    X : ndarray of shape (m, 2)
    y : ndarray of shape (m,)
    raw, lifted : PerceptronHistory
        The training runs on X and on phi(X).
    w_raw, w_lifted : ndarray of shape (2,) and (3,)
    b_raw, b_lifted : float
        The final parameters of the two perceptrons.
    acc_raw, acc_lifted : float
        Their training accuracies.

    See Also
    --------
    feature_lift : computes it.
    Chapter 1 (Linear models and the perceptron), section "Hand-made features".

    """

    X: np.ndarray
    y: np.ndarray
    raw: PerceptronHistory
    lifted: PerceptronHistory
    w_raw: np.ndarray
    b_raw: float
    w_lifted: np.ndarray
    b_lifted: float
    acc_raw: float
    acc_lifted: float


@functools.lru_cache(maxsize=4)
def _lift(n, seed, epochs):
    X, y = circles(n, noise=0.05, factor=0.5, rng=seed)
    raw, lifted = Perceptron(2), Perceptron(3)
    h_raw = raw.fit(X, y, epochs=epochs)
    F = circle_features(X)
    h_lifted = lifted.fit(F, y, epochs=epochs)
    _readonly(X, y)
    return LiftResult(X=X, y=y, raw=h_raw, lifted=h_lifted, w_raw=raw.w, b_raw=raw.b,
                      w_lifted=lifted.w, b_lifted=lifted.b,
                      acc_raw=float(np.mean(raw.predict(X) == y)),
                      acc_lifted=float(np.mean(lifted.predict(F) == y)))


def feature_lift(n=200, seed=0, epochs=30):
    """Train a perceptron on two concentric circles, with and without the feature x1^2 + x2^2.

    Parameters
    ----------
    n : int, default 200
        Number of points of ``nnlib.data.circles`` (noise std 0.05, inner radius 0.5).
    seed : int, default 0
        Seed of the data.
    epochs : int, default 30
        Maximum passes over the data for each perceptron.

    Returns
    -------
    LiftResult
        Cached: the same object is returned for the same arguments; do not modify it.

    See Also
    --------
    draw_feature_lift : its figure.
    Chapter 1 (Linear models and the perceptron), section "Hand-made features".

    Examples
    --------
    >>> from book.ch01_perceptron import feature_lift
    >>> r = feature_lift()
    >>> r.raw.converged, r.lifted.converged, r.acc_lifted
    (False, True, 1.0)
    """
    where = "feature_lift"
    return _lift(check_int(n, where, "n", minimum=2), check_int(seed, where, "seed"),
                 check_int(epochs, where, "epochs", minimum=1))


def draw_feature_lift(n=200, seed=0, epochs=30) -> Figure:
    """Three panels: the circles with the raw perceptron's line, the data against x1^2 + x2^2,
    and the circle the perceptron learns on phi(x).

    Parameters
    ----------
    n, seed, epochs
        As in :func:`feature_lift`.

    Returns
    -------
    Figure

    See Also
    --------
    Chapter 1, "Hand-made features".
    """
    r = feature_lift(n, seed, epochs)
    X, y = r.X, r.y
    xlim, ylim = _limits(X)
    fig, axes = plt.subplots(1, 3, figsize=(7.6, 3.2))

    ax = axes[0]
    _shade(ax, r.w_raw, r.b_raw, xlim, ylim)
    _line(ax, r.w_raw, r.b_raw, xlim, ylim, color="#222222", lw=1.5)
    _scatter(ax, X, y, s=12)
    _frame(ax, xlim, ylim)
    ax.set_title(f"(a) raw inputs: {r.acc_raw:.0%} right", fontsize=10)

    ax = axes[1]
    F = circle_features(X)
    threshold = 0.5 * (F[y == 1, 2].max() + F[y == 0, 2].min())
    for c in (0, 1):
        ax.scatter(F[y == c, 0], F[y == c, 2], color=COLORS[c], marker=MARKERS[c], s=12,
                   edgecolors="white", linewidths=0.5, zorder=3)
    ax.axhline(threshold, color="#222222", lw=1.5, ls="--")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_1^2 + x_2^2$")
    ax.set_title("(b) a threshold separates", fontsize=10)

    ax = axes[2]
    g1, g2 = np.meshgrid(np.linspace(*xlim, 160), np.linspace(*ylim, 160))
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    z = (circle_features(grid) @ r.w_lifted + r.b_lifted).reshape(g1.shape)
    ax.contourf(g1, g2, (z > 0).astype(float), levels=[-0.5, 0.5, 1.5],
                colors=[COLORS[0], COLORS[1]], alpha=0.18)
    ax.contour(g1, g2, z, levels=[0.0], colors="#222222", linewidths=1.5)
    _scatter(ax, X, y, s=12)
    _frame(ax, xlim, ylim)
    ax.set_title(f"(c) learned on $\\phi(x)$: {r.acc_lifted:.0%} right", fontsize=10)
    fig.suptitle("One hand-made feature, $x_1^2 + x_2^2$, makes the circles separable",
                 fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# 2. the boundary after each update
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryProblem:
    """A small separable data set and the perceptron's full training history on it.

    Attributes
    ----------
    X : ndarray of shape (m, 2)
    y : ndarray of shape (m,), labels 0/1
    w_star : ndarray of shape (2,)
    b_star : float
        The hyperplane that generated the data (unit w_star).
    history : PerceptronHistory
        From ``Perceptron(2).fit(X, y)`` (rows in order, learning rate 1).

    See Also
    --------
    draw_boundary_history : replays it.
    Chapter 1 (Linear models and the perceptron), Experiment 1.

    """

    X: np.ndarray
    y: np.ndarray
    w_star: np.ndarray
    b_star: float
    history: PerceptronHistory

    @property
    def n_updates(self) -> int:
        """K, the number of updates until convergence."""
        return self.history.n_mistakes


@functools.lru_cache(maxsize=8)
def _history(n, margin, seed):
    X, y, w, b = linearly_separable(n, margin=margin, rng=seed, return_hyperplane=True)
    hist = Perceptron(2).fit(X, y, epochs=1000)
    _readonly(X, y, w)
    return HistoryProblem(X=X, y=y, w_star=w, b_star=float(b), history=hist)


def history_problem(n=40, margin=0.1, seed=5) -> HistoryProblem:
    """The data and training history replayed by :func:`draw_boundary_history`.

    Parameters
    ----------
    n : int, default 40
        Number of points of ``nnlib.data.linearly_separable``.
    margin : float, default 0.1
        Their guaranteed distance to the generating line.
    seed : int, default 5
        Seed of the data (seed 5 gives a run with 14 updates over 6 passes).

    Returns
    -------
    HistoryProblem
        Cached: the same object is returned for the same arguments; do not modify it.

    See Also
    --------
    draw_boundary_history : replays it.
    Chapter 1 (Linear models and the perceptron), Experiment 1.

    Examples
    --------
    >>> from book.ch01_perceptron import history_problem
    >>> p = history_problem()
    >>> p.n_updates, p.history.epoch_mistakes, p.history.converged
    (14, [6, 1, 3, 2, 1, 1, 0], True)
    """
    where = "history_problem"
    return _history(check_int(n, where, "n", minimum=2),
                    check_positive(margin, where, "margin"), check_int(seed, where, "seed"))


def _draw_state(ax, prob, k, legend=True, small=False):
    """Draw the data, the boundary after k updates, the one before and the offending point."""
    X, y, hist = prob.X, prob.y, prob.history
    xlim, ylim = _limits(X)
    w, b = hist.state(k)
    _shade(ax, w, b, xlim, ylim)
    if k >= 2:
        w0, b0 = hist.state(k - 1)
        _line(ax, w0, b0, xlim, ylim, color=_GREY, lw=1.4, ls="--", zorder=2)
    _line(ax, w, b, xlim, ylim, color="#222222", lw=2.0, zorder=2)
    _scatter(ax, X, y, s=22 if small else 30)
    wrong = np.where(X @ w + b > 0, 1, 0) != y
    ax.scatter(X[wrong, 0], X[wrong, 1], s=70 if small else 95, facecolors="none",
               edgecolors="#222222", linewidths=0.9, zorder=4)
    if k >= 1:
        m = hist.mistakes[k - 1]
        ax.scatter([m.x[0]], [m.x[1]], s=230 if small else 300, facecolors="none",
                   edgecolors=_HIGHLIGHT, linewidths=2.4, zorder=5)
    _frame(ax, xlim, ylim)
    if legend:
        ax.legend(handles=_history_handles(), loc="upper left", bbox_to_anchor=(1.02, 1.0),
                  fontsize=9)
    return int(wrong.sum())


def _history_handles():
    return [
        Line2D([], [], color=COLORS[0], marker=MARKERS[0], ls="", label="class 0"),
        Line2D([], [], color=COLORS[1], marker=MARKERS[1], ls="", label="class 1"),
        Line2D([], [], color="#222222", lw=2.0, label="boundary now"),
        Line2D([], [], color=_GREY, lw=1.4, ls="--", label="before this update"),
        Line2D([], [], color=_HIGHLIGHT, marker="o", ms=13, mfc="none", mew=2.2, ls="",
               label="caused this update"),
        Line2D([], [], color="#222222", marker="o", ms=9, mfc="none", mew=0.9, ls="",
               label="misclassified now"),
    ]


def _check_step(step, prob, where):
    step = check_int(step, where, "step", minimum=0)
    if step > prob.n_updates:
        raise ValueError(f"{where}: expected step between 0 and {prob.n_updates} (the number "
                         f"of updates of this run), got {step}.")
    return step


def draw_boundary_history(step=0, n=40, margin=0.1, seed=5) -> Figure:
    """The perceptron's decision boundary after ``step`` updates (the slider's callback).

    The background shows the predicted class (orange: 1, blue: 0); the solid line is the
    boundary w.x + b = 0 after ``step`` updates, the dashed line the boundary before the
    last update, the red ring the misclassified point that caused it, and black circles the
    points the current weights get wrong.

    Parameters
    ----------
    step : int, default 0
        Number of updates, 0 (the zero start, which predicts class 0 everywhere) to K.
    n, margin, seed
        The data set, as in :func:`history_problem`.

    Returns
    -------
    Figure

    Raises
    ------
    ValueError
        If step is negative or larger than the number of updates K.

    See Also
    --------
    draw_boundary_steps : the same at a few steps side by side. Chapter 1, "Experiment 1".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch01_perceptron import draw_boundary_history
    >>> fig = draw_boundary_history(3)
    >>> fig.axes[0].get_xlabel()
    '$x_1$'
    >>> plt.close(fig)
    """
    where = "draw_boundary_history"
    prob = history_problem(n, margin, seed)
    step = _check_step(step, prob, where)
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    n_wrong = _draw_state(ax, prob, step)
    K, m = prob.n_updates, len(prob.y)
    w, b = prob.history.state(step)
    if step == 0:
        ax.set_title(f"Start: w = 0, b = 0 predicts class 0 everywhere ({n_wrong} of {m} "
                     f"wrong)")
        note = "no update yet"
    else:
        mk = prob.history.mistakes[step - 1]
        ax.set_title(f"Update {step} of {K}: {n_wrong} of {m} points still misclassified")
        note = (f"update {step} (pass {mk.epoch + 1}):\n"
                f"point {mk.index}, y = {mk.y}, $\\hat y$ = {mk.y_hat}\n"
                f"$y - \\hat y$ = {mk.y - mk.y_hat:+d}")
    ax.text(1.04, 0.0, f"{note}\n\nw = ({w[0]:.2f}, {w[1]:.2f})\nb = {b:.2f}",
            transform=ax.transAxes, fontsize=9, va="bottom", ha="left")
    return fig


def draw_boundary_steps(steps=(1, 3, 8, None), n=40, margin=0.1, seed=5) -> Figure:
    """Small multiples of :func:`draw_boundary_history`: the boundary at a few steps.

    Parameters
    ----------
    steps : sequence of 4 int or None, default (1, 3, 8, None)
        The numbers of updates to show; None means the last (K).
    n, margin, seed
        The data set, as in :func:`history_problem`.

    Returns
    -------
    Figure
        A 2 x 2 grid.

    See Also
    --------
    draw_boundary_history : one step; the slider's callback.
    Chapter 1 (Linear models and the perceptron), Experiment 1.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch01_perceptron import draw_boundary_steps
    >>> fig = draw_boundary_steps()
    >>> [ax.get_title() for ax in fig.axes][-1]
    'After update 14 of 14: 0 wrong'
    >>> plt.close(fig)
    """
    where = "draw_boundary_steps"
    prob = history_problem(n, margin, seed)
    steps = [prob.n_updates if s is None else s for s in steps]
    if len(steps) != 4:
        raise ValueError(f"{where}: expected 4 steps (a 2 x 2 grid), got {len(steps)}.")
    steps = [_check_step(s, prob, where) for s in steps]
    fig, axes = plt.subplots(2, 2, figsize=(7.0, 7.0))
    for ax, k in zip(axes.ravel(), steps, strict=True):
        n_wrong = _draw_state(ax, prob, k, legend=False, small=True)
        ax.set_title(f"After update {k} of {prob.n_updates}: {n_wrong} wrong", fontsize=11)
    fig.legend(handles=_history_handles(), loc="outside lower center", ncol=3, fontsize=9)
    fig.suptitle("Each mistake moves the boundary; the last one separates the classes",
                 fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# 3. mistakes against Novikoff's bound
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MarginSweep:
    """Perceptron runs on ``linearly_separable`` data over a grid of margins and seeds.

    Entry [g, s] of each (G, S) array belongs to margin ``margins[g]`` and seed ``seeds[s]``.

    Attributes
    ----------
    margins : ndarray of shape (G,)
        The data margins gamma_0 (distance of every point to the generating line).
    seeds : ndarray of shape (S,)
    n : int
        Points per data set.
    mistakes : ndarray of shape (G, S), int
        Number of updates until a pass without mistakes.
    bound : ndarray of shape (G, S)
        Novikoff's bound (R / gamma)^2 in the augmented space, for the generating hyperplane.
    gamma, R : ndarray of shape (G, S)
        The augmented margin and radius in that bound.
    epochs : ndarray of shape (G, S), int
        Passes over the data (the last one without mistakes).
    converged : ndarray of shape (G, S), bool
    w, b : ndarray of shape (G, S, 2) and (G, S)
        The final weights and bias of every run.

    See Also
    --------
    margin_sweep : computes it.
    Chapter 1 (Linear models and the perceptron), section "How tight is the bound?".

    """

    margins: np.ndarray
    seeds: np.ndarray
    n: int
    mistakes: np.ndarray
    bound: np.ndarray
    gamma: np.ndarray
    R: np.ndarray
    epochs: np.ndarray
    converged: np.ndarray
    w: np.ndarray
    b: np.ndarray

    def data(self, margin, seed_index=0):
        """The data set (X, y, w_star, b_star) of grid margin ``margin`` and a seed."""
        g = self.index(margin)
        return linearly_separable(self.n, margin=float(self.margins[g]),
                                  rng=int(self.seeds[seed_index]), return_hyperplane=True)

    def index(self, margin):
        """Index of the grid margin nearest to ``margin`` (on a log scale)."""
        margin = check_positive(margin, "MarginSweep.index", "margin")
        return int(np.argmin(np.abs(np.log(self.margins) - math.log(margin))))


@functools.lru_cache(maxsize=8)
def _sweep(margins, n, seeds, epochs):
    G, S = len(margins), seeds
    out = {k: np.zeros((G, S)) for k in ("bound", "gamma", "R")}
    mistakes, n_epochs = np.zeros((G, S), dtype=np.int64), np.zeros((G, S), dtype=np.int64)
    converged = np.zeros((G, S), dtype=bool)
    W, B = np.zeros((G, S, 2)), np.zeros((G, S))
    for g, gamma0 in enumerate(margins):
        for s in range(S):
            X, y, w, b = linearly_separable(n, margin=gamma0, rng=s, return_hyperplane=True)
            p = Perceptron(2)
            hist = p.fit(X, y, epochs=epochs)
            mistakes[g, s], n_epochs[g, s] = hist.n_mistakes, hist.epochs
            converged[g, s] = hist.converged
            out["bound"][g, s] = novikoff_bound(X, y, w, b)
            out["gamma"][g, s] = geometric_margin(X, y, w, b, augmented=True)
            out["R"][g, s] = radius(X, augmented=True)
            W[g, s], B[g, s] = p.w, p.b
    sweep = MarginSweep(margins=np.array(margins), seeds=np.arange(S), n=n, mistakes=mistakes,
                        epochs=n_epochs, converged=converged, w=W, b=B, **out)
    _readonly(sweep.margins, sweep.seeds, mistakes, n_epochs, converged, W, B, *out.values())
    return sweep


def margin_sweep(margins=MARGINS, n=100, seeds=10, epochs=10_000) -> MarginSweep:
    """Count the perceptron's mistakes against Novikoff's bound over a grid of margins.

    For every margin gamma_0 and seed s = 0, ..., seeds - 1, draw
    ``linearly_separable(n, margin=gamma_0, rng=s)``, train ``Perceptron(2)`` from zero
    (rows in order) until a pass without mistakes, and compute ``novikoff_bound`` for the
    hyperplane that generated the data. The same seed gives the same hyperplane and the same
    points at every margin, pushed further from the line as gamma_0 grows.

    Parameters
    ----------
    margins : sequence of float > 0, default MARGINS
    n : int, default 100
    seeds : int, default 10
        Number of data sets per margin.
    epochs : int, default 10000
        Maximum passes (the theorem guarantees convergence long before).

    Returns
    -------
    MarginSweep
        Cached per argument tuple (about 1 s to compute the default on a slow machine, then
        free); the arrays are read-only.

    See Also
    --------
    nnlib.perceptron.novikoff_bound : the bound (R / gamma)^2.
    Chapter 1 (Linear models and the perceptron), section "How tight is the bound?" and
        Experiment 2.

    Examples
    --------
    >>> import numpy as np
    >>> from book.ch01_perceptron import margin_sweep
    >>> sw = margin_sweep(margins=(0.05, 0.2), n=50, seeds=3)
    >>> sw.mistakes.shape, bool(np.all(sw.mistakes <= sw.bound)), bool(sw.converged.all())
    ((2, 3), True, True)
    """
    where = "margin_sweep"
    try:
        margins = tuple(float(check_positive(g, where, "each margin")) for g in margins)
    except TypeError as err:
        if "margin" in str(err):
            raise
        raise TypeError(f"{where}: expected margins to be a sequence of positive numbers, got "
                        f"{type(margins).__name__}.") from None
    if not margins:
        raise ValueError(f"{where}: expected at least one margin, got none.")
    return _sweep(margins, check_int(n, where, "n", minimum=2),
                  check_int(seeds, where, "seeds", minimum=1),
                  check_int(epochs, where, "epochs", minimum=1))


def nearest_margin(value, margins=MARGINS) -> float:
    """The grid margin nearest to ``value`` on a log scale (what the slider snaps to).

    See Also
    --------
    draw_mistakes_vs_bound : snaps its margin with this.
    Chapter 1 (Linear models and the perceptron), Experiment 2.

    Examples
    --------
    >>> from book.ch01_perceptron import nearest_margin
    >>> nearest_margin(0.1), round(nearest_margin(0.0105), 4)
    (0.1, 0.01)
    """
    value = check_positive(value, "nearest_margin", "value")
    grid = np.asarray(margins, dtype=float)
    return float(grid[np.argmin(np.abs(np.log(grid) - math.log(value)))])


def margin_table(margins=(0.01, 0.02, 0.05, 0.1, 0.2, 0.5), sweep=None) -> dict:
    """Summary rows of :func:`margin_sweep` at a few grid margins (the chapter's table).

    Parameters
    ----------
    margins : sequence of float
        Each is snapped to the nearest grid margin of ``sweep``.
    sweep : MarginSweep, optional
        Default ``margin_sweep()``.

    Returns
    -------
    dict of str -> ndarray
        Columns, one entry per margin: ``margin`` (gamma_0), ``gamma`` and ``R`` (means of the
        augmented margin and radius), ``bound_min`` (the smallest bound over the seeds),
        ``mistakes_mean``, ``mistakes_max``, and ``worst_ratio`` = max over seeds of
        mistakes / bound.

    See Also
    --------
    table_html : formats it.
    Chapter 1 (Linear models and the perceptron), section "How tight is the bound?".

    Examples
    --------
    >>> from book.ch01_perceptron import margin_table, margin_sweep
    >>> t = margin_table((0.05, 0.2), margin_sweep(margins=(0.05, 0.2), n=50, seeds=3))
    >>> bool((t["mistakes_max"] <= t["bound_min"]).all()), sorted(t)[:3]
    (True, ['R', 'bound_min', 'gamma'])
    """
    sw = margin_sweep() if sweep is None else sweep
    idx = [sw.index(g) for g in margins]
    return {
        "margin": sw.margins[idx],
        "gamma": sw.gamma[idx].mean(axis=1),
        "R": sw.R[idx].mean(axis=1),
        "bound_min": sw.bound[idx].min(axis=1),
        "mistakes_mean": sw.mistakes[idx].mean(axis=1),
        "mistakes_max": sw.mistakes[idx].max(axis=1),
        "worst_ratio": (sw.mistakes[idx] / sw.bound[idx]).max(axis=1),
    }


def table_html(columns, headers, formats) -> str:
    """A small HTML table from equal-length columns (for a notebook's ``display(HTML(...))``).

    Parameters
    ----------
    columns : list of sequences
    headers : list of str
        Column headings (HTML is escaped, except that ``<i>``-free plain text is expected).
    formats : list of str
        A format spec per column, e.g. ``".3f"``.

    Returns
    -------
    str

    See Also
    --------
    margin_table : the chapter's table.
    Chapter 1 (Linear models and the perceptron).

    Examples
    --------
    >>> from book.ch01_perceptron import table_html
    >>> table_html([[1, 2], [0.5, 0.25]], ["k", "p"], ["d", ".2f"]).count("<tr>")
    3
    """
    if not (len(columns) == len(headers) == len(formats)):
        raise ValueError(f"table_html: expected as many headers and formats as columns "
                         f"({len(columns)}), got {len(headers)} and {len(formats)}.")
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr>"]
    for cells in zip(*columns, strict=True):
        rows.append("<tr>" + "".join(
            f"<td style='text-align: right'>{format(c, f)}</td>"
            for c, f in zip(cells, formats, strict=True)) + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _draw_margin_data(ax, sw, g, small=False):
    """The seed-0 data at grid index g: generating line, margin band, learned line."""
    X, y, w, b = sw.data(sw.margins[g], 0)
    xlim, ylim = (-1.7, 1.7), (-1.7, 1.7)
    gamma0 = sw.margins[g]
    # the band |w.x + b| < gamma_0 that no point enters (w has unit length): the part of
    # the box where w.x + b > -gamma_0, clipped to where w.x + b < gamma_0
    band = _clip_polygon(_halfplane(w, b + gamma0, xlim, ylim), -w, -(b - gamma0))
    if len(band) >= 3:
        ax.fill(band[:, 0], band[:, 1], color=_PLANE, alpha=0.22, lw=0, zorder=0)
    _line(ax, w, b, xlim, ylim, color=_PLANE, lw=1.6, zorder=2)
    _line(ax, sw.w[g, 0], sw.b[g, 0], xlim, ylim, color="#222222", lw=1.6, ls="--", zorder=2)
    _scatter(ax, X, y, s=14 if small else 20)
    _frame(ax, xlim, ylim)


def _margin_handles():
    return [
        Line2D([], [], color=COLORS[0], marker=MARKERS[0], ls="", label="class 0"),
        Line2D([], [], color=COLORS[1], marker=MARKERS[1], ls="", label="class 1"),
        Line2D([], [], color=_PLANE, lw=7, alpha=0.35, label="empty band, width $2\\gamma_0$"),
        Line2D([], [], color=_PLANE, lw=1.6, label="generating line"),
        Line2D([], [], color="#222222", lw=1.6, ls="--", label="perceptron's final line")]


def draw_mistakes_vs_bound(margin=0.1, n=100, seeds=10) -> Figure:
    """The margin slider's callback: one data set at this margin, and mistakes vs the bound.

    Left: the data (seed 0) at the grid margin nearest to ``margin``, the line that generated
    it, the empty band of width 2 gamma_0 around it, and the perceptron's final line. Right:
    over the whole grid (log-log), the bound (R/gamma)^2 and the number of updates (mean and
    range over the seeds), with the chosen margin marked. Everything comes from the cached
    :func:`margin_sweep`, so a call only draws.

    Parameters
    ----------
    margin : float, default 0.1
        Snapped to the nearest of :data:`MARGINS`.
    n, seeds
        As in :func:`margin_sweep`.

    Returns
    -------
    Figure

    See Also
    --------
    draw_margin_panels : the static small multiples.
    Chapter 1 (Linear models and the perceptron), Experiment 2.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch01_perceptron import draw_mistakes_vs_bound
    >>> fig = draw_mistakes_vs_bound(0.1, n=50, seeds=2)
    >>> fig.axes[1].get_yscale(), fig.axes[1].get_xlabel()
    ('log', 'data margin $\\\\gamma_0$')
    >>> plt.close(fig)
    """
    sw = margin_sweep(MARGINS, n, seeds)
    g = sw.index(check_positive(margin, "draw_mistakes_vs_bound", "margin"))
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(8.4, 3.9), width_ratios=[1.0, 1.15])
    _draw_margin_data(ax0, sw, g)
    fig.legend(handles=_margin_handles(), loc="outside lower center", ncol=3, fontsize=9)
    ax0.set_title(f"$\\gamma_0$ = {sw.margins[g]:.3g}: {sw.mistakes[g, 0]} updates, "
                  f"bound {sw.bound[g, 0]:.0f}")
    _draw_sweep_curves(ax1, sw, g)
    return fig


def _draw_sweep_curves(ax, sw, g=None):
    x = sw.margins
    ax.fill_between(x, sw.bound.min(axis=1), sw.bound.max(axis=1), color=_PLANE, alpha=0.25,
                    lw=0)
    ax.plot(x, sw.bound.mean(axis=1), color=_PLANE, label="bound $(R/\\gamma)^2$")
    ax.fill_between(x, np.maximum(sw.mistakes.min(axis=1), 0.8), sw.mistakes.max(axis=1),
                    color=COLORS[0], alpha=0.25, lw=0)
    ax.plot(x, sw.mistakes.mean(axis=1), color=COLORS[0], marker="o", ms=3.5,
            label="updates made")
    if g is not None:
        ax.axvline(x[g], color=_HIGHLIGHT, lw=1.2, ls=":")
        ax.plot([x[g]], [sw.mistakes[g, 0]], marker="o", ms=8, mfc="none", mec=_HIGHLIGHT,
                mew=2, ls="")
        ax.plot([x[g]], [sw.bound[g, 0]], marker="s", ms=8, mfc="none", mec=_HIGHLIGHT,
                mew=2, ls="")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xticks([], minor=True)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))  # no mathtext: fast
    ax.set_xlabel("data margin $\\gamma_0$")
    ax.set_ylabel("number of updates")
    ax.set_title("Updates stay far below the bound")
    ax.legend(loc="upper right", fontsize=9)


def draw_bound_curve(n=100, seeds=10) -> Figure:
    """Updates and Novikoff's bound against the data margin, over the whole grid (log-log).

    The right panel of :func:`draw_mistakes_vs_bound` on its own: lines are means over the
    seeds, shaded bands their range (min to max).

    Parameters
    ----------
    n, seeds
        As in :func:`margin_sweep`.

    Returns
    -------
    Figure

    See Also
    --------
    draw_mistakes_vs_bound : the same curves with one data set.
    Chapter 1 (Linear models and the perceptron), section "How tight is the bound?".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch01_perceptron import draw_bound_curve
    >>> fig = draw_bound_curve(n=40, seeds=2)
    >>> fig.axes[0].get_ylabel()
    'number of updates'
    >>> plt.close(fig)
    """
    sw = margin_sweep(MARGINS, n, seeds)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    _draw_sweep_curves(ax, sw)
    ax.set_title("The perceptron makes far fewer mistakes than $(R/\\gamma)^2$ allows")
    return fig


def draw_margin_panels(margins=(0.02, 0.05, 0.1, 0.3), n=100, seeds=10) -> Figure:
    """Small multiples of the left panel of :func:`draw_mistakes_vs_bound`.

    Parameters
    ----------
    margins : sequence of 4 float
        Snapped to the grid.
    n, seeds
        As in :func:`margin_sweep`.

    Returns
    -------
    Figure
        A 2 x 2 grid; each title gives the updates and the bound of that data set.

    See Also
    --------
    draw_mistakes_vs_bound : the slider's callback.
    Chapter 1 (Linear models and the perceptron), Experiment 2.

    """
    where = "draw_margin_panels"
    margins = list(margins)
    if len(margins) != 4:
        raise ValueError(f"{where}: expected 4 margins (a 2 x 2 grid), got {len(margins)}.")
    sw = margin_sweep(MARGINS, n, seeds)
    fig, axes = plt.subplots(2, 2, figsize=(7.0, 7.4))
    for ax, gm in zip(axes.ravel(), margins, strict=True):
        g = sw.index(check_positive(gm, where, "each margin"))
        _draw_margin_data(ax, sw, g, small=True)
        ax.set_title(f"$\\gamma_0$ = {sw.margins[g]:.3g}: {sw.mistakes[g, 0]} updates "
                     f"$\\leq$ {sw.bound[g, 0]:.0f}", fontsize=11)
    fig.legend(handles=_margin_handles(), loc="outside lower center", ncol=3, fontsize=9)
    fig.suptitle("A wider empty band around the line means fewer mistakes", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# 4. perceptron rule versus the sigmoid neuron's gradient
# --------------------------------------------------------------------------------------------
def update_factors(z, y, alpha=1.0):
    """The factor multiplying x in one update of each rule, as a function of z = w.x + b.

    Perceptron: alpha (y - step(z)), with step(z) = 1 if z > 0 else 0. Sigmoid neuron with
    squared loss L = (y - y_hat)^2 / 2 and one gradient step of size alpha:
    -alpha dL/dz = alpha (y - sigmoid(z)) sigmoid'(z).

    Parameters
    ----------
    z : array_like
        Pre-activations.
    y : {0, 1}
        The target.
    alpha : float, default 1.0

    Returns
    -------
    perceptron, sigmoid_neuron : ndarray, each of the shape of z

    See Also
    --------
    draw_update_factors : their figure.
    Chapter 1 (Linear models and the perceptron), section "The perceptron rule and the
        gradient step, side by side".

    Examples
    --------
    >>> from book.ch01_perceptron import update_factors
    >>> p, s = update_factors([-1.0, 0.0, 1.0], y=1)
    >>> p.tolist(), s.round(4).tolist()
    ([1.0, 1.0, 0.0], [0.1437, 0.125, 0.0529])
    """
    where = "update_factors"
    z = as_array(z, where, dtype=np.float64, name="z")
    if y not in (0, 1) or isinstance(y, bool):
        raise ValueError(f"{where}: expected the target y to be 0 or 1, got {y!r}.")
    alpha = check_positive(alpha, where, "alpha")
    y_hat_step = (z > 0).astype(np.float64)
    return alpha * (y - y_hat_step), alpha * (y - sigmoid(z)) * sigmoid_grad(z)


def draw_update_factors(z_max=6.0) -> Figure:
    """Two panels (y = 1 and y = 0): the update factor of both rules against z.

    See Also
    --------
    update_factors : the two factors.
    Chapter 1 (Linear models and the perceptron), section "The perceptron rule and the
        gradient step, side by side".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch01_perceptron import draw_update_factors
    >>> fig = draw_update_factors()
    >>> fig.axes[0].get_xlabel()
    'pre-activation $z$'
    >>> plt.close(fig)
    """
    z_max = check_positive(z_max, "draw_update_factors", "z_max")
    z = np.linspace(-z_max, z_max, 601)
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.5), sharey=True)
    for ax, y in zip(axes, (1, 0), strict=True):
        p, s = update_factors(z, y)
        ax.axvspan(-z_max if y == 1 else 0.0, 0.0 if y == 1 else z_max, color=_HIGHLIGHT,
                   alpha=0.08, lw=0)
        ax.plot(z, p, color=COLORS[0], drawstyle="steps-mid", label="perceptron: $y - \\hat y$")
        ax.plot(z, 4 * s, color=COLORS[1],
                label="sigmoid: $4\\,(y - \\hat y)\\,\\sigma'(z)$")
        ax.axhline(0.0, color="#444444", lw=0.8)
        ax.set_xlabel("pre-activation $z$")
        ax.set_title(f"target $y = {y}$: mistakes shaded", fontsize=11)
    axes[0].set_ylabel("factor multiplying $x$")
    axes[0].legend(loc="lower left", fontsize=9)
    fig.suptitle("The sigmoid neuron always updates, but barely when it is very wrong",
                 fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# 5. XOR
# --------------------------------------------------------------------------------------------
def xor_run(epochs=20) -> PerceptronHistory:
    """Train ``Perceptron(2)`` on the four XOR points (in truth-table order) for ``epochs``.

    See Also
    --------
    draw_xor_cycle : its figure.
    Chapter 1 (Linear models and the perceptron), section "One neuron is not enough: XOR";
        Chapter 2 (XOR and hidden layers).

    Examples
    --------
    >>> from book.ch01_perceptron import xor_run
    >>> h = xor_run(6)
    >>> h.converged, h.epoch_mistakes
    (False, [2, 3, 4, 4, 4, 4])
    """
    epochs = check_int(epochs, "xor_run", "epochs", minimum=1)
    X, y = xor()
    return Perceptron(2).fit(X, y, epochs=epochs)


def draw_xor_cycle(epochs=12) -> Figure:
    """Mistakes per pass on XOR and on separable data, and XOR's weights cycling.

    Parameters
    ----------
    epochs : int, default 12
        Passes over the four XOR points.

    Returns
    -------
    Figure

    See Also
    --------
    xor_run : the run it draws.
    Chapter 1 (Linear models and the perceptron), section "One neuron is not enough: XOR".

    """
    hist = xor_run(epochs)
    sep = history_problem().history
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(7.6, 3.5))
    e = np.arange(1, hist.epochs + 1)
    ax0.plot(e, hist.epoch_mistakes, color=_HIGHLIGHT, marker="o", ms=4,
             label="XOR (4 points)")
    es = np.arange(1, sep.epochs + 1)
    ax0.plot(es, sep.epoch_mistakes, color=COLORS[0], marker="s", ms=4,
             label=f"separable ({len(history_problem().y)} points)")
    ax0.set_xlabel("pass (epoch)")
    ax0.set_ylabel("mistakes in the pass")
    ax0.set_title("Separable: 0 mistakes; XOR: never", fontsize=11)
    ax0.legend(loc="upper right", fontsize=9)
    shown = min(hist.n_mistakes, 22) + 1  # the first few cycles are enough to see them
    k = np.arange(shown)
    series = ((hist.weights[:shown, 0], "$w_1$"), (hist.weights[:shown, 1], "$w_2$"),
              (hist.biases[:shown], "$b$"))
    for j, (values, label) in enumerate(series):
        ax1.plot(k, values, color=COLORS[j], marker=MARKERS[j], ms=(7, 5, 3)[j],
                 ls=("-", "--", ":")[j], lw=1.4, label=label)
    ax1.set_xlabel("update number $k$")
    ax1.set_ylabel("parameter value")
    ax1.set_title("XOR: weights repeat every 4 updates", fontsize=11)
    ax1.set_ylim(-1.3, 2.7)
    ax1.legend(loc="upper center", ncol=3, fontsize=9)
    fig.suptitle("On XOR the perceptron never converges: it cycles", fontsize=12)
    return fig
