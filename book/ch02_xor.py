"""Experiments of Chapter 2 (XOR and hidden layers).

The chapter's figures and its one heavy computation live here as plain functions, so that
the notebook stays short, the slider experiment can be timed and tested without a widget,
and the static figure and the widget draw with the same code:

- :func:`hand_built_network` builds the 2-2-1 network that computes XOR exactly (an OR
  unit and a NAND unit, combined by an AND unit), from ``nnlib.Linear`` layers whose weights
  are set by hand;
- :func:`hidden_points` and :func:`best_separating_line` map the four points into the
  hidden space and test whether a line separates them there;
- :func:`train_many` trains many small networks on XOR at once by full-batch gradient
  descent, one network per (width, seed), to measure how often training succeeds;
- :func:`draw_xor_problem`, :func:`draw_hand_built`, :func:`draw_hidden_space` (the slider
  experiment), :func:`draw_settings` (its static version), :func:`draw_success_rates` and
  :func:`draw_failure_anatomy` draw the chapter's figures.

Labels follow the book: class 0 is drawn in ``COLORS[0]`` with a circle, class 1 in
``COLORS[1]`` with a square; a step unit outputs 1 where z > 0 and 0 elsewhere, as the
perceptron of Chapter 1 does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D

from nnlib._checks import as_array, check_finite_scalar, check_int, check_positive
from nnlib.core import Module, Sequential
from nnlib.data import xor
from nnlib.functional import sigmoid
from nnlib.layers import Linear, Sigmoid, mlp
from nnlib.plot import COLORS, MARKERS

from .shared import XOR_B1, XOR_B2, XOR_W1, XOR_W2

__all__ = [
    "X_XOR",
    "Y_XOR",
    "SETTINGS",
    "Step",
    "step",
    "hand_built_network",
    "hidden_points",
    "best_separating_line",
    "XorRuns",
    "train_many",
    "closest_opposite_pair",
    "dead_units",
    "draw_xor_problem",
    "draw_hand_built",
    "draw_hidden_space",
    "draw_settings",
    "draw_success_rates",
    "draw_failure_anatomy",
]

#: The four inputs of the truth table, in the order (0,0), (0,1), (1,0), (1,1), and their labels.
X_XOR, Y_XOR = xor()
X_XOR.setflags(write=False)
Y_XOR.setflags(write=False)

#: Hidden-layer settings for the static version of the slider experiment:
#: name -> (w11, w12, b1, w21, w22, b2).
SETTINGS = {
    "OR and NAND": (1.0, 1.0, -0.5, -1.0, -1.0, 1.5),
    "two corner detectors": (1.0, -1.0, -0.5, -1.0, 1.0, -0.5),
    "both lines coincide": (1.0, 1.0, -0.5, 1.0, 1.0, -0.5),
    "unit 2 never fires": (1.0, 1.0, -0.5, 0.0, 1.0, -1.25),
}

_ACTIVATIONS = ("step", "sigmoid")
_UNIT_COLORS = (COLORS[2], COLORS[4])
_OUTPUT_COLOR = COLORS[3]
_POINT_NAMES = ("(0,0)", "(0,1)", "(1,0)", "(1,1)")


# --------------------------------------------------------------------------------------------
# the hand-built network
# --------------------------------------------------------------------------------------------
def step(z):
    """The Heaviside step of Chapter 1's perceptron: 1 where z > 0, else 0.

    Parameters
    ----------
    z : array_like

    Returns
    -------
    ndarray of float64, the shape of ``z``

    Examples
    --------
    >>> step([-1.0, 0.0, 0.5]).tolist()
    [0.0, 0.0, 1.0]
    """
    return (as_array(z, "step", name="z") > 0).astype(np.float64)


class Step(Module):
    """A layer of step units, a = 1[z > 0], so that a hand-built network is an nnlib Module.

    The step function has derivative 0 wherever it is differentiable, so ``backward``
    returns zeros: gradient descent cannot train step units, which is why the chapter
    trains sigmoid units instead.

    See Also
    --------
    Chapter 1 (the perceptron's step activation); Chapter 2 (XOR and hidden layers).

    Examples
    --------
    >>> layer = Step()
    >>> layer(np.array([[-0.5, 0.5]])).tolist()
    [[0.0, 1.0]]
    >>> layer.backward(np.ones((1, 2))).tolist()
    [[0.0, 0.0]]
    """

    def __init__(self):
        super().__init__()
        self._z = None

    def forward(self, x):
        z = as_array(x, self)
        self._z = z
        return (z > 0).astype(z.dtype)

    def backward(self, grad_out):
        z = self._cached(self._z)
        g = self._check_grad_out(grad_out, z.shape, z.dtype)
        return np.zeros_like(g)


def hand_built_network(activation="step", steepness=1.0) -> Sequential:
    """The 2-2-1 network that computes XOR: OR and NAND hidden units, an AND output unit.

    Parameters
    ----------
    activation : {"step", "sigmoid"}
        The activation of all three units.
    steepness : float > 0
        Every weight and bias is multiplied by this factor. For step units it changes
        nothing; for sigmoid units a large factor makes each unit nearly a step
        (sigmoid(k z) tends to the step function as k grows).

    Returns
    -------
    Sequential
        ``Linear(2, 2), act, Linear(2, 1), act`` with
        W1 = k [[1, 1], [-1, -1]], b1 = k [-0.5, 1.5], W2 = k [[1, 1]], b2 = k [-1.5].

    Raises
    ------
    ValueError
        If ``activation`` is not "step" or "sigmoid", or ``steepness`` is not > 0.

    Notes
    -----
    Unit 1 computes OR(x1, x2) = step(x1 + x2 - 0.5), unit 2 NAND(x1, x2) =
    step(-x1 - x2 + 1.5), and the output AND(h1, h2) = step(h1 + h2 - 1.5); XOR is
    exactly OR AND NAND.

    See Also
    --------
    Chapter 2 (XOR and hidden layers).

    Examples
    --------
    >>> net = hand_built_network("step")
    >>> net(X_XOR)[:, 0].tolist()
    [0.0, 1.0, 1.0, 0.0]
    >>> hand_built_network("sigmoid", steepness=10.0)(X_XOR)[:, 0].round(3).tolist()
    [0.007, 0.992, 0.992, 0.007]
    """
    where = "hand_built_network"
    if activation not in _ACTIVATIONS:
        raise ValueError(f"{where}: expected activation 'step' or 'sigmoid', got "
                         f"{activation!r}.")
    k = check_positive(steepness, where, "steepness")
    make = Step if activation == "step" else Sigmoid
    hidden, output = Linear(2, 2, init="zeros"), Linear(2, 1, init="zeros")
    hidden.weight.data[:] = k * XOR_W1
    hidden.bias.data[:] = k * XOR_B1
    output.weight.data[:] = k * XOR_W2
    output.bias.data[:] = k * XOR_B2
    return Sequential(hidden, make(), output, make())


def _hidden_params(w11, w12, b1, w21, w22, b2, where):
    values = [check_finite_scalar(v, where, name) for v, name in
              zip((w11, w12, b1, w21, w22, b2), ("w11", "w12", "b1", "w21", "w22", "b2"),
                  strict=True)]
    W = np.array([values[0:2], values[3:5]])
    b = np.array([values[2], values[5]])
    return W, b


def hidden_points(W1, b1, activation="step", X=None):
    """Where a hidden layer sends the inputs: a = act(X W1^T + b1), one row per input.

    Parameters
    ----------
    W1 : array_like of shape (n_1, 2)
        Hidden weights, one row per hidden unit.
    b1 : array_like of shape (n_1,)
    activation : {"step", "sigmoid"}
    X : array_like of shape (m, 2), optional
        The inputs; default the four XOR points.

    Returns
    -------
    ndarray of shape (m, n_1)

    Examples
    --------
    >>> hidden_points(XOR_W1, XOR_B1).tolist()
    [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 0.0]]
    """
    where = "hidden_points"
    if activation not in _ACTIVATIONS:
        raise ValueError(f"{where}: expected activation 'step' or 'sigmoid', got "
                         f"{activation!r}.")
    W1 = as_array(W1, where, dtype=np.float64, name="W1")
    b1 = as_array(b1, where, dtype=np.float64, name="b1")
    X = X_XOR if X is None else as_array(X, where, dtype=np.float64, name="X")
    if W1.ndim != 2 or X.ndim != 2 or W1.shape[1] != X.shape[1] or b1.shape != W1.shape[:1]:
        raise ValueError(f"{where}: expected W1 of shape (n_1, d), b1 of shape (n_1,) and X of "
                         f"shape (m, d), got W1 {W1.shape}, b1 {b1.shape}, X {X.shape}.")
    z = X @ W1.T + b1
    return step(z) if activation == "step" else sigmoid(z)


def best_separating_line(points, labels, n_angles=3600):
    """The line that separates two classes of 2-D points with the widest margin, if any.

    Searches the directions u = (cos t, sin t) on a grid of ``n_angles`` angles; for each,
    the best threshold lies halfway between the classes' projections. Returns the best.

    Parameters
    ----------
    points : array_like of shape (m, 2)
    labels : array_like of shape (m,), values 0 and 1 (both present)
    n_angles : int
        Resolution of the search; the exact optimum is found when its direction is on the
        grid (every multiple of 0.1 degrees with the default).

    Returns
    -------
    w : ndarray of shape (2,)
        Unit normal of the line, pointing towards class 1.
    b : float
        Offset: the line is w . p + b = 0, and class 1 lies where w . p + b > 0.
    margin : float
        Distance from the line to the nearest point. Positive when the line separates the
        classes; zero or negative when no line on the grid does (then it is minus half the
        smallest overlap of the projected classes).

    Raises
    ------
    ValueError
        If shapes disagree or a class is missing.

    See Also
    --------
    Chapter 2: XOR is not linearly separable in the input space, but is in the hidden space.

    Examples
    --------
    >>> w, b, margin = best_separating_line([[0, 0], [1, 1]], [0, 1])
    >>> w.round(3).tolist(), round(b, 3), round(margin, 3)
    ([0.707, 0.707], -0.707, 0.707)
    >>> round(best_separating_line(X_XOR, Y_XOR)[2], 3)  # negative: no line separates XOR
    -0.354
    """
    where = "best_separating_line"
    P = as_array(points, where, dtype=np.float64, name="points")
    labels = np.asarray(labels)
    if P.ndim != 2 or P.shape[1] != 2 or labels.shape != (P.shape[0],):
        raise ValueError(f"{where}: expected points of shape (m, 2) and labels of shape (m,), "
                         f"got {P.shape} and {labels.shape}.")
    ones = labels == 1
    if not (np.any(ones) and np.any(labels == 0)) or not np.all(ones | (labels == 0)):
        raise ValueError(f"{where}: expected labels 0 and 1, both present, got "
                         f"{np.unique(labels).tolist()}.")
    n_angles = check_int(n_angles, where, "n_angles", minimum=4)
    t = np.linspace(0.0, 2.0 * np.pi, n_angles, endpoint=False)
    U = np.stack([np.cos(t), np.sin(t)])               # (2, n_angles)
    proj = P @ U                                        # (m, n_angles)
    low1 = proj[ones].min(axis=0)                       # class 1 should project high
    high0 = proj[~ones].max(axis=0)
    gaps = (low1 - high0) / 2.0
    i = int(np.argmax(gaps))
    w = U[:, i].copy()
    return w, float(-(low1[i] + high0[i]) / 2.0), float(gaps[i])


# --------------------------------------------------------------------------------------------
# training many networks at once
# --------------------------------------------------------------------------------------------
def _activation(name):
    """The hidden activation and its derivative, both from the activation's output or z."""
    if name == "sigmoid":
        def f(z):
            a = sigmoid(z)
            return a, a * (1.0 - a)
    elif name == "tanh":
        def f(z):
            a = np.tanh(z)
            return a, 1.0 - a * a
    else:  # relu
        def f(z):
            return np.maximum(z, 0.0), (z > 0).astype(z.dtype)
    return f


