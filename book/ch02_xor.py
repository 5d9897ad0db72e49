"""Experiments of Chapter 2 (XOR and hidden layers).

The chapter's figures, its live experiment and its heavier computations live here as plain
functions, so that the notebook stays short and everything can be tested without a widget:

- :func:`hand_built_network` builds the 2-2-1 network that computes XOR exactly (an OR
  unit and a NAND unit, combined by an AND unit) from ``nnlib.Linear`` layers whose weights
  are the hand-built ones of :mod:`book.shared`; :func:`draw_xor_network` draws it with its
  weights and biases on the edges;
- :func:`hidden_points`, :func:`best_separating_line` and :func:`unit_gate` map the four
  points into the hidden space, test whether a line separates them there, and name the
  logic gate a unit computes; :func:`is_linearly_separable` decides exactly (a linear program)
  whether any hyperplane separates two classes, for the digits as well;
- :func:`train_many` trains many small networks on XOR at once by full-batch gradient
  descent, one network per (width, seed), to measure how often training succeeds;
- :class:`HiddenSpace` is the live experiment (:mod:`book.live`): the two hidden units'
  lines in the input plane and the four points in the hidden space, updated together;
  :func:`hidden_space_experiment` gives it its controls, and :func:`draw_settings` draws
  the same figure for a few settings side by side;
- :func:`draw_xor_problem`, :func:`draw_hand_built`, :func:`draw_success_rates`,
  :func:`draw_failure_anatomy` and :func:`draw_digits_training` draw the other figures.

Labels follow the book: class 0 is drawn in ``COLORS[0]`` with a circle, class 1 in
``COLORS[1]`` with a square; a step unit outputs 1 where z > 0 and 0 elsewhere, as the
perceptron of Chapter 1 does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Polygon

from nnlib._checks import as_array, check_finite_scalar, check_int, check_positive
from nnlib.core import Module, Sequential
from nnlib.data import xor
from nnlib.functional import sigmoid
from nnlib.layers import Linear, Sigmoid, mlp
from nnlib.plot import COLORS, MARKERS

from . import live
from .shared import XOR_B1, XOR_B2, XOR_W1, XOR_W2

__all__ = [
    "X_XOR",
    "Y_XOR",
    "SETTINGS",
    "WEB_WEIGHTS",
    "WEB_BIASES",
    "Step",
    "step",
    "hand_built_network",
    "hidden_points",
    "best_separating_line",
    "unit_gate",
    "is_linearly_separable",
    "web_hidden_layers",
    "XorRuns",
    "train_many",
    "closest_opposite_pair",
    "dead_units",
    "draw_xor_problem",
    "draw_xor_network",
    "draw_hand_built",
    "HiddenSpace",
    "hidden_space_experiment",
    "draw_settings",
    "draw_success_rates",
    "draw_failure_anatomy",
    "draw_digits_training",
    "EXPERIMENTS",
]

#: The four inputs of the truth table, in the order (0,0), (0,1), (1,0), (1,1), and their labels.
X_XOR, Y_XOR = xor()
X_XOR.setflags(write=False)
Y_XOR.setflags(write=False)

#: Hidden-layer settings for the static version of the live experiment:
#: name -> (w11, w12, b1, w21, w22, b2).
SETTINGS = {
    "OR and NAND": (1.0, 1.0, -0.5, -1.0, -1.0, 1.5),
    "two corner detectors": (1.0, -1.0, -0.5, -1.0, 1.0, -0.5),
    "both lines coincide": (1.0, 1.0, -0.5, 1.0, 1.0, -0.5),
    "unit 2 never fires": (1.0, 1.0, -0.5, 0.0, 1.0, -1.25),
}

#: The values the website offers for every weight and every bias of the live experiment.
#: With them each hidden unit is one of eight units: OR, NAND, a detector of the corner
#: (1,0) or (0,1), a unit that never fires, or one of three units that always fire.
WEB_WEIGHTS = (-1.0, 1.0)
WEB_BIASES = (-0.5, 1.5)

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


#: What a unit computes on the four points, by where it fires ((0,0), (0,1), (1,0), (1,1)).
_GATES = {
    (0, 1, 1, 1): "OR", (1, 1, 1, 0): "NAND", (0, 0, 0, 1): "AND", (1, 0, 0, 0): "NOR",
    (0, 0, 0, 0): "never fires", (1, 1, 1, 1): "always fires",
    (0, 0, 1, 0): "only (1,0)", (0, 1, 0, 0): "only (0,1)",
    (1, 0, 1, 1): "not (0,1)", (1, 1, 0, 1): "not (1,0)",
    (0, 0, 1, 1): "copies x1", (0, 1, 0, 1): "copies x2",
    (1, 1, 0, 0): "NOT x1", (1, 0, 1, 0): "NOT x2",
    (0, 1, 1, 0): "XOR", (1, 0, 0, 1): "XNOR",
}


def unit_gate(w1, w2, b) -> str:
    """The logic gate that the unit z = w1 x1 + w2 x2 + b computes on the four XOR inputs.

    The unit *fires* where z > 0: a step unit outputs 1 there, a sigmoid unit more than 1/2.
    A single unit can compute 14 of the 16 functions of two bits; never XOR or XNOR (the
    chapter's theorem).

    Parameters
    ----------
    w1, w2, b : float

    Returns
    -------
    str
        "OR", "NAND", "AND", "NOR", "only (1,0)", "not (0,1)", "copies x1", "NOT x2",
        "never fires", "always fires", ...

    Examples
    --------
    >>> unit_gate(1, 1, -0.5), unit_gate(-1, -1, 1.5), unit_gate(1, -1, -0.5)
    ('OR', 'NAND', 'only (1,0)')
    """
    w1, w2, b = (check_finite_scalar(v, "unit_gate", n) for v, n in
                 ((w1, "w1"), (w2, "w2"), (b, "b")))
    fires = X_XOR @ np.array([w1, w2]) + b > 0
    return _GATES[tuple(int(f) for f in fires)]


def is_linearly_separable(X, y) -> bool:
    """Whether a hyperplane separates two classes exactly (decided by a linear program).

    Parameters
    ----------
    X : array_like of shape (m, d)
    y : array_like of shape (m,), labels 0 and 1 (both present)

    Returns
    -------
    bool
        True when some w, b put every class-1 point on the side w . x + b > 0 and every
        class-0 point on the side w . x + b <= 0.

    Notes
    -----
    For finite sets, a hyperplane with class 1 on the side w . x + b > 0 and class 0 on
    the side w . x + b <= 0 can be shifted and scaled until every point has
    s_i (w . x_i + b) >= 1, with s_i = 2 y_i - 1 in {-1, +1}. So the classes are linearly
    separable exactly when the linear program "find w, b with s_i (w . x_i + b) >= 1 for
    all i" has a solution. ``scipy.optimize.linprog`` (the HiGHS solver) either finds one
    or proves that none exists.

    Raises
    ------
    ValueError
        For mismatched shapes or labels other than 0 and 1.
    RuntimeError
        If the solver neither finds a solution nor proves that there is none.

    See Also
    --------
    Chapter 2: XOR is not linearly separable, and neither are the even and odd digits.

    Examples
    --------
    >>> is_linearly_separable(X_XOR, Y_XOR), is_linearly_separable(X_XOR, [0, 1, 1, 1])
    (False, True)
    """
    from scipy.optimize import linprog

    where = "is_linearly_separable"
    X = as_array(X, where, dtype=np.float64, name="X")
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"{where}: expected X of shape (m, d) and y of shape (m,), got "
                         f"{X.shape} and {y.shape}.")
    if not (np.any(y == 1) and np.any(y == 0)) or not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{where}: expected labels 0 and 1, both present, got "
                         f"{np.unique(y).tolist()}.")
    s = 2.0 * y - 1.0
    A = -s[:, None] * np.column_stack([X, np.ones(len(X))])   # -s_i (x_i, 1) . (w, b) <= -1
    result = linprog(np.zeros(X.shape[1] + 1), A_ub=A, b_ub=-np.ones(len(X)),
                     bounds=[(None, None)] * (X.shape[1] + 1), method="highs")
    if result.status == 0:
        return True
    if result.status == 2:
        return False
    raise RuntimeError(f"{where}: the linear program's solver stopped without an answer: "
                       f"{result.message}")


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
    Chapter 2 (XOR and hidden layers) reports the success rates and writes the same loop
    for one network with nnlib (``train_one``); Chapter 9 (Optimisation) derives it.

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


#: Distance between fanned-out coinciding points, in data units.
_FAN = 0.075


def _fanned(P):
    """Where to draw points that may coincide: each group of (nearly) coinciding points is
    fanned out sideways around its mean, so that every point stays visible. Returns the
    positions and the groups."""
    P = np.asarray(P, dtype=float)
    shown = P.copy()
    groups = _groups(P)
    for group in groups:
        if len(group) > 1:
            offsets = (np.arange(len(group)) - (len(group) - 1) / 2) * _FAN
            shown[group, 0] = P[group, 0].mean() + offsets
    return shown, groups


def _scatter_points(ax, P, labels=Y_XOR, size=70, names=None, lims=None):
    """The points in class colours and markers. Points that (nearly) coincide are fanned
    out sideways so that all stay visible, and share one label (placed by
    :func:`_name_places` where it covers no other point and no other label)."""
    P = np.asarray(P, dtype=float)
    shown, groups = _fanned(P)
    for c in (0, 1):
        mask = np.asarray(labels) == c
        ax.scatter(shown[mask, 0], shown[mask, 1], s=size, color=COLORS[c], marker=MARKERS[c],
                   edgecolors="white", linewidths=0.8, zorder=4, label=f"class {c}")
    if names is not None:
        if lims is None:
            raise ValueError("_scatter_points: the panel's limits are needed to place names.")
        for text, xy, offset, ha, va in _name_places(P, groups, names, lims):
            ax.annotate(text, xy, xytext=offset, textcoords="offset points", ha=ha, va=va,
                        fontsize=10, color="#333333", zorder=5)


#: Where a point's name may go, in order of preference: (offset in points, ha, va).
_NAME_SPOTS = {"above": ((0, 9), "center", "bottom"), "below": ((0, -11), "center", "top"),
               "right": ((10, 0), "left", "center"), "left": ((-10, 0), "right", "center")}


def _name_places(P, groups, names, lims, points_per_unit=140.0):
    """Labels for groups of points: ``[(text, xy, offset, ha, va), ...]``, one per group.

    Each label goes above its group, or below it near the top of the panel, unless it would
    cover another point or an earlier label; then the next free spot of above, below, right
    and left is used (the least covered one if none is free). Short names go two to a line,
    long ones one to a line. Sizes are estimated in data units from the font (10 pt: about 6
    points a character, 13 a line) and ``points_per_unit``, the panel's scale.
    """
    P = np.asarray(P, dtype=float)
    centres = [P[g].mean(axis=0) for g in groups]
    r = [0.05 + _FAN * (len(g) - 1) / 2 for g in groups]     # half widths of the groups
    placed, out = [], []
    lo, hi = lims
    for k, group in enumerate(groups):
        labels = [names[i] for i in group]
        per_line = 2 if max(len(label) for label in labels) <= 6 else 1
        text = "\n".join(" ".join(labels[i:i + per_line])
                         for i in range(0, len(labels), per_line))
        lines = text.split("\n")
        w = 6.2 * max(len(line) for line in lines) / points_per_unit
        h = 13.0 * len(lines) / points_per_unit
        at = centres[k]
        order = ["below", "above"] if at[1] > 0.75 * hi else ["above", "below"]
        best = None
        for spot in order + ["right", "left"]:
            (dx, dy), ha, va = _NAME_SPOTS[spot]
            dx += np.sign(dx) * _FAN * (len(group) - 1) / 2 * points_per_unit  # the fan
            x0 = at[0] + dx / points_per_unit - {"center": w / 2, "left": 0, "right": w}[ha]
            y0 = at[1] + dy / points_per_unit - {"center": h / 2, "bottom": 0, "top": h}[va]
            box = (x0, y0, x0 + w, y0 + h)
            cover = sum(_overlap(box, (c[0] - r[j], c[1] - 0.05, c[0] + r[j], c[1] + 0.05))
                        for j, c in enumerate(centres) if j != k)
            cover += sum(_overlap(box, other) for other in placed)
            cover += 0.5 * (max(lo - box[0], 0) + max(box[2] - hi, 0)
                            + max(lo - box[1], 0) + max(box[3] - hi, 0))
            if best is None or cover < best[0] - 1e-12:
                best = (cover, spot, box)
            if cover == 0:
                break
        _, spot, box = best
        placed.append(box)
        (dx, dy), ha, va = _NAME_SPOTS[spot]
        dx += np.sign(dx) * _FAN * (len(group) - 1) / 2 * points_per_unit
        out.append((text, (float(at[0]), float(at[1])), (float(dx), float(dy)), ha, va))
    return out


def _overlap(a, b):
    """Area of the intersection of two boxes (x0, y0, x1, y1)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, width) * max(0.0, height)


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


