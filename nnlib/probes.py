"""Probes: what a network computes inside, layer by layer (Chapters 10, 11, 12 and 16).

Each function takes a model and a batch, runs one forward pass (and, given targets and a
loss, one backward pass) and returns a plain dict keyed by layer, in data-flow order:

=========================================  ===============================================
``layer_outputs(model, X)``                a, each layer's output
``pre_activations(model, X)``              z, the input of each activation layer
``error_signals(model, X, y, loss_fn)``    delta = dL/d(output) of each layer
``gradient_norms(model, X, y, loss_fn)``   ||dL/dW|| of each layer with parameters
``activation_stats(model, X)``             mean, std, dead and saturated fractions of a
``update_ratios(model, step)``             ||W_after - W_before|| / ||W_before|| of a step
``trace(model, X, y, loss_fn)``            all of it, one :class:`LayerTrace` per layer
=========================================  ===============================================

The keys are those of :class:`nnlib.train.History`: ``"<path>:<class>"``, where the path is
the layer's prefix in ``model.named_parameters()``, e.g. ``"0:Linear"`` for ``model[0]``,
``"1.0:Linear"`` inside a nested Sequential. Sequential models are walked into, and so are
Residual blocks: ``"2.module.0:Linear"`` is the first layer of the block ``model[2]``, and
``"2:Residual"`` is the block's output x + F(x), which comes after its inner layers; its
parameters are measured at the inner layers. Any other module counts as one layer (a model
that is not a Sequential is the single layer ``"model:<class>"``); :func:`named_layers` lists
them. A chapter measures in one line, e.g. the standard deviation of every layer's output::

    stds = {key: s["std"] for key, s in probes.activation_stats(net, X).items()}

What a layer is comes from attributes of its class: ``is_activation`` (its input is a
pre-activation), ``units_can_die`` (count units whose output is 0 for every example, as for
ReLU) and ``saturated_outside`` (count outputs outside ``(low, high)``, as for sigmoid and
tanh); see :class:`nnlib.core.Module`.

Every probe runs in evaluation mode by default (``training=True`` for training mode), and
leaves the model as it found it: the training flag of every sub-module and every
parameter's ``grad`` are restored afterwards. :func:`nnlib.train.fit` records the same
measurements once per epoch in its History.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._checks import as_array, check_bool, check_module
from .core import Module, Parameter, Sequential
from .layers import Residual

__all__ = [
    "named_layers",
    "LayerTrace",
    "trace",
    "layer_outputs",
    "pre_activations",
    "error_signals",
    "gradient_norms",
    "activation_stats",
    "WeightSnapshot",
    "update_ratios",
]


# --------------------------------------------------------------------------------------------
# the layers of a model
# --------------------------------------------------------------------------------------------
def _walked_into(module, cls) -> bool:
    """True for an instance of ``cls`` (Sequential or Residual) that keeps its forward and
    backward, so that the probes may run its parts one at a time."""
    return (isinstance(module, cls) and type(module).forward is cls.forward
            and type(module).backward is cls.backward)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _key(path: str, module) -> str:
    return f"{path or 'model'}:{type(module).__name__}"


class _Step(NamedTuple):
    """How the probes run a module: a Sequential runs its parts in turn; a Residual block
    runs its one part F and adds the input back, x + F(x); a layer runs as it is."""

    kind: str        # "sequential", "residual" or "layer"
    module: Module
    key: str         # the record's key (unused for a Sequential, which has no record)
    parts: tuple     # the _Steps inside a Sequential or Residual


def _plan(module, path="") -> _Step:
    """The _Step tree of ``module``, worked out once per probe (no walk at run time)."""
    if _walked_into(module, Sequential):
        parts = tuple(_plan(child, _join(path, name)) for name, child in module.named_children())
        return _Step("sequential", module, "", parts)
    if _walked_into(module, Residual):
        return _Step("residual", module, _key(path, module),
                     (_plan(module.module, _join(path, "module")),))
    return _Step("layer", module, _key(path, module), ())


def _layers(module):
    """``(key, module)`` for every layer of ``module``, in data-flow order."""
    def flatten(step):
        inner = [item for part in step.parts for item in flatten(part)]
        return inner if step.kind == "sequential" else inner + [(step.key, step.module)]

    return flatten(_plan(module))


def named_layers(model) -> list:
    """The layers of ``model`` in data-flow order, with the keys every probe uses.

    Parameters
    ----------
    model : Module

    Returns
    -------
    list of (str, Module)
        ``(key, layer)`` pairs; see the module docstring for the keys.

    See Also
    --------
    Chapter 4 (Forward propagation): a network is its layers, applied in this order.

    Examples
    --------
    >>> from nnlib.core import Sequential
    >>> from nnlib.layers import Linear, ReLU, Residual
    >>> net = Sequential(Linear(2, 3, rng=0), Residual(Sequential(Linear(3, 3, rng=0), ReLU())))
    >>> [key for key, _ in named_layers(net)]
    ['0:Linear', '1.module.0:Linear', '1.module.1:ReLU', '1:Residual']
    """
    check_module(model, "named_layers")
    return _layers(model)


def _own_parameters(layer) -> list:
    """The parameters a layer's gradient norm and update ratio measure: its ``weight`` if it
    has one (not the bias: Chapter 16 watches the weights), otherwise all of them; none for
    a Residual block, whose parameters belong to its inner layers."""
    if _walked_into(layer, Residual):
        return []
    weight = getattr(layer, "weight", None)
    if isinstance(weight, Parameter):
        return [weight]
    return layer.parameters()


def _norm(arrays) -> float:
    """The Euclidean norm of several arrays taken together."""
    total = 0.0
    for a in arrays:
        total += float(np.vdot(a, a))
    return math.sqrt(total)


# --------------------------------------------------------------------------------------------
# keeping the model as it was
# --------------------------------------------------------------------------------------------
@contextmanager
def _mode(model, training: bool):
    """Run the body with ``model.train(training)``; restore every sub-module's flag after."""
    flags = [(module, module.training) for _, module in model.named_modules()]
    model.train(training)
    try:
        yield
    finally:
        for module, flag in flags:
            module.training = flag


