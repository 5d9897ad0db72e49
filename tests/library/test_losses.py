"""Tests of nnlib.losses: values pinned by hand or closed form, gradient checks, stability,
dtypes and error messages. PyTorch/torchvision semantics are pinned without torch."""

import warnings

import numpy as np
import pytest

from nnlib.gradcheck import check_loss
from nnlib.losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, FocalLoss, HuberLoss,
                          L1Loss, MSELoss)

LN2, LN3, LN6 = np.log(2.0), np.log(3.0), np.log(6.0)
ALL_LOSSES = [MSELoss, L1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss,
              FocalLoss]


def _naive_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _torchvision_focal(z, y, alpha, gamma):
    """torchvision.ops.sigmoid_focal_loss(reduction='none'), written out naively."""
    p = _naive_sigmoid(z)
    ce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss


# --- values pinned by hand --------------------------------------------------------------------
def test_mse_values_and_gradient():
    loss_fn = MSELoss()
    y_hat = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[0.0, 2.0], [1.0, 1.0]])          # residuals 1, 0, 2, 3: squares sum 14
    assert loss_fn(y_hat, y) == pytest.approx(14 / 4, rel=1e-15)
    np.testing.assert_allclose(loss_fn.backward(), 2 * (y_hat - y) / 4, rtol=1e-15)
    loss_sum = MSELoss(reduction="sum")
    assert loss_sum(y_hat, y) == pytest.approx(14.0, rel=1e-15)
    np.testing.assert_allclose(loss_sum.backward(), 2 * (y_hat - y), rtol=1e-15)


def test_l1_values_and_zero_subgradient():
    loss_fn = L1Loss()
    y_hat, y = np.array([2.0, -1.0, 0.5, 3.0]), np.array([0.0, 0.0, 0.5, 4.0])
    assert loss_fn(y_hat, y) == pytest.approx((2 + 1 + 0 + 1) / 4, rel=1e-15)
    np.testing.assert_array_equal(loss_fn.backward(), np.array([1.0, -1.0, 0.0, -1.0]) / 4)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_pieces_and_delta_boundary(delta):
    r = np.array([0.25 * delta, -0.5 * delta, delta, -delta, 3 * delta, -2 * delta])
    expected = np.array([0.5 * (0.25 * delta) ** 2, 0.5 * (0.5 * delta) ** 2,
                         0.5 * delta ** 2, 0.5 * delta ** 2,          # both pieces agree
                         delta * (3 * delta - 0.5 * delta), delta * (2 * delta - 0.5 * delta)])
    loss_fn = HuberLoss(delta=delta, reduction="sum")
    assert loss_fn(r, np.zeros_like(r)) == pytest.approx(expected.sum(), rel=1e-14)
    np.testing.assert_allclose(loss_fn.backward(),
                               [0.25 * delta, -0.5 * delta, delta, -delta, delta, -delta],
                               rtol=1e-15)


def test_huber_is_continuous_at_delta():
    delta = 1.5
    loss_fn = HuberLoss(delta=delta, reduction="sum")
    below = loss_fn(np.array([delta * (1 - 1e-12)]), np.array([0.0]))
    above = loss_fn(np.array([delta * (1 + 1e-12)]), np.array([0.0]))
    assert below == pytest.approx(0.5 * delta ** 2, rel=1e-10)
    assert above == pytest.approx(0.5 * delta ** 2, rel=1e-10)


def test_huber_limits_are_half_mse_and_shifted_l1():
    rng = np.random.default_rng(3)
    small = rng.uniform(-0.9, 0.9, size=20)
    big = rng.choice([-1.0, 1.0], size=20) * rng.uniform(1.1, 5.0, size=20)
    zeros = np.zeros(20)
    assert HuberLoss()(small, zeros) == pytest.approx(0.5 * MSELoss()(small, zeros), rel=1e-14)
    assert HuberLoss()(big, zeros) == pytest.approx(L1Loss()(big, zeros) - 0.5, rel=1e-14)


