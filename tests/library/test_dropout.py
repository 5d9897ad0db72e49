"""Tests for nnlib.dropout.Dropout (inverted dropout, p = drop probability, as in PyTorch)."""

import re
import warnings

import numpy as np
import pytest

from nnlib.core import Sequential
from nnlib.dropout import Dropout
from nnlib.gradcheck import check_module
from nnlib.normalization import BatchNorm1d


def fixed_mask(layer, seed=0):
    """A ``reseed`` callback for check_module: the same generator state before every forward
    pass, so every pass draws the same mask and the layer is a fixed linear map."""
    return lambda: setattr(layer, "rng", seed)


# ---------------------------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (6, 5), (2, 3, 4), (7,)])
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_gradcheck_with_a_fixed_mask(shape, p, mode):
    layer = Dropout(p).train(mode == "train")
    x = np.random.default_rng(1).normal(size=shape)
    assert check_module(layer, x, rng=7, reseed=fixed_mask(layer)) <= 1e-7


def test_gradcheck_needs_the_fixed_mask():
    # without re-seeding, every forward pass draws a new mask and the check must fail:
    # this is why check_module's reseed exists
    layer = Dropout(0.5, rng=0)
    x = np.random.default_rng(1).normal(size=(6, 5))
    assert check_module(layer, x, rng=7) > 1e-2


def test_backward_uses_the_forward_mask():
    p = 0.3
    layer = Dropout(p, rng=3)
    x = np.random.default_rng(0).normal(size=(50, 20))
    y = layer(x)
    g = np.random.default_rng(1).normal(size=x.shape)
    dx = layer.backward(g)
    keep = layer.mask
    np.testing.assert_allclose(y, np.where(keep, x / (1 - p), 0.0), rtol=1e-15)
    np.testing.assert_allclose(dx, np.where(keep, g / (1 - p), 0.0), rtol=1e-15)
    # backward twice gives the same answer: no new mask is drawn
    np.testing.assert_array_equal(layer.backward(g), dx)


# ---------------------------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_expected_output_equals_input(p):
    # Each output entry is x_j r / (1 - p) with r ~ Bernoulli(1 - p): mean x_j, variance
    # x_j^2 p / (1 - p). Averaging T independent rows, the standard error of column j is
    # |x_j| sqrt(p / ((1 - p) T)). A 6-standard-error band fails by chance with probability
    # about 2e-9 per column, 2e-6 over the 1000 columns; the seed is fixed anyway, so the
    # test is deterministic, and a wrong scale (e.g. 1 / p, or none) misses by far more.
    T, d = 2000, 1000
    x = np.random.default_rng(0).normal(size=d)
    y = Dropout(p, rng=1)(np.tile(x, (T, 1)))
    stderr = np.abs(x) * np.sqrt(p / ((1 - p) * T))
    assert np.all(np.abs(y.mean(axis=0) - x) <= 6 * stderr)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_fraction_zeroed_is_p(p):
    # the number of zeros among n entries is Binomial(n, p): standard error sqrt(p (1 - p) / n)
    # of the fraction; 6 standard errors fail by chance with probability about 2e-9
    n = 200_000
    layer = Dropout(p, rng=2)
    y = layer(np.ones(n))
    frac = np.mean(y == 0)
    assert abs(frac - p) <= 6 * np.sqrt(p * (1 - p) / n)
    assert frac == pytest.approx(1 - layer.mask.mean())
    np.testing.assert_allclose(y[y != 0], 1 / (1 - p))  # survivors are scaled by 1 / (1 - p)


def test_monte_carlo_passes_differ_and_average_to_the_input():
    layer = Dropout(0.5, rng=0)
    x = np.full((1, 200), 3.0)
    passes = np.stack([layer(x) for _ in range(400)])
    assert not np.array_equal(passes[0], passes[1])  # a new mask every forward pass
    # mean over 400 x 200 = 80,000 entries; standard error 3 sqrt(1 / 80,000) ~ 0.011
    assert abs(passes.mean() - 3.0) < 6 * 3.0 * np.sqrt(1 / 80_000)


# ---------------------------------------------------------------------------------------------
# modes, identity cases, reproducibility
# ---------------------------------------------------------------------------------------------
def test_identity_in_eval_mode():
    layer = Dropout(0.5, rng=0)
    assert layer.eval() is layer and layer.training is False
    x = np.random.default_rng(0).normal(size=(4, 3))
    y = layer(x)
    assert y is x  # returned unchanged, not copied
    assert layer.mask is None
    g = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(layer.backward(g), g)
    assert layer.train() is layer and layer.training is True
    assert not np.array_equal(layer(x), x)


