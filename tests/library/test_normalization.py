"""Tests for nnlib.normalization: BatchNorm1d, LayerNorm, RMSNorm, GroupNorm, InstanceNorm1d.

PyTorch is not installed, so its semantics are pinned with values computed by hand (written
out below) or with independent loop-based reference implementations.
"""

import re
import warnings

import numpy as np
import pytest

from nnlib.core import Sequential
from nnlib.gradcheck import check_module
from nnlib.normalization import BatchNorm1d, GroupNorm, InstanceNorm1d, LayerNorm, RMSNorm

TOL = 1e-7  # gradient checks: relative error of a correct float64 backward pass
# The upstream gradient of check_module is drawn from its own seed; offset it from the seed of
# the input, or for a seed s both are the same array, and sum(x * LayerNorm(x)) has a gradient
# that is almost zero (x lies in the span of x_hat and the constant vector): nothing to check.
G_SEED = 1000


def randomize_affine(module, rng):
    """Give weight / bias values away from 1 / 0 so every gradient term is exercised."""
    for p in module.parameters():
        p.data[...] = rng.normal(size=p.shape)


# ---------------------------------------------------------------------------------------------
# gradient checks
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (7, 5), (3, 2, 4)])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_batchnorm_gradcheck(shape, seed, affine, mode):
    rng = np.random.default_rng(seed)
    bn = BatchNorm1d(shape[1], affine=affine)
    randomize_affine(bn, rng)
    for _ in range(3):  # non-trivial running statistics for eval mode
        bn(rng.normal(1.0, 2.0, size=shape))
    bn.train(mode == "train")
    x = rng.normal(0.5, 1.5, size=shape)
    assert check_module(bn, x, rng=G_SEED + seed) <= TOL


def test_batchnorm_gradcheck_without_running_stats_in_eval_mode():
    # track_running_stats=False: batch statistics in eval mode too, so the full formula applies
    rng = np.random.default_rng(3)
    bn = BatchNorm1d(3, track_running_stats=False).eval()
    randomize_affine(bn, rng)
    assert check_module(bn, rng.normal(size=(6, 3))) <= TOL


@pytest.mark.parametrize("normalized_shape, shape", [(4, (5, 4)), ((4,), (2, 3, 4)),
                                                     ((2, 3), (4, 2, 3)), (3, (3,))])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("affine", [True, False])
def test_layernorm_gradcheck(normalized_shape, shape, seed, affine):
    rng = np.random.default_rng(seed)
    ln = LayerNorm(normalized_shape, elementwise_affine=affine)
    randomize_affine(ln, rng)
    assert check_module(ln, rng.normal(size=shape), rng=G_SEED + seed) <= TOL
    assert check_module(ln.eval(), rng.normal(size=shape), rng=G_SEED + seed) <= TOL


def test_layernorm_without_bias_gradcheck():
    rng = np.random.default_rng(2)
    ln = LayerNorm(5, bias=False)
    randomize_affine(ln, rng)
    assert [name for name, _ in ln.named_parameters()] == ["weight"]
    assert check_module(ln, rng.normal(size=(3, 5))) <= TOL


@pytest.mark.parametrize("normalized_shape, shape", [(4, (5, 4)), ((2, 3), (4, 2, 3))])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("affine", [True, False])
def test_rmsnorm_gradcheck(normalized_shape, shape, seed, affine):
    rng = np.random.default_rng(seed)
    rms = RMSNorm(normalized_shape, elementwise_affine=affine)
    randomize_affine(rms, rng)
    assert check_module(rms, rng.normal(size=shape), rng=G_SEED + seed) <= TOL


@pytest.mark.parametrize("groups, shape", [(2, (4, 6)), (3, (3, 6, 5)), (1, (2, 4, 3)),
                                           (4, (2, 4, 3)), (2, (2, 4, 2, 3))])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("affine", [True, False])
def test_groupnorm_gradcheck(groups, shape, seed, affine):
    rng = np.random.default_rng(seed)
    gn = GroupNorm(groups, shape[1], affine=affine)
    randomize_affine(gn, rng)
    assert check_module(gn, rng.normal(size=shape), rng=G_SEED + seed) <= TOL


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("affine", [True, False])
def test_instancenorm_gradcheck(seed, affine):
    rng = np.random.default_rng(seed)
    inorm = InstanceNorm1d(3, affine=affine)
    randomize_affine(inorm, rng)
    assert check_module(inorm, rng.normal(size=(2, 3, 5)), rng=G_SEED + seed) <= TOL


