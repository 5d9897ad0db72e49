"""Training: the minibatch loop, its record (History) and the per-epoch measurements.

:func:`train_epoch` is the loop the chapters write by hand (Chapters 2 and 9): for each
minibatch, forward, loss, zero the gradients, backward, step. :func:`fit` runs it once per
epoch and adds the bookkeeping around it, each piece a small function of its own:
per-epoch losses and accuracies, a validation pass, learning-rate schedules, callbacks such
as :class:`EarlyStopping`, a progress bar, and the diagnostics of Chapter 16 (per-layer
gradient norms, activation statistics, dead and saturated units, the update-to-weight
ratio), measured by :mod:`nnlib.probes` once per epoch on a fixed probe batch so that they
cost little.

The inner loop is kept to the four steps and nothing else, because the book's slider
experiments retrain networks while the reader waits.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from dataclasses import dataclass

import numpy as np

from . import probes
from ._checks import (as_array, check_bool, check_choice, check_finite_scalar, check_int,
                      check_module, check_nonnegative, make_rng)
from .core import Sequential
from .layers import Sigmoid, Tanh
# layer_outputs and layer_grad_norms lived here before nnlib.probes; they stay importable
from .probes import layer_grad_norms, layer_outputs  # noqa: F401

__all__ = [
    "iterate_minibatches",
    "accuracy",
    "predict_proba",
    "History",
    "Callback",
    "EarlyStopping",
    "EpochResult",
    "train_epoch",
    "fit",
    "SIGMOID_SATURATION",
    "TANH_SATURATION",
    "PROBE_SIZE",
    "SMALL_NETWORK_FLOPS",
]

#: A sigmoid unit counts as saturated when a < SIGMOID_SATURATION or a > 1 - SIGMOID_SATURATION;
#: there sigma'(z) = a (1 - a) < 0.0099, under 4 % of its maximum 1/4. The value is the class's
#: own, ``Sigmoid.saturated_outside``, which nnlib.probes reads.
SIGMOID_SATURATION = Sigmoid.saturated_outside[0]
#: A tanh unit counts as saturated when ``|a| > TANH_SATURATION``; there tanh'(z) = 1 - a^2 < 0.02,
#: under 2 % of its maximum 1 (``Tanh.saturated_outside``).
TANH_SATURATION = Tanh.saturated_outside[1]
#: Number of training examples in the fixed probe batch used for the per-epoch diagnostics.
PROBE_SIZE = 256


# --------------------------------------------------------------------------------------------
# minibatches
# --------------------------------------------------------------------------------------------
def _check_pair(X, y, where, x_name="X", y_name="y"):
    """Return X as a float array and y as a numeric array with the same number of rows."""
    X = as_array(X, where, name=x_name)
    if X.ndim == 0:
        raise ValueError(f"{where}: expected {x_name} of shape (m, d) with one example per "
                         f"row, got a scalar.")
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected {y_name} to be a numeric array of labels or "
                        f"targets, got dtype {y.dtype}.")
    if y.ndim == 0:
        raise ValueError(f"{where}: expected {y_name} with one entry per example, got a "
                         f"scalar.")
    if len(X) != len(y):
        raise ValueError(f"{where}: {x_name} and {y_name} must have the same number of "
                         f"examples (rows), got {x_name} of shape {X.shape} and {y_name} of "
                         f"shape {y.shape}.")
    if len(X) == 0:
        raise ValueError(f"{where}: expected at least one example, got {x_name} of shape "
                         f"{X.shape}.")
    return X, y


def _batches(arrays, batch_size, shuffle, rng):
    """Yield tuples of aligned minibatches of ``arrays`` (views after one shuffle copy)."""
    m = len(arrays[0])
    if shuffle:
        perm = rng.permutation(m)
        arrays = tuple(a[perm] for a in arrays)
    for start in range(0, m, batch_size):
        stop = start + batch_size
        yield tuple(a[start:stop] for a in arrays)


def iterate_minibatches(X, y, batch_size, shuffle=True, rng=None):
    """Cut a data set into minibatches, one pass (epoch) over it.

    Parameters
    ----------
    X : array_like of shape (m, d)
        Inputs, one example per row.
    y : array_like of shape (m,) or (m, k)
        Labels or targets, aligned with the rows of ``X``.
    batch_size : int
        Examples per minibatch, >= 1. The last batch holds the remaining
        ``m - batch_size * floor(m / batch_size)`` examples when m is not a multiple.
    shuffle : bool
        Visit the examples in a random order (a fresh permutation per call).
    rng : Generator, int or None
        Source of the permutation; a seed makes the order reproducible.

    Yields
    ------
    Xb : ndarray of shape (b, d)
    yb : ndarray of shape (b,) or (b, k)
        With b = batch_size except possibly for the last batch. Every example appears in
        exactly one batch per call.

    Raises
    ------
    ValueError
        If X and y have different numbers of rows, or batch_size < 1.

    Notes
    -----
    With m examples there are ceil(m / batch_size) minibatches, so one epoch makes that many
    parameter updates (Chapter 9). The arguments are checked when the function is called, not
    when the first batch is requested.

    See Also
    --------
    Chapter 9 (Optimisation) compares full-batch, minibatch and stochastic gradient descent.

    Examples
    --------
    >>> X = np.arange(10.0).reshape(5, 2); y = np.arange(5)
    >>> [yb.tolist() for _, yb in iterate_minibatches(X, y, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> sorted(int(i) for _, yb in iterate_minibatches(X, y, 2, rng=0) for i in yb)
    [0, 1, 2, 3, 4]
    """
    where = "iterate_minibatches"
    X, y = _check_pair(X, y, where)
    batch_size = check_int(batch_size, where, "batch_size", minimum=1)
    shuffle = check_bool(shuffle, where, "shuffle")
    rng = make_rng(rng, where) if shuffle else None
    return _batches((X, y), batch_size, shuffle, rng)


# --------------------------------------------------------------------------------------------
# accuracy and predicted probabilities
# --------------------------------------------------------------------------------------------
def _labels_from_targets(y, where, n_classes=None):
    """Integer class labels (m,) from labels (m,), (m, 1) or one-hot / probability rows."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        if n_classes is not None and y.shape[1] != n_classes:
            raise ValueError(f"{where}: the one-hot targets have {y.shape[1]} columns but the "
                             f"output has {n_classes} classes (shape of y: {y.shape}).")
        return y.argmax(axis=1)
    if y.ndim == 2:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{where}: expected y of shape (m,), (m, 1) or one-hot (m, C), got "
                         f"{y.shape}.")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"{where}: expected integer class labels in y, got non-integer "
                             f"values such as {y[y != np.round(y)][:3].tolist()}.")
    return y.astype(np.int64)


