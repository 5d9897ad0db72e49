"""Experiments of Chapter 3 (Activation functions).

The chapter's two live experiments (:class:`Comparison`, any set of activation functions with
their derivatives; :class:`GradientDepth`, the activations' share of a gradient after N
layers), the static figures drawn from them with :func:`book.live.small_multiples`, and the
heavier helpers behind the chapter's other figures and numbers: training networks on a sine
and on the 8x8 digits, a sigmoid unit's gain, the cost of outputs that are not centred on
zero, dead ReLU units, a PReLU's learned slope and softmax's temperature.

All activation values and derivatives come from :mod:`nnlib.functional`; randomness comes only
from explicit seeds.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patheffects
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D
from scipy import integrate, optimize

from nnlib import data, layers, losses, optim, probes
from nnlib import functional as F
from nnlib._checks import as_array, check_finite_scalar, check_int, check_positive, make_rng
from nnlib.plot import COLORS
from nnlib.train import fit, layer_outputs

from . import live
from .shared import one_blas_thread

__all__ = [
    "Style", "GREY", "ACTIVATIONS", "FAMILIES", "SINE_HIDDEN", "DIGITS_HIDDEN", "evaluate",
    "minimum", "gelu_tanh_max_difference",
    "extremes", "Comparison", "comparison_experiment", "draw_families",
    "derivative_path_products", "path_quantiles", "GradientDepth", "gradient_depth_experiment",
    "draw_depth_panels", "unit_gain", "mean_unit_gain", "gain_bound",
    "fit_sine", "draw_sine_fits", "compare_on_digits", "draw_digits",
    "same_sign_fraction", "random_features", "gd_steps_to_fit", "gd_losses",
    "dead_fraction", "dead_fraction_vs_bias", "dead_fraction_theory", "train_relu_net",
    "dead_fraction_vs_lr", "draw_dead_relus", "train_prelu_slope", "draw_prelu_slope",
    "draw_softmax_temperature", "EXPERIMENTS",
]


# --------------------------------------------------------------------------------------------
# the functions and how each one is drawn
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Style:
    """How one activation is drawn: its label, colour, line style and family."""

    label: str
    color: str
    linestyle: object
    family: str
    outline: str | None = None   # a dark edge for a light colour (Okabe-Ito yellow)


_DASHED = (0, (5.0, 2.2))
_DASHDOT = (0, (6.0, 2.0, 1.6, 2.0))
#: A ninth colour next to the eight of the Okabe-Ito palette: a neutral grey, which reads the
#: same for every kind of colour vision.
GREY = "#7a7a7a"

#: The activations of the comparison, in the order of its check boxes. Every one has its own
#: colour (the eight Okabe-Ito colours of :data:`nnlib.plot.COLORS` and a grey) and the line
#: style of its family: solid for the saturating functions, dashed for the ReLU family,
#: dash-dotted for the smooth ReLUs. PReLU is a Leaky ReLU whose slope is learned, and the
#: tanh approximation of GELU differs from GELU by less than 5e-4: neither is drawn apart.
ACTIVATIONS = {
    "sigmoid": Style("sigmoid", COLORS[0], "-", "saturating"),
    "tanh": Style("tanh", COLORS[1], "-", "saturating"),
    "relu": Style("ReLU", COLORS[7], _DASHED, "ReLU family"),
    "leaky_relu": Style("Leaky ReLU", COLORS[2], _DASHED, "ReLU family"),
    "elu": Style("ELU", COLORS[3], _DASHED, "ReLU family"),
    "selu": Style("SELU", COLORS[4], _DASHED, "ReLU family"),
    "softplus": Style("softplus", COLORS[5], _DASHDOT, "smooth ReLUs"),
    "gelu": Style("GELU", COLORS[6], _DASHDOT, "smooth ReLUs", outline="#5c5500"),
    "silu": Style("SiLU / Swish", GREY, _DASHDOT, "smooth ReLUs"),
}

#: The three families of the static comparison figure.
FAMILIES = {
    "saturating": ("sigmoid", "tanh"),
    "ReLU family": ("relu", "leaky_relu", "elu", "selu"),
    "smooth ReLUs": ("relu", "softplus", "gelu", "silu"),
}


def _check_name(name, where, allowed=None):
    allowed = tuple(ACTIVATIONS) if allowed is None else allowed
    if name not in allowed:
        raise ValueError(f"{where}: unknown activation {name!r}; choose one of "
                         f"{sorted(allowed)}.")
    return name


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
    return getattr(F, name)(z), getattr(F, name + "_grad")(z)


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


def extremes(name, *, leaky_alpha=0.01, elu_alpha=1.0, z_max=50.0, n=200_001):
    """Infimum and supremum of an activation over [-z_max, z_max], and its derivative's too.

    The reference table of the chapter reads its ranges from here. On [-50, 50] the
    saturating limits are reached to double precision (e^-50 < 2e-22), so an infimum of
    -1.0 means the function approaches -1.

    Parameters
    ----------
    name : str
        A key of :data:`ACTIVATIONS`.
    leaky_alpha, elu_alpha : float
        As in :func:`evaluate`.
    z_max : float
    n : int
        Grid points.

    Returns
    -------
    dict
        ``f_min``, ``f_max``, ``z_at_min`` (where f is smallest), ``df_min``, ``df_max``.

    Examples
    --------
    >>> e = extremes("tanh")
    >>> e["f_min"], e["f_max"], e["df_max"]
    (-1.0, 1.0, 1.0)
    """
    where = "extremes"
    _check_name(name, where)
    z_max = check_positive(z_max, where, "z_max")
    n = check_int(n, where, "n", minimum=3)
    z = np.linspace(-z_max, z_max, n)
    a, da = evaluate(name, z, leaky_alpha=leaky_alpha, elu_alpha=elu_alpha)
    k = int(np.argmin(a))
    return {"f_min": float(a[k]), "f_max": float(a.max()), "z_at_min": float(z[k]),
            "df_min": float(da.min()), "df_max": float(da.max())}


# --------------------------------------------------------------------------------------------
# the live comparison: any set of functions, their derivatives, x range and Leaky slope
# --------------------------------------------------------------------------------------------
# Functions whose derivative jumps at z = 0 (ELU only when alpha != 1; the chapter's is 1).
_KINKED = ("relu", "leaky_relu", "selu")
_N_GRID = 801
_KEY_COLUMNS = 3
_D_LIMITS = (-0.25, 1.9)    # every derivative on any range: SELU reaches 1.758, GELU -0.129


def _grid(x_range, n=_N_GRID):
    x = x_range * np.linspace(-1.0, 1.0, n)
    x[n // 2] = 0.0
    return x


@functools.lru_cache(maxsize=256)
def _curves(name, x_range, leaky_alpha):
    x = _grid(x_range)
    a, da = evaluate(name, x, leaky_alpha=leaky_alpha)
    if name in _KINKED:
        da = da.copy()
        da[x == 0.0] = np.nan    # break the line at the jump instead of drawing a wall
    return x, a, da


@functools.lru_cache(maxsize=64)
def _f_limits(x_range, leaky_alpha):
    """The function panel's y limits: every activation fits, whichever are picked."""
    lo = min(float(np.nanmin(_curves(n, x_range, leaky_alpha)[1])) for n in ACTIVATIONS)
    hi = max(float(np.nanmax(_curves(n, x_range, leaky_alpha)[1])) for n in ACTIVATIONS)
    pad = 0.06 * (hi - lo)
    return lo - pad, hi + pad


