"""Normalisation layers: BatchNorm1d, LayerNorm, RMSNorm, GroupNorm and InstanceNorm1d.

Each layer standardises its input over some set of axes, x_hat = (x - mu) / sqrt(var + eps),
and then applies a learned per-feature scale gamma (``weight``) and shift beta (``bias``).
The layers differ only in *which* numbers share a mean and a variance:

=================  ===========================================  =======================
layer              statistics computed over                     train and eval differ?
=================  ===========================================  =======================
BatchNorm1d        the batch, separately for each feature       yes (running statistics)
LayerNorm          the features of one example                  no
RMSNorm            the features of one example, no centring     no
GroupNorm          a group of channels of one example           no
InstanceNorm1d     the positions of one channel of one example  no
=================  ===========================================  =======================

The names, defaults and semantics follow PyTorch's ``torch.nn`` layers of the same names;
where they differ, the docstring says so. Chapter 15 (Normalisation) derives every forward
and backward pass written here.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import (as_array, check_bool, check_dtype, check_features, check_finite_scalar,
                      check_int, check_ndim, check_positive, check_probability)
from .core import Module, Parameter

__all__ = ["BatchNorm1d", "LayerNorm", "RMSNorm", "GroupNorm", "InstanceNorm1d"]


# -- argument checks shared by the layers ----------------------------------------------------
def _check_normalized_shape(shape, where: str) -> tuple:
    """An int d becomes (d,); a tuple or list must hold positive ints."""
    if isinstance(shape, (tuple, list)):
        if len(shape) == 0:
            raise ValueError(f"{where}: expected normalized_shape to hold at least one size, "
                             f"got {tuple(shape)}.")
        return tuple(check_int(s, where, "every size in normalized_shape", minimum=1)
                     for s in shape)
    return (check_int(shape, where, "normalized_shape", minimum=1),)


def _check_trailing_shape(x: np.ndarray, shape: tuple, where) -> None:
    k = len(shape)
    if x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"{where}: expected input whose last {k} dimension(s) have shape "
                         f"{shape} (normalized_shape), got shape {x.shape}.")


# -- the backward pass every standardising layer shares --------------------------------------
def _standardize_backward(g, x_hat, inv_std, axes, n):
    """dL/dx for x_hat = (x - mean(x)) / sqrt(var(x) + eps), statistics over ``axes``.

    ``g`` is dL/dx_hat, ``inv_std`` is 1 / sqrt(var + eps) (broadcastable against ``g``) and
    ``n`` the number of entries each mean is taken over. The formula,

        dL/dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)),

    is derived in the Notes of :class:`BatchNorm1d` (there the axis is the batch).
    """
    mean_g = g.sum(axis=axes, keepdims=True)
    mean_g /= n
    mean_gx = (g * x_hat).sum(axis=axes, keepdims=True)
    mean_gx /= n
    dx = x_hat * mean_gx
    np.subtract(g, dx, out=dx)
    dx -= mean_g
    dx *= inv_std
    return dx


class BatchNorm1d(Module):
    r"""Batch normalisation: standardise each feature over the batch, then scale and shift.

    Parameters
    ----------
    num_features : int
        C, the number of features (channels) of the input.
    eps : float, default 1e-5
        Added to the variance before the square root, so a constant feature does not divide
        by zero.
    momentum : float in [0, 1] or None, default 0.1
        Weight of the current batch in the running statistics:
        ``running = (1 - momentum) * running + momentum * batch``. ``None`` gives the plain
        (cumulative) average over all batches seen so far, as in PyTorch.
    affine : bool, default True
        Learn the scale gamma (``weight``, starts at 1) and shift beta (``bias``, starts at 0).
    track_running_stats : bool, default True
        Keep running estimates of the mean and variance for evaluation mode. Without them
        the layer uses the batch's own statistics in both modes.
    dtype : np.float64 or np.float32, default np.float64
        dtype of the parameters, buffers and outputs; inputs are cast to it.

    Attributes
    ----------
    weight : Parameter of shape (C,) or None
        gamma.
    bias : Parameter of shape (C,) or None
        beta.
    running_mean : ndarray of shape (C,) or None
        Running estimate of each feature's mean (starts at 0). A buffer: in ``state_dict``,
        not in ``parameters()``.
    running_var : ndarray of shape (C,) or None
        Running estimate of each feature's *unbiased* variance (starts at 1). A buffer.
    num_batches_tracked : int or None
        Training batches seen. A buffer.

    Raises
    ------
    ValueError
        In ``forward``: input that is not 2-D (m, C) or 3-D (m, C, L), has the wrong number
        of features, or (in training mode) has a single value per feature.

    Notes
    -----
    Take one feature, with values :math:`z_1, \dots, z_m` over a batch of m examples (for
    3-D input (m, C, L), the m L values of one channel play this role). Training mode:

    .. math::
        \mu = \frac{1}{m} \sum_i z_i, \qquad
        \sigma^2 = \frac{1}{m} \sum_i (z_i - \mu)^2, \qquad
        \hat z_i = \frac{z_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        y_i = \gamma \hat z_i + \beta.

    The variance used to normalise is the *biased* one (divide by m), and the running
    statistics are updated with the *unbiased* one (divide by m - 1), exactly as PyTorch does:

    .. math::
        \text{running\_mean} \leftarrow (1 - \text{momentum})\, \text{running\_mean}
            + \text{momentum}\, \mu, \qquad
        \text{running\_var} \leftarrow (1 - \text{momentum})\, \text{running\_var}
            + \text{momentum}\, \tfrac{m}{m - 1} \sigma^2.

    (The "momentum" here is the weight of the *new* value, the opposite of an optimiser's
    momentum.) Evaluation mode uses the running statistics in place of :math:`\mu` and
    :math:`\sigma^2`, so the output for one example no longer depends on the rest of the batch.

    Backward, given :math:`\delta_i = \partial L / \partial y_i` and writing
    :math:`s = \sqrt{\sigma^2 + \epsilon}`:

    .. math::
        \frac{\partial L}{\partial \gamma} = \sum_i \delta_i \hat z_i, \qquad
        \frac{\partial L}{\partial \beta} = \sum_i \delta_i, \qquad
        \frac{\partial L}{\partial z_i} = \frac{\gamma}{m s}\Big(m \delta_i - \sum_j \delta_j
            - \hat z_i \sum_j \delta_j \hat z_j\Big).

    Derivation: every :math:`\hat z_j` depends on every :math:`z_i` through :math:`\mu` and
    :math:`s`. With :math:`\partial \mu / \partial z_i = 1/m` and
    :math:`\partial s / \partial z_i = (z_i - \mu)/(m s) = \hat z_i / m` (the term through
    :math:`\mu` vanishes because the deviations sum to zero),

    .. math::
        \frac{\partial \hat z_j}{\partial z_i}
            = \frac{1}{s}\Big([i = j] - \frac{1}{m}\Big) - \frac{z_j - \mu}{s^2}
              \frac{\hat z_i}{m}
            = \frac{1}{s}\Big([i = j] - \frac{1}{m} - \frac{\hat z_i \hat z_j}{m}\Big),

    and :math:`\partial L / \partial z_i = \sum_j \gamma \delta_j\, \partial \hat z_j /
    \partial z_i` gives the formula above. It says: remove from the upstream signal its mean
    and its component along :math:`\hat z`, the two directions the normalisation cannot pass
    on. In evaluation mode :math:`\mu` and :math:`s` are constants and the layer is the
    affine map :math:`y = (\gamma / s) z + \text{const}`, so
    :math:`\partial L / \partial z_i = \gamma \delta_i / s` with
    :math:`s = \sqrt{\text{running\_var} + \epsilon}`.

    See Also
    --------
    Chapter 15 (Normalisation) derives this backward pass and shows the train/eval
    difference and how noisy batch statistics are for small batches.

    References
    ----------
    S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network training by
    reducing internal covariate shift", ICML 2015. arXiv:1502.03167.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.normalization import BatchNorm1d
    >>> bn = BatchNorm1d(2)
    >>> x = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    >>> bn(x).round(4)
    array([[-1.2247, -1.2247],
           [ 0.    ,  0.    ],
           [ 1.2247,  1.2247]])
    >>> bn.running_mean, bn.running_var
    (array([0.2, 2. ]), array([ 1. , 10.9]))
    >>> bn.eval()(x).round(3)
    array([[0.8  , 2.423],
           [1.8  , 5.452],
           [2.8  , 8.481]])
    """

    _buffers = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=np.float64):
        super().__init__()
        where = "BatchNorm1d"
        self.num_features = check_int(num_features, where, "num_features", minimum=1)
        self.eps = check_positive(eps, where, "eps")
        if momentum is not None:
            momentum = check_probability(momentum, where, "momentum", upper_inclusive=True)
        self.momentum = momentum
        self.affine = check_bool(affine, where, "affine")
        self.track_running_stats = check_bool(track_running_stats, where,
                                               "track_running_stats")
        dtype = check_dtype(dtype, where)
        C = self.num_features
        if self.affine:
            self.weight = Parameter(np.ones(C, dtype=dtype))
            self.bias = Parameter(np.zeros(C, dtype=dtype))
        else:
            self.weight = self.bias = None
        if self.track_running_stats:
            self.running_mean = np.zeros(C, dtype=dtype)
            self.running_var = np.ones(C, dtype=dtype)
            self.num_batches_tracked = 0
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None
            self._buffers = ()  # nothing to save
        self.dtype = dtype
        # cache for backward: x_hat (as (m, C), also for 3-D input), 1 / s, the input shape
        # and whether batch statistics (True) or running statistics (False) were used
        self._x_hat = self._inv_std = self._input_shape = None
        self._batch_stats = True
        self._ones = np.ones(0, dtype=dtype)  # see _column_sum

    def extra_repr(self) -> str:
        return (f"num_features={self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")

    def reset_running_stats(self) -> None:
        """Set the running mean to 0, the running variance to 1 and the batch count to 0."""
        if self.track_running_stats:
            self.running_mean.fill(0)
            self.running_var.fill(1)
            self.num_batches_tracked = 0

    def _column_sum(self, a):
        """Sum over the batch axis of a 2-D array, as a product with a vector of ones (a BLAS
        call, two to three times faster than ``a.sum(axis=0)`` for a typical (64, 128))."""
        if self._ones.shape[0] != a.shape[0]:
            self._ones = np.ones(a.shape[0], dtype=self.dtype)
        return self._ones @ a

    def forward(self, x):
        """y = gamma z_hat + beta, each feature standardised over the batch.

        Parameters
        ----------
        x : ndarray of shape (m, C) or (m, C, L)
            z; for (m, C, L) the m L positions of a channel share its statistics.

        Returns
        -------
        ndarray of the same shape
            y.
        """
        x = as_array(x, self, dtype=self.dtype)
        if x.ndim not in (2, 3):
            check_ndim(x, (2, 3), self, hint="BatchNorm1d takes (batch, features) or "
                                             "(batch, channels, length).")
        check_features(x, self.num_features, self, axis=1)
        if x.ndim == 3:  # (m, C, L): the m L positions of a channel are its batch
            m, C, L = x.shape
            y = self._forward_2d(x.transpose(0, 2, 1).reshape(m * L, C), x.shape)
            return np.ascontiguousarray(y.reshape(m, L, C).transpose(0, 2, 1))
        return self._forward_2d(x, x.shape)

    def _forward_2d(self, z, input_shape):
        m = z.shape[0]
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            if self.training and m <= 1:
                raise ValueError(f"{self._name()}: expected more than 1 value per channel "
                                 f"when training, got input of shape {input_shape}. Use a "
                                 f"batch of at least 2 examples, or call eval() to use the "
                                 f"running statistics.")
            mu = self._column_sum(z)
            mu /= m
            z_hat = z - mu
            var = self._column_sum(np.square(z_hat))
            var /= m                                     # biased: divide by m
            if self.training and self.track_running_stats:
                self.num_batches_tracked += 1
                f = self.momentum if self.momentum is not None else 1 / self.num_batches_tracked
                self.running_mean *= 1 - f
                self.running_mean += f * mu
                self.running_var *= 1 - f
                self.running_var += (f * m / (m - 1)) * var  # unbiased: m / (m - 1) var
        else:
            z_hat = z - self.running_mean
            var = self.running_var
        inv_std = 1 / np.sqrt(var + self.eps)            # 1 / s
        z_hat *= inv_std
        self._x_hat, self._inv_std, self._batch_stats = z_hat, inv_std, use_batch
        self._input_shape = input_shape
        if not self.affine:
            return z_hat.copy()  # a copy, so that editing the output cannot corrupt the cache
        y = z_hat * self.weight.data
        y += self.bias.data
        return y

    def backward(self, grad_out):
        """Add dL/dgamma, dL/dbeta into ``weight.grad``, ``bias.grad``; return dL/dz.

        Parameters
        ----------
        grad_out : ndarray of the output's shape, (m, C) or (m, C, L)
            delta = dL/dy.

        Returns
        -------
        ndarray of the input's shape, (m, C) or (m, C, L)
            dL/dz (see Notes).
        """
        self._cached(self._x_hat, "normalised input")
        shape = self._input_shape
        delta = self._check_grad_out(grad_out, shape, self.dtype)
        if len(shape) == 3:
            m, C, L = shape
            dx = self._backward_2d(delta.transpose(0, 2, 1).reshape(m * L, C))
            return np.ascontiguousarray(dx.reshape(m, L, C).transpose(0, 2, 1))
        return self._backward_2d(delta)

    def _backward_2d(self, delta):
        z_hat = self._x_hat
        scale = self._inv_std if not self.affine else self.weight.data * self._inv_std
        if self.affine or self._batch_stats:
            sum_delta = self._column_sum(delta)                 # dL/dbeta
            sum_delta_zhat = self._column_sum(delta * z_hat)    # dL/dgamma
            if self.affine:
                self.weight.grad += sum_delta_zhat
                self.bias.grad += sum_delta
        if not self._batch_stats:
            return delta * scale                                # the affine map gamma / s
        m = z_hat.shape[0]
        # dL/dz = gamma / s * (delta - sum(delta) / m - z_hat * sum(delta z_hat) / m)
        dz = z_hat * (sum_delta_zhat / m)
        np.subtract(delta, dz, out=dz)
        dz -= sum_delta / m
        dz *= scale
        return dz


class LayerNorm(Module):
    r"""Layer normalisation: standardise each example over its last dimensions.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The shape of the trailing dimensions to normalise over; an int d means (d,), the
        features of an (m, d) input.
    eps : float, default 1e-5
        Added to the variance before the square root.
    elementwise_affine : bool, default True
        Learn a scale gamma (``weight``, starts at 1) of shape ``normalized_shape``, and a
        shift beta (``bias``, starts at 0) when ``bias`` is True.
    bias : bool, default True
        Whether to learn beta (only with ``elementwise_affine``).
    dtype : np.float64 or np.float32, default np.float64

    Attributes
    ----------
    weight, bias : Parameter of shape ``normalized_shape`` or None

    Raises
    ------
    ValueError
        In ``forward``: input whose trailing dimensions are not ``normalized_shape``.

    Notes
    -----
    For one example :math:`z = (z_1, \dots, z_n)` (the n entries of its normalised
    dimensions):

    .. math::
        \mu = \frac{1}{n}\sum_k z_k, \quad \sigma^2 = \frac{1}{n}\sum_k (z_k - \mu)^2, \quad
        \hat z_k = \frac{z_k - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad
        y_k = \gamma_k \hat z_k + \beta_k.

    These are batch normalisation's formulas with the roles of the axes swapped: statistics
    across the features of one example instead of across the examples of one feature. So
    there are no running statistics, the layer computes the same thing in training and
    evaluation, and the result for one example does not depend on the others. The backward
    pass is batch normalisation's too, with :math:`g_k = \gamma_k \delta_k`:

    .. math::
        \frac{\partial L}{\partial z_k} = \frac{1}{s}\Big(g_k - \frac{1}{n}\sum_j g_j
            - \hat z_k \frac{1}{n} \sum_j g_j \hat z_j\Big), \quad
        \frac{\partial L}{\partial \gamma_k} = \sum_{\text{examples}} \delta_k \hat z_k, \quad
        \frac{\partial L}{\partial \beta_k} = \sum_{\text{examples}} \delta_k,

    with :math:`s = \sqrt{\sigma^2 + \epsilon}` of that example.

    See Also
    --------
    Chapter 15 (Normalisation) compares layer norm with batch norm.

    References
    ----------
    J. L. Ba, J. R. Kiros and G. E. Hinton, "Layer normalization", 2016. arXiv:1607.06450.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.normalization import LayerNorm
    >>> ln = LayerNorm(3)
    >>> ln(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])).round(4)
    array([[-1.2247,  0.    ,  1.2247],
           [-0.7071, -0.7071,  1.4142]])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 dtype=np.float64):
        super().__init__()
        where = "LayerNorm"
        self.normalized_shape = _check_normalized_shape(normalized_shape, where)
        self.eps = check_positive(eps, where, "eps")
        self.elementwise_affine = check_bool(elementwise_affine, where, "elementwise_affine")
        bias = check_bool(bias, where, "bias")
        dtype = check_dtype(dtype, where)
        shape = self.normalized_shape
        self.weight = Parameter(np.ones(shape, dtype=dtype)) if self.elementwise_affine else None
        self.bias = (Parameter(np.zeros(shape, dtype=dtype))
                     if self.elementwise_affine and bias else None)
        self.dtype = dtype
        self._axes = tuple(range(-len(shape), 0))
        self._n = math.prod(shape)
        self._x_hat = None
        self._inv_std = None

    def extra_repr(self) -> str:
        return (f"normalized_shape={self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")

    def forward(self, x):
        """y = gamma z_hat + beta, each example standardised over its trailing dimensions.

        Parameters
        ----------
        x : ndarray of shape (m, *normalized_shape), e.g. (m, d)

        Returns
        -------
        ndarray of the same shape
        """
        x = as_array(x, self, dtype=self.dtype)
        _check_trailing_shape(x, self.normalized_shape, self)
        axes, n = self._axes, self._n
        mean = x.sum(axis=axes, keepdims=True)
        mean /= n
        x_hat = x - mean
        var = np.square(x_hat).sum(axis=axes, keepdims=True)
        var /= n
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat *= inv_std
        self._x_hat, self._inv_std = x_hat, inv_std
        if self.weight is None:
            return x_hat.copy()
        y = x_hat * self.weight.data
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_out):
        """Add dL/dgamma, dL/dbeta into the parameters' ``grad``; return dL/dx.

        Parameters
        ----------
        grad_out : ndarray of shape (m, *normalized_shape)
            delta = dL/dy.

        Returns
        -------
        ndarray of shape (m, *normalized_shape)
            dL/dx.
        """
        x_hat = self._cached(self._x_hat, "normalised input")
        delta = self._check_grad_out(grad_out, x_hat.shape, self.dtype)
        batch_axes = tuple(range(x_hat.ndim - len(self.normalized_shape)))
        if self.bias is not None:
            self.bias.grad += delta.sum(axis=batch_axes)
        if self.weight is None:
            g = delta
        else:
            self.weight.grad += (delta * x_hat).sum(axis=batch_axes)
            g = delta * self.weight.data
        return _standardize_backward(g, x_hat, self._inv_std, self._axes, self._n)


