"""Experiments and figures of Chapter 7 (Universal approximation).

The chapter's constructions, its measurements and its figures live here, so that the notebook
stays short and the live experiments can be timed and tested without a widget:

- :func:`staircase_parameters`, :func:`staircase_output` and :func:`staircase_network` build,
  with no training, the one-hidden-layer sigmoid network of the constructive proof: N bumps
  sigma(k(x - a_i)) - sigma(k(x - b_i)), one per cell of width h, each scaled by f(c_i);
  :func:`staircase_error_table` measures its sup-norm error over N and k, and
  :func:`staircase_bound` is the proof's bound, whose last term does not shrink with h;
- :class:`Staircase` and :func:`staircase_experiment`: build your own staircase (number of
  bumps, steepness, target), with its error against the number of bumps and the bound;
  :func:`draw_staircases` is its static version (:func:`book.live.small_multiples`);
- :func:`tower_network` and :func:`draw_towers`: the same idea in two dimensions, towers made
  of two bumps per input and summed into a surface;
- :func:`tent_map`, :func:`sawtooth`, :func:`sawtooth_network`, :func:`count_linear_pieces`,
  :func:`shallow_sawtooth_fit` and :func:`train_shallow_sawtooth`: depth against width;
- :func:`train_one_hidden` and :func:`width_sweep`: trained one-hidden-layer networks over
  :data:`WIDTHS` and :data:`SEEDS` (cached); :class:`WidthFit` and
  :func:`width_fit_experiment` show the median run of each width;
  :func:`draw_motivation` and :func:`draw_error_vs_width` are the static figures;
- :func:`digits_width_sweep` and :func:`draw_digits_width`: the width of a one-hidden-layer
  classifier of the 8x8 digits against its test accuracy.

Every function of one input works on the interval K = [0, 1], the compact set of the chapter.
"""

from __future__ import annotations

import functools
import html
import time
from dataclasses import dataclass

import matplotlib
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon

from nnlib._checks import as_array, check_finite_scalar, check_int, check_positive, make_rng
from nnlib.core import Module, Sequential
from nnlib.data import digits, train_val_test_split
from nnlib.functional import sigmoid
from nnlib.layers import Linear, ReLU, Sigmoid, mlp
from nnlib.losses import CrossEntropyLoss, MSELoss
from nnlib.optim import Adam
from nnlib.plot import COLORS
from nnlib.schedules import CosineAnnealingLR
from nnlib.train import fit

from . import live
from .shared import one_blas_thread

__all__ = [
    "TARGETS", "TARGET_LABELS", "LIPSCHITZ", "WIDTHS", "SEEDS", "RELATIVE_STEEPNESS",
    "TRAIN_STEPS", "TRAIN_LR", "N_TRAIN", "CURVE_BUMPS",
    "target_function", "bump",
    "StaircaseParameters", "staircase_parameters", "staircase_output", "staircase_network",
    "sup_error", "staircase_error_table", "staircase_bound", "staircase_floor",
    "staircase_curve", "table_html",
    "Staircase", "staircase_experiment", "draw_staircases",
    "target_2d", "TOWER_THRESHOLD", "TOWER_STEEPNESS", "tower_network", "draw_towers",
    "tent_map", "sawtooth", "sawtooth_network", "count_linear_pieces",
    "shallow_sawtooth_fit", "shallow_fit_errors", "train_shallow_sawtooth",
    "spread_init", "train_one_hidden", "WidthSweep", "width_sweep",
    "WidthSlider", "WidthFit", "width_fit_experiment",
    "DigitsSweep", "DIGIT_WIDTHS", "digits_width_sweep",
    "draw_motivation", "draw_bump", "draw_sawtooth", "draw_shallow_vs_deep",
    "draw_error_vs_width", "draw_digits_width",
    "EXPERIMENTS",
]


# --------------------------------------------------------------------------------------------
# targets and settings
# --------------------------------------------------------------------------------------------
def _wiggly(x):
    return np.sin(2.0 * np.pi * x) + 0.5 * np.sin(6.0 * np.pi * x)


def _sine(x):
    return np.sin(2.0 * np.pi * x)


def _kink(x):
    return 1.5 * np.abs(x - 1.0 / 3.0) - 0.5


#: The target functions of the chapter, all continuous on K = [0, 1]:
#: "wiggly" is sin(2 pi x) + 0.5 sin(6 pi x), "sine" is sin(2 pi x),
#: "kink" is ``1.5 |x - 1/3| - 0.5`` (continuous, not differentiable at 1/3).
TARGETS = {"wiggly": _wiggly, "sine": _sine, "kink": _kink}

#: How the figures and the controls name the targets.
TARGET_LABELS = {"wiggly": "sin 2πx + ½ sin 6πx", "sine": "sin 2πx",
                 "kink": "1.5 |x − 1/3| − 0.5"}

#: max |f'| on [0, 1] of each target (so |f(x) - f(y)| <= L |x - y|): 5 pi for "wiggly"
#: (at x = 0, where both sines climb at full speed), 2 pi for "sine", 1.5 for "kink".
LIPSCHITZ = {"wiggly": 5.0 * np.pi, "sine": 2.0 * np.pi, "kink": 1.5}

#: Widths of the width experiment (hidden units of the trained one-hidden-layer networks).
WIDTHS = (1, 2, 4, 8, 16, 32, 64, 128)

#: Seeds of the width experiment: every width is trained once per seed, and the figures show
#: the median run and the spread.
SEEDS = (0, 1, 2, 3, 4)

#: Default steepness of the staircase relative to the cell width: k = RELATIVE_STEEPNESS / h,
#: so each sigmoid climbs from sigma(-5) = 0.007 to sigma(5) = 0.993 across one cell.
RELATIVE_STEEPNESS = 10.0

#: Training of the width experiment: full-batch Adam, cosine-annealed learning rate.
TRAIN_STEPS = 500
TRAIN_LR = 0.05
#: Number of equally spaced training points on [0, 1].
N_TRAIN = 100

#: Numbers of bumps at which :func:`staircase_curve` measures the error (2 to 512, about
#: four per doubling).
CURVE_BUMPS = tuple(int(n) for n in np.unique(np.round(np.geomspace(2, 512, 33))))

#: Dense grid on which sup-norm errors are measured.
_GRID = np.linspace(0.0, 1.0, 4001)
_GRID.setflags(write=False)
#: Coarser grid on which curves are drawn (cheaper to draw, the same to the eye).
_PLOT_X = np.linspace(0.0, 1.0, 601)
_PLOT_X.setflags(write=False)

_INK = "#222222"
_GREY = "#888888"
#: The smallest text of every figure, in points (readable on a phone).
_SMALL = 10


def target_function(name):
    """The target function called ``name`` (a key of :data:`TARGETS`).

    Parameters
    ----------
    name : str or callable
        A key of :data:`TARGETS`; a callable is returned unchanged.

    Returns
    -------
    callable
        ``f(x)`` for an ndarray ``x``, elementwise.

    Raises
    ------
    ValueError
        If ``name`` is not a known target.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> float(target_function("sine")(0.25))
    1.0
    """
    if callable(name):
        return name
    if not isinstance(name, str) or name not in TARGETS:
        raise ValueError(f"target_function: expected one of {sorted(TARGETS)} or a callable, "
                         f"got {name!r}.")
    return TARGETS[name]


def _check_target_name(target, where):
    if not isinstance(target, str) or target not in TARGETS:
        raise ValueError(f"{where}: expected target to be one of {sorted(TARGETS)}, got "
                         f"{target!r}.")
    return target


# --------------------------------------------------------------------------------------------
# the constructive picture: bumps and staircases
# --------------------------------------------------------------------------------------------
def bump(x, a, b, k):
    """A bump from two sigmoids: sigma(k (x - a)) - sigma(k (x - b)).

    Parameters
    ----------
    x : array_like
        Points.
    a, b : float
        Where the bump rises and falls, a < b.
    k : float > 0
        Steepness. As k grows, the bump tends to the indicator of [a, b).

    Returns
    -------
    ndarray, the shape of ``x``

    Raises
    ------
    ValueError
        If a >= b or k <= 0.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Notes
    -----
    At the midpoint, sigma(k w / 2) - sigma(-k w / 2) = 2 sigma(k w / 2) - 1 = tanh(k w / 4)
    with w = b - a: the bump's height is below 1 and tends to 1 as k w grows.

    Examples
    --------
    >>> bump(np.array([0.0, 0.5, 1.0]), 0.25, 0.75, 40.0).round(4).tolist()
    [0.0, 0.9999, 0.0]
    """
    where = "bump"
    x = as_array(x, where, dtype=np.float64, name="x")
    a = check_finite_scalar(a, where, "a")
    b = check_finite_scalar(b, where, "b")
    if not a < b:
        raise ValueError(f"{where}: expected a < b, got a={a}, b={b}.")
    k = check_positive(k, where, "k")
    return sigmoid(k * (x - a)) - sigmoid(k * (x - b))


@dataclass(frozen=True)
class StaircaseParameters:
    """The numbers that define the staircase network of :func:`staircase_parameters`.

    Attributes
    ----------
    centres : ndarray of shape (N,)
        c_i = (i - 1) h, i = 1..N: N equally spaced points of [0, 1], both ends included.
    lower, upper : ndarray of shape (N,)
        The cell edges a_i = c_i - h/2 and b_i = c_i + h/2.
    heights : ndarray of shape (N,)
        v_i = f(c_i).
    h : float
        Cell width 1 / (N - 1).
    k : float
        Steepness of every sigmoid.

    See Also
    --------
    Chapter 7 (Universal approximation).
    """

    centres: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    heights: np.ndarray
    h: float
    k: float


