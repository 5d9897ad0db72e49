"""Experiments of Chapter 11 (Initialisation).

The chapter's figures, its live experiments and the helpers behind them. Every static figure
is drawn by a ``draw_*`` function that returns a matplotlib Figure; the live experiments are
:class:`book.live.LiveFigure` subclasses, so the notebook's widget, the website's flipbook,
the static small multiples and the tests all draw the same figures.

Contents

- :func:`digits_split`, :func:`probe_batch`: the standardised 8x8 digits and the fixed batch
  of 64 training images on which the deep networks are measured.
- :data:`DIGITS_INITS`, :func:`train_deep_digits`, :func:`draw_init_training`: an 8-layer
  ReLU network trained on the digits from zero, N(0, 0.01^2) and He initial weights.
- :func:`train_symmetry`, :func:`draw_hidden_units`: a 64-32-10 sigmoid network started from
  zeros or from random weights; its hidden units' incoming weights drawn as 8x8 images.
- :func:`signal_profile`: activation std, error-signal std and weight-gradient norm in every
  layer of a deep network, measured with :mod:`nnlib.probes`.
- :func:`slip_profiles`, :func:`draw_slip`: Xavier's variance written as a std, and its std
  written as a variance, in a 10-layer tanh network.
- :class:`DeepSignal`, :func:`deep_signal_experiment`, :func:`draw_deep_signal`: the 50-layer
  experiment (weight std, activation, schemes to compare).
- :func:`symmetry_snapshots`, :class:`SymmetryTraining`, :func:`symmetry_experiment`: the
  hidden units' weights epoch by epoch, from symmetric or random starts.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullLocator

from nnlib import init, probes
from nnlib._checks import check_choice, check_int, check_positive
from nnlib.layers import mlp
from nnlib.losses import CrossEntropyLoss
from nnlib.optim import SGD
from nnlib.plot import COLORS
from nnlib.train import fit

from . import live, shared
from .shared import one_blas_thread

__all__ = [
    "DigitsSplit", "digits_split", "probe_batch", "PROBE_M",
    "DIGITS_INITS", "train_deep_digits", "draw_init_training",
    "train_symmetry", "draw_hidden_units", "weight_spread",
    "SignalProfile", "signal_profile", "per_layer_factor", "SCHEMES", "COMPARE",
    "scheme_std", "ACTIVATIONS", "DEPTH", "WIDTH", "STD_STOPS",
    "SLIP_SETTINGS", "SlipProfile", "slip_profiles", "draw_slip",
    "SIGNAL_YLIM", "DeepSignal", "deep_signal_experiment", "draw_deep_signal",
    "SYMMETRY_INITS", "SYMMETRY_CHOICES", "SYMMETRY_EPOCHS", "SYMMETRY_UNITS",
    "symmetry_snapshots", "SymmetryTraining", "symmetry_experiment",
    "EXPERIMENTS",
]

#: Examples in the fixed probe batch on which the deep networks are measured.
PROBE_M = 64
#: Depth D (weight layers) and hidden width n of the 50-layer experiment. The digits have 64
#: pixels, so every weight matrix but the last is 64 x 64: n_in = n_out = 64.
DEPTH = 50
WIDTH = 64
#: The activations of the 50-layer experiment.
ACTIVATIONS = ("relu", "tanh", "selu")
#: The schemes the 50-layer experiment compares with: nnlib's initializer name -> (label,
#: the weight variance as a multiple of 1 / n_in, the figure's legend entry).
SCHEMES = {"he": ("He: 2/n", 2.0, "He: $2/n$"),
           "lecun": ("LeCun (= Xavier here): 1/n", 1.0, "LeCun = Xavier: $1/n$"),
           "torch": ("PyTorch default: 1/(3n)", 1.0 / 3.0, "PyTorch: $1/(3n)$")}
#: The choices of the 50-layer experiment's "compare with" menu: label and the schemes drawn.
COMPARE = {"he": ("He: 2/n", ("he",)), "lecun": ("LeCun = Xavier: 1/n", ("lecun",)),
           "torch": ("PyTorch: 1/(3n)", ("torch",)),
           "all": ("all three", ("he", "lecun", "torch")), "none": ("none", ())}
#: The y range of both panels of :class:`DeepSignal`: the same for every setting, so that
#: frames compare. The curves stay between about 1e-62 and 1e39; the band above 1e42 holds
#: the notes.
SIGNAL_YLIM = (1e-66, 1e64)

_NAMES = {"relu": "ReLU", "tanh": "tanh", "selu": "SELU"}


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
class DigitsSplit(NamedTuple):
    """The 8x8 digits split 70/15/15 (stratified, seed 0), standardised with the training
    set's per-pixel mean and std. Arrays are read-only."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@functools.lru_cache(maxsize=1)
def digits_split() -> DigitsSplit:
    """The standardised digits, split once (the result is cached and read-only).

    Standardising makes every pixel's mean 0 and std 1 over the training set (pixels that
    are always 0 stay 0): the inputs the variance argument of Chapter 11 assumes.

    Returns
    -------
    DigitsSplit

    Examples
    --------
    >>> s = digits_split()
    >>> s.X_train.shape, s.X_val.shape, s.X_test.shape
    ((1259, 64), (270, 64), (268, 64))
    >>> abs(float(s.X_train.mean())) < 1e-12
    True
    """
    return DigitsSplit(*shared.digits_split(copy=False, standardized=True))


