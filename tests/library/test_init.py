"""Tests of nnlib.init: fan and gain rules, the sampled variances, bounds, seeding, dtypes and
errors.

Statistical tests draw N = 200,000 numbers with a fixed seed, so they are deterministic; the
tolerances are 5 standard errors, so a correct sampler would pass with any seed (failure
probability below 1e-6) while a wrong scale (the closest alternatives differ by 20 % or more in
variance) fails by a wide margin:
- sample variance of a normal: relative standard error sqrt(2 / N) = 0.32 %;
- of a uniform U(-b, b): Var(w^2) = b^4/5 - b^4/9 = 4 b^4/45, relative SE sqrt(0.8 / N) = 0.2 %;
- sample mean: SE sigma / sqrt(N);
- sample kurtosis E[(w - mu)^4] / sigma^4: 3 for a normal, 1.8 for a uniform, with SE about
  sqrt(24 / N) = 0.011 for a normal (smaller for a uniform); they are 1.2 apart.
"""

import functools
import math

import numpy as np
import pytest

from nnlib import init
from nnlib.init import (calculate_gain, constant, fan_in_and_fan_out, get_initializer,
                        he_normal, he_uniform, kaiming_normal, kaiming_uniform, lecun_normal,
                        lecun_uniform, normal, uniform, xavier_normal, xavier_uniform, zeros)

SHAPE = (400, 500)          # fan_in 500, fan_out 400
N = SHAPE[0] * SHAPE[1]
FAN_IN, FAN_OUT = 500, 400


# --- fans and gains ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape,fans", [((4, 3), (3, 4)), ((1, 7), (7, 1)),
                                        ((16, 8, 3, 3), (72, 144)), ((5, 2, 7), (14, 35)),
                                        ([6, 2], (2, 6))])
def test_fan_in_and_fan_out(shape, fans):
    assert fan_in_and_fan_out(shape) == fans
    assert all(type(f) is int for f in fan_in_and_fan_out(shape))


@pytest.mark.parametrize("shape", [(5,), 5, ()])
def test_fans_need_two_dimensions(shape):
    with pytest.raises(ValueError, match=r"fan_in_and_fan_out: fan_in and fan_out need a weight "
                                         r"with at least 2 dimensions \(out, in, \.\.\.\), got "
                                         r"shape \(5?,?\)"):
        fan_in_and_fan_out(shape)


def test_calculate_gain_table():
    for name in ["linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                 "conv_transpose2d", "conv_transpose3d", "sigmoid"]:
        assert calculate_gain(name) == 1.0
    assert calculate_gain("tanh") == 5.0 / 3.0
    assert calculate_gain("relu") == math.sqrt(2.0)
    assert calculate_gain("selu") == 0.75
    assert calculate_gain("leaky_relu") == math.sqrt(2.0 / (1.0 + 0.01 ** 2))   # default slope
    assert calculate_gain("leaky_relu", 0) == math.sqrt(2.0)                    # slope 0 = ReLU
    assert calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2.0 / 1.04), rel=1e-15)
    assert calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert calculate_gain("tanh", 0.3) == 5.0 / 3.0                             # param ignored


def test_calculate_gain_bad_input():
    with pytest.raises(ValueError, match=r"calculate_gain: expected nonlinearity to be one of "
                                         r"\['linear', .*'selu'\], got 'gelu'"):
        calculate_gain("gelu")
    with pytest.raises(ValueError, match=r"calculate_gain: .*got 'ReLU'"):
        calculate_gain("ReLU")
    with pytest.raises(TypeError, match=r"calculate_gain: expected leaky_relu slope \(param\) "
                                        r"to be a real number, got str '0.1'"):
        calculate_gain("leaky_relu", "0.1")
    with pytest.raises(ValueError, match=r"calculate_gain: expected a finite leaky_relu slope "
                                         r"\(param\), got inf"):
        calculate_gain("leaky_relu", float("inf"))


# --- sampled distributions --------------------------------------------------------------------
def _moments(w):
    w = w.astype(np.float64)
    mu = w.mean()
    c = w - mu
    var = np.mean(c * c)
    kurt = np.mean(c ** 4) / var ** 2
    return mu, var, kurt


