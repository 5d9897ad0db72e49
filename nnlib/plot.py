"""Plots for the book: one style, and the figures every chapter draws again and again.

Decision regions of a classifier, loss curves, histograms of each layer's activations,
per-layer gradient norms, a drawing of the network itself, and the training dashboard of
Chapter 16. Every function takes an optional ``ax`` (or creates its own figure), returns the
matplotlib Axes or Figure it drew on, and never calls ``plt.show()``: the notebook shows the
figure, and ``myst_nb.glue`` can store it.
"""

from __future__ import annotations

import math

import matplotlib as mpl
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, ListedColormap, Normalize, to_rgb

from ._checks import as_array, check_int, check_module
from .core import Module
from .dropout import Dropout
from .layers import Flatten, Identity
from .probes import gradient_norms as layer_grad_norms
from .probes import layer_outputs, named_layers
from .train import History, _labels_from_targets, predict_proba

__all__ = [
    "COLORS",
    "MARKERS",
    "use_book_style",
    "decision_boundary",
    "loss_curves",
    "activation_histograms",
    "gradient_norms",
    "network_diagram",
    "diagnostics",
]

#: The Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008): eight colours that
#: stay distinct for the common forms of colour blindness. Class k is drawn in COLORS[k].
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
          "#000000"]
#: One marker per class, so that classes differ in shape as well as colour.
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

# Binary probabilities: class 0's colour through near-white (p = 0.5) to class 1's colour.
_BINARY_CMAP = LinearSegmentedColormap.from_list("nnlib_binary",
                                                 [COLORS[0], "#f7f7f7", COLORS[1]])
_NO_DATA = "no data recorded"


def use_book_style() -> None:
    """Set matplotlib's defaults to the book's style (call once, in the setup cell).

    Okabe-Ito colour cycle (:data:`COLORS`), a light grid, no top and right spines, fonts
    readable when a 6.4 x 4 inch figure is shown about 700 pixels wide, constrained layout,
    and the perceptually uniform 'viridis' as the default colour map.

    Examples
    --------
    >>> use_book_style()
    >>> plt.rcParams["axes.prop_cycle"].by_key()["color"][:2]
    ['#0072B2', '#E69F00']
    """
    mpl.rcParams.update({
        "axes.prop_cycle": mpl.cycler(color=COLORS),
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": 110,
        "savefig.bbox": "tight",
        "figure.constrained_layout.use": True,
        "font.size": 11,
        "axes.titlesize": 12,
        "axes.labelsize": 11,
        "xtick.labelsize": 10,
        "ytick.labelsize": 10,
        "legend.fontsize": 10,
        "figure.titlesize": 13,
        "axes.grid": True,
        "grid.color": "#d9d9d9",
        "grid.linewidth": 0.7,
        "grid.alpha": 0.8,
        "axes.axisbelow": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#444444",
        "axes.titlelocation": "left",
        "lines.linewidth": 2.0,
        "lines.markersize": 5,
        "legend.frameon": False,
        "image.cmap": "viridis",
        "scatter.edgecolors": "face",
    })


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def _axes(ax, where, figsize=None):
    """``ax`` itself, or a new Axes on a new figure when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
        return ax
    if not isinstance(ax, Axes):
        raise TypeError(f"{where}: expected ax to be a matplotlib Axes or None, got "
                        f"{type(ax).__name__}.")
    return ax


def _set_title(ax, title, default):
    ax.set_title(default if title is None else title)


def _layer_colors(keys):
    """A colour per layer: the palette for up to 8 layers, viridis by depth beyond that."""
    keys = list(keys)
    if len(keys) <= len(COLORS) - 1:  # skip the last (black) unless needed
        return {k: COLORS[i] for i, k in enumerate(keys)}
    cmap = plt.get_cmap("viridis")
    return {k: cmap(i / max(len(keys) - 1, 1) * 0.9) for i, k in enumerate(keys)}


class _PlainLogFormatter(mticker.LogFormatter):
    """Label the ticks matplotlib would label on a log axis, as plain numbers (0.03, 1e-05)."""

    def __call__(self, x, pos=None):
        return f"{x:g}" if super().__call__(x, pos) else ""


def _log_y(ax):
    """Logarithmic y axis labelled with plain numbers (0.3, 0.1, 0.03) rather than 3x10^-1."""
    ax.set_yscale("log")
    formatter = _PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5))
    ax.yaxis.set_major_formatter(formatter)
    ax.yaxis.set_minor_formatter(formatter)


def _empty(ax, message):
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
            color="#666666")


def _history_like(history, where):
    """Accept a History, the dict of ``History.as_dict()``, or a plain sequence of losses."""
    if isinstance(history, History):
        return history.as_dict()
    if isinstance(history, dict):
        return history
    try:
        losses = np.asarray(history, dtype=float)
    except (TypeError, ValueError):
        losses = None
    if losses is None or losses.ndim != 1:
        raise TypeError(f"{where}: expected a History (from nnlib.train.fit), its as_dict(), "
                        f"or a 1-D sequence of losses, got {type(history).__name__}.")
    return {"train_loss": losses.tolist()}


# --------------------------------------------------------------------------------------------
# decision regions
# --------------------------------------------------------------------------------------------
def _class_labels(y, m, where):
    """Labels (m,) as given (any integer values, e.g. -1/+1), one-hot rows turned to argmax."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected numeric class labels y, got dtype {y.dtype}.")
    if y.ndim == 0 or len(y) != m:
        raise ValueError(f"{where}: expected one label per row of X ({m} rows), got y of shape "
                         f"{y.shape}.")
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return _labels_from_targets(y.reshape(m), where)