def probe_batch(m: int = PROBE_M):
    """The first ``m`` (already shuffled) standardised training digits and their labels.

    Examples
    --------
    >>> X, y = probe_batch()
    >>> X.shape, y.shape
    ((64, 64), (64,))
    """
    m = check_int(m, "probe_batch", "m", minimum=1)
    s = digits_split()
    return s.X_train[:m], s.y_train[:m]


# --------------------------------------------------------------------------------------------
# initialisers by name
# --------------------------------------------------------------------------------------------
def _normal_std(std):
    """An initializer drawing N(0, std^2) (``std`` is a standard deviation)."""
    f = functools.partial(init.normal, std=float(std))
    f.__name__ = f"normal(std={std:g})"
    return f


def _constant(value):
    def constant(shape, rng=None, dtype=np.float64):
        return init.constant(shape, value, dtype=dtype)

    return constant


def scheme_std(scheme: str, n_in: int = WIDTH) -> float:
    """The weight std of a scheme of :data:`SCHEMES` for a layer with ``n_in`` inputs.

    Examples
    --------
    >>> round(scheme_std("he"), 4), round(scheme_std("lecun"), 4)
    (0.1768, 0.125)
    """
    check_choice(scheme, tuple(SCHEMES), "scheme_std", "scheme")
    n_in = check_int(n_in, "scheme_std", "n_in", minimum=1)
    return math.sqrt(SCHEMES[scheme][1] / n_in)


#: The weight stds the 50-layer experiment's slider stops at (8 per decade, 0.01 to 1).
STD_STOPS = tuple(live.LogSlider(0.01, 1.0, per_decade=8).values())


def _stop(std) -> float:
    """A slider value rounded as the slider's stops are (6 significant digits)."""
    return float(f"{float(std):.6g}")


# --------------------------------------------------------------------------------------------
# a deep network on the digits, from three starting points
# --------------------------------------------------------------------------------------------
#: The three starts of the chapter's digits network: label and initializer.
DIGITS_INITS = {
    "zeros": ("all zeros", "zeros"),
    "small": (r"$\mathcal{N}(0, 0.01^2)$", _normal_std(0.01)),
    "he": (r"He, $\mathcal{N}(0, 2/n_\mathrm{in})$", "he"),
}


def train_deep_digits(start="he", depth=8, width=64, epochs=30, lr=0.05, batch_size=32,
                      seed=0):
    """Train a ReLU MLP ``[64] + [width] * (depth - 1) + [10]`` on the standardised digits.

    Plain minibatch SGD on the cross-entropy, every bias starting at zero; only the initial
    weights depend on ``start``. Uses one BLAS thread and records nnlib's diagnostics.

    Parameters
    ----------
    start : {"zeros", "small", "he"} or callable
        A key of :data:`DIGITS_INITS`, or any initializer ``f(shape, rng=, dtype=)``.
    depth : int
        D, the number of weight layers.
    width, epochs, batch_size, seed : int
    lr : float

    Returns
    -------
    net : nnlib.core.Sequential
    history : nnlib.train.History
        With validation loss and accuracy per epoch and the per-layer diagnostics.

    Examples
    --------
    >>> net, h = train_deep_digits("zeros", depth=3, epochs=2)
    >>> h.epochs, bool(np.all(net[0].weight.data == 0))
    (2, True)
    """
    where = "train_deep_digits"
    if isinstance(start, str):
        weights = DIGITS_INITS[check_choice(start, tuple(DIGITS_INITS), where, "start")][1]
    elif callable(start):
        weights = start
    else:
        raise TypeError(f"{where}: expected start to be one of {tuple(DIGITS_INITS)} or an "
                        f"initializer, got {type(start).__name__}.")
    depth = check_int(depth, where, "depth", minimum=2)
    width = check_int(width, where, "width", minimum=1)
    s = digits_split()
    net = mlp([64] + [width] * (depth - 1) + [10], "relu", init=weights, rng=seed)
    history = fit(net, CrossEntropyLoss(), SGD(net.parameters(), lr=lr), s.X_train, s.y_train,
                  epochs=epochs, batch_size=batch_size, validation=(s.X_val, s.y_val),
                  rng=seed, progress=False, blas_threads=1)
    return net, history


_START_STYLES = {"zeros": (COLORS[3], "--", "o"), "small": (COLORS[1], ":", "s"),
                 "he": (COLORS[0], "-", None)}