def _key_label(name, leaky_alpha):
    if name == "leaky_relu":
        return f"Leaky ReLU (α={leaky_alpha:g})"
    if name == "elu":
        return "ELU (α=1)"
    return ACTIVATIONS[name].label


def _line_kwargs(style, lw=2.2):
    kw = {"color": style.color, "linestyle": style.linestyle, "linewidth": lw}
    if style.outline:
        kw["path_effects"] = [patheffects.withStroke(linewidth=lw + 1.1,
                                                     foreground=style.outline),
                              patheffects.Normal()]
    return kw


def _check_picked(functions, where):
    if isinstance(functions, str):
        functions = (functions,)
    functions = tuple(functions)
    for name in functions:
        _check_name(name, where)
    return functions


class Comparison(live.LiveFigure):
    """Activation functions (left) and their derivatives (right), any subset of them.

    Controls: ``x_range`` (the panels show z in [-x_range, x_range]), ``functions`` (a
    :class:`book.live.Pick` of :data:`ACTIVATIONS`) and ``leaky_alpha`` (the Leaky ReLU's
    negative slope). Each function is drawn the same whatever else is picked: the axis limits
    depend on the range and the slope only, and each function has its own slot in the key
    under the panels. On the website every function is a transparent layer of the frame.

    The minima of GELU and SiLU are marked, and so is the sigmoid derivative's maximum 1/4.

    Parameters
    ----------
    title : str or None
        The figure's title; None gives the default (a finding), "" none (for small multiples,
        whose panels get their own titles).
    fixed_key : bool
        True (the live figure): a slot in the key for every function, shown when it is
        picked, so that nothing moves when others are ticked. False (a static figure): slots
        for the picked functions only.

    Examples
    --------
    >>> r = live.Renderer(Comparison())
    >>> png = r.png({"x_range": 4.0, "functions": ("relu", "gelu"), "leaky_alpha": 0.1})
    >>> png[:4] == b"\\x89PNG", [ax.get_xlabel() for ax in r.live.axes]
    (True, ['pre-activation z', 'pre-activation z'])
    >>> r.close()
    """

    size = (7.6, 5.0)
    redraw_on = ("x_range", "leaky_alpha")   # the axis limits follow them
    default_title = "Only sigmoid and tanh lose their slope for large positive z"

    def __init__(self, title=None, fixed_key=True):
        self.title = self.default_title if title is None else title
        self.fixed_key = fixed_key

    def build(self, fig, x_range, functions, leaky_alpha):
        x_range = check_positive(x_range, "Comparison", "x_range")
        picked = _check_picked(functions, "Comparison")
        if fig is fig.figure:     # a whole figure, not a panel of small multiples
            fig.set_layout_engine("none")
        # Fixed margins in inches (no layout engine), fixed positions of the axis labels and
        # titles, and few ticks: a change of the range redraws the whole figure, and this
        # keeps that redraw cheap (matplotlib's automatic label placement measures every
        # tick label first).
        w_in, h_in = fig.bbox.width / fig.dpi, fig.bbox.height / fig.dpi
        slots = list(ACTIVATIONS) if self.fixed_key else list(picked)
        columns = _KEY_COLUMNS if self.fixed_key else 2
        rows = max(1, math.ceil(len(slots) / columns))
        key_h = 0.27 * rows + 0.08
        below, top, left, gap, right = 0.58, 0.5, 0.78, 0.8, 0.22
        pw = (w_in - left - gap - right) / 2
        ph = h_in - key_h - below - top
        y0 = (key_h + below) / h_in
        self.ax_f = fig.add_axes([left / w_in, y0, pw / w_in, ph / h_in])
        self.ax_d = fig.add_axes([(left + pw + gap) / w_in, y0, pw / w_in, ph / h_in])
        self.axes = (self.ax_f, self.ax_d)
        for ax in self.axes:
            ax.axhline(0.0, color="#b0b0b0", linewidth=0.9, zorder=1.5)
            ax.axvline(0.0, color="#b0b0b0", linewidth=0.9, zorder=1.5)
            ax.set_xlabel("pre-activation z")     # plain text: no mathtext to lay out
            ax.xaxis.set_label_coords(0.5, -0.33 / ph)
            ax.yaxis.set_label_coords(-0.5 / pw, 0.5)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
        self.ax_f.set_ylabel("activation f(z)")
        self.ax_d.set_ylabel("derivative f′(z)")
        self.ax_f.set_title("functions", fontsize=11, y=1.01)
        self.ax_d.set_title("derivatives", fontsize=11, y=1.01)
        self.ax_d.set_ylim(*_D_LIMITS)
        self.ax_d.set_yticks([0.0, 0.5, 1.0, 1.5])
        if self.title:
            fig.text(0.1 / w_in, 1 - 0.08 / h_in, self.title, ha="left", va="top",
                     fontsize=12, fontweight="bold")
        self.lines, self.keys, self.extras = {}, {}, {}
        slot_w = (w_in - 0.2) / columns
        # the key is placed in inches from the lower left of this (sub)figure
        to_fig = Affine2D().scale(1 / w_in, 1 / h_in) + fig.transSubfigure
        for name, style in ACTIVATIONS.items():
            kw = _line_kwargs(style)
            self.lines[name] = (self.ax_f.plot([], [], zorder=3, **kw)[0],
                                self.ax_d.plot([], [], zorder=3, **kw)[0])
            self.keys[name] = ()
            if name in slots:
                r, c = divmod(slots.index(name), columns)
                y = key_h - 0.04 - 0.27 * (r + 0.5)
                x = 0.1 + c * slot_w
                sample = Line2D([x + 0.02, x + 0.28], [y, y], transform=to_fig, **kw)
                fig.add_artist(sample)
                text = fig.text(x + 0.34, y, style.label, transform=to_fig, va="center",
                                ha="left", fontsize=10)
                self.keys[name] = (sample, text)
            extras = []
            if name in ("gelu", "silu"):
                xm, fm = minimum(name)
                extras.append(self.ax_f.plot([xm], [fm], "o", color=style.color, zorder=4,
                                             markersize=6.5, markeredgecolor="#222222",
                                             markeredgewidth=0.9)[0])
            if name == "sigmoid":
                extras.append(self.ax_d.axhline(0.25, color=style.color, linestyle=":",
                                                linewidth=1.4, zorder=2.8))
                extras.append(self.ax_d.text(0.02, 0.25, " max 1/4", color=style.color,
                                             transform=self.ax_d.get_yaxis_transform(),
                                             va="bottom", ha="left", fontsize=10, zorder=4))
            self.extras[name] = extras
            self.animate(*self.lines[name], *self.keys[name], *extras)

    def update(self, x_range, functions, leaky_alpha):
        picked = set(_check_picked(functions, "Comparison"))
        for ax in self.axes:
            ax.set_xlim(-x_range, x_range)
        self.ax_f.set_ylim(*_f_limits(float(x_range), float(leaky_alpha)))
        for name in ACTIVATIONS:
            x, a, da = _curves(name, float(x_range), float(leaky_alpha))
            on = name in picked
            line_f, line_d = self.lines[name]
            line_f.set_data(x, a)
            line_d.set_data(x, da)
            if self.keys[name]:
                self.keys[name][1].set_text(_key_label(name, leaky_alpha))
            for artist in (line_f, line_d, *self.keys[name]):
                artist.set_visible(on)
            for artist in self.extras[name]:
                inside = True
                if isinstance(artist, Line2D) and artist.get_marker() == "o":
                    inside = abs(artist.get_xdata()[0]) <= x_range
                artist.set_visible(on and inside)

    def describe(self, x_range, functions, leaky_alpha):
        functions = _check_picked(functions, "Comparison")
        names = functions or tuple(ACTIVATIONS)   # the website's base frame: describe all
        r = _fmt(x_range)
        slopes, minima = [], []
        for name in names:
            _, da = evaluate(name, np.array([-x_range, x_range]), leaky_alpha=leaky_alpha)
            slopes.append(f"{_key_label(name, leaky_alpha)} {da[0]:.2g} and {da[1]:.2g}")
            if name in ("gelu", "silu"):
                xm, fm = minimum(name)
                minima.append(f"{ACTIVATIONS[name].label} {fm:.3f} at z = {xm:.2f}")
        text = (f"Activation functions (left) and their derivatives (right) for z from -{r} "
                f"to {r}. Slopes at z = -{r} and z = {r}: " + "; ".join(slopes) + ".")
        if minima:
            text += " Minima: " + "; ".join(minima) + "."
        return text


