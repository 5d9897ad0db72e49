"""Experiments of Chapter 14 (Dropout).

The chapter's figures, its live experiments and the numerically heavier helpers. Every static
figure is drawn by a ``draw_*`` function that returns a matplotlib Figure; each live
experiment is a :class:`book.live.LiveFigure`, so the notebook's widget, the website's
flipbook, the static small multiples and the tests all draw the same figure.

Contents

- :func:`inverted_dropout`, :func:`inverted_dropout_backward`, :func:`original_dropout`: the
  two forms of dropout written out in numpy, for one mask.
- :func:`thinned_outputs`, :func:`geometric_mean_softmax`: every one of the 2^n thinned
  versions of a softmax layer, and their normalised geometric mean (the ensemble that the
  weight-scaling rule computes exactly for one layer).
- :func:`digits_subset`, :class:`LockstepMLP`, :func:`train_sweep`, :class:`Sweep`: a wide
  ReLU network trained on 200 of the 8x8 digits once per dropout rate, all the networks side
  by side in one set of numpy arrays (equal, step for step, to nnlib's ``fit``; the tests
  check it), and :func:`to_nnlib`, which turns one of them into an nnlib ``Sequential``.
- :func:`thinned_accuracy`, :func:`mc_accuracy`: what the trained networks do when half
  their units are missing (co-adaptation), and Monte Carlo averaging against weight scaling.
- :func:`draw_thinned_networks`, :func:`draw_robustness`: the chapter's opening pictures.
- :class:`GapFigure`, :func:`gap_experiment`, :func:`draw_gap_panels`: the train/validation
  gap against the dropout rate (the chapter's main live experiment).
- :func:`regression_data`, :func:`train_regression`, :func:`mc_passes`, :class:`McFigure`,
  :func:`mc_experiment`, :func:`draw_mc_dropout`: Monte Carlo dropout on a 1-D regression,
  its spread growing away from the training data.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from nnlib._checks import as_array, check_int, check_positive, make_rng
from nnlib.core import Sequential
from nnlib.data import digits, sine
from nnlib.dropout import Dropout
from nnlib.functional import log_softmax, softmax
from nnlib.layers import Linear, ReLU
from nnlib.losses import MSELoss
from nnlib.optim import Adam
from nnlib.plot import COLORS
from nnlib.train import fit

from . import live
from .shared import one_blas_thread

__all__ = [
    "inverted_dropout", "inverted_dropout_backward", "original_dropout",
    "thinned_outputs", "geometric_mean_softmax",
    "RATES", "N_TRAIN", "HIDDEN", "EPOCHS", "BATCH_SIZE", "LR", "EVERY",
    "DigitsSubset", "digits_subset", "LockstepMLP", "Sweep", "train_sweep", "to_nnlib",
    "train_lockstep", "lockstep_matches_fit", "train_mode_loss",
    "thinned_accuracy", "mc_accuracy",
    "draw_thinned_networks", "draw_robustness",
    "GapFigure", "gap_experiment", "draw_gap_panels",
    "RegressionData", "regression_data", "train_regression", "mc_passes", "McFigure",
    "mc_experiment", "draw_mc_dropout", "thinned_passes", "mc_result", "McResult",
    "in_regions", "thinned_masks", "thinned_logits", "mask_rng", "order_rng", "GapCurves",
    "regression_net", "REGIONS", "X_RANGE", "MC_P", "MC_T", "MC_RATES", "MEASURES", "EXPERIMENTS",
]


def _check_rate(p, where, name="p"):
    p = float(p)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"{where}: expected the drop probability {name} in [0, 1), got {p}.")
    return p


# --------------------------------------------------------------------------------------------
# the two forms of dropout, written out for one mask
# --------------------------------------------------------------------------------------------
def inverted_dropout(h, p, rng):
    """Inverted dropout of ``h`` in training mode: the output and the keep mask.

    Parameters
    ----------
    h : array_like
        The activations, any shape (a batch (m, n) in the chapter).
    p : float in [0, 1)
        The probability of *dropping* an entry.
    rng : Generator or int
        Source of the mask.

    Returns
    -------
    out : ndarray like ``h``
        ``h * r / (1 - p)``.
    r : ndarray of float, 0 or 1, like ``h``
        The keep mask, ``r_j ~ Bernoulli(1 - p)``, drawn as ``uniform >= p`` (the way
        nnlib.Dropout draws it, so the same generator gives the same mask).

    Examples
    --------
    >>> out, r = inverted_dropout(np.ones(6), 0.5, rng=0)
    >>> sorted(set(out.tolist())), bool(np.all(out == 2.0 * r))
    ([0.0, 2.0], True)
    """
    h = as_array(h, "inverted_dropout", name="h")
    p = _check_rate(p, "inverted_dropout")
    rng = make_rng(rng, "inverted_dropout")
    r = (rng.random(h.shape) >= p).astype(h.dtype)
    return h * r / (1.0 - p), r


def inverted_dropout_backward(delta, r, p):
    """The backward pass of :func:`inverted_dropout`: ``dL/dh = delta * r / (1 - p)``.

    Parameters
    ----------
    delta : array_like
        dL/d(out), the shape of the layer's output.
    r : array_like
        The keep mask of the forward pass (the *same* one).
    p : float in [0, 1)

    Returns
    -------
    ndarray
        dL/dh: zero where the unit was dropped.

    Examples
    --------
    >>> inverted_dropout_backward(np.ones(3), np.array([1.0, 0.0, 1.0]), 0.5).tolist()
    [2.0, 0.0, 2.0]
    """
    p = _check_rate(p, "inverted_dropout_backward")
    return as_array(delta, "inverted_dropout_backward", name="delta") * r / (1.0 - p)


def original_dropout(h, q, rng, train=True):
    """Dropout as Srivastava et al. (2014) wrote it, with the KEEP probability ``q``.

    In training, each entry is kept with probability q and nothing is rescaled:
    ``h * r``. At test time the layer is the identity and the *next* layer's weights are
    multiplied by q instead (the caller does that).

    Parameters
    ----------
    h : array_like
    q : float in (0, 1]
        The probability of *keeping* an entry (the paper's p; ours is p = 1 - q).
    rng : Generator or int
    train : bool

    Returns
    -------
    ndarray like ``h``

    Examples
    --------
    >>> original_dropout(np.ones(4), 0.5, rng=0).tolist()     # 0 or 1, not 0 or 2
    [1.0, 0.0, 0.0, 0.0]
    """
    h = as_array(h, "original_dropout", name="h")
    q = float(q)
    if not 0.0 < q <= 1.0:
        raise ValueError(f"original_dropout: expected the keep probability q in (0, 1], got "
                         f"{q}.")
    if not train:
        return h
    rng = make_rng(rng, "original_dropout")
    return h * (rng.random(h.shape) >= 1.0 - q)


# --------------------------------------------------------------------------------------------
# the ensemble of thinned networks, for one softmax layer
# --------------------------------------------------------------------------------------------
def thinned_outputs(h, W, b, p):
    """The logits of all 2^n thinned versions of one layer, with their probabilities.

    Dropout on the layer's input h (n entries) picks one of 2^n keep masks r; mask r has
    probability ``(1 - p)^|r| p^(n - |r|)`` and gives the logits
    ``z_r = W (r * h) / (1 - p) + b``.

    Parameters
    ----------
    h : array_like of shape (n,)
        The input of the layer, n <= 16.
    W : array_like of shape (C, n)
    b : array_like of shape (C,)
    p : float in [0, 1)
        The drop probability.

    Returns
    -------
    masks : ndarray of shape (2^n, n), 0/1
    prob : ndarray of shape (2^n,)
        The probability of each mask; they sum to 1.
    Z : ndarray of shape (2^n, C)
        The logits of each thinned layer.

    Examples
    --------
    >>> masks, prob, Z = thinned_outputs([1.0, 2.0], [[1.0, 1.0]], [0.0], 0.5)
    >>> masks.tolist(), prob.tolist(), Z[:, 0].tolist()
    ([[0, 0], [0, 1], [1, 0], [1, 1]], [0.25, 0.25, 0.25, 0.25], [0.0, 4.0, 2.0, 6.0])
    """
    where = "thinned_outputs"
    h = as_array(h, where, name="h").astype(np.float64)
    W = as_array(W, where, name="W").astype(np.float64)
    b = as_array(b, where, name="b").astype(np.float64)
    p = _check_rate(p, where)
    if h.ndim != 1 or W.ndim != 2 or W.shape[1] != len(h) or b.shape != (W.shape[0],):
        raise ValueError(f"{where}: expected h of shape (n,), W of shape (C, n) and b of shape "
                         f"(C,), got {h.shape}, {W.shape} and {b.shape}.")
    if len(h) > 16:
        raise ValueError(f"{where}: 2^n masks are enumerated; expected n <= 16, got {len(h)}.")
    masks = np.array(list(itertools.product((0, 1), repeat=len(h))), dtype=np.int64)
    kept = masks.sum(axis=1)
    prob = (1.0 - p) ** kept * p ** (len(h) - kept)
    Z = (masks * h / (1.0 - p)) @ W.T + b
    return masks, prob, Z


def geometric_mean_softmax(Z, prob):
    """The normalised, probability-weighted geometric mean of softmax(z_r) over the rows of Z.

    ``G_c = prod_r softmax(z_r)_c ^ prob_r``, then divided by ``sum_c G_c`` so that it is a
    probability vector again (computed with logarithms).

    Parameters
    ----------
    Z : array_like of shape (M, C)
        Logits of M ensemble members.
    prob : array_like of shape (M,)
        Their weights (summing to 1).

    Returns
    -------
    ndarray of shape (C,)

    Examples
    --------
    >>> Z = np.array([[0.0, 1.0], [2.0, 1.0]])
    >>> np.round(geometric_mean_softmax(Z, [0.5, 0.5]), 6).tolist()   # = softmax(mean of z)
    [0.5, 0.5]
    """
    Z = as_array(Z, "geometric_mean_softmax", name="Z").astype(np.float64)
    prob = as_array(prob, "geometric_mean_softmax", name="prob").astype(np.float64)
    return softmax(prob @ log_softmax(Z, axis=1))


# --------------------------------------------------------------------------------------------
# a wide network on 200 digits, once per dropout rate
# --------------------------------------------------------------------------------------------
#: The dropout rates of the sweep: the live experiment's slider.
RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
#: Training images (20 per class); every other image of the set validates.
N_TRAIN = 200
#: Hidden layers; dropout follows each hidden ReLU.
HIDDEN = (256, 256)
#: Training: epochs, minibatch size, Adam's learning rate, and how often (in epochs) the
#: losses are measured.
EPOCHS = 100
BATCH_SIZE = 32
LR = 1e-3
EVERY = 5


class DigitsSubset(NamedTuple):
    """A small stratified training set of the 8x8 digits and the rest as validation."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


@functools.lru_cache(maxsize=4)
def _digits_subset(n_train, seed):
    X, y = digits()
    rng = np.random.default_rng(seed)
    per_class = n_train // 10
    train = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:per_class]
                            for c in range(10)])
    train = rng.permutation(train)
    val = np.setdiff1d(np.arange(len(X)), train)
    parts = X[train], y[train], X[val], y[val]
    for a in parts:
        a.setflags(write=False)
    return parts


