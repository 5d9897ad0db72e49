"""nnlib.functional: values, derivatives against central differences, and stability."""

import math
import warnings

import numpy as np
import pytest

from nnlib import functional as F
from nnlib.gradcheck import numerical_grad, rel_error

X = np.linspace(-6, 6, 41) + 0.013  # avoid the kink of ReLU-like functions at exactly 0

PAIRS = [
    ("sigmoid", F.sigmoid, F.sigmoid_grad),
    ("tanh", F.tanh, F.tanh_grad),
    ("relu", F.relu, F.relu_grad),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), lambda x: F.leaky_relu_grad(x, 0.1)),
    ("elu", lambda x: F.elu(x, 1.3), lambda x: F.elu_grad(x, 1.3)),
    ("selu", F.selu, F.selu_grad),
    ("gelu", F.gelu, F.gelu_grad),
    ("gelu_tanh", lambda x: F.gelu(x, "tanh"), lambda x: F.gelu_grad(x, "tanh")),
    ("silu", F.silu, F.silu_grad),
    ("softplus", F.softplus, F.softplus_grad),
]


@pytest.mark.parametrize("name,f,df", PAIRS, ids=[p[0] for p in PAIRS])
def test_derivative_matches_central_difference(name, f, df):
    x = X.copy()
    numeric = np.array([numerical_grad(lambda v: float(f(v)[0]), x[i:i + 1].copy())[0]
                        for i in range(x.size)])
    assert rel_error(df(X), numeric) < 1e-8


def test_closed_form_values():
    assert F.sigmoid(0.0) == 0.5
    assert float(F.sigmoid_grad(0.0)) == 0.25
    assert np.max(F.sigmoid_grad(np.linspace(-10, 10, 2001))) == pytest.approx(0.25)
    np.testing.assert_allclose(F.tanh(X), 2 * F.sigmoid(2 * X) - 1, atol=1e-15)
    # swish'(x) = swish(x) + sigma(x)(1 - swish(x))
    s = F.silu(X)
    np.testing.assert_allclose(F.silu_grad(X), s + F.sigmoid(X) * (1 - s), rtol=1e-12)
    # GELU exact at 1: Phi(1) = 0.8413447460685429
    assert float(F.gelu(1.0)) == pytest.approx(0.8413447460685429, rel=1e-14)
    assert F.SELU_ALPHA == pytest.approx(1.6732632423543772)
    assert F.SELU_SCALE == pytest.approx(1.0507009873554805)


def test_ranges_and_minima():
    x = np.linspace(-5, 5, 200001)
    assert F.gelu(x).min() == pytest.approx(-0.17, abs=0.001)
    assert F.silu(x).min() == pytest.approx(-0.278, abs=0.001)
    assert F.elu(-1e4, 2.0) == pytest.approx(-2.0)
    assert np.all(F.elu(x, 2.0) > -2.0)


def test_softmax_rows_sum_to_one_and_shift_invariance():
    z = np.random.default_rng(0).normal(size=(5, 4))
    p = F.softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(F.softmax(z + 100.0), p, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(z.T, axis=0), p.T, rtol=1e-12)
    np.testing.assert_allclose(np.exp(F.log_softmax(z)), p, rtol=1e-12)
    np.testing.assert_allclose(F.logsumexp(z), np.log(np.exp(z).sum(axis=1)), rtol=1e-12)
    assert F.logsumexp(z, keepdims=True).shape == (5, 1)


def test_softmax_jvp_vjp_against_the_jacobian():
    rng = np.random.default_rng(1)
    x, v = rng.normal(size=4), rng.normal(size=4)
    p = F.softmax(x)
    J = np.diag(p) - np.outer(p, p)
    np.testing.assert_allclose(F.softmax_jvp(x, v), J @ v, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(F.softmax_vjp(x, v), J.T @ v, rtol=1e-12, atol=1e-15)
    Jl = np.eye(4) - p[None, :]  # d log p_i / d x_j = 1[i = j] - p_j
    np.testing.assert_allclose(F.log_softmax_vjp(x, v), Jl.T @ v, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(F.logsumexp_grad(x), p)


EXTREME = np.array([-1e4, -800.0, -50.0, -1.0, 0.0, 1.0, 50.0, 800.0, 1e4])
ALL_FUNCTIONS = [f for _, f, _ in PAIRS] + [g for _, _, g in PAIRS] + [
    F.softmax, F.log_softmax, F.logsumexp, F.logsumexp_grad,
    lambda x: F.softmax_vjp(x, np.ones_like(x)), lambda x: F.log_softmax_vjp(x, np.ones_like(x)),
    lambda x: F.softmax_jvp(x, np.ones_like(x))]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("f", ALL_FUNCTIONS)
def test_finite_without_warnings_up_to_1e4(f):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = f(EXTREME.copy())
    assert np.all(np.isfinite(out))


@pytest.mark.filterwarnings("error")
def test_stable_values_at_extremes():
    assert F.sigmoid(-800.0) == pytest.approx(math.exp(-800.0), rel=1e-12, abs=0)
    assert F.sigmoid(-50.0) == pytest.approx(1.9287498479639178e-22, rel=1e-12)
    assert F.softplus(1e4) == 1e4
    assert F.log_softmax(np.array([0.0, -1e4]))[1] == -1e4
    assert F.logsumexp(np.array([1e4, 1e4])) == pytest.approx(1e4 + math.log(2))


def test_float32_stays_float32():
    x = np.linspace(-3, 3, 7, dtype=np.float32)
    for f in [F.sigmoid, F.tanh, F.relu, F.silu, F.softmax, F.log_softmax, F.elu, F.selu,
              F.sigmoid_grad, F.tanh_grad, F.relu_grad, F.elu_grad, F.gelu]:
        assert f(x).dtype == np.float32, f


@pytest.mark.parametrize("call,match", [
    (lambda: F.sigmoid("abc"), "sigmoid: expected a numeric"),
    (lambda: F.relu(np.array(["a", "b"])), "relu: expected a numeric"),
    (lambda: F.gelu(np.ones(3), approximate="erf"), "gelu: expected approximate"),
    (lambda: F.leaky_relu(np.ones(3), negative_slope="x"), "leaky_relu: expected negative_slope"),
    (lambda: F.elu(np.ones(3), alpha=-1.0), "elu: expected alpha >= 0"),
    (lambda: F.softmax_vjp(np.ones(3), np.ones(4)), r"softmax_vjp: .*\(3,\), got \(4,\)"),
    (lambda: F.softmax([[1, 2], [3]]), "softmax: expected a numeric array"),
])
def test_bad_input_raises_a_sentence(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
