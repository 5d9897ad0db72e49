r"""Learning-rate schedules (Chapter 9): change ``optimizer.lr`` as training goes on.

A schedule wraps an optimiser. Building it remembers the optimiser's learning rate as
``base_lr`` and sets ``optimizer.lr`` to the schedule's value at step 0; each ``step()``
advances one step (one epoch, or one mini-batch: the schedule does not care which) and sets
``optimizer.lr`` again::

    optimizer = SGD(model.parameters(), lr=0.1)
    schedule = CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        train_one_epoch(model, optimizer)    # uses optimizer.lr
        schedule.step()

The values follow PyTorch's ``torch.optim.lr_scheduler`` closed forms, with :math:`t` the
number of ``step()`` calls so far (``last_step``; PyTorch calls it ``last_epoch``) and
:math:`\eta_0` the base rate. ``get_lr()`` returns the rate the schedule last set (PyTorch's
``get_last_lr()``). One schedule drives one optimiser; to chain two, hand the second to
:class:`LinearWarmup` as ``after``. :func:`schedule_values` records a schedule's curve for
plotting.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from ._checks import (check_bool, check_choice, check_finite_scalar, check_int,
                      check_nonnegative, check_positive)
from .core import Parameter
from .optim import SGD, Optimizer

__all__ = ["Schedule", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearWarmup",
           "OneCycleLR", "ReduceLROnPlateau", "schedule_values"]


def _check_in_unit_interval(value, where: str, name: str, upper_inclusive: bool = False):
    """Return ``value`` as a float; raise unless 0 < value < 1 (or <= 1)."""
    value = check_finite_scalar(value, where, name)
    if not (0.0 < value <= 1.0 if upper_inclusive else 0.0 < value < 1.0):
        interval = "(0, 1]" if upper_inclusive else "(0, 1)"
        raise ValueError(f"{where}: expected {name} in {interval}, got {value}.")
    return value


class Schedule:
    """Base class of the schedules: an optimiser, its base rate and a step counter.

    A subclass sets its hyper-parameters (listed in ``_hyper_names``), calls
    ``Schedule.__init__`` and then ``self._set_step(0)``; it implements ``_lr_at(t)``,
    the closed form.

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser whose ``lr`` the schedule sets.

    Attributes
    ----------
    optimizer : Optimizer
    base_lr : float
        ``optimizer.lr`` when the schedule was built (:math:`\\eta_0`).
    last_step : int
        How many times ``step()`` has been called (0 right after construction).
    requires_metric : bool
        Whether ``step`` takes a metric (only :class:`ReduceLROnPlateau`); training loops
        such as ``nnlib.train.fit`` look at it.

    Raises
    ------
    TypeError
        If ``optimizer`` is not an :class:`nnlib.optim.Optimizer`.
    """

    _hyper_names: tuple = ()
    #: True for schedules whose ``step`` takes a metric (ReduceLROnPlateau)
    requires_metric: bool = False

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an optimiser (an "
                            f"nnlib.optim.Optimizer such as SGD or Adam), got "
                            f"{type(optimizer).__name__}.")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_step = 0
        self._last_lr = optimizer.lr

    def _lr_at(self, t: int) -> float:
        """The learning rate after ``t`` steps (the closed form)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _lr_at().")

    def _set_step(self, t: int) -> float:
        """Move to step ``t``: set ``optimizer.lr`` to the value there and return it.
        Nothing changes if the closed form raises (e.g. past OneCycleLR's end)."""
        lr = self._lr_at(t)
        self.optimizer.lr = lr
        self.last_step = t
        self._last_lr = lr
        return lr

    def step(self) -> None:
        """Advance one step (an epoch or a mini-batch) and set ``optimizer.lr``."""
        self._set_step(self.last_step + 1)

    def get_lr(self) -> float:
        """The learning rate this schedule set at its current step."""
        return self._last_lr

    def state_dict(self) -> dict:
        """The step counter, ``base_lr`` and the hyper-parameters, as a plain dict."""
        state = {"last_step": self.last_step, "base_lr": self.base_lr}
        state.update((name, getattr(self, name)) for name in self._hyper_names)
        return state

    def load_state_dict(self, state_dict) -> None:
        """Restore a :meth:`state_dict` and set ``optimizer.lr`` to the value at its step.

        Raises
        ------
        TypeError
            If ``state_dict`` is not a dict.
        ValueError
            If its keys are not this schedule's, or ``last_step`` is not an integer >= 0.
        """
        self._restore(state_dict)
        self._set_step(self.last_step)

    def _restore(self, state_dict) -> None:
        """Check ``state_dict`` against this schedule's own keys, then copy it in."""
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{where}: expected the dict returned by state_dict(), got "
                            f"{type(state_dict).__name__}.")
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(f"{where}: expected keys {sorted(expected)}, got "
                             f"{sorted(map(str, state_dict))}; was it saved by another kind "
                             f"of schedule?")
        last_step = check_int(state_dict["last_step"], where, "last_step", minimum=0)
        self.base_lr = check_nonnegative(state_dict["base_lr"], where, "base_lr")
        self.last_step = last_step
        for name in self._hyper_names:
            setattr(self, name, state_dict[name])

    def _describe(self) -> str:
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in self._hyper_names)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self._describe()}, last_step={self.last_step}, "
                f"lr={self._last_lr!r})")