def _targets_like(y, loss_fn, output):
    """Targets as ``loss_fn`` wants them next to ``output``: labels (m,) become (m, 1) for a
    one-column output, and integers become the output's float dtype, except class indices
    for a loss that classifies by argmax (cross-entropy)."""
    t = np.asarray(y)
    if getattr(loss_fn, "class_decision", None) == "argmax" or t.dtype.kind not in "biuf":
        return t
    if np.ndim(output) == 2 and np.shape(output)[1] == 1 and t.ndim == 1:
        t = t.reshape(-1, 1)
    if t.dtype.kind in "biu":
        t = t.astype(np.asarray(output).dtype)
    return t


# --------------------------------------------------------------------------------------------
# one recorded forward and backward pass
# --------------------------------------------------------------------------------------------
@dataclass(slots=True)
class LayerTrace:
    """What one layer received and returned in a probe's forward and backward pass.

    Attributes
    ----------
    key : str
        The layer's key, e.g. ``"2:Linear"``.
    layer : Module
    input : ndarray of shape (m, n_in)
        What the layer received: a^(l-1) for a Linear layer, z for an activation.
    output : ndarray of shape (m, n_out)
        What it returned.
    delta : ndarray of shape (m, n_out) or None
        dL/d(output), the error signal arriving at the layer (None without a backward pass).
        For a Linear layer this is the book's delta^(l) = dL/dz^(l).
    grad_norm : float or None
        ||dL/dW|| of the layer's own parameters (its weight, if it has one), or None for a
        layer without parameters or without a backward pass.
    """

    key: str
    layer: Module
    input: np.ndarray
    output: np.ndarray
    delta: np.ndarray | None = None
    grad_norm: float | None = None


