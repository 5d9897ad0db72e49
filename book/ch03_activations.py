"""Experiments of Chapter 3 (Activation functions).

Plain functions behind the chapter's figures and widgets: every draw function returns a
matplotlib Figure and is used by both the static figure and the interactive version, so it can
be timed and tested without a widget. The numerically heavier helpers (training a small
network, counting dead units, minimising an activation) live here too.

All activation values and derivatives come from :mod:`nnlib.functional`; randomness comes only
from explicit seeds.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from scipy import optimize

from nnlib import functional as F
from nnlib import layers, losses, optim
from nnlib._checks import as_array, check_finite_scalar, check_int, check_positive, make_rng
from nnlib.plot import COLORS
from nnlib.train import layer_outputs

__all__ = [
    "ACTIVATIONS",
    "GROUPS",
    "GROUP_FINDINGS",
    "evaluate",
    "draw_activations",
    "draw_activation_groups",
    "minimum",
    "gelu_tanh_max_difference",
    "derivative_path_products",
    "draw_gradient_through_depth",
    "draw_depth_panels",
    "fit_sine",
    "draw_sine_fits",
    "dead_fraction",
    "dead_fraction_vs_bias",
    "dead_fraction_theory",
    "train_relu_net",
    "dead_fraction_vs_lr",
    "draw_dead_relus",
    "same_sign_fraction",
    "train_prelu_slope",
    "draw_prelu_slope",
    "draw_softmax_temperature",
]

#: The activation functions of the comparison: name -> (label, colour, line style).
#: ``leaky_relu`` and ``elu`` take their alpha from the caller; PReLU is a Leaky ReLU whose
#: slope is learned, so it has the same curve and is not drawn separately.
ACTIVATIONS = {
    "sigmoid": ("sigmoid", COLORS[0], "-"),
    "tanh": ("tanh", COLORS[1], "-"),
    "relu": ("ReLU", COLORS[7], "-"),
    "leaky_relu": ("Leaky ReLU", COLORS[2], "--"),
    "elu": ("ELU", COLORS[3], "-"),
    "selu": ("SELU", COLORS[4], "-."),
    "softplus": ("softplus", COLORS[5], "-"),
    "gelu": ("GELU", COLORS[3], "--"),
    "silu": ("SiLU / Swish", COLORS[2], "-"),
}

#: Preset groups for the comparison widget (a drop-down stands in for a multi-select).
GROUPS = {
    "sigmoid family": ("sigmoid", "tanh"),
    "ReLU family": ("relu", "leaky_relu", "elu", "selu"),
    "smooth ReLUs": ("relu", "softplus", "gelu", "silu"),
    "all": tuple(ACTIVATIONS),
}

#: The title of each group's figure: what the picture shows.
GROUP_FINDINGS = {
    "sigmoid family": "Sigmoid and tanh saturate: both derivatives vanish as |z| grows",
    "ReLU family": "The ReLU family keeps slope 1 for z > 0 and differs only for z < 0",
    "smooth ReLUs": "Smooth ReLUs round off the kink; GELU and SiLU dip below zero",
    "all": "Only sigmoid and tanh lose their slope for large positive z",
}


def _check_name(name, where):
    if name not in ACTIVATIONS:
        raise ValueError(f"{where}: unknown activation {name!r}; choose one of "
                         f"{sorted(ACTIVATIONS)}.")
    return name


def _check_group(group, where):
    if group not in GROUPS:
        raise ValueError(f"{where}: unknown group {group!r}; choose one of {list(GROUPS)}.")
    return group


def evaluate(name, z, *, leaky_alpha=0.1, elu_alpha=1.0):
    """An activation and its derivative at ``z``, both from :mod:`nnlib.functional`.

    Parameters
    ----------
    name : str
        A key of :data:`ACTIVATIONS`, e.g. ``"gelu"``.
    z : array_like
        Pre-activations, any shape.
    leaky_alpha : float
        Negative slope of the Leaky ReLU.
    elu_alpha : float
        ELU's alpha (its output tends to -alpha as z -> -inf).

    Returns
    -------
    a, da : ndarray of the shape of ``z``
        f(z) and f'(z).

    See Also
    --------
    Chapter 3 (Activation functions) derives every derivative.

    Examples
    --------
    >>> a, da = evaluate("sigmoid", 0.0)
    >>> float(a), float(da)
    (0.5, 0.25)
    """
    where = "evaluate"
    _check_name(name, where)
    z = as_array(z, where, name="z")
    leaky_alpha = check_finite_scalar(leaky_alpha, where, "leaky_alpha")
    elu_alpha = check_finite_scalar(elu_alpha, where, "elu_alpha")
    if name == "leaky_relu":
        return F.leaky_relu(z, leaky_alpha), F.leaky_relu_grad(z, leaky_alpha)
    if name == "elu":
        return F.elu(z, elu_alpha), F.elu_grad(z, elu_alpha)
    f = getattr(F, name)
    return f(z), getattr(F, name + "_grad")(z)


# Functions whose derivative jumps at z = 0 (for ELU only when alpha != 1).
_KINKED = ("relu", "leaky_relu", "elu", "selu")


def _grid(x_range, n=801):
    x = x_range * np.linspace(-1.0, 1.0, n)
    x[n // 2] = 0.0
    return x


def _plot_pair(ax_f, ax_d, names, x, leaky_alpha, elu_alpha, legend=True):
    for name in names:
        label, color, style = ACTIVATIONS[name]
        if name == "leaky_relu":
            label = f"Leaky ReLU ($\\alpha$ = {leaky_alpha:g})"
        elif name == "elu":
            label = f"ELU ($\\alpha$ = {elu_alpha:g})"
        a, da = evaluate(name, x, leaky_alpha=leaky_alpha, elu_alpha=elu_alpha)
        if name in _KINKED:
            da = da.copy()
            da[x == 0.0] = np.nan  # break the line at the jump instead of drawing a wall
        ax_f.plot(x, a, color=color, linestyle=style, label=label)
        ax_d.plot(x, da, color=color, linestyle=style, label=label)
        if name in ("gelu", "silu"):
            xm, fm = minimum(name)
            if x[0] <= xm <= x[-1]:
                ax_f.plot([xm], [fm], "o", color=color, markersize=5)
    if "sigmoid" in names:
        ax_d.axhline(0.25, color="#777777", linestyle=":", linewidth=1.2)
        ax_d.annotate("1/4", xy=(x[0], 0.25), xytext=(2, 3), textcoords="offset points",
                      fontsize=9, color="#555555")
    for ax in (ax_f, ax_d):
        ax.axhline(0.0, color="#999999", linewidth=0.8)
        ax.axvline(0.0, color="#999999", linewidth=0.8)
        ax.set_xlim(x[0], x[-1])
        ax.set_xlabel("pre-activation $z$")
    ax_f.set_ylabel("activation $f(z)$")
    ax_d.set_ylabel("derivative $f'(z)$")
    if legend:
        ax_f.legend(loc="upper left", fontsize=9)


def draw_activations(group="ReLU family", x_range=4.0, leaky_alpha=0.1, elu_alpha=1.0):
    """Draw a group of activation functions (left) and their derivatives (right).

    This is the callback of the chapter's interactive comparison.

    Parameters
    ----------
    group : str
        A key of :data:`GROUPS`: ``"sigmoid family"``, ``"ReLU family"``,
        ``"smooth ReLUs"`` or ``"all"``.
    x_range : float
        The plot shows z in [-x_range, x_range]; positive.
    leaky_alpha : float
        Negative slope of the Leaky ReLU, in [0, 1].
    elu_alpha : float
        ELU's alpha, positive.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes side by side: f(z) and f'(z). The minima of GELU and SiLU are marked.

    See Also
    --------
    draw_activation_groups : the static small multiples. Chapter 3 (Activation functions).

    Examples
    --------
    >>> fig = draw_activations("sigmoid family", x_range=6.0)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['pre-activation $z$', 'pre-activation $z$']
    >>> plt.close(fig)
    """
    where = "draw_activations"
    _check_group(group, where)
    x_range = check_positive(x_range, where, "x_range")
    leaky_alpha = check_finite_scalar(leaky_alpha, where, "leaky_alpha")
    if not 0.0 <= leaky_alpha <= 1.0:
        raise ValueError(f"{where}: expected leaky_alpha in [0, 1], got {leaky_alpha}.")
    elu_alpha = check_positive(elu_alpha, where, "elu_alpha")
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(8.8, 3.9))
    _plot_pair(ax_f, ax_d, GROUPS[group], _grid(x_range), leaky_alpha, elu_alpha)
    ax_f.set_title("functions")
    ax_d.set_title("derivatives")
    fig.suptitle(GROUP_FINDINGS[group])
    return fig


def draw_activation_groups(groups=("sigmoid family", "ReLU family", "smooth ReLUs"),
                           x_range=4.0, leaky_alpha=0.1, elu_alpha=1.0):
    """Small multiples: one row per group, the functions left and their derivatives right.

    The static version of :func:`draw_activations`, for readers of the website.

    Parameters
    ----------
    groups : sequence of str
        Keys of :data:`GROUPS`, one row each.
    x_range, leaky_alpha, elu_alpha : float
        As in :func:`draw_activations`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_activation_groups(("sigmoid family", "smooth ReLUs"))
    >>> len(fig.axes)
    4
    >>> plt.close(fig)
    """
    where = "draw_activation_groups"
    if isinstance(groups, str) or len(groups) == 0:
        raise ValueError(f"{where}: expected a non-empty sequence of group names, got "
                         f"{groups!r}.")
    for g in groups:
        _check_group(g, where)
    x_range = check_positive(x_range, where, "x_range")
    n = len(groups)
    fig, axes = plt.subplots(n, 2, figsize=(8.8, 2.9 * n + 0.4), squeeze=False)
    x = _grid(x_range)
    for (ax_f, ax_d), g in zip(axes, groups, strict=True):
        _plot_pair(ax_f, ax_d, GROUPS[g], x, leaky_alpha, elu_alpha)
        ax_f.set_title(f"{g}: functions")
        ax_d.set_title(f"{g}: derivatives")
    fig.suptitle("Saturating functions lose their slope on both sides; "
                 "rectifiers keep slope 1 for z > 0")
    return fig


def minimum(name):
    """Where a non-monotone activation (GELU or SiLU) has its minimum, found numerically.

    Parameters
    ----------
    name : {'gelu', 'silu'}

    Returns
    -------
    z_min, f_min : float
        The minimiser (bounded Brent search on [-4, 0], tolerance 1e-10) and the minimum.

    Examples
    --------
    >>> z, f = minimum("silu")
    >>> round(z, 4), round(f, 4)
    (-1.2785, -0.2785)
    """
    if name not in ("gelu", "silu"):
        raise ValueError(f"minimum: expected 'gelu' or 'silu' (the activations with an "
                         f"interior minimum), got {name!r}.")
    f = getattr(F, name)
    res = optimize.minimize_scalar(lambda z: float(f(z)), bounds=(-4.0, 0.0),
                                   method="bounded", options={"xatol": 1e-10})
    return float(res.x), float(res.fun)


def gelu_tanh_max_difference(x_range=10.0, n=400_001):
    """The largest gap between exact GELU and its tanh approximation on a fine grid.

    Parameters
    ----------
    x_range : float
        The grid is [-x_range, x_range].
    n : int
        Number of grid points.

    Returns
    -------
    max_diff, z_at : float
        max ``|z Phi(z) - tanh-GELU(z)|`` and the z where it occurs.

    Examples
    --------
    >>> d, z = gelu_tanh_max_difference()
    >>> round(d, 6), round(abs(z), 2)
    (0.000473, 2.7)
    """
    x_range = check_positive(x_range, "gelu_tanh_max_difference", "x_range")
    n = check_int(n, "gelu_tanh_max_difference", "n", minimum=3)
    z = np.linspace(-x_range, x_range, n)
    d = np.abs(F.gelu(z) - F.gelu(z, approximate="tanh"))
    k = int(np.argmax(d))
    return float(d[k]), float(z[k])


# --- vanishing gradients through depth ------------------------------------------------------
_DEPTH_NAMES = ("sigmoid", "tanh")


def derivative_path_products(name, depth, z_std=1.0, n_paths=2000, rng=None):
    """``|f'(z_1) f'(z_2) ... f'(z_N)|`` along random paths, for N = 1, ..., depth.

    The factor the activations contribute to a gradient on its way back through N layers,
    with every weight set to 1 and the pre-activations z_k drawn from N(0, z_std^2).

    Parameters
    ----------
    name : str
        A key of :data:`ACTIVATIONS` (without a parameter: not leaky_relu or elu).
    depth : int
        Largest N.
    z_std : float
        Std of the pre-activations.
    n_paths : int
        Number of independent paths.
    rng : Generator, int or None

    Returns
    -------
    ndarray of shape (n_paths, depth)
        Column N - 1 holds the product over the first N factors.

    Examples
    --------
    >>> p = derivative_path_products("sigmoid", 5, rng=0)
    >>> p.shape, bool(np.all(p <= 0.25 ** np.arange(1, 6)))
    ((2000, 5), True)
    """
    where = "derivative_path_products"
    _check_name(name, where)
    if name in ("leaky_relu", "elu"):
        raise ValueError(f"{where}: {name!r} needs a parameter; use one of "
                         f"{[n for n in ACTIVATIONS if n not in ('leaky_relu', 'elu')]}.")
    depth = check_int(depth, where, "depth", minimum=1)
    n_paths = check_int(n_paths, where, "n_paths", minimum=1)
    z_std = check_positive(z_std, where, "z_std")
    rng = make_rng(rng, where)
    z = rng.normal(0.0, z_std, size=(n_paths, depth))
    return np.cumprod(np.abs(getattr(F, name + "_grad")(z)), axis=1)


def _draw_depth(ax, depth, z_std, n_paths, seed):
    n = np.arange(1, depth + 1)
    for i, name in enumerate(_DEPTH_NAMES):
        label, color, _ = ACTIVATIONS[name]
        p = derivative_path_products(name, depth, z_std, n_paths, rng=seed + i)
        lo, med, hi = np.percentile(p, [10, 50, 90], axis=0)
        ax.fill_between(n, lo, hi, color=color, alpha=0.2, linewidth=0)
        ax.plot(n, med, "o-", color=color, markersize=3, label=f"{label} (median, 10-90 %)")
    ax.plot(n, 0.25 ** n, "k--", linewidth=1.3, label="bound $4^{-N}$ for sigmoid")
    ax.set_yscale("log")
    ax.set_ylim(1e-30, 2.0)
    ax.set_xlim(1, depth)
    ax.set_xlabel("number of layers $N$")
    ax.set_ylabel("$|f'(z_1) \\cdots f'(z_N)|$")
    ax.set_title(f"std of $z$: {z_std:g}")


def _check_depth_args(where, depth, z_std):
    depth = check_int(depth, where, "depth", minimum=2)
    z_std = check_positive(z_std, where, "z_std")
    return depth, z_std


def draw_gradient_through_depth(depth=20, z_std=1.0, n_paths=2000, seed=0):
    """The activations' share of a gradient after N layers: sigmoid against tanh.

    Parameters
    ----------
    depth : int
        Largest number of layers, >= 2.
    z_std : float
        Std of the pre-activations (larger = more saturated units).
    n_paths : int
        Random paths per curve.
    seed : int
        Seed of the pre-activations.

    Returns
    -------
    matplotlib.figure.Figure
        The median and the 10 %-90 % band of the product on a log scale, and 4^-N.

    Examples
    --------
    >>> fig = draw_gradient_through_depth(10, 1.0)
    >>> fig.axes[0].get_xlabel()
    'number of layers $N$'
    >>> plt.close(fig)
    """
    depth, z_std = _check_depth_args("draw_gradient_through_depth", depth, z_std)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    _draw_depth(ax, depth, z_std, n_paths, seed)
    ax.legend(loc="lower left", fontsize=9)
    fig.suptitle("Each sigmoid layer multiplies the gradient by at most 1/4")
    return fig


def draw_depth_panels(z_stds=(0.5, 1.0, 3.0), depth=20, n_paths=2000, seed=0):
    """Small multiples of :func:`draw_gradient_through_depth` over the pre-activation std.

    Examples
    --------
    >>> fig = draw_depth_panels((1.0, 3.0), depth=5)
    >>> len(fig.axes)
    2
    >>> plt.close(fig)
    """
    where = "draw_depth_panels"
    if len(z_stds) == 0:
        raise ValueError(f"{where}: expected at least one std, got {z_stds!r}.")
    stds = [_check_depth_args(where, depth, s)[1] for s in z_stds]
    fig, axes = plt.subplots(1, len(stds), figsize=(3.0 * len(stds) + 0.4, 3.5),
                             sharey=True, squeeze=False)
    for ax, s in zip(axes[0], stds, strict=True):
        _draw_depth(ax, depth, s, n_paths, seed)
        if ax is not axes[0][0]:
            ax.set_ylabel("")
    axes[0][0].legend(loc="lower left", fontsize=8)
    fig.suptitle("Sigmoid shrinks the gradient at least 4-fold per layer; "
                 "tanh does too once its units saturate")
    return fig


# --- the motivating regression problem ------------------------------------------------------
def fit_sine(X, y, activation, *, hidden=16, epochs=1000, lr=0.05, momentum=0.9, seed=0):
    """Train a 1-hidden-layer network ``Linear -> activation -> Linear`` on 1-D regression.

    Full-batch gradient descent with momentum on the mean squared error.

    Parameters
    ----------
    X : ndarray of shape (m, 1)
    y : ndarray of shape (m, 1)
    activation : str
        A name accepted by :func:`nnlib.layers.mlp`, e.g. ``"tanh"`` or ``"identity"``.
    hidden : int
        Number of hidden units.
    epochs : int
        Number of gradient steps.
    lr, momentum : float
        SGD's learning rate and momentum.
    seed : int
        Seed of the initial weights.

    Returns
    -------
    net : Sequential
        The trained network.
    losses : ndarray of shape (epochs,)
        The loss before each step.

    Examples
    --------
    >>> from nnlib.data import sine
    >>> X, y = sine(50, rng=0)
    >>> net, L = fit_sine(X, y, "tanh", epochs=50)
    >>> L.shape, bool(L[-1] < L[0])
    ((50,), True)
    """
    where = "fit_sine"
    epochs = check_int(epochs, where, "epochs", minimum=1)
    hidden = check_int(hidden, where, "hidden", minimum=1)
    net = layers.mlp([1, hidden, 1], activation, rng=seed)
    loss = losses.MSELoss()
    opt = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    history = np.empty(epochs)
    for t in range(epochs):
        history[t] = loss(net(X), y)
        opt.zero_grad()
        net.backward(loss.backward())
        opt.step()
    return net, history


def draw_sine_fits(X, y, results):
    """Data with each network's fit (left) and the training losses (right).

    Parameters
    ----------
    X, y : ndarray of shape (m, 1)
    results : dict of str -> (net, losses)
        As returned by :func:`fit_sine`, keyed by activation name.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not results:
        raise ValueError("draw_sine_fits: expected at least one trained network, got none.")
    fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(8.8, 3.8))
    ax_fit.scatter(X[:, 0], y[:, 0], s=8, color="#aaaaaa", label="data")
    grid = np.linspace(X.min(), X.max(), 300)[:, None]
    for i, (name, (net, hist)) in enumerate(results.items()):
        color = COLORS[[0, 7, 1, 3, 2, 4][i % 6]]
        ax_fit.plot(grid[:, 0], net(grid)[:, 0], color=color, label=name)
        ax_loss.plot(np.arange(1, len(hist) + 1), hist, color=color, label=name)
    ax_fit.set_xlabel("input $x$")
    ax_fit.set_ylabel("output $\\hat{y}$")
    ax_fit.set_title("fits after training")
    ax_fit.legend(loc="upper left", fontsize=9)
    ax_loss.set_yscale("log")
    ax_loss.set_xscale("log")
    ax_loss.set_xlabel("gradient step")
    ax_loss.set_ylabel("mean squared error")
    ax_loss.set_title("training loss")
    fig.suptitle("Without a non-linearity the network is a line; with sigmoid it learns slowest")
    return fig