def test_gradcheck_detects_a_wrong_backward():
    # the check above must be able to fail: drop the mean-removal term of BatchNorm's backward
    class Broken(BatchNorm1d):
        def _backward_2d(self, delta):
            return delta * self.weight.data * self._inv_std

    bn = Broken(3)
    assert check_module(bn, np.random.default_rng(0).normal(size=(5, 3))) > 1e-3


def test_parameter_gradients_accumulate():
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    for layer in (BatchNorm1d(3), LayerNorm(3), RMSNorm(3), GroupNorm(3, 3)):
        layer(x)
        layer.backward(g)
        once = [p.grad.copy() for p in layer.parameters()]
        layer.backward(g)
        for p, first in zip(layer.parameters(), once, strict=True):
            np.testing.assert_allclose(p.grad, 2 * first)
        layer.zero_grad()
        assert all(not p.grad.any() for p in layer.parameters())


# ---------------------------------------------------------------------------------------------
# BatchNorm1d semantics, by hand
# ---------------------------------------------------------------------------------------------
EPS = 1e-5
X_A = np.array([[1.0, 0.0],
                [2.0, 0.0],
                [3.0, 6.0]])
# column 0: mean 2, deviations (-1, 0, 1), biased var 2/3, unbiased var 1
# column 1: mean 2, deviations (-2, -2, 4), biased var 24/3 = 8, unbiased var 24/2 = 12
X_B = np.array([[0.0, 0.0],
                [4.0, 0.0],
                [8.0, 12.0]])
# column 0: mean 4, deviations (-4, 0, 4), unbiased var 32/2 = 16
# column 1: mean 4, deviations (-4, -4, 8), unbiased var 96/2 = 48


def test_batchnorm_forward_on_a_3x2_batch_by_hand():
    bn = BatchNorm1d(2)
    bn.weight.data[:] = [2.0, 0.5]
    bn.bias.data[:] = [1.0, -1.0]
    y = bn(X_A)
    expected = np.empty((3, 2))
    expected[:, 0] = 2.0 * np.array([-1.0, 0.0, 1.0]) / np.sqrt(2 / 3 + EPS) + 1.0
    expected[:, 1] = 0.5 * np.array([-2.0, -2.0, 4.0]) / np.sqrt(8.0 + EPS) - 1.0
    np.testing.assert_allclose(y, expected, rtol=1e-12)


def test_batchnorm_normalises_with_the_biased_variance():
    y = BatchNorm1d(2)(X_A)
    # biased variance of the output is 1 (up to eps); the unbiased one would be 3/2
    np.testing.assert_allclose(y.var(axis=0), 1.0, rtol=1e-4)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-12)


def test_batchnorm_running_stats_after_two_steps():
    bn = BatchNorm1d(2, momentum=0.1)
    bn(X_A)
    np.testing.assert_allclose(bn.running_mean, [0.2, 0.2])              # 0.9 * 0 + 0.1 * 2
    np.testing.assert_allclose(bn.running_var, [1.0, 2.1])               # 0.9 * 1 + 0.1 * (1, 12)
    bn(X_B)
    np.testing.assert_allclose(bn.running_mean, [0.58, 0.58])            # 0.9 * 0.2 + 0.1 * 4
    np.testing.assert_allclose(bn.running_var, [2.5, 6.69])  # 0.9 * (1, 2.1) + 0.1 * (16, 48)
    assert bn.num_batches_tracked == 2


def test_batchnorm_running_var_is_unbiased():
    x = np.random.default_rng(0).normal(size=(5, 3))
    bn = BatchNorm1d(3, momentum=1.0)  # running = the last batch's statistics
    bn(x)
    np.testing.assert_allclose(bn.running_mean, x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, x.var(axis=0, ddof=1))
    assert not np.allclose(bn.running_var, x.var(axis=0, ddof=0))


