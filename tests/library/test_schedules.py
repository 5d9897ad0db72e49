"""nnlib.schedules: PyTorch's closed forms at chosen steps and boundaries, the warmup
handover, one-cycle phases, ReduceLROnPlateau's bookkeeping, state dicts, schedule_values and
the error messages for bad input."""

import math

import numpy as np
import pytest

from nnlib.core import Parameter
from nnlib.optim import SGD, Adam
from nnlib.schedules import (CosineAnnealingLR, ExponentialLR, LinearWarmup, OneCycleLR,
                             ReduceLROnPlateau, Schedule, StepLR, schedule_values)


def make_opt(lr=0.1):
    return SGD([Parameter([1.0, 2.0])], lr=lr)


def lrs(schedule, steps):
    """optimizer.lr at step 0 and after each of steps - 1 calls to step()."""
    out = [schedule.optimizer.lr]
    for _ in range(steps - 1):
        schedule.step()
        out.append(schedule.optimizer.lr)
    return out


# -- closed forms ----------------------------------------------------------------------------
def test_step_lr():
    opt = make_opt(0.1)
    s = StepLR(opt, step_size=3, gamma=0.5)
    np.testing.assert_allclose(lrs(s, 8), [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025],
                               rtol=1e-15)
    assert s.last_step == 7 and s.get_lr() == opt.lr == pytest.approx(0.025)
    assert s.base_lr == 0.1


def test_exponential_lr():
    s = ExponentialLR(make_opt(0.2), gamma=0.9)
    np.testing.assert_allclose(lrs(s, 4), [0.2, 0.18, 0.162, 0.1458], rtol=1e-14)


def test_cosine_annealing_closed_form_and_boundaries():
    s = CosineAnnealingLR(make_opt(0.1), T_max=4, eta_min=0.01)
    got = lrs(s, 9)
    # eta_min + (base - eta_min) (1 + cos(pi t / 4)) / 2 with cos(pi/4) = 0.70710678...
    half_sqrt2 = math.sqrt(2.0) / 2.0
    expected = [0.1, 0.01 + 0.09 * (1 + half_sqrt2) / 2, 0.055, 0.01 + 0.09 * (1 - half_sqrt2) / 2,
                0.01,
                # past T_max the closed form rises again (period 2 T_max)
                0.01 + 0.09 * (1 - half_sqrt2) / 2, 0.055, 0.01 + 0.09 * (1 + half_sqrt2) / 2,
                0.1]
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert got[4] == 0.01                             # exactly eta_min at t = T_max


def test_cosine_recursive_form_of_pytorch_matches_closed_form_up_to_t_max():
    # PyTorch's recursion: lr_t = eta_min + (lr_{t-1} - eta_min) (1 + cos(pi t/T)) /
    # (1 + cos(pi (t-1)/T)), written out here independently
    T, base, eta_min = 10, 0.3, 0.02
    s = CosineAnnealingLR(make_opt(base), T_max=T, eta_min=eta_min)
    lr = base
    for t in range(1, T + 1):
        lr = eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / T)) / \
            (1 + math.cos(math.pi * (t - 1) / T))
        s.step()
        assert s.get_lr() == pytest.approx(lr, rel=1e-12, abs=1e-15)


def test_linear_warmup_default_start_factor_climbs_in_equal_steps():
    s = LinearWarmup(make_opt(0.5), warmup_steps=4)
    # default start_factor 1/(W+1): lr_t = 0.5 (t + 1) / 5, then stays at 0.5
    np.testing.assert_allclose(lrs(s, 7), [0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5], rtol=1e-14)


def test_linear_warmup_with_start_factor_is_torch_linear_lr():
    s = LinearWarmup(make_opt(1.0), warmup_steps=3, start_factor=0.25)
    # 0.25 + 0.75 t / 3
    np.testing.assert_allclose(lrs(s, 5), [0.25, 0.5, 0.75, 1.0, 1.0], rtol=1e-15)


def test_warmup_then_cosine_hands_over_with_a_fresh_counter():
    opt = make_opt(0.1)
    cosine = CosineAnnealingLR(opt, T_max=4)
    assert opt.lr == 0.1
    s = LinearWarmup(opt, warmup_steps=2, after=cosine)
    assert opt.lr == pytest.approx(0.1 / 3) and cosine.last_step == 0
    got = lrs(s, 8)
    half_sqrt2 = math.sqrt(2.0) / 2.0
    expected = [0.1 / 3, 0.2 / 3, 0.1, 0.1 * (1 + half_sqrt2) / 2, 0.05,
                0.1 * (1 - half_sqrt2) / 2, 0.0, 0.1 * (1 - half_sqrt2) / 2]
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-17)
    assert s.last_step == 7 and cosine.last_step == 5 and s.get_lr() == cosine.get_lr()


