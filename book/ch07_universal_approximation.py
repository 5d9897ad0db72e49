"""Experiments of Chapter 7 (Universal approximation).

The chapter's constructions, its heavy computations and its figures live here as plain
functions, so that the notebook stays short, the slider experiment can be timed and tested
without a widget, and the static figure and the widget draw with the same code:

- :func:`staircase_parameters` and :func:`staircase_network` build, with no training, the
  one-hidden-layer sigmoid network of the constructive proof: N bumps
  sigma(k(x - a_i)) - sigma(k(x - b_i)), one per cell of width h, each scaled by f(c_i);
  :func:`staircase_output` computes the same formula in plain numpy and
  :func:`staircase_error_table` measures its sup-norm error over N and k;
- :func:`tent_map`, :func:`sawtooth` and :func:`sawtooth_network` compose the tent map D
  times, in numpy and as a width-2 ReLU network from ``nnlib.Linear`` layers;
  :func:`count_linear_pieces` counts the linear pieces of a function sampled on a grid;
- :func:`shallow_sawtooth_fit` fits a one-hidden-layer ReLU network of width n to the
  sawtooth (kinks on an even grid, output layer by least squares),
  :func:`train_one_hidden` trains one-hidden-layer networks by full-batch Adam and
  :func:`train_shallow_sawtooth` uses it on the sawtooth; :func:`width_sweep` trains the
  width grid of the slider experiment once per target and caches it;
- ``draw_*`` draw the chapter's figures; :func:`draw_width_fit` is the slider experiment
  and :func:`draw_width_grid` its static version.

Every function works on the interval K = [0, 1], the compact set of the chapter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from nnlib._checks import as_array, check_finite_scalar, check_int, check_positive, make_rng
from nnlib.core import Module, Sequential
from nnlib.functional import sigmoid
from nnlib.layers import Linear, ReLU, Sigmoid, mlp
from nnlib.losses import MSELoss
from nnlib.optim import Adam
from nnlib.plot import COLORS
from nnlib.schedules import CosineAnnealingLR

from .shared import one_blas_thread

__all__ = [
    "TARGETS",
    "WIDTHS",
    "RELATIVE_STEEPNESS",
    "TRAIN_STEPS",
    "TRAIN_LR",
    "N_TRAIN",
    "target_function",
    "bump",
    "staircase_parameters",
    "staircase_output",
    "staircase_network",
    "sup_error",
    "staircase_error_table",
    "tent_map",
    "sawtooth",
    "sawtooth_network",
    "count_linear_pieces",
    "shallow_sawtooth_fit",
    "shallow_fit_errors",
    "spread_init",
    "train_one_hidden",
    "train_shallow_sawtooth",
    "WidthSweep",
    "width_sweep",
    "width_slider",
    "draw_motivation",
    "draw_bump",
    "draw_staircase",
    "draw_staircase_errors",
    "draw_sawtooth",
    "draw_shallow_vs_deep",
    "draw_width_fit",
    "draw_width_grid",
    "draw_error_vs_width",
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

#: Widths of the slider experiment (hidden units of the trained one-hidden-layer networks).
WIDTHS = (1, 2, 4, 8, 16, 32, 64, 128)

#: Default steepness of the staircase relative to the cell width: k = RELATIVE_STEEPNESS / h,
#: so each sigmoid climbs from sigma(-5) = 0.007 to sigma(5) = 0.993 across one cell.
RELATIVE_STEEPNESS = 10.0

#: Training of the slider experiment: full-batch Adam, cosine-annealed learning rate.
TRAIN_STEPS = 500
TRAIN_LR = 0.05
#: Number of equally spaced training points on [0, 1].
N_TRAIN = 100

#: Dense grid on which sup-norm errors are measured.
_GRID = np.linspace(0.0, 1.0, 4001)
_GRID.setflags(write=False)


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


@dataclass
class WidthSweep:
    """Trained one-hidden-layer networks over :data:`WIDTHS`, for one target.

    Attributes
    ----------
    target : str
    widths : tuple of int
    nets : dict of int -> Sequential
    sup_errors, rms_errors : dict of int -> float
        Errors on the 4001-point grid of [0, 1].
    final_losses : dict of int -> float
        Training MSE at the last step.
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
    nets: dict
    sup_errors: dict
    rms_errors: dict
    final_losses: dict
    staircase_units: np.ndarray
    staircase_errors: np.ndarray
    seconds: float


_SWEEPS: dict = {}


