"""Input validation shared by every public function of nnlib (private).

Every check raises a ``TypeError`` or ``ValueError`` whose message is a sentence that names
the layer or function (``where``), what it expected and what it received, so that no bare
numpy broadcasting error escapes a public call.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable

import numpy as np

__all__ = [
    "as_array",
    "check_ndim",
    "check_features",
    "check_same_shape",
    "check_positive",
    "check_nonnegative",
    "check_int",
    "check_probability",
    "check_finite_scalar",
    "check_bool",
    "check_choice",
    "check_dtype",
    "check_module",
    "make_rng",
]


def _where(where) -> str:
    """``where`` is a name, or a Module whose name is only formatted when an error is raised
    (so checks cost nothing on the hot path)."""
    return where if isinstance(where, str) else where._name()


def _describe(x) -> str:
    if x is None:
        return "None"
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}" if np.isscalar(x) else f"a {type(x).__name__}"


def as_array(x, where: str, dtype=None, name: str = "input") -> np.ndarray:
    """Return ``x`` as a numeric ndarray, cast to ``dtype`` when given.

    Lists and scalars are converted; strings, objects and booleans are rejected with a
    ``TypeError``. No copy is made when ``x`` already is an array of the right dtype.
    """
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as err:  # ragged nested lists
            raise TypeError(f"{_where(where)}: expected a numeric array as {name}, got "
                            f"{_describe(x)} that numpy cannot turn into one ({err}).") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{_where(where)}: expected a numeric (integer or float) array as {name}, "
                        f"got dtype {arr.dtype}.")
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    elif dtype is None and arr.dtype.kind in "iu":
        arr = arr.astype(np.float64)
    return arr


def check_ndim(x: np.ndarray, ndims, where: str, name: str = "input", hint: str = "") -> None:
    """Raise ``ValueError`` unless ``x.ndim`` is one of ``ndims`` (an int or a tuple)."""
    allowed = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if x.ndim not in allowed:
        want = " or ".join(f"{n}-D" for n in allowed)
        raise ValueError(f"{_where(where)}: expected a {want} {name}, got shape {x.shape}"
                         f" ({x.ndim}-D).{(' ' + hint) if hint else ''}")


def check_features(x: np.ndarray, n: int, where: str, axis: int = -1) -> None:
    """Raise ``ValueError`` unless ``x.shape[axis] == n``."""
    if x.ndim == 0 or x.shape[axis] != n:
        raise ValueError(f"{_where(where)}: expected input with {n} features, got shape {x.shape}.")


def check_same_shape(a: np.ndarray, b: np.ndarray, where: str, a_name: str = "prediction",
                     b_name: str = "target") -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{_where(where)}: expected {b_name} of the same shape as {a_name} "
                         f"{a.shape}, got {b.shape}.")


def check_finite_scalar(value, where: str, name: str):
    """Return ``value`` as a float; raise if it is not a finite real number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_where(where)}: expected {name} to be a real number, got "
                        f"{_describe(value)}.")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{_where(where)}: expected a finite {name}, got {value}.")
    return value


def check_positive(value, where: str, name: str) -> float:
    """Return ``value`` as a float; raise unless it is finite and > 0."""
    value = check_finite_scalar(value, where, name)
    if value <= 0:
        raise ValueError(f"{_where(where)}: expected {name} > 0, got {value}.")
    return value


def check_nonnegative(value, where: str, name: str) -> float:
    """Return ``value`` as a float; raise unless it is finite and >= 0."""
    value = check_finite_scalar(value, where, name)
    if value < 0:
        raise ValueError(f"{_where(where)}: expected {name} >= 0, got {value}.")
    return value


def check_int(value, where: str, name: str, minimum: int | None = None) -> int:
    """Return ``value`` as an int; raise unless it is an integer (not a bool) >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{_where(where)}: expected {name} to be an integer, got "
                        f"{_describe(value)}.")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{_where(where)}: expected {name} >= {minimum}, got {value}.")
    return value


def check_probability(p, where: str, name: str = "p", upper_inclusive: bool = False) -> float:
    """Return ``p`` as a float; raise unless 0 <= p < 1 (or <= 1 with ``upper_inclusive``)."""
    p = check_finite_scalar(p, where, name)
    ok = 0.0 <= p <= 1.0 if upper_inclusive else 0.0 <= p < 1.0
    if not ok:
        interval = "[0, 1]" if upper_inclusive else "[0, 1)"
        raise ValueError(f"{_where(where)}: expected {name} in {interval}, got {p}.")
    return p


def check_bool(value, where, name: str) -> bool:
    """Return ``value`` as a bool; raise ``TypeError`` unless it is True or False.

    Integers are refused although Python treats 1 as true: ``shuffle=1`` is more likely a
    slip than a choice.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{_where(where)}: expected {name} to be True or False, got "
                        f"{_describe(value)}.")
    return bool(value)


def check_choice(value, options: tuple, where, name: str, hint: str = ""):
    """Return ``value``; raise ``ValueError`` unless it is one of ``options``.

    ``options`` holds strings (or other hashable constants); the message lists them all.
    """
    if not isinstance(value, Hashable) or value not in options:
        raise ValueError(f"{_where(where)}: expected {name} to be one of {list(options)}, got "
                         f"{value!r}.{(' ' + hint) if hint else ''}")
    return value


def check_dtype(dtype, where) -> np.dtype:
    """Return ``dtype`` as a numpy floating dtype (float64, float32, ...); raise ``TypeError``
    for an integer dtype or anything that is not a dtype."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind != "f":
        shown = repr(dtype) if dt is None else str(dt)
        raise TypeError(f"{_where(where)}: expected dtype to be a floating type such as "
                        f"np.float64 or np.float32, got {shown}.")
    return dt


def check_module(value, where, name: str = "the model"):
    """Return ``value``; raise ``TypeError`` unless it is an nnlib Module."""
    from .core import Module  # core imports this file, so the import waits until a call

    if not isinstance(value, Module):
        raise TypeError(f"{_where(where)}: expected {name} to be an nnlib Module (a layer, or a "
                        f"network such as Sequential), got {type(value).__name__}.")
    return value


def make_rng(rng, where: str) -> np.random.Generator:
    """Turn ``rng`` (a Generator, an int seed or None) into a ``numpy.random.Generator``.

    ``None`` gives a fresh generator seeded from the operating system; numpy's global
    random state is never read or changed.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"{_where(where)}: expected a non-negative integer seed, got {rng}.")
        return np.random.default_rng(int(rng))
    raise TypeError(f"{_where(where)}: expected rng to be a numpy.random.Generator, an int seed or "
                    f"None, got {_describe(rng)}.")
