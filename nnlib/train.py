"""Training: the minibatch loop, its record (History) and the per-layer diagnostics.

:func:`fit` is the loop the chapters write by hand first (Chapters 2 and 9): shuffle, cut the
data into minibatches, and for each one run forward, loss, backward and an optimiser step.
What it adds is bookkeeping: per-epoch losses and accuracies, a validation pass, learning-rate
schedules, callbacks such as :class:`EarlyStopping`, a progress bar, and the diagnostics of
Chapter 16 (per-layer gradient norms, activation statistics, dead and saturated units, the
update-to-weight ratio), measured once per epoch on a fixed probe batch so that they cost
little.

The inner loop is kept to the four steps and nothing else, because the book's slider
experiments retrain networks while the reader waits.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from ._checks import as_array, check_finite_scalar, check_int, check_nonnegative, make_rng
from .core import Module, Parameter, Sequential

__all__ = [
    "iterate_minibatches",
    "accuracy",
    "predict_proba",
    "layer_outputs",
    "layer_grad_norms",
    "History",
    "Callback",
    "EarlyStopping",
    "fit",
    "SIGMOID_SATURATION",
    "TANH_SATURATION",
    "PROBE_SIZE",
    "SMALL_NETWORK_FLOPS",
]

#: A sigmoid unit counts as saturated when a < SIGMOID_SATURATION or a > 1 - SIGMOID_SATURATION;
#: there sigma'(z) = a (1 - a) < 0.0099, under 4 % of its maximum 1/4.
SIGMOID_SATURATION = 0.01
#: A tanh unit counts as saturated when ``|a| > TANH_SATURATION``; there tanh'(z) = 1 - a^2 < 0.02,
#: under 2 % of its maximum 1.
TANH_SATURATION = 0.99
#: Number of training examples in the fixed probe batch used for the per-epoch diagnostics.
PROBE_SIZE = 256

# Losses whose targets are classes, so that accuracy makes sense. The value says how to turn a
# network output into a class: "argmax" over (m, C) logits, or a threshold on one output column.
_CLASSIFICATION_LOSSES = {
    "CrossEntropyLoss": "argmax",
    "NLLLoss": "argmax",
    "BCEWithLogitsLoss": 0.0,  # logits: class 1 when z > 0
    "FocalLoss": 0.0,          # on logits too
    "BCELoss": 0.5,            # probabilities: class 1 when p > 0.5
}


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
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"{where}: expected shuffle to be True or False, got {shuffle!r}.")
    rng = make_rng(rng, where) if shuffle else None
    return _batches((X, y), batch_size, bool(shuffle), rng)


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


def _module_modes(model):
    """The ``training`` flag of the model and every sub-module, to restore later."""
    modes = [(model, model.training)]
    for child in model.children():
        modes.extend(_module_modes(child))
    return modes


def _restore_modes(modes):
    for module, training in modes:
        module.training = training


def _forward_eval(model, X, batch_size=None):
    """model(X) in evaluation mode, in chunks of ``batch_size`` rows, modes restored after."""
    modes = _module_modes(model)
    model.eval()
    try:
        if batch_size is None or batch_size >= len(X):
            return model.forward(X)
        return np.concatenate([model.forward(X[i:i + batch_size])
                               for i in range(0, len(X), batch_size)])
    finally:
        _restore_modes(modes)


def _check_model(model, where):
    if not isinstance(model, Module):
        raise TypeError(f"{where}: expected the model to be an nnlib Module (for example a "
                        f"Sequential), got {type(model).__name__}.")


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
    _check_model(model, where)
    X = as_array(X, where, name="X")
    if batch_size is not None:
        batch_size = check_int(batch_size, where, "batch_size", minimum=1)
    z = _forward_eval(model, X, batch_size)
    if z.ndim == 2 and z.shape[1] > 1:
        return softmax(z, axis=1)
    return sigmoid(z)


# --------------------------------------------------------------------------------------------
# looking inside a network: per-layer outputs and gradients
# --------------------------------------------------------------------------------------------
def _named_layers(model, prefix=""):
    """``(key, module)`` for each layer in data-flow order, nested Sequentials flattened.

    The key is ``"<dotted path>:<ClassName>"``, e.g. ``"0:Linear"`` for ``model[0]``; the
    path matches the prefix of that layer's entries in ``named_parameters()``. A model that
    is not a Sequential (or overrides its forward) counts as one layer.
    """
    if isinstance(model, Sequential) and type(model).forward is Sequential.forward:
        layers = []
        for name, child in model.named_children():
            layers.extend(_named_layers(child, f"{prefix}{name}."))
        return layers
    path = prefix[:-1] if prefix else "model"
    return [(f"{path}:{type(model).__name__}", model)]


def _is_a(module, class_name):
    return any(cls.__name__ == class_name for cls in type(module).__mro__)


def _direct_parameters(module):
    """The parameters a layer's diagnostics measure: its ``weight`` if it has one, otherwise
    all its parameters (e.g. those inside a Residual block)."""
    weight = getattr(module, "weight", None)
    if isinstance(weight, Parameter):
        return [weight]
    return module.parameters()


def _record_forward(layers, X):
    """Run ``X`` through ``layers`` one at a time; return the output of each layer."""
    outputs = []
    a = X
    for _, layer in layers:
        a = layer.forward(a)
        outputs.append(a)
    return outputs


def layer_outputs(model, X, *, training=False):
    """The output of every layer for the inputs ``X``: what the network computes inside.

    Parameters
    ----------
    model : Module
        Usually a Sequential; nested Sequentials are walked into. Any other Module counts as
        a single layer.
    X : array_like of shape (m, d)
    training : bool
        Run in training mode (dropout active, batch statistics, and batch norm's running
        statistics updated); the default is evaluation mode. Every sub-module's mode is
        restored afterwards.

    Returns
    -------
    dict
        ``{key: a}`` in data-flow order, with keys such as ``"0:Linear"`` (the layer's index
        path and class) and ``a`` the layer's output of shape (m, n_l).

    See Also
    --------
    Chapter 4 (Forward propagation); Chapter 11 (Initialisation) plots these statistics.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> net = mlp([2, 3, 1], "relu", rng=0)
    >>> {k: v.shape for k, v in layer_outputs(net, np.ones((4, 2))).items()}
    {'0:Linear': (4, 3), '1:ReLU': (4, 3), '2:Linear': (4, 1)}
    """
    where = "layer_outputs"
    _check_model(model, where)
    X = as_array(X, where, name="X")
    layers = _named_layers(model)
    modes = _module_modes(model)
    model.train(bool(training))
    try:
        outputs = _record_forward(layers, X)
    finally:
        _restore_modes(modes)
    return {key: a for (key, _), a in zip(layers, outputs, strict=True)}


def _grad_norms(layers):
    """||dL/dW|| of every layer with parameters (its weight, or all its parameters)."""
    norms = {}
    for key, layer in layers:
        params = _direct_parameters(layer)
        if params:
            norms[key] = math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params))
    return norms


def _with_saved_grads(model, body):
    """Run ``body()`` and put every parameter's ``grad`` back the way it was."""
    saved = [(p, p.grad.copy()) for p in model.parameters()]
    try:
        return body()
    finally:
        for p, g in saved:
            np.copyto(p.grad, g)