def _forward(step, x, records):
    """The forward pass of ``step``'s module, one layer at a time, with a LayerTrace per
    layer in ``records``; the same numbers as ``module.forward(x)``."""
    if step.kind == "sequential":
        for part in step.parts:
            x = _forward(part, x, records)
        return x
    if step.kind == "residual":
        x = as_array(x, "Residual")
        out = step.module._add_skip(x, _forward(step.parts[0], x, records))
    else:
        out = step.module.forward(x)
    records[step.key] = LayerTrace(step.key, step.module, x, out)
    return out


def _backward(step, delta, records, input_grad=True):
    """The backward pass of ``step``'s module, last layer first, noting each layer's delta;
    the same numbers as ``module.backward(delta)``."""
    if step.kind == "sequential":
        for i in range(len(step.parts) - 1, -1, -1):
            delta = _backward(step.parts[i], delta, records, input_grad or i > 0)
        return delta
    records[step.key].delta = delta
    if step.kind == "residual":  # dL/dx = delta + F's backward: the identity path and F
        return delta + _backward(step.parts[0], delta, records)
    if not input_grad and hasattr(step.module, "backward_params"):
        step.module.backward_params(delta)  # the data need no gradient: skip dL/dX
        return None
    return step.module.backward(delta)


class _Prober:
    """A model's sub-modules, parameters and layers, found once, and the recorded passes.

    :func:`trace` makes one per call; :func:`nnlib.train.fit` keeps one for the whole run.
    """

    def __init__(self, model):
        self.model = model
        self.plan = _plan(model)
        self.modules = [module for _, module in model.named_modules()]
        # switching modes by setting the flags is enough unless a module overrides train()
        self.plain_modes = all(type(m).train is Module.train for m in self.modules)
        self.parameters = model.parameters()
        self.weights = {key: params for key, layer in _layers(model)
                        if (params := _own_parameters(layer))}

    def run(self, X, y=None, loss_fn=None, training=False, match_targets=True,
            deltas=True) -> dict:
        """One forward (and backward) pass of X, recorded; modes and grads restored. With
        ``deltas=False`` the backward pass runs as the model's own (fit needs the gradient
        norms only, not each layer's delta)."""
        flags = [module.training for module in self.modules]
        grads = [p.grad.copy() for p in self.parameters] if loss_fn is not None else []
        records = {}
        if self.plain_modes:
            for module in self.modules:
                module.training = training
        else:
            self.model.train(training)
        try:
            output = _forward(self.plan, X, records)
            if loss_fn is not None:
                for p in self.parameters:
                    p.grad.fill(0)
                loss_fn(output, _targets_like(y, loss_fn, output) if match_targets else y)
                if deltas:
                    _backward(self.plan, loss_fn.backward(), records, input_grad=False)
                elif isinstance(self.model, Sequential) and self.plan.kind == "sequential":
                    self.model.backward(loss_fn.backward(), input_grad=False)
                else:
                    self.model.backward(loss_fn.backward())
                for key, params in self.weights.items():
                    records[key].grad_norm = _norm(p.grad for p in params)
        finally:
            for module, flag in zip(self.modules, flags, strict=True):
                module.training = flag
            for p, g in zip(self.parameters, grads, strict=False):  # none without a loss
                np.copyto(p.grad, g)
        return records


def _check_loss(loss_fn, where):
    if not callable(loss_fn) or not hasattr(loss_fn, "backward"):
        raise TypeError(f"{where}: expected loss_fn to be a loss object with __call__ and "
                        f"backward(), such as MSELoss(), got {type(loss_fn).__name__}.")