def draw_init_training(histories: dict) -> Figure:
    """Training loss and validation accuracy per epoch, one curve per starting point.

    Parameters
    ----------
    histories : dict
        Key of :data:`DIGITS_INITS` -> History (from :func:`train_deep_digits`).

    Returns
    -------
    Figure

    Examples
    --------
    >>> hs = {k: train_deep_digits(k, depth=3, epochs=2)[1] for k in ("zeros", "he")}
    >>> fig = draw_init_training(hs)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['epoch', 'epoch']
    >>> plt.close(fig)
    """
    unknown = [k for k in histories if k not in DIGITS_INITS]
    if unknown or not histories:
        raise ValueError(f"draw_init_training: expected histories keyed by "
                         f"{tuple(DIGITS_INITS)}, got keys {list(histories)}.")
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.6, 3.6))
    for key, h in histories.items():
        color, style, marker = _START_STYLES[key]
        every = 0 if key == "zeros" else 2         # the two flat curves coincide: offset marks
        kw = dict(color=color, ls=style, marker=marker, markevery=(every, 4), ms=6, lw=2.2,
                  label=DIGITS_INITS[key][0])
        left.plot(h.epoch, h.train_loss, **kw)
        right.plot(h.epoch, np.asarray(h.val_acc) * 100, **kw)
    left.set_yscale("log")
    left.axhline(math.log(10), color="#777777", lw=1, zorder=1)
    left.text(29, math.log(10) / 1.5, r"guessing: $\ln 10$", color="#555555", fontsize=10,
              ha="right", va="top")
    left.set_xlabel("epoch")
    left.set_ylabel("training loss (log scale)")
    left.set_title("(a) Training loss")
    right.set_xlabel("epoch")
    right.set_ylabel("validation accuracy (%)")
    right.set_ylim(0, 100)
    right.set_title("(b) Validation accuracy")
    right.legend(loc="center right", fontsize=10)
    fig.suptitle("Same network, data and optimiser: only the He start learns", x=0.02,
                 ha="left")
    return fig


# --------------------------------------------------------------------------------------------
# symmetry: a zero-initialised network keeps identical hidden units
# --------------------------------------------------------------------------------------------
#: The starts of the symmetry experiment: label, weight initializer and the hidden biases
#: (a value, or "random" for N(0, 1) draws). The output biases start at 0. "tiny" draws
#: weights of std 1e-15, the size of round-off: almost, but not exactly, symmetric.
SYMMETRY_INITS = {
    "zeros": ("zero weights and biases", "zeros", 0.0),
    "bias": ("zero weights, biases 0.1", "zeros", 0.1),
    "random_bias": ("zero weights, random biases", "zeros", "random"),
    "xavier": ("Xavier (random) weights", "xavier", 0.0),
    "tiny": ("weights of std 1e-15", _normal_std(1e-15), 0.0),
}
#: The starts the live experiment offers.
SYMMETRY_CHOICES = ("zeros", "bias", "random_bias", "xavier")


def train_symmetry(start="zeros", hidden=32, epochs=20, lr=0.1, seed=0, snapshots=False):
    """Train a 64-hidden-10 sigmoid network on the digits from a symmetric or random start.

    Minibatch SGD (batch 32, momentum 0.9) on the cross-entropy, one BLAS thread.

    Parameters
    ----------
    start : {"zeros", "bias", "random_bias", "xavier", "tiny"}
        A key of :data:`SYMMETRY_INITS`.
    hidden : int
        Hidden units.
    epochs : int
    lr : float
    seed : int
    snapshots : bool
        Also return the first layer's weights before training and after every epoch.

    Returns
    -------
    net : Sequential
        ``Linear(64, hidden), Sigmoid, Linear(hidden, 10)``.
    history : History
    W1s : ndarray of shape (epochs + 1, hidden, 64)
        Only with ``snapshots=True``.

    Examples
    --------
    >>> net, h = train_symmetry("zeros", hidden=4, epochs=2)
    >>> W1 = net[0].weight.data
    >>> bool(np.all(W1 == W1[0])) and bool(np.any(W1 != 0))
    True
    """
    where = "train_symmetry"
    _, weights, bias = SYMMETRY_INITS[check_choice(start, tuple(SYMMETRY_INITS), where,
                                                   "start")]
    hidden = check_int(hidden, where, "hidden", minimum=1)
    epochs = check_int(epochs, where, "epochs", minimum=1)
    s = digits_split()
    net = mlp([64, hidden, 10], "sigmoid", init=weights, rng=seed)
    if bias == "random":
        net[0].bias.data[:] = np.random.default_rng(seed + 1).normal(size=hidden)
    else:
        net[0].bias.data[:] = bias
    W1s = [net[0].weight.data.copy()]

    def keep(epoch, history, model):
        W1s.append(model[0].weight.data.copy())

    history = fit(net, CrossEntropyLoss(), SGD(net.parameters(), lr=lr, momentum=0.9),
                  s.X_train, s.y_train, epochs=epochs, batch_size=32,
                  validation=(s.X_val, s.y_val), rng=seed, progress=False, diagnostics=False,
                  blas_threads=1, callbacks=[keep] if snapshots else ())
    if snapshots:
        return net, history, np.array(W1s)
    return net, history


def weight_spread(net) -> dict:
    """How different the hidden units of a 64-hidden-10 network are.

    Returns
    -------
    dict
        ``W1``: the largest |W1[j, k] - W1[0, k]| (incoming weights; 0 if all rows are
        equal), ``b1``: the largest |b1[j] - b1[0]|, ``W2``: the largest
        |W2[c, j] - W2[c, 0]| (outgoing weights; 0 if all columns are equal).

    Examples
    --------
    >>> net, _ = train_symmetry("zeros", hidden=4, epochs=1)
    >>> weight_spread(net)
    {'W1': 0.0, 'b1': 0.0, 'W2': 0.0}
    """
    W1, b1, W2 = net[0].weight.data, net[0].bias.data, net[2].weight.data
    return {"W1": float(np.abs(W1 - W1[:1]).max()), "b1": float(np.abs(b1 - b1[0]).max()),
            "W2": float(np.abs(W2 - W2[:, :1]).max())}