def accuracy(output, y, *, threshold=0.5):
    """Fraction of examples whose predicted class equals the true class.

    Parameters
    ----------
    output : array_like of shape (m, C) with C > 1, or (m,) or (m, 1)
        With C > 1 columns: class scores (logits or probabilities), and the prediction is the
        column of the largest one. With one column (or a 1-D array): the probability of
        class 1, and the prediction is 1 where ``output > threshold``. To pass logits of a
        binary model instead, use ``threshold=0`` (sigma(z) > 0.5 exactly when z > 0).
    y : array_like of shape (m,), (m, 1) or (m, C)
        Integer labels 0..C-1 (or 0/1), or one-hot rows (their argmax is the label).
    threshold : float
        Decision threshold for a single-column output.

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        If the numbers of examples differ, the labels are not integers, a label is out of
        range for C classes, or a binary label is not 0 or 1.

    See Also
    --------
    Chapter 8 (Losses and maximum likelihood) explains why we train on cross-entropy but
    report accuracy.

    Examples
    --------
    >>> accuracy(np.array([[2.0, 1.0], [0.1, 0.3]]), np.array([0, 0]))
    0.5
    >>> accuracy(np.array([0.9, 0.2, 0.6]), np.array([1, 0, 0]))
    0.6666666666666666
    >>> accuracy(np.array([[1.5], [-0.3]]), np.array([1, 0]), threshold=0)  # logits
    1.0
    """
    where = "accuracy"
    out = as_array(output, where, name="output")
    threshold = check_finite_scalar(threshold, where, "threshold")
    if out.ndim not in (1, 2) or len(out) == 0:
        raise ValueError(f"{where}: expected output of shape (m, C), (m, 1) or (m,) with m >= 1, "
                         f"got {out.shape}.")
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected numeric labels y, got dtype {y.dtype}.")
    if y.ndim == 0 or len(y) != len(out):
        raise ValueError(f"{where}: expected one label per example: output has shape "
                         f"{out.shape} but y has shape {y.shape}.")
    if out.ndim == 2 and out.shape[1] > 1:
        n_classes = out.shape[1]
        labels = _labels_from_targets(y, where, n_classes)
        if labels.min() < 0 or labels.max() >= n_classes:
            raise ValueError(f"{where}: expected labels in 0..{n_classes - 1} for an output "
                             f"with {n_classes} columns, got labels from {labels.min()} to "
                             f"{labels.max()}.")
        pred = out.argmax(axis=1)
    else:
        labels = _labels_from_targets(y, where)
        if np.any((labels != 0) & (labels != 1)):
            raise ValueError(f"{where}: a single-column output is a binary prediction, so y "
                             f"must hold 0/1 labels; got values {np.unique(labels)[:5].tolist()}."
                             f" For C classes, pass an output of shape (m, C).")
        pred = (out.reshape(len(out)) > threshold).astype(np.int64)
    return float(np.mean(pred == labels))

def _forward_eval(model, X, batch_size=None):
    """model(X) in evaluation mode, in chunks of ``batch_size`` rows, modes restored after."""
    with probes._mode(model, False):
        if batch_size is None or batch_size >= len(X):
            return model.forward(X)
        return np.concatenate([model.forward(X[i:i + batch_size])
                               for i in range(0, len(X), batch_size)])


def predict_proba(model, X, batch_size=None):
    """Class probabilities of a classifier that outputs logits.

    Parameters
    ----------
    model : Module
        A network whose output is logits: shape (m, C) for C classes, or (m, 1) / (m,) for a
        binary classifier (the logit of class 1).
    X : array_like of shape (m, d)
    batch_size : int, optional
        Run the forward pass in chunks of this many rows (saves memory on large inputs).

    Returns
    -------
    ndarray
        softmax(z) of shape (m, C) when C > 1, otherwise sigma(z) with the model's output
        shape: the probability of class 1.

    Notes
    -----
    The forward pass runs in evaluation mode (dropout off, batch norm on its running
    statistics); the training flag of every sub-module is restored afterwards. Do not use
    this for a model that already ends in Softmax or Sigmoid: the output would be squashed
    twice.

    See Also
    --------
    Chapter 8 (Losses and maximum likelihood): softmax and sigmoid turn logits into probabilities.

    Examples
    --------
    >>> from nnlib.layers import Linear
    >>> layer = Linear(2, 1, rng=0)
    >>> layer.weight.data[:] = [[1.0, -1.0]]; layer.bias.data[:] = 0.0
    >>> predict_proba(layer, np.array([[0.0, 0.0], [3.0, 1.0]])).round(3)
    array([[0.5  ],
           [0.881]])
    """
    from .functional import sigmoid, softmax

    where = "predict_proba"
    check_module(model, where)
    X = as_array(X, where, name="X")
    if batch_size is not None:
        batch_size = check_int(batch_size, where, "batch_size", minimum=1)
    z = _forward_eval(model, X, batch_size)
    if z.ndim == 2 and z.shape[1] > 1:
        return softmax(z, axis=1)
    return sigmoid(z)