def test_bce_values():
    loss_fn = BCELoss()
    assert loss_fn(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == pytest.approx(LN2, rel=1e-15)
    np.testing.assert_allclose(loss_fn.backward(), [-1.0, 1.0], rtol=1e-15)
    p, y = np.array([0.9, 0.2, 0.7]), np.array([1.0, 0.0, 0.3])  # soft target allowed
    naive = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert BCELoss()(p, y) == pytest.approx(naive, rel=1e-14)


@pytest.mark.filterwarnings("error")
def test_bce_clamps_log_at_minus_100_like_torch():
    loss_fn = BCELoss(reduction="sum")
    # p = 0 with y = 1 and p = 1 with y = 0: each log is clamped to -100
    assert loss_fn(np.array([0.0, 1.0]), np.array([1.0, 0.0])) == 200.0
    grad = loss_fn.backward()                 # (p - y) / max(p (1 - p), 1e-12)
    np.testing.assert_array_equal(grad, [-1e12, 1e12])
    assert loss_fn(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == 0.0  # right and certain
    np.testing.assert_array_equal(loss_fn.backward(), [0.0, 0.0])
    tiny = np.exp(-150.0)                     # log(tiny) = -150 is clamped too
    assert loss_fn(np.array([tiny]), np.array([1.0])) == 100.0
    assert loss_fn(np.array([1e-30]), np.array([1.0])) == pytest.approx(30 * np.log(10))


def test_bce_with_logits_matches_naive_formula():
    rng = np.random.default_rng(0)
    z = rng.normal(scale=3.0, size=(6, 3))
    y = rng.uniform(size=(6, 3))
    p = _naive_sigmoid(z)
    naive = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    loss_fn = BCEWithLogitsLoss()
    assert loss_fn(z, y) == pytest.approx(naive.mean(), rel=1e-13)
    np.testing.assert_allclose(loss_fn.backward(), (p - y) / y.size, rtol=1e-12, atol=1e-17)
    # with probabilities from the same logits BCELoss agrees
    assert BCELoss()(p, y) == pytest.approx(naive.mean(), rel=1e-13)


def test_bce_with_logits_pos_weight():
    z = np.array([[0.0, 1.0, -2.0], [0.5, -0.5, 3.0]])
    y = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5]])
    pw = np.array([3.0, 0.5, 2.0])                       # one weight per output column
    p = _naive_sigmoid(z)
    naive = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    loss_fn = BCEWithLogitsLoss(pos_weight=pw, reduction="sum")
    assert loss_fn(z, y) == pytest.approx(naive.sum(), rel=1e-14)
    np.testing.assert_allclose(loss_fn.backward(), (1 - y) * p - pw * y * (1 - p), rtol=1e-13)
    # z = 0, y = 1, scalar pos_weight 3: 3 log 2
    assert BCEWithLogitsLoss(pos_weight=3.0)(np.array([0.0]), np.array([1.0])) == \
        pytest.approx(3 * LN2, rel=1e-15)
    # pos_weight = 1 is the unweighted loss
    assert BCEWithLogitsLoss(pos_weight=1.0)(z, y) == pytest.approx(BCEWithLogitsLoss()(z, y))


def test_cross_entropy_class_indices_exact():
    z = np.log(np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))  # p = (1, 2, 3) / 6
    loss_fn = CrossEntropyLoss()
    assert loss_fn(z, np.array([2, 0])) == pytest.approx((LN2 + LN6) / 2, rel=1e-14)
    expected = (np.array([[1.0, 2.0, 3.0]] * 2) / 6 - np.array([[0, 0, 1], [1, 0, 0]])) / 2
    np.testing.assert_allclose(loss_fn.backward(), expected, rtol=1e-13, atol=1e-16)
    assert CrossEntropyLoss(reduction="sum")(z, [2, 0]) == pytest.approx(LN2 + LN6, rel=1e-14)


def test_cross_entropy_probability_targets_and_float_indices():
    z = np.log(np.array([[1.0, 2.0, 3.0]]))
    q = np.array([[0.5, 0.0, 0.5]])
    loss_fn = CrossEntropyLoss()
    assert loss_fn(z, q) == pytest.approx(0.5 * LN6 + 0.5 * LN2, rel=1e-14)
    np.testing.assert_allclose(loss_fn.backward(), [[1 / 6 - 0.5, 1 / 3, 0.5 - 0.5]],
                               atol=1e-15)
    # one-hot probability targets == class indices; whole-number floats are indices
    onehot = np.array([[0.0, 0.0, 1.0]])
    assert CrossEntropyLoss()(z, onehot) == pytest.approx(CrossEntropyLoss()(z, [2]))
    assert CrossEntropyLoss()(z, np.array([2.0])) == pytest.approx(LN2, rel=1e-14)


