"""The faster forms used on the training hot path give the textbook formula's numbers.

Each test compares a sped-up line of nnlib with the plain formula it replaces (``delta.sum``,
``delta @ W``, ``np.max``, ``np.where``) or with the formula the book writes, and checks that
the checks in front of it still reject bad input with the same sentence.
"""

import numpy as np
import pytest

from nnlib import functional as F
from nnlib.layers import Linear, ReLU, Tanh
from nnlib.losses import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-13), (np.float32, 1e-5)])
def test_linear_bias_gradient_is_the_batch_sum_for_every_batch_size(dtype, rtol):
    rng = np.random.default_rng(0)
    layer = Linear(5, 4, rng=0, dtype=dtype)
    expected = np.zeros(4)
    for m in (7, 200, 1, 7):  # the vector of ones is resized whenever m changes
        x = rng.normal(size=(m, 5)).astype(dtype)
        delta = rng.normal(size=(m, 4)).astype(dtype)
        layer(x)
        layer.backward(delta)
        expected += delta.astype(np.float64).sum(axis=0)  # and gradients still accumulate
        np.testing.assert_allclose(layer.bias.grad, expected, rtol=rtol, atol=rtol)
        assert layer.bias.grad.dtype == dtype


def test_linear_bias_gradient_when_the_weights_change_dtype():
    layer = Linear(3, 2, rng=0)
    layer(np.ones((4, 3)))
    layer.backward(np.ones((4, 2)))
    layer.weight.data = layer.weight.data.astype(np.float32)  # a cached float64 ones vector
    layer(np.ones((4, 3)))                                    # must not leak into float32
    layer.backward(np.ones((4, 2), np.float32))
    assert layer._batch_sum(np.ones((4, 2), np.float32)).dtype == np.float32
    np.testing.assert_array_equal(layer.bias.grad, [8.0, 8.0])


@pytest.mark.parametrize("n_in, n_out, m", [(16, 1, 200), (2, 16, 200), (64, 10, 64), (3, 4, 1)])
def test_linear_input_gradient_is_delta_times_w(n_in, n_out, m):
    rng = np.random.default_rng(1)
    layer = Linear(n_in, n_out, rng=1)
    x, delta = rng.normal(size=(m, n_in)), rng.normal(size=(m, n_out))
    layer(x)
    before = delta.copy()
    dx = layer.backward(delta)
    np.testing.assert_allclose(dx, delta @ layer.weight.data, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(delta, before)  # grad_out is not written to
    if n_out == 1:  # one term per entry: exactly the product, whatever the routine
        np.testing.assert_array_equal(dx, delta @ layer.weight.data)


def test_linear_single_example_still_works():
    layer = Linear(3, 1, rng=0)
    x = np.array([1.0, 2.0, 3.0])
    layer(x)
    dx = layer.backward(np.array([2.0]))
    np.testing.assert_array_equal(dx, 2.0 * layer.weight.data[0])
    np.testing.assert_array_equal(layer.bias.grad, [2.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanh_backward_is_the_formula_and_leaves_its_inputs_alone(dtype):
    rng = np.random.default_rng(2)
    layer = Tanh()
    a = layer(rng.normal(size=(50, 8)).astype(dtype))
    a_before = a.copy()
    g = rng.normal(size=(50, 8)).astype(dtype)
    g_before = g.copy()
    delta = layer.backward(g)
    np.testing.assert_array_equal(delta, g_before * (1.0 - a_before * a_before))
    np.testing.assert_array_equal(g, g_before)
    np.testing.assert_array_equal(layer._a, a_before)
    assert delta is not g and delta.dtype == dtype


@pytest.mark.parametrize("shape", [(1,), (200,), (200, 1), (64, 10), (3, 4, 5)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_summed_loss_is_np_sum_of_the_formula(shape, dtype):
    a = np.random.default_rng(3).normal(size=shape).astype(dtype)
    assert L1Loss(reduction="sum")(a, np.zeros_like(a)) == float(np.sum(np.abs(a)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_family_is_bit_identical_to_the_np_max_np_sum_form(dtype):
    x = (np.random.default_rng(4).normal(size=(64, 10)) * 30).astype(dtype)
    m = np.max(x, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True))
    np.testing.assert_array_equal(F.logsumexp(x, axis=1, keepdims=True), lse)
    np.testing.assert_array_equal(F.log_softmax(x, axis=1), x - lse)
    e = np.exp(x - m)
    np.testing.assert_array_equal(F.softmax(x, axis=1), e / np.sum(e, axis=1, keepdims=True))


@pytest.mark.parametrize("bad, shown", [(1.5, "1.5"), (-0.25, "-0.25"), (np.nan, "nan")])
def test_bce_with_logits_still_rejects_targets_outside_0_1(bad, shown):
    y = np.zeros((200, 1), np.float32)
    y[7, 0] = bad
    with pytest.raises(ValueError, match=rf"BCEWithLogitsLoss: expected targets in \[0, 1\], "
                                         rf"got {shown} at position \(7, 0\)"):
        BCEWithLogitsLoss()(np.zeros((200, 1), np.float32), y)


@pytest.mark.parametrize("bad", [-1, 10])
def test_cross_entropy_still_rejects_class_indices_out_of_range(bad):
    y = np.zeros(64, dtype=np.int64)
    y[5] = bad
    with pytest.raises(ValueError, match=rf"CrossEntropyLoss: expected class indices in "
                                         rf"\[0, 10\), got {bad} at position 5"):
        CrossEntropyLoss()(np.zeros((64, 10), np.float32), y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(64, 128), (200, 16), (5,), (3, 4, 2)])
def test_relu_backward_is_where_bit_for_bit(dtype, shape):
    rng = np.random.default_rng(2)
    z = rng.normal(size=shape).astype(dtype)
    z.flat[::7] = 0.0  # z = 0 passes no gradient (the subgradient PyTorch uses)
    g = rng.normal(size=shape).astype(dtype)
    relu = ReLU()
    relu(z)
    before = g.copy()
    delta = relu.backward(g)
    expected = np.where(z > 0, g, 0.0).astype(dtype)
    assert delta.dtype == dtype
    np.testing.assert_array_equal(delta, expected)
    assert not np.signbit(delta[z <= 0]).any()  # +0.0, never -0.0, where no gradient passes
    np.testing.assert_array_equal(g, before)   # grad_out is not written to


def test_relu_backward_with_infinite_or_nan_gradients_passes_zero_at_dead_units():
    relu = ReLU()
    relu(np.array([-1.0, 0.0, 2.0, 3.0]))
    delta = relu.backward(np.array([np.inf, np.nan, -np.inf, np.nan]))
    np.testing.assert_array_equal(delta, [0.0, 0.0, -np.inf, np.nan])  # as torch.relu's backward


def test_relu_backward_still_checks_its_input():
    relu = ReLU()
    with pytest.raises(ValueError, match="backward\\(\\) was called before forward"):
        relu.backward(np.ones(3))
    relu(np.ones((2, 3)))
    with pytest.raises(ValueError, match="expected grad_out of the output's shape"):
        relu.backward(np.ones((3, 2)))