def _fmt(v):
    return live._fmt(v)


def comparison_experiment() -> live.Experiment:
    """The chapter's comparison: :class:`Comparison` with its controls.

    The functions first (check boxes, any subset: the main control, which a reader moves
    most), then the z range and the Leaky ReLU's slope. On the website: ranges 2, 4 and 8,
    slopes 0, 0.1, 0.25 and 0.5, each of the nine functions a layer of the frame (12 frames
    of 10 images).
    """
    return live.Experiment(
        "activation-comparison", Comparison(),
        title="Activation functions and their derivatives",
        caption=("Tick any set of functions. Dots mark the minima of GELU and SiLU; the dotted "
                 "line is the sigmoid derivative's maximum, 1/4."),
        controls=dict(
            functions=live.Pick([(s.label, k) for k, s in ACTIVATIONS.items()],
                                ("sigmoid", "tanh", "relu", "leaky_relu", "gelu"),
                                label="functions"),
            x_range=live.Slider(1.0, 10.0, 0.5, value=4.0, label="z range (±)",
                                web=(2.0, 4.0, 8.0)),
            leaky_alpha=live.Slider(0.0, 0.5, 0.01, value=0.1, label="Leaky ReLU slope α",
                                    web=(0.0, 0.1, 0.25, 0.5))))