# --------------------------------------------------------------------------------------------
# the record of a training run
# --------------------------------------------------------------------------------------------
class History:
    """Everything :func:`fit` measured, epoch by epoch.

    Epochs are numbered from 1: entry ``i`` of each list belongs to epoch ``i + 1``, after
    which the weights have seen the training set ``i + 1`` times. Keys of the per-layer dicts
    look like ``"2:Linear"``: the layer's index in the Sequential (a dotted path for nested
    ones and inside Residual blocks) and its class, as in :mod:`nnlib.probes`, which measures
    all of them.

    Attributes
    ----------
    train_loss : list of float
        Mean loss per example over the epoch's minibatches, measured in training mode while
        the weights change (as most training loops report it); with ``fit(eval_train=True)``
        the loss of the whole training set in evaluation mode at the end of the epoch.
    val_loss : list of float
        Mean loss per example on the validation set at the end of the epoch, in evaluation
        mode. Empty without validation data.
    train_acc, val_acc : list of float
        Accuracies, the same way; only for classification losses (those whose class sets
        ``class_decision``: CrossEntropyLoss, BCELoss, BCEWithLogitsLoss, FocalLoss), empty
        otherwise.
    lr : list of float
        The optimiser's learning rate during each epoch.
    grad_norm : dict of str -> list of float
        Per layer with parameters: ||dL/dW|| on the probe batch at the end of the epoch.
    act_mean, act_std : dict of str -> list of float
        Per layer: mean and standard deviation of the layer's output on the probe batch.
    dead_fraction : dict of str -> list of float
        Per layer whose units can die (its class sets ``units_can_die``: ReLU): the
        fraction of units whose output is 0 for every probe example.
    saturated_fraction : dict of str -> list of float
        Per layer that saturates (its class sets ``saturated_outside``: Sigmoid, Tanh): the
        fraction of outputs (example, unit pairs) near an asymptote: a < 0.01 or a > 0.99
        for the sigmoid, ``|a| > 0.99`` for tanh.
    update_ratio : dict of str -> list of float
        Per layer with parameters: ||W_after - W_before|| / ||W_before|| over the epoch's
        first optimiser step. Around 1e-3 is healthy (Chapter 16). NaN while W = 0.
    best_epoch : int or None
        The epoch with the best monitored value (EarlyStopping's monitor, otherwise the
        lowest validation loss, otherwise the lowest training loss).
    stopped_early : bool
        True when training ended before the requested number of epochs.
    diverged : bool
        True when the training loss became NaN or infinite (training stops then; the
        incomplete epoch is not recorded).
    stop_reason : str
        Why training ended, in words.
    seconds : float
        Wall-clock time of the run.
    classification : bool
        Whether the loss is a classification loss (so that accuracies were recorded).
    """

    _SCALARS = ("train_loss", "val_loss", "train_acc", "val_acc", "lr")
    _LAYERWISE = ("grad_norm", "act_mean", "act_std", "dead_fraction", "saturated_fraction",
                  "update_ratio")

    def __init__(self):
        self.train_loss: list = []
        self.val_loss: list = []
        self.train_acc: list = []
        self.val_acc: list = []
        self.lr: list = []
        self.grad_norm: dict = {}
        self.act_mean: dict = {}
        self.act_std: dict = {}
        self.dead_fraction: dict = {}
        self.saturated_fraction: dict = {}
        self.update_ratio: dict = {}
        self.best_epoch = None
        self.stopped_early = False
        self.diverged = False
        self.stop_reason = ""
        self.seconds = 0.0
        self.classification = False

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.train_loss)

    @property
    def epoch(self) -> list:
        """The epoch numbers ``[1, 2, ..., epochs]``, for the x axis of a plot."""
        return list(range(1, self.epochs + 1))

    def layers(self) -> list:
        """Keys of every layer with diagnostics, in data-flow order."""
        keys = list(self.act_mean)
        keys += [k for k in self.grad_norm if k not in keys]
        return keys

    def as_dict(self) -> dict:
        """A plain dict of lists (and dicts of lists for the per-layer diagnostics)."""
        d = {"epoch": self.epoch}
        for name in self._SCALARS:
            d[name] = list(getattr(self, name))
        for name in self._LAYERWISE:
            d[name] = {k: list(v) for k, v in getattr(self, name).items()}
        d.update(best_epoch=self.best_epoch, stopped_early=self.stopped_early,
                 diverged=self.diverged, stop_reason=self.stop_reason)
        return d

    def rows(self) -> list:
        """The whole record as a tidy table: one dict per (epoch, metric, layer) value.

        Each row has the keys ``epoch``, ``metric``, ``layer`` (None for the whole-network
        metrics) and ``value``, ready for ``pandas.DataFrame(history.rows())``.
        """
        out = []
        for name in self._SCALARS:
            for i, v in enumerate(getattr(self, name)):
                out.append({"epoch": i + 1, "metric": name, "layer": None, "value": v})
        for name in self._LAYERWISE:
            for layer, values in getattr(self, name).items():
                for i, v in enumerate(values):
                    out.append({"epoch": i + 1, "metric": name, "layer": layer, "value": v})
        return out

    def to_dataframe(self):
        """The tidy table of :meth:`rows` as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=["epoch", "metric", "layer", "value"])

    def table(self, every: int = 1) -> str:
        """A plain-text table of the per-epoch losses, accuracies and learning rate."""
        every = check_int(every, "History.table", "every", minimum=1)
        cols = [c for c in self._SCALARS if getattr(self, c)]
        lines = ["epoch  " + "  ".join(f"{c:>10}" for c in cols)]
        for i in range(0, self.epochs, every):
            cells = "  ".join(f"{getattr(self, c)[i]:>10.4g}" for c in cols)
            lines.append(f"{i + 1:>5}  {cells}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        parts = [f"epochs={self.epochs}"]
        for name in ("train_loss", "val_loss", "train_acc", "val_acc"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name}={values[-1]:.4g}")
        if self.best_epoch is not None:
            parts.append(f"best_epoch={self.best_epoch}")
        if self.stopped_early:
            parts.append(f"stop_reason={self.stop_reason!r}")
        return f"History({', '.join(parts)})"


# --------------------------------------------------------------------------------------------
# callbacks
# --------------------------------------------------------------------------------------------
class Callback:
    """Base class of fit's callbacks; every hook is optional.

    ``on_train_begin(history, model)`` runs before the first epoch,
    ``on_epoch_end(epoch, history, model) -> bool`` after each epoch (return True to stop),
    ``on_train_end(history, model)`` after the last one. A plain function
    ``f(epoch, history, model)`` can be passed to :func:`fit` as a callback too.
    """

    def on_train_begin(self, history, model) -> None:
        pass

    def on_epoch_end(self, epoch, history, model) -> bool:
        return False

    def on_train_end(self, history, model) -> None:
        pass


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving, and keep the best weights.

    Parameters
    ----------
    patience : int
        Number of epochs without improvement to wait before stopping (0 stops at the first
        epoch that does not improve).
    monitor : {'val_loss', 'train_loss', 'val_acc', 'train_acc'}
        The History list to watch; losses should fall, accuracies rise.
    min_delta : float
        An improvement must beat the best value by more than this.
    restore_best : bool
        When training ends (stopped early or not), load the weights of the best epoch.

    Attributes
    ----------
    best_value : float
    best_epoch : int or None
    stopped_epoch : int or None
        The epoch after which training was stopped, if it was.

    Notes
    -----
    Early stopping is a regulariser (Chapter 13): the number of epochs bounds how far the
    weights can travel from their initial values. The weights are copied with
    ``model.state_dict()`` at every improvement and loaded back with ``load_state_dict``.

    Examples
    --------
    >>> stopper = EarlyStopping(patience=5)
    >>> stopper
    EarlyStopping(patience=5, monitor='val_loss', min_delta=0.0, restore_best=True)
    """

    _MONITORS = ("val_loss", "train_loss", "val_acc", "train_acc")

    def __init__(self, patience=10, monitor="val_loss", min_delta=0.0, restore_best=True):
        where = "EarlyStopping"
        self.patience = check_int(patience, where, "patience", minimum=0)
        self.monitor = check_choice(monitor, self._MONITORS, where, "monitor")
        self.min_delta = check_nonnegative(min_delta, where, "min_delta")
        self.restore_best = check_bool(restore_best, where, "restore_best")
        self._reset()

    def _reset(self):
        self._sign = -1.0 if self.monitor.endswith("acc") else 1.0  # minimise sign * value
        self.best_value = math.inf * self._sign
        self.best_epoch = None
        self.stopped_epoch = None
        self.wait = 0
        self._best_state = None

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, monitor={self.monitor!r}, "
                f"min_delta={self.min_delta}, restore_best={self.restore_best})")

    def on_train_begin(self, history, model) -> None:
        self._reset()

    def on_epoch_end(self, epoch, history, model) -> bool:
        values = getattr(history, self.monitor)
        if not values:
            raise ValueError(f"EarlyStopping: monitor={self.monitor!r} has no values; "
                             + ("pass validation=(X_val, y_val) to fit, or monitor 'train_loss'."
                                if self.monitor.startswith("val") else
                                "accuracy is recorded only for classification losses."))
        value = values[-1]
        if self._sign * value < self._sign * self.best_value - self.min_delta:
            self.best_value = value
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best:
                self._best_state = model.state_dict()
            return False
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history, model) -> None:
        if self.best_epoch is not None:
            history.best_epoch = self.best_epoch
        if self.restore_best and self._best_state is not None:
            model.load_state_dict(self._best_state)


