"""Dropout: randomly silence units during training (Chapter 14).

One layer, :class:`Dropout`, in the *inverted* form PyTorch uses: the surviving units are
scaled up by 1 / (1 - p) during training, so nothing changes at test time. The masks come
from the layer's own random generator, never from numpy's global one.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_finite_scalar, make_rng
from .core import Module

__all__ = ["Dropout"]


class Dropout(Module):
    r"""Inverted dropout: zero each entry with probability p, scale the rest by 1 / (1 - p).

    Parameters
    ----------
    p : float in [0, 1], default 0.5
        The probability of *dropping* an entry (PyTorch's convention; the original paper's
        ``p`` is the probability of *keeping* it, which is 1 - p here). ``p = 0`` makes the
        layer the identity; ``p = 1`` drops everything (the output and the gradient are zero).
    rng : numpy.random.Generator, int or None
        Source of the masks. The same seed gives the same sequence of masks; ``None`` seeds
        from the operating system. numpy's global random state is never touched.

    Attributes
    ----------
    p : float
        The drop probability; may be changed between passes (it is validated again).
    rng : numpy.random.Generator
        The generator the masks are drawn from. Assigning a seed (``layer.rng = 0``) or a
        fresh ``np.random.default_rng(0)`` replays the same sequence of masks.
    mask : ndarray of bool or None
        The keep mask of the last training-mode forward pass (True where the entry was
        kept); ``None`` after an evaluation-mode pass or when ``p = 0``.

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1] or not finite.
    TypeError
        If ``p`` is not a real number, or ``rng`` is not a Generator, an int or None.

    Notes
    -----
    Training mode, for an input h (any shape) and an independent keep mask
    :math:`r_k \sim \text{Bernoulli}(1 - p)` for every entry:

    .. math:: y = \frac{r \odot h}{1 - p}, \qquad
              \mathbb{E}[y_k] = \frac{(1 - p)\, h_k}{1 - p} = h_k,

    so the expected output equals the input and evaluation mode is simply the identity,
    :math:`y = h`. Given :math:`\delta = \partial L / \partial y`, the backward pass uses the
    *same* mask: :math:`\partial L / \partial h = r \odot \delta / (1 - p)` (a dropped unit
    receives no gradient); in evaluation mode it passes :math:`\delta` through unchanged.

    The mask is drawn as ``rng.random(h.shape) >= p`` (a uniform number in [0, 1) is at least
    p with probability 1 - p): one uniform draw and one comparison per entry. It is stored for
    ``backward``, so forward and backward always see the same mask; each forward pass draws a
    new one. To differentiate the layer numerically, the mask must stay fixed while the input
    is perturbed: reset the generator before every forward pass, e.g.
    ``check_module(layer, x, reseed=lambda: setattr(layer, "rng", 0))``. With the same
    generator state and input shape, the mask is the same (float32 input draws float32
    uniforms, so its masks differ from float64's).

    *The original form.* Srivastava et al. (2014) keep each unit with probability
    :math:`q = 1 - p` and do *not* rescale during training, :math:`y = r \odot h`; at test
    time every outgoing weight is multiplied by q instead. Both give the next layer the same
    expected input: :math:`\mathbb{E}[W (r \odot h)] = q W h` (original, matched at test
    time by the weights :math:`q W`) and :math:`\mathbb{E}[W (r \odot h) / q] = W h`
    (inverted, matched at test time by the unchanged W). The inverted form moves the
    factor into training so that the deployed network needs no change.

    *Monte Carlo dropout.* Gal and Ghahramani (2016) keep dropout on at test time: call
    ``model.train()`` (or set ``training = True`` on the Dropout layers only, so that
    BatchNorm keeps its running statistics), run T forward passes of the same input and
    use the mean of the T outputs as the prediction and their standard deviation as an
    estimate of the model's uncertainty. Chapter 14 shows that spread growing away from the
    training data.

    See Also
    --------
    Chapter 14 (Dropout) derives both forms, the ensemble view and Monte Carlo dropout.

    References
    ----------
    G. E. Hinton, N. Srivastava, A. Krizhevsky, I. Sutskever and R. R. Salakhutdinov,
    "Improving neural networks by preventing co-adaptation of feature detectors", 2012.
    arXiv:1207.0580.

    N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and R. Salakhutdinov, "Dropout: a
    simple way to prevent neural networks from overfitting", JMLR 15, 2014.

    Y. Gal and Z. Ghahramani, "Dropout as a Bayesian approximation: representing model
    uncertainty in deep learning", ICML 2016. arXiv:1506.02142.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.dropout import Dropout
    >>> drop = Dropout(p=0.5, rng=0)
    >>> y = drop(np.ones((2, 6)))
    >>> sorted(set(y.ravel().tolist()))        # dropped, or kept and scaled by 1 / (1 - p)
    [0.0, 2.0]
    >>> bool(np.all(y[drop.mask] == 2.0) and np.all(y[~drop.mask] == 0.0))
    True
    >>> drop.eval()(np.ones((2, 6))).tolist() == np.ones((2, 6)).tolist()   # identity
    True
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p = p
        self.rng = rng
        self.mask = None
        self._shape = self._dtype = None  # of the last input, for backward

    @property
    def p(self) -> float:
        return self._p

    @p.setter
    def p(self, value) -> None:
        # validated on every assignment (a slider may set layer.p), and the scale follows it
        value = check_finite_scalar(value, "Dropout", "p")
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"Dropout: expected p, the drop probability, in [0, 1], "
                             f"got {value}.")
        self._p = value
        self._scale = 1.0 / (1.0 - value) if value < 1.0 else 0.0  # p = 1: all dropped

    @property
    def rng(self) -> np.random.Generator:
        return self._rng

    @rng.setter
    def rng(self, value) -> None:
        # a Generator, an int seed or None, validated like the constructor's argument
        self._rng = make_rng(value, f"Dropout(p={self.p}).rng")

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x):
        """Drop entries of ``x`` in training mode; return ``x`` itself in evaluation mode.

        Parameters
        ----------
        x : ndarray of shape (m, n) (or any shape)
            h.

        Returns
        -------
        ndarray of the same shape
            r * h / (1 - p) in training mode, h in evaluation mode.
        """
        x = as_array(x, self)
        self._shape, self._dtype = x.shape, x.dtype
        if not self.training or self.p == 0.0:
            self.mask = None
            return x
        uniform_dtype = np.float32 if x.dtype == np.float32 else np.float64
        self.mask = self.rng.random(x.shape, dtype=uniform_dtype) >= self.p
        y = x * self.mask
        y *= self._scale
        return y

    def backward(self, grad_out):
        """Return dL/dh: the upstream gradient through the same mask, scaled by 1 / (1 - p).

        Parameters
        ----------
        grad_out : ndarray of the input's shape (m, n)
            dL/dy.

        Returns
        -------
        ndarray of shape (m, n)
            r * dL/dy / (1 - p) after a training-mode forward pass, dL/dy otherwise.
        """
        shape = self._cached(self._shape)
        delta = self._check_grad_out(grad_out, shape, self._dtype)
        if self.mask is None:
            return delta
        dx = delta * self.mask
        dx *= self._scale
        return dx