@pytest.mark.parametrize("eps", [0.1, 0.3, 1.0])
def test_cross_entropy_label_smoothing(eps):
    z = np.log(np.array([[1.0, 2.0, 3.0]]))
    C = 3
    # target (1 - eps) onehot(2) + eps / C
    expected = (1 - eps) * LN2 + eps / C * (LN6 + LN3 + LN2)
    loss_fn = CrossEntropyLoss(label_smoothing=eps)
    assert loss_fn(z, [2]) == pytest.approx(expected, rel=1e-14)
    smoothed = (1 - eps) * np.array([0.0, 0.0, 1.0]) + eps / C
    np.testing.assert_allclose(loss_fn.backward()[0], np.array([1, 2, 3]) / 6 - smoothed,
                               atol=1e-15)
    # probability targets are smoothed the same way
    assert CrossEntropyLoss(label_smoothing=eps)(z, [[0.0, 0.0, 1.0]]) == \
        pytest.approx(expected, rel=1e-14)
    # uniform logits: every target costs log C, smoothed or not
    assert CrossEntropyLoss(label_smoothing=eps)(np.zeros((4, 5)), [0, 1, 4, 2]) == \
        pytest.approx(np.log(5), rel=1e-14)


def test_cross_entropy_label_smoothing_mean_is_over_examples():
    rng = np.random.default_rng(1)
    z, t = rng.normal(size=(7, 4)), rng.integers(0, 4, size=7)
    mean = CrossEntropyLoss(label_smoothing=0.2)(z, t)
    total = CrossEntropyLoss(label_smoothing=0.2, reduction="sum")(z, t)
    assert mean == pytest.approx(total / 7, rel=1e-14)