def width_sweep(target="wiggly", widths=WIDTHS, steps=TRAIN_STEPS):
    """Train (once, then cached) the networks of the slider experiment for ``target``.

    One ``mlp([1, n, 1], "tanh", rng=0)`` per width n, centres spread by
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

    Returns
    -------
    WidthSweep
        The same object on every later call with the same arguments.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> sweep = width_sweep("sine", widths=(1, 8), steps=100)
    >>> sweep.sup_errors[8] < sweep.sup_errors[1]
    True
    >>> width_sweep("sine", widths=(1, 8), steps=100) is sweep
    True
    """
    where = "width_sweep"
    if not isinstance(target, str) or target not in TARGETS:
        raise ValueError(f"{where}: expected target to be one of {sorted(TARGETS)}, got "
                         f"{target!r}.")
    widths = tuple(check_int(n, where, "every width", minimum=1) for n in widths)
    if not widths:
        raise ValueError(f"{where}: expected at least one width, got none.")
    steps = check_int(steps, where, "steps", minimum=1)
    key = (target, widths, steps)
    if key in _SWEEPS:
        return _SWEEPS[key]
    start = time.perf_counter()
    f = TARGETS[target]
    nets, sup, rms, final = {}, {}, {}, {}
    for n in widths:
        net, losses = train_one_hidden(n, target, steps=steps, rng=0)
        values = net(_GRID[:, None])[:, 0]
        r = values - f(_GRID)
        nets[n], sup[n] = net, float(np.max(np.abs(r)))
        rms[n], final[n] = float(np.sqrt(np.mean(r * r))), float(losses[-1])
    n_bumps = 2 ** np.arange(1, 9)
    stair = staircase_error_table(f, n_bumps, [None])[0]
    sweep = WidthSweep(target, widths, nets, sup, rms, final, 2 * n_bumps, stair,
                       time.perf_counter() - start)
    _SWEEPS[key] = sweep
    return sweep


def width_slider(value=16, widths=WIDTHS, description="hidden units"):
    """A slider over the precomputed widths (an ipywidgets SelectionSlider in the book's
    control style: reports a change only on release).

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> s = width_slider(8)
    >>> s.value, s.continuous_update
    (8, False)
    """
    import ipywidgets as w

    widths = tuple(widths)
    if value not in widths:
        raise ValueError(f"width_slider: expected value to be one of {widths}, got {value!r}.")
    return w.SelectionSlider(options=widths, value=value, description=description,
                             continuous_update=False, style={"description_width": "initial"},
                             layout=w.Layout(width="320px", margin="2px 16px 2px 0px"))


# --------------------------------------------------------------------------------------------
# figures
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


def _plot_target(ax, f, label="target $f$"):
    ax.plot(_GRID, f(_GRID), color=COLORS[7], lw=1.5, label=label)


def draw_motivation(widths=(2, 32), target="wiggly", sweep=None):
    """The chapter's opening figure: a target and trained one-hidden-layer fits of two widths.

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
    >>> fig = draw_motivation((1, 8), "sine", width_sweep("sine", (1, 8), 100))
    >>> fig.axes[0].get_xlabel()
    'input $x$'
    >>> plt.close(fig)
    """
    sweep = width_sweep(target) if sweep is None else sweep
    f = TARGETS[sweep.target]
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    _plot_target(ax, f)
    for color, n in zip((COLORS[1], COLORS[0]), widths, strict=False):
        _check_width(n, sweep)
        ax.plot(_GRID, sweep.nets[n](_GRID[:, None])[:, 0], color=color, ls="--",
                label=f"{n} hidden units (sup error {sweep.sup_errors[n]:.2f})")
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output")
    ax.set_title("A wider hidden layer traces the curve more closely")
    ax.legend(loc="lower left", fontsize=9)
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
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.4, 3.4), sharey=True)
    k = steepnesses[1] if len(steepnesses) > 1 else steepnesses[0]
    left.plot(x, sigmoid(k * (x - a)), color=COLORS[0], label=r"$\sigma(k(x-a))$")
    left.plot(x, sigmoid(k * (x - b)), color=COLORS[1], ls="--", label=r"$\sigma(k(x-b))$")
    left.plot(x, bump(x, a, b, k), color=COLORS[2], lw=2.5, label="difference")
    left.set_title(f"Two sigmoids, $k$ = {k:g}")
    left.set_xlabel("input $x$")
    left.set_ylabel("value")
    left.legend(loc="upper left", fontsize=9)
    for color, kk in zip((COLORS[5], COLORS[2], COLORS[3]), steepnesses, strict=False):
        right.plot(x, bump(x, a, b, kk), color=color, label=f"$k$ = {kk:g}")
    right.axvspan(a, b, color="#eeeeee", zorder=0)
    right.set_title("Steeper sigmoids, squarer bump")
    right.set_xlabel("input $x$")
    right.legend(loc="upper left", fontsize=9)
    return fig


