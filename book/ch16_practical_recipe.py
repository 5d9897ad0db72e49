"""Experiments of Chapter 16 (A practical recipe and diagnostics).

The chapter puts the tools of the book together: a default recipe for training a network,
the instruments that tell a healthy run from a sick one, a trick-ablation panel and a zoo of
broken training runs. Every per-layer measurement goes through :mod:`nnlib.probes`; every
figure of a live experiment is a :class:`book.live.LiveFigure`, so the notebook's widget, the
website's flipbook, the static figures and the tests draw the same thing.

Contents

- Data: :func:`digits_split` (the standardised split every network of the chapter trains
  on) and :func:`digits_tables` (the same split as raw tables, the input of the bug zoo).
- The opening: :func:`draw_opening` (a deep network without tricks, and with them).
- The recipe: :func:`draw_recipe` (the flow diagram) and :func:`draw_dashboard`
  (``nnlib.plot.diagnostics`` laid out for the book's column).
- Overfitting one batch: :func:`memorising_network` (the construction of the chapter's
  theorem), :func:`one_batch`, :func:`overfit_one_batch`, :func:`draw_one_batch`.
- The update-to-weight ratio: :func:`lr_sweep`, :func:`draw_lr_sweep`.
- The trick ablation: :data:`TRICKS`, :func:`ablation_network`, :func:`ablation_run`
  (cached), :func:`trick_comparison`, :func:`draw_trick_comparison`, :class:`AblationPanel`,
  :func:`ablation_experiment`.
- The bug zoo: :class:`Pipeline` (the reference training script) and its nine broken copies
  :class:`Run1` ... :class:`Run9`, :data:`ZOO`, :func:`zoo_run` (cached),
  :func:`case_source`, :func:`one_batch_verdicts`, :func:`draw_zoo_gallery`,
  :class:`ZooDashboard`, :func:`bug_zoo_experiment`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import textwrap
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import FixedLocator, NullFormatter

from nnlib import init as nn_init
from nnlib import probes
from nnlib._checks import check_bool, check_int
from nnlib.core import Sequential
from nnlib.data import digits, standardize, train_val_test_split
from nnlib.layers import (BatchNorm1d, Dropout, Linear, ReLU, Residual, Softmax, mlp)
from nnlib.losses import CrossEntropyLoss
from nnlib.optim import SGD, Adam, AdamW
from nnlib.plot import COLORS
from nnlib.schedules import CosineAnnealingLR, LinearWarmup
from nnlib.train import accuracy, fit, iterate_minibatches

from . import live, shared
from .shared import one_blas_thread

__all__ = [
    "SEED", "CLASSES", "PROBE_SIZE",
    "digits_split", "digits_tables",
    "draw_opening", "draw_recipe", "draw_dashboard",
    "memorising_network", "one_batch", "OneBatch", "overfit_one_batch", "draw_one_batch",
    "SWEEP_LRS", "lr_sweep", "draw_lr_sweep",
    "TRICKS", "TRICK_LABELS", "RECIPE", "NO_TRICKS", "ABLATION", "AblationSettings",
    "ablation_network", "AblationRun", "ablation_run", "init_gradient_norms",
    "trick_comparison", "draw_trick_comparison", "AblationPanel", "ablation_experiment",
    "Pipeline", "Run1", "Run2", "Run3", "Run4", "Run5", "Run6", "Run6Fixed", "Run7", "Run8",
    "Run8Fixed", "Run9", "Case", "ZOO", "ZooRun", "zoo_run", "reference_source", "leak_check",
    "case_source",
    "one_batch_verdicts", "draw_zoo_gallery", "ZooDashboard", "bug_zoo_experiment",
    "EXPERIMENTS",
]

#: The seed of every network, minibatch order and dropout mask of the chapter.
SEED = 0
#: Number of classes of the digits.
CLASSES = 10
#: Training images in the fixed batch on which the diagnostics are measured (as in
#: :func:`nnlib.train.fit`).
PROBE_SIZE = 256

_INK = "#222222"
_GREY = "#777777"


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------
def digits_split():
    """The chapter's split of the 8x8 digits, each pixel standardised with training statistics:
    :func:`book.shared.digits_split` with ``standardized=True`` (fresh copies).

    Examples
    --------
    >>> X_tr, y_tr, X_val, y_val, X_te, y_te = digits_split()
    >>> X_tr.shape, X_val.shape, X_te.shape
    ((1259, 64), (270, 64), (268, 64))
    """
    return shared.digits_split(standardized=True)


def _split():
    return shared.digits_split(copy=False, standardized=True)


@functools.lru_cache(maxsize=1)
def _tables():
    X, y = digits(scale=False)
    parts = train_val_test_split(X, y, rng=SEED)
    tables = [np.column_stack([X_, np.eye(CLASSES)[y_]])
              for X_, y_ in zip(parts[0::2], parts[1::2], strict=True)]
    train = tables[0]
    # the training images come one folder per digit: the rows are grouped by class
    tables[0] = train[np.argsort(train[:, 64:].argmax(axis=1), kind="stable")]
    for t in tables:
        t.setflags(write=False)
    return tuple(tables)


def digits_tables():
    """The digits as the bug zoo's training script reads them: one table per part.

    Each row is one image: 64 pixel counts (0 to 16), then its label one-hot encoded in 10
    columns, so a table has 74 columns. The parts are those of :func:`digits_split`; the
    training table's rows are grouped by class (all the 0s, then all the 1s, ...), as if
    the images had been read one folder per digit.

    Returns
    -------
    train, val, test : ndarray of shape (m, 74)
        Fresh copies.

    Examples
    --------
    >>> train, val, test = digits_tables()
    >>> train.shape, val.shape, test.shape
    ((1259, 74), (270, 74), (268, 74))
    >>> labels = train[:, 64:].argmax(axis=1)
    >>> bool(np.all(np.diff(labels) >= 0))            # grouped by class
    True
    """
    return tuple(t.copy() for t in _tables())


def _check_seed(seed, where):
    return check_int(seed, where, "seed", minimum=0)


# --------------------------------------------------------------------------------------------
# the bug zoo: a reference training script and nine broken copies
# --------------------------------------------------------------------------------------------
@dataclass
class ZooRun:
    """What :meth:`Pipeline.run` measured: the numbers behind one dashboard.

    Attributes
    ----------
    name : str
        The class that ran, e.g. ``"Run3"`` or ``"Pipeline"``.
    epochs : int
        Epochs completed.
    steps_per_epoch : int
    step_loss : ndarray of shape (steps,)
        The loss of every minibatch, as ``train_step`` returned it (training mode).
    val_loss, val_acc : ndarray of shape (epochs,)
        The pipeline's own ``evaluate`` on the validation set after each epoch.
    train_loss, train_acc : ndarray of shape (epochs,)
        The pipeline's own ``evaluate`` on the probe batch (256 training images).
    grad_norm : ndarray of shape (epochs + 1, 4)
        ||dL/dW|| of each Linear layer on the probe batch (row 0: before training), measured
        by :func:`nnlib.probes.gradient_norms` (evaluation mode).
    act_std, dead_fraction : ndarray of shape (epochs + 1, 3)
        Standard deviation and fraction of dead units of each ReLU layer's output on the
        probe batch (:func:`nnlib.probes.activation_stats`).
    update_ratio : ndarray of shape (steps, 4)
        ||W_after - W_before|| / ||W_before|| of each Linear layer at every step
        (:class:`nnlib.probes.WeightSnapshot`).
    test_acc : float
        Accuracy on the test set, evaluated by the harness in evaluation mode (whatever
        the pipeline's ``evaluate`` does); NaN if training diverged.
    diverged_at : int or None
        The step whose loss was not finite (training stopped there).
    seconds : float
    model : Module
        The trained network (kept for follow-up checks).
    """

    name: str
    epochs: int
    steps_per_epoch: int
    step_loss: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    train_loss: np.ndarray
    train_acc: np.ndarray
    grad_norm: np.ndarray
    act_std: np.ndarray
    dead_fraction: np.ndarray
    update_ratio: np.ndarray
    test_acc: float
    diverged_at: int | None
    seconds: float
    model: object = field(repr=False, default=None)

    @property
    def step_epoch(self) -> np.ndarray:
        """The x coordinate of every step in epochs (step k ends at k / steps_per_epoch)."""
        return np.arange(1, len(self.step_loss) + 1) / self.steps_per_epoch


class Pipeline:
    """The reference training script of the bug zoo: a ReLU MLP on the digits with Adam.

    Each step of a training script is a method, so that a broken copy (:class:`Run1` to
    :class:`Run9`) overrides exactly the lines it changes. :meth:`run` is the harness around
    them: it calls the methods in order and measures, with :mod:`nnlib.probes`, everything a
    dashboard shows. The training table's rows are grouped by class (:func:`digits_tables`).

    Parameters
    ----------
    seed : int
        Seeds ``self.rng``, the one generator of the script (initial weights, minibatch
        order, dropout masks).
    epochs : int, optional
        Overrides the class attribute ``epochs``.

    Examples
    --------
    >>> result = Pipeline(epochs=1).run()
    >>> result.epochs, result.steps_per_epoch, result.grad_norm.shape
    (1, 20, (2, 4))
    """

    epochs = 8
    batch_size = 64

    def __init__(self, seed=0, epochs=None):
        self.rng = np.random.default_rng(seed)
        if epochs is not None:
            self.epochs = epochs

    def load_data(self):
        tables = digits_tables()   # 64 pixel columns, 10 one-hot label columns
        X = [t[:, :64] for t in tables]
        y = [t[:, 64:].argmax(axis=1) for t in tables]
        X_train, X_val, X_test, _, _ = standardize(*X)
        return (X_train, y[0]), (X_val, y[1]), (X_test, y[2])

    def build_model(self, n_features):  # ReLU, He init, logits out
        return mlp([n_features, 128, 128, 128, 10], "relu", rng=self.rng)

    def make_optimizer(self, model):
        return Adam(model.parameters(), lr=1e-3)

    def batches(self, X, y):
        return iterate_minibatches(X, y, self.batch_size, shuffle=True,
                                   rng=self.rng)

    def train_step(self, X_b, y_b):
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(X_b), y_b)
        self.model.backward(self.loss_fn.backward())
        self.optimizer.step()
        return loss

    def evaluate(self, X, y):
        self.model.eval()
        logits = self.model(X)
        self.model.train()
        return self.loss_fn(logits, y), accuracy(logits, y)

    # -- the harness ---------------------------------------------------------------------
    def run(self) -> ZooRun:
        """Train as the script says and measure every step and epoch (see :class:`ZooRun`).

        The diagnostics use a fixed batch of 256 training images (the same rows for every
        script, chosen by a generator of their own so that the script's ``rng`` is not
        disturbed). Overflow in a diverging run is not reported as a warning: the dashboard
        shows it.
        """
        start = time.perf_counter()
        with one_blas_thread(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            (X_train, y_train), (X_val, y_val), (X_test, y_test) = self.load_data()
            self.loss_fn = CrossEntropyLoss()
            self.model = self.build_model(X_train.shape[1])
            self.optimizer = self.make_optimizer(self.model)
            self.model.train()
            rows = np.sort(np.random.default_rng(1).choice(len(X_train), PROBE_SIZE,
                                                           replace=False))
            X_probe, y_probe = X_train[rows], y_train[rows]
            snapshot = probes.WeightSnapshot(self.model)
            linear = [k for k, layer in probes.named_layers(self.model)
                      if isinstance(layer, Linear)]
            grads, stds, dead = [], [], []

            def measure():
                g = probes.gradient_norms(self.model, X_probe, y_probe, self.loss_fn)
                s = probes.activation_stats(self.model, X_probe)
                grads.append([g[k] for k in linear])
                relu = [v for k, v in s.items() if k.endswith(":ReLU")]
                stds.append([v["std"] for v in relu])
                dead.append([v["dead_fraction"] for v in relu])

            measure()
            step_loss, ratios, val, train = [], [], [], []
            diverged_at, steps_per_epoch = None, 0
            for _ in range(self.epochs):
                n = 0
                for X_b, y_b in self.batches(X_train, y_train):
                    snapshot.take()
                    loss = float(self.train_step(X_b, y_b))
                    step_loss.append(loss)
                    r = snapshot.update_ratios()
                    ratios.append([r[k] for k in linear])
                    n += 1
                    if not math.isfinite(loss):
                        diverged_at = len(step_loss)
                        break
                steps_per_epoch = steps_per_epoch or n
                if diverged_at is not None:
                    break
                val.append(self.evaluate(X_val, y_val))
                train.append(self.evaluate(X_probe, y_probe))
                measure()
            self.model.eval()
            test_acc = (accuracy(self.model(X_test), y_test) if diverged_at is None
                        else math.nan)
            self.model.train()
        val = np.array(val, dtype=float).reshape(-1, 2)
        train = np.array(train, dtype=float).reshape(-1, 2)
        return ZooRun(
            name=type(self).__name__, epochs=len(val), steps_per_epoch=steps_per_epoch,
            step_loss=np.array(step_loss), val_loss=val[:, 0], val_acc=val[:, 1],
            train_loss=train[:, 0], train_acc=train[:, 1], grad_norm=np.array(grads),
            act_std=np.array(stds),
            dead_fraction=np.array(dead), update_ratio=np.array(ratios), test_acc=test_acc,
            diverged_at=diverged_at, seconds=time.perf_counter() - start, model=self.model)


# The nine broken copies. Their code is shown to the reader as it is here (case_source), so
# it carries no comment that gives the bug away; the diagnosis is in ZOO and in the chapter.
class Run1(Pipeline):
    def make_optimizer(self, model):
        return Adam(model.parameters(), lr=0.1)


class Run2(Pipeline):
    def build_model(self, n_features):
        model = mlp([n_features, 128, 128, 128, 10], "relu", rng=self.rng)
        model.append(Softmax())           # outputs class probabilities
        return model


class Run3(Pipeline):
    def batches(self, X, y):
        return iterate_minibatches(X, y, self.batch_size, shuffle=False)


class Run4(Pipeline):
    def train_step(self, X_b, y_b):
        loss = self.loss_fn(self.model(X_b), y_b)
        self.model.backward(self.loss_fn.backward())
        self.optimizer.step()
        return loss


class Run5(Pipeline):
    def build_model(self, n_features):
        model = mlp([n_features, 128, 128, 128, 10], "relu", rng=self.rng)
        for layer in model:
            if isinstance(layer, Linear):
                layer.bias.data[:] = -2.0
        return model


class Run6(Pipeline):
    def build_model(self, n_features):
        layers, n = [], n_features
        for width in (128, 128, 128):
            layers += [Linear(n, width, rng=self.rng), ReLU(),
                       Dropout(0.3, rng=self.rng)]
            n = width
        return Sequential(*layers, Linear(n, 10, rng=self.rng))

    def evaluate(self, X, y):
        logits = self.model(X)
        return self.loss_fn(logits, y), accuracy(logits, y)


class Run6Fixed(Run6):
    evaluate = Pipeline.evaluate


class Run7(Pipeline):
    def load_data(self):
        tables = digits_tables()
        X = [t[:, :-1] for t in tables]
        y = [t[:, 64:].argmax(axis=1) for t in tables]
        X_train, X_val, X_test, _, _ = standardize(*X)
        return (X_train, y[0]), (X_val, y[1]), (X_test, y[2])


class Run8(Pipeline):
    bn_momentum = 0.001

    def build_model(self, n_features):
        layers, n = [], n_features
        for width in (128, 128, 128):
            layers += [Linear(n, width, rng=self.rng), ReLU(),
                       BatchNorm1d(width, momentum=self.bn_momentum)]
            n = width
        return Sequential(*layers, Linear(n, 10, rng=self.rng))


class Run8Fixed(Run8):
    bn_momentum = 0.1


class Run9(Pipeline):
    def load_data(self):
        (X_train, y_train), val, test = super().load_data()
        X_train = X_train[self.rng.permutation(len(X_train))]   # shuffle once
        y_train = y_train[self.rng.permutation(len(y_train))]
        return (X_train, y_train), val, test


@dataclass(frozen=True)
class Case:
    """One exhibit of the bug zoo.

    Attributes
    ----------
    number : int
    bug : type
        The broken script (a :class:`Pipeline` subclass).
    fixed : type
        The same script repaired.
    name : str
        The bug in a few words (the answer: never shown next to the buggy dashboard).
    """

    number: int
    bug: type
    fixed: type
    name: str


#: The bug zoo: nine broken copies of :class:`Pipeline`, in the order the chapter shows them.
ZOO = (
    Case(1, Run1, Pipeline, "a learning rate far too high"),
    Case(2, Run2, Pipeline, "softmax before a loss that expects logits"),
    Case(3, Run3, Pipeline, "class-sorted data, never shuffled"),
    Case(4, Run4, Pipeline, "gradients never zeroed"),
    Case(5, Run5, Pipeline, "dead ReLUs from a bad bias"),
    Case(6, Run6, Run6Fixed, "dropout left on at evaluation"),
    Case(7, Run7, Pipeline, "the labels leak into the features"),
    Case(8, Run8, Run8Fixed, "stale batch-norm statistics"),
    Case(9, Run9, Pipeline, "images and labels shuffled separately"),
)


def _case(number, where):
    number = check_int(number, where, "number")
    if not 1 <= number <= len(ZOO):
        raise ValueError(f"{where}: expected a run number from 1 to {len(ZOO)}, got {number}.")
    return ZOO[number - 1]


#: Every zoo script trained in this process (class -> ZooRun).
_ZOO_RUNS: dict = {}


def _script_run(cls) -> ZooRun:
    if cls not in _ZOO_RUNS:
        _ZOO_RUNS[cls] = cls().run()
    return _ZOO_RUNS[cls]


def zoo_run(number, fixed=False) -> ZooRun:
    """Train run ``number`` of the bug zoo (or its repaired version) and measure it; cached.

    Parameters
    ----------
    number : int
        1 to 9 (see :data:`ZOO`).
    fixed : bool
        Run the repaired script instead. Several cases share the same repair (the
        reference :class:`Pipeline`), which is then trained once.

    Returns
    -------
    ZooRun

    Examples
    --------
    >>> r = zoo_run(9)
    >>> bool(r.val_loss[-1] > np.log(10) > r.step_loss[-1])      # noise memorised
    True
    """
    case = _case(number, "zoo_run")
    fixed = check_bool(fixed, "zoo_run", "fixed")
    return _script_run(case.fixed if fixed else case.bug)


def reference_source() -> str:
    """The reference script as the chapter shows it: :class:`Pipeline` without its docstring
    and without the harness (:meth:`Pipeline.run`).

    Examples
    --------
    >>> print(reference_source().splitlines()[0])
    class Pipeline:
    """
    lines = textwrap.dedent(inspect.getsource(Pipeline)).splitlines()
    body_start = next(i for i, line in enumerate(lines) if line.strip() == "epochs = 8")
    harness = next(i for i, line in enumerate(lines) if "-- the harness" in line)
    return "\n".join([lines[0]] + lines[body_start:harness]).rstrip()


def leak_check():
    """Run 7's network on the test images with its leaked columns, and without them.

    New images come without labels, so the nine label columns that run 7 reads as features
    are 0 there (standardised with the training statistics, as the script does).

    Returns
    -------
    with_labels, without_labels : float
        Test accuracies.

    Examples
    --------
    >>> with_labels, without_labels = leak_check()
    >>> with_labels > without_labels + 0.1
    True
    """
    tables = digits_tables()
    X = [t[:, :-1] for t in tables]
    _, _, X_test, mean, std = standardize(*X)
    blank = X[2].copy()
    blank[:, 64:] = 0.0
    y_test = tables[2][:, 64:].argmax(axis=1)
    model = zoo_run(7).model
    with one_blas_thread():
        model.eval()
        with_labels = accuracy(model(X_test), y_test)
        without_labels = accuracy(model((blank - mean) / std), y_test)
        model.train()
    return with_labels, without_labels


def case_source(number) -> str:
    """The code of run ``number`` as the chapter shows it: the class, as written here.

    Examples
    --------
    >>> print(case_source(1))
    class Run1(Pipeline):
        def make_optimizer(self, model):
            return Adam(model.parameters(), lr=0.1)
    """
    case = _case(number, "case_source")
    return textwrap.dedent(inspect.getsource(case.bug)).strip()


# --------------------------------------------------------------------------------------------
# the bug zoo's figures
# --------------------------------------------------------------------------------------------
#: Colour of each layer in the dashboards: Linear layer l and the ReLU after it share one.
_LAYER_COLORS = (COLORS[2], COLORS[4], COLORS[5], COLORS[3])
#: Axis limits of the zoo's dashboard, the same for every run (values outside are drawn on
#: the edge): loss, gradient norm, update ratio and activation spread (all log scales).
_ZOO_LIMITS = {"loss": (1e-3, 1e2), "grad": (1e-4, 1e2), "ratio": (1e-5, 3.0),
               "std": (1e-2, 1e2)}


def _floor(values, lo):
    """Values for a log axis: anything below ``lo`` (zeros included) drawn at ``lo``."""
    v = np.asarray(values, dtype=float)
    return np.where(np.isfinite(v), np.maximum(v, lo), np.nan)


def _decade_axis(ax, lo, hi):
    """A log axis from ``lo`` to ``hi`` with a labelled tick at every decade (every second
    one when there are more than five)."""
    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    a, b = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    step = 1 if b - a <= 5 else 2
    ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(a, b + 1, step)))
    ax.yaxis.set_minor_locator(FixedLocator(10.0 ** np.arange(a, b + 1)))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _sci(x):
    """A number for a sentence: 0.39 or 12 as such, 2.3e-06 in scientific form."""
    if not math.isfinite(x):
        return str(x)
    return f"{x:.2g}" if x == 0 or 1e-2 <= abs(x) < 1e3 else f"{x:.1e}"


def _pct(x):
    return "n/a" if not math.isfinite(x) else f"{x:.1%}"


class ZooDashboard(live.LiveFigure):
    """The bug zoo's dashboard: six panels that show what a training run did.

    Controls: ``run`` (1 to 9, see :data:`ZOO`) and ``fixed`` (the repaired script). The
    panels: (a) the loss of every training step, the loss on 256 training images and on the
    validation set after every epoch (both as the script evaluates them); (b) the accuracies
    on the same two sets; (c) the gradient norm of each Linear layer and (d) its
    update-to-weight ratio at every step; (e) the spread and (f) the fraction of dead units of
    each ReLU layer. All axes are fixed, so a change of run only redraws the curves; a value
    below a log axis (a zero) is drawn on its bottom edge.

    Parameters
    ----------
    runs : dict, optional
        Runs already computed, ``{script class: ZooRun}``; the website's build hands the
        kernel's runs to the processes that draw the frames.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(ZooDashboard())
    >>> png = r.png({"run": 2, "fixed": False})
    >>> r.live.headline.get_text()
    'Run 2 as written: test accuracy 97.8%'
    >>> r.close()
    """

    size = (7.4, 7.8)

    def __init__(self, runs=None):
        self.runs = dict(runs or {})

    def run(self, run, fixed) -> ZooRun:
        case = _case(run, "ZooDashboard")
        cls = case.fixed if fixed else case.bug
        if cls not in self.runs:
            self.runs[cls] = zoo_run(case.number, bool(fixed))
        return self.runs[cls]

    def build(self, fig, run, fixed):
        axes = fig.subplots(3, 2, sharex=True)
        (a_loss, a_acc), (a_grad, a_ratio), (a_std, a_dead) = axes
        self.headline = fig.suptitle(" ", x=0.01, ha="left", fontsize=12, fontweight="bold")
        epochs = Pipeline.epochs
        for ax in axes.ravel():
            ax.set_xlim(0, epochs + 0.2)
            ax.set_xticks(range(0, epochs + 1, 2))
        for ax in axes[-1]:
            ax.set_xlabel("epoch")
        _decade_axis(a_loss, *_ZOO_LIMITS["loss"])
        a_loss.axhline(math.log(CLASSES), color=_GREY, ls=":", lw=1.3, zorder=1)
        a_loss.text(epochs + 0.15, math.log(CLASSES) * 1.25, "ln 10", ha="right", va="bottom",
                    fontsize=10, color=_GREY, zorder=1)
        a_loss.set_ylabel("loss (log)")
        a_loss.set_title("(a) Loss", fontsize=11)
        a_acc.set_ylim(0, 1.02)
        a_acc.axhline(1 / CLASSES, color=_GREY, ls=":", lw=1.3, zorder=1)
        a_acc.set_ylabel("accuracy")
        a_acc.set_title("(b) Accuracy", fontsize=11)
        _decade_axis(a_grad, *_ZOO_LIMITS["grad"])
        a_grad.set_ylabel(r"$\|\partial L / \partial W\|$ (log)")
        a_grad.set_title("(c) Gradient norm per layer", fontsize=11)
        _decade_axis(a_ratio, *_ZOO_LIMITS["ratio"])
        a_ratio.axhline(1e-3, color=_GREY, ls=":", lw=1.3, zorder=1)
        a_ratio.set_ylabel(r"$\|\Delta W\| / \|W\|$ (log)")
        a_ratio.set_title("(d) Update-to-weight ratio", fontsize=11)
        _decade_axis(a_std, *_ZOO_LIMITS["std"])
        a_std.set_ylabel("std of output (log)")
        a_std.set_title("(e) Activation spread, ReLU layers", fontsize=11)
        a_dead.set_ylim(-0.03, 1.03)
        a_dead.set_ylabel("fraction of units")
        a_dead.set_title("(f) Dead ReLUs", fontsize=11)

        def line(ax, color, **kw):
            return ax.plot([], [], color=color, zorder=6, **kw)[0]

        self.step_line = line(a_loss, COLORS[0], lw=0.9, alpha=0.55)
        self.train_loss = line(a_loss, COLORS[0], lw=2, marker="o", ms=3.5)
        self.val_loss = line(a_loss, COLORS[1], lw=2, marker="s", ms=3.5)
        self.train_acc = line(a_acc, COLORS[0], lw=2, marker="o", ms=3.5)
        self.val_acc = line(a_acc, COLORS[1], lw=2, marker="s", ms=3.5)
        self.grads = [line(a_grad, c, lw=1.8) for c in _LAYER_COLORS]
        self.ratios = [line(a_ratio, c, lw=1.0) for c in _LAYER_COLORS]
        self.stds = [line(a_std, c, lw=1.8) for c in _LAYER_COLORS[:3]]
        self.deads = [line(a_dead, c, lw=1.8) for c in _LAYER_COLORS[:3]]
        handles = [Line2D([], [], color=COLORS[0], lw=0.9, alpha=0.55),
                   Line2D([], [], color=COLORS[0], lw=2, marker="o", ms=3.5),
                   Line2D([], [], color=COLORS[1], lw=2, marker="s", ms=3.5)]
        labels = ["training steps", "training images", "validation"]
        handles += [Line2D([], [], color=c, lw=2) for c in _LAYER_COLORS]
        labels += ["layer 1", "layer 2", "layer 3", "layer 4 (output)"]
        fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=10,
                   handlelength=1.8, columnspacing=1.2)
        self.animate(self.headline, self.step_line, self.train_loss, self.val_loss,
                     self.train_acc, self.val_acc, *self.grads, *self.ratios, *self.stds,
                     *self.deads)

    def update(self, run, fixed):
        r = self.run(run, fixed)
        epochs = np.arange(1, r.epochs + 1)
        with_init = np.arange(0, r.epochs + 1)
        lo = _ZOO_LIMITS
        self.step_line.set_data(r.step_epoch, _floor(r.step_loss, lo["loss"][0]))
        self.train_loss.set_data(epochs, _floor(r.train_loss, lo["loss"][0]))
        self.val_loss.set_data(epochs, _floor(r.val_loss, lo["loss"][0]))
        self.train_acc.set_data(epochs, r.train_acc)
        self.val_acc.set_data(epochs, r.val_acc)
        for k, ln in enumerate(self.grads):
            ln.set_data(with_init, _floor(r.grad_norm[:, k], lo["grad"][0]))
        for k, ln in enumerate(self.ratios):
            ln.set_data(r.step_epoch[:len(r.update_ratio)],
                        _floor(r.update_ratio[:, k], lo["ratio"][0]))
        for k, ln in enumerate(self.stds):
            ln.set_data(with_init, _floor(r.act_std[:, k], lo["std"][0]))
        for k, ln in enumerate(self.deads):
            ln.set_data(with_init, r.dead_fraction[:, k])
        state = "fixed" if fixed else "as written"
        self.headline.set_text(f"Run {int(run)} {state}: test accuracy {_pct(r.test_acc)}")

    def describe(self, run, fixed):
        r = self.run(run, fixed)
        state = "fixed" if fixed else "as written"
        dead = ", ".join(f"{d:.0%}" for d in r.dead_fraction[-1])
        return (f"Run {int(run)} {state}, {r.epochs} epochs: validation loss from "
                f"{_sci(r.val_loss[0])} to {_sci(r.val_loss[-1])} (ln 10 = 2.3), validation "
                f"accuracy from {r.val_acc[0]:.0%} to {r.val_acc[-1]:.0%}; last training step "
                f"loss {_sci(r.step_loss[-1])}; gradient norms at the end "
                f"{_sci(r.grad_norm[-1].min())} to {_sci(r.grad_norm[-1].max())}; median "
                f"update-to-weight ratio {_sci(float(np.median(r.update_ratio)))}; dead ReLUs "
                f"at the end {dead}; test accuracy {_pct(r.test_acc)}.")


def bug_zoo_experiment(runs=None) -> live.Experiment:
    """The bug zoo as a live experiment: :class:`ZooDashboard`, a run and a "fixed" switch.

    Eighteen frames on the website (nine runs, each as written and fixed).

    Parameters
    ----------
    runs : dict, optional
        Runs already computed (see :class:`ZooDashboard`). By default every zoo run trained
        so far in this process (without the trained networks, which the figure does not
        need).
    """
    if runs is None:
        runs = {cls: dataclasses.replace(r, model=None) for cls, r in _ZOO_RUNS.items()}
    return live.Experiment(
        "bug-zoo", ZooDashboard(runs),
        title="The bug zoo: nine broken training runs and their dashboards",
        caption=("Each run is the reference script (Adam, learning rate 0.001, three hidden "
                 "layers of 128 ReLUs, 8 epochs on the digits) with one change. Diagnose it "
                 "from the panels before you open its code and the answer below; then tick "
                 "'fixed'. Values below a log axis (zeros) sit on its bottom edge; dotted: "
                 "ln 10, chance (accuracy 0.1) and the update ratio 0.001."),
        controls=dict(
            run=live.Choice([(f"Run {c.number}", c.number) for c in ZOO], 1, label="run"),
            fixed=live.Toggle(False, label="fixed")))


def draw_zoo_gallery() -> Figure:
    """The nine broken runs' loss curves side by side: what the loss alone tells.

    Returns
    -------
    Figure
        A 3 x 3 grid: per-step training loss (thin) and validation loss per epoch, on the
        same log axes as the dashboard.

    Examples
    --------
    >>> fig = draw_zoo_gallery()
    >>> len(fig.axes), fig.axes[0].get_title()
    (9, 'Run 1')
    >>> plt.close(fig)
    """
    fig, axes = plt.subplots(3, 3, figsize=(7.4, 6.4), sharex=True, sharey=True)
    lo, hi = _ZOO_LIMITS["loss"]
    for ax, case in zip(axes.ravel(), ZOO, strict=True):
        r = zoo_run(case.number)
        ax.plot(r.step_epoch, _floor(r.step_loss, lo), color=COLORS[0], lw=0.9, alpha=0.6,
                label="training steps")
        ax.plot(np.arange(1, r.epochs + 1), _floor(r.val_loss, lo), color=COLORS[1], lw=2,
                marker="s", ms=3, label="validation")
        ax.axhline(math.log(CLASSES), color=_GREY, ls=":", lw=1.2)
        _decade_axis(ax, lo, hi)
        ax.set_xlim(0, Pipeline.epochs + 0.2)
        ax.set_title(f"Run {case.number}", fontsize=11)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("loss (log)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles.append(Line2D([], [], color=_GREY, ls=":", lw=1.2))
    labels.append("ln 10")
    fig.legend(handles, labels, loc="outside upper center", ncol=3, fontsize=10)
    return fig


def one_batch_verdicts(steps=100, m=32) -> dict:
    """Would overfitting one batch have caught each bug of the zoo?

    Every script (the nine broken ones and the reference) trains ``steps`` steps on its own
    first ``m`` shuffled training examples, with its own model, optimiser and
    ``train_step``; then its own ``evaluate`` measures the loss on that batch.

    Parameters
    ----------
    steps, m : int

    Returns
    -------
    dict of int -> float
        Run number (0 for the reference) -> the final evaluated loss on the batch.

    Examples
    --------
    >>> losses = one_batch_verdicts()
    >>> losses[0] < 0.01 < 1 < losses[2]     # the reference passes, softmax-first fails
    True
    """
    steps = check_int(steps, "one_batch_verdicts", "steps", minimum=1)
    m = check_int(m, "one_batch_verdicts", "m", minimum=2)
    out = {}
    for number, cls in [(0, Pipeline)] + [(c.number, c.bug) for c in ZOO]:
        out[number] = _one_batch_loss(cls, steps, m)
    return out


@functools.cache
def _one_batch_loss(cls, steps, m):
    script = cls()
    with one_blas_thread(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        (X, y), _, _ = script.load_data()
        rows = np.random.default_rng(2).choice(len(X), m, replace=False)
        X_b, y_b = X[rows], y[rows]
        script.loss_fn = CrossEntropyLoss()
        script.model = script.build_model(X.shape[1])
        script.optimizer = script.make_optimizer(script.model)
        script.model.train()
        for _ in range(steps):
            if not math.isfinite(float(script.train_step(X_b, y_b))):
                return math.inf
        return float(script.evaluate(X_b, y_b)[0])


# --------------------------------------------------------------------------------------------
# the trick ablation
# --------------------------------------------------------------------------------------------
#: The six tricks of the ablation panel, in the order of its check boxes.
TRICKS = ("he", "residual", "batchnorm", "dropout", "schedule", "adamw")
#: How the panel and the figures name them.
TRICK_LABELS = {"he": "He init", "residual": "residual", "batchnorm": "batch norm",
                "dropout": "dropout", "schedule": "warmup + cosine", "adamw": "AdamW"}
#: The recipe's choice: every trick but dropout (a regulariser, added only against
#: overfitting).
RECIPE = {"he": True, "residual": True, "batchnorm": True, "dropout": False,
          "schedule": True, "adamw": True}
#: Every trick off.
NO_TRICKS = dict.fromkeys(TRICKS, False)


@dataclass(frozen=True)
class AblationSettings:
    """The fixed part of the ablation: one deep MLP and a short training run.

    Attributes
    ----------
    depth : int
        Linear layers: a stem 64 -> width, ``depth - 2`` hidden blocks width -> width and a
        head width -> 10.
    width : int
    epochs, batch_size : int
        10 epochs of 10 minibatches of 128 images (100 steps).
    sgd_lr : float
        The learning rate of plain SGD (AdamW off).
    adamw_lr, weight_decay : float
        AdamW's (AdamW on).
    dropout : float
        The drop probability p after every ReLU (dropout on).
    warmup : int
        Steps of linear warmup before the cosine (schedule on; off: a constant rate).
    naive_std : float
        The std of the N(0, naive_std^2) initial weights when He initialisation is off.
    """

    depth: int = 6
    width: int = 64
    epochs: int = 10
    batch_size: int = 128
    sgd_lr: float = 0.1
    adamw_lr: float = 3e-3
    weight_decay: float = 1e-2
    dropout: float = 0.1
    warmup: int = 10
    naive_std: float = 0.01


#: The settings every ablation run uses.
ABLATION = AblationSettings()


def _tricks(values, where):
    """The six switches as a tuple of bools in :data:`TRICKS` order (missing ones: off)."""
    unknown = set(values) - set(TRICKS)
    if unknown:
        raise ValueError(f"{where}: unknown trick(s) {sorted(unknown)}; the tricks are "
                         f"{list(TRICKS)}.")
    return tuple(check_bool(values.get(k, False), where, k) for k in TRICKS)


def ablation_network(he=True, residual=True, batchnorm=True, dropout=False, seed=SEED,
                     settings=ABLATION) -> Sequential:
    """The ablation's deep MLP with the architectural tricks switched on or off.

    Each hidden block is pre-activation style, ``[BatchNorm1d] -> ReLU -> [Dropout] ->
    Linear``, wrapped in a :class:`~nnlib.layers.Residual` (x + F(x)) when ``residual``; a
    Linear stem comes first and ``[BatchNorm1d] -> ReLU -> [Dropout] -> Linear`` last.

    Parameters
    ----------
    he : bool
        He initialisation N(0, 2 / n_in) (Chapter 11); off: N(0, 0.01^2), the small random
        weights of early tutorials. Biases start at 0 either way.
    residual, batchnorm, dropout : bool
    seed : int
        Seeds the weights and the dropout masks. With the same seed the weights are the same
        random numbers whatever the switches (only their scale follows ``he``).
    settings : AblationSettings

    Returns
    -------
    Sequential

    Examples
    --------
    >>> net = ablation_network(residual=True, batchnorm=False)
    >>> [type(m).__name__ for m in net]
    ['Linear', 'Residual', 'Residual', 'Residual', 'Residual', 'ReLU', 'Linear']
    """
    where = "ablation_network"
    he, residual, batchnorm, dropout = (check_bool(v, where, n) for v, n in (
        (he, "he"), (residual, "residual"), (batchnorm, "batchnorm"), (dropout, "dropout")))
    rng = np.random.default_rng(_check_seed(seed, where))
    s = settings
    init = "he" if he else functools.partial(nn_init.normal, std=s.naive_std)

    def linear(n_in, n_out):
        return Linear(n_in, n_out, init=init, rng=rng)

    def pre(n):
        return (([BatchNorm1d(n)] if batchnorm else []) + [ReLU()]
                + ([Dropout(s.dropout, rng=rng)] if dropout else []))

    layers = [linear(64, s.width)]
    for _ in range(s.depth - 2):
        block = Sequential(*pre(s.width), linear(s.width, s.width))
        layers.append(Residual(block) if residual else block)
    return Sequential(*layers, *pre(s.width), linear(s.width, CLASSES))


class AblationRun(NamedTuple):
    """One training run of the ablation.

    Attributes
    ----------
    tricks : dict of str -> bool
    train_loss, val_loss : ndarray of shape (epochs,)
        Per epoch: the mean minibatch loss (training mode) and the validation loss.
    train_acc, val_acc : ndarray of shape (epochs,)
    test_acc : float
        Accuracy of the final weights on the 268 test images (NaN if training diverged).
    lr : ndarray of shape (steps,)
        The learning rate of every step.
    grad_init : ndarray of shape (depth,)
        ||dL/dW|| of each Linear layer before training, on 256 training images.
    diverged : bool
    seconds : float
    """

    tricks: dict
    train_loss: np.ndarray
    val_loss: np.ndarray
    train_acc: np.ndarray
    val_acc: np.ndarray
    test_acc: float
    lr: np.ndarray
    grad_init: np.ndarray
    diverged: bool
    seconds: float


def init_gradient_norms(net, X, y) -> np.ndarray:
    """||dL/dW|| of every Linear layer of ``net`` for the cross-entropy on (X, y), through
    :func:`nnlib.probes.gradient_norms` (evaluation mode, nothing changed).

    Examples
    --------
    >>> X, y = digits_split()[:2]
    >>> init_gradient_norms(ablation_network(), X[:64], y[:64]).shape
    (6,)
    """
    norms = probes.gradient_norms(net, X, y, CrossEntropyLoss())
    layers = dict(probes.named_layers(net))
    return np.array([v for k, v in norms.items() if isinstance(layers[k], Linear)])


def _optimizer_and_schedule(net, adamw, schedule, steps, s=ABLATION):
    if adamw:
        optimizer = AdamW(net.parameters(), lr=s.adamw_lr, weight_decay=s.weight_decay)
    else:
        optimizer = SGD(net.parameters(), lr=s.sgd_lr)
    sched = None
    if schedule:
        sched = LinearWarmup(optimizer, s.warmup,
                             after=CosineAnnealingLR(optimizer, T_max=steps - s.warmup))
    return optimizer, sched


#: Every ablation run trained in this process, by its tuple of six switches.
_ABLATION_RUNS: dict = {}


def _ablation(key) -> AblationRun:
    """The run for ``key`` (a tuple of six bools), trained on first use and kept."""
    if key not in _ABLATION_RUNS:
        _ABLATION_RUNS[key] = _train_ablation(key)
    return _ABLATION_RUNS[key]


def _train_ablation(key) -> AblationRun:
    import warnings

    tricks = dict(zip(TRICKS, key, strict=True))
    s = ABLATION
    X_tr, y_tr, X_val, y_val, X_te, y_te = _split()
    start = time.perf_counter()
    net = ablation_network(tricks["he"], tricks["residual"], tricks["batchnorm"],
                           tricks["dropout"])
    with one_blas_thread():
        grad_init = init_gradient_norms(net, X_tr[:PROBE_SIZE], y_tr[:PROBE_SIZE])
    steps = s.epochs * math.ceil(len(X_tr) / s.batch_size)
    optimizer, sched = _optimizer_and_schedule(net, tricks["adamw"], tricks["schedule"], steps)
    with warnings.catch_warnings(record=True):   # a divergence is shown, not printed
        warnings.simplefilter("always")
        history = fit(net, CrossEntropyLoss(), optimizer, X_tr, y_tr, s.epochs,
                      batch_size=s.batch_size, validation=(X_val, y_val), schedule=sched,
                      schedule_interval="batch", rng=SEED, progress=False, diagnostics=False,
                      blas_threads=1)
    diverged = bool(history.diverged)
    with one_blas_thread():
        net.eval()
        test_acc = math.nan if diverged else accuracy(net(X_te), y_te)
    lr_per_step = _lr_per_step(tricks, steps)
    return AblationRun(tricks, np.array(history.train_loss), np.array(history.val_loss),
                       np.array(history.train_acc), np.array(history.val_acc), test_acc,
                       lr_per_step, grad_init, diverged, time.perf_counter() - start)


def _lr_per_step(tricks, steps, s=ABLATION):
    """The learning rate of each of the ``steps`` steps, from the schedule's closed form."""
    from nnlib.schedules import schedule_values

    base = s.adamw_lr if tricks["adamw"] else s.sgd_lr
    if not tricks["schedule"]:
        return np.full(steps, base)

    def make(opt):
        return LinearWarmup(opt, s.warmup, after=CosineAnnealingLR(opt, T_max=steps - s.warmup))

    return schedule_values(make, steps, lr=base)


def ablation_run(**tricks) -> AblationRun:
    """Train the ablation's network with the given tricks on (the others off); cached.

    Parameters
    ----------
    **tricks : bool
        Any of :data:`TRICKS`; a trick not named is off. ``ablation_run(**RECIPE)`` is the
        recipe, ``ablation_run()`` the network without any trick.

    Returns
    -------
    AblationRun

    Examples
    --------
    >>> run = ablation_run(he=True)
    >>> run.val_acc.shape, run.lr.shape, run.grad_init.shape
    ((10,), (100,), (6,))
    """
    return _ablation(_tricks(tricks, "ablation_run"))


def trick_comparison() -> dict:
    """The fourteen runs of the static ablation figure.

    Returns
    -------
    dict
        ``"none"`` and ``"all"``: the runs with no trick and with all six; ``"alone"``:
        {trick: run with only that trick}; ``"without"``: {trick: run with every trick but
        that one}.

    Examples
    --------
    >>> comp = trick_comparison()
    >>> sorted(comp), len(comp["alone"]), len(comp["without"])
    (['all', 'alone', 'none', 'without'], 6, 6)
    """
    return {"none": ablation_run(),
            "all": ablation_run(**dict.fromkeys(TRICKS, True)),
            "alone": {t: ablation_run(**{t: True}) for t in TRICKS},
            "without": {t: ablation_run(**{u: u != t for u in TRICKS}) for t in TRICKS}}


def draw_trick_comparison(comp=None) -> Figure:
    """Test accuracy with one trick added to none (left) and one removed from all (right).

    Parameters
    ----------
    comp : dict, optional
        The result of :func:`trick_comparison` (computed if not given).

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_trick_comparison()
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['test accuracy', 'test accuracy']
    >>> plt.close(fig)
    """
    comp = trick_comparison() if comp is None else comp
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.4, 3.3), sharey=True)
    y = np.arange(len(TRICKS))[::-1]
    labels = [TRICK_LABELS[t] for t in TRICKS]
    panels = ((left, comp["alone"], comp["none"], "(a) Only this trick", "no trick",
               COLORS[0]),
              (right, comp["without"], comp["all"], "(b) Every trick but this one",
               "all six", COLORS[1]))
    for ax, runs, ref, title, ref_label, color in panels:
        acc = np.array([runs[t].test_acc for t in TRICKS])
        ax.barh(y, acc, color=color, height=0.62)
        for yi, a in zip(y, acc, strict=True):
            inside = a > 0.3
            ax.text(a - 0.02 if inside else a + 0.02, yi, f"{a:.0%}", va="center",
                    ha="right" if inside else "left", fontsize=10,
                    color="white" if inside else _INK)
        ax.axvline(ref.test_acc, color=_INK, ls=":", lw=1.5)
        ax.text(ref.test_acc, len(TRICKS) - 0.35, f"{ref_label}: {ref.test_acc:.0%}",
                ha="right" if ref.test_acc > 0.5 else "left", va="bottom", fontsize=10)
        ax.set_xlim(0, 1.0)
        ax.set_ylim(-0.6, len(TRICKS) + 0.2)
        ax.set_xlabel("test accuracy")
        ax.set_title(title, fontsize=11)
        ax.grid(axis="y", visible=False)
    left.set_yticks(y, labels)
    return fig