def test_cross_entropy_class_weights_torch_semantics():
    z = np.log(np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]))
    w = np.array([1.0, 2.0, 4.0])
    # targets 2 and 0: weighted mean divides by w[2] + w[0] = 5
    loss_fn = CrossEntropyLoss(weight=w)
    assert loss_fn(z, [2, 0]) == pytest.approx((4 * LN2 + 1 * LN6) / 5, rel=1e-14)
    p = np.array([1.0, 2.0, 3.0]) / 6
    expected = np.stack([4 * (p - [0, 0, 1]), 1 * (p - [1, 0, 0])]) / 5
    np.testing.assert_allclose(loss_fn.backward(), expected, atol=1e-15)
    # sum: no division
    assert CrossEntropyLoss(weight=w, reduction="sum")(z, [2, 0]) == \
        pytest.approx(4 * LN2 + LN6, rel=1e-14)
    # with label smoothing: (1 - eps) weighted NLL + eps / C * sum_c w_c (-log p_c), over 5
    eps = 0.3
    smooth = 2 * (1 * LN6 + 2 * LN3 + 4 * LN2)
    expected = (1 - eps) * (4 * LN2 + LN6) / 5 + eps / 3 * smooth / 5
    assert CrossEntropyLoss(weight=w, label_smoothing=eps)(z, [2, 0]) == \
        pytest.approx(expected, rel=1e-14)
    # probability targets: weights multiply the target, the mean is over the m = 2 rows
    q = np.array([[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    expected = (4 * LN2 + 0.5 * 1 * LN6 + 0.5 * 2 * LN3) / 2
    assert CrossEntropyLoss(weight=w)(z, q) == pytest.approx(expected, rel=1e-14)
    # equal weights change nothing
    assert CrossEntropyLoss(weight=[2.0, 2.0, 2.0])(z, [2, 0]) == \
        pytest.approx(CrossEntropyLoss()(z, [2, 0]), rel=1e-14)


@pytest.mark.parametrize("alpha,gamma", [(0.25, 2.0), (0.5, 0.0), (-1.0, 2.0), (0.9, 0.5),
                                         (0.25, 3.5)])
def test_focal_matches_torchvision_formula(alpha, gamma):
    rng = np.random.default_rng(4)
    z = rng.normal(scale=2.5, size=(8, 3))
    y = rng.integers(0, 2, size=(8, 3)).astype(float)
    y[0] = [0.3, 0.7, 0.5]                                         # soft targets too
    ref = _torchvision_focal(z, y, alpha, gamma)
    assert FocalLoss(alpha=alpha, gamma=gamma)(z, y) == pytest.approx(ref.mean(), rel=1e-13)
    assert FocalLoss(alpha=alpha, gamma=gamma, reduction="sum")(z, y) == \
        pytest.approx(ref.sum(), rel=1e-13)


def test_focal_special_cases():
    z = np.array([0.0])
    assert FocalLoss()(z, np.array([1.0])) == pytest.approx(LN2 / 16, rel=1e-15)
    # gamma = 0 and no alpha: binary cross-entropy with logits
    rng = np.random.default_rng(5)
    z, y = rng.normal(size=10), rng.integers(0, 2, size=10).astype(float)
    fl = FocalLoss(alpha=-1, gamma=0.0)
    bce = BCEWithLogitsLoss()
    assert fl(z, y) == pytest.approx(bce(z, y), rel=1e-14)
    np.testing.assert_allclose(fl.backward(), bce.backward(), rtol=1e-13)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
def test_focal_gradient_closed_form_for_positive_targets(gamma):
    # for y = 1: d/dz = alpha (1 - p)^gamma (gamma p log p - (1 - p)); z up to 30
    z = np.array([-30.0, -4.0, 0.0, 2.5, 30.0])
    y = np.ones_like(z)
    # q = 1 - p and log p = -log(1 + exp(-z)), both accurate for large z
    p, q, log_p = _naive_sigmoid(z), _naive_sigmoid(-z), -np.logaddexp(0.0, -z)
    expected = 0.25 * q ** gamma * (gamma * p * log_p - q)
    loss_fn = FocalLoss(gamma=gamma, reduction="sum")
    loss_fn(z, y)
    np.testing.assert_allclose(loss_fn.backward(), expected, rtol=1e-12, atol=1e-300)


# --- gradient checks --------------------------------------------------------------------------
SHAPES = [(5,), (4, 3), (2, 3, 2)]
SEEDS = [0, 1, 2]
REDUCTIONS = ["mean", "sum"]


def _away_from(r, points, gap=1e-3):
    """Move residuals that are within ``gap`` of a kink away from it."""
    for k in points:
        close = np.abs(r - k) < gap
        r = np.where(close, k + np.where(r >= k, gap, -gap), r)
    return r


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_regression_losses(shape, seed, reduction):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=shape)
    r = _away_from(rng.normal(scale=2.0, size=shape), [0.0, -0.7, 0.7, -1.0, 1.0])
    for loss_fn in (MSELoss(reduction=reduction), L1Loss(reduction=reduction),
                    HuberLoss(reduction=reduction), HuberLoss(delta=0.7, reduction=reduction)):
        assert check_loss(loss_fn, y + r, y) <= 1e-7, loss_fn


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_binary_losses(shape, seed, reduction):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=shape)
    y = rng.integers(0, 2, size=shape).astype(float)
    soft = rng.uniform(size=shape)
    p = rng.uniform(0.05, 0.95, size=shape)
    pw = rng.uniform(0.5, 3.0, size=shape[-1:])
    cases = [
        (BCELoss(reduction=reduction), p, y),
        (BCELoss(reduction=reduction), p, soft),
        (BCEWithLogitsLoss(reduction=reduction), z, y),
        (BCEWithLogitsLoss(reduction=reduction), z, soft),
        (BCEWithLogitsLoss(pos_weight=pw, reduction=reduction), z, soft),
        (BCEWithLogitsLoss(pos_weight=2.5, reduction=reduction), z, y),
    ]
    for loss_fn, pred, target in cases:
        assert check_loss(loss_fn, pred, target) <= 1e-7, loss_fn


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha,gamma", [(0.25, 2.0), (-1.0, 0.0), (0.75, 0.5), (0.25, 1.0),
                                         (-1.0, 3.5)])