def _backward(model, grad):
    if isinstance(model, Sequential):
        return model.backward(grad, input_grad=False)
    return model.backward(grad)


def layer_grad_norms(model, X, y, loss_fn, *, training=False):
    """The norm of dL/dW for every layer with parameters, from one forward and backward pass.

    Parameters
    ----------
    model : Module
    X : array_like of shape (m, d)
    y : array_like
        Targets for ``loss_fn``; labels of shape (m,) are reshaped to (m, 1) for a model
        with one output column, as in :func:`fit`.
    loss_fn : loss object
        Called as ``loss_fn(output, y)``, then ``loss_fn.backward()``.
    training : bool
        Run in training mode (which also updates batch norm's running statistics); the
        default is evaluation mode (deterministic: no dropout, no change to any state).
        Modes and every parameter's ``grad`` are restored afterwards, so calling this does
        not disturb training.

    Returns
    -------
    dict
        ``{key: ||dL/dW||}`` in data-flow order (Frobenius norm of the weight's gradient, or
        of all the layer's parameters when it has no ``weight``).

    See Also
    --------
    Chapter 10 (Vanishing and exploding gradients) plots these against depth.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> from nnlib.losses import MSELoss
    >>> net = mlp([2, 4, 1], "tanh", rng=0)
    >>> norms = layer_grad_norms(net, np.ones((3, 2)), np.zeros((3, 1)), MSELoss())
    >>> list(norms)
    ['0:Linear', '2:Linear']
    """
    where = "layer_grad_norms"
    _check_model(model, where)
    X = as_array(X, where, name="X")
    layers = _named_layers(model)
    modes = _module_modes(model)

    def body():
        model.train(bool(training))
        model.zero_grad()
        out = _record_forward(layers, X)[-1]
        target = _match_target(np.asarray(y), _classification_rule(loss_fn), out, out.dtype)
        loss_fn(out, target)
        _backward(model, loss_fn.backward())
        return _grad_norms(layers)

    try:
        return _with_saved_grads(model, body)
    finally:
        _restore_modes(modes)