class _FunctionCallback(Callback):
    def __init__(self, function):
        self.function = function

    def on_epoch_end(self, epoch, history, model) -> bool:
        return bool(self.function(epoch, history, model))


# --------------------------------------------------------------------------------------------
# one epoch: the training loop
# --------------------------------------------------------------------------------------------
@dataclass
class EpochResult:
    """What :func:`train_epoch` measured.

    Attributes
    ----------
    loss : float
        The mean loss per example over the epoch's minibatches, each measured just before
        its step (so while the weights change); NaN if no step was taken.
    examples : int
        The number of examples in the minibatches that made a step.
    steps : int
        The number of optimiser steps.
    diverged_at : tuple (int, float) or None
        ``(minibatch number, loss)`` when a NaN or infinite loss stopped the epoch, before
        that minibatch's step; None otherwise.
    """

    loss: float
    examples: int
    steps: int
    diverged_at: tuple | None = None


def _check_loss_and_optimizer(loss_fn, optimizer, where):
    if not callable(loss_fn) or not hasattr(loss_fn, "backward"):
        raise TypeError(f"{where}: expected loss_fn to be a loss object with __call__ and "
                        f"backward(), such as MSELoss(), got {type(loss_fn).__name__}.")
    for method in ("step", "zero_grad"):
        if not callable(getattr(optimizer, method, None)):
            raise TypeError(f"{where}: expected an optimiser with step() and zero_grad() "
                            f"methods, such as SGD(model.parameters(), lr=0.1), got "
                            f"{type(optimizer).__name__} without {method}().")


