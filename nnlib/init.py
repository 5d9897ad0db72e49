r"""Weight initialisation: draw starting weights whose scale keeps signals alive (Chapter 11).

With independent, zero-mean weights and inputs, a unit's pre-activation
:math:`z = \sum_{j=1}^{n_\text{in}} w_j a_j` has :math:`\mathrm{Var}(z) = n_\text{in}
\mathrm{Var}(w) \mathrm{Var}(a)`; backwards the factor is :math:`n_\text{out}`. Each scheme
below picks :math:`\mathrm{Var}(w)` to make that factor about 1:

- Xavier/Glorot: Var(w) = gain^2 * 2 / (fan_in + fan_out); normal std
  gain * sqrt(2 / (fan_in + fan_out)); uniform bound gain * sqrt(6 / (fan_in + fan_out)).
- He/Kaiming: Var(w) = gain^2 / fan (ReLU, gain sqrt(2): 2 / fan_in); normal std
  gain / sqrt(fan); uniform bound gain * sqrt(3 / fan).
- LeCun: Var(w) = 1 / fan_in; normal std 1 / sqrt(fan_in); uniform bound sqrt(3 / fan_in).

The book writes a normal distribution as N(mean, variance). A function here that takes
``std`` takes a *standard deviation*: ``normal(shape, std=0.1)`` draws from N(0, 0.01).
A uniform distribution U(-b, b) has variance b^2 / 3, which is where the sqrt(3) and
sqrt(6) = sqrt(3 * 2) come from.

Conventions (PyTorch's ``torch.nn.init``): a weight of shape (out, in) has
``fan_in = in`` and ``fan_out = out``; see :func:`fan_in_and_fan_out`. Every function
returns a new array (nothing is modified in place, so the names have no trailing
underscore), takes ``dtype`` (float64 by default; float32 supported) and draws its random
numbers only from ``rng`` (a ``numpy.random.Generator``, an int seed or None), never from
numpy's global random state. Samples are drawn in float64 and then rounded to ``dtype``,
so one seed gives the same weights, up to rounding, in float32 and float64.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._checks import (as_array, check_choice, check_dtype, check_finite_scalar,
                      check_nonnegative, make_rng)

__all__ = [
    "fan_in_and_fan_out", "calculate_gain",
    "zeros", "constant", "normal", "uniform",
    "xavier_uniform", "xavier_normal",
    "kaiming_uniform", "kaiming_normal", "he_uniform", "he_normal",
    "lecun_normal", "lecun_uniform",
    "get_initializer", "INITIALIZERS",
]


# --- checks shared by every function ----------------------------------------------------------
def _shape(shape, where: str) -> tuple:
    """``shape`` (an int or a sequence of ints >= 0) as a tuple of Python ints."""
    dims = (shape,) if isinstance(shape, numbers.Integral) else shape
    try:
        dims = tuple(dims)
    except TypeError:
        raise TypeError(f"{where}: expected shape to be an int or a tuple of ints, got "
                        f"{type(shape).__name__} {shape!r}.") from None
    for d in dims:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Integral):
            raise TypeError(f"{where}: expected shape to be a tuple of ints, got {shape!r}.")
        if d < 0:
            raise ValueError(f"{where}: expected shape with sizes >= 0, got {shape!r}.")
    return tuple(int(d) for d in dims)


def _normal(shape, mean: float, std: float, rng, dtype, where: str) -> np.ndarray:
    """Draw N(mean, std^2) in float64 and round to ``dtype``."""
    gen = make_rng(rng, where)
    out = gen.standard_normal(shape)
    if std != 1.0:
        out *= std
    if mean != 0.0:
        out += mean
    return out.astype(dtype, copy=False)


def _uniform(shape, low: float, high: float, rng, dtype, where: str) -> np.ndarray:
    """Draw U(low, high) in float64 and round to ``dtype``."""
    gen = make_rng(rng, where)
    return gen.uniform(low, high, size=shape).astype(dtype, copy=False)


def _fans(shape: tuple, where: str) -> tuple:
    if len(shape) < 2:
        raise ValueError(f"{where}: fan_in and fan_out need a weight with at least 2 "
                         f"dimensions (out, in, ...), got shape {shape}. A bias or other "
                         f"1-D array has no fan-in; initialise it with zeros or constant.")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


# --- fans and gains ---------------------------------------------------------------------------
def fan_in_and_fan_out(shape) -> tuple:
    """Number of inputs and of outputs of each unit for a weight of ``shape``.

    Parameters
    ----------
    shape : tuple of int, length >= 2
        (out, in) for a Linear weight; (out, in, k_1, ..., k_r) for a convolution kernel.

    Returns
    -------
    fan_in : int
        ``in * k_1 * ... * k_r``: the number of inputs of each output unit.
    fan_out : int
        ``out * k_1 * ... * k_r``: the number of units each input feeds. As in PyTorch,
        the receptive-field size ``k_1 * ... * k_r`` multiplies both.

    Raises
    ------
    ValueError
        If ``shape`` has fewer than 2 dimensions (PyTorch raises too).

    See Also
    --------
    calculate_gain : The other factor in every scheme. Chapter 11 (Initialisation): fan_in
        sets the forward variance factor, fan_out the backward one.

    Examples
    --------
    >>> from nnlib.init import fan_in_and_fan_out
    >>> fan_in_and_fan_out((4, 3))          # Linear(3, 4): W has shape (out, in)
    (3, 4)
    >>> fan_in_and_fan_out((16, 8, 3, 3))   # a 3x3 convolution from 8 to 16 channels
    (72, 144)
    """
    where = "fan_in_and_fan_out"
    return _fans(_shape(shape, where), where)


_GAIN_ONE = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
             "conv_transpose2d", "conv_transpose3d", "sigmoid")
_GAIN_NAMES = _GAIN_ONE + ("tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity: str, param=None) -> float:
    r"""The recommended gain for an activation function (PyTorch's table).

    Parameters
    ----------
    nonlinearity : str
        One of "linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
        "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu",
        "selu".
    param : float, optional
        The negative slope for "leaky_relu" (default 0.01); ignored otherwise, as in PyTorch.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For an unknown nonlinearity or a slope that is not a finite number.

    See Also
    --------
    kaiming_normal, kaiming_uniform, xavier_normal, xavier_uniform : Take a gain. Chapter 11
        (Initialisation) derives the ReLU gain.

    Notes
    -----
    ==================================  ==========================================
    nonlinearity                        gain
    ==================================  ==========================================
    linear, identity, conv*, sigmoid    1
    tanh                                5/3
    relu                                sqrt(2)
    leaky_relu (slope a)                sqrt(2 / (1 + a^2))
    selu                                3/4
    ==================================  ==========================================

    The gain multiplies the *standard deviation* (so gain^2 multiplies the variance). ReLU
    zeroes half of a symmetric input, halving the second moment, so the weights' variance is
    doubled: gain sqrt(2), i.e. He initialisation. The sigmoid's gain of 1 is PyTorch's
    convention, not a derivation. "identity" is an nnlib alias of "linear".

    Examples
    --------
    >>> from nnlib.init import calculate_gain
    >>> round(calculate_gain("relu") ** 2, 12)
    2.0
    >>> round(calculate_gain("leaky_relu", 0.2), 5)   # sqrt(2 / 1.04)
    1.38675
    """
    check_choice(nonlinearity, _GAIN_NAMES, "calculate_gain", "nonlinearity")
    if nonlinearity in _GAIN_ONE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    slope = 0.01 if param is None else check_finite_scalar(param, "calculate_gain",
                                                           "leaky_relu slope (param)")
    return math.sqrt(2.0 / (1.0 + slope * slope))


# --- constants --------------------------------------------------------------------------------
def zeros(shape, *, dtype=np.float64) -> np.ndarray:
    """An array of zeros: the usual bias initialisation.

    Zero *weights* are a mistake in a hidden layer: every unit computes the same function
    and receives the same gradient, so the units never become different (Chapter 11 shows
    this symmetry).

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the array.
    dtype : floating dtype, keyword-only
        Floating dtype of the result; float64 by default.

    Returns
    -------
    ndarray of ``shape``

    Examples
    --------
    >>> from nnlib.init import zeros
    >>> zeros((2, 3))
    array([[0., 0., 0.],
           [0., 0., 0.]])
    """
    return np.zeros(_shape(shape, "zeros"), dtype=check_dtype(dtype, "zeros"))


def constant(shape, value, *, dtype=np.float64) -> np.ndarray:
    """An array filled with ``value`` (e.g. a small positive ReLU bias such as 0.01).

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the array.
    value : float
        A finite number.
    dtype : floating dtype, keyword-only
        Floating dtype of the result; float64 by default.

    Examples
    --------
    >>> from nnlib.init import constant
    >>> constant(3, 0.1)
    array([0.1, 0.1, 0.1])
    """
    value = check_finite_scalar(value, "constant", "value")
    return np.full(_shape(shape, "constant"), value, dtype=check_dtype(dtype, "constant"))


# --- plain distributions ----------------------------------------------------------------------
def normal(shape, std: float = 1.0, mean: float = 0.0, rng=None, *, dtype=np.float64):
    r"""Draw from the normal distribution N(mean, std^2); ``std`` is a standard deviation.

    Note the order: ``std`` comes before ``mean`` (the argument a reader varies), the reverse
    of PyTorch's ``normal_(tensor, mean, std)``; pass them by keyword to be safe.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the array.
    std : float >= 0
        Standard deviation (not variance). Default 1.
    mean : float
        Default 0.
    rng : numpy.random.Generator, int or None
        Source of randomness: a Generator, an int seed, or None for fresh OS entropy.
    dtype : floating dtype, keyword-only
        Floating dtype of the result; float64 by default.

    Returns
    -------
    ndarray of ``shape``

    Examples
    --------
    >>> from nnlib.init import normal
    >>> w = normal((1000, 100), std=0.1, rng=0)   # N(0, 0.01)
    >>> round(float(w.std()), 2)
    0.1
    """
    where = "normal"
    shape, dtype = _shape(shape, where), check_dtype(dtype, where)
    std = check_nonnegative(std, where, "std")
    mean = check_finite_scalar(mean, where, "mean")
    return _normal(shape, mean, std, rng, dtype, where)


def uniform(shape, a: float = 0.0, b: float = 1.0, rng=None, *, dtype=np.float64):
    r"""Draw from the uniform distribution U(a, b), whose variance is (b - a)^2 / 12.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of the array.
    a, b : float, a <= b
        The interval; values lie in [a, b].
    rng : numpy.random.Generator, int or None
        Source of randomness: a Generator, an int seed, or None for fresh OS entropy.
    dtype : floating dtype, keyword-only
        Floating dtype of the result; float64 by default.

    Examples
    --------
    >>> from nnlib.init import uniform
    >>> w = uniform((100, 100), -1.0, 1.0, rng=0)
    >>> bool(w.min() >= -1.0 and w.max() <= 1.0)
    True
    """
    where = "uniform"
    shape, dtype = _shape(shape, where), check_dtype(dtype, where)
    a = check_finite_scalar(a, where, "a")
    b = check_finite_scalar(b, where, "b")
    if a > b:
        raise ValueError(f"uniform: expected a <= b, got a={a} and b={b}.")
    return _uniform(shape, a, b, rng, dtype, where)


# --- Xavier / Glorot --------------------------------------------------------------------------
def _xavier_std(shape, gain, where):
    fan_in, fan_out = _fans(shape, where)
    gain = check_nonnegative(gain, where, "gain")
    return gain * math.sqrt(2.0 / max(fan_in + fan_out, 1))  # 0 only for an empty weight


def xavier_uniform(shape, gain: float = 1.0, rng=None, *, dtype=np.float64) -> np.ndarray:
    r"""Xavier/Glorot uniform: U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out)).

    Parameters
    ----------
    shape : tuple of int, length >= 2
        (out, in) for a Linear weight.
    gain : float >= 0
        Scale factor, see :func:`calculate_gain`. Default 1.
    rng : numpy.random.Generator, int or None
        Source of randomness: a Generator, an int seed, or None for fresh OS entropy.
    dtype : floating dtype, keyword-only
        Floating dtype of the result; float64 by default.

    Returns
    -------
    ndarray of ``shape``

    See Also
    --------
    xavier_normal : The same variance from a normal. Chapter 11 (Initialisation) derives it.

    Notes
    -----
    Glorot and Bengio [1]_ ask for the variance to be preserved forwards
    (:math:`n_\text{in} \mathrm{Var}(w) = 1`) and backwards
    (:math:`n_\text{out} \mathrm{Var}(w) = 1`) and compromise on

    .. math:: \mathrm{Var}(w) = \text{gain}^2 \, \frac{2}{\text{fan\_in} + \text{fan\_out}}.

    U(-b, b) has variance :math:`b^2/3`, so
    :math:`b = \text{gain} \sqrt{6 / (\text{fan\_in} + \text{fan\_out})}`.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
       feedforward neural networks", AISTATS 2010.

    Examples
    --------
    >>> from nnlib.init import xavier_uniform
    >>> w = xavier_uniform((4, 2), rng=0)     # bound sqrt(6 / 6) = 1
    >>> w.shape, bool(abs(w).max() <= 1.0)
    ((4, 2), True)
    """
    where = "xavier_uniform"
    shape, dtype = _shape(shape, where), check_dtype(dtype, where)
    bound = math.sqrt(3.0) * _xavier_std(shape, gain, where)
    return _uniform(shape, -bound, bound, rng, dtype, where)


def xavier_normal(shape, gain: float = 1.0, rng=None, *, dtype=np.float64) -> np.ndarray:
    r"""Xavier/Glorot normal: N(0, gain^2 * 2 / (fan_in + fan_out)), a *variance*.

    The standard deviation is gain * sqrt(2 / (fan_in + fan_out)).

    Parameters
    ----------
    shape : tuple of int, length >= 2
        Shape of the weight; (out, in) for a Linear layer.
    gain : float >= 0
        Multiplies the standard deviation (see :func:`calculate_gain`).
    rng : numpy.random.Generator, int or None
        Source of randomness: a Generator, an int seed, or None for fresh OS entropy.
    dtype : floating dtype, keyword-only
        Floating dtype of the result; float64 by default.

    See Also
    --------
    xavier_uniform : The same variance from a uniform. Chapter 11 (Initialisation) derives it.

    Notes
    -----
    .. math:: w \sim N\Big(0,\; \text{gain}^2 \frac{2}{\text{fan\_in} + \text{fan\_out}}\Big),
              \qquad \text{std} = \text{gain} \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    The variance is Glorot and Bengio's compromise between the forward and the backward
    condition [1]_, the same as for :func:`xavier_uniform`.

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
       feedforward neural networks", AISTATS 2010.

    Examples
    --------
    >>> from nnlib.init import xavier_normal
    >>> w = xavier_normal((500, 300), rng=0)        # Var = 2 / 800 = 0.0025
    >>> round(float(w.var()), 4)
    0.0025
    """
    where = "xavier_normal"
    shape, dtype = _shape(shape, where), check_dtype(dtype, where)
    return _normal(shape, 0.0, _xavier_std(shape, gain, where), rng, dtype, where)


# --- He / Kaiming -----------------------------------------------------------------------------
def _kaiming_std(shape, a, mode, nonlinearity, gain, where):
    check_choice(mode, ("fan_in", "fan_out"), where, "mode")
    fan_in, fan_out = _fans(shape, where)
    fan = max(fan_in if mode == "fan_in" else fan_out, 1)  # 0 only for an empty weight
    if gain is None:
        gain = calculate_gain(nonlinearity, check_finite_scalar(a, where, "a"))
    else:
        if nonlinearity != "leaky_relu" or a != 0:
            raise ValueError(f"{where}: give either gain or (nonlinearity, a), not both; got "
                             f"gain={gain!r}, nonlinearity={nonlinearity!r}, a={a!r}.")
        gain = check_nonnegative(gain, where, "gain")
    return gain / math.sqrt(fan)


def kaiming_uniform(shape, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", rng=None, *, gain=None,
                    dtype=np.float64) -> np.ndarray:
    r"""He/Kaiming uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan).

    Parameters
    ----------
    shape : tuple of int, length >= 2
        (out, in) for a Linear weight.
    a : float
        Negative slope of the leaky ReLU that follows (used only when
        ``nonlinearity="leaky_relu"``). Default 0, which makes it a ReLU.
    mode : {"fan_in", "fan_out"}
        "fan_in" keeps the forward variance, "fan_out" the backward one.
    nonlinearity : str
        Passed to :func:`calculate_gain` with ``a``. Default "leaky_relu" (PyTorch's
        default; with ``a = 0`` the gain is sqrt(2), the ReLU gain).
    rng : numpy.random.Generator, int or None
        Source of randomness: a Generator, an int seed, or None for fresh OS entropy.
    gain : float >= 0, optional, keyword-only
        Use this gain instead of ``calculate_gain(nonlinearity, a)``; then leave ``a`` and
        ``nonlinearity`` at their defaults.
    dtype : floating dtype, keyword-only
        Floating dtype of the result; float64 by default.

    Returns
    -------
    ndarray of ``shape``

    See Also
    --------
    kaiming_normal : The same variance from a normal. Chapter 11 (Initialisation) derives the
        factor 2 for ReLU.

    Notes
    -----
    He et al. [1]_: a ReLU keeps half of a symmetric input's second moment, so keeping the
    variance of the pre-activations needs :math:`\text{fan}\,\mathrm{Var}(w) = 2`. In general

    .. math:: \mathrm{Var}(w) = \frac{\text{gain}^2}{\text{fan}}, \qquad
              \text{bound} = \sqrt{3\,\mathrm{Var}(w)} = \text{gain} \sqrt{3 / \text{fan}}.

    ``a = sqrt(5)`` with the defaults gives bound ``1 / sqrt(fan_in)``: the initialisation
    of PyTorch's ``nn.Linear`` weights (see :func:`get_initializer` with "torch").

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers: surpassing
       human-level performance on ImageNet classification", ICCV 2015.

    Examples
    --------
    >>> from nnlib.init import kaiming_uniform
    >>> w = kaiming_uniform((3, 6), rng=0)        # bound sqrt(2) * sqrt(3 / 6) = 1
    >>> bool(abs(w).max() <= 1.0)
    True
    """
    where = "kaiming_uniform"
    shape, dtype = _shape(shape, where), check_dtype(dtype, where)
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity, gain, where)
    return _uniform(shape, -bound, bound, rng, dtype, where)


def kaiming_normal(shape, a: float = 0.0, mode: str = "fan_in",
                   nonlinearity: str = "leaky_relu", rng=None, *, gain=None,
                   dtype=np.float64) -> np.ndarray:
    r"""He/Kaiming normal: N(0, gain^2 / fan), a *variance*; std = gain / sqrt(fan).

    For a ReLU network (the default) that is N(0, 2 / fan_in): std sqrt(2 / fan_in).

    Parameters
    ----------
    shape : tuple of int, length >= 2
        Shape of the weight; (out, in) for a Linear layer.
    a : float
        Negative slope for ``nonlinearity="leaky_relu"``. Default 0.
    mode : {"fan_in", "fan_out"}
        "fan_in" keeps the forward variance, "fan_out" the backward one.
    nonlinearity : str
        Default "leaky_relu" (with ``a = 0``: gain sqrt(2)).
    rng : numpy.random.Generator, int or None
        Source of randomness: a Generator, an int seed, or None for fresh OS entropy.
    gain : float >= 0, optional, keyword-only
        Overrides ``calculate_gain(nonlinearity, a)``.
    dtype : floating dtype, keyword-only
        Floating dtype of the result; float64 by default.

    See Also
    --------
    kaiming_uniform : The same variance from a uniform. Chapter 11 (Initialisation) derives
        the factor 2 for ReLU.

    Notes
    -----
    .. math:: w \sim N\Big(0,\; \frac{\text{gain}^2}{\text{fan}}\Big), \qquad
              \text{std} = \frac{\text{gain}}{\sqrt{\text{fan}}}

    He et al. [1]_ derive gain^2 = 2 for ReLU: it keeps half of a symmetric input's second
    moment.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers: surpassing
       human-level performance on ImageNet classification", ICCV 2015.

    Examples
    --------
    >>> from nnlib.init import kaiming_normal
    >>> w = kaiming_normal((400, 200), rng=0)     # Var = 2 / 200 = 0.01
    >>> round(float(w.var()), 3)
    0.01
    """
    where = "kaiming_normal"
    shape, dtype = _shape(shape, where), check_dtype(dtype, where)
    std = _kaiming_std(shape, a, mode, nonlinearity, gain, where)
    return _normal(shape, 0.0, std, rng, dtype, where)


#: Aliases: He et al. (2015) is the paper, Kaiming He the first author.
he_uniform = kaiming_uniform
he_normal = kaiming_normal


# --- LeCun ------------------------------------------------------------------------------------
def lecun_normal(shape, rng=None, *, gain: float = 1.0, dtype=np.float64) -> np.ndarray:
    r"""LeCun normal: N(0, gain^2 / fan_in), a *variance*; std = gain / sqrt(fan_in).

    With the default gain 1 this is Var(w) = 1 / fan_in, the initialisation SELU networks
    need to self-normalise (Klambauer et al., 2017).

    Parameters
    ----------
    shape : tuple of int, length >= 2
        Shape of the weight; (out, in) for a Linear layer.
    rng : numpy.random.Generator, int or None
        Source of randomness: a Generator, an int seed, or None for fresh OS entropy.
    gain : float >= 0, keyword-only
        Default 1.
    dtype : floating dtype, keyword-only
        Floating dtype of the result; float64 by default.

    See Also
    --------
    lecun_uniform : The same variance from a uniform.
    kaiming_normal : The same with gain sqrt(2), for ReLU. Chapter 11 (Initialisation).

    Notes
    -----
    .. math:: w \sim N\Big(0,\; \frac{1}{\text{fan\_in}}\Big), \qquad
              \text{std} = \frac{1}{\sqrt{\text{fan\_in}}}

    This keeps :math:`\mathrm{Var}(z) = \mathrm{Var}(a)` for a linear unit [1]_, and is the
    initialisation under which SELU activations self-normalise [2]_.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, G. B. Orr and K.-R. Mueller, "Efficient BackProp", in Neural
       Networks: Tricks of the Trade, Springer 1998.
    .. [2] G. Klambauer, T. Unterthiner, A. Mayr and S. Hochreiter, "Self-normalizing neural
       networks", NeurIPS 2017.

    Examples
    --------
    >>> from nnlib.init import lecun_normal
    >>> w = lecun_normal((500, 400), rng=0)        # Var = 1 / 400
    >>> round(float(w.var()) * 400, 1)
    1.0
    """
    where = "lecun_normal"
    shape, dtype = _shape(shape, where), check_dtype(dtype, where)
    fan_in = max(_fans(shape, where)[0], 1)  # 0 only for an empty weight
    std = check_nonnegative(gain, where, "gain") / math.sqrt(fan_in)
    return _normal(shape, 0.0, std, rng, dtype, where)


def lecun_uniform(shape, rng=None, *, gain: float = 1.0, dtype=np.float64) -> np.ndarray:
    r"""LeCun uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan_in).

    Its variance is gain^2 / fan_in, the same as :func:`lecun_normal` [1]_.

    Parameters
    ----------
    shape : tuple of int, length >= 2
        Shape of the weight; (out, in) for a Linear layer.
    rng : numpy.random.Generator, int or None
        Source of randomness: a Generator, an int seed, or None for fresh OS entropy.
    gain : float >= 0, keyword-only
        Multiplies the standard deviation (see :func:`calculate_gain`).
    dtype : floating dtype, keyword-only
        Floating dtype of the result; float64 by default.

    See Also
    --------
    lecun_normal : The same variance from a normal. Chapter 11 (Initialisation).

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, G. B. Orr and K.-R. Mueller, "Efficient BackProp", 1998.

    Examples
    --------
    >>> from nnlib.init import lecun_uniform
    >>> w = lecun_uniform((2, 3), rng=0)           # bound sqrt(3 / 3) = 1
    >>> bool(abs(w).max() <= 1.0)
    True
    """
    where = "lecun_uniform"
    shape, dtype = _shape(shape, where), check_dtype(dtype, where)
    fan_in = max(_fans(shape, where)[0], 1)  # 0 only for an empty weight
    bound = check_nonnegative(gain, where, "gain") * math.sqrt(3.0 / fan_in)
    return _uniform(shape, -bound, bound, rng, dtype, where)


# --- by name, for Linear(init=...) ------------------------------------------------------------
def _he(shape, rng=None, dtype=np.float64):
    return kaiming_normal(shape, nonlinearity="relu", rng=rng, dtype=dtype)


def _xavier(shape, rng=None, dtype=np.float64):
    return xavier_uniform(shape, rng=rng, dtype=dtype)


def _lecun(shape, rng=None, dtype=np.float64):
    return lecun_normal(shape, rng=rng, dtype=dtype)


def _torch(shape, rng=None, dtype=np.float64):
    return kaiming_uniform(shape, a=math.sqrt(5.0), rng=rng, dtype=dtype)


def _zeros(shape, rng=None, dtype=np.float64):
    return zeros(shape, dtype=dtype)


#: The named schemes :func:`get_initializer` accepts, each ``f(shape, rng, dtype)``.
INITIALIZERS = {
    "he": _he,          # N(0, 2 / fan_in):                 kaiming_normal, ReLU gain
    "xavier": _xavier,  # U(-b, b), b = sqrt(6 / (fan_in + fan_out)): xavier_uniform, gain 1
    "lecun": _lecun,    # N(0, 1 / fan_in):                 lecun_normal
    "torch": _torch,    # U(-b, b), b = 1 / sqrt(fan_in):   PyTorch's nn.Linear default
    "zeros": _zeros,    # all zeros: the symmetry problem of Chapter 11
}


def get_initializer(init):
    r"""Turn a scheme's name or a callable into a function ``f(shape, rng, dtype) -> array``.

    This is what ``Linear(..., init=...)`` uses for its weight.

    Parameters
    ----------
    init : str or callable
        A name:

        - ``"he"``: :func:`kaiming_normal` with the ReLU gain, N(0, 2 / fan_in) (a variance;
          std sqrt(2 / fan_in)). For ReLU networks; nnlib's default.
        - ``"xavier"``: :func:`xavier_uniform` with gain 1, U(-b, b) with
          b = sqrt(6 / (fan_in + fan_out)). For tanh and sigmoid networks.
        - ``"lecun"``: :func:`lecun_normal`, N(0, 1 / fan_in). For SELU networks.
        - ``"torch"``: PyTorch's ``nn.Linear`` default, ``kaiming_uniform(a=sqrt(5))``, which
          is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (variance 1 / (3 fan_in)).
        - ``"zeros"``: all zeros (to show the symmetry problem, Chapter 11).

        Or a callable, called as ``init(shape, rng=rng, dtype=dtype)``, e.g.
        ``nnlib.init.xavier_normal`` or
        ``functools.partial(nnlib.init.normal, std=0.01)``. Its result is checked to have
        the requested shape and is cast to ``dtype``.

    Returns
    -------
    callable
        ``f(shape, rng=None, dtype=np.float64)`` returning a new array of ``shape``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the options).
    TypeError
        If ``init`` is neither a string nor callable.

    See Also
    --------
    kaiming_normal, xavier_uniform, lecun_normal, kaiming_uniform : The schemes behind the
        names. Chapter 11 (Initialisation) compares them in a 50-layer network.

    Notes
    -----
    "he" is the *normal* form because the book's Chapter 11 derives Var(w) = 2 / n_in and
    draws from N(0, 2 / n_in); PyTorch's own default for ``nn.Linear`` is available as
    "torch" and is smaller by a factor of 6 in variance.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib.init import get_initializer
    >>> f = get_initializer("torch")
    >>> w = f((3, 4), rng=0, dtype=np.float32)    # U(-1/2, 1/2)
    >>> w.dtype, bool(abs(w).max() <= 0.5)
    (dtype('float32'), True)
    """
    if isinstance(init, str):
        return INITIALIZERS[check_choice(init, tuple(INITIALIZERS), "get_initializer", "init",
                                         hint="Or pass a callable f(shape, rng=..., "
                                              "dtype=...).")]
    if not callable(init):
        raise TypeError(f"get_initializer: expected the name of a scheme or a callable "
                        f"f(shape, rng=..., dtype=...), got {type(init).__name__} {init!r}.")
    label = getattr(init, "__name__", type(init).__name__)

    def initializer(shape, rng=None, dtype=np.float64):
        shape = _shape(shape, f"init {label}")
        dtype = check_dtype(dtype, f"init {label}")
        out = as_array(init(shape, rng=rng, dtype=dtype), f"init {label}",
                       name="the initial weights")
        if out.shape != shape:
            raise ValueError(f"init {label}: expected the callable to return an array of the "
                             f"requested shape {shape}, got shape {out.shape}.")
        return out.astype(dtype, copy=False)

    return initializer