# --------------------------------------------------------------------------------------------
# the record of a training run
# --------------------------------------------------------------------------------------------
class History:
    """Everything :func:`fit` measured, epoch by epoch.

    Epochs are numbered from 1: entry ``i`` of each list belongs to epoch ``i + 1``, after
    which the weights have seen the training set ``i + 1`` times.

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
        Accuracies, the same way; only for classification losses (CrossEntropyLoss, BCELoss,
        BCEWithLogitsLoss, FocalLoss), empty otherwise.
    lr : list of float
        The optimiser's learning rate during each epoch.
    grad_norm : dict of str -> list of float
        Per layer with parameters: ||dL/dW|| on the probe batch at the end of the epoch.
    act_mean, act_std : dict of str -> list of float
        Per layer: mean and standard deviation of the layer's output on the probe batch.
    dead_fraction : dict of str -> list of float
        Per ReLU layer: the fraction of units whose output is 0 for every probe example.
    saturated_fraction : dict of str -> list of float
        Per Sigmoid / Tanh layer: the fraction of outputs (example, unit pairs) near an
        asymptote: a < 0.01 or a > 0.99 for the sigmoid, ``|a| > 0.99`` for tanh.
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

    Keys of the per-layer dicts look like ``"2:Linear"``: the layer's index in the Sequential
    (a dotted path for nested ones) and its class.
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
        if monitor not in self._MONITORS:
            raise ValueError(f"{where}: expected monitor to be one of {list(self._MONITORS)}, "
                             f"got {monitor!r}.")
        self.monitor = monitor
        self.min_delta = check_nonnegative(min_delta, where, "min_delta")
        if not isinstance(restore_best, (bool, np.bool_)):
            raise TypeError(f"{where}: expected restore_best to be True or False, got "
                            f"{restore_best!r}.")
        self.restore_best = bool(restore_best)
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
# fit
# --------------------------------------------------------------------------------------------
def _classification_rule(loss_fn):
    """'argmax', a threshold for one output column, or None for a regression loss."""
    for cls in type(loss_fn).__mro__:
        if cls.__name__ in _CLASSIFICATION_LOSSES:
            return _CLASSIFICATION_LOSSES[cls.__name__]
    return None


def _count_correct(out, labels, rule):
    """Number of rows of ``out`` whose predicted class equals ``labels`` (fast, unchecked)."""
    if rule == "argmax":
        return int(np.count_nonzero(out.argmax(axis=1) == labels))
    return int(np.count_nonzero((out.reshape(len(out)) > rule) == labels))


def _fit_labels(y, rule, where):
    """Labels for the running accuracy: ints for 'argmax', booleans for a threshold."""
    if rule == "argmax":
        return _labels_from_targets(y, where)
    flat = np.asarray(y).reshape(len(y), -1)[:, 0]
    return flat > 0.5


def _check_validation(validation, where):
    if validation is None:
        return None
    if not isinstance(validation, (tuple, list)) or len(validation) != 2:
        raise TypeError(f"{where}: expected validation to be a pair (X_val, y_val), got "
                        + (f"a {type(validation).__name__} of length {len(validation)}."
                           if isinstance(validation, (tuple, list))
                           else f"{type(validation).__name__}."))
    return _check_pair(*validation, where, x_name="X_val", y_name="y_val")


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


def _needs_metric(schedule):
    return bool(getattr(schedule, "requires_metric", False)) or \
        any(c.__name__ == "ReduceLROnPlateau" for c in type(schedule).__mro__)


def _mean_loss(loss_fn, out, y):
    """The loss per example, whatever the loss's reduction."""
    value = loss_fn(out, y)
    if getattr(loss_fn, "reduction", "mean") == "sum":
        value = value / len(out)
    return float(value)