def draw_staircase(target="wiggly", n_bumps=8, steepness=None):
    """The staircase network: each bump scaled by f(c_i), and their sum against f.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_staircase("sine", 5); fig.axes[0].get_ylabel()
    'output'
    >>> plt.close(fig)
    """
    f = target_function(target)
    p = staircase_parameters(f, n_bumps, steepness)
    x = _GRID
    fig, ax = plt.subplots(figsize=(7.4, 3.8))
    for i, (a, b, v) in enumerate(zip(p.lower, p.upper, p.heights, strict=True)):
        ax.fill_between(x, 0.0, v * bump(x, a, b, p.k), color=COLORS[i % 2 * 5], alpha=0.25,
                        lw=0)
    _plot_target(ax, f)
    ax.plot(x, staircase_output(x, f, n_bumps, steepness), color=COLORS[3], lw=2.0,
            label=f"sum of {n_bumps} bumps ({2 * n_bumps} hidden units)")
    ax.plot(p.centres, p.heights, "o", color=COLORS[3], ms=4)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("output")
    ax.set_title(f"{n_bumps} bumps of height $f(c_i)$ already trace the curve")
    ax.legend(loc="lower left", fontsize=9)
    return fig


def draw_staircase_errors(target="wiggly", n_bumps_list=(5, 10, 20, 50, 100, 200),
                          steepnesses=(30.0, 300.0, 3000.0), fixed_n=(10, 50, 200),
                          k_values=None, table=None, k_table=None):
    """Sup-norm error of the staircase: against N for several k (left) and against k for
    several N (right).

    Parameters
    ----------
    table : ndarray, optional
        ``staircase_error_table(target, n_bumps_list, [None, *steepnesses, np.inf])``,
        if already computed.
    k_table : ndarray of shape (len(fixed_n), len(k_values)), optional
        ``staircase_error_table(target, fixed_n, k_values).T``, if already computed.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_staircase_errors("sine", (5, 10), (30.0,), (5,), (10.0, 100.0))
    >>> fig.axes[0].get_xscale(), fig.axes[1].get_xlabel()
    ('log', 'steepness $k$')
    >>> plt.close(fig)
    """
    f = target_function(target)
    k_values = np.geomspace(10, 1e4, 10) if k_values is None else np.asarray(k_values)
    ks = [None, *steepnesses, np.inf]
    if table is None:
        table = staircase_error_table(f, n_bumps_list, ks)
    if k_table is None:
        k_table = staircase_error_table(f, fixed_n, k_values).T
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.2, 3.9))
    labels = ["$k = 10/h$ (grows with $N$)", *[f"$k$ = {k:g}" for k in steepnesses],
              r"$k = \infty$ (steps)"]
    colors = [COLORS[3], COLORS[5], COLORS[0], COLORS[4], COLORS[7]]
    styles = ["-", "--", "--", "--", ":"]
    for row, label, color, ls in zip(table, labels, colors, styles, strict=False):
        left.loglog(n_bumps_list, row, marker="o", color=color, ls=ls, label=label)
    _plain_log(left)
    left.set_xlabel("bumps $N$ (hidden units $2N$)")
    left.set_ylabel("sup-norm error")
    left.set_title("More bumps help, if $k$ keeps up")
    left.legend(fontsize=8.5, loc="lower left")
    for j, (n, color) in enumerate(zip(fixed_n, (COLORS[1], COLORS[2], COLORS[0]),
                                       strict=False)):
        right.loglog(k_values, k_table[j], marker=".", color=color, label=f"$N$ = {n}")
        right.axvline(RELATIVE_STEEPNESS * (n - 1), color=color, lw=0.8, ls=":")
    _plain_log(right)
    right.set_xlabel("steepness $k$")
    right.set_ylabel("sup-norm error")
    right.set_title("Each $N$ has its best steepness")
    right.legend(fontsize=9)
    return fig


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
    fig, axes = plt.subplots(1, len(depths), figsize=(2.3 * len(depths) + 0.6, 2.8),
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
    fig, ax = plt.subplots(figsize=(7.6, 3.9))
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
                label=f"$t^{trained_depth}$, trained by Adam")
    ax.axhline(0.5, color=COLORS[7], lw=0.8, ls="--")
    ax.set_xscale("log", base=2)
    _plain_log(ax, "x")
    ax.set_xlabel("hidden units $n$ of the one-hidden-layer network")
    ax.set_ylabel("sup-norm error")
    ax.set_title("A shallow network needs $2^D$ units for what $D$ layers of 2 do")
    ax.legend(fontsize=8.5, loc="center left")
    return fig


def _check_width(width, sweep):
    if width not in sweep.nets:
        raise ValueError(f"expected width to be one of the trained widths {sweep.widths}, got "
                         f"{width!r}.")