def trace(model, X, y=None, loss_fn=None, *, training=False) -> dict:
    """Run one forward pass (and, with ``y`` and ``loss_fn``, one backward pass) of ``X``
    through ``model`` and record what every layer received, returned and was sent back.

    Parameters
    ----------
    model : Module
        Usually a Sequential; nested Sequentials and Residual blocks are walked into.
    X : array_like of shape (m, d)
    y : array_like, optional
        Targets for ``loss_fn``. Labels of shape (m,) are reshaped to (m, 1) for a model
        with one output column, as :func:`nnlib.train.fit` does.
    loss_fn : loss object, optional
        Called as ``loss_fn(output, y)``, then ``loss_fn.backward()``.
    training : bool
        Run in training mode (dropout active, batch statistics; batch norm's running
        statistics are updated). The default is evaluation mode, which changes nothing.

    Returns
    -------
    dict of str -> LayerTrace
        One record per layer, in data-flow order. The gradients are computed from zero and
        every parameter's ``grad`` is restored afterwards, as is every training flag.

    Raises
    ------
    TypeError
        If the model is not a Module or the loss has no ``backward``.
    ValueError
        If only one of ``y`` and ``loss_fn`` is given.

    See Also
    --------
    Chapter 5 (Backpropagation): the deltas; Chapter 16 (A practical recipe and
    diagnostics) reads all of it.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> from nnlib.losses import MSELoss
    >>> net = mlp([2, 3, 1], "tanh", rng=0)
    >>> records = trace(net, np.ones((4, 2)), np.zeros((4, 1)), MSELoss())
    >>> [(key, r.output.shape, r.delta.shape) for key, r in records.items()]
    [('0:Linear', (4, 3), (4, 3)), ('1:Tanh', (4, 3), (4, 3)), ('2:Linear', (4, 1), (4, 1))]
    >>> records["2:Linear"].grad_norm > 0
    True
    """
    where = "trace"
    check_module(model, where)
    X = as_array(X, where, name="X")
    training = check_bool(training, where, "training")
    if (y is None) != (loss_fn is None):
        raise ValueError(f"{where}: expected both y and loss_fn for a backward pass, or "
                         f"neither; got only {'y' if loss_fn is None else 'loss_fn'}.")
    if loss_fn is not None:
        _check_loss(loss_fn, where)
    return _Prober(model).run(X, y, loss_fn, training)