class _Network:
    """What fit needs to know about a model, worked out once: its layers in data-flow order,
    which of them have weights or are ReLU / sigmoid / tanh layers, and every sub-module (to
    switch between training and evaluation mode by setting flags, without a tree walk)."""

    def __init__(self, model):
        self.model = model
        self.layers = _named_layers(model)
        self.modules = [module for module, _ in _module_modes(model)]
        # a module that overrides train() may do more than set the flag: then call it
        self._plain_modes = all(type(m).train is Module.train for m in self.modules)
        self.kinds = []
        for _, layer in self.layers:
            kind = None
            for name in ("ReLU", "Sigmoid", "Tanh"):
                if _is_a(layer, name):
                    kind = name
                    break
            self.kinds.append(kind)
        self.weights = {key: _direct_parameters(layer) for key, layer in self.layers
                        if _direct_parameters(layer)}
        self.parameters = model.parameters()

    def set_training(self, flag):
        if self._plain_modes:
            for module in self.modules:
                module.training = flag
        else:
            self.model.train(flag)

    def snapshot(self):
        """Copies of each parameterised layer's weight(s), to measure one step's update."""
        return {key: [p.data.copy() for p in params] for key, params in self.weights.items()}

    def record_update_ratio(self, history, before):
        """Append ||W_after - W_before|| / ||W_before|| for every layer with weights."""
        for key, params in self.weights.items():
            diff = 0.0
            norm = 0.0
            for p, w in zip(params, before[key], strict=True):
                d = (p.data - w).ravel()
                diff += float(d @ d)
                norm += float(np.vdot(w, w))
            ratio = math.sqrt(diff / norm) if norm > 0 else math.nan  # W = 0: undefined
            history.update_ratio.setdefault(key, []).append(ratio)

    def diagnose(self, history, loss_fn, probe_X, probe_y):
        """Record activation statistics and gradient norms on the probe batch, in evaluation
        mode; every parameter's grad is restored afterwards."""
        saved = [p.grad.copy() for p in self.parameters]
        self.set_training(False)
        try:
            for p in self.parameters:
                p.grad.fill(0)
            outputs = _record_forward(self.layers, probe_X)
            loss_fn(outputs[-1], probe_y)
            _backward(self.model, loss_fn.backward())
            for key, params in self.weights.items():
                norm = math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params))
                history.grad_norm.setdefault(key, []).append(norm)
        finally:
            for p, g in zip(self.parameters, saved, strict=True):
                np.copyto(p.grad, g)
            self.set_training(True)
        for (key, _), kind, a in zip(self.layers, self.kinds, outputs, strict=True):
            flat = np.asarray(a).reshape(len(a), -1)
            mean = float(flat.mean())
            centred = (flat - mean).ravel()
            history.act_mean.setdefault(key, []).append(mean)
            history.act_std.setdefault(key, []).append(math.sqrt(float(centred @ centred)
                                                                 / max(centred.size, 1)))
            if kind == "ReLU":
                dead = float(np.mean(~np.any(flat > 0, axis=0)))
                history.dead_fraction.setdefault(key, []).append(dead)
            elif kind == "Sigmoid":
                low, high = SIGMOID_SATURATION, 1.0 - SIGMOID_SATURATION
                sat = np.count_nonzero((flat < low) | (flat > high)) / max(flat.size, 1)
                history.saturated_fraction.setdefault(key, []).append(float(sat))
            elif kind == "Tanh":
                sat = np.count_nonzero(np.abs(flat) > TANH_SATURATION) / max(flat.size, 1)
                history.saturated_fraction.setdefault(key, []).append(float(sat))