def _grid_predictions(model, grid, where):
    """('p1', P(class 1)) or ('proba', P of shape (n, C)) or ('labels', labels)."""
    if isinstance(model, Module):
        out = predict_proba(model, grid)
    elif hasattr(model, "predict_proba"):
        out = np.asarray(model.predict_proba(grid))
    elif hasattr(model, "predict"):
        out = np.asarray(model.predict(grid))
    elif callable(model):
        out = np.asarray(model(grid))
    else:
        raise TypeError(f"{where}: expected model to be an nnlib Module, an object with "
                        f"predict_proba() or predict(), or a function of X, got "
                        f"{type(model).__name__}.")
    if out.dtype.kind not in "biuf" or len(out) != len(grid):
        raise ValueError(f"{where}: the model should return one prediction per input row "
                         f"({len(grid)}), got an array of shape {out.shape}, dtype {out.dtype}.")
    if out.dtype.kind in "biu":
        return "labels", out.reshape(len(grid), -1)[:, 0]
    if out.ndim == 2 and out.shape[1] > 1:
        if np.all((out >= 0) & (out <= 1)) and np.allclose(out.sum(axis=1), 1.0, atol=1e-6):
            return "proba", out
        return "labels", out.argmax(axis=1)  # scores: only the regions are meaningful
    out = out.reshape(len(grid))
    if np.all((out >= 0) & (out <= 1)):
        return "p1", out
    if np.all(np.isin(out, (-1.0, 0.0, 1.0))):
        return "labels", out.astype(np.int64)
    raise ValueError(f"{where}: a one-column output of a function must be probabilities in "
                     f"[0, 1] or class labels; got values from {out.min():.3g} to "
                     f"{out.max():.3g}. Wrap a model that outputs logits in a Module, or apply "
                     f"a sigmoid first.")


def _lighten(rgb, amount):
    """Mix colours with white: amount = 0 keeps them, 1 gives white."""
    return 1.0 - (1.0 - np.asarray(rgb)) * (1.0 - amount)


