"""What several chapters share: the running examples, timing, BLAS threads and figure sizes.

One definition of each thing that more than one chapter uses, so that a chapter module never
imports another chapter's module:

- :data:`WORKED` and :func:`worked_network`: the 2-2-1 sigmoid network of Chapter 4's
  hand-worked forward pass, which Chapter 5 runs backwards (with the target y = 1).
- :data:`XOR_W1`, :data:`XOR_B1`, :data:`XOR_W2`, :data:`XOR_B2`: Chapter 2's hand-built
  XOR solution (hidden units OR and NAND, output AND).
- :func:`one_blas_thread`: a context in which numpy's matrix products use one thread.
- :func:`time_call` (best of n) and :func:`median_time` (median of n): the two ways the book
  times a piece of code.
- :func:`digits_split`: the book's split of the 8x8 digits (70 / 15 / 15 %, stratified, seed 0),
  which the chapters that train on the digits share.
- Figure sizes in inches for the book's column (:data:`FIG_SINGLE`, :data:`FIG_WIDE`, ...).
"""

from __future__ import annotations

import contextlib
import functools
import time
from dataclasses import dataclass

import numpy as np

from nnlib._checks import check_int
from nnlib.core import Sequential
from nnlib.data import digits, standardize, train_val_test_split
from nnlib.layers import Linear, Sigmoid

__all__ = [
    "WorkedExample", "WORKED", "worked_network",
    "XOR_W1", "XOR_B1", "XOR_W2", "XOR_B2",
    "one_blas_thread", "get_clock", "time_call", "median_time", "digits_split",
    "FIG_SINGLE", "FIG_WIDE", "FIG_TALL", "FIG_SQUARE",
]

# --------------------------------------------------------------------------------------------
# figure sizes (inches); the book's text column is about 7 inches wide at dpi 100
# --------------------------------------------------------------------------------------------
#: One axes across the column.
FIG_SINGLE = (6.6, 4.2)
#: Two panels side by side.
FIG_WIDE = (8.8, 3.8)
#: A taller single figure (a network diagram, a graph).
FIG_TALL = (7.6, 4.4)
#: A square 2 x 2 grid of panels.
FIG_SQUARE = (7.0, 7.0)


def _readonly(a):
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


# --------------------------------------------------------------------------------------------
# Chapter 4's worked example (Chapter 5 runs it backwards)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkedExample:
    """The 2-2-1 sigmoid network of Chapter 4 with its input and Chapter 5's target.

    Attributes
    ----------
    x : ndarray of shape (2,)
        The input (0.5, 0.8).
    W1 : ndarray of shape (2, 2)
    b1 : ndarray of shape (2,)
    W2 : ndarray of shape (1, 2)
    b2 : ndarray of shape (1,)
    y : float
        The target of Chapter 5's backward pass, 1.
    """

    x: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    y: float


#: The numbers of the syllabus: z1 = (0.52, 0.43), a1 = (0.627, 0.606), z2 = 0.979,
#: y_hat = 0.727. The arrays are read-only.
WORKED = WorkedExample(
    x=_readonly([0.5, 0.8]),
    W1=_readonly([[0.2, 0.4], [0.3, 0.1]]),
    b1=_readonly([0.1, 0.2]),
    W2=_readonly([[0.6, 0.5]]),
    b2=_readonly([0.3]),
    y=1.0,
)


def worked_network(dtype=np.float64) -> Sequential:
    """A fresh nnlib copy of Chapter 4's network: Linear(2, 2), Sigmoid, Linear(2, 1), Sigmoid.

    Parameters
    ----------
    dtype : numpy dtype
        float64 (default) or float32.

    Returns
    -------
    Sequential
        With the weights and biases of :data:`WORKED`; changing it leaves WORKED alone.

    See Also
    --------
    Chapter 4 (Forward propagation) computes its forward pass by hand; Chapter 5
    (Backpropagation) its backward pass.

    Examples
    --------
    >>> net = worked_network()
    >>> net(WORKED.x[None, :]).round(3)
    array([[0.727]])
    """
    first = Linear(2, 2, rng=0, dtype=dtype)
    second = Linear(2, 1, rng=0, dtype=dtype)
    first.weight.data[...] = WORKED.W1
    first.bias.data[...] = WORKED.b1
    second.weight.data[...] = WORKED.W2
    second.bias.data[...] = WORKED.b2
    return Sequential(first, Sigmoid(), second, Sigmoid())


# --------------------------------------------------------------------------------------------
# Chapter 2's hand-built XOR network
# --------------------------------------------------------------------------------------------
#: Hidden unit 1 is OR (fires unless x = (0, 0)), hidden unit 2 is NAND (fires unless
#: x = (1, 1)); with a step activation, z = W x + b > 0 means "fires".
XOR_W1 = _readonly([[1.0, 1.0], [-1.0, -1.0]])
XOR_B1 = _readonly([-0.5, 1.5])
#: The output unit is AND of the two hidden units.
XOR_W2 = _readonly([[1.0, 1.0]])
XOR_B2 = _readonly([-1.5])


# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------
def one_blas_thread():
    """A context manager in which numpy's BLAS (the matrix products) uses one thread.

    Timings of small products are then reproducible (thread start-up costs more than it saves
    on them), and CPU time means something (idle BLAS threads spin, and spinning counts). The
    previous setting is restored on exit.

    Examples
    --------
    >>> with one_blas_thread():
    ...     _ = np.ones((4, 4)) @ np.ones((4, 4))
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


_CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def get_clock(clock, where="get_clock"):
    """The timer function for ``clock``: 'cpu' (``time.process_time``) or 'wall'
    (``time.perf_counter``); ``where`` names the caller in the error message."""
    if clock not in _CLOCKS:
        raise ValueError(f"{where}: expected clock to be 'cpu' or 'wall', got {clock!r}.")
    return _CLOCKS[clock]


def _times(fn, repeats, clock, one_thread, warmup, where):
    if not callable(fn):
        raise TypeError(f"{where}: expected a function to time, got {type(fn).__name__}.")
    repeats = check_int(repeats, where, "repeats", minimum=1)
    now = get_clock(clock, where)
    times = []
    with one_blas_thread() if one_thread else contextlib.nullcontext():
        for _ in range(warmup):
            fn()
        for _ in range(repeats):
            start = now()
            fn()
            times.append(now() - start)
    return times


def time_call(fn, repeats=5, clock="cpu", one_thread=True) -> float:
    """Best-of-``repeats`` time in seconds of ``fn()``, after one warm-up call.

    Parameters
    ----------
    fn : callable
        Called without arguments.
    repeats : int
        Timed calls; the fastest is kept. Interruptions only ever make a call slower, so
        the minimum is the robust estimate on a shared machine.
    clock : {'cpu', 'wall'}
        'cpu' (default) measures the CPU time of this process (``time.process_time``): time
        spent waiting while other programs run is not counted, which makes measurements on
        a busy machine reproducible. 'wall' measures elapsed time (``time.perf_counter``).
    one_thread : bool
        Limit BLAS to one thread while timing. CPU time is only meaningful then: idle BLAS
        threads spin while they wait for work, and their spinning counts as CPU time.

    Examples
    --------
    >>> time_call(lambda: sum(range(1000)), repeats=2) >= 0
    True
    """
    return float(min(_times(fn, repeats, clock, one_thread, 1, "time_call")))


def median_time(fn, repeats=5, clock="wall", one_thread=False, warmup=0) -> float:
    """Median time in seconds of ``repeats`` calls of ``fn()``.

    The median, unlike the minimum of :func:`time_call`, describes a typical call, which is
    what a reader waits for (a slider's redraw, a training step).

    Parameters
    ----------
    fn : callable
    repeats : int
    clock : {'wall', 'cpu'}
    one_thread : bool
        Limit BLAS to one thread while timing.
    warmup : int
        Untimed calls first.

    Examples
    --------
    >>> median_time(lambda: sum(range(1000)), repeats=3) >= 0
    True
    """
    warmup = check_int(warmup, "median_time", "warmup", minimum=0)
    return float(np.median(_times(fn, repeats, clock, one_thread, warmup, "median_time")))


# --------------------------------------------------------------------------------------------
# the 8x8 digits, split once for every chapter that trains on them
# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def _digits_split(standardized):
    parts = train_val_test_split(*digits(), rng=0)
    if standardized:
        X_tr, X_val, X_te, _, _ = standardize(parts[0], parts[2], parts[4])
        parts = (X_tr, parts[1], X_val, parts[3], X_te, parts[5])
    for a in parts:
        a.setflags(write=False)
    return parts


def digits_split(copy: bool = True, standardized: bool = False):
    """The book's split of the 8x8 digits: 70 % training, 15 % validation, 15 % test.

    The split is ``nnlib.data.train_val_test_split(*digits(), rng=0)`` (stratified), computed
    once per process.

    Parameters
    ----------
    copy : bool
        True (the default): fresh copies, which a caller may change. False: the shared
        read-only arrays themselves (no copy; for code that only reads them).
    standardized : bool
        False (the default): pixels in [0, 1]. True: every pixel shifted and scaled to mean 0
        and std 1 over the training images (:func:`nnlib.data.standardize`; a pixel that is
        always 0 stays 0), the inputs the variance arguments of Chapters 11 and 16 assume.

    Returns
    -------
    X_train, y_train, X_val, y_val, X_test, y_test : ndarray
        X of shape (m, 64), labels 0 to 9: 1,259, 270 and 268 examples.

    Examples
    --------
    >>> X_tr, y_tr, X_val, y_val, X_te, y_te = digits_split()
    >>> X_tr.shape, X_val.shape, X_te.shape
    ((1259, 64), (270, 64), (268, 64))
    >>> digits_split(copy=False)[0].flags.writeable
    False
    >>> bool(np.allclose(digits_split(standardized=True)[0].mean(axis=0), 0.0))
    True
    """
    parts = _digits_split(bool(standardized))
    return tuple(a.copy() for a in parts) if copy else parts