def test_batchnorm_momentum_none_is_a_cumulative_average():
    bn = BatchNorm1d(2, momentum=None)
    bn(X_A)
    np.testing.assert_allclose(bn.running_var, [1.0, 12.0])
    bn(X_B)
    np.testing.assert_allclose(bn.running_mean, [3.0, 3.0])      # (2 + 4) / 2
    np.testing.assert_allclose(bn.running_var, [8.5, 30.0])      # ((1, 12) + (16, 48)) / 2


def test_batchnorm_eval_uses_running_stats():
    bn = BatchNorm1d(2)
    bn.weight.data[:] = [2.0, 0.5]
    bn.bias.data[:] = [1.0, -1.0]
    bn.running_mean[:] = [1.0, -2.0]
    bn.running_var[:] = [4.0, 0.25]
    assert bn.eval() is bn and bn.training is False
    y = bn(X_A)
    expected = (X_A - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + EPS) * [2.0, 0.5] \
        + [1.0, -1.0]
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    # eval-mode backward is the affine map gamma / s
    g = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(bn.backward(g), g * [2.0, 0.5] / np.sqrt([4.0 + EPS, 0.25 + EPS]))
    x_hat = (X_A - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + EPS)
    np.testing.assert_allclose(bn.weight.grad, (g * x_hat).sum(axis=0))
    np.testing.assert_allclose(bn.bias.grad, g.sum(axis=0))
    # each example is normalised on its own: one row at a time gives the same answer
    np.testing.assert_allclose(np.vstack([bn(row[None]) for row in X_A]), y, rtol=1e-12)
    # evaluation does not touch the running statistics
    np.testing.assert_array_equal(bn.running_mean, [1.0, -2.0])
    assert bn.num_batches_tracked == 0
    assert bn.train() is bn and bn.training is True


def test_batchnorm_train_and_eval_differ_and_batch_stats_depend_on_batch():
    bn = BatchNorm1d(2)
    y_train = bn(X_A)
    assert not np.allclose(bn.eval()(X_A), y_train)
    bn.train()
    # in training mode the output for row 0 changes when the other rows change
    other = X_A.copy()
    other[1:] += 5.0
    assert not np.allclose(bn(other)[0], y_train[0])


def test_batchnorm_single_example_works_in_eval_mode():
    bn = BatchNorm1d(2).eval()
    np.testing.assert_allclose(bn(np.array([[1.0, 2.0]])), [[1.0, 2.0]] / np.sqrt(1 + EPS))


def test_batchnorm_without_running_stats():
    bn = BatchNorm1d(2, track_running_stats=False)
    assert bn.running_mean is None and bn.running_var is None
    assert list(bn.state_dict()) == ["weight", "bias"]
    np.testing.assert_allclose(bn.eval()(X_A), BatchNorm1d(2)(X_A))  # batch stats in eval too


def test_batchnorm_without_affine():
    bn = BatchNorm1d(2, affine=False)
    assert bn.parameters() == [] and bn.weight is None
    y = bn(X_A)
    np.testing.assert_allclose(y[:, 0], np.array([-1.0, 0.0, 1.0]) / np.sqrt(2 / 3 + EPS))
    y[:] = 0.0  # editing the output must not corrupt the cache
    g = np.random.default_rng(0).normal(size=(3, 2))
    assert check_module(bn, X_A) <= TOL
    assert np.isfinite(bn.backward(g)).all()


def test_batchnorm_3d_input_uses_batch_and_length():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(4, 3, 5))
    bn = BatchNorm1d(3)
    y = bn(x)
    mean = x.mean(axis=(0, 2), keepdims=True)
    var = x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + EPS), atol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=(0, 2), ddof=1))
    assert y.shape == x.shape and y.flags["C_CONTIGUOUS"]


def test_batchnorm_state_dict_round_trip_with_buffers():
    rng = np.random.default_rng(0)
    bn = BatchNorm1d(3)
    randomize_affine(bn, rng)
    for _ in range(4):
        bn(rng.normal(size=(8, 3)))
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var",
                           "num_batches_tracked"]
    assert int(state["num_batches_tracked"]) == 4
    fresh = BatchNorm1d(3)
    fresh.load_state_dict(state)
    x = rng.normal(size=(5, 3))
    np.testing.assert_array_equal(fresh.eval()(x), bn.eval()(x))
    assert fresh.num_batches_tracked == 4 and isinstance(fresh.num_batches_tracked, int)
    # the state dict is a copy: changing the module afterwards does not change it
    bn.running_mean += 1.0
    assert not np.array_equal(state["running_mean"], bn.running_mean)


