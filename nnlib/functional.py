"""Activation functions and their derivatives, as plain numpy functions.

Each function ``f`` has a companion ``f_grad`` giving the elementwise derivative f'(x) with
respect to the input (softmax, whose Jacobian is not diagonal, has ``softmax_jvp`` and
``softmax_vjp`` instead). Chapter 3 derives every formula here; the layers in
:mod:`nnlib.layers` call these functions, so the book and the library compute the same thing.

Every function is numerically stable in float64 for inputs up to ``|x| = 1e4``: no overflow
warning, no NaN. The trick is always the same: never evaluate ``exp`` of a large positive
number (Chapter 4, "Numerical issues").
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_choice, check_finite_scalar, check_nonnegative

__all__ = [
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad", "prelu", "elu", "elu_grad", "selu", "selu_grad",
    "gelu", "gelu_grad", "silu", "silu_grad", "swish", "swish_grad",
    "softplus", "softplus_grad", "softmax", "softmax_jvp", "softmax_vjp",
    "log_softmax", "log_softmax_vjp", "logsumexp", "logsumexp_grad",
    "SELU_ALPHA", "SELU_SCALE",
]

#: SELU's constants (Klambauer et al., 2017), chosen so that activations converge to
#: mean 0 and variance 1 under LeCun-normal initialisation.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))
_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))
_GELU_C = 0.044715


def _arr(x, where):
    return as_array(x, where, name="x")


# --- sigmoid and tanh ---
def sigmoid(x):
    """Logistic sigmoid, sigma(x) = 1 / (1 + exp(-x)), computed without overflow.

    Parameters
    ----------
    x : array_like
        Any shape.

    Returns
    -------
    ndarray of the same shape, values in [0, 1].

    Notes
    -----
    Written as :math:`1/(1+e^{-x})` for :math:`x \\ge 0` and :math:`e^{x}/(1+e^{x})` for
    :math:`x < 0`, so ``exp`` only ever sees :math:`-|x| \\le 0`. Range (0, 1); derivative
    :math:`\\sigma'(x) = \\sigma(x)(1-\\sigma(x)) \\le 1/4`.

    See Also
    --------
    sigmoid_grad : its derivative. Chapter 3 (Activation functions) derives it; Chapter 4
    explains the stable form.

    Examples
    --------
    >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    x = _arr(x, "sigmoid")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def sigmoid_grad(x):
    """Derivative of the sigmoid: sigma'(x) = sigma(x) (1 - sigma(x)), at most 1/4 (at x = 0).

    Examples
    --------
    >>> float(sigmoid_grad(0.0))
    0.25
    """
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    """Hyperbolic tangent, tanh(x) = 2 sigma(2x) - 1; range (-1, 1), zero-centred.

    Examples
    --------
    >>> bool(np.isclose(tanh(0.5), 2 * sigmoid(1.0) - 1))
    True
    """
    return np.tanh(_arr(x, "tanh"))


def tanh_grad(x):
    """Derivative of tanh: 1 - tanh(x)^2, at most 1 (at x = 0).

    Examples
    --------
    >>> float(tanh_grad(0.0))
    1.0
    """
    t = np.tanh(_arr(x, "tanh_grad"))
    return 1.0 - t * t