def decision_boundary(model, X, y, ax=None, resolution=200, proba=True, title=None,
                      padding=0.1, legend=True):
    """Draw a classifier's decision regions over the plane, with the data on top.

    Parameters
    ----------
    model : Module, or object with predict_proba / predict, or function
        An nnlib network that outputs logits: one column (binary) or C columns. Or anything
        that maps an (n, 2) array to probabilities (n,) / (n, C) or to integer labels (n,),
        such as a perceptron's ``predict``.
    X : array_like of shape (m, 2)
        The two input features x_1 and x_2.
    y : array_like of shape (m,), (m, 1) or one-hot (m, C)
        Class labels (any integers, e.g. 0/1 or -1/+1).
    ax : Axes, optional
    resolution : int
        Grid points per axis (the model is evaluated resolution^2 times).
    proba : bool
        Shade by predicted probability (binary: P(y = 1 | x) with the 0.5 contour; several
        classes: a mix of the class colours weighted by their probabilities). With False,
        flat colours per predicted class.
    title : str, optional
    padding : float
        Margin around the data, as a fraction of its range.
    legend : bool

    Returns
    -------
    Axes

    Raises
    ------
    ValueError
        If X does not have two columns, or y has the wrong length.

    See Also
    --------
    Chapter 1 (the perceptron's linear boundary) and Chapter 2 (XOR and hidden layers).

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1, 1, 0])
    >>> ax = decision_boundary(mlp([2, 4, 1], "tanh", rng=0), X, y, resolution=50)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('$x_1$', '$x_2$')
    >>> plt.close(ax.figure)
    """
    where = "decision_boundary"
    X = as_array(X, where, name="X")
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{where}: expected X of shape (m, 2) (two features x_1, x_2 to draw "
                         f"in the plane), got shape {X.shape}.")
    labels = _class_labels(y, len(X), where)
    resolution = check_int(resolution, where, "resolution", minimum=2)
    ax = _axes(ax, where)

    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - padding * span, hi + padding * span
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    kind, pred = _grid_predictions(model, grid, where)

    classes = np.unique(labels)
    if kind == "labels":
        classes = np.union1d(classes, np.unique(pred))
    elif kind == "proba":
        classes = np.union1d(classes, np.arange(pred.shape[1]))
    elif len(classes) < 2:
        classes = np.union1d(classes, [0, 1])
    index = {c: i for i, c in enumerate(classes)}
    class_rgb = np.array([to_rgb(COLORS[i % len(COLORS)]) for i in range(len(classes))])

    shape = g1.shape
    if kind == "p1" and not proba:
        kind, pred = "labels", np.where(pred > 0.5, classes[-1], classes[0])
    if kind == "proba" and not proba:
        kind, pred = "labels", classes[pred.argmax(axis=1)]
    if kind == "p1":
        p = pred.reshape(shape)
        filled = ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap=_BINARY_CMAP,
                             vmin=0, vmax=1, alpha=0.85)
        if p.min() < 0.5 < p.max():
            ax.contour(g1, g2, p, levels=[0.5], colors="#222222", linewidths=1.5)
        cbar = ax.figure.colorbar(filled, ax=ax, shrink=0.9)
        cbar.set_label(r"$P(y = 1 \mid x)$")
    elif kind == "proba":
        rgb = _lighten(pred @ class_rgb[:pred.shape[1]], 0.45).reshape(*shape, 3)
        ax.imshow(np.clip(rgb, 0, 1), extent=(lo[0], hi[0], lo[1], hi[1]), origin="lower",
                  aspect="auto", interpolation="bilinear")
        idx = pred.argmax(axis=1).reshape(shape)
        if idx.min() != idx.max():
            ax.contour(g1, g2, idx, levels=np.arange(pred.shape[1] - 1) + 0.5,
                       colors="#222222", linewidths=1.0)
    else:
        region = np.searchsorted(classes, pred).reshape(shape)  # classes holds every pred
        cmap = ListedColormap(_lighten(class_rgb, 0.55))
        ax.contourf(g1, g2, region, levels=np.arange(len(classes) + 1) - 0.5, cmap=cmap,
                    vmin=-0.5, vmax=len(classes) - 0.5)
        if region.min() != region.max():
            ax.contour(g1, g2, region, levels=np.arange(len(classes) - 1) + 0.5,
                       colors="#222222", linewidths=1.2)

    for c in classes:
        mask = labels == c
        if not np.any(mask):
            continue
        k = index[c]
        ax.scatter(X[mask, 0], X[mask, 1], color=COLORS[k % len(COLORS)],
                   marker=MARKERS[k % len(MARKERS)], s=30, edgecolors="white", linewidths=0.7,
                   label=f"class {c}", zorder=3)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    _set_title(ax, title, "Decision regions")
    if legend:
        ax.legend(loc="best", frameon=True, framealpha=0.85)
    return ax


# --------------------------------------------------------------------------------------------
# training curves
# --------------------------------------------------------------------------------------------
def loss_curves(history, ax=None, log=False, title=None, show_best=True):
    """Training (and validation) loss against the epoch.

    Parameters
    ----------
    history : History, dict or sequence of float
        What :func:`nnlib.train.fit` returned, its ``as_dict()``, or a plain list of losses
        (e.g. one per step of a hand-written loop).
    ax : Axes, optional
    log : bool
        Logarithmic loss axis (useful when the loss falls by orders of magnitude).
    title : str, optional
    show_best : bool
        Mark the best epoch (``history.best_epoch``) with a dotted line.

    Returns
    -------
    Axes

    See Also
    --------
    Chapter 13 (Regularisation) reads the gap between the two curves.

    Examples
    --------
    >>> ax = loss_curves([1.0, 0.5, 0.3, 0.25])
    >>> ax.get_xlabel(), [line.get_label() for line in ax.get_lines()]
    ('epoch', ['training'])
    >>> plt.close(ax.figure)
    """
    where = "loss_curves"
    h = _history_like(history, where)
    ax = _axes(ax, where)
    train = list(h.get("train_loss", []))
    val = list(h.get("val_loss", []))
    if not train and not val:
        _empty(ax, "no epochs recorded")
    style = {"marker": "o", "markersize": 3} if max(len(train), len(val)) <= 30 else {}
    if train:
        ax.plot(np.arange(1, len(train) + 1), train, color=COLORS[0], label="training", **style)
    if val:
        ax.plot(np.arange(1, len(val) + 1), val, color=COLORS[1], label="validation", **style)
    best = h.get("best_epoch")
    if show_best and best is not None and val:
        ax.axvline(best, color="#555555", linestyle=":", linewidth=1.5,
                   label=f"best epoch ({best})")
    if h.get("diverged"):
        ax.text(0.98, 0.95, "training diverged (loss became NaN or inf)",
                transform=ax.transAxes, ha="right", va="top", color=COLORS[3])
    if log:
        _log_y(ax)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (log scale)" if log else "loss")
    _set_title(ax, title, "Training and validation loss" if val else "Training loss")
    if train or val:
        ax.legend()
    return ax