# --- dead ReLUs ---------------------------------------------------------------------------
def dead_fraction(model, X):
    """Fraction of dead units in every ReLU layer: units whose output is 0 for every row of X.

    Parameters
    ----------
    model : Module
        Usually a Sequential; the layers are found with :func:`nnlib.train.layer_outputs`.
    X : ndarray of shape (m, d)

    Returns
    -------
    dict of str -> float
        Keyed like ``layer_outputs`` (e.g. ``"1:ReLU"``).

    Examples
    --------
    >>> from nnlib.layers import Linear, ReLU, Sequential
    >>> lin = Linear(1, 4, rng=0); lin.bias.data[:] = [-100.0, 0.0, 0.0, 0.0]
    >>> dead_fraction(Sequential(lin, ReLU()), np.array([[-1.0], [1.0]]))
    {'1:ReLU': 0.25}
    """
    out = layer_outputs(model, X)
    return {k: float(np.mean(~np.any(a > 0, axis=0))) for k, a in out.items()
            if k.endswith(":ReLU")}


def dead_fraction_vs_bias(X, biases, width=1024, seed=0):
    """Dead fraction of a freshly initialised (He) ``Linear -> ReLU`` layer for each bias.

    Every unit gets the same bias b; the weights are drawn once (seed) and reused.

    Returns
    -------
    ndarray of shape (len(biases),)

    Examples
    --------
    >>> dead_fraction_vs_bias(np.array([[-1.0], [1.0]]), [0.0, -1e9], width=8).tolist()
    [0.0, 1.0]
    """
    X = as_array(X, "dead_fraction_vs_bias", name="X")
    lin = layers.Linear(X.shape[1], check_int(width, "dead_fraction_vs_bias", "width",
                                              minimum=1), rng=seed)
    net = layers.Sequential(lin, layers.ReLU())
    out = []
    for b in biases:
        lin.bias.data[:] = b
        out.append(dead_fraction(net, X)["1:ReLU"])
    return np.array(out)


