"""Tests of book.ch13_regularisation, the experiment functions of Chapter 13 (Regularisation)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import book.ch13_regularisation as reg  # noqa: E402
from book import live  # noqa: E402
from nnlib.core import Parameter  # noqa: E402
from nnlib.layers import BatchNorm1d, Linear, ReLU, mlp  # noqa: E402
from nnlib.losses import BCEWithLogitsLoss, CrossEntropyLoss  # noqa: E402
from nnlib.optim import SGD  # noqa: E402
from nnlib.core import Sequential  # noqa: E402
from nnlib.train import EarlyStopping, fit  # noqa: E402


def _labelled(fig):
    return all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes
               if ax.get_visible() and ax.axison)


# --- weight decay on the weights only, and the L1 wrapper -----------------------------------
def test_decay_groups_decays_matrices_and_spares_biases_and_norm_gains():
    net = Sequential(Linear(3, 4, rng=0), BatchNorm1d(4), ReLU(), Linear(4, 2, rng=0))
    groups = reg.decay_groups(net, 0.01)
    assert [g["weight_decay"] for g in groups] == [0.01, 0.0]
    assert [p.shape for p in groups[0]["params"]] == [(4, 3), (2, 4)]
    assert sorted(p.shape for p in groups[1]["params"]) == [(2,), (4,), (4,), (4,)]
    opt = SGD(groups, lr=0.5)
    before = [p.data.copy() for p in net.parameters()]
    opt.zero_grad()
    opt.step()
    for p, p0 in zip(net.parameters(), before, strict=True):
        np.testing.assert_allclose(p.data, (1 - 0.005 if p.data.ndim == 2 else 1.0) * p0)


def test_decay_groups_rejects_bad_input():
    with pytest.raises(TypeError, match="decay_groups: expected an nnlib Module, got list"):
        reg.decay_groups([Parameter([1.0])], 0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        reg.decay_groups(mlp([2, 2], rng=0), -1.0)


def test_l1_penalty_adds_lambda_sign_before_the_step_and_passes_lr_through():
    w, other = Parameter([0.5, -0.2, 0.0]), Parameter([1.0])
    inner = SGD([w, other], lr=0.1)
    opt = reg.L1Penalty(inner, [w], l1=0.5)
    w.grad[...] = [1.0, 1.0, 1.0]
    other.grad[...] = [0.0]
    opt.step()
    np.testing.assert_allclose(w.data, [0.5 - 0.1 * 1.5, -0.2 - 0.1 * 0.5, -0.1])
    assert other.data.tolist() == [1.0]                       # not penalised
    opt.lr = 0.05
    assert inner.lr == 0.05 and opt.lr == 0.05
    opt.zero_grad()
    assert np.all(w.grad == 0)
    assert "l1=0.5" in repr(opt)


def test_l1_penalty_rejects_parameters_the_optimiser_does_not_move():
    a, b = Parameter([1.0]), Parameter([2.0])
    with pytest.raises(ValueError, match="parameter 0 of params is not one of the optimiser"):
        reg.L1Penalty(SGD([a], lr=0.1), [b], l1=0.1)
    with pytest.raises(TypeError, match="expected an optimiser with step"):
        reg.L1Penalty(object(), [a], l1=0.1)
    with pytest.raises(ValueError, match="l1"):
        reg.L1Penalty(SGD([a], lr=0.1), [a], l1=-0.1)


# --- the batched toy trainer equals nnlib ----------------------------------------------------
@pytest.mark.parametrize("penalty", ["L2", "L1"])
def test_train_toy_equals_nnlib_sgd_step_for_step(penalty):
    lams = [0.0, 0.01]
    runs = reg.train_toy(lams, penalty, steps=60, seeds=[0, 3], every=20)
    d = reg.toy_data()
    for k, lam in enumerate(lams):
        net = mlp([2, reg.TOY_HIDDEN, 1], "relu", rng=[0, 3][k])
        if penalty == "L2":
            opt = SGD(reg.decay_groups(net, lam), lr=reg.TOY_LR, momentum=reg.TOY_MOMENTUM)
        else:
            weights = reg.decay_groups(net, 0.0)[0]["params"]
            opt = reg.L1Penalty(SGD(net.parameters(), lr=reg.TOY_LR,
                                    momentum=reg.TOY_MOMENTUM), weights, lam)
        h = fit(net, BCEWithLogitsLoss(), opt, d.X, d.y, epochs=60, batch_size=40,
                progress=False, diagnostics=False)
        for ours, p in zip((runs.W1, runs.b1, runs.W2, runs.b2), net.parameters(), strict=True):
            np.testing.assert_allclose(ours[k], p.data, rtol=1e-9, atol=1e-12)
        # the recorded loss after 40 steps is the loss fit measured during the 41st epoch
        assert runs.steps.tolist() == [0, 20, 40, 60]
        np.testing.assert_allclose(runs.train_loss[k, 2], h.train_loss[40], rtol=1e-9)


def test_train_toy_checks_its_arguments():
    with pytest.raises(ValueError, match="expected penalty 'L2' or 'L1', got 'L3'"):
        reg.train_toy([0.1], "L3", steps=1)
    with pytest.raises(ValueError, match="expected one seed per lambda \\(2\\), got 3"):
        reg.train_toy([0.1, 0.2], steps=1, seeds=[0, 1, 2])
    with pytest.raises(ValueError, match="lambda"):
        reg.train_toy([-0.1], steps=1)


def test_toy_sweep_covers_the_slider_and_stays_inside_the_loss_axis():
    assert len(reg.LAMBDAS) == 13 and reg.LAMBDAS[0] == 1e-4 and reg.LAMBDAS[-1] == 1.0
    assert reg.LAMBDAS == tuple(reg.penalty_experiment().controls["lam"].values())
    l2, l1 = reg.toy_sweep("L2"), reg.toy_sweep("L1")
    assert l2.train_loss.shape == (14, reg.TOY_STEPS // reg.TOY_EVERY + 1)
    np.testing.assert_array_equal(l2.W1[0], l1.W1[0])       # lambda = 0: the same run
    for runs in (l2, l1):
        assert runs.val_loss.max() < reg.LOSS_YLIM[1] and runs.train_loss.min() > 0
        assert not runs.W1.flags.writeable
    # the chapter's findings: a moderate L2 beats none, the strongest flattens the network
    assert l2.val_err.argmin() not in (0, 13) and l2.train_err[-1] == 0.5
    with pytest.raises(ValueError, match="no run for lambda = 0.005"):
        reg.toy_probabilities("L2", 0.005)
    with pytest.raises(ValueError, match="expected penalty"):
        reg.toy_sweep("L0")


def test_toy_probabilities_are_probabilities_on_the_grid():
    p = reg.toy_probabilities("L2", reg.LAMBDAS[4])
    assert p.shape == (121, 121) and np.all((p > 0) & (p < 1))
    assert p.min() < 0.5 < p.max()
    flat = reg.toy_probabilities("L2", 1.0)                 # a collapsed network
    assert np.ptp(flat) < 1e-6 and reg._boundary_segments("L2", 1.0) == []


# --- the live figure and its static version --------------------------------------------------
def test_penalty_figure_describes_the_errors_and_the_sparsity():
    fig = reg.PenaltyFigure()
    text = fig.describe(lam=0.0, penalty="L2")
    runs = reg.toy_sweep("L2")
    assert text.startswith("No penalty") and f"{runs.val_err[0]:.1%}" in text
    text = fig.describe(lam=reg.LAMBDAS[5], penalty="L1")
    assert "L1 penalty with λ = 0.0046" in text and "within 0.01 of zero" in text


def test_every_position_of_the_notebook_slider_draws():
    """The widget's FloatLogSlider sends 10^(k/3) exactly, LAMBDAS holds 6 digits."""
    exp = reg.penalty_experiment()
    w = exp.widget()
    slider = w.controls["lam"]
    for k in range(13):
        slider.value = 10 ** (slider.min + k * slider.step)
        assert w.error is None, (k, w.error)
    assert w.n_draws >= 13