def digits_subset(n_train=N_TRAIN, seed=0) -> DigitsSubset:
    """``n_train`` images of the 8x8 digits (the same number of each class) and the rest.

    Parameters
    ----------
    n_train : int
        A multiple of 10 from 10 to 1,000.
    seed : int
        Which images are drawn.

    Returns
    -------
    DigitsSubset
        Pixels in [0, 1], shape (n, 64); labels 0-9. The validation part is every image not
        in the training part (1,597 for 200 training images). Fresh copies.

    Examples
    --------
    >>> d = digits_subset(200)
    >>> d.X_train.shape, np.bincount(d.y_train).tolist() == [20] * 10, len(d.y_val)
    ((200, 64), True, 1597)
    """
    n_train = check_int(n_train, "digits_subset", "n_train", minimum=10)
    if n_train % 10 or n_train > 1000:
        raise ValueError(f"digits_subset: expected n_train to be a multiple of 10 from 10 to "
                         f"1000 (the same number of images per class), got {n_train}.")
    seed = check_int(seed, "digits_subset", "seed", minimum=0)
    return DigitsSubset(*(a.copy() for a in _digits_subset(n_train, seed)))


class LockstepMLP:
    """K ReLU networks of one shape, trained side by side: network k drops with rate ``p_k``.

    Every network starts from the same weights (nnlib's ``Linear`` with He initialisation,
    drawn from ``seed``) and sees the same minibatches; only the dropout rate and masks
    differ. The weights of all K networks live in stacked arrays, ``W[l]`` of shape
    (K, n_l, n_{l-1}) and ``b[l]`` of shape (K, n_l), so one matrix product serves all of
    them. Dropout follows every hidden ReLU, in the inverted form (Chapter 14):
    ``a = relu(z) * r / (1 - p)`` with ``r ~ Bernoulli(1 - p)``; the output layer gives
    logits. Training minimises each network's mean cross-entropy with Adam.

    With K = 1 this is exactly ``Sequential(Linear, ReLU, Dropout, ..., Linear)`` trained by
    ``nnlib.train.fit`` with ``Adam``: the same initial weights, masks
    (``Dropout(rng=mask_rng(seed, l))``) and minibatches (``fit(rng=order_rng(seed))``).

    Parameters
    ----------
    sizes : sequence of int
        n_0, ..., n_D, e.g. (64, 256, 256, 10).
    rates : sequence of float in [0, 1)
        One drop probability per network.
    seed : int
        Initial weights, masks and minibatch order.
    lr : float
        Adam's learning rate (betas 0.9 and 0.999, eps 1e-8, as nnlib's default).
    dtype : numpy dtype
        float32 (fast) or float64 (for the equality tests).

    Examples
    --------
    >>> net = LockstepMLP((64, 32, 10), rates=(0.0, 0.5), seed=0)
    >>> [w.shape for w in net.W], net.K
    ([(2, 32, 64), (2, 10, 32)], 2)
    """

    def __init__(self, sizes, rates, seed=0, lr=LR, dtype=np.float32):
        where = "LockstepMLP"
        self.sizes = tuple(check_int(n, where, "every layer size", minimum=1) for n in sizes)
        if len(self.sizes) < 3:
            raise ValueError(f"{where}: expected at least one hidden layer, sizes (n_0, n_1, "
                             f"..., n_D), got {self.sizes}.")
        self.rates = np.array([_check_rate(p, where, "every rate") for p in rates])
        if self.rates.ndim != 1 or not len(self.rates):
            raise ValueError(f"{where}: expected a sequence of rates, got {rates!r}.")
        self.K = len(self.rates)
        self.seed = check_int(seed, where, "seed", minimum=0)
        self.lr = check_positive(lr, where, "lr")
        self.dtype = np.dtype(dtype)
        init = np.random.default_rng(self.seed)
        self.W, self.b = [], []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            layer = Linear(n_in, n_out, rng=init)
            self.W.append(np.repeat(layer.weight.data[None], self.K, axis=0).astype(dtype))
            self.b.append(np.repeat(layer.bias.data[None], self.K, axis=0).astype(dtype))
        self._p = self.rates.astype(dtype)[:, None, None]
        self._scale = (1.0 / (1.0 - self.rates)).astype(dtype)[:, None, None]
        self._mask_rngs = [mask_rng(self.seed, l) for l in range(len(self.sizes) - 2)]
        self._m = [np.zeros_like(a) for a in self.W + self.b]    # Adam's two averages
        self._v = [np.zeros_like(a) for a in self.W + self.b]
        self.steps = 0

    @classmethod
    def from_weights(cls, W, b, rates, seed=0, dtype=np.float32):
        """K copies of one trained network (``W[l]`` of shape (n_l, n_{l-1}), ``b[l]``), copy k
        dropping with ``rates[k]``: K thinned versions of it side by side.

        Examples
        --------
        >>> twins = LockstepMLP.from_weights([np.eye(3), np.ones((2, 3))], [np.zeros(3),
        ...                                  np.zeros(2)], rates=(0.5, 0.5))
        >>> twins.forward(np.ones((1, 3)), train=False)[0][:, 0].tolist()
        [[3.0, 3.0], [3.0, 3.0]]
        """
        W = [as_array(w, "LockstepMLP.from_weights", name="W[l]") for w in W]
        sizes = [W[0].shape[1]] + [w.shape[0] for w in W]
        net = cls(sizes, rates, seed=seed, dtype=dtype)
        for l, (w, bias) in enumerate(zip(W, b, strict=True)):
            net.W[l][...] = w
            net.b[l][...] = bias
        return net

    def forward(self, X, train=True):
        """Logits of every network for the batch X.

        Parameters
        ----------
        X : ndarray of shape (m, n_0)
        train : bool
            Drop units (training mode) or not (evaluation mode: the identity).

        Returns
        -------
        logits : ndarray of shape (K, m, n_D)
        inputs : list of ndarray
            The input of every layer, A^(0) = X, then the dropped-out activations
            (K, m, n_l) that the next layer received.
        hidden : list of (Z, mask)
            Per hidden layer: the pre-activations and the mask times 1 / (1 - p) (None in
            evaluation mode).
        """
        A, inputs, hidden = X, [X], []
        last = len(self.W) - 1
        for l, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            Z = A @ W.transpose(0, 2, 1) + b[:, None, :]
            if l == last:
                return Z, inputs, hidden
            A = np.maximum(Z, 0.0)
            mask = None
            if train:   # r ~ Bernoulli(1 - p), drawn as nnlib.Dropout draws it
                mask = (self._mask_rngs[l].random(A.shape, dtype=self.dtype) >= self._p) \
                    * self._scale
                A = A * mask
            hidden.append((Z, mask))
            inputs.append(A)
        raise AssertionError("unreachable")   # pragma: no cover

    def step(self, X, y):
        """One Adam step of every network on the minibatch (X of shape (m, n_0), labels y)."""
        logits, inputs, hidden = self.forward(X, train=True)
        m = len(X)
        delta = softmax(logits, axis=-1)
        delta[:, np.arange(m), y] -= 1.0
        delta /= m                                     # (P - Y) / m: the mean loss
        grads = [None] * (2 * len(self.W))
        for l in range(len(self.W) - 1, -1, -1):
            A_prev = inputs[l]
            grads[l] = delta.transpose(0, 2, 1) @ A_prev          # Delta^T A
            grads[len(self.W) + l] = delta.sum(axis=1)            # column sums
            if l > 0:
                Z_prev, mask = hidden[l - 1]
                back = delta @ self.W[l]
                back *= mask                           # the SAME mask, times 1 / (1 - p)
                delta = back * (Z_prev > 0)            # ReLU
        self._adam(grads)

    def _adam(self, grads, beta1=0.9, beta2=0.999, eps=1e-8):
        """Adam's update, in nnlib's (PyTorch's) order of operations."""
        self.steps += 1
        t = self.steps
        bias1, bias2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
        # Python floats (math.sqrt), so that float32 arrays stay float32
        root2, step = math.sqrt(bias2), self.lr / bias1
        for param, g, m, v in zip(self.W + self.b, grads, self._m, self._v, strict=True):
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * np.square(g)
            denom = np.sqrt(v)
            denom /= root2                    # sqrt(hat v) ...
            denom += eps                      # ... + eps
            param -= step * m / denom

    def evaluate(self, X, y):
        """Mean cross-entropy and accuracy of every network on (X, y), without dropout.

        Returns
        -------
        loss, accuracy : ndarray of shape (K,)
        """
        logits, _, _ = self.forward(X, train=False)
        logp = log_softmax(logits, axis=-1)
        loss = -logp[:, np.arange(len(y)), y].mean(axis=1)
        return loss.astype(np.float64), (logits.argmax(axis=-1) == y).mean(axis=1)


