"""Experiments of Chapter 8 (Losses and maximum likelihood).

The chapter's figures, its two live experiments and the heavier helpers. Every static figure
is drawn by a ``draw_*`` function that returns a matplotlib Figure; each live experiment is a
:class:`book.live.LiveFigure`, so the notebook's widget, the website's flipbook, the static
small multiples and the tests all draw the same figure.

Contents

- :func:`line_data`, :func:`fit_line`: a straight line with Gaussian noise and a few gross
  errors, and the line that minimises the squared, the absolute or the Huber loss on it
  (least squares in closed form, least absolute deviations exactly, Huber by iteratively
  reweighted least squares).
- :func:`huber`, :func:`huber_grad`, :func:`huber_efficiency`: Huber's loss, its derivative
  clip(r, -delta, delta), and the efficiency of the Huber estimate under Gaussian noise.
- :func:`draw_motivation`: the chapter's opening picture (three losses, three lines).
- :func:`focal_loss_pt`, :func:`focal_grad_pt`: the focal loss and the size of its gradient
  with respect to the logit, as functions of p_t, the probability of the true class.
- :func:`imbalanced_digits`, :func:`imbalanced_probabilities`, :func:`loss_shares`: one digit
  against the rest with few positives, a small network trained on it with binary
  cross-entropy, and how the total loss splits between right and wrong examples of each
  class under the focal loss.
- :func:`compare_setups`, :class:`SetupComparison`, :func:`draw_setup_comparison`: the same
  digit classifier trained with different output-layer and loss pairs over a grid of
  learning rates.
- :class:`HuberFit`, :func:`huber_experiment`, :func:`draw_huber_settings`: the first live
  experiment (Huber's delta).
- :class:`FocalFocus`, :func:`focal_experiment`, :func:`draw_focal_settings`: the second
  live experiment (the focal loss's gamma and alpha).
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

from nnlib._checks import as_array, check_int, check_positive
from nnlib.data import digits
from nnlib.functional import sigmoid
from nnlib.layers import mlp
from nnlib.losses import BCEWithLogitsLoss
from nnlib.optim import SGD
from nnlib.plot import COLORS
from nnlib.train import accuracy, fit

from . import live

__all__ = [
    "TRUE_LINE", "NOISE_STD", "OUTLIER_LEVELS", "LineData", "line_data", "fit_line",
    "huber", "huber_grad", "huber_efficiency", "draw_motivation",
    "focal_loss_pt", "focal_grad_pt",
    "IMBALANCE", "GROUPS", "imbalanced_digits", "imbalanced_probabilities", "loss_shares",
    "SetupComparison", "compare_setups", "draw_setup_comparison",
    "HuberFit", "huber_experiment", "draw_huber_settings",
    "ALPHAS", "FocalFocus", "focal_experiment", "draw_focal_settings",
    "EXPERIMENTS",
]

#: The line the regression data scatter around: y = intercept + slope * x.
TRUE_LINE = (1.0, 0.5)
#: Standard deviation of the Gaussian noise on the regression data.
NOISE_STD = 0.5
#: The fractions of gross errors the Huber experiment offers.
OUTLIER_LEVELS = (0.0, 0.1, 0.2)

# colours shared by every figure of the chapter: one per loss, the same in every panel
_C_SQUARED, _C_ABSOLUTE, _C_HUBER = COLORS[1], COLORS[2], COLORS[0]
_C_OUTLIER, _C_INLIER = COLORS[3], "#7a7a7a"
_C_POS, _C_NEG, _C_CE = COLORS[0], COLORS[4], COLORS[1]
_STYLE = {"squared": dict(color=_C_SQUARED, ls=(0, (5, 2)), lw=2.0),
          "absolute": dict(color=_C_ABSOLUTE, ls=(0, (6, 2, 1.5, 2)), lw=2.0),
          "huber": dict(color=_C_HUBER, ls="-", lw=2.4)}


# --------------------------------------------------------------------------------------------
# regression with gross errors
# --------------------------------------------------------------------------------------------
class LineData(NamedTuple):
    """Regression data around :data:`TRUE_LINE`.

    Attributes
    ----------
    x, y : ndarray of shape (m,)
        Inputs in [0, 10] (sorted) and targets.
    outlier : ndarray of shape (m,), bool
        True for the gross errors.
    """

    x: np.ndarray
    y: np.ndarray
    outlier: np.ndarray


@functools.lru_cache(maxsize=16)
def _line_data(outliers: float, m: int, seed: int) -> LineData:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 10.0, m))
    y = TRUE_LINE[0] + TRUE_LINE[1] * x + rng.normal(0.0, NOISE_STD, m)
    # candidates for gross errors: the right half, where they have leverage on the slope;
    # the same order and offsets for every level, so 10 % of the errors are part of 20 %
    candidates = rng.permutation(np.flatnonzero(x > 4.0))
    offsets = rng.uniform(5.0, 9.0, len(candidates))
    n_out = min(int(round(outliers * m)), len(candidates))
    chosen = candidates[:n_out]
    y[chosen] -= offsets[:n_out]
    flag = np.zeros(m, dtype=bool)
    flag[chosen] = True
    for a in (x, y, flag):
        a.setflags(write=False)
    return LineData(x, y, flag)


def line_data(outliers: float = 0.1, m: int = 60, seed: int = 0) -> LineData:
    """Points around the line y = 1 + 0.5 x with Gaussian noise and some gross errors.

    Parameters
    ----------
    outliers : float in [0, 0.5]
        Fraction of the m points pushed 5 to 9 units below the line (all with x > 4, where
        they pull hardest on the slope). Nested: the errors at 0.1 are among those at 0.2.
    m : int
        Number of points.
    seed : int

    Returns
    -------
    LineData
        Read-only arrays (cached).

    Examples
    --------
    >>> d = line_data(0.1)
    >>> d.x.shape, int(d.outlier.sum()), bool(np.all(d.x[d.outlier] > 4))
    ((60,), 6, True)
    """
    if not 0.0 <= float(outliers) <= 0.5:
        raise ValueError(f"line_data: expected a fraction of outliers in [0, 0.5], got "
                         f"{outliers!r}.")
    m = check_int(m, "line_data", "m", minimum=4)
    return _line_data(float(outliers), m, int(seed))


def huber(r, delta: float = 1.0) -> np.ndarray:
    """Huber's loss of residuals r: r^2 / 2 for |r| < delta, delta (|r| - delta / 2) beyond.

    The same convention as :class:`nnlib.losses.HuberLoss` (and PyTorch's ``HuberLoss``),
    elementwise, without the mean.

    Examples
    --------
    >>> huber(np.array([0.5, 1.0, 3.0]), delta=1.0)
    array([0.125, 0.5  , 2.5  ])
    """
    r = as_array(r, "huber", name="r")
    delta = check_positive(delta, "huber", "delta")
    a = np.abs(r)
    return np.where(a < delta, 0.5 * r * r, delta * (a - 0.5 * delta))


def huber_grad(r, delta: float = 1.0) -> np.ndarray:
    """The derivative of :func:`huber`: clip(r, -delta, delta).

    Examples
    --------
    >>> huber_grad(np.array([-3.0, 0.5, 1.0]), delta=1.0)
    array([-1. ,  0.5,  1. ])
    """
    r = as_array(r, "huber_grad", name="r")
    delta = check_positive(delta, "huber_grad", "delta")
    return np.clip(r, -delta, delta)


def _design(x):
    return np.column_stack([np.ones_like(x), x])


def _lad_fit(x, y):
    """The exact least-absolute-deviations line: the best line through two data points.

    With two parameters, the minimum of sum |y_i - a - b x_i| is attained at a vertex of the
    linear program, a line that passes through (at least) two of the points; trying every
    pair finds it.
    """
    i, j = np.triu_indices(len(x), k=1)
    keep = x[i] != x[j]
    i, j = i[keep], j[keep]
    slope = (y[j] - y[i]) / (x[j] - x[i])
    intercept = y[i] - slope * x[i]
    cost = np.abs(y[None, :] - intercept[:, None] - slope[:, None] * x[None, :]).sum(axis=1)
    best = int(np.argmin(cost))
    return np.array([intercept[best], slope[best]])


def _huber_fit(x, y, delta, start, tol=1e-12, max_iter=500):
    """Iteratively reweighted least squares for Huber's loss.

    Each step solves a weighted least-squares problem with weights min(1, delta / |r_i|):
    1 for residuals inside the quadratic zone, delta / |r_i| outside, so that the weighted
    squared residual grows like delta |r_i|. The Huber objective never increases (each step
    minimises a quadratic that touches it from above) and the iteration converges to its
    minimiser.
    """
    A = _design(x)
    theta = np.asarray(start, dtype=float)
    for _ in range(max_iter):
        r = A @ theta - y
        w = np.minimum(1.0, delta / np.maximum(np.abs(r), 1e-300))
        Aw = A * w[:, None]
        new = np.linalg.solve(A.T @ Aw, Aw.T @ y)
        if np.max(np.abs(new - theta)) <= tol * (1.0 + np.max(np.abs(theta))):
            return new
        theta = new
    return theta


_FIT_LOSSES = ("squared", "absolute", "huber")


def fit_line(x, y, loss: str = "squared", delta: float = 1.0) -> np.ndarray:
    """The line a + b x that minimises a loss of the residuals a + b x_i - y_i.

    Parameters
    ----------
    x, y : array_like of shape (m,)
    loss : {"squared", "absolute", "huber"}
        Least squares (closed form), least absolute deviations (exact: the best line
        through two of the points) or Huber's loss with ``delta`` (iteratively reweighted
        least squares started from least squares).
    delta : float > 0
        Huber's threshold, in the units of y.

    Returns
    -------
    ndarray of shape (2,)
        (intercept a, slope b).

    Examples
    --------
    >>> x = np.array([0.0, 1.0, 2.0, 3.0]); y = 1 + 2 * x
    >>> fit_line(x, y).round(12).tolist(), fit_line(x, y, "absolute").round(12).tolist()
    ([1.0, 2.0], [1.0, 2.0])
    """
    x = as_array(x, "fit_line", name="x")
    y = as_array(y, "fit_line", name="y")
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
        raise ValueError(f"fit_line: expected x and y of the same shape (m,) with m >= 2, got "
                         f"{x.shape} and {y.shape}.")
    if loss not in _FIT_LOSSES:
        raise ValueError(f"fit_line: expected loss in {_FIT_LOSSES}, got {loss!r}.")
    least_squares = np.linalg.lstsq(_design(x), y, rcond=None)[0]
    if loss == "squared":
        return least_squares
    if loss == "absolute":
        return _lad_fit(x, y)
    return _huber_fit(x, y, check_positive(delta, "fit_line", "delta"), least_squares)


@functools.lru_cache(maxsize=256)
def _fits(outliers: float, delta: float):
    d = line_data(outliers)
    return (fit_line(d.x, d.y, "squared"), fit_line(d.x, d.y, "absolute"),
            fit_line(d.x, d.y, "huber", delta))


def huber_efficiency(k: float) -> float:
    """Asymptotic efficiency, relative to the mean, of Huber's estimate of a location when
    the noise is N(0, 1) and delta = k (in units of the noise's std).

    The M-estimate with psi(r) = clip(r, -k, k) has asymptotic variance
    E[psi(Z)^2] / E[psi'(Z)]^2 for Z ~ N(0, 1); the mean has variance 1.

    Examples
    --------
    >>> round(huber_efficiency(1.345), 3)
    0.95
    """
    k = check_positive(k, "huber_efficiency", "k")
    inside = math.erf(k / math.sqrt(2.0))                       # P(|Z| < k)
    phi = math.exp(-0.5 * k * k) / math.sqrt(2.0 * math.pi)     # density at k
    e_psi2 = inside - 2.0 * k * phi + k * k * (1.0 - inside)    # E[Z^2; |Z|<k] + k^2 P(|Z|>k)
    return inside ** 2 / e_psi2


# --------------------------------------------------------------------------------------------
# the opening picture
# --------------------------------------------------------------------------------------------
def _scatter_line_data(ax, d):
    ax.scatter(d.x[~d.outlier], d.y[~d.outlier], s=20, color=_C_INLIER, zorder=2,
               label="data")
    if d.outlier.any():
        ax.scatter(d.x[d.outlier], d.y[d.outlier], s=44, marker="X", color=_C_OUTLIER,
                   zorder=2, label="gross errors")


def draw_motivation(outliers: float = 0.1, delta: float = 1.0) -> Figure:
    """Three losses, three lines: least squares follows the gross errors, the others do not.

    Left: the data of :func:`line_data` with the lines that minimise the squared, absolute
    and Huber losses, and the true line. Right: what each loss charges for a residual, with
    every point's residual from the true line marked below.

    Examples
    --------
    >>> fig = draw_motivation()
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['input x', 'residual r = prediction - target']
    >>> plt.close(fig)
    """
    d = line_data(outliers)
    ls, lad, hub = _fits(float(outliers), float(delta))
    fig, (ax, ax_r) = plt.subplots(1, 2, figsize=(7.6, 3.7), width_ratios=(1.15, 1))
    _scatter_line_data(ax, d)
    xs = np.array([0.0, 10.0])
    ax.plot(xs, TRUE_LINE[0] + TRUE_LINE[1] * xs, color="black", ls=":", lw=1.6,
            label="true line")
    for name, theta, label in (("squared", ls, "squared"), ("absolute", lad, "absolute"),
                               ("huber", hub, f"Huber, δ = {delta:g}")):
        ax.plot(xs, theta[0] + theta[1] * xs, **_STYLE[name], label=f"{label}: slope "
                f"{theta[1]:.2f}")
    ax.set_xlabel("input x")
    ax.set_ylabel("target y")
    ax.set_title("(a) the line each loss fits", fontsize=11)
    ax.legend(loc="lower left", fontsize=10, handlelength=2.2, labelspacing=0.3)
    ax.set_ylim(-6.5, 7.5)

    r = np.linspace(-8.5, 8.5, 400)
    ax_r.plot(r, 0.5 * r ** 2, **_STYLE["squared"], label="squared ½ r²")
    ax_r.plot(r, np.abs(r), **_STYLE["absolute"], label="absolute |r|")
    ax_r.plot(r, huber(r, delta), **_STYLE["huber"], label=f"Huber, δ = {delta:g}")
    res = TRUE_LINE[0] + TRUE_LINE[1] * d.x - d.y
    ax_r.plot(res[~d.outlier], np.full((~d.outlier).sum(), -1.2), "|", color=_C_INLIER,
              ms=10)
    ax_r.plot(res[d.outlier], np.full(d.outlier.sum(), -1.2), "|", color=_C_OUTLIER, ms=12,
              mew=2)
    ax_r.set_ylim(-2.5, 24)
    ax_r.set_xlabel("residual r = prediction - target")
    ax_r.set_ylabel("loss of one point")
    ax_r.set_title("(b) what each loss charges", fontsize=11)
    ax_r.legend(loc="upper center", fontsize=10)
    fig.suptitle("Squared error lets a few gross errors drag the line; absolute and Huber "
                 "losses do not", fontsize=11.5, fontweight="bold", x=0.01, ha="left")
    return fig


# --------------------------------------------------------------------------------------------
# focal loss
# --------------------------------------------------------------------------------------------
def _check_pt(p_t, where):
    p_t = as_array(p_t, where, name="p_t")
    if not np.all((p_t > 0) & (p_t <= 1)):
        raise ValueError(f"{where}: expected probabilities p_t in (0, 1], got values from "
                         f"{np.min(p_t)} to {np.max(p_t)}.")
    return p_t


def focal_loss_pt(p_t, gamma: float = 2.0, alpha_t: float = 1.0) -> np.ndarray:
    """The focal loss alpha_t (1 - p_t)^gamma (-log p_t) of an example whose true class has
    probability p_t (Lin et al., 2017); gamma = 0, alpha_t = 1 is the cross-entropy.

    Examples
    --------
    >>> focal_loss_pt(np.array([0.5]), gamma=0.0).round(6)   # -log(1/2)
    array([0.693147])
    """
    p_t = _check_pt(p_t, "focal_loss_pt")
    return alpha_t * (1.0 - p_t) ** gamma * -np.log(p_t)


def focal_grad_pt(p_t, gamma: float = 2.0, alpha_t: float = 1.0) -> np.ndarray:
    """|d loss / d z| of the focal loss for a sigmoid output z, as a function of p_t.

    For a positive example (p_t = p = sigmoid(z)) the derivative is
    alpha (1 - p)^gamma (gamma p log p - (1 - p)) <= 0; for a negative one it is the same
    expression in p_t with the sign flipped. Its size is
    alpha_t (1 - p_t)^gamma ((1 - p_t) - gamma p_t log p_t); for gamma = 0, alpha_t (1 - p_t).

    Examples
    --------
    >>> focal_grad_pt(np.array([0.25, 1.0]), gamma=0.0)
    array([0.75, 0.  ])
    """
    p_t = _check_pt(p_t, "focal_grad_pt")
    u = 1.0 - p_t
    return alpha_t * u ** gamma * (u - gamma * p_t * np.log(p_t))


#: The imbalanced task of the focal-loss experiment: one digit against the other nine, with
#: only a few examples of the digit kept, and the small network trained on it.
IMBALANCE = {"positive": 9, "n_positive": 80, "seed": 0, "epochs": 5, "lr": 0.1}
#: The four groups of examples the focal experiment counts: (label, class, classified right).
GROUPS = (("negatives,\nright", 0, True), ("negatives,\nwrong", 0, False),
          ("positives,\nright", 1, True), ("positives,\nwrong", 1, False))


@functools.lru_cache(maxsize=4)
def _imbalanced(positive, n_positive, seed):
    X, y = digits()
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == positive), np.flatnonzero(y != positive)
    keep = rng.permutation(np.concatenate([rng.choice(pos, n_positive, replace=False), neg]))
    Xs, ys = X[keep], (y[keep] == positive).astype(np.float64)
    Xs.setflags(write=False)
    ys.setflags(write=False)
    return Xs, ys


def imbalanced_digits(positive: int = 9, n_positive: int = 80, seed: int = 0):
    """One digit against the rest: all the other digits, and ``n_positive`` of this one.

    Returns
    -------
    X : ndarray of shape (m, 64)
    y : ndarray of shape (m,), 1.0 for the digit and 0.0 for the rest (read-only, cached)

    Examples
    --------
    >>> X, y = imbalanced_digits()
    >>> X.shape, int(y.sum())
    ((1697, 64), 80)
    """
    positive = check_int(positive, "imbalanced_digits", "positive", minimum=0)
    if positive > 9:
        raise ValueError(f"imbalanced_digits: expected a digit 0-9, got {positive}.")
    n_positive = check_int(n_positive, "imbalanced_digits", "n_positive", minimum=1)
    return _imbalanced(positive, n_positive, int(seed))


@functools.lru_cache(maxsize=4)
def _imbalanced_probabilities(positive, n_positive, seed, epochs, lr):
    X, y = imbalanced_digits(positive, n_positive, seed)
    net = mlp([64, 16, 1], "relu", rng=seed)
    fit(net, BCEWithLogitsLoss(), SGD(net.parameters(), lr=lr), X, y, epochs=epochs,
        batch_size=32, rng=seed, progress=False, diagnostics=False)
    p = sigmoid(net(X)[:, 0])
    p.setflags(write=False)
    return p, y


def imbalanced_probabilities(**changes):
    """Predicted probabilities of a 64-16-1 ReLU network trained with binary cross-entropy
    on :func:`imbalanced_digits` (the settings of :data:`IMBALANCE`, or ``changes``).

    Returns
    -------
    p : ndarray of shape (m,)
        sigmoid of the network's output on each training example.
    y : ndarray of shape (m,)
        The labels.
    """
    unknown = set(changes) - set(IMBALANCE)
    if unknown:
        raise ValueError(f"imbalanced_probabilities: unknown settings {sorted(unknown)}; the "
                         f"settings are {sorted(IMBALANCE)}.")
    s = {**IMBALANCE, **changes}
    return _imbalanced_probabilities(s["positive"], s["n_positive"], s["seed"], s["epochs"],
                                     s["lr"])


def _group_masks(p, y):
    right = np.where(y == 1, p > 0.5, p <= 0.5)
    return [(y == cls) & (right == ok) for _, cls, ok in GROUPS]


def loss_shares(p, y, gamma: float = 0.0, alpha: float = -1.0) -> np.ndarray:
    """How the total focal loss splits between the four :data:`GROUPS` of examples.

    Parameters
    ----------
    p : ndarray of shape (m,)
        Predicted probabilities of class 1.
    y : ndarray of shape (m,)
        Labels 0 or 1.
    gamma : float >= 0
    alpha : float
        Weight of the positives (negatives get 1 - alpha); negative switches it off, as in
        :class:`nnlib.losses.FocalLoss`. gamma = 0 with alpha off is the cross-entropy.

    Returns
    -------
    ndarray of shape (4,)
        Fractions of the total loss (they sum to 1), in the order of :data:`GROUPS`.

    Examples
    --------
    >>> p, y = np.array([0.1, 0.9, 0.8]), np.array([0.0, 0.0, 1.0])
    >>> loss_shares(p, y).round(3).tolist()      # the wrong negative carries most
    [0.04, 0.875, 0.085, 0.0]
    """
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    p_t = np.where(y == 1, p, 1.0 - p)
    alpha_t = np.ones_like(p) if alpha < 0 else np.where(y == 1, alpha, 1.0 - alpha)
    per = focal_loss_pt(np.clip(p_t, 1e-300, 1.0), gamma, alpha_t)
    total = per.sum()
    return np.array([per[mask].sum() / total for mask in _group_masks(p, y)])


# --------------------------------------------------------------------------------------------
# output layer and loss on the digits
# --------------------------------------------------------------------------------------------
class SetupComparison(NamedTuple):
    """The results of :func:`compare_setups`.

    Attributes
    ----------
    setups : tuple of str
    lrs : tuple of float
    seeds : tuple of int
    val_acc : ndarray of shape (S, L, K, E)
        Validation accuracy after each epoch for setup, learning rate, seed; NaN after a run
        diverged (its loss became infinite or NaN).
    test_acc : ndarray of shape (S, L, K)
        Test accuracy at the end (NaN for a diverged run).
    diverged : ndarray of shape (S, L, K), bool
    models : dict
        ``(setup, lr, seed) -> trained model``.
    """

    setups: tuple
    lrs: tuple
    seeds: tuple
    val_acc: np.ndarray
    test_acc: np.ndarray
    diverged: np.ndarray
    models: dict

    def score(self) -> np.ndarray:
        """(S, L): mean validation accuracy over epochs and seeds (0 for a diverged run):
        high when a setup learns fast and stays good."""
        return np.nan_to_num(self.val_acc, nan=0.0).mean(axis=(2, 3))

    def best_lr(self, setup: str) -> float:
        """The learning rate with the highest :meth:`score` for ``setup``."""
        i = self.setups.index(setup)
        return self.lrs[int(np.argmax(self.score()[i]))]

    def curve(self, setup: str, lr: float | None = None) -> np.ndarray:
        """Mean validation accuracy per epoch over the seeds (at the best rate by default)."""
        i = self.setups.index(setup)
        j = self.lrs.index(self.best_lr(setup) if lr is None else lr)
        return np.nan_to_num(self.val_acc[i, j], nan=0.0).mean(axis=0)

    def epochs_to(self, setup: str, level: float, lr: float | None = None) -> int | None:
        """The first epoch whose mean validation accuracy reaches ``level`` (None: never)."""
        c = self.curve(setup, lr)
        hit = np.flatnonzero(c >= level)
        return int(hit[0]) + 1 if hit.size else None


def _recorder(record, X_val, y_val):
    """A callback for fit that appends the validation accuracy after every epoch."""
    def on_epoch_end(epoch, history, model):
        record.append(accuracy(model(X_val), y_val))
    return on_epoch_end


def compare_setups(make, setups, X_train, X_val, y_val, X_test, y_test, lrs=(0.1, 0.3, 1.0, 3.0),
                   seeds=(0, 1), epochs=20, batch_size=32) -> SetupComparison:
    """Train one classifier per setup, learning rate and seed with minibatch SGD.

    Parameters
    ----------
    make : callable
        ``make(setup, seed) -> (model, loss_fn, targets)``: a fresh model, the loss and the
        training targets in the form that loss wants (labels or one-hot rows). The model's
        output has one column per class; its largest entry is the predicted class.
    setups : sequence of str
        Names passed to ``make``.
    X_train : ndarray of shape (m, d)
    X_val, y_val, X_test, y_test : ndarrays
        Inputs and integer labels for the validation and test accuracies.
    lrs, seeds : sequences
    epochs, batch_size : int

    Returns
    -------
    SetupComparison

    Notes
    -----
    A run whose loss becomes infinite or NaN stops there (``fit`` notices it and warns; the
    warning is recorded as ``diverged`` instead of being shown). numpy's floating-point
    warnings (overflow, invalid values) are silenced during the runs: they only occur on
    the way to such a divergence, which is recorded. Any other warning is shown.
    """
    setups, lrs, seeds = tuple(setups), tuple(float(v) for v in lrs), tuple(seeds)
    epochs = check_int(epochs, "compare_setups", "epochs", minimum=1)
    shape = (len(setups), len(lrs), len(seeds))
    val_acc = np.full(shape + (epochs,), np.nan)
    test_acc = np.full(shape, np.nan)
    diverged = np.zeros(shape, dtype=bool)
    models = {}
    for i, setup in enumerate(setups):
        for j, lr in enumerate(lrs):
            for k, seed in enumerate(seeds):
                model, loss_fn, targets = make(setup, seed)
                record = []
                # a diverging run overflows on its way to an infinite loss: numpy's warnings
                # about that are the symptom fit reports as divergence, recorded below
                with warnings.catch_warnings(record=True) as caught, \
                        np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    warnings.simplefilter("always")
                    history = fit(model, loss_fn, SGD(model.parameters(), lr=lr), X_train,
                                  targets, epochs=epochs, batch_size=batch_size, rng=seed,
                                  progress=False, diagnostics=False, blas_threads=1,
                                  callbacks=[_recorder(record, X_val, y_val)])
                others = [w for w in caught if "training loss became" not in str(w.message)]
                for w in others:  # anything unexpected is shown as it was
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                val_acc[i, j, k, :len(record)] = record
                diverged[i, j, k] = history.diverged
                if not history.diverged:
                    test_acc[i, j, k] = accuracy(model(X_test), y_test)
                models[setup, lr, seed] = model
    return SetupComparison(setups, lrs, seeds, val_acc, test_acc, diverged, models)


def draw_setup_comparison(result: SetupComparison) -> Figure:
    """Validation accuracy per epoch at each setup's best learning rate (left), and the
    score of every learning rate (right; a cross marks rates where a run diverged).

    Examples
    --------
    >>> E = np.linspace(0.5, 0.9, 3)
    >>> acc = np.broadcast_to(E, (2, 2, 1, 3)).copy()
    >>> r = SetupComparison(("a", "b"), (0.1, 1.0), (0,), acc, np.ones((2, 2, 1)),
    ...                     np.zeros((2, 2, 1), bool), {})
    >>> fig = draw_setup_comparison(r)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['epoch', 'learning rate η (log scale)']
    >>> plt.close(fig)
    """
    fig, (ax, ax_lr) = plt.subplots(1, 2, figsize=(7.6, 3.7), width_ratios=(1.2, 1))
    epochs = np.arange(1, result.val_acc.shape[-1] + 1)
    markers = ("o", "s", "^", "D")
    score = result.score()
    for i, setup in enumerate(result.setups):
        color = COLORS[i]
        best = result.best_lr(setup)
        ax.plot(epochs, result.curve(setup), marker=markers[i % 4], ms=4, color=color,
                label=f"{setup} (η = {best:g})")
        ax_lr.plot(result.lrs, score[i], marker=markers[i % 4], color=color, label=setup)
        bad = result.diverged[i].any(axis=1)
        if bad.any():
            ax_lr.plot(np.array(result.lrs)[bad], score[i][bad], "x", ms=11, mew=2.2,
                       color=color)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(0.0, 1.0)
    ax.set_title("(a) each at its best learning rate", fontsize=11)
    ax.legend(loc="lower right", fontsize=10)
    ax_lr.set_xscale("log")
    ax_lr.xaxis.set_major_locator(FixedLocator(result.lrs))
    ax_lr.set_xticklabels([f"{v:g}" for v in result.lrs])
    ax_lr.set_xlabel("learning rate η (log scale)")
    ax_lr.set_ylabel("mean validation accuracy")
    ax_lr.set_ylim(0.0, 1.0)
    ax_lr.set_title("(b) which learning rates work (× diverged)", fontsize=11)
    fig.suptitle("The matched pair softmax + cross-entropy learns fastest, at the widest "
                 "range of rates", fontsize=11.5, fontweight="bold", x=0.01, ha="left")
    return fig


# --------------------------------------------------------------------------------------------
# live experiment 1: Huber's delta
# --------------------------------------------------------------------------------------------
_R = np.linspace(-4.0, 4.0, 321)
#: The size of one panel of the static small multiples, before small_multiples scales it by
#: 0.72: the live figure's size (7.6 x 4.4 inches) at full scale.
_STATIC_SIZE = (7.6 / 0.72, 4.4 / 0.72)


def _two_by_one(fig):
    """Loss (top left), its gradient (bottom left) and a data panel (right)."""
    gs = fig.add_gridspec(2, 2, width_ratios=(1.0, 1.15))
    ax_l = fig.add_subplot(gs[0, 0])
    ax_g = fig.add_subplot(gs[1, 0], sharex=ax_l)
    ax_d = fig.add_subplot(gs[:, 1])
    ax_l.tick_params(labelbottom=False)
    return ax_l, ax_g, ax_d


class HuberFit(live.LiveFigure):
    """Huber's loss and its gradient for one delta, and the line it fits to data with gross
    errors.

    Controls: ``delta`` (Huber's threshold) and ``outliers`` (a fraction in
    :data:`OUTLIER_LEVELS`). Top left: the loss against the residual, with the squared loss
    r^2 / 2 and the absolute loss |r| for reference; bottom left: the derivative
    clip(r, -delta, delta) with r and sign(r); the dots mark r = +-delta, where the loss
    changes from quadratic to linear and the gradient is exactly +-delta. Right: the data,
    the true line, and the lines fitted with the three losses. Every axis is fixed, so a move
    of delta only redraws the Huber curves, dots, line and the note of its slope.

    Examples
    --------
    >>> r = live.Renderer(HuberFit())
    >>> png = r.png({"delta": 1.0, "outliers": 0.1})
    >>> r.live.note.get_text().startswith("Huber, δ = 1: slope")
    True
    >>> r.close()
    """

    size = (7.6, 4.5)
    rebuild_on = ("outliers",)

    def __init__(self, size=None):
        if size is not None:
            self.size = tuple(size)

    def build(self, fig, delta, outliers):
        d = line_data(outliers)
        ax_l, ax_g, ax_f = _two_by_one(fig)
        self.axes = (ax_l, ax_g, ax_f)
        ax_l.plot(_R, 0.5 * _R ** 2, **_STYLE["squared"], label="½ r²")
        ax_l.plot(_R, np.abs(_R), **_STYLE["absolute"], label="|r|")
        ax_l.set_ylim(-0.3, 6.5)
        ax_l.set_ylabel("loss")
        ax_l.set_title("(a) Huber loss", fontsize=11)
        ax_g.plot(_R, _R, **_STYLE["squared"], label="r")
        ax_g.plot(_R, np.sign(_R), **_STYLE["absolute"], label="sign r")
        ax_g.set_ylim(-4.2, 4.2)
        ax_g.set_xlim(-4, 4)
        ax_g.set_xlabel("residual r")
        ax_g.set_ylabel("gradient dℓ/dr")
        ax_g.set_title("(b) its gradient, clip(r, −δ, δ)", fontsize=11)
        self.loss_line, = ax_l.plot([], [], **_STYLE["huber"], zorder=3, label="Huber")
        self.grad_line, = ax_g.plot([], [], **_STYLE["huber"], zorder=3, label="Huber")
        self.loss_dots, = ax_l.plot([], [], "o", color=_C_HUBER, ms=6, zorder=4)
        self.grad_dots, = ax_g.plot([], [], "o", color=_C_HUBER, ms=6, zorder=4)
        ax_l.legend(loc="upper center", fontsize=10, ncols=3, handlelength=1.6,
                    columnspacing=0.8)

        _scatter_line_data(ax_f, d)
        xs = np.array([0.0, 10.0])
        ls, lad, _ = _fits(float(outliers), 1.0)
        ax_f.plot(xs, TRUE_LINE[0] + TRUE_LINE[1] * xs, color="black", ls=":", lw=1.6)
        ax_f.plot(xs, ls[0] + ls[1] * xs, **_STYLE["squared"])
        ax_f.plot(xs, lad[0] + lad[1] * xs, **_STYLE["absolute"])
        self.fit_line, = ax_f.plot([], [], **_STYLE["huber"], zorder=3)
        ax_f.set_xlim(-0.3, 10.3)
        ax_f.set_ylim(-6.5, 7.5)
        ax_f.set_xlabel("input x")
        ax_f.set_ylabel("target y")
        ax_f.set_title(f"(c) fitted lines, {outliers:.0%} gross errors", fontsize=11)
        for k, (text, color) in enumerate(((f"absolute: slope {lad[1]:.2f}", _C_ABSOLUTE),
                                           (f"squared: slope {ls[1]:.2f}", _C_SQUARED),
                                           (f"true line: slope {TRUE_LINE[1]:.2f}", "black"))):
            ax_f.text(0.03, 0.115 + 0.065 * k, text, transform=ax_f.transAxes, va="bottom",
                      fontsize=10, color=color, fontweight="bold" if k < 2 else "normal")
        self.note = ax_f.text(0.03, 0.03, "", transform=ax_f.transAxes, va="bottom",
                              fontsize=10, color=_C_HUBER, fontweight="bold", zorder=5)
        self.xs = xs
        self.animate(self.loss_line, self.grad_line, self.loss_dots, self.grad_dots,
                     self.fit_line, self.note)

    def update(self, delta, outliers):
        delta = check_positive(delta, "HuberFit", "delta")
        self.loss_line.set_data(_R, huber(_R, delta))
        self.grad_line.set_data(_R, huber_grad(_R, delta))
        knots = np.array([-delta, delta])
        inside = np.abs(knots) <= 4.0
        self.loss_dots.set_data(knots[inside], (0.5 * delta ** 2) * np.ones(inside.sum()))
        self.grad_dots.set_data(knots[inside], knots[inside])
        theta = _fits(float(outliers), float(delta))[2]
        self.fit_line.set_data(self.xs, theta[0] + theta[1] * self.xs)
        self.note.set_text(f"Huber, δ = {delta:g}: slope {theta[1]:.2f}")

    def describe(self, delta, outliers):
        ls, lad, hub = _fits(float(outliers), float(delta))
        return (f"Huber loss with delta = {live._fmt(delta)}: quadratic for residuals "
                f"smaller than {live._fmt(delta)}, linear beyond, with gradient "
                f"clip(r, -{live._fmt(delta)}, {live._fmt(delta)}). On 60 points with "
                f"{outliers:.0%} gross errors it fits a slope of {hub[1]:.2f} (true "
                f"{TRUE_LINE[1]:.2f}; least squares {ls[1]:.2f}, least absolute deviations "
                f"{lad[1]:.2f}).")


#: The website's values of delta (the default 1 among them).
_DELTA_WEB = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0)


def huber_experiment() -> live.Experiment:
    """The chapter's first live experiment: :class:`HuberFit` with its controls.

    delta from 0.1 to 5 (on the website the ten values of ``_DELTA_WEB``) and the fraction
    of gross errors (0, 10 % or 20 %): 30 frames.
    """
    return live.Experiment(
        "huber-delta", HuberFit(),
        title="Huber's δ: where the loss stops growing quadratically",
        caption=("Left: Huber's loss and its gradient against the residual (dots at r = ±δ, "
                 "where the gradient is exactly ±δ); the squared and absolute losses for "
                 "reference. Right: the lines that minimise each loss on the same points."),
        controls=dict(
            delta=live.Slider(0.1, 5.0, 0.1, value=1.0, label="δ", web=_DELTA_WEB),
            outliers=live.Choice([("none", 0.0), ("10 %", 0.1), ("20 %", 0.2)], 0.1,
                                 label="gross errors")))


def draw_huber_settings(deltas=(0.3, 3.0), outliers: float = 0.1) -> Figure:
    """The static version of the Huber experiment: :class:`HuberFit` for a few deltas,
    stacked.

    Examples
    --------
    >>> fig = draw_huber_settings((0.5,))
    >>> fig.subfigs[0]._suptitle.get_text()
    'δ = 0.5'
    >>> plt.close(fig)
    """
    deltas = [check_positive(v, "draw_huber_settings", "every delta") for v in deltas]
    return live.small_multiples(HuberFit(size=_STATIC_SIZE), [{"delta": v, "outliers": outliers}
                                             for v in deltas], ncols=1,
                                titles=[f"δ = {v:g}" for v in deltas])


# --------------------------------------------------------------------------------------------
# live experiment 2: the focal loss's gamma and alpha
# --------------------------------------------------------------------------------------------
#: The alpha settings of the focal experiment: (label, value); a negative value is "off".
ALPHAS = (("off", -1.0), ("0.25", 0.25), ("0.5", 0.5), ("0.75", 0.75))
_PT = np.linspace(0.002, 1.0, 400)


def _fmt_share(s):
    return f"{100 * s:.1f} %" if s >= 0.001 else f"{100 * s:.2f} %"


class FocalFocus(live.LiveFigure):
    """The focal loss and its gradient against p_t, and where the total loss of an
    imbalanced digits task comes from.

    Controls: ``gamma`` (the focusing exponent) and ``alpha`` (the weight of the positive
    class; -1 switches it off). Top left: the loss against p_t for a positive (solid) and a
    negative (dashed) example, with the cross-entropy -log p_t; bottom left: the size of the
    gradient with respect to the logit. Right: the share of the total loss carried by the
    examples of each class that a network trained with cross-entropy gets right or wrong
    (:func:`imbalanced_probabilities`); hollow bars are the shares under the cross-entropy.

    Examples
    --------
    >>> r = live.Renderer(FocalFocus())
    >>> png = r.png({"gamma": 2.0, "alpha": 0.25})
    >>> r.live.note.get_text()
    '$(1 - 0.9)^\\\\gamma$ = 0.01'
    >>> r.close()
    """

    size = (7.6, 4.5)

    def __init__(self, size=None):
        if size is not None:
            self.size = tuple(size)

    def build(self, fig, gamma, alpha):
        p, y = imbalanced_probabilities()
        self.p, self.y = p, y
        ax_l, ax_g, ax_b = _two_by_one(fig)
        self.axes = (ax_l, ax_g, ax_b)
        ax_l.plot(_PT, -np.log(_PT), color=_C_CE, ls=(0, (5, 2)), lw=2.0,
                  label="cross-entropy")
        ax_l.set_ylim(-0.1, 4.2)
        ax_l.set_ylabel("loss")
        ax_l.set_title("(a) focal loss", fontsize=11)
        ax_g.plot(_PT, 1.0 - _PT, color=_C_CE, ls=(0, (5, 2)), lw=2.0)
        ax_g.set_ylim(-0.03, 1.4)
        ax_g.set_xlim(0, 1)
        ax_g.set_xlabel("$p_t$, probability of the true class")
        ax_g.set_ylabel("|dℓ/dz|")
        ax_g.set_title("(b) size of its gradient", fontsize=11)
        self.lines = {}
        for ax, key in ((ax_l, "loss"), (ax_g, "grad")):
            self.lines[key, 1], = ax.plot([], [], color=_C_POS, lw=2.4, zorder=3,
                                          label="focal, positive")
            self.lines[key, 0], = ax.plot([], [], color=_C_NEG, lw=2.2, ls=(0, (3, 1.5)),
                                          zorder=3.1, label="focal, negative")
        ax_l.legend(loc="upper right", fontsize=10, handlelength=1.8)
        self.note = ax_g.text(0.97, 0.95, "", transform=ax_g.transAxes, ha="right",
                              va="top", fontsize=10, zorder=5)

        ce = loss_shares(p, y)
        x = np.arange(len(GROUPS))
        colors = [_C_POS if cls else _C_NEG for _, cls, _ in GROUPS]
        self.bars = ax_b.bar(x, np.zeros(len(GROUPS)), width=0.62, color=colors, zorder=3)
        # the outlines of the cross-entropy's shares never change, but they are drawn over
        # the animated bars, so they are animated too (redrawn after them on every update)
        self.outlines = ax_b.bar(x, 100 * ce, width=0.62, facecolor="none", edgecolor=_C_CE,
                                 lw=1.8, ls=(0, (4, 2)), zorder=4, label="cross-entropy")
        counts = [int(mask.sum()) for mask in _group_masks(p, y)]
        ax_b.set_xticks(x, [f"{label}\n({n:,})" for (label, _, _), n in zip(GROUPS, counts,
                                                                              strict=True)],
                        fontsize=10)
        ax_b.set_xlabel("group of examples (number in it)")
        ax_b.set_ylim(0, 105)
        ax_b.set_ylabel("share of the total loss (%)")
        ax_b.set_title(f"(c) digits, {IMBALANCE['positive']} against the rest: "
                       f"{counts[2] + counts[3]} of {len(y):,}", fontsize=11)
        ax_b.legend(loc="upper left", fontsize=10)
        self.labels = [ax_b.text(xi, 0, "", ha="center", va="bottom", fontsize=10, zorder=5)
                       for xi in x]
        self.animate(*self.lines.values(), self.note, *self.bars, *self.outlines,
                     *self.labels)

    def update(self, gamma, alpha):
        gamma = float(gamma)
        if gamma < 0:
            raise ValueError(f"FocalFocus: expected gamma >= 0, got {gamma}.")
        for cls in (1, 0):
            a_t = 1.0 if alpha < 0 else (alpha if cls else 1.0 - alpha)
            self.lines["loss", cls].set_data(_PT, focal_loss_pt(_PT, gamma, a_t))
            self.lines["grad", cls].set_data(_PT, focal_grad_pt(_PT, gamma, a_t))
        self.note.set_text(f"$(1 - 0.9)^\\gamma$ = {0.1 ** gamma:.2g}")
        shares = loss_shares(self.p, self.y, gamma, alpha)
        for bar, label, s in zip(self.bars, self.labels, shares, strict=True):
            bar.set_height(100 * s)
            label.set_position((bar.get_x() + bar.get_width() / 2, 100 * s + 1.5))
            label.set_text(_fmt_share(s))

    def describe(self, gamma, alpha):
        shares = loss_shares(self.p if hasattr(self, "p") else imbalanced_probabilities()[0],
                             imbalanced_probabilities()[1], float(gamma), float(alpha))
        ce = loss_shares(*imbalanced_probabilities())
        a = "off" if alpha < 0 else live._fmt(alpha)
        return (f"Focal loss with gamma = {live._fmt(gamma)}, alpha {a}: at p_t = 0.9 the "
                f"modulating factor (1 - p_t)^gamma is {0.1 ** float(gamma):.2g}. On the "
                f"imbalanced digits task the correctly classified negatives carry "
                f"{_fmt_share(shares[0])} of the total loss (cross-entropy: "
                f"{_fmt_share(ce[0])}) and the misclassified positives "
                f"{_fmt_share(shares[3])} (cross-entropy: {_fmt_share(ce[3])}).")


def focal_experiment() -> live.Experiment:
    """The chapter's second live experiment: :class:`FocalFocus` with its controls.

    gamma from 0 to 5 in steps of 0.25 (on the website steps of 0.5) and alpha off, 0.25,
    0.5 or 0.75: 44 frames.
    """
    return live.Experiment(
        "focal-gamma", FocalFocus(),
        title="The focal loss: γ turns down the easy examples",
        caption=("Left: the focal loss α_t (1 − p_t)^γ (−log p_t) and the size of its "
                 "gradient with respect to the logit, for a positive and a negative example; "
                 "dashed: the cross-entropy. Right: the share of the total loss carried by "
                 "each group of examples of an imbalanced digits task."),
        controls=dict(
            gamma=live.Slider(0.0, 5.0, 0.25, value=2.0, label="γ",
                              web=tuple(np.round(np.arange(0.0, 5.01, 0.5), 2).tolist())),
            alpha=live.Choice(list(ALPHAS), 0.25, label="α")))


def draw_focal_settings(gammas=(0.0, 2.0), alpha: float = -1.0) -> Figure:
    """The static version of the focal experiment: :class:`FocalFocus` for a few gammas,
    stacked.

    Examples
    --------
    >>> fig = draw_focal_settings((1.0,))
    >>> fig.subfigs[0]._suptitle.get_text()
    'γ = 1, α off'
    >>> plt.close(fig)
    """
    a = "off" if alpha < 0 else f"{alpha:g}"
    return live.small_multiples(FocalFocus(size=_STATIC_SIZE), [{"gamma": float(g), "alpha": alpha}
                                               for g in gammas], ncols=1,
                                titles=[f"γ = {g:g}, α {a}" for g in gammas])


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks enumerate them).
EXPERIMENTS = (huber_experiment, focal_experiment)
