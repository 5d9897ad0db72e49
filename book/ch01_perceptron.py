"""Experiments and figures of Chapter 1 (Linear models and the perceptron).

Every figure of the chapter is drawn here. The two interactive experiments are
:class:`book.live.LiveFigure` subclasses with a factory each (:data:`EXPERIMENTS`); their static
versions on the page are :func:`book.live.small_multiples` of the same classes, so the figure
a reader sees for given values is the same in the notebook, on the website and in the tests.
The expensive part, training perceptrons on many data sets, is done once and cached
(:func:`margin_sweep`, :func:`history_problem`, :func:`digit_pair`), so a move of a control only
draws.

Contents

- :func:`circle_features`, :func:`feature_lift`, :func:`draw_feature_lift`: the hand-made
  feature x1^2 + x2^2 that makes two concentric circles linearly separable.
- :func:`draw_neuron`: the artificial neuron as a diagram (inputs, weights, sum with the bias,
  activation, output).
- :func:`history_problem`, :class:`BoundaryHistory`, :func:`boundary_history_experiment`,
  :func:`draw_boundary_steps`: the perceptron's boundary after each update, and the point that
  caused it (Experiment 1).
- :data:`MARGINS`, :func:`margin_sweep`, :func:`nearest_margin`, :func:`margin_table`,
  :class:`MarginBound`, :func:`margin_bound_experiment`, :func:`draw_margin_panels`: the number
  of mistakes against Novikoff's bound (R / gamma)^2 over a grid of margins (Experiment 2).
- :func:`digit_pair`, :func:`draw_digit_perceptron`: the perceptron on two classes of the 8x8
  handwritten digits.
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
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.ticker import FuncFormatter

from book import live
from nnlib._checks import as_array, check_int, check_ndim, check_positive
from nnlib.data import circles, digits, linearly_separable, train_val_test_split, xor
from nnlib.functional import sigmoid, sigmoid_grad
from nnlib.perceptron import Perceptron, PerceptronHistory, novikoff_bound, radius
from nnlib.perceptron import margin as geometric_margin
from nnlib.plot import COLORS, MARKERS

__all__ = [
    "circle_features", "LiftResult", "feature_lift", "draw_feature_lift",
    "draw_neuron",
    "HistoryProblem", "history_problem", "BoundaryHistory", "boundary_history_experiment",
    "draw_boundary_steps",
    "MARGINS", "MarginSweep", "margin_sweep", "nearest_margin", "margin_table",
    "table_html", "MarginBound", "margin_bound_experiment", "draw_margin_panels",
    "DigitRun", "digit_pair", "draw_digit_perceptron",
    "update_factors", "draw_update_factors",
    "xor_run", "draw_xor_cycle",
    "EXPERIMENTS",
]

#: The grid of data margins gamma_0 of the margin experiment: 10^-2, 10^-1.9, ..., 10^-0.3
#: (18 values from 0.01 to about 0.5), ten per decade like the experiment's log slider.
MARGINS = tuple(float(10.0 ** (e / 10.0)) for e in range(-20, -2))

_HIGHLIGHT = COLORS[3]   # vermillion: the point that caused an update
_PLANE = COLORS[2]       # bluish green: the hyperplane that generated the data
_BOUND = COLORS[4]       # reddish purple: Novikoff's bound
_GREY = "#777777"
_INK = "#222222"
#: The smallest text of every figure, in points (readable on a phone).
_SMALL = 10


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


def _line_xy(w, b, xlim, ylim):
    """End points (x1, x2) of the line w1 x1 + w2 x2 + b = 0 across the box; empty when w = 0."""
    w = np.asarray(w, dtype=float)
    if not np.any(w):
        return np.array([]), np.array([])
    if abs(w[1]) >= abs(w[0]):
        x1 = np.array(xlim, dtype=float)
        x2 = -(w[0] * x1 + b) / w[1]
    else:
        x2 = np.array(ylim, dtype=float)
        x1 = -(w[1] * x2 + b) / w[0]
    return x1, x2


def _line(ax, w, b, xlim, ylim, **kwargs):
    """Draw the line w1 x1 + w2 x2 + b = 0 across the box; nothing when w = 0."""
    x1, x2 = _line_xy(w, b, xlim, ylim)
    if not len(x1):
        return None
    return ax.plot(x1, x2, **kwargs)[0]


def _scatter(ax, X, y, s=30):
    """One scatter per class (colour and marker of the class); returns the two collections."""
    out = []
    for c in (0, 1):
        mask = y == c
        out.append(ax.scatter(X[mask, 0], X[mask, 1], color=COLORS[c], marker=MARKERS[c], s=s,
                              edgecolors="white", linewidths=0.6, zorder=3,
                              label=f"class {c}"))
    return out


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
    ax.set_title(f"(a) raw inputs: {r.acc_raw:.0%} right", fontsize=_SMALL + 1)

    ax = axes[1]
    F = circle_features(X)
    threshold = 0.5 * (F[y == 1, 2].max() + F[y == 0, 2].min())
    for c in (0, 1):
        ax.scatter(F[y == c, 0], F[y == c, 2], color=COLORS[c], marker=MARKERS[c], s=12,
                   edgecolors="white", linewidths=0.5, zorder=3)
    ax.axhline(threshold, color="#222222", lw=1.5, ls="--")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_1^2 + x_2^2$")
    ax.set_title("(b) a threshold separates", fontsize=_SMALL + 1)

    ax = axes[2]
    g1, g2 = np.meshgrid(np.linspace(*xlim, 160), np.linspace(*ylim, 160))
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    z = (circle_features(grid) @ r.w_lifted + r.b_lifted).reshape(g1.shape)
    ax.contourf(g1, g2, (z > 0).astype(float), levels=[-0.5, 0.5, 1.5],
                colors=[COLORS[0], COLORS[1]], alpha=0.18)
    ax.contour(g1, g2, z, levels=[0.0], colors="#222222", linewidths=1.5)
    _scatter(ax, X, y, s=12)
    _frame(ax, xlim, ylim)
    ax.set_title(f"(c) learned on $\\phi(x)$: {r.acc_lifted:.0%} right", fontsize=_SMALL + 1)
    fig.suptitle("One hand-made feature, $x_1^2 + x_2^2$, makes the circles separable",
                 fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# 2. the artificial neuron, as a picture
# --------------------------------------------------------------------------------------------
def _arrow(ax, start, end, color=_INK, lw=1.6):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, lw=lw,
                                 color=color, shrinkA=0, shrinkB=0, zorder=2))


def _towards(p, q, r):
    """The point at distance r from p in the direction of q."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return p + r * (q - p) / np.linalg.norm(q - p)