def staircase_parameters(f, n_bumps, steepness=None):
    """Cells, heights and steepness of the N-bump staircase that approximates f on [0, 1].

    Parameters
    ----------
    f : str or callable
        The target (a key of :data:`TARGETS` or a function).
    n_bumps : int >= 2
        N, the number of bumps (the network has 2N hidden units).
    steepness : float > 0, optional
        k. Default ``RELATIVE_STEEPNESS / h`` = 10 (N - 1).

    Returns
    -------
    StaircaseParameters

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> p = staircase_parameters("sine", 5)
    >>> p.centres.tolist(), p.h, p.k
    ([0.0, 0.25, 0.5, 0.75, 1.0], 0.25, 40.0)
    """
    where = "staircase_parameters"
    f = target_function(f)
    n = check_int(n_bumps, where, "n_bumps", minimum=2)
    h = 1.0 / (n - 1)
    k = RELATIVE_STEEPNESS / h if steepness is None else check_positive(steepness, where,
                                                                         "steepness")
    centres = np.linspace(0.0, 1.0, n)
    heights = np.asarray(f(centres), dtype=np.float64)
    if heights.shape != centres.shape or not np.all(np.isfinite(heights)):
        raise ValueError(f"{where}: expected f to return one finite number per point, got "
                         f"{heights!r}.")
    return StaircaseParameters(centres, centres - h / 2, centres + h / 2, heights, h, k)


def staircase_output(x, f, n_bumps, steepness=None):
    """The staircase network's output, in plain numpy: sum_i f(c_i) [sigma(k(x - a_i)) -
    sigma(k(x - b_i))].

    Computed in the regrouped form sum_j Delta_j sigma(k(x - e_j)) over the N + 1 distinct
    edges e_j, with jumps Delta_j = f(c_(j+1)) - f(c_j) (f(c_0) = f(c_(N+1)) = 0): the same
    number up to rounding, with half the sigmoids.

    Parameters
    ----------
    x : array_like of shape (m,)
    f, n_bumps, steepness
        As for :func:`staircase_parameters`. ``steepness=np.inf`` gives the limit, the
        step function staircase (with the step's value 1/2 exactly at an edge, as the
        sigmoid's limit has).

    Returns
    -------
    ndarray of shape (m,)

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> staircase_output([0.0, 0.5, 1.0], "sine", 3, np.inf).round(12).tolist()
    [0.0, 0.0, -0.0]
    """
    where = "staircase_output"
    x = as_array(x, where, dtype=np.float64, name="x")
    if x.ndim != 1:
        raise ValueError(f"{where}: expected a 1-D array of points, got shape {x.shape}.")
    if steepness is not None and steepness == np.inf:
        p = staircase_parameters(f, n_bumps)
        steps = np.heaviside(x[:, None] - _edges(p), 0.5)
    else:
        p = staircase_parameters(f, n_bumps, steepness)
        steps = sigmoid(p.k * (x[:, None] - _edges(p)))
    # the bumps regrouped by edge (cell i's upper edge is cell i+1's lower edge): N + 1 steps
    # with jumps f(c_1), f(c_2) - f(c_1), ..., -f(c_N); the same sum, half the sigmoids
    return steps @ np.diff(p.heights, prepend=0.0, append=0.0)


def _edges(p):
    """The N + 1 distinct cell edges a_1, b_1 = a_2, ..., b_N."""
    return np.append(p.lower, p.upper[-1])


def staircase_network(f, n_bumps, steepness=None, dtype=np.float64) -> Sequential:
    """The staircase as an nnlib network: Linear(1, 2N), Sigmoid, Linear(2N, 1), weights set
    by hand, no training.

    Parameters
    ----------
    f, n_bumps, steepness
        As for :func:`staircase_parameters`; ``steepness`` must be finite here.
    dtype : numpy dtype

    Returns
    -------
    Sequential
        Hidden unit 2i - 1 computes sigma(k x - k a_i), unit 2i computes sigma(k x - k b_i);
        the output weights are +f(c_i) and -f(c_i), the output bias is 0.

    See Also
    --------
    staircase_output : the same formula in numpy. Chapter 7 (Universal approximation).

    Notes
    -----
    W1 = k 1 (shape (2N, 1)), b1 = -k (a_1, b_1, a_2, b_2, ...),
    W2 = (v_1, -v_1, v_2, -v_2, ...) (shape (1, 2N)), b2 = 0.

    Examples
    --------
    >>> net = staircase_network("sine", 5)
    >>> [type(m).__name__ for m in net], net[0].weight.shape
    (['Linear', 'Sigmoid', 'Linear'], (10, 1))
    >>> x = np.linspace(0, 1, 7)
    >>> bool(np.allclose(net(x[:, None])[:, 0], staircase_output(x, "sine", 5)))
    True
    """
    p = staircase_parameters(f, n_bumps, steepness)
    n = p.centres.size
    hidden = Linear(1, 2 * n, init="zeros", dtype=dtype)
    output = Linear(2 * n, 1, init="zeros", dtype=dtype)
    edges = np.stack([p.lower, p.upper], axis=1).reshape(-1)       # a_1, b_1, a_2, b_2, ...
    hidden.weight.data[:, 0] = p.k
    hidden.bias.data[:] = -p.k * edges
    output.weight.data[0] = np.stack([p.heights, -p.heights], axis=1).reshape(-1)
    return Sequential(hidden, Sigmoid(), output)


def sup_error(g, f, x=None):
    """``max |g(x) - f(x)|`` over a grid of [0, 1]: the sup-norm error the theorem speaks of.

    Parameters
    ----------
    g : Module or callable or array_like
        A network (called on x of shape (m, 1)), a function of x (shape (m,)), or its values
        on the grid.
    f : str or callable
        The target.
    x : array_like of shape (m,), optional
        The grid; default 4001 equally spaced points of [0, 1].

    Returns
    -------
    float

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> round(sup_error(lambda x: 0 * x, "sine"), 6)
    1.0
    """
    where = "sup_error"
    x = _GRID if x is None else as_array(x, where, dtype=np.float64, name="x")
    f = target_function(f)
    if isinstance(g, Module):
        values = g(x[:, None])[:, 0]
    elif callable(g):
        values = g(x)
    else:
        values = as_array(g, where, dtype=np.float64, name="g")
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.shape != x.shape:
        raise ValueError(f"{where}: expected one value per grid point ({x.size}), got "
                         f"shape {values.shape}.")
    return float(np.max(np.abs(values - f(x))))


def staircase_error_table(f, n_bumps_list, steepnesses, x=None):
    """Sup-norm errors of the staircase for every pair (N, k).

    Parameters
    ----------
    f : str or callable
    n_bumps_list : sequence of int
        Values of N.
    steepnesses : sequence of float or None
        Values of k; ``None`` means k = RELATIVE_STEEPNESS / h (steepness tied to N),
        ``np.inf`` the step-function limit.
    x : array_like, optional
        The grid (default 4001 points).

    Returns
    -------
    ndarray of shape (len(steepnesses), len(n_bumps_list))

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> staircase_error_table("sine", [5, 50], [None]).round(3).tolist()
    [[0.341, 0.023]]
    """
    x = _GRID if x is None else as_array(x, "staircase_error_table", dtype=np.float64)
    out = np.empty((len(steepnesses), len(n_bumps_list)))
    with one_blas_thread():
        for i, k in enumerate(steepnesses):
            for j, n in enumerate(n_bumps_list):
                out[i, j] = sup_error(staircase_output(x, f, n, k), f, x)
    return out


def _lipschitz(target, lipschitz, where):
    if lipschitz is not None:
        return check_positive(lipschitz, where, "lipschitz")
    if isinstance(target, str) and target in LIPSCHITZ:
        return LIPSCHITZ[target]
    raise ValueError(f"{where}: expected a target of {sorted(LIPSCHITZ)} or a Lipschitz "
                     f"constant `lipschitz` for the function {target!r}.")


def staircase_floor(target, relative_steepness=RELATIVE_STEEPNESS):
    """The part of :func:`staircase_bound` that does not shrink with h:
    (|f(0)| + |f(1)|) sigma(-s/2).

    The two outermost soft steps sit h/2 outside [0, 1]; at x = 0 and x = 1 they are only
    sigma(s/2) of the way up, whatever h is, so with s = k h fixed the staircase misses
    f(0) and f(1) by about |f(0)| sigma(-s/2) and |f(1)| sigma(-s/2).

    Parameters
    ----------
    target : str or callable
    relative_steepness : float > 0
        s = k h.

    Returns
    -------
    float

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> round(staircase_floor("kink"), 6), staircase_floor("sine") < 1e-15
    (0.003346, True)
    """
    s = check_positive(relative_steepness, "staircase_floor", "relative_steepness")
    f = target_function(target)
    ends = abs(float(f(np.array([0.0]))[0])) + abs(float(f(np.array([1.0]))[0]))
    return float(ends * sigmoid(-s / 2.0))


def staircase_bound(target, n_bumps, relative_steepness=RELATIVE_STEEPNESS, lipschitz=None):
    """The proof's bound on the staircase's sup-norm error on [0, 1], for |f'| <= L:

    L h/2 + c_s L h + (|f(0)| + |f(1)|) sigma(-s/2),  c_s = 1/2 + 2 e^(-s/2) / (1 - e^(-s)),

    with h = 1/(N - 1) and s = k h. The first two terms shrink with h; the last one,
    :func:`staircase_floor`, does not: with s fixed the bound is A h + B, not proportional to h.

    Parameters
    ----------
    target : str or callable
    n_bumps : int or array_like of int >= 2
    relative_steepness : float > 0
        s = k h.
    lipschitz : float, optional
        L; default :data:`LIPSCHITZ` of a named target.

    Returns
    -------
    float or ndarray (the shape of ``n_bumps``)

    See Also
    --------
    Chapter 7 (Universal approximation), equation (universal-eq-bound).

    Examples
    --------
    >>> round(float(staircase_bound("kink", 1_000_000)), 5)
    0.00335
    """
    where = "staircase_bound"
    s = check_positive(relative_steepness, where, "relative_steepness")
    L = _lipschitz(target, lipschitz, where)
    n = np.asarray(n_bumps)
    if not np.issubdtype(n.dtype, np.integer) or np.any(n < 2):
        raise ValueError(f"{where}: expected whole numbers of bumps >= 2, got {n_bumps!r}.")
    h = 1.0 / (n - 1.0)
    c_s = 0.5 + 2.0 * np.exp(-s / 2.0) / (1.0 - np.exp(-s))
    out = L * h / 2.0 + c_s * L * h + staircase_floor(target, s)
    return float(out) if out.ndim == 0 else out


