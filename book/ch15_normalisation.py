"""Experiments of Chapter 15 (Normalisation).

The chapter's figures, its two live experiments and the heavier helpers. Every static figure
is drawn by a ``draw_*`` function that returns a matplotlib Figure; each live experiment is a
:class:`book.live.LiveFigure`, so the notebook's widget, the website's flipbook, the static
small multiples and the tests all draw the same figure.

Contents

- :func:`digits_split`, :func:`make_mlp`, :func:`train_run`, :func:`trained_network`,
  :func:`learning_rate_sweep`: a 64-64-64-64-64-10 ReLU network on the 8x8 digits, without
  normalisation, with batch norm or with layer norm after every hidden Linear layer, trained
  with plain SGD at a given learning rate (cached: every run is trained once per process).
- :class:`LearningRate`, :func:`learning_rate_experiment`, :func:`draw_learning_rates`,
  :func:`draw_motivation`: the training curves and the final accuracy against the learning
  rate (the chapter's first live experiment).
- :func:`unit_population`, :func:`batch_statistics`, :class:`BatchNoise`,
  :func:`batch_noise_experiment`, :func:`draw_batch_noise`: how noisy a batch's mean and
  variance are, and what that does to one example's normalised value, for a batch size m
  (the second live experiment).
- :func:`draw_norm_axes`: which entries of an (m, C, L) block share one mean and variance in
  batch, layer, RMS, group and instance normalisation.
- :func:`recalibrate`: recompute the running statistics of every batch-norm layer of a
  network on new data, without a gradient step.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.ticker import FixedLocator, NullLocator

from nnlib._checks import check_int, check_positive
from nnlib.core import Sequential
from nnlib.data import digits
from nnlib.layers import Linear, ReLU
from nnlib.losses import CrossEntropyLoss
from nnlib.normalization import BatchNorm1d, LayerNorm
from nnlib.optim import SGD
from nnlib.plot import COLORS
from nnlib.train import fit

from . import live
from .shared import digits_split

__all__ = [
    "NORMS", "NORM_LABELS", "WIDTH", "DEPTH", "EPOCHS", "BATCH_SIZE", "LR_SLIDER", "LR_GRID",
    "digits_split", "make_mlp", "Run", "train_run", "trained_network", "learning_rate_sweep",
    "LearningRate", "learning_rate_experiment", "draw_learning_rates", "draw_motivation",
    "EPS", "NOISE_BATCHES", "unit_population", "BatchStats", "batch_statistics",
    "BatchNoise", "batch_noise_experiment", "draw_batch_noise",
    "draw_norm_axes", "recalibrate", "EXPERIMENTS",
]

#: The three networks of the learning-rate experiment.
NORMS = ("none", "batch", "layer")
#: How the figures and the text name them.
NORM_LABELS = {"none": "no normalisation", "batch": "batch norm", "layer": "layer norm"}
#: Colour, line style and marker of each network in every figure.
_NORM_STYLE = {"none": (COLORS[3], "--", "s"), "batch": (COLORS[0], "-", "o"),
               "layer": (COLORS[2], "-.", "^")}

#: Hidden units per layer and number of hidden layers of :func:`make_mlp`.
WIDTH, DEPTH = 64, 4
#: Epochs and minibatch size of every training run.
EPOCHS, BATCH_SIZE = 12, 64
#: The learning-rate control: half-decade steps from 0.01 to 10.
LR_SLIDER = live.LogSlider(0.01, 10.0, per_decade=2, value=1.0, label="learning rate η")
#: The learning rates of the sweep (the control's values: 0.01, 0.0316, ..., 10).
LR_GRID = tuple(LR_SLIDER.values())

#: The eps of BatchNorm1d, used wherever this module normalises by hand.
EPS = 1e-5


def _check_norm(norm, where):
    if norm not in NORMS:
        raise ValueError(f"{where}: expected norm to be one of {NORMS}, got {norm!r}.")
    return norm


def _readonly(a):
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


def _grid_lr(lr) -> float:
    """The value of :data:`LR_GRID` nearest to ``lr`` on a log scale. The notebook's slider
    gives 10 ** -0.5 = 0.31622776..., the grid stores 0.316228."""
    grid = np.array(LR_GRID)
    return float(grid[np.argmin(np.abs(np.log(grid / float(lr))))])


def _fmt_lr(lr) -> str:
    """0.0316 -> '0.032', 3.16 -> '3.2', 1 -> '1': the learning rates as the text names them."""
    return f"{float(lr):.2g}"


# --------------------------------------------------------------------------------------------
# data, network, training runs
# --------------------------------------------------------------------------------------------
def make_mlp(norm="batch", width=WIDTH, depth=DEPTH, seed=0) -> Sequential:
    """A ReLU network 64 -> [width] * depth -> 10 with an optional normalisation layer.

    Every hidden layer is ``Linear``, then (for ``norm="batch"``) ``BatchNorm1d`` or (for
    ``norm="layer"``) ``LayerNorm``, then ``ReLU``; the output layer is a ``Linear`` giving
    ten logits. Before batch norm the ``Linear`` has no bias (the batch mean would subtract
    it). The weights are drawn from one generator seeded with ``seed`` (He initialisation),
    so the three networks of a seed start from the same weights.

    Parameters
    ----------
    norm : {"none", "batch", "layer"}
    width, depth : int
        Units per hidden layer and number of hidden layers.
    seed : int

    Returns
    -------
    Sequential

    Examples
    --------
    >>> net = make_mlp("batch", width=8, depth=2)
    >>> [type(layer).__name__ for layer in net]
    ['Linear', 'BatchNorm1d', 'ReLU', 'Linear', 'BatchNorm1d', 'ReLU', 'Linear']
    >>> bool(np.array_equal(net[0].weight.data, make_mlp("none", 8, 2)[0].weight.data))
    True
    """
    where = "make_mlp"
    _check_norm(norm, where)
    width = check_int(width, where, "width", minimum=1)
    depth = check_int(depth, where, "depth", minimum=1)
    rng = np.random.default_rng(check_int(seed, where, "seed", minimum=0))
    layers, n_in = [], 64
    for _ in range(depth):
        layers.append(Linear(n_in, width, bias=norm != "batch", rng=rng))
        if norm == "batch":
            layers.append(BatchNorm1d(width))
        elif norm == "layer":
            layers.append(LayerNorm(width))
        layers.append(ReLU())
        n_in = width
    layers.append(Linear(n_in, 10, rng=rng))
    return Sequential(*layers)


class Run(NamedTuple):
    """One training run of :func:`train_run` (arrays are read-only).

    Attributes
    ----------
    norm : str
    lr : float
    train_loss : ndarray of shape (epochs,)
        Mean training loss of each epoch (over its minibatches); NaN after a divergence.
    val_acc : ndarray of shape (epochs,)
        Validation accuracy after each epoch (evaluation mode); NaN after a divergence.
    weight_norm : ndarray of shape (epochs + 1,)
        Frobenius norm of the first layer's weights before training and after each epoch.
    diverged : bool
        True when the loss became NaN or infinite and training stopped.
    state : dict
        The final ``state_dict`` (see :func:`trained_network`).
    """

    norm: str
    lr: float
    train_loss: np.ndarray
    val_acc: np.ndarray
    weight_norm: np.ndarray
    diverged: bool
    state: dict

    @property
    def final_acc(self) -> float:
        """The last recorded validation accuracy; 0 if training diverged."""
        return 0.0 if self.diverged else float(self.val_acc[-1])


@functools.cache
def _train(norm, lr, epochs, batch_size, seed) -> Run:
    X_tr, y_tr, X_val, y_val, _, _ = digits_split(copy=False)
    net = make_mlp(norm, seed=seed)
    norms = [float(np.linalg.norm(net[0].weight.data))]

    def record(epoch, history, model):
        norms.append(float(np.sqrt(np.sum(np.square(model[0].weight.data)))))

    # A diverging run warns (fit reports the NaN loss) and a plain network at a huge rate
    # overflows on its way there: both are outcomes this experiment records, not bugs.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        h = fit(net, CrossEntropyLoss(), SGD(net.parameters(), lr=lr), X_tr, y_tr,
                epochs=epochs, batch_size=batch_size, validation=(X_val, y_val),
                callbacks=[record], rng=seed, progress=False, diagnostics=False,
                blas_threads=1)

    def padded(values, n):
        out = np.full(n, np.nan)
        out[:len(values)] = values
        return _readonly(out)

    state = {k: _readonly(v) for k, v in net.state_dict().items()}
    return Run(norm, float(lr), padded(h.train_loss, epochs), padded(h.val_acc, epochs),
               padded(norms, epochs + 1), bool(h.diverged), state)


def train_run(norm, lr, epochs=EPOCHS, batch_size=BATCH_SIZE, seed=0) -> Run:
    """Train :func:`make_mlp` ``(norm, seed=seed)`` on the digits with plain SGD; cached.

    Cross-entropy loss, ``SGD(lr=lr)`` without momentum, minibatches of ``batch_size``
    shuffled with ``seed``, on the training part of :func:`digits_split`, validated after
    every epoch. A run is trained once per process and then returned from a cache, so the
    figures, the live experiment and the text all use the same runs.

    Parameters
    ----------
    norm : {"none", "batch", "layer"}
    lr : float
        Learning rate, > 0.
    epochs, batch_size, seed : int

    Returns
    -------
    Run

    Examples
    --------
    >>> run = train_run("batch", 0.1, epochs=2)
    >>> run.train_loss.shape, run.weight_norm.shape, run.diverged
    ((2,), (3,), False)
    """
    where = "train_run"
    _check_norm(norm, where)
    lr = check_positive(lr, where, "lr")
    epochs = check_int(epochs, where, "epochs", minimum=1)
    batch_size = check_int(batch_size, where, "batch_size", minimum=2)
    seed = check_int(seed, where, "seed", minimum=0)
    return _train(norm, float(lr), epochs, batch_size, seed)


def trained_network(norm, lr, epochs=EPOCHS, batch_size=BATCH_SIZE, seed=0) -> Sequential:
    """A fresh network with the weights (and running statistics) of :func:`train_run`.

    Changing it leaves the cached run alone. It is returned in evaluation mode.

    Examples
    --------
    >>> net = trained_network("batch", 0.1, epochs=2)
    >>> net.training, net[1].num_batches_tracked
    (False, 40)
    """
    run = train_run(norm, lr, epochs, batch_size, seed)
    net = make_mlp(norm, seed=seed)
    net.load_state_dict(run.state)
    return net.eval()


def learning_rate_sweep(lrs=LR_GRID, norms=NORMS) -> dict:
    """``{(norm, lr): Run}`` for every learning rate and network (see :func:`train_run`).

    Examples
    --------
    >>> sweep = learning_rate_sweep(lrs=(0.1,), norms=("none",))
    >>> list(sweep)
    [('none', 0.1)]
    """
    return {(n, float(lr)): train_run(n, lr) for lr in lrs for n in norms}


def _sweep_curves(sweep) -> dict:
    """The arrays the learning-rate figure draws, without the weights (small to pickle)."""
    return {key: (run.train_loss, run.val_acc, run.final_acc, run.diverged)
            for key, run in sweep.items()}


# --------------------------------------------------------------------------------------------
# the learning-rate experiment
# --------------------------------------------------------------------------------------------
_LOSS_YLIM = (1e-5, 30.0)


class LearningRate(live.LiveFigure):
    """Training with and without normalisation at one learning rate.

    (a) The training loss of each picked network per epoch (log scale); a cross at the top
    marks a run that diverged, at the epoch it did. (b) The validation accuracy after each
    epoch. Controls: ``lr`` (a value of :data:`LR_GRID`) and ``norms`` (a
    :class:`book.live.Pick` of :data:`NORMS`). The axes are the same for every setting, so
    a move redraws only the curves.

    Parameters
    ----------
    curves : dict, optional
        ``{(norm, lr): (train_loss, val_acc, final_acc, diverged)}`` for every norm and
        learning rate; by default computed (or fetched from the cache) on first use. The
        experiment passes it in, so that the website's worker processes need not train.
    """

    size = (7.6, 3.7)

    def __init__(self, curves=None):
        self.curves = curves

    def _data(self):
        if self.curves is None:
            self.curves = _sweep_curves(learning_rate_sweep())
        return self.curves

    def build(self, fig, lr, norms):
        self._data()
        ax_l, ax_a = fig.subplots(1, 2)
        epochs = np.arange(1, EPOCHS + 1)
        for ax in (ax_l, ax_a):
            ax.set_xlim(0.5, EPOCHS + 0.5)
            ax.set_xticks([1, 4, 8, 12])
            ax.set_xlabel("epoch")
        ax_l.set_yscale("log")
        ax_l.set_ylim(*_LOSS_YLIM)
        ax_l.yaxis.set_major_locator(FixedLocator([1e-2, 1e-1, 1.0, 10.0]))
        ax_l.yaxis.set_minor_locator(NullLocator())
        ax_l.set_ylabel("training loss (log scale)")
        ax_l.set_title("(a) Training loss", fontsize=12)
        ax_l.axhline(np.log(10), color="#888888", lw=1, ls=":", zorder=1)
        ax_a.set_ylim(0, 1.02)
        ax_a.set_ylabel("validation accuracy")
        ax_a.set_title("(b) Validation accuracy", fontsize=12)
        ax_a.axhline(0.1, color="#888888", lw=1, ls=":", zorder=1)
        ax_a.text(EPOCHS + 0.4, 0.12, "chance", ha="right", va="bottom", fontsize=10,
                  color="#666666", zorder=1)
        self.loss_lines, self.crosses, self.acc_lines = {}, {}, {}
        for norm in NORMS:
            color, style, marker = _NORM_STYLE[norm]
            kw = dict(color=color, ls=style, marker=marker, ms=4, lw=2, zorder=3)
            self.loss_lines[norm], = ax_l.plot(epochs, np.full(EPOCHS, np.nan), **kw)
            self.crosses[norm], = ax_l.plot([], [], "x", color=color, ms=11, mew=2.5,
                                            zorder=4)
            self.acc_lines[norm], = ax_a.plot(epochs, np.full(EPOCHS, np.nan), **kw)
        handles = [Line2D([], [], color=_NORM_STYLE[n][0], ls=_NORM_STYLE[n][1],
                          marker=_NORM_STYLE[n][2], ms=5, lw=2, label=NORM_LABELS[n])
                   for n in NORMS]
        # the lowest training loss of the sweep is about 5e-3: the legend sits below it
        ax_l.legend(handles=handles, loc="lower left", fontsize=10, handlelength=2.4,
                    labelspacing=0.25, borderaxespad=0.3)
        self.animate(*self.loss_lines.values(), *self.crosses.values(),
                     *self.acc_lines.values())

    def update(self, lr, norms):
        data = self._data()
        lr = _grid_lr(lr)
        for norm in NORMS:
            loss, acc, _, diverged = data[norm, lr]
            self.loss_lines[norm].set_ydata(loss)
            self.acc_lines[norm].set_ydata(acc)
            if diverged:
                done = int(np.sum(np.isfinite(loss)))     # epochs completed before the NaN
                self.crosses[norm].set_data([done + 1], [_LOSS_YLIM[1] / 1.7])
            else:
                self.crosses[norm].set_data([], [])
            for artist in (self.loss_lines[norm], self.crosses[norm], self.acc_lines[norm]):
                artist.set_visible(norm in norms)

    def describe(self, lr, norms):
        data = self._data()
        lr = _grid_lr(lr)
        parts = []
        for norm in NORMS:
            loss, _, final, diverged = data[norm, lr]
            if diverged:
                parts.append(f"{NORM_LABELS[norm]} diverged")
            else:
                parts.append(f"{NORM_LABELS[norm]} {final:.0%} validation accuracy (final "
                             f"training loss {loss[-1]:.2g})")
        return (f"Training a 4-hidden-layer ReLU network on the digits with SGD at learning "
                f"rate η = {_fmt_lr(lr)} for {EPOCHS} epochs: " + "; ".join(parts) + ".")


def learning_rate_experiment() -> live.Experiment:
    """The chapter's first live experiment: :class:`LearningRate` with its controls.

    Trains (or fetches from the cache) the whole sweep first: 21 runs of a few tenths of a
    second each.
    """
    return live.Experiment(
        "learning-rate", LearningRate(_sweep_curves(learning_rate_sweep())),
        title="Training at a high learning rate, with and without normalisation",
        caption=("The same 4-hidden-layer ReLU network on the 8x8 digits, plain SGD, batches "
                 "of 64, 12 epochs; each hidden layer without normalisation, with batch norm "
                 "or with layer norm before its ReLU."),
        controls=dict(
            lr=LR_SLIDER,
            norms=live.Pick([(NORM_LABELS[n], n) for n in NORMS], NORMS,
                            label="networks")))


def draw_learning_rates(lrs=(0.1, 1.0, 3.16)) -> Figure:
    """The static version of the learning-rate experiment: one row per learning rate.

    Parameters
    ----------
    lrs : sequence of float
        Learning rates on :data:`LR_GRID` (the nearest grid value is used).

    Returns
    -------
    Figure
    """
    chosen = [_grid_lr(v) for v in lrs]
    figure = LearningRate(_sweep_curves(learning_rate_sweep()))
    return live.small_multiples(figure, [{"lr": v, "norms": NORMS} for v in chosen], ncols=1,
                                titles=[f"Learning rate η = {_fmt_lr(v)}" for v in chosen])


def draw_motivation(lr=1.0, units=6, batch=64) -> Figure:
    """The problem and what batch norm does: (a) training at a high learning rate with and
    without batch norm, (b) one batch of the first layer's pre-activations before and after
    batch norm.

    Examples
    --------
    >>> fig = draw_motivation(lr=0.1)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['epoch', 'unit of the first hidden layer']
    >>> plt.close(fig)
    """
    fig, (ax, ax_u) = plt.subplots(1, 2, figsize=(7.6, 3.7), width_ratios=(1, 1.1))
    epochs = np.arange(1, EPOCHS + 1)
    for norm in ("none", "batch"):
        run = train_run(norm, lr)
        color, style, marker = _NORM_STYLE[norm]
        ax.plot(epochs, run.train_loss, color=color, ls=style, marker=marker, ms=4,
                label=f"{NORM_LABELS[norm]}: {run.final_acc:.0%} accurate")
    ax.axhline(np.log(10), color="#888888", lw=1, ls=":")
    ax.set_yscale("log")
    ax.set_ylim(*_LOSS_YLIM)
    ax.yaxis.set_major_locator(FixedLocator([1e-2, 1e-1, 1.0, 10.0]))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xticks([1, 4, 8, 12])
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (log scale)")
    ax.set_title(f"(a) Training at η = {_fmt_lr(lr)}", fontsize=12)
    ax.legend(loc="lower left", fontsize=10)

    X_tr = digits_split(copy=False)[0]
    W = trained_network("batch", lr)[0].weight.data      # the trained first layer
    z = X_tr[:batch] @ W[:units].T                       # its output, before batch norm
    z_hat = (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + EPS)
    jitter = np.random.default_rng(1).uniform(-0.09, 0.09, size=z.shape)
    for k in range(units):
        ax_u.plot(k + 1 - 0.2 + jitter[:, k], z[:, k], "o", color="#777777", ms=3.2,
                  alpha=0.75, label="before: z" if k == 0 else None)
        ax_u.plot(k + 1 + 0.2 + jitter[:, k], z_hat[:, k], "o", color=COLORS[0], ms=3.2,
                  alpha=0.75, label="after: (z - μ) / σ" if k == 0 else None)
    ax_u.axhline(0, color="#444444", lw=0.8)
    ax_u.set_xticks(range(1, units + 1))
    ax_u.set_xlabel("unit of the first hidden layer")
    ax_u.set_ylabel(f"value over a batch of {batch} digits")
    ax_u.set_title("(b) Batch norm standardises each unit", fontsize=12)
    ax_u.legend(loc="upper left", fontsize=10, ncols=2, columnspacing=1.0, handletextpad=0.2,
                markerscale=1.6)
    lo, hi = ax_u.get_ylim()
    ax_u.set_ylim(lo, hi + 0.25 * (hi - lo))
    fig.suptitle("Batch norm lets a deep network train at a learning rate that stalls it "
                 "without", fontsize=11.5, fontweight="bold", x=0.01, ha="left")
    return fig


# --------------------------------------------------------------------------------------------
# the noise of batch statistics (the second live experiment)
# --------------------------------------------------------------------------------------------
#: Batches simulated per batch size.
NOISE_BATCHES = 2000
#: Batches drawn as points in the scatter plot.
_NOISE_SHOWN = 400
#: The unit of ``Linear(64, 32, rng=0)`` whose pre-activation is the population.
_NOISE_UNIT = 0
#: The chosen digit lies this many population stds above the mean.
_NOISE_Z = 1.5
#: Bins of the histogram of the digit's normalised value.
_HIST_EDGES = np.linspace(-2.0, 3.5, 111)


class Population(NamedTuple):
    """One unit's pre-activation over all 1,797 digits, and the digit that is followed.

    Attributes
    ----------
    z : ndarray of shape (1797,)
        z = x w for the unit's weights w (``Linear(64, 32, rng=0)``, row 0; no bias).
    mean, var : float
        The population mean and (biased) variance of z.
    example : int
        Index of the digit whose z lies closest to 1.5 population stds above the mean.
    """

    z: np.ndarray
    mean: float
    var: float
    example: int


@functools.lru_cache(maxsize=1)
def _population() -> Population:
    X, _ = digits()
    w = Linear(64, 32, rng=0).weight.data[_NOISE_UNIT]
    z = X @ w
    mean, var = float(z.mean()), float(z.var())
    example = int(np.argmin(np.abs((z - mean) / np.sqrt(var) - _NOISE_Z)))
    return Population(_readonly(z), mean, var, example)


def unit_population() -> Population:
    """The population of :func:`batch_statistics`: one hidden unit's pre-activation.

    Examples
    --------
    >>> pop = unit_population()
    >>> pop.z.shape, round(float((pop.z[pop.example] - pop.mean) / pop.var ** 0.5), 1)
    ((1797,), 1.5)
    """
    return _population()


class BatchStats(NamedTuple):
    """Batch statistics of :func:`unit_population` for one batch size (read-only arrays).

    Attributes
    ----------
    m : int
    means : ndarray of shape (n,)
        (mu_B - mu) / sigma for n independent batches: the error of each batch mean, in
        population stds.
    variances : ndarray of shape (n,)
        sigma_B^2 / sigma^2 for the same batches, with the *biased* batch variance (divide by
        m), the one batch norm normalises with.
    x_hat : ndarray of shape (n,)
        The followed digit's normalised value (z_0 - mu_B) / sqrt(sigma_B^2 + eps) in n
        batches made of that digit and m - 1 others.
    eval_x_hat : float
        Its value with the population statistics, (z_0 - mu) / sqrt(sigma^2 + eps): what
        evaluation mode computes once the running statistics have converged.
    """

    m: int
    means: np.ndarray
    variances: np.ndarray
    x_hat: np.ndarray
    eval_x_hat: float


@functools.lru_cache(maxsize=512)
def _batch_stats(m, n, seed) -> BatchStats:
    pop = _population()
    rng = np.random.default_rng([seed, m])
    std = math.sqrt(pop.var)
    draws = pop.z[rng.integers(0, pop.z.size, size=(n, m))]      # independent draws
    means = (draws.mean(axis=1) - pop.mean) / std
    variances = draws.var(axis=1) / pop.var
    z0 = pop.z[pop.example]
    batch = pop.z[rng.integers(0, pop.z.size, size=(n, m))]
    batch[:, 0] = z0                                             # the followed digit
    x_hat = (z0 - batch.mean(axis=1)) / np.sqrt(batch.var(axis=1) + EPS)
    eval_x_hat = (z0 - pop.mean) / math.sqrt(pop.var + EPS)
    return BatchStats(m, _readonly(means), _readonly(variances), _readonly(x_hat),
                      float(eval_x_hat))


def batch_statistics(m, n=NOISE_BATCHES, seed=0) -> BatchStats:
    """Simulate batch norm's statistics over batches of m digits (drawn with replacement).

    The population is one hidden unit's pre-activation over the 1,797 digits
    (:func:`unit_population`). Batches are m independent draws from it, so the theory of
    independent samples holds exactly: the batch mean has std sigma / sqrt(m) and the biased
    batch variance has mean (m - 1) / m sigma^2. Cached per (m, n, seed).

    Parameters
    ----------
    m : int
        Batch size, >= 2.
    n : int
        Number of batches.
    seed : int

    Returns
    -------
    BatchStats

    Examples
    --------
    >>> s = batch_statistics(2, n=500)
    >>> bool(np.mean(np.abs(np.abs(s.x_hat) - 1) < 0.01) > 0.9)   # m = 2: nearly always +-1
    True
    """
    where = "batch_statistics"
    m = check_int(m, where, "m (the batch size)", minimum=2)
    n = check_int(n, where, "n", minimum=2)
    seed = check_int(seed, where, "seed", minimum=0)
    return _batch_stats(m, n, seed)


_DIVISORS = (("m (normalising)", "m"), ("m - 1 (running_var)", "m-1"))


class BatchNoise(live.LiveFigure):
    """How noisy batch statistics are for a batch size m, and what that does to one digit.

    (a) The mean and the variance of 400 of the 2,000 simulated batches (points), in units
    of the population's; the population (star), the average over all 2,000 batches (plus),
    and the theory (grey dashes): the batch mean's std sigma / sqrt(m) either side of 0, and
    the batch variance's mean, (m - 1) / m sigma^2 when it divides by m, sigma^2 when it
    divides by m - 1 (the ``divisor`` control). (b) The distribution of one digit's
    normalised value in training mode over 2,000 batches that contain it (peak scaled to 1),
    and its value with the population statistics (dashed).

    Controls: ``m`` (2 to 256) and ``divisor`` ("m" or "m-1").
    """

    size = (7.6, 3.6)

    def build(self, fig, m, divisor):
        ax_s, ax_h = fig.subplots(1, 2)
        ax_s.set_xlim(-2.6, 2.6)
        ax_s.set_ylim(0, 4.0)
        ax_s.set_xlabel("(batch mean - μ) / σ")
        ax_s.set_ylabel("batch variance / σ²")
        ax_s.set_title("(a) Batch statistics", fontsize=12)
        grey = dict(color="#666666", ls="--", lw=1.2, zorder=3.5)
        self.spread = [ax_s.axvline(0, **grey), ax_s.axvline(0, **grey)]
        self.expect, = ax_s.plot([-2.6, 2.6], [1, 1], **grey)
        self.points = ax_s.scatter(np.zeros(_NOISE_SHOWN), np.ones(_NOISE_SHOWN), s=9,
                                   color=COLORS[0], alpha=0.45, linewidths=0, zorder=3)
        self.star, = ax_s.plot([0], [1], "*", mfc="none", mec="black", ms=16, mew=1.4,
                               zorder=4)
        self.average, = ax_s.plot([0], [1], "P", color=COLORS[3], ms=10, mec="white",
                                  mew=0.8, zorder=5)

        stats = batch_statistics(m)
        ax_h.set_xlim(_HIST_EDGES[0], _HIST_EDGES[-1])
        ax_h.set_ylim(0, 1.3)
        ax_h.set_yticks([0, 0.5, 1])
        ax_h.set_xlabel("normalised value x̂ of one digit")
        ax_h.set_ylabel("frequency (peak = 1)")
        ax_h.set_title("(b) One digit, many batches", fontsize=12)
        ax_h.axvline(stats.eval_x_hat, color="black", ls="--", lw=1.3, zorder=2)
        ax_h.text(stats.eval_x_hat + 0.08, 1.27, "population\nstatistics", ha="left",
                  va="top", fontsize=10, zorder=2)
        self.hist = ax_h.stairs(np.zeros(_HIST_EDGES.size - 1), _HIST_EDGES, fill=True,
                                color=COLORS[0], alpha=0.55, zorder=3)
        self.note = ax_h.text(0.03, 0.97, "", transform=ax_h.transAxes, ha="left",
                              va="top", fontsize=10, zorder=6)
        self.animate(self.points, *self.spread, self.expect, self.star, self.average,
                     self.hist, self.note)

    def update(self, m, divisor):
        m = int(m)
        stats = batch_statistics(m)
        unbiased = divisor == "m-1"
        var = stats.variances * (m / (m - 1) if unbiased else 1.0)
        self.points.set_offsets(np.column_stack([stats.means[:_NOISE_SHOWN],
                                                 var[:_NOISE_SHOWN]]))
        self.average.set_data([stats.means.mean()], [var.mean()])
        half = 1 / math.sqrt(m)
        for line, x in zip(self.spread, (-half, half), strict=True):
            line.set_xdata([x, x])
        level = 1.0 if unbiased else (m - 1) / m
        self.expect.set_ydata([level, level])
        counts, _ = np.histogram(stats.x_hat, _HIST_EDGES)
        self.hist.set_data(counts / counts.max())
        self.note.set_text(f"spread: std {stats.x_hat.std():.2f}")

    def describe(self, m, divisor):
        m = int(m)
        s = batch_statistics(m)
        var = s.variances * (m / (m - 1) if divisor == "m-1" else 1.0)
        div = "m" if divisor == "m" else "m - 1"
        return (f"Batches of m = {m} values of one hidden unit over the digits: the batch mean "
                f"has std {s.means.std():.2f} population stds (theory 1/sqrt(m) = "
                f"{1 / math.sqrt(m):.2f}); the batch variance divided by {div} averages "
                f"{var.mean():.2f} times the population variance. One digit's normalised "
                f"value varies across batches with std {s.x_hat.std():.2f} around "
                f"{s.x_hat.mean():.2f}; with the population statistics it is "
                f"{s.eval_x_hat:.2f}.")


def batch_noise_experiment() -> live.Experiment:
    """The chapter's second live experiment: :class:`BatchNoise` with its controls."""
    return live.Experiment(
        "batch-noise", BatchNoise(),
        title="How noisy are batch statistics?",
        caption=("One hidden unit's pre-activation over the 8x8 digits; batches of m digits "
                 "drawn at random. The batch mean and variance estimate the population's, "
                 "and one digit's normalised value depends on the other digits in its batch."),
        controls=dict(
            m=live.IntSlider(2, 256, value=16, label="batch size m",
                             web=(2, 4, 8, 16, 32, 64, 128, 256)),
            divisor=live.Choice(list(_DIVISORS), "m", label="variance divides by")))