class StepLR(Schedule):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser to drive; its ``lr`` is the base rate :math:`\eta_0`.
    step_size : int
        Steps between decays (>= 1).
    gamma : float, default 0.1
        Decay factor (> 0).

    Raises
    ------
    TypeError
        If ``optimizer`` is not an optimiser or an argument has the wrong type.
    ValueError
        If ``step_size < 1`` or ``gamma <= 0``.

    Notes
    -----
    :math:`\eta_t = \eta_0\, \gamma^{\lfloor t / s \rfloor}` with :math:`s` the step size.

    See Also
    --------
    ExponentialLR : decay at every step. Chapter 9 (Optimisation) plots every schedule.

    Examples
    --------
    >>> from nnlib.schedules import StepLR, schedule_values
    >>> schedule_values(lambda opt: StepLR(opt, step_size=2, gamma=0.5), steps=6).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _hyper_names = ("step_size", "gamma")

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = check_int(step_size, "StepLR", "step_size", minimum=1)
        self.gamma = check_positive(gamma, "StepLR", "gamma")
        super().__init__(optimizer)
        self._set_step(0)

    def _lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(Schedule):
    r"""Multiply the learning rate by ``gamma`` at every step.

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser to drive; its ``lr`` is the base rate :math:`\eta_0`.
    gamma : float
        Decay factor per step (> 0; below 1 to decay).

    Raises
    ------
    TypeError
        If ``optimizer`` is not an optimiser or ``gamma`` is not a number.
    ValueError
        If ``gamma <= 0``.

    Notes
    -----
    :math:`\eta_t = \eta_0\, \gamma^t`. The rate halves every
    :math:`\ln 2 / (-\ln\gamma)` steps.

    See Also
    --------
    StepLR : the staircase version. Chapter 9 (Optimisation).

    Examples
    --------
    >>> from nnlib.schedules import ExponentialLR, schedule_values
    >>> schedule_values(lambda opt: ExponentialLR(opt, gamma=0.5), steps=4).tolist()
    [1.0, 0.5, 0.25, 0.125]
    """

    _hyper_names = ("gamma",)

    def __init__(self, optimizer, gamma):
        self.gamma = check_positive(gamma, "ExponentialLR", "gamma")
        super().__init__(optimizer)
        self._set_step(0)

    def _lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** t