def test_penalty_figure_title_changes_with_lambda():
    r = live.Renderer(reg.PenaltyFigure())
    r.rgba({"lam": 1e-4, "penalty": "L2"})
    weak = r.live.title.get_text()
    r.rgba({"lam": 1.0, "penalty": "L2"})
    assert weak != r.live.title.get_text() and "100% of the weights" in r.live.title.get_text()
    r.close()


def test_no_curve_of_any_run_passes_under_the_static_legend():
    r = live.Renderer(reg.PenaltyFigure())
    r.rgba({"lam": 1e-3, "penalty": "L2"})
    fig = r.live
    box = fig.legend.get_window_extent(r.canvas.get_renderer()).padded(2)
    for penalty in reg.PENALTIES:
        runs = reg.toy_sweep(penalty)
        for k in range(1, len(runs.lams)):          # the slider's lambdas (the curves
            for curve in (runs.train_loss[k], runs.val_loss[k]):   # of lambda = 0 are static)
                xy = fig.ax2.transData.transform(np.column_stack([runs.steps, curve]))
                inside = ((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1)
                          & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1))
                assert not inside.any(), (penalty, runs.lams[k])
    r.close()


def test_draw_penalty_figure_is_the_live_figure_at_full_size():
    fig = reg.draw_penalty_figure(0.0, "L2")
    assert len(fig.axes) == 2 and _labelled(fig)
    assert tuple(fig.get_size_inches()) == reg.PenaltyFigure.size
    assert fig._suptitle.get_text().startswith("no penalty")
    plt.close(fig)
    with pytest.raises(ValueError, match="expected penalty"):
        reg.draw_penalty_figure(0.0, "L3")