def draw_batch_noise(ms=(4, 32, 256)) -> Figure:
    """The static version of the batch-noise experiment: one row per batch size.

    Examples
    --------
    >>> fig = draw_batch_noise((4, 64))
    >>> len(fig.axes)
    4
    >>> plt.close(fig)
    """
    ms = [check_int(m, "draw_batch_noise", "every batch size", minimum=2) for m in ms]
    return live.small_multiples(BatchNoise(), [{"m": m, "divisor": "m"} for m in ms],
                                ncols=1, titles=[f"Batches of m = {m}" for m in ms])


# --------------------------------------------------------------------------------------------
# which entries share statistics: the (m, C, L) blocks
# --------------------------------------------------------------------------------------------
_BLOCK = dict(m=4, C=6, L=4, groups=2)
_DEPTH_DX, _DEPTH_DY = 0.8, 0.6


def _project(c, p, i):
    """Oblique projection of the point (channel c, position p, example i)."""
    return c + i * _DEPTH_DX, p + i * _DEPTH_DY


def _cell(kind, a, b, C, L):
    """Corners of a visible face cell: front (c, p), top (c, i) or side (p, i)."""
    if kind == "front":
        c, p = a, b
        pts = [(c, p, 0), (c + 1, p, 0), (c + 1, p + 1, 0), (c, p + 1, 0)]
    elif kind == "top":
        c, i = a, b
        pts = [(c, L, i), (c + 1, L, i), (c + 1, L, i + 1), (c, L, i + 1)]
    else:
        p, i = a, b
        pts = [(C, p, i), (C, p + 1, i), (C, p + 1, i + 1), (C, p, i + 1)]
    return [_project(*p) for p in pts]