def test_batchnorm_state_dict_inside_sequential():
    net = Sequential(BatchNorm1d(2), LayerNorm(2))
    assert sorted(net.state_dict()) == ["0.bias", "0.num_batches_tracked", "0.running_mean",
                                        "0.running_var", "0.weight", "1.bias", "1.weight"]
    net(X_A)
    other = Sequential(BatchNorm1d(2), LayerNorm(2))
    other.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(other[0].running_var, net[0].running_var)
    assert net.eval() is net and not net[0].training and not net[1].training


def test_reset_running_stats():
    bn = BatchNorm1d(2)
    bn(X_A)
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean, 0.0)
    np.testing.assert_array_equal(bn.running_var, 1.0)
    assert bn.num_batches_tracked == 0


def test_repr_names_the_arguments():
    assert repr(BatchNorm1d(4)) == ("BatchNorm1d(num_features=4, eps=1e-05, momentum=0.1, "
                                    "affine=True, track_running_stats=True)")
    assert repr(LayerNorm(3)) == ("LayerNorm(normalized_shape=(3,), eps=1e-05, "
                                  "elementwise_affine=True, bias=True)")
    assert repr(RMSNorm(3)) == "RMSNorm(normalized_shape=(3,), eps=1e-06, elementwise_affine=True)"
    assert repr(GroupNorm(2, 4)) == ("GroupNorm(num_groups=2, num_channels=4, eps=1e-05, "
                                     "affine=True)")
    assert repr(InstanceNorm1d(3)) == "InstanceNorm1d(num_features=3, eps=1e-05, affine=False)"


# ---------------------------------------------------------------------------------------------
# LayerNorm, RMSNorm, GroupNorm, InstanceNorm1d semantics
# ---------------------------------------------------------------------------------------------
def test_layernorm_per_row_by_hand():
    ln = LayerNorm(3)
    ln.weight.data[:] = [1.0, 2.0, 3.0]
    ln.bias.data[:] = [0.0, 1.0, 0.0]
    x = np.array([[1.0, 2.0, 3.0],     # mean 2, biased var 2/3
                  [0.0, 0.0, 6.0]])    # mean 2, biased var (4 + 4 + 16) / 3 = 8
    x_hat = np.array([np.array([-1.0, 0.0, 1.0]) / np.sqrt(2 / 3 + EPS),
                      np.array([-2.0, -2.0, 4.0]) / np.sqrt(8.0 + EPS)])
    expected = x_hat * [1.0, 2.0, 3.0] + [0.0, 1.0, 0.0]
    np.testing.assert_allclose(ln(x), expected, rtol=1e-12)
    np.testing.assert_allclose(ln.eval()(x), expected, rtol=1e-12)  # same at test time
    np.testing.assert_allclose(ln(x[1:]), expected[1:], rtol=1e-12)  # rows are independent


def test_layernorm_over_two_trailing_dimensions():
    x = np.random.default_rng(0).normal(size=(3, 2, 4))
    y = LayerNorm((2, 4))(x)
    flat = x.reshape(3, 8)
    expected = (flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + EPS)
    np.testing.assert_allclose(y, expected.reshape(3, 2, 4), atol=1e-12)


def test_layernorm_without_affine_has_no_parameters():
    ln = LayerNorm(4, elementwise_affine=False)
    assert ln.parameters() == [] and ln.state_dict() == {}


def test_rmsnorm_formula():
    rms = RMSNorm(2)
    rms.weight.data[:] = [2.0, -1.0]
    x = np.array([[3.0, 4.0],     # mean square (9 + 16) / 2 = 12.5
                  [1.0, 1.0]])    # mean square 1
    expected = np.array([[3.0 * 2.0, -4.0] / np.sqrt(12.5 + 1e-6),
                         [2.0, -1.0] / np.sqrt(1.0 + 1e-6)])
    np.testing.assert_allclose(rms(x), expected, rtol=1e-12)