# --- the live panel -----------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _ablation_grad_limits():
    """Log limits (whole decades) that hold the initial gradient norms of every network."""
    X, y = _split()[:2]
    values = []
    with one_blas_thread():
        for he, residual, batchnorm in np.ndindex(2, 2, 2):
            net = ablation_network(bool(he), bool(residual), bool(batchnorm), False)
            values.append(init_gradient_norms(net, X[:PROBE_SIZE], y[:PROBE_SIZE]))
    values = np.concatenate(values)
    return (10.0 ** math.floor(math.log10(values.min())),
            10.0 ** math.ceil(math.log10(values.max())))


_ABLATION_LIMITS = {"loss": (3e-3, 10.0), "lr": (1e-7, 1.0)}


class AblationPanel(live.LiveFigure):
    """The trick-ablation panel: one deep MLP trained with any subset of six tricks.

    Controls: one switch per trick of :data:`TRICKS`. Panels: (a) training loss (mean over
    each epoch's minibatches, in training mode) and validation loss; (b) training and
    validation accuracy, with the test accuracy after the last epoch; (c) the gradient norm
    of each Linear layer before training, which tells whether the signal reaches every layer;
    (d) the learning rate of every step. Every axis is fixed, so a change only redraws the
    curves.

    Parameters
    ----------
    runs : dict, optional
        Runs already computed, ``{tuple of six bools: AblationRun}``; the website's build
        hands the kernel's runs to the processes that draw the frames.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(AblationPanel())
    >>> png = r.png(dict(NO_TRICKS))
    >>> r.live.headline.get_text()
    'Test accuracy 10.1%'
    >>> r.close()
    """

    size = (7.4, 5.6)

    def __init__(self, runs=None):
        self.runs = dict(runs or {})

    def run(self, **tricks) -> AblationRun:
        key = _tricks(tricks, "AblationPanel")
        if key not in self.runs:
            self.runs[key] = _ablation(key)
        return self.runs[key]

    def build(self, fig, **tricks):
        s = ABLATION
        (a_loss, a_acc), (a_grad, a_lr) = fig.subplots(2, 2)
        self.headline = fig.suptitle(" ", x=0.01, ha="left", fontsize=12, fontweight="bold")
        for ax in (a_loss, a_acc):
            ax.set_xlim(0.6, s.epochs + 0.6)
            ax.set_xticks(range(2, s.epochs + 1, 2))
            ax.set_xlabel("epoch")
        _decade_axis(a_loss, *_ABLATION_LIMITS["loss"])
        a_loss.axhline(math.log(CLASSES), color=_GREY, ls=":", lw=1.3, zorder=1)
        a_loss.set_ylabel("loss (log)")
        a_loss.set_title("(a) Loss", fontsize=11)
        a_acc.set_ylim(0, 1.02)
        a_acc.axhline(1 / CLASSES, color=_GREY, ls=":", lw=1.3, zorder=1)
        a_acc.set_ylabel("accuracy")
        a_acc.set_title("(b) Accuracy", fontsize=11)
        _decade_axis(a_grad, *_ablation_grad_limits())
        a_grad.set_xlim(0.6, s.depth + 0.4)
        a_grad.set_xticks(range(1, s.depth + 1))
        a_grad.set_xlabel("layer $l$ (1 = next to the input)")
        a_grad.set_ylabel(r"$\|\partial L / \partial W^{(l)}\|$ (log)")
        a_grad.set_title("(c) Gradient per layer at the start", fontsize=11)
        steps = s.epochs * math.ceil(len(_split()[0]) / s.batch_size)
        a_lr.set_xlim(0, steps)
        _decade_axis(a_lr, *_ABLATION_LIMITS["lr"])
        a_lr.set_xlabel("step")
        a_lr.set_ylabel(r"learning rate $\eta$ (log)")
        a_lr.set_title("(d) Learning rate", fontsize=11)

        def line(ax, color, **kw):
            return ax.plot([], [], color=color, zorder=6, **kw)[0]

        self.train_loss = line(a_loss, COLORS[0], lw=2, marker="o", ms=3.5)
        self.val_loss = line(a_loss, COLORS[1], lw=2, marker="s", ms=3.5)
        self.train_acc = line(a_acc, COLORS[0], lw=2, marker="o", ms=3.5)
        self.val_acc = line(a_acc, COLORS[1], lw=2, marker="s", ms=3.5)
        self.test_acc = line(a_acc, _INK, lw=0, marker="*", ms=13)
        self.grad = line(a_grad, COLORS[2], lw=2, marker="D", ms=5)
        self.lr = line(a_lr, COLORS[4], lw=2)
        handles = [Line2D([], [], color=COLORS[0], lw=2, marker="o", ms=3.5),
                   Line2D([], [], color=COLORS[1], lw=2, marker="s", ms=3.5),
                   Line2D([], [], color=_INK, lw=0, marker="*", ms=11),
                   Line2D([], [], color=_GREY, ls=":", lw=1.3)]
        fig.legend(handles, ["training", "validation", "test (final weights)",
                             "ln 10 and chance"],
                   loc="outside lower center", ncol=4, fontsize=10, handlelength=1.8,
                   columnspacing=1.2)
        self.animate(self.headline, self.train_loss, self.val_loss, self.train_acc,
                     self.val_acc, self.test_acc, self.grad, self.lr)

    def update(self, **tricks):
        r = self.run(**tricks)
        lo = _ABLATION_LIMITS
        epochs = np.arange(1, len(r.train_loss) + 1)
        self.train_loss.set_data(epochs, _floor(r.train_loss, lo["loss"][0]))
        self.val_loss.set_data(epochs, _floor(r.val_loss, lo["loss"][0]))
        self.train_acc.set_data(epochs, r.train_acc)
        self.val_acc.set_data(epochs, r.val_acc)
        self.test_acc.set_data([ABLATION.epochs + 0.3], [r.test_acc])
        self.grad.set_data(np.arange(1, len(r.grad_init) + 1),
                           _floor(r.grad_init, _ablation_grad_limits()[0]))
        self.lr.set_data(np.arange(len(r.lr)), _floor(r.lr, lo["lr"][0]))
        extra = " (training diverged)" if r.diverged else ""
        self.headline.set_text(f"Test accuracy {_pct(r.test_acc)}{extra}")

    def describe(self, **tricks):
        r = self.run(**tricks)
        switches = ", ".join(f"{TRICK_LABELS[t]} {live._fmt(r.tricks[t])}" for t in TRICKS)
        return (f"{switches}: test accuracy {_pct(r.test_acc)}; validation accuracy after "
                f"{len(r.val_acc)} epochs {r.val_acc[-1]:.0%}; final training loss "
                f"{_sci(r.train_loss[-1])}, validation loss {_sci(r.val_loss[-1])}; gradient "
                f"norms before training from {_sci(r.grad_init[0])} (layer 1) to "
                f"{_sci(r.grad_init[-1])} (layer {len(r.grad_init)}).")