# --- the ReLU family ---
def relu(x):
    """Rectified linear unit, max(0, x).

    References
    ----------
    .. [1] V. Nair and G. E. Hinton, "Rectified linear units improve restricted Boltzmann
       machines", ICML 2010.

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return np.maximum(_arr(x, "relu"), 0.0)


def relu_grad(x):
    """Derivative of ReLU, 1[x > 0] (0 at x = 0, as in PyTorch).

    Examples
    --------
    >>> relu_grad(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    x = _arr(x, "relu_grad")
    return (x > 0).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def leaky_relu(x, negative_slope: float = 0.01):
    """Leaky ReLU: x for x >= 0, negative_slope * x otherwise (Maas et al., 2013).

    Examples
    --------
    >>> leaky_relu(np.array([-2.0, 3.0]), 0.1)
    array([-0.2,  3. ])
    """
    x = _arr(x, "leaky_relu")
    a = check_finite_scalar(negative_slope, "leaky_relu", "negative_slope")
    return np.where(x >= 0, x, a * x)


def leaky_relu_grad(x, negative_slope: float = 0.01):
    """Derivative of leaky ReLU: 1 for x > 0, negative_slope otherwise.

    Examples
    --------
    >>> leaky_relu_grad(np.array([-2.0, 3.0]), 0.1)
    array([0.1, 1. ])
    """
    x = _arr(x, "leaky_relu_grad")
    a = check_finite_scalar(negative_slope, "leaky_relu_grad", "negative_slope")
    return np.where(x > 0, 1.0, a).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def prelu(x, weight):
    """Parametric ReLU: x for x >= 0, weight * x otherwise, with a learned slope ``weight``.

    ``weight`` is a scalar or has one entry per feature (the last axis of ``x``).
    The derivative is 1 / ``weight`` with respect to x and x 1[x < 0] with respect to the
    slope (He et al., 2015).

    Examples
    --------
    >>> prelu(np.array([[-2.0, 3.0]]), 0.25)
    array([[-0.5,  3. ]])
    """
    x = _arr(x, "prelu")
    return np.where(x >= 0, x, np.asarray(weight) * x)


def elu(x, alpha: float = 1.0):
    """Exponential linear unit: x for x > 0, alpha (exp(x) - 1) otherwise; range (-alpha, inf).

    ``expm1`` is evaluated on min(x, 0) only, so large positive inputs never overflow.

    References
    ----------
    .. [1] D.-A. Clevert, T. Unterthiner and S. Hochreiter, "Fast and accurate deep network
       learning by exponential linear units (ELUs)", ICLR 2016.

    Examples
    --------
    >>> np.round(elu(np.array([-1e4, 0.0, 2.0])), 4)
    array([-1.,  0.,  2.])
    """
    x = _arr(x, "elu")
    alpha = check_nonnegative(alpha, "elu", "alpha")
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def elu_grad(x, alpha: float = 1.0):
    """Derivative of ELU: 1 for x > 0, alpha exp(x) otherwise.

    Examples
    --------
    >>> float(elu_grad(0.0))
    1.0
    """
    x = _arr(x, "elu_grad")
    alpha = check_nonnegative(alpha, "elu_grad", "alpha")
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def selu(x):
    """Scaled ELU: SELU_SCALE * elu(x, SELU_ALPHA) (Klambauer et al., 2017).

    With LeCun-normal weights (Var(w) = 1/n_in) a deep SELU network keeps activations near
    mean 0, variance 1 without normalisation layers (Chapter 11).

    References
    ----------
    .. [1] G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter, "Self-normalizing neural
       networks", NeurIPS 2017.

    Examples
    --------
    >>> round(float(selu(1.0)), 6)
    1.050701
    """
    return SELU_SCALE * elu(x, SELU_ALPHA)


def selu_grad(x):
    """Derivative of SELU: SELU_SCALE for x > 0, SELU_SCALE * SELU_ALPHA exp(x) otherwise."""
    return SELU_SCALE * elu_grad(x, SELU_ALPHA)


# --- smooth ReLU-like functions ---
def _check_approximate(approximate, where):
    check_choice(approximate, ("none", "tanh"), where, "approximate")


def _normal_cdf(x):
    """Phi(x), the standard normal CDF, from scipy (imported on first use, so that
    ``import nnlib`` does not pay for scipy)."""
    from scipy.special import ndtr

    return ndtr(x)


def gelu(x, approximate: str = "none"):
    """Gaussian error linear unit, x Phi(x), where Phi is the standard normal CDF.

    Parameters
    ----------
    x : array_like
    approximate : {'none', 'tanh'}
        'none' is the exact x Phi(x); 'tanh' is Hendrycks and Gimpel's approximation
        0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as in PyTorch.

    Notes
    -----
    GELU is not monotone: its minimum is about -0.17, near x = -0.75 (Chapter 3).

    References
    ----------
    .. [1] D. Hendrycks and K. Gimpel, "Gaussian error linear units (GELUs)", arXiv:1606.08415.

    Examples
    --------
    >>> round(float(gelu(1.0)), 6), round(float(gelu(1.0, approximate="tanh")), 6)
    (0.841345, 0.841192)
    """
    _check_approximate(approximate, "gelu")
    x = _arr(x, "gelu")
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x ** 3)))
    return x * _normal_cdf(x)


def gelu_grad(x, approximate: str = "none"):
    """Derivative of GELU: Phi(x) + x phi(x) (exact), or the derivative of the tanh form.

    Examples
    --------
    >>> float(gelu_grad(0.0))
    0.5
    """
    _check_approximate(approximate, "gelu_grad")
    x = _arr(x, "gelu_grad")
    if approximate == "tanh":
        u = _SQRT_2_OVER_PI * (x + _GELU_C * x ** 3)
        t = np.tanh(u)
        du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * x * x)
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du
    # phi(x) = exp(-x^2/2)/sqrt(2 pi) underflows to 0 quietly for large |x|, which is right
    return _normal_cdf(x) + x * np.exp(-0.5 * x * x) * _INV_SQRT_2PI


def silu(x):
    """SiLU / Swish: x sigma(x) (Elfwing et al., 2018; Ramachandran et al., 2017).

    Its minimum is about -0.278, near x = -1.278 (Chapter 3).

    Examples
    --------
    >>> round(float(silu(1.0)), 6)
    0.731059
    """
    x = _arr(x, "silu")
    return x * sigmoid(x)