@dataclass
class XorRuns:
    """The outcome of :func:`train_many`: one 2-n_1-1 network per (width, seed).

    Attributes
    ----------
    activation : str
        The hidden activation ("sigmoid", "tanh" or "relu").
    widths, seeds : ndarray of shape (n_nets,), int
        Network k has ``widths[k]`` hidden units and was initialised by
        ``mlp([2, widths[k], 1], activation, rng=seeds[k])``.
    epochs : int
    lr : float
    W1, b1, W2, b2 : list of ndarray
        The trained parameters of network k, in nnlib's layout: W1[k] (n_1, 2), b1[k]
        (n_1,), W2[k] (1, n_1), b2[k] (1,).
    z1, a1 : list of ndarray
        Pre-activations and activations of network k's hidden layer on the four points,
        shape (4, n_1) each, after training.
    p : ndarray of shape (n_nets, 4)
        The trained network's probability of class 1 for each XOR point.
    correct : ndarray of shape (n_nets,), int
        How many of the four points each network classifies correctly (p > 1/2 for class 1).
    loss_history : ndarray of shape (n_records, n_nets)
        Binary cross-entropy (mean over the four points) before the updates of the epochs
        in ``record_epochs``, and after the last update in the final row.
    record_epochs : ndarray of shape (n_records,)
    """

    activation: str
    widths: np.ndarray
    seeds: np.ndarray
    epochs: int
    lr: float
    W1: list = field(repr=False)
    b1: list = field(repr=False)
    W2: list = field(repr=False)
    b2: list = field(repr=False)
    z1: list = field(repr=False)
    a1: list = field(repr=False)
    p: np.ndarray = field(repr=False)
    correct: np.ndarray = field(repr=False)
    loss_history: np.ndarray = field(repr=False)
    record_epochs: np.ndarray = field(repr=False)

    @property
    def success(self) -> np.ndarray:
        """True for the networks that classify all four points correctly."""
        return self.correct == 4

    def _check_width(self, width):
        if width not in set(self.widths.tolist()):
            raise ValueError(f"XorRuns: no networks of width {width!r}; the widths trained are "
                             f"{sorted(set(self.widths.tolist()))}.")

    def success_rate(self, width) -> float:
        """Fraction of the networks of this width that solved XOR."""
        self._check_width(width)
        return float(np.mean(self.success[self.widths == width]))

    def indices(self, width, success=None) -> np.ndarray:
        """Indices k of the networks of this width (only the successes / failures if
        ``success`` is True / False)."""
        self._check_width(width)
        keep = self.widths == width
        if success is not None:
            keep &= self.success == bool(success)
        return np.flatnonzero(keep)