def _line_ends(w, b, lims):
    """The two ends, (x1 values, x2 values), of the line w . p + b = 0 across the square
    ``lims`` (beyond it where the line is steep; the axes clip it), or None when w = 0."""
    w = np.asarray(w, dtype=float)
    if float(np.hypot(*w)) < 1e-12:
        return None
    lo, hi = lims
    if abs(w[1]) >= abs(w[0]):
        x1 = np.array([lo, hi])
        return x1, -(w[0] * x1 + b) / w[1]
    x2 = np.array([lo, hi])
    return -(w[1] * x2 + b) / w[0], x2


def _arrow_ends(w, b, lims):
    """An arrow from the line w . p + b = 0 towards the side w . p + b > 0: from the line's
    point nearest the square's centre, 0.14 of the square's side long. None when w = 0 or
    that point is outside the square."""
    w = np.asarray(w, dtype=float)
    norm = float(np.hypot(*w))
    if norm < 1e-12:
        return None
    lo, hi = lims
    centre = np.array([(lo + hi) / 2, (lo + hi) / 2])
    n = w / norm
    foot = centre - (n @ centre + b / norm) * n
    if not np.all((foot > lo) & (foot < hi)):
        return None
    return tuple(foot), tuple(foot + 0.14 * (hi - lo) * n)