def _draw_fit(ax, sweep, width, show_points=True):
    f = TARGETS[sweep.target]
    _plot_target(ax, f)
    if show_points:
        X = np.linspace(0.0, 1.0, N_TRAIN)
        ax.plot(X, f(X), ".", color=COLORS[7], ms=2.5, alpha=0.6, label="training points")
    ax.plot(_GRID, sweep.nets[width](_GRID[:, None])[:, 0], color=COLORS[0],
            label=f"network, {width} hidden units")
    ax.set_title(f"{width} hidden units: sup error {sweep.sup_errors[width]:.3f}", fontsize=11)
    ax.set_xlabel("input $x$")


def _draw_error_curve(ax, sweep, width=None):
    ws = np.array(sweep.widths)
    ax.loglog(ws, [sweep.sup_errors[n] for n in ws], "o-", color=COLORS[0],
              label="trained (sup error)")
    ax.loglog(ws, [sweep.rms_errors[n] for n in ws], "s--", color=COLORS[5], ms=4,
              label="trained (RMS error)")
    ax.loglog(sweep.staircase_units, sweep.staircase_errors, "^:", color=COLORS[3], ms=4,
              label="hand-built staircase (sup)")
    if width is not None:
        ax.plot([width], [sweep.sup_errors[width]], "o", ms=13, mfc="none", mec=COLORS[1],
                mew=2.5)
    _plain_log(ax)
    ax.set_xlabel("hidden units $n$")
    ax.set_ylabel("error on $[0, 1]$")


def draw_width_fit(width=16, target="wiggly", sweep=None):
    """The slider experiment: the trained fit at one width (left) and the error against the
    width, log-log (right).

    Parameters
    ----------
    width : int
        One of :data:`WIDTHS`.
    target : str
        A key of :data:`TARGETS`. The first call for a target trains its sweep (a few
        seconds); later calls only draw.
    sweep : WidthSweep, optional
        Default ``width_sweep(target)``.

    Returns
    -------
    matplotlib.figure.Figure

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_width_fit(8, "sine", width_sweep("sine", (1, 8), 100))
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['input $x$', 'hidden units $n$']
    >>> plt.close(fig)
    """
    sweep = width_sweep(target) if sweep is None else sweep
    _check_width(width, sweep)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.4, 3.8),
                                      gridspec_kw={"width_ratios": [1.15, 1.0]})
    _draw_fit(left, sweep, width)
    left.set_ylabel("output")
    left.legend(loc="lower left", fontsize=8.5)
    _draw_error_curve(right, sweep, width)
    right.set_title("Error against width (circle: this width)", fontsize=11)
    right.legend(fontsize=8.5, loc="lower left")
    fig.suptitle("Training with more hidden units fits the curve better, up to a point")
    return fig


def draw_width_grid(widths=(2, 8, 32, 128), target="wiggly", sweep=None):
    """Static version of :func:`draw_width_fit`: the trained fits at four widths side by side.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_width_grid((1, 8), "sine", width_sweep("sine", (1, 8), 100))
    >>> len(fig.axes)
    2
    >>> plt.close(fig)
    """
    sweep = width_sweep(target) if sweep is None else sweep
    for n in widths:
        _check_width(n, sweep)
    cols = 2 if len(widths) > 2 else len(widths)
    rows = -(-len(widths) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.7 * cols + 0.4, 2.8 * rows + 0.5),
                             sharex=True, sharey=True, squeeze=False)
    for ax, n in zip(axes.flat, widths, strict=False):
        _draw_fit(ax, sweep, n, show_points=False)
        ax.set_title(f"{n} units: sup error {sweep.sup_errors[n]:.2f}", fontsize=11)
    for ax in axes.flat[len(widths):]:
        ax.set_visible(False)
    for ax in axes[:-1].flat:
        ax.set_xlabel("")
    for ax in axes[-1]:
        ax.set_xlabel("input $x$")
    for ax in axes[:, 0]:
        ax.set_ylabel("output")
    axes[0, 0].legend(loc="lower left", fontsize=8.5)
    fig.suptitle("Trained one-hidden-layer tanh networks: wider fits closer")
    return fig


def draw_error_vs_width(target="wiggly", sweep=None):
    """Error of the trained networks and of the hand-built staircase against the width,
    log-log.

    See Also
    --------
    Chapter 7 (Universal approximation).

    Examples
    --------
    >>> fig = draw_error_vs_width("sine", width_sweep("sine", (1, 8), 100))
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('log', 'log')
    >>> plt.close(fig)
    """
    sweep = width_sweep(target) if sweep is None else sweep
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    _draw_error_curve(ax, sweep)
    ax.set_title("Training wins at small widths, then stops improving")
    ax.legend(fontsize=9, loc="lower left")
    return fig