def dead_fraction_theory(x_min, x_max, biases, std=1.4142135623730951):
    """Probability that z = w x + b, w ~ N(0, std^2), is <= 0 for every x in [x_min, x_max].

    For one input feature with x_min < 0 < x_max and b <= 0, the unit is dead exactly when
    w x_max <= -b (if w > 0) and w x_min <= -b (if w < 0), that is when
    ``b / |x_min| <= w <= -b / x_max``. He initialisation with one input has std sqrt(2).

    Examples
    --------
    >>> float(dead_fraction_theory(-1.0, 1.0, [0.0])[0])
    0.0
    """
    from scipy.special import ndtr

    if not x_min < 0 < x_max:
        raise ValueError(f"dead_fraction_theory: expected x_min < 0 < x_max, got "
                         f"{x_min}, {x_max}.")
    b = np.minimum(np.asarray(biases, dtype=float), 0.0)
    return ndtr(-b / x_max / std) - ndtr(b / abs(x_min) / std)


def train_relu_net(X, y, *, lr, steps=200, hidden=64, seed=0):
    """Train a ``1 -> hidden -> 1`` ReLU network with full-batch Adam on the squared error.

    Parameters
    ----------
    X, y : ndarray of shape (m, 1)
    lr : float
        Adam's learning rate.
    steps : int
        Number of full-batch steps.
    hidden : int
    seed : int
        Seed of the initial weights.

    Returns
    -------
    net : Sequential
    final_loss : float

    Examples
    --------
    >>> X = np.linspace(-1, 1, 20)[:, None]
    >>> net, L = train_relu_net(X, X ** 2, lr=0.01, steps=20, hidden=8)
    >>> len(net), L < 1.0
    (3, True)
    """
    steps = check_int(steps, "train_relu_net", "steps", minimum=1)
    net = layers.mlp([1, hidden, 1], "relu", rng=seed)
    loss = losses.MSELoss()
    opt = optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        loss(net(X), y)
        opt.zero_grad()
        net.backward(loss.backward())
        opt.step()
    return net, float(loss(net(X), y))