def test_draw_penalty_panels_draws_one_labelled_panel_per_setting():
    fig = reg.draw_penalty_panels([{"lam": 0.0, "penalty": "L2"},
                                   {"lam": reg.LAMBDAS[3], "penalty": "L1"}])
    assert len(fig.axes) == 4 and _labelled(fig)
    assert fig.get_size_inches()[0] <= 7.6
    plt.close(fig)
    with pytest.raises(ValueError, match="keys 'lam' and 'penalty'"):
        reg.draw_penalty_panels([{"lam": 0.0}])


# --- capacity ------------------------------------------------------------------------------
def test_capacity_sweep_and_its_figure():
    s = reg.capacity_sweep(widths=(1, 32), seeds=2, steps=400)
    assert s.train_err.shape == (2, 2) and s.widths.tolist() == [1, 32]
    assert s.train_err[1].mean() < s.train_err[0].mean()
    fig = reg.draw_capacity(s)
    assert _labelled(fig) and fig.get_size_inches()[0] <= 7.6
    plt.close(fig)


# --- one weight, and early stopping on a quadratic -----------------------------------------
def test_soft_threshold_and_shrink_minimise_their_objectives():
    v = np.linspace(-2, 2, 17)
    grid = np.linspace(-3, 3, 60_001)
    for t in (0.0, 0.3, 1.0):
        l1 = [grid[np.argmin(0.5 * (grid - vj) ** 2 + t * np.abs(grid))] for vj in v]
        l2 = [grid[np.argmin(0.5 * (grid - vj) ** 2 + 0.5 * t * grid ** 2)] for vj in v]
        np.testing.assert_allclose(reg.soft_threshold(v, t), l1, atol=1e-4)
        np.testing.assert_allclose(reg.shrink(v, t), l2, atol=1e-4)
    assert np.all(reg.soft_threshold(v, 0.5)[np.abs(v) <= 0.5] == 0)
    with pytest.raises(ValueError, match="soft_threshold"):
        reg.soft_threshold(v, -1.0)


