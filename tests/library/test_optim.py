"""nnlib.optim: PyTorch's update rules pinned by hand-computed numbers, convergence, dtypes,
state_dict round trips, gradient clipping and the error messages for bad input."""

import math
import warnings

import numpy as np
import pytest

from nnlib.core import Module, Parameter
from nnlib.optim import (SGD, Adam, AdamW, Optimizer, RMSprop, clip_grad_norm_,
                         clip_grad_value_)


# -- helpers ---------------------------------------------------------------------------------
def run(opt, p, grads):
    """Take one step per gradient in ``grads`` (fixed values, independent of theta) and return
    the parameter's value after each step."""
    out = []
    for g in grads:
        p.grad[...] = g
        opt.step()
        out.append(p.data.copy())
    return out


class TwoParams(Module):
    def __init__(self, dtype=np.float64):
        super().__init__()
        self.w = Parameter(np.array([[1.0, -2.0, 0.5], [0.3, 0.0, -1.5]], dtype=dtype))
        self.b = Parameter(np.array([0.25, -0.75], dtype=dtype))


def quadratic_grads(params):
    """Gradient of f = sum_k 0.5 * a_k theta_k^2 with curvatures a from 1 to 10 (an
    ill-conditioned bowl), plus a sine so that the gradient is not linear."""
    for p in params:
        a = np.linspace(1.0, 10.0, p.data.size).reshape(p.data.shape).astype(p.data.dtype)
        p.grad[...] = a * p.data + 0.1 * np.sin(p.data)