def mask_rng(seed, layer):
    """The generator of the masks of dropout layer ``layer`` (0 = after the first hidden
    layer) of :class:`LockstepMLP`; give ``nnlib.Dropout(rng=mask_rng(seed, layer))`` to
    reproduce them."""
    return np.random.default_rng((seed, 1 + layer))


def order_rng(seed):
    """The generator of the minibatch order of :func:`train_sweep`, as ``fit(rng=...)``."""
    return np.random.default_rng((seed, 0))


def train_lockstep(net: LockstepMLP, X, y, epochs, batch_size, order, after_epoch=None):
    """Minibatch training of a :class:`LockstepMLP`, shuffled like ``nnlib.train.fit``.

    Each epoch draws ``order.permutation(m)`` and steps on consecutive slices of
    ``batch_size`` examples; ``after_epoch(epoch)`` runs after each epoch (epochs count from
    1).
    """
    for epoch in range(1, epochs + 1):
        perm = order.permutation(len(X))
        for i in range(0, len(X), batch_size):
            idx = perm[i:i + batch_size]
            net.step(X[idx], y[idx])
        if after_epoch is not None:
            after_epoch(epoch)
    return net


def lockstep_matches_fit(p=0.5, hidden=(32,), epochs=2, seed=0) -> float:
    """Largest difference between a one-network :class:`LockstepMLP` and ``nnlib.train.fit``.

    Both train the same float64 network (``Linear, ReLU, Dropout(p), ..., Linear`` with the
    same initial weights, masks and minibatches) on the chapter's 200 digits with Adam.

    Returns
    -------
    float
        The largest absolute difference of any weight or bias after training (round-off,
        about 1e-16 to 1e-13).

    Examples
    --------
    >>> bool(lockstep_matches_fit() < 1e-10)
    True
    """
    from nnlib.losses import CrossEntropyLoss

    data = digits_subset()
    sizes = (data.X_train.shape[1], *hidden, 10)
    ours = LockstepMLP(sizes, [p], seed=seed, dtype=np.float64)
    train_lockstep(ours, data.X_train, data.y_train, epochs, BATCH_SIZE, order_rng(seed))
    init = np.random.default_rng(seed)
    layers = []
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(n_in, n_out, rng=init))
        if l < len(sizes) - 2:
            layers += [ReLU(), Dropout(p, rng=mask_rng(seed, l))]
    net = Sequential(*layers)
    fit(net, CrossEntropyLoss(), Adam(net.parameters(), lr=LR), data.X_train, data.y_train,
        epochs=epochs, batch_size=BATCH_SIZE, rng=order_rng(seed), progress=False,
        diagnostics=False, blas_threads=1)
    linears = [m for m in net if isinstance(m, Linear)]
    return max(max(np.abs(m.weight.data - W[0]).max(), np.abs(m.bias.data - b[0]).max())
               for m, W, b in zip(linears, ours.W, ours.b, strict=True))


class Sweep(NamedTuple):
    """The record of :func:`train_sweep`: one network per dropout rate.

    Curves have one row per rate and one column per measurement (after epochs
    ``EVERY, 2 EVERY, ..., EPOCHS``); losses are mean cross-entropies and all four are
    measured without dropout (evaluation mode), on the whole training and validation sets.
    """

    rates: np.ndarray          # (K,)
    epochs: np.ndarray         # (E,)
    train_loss: np.ndarray     # (K, E)
    val_loss: np.ndarray       # (K, E)
    train_acc: np.ndarray      # (K, E)
    val_acc: np.ndarray        # (K, E)
    W: tuple                   # per layer, (K, n_l, n_{l-1}), float64
    b: tuple                   # per layer, (K, n_l)
    seconds: float             # CPU time of the training

    @property
    def gap(self) -> np.ndarray:
        """Validation loss minus training loss, (K, E)."""
        return self.val_loss - self.train_loss

    def index(self, p) -> int:
        """Row of the rate ``p`` (one of :data:`rates`)."""
        hits = np.flatnonzero(np.isclose(self.rates, float(p)))
        if not len(hits):
            raise ValueError(f"Sweep: no network was trained with p = {p}; the rates are "
                             f"{self.rates.tolist()}.")
        return int(hits[0])