class RMSNorm(Module):
    r"""Root-mean-square normalisation: divide each example by its RMS, then scale.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The shape of the trailing dimensions to normalise over.
    eps : float or None, default 1e-6
        Added to the mean square before the square root. ``None`` means the machine epsilon
        of ``dtype`` (``np.finfo(dtype).eps``), which is PyTorch's default; nnlib's default
        1e-6 is the value of the original implementation and of most language models.
    elementwise_affine : bool, default True
        Learn a scale gamma (``weight``, starts at 1). There is no shift.
    dtype : np.float64 or np.float32, default np.float64

    Attributes
    ----------
    weight : Parameter of shape ``normalized_shape`` or None

    Raises
    ------
    ValueError
        In ``forward``: input whose trailing dimensions are not ``normalized_shape``.

    Notes
    -----
    For one example :math:`z = (z_1, \dots, z_n)`:

    .. math::
        r = \Big(\frac{1}{n}\sum_k z_k^2 + \epsilon\Big)^{-1/2}, \qquad
        \hat z_k = r z_k, \qquad y_k = \gamma_k \hat z_k.

    No mean is subtracted: only the scale of the example is normalised. Backward, with
    :math:`g_k = \gamma_k \delta_k` and :math:`\partial r / \partial z_j = -r^3 z_j / n`:

    .. math::
        \frac{\partial L}{\partial z_j} = r\Big(g_j - \hat z_j \frac{1}{n}\sum_k g_k
            \hat z_k\Big), \qquad
        \frac{\partial L}{\partial \gamma_k} = \sum_{\text{examples}} \delta_k \hat z_k.

    This is layer normalisation's backward pass without the term that removes the mean.

    See Also
    --------
    Chapter 15 (Normalisation).

    References
    ----------
    B. Zhang and R. Sennrich, "Root mean square layer normalization", NeurIPS 2019.
    arXiv:1910.07467.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.normalization import RMSNorm
    >>> RMSNorm(2, eps=0.0)(np.array([[3.0, 4.0]])).round(4)   # RMS = sqrt(12.5)
    array([[0.8485, 1.1314]])
    """

    def __init__(self, normalized_shape, eps=1e-6, elementwise_affine=True, dtype=np.float64):
        super().__init__()
        where = "RMSNorm"
        self.normalized_shape = _check_normalized_shape(normalized_shape, where)
        dtype = check_dtype(dtype, where)
        if eps is None:
            eps = float(np.finfo(dtype).eps)
        eps = check_finite_scalar(eps, where, "eps")
        if eps < 0:
            raise ValueError(f"{where}: expected eps >= 0, got {eps}.")
        self.eps = eps
        self.elementwise_affine = check_bool(elementwise_affine, where, "elementwise_affine")
        self.weight = (Parameter(np.ones(self.normalized_shape, dtype=dtype))
                       if self.elementwise_affine else None)
        self.dtype = dtype
        self._axes = tuple(range(-len(self.normalized_shape), 0))
        self._n = math.prod(self.normalized_shape)
        self._x_hat = None
        self._r = None

    def extra_repr(self) -> str:
        return (f"normalized_shape={self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")

    def forward(self, x):
        """y = gamma x / rms(x), per example over its trailing dimensions.

        Parameters
        ----------
        x : ndarray of shape (m, *normalized_shape), e.g. (m, d)

        Returns
        -------
        ndarray of the same shape
        """
        x = as_array(x, self, dtype=self.dtype)
        _check_trailing_shape(x, self.normalized_shape, self)
        mean_sq = np.square(x).sum(axis=self._axes, keepdims=True)
        mean_sq /= self._n
        r = 1.0 / np.sqrt(mean_sq + self.eps)
        x_hat = x * r
        self._x_hat, self._r = x_hat, r
        if self.weight is None:
            return x_hat.copy()
        return x_hat * self.weight.data

    def backward(self, grad_out):
        """Add dL/dgamma into ``weight.grad``; return dL/dx.

        Parameters
        ----------
        grad_out : ndarray of shape (m, *normalized_shape)
            delta = dL/dy.

        Returns
        -------
        ndarray of shape (m, *normalized_shape)
            dL/dx.
        """
        x_hat = self._cached(self._x_hat, "normalised input")
        delta = self._check_grad_out(grad_out, x_hat.shape, self.dtype)
        if self.weight is None:
            g = delta
        else:
            batch_axes = tuple(range(x_hat.ndim - len(self.normalized_shape)))
            self.weight.grad += (delta * x_hat).sum(axis=batch_axes)
            g = delta * self.weight.data
        mean_gx = (g * x_hat).sum(axis=self._axes, keepdims=True)
        mean_gx /= self._n
        dx = x_hat * mean_gx
        np.subtract(g, dx, out=dx)
        dx *= self._r
        return dx