def test_gradcheck_focal(shape, seed, reduction, alpha, gamma):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=shape)
    loss_fn = FocalLoss(alpha=alpha, gamma=gamma, reduction=reduction)
    y = rng.integers(0, 2, size=shape).astype(float)
    assert check_loss(loss_fn, z, y) <= 1e-7
    assert check_loss(loss_fn, z, rng.uniform(size=shape)) <= 1e-7   # soft targets


@pytest.mark.parametrize("m,C", [(1, 2), (5, 3), (8, 10)])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_gradcheck_cross_entropy(m, C, seed, reduction, eps):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=(m, C))
    idx = rng.integers(0, C, size=m)
    q = rng.dirichlet(np.ones(C), size=m)
    w = rng.uniform(0.2, 3.0, size=C)
    for loss_fn, target in [
        (CrossEntropyLoss(label_smoothing=eps, reduction=reduction), idx),
        (CrossEntropyLoss(label_smoothing=eps, reduction=reduction), q),
        (CrossEntropyLoss(weight=w, label_smoothing=eps, reduction=reduction), idx),
        (CrossEntropyLoss(weight=w, label_smoothing=eps, reduction=reduction), q),
    ]:
        assert check_loss(loss_fn, z, target) <= 1e-7, (loss_fn, target)


def test_gradcheck_detects_a_wrong_gradient():
    """The checks above can fail: a loss whose backward is off by a factor is caught."""
    class WrongMSE(MSELoss):
        def backward(self):
            return 0.9 * super().backward()

    rng = np.random.default_rng(0)
    assert check_loss(WrongMSE(), rng.normal(size=(4, 3)), rng.normal(size=(4, 3))) > 1e-3


@pytest.mark.parametrize("loss_cls,kwargs", [(MSELoss, {}), (L1Loss, {}), (HuberLoss, {}),
                                             (BCEWithLogitsLoss, {}), (FocalLoss, {}),
                                             (FocalLoss, {"alpha": -1, "gamma": 1.5})])
def test_sum_is_n_times_mean(loss_cls, kwargs):
    rng = np.random.default_rng(7)
    pred, target = rng.normal(size=(6, 2)), rng.uniform(size=(6, 2))
    mean_fn, sum_fn = loss_cls(**kwargs), loss_cls(reduction="sum", **kwargs)
    assert sum_fn(pred, target) == pytest.approx(12 * mean_fn(pred, target), rel=1e-13)
    np.testing.assert_allclose(sum_fn.backward(), 12 * mean_fn.backward(), rtol=1e-13)


# --- stability --------------------------------------------------------------------------------
@pytest.mark.filterwarnings("error")
def test_logit_losses_are_stable_at_1e4():
    z = np.array([1e4, -1e4, 1e4, -1e4, 0.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    bce = BCEWithLogitsLoss(reduction="sum")
    assert bce(z, y) == pytest.approx(2e4 + LN2, rel=1e-15)   # two confident mistakes
    np.testing.assert_array_equal(bce.backward(), [0.0, 0.0, 1.0, -1.0, -0.5])
    bce_pw = BCEWithLogitsLoss(pos_weight=2.0, reduction="sum")
    assert bce_pw(z, y) == pytest.approx(1e4 + 2e4 + 2 * LN2, rel=1e-15)
    assert np.all(np.isfinite(bce_pw.backward()))
    for gamma in (0.0, 0.5, 2.0):
        for alpha in (0.25, -1.0):
            fl = FocalLoss(alpha=alpha, gamma=gamma, reduction="sum")
            value = fl(z, y)
            grad = fl.backward()
            assert np.isfinite(value) and np.all(np.isfinite(grad))
            # the two right answers cost nothing and get no gradient
            np.testing.assert_array_equal(grad[:2], [0.0, 0.0])
            a_neg, a_pos = (0.75, 0.25) if alpha >= 0 else (1.0, 1.0)
            assert value == pytest.approx(a_neg * 1e4 + a_pos * 1e4
                                          + a_pos * 0.5 ** gamma * LN2, rel=1e-14)


@pytest.mark.filterwarnings("error")
def test_cross_entropy_is_stable_at_1e4():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]])
    loss_fn = CrossEntropyLoss(reduction="sum")
    assert loss_fn(z, [1, 2]) == pytest.approx(2e4 + np.log(3), rel=1e-15)
    grad = loss_fn.backward()
    np.testing.assert_allclose(grad, [[1.0, -1.0, 0.0], [1 / 3, 1 / 3, -2 / 3]], atol=1e-15)
    smooth = CrossEntropyLoss(label_smoothing=0.1, weight=[1.0, 2.0, 3.0])
    assert np.isfinite(smooth(z, [1, 2])) and np.all(np.isfinite(smooth.backward()))
    assert np.isfinite(loss_fn(z, [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]))


