"""Layers: the Modules that networks are built from.

Every layer caches in ``forward`` what its ``backward`` needs, and ``backward(grad_out)``
returns dL/d(input) while *adding* dL/d(parameter) into each parameter's ``grad``; the two
methods sit next to each other and read like the derivation (Chapters 3-5): Linear's
backward is dW = delta^T x, db = the column sums of delta, dx = delta W. The activation
functions themselves live in :mod:`nnlib.functional`. Each class also states what kind of
layer it is (``is_activation``, ``units_can_die``, ``saturated_outside``), which
:mod:`nnlib.probes` reads.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from ._checks import (as_array, check_choice, check_dtype, check_features, check_finite_scalar,
                      check_int, check_module, check_ndim, check_nonnegative, make_rng)
from .core import Module, Parameter, Sequential, _check_each_module_once
from .dropout import Dropout  # noqa: F401  (nnlib.layers.Dropout, as the API promises)
from .normalization import (BatchNorm1d, GroupNorm, InstanceNorm1d,  # noqa: F401
                            LayerNorm, RMSNorm)

__all__ = [
    "Linear", "Identity", "Flatten", "Residual", "Dropout", "BatchNorm1d", "LayerNorm",
    "RMSNorm", "GroupNorm", "InstanceNorm1d",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "SiLU", "Swish",
    "Softplus", "Softmax", "mlp", "ACTIVATIONS",
]


class Linear(Module):
    """Fully connected (affine) layer: z = x W^T + b for a batch, z = W x + b for one example.

    Parameters
    ----------
    in_features : int
        n_(l-1), the number of input features.
    out_features : int
        n_l, the number of units.
    bias : bool
        Whether to learn the bias b.
    init : {'he', 'xavier', 'lecun', 'torch'} or callable
        How to draw the weights (Chapter 11): 'he' is N(0, 2 / n_in), 'xavier' is
        U(-sqrt(6 / (n_in + n_out)), +sqrt(6 / (n_in + n_out))), 'lecun' is N(0, 1 / n_in),
        'torch' is PyTorch's default U(-1/sqrt(n_in), 1/sqrt(n_in)), 'zeros' is all zeros
        (the symmetry problem of Chapter 11). A callable is called as
        ``init(shape, rng=rng, dtype=dtype)``. Biases start at zero.
    rng : Generator, int or None
        Source of the random initial weights.
    dtype : numpy dtype
        float64 (default, needed for gradient checks) or float32.

    Attributes
    ----------
    weight : Parameter of shape (out_features, in_features)
        W, laid out like ``torch.nn.Linear.weight``.
    bias : Parameter of shape (out_features,) or None
        b.

    Notes
    -----
    Forward, for a batch X of shape (m, n_in):

    .. math:: Z = X W^\\top + b

    Backward, given the error signal :math:`\\delta = \\partial L / \\partial Z` of shape
    (m, n_out):

    .. math:: \\frac{\\partial L}{\\partial W} = \\delta^\\top X, \\qquad
              \\frac{\\partial L}{\\partial b} = \\sum_i \\delta_{i,:}, \\qquad
              \\frac{\\partial L}{\\partial X} = \\delta W

    A forward pass costs about 2 n_in n_out floating point operations per example; the
    backward pass twice that (two matrix products), one of which, dL/dX, is skipped when X
    is the data (``backward(grad_out, input_grad=False)``).

    See Also
    --------
    Chapter 4 (Forward propagation) and Chapter 5 (Backpropagation) derive these formulas.

    Examples
    --------
    >>> layer = Linear(2, 1, rng=0)
    >>> layer.weight.data[:] = [[0.6, 0.5]]; layer.bias.data[:] = 0.3
    >>> layer(np.array([[0.627, 0.606]])).round(3)
    array([[0.979]])
    """

    def __init__(self, in_features, out_features, bias=True, init="he", rng=None,
                 dtype=np.float64):
        super().__init__()
        self.in_features = check_int(in_features, "Linear", "in_features", minimum=1)
        self.out_features = check_int(out_features, "Linear", "out_features", minimum=1)
        dtype = check_dtype(dtype, "Linear")
        from .init import get_initializer

        draw = get_initializer(init)
        weight = np.asarray(draw((self.out_features, self.in_features), rng=rng, dtype=dtype))
        if weight.shape != (self.out_features, self.in_features):
            raise ValueError(f"Linear: the init function returned shape {weight.shape}, "
                             f"expected {(self.out_features, self.in_features)}.")
        self.weight = Parameter(weight.astype(dtype, copy=False))
        self.bias = Parameter(np.zeros(self.out_features, dtype=dtype)) if bias else None
        self._x = None
        self._ones = np.ones(0, dtype=dtype)  # a vector of m ones; see _batch_sum

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")

    def forward(self, x):
        """z = x W^T + b; the input is cached for ``backward``.

        Parameters
        ----------
        x : ndarray of shape (m, in_features), or (in_features,) for one example
            A batch of inputs a^(l-1), one per row; cast to the weight's dtype.

        Returns
        -------
        ndarray of shape (m, out_features), or (out_features,)
            The pre-activations z.
        """
        W = self.weight.data
        x = as_array(x, self, dtype=W.dtype)
        if x.ndim not in (1, 2):
            check_ndim(x, (1, 2), self,
                       hint="Use shape (m, in_features) for a batch of m examples.")
        check_features(x, self.in_features, self)
        self._x = x
        z = x @ W.T
        if self.bias is not None:
            z += self.bias.data
        return z

    def backward(self, grad_out, input_grad: bool = True):
        """Add dL/dW and dL/db into the parameters' ``grad`` and return dL/dx.

        Parameters
        ----------
        grad_out : ndarray of shape (m, out_features), or (out_features,)
            delta = dL/dz, the error signal of this layer.
        input_grad : bool
            False skips dL/dx (a matrix product) and returns None: when x is the data,
            nobody needs its gradient.

        Returns
        -------
        ndarray of shape (m, in_features), or (in_features,); or None
            dL/dx = delta W, the input's shape.
        """
        x = self._cached(self._x)
        delta = self._check_grad_out(grad_out, x.shape[:-1] + (self.out_features,),
                                     self.weight.data.dtype)
        X, D = (x, delta) if x.ndim == 2 else (x[None, :], delta[None, :])  # one example: m = 1
        self.weight.grad += D.T @ X                  # dL/dW = delta^T x
        if self.bias is not None:
            self.bias.grad += self._batch_sum(D)     # dL/db = sum over the batch of delta
        if not input_grad:
            return None
        # dL/dx = delta W. np.dot is the same BLAS product as ``@`` for 2-D arrays, but
        # numpy's matmul is several times slower when delta has one column (m, 1).
        return np.dot(delta, self.weight.data)

    def _batch_sum(self, delta):
        """sum_i delta_(i,:), the column sums of delta (m, n), written as 1^T delta: a BLAS
        matrix-vector product, two to four times faster than ``delta.sum(axis=0)`` for the
        book's batches (numpy sums down a column of a row-major array one row at a time)."""
        if self._ones.shape[0] != delta.shape[0] or self._ones.dtype != delta.dtype:
            self._ones = np.ones(delta.shape[0], dtype=delta.dtype)
        return self._ones @ delta

    def backward_params(self, grad_out) -> None:
        """Accumulate dL/dW and dL/db only: ``backward(grad_out, input_grad=False)``.

        Parameters
        ----------
        grad_out : ndarray of shape (m, out_features)
            delta = dL/dz.
        """
        self.backward(grad_out, input_grad=False)