def draw_families(x_range=4.0, leaky_alpha=0.1):
    """The static comparison: one :class:`Comparison` panel per family of :data:`FAMILIES`.

    Drawn with :func:`book.live.small_multiples`, so it is the live figure for three
    settings of the check boxes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_families()
    >>> len(fig.subfigs)
    3
    >>> plt.close(fig)
    """
    x_range = check_positive(x_range, "draw_families", "x_range")
    settings = [{"x_range": x_range, "functions": names, "leaky_alpha": leaky_alpha}
                for names in FAMILIES.values()]
    titles = [f"{family}: " + ", ".join(ACTIVATIONS[n].label for n in names)
              for family, names in FAMILIES.items()]
    fig = live.small_multiples(Comparison(title="", fixed_key=False), settings, ncols=1,
                               titles=titles)
    fig.suptitle("Saturating functions lose their slope; rectifiers keep slope 1 for z > 0",
                 fontsize=12, fontweight="bold")
    return fig


# --------------------------------------------------------------------------------------------
# vanishing gradients through depth
# --------------------------------------------------------------------------------------------
_DEPTH_NAMES = ("sigmoid", "tanh")
_MAX_DEPTH = 50


def derivative_path_products(name, depth, z_std=1.0, n_paths=2000, rng=None):
    """``|f'(z_1) f'(z_2) ... f'(z_N)|`` along random paths, for N = 1, ..., depth.

    The factor the activations contribute to a gradient on its way back through N layers,
    with every weight set to 1 and the pre-activations z_k drawn from N(0, z_std^2).

    Parameters
    ----------
    name : str
        A key of :data:`ACTIVATIONS` other than leaky_relu and elu (which need a parameter).
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


@functools.lru_cache(maxsize=128)
def path_quantiles(name, z_std, n_paths=2000, seed=0):
    """10 %, 50 % and 90 % quantiles of :func:`derivative_path_products` for N = 1..50.

    The paths of one seed share their standard normal draws for every ``z_std`` (z is the
    std times the same draws), so the curves move smoothly with the std.

    Returns
    -------
    ndarray of shape (3, 50)
        Rows: the 10 % quantile, the median, the 90 % quantile; column N - 1 for N layers.
        Read-only (cached).

    Examples
    --------
    >>> q = path_quantiles("sigmoid", 1.0)
    >>> q.shape, bool(np.all(q[1] <= 0.25 ** np.arange(1, 51)))
    ((3, 50), True)
    """
    p = derivative_path_products(name, _MAX_DEPTH, z_std, n_paths, rng=seed)
    q = np.percentile(p, [10, 50, 90], axis=0)
    q.setflags(write=False)
    return q


class GradientDepth(live.LiveFigure):
    """The activations' share of a gradient after N layers, sigmoid against tanh.

    Controls: ``z_std`` (std of the pre-activations; larger means more saturated units) and
    ``depth`` (the largest N shown). The median of ``|f'(z_1) ... f'(z_N)|`` over 2000 random
    paths and its 10 %-90 % band, on a log scale, with the sigmoid's bound 4^-N.

    Examples
    --------
    >>> r = live.Renderer(GradientDepth())
    >>> png = r.png({"z_std": 1.0, "depth": 20})
    >>> r.live.ax.get_yscale(), r.live.ax.get_xlabel()
    ('log', 'number of layers $N$')
    >>> r.close()
    """

    size = (5.2, 4.6)
    redraw_on = ("depth",)   # the x limits follow the depth
    y_limits = (1e-30, 3.0)

    def __init__(self, n_paths=2000, seed=0):
        self.n_paths, self.seed = n_paths, seed

    def _check(self, z_std, depth):
        z_std = check_positive(z_std, "GradientDepth", "z_std")
        depth = check_int(depth, "GradientDepth", "depth", minimum=2)
        if depth > _MAX_DEPTH:
            raise ValueError(f"GradientDepth: expected depth <= {_MAX_DEPTH}, got {depth}.")
        return z_std, depth

    def build(self, fig, z_std, depth):
        self._check(z_std, depth)
        ax = fig.add_subplot()
        self.ax = ax
        n = np.arange(1, _MAX_DEPTH + 1)
        ax.plot(n, 0.25 ** n, color="#333333", linestyle=(0, (4, 2)), linewidth=1.4,
                zorder=2, label="bound $4^{-N}$")
        ax.set_yscale("log")
        ax.set_ylim(*self.y_limits)
        ax.set_xlabel("number of layers $N$")
        ax.set_ylabel("$|f'(z_1) \\cdots f'(z_N)|$")
        self.bands, self.medians = {}, {}
        for name in _DEPTH_NAMES:
            style = ACTIVATIONS[name]
            band = Polygon(np.zeros((4, 2)), closed=True, facecolor=style.color, alpha=0.22,
                           edgecolor="none", zorder=2.6)
            ax.add_patch(band)
            self.bands[name] = band
            self.medians[name] = ax.plot([], [], "o-", color=style.color, markersize=3.5,
                                         linewidth=2.0, zorder=3,
                                         label=style.label)[0]
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), ncols=3, fontsize=10,
                  handlelength=1.8, columnspacing=1.2)
        self.title = ax.set_title(" \n ", fontsize=10.5)
        self.animate(*self.bands.values(), *self.medians.values(), self.title)

    def update(self, z_std, depth):
        z_std, depth = self._check(z_std, depth)
        self.ax.set_xlim(1, depth)
        n = np.arange(1, depth + 1)
        meds = {}
        for i, name in enumerate(_DEPTH_NAMES):
            lo, med, hi = path_quantiles(name, float(z_std), self.n_paths, self.seed + i)
            band = np.column_stack([np.concatenate([n, n[::-1]]),
                                    np.concatenate([lo[:depth], hi[:depth][::-1]])])
            self.bands[name].set_xy(np.maximum(band, [0, 1e-300]))
            self.medians[name].set_data(n, med[:depth])
            meds[name] = med[depth - 1]
        self.title.set_text(f"std of $z$: {_fmt(z_std)}\nmedian at N = {depth}: sigmoid "
                            f"{meds['sigmoid']:.0e}, tanh {meds['tanh']:.0e}")

    def describe(self, z_std, depth):
        z_std, depth = self._check(z_std, depth)
        meds = {name: path_quantiles(name, float(z_std), self.n_paths, self.seed + i)[1]
                for i, name in enumerate(_DEPTH_NAMES)}
        winner = "tanh" if meds["tanh"][depth - 1] > meds["sigmoid"][depth - 1] else "sigmoid"
        return (f"The activations' share of a gradient, |f'(z_1)...f'(z_N)|, for "
                f"pre-activations with std {_fmt(z_std)}, N = 1 to {depth}, log scale. After "
                f"{depth} layers the median is {meds['sigmoid'][depth - 1]:.1e} for the "
                f"sigmoid (bound 4^-{depth} = {0.25 ** depth:.1e}) and "
                f"{meds['tanh'][depth - 1]:.1e} for tanh: {winner} keeps more.")


def gradient_depth_experiment() -> live.Experiment:
    """The chapter's second experiment: :class:`GradientDepth` with its controls.

    The std of the pre-activations first (the main control), then the depth. On the
    website: stds 0.5, 1, 2, 3 and 4, depths 10, 20 and 40 (15 frames).
    """
    return live.Experiment(
        "gradient-through-depth", GradientDepth(),
        title="How much gradient survives N layers of activations",
        caption=("Median and 10-90 % band of |f'(z_1) ... f'(z_N)| over 2000 random paths, "
                 "every weight 1. Dashed: the sigmoid's bound 4^-N."),
        controls=dict(
            z_std=live.Slider(0.1, 5.0, 0.1, value=1.0, label="std of z",
                              web=(0.5, 1.0, 2.0, 3.0, 4.0)),
            depth=live.IntSlider(2, _MAX_DEPTH, value=20, label="layers N",
                                 web=(10, 20, 40))))


def draw_depth_panels(z_stds=(1.0, 3.0), depth=20):
    """Small multiples of :class:`GradientDepth` over the std of the pre-activations.

    Examples
    --------
    >>> fig = draw_depth_panels((1.0, 3.0), depth=10)
    >>> len(fig.subfigs)
    2
    >>> plt.close(fig)
    """
    if len(z_stds) == 0:
        raise ValueError(f"draw_depth_panels: expected at least one std, got {z_stds!r}.")
    settings = [{"z_std": s, "depth": depth} for s in z_stds]
    fig = live.small_multiples(GradientDepth(), settings, ncols=len(settings))
    fig.suptitle("Tanh keeps far more gradient than the sigmoid, until its units saturate",
                 fontsize=12, fontweight="bold")
    return fig


# --------------------------------------------------------------------------------------------
# a sigmoid unit's gain: what the weights add to the activation's share
# --------------------------------------------------------------------------------------------
_TOTAL_RISE = {"sigmoid": 1.0, "tanh": 2.0}   # sup f - inf f = the integral of f'


def unit_gain(w, b, x, activation="sigmoid"):
    """``|w| f'(w x + b)``: how much a unit with weight w and bias b scales a gradient at x.

    Going back through the unit, dL/dx = w f'(z) dL/da with z = w x + b.

    Examples
    --------
    >>> float(unit_gain(8.0, -8.0 * 0.3, 0.3))
    2.0
    """
    _check_name(activation, "unit_gain", tuple(_TOTAL_RISE))
    x = as_array(x, "unit_gain", name="x")
    return abs(w) * getattr(F, activation + "_grad")(w * x + b)


def mean_unit_gain(w, b=0.0, *, activation="sigmoid", mean=0.0, std=1.0):
    """The average of :func:`unit_gain` over inputs x ~ N(mean, std^2), by quadrature.

    Examples
    --------
    >>> round(mean_unit_gain(1.0), 4)
    0.2066
    """
    where = "mean_unit_gain"
    _check_name(activation, where, tuple(_TOTAL_RISE))
    w = check_finite_scalar(w, where, "w")
    b = check_finite_scalar(b, where, "b")
    std = check_positive(std, where, "std")

    def density(x):
        return math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))

    lo, hi = mean - 12 * std, mean + 12 * std
    peak = [] if w == 0 else [min(max(-b / w, lo), hi)]
    fprime = getattr(F, activation + "_grad")
    value, _ = integrate.quad(lambda x: abs(w) * float(fprime(w * x + b)) * density(x), lo, hi,
                              points=peak or None, limit=400, epsabs=1e-12, epsrel=1e-10)
    return value


def gain_bound(std=1.0, activation="sigmoid"):
    """The largest average gain of a unit over normal inputs with this std, any w and b:
    ``(sup f - inf f) / (std sqrt(2 pi))`` (the chapter's proposition).

    Examples
    --------
    >>> round(gain_bound(1.0), 4)
    0.3989
    """
    _check_name(activation, "gain_bound", tuple(_TOTAL_RISE))
    std = check_positive(std, "gain_bound", "std")
    return _TOTAL_RISE[activation] / (std * math.sqrt(2 * math.pi))


# --------------------------------------------------------------------------------------------
# the motivating problems: a sine, and the 8x8 digits
# --------------------------------------------------------------------------------------------
#: The hidden layers of the chapter's deeper sine network: 1-16-16-16-16-1.
SINE_HIDDEN = (16, 16, 16, 16)
#: The hidden layers of the digit classifier: 64-32-32-32-32-10.
DIGITS_HIDDEN = (32, 32, 32, 32)
def _run_label(name):
    return ACTIVATIONS[name].label if name in ACTIVATIONS else name


def _run_style(name, lw=2.0):
    """Line keywords of a training run: its activation's colour (and outline), solid."""
    if name == "identity":
        return {"color": GREY, "linewidth": lw}
    style = ACTIVATIONS.get(name)
    if style is None:
        return {"color": COLORS[7], "linewidth": lw}
    kw = _line_kwargs(style, lw)
    kw["linestyle"] = "-"
    return kw


def _hidden(hidden, where):
    if isinstance(hidden, (int, np.integer)):
        hidden = (hidden,)
    hidden = tuple(check_int(h, where, "every hidden width", minimum=1) for h in hidden)
    if not hidden:
        raise ValueError(f"{where}: expected at least one hidden layer, got none.")
    return hidden


def fit_sine(X, y, activation, *, hidden=SINE_HIDDEN, steps=1000, lr=0.02, momentum=0.9,
             seed=0):
    """Train ``Linear -> activation -> ... -> Linear`` on 1-D regression, full batch.

    Gradient descent with momentum on the mean squared error; every hidden layer uses the
    same activation (nnlib's default initialisation: Xavier for sigmoid, tanh and identity,
    He for ReLU).

    Parameters
    ----------
    X : ndarray of shape (m, 1)
    y : ndarray of shape (m, 1)
    activation : str
        A name accepted by :func:`nnlib.layers.mlp`, e.g. ``"tanh"`` or ``"identity"``.
    hidden : int or sequence of int
        Widths of the hidden layers.
    steps : int
        Number of gradient steps.
    lr, momentum : float
        SGD's learning rate and momentum.
    seed : int
        Seed of the initial weights.

    Returns
    -------
    net : Sequential
        The trained network.
    losses : ndarray of shape (steps,)
        The loss before each step.

    Examples
    --------
    >>> from nnlib.data import sine
    >>> X, y = sine(50, rng=0)
    >>> net, L = fit_sine(X, y, "tanh", hidden=8, steps=50, lr=0.05)
    >>> L.shape, bool(L[-1] < L[0])
    ((50,), True)
    """
    where = "fit_sine"
    steps = check_int(steps, where, "steps", minimum=1)
    hidden = _hidden(hidden, where)
    net = layers.mlp([1, *hidden, 1], activation, rng=seed)
    loss = losses.MSELoss()
    opt = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    history = np.empty(steps)
    with one_blas_thread():      # small matrices: threads cost more than they save
        for t in range(steps):
            history[t] = loss(net(X), y)
            opt.zero_grad()
            net.backward(loss.backward())
            opt.step()
    return net, history


def draw_sine_fits(X, y, results, title=None):
    """Data with each network's fit (left) and the training losses (right).

    Parameters
    ----------
    X, y : ndarray of shape (m, 1)
    results : dict of str -> (net, losses)
        As returned by :func:`fit_sine`, keyed by activation name.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not results:
        raise ValueError("draw_sine_fits: expected at least one trained network, got none.")
    fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(7.6, 3.7))
    ax_fit.scatter(X[:, 0], y[:, 0], s=9, color="#b8b8b8", label="data")
    grid = np.linspace(X.min(), X.max(), 300)[:, None]
    for name, (net, hist) in results.items():
        ax_fit.plot(grid[:, 0], net(grid)[:, 0], label=_run_label(name), **_run_style(name))
        ax_loss.plot(np.arange(1, len(hist) + 1), hist, label=_run_label(name),
                     **_run_style(name))
    ax_fit.set_xlabel("input $x$")
    ax_fit.set_ylabel("output $\\hat{y}$")
    ax_fit.set_title("fits after training", fontsize=11)
    ax_fit.legend(loc="lower right", fontsize=10, handlelength=1.4)
    ax_loss.set_yscale("log")
    ax_loss.set_xscale("log")
    ax_loss.set_xlabel("gradient step")
    ax_loss.set_ylabel("mean squared error")
    ax_loss.set_title("training loss", fontsize=11)
    fig.suptitle(title or "With four hidden layers the sigmoid network lags far behind")
    return fig


def compare_on_digits(activations=("sigmoid", "tanh", "relu", "gelu"), *,
                      hidden=DIGITS_HIDDEN, epochs=15, lr=0.01, momentum=0.9, batch_size=32,
                      seed=0):
    """Train the same digit classifier with each hidden activation; measure its gradients.

    The 8x8 digits (:func:`nnlib.data.digits`) split 70/15/15 (seed 0); an MLP
    64-hidden-10 with cross-entropy, SGD with momentum, minibatches of 32.

    Parameters
    ----------
    activations : sequence of str
        Names accepted by :func:`nnlib.layers.mlp`.
    hidden : sequence of int
    epochs, lr, momentum, batch_size, seed
        Training settings; ``seed`` seeds the weights and the shuffling.

    Returns
    -------
    dict of str -> dict
        Per activation: ``history`` (:class:`nnlib.train.History`) and ``grad_norms``, the
        norm of dL/dW of every Linear layer at initialisation on the whole training set
        (:func:`nnlib.probes.gradient_norms`), first layer first.

    Examples
    --------
    >>> r = compare_on_digits(("tanh",), hidden=(8,), epochs=1)
    >>> len(r["tanh"]["history"].val_acc), r["tanh"]["grad_norms"].shape
    (1, (2,))
    """
    where = "compare_on_digits"
    hidden = _hidden(hidden, where)
    epochs = check_int(epochs, where, "epochs", minimum=1)
    X, y = data.digits()
    X_train, y_train, X_val, y_val, _, _ = data.train_val_test_split(X, y, rng=0)
    out = {}
    with one_blas_thread():
        for name in activations:
            net = layers.mlp([X.shape[1], *hidden, 10], name, rng=seed)
            loss = losses.CrossEntropyLoss()
            norms = probes.gradient_norms(net, X_train, y_train, loss)
            opt = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
            history = fit(net, loss, opt, X_train, y_train, epochs, batch_size=batch_size,
                          validation=(X_val, y_val), rng=seed, progress=False,
                          diagnostics=False)
            out[name] = {"history": history, "grad_norms": np.array(list(norms.values()))}
    return out


def draw_digits(results):
    """Validation accuracy per epoch (left) and the gradient of each layer at the start
    (right), one colour per activation, from :func:`compare_on_digits`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not results:
        raise ValueError("draw_digits: expected at least one trained network, got none.")
    fig, (ax_acc, ax_g) = plt.subplots(1, 2, figsize=(7.6, 3.7))
    for name, r in results.items():
        acc = r["history"].val_acc
        ax_acc.plot(np.arange(1, len(acc) + 1), acc, marker="o", markersize=3.5,
                    label=_run_label(name), **_run_style(name))
        g = r["grad_norms"]
        ax_g.plot(np.arange(1, len(g) + 1), g, marker="o", markersize=4,
                  label=_run_label(name), **_run_style(name))
    ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc.axhline(0.1, color="#777777", linestyle=":", linewidth=1.3)
    ax_acc.text(1, 0.12, "chance", color="#555555", fontsize=10)
    ax_acc.set_ylim(0, 1)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("validation accuracy")
    ax_acc.set_title("learning", fontsize=11)
    ax_acc.legend(loc="center right", fontsize=10, handlelength=1.4)
    ax_g.set_yscale("log")
    ax_g.set_xticks(np.arange(1, len(g) + 1))
    ax_g.set_xlabel("layer $l$ (1 = first)")
    ax_g.set_ylabel("$\\|\\partial L / \\partial W^{(l)}\\|$ at the start")
    ax_g.set_title("gradient per layer", fontsize=11)
    fig.suptitle("On the digits, the sigmoid network's first layers get almost no gradient")
    return fig


# --------------------------------------------------------------------------------------------
# outputs that are not centred on zero
# --------------------------------------------------------------------------------------------
def same_sign_fraction(activation, n_examples=200, d=5, hidden=16, seed=0):
    """Fraction of examples whose gradient for a unit's incoming weights has no mixed signs.

    Network ``Linear(d, hidden) -> activation -> Linear(hidden, 1)``, squared error to a
    random target, one example at a time: the gradient of the output unit's weight row is
    delta * a, where a is the hidden layer's output. With a sigmoid hidden layer every
    a_k > 0, so all entries share the sign of delta and the fraction is 1 by construction;
    with ReLU every a_k >= 0, so again no two entries have opposite signs. It checks the
    code, not the theory; tanh shows what happens otherwise.

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


def random_features(X, width=64, seed=0):
    """Standardised pre-activations of a random hidden layer: Z = X W^T, each column scaled
    to mean 0 and std 1 (W standard normal, seeded).

    Returns
    -------
    ndarray of shape (m, width)

    Examples
    --------
    >>> Z = random_features(np.random.default_rng(0).normal(size=(50, 3)), width=4)
    >>> Z.shape, bool(np.allclose(Z.mean(axis=0), 0)), bool(np.allclose(Z.std(axis=0), 1))
    ((50, 4), True, True)
    """
    X = as_array(X, "random_features", name="X")
    width = check_int(width, "random_features", "width", minimum=1)
    W = make_rng(seed, "random_features").normal(size=(width, X.shape[1]))
    Z = X @ W.T
    return (Z - Z.mean(axis=0)) / Z.std(axis=0)


def _design(A):
    return np.column_stack([A, np.ones(len(A))])


def gd_steps_to_fit(A, Y, tol=0.01):
    """Steps of gradient descent that a linear layer on features A needs to fit targets Y.

    The layer computes ``A V + c`` and minimises L = ||A V + c - Y||^2 / (2 m); it starts at
    zero and takes steps of size 1/lambda_max, where lambda_max is the largest eigenvalue of
    the Hessian H = B^T B / m, B = [A, 1] (the largest step with which no direction
    oscillates). On this quadratic, gradient descent is solved exactly in H's eigenbasis:
    the excess loss after t steps is sum_i lambda_i c_i^2 (1 - lambda_i / lambda_max)^(2 t)
    / 2, with c the starting error's coordinates. The returned count is the first t at which
    the excess loss is at most ``tol`` times the starting one.

    Returns
    -------
    dict
        ``steps``, ``kappa`` (lambda_max / lambda_min), ``lambda_max``, ``best_loss``.

    Examples
    --------
    >>> A = np.random.default_rng(0).normal(size=(40, 3))
    >>> r = gd_steps_to_fit(A, A @ [1.0, -2.0, 0.5] + 1.0)
    >>> r["steps"] == gd_losses(A, A @ [1.0, -2.0, 0.5] + 1.0, 200, tol=0.01)["steps"]
    True
    """
    where = "gd_steps_to_fit"
    B = _design(as_array(A, where, name="A"))
    Y = as_array(Y, where, name="Y").reshape(len(B), -1)
    m = len(B)
    lam, V = np.linalg.eigh(B.T @ B / m)
    best = np.linalg.lstsq(B, Y, rcond=None)[0]
    best_loss = float(np.sum((B @ best - Y) ** 2) / (2 * m))
    weight = lam[:, None] * (V.T @ best) ** 2        # lambda_i c_i^2, starting from zero
    ratio = np.clip(1.0 - lam / lam[-1], 0.0, 1.0)[:, None]

    def excess(t):
        return 0.5 * float(np.sum(weight * ratio ** (2 * t)))

    start, lo, hi = excess(0), 0, 1
    while excess(hi) > tol * start:
        hi *= 2
    while lo < hi:                                   # the first t below the tolerance
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if excess(mid) <= tol * start else (mid + 1, hi)
    return {"steps": lo, "kappa": float(lam[-1] / lam[0]), "lambda_max": float(lam[-1]),
            "best_loss": best_loss}


def gd_losses(A, Y, steps, tol=None):
    """Run the gradient descent of :func:`gd_steps_to_fit` for ``steps`` steps and return
    its losses (and, with ``tol``, the first step at which it is within tol of the best).

    Returns
    -------
    dict
        ``losses`` (ndarray of shape (steps + 1,), before the first step and after each) and
        ``steps`` (or None).
    """
    where = "gd_losses"
    B = _design(as_array(A, where, name="A"))
    Y = as_array(Y, where, name="Y").reshape(len(B), -1)
    steps = check_int(steps, where, "steps", minimum=1)
    m = len(B)
    lr = 1.0 / np.linalg.eigvalsh(B.T @ B / m)[-1]
    V = np.zeros((B.shape[1], Y.shape[1]))
    out = np.empty(steps + 1)
    with one_blas_thread():
        for t in range(steps + 1):
            R = B @ V - Y
            out[t] = np.sum(R ** 2) / (2 * m)
            V -= lr * (B.T @ R) / m
    first = None
    if tol is not None:
        best = np.linalg.lstsq(B, Y, rcond=None)[0]
        best_loss = np.sum((B @ best - Y) ** 2) / (2 * m)
        below = np.nonzero(out - best_loss <= tol * (out[0] - best_loss))[0]
        first = int(below[0]) if below.size else None
    return {"losses": out, "steps": first}


# --------------------------------------------------------------------------------------------
# dead ReLUs
# --------------------------------------------------------------------------------------------
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
    with one_blas_thread():
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
    fig, (ax_b, ax_l) = plt.subplots(1, 2, figsize=(7.6, 3.6))
    ax_b.plot(biases, theory_bias, "-", color=COLORS[0], label="theory")
    ax_b.plot(biases, dead_bias, "o", color=COLORS[3], label="measured")
    ax_b.set_xlabel("bias $b$ of every unit")
    ax_b.set_ylabel("fraction of dead units")
    ax_b.set_title("fresh layer, 1024 units", fontsize=11)
    ax_b.legend(loc="upper right", fontsize=10)
    for j in range(dead_lr.shape[1]):
        ax_l.plot(lrs, dead_lr[:, j], "o", color=COLORS[3], alpha=0.7,
                  label="one network" if j == 0 else None)
    ax_l.plot(lrs, dead_lr.mean(axis=1), "-", color=COLORS[3], label="mean")
    ax_l.set_xscale("log")
    ax_l.set_xlabel("Adam learning rate $\\eta$")
    ax_l.set_ylabel("fraction of dead units")
    ax_l.set_title(f"after {steps} Adam steps", fontsize=11)
    ax_l.legend(loc="upper left", fontsize=10)
    for ax in (ax_b, ax_l):
        ax.set_ylim(-0.03, 1.03)
    fig.suptitle("Negative biases and large steps leave ReLU units dead")
    return fig


# --------------------------------------------------------------------------------------------
# PReLU
# --------------------------------------------------------------------------------------------
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
    fig, (ax_d, ax_s) = plt.subplots(1, 2, figsize=(7.6, 3.6))
    grid = np.linspace(z.min(), z.max(), 200)
    ax_d.scatter(z[:, 0], y[:, 0], s=9, color="#b8b8b8", label="data")
    ax_d.plot(grid, F.prelu(grid, slopes[0]), color=COLORS[1], linestyle="--",
              label=f"start (slope {slopes[0]:g})")
    ax_d.plot(grid, F.prelu(grid, slopes[-1]), color=COLORS[0],
              label=f"trained (slope {slopes[-1]:.3f})")
    ax_d.set_xlabel("input $z$")
    ax_d.set_ylabel("output")
    ax_d.set_title("the unit", fontsize=11)
    ax_d.legend(loc="upper center", fontsize=10)
    t = np.arange(len(slopes))
    ax_s.plot(t, slopes, "o", color=COLORS[0], markersize=3.5, label="gradient descent")
    ax_s.plot(t, predicted, "-", color=COLORS[3], linewidth=1.3, label="closed form")
    ax_s.set_xlabel("gradient step $t$")
    ax_s.set_ylabel("slope $w$ for $z < 0$")
    ax_s.set_title("the learned slope", fontsize=11)
    ax_s.legend(loc="upper right", fontsize=10)
    fig.suptitle("A PReLU learns its negative slope: here -1, the absolute value")
    return fig


# --------------------------------------------------------------------------------------------
# softmax
# --------------------------------------------------------------------------------------------
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
    fig, axes = plt.subplots(1, len(temps), figsize=(min(7.6, 2.4 * len(temps) + 0.5), 3.2),
                             sharey=True, squeeze=False)
    classes = np.arange(1, z.size + 1)
    for ax, T in zip(axes[0], temps, strict=True):
        p = F.softmax(z / T)
        ax.bar(classes, p, color=COLORS[0])
        ax.set_xticks(classes)
        ax.set_xlabel("class $c$")
        ax.set_title(f"T = {T:g}", fontsize=11)
        ax.axhline(1.0 / z.size, color="#777777", linestyle=":", linewidth=1.3)
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("probability $p_c$")
    fig.suptitle("Low temperature sharpens softmax; high flattens it")
    return fig


#: The chapter's live experiments (tests/chapters/test_live.py and the benchmarks enumerate
#: them).
EXPERIMENTS = (comparison_experiment, gradient_depth_experiment)