def train_many(widths=(2, 4), activation="sigmoid", seeds=range(100), epochs=2000, lr=1.0,
               record_every=10) -> XorRuns:
    """Train a 2-n_1-1 network on XOR for every (width, seed), all at once.

    Each network starts from ``mlp([2, n_1, 1], activation, rng=seed)`` (nnlib's default
    initialisation for that activation) and is trained by full-batch gradient descent on
    the four XOR points with the binary cross-entropy on its output logit, exactly what
    ``SGD(net.parameters(), lr)`` and ``BCEWithLogitsLoss()`` do one network at a time.

    Parameters
    ----------
    widths : sequence of int
        Hidden-layer widths n_1 >= 1.
    activation : {"sigmoid", "tanh", "relu"}
    seeds : iterable of int
        One network per seed and width.
    epochs : int
        Gradient steps (each one a full pass over the four points).
    lr : float
        Learning rate eta > 0.
    record_every : int
        Record the loss of every network every this many epochs.

    Returns
    -------
    XorRuns

    Raises
    ------
    ValueError, TypeError
        For an unknown activation, a width < 1, no seeds, epochs < 1 or lr <= 0.

    Notes
    -----
    All hidden units of all networks are the columns of one matrix, so one epoch is a
    handful of numpy operations for every network together. With Z = X V + c for the
    hidden pre-activations (V holds every network's W1^T side by side), the forward pass
    and the gradients of the mean loss L = (1/4) sum_i l_i are, per network,

    .. math::

        A = \\sigma(Z), \\quad z^{(2)} = A w^{(2)} + b^{(2)}, \\quad
        \\Delta^{(2)} = \\tfrac14(\\operatorname{sigmoid}(z^{(2)}) - y), \\quad
        \\Delta^{(1)} = \\Delta^{(2)} w^{(2)\\top} \\odot \\sigma'(Z),

    with dL/dW2 = Delta2^T A, dL/db2 = sum Delta2, dL/dW1 = Delta1^T X, dL/db1 = column
    sums of Delta1 (the batch backward pass of the Notation page); a network's output sums
    only its own columns. The result agrees with nnlib's layers to rounding error (the
    chapter checks this).

    See Also
    --------
    Chapter 2 (XOR and hidden layers) reports the success rates; Chapter 6 writes the
    training loop for one network.

    Examples
    --------
    >>> runs = train_many(widths=(2,), seeds=range(3), epochs=300)
    >>> runs.widths.tolist(), runs.p.shape, runs.loss_history.shape
    ([2, 2, 2], (3, 4), (31, 3))
    """
    where = "train_many"
    if activation not in ("sigmoid", "tanh", "relu"):
        raise ValueError(f"{where}: expected activation 'sigmoid', 'tanh' or 'relu', got "
                         f"{activation!r}.")
    widths = [check_int(h, where, "every width", minimum=1) for h in widths]
    seeds = [check_int(s, where, "every seed", minimum=0) for s in seeds]
    if not widths or not seeds:
        raise ValueError(f"{where}: expected at least one width and one seed, got widths "
                         f"{widths} and seeds {seeds}.")
    epochs = check_int(epochs, where, "epochs", minimum=1)
    lr = check_positive(lr, where, "lr")
    record_every = check_int(record_every, where, "record_every", minimum=1)

    nets = [(h, s) for h in widths for s in seeds]
    V, c, u, d, owner = [], [], [], [], []
    for k, (h, s) in enumerate(nets):
        hidden, _, out = mlp([2, h, 1], activation, rng=s)
        V.append(hidden.weight.data.T)
        c.append(hidden.bias.data)
        u.append(out.weight.data[0])
        d.append(out.bias.data[0])
        owner += [k] * h
    V, c, u = np.concatenate(V, axis=1), np.concatenate(c), np.concatenate(u)
    d, owner = np.array(d), np.array(owner)
    starts = np.concatenate([[0], np.cumsum([h for h, _ in nets])[:-1]])
    X, y = X_XOR, Y_XOR.astype(np.float64)[:, None]
    f = _activation(activation)

    def forward():
        Z = X @ V + c                                          # (4, all units)
        A, slope = f(Z)
        z2 = np.add.reduceat(A * u, starts, axis=1) + d        # (4, networks)
        return Z, A, slope, z2

    def bce(z2):  # mean over the 4 points of softplus(z) - y z, computed stably
        return np.mean(np.maximum(z2, 0) - z2 * y + np.log1p(np.exp(-np.abs(z2))), axis=0)

    losses, recorded = [], []
    for epoch in range(epochs):
        Z, A, slope, z2 = forward()
        if epoch % record_every == 0:
            losses.append(bce(z2))
            recorded.append(epoch)
        delta2 = (sigmoid(z2) - y) / len(X)                    # dL/dz2, (4, networks)
        spread = delta2[:, owner]                              # each unit sees its network's
        delta1 = spread * u * slope                            # dL/dZ, (4, all units)
        u -= lr * np.sum(spread * A, axis=0)
        d -= lr * delta2.sum(axis=0)
        V -= lr * (X.T @ delta1)
        c -= lr * delta1.sum(axis=0)
    Z, A, _, z2 = forward()
    losses.append(bce(z2))
    recorded.append(epochs)

    p = sigmoid(z2).T                                          # (networks, 4)
    correct = np.sum((p > 0.5) == (Y_XOR == 1), axis=1)
    cut = np.concatenate([starts, [V.shape[1]]])
    parts = [slice(cut[k], cut[k + 1]) for k in range(len(nets))]
    return XorRuns(
        activation=activation,
        widths=np.array([h for h, _ in nets]), seeds=np.array([s for _, s in nets]),
        epochs=epochs, lr=lr,
        W1=[V[:, s].T.copy() for s in parts], b1=[c[s].copy() for s in parts],
        W2=[u[s][None, :].copy() for s in parts], b2=[d[k:k + 1].copy() for k in range(len(nets))],
        z1=[Z[:, s].copy() for s in parts], a1=[A[:, s].copy() for s in parts],
        p=p, correct=correct, loss_history=np.array(losses), record_epochs=np.array(recorded))