CONFIGS = [
    (SGD, dict(lr=0.05)),
    (SGD, dict(lr=0.01, momentum=0.9)),
    (SGD, dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (SGD, dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (RMSprop, dict(lr=0.01)),
    (RMSprop, dict(lr=0.001, momentum=0.5, centered=True, weight_decay=0.01)),
    (Adam, dict(lr=0.05)),
    (Adam, dict(lr=0.05, weight_decay=0.01, amsgrad=True)),
    (AdamW, dict(lr=0.05)),
    (AdamW, dict(lr=0.05, amsgrad=True, betas=(0.8, 0.99))),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(CONFIGS)]


# -- SGD -------------------------------------------------------------------------------------
def test_sgd_plain_is_theta_minus_lr_g():
    theta = Parameter([1.0, -2.0])
    opt = SGD([theta], lr=0.1)
    for _ in range(3):                              # f = ||theta||^2, g = 2 theta
        theta.grad[...] = 2 * theta.data
        opt.step()
    np.testing.assert_allclose(theta.data, [0.8 ** 3, -2.0 * 0.8 ** 3], rtol=1e-15)


def test_sgd_momentum_dampening_weight_decay_by_hand():
    theta = Parameter([1.0])
    opt = SGD([theta], lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01)
    got = run(opt, theta, [0.5, -0.2, 0.1])
    # step 1: g = 0.5 + 0.01*1 = 0.51; b = g (first step, no dampening); theta = 1 - 0.051
    # step 2: g = -0.2 + 0.01*0.949 = -0.19051; b = 0.9*0.51 + 0.5*g = 0.363745
    #         theta = 0.949 - 0.0363745 = 0.9126255
    # step 3: g = 0.1 + 0.009126255 = 0.109126255; b = 0.9*0.363745 + 0.5*g = 0.3819336275
    #         theta = 0.9126255 - 0.03819336275 = 0.87443213725
    np.testing.assert_allclose(np.ravel(got), [0.949, 0.9126255, 0.87443213725], rtol=1e-13)
    np.testing.assert_allclose(opt.state[0]["momentum_buffer"], [0.3819336275], rtol=1e-13)
    assert opt.state[0]["step"] == 3


def test_sgd_nesterov_by_hand():
    theta = Parameter([1.0])
    opt = SGD([theta], lr=0.1, momentum=0.9, nesterov=True)
    got = run(opt, theta, [0.5, -0.2])
    # step 1: b = 0.5; g = 0.5 + 0.9*0.5 = 0.95; theta = 1 - 0.095 = 0.905
    # step 2: b = 0.45 - 0.2 = 0.25; g = -0.2 + 0.225 = 0.025; theta = 0.905 - 0.0025 = 0.9025
    np.testing.assert_allclose(np.ravel(got), [0.905, 0.9025], rtol=1e-14)


def _sgd_reference(theta, grad_fn, steps, lr, mu, tau, nesterov, wd):
    """PyTorch's SGD pseudo-code on plain Python floats, one coordinate at a time."""
    theta = list(theta)
    buf = [None] * len(theta)
    for _ in range(steps):
        grads = grad_fn(theta)
        for k in range(len(theta)):
            g = grads[k] + wd * theta[k]
            if mu != 0:
                buf[k] = g if buf[k] is None else mu * buf[k] + (1 - tau) * g
                g = g + mu * buf[k] if nesterov else buf[k]
            theta[k] = theta[k] - lr * g
    return theta


@pytest.mark.parametrize("mu, tau, nesterov, wd", [
    (0.0, 0.0, False, 0.0), (0.0, 0.0, False, 0.1), (0.9, 0.0, False, 0.0),
    (0.9, 0.3, False, 0.0), (0.9, 0.3, False, 0.1), (0.5, 0.0, True, 0.0),
    (0.5, 0.0, True, 0.1), (0.0, 0.7, False, 0.1)])
def test_sgd_matches_scalar_reference(mu, tau, nesterov, wd):
    def grad_fn(t):                                  # g_k = 3 theta_k - 1 + theta_k^2
        return [3.0 * x - 1.0 + x * x for x in t]
    theta0 = [0.7, -1.2, 2.0]
    p = Parameter(theta0)
    opt = SGD([p], lr=0.05, momentum=mu, dampening=tau, nesterov=nesterov, weight_decay=wd)
    for _ in range(4):
        p.grad[...] = grad_fn(list(p.data))
        opt.step()
    expected = _sgd_reference(theta0, grad_fn, 4, 0.05, mu, tau, nesterov, wd)
    np.testing.assert_allclose(p.data, expected, rtol=1e-13, atol=1e-15)


def test_momentum_conventions_give_the_same_path_when_eta_ema_is_eta_over_one_minus_beta():
    beta, eta = 0.9, 0.01
    p = Parameter([2.0, -1.0])
    opt = SGD([p], lr=eta, momentum=beta)
    theta_ema, v = np.array([2.0, -1.0]), np.zeros(2)
    for _ in range(20):
        p.grad[...] = np.array([1.0, 5.0]) * p.data             # f = (x^2 + 5 y^2)/2
        opt.step()
        g = np.array([1.0, 5.0]) * theta_ema
        v = beta * v + (1 - beta) * g                           # exponential average
        theta_ema = theta_ema - eta / (1 - beta) * v
    np.testing.assert_allclose(p.data, theta_ema, rtol=1e-12)


def test_weight_decay_leaves_grad_untouched_and_momentum_zero_keeps_no_buffer():
    p = Parameter([1.0, 2.0])
    opt = SGD([p], lr=0.1, weight_decay=0.5)
    p.grad[...] = [0.25, -0.25]
    opt.step()
    assert p.grad.tolist() == [0.25, -0.25]
    np.testing.assert_allclose(p.data, [1 - 0.1 * (0.25 + 0.5), 2 - 0.1 * (-0.25 + 1.0)])
    assert set(opt.state[0]) == {"step"}


# -- RMSprop ---------------------------------------------------------------------------------
def test_rmsprop_by_hand():
    p = Parameter([1.0])
    opt = RMSprop([p], lr=0.01, alpha=0.9)
    got = run(opt, p, [0.5, -0.2])
    v1 = 0.1 * 0.5 ** 2                                         # 0.025
    t1 = 1.0 - 0.01 * 0.5 / (math.sqrt(v1) + 1e-8)
    v2 = 0.9 * v1 + 0.1 * 0.2 ** 2                              # 0.0265
    t2 = t1 + 0.01 * 0.2 / (math.sqrt(v2) + 1e-8)
    np.testing.assert_allclose(np.ravel(got), [t1, t2], rtol=1e-14)
    np.testing.assert_allclose(opt.state[0]["square_avg"], [0.0265], rtol=1e-14)


def test_rmsprop_centered_by_hand():
    p = Parameter([1.0])
    opt = RMSprop([p], lr=0.01, alpha=0.9, centered=True)
    got = run(opt, p, [0.5, -0.2])
    # step 1: v = 0.025, g_avg = 0.05, v - g_avg^2 = 0.0225, sqrt = 0.15
    t1 = 1.0 - 0.01 * 0.5 / (0.15 + 1e-8)
    # step 2: v = 0.0265, g_avg = 0.045 - 0.02 = 0.025, v - g_avg^2 = 0.025875
    t2 = t1 + 0.01 * 0.2 / (math.sqrt(0.025875) + 1e-8)
    np.testing.assert_allclose(np.ravel(got), [t1, t2], rtol=1e-13)


def test_rmsprop_momentum_and_weight_decay_by_hand():
    p = Parameter([1.0])
    opt = RMSprop([p], lr=0.01, alpha=0.9, momentum=0.5, weight_decay=0.1)
    got = run(opt, p, [0.5, -0.2])
    g1 = 0.5 + 0.1 * 1.0                                        # 0.6
    v1 = 0.1 * g1 ** 2
    b1 = g1 / (math.sqrt(v1) + 1e-8)                            # buffer starts at zero
    t1 = 1.0 - 0.01 * b1
    g2 = -0.2 + 0.1 * t1
    v2 = 0.9 * v1 + 0.1 * g2 ** 2
    b2 = 0.5 * b1 + g2 / (math.sqrt(v2) + 1e-8)
    t2 = t1 - 0.01 * b2
    np.testing.assert_allclose(np.ravel(got), [t1, t2], rtol=1e-13)


@pytest.mark.filterwarnings("error")
def test_rmsprop_centered_constant_gradient_stays_finite():
    # v - g_avg^2 is exactly zero in exact arithmetic here; rounding must not give NaN
    p = Parameter(np.full(5, 1.0))
    opt = RMSprop([p], lr=1e-3, alpha=0.9, centered=True, eps=1e-8)
    for _ in range(50):
        p.grad[...] = 0.1
        opt.step()
    assert np.all(np.isfinite(p.data))


# -- Adam and AdamW --------------------------------------------------------------------------
def test_adam_three_steps_by_hand():
    p = Parameter([1.0])
    opt = Adam([p], lr=0.1)                          # betas (0.9, 0.999), eps 1e-8
    got = run(opt, p, [0.5, -0.2, 0.1])
    m, v, theta, expected = 0.0, 0.0, 1.0, []
    for t, g in enumerate([0.5, -0.2, 0.1], start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        m_hat = m / (1 - 0.9 ** t)
        v_hat = v / (1 - 0.999 ** t)
        theta = theta - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
        expected.append(theta)
    np.testing.assert_allclose(np.ravel(got), expected, rtol=1e-13)
    # the first step, written out: m_hat = 0.05 / 0.1 = 0.5, v_hat = 0.00025 / 0.001 = 0.25
    assert got[0][0] == pytest.approx(1.0 - 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-15)
    # the second: m = 0.025, v = 0.00028975, bias corrections 0.19 and 0.001999
    assert got[1][0] == pytest.approx(
        got[0][0] - 0.1 * (0.025 / 0.19) / (math.sqrt(0.00028975 / 0.001999) + 1e-8), rel=1e-13)


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_first_step_is_about_lr_times_sign_of_g(cls, dtype):
    g = np.array([1e-4, -3e-2, 5.0, -2e3, 7e5])
    p = Parameter(np.zeros(5, dtype=dtype))
    opt = cls([p], lr=0.01, weight_decay=0.0)
    p.grad[...] = g
    opt.step()
    np.testing.assert_allclose(p.data, -0.01 * np.sign(g), rtol=2e-4)


def test_amsgrad_uses_the_running_maximum_of_v():
    p = Parameter([0.0])
    opt = Adam([p], lr=0.1, betas=(0.5, 0.5), amsgrad=True)
    plain_p = Parameter([0.0])
    plain = Adam([plain_p], lr=0.1, betas=(0.5, 0.5))
    got = run(opt, p, [1.0, 0.1])
    got_plain = run(plain, plain_p, [1.0, 0.1])
    # step 1: m = 0.5, v = 0.5, v_max = 0.5, bias corrections 0.5 -> m_hat = 1, v_hat = 1
    t1 = -0.1 * 1.0 / (1.0 + 1e-8)
    # step 2: m = 0.3, v = 0.255 < v_max = 0.5; bias corrections 0.75
    t2 = t1 - 0.1 * (0.3 / 0.75) / (math.sqrt(0.5 / 0.75) + 1e-8)
    t2_plain = t1 - 0.1 * (0.3 / 0.75) / (math.sqrt(0.255 / 0.75) + 1e-8)
    np.testing.assert_allclose(np.ravel(got), [t1, t2], rtol=1e-13)
    np.testing.assert_allclose(np.ravel(got_plain), [t1, t2_plain], rtol=1e-13)
    assert opt.state[0]["max_exp_avg_sq"][0] == 0.5


def test_adamw_by_hand_and_difference_from_adam_l2():
    w, a = Parameter([2.0]), Parameter([2.0])
    adamw = AdamW([w], lr=0.1, weight_decay=0.1)
    adam = Adam([a], lr=0.1, weight_decay=0.1)
    w_got, a_got = run(adamw, w, [0.5]), run(adam, a, [0.5])
    # AdamW: theta = 2 * (1 - 0.1*0.1) = 1.98, then the Adam step on g = 0.5 moves by ~0.1
    assert w_got[0][0] == pytest.approx(1.98 - 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-14)
    # Adam + L2: g = 0.5 + 0.1*2 = 0.7 enters m and v, and the first step is still ~lr
    assert a_got[0][0] == pytest.approx(2.0 - 0.1 * 0.7 / (0.7 + 1e-8), rel=1e-14)


def test_decoupled_decay_is_the_same_factor_for_every_weight_but_l2_is_normalised_away():
    g = np.array([1e3, 1.0, 0.0])                    # very different gradient scales
    theta0 = np.array([1.0, 1.0, 1.0])

    def moved(cls, wd):
        p = Parameter(theta0)
        opt = cls([p], lr=0.01, weight_decay=wd)
        for _ in range(3):
            p.grad[...] = g
            opt.step()
        return p.data

    decay_w = moved(AdamW, 0.0) - moved(AdamW, 0.5)  # what the decay did in 3 steps
    # AdamW: theta_t = c theta_{t-1} - s with c = 1 - lr*wd = 0.995 and the same Adam step
    # s = lr * g / (|g| + eps) in both runs (0.01, 0.01, 0), so the decay did
    # (1 - c^3) - s (3 - c^2 - c - 1): proportional to theta, whatever the gradient
    c, s = 0.995, np.array([0.01, 0.01, 0.0])
    np.testing.assert_allclose(decay_w, (1 - c ** 3) - s * (3 - c ** 2 - c - 1), rtol=1e-6)
    # Adam + L2: the penalty's gradient wd*theta goes through m / sqrt(v). Next to a loss
    # gradient of 1000 it does nothing; where the loss gradient is 0 it is normalised to a
    # step of ~lr whatever wd is: 3 steps ~ 0.03 for wd = 0.5 and for wd = 0.005 alike
    decay_l2 = moved(Adam, 0.0) - moved(Adam, 0.5)
    assert abs(decay_l2[0]) < 1e-5
    assert decay_l2[2] == pytest.approx(0.03, rel=1e-3)
    assert (moved(Adam, 0.0) - moved(Adam, 0.005))[2] == pytest.approx(0.03, rel=1e-3)
    # AdamW with no decay is Adam
    np.testing.assert_array_equal(moved(AdamW, 0.0), moved(Adam, 0.0))


def test_adamw_with_zero_gradient_only_decays():
    p = Parameter([2.0, -4.0])
    opt = AdamW([p], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        opt.step()                                   # grad is zero: m stays 0
    np.testing.assert_allclose(p.data, np.array([2.0, -4.0]) * 0.95 ** 3, rtol=1e-15)


# -- every optimiser -------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=IDS)
def test_converges_on_an_ill_conditioned_quadratic(cls, kwargs):
    model = TwoParams()
    opt = cls(model, **kwargs)

    def loss():
        return sum(float(np.sum(np.linspace(1, 10, p.data.size) * p.data.ravel() ** 2)) / 2
                   for p in model.parameters())

    start = loss()
    for _ in range(1500):
        opt.zero_grad()
        quadratic_grads(model.parameters())
        opt.step()
    assert loss() < 1e-3 * start
    assert all(np.abs(p.data).max() < 0.05 for p in model.parameters())


@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=IDS)
def test_float32_stays_float32(cls, kwargs):
    model = TwoParams(dtype=np.float32)
    opt = cls(model, **kwargs)
    for step in range(5):
        quadratic_grads(model.parameters())
        opt.lr = np.float64(kwargs["lr"]) * 0.9 ** step       # as a schedule might set it
        opt.step()
    for p, state in zip(model.parameters(), opt.state, strict=True):
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
        assert all(v.dtype == np.float32 for v in state.values() if isinstance(v, np.ndarray))
    assert type(opt.lr) is float


@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=IDS)
def test_state_dict_round_trip_continues_exactly(cls, kwargs):
    a = TwoParams()
    opt_a = cls(a, **kwargs)
    for _ in range(4):
        opt_a.zero_grad()
        quadratic_grads(a.parameters())
        opt_a.step()
    saved, saved_model = opt_a.state_dict(), a.state_dict()

    b = TwoParams()
    b.load_state_dict(saved_model)
    opt_b = cls(b, lr=123.0)                          # other hyper-parameters come from the dict
    opt_b.load_state_dict(saved)
    assert opt_b.lr == opt_a.lr
    for _ in range(5):
        for model, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            quadratic_grads(model.parameters())
            opt.step()
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert opt_a.state[0]["step"] == opt_b.state[0]["step"] == 9
    # the saved dict was a copy: training on did not change it
    assert saved["state"][0]["step"] == 4


def test_state_dict_layout_and_copies():
    p = Parameter([1.0, 2.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad[...] = 1.0
    opt.step()
    sd = opt.state_dict()
    assert sd["hyperparams"] == {"lr": 0.1, "momentum": 0.9, "dampening": 0.0,
                                 "nesterov": False, "weight_decay": 0.0}
    assert set(sd["state"]) == {0} and sd["state"][0]["step"] == 1
    sd["state"][0]["momentum_buffer"][:] = 99.0
    assert opt.state[0]["momentum_buffer"].tolist() == [1.0, 1.0]
    opt.load_state_dict(sd)
    sd["state"][0]["momentum_buffer"][:] = -1.0          # loading copied it
    assert opt.state[0]["momentum_buffer"].tolist() == [99.0, 99.0]


def test_zero_grad_and_module_and_generator_inputs():
    model = TwoParams()
    for params in (model, model.parameters(), tuple(model.parameters()),
                   (p for p in model.parameters())):
        opt = Adam(params)
        assert opt.params == model.parameters()
    for p in model.parameters():
        p.grad += 3.0
    opt.zero_grad()
    assert not any(p.grad.any() for p in model.parameters())


@pytest.mark.parametrize("cls, kwargs", CONFIGS, ids=IDS)
def test_scalar_parameter_matches_a_one_element_vector(cls, kwargs):
    scalar, vector = Parameter(3.0), Parameter([3.0])
    opt_s, opt_v = cls([scalar], **kwargs), cls([vector], **kwargs)
    for _ in range(3):
        scalar.grad[...] = 2 * scalar.data + 1
        vector.grad[...] = 2 * vector.data + 1
        opt_s.step()
        opt_v.step()
    assert scalar.data.shape == () and scalar.data == vector.data[0]


def test_base_optimizer_step_is_abstract_and_repr():
    opt = Optimizer([Parameter([1.0])], lr=0.5)
    with pytest.raises(NotImplementedError, match="Optimizer does not implement step"):
        opt.step()
    assert repr(SGD([Parameter([1.0])], lr=0.1, momentum=0.9)) == (
        "SGD(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0, "
        "parameters=1)")


def test_global_random_state_is_never_touched():
    before = np.random.get_state()[1].copy()
    for cls, kwargs in CONFIGS:
        model = TwoParams()
        opt = cls(model, **kwargs)
        quadratic_grads(model.parameters())
        opt.step()
        clip_grad_norm_(model, 0.1)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# -- gradient clipping -----------------------------------------------------------------------
def _two_grads(a, b, dtype=np.float64):
    p, q = Parameter(np.zeros(len(a), dtype)), Parameter(np.zeros((1, len(b)), dtype))
    p.grad[...] = a
    q.grad[...] = [b]
    return p, q


def test_clip_grad_norm_returns_the_norm_before_and_clips_to_max_norm():
    p, q = _two_grads([3.0, 0.0, -12.0], [4.0])     # norm sqrt(9 + 144 + 16) = 13
    total = clip_grad_norm_([p, q], max_norm=2.0)
    assert total == pytest.approx(13.0, rel=1e-15)
    new_norm = math.sqrt(np.sum(p.grad ** 2) + np.sum(q.grad ** 2))
    assert new_norm == pytest.approx(2.0, rel=1e-6)     # 2 * 13 / (13 + 1e-6)
    np.testing.assert_allclose(p.grad, np.array([3.0, 0.0, -12.0]) * 2.0 / (13.0 + 1e-6),
                               rtol=1e-15)


def test_clip_grad_norm_is_a_no_op_below_max_norm():
    p, q = _two_grads([3.0, 0.0], [4.0])
    assert clip_grad_norm_([p, q], max_norm=5.1) == pytest.approx(5.0)
    assert p.grad.tolist() == [3.0, 0.0] and q.grad.tolist() == [[4.0]]


def test_clip_grad_norm_inf_and_one_norms():
    p, q = _two_grads([-7.0, 2.0], [3.0])
    assert clip_grad_norm_([p, q], max_norm=3.5, norm_type=math.inf) == 7.0
    assert np.abs(p.grad).max() == pytest.approx(3.5, rel=1e-6)
    np.testing.assert_allclose(q.grad, [[3.0 * 3.5 / (7.0 + 1e-6)]], rtol=1e-15)
    p, q = _two_grads([-7.0, 2.0], [3.0])
    assert clip_grad_norm_([p, q], max_norm=6.0, norm_type="inf") == 7.0
    p, q = _two_grads([-7.0, 2.0], [3.0])
    assert clip_grad_norm_([p, q], max_norm=6.0, norm_type=1) == pytest.approx(12.0)
    assert np.abs(p.grad).sum() + np.abs(q.grad).sum() == pytest.approx(6.0, rel=1e-6)


def test_clip_grad_norm_accepts_module_single_parameter_and_empty_list():
    model = TwoParams(dtype=np.float32)
    for p in model.parameters():
        p.grad[...] = 10.0                           # 8 entries: norm sqrt(800)
    total = clip_grad_norm_(model, max_norm=1.0)
    assert total == pytest.approx(math.sqrt(800.0), rel=1e-6)
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    single = Parameter([0.0, 0.0])
    single.grad[...] = [0.0, 8.0]
    assert clip_grad_norm_(single, 4.0) == 8.0 and single.grad[1] == pytest.approx(4.0)
    assert clip_grad_norm_([], 1.0) == 0.0


def test_clip_grad_norm_nonfinite():
    p, q = _two_grads([np.inf, 1.0], [1.0])
    with pytest.raises(ValueError, match=r"clip_grad_norm_: the total 2.0-norm of the gradients "
                                         r"is inf"):
        clip_grad_norm_([p, q], 1.0, error_if_nonfinite=True)
    assert p.grad[1] == 1.0                          # unchanged after the error


def test_clip_grad_value_clamps_in_place():
    p, q = _two_grads([-3.0, 0.5], [2.0])
    grad = p.grad
    assert clip_grad_value_([p, q], 1.0) is None
    assert p.grad is grad and p.grad.tolist() == [-1.0, 0.5] and q.grad.tolist() == [[1.0]]


# -- bad input -------------------------------------------------------------------------------
def _p():
    return Parameter([1.0, 2.0])


BAD = [
    (lambda: SGD([], lr=0.1), ValueError,
     r"^SGD: got an empty parameter list; pass model\.parameters\(\)\.$"),
    (lambda: Adam(Module()), ValueError, r"^Adam: got an empty parameter list"),
    (lambda: SGD({_p(), _p()}, lr=0.1), TypeError,
     r"SGD: .*got a set; a set has no stable order"),
    (lambda: SGD([_p(), np.zeros(2)], lr=0.1), TypeError,
     r"SGD: expected every item of params to be a Parameter, got ndarray at position 1"),
    (lambda: SGD(_p(), lr=0.1), TypeError, r"SGD: .*got a single Parameter; wrap it in a list"),
    (lambda: SGD(TwoParams().state_dict(), lr=0.1), TypeError,
     r"SGD: expected Parameters, got a OrderedDict; pass model\.parameters\(\), not "
     r"model\.state_dict\(\)"),
    (lambda: SGD(np.zeros(3), lr=0.1), TypeError,
     r"SGD: expected Parameters, got a numpy array of shape \(3,\)"),
    (lambda: RMSprop(5), TypeError, r"RMSprop: expected a Module or an iterable of Parameters.*"
                                    r"got int"),
    (lambda: (lambda p: SGD([p, _p(), p], lr=0.1))(_p()), ValueError,
     r"SGD: the Parameter at position 2 is the same object as the one at position 0"),
    (lambda: SGD([_p()], lr=-0.1), ValueError, r"SGD: expected lr >= 0, got -0\.1"),
    (lambda: Adam([_p()], lr=math.nan), ValueError, r"Adam: expected a finite lr, got nan"),
    (lambda: SGD([_p()], lr="0.1"), TypeError, r"SGD: expected lr to be a real number, got str"),
    (lambda: SGD([_p()], lr=0.1, momentum=-0.5), ValueError,
     r"SGD: expected momentum >= 0, got -0\.5"),
    (lambda: SGD([_p()], lr=0.1, dampening=1.5), ValueError,
     r"SGD: expected dampening in \[0, 1\], got 1\.5"),
    (lambda: SGD([_p()], lr=0.1, nesterov=True), ValueError,
     r"SGD: nesterov=True needs momentum > 0 and dampening = 0 \(PyTorch's rule\), got "
     r"momentum=0\.0, dampening=0\.0"),
    (lambda: SGD([_p()], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     r"SGD: nesterov=True needs .*dampening=0\.1"),
    (lambda: SGD([_p()], lr=0.1, momentum=0.9, nesterov="yes"), TypeError,
     r"SGD: expected nesterov to be True or False, got str 'yes'"),
    (lambda: SGD([_p()], lr=0.1, weight_decay=math.inf), ValueError,
     r"SGD: expected a finite weight_decay, got inf"),
    (lambda: AdamW([_p()], weight_decay=-1e-2), ValueError,
     r"AdamW: expected weight_decay >= 0, got -0\.01"),
    (lambda: Adam([_p()], betas=(0.9, 1.0)), ValueError,
     r"Adam: expected betas\[1\] in \[0, 1\), got 1\.0"),
    (lambda: Adam([_p()], betas=(-0.1, 0.999)), ValueError,
     r"Adam: expected betas\[0\] in \[0, 1\), got -0\.1"),
    (lambda: Adam([_p()], betas=0.9), TypeError,
     r"Adam: expected betas to be a pair \(beta1, beta2\), got float 0\.9"),
    (lambda: Adam([_p()], eps=-1e-8), ValueError, r"Adam: expected eps >= 0, got -1e-08"),
    (lambda: RMSprop([_p()], alpha=1.0), ValueError,
     r"RMSprop: expected alpha in \[0, 1\), got 1\.0"),
    (lambda: RMSprop([_p()], eps=math.inf), ValueError, r"RMSprop: expected a finite eps"),
    (lambda: RMSprop([_p()], centered=1), TypeError,
     r"RMSprop: expected centered to be True or False, got int 1"),
    (lambda: clip_grad_norm_([_p()], 0.0), ValueError,
     r"clip_grad_norm_: expected max_norm > 0, got 0\.0"),
    (lambda: clip_grad_norm_([_p()], 1.0, norm_type=-2), ValueError,
     r"clip_grad_norm_: expected norm_type > 0 \(e\.g\. 2\.0, 1\.0 or inf\), got -2\.0"),
    (lambda: clip_grad_norm_([_p()], 1.0, norm_type="two"), TypeError,
     r"clip_grad_norm_: expected norm_type to be a positive number or inf, got str 'two'"),
    (lambda: clip_grad_norm_([_p(), "w"], 1.0), TypeError,
     r"clip_grad_norm_: expected every item of params to be a Parameter, got str at position 1"),
    (lambda: clip_grad_value_([_p()], -1.0), ValueError,
     r"clip_grad_value_: expected clip_value > 0, got -1\.0"),
]


@pytest.mark.parametrize("make, error, match", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_raises_a_clear_error(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_setting_a_bad_lr_later_is_refused():
    opt = SGD([_p()], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: expected lr >= 0, got -1\.0"):
        opt.lr = -1.0
    assert opt.lr == 0.1


def test_load_state_dict_refuses_a_mismatched_state():
    model = TwoParams()
    opt = Adam(model)
    quadratic_grads(model.parameters())
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match=r"Adam\.load_state_dict: expected state for 1 "
                                         r"parameters \(keys 0 to 0\), got keys \[0, 1\]"):
        Adam([_p()]).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"SGD\.load_state_dict: expected hyperparams \["):
        SGD(model, lr=0.1).load_state_dict(sd)
    with pytest.raises(TypeError, match=r"Adam\.load_state_dict: expected the dict returned by "
                                        r"Adam\.state_dict\(\)"):
        opt.load_state_dict([1, 2])
    bad = opt.state_dict()
    bad["state"][1]["exp_avg"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"expected state\[1\]\['exp_avg'\] of the parameter's "
                                         r"shape \(2,\), got \(3,\)"):
        opt.load_state_dict(bad)
    bad = opt.state_dict()
    bad["hyperparams"]["betas"] = (0.9, 2.0)
    with pytest.raises(ValueError, match=r"Adam\.load_state_dict: expected betas\[1\] in"):
        opt.load_state_dict(bad)
    # nothing was changed by the failed loads
    assert opt.state[0]["step"] == 1 and opt.betas == (0.9, 0.999)


def test_no_warnings_for_large_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cls, kwargs in CONFIGS:
            p = Parameter(np.array([1e4, -1e4, 0.0]))
            opt = cls([p], **kwargs)
            for _ in range(3):
                p.grad[...] = [1e4, -1e4, 0.0]
                opt.step()
            assert np.all(np.isfinite(p.data))