@functools.lru_cache(maxsize=4)
def _train_sweep(rates, n_train, hidden, epochs, batch_size, lr, every, seed, dtype_name):
    data = digits_subset(n_train, seed=0)
    dtype = np.dtype(dtype_name)
    X, y = data.X_train.astype(dtype), data.y_train
    Xv, yv = data.X_val.astype(dtype), data.y_val
    net = LockstepMLP((X.shape[1], *hidden, 10), rates, seed=seed, lr=lr, dtype=dtype)
    curves, marks = [], []

    def record(epoch):
        if epoch % every == 0:
            curves.append((*net.evaluate(X, y), *net.evaluate(Xv, yv)))
            marks.append(epoch)

    start = time.process_time()
    with one_blas_thread():
        train_lockstep(net, X, y, epochs, batch_size, order_rng(seed), after_epoch=record)
    seconds = time.process_time() - start
    tl, ta, vl, va = (np.stack([c[i] for c in curves], axis=1) for i in range(4))
    out = Sweep(np.array(rates), np.array(marks), tl, vl, ta, va,
                tuple(w.astype(np.float64) for w in net.W),
                tuple(b.astype(np.float64) for b in net.b), seconds)
    for a in (*out[:6], *out.W, *out.b):
        a.setflags(write=False)
    return out


def train_sweep(rates=RATES, n_train=N_TRAIN, hidden=HIDDEN, epochs=EPOCHS,
                batch_size=BATCH_SIZE, lr=LR, every=EVERY, seed=0, dtype="float32") -> Sweep:
    """Train the chapter's digit network once per dropout rate and record the losses.

    A ReLU network ``64 - hidden - 10`` with dropout after every hidden layer is trained on
    :func:`digits_subset` (``n_train`` images; the other images validate) with Adam and the
    cross-entropy, once for each rate, all from the same initial weights and on the same
    minibatches (:class:`LockstepMLP`). The result is cached: the chapter's figures and its
    live experiment share one run.

    Parameters
    ----------
    rates : sequence of float in [0, 1)
    n_train : int
    hidden : tuple of int
    epochs, batch_size : int
    lr : float
    every : int
        Measure the losses after every ``every`` epochs (it must divide ``epochs``).
    seed : int
    dtype : {"float32", "float64"}

    Returns
    -------
    Sweep

    Examples
    --------
    >>> s = train_sweep(rates=(0.0, 0.5), hidden=(32,), epochs=4, every=2)
    >>> s.train_loss.shape, s.epochs.tolist()
    ((2, 2), [2, 4])
    """
    where = "train_sweep"
    rates = tuple(_check_rate(p, where, "every rate") for p in rates)
    epochs = check_int(epochs, where, "epochs", minimum=1)
    every = check_int(every, where, "every", minimum=1)
    if epochs % every:
        raise ValueError(f"{where}: expected every to divide epochs, got every={every} and "
                         f"epochs={epochs}.")
    hidden = tuple(check_int(n, where, "every hidden size", minimum=1) for n in hidden)
    if dtype not in ("float32", "float64"):
        raise ValueError(f"{where}: expected dtype 'float32' or 'float64', got {dtype!r}.")
    return _train_sweep(rates, check_int(n_train, where, "n_train", minimum=10), hidden,
                        epochs, check_int(batch_size, where, "batch_size", minimum=1),
                        float(lr), every, check_int(seed, where, "seed", minimum=0), dtype)


def to_nnlib(sweep: Sweep, p, *, rng=None) -> Sequential:
    """Network ``p`` of a sweep as an nnlib ``Sequential`` (float64), in evaluation mode.

    Parameters
    ----------
    sweep : Sweep
    p : float
        One of the sweep's rates: the network trained with it.
    rng : Generator, int or None
        The generator of the Dropout layers' masks (for Monte Carlo dropout).

    Returns
    -------
    Sequential
        ``Linear, ReLU, Dropout(p), ..., Linear`` with the trained weights.

    Examples
    --------
    >>> s = train_sweep(rates=(0.0, 0.5), hidden=(32,), epochs=4, every=2)
    >>> net = to_nnlib(s, 0.5)
    >>> [type(m).__name__ for m in net], net.training
    (['Linear', 'ReLU', 'Dropout', 'Linear'], False)
    """
    k = sweep.index(p)
    rng = make_rng(rng, "to_nnlib")
    layers = []
    for l, (W, b) in enumerate(zip(sweep.W, sweep.b, strict=True)):
        layer = Linear(W.shape[2], W.shape[1], rng=0)
        layer.weight.data[...] = W[k]
        layer.bias.data[...] = b[k]
        layers.append(layer)
        if l < len(sweep.W) - 1:
            layers += [ReLU(), Dropout(float(sweep.rates[k]), rng=rng)]
    return Sequential(*layers).eval()


# --------------------------------------------------------------------------------------------
# what the trained networks do with units missing: co-adaptation and the ensemble
# --------------------------------------------------------------------------------------------
def thinned_logits(sweep: Sweep, p, X, rate, T, seed=0, chunk=10):
    """Logits of T random thinned versions of the sweep's network ``p``.

    Each copy drops every hidden unit with probability ``rate`` and scales the others by
    1 / (1 - rate), as in training (``rate = p`` gives the thinned networks that dropout
    trained; another rate probes how much the network needs all its units).

    Parameters
    ----------
    sweep : Sweep
    p : float
        Which network (one of the sweep's rates).
    X : ndarray of shape (m, 64)
    rate : float in [0, 1)
    T : int
        Number of thinned copies (masks).
    seed : int
    chunk : int
        Copies evaluated at once (memory: chunk x m x 256 floats per layer).

    Returns
    -------
    ndarray of shape (T, m, 10), float64

    Examples
    --------
    >>> s = train_sweep(rates=(0.0, 0.5), hidden=(32,), epochs=4, every=2)
    >>> X = digits_subset().X_val[:5]
    >>> thinned_logits(s, 0.5, X, 0.5, T=3).shape
    (3, 5, 10)
    """
    where = "thinned_logits"
    k = sweep.index(p)
    rate = _check_rate(rate, where, "rate")
    T = check_int(T, where, "T", minimum=1)
    X = as_array(X, where, name="X").astype(np.float32)
    out = []
    with one_blas_thread():
        for i in range(0, T, chunk):
            n = min(chunk, T - i)
            net = LockstepMLP.from_weights([w[k] for w in sweep.W], [b[k] for b in sweep.b],
                                           [rate] * n, seed=seed + i)
            out.append(net.forward(X, train=rate > 0)[0])
    return np.concatenate(out).astype(np.float64)


def thinned_accuracy(sweep: Sweep, p, fractions, X, y, n_masks=4, seed=0):
    """Accuracy of network ``p`` when a fraction of its hidden units is silenced at random.

    Parameters
    ----------
    sweep : Sweep
    p : float
        Which network (one of the sweep's rates).
    fractions : sequence of float in [0, 1)
        Fractions f of hidden units silenced (the rest scaled by 1 / (1 - f)).
    X, y : the images and labels to classify.
    n_masks : int
        Random masks per fraction; the accuracies are averaged.
    seed : int

    Returns
    -------
    ndarray of shape (len(fractions),)

    Examples
    --------
    >>> s = train_sweep(rates=(0.0, 0.5), hidden=(32,), epochs=4, every=2)
    >>> d = digits_subset()
    >>> acc = thinned_accuracy(s, 0.0, [0.0, 0.5], d.X_val, d.y_val)
    >>> bool(acc[0] > acc[1])
    True
    """
    y = np.asarray(y)
    return np.array([(thinned_logits(sweep, p, X, f, n_masks, seed).argmax(-1) == y).mean()
                     for f in fractions])


def train_mode_loss(sweep: Sweep, p, X, y, seed=0) -> float:
    """Mean cross-entropy of network ``p`` on (X, y) in training mode (one pass, dropout on
    with its own rate p), the number a training loop reports while it runs.

    Examples
    --------
    >>> s = train_sweep(rates=(0.0, 0.5), hidden=(32,), epochs=4, every=2)
    >>> d = digits_subset()
    >>> bool(train_mode_loss(s, 0.5, d.X_train, d.y_train) > s.train_loss[1, -1])
    True
    """
    logits = thinned_logits(sweep, p, X, float(sweep.rates[sweep.index(p)]), 1, seed)[0]
    return _cross_entropy(softmax(logits, axis=-1), np.asarray(y))