def ablation_experiment(runs=None) -> live.Experiment:
    """The trick-ablation panel as a live experiment: six switches, 64 frames on the website.

    Parameters
    ----------
    runs : dict, optional
        Runs already computed (see :class:`AblationPanel`). By default every run computed so
        far in this process, so that the website's build trains only the others.
    """
    if runs is None:
        runs = dict(_ABLATION_RUNS)
    controls = {t: live.Toggle(RECIPE[t], label=TRICK_LABELS[t]) for t in TRICKS}
    return live.Experiment(
        "trick-ablation", AblationPanel(runs),
        title="Which tricks matter? One deep MLP, any subset of six tricks",
        caption=("Six Linear layers of 64 units on the digits, 100 steps of 128 images. "
                 "Switched off: weights N(0, 0.01^2) instead of He's, no skips, no batch norm, "
                 "no dropout (p = 0.1 when on), a constant learning rate, plain SGD at 0.1 "
                 "instead of AdamW at 0.003. A gradient of 0 would sit on the bottom edge of "
                 "(c). All 64 combinations are trained once and kept; on 268 test images one "
                 "image is 0.4 points."),
        controls=controls)



# --------------------------------------------------------------------------------------------
# the opening figure
# --------------------------------------------------------------------------------------------
def draw_opening(plain=None, recipe=None) -> Figure:
    """The same deep MLP without any trick and with the recipe's: loss and initial gradients.

    Parameters
    ----------
    plain, recipe : AblationRun, optional
        Default ``ablation_run()`` and ``ablation_run(**RECIPE)``.

    Returns
    -------
    Figure
        (a) training loss per epoch (dotted: ln 10); (b) the gradient norm of each
        Linear layer before training (log scale).

    Examples
    --------
    >>> fig = draw_opening()
    >>> [ax.get_yscale() for ax in fig.axes]
    ['linear', 'log']
    >>> plt.close(fig)
    """
    plain = ablation_run() if plain is None else plain
    recipe = ablation_run(**RECIPE) if recipe is None else recipe
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.4, 3.4))
    runs = ((plain, "no trick", COLORS[3], "o"), (recipe, "the recipe's tricks", COLORS[0], "s"))
    for run, label, color, marker in runs:
        epochs = np.arange(1, len(run.train_loss) + 1)
        a.plot(epochs, run.train_loss, color=color, marker=marker, ms=4, label=label)
        layers = np.arange(1, len(run.grad_init) + 1)
        b.plot(layers, run.grad_init, color=color, marker=marker, ms=5, label=label)
    a.axhline(math.log(CLASSES), color=_GREY, ls=":", lw=1.3)
    a.text(ABLATION.epochs, math.log(CLASSES) + 0.04, "ln 10", ha="right", va="bottom",
           fontsize=10, color=_GREY)
    a.set_ylim(0, 2.6)
    a.set_xlabel("epoch")
    a.set_ylabel("training loss")
    a.set_title("(a) Loss", fontsize=11)
    a.legend(fontsize=10, loc="center right")
    b.set_yscale("log")
    _decade_axis(b, *_ablation_grad_limits())
    b.set_xticks(range(1, ABLATION.depth + 1))
    b.set_xlabel("layer $l$ (1 = next to the input)")
    b.set_ylabel(r"$\|\partial L / \partial W^{(l)}\|$ at the start (log)")
    b.set_title("(b) Gradient per layer before training", fontsize=11)
    return fig