# --------------------------------------------------------------------------------------------
# the one-line probes
# --------------------------------------------------------------------------------------------
def layer_outputs(model, X, *, training=False) -> dict:
    """The output of every layer for the inputs ``X``: what the network computes inside.

    Parameters
    ----------
    model : Module
        Usually a Sequential; nested Sequentials and Residual blocks are walked into. Any
        other Module counts as a single layer.
    X : array_like of shape (m, d)
    training : bool
        Run in training mode (dropout active, batch statistics, and batch norm's running
        statistics updated); the default is evaluation mode. Every sub-module's mode is
        restored afterwards.

    Returns
    -------
    dict of str -> ndarray
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
    return {key: r.output for key, r in trace(model, X, training=training).items()}


def pre_activations(model, X, *, training=False) -> dict:
    """z, the input of every activation layer (the layers whose class sets
    ``is_activation``), for the inputs ``X``.

    Parameters
    ----------
    model : Module
    X : array_like of shape (m, d)
    training : bool
        As in :func:`layer_outputs`.

    Returns
    -------
    dict of str -> ndarray
        ``{key of the activation layer: z}``, z of shape (m, n_l).

    See Also
    --------
    Chapter 3 (Activation functions): where z falls decides whether a sigmoid saturates or
    a ReLU is dead.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> net = mlp([2, 3, 3, 1], "tanh", rng=0)
    >>> z = pre_activations(net, np.ones((4, 2)))
    >>> a = layer_outputs(net, np.ones((4, 2)))
    >>> list(z), bool(np.allclose(np.tanh(z["1:Tanh"]), a["1:Tanh"]))
    (['1:Tanh', '3:Tanh'], True)
    """
    return {key: r.input for key, r in trace(model, X, training=training).items()
            if r.layer.is_activation}


def error_signals(model, X, y, loss_fn, *, training=False) -> dict:
    """delta = dL/d(output) of every layer, from one forward and backward pass.

    Parameters
    ----------
    model : Module
    X : array_like of shape (m, d)
    y : array_like
        Targets for ``loss_fn`` (labels (m,) are reshaped to (m, 1) for one output column).
    loss_fn : loss object
    training : bool
        As in :func:`layer_outputs`.

    Returns
    -------
    dict of str -> ndarray
        ``{key: delta}`` in data-flow order, delta of the layer's output shape (m, n_l). For
        a Linear layer this is the book's delta^(l) = dL/dz^(l); for an activation, dL/da.

    See Also
    --------
    Chapter 5 (Backpropagation) computes these by hand; Chapter 10 (Vanishing and exploding
    gradients) watches their size shrink or grow towards the input.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> from nnlib.losses import MSELoss
    >>> net = mlp([2, 3, 1], "tanh", rng=0)
    >>> X, y = np.ones((4, 2)), np.zeros((4, 1))
    >>> deltas = error_signals(net, X, y, MSELoss())
    >>> bool(np.allclose(deltas["2:Linear"], 2 * (net(X) - y) / 4))   # dL/dy_hat of the MSE
    True
    """
    if y is None or loss_fn is None:
        raise ValueError("error_signals: expected targets y and a loss_fn for the backward "
                         "pass.")
    return {key: r.delta for key, r in trace(model, X, y, loss_fn, training=training).items()}


def gradient_norms(model, X, y, loss_fn, *, training=False) -> dict:
    """The norm of dL/dW for every layer with parameters, from one forward and backward pass.

    Parameters
    ----------
    model : Module
    X : array_like of shape (m, d)
    y : array_like
        Targets for ``loss_fn``; labels of shape (m,) are reshaped to (m, 1) for a model
        with one output column, as in :func:`nnlib.train.fit`.
    loss_fn : loss object
        Called as ``loss_fn(output, y)``, then ``loss_fn.backward()``.
    training : bool
        Run in training mode (which also updates batch norm's running statistics); the
        default is evaluation mode (deterministic: no dropout, no change to any state).
        Modes and every parameter's ``grad`` are restored afterwards, so calling this does
        not disturb training.

    Returns
    -------
    dict of str -> float
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
    >>> norms = gradient_norms(net, np.ones((3, 2)), np.zeros((3, 1)), MSELoss())
    >>> list(norms)
    ['0:Linear', '2:Linear']
    """
    if y is None or loss_fn is None:
        raise ValueError("gradient_norms: expected targets y and a loss_fn for the backward "
                         "pass.")
    return {key: r.grad_norm for key, r in trace(model, X, y, loss_fn, training=training).items()
            if r.grad_norm is not None}


# The name nnlib.train has always used (and still exports) for gradient_norms.
layer_grad_norms = gradient_norms


def _output_stats(layer, a) -> dict:
    """Mean and standard deviation of a layer's output a, and the fraction of dead or
    saturated units where the layer's class says how to count them."""
    flat = np.asarray(a).reshape(len(a), -1)  # (m, units)
    size = max(flat.size, 1)
    mean = float(flat.sum()) / size           # np.mean, without its bookkeeping (fit calls
    centred = (flat - mean).ravel()           # this every epoch for every layer)
    std = math.sqrt(float(centred @ centred) / size)
    stats = {"mean": mean, "std": std}
    if layer.units_can_die:  # a unit is dead when its output is 0 for every example
        alive = np.any(flat > 0, axis=0)
        stats["dead_fraction"] = float(alive.size - np.count_nonzero(alive)) / max(alive.size, 1)
    if layer.saturated_outside is not None:
        low, high = layer.saturated_outside
        saturated = np.count_nonzero((flat < low) | (flat > high))
        stats["saturated_fraction"] = float(saturated / max(flat.size, 1))
    return stats


def activation_stats(model, X, *, training=False) -> dict:
    """Statistics of every layer's output for the inputs ``X``.

    Parameters
    ----------
    model : Module
    X : array_like of shape (m, d)
    training : bool
        As in :func:`layer_outputs`.

    Returns
    -------
    dict of str -> dict of str -> float
        ``{key: {"mean": ..., "std": ...}}`` in data-flow order, over all the m n_l entries
        of the output. Layers whose units can die (``units_can_die``, e.g. ReLU) also get
        ``"dead_fraction"``: the fraction of units whose output is 0 for every example.
        Layers that saturate (``saturated_outside``, e.g. Sigmoid, Tanh) also get
        ``"saturated_fraction"``: the fraction of outputs near an asymptote, a < 0.01 or
        a > 0.99 for the sigmoid, ``|a| > 0.99`` for tanh.

    See Also
    --------
    Chapter 11 (Initialisation): the standard deviation through a 50-layer network;
    Chapter 16 (A practical recipe and diagnostics): dead and saturated units.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> net = mlp([2, 4, 1], "relu", rng=0)
    >>> net[0].bias.data[:] = [-100.0, -100.0, 0.0, 0.0]    # two units can never fire
    >>> stats = activation_stats(net, np.random.default_rng(0).normal(size=(50, 2)))
    >>> stats["1:ReLU"]["dead_fraction"]
    0.5
    >>> sorted(stats["0:Linear"])
    ['mean', 'std']
    """
    return {key: _output_stats(r.layer, r.output)
            for key, r in trace(model, X, training=training).items()}


# --------------------------------------------------------------------------------------------
# the size of an update
# --------------------------------------------------------------------------------------------
class WeightSnapshot:
    """A copy of every layer's weights, to measure how far the next steps move them.

    Parameters
    ----------
    model : Module
        Its layers with parameters are found once, as in :func:`gradient_norms`.

    See Also
    --------
    update_ratios : The ratios of one step given as a function. Chapter 16 (A practical
        recipe and diagnostics).

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> net = mlp([2, 4, 1], rng=0)
    >>> snapshot = WeightSnapshot(net)
    >>> net[0].weight.data *= 1.001                     # a step that scales W by 1.001
    >>> round(snapshot.update_ratios()["0:Linear"], 6)
    0.001
    """

    def __init__(self, model):
        check_module(model, "WeightSnapshot")
        self._layers = [(key, params) for key, layer in _layers(model)
                        if (params := _own_parameters(layer))]
        self._before = None
        self.take()

    def take(self) -> None:
        """Copy the current weights (the snapshot that :meth:`update_ratios` compares with)."""
        self._before = [[p.data.copy() for p in params] for _, params in self._layers]

    def update_ratios(self) -> dict:
        """||W_now - W_snapshot|| / ||W_snapshot|| for every layer with parameters.

        Returns
        -------
        dict of str -> float
            NaN for a layer whose weights were all zero at the snapshot (the ratio is
            undefined there).
        """
        ratios = {}
        for (key, params), before in zip(self._layers, self._before, strict=True):
            norm = _norm(before)
            change = _norm(p.data - w for p, w in zip(params, before, strict=True))
            ratios[key] = change / norm if norm > 0 else math.nan
        return ratios


def update_ratios(model, step) -> dict:
    """The update-to-weight ratio ||W_after - W_before|| / ||W_before|| of one step.

    Parameters
    ----------
    model : Module
    step : callable
        Called once with no arguments; it changes the weights, e.g. ``optimizer.step`` (after
        a backward pass) or a function that runs a whole training step.

    Returns
    -------
    dict of str -> float
        Per layer with parameters (its weight, or all its parameters). About 1e-3 is healthy
        for SGD and Adam; much larger means the learning rate is too high, much smaller that
        the layer barely learns. NaN while W = 0.

    See Also
    --------
    WeightSnapshot : The same for steps taken elsewhere. Chapter 16 (A practical recipe and
        diagnostics) uses the ratio to choose a learning rate.

    Examples
    --------
    >>> from nnlib.layers import mlp
    >>> from nnlib.losses import MSELoss
    >>> from nnlib.optim import SGD
    >>> net = mlp([2, 8, 1], "tanh", rng=0)
    >>> optimizer = SGD(net.parameters(), lr=0.01)
    >>> loss_fn = MSELoss()
    >>> loss = loss_fn(net(np.ones((4, 2))), np.zeros((4, 1)))
    >>> net.backward(loss_fn.backward(), input_grad=False)
    >>> ratios = update_ratios(net, optimizer.step)
    >>> list(ratios), all(0 < r < 0.1 for r in ratios.values())
    (['0:Linear', '2:Linear'], True)
    """
    if not callable(step):
        raise TypeError(f"update_ratios: expected step to be a function to call, such as "
                        f"optimizer.step, got {type(step).__name__}.")
    snapshot = WeightSnapshot(model)
    step()
    return snapshot.update_ratios()