class _PerExampleGroupNorm(Module):
    """Shared machinery of GroupNorm and InstanceNorm1d (private).

    The input (m, C, *) is viewed as (m, G, n) with n = (C / G) * (product of the trailing
    sizes); each of the m G rows is standardised, and a per-channel affine map follows.
    Subclasses set ``_groups``, ``_channels``, ``eps``, ``weight``, ``bias``, ``dtype`` and
    implement ``_check_input``.
    """

    def _init_affine(self, affine, dtype):
        C = self._channels
        self.weight = Parameter(np.ones(C, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(C, dtype=dtype)) if affine else None
        self.dtype = dtype
        self._x_hat = None
        self._inv_std = None

    def _check_input(self, x):
        raise NotImplementedError

    def _group_size(self, shape) -> int:
        """Number of values in one group of one example: (C / G) * L * ..."""
        return self._channels // self._groups * math.prod(shape[2:])

    def forward(self, x):
        """y = gamma_c z_hat + beta_c, standardised per example and group of channels.

        Parameters
        ----------
        x : ndarray of shape (m, C) or (m, C, L, ...)
            Channels on axis 1.

        Returns
        -------
        ndarray of the same shape
        """
        x = as_array(x, self, dtype=self.dtype)
        self._check_input(x)
        m, G = x.shape[0], self._groups
        n = self._group_size(x.shape)
        xg = x.reshape(m, G, n)
        mean = xg.sum(axis=2, keepdims=True)
        mean /= n
        x_hat = xg - mean
        var = np.square(x_hat).sum(axis=2, keepdims=True)
        var /= n
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat *= inv_std
        x_hat = x_hat.reshape(x.shape)
        self._x_hat, self._inv_std = x_hat, inv_std
        if self.weight is None:
            return x_hat.copy()
        shape = (self._channels,) + (1,) * (x.ndim - 2)
        y = x_hat * self.weight.data.reshape(shape)
        y += self.bias.data.reshape(shape)
        return y

    def backward(self, grad_out):
        """Add dL/dgamma, dL/dbeta into the parameters' ``grad``; return dL/dx.

        Parameters
        ----------
        grad_out : ndarray of the input's shape, (m, C) or (m, C, L, ...)
            delta = dL/dy.

        Returns
        -------
        ndarray of the input's shape
            dL/dx.
        """
        x_hat = self._cached(self._x_hat, "normalised input")
        delta = self._check_grad_out(grad_out, x_hat.shape, self.dtype)
        if self.weight is None:
            g = delta
        else:
            param_axes = (0,) + tuple(range(2, x_hat.ndim))  # all but the channel axis
            self.weight.grad += (delta * x_hat).sum(axis=param_axes)
            self.bias.grad += delta.sum(axis=param_axes)
            g = delta * self.weight.data.reshape((self._channels,) + (1,) * (x_hat.ndim - 2))
        m, G = x_hat.shape[0], self._groups
        n = self._group_size(x_hat.shape)
        dx = _standardize_backward(g.reshape(m, G, n), x_hat.reshape(m, G, n),
                                   self._inv_std, 2, n)
        return dx.reshape(x_hat.shape)


class GroupNorm(_PerExampleGroupNorm):
    r"""Group normalisation: standardise groups of channels within each example.

    Parameters
    ----------
    num_groups : int
        G, the number of groups; must divide ``num_channels``.
    num_channels : int
        C, the number of channels (axis 1 of the input).
    eps : float, default 1e-5
        Added to the variance before the square root.
    affine : bool, default True
        Learn a per-channel scale gamma (``weight``, starts at 1) and shift beta (``bias``,
        starts at 0), both of shape (C,).
    dtype : np.float64 or np.float32, default np.float64

    Attributes
    ----------
    weight, bias : Parameter of shape (C,) or None

    Raises
    ------
    ValueError
        If ``num_channels`` is not divisible by ``num_groups``; in ``forward``, input that is
        not (m, C, ...) with C = ``num_channels``.

    Notes
    -----
    The input has shape (m, C) or (m, C, L, ...) with channels on axis 1. Channels
    :math:`gC/G, \dots, (g+1)C/G - 1` form group g. For each example and group, the mean
    :math:`\mu` and the biased variance :math:`\sigma^2` are taken over the group's channels
    and all positions, every entry is standardised,
    :math:`\hat z = (z - \mu)/\sqrt{\sigma^2 + \epsilon}`, and channel c gets
    :math:`y = \gamma_c \hat z + \beta_c`. ``GroupNorm(1, C)`` is layer normalisation over
    (C, L, ...) with a per-channel (not per-entry) affine map; ``GroupNorm(C, C)`` is instance
    normalisation. The statistics never involve other examples, so the layer is the same in
    training and evaluation and works with a batch of one. The backward pass is
    :class:`LayerNorm`'s applied to each (example, group) with
    :math:`g = \gamma_c \delta`; :math:`\partial L/\partial \gamma_c` and
    :math:`\partial L/\partial \beta_c` sum :math:`\delta \hat z` and :math:`\delta` over
    examples and positions.

    See Also
    --------
    Chapter 15 (Normalisation).

    References
    ----------
    Y. Wu and K. He, "Group normalization", ECCV 2018. arXiv:1803.08494.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.normalization import GroupNorm
    >>> gn = GroupNorm(2, 4)        # channels {0, 1} and {2, 3}
    >>> gn(np.array([[1.0, 3.0, 10.0, 10.0]])).round(4)
    array([[-1.,  1.,  0.,  0.]])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=np.float64):
        super().__init__()
        where = "GroupNorm"
        self.num_groups = check_int(num_groups, where, "num_groups", minimum=1)
        self.num_channels = check_int(num_channels, where, "num_channels", minimum=1)
        if self.num_channels % self.num_groups:
            raise ValueError(f"{where}: expected num_channels to be divisible by num_groups, "
                             f"got num_channels={self.num_channels} and "
                             f"num_groups={self.num_groups}.")
        self.eps = check_positive(eps, where, "eps")
        self.affine = check_bool(affine, where, "affine")
        self._groups, self._channels = self.num_groups, self.num_channels
        self._init_affine(self.affine, check_dtype(dtype, where))

    def extra_repr(self) -> str:
        return (f"num_groups={self.num_groups}, num_channels={self.num_channels}, "
                f"eps={self.eps}, affine={self.affine}")

    def _check_input(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"{self}: expected input of shape (m, {self.num_channels}) or "
                             f"(m, {self.num_channels}, ...), with the channels on axis 1, "
                             f"got shape {x.shape}.")


class InstanceNorm1d(_PerExampleGroupNorm):
    r"""Instance normalisation: standardise each channel of each example over its positions.

    Parameters
    ----------
    num_features : int
        C, the number of channels (axis 1 of the (m, C, L) input).
    eps : float, default 1e-5
        Added to the variance before the square root.
    affine : bool, default False
        Learn a per-channel scale gamma (``weight``) and shift beta (``bias``). Off by
        default, as in PyTorch.
    dtype : np.float64 or np.float32, default np.float64

    Attributes
    ----------
    weight, bias : Parameter of shape (C,) or None

    Raises
    ------
    ValueError
        In ``forward``: input that is not 3-D (m, C, L) with C = ``num_features``, or (in
        training mode) has L = 1.

    Notes
    -----
    For example i and channel c, the mean and biased variance are taken over the L
    positions, :math:`\hat z_{icl} = (z_{icl} - \mu_{ic}) / \sqrt{\sigma^2_{ic} + \epsilon}`,
    and :math:`y = \gamma_c \hat z + \beta_c` when ``affine``. This is
    ``GroupNorm(C, C)``, with the same backward pass. Unlike PyTorch, there is no
    ``track_running_stats`` option (PyTorch's default is also off, so the instance's own
    statistics are used in training and evaluation), and the input must be 3-D: PyTorch
    would read a 2-D input as a single unbatched (C, L) example, which is rarely what an
    (m, features) array means. As in PyTorch, training mode needs L > 1.

    See Also
    --------
    Chapter 15 (Normalisation).

    References
    ----------
    D. Ulyanov, A. Vedaldi and V. Lempitsky, "Instance normalization: the missing ingredient
    for fast stylization", 2016. arXiv:1607.08022.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.normalization import InstanceNorm1d
    >>> InstanceNorm1d(1)(np.array([[[1.0, 2.0, 3.0]]])).round(4)
    array([[[-1.2247,  0.    ,  1.2247]]])
    """

    def __init__(self, num_features, eps=1e-5, affine=False, dtype=np.float64):
        super().__init__()
        where = "InstanceNorm1d"
        self.num_features = check_int(num_features, where, "num_features", minimum=1)
        self.eps = check_positive(eps, where, "eps")
        self.affine = check_bool(affine, where, "affine")
        self._groups = self._channels = self.num_features
        self._init_affine(self.affine, check_dtype(dtype, where))

    def extra_repr(self) -> str:
        return f"num_features={self.num_features}, eps={self.eps}, affine={self.affine}"

    def _check_input(self, x):
        if x.ndim != 3:
            check_ndim(x, 3, self, hint="InstanceNorm1d takes (batch, channels, length); "
                                        "for (batch, features) use LayerNorm.")
        check_features(x, self.num_features, self, axis=1)
        if self.training and x.shape[2] <= 1:
            raise ValueError(f"{self}: expected more than 1 position (length L > 1) when "
                             f"training, got input of shape {x.shape}.")