@pytest.mark.filterwarnings("error")
def test_regression_losses_are_stable_at_1e4():
    y_hat, y = np.array([1e4, -1e4]), np.array([-1e4, 1e4])
    for loss_fn in (MSELoss(), L1Loss(), HuberLoss()):
        assert np.isfinite(loss_fn(y_hat, y)) and np.all(np.isfinite(loss_fn.backward()))
    assert MSELoss()(y_hat, y) == 4e8


# --- dtypes, shapes and caching ---------------------------------------------------------------
def _cases32():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 3))
    return [
        (MSELoss(), z, rng.normal(size=(4, 3))),
        (L1Loss(), z, rng.normal(size=(4, 3))),
        (HuberLoss(delta=0.5), z, rng.normal(size=(4, 3))),
        (BCELoss(), rng.uniform(0.05, 0.95, size=(4, 3)), rng.uniform(size=(4, 3))),
        (BCEWithLogitsLoss(pos_weight=[1.0, 2.0, 3.0]), z, rng.uniform(size=(4, 3))),
        (FocalLoss(gamma=0.5), z, rng.integers(0, 2, size=(4, 3))),
        (CrossEntropyLoss(label_smoothing=0.1, weight=[1.0, 2.0, 0.5]), z, [0, 2, 1, 1]),
        (CrossEntropyLoss(), z, rng.dirichlet(np.ones(3), size=4)),
    ]


@pytest.mark.parametrize("case", range(8))
def test_float32_in_float32_gradient_out(case):
    loss_fn, pred, target = _cases32()[case]
    value64 = loss_fn(pred, target)
    grad64 = loss_fn.backward()
    value32 = loss_fn(pred.astype(np.float32), target)
    grad32 = loss_fn.backward()
    assert type(value32) is float and type(value64) is float
    assert grad64.dtype == np.float64 and grad32.dtype == np.float32
    assert grad32.shape == pred.shape
    assert value32 == pytest.approx(value64, rel=1e-5)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-6)


def test_integer_and_list_inputs_become_float64():
    loss_fn = MSELoss()
    assert loss_fn([[1, 2]], [[0, 0]]) == 2.5
    assert loss_fn.backward().dtype == np.float64


def test_backward_is_not_affected_by_changing_inputs_afterwards():
    y_hat, y = np.array([1.0, 2.0]), np.array([0.0, 0.0])
    for loss_fn in (MSELoss(), BCEWithLogitsLoss(), FocalLoss(), L1Loss()):
        loss_fn(y_hat, y)
        before = loss_fn.backward().copy()
        y_hat_saved, y_saved = y_hat.copy(), y.copy()
        y_hat[:] = -5.0
        y[:] = 1.0
        np.testing.assert_array_equal(loss_fn.backward(), before)
        y_hat[:], y[:] = y_hat_saved, y_saved
    q = np.array([[0.25, 0.75]])
    ce = CrossEntropyLoss()
    ce(np.zeros((1, 2)), q)
    before = ce.backward().copy()
    q[:] = [[1.0, 0.0]]
    np.testing.assert_array_equal(ce.backward(), before)


def test_losses_are_modules_with_readable_repr():
    from nnlib.core import Module
    for cls in ALL_LOSSES:
        loss_fn = cls()
        assert isinstance(loss_fn, Module) and loss_fn.parameters() == []
        assert repr(loss_fn).startswith(cls.__name__ + "(")
        assert loss_fn.eval() is loss_fn and loss_fn.training is False
    assert repr(HuberLoss(delta=2.0)) == "HuberLoss(delta=2.0, reduction='mean')"
    assert repr(CrossEntropyLoss(label_smoothing=0.1, reduction="sum")) == \
        "CrossEntropyLoss(label_smoothing=0.1, reduction='sum')"
    assert repr(FocalLoss()) == "FocalLoss(alpha=0.25, gamma=2.0, reduction='mean')"
    assert repr(BCEWithLogitsLoss(pos_weight=[1.0, 2.0])) == \
        "BCEWithLogitsLoss(pos_weight=[1.0, 2.0], reduction='mean')"


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        HuberLoss(2.0)
    with pytest.raises(TypeError):
        CrossEntropyLoss(0.1)