def fit(model, loss_fn, optimizer, X, y, epochs, batch_size=32, validation=None, schedule=None,
        callbacks=(), rng=None, progress=True, diagnostics=True, shuffle=True,
        eval_train=False, schedule_interval="epoch", blas_threads="auto") -> History:
    """Train ``model`` with minibatch gradient descent and record what happened.

    For each epoch: shuffle the training set, and for each minibatch (Xb, yb) run

    1. ``out = model(Xb)`` (training mode),
    2. ``loss = loss_fn(out, yb)``,
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
    blas_threads : 'auto', int or None
        Threads the BLAS library may use for the matrix products while training. 'auto'
        uses one thread when a minibatch's forward pass needs fewer than
        ``SMALL_NETWORK_FLOPS`` floating point operations (thread start-up costs more than it
        saves on small products) and leaves the setting alone otherwise; None always leaves
        it alone. The previous setting is restored when fit returns.

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
    The diagnostics run in evaluation mode on a fixed probe batch of up to ``PROBE_SIZE``
    training examples, and every parameter's ``grad`` is put back afterwards.

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
    _check_model(model, where)
    if not callable(loss_fn) or not hasattr(loss_fn, "backward"):
        raise TypeError(f"{where}: expected loss_fn to be a loss object with __call__ and "
                        f"backward(), such as MSELoss(), got {type(loss_fn).__name__}.")
    for method in ("step", "zero_grad"):
        if not callable(getattr(optimizer, method, None)):
            raise TypeError(f"{where}: expected an optimiser with step() and zero_grad() "
                            f"methods, such as SGD(model.parameters(), lr=0.1), got "
                            f"{type(optimizer).__name__} without {method}().")
    X, y = _check_pair(X, y, where)
    epochs = check_int(epochs, where, "epochs", minimum=1)
    batch_size = check_int(batch_size, where, "batch_size", minimum=1)
    val = _check_validation(validation, where)
    if schedule is not None and not callable(getattr(schedule, "step", None)):
        raise TypeError(f"{where}: expected schedule to have a step() method, got "
                        f"{type(schedule).__name__}.")
    if schedule_interval not in ("epoch", "batch"):
        raise ValueError(f"{where}: expected schedule_interval 'epoch' or 'batch', got "
                         f"{schedule_interval!r}.")
    metric_schedule = schedule is not None and _needs_metric(schedule)
    if metric_schedule and schedule_interval == "batch":
        raise ValueError(f"{where}: {type(schedule).__name__} steps on a metric, which is "
                         f"measured once per epoch; use schedule_interval='epoch'.")
    callbacks = _check_callbacks(callbacks, where)
    for flag_name, flag in (("progress", progress), ("diagnostics", diagnostics),
                            ("shuffle", shuffle), ("eval_train", eval_train)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{where}: expected {flag_name} to be True or False, got {flag!r}.")
    rng = make_rng(rng, where)

    modes = _module_modes(model)
    try:
        # One small forward pass in evaluation mode checks the input width early and tells
        # the output shape, so that labels (m,) can be matched to a (m, 1) output.
        first = _forward_eval(model, X[:1])
        rule = _classification_rule(loss_fn)
        X, y, val = _prepare_data(model, X, y, val, rule, first)
        history = History()
        history.classification = rule is not None
        net = _Network(model)
        probe = None
        if diagnostics:
            idx = np.arange(len(X)) if len(X) <= PROBE_SIZE else \
                np.sort(rng.choice(len(X), PROBE_SIZE, replace=False))
            probe = (X[idx], y[idx])
        labels = _fit_labels(y, rule, where) if rule is not None else None
        val_labels = _fit_labels(val[1], rule, where) if (rule is not None and val) else None
        for cb in callbacks:
            if hasattr(cb, "on_train_begin"):
                cb.on_train_begin(history, model)
        with _blas_limit(blas_threads, model, min(batch_size, len(X)), where):
            _train_loop(net, loss_fn, optimizer, X, y, labels, val, val_labels, rule, epochs,
                        batch_size, schedule, metric_schedule, schedule_interval == "batch",
                        callbacks, rng, progress, probe, shuffle, eval_train, history)
        for cb in callbacks:
            if hasattr(cb, "on_train_end"):
                cb.on_train_end(history, model)
    finally:
        _restore_modes(modes)
    if history.best_epoch is None and history.epochs:
        watched = np.asarray(history.val_loss if history.val_loss else history.train_loss)
        if np.any(np.isfinite(watched)):
            history.best_epoch = int(np.nanargmin(np.where(np.isfinite(watched), watched,
                                                           np.nan))) + 1
    if not history.stop_reason:
        history.stop_reason = f"completed {history.epochs} epochs"
    history.seconds = time.perf_counter() - t_start
    return history


#: Below this many floating point operations per minibatch forward pass (2 x weights x batch),
#: fit runs the matrix products on one BLAS thread (``blas_threads='auto'``).
SMALL_NETWORK_FLOPS = 5_000_000


def _blas_limit(blas_threads, model, batch_size, where):
    """A context manager that limits the BLAS threads as ``fit``'s docstring describes."""
    import contextlib

    if blas_threads is None:
        return contextlib.nullcontext()
    if blas_threads == "auto":
        flops = 2 * batch_size * sum(p.size for p in model.parameters())
        if flops >= SMALL_NETWORK_FLOPS:
            return contextlib.nullcontext()
        blas_threads = 1
    blas_threads = check_int(blas_threads, where, "blas_threads", minimum=1)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=blas_threads, user_api="blas")