class Identity(Module):
    """Returns its input unchanged; backward passes the gradient through."""

    def forward(self, x):
        """Return ``x`` itself.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)

        Returns
        -------
        ndarray of shape (m, n)
            The same array.
        """
        return x

    def backward(self, grad_out):
        """Return ``grad_out`` itself: the Jacobian is the identity.

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)

        Returns
        -------
        ndarray of shape (m, n)
        """
        return grad_out


class Flatten(Module):
    """Reshape (m, d1, d2, ...) to (m, d1 * d2 * ...); backward reshapes back.

    Examples
    --------
    >>> Flatten()(np.zeros((5, 8, 8))).shape
    (5, 64)
    """

    def __init__(self):
        super().__init__()
        self._shape = None

    def forward(self, x):
        """Flatten every example.

        Parameters
        ----------
        x : ndarray of shape (m, d1, d2, ...)

        Returns
        -------
        ndarray of shape (m, d1 * d2 * ...)
        """
        x = as_array(x, self)
        check_ndim(x, tuple(range(1, 33)), self._name())
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        """Reshape dL/d(output) back to the input's shape.

        Parameters
        ----------
        grad_out : ndarray of shape (m, d1 * d2 * ...)

        Returns
        -------
        ndarray of shape (m, d1, d2, ...)
        """
        shape = self._cached(self._shape)
        g = self._check_grad_out(grad_out, (shape[0], int(np.prod(shape[1:]))),
                                 np.asarray(grad_out).dtype)
        return g.reshape(shape)