def dead_fraction_vs_lr(X, y, lrs, seeds=(0, 1, 2), steps=200, hidden=64):
    """Dead fraction of :func:`train_relu_net`'s network for each learning rate and seed.

    Returns
    -------
    dead : ndarray of shape (len(lrs), len(seeds))
        Fraction of dead hidden units at the end of training.
    final_loss : ndarray of shape (len(lrs), len(seeds))

    Examples
    --------
    >>> X = np.linspace(-1, 1, 20)[:, None]
    >>> dead, L = dead_fraction_vs_lr(X, X ** 2, [1e-3], seeds=(0,), steps=5, hidden=8)
    >>> dead.shape
    (1, 1)
    """
    dead = np.empty((len(lrs), len(seeds)))
    final = np.empty_like(dead)
    for i, lr in enumerate(lrs):
        for j, seed in enumerate(seeds):
            net, final[i, j] = train_relu_net(X, y, lr=lr, steps=steps, hidden=hidden,
                                              seed=seed)
            dead[i, j] = dead_fraction(net, X)["1:ReLU"]
    return dead, final


def draw_dead_relus(biases, dead_bias, theory_bias, lrs, dead_lr, steps=200):
    """Two panels: dead fraction against a shared negative bias, and against Adam's rate.

    Parameters
    ----------
    biases, dead_bias, theory_bias : ndarray of shape (k,)
        The biases, the measured dead fractions (:func:`dead_fraction_vs_bias`) and the
        predicted ones (:func:`dead_fraction_theory`).
    lrs : sequence of float
        Learning rates.
    dead_lr : ndarray of shape (len(lrs), n_seeds)
        From :func:`dead_fraction_vs_lr`.
    steps : int
        The number of training steps behind ``dead_lr`` (for the title).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax_b, ax_l) = plt.subplots(1, 2, figsize=(8.8, 3.6))
    ax_b.plot(biases, theory_bias, "-", color=COLORS[0], label="theory")
    ax_b.plot(biases, dead_bias, "o", color=COLORS[3], label="measured (1024 units)")
    ax_b.set_xlabel("bias $b$ of every unit")
    ax_b.set_ylabel("fraction of dead units")
    ax_b.set_title("fresh layer, He weights")
    ax_b.legend(loc="upper right", fontsize=9)
    for j in range(dead_lr.shape[1]):
        ax_l.plot(lrs, dead_lr[:, j], "o", color=COLORS[3], alpha=0.7,
                  label="one network" if j == 0 else None)
    ax_l.plot(lrs, dead_lr.mean(axis=1), "-", color=COLORS[3], label="mean")
    ax_l.set_xscale("log")
    ax_l.set_xlabel("Adam learning rate $\\eta$")
    ax_l.set_ylabel("fraction of dead units")
    ax_l.set_title(f"after {steps} full-batch Adam steps")
    ax_l.legend(loc="upper left", fontsize=9)
    for ax in (ax_b, ax_l):
        ax.set_ylim(-0.03, 1.03)
    fig.suptitle("Negative biases and large steps leave ReLU units dead")
    return fig


# --- zero-centred outputs -----------------------------------------------------------------
def same_sign_fraction(activation, n_examples=200, d=5, hidden=16, seed=0):
    """Fraction of examples whose gradient for a unit's incoming weights has no mixed signs.

    Network ``Linear(d, hidden) -> activation -> Linear(hidden, 1)``, squared error to a
    random target, one example at a time: the gradient of the output unit's weight row is
    delta * a, where a is the hidden layer's output. With a sigmoid hidden layer every
    a_k > 0, so all entries share the sign of delta; with ReLU every a_k >= 0, so no two
    entries have opposite signs (the zeros belong to inactive units).

    Parameters
    ----------
    activation : str
        A name accepted by :func:`nnlib.layers.mlp`.
    n_examples, d, hidden, seed : int

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> same_sign_fraction("sigmoid", n_examples=20)
    1.0
    """
    where = "same_sign_fraction"
    n_examples = check_int(n_examples, where, "n_examples", minimum=1)
    rng = make_rng(seed, where)
    net = layers.mlp([d, hidden, 1], activation, rng=rng)
    X = rng.normal(size=(n_examples, d))
    y = rng.normal(size=(n_examples, 1))
    loss = losses.MSELoss()
    out_layer = net[2]
    count = 0
    for i in range(n_examples):
        net.zero_grad()
        loss(net(X[i:i + 1]), y[i:i + 1])
        net.backward(loss.backward())
        g = out_layer.weight.grad[0]
        count += bool(np.all(g >= 0) or np.all(g <= 0))
    return count / n_examples


# --- PReLU --------------------------------------------------------------------------------
def train_prelu_slope(z, y, *, init=0.25, lr=0.1, steps=60):
    """Learn a PReLU's slope by gradient descent on the mean squared error.

    Parameters
    ----------
    z : ndarray of shape (m, 1)
        Inputs to the PReLU.
    y : ndarray of shape (m, 1)
        Targets.
    init, lr : float
    steps : int

    Returns
    -------
    ndarray of shape (steps + 1,)
        The slope before the first step and after every step.

    Examples
    --------
    >>> z = np.array([[-2.0], [-1.0], [1.0]])
    >>> w = train_prelu_slope(z, np.abs(z), lr=0.1, steps=200)
    >>> round(float(w[-1]), 6)
    -1.0
    """
    steps = check_int(steps, "train_prelu_slope", "steps", minimum=1)
    act = layers.PReLU(init=init)
    loss = losses.MSELoss()
    opt = optim.SGD(act.parameters(), lr=lr)
    slopes = [float(act.weight.data[0])]
    for _ in range(steps):
        loss(act(z), y)
        opt.zero_grad()
        act.backward(loss.backward())
        opt.step()
        slopes.append(float(act.weight.data[0]))
    return np.array(slopes)


def draw_prelu_slope(z, y, slopes, predicted):
    """The data and the learned PReLU (left), the slope against the step (right)."""
    fig, (ax_d, ax_s) = plt.subplots(1, 2, figsize=(8.8, 3.5))
    grid = np.linspace(z.min(), z.max(), 200)
    ax_d.scatter(z[:, 0], y[:, 0], s=8, color="#aaaaaa", label="data")
    ax_d.plot(grid, F.prelu(grid, slopes[0]), color=COLORS[1], linestyle="--",
              label=f"PReLU at start (slope {slopes[0]:g})")
    ax_d.plot(grid, F.prelu(grid, slopes[-1]), color=COLORS[0],
              label=f"after training (slope {slopes[-1]:.3f})")
    ax_d.set_xlabel("input $z$")
    ax_d.set_ylabel("output")
    ax_d.set_title("the unit")
    ax_d.legend(loc="upper center", fontsize=9)
    t = np.arange(len(slopes))
    ax_s.plot(t, slopes, "o", color=COLORS[0], markersize=3, label="gradient descent")
    ax_s.plot(t, predicted, "-", color=COLORS[3], linewidth=1.2, label="closed form")
    ax_s.set_xlabel("gradient step $t$")
    ax_s.set_ylabel("slope $w$ for $z < 0$")
    ax_s.set_title("the learned slope")
    ax_s.legend(loc="upper right", fontsize=9)
    fig.suptitle("A PReLU learns its negative slope: here it becomes -1, the absolute value")
    return fig


# --- softmax --------------------------------------------------------------------------------
def draw_softmax_temperature(z, temperatures=(0.25, 1.0, 4.0)):
    """Bar charts of softmax(z / T) for a few temperatures T.

    Examples
    --------
    >>> fig = draw_softmax_temperature(np.array([2.0, 1.0, 0.0]))
    >>> fig.axes[0].get_ylabel()
    'probability $p_c$'
    >>> plt.close(fig)
    """
    z = as_array(z, "draw_softmax_temperature", name="z")
    if z.ndim != 1 or z.size < 2:
        raise ValueError(f"draw_softmax_temperature: expected a vector of at least two "
                         f"logits, got shape {z.shape}.")
    temps = [check_positive(T, "draw_softmax_temperature", "temperature")
             for T in temperatures]
    fig, axes = plt.subplots(1, len(temps), figsize=(2.9 * len(temps) + 0.4, 3.2),
                             sharey=True, squeeze=False)
    classes = np.arange(1, z.size + 1)
    for ax, T in zip(axes[0], temps, strict=True):
        p = F.softmax(z / T)
        ax.bar(classes, p, color=COLORS[0])
        ax.set_xticks(classes)
        ax.set_xlabel("class $c$")
        ax.set_title(f"T = {T:g}")
        ax.axhline(1.0 / z.size, color="#777777", linestyle=":", linewidth=1.2)
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("probability $p_c$")
    fig.suptitle("Low temperature sharpens softmax towards the arg max; high flattens it")
    return fig