@functools.lru_cache(maxsize=32)
def staircase_curve(target, relative_steepness):
    """Sup-norm error and bound of the staircase over :data:`CURVE_BUMPS`, for a fixed s.

    Computed once per (target, s) and cached: a move of the live experiment's bump slider
    only draws.

    Parameters
    ----------
    target : str
        A key of :data:`TARGETS`.
    relative_steepness : float > 0
        s = k h; the steepness is k = s (N - 1) for N bumps.

    Returns
    -------
    n : ndarray of int, errors : ndarray, bounds : ndarray
        Read-only, one entry per N of :data:`CURVE_BUMPS`.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> n, err, bound = staircase_curve("sine", 10.0)
    >>> bool(np.all(err <= bound)), int(n[0]), int(n[-1])
    (True, 2, 512)
    """
    where = "staircase_curve"
    _check_target_name(target, where)
    s = check_positive(relative_steepness, where, "relative_steepness")
    n = np.array(CURVE_BUMPS)
    f = TARGETS[target]
    with one_blas_thread():
        errors = np.array([sup_error(staircase_output(_GRID, f, N, s * (N - 1)), f)
                           for N in n])
    bounds = staircase_bound(target, n, s)
    for a in (n, errors, bounds):
        a.setflags(write=False)
    return n, errors, bounds