def _draw_block(ax, shaded, color, hatch=None):
    """An (m, C, L) block seen from the front-top-right; cells whose voxel is in ``shaded``
    (a function of (example i, channel c, position p)) are filled."""
    m, C, L = _BLOCK["m"], _BLOCK["C"], _BLOCK["L"]
    faces = [("front", C, L, lambda c, p: (0, c, p)),
             ("top", C, m, lambda c, i: (i, c, L - 1)),
             ("side", L, m, lambda p, i: (i, C - 1, p))]
    for kind, na, nb, voxel in faces:
        for a in range(na):
            for b in range(nb):
                on = shaded(*voxel(a, b))
                ax.add_patch(Polygon(_cell(kind, a, b, C, L), closed=True,
                                     fc=color if on else "white", ec="#555555", lw=0.7,
                                     alpha=1.0, hatch=hatch if on else None))
    ax.annotate("", xy=(C, -0.55), xytext=(0, -0.55),
                arrowprops=dict(arrowstyle="->", color="#333333", lw=1))
    ax.text(C / 2, -0.75, "channels C", ha="center", va="top", fontsize=10)
    ax.annotate("", xy=(-0.5, L), xytext=(-0.5, 0),
                arrowprops=dict(arrowstyle="->", color="#333333", lw=1))
    ax.text(-0.75, L / 2, "positions L", ha="right", va="center", fontsize=10, rotation=90)
    bx, by = _project(C, 0, 0)
    ex, ey = _project(C, 0, m)
    ax.annotate("", xy=(ex + 0.45, ey - 0.1), xytext=(bx + 0.45, by - 0.1),
                arrowprops=dict(arrowstyle="->", color="#333333", lw=1))
    ax.text((bx + ex) / 2 + 0.75, (by + ey) / 2 - 0.35, "batch m", ha="left", va="center",
            fontsize=10)
    ax.set_xlim(-1.4, C + m * _DEPTH_DX + 2.2)
    ax.set_ylim(-1.5, L + m * _DEPTH_DY + 0.3)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_norm_axes() -> Figure:
    """Which entries share one mean and variance, for each of the five normalisation layers.

    Each panel is an input block of shape (m, C, L): m examples (depth), C channels
    (horizontal) and L positions (vertical); for the (m, d) input of an MLP, C = d and
    L = 1. The shaded cells are the entries of *one* set that shares a mean and a variance
    (for RMSNorm, a mean square); the layer does the same for every other such set.

    Examples
    --------
    >>> fig = draw_norm_axes()
    >>> [ax.get_title() for ax in fig.axes][:2]
    ['Batch norm', 'Layer norm']
    >>> plt.close(fig)
    """
    C, G = _BLOCK["C"], _BLOCK["groups"]
    c_star = 2
    group = set(range(C // G))
    panels = [
        ("Batch norm", "per channel: over\nthe batch and positions",
         lambda i, c, p: c == c_star, None),
        ("Layer norm", "per example: over\nchannels and positions",
         lambda i, c, p: i == 0, None),
        ("RMSNorm", "per example, like layer norm,\nbut no mean: scale only",
         lambda i, c, p: i == 0, "///"),
        (f"Group norm (G = {G})", "per example and group\nof channels",
         lambda i, c, p: i == 0 and c in group, None),
        ("Instance norm", "per example and channel:\nover the positions",
         lambda i, c, p: i == 0 and c == c_star, None),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(7.6, 5.6))
    axes = axes.ravel()
    for ax, (title, note, shaded, hatch) in zip(axes, panels, strict=False):
        _draw_block(ax, shaded, COLORS[5] if hatch else COLORS[0], hatch=hatch)
        ax.set_title(title, fontsize=12, loc="center")
        ax.text(0.5, -0.04, note, transform=ax.transAxes, ha="center", va="top", fontsize=10)
    key = axes[-1]
    key.axis("off")
    key.text(0.0, 0.95, "Shaded: one set of entries\nthat share a mean and a\nvariance. "
             "The layer\nnormalises every such set\nseparately.\n\nAn MLP's (m, d) input\n"
             "is the case L = 1.", transform=key.transAxes, ha="left", va="top", fontsize=10)
    fig.suptitle("Five normalisation layers differ only in which entries share statistics",
                 fontsize=11.5, fontweight="bold", x=0.01, ha="left")
    return fig


# --------------------------------------------------------------------------------------------
# recalibrating running statistics
# --------------------------------------------------------------------------------------------
def recalibrate(net, X, batch_size=64):
    """Recompute the running statistics of every ``BatchNorm1d`` in ``net`` from ``X``.

    The running statistics are reset and replaced by the plain average over the minibatches
    of ``X`` (``momentum=None`` while it runs); no parameter changes. The network is left in
    evaluation mode. Use it when the data changed after training (a new scale, a new sensor)
    and a few unlabelled examples of the new kind are at hand.

    Parameters
    ----------
    net : Sequential
    X : ndarray of shape (n, d)
        Inputs of the new kind (no labels needed).
    batch_size : int
        >= 2.

    Returns
    -------
    Sequential
        ``net`` itself.

    Examples
    --------
    >>> from nnlib.normalization import BatchNorm1d
    >>> net = Sequential(BatchNorm1d(2))
    >>> _ = recalibrate(net, np.array([[1.0, 10.0], [3.0, 30.0]] * 4), batch_size=4)
    >>> net[0].running_mean
    array([ 2., 20.])
    """
    batch_size = check_int(batch_size, "recalibrate", "batch_size", minimum=2)
    layers = [layer for _, layer in net.named_modules() if isinstance(layer, BatchNorm1d)]
    saved = [layer.momentum for layer in layers]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None            # a cumulative average over the batches
    net.train()
    for start in range(0, len(X), batch_size):
        if len(X) - start >= 2:
            net(X[start:start + batch_size])
    for layer, momentum in zip(layers, saved, strict=True):
        layer.momentum = momentum
    return net.eval()


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks enumerate them).
EXPERIMENTS = (learning_rate_experiment, batch_noise_experiment)