def silu_grad(x):
    """Derivative of SiLU: swish(x) + sigma(x) (1 - swish(x)).

    Examples
    --------
    >>> float(silu_grad(0.0))
    0.5
    """
    x = _arr(x, "silu_grad")
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


swish = silu
swish_grad = silu_grad


def softplus(x):
    """Softplus, log(1 + exp(x)), a smooth ReLU; computed as logaddexp(0, x).

    Examples
    --------
    >>> softplus(np.array([-1e4, 0.0, 1e4]))
    array([0.00000000e+00, 6.93147181e-01, 1.00000000e+04])
    """
    return np.logaddexp(0.0, _arr(x, "softplus"))


def softplus_grad(x):
    """Derivative of softplus: the sigmoid."""
    return sigmoid(x)


# --- softmax and friends ---
def logsumexp(x, axis: int = -1, keepdims: bool = False):
    """log(sum(exp(x))) along ``axis``, computed as m + log(sum(exp(x - m))) with m = max(x).

    Examples
    --------
    >>> float(logsumexp(np.array([1e4, 1e4])))  # the naive form overflows
    10000.69314718056
    """
    x = _arr(x, "logsumexp")
    # np.maximum.reduce and np.add.reduce are np.max and np.sum without their Python
    # wrappers (the same numbers, a few microseconds sooner on a small batch)
    m = np.maximum.reduce(x, axis=axis, keepdims=True)
    out = m + np.log(np.add.reduce(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def logsumexp_grad(x, axis: int = -1):
    """Gradient of logsumexp: the softmax of x."""
    return softmax(x, axis=axis)


def softmax(x, axis: int = -1):
    """Softmax along ``axis``: exp(x_i - max x) / sum_j exp(x_j - max x).

    Parameters
    ----------
    x : ndarray, e.g. logits of shape (m, C)
    axis : int
        The class axis; -1 (the last) for batch-first logits.

    Notes
    -----
    Subtracting the maximum does not change the result (it cancels in the ratio) but keeps
    every exponent <= 0. The Jacobian is diag(p) - p p^T; see :func:`softmax_vjp`.

    Examples
    --------
    >>> softmax(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    x = _arr(x, "softmax")
    # np.max and np.sum without their Python wrappers, as in logsumexp
    e = np.exp(x - np.maximum.reduce(x, axis=axis, keepdims=True))
    return e / np.add.reduce(e, axis=axis, keepdims=True)


def _softmax_vjp_from_output(p, grad_out, axis):
    return p * (grad_out - np.sum(grad_out * p, axis=axis, keepdims=True))


def softmax_vjp(x, grad_out, axis: int = -1):
    """Vector-Jacobian product of softmax: g^T J = p * (g - sum(g * p)).

    This is what backpropagation needs: given dL/dp (``grad_out``), return dL/dx.

    Examples
    --------
    >>> x, g = np.array([0.3, -1.0, 2.0]), np.array([1.0, 0.0, 0.0])
    >>> p = softmax(x)
    >>> bool(np.allclose(softmax_vjp(x, g), (np.diag(p) - np.outer(p, p)).T @ g))
    True
    """
    p = softmax(x, axis=axis)
    g = as_array(grad_out, "softmax_vjp", name="grad_out")
    if g.shape != p.shape:
        raise ValueError(f"softmax_vjp: expected grad_out of the same shape as x {p.shape}, "
                         f"got {g.shape}.")
    return _softmax_vjp_from_output(p, g, axis)


def softmax_jvp(x, v, axis: int = -1):
    """Jacobian-vector product of softmax: J v = p * (v - sum(p * v)).

    The softmax Jacobian is symmetric, so JVP and VJP have the same formula; they are
    separate functions because forward mode (Chapter 6) pushes tangents v forward while
    reverse mode pulls gradients back.
    """
    p = softmax(x, axis=axis)
    v = as_array(v, "softmax_jvp", name="v")
    if v.shape != p.shape:
        raise ValueError(f"softmax_jvp: expected v of the same shape as x {p.shape}, "
                         f"got {v.shape}.")
    return p * (v - np.sum(p * v, axis=axis, keepdims=True))


def log_softmax(x, axis: int = -1):
    """log(softmax(x)) = x - logsumexp(x), without ever forming a tiny probability.

    Examples
    --------
    >>> log_softmax(np.array([0.0, -1e4]))
    array([     0., -10000.])
    """
    x = _arr(x, "log_softmax")
    return x - logsumexp(x, axis=axis, keepdims=True)


def log_softmax_vjp(x, grad_out, axis: int = -1):
    """Vector-Jacobian product of log_softmax: g - softmax(x) * sum(g)."""
    p = softmax(x, axis=axis)
    g = as_array(grad_out, "log_softmax_vjp", name="grad_out")
    if g.shape != p.shape:
        raise ValueError(f"log_softmax_vjp: expected grad_out of the same shape as x "
                         f"{p.shape}, got {g.shape}.")
    return g - p * np.sum(g, axis=axis, keepdims=True)
