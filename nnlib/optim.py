r"""Optimisers: the update rules of Chapter 9 and the gradient clipping of Chapter 10.

An optimiser holds a list of :class:`~nnlib.core.Parameter` objects. After a backward pass
has filled every ``p.grad``, ``optimizer.step()`` moves every ``p.data`` in place, and
``optimizer.zero_grad()`` clears the gradients for the next mini-batch::

    for X_batch, y_batch in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(X_batch), y_batch)
        model.backward(loss_fn.backward())
        optimizer.step()

The update rules are PyTorch's (``torch.optim``), written out line by line in each class's
Notes in the book's notation: :math:`\theta` a parameter, :math:`g` its gradient,
:math:`\eta` the learning rate, :math:`\mu` the momentum, :math:`\beta_1, \beta_2` Adam's
decay rates, :math:`m, v` the running averages and :math:`\hat m, \hat v` their
bias-corrected versions. The hyper-parameters are plain attributes (``optimizer.lr``,
``optimizer.momentum``, ...) that a schedule or a slider may change between steps.

**Parameter groups.** As in PyTorch, ``params`` may also be a list of dicts, each with its
parameters and its own options, for example no weight decay on biases (Chapter 13)::

    SGD([{"params": weights, "weight_decay": 1e-4},
         {"params": biases, "weight_decay": 0.0}], lr=0.1, momentum=0.9)

An option a group does not set follows the optimiser's attribute. A group's own ``lr`` is
kept in proportion to ``optimizer.lr``: a schedule that halves ``optimizer.lr`` halves every
group's rate. ``optimizer.param_groups`` shows each group's parameters and the options in
force.

Per-parameter state (momentum buffers, running averages, step counts) lives in
``optimizer.state``, a list aligned with ``optimizer.params``; buffers are created at the
first step with the parameter's shape and dtype and then updated in place, so a float32
network stays float32.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from ._checks import (as_array, check_bool, check_int, check_nonnegative, check_positive,
                      check_probability)
from .core import Module, Parameter

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "clip_grad_norm_",
           "clip_grad_value_"]


# -- collecting the parameters ---------------------------------------------------------------
def _parameter_list(params, where: str, *, for_clipping: bool = False) -> list:
    """Turn ``params`` (a Module or an iterable of Parameters) into a checked list.

    Optimisers reject sets (no stable order), a single Parameter and an empty list;
    the clipping functions (``for_clipping=True``) accept all three, as PyTorch's do.
    """
    if isinstance(params, Module):
        params = params.parameters()
    elif isinstance(params, Parameter):
        if for_clipping:
            return [params]
        raise TypeError(f"{where}: expected an iterable of Parameters, got a single Parameter; "
                        f"wrap it in a list, e.g. {where}([p], lr=0.1).")
    elif isinstance(params, (set, frozenset)) and not for_clipping:
        raise TypeError(f"{where}: expected an ordered iterable of Parameters (a list, a tuple "
                        f"or model.parameters()), got a {type(params).__name__}; a set has no "
                        f"stable order, so the optimiser state could not be matched to the same "
                        f"parameters from one run to the next.")
    elif isinstance(params, Mapping):
        raise TypeError(f"{where}: expected Parameters, got a {type(params).__name__}; pass "
                        f"model.parameters(), not model.state_dict() (which holds copies).")
    elif isinstance(params, np.ndarray):
        raise TypeError(f"{where}: expected Parameters, got a numpy array of shape "
                        f"{params.shape}; the optimiser updates Parameter objects in place, "
                        f"so pass model.parameters() or wrap the array in nnlib.Parameter.")
    try:
        items = list(params)
    except TypeError:
        raise TypeError(f"{where}: expected a Module or an iterable of Parameters (a list, a "
                        f"tuple or model.parameters()), got {type(params).__name__}.") from None
    if not items and not for_clipping:
        raise ValueError(f"{where}: got an empty parameter list; pass model.parameters().")
    first_seen = {}
    for i, p in enumerate(items):
        if not isinstance(p, Parameter):
            raise TypeError(f"{where}: expected every item of params to be a Parameter, got "
                            f"{type(p).__name__} at position {i}.")
        j = first_seen.setdefault(id(p), i)
        if j != i:
            raise ValueError(f"{where}: the Parameter at position {i} is the same object as the "
                             f"one at position {j}; pass each parameter once (otherwise it "
                             f"would be updated twice per step).")
    return items


def _is_group_list(params) -> bool:
    """True for PyTorch-style parameter groups: a non-empty list or tuple of dicts."""
    return isinstance(params, (list, tuple)) and bool(params) and \
        all(isinstance(g, Mapping) for g in params)


def _check_betas(betas, where: str) -> tuple:
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise TypeError(f"{where}: expected betas to be a pair (beta1, beta2), got "
                        f"{type(betas).__name__} {betas!r}.")
    return (check_probability(betas[0], where, "betas[0]"),
            check_probability(betas[1], where, "betas[1]"))


# -- the base class --------------------------------------------------------------------------
class Optimizer:
    """Base class of the optimisers: holds the parameters, their state and the learning rate.

    A subclass implements ``step()`` and lists its other hyper-parameters in
    ``_hyper_names`` and the names of its per-parameter buffers in ``_state_names``.

    Parameters
    ----------
    params : Module or iterable of Parameter
        The parameters to update, e.g. ``model.parameters()`` or the model itself. A list,
        a tuple or a generator; not a set (its order is not stable), not empty, and no
        parameter twice.
    lr : float
        Learning rate :math:`\\eta \\ge 0`.

    Attributes
    ----------
    params : list of Parameter
        The parameters, in the order given.
    lr : float
        The learning rate; schedules (:mod:`nnlib.schedules`) read and set it.
    state : list of dict
        Per-parameter state, aligned with ``params``: always ``"step"`` (how many updates
        the parameter has had), plus the optimiser's buffers once the first step created them.

    Raises
    ------
    TypeError
        If ``params`` is a set, a single Parameter, a dict, an array, or holds anything that
        is not a Parameter; if ``lr`` is not a real number.
    ValueError
        If ``params`` is empty or holds a parameter twice; if ``lr`` is negative or not finite.

    See Also
    --------
    SGD, RMSprop, Adam, AdamW : the update rules of Chapter 9 (Optimisation).

    Examples
    --------
    >>> from nnlib.core import Parameter
    >>> from nnlib.optim import SGD
    >>> opt = SGD([Parameter([1.0, 2.0]), Parameter([[3.0]])], lr=0.1)
    >>> len(opt.params), opt.lr
    (2, 0.1)
    >>> SGD(set(opt.params), lr=0.1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    TypeError: SGD: expected an ordered iterable of Parameters ... got a set; a set has no ...
    """

    #: names of the hyper-parameters besides ``lr`` (attributes, saved by ``state_dict``)
    _hyper_names: tuple = ()
    #: names of the per-parameter buffers a subclass may keep in ``state[i]``
    _state_names: tuple = ()

    def __init__(self, params, lr):
        where = type(self).__name__
        self._group_options: list[dict] = []       # each group's own options, as given
        if _is_group_list(params):
            self.params, members = [], []
            for k, group in enumerate(params):
                if "params" not in group:
                    raise ValueError(f"{where}: parameter group {k} has no 'params' entry; "
                                     f"write {{'params': [...], 'weight_decay': ...}}.")
                items = _parameter_list(group["params"], f"{where} (parameter group {k})")
                members.append(list(range(len(self.params), len(self.params) + len(items))))
                self.params.extend(items)
                self._group_options.append({key: value for key, value in group.items()
                                            if key != "params"})
            _parameter_list(self.params, where)        # a parameter in two groups
        else:
            self.params = _parameter_list(params, where)
            members = [list(range(len(self.params)))]
            self._group_options.append({})
        self._members = members
        self.lr = lr
        self.state = [{"step": 0} for _ in self.params]
        self._lr_scales = [1.0] * len(members)
        self._overrides: list[dict] = [{} for _ in members]
        self._check_groups()

    # -- parameter groups --------------------------------------------------------------------
    def _check_groups(self) -> None:
        """Check every group's options against this optimiser's (called again once a
        subclass has set its defaults)."""
        where = type(self).__name__
        known = ("lr", *self._hyper_names)
        scales, overrides = [], []
        for k, options in enumerate(self._group_options):
            unknown = sorted(set(options) - set(known))
            if unknown:
                raise ValueError(f"{where}: parameter group {k} sets {unknown}, which "
                                 f"{where} does not have; its options are {list(known)}.")
            scale = 1.0
            if "lr" in options:
                group_lr = check_nonnegative(options["lr"], f"{where} (parameter group {k})",
                                             "lr")
                if self.lr == 0:
                    raise ValueError(f"{where}: parameter group {k} sets lr={group_lr}, which "
                                     f"is kept in proportion to the optimiser's lr; that needs "
                                     f"lr > 0, got lr=0.")
                scale = group_lr / self.lr
            hyper = {k2: v for k2, v in options.items() if k2 != "lr"}
            if hyper and all(hasattr(self, name) for name in self._hyper_names):
                merged = {name: getattr(self, name) for name in self._hyper_names}
                merged.update(hyper)
                checked = self._check_hyper(merged, f"{where} (parameter group {k})")
                hyper = {name: checked[name] for name in hyper}
            scales.append(scale)
            overrides.append(hyper)
        self._lr_scales, self._overrides = scales, overrides

    def _groups(self):
        """``(options, indices)`` for every group: the options in force for this step (the
        group's own, else the optimiser's attributes) and the positions of its parameters in
        ``params``/``state``."""
        for scale, own, members in zip(self._lr_scales, self._overrides, self._members,
                                       strict=True):
            options = {name: own.get(name, getattr(self, name)) for name in self._hyper_names}
            options["lr"] = self.lr * scale
            yield options, members

    @property
    def param_groups(self) -> list:
        """Each group's parameters and the options in force, as PyTorch lists them: a list of
        dicts ``{"params": [...], "lr": ..., <hyper-parameter>: ...}`` (a copy: to change an
        option, set the optimiser's attribute, or build the optimiser with the group's own)."""
        return [{"params": [self.params[i] for i in members], **options}
                for options, members in self._groups()]

    # -- the learning rate, checked whenever it is set (by the user or by a schedule) --------
    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = check_nonnegative(value, type(self).__name__, "lr")

    def _set_hyper(self, **values) -> None:
        """Check the hyper-parameters other than ``lr`` together, then set them (and check
        the groups' own options against them)."""
        for name, value in self._check_hyper(values, type(self).__name__).items():
            setattr(self, name, value)
        self._check_groups()

    def _check_hyper(self, values: dict, where: str) -> dict:
        """Return the hyper-parameters checked and converted (errors name ``where``);
        subclasses override this."""
        return {}

    # -- the two calls of every training step -----------------------------------------------
    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step(); use SGD, "
                                  f"RMSprop, Adam or AdamW.")

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to zero in place (before the next backward pass)."""
        for p in self.params:
            p.grad.fill(0)

    # -- saving and loading ------------------------------------------------------------------
    def state_dict(self) -> dict:
        """A deep copy of the optimiser's state: per-parameter buffers and hyper-parameters.

        Returns
        -------
        dict
            ``{"state": {i: {"step": int, buffer_name: ndarray, ...}}, "hyperparams":
            {"lr": float, ...}}`` where ``i`` is the parameter's position in ``params``
            (PyTorch's layout), and, for an optimiser built with parameter groups,
            ``"param_groups"``: each group's positions and own options. Training on from a
            copy loaded with :meth:`load_state_dict` gives exactly the same numbers as never
            stopping.
        """
        state = {i: {name: (value.copy() if isinstance(value, np.ndarray) else value)
                     for name, value in s.items()}
                 for i, s in enumerate(self.state)}
        hyper = {"lr": self.lr}
        hyper.update((name, getattr(self, name)) for name in self._hyper_names)
        out = {"state": state, "hyperparams": hyper}
        if len(self._members) > 1 or self._group_options[0]:
            out["param_groups"] = [{"params": list(members), **dict(options)}
                                   for members, options in zip(self._members,
                                                               self._group_options,
                                                               strict=True)]
        return out

    def load_state_dict(self, state_dict) -> None:
        """Restore buffers and hyper-parameters saved by :meth:`state_dict`.

        The arrays are copied (cast to each parameter's dtype), so later steps do not change
        ``state_dict``. Nothing is changed unless the whole dict is valid.

        Raises
        ------
        TypeError
            If ``state_dict`` is not a dict with the keys ``"state"`` and ``"hyperparams"``.
        ValueError
            If it was saved for a different number of parameters, a buffer's shape differs
            from its parameter's, or a key or hyper-parameter is unknown or invalid.
        """
        name = type(self).__name__
        where = f"{name}.load_state_dict"
        keys = {"state", "hyperparams"}
        if isinstance(state_dict, Mapping) and "param_groups" in state_dict:
            keys.add("param_groups")
        if not isinstance(state_dict, Mapping) or set(state_dict) != keys:
            got = sorted(map(str, state_dict)) if isinstance(state_dict, Mapping) \
                else type(state_dict).__name__
            raise TypeError(f"{where}: expected the dict returned by {name}.state_dict(), with "
                            f"keys ['hyperparams', 'state'] (and 'param_groups' for an "
                            f"optimiser built with groups), got {got}.")
        mine = self.state_dict().get("param_groups")
        theirs = state_dict.get("param_groups")
        if (mine is None) != (theirs is None) or (mine is not None and [
                g["params"] for g in mine] != [list(g.get("params", [])) for g in theirs]):
            raise ValueError(f"{where}: the saved state has other parameter groups than this "
                             f"optimiser; build it with the same groups before loading.")
        hyper, states = state_dict["hyperparams"], state_dict["state"]
        expected = {"lr", *self._hyper_names}
        if not isinstance(hyper, Mapping) or set(hyper) != expected:
            got = sorted(hyper) if isinstance(hyper, Mapping) else type(hyper).__name__
            raise ValueError(f"{where}: expected hyperparams {sorted(expected)}, got {got}; "
                             f"was the state saved by another kind of optimiser?")
        lr = check_nonnegative(hyper["lr"], where, "lr")
        checked = self._check_hyper({k: hyper[k] for k in self._hyper_names}, where)
        n = len(self.params)
        if not isinstance(states, Mapping) or set(states) != set(range(n)):
            got = sorted(states) if isinstance(states, Mapping) else type(states).__name__
            raise ValueError(f"{where}: expected state for {n} parameters (keys 0 to {n - 1}), "
                             f"got keys {got}.")
        new_states = []
        for i, p in enumerate(self.params):
            saved = states[i]
            if not isinstance(saved, Mapping) or "step" not in saved:
                raise ValueError(f"{where}: expected state[{i}] to be a dict with a 'step', got "
                                 f"{saved!r}.")
            new = {"step": check_int(saved["step"], where, f"state[{i}]['step']", minimum=0)}
            for key, value in saved.items():
                if key == "step":
                    continue
                if key not in self._state_names:
                    raise ValueError(f"{where}: unexpected buffer {key!r} in state[{i}]; "
                                     f"{name} keeps {list(self._state_names)}.")
                arr = as_array(value, where, name=f"state[{i}][{key!r}]")
                if arr.shape != p.data.shape:
                    raise ValueError(f"{where}: expected state[{i}][{key!r}] of the parameter's "
                                     f"shape {p.data.shape}, got {arr.shape}.")
                new[key] = np.array(arr, dtype=p.data.dtype, copy=True)
            new_states.append(new)
        self.lr = lr
        for key, value in checked.items():
            setattr(self, key, value)
        if theirs is not None:
            self._group_options = [{k: v for k, v in g.items() if k != "params"}
                                   for g in theirs]
        self._check_groups()
        self.state = new_states

    def _buffer(self, i: int, name: str) -> np.ndarray:
        """The buffer ``state[i][name]``, created as zeros of the parameter's shape and dtype
        the first time it is needed."""
        buf = self.state[i].get(name)
        if buf is None:
            buf = self.state[i][name] = np.zeros_like(self.params[i].data)
        return buf

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={getattr(self, k)!r}" for k in ("lr", *self._hyper_names))
        return f"{type(self).__name__}({hyper}, parameters={len(self.params)})"


# -- SGD -------------------------------------------------------------------------------------
class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional momentum, Nesterov momentum and L2 decay.

    Parameters
    ----------
    params : Module or iterable of Parameter
        The parameters to update (see :class:`Optimizer`).
    lr : float
        Learning rate :math:`\eta \ge 0`.
    momentum : float, default 0
        Momentum :math:`\mu \ge 0`; 0 is plain gradient descent.
    dampening : float in [0, 1], default 0
        :math:`\tau`: the new gradient enters the buffer with weight :math:`1 - \tau`.
    nesterov : bool, default False
        Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``, PyTorch's rule).
    weight_decay : float, default 0
        L2 penalty :math:`\lambda \ge 0`, added to the gradient as :math:`\lambda\theta`.

    Raises
    ------
    TypeError
        For bad ``params`` (see :class:`Optimizer`), a non-bool ``nesterov`` or a
        non-numeric hyper-parameter.
    ValueError
        For a negative or non-finite ``lr``, ``momentum`` or ``weight_decay``, ``dampening``
        outside [0, 1], or ``nesterov=True`` without momentum or with dampening.

    Notes
    -----
    One step, for each parameter :math:`\theta` with gradient :math:`g` (PyTorch's
    algorithm; :math:`t` counts the steps from 1):

    .. math::

        g &\leftarrow g + \lambda\theta \quad\text{(if } \lambda \ne 0\text{)} \\
        b_t &= \begin{cases} g & t = 1 \\ \mu b_{t-1} + (1 - \tau) g & t > 1 \end{cases}
            \quad\text{(if } \mu \ne 0\text{)} \\
        g &\leftarrow g + \mu b_t \text{ (Nesterov) or } g \leftarrow b_t \text{ (classical)} \\
        \theta &\leftarrow \theta - \eta g

    ``p.grad`` itself is never changed; the weight-decayed gradient is a temporary.

    **Two conventions for momentum.** PyTorch (and this class) accumulate
    :math:`v \leftarrow \mu v + g` and step :math:`\theta \leftarrow \theta - \eta v`
    (Polyak's heavy ball [1]_ as Sutskever et al. [3]_ write it). Many texts instead keep an
    exponential average :math:`v \leftarrow \beta v + (1 - \beta) g` (from :math:`v = 0`) and
    step :math:`\theta \leftarrow \theta - \eta_{\text{ema}} v`. By induction the average is
    exactly :math:`(1 - \beta)` times the sum, so with :math:`\beta = \mu` the two produce the
    same iterates when :math:`\eta_{\text{ema}} = \eta / (1 - \beta)`: with
    :math:`\beta = 0.9` an exponential-average rate of 0.1 is a PyTorch rate of 0.01. The
    sum form's steady-state step for a constant gradient is :math:`\eta g / (1 - \mu)`, ten
    times plain SGD's at :math:`\mu = 0.9`. (``dampening = mu`` is *not* quite the
    exponential average: PyTorch starts the buffer at :math:`b_1 = g_1`, not
    :math:`(1 - \mu) g_1`.)

    **Nesterov.** Nesterov's method [2]_ evaluates the gradient at the look-ahead point
    :math:`\theta - \eta\mu b`; Sutskever et al. [3]_ and PyTorch rewrite it in terms of the
    current point, which gives the step :math:`g + \mu b_t` above.

    References
    ----------
    .. [1] B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
       USSR Computational Mathematics and Mathematical Physics 4(5), 1-17, 1964.
    .. [2] Y. Nesterov, "A method for solving the convex programming problem with
       convergence rate O(1/k^2)", Soviet Mathematics Doklady 27(2), 372-376, 1983.
    .. [3] I. Sutskever, J. Martens, G. Dahl and G. Hinton, "On the importance of
       initialization and momentum in deep learning", ICML 2013.

    See Also
    --------
    RMSprop, Adam, AdamW : adaptive step sizes.
    nnlib.schedules : change ``lr`` during training. Chapter 9 (Optimisation) derives these
        rules and compares them on an ill-conditioned quadratic.

    Examples
    --------
    Minimise :math:`\theta^2` (gradient :math:`2\theta`) with momentum 0.9:

    >>> from nnlib.core import Parameter
    >>> from nnlib.optim import SGD
    >>> theta = Parameter([1.0])
    >>> opt = SGD([theta], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     theta.grad += 2 * theta.data
    ...     opt.step()
    >>> theta.data.round(6).tolist()      # b1 = 2, theta = 0.8; b2 = 0.9*2 + 1.6 = 3.4
    [0.46]
    """

    _hyper_names = ("momentum", "dampening", "nesterov", "weight_decay")
    _state_names = ("momentum_buffer",)

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False,
                 weight_decay=0.0):
        super().__init__(params, lr)
        self._set_hyper(momentum=momentum, dampening=dampening, nesterov=nesterov,
                        weight_decay=weight_decay)

    def _check_hyper(self, values: dict, where: str) -> dict:
        out = {"momentum": check_nonnegative(values["momentum"], where, "momentum"),
               "dampening": check_probability(values["dampening"], where, "dampening",
                                              upper_inclusive=True),
               "nesterov": check_bool(values["nesterov"], where, "nesterov"),
               "weight_decay": check_nonnegative(values["weight_decay"], where, "weight_decay")}
        if out["nesterov"] and (out["momentum"] == 0 or out["dampening"] != 0):
            raise ValueError(f"{where}: nesterov=True needs momentum > 0 and dampening = 0 "
                             f"(PyTorch's rule), got momentum={out['momentum']}, "
                             f"dampening={out['dampening']}.")
        return out

    def step(self) -> None:
        """Update every parameter once (see Notes of :class:`SGD`)."""
        for h, members in self._groups():
            lr, mu, tau, wd = h["lr"], h["momentum"], h["dampening"], h["weight_decay"]
            for i in members:
                p, state = self.params[i], self.state[i]
                g = p.grad if wd == 0 else p.grad + wd * p.data
                if mu != 0:
                    b = state.get("momentum_buffer")
                    if b is None:                  # first step: b_1 = g_1
                        b = state["momentum_buffer"] = np.array(g, dtype=p.data.dtype,
                                                                copy=True)
                    else:                          # b_t = mu b_{t-1} + (1 - tau) g
                        b *= mu
                        b += g if tau == 0 else (1.0 - tau) * g
                    g = g + mu * b if h["nesterov"] else b
                p.data -= lr * g
                state["step"] += 1


# -- RMSprop ---------------------------------------------------------------------------------
class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root-mean-square of its recent values.

    Parameters
    ----------
    params : Module or iterable of Parameter
        The parameters to update (see :class:`Optimizer`).
    lr : float, default 0.01
        Learning rate :math:`\eta \ge 0`.
    alpha : float in [0, 1), default 0.99
        Decay rate :math:`\alpha` of the running average of :math:`g^2`.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`, added to the root mean square (outside the square root).
    momentum : float, default 0
        Momentum :math:`\mu \ge 0` applied to the normalised step.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda \ge 0`, added to the gradient as :math:`\lambda\theta`.
    centered : bool, default False
        Divide by an estimate of the gradient's standard deviation instead of its RMS.

    Raises
    ------
    TypeError
        For bad ``params`` (see :class:`Optimizer`) or a non-numeric hyper-parameter.
    ValueError
        For a negative or non-finite ``lr``, ``eps``, ``momentum`` or ``weight_decay``, or
        ``alpha`` outside [0, 1).

    Notes
    -----
    One step (PyTorch's algorithm; :math:`v, \bar g, b` start at zero):

    .. math::

        g &\leftarrow g + \lambda\theta \quad\text{(if } \lambda \ne 0\text{)} \\
        v &\leftarrow \alpha v + (1 - \alpha) g^2 \\
        \tilde v &= v \quad\text{or, centred,}\quad
            \bar g \leftarrow \alpha \bar g + (1 - \alpha) g,\;
            \tilde v = v - \bar g^2 \\
        \Delta &= g / (\sqrt{\tilde v} + \epsilon) \\
        \theta &\leftarrow \theta - \eta\Delta \quad\text{or, with momentum,}\quad
            b \leftarrow \mu b + \Delta,\; \theta \leftarrow \theta - \eta b

    Every coordinate gets its own step size :math:`\eta / \sqrt{\tilde v}`: coordinates
    with consistently large gradients take smaller steps, so one learning rate suits
    directions of very different curvature. In the centred form :math:`v - \bar g^2 \ge 0`
    holds exactly, but rounding can make it a hair negative; it is clipped at 0 (where
    PyTorch would produce NaN).

    References
    ----------
    .. [1] T. Tieleman and G. Hinton, "Lecture 6.5 - RMSProp: Divide the gradient by a
       running average of its recent magnitude", COURSERA: Neural Networks for Machine
       Learning, 2012.

    See Also
    --------
    SGD, Adam : Chapter 9 (Optimisation) derives RMSprop as the step from SGD to Adam.

    Examples
    --------
    The first step moves by :math:`\eta |g| / \sqrt{(1-\alpha) g^2} = \eta / \sqrt{1 - \alpha}`:

    >>> from nnlib.core import Parameter
    >>> from nnlib.optim import RMSprop
    >>> theta = Parameter([1.0, -1.0])
    >>> opt = RMSprop([theta], lr=0.01, alpha=0.99)
    >>> theta.grad[:] = [3.0, -0.5]
    >>> opt.step()
    >>> theta.data.round(6).tolist()      # each coordinate moves by 0.01 / sqrt(0.01) = 0.1
    [0.9, -0.9]
    """

    _hyper_names = ("alpha", "eps", "momentum", "weight_decay", "centered")
    _state_names = ("square_avg", "grad_avg", "momentum_buffer")

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0,
                 centered=False):
        super().__init__(params, lr)
        self._set_hyper(alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay,
                        centered=centered)

    def _check_hyper(self, values: dict, where: str) -> dict:
        return {"alpha": check_probability(values["alpha"], where, "alpha"),
                "eps": check_nonnegative(values["eps"], where, "eps"),
                "momentum": check_nonnegative(values["momentum"], where, "momentum"),
                "weight_decay": check_nonnegative(values["weight_decay"], where, "weight_decay"),
                "centered": check_bool(values["centered"], where, "centered")}

    def step(self) -> None:
        """Update every parameter once (see Notes of :class:`RMSprop`)."""
        for h, members in self._groups():
            lr, alpha, eps, mu, wd = h["lr"], h["alpha"], h["eps"], h["momentum"], \
                h["weight_decay"]
            for i in members:
                p, state = self.params[i], self.state[i]
                g = p.grad if wd == 0 else p.grad + wd * p.data
                v = self._buffer(i, "square_avg")
                v *= alpha
                v += (1.0 - alpha) * np.square(g)
                if h["centered"]:
                    g_avg = self._buffer(i, "grad_avg")
                    g_avg *= alpha
                    g_avg += (1.0 - alpha) * g
                    rms = np.sqrt(np.maximum(v - np.square(g_avg), 0.0))  # >= 0 up to rounding
                else:
                    rms = np.sqrt(v)
                delta = g / (rms + eps)
                if mu != 0:
                    b = self._buffer(i, "momentum_buffer")
                    b *= mu
                    b += delta
                    delta = b
                p.data -= lr * delta
                state["step"] += 1


# -- Adam and AdamW --------------------------------------------------------------------------
class Adam(Optimizer):
    r"""Adam: momentum on the gradient, RMSprop-style scaling, both bias-corrected.

    Parameters
    ----------
    params : Module or iterable of Parameter
        The parameters to update (see :class:`Optimizer`).
    lr : float, default 1e-3
        Learning rate :math:`\eta \ge 0`.
    betas : pair of floats in [0, 1), default (0.9, 0.999)
        :math:`(\beta_1, \beta_2)`, decay rates of the averages of :math:`g` and :math:`g^2`.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`, added to :math:`\sqrt{\hat v}`.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda \ge 0`, added to the gradient as :math:`\lambda\theta`
        (see :class:`AdamW` for the decoupled form).
    amsgrad : bool, default False
        Divide by the running maximum of :math:`v` (Reddi et al. [3]_), so that the
        effective step size never grows.

    Raises
    ------
    TypeError
        For bad ``params`` (see :class:`Optimizer`), ``betas`` that is not a pair, or a
        non-numeric hyper-parameter.
    ValueError
        For a negative or non-finite ``lr``, ``eps`` or ``weight_decay``, or a beta outside
        [0, 1).

    Notes
    -----
    Step :math:`t = 1, 2, \dots` (PyTorch's algorithm; :math:`m_0 = v_0 = 0`):

    .. math::

        g &\leftarrow g + \lambda\theta \quad\text{(if } \lambda \ne 0\text{)} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g^2
            \quad\text{(AMSGrad: } v^{\max}_t = \max(v^{\max}_{t-1}, v_t)
            \text{ is used below)} \\
        \hat m_t &= m_t / (1 - \beta_1^t), \qquad \hat v_t = v_t / (1 - \beta_2^t) \\
        \theta &\leftarrow \theta - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    **Bias correction.** Unrolling the average,
    :math:`m_t = (1 - \beta_1)\sum_{i=1}^{t} \beta_1^{t-i} g_i`. If the gradients have a
    constant mean :math:`\mathbb{E}[g]`, then
    :math:`\mathbb{E}[m_t] = \mathbb{E}[g](1 - \beta_1)\sum_{i=1}^{t}\beta_1^{t-i}
    = \mathbb{E}[g](1 - \beta_1^t)`: starting from zero biases the average towards zero,
    strongly for small :math:`t`, and dividing by :math:`1 - \beta_1^t` removes the bias.
    The same holds for :math:`v_t` with :math:`\beta_2` (whose bias lasts ~1000 steps at
    0.999). At :math:`t = 1`, :math:`\hat m_1 = g_1` and :math:`\hat v_1 = g_1^2`, so the
    first step is :math:`\eta\, g_1 / (|g_1| + \epsilon) \approx \eta\,\mathrm{sign}(g_1)`:
    every coordinate moves by about :math:`\eta`, whatever the gradient's scale. Without
    the correction the first step would be
    :math:`\eta (1 - \beta_1) g_1 / (\sqrt{1 - \beta_2}|g_1|) \approx 3.2\eta` at the
    default betas.

    References
    ----------
    .. [1] D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
       arXiv:1412.6980.
    .. [2] I. Loshchilov and F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    .. [3] S. J. Reddi, S. Kale and S. Kumar, "On the Convergence of Adam and Beyond",
       ICLR 2018.

    See Also
    --------
    AdamW : decoupled weight decay.
    RMSprop : Adam without the first moment and the bias correction. Chapter 9
        (Optimisation) derives the bias correction and explains why warmup helps Adam.

    Examples
    --------
    The first step moves each coordinate by about ``lr`` in the direction of ``-sign(g)``:

    >>> from nnlib.core import Parameter
    >>> from nnlib.optim import Adam
    >>> theta = Parameter([1.0, 1.0, 1.0])
    >>> opt = Adam([theta], lr=0.01)
    >>> theta.grad[:] = [1e-3, -5.0, 200.0]
    >>> opt.step()
    >>> (theta.data - 1.0).round(6).tolist()
    [-0.01, 0.01, -0.01]
    """

    _hyper_names = ("betas", "eps", "weight_decay", "amsgrad")
    _state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    #: True in AdamW: weight decay shrinks theta directly instead of entering g
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False):
        super().__init__(params, lr)
        self._set_hyper(betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)

    def _check_hyper(self, values: dict, where: str) -> dict:
        return {"betas": _check_betas(values["betas"], where),
                "eps": check_nonnegative(values["eps"], where, "eps"),
                "weight_decay": check_nonnegative(values["weight_decay"], where, "weight_decay"),
                "amsgrad": check_bool(values["amsgrad"], where, "amsgrad")}

    def step(self) -> None:
        """Update every parameter once (see Notes of :class:`Adam` / :class:`AdamW`)."""
        for h, members in self._groups():
            lr, eps, wd = h["lr"], h["eps"], h["weight_decay"]
            beta1, beta2 = h["betas"]
            l2 = 0.0 if self._decoupled else wd      # the weight decay that enters g
            for i in members:
                p, state = self.params[i], self.state[i]
                if self._decoupled and wd != 0:
                    p.data *= 1.0 - lr * wd           # AdamW: theta <- (1 - eta lambda) theta
                g = p.grad if l2 == 0 else p.grad + l2 * p.data
                t = state["step"] + 1
                m = self._buffer(i, "exp_avg")
                v = self._buffer(i, "exp_avg_sq")
                m *= beta1
                m += (1.0 - beta1) * g
                v *= beta2
                v += (1.0 - beta2) * np.square(g)
                if h["amsgrad"]:
                    v_max = self._buffer(i, "max_exp_avg_sq")
                    np.maximum(v_max, v, out=v_max)
                    v = v_max
                # Python floats, so that a float32 parameter stays float32
                bias1 = 1.0 - beta1 ** t
                bias2 = 1.0 - beta2 ** t
                denom = np.sqrt(v) / math.sqrt(bias2) + eps     # sqrt(hat v) + eps
                p.data -= (lr / bias1) * m / denom              # eta hat m / (sqrt(hat v) + eps)
                state["step"] = t


class AdamW(Adam):
    r"""Adam with decoupled weight decay: shrink the weights, then take an Adam step.

    Parameters
    ----------
    params : Module or iterable of Parameter
        The parameters to update (see :class:`Optimizer`).
    lr : float, default 1e-3
        Learning rate :math:`\eta \ge 0`.
    betas : pair of floats in [0, 1), default (0.9, 0.999)
        :math:`(\beta_1, \beta_2)`.
    eps : float, default 1e-8
        :math:`\epsilon \ge 0`.
    weight_decay : float, default 1e-2
        Decoupled decay :math:`\lambda \ge 0`: each step multiplies :math:`\theta` by
        :math:`1 - \eta\lambda`.
    amsgrad : bool, default False
        As in :class:`Adam`.

    Raises
    ------
    TypeError, ValueError
        As for :class:`Adam`.

    Notes
    -----
    Step :math:`t` (PyTorch's algorithm):

    .. math::

        \theta &\leftarrow (1 - \eta\lambda)\,\theta \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g^2 \\
        \theta &\leftarrow \theta - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    with :math:`\hat m_t, \hat v_t` bias-corrected as in :class:`Adam`; :math:`g` is the
    plain gradient of the loss.

    **Why decoupling matters.** For SGD, adding :math:`\frac{\lambda}{2}\|\theta\|^2` to the
    loss (L2) and shrinking the weights are the same thing: the penalty's gradient
    :math:`\lambda\theta` becomes the step :math:`\eta\lambda\theta`. In Adam the penalty's
    gradient goes through :math:`m` and is divided by :math:`\sqrt{\hat v}` like the rest of
    :math:`g`. A weight with a large loss gradient (large :math:`v`) is barely decayed; a
    weight whose loss gradient is zero sees the penalty normalised to a step of about
    :math:`\eta\,\mathrm{sign}(\theta)`, the same whatever :math:`\lambda` and whatever the
    weight's size. Loshchilov and Hutter [1]_ apply the decay outside the adaptive step,
    so every weight shrinks by the same factor :math:`1 - \eta\lambda` per step,
    proportional to its size and independent of its gradient history; this regularises
    as intended and makes :math:`\lambda` and :math:`\eta` easier to tune separately.

    References
    ----------
    .. [1] I. Loshchilov and F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
       arXiv:1711.05101.
    .. [2] D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.

    See Also
    --------
    Adam : the same step with L2 weight decay inside :math:`g`. Chapter 9 (Optimisation)
        compares the two.

    Examples
    --------
    With a zero gradient Adam's step is zero, so only the decay acts:

    >>> from nnlib.core import Parameter
    >>> from nnlib.optim import AdamW
    >>> theta = Parameter([2.0, -4.0])
    >>> opt = AdamW([theta], lr=0.1, weight_decay=0.5)
    >>> opt.step()                        # theta *= 1 - 0.1 * 0.5
    >>> theta.data.tolist()
    [1.9, -3.8]
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)


# -- gradient clipping -----------------------------------------------------------------------
def _check_norm_type(norm_type, where: str) -> float:
    if isinstance(norm_type, str) and norm_type.lower() == "inf":
        return math.inf
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(norm_type, numbers.Real):
        raise TypeError(f"{where}: expected norm_type to be a positive number or inf, got "
                        f"{type(norm_type).__name__} {norm_type!r}.")
    norm_type = float(norm_type)
    if not norm_type > 0:
        raise ValueError(f"{where}: expected norm_type > 0 (e.g. 2.0, 1.0 or inf), got "
                         f"{norm_type}.")
    return norm_type


def clip_grad_norm_(params, max_norm, norm_type=2.0, error_if_nonfinite=False) -> float:
    r"""Rescale the gradients in place so that their joint norm is at most ``max_norm``.

    Parameters
    ----------
    params : Module, Parameter or iterable of Parameter
        Whose ``.grad`` to clip, e.g. ``model.parameters()``.
    max_norm : float
        The threshold :math:`\tau > 0`.
    norm_type : float or "inf", default 2.0
        Which p-norm (any :math:`p > 0`, or ``inf`` / ``"inf"`` for the largest absolute
        value).
    error_if_nonfinite : bool, default False
        Raise if the total norm is NaN or infinite instead of clipping with it.

    Returns
    -------
    total_norm : float
        The norm of all gradients concatenated into one vector, **before** clipping
        (0.0 for an empty list).

    Raises
    ------
    TypeError
        For bad ``params`` or a non-numeric ``max_norm`` / ``norm_type``.
    ValueError
        If ``max_norm <= 0`` or ``norm_type <= 0``, or the norm is not finite and
        ``error_if_nonfinite`` is set.

    Notes
    -----
    With :math:`g` the concatenation of every parameter's gradient (PyTorch's rule,
    Pascanu et al. [1]_):

    .. math::

        g \leftarrow \min\!\left(1, \frac{\tau}{\|g\| + 10^{-6}}\right) g

    The direction of the step is kept and only its length is capped, which stops one
    exploding gradient from throwing the parameters far away. A norm below :math:`\tau`
    leaves the gradients untouched. The total norm is the norm of the per-parameter
    norms, :math:`(\sum_k \|g_k\|_p^p)^{1/p}`. As in PyTorch, a NaN or infinite total norm
    (when not an error) gives the factor NaN or 0, so the gradients become NaN or zero.

    References
    ----------
    .. [1] R. Pascanu, T. Mikolov and Y. Bengio, "On the difficulty of training recurrent
       neural networks", ICML 2013.

    See Also
    --------
    clip_grad_value_ : clip each component instead. Chapter 10 (Vanishing and exploding
        gradients) motivates clipping.

    Examples
    --------
    >>> from nnlib.core import Parameter
    >>> from nnlib.optim import clip_grad_norm_
    >>> a, b = Parameter([0.0, 0.0]), Parameter([0.0])
    >>> a.grad[:] = [3.0, 0.0]
    >>> b.grad[:] = [4.0]
    >>> clip_grad_norm_([a, b], max_norm=1.0)       # the norm before clipping
    5.0
    >>> a.grad.round(6).tolist(), b.grad.round(6).tolist()
    ([0.6, 0.0], [0.8])
    """
    where = "clip_grad_norm_"
    params = _parameter_list(params, where, for_clipping=True)
    max_norm = check_positive(max_norm, where, "max_norm")
    p_norm = _check_norm_type(norm_type, where)
    error_if_nonfinite = check_bool(error_if_nonfinite, where, "error_if_nonfinite")
    grads = [p.grad for p in params if p.grad.size]
    if not grads:
        return 0.0
    if p_norm == math.inf:
        total = max(float(np.max(np.abs(g))) for g in grads)
    elif p_norm == 2.0:
        total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    else:
        total = sum(float(np.sum(np.abs(g) ** p_norm)) for g in grads) ** (1.0 / p_norm)
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"{where}: the total {p_norm}-norm of the gradients is {total}; the "
                         f"gradients contain NaN or inf, so they cannot be clipped (set "
                         f"error_if_nonfinite=False to scale them anyway).")
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:                                 # also when coef is NaN, as in PyTorch
        for g in grads:
            g *= coef
    return total


def clip_grad_value_(params, clip_value) -> None:
    r"""Clip every gradient component to :math:`[-c, c]` in place.

    Parameters
    ----------
    params : Module, Parameter or iterable of Parameter
        Whose ``.grad`` to clip.
    clip_value : float
        :math:`c > 0`.

    Raises
    ------
    TypeError
        For bad ``params`` or a non-numeric ``clip_value``.
    ValueError
        If ``clip_value <= 0`` or is not finite.

    Notes
    -----
    :math:`g_i \leftarrow \min(\max(g_i, -c), c)` for every component. Unlike
    :func:`clip_grad_norm_` this changes the direction of :math:`g`.

    See Also
    --------
    clip_grad_norm_ : keep the direction, cap the length. Chapter 10 (Vanishing and
        exploding gradients).

    Examples
    --------
    >>> from nnlib.core import Parameter
    >>> from nnlib.optim import clip_grad_value_
    >>> p = Parameter([0.0, 0.0, 0.0])
    >>> p.grad[:] = [-3.0, 0.5, 2.0]
    >>> clip_grad_value_([p], 1.0)
    >>> p.grad.tolist()
    [-1.0, 0.5, 1.0]
    """
    where = "clip_grad_value_"
    params = _parameter_list(params, where, for_clipping=True)
    c = check_positive(clip_value, where, "clip_value")
    for p in params:
        np.clip(p.grad, -c, c, out=p.grad)

