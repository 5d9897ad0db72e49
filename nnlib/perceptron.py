"""Rosenblatt's perceptron and the quantities of its convergence theorem (Chapter 1).

:class:`Perceptron` is the classic mistake-driven learner: a step-activated neuron whose
weights change only when it misclassifies an example. :meth:`Perceptron.fit` records every
update (which example caused it, the weights before and after), so that the chapter can
replay the boundary moving one mistake at a time.

:func:`margin`, :func:`radius` and :func:`novikoff_bound` compute the quantities of
Novikoff's theorem. The bound (R / gamma)^2 is stated for a hyperplane through the origin;
a perceptron with a bias is the same algorithm on the augmented inputs x' = (x, 1) with
weights w' = (w, b), so :func:`novikoff_bound` measures R and gamma in that augmented space,
where the bound provably holds for the bias-updating perceptron started at zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import (as_array, check_bool, check_features, check_finite_scalar, check_int,
                      check_ndim, check_positive, make_rng)

__all__ = ["Perceptron", "PerceptronHistory", "Mistake", "margin", "radius",
           "novikoff_bound"]

_LABELS = {"01": (0, 1), "pm1": (-1, 1)}


def _check_X(X, where, n_features=None):
    X = as_array(X, where, dtype=np.float64, name="X")
    check_ndim(X, 2, where, name="X", hint="Pass one example per row: shape (m, d).")
    if n_features is not None:
        check_features(X, n_features, where)
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{where}: expected finite inputs X, got NaN or infinity.")
    return X


def _signs(y, m, where, labels=None):
    """Labels as signs s in {-1, +1} (0 -> -1); ``labels`` restricts the accepted set."""
    y = np.asarray(y)
    if y.dtype.kind not in "iuf":
        raise TypeError(f"{where}: expected numeric labels y, got dtype {y.dtype}.")
    if y.ndim != 1 or y.shape[0] != m:
        raise ValueError(f"{where}: expected y of shape ({m},), one label per row of X, got "
                         f"shape {y.shape}.")
    values = set(np.unique(y).tolist())
    allowed = set(_LABELS[labels]) if labels else {0, 1} if -1 not in values else {-1, 1}
    if not values <= allowed:
        bad = sorted(values - allowed)
        want = " and ".join(str(v) for v in sorted(allowed))
        raise ValueError(f"{where}: expected labels {want}, got {bad[:5]}"
                         f"{' ...' if len(bad) > 5 else ''}.")
    return np.where(y > 0, 1.0, -1.0)


@dataclass(frozen=True)
class Mistake:
    """One update of the perceptron: the example it got wrong and what changed.

    Attributes
    ----------
    step : int
        How many examples had been presented before this one (counting from 0, over all
        epochs): the position of the update in time.
    epoch : int
        The pass over the data (from 0) in which it happened.
    index : int
        Row of X of the misclassified example.
    x : ndarray of shape (d,)
        That example.
    y, y_hat : int
        Its true and predicted labels, in the perceptron's label set.
    w_before, w_after : ndarray of shape (d,)
    b_before, b_after : float
        The parameters before and after the update: w_after = w_before + lr (y - y_hat) x
        (labels "01"), w_after = w_before + lr y x (labels "pm1").
    """

    step: int
    epoch: int
    index: int
    x: np.ndarray
    y: int
    y_hat: int
    w_before: np.ndarray
    b_before: float
    w_after: np.ndarray
    b_after: float


@dataclass
class PerceptronHistory:
    """Everything :meth:`Perceptron.fit` did, for replaying the training.

    Attributes
    ----------
    mistakes : list of Mistake
        Every update, in order.
    epoch_mistakes : list of int
        Number of mistakes in each pass over the data; its length is the number of epochs run.
    converged : bool
        True when the last pass made no mistake, i.e. the final weights classify every
        training example correctly (the algorithm stopped because it was done, not because
        it ran out of epochs).
    weights : ndarray of shape (n_mistakes + 1, d)
        weights[k] is w after k updates (weights[0] is the zero start).
    biases : ndarray of shape (n_mistakes + 1,)
        biases[k] is b after k updates.
    """

    mistakes: list = field(default_factory=list)
    epoch_mistakes: list = field(default_factory=list)
    converged: bool = False
    weights: np.ndarray = None
    biases: np.ndarray = None

    @property
    def n_mistakes(self) -> int:
        """Total number of updates."""
        return len(self.mistakes)

    @property
    def epochs(self) -> int:
        """Number of passes over the data that were run."""
        return len(self.epoch_mistakes)

    def state(self, k: int):
        """``(w, b)`` after the first k updates, 0 <= k <= n_mistakes (for a slider)."""
        k = check_int(k, "PerceptronHistory.state", "k", minimum=0)
        if k > self.n_mistakes:
            raise ValueError(f"PerceptronHistory.state: expected k <= {self.n_mistakes} (the "
                             f"number of updates), got {k}.")
        return self.weights[k].copy(), float(self.biases[k])


class Perceptron:
    """Rosenblatt's perceptron: a step-activated neuron trained by its mistakes.

    Parameters
    ----------
    n_features : int
        Number of inputs d.
    lr : float, default 1.0
        The learning rate alpha > 0. Starting from w = 0, b = 0, every w and b is alpha times
        what it would be with alpha = 1, so the predictions, the mistakes and the number of
        updates do not depend on alpha at all (only the length of w does).
    labels : {"01", "pm1"}, default "01"
        The label set: {0, 1} (the book's convention) or {-1, +1}.

    Attributes
    ----------
    w : ndarray of shape (n_features,)
        The weights; zero until ``fit``.
    b : float
        The bias; zero until ``fit``.

    Notes
    -----
    Prediction (the step activation): y_hat = 1 if w.x + b > 0, otherwise 0 (or -1 with
    ``labels="pm1"``). A point exactly on the boundary, w.x + b = 0, is predicted as the
    negative class; in particular the zero-initialised perceptron predicts 0 everywhere.

    Learning rule: present the examples one at a time; on a mistake (y_hat != y) update

        w <- w + alpha (y - y_hat) x,     b <- b + alpha (y - y_hat)

    With labels in {0, 1}, y - y_hat is +1 or -1 on a mistake; with labels in {-1, +1} the
    same step is written w <- w + alpha y x, b <- b + alpha y (Rosenblatt's form). There is
    no gradient: the step function has derivative 0 almost everywhere, which is why Chapter 1
    then replaces it with a sigmoid.

    References
    ----------
    F. Rosenblatt, "The perceptron: a probabilistic model for information storage and
    organization in the brain", Psychological Review 65(6), 1958.
    A. B. J. Novikoff, "On convergence proofs on perceptrons", Symposium on the Mathematical
    Theory of Automata, 1962.

    See Also
    --------
    novikoff_bound : the theorem's bound on the number of updates.
    Chapter 1 (Linear models and the perceptron).

    Examples
    --------
    >>> from nnlib.perceptron import Perceptron
    >>> X = [[2.0, 1.0], [0.0, 1.0], [1.0, -1.0]]
    >>> y = [1, 0, 0]
    >>> p = Perceptron(2)
    >>> hist = p.fit(X, y)
    >>> [m.index for m in hist.mistakes], hist.epoch_mistakes, hist.converged
    ([0, 1, 2], [3, 0], True)
    >>> p.w.tolist(), p.b, p.predict(X).tolist()
    ([1.0, 1.0], -1.0, [1, 0, 0])
    """

    def __init__(self, n_features, lr=1.0, *, labels="01"):
        where = "Perceptron"
        self.n_features = check_int(n_features, where, "n_features", minimum=1)
        self.lr = check_positive(lr, where, "lr")
        if labels not in _LABELS:
            raise ValueError(f"{where}: expected labels to be '01' or 'pm1', got {labels!r}.")
        self.labels = labels
        self.w = np.zeros(self.n_features)
        self.b = 0.0

    def _name(self) -> str:
        return f"Perceptron(n_features={self.n_features}, lr={self.lr:g}, labels={self.labels!r})"

    def __repr__(self) -> str:
        return self._name()

    def decision_function(self, X):
        """The pre-activation z = X w + b, shape (m,); its sign decides the class."""
        X = _check_X(X, f"{self._name()}.decision_function", self.n_features)
        return X @ self.w + self.b

    def predict(self, X):
        """Class labels, shape (m,), int64: 1 where w.x + b > 0, else 0 (or -1 for "pm1")."""
        X = _check_X(X, f"{self._name()}.predict", self.n_features)
        negative, positive = _LABELS[self.labels]
        return np.where(X @ self.w + self.b > 0.0, positive, negative).astype(np.int64)

    def fit(self, X, y, epochs=100, shuffle=False, rng=None) -> PerceptronHistory:
        """Train from w = 0, b = 0 until a pass without mistakes or ``epochs`` passes.

        Parameters
        ----------
        X : array_like of shape (m, n_features)
        y : array_like of shape (m,)
            Labels in {0, 1} (or {-1, +1} with ``labels="pm1"``).
        epochs : int, default 100
            The maximum number of passes over the data.
        shuffle : bool, default False
            Present the examples in a new random order in each pass (drawn from ``rng``);
            by default they come in the order of the rows.
        rng : numpy.random.Generator, int or None
            Only used when ``shuffle`` is True.

        Returns
        -------
        PerceptronHistory
            The updates, the mistakes per pass, whether it converged, and the weights after
            every update. The fitted parameters are also left in ``self.w`` and ``self.b``.

        Notes
        -----
        Each call starts again from zero weights, the starting point Novikoff's theorem
        assumes. Within a pass the examples are checked one at a time against the *current*
        weights, so an update immediately affects the next prediction. On linearly separable
        data the number of updates is at most :func:`novikoff_bound`; on data that no
        hyperplane separates (XOR) the perceptron never converges and stops after ``epochs``
        passes with ``converged=False``.
        """
        where = f"{self._name()}.fit"
        X = _check_X(X, where, self.n_features)
        m = X.shape[0]
        s = _signs(y, m, where, self.labels)
        epochs = check_int(epochs, where, "epochs", minimum=1)
        shuffle = check_bool(shuffle, where, "shuffle")
        rng = make_rng(rng, where) if shuffle else None

        w, b, lr = np.zeros(self.n_features), 0.0, self.lr
        ws, bs = [w.copy()], [b]
        records = []  # (step, epoch, index, sign) of each update
        epoch_mistakes = []
        for epoch in range(epochs):
            order = rng.permutation(m) if shuffle else np.arange(m)
            Xo, so = X[order], s[order]
            mistakes, pos = 0, 0
            while pos < m:
                # the next example, from ``pos`` on, that the current weights get wrong:
                # a positive one with z <= 0 or a negative one with z > 0
                z = Xo[pos:] @ w + b
                wrong = np.flatnonzero(np.where(so[pos:] > 0, z <= 0.0, z > 0.0))
                if wrong.size == 0:
                    break
                j = pos + int(wrong[0])
                w = w + lr * so[j] * Xo[j]  # (y - y_hat) is the sign of the true class
                b = b + lr * so[j]
                ws.append(w)
                bs.append(b)
                records.append((epoch * m + j, epoch, int(order[j]), so[j]))
                mistakes += 1
                pos = j + 1
            epoch_mistakes.append(mistakes)
            if mistakes == 0:
                break
        self.w, self.b = w.copy(), float(b)

        weights, biases = np.array(ws), np.array(bs)
        weights.flags.writeable = False
        biases.flags.writeable = False
        negative, positive = _LABELS[self.labels]
        mistakes = [
            Mistake(step=step, epoch=epoch, index=i, x=X[i].copy(),
                    y=positive if sign > 0 else negative,
                    y_hat=negative if sign > 0 else positive,
                    w_before=weights[k], b_before=float(biases[k]),
                    w_after=weights[k + 1], b_after=float(biases[k + 1]))
            for k, (step, epoch, i, sign) in enumerate(records)]
        return PerceptronHistory(mistakes=mistakes, epoch_mistakes=epoch_mistakes,
                                 converged=epoch_mistakes[-1] == 0, weights=weights,
                                 biases=biases)


def _check_plane(w, b, d, where, name="w"):
    w = as_array(w, where, dtype=np.float64, name=name)
    check_ndim(w, 1, where, name=name)
    if w.size != d:
        raise ValueError(f"{where}: expected {name} with {d} entries (one per feature of X), "
                         f"got shape {w.shape}.")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{where}: expected finite {name}, got {w.tolist()}.")
    b = check_finite_scalar(b, where, "b" if name == "w" else "b_star")
    return w, b


def radius(X, *, augmented=False) -> float:
    """R = max_i ||x_i||, the radius of the smallest origin-centred ball holding the data.

    Parameters
    ----------
    X : array_like of shape (m, d)
    augmented : bool, default False
        Measure the augmented inputs x' = (x, 1) instead, i.e. max_i sqrt(||x_i||^2 + 1):
        the R of the convergence theorem for a perceptron with a bias.

    Returns
    -------
    float

    Examples
    --------
    >>> from nnlib.perceptron import radius
    >>> radius([[3.0, 4.0], [1.0, 0.0]]), round(radius([[3.0, 4.0]], augmented=True), 4)
    (5.0, 5.099)
    """
    where = "radius"
    X = _check_X(X, where)
    sq = np.einsum("ij,ij->i", X, X)
    return float(np.sqrt(sq.max() + (1.0 if augmented else 0.0)))


def margin(X, y, w, b=0.0, *, augmented=False) -> float:
    """The geometric margin of the hyperplane w.x + b = 0 on labelled data.

    gamma = min_i s_i (w.x_i + b) / ||w||, with s_i = +1 for label 1 and -1 for label 0 (or
    -1): the distance from the plane to the closest point, positive when every point is on
    its correct side, negative when some point is misclassified.

    Parameters
    ----------
    X : array_like of shape (m, d)
    y : array_like of shape (m,), labels in {0, 1} or {-1, +1}
    w : array_like of shape (d,)
    b : float, default 0.0
    augmented : bool, default False
        Measure the margin in the augmented space: min_i s_i (w.x_i + b) / ||(w, b)||, the
        gamma of the convergence theorem for a perceptron with a bias (never larger than
        the plain margin).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If w (or (w, b) when augmented) is zero, or the shapes do not match.

    Examples
    --------
    >>> from nnlib.perceptron import margin
    >>> margin([[2.0, 0.0], [-1.0, 0.0]], [1, 0], w=[1.0, 0.0], b=0.0)
    1.0
    """
    where = "margin"
    X = _check_X(X, where)
    s = _signs(y, X.shape[0], where)
    w, b = _check_plane(w, b, X.shape[1], where)
    norm = float(np.sqrt(w @ w + (b * b if augmented else 0.0)))
    if norm == 0.0:
        raise ValueError(f"{where}: expected a non-zero normal vector w"
                         f"{' (or bias)' if augmented else ''}, got w = {w.tolist()}.")
    return float(np.min(s * (X @ w + b)) / norm)


def novikoff_bound(X, y, w_star, b_star=0.0) -> float:
    """Novikoff's bound on the perceptron's number of updates, for a perceptron with a bias.

    If the hyperplane (w_star, b_star) separates the data, a perceptron started at w = 0,
    b = 0 (with any learning rate) makes at most

        (R' / gamma')^2

    updates, where R' = max_i ||(x_i, 1)|| and gamma' = min_i s_i (w*.x_i + b*) / ||(w*, b*)||
    are the radius and the margin in the augmented space (see :func:`radius` and
    :func:`margin` with ``augmented=True``).

    Parameters
    ----------
    X : array_like of shape (m, d)
    y : array_like of shape (m,), labels in {0, 1} or {-1, +1}
    w_star : array_like of shape (d,)
    b_star : float, default 0.0
        Any separating hyperplane; the best bound comes from the one with the largest margin.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If (w_star, b_star) does not separate the data strictly (gamma' <= 0): there is no
        bound then.

    Notes
    -----
    Proof sketch (Chapter 1). Write u = (w*, b*) / ||(w*, b*)||, and v_k = (w, b) after k
    updates; each update adds alpha s x' for an example with s v.x' <= 0. Then
    v_k . u >= k alpha gamma' (each update gains at least alpha gamma' along u) and
    ||v_k||^2 <= k alpha^2 R'^2 (the cross term s v.x' is <= 0). Cauchy-Schwarz,
    v_k . u <= ||v_k||, gives k alpha gamma' <= sqrt(k) alpha R', i.e. k <= (R'/gamma')^2.
    The bound with the plain R and gamma of the input space is *not* valid in general for a
    perceptron that learns a bias; the augmented one is. Example: x = 0.1 (class 0) and
    x = 0.2 (class 1), separated by the plane x = 0.15, have R = 0.2 and gamma = 0.05, so
    (R/gamma)^2 = 16; the perceptron makes 103 updates, within the augmented bound of 425.4.

    References
    ----------
    A. B. J. Novikoff, "On convergence proofs on perceptrons", 1962.

    Examples
    --------
    >>> from nnlib.data import linearly_separable
    >>> from nnlib.perceptron import Perceptron, novikoff_bound
    >>> X, y, w, b = linearly_separable(100, margin=0.2, rng=1, return_hyperplane=True)
    >>> hist = Perceptron(2).fit(X, y, epochs=1000)
    >>> hist.converged and hist.n_mistakes <= novikoff_bound(X, y, w, b)
    True
    """
    where = "novikoff_bound"
    X = _check_X(X, where)
    s = _signs(y, X.shape[0], where)
    w, b = _check_plane(w_star, b_star, X.shape[1], where, name="w_star")
    gamma = margin(X, s, w, b, augmented=True)
    if gamma <= 0.0:
        raise ValueError(f"{where}: the hyperplane (w_star, b_star) does not separate the data "
                         f"(its smallest signed margin is {gamma:.6g}); the bound needs a "
                         f"separating hyperplane.")
    return (radius(X, augmented=True) / gamma) ** 2