def test_warmup_then_step_lr():
    opt = make_opt(1.0)
    s = LinearWarmup(opt, 1, after=StepLR(opt, step_size=2, gamma=0.1), start_factor=0.5)
    np.testing.assert_allclose(lrs(s, 6), [0.5, 1.0, 1.0, 0.1, 0.1, 0.01], rtol=1e-14)


def test_one_cycle_two_phases_cos():
    opt = make_opt(123.0)                              # its own lr is replaced
    s = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    assert opt.lr == pytest.approx(0.04) and s.get_lr() == opt.lr
    got = lrs(s, 11)
    initial, final = 1.0 / 25, 1.0 / 25 / 1e4
    # phase 1 from step 0 to 0.3*10 - 1 = 2, phase 2 from 2 to 9 (cosine in both)
    def cos_anneal(a, b, f):
        return b + (a - b) * (1 + math.cos(math.pi * f)) / 2
    expected = [cos_anneal(initial, 1.0, t / 2) for t in range(3)] + \
        [cos_anneal(1.0, final, (t - 2) / 7) for t in range(3, 11)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[1] == pytest.approx(0.52) and got[2] == pytest.approx(1.0)
    assert got[9] == pytest.approx(4e-6) and int(np.argmax(got)) == 2
    # step 10 (= total_steps) is allowed, as in PyTorch; one more is not
    with pytest.raises(ValueError, match=r"OneCycleLR: tried to step 11 times, but "
                                         r"total_steps is 10"):
        s.step()
    assert s.last_step == 10 and opt.lr == got[10]


def test_one_cycle_linear_and_three_phase():
    s = OneCycleLR(make_opt(), max_lr=2.0, total_steps=20, pct_start=0.25, anneal="linear",
                   div_factor=4.0, final_div_factor=10.0, three_phase=True)
    got = lrs(s, 20)
    # initial 0.5, max 2, final 0.05; phases end at 4, 8 and 19
    expected = [0.5 + 1.5 * t / 4 for t in range(5)] + \
        [2.0 - 1.5 * (t - 4) / 4 for t in range(5, 9)] + \
        [0.5 - 0.45 * (t - 8) / 11 for t in range(9, 20)]
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    assert got[4] == 2.0 and got[8] == pytest.approx(0.5) and got[19] == pytest.approx(0.05)


def test_reduce_on_plateau_patience_and_rel_threshold():
    opt = make_opt(1.0)
    s = ReduceLROnPlateau(opt, factor=0.5, patience=2)
    got = []
    for metric in [1.0, 0.9, 0.95, 0.95, 0.95, 0.8999, 0.8, 0.8]:
        s.step(metric)
        got.append(opt.lr)
    # 1.0 and 0.9 improve; three bad steps (> patience 2) halve the rate; 0.8999 is not
    # better than 0.9 * (1 - 1e-4) = 0.89991; 0.8 is
    assert got == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    assert s.best == 0.8 and s.num_bad_epochs == 1 and s.last_step == 8
    assert s.get_lr() == 0.5


def test_reduce_on_plateau_cooldown_and_min_lr():
    opt = make_opt(1.0)
    s = ReduceLROnPlateau(opt, factor=0.1, patience=0, cooldown=2, min_lr=0.005)
    got = []
    for metric in [1.0] * 9:
        s.step(metric)
        got.append(opt.lr)
    # step 1 improves (from inf); step 2 is bad -> 0.1, then two cooldown steps; step 5 ->
    # 0.01; steps 6, 7 cooldown; step 8 -> max(0.001, 0.005) = 0.005; step 9: cooldown
    np.testing.assert_allclose(got, [1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.005, 0.005])
    for _ in range(5):
        s.step(1.0)
    assert opt.lr == 0.005


def test_reduce_on_plateau_max_mode_abs_threshold_and_eps():
    opt = make_opt(1.0)
    s = ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=0, threshold=0.1,
                          threshold_mode="abs")
    got = []
    for metric in [0.5, 0.65, 0.7, float("nan"), 0.9]:
        s.step(np.float32(metric) if metric == 0.9 else metric)
        got.append(opt.lr)
    # 0.5 > -inf; 0.65 > 0.5 + 0.1; 0.7 < 0.75 is bad -> halve; NaN is bad -> halve;
    # 0.9 > 0.75
    assert got == [1.0, 1.0, 0.5, 0.25, 0.25]
    # a reduction smaller than eps is skipped
    opt2 = make_opt(1e-8)
    s2 = ReduceLROnPlateau(opt2, patience=0)
    s2.step(1.0)
    s2.step(1.0)
    assert opt2.lr == 1e-8