class Residual(Module):
    """Residual block: y = x + F(x), where F is the wrapped module.

    Parameters
    ----------
    module : Module
        F; its output must have the shape of its input. It must not also be used elsewhere
        in the network (see :class:`~nnlib.core.Sequential`).

    Notes
    -----
    The Jacobian is :math:`I + \\partial F / \\partial x`, so the backward pass is
    ``grad_out + F.backward(grad_out)``: the gradient always has an identity path around F,
    however small F's own Jacobian becomes (He et al., 2016).

    See Also
    --------
    Chapter 12 (Residual connections).

    Examples
    --------
    >>> block = Residual(Sequential(Linear(3, 3, rng=0), Tanh()))
    >>> block(np.ones((2, 3))).shape
    (2, 3)
    """

    def __init__(self, module):
        super().__init__()
        self.module = check_module(module, "Residual", "the wrapped module")
        _check_each_module_once(self, "Residual")

    def forward(self, x):
        """y = x + F(x).

        Parameters
        ----------
        x : ndarray of shape (m, n)

        Returns
        -------
        ndarray of shape (m, n)
        """
        x = as_array(x, "Residual")
        return self._add_skip(x, self.module.forward(x))

    def _add_skip(self, x, fx):
        """x + F(x), once F's output is known to have the shape of x."""
        if np.shape(fx) != x.shape:
            raise ValueError(f"Residual: the wrapped module must keep the shape of its input "
                             f"to add it back, but it maps {x.shape} to {np.shape(fx)}.")
        return x + fx

    def backward(self, grad_out):
        """dL/dx = dL/dy + F.backward(dL/dy): the identity path plus the path through F.

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/dy.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dx.
        """
        return grad_out + self.module.backward(grad_out)


# --- activation layers ---
# Each activation a = f(z) caches in forward what its backward needs (z, or a when f' is
# cheaper to write in terms of a) and returns in backward dL/dz = dL/da * f'(z), elementwise:
# the two are written next to each other, as Chapter 3 derives them. The functions f and f'
# themselves are in nnlib.functional.
class _Activation(Module):
    """Shared by the elementwise activations: the flag for nnlib.probes and the cache."""

    is_activation = True

    def __init__(self):
        super().__init__()
        self._z = None

    def _grad_out(self, grad_out, cached):
        """``grad_out`` as an array of the cached array's shape and dtype (checked)."""
        return self._check_grad_out(grad_out, cached.shape, cached.dtype)


class Sigmoid(_Activation):
    """a = sigma(z) = 1 / (1 + exp(-z)); backward: dL/dz = dL/da * a (1 - a).

    The output is cached, so the backward pass costs two multiplications. A unit counts as
    saturated (``saturated_outside``, read by :mod:`nnlib.probes`) when a < 0.01 or
    a > 0.99: there sigma'(z) = a (1 - a) < 0.0099, under 4 % of its maximum 1/4.

    See Also
    --------
    nnlib.functional.sigmoid ; Chapter 3 (Activation functions).
    """

    saturated_outside = (0.01, 0.99)

    def __init__(self):
        super().__init__()
        self._a = None

    def forward(self, x):
        """a = sigma(z), elementwise.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)
            z, the pre-activations.

        Returns
        -------
        ndarray of shape (m, n)
            a, in [0, 1].
        """
        z = as_array(x, self)
        self._a = F.sigmoid(z)
        return self._a

    def backward(self, grad_out):
        """dL/dz = dL/da * a (1 - a).

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/da.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dz.
        """
        a = self._cached(self._a, "output")
        g = self._grad_out(grad_out, a)
        return g * a * (1.0 - a)


class Tanh(_Activation):
    """a = tanh(z); backward: dL/dz = dL/da * (1 - a^2).

    A unit counts as saturated (``saturated_outside``) when ``|a| > 0.99``: there
    tanh'(z) = 1 - a^2 < 0.02, under 2 % of its maximum 1.
    """

    saturated_outside = (-0.99, 0.99)

    def __init__(self):
        super().__init__()
        self._a = None

    def forward(self, x):
        """a = tanh(z), elementwise.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)
            z.

        Returns
        -------
        ndarray of shape (m, n)
            a, in [-1, 1].
        """
        z = as_array(x, self)
        self._a = np.tanh(z)
        return self._a

    def backward(self, grad_out):
        """dL/dz = dL/da * (1 - a^2).

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/da.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dz.
        """
        a = self._cached(self._a, "output")
        g = self._grad_out(grad_out, a)
        delta = 1.0 - a * a
        delta *= g  # in place: delta = grad_out * (1 - a^2) with one array fewer
        return delta