def _backward_function(model):
    """``model.backward``; for a Sequential, one that skips dL/dX (X is data, nobody needs
    its gradient: the first layer saves a matrix product)."""
    if isinstance(model, Sequential) and type(model).backward is Sequential.backward:
        return lambda delta: model.backward(delta, input_grad=False)
    return model.backward


def train_epoch(model, loss_fn, optimizer, batches, *, after_step=None) -> EpochResult:
    """One epoch of minibatch gradient descent: forward, loss, backward and a step per batch.

    Parameters
    ----------
    model : Module
        Switched to training mode first if it is in evaluation mode (``model.train()``); a
        sub-module put in evaluation mode on purpose inside a model in training mode (a
        frozen BatchNorm1d, say) stays as it is.
    loss_fn : loss object
        ``loss_fn(y_hat, y)`` returns a float and ``loss_fn.backward()`` dL/dy_hat.
    optimizer : Optimizer
        Has ``zero_grad()`` and ``step()``; built on ``model.parameters()``.
    batches : iterable of tuples (X_b, y_b, ...)
        The minibatches, e.g. ``iterate_minibatches(X, y, 32, rng=rng)``: X_b of shape
        (b, d) and targets as ``loss_fn`` wants them. More items in a tuple are passed on
        to ``after_step`` untouched.
    after_step : callable, optional
        Called as ``after_step(y_hat, batch)`` after every step, with the minibatch's output
        (computed before the step) and the tuple itself.

    Returns
    -------
    EpochResult
        The mean loss per example (also for ``reduction="sum"``), the number of examples
        and steps, and where the loss diverged, if it did.

    Notes
    -----
    A NaN or infinite loss ends the epoch at once, before its backward pass and step, so
    the weights stay finite.

    See Also
    --------
    Chapter 9 (Optimisation) writes this loop; :func:`fit` runs it once per epoch.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> from nnlib.losses import BCEWithLogitsLoss
    >>> from nnlib.optim import SGD
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    >>> y = np.array([[0.0], [1.0], [1.0], [0.0]])
    >>> net = mlp([2, 8, 1], "tanh", rng=0)
    >>> loss_fn, optimizer = BCEWithLogitsLoss(), SGD(net.parameters(), lr=0.5)
    >>> first = train_epoch(net, loss_fn, optimizer, iterate_minibatches(X, y, 2, rng=0))
    >>> first.steps, first.examples
    (2, 4)
    >>> for epoch in range(300):
    ...     last = train_epoch(net, loss_fn, optimizer, [(X, y)])
    >>> last.loss < first.loss
    True
    """
    check_module(model, "train_epoch")
    _check_loss_and_optimizer(loss_fn, optimizer, "train_epoch")
    backward = _backward_function(model)
    summed = getattr(loss_fn, "reduction", "mean") == "sum"
    total, examples, steps = 0.0, 0, 0
    if not model.training:
        model.train()
    for batch in batches:
        X_b, y_b = batch[0], batch[1]
        y_hat = model(X_b)                  # 1. forward
        loss = loss_fn(y_hat, y_b)          # 2. the loss
        if not math.isfinite(loss):         #    (a NaN step would spoil every weight)
            return EpochResult(total / examples if examples else math.nan, examples, steps,
                               diverged_at=(steps + 1, loss))
        optimizer.zero_grad()               # 3. backward, into zeroed gradients
        backward(loss_fn.backward())        #    (model.backward, without dL/dX for a Sequential)
        optimizer.step()                    # 4. the update
        steps += 1
        examples += len(X_b)
        total += loss if summed else loss * len(X_b)
        if after_step is not None:
            after_step(y_hat, batch)
    return EpochResult(total / examples if examples else math.nan, examples, steps)


# --------------------------------------------------------------------------------------------
# fit: the pieces around the loop
# --------------------------------------------------------------------------------------------
def _count_correct(out, labels, rule):
    """Number of rows of ``out`` whose predicted class equals ``labels`` (fast, unchecked)."""
    if rule == "argmax":
        return int(np.count_nonzero(out.argmax(axis=1) == labels))
    return int(np.count_nonzero((out.reshape(len(out)) > rule) == labels))


def _fit_labels(y, rule, where):
    """Labels for the accuracies: ints for 'argmax', booleans for a threshold."""
    if rule == "argmax":
        return _labels_from_targets(y, where)
    flat = np.asarray(y).reshape(len(y), -1)[:, 0]
    return flat > 0.5


class _Data:
    """A data set as fit uses it, prepared once: inputs cast to the model's dtype (that of its
    output), targets shaped like the output, and class labels for the accuracy (or None)."""

    def __init__(self, X, y, loss_fn, first_output, where):
        self.rule = getattr(loss_fn, "class_decision", None)
        self.X = X.astype(np.result_type(first_output), copy=False)
        self.y = probes._targets_like(y, loss_fn, first_output)
        self.labels = _fit_labels(self.y, self.rule, where) if self.rule is not None else None

    def __len__(self):
        return len(self.X)

    def batches(self, batch_size, shuffle, rng):
        """The minibatches (X_b, y_b) or (X_b, y_b, labels_b) of one epoch."""
        arrays = (self.X, self.y) if self.labels is None else (self.X, self.y, self.labels)
        if batch_size >= len(self.X):  # full batch: the order does not change the gradient
            return (arrays,)
        return _batches(arrays, batch_size, shuffle, rng)

    def probe(self, rng):
        """A fixed batch of at most PROBE_SIZE examples for the diagnostics."""
        m = len(self.X)
        idx = np.arange(m) if m <= PROBE_SIZE else np.sort(rng.choice(m, PROBE_SIZE,
                                                                      replace=False))
        return self.X[idx], self.y[idx]