# (name, sampler, mean, variance, "normal" | "uniform")
G53 = 5.0 / 3.0
CASES = [
    ("normal", lambda r: normal(SHAPE, std=0.3, mean=1.0, rng=r), 1.0, 0.09, "normal"),
    ("normal-positional", lambda r: normal(SHAPE, 0.3, -2.0, r), -2.0, 0.09, "normal"),
    ("uniform", lambda r: uniform(SHAPE, -2.0, 1.0, rng=r), -0.5, 9 / 12, "uniform"),
    ("xavier_uniform", lambda r: xavier_uniform(SHAPE, rng=r), 0.0, 2 / 900, "uniform"),
    ("xavier_uniform-tanh", lambda r: xavier_uniform(SHAPE, gain=G53, rng=r), 0.0,
     G53 ** 2 * 2 / 900, "uniform"),
    ("xavier_normal", lambda r: xavier_normal(SHAPE, rng=r), 0.0, 2 / 900, "normal"),
    ("xavier_normal-gain2", lambda r: xavier_normal(SHAPE, 2.0, r), 0.0, 4 * 2 / 900, "normal"),
    ("kaiming_uniform", lambda r: kaiming_uniform(SHAPE, rng=r), 0.0, 2 / FAN_IN, "uniform"),
    ("kaiming_uniform-fan_out", lambda r: kaiming_uniform(SHAPE, mode="fan_out", rng=r), 0.0,
     2 / FAN_OUT, "uniform"),
    ("kaiming_uniform-leaky0.2", lambda r: kaiming_uniform(SHAPE, a=0.2, rng=r), 0.0,
     2 / 1.04 / FAN_IN, "uniform"),
    ("kaiming_uniform-tanh", lambda r: kaiming_uniform(SHAPE, nonlinearity="tanh", rng=r), 0.0,
     G53 ** 2 / FAN_IN, "uniform"),
    ("kaiming_uniform-gain", lambda r: kaiming_uniform(SHAPE, gain=3.0, rng=r), 0.0,
     9 / FAN_IN, "uniform"),
    ("kaiming_normal", lambda r: kaiming_normal(SHAPE, rng=r), 0.0, 2 / FAN_IN, "normal"),
    ("kaiming_normal-relu-fan_out", lambda r: kaiming_normal(SHAPE, mode="fan_out",
                                                             nonlinearity="relu", rng=r),
     0.0, 2 / FAN_OUT, "normal"),
    ("kaiming_normal-linear", lambda r: kaiming_normal(SHAPE, nonlinearity="linear", rng=r),
     0.0, 1 / FAN_IN, "normal"),
    ("lecun_normal", lambda r: lecun_normal(SHAPE, rng=r), 0.0, 1 / FAN_IN, "normal"),
    ("lecun_normal-gain", lambda r: lecun_normal(SHAPE, r, gain=2.0), 0.0, 4 / FAN_IN, "normal"),
    ("lecun_uniform", lambda r: lecun_uniform(SHAPE, rng=r), 0.0, 1 / FAN_IN, "uniform"),
    ("get-he", lambda r: get_initializer("he")(SHAPE, rng=r), 0.0, 2 / FAN_IN, "normal"),
    ("get-xavier", lambda r: get_initializer("xavier")(SHAPE, r), 0.0, 2 / 900, "uniform"),
    ("get-lecun", lambda r: get_initializer("lecun")(SHAPE, rng=r), 0.0, 1 / FAN_IN, "normal"),
    ("get-torch", lambda r: get_initializer("torch")(SHAPE, rng=r), 0.0, 1 / (3 * FAN_IN),
     "uniform"),
    ("get-callable", lambda r: get_initializer(functools.partial(normal, std=0.01))(SHAPE, r),
     0.0, 1e-4, "normal"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_sampled_mean_variance_and_shape_of_distribution(case):
    _, sample, mean, var, family = case
    w = sample(np.random.default_rng(12345))
    assert w.shape == SHAPE and w.dtype == np.float64
    mu, s2, kurt = _moments(w)
    sd = math.sqrt(var)
    assert abs(mu - mean) <= 5 * sd / math.sqrt(N)
    rel_se = math.sqrt(2 / N) if family == "normal" else math.sqrt(0.8 / N)
    assert abs(s2 / var - 1) <= 5 * rel_se
    expected_kurtosis = 3.0 if family == "normal" else 1.8
    assert abs(kurt - expected_kurtosis) <= 5 * math.sqrt(24 / N)


# (sampler, bound) for the uniform schemes
BOUNDS = [
    (lambda r, dt: uniform(SHAPE, -0.5, 2.0, rng=r, dtype=dt), (-0.5, 2.0)),
    (lambda r, dt: xavier_uniform(SHAPE, rng=r, dtype=dt), math.sqrt(6 / 900)),
    (lambda r, dt: xavier_uniform(SHAPE, gain=G53, rng=r, dtype=dt), G53 * math.sqrt(6 / 900)),
    (lambda r, dt: kaiming_uniform(SHAPE, rng=r, dtype=dt), math.sqrt(2) * math.sqrt(3 / 500)),
    (lambda r, dt: kaiming_uniform(SHAPE, mode="fan_out", rng=r, dtype=dt),
     math.sqrt(2) * math.sqrt(3 / 400)),
    (lambda r, dt: kaiming_uniform(SHAPE, a=math.sqrt(5), rng=r, dtype=dt), 1 / math.sqrt(500)),
    (lambda r, dt: lecun_uniform(SHAPE, rng=r, dtype=dt), math.sqrt(3 / 500)),
    (lambda r, dt: get_initializer("torch")(SHAPE, r, dt), 1 / math.sqrt(500)),
    (lambda r, dt: get_initializer("xavier")(SHAPE, r, dt), math.sqrt(6 / 900)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", range(len(BOUNDS)))
def test_uniform_bounds_are_never_exceeded_and_are_tight(k, dtype):
    sample, bound = BOUNDS[k]
    low, high = bound if isinstance(bound, tuple) else (-bound, bound)
    w = sample(np.random.default_rng(k), dtype)
    assert w.dtype == dtype
    # the bounds rounded to the dtype: rounding is monotone, so no sample may pass them
    assert w.min() >= dtype(low) and w.max() <= dtype(high)
    # and the bound is not smaller than it should be: 200,000 draws come within 0.01 % of it
    width = high - low
    assert w.min() - low < 1e-4 * width and high - w.max() < 1e-4 * width


def test_he_initializer_is_normal_with_relu_variance_not_torch_default():
    he = get_initializer("he")((300, 400), rng=0)
    torch_default = get_initializer("torch")((300, 400), rng=0)
    np.testing.assert_array_equal(he, kaiming_normal((300, 400), nonlinearity="relu", rng=0))
    np.testing.assert_array_equal(torch_default, kaiming_uniform((300, 400), a=math.sqrt(5),
                                                                 rng=0))
    assert np.abs(he).max() > 1 / math.sqrt(400)          # unbounded normal tails
    assert he.var() / torch_default.var() == pytest.approx(6.0, rel=0.05)
    np.testing.assert_array_equal(get_initializer("xavier")((3, 4), rng=5),
                                  xavier_uniform((3, 4), rng=5))
    np.testing.assert_array_equal(get_initializer("lecun")((3, 4), rng=5),
                                  lecun_normal((3, 4), rng=5))
    np.testing.assert_array_equal(get_initializer("zeros")((3, 4), rng=5), np.zeros((3, 4)))


# --- randomness -------------------------------------------------------------------------------
RANDOM = [
    lambda rng, **kw: normal((30, 20), rng=rng, **kw),
    lambda rng, **kw: uniform((30, 20), -1.0, 1.0, rng=rng, **kw),
    lambda rng, **kw: xavier_uniform((30, 20), rng=rng, **kw),
    lambda rng, **kw: xavier_normal((30, 20), rng=rng, **kw),
    lambda rng, **kw: kaiming_uniform((30, 20), rng=rng, **kw),
    lambda rng, **kw: kaiming_normal((30, 20), rng=rng, **kw),
    lambda rng, **kw: he_uniform((30, 20), rng=rng, **kw),
    lambda rng, **kw: he_normal((30, 20), rng=rng, **kw),
    lambda rng, **kw: lecun_normal((30, 20), rng=rng, **kw),
    lambda rng, **kw: lecun_uniform((30, 20), rng=rng, **kw),
    lambda rng, **kw: get_initializer("he")((30, 20), rng=rng, **kw),
    lambda rng, **kw: get_initializer("torch")((30, 20), rng=rng, **kw),
]


@pytest.mark.parametrize("k", range(len(RANDOM)))
def test_same_seed_same_array_different_seed_different_array(k):
    f = RANDOM[k]
    a, b = f(7), f(7)
    np.testing.assert_array_equal(a, b)
    assert a.tobytes() == b.tobytes()                             # bit-identical
    np.testing.assert_array_equal(f(np.random.default_rng(7)), a)  # a Generator works too
    assert not np.array_equal(f(8), a)
    gen = np.random.default_rng(7)
    first, second = f(gen), f(gen)                                # the generator advances
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("k", range(len(RANDOM)))
def test_float32_is_the_float64_draw_rounded(k):
    f = RANDOM[k]
    w32 = f(3, dtype=np.float32)
    assert w32.dtype == np.float32
    np.testing.assert_array_equal(w32, f(3).astype(np.float32))


def test_numpy_global_random_state_is_untouched():
    before = np.random.get_state()
    for f in RANDOM:
        f(0)
        f(None)                       # fresh OS entropy, still not the global generator
    after = np.random.get_state()
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]


def test_rng_none_gives_fresh_randomness():
    assert not np.array_equal(normal((10, 10)), normal((10, 10)))


# --- constants, aliases, shapes ---------------------------------------------------------------
def test_zeros_and_constant():
    np.testing.assert_array_equal(zeros((2, 3)), np.zeros((2, 3)))
    assert zeros(4, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(constant((2, 2), 0.01), np.full((2, 2), 0.01))
    c = constant(3, 2, dtype=np.float32)
    assert c.dtype == np.float32 and c.tolist() == [2.0, 2.0, 2.0]


def test_aliases():
    assert he_uniform is kaiming_uniform and he_normal is kaiming_normal
    assert set(init.INITIALIZERS) == {"he", "xavier", "lecun", "torch", "zeros"}


def test_shapes_as_int_list_and_empty():
    assert normal(5, rng=0).shape == (5,)
    assert uniform([2, 3], rng=0).shape == (2, 3)
    assert xavier_uniform(np.array([3, 4]), rng=0).shape == (3, 4)
    for f in (xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, lecun_normal,
              lecun_uniform):
        assert f((0, 3), rng=0).shape == (0, 3)
        assert f((3, 0), rng=0).shape == (3, 0)
    assert kaiming_uniform((0, 3), mode="fan_out", rng=0).shape == (0, 3)


def test_callable_initializer_is_called_with_keywords_and_checked():
    seen = {}

    def my_init(shape, rng=None, dtype=np.float64):
        seen.update(shape=shape, rng=rng, dtype=dtype)
        return np.ones(shape)                           # float64 whatever was asked

    f = get_initializer(my_init)
    w = f((2, 5), rng=3, dtype=np.float32)
    assert seen == {"shape": (2, 5), "rng": 3, "dtype": np.dtype(np.float32)}
    assert w.dtype == np.float32 and w.shape == (2, 5)
    np.testing.assert_array_equal(get_initializer(xavier_normal)((4, 3), rng=1),
                                  xavier_normal((4, 3), rng=1))


# --- bad input --------------------------------------------------------------------------------
def test_bad_shapes():
    with pytest.raises(ValueError, match=r"normal: expected shape with sizes >= 0, got \(3, -1\)"):
        normal((3, -1))
    with pytest.raises(TypeError, match=r"zeros: expected shape to be a tuple of ints, got "
                                        r"\(2\.0, 3\)"):
        zeros((2.0, 3))
    with pytest.raises(TypeError, match=r"uniform: expected shape to be an int or a tuple of "
                                        r"ints, got float 2\.5"):
        uniform(2.5)
    with pytest.raises(ValueError, match=r"xavier_uniform: fan_in and fan_out need a weight with "
                                         r"at least 2 dimensions .*got shape \(7,\)\. A bias"):
        xavier_uniform((7,))
    with pytest.raises(ValueError, match=r"kaiming_normal: fan_in and fan_out .*\(7,\)"):
        kaiming_normal(7)
    with pytest.raises(ValueError, match=r"lecun_normal: fan_in and fan_out .*\(\)"):
        lecun_normal(())


def test_bad_dtype():
    with pytest.raises(TypeError, match=r"normal: expected dtype to be a floating type such as "
                                        r"np\.float64 or np\.float32, got int64"):
        normal((2, 2), dtype=np.int64)
    with pytest.raises(TypeError, match=r"xavier_uniform: expected dtype to be a floating "
                                        r"type.*got 'banana'"):
        xavier_uniform((2, 2), dtype="banana")


def test_bad_scales():
    with pytest.raises(ValueError, match=r"normal: expected std >= 0, got -0\.1"):
        normal((2, 2), std=-0.1)
    with pytest.raises(ValueError, match=r"uniform: expected a <= b, got a=1\.0 and b=0\.0"):
        uniform((2, 2), 1.0, 0.0)
    with pytest.raises(ValueError, match=r"xavier_normal: expected gain >= 0, got -1\.0"):
        xavier_normal((2, 2), gain=-1.0)
    with pytest.raises(ValueError, match=r"lecun_uniform: expected gain >= 0, got -2\.0"):
        lecun_uniform((2, 2), gain=-2.0)
    with pytest.raises(ValueError, match=r"constant: expected a finite value, got nan"):
        constant((2, 2), float("nan"))
    with pytest.raises(TypeError, match=r"normal: expected mean to be a real number, got str"):
        normal((2, 2), mean="0")


def test_bad_kaiming_options():
    with pytest.raises(ValueError, match=r"kaiming_uniform: expected mode to be one of "
                                         r"\['fan_in', 'fan_out'\], got 'fan_avg'"):
        kaiming_uniform((3, 4), mode="fan_avg")
    with pytest.raises(ValueError, match=r"calculate_gain: expected nonlinearity .*got 'swish'"):
        kaiming_normal((3, 4), nonlinearity="swish")
    with pytest.raises(ValueError, match=r"kaiming_normal: give either gain or \(nonlinearity, "
                                         r"a\), not both; got gain=2\.0, nonlinearity='tanh'"):
        kaiming_normal((3, 4), nonlinearity="tanh", gain=2.0)
    with pytest.raises(ValueError, match=r"kaiming_uniform: expected gain >= 0, got -1\.0"):
        kaiming_uniform((3, 4), gain=-1.0)


def test_bad_rng():
    with pytest.raises(TypeError, match=r"xavier_uniform: expected rng to be a "
                                        r"numpy\.random\.Generator, an int seed or None, got "
                                        r"float 0\.5"):
        xavier_uniform((3, 4), rng=0.5)
    with pytest.raises(ValueError, match=r"normal: expected a non-negative integer seed, got -1"):
        normal((3, 4), rng=-1)


def test_get_initializer_bad_input():
    with pytest.raises(ValueError, match=r"get_initializer: expected init to be one of \['he', "
                                         r"'xavier', 'lecun', 'torch', 'zeros'\], got "
                                         r"'kaiming'\. Or pass a callable"):
        get_initializer("kaiming")
    with pytest.raises(TypeError, match=r"get_initializer: expected the name of a scheme or a "
                                        r"callable .*got float 0\.01"):
        get_initializer(0.01)

    def wrong_shape(shape, rng=None, dtype=np.float64):
        return np.zeros(shape[::-1])

    with pytest.raises(ValueError, match=r"init wrong_shape: expected the callable to return an "
                                         r"array of the requested shape \(2, 5\), got shape "
                                         r"\(5, 2\)"):
        get_initializer(wrong_shape)((2, 5), rng=0)

    def not_numbers(shape, rng=None, dtype=np.float64):
        return np.full(shape, "x")

    with pytest.raises(TypeError, match=r"init not_numbers: expected a numeric"):
        get_initializer(not_numbers)((2, 5))