def _cross_entropy(P, y):
    return float(-np.mean(np.log(P[np.arange(len(y)), y])))


def mc_accuracy(sweep: Sweep, p, X, y, T_values=(1, 2, 5, 10, 20, 50), seed=0) -> dict:
    """Averages of T thinned networks against the weight-scaled network, on (X, y).

    Parameters
    ----------
    sweep : Sweep
    p : float
        The network (trained with dropout rate p; its thinned copies drop with rate p).
    X, y : images and labels.
    T_values : increasing sequence of int
        Ensemble sizes; the largest is sampled, the smaller ones are its first members.
    seed : int

    Returns
    -------
    dict
        ``T`` (array), ``geo_loss`` and ``geo_acc`` (the normalised geometric mean of the T
        members' softmax outputs), ``arith_loss`` and ``arith_acc`` (their arithmetic mean),
        ``scaled_loss`` and ``scaled_acc`` (the network without dropout, i.e. the weight-
        scaling rule), and ``agree``: the fraction of images on which the geometric mean of
        the largest ensemble and the weight-scaled network predict the same class.

    Examples
    --------
    >>> s = train_sweep(rates=(0.0, 0.5), hidden=(32,), epochs=4, every=2)
    >>> d = digits_subset()
    >>> r = mc_accuracy(s, 0.5, d.X_val[:50], d.y_val[:50], T_values=(1, 4))
    >>> r["T"].tolist(), 0.0 <= r["agree"] <= 1.0
    ([1, 4], True)
    """
    y = np.asarray(y)
    T_values = np.array([check_int(t, "mc_accuracy", "every T", minimum=1) for t in T_values])
    logits = thinned_logits(sweep, p, X, p, int(T_values.max()), seed)
    logp = log_softmax(logits, axis=-1)                       # (T, m, C)
    out = {"T": T_values}
    for name in ("geo_loss", "geo_acc", "arith_loss", "arith_acc"):
        out[name] = np.zeros(len(T_values))
    for i, T in enumerate(T_values):
        geo = softmax(logp[:T].mean(axis=0), axis=-1)         # normalised geometric mean
        arith = np.exp(logp[:T]).mean(axis=0)
        out["geo_loss"][i], out["geo_acc"][i] = _cross_entropy(geo, y), np.mean(
            geo.argmax(-1) == y)
        out["arith_loss"][i], out["arith_acc"][i] = _cross_entropy(arith, y), np.mean(
            arith.argmax(-1) == y)
    scaled = softmax(thinned_logits(sweep, p, X, 0.0, 1)[0], axis=-1)
    out["scaled_loss"], out["scaled_acc"] = _cross_entropy(scaled, y), float(
        np.mean(scaled.argmax(-1) == y))
    out["agree"] = float(np.mean(geo.argmax(-1) == scaled.argmax(-1)))
    return out


# --------------------------------------------------------------------------------------------
# Monte Carlo dropout on a 1-D regression
# --------------------------------------------------------------------------------------------
#: Where the regression's training inputs lie: two intervals with a hole between them.
REGIONS = ((-3.0, -1.0), (1.0, 3.0))
#: The inputs at which the trained network is queried.
X_RANGE = (-8.0, 8.0)
#: Monte Carlo dropout: the network's drop rate and the number of stochastic passes.
MC_P = 0.1
MC_T = 200


class RegressionData(NamedTuple):
    """The 1-D regression of the Monte Carlo dropout section."""

    X: np.ndarray      # (n, 1) training inputs, in REGIONS
    y: np.ndarray      # (n, 1) sin(x) + noise
    grid: np.ndarray   # (g,) inputs to query, X_RANGE


def regression_data(n_per_region=30, noise=0.1, seed=0, n_grid=321) -> RegressionData:
    """Noisy samples of sin(x) on two intervals, -3 <= x <= -1 and 1 <= x <= 3.

    Parameters
    ----------
    n_per_region : int
    noise : float
        Std of the Gaussian noise.
    seed : int
    n_grid : int
        Points of the query grid from -8 to 8.

    Returns
    -------
    RegressionData

    Examples
    --------
    >>> d = regression_data()
    >>> d.X.shape, bool(np.all((np.abs(d.X) >= 1) & (np.abs(d.X) <= 3))), d.grid[[0, -1]].tolist()
    ((60, 1), True, [-8.0, 8.0])
    """
    n_per_region = check_int(n_per_region, "regression_data", "n_per_region", minimum=1)
    parts = [sine(n_per_region, noise=noise, x_range=r, rng=seed + 1 + i)
             for i, r in enumerate(REGIONS)]
    X = np.vstack([p[0] for p in parts])
    y = np.vstack([p[1] for p in parts])
    return RegressionData(X, y, np.linspace(*X_RANGE, check_int(n_grid, "regression_data",
                                                                    "n_grid", minimum=2)))


def regression_net(p=MC_P, hidden=128, seed=0) -> Sequential:
    """The untrained regression network: 1 - hidden - hidden - 1, ReLU, dropout after each
    hidden layer (nnlib modules)."""
    rng = np.random.default_rng(seed)
    return Sequential(Linear(1, hidden, rng=rng), ReLU(), Dropout(p, rng=rng),
                      Linear(hidden, hidden, rng=rng), ReLU(), Dropout(p, rng=rng),
                      Linear(hidden, 1, rng=rng))


@functools.lru_cache(maxsize=4)
def _trained_regression(p, hidden, epochs, lr, seed):
    data = regression_data(seed=seed)
    net = regression_net(p, hidden, seed)
    history = fit(net, MSELoss(), Adam(net.parameters(), lr=lr), data.X, data.y,
                  epochs=epochs, batch_size=len(data.X), rng=seed, progress=False,
                  diagnostics=False, blas_threads=1)
    return net.state_dict(), history.train_loss[-1]


def train_regression(p=MC_P, hidden=128, epochs=2000, lr=3e-3, seed=0) -> Sequential:
    """Train :func:`regression_net` on :func:`regression_data` with ``nnlib.train.fit``.

    Full-batch Adam on the mean squared error; the result is cached (a fresh copy of the
    trained network is returned, in evaluation mode).

    Parameters
    ----------
    p : float in [0, 1)
        The dropout rate of both hidden layers.
    hidden : int
    epochs : int
    lr : float
    seed : int

    Returns
    -------
    Sequential

    Examples
    --------
    >>> net = train_regression(epochs=50)
    >>> net(np.zeros((1, 1))).shape, net.training
    ((1, 1), False)
    """
    where = "train_regression"
    state, _ = _trained_regression(_check_rate(p, where), check_int(hidden, where, "hidden", 1),
                                   check_int(epochs, where, "epochs", 1),
                                   check_positive(lr, where, "lr"),
                                   check_int(seed, where, "seed", 0))
    net = regression_net(p, hidden, seed)
    net.load_state_dict(state)
    return net.eval()


def mc_passes(net: Sequential, X, T=MC_T, seed=0) -> np.ndarray:
    """T stochastic forward passes of ``net`` with its Dropout layers switched on.

    Only the Dropout layers go into training mode (a BatchNorm would keep its running
    statistics); the network's modes are restored afterwards.

    Parameters
    ----------
    net : Sequential
        A trained network with Dropout layers.
    X : array_like of shape (g,) or (g, 1)
        Inputs of a network with one input and one output.
    T : int
        Number of passes.
    seed : int
        The masks' generator (set on every Dropout layer, so the result is reproducible).

    Returns
    -------
    ndarray of shape (T, g)

    Examples
    --------
    >>> out = mc_passes(train_regression(epochs=50), np.linspace(-1, 1, 5), T=4)
    >>> out.shape, bool(out.std(axis=0).max() > 0)
    ((4, 5), True)
    """
    T = check_int(T, "mc_passes", "T", minimum=1)
    X = as_array(X, "mc_passes", name="X").reshape(-1, 1).astype(np.float64)
    drops = [m for m in net if isinstance(m, Dropout)]
    if not drops:
        raise ValueError("mc_passes: the network has no Dropout layer, so every pass would "
                         "give the same output.")
    modes = [m.training for m in drops]
    rng = np.random.default_rng(seed)
    try:
        for m in drops:
            m.train()
            m.rng = rng
        with one_blas_thread():
            return np.stack([net(X)[:, 0] for _ in range(T)])
    finally:
        for m, mode in zip(drops, modes, strict=True):
            m.train(mode)