def closest_opposite_pair(a):
    """The class-0 and class-1 XOR points that lie closest together in a representation.

    Parameters
    ----------
    a : array_like of shape (4, n)
        The four XOR points, in the order of :data:`X_XOR`, in some representation (the
        inputs, or a hidden layer's activations).

    Returns
    -------
    i, j : int
        Row of the class-0 point and row of the class-1 point.
    distance : float
        Their Euclidean distance. When it is 0, no function of this representation can
        give the two points different outputs.

    Examples
    --------
    >>> closest_opposite_pair(hidden_points(XOR_W1, XOR_B1))
    (0, 1, 1.0)
    """
    a = as_array(a, "closest_opposite_pair", dtype=np.float64, name="a")
    if a.ndim != 2 or a.shape[0] != 4:
        raise ValueError(f"closest_opposite_pair: expected the four XOR points as rows, shape "
                         f"(4, n), got {a.shape}.")
    best = None
    for i in np.flatnonzero(Y_XOR == 0):
        for j in np.flatnonzero(Y_XOR == 1):
            dist = float(np.linalg.norm(a[i] - a[j]))
            if best is None or dist < best[2]:
                best = (int(i), int(j), dist)
    return best


def dead_units(z1) -> int:
    """Number of hidden units whose pre-activation is <= 0 on all four XOR points.

    A ReLU unit like that outputs 0 and passes back zero gradient for every training
    example, so full-batch gradient descent never changes its incoming weights again.

    Examples
    --------
    >>> dead_units(np.array([[-1.0, 2.0], [-0.5, -1.0], [0.0, 3.0], [-2.0, 1.0]]))
    1
    """
    z1 = as_array(z1, "dead_units", dtype=np.float64, name="z1")
    if z1.ndim != 2 or z1.shape[0] != 4:
        raise ValueError(f"dead_units: expected pre-activations of shape (4, n_1), got "
                         f"{z1.shape}.")
    return int(np.sum(np.all(z1 <= 0, axis=0)))