def _accuracy_curves(h, ax):
    train, val = h.get("train_acc", []), h.get("val_acc", [])
    if train:
        ax.plot(np.arange(1, len(train) + 1), train, color=COLORS[0], label="training")
    if val:
        ax.plot(np.arange(1, len(val) + 1), val, color=COLORS[1], label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy")
    if train or val:
        ax.legend()
    else:
        _empty(ax, "no accuracy (not a classification loss)")


# --------------------------------------------------------------------------------------------
# inside the network
# --------------------------------------------------------------------------------------------
def _is_activation(layer):
    """An activation layer: its class says so (``is_activation``), or, for a layer class
    that does not (such as a reader's own step function), it has no parameters and is not
    one of nnlib's layers that only pass values on (Dropout, Identity, Flatten)."""
    return layer.is_activation or (not layer.parameters()
                                   and not isinstance(layer, (Dropout, Identity, Flatten)))


def activation_histograms(model, X, ax=None, layers=None, bins=40, title=None, max_panels=8):
    """Histograms of what each layer outputs for the inputs ``X``.

    Parameters
    ----------
    model : Module
    X : array_like of shape (m, d)
    ax : None, Axes or sequence of Axes
        None: a new figure with one panel per layer. One Axes: every histogram on it, as
        outlines. A sequence: one Axes per histogram.
    layers : sequence of str or int, optional
        Which layer outputs: keys such as ``"1:ReLU"`` (see :func:`nnlib.probes.layer_outputs`)
        or positions in data-flow order. By default the activation layers (``is_activation``,
        or any other layer without parameters except Dropout, Identity and Flatten), or every
        layer if there are none; at most ``max_panels`` of them, evenly spaced through the
        depth.
    bins : int
    title : str, optional
        Figure title (when the function makes the figure).
    max_panels : int

    Returns
    -------
    Axes or ndarray of Axes
        The Axes given, or one Axes per histogram (``axes[0].figure`` is the Figure).

    Notes
    -----
    The forward pass runs in evaluation mode. Each panel states the mean and standard
    deviation; Chapter 11 (Initialisation) watches the standard deviation shrink or grow with
    depth.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> net = mlp([2, 8, 8, 1], "tanh", rng=0)
    >>> axes = activation_histograms(net, np.random.default_rng(0).normal(size=(100, 2)))
    >>> [a.get_title() for a in axes]
    ['1:Tanh', '3:Tanh']
    >>> plt.close(axes[0].figure)
    """
    where = "activation_histograms"
    check_module(model, where)
    bins = check_int(bins, where, "bins", minimum=1)
    max_panels = check_int(max_panels, where, "max_panels", minimum=1)
    outputs = layer_outputs(model, X)
    keys = list(outputs)
    if layers is None:
        modules = dict(named_layers(model))
        chosen = [k for k in keys if _is_activation(modules[k])] or keys
        if len(chosen) > max_panels:
            picks = np.unique(np.round(np.linspace(0, len(chosen) - 1, max_panels)).astype(int))
            chosen = [chosen[i] for i in picks]
    else:
        chosen = []
        for item in layers:
            if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                if not -len(keys) <= item < len(keys):
                    raise ValueError(f"{where}: layer position {item} is out of range for "
                                     f"{len(keys)} layers {keys}.")
                chosen.append(keys[item])
            elif item in outputs:
                chosen.append(item)
            else:
                raise ValueError(f"{where}: unknown layer {item!r}; the layers are {keys}.")
    if not chosen:
        raise ValueError(f"{where}: expected at least one layer to draw, got layers={layers!r}.")

    single = isinstance(ax, Axes)
    if ax is None:
        ncols = min(len(chosen), 4)
        nrows = math.ceil(len(chosen) / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(min(3.3 * ncols, 13.2), 2.7 * nrows + 0.5),
                                 squeeze=False)
        for extra in axes.ravel()[len(chosen):]:
            extra.remove()
        axes = axes.ravel()[:len(chosen)]
        fig.suptitle("Activations per layer" if title is None else title)
    elif single:
        axes = [ax] * len(chosen)
        _set_title(ax, title, "Activations per layer")
    else:
        axes = list(ax)
        if len(axes) < len(chosen) or not all(isinstance(a, Axes) for a in axes):
            raise ValueError(f"{where}: expected at least {len(chosen)} Axes, one per layer "
                             f"{chosen}, got {len(axes)}.")
    colors = _layer_colors(chosen)
    for i, (key, a_ax) in enumerate(zip(chosen, axes, strict=False)):
        a = np.asarray(outputs[key], dtype=float).ravel()
        finite = a[np.isfinite(a)]
        if single:
            a_ax.hist(finite, bins=bins, histtype="step", linewidth=1.8, color=colors[key],
                      label=f"{key} (std {finite.std():.2g})")
            continue
        a_ax.hist(finite, bins=bins, color=COLORS[0], alpha=0.85)
        a_ax.set_title(key)
        a_ax.text(0.97, 0.95, f"mean {finite.mean():.2g}\nstd {finite.std():.2g}",
                  transform=a_ax.transAxes, ha="right", va="top", fontsize=9)
        a_ax.set_xlabel("activation value")
        if i % 4 == 0:
            a_ax.set_ylabel("count")
    if single:
        ax.set_xlabel("activation value")
        ax.set_ylabel("count")
        ax.legend()
        return ax
    return np.asarray(axes, dtype=object)


def _plot_layer_series(ax, series, colors, log):
    """One line per layer: ``series`` maps layer key -> list of values over epochs."""
    for key, values in series.items():
        values = np.asarray(values, dtype=float)
        if log:
            values = np.where(values > 0, values, np.nan)  # log axes cannot show 0
        ax.plot(np.arange(1, len(values) + 1), values, color=colors.get(key), label=key)
    if series:
        ax.legend(fontsize=8, ncol=2 if len(series) > 4 else 1)


def gradient_norms(history_or_model, ax=None, X=None, y=None, loss_fn=None, epoch=None,
                   title=None, colors=None):
    """Per-layer gradient norms ||dL/dW|| on a logarithmic axis.

    Parameters
    ----------
    history_or_model : History (or its as_dict()) or Module
        A History: the norms recorded by ``fit`` on its probe batch. A Module: one forward
        and backward pass of ``loss_fn`` on (X, y) now (in evaluation mode, with every
        parameter's grad restored afterwards).
    ax : Axes, optional
    X, y : array_like
        Data for the backward pass (only with a Module).
    loss_fn : loss object
        The loss for the backward pass (only with a Module).
    epoch : int, optional
        With a History: None draws each layer's norm over the epochs; an epoch number
        (1-based, or -1 for the last) draws the norm against the layer at that epoch.
    title : str, optional
    colors : dict of str -> colour, optional
        A colour per layer key (the dashboard passes one so that a layer keeps its colour
        in every panel).

    Returns
    -------
    Axes

    Raises
    ------
    ValueError
        If a Module is given without X, y and loss_fn, or ``epoch`` is out of range.

    See Also
    --------
    Chapter 10 (Vanishing and exploding gradients): with sigmoid units the norms shrink by a
    factor of about 4 or more per layer towards the input.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> from nnlib.losses import MSELoss
    >>> net = mlp([2, 8, 8, 1], "sigmoid", rng=0)
    >>> ax = gradient_norms(net, X=np.ones((4, 2)), y=np.zeros((4, 1)), loss_fn=MSELoss())
    >>> ax.get_yscale(), ax.get_xlabel()
    ('log', 'layer')
    >>> plt.close(ax.figure)
    """
    where = "gradient_norms"
    if isinstance(history_or_model, Module):
        if X is None or y is None or loss_fn is None:
            raise ValueError(f"{where}: to measure the gradients of a model, pass X, y and "
                             f"loss_fn (got X={'set' if X is not None else None}, "
                             f"y={'set' if y is not None else None}, loss_fn={loss_fn!r}).")
        norms = layer_grad_norms(history_or_model, X, y, loss_fn)
        ax = _axes(ax, where)
        _layer_profile(ax, norms)
        _set_title(ax, title, "Gradient norm per layer")
        return ax
    h = _history_like(history_or_model, where)
    series = h.get("grad_norm", {})
    ax = _axes(ax, where)
    if not series:
        _empty(ax, "no gradient norms recorded (fit with diagnostics=True)")
        ax.set_xlabel("epoch")
        ax.set_ylabel(r"$\|\partial L / \partial W\|$")
        _set_title(ax, title, "Gradient norm per layer")
        return ax
    if epoch is None:
        _plot_layer_series(ax, series, colors or _layer_colors(series), log=True)
        _log_y(ax)
        ax.set_xlabel("epoch")
        ax.set_ylabel(r"$\|\partial L / \partial W\|$ (log scale)")
        _set_title(ax, title, "Gradient norm per layer")
        return ax
    n = len(next(iter(series.values())))
    epoch = check_int(epoch, where, "epoch")
    position = n - 1 if epoch == -1 else epoch - 1
    if not 0 <= position < n:
        raise ValueError(f"{where}: expected epoch between 1 and {n} (or -1 for the last), "
                         f"got {epoch}.")
    _layer_profile(ax, {k: v[position] for k, v in series.items()})
    _set_title(ax, title, f"Gradient norm per layer after epoch {position + 1}")
    return ax


def _layer_profile(ax, norms):
    """Gradient norm against the layer's position (input side on the left)."""
    keys = list(norms)
    values = np.array([norms[k] for k in keys], dtype=float)
    values = np.where(values > 0, values, np.nan)
    x = np.arange(1, len(keys) + 1)
    ax.plot(x, values, marker="o", color=COLORS[0])
    _log_y(ax)
    ax.set_xticks(x)
    ax.set_xticklabels(keys, rotation=45 if len(keys) > 4 else 0,
                       ha="right" if len(keys) > 4 else "center")
    ax.set_xlabel("layer")
    ax.set_ylabel(r"$\|\partial L / \partial W\|$ (log scale)")


# --------------------------------------------------------------------------------------------
# drawing a network
# --------------------------------------------------------------------------------------------
def _architecture(model_or_sizes, where):
    """Layer sizes, a label per layer and the weight matrices (None for plain sizes)."""
    if isinstance(model_or_sizes, Module):
        sizes, acts, weights = [], [], []
        for _, layer in named_layers(model_or_sizes):
            if _has_matrix_weight(layer):
                W = layer.weight.data
                if not sizes:
                    sizes.append(W.shape[1])
                sizes.append(W.shape[0])
                weights.append(W)
                acts.append("")
            elif sizes and not acts[-1] and _is_activation(layer):
                acts[-1] = type(layer).__name__
        if not weights:
            raise ValueError(f"{where}: the model has no layer with a 2-D weight (such as "
                             f"Linear), so there is no architecture to draw.")
        return sizes, [""] + acts, weights
    try:
        sizes = [check_int(s, where, "every layer size", minimum=1) for s in model_or_sizes]
    except TypeError:
        raise TypeError(f"{where}: expected a Module or a list of layer sizes such as "
                        f"[2, 3, 1], got {model_or_sizes!r}.") from None
    if len(sizes) < 2:
        raise ValueError(f"{where}: expected at least two layer sizes (input and output), got "
                         f"{sizes}.")
    return sizes, [""] * len(sizes), None


def _shown_units(n, max_units):
    """Indices of the units drawn, and the slot of the '...' gap (or None)."""
    if n <= max_units:
        return list(range(n)), None
    head = max_units - 2
    return list(range(head)) + [n - 1], head


def _has_matrix_weight(layer):
    W = getattr(layer, "weight", None)
    return W is not None and getattr(W, "data", None) is not None and W.data.ndim == 2


def _forward_activations(model, x, where):
    """a^(0) = x and, for each Linear, the output of the last layer before the next Linear
    (its activation, after any normalisation), for one example."""
    x = as_array(x, where, name="x").reshape(1, -1)
    outputs = layer_outputs(model, x)
    acts = [x[0]]
    seen_linear = False
    for (_, layer), a in zip(named_layers(model), outputs.values(), strict=True):
        a = np.asarray(a)[0].ravel()
        if _has_matrix_weight(layer):
            acts.append(a)
            seen_linear = True
        elif seen_linear:
            acts[-1] = a
        else:
            acts[0] = a  # e.g. Flatten before the first Linear
    return acts


def network_diagram(model_or_sizes, activations=None, ax=None, highlight_layer=None, title=None,
                    x=None, max_units=10, show_weights=None, cmap="RdBu_r", vmax=None):
    """Draw a feed-forward network: units as circles, weights as lines, layer by layer.

    Parameters
    ----------
    model_or_sizes : Module or sequence of int
        A network (its Linear layers give the sizes, the layers after them the activation
        names) or the sizes n_0, n_1, ..., n_L.
    activations : sequence of array_like, optional
        One vector per layer, input first (a^(0) = x, a^(1), ..., a^(L)); entries may be None
        and the list may be shorter, for a forward pass drawn up to some layer. Units are
        coloured by value, with a colour bar.
    ax : Axes, optional
    highlight_layer : int, optional
        Layer to emphasise (0 is the input): shaded, with its units outlined and the weights
        into it drawn stronger. Chapter 4 moves it with a slider to animate a forward pass.
    title : str, optional
    x : array_like of shape (n_0,), optional
        With a model: run this one example forward and colour every layer by its activation.
    max_units : int
        Height of the tallest column, >= 3: a larger layer shows its first
        ``max_units - 2`` units, a gap and its last unit.
    show_weights : bool, optional
        Line width and opacity proportional to ``|w|``, coloured by the sign of w with the
        colour map's two ends (red for w > 0, blue for w < 0 with the default map); default
        True for a model.
    cmap : str or Colormap
        Colour map for the activations (diverging, centred on 0).
    vmax : float, optional
        Colour range [-vmax, vmax]; default the largest ``|activation|``.

    Returns
    -------
    Axes

    See Also
    --------
    Chapter 2 (Multilayer perceptrons) and Chapter 4 (Forward propagation).

    Examples
    --------
    >>> ax = network_diagram([2, 3, 1], activations=[[0.5, -1.0], [0.2, 0.0, 0.9], None])
    >>> ax.get_title()
    'Network 2-3-1'
    >>> plt.close(ax.figure)
    """
    where = "network_diagram"
    sizes, act_names, weights = _architecture(model_or_sizes, where)
    max_units = check_int(max_units, where, "max_units", minimum=3)
    n_layers = len(sizes)
    if x is not None:
        if weights is None:
            raise ValueError(f"{where}: x needs a model to run forward; got layer sizes "
                             f"{sizes}. Pass activations instead.")
        if activations is not None:
            raise ValueError(f"{where}: pass either x or activations, not both.")
        activations = _forward_activations(model_or_sizes, x, where)
    acts = [None] * n_layers
    if activations is not None:
        activations = list(activations)
        if len(activations) > n_layers:
            raise ValueError(f"{where}: expected at most {n_layers} activation vectors (one "
                             f"per layer, input first), got {len(activations)}.")
        for k, a in enumerate(activations):
            if a is None:
                continue
            a = as_array(a, where, name=f"activations[{k}]")
            if a.ndim == 2 and a.shape[0] == 1:
                a = a[0]
            if a.shape != (sizes[k],):
                raise ValueError(f"{where}: expected activations[{k}] to have {sizes[k]} "
                                 f"values (one per unit of layer {k}, a single example), got "
                                 f"shape {a.shape}.")
            acts[k] = a
    if highlight_layer is not None:
        highlight_layer = check_int(highlight_layer, where, "highlight_layer")
        if not 0 <= highlight_layer < n_layers:
            raise ValueError(f"{where}: expected highlight_layer between 0 (input) and "
                             f"{n_layers - 1} (output), got {highlight_layer}.")
    if show_weights is None:
        show_weights = weights is not None
    if show_weights and weights is None:
        raise ValueError(f"{where}: show_weights needs a model; got layer sizes {sizes}.")

    ax = _axes(ax, where, figsize=(max(4.0, 1.7 * n_layers + 1.5), 4.2))
    shown = [_shown_units(n, max_units) for n in sizes]
    tallest = max(len(units) + (gap is not None) for units, gap in shown)

    def positions(k):
        units, gap = shown[k]
        slots = len(units) + (gap is not None)
        ys = (slots - 1) / 2.0 - np.arange(slots)
        if gap is None:
            return ys, None
        return np.delete(ys, gap), ys[gap]

    coords = [positions(k) for k in range(n_layers)]

    cmap = plt.get_cmap(cmap)
    # connections
    segments, colors, widths = [], [], []
    for k in range(1, n_layers):
        src_units, dst_units = shown[k - 1][0], shown[k][0]
        ys_src, ys_dst = coords[k - 1][0], coords[k][0]
        emphasis = highlight_layer == k
        if show_weights:
            W = weights[k - 1]
            scale = float(np.max(np.abs(W))) or 1.0
        for j, yd in zip(dst_units, ys_dst, strict=True):
            for i, ys in zip(src_units, ys_src, strict=True):
                segments.append([(k - 1, ys), (k, yd)])
                if show_weights:
                    w = W[j, i] / scale  # in [-1, 1]; coloured like an activation of that sign
                    rgb = cmap(0.5 + 0.4 * np.sign(w) + 0.1 * w)[:3]
                    alpha = 0.15 + 0.75 * abs(w)
                    colors.append((*rgb, min(1.0, alpha * (1.3 if emphasis else 1.0))))
                    widths.append(0.3 + 2.2 * abs(w))
                else:
                    colors.append((0.35, 0.35, 0.35, 0.7 if emphasis else 0.3))
                    widths.append(1.0 if emphasis else 0.6)
    if segments:
        ax.add_collection(LineCollection(segments, colors=colors, linewidths=widths, zorder=1))

    # units
    given = [a for a in acts if a is not None]
    norm = None
    if given:
        top = float(vmax) if vmax is not None else \
            max(float(np.max(np.abs(a))) for a in given) or 1.0
        norm = Normalize(-top, top)
    for k in range(n_layers):
        units, _ = shown[k]
        ys, gap_y = coords[k]
        if acts[k] is not None:
            faces = cmap(norm(acts[k][units]))
        else:
            faces = [(1.0, 1.0, 1.0, 1.0)] * len(units)
        emphasis = highlight_layer == k
        ax.scatter(np.full(len(units), k), ys, s=420 if tallest <= 8 else 260, c=faces,
                   edgecolors=COLORS[1] if emphasis else "#333333",
                   linewidths=2.6 if emphasis else 1.2, zorder=3)
        if gap_y is not None:
            ax.text(k, gap_y, r"$\vdots$", ha="center", va="center", fontsize=14, zorder=3)
        if emphasis:
            ax.axvspan(k - 0.35, k + 0.35, color=COLORS[1], alpha=0.12, zorder=0, lw=0)
        name = "input" if k == 0 else ("output" if k == n_layers - 1 else f"hidden {k}")
        detail = f"{sizes[k]}" + (f" · {act_names[k]}" if act_names[k] else "")
        ax.text(k, -(tallest - 1) / 2.0 - 0.9, f"{name}\n{detail}", ha="center", va="top",
                fontsize=10)
    if norm is not None:
        mappable = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        ax.figure.colorbar(mappable, ax=ax, shrink=0.8, label="activation")
    ax.set_xlim(-0.6, n_layers - 0.4)
    ax.set_ylim(-(tallest - 1) / 2.0 - 2.0, (tallest - 1) / 2.0 + 0.7)
    ax.set_axis_off()
    _set_title(ax, title, "Network " + "-".join(str(s) for s in sizes))
    return ax


# --------------------------------------------------------------------------------------------
# the dashboard
# --------------------------------------------------------------------------------------------
def diagnostics(history, title=None):
    """The training dashboard of Chapter 16: six panels that tell a healthy run from a sick one.

    Loss curves; accuracy (or the learning rate for regression); per-layer gradient norms;
    the standard deviation of each activation layer's output; the fraction of dead ReLUs
    (solid) and saturated sigmoid/tanh units (dashed); and the update-to-weight ratio
    ||Delta W|| / ||W|| per step with the 1e-3 rule of thumb.

    Parameters
    ----------
    history : History or dict
        From ``fit(..., diagnostics=True)`` (or its ``as_dict()``).
    title : str, optional
        The figure's title.

    Returns
    -------
    Figure

    Examples
    --------
    >>> from nnlib.train import History
    >>> h = History(); h.train_loss[:] = [1.0, 0.5]; h.grad_norm["0:Linear"] = [0.1, 0.05]
    >>> fig = diagnostics(h)
    >>> len(fig.axes)
    6
    >>> plt.close(fig)
    """
    where = "diagnostics"
    if not isinstance(history, (History, dict)):
        raise TypeError(f"{where}: expected a History from nnlib.train.fit (or its as_dict()), "
                        f"got {type(history).__name__}.")
    h = history.as_dict() if isinstance(history, History) else history
    fig, axes = plt.subplots(2, 3, figsize=(13.5, 7.5))
    (ax_loss, ax_acc, ax_grad), (ax_std, ax_dead, ax_ratio) = axes
    train = h.get("train_loss", [])
    positive = train and all(np.isfinite(train)) and min(train) > 0
    loss_curves(h, ax=ax_loss, log=bool(positive), title="Loss")
    if h.get("train_acc") or h.get("val_acc"):
        _accuracy_curves(h, ax_acc)
    else:
        lr = h.get("lr", [])
        if lr:
            ax_acc.plot(np.arange(1, len(lr) + 1), lr, color=COLORS[2])
        else:
            _empty(ax_acc, _NO_DATA)
        ax_acc.set_xlabel("epoch")
        ax_acc.set_ylabel("learning rate")
        ax_acc.set_title("Learning rate")

    keys = list(h.get("act_mean", {}))
    keys += [k for k in h.get("grad_norm", {}) if k not in keys]
    colors = _layer_colors(keys)

    gradient_norms(h, ax=ax_grad, title="Gradient norm per layer", colors=colors)

    stds = h.get("act_std", {})
    activation_keys = [k for k in stds if k not in h.get("grad_norm", {})] or list(stds)
    _plot_layer_series(ax_std, {k: stds[k] for k in activation_keys}, colors, log=False)
    if not stds:
        _empty(ax_std, "no activation statistics recorded")
    ax_std.set_xlabel("epoch")
    ax_std.set_ylabel("std of the layer's output")
    ax_std.set_title("Activation spread")

    dead, sat = h.get("dead_fraction", {}), h.get("saturated_fraction", {})
    for key, values in dead.items():
        ax_dead.plot(np.arange(1, len(values) + 1), values, color=colors.get(key),
                     label=f"{key} dead")
    for key, values in sat.items():
        ax_dead.plot(np.arange(1, len(values) + 1), values, color=colors.get(key),
                     linestyle="--", label=f"{key} saturated")
    if dead or sat:
        ax_dead.legend(fontsize=8)
    else:
        _empty(ax_dead, "no ReLU, sigmoid or tanh layers")
    ax_dead.set_ylim(-0.03, 1.03)
    ax_dead.set_xlabel("epoch")
    ax_dead.set_ylabel("fraction of units")
    ax_dead.set_title("Dead ReLUs and saturated units")

    ratios = h.get("update_ratio", {})
    if ratios:
        _plot_layer_series(ax_ratio, ratios, colors, log=True)
        _log_y(ax_ratio)
        ax_ratio.axhline(1e-3, color="#555555", linestyle=":", linewidth=1.5)
        ax_ratio.text(0.01, 1e-3, " 1e-3 rule of thumb", transform=ax_ratio.get_yaxis_transform(),
                      va="bottom", ha="left", fontsize=9, color="#555555")
    else:
        _empty(ax_ratio, _NO_DATA)
    ax_ratio.set_xlabel("epoch")
    ax_ratio.set_ylabel(r"$\|\Delta W\| / \|W\|$ per step (log)")
    ax_ratio.set_title("Update-to-weight ratio")
    fig.suptitle("Training diagnostics" if title is None else title)
    return fig