def test_plateau_does_not_change_lr_at_construction_and_respects_a_manual_change():
    opt = make_opt(0.3)
    s = ReduceLROnPlateau(opt, factor=0.5, patience=0)
    assert opt.lr == 0.3 and s.get_lr() == 0.3
    s.step(1.0)
    opt.lr = 0.8                                       # changed by hand
    s.step(2.0)
    assert opt.lr == 0.4


def test_schedules_work_with_any_optimiser_and_keep_float32():
    p = Parameter(np.ones(3, np.float32))
    opt = Adam([p], lr=0.01)
    s = LinearWarmup(opt, 3, after=CosineAnnealingLR(opt, 5))
    for _ in range(6):
        p.grad[...] = 1.0
        opt.step()
        s.step()
    assert p.data.dtype == np.float32 and type(opt.lr) is float


# -- state dicts -----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda o: StepLR(o, 2, 0.5),
    lambda o: ExponentialLR(o, 0.9),
    lambda o: CosineAnnealingLR(o, 7, eta_min=0.001),
    lambda o: LinearWarmup(o, 3),
    lambda o: LinearWarmup(o, 3, after=CosineAnnealingLR(o, 6)),
    lambda o: OneCycleLR(o, 1.0, 12, three_phase=True),
], ids=["step", "exp", "cos", "warmup", "warmup-cos", "onecycle"])
def test_state_dict_round_trip(make):
    a = make(make_opt(0.1))
    for _ in range(4):
        a.step()
    saved = a.state_dict()
    opt_b = make_opt(0.1)
    b = make(opt_b)
    b.load_state_dict(saved)
    assert b.last_step == 4 and opt_b.lr == a.optimizer.lr
    for _ in range(5):
        a.step()
        b.step()
        assert b.get_lr() == a.get_lr() and opt_b.lr == a.optimizer.lr


def test_plateau_state_dict_round_trip():
    opt_a = make_opt(1.0)
    a = ReduceLROnPlateau(opt_a, factor=0.5, patience=1, cooldown=1)
    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8]
    for m in metrics[:5]:
        a.step(m)
    saved_s, saved_o = a.state_dict(), opt_a.state_dict()
    opt_b = make_opt(1.0)
    opt_b.load_state_dict(saved_o)
    b = ReduceLROnPlateau(opt_b)
    b.load_state_dict(saved_s)
    assert (b.best, b.num_bad_epochs, b.cooldown_counter, b.patience) == \
        (a.best, a.num_bad_epochs, a.cooldown_counter, 1)
    for m in metrics[5:]:
        a.step(m)
        b.step(m)
        assert opt_b.lr == opt_a.lr
    assert opt_a.lr < 0.5


def test_load_state_dict_errors():
    s = StepLR(make_opt(), 2)
    with pytest.raises(ValueError, match=r"StepLR\.load_state_dict: expected keys \['base_lr', "
                                         r"'gamma', 'last_step', 'step_size'\], got \['T_max', "
                                         r"'base_lr', 'gamma', 'last_step', 'step_size'\]"):
        s.load_state_dict({**s.state_dict(), "T_max": 3})
    with pytest.raises(TypeError, match=r"StepLR\.load_state_dict: expected the dict returned "
                                        r"by state_dict\(\), got list"):
        s.load_state_dict([])
    opt = make_opt()
    w = LinearWarmup(opt, 2)
    with_after = LinearWarmup(opt, 2, after=CosineAnnealingLR(opt, 3)).state_dict()
    with pytest.raises(ValueError, match=r"LinearWarmup\.load_state_dict: the saved state has an "
                                         r"after schedule, but this LinearWarmup has none"):
        w.load_state_dict(with_after)
    with pytest.raises(ValueError, match=r"StepLR\.load_state_dict: expected last_step >= 0, "
                                         r"got -1"):
        s.load_state_dict({**s.state_dict(), "last_step": -1})