# --------------------------------------------------------------------------------------------
# drawing
# --------------------------------------------------------------------------------------------
def _groups(P, tol=0.04):
    """Indices of points that lie within ``tol`` of each other (greedy, in row order)."""
    groups, taken = [], np.zeros(len(P), dtype=bool)
    for i in range(len(P)):
        if taken[i]:
            continue
        near = np.flatnonzero(~taken & (np.linalg.norm(P - P[i], axis=1) < tol))
        taken[near] = True
        groups.append(near.tolist())
    return groups


def _scatter_points(ax, P, labels=Y_XOR, size=70, names=None):
    """The points in class colours and markers. Points that (nearly) coincide are fanned
    out sideways so that all stay visible, and share one label."""
    P = np.asarray(P, dtype=float)
    shown = P.copy()
    groups = _groups(P)
    for group in groups:
        if len(group) > 1:
            offsets = (np.arange(len(group)) - (len(group) - 1) / 2) * 0.075
            shown[group, 0] = P[group, 0].mean() + offsets
    for c in (0, 1):
        mask = np.asarray(labels) == c
        ax.scatter(shown[mask, 0], shown[mask, 1], s=size, color=COLORS[c], marker=MARKERS[c],
                   edgecolors="white", linewidths=0.8, zorder=4, label=f"class {c}")
    if names is not None:  # labels above the points, or below those near the top
        for group in groups:
            at = P[group].mean(axis=0)
            below = at[1] > 0.75
            ax.annotate("\n".join(names[i] for i in group), at,
                        xytext=(0, -10 if below else 9), textcoords="offset points",
                        ha="center", va="top" if below else "bottom", fontsize=8.5,
                        color="#333333", zorder=5)


def _half_plane(w, b, lo, hi):
    """Corners of the part of the square [lo, hi]^2 where w . p + b > 0 (a polygon, maybe
    empty): the square clipped by one line (one step of Sutherland-Hodgman clipping)."""
    square = [(lo, lo), (hi, lo), (hi, hi), (lo, hi)]
    value = [w[0] * p[0] + w[1] * p[1] + b for p in square]
    out = []
    for k in range(4):
        p, q, vp, vq = square[k], square[(k + 1) % 4], value[k], value[(k + 1) % 4]
        if vp > 0:
            out.append(p)
        if (vp > 0) != (vq > 0):
            t = vp / (vp - vq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return np.array(out)


def _draw_line(ax, w, b, lims, color, label, shade=False, arrow=True, style="-"):
    """Draw the line w . p + b = 0 inside the square ``lims``. With ``arrow``, an arrow
    from the line points to the side w . p + b > 0 (where a unit fires); with ``shade``
    that side is tinted. Returns False (and draws nothing) when w = 0 (a constant unit has
    no line)."""
    w = np.asarray(w, dtype=float)
    norm = float(np.hypot(*w))
    if norm < 1e-12:
        return False
    lo, hi = lims
    if shade:
        poly = _half_plane(w, b, lo, hi)
        if len(poly) >= 3:
            ax.fill(poly[:, 0], poly[:, 1], color=color, alpha=0.12, lw=0, zorder=1)
    if abs(w[1]) >= abs(w[0]):
        x1 = np.array([lo, hi])
        x2 = -(w[0] * x1 + b) / w[1]
    else:
        x2 = np.array([lo, hi])
        x1 = -(w[1] * x2 + b) / w[0]
    ax.plot(x1, x2, style, color=color, lw=2.0, label=label, zorder=3)
    if arrow:
        centre = np.array([(lo + hi) / 2, (lo + hi) / 2])
        n = w / norm
        foot = centre - (n @ centre + b / norm) * n     # the line's point nearest the centre
        if np.all((foot > lo) & (foot < hi)):
            span = 0.14 * (hi - lo)
            ax.annotate("", xy=foot + span * n, xytext=foot, zorder=3,
                        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.8})
    return True