class ReLU(_Activation):
    """a = max(0, z); backward: dL/dz = dL/da * 1[z > 0].

    A unit whose z is negative for every input passes no gradient at all: a "dead ReLU"
    (Chapter 3). ``units_can_die`` tells :mod:`nnlib.probes` to count them.
    """

    units_can_die = True

    def forward(self, x):
        """a = max(0, z), elementwise.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)
            z.

        Returns
        -------
        ndarray of shape (m, n)
            a >= 0.
        """
        z = as_array(x, self)
        self._z = z
        return np.maximum(z, 0.0)

    def backward(self, grad_out):
        """dL/dz = dL/da * 1[z > 0] (0 at z = 0, as in PyTorch).

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/da.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dz.
        """
        z = self._cached(self._z)
        g = self._grad_out(grad_out, z)
        if not np.isfinite(g).all():  # inf * 0 is nan, but a unit with z <= 0 passes 0
            return np.where(z > 0, g, 0.0)
        # The formula as written, a product with the 0/1 indicator: on the book's batches a
        # training step is 7% faster than with np.where(z > 0, g, 0), whose per-element branch
        # the processor mispredicts about half the time.
        delta = g * (z > 0)
        delta += 0.0  # (negative g) * 0 is -0.0 in IEEE arithmetic; make it 0.0
        return delta


class LeakyReLU(_Activation):
    """a = z for z >= 0, negative_slope * z otherwise (Maas et al., 2013).

    Backward: dL/dz = dL/da * (1 for z > 0, negative_slope otherwise). Its units cannot die:
    the negative side still passes negative_slope times the gradient, which is the point
    of the leak (so ``units_can_die`` is False).
    """

    units_can_die = False

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = check_finite_scalar(negative_slope, "LeakyReLU", "negative_slope")

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"

    def forward(self, x):
        """a = leaky_relu(z), elementwise.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)
            z.

        Returns
        -------
        ndarray of shape (m, n)
        """
        z = as_array(x, self)
        self._z = z
        return F.leaky_relu(z, self.negative_slope)

    def backward(self, grad_out):
        """dL/dz = dL/da * (1 for z > 0, negative_slope otherwise).

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/da.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dz.
        """
        z = self._cached(self._z)
        return self._grad_out(grad_out, z) * F.leaky_relu_grad(z, self.negative_slope)


class PReLU(Module):
    """Leaky ReLU whose negative slope is learned (He et al., 2015).

    Parameters
    ----------
    num_parameters : int
        1 (one slope shared by all units) or the number of features (one slope each).
    init : float
        Initial slope, 0.25 as in PyTorch.
    dtype : numpy floating dtype
        dtype of the slope; inputs are cast to it.

    Notes
    -----
    a = z for z >= 0, w z otherwise. Backward: dL/dz = grad_out * (1 or w), and
    dL/dw = sum of grad_out * z over the entries where z < 0 (per feature when
    num_parameters > 1; the feature axis is axis 1, as in PyTorch).
    """

    is_activation = True

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=np.float64):
        super().__init__()
        self.num_parameters = check_int(num_parameters, "PReLU", "num_parameters", minimum=1)
        init = check_finite_scalar(init, "PReLU", "init")
        dtype = check_dtype(dtype, "PReLU")
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))
        self._z = None

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"

    def _slope(self, z):
        w = self.weight.data
        if self.num_parameters == 1:
            return w[0]
        if z.ndim < 2:
            raise ValueError(f"{self._name()}: expected input of shape (m, "
                             f"{self.num_parameters}, ...), got shape {z.shape}.")
        check_features(z, self.num_parameters, self._name(), axis=1)
        return w.reshape((1, -1) + (1,) * (z.ndim - 2))

    def forward(self, x):
        """a = z for z >= 0, w z otherwise.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or (m, n, ...), features on axis 1)
            z; with num_parameters > 1, n must equal num_parameters.

        Returns
        -------
        ndarray of shape (m, n)
        """
        z = as_array(x, self, dtype=self.weight.data.dtype)
        slope = self._slope(z)
        self._z = z
        return np.where(z >= 0, z, slope * z)

    def backward(self, grad_out):
        """Add dL/dw into ``weight.grad`` and return dL/dz.

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/da.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dz = dL/da * (1 for z >= 0, w otherwise).
        """
        z = self._cached(self._z)
        g = self._check_grad_out(grad_out, z.shape, z.dtype)
        neg = z < 0
        contrib = np.where(neg, g * z, 0.0)
        if self.num_parameters == 1:
            self.weight.grad += contrib.sum()
        else:
            axes = (0,) + tuple(range(2, z.ndim))
            self.weight.grad += contrib.sum(axis=axes)
        return np.where(neg, g * self._slope(z), g)