# -- schedule_values -------------------------------------------------------------------------
def test_schedule_values():
    v = schedule_values(lambda o: StepLR(o, 2, 0.5), steps=5, lr=0.4)
    assert v.shape == (5,) and v.dtype == np.float64
    np.testing.assert_allclose(v, [0.4, 0.4, 0.2, 0.2, 0.1])
    np.testing.assert_array_equal(schedule_values(lambda o: ExponentialLR(o, 0.5), 1), [1.0])
    v = schedule_values(lambda o: LinearWarmup(o, 2, after=ExponentialLR(o, 0.5)), steps=5)
    np.testing.assert_allclose(v, [1 / 3, 2 / 3, 1.0, 0.5, 0.25])
    v = schedule_values(lambda o: ReduceLROnPlateau(o, factor=0.5, patience=0), 4,
                        metrics=[3.0, 3.0, 3.0, 99.0])
    np.testing.assert_allclose(v, [1.0, 1.0, 0.5, 0.25])
    assert len(schedule_values(lambda o: OneCycleLR(o, 1.0, 10), 11)) == 11


def test_requires_metric_flag_and_repr():
    assert ReduceLROnPlateau.requires_metric and not StepLR.requires_metric
    assert repr(StepLR(make_opt(0.5), 3, gamma=0.5)) == \
        "StepLR(step_size=3, gamma=0.5, last_step=0, lr=0.5)"


def test_global_random_state_is_never_touched():
    before = np.random.get_state()[1].copy()
    schedule_values(lambda o: OneCycleLR(o, 1.0, 50), 50)
    schedule_values(lambda o: LinearWarmup(o, 5, after=CosineAnnealingLR(o, 45)), 50)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# -- bad input -------------------------------------------------------------------------------
def _other_after():
    return CosineAnnealingLR(make_opt(), 3)


def _stepped_after(opt):
    s = CosineAnnealingLR(opt, 3)
    s.step()
    return s