def _square(ax, lims, xlabel, ylabel, ticks=(0.0, 0.5, 1.0)):
    ax.set_xlim(*lims)
    ax.set_ylim(*lims)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def _legend_handles(output=True):
    """Proxy artists for a figure-level legend: the two units, the classes, the output."""
    handles = [Line2D([], [], color=_UNIT_COLORS[j], lw=2,
                      label=f"hidden unit {j + 1} (arrow: $z_{j + 1} > 0$)") for j in range(2)]
    handles += [Line2D([], [], ls="", marker=MARKERS[c], color=COLORS[c], markersize=8,
                       label=f"class {c}") for c in (0, 1)]
    if output:
        handles.append(Line2D([], [], color=_OUTPUT_COLOR, lw=2, label="output unit's line"))
    return handles


def _legend_below(fig, handles, ncols, height=0.6):
    """A figure legend under the axes, in a strip of ``height`` inches that the constrained
    layout leaves free (matplotlib's "outside" legends collide with a suptitle)."""
    frac = height / fig.get_figheight()
    if not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        fig.set_layout_engine("constrained")       # the book style's default
    fig.get_layout_engine().set(rect=(0.0, frac, 1.0, 1.0 - frac))
    fig.legend(handles=handles, loc="lower center", ncols=ncols, fontsize=9.5)


def draw_xor_problem():
    """Three attempts to separate XOR with one line; each gets at most three points right.

    Returns
    -------
    matplotlib.figure.Figure

    See Also
    --------
    Chapter 2, "The problem": no line separates XOR (the chapter proves it).

    Examples
    --------
    >>> fig = draw_xor_problem(); len(fig.axes)
    3
    >>> plt.close(fig)
    """
    lines = [("$x_1 + x_2 = 0.5$", (1.0, 1.0), -0.5),
             ("$x_1 + x_2 = 1.5$", (1.0, 1.0), -1.5),
             ("$x_1 = 0.5$", (1.0, 0.0), -0.5)]
    lims = (-0.4, 1.4)
    fig, axes = plt.subplots(1, 3, figsize=(8.0, 3.7))
    for ax, (name, w, b) in zip(axes, lines, strict=True):
        _draw_line(ax, w, b, lims, COLORS[2], name, shade=True, arrow=False)
        pred = (X_XOR @ np.array(w) + b > 0).astype(int)
        wrong = pred != Y_XOR
        _scatter_points(ax, X_XOR)
        ax.scatter(X_XOR[wrong, 0], X_XOR[wrong, 1], s=330, facecolors="none",
                   edgecolors=COLORS[3], linewidths=2.0, zorder=5, label="misclassified")
        _square(ax, lims, "$x_1$", "$x_2$", ticks=(0.0, 1.0))
        ax.set_title(f"{name}: {int((~wrong).sum())} of 4", fontsize=11)
    handles = _legend_handles(output=False)[2:] + [
        Line2D([], [], ls="", marker="o", markersize=12, markerfacecolor="none",
               markeredgecolor=COLORS[3], markeredgewidth=2, label="misclassified")]
    _legend_below(fig, handles, ncols=3, height=0.42)
    fig.suptitle("No line gets all four XOR points right")
    return fig


def draw_hand_built(network=None):
    """The hand-built network in two spaces: its decision regions over the inputs with the
    two hidden units' lines, and the hidden space where one line separates the classes.

    Parameters
    ----------
    network : Module, optional
        A 2-2-1 network of the form ``Linear, act, Linear, Sigmoid`` whose output is a
        probability; default ``hand_built_network("sigmoid", steepness=10.0)``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_hand_built(); [ax.get_xlabel() for ax in fig.axes[:2]]
    ['$x_1$', '$h_1$ (OR unit)']
    >>> plt.close(fig)
    """
    net = hand_built_network("sigmoid", steepness=10.0) if network is None else network
    hidden, act, output = net[0], net[1], net[2]
    W1, b1 = hidden.weight.data, hidden.bias.data
    fig, (ax_in, ax_hid) = plt.subplots(1, 2, figsize=(8.6, 4.4))
    lims = (-0.4, 1.4)
    g = np.linspace(*lims, 121)
    G1, G2 = np.meshgrid(g, g)
    prob = net(np.column_stack([G1.ravel(), G2.ravel()]))[:, 0].reshape(G1.shape)
    ax_in.contourf(G1, G2, prob, levels=[-0.01, 0.5, 1.01], colors=[COLORS[0], COLORS[1]],
                   alpha=0.18, zorder=0)
    ax_in.contour(G1, G2, prob, levels=[0.5], colors="#222222", linewidths=1.0, zorder=2)
    for j in range(2):
        _draw_line(ax_in, W1[j], b1[j], lims, _UNIT_COLORS[j],
                   f"unit {j + 1}: {('OR', 'NAND')[j]}" if network is None else f"unit {j + 1}",
                   arrow=False, style="--")
    _scatter_points(ax_in, X_XOR, size=80)
    ax_in.legend(loc="center right", fontsize=8.5, framealpha=0.9, frameon=True)
    ax_in.set_title("Input space: the network says 1 in a band")
    _square(ax_in, lims, "$x_1$", "$x_2$", ticks=(0.0, 0.5, 1.0))

    H = act(X_XOR @ W1.T + b1)
    hl = (-0.25, 1.25)
    w2, b2 = output.weight.data[0], float(output.bias.data[0])
    _draw_line(ax_hid, w2, b2, hl, _OUTPUT_COLOR, "output unit's line", shade=True, arrow=False)
    _scatter_points(ax_hid, H, names=_POINT_NAMES)
    names = ("$h_1$ (OR unit)", "$h_2$ (NAND unit)") if network is None else ("$h_1$", "$h_2$")
    _square(ax_hid, hl, *names)
    ax_hid.legend(loc="lower left", fontsize=8.5, framealpha=0.9, frameon=True)
    ax_hid.set_title("Hidden space: one line separates")
    fig.suptitle("The hidden layer re-represents XOR so that one line suffices")
    return fig