class ELU(_Activation):
    """a = z for z > 0, alpha (exp(z) - 1) otherwise; range (-alpha, inf) (Clevert et al.).

    Backward: dL/dz = dL/da * (1 for z > 0, alpha exp(z) otherwise).
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = check_nonnegative(alpha, "ELU", "alpha")

    def extra_repr(self):
        return f"alpha={self.alpha}"

    def forward(self, x):
        """a = elu(z), elementwise.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)
            z.

        Returns
        -------
        ndarray of shape (m, n)
        """
        z = as_array(x, self)
        self._z = z
        return F.elu(z, self.alpha)

    def backward(self, grad_out):
        """dL/dz = dL/da * elu'(z).

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/da.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dz.
        """
        z = self._cached(self._z)
        return self._grad_out(grad_out, z) * F.elu_grad(z, self.alpha)


class SELU(_Activation):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017).

    Backward: dL/dz = dL/da * selu'(z) (``nnlib.functional.selu_grad``).
    """

    def forward(self, x):
        """a = selu(z), elementwise.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)
            z.

        Returns
        -------
        ndarray of shape (m, n)
        """
        z = as_array(x, self)
        self._z = z
        return F.selu(z)

    def backward(self, grad_out):
        """dL/dz = dL/da * selu'(z).

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/da.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dz.
        """
        z = self._cached(self._z)
        return self._grad_out(grad_out, z) * F.selu_grad(z)