def _draw_line(ax, w, b, lims, color, label, shade=False, arrow=True, style="-"):
    """Draw the line w . p + b = 0 inside the square ``lims``. With ``arrow``, an arrow
    from the line points to the side w . p + b > 0 (where a unit fires); with ``shade``
    that side is tinted. Returns False (and draws nothing) when w = 0 (a constant unit has
    no line)."""
    ends = _line_ends(w, b, lims)
    if ends is None:
        return False
    if shade:
        poly = _half_plane(w, b, *lims)
        if len(poly) >= 3:
            ax.fill(poly[:, 0], poly[:, 1], color=color, alpha=0.12, lw=0, zorder=1)
    ax.plot(*ends, style, color=color, lw=2.0, label=label, zorder=3)
    tail_head = _arrow_ends(w, b, lims) if arrow else None
    if tail_head is not None:
        ax.add_patch(FancyArrowPatch(*tail_head, arrowstyle="-|>", mutation_scale=16, lw=1.8,
                                     color=color, zorder=3))
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
                      label=f"hidden unit $h_{j + 1}$ (arrow: $z_{j + 1} > 0$)") for j in range(2)]
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
    fig.legend(handles=handles, loc="lower center", ncols=ncols, fontsize=10)


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
    fig, axes = plt.subplots(1, 3, figsize=(7.6, 3.7))
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