class CosineAnnealingLR(Schedule):
    r"""Lower the learning rate from the base rate to ``eta_min`` along half a cosine.

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser to drive; its ``lr`` is the base rate :math:`\eta_0`.
    T_max : int
        Steps from the base rate down to ``eta_min`` (>= 1).
    eta_min : float, default 0
        The lowest rate (>= 0).

    Raises
    ------
    TypeError
        If ``optimizer`` is not an optimiser or an argument has the wrong type.
    ValueError
        If ``T_max < 1`` or ``eta_min < 0``.

    Notes
    -----
    .. math::

        \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,
                 \frac{1 + \cos(\pi t / T_{\max})}{2}

    The rate falls slowly at first, fastest halfway, and flattens out at
    :math:`\eta_{\min}` at :math:`t = T_{\max}`. This is the closed form PyTorch documents
    (SGDR [1]_ without restarts). PyTorch computes the value recursively from the previous
    one; the recursion reproduces this closed form for :math:`0 \le t \le T_{\max}` when
    nothing else changes the rate. Past :math:`T_{\max}` the closed form rises again (it
    has period :math:`2T_{\max}`), so choose :math:`T_{\max}` = the number of steps you
    will take.

    References
    ----------
    .. [1] I. Loshchilov and F. Hutter, "SGDR: Stochastic Gradient Descent with Warm
       Restarts", ICLR 2017.

    See Also
    --------
    LinearWarmup : warm up first, then hand over to this schedule. Chapter 9
        (Optimisation).

    Examples
    --------
    >>> from nnlib.schedules import CosineAnnealingLR, schedule_values
    >>> schedule_values(lambda opt: CosineAnnealingLR(opt, T_max=4), steps=5).round(4).tolist()
    [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    _hyper_names = ("T_max", "eta_min")

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = check_int(T_max, "CosineAnnealingLR", "T_max", minimum=1)
        self.eta_min = check_nonnegative(eta_min, "CosineAnnealingLR", "eta_min")
        super().__init__(optimizer)
        self._set_step(0)

    def _lr_at(self, t: int) -> float:
        cosine = (1.0 + math.cos(math.pi * t / self.T_max)) / 2.0
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


class LinearWarmup(Schedule):
    r"""Raise the learning rate linearly for ``warmup_steps`` steps, then hand over.

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser to drive.
    warmup_steps : int
        Length :math:`W \ge 1` of the warmup.
    after : Schedule, optional
        The schedule that takes over at step :math:`W`, built on the same optimiser
        (and not stepped yet); its own step counter starts at 0 when the warmup ends.
        Without it the rate stays at the target after the warmup.
    start_factor : float in (0, 1], optional
        The rate at step 0 as a fraction of the target. Default :math:`1 / (W + 1)`, so that
        the rate climbs in :math:`W` equal steps: :math:`\eta_t = \eta^*\,(t + 1)/(W + 1)`.

    Attributes
    ----------
    base_lr : float
        The target :math:`\eta^*` at the end of the warmup: ``after``'s value at its step 0
        if given (normally the optimiser's learning rate), else the optimiser's ``lr``.

    Raises
    ------
    TypeError
        If ``optimizer`` is not an optimiser, ``after`` is not a schedule (or is a
        :class:`ReduceLROnPlateau`, whose ``step`` needs a metric), or an argument has the
        wrong type.
    ValueError
        If ``warmup_steps < 1``, ``start_factor`` is outside (0, 1], or ``after`` drives
        another optimiser or has already been stepped.

    Notes
    -----
    PyTorch's ``LinearLR`` (with ``end_factor=1``, ``total_iters=W``) followed, as in
    ``SequentialLR``, by the ``after`` schedule restarted at 0:

    .. math::

        \eta_t = \begin{cases}
            \eta^* \left(s + (1 - s)\, t / W\right) & t < W \\
            \eta^{\text{after}}_{t - W} & t \ge W
        \end{cases}

    with :math:`s` the start factor. The default :math:`s = 1/(W + 1)` (PyTorch's
    ``LinearLR`` defaults to 1/3 whatever :math:`W`) starts small without wasting step 0
    on a zero rate. Warmup [1]_ matters for large learning rates and for Adam: in the
    first steps Adam's :math:`\hat v` is estimated from a handful of gradients, and every
    coordinate moves by about :math:`\eta` whatever the gradient (see
    :class:`nnlib.optim.Adam`), so a small rate keeps those early, noisy steps short.

    References
    ----------
    .. [1] P. Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour",
       arXiv:1706.02677, 2017.

    See Also
    --------
    CosineAnnealingLR, OneCycleLR : Chapter 9 (Optimisation) plots warmup then cosine.

    Examples
    --------
    Four warmup steps, then a cosine over four steps:

    >>> from nnlib.schedules import CosineAnnealingLR, LinearWarmup, schedule_values
    >>> def make(opt):
    ...     return LinearWarmup(opt, warmup_steps=4, after=CosineAnnealingLR(opt, T_max=4))
    >>> schedule_values(make, steps=9).round(4).tolist()
    [0.2, 0.4, 0.6, 0.8, 1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    _hyper_names = ("warmup_steps", "start_factor")

    def __init__(self, optimizer, warmup_steps, after=None, start_factor=None):
        where = "LinearWarmup"
        self.warmup_steps = check_int(warmup_steps, where, "warmup_steps", minimum=1)
        if start_factor is None:
            start_factor = 1.0 / (self.warmup_steps + 1)
        self.start_factor = _check_in_unit_interval(start_factor, where, "start_factor",
                                                    upper_inclusive=True)
        if after is not None:
            if isinstance(after, ReduceLROnPlateau) or not isinstance(after, Schedule):
                raise TypeError(f"{where}: expected after to be a schedule such as "
                                f"CosineAnnealingLR (not ReduceLROnPlateau, whose step() needs "
                                f"a metric), got {type(after).__name__}.")
            if after.optimizer is not optimizer:
                raise ValueError(f"{where}: expected after to drive the same optimiser; build "
                                 f"it as e.g. CosineAnnealingLR(optimizer, T_max) with the "
                                 f"optimiser given to LinearWarmup.")
            if after.last_step != 0:
                raise ValueError(f"{where}: expected a fresh after schedule (last_step 0), got "
                                 f"one at last_step {after.last_step}.")
        self.after = after
        super().__init__(optimizer)
        if after is not None:
            self.base_lr = after._lr_at(0)
        self._set_step(0)

    def _lr_at(self, t: int) -> float:
        W = self.warmup_steps
        if t >= W:
            return self.after._lr_at(t - W) if self.after is not None else self.base_lr
        s = self.start_factor
        return self.base_lr * (s + (1.0 - s) * t / W)

    def _set_step(self, t: int) -> float:
        if self.after is not None and t >= self.warmup_steps:
            lr = self.after._set_step(t - self.warmup_steps)    # hand over; sets the lr
        else:
            lr = self._lr_at(t)
            self.optimizer.lr = lr
        self.last_step = t
        self._last_lr = lr
        return lr

    def state_dict(self) -> dict:
        state = super().state_dict()
        state["after"] = None if self.after is None else self.after.state_dict()
        return state

    def load_state_dict(self, state_dict) -> None:
        where = "LinearWarmup.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{where}: expected the dict returned by state_dict(), got "
                            f"{type(state_dict).__name__}.")
        saved_after = state_dict.get("after")
        if (saved_after is None) != (self.after is None):
            raise ValueError(f"{where}: the saved state "
                             f"{'has no' if saved_after is None else 'has an'} after schedule, "
                             f"but this LinearWarmup "
                             f"{'has one' if self.after is not None else 'has none'}.")
        self._restore(state_dict)
        if self.after is not None:
            self.after._restore(saved_after)
        self._set_step(self.last_step)


class OneCycleLR(Schedule):
    r"""The one-cycle policy: warm up to ``max_lr``, then anneal far below the start.

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser to drive (its own ``lr`` is replaced).
    max_lr : float
        The peak rate (> 0).
    total_steps : int
        Number of optimiser steps in the whole cycle (the schedule is stepped once per
        mini-batch: epochs times batches per epoch).
    pct_start : float in (0, 1), default 0.3
        Fraction of the cycle spent rising.
    anneal : {"cos", "linear"}, default "cos"
        Shape of each phase (PyTorch's ``anneal_strategy``).
    div_factor : float, default 25
        Initial rate ``max_lr / div_factor``.
    final_div_factor : float, default 1e4
        Final rate ``initial / final_div_factor``.
    three_phase : bool, default False
        Rise, fall back to the initial rate symmetrically, then anneal to the final rate.

    Raises
    ------
    TypeError
        If ``optimizer`` is not an optimiser or an argument has the wrong type.
    ValueError
        If ``max_lr``, ``div_factor`` or ``final_div_factor`` is not > 0, ``pct_start`` is
        outside (0, 1), ``anneal`` is unknown, a phase would be shorter than one step, or
        the schedule is stepped past ``total_steps``.

    Notes
    -----
    With :math:`\eta_{\text{init}} = \eta_{\max}/\text{div}`,
    :math:`\eta_{\text{final}} = \eta_{\text{init}}/\text{final\_div}` and
    :math:`p` = ``pct_start``, :math:`N` = ``total_steps`` (PyTorch's closed form), the
    phases end at the (fractional) steps

    - two phases: :math:`pN - 1` (rise :math:`\eta_{\text{init}} \to \eta_{\max}`),
      :math:`N - 1` (fall :math:`\eta_{\max} \to \eta_{\text{final}}`);
    - three phases: :math:`pN - 1` (rise), :math:`2pN - 2` (fall to
      :math:`\eta_{\text{init}}`), :math:`N - 1` (fall to :math:`\eta_{\text{final}}`).

    Inside a phase from step :math:`a` (rate :math:`\eta_a`) to step :math:`b`
    (:math:`\eta_b`), with :math:`f = (t - a)/(b - a)`, cosine annealing gives
    :math:`\eta_t = \eta_b + (\eta_a - \eta_b)(1 + \cos \pi f)/2` and linear annealing
    :math:`\eta_t = \eta_a + (\eta_b - \eta_a) f`. As in PyTorch, the schedule may be
    stepped up to ``total_steps`` times after construction (the last value, one step past
    the end of the cycle, continues the final phase); one more ``step()`` raises
    ``ValueError``. Only the learning rate is scheduled: PyTorch's ``OneCycleLR`` also
    cycles the momentum by default (``cycle_momentum=True``); this class behaves like
    ``cycle_momentum=False``.

    References
    ----------
    .. [1] L. N. Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017.
    .. [2] L. N. Smith and N. Topin, "Super-Convergence: Very Fast Training of Neural
       Networks Using Large Learning Rates", Proc. SPIE 11006, 2019. arXiv:1708.07120.

    See Also
    --------
    LinearWarmup : warmup with any schedule after it. Chapter 9 (Optimisation).

    Examples
    --------
    >>> from nnlib.schedules import OneCycleLR, schedule_values
    >>> lrs = schedule_values(lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=10), steps=10)
    >>> lrs.round(6).tolist()     # from 1/25 up to 1 at step 0.3 * 10 - 1 = 2, down to 4e-6
    [0.04, 0.52, 1.0, 0.950485, 0.811746, 0.611262, 0.388742, 0.188258, 0.049519, 4e-06]
    """

    _hyper_names = ("max_lr", "total_steps", "pct_start", "anneal", "div_factor",
                    "final_div_factor", "three_phase")

    def __init__(self, optimizer, max_lr, total_steps, pct_start=0.3, anneal="cos",
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        where = "OneCycleLR"
        self.max_lr = check_positive(max_lr, where, "max_lr")
        self.total_steps = check_int(total_steps, where, "total_steps", minimum=1)
        self.pct_start = _check_in_unit_interval(pct_start, where, "pct_start")
        self.anneal = check_choice(anneal, ("cos", "linear"), where, "anneal")
        self.div_factor = check_positive(div_factor, where, "div_factor")
        self.final_div_factor = check_positive(final_div_factor, where, "final_div_factor")
        self.three_phase = check_bool(three_phase, where, "three_phase")
        self._phases = self._make_phases()
        super().__init__(optimizer)
        self._set_step(0)

    def _make_phases(self) -> list:
        """[(end_step, lr_at_start, lr_at_end), ...] as in PyTorch."""
        where = "OneCycleLR"
        initial = self.max_lr / self.div_factor
        final = initial / self.final_div_factor
        N, rise_end = self.total_steps, float(self.pct_start * self.total_steps) - 1.0
        if self.three_phase:
            phases = [(rise_end, initial, self.max_lr), (2.0 * rise_end, self.max_lr, initial),
                      (N - 1.0, initial, final)]
        else:
            phases = [(rise_end, initial, self.max_lr), (N - 1.0, self.max_lr, final)]
        start = 0.0
        for end, _, _ in phases:
            if not end > start:
                raise ValueError(f"{where}: with total_steps={N}, pct_start={self.pct_start} "
                                 f"and three_phase={self.three_phase} a phase of the cycle "
                                 f"would be shorter than one step (phase ends "
                                 f"{[round(e, 6) for e, _, _ in phases]}); use more steps or "
                                 f"a pct_start with pct_start * total_steps > 1"
                                 f"{' and below 1/2' if self.three_phase else ''}.")
            start = end
        return phases

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self.anneal == "cos":
            return end + (start - end) * (1.0 + math.cos(math.pi * fraction)) / 2.0
        return start + (end - start) * fraction

    def _lr_at(self, t: int) -> float:
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {t} times, but total_steps is "
                             f"{self.total_steps}; set total_steps to the number of optimiser "
                             f"steps (epochs * batches per epoch).")
        start = 0.0
        for k, (end, lr_start, lr_end) in enumerate(self._phases):
            if t <= end or k == len(self._phases) - 1:
                return self._anneal(lr_start, lr_end, (t - start) / (end - start))
            start = end
        raise AssertionError("unreachable")  # pragma: no cover

    def load_state_dict(self, state_dict) -> None:
        self._restore(state_dict)
        self._phases = self._make_phases()
        self._set_step(self.last_step)


class ReduceLROnPlateau(Schedule):
    r"""Divide the learning rate by ``1/factor`` when a metric stops improving.

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser to drive (its ``lr`` is left alone until the first reduction).
    mode : {"min", "max"}, default "min"
        Whether the metric should go down (a loss) or up (an accuracy).
    factor : float in (0, 1), default 0.1
        New rate = ``factor`` * old rate.
    patience : int, default 10
        Number of steps without improvement to tolerate; the rate drops on the next one.
    threshold : float, default 1e-4
        How much better than the best so far counts as an improvement (>= 0).
    threshold_mode : {"rel", "abs"}, default "rel"
        Relative (``best * (1 - threshold)`` in mode "min") or absolute
        (``best - threshold``) improvement.
    cooldown : int, default 0
        Steps to wait after a reduction before counting bad steps again.
    min_lr : float, default 0
        Lower bound on the rate (>= 0).
    eps : float, default 1e-8
        A reduction smaller than this is skipped (PyTorch's rule).

    Attributes
    ----------
    best : float
        The best metric seen (inf, or -inf in mode "max", before the first step).
    num_bad_epochs : int
        Steps since the last improvement (PyTorch's name).
    cooldown_counter : int
        Steps of cooldown left.

    Raises
    ------
    TypeError
        If ``optimizer`` is not an optimiser, an argument has the wrong type, or ``step``
        is called without a numeric metric.
    ValueError
        If ``factor`` is outside (0, 1), ``patience`` or ``cooldown`` is negative,
        ``threshold``, ``min_lr`` or ``eps`` is negative, or a mode is unknown.

    Notes
    -----
    ``step(metric)`` (PyTorch's algorithm): if the metric improves on ``best`` by more than
    the threshold, it becomes ``best`` and the count of bad steps is reset; otherwise the
    count grows by one. During a cooldown the count is held at 0. When the count exceeds
    ``patience``,

    .. math::

        \eta \leftarrow \max(\text{factor}\cdot\eta,\ \eta_{\min})

    (skipped if that changes :math:`\eta` by less than ``eps``), the cooldown starts and
    the count is reset. A NaN metric is never an improvement. The rate is read from the
    optimiser at each reduction, so a rate changed by hand is respected.

    See Also
    --------
    StepLR : decay on a fixed timetable instead. Chapter 9 (Optimisation).

    Examples
    --------
    >>> from nnlib.core import Parameter
    >>> from nnlib.optim import SGD
    >>> from nnlib.schedules import ReduceLROnPlateau
    >>> opt = SGD([Parameter([0.0])], lr=1.0)
    >>> plateau = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> lrs = []
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0, 2.0]:
    ...     plateau.step(loss)
    ...     lrs.append(opt.lr)
    >>> lrs          # the second bad step in a row (more than patience=1) halves the rate
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]
    """

    _hyper_names = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown",
                    "min_lr", "eps", "best", "num_bad_epochs", "cooldown_counter")
    requires_metric = True

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        where = "ReduceLROnPlateau"
        self.mode = check_choice(mode, ("min", "max"), where, "mode")
        self.factor = _check_in_unit_interval(factor, where, "factor")
        self.patience = check_int(patience, where, "patience", minimum=0)
        self.threshold = check_nonnegative(threshold, where, "threshold")
        self.threshold_mode = check_choice(threshold_mode, ("rel", "abs"), where,
                                            "threshold_mode")
        self.cooldown = check_int(cooldown, where, "cooldown", minimum=0)
        self.min_lr = check_nonnegative(min_lr, where, "min_lr")
        self.eps = check_nonnegative(eps, where, "eps")
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        super().__init__(optimizer)

    def _is_better(self, metric: float) -> bool:
        best, th = self.best, self.threshold
        if self.mode == "min":
            return metric < (best * (1.0 - th) if self.threshold_mode == "rel" else best - th)
        return metric > (best * (1.0 + th) if self.threshold_mode == "rel" else best + th)

    def step(self, metric) -> None:
        """Record one value of the monitored metric (e.g. the validation loss of an epoch).

        Parameters
        ----------
        metric : float
            The metric; NaN counts as no improvement.
        """
        if isinstance(metric, np.ndarray) and metric.size == 1:
            metric = metric.item()
        if isinstance(metric, (bool, np.bool_)) or not isinstance(metric, numbers.Real):
            raise TypeError(f"ReduceLROnPlateau.step: expected the metric to be a real number "
                            f"(e.g. the validation loss), got {type(metric).__name__} "
                            f"{metric!r}.")
        metric = float(metric)
        self.last_step += 1
        if self._is_better(metric):
            self.best = metric
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            old = self.optimizer.lr
            new = max(old * self.factor, self.min_lr)
            if old - new > self.eps:
                self.optimizer.lr = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self.optimizer.lr

    def load_state_dict(self, state_dict) -> None:
        """Restore a :meth:`state_dict`; ``optimizer.lr`` is left alone (it belongs to the
        optimiser's own state)."""
        self._restore(state_dict)
        self._last_lr = self.optimizer.lr