def _plain_tile(ax, anchor="C"):
    """An axes for one 8x8 image: no ticks, a thin grey frame."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_anchor(anchor)
    for side in ax.spines.values():
        side.set_visible(True)
        side.set_color("#999999")
        side.set_linewidth(0.8)


def _tiles(fig, W1, n_units, ncols, vmax):
    """``n_units`` rows of W1 as 8x8 images in a grid of axes on ``fig`` (a (Sub)Figure)."""
    nrows = math.ceil(n_units / ncols)
    axes = fig.subplots(nrows, ncols)
    images = []
    for j, ax in enumerate(np.ravel(axes)):
        row = j // ncols               # pull the rows together, away from the edges
        _plain_tile(ax, "C" if nrows == 1 else "S" if row < nrows / 2 else "N")
        images.append(ax.imshow(W1[j].reshape(8, 8), cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                                interpolation="nearest"))
    return axes, images


def draw_hidden_units(nets: dict, n_units: int = 16, accuracies: dict | None = None) -> Figure:
    """The incoming weights of the first ``n_units`` hidden units of each network, as 8x8
    images (red positive, blue negative).

    Parameters
    ----------
    nets : dict
        A title -> a 64-hidden-10 network (e.g. from :func:`train_symmetry`).
    n_units : int
        Units drawn per network (8 per row).
    accuracies : dict, optional
        The same titles -> validation accuracy, appended to the titles.

    Returns
    -------
    Figure

    Examples
    --------
    >>> net, _ = train_symmetry("zeros", hidden=8, epochs=1)
    >>> fig = draw_hidden_units({"zeros": net}, n_units=8)
    >>> len(fig.axes)
    8
    >>> plt.close(fig)
    """
    n_units = check_int(n_units, "draw_hidden_units", "n_units", minimum=1)
    ncols = min(8, n_units)
    rows = math.ceil(n_units / ncols)
    fig = plt.figure(figsize=(7.4, 0.9 * rows * len(nets) + 0.45 * len(nets)),
                     layout="constrained")
    subs = np.atleast_1d(fig.subfigures(len(nets), 1))
    for sub, (title, net) in zip(subs, nets.items(), strict=True):
        W1 = net[0].weight.data
        if W1.shape[1] != 64 or W1.shape[0] < n_units:
            raise ValueError(f"draw_hidden_units: expected a first layer with 64 inputs and at "
                             f"least {n_units} units, got weight shape {W1.shape}.")
        vmax = float(np.abs(W1).max()) or 1.0
        _tiles(sub, W1, n_units, ncols, vmax)
        acc = f" (validation accuracy {accuracies[title]:.0%})" if accuracies else ""
        sub.suptitle(title + acc, x=0.01, ha="left", fontsize=11.5)
    return fig


# --------------------------------------------------------------------------------------------
# measuring a deep network, layer by layer
# --------------------------------------------------------------------------------------------
class SignalProfile(NamedTuple):
    """Per-layer measurements of one forward and backward pass (see :func:`signal_profile`).

    ``act_std``: std of a^(l) for the D - 1 hidden layers; ``z_std``: std of z^(l) for
    l = 1..D; ``delta_std``: std of delta^(l) = dL/dz^(l); ``grad_norm``: ||dL/dW^(l)||.
    """

    act_std: np.ndarray
    z_std: np.ndarray
    delta_std: np.ndarray
    grad_norm: np.ndarray


def _measure(net, X, y):
    """One probes.trace of ``net`` on (X, y) with the cross-entropy, as a SignalProfile."""
    with np.errstate(over="ignore", under="ignore"), one_blas_thread():
        records = probes.trace(net, X, y, CrossEntropyLoss())
    linear = [r for r in records.values() if r.grad_norm is not None]
    acts = [r for r in records.values() if r.layer.is_activation]
    out = SignalProfile(np.array([r.output.std() for r in acts]),
                        np.array([r.output.std() for r in linear]),
                        np.array([r.delta.std() for r in linear]),
                        np.array([r.grad_norm for r in linear]))
    for a in out:
        a.setflags(write=False)
    return out


@functools.lru_cache(maxsize=512)
def _profile(activation, std, scheme, depth, width, seed):
    weights = _normal_std(std) if scheme is None else scheme
    net = mlp([64] + [width] * (depth - 1) + [10], activation, init=weights, rng=seed)
    return _measure(net, *probe_batch())


def signal_profile(activation="relu", std=None, scheme=None, depth=DEPTH, width=WIDTH,
                   seed=0) -> SignalProfile:
    """Activations and gradients in every layer of a fresh deep MLP on 64 digits.

    The network is ``mlp([64] + [width] * (depth - 1) + [10], activation)`` with biases 0 and
    weights N(0, std^2) (a std, not a variance) or from a named scheme; one forward and one
    backward pass of the cross-entropy on :func:`probe_batch`, measured by
    :func:`nnlib.probes.trace`. Results are cached.

    Parameters
    ----------
    activation : {"relu", "tanh", "selu", "sigmoid"}
    std : float, optional
        The weights' standard deviation. Give ``std`` or ``scheme``.
    scheme : {"he", "lecun", "xavier", "torch"}, optional
        An initializer of :data:`nnlib.init.INITIALIZERS`.
    depth : int
        D, the number of weight layers (at least 2).
    width : int
    seed : int

    Returns
    -------
    SignalProfile

    Examples
    --------
    >>> p = signal_profile("relu", scheme="he")
    >>> p.act_std.shape, p.grad_norm.shape
    ((49,), (50,))
    >>> bool(signal_profile("relu", std=0.01).act_std[-1] < 1e-50)
    True
    """
    where = "signal_profile"
    check_choice(activation, ("relu", "tanh", "selu", "sigmoid"), where, "activation")
    if (std is None) == (scheme is None):
        raise ValueError(f"{where}: give either std or scheme, got std={std!r} and "
                         f"scheme={scheme!r}.")
    if scheme is not None:
        check_choice(scheme, tuple(init.INITIALIZERS), where, "scheme")
    else:
        std = check_positive(std, where, "std")
    depth = check_int(depth, where, "depth", minimum=2)
    width = check_int(width, where, "width", minimum=1)
    seed = check_int(seed, where, "seed", minimum=0)
    return _profile(activation, std, scheme, depth, width, seed)


def per_layer_factor(values) -> float:
    """The geometric-mean factor per layer from the first value to the last,
    ``(v[-1] / v[0]) ** (1 / (len(v) - 1))``.

    Examples
    --------
    >>> per_layer_factor([1.0, 0.1, 0.01])
    0.1
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) < 2 or np.any(v <= 0):
        raise ValueError(f"per_layer_factor: expected a 1-D array of at least two positive "
                         f"values, got {v!r}.")
    return float(round(math.exp(math.log(v[-1] / v[0]) / (len(v) - 1)), 12))