# --- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL_LOSSES)
def test_bad_reduction(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: expected reduction to be one of "
                                         r"\['mean', 'sum'\], got 'none'\. .*always return "
                                         r"one number"):
        cls(reduction="none")
    with pytest.raises(ValueError, match=rf"{cls.__name__}: .*got 'avg'"):
        cls(reduction="avg")


@pytest.mark.parametrize("cls", ALL_LOSSES)
def test_backward_before_forward(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(.*\): backward\(\) was called "
                                         r"before forward\(\)"):
        cls().backward()


@pytest.mark.parametrize("cls", [MSELoss, L1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss,
                                 FocalLoss])
def test_shape_mismatch(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: expected target of the same shape "
                                         r"as prediction \(4, 1\), got \(4,\)"):
        cls()(np.full((4, 1), 0.5), np.zeros(4))


@pytest.mark.parametrize("cls", ALL_LOSSES)
def test_non_numeric_input(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__}: expected a numeric .*got dtype <U1"):
        cls()(np.array(["a", "b"]), np.zeros(2))
    with pytest.raises(TypeError, match=rf"{cls.__name__}: expected a numeric .*target.*"
                                        r"dtype object"):
        cls()(np.zeros((2, 2)), np.array([None, None]))


@pytest.mark.parametrize("cls", ALL_LOSSES)
def test_empty_prediction(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: expected a non-empty .*got shape "
                                         r"\(0, 3\)"):
        cls()(np.zeros((0, 3)), np.zeros((0, 3)))


def test_huber_bad_delta():
    with pytest.raises(ValueError, match=r"HuberLoss: expected delta > 0, got -1\.0"):
        HuberLoss(delta=-1.0)
    with pytest.raises(ValueError, match=r"HuberLoss: expected delta > 0, got 0\.0"):
        HuberLoss(delta=0)
    with pytest.raises(TypeError, match=r"HuberLoss: expected delta to be a real number, got "
                                        r"str '1'"):
        HuberLoss(delta="1")


def test_bce_prediction_outside_unit_interval():
    with pytest.raises(ValueError, match=r"BCELoss: expected probabilities as prediction in "
                                         r"\[0, 1\], got 1\.2 at position \(1, 0\)\. Apply a "
                                         r"sigmoid first"):
        BCELoss()(np.array([[0.5], [1.2]]), np.array([[1.0], [0.0]]))
    with pytest.raises(ValueError, match=r"BCELoss: .*got nan at position 0"):
        BCELoss()(np.array([np.nan]), np.array([1.0]))


@pytest.mark.parametrize("cls", [BCELoss, BCEWithLogitsLoss, FocalLoss])
def test_binary_targets_outside_unit_interval(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: expected targets in \[0, 1\], got "
                                         r"2\.0 at position 2"):
        cls()(np.array([0.5, 0.5, 0.5]), np.array([1.0, 0.0, 2.0]))
    with pytest.raises(ValueError, match=rf"{cls.__name__}: expected targets in \[0, 1\], got "
                                         r"-1\.0 at position 0"):
        cls()(np.array([0.5]), np.array([-1.0]))


def test_bce_with_logits_bad_pos_weight():
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss: expected pos_weight to be finite "
                                         r"and >= 0, got -2\.0 at position 1"):
        BCEWithLogitsLoss(pos_weight=[1.0, -2.0])
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss: expected pos_weight that "
                                         r"broadcasts to the prediction's shape \(4, 3\).*got "
                                         r"shape \(2,\)"):
        BCEWithLogitsLoss(pos_weight=[1.0, 2.0])(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"BCEWithLogitsLoss: .*broadcasts.*\(3,\).*got shape "
                                         r"\(2, 3\)"):
        BCEWithLogitsLoss(pos_weight=np.ones((2, 3)))(np.zeros(3), np.zeros(3))