def _draw_pair(ax_in, ax_hid, W, b, activation):
    """Input space with the two units' lines; hidden space with the points and, when it
    exists, the widest separating line. Returns the margin of that line."""
    lims = (-0.5, 1.5)
    for j in range(2):
        _draw_line(ax_in, W[j], b[j], lims, _UNIT_COLORS[j],
                   f"unit {j + 1} (arrow: $z_{j + 1} > 0$)")
    _scatter_points(ax_in, X_XOR)
    _square(ax_in, lims, "$x_1$", "$x_2$")
    H = hidden_points(W, b, activation)
    constant = [f"unit {j + 1} gives all four points the same value" for j in range(2)
                if np.ptp(H[:, j]) < 1e-9]
    if constant:
        ax_in.text(0.03, 0.97, "\n".join(constant), transform=ax_in.transAxes, fontsize=8.5,
                   va="top", bbox={"facecolor": "white", "edgecolor": "#bbbbbb", "alpha": 0.9})

    w_out, b_out, margin = best_separating_line(H, Y_XOR)
    hl = (-0.3, 1.3)
    if margin > 1e-9:
        _draw_line(ax_hid, w_out, b_out, hl, _OUTPUT_COLOR, "output unit's line", shade=True,
                   arrow=False)
    _scatter_points(ax_hid, H, names=_POINT_NAMES)
    _square(ax_hid, hl, "$h_1$", "$h_2$")
    return margin


def _verdict(margin):
    return (f"separable (margin {margin:.2f})" if margin > 1e-9
            else "no line separates the classes")


def draw_hidden_space(w11=1.0, w12=1.0, b1=-0.5, w21=-1.0, w22=-1.0, b2=1.5,
                      activation="step"):
    """The slider experiment: two hidden units' lines over the inputs, and the four points
    in the hidden space with the output unit's best line, if one exists.

    Parameters
    ----------
    w11, w12, b1 : float
        Hidden unit 1: z1 = w11 x1 + w12 x2 + b1.
    w21, w22, b2 : float
        Hidden unit 2: z2 = w21 x1 + w22 x2 + b2.
    activation : {"step", "sigmoid"}
        The hidden units' activation.

    Returns
    -------
    matplotlib.figure.Figure
        Left: input space, each unit's line z_j = 0 with its side z_j > 0 shaded. Right:
        hidden space (h1, h2); points that land on the same spot are drawn side by side and
        labelled with the inputs they came from. The output line is the one with the widest
        margin (found by :func:`best_separating_line`).

    Raises
    ------
    TypeError, ValueError
        For a non-numeric or non-finite weight, or an unknown activation.

    See Also
    --------
    draw_settings : the same picture for several settings side by side.

    Examples
    --------
    >>> fig = draw_hidden_space(); [ax.get_xlabel() for ax in fig.axes]
    ['$x_1$', '$h_1$']
    >>> plt.close(fig)
    """
    where = "draw_hidden_space"
    W, b = _hidden_params(w11, w12, b1, w21, w22, b2, where)
    if activation not in _ACTIVATIONS:
        raise ValueError(f"{where}: expected activation 'step' or 'sigmoid', got "
                         f"{activation!r}.")
    fig, (ax_in, ax_hid) = plt.subplots(1, 2, figsize=(8.0, 5.0))
    margin = _draw_pair(ax_in, ax_hid, W, b, activation)
    _legend_below(fig, _legend_handles(), ncols=3)
    ax_in.set_title("Input space", fontsize=11)
    ax_hid.set_title(f"Hidden space: {_verdict(margin)}", fontsize=11)
    fig.suptitle("The output unit can separate XOR" if margin > 1e-9
                 else "The output unit cannot separate XOR")
    return fig


def draw_settings(settings=None, activation="step"):
    """Static version of :func:`draw_hidden_space`: one row per hidden-layer setting.

    Parameters
    ----------
    settings : dict of str -> (w11, w12, b1, w21, w22, b2), optional
        Default :data:`SETTINGS` (four settings).
    activation : {"step", "sigmoid"}

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_settings(); len(fig.axes)
    8
    >>> plt.close(fig)
    """
    settings = SETTINGS if settings is None else dict(settings)
    if not settings:
        raise ValueError("draw_settings: expected at least one setting, got none.")
    n = len(settings)
    fig, axes = plt.subplots(n, 2, figsize=(7.0, 3.2 * n + 0.4), squeeze=False)
    for row, (name, values) in zip(axes, settings.items(), strict=True):
        if len(values) != 6:
            raise ValueError(f"draw_settings: expected six numbers (w11, w12, b1, w21, w22, "
                             f"b2) for setting {name!r}, got {values!r}.")
        W, b = _hidden_params(*values, "draw_settings")
        margin = _draw_pair(row[0], row[1], W, b, activation)
        row[0].set_title(f"{name}: the lines", fontsize=11)
        row[1].set_title(_verdict(margin), fontsize=11)
    _legend_below(fig, _legend_handles(), ncols=3)
    fig.suptitle("Two lines help only if they move the classes apart")
    return fig