def test_p_zero_is_the_identity_in_training():
    layer = Dropout(0.0, rng=0)
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_p_one_drops_everything():
    layer = Dropout(1.0, rng=0)
    x = np.random.default_rng(0).normal(size=(4, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero for the scale 1 / (1 - p)
        y = layer(x)
        dx = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(y, 0.0)
    np.testing.assert_array_equal(dx, 0.0)
    np.testing.assert_array_equal(layer.eval()(x), x)  # still the identity in eval mode


def test_same_seed_same_masks_different_seed_different_masks():
    x = np.ones((8, 16))
    a, b, c = Dropout(0.5, rng=5), Dropout(0.5, rng=5), Dropout(0.5, rng=6)
    for _ in range(3):
        np.testing.assert_array_equal(a(x), b(x))
    assert not np.array_equal(a(x), c(x))
    # re-seeding replays the sequence
    a.rng = 5
    first = a(x)
    b.rng = np.random.default_rng(5)
    np.testing.assert_array_equal(b(x), first)


def test_a_shared_generator_advances():
    gen = np.random.default_rng(0)
    layer = Dropout(0.5, rng=gen)
    assert layer.rng is gen
    before = gen.bit_generator.state
    layer(np.ones((3, 3)))
    assert gen.bit_generator.state != before


def test_numpy_global_random_state_untouched():
    state = np.random.get_state()
    layer = Dropout(0.5)  # rng=None: seeded from the operating system, not from np.random
    layer(np.ones((10, 10)))
    layer.backward(np.ones((10, 10)))
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_mode_switch_propagates_through_sequential():
    net = Sequential(BatchNorm1d(3), Dropout(0.5, rng=0))
    assert net.eval() is net and net[1].training is False
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(net(x), net[0](x))
    assert net.train() is net and net[1].training is True


def test_no_parameters_or_state():
    layer = Dropout(0.25)
    assert layer.parameters() == [] and dict(layer.state_dict()) == {}
    assert repr(layer) == "Dropout(p=0.25)"


# ---------------------------------------------------------------------------------------------
# dtypes and stability
# ---------------------------------------------------------------------------------------------
def test_float32_stays_float32_and_integers_become_float64():
    layer = Dropout(0.5, rng=0)
    x32 = np.ones((5, 4), dtype=np.float32)
    assert layer(x32).dtype == np.float32
    assert layer.backward(np.ones((5, 4))).dtype == np.float32
    assert layer(np.ones((5, 4), dtype=np.int64)).dtype == np.float64
    assert layer.eval()(x32).dtype == np.float32


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("p", [0.0, 0.5, 0.99])
def test_stable_for_large_inputs(p):
    x = np.random.default_rng(0).uniform(-1e4, 1e4, size=(32, 16))
    layer = Dropout(p, rng=0)
    y = layer(x)
    dx = layer.backward(np.full_like(x, 1e4))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert np.abs(y).max() <= 1e4 / (1 - p)


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, match", [
    ({"p": 1.5}, ValueError, re.escape("Dropout: expected p, the drop probability, in [0, 1], "
                                       "got 1.5.")),
    ({"p": -0.1}, ValueError, re.escape("Dropout: expected p, the drop probability, in [0, 1], "
                                        "got -0.1.")),
    ({"p": float("nan")}, ValueError, r"Dropout: expected a finite p, got nan"),
    ({"p": "0.5"}, TypeError, r"Dropout: expected p to be a real number, got str '0\.5'"),
    ({"p": True}, TypeError, r"Dropout: expected p to be a real number, got bool True"),
    ({"rng": "seed"}, TypeError, r"Dropout\(p=0\.5\)\.rng: expected rng to be a "
                                 r"numpy\.random\.Generator.*got str 'seed'"),
    ({"rng": -1}, ValueError, r"Dropout\(p=0\.5\)\.rng: expected a non-negative integer seed, "
                              r"got -1"),
])
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        Dropout(**kwargs)


def test_changing_p_updates_the_scale_and_is_validated():
    layer = Dropout(0.5, rng=0)
    layer.p = 0.75
    y = layer(np.ones(1000))
    np.testing.assert_allclose(y[y != 0], 4.0)  # 1 / (1 - 0.75)
    assert repr(layer) == "Dropout(p=0.75)"
    with pytest.raises(ValueError, match=r"Dropout: expected p, the drop probability, in "
                                         r"\[0, 1\], got 2\.0\."):
        layer.p = 2
    assert layer.p == 0.75


def test_bad_rng_assignment():
    layer = Dropout(0.2)
    with pytest.raises(TypeError, match=r"Dropout\(p=0\.2\)\.rng: .*got float 1\.5"):
        layer.rng = 1.5


def test_backward_before_forward():
    with pytest.raises(ValueError, match=re.escape("Dropout(p=0.5): backward() was called "
                                                   "before forward()")):
        Dropout(0.5).backward(np.ones(3))


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_grad_out_shape_is_checked(mode):
    layer = Dropout(0.5, rng=0).train(mode == "train")
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=re.escape("Dropout(p=0.5).backward: expected grad_out "
                                                   "of the output's shape (4, 3), got (3, 4).")):
        layer.backward(np.ones((3, 4)))


def test_non_numeric_input():
    with pytest.raises(TypeError, match=r"Dropout\(p=0\.5\): expected a numeric .*dtype <U1"):
        Dropout(0.5)(["a", "b"])
