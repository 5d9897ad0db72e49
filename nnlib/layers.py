"""Layers: the Modules that networks are built from.

Every layer caches in ``forward`` what its ``backward`` needs, and ``backward(grad_out)``
returns dL/d(input) while *adding* dL/d(parameter) into each parameter's ``grad``. The
formulas are the ones Chapters 3-5 derive; the activation functions themselves live in
:mod:`nnlib.functional`.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from ._checks import (as_array, check_features, check_finite_scalar, check_int, check_ndim,
                      check_nonnegative)
from .core import Module, Parameter, Sequential
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
    backward pass twice that (two matrix products), once for dL/dX can be skipped when X is
    the data (``backward_params``).

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
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Linear: expected a floating dtype such as np.float64 or "
                            f"np.float32, got {dtype}.")
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

    def _delta(self, grad_out):
        x = self._cached(self._x)
        return x, self._check_grad_out(grad_out, x.shape[:-1] + (self.out_features,),
                                       self.weight.data.dtype)

    def _accumulate(self, x, delta):
        if x.ndim == 1:
            self.weight.grad += np.outer(delta, x)
            if self.bias is not None:
                self.bias.grad += delta
        else:
            self.weight.grad += delta.T @ x
            if self.bias is not None:
                self.bias.grad += self._batch_sum(delta)

    def _batch_sum(self, delta):
        """sum_i delta_(i,:) written as 1^T delta: a BLAS matrix-vector product, two to four
        times faster than ``delta.sum(axis=0)`` for the book's batches (numpy sums down a
        column of a row-major array one row at a time)."""
        if self._ones.shape[0] != delta.shape[0] or self._ones.dtype != delta.dtype:
            self._ones = np.ones(delta.shape[0], dtype=delta.dtype)
        return self._ones @ delta

    def backward(self, grad_out):
        x, delta = self._delta(grad_out)
        self._accumulate(x, delta)
        # dL/dx = delta W. np.dot is the same BLAS product as ``@`` for 2-D arrays, but
        # numpy's matmul is several times slower when delta has one column (m, 1).
        return np.dot(delta, self.weight.data)

    def backward_params(self, grad_out) -> None:
        """Accumulate dL/dW and dL/db only, skipping dL/dx (saves a matrix product when the
        input is the data, which needs no gradient)."""
        x, delta = self._delta(grad_out)
        self._accumulate(x, delta)


class Identity(Module):
    """Returns its input unchanged; backward passes the gradient through."""

    def forward(self, x):
        return x

    def backward(self, grad_out):
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
        x = as_array(x, self)
        check_ndim(x, tuple(range(1, 33)), self._name())
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        shape = self._cached(self._shape)
        g = self._check_grad_out(grad_out, (shape[0], int(np.prod(shape[1:]))),
                                 np.asarray(grad_out).dtype)
        return g.reshape(shape)


class Residual(Module):
    """Residual block: y = x + F(x), where F is the wrapped module.

    Parameters
    ----------
    module : Module
        F; its output must have the shape of its input.

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
        if not isinstance(module, Module):
            raise TypeError(f"Residual: expected a Module to wrap, got {type(module).__name__}.")
        self.module = module

    def forward(self, x):
        x = as_array(x, "Residual")
        fx = self.module.forward(x)
        if np.shape(fx) != x.shape:
            raise ValueError(f"Residual: the wrapped module must keep the shape of its input "
                             f"to add it back, but it maps {x.shape} to {np.shape(fx)}.")
        return x + fx

    def backward(self, grad_out):
        return grad_out + self.module.backward(grad_out)


# --- activation layers ---
class _Activation(Module):
    """An elementwise activation a = f(z); backward is grad_out * f'(z)."""

    def __init__(self):
        super().__init__()
        self._z = None

    def _forward(self, z):
        raise NotImplementedError

    def _local_grad(self, z):
        raise NotImplementedError

    def forward(self, x):
        z = as_array(x, self)
        self._z = z
        return self._forward(z)

    def backward(self, grad_out):
        z = self._cached(self._z)
        g = self._check_grad_out(grad_out, z.shape, z.dtype)
        return g * self._local_grad(z)


class Sigmoid(_Activation):
    """a = sigma(z) = 1 / (1 + exp(-z)); backward: delta = grad_out * a (1 - a).

    The output is cached, so the backward pass costs two multiplications.

    See Also
    --------
    nnlib.functional.sigmoid ; Chapter 3 (Activation functions).
    """

    def __init__(self):
        super().__init__()
        self._a = None

    def forward(self, x):
        z = as_array(x, self)
        self._a = F.sigmoid(z)
        return self._a

    def backward(self, grad_out):
        a = self._cached(self._a, "output")
        g = self._check_grad_out(grad_out, a.shape, a.dtype)
        return g * a * (1.0 - a)


class Tanh(_Activation):
    """a = tanh(z); backward: delta = grad_out * (1 - a^2)."""

    def __init__(self):
        super().__init__()
        self._a = None

    def forward(self, x):
        z = as_array(x, self)
        self._a = np.tanh(z)
        return self._a

    def backward(self, grad_out):
        a = self._cached(self._a, "output")
        g = self._check_grad_out(grad_out, a.shape, a.dtype)
        delta = 1.0 - a * a
        delta *= g  # in place: delta = grad_out * (1 - a^2) with one array fewer
        return delta


