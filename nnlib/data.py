"""Small data sets for the book's experiments, and the helpers to split and scale them.

Everything here works offline: the toy problems are generated from a few lines of
geometry, and :func:`digits` loads the 8x8 handwritten digits that ship inside
scikit-learn. Randomness comes only from the ``rng`` argument (a ``numpy.random.Generator``,
an int seed or None); numpy's global random state is never read or changed, so the same
seed always gives the same data.

Every generator returns ``(X, y)``: ``X`` a float64 array of shape (m, d), one example per
row, and ``y`` an int64 array of shape (m,) holding class labels 0, 1, ..., except
:func:`sine`, a regression problem whose ``y`` is a float64 array of shape (m, 1) (the shape
a network with one output produces). Options after the first argument are keyword-only.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import numbers
from pathlib import Path

import numpy as np

from ._checks import (as_array, check_bool, check_features, check_finite_scalar, check_int,
                      check_ndim, check_nonnegative, make_rng)

__all__ = [
    "xor",
    "moons",
    "circles",
    "spirals",
    "sine",
    "blobs",
    "linearly_separable",
    "digits",
    "train_val_test_split",
    "one_hot",
    "standardize",
]

_XOR_TABLE = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_LABELS = np.array([0, 1, 1, 0], dtype=np.int64)


def _shuffled(X, y, rng):
    """The rows of X and y in one random order (so classes are not in blocks)."""
    order = rng.permutation(len(y))
    return X[order], y[order]


def _two_class_sizes(n):
    """Class 0 gets the extra example when n is odd."""
    return n - n // 2, n // 2


def xor(n=None, *, noise=0.0, rng=None):
    """The XOR problem: the four corners of the unit square, or a noisy cloud around them.

    Parameters
    ----------
    n : int, optional
        Number of examples. None (the default) gives exactly the four points of the truth
        table, in the order (0,0), (0,1), (1,0), (1,1). An integer n gives n examples drawn
        around the corners, each corner used n // 4 or n // 4 + 1 times, in random order.
    noise : float, default 0.0
        Standard deviation (std) of the Gaussian noise added to each coordinate.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray of shape (4, 2) or (n, 2), float64
    y : ndarray of shape (4,) or (n,), int64
        The label of a point is XOR of its corner's coordinates: (0,0)->0, (0,1)->1,
        (1,0)->1, (1,1)->0.

    Raises
    ------
    TypeError, ValueError
        If ``n`` is not an integer >= 1, ``noise`` < 0, or ``rng`` is not a Generator/seed.

    See Also
    --------
    Chapter 2 (XOR and hidden layers) proves that no line separates these points.

    Examples
    --------
    >>> from nnlib.data import xor
    >>> X, y = xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    >>> X, y = xor(200, noise=0.1, rng=0)
    >>> X.shape, int(y.sum())
    ((200, 2), 100)
    """
    where = "xor"
    noise = check_nonnegative(noise, where, "noise")
    rng = make_rng(rng, where)
    if n is None:
        X, y = _XOR_TABLE.copy(), _XOR_LABELS.copy()
    else:
        n = check_int(n, where, "n", minimum=1)
        corner = rng.permutation(np.arange(n) % 4)
        X, y = _XOR_TABLE[corner], _XOR_LABELS[corner]
    if noise > 0:
        X += rng.normal(0.0, noise, size=X.shape)
    return X, y


def moons(n, *, noise=0.1, rng=None):
    """Two interleaving half circles ("moons"), a classic non-linear two-class problem.

    Class 0 lies on the upper half of the unit circle, (cos t, sin t) for t in [0, pi];
    class 1 on the lower half circle (1 - cos t, 1/2 - sin t), shifted so that each moon
    reaches into the other's hollow. The angles t are drawn uniformly.

    Parameters
    ----------
    n : int
        Number of examples (class 0 gets the extra one when n is odd).
    noise : float, default 0.1
        Std of the Gaussian noise added to each coordinate.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64 in {0, 1}, in random order

    Examples
    --------
    >>> from nnlib.data import moons
    >>> X, y = moons(101, rng=0)
    >>> X.shape, y.dtype.name, int((y == 0).sum()), int((y == 1).sum())
    ((101, 2), 'int64', 51, 50)
    """
    where = "moons"
    n = check_int(n, where, "n", minimum=1)
    noise = check_nonnegative(noise, where, "noise")
    rng = make_rng(rng, where)
    n0, n1 = _two_class_sizes(n)
    t0 = rng.uniform(0.0, np.pi, n0)
    t1 = rng.uniform(0.0, np.pi, n1)
    X = np.concatenate([np.column_stack([np.cos(t0), np.sin(t0)]),
                        np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])])
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    X += rng.normal(0.0, noise, size=X.shape)
    return _shuffled(X, y, rng)


def circles(n, *, noise=0.05, factor=0.5, rng=None):
    """Two concentric circles: class 0 on the unit circle, class 1 on a circle of radius
    ``factor`` inside it. No line separates them; a feature like x1^2 + x2^2 does.

    Parameters
    ----------
    n : int
        Number of examples (class 0 gets the extra one when n is odd).
    noise : float, default 0.05
        Std of the Gaussian noise added to each coordinate.
    factor : float, default 0.5
        Radius of the inner circle, in (0, 1).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64 in {0, 1}, in random order

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.data import circles
    >>> X, y = circles(100, noise=0.0, factor=0.3, rng=0)
    >>> np.allclose(np.hypot(X[:, 0], X[:, 1]), np.where(y == 0, 1.0, 0.3))
    True
    """
    where = "circles"
    n = check_int(n, where, "n", minimum=1)
    noise = check_nonnegative(noise, where, "noise")
    factor = check_finite_scalar(factor, where, "factor")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"{where}: expected factor (the inner radius) in (0, 1), got {factor}.")
    rng = make_rng(rng, where)
    n0, n1 = _two_class_sizes(n)
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    radius = np.repeat([1.0, factor], [n0, n1])
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    X += rng.normal(0.0, noise, size=X.shape)
    return _shuffled(X, y, rng)


def spirals(n_per_class, *, classes=3, noise=0.2, turns=0.75, rng=None):
    """Interleaved spiral arms, one per class: a hard problem for any linear model.

    Arm k has points at radii r evenly spaced in [0.1, 1] and angles
    theta = 2 pi k / classes + 2 pi turns r + noise * N(0, 1): the point is
    (r cos theta, r sin theta).

    Parameters
    ----------
    n_per_class : int
        Points per arm.
    classes : int, default 3
        Number of arms (classes), >= 2.
    noise : float, default 0.2
        Std of the Gaussian noise added to the *angle*, in radians (so a point moves by
        about r * noise: little near the centre, where the arms are close).
    turns : float, default 0.75
        How many full turns each arm makes from r = 0.1 to r = 1; more is harder.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray of shape (classes * n_per_class, 2), float64, inside the unit disc
    y : ndarray of shape (classes * n_per_class,), int64 in {0, ..., classes - 1}, in random
        order

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.data import spirals
    >>> X, y = spirals(50, classes=4, rng=0)
    >>> X.shape, np.bincount(y).tolist()
    ((200, 2), [50, 50, 50, 50])
    """
    where = "spirals"
    n_per_class = check_int(n_per_class, where, "n_per_class", minimum=1)
    classes = check_int(classes, where, "classes", minimum=2)
    noise = check_nonnegative(noise, where, "noise")
    turns = check_nonnegative(turns, where, "turns")
    rng = make_rng(rng, where)
    r = np.tile(np.linspace(0.1, 1.0, n_per_class), classes)
    y = np.repeat(np.arange(classes, dtype=np.int64), n_per_class)
    theta = 2.0 * np.pi * (y / classes + turns * r) + rng.normal(0.0, noise, size=r.shape)
    X = r[:, None] * np.column_stack([np.cos(theta), np.sin(theta)])
    return _shuffled(X, y, rng)


def sine(n, *, noise=0.1, x_range=(-3.0, 3.0), rng=None):
    """A 1-D regression problem: y = sin(x) + noise, x uniform on ``x_range``.

    Parameters
    ----------
    n : int
        Number of examples.
    noise : float, default 0.1
        Std of the Gaussian noise added to sin(x).
    x_range : (float, float), default (-3, 3)
        The interval (low, high), low < high, from which x is drawn uniformly.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray of shape (n, 1), float64, in random order (sort by ``X[:, 0]`` to plot a line)
    y : ndarray of shape (n, 1), float64
        A column, like the output of a network with one output unit, so that
        ``MSELoss()(model(X), y)`` needs no reshaping.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.data import sine
    >>> X, y = sine(50, noise=0.0, rng=0)
    >>> X.shape, y.shape, bool(np.allclose(y, np.sin(X)))
    ((50, 1), (50, 1), True)
    """
    where = "sine"
    n = check_int(n, where, "n", minimum=1)
    noise = check_nonnegative(noise, where, "noise")
    if not isinstance(x_range, (tuple, list, np.ndarray)) or len(x_range) != 2:
        raise TypeError(f"{where}: expected x_range to be a pair (low, high), got "
                        f"{x_range!r}.")
    low = check_finite_scalar(x_range[0], where, "x_range[0]")
    high = check_finite_scalar(x_range[1], where, "x_range[1]")
    if not low < high:
        raise ValueError(f"{where}: expected x_range = (low, high) with low < high, got "
                         f"({low}, {high}).")
    rng = make_rng(rng, where)
    X = rng.uniform(low, high, size=(n, 1))
    y = np.sin(X) + rng.normal(0.0, noise, size=(n, 1))
    return X, y


def blobs(n, *, centers=3, std=1.0, dim=None, rng=None):
    """Gaussian clusters, one per class: X = centre of its class + std * N(0, I).

    Parameters
    ----------
    n : int
        Number of examples; each class gets n // k or n // k + 1 of them (k classes).
    centers : int or array_like of shape (k, dim), default 3
        Either the number of classes k, whose centres are then drawn uniformly in the box
        [-5, 5]^dim, or the centres themselves.
    std : float, default 1.0
        Standard deviation of every cluster, in every direction.
    dim : int, optional
        Number of features; 2 when ``centers`` is an int, otherwise taken from ``centers``
        (giving a different value is an error).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray of shape (n, dim), float64
    y : ndarray of shape (n,), int64 in {0, ..., k - 1}, in random order

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.data import blobs
    >>> X, y = blobs(7, centers=[[0.0, 0.0], [10.0, 10.0]], std=0.1, rng=0)
    >>> np.bincount(y).tolist(), bool(np.all((X[:, 0] > 5) == (y == 1)))
    ([4, 3], True)
    """
    where = "blobs"
    n = check_int(n, where, "n", minimum=1)
    std = check_nonnegative(std, where, "std")
    if dim is not None:
        dim = check_int(dim, where, "dim", minimum=1)
    rng = make_rng(rng, where)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = check_int(centers, where, "centers", minimum=1)
        dim = 2 if dim is None else dim
        C = rng.uniform(-5.0, 5.0, size=(k, dim))
    else:
        C = as_array(centers, where, dtype=np.float64, name="centers")
        check_ndim(C, 2, where, name="centers",
                   hint="Pass an int (the number of classes) or an array of shape (k, dim).")
        if C.shape[0] < 1 or C.shape[1] < 1:
            raise ValueError(f"{where}: expected at least one centre with at least one "
                             f"feature, got centers of shape {C.shape}.")
        if dim is not None and C.shape[1] != dim:
            raise ValueError(f"{where}: centers have {C.shape[1]} features but dim={dim}; "
                             f"leave dim out to use the centres' dimension.")
        if not np.all(np.isfinite(C)):
            raise ValueError(f"{where}: expected finite centers, got {C.tolist()}.")
        k = C.shape[0]
    y = rng.permutation(np.arange(n) % k).astype(np.int64)
    X = C[y] + rng.normal(0.0, std, size=(n, C.shape[1]))
    return X, y


def linearly_separable(n, *, margin=0.1, dim=None, rng=None, hyperplane=None,
                       return_hyperplane=False):
    """Two classes that a hyperplane w.x + b = 0 separates with at least a given margin.

    The points are drawn uniformly in the cube [-1, 1]^dim; then each side is pushed away
    from the hyperplane by ``margin`` along its unit normal w (x <- x + margin * s w, with
    s = +1 on the positive side and -1 on the other). Every point therefore has distance
    ``|w.x + b| >= margin`` to the plane, and the class is 1 on the positive side, 0 on the
    other. Used in Chapter 1 to test the perceptron convergence theorem.

    Parameters
    ----------
    n : int
        Number of examples. Both classes are likely but not guaranteed for very small n.
    margin : float, default 0.1
        The guaranteed distance from every point to the hyperplane (>= 0).
    dim : int, optional
        Number of features; 2 by default, or the length of ``hyperplane``'s w.
    rng : numpy.random.Generator, int or None
    hyperplane : (array_like of shape (dim,), float), optional
        The separating hyperplane (w, b); w need not have unit length and is normalised.
        By default w has a uniformly random direction and the plane passes through a random
        point of [-0.25, 0.25]^dim, so that both classes are roughly balanced.
    return_hyperplane : bool, default False
        Also return the hyperplane (w, b), with ``||w|| = 1``.

    Returns
    -------
    X : ndarray of shape (n, dim), float64
    y : ndarray of shape (n,), int64 in {0, 1}; y = 1 exactly where w.x + b > 0
    w : ndarray of shape (dim,), unit length (only with ``return_hyperplane``)
    b : float (only with ``return_hyperplane``)

    See Also
    --------
    nnlib.perceptron.novikoff_bound : the mistake bound for such data.
    Chapter 1 (Linear models and the perceptron).

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.data import linearly_separable
    >>> X, y, w, b = linearly_separable(200, margin=0.3, rng=0, return_hyperplane=True)
    >>> d = X @ w + b
    >>> bool(np.all(np.abs(d) >= 0.3)), bool(np.all((d > 0) == (y == 1)))
    (True, True)
    """
    where = "linearly_separable"
    n = check_int(n, where, "n", minimum=1)
    margin = check_nonnegative(margin, where, "margin")
    if dim is not None:
        dim = check_int(dim, where, "dim", minimum=1)
    return_hyperplane = check_bool(return_hyperplane, where, "return_hyperplane")
    rng = make_rng(rng, where)
    if hyperplane is None:
        dim = 2 if dim is None else dim
        w = rng.normal(size=dim)
        while not np.any(w):  # a zero draw has probability 0, but never divide by it
            w = rng.normal(size=dim)
        w /= np.linalg.norm(w)
        b = -float(w @ rng.uniform(-0.25, 0.25, size=dim))
    else:
        if not isinstance(hyperplane, (tuple, list)) or len(hyperplane) != 2:
            raise TypeError(f"{where}: expected hyperplane to be a pair (w, b), got "
                            f"{hyperplane!r}.")
        w = as_array(hyperplane[0], where, dtype=np.float64, name="hyperplane w")
        check_ndim(w, 1, where, name="hyperplane w")
        if dim is not None and w.size != dim:
            raise ValueError(f"{where}: hyperplane w has {w.size} entries but dim={dim}.")
        dim = w.size
        norm = float(np.linalg.norm(w))
        if not np.isfinite(norm) or norm == 0.0:
            raise ValueError(f"{where}: expected a finite, non-zero normal vector w, got "
                             f"{w.tolist()}.")
        b = check_finite_scalar(hyperplane[1], where, "hyperplane b") / norm
        w = w / norm
    X = rng.uniform(-1.0, 1.0, size=(n, dim))
    side = np.where(X @ w + b >= 0.0, 1.0, -1.0)
    X += (margin * side)[:, None] * w
    y = (side > 0).astype(np.int64)
    if return_hyperplane:
        return X, y, w, b
    return X, y


def _digits_file():
    """Path of the digits CSV inside the installed scikit-learn, or None.

    Found without importing scikit-learn, whose import takes seconds; the file has one
    row per image: 64 pixel values, then the label.
    """
    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    return None


@functools.lru_cache(maxsize=1)
def _load_digits():
    path = _digits_file()
    table = np.loadtxt(path, delimiter=",") if path is not None else None
    if table is not None and table.shape == (1797, 65):
        images = table[:, :64].reshape(-1, 8, 8)
        labels = table[:, 64].astype(np.int64)
    else:  # the file moved in some scikit-learn version: use the public loader
        from sklearn.datasets import load_digits

        bunch = load_digits()
        images = np.asarray(bunch.images, dtype=np.float64)
        labels = np.asarray(bunch.target, dtype=np.int64)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def digits(*, flatten=True, scale=True):
    """The 8x8 handwritten digits (1,797 images, classes 0-9), loaded offline.

    The images are the UCI "Optical Recognition of Handwritten Digits" test set as bundled
    with scikit-learn (the data of ``sklearn.datasets.load_digits``); each pixel counts the
    ink in a 4x4 block of a 32x32 bitmap, an integer from 0 to 16. The file is read straight
    from the installed scikit-learn (about 0.1 s, without the seconds that importing
    scikit-learn takes), falling back to ``load_digits`` if it is not where expected; the
    result is cached, and each call returns fresh copies.

    Parameters
    ----------
    flatten : bool, default True
        Return X of shape (1797, 64), one image per row; False gives (1797, 8, 8).
    scale : bool, default True
        Divide the pixels by 16 so that they lie in [0, 1]; False keeps 0..16.

    Returns
    -------
    X : ndarray of shape (1797, 64) or (1797, 8, 8), float64 (a fresh copy)
    y : ndarray of shape (1797,), int64 in {0, ..., 9}

    References
    ----------
    E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine
    Learning Repository, 1998.

    See Also
    --------
    Chapter 16 (A practical recipe and diagnostics) trains the capstone classifier on it.

    Examples
    --------
    >>> from nnlib.data import digits
    >>> X, y = digits()
    >>> X.shape, y.shape, float(X.min()), float(X.max())
    ((1797, 64), (1797,), 0.0, 1.0)
    """
    where = "digits"
    flatten, scale = check_bool(flatten, where, "flatten"), check_bool(scale, where, "scale")
    images, labels = _load_digits()
    X = images / 16.0 if scale else images.copy()
    if flatten:
        X = X.reshape(len(X), -1)
    return X, labels.copy()


def _apportion(m, fractions):
    """Split m items into parts of sizes close to fractions * m (largest remainder method)."""
    total = sum(fractions)
    quotas = [f / total * m for f in fractions]
    counts = [math.floor(q + 1e-9) for q in quotas]  # 1e-9: 0.7 * 10 is 6.999... in floats
    remainders = [round(q - c, 9) for q, c in zip(quotas, counts, strict=True)]
    order = sorted(range(len(fractions)), key=lambda i: (-remainders[i], i))
    for i in order[:max(0, m - sum(counts))]:
        counts[i] += 1
    return counts


def train_val_test_split(X, y, fractions=(0.7, 0.15, 0.15), *, rng=None, stratify=True):
    """Split a data set at random into training, validation and test parts.

    Parameters
    ----------
    X : array_like of shape (m, ...)
        Examples along the first axis.
    y : array_like of shape (m,) or (m, k)
        Targets, one per example.
    fractions : (float, float, float), default (0.7, 0.15, 0.15)
        Fractions of the data for training, validation and test; each >= 0, summing to 1.
    rng : numpy.random.Generator, int or None
    stratify : bool, default True
        When y holds integer class labels (a 1-D integer array), split each class
        separately so that every part has (nearly) the class proportions of the whole.
        Ignored for any other y (e.g. the float targets of :func:`sine`).

    Returns
    -------
    X_train, y_train, X_val, y_val, X_test, y_test : ndarrays
        Rows of X and y, in random order within each part.

    Raises
    ------
    ValueError
        If ``fractions`` are not three non-negative numbers summing to 1 (within 1e-9), or X
        and y do not have the same number of examples.

    Notes
    -----
    Exact sizes. A group of m examples is split by the *largest remainder* rule: part i first
    gets floor(f_i m) examples; the examples left over (at most 2) go one each to the parts
    with the largest fractional parts f_i m - floor(f_i m), ties going to train, then
    validation. Without stratification the group is the whole data set, so every part's size
    is within 1 of f_i m. With stratification the rule is applied to each class in turn and
    the part sizes are the sums over the classes (each within the number of classes of
    f_i m); every class of at least one example has at least one example in training when
    f_train is the largest fraction. For the digits (m = 1797) without stratification:
    1797 * (0.7, 0.15, 0.15) = (1257.9, 269.55, 269.55) -> (1258, 270, 269).

    See Also
    --------
    Chapter 16 (A practical recipe and diagnostics).

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.data import train_val_test_split
    >>> X, y = np.arange(20.0).reshape(10, 2), np.array([0] * 5 + [1] * 5)
    >>> parts = train_val_test_split(X, y, (0.6, 0.2, 0.2), rng=0)
    >>> [len(p) for p in parts[1::2]], [np.bincount(p).tolist() for p in parts[1::2]]
    ([6, 2, 2], [[3, 3], [1, 1], [1, 1]])
    """
    where = "train_val_test_split"
    X = as_array(X, where, name="X")
    if X.ndim == 0:
        raise ValueError(f"{where}: expected X with examples along the first axis, got a "
                         f"scalar.")
    y = np.asarray(y)  # kept as it is: integer labels must stay integers
    if y.dtype.kind not in "iuf":
        raise TypeError(f"{where}: expected numeric targets y, got dtype {y.dtype}.")
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"{where}: expected X and y with the same number of examples, got "
                         f"X of shape {X.shape} and y of shape {np.shape(y)}.")
    if not isinstance(fractions, (tuple, list, np.ndarray)) or len(fractions) != 3:
        raise ValueError(f"{where}: expected fractions to be three numbers (train, "
                         f"validation, test), got {fractions!r}.")
    fr = [check_nonnegative(f, where, "each fraction") for f in fractions]
    if abs(sum(fr) - 1.0) > 1e-9:
        raise ValueError(f"{where}: expected fractions summing to 1, got {tuple(fr)} "
                         f"(sum {sum(fr):.6g}).")
    stratify = check_bool(stratify, where, "stratify")
    rng = make_rng(rng, where)
    if stratify and y.ndim == 1 and y.dtype.kind in "iu":
        groups = [np.flatnonzero(y == c) for c in np.unique(y)]
    else:
        groups = [np.arange(len(X))]
    parts = [[], [], []]
    for group in groups:
        group = rng.permutation(group)
        bounds = np.cumsum(_apportion(len(group), fr))
        for i, chunk in enumerate(np.split(group, bounds[:2])):
            parts[i].append(chunk)
    out = []
    for chunks in parts:
        idx = rng.permutation(np.concatenate(chunks))
        out += [X[idx], y[idx]]
    return tuple(out)


def one_hot(y, num_classes=None):
    """One-hot encode integer class labels: row i has a 1 in column y[i], zeros elsewhere.

    Parameters
    ----------
    y : array_like of shape (m,), integers in {0, ..., num_classes - 1}
    num_classes : int, optional
        Number of columns C; ``max(y) + 1`` by default.

    Returns
    -------
    ndarray of shape (m, C), float64

    Raises
    ------
    TypeError
        If y is not an integer array (float labels: cast them with ``y.astype(int)``).
    ValueError
        If y is not 1-D, has negative labels or labels >= num_classes.

    Examples
    --------
    >>> from nnlib.data import one_hot
    >>> one_hot([2, 0, 1]).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    where = "one_hot"
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected integer class labels, got dtype {y.dtype}; cast "
                        f"float labels with y.astype(int).")
    check_ndim(y, 1, where, name="array of labels y")
    if num_classes is None:
        if y.size == 0:
            raise ValueError(f"{where}: cannot infer num_classes from an empty y; pass it.")
        num_classes = int(y.max()) + 1
    num_classes = check_int(num_classes, where, "num_classes", minimum=1)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"{where}: expected labels in 0..{num_classes - 1}, got labels from "
                         f"{int(y.min())} to {int(y.max())}.")
    out = np.zeros((y.size, num_classes))
    out[np.arange(y.size), y] = 1.0
    return out


