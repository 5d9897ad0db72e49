r"""Loss functions with their gradients: what training minimises (Chapter 8).

Every loss here is the negative log-likelihood of a probabilistic model of the targets
(Gaussian -> :class:`MSELoss`, Laplace -> :class:`L1Loss`, Bernoulli -> :class:`BCELoss` and
:class:`BCEWithLogitsLoss`, categorical -> :class:`CrossEntropyLoss`) or a robust or
re-weighted variant of one (:class:`HuberLoss`, :class:`FocalLoss`).

A loss is a small object used in two steps, like a :class:`~nnlib.core.Module` but with a
scalar output::

    loss = loss_fn(y_hat, y)     # a Python float; caches what the gradient needs
    delta = loss_fn.backward()   # dL/dy_hat, same shape and dtype as y_hat

``backward()`` takes no argument because the loss is the end of the chain: dL/dL = 1. Its
result is the error signal that starts backpropagation (Chapter 5). Names, defaults and
formulas follow PyTorch (``torch.nn.MSELoss``, ...; the focal loss follows torchvision's
``sigmoid_focal_loss``), except that every option is keyword-only and only the reductions
``"mean"`` and ``"sum"`` exist, because a loss here always returns one number.

Notation, as in the book: ``y_hat`` (:math:`\hat y`) is a prediction, ``y`` a target,
``z`` a logit (a pre-activation, before the sigmoid or softmax), ``p`` a probability,
``m`` the number of examples (rows) and ``N`` the number of entries of the prediction
(``N = m`` for one output per example). With ``reduction="mean"`` the elementwise losses
are averaged over all ``N`` entries, the cross-entropy over the ``m`` examples.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from ._checks import (as_array, check_choice, check_finite_scalar, check_ndim,
                      check_nonnegative, check_positive, check_probability, check_same_shape)
from .core import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "FocalLoss"]

_REDUCTIONS = ("mean", "sum")

#: PyTorch's BCELoss clamps each log at -100, so a probability of exactly 0 or 1 gives a
#: large finite loss instead of inf.
_BCE_LOG_FLOOR = -100.0
#: PyTorch's BCELoss divides the gradient by max(p (1 - p), 1e-12), so it stays finite.
_BCE_GRAD_EPS = 1e-12


# --- small private helpers --------------------------------------------------------------------
def _position(flat_index: int, shape: tuple) -> str:
    """The index of an entry, as a reader would write it: ``2`` or ``(0, 1)``."""
    if len(shape) == 1:
        return str(flat_index)
    return str(tuple(int(i) for i in np.unravel_index(flat_index, shape)))


def _check_in_unit_interval(arr: np.ndarray, where: str, what: str, hint: str = "") -> None:
    """Raise ``ValueError`` unless every entry of ``arr`` is in [0, 1] (NaN is outside)."""
    bad = ~((arr >= 0) & (arr <= 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{where}: expected {what} in [0, 1], got {arr.flat[i]} at position "
                         f"{_position(i, arr.shape)}.{(' ' + hint) if hint else ''}")


def _min_and_max(a: np.ndarray) -> tuple:
    """``(a.min(), a.max())`` of a non-empty array, through the ufuncs' reduce: the same
    numbers without the wrappers of min and max, which cost more than the search itself on a
    minibatch (these checks run at every training step)."""
    return np.minimum.reduce(a, axis=None), np.maximum.reduce(a, axis=None)


def _softplus_pair(z: np.ndarray):
    """Return softplus(z) = -log(1 - sigmoid(z)) and softplus(-z) = -log(sigmoid(z)).

    Both share t = log(1 + exp(-|z|)), and softplus(+-z) = max(+-z, 0) + t: ``exp`` only
    ever sees -|z| <= 0, and nothing large is subtracted from anything large.
    """
    t = np.log1p(np.exp(-np.abs(z)))
    return np.maximum(z, 0) + t, np.maximum(-z, 0) + t


class _Loss(Module):
    """What every loss shares: the reduction, the call signature and the reduction factor.

    Each loss caches in ``forward``, under names, what its ``backward`` needs.
    """

    #: How a network output becomes a class, for accuracies (read by :func:`nnlib.train.fit`):
    #: ``"argmax"`` over the C scores of a row, a number t (class 1 where the output > t), or
    #: None for a regression loss.
    class_decision = None

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        none = isinstance(reduction, str) and reduction == "none"
        self.reduction = check_choice(
            reduction, _REDUCTIONS, type(self).__name__, "reduction",
            hint="nnlib's losses always return one number, so 'none' is not offered; compute "
                 "the elementwise values from the formula in the docstring." if none else "")

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"

    def __call__(self, prediction, target) -> float:
        return self.forward(prediction, target)

    def forward(self, prediction, target) -> float:  # pragma: no cover - every loss overrides
        """Return the loss and cache what ``backward`` needs.

        Parameters
        ----------
        prediction : ndarray of shape (m, k)
            y_hat (or logits z).
        target : ndarray of shape (m, k) (or (m,) class indices)
            y.

        Returns
        -------
        float
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement forward().")

    def backward(self):  # pragma: no cover - every loss overrides
        """Return dL/d(prediction).

        Returns
        -------
        ndarray of the prediction's shape (m, k)
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement backward().")

    def _prediction(self, prediction, name: str = "prediction") -> np.ndarray:
        where = type(self).__name__
        pred = as_array(prediction, where, name=name)  # integers become float64
        if pred.size == 0:
            raise ValueError(f"{where}: expected a non-empty {name} array, got shape "
                             f"{pred.shape}.")
        return pred

    def _pair(self, prediction, target):
        """Prediction and target as arrays of the prediction's float dtype and one shape.

        The target is never the caller's array (a cast makes a new one, otherwise it is
        copied), so changing it between the call and ``backward()`` changes nothing.
        """
        where = type(self).__name__
        pred = self._prediction(prediction)
        tgt = as_array(target, where, dtype=pred.dtype, name="target")
        check_same_shape(pred, tgt, where)
        if tgt is target:
            tgt = tgt.copy()
        return pred, tgt

    def _factor(self, count: int) -> float:
        """1 / count for the mean, 1 for the sum."""
        return 1.0 / count if self.reduction == "mean" else 1.0


# --- regression -------------------------------------------------------------------------------
class MSELoss(_Loss):
    r"""Mean squared error, the negative log-likelihood of Gaussian noise.

    Parameters
    ----------
    reduction : {"mean", "sum"}, keyword-only
        Average or add the squared errors over all N entries.

    See Also
    --------
    L1Loss, HuberLoss : Less sensitive to outliers. Chapter 8 (Losses and maximum
        likelihood) derives this loss and its gradient from Gaussian noise.

    Notes
    -----
    With residuals :math:`r_i = \hat y_i - y_i` over the :math:`N` entries of the prediction,

    .. math:: L = \frac{1}{N} \sum_{i=1}^{N} (\hat y_i - y_i)^2, \qquad
              \frac{\partial L}{\partial \hat y_i} = \frac{2}{N} (\hat y_i - y_i)

    (drop the :math:`1/N` for ``reduction="sum"``).

    *Maximum likelihood.* If :math:`y = \hat y + \varepsilon` with
    :math:`\varepsilon \sim N(0, \sigma^2)` (variance :math:`\sigma^2`), then
    :math:`-\log p(y \mid \hat y) = (y - \hat y)^2 / (2\sigma^2) + \tfrac12 \log(2\pi\sigma^2)`:
    up to a positive factor and a constant, minimising the MSE maximises the likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.losses import MSELoss
    >>> loss_fn = MSELoss()
    >>> loss_fn(np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]]))  # (1 + 4) / 2
    2.5
    >>> loss_fn.backward()                                           # 2 r / N
    array([[1.],
           [2.]])
    """

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)
        self._r = None      # cached residual y_hat - y
        self._scale = None  # 1 / N or 1

    def forward(self, prediction, target) -> float:
        """Return the loss L = sum of (y_hat - y)^2, over N (mean) or not (sum).

        Parameters
        ----------
        prediction : ndarray of shape (m, k) (any shape)
            y_hat.
        target : ndarray of the same shape
            y.

        Returns
        -------
        float
        """
        pred, tgt = self._pair(prediction, target)
        r = pred - tgt
        self._r, self._scale = r, self._factor(r.size)
        return float(np.vdot(r, r)) * self._scale

    def backward(self) -> np.ndarray:
        """Return dL/dy_hat = 2 (y_hat - y) / N.

        Returns
        -------
        ndarray of the prediction's shape (m, k) and dtype
        """
        r = self._cached(self._r, "residual")
        return (2.0 * self._scale) * r


class L1Loss(_Loss):
    r"""Mean absolute error, the negative log-likelihood of Laplace noise.

    Parameters
    ----------
    reduction : {"mean", "sum"}, keyword-only
        Average or add the absolute errors over all N entries.

    See Also
    --------
    MSELoss, HuberLoss : The Gaussian and the robust alternatives. Chapter 8 (Losses and
        maximum likelihood) compares them.

    Notes
    -----
    .. math:: L = \frac{1}{N} \sum_{i=1}^{N} |\hat y_i - y_i|, \qquad
              \frac{\partial L}{\partial \hat y_i} = \frac{1}{N} \operatorname{sign}(\hat y_i - y_i)

    The absolute value has no derivative at 0; like PyTorch's ``sign``, the subgradient 0 is
    used there. The gradient has the same size for every wrong entry, so a single outlier
    cannot dominate an update (unlike the MSE, whose gradient grows with the error).

    *Maximum likelihood.* Laplace noise, :math:`p(y \mid \hat y) \propto
    \exp(-|y - \hat y| / b)`, gives :math:`-\log p = |y - \hat y| / b + \text{const}`; the
    minimiser over a constant prediction is the median instead of the mean.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.losses import L1Loss
    >>> loss_fn = L1Loss(reduction="sum")
    >>> loss_fn(np.array([1.0, -2.0, 0.5]), np.array([0.0, 0.0, 0.5]))
    3.0
    >>> loss_fn.backward()
    array([ 1., -1.,  0.])
    """

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)
        self._r = None      # cached residual y_hat - y
        self._scale = None  # 1 / N or 1

    def forward(self, prediction, target) -> float:
        """Return the loss L = sum of the absolute errors, over N (mean) or not (sum).

        Parameters
        ----------
        prediction : ndarray of shape (m, k) (any shape)
            y_hat.
        target : ndarray of the same shape
            y.

        Returns
        -------
        float
        """
        pred, tgt = self._pair(prediction, target)
        r = pred - tgt
        self._r, self._scale = r, self._factor(r.size)
        return float(np.sum(np.abs(r))) * self._scale

    def backward(self) -> np.ndarray:
        """Return dL/dy_hat = sign(y_hat - y) / N (0 where the residual is 0).

        Returns
        -------
        ndarray of the prediction's shape (m, k) and dtype
        """
        r = self._cached(self._r, "residual")
        return np.sign(r) * self._scale


class HuberLoss(_Loss):
    r"""Huber loss: quadratic for small errors, linear for large ones (robust regression).

    Parameters
    ----------
    delta : float > 0, keyword-only
        Where the loss changes from quadratic to linear. Default 1.0.
    reduction : {"mean", "sum"}, keyword-only
        Average or add over all N entries.

    Raises
    ------
    ValueError
        If ``delta`` is not a finite number > 0, or ``reduction`` is unknown.

    See Also
    --------
    MSELoss, L1Loss : The two losses it joins. Chapter 8 (Losses and maximum likelihood) has a
        slider for delta.

    Notes
    -----
    With :math:`r_i = \hat y_i - y_i` (PyTorch's ``HuberLoss`` convention),

    .. math::
        \ell_\delta(r) = \begin{cases} \tfrac12 r^2 & |r| < \delta \\
                         \delta\,(|r| - \tfrac12 \delta) & |r| \ge \delta \end{cases}, \qquad
        \ell_\delta'(r) = \operatorname{clip}(r, -\delta, \delta),

    and :math:`L = \frac1N \sum_i \ell_\delta(r_i)`,
    :math:`\partial L / \partial \hat y_i = \operatorname{clip}(r_i, -\delta, \delta) / N`.
    Both pieces meet at :math:`|r| = \delta` with value :math:`\delta^2/2` and slope
    :math:`\pm\delta`, so the loss is once continuously differentiable. Small errors are
    treated like the MSE (times 1/2), large ones like the L1 loss (times delta), so an outlier
    pulls with a force of at most delta. For ``delta = 1`` this equals PyTorch's
    ``SmoothL1Loss(beta=1)``.

    *Maximum likelihood.* It is the negative log-likelihood of a density that is Gaussian in
    the middle and Laplace in the tails: Huber's least-favourable distribution for data with a
    fraction of gross errors [1]_.

    References
    ----------
    .. [1] P. J. Huber, "Robust estimation of a location parameter", The Annals of
       Mathematical Statistics 35(1), 73-101, 1964.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.losses import HuberLoss
    >>> loss_fn = HuberLoss(delta=1.0)
    >>> loss_fn(np.array([0.5, 2.0]), np.array([0.0, 0.0]))  # (0.5 * 0.25 + (2 - 0.5)) / 2
    0.8125
    >>> loss_fn.backward()                                    # clip(r, -1, 1) / 2
    array([0.25, 0.5 ])
    """

    def __init__(self, *, delta: float = 1.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.delta = check_positive(delta, "HuberLoss", "delta")
        self._r = None      # cached residual y_hat - y
        self._scale = None  # 1 / N or 1

    def extra_repr(self) -> str:
        return f"delta={self.delta}, reduction={self.reduction!r}"

    def forward(self, prediction, target) -> float:
        """Return the loss L = sum of l_delta(y_hat - y), over N (mean) or not (sum).

        Parameters
        ----------
        prediction : ndarray of shape (m, k) (any shape)
            y_hat.
        target : ndarray of the same shape
            y.

        Returns
        -------
        float
        """
        pred, tgt = self._pair(prediction, target)
        d = self.delta
        r = pred - tgt
        a = np.abs(r)
        elementwise = np.where(a < d, 0.5 * r * r, d * (a - 0.5 * d))
        self._r, self._scale = r, self._factor(r.size)
        return float(np.sum(elementwise)) * self._scale

    def backward(self) -> np.ndarray:
        """Return dL/dy_hat = clip(y_hat - y, -delta, delta) / N.

        Returns
        -------
        ndarray of the prediction's shape (m, k) and dtype
        """
        r = self._cached(self._r, "residual")
        return np.clip(r, -self.delta, self.delta) * self._scale


# --- binary classification --------------------------------------------------------------------
class BCELoss(_Loss):
    r"""Binary cross-entropy on probabilities, the negative log-likelihood of a Bernoulli.

    Use it after a sigmoid output. :class:`BCEWithLogitsLoss` takes the logits instead, which
    is more accurate and never needs the clamp described below: prefer it for training.

    Parameters
    ----------
    reduction : {"mean", "sum"}, keyword-only
        Average or add over all N entries.

    Raises
    ------
    ValueError
        If a prediction or a target lies outside [0, 1] (or is NaN), or the shapes differ.

    See Also
    --------
    BCEWithLogitsLoss : The same loss on logits, stable for any logit. Chapter 8 (Losses and
        maximum likelihood) derives it from a Bernoulli.

    Notes
    -----
    For predicted probabilities :math:`p_i = \hat y_i \in [0, 1]` and targets
    :math:`y_i \in [0, 1]` (usually 0 or 1),

    .. math::
        L = -\frac1N \sum_{i=1}^N \big[ y_i \log p_i + (1 - y_i) \log(1 - p_i) \big], \qquad
        \frac{\partial L}{\partial p_i} = \frac1N \Big( \frac{1 - y_i}{1 - p_i}
            - \frac{y_i}{p_i} \Big) = \frac1N \, \frac{p_i - y_i}{p_i (1 - p_i)}.

    *Maximum likelihood.* If :math:`y \sim \text{Bernoulli}(p)`, then
    :math:`p(y) = p^y (1-p)^{1-y}` and :math:`-\log p(y)` is exactly the bracket above.
    Composed with a sigmoid, :math:`p = \sigma(z)`, the factor :math:`p(1-p) = \sigma'(z)`
    cancels and :math:`\partial L / \partial z_i = (p_i - y_i)/N`.

    *Clamping, as in PyTorch.* A probability of exactly 0 or 1 would give :math:`\log 0 =
    -\infty`. Each logarithm is therefore clamped at -100 (so one entry contributes at most 100
    to the sum), and the gradient's denominator is :math:`\max(p_i(1-p_i), 10^{-12})`, so the
    gradient stays finite (at most :math:`10^{12}/N` in size). Where a clamp is active (a
    probability within about 1e-12 of 0 or 1), the gradient is PyTorch's, not the exact
    derivative of the clamped loss.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.losses import BCELoss
    >>> loss_fn = BCELoss()
    >>> round(loss_fn(np.array([0.5, 0.5]), np.array([1.0, 0.0])), 6)  # log 2
    0.693147
    >>> loss_fn.backward()                     # (p - y) / (p (1 - p)) / N
    array([-1.,  1.])
    """

    class_decision = 0.5  # probabilities: class 1 where p > 1/2

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)
        self._p_minus_y = None  # cached p - y
        self._p_1mp = None      # cached p (1 - p)
        self._scale = None      # 1 / N or 1

    def forward(self, prediction, target) -> float:
        """Return the binary cross-entropy of probabilities and targets.

        Parameters
        ----------
        prediction : ndarray of shape (m, 1) or (m,) (any shape)
            Probabilities p in [0, 1].
        target : ndarray of the same shape
            Targets y in [0, 1], usually 0 or 1.

        Returns
        -------
        float
        """
        p, y = self._pair(prediction, target)
        _check_in_unit_interval(p, "BCELoss", "probabilities as prediction",
                                hint="Apply a sigmoid first, or pass the logits to "
                                     "BCEWithLogitsLoss.")
        _check_in_unit_interval(y, "BCELoss", "targets")
        with np.errstate(divide="ignore"):  # log(0) = -inf is clamped on the next line
            log_p = np.maximum(np.log(p), _BCE_LOG_FLOOR)
            log_1mp = np.maximum(np.log1p(-p), _BCE_LOG_FLOOR)
        total = -float(np.sum(y * log_p + (1 - y) * log_1mp))
        self._p_minus_y, self._p_1mp, self._scale = p - y, p * (1 - p), self._factor(p.size)
        return total * self._scale

    def backward(self) -> np.ndarray:
        """Return dL/dp = (p - y) / max(p (1 - p), 1e-12) / N.

        Returns
        -------
        ndarray of the prediction's shape (m, 1) and dtype
        """
        p_minus_y = self._cached(self._p_minus_y, "prediction")
        return p_minus_y / np.maximum(self._p_1mp, _BCE_GRAD_EPS) * self._scale


class BCEWithLogitsLoss(_Loss):
    r"""Binary cross-entropy on logits: a sigmoid and :class:`BCELoss` in one stable step.

    Parameters
    ----------
    pos_weight : float or array_like, optional, keyword-only
        Weight of the positive term, e.g. (number of negatives) / (number of positives) to
        balance classes. A scalar or an array that broadcasts to the prediction's shape
        without changing it, typically of shape (C,) for C independent binary outputs
        (PyTorch's semantics). Entries must be finite and >= 0. Default: no weighting.
    reduction : {"mean", "sum"}, keyword-only
        Average or add over all N entries.

    Raises
    ------
    ValueError
        If a target is outside [0, 1], the shapes differ, ``pos_weight`` is negative or does
        not broadcast to the prediction's shape.

    See Also
    --------
    BCELoss : The same loss on probabilities.
    FocalLoss : Down-weights easy examples. Chapter 8 (Losses and maximum likelihood) derives
        the stable form.

    Notes
    -----
    For logits :math:`z_i = \hat y_i`, probabilities :math:`p_i = \sigma(z_i)`, targets
    :math:`y_i \in [0, 1]` and positive weight :math:`w` (1 by default),

    .. math::
        \ell_i = -\big[ w\, y_i \log \sigma(z_i) + (1 - y_i) \log(1 - \sigma(z_i)) \big]
               = w\, y_i \operatorname{softplus}(-z_i) + (1 - y_i) \operatorname{softplus}(z_i),

    :math:`L = \frac1N \sum_i \ell_i`, and, since :math:`\operatorname{softplus}' = \sigma`,

    .. math::
        \frac{\partial L}{\partial z_i} = \frac1N \big[ (1 - y_i)\, p_i - w\, y_i (1 - p_i) \big]
        \;\overset{w=1}{=}\; \frac{p_i - y_i}{N}.

    *Stability.* Never form :math:`\log \sigma(z)`: with :math:`w = 1` the loss is
    :math:`\max(z, 0) - z y + \log(1 + e^{-|z|})`, evaluated here in the equivalent form
    :math:`y \max(-z, 0) + (1 - y) \max(z, 0) + \log(1 + e^{-|z|})`, which never subtracts
    two large numbers; ``exp`` only sees :math:`-|z| \le 0`, so logits of any size give finite
    values and no warnings. *Maximum likelihood*: the Bernoulli model of :class:`BCELoss` with
    :math:`p = \sigma(z)`.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.losses import BCEWithLogitsLoss
    >>> loss_fn = BCEWithLogitsLoss()
    >>> round(loss_fn(np.array([0.0, 0.0]), np.array([1.0, 0.0])), 6)  # sigma(0) = 1/2: log 2
    0.693147
    >>> loss_fn.backward()                                # (sigma(z) - y) / N
    array([-0.25,  0.25])
    >>> round(BCEWithLogitsLoss(pos_weight=3.0)(np.array([0.0]), np.array([1.0])), 6)  # 3 log 2
    2.079442
    """

    class_decision = 0.0  # logits: class 1 where z > 0, i.e. sigma(z) > 1/2

    def __init__(self, *, pos_weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self._p = self._y = self._w = self._scale = None  # cached sigma(z), y, weight, 1/N
        if pos_weight is not None:
            pos_weight = np.array(as_array(pos_weight, "BCEWithLogitsLoss", name="pos_weight"),
                                  dtype=np.float64)
            bad = ~(np.isfinite(pos_weight) & (pos_weight >= 0))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                where = "" if pos_weight.ndim == 0 else \
                    f" at position {_position(i, pos_weight.shape)}"
                raise ValueError(f"BCEWithLogitsLoss: expected pos_weight to be finite and "
                                 f">= 0, got {pos_weight.flat[i]}{where}.")
        self.pos_weight = pos_weight

    def extra_repr(self) -> str:
        if self.pos_weight is None:
            return f"reduction={self.reduction!r}"
        pw = self.pos_weight
        shown = float(pw) if pw.ndim == 0 else (pw.tolist() if pw.size <= 6 else
                                                 f"<array of shape {pw.shape}>")
        return f"pos_weight={shown}, reduction={self.reduction!r}"

    def forward(self, prediction, target) -> float:
        """Return the binary cross-entropy of logits and targets.

        Parameters
        ----------
        prediction : ndarray of shape (m, 1) or (m,) (any shape)
            Logits z.
        target : ndarray of the same shape
            Targets y in [0, 1].

        Returns
        -------
        float
        """
        z, y = self._pair(prediction, target)
        lowest, highest = _min_and_max(y)
        if not (lowest >= 0 and highest <= 1):  # written so that NaN fails too
            _check_in_unit_interval(y, "BCEWithLogitsLoss", "targets")
        if self.pos_weight is None:
            w = None
            # -y log p - (1 - y) log(1 - p) = softplus(z) - y z, and p = exp(z - softplus(z))
            sp_pos = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
            p = np.exp(z - sp_pos)
            total = float(np.sum(sp_pos - y * z))
        else:
            sp_pos, sp_neg = _softplus_pair(z)  # -log(1 - sigma(z)), -log(sigma(z))
            p = F.sigmoid(z)
            w = self.pos_weight
            try:
                fits = np.broadcast_shapes(w.shape, z.shape) == z.shape
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"BCEWithLogitsLoss: expected pos_weight that broadcasts to "
                                 f"the prediction's shape {z.shape} (e.g. one weight per "
                                 f"output, shape ({z.shape[-1] if z.ndim else 1},)), got "
                                 f"shape {w.shape}.")
            w = w.astype(z.dtype, copy=False)
            total = float(np.sum(w * y * sp_neg + (1 - y) * sp_pos))
        self._p, self._y, self._w, self._scale = p, y, w, self._factor(z.size)
        return total * self._scale

    def backward(self) -> np.ndarray:
        """Return dL/dz = ((1 - y) p - w y (1 - p)) / N; (p - y) / N without pos_weight.

        Returns
        -------
        ndarray of the logits' shape (m, 1) and dtype
        """
        p = self._cached(self._p, "prediction")
        y, w = self._y, self._w
        if w is None:
            return (p - y) * self._scale
        return ((1 - y) * p - w * y * (1 - p)) * self._scale


class FocalLoss(_Loss):
    r"""Binary focal loss on logits: cross-entropy that down-weights easy examples.

    Matches ``torchvision.ops.sigmoid_focal_loss`` (with ``reduction`` "mean" or "sum";
    torchvision's default is "none", whose ``.mean()`` is this loss's "mean").

    Parameters
    ----------
    alpha : float, keyword-only
        Weight of the positive class, in [0, 1]; negatives get ``1 - alpha``. A negative
        value switches the weighting off (torchvision's convention). Default 0.25.
    gamma : float >= 0, keyword-only
        Focusing parameter: how strongly well-classified examples are down-weighted.
        ``gamma = 0`` (with ``alpha < 0``) is :class:`BCEWithLogitsLoss`. Default 2.0.
    reduction : {"mean", "sum"}, keyword-only
        Average or add over all N entries.

    Raises
    ------
    ValueError
        If ``alpha > 1``, ``gamma < 0``, a target is outside [0, 1] or the shapes differ.

    See Also
    --------
    BCEWithLogitsLoss : The case gamma = 0 without alpha. Chapter 8 (Losses and maximum
        likelihood) has a slider for gamma.

    Notes
    -----
    For logits :math:`z_i`, :math:`p_i = \sigma(z_i)` and targets :math:`y_i \in [0, 1]`:

    .. math::
        \mathrm{ce}_i &= -[y_i \log p_i + (1 - y_i)\log(1 - p_i)]
            \quad\text{(BCE with logits, computed stably)} \\
        p_{t,i} &= p_i y_i + (1 - p_i)(1 - y_i), \qquad
        \alpha_{t,i} = \alpha y_i + (1 - \alpha)(1 - y_i) \\
        \ell_i &= \alpha_{t,i}\, (1 - p_{t,i})^\gamma\, \mathrm{ce}_i, \qquad
        L = \frac1N \sum_i \ell_i .

    For a positive example (:math:`y = 1`) this is :math:`\alpha (1 - p)^\gamma (-\log p)`:
    an example the model already gets right (:math:`p \to 1`) contributes almost nothing, so
    the many easy negatives of an imbalanced problem no longer swamp the few hard ones [1]_.

    *Gradient.* Write :math:`u = 1 - p_t = y(1 - p) + (1 - y)p`. With
    :math:`\partial\mathrm{ce}/\partial z = p - y`, :math:`\partial p/\partial z = p(1-p)`
    and :math:`\partial u/\partial z = p(1-p)(1 - 2y)`, the product rule gives

    .. math::
        \frac{\partial L}{\partial z_i} = \frac{\alpha_{t,i}}{N}\, u_i^\gamma
            \Big[ (p_i - y_i) + \gamma\, \mathrm{ce}_i\, \frac{p_i (1 - p_i)}{u_i}\,
            (1 - 2 y_i) \Big].

    The ratio :math:`p(1-p)/u` lies in [0, 2] for any :math:`y \in [0, 1]` (it is
    :math:`1-p` for :math:`y=0` and :math:`p` for :math:`y=1`), so writing the gradient this
    way avoids :math:`u^{\gamma-1}`, which is infinite at :math:`u = 0` for
    :math:`\gamma < 1`; where :math:`u = 0` the ratio's limit times :math:`\mathrm{ce} = 0` is
    0. For :math:`y = 1`: :math:`\partial \ell / \partial z = \alpha (1-p)^\gamma
    (\gamma p \log p - (1 - p))`.

    *Maximum likelihood.* With :math:`\gamma = 0` and no alpha it is the Bernoulli negative
    log-likelihood; for :math:`\gamma > 0` it is no longer a likelihood but a re-weighting of
    one.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollar, "Focal loss for dense
       object detection", ICCV 2017 (arXiv:1708.02002).

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.losses import FocalLoss
    >>> loss_fn = FocalLoss(alpha=0.25, gamma=2.0)
    >>> z, y = np.array([0.0]), np.array([1.0])     # p = 1/2: 0.25 * (1/2)^2 * log 2
    >>> bool(np.isclose(loss_fn(z, y), np.log(2) / 16))
    True
    >>> bool(np.isclose(loss_fn.backward()[0], 0.25 * 0.25 * (2 * 0.5 * np.log(0.5) - 0.5)))
    True
    """

    class_decision = 0.0  # logits: class 1 where z > 0

    def __init__(self, *, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean"):
        super().__init__(reduction)
        alpha = check_finite_scalar(alpha, "FocalLoss", "alpha")
        if alpha > 1:
            raise ValueError(f"FocalLoss: expected alpha in [0, 1] (or negative to switch the "
                             f"class weighting off), got {alpha}.")
        self.alpha = alpha
        self.gamma = check_nonnegative(gamma, "FocalLoss", "gamma")
        # cached by forward: p = sigma(z), q = 1 - p, y, u = 1 - p_t, ce, the factor
        # alpha_t u^gamma and 1 / N
        self._p = self._q = self._y = self._u = self._ce = self._weight = self._scale = None

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, gamma={self.gamma}, reduction={self.reduction!r}"

    def forward(self, prediction, target) -> float:
        """Return the focal loss of logits and targets.

        Parameters
        ----------
        prediction : ndarray of shape (m, 1) or (m,) (any shape)
            Logits z.
        target : ndarray of the same shape
            Targets y in [0, 1].

        Returns
        -------
        float
        """
        z, y = self._pair(prediction, target)
        _check_in_unit_interval(y, "FocalLoss", "targets")
        sp_pos, sp_neg = _softplus_pair(z)
        ce = y * sp_neg + (1 - y) * sp_pos
        p, q = F.sigmoid(z), F.sigmoid(-z)  # q = 1 - p without cancellation
        u = y * q + (1 - y) * p             # 1 - p_t
        factor = u ** self.gamma            # 0 ** 0 = 1, as in torch
        if self.alpha >= 0:
            factor = factor * (self.alpha * y + (1 - self.alpha) * (1 - y))
        total = float(np.sum(factor * ce))
        self._p, self._q, self._y, self._u, self._ce = p, q, y, u, ce
        self._weight, self._scale = factor, self._factor(z.size)
        return total * self._scale

    def backward(self) -> np.ndarray:
        """Return dL/dz = alpha_t u^gamma [(p - y) + gamma ce p (1 - p) / u (1 - 2y)] / N.

        Returns
        -------
        ndarray of the logits' shape (m, 1) and dtype
        """
        p = self._cached(self._p, "prediction")
        q, y, u, ce = self._q, self._y, self._u, self._ce
        pq = p * q
        ratio = np.divide(pq, u, out=np.zeros_like(pq), where=u > 0)
        inner = ((1 - y) * p - y * q) + self.gamma * ce * ratio * (1 - 2 * y)
        return self._weight * inner * self._scale


# --- multi-class classification ---------------------------------------------------------------
class CrossEntropyLoss(_Loss):
    r"""Softmax cross-entropy on logits, the negative log-likelihood of a categorical.

    Parameters
    ----------
    weight : array_like of shape (C,), optional, keyword-only
        A weight per class (finite, >= 0), e.g. to balance rare classes. Default: none.
    label_smoothing : float in [0, 1], keyword-only
        Mix the targets with the uniform distribution: y becomes (1 - eps) y + eps / C.
        Default 0.0.
    reduction : {"mean", "sum"}, keyword-only
        Average over the m examples (a weighted average with ``weight`` and class-index
        targets, see Notes) or add.

    Raises
    ------
    ValueError
        If the logits are not 2-D; class indices are out of range or not whole numbers;
        probability targets are negative or a row does not sum to 1 (tolerance 1e-6, or
        1000 machine epsilons of the logits' dtype if larger, i.e. about 1.2e-4 in float32);
        ``weight`` has the wrong length or negative entries; the weights of the targets sum
        to 0; ``label_smoothing`` is outside [0, 1].

    See Also
    --------
    BCEWithLogitsLoss : The two-class case with one logit. Chapter 8 (Losses and maximum
        likelihood) derives the gradient p - y from a categorical.

    Notes
    -----
    Logits :math:`z` of shape (m, C), one row per example. The model's class probabilities
    are :math:`p_{ic} = \operatorname{softmax}(z_i)_c` and the target is a distribution
    :math:`y_{ic}` over the C classes: the one-hot vector of the class index :math:`y_i`, or a
    row of given probabilities. Then

    .. math::
        L = -\frac1m \sum_{i=1}^m \sum_{c=1}^C y_{ic} \log p_{ic}, \qquad
        \frac{\partial L}{\partial z_{ic}} = \frac{p_{ic} - y_{ic}}{m},

    (drop :math:`1/m` for ``reduction="sum"``). The log-probabilities are computed as
    :math:`\log p_{ic} = z_{ic} - \operatorname{logsumexp}(z_i)` (with the row maximum
    subtracted first), so no probability is ever rounded to 0 and its log never taken.

    *Maximum likelihood.* If :math:`y_i \sim \text{Categorical}(p_i)` with
    :math:`p_i = \operatorname{softmax}(z_i)`, then :math:`-\log p(y_i) = -\log p_{i y_i}`:
    the cross-entropy with the one-hot target [1]_.

    *Label smoothing* [2]_ (PyTorch's semantics) replaces the target by
    :math:`(1 - \varepsilon) y_{ic} + \varepsilon / C`; the formulas above hold with the
    smoothed target, and for class indices the mean is still over the m examples.

    *Class weights* (PyTorch's semantics). With weights :math:`w_c` the loss becomes
    :math:`\sum_i \sum_c a_{ic} (-\log p_{ic}) / D` with :math:`a_{ic} = w_c y_{ic}`. For
    class-index targets and ``reduction="mean"`` the divisor is the total weight of the
    targets, :math:`D = \sum_i w_{y_i}` (a weighted average); with label smoothing the smoothed
    part uses :math:`a_{ic} = (1 - \varepsilon) w_{y_i} [c = y_i] + \varepsilon w_c / C`
    and the same :math:`D`. For probability targets :math:`D = m`. For ``"sum"``, :math:`D =
    1`. In general

    .. math::
        \frac{\partial L}{\partial z_{ic}} = \frac{1}{D}
            \Big( p_{ic} \sum_{k} a_{ik} - a_{ic} \Big),

    which reduces to :math:`(p_{ic} - y_{ic})/m` when each row of :math:`a` sums to 1.

    Class-index targets may be given as integers or as floats holding whole numbers
    (PyTorch insists on integers). PyTorch's ``ignore_index`` is not offered.

    References
    ----------
    .. [1] C. M. Bishop, "Pattern Recognition and Machine Learning", Springer 2006,
       Section 4.3.4 (multiclass logistic regression).
    .. [2] C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens and Z. Wojna, "Rethinking the
       Inception architecture for computer vision", CVPR 2016 (label smoothing).

    Examples
    --------
    Logits (0, log 2, log 3) give probabilities (1, 2, 3) / 6; the true class is 2:

    >>> import numpy as np
    >>> from nnlib.losses import CrossEntropyLoss
    >>> loss_fn = CrossEntropyLoss()
    >>> z = np.log(np.array([[1.0, 2.0, 3.0]]))
    >>> bool(np.isclose(loss_fn(z, np.array([2])), np.log(2)))  # -log(3/6)
    True
    >>> np.round(loss_fn.backward() * 6, 12)                     # p - onehot = (1, 2, -3)/6
    array([[ 1.,  2., -3.]])
    """

    class_decision = "argmax"  # the class with the largest logit

    def __init__(self, *, weight=None, label_smoothing: float = 0.0, reduction: str = "mean"):
        super().__init__(reduction)
        self.label_smoothing = check_probability(label_smoothing, "CrossEntropyLoss",
                                                 "label_smoothing", upper_inclusive=True)
        if weight is not None:
            weight = np.array(as_array(weight, "CrossEntropyLoss", name="weight"),
                              dtype=np.float64)
            check_ndim(weight, 1, "CrossEntropyLoss", name="weight",
                       hint="Give one weight per class.")
            bad = ~(np.isfinite(weight) & (weight >= 0))
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ValueError(f"CrossEntropyLoss: expected class weights that are finite "
                                 f"and >= 0, got {weight[i]} at position {i}.")
        self.weight = weight
        # cached by forward: log p, the class indices (lean case) or the target weights a
        # (in general), and 1 / D
        self._log_p = self._index = self._a = self._scale = None

    def extra_repr(self) -> str:
        parts = []
        if self.weight is not None:
            w = self.weight
            parts.append(f"weight={w.tolist() if w.size <= 6 else f'<array of shape {w.shape}>'}")
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        parts.append(f"reduction={self.reduction!r}")
        return ", ".join(parts)

    def _class_indices(self, target: np.ndarray, m: int, C: int) -> np.ndarray:
        where = "CrossEntropyLoss"
        if target.shape[0] != m:
            raise ValueError(f"{where}: expected {m} class indices (one per row of the logits), "
                             f"got target of shape {target.shape}.")
        if target.dtype.kind in "iu":
            lowest, highest = _min_and_max(target) if target.size else (0, 0)
            if lowest < 0 or highest >= C:
                i = int(np.flatnonzero((target < 0) | (target >= C))[0])
                raise ValueError(f"{where}: expected class indices in [0, {C}), got "
                                 f"{target[i]} at position {i}.")
            return target.astype(np.intp)  # a copy, so later changes by the caller don't matter
        whole = np.isfinite(target) & (target == np.floor(target))
        if not whole.all():
            i = int(np.flatnonzero(~whole)[0])
            raise ValueError(f"{where}: expected class indices (whole numbers in [0, {C})), got "
                             f"{target[i]} at position {i}. For class probabilities pass a "
                             f"target of shape ({m}, {C}).")
        idx = target.astype(np.intp)
        outside = (idx < 0) | (idx >= C)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise ValueError(f"{where}: expected class indices in [0, {C}), got {idx[i]} at "
                             f"position {i}.")
        return idx

    def _probabilities(self, target: np.ndarray, z: np.ndarray) -> np.ndarray:
        where = "CrossEntropyLoss"
        check_same_shape(z, target, where, a_name="logits")
        bad = ~((target >= 0) & (target <= 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{where}: expected probability targets in [0, 1], got "
                             f"{target.flat[i]} at position {_position(i, target.shape)}.")
        sums = target.sum(axis=1)
        tol = max(1e-6, 1000 * float(np.finfo(z.dtype).eps))
        off = np.abs(sums - 1) > tol
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise ValueError(f"{where}: expected each row of probability targets to sum to 1 "
                             f"(within {tol:.1e}), got {sums[i]} in row {i}.")
        return target

    def forward(self, prediction, target) -> float:
        """Return the cross-entropy of softmax(logits) and the targets.

        Parameters
        ----------
        prediction : ndarray of shape (m, C)
            Logits z, one row of C class scores per example.
        target : ndarray of shape (m,) or (m, C)
            Class indices in 0..C-1, or a probability distribution over the classes per row.

        Returns
        -------
        float
        """
        where = "CrossEntropyLoss"
        z = self._prediction(prediction, name="logits")
        check_ndim(z, 2, where, name="array of logits",
                   hint="Pass logits of shape (m, C): one row of C class scores per example.")
        m, C = z.shape
        if isinstance(target, np.ndarray) and target.dtype.kind in "iu":
            tgt = target  # class indices as integers: no float conversion needed
        else:
            tgt = as_array(target, where, name="target")
        w = None
        if self.weight is not None:
            if self.weight.shape != (C,):
                raise ValueError(f"{where}: expected weight with one entry per class, shape "
                                 f"({C},), got shape {self.weight.shape}.")
            w = self.weight.astype(z.dtype, copy=False)
        eps = self.label_smoothing
        log_p = F.log_softmax(z, axis=1)
        if tgt.ndim == 1 and w is None and not eps:  # the common case, kept lean
            idx = self._class_indices(tgt, m, C)
            self._log_p, self._index, self._a = log_p, idx, None
            self._scale = self._factor(m)
            return -float(np.sum(log_p[np.arange(m), idx])) * self._scale
        if tgt.ndim == 1:
            idx = self._class_indices(tgt, m, C)
            rows = np.arange(m)
            a = np.zeros_like(z)
            if w is None:
                a[rows, idx] = 1 - eps
                if eps:
                    a += eps / C
                denom = m
            else:
                w_y = w[idx]
                a[rows, idx] = (1 - eps) * w_y
                if eps:
                    a += (eps / C) * w
                denom = float(np.sum(w_y))
                if denom <= 0 and self.reduction == "mean":
                    raise ValueError(f"{where}: the class weights of the targets sum to 0, so "
                                     f"their weighted mean is undefined; got weight "
                                     f"{self.weight.tolist()} and targets of classes "
                                     f"{sorted(set(idx.tolist()))}.")
        elif tgt.ndim == 2:
            q = self._probabilities(tgt.astype(z.dtype, copy=False), z)
            a = (1 - eps) * q + eps / C if eps else q.copy()
            if w is not None:
                a *= w
            denom = m
        else:
            raise ValueError(f"{where}: expected target of shape ({m},) with class indices or "
                             f"({m}, {C}) with class probabilities, got shape {tgt.shape}.")
        self._log_p, self._index, self._a = log_p, None, a
        self._scale = 1.0 / denom if self.reduction == "mean" else 1.0
        return -float(np.vdot(a, log_p)) * self._scale

    def backward(self) -> np.ndarray:
        """Return dL/dz = (p * sum_k a_k - a) / D, i.e. (softmax(z) - y) / m without weights.

        Returns
        -------
        ndarray of shape (m, C), the logits' dtype
        """
        p = np.exp(self._cached(self._log_p, "logits"))
        if self._index is not None:  # class indices: dL/dz = (p - one_hot(y)) / m
            p[np.arange(p.shape[0]), self._index] -= 1
            p *= self._scale
            return p
        a = self._a
        return (p * a.sum(axis=1, keepdims=True) - a) * self._scale
