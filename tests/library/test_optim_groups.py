"""Parameter groups (PyTorch-style lists of dicts) in nnlib's optimisers and schedules."""

import numpy as np
import pytest

from nnlib.core import Parameter
from nnlib.optim import SGD, Adam, AdamW, RMSprop
from nnlib.schedules import CosineAnnealingLR, StepLR


def params(seed, shapes=((3, 2), (3,), (2, 3), (2,))):
    rng = np.random.default_rng(seed)
    return [Parameter(rng.normal(size=s)) for s in shapes]


def run(opt, ps, steps=5, seed=1):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        for p in ps:
            p.grad[...] = rng.normal(size=p.shape) + 0.3 * p.data
        opt.step()
    return [p.data.copy() for p in ps]


@pytest.mark.parametrize("make", [
    lambda ps, **kw: SGD(ps, lr=0.1, momentum=0.9, **kw),
    lambda ps, **kw: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, **kw),
    lambda ps, **kw: RMSprop(ps, lr=0.01, momentum=0.5, **kw),
    lambda ps, **kw: Adam(ps, lr=0.01, **kw),
    lambda ps, **kw: AdamW(ps, lr=0.01, **kw),
])
def test_groups_update_each_parameter_like_separate_optimisers(make):
    """Weights decayed, biases not: one optimiser with two groups gives exactly what two
    optimisers, one per group, give."""
    ps = params(0)
    weights, biases = [ps[0], ps[2]], [ps[1], ps[3]]
    grouped = make([{"params": weights, "weight_decay": 0.05},
                    {"params": biases, "weight_decay": 0.0}])
    got = run(grouped, ps)

    qs = params(0)
    separate = [make([qs[0], qs[2]], weight_decay=0.05), make([qs[1], qs[3]], weight_decay=0.0)]

    class Both:
        def step(self):
            for o in separate:
                o.step()
    want = run(Both(), qs)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_an_option_a_group_does_not_set_follows_the_optimiser():
    ps = params(0)
    opt = SGD([{"params": ps[:2]}, {"params": ps[2:], "momentum": 0.0}], lr=0.1,
              momentum=0.9)
    opt.momentum = 0.5                       # a slider moves the optimiser's momentum
    groups = opt.param_groups
    assert groups[0]["momentum"] == 0.5 and groups[1]["momentum"] == 0.0
    assert [len(g["params"]) for g in groups] == [2, 2]
    assert groups[0]["params"][0] is ps[0]


def test_a_groups_own_lr_stays_in_proportion_under_a_schedule():
    ps = params(0)
    opt = SGD([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.01}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.1, 0.01])
    schedule = StepLR(opt, step_size=1, gamma=0.5)
    schedule.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.05, 0.005])
    cosine = CosineAnnealingLR(SGD([{"params": ps[:1], "lr": 0.2}, {"params": ps[1:]}],
                                   lr=0.1), T_max=4)
    for _ in range(2):
        cosine.step()
    lrs = [g["lr"] for g in cosine.optimizer.param_groups]
    assert lrs == pytest.approx([0.1, 0.05])   # half-way down the cosine: both halved


def test_plain_parameters_make_one_group_and_no_groups_in_the_state_dict():
    ps = params(0)
    opt = Adam(ps, lr=0.01)
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["lr"] == 0.01
    assert set(opt.state_dict()) == {"state", "hyperparams"}


def test_state_dict_round_trip_with_groups():
    ps, qs = params(0), params(0)
    make = lambda p: SGD([{"params": p[:2], "weight_decay": 0.1},   # noqa: E731
                          {"params": p[2:], "lr": 0.02}], lr=0.1, momentum=0.9)
    a = make(ps)
    run(a, ps, steps=3)
    saved = a.state_dict()
    assert saved["param_groups"] == [{"params": [0, 1], "weight_decay": 0.1},
                                     {"params": [2, 3], "lr": 0.02}]
    for p, q in zip(ps, qs, strict=True):
        q.data[...] = p.data
    b = make(qs)
    b.load_state_dict(saved)
    np.testing.assert_array_equal(run(a, ps, seed=7)[0], run(b, qs, seed=7)[0])
    with pytest.raises(ValueError, match="other parameter groups than this optimiser"):
        SGD(params(0), lr=0.1, momentum=0.9).load_state_dict(saved)


@pytest.mark.parametrize("groups, error, message", [
    (lambda ps: [{"params": ps[:2]}, {"weight_decay": 0.1}], ValueError,
     r"SGD: parameter group 1 has no 'params' entry"),
    (lambda ps: [{"params": ps[:2], "betas": (0.9, 0.99)}], ValueError,
     r"SGD: parameter group 0 sets \['betas'\], which SGD does not have; its options are "
     r"\['lr', 'momentum', 'dampening', 'nesterov', 'weight_decay'\]"),
    (lambda ps: [{"params": ps[:2]}, {"params": ps[1:]}], ValueError,
     r"SGD: the Parameter at position 2 is the same object as the one at position 1"),
    (lambda ps: [{"params": ps[:2], "weight_decay": -1.0}], ValueError,
     r"SGD \(parameter group 0\): expected weight_decay >= 0, got -1.0"),
    (lambda ps: [{"params": ps[:2], "lr": "fast"}], TypeError,
     r"SGD \(parameter group 0\): expected lr to be a real number"),
    (lambda ps: [{"params": []}], ValueError,
     r"SGD \(parameter group 0\): got an empty parameter list"),
])
def test_bad_groups_are_refused_with_a_sentence(groups, error, message):
    with pytest.raises(error, match=message):
        SGD(groups(params(0)), lr=0.1)


def test_a_group_lr_needs_a_positive_optimiser_lr():
    with pytest.raises(ValueError, match=r"parameter group 0 sets lr=0.1, which is kept in "
                                         r"proportion to the optimiser's lr; that needs lr > 0"):
        SGD([{"params": params(0), "lr": 0.1}], lr=0.0)