def thinned_passes(net: Sequential, X, T=MC_T, seed=0) -> np.ndarray:
    """T thinned networks of ``net``, each applied to every row of X with ONE mask.

    :func:`mc_passes` (nnlib's Dropout) draws a fresh mask for every example, so that one
    pass over a grid of inputs mixes many thinned networks; the mean and the spread at each
    input have the same distribution either way. Here pass t uses a single mask per layer for
    all inputs, so ``out[t]`` is the function computed by one thinned network (the thin
    lines of the chapter's figure).

    Parameters
    ----------
    net : Sequential
        ``Linear, ReLU, Dropout, ..., Linear`` (as :func:`regression_net` builds it).
    X : array_like of shape (g,) or (g, d)
    T : int
    seed : int

    Returns
    -------
    ndarray of shape (T, g) for one output (T, g, n_D) otherwise

    Examples
    --------
    >>> net = train_regression(epochs=50)
    >>> thinned_passes(net, np.linspace(-1, 1, 7), T=3).shape
    (3, 7)
    """
    T = check_int(T, "thinned_passes", "T", minimum=1)
    X = as_array(X, "thinned_passes", name="X").astype(np.float64)
    A = X.reshape(len(X), -1)[None]                      # (1, g, d): shared by all passes
    rng = np.random.default_rng(seed)
    with one_blas_thread():
        A = _thinned_forward(net, A, T, rng)
    A = np.broadcast_to(A, (T,) + A.shape[1:])
    return A[..., 0].copy() if A.shape[-1] == 1 else A.copy()


def _thinned_forward(net, A, T, rng):
    for m in net:
        if isinstance(m, Linear):
            A = A @ m.weight.data.T + m.bias.data
        elif isinstance(m, ReLU):
            A = np.maximum(A, 0.0)
        elif isinstance(m, Dropout):
            r = rng.random((T, 1, A.shape[-1])) >= m.p   # one mask per pass, every input
            A = A * r / (1.0 - m.p)
        else:
            raise TypeError(f"thinned_passes: expected Linear, ReLU and Dropout layers, got "
                            f"{type(m).__name__}.")
    return A


@functools.lru_cache(maxsize=8)
def _mc_result(p, T, seed):
    data = regression_data(seed=seed)
    net = train_regression(p, seed=seed)
    passes = thinned_passes(net, data.grid, T, seed)
    passes.setflags(write=False)
    scaled = net(data.grid[:, None])[:, 0]
    scaled.setflags(write=False)
    return data, passes, scaled


# --------------------------------------------------------------------------------------------
# the opening pictures
# --------------------------------------------------------------------------------------------
def _network_layout(sizes):
    """x and y of every unit, layer by layer, centred vertically."""
    top = max(sizes)
    return [(np.full(n, float(l)), (top - 1) / 2 - np.arange(n) + (n - 1) / 2 - (top - 1) / 2)
            for l, n in enumerate(sizes)]


def thinned_masks(sizes=(4, 6, 6, 2), p=0.5, n=3, seed=0):
    """Keep masks of the hidden layers for ``n`` training steps, each keeping >= 1 unit per
    layer (inputs and outputs are never dropped).

    Returns
    -------
    list of list of ndarray of bool
        ``masks[step][l]`` for every layer l (all True for the input and output layers).

    Examples
    --------
    >>> m = thinned_masks(n=2)
    >>> len(m), [len(layer) for layer in m[0]], bool(m[0][0].all() and m[0][-1].all())
    (2, [4, 6, 6, 2], True)
    """
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        masks = [np.ones(sizes[0], bool)]
        masks += [rng.random(s) >= p for s in sizes[1:-1]]
        masks.append(np.ones(sizes[-1], bool))
        if all(m.any() for m in masks):
            out.append(masks)
    return out


def _draw_network(ax, sizes, masks, title):
    pos = _network_layout(sizes)
    for l in range(len(sizes) - 1):
        (x0, y0), (x1, y1) = pos[l], pos[l + 1]
        for j in range(sizes[l]):
            for k in range(sizes[l + 1]):
                if masks[l][j] and masks[l + 1][k]:
                    ax.plot([x0[j], x1[k]], [y0[j], y1[k]], color="#8a8a8a", lw=0.8,
                            zorder=1)
    for l, (x, y) in enumerate(pos):
        kept = masks[l]
        colour = COLORS[0] if 0 < l < len(sizes) - 1 else "#555555"
        ax.scatter(x[kept], y[kept], s=150, color=colour, zorder=3, edgecolors="white",
                   linewidths=1.0)
        ax.scatter(x[~kept], y[~kept], s=150, facecolors="white", edgecolors="#b0b0b0",
                   linewidths=1.2, zorder=3)
        ax.scatter(x[~kept], y[~kept], s=60, marker="x", color=COLORS[3], linewidths=1.6,
                   zorder=4)
    ax.set_title(title, fontsize=11, loc="center")
    ax.set_xlim(-0.4, len(sizes) - 0.6)
    ax.set_ylim(-max(sizes) / 2 - 0.2, max(sizes) / 2 + 0.2)
    ax.set_axis_off()


def draw_thinned_networks(sizes=(4, 6, 6, 2), p=0.5, n=3, seed=4) -> Figure:
    """The full network and ``n`` thinned networks that dropout trains, side by side.

    Hidden units (blue) are dropped with probability p; a dropped unit (white, with a red
    cross) loses all its connections for that step. Inputs and outputs (grey) stay.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_thinned_networks()
    >>> len(fig.axes), fig.axes[0].get_title()
    (4, 'full network (test time)')
    >>> plt.close(fig)
    """
    n = check_int(n, "draw_thinned_networks", "n", minimum=1)
    sizes = tuple(check_int(s, "draw_thinned_networks", "every size", 1) for s in sizes)
    masks = thinned_masks(sizes, p, n, seed)
    fig, axes = plt.subplots(1, n + 1, figsize=(7.4, 2.9))
    full = [np.ones(s, bool) for s in sizes]
    _draw_network(axes[0], sizes, full, "full network (test time)")
    hidden = sum(sizes[1:-1])
    for i, (ax, m) in enumerate(zip(axes[1:], masks, strict=True)):
        kept = sum(int(layer.sum()) for layer in m[1:-1])
        _draw_network(ax, sizes, m, f"step {i + 1}: {kept} of {hidden} kept")
    fig.suptitle(f"Dropout with p = {p:g}: each step trains one of the "
                 f"$2^{{{hidden}}}$ = {2 ** hidden:,} thinned networks", fontsize=12)
    return fig


def draw_robustness(fractions, accuracy: dict, title=None) -> Figure:
    """Validation accuracy against the fraction of hidden units silenced at test time.

    Parameters
    ----------
    fractions : sequence of float
        The fractions f silenced (x axis).
    accuracy : dict of float -> array
        For each training dropout rate p, the accuracies at the fractions
        (:func:`thinned_accuracy`).
    title : str, optional

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = draw_robustness([0, 0.5], {0.0: [0.95, 0.7], 0.5: [0.95, 0.9]})
    >>> fig.axes[0].get_xlabel()
    'fraction of hidden units silenced at test time'
    >>> plt.close(fig)
    """
    f = np.asarray(fractions, dtype=float)
    fig, ax = plt.subplots(figsize=(6.6, 3.9))
    markers = ("o", "s", "^", "D")
    styles = ("-", "--", "-.", ":")
    for i, (p, acc) in enumerate(accuracy.items()):
        ax.plot(f, 100 * np.asarray(acc), marker=markers[i % 4], ls=styles[i % 4],
                color=COLORS[i], label=f"trained with p = {p:g}")
    ax.set_xlabel("fraction of hidden units silenced at test time")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_xlim(f.min() - 0.02, f.max() + 0.02)
    ax.set_ylim(0, 100)
    ax.axhline(10, color="#777777", lw=1, ls=":", zorder=1)
    ax.text(f.max(), 11, "chance", ha="right", va="bottom", fontsize=10, color="#555555")
    ax.legend(loc="lower left")
    ax.set_title(title or "Trained with dropout, the network tolerates missing units")
    return fig