def test_decay_factor_and_l1_travel_follow_their_recursions():
    assert reg.decay_factor(0.01, 0.1, 0.0, 20) == pytest.approx(0.999 ** 20, rel=1e-12)
    # momentum: for lr lam << 1 - mu the factor per step settles near 1 - lr lam / (1 - mu)
    f1, f2 = reg.decay_factor(1e-3, 0.1, 0.9, 3000), reg.decay_factor(1e-3, 0.1, 0.9, 3001)
    assert f2 / f1 == pytest.approx(1 - 0.1 * 1e-3 / 0.1, rel=1e-5)
    assert reg.l1_travel(0.01, 0.1, 0.0, 7) == pytest.approx(0.007)
    assert reg.l1_travel(0.01, 0.1, 0.9, 3) == pytest.approx(0.1 * 0.01 * (1 + 1.9 + 2.71))


def test_early_stopping_vs_ridge_satisfies_the_theorem():
    r = reg.early_stopping_vs_ridge(m=100, d=12, t=30, seed=1)
    np.testing.assert_allclose(r.f_gd, reg.gd_filter(r.h, r.eta, r.t), rtol=1e-6)
    np.testing.assert_allclose(r.f_ridge, reg.ridge_filter(r.h, r.lam), rtol=1e-8)
    assert r.lam == pytest.approx(1 / (r.eta * r.t))
    h = np.logspace(-6, 0, 200)
    for t in (1, 10, 1000):
        f_t, f_l = reg.gd_filter(h, 1.0, t), reg.ridge_filter(h, 1.0 / t)
        assert np.all(f_l <= f_t + 1e-12) and np.all(f_t <= 2 * f_l)


# --- the digits and their augmentations ------------------------------------------------------
def test_digits_split_is_small_and_stratified():
    s = reg.digits_split()
    assert (len(s.X), len(s.X_val), len(s.X_test)) == (180, 539, 1078)
    assert np.bincount(s.y).tolist() == [18] * 10
    assert not s.X.flags.writeable


def test_shift_images_moves_pixels_and_fills_with_zeros():
    img = np.zeros((2, 64))
    img[:, 8 * 2 + 3] = 1.0
    out = reg.shift_images(img, np.array([1, -3]), np.array([-1, 2]))
    assert np.flatnonzero(out[0]).tolist() == [8 * 1 + 4]
    assert np.flatnonzero(out[1]).tolist() == [8 * 4 + 0]
    assert np.all(reg.shift_images(img, 8, 0) == 0)
    with pytest.raises(ValueError, match="between -8 and 8"):
        reg.shift_images(img, 9, 0)
    with pytest.raises(ValueError, match="expected X of shape \\(m, 64\\).*got shape \\(2, 63\\)"):
        reg.shift_images(np.zeros((2, 63)), 1, 0)


def test_rotate_images_quarter_turns_are_exact():
    X = reg.digits_split().X[:5]
    np.testing.assert_allclose(reg.rotate_images(X, 0.0), X, atol=1e-12)
    quarter = reg.rotate_images(X, 90.0).reshape(-1, 8, 8)
    np.testing.assert_allclose(quarter, np.rot90(X.reshape(-1, 8, 8), 1, axes=(1, 2)),
                               atol=1e-12)
    small = reg.rotate_images(X, 10.0)
    assert np.all((small >= 0) & (small <= 1 + 1e-12)) and not np.allclose(small, X)


