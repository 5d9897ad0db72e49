"""Numerical gradient checking: the test every backward pass in this book must pass.

A central difference ``(f(x + eps) - f(x - eps)) / (2 eps)`` has error of order eps^2, so in
float64 with eps = 1e-6 an analytic gradient that is right agrees with it to a relative
error of about 1e-7 or better; a wrong one is off by 1e-2 or more (Chapter 5).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_positive, make_rng
from ._checks import check_module as _check_module
from .core import Module

__all__ = ["numerical_grad", "rel_error", "check_module", "check_loss"]


def numerical_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference estimate of the gradient of a scalar function ``f`` at ``x``.

    ``x`` is perturbed *in place*, one entry at a time, and restored afterwards, so ``f`` may
    read ``x`` through a closure (e.g. a layer's weight array).

    Parameters
    ----------
    f : callable
        ``f()`` or ``f(x)`` returning a scalar. It is called as ``f(x)``.
    x : ndarray of float
        The point; float64 is needed for the estimate to be accurate.
    eps : float
        The step; 1e-6 balances truncation error (eps^2) against round-off (1e-16 / eps).

    Returns
    -------
    grad : ndarray of the same shape as ``x``

    Notes
    -----
    .. math:: \\frac{\\partial f}{\\partial x_i} \\approx
              \\frac{f(x + \\epsilon e_i) - f(x - \\epsilon e_i)}{2\\epsilon}

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> np.round(numerical_grad(lambda v: np.sum(v ** 3), x), 6)
    array([ 3., 12.])
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"numerical_grad: expected x to be a float ndarray (it is perturbed in "
                        f"place), got {type(x).__name__}"
                        f"{' of dtype ' + str(x.dtype) if isinstance(x, np.ndarray) else ''}.")
    eps = check_positive(eps, "numerical_grad", "eps")
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_grad: x must be contiguous so it can be perturbed in place.")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = float(f(x))
        flat[i] = old - eps
        minus = float(f(x))
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def rel_error(a, b, tiny: float = 1e-12) -> float:
    """Relative error between two arrays: ``||a - b|| / max(||a|| + ||b||, tiny)``.

    The norms are Euclidean norms of the whole arrays. Dividing by ``||a|| + ||b||`` (not by
    ``||b||``) keeps the measure symmetric; ``tiny`` stops a division by zero when both are
    zero. An elementwise ratio would be dominated by entries that are almost zero, where a
    central difference has round-off of about ``1e-16 |f| / eps`` and no meaningful digits.

    Parameters
    ----------
    a, b : array_like of the same shape

    Returns
    -------
    float
        About 1e-7 or below for a correct float64 gradient; 1e-2 or more for a wrong one.

    Examples
    --------
    >>> rel_error([1.0, 0.0], [1.0 + 1e-9, 0.0]) < 1e-9
    True
    >>> round(rel_error([1.0, 2.0], [1.0, -2.0]), 3)  # 4 / (2 sqrt(5))
    0.894
    """
    a = as_array(a, "rel_error", name="a")
    b = as_array(b, "rel_error", name="b")
    if a.shape != b.shape:
        raise ValueError(f"rel_error: expected a and b of the same shape, got {a.shape} "
                         f"and {b.shape}.")
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), tiny))


def check_module(module: Module, x, eps: float = 1e-6, rng=0, reseed=None) -> float:
    """Worst relative error between ``module.backward`` and central differences.

    The scalar checked is ``L = sum(G * module(x))`` for a fixed random upstream gradient
    ``G``, so ``dL/d(output) = G`` and ``backward(G)`` must return ``dL/dx`` and put
    ``dL/dp`` into every parameter's ``grad``. Both the input gradient and every parameter
    gradient are compared; the largest relative error is returned. Use float64.

    Parameters
    ----------
    module : Module
        The module, in the mode (train or eval) to check.
    x : ndarray of shape (m, ...)
        A float64 input.
    eps : float
        Finite-difference step.
    rng : Generator, int or None
        Draws the upstream gradient ``G``.
    reseed : callable, optional
        Called before every forward pass; a layer with randomness (Dropout) passes a
        function that resets its generator, so every pass draws the same mask.

    Returns
    -------
    float
        The worst relative error; about 1e-7 or below means the backward pass is right.

    Examples
    --------
    >>> from nnlib.layers import Linear
    >>> check_module(Linear(3, 2, rng=0), np.random.default_rng(1).normal(size=(4, 3))) < 1e-7
    True
    """
    _check_module(module, "check_module", "module")
    x = np.array(as_array(x, "check_module", name="x"), dtype=np.float64)
    rng = make_rng(rng, "check_module")

    def forward(inp):
        if reseed is not None:
            reseed()
        return module.forward(inp)

    out = forward(x)
    upstream = rng.normal(size=np.shape(out))
    module.zero_grad()
    grad_x = module.backward(upstream)
    analytic = [grad_x] + [p.grad.copy() for p in module.parameters()]

    def loss(_):
        return float(np.sum(upstream * forward(x)))

    numeric = [numerical_grad(loss, x, eps)]
    numeric += [numerical_grad(loss, p.data, eps) for p in module.parameters()]
    return max(rel_error(a, n) for a, n in zip(analytic, numeric, strict=True))


def check_loss(loss_fn, prediction, target, eps: float = 1e-6) -> float:
    """Worst relative error between ``loss_fn.backward()`` and central differences.

    Parameters
    ----------
    loss_fn : loss object
        Called as ``loss_fn(prediction, target)`` returning a float; ``backward()`` returns
        dL/d(prediction).
    prediction : ndarray
        Float64 predictions (logits or probabilities, as the loss expects).
    target : ndarray
        Targets; held fixed.

    Returns
    -------
    float

    Examples
    --------
    >>> from nnlib.losses import MSELoss
    >>> rng = np.random.default_rng(0)
    >>> check_loss(MSELoss(), rng.normal(size=(5, 2)), rng.normal(size=(5, 2))) < 1e-7
    True
    """
    if not callable(loss_fn) or not hasattr(loss_fn, "backward"):
        raise TypeError(f"check_loss: expected a loss with a backward() method, got "
                        f"{type(loss_fn).__name__}.")
    pred = np.array(as_array(prediction, "check_loss", name="prediction"), dtype=np.float64)
    loss_fn(pred, target)
    analytic = loss_fn.backward()
    numeric = numerical_grad(lambda p: loss_fn(p, target), pred, eps)
    return rel_error(analytic, numeric)