def _fmt_number(v):
    """A weight or bias as the diagram writes it: +1, -1, -0.5, 1.5 (a real minus sign)."""
    text = f"{v:+g}" if float(v).is_integer() else f"{v:g}"
    return text.replace("-", "\N{MINUS SIGN}")


def draw_xor_network():
    """The hand-built 2-2-1 network of step units with its weights on the edges and its
    biases beside the units (the weights of :mod:`book.shared`).

    Positive weights are solid blue edges, negative ones dashed vermillion edges, and every
    edge carries its number, so the picture does not depend on colour.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_xor_network(); fig.axes[0].get_title()
    'Two step units and one more compute XOR'
    >>> plt.close(fig)
    """
    fig, ax = plt.subplots(figsize=(7.4, 4.3))
    pos = {"x1": (0.0, 1.0), "x2": (0.0, -1.0), "h1": (1.6, 1.0), "h2": (1.6, -1.0),
           "y": (3.2, 0.0)}
    radius = 0.3
    edges = [(f"x{i + 1}", f"h{j + 1}", XOR_W1[j, i], 0.3) for j in range(2) for i in range(2)]
    edges += [(f"h{j + 1}", "y", XOR_W2[0, j], 0.45) for j in range(2)]
    for src, dst, w, t in edges:
        (xa, ya), (xb, yb) = pos[src], pos[dst]
        color, style = (COLORS[0], "-") if w > 0 else (COLORS[3], (0, (5, 3)))
        ax.add_patch(FancyArrowPatch((xa, ya), (xb, yb), arrowstyle="-|>", mutation_scale=18,
                                     lw=2.2, linestyle=style, color=color, shrinkA=24,
                                     shrinkB=24, zorder=2))
        ax.text(xa + t * (xb - xa), ya + t * (yb - ya), _fmt_number(w), ha="center",
                va="center", fontsize=13, color=color, zorder=4,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": color,
                      "lw": 1.2})
    names = {"x1": "$x_1$", "x2": "$x_2$", "h1": "$h_1$", "h2": "$h_2$", "y": r"$\hat{y}$"}
    for key, (x, y) in pos.items():
        unit = not key.startswith("x")
        ax.add_patch(Circle((x, y), radius, facecolor="#f2f2f2" if unit else "white",
                            edgecolor="#222222", lw=1.6, zorder=3))
        ax.text(x, y, names[key], ha="center", va="center", fontsize=15, zorder=4)
    biases = {"h1": (XOR_B1[0], "OR", 1), "h2": (XOR_B1[1], "NAND", -1),
              "y": (XOR_B2[0], "AND", -1)}
    for key, (b, gate, side) in biases.items():
        x, y = pos[key]
        text = f"{gate}\nbias {_fmt_number(b)}" if side > 0 else f"bias {_fmt_number(b)}\n{gate}"
        ax.text(x, y + side * (radius + 0.12), text, ha="center",
                va="bottom" if side > 0 else "top", fontsize=12, linespacing=1.3, zorder=4)
    ax.text(pos["y"][0] + radius + 0.15, 0.0, "= XOR", ha="left", va="center", fontsize=13)
    ax.text(pos["x1"][0], -1.0 - radius - 0.12, "inputs", ha="center", va="top", fontsize=12,
            color="#444444")
    ax.set_xlim(-0.5, 4.3)
    ax.set_ylim(-2.0, 2.0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("Two step units and one more compute XOR")
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
    fig, (ax_in, ax_hid) = plt.subplots(1, 2, figsize=(7.6, 4.6))
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
    ax_in.legend(loc="center right", fontsize=10, framealpha=0.9, frameon=True)
    ax_in.set_title("Input space: the network says 1 in a band")
    _square(ax_in, lims, "$x_1$", "$x_2$", ticks=(0.0, 0.5, 1.0))

    H = act(X_XOR @ W1.T + b1)
    hl = (-0.25, 1.25)
    w2, b2 = output.weight.data[0], float(output.bias.data[0])
    _draw_line(ax_hid, w2, b2, hl, _OUTPUT_COLOR, "output unit's line", shade=True, arrow=False)
    _scatter_points(ax_hid, H, names=_POINT_NAMES, lims=hl)
    names = ("$h_1$ (OR unit)", "$h_2$ (NAND unit)") if network is None else ("$h_1$", "$h_2$")
    _square(ax_hid, hl, *names)
    ax_hid.legend(loc="lower left", fontsize=10, framealpha=0.9, frameon=True)
    ax_hid.set_title("Hidden space: one line separates")
    fig.suptitle("The hidden layer re-represents XOR so that one line suffices")
    return fig


# --------------------------------------------------------------------------------------------
# the live experiment: the hidden units' lines and the hidden space, together
# --------------------------------------------------------------------------------------------
_CONTROL_NAMES = ("w11", "w12", "b1", "w21", "w22", "b2")
#: Subscripts one and two (plain text is drawn faster than mathtext, and the live figure
#: redraws these titles on every move).
_SUB = ("\N{SUBSCRIPT ONE}", "\N{SUBSCRIPT TWO}")


def _verdict(margin):
    """The live figure's title: whether the output unit can separate the hidden points."""
    if margin > 1e-9:
        return f"The output unit can separate XOR: margin {margin:.3f}"
    return "No output unit can separate XOR"


class HiddenSpace(live.LiveFigure):
    """The chapter's live experiment (:class:`book.live.LiveFigure`): two hidden units set by
    hand, seen in the input plane and in the hidden space.

    Left: each unit's line z_j = 0 with an arrow to the side where it fires (z_j > 0), the
    four inputs, and the gate each unit computes on them. Right: the hidden points
    a^(1) = act(W x + b), labelled with the inputs they came from (points that coincide are
    fanned out sideways and share a label), and the output unit's best line, the one with
    the widest margin, when one separates the classes (:func:`best_separating_line`).

    Controls: the six numbers ``w11, w12, b1`` (unit 1: z_1 = w11 x_1 + w12 x_2 + b1),
    ``w21, w22, b2`` (unit 2) and the ``activation`` ('step' or 'sigmoid'). Nothing needs a
    new figure: a move changes a few lines, points and texts.

    Parameters
    ----------
    legend : bool
        Draw the legend under the panels (the static small multiples draw one only once).

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(HiddenSpace())
    >>> png = r.png({"w11": 1.0, "w12": 1.0, "b1": -0.5, "w21": -1.0, "w22": -1.0,
    ...              "b2": 1.5, "activation": "step"})
    >>> png[:4] == b"\\x89PNG", r.live.verdict.get_text()
    (True, 'The output unit can separate XOR: margin 0.354')
    >>> r.close()
    """

    size = (7.2, 4.5)
    IN_LIMS = (-0.5, 1.5)
    HID_LIMS = (-0.3, 1.3)

    def __init__(self, legend=True):
        self.legend = bool(legend)

    def _params(self, w11, w12, b1, w21, w22, b2, activation):
        where = type(self).__name__
        W, b = _hidden_params(w11, w12, b1, w21, w22, b2, where)
        if activation not in _ACTIVATIONS:
            raise ValueError(f"{where}: expected activation 'step' or 'sigmoid', got "
                             f"{activation!r}.")
        return W, b

    def build(self, fig, w11, w12, b1, w21, w22, b2, activation):
        self._params(w11, w12, b1, w21, w22, b2, activation)
        ax_in, ax_hid = fig.subplots(1, 2)
        _square(ax_in, self.IN_LIMS, "$x_1$", "$x_2$")
        _square(ax_hid, self.HID_LIMS, "$h_1$", "$h_2$")
        ax_hid.set_title("Hidden space", fontsize=11)
        self.verdict = fig.suptitle(_verdict(1.0))
        # input space: the units' lines, the arrows to where they fire, the gates' names
        self.unit_lines = [ax_in.plot([], [], color=_UNIT_COLORS[j], lw=2.2, zorder=3)[0]
                           for j in range(2)]
        # an arrow is a shaft and a triangle marker turned to point along it (lines and
        # markers draw faster than arrow patches, and every move redraws them)
        self.shafts = [ax_in.plot([], [], color=_UNIT_COLORS[j], lw=2.0, zorder=3)[0]
                       for j in range(2)]
        self.heads = [ax_in.plot([], [], ls="", marker=(3, 0, 0), markersize=10,
                                 color=_UNIT_COLORS[j], zorder=3)[0] for j in range(2)]
        points = {"ls": "", "markersize": 9, "markeredgecolor": "white",
                  "markeredgewidth": 0.8, "zorder": 4}
        self.inputs = [ax_in.plot(X_XOR[Y_XOR == c, 0], X_XOR[Y_XOR == c, 1], color=COLORS[c],
                                  marker=MARKERS[c], **points)[0] for c in (0, 1)]
        self.gates = [ax_in.set_title(f"h{_SUB[j]}", loc=("left", "right")[j], fontsize=10,
                                      color="#222222",
                                      bbox={"facecolor": "white", "edgecolor": _UNIT_COLORS[j],
                                            "lw": 1.5, "boxstyle": "round,pad=0.25"})
                      for j in range(2)]
        # hidden space: the output unit's side, its line, the points and their names
        self.shade = ax_hid.add_patch(Polygon(np.zeros((3, 2)), closed=True, lw=0,
                                              color=_OUTPUT_COLOR, alpha=0.12, zorder=1))
        self.out_line, = ax_hid.plot([], [], color=_OUTPUT_COLOR, lw=2.2, zorder=3)
        self.hidden = [ax_hid.plot([0.0, 0.0], [0.0, 0.0], color=COLORS[c], marker=MARKERS[c],
                                   **points)[0] for c in (0, 1)]
        self.names = [ax_hid.annotate("", (0.5, 0.5), xytext=(0, 9), textcoords="offset points",
                                      ha="center", va="bottom", fontsize=10, color="#333333",
                                      zorder=5) for _ in range(4)]
        if self.legend:
            fig.legend(handles=_legend_handles(), loc="outside lower center", ncols=3,
                       fontsize=10)
        # the shaded side touches the axes' edges: the spines are redrawn over it
        spines = [s for ax in (ax_in, ax_hid) for s in ax.spines.values()]
        self.animate(self.shade, *self.unit_lines, *self.shafts, *self.heads, self.out_line,
                     *self.inputs,
                     *self.hidden, *self.names, *self.gates, self.verdict,
                     *spines)

    def update(self, w11, w12, b1, w21, w22, b2, activation):
        W, b = self._params(w11, w12, b1, w21, w22, b2, activation)
        for j in range(2):
            ends = _line_ends(W[j], b[j], self.IN_LIMS)
            self.unit_lines[j].set_visible(ends is not None)
            if ends is not None:
                self.unit_lines[j].set_data(*ends)
            arrow = _arrow_ends(W[j], b[j], self.IN_LIMS)
            self.shafts[j].set_visible(arrow is not None)
            self.heads[j].set_visible(arrow is not None)
            if arrow is not None:
                (x0, y0), (x1, y1) = arrow
                self.shafts[j].set_data([x0, x1], [y0, y1])
                self.heads[j].set_data([x1], [y1])
                turn = np.degrees(np.arctan2(y1 - y0, x1 - x0)) - 90.0
                self.heads[j].set_marker((3, 0, turn))
            self.gates[j].set_text(f"h{_SUB[j]}: {unit_gate(W[j, 0], W[j, 1], b[j])}")
        H = hidden_points(W, b, activation)
        shown, groups = _fanned(H)
        for c in (0, 1):
            self.hidden[c].set_data(shown[Y_XOR == c, 0], shown[Y_XOR == c, 1])
        places = _name_places(H, groups, _POINT_NAMES, self.HID_LIMS)
        for k, name in enumerate(self.names):
            name.set_visible(k < len(places))
            if k < len(places):
                text, xy, offset, ha, va = places[k]
                name.set_text(text)
                name.xy = xy
                name.xyann = offset
                name.set_horizontalalignment(ha)
                name.set_verticalalignment(va)
        w_out, b_out, margin = best_separating_line(H, Y_XOR)
        ends = _line_ends(w_out, b_out, self.HID_LIMS) if margin > 1e-9 else None
        poly = _half_plane(w_out, b_out, *self.HID_LIMS) if ends is not None else []
        self.out_line.set_visible(ends is not None)
        self.shade.set_visible(len(poly) >= 3)
        if ends is not None:
            self.out_line.set_data(*ends)
        if len(poly) >= 3:
            self.shade.set_xy(poly)
        self.verdict.set_text(_verdict(margin))

    def describe(self, w11, w12, b1, w21, w22, b2, activation):
        W, b = self._params(w11, w12, b1, w21, w22, b2, activation)
        H = hidden_points(W, b, activation)
        margin = best_separating_line(H, Y_XOR)[2]
        points = ", ".join(f"{n} to ({h[0]:.2f}, {h[1]:.2f})"
                           for n, h in zip(_POINT_NAMES, H, strict=True))
        verdict = (f"one line separates the classes there, with margin {margin:.3f}"
                   if margin > 1e-9 else "no line separates the classes there")
        return (f"{activation.capitalize()} hidden units. Unit 1: z1 = "
                f"{_affine_text(w11, w12, b1)}, computing {unit_gate(*W[0], b[0])}; unit 2: "
                f"z2 = {_affine_text(w21, w22, b2)}, computing {unit_gate(*W[1], b[1])}. The "
                f"hidden layer sends {points}; {verdict}.")


def _affine_text(w1, w2, b):
    """``w1 x1 + w2 x2 + b`` as text with its signs: "1 x1 - 1 x2 + 0.5"."""
    f = live._fmt
    parts = [f"{f(w1)} x1"]
    for value, name in ((w2, " x2"), (b, "")):
        parts.append(f"{'-' if value < 0 else '+'} {f(abs(value))}{name}")
    return " ".join(parts)


def hidden_space_experiment() -> live.Experiment:
    """The chapter's live experiment: :class:`HiddenSpace` with its seven controls.

    In a notebook every weight and bias moves from -3 to 3 in steps of 0.1. On the website
    each weight takes the values -1 and 1 and each bias -0.5 and 1.5 (:data:`WEB_WEIGHTS`,
    :data:`WEB_BIASES`): with them each unit is OR, NAND, a detector of one of the corners
    (1,0) and (0,1), a unit that never fires or one that always fires, so the 64 hidden
    layers include the four that solve XOR (OR and NAND in either order, the two corner
    detectors in either order) and every way to fail; times the two activations, 128 frames.
    """
    weight = dict(lo=-3.0, hi=3.0, step=0.1, web=WEB_WEIGHTS)
    bias = dict(lo=-3.0, hi=3.0, step=0.1, web=WEB_BIASES)
    return live.Experiment(
        "hidden-space", HiddenSpace(),
        title="Two hidden units: their lines, and where they send the four points",
        caption=("Left: each hidden unit's line; the arrow points to the side where the unit "
                 "fires. Right: the hidden points, labelled with their inputs, and the output "
                 "unit's best line when one exists."),
        controls=dict(
            w11=live.Slider(value=1.0, label="w11", **weight),
            w12=live.Slider(value=1.0, label="w12", **weight),
            b1=live.Slider(value=-0.5, label="b1", **bias),
            w21=live.Slider(value=-1.0, label="w21", **weight),
            w22=live.Slider(value=-1.0, label="w22", **weight),
            b2=live.Slider(value=1.5, label="b2", **bias),
            activation=live.Choice(list(_ACTIVATIONS), "step", label="activation")))


def web_hidden_layers(activation="step") -> list:
    """Every hidden layer the website's controls offer, with the margin it leaves.

    Returns
    -------
    list of ((w11, w12, b1, w21, w22, b2), margin)
        The 64 combinations of :data:`WEB_WEIGHTS` and :data:`WEB_BIASES`, in the order of
        ``itertools.product``; the margin of :func:`best_separating_line` in the hidden
        space (positive when the output unit can separate the classes).

    Examples
    --------
    >>> layers = web_hidden_layers()
    >>> len(layers), sum(margin > 0 for _, margin in layers)
    (64, 4)
    """
    if activation not in _ACTIVATIONS:
        raise ValueError(f"web_hidden_layers: expected activation 'step' or 'sigmoid', got "
                         f"{activation!r}.")
    out = []
    grids = (WEB_WEIGHTS, WEB_WEIGHTS, WEB_BIASES) * 2
    for values in itertools.product(*grids):
        W, b = _hidden_params(*values, "web_hidden_layers")
        out.append((values, best_separating_line(hidden_points(W, b, activation), Y_XOR)[2]))
    return out


def draw_settings(settings=None, activation="step"):
    """The static version of the live experiment: :class:`HiddenSpace` for a few settings,
    one row each (:func:`book.live.small_multiples`).

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
    values = []
    for name, numbers in settings.items():
        if len(numbers) != 6:
            raise ValueError(f"draw_settings: expected six numbers (w11, w12, b1, w21, w22, "
                             f"b2) for setting {name!r}, got {numbers!r}.")
        values.append({**dict(zip(_CONTROL_NAMES, numbers, strict=True)),
                       "activation": activation})
    titles = []
    for name, v in zip(settings, values, strict=True):
        W, b = _hidden_params(*(v[k] for k in _CONTROL_NAMES), "draw_settings")
        margin = best_separating_line(hidden_points(W, b, activation), Y_XOR)[2]
        titles.append(f"{name}: " + (f"separable, margin {margin:.3f}" if margin > 1e-9
                                     else "not separable"))
    fig = live.small_multiples(HiddenSpace(legend=False), values, ncols=1, titles=titles)
    fig.set_size_inches(HiddenSpace.size[0], 3.3 * len(values) + 0.9)
    fig.legend(handles=_legend_handles(), loc="outside lower center", ncols=3, fontsize=10)
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
            ax.text(px, v + 1.5, f"{v:.0f}", ha="center", va="bottom", fontsize=10)
    ax.set_xticks(x, [f"2-{h}-1" for h in widths])
    ax.set_xlabel("network (input-hidden-output units)")
    ax.set_ylabel("runs that solved XOR (%)")
    ax.set_ylim(0, 112)
    ax.legend(title="hidden activation", loc="center left", fontsize=10)
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
    ax.legend(loc="lower left", fontsize=10)
    ax.set_title(f"2-{width}-1 {runs.activation} networks")
    for ax, k, verdict in ((axes[1], bad[0], "stuck"), (axes[2], ok[0], "solved")):
        H = runs.a1[k][:, :2]  # wider layers: the first two hidden units
        names = [f"{n} ŷ={p:.2f}" for n, p in zip(_POINT_NAMES, runs.p[k], strict=True)]
        lo = -1.3 if runs.activation == "tanh" else -0.3
        _scatter_points(ax, H, names=names, lims=(lo, 1.3))
        _square(ax, (lo, 1.3), "$h_1$", "$h_2$")
        ax.set_title(f"seed {runs.seeds[k]} ({verdict}): hidden space", fontsize=11)
    fig.suptitle("Stuck runs merge a class-0 and a class-1 point in the hidden space")
    return fig


def draw_digits_training(histories, images=None, digits=None):
    """Training and validation accuracy per epoch of a few models on the even-or-odd digits
    task, and (optionally) one example image of each digit above them.

    Parameters
    ----------
    histories : dict of str -> History
        Model name -> the :class:`nnlib.train.History` of ``fit`` with ``eval_train=True``
        and validation data (it records ``train_acc`` and ``val_acc`` per epoch).
    images : ndarray of shape (m, 64), optional
        The digit images, one per row (8 x 8 pixels in [0, 1]).
    digits : ndarray of shape (m,), optional
        Their digits 0-9; the first image of each digit is shown.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from nnlib.train import History
    >>> h = History(); h.train_acc, h.val_acc = [0.8, 0.9], [0.7, 0.85]
    >>> fig = draw_digits_training({"linear": h}); [ax.get_ylabel() for ax in fig.axes]
    ['training accuracy (%)', 'validation accuracy (%)']
    >>> plt.close(fig)
    """
    if not histories:
        raise ValueError("draw_digits_training: expected at least one model's history, got "
                         "none.")
    for name, h in histories.items():
        if not getattr(h, "train_acc", None) or not getattr(h, "val_acc", None):
            raise ValueError(f"draw_digits_training: the history of {name!r} has no training "
                             f"and validation accuracy; train with fit(..., validation=(X_val, "
                             f"y_val), eval_train=True).")
    show = images is not None and digits is not None
    fig = plt.figure(figsize=(7.6, 5.4 if show else 3.9))
    if show:
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 3.3])
        for d, ax in enumerate(top.subplots(1, 10)):
            ax.imshow(np.asarray(images)[np.flatnonzero(np.asarray(digits) == d)[0]]
                      .reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_axis_off()
            ax.set_title(f"{d}: {'even' if d % 2 == 0 else 'odd'}", fontsize=10)
    else:
        bottom = fig
    axes = bottom.subplots(1, 2, sharey=True)
    styles = ("-", "--", "-.", ":")
    colors = (COLORS[3], COLORS[0], COLORS[2], COLORS[4])
    for k, (name, h) in enumerate(histories.items()):
        epochs = np.arange(1, len(h.train_acc) + 1)
        for ax, acc in zip(axes, (h.train_acc, h.val_acc), strict=True):
            ax.plot(epochs, 100 * np.asarray(acc), styles[k % 4], color=colors[k % 4], lw=2,
                    label=name)
    for ax, what in zip(axes, ("training", "validation"), strict=True):
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{what} accuracy (%)")
        ax.set_title(f"{what.capitalize()} images", fontsize=11)
    axes[1].yaxis.set_tick_params(labelleft=True)
    axes[0].legend(loc="lower right", fontsize=10)
    (top if show else fig).suptitle("Even or odd digit: only a non-linear hidden layer fits "
                                    "the training images")
    return fig


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks/bench.py
#: enumerate them).
EXPERIMENTS = (hidden_space_experiment,)