def test_augment_is_random_bounded_and_reproducible():
    X = reg.digits_split().X[:20]
    a, b = reg.augment(X, 0), reg.augment(X, 0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, reg.augment(X, 1))
    noisy = reg.augment(X, 0, max_shift=0, max_degrees=0.0, noise_std=0.1)
    assert np.all((noisy >= 0) & (noisy <= 1)) and not np.array_equal(noisy, X)
    fig = reg.draw_augmentations(X[0], rng=0)
    assert len(fig.axes) == 8 and all(ax.get_xlabel() for ax in fig.axes)
    plt.close(fig)


def test_fit_augmented_runs_the_callbacks_like_fit():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 5)), rng.integers(0, 3, size=60)
    Xv, yv = rng.normal(size=(40, 5)), rng.integers(0, 3, size=40)   # noise: no progress
    net = mlp([5, 32, 3], "relu", rng=0)
    stopper = EarlyStopping(patience=2)
    h = reg.fit_augmented(net, CrossEntropyLoss(), SGD(net.parameters(), lr=0.5), X, y, 100,
                          augment_fn=lambda X_, r: X_ + r.normal(0, 0.01, X_.shape),
                          validation=(Xv, yv), callbacks=[stopper], rng=0)
    assert h.stopped_early and h.epochs == stopper.best_epoch + 3 < 100
    assert h.best_epoch == stopper.best_epoch
    net.eval()
    assert CrossEntropyLoss()(net(Xv), yv) == pytest.approx(min(h.val_loss), rel=1e-12)


def test_train_digits_records_norms_and_rejects_unknown_configs():
    run = reg.train_digits("L1", seed=0, epochs=3)
    assert len(run.weight_norms) == 3 and run.history.epochs == 3
    assert 0 <= run.test_err <= 1 and run.model[0].weight.data.dtype == np.float32
    assert reg.train_digits("L1", seed=0, epochs=3) is run                 # cached
    with pytest.raises(ValueError, match="expected config to be one of"):
        reg.train_digits("dropout")


def test_digits_figures_have_labelled_axes():
    runs = [reg.train_digits(c, seed=0, epochs=3) for c in ("none", "L2", "L1")]
    fig = reg.draw_weight_histograms(runs)
    assert len(fig.axes) == 3 and fig.axes[0].get_ylabel()
    assert all(ax.get_xlabel() for ax in fig.axes) and fig.get_size_inches()[0] <= 7.6
    plt.close(fig)
    full = reg.train_digits("none", seed=0, epochs=25)
    stopped = reg.train_digits("early stopping", seed=0, epochs=25)
    fig = reg.draw_early_stopping(full, stopped)
    assert _labelled(fig)
    plt.close(fig)


def test_digits_table_has_one_value_per_seed():
    table = reg.digits_table(configs=("none",), seeds=(0, 1), epochs=2)
    assert table["none"]["test_err"].shape == (2,) and table["none"]["epochs"].tolist() == [2, 2]


# --- compression ---------------------------------------------------------------------------
def test_prune_and_quantise_copy_the_model():
    net = mlp([8, 16, 4], "relu", rng=0)
    pruned = reg.prune(net, 0.75)
    assert [float(np.mean(p.data == 0)) for p in pruned.parameters() if p.data.ndim == 2] \
        == [0.75, 0.75]
    assert not np.any(net[0].weight.data == 0)                    # the original is untouched
    kept = np.abs(pruned[0].weight.data[pruned[0].weight.data != 0])
    assert kept.min() >= np.sort(np.abs(net[0].weight.data).ravel())[-len(kept)]
    q = reg.quantise(net, bits=4)
    for p, p0 in zip(q.parameters(), net.parameters(), strict=True):
        if p.data.ndim == 2:
            step = np.abs(p0.data).max() / 7
            assert len(np.unique(p.data)) <= 15
            assert np.abs(p.data - p0.data).max() <= step / 2 + 1e-12
    with pytest.raises(ValueError, match="fraction between 0 and 1"):
        reg.prune(net, 1.5)
    with pytest.raises(ValueError, match="bits"):
        reg.quantise(net, bits=1)