def test_rmsnorm_does_not_centre_and_eps_none_is_machine_epsilon():
    x = np.array([[1.0, 2.0, 3.0]])
    rms = RMSNorm(3)
    assert not np.allclose(rms(x + 10.0) - rms(x + 10.0).mean(), rms(x) - rms(x).mean())
    assert RMSNorm(3, eps=None).eps == np.finfo(np.float64).eps
    assert RMSNorm(3, eps=None, dtype=np.float32).eps == np.finfo(np.float32).eps
    np.testing.assert_allclose(np.sqrt(np.mean(RMSNorm(3, eps=0.0)(x) ** 2)), 1.0, rtol=1e-12)


def _groupnorm_loops(x, groups, eps=EPS):
    """Reference group normalisation with explicit loops over examples and groups."""
    m, C = x.shape[:2]
    out = np.empty_like(x)
    size = C // groups
    for i in range(m):
        for g in range(groups):
            block = x[i, g * size:(g + 1) * size]
            out[i, g * size:(g + 1) * size] = (block - block.mean()) / np.sqrt(block.var() + eps)
    return out


def test_groupnorm_groups_by_hand():
    x = np.array([[1.0, 3.0, 10.0, 10.0]])  # groups {1, 3}: mean 2, var 1; {10, 10}: var 0
    gn = GroupNorm(2, 4)
    gn.weight.data[:] = [1.0, 2.0, 3.0, 4.0]
    gn.bias.data[:] = [0.5, 0.5, 0.5, 0.5]
    s = np.sqrt(1.0 + EPS)
    np.testing.assert_allclose(gn(x), [[-1.0 / s + 0.5, 2.0 / s + 0.5, 0.5, 0.5]], rtol=1e-12)


@pytest.mark.parametrize("groups, shape", [(3, (4, 6, 5)), (2, (2, 4, 3, 2)), (1, (3, 4))])
def test_groupnorm_matches_loops(groups, shape):
    x = np.random.default_rng(1).normal(3.0, 2.0, size=shape)
    np.testing.assert_allclose(GroupNorm(groups, shape[1])(x), _groupnorm_loops(x, groups),
                               atol=1e-12)


def test_groupnorm_special_cases():
    x = np.random.default_rng(2).normal(size=(3, 4, 5))
    # one group: layer norm over (C, L); C groups: instance norm
    np.testing.assert_allclose(GroupNorm(1, 4, affine=False)(x),
                               LayerNorm((4, 5), elementwise_affine=False)(x), atol=1e-12)
    np.testing.assert_allclose(GroupNorm(4, 4)(x), InstanceNorm1d(4)(x), atol=1e-12)
    # independent of the other examples, same in eval mode, works with a batch of one
    gn = GroupNorm(2, 4)
    np.testing.assert_allclose(gn(x[:1]), gn.eval()(x)[:1], atol=1e-12)


def test_instancenorm_by_hand():
    x = np.array([[[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]]])
    expected = np.array([[np.array([-1.0, 0.0, 1.0]) / np.sqrt(2 / 3 + EPS),
                          np.array([-2.0, -2.0, 4.0]) / np.sqrt(8.0 + EPS)]])
    inorm = InstanceNorm1d(2)
    assert inorm.parameters() == []
    np.testing.assert_allclose(inorm(x), expected, rtol=1e-12)
    # a single position is allowed in eval mode (it normalises to zero)
    np.testing.assert_array_equal(inorm.eval()(np.ones((2, 2, 1))), np.zeros((2, 2, 1)))


# ---------------------------------------------------------------------------------------------
# dtypes and stability
# ---------------------------------------------------------------------------------------------
# factories, not instances: every test gets fresh layers (a shared instance would carry
# running statistics from one parametrised test into the next)
MAKERS = {"BatchNorm1d": lambda dtype=np.float64: BatchNorm1d(4, dtype=dtype),
          "LayerNorm": lambda dtype=np.float64: LayerNorm(4, dtype=dtype),
          "RMSNorm": lambda dtype=np.float64: RMSNorm(4, dtype=dtype),
          "GroupNorm": lambda dtype=np.float64: GroupNorm(2, 4, dtype=dtype)}


@pytest.mark.parametrize("name", MAKERS)
def test_float32_stays_float32(name):
    layer = MAKERS[name](np.float32)
    x = np.random.default_rng(0).normal(size=(6, 4))  # float64 input is cast to float32
    y = layer(x)
    assert y.dtype == np.float32
    dx = layer.backward(np.ones_like(x))
    assert dx.dtype == np.float32
    for _, p in layer.named_parameters():
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
    for _, buf in layer.named_buffers():
        assert np.asarray(buf).dtype in (np.float32, np.int64)
    layer.eval()
    assert layer(x).dtype == np.float32 and layer.backward(x).dtype == np.float32