BAD = [
    (lambda o: StepLR(o, step_size=0), ValueError, r"StepLR: expected step_size >= 1, got 0"),
    (lambda o: StepLR(o, step_size=2.5), TypeError,
     r"StepLR: expected step_size to be an integer, got float 2\.5"),
    (lambda o: StepLR(o, 2, gamma=0.0), ValueError, r"StepLR: expected gamma > 0, got 0\.0"),
    (lambda o: ExponentialLR(o, gamma=-0.9), ValueError,
     r"ExponentialLR: expected gamma > 0, got -0\.9"),
    (lambda o: CosineAnnealingLR(o, T_max=0), ValueError,
     r"CosineAnnealingLR: expected T_max >= 1, got 0"),
    (lambda o: CosineAnnealingLR(o, 10, eta_min=-1e-3), ValueError,
     r"CosineAnnealingLR: expected eta_min >= 0, got -0\.001"),
    (lambda o: LinearWarmup(o, warmup_steps=0), ValueError,
     r"LinearWarmup: expected warmup_steps >= 1, got 0"),
    (lambda o: LinearWarmup(o, 5, start_factor=1.5), ValueError,
     r"LinearWarmup: expected start_factor in \(0, 1\], got 1\.5"),
    (lambda o: LinearWarmup(o, 5, start_factor=0), ValueError,
     r"LinearWarmup: expected start_factor in \(0, 1\], got 0\.0"),
    (lambda o: LinearWarmup(o, 5, after=_other_after()), ValueError,
     r"LinearWarmup: expected after to drive the same optimiser"),
    (lambda o: LinearWarmup(o, 5, after=_stepped_after(o)), ValueError,
     r"LinearWarmup: expected a fresh after schedule \(last_step 0\), got one at last_step 1"),
    (lambda o: LinearWarmup(o, 5, after=ReduceLROnPlateau(o)), TypeError,
     r"LinearWarmup: expected after to be a schedule .*not ReduceLROnPlateau.*got "
     r"ReduceLROnPlateau"),
    (lambda o: LinearWarmup(o, 5, after="cosine"), TypeError,
     r"LinearWarmup: expected after to be a schedule .*got str"),
    (lambda o: OneCycleLR(o, 1.0, 100, pct_start=0.0), ValueError,
     r"OneCycleLR: expected pct_start in \(0, 1\), got 0\.0"),
    (lambda o: OneCycleLR(o, 1.0, 100, pct_start=1.0), ValueError,
     r"OneCycleLR: expected pct_start in \(0, 1\), got 1\.0"),
    (lambda o: OneCycleLR(o, 1.0, 100, anneal="cosine"), ValueError,
     r"OneCycleLR: expected anneal to be one of \['cos', 'linear'\], got 'cosine'"),
    (lambda o: OneCycleLR(o, -1.0, 100), ValueError, r"OneCycleLR: expected max_lr > 0, got -1"),
    (lambda o: OneCycleLR(o, 1.0, 3), ValueError,
     r"OneCycleLR: with total_steps=3, pct_start=0\.3 and three_phase=False a phase of the "
     r"cycle would be shorter than one step"),
    (lambda o: OneCycleLR(o, 1.0, 10, pct_start=0.7, three_phase=True), ValueError,
     r"OneCycleLR: with total_steps=10, pct_start=0\.7 and three_phase=True a phase"),
    (lambda o: ReduceLROnPlateau(o, factor=1.0), ValueError,
     r"ReduceLROnPlateau: expected factor in \(0, 1\), got 1\.0"),
    (lambda o: ReduceLROnPlateau(o, factor=0.0), ValueError,
     r"ReduceLROnPlateau: expected factor in \(0, 1\), got 0\.0"),
    (lambda o: ReduceLROnPlateau(o, mode="minimum"), ValueError,
     r"ReduceLROnPlateau: expected mode to be one of \['min', 'max'\], got 'minimum'"),
    (lambda o: ReduceLROnPlateau(o, threshold_mode="relative"), ValueError,
     r"ReduceLROnPlateau: expected threshold_mode to be one of \['rel', 'abs'\]"),
    (lambda o: ReduceLROnPlateau(o, patience=-1), ValueError,
     r"ReduceLROnPlateau: expected patience >= 0, got -1"),
    (lambda o: ReduceLROnPlateau(o).step("low"), TypeError,
     r"ReduceLROnPlateau\.step: expected the metric to be a real number \(e\.g\. the "
     r"validation loss\), got str 'low'"),
    (lambda o: StepLR("opt", 3), TypeError,
     r"StepLR: expected an optimiser \(an nnlib\.optim\.Optimizer such as SGD or Adam\), got "
     r"str"),
    (lambda o: CosineAnnealingLR(o.params, 3), TypeError,
     r"CosineAnnealingLR: expected an optimiser .*got list"),
    (lambda o: schedule_values("StepLR", 5), TypeError,
     r"schedule_values: expected make_schedule to be a function of the optimiser.*got str"),
    (lambda o: schedule_values(lambda opt: StepLR(opt, 2), 0), ValueError,
     r"schedule_values: expected steps >= 1, got 0"),
    (lambda o: schedule_values(lambda opt: opt, 3), TypeError,
     r"schedule_values: expected make_schedule to return a schedule, got SGD"),
    (lambda o: schedule_values(lambda opt: StepLR(o, 2), 3), ValueError,
     r"schedule_values: make_schedule must build the schedule on the optimiser it is given"),
    (lambda o: schedule_values(lambda opt: ReduceLROnPlateau(opt), 3), TypeError,
     r"schedule_values: ReduceLROnPlateau needs metrics"),
    (lambda o: schedule_values(lambda opt: ReduceLROnPlateau(opt), 3, metrics=[1.0]),
     ValueError, r"schedule_values: expected at least steps - 1 = 2 metrics, got 1"),
    (lambda o: schedule_values(lambda opt: StepLR(opt, 2), 3, metrics=[1.0, 2.0]), TypeError,
     r"schedule_values: metrics are only for ReduceLROnPlateau, not StepLR"),
]


@pytest.mark.parametrize("make, error, match", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_raises_a_clear_error(make, error, match):
    opt = make_opt(0.1)
    with pytest.raises(error, match=match):
        make(opt)


def test_failed_construction_leaves_the_learning_rate_alone():
    opt = make_opt(0.1)
    with pytest.raises(ValueError):
        OneCycleLR(opt, 1.0, 3)
    with pytest.raises(ValueError):
        LinearWarmup(opt, 0, after=CosineAnnealingLR(opt, 3))
    assert opt.lr == 0.1
    assert isinstance(StepLR(opt, 1), Schedule)