# --------------------------------------------------------------------------------------------
# the std/variance slip, measured
# --------------------------------------------------------------------------------------------
#: The slip experiment's three weight draws for a layer with n_in = n_out = n, where
#: v = 2 / (n_in + n_out) is Xavier's variance: label and the std as a function of v.
SLIP_SETTINGS = {
    "correct": (r"correct: $\mathcal{N}(0, v)$, std $\sqrt{v}$", lambda v: math.sqrt(v)),
    "var_as_std": (r"$v$ used as the std: variance $v^2$", lambda v: v),
    "std_as_var": (r"$\sqrt{v}$ used as the variance", lambda v: v ** 0.25),
}


class SlipProfile(NamedTuple):
    """``std``: the weights' std; ``z_std``: std of z^(l), l = 1..D; ``saturated``: fraction
    of tanh outputs with |a| > 0.99 in each of the D - 1 hidden layers."""

    std: float
    z_std: np.ndarray
    saturated: np.ndarray


def slip_profiles(width=100, depth=10, m=500, seed=0) -> dict:
    """Pre-activation std per layer of a tanh network for the three draws of
    :data:`SLIP_SETTINGS`.

    The network is ``mlp([width] * (depth + 1), "tanh")``: every layer has
    n_in = n_out = width, so Xavier's variance is v = 1 / width. Inputs: ``m`` rows of
    N(0, 1) noise (``seed``); the weights use the same seed in every setting, so the three
    networks differ by a factor only.

    Returns
    -------
    dict
        Key of :data:`SLIP_SETTINGS` -> SlipProfile.

    Examples
    --------
    >>> p = slip_profiles(width=50, depth=4, m=200)
    >>> round(p["correct"].std, 4), round(p["var_as_std"].std, 4)
    (0.1414, 0.02)
    """
    where = "slip_profiles"
    width = check_int(width, where, "width", minimum=2)
    depth = check_int(depth, where, "depth", minimum=2)
    m = check_int(m, where, "m", minimum=2)
    X = np.random.default_rng(seed).normal(size=(m, width))
    v = 2.0 / (width + width)
    out = {}
    for key, (_, std_of) in SLIP_SETTINGS.items():
        std = std_of(v)
        net = mlp([width] * (depth + 1), "tanh", init=_normal_std(std), rng=seed)
        with one_blas_thread():
            records = probes.trace(net, X)
        z = np.array([r.output.std() for r in records.values() if not r.layer.is_activation])
        sat = np.array([np.mean(np.abs(r.output) > 0.99) for r in records.values()
                        if r.layer.is_activation])
        out[key] = SlipProfile(std, z, sat)
    return out


_SLIP_STYLES = {"correct": (COLORS[0], "-", "o"), "var_as_std": (COLORS[3], "--", "v"),
                "std_as_var": (COLORS[2], "-.", "^")}