# --------------------------------------------------------------------------------------------
# the live experiment: the dropout rate and the train/validation gap
# --------------------------------------------------------------------------------------------
#: What the gap experiment plots: (label, value) pairs of its second control.
MEASURES = (("cross-entropy loss", "loss"), ("error rate", "error"))


class GapCurves(NamedTuple):
    """The part of a :class:`Sweep` that :class:`GapFigure` draws (small, so that it travels
    cheaply to the website build's worker processes)."""

    rates: np.ndarray
    epochs: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    train_err: np.ndarray    # percent
    val_err: np.ndarray      # percent

    @classmethod
    def from_sweep(cls, sweep: Sweep):
        return cls(sweep.rates, sweep.epochs, sweep.train_loss, sweep.val_loss,
                   100 * (1 - sweep.train_acc), 100 * (1 - sweep.val_acc))

    def pair(self, measure):
        """(training, validation) curves of shape (K, E) for 'loss' or 'error'."""
        if measure == "loss":
            return self.train_loss, self.val_loss
        if measure == "error":
            return self.train_err, self.val_err
        raise ValueError(f"GapCurves: expected measure 'loss' or 'error', got {measure!r}.")


_GAP_LIMITS = {"loss": ((3e-4, 4.0), (-0.012, 0.5)), "error": ((0.0, 40.0), (-0.25, 10.0))}
_GAP_UNITS = {"loss": "", "error": " %"}


def _fmt_measure(value, measure):
    """An error rate to 0.1 %, a loss to three significant digits (0.172, 0.000894)."""
    return f"{value:.1f}%" if measure == "error" else f"{value:.3g}"


class GapFigure(live.LiveFigure):
    """The chapter's main live experiment: the train/validation gap against the dropout rate.

    Left: training and validation loss (or error rate) of the digit network of
    :func:`train_sweep` during its 100 epochs, for the chosen rate p, over the same curves
    for p = 0 (grey). Right: both after the last epoch for every rate, the gap between them
    shaded, the chosen rate marked. Training numbers are measured without dropout. Every run
    is precomputed, so a move of the slider only moves lines.

    Parameters
    ----------
    curves : GapCurves, optional
        Default: those of ``train_sweep()``.

    Examples
    --------
    >>> from book.live import Renderer
    >>> s = train_sweep(rates=(0.0, 0.5), hidden=(32,), epochs=4, every=2)
    >>> r = Renderer(GapFigure(GapCurves.from_sweep(s)))
    >>> png = r.png({"p": 0.5, "measure": "loss"})
    >>> r.live.note.get_text().startswith("p = 0.5: gap")
    True
    >>> r.close()
    """

    size = (7.4, 3.9)
    rebuild_on = ("measure",)

    def __init__(self, curves: GapCurves | None = None):
        self.curves = curves

    def _data(self) -> GapCurves:
        if self.curves is None:
            self.curves = GapCurves.from_sweep(train_sweep())
        return self.curves

    def build(self, fig, p, measure):
        c = self._data()
        train, val = c.pair(measure)
        (left_lim, right_lim), unit = _GAP_LIMITS[measure], _GAP_UNITS[measure]
        name = "loss" if measure == "loss" else "error rate (%)"
        ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.0, 1.0)})
        # left: curves during training, p = 0 in grey for reference
        ax.plot(c.epochs, train[0], color="#9a9a9a", ls=":", lw=1.6, zorder=2,
                label="p = 0, training")
        ax.plot(c.epochs, val[0], color="#5f5f5f", ls="--", lw=1.6, zorder=2,
                label="p = 0, validation")
        self.train_line, = ax.plot([], [], color=COLORS[0], lw=2.2, zorder=3,
                                   label="training")
        self.val_line, = ax.plot([], [], color=COLORS[1], lw=2.2, zorder=3,
                                 label="validation")
        if measure == "loss":
            ax.set_yscale("log")
        ax.set_ylim(*left_lim)
        ax.set_xlim(0, c.epochs[-1])
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title("During training", fontsize=11)
        # below both panels, where no curve can run through it
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=4,
                   fontsize=10, handlelength=1.8, columnspacing=1.2)
        # right: the end of training, every rate
        tr, va = train[:, -1], val[:, -1]
        ax2.fill_between(c.rates, tr, va, color=COLORS[1], alpha=0.16, lw=0, zorder=1,
                         label="gap")
        ax2.plot(c.rates, tr, marker="o", color=COLORS[0], ms=4, lw=1.6, zorder=2)
        ax2.plot(c.rates, va, marker="s", color=COLORS[1], ms=4, lw=1.6, zorder=2)
        self.marker = ax2.axvline(0.0, color="#333333", lw=1.2, ls="--", zorder=3)
        self.dots, = ax2.plot([], [], "o", color="#222222", ms=7, mfc="white", mew=1.8,
                              zorder=4)
        self.note = ax2.text(0.03, 0.97, "", transform=ax2.transAxes, ha="left", va="top",
                             fontsize=10, zorder=5,
                             bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#cccccc"))
        ax2.set_xlim(c.rates[0] - 0.03, c.rates[-1] + 0.03)
        ax2.set_ylim(*right_lim)
        ax2.set_xlabel("dropout rate $p$")
        ax2.set_ylabel(f"{name} after {c.epochs[-1]} epochs")
        ax2.set_title("Shaded: the gap", fontsize=11)
        self.unit = unit
        self.animate(self.train_line, self.val_line, self.marker, self.dots, self.note)

    def update(self, p, measure):
        c = self._data()
        k = int(np.argmin(np.abs(c.rates - p)))
        train, val = c.pair(measure)
        self.train_line.set_data(c.epochs, train[k])
        self.val_line.set_data(c.epochs, val[k])
        self.marker.set_xdata([c.rates[k], c.rates[k]])
        self.dots.set_data([c.rates[k], c.rates[k]], [train[k, -1], val[k, -1]])
        gap, gap0 = val[k, -1] - train[k, -1], val[0, -1] - train[0, -1]
        self.note.set_text(f"p = {c.rates[k]:g}: gap {_fmt_measure(gap, measure)}"
                           + (f"\n(p = 0: {_fmt_measure(gap0, measure)})" if k else ""))

    def describe(self, p, measure):
        c = self._data()
        k = int(np.argmin(np.abs(c.rates - p)))
        train, val = c.pair(measure)
        what = "loss" if measure == "loss" else "error rate"
        return (f"Dropout rate p = {c.rates[k]:g}: after {c.epochs[-1]} epochs the training "
                f"{what} is {_fmt_measure(train[k, -1], measure)} and the validation {what} "
                f"{_fmt_measure(val[k, -1], measure)}, a gap of "
                f"{_fmt_measure(val[k, -1] - train[k, -1], measure)} (without dropout: "
                f"{_fmt_measure(val[0, -1] - train[0, -1], measure)}).")


def gap_experiment(curves: GapCurves | None = None) -> live.Experiment:
    """The live experiment :class:`GapFigure` with its controls: the rate p (main) and what
    to measure (loss or error rate)."""
    curves = curves if curves is not None else GapCurves.from_sweep(train_sweep())
    return live.Experiment(
        "dropout-gap", GapFigure(curves),
        title="The dropout rate and the train/validation gap",
        caption=(f"A 64-256-256-10 ReLU network trained on {N_TRAIN} digits for {EPOCHS} "
                 f"epochs (Adam), with dropout of rate p after both hidden layers; the other "
                 f"1,597 digits validate. Training numbers are measured without dropout."),
        controls=dict(
            p=live.Slider(RATES[0], RATES[-1], 0.1, value=0.0, label="dropout rate p"),
            measure=live.Choice(list(MEASURES), "loss", label="measure")))


def draw_gap_panels(curves: GapCurves | None = None, rates=(0.0, 0.5, 0.8),
                    measure="loss") -> Figure:
    """The static version of the gap experiment: :class:`GapFigure` for a few rates, stacked.

    Examples
    --------
    >>> s = train_sweep(rates=(0.0, 0.5), hidden=(32,), epochs=4, every=2)
    >>> fig = draw_gap_panels(GapCurves.from_sweep(s), rates=(0.0, 0.5))
    >>> len(fig.axes)
    4
    >>> plt.close(fig)
    """
    curves = curves if curves is not None else GapCurves.from_sweep(train_sweep())
    for p in rates:
        if not np.isclose(curves.rates, p).any():
            raise ValueError(f"draw_gap_panels: no network was trained with p = {p}; the "
                             f"rates are {curves.rates.tolist()}.")
    return live.small_multiples(GapFigure(curves), [{"p": p, "measure": measure}
                                                    for p in rates], ncols=1,
                                titles=[f"Dropout rate p = {p:g}" for p in rates])


# --------------------------------------------------------------------------------------------
# the second live experiment: Monte Carlo dropout
# --------------------------------------------------------------------------------------------
#: How many of the T passes are drawn as thin lines.
MC_SHOWN = 12
#: Dropout rates of the regression network that the experiment offers.
MC_RATES = (0.05, 0.1, 0.2)


class McResult(NamedTuple):
    """Monte Carlo dropout on :func:`regression_data`: the passes and the plain prediction."""

    data: RegressionData
    passes: np.ndarray        # (T, g): the outputs of T passes with dropout on
    scaled: np.ndarray        # (g,): the output with dropout off (weight scaling)

    def mean_std(self, T):
        """Mean and standard deviation of the first T passes, each of shape (g,)."""
        first = self.passes[:T]
        return first.mean(axis=0), first.std(axis=0)


def mc_result(p=MC_P, T=MC_T, seed=0) -> McResult:
    """Train the regression network with dropout rate p and run T passes with dropout on.

    Returns
    -------
    McResult

    Examples
    --------
    >>> r = mc_result()
    >>> r.passes.shape, r.data.grid.shape
    ((200, 321), (321,))
    """
    where = "mc_result"
    data, passes, scaled = _mc_result(_check_rate(p, where), check_int(T, where, "T", 1),
                                      check_int(seed, where, "seed", 0))
    return McResult(data, passes, scaled)


def in_regions(x):
    """True where x lies in one of the training intervals :data:`REGIONS`."""
    x = np.asarray(x)
    return np.logical_or.reduce([(x >= a) & (x <= b) for a, b in REGIONS])


class McFigure(live.LiveFigure):
    """Monte Carlo dropout: the mean of T passes, a band of two standard deviations, and the
    standard deviation itself, along x.

    Top: the training points (in the shaded intervals), sin(x) (dashed), the first few
    passes (thin lines), their mean and the band mean +- 2 std. Bottom: the std of the T
    outputs at each x. Controls: T (main) and the network's dropout rate p.

    Parameters
    ----------
    results : dict of float -> McResult, optional
        Default: :func:`mc_result` for every rate of :data:`MC_RATES`.

    Examples
    --------
    >>> from book.live import Renderer
    >>> r = Renderer(McFigure({0.1: mc_result(0.1)}))
    >>> png = r.png({"T": 20, "p": 0.1})
    >>> len(r.live.lines.get_segments())      # the first 12 of the 20 passes are drawn
    12
    >>> r.close()
    """

    size = (6.8, 4.8)

    def __init__(self, results: dict | None = None):
        self.results = results

    def _result(self, p) -> McResult:
        if self.results is None:
            self.results = {q: mc_result(q) for q in MC_RATES}
        for q, r in self.results.items():
            if np.isclose(q, p):
                return r
        raise ValueError(f"McFigure: no network was trained with p = {p}; available: "
                         f"{sorted(self.results)}.")

    def build(self, fig, T, p):
        r = self._result(p)
        x = r.data.grid
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (2.1, 1)})
        for ax in (top, bottom):
            for a, b in REGIONS:
                ax.axvspan(a, b, color="#e9e9e9", zorder=0, lw=0)
        top.plot(x, np.sin(x), color="#555555", ls="--", lw=1.4, zorder=2, label="sin x")
        self.band = top.fill_between(x, x * 0, x * 0, color=COLORS[0], alpha=0.22, lw=0,
                                     zorder=3, label="mean ± 2 std")
        from matplotlib.collections import LineCollection

        self.lines = LineCollection([], colors=COLORS[5], linewidths=0.8, alpha=0.8,
                                    zorder=3.2, label="passes")
        top.add_collection(self.lines)
        self.mean, = top.plot([], [], color=COLORS[0], lw=2.2, zorder=3.5, label="mean")
        self.points = top.scatter(r.data.X[:, 0], r.data.y[:, 0], s=14, color=COLORS[1],
                                  edgecolors="white", linewidths=0.4, zorder=3.6,
                                  label="data")
        top.set_ylim(-3.0, 2.2)
        top.set_ylabel("output")
        fig.legend(*top.get_legend_handles_labels(), loc="outside lower center", ncols=5,
                   fontsize=10, handlelength=1.6, columnspacing=1.0)
        top.set_title("Dropout left on at test time: the passes disagree away from the data",
                      fontsize=11)
        self.std_line, = bottom.plot([], [], color=COLORS[2], lw=2.0, zorder=3)
        bottom.set_ylim(0, 0.7)
        bottom.set_xlim(*X_RANGE)
        bottom.set_xlabel("input $x$ (shaded: where the training data lie)")
        bottom.set_ylabel("std")
        self.animate(self.band, self.lines, self.mean, self.points, self.std_line)

    def update(self, T, p):
        r = self._result(p)
        T = int(min(max(T, 1), len(r.passes)))
        x = r.data.grid
        mean, std = r.mean_std(T)
        self.band.set_data(x, mean - 2 * std, mean + 2 * std)
        self.lines.set_segments([np.column_stack([x, y]) for y in r.passes[:min(T, MC_SHOWN)]])
        self.mean.set_data(x, mean)
        self.std_line.set_data(x, std)

    def describe(self, T, p):
        r = self._result(p)
        T = int(min(max(T, 1), len(r.passes)))
        _, std = r.mean_std(T)
        x = r.data.grid
        inside, middle, far = in_regions(x), np.abs(x) < 0.5, np.abs(x) > 6
        return (f"Monte Carlo dropout with T = {T} passes of a network trained with dropout "
                f"rate p = {p:g} on noisy sin(x) for 1 <= |x| <= 3: the standard deviation of "
                f"the outputs averages {std[inside].mean():.3f} where the training data lie, "
                f"{std[middle].mean():.3f} in the hole around x = 0 and "
                f"{std[far].mean():.3f} beyond |x| = 6.")