def test_instancenorm_float32_and_3d_batchnorm_float32():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32)
    for layer in (InstanceNorm1d(3, affine=True, dtype=np.float32),
                  BatchNorm1d(3, dtype=np.float32)):
        assert layer(x).dtype == np.float32 and layer.backward(x).dtype == np.float32


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", MAKERS)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_stable_for_large_inputs(name, mode):
    layer = MAKERS[name]()
    rng = np.random.default_rng(0)
    x = rng.uniform(-1e4, 1e4, size=(16, 4))
    x[:, 3] = 1e4  # a constant feature: zero variance (eps keeps the division finite)
    layer.train(mode == "train")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = layer(x)
        dx = layer.backward(rng.normal(size=x.shape))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    if mode == "eval" and isinstance(layer, BatchNorm1d):  # running stats still 0 and 1
        np.testing.assert_allclose(y, x / np.sqrt(1 + EPS), rtol=1e-12)
    else:  # a standardised vector of n entries has no entry above sqrt(n) in size
        assert np.abs(y).max() <= np.sqrt(16) + 1e-9
    if mode == "train" and isinstance(layer, BatchNorm1d):
        np.testing.assert_allclose(y[:, :3].var(axis=0), 1.0, rtol=1e-6)
        np.testing.assert_array_equal(y[:, 3], 0.0)


@pytest.mark.filterwarnings("error")
def test_stable_for_large_inputs_3d():
    x = np.random.default_rng(0).uniform(-1e4, 1e4, size=(3, 4, 5))
    for layer in (BatchNorm1d(4), GroupNorm(2, 4), InstanceNorm1d(4)):
        assert np.isfinite(layer(x)).all() and np.isfinite(layer.backward(x)).all()


# ---------------------------------------------------------------------------------------------
# bad input: every message names the layer and what it received
# ---------------------------------------------------------------------------------------------
BN = re.escape("BatchNorm1d(num_features=4, eps=1e-05, momentum=0.1, affine=True, "
               "track_running_stats=True)")


@pytest.mark.parametrize("make, x, error, match", [
    (lambda: BatchNorm1d(4), np.zeros((8, 5)), ValueError,
     BN + r": expected input with 4 features, got shape \(8, 5\)\."),
    (lambda: BatchNorm1d(4), np.zeros(4), ValueError, BN + r".*2-D or 3-D.*got shape \(4,\)"),
    (lambda: BatchNorm1d(4), np.zeros((2, 4, 3, 1)), ValueError,
     BN + r".*got shape \(2, 4, 3, 1\)"),
    (lambda: BatchNorm1d(4), np.zeros((1, 4)), ValueError,
     BN + r": expected more than 1 value per channel when training, got input of shape "
          r"\(1, 4\)"),
    (lambda: BatchNorm1d(4), np.zeros((1, 4, 1)), ValueError,
     BN + r": expected more than 1 value per channel.*\(1, 4, 1\)"),
    (lambda: BatchNorm1d(4), [["a", "b", "c", "d"]], TypeError, BN + r".*dtype <U1"),
    (lambda: LayerNorm(4), np.zeros((8, 5)), ValueError,
     r"LayerNorm\(normalized_shape=\(4,\).*expected input whose last 1 dimension\(s\) have "
     r"shape \(4,\).*got shape \(8, 5\)"),
    (lambda: LayerNorm((2, 3)), np.zeros(6), ValueError,
     r"LayerNorm\(normalized_shape=\(2, 3\).*got shape \(6,\)"),
    (lambda: RMSNorm(3), np.zeros((2, 4)), ValueError,
     r"RMSNorm\(normalized_shape=\(3,\).*got shape \(2, 4\)"),
    (lambda: GroupNorm(2, 4), np.zeros((3, 6)), ValueError,
     r"GroupNorm\(num_groups=2, num_channels=4.*expected input of shape \(m, 4\).*"
     r"got shape \(3, 6\)"),
    (lambda: GroupNorm(2, 4), np.zeros(4), ValueError, r"GroupNorm\(num_groups=2.*shape \(4,\)"),
    (lambda: InstanceNorm1d(3), np.zeros((2, 3)), ValueError,
     r"InstanceNorm1d\(num_features=3.*3-D.*got shape \(2, 3\).*use LayerNorm"),
    (lambda: InstanceNorm1d(3), np.zeros((2, 4, 5)), ValueError,
     r"InstanceNorm1d\(num_features=3.*expected input with 3 features, got shape \(2, 4, 5\)"),
    (lambda: InstanceNorm1d(3), np.zeros((2, 3, 1)), ValueError,
     r"InstanceNorm1d\(num_features=3.*more than 1 position.*\(2, 3, 1\)"),
])
def test_bad_forward_input(make, x, error, match):
    with pytest.raises(error, match=match):
        make()(x)