def draw_success_rates(rates, widths):
    """Grouped bars: the fraction of seeds for which training solved XOR, per width and
    activation.

    Parameters
    ----------
    rates : dict of str -> sequence of float
        Activation name -> success rate (0 to 1) for each width in ``widths``.
    widths : sequence of int

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_success_rates({"sigmoid": [0.0, 0.8]}, [1, 2]); fig.axes[0].get_ylabel()
    'runs that solved XOR (%)'
    >>> plt.close(fig)
    """
    widths = list(widths)
    for name, r in rates.items():
        if len(r) != len(widths):
            raise ValueError(f"draw_success_rates: expected one rate per width ({len(widths)}) "
                             f"for {name!r}, got {len(r)}.")
    fig, ax = plt.subplots(figsize=(7.6, 4.0))
    x = np.arange(len(widths))
    k = len(rates)
    bar = 0.8 / k
    for i, (name, r) in enumerate(rates.items()):
        pos = x + (i - (k - 1) / 2) * bar
        values = 100 * np.asarray(r, dtype=float)
        ax.bar(pos, values, width=bar * 0.92, color=COLORS[[0, 2, 3, 4, 5][i % 5]], label=name)
        for px, v in zip(pos, values, strict=True):
            ax.text(px, v + 1.5, f"{v:.0f}", ha="center", va="bottom", fontsize=8.5)
    ax.set_xticks(x, [f"2-{h}-1" for h in widths])
    ax.set_xlabel("network (input-hidden-output units)")
    ax.set_ylabel("runs that solved XOR (%)")
    ax.set_ylim(0, 112)
    ax.legend(title="hidden activation", loc="upper left", ncols=k, fontsize=9)
    ax.set_title("Wider hidden layers get stuck less often")
    return fig


def draw_failure_anatomy(runs, width=2):
    """How a narrow network gets stuck: every run's loss curve, and the hidden space of a
    stuck run and of a successful one.

    Parameters
    ----------
    runs : XorRuns
        From :func:`train_many`, with some successes and some failures at ``width``.
    width : int
        Which networks to show.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> runs = train_many(widths=(2,), seeds=range(8), epochs=400)
    >>> fig = draw_failure_anatomy(runs); fig.axes[0].get_xlabel()
    'epoch'
    >>> plt.close(fig)
    """
    ok, bad = runs.indices(width, True), runs.indices(width, False)
    if len(ok) == 0 or len(bad) == 0:
        raise ValueError(f"draw_failure_anatomy: expected both solved and stuck runs of width "
                         f"{width}, got {len(ok)} solved and {len(bad)} stuck.")
    fig = plt.figure(figsize=(7.6, 7.4))
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 1.15])
    axes = [fig.add_subplot(grid[0, :]), fig.add_subplot(grid[1, 0]),
            fig.add_subplot(grid[1, 1])]
    ax = axes[0]
    t = runs.record_epochs
    for idx, color, label in ((ok, COLORS[0], "solved"), (bad, COLORS[3], "stuck")):
        curves = runs.loss_history[:, idx]            # one artist for all curves: fast to draw
        segments = np.stack([np.broadcast_to(t[:, None], curves.shape), curves], axis=-1)
        ax.add_collection(LineCollection(segments.transpose(1, 0, 2), colors=color, lw=0.8,
                                         alpha=0.35))
        ax.plot([], [], color=color, lw=2, label=f"{label} ({len(idx)} runs)")
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(0.6 * runs.loss_history[:, ok].min(), 1.3 * runs.loss_history.max())
    ax.axhline(np.log(2) / 2, color="#444444", ls=":", lw=1.2)
    ax.annotate(r"$\frac{1}{2}\log 2$", (t[-1], np.log(2) / 2), xytext=(0, 12),
                textcoords="offset points", ha="right", fontsize=10,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (BCE)")
    ax.legend(loc="lower left", fontsize=9)
    ax.set_title(f"2-{width}-1 {runs.activation} networks")
    for ax, k, verdict in ((axes[1], bad[0], "stuck"), (axes[2], ok[0], "solved")):
        H = runs.a1[k][:, :2]  # wider layers: the first two hidden units
        names = [f"{n} ŷ={p:.2f}" for n, p in zip(_POINT_NAMES, runs.p[k], strict=True)]
        _scatter_points(ax, H, names=names)
        lo = -1.3 if runs.activation == "tanh" else -0.3
        _square(ax, (lo, 1.3), "$h_1$", "$h_2$")
        ax.set_title(f"seed {runs.seeds[k]} ({verdict}): hidden space", fontsize=11)
    fig.suptitle("Stuck runs merge a class-0 and a class-1 point in the hidden space")
    return fig