def _match_target(t, rule, output, dtype):
    """Targets shaped like a one-column output ((m,) -> (m, 1)) and, unless they are class
    indices for cross-entropy, cast from integers to the float ``dtype``."""
    if rule != "argmax" and t.dtype.kind in "biuf":
        if np.ndim(output) == 2 and np.shape(output)[1] == 1 and t.ndim == 1:
            t = t.reshape(-1, 1)
        if t.dtype.kind in "biu":
            t = t.astype(dtype)
    return t


def _prepare_data(model, X, y, val, rule, first_output):
    """Cast the data once to the parameters' dtype and match target shapes to the output."""
    params = model.parameters()
    dtype = params[0].data.dtype if params else X.dtype
    X = X.astype(dtype, copy=False)
    y = _match_target(y, rule, first_output, dtype)
    if val is not None:
        val = (val[0].astype(dtype, copy=False), _match_target(val[1], rule, first_output, dtype))
    return X, y, val


def _train_loop(net, loss_fn, optimizer, X, y, labels, val, val_labels, rule, epochs,
                batch_size, schedule, metric_schedule, step_per_batch, callbacks, rng,
                progress, probe, shuffle, eval_train, history):
    """The epochs of :func:`fit`; arguments already checked."""
    model = net.model
    m = len(X)
    full_batch = batch_size >= m
    arrays = (X, y) if labels is None else (X, y, labels)
    forward = model.forward
    if isinstance(model, Sequential):
        def backward(g):
            model.backward(g, input_grad=False)
    else:
        backward = model.backward
    zero_grad, step = optimizer.zero_grad, optimizer.step
    summed = getattr(loss_fn, "reduction", "mean") == "sum"
    schedule_step = schedule.step if (schedule is not None and step_per_batch) else None

    def evaluate(inputs):
        net.set_training(False)
        try:
            return forward(inputs)
        finally:
            net.set_training(True)

    epoch_iter = range(1, epochs + 1)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(epoch_iter, desc="fit", unit="epoch", leave=True)
        epoch_iter = bar
    net.set_training(True)
    try:
        for epoch in epoch_iter:
            lr = getattr(optimizer, "lr", math.nan)
            before = net.snapshot() if probe is not None else None
            total, correct = 0.0, 0
            batches = (arrays,) if full_batch else _batches(arrays, batch_size, shuffle, rng)
            # ---- the hot loop: forward, loss, backward, step ----
            for batch_number, batch in enumerate(batches, start=1):
                out = forward(batch[0])
                loss = loss_fn(out, batch[1])
                if not math.isfinite(loss):
                    _report_divergence(history, epoch, batch_number, loss, optimizer)
                    return
                zero_grad()
                backward(loss_fn.backward())
                step()
                if schedule_step is not None:
                    schedule_step()
                total += loss if summed else loss * len(out)
                if labels is not None:
                    correct += _count_correct(out, batch[2], rule)
                if before is not None:
                    net.record_update_ratio(history, before)
                    before = None

            # ---- end of epoch: bookkeeping ----
            history.lr.append(float(lr))
            if eval_train:
                out = evaluate(X)
                history.train_loss.append(_mean_loss(loss_fn, out, y))
                if labels is not None:
                    history.train_acc.append(_count_correct(out, labels, rule) / m)
            else:
                history.train_loss.append(total / m)
                if labels is not None:
                    history.train_acc.append(correct / m)
            if val is not None:
                out = evaluate(val[0])
                history.val_loss.append(_mean_loss(loss_fn, out, val[1]))
                if val_labels is not None:
                    history.val_acc.append(_count_correct(out, val_labels, rule) / len(out))
            if probe is not None:
                net.diagnose(history, loss_fn, *probe)
            if schedule is not None and not step_per_batch:
                if metric_schedule:
                    schedule.step(history.val_loss[-1] if val is not None
                                  else history.train_loss[-1])
                else:
                    schedule.step()
            if bar is not None:
                post = f"loss={history.train_loss[-1]:.4g}"
                if val is not None:
                    post += f", val_loss={history.val_loss[-1]:.4g}"
                bar.set_postfix_str(post, refresh=False)
            stop = False
            for cb in callbacks:
                stop = bool(cb.on_epoch_end(epoch, history, model)) or stop
            if stop and epoch < epochs:
                history.stopped_early = True
                names = ", ".join(type(cb).__name__ for cb in callbacks)
                history.stop_reason = f"stopped after epoch {epoch} by a callback ({names})"
                return
    finally:
        if bar is not None:
            bar.close()


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