def draw_neuron() -> Figure:
    """The artificial neuron as a diagram: inputs, weights, the sum with the bias, the
    activation and the output.

    Inputs x_1, x_2, ..., x_d on the left; the edge from x_j carries the weight w_j; the node
    Sigma adds the weighted inputs and the bias b into the pre-activation z; the box applies
    the activation sigma (drawn as a step, the perceptron's); the output is a = sigma(z).

    Returns
    -------
    Figure
        7.0 x 3.4 inches, every text at least 10 points.

    See Also
    --------
    Chapter 1 (Linear models and the perceptron), section "The artificial neuron".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch01_perceptron import draw_neuron
    >>> fig = draw_neuron()
    >>> sorted(t.get_text() for t in fig.axes[0].texts)[:4]
    ['$\\\\Sigma$', '$\\\\vdots$', '$a$', '$b$']
    >>> plt.close(fig)
    """
    fig, ax = plt.subplots(figsize=(7.0, 3.4))
    ax.set_xlim(-0.4, 10.4)
    ax.set_ylim(-0.9, 4.4)
    ax.set_aspect("equal")
    ax.axis("off")
    r_in, r_sum = 0.36, 0.62
    sum_c, box_c, out_c = np.array([4.7, 1.9]), np.array([7.2, 1.9]), np.array([9.6, 1.9])
    inputs = [(3.5, "$x_1$", "$w_1$"), (2.3, "$x_2$", "$w_2$"), (0.3, "$x_d$", "$w_d$")]
    for y, name, weight in inputs:
        c = np.array([0.6, y])
        ax.add_patch(Circle(c, r_in, facecolor="white", edgecolor=COLORS[0], lw=1.8, zorder=3))
        ax.text(*c, name, ha="center", va="center", fontsize=13, zorder=4)
        start, end = _towards(c, sum_c, r_in), _towards(sum_c, c, r_sum)
        _arrow(ax, start, end, color=COLORS[0])
        mid = start + 0.42 * (end - start)
        ax.text(mid[0], mid[1] + 0.2, weight, ha="center", va="bottom", fontsize=13,
                color=COLORS[0])
    ax.text(0.6, 1.25, r"$\vdots$", ha="center", va="center", fontsize=14)
    ax.text(0.6, -0.55, "inputs", ha="center", va="center", fontsize=_SMALL + 1)
    # the sum node and the bias
    ax.add_patch(Circle(sum_c, r_sum, facecolor="#f2f2f2", edgecolor=_INK, lw=1.8, zorder=3))
    ax.text(*sum_c, r"$\Sigma$", ha="center", va="center", fontsize=18, zorder=4)
    _arrow(ax, (sum_c[0], 3.75), (sum_c[0], sum_c[1] + r_sum), color=COLORS[1])
    ax.text(sum_c[0], 3.95, "$b$", ha="center", va="bottom", fontsize=13, color=COLORS[1])
    ax.text(sum_c[0] + 0.2, 3.35, "bias", ha="left", va="center", fontsize=_SMALL + 1,
            color=COLORS[1])
    ax.text(sum_c[0], 0.75, "weighted sum\nplus bias", ha="center", va="top",
            fontsize=_SMALL + 1, linespacing=1.2)
    # the activation, drawn as the perceptron's step
    w_box, h_box = 1.3, 1.1
    ax.add_patch(FancyBboxPatch(box_c - [w_box / 2, h_box / 2], w_box, h_box,
                                boxstyle="round,pad=0.05", facecolor="#f2f2f2", edgecolor=_INK,
                                lw=1.8, zorder=3))
    sx = box_c[0] + np.array([-0.45, 0.0, 0.0, 0.45])
    sy = box_c[1] + np.array([-0.3, -0.3, 0.3, 0.3])
    ax.plot(sx, sy, color=_HIGHLIGHT, lw=2.2, zorder=4, solid_joinstyle="miter")
    ax.text(box_c[0], 0.75, "activation\n" + r"$\sigma$", ha="center", va="top",
            fontsize=_SMALL + 1, linespacing=1.2)
    _arrow(ax, sum_c + [r_sum, 0], box_c - [w_box / 2 + 0.05, 0])
    ax.text((sum_c[0] + r_sum + box_c[0] - w_box / 2) / 2, sum_c[1] + 0.15, "$z$",
            ha="center", va="bottom", fontsize=13)
    # the output
    ax.add_patch(Circle(out_c, r_in, facecolor="white", edgecolor=_INK, lw=1.8, zorder=3))
    ax.text(*out_c, "$a$", ha="center", va="center", fontsize=13, zorder=4)
    _arrow(ax, box_c + [w_box / 2 + 0.05, 0], out_c - [r_in, 0])
    ax.text(out_c[0], 0.75, "output\n" + r"$a = \sigma(z)$", ha="center", va="top",
            fontsize=_SMALL + 1, linespacing=1.2)
    ax.set_title("A neuron: weight the inputs, add them up with the bias, apply the "
                 "activation", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# 3. the boundary after each update (Experiment 1)
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
    BoundaryHistory : replays it (Experiment 1).
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
    """The data and training history replayed by :class:`BoundaryHistory`.

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
    BoundaryHistory : replays it (Experiment 1).
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


def _history_handles():
    return [
        Line2D([], [], color=COLORS[0], marker=MARKERS[0], ls="", label="class 0"),
        Line2D([], [], color=COLORS[1], marker=MARKERS[1], ls="", label="class 1"),
        Line2D([], [], color=_INK, lw=2.0, label="boundary now"),
        Line2D([], [], color=_GREY, lw=1.4, ls="--", label="before this update"),
        Line2D([], [], color=_HIGHLIGHT, marker="o", ms=13, mfc="none", mew=2.2, ls="",
               label="caused this update"),
        Line2D([], [], color=_INK, marker="o", ms=9, mfc="none", mew=0.9, ls="",
               label="misclassified now"),
    ]


def _check_step(step, prob, where):
    step = check_int(step, where, "step", minimum=0)
    if step > prob.n_updates:
        raise ValueError(f"{where}: expected step between 0 and {prob.n_updates} (the number "
                         f"of updates of this run), got {step}.")
    return step


def _set_polygon(patch, points):
    """Show a filled polygon with these corners, or hide it when there are fewer than 3."""
    if len(points) >= 3:
        patch.set_xy(points)
        patch.set_visible(True)
    else:
        patch.set_visible(False)


class BoundaryHistory(live.LiveFigure):
    """Experiment 1: the perceptron's boundary after ``step`` updates, and what caused it.

    The background shows the predicted class (orange: 1, blue: 0); the solid line is the
    boundary w.x + b = 0 after ``step`` updates, the dashed line the boundary before the last
    update, the red ring the misclassified point that caused that update, and small black
    circles the points the current weights get wrong. The title counts them and names the
    update.

    Parameters
    ----------
    n, margin, seed
        The data set, as in :func:`history_problem`.
    legend : bool, default True
        A legend under the axes (the static small multiples draw one for all panels instead).

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(BoundaryHistory())
    >>> png = r.png({"step": 3})
    >>> png[:4] == b"\\x89PNG", r.live.title.get_text().splitlines()[0]
    (True, 'Update 3 of 14: 14 of 40 wrong')
    >>> r.close()
    """

    size = (5.2, 5.0)

    def __init__(self, n=40, margin=0.1, seed=5, legend=True):
        self.prob = history_problem(n, margin, seed)
        self.legend = legend

    def build(self, fig, step):
        prob = self.prob
        X, y = prob.X, prob.y
        self.xlim, self.ylim = _limits(X)
        ax = fig.add_subplot()
        xl, yl = self.xlim, self.ylim
        ax.fill([xl[0], xl[1], xl[1], xl[0]], [yl[0], yl[0], yl[1], yl[1]], color=COLORS[0],
                alpha=0.16, lw=0, zorder=0)
        corners = np.zeros((3, 2))
        self.white = ax.fill(*corners.T, color="white", lw=0, zorder=0.5)[0]
        self.orange = ax.fill(*corners.T, color=COLORS[1], alpha=0.2, lw=0, zorder=0.6)[0]
        self.before, = ax.plot([], [], color=_GREY, lw=1.4, ls="--", zorder=2)
        self.now, = ax.plot([], [], color=_INK, lw=2.0, zorder=2)
        self.points = _scatter(ax, X, y, s=30)
        self.wrong = ax.scatter(X[:1, 0], X[:1, 1], s=95, facecolors="none", edgecolors=_INK,
                                linewidths=0.9, zorder=4)
        self.cause = ax.scatter(X[:1, 0], X[:1, 1], s=300, facecolors="none",
                                edgecolors=_HIGHLIGHT, linewidths=2.4, zorder=5)
        _frame(ax, xl, yl)
        self.title = ax.set_title("\n", fontsize=_SMALL + 1, loc="left")
        if self.legend:
            fig.legend(handles=_history_handles(), loc="outside lower center", ncol=3,
                       fontsize=_SMALL, handlelength=1.8, handletextpad=0.5,
                       columnspacing=1.0)
        # the class-1 region is drawn under the points and the axes' lines: they are redrawn
        # with it (blitting draws the animated artists over the cached background, in z-order)
        self.animate(self.white, self.orange, self.before, self.now, *self.points, self.wrong,
                     self.cause, self.title, *[s for s in ax.spines.values() if s.get_visible()])

    def state(self, step):
        """(w, b, wrong mask, the Mistake of this update or None) after ``step`` updates."""
        prob = self.prob
        step = _check_step(step, prob, "BoundaryHistory")
        w, b = prob.history.state(step)
        wrong = np.where(prob.X @ w + b > 0, 1, 0) != prob.y
        mistake = prob.history.mistakes[step - 1] if step >= 1 else None
        return w, b, wrong, mistake

    def update(self, step):
        prob = self.prob
        w, b, wrong, mk = self.state(step)
        _set_polygon(self.white, _halfplane(w, b, self.xlim, self.ylim))
        _set_polygon(self.orange, _halfplane(w, b, self.xlim, self.ylim))
        self.now.set_data(*_line_xy(w, b, self.xlim, self.ylim))
        if step >= 2:
            self.before.set_data(*_line_xy(*prob.history.state(step - 1), self.xlim, self.ylim))
        else:
            self.before.set_data([], [])
        self.wrong.set_offsets(prob.X[wrong] if wrong.any() else np.zeros((0, 2)))
        self.cause.set_offsets(mk.x[None, :] if mk is not None else np.zeros((0, 2)))
        self.title.set_text(self._title(step, w, b, int(wrong.sum()), mk))

    def _title(self, step, w, b, n_wrong, mk):
        m, K = len(self.prob.y), self.prob.n_updates
        # short: every glyph of an animated text is drawn again on each update
        if mk is None:
            return f"Start: {n_wrong} of {m} wrong\nw = 0, b = 0: class 0"
        return (f"Update {step} of {K}: {n_wrong} of {m} wrong\n"
                f"point {mk.index} (class {mk.y}) was called {mk.y_hat}")

    def describe(self, step):
        w, b, wrong, mk = self.state(step)
        m, K = len(self.prob.y), self.prob.n_updates
        if mk is None:
            head = (f"Update 0 of {K}: the perceptron starts at w = 0, b = 0 and predicts class "
                    f"0 everywhere")
        else:
            head = (f"Update {step} of {K}, in pass {mk.epoch + 1}: point {mk.index} of class "
                    f"{mk.y} was predicted {mk.y_hat}, so the rule moved the boundary to "
                    f"w = ({w[0]:.2f}, {w[1]:.2f}), b = {b:.2f}")
        return f"{head}; {int(wrong.sum())} of {m} points are now misclassified."


def boundary_history_experiment(n=40, margin=0.1, seed=5) -> live.Experiment:
    """Experiment 1: :class:`BoundaryHistory` with a Play control over the updates.

    Press Play (or drag the slider) to replay the perceptron's training one update at a time.
    On the website every update is a frame (15 frames for the default data).
    """
    figure = BoundaryHistory(n, margin, seed)
    K = figure.prob.n_updates
    return live.Experiment(
        "boundary-history", figure,
        title="The perceptron's boundary after each update",
        caption=("Red ring: the point that caused this update. Dashed: the boundary before "
                 "it. Small black circles: points misclassified now."),
        controls=dict(step=live.Play(0, K, value=0, interval=900, label="update")))


def draw_boundary_steps(steps=(1, 3, 8, None), n=40, margin=0.1, seed=5) -> Figure:
    """Small multiples of :class:`BoundaryHistory`: the boundary at four steps, 2 x 2.

    Parameters
    ----------
    steps : sequence of 4 int or None, default (1, 3, 8, None)
        The numbers of updates to show; None means the last (K).
    n, margin, seed
        The data set, as in :func:`history_problem`.

    Returns
    -------
    Figure
        7.5 inches wide, with one legend for the four panels.

    See Also
    --------
    boundary_history_experiment : the live version.
    Chapter 1 (Linear models and the perceptron), Experiment 1.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch01_perceptron import draw_boundary_steps
    >>> fig = draw_boundary_steps()
    >>> fig.axes[-1].get_title(loc="left").splitlines()[0]
    'Update 14 of 14: 0 of 40 wrong'
    >>> plt.close(fig)
    """
    where = "draw_boundary_steps"
    figure = BoundaryHistory(n, margin, seed, legend=False)
    prob = figure.prob
    steps = [prob.n_updates if s is None else s for s in steps]
    if len(steps) != 4:
        raise ValueError(f"{where}: expected 4 steps (a 2 x 2 grid), got {len(steps)}.")
    steps = [_check_step(s, prob, where) for s in steps]
    fig = live.small_multiples(figure, [{"step": k} for k in steps], ncols=2)
    fig.set_size_inches(7.5, 7.6)
    fig.legend(handles=_history_handles(), loc="outside lower center", ncol=3,
               fontsize=_SMALL)
    fig.suptitle("Each mistake moves the boundary; the last one separates the classes",
                 fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# 4. mistakes against Novikoff's bound (Experiment 2)
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
    MarginBound : snaps its margin with this.
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


def _margin_handles():
    return [
        Line2D([], [], color=COLORS[0], marker=MARKERS[0], ls="", label="class 0"),
        Line2D([], [], color=COLORS[1], marker=MARKERS[1], ls="", label="class 1"),
        Patch(facecolor=_PLANE, alpha=0.22, label="empty band, width $2\\gamma_0$"),
        Line2D([], [], color=_PLANE, lw=1.6, label="generating line"),
        Line2D([], [], color=_INK, lw=1.6, ls="--", label="perceptron's final line"),
        Line2D([], [], color=_BOUND, lw=2.0, label="bound $(R/\\gamma)^2$"),
        Line2D([], [], color=COLORS[0], lw=2.0, marker="o", ms=3.5, label="updates made"),
        Line2D([], [], color=_HIGHLIGHT, marker="o", ms=8, mfc="none", mew=2, ls="",
               label="the data set on the left"),
    ]


def _draw_sweep_curves(ax, sw):
    """Bound and updates against the margin over the whole grid (means, and ranges shaded)."""
    x = sw.margins
    ax.fill_between(x, sw.bound.min(axis=1), sw.bound.max(axis=1), color=_BOUND, alpha=0.25,
                    lw=0)
    ax.plot(x, sw.bound.mean(axis=1), color=_BOUND)
    ax.fill_between(x, np.maximum(sw.mistakes.min(axis=1), 0.8), sw.mistakes.max(axis=1),
                    color=COLORS[0], alpha=0.25, lw=0)
    ax.plot(x, sw.mistakes.mean(axis=1), color=COLORS[0], marker="o", ms=3.5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = [0.01, 0.03, 0.1, 0.3]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xticks([], minor=True)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))  # no mathtext: fast
    ax.set_xlabel("data margin $\\gamma_0$")
    ax.set_ylabel("number of updates")
    ax.set_title("All data sets: updates vs bound", fontsize=_SMALL + 1, loc="left")


class MarginBound(live.LiveFigure):
    """Experiment 2: the perceptron's number of updates against Novikoff's bound, by margin.

    Left: the data set of seed 0 at the grid margin nearest to ``margin``, the line that
    generated it, the empty band of width 2 gamma_0 around it, and the perceptron's final line;
    the title gives its updates and its bound. Right: over the whole grid (log-log), the bound
    (R/gamma)^2 and the number of updates (means over the seeds, ranges shaded), with the
    chosen margin marked. Everything comes from the cached :func:`margin_sweep`, so a move only
    draws.

    Parameters
    ----------
    n, seeds
        As in :func:`margin_sweep`.
    legend : bool, default True
        A legend under the panels (the static small multiples draw one for all rows instead).

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(MarginBound(n=40, seeds=2))
    >>> png = r.png({"margin": 0.1})
    >>> png[:4] == b"\\x89PNG", r.live.title.get_text().startswith("$\\\\gamma_0$ = 0.1:")
    (True, True)
    >>> r.close()
    """

    size = (7.4, 3.9)

    def __init__(self, n=100, seeds=10, legend=True):
        self.n, self.seeds, self.legend = n, seeds, legend
        self._data = {}

    @property
    def sweep(self) -> MarginSweep:
        return margin_sweep(MARGINS, self.n, self.seeds)

    def data(self, g):
        """(X, y, w_star, b_star) of seed 0 at grid index g (cached)."""
        if g not in self._data:
            sw = self.sweep
            self._data[g] = sw.data(sw.margins[g], 0)
        return self._data[g]

    def index(self, margin):
        return self.sweep.index(check_positive(margin, "MarginBound", "margin"))

    def build(self, fig, margin):
        sw = self.sweep
        ax0, ax1 = fig.subplots(1, 2, width_ratios=[1.0, 1.2])
        self.box = (-1.7, 1.7)
        corners = np.zeros((3, 2))
        self.band = ax0.fill(*corners.T, color=_PLANE, alpha=0.22, lw=0, zorder=0)[0]
        self.plane, = ax0.plot([], [], color=_PLANE, lw=1.6, zorder=2)
        self.final, = ax0.plot([], [], color=_INK, lw=1.6, ls="--", zorder=2)
        X, y, _, _ = self.data(self.index(margin))
        self.points = _scatter(ax0, X, y, s=16)
        _frame(ax0, self.box, self.box)
        ax0.set_xticks([-1, 0, 1])
        ax0.set_yticks([-1, 0, 1])
        self.title = ax0.set_title(" ", fontsize=_SMALL + 1, loc="left")
        _draw_sweep_curves(ax1, sw)
        # above the spines (z-order 2.5): the line crosses the bottom one
        self.vline = ax1.axvline(sw.margins[0], color=_HIGHLIGHT, lw=1.2, ls=":", zorder=2.6)
        self.mark_updates, = ax1.plot([], [], marker="o", ms=8, mfc="none", mec=_HIGHLIGHT,
                                      mew=2, ls="", zorder=4)
        self.mark_bound, = ax1.plot([], [], marker="s", ms=8, mfc="none", mec=_HIGHLIGHT,
                                    mew=2, ls="", zorder=4)
        if self.legend:
            fig.legend(handles=_margin_handles(), loc="outside lower center", ncol=3,
                       fontsize=_SMALL, handlelength=2.2, handletextpad=0.6,
                       columnspacing=1.2)
        # the band is drawn under the lines, the points and the left axes' spines
        self.animate(self.band, self.plane, self.final, *self.points, self.title,
                     *[s for s in ax0.spines.values() if s.get_visible()],
                     self.vline, self.mark_updates, self.mark_bound)

    def update(self, margin):
        sw = self.sweep
        g = self.index(margin)
        X, y, w, b = self.data(g)
        gamma0 = sw.margins[g]
        # the band |w.x + b| < gamma_0 (w has unit length): the part of the box where
        # w.x + b > -gamma_0, clipped to where w.x + b < gamma_0
        _set_polygon(self.band, _clip_polygon(_halfplane(w, b + gamma0, self.box, self.box),
                                              -w, -(b - gamma0)))
        self.plane.set_data(*_line_xy(w, b, self.box, self.box))
        self.final.set_data(*_line_xy(sw.w[g, 0], sw.b[g, 0], self.box, self.box))
        for c, coll in enumerate(self.points):
            coll.set_offsets(X[y == c])
        self.title.set_text(f"$\\gamma_0$ = {gamma0:.3g}: {sw.mistakes[g, 0]} updates "
                            f"$\\leq$ bound {sw.bound[g, 0]:,.0f}")
        self.vline.set_xdata([gamma0, gamma0])
        self.mark_updates.set_data([gamma0], [sw.mistakes[g, 0]])
        self.mark_bound.set_data([gamma0], [sw.bound[g, 0]])

    def describe(self, margin):
        sw = self.sweep
        g = self.index(margin)
        k, bound = sw.mistakes[g], sw.bound[g]
        return (f"Data margin γ0 = {sw.margins[g]:.3g}: on the data set shown the "
                f"perceptron made {k[0]} updates, within Novikoff's bound of {bound[0]:,.0f}; "
                f"over the {len(k)} data sets of this margin it made {k.min()} to {k.max()} "
                f"updates, against bounds of {bound.min():,.0f} to {bound.max():,.0f}.")


def margin_bound_experiment(n=100, seeds=10) -> live.Experiment:
    """Experiment 2: :class:`MarginBound` with a logarithmic slider over the 18 grid margins.

    The website shows every grid margin (18 frames).
    """
    return live.Experiment(
        "margin-bound", MarginBound(n, seeds),
        title="Mistakes against Novikoff's bound as the margin changes",
        caption=(f"Left: one data set of {n} points at this margin. Right: all "
                 f"{len(MARGINS)} margins x {seeds} data sets (lines: means, shading: range); "
                 f"red markers: the data set on the left."),
        controls=dict(margin=live.LogSlider(MARGINS[0], MARGINS[-1], per_decade=10, value=0.1,
                                            label="data margin γ0")))


def draw_margin_panels(margins=(0.02, 0.3), n=100, seeds=10) -> Figure:
    """Small multiples of :class:`MarginBound`: one row per margin, one legend for all.

    Parameters
    ----------
    margins : sequence of float
        Snapped to the grid; one row each.
    n, seeds
        As in :func:`margin_sweep`.

    Returns
    -------
    Figure

    See Also
    --------
    margin_bound_experiment : the live version.
    Chapter 1 (Linear models and the perceptron), Experiment 2.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch01_perceptron import draw_margin_panels
    >>> fig = draw_margin_panels((0.02, 0.3), n=40, seeds=2)
    >>> len(fig.axes), fig.axes[1].get_yscale()
    (4, 'log')
    >>> plt.close(fig)
    """
    where = "draw_margin_panels"
    margins = [check_positive(g, where, "each margin") for g in margins]
    if not margins:
        raise ValueError(f"{where}: expected at least one margin, got none.")
    figure = MarginBound(n, seeds, legend=False)
    fig = live.small_multiples(figure, [{"margin": g} for g in margins], ncols=1)
    fig.set_size_inches(7.4, 3.3 * len(margins) + 0.9)
    fig.legend(handles=_margin_handles(), loc="outside lower center", ncol=3,
               fontsize=_SMALL)
    fig.suptitle("A wider empty band means fewer updates and a much smaller bound",
                 fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# 5. real data: two classes of the 8x8 digits
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DigitRun:
    """A perceptron trained on two classes of the 8x8 digits, and what it achieved.

    Attributes
    ----------
    classes : (int, int)
        The digits (a, b); label 0 is digit a, label 1 digit b.
    X_train, X_test : ndarray of shape (m, 64)
        Pixels in [0, 1], one image per row (70 % and 30 % of the two classes, stratified).
    y_train, y_test : ndarray of shape (m,), labels 0/1
    history : PerceptronHistory
        ``Perceptron(64).fit(X_train, y_train, epochs=epochs)`` (rows in order, from zero).
    w : ndarray of shape (64,)
    b : float
        The final weights and bias.
    R, gamma, bound : float
        The augmented radius of the training images, the augmented margin of the final
        hyperplane on them, and Novikoff's bound (R / gamma)^2 for that hyperplane.
    test_accuracy : float
        Fraction of the held-out images classified correctly.
    n_test_wrong : int

    See Also
    --------
    digit_pair : computes it.
    Chapter 1 (Linear models and the perceptron), section "Real data: two handwritten digits".

    """

    classes: tuple
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    history: PerceptronHistory
    w: np.ndarray
    b: float
    R: float
    gamma: float
    bound: float
    test_accuracy: float
    n_test_wrong: int


@functools.lru_cache(maxsize=4)
def _digit_run(a, b, seed, epochs):
    X, y = digits()
    keep = (y == a) | (y == b)
    Xp, yp = X[keep], (y[keep] == b).astype(np.int64)
    X_tr, y_tr, _, _, X_te, y_te = train_val_test_split(Xp, yp, (0.7, 0.0, 0.3), rng=seed)
    p = Perceptron(X.shape[1])
    hist = p.fit(X_tr, y_tr, epochs=epochs)
    w, bias = p.w.copy(), float(p.b)
    if hist.converged:
        R = radius(X_tr, augmented=True)
        gamma = geometric_margin(X_tr, y_tr, w, bias, augmented=True)
        bound = novikoff_bound(X_tr, y_tr, w, bias)
    else:  # not separated: no margin, no bound
        R, gamma, bound = radius(X_tr, augmented=True), float("nan"), float("nan")
    wrong = int(np.sum(p.predict(X_te) != y_te))
    _readonly(X_tr, y_tr, X_te, y_te, w)
    return DigitRun(classes=(a, b), X_train=X_tr, y_train=y_tr, X_test=X_te, y_test=y_te,
                    history=hist, w=w, b=bias, R=R, gamma=gamma, bound=bound,
                    test_accuracy=1.0 - wrong / len(y_te), n_test_wrong=wrong)


def digit_pair(a=3, b=8, seed=0, epochs=1000) -> DigitRun:
    """Train a perceptron to tell digit ``a`` (label 0) from digit ``b`` (label 1).

    The images of the two classes from ``nnlib.data.digits()`` are split 70 % / 30 % at random
    (stratified, ``train_val_test_split`` with fractions (0.7, 0, 0.3) and ``rng=seed``); the
    perceptron runs on the training part from zero, rows in order, until a pass without
    mistakes or ``epochs`` passes, and is then tested on the held-out part.

    Parameters
    ----------
    a, b : int in 0..9, different
    seed : int, default 0
        Seed of the split.
    epochs : int, default 1000

    Returns
    -------
    DigitRun
        Cached: the same object is returned for the same arguments; do not modify it.

    Raises
    ------
    ValueError
        If a or b is not a digit 0..9, or a == b.

    See Also
    --------
    draw_digit_perceptron : its figure.
    Chapter 1 (Linear models and the perceptron), section "Real data: two handwritten digits".

    Examples
    --------
    >>> from book.ch01_perceptron import digit_pair
    >>> run = digit_pair(3, 8)
    >>> run.history.converged, run.history.n_mistakes <= run.bound, len(run.y_test)
    (True, True, 107)
    """
    where = "digit_pair"
    a, b = check_int(a, where, "a", minimum=0), check_int(b, where, "b", minimum=0)
    if a > 9 or b > 9 or a == b:
        raise ValueError(f"{where}: expected two different digits from 0 to 9, got a = {a} and "
                         f"b = {b}.")
    return _digit_run(a, b, check_int(seed, where, "seed"),
                      check_int(epochs, where, "epochs", minimum=1))


#: Blue (negative) through white to orange (positive), for signed weights.
_SIGNED = LinearSegmentedColormap.from_list("ch01_signed", [COLORS[0], "#ffffff", COLORS[1]])


def draw_digit_perceptron(a=3, b=8, seed=0) -> Figure:
    """The average training image of each class and the perceptron's weights, as 8x8 images.

    Parameters
    ----------
    a, b, seed
        As in :func:`digit_pair`.

    Returns
    -------
    Figure
        Three panels, 7.4 inches wide; the weights on a symmetric blue-white-orange scale.

    See Also
    --------
    digit_pair : the run it draws.
    Chapter 1 (Linear models and the perceptron), section "Real data: two handwritten digits".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from book.ch01_perceptron import draw_digit_perceptron
    >>> fig = draw_digit_perceptron()
    >>> [ax.get_title() for ax in fig.axes[:3]]
    ['average 3 (label 0)', 'average 8 (label 1)', 'weights $w$ (64 numbers)']
    >>> plt.close(fig)
    """
    run = digit_pair(a, b, seed)
    fig, axes = plt.subplots(1, 3, figsize=(7.4, 3.2))
    for ax, label in zip(axes[:2], (0, 1), strict=True):
        mean = run.X_train[run.y_train == label].mean(axis=0).reshape(8, 8)
        ax.imshow(mean, cmap="Greys", vmin=0.0, vmax=1.0)
        ax.set_title(f"average {run.classes[label]} (label {label})", fontsize=_SMALL + 1)
    limit = float(np.abs(run.w).max())
    image = axes[2].imshow(run.w.reshape(8, 8), cmap=_SIGNED, vmin=-limit, vmax=limit)
    axes[2].set_title("weights $w$ (64 numbers)", fontsize=_SMALL + 1)
    bar = fig.colorbar(image, ax=axes[2], shrink=0.85)
    bar.ax.tick_params(labelsize=_SMALL)
    bar.set_label("weight", fontsize=_SMALL)
    for ax in axes:
        ax.set_xticks([0, 7])
        ax.set_yticks([0, 7])
        ax.set_xlabel("pixel column")
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    axes[0].set_ylabel("pixel row")
    fig.suptitle(f"Orange weights: ink there votes for {b}; blue weights: for {a}",
                 fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# 6. perceptron rule versus the sigmoid neuron's gradient
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
    axes[0].legend(loc="lower left", fontsize=_SMALL)
    fig.suptitle("The sigmoid neuron always updates, but barely when it is very wrong",
                 fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# 7. XOR
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
    ax0.legend(loc="upper right", fontsize=_SMALL)
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
    ax1.legend(loc="upper center", ncol=3, fontsize=_SMALL)
    fig.suptitle("On XOR the perceptron never converges: it cycles", fontsize=12)
    return fig


#: The chapter's live experiments (tests/chapters/test_live.py and the benchmarks enumerate
#: them).
EXPERIMENTS = (boundary_history_experiment, margin_bound_experiment)