def mc_experiment(results: dict | None = None) -> live.Experiment:
    """The live experiment :class:`McFigure` with its controls: T (main) and p."""
    results = results if results is not None else {q: mc_result(q) for q in MC_RATES}
    return live.Experiment(
        "mc-dropout", McFigure(results),
        title="Monte Carlo dropout: averaging T stochastic passes",
        caption=("A 1-128-128-1 ReLU network with dropout of rate p after both hidden layers, "
                 "trained on 60 noisy samples of sin(x); at test time dropout stays on and T "
                 "passes are averaged. Their spread (bottom) estimates the uncertainty."),
        controls=dict(
            T=live.IntSlider(1, MC_T, value=100, label="passes T",
                             web=(1, 2, 3, 5, 10, 20, 50, 100, 200)),
            p=live.Choice([(f"{q:g}", q) for q in MC_RATES], MC_P, label="dropout rate p")))


def draw_mc_dropout(results: dict | None = None, settings=({"T": 3, "p": MC_P},
                                                           {"T": MC_T, "p": MC_P})) -> Figure:
    """The static version of :class:`McFigure`: a few (T, p) settings, stacked.

    Examples
    --------
    >>> fig = draw_mc_dropout({0.1: mc_result(0.1)}, [{"T": 5, "p": 0.1}])
    >>> len(fig.axes)
    2
    >>> plt.close(fig)
    """
    results = results if results is not None else {MC_P: mc_result(MC_P)}
    return live.small_multiples(McFigure(results), list(settings), ncols=1,
                                titles=[f"T = {s['T']} pass{'es' if s['T'] > 1 else ''}, "
                                        f"p = {s['p']:g}" for s in settings])


#: The chapter's live experiments (tests/chapters/test_live.py and benchmarks enumerate them).
EXPERIMENTS = (gap_experiment, mc_experiment)