def test_cross_entropy_wrong_ndim():
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected a 2-D array of logits, got "
                                         r"shape \(3,\) \(1-D\)\. Pass logits of shape \(m, C\)"):
        CrossEntropyLoss()(np.zeros(3), np.array([1]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected target of shape \(2,\) "
                                         r"with class indices or \(2, 3\) with class "
                                         r"probabilities, got shape \(2, 3, 1\)"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.zeros((2, 3, 1)))


def test_cross_entropy_class_index_out_of_range():
    with pytest.raises(ValueError, match=r"^CrossEntropyLoss: expected class indices in \[0, 3\), "
                                         r"got 5 at position 2\.$"):
        CrossEntropyLoss()(np.zeros((4, 3)), np.array([0, 1, 5, 2]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected class indices in \[0, 3\), "
                                         r"got -1 at position 0"):
        CrossEntropyLoss()(np.zeros((1, 3)), [-1])


def test_cross_entropy_non_integer_class_targets():
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected class indices \(whole "
                                         r"numbers in \[0, 3\)\), got 1\.5 at position 1\. For "
                                         r"class probabilities pass a target of shape \(2, 3\)"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.0, 1.5]))


def test_cross_entropy_wrong_number_of_targets():
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected 4 class indices \(one per "
                                         r"row of the logits\), got target of shape \(3,\)"):
        CrossEntropyLoss()(np.zeros((4, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected target of the same shape "
                                         r"as logits \(4, 3\), got \(4, 2\)"):
        CrossEntropyLoss()(np.zeros((4, 3)), np.full((4, 2), 0.5))


def test_cross_entropy_bad_probability_targets():
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected each row of probability "
                                         r"targets to sum to 1 \(within 1\.0e-06\), got 0\.9 "
                                         r"in row 1"):
        CrossEntropyLoss()(np.zeros((2, 2)), np.array([[0.5, 0.5], [0.4, 0.5]]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected probability targets in "
                                         r"\[0, 1\], got -0\.2 at position \(0, 2\)"):
        CrossEntropyLoss()(np.zeros((1, 3)), np.array([[0.5, 0.7, -0.2]]))
    # within the tolerance is accepted (float32 has a looser one)
    CrossEntropyLoss()(np.zeros((1, 2)), np.array([[0.5, 0.5 + 5e-7]]))
    CrossEntropyLoss()(np.zeros((1, 2), dtype=np.float32), np.array([[0.5, 0.5 + 5e-5]]))


def test_cross_entropy_bad_options():
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected label_smoothing in "
                                         r"\[0, 1\], got 1\.5"):
        CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected label_smoothing in "
                                         r"\[0, 1\], got -0\.1"):
        CrossEntropyLoss(label_smoothing=-0.1)
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected class weights that are "
                                         r"finite and >= 0, got -1\.0 at position 2"):
        CrossEntropyLoss(weight=[1.0, 1.0, -1.0])
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected a 1-D weight, got shape "
                                         r"\(2, 2\)"):
        CrossEntropyLoss(weight=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: expected weight with one entry per "
                                         r"class, shape \(3,\), got shape \(2,\)"):
        CrossEntropyLoss(weight=[1.0, 2.0])(np.zeros((2, 3)), [0, 1])
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: the class weights of the targets "
                                         r"sum to 0.*classes \[1\]"):
        CrossEntropyLoss(weight=[1.0, 0.0])(np.zeros((2, 2)), [1, 1])


def test_focal_bad_options():
    with pytest.raises(ValueError, match=r"FocalLoss: expected gamma >= 0, got -1\.0"):
        FocalLoss(gamma=-1.0)
    with pytest.raises(ValueError, match=r"FocalLoss: expected alpha in \[0, 1\] \(or negative "
                                         r"to switch the class weighting off\), got 1\.5"):
        FocalLoss(alpha=1.5)
    with pytest.raises(ValueError, match=r"FocalLoss: expected a finite alpha, got nan"):
        FocalLoss(alpha=float("nan"))


def test_no_warnings_on_bad_input_paths():
    """Errors are raised before any numpy warning could be emitted."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="BCELoss"):
            BCELoss()(np.array([-0.1]), np.array([0.0]))