def draw_slip(profiles: dict) -> Figure:
    """Pre-activation std and saturated fraction per layer for the three draws.

    Parameters
    ----------
    profiles : dict
        From :func:`slip_profiles`.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_slip(slip_profiles(width=50, depth=4, m=200))
    >>> fig.axes[0].get_yscale(), fig.axes[1].get_ylabel()
    ('log', 'saturated tanh units (%)')
    >>> plt.close(fig)
    """
    if set(profiles) != set(SLIP_SETTINGS):
        raise ValueError(f"draw_slip: expected profiles for {tuple(SLIP_SETTINGS)}, got "
                         f"{tuple(profiles)}.")
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.6, 3.7))
    for key, p in profiles.items():
        color, style, marker = _SLIP_STYLES[key]
        kw = dict(color=color, ls=style, marker=marker, ms=5, lw=2)
        layers = np.arange(1, len(p.z_std) + 1)
        left.plot(layers, p.z_std, label=SLIP_SETTINGS[key][0], **kw)
        right.plot(layers[:-1], p.saturated * 100, **kw)
    left.set_yscale("log")
    left.set_xlabel("layer $l$")
    left.set_ylabel(r"std of $z^{(l)}$ (log scale)")
    left.set_title("(a) Pre-activations")
    right.set_xlabel("layer $l$")
    right.set_ylabel("saturated tanh units (%)")
    right.set_ylim(-3, 100)
    right.set_title(r"(b) Units with $|a| > 0.99$")
    for ax in (left, right):
        ax.set_xticks(np.arange(1, len(layers) + 1, max(1, len(layers) // 5)))
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncol=3,
               fontsize=10)
    fig.suptitle("Off by a square root: one slip makes the signal vanish, the other "
                 "saturates the units", x=0.02, ha="left", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# the 50-layer experiment
# --------------------------------------------------------------------------------------------
_SCHEME_STYLES = {"he": (COLORS[1], (0, (5, 2))), "lecun": (COLORS[2], (0, (2, 1.5))),
                  "torch": (COLORS[4], (0, (6, 2, 1.5, 2)))}


def _sci(x: float) -> str:
    """0.057, 1.2 or 3e-61: two significant digits, scientific outside [0.01, 1000)."""
    return f"{x:.2g}" if 1e-2 <= abs(x) < 1e3 else f"{x:.0e}".replace("e+", "e")


@functools.cache
def _sweep(activation):
    """Measure every slider stop and every scheme for ``activation`` once (about half a
    second), so that a move of the slider only redraws."""
    for std in STD_STOPS:
        _profile(activation, std, None, DEPTH, WIDTH, 0)
    for key in SCHEMES:
        _profile(activation, None, key, DEPTH, WIDTH, 0)
    return True


class DeepSignal(live.LiveFigure):
    """The 50-layer experiment: activation std and weight-gradient norm per layer.

    Controls: ``std`` (the weights' standard deviation s, a log slider), ``activation``
    (:data:`ACTIVATIONS`) and ``compare`` (a key of :data:`COMPARE`: the schemes drawn
    dashed). Both panels have the fixed range :data:`SIGNAL_YLIM`, so frames compare;
    a note in each panel gives the measured factor per layer (left) and the range of the
    gradient norms over the layers (right).

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(DeepSignal())
    >>> png = r.png({"std": 0.01, "activation": "relu", "compare": "he"})
    >>> r.live.notes[0].get_text()
    'activation std: ×0.057 per layer'
    >>> r.close()
    """

    size = (7.6, 3.9)

    def build(self, fig, std, activation, compare):
        axes = fig.subplots(1, 2, sharey=True)
        self.axes = axes
        titles = ("Activations: std of $a^{(l)}$",
                  r"Gradients: $\|\partial L / \partial W^{(l)}\|$")
        for ax, title in zip(axes, titles, strict=True):
            ax.set_yscale("log")
            ax.set_ylim(*SIGNAL_YLIM)
            ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(-60, 41, 20)))
            ax.axhspan(1e42, SIGNAL_YLIM[1], color="#f4f4f4", lw=0, zorder=0)
            ax.yaxis.set_minor_locator(NullLocator())
            ax.set_xlim(0, DEPTH + 1)
            ax.set_xticks([1, 10, 20, 30, 40, 50])
            ax.set_xlabel("layer $l$")
            ax.set_title(title, fontsize=11.5)
            ax.axhline(1.0, color="#999999", lw=1.0, zorder=1)
        axes[0].set_ylabel("value (log scale)")
        self.main = [ax.plot([], [], color=COLORS[0], lw=2.4, zorder=4)[0] for ax in axes]
        self.refs = {k: [ax.plot([], [], color=c, ls=ls, lw=2.0, zorder=3)[0] for ax in axes]
                     for k, (c, ls) in _SCHEME_STYLES.items()}
        self.notes = [ax.text(0.03, 0.97, "", transform=ax.transAxes, ha="left", va="top",
                              fontsize=10.5, color=COLORS[0], zorder=5) for ax in axes]
        handles = [Line2D([], [], color=COLORS[0], lw=2.4)]
        handles += [Line2D([], [], color=c, ls=ls, lw=2.0) for c, ls in _SCHEME_STYLES.values()]
        labels = [r"$\mathcal{N}(0, s^2)$"] + [entry for _, _, entry in SCHEMES.values()]
        fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=10,
                   handlelength=2.2, columnspacing=1.2)
        self.animate(*self.main, *[line for pair in self.refs.values() for line in pair],
                     *self.notes)

    def update(self, std, activation, compare):
        _sweep(activation)
        p = _profile(activation, _stop(std), None, DEPTH, WIDTH, 0)
        hidden, layers = np.arange(1, DEPTH), np.arange(1, DEPTH + 1)
        self.main[0].set_data(hidden, p.act_std)
        self.main[1].set_data(layers, p.grad_norm)
        for key, (left, right) in self.refs.items():
            q = _profile(activation, None, key, DEPTH, WIDTH, 0)
            left.set_data(hidden, q.act_std)
            right.set_data(layers, q.grad_norm)
            left.set_visible(key in COMPARE[compare][1])
            right.set_visible(key in COMPARE[compare][1])
        self.notes[0].set_text(f"activation std: ×{_sci(per_layer_factor(p.act_std))} "
                               f"per layer")
        self.notes[1].set_text(f"all layers: {_sci(p.grad_norm.min())} "
                               f"to {_sci(p.grad_norm.max())}")

    def describe(self, std, activation, compare):
        p = _profile(activation, _stop(std), None, DEPTH, WIDTH, 0)
        parts = []
        for key, (label, _, _) in SCHEMES.items():
            q = _profile(activation, None, key, DEPTH, WIDTH, 0)
            parts.append(f"{label.split(':')[0]} (std {scheme_std(key):.3g}) "
                         f"{_sci(q.act_std[-1])}")
        return (f"{DEPTH}-layer {_NAMES[activation]} network, {WIDTH} units per layer, "
                f"weights drawn with std s = {float(std):.6g}, measured on {PROBE_M} digits: "
                f"the activation std goes from {_sci(p.act_std[0])} in layer 1 to "
                f"{_sci(p.act_std[-1])} in layer {DEPTH - 1} "
                f"(×{_sci(per_layer_factor(p.act_std))} per layer), and the weight-gradient "
                f"norms lie between {_sci(p.grad_norm.min())} and {_sci(p.grad_norm.max())}. "
                f"Activation std in layer {DEPTH - 1} for the schemes: " + ", ".join(parts)
                + ".")