class GELU(_Activation):
    """a = z Phi(z) (``approximate='none'``) or its tanh approximation (``'tanh'``).

    Backward: dL/dz = dL/da * gelu'(z) (``nnlib.functional.gelu_grad``).
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check_choice(approximate, ("none", "tanh"), "GELU", "approximate")

    def extra_repr(self):
        return f"approximate={self.approximate!r}"

    def forward(self, x):
        """a = gelu(z), elementwise.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)
            z.

        Returns
        -------
        ndarray of shape (m, n)
        """
        z = as_array(x, self)
        self._z = z
        return F.gelu(z, self.approximate)

    def backward(self, grad_out):
        """dL/dz = dL/da * gelu'(z).

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/da.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dz.
        """
        z = self._cached(self._z)
        return self._grad_out(grad_out, z) * F.gelu_grad(z, self.approximate)


class SiLU(_Activation):
    """a = z sigma(z), also called Swish; backward: dL/dz = dL/da * (a + sigma(z) (1 - a))."""

    def forward(self, x):
        """a = z sigma(z), elementwise.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)
            z.

        Returns
        -------
        ndarray of shape (m, n)
        """
        z = as_array(x, self)
        self._z = z
        return F.silu(z)

    def backward(self, grad_out):
        """dL/dz = dL/da * silu'(z).

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/da.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dz.
        """
        z = self._cached(self._z)
        return self._grad_out(grad_out, z) * F.silu_grad(z)


Swish = SiLU


class Softplus(_Activation):
    """a = log(1 + exp(z)); its derivative is the sigmoid: dL/dz = dL/da * sigma(z)."""

    def forward(self, x):
        """a = softplus(z), elementwise.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)
            z.

        Returns
        -------
        ndarray of shape (m, n)
            a > 0.
        """
        z = as_array(x, self)
        self._z = z
        return F.softplus(z)

    def backward(self, grad_out):
        """dL/dz = dL/da * sigma(z).

        Parameters
        ----------
        grad_out : ndarray of shape (m, n)
            dL/da.

        Returns
        -------
        ndarray of shape (m, n)
            dL/dz.
        """
        z = self._cached(self._z)
        return self._grad_out(grad_out, z) * F.sigmoid(z)


class Softmax(Module):
    """p = softmax(z) along ``axis``; backward is the vector-Jacobian product
    p * (g - sum(g * p)).

    For training a classifier, feed logits to :class:`nnlib.losses.CrossEntropyLoss`
    instead: it fuses softmax and the loss into the stable gradient p - y (Chapter 5).
    """

    is_activation = True

    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = check_int(axis, "Softmax", "axis")
        self._p = None

    def extra_repr(self):
        return f"axis={self.axis}"

    def forward(self, x):
        """p = softmax(z) along ``axis``.

        Parameters
        ----------
        x : ndarray of shape (m, C)
            Logits z, one row per example (for the default axis=-1).

        Returns
        -------
        ndarray of shape (m, C)
            Probabilities p; each row sums to 1.
        """
        z = as_array(x, self)
        if not -z.ndim <= self.axis < max(z.ndim, 1):
            raise ValueError(f"{self._name()}: axis {self.axis} is out of range for an input "
                             f"of shape {z.shape}.")
        self._p = F.softmax(z, axis=self.axis)
        return self._p

    def backward(self, grad_out):
        """dL/dz = p * (g - sum(g * p)) along ``axis``, with g = dL/dp.

        Parameters
        ----------
        grad_out : ndarray of shape (m, C)
            g = dL/dp.

        Returns
        -------
        ndarray of shape (m, C)
            dL/dz.
        """
        p = self._cached(self._p)
        g = self._check_grad_out(grad_out, p.shape, p.dtype)
        return F._softmax_vjp_from_output(p, g, self.axis)


#: Activation names accepted by :func:`mlp`.
ACTIVATIONS = {
    "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU,
    "selu": SELU, "gelu": GELU, "silu": SiLU, "swish": SiLU, "softplus": Softplus,
    "identity": Identity, "linear": Identity,
}


def mlp(sizes, activation="relu", *, init=None, output_activation=None, rng=None,
        dtype=np.float64) -> Sequential:
    """Build a multilayer perceptron ``Linear -> activation -> ... -> Linear``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths n_0, n_1, ..., n_L, input first (e.g. ``[784, 128, 64, 10]``).
    activation : str or callable returning a Module
        Hidden activation: a name from ``ACTIVATIONS`` or a factory such as
        ``lambda: LeakyReLU(0.1)``.
    init : str or callable, optional
        Weight initialisation passed to every Linear; by default 'he' for ReLU-like
        activations and 'xavier' for sigmoid/tanh/identity, 'lecun' for SELU (Chapter 11).
    output_activation : str or callable, optional
        Appended after the last Linear (default: none, the network outputs logits).
    rng : Generator, int or None
    dtype : numpy dtype

    Examples
    --------
    >>> net = mlp([2, 16, 16, 1], "tanh", rng=0)
    >>> [type(m).__name__ for m in net]
    ['Linear', 'Tanh', 'Linear', 'Tanh', 'Linear']
    """
    rng = make_rng(rng, "mlp")
    try:
        sizes = [check_int(s, "mlp", "every layer size", minimum=1) for s in sizes]
    except TypeError:
        raise TypeError(f"mlp: expected sizes to be a sequence of positive integers such as "
                        f"[2, 16, 1], got {sizes!r}.") from None
    if len(sizes) < 2:
        raise ValueError(f"mlp: expected at least two sizes (input and output), got {sizes}.")

    def make(act):
        if isinstance(act, str):
            return ACTIVATIONS[check_choice(act, tuple(ACTIVATIONS), "mlp", "activation",
                                            hint="Or pass a factory, e.g. "
                                                 "lambda: LeakyReLU(0.1).")]()
        if isinstance(act, Module):  # one object at every hidden layer would be wrong
            raise TypeError(f"mlp: expected activation to be a name or a factory that makes a "
                            f"new module per layer (a class such as ReLU, or lambda: "
                            f"LeakyReLU(0.1)), got the module {act._name()} itself; one "
                            f"module object cannot sit at two places in a network.")
        if callable(act):
            return check_module(act(), "mlp", "what the activation factory returned")
        raise TypeError(f"mlp: expected activation to be a name or a factory, got "
                        f"{type(act).__name__}.")

    make(activation)  # fail early on an unknown activation, even with no hidden layer
    if output_activation is not None:
        make(output_activation)
    if init is None:
        name = activation if isinstance(activation, str) else ""
        init = {"sigmoid": "xavier", "tanh": "xavier", "identity": "xavier",
                "linear": "xavier", "selu": "lecun"}.get(name, "he")
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(n_in, n_out, init=init, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(make(activation))
    if output_activation is not None:
        layers.append(make(output_activation))
    return Sequential(*layers)