@pytest.mark.parametrize("call, error, match", [
    (lambda: BatchNorm1d(0), ValueError, r"BatchNorm1d: expected num_features >= 1, got 0"),
    (lambda: BatchNorm1d(2.5), TypeError, r"BatchNorm1d: expected num_features to be an "
                                          r"integer, got float 2\.5"),
    (lambda: BatchNorm1d(4, eps=-1e-5), ValueError, r"BatchNorm1d: expected eps > 0, got -1e-05"),
    (lambda: BatchNorm1d(4, momentum=1.5), ValueError,
     r"BatchNorm1d: expected momentum in \[0, 1\], got 1\.5"),
    (lambda: BatchNorm1d(4, affine="yes"), TypeError,
     r"BatchNorm1d: expected affine to be True or False, got str 'yes'"),
    (lambda: BatchNorm1d(4, dtype=np.int64), TypeError,
     r"BatchNorm1d: expected dtype to be a floating type such as np\.float64 or "
     r"np\.float32, got int64"),
    (lambda: BatchNorm1d(4, dtype="banana"), TypeError, r"BatchNorm1d: expected dtype.*'banana'"),
    (lambda: LayerNorm(()), ValueError, r"LayerNorm: expected normalized_shape to hold at least "
                                        r"one size, got \(\)"),
    (lambda: LayerNorm((3, 0)), ValueError, r"LayerNorm: expected every size in "
                                            r"normalized_shape >= 1, got 0"),
    (lambda: LayerNorm("4"), TypeError, r"LayerNorm: expected normalized_shape to be an integer, "
                                        r"got str '4'"),
    (lambda: RMSNorm(3, eps=-1.0), ValueError, r"RMSNorm: expected eps >= 0, got -1\.0"),
    (lambda: RMSNorm(3, eps=float("nan")), ValueError, r"RMSNorm: expected a finite eps, got nan"),
    (lambda: GroupNorm(4, 6), ValueError, r"GroupNorm: expected num_channels to be divisible by "
                                          r"num_groups, got num_channels=6 and num_groups=4"),
    (lambda: GroupNorm(0, 6), ValueError, r"GroupNorm: expected num_groups >= 1, got 0"),
    (lambda: InstanceNorm1d(3, affine=1), TypeError,
     r"InstanceNorm1d: expected affine to be True or False, got int 1"),
])
def test_bad_constructor_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("name", list(MAKERS) + ["InstanceNorm1d"])
def test_backward_before_forward(name):
    layer = MAKERS[name]() if name in MAKERS else InstanceNorm1d(4)
    name = re.escape(repr(layer))
    with pytest.raises(ValueError, match=name + r": backward\(\) was called before forward\(\)"):
        layer.backward(np.ones((2, 4, 3)))


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (3, 4)), ("BatchNorm1d", (3, 4, 2)),
                                         ("LayerNorm", (3, 4)), ("RMSNorm", (3, 4)),
                                         ("GroupNorm", (3, 4, 2)), ("InstanceNorm1d", (3, 4, 2))])
def test_grad_out_shape_is_checked(name, shape):
    layer = MAKERS[name]() if name in MAKERS else InstanceNorm1d(4)
    layer(np.random.default_rng(0).normal(size=shape))
    bad = shape[:-1] + (shape[-1] + 1,)
    with pytest.raises(ValueError, match=re.escape(f"{layer!r}.backward: expected grad_out of "
                                                   f"the output's shape {shape}, got {bad}.")):
        layer.backward(np.ones(bad))