# --------------------------------------------------------------------------------------------
# the recipe, drawn
# --------------------------------------------------------------------------------------------
_RECIPE_STEPS = (
    ("1  Data", "look at examples; split into\ntraining, validation, test;\n"
                "standardise with training\nstatistics"),
    ("2  Start small", "1-2 hidden layers, ReLU, He\ninit; cross-entropy on logits;\n"
                       "Adam at 1e-3 (or SGD with\nmomentum 0.9)"),
    ("3  Check the plumbing", "loss at the start = ln C?\ncan it overfit one batch?"),
    ("4  Train and watch", "curves, gradient norms,\nactivation statistics,\n"
                           "update ratio near 1e-3"),
    ("5  Fix what you see", "the symptoms-and-fixes\ntable; the bug zoo"),
    ("6  Scale up, regularise", "deeper: skips, normalisation;\nlonger: warmup + cosine;\n"
                                "overfitting: weight decay,\ndropout, early stopping"),
)


def draw_recipe() -> Figure:
    """The recipe as a flow diagram: six steps, with a loop back from the last.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_recipe()
    >>> len([t for t in fig.axes[0].texts if t.get_text().startswith("3")])
    1
    >>> plt.close(fig)
    """
    fig, ax = plt.subplots(figsize=(7.4, 4.3))
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 2)
    ax.set_axis_off()
    w, h = 0.9, 0.74
    centres = [(0.5, 1.5), (1.5, 1.5), (2.5, 1.5), (2.5, 0.5), (1.5, 0.5), (0.5, 0.5)]
    fills = ["#eef5fb", "#eef5fb", "#fdf3e3", "#fdf3e3", "#fbeee8", "#eef8f2"]
    for (title, body), (x, y), fill in zip(_RECIPE_STEPS, centres, fills, strict=True):
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                    boxstyle="round,pad=0.02,rounding_size=0.05",
                                    facecolor=fill, edgecolor=_INK, lw=1.2))
        ax.text(x, y + h / 2 - 0.07, title, ha="center", va="top", fontsize=10.5,
                fontweight="bold", color=_INK)
        ax.text(x, y + h / 2 - 0.24, body, ha="center", va="top", fontsize=10,
                color=_INK, linespacing=1.25)

    def arrow(p, q, color=_INK, **kw):
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=14, lw=1.4,
                                     color=color, **kw))

    arrow((0.5 + w / 2, 1.5), (1.5 - w / 2, 1.5))
    arrow((1.5 + w / 2, 1.5), (2.5 - w / 2, 1.5))
    arrow((2.5, 1.5 - h / 2), (2.5, 0.5 + h / 2))
    arrow((2.5 - w / 2, 0.5), (1.5 + w / 2, 0.5))
    arrow((1.5 - w / 2, 0.5), (0.5 + w / 2, 0.5))
    # the loop back: a straight dashed line through the empty crossing of the four gaps
    arrow((0.75, 0.5 + h / 2), (1.25, 1.5 - h / 2), linestyle="--", color=_GREY)
    ax.text(1.1, 1.0, "repeat from step 2", ha="left", va="center", fontsize=10,
            color=_GREY, style="italic")
    ax.set_title("The recipe: start simple, check, watch, then add", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------------
# the capstone and its dashboard
# --------------------------------------------------------------------------------------------
def draw_dashboard(history, title=None) -> Figure:
    """:func:`nnlib.plot.diagnostics` laid out for the book's column: three rows of two.

    ``nnlib.plot.diagnostics`` draws its six panels in two rows of three, 13.5 inches wide;
    here the same axes are moved into three rows of two, 7.4 inches wide, and the four
    per-layer legends become one legend under the figure (the colours are shared).

    Parameters
    ----------
    history : History
    title : str, optional

    Returns
    -------
    Figure

    Examples
    --------
    >>> X, y = digits_split()[:2]
    >>> net = mlp([64, 16, 10], rng=0)
    >>> history = fit(net, CrossEntropyLoss(), Adam(net.parameters()), X, y, 2,
    ...               progress=False)
    >>> fig = draw_dashboard(history)
    >>> fig.get_size_inches().tolist(), len(fig.axes)
    ([7.4, 9.4], 6)
    >>> plt.close(fig)
    """
    from matplotlib.gridspec import GridSpec

    from nnlib import plot

    fig = plot.diagnostics(history, title=title)
    loss, acc, grad, std, dead, ratio = fig.axes
    grid = GridSpec(3, 2, figure=fig)
    for k, ax in enumerate((loss, acc, grad, ratio, std, dead)):
        ax.set_subplotspec(grid[k // 2, k % 2])
    fig.set_size_inches(7.4, 9.4)
    # the four per-layer panels share one colour per layer: one legend for all of them,
    # under the figure, instead of four legends over the curves
    layers = {}
    for ax in (grad, ratio, std):
        for line in ax.get_lines():
            label = line.get_label()
            if not label.startswith("_") and label not in layers:
                layers[label] = Line2D([], [], color=line.get_color(), lw=2)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    if dead.get_legend() is not None:
        dead.get_legend().remove()
    order = sorted(layers, key=lambda k: int(k.split(":")[0]) if k[0].isdigit() else 99)
    fig.legend([layers[k] for k in order], order, loc="outside lower center", ncol=4,
               fontsize=9, title="layers (position:class), in the lower four panels",
               title_fontsize=9, frameon=False)
    for text in ratio.texts:                      # the rule of thumb's label: to the right,
        text.set_x(0.99)                          # where late curves are far below it
        text.set_horizontalalignment("right")
    for ax in (loss, acc):
        legend = ax.get_legend()
        if legend is not None:
            handles, labels = ax.get_legend_handles_labels()
            ax.legend(handles, labels, fontsize=9, loc="best", framealpha=0.85)
    for ax in (loss, grad, ratio):                # whole decades only on the log axes
        _decade_ticks(ax)
    return fig


def _decade_ticks(ax):
    """Label a log y axis at whole decades only (nnlib labels 2, 3, 4 ... as well)."""
    if ax.get_yscale() != "log":
        return
    lo, hi = ax.get_ylim()
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    ax.yaxis.set_major_locator(FixedLocator(10.0 ** np.arange(a, b + 1)))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(lo, hi)


# --------------------------------------------------------------------------------------------
# overfitting one batch
# --------------------------------------------------------------------------------------------
def memorising_network(X, Y, rng=SEED) -> Sequential:
    """A one-hidden-layer ReLU network that outputs exactly ``Y`` for the inputs ``X``.

    The construction of the chapter's theorem: project every input onto one random direction
    a, so that the m projections t_i = a . x_i are distinct; sort them; give hidden unit j the
    threshold b_j just below the j-th smallest projection, h_j(x) = ReLU(a . x - b_j). The
    m x m matrix H_ij = h_j(x_i) is then triangular with a positive diagonal, and the output
    weights V solve H V = Y.

    Parameters
    ----------
    X : ndarray of shape (m, d)
        Inputs, no two equal.
    Y : ndarray of shape (m, k)
        Any targets.
    rng : Generator, int or None
        Draws the direction a.

    Returns
    -------
    Sequential
        ``Linear(d, m) -> ReLU -> Linear(m, k)`` with ``net(X) == Y`` up to rounding.

    Raises
    ------
    ValueError
        If two rows of X are equal (no network can map them to different targets).

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    >>> Y = np.array([[1.0], [-3.0], [0.5]])
    >>> np.allclose(memorising_network(X, Y)(X), Y)
    True
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
        raise ValueError(f"memorising_network: expected X of shape (m, d) and Y of shape "
                         f"(m, k), got {X.shape} and {Y.shape}.")
    if len(np.unique(X, axis=0)) < len(X):
        raise ValueError("memorising_network: two inputs are equal; a function cannot send "
                         "them to different targets.")
    a = np.random.default_rng(rng).normal(size=X.shape[1])
    t = X @ a
    order = np.argsort(t)
    t_sorted = t[order]
    gaps = np.diff(t_sorted)
    b = np.concatenate([[t_sorted[0] - 1.0], t_sorted[:-1] + gaps / 2])   # b_1 < t_1 < b_2 ...
    H = np.maximum(t[:, None] - b[None, :], 0.0)
    V = np.linalg.solve(H, Y)
    first = Linear(X.shape[1], len(X), rng=0)
    second = Linear(len(X), Y.shape[1], rng=0)
    first.weight.data[:] = a                      # every hidden unit looks along a
    first.bias.data[:] = -b
    second.weight.data[:] = V.T
    second.bias.data[:] = 0.0
    return Sequential(first, ReLU(), second)


def one_batch(m=32):
    """The batch the chapter overfits: ``m`` training images of the reference script.

    Drawn without replacement by a generator of its own (seed 2) from the standardised
    training set of :class:`Pipeline`.

    Returns
    -------
    X : ndarray of shape (m, 64)
    y : ndarray of shape (m,)

    Examples
    --------
    >>> X, y = one_batch()
    >>> X.shape, len(np.unique(y)) > 5
    ((32, 64), True)
    """
    m = check_int(m, "one_batch", "m", minimum=1)
    (X, y), _, _ = Pipeline().load_data()
    rows = np.random.default_rng(2).choice(len(X), m, replace=False)
    return X[rows], y[rows]


class OneBatch(NamedTuple):
    """Training on one batch: its loss at every step and the validation loss alongside.

    Attributes
    ----------
    batch_loss : ndarray of shape (steps,)
        The loss of the batch at each step (before that step's update).
    val_steps : ndarray
        The steps after which the validation loss was measured.
    val_loss : ndarray
    seconds : float
    """

    batch_loss: np.ndarray
    val_steps: np.ndarray
    val_loss: np.ndarray
    seconds: float


@functools.lru_cache(maxsize=4)
def overfit_one_batch(m=32, steps=150, every=10) -> OneBatch:
    """Train the reference script's network (:class:`Pipeline`) on ``m`` training images only.

    Parameters
    ----------
    m : int
        The batch (the first m rows of a seeded shuffle of the training set).
    steps : int
    every : int
        Measure the validation loss every ``every`` steps.

    Returns
    -------
    OneBatch

    Examples
    --------
    >>> run = overfit_one_batch(steps=100)
    >>> bool(run.batch_loss[-1] < 1e-2 < 1 < run.val_loss[-1])
    True
    """
    script = Pipeline()
    start = time.perf_counter()
    with one_blas_thread():
        _, (X_val, y_val), _ = script.load_data()
        X_b, y_b = one_batch(m)
        script.loss_fn = CrossEntropyLoss()
        script.model = script.build_model(X_b.shape[1])
        script.optimizer = script.make_optimizer(script.model)
        batch_loss, val_steps, val_loss = [], [], []
        for step in range(1, steps + 1):
            batch_loss.append(float(script.train_step(X_b, y_b)))
            if step % every == 0 or step == 1:
                val_steps.append(step)
                val_loss.append(float(script.evaluate(X_val, y_val)[0]))
    return OneBatch(np.array(batch_loss), np.array(val_steps), np.array(val_loss),
                    time.perf_counter() - start)


def draw_one_batch(run=None, exact_loss=None) -> Figure:
    """The loss on the one batch falls towards 0; the loss on other images does not.

    Parameters
    ----------
    run : OneBatch, optional
        Default :func:`overfit_one_batch`.
    exact_loss : float, optional
        The loss of a network that fits the batch by construction, drawn as a line.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_one_batch()
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_yscale()
    ('step', 'log')
    >>> plt.close(fig)
    """
    run = overfit_one_batch() if run is None else run
    fig, ax = plt.subplots(figsize=(6.6, 3.6))
    steps = np.arange(1, len(run.batch_loss) + 1)
    ax.plot(steps, run.batch_loss, color=COLORS[0], label="the 32 training images")
    ax.plot(run.val_steps, run.val_loss, color=COLORS[1], marker="s", ms=4,
            label="270 validation images")
    ax.axhline(math.log(CLASSES), color=_GREY, ls=":", lw=1.3, label="ln 10")
    if exact_loss is not None:
        ax.axhline(exact_loss, color=COLORS[2], ls="--", lw=1.5,
                   label="constructed network (theorem)")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (log)")
    ax.set_title("The batch is memorised; the validation loss stalls")
    ax.legend(loc="lower left", fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# the update-to-weight ratio against the learning rate
# --------------------------------------------------------------------------------------------
class _AdamAt(Pipeline):
    """The reference script with another Adam learning rate (``lr``)."""

    lr = 1e-3

    def make_optimizer(self, model):
        return Adam(model.parameters(), lr=self.lr)


#: The learning rates of the sweep (half decades from 1e-5 to 0.1).
SWEEP_LRS = tuple(float(f"{10 ** e:.3g}") for e in np.arange(-5, -0.9, 0.5))


@functools.lru_cache(maxsize=2)
def lr_sweep(lrs=SWEEP_LRS, epochs=2) -> dict:
    """Train the reference script for ``epochs`` epochs at each Adam learning rate.

    Returns
    -------
    dict
        ``"lr"`` (n,), ``"median_ratio"`` (n, 4): the median update-to-weight ratio of each
        Linear layer over all steps, ``"first_ratio"`` (n, 4): that of the first step,
        ``"val_loss"`` (n,): the validation loss after the last epoch.

    Examples
    --------
    >>> s = lr_sweep(lrs=(1e-4, 1e-3), epochs=1)
    >>> s["median_ratio"].shape, bool(np.all(s["median_ratio"][1] > s["median_ratio"][0]))
    ((2, 4), True)
    """
    ratios, first, val = [], [], []
    for lr in lrs:
        script = _AdamAt(epochs=epochs)
        script.lr = lr
        r = script.run()
        ratios.append(np.median(r.update_ratio, axis=0))
        first.append(r.update_ratio[0])
        val.append(r.val_loss[-1])
    return {"lr": np.array(lrs), "median_ratio": np.array(ratios),
            "first_ratio": np.array(first), "val_loss": np.array(val)}


def draw_lr_sweep(sweep=None) -> Figure:
    """(a) The update-to-weight ratio grows in proportion to Adam's learning rate; (b) the
    validation loss after two epochs, lowest where the ratio is near 1e-3.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_lr_sweep(lr_sweep(lrs=(1e-4, 1e-3), epochs=1))
    >>> [ax.get_xscale() for ax in fig.axes]
    ['log', 'log']
    >>> plt.close(fig)
    """
    sweep = lr_sweep() if sweep is None else sweep
    lrs = sweep["lr"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(7.4, 3.5))
    for k, color in enumerate(_LAYER_COLORS):
        a.plot(lrs, sweep["median_ratio"][:, k], color=color, marker="o", ms=4,
               label=f"layer {k + 1}")
    a.axhline(1e-3, color=_GREY, ls=":", lw=1.3)
    a.text(lrs[0], 1.25e-3, "1e-3", fontsize=10, color=_GREY, va="bottom")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel(r"Adam learning rate $\eta$")
    a.set_ylabel(r"median $\|\Delta W\| / \|W\|$ per step")
    a.set_title("(a) The update ratio follows $\\eta$", fontsize=11)
    a.legend(fontsize=9, loc="upper left")
    best = int(np.nanargmin(sweep["val_loss"]))
    b.plot(lrs, sweep["val_loss"], color=COLORS[1], marker="s", ms=4)
    b.plot([lrs[best]], [sweep["val_loss"][best]], marker="*", ms=14, color=_INK, lw=0)
    b.set_xscale("log")
    b.set_ylim(0, None)
    b.set_xlabel(r"Adam learning rate $\eta$")
    b.set_ylabel("validation loss after 2 epochs")
    b.set_title("(b) Too small learns slowly, too large fails", fontsize=11)
    return fig


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks enumerate them).
EXPERIMENTS = (ablation_experiment, bug_zoo_experiment)