def standardize(X_train, *others):
    """Scale every feature to mean 0 and std 1 using the *training* statistics only.

    Parameters
    ----------
    X_train : array_like of shape (m, d)
        The training examples; their per-feature mean and std define the scaling.
    *others : array_like of shape (m_k, d)
        Further sets (validation, test) scaled with the same mean and std, never their own:
        statistics of the test set must not leak into training.

    Returns
    -------
    tuple
        ``(Z_train, *Z_others, mean, std)`` with Z = (X - mean) / std, ``mean`` and ``std``
        of shape (d,). A float32 X_train keeps float32; integers become float64. A feature
        that is constant in the training set (std below ``1e-12 (1 + |mean|)``) gets std = 1,
        so it becomes 0 instead of NaN; the returned ``std`` is the one actually used.

    Raises
    ------
    ValueError
        If X_train is not 2-D with at least one row, or another set has a different number
        of features.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.data import standardize
    >>> Z_train, Z_test, mean, std = standardize([[1.0, 5.0], [3.0, 5.0]], [[5.0, 6.0]])
    >>> Z_train.tolist(), Z_test.tolist(), mean.tolist(), std.tolist()
    ([[-1.0, 0.0], [1.0, 0.0]], [[3.0, 1.0]], [2.0, 5.0], [1.0, 1.0])
    """
    where = "standardize"
    X_train = as_array(X_train, where, name="X_train")
    check_ndim(X_train, 2, where, name="X_train", hint="Pass examples as rows: shape (m, d).")
    if X_train.shape[0] < 1:
        raise ValueError(f"{where}: expected at least one training example, got shape "
                         f"{X_train.shape}.")
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std <= 1e-12 * (1.0 + np.abs(mean))] = 1.0
    out = [(X_train - mean) / std]
    for k, X in enumerate(others):
        X = as_array(X, where, dtype=X_train.dtype, name=f"set {k + 1} of others")
        check_ndim(X, 2, where, name=f"set {k + 1} of others")
        check_features(X, X_train.shape[1], where)
        out.append((X - mean) / std)
    return (*out, mean, std)