def _mean_loss(loss_fn, out, y):
    """The loss per example, whatever the loss's reduction."""
    value = loss_fn(out, y)
    if getattr(loss_fn, "reduction", "mean") == "sum":
        value = value / len(out)
    return float(value)


def _evaluate(model, loss_fn, data):
    """Mean loss per example and accuracy (None for regression) of a whole data set, in
    evaluation mode (the model is back in training mode afterwards)."""
    model.eval()
    out = model(data.X)
    model.train()
    loss = _mean_loss(loss_fn, out, data.y)
    if data.labels is None:
        return loss, None
    return loss, _count_correct(out, data.labels, data.rule) / len(out)


class _AfterStep:
    """fit's ``after_step``: count the correct predictions of the epoch's minibatches, step
    a per-minibatch schedule, and measure the update ratio of the epoch's first step."""

    def __init__(self, rule, schedule_step, snapshot):
        self.rule, self.schedule_step, self.snapshot = rule, schedule_step, snapshot
        self.new_epoch()

    def new_epoch(self):
        """Start counting again, and remember the weights before the epoch's first step."""
        self.correct = 0
        self.update_ratios = None
        if self.snapshot is not None:
            self.snapshot.take()

    def __call__(self, y_hat, batch):
        if self.rule is not None:
            self.correct += _count_correct(y_hat, batch[2], self.rule)
        if self.schedule_step is not None:
            self.schedule_step()
        if self.snapshot is not None and self.update_ratios is None:
            self.update_ratios = self.snapshot.update_ratios()


def _record_losses(history, model, loss_fn, train, val, result, after, eval_train):
    """Append the epoch's training loss and accuracy (the running ones over its minibatches,
    or with ``eval_train`` the whole set's in evaluation mode) and the validation ones."""
    if eval_train:
        loss, acc = _evaluate(model, loss_fn, train)
    else:
        loss = result.loss
        acc = after.correct / result.examples if train.rule is not None else None
    history.train_loss.append(loss)
    if acc is not None:
        history.train_acc.append(acc)
    if val is not None:
        loss, acc = _evaluate(model, loss_fn, val)
        history.val_loss.append(loss)
        if acc is not None:
            history.val_acc.append(acc)


def _step_schedule(schedule, metric_schedule, history):
    """The end-of-epoch step; a metric schedule gets the validation (or training) loss."""
    if metric_schedule:
        schedule.step((history.val_loss or history.train_loss)[-1])
    else:
        schedule.step()


def _stop_requested(callbacks, epoch, epochs, history, model):
    """Run the callbacks' on_epoch_end; True (and the History says why) if one asks to stop
    before the last epoch."""
    if not _run_callbacks(callbacks, "on_epoch_end", epoch, history, model) or epoch == epochs:
        return False
    history.stopped_early = True
    names = ", ".join(type(cb).__name__ for cb in callbacks)
    history.stop_reason = f"stopped after epoch {epoch} by a callback ({names})"
    return True


def _record_diagnostics(history, prober, loss_fn, probe, update_ratios):
    """Append the Chapter 16 measurements of :mod:`nnlib.probes` on the probe batch (whose
    targets are already shaped for the loss), made in evaluation mode."""
    records = prober.run(*probe, loss_fn, match_targets=False, deltas=False)
    for key, record in records.items():
        if record.grad_norm is not None:
            history.grad_norm.setdefault(key, []).append(record.grad_norm)
        stats = probes._output_stats(record.layer, record.output)
        history.act_mean.setdefault(key, []).append(stats["mean"])
        history.act_std.setdefault(key, []).append(stats["std"])
        if "dead_fraction" in stats:
            history.dead_fraction.setdefault(key, []).append(stats["dead_fraction"])
        if "saturated_fraction" in stats:
            history.saturated_fraction.setdefault(key, []).append(stats["saturated_fraction"])
    for key, ratio in update_ratios.items():
        history.update_ratio.setdefault(key, []).append(ratio)


def _check_validation(validation, where):
    if validation is None:
        return None
    if not isinstance(validation, (tuple, list)) or len(validation) != 2:
        raise TypeError(f"{where}: expected validation to be a pair (X_val, y_val), got "
                        + (f"a {type(validation).__name__} of length {len(validation)}."
                           if isinstance(validation, (tuple, list))
                           else f"{type(validation).__name__}."))
    return _check_pair(*validation, where, x_name="X_val", y_name="y_val")


def _check_schedule(schedule, interval, where):
    """The schedule's step for every minibatch (or None), and whether it needs a metric."""
    check_choice(interval, ("epoch", "batch"), where, "schedule_interval")
    if schedule is None:
        return None, False
    if not callable(getattr(schedule, "step", None)):
        raise TypeError(f"{where}: expected schedule to have a step() method, got "
                        f"{type(schedule).__name__}.")
    needs_metric = bool(getattr(schedule, "requires_metric", False))
    if needs_metric and interval == "batch":
        raise ValueError(f"{where}: {type(schedule).__name__} steps on a metric, which is "
                         f"measured once per epoch; use schedule_interval='epoch'.")
    return (schedule.step if interval == "batch" else None), needs_metric