def deep_signal_experiment() -> live.Experiment:
    """The chapter's main live experiment: :class:`DeepSignal` with its controls.

    On the website: 9 weight stds from 0.01 to 1 (four per decade), three activations and
    five choices of schemes to compare with (135 frames).
    """
    slider = live.LogSlider(0.01, 1.0, per_decade=8, value=0.01, label="weight std s",
                            web=STD_STOPS[::2])     # four stops per decade on the website
    return live.Experiment(
        "deep-signal", DeepSignal(), parallel=False,   # the kernel has the sweeps cached
        title="Activations and gradients through 50 layers at initialisation",
        caption=("One forward and one backward pass of 64 standardised digits through an "
                 "untrained 50-layer network with 64 units per layer; weights drawn from "
                 "N(0, s²), biases 0. Dashed: the schemes chosen under \"compare with\". "
                 "Grey line: 1."),
        controls=dict(
            std=slider,
            activation=live.Choice([(_NAMES[a], a) for a in ACTIVATIONS], "relu",
                                   label="activation"),
            compare=live.Choice([(label, k) for k, (label, _) in COMPARE.items()], "he",
                                label="compare with")))


def draw_deep_signal(settings=None, titles=None) -> Figure:
    """The static version of the 50-layer experiment: :class:`DeepSignal` for a few settings,
    stacked.

    Parameters
    ----------
    settings : sequence of dict, optional
        Values of ``std``, ``activation`` and ``compare``; by default ReLU at s = 0.01 and at
        s = 1 against He, and tanh at s = 1 against LeCun.
    titles : sequence of str, optional

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_deep_signal([{"std": 0.1, "activation": "relu", "compare": "he"}],
    ...                        titles=["ReLU"])
    >>> len(fig.axes), fig.axes[0].get_xlabel()
    (2, 'layer $l$')
    >>> plt.close(fig)
    """
    if settings is None:
        settings = [{"std": 0.01, "activation": "relu", "compare": "he"},
                    {"std": 1.0, "activation": "relu", "compare": "he"},
                    {"std": 1.0, "activation": "tanh", "compare": "lecun"}]
    for s in settings:
        check_choice(s.get("activation"), ACTIVATIONS, "draw_deep_signal", "activation")
        check_positive(s.get("std"), "draw_deep_signal", "std")
        check_choice(s.get("compare"), tuple(COMPARE), "draw_deep_signal", "compare")
    return live.small_multiples(DeepSignal(), list(settings), ncols=1, titles=titles)


# --------------------------------------------------------------------------------------------
# the symmetry experiment: hidden units epoch by epoch
# --------------------------------------------------------------------------------------------
#: Epochs of the symmetry experiment, and hidden units drawn.
SYMMETRY_EPOCHS = 20
SYMMETRY_UNITS = 16