def table_html(columns, headers, formats, caption=None):
    """A small HTML table: one column per sequence of values, formatted with ``formats``.

    Parameters
    ----------
    columns : sequence of sequences
        The columns, all of one length.
    headers : sequence of str
    formats : sequence of str
        A format spec per column (``".3f"``, ``"d"``); a str value is shown as it is.
    caption : str, optional

    Returns
    -------
    str

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> "<td>0.50</td>" in table_html([[0.5]], ["x"], [".2f"])
    True
    """
    if not (len(columns) == len(headers) == len(formats)):
        raise ValueError(f"table_html: expected as many headers and formats as columns, got "
                         f"{len(columns)}, {len(headers)} and {len(formats)}.")
    n = {len(c) for c in columns}
    if len(n) > 1:
        raise ValueError(f"table_html: expected columns of one length, got lengths {sorted(n)}.")

    def cell(v, fmt):
        return html.escape(v if isinstance(v, str) else format(v, fmt))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    rows = "".join("<tr>" + "".join(f"<td>{cell(v, f)}</td>" for v, f in zip(row, formats,
                                                                            strict=True))
                   + "</tr>" for row in zip(*columns, strict=True))
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (f'<table class="nnb-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")


# --------------------------------------------------------------------------------------------
# build your own staircase (live experiment)
# --------------------------------------------------------------------------------------------
def _plain_log(ax, axis="both"):
    """Log-scaled axes with plain-number tick labels (1, 10, 100; 0.01, 0.02, 0.05 on the y
    axis) and no minor ticks: easier to read than 10^k, and much cheaper to draw (every tick
    is several artists)."""
    import matplotlib.ticker as mticker

    axes = {"x": [ax.xaxis], "y": [ax.yaxis], "both": [ax.xaxis, ax.yaxis]}[axis]
    for a in axes:
        if a is ax.yaxis:  # errors: label 0.01, 0.02, 0.05, 0.1, ... so every value is readable
            a.set_major_locator(mticker.LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
        a.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
        a.set_minor_locator(mticker.NullLocator())


def _ylim_of(target):
    """Fixed y limits of a target's panels (room for the curve and a little more)."""
    f = TARGETS[target]
    lo, hi = float(np.min(f(_GRID))), float(np.max(f(_GRID)))
    pad = 0.25 * (hi - lo)
    return lo - pad, hi + pad


#: The website's values of the staircase experiment's controls.
STAIRCASE_BUMPS_WEB = (2, 3, 4, 6, 8, 12, 16, 32)
STEEPNESS_WEB = (1.0, 3.16228, 10.0, 31.6228, 1000.0)

_STAIR = COLORS[3]      # vermillion: the network
_BUMP_FACES = np.array([matplotlib.colors.to_rgba(COLORS[0], 0.35),
                        matplotlib.colors.to_rgba(COLORS[2], 0.35)])
_BOUND = COLORS[4]      # reddish purple: the bound
_FLOOR = COLORS[5]      # sky blue: the part of the bound that does not shrink
_MARK = COLORS[1]       # orange: this setting


def _num(v):
    """A control value as a reader writes it: 10, 3.16, 1000 (never 1e+03)."""
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"


def _target_options():
    return [(TARGET_LABELS[k], k) for k in TARGETS]


class Staircase(live.LiveFigure):
    """Build your own staircase: N bumps of steepness k = s / h against a target.

    Left: the target f (black), the N bumps f(c_i) [sigma(k(x - a_i)) - sigma(k(x - b_i))]
    (shaded, alternately coloured), their sum, the network's output (red), and the place of
    the largest error (a purple bar from f to the output). Right: the sup-norm error against
    N for this target and steepness (log-log, :func:`staircase_curve`), the proof's bound
    (:func:`staircase_bound`, dashed), its part that does not shrink with h
    (:func:`staircase_floor`, dotted) and this N (circle).

    Parameters
    ----------
    legend : bool, default True
        A legend under the panels (the static small multiples draw one for all rows).

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(Staircase())
    >>> png = r.png({"n_bumps": 8, "steepness": 10.0, "target": "wiggly"})
    >>> png[:4] == b"\\x89PNG", r.live.title.get_text()
    (True, '8 bumps: error 0.532')
    >>> r.close()
    """

    size = (7.4, 3.9)
    redraw_on = ("target",)

    def __init__(self, legend=True):
        self.legend = bool(legend)

    def build(self, fig, n_bumps, steepness, target):
        left, right = fig.subplots(1, 2, width_ratios=[1.25, 1.0])
        self.left, self.right = left, right
        # every artist that changes is drawn above the spines (z-order 2.5), so the blitted
        # frame draws them in the same order as a plain drawing
        self.bumps = PolyCollection([], lw=0, zorder=2.6)     # colours carry the alpha
        left.add_collection(self.bumps)
        self.target_line, = left.plot([], [], color=_INK, lw=1.6, zorder=2.7)
        self.stair, = left.plot([], [], color=_STAIR, lw=2.0, zorder=2.8)
        self.dots, = left.plot([], [], "o", color=_STAIR, ms=4, zorder=2.9)
        self.worst, = left.plot([], [], color=_BOUND, lw=3.0, solid_capstyle="butt",
                                zorder=3.0)
        left.set_xlim(-0.03, 1.03)
        left.set_xlabel("input $x$")
        left.set_ylabel("output")
        self.title = left.set_title(" ", loc="left", fontsize=_SMALL + 1)
        self._target = None
        right.set_xscale("log")
        right.set_yscale("log")
        right.set_xlim(1.7, 600)
        right.set_ylim(2e-4, 8.0)
        _plain_log(right)
        right.set_xlabel("bumps $N$")
        right.set_ylabel("sup-norm error")
        right.set_title("Error against $N$", loc="left", fontsize=_SMALL + 1)
        self.err, = right.plot([], [], color=_STAIR, lw=2.0, zorder=3)
        self.bound, = right.plot([], [], color=_BOUND, lw=1.6, ls="--", zorder=3.1)
        self.floor, = right.plot([], [], color=_FLOOR, lw=1.6, ls=":", zorder=3.2)
        self.mark, = right.plot([], [], "o", ms=10, mfc="none", mec=_MARK, mew=2.2, zorder=4)
        if self.legend:
            fig.legend(handles=_staircase_handles(), loc="outside lower center", ncol=3,
                       fontsize=_SMALL, handlelength=1.8, columnspacing=1.0)
        self.animate(self.bumps, self.target_line, self.stair, self.dots, self.worst,
                     self.title, self.err, self.bound, self.floor, self.mark)

    def state(self, n_bumps, steepness, target):
        """(parameters, output on the plot grid, sup error, argmax x, its output, bound,
        floor), computed once per setting (``update`` and ``describe`` share it)."""
        where = "Staircase"
        _check_target_name(target, where)
        n = check_int(n_bumps, where, "n_bumps", minimum=2)
        s = check_positive(steepness, where, "steepness")
        return _staircase_state(n, s, target)

    def update(self, n_bumps, steepness, target):
        f = TARGETS[target]
        p, y, err, x_worst, y_worst, bound, floor = self.state(n_bumps, steepness, target)
        if getattr(self, "_target", None) != target:     # a full redraw follows (redraw_on)
            self.left.set_ylim(*_ylim_of(target))
            self.target_line.set_data(_PLOT_X, f(_PLOT_X))
            self._target = target
        x = _PLOT_X
        # one polygon per bump, on the part of [0, 1] where it is visible
        verts = []
        for a, b, v in zip(p.lower, p.upper, p.heights, strict=True):
            lo, hi = max(a - 6.0 / p.k, 0.0), min(b + 6.0 / p.k, 1.0)
            xs = x[(x >= lo) & (x <= hi)]
            if xs.size < 2:
                xs = np.array([lo, hi])
            ys = v * (sigmoid(p.k * (xs - a)) - sigmoid(p.k * (xs - b)))
            verts.append(np.column_stack([np.r_[xs, xs[::-1]], np.r_[ys, np.zeros_like(xs)]]))
        self.bumps.set_verts(verts)
        self.bumps.set_facecolor(_BUMP_FACES[np.arange(len(verts)) % 2])
        self.stair.set_data(x, y)
        self.dots.set_data(p.centres, p.heights)
        self.worst.set_data([x_worst, x_worst], [float(f(np.array([x_worst]))[0]), y_worst])
        # short: every glyph of an animated text is drawn again on each move
        self.title.set_text(f"{n_bumps} bumps: error {err:.3f}")
        n, errors, bounds = staircase_curve(target, float(steepness))
        self.err.set_data(n, errors)
        self.bound.set_data(n, bounds)
        if floor > 1e-12:
            self.floor.set_data([n[0], n[-1]], [floor, floor])
        else:
            self.floor.set_data([], [])
        self.mark.set_data([n_bumps], [err])

    def describe(self, n_bumps, steepness, target):
        p, _, err, x_worst, _, bound, floor = self.state(n_bumps, steepness, target)
        f = TARGETS[target]
        if abs(float(f(np.array([0.0]))[0])) + abs(float(f(np.array([1.0]))[0])) > 0:
            ends = (f"; {floor:.2g} of it comes from the two ends of [0, 1] and does not "
                    f"shrink with more bumps")
        else:
            ends = "; the target is 0 at both ends, so all of it shrinks with more bumps"
        return (f"{n_bumps} bumps ({2 * n_bumps} hidden units) of steepness s = k h = "
                f"{_num(steepness)} (k = {p.k:.4g}) against the target "
                f"{TARGET_LABELS[target]}: "
                f"the largest error on [0, 1] is {err:.3g}, at x = {x_worst:.3f}. The proof's "
                f"bound is {bound:.3g}{ends}.")


@functools.lru_cache(maxsize=256)
def _staircase_state(n, s, target):
    f = TARGETS[target]
    p = staircase_parameters(f, n, s * (n - 1))
    y_dense = staircase_output(_GRID, f, n, p.k)
    gap = np.abs(y_dense - f(_GRID))
    i = int(np.argmax(gap))
    y_plot = staircase_output(_PLOT_X, f, n, p.k)
    y_plot.setflags(write=False)
    return (p, y_plot, float(gap[i]), float(_GRID[i]), float(y_dense[i]),
            staircase_bound(target, n, s), staircase_floor(target, s))


def _staircase_handles():
    return [Line2D([], [], color=_INK, lw=1.6, label="target $f$"),
            Patch(facecolor=COLORS[0], alpha=0.35, label="bumps of height $f(c_i)$"),
            Line2D([], [], color=_STAIR, lw=2.0, label="network (sum)"),
            Line2D([], [], color=_BOUND, lw=3.0, label="largest error"),
            Line2D([], [], color=_BOUND, lw=1.6, ls="--", label="bound"),
            Line2D([], [], color=_FLOOR, lw=1.6, ls=":", label="part that stays")]


def staircase_experiment() -> live.Experiment:
    """Build your own staircase: :class:`Staircase` with the number of bumps, the steepness
    s = k h and the target as controls.

    The website shows 8 x 5 x 3 = 120 frames (:data:`STAIRCASE_BUMPS_WEB`,
    :data:`STEEPNESS_WEB` and the three targets).
    """
    return live.Experiment(
        "staircase", Staircase(),
        title="Build your own staircase",
        caption=("Left: N bumps of height f(c_i) and their sum, the network's output; the "
                 "purple bar marks the largest error. Right: the largest error against N for "
                 "this steepness s = k h, with the proof's bound and the part of it that does "
                 "not shrink as N grows."),
        controls=dict(
            n_bumps=live.IntSlider(2, 64, value=8, label="bumps N", web=STAIRCASE_BUMPS_WEB),
            steepness=live.LogSlider(1.0, 1000.0, per_decade=2, value=RELATIVE_STEEPNESS,
                                     label="steepness s = k h", web=STEEPNESS_WEB),
            target=live.Choice(_target_options(), "wiggly", label="target")))


def draw_staircases(settings=({"n_bumps": 8, "steepness": 10.0, "target": "wiggly"},
                              {"n_bumps": 32, "steepness": 10.0, "target": "kink"})) -> Figure:
    """Small multiples of :class:`Staircase`: one row per setting, one legend for all.

    Parameters
    ----------
    settings : sequence of dict
        Values of ``n_bumps``, ``steepness`` and ``target`` for each row.

    Returns
    -------
    Figure
        7.4 inches wide.

    See Also
    --------
    staircase_experiment : the live version. Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_staircases(({"n_bumps": 4, "steepness": 10.0, "target": "sine"},))
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['input $x$', 'bumps $N$']
    >>> plt.close(fig)
    """
    settings = list(settings)
    if not settings:
        raise ValueError("draw_staircases: expected at least one setting, got none.")
    fig = live.small_multiples(Staircase(legend=False), settings, ncols=1)
    fig.set_size_inches(7.4, 3.3 * len(settings) + 0.9)
    fig.legend(handles=_staircase_handles(), loc="outside lower center", ncol=3,
               fontsize=_SMALL, handlelength=1.8, columnspacing=1.0)
    fig.suptitle("More bumps, smaller error, down to the part of the bound that stays",
                 fontsize=_SMALL + 2)
    return fig


# --------------------------------------------------------------------------------------------
# two inputs: towers
# --------------------------------------------------------------------------------------------
def target_2d(x1, x2):
    """The chapter's target of two inputs: sin(pi x1) sin(pi x2), a hill on [0, 1]^2.

    Examples
    --------
    >>> float(target_2d(0.5, 0.5))
    1.0
    """
    return np.sin(np.pi * np.asarray(x1)) * np.sin(np.pi * np.asarray(x2))


#: Steepness K of the second hidden layer's units, which keep only the middle of a cross:
#: sigma(K (bump(x1) + bump(x2) - 3/2)) is sigma(K/2) = 0.99995 on the cell and
#: sigma(-K/2) = 0.00005 on the arms.
TOWER_THRESHOLD = 20.0
#: Steepness of the first layer's steps relative to the cells, s = k h, of the towers. Where four
#: cells meet, both bumps are at half height and the towers vanish (their sum is 1, as on the
#: arms): a crack about 1/k wide. Its share of the area does not shrink with h unless s is
#: large, so the towers use s = 100 rather than the staircase's 10.
TOWER_STEEPNESS = 100.0


def tower_network(f2=target_2d, n_cells=8, steepness=None, threshold=TOWER_THRESHOLD,
                  dtype=np.float64) -> Sequential:
    """The staircase in two dimensions: towers on an N x N grid of cells, weights by hand.

    Parameters
    ----------
    f2 : callable
        ``f2(x1, x2)``, elementwise; the tower of cell (i, j) has height f2(c_i, c_j).
    n_cells : int >= 2
        N cells per input, centres c_i = (i - 1) h, h = 1 / (N - 1), as in 1-D.
    steepness : float > 0, optional
        k of the first layer; default TOWER_STEEPNESS / h.
    threshold : float > 0
        K of the second layer.
    dtype : numpy dtype

    Returns
    -------
    Sequential
        ``Linear(2, 2(N+1)), Sigmoid, Linear(2(N+1), N^2), Sigmoid, Linear(N^2, 1)``. The
        first layer holds the soft steps sigma(k(x1 - e_j)) and sigma(k(x2 - e_j)) at the
        N + 1 cell edges of each input; unit (i, j) of the second layer computes
        sigma(K (bump_i(x1) + bump_j(x2) - 3/2)), where bump_i is the difference of two
        neighbouring steps: a tower over cell (i, j); the output adds the towers with
        weights f2(c_i, c_j).

    Notes
    -----
    Where four cells meet both bumps are at half height, their sum is 1 as on the arms, and
    every tower there is close to 0: the surface has cracks about 1/k wide along the cell
    corners, so its largest error stays near max |f2| whatever N is. The cracks cover a
    share of about (1/s)^2 per cell, so the mean and RMS errors do shrink with h.

    See Also
    --------
    staircase_network : one input, one hidden layer. Chapter 7 (Universal approximation).

    Examples
    --------
    >>> net = tower_network(n_cells=3)
    >>> [layer.out_features for layer in net if isinstance(layer, Linear)]
    [8, 9, 1]
    >>> round(float(net(np.array([[0.5, 0.5]]))[0, 0]), 3)
    1.0
    """
    where = "tower_network"
    n = check_int(n_cells, where, "n_cells", minimum=2)
    h = 1.0 / (n - 1)
    k = TOWER_STEEPNESS / h if steepness is None else check_positive(steepness, where,
                                                                      "steepness")
    K = check_positive(threshold, where, "threshold")
    if not callable(f2):
        raise TypeError(f"{where}: expected f2 to be a function of (x1, x2), got "
                        f"{type(f2).__name__}.")
    edges = (np.arange(n + 1) - 0.5) * h                  # e_0 = -h/2, ..., e_N = 1 + h/2
    centres = np.linspace(0.0, 1.0, n)
    first = Linear(2, 2 * (n + 1), init="zeros", dtype=dtype)
    first.weight.data[: n + 1, 0] = k                    # steps in x1
    first.weight.data[n + 1:, 1] = k                     # steps in x2
    first.bias.data[:] = -k * np.r_[edges, edges]
    second = Linear(2 * (n + 1), n * n, init="zeros", dtype=dtype)
    for i in range(n):
        for j in range(n):
            row = second.weight.data[i * n + j]
            row[i], row[i + 1] = K, -K                   # K bump_i(x1)
            row[n + 1 + j], row[n + 2 + j] = K, -K       # K bump_j(x2)
    second.bias.data[:] = -1.5 * K
    heights = np.asarray(f2(centres[:, None], centres[None, :]), dtype=np.float64)
    if heights.shape != (n, n) or not np.all(np.isfinite(heights)):
        raise ValueError(f"{where}: expected f2 to give one finite number per grid point, got "
                         f"shape {heights.shape}.")
    output = Linear(n * n, 1, init="zeros", dtype=dtype)
    output.weight.data[0] = heights.reshape(-1)
    return Sequential(first, Sigmoid(), second, Sigmoid(), output)


def _surface(ax, X1, X2, Z, title, zlim=(0.0, 1.2)):
    ax.plot_surface(X1, X2, Z, cmap="viridis", vmin=zlim[0], vmax=zlim[1], lw=0,
                    antialiased=False, rcount=X1.shape[0], ccount=X1.shape[1])
    ax.set_zlim(*zlim)
    ax.set_zticks(np.linspace(zlim[0], round(zlim[1]), 3))
    ax.set_xticks([0, 0.5, 1])
    ax.set_yticks([0, 0.5, 1])
    ax.set_xlabel("$x_1$", labelpad=-2)
    ax.set_ylabel("$x_2$", labelpad=-2)
    ax.tick_params(pad=0, labelsize=_SMALL)
    ax.view_init(elev=32, azim=-55)
    ax.set_title(title, loc="left", fontsize=_SMALL + 1)


def draw_towers(n_cells=8, cell=(2, 2), grid=81) -> Figure:
    """The 2-D picture: a bump in x1 plus a bump in x2 is a cross; a second-layer unit keeps
    its middle, a tower; N^2 towers of height f2(c_i, c_j) sum to a surface close to f2.

    Parameters
    ----------
    n_cells : int
        N cells per input of the surface (panel d).
    cell : (int, int)
        The cell (i, j) of panels a and b, on a grid of 5 cells per input.
    grid : int
        Points per axis of the surfaces.

    Returns
    -------
    Figure
        Four 3-D panels, 7.4 inches wide.

    See Also
    --------
    tower_network. Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_towers(n_cells=3, cell=(1, 1), grid=11)
    >>> len(fig.axes), fig.axes[0].get_xlabel()
    (4, '$x_1$')
    >>> plt.close(fig)
    """
    where = "draw_towers"
    n_cells = check_int(n_cells, where, "n_cells", minimum=2)
    grid = check_int(grid, where, "grid", minimum=3)
    u = np.linspace(0.0, 1.0, grid)
    X1, X2 = np.meshgrid(u, u, indexing="ij")
    X = np.column_stack([X1.ravel(), X2.ravel()])
    small = tower_network(n_cells=5)
    i, j = cell
    z2 = small[2](small[1](small[0](X)))[:, i * 5 + j]   # K (bump_i + bump_j - 3/2)
    cross = (z2 / TOWER_THRESHOLD + 1.5).reshape(X1.shape)
    tower = sigmoid(z2).reshape(X1.shape)
    net = tower_network(n_cells=n_cells)
    surface = net(X)[:, 0].reshape(X1.shape)
    fig = plt.figure(figsize=(7.4, 6.6), layout="constrained")
    axes = [fig.add_subplot(2, 2, p, projection="3d") for p in range(1, 5)]
    _surface(axes[0], X1, X2, cross, "(a) bump in $x_1$ + bump in $x_2$:\n"
             "a cross (one hidden layer)", (0.0, 2.0))
    _surface(axes[1], X1, X2, tower, "(b) a second-layer unit keeps\n"
             "the middle: a tower", (0.0, 2.0))
    _surface(axes[2], X1, X2, target_2d(X1, X2), "(c) the target\n"
             r"$f(x_1, x_2) = \sin \pi x_1 \, \sin \pi x_2$")
    _surface(axes[3], X1, X2, surface, f"(d) {n_cells * n_cells} towers of height\n"
             f"$f(c_i, c_j)$, summed")
    fig.suptitle("In two dimensions, bumps become towers, and towers a surface",
                 fontsize=_SMALL + 2)
    return fig


# --------------------------------------------------------------------------------------------
# depth versus width: the sawtooth
# --------------------------------------------------------------------------------------------
def tent_map(x):
    """The tent map t(x) = 2 relu(x) - 4 relu(x - 1/2): 2x on [0, 1/2], 2 - 2x on [1/2, 1].

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> tent_map(np.array([0.0, 0.25, 0.5, 0.75, 1.0])).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    x = as_array(x, "tent_map", dtype=np.float64, name="x")
    return 2.0 * np.maximum(x, 0.0) - 4.0 * np.maximum(x - 0.5, 0.0)


def sawtooth(x, depth):
    """The tent map composed ``depth`` times, t^D = t o t o ... o t (D >= 0 copies).

    On [0, 1] it has 2^D linear pieces of slope +-2^D and oscillates 2^(D-1) times
    between 0 and 1.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> sawtooth(np.linspace(0, 1, 5), 2).tolist()
    [0.0, 1.0, 0.0, 1.0, 0.0]
    """
    depth = check_int(depth, "sawtooth", "depth", minimum=0)
    y = as_array(x, "sawtooth", dtype=np.float64, name="x")
    for _ in range(depth):
        y = tent_map(y)
    return y


def sawtooth_network(depth, dtype=np.float64) -> Sequential:
    """t^D as a deep ReLU network of width 2: D hidden layers of two units, weights by hand.

    Parameters
    ----------
    depth : int >= 1
        D, the number of hidden layers (= copies of the tent map).
    dtype : numpy dtype

    Returns
    -------
    Sequential
        ``Linear(1, 2), ReLU, [Linear(2, 2), ReLU] * (D - 1), Linear(2, 1)``. Each hidden
        layer holds (relu(u), relu(u - 1/2)) for its input u; the next layer forms
        t(u) = 2 relu(u) - 4 relu(u - 1/2) and feeds it straight into its own two units,
        so the matrices are W = [[2, -4], [2, -4]], b = (0, -1/2).

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> net = sawtooth_network(3)
    >>> len(net), sum(layer.out_features for layer in net if isinstance(layer, Linear))
    (7, 7)
    >>> x = np.linspace(0, 1, 9)
    >>> net(x[:, None])[:, 0].tolist() == sawtooth(x, 3).tolist()
    True
    """
    depth = check_int(depth, "sawtooth_network", "depth", minimum=1)
    first = Linear(1, 2, init="zeros", dtype=dtype)
    first.weight.data[:] = [[1.0], [1.0]]
    first.bias.data[:] = [0.0, -0.5]
    layers = [first, ReLU()]
    for _ in range(depth - 1):
        mid = Linear(2, 2, init="zeros", dtype=dtype)
        mid.weight.data[:] = [[2.0, -4.0], [2.0, -4.0]]
        mid.bias.data[:] = [0.0, -0.5]
        layers += [mid, ReLU()]
    last = Linear(2, 1, init="zeros", dtype=dtype)
    last.weight.data[:] = [[2.0, -4.0]]
    layers.append(last)
    return Sequential(*layers)


def count_linear_pieces(x, y, rtol=1e-7):
    """Number of linear pieces of a continuous piecewise-linear function sampled on a grid.

    A kink shows as a non-zero second difference; a kink between two grid points gives two
    neighbouring non-zero second differences, so each run of neighbouring non-zero second
    differences counts as one kink. Pieces = kinks + 1. The grid must be fine enough that
    two kinks are never in neighbouring grid cells.

    Parameters
    ----------
    x : array_like of shape (m,)
        Equally spaced, increasing.
    y : array_like of shape (m,)
        The function's values.
    rtol : float
        Second differences below ``rtol`` times the largest ``|slope|`` times the spacing count as
        zero (rounding).

    Returns
    -------
    int

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> x = np.linspace(0, 1, 17)
    >>> count_linear_pieces(x, sawtooth(x, 2)), count_linear_pieces(x, 3 * x + 1)
    (4, 1)
    """
    where = "count_linear_pieces"
    x = as_array(x, where, dtype=np.float64, name="x")
    y = as_array(y, where, dtype=np.float64, name="y")
    if x.ndim != 1 or y.shape != x.shape or x.size < 3:
        raise ValueError(f"{where}: expected x and y of the same shape (m,), m >= 3, got "
                         f"{x.shape} and {y.shape}.")
    dx = np.diff(x)
    if np.any(dx <= 0) or not np.allclose(dx, dx[0], rtol=1e-9, atol=0):
        raise ValueError(f"{where}: expected equally spaced increasing x.")
    slopes = np.diff(y) / dx
    scale = max(float(np.max(np.abs(slopes))), 1.0)
    kink = np.abs(np.diff(slopes)) > rtol * scale
    starts = kink & ~np.concatenate([[False], kink[:-1]])    # first of each run
    return int(np.count_nonzero(starts)) + 1


def shallow_sawtooth_fit(depth, width, x=None):
    """The best one-hidden-layer ReLU network of ``width`` units for t^D with kinks on an even
    grid: units relu(x - j/n), j = 0..n-1, output weights by least squares.

    Parameters
    ----------
    depth : int >= 1
        D of the sawtooth t^D.
    width : int >= 1
        n, the number of hidden units.
    x : array_like of shape (m,), optional
        Fitting grid; default 2^(D+5) + 1 equally spaced points of [0, 1].

    Returns
    -------
    net : Sequential
        ``Linear(1, n), ReLU, Linear(n, 1)``.
    error : float
        Sup-norm error on a grid of 2^12 + 1 points.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Notes
    -----
    With n = 2^D the kinks j/2^D include every kink of t^D, and the fit is exact. For
    n < 2^(D-1) no one-hidden-layer ReLU network, wherever its kinks are, gets a sup-norm
    error below 1/2 (Chapter 7 proves this).

    Examples
    --------
    >>> _, err = shallow_sawtooth_fit(3, 8)
    >>> err < 1e-9
    True
    >>> shallow_sawtooth_fit(3, 3)[1] >= 0.5
    True
    """
    where = "shallow_sawtooth_fit"
    depth = check_int(depth, where, "depth", minimum=1)
    n = check_int(width, where, "width", minimum=1)
    x = (np.linspace(0.0, 1.0, 2 ** (depth + 5) + 1) if x is None
         else as_array(x, where, dtype=np.float64, name="x"))
    hidden = Linear(1, n, init="zeros")
    hidden.weight.data[:, 0] = 1.0
    hidden.bias.data[:] = -np.arange(n) / n
    with one_blas_thread():
        features = ReLU()(hidden(x[:, None]))
        A = np.hstack([features, np.ones((x.size, 1))])
        coef, *_ = np.linalg.lstsq(A, sawtooth(x, depth), rcond=None)
        output = Linear(n, 1, init="zeros")
        output.weight.data[0] = coef[:-1]
        output.bias.data[0] = coef[-1]
        net = Sequential(hidden, ReLU(), output)
        fine = np.linspace(0.0, 1.0, 2 ** 12 + 1)
        error = sup_error(net, lambda u: sawtooth(u, depth), fine)
    return net, error


# --------------------------------------------------------------------------------------------
# training one-hidden-layer networks
# --------------------------------------------------------------------------------------------
def spread_init(net, rng=None, slope_std=10.0):
    """Re-draw the first layer of a 1-input network so that the units' centres spread over
    [0, 1].

    Unit j computes act(w_j x + b_j); its centre (where w_j x + b_j = 0) is -b_j / w_j.
    The default initialisation has b = 0, so every centre sits at x = 0. Here
    w_j ~ N(0, slope_std^2) and the centre u_j ~ U(0, 1), b_j = -w_j u_j.

    Parameters
    ----------
    net : Sequential
        Its first layer must be a ``Linear(1, n)``.
    rng : Generator, int or None
    slope_std : float > 0
        Std of the slopes w_j.

    Returns
    -------
    Sequential
        ``net``, changed in place.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> net = spread_init(mlp([1, 4, 1], "tanh", rng=0), rng=0)
    >>> centres = -net[0].bias.data / net[0].weight.data[:, 0]
    >>> bool(np.all((centres > 0) & (centres < 1)))
    True
    """
    where = "spread_init"
    first = net[0] if isinstance(net, Sequential) and len(net) else None
    if not isinstance(first, Linear) or first.in_features != 1 or first.bias is None:
        raise ValueError(f"{where}: expected a Sequential whose first layer is Linear(1, n) "
                         f"with a bias, got {net!r}.")
    rng = make_rng(rng, where)
    slope_std = check_positive(slope_std, where, "slope_std")
    n = first.out_features
    w = rng.normal(0.0, slope_std, size=n)
    u = rng.uniform(0.0, 1.0, size=n)
    first.weight.data[:, 0] = w
    first.bias.data[:] = -w * u
    return net


def train_one_hidden(width, target="wiggly", activation="tanh", steps=TRAIN_STEPS, lr=TRAIN_LR,
                     n_train=N_TRAIN, rng=0, spread=True, X=None, y=None):
    """Train a one-hidden-layer network on a target by full-batch Adam.

    Parameters
    ----------
    width : int >= 1
        Hidden units.
    target : str or callable
        The function to fit on [0, 1] (ignored when ``X`` and ``y`` are given).
    activation : str
        Hidden activation, as for :func:`nnlib.layers.mlp`.
    steps : int >= 1
        Adam steps (each on the whole training set).
    lr : float > 0
        Initial learning rate, annealed to 0 by a cosine schedule over ``steps``.
    n_train : int >= 2
        Number of equally spaced training points on [0, 1].
    rng : Generator, int or None
        Seeds the initial weights.
    spread : bool
        Spread the units' centres over [0, 1] (:func:`spread_init`); otherwise keep
        ``mlp``'s initialisation.
    X, y : array_like of shape (m, 1), optional
        Training data to use instead of the target on a grid.

    Returns
    -------
    net : Sequential
        ``mlp([1, width, 1], activation)``, trained.
    losses : ndarray of shape (steps,)
        Training MSE before each step.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> net, losses = train_one_hidden(8, "sine", steps=200)
    >>> bool(losses[-1] < 0.1 * losses[0])
    True
    """
    where = "train_one_hidden"
    width = check_int(width, where, "width", minimum=1)
    steps = check_int(steps, where, "steps", minimum=1)
    lr = check_positive(lr, where, "lr")
    rng = make_rng(rng, where)
    if X is None:
        n_train = check_int(n_train, where, "n_train", minimum=2)
        X = np.linspace(0.0, 1.0, n_train)[:, None]
        y = np.asarray(target_function(target)(X), dtype=np.float64)
    else:
        X = as_array(X, where, dtype=np.float64, name="X")
        y = as_array(y, where, dtype=np.float64, name="y")
        if X.ndim != 2 or X.shape[1] != 1 or y.shape != X.shape:
            raise ValueError(f"{where}: expected X and y of shape (m, 1), got {X.shape} and "
                             f"{y.shape}.")
    net = mlp([1, width, 1], activation, rng=rng)
    if spread:
        spread_init(net, rng)
    loss_fn = MSELoss()
    opt = Adam(net.parameters(), lr=lr)
    schedule = CosineAnnealingLR(opt, T_max=steps)
    losses = np.empty(steps)
    with one_blas_thread():
        for t in range(steps):
            losses[t] = loss_fn(net(X), y)
            net.zero_grad()
            net.backward(loss_fn.backward(), input_grad=False)
            opt.step()
            schedule.step()
    return net, losses


def train_shallow_sawtooth(depth, widths, steps=1000, lr=0.01, rng=0):
    """Train one-hidden-layer ReLU networks on t^D by full-batch Adam; return their errors.

    Each network is ``mlp([1, n, 1], "relu")`` with its kinks spread over [0, 1]
    (:func:`spread_init`), trained on 2^(D+4) + 1 equally spaced points with a
    cosine-annealed learning rate.

    Parameters
    ----------
    depth : int >= 1
    widths : sequence of int
    steps : int
    lr : float
    rng : int
        Seed of every network's initial weights.

    Returns
    -------
    dict of int -> float
        Width -> sup-norm error on 2^12 + 1 points of [0, 1].

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> errors = train_shallow_sawtooth(2, [4], steps=300)
    >>> sorted(errors)
    [4]
    """
    depth = check_int(depth, "train_shallow_sawtooth", "depth", minimum=1)
    X = np.linspace(0.0, 1.0, 2 ** (depth + 4) + 1)[:, None]
    y = sawtooth(X, depth)
    fine = np.linspace(0.0, 1.0, 2 ** 12 + 1)
    errors = {}
    for n in widths:
        net, _ = train_one_hidden(n, activation="relu", X=X, y=y, steps=steps, lr=lr, rng=rng)
        errors[int(n)] = sup_error(net, lambda u: sawtooth(u, depth), fine)
    return errors


def draw_sawtooth(depths=(1, 2, 3, 4)):
    """The tent map composed D times: 2^D linear pieces from D layers of two units.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_sawtooth((1, 2)); len(fig.axes)
    2
    >>> plt.close(fig)
    """
    x = np.linspace(0.0, 1.0, 2 ** 10 + 1)
    fig, axes = plt.subplots(1, len(depths), figsize=(min(7.4, 1.8 * len(depths) + 0.6), 2.8),
                             sharey=True, squeeze=False)
    for ax, d in zip(axes[0], depths, strict=True):
        y = sawtooth_network(d)(x[:, None])[:, 0]
        ax.plot(x, y, color=COLORS[0], lw=1.6)
        ax.set_title(f"$D$ = {d}: {count_linear_pieces(x, y)} pieces", fontsize=11)
        ax.set_xlabel("input $x$")
    axes[0, 0].set_ylabel("$t^D(x)$")
    fig.suptitle("Each layer of two ReLUs doubles the number of linear pieces")
    return fig


def shallow_fit_errors(depths=(3, 4, 5)):
    """Sup-norm errors of :func:`shallow_sawtooth_fit` for n = 1, ..., 2^(D+1), per depth.

    Returns
    -------
    dict of int -> ndarray of shape (2^(D+1),)
        ``errors[D][n - 1]`` is the error with n hidden units.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> errors = shallow_fit_errors((2,))
    >>> bool(errors[2][3] < 1e-9), bool(errors[2][0] >= 0.5)
    (True, True)
    """
    return {int(d): np.array([shallow_sawtooth_fit(d, n)[1] for n in range(1, 2 ** (d + 1) + 1)])
            for d in depths}


def draw_shallow_vs_deep(depths=(3, 4, 5), trained=None, trained_depth=4, fits=None):
    """Sup-norm error of the best even-grid shallow ReLU fit to t^D against its width, with
    2^D marked; optionally Adam-trained shallow networks as markers.

    Parameters
    ----------
    depths : sequence of int
    trained : dict of int -> float, optional
        Width -> sup-norm error of Adam-trained shallow networks on t^trained_depth.
    trained_depth : int
    fits : dict, optional
        ``shallow_fit_errors(depths)``, if already computed.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_shallow_vs_deep((2,)); fig.axes[0].get_xlabel()
    'hidden units $n$ of the one-hidden-layer network'
    >>> plt.close(fig)
    """
    fits = shallow_fit_errors(depths) if fits is None else fits
    fig, ax = plt.subplots(figsize=(7.4, 4.2))
    colors = (COLORS[1], COLORS[0], COLORS[2], COLORS[4])
    for d, color in zip(depths, colors, strict=False):
        errs = fits[d]
        ns = np.arange(1, errs.size + 1)
        ax.plot(ns, errs, color=color, marker=".", ms=4, lw=1.2,
                label=f"$t^{d}$: {2 ** d} pieces (deep net: {2 * d} units)")
        ax.axvline(2 ** d, color=color, ls=":", lw=1.0)
    if trained:
        ws = sorted(trained)
        ax.plot(ws, [trained[n] for n in ws], "D", color=COLORS[3], ms=6,
                label=f"$t^{trained_depth}$, trained by Adam (best run)")
    ax.axhline(0.5, color=COLORS[7], lw=0.8, ls="--")
    ax.set_xscale("log", base=2)
    _plain_log(ax, "x")
    ax.set_xlabel("hidden units $n$ of the one-hidden-layer network")
    ax.set_ylabel("sup-norm error")
    ax.set_title("A shallow network needs $2^D$ units for what $D$ layers of 2 do")
    ax.legend(fontsize=_SMALL, loc="center left")
    return fig


def draw_bump(a=0.4, b=0.6, steepnesses=(10.0, 40.0, 200.0)):
    """Two sigmoids and the bump that is their difference, for a few steepnesses k.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_bump(); [ax.get_xlabel() for ax in fig.axes]
    ['input $x$', 'input $x$']
    >>> plt.close(fig)
    """
    x = np.linspace(0.0, 1.0, 801)
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.4, 3.4), sharey=True)
    k = steepnesses[1] if len(steepnesses) > 1 else steepnesses[0]
    left.plot(x, sigmoid(k * (x - a)), color=COLORS[0], label=r"$\sigma(k(x-a))$")
    left.plot(x, sigmoid(k * (x - b)), color=COLORS[1], ls="--", label=r"$\sigma(k(x-b))$")
    left.plot(x, bump(x, a, b, k), color=COLORS[2], lw=2.5, label="difference")
    left.set_title(f"Two sigmoids, $k$ = {k:g}")
    left.set_xlabel("input $x$")
    left.set_ylabel("value")
    left.legend(loc="upper left", fontsize=_SMALL)
    for color, kk in zip((COLORS[5], COLORS[2], COLORS[3]), steepnesses, strict=False):
        right.plot(x, bump(x, a, b, kk), color=color, label=f"$k$ = {kk:g}")
    right.axvspan(a, b, color="#eeeeee", zorder=0)
    right.set_title("Steeper sigmoids, squarer bump")
    right.set_xlabel("input $x$")
    right.legend(loc="upper left", fontsize=_SMALL)
    return fig




# --------------------------------------------------------------------------------------------
# trained networks over widths and seeds
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WidthSweep:
    """Trained one-hidden-layer networks over widths and seeds, for one target.

    Attributes
    ----------
    target : str
    widths : tuple of int
    seeds : tuple of int
    sup_all, rms_all : ndarray of shape (len(widths), len(seeds))
        Sup-norm and root-mean-square errors on the 4001-point grid of [0, 1], per run.
    final_losses : ndarray of shape (len(widths), len(seeds))
        Training MSE at the last step, per run.
    median_seed : dict of int -> int
        Width -> the seed of its median run (the run whose sup error is the median; with an
        even number of seeds, the lower of the two middle ones).
    nets : dict of int -> Sequential
        Width -> the network of its median run.
    sup_errors : dict of int -> float
        Width -> sup error of the median run (the median over the seeds).
    rms_errors : dict of int -> float
        Width -> median of the RMS errors over the seeds.
    curves : ndarray of shape (len(widths), len(seeds), 601)
        Every run's output on 601 equally spaced points of [0, 1] (for drawing).
    staircase_units : ndarray of int
        Hidden units 2N of the hand-built staircases N = 2, 4, ..., 256.
    staircase_errors : ndarray of float
        Their sup-norm errors (k = RELATIVE_STEEPNESS / h).
    seconds : float
        Wall-clock time the sweep took.

    See Also
    --------
    Chapter 7 (Universal approximation).
    """

    target: str
    widths: tuple
    seeds: tuple
    sup_all: np.ndarray
    rms_all: np.ndarray
    final_losses: np.ndarray
    median_seed: dict
    nets: dict
    sup_errors: dict
    rms_errors: dict
    curves: np.ndarray
    staircase_units: np.ndarray
    staircase_errors: np.ndarray
    seconds: float

    def index(self, width):
        """Position of ``width`` in :attr:`widths` (ValueError if it was not trained)."""
        if width not in self.widths:
            raise ValueError(f"expected width to be one of the trained widths {self.widths}, "
                             f"got {width!r}.")
        return self.widths.index(width)


_SWEEPS: dict = {}


def width_sweep(target="wiggly", widths=WIDTHS, steps=TRAIN_STEPS, seeds=SEEDS):
    """Train (once, then cached) the networks of the width experiment for ``target``.

    One ``mlp([1, n, 1], "tanh", rng=seed)`` per width n and seed, centres spread by
    :func:`spread_init`, ``steps`` full-batch Adam steps from lr :data:`TRAIN_LR`
    (cosine-annealed) on :data:`N_TRAIN` equally spaced points of [0, 1]. Also measures the
    hand-built staircases with N = 2, 4, ..., 256 bumps for comparison.

    Parameters
    ----------
    target : str
        A key of :data:`TARGETS`.
    widths : sequence of int
        Default :data:`WIDTHS`.
    steps : int
        Default :data:`TRAIN_STEPS`.
    seeds : sequence of int
        Default :data:`SEEDS` (five).

    Returns
    -------
    WidthSweep
        The same object on every later call with the same arguments.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> sweep = width_sweep("sine", widths=(1, 8), steps=100, seeds=(0, 1, 2))
    >>> sweep.sup_errors[8] < sweep.sup_errors[1], sweep.sup_all.shape
    (True, (2, 3))
    >>> width_sweep("sine", widths=(1, 8), steps=100, seeds=(0, 1, 2)) is sweep
    True
    """
    where = "width_sweep"
    _check_target_name(target, where)
    widths = tuple(check_int(n, where, "every width", minimum=1) for n in widths)
    seeds = tuple(check_int(s, where, "every seed", minimum=0) for s in seeds)
    if not widths or not seeds:
        raise ValueError(f"{where}: expected at least one width and one seed, got widths="
                         f"{widths} and seeds={seeds}.")
    steps = check_int(steps, where, "steps", minimum=1)
    key = (target, widths, steps, seeds)
    if key in _SWEEPS:
        return _SWEEPS[key]
    start = time.perf_counter()
    f = TARGETS[target]
    shape = (len(widths), len(seeds))
    sup, rms, final = np.empty(shape), np.empty(shape), np.empty(shape)
    curves = np.empty((*shape, _PLOT_X.size))
    nets = {}
    for i, n in enumerate(widths):
        for j, seed in enumerate(seeds):
            net, losses = train_one_hidden(n, target, steps=steps, rng=seed)
            r = net(_GRID[:, None])[:, 0] - f(_GRID)
            sup[i, j], rms[i, j] = np.max(np.abs(r)), np.sqrt(np.mean(r * r))
            final[i, j] = losses[-1]
            curves[i, j] = net(_PLOT_X[:, None])[:, 0]
            nets[n, seed] = net
    middle = np.argsort(sup, axis=1, kind="stable")[:, (len(seeds) - 1) // 2]
    median_seed = {n: seeds[middle[i]] for i, n in enumerate(widths)}
    n_bumps = 2 ** np.arange(1, 9)
    stair = staircase_error_table(f, n_bumps, [None])[0]
    for a in (sup, rms, final, curves, stair):
        a.setflags(write=False)
    sweep = WidthSweep(
        target, widths, seeds, sup, rms, final, median_seed,
        {n: nets[n, median_seed[n]] for n in widths},
        {n: float(sup[i, middle[i]]) for i, n in enumerate(widths)},
        {n: float(np.median(rms[i])) for i, n in enumerate(widths)},
        curves, 2 * n_bumps, stair, time.perf_counter() - start)
    _SWEEPS[key] = sweep
    return sweep


def width_slider(value=16, widths=WIDTHS, description="hidden units"):
    """A slider over the trained widths (an ipywidgets SelectionSlider in the book's control
    style: reports a change only on release).

    See Also
    --------
    WidthSlider : the control of the live experiment that makes it.
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> s = width_slider(8)
    >>> s.value, s.continuous_update
    (8, False)
    """
    return live.selection_slider(value, widths, description, where="width_slider")


@dataclass
class WidthSlider(live.Stops):
    """A :class:`book.live.Stops` whose stops are the trained widths 1, 2, 4, ..., 128.

    The website's slider steps through them (as through any ``web`` grid); in the notebook
    the widget is a selection slider over the same values, so no stop lands on a width that
    was not trained.

    Examples
    --------
    >>> WidthSlider(value=16).values()
    [1, 2, 4, 8, 16, 32, 64, 128]
    """

    options: tuple = WIDTHS


_FIT = COLORS[0]        # blue: the median run
_SEED = "#9dbfd9"       # light blue: the other runs
_RMS = COLORS[5]
_STAIR_W = COLORS[3]


class WidthFit(live.LiveFigure):
    """The width experiment: the median trained fit at one width, and error against width.

    Left: the target (black), the training points, the median run of the seeds at this width
    (blue) and the other runs (light blue). Right (log-log): the sup-norm error of the median
    run against the width, the range over the seeds (shaded), the median RMS error, the
    hand-built staircase with as many hidden units, and this width (circle). Everything
    comes from the cached :func:`width_sweep`, so a move only draws.

    Examples
    --------
    >>> from book.live import Renderer
    >>> fig = WidthFit(sweeps={"sine": width_sweep("sine", (1, 8), 100, (0, 1, 2))})
    >>> r = Renderer(fig)
    >>> png = r.png({"width": 8, "target": "sine"})
    >>> png[:4] == b"\\x89PNG", r.live.title.get_text().startswith("8 hidden units")
    (True, True)
    >>> r.close()
    """

    size = (7.4, 3.9)
    redraw_on = ("target",)

    def __init__(self, sweeps=None, legend=True):
        self._sweeps = dict(sweeps or {})
        self.legend = bool(legend)

    def sweep(self, target):
        if target not in self._sweeps:
            self._sweeps[target] = width_sweep(_check_target_name(target, "WidthFit"))
        return self._sweeps[target]

    def build(self, fig, width, target):
        left, right = fig.subplots(1, 2, width_ratios=[1.15, 1.0])
        self.left, self.right = left, right
        self.target_line, = left.plot([], [], color=_INK, lw=1.5, zorder=2)
        self.points, = left.plot([], [], ".", color=_GREY, ms=3, zorder=2.1)
        n_seeds = len(self.sweep(target).seeds)
        self.others = [left.plot([], [], color=_SEED, lw=1.0, zorder=3)[0]
                       for _ in range(n_seeds - 1)]
        self.fit, = left.plot([], [], color=_FIT, lw=2.0, zorder=3.5)
        left.set_xlim(0.0, 1.0)
        left.set_xlabel("input $x$")
        left.set_ylabel("output")
        self.title = left.set_title(" ", loc="left", fontsize=_SMALL + 1)
        right.set_xscale("log", base=2)
        right.set_yscale("log")
        right.set_xlim(0.7, 700)
        right.set_ylim(2e-3, 2.5)
        _plain_log(right)
        right.set_xlabel("hidden units $n$")
        right.set_ylabel("error on $[0, 1]$")
        right.set_title("Error against width", loc="left", fontsize=_SMALL + 1)
        self.band = Polygon(np.zeros((3, 2)), closed=True, facecolor=_FIT, alpha=0.2, lw=0,
                            zorder=1.5)
        right.add_patch(self.band)
        self.sup_line, = right.plot([], [], "o-", color=_FIT, ms=4, zorder=2)
        self.rms_line, = right.plot([], [], "s--", color=_RMS, ms=3.5, lw=1.5, zorder=2)
        self.stair_line, = right.plot([], [], "^:", color=_STAIR_W, ms=4, lw=1.5, zorder=2)
        self.mark, = right.plot([], [], "o", ms=12, mfc="none", mec=COLORS[1], mew=2.4,
                                zorder=4)
        if self.legend:
            fig.legend(handles=_width_handles(), loc="outside lower center", ncol=3,
                       fontsize=_SMALL, handlelength=1.8, columnspacing=1.0)
        self._shown = None
        self.animate(*self.others, self.fit, self.title, self.mark)

    def _show_target(self, target):
        """The artists that change only with the target (a full redraw follows)."""
        sw = self.sweep(target)
        f = TARGETS[target]
        self.left.set_ylim(*_ylim_of(target))
        self.target_line.set_data(_PLOT_X, f(_PLOT_X))
        X = np.linspace(0.0, 1.0, N_TRAIN)
        self.points.set_data(X, f(X))
        w = np.array(sw.widths, dtype=float)
        lo, hi = sw.sup_all.min(axis=1), sw.sup_all.max(axis=1)
        self.band.set_xy(np.column_stack([np.r_[w, w[::-1]], np.r_[lo, hi[::-1]]]))
        self.sup_line.set_data(w, [sw.sup_errors[n] for n in sw.widths])
        self.rms_line.set_data(w, [sw.rms_errors[n] for n in sw.widths])
        self.stair_line.set_data(sw.staircase_units, sw.staircase_errors)
        self._shown = target

    def update(self, width, target):
        if self._shown != target:
            self._show_target(target)
        sw = self.sweep(target)
        i = sw.index(width)
        median = sw.median_seed[width]
        others = [j for j, s in enumerate(sw.seeds) if s != median]
        for line, j in zip(self.others, others, strict=True):
            line.set_data(_PLOT_X, sw.curves[i, j])
        self.fit.set_data(_PLOT_X, sw.curves[i, sw.seeds.index(median)])
        self.title.set_text(f"{width} hidden units: error {sw.sup_errors[width]:.3f}")
        self.mark.set_data([width], [sw.sup_errors[width]])

    def describe(self, width, target):
        sw = self.sweep(target)
        i = sw.index(width)
        return (f"{width} hidden units, target {TARGET_LABELS[target]}: the median of "
                f"{len(sw.seeds)} training runs has a largest error of "
                f"{sw.sup_errors[width]:.3f} on [0, 1] (the runs range from "
                f"{sw.sup_all[i].min():.3f} to {sw.sup_all[i].max():.3f}) and a median RMS "
                f"error of {sw.rms_errors[width]:.4f}.")


def _width_handles():
    return [Line2D([], [], color=_INK, lw=1.5, label="target $f$"),
            Line2D([], [], color=_FIT, lw=2.0, label="median run"),
            Line2D([], [], color=_SEED, lw=1.0, label="other runs"),
            Patch(facecolor=_FIT, alpha=0.2, label="range of the runs"),
            Line2D([], [], color=_RMS, marker="s", ms=3.5, ls="--", lw=1.5,
                   label="median RMS error"),
            Line2D([], [], color=_STAIR_W, marker="^", ms=4, ls=":", lw=1.5,
                   label="staircase, same units")]


def width_fit_experiment() -> live.Experiment:
    """The width experiment: :class:`WidthFit` with the width and the target as controls.

    The website shows 8 widths x 3 targets = 24 frames. The first view of a target trains
    its sweep (5 seeds x 8 widths, a few seconds), later moves only draw.
    """
    return live.Experiment(
        "width-fit", WidthFit(),
        title="Fit a curve with one hidden layer: how many units does it take?",
        caption=(f"Each width is trained {len(SEEDS)} times ({TRAIN_STEPS} full-batch Adam "
                 f"steps, tanh units, seeds {SEEDS[0]} to {SEEDS[-1]}); the bold curve is the "
                 f"median run. Right: largest (sup-norm) error of the median run, the range "
                 f"over the seeds, the median RMS error, and the hand-built staircase."),
        controls=dict(width=WidthSlider(1, 128, value=16, label="hidden units"),
                      target=live.Choice(_target_options(), "wiggly", label="target")))


def draw_motivation(widths=(2, 64), target="wiggly", sweep=None) -> Figure:
    """The chapter's opening figure: a target and the median trained fits of two widths.

    Parameters
    ----------
    widths : pair of int
        Two of the sweep's widths.
    target : str
    sweep : WidthSweep, optional
        Default ``width_sweep(target)``.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_motivation((1, 8), "sine", width_sweep("sine", (1, 8), 100, (0, 1, 2)))
    >>> fig.axes[0].get_xlabel()
    'input $x$'
    >>> plt.close(fig)
    """
    sweep = width_sweep(target) if sweep is None else sweep
    f = TARGETS[sweep.target]
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    ax.plot(_PLOT_X, f(_PLOT_X), color=_INK, lw=1.6, label="target $f$")
    for color, n in zip((COLORS[1], COLORS[0]), widths, strict=False):
        i = sweep.index(n)
        j = sweep.seeds.index(sweep.median_seed[n])
        ax.plot(_PLOT_X, sweep.curves[i, j], color=color, ls="--",
                label=f"{n} hidden units (largest error {sweep.sup_errors[n]:.2f})")
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output")
    ax.set_title("A wider hidden layer traces the curve more closely")
    ax.legend(loc="lower left", fontsize=_SMALL)
    return fig


def draw_error_vs_width(target="wiggly", sweep=None) -> Figure:
    """Error of the trained networks (median and range over the seeds) and of the hand-built
    staircase against the width, log-log.

    See Also
    --------
    WidthFit : the live version. Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_error_vs_width("sine", width_sweep("sine", (1, 8), 100, (0, 1, 2)))
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('log', 'log')
    >>> plt.close(fig)
    """
    sweep = width_sweep(target) if sweep is None else sweep
    w = np.array(sweep.widths)
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    ax.fill_between(w, sweep.sup_all.min(axis=1), sweep.sup_all.max(axis=1), color=_FIT,
                    alpha=0.2, lw=0, label=f"sup error, range of {len(sweep.seeds)} runs")
    ax.plot(w, [sweep.sup_errors[n] for n in w], "o-", color=_FIT, ms=5,
            label="sup error, median run")
    ax.fill_between(w, sweep.rms_all.min(axis=1), sweep.rms_all.max(axis=1), color=_RMS,
                    alpha=0.2, lw=0)
    ax.plot(w, [sweep.rms_errors[n] for n in w], "s--", color=_RMS, ms=4, lw=1.5,
            label="RMS error, median and range")
    ax.plot(sweep.staircase_units, sweep.staircase_errors, "^:", color=_STAIR_W, ms=5, lw=1.5,
            label="hand-built staircase (sup)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    _plain_log(ax)
    ax.set_xlabel("hidden units $n$")
    ax.set_ylabel("error on $[0, 1]$")
    ax.set_title("Training wins at small widths; the staircase keeps halving")
    ax.legend(fontsize=_SMALL, loc="lower left")
    return fig


# --------------------------------------------------------------------------------------------
# real data: width against test accuracy on the 8x8 digits
# --------------------------------------------------------------------------------------------
#: Widths of the digits experiment.
DIGIT_WIDTHS = (1, 2, 4, 8, 16, 32, 64)


@dataclass(frozen=True)
class DigitsSweep:
    """One-hidden-layer classifiers of the 8x8 digits over widths and seeds.

    Attributes
    ----------
    widths, seeds : tuple of int
    train_acc, test_acc : ndarray of shape (len(widths), len(seeds))
        Accuracy on the training images and on the held-out images, per run.
    n_train, n_test : int
        Images in each part (the same sizes for every seed).
    epochs : int
    seconds : float

    See Also
    --------
    Chapter 7 (Universal approximation).
    """

    widths: tuple
    seeds: tuple
    train_acc: np.ndarray
    test_acc: np.ndarray
    n_train: int
    n_test: int
    epochs: int
    seconds: float

    def median(self, which="test"):
        """Median accuracy over the seeds, per width, as a dict."""
        acc = {"test": self.test_acc, "train": self.train_acc}[which]
        return {n: float(np.median(acc[i])) for i, n in enumerate(self.widths)}


@functools.lru_cache(maxsize=4)
def digits_width_sweep(widths=DIGIT_WIDTHS, seeds=(0, 1, 2), epochs=40, batch_size=64,
                       lr=0.01):
    """Train ``mlp([64, n, 10], "tanh")`` on the 8x8 digits for each width n and seed.

    For each seed: a stratified split, 70 % of the 1,797 images for training and 30 % held
    out (:func:`nnlib.data.train_val_test_split` with that seed), then for every width a
    network initialised with that seed, trained by minibatch Adam on the cross-entropy loss
    (:func:`nnlib.train.fit`). Computed once per argument list and cached.

    Parameters
    ----------
    widths : tuple of int
    seeds : tuple of int
    epochs, batch_size : int
    lr : float

    Returns
    -------
    DigitsSweep

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> sweep = digits_width_sweep((2, 16), (0,), epochs=5)
    >>> sweep.test_acc.shape, bool(sweep.test_acc[1, 0] > sweep.test_acc[0, 0])
    ((2, 1), True)
    """
    where = "digits_width_sweep"
    widths = tuple(check_int(n, where, "every width", minimum=1) for n in widths)
    seeds = tuple(check_int(s, where, "every seed", minimum=0) for s in seeds)
    epochs = check_int(epochs, where, "epochs", minimum=1)
    if not widths or not seeds:
        raise ValueError(f"{where}: expected at least one width and one seed.")
    start = time.perf_counter()
    X, y = digits()
    train = np.empty((len(widths), len(seeds)))
    test = np.empty_like(train)
    for j, seed in enumerate(seeds):
        X_tr, y_tr, _, _, X_te, y_te = train_val_test_split(X, y, (0.7, 0.0, 0.3), rng=seed)
        for i, n in enumerate(widths):
            net = mlp([64, n, 10], "tanh", rng=seed)
            with one_blas_thread():
                fit(net, CrossEntropyLoss(), Adam(net.parameters(), lr=lr), X_tr, y_tr,
                    epochs=epochs, batch_size=batch_size, rng=seed, progress=False,
                    diagnostics=False)
                net.eval()
                train[i, j] = np.mean(net(X_tr).argmax(axis=1) == y_tr)
                test[i, j] = np.mean(net(X_te).argmax(axis=1) == y_te)
    train.setflags(write=False)
    test.setflags(write=False)
    return DigitsSweep(widths, seeds, train, test, len(y_tr), len(y_te), epochs,
                       time.perf_counter() - start)


def draw_digits_width(sweep=None) -> Figure:
    """Test and training accuracy of one-hidden-layer digit classifiers against the width.

    See Also
    --------
    digits_width_sweep. Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_digits_width(digits_width_sweep((2, 16), (0,), epochs=5))
    >>> fig.axes[0].get_xlabel()
    'hidden units $n$'
    >>> plt.close(fig)
    """
    sweep = digits_width_sweep() if sweep is None else sweep
    w = np.array(sweep.widths)
    fig, ax = plt.subplots(figsize=(7.0, 3.7))
    ax.fill_between(w, 100 * sweep.test_acc.min(axis=1), 100 * sweep.test_acc.max(axis=1),
                    color=COLORS[0], alpha=0.2, lw=0)
    ax.plot(w, [100 * v for v in sweep.median("test").values()], "o-", color=COLORS[0],
            label=f"held-out images ({sweep.n_test}), median and range")
    ax.plot(w, [100 * v for v in sweep.median("train").values()], "s--", color=COLORS[1],
            ms=4, lw=1.5, label=f"training images ({sweep.n_train}), median")
    ax.set_xscale("log", base=2)
    _plain_log(ax, "x")
    ax.set_ylim(0, 103)
    ax.set_xlabel("hidden units $n$")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("8x8 digits: beyond about 16 units, width buys no test accuracy")
    ax.legend(loc="lower right", fontsize=_SMALL)
    return fig


EXPERIMENTS = (staircase_experiment, width_fit_experiment)