def _check_callbacks(callbacks, where):
    if callbacks is None:
        return []
    if hasattr(callbacks, "on_epoch_end") or callable(callbacks):
        callbacks = [callbacks]
    out = []
    for cb in callbacks:
        if hasattr(cb, "on_epoch_end"):
            out.append(cb)
        elif callable(cb):
            out.append(_FunctionCallback(cb))
        else:
            raise TypeError(f"{where}: expected each callback to have an on_epoch_end(epoch, "
                            f"history, model) method or to be a function, got "
                            f"{type(cb).__name__}.")
    return out


def _run_callbacks(callbacks, hook, *args):
    """Call ``hook`` on every callback that has it; True if one of them asks to stop."""
    stop = False
    for cb in callbacks:
        if hasattr(cb, hook):
            stop = bool(getattr(cb, hook)(*args)) or stop
    return stop


class _ProgressBar:
    """A tqdm bar over the epochs with the latest losses, or nothing (``progress=False``)."""

    def __init__(self, enabled, epochs):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=epochs, desc="fit", unit="epoch", leave=True)

    def update(self, history):
        if self.bar is not None:
            post = f"loss={history.train_loss[-1]:.4g}"
            if history.val_loss:
                post += f", val_loss={history.val_loss[-1]:.4g}"
            self.bar.set_postfix_str(post, refresh=False)
            self.bar.update(1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


def fit(model, loss_fn, optimizer, X, y, epochs, batch_size=32, validation=None, schedule=None,
        callbacks=(), rng=None, progress=True, diagnostics=True, shuffle=True,
        eval_train=False, schedule_interval="epoch", blas_threads=None) -> History:
    """Train ``model`` with minibatch gradient descent and record what happened.

    For each epoch: shuffle the training set and run :func:`train_epoch`, which for each
    minibatch (X_b, y_b) does

    1. ``y_hat = model(X_b)`` (training mode),
    2. ``loss = loss_fn(y_hat, y_b)``,
    3. ``optimizer.zero_grad(); model.backward(loss_fn.backward())``,
    4. ``optimizer.step()``;

    then evaluate on the validation set, record diagnostics, step the schedule and run the
    callbacks.

    Parameters
    ----------
    model : Module
        The network; for classification it must output logits (or probabilities for BCELoss).
    loss_fn : loss object
        ``loss_fn(out, y)`` returns a float and ``loss_fn.backward()`` dL/d(out).
    optimizer : Optimizer
        Has ``step()`` and ``zero_grad()``, built on ``model.parameters()``.
    X : array_like of shape (m, d)
    y : array_like of shape (m,) or (m, k)
        Targets as ``loss_fn`` wants them. For a model with one output column, labels of
        shape (m,) are reshaped to (m, 1) (except for CrossEntropyLoss).
    epochs : int
        Number of passes over the training set, >= 1.
    batch_size : int
        Examples per minibatch; ``batch_size >= m`` gives full-batch gradient descent (the
        data are then not shuffled: the order does not change a full-batch gradient).
    validation : pair (X_val, y_val), optional
        Evaluated in evaluation mode at the end of every epoch.
    schedule : learning-rate schedule, optional
        ``schedule.step()`` is called once per epoch (or per minibatch, see
        ``schedule_interval``). A schedule that needs a metric (``ReduceLROnPlateau``, or any
        with ``requires_metric = True``) gets ``step(val_loss)``, or the training loss
        without validation data.
    callbacks : sequence of Callback or functions
        Each ``cb.on_epoch_end(epoch, history, model)`` (or ``f(epoch, history, model)``)
        runs after every epoch; a true return value stops training.
    rng : Generator, int or None
        Shuffling order and the choice of the probe batch.
    progress : bool
        Show a tqdm progress bar over epochs with the latest losses.
    diagnostics : bool
        Record the per-layer diagnostics (see :class:`History`). They cost one extra forward
        and backward pass on at most ``PROBE_SIZE`` examples per epoch; for slider
        experiments that retrain on every move, pass ``diagnostics=False, progress=False``.
    shuffle : bool
        Reshuffle the training set every epoch.
    eval_train : bool
        Also evaluate the whole training set in evaluation mode at the end of each epoch and
        record that as ``train_loss`` / ``train_acc`` instead of the running average over
        the epoch's minibatches (useful with dropout, whose training-mode loss is noisier).
    schedule_interval : {'epoch', 'batch'}
        When to call ``schedule.step()``; 'batch' for schedules counted in optimiser steps,
        such as OneCycleLR's ``total_steps = epochs * ceil(m / batch_size)``.
    blas_threads : None, int or 'auto'
        Threads the BLAS library may use for the matrix products while training. None (the
        default) leaves the process-wide setting alone. An int sets it for the duration of
        fit; 'auto' uses one thread when a minibatch's forward pass needs fewer than
        ``SMALL_NETWORK_FLOPS`` floating point operations (thread start-up costs more than it
        saves on small products: a small network trains faster on one thread) and leaves
        the setting alone otherwise. The previous setting is restored when fit returns.

    Returns
    -------
    History
        Losses, accuracies, learning rates and diagnostics per epoch.

    Raises
    ------
    TypeError
        If the model is not a Module, the optimiser has no step(), validation is not a pair,
        or a callback is neither a Callback nor a function.
    ValueError
        If epochs or batch_size < 1, or X and y (or X_val and y_val) differ in length.

    Warns
    -----
    RuntimeWarning
        When the training loss becomes NaN or infinite; training stops at once, before the
        offending step, and ``history.diverged`` is set.

    Notes
    -----
    Losses are recorded per example (a 'sum'-reduced loss is divided by the batch size).
    The training mode of every sub-module is restored when fit returns, also after an error.
    The diagnostics are those of :mod:`nnlib.probes`, run in evaluation mode on a fixed
    probe batch of up to ``PROBE_SIZE`` training examples; every parameter's ``grad`` is put
    back afterwards. Accuracies are recorded when the loss's class sets ``class_decision``.

    See Also
    --------
    Chapter 9 (Optimisation) writes this loop by hand; Chapter 16 (A practical recipe and
    diagnostics) reads the History.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> from nnlib.losses import BCEWithLogitsLoss
    >>> from nnlib.optim import Adam
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float); y = np.array([0, 1, 1, 0])
    >>> net = mlp([2, 8, 1], "tanh", rng=0)
    >>> history = fit(net, BCEWithLogitsLoss(), Adam(net.parameters(), lr=0.05), X, y,
    ...               epochs=300, batch_size=4, rng=0, progress=False)
    >>> history.epochs, history.train_acc[-1]
    (300, 1.0)
    """
    where = "fit"
    t_start = time.perf_counter()
    check_module(model, where)
    _check_loss_and_optimizer(loss_fn, optimizer, where)
    X, y = _check_pair(X, y, where)
    epochs = check_int(epochs, where, "epochs", minimum=1)
    batch_size = check_int(batch_size, where, "batch_size", minimum=1)
    validation = _check_validation(validation, where)
    schedule_step, metric_schedule = _check_schedule(schedule, schedule_interval, where)
    callbacks = _check_callbacks(callbacks, where)
    progress, diagnostics, shuffle, eval_train = (
        check_bool(flag, where, name) for flag, name in (
            (progress, "progress"), (diagnostics, "diagnostics"), (shuffle, "shuffle"),
            (eval_train, "eval_train")))
    rng = make_rng(rng, where)
    blas = _blas_limit(blas_threads, model, min(batch_size, len(X)), where)

    history = History()
    with probes._mode(model, model.training), blas:  # every mode is restored at the end
        # One small forward pass in evaluation mode checks the input width early and tells
        # the output shape, so that labels (m,) can be matched to a (m, 1) output.
        first = _forward_eval(model, X[:1])
        model.train()  # every sub-module; train_epoch only switches a model in eval mode
        train = _Data(X, y, loss_fn, first, where)
        val = _Data(*validation, loss_fn, first, where) if validation is not None else None
        history.classification = train.rule is not None
        probe = train.probe(rng) if diagnostics else None
        prober = probes._Prober(model) if diagnostics else None
        snapshot = probes.WeightSnapshot(model) if diagnostics else None
        after = _AfterStep(train.rule, schedule_step, snapshot)
        needs_after_step = train.rule is not None or schedule_step is not None or diagnostics
        _run_callbacks(callbacks, "on_train_begin", history, model)
        with _ProgressBar(progress, epochs) as bar:
            for epoch in range(1, epochs + 1):
                lr = getattr(optimizer, "lr", math.nan)
                after.new_epoch()
                result = train_epoch(model, loss_fn, optimizer,
                                     train.batches(batch_size, shuffle, rng),
                                     after_step=after if needs_after_step else None)
                if result.diverged_at is not None:
                    _report_divergence(history, epoch, *result.diverged_at, optimizer)
                    break
                history.lr.append(float(lr))
                _record_losses(history, model, loss_fn, train, val, result, after, eval_train)
                if diagnostics:
                    _record_diagnostics(history, prober, loss_fn, probe, after.update_ratios)
                if schedule is not None and schedule_step is None:
                    _step_schedule(schedule, metric_schedule, history)
                bar.update(history)
                if _stop_requested(callbacks, epoch, epochs, history, model):
                    break
        _run_callbacks(callbacks, "on_train_end", history, model)
    _finish(history, t_start)
    return history


def _finish(history, t_start):
    """Fill in the best epoch (unless a callback chose it), the stop reason and the time."""
    if history.best_epoch is None and history.epochs:
        watched = np.asarray(history.val_loss if history.val_loss else history.train_loss)
        if np.any(np.isfinite(watched)):
            history.best_epoch = int(np.nanargmin(np.where(np.isfinite(watched), watched,
                                                           np.nan))) + 1
    if not history.stop_reason:
        history.stop_reason = f"completed {history.epochs} epochs"
    history.seconds = time.perf_counter() - t_start


#: Below this many floating point operations per minibatch forward pass (2 x weights x batch),
#: ``fit(blas_threads='auto')`` runs the matrix products on one BLAS thread.
SMALL_NETWORK_FLOPS = 5_000_000


def _blas_limit(blas_threads, model, batch_size, where):
    """A context manager that limits the BLAS threads as ``fit``'s docstring describes."""
    if blas_threads is None:
        return contextlib.nullcontext()
    if isinstance(blas_threads, str):
        check_choice(blas_threads, ("auto",), where, "blas_threads",
                     hint="Or pass a number of threads, or None to leave BLAS alone.")
        flops = 2 * batch_size * sum(p.size for p in model.parameters())
        if flops >= SMALL_NETWORK_FLOPS:
            return contextlib.nullcontext()
        blas_threads = 1
    blas_threads = check_int(blas_threads, where, "blas_threads", minimum=1)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=blas_threads, user_api="blas")


def _report_divergence(history, epoch, batch, loss, optimizer):
    lr = getattr(optimizer, "lr", None)
    hint = f" (lr={lr:g})" if isinstance(lr, (int, float)) else ""
    message = (f"fit: the training loss became {loss} in epoch {epoch}, minibatch {batch}; "
               f"training stopped before that step, after {history.epochs} complete epochs. "
               f"The usual cause is a learning rate that is too large{hint}; try one ten "
               f"times smaller, or check the inputs for NaN and their scale.")
    history.diverged = True
    history.stopped_early = True
    history.stop_reason = f"non-finite loss ({loss}) in epoch {epoch}, minibatch {batch}"
    warnings.warn(message, RuntimeWarning, stacklevel=4)