class ReLU(_Activation):
    """a = max(0, z); backward: delta = grad_out * 1[z > 0].

    A unit whose z is negative for every input passes no gradient at all: a "dead ReLU"
    (Chapter 3).
    """

    def forward(self, x):
        z = as_array(x, self)
        self._z = z
        return np.maximum(z, 0.0)

    def backward(self, grad_out):
        z = self._cached(self._z)
        g = self._check_grad_out(grad_out, z.shape, z.dtype)
        if not np.isfinite(g).all():  # inf * 0 is nan, but a unit with z <= 0 passes 0
            return np.where(z > 0, g, 0.0)
        # The formula as written, a product with the 0/1 indicator: on the book's batches a
        # training step is 7% faster than with np.where(z > 0, g, 0), whose per-element branch
        # the processor mispredicts about half the time.
        delta = g * (z > 0)
        delta += 0.0  # (negative g) * 0 is -0.0 in IEEE arithmetic; make it 0.0
        return delta


class LeakyReLU(_Activation):
    """a = z for z >= 0, negative_slope * z otherwise (Maas et al., 2013)."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = check_finite_scalar(negative_slope, "LeakyReLU", "negative_slope")

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"

    def _forward(self, z):
        return F.leaky_relu(z, self.negative_slope)

    def _local_grad(self, z):
        return F.leaky_relu_grad(z, self.negative_slope)


class PReLU(Module):
    """Leaky ReLU whose negative slope is learned (He et al., 2015).

    Parameters
    ----------
    num_parameters : int
        1 (one slope shared by all units) or the number of features (one slope each).
    init : float
        Initial slope, 0.25 as in PyTorch.

    Notes
    -----
    a = z for z >= 0, w z otherwise. Backward: dL/dz = grad_out * (1 or w), and
    dL/dw = sum of grad_out * z over the entries where z < 0 (per feature when
    num_parameters > 1; the feature axis is axis 1, as in PyTorch).
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=np.float64):
        super().__init__()
        self.num_parameters = check_int(num_parameters, "PReLU", "num_parameters", minimum=1)
        init = check_finite_scalar(init, "PReLU", "init")
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
        z = as_array(x, self, dtype=self.weight.data.dtype)
        slope = self._slope(z)
        self._z = z
        return np.where(z >= 0, z, slope * z)

    def backward(self, grad_out):
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
    """a = z for z > 0, alpha (exp(z) - 1) otherwise; range (-alpha, inf) (Clevert et al.)."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = check_nonnegative(alpha, "ELU", "alpha")

    def extra_repr(self):
        return f"alpha={self.alpha}"

    def _forward(self, z):
        return F.elu(z, self.alpha)

    def _local_grad(self, z):
        return F.elu_grad(z, self.alpha)


class SELU(_Activation):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""

    def _forward(self, z):
        return F.selu(z)

    def _local_grad(self, z):
        return F.selu_grad(z)


class GELU(_Activation):
    """a = z Phi(z) (``approximate='none'``) or its tanh approximation (``'tanh'``)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        F._check_approximate(approximate, "GELU")
        self.approximate = approximate

    def extra_repr(self):
        return f"approximate={self.approximate!r}"

    def _forward(self, z):
        return F.gelu(z, self.approximate)

    def _local_grad(self, z):
        return F.gelu_grad(z, self.approximate)


class SiLU(_Activation):
    """a = z sigma(z), also called Swish; backward uses swish + sigma (1 - swish)."""

    def _forward(self, z):
        return F.silu(z)

    def _local_grad(self, z):
        return F.silu_grad(z)


Swish = SiLU


class Softplus(_Activation):
    """a = log(1 + exp(z)); its derivative is the sigmoid."""

    def _forward(self, z):
        return F.softplus(z)

    def _local_grad(self, z):
        return F.sigmoid(z)


class Softmax(Module):
    """p = softmax(z) along ``axis``; backward is the vector-Jacobian product
    p * (g - sum(g * p)).

    For training a classifier, feed logits to :class:`nnlib.losses.CrossEntropyLoss`
    instead: it fuses softmax and the loss into the stable gradient p - y (Chapter 5).
    """

    def __init__(self, axis: int = -1):
        super().__init__()
        self.axis = check_int(axis, "Softmax", "axis")
        self._p = None

    def extra_repr(self):
        return f"axis={self.axis}"

    def forward(self, x):
        z = as_array(x, self)
        if not -z.ndim <= self.axis < max(z.ndim, 1):
            raise ValueError(f"{self._name()}: axis {self.axis} is out of range for an input "
                             f"of shape {z.shape}.")
        self._p = F.softmax(z, axis=self.axis)
        return self._p

    def backward(self, grad_out):
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
    from ._checks import make_rng

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
            if act not in ACTIVATIONS:
                raise ValueError(f"mlp: unknown activation {act!r}; choose one of "
                                 f"{sorted(ACTIVATIONS)} or pass a factory function.")
            return ACTIVATIONS[act]()
        if callable(act):
            module = act()
            if not isinstance(module, Module):
                raise TypeError(f"mlp: the activation factory returned "
                                f"{type(module).__name__}, expected a Module.")
            return module
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