@functools.lru_cache(maxsize=8)
def symmetry_snapshots(start: str):
    """First-layer weights of :func:`train_symmetry` (32 hidden units) after every epoch,
    and the validation accuracy per epoch (cached).

    Returns
    -------
    W1s : ndarray of shape (SYMMETRY_EPOCHS + 1, 32, 64), read-only
    val_acc : ndarray of shape (SYMMETRY_EPOCHS + 1,), NaN before training

    Examples
    --------
    >>> W1s, acc = symmetry_snapshots("zeros")
    >>> W1s.shape, bool(np.all(W1s[-1] == W1s[-1][0]))
    ((21, 32, 64), True)
    """
    check_choice(start, tuple(SYMMETRY_INITS), "symmetry_snapshots", "start")
    _, h, W1s = train_symmetry(start, epochs=SYMMETRY_EPOCHS, snapshots=True)
    acc = np.concatenate([[np.nan], h.val_acc])
    W1s.setflags(write=False)
    acc.setflags(write=False)
    return W1s, acc


def _mosaic(W, ncols=8, pixel=4, gap=1):
    """Rows of W (64 weights each) as 8x8 tiles in one array: each weight a ``pixel`` x
    ``pixel`` block, ``ncols`` tiles per row, ``gap`` cells of NaN between tiles (drawn in
    the colour map's "bad" colour)."""
    n = len(W)
    nrows = math.ceil(n / ncols)
    step = 8 * pixel + gap
    out = np.full((nrows * step - gap, ncols * step - gap), np.nan)
    block = np.ones((pixel, pixel))
    for j in range(n):
        r, c = divmod(j, ncols)
        out[r * step:r * step + 8 * pixel, c * step:c * step + 8 * pixel] = \
            np.kron(W[j].reshape(8, 8), block)
    return out


class SymmetryTraining(live.LiveFigure):
    """16 hidden units' incoming weights as 8x8 images, epoch by epoch.

    Controls: ``epoch`` (a Play from 0 to :data:`SYMMETRY_EPOCHS`) and ``start`` (a key of
    :data:`SYMMETRY_CHOICES`). The tiles form one image (a mosaic with grey gaps), coloured
    here rather than by matplotlib, so that a frame draws quickly; the epoch, the validation
    accuracy and how much the units differ are in the text alternative shown under it. The
    colour scale is fixed per start (the largest weight over all epochs), so that growth is
    visible.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(SymmetryTraining())
    >>> png = r.png({"epoch": 3, "start": "zeros"})
    >>> r.live.image.get_array().shape
    (65, 263, 4)
    >>> r.close()
    """

    size = (7.4, 1.85)
    rebuild_on = ("start",)    # the colour scale (and its colour bar) follows the start

    def build(self, fig, epoch, start):
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        W1s, _ = symmetry_snapshots(start)
        fig.set_layout_engine("none")            # placed by hand: one image, a colour bar
        ax = fig.add_axes((0.01, 0.02, 0.86, 0.96))
        ax.set_axis_off()
        vmax = float(np.abs(W1s).max()) or 1.0     # the largest weight over all epochs
        self.cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#8c8c8c")
        self.norm = Normalize(-vmax, vmax)
        self.image = ax.imshow(self._colours(W1s[0]), interpolation="nearest")
        bar = fig.colorbar(ScalarMappable(self.norm, self.cmap),
                           cax=fig.add_axes((0.895, 0.1, 0.02, 0.8)))
        bar.set_label("weight", fontsize=10)
        bar.ax.tick_params(labelsize=10)
        self.animate(self.image)

    def _colours(self, W):
        """The mosaic of the first units of W as RGBA bytes."""
        return self.cmap(self.norm(_mosaic(W[:SYMMETRY_UNITS])), bytes=True)

    def update(self, epoch, start):
        W1s, _ = symmetry_snapshots(start)
        self.image.set_data(self._colours(W1s[int(epoch)]))

    def describe(self, epoch, start):
        W1s, acc = symmetry_snapshots(start)
        W = W1s[int(epoch)]
        spread = float(np.abs(W - W[:1]).max())
        score = ("before training" if np.isnan(acc[int(epoch)])
                 else f"validation accuracy {acc[int(epoch)]:.0%}")
        same = ("all units have exactly the same weights" if spread == 0
                else f"the units' weights differ by up to {spread:.2g}")
        return (f"Incoming weights of 16 of the 32 hidden units at epoch {int(epoch)} of "
                f"{SYMMETRY_EPOCHS}, start: {SYMMETRY_INITS[start][0]}; {score}; {same}.")


def symmetry_experiment() -> live.Experiment:
    """The hidden units learning (or not) from three starts; press Play."""
    return live.Experiment(
        "symmetry", SymmetryTraining(), parallel=False,   # cheaper than starting workers
        title="Do the hidden units become different?",
        caption=("The incoming weights of 16 of the 32 hidden units of a 64-32-10 sigmoid "
                 "network trained on the digits, drawn as 8x8 images (red positive, blue "
                 "negative), after each epoch."),
        controls=dict(
            epoch=live.Play(0, SYMMETRY_EPOCHS, value=SYMMETRY_EPOCHS, interval=700,
                            label="epoch"),
            start=live.Choice([(SYMMETRY_INITS[k][0], k) for k in SYMMETRY_CHOICES],
                              "zeros", label="start")))


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks enumerate them).
EXPERIMENTS = (deep_signal_experiment, symmetry_experiment)