def schedule_values(make_schedule, steps, lr=1.0, metrics=None) -> np.ndarray:
    r"""The learning rate a schedule gives at each of ``steps`` steps, for plotting.

    Builds a throw-away :class:`~nnlib.optim.SGD` over one dummy parameter with learning
    rate ``lr``, calls ``make_schedule(optimizer)`` and records ``optimizer.lr`` at step
    0 and after each of ``steps - 1`` calls to ``step()``.

    Parameters
    ----------
    make_schedule : callable
        ``make_schedule(optimizer) -> Schedule``, e.g.
        ``lambda opt: CosineAnnealingLR(opt, T_max=100)``.
    steps : int
        Number of values (>= 1).
    lr : float, default 1.0
        The base rate; with 1.0 the curve shows the multiplier.
    metrics : sequence of float, optional
        For :class:`ReduceLROnPlateau` (required there, refused otherwise): the metric
        passed to ``step`` after each step; at least ``steps - 1`` values.

    Returns
    -------
    ndarray of shape (steps,)
        The learning rate used at steps 0, 1, ..., steps - 1.

    Raises
    ------
    TypeError
        If ``make_schedule`` is not callable or does not return a schedule, or ``metrics``
        is given for a schedule that does not take one (or missing for one that does).
    ValueError
        If ``steps < 1``, ``lr <= 0``, ``metrics`` is too short, or the schedule was built
        on another optimiser.

    See Also
    --------
    Chapter 9 (Optimisation) plots every schedule with this function.

    Examples
    --------
    >>> from nnlib.schedules import ExponentialLR, ReduceLROnPlateau, schedule_values
    >>> schedule_values(lambda opt: ExponentialLR(opt, gamma=0.9), steps=3, lr=0.1).round(4)
    array([0.1  , 0.09 , 0.081])
    >>> schedule_values(lambda opt: ReduceLROnPlateau(opt, factor=0.5, patience=0),
    ...                 steps=4, metrics=[1.0, 1.0, 0.5]).tolist()
    [1.0, 1.0, 0.5, 0.5]
    """
    where = "schedule_values"
    if not callable(make_schedule):
        raise TypeError(f"{where}: expected make_schedule to be a function of the optimiser, "
                        f"e.g. lambda opt: StepLR(opt, 10), got {type(make_schedule).__name__}.")
    steps = check_int(steps, where, "steps", minimum=1)
    lr = check_positive(lr, where, "lr")
    optimizer = SGD([Parameter(np.zeros(1))], lr=lr)
    schedule = make_schedule(optimizer)
    if not isinstance(schedule, Schedule):
        raise TypeError(f"{where}: expected make_schedule to return a schedule, got "
                        f"{type(schedule).__name__}.")
    if schedule.optimizer is not optimizer:
        raise ValueError(f"{where}: make_schedule must build the schedule on the optimiser it "
                         f"is given, not on another one.")
    plateau = isinstance(schedule, ReduceLROnPlateau)
    if plateau and metrics is None:
        raise TypeError(f"{where}: ReduceLROnPlateau needs metrics, the value passed to each "
                        f"step(metric); got none.")
    if not plateau and metrics is not None:
        raise TypeError(f"{where}: metrics are only for ReduceLROnPlateau, not "
                        f"{type(schedule).__name__}.")
    if plateau:
        metrics = list(metrics)
        if len(metrics) < steps - 1:
            raise ValueError(f"{where}: expected at least steps - 1 = {steps - 1} metrics, got "
                             f"{len(metrics)}.")
    values = np.empty(steps)
    values[0] = optimizer.lr
    for k in range(1, steps):
        if plateau:
            schedule.step(metrics[k - 1])
        else:
            schedule.step()
        values[k] = optimizer.lr
    return values
